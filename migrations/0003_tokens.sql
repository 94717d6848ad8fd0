-- 0003: API tokens.
--
-- A token is shown once, when it is created, and never stored: hash is its
-- keyed BLAKE2b hash (32 bytes, keyed by token.key in the data directory),
-- and a request's token is found by that hash through the UNIQUE index.
-- Times are UTC, "YYYY-MM-DDTHH:MM:SSZ", so that they sort as text.
-- expires_at NULL means the token never expires; revoked_at NULL means it
-- is not revoked; last_used_at NULL means it has not been used.

CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('reader', 'editor', 'admin')),
    hash         BLOB NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT,
    last_used_at TEXT
);
