/*
 * metrics.c -- per-thread request counters, summed for GET /metrics.
 *
 * A thread's block is found through a thread-local pointer and registered
 * in a list under a mutex the first time the thread counts anything; from
 * then on counting is a relaxed atomic add on memory only that thread
 * writes.  Blocks live until the process ends (threads are few and fixed:
 * libmicrohttpd's pool), so /metrics can read a block whose thread is gone.
 */
#include "metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cluster.h"

/* Statuses counted by name; the rest count as "other". */
static const unsigned int statuses[] = {200, 304, 400, 404, 405,
                                        413, 414, 431, 500, 503};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]) + 1)

/* Latency bucket upper bounds, in microseconds (then +Inf). */
static const unsigned long buckets[] = {100,   250,   500,    1000,  2500,
                                        5000,  10000, 25000,  50000, 100000,
                                        250000, 1000000};
#define NBUCKET (sizeof(buckets) / sizeof(buckets[0]) + 1)

struct block {
    atomic_ulong requests[METRICS_MAX_ROUTES + 1][NSTATUS];
    atomic_ulong latency[METRICS_MAX_ROUTES + 1][NBUCKET];
    atomic_ulong latency_sum_us[METRICS_MAX_ROUTES + 1];
    struct block *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct block *blocks;            /* guarded by lock */
static _Thread_local struct block *mine;

static const char *const *route_names;
static size_t nroutes;

static atomic_long in_flight;
static atomic_long connections;
static atomic_ulong search_waits;
/* The write queue's depth: the function and its context, and a lock that
 * is held while they are called, so that the source can be taken away. */
static pthread_mutex_t depth_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t (*depth_fn)(const void *ctx);
static const void *depth_ctx;

void
metrics_queue_depth_source(size_t (*fn)(const void *ctx), const void *ctx)
{
    pthread_mutex_lock(&depth_lock);
    depth_fn = fn;
    depth_ctx = ctx;
    pthread_mutex_unlock(&depth_lock);
}
static atomic_ulong search_rejects;
static atomic_ulong request_timeouts;

/* Checkpoints of the write-ahead log by result, the frames it held after
 * the last one, and where it is (set before the threads start). */
static const char *const checkpoint_results[] = {"truncated", "busy",
                                                 "failed"};
#define NCHECKPOINT \
    (sizeof(checkpoint_results) / sizeof(checkpoint_results[0]))
static atomic_ulong checkpoints[NCHECKPOINT];
static atomic_long log_frames_left;
static char wal_path[4096];

/* The blocks summed for one render (see metrics_render()). */
struct totals {
    unsigned long req[METRICS_MAX_ROUTES + 1][NSTATUS];
    unsigned long lat[METRICS_MAX_ROUTES + 1][NBUCKET];
    unsigned long sum[METRICS_MAX_ROUTES + 1];
};
static struct totals totals;            /* guarded by render_lock */
static pthread_mutex_t render_lock = PTHREAD_MUTEX_INITIALIZER;

static struct block *block(void);
static void render_log(struct buf *out);
static const char *route_label(size_t r);
static void sum_blocks(struct totals *t);
static void render_requests(struct buf *out, const struct totals *t);
static void render_latency(struct buf *out, const struct totals *t);
static void render_queue_depth(struct buf *out);
static void render_process(struct buf *out);

void
metrics_init(const char *const *routes, size_t n)
{
    route_names = routes;
    nroutes = n < METRICS_MAX_ROUTES ? n : METRICS_MAX_ROUTES;
}

/* Returns the calling thread's block, registering it on first use; NULL
 * when out of memory (the request then goes uncounted). */
static struct block *
block(void)
{
    struct block *b;

    if (mine != NULL)
        return mine;
    b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    pthread_mutex_lock(&lock);
    b->next = blocks;
    blocks = b;
    pthread_mutex_unlock(&lock);
    mine = b;
    return b;
}

void
metrics_request(size_t route, unsigned int status, unsigned long usec)
{
    struct block *b = block();
    size_t s, k;

    if (b == NULL)
        return;
    if (route > nroutes)
        route = nroutes;
    for (s = 0; s < NSTATUS - 1 && statuses[s] != status; s++)
        ;
    for (k = 0; k < NBUCKET - 1 && usec > buckets[k]; k++)
        ;
    atomic_fetch_add_explicit(&b->requests[route][s], 1,
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&b->latency[route][k], 1,
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&b->latency_sum_us[route], usec,
                              memory_order_relaxed);
}

void
metrics_request_begin(void)
{
    atomic_fetch_add_explicit(&in_flight, 1, memory_order_relaxed);
}

void
metrics_request_end(void)
{
    atomic_fetch_sub_explicit(&in_flight, 1, memory_order_relaxed);
}

long
metrics_in_flight(void)
{
    return atomic_load_explicit(&in_flight, memory_order_relaxed);
}

void
metrics_connection(int opened)
{
    atomic_fetch_add_explicit(&connections, opened ? 1 : -1,
                              memory_order_relaxed);
}

void
metrics_request_timeouts(unsigned long n)
{
    atomic_fetch_add_explicit(&request_timeouts, n, memory_order_relaxed);
}

void
metrics_checkpoint(const char *result, long frames_left)
{
    size_t i;

    for (i = 0; i < NCHECKPOINT; i++)
        if (strcmp(result, checkpoint_results[i]) == 0)
            atomic_fetch_add_explicit(&checkpoints[i], 1,
                                      memory_order_relaxed);
    atomic_store_explicit(&log_frames_left, frames_left,
                          memory_order_relaxed);
}

void
metrics_wal_path(const char *db_path)
{
    if (db_path == NULL ||
        snprintf(wal_path, sizeof(wal_path), "%s-wal", db_path) >=
            (int)sizeof(wal_path))
        wal_path[0] = '\0';
}

/* Adds the write-ahead log's size and checkpoint counts to out. */
static void
render_log(struct buf *out)
{
    struct stat sb;
    size_t i;

    if (wal_path[0] == '\0')
        return;
    wenda_buf_addf(out,
                   "# HELP wenda_wal_bytes Size of the database's write-"
                   "ahead log on disk.\n# TYPE wenda_wal_bytes gauge\n"
                   "wenda_wal_bytes %lld\n",
                   stat(wal_path, &sb) == 0 ? (long long)sb.st_size : 0LL);
    wenda_buf_adds(out, "# HELP wenda_wal_checkpoints_total Checkpoints of the "
                        "write-ahead log: truncated (copied and emptied), busy "
                        "(readers held it past the wait), failed.\n"
                        "# TYPE wenda_wal_checkpoints_total counter\n");
    for (i = 0; i < NCHECKPOINT; i++)
        wenda_buf_addf(
            out, "wenda_wal_checkpoints_total{result=\"%s\"} %lu\n",
            checkpoint_results[i],
            atomic_load_explicit(&checkpoints[i], memory_order_relaxed));
    wenda_buf_addf(
        out,
        "# HELP wenda_wal_frames Frames the write-ahead log held "
        "after its last checkpoint.\n# TYPE wenda_wal_frames gauge\n"
        "wenda_wal_frames %ld\n",
        atomic_load_explicit(&log_frames_left, memory_order_relaxed));
}

void
metrics_search_waited(void)
{
    atomic_fetch_add_explicit(&search_waits, 1, memory_order_relaxed);
}

void
metrics_search_rejected(void)
{
    atomic_fetch_add_explicit(&search_rejects, 1, memory_order_relaxed);
}

/* Returns the label of route r: its name, or "other" past the last. */
static const char *
route_label(size_t r)
{
    return r < nroutes ? route_names[r] : "other";
}

/* Sums the blocks' counters into *t, under the blocks' lock. */
static void
sum_blocks(struct totals *t)
{
    const struct block *b;
    size_t r, s, k;

    for (r = 0; r <= nroutes; r++) {
        for (s = 0; s < NSTATUS; s++)
            t->req[r][s] = 0;
        for (k = 0; k < NBUCKET; k++)
            t->lat[r][k] = 0;
        t->sum[r] = 0;
    }
    pthread_mutex_lock(&lock);
    for (b = blocks; b != NULL; b = b->next) {
        for (r = 0; r <= nroutes; r++) {
            for (s = 0; s < NSTATUS; s++)
                t->req[r][s] += atomic_load_explicit(&b->requests[r][s],
                                                     memory_order_relaxed);
            for (k = 0; k < NBUCKET; k++)
                t->lat[r][k] += atomic_load_explicit(&b->latency[r][k],
                                                     memory_order_relaxed);
            t->sum[r] += atomic_load_explicit(&b->latency_sum_us[r],
                                              memory_order_relaxed);
        }
    }
    pthread_mutex_unlock(&lock);
}

/* Adds the requests answered, by route and status, to out. */
static void
render_requests(struct buf *out, const struct totals *t)
{
    size_t r, s;

    wenda_buf_adds(out,
                   "# HELP wenda_requests_total HTTP requests answered, by "
                   "route and status.\n"
                   "# TYPE wenda_requests_total counter\n");
    for (r = 0; r <= nroutes; r++) {
        for (s = 0; s < NSTATUS; s++) {
            if (t->req[r][s] == 0)
                continue;
            if (s < NSTATUS - 1)
                wenda_buf_addf(
                    out,
                    "wenda_requests_total{route=\"%s\",status=\"%u\"}"
                    " %lu\n",
                    route_label(r), statuses[s], t->req[r][s]);
            else
                wenda_buf_addf(out,
                               "wenda_requests_total{route=\"%s\",status="
                               "\"other\"} %lu\n",
                               route_label(r), t->req[r][s]);
        }
    }
}

/* Adds the histogram of request durations, by route, to out. */
static void
render_latency(struct buf *out, const struct totals *t)
{
    size_t r, k;

    wenda_buf_adds(out, "# HELP wenda_request_duration_seconds Time from the "
                        "request's headers to its response, by route.\n"
                        "# TYPE wenda_request_duration_seconds histogram\n");
    for (r = 0; r <= nroutes; r++) {
        unsigned long cum = 0;

        for (k = 0; k < NBUCKET; k++)
            cum += t->lat[r][k];
        if (cum == 0)
            continue;
        cum = 0;
        for (k = 0; k < NBUCKET; k++) {
            cum += t->lat[r][k];
            if (k < NBUCKET - 1)
                wenda_buf_addf(out,
                               "wenda_request_duration_seconds_bucket{route="
                               "\"%s\",le=\"%g\"} %lu\n",
                               route_label(r), (double)buckets[k] / 1e6, cum);
            else
                wenda_buf_addf(out,
                               "wenda_request_duration_seconds_bucket{route="
                               "\"%s\",le=\"+Inf\"} %lu\n",
                               route_label(r), cum);
        }
        wenda_buf_addf(out,
                       "wenda_request_duration_seconds_sum{route=\"%s\"} "
                       "%.6f\n",
                       route_label(r), (double)t->sum[r] / 1e6);
        wenda_buf_addf(out,
                       "wenda_request_duration_seconds_count{route=\"%s\"} "
                       "%lu\n",
                       route_label(r), cum);
    }
}

/* Adds the write queue's depth to out, when there is a writer to ask. */
static void
render_queue_depth(struct buf *out)
{
    pthread_mutex_lock(&depth_lock);
    if (depth_fn != NULL)
        wenda_buf_addf(out,
                       "# HELP wenda_write_queue_depth Writes waiting for "
                       "the writer.\n# TYPE wenda_write_queue_depth gauge\n"
                       "wenda_write_queue_depth %zu\n",
                       depth_fn(depth_ctx));
    pthread_mutex_unlock(&depth_lock);
}

/* Adds the gauges and counters of the whole process to out: requests in
 * flight, open connections, search slot waits and refusals, timeouts. */
static void
render_process(struct buf *out)
{
    wenda_buf_addf(
        out,
        "# HELP wenda_requests_in_flight Requests begun and not yet "
        "answered.\n"
        "# TYPE wenda_requests_in_flight gauge\n"
        "wenda_requests_in_flight %ld\n"
        "# HELP wenda_connections_open Open client connections.\n"
        "# TYPE wenda_connections_open gauge\n"
        "wenda_connections_open %ld\n"
        "# HELP wenda_search_slot_waits_total Searches that had to wait "
        "for a search slot.\n"
        "# TYPE wenda_search_slot_waits_total counter\n"
        "wenda_search_slot_waits_total %lu\n"
        "# HELP wenda_search_rejected_total Searches answered 503 "
        "because no slot freed in time.\n"
        "# TYPE wenda_search_rejected_total counter\n"
        "wenda_search_rejected_total %lu\n"
        "# HELP wenda_request_timeouts_total Connections closed because "
        "a request was not in full within the idle timeout.\n"
        "# TYPE wenda_request_timeouts_total counter\n"
        "wenda_request_timeouts_total %lu\n",
        atomic_load_explicit(&in_flight, memory_order_relaxed),
        atomic_load_explicit(&connections, memory_order_relaxed),
        atomic_load_explicit(&search_waits, memory_order_relaxed),
        atomic_load_explicit(&search_rejects, memory_order_relaxed),
        atomic_load_explicit(&request_timeouts, memory_order_relaxed));
}

void
metrics_render(struct buf *out)
{
    /* One render at a time: the totals are static to keep them off the
     * I/O thread's stack. */
    pthread_mutex_lock(&render_lock);
    sum_blocks(&totals);
    render_requests(out, &totals);
    render_latency(out, &totals);
    pthread_mutex_unlock(&render_lock);
    render_queue_depth(out);
    render_log(out);
    render_process(out);
}

void
metrics_render_raft(struct buf *out, const struct cluster_status *s)
{
    /* The names cluster_role_name() gives, here again: the writer, which
     * the cluster calls, counts in this module, so this one calls none of
     * the cluster's functions (the modules' calls have no cycle). */
    static const struct {
        enum cluster_role role;
        const char *name;
    } roles[] = {{CLUSTER_LEADER, "leader"},
                 {CLUSTER_FOLLOWER, "follower"},
                 {CLUSTER_CANDIDATE, "candidate"},
                 {CLUSTER_UNAVAILABLE, "unavailable"}};
    size_t i;

    wenda_buf_addf(out,
                   "# HELP wenda_raft_term The Raft term this node is in.\n"
                   "# TYPE wenda_raft_term gauge\n"
                   "wenda_raft_term %llu\n",
                   (unsigned long long)s->term);
    wenda_buf_adds(out, "# HELP wenda_raft_role This node's Raft role: 1 "
                        "for the current one, 0 for the others.\n"
                        "# TYPE wenda_raft_role gauge\n");
    for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        wenda_buf_addf(out, "wenda_raft_role{role=\"%s\"} %d\n",
                       roles[i].name, s->role == roles[i].role);
    wenda_buf_addf(
        out,
        "# HELP wenda_raft_commit_index The index of the last log entry "
        "this node knows a majority has.\n"
        "# TYPE wenda_raft_commit_index gauge\n"
        "wenda_raft_commit_index %llu\n"
        "# HELP wenda_raft_applied_index The index of the last log entry "
        "this node applied to its database.\n"
        "# TYPE wenda_raft_applied_index gauge\n"
        "wenda_raft_applied_index %llu\n"
        "# HELP wenda_raft_lag Log entries committed and not yet applied "
        "here.\n"
        "# TYPE wenda_raft_lag gauge\n"
        "wenda_raft_lag %llu\n"
        "# HELP wenda_raft_leader_id The id of the leader this node knows, "
        "0 for none.\n"
        "# TYPE wenda_raft_leader_id gauge\n"
        "wenda_raft_leader_id %u\n",
        (unsigned long long)s->commit_index,
        (unsigned long long)s->applied_index,
        (unsigned long long)(s->commit_index > s->applied_index
                                 ? s->commit_index - s->applied_index
                                 : 0),
        s->leader_id);
}
