-- 0001: categories, topics and their tags.
--
-- A topic's JSON, as the API serves it, is rendered when the topic is
-- written (doc, and summary for lists), so that a read is one lookup and
-- a copy: no parsing, no building, no escaping on the read path.
--
-- tags and aliases are kept as JSON arrays on the topic (what the API
-- returns) and tags once more in topic_tags, one row per (tag, topic), so
-- that filtering and counting by tag use an index.

CREATE TABLE categories (
    slug    TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    name_en TEXT NOT NULL,
    ord     INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE topics (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    title_en   TEXT NOT NULL DEFAULT '',
    category   TEXT NOT NULL REFERENCES categories(slug),
    ord        INTEGER NOT NULL,
    tags       TEXT NOT NULL DEFAULT '[]',
    aliases    TEXT NOT NULL DEFAULT '[]',
    answer     TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    doc        TEXT NOT NULL,   -- the API's JSON of the topic
    summary    TEXT NOT NULL    -- the same without answer and aliases
);

CREATE INDEX topics_by_category ON topics(category, id);

CREATE TABLE topic_tags (
    tag      TEXT NOT NULL,
    topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
    PRIMARY KEY (tag, topic_id)
) WITHOUT ROWID;

CREATE INDEX topic_tags_by_topic ON topic_tags(topic_id);
