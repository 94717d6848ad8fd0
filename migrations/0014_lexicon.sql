-- 0014: what the editors teach search: the synonyms and the dictionary
-- (see include/wenda/lexicon.h), each one JSON document with a version
-- for If-Match.  A document not written yet reads as empty, version 0.

CREATE TABLE lexicon (
    name       TEXT PRIMARY KEY CHECK (name IN ('synonyms', 'dictionary')),
    doc        TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version > 0),
    updated_at TEXT NOT NULL
) WITHOUT ROWID;
