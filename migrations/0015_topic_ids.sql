-- 0015: the highest topic id ever given, so that no id is given twice.
--
-- A topic's id is in links, in learners' progress and in its revisions,
-- which outlive it.  The next id was the highest in topics or revisions
-- plus one, which an import that removed topics without a revision could
-- bring back down, handing an old id to another topic.  One row keeps the
-- mark instead; the writes and the import move it up (store.c, S_MARK_ID).
-- It starts at the highest id either table holds.

CREATE TABLE topic_ids (
    one  INTEGER PRIMARY KEY CHECK (one = 1),
    last INTEGER NOT NULL
);

INSERT INTO topic_ids(one, last) VALUES (1, max(
    coalesce((SELECT max(id) FROM topics), 0),
    coalesce((SELECT max(topic_id) FROM revisions), 0)));
