-- 0007: the whole-title keys of a query, best first.
--
-- A search takes at most 32 topics whose whole title (weight 2) or alias
-- (weight 1) equals the query, heaviest first.  A key shared by thousands
-- of topics would otherwise be read and sorted in full on every search.

CREATE INDEX title_keys_by_weight ON title_keys(key, weight DESC, topic_id);
