-- 0017: what a node of a Raft cluster keeps of the cluster in its database.
--
-- A node applies each committed entry of the cluster's log in one
-- transaction with the entry's index, so that after a crash it knows
-- which entries it has and applies none twice (cluster.c).  A single
-- server leaves the index at 0.  A database image (a Raft snapshot, or the
-- seed of a new cluster) carries both tables with it.
--
-- cluster_nodes holds the HTTP base URL of each node that announced one,
-- so that a follower can send a client on to the leader.

CREATE TABLE cluster_log (
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    applied INTEGER NOT NULL
);

INSERT INTO cluster_log(one, applied) VALUES (1, 0);

CREATE TABLE cluster_nodes (
    id  INTEGER PRIMARY KEY,
    url TEXT NOT NULL
);
