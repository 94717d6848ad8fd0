-- 0013: the words of the topics, for a search that forgives misspellings.
--
-- vocab_keys holds every Latin word of the topics as it is written
-- (lowercase, before stemming) under the word itself and under each form
-- of it with one letter deleted, or up to two from six letters on: a
-- misspelt query word is looked up under its own deletions (symmetric
-- deletion, as SymSpell does), and what is found is checked by its edit
-- distance.  Words are added as topics are written and only an import
-- that replaces every topic removes them; a word no topic holds any more
-- is dropped when it is found, because its stem is then missing from
-- topics_terms, the full-text index's own list of its terms.  A database
-- of an older schema gets its words from its topics when it is next opened
-- for writing.

CREATE TABLE vocab_keys (
    key  TEXT NOT NULL,
    word TEXT NOT NULL,
    PRIMARY KEY (key, word)
) WITHOUT ROWID;

CREATE VIRTUAL TABLE topics_terms USING fts5vocab(topics_fts, 'row');
