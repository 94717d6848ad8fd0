/*
 * pool.h -- a bounded job queue and the worker threads that drain it.
 *
 * A struct wenda_queue is a fixed-size FIFO of opaque job pointers shared
 * by any number of producer and consumer threads.  Write handlers push a
 * job without waiting and answer 503 when the queue is full; the writer
 * takes jobs in batches so that one transaction commits many of them
 * (group commit).  Closing the queue is how shutdown is told: pushes fail
 * from then on, while pops still hand out every job pushed before the
 * close, and return 0 once none is left.
 *
 * A struct wenda_pool is a set of threads that take batches from a queue
 * and give each batch to a callback, until the queue is closed and empty.
 *
 * The queue never owns the jobs: it stores the pointers it is given and
 * hands the same pointers out again.  NULL is a valid job.
 */
#ifndef WENDA_POOL_H
#define WENDA_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "wenda/err.h"

/* Limits beyond which an argument is taken for a bug, not a wish. */
#define WENDA_QUEUE_MAX_CAPACITY ((size_t)1 << 20)
#define WENDA_POOL_MAX_THREADS 256u
#define WENDA_POOL_MAX_BATCH ((size_t)4096)

struct wenda_queue;
struct wenda_pool;

/*
 * Creates an empty, open queue that holds at most capacity jobs.  On
 * success *out is the queue, to be freed with wenda_queue_free(); on
 * failure *out is NULL (when out is not NULL).  WENDA_ERR_INVALID when out
 * is NULL or capacity is 0 or above WENDA_QUEUE_MAX_CAPACITY;
 * WENDA_ERR_NOMEM when memory runs out.
 */
enum wenda_err wenda_queue_new(size_t capacity, struct wenda_queue **out);

/*
 * Frees q; NULL is fine.  No thread may be inside, or later enter, any
 * call on q.  Jobs still queued are dropped, not freed: they belong to the
 * caller, who drains the queue first (close it, then pop with timeout 0
 * until 0 comes back) when they hold memory.
 */
void wenda_queue_free(struct wenda_queue *q);

/*
 * Appends job at the tail of q.  When q is full, waits for room at most
 * timeout_ms milliseconds: 0 does not wait, a negative value waits for as
 * long as it takes.  Returns WENDA_OK when the job was added, in which case
 * a consumer will receive it exactly once; WENDA_ERR_UNAVAILABLE when q is
 * still full at the deadline or is closed (before or during the wait), in
 * which case the job was not added and stays the caller's;
 * WENDA_ERR_INVALID when q is NULL.
 */
enum wenda_err wenda_queue_push(struct wenda_queue *q, void *job,
                                int timeout_ms);

/*
 * Moves up to max jobs from the head of q into jobs[0..], oldest first,
 * and returns how many it moved.  When q is empty, waits for the first job
 * at most timeout_ms milliseconds (0 does not wait, a negative value waits
 * for as long as it takes), then takes whatever is there, never waiting
 * for a batch to fill.  Returns 0 when the deadline passes with q still
 * empty, when q is closed and empty (jobs pushed before the close are
 * handed out first), and when q or jobs is NULL or max is 0.  With a
 * negative timeout, 0 therefore means "closed and drained": a consumer's
 * cue to exit.
 */
size_t wenda_queue_pop_batch(struct wenda_queue *q, void **jobs, size_t max,
                             int timeout_ms);

/*
 * Closes q and wakes every thread waiting in a push or a pop.  Pushes fail
 * with WENDA_ERR_UNAVAILABLE from then on; pops hand out the jobs left,
 * then return 0.  Closing twice is harmless; NULL is fine.
 */
void wenda_queue_close(struct wenda_queue *q);

/*
 * The following read q without taking its lock, for /metrics and for
 * tests: each value was true at some instant during the call and may be
 * stale by the time the caller looks at it.  q must not be NULL.
 */

/* Returns the number of jobs in q: pushes so far minus jobs popped. */
size_t wenda_queue_depth(const struct wenda_queue *q);

/* Returns the capacity q was created with. */
size_t wenda_queue_capacity(const struct wenda_queue *q);

/* Returns true once wenda_queue_close() has been called on q. */
bool wenda_queue_closed(const struct wenda_queue *q);

/*
 * Returns the number of threads blocked in wenda_queue_pop_batch() waiting
 * for a job (idle consumers), and in wenda_queue_push() waiting for room
 * (producers held back by a full queue).  A thread counts from the moment
 * it starts to wait, with the queue's lock held, until it wakes; so once a
 * waiter is counted, any later push, pop or close reaches it.
 */
size_t wenda_queue_consumers_waiting(const struct wenda_queue *q);
size_t wenda_queue_producers_waiting(const struct wenda_queue *q);

/*
 * Receives one batch: n jobs (1 <= n <= the pool's max_batch), oldest
 * first.  jobs[] is borrowed for the duration of the call; the jobs
 * themselves are whatever the producers pushed, and the callback decides
 * what becomes of them.  Batches given to different threads of a pool may
 * run at the same time.
 */
typedef void (*wenda_batch_fn)(void *ctx, void **jobs, size_t n);

/*
 * Starts nthreads threads that each take up to max_batch jobs at a time
 * from q and call fn(ctx, jobs, n) with them, until q is closed and empty.
 * The threads inherit the caller's signal mask.  q stays the caller's and
 * must outlive the pool.  On success *out is the pool, to be stopped with
 * wenda_pool_stop(); on failure *out is NULL (when out is not NULL), no
 * thread is left running, fn has not been called and q is untouched.
 * WENDA_ERR_INVALID when q, fn or out is NULL, nthreads is 0 or above
 * WENDA_POOL_MAX_THREADS, or max_batch is 0 or above WENDA_POOL_MAX_BATCH;
 * WENDA_ERR_NOMEM when memory or threads run out.
 */
enum wenda_err wenda_pool_start(struct wenda_queue *q, unsigned int nthreads,
                                size_t max_batch, wenda_batch_fn fn, void *ctx,
                                struct wenda_pool **out);

/*
 * Closes the pool's queue, lets the threads give every job already queued
 * to fn, waits for them to exit and frees the pool; NULL is fine.  When it
 * returns, the queue is closed and empty and fn is no longer running; the
 * queue itself is still the caller's to free.  Must not be called from fn
 * (the thread would wait for itself).
 */
void wenda_pool_stop(struct wenda_pool *p);

#endif /* WENDA_POOL_H */
