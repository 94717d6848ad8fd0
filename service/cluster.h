/*
 * cluster.h -- wenda on a Raft cluster (libraft, Canonical's C Raft).
 *
 * A write is a Raft log entry: the writer hands its batch of validated
 * jobs to the cluster, whose loop thread (libuv, where libraft runs)
 * encodes them as one entry, with the time and any new token's hash fixed
 * by the leader, and appends it.  Once a majority has the entry, every
 * node applies it through the same code as a single server's writer into
 * its own SQLite file, together with the entry's index, so that every
 * node keeps the whole database and its search index and serves reads at
 * a single server's speed.  A Raft snapshot is an image of the database
 * with the token key.  The node that proposed a batch answers its jobs
 * once it applied the entry; any other node answers a write with
 * WENDA_ERR_NOT_LEADER and the leader's URL.
 *
 * Nothing here knows HTTP.
 */
#ifndef WENDA_CLUSTER_H
#define WENDA_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "wenda/err.h"

struct wenda_auth;
struct write_job;

/* The most nodes a cluster has, and the longest Raft address and URL. */
#define CLUSTER_MAX_NODES 16
#define CLUSTER_ADDRESS_CAP 128
#define CLUSTER_URL_CAP 256

struct cluster_config {
    unsigned int id;            /* this node's id, 1..65535 */
    const char *raft_address;   /* "HOST:PORT" it listens on for Raft */
    const char *peers;          /* "ID=HOST:PORT,..." to bootstrap a new
                                   cluster with, or NULL to join one */
    const char *raft_dir;       /* the Raft log and snapshots */
    const char *advertise_url;  /* this node's HTTP base URL */
    const char *db_path;        /* the database it applies entries to */
    struct wenda_auth *auth;    /* the token key, shared through the log */
};

struct cluster;

/*
 * Checks peers ("ID=HOST:PORT" separated by commas, ids 1..65535 and
 * distinct, at most CLUSTER_MAX_NODES) and that self (when not 0) is
 * among them; returns 0, or -1 with why in msg.
 */
int cluster_peers_valid(const char *peers, unsigned int self, char *msg,
                        size_t cap);

/*
 * Opens the Raft directory (creating it), bootstraps it from cfg->peers
 * when it is new and peers are given, and starts the loop thread.  On
 * failure writes why to msg and returns an error with nothing running.
 */
enum wenda_err cluster_start(const struct cluster_config *cfg,
                             struct cluster **out, char *msg, size_t cap);

/*
 * Stops the loop thread, once the jobs handed in are answered or after a
 * bound; every job it still holds is woken with WENDA_ERR_UNAVAILABLE, and
 * any handed in later is refused at once.  What the node published stays
 * readable (cluster_applied(), cluster_status()) until cluster_close().
 * NULL, and a second call, are fine.
 */
void cluster_stop(struct cluster *c);

/* Stops the node if it runs, and frees it.  NULL is fine. */
void cluster_close(struct cluster *c);

/*
 * Hands the writer's batch of n jobs to the cluster and returns at once
 * (waiting only while too many entries are in flight).  Each job is woken
 * later, on another thread, with its result: as a single server's writer
 * gives it, with result.index set to the entry's index; or
 * WENDA_ERR_NOT_LEADER with the leader's base URL in result.msg;
 * WENDA_ERR_NO_LEADER; WENDA_ERR_UNAVAILABLE when the outcome is unknown
 * (leadership lost before the entry was committed).  Jobs of kind
 * WRITE_CLUSTER_ADD and WRITE_CLUSTER_REMOVE change the membership.
 */
void cluster_propose(struct cluster *c, struct write_job **jobs, size_t n);

/* Returns the index of the last entry this node applied. */
uint64_t cluster_applied(struct cluster *c);

/*
 * Waits at most ms milliseconds until this node has applied index:
 * WENDA_OK, or WENDA_ERR_STALE_READ.
 */
enum wenda_err cluster_wait_applied(struct cluster *c, uint64_t index,
                                    unsigned int ms);

enum cluster_role {
    CLUSTER_UNAVAILABLE,
    CLUSTER_FOLLOWER,
    CLUSTER_CANDIDATE,
    CLUSTER_LEADER
};

struct cluster_node {
    unsigned int id;
    char address[CLUSTER_ADDRESS_CAP];
    const char *role;            /* "voter", "standby" or "spare" */
    char url[CLUSTER_URL_CAP];   /* "" when not known */
};

/* What the node knows of the cluster, as of its loop's last look. */
struct cluster_status {
    unsigned int id;
    enum cluster_role role;
    uint64_t term;
    unsigned int leader_id;          /* 0: none known */
    char leader_url[CLUSTER_URL_CAP];  /* "" when not known */
    uint64_t commit_index;
    uint64_t applied_index;
    uint64_t last_index;
    int ready;                       /* a leader is known and everything
                                        committed is applied */
    size_t nnodes;
    struct cluster_node nodes[CLUSTER_MAX_NODES];
};

void cluster_status(struct cluster *c, struct cluster_status *out);

/* "leader", "follower", "candidate" or "unavailable". */
const char *cluster_role_name(enum cluster_role role);

/* Writes the status as a JSON document (malloc'ed, NUL-terminated). */
char *cluster_status_json(const struct cluster_status *s);

#endif /* WENDA_CLUSTER_H */
