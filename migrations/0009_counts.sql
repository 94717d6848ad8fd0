-- 0009: the number of topics of each category and of each tag, kept as
-- topics change.
--
-- /v1/categories, /v1/tags, /readyz and the random picks of /v1/random and
-- /v1/quiz counted topics on every request: a scan of every topic or tag
-- row, 25 to 90 ms at a million topics.  Triggers keep the counts instead,
-- so each of these reads a few rows whatever the size.  A count goes
-- when it falls to zero.  An import drops the triggers with the indexes
-- and counts once at its end (store.c, import_counts_sql).

CREATE TABLE category_counts (
    category TEXT PRIMARY KEY,
    n        INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE tag_counts (
    tag TEXT PRIMARY KEY,
    n   INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO category_counts(category, n)
    SELECT category, count(*) FROM topics GROUP BY category;
INSERT INTO tag_counts(tag, n)
    SELECT tag, count(*) FROM topic_tags GROUP BY tag;

CREATE TRIGGER topics_count_insert AFTER INSERT ON topics BEGIN
    INSERT INTO category_counts(category, n) VALUES (new.category, 1)
        ON CONFLICT(category) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER topics_count_delete AFTER DELETE ON topics BEGIN
    UPDATE category_counts SET n = n - 1 WHERE category = old.category;
    DELETE FROM category_counts WHERE category = old.category AND n <= 0;
END;

CREATE TRIGGER topics_count_move AFTER UPDATE OF category ON topics
    WHEN old.category IS NOT new.category BEGIN
    UPDATE category_counts SET n = n - 1 WHERE category = old.category;
    DELETE FROM category_counts WHERE category = old.category AND n <= 0;
    INSERT INTO category_counts(category, n) VALUES (new.category, 1)
        ON CONFLICT(category) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER topic_tags_count_insert AFTER INSERT ON topic_tags BEGIN
    INSERT INTO tag_counts(tag, n) VALUES (new.tag, 1)
        ON CONFLICT(tag) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER topic_tags_count_delete AFTER DELETE ON topic_tags BEGIN
    UPDATE tag_counts SET n = n - 1 WHERE tag = old.tag;
    DELETE FROM tag_counts WHERE tag = old.tag AND n <= 0;
END;

CREATE TRIGGER topic_tags_count_move AFTER UPDATE OF tag ON topic_tags
    WHEN old.tag IS NOT new.tag BEGIN
    UPDATE tag_counts SET n = n - 1 WHERE tag = old.tag;
    DELETE FROM tag_counts WHERE tag = old.tag AND n <= 0;
    INSERT INTO tag_counts(tag, n) VALUES (new.tag, 1)
        ON CONFLICT(tag) DO UPDATE SET n = n + 1;
END;
