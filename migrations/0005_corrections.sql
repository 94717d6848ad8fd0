-- 0005: corrections of the notes, kept beside their text.
--
-- A JSON array of {"says", "right", "why", "source"} per topic ('[]' for
-- none); the partial index serves GET /v1/topics?corrected=true.

ALTER TABLE topics ADD COLUMN corrections TEXT NOT NULL DEFAULT '[]';

CREATE INDEX topics_corrected ON topics(id) WHERE corrections <> '[]';
