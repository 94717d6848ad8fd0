-- 0010: the category in the full-text index.
--
-- A search filtered by category checked the category of every match, by a
-- lookup each: 0.3 s for a common word and the rarest category at a
-- million topics.  The category is now a sixth column of topics_fts,
-- whose one token (U+FDD0 then the slug: see WENDA_TOKEN_VERBATIM in
-- tokenize.h) no other text gives.  A search ANDs it in front of its
-- expression, as it does a tag, and FTS5 steps over the other topics in
-- its own lists.  Ranking leaves the column out.
--
-- FTS5 cannot add a column: the table is made again from its own text and
-- each topic's category, and merged into one segment.  The text waits in a
-- temporary table while the old index is dropped, so that the new one
-- takes the pages the old one leaves rather than growing the file by its
-- size.  FTS5 holds 8 MiB of tokens in memory between the segments it
-- writes, as an import does (see wenda_search_index_bulk()), rather than
-- its default 1 MiB, which comes back after: a million topics took 270 s
-- against 419 s, 100,000 topics 15.7 s against 21.8 s.  An import's other
-- setting, no merging before the final one, took no less time at a million
-- topics (270 s) and left 1.0 GB of the file free, against 36 MB.

CREATE TEMP TABLE fts_text AS
    SELECT f.rowid AS id, f.title, f.aliases, f.pinyin, f.tags, f.answer,
           char(64976) || t.category AS category
    FROM topics_fts f JOIN topics t ON t.id = f.rowid;

DROP TABLE topics_fts;

CREATE VIRTUAL TABLE topics_fts USING fts5(
    title, aliases, pinyin, tags, answer, category,
    tokenize = 'wenda'
);
INSERT INTO topics_fts(topics_fts, rank) VALUES ('hashsize', 8388608);

INSERT INTO topics_fts(rowid, title, aliases, pinyin, tags, answer, category)
    SELECT id, title, aliases, pinyin, tags, answer, category
    FROM temp.fts_text ORDER BY id;

DROP TABLE temp.fts_text;
INSERT INTO topics_fts(topics_fts) VALUES ('optimize');
INSERT INTO topics_fts(topics_fts, rank) VALUES ('automerge', 4);
INSERT INTO topics_fts(topics_fts, rank) VALUES ('crisismerge', 16);
INSERT INTO topics_fts(topics_fts, rank) VALUES ('hashsize', 1048576);
