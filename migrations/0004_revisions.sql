-- 0004: the history of every change.
--
-- A revision keeps the topic's JSON before and after a change, who made it
-- (a token's name) and when; revisions outlive a deleted topic, so they
-- carry the topic id without a foreign key.  The audit log has one row per
-- change as well, in a form meant for reading down a list of actions.

CREATE TABLE revisions (
    id       INTEGER PRIMARY KEY,
    topic_id INTEGER NOT NULL,
    version  INTEGER NOT NULL,     -- the topic's version after the change
    action   TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    before   TEXT,                 -- NULL for a create
    after    TEXT,                 -- NULL for a delete
    who      TEXT NOT NULL,
    at       TEXT NOT NULL
);

CREATE INDEX revisions_by_topic ON revisions(topic_id, id);

CREATE TABLE audit (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    who    TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL
);
