/*
 * pool.c -- a bounded many-producer, many-consumer job queue, and the
 * worker threads that drain it in batches.
 *
 * The queue is a ring buffer of void pointers behind one mutex and two
 * condition variables: consumers wait on not_empty, producers on not_full.
 * It is bounded on purpose.  An unbounded queue turns overload into memory
 * growth and ever longer waits for every client; a bounded one turns it
 * into a prompt 503 that the client can retry, and caps how much
 * acknowledged-later work a crash or a shutdown has to deal with.
 *
 * Consumers take batches because the writer's cost is per transaction,
 * not per row: with synchronous=FULL each commit waits for the disk, so
 * committing every job queued since the last commit in one transaction
 * (group commit) makes throughput grow with load instead of collapsing
 * under it.  A pop never waits for a batch to fill -- it takes what is
 * there as soon as there is something -- so batching adds no latency when
 * the queue is quiet.
 *
 * Shutdown is a state of the queue, not a message in it: wenda_queue_close()
 * sets a flag and broadcasts both condition variables.  Producers fail from
 * then on; consumers keep taking jobs until the queue is empty and only
 * then see 0, so every job that was accepted (and whose client is waiting
 * for an answer) is still processed.  A pool's threads loop on a pop that
 * waits forever and exit on that 0, so stopping a pool is: close, join.
 *
 * Timed waits use CLOCK_MONOTONIC (pthread_condattr_setclock) so that a
 * clock step cannot shorten or stretch them.  Wake-ups follow the
 * condition, never a timer: no thread polls.  A pop that leaves jobs
 * behind passes the signal on to the next consumer, and a pop that frees
 * several slots wakes every waiting producer, so that no wake-up is lost
 * when consumers take fewer jobs than were signalled.
 *
 * The counters read by the lock-free accessors (depth, waiters, closed)
 * are atomics written under the lock, so that /metrics never contends with
 * the writer and ThreadSanitizer sees no race.
 */
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

struct wenda_queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty; /* signalled when a job arrives or on close */
    pthread_cond_t not_full;  /* signalled when room frees or on close */
    void **ring;              /* capacity slots */
    size_t capacity;          /* immutable after wenda_queue_new() */
    size_t head;              /* slot of the oldest job; under lock */
    size_t count;             /* jobs in the ring; under lock */
    bool closed;              /* under lock */
    /* Mirrors for the lock-free accessors; written under lock only. */
    atomic_size_t depth;
    atomic_size_t consumers_waiting;
    atomic_size_t producers_waiting;
    atomic_bool closed_seen;
};

struct pool_worker {
    struct wenda_pool *pool;
    void **jobs; /* max_batch slots, this thread's own */
    pthread_t thread;
};

struct wenda_pool {
    struct wenda_queue *q;
    wenda_batch_fn fn;
    void *ctx;
    size_t max_batch;
    /*
     * The start gate: wenda_pool_start() holds it while it creates the
     * threads, and each thread passes through it before touching the
     * queue, so that a failed start can send the threads it did create
     * home without a job taken.
     */
    pthread_mutex_t gate;
    bool aborted;          /* under gate */
    unsigned int nthreads; /* threads created */
    void **slots;          /* nthreads * max_batch job slots */
    struct pool_worker workers[];
};

static enum wenda_err errno_to_err(int e);
static void deadline_after(int timeout_ms, struct timespec *ts);
static bool wait_on(pthread_cond_t *cond, pthread_mutex_t *lock, int timeout_ms,
                    const struct timespec *deadline);
static void *worker_main(void *arg);

/* ---- helpers ------------------------------------------------------------ */

/* Maps an errno value from a pthread call to an enum wenda_err. */
static enum wenda_err
errno_to_err(int e)
{
    return e == ENOMEM || e == EAGAIN ? WENDA_ERR_NOMEM : WENDA_ERR_INTERNAL;
}

/* Sets *ts to timeout_ms (> 0) milliseconds from now on CLOCK_MONOTONIC. */
static void
deadline_after(int timeout_ms, struct timespec *ts)
{
    (void)clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec += 1;
        ts->tv_nsec -= 1000000000L;
    }
}

/*
 * Waits once on cond: forever when timeout_ms < 0, else until deadline.
 * Returns false when the deadline has passed (or the wait failed, which
 * only a bug can cause: better an early timeout than a spin).  The caller
 * re-checks its condition in either case (wake-ups may be spurious, and a
 * wake-up that races with the deadline must not be lost).
 */
static bool
wait_on(pthread_cond_t *cond, pthread_mutex_t *lock, int timeout_ms,
        const struct timespec *deadline)
{
    if (timeout_ms < 0) {
        (void)pthread_cond_wait(cond, lock);
        return true;
    }
    return pthread_cond_timedwait(cond, lock, deadline) == 0;
}

/* ---- queue -------------------------------------------------------------- */

enum wenda_err
wenda_queue_new(size_t capacity, struct wenda_queue **out)
{
    struct wenda_queue *q;
    pthread_condattr_t attr;
    enum wenda_err rc;
    int e, have_lock = 0, have_empty = 0, have_full = 0;

    if (out == NULL)
        return WENDA_ERR_INVALID;
    *out = NULL;
    if (capacity == 0 || capacity > WENDA_QUEUE_MAX_CAPACITY)
        return WENDA_ERR_INVALID;

    q = calloc(1, sizeof(*q));
    if (q == NULL)
        return WENDA_ERR_NOMEM;
    q->ring = calloc(capacity, sizeof(*q->ring));
    if (q->ring == NULL) {
        free(q);
        return WENDA_ERR_NOMEM;
    }
    q->capacity = capacity;
    atomic_init(&q->depth, 0);
    atomic_init(&q->consumers_waiting, 0);
    atomic_init(&q->producers_waiting, 0);
    atomic_init(&q->closed_seen, false);

    e = pthread_condattr_init(&attr);
    if (e != 0) {
        free(q->ring);
        free(q);
        return errno_to_err(e);
    }
    e = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (e == 0) {
        e = pthread_mutex_init(&q->lock, NULL);
        have_lock = e == 0;
    }
    if (e == 0) {
        e = pthread_cond_init(&q->not_empty, &attr);
        have_empty = e == 0;
    }
    if (e == 0) {
        e = pthread_cond_init(&q->not_full, &attr);
        have_full = e == 0;
    }
    (void)pthread_condattr_destroy(&attr);
    if (e != 0) {
        rc = errno_to_err(e);
        goto cleanup;
    }
    *out = q;
    return WENDA_OK;

cleanup:
    if (have_full)
        (void)pthread_cond_destroy(&q->not_full);
    if (have_empty)
        (void)pthread_cond_destroy(&q->not_empty);
    if (have_lock)
        (void)pthread_mutex_destroy(&q->lock);
    free(q->ring);
    free(q);
    return rc;
}

void
wenda_queue_free(struct wenda_queue *q)
{
    if (q == NULL)
        return;
    (void)pthread_cond_destroy(&q->not_full);
    (void)pthread_cond_destroy(&q->not_empty);
    (void)pthread_mutex_destroy(&q->lock);
    free(q->ring);
    free(q);
}

enum wenda_err
wenda_queue_push(struct wenda_queue *q, void *job, int timeout_ms)
{
    struct timespec deadline = {0, 0};
    enum wenda_err rc = WENDA_OK;

    if (q == NULL)
        return WENDA_ERR_INVALID;
    if (timeout_ms > 0)
        deadline_after(timeout_ms, &deadline);

    (void)pthread_mutex_lock(&q->lock);
    if (!q->closed && q->count == q->capacity && timeout_ms != 0) {
        bool in_time = true;

        atomic_fetch_add(&q->producers_waiting, 1);
        while (!q->closed && q->count == q->capacity && in_time)
            in_time = wait_on(&q->not_full, &q->lock, timeout_ms, &deadline);
        atomic_fetch_sub(&q->producers_waiting, 1);
    }
    if (q->closed || q->count == q->capacity) {
        rc = WENDA_ERR_UNAVAILABLE;
    } else {
        q->ring[(q->head + q->count) % q->capacity] = job;
        q->count++;
        atomic_store_explicit(&q->depth, q->count, memory_order_relaxed);
        (void)pthread_cond_signal(&q->not_empty);
    }
    (void)pthread_mutex_unlock(&q->lock);
    return rc;
}

size_t
wenda_queue_pop_batch(struct wenda_queue *q, void **jobs, size_t max,
                      int timeout_ms)
{
    struct timespec deadline = {0, 0};
    size_t i, n;

    if (q == NULL || jobs == NULL || max == 0)
        return 0;
    if (timeout_ms > 0)
        deadline_after(timeout_ms, &deadline);

    (void)pthread_mutex_lock(&q->lock);
    if (!q->closed && q->count == 0 && timeout_ms != 0) {
        bool in_time = true;

        atomic_fetch_add(&q->consumers_waiting, 1);
        while (!q->closed && q->count == 0 && in_time)
            in_time = wait_on(&q->not_empty, &q->lock, timeout_ms, &deadline);
        atomic_fetch_sub(&q->consumers_waiting, 1);
    }
    n = q->count < max ? q->count : max;
    for (i = 0; i < n; i++) {
        jobs[i] = q->ring[q->head];
        q->ring[q->head] = NULL;
        q->head = (q->head + 1) % q->capacity;
    }
    q->count -= n;
    atomic_store_explicit(&q->depth, q->count, memory_order_relaxed);
    if (n > 0 && q->count > 0)
        (void)pthread_cond_signal(&q->not_empty); /* pass it on */
    if (n == 1)
        (void)pthread_cond_signal(&q->not_full);
    else if (n > 1)
        (void)pthread_cond_broadcast(&q->not_full);
    (void)pthread_mutex_unlock(&q->lock);
    return n;
}

void
wenda_queue_close(struct wenda_queue *q)
{
    if (q == NULL)
        return;
    (void)pthread_mutex_lock(&q->lock);
    q->closed = true;
    atomic_store(&q->closed_seen, true);
    (void)pthread_cond_broadcast(&q->not_empty);
    (void)pthread_cond_broadcast(&q->not_full);
    (void)pthread_mutex_unlock(&q->lock);
}

size_t
wenda_queue_depth(const struct wenda_queue *q)
{
    return atomic_load_explicit(&q->depth, memory_order_relaxed);
}

size_t
wenda_queue_capacity(const struct wenda_queue *q)
{
    return q->capacity;
}

bool
wenda_queue_closed(const struct wenda_queue *q)
{
    return atomic_load(&q->closed_seen);
}

size_t
wenda_queue_consumers_waiting(const struct wenda_queue *q)
{
    return atomic_load(&q->consumers_waiting);
}

size_t
wenda_queue_producers_waiting(const struct wenda_queue *q)
{
    return atomic_load(&q->producers_waiting);
}

/* ---- pool --------------------------------------------------------------- */

/* One pool thread: pass the start gate, then take batches until drained. */
static void *
worker_main(void *arg)
{
    struct pool_worker *w = arg;
    struct wenda_pool *p = w->pool;
    bool aborted;
    size_t n;

    (void)pthread_mutex_lock(&p->gate);
    aborted = p->aborted;
    (void)pthread_mutex_unlock(&p->gate);
    if (aborted)
        return NULL;

    while ((n = wenda_queue_pop_batch(p->q, w->jobs, p->max_batch, -1)) > 0)
        p->fn(p->ctx, w->jobs, n);
    return NULL;
}

enum wenda_err
wenda_pool_start(struct wenda_queue *q, unsigned int nthreads, size_t max_batch,
                 wenda_batch_fn fn, void *ctx, struct wenda_pool **out)
{
    struct wenda_pool *p;
    enum wenda_err rc = WENDA_OK;
    unsigned int i;
    int e;

    if (out == NULL)
        return WENDA_ERR_INVALID;
    *out = NULL;
    if (q == NULL || fn == NULL || nthreads == 0 ||
        nthreads > WENDA_POOL_MAX_THREADS || max_batch == 0 ||
        max_batch > WENDA_POOL_MAX_BATCH)
        return WENDA_ERR_INVALID;

    p = calloc(1, sizeof(*p) + nthreads * sizeof(p->workers[0]));
    if (p == NULL)
        return WENDA_ERR_NOMEM;
    p->slots = calloc((size_t)nthreads * max_batch, sizeof(*p->slots));
    if (p->slots == NULL) {
        free(p);
        return WENDA_ERR_NOMEM;
    }
    e = pthread_mutex_init(&p->gate, NULL);
    if (e != 0) {
        free(p->slots);
        free(p);
        return errno_to_err(e);
    }
    p->q = q;
    p->fn = fn;
    p->ctx = ctx;
    p->max_batch = max_batch;

    (void)pthread_mutex_lock(&p->gate);
    for (i = 0; i < nthreads; i++) {
        struct pool_worker *w = &p->workers[i];

        w->pool = p;
        w->jobs = p->slots + (size_t)i * max_batch;
        e = pthread_create(&w->thread, NULL, worker_main, w);
        if (e != 0) {
            rc = errno_to_err(e);
            p->aborted = true;
            break;
        }
        p->nthreads++;
    }
    (void)pthread_mutex_unlock(&p->gate);
    if (rc != WENDA_OK)
        goto cleanup;
    *out = p;
    return WENDA_OK;

cleanup:
    for (i = 0; i < p->nthreads; i++)
        (void)pthread_join(p->workers[i].thread, NULL);
    (void)pthread_mutex_destroy(&p->gate);
    free(p->slots);
    free(p);
    return rc;
}

void
wenda_pool_stop(struct wenda_pool *p)
{
    unsigned int i;

    if (p == NULL)
        return;
    wenda_queue_close(p->q);
    for (i = 0; i < p->nthreads; i++)
        (void)pthread_join(p->workers[i].thread, NULL);
    (void)pthread_mutex_destroy(&p->gate);
    free(p->slots);
    free(p);
}
