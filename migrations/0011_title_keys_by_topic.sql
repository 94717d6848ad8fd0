-- 0011: a topic's whole-title keys, found by topic.
--
-- title_keys is keyed by (key, topic_id), for searches.  Replacing or
-- deleting one topic deletes its keys, by topic_id -- and so does the
-- ON DELETE CASCADE of deleting a topic -- which without this index read
-- every key of every topic: 30 ms a write at 100,000 topics, 150 to 350 ms
-- at a million, and an import into a database of 20,000 topics spent 50 s
-- before its first topic, one such scan for each old topic.

CREATE INDEX title_keys_by_topic ON title_keys(topic_id);
