-- 0016: the words of the titles and aliases by their sound.
--
-- A query stretch that no topic holds may have been typed through a
-- Chinese input method that offered a word sounding the same.
-- sound_words holds every stretch of two to four characters of a
-- Han run of a topic's titles (the title column of topics_fts: the title
-- and the English title) and aliases, under its syllables as the fuzzy
-- pairs of input methods fold them (zh, ch, sh as z, c, s; l as n; ang,
-- eng, ing as an, en, in), space-separated, with its own syllables and how
-- many times the topics hold it (n).  A slipped stretch is then one lookup
-- of its own folded syllables (see search_sound.c).  Writing a topic adds
-- its stretches, taking one out of the index subtracts them, and a row
-- whose count comes to nothing goes.
--
-- The syllables come from ICU, which SQL cannot call: a database of an
-- older schema that has topics gets a row in sound_fill, and the store
-- fills sound_words from the topics when it next opens it for writing,
-- then empties sound_fill.

CREATE TABLE sound_words (
    key       TEXT NOT NULL,
    word      TEXT NOT NULL,
    syllables TEXT NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (key, word, syllables)
) WITHOUT ROWID;

CREATE TABLE sound_fill (
    one INTEGER PRIMARY KEY CHECK (one = 1)
);

INSERT INTO sound_fill(one) SELECT 1 WHERE EXISTS (SELECT 1 FROM topics);
