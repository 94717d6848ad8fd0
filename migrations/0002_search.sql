-- 0002: the full-text index.
--
-- One row per topic, rowid = topics.id, tokenized by wenda's own tokenizer
-- (registered on every connection before this table is touched).  Columns,
-- in the order bm25() weights them: title (Chinese and English titles),
-- aliases, pinyin (toneless pinyin of titles and aliases), tags, answer.
-- The table keeps its own copy of the text so that snippet() can quote it.

CREATE VIRTUAL TABLE topics_fts USING fts5(
    title, aliases, pinyin, tags, answer,
    tokenize = 'wenda'
);
