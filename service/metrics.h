/*
 * metrics.h -- request counters for GET /metrics (Prometheus text format).
 *
 * Every I/O thread counts into a block of its own (registered once, on the
 * thread's first request), so counting takes no lock and shares no cache
 * line; /metrics sums the blocks.  The counters are relaxed atomics so
 * that the sum may be read from another thread while they move.
 */
#ifndef WENDA_METRICS_H
#define WENDA_METRICS_H

#include <stddef.h>

#include "buf.h"

#define METRICS_MAX_ROUTES 32

/*
 * Declares the routes, by name ("/v1/topics/{id}"), in the order of their
 * index; index n (one past the last) counts requests that matched none.
 * Call once before serving; names are borrowed for the process's life.
 */
void metrics_init(const char *const *routes, size_t n);

/* Counts one answered request: its route index, status, and duration. */
void metrics_request(size_t route, unsigned int status, unsigned long usec);

/* A request starts or ends (the in-flight gauge, which the drain reads). */
void metrics_request_begin(void);
void metrics_request_end(void);

/* Returns the number of requests begun and not yet ended. */
long metrics_in_flight(void);

/* A connection opens or closes. */
void metrics_connection(int opened);

/* Connections closed because their request was not in within the idle
 * timeout (a slow client). */
void metrics_request_timeouts(unsigned long n);

/* Names the function /metrics asks for the write queue's depth (fn NULL:
 * none).  Once it returns, the previous function is no longer called, so
 * its context may be freed. */
void metrics_queue_depth_source(size_t (*fn)(const void *ctx),
                                const void *ctx);

/* A search had to wait for a slot; a search got none in time (503). */
/*
 * Counts a checkpoint of the write-ahead log by its result ("truncated",
 * "busy" or "failed") and notes the frames the log still holds.
 */
void metrics_checkpoint(const char *result, long frames_left);

/*
 * Makes /metrics report the size of db_path's write-ahead log (db_path
 * "-wal"), read when rendered; NULL stops it.  The string is copied.
 */
void metrics_wal_path(const char *db_path);

void metrics_search_waited(void);
void metrics_search_rejected(void);

/*
 * Appends every metric in the Prometheus text exposition format (0.0.4)
 * to out.
 */
void metrics_render(struct buf *out);

struct cluster_status;

/*
 * Appends the gauges of a cluster node's Raft state s to out, in the same
 * format: its term, its role (one series per role, 1 for the current one),
 * the commit and applied indexes and their difference, and the leader's
 * id (0: none known).
 */
void metrics_render_raft(struct buf *out, const struct cluster_status *s);

#endif /* WENDA_METRICS_H */
