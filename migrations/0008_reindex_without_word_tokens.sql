-- 0008: the full-text index without dictionary-word tokens.
--
-- Documents used to carry, beside their bigrams, a token for each word of
-- three or more characters that ICU's dictionary found; no query ever
-- asked for one (a word's phrase of bigrams finds it), and finding them
-- was a third of an import's worker threads' time.  The tokenizer no longer writes
-- them, so the index is built again from its own content: a topic's
-- tokens must be the ones the tokenizer gives today for FTS5 to delete
-- them when the topic changes.  Then it is merged into one segment.

INSERT INTO topics_fts(topics_fts) VALUES ('rebuild');
INSERT INTO topics_fts(topics_fts) VALUES ('optimize');
