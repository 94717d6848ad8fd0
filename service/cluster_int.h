/*
 * cluster_int.h -- what the cluster's own files share: the log entry.
 */
#ifndef WENDA_CLUSTER_INT_H
#define WENDA_CLUSTER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"
#include "wenda/err.h"

struct write_job;

/* The type byte that starts each entry of the log. */
#define CLUSTER_ENTRY_JOBS 'J'   /* a batch of write jobs, as JSON */
#define CLUSTER_ENTRY_SEED 'S'   /* a database image: a new cluster */
#define CLUSTER_ENTRY_URL 'U'    /* a node's HTTP base URL, as JSON */

/* The most jobs one entry holds (the writer's largest batch). */
#define CLUSTER_ENTRY_MAX_JOBS 64

/* Which node proposed a batch: its id, a number drawn when it started,
 * and the batch's number since then. */
struct cluster_entry_id {
    unsigned int origin;
    uint64_t boot;
    uint64_t seq;
};

/* A decoded 'J' entry. */
struct cluster_entry {
    struct cluster_entry_id id;
    char stamp[32];               /* the time its rows are written at */
    struct write_job *jobs;       /* n, owned */
    size_t n;
};

/*
 * Encodes n jobs (their token_* fields set for a token create) as one 'J'
 * entry, written at stamp.  Returns it (malloc'ed, *len bytes), or NULL
 * when out of memory.
 */
char *cluster_entry_encode(struct write_job *const *jobs, size_t n,
                           const struct cluster_entry_id *eid,
                           const char *stamp, size_t *len);

/*
 * Decodes a 'J' entry of len bytes into *out, which the caller releases
 * with cluster_entry_cleanup().  WENDA_ERR_PARSE when it is not one.
 */
enum wenda_err cluster_entry_decode(const char *buf, size_t len,
                                    struct cluster_entry *out);

void cluster_entry_cleanup(struct cluster_entry *e);

/* ---- a node's state machine alone, for libraft's test fixture ---------- */

struct raft;
struct raft_fsm;
struct wenda_auth;
struct wenda_store;

/*
 * Opens the state machine of node id over the database at db_path (its
 * token key beside it, in auth), with no loop, Raft or thread: *fsm is
 * what raft_fixture_grow() or raft_init() takes.  Attach the Raft it runs
 * under before it applies anything.  NULL with why in msg on failure.
 */
struct cluster *cluster_fsm_new(unsigned int id, const char *db_path,
                                struct wenda_auth *auth,
                                struct raft_fsm **fsm, char *msg, size_t cap);
void cluster_fsm_attach(struct cluster *c, struct raft *r);
struct wenda_store *cluster_fsm_store(struct cluster *c);
void cluster_fsm_free(struct cluster *c);

/* Returns a seed entry of the node's database as it is (malloc'ed, *len
 * bytes, a multiple of 8), or NULL. */
char *cluster_fsm_seed(struct cluster *c, size_t *len);

#endif /* WENDA_CLUSTER_INT_H */
