-- 0006: a learner's progress, one row per token and topic, scheduled with
-- SM-2: the state after the last review and when the next one is due.

CREATE TABLE progress (
    token_id      INTEGER NOT NULL REFERENCES tokens(id),
    topic_id      INTEGER NOT NULL,
    repetitions   INTEGER NOT NULL,
    interval_days INTEGER NOT NULL,
    easiness      REAL NOT NULL,
    grade         INTEGER NOT NULL,   -- of the last review
    reviewed_at   TEXT NOT NULL,
    due_at        TEXT NOT NULL,
    PRIMARY KEY (token_id, topic_id)
) WITHOUT ROWID;

CREATE INDEX progress_due ON progress(token_id, due_at);
