-- 0001: categories, topics and their tags.
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
    updated_at TEXT NOT NULL
);

CREATE INDEX topics_by_category ON topics(category, id);

CREATE TABLE topic_tags (
    tag      TEXT NOT NULL,
    topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
    PRIMARY KEY (tag, topic_id)
) WITHOUT ROWID;

CREATE INDEX topic_tags_by_topic ON topic_tags(topic_id);
