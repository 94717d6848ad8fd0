/*
 * cluster_int.h -- what the cluster's own files share: the log entry.
 */
#ifndef WENDA_CLUSTER_INT_H
#define WENDA_CLUSTER_INT_H

#include <pthread.h>
#include <raft.h>
#include <raft/uv.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "cluster.h"
#include "wenda/auth.h"
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

/* ---- a node: what cluster.c (the loop) and cluster_fsm.c share -------- */

#define SEED_MAX ((size_t)32 << 20)   /* the largest seed, in bytes */
#define IMAGE_HEAD (4 + WENDA_AUTH_KEY_LEN + 8)
/* libraft sends an entry as it is but reads it padded to 8 bytes: every
 * entry is made a multiple of 8 long, with NULs. */
#define ROUND8(n) (((n) + 7) & ~(size_t)7)
#define LOG_PAGES 1000           /* the log is emptied past this */
#define LOG_WAIT_MS 100

/* libraft's TCP transport, with host names (cluster_net.c). */
struct resolve;
struct cluster_net {
    struct raft_uv_transport outer;   /* what raft_uv_init() is given */
    struct raft_uv_transport tcp;     /* libraft's, IPv4 literals only */
    uv_loop_t *loop;
    struct resolve *pending;          /* names being resolved */
    raft_uv_accept_cb accept_cb;
    raft_uv_transport_close_cb close_cb;
    int closing, tcp_closing;
    char own[CLUSTER_ADDRESS_CAP];    /* this node's name, resolved */
};

/* Makes net a transport on loop; cluster_net_close() frees it once it is
 * closed (after raft_close()). */
int cluster_net_init(struct cluster_net *net, uv_loop_t *loop);
void cluster_net_close(struct cluster_net *net);

/* A batch handed in by the writer, waiting for the loop. */
struct batch {
    struct write_job **jobs;
    size_t n;
    struct batch *next;
};

/* What this node proposed and has not answered yet (loop thread only). */
struct pending {
    struct raft_apply apply;
    struct raft_change change;
    struct cluster *c;
    uint64_t seq;
    struct write_job **jobs;   /* n, answered when the entry is applied */
    size_t n;
    int done;                  /* the results are in the jobs */
    char kind;                 /* CLUSTER_ENTRY_*, or 'A' add, 'R' remove */
    unsigned int node;         /* add, remove: the node's id */
    struct pending *next;
};

struct cluster {
    unsigned int id;
    char *raft_address, *peers, *raft_dir, *advertise_url, *db_path;
    char key_path[4096];
    struct wenda_auth *auth;

    uv_loop_t loop;
    uv_async_t wake;
    uv_timer_t look;
    struct cluster_net net;
    struct raft_io io;
    struct raft_fsm fsm;
    struct raft raft;
    struct raft *r;            /* &raft, or a test fixture's */
    pthread_t thread;

    /* Loop thread only. */
    struct wenda_store *st;    /* the state machine's connection */
    uint64_t applied_db;       /* the last entry in the database */
    uint64_t boot, seq;
    struct pending *pending;
    int seed_inflight, url_inflight, closing;
    int stopped;               /* cluster_stop() is done (main thread) */
    int grown;                 /* every peer of --peers is a voter */
    int grow_inflight;
    struct raft_change grow_change;
    char grown_path[4096];     /* the file that says grown */

    /* Guarded by lock. */
    pthread_mutex_t lock;
    pthread_cond_t changed;    /* applied moved, or a job was answered */
    struct batch *inbox, **inbox_tail;
    size_t inflight;           /* jobs handed in, not yet answered */
    size_t batches;            /* batches handed in, not yet answered */
    int stopping;
    struct cluster_status status;
    _Atomic uint64_t applied;  /* status.applied_index, read without lock */
    unsigned int url_ids[CLUSTER_MAX_NODES];
    char urls[CLUSTER_MAX_NODES][CLUSTER_URL_CAP];
    size_t nurls;
};

struct wenda_store;

/* Allocates a node's state without its Raft; cluster_free() undoes. */
struct cluster *cluster_new(unsigned int id, const char *db_path,
                            struct wenda_auth *auth);
void cluster_free(struct cluster *c);

/* Opens the node's database, and reads what it has applied (fsm). */
enum wenda_err cluster_open_state(struct cluster *c, char *msg, size_t cap);

/* Sets c->fsm up to apply entries to c's database (fsm). */
void cluster_fsm_setup(struct cluster *c);

/* Reads the nodes' URLs from the database into the published table
 * (fsm); copies node id's URL to out ("" when unknown), lock held. */
void cluster_load_urls(struct cluster *c);
void cluster_url_of(const struct cluster *c, unsigned int id, char *out,
                    size_t cap);

/* Makes an image of the database with the key, after the type byte prefix
 * unless it is 0: raft_malloc'ed, a multiple of 8 long (fsm). */
int cluster_make_image(struct cluster *c, char prefix,
                       struct raft_buffer *out);

/* The batch of this node's named eid, still waiting for its entry. */
struct pending *cluster_pending_find(struct cluster *c,
                                     const struct cluster_entry_id *eid);

/* Publishes libraft's state for the other threads (loop thread). */
void cluster_publish(struct cluster *c);

/* ---- a node's state machine alone, for libraft's test fixture ---------- */

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
