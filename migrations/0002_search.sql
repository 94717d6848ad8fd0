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

-- Whole-title keys: the normalized token string of a topic's title, English
-- title and title pinyin (weight 2) and of each alias (weight 1).  A query
-- equal to a key ranks that topic above every partial match.
CREATE TABLE title_keys (
    key      TEXT NOT NULL,
    topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
    weight   INTEGER NOT NULL,
    PRIMARY KEY (key, topic_id)
) WITHOUT ROWID;
