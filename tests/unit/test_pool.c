/*
 * test_pool.c -- the bounded job queue and the worker pool.
 *
 * Only the test's own thread asserts (Criterion's assertions longjmp out
 * of the test, which another thread must not do); helper threads write
 * down what they saw and the test checks it after joining them.
 *
 * Jobs are small integers disguised as pointers (JOB(i) is i + 1, so that
 * no job is NULL and a slot left untouched is told apart), which lets a
 * test check order and exactly-once delivery without allocating.
 *
 * No test measures time.  Where a test needs a thread to be blocked inside
 * the queue before it acts (to close under a waiting consumer, say), it
 * waits until the queue counts that thread as a waiter: the count is raised
 * with the queue's lock held, before the thread sleeps on its condition
 * variable, so whatever the test does next reaches a thread that is really
 * asleep.  Timeouts appear only as hang guards -- Criterion's .timeout and
 * a bound on those waits -- far beyond anything a correct queue needs, so
 * that a lost wake-up fails the test instead of hanging the suite.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "pool.h"

#define HANG_GUARD 60.0   /* seconds, per test (Criterion's .timeout) */
#define AWAIT_POLLS 20000 /* times 1 ms: how long await() gives up */

#define JOB(i) ((void *)(uintptr_t)((size_t)(i) + 1))
#define ID(job) ((size_t)(uintptr_t)(job)-1)

/* ---- helpers ---------------------------------------------------------- */

static struct wenda_queue *
new_queue(size_t capacity)
{
    struct wenda_queue *q = NULL;

    cr_assert_eq(wenda_queue_new(capacity, &q), WENDA_OK);
    cr_assert_not_null(q);
    return q;
}

static void
sleep_1ms(void)
{
    struct timespec ts = {0, 1000000L};

    nanosleep(&ts, NULL);
}

/*
 * Waits until cond holds, looking every millisecond; fails the test when
 * it still does not hold after AWAIT_POLLS looks.  The bound is a hang
 * guard, not a speed requirement.
 */
#define await(cond)                                                            \
    do {                                                                       \
        int polls_ = 0;                                                        \
        while (!(cond) && polls_++ < AWAIT_POLLS)                              \
            sleep_1ms();                                                       \
        cr_assert((cond), "gave up waiting for: %s", #cond);                   \
    } while (0)

static void
start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
    cr_assert_eq(pthread_create(t, NULL, fn, arg), 0);
}

static void
join_thread(pthread_t t)
{
    cr_assert_eq(pthread_join(t, NULL), 0);
}

/* A thread that pops once, waiting forever, and reports what it got. */
struct popper {
    struct wenda_queue *q;
    void *jobs[4];
    size_t n;
};

static void *
popper_main(void *arg)
{
    struct popper *pp = arg;

    pp->n = wenda_queue_pop_batch(pp->q, pp->jobs, 4, -1);
    return NULL;
}

/* A thread that pushes one job, waiting forever, and reports the result. */
struct pusher {
    struct wenda_queue *q;
    void *job;
    enum wenda_err rc;
};

static void *
pusher_main(void *arg)
{
    struct pusher *pu = arg;

    pu->rc = wenda_queue_push(pu->q, pu->job, -1);
    return NULL;
}

/* ---- queue: arguments --------------------------------------------------- */

Test(queue, rejects_a_zero_or_absurd_capacity)
{
    struct wenda_queue *q = JOB(7);

    cr_assert_eq(wenda_queue_new(0, &q), WENDA_ERR_INVALID);
    cr_assert_null(q, "a failed new must clear *out");
    q = JOB(7);
    cr_assert_eq(wenda_queue_new(WENDA_QUEUE_MAX_CAPACITY + 1, &q),
                 WENDA_ERR_INVALID);
    cr_assert_null(q);
    cr_assert_eq(wenda_queue_new(SIZE_MAX, &q), WENDA_ERR_INVALID);
    cr_assert_null(q);
    cr_assert_eq(wenda_queue_new(4, NULL), WENDA_ERR_INVALID);

    q = new_queue(WENDA_QUEUE_MAX_CAPACITY);
    cr_assert_eq(wenda_queue_capacity(q), WENDA_QUEUE_MAX_CAPACITY);
    wenda_queue_free(q);
}

Test(queue, rejects_null_arguments_without_touching_the_queue)
{
    struct wenda_queue *q = new_queue(4);
    void *jobs[2] = {NULL, NULL};

    cr_assert_eq(wenda_queue_push(NULL, JOB(0), 0), WENDA_ERR_INVALID);
    cr_assert_eq(wenda_queue_pop_batch(NULL, jobs, 2, 0), 0);

    cr_assert_eq(wenda_queue_push(q, JOB(0), 0), WENDA_OK);
    cr_assert_eq(wenda_queue_pop_batch(q, NULL, 2, 0), 0);
    cr_assert_eq(wenda_queue_pop_batch(q, jobs, 0, 0), 0);
    cr_assert_null(jobs[0], "a pop of 0 jobs wrote a slot");
    cr_assert_eq(wenda_queue_depth(q), 1, "a rejected pop took a job");

    wenda_queue_close(NULL);
    wenda_queue_free(NULL);
    wenda_queue_free(q);
}

/* ---- queue: order and bounds -------------------------------------------- */

Test(queue, hands_out_jobs_one_at_a_time_in_fifo_order)
{
    struct wenda_queue *q = new_queue(16);
    void *job;
    size_t i;

    for (i = 0; i < 16; i++)
        cr_assert_eq(wenda_queue_push(q, JOB(i), 0), WENDA_OK);
    for (i = 0; i < 16; i++) {
        cr_assert_eq(wenda_queue_pop_batch(q, &job, 1, 0), 1);
        cr_assert_eq(ID(job), i, "job %zu came out as %zu", i, ID(job));
    }
    cr_assert_eq(wenda_queue_pop_batch(q, &job, 1, 0), 0);
    wenda_queue_free(q);
}

Test(queue, pops_a_batch_in_order_and_never_more_than_max)
{
    struct wenda_queue *q = new_queue(16);
    void *jobs[6];
    size_t i, next = 0, n;
    const size_t want[] = {4, 4, 2};

    for (i = 0; i < 10; i++)
        cr_assert_eq(wenda_queue_push(q, JOB(i), 0), WENDA_OK);
    for (i = 0; i < 3; i++) {
        size_t k;

        for (k = 0; k < 6; k++)
            jobs[k] = NULL;
        n = wenda_queue_pop_batch(q, jobs, 4, 0);
        cr_assert_eq(n, want[i], "batch %zu has %zu jobs, not %zu", i, n,
                     want[i]);
        for (k = 0; k < n; k++)
            cr_assert_eq(ID(jobs[k]), next++);
        for (k = n; k < 6; k++)
            cr_assert_null(jobs[k], "slot %zu beyond the batch written", k);
    }
    cr_assert_eq(wenda_queue_pop_batch(q, jobs, 4, 0), 0);
    wenda_queue_free(q);
}

Test(queue, keeps_fifo_order_as_the_ring_wraps_around)
{
    struct wenda_queue *q = new_queue(3);
    void *jobs[3];
    size_t round, in = 0, out = 0;

    /* Push 1..3 and pop 1..3 jobs in a pattern that walks the ring. */
    for (round = 0; round < 200; round++) {
        size_t npush = 1 + round % 3, k, n;

        for (k = 0; k < npush; k++)
            if (wenda_queue_push(q, JOB(in), 0) == WENDA_OK)
                in++;
        n = wenda_queue_pop_batch(q, jobs, 1 + (round * 7) % 3, 0);
        for (k = 0; k < n; k++)
            cr_assert_eq(ID(jobs[k]), out++, "round %zu", round);
        cr_assert_eq(wenda_queue_depth(q), in - out);
    }
    while ((round = wenda_queue_pop_batch(q, jobs, 3, 0)) > 0)
        for (size_t k = 0; k < round; k++)
            cr_assert_eq(ID(jobs[k]), out++);
    cr_assert_eq(out, in);
    cr_assert_gt(in, 300, "the pattern hardly pushed: %zu", in);
    wenda_queue_free(q);
}

Test(queue, refuses_a_push_to_a_full_queue_without_adding_the_job,
     .timeout = HANG_GUARD)
{
    struct wenda_queue *q = new_queue(2);
    void *jobs[4];

    cr_assert_eq(wenda_queue_push(q, JOB(0), 0), WENDA_OK);
    cr_assert_eq(wenda_queue_push(q, JOB(1), 0), WENDA_OK);
    cr_assert_eq(wenda_queue_push(q, JOB(2), 0), WENDA_ERR_UNAVAILABLE);
    cr_assert_eq(wenda_queue_push(q, JOB(2), 1), WENDA_ERR_UNAVAILABLE,
                 "a timed push to a full queue must give up");
    cr_assert_eq(wenda_queue_depth(q), 2);

    cr_assert_eq(wenda_queue_pop_batch(q, jobs, 1, 0), 1);
    cr_assert_eq(ID(jobs[0]), 0);
    cr_assert_eq(wenda_queue_push(q, JOB(2), 0), WENDA_OK,
                 "a pop must make room");
    cr_assert_eq(wenda_queue_pop_batch(q, jobs, 4, 0), 2);
    cr_assert_eq(ID(jobs[0]), 1);
    cr_assert_eq(ID(jobs[1]), 2, "the refused pushes left a trace");
    wenda_queue_free(q);
}

Test(queue, returns_0_from_a_pop_on_an_empty_queue_at_the_deadline,
     .timeout = HANG_GUARD)
{
    struct wenda_queue *q = new_queue(2);
    void *job = NULL;

    cr_assert_eq(wenda_queue_pop_batch(q, &job, 1, 0), 0);
    cr_assert_eq(wenda_queue_pop_batch(q, &job, 1, 1), 0);
    cr_assert_null(job);
    cr_assert_eq(wenda_queue_consumers_waiting(q), 0);
    wenda_queue_free(q);
}

Test(queue, tracks_depth_as_pushes_minus_pops)
{
    struct wenda_queue *q = new_queue(8);
    void *jobs[8];
    size_t i;

    cr_assert_eq(wenda_queue_depth(q), 0);
    cr_assert_eq(wenda_queue_capacity(q), 8);
    for (i = 0; i < 5; i++)
        cr_assert_eq(wenda_queue_push(q, JOB(i), 0), WENDA_OK);
    cr_assert_eq(wenda_queue_depth(q), 5);
    cr_assert_eq(wenda_queue_pop_batch(q, jobs, 3, 0), 3);
    cr_assert_eq(wenda_queue_depth(q), 2);
    for (i = 0; i < 6; i++)
        cr_assert_eq(wenda_queue_push(q, JOB(i), 0), WENDA_OK);
    cr_assert_eq(wenda_queue_depth(q), 8);
    cr_assert_eq(wenda_queue_push(q, JOB(9), 0), WENDA_ERR_UNAVAILABLE);
    cr_assert_eq(wenda_queue_depth(q), 8, "a refused push counted");
    cr_assert_eq(wenda_queue_pop_batch(q, jobs, 8, 0), 8);
    cr_assert_eq(wenda_queue_depth(q), 0);
    wenda_queue_free(q);
}

/* ---- queue: blocking and close ------------------------------------------ */

Test(queue, wakes_a_consumer_blocked_in_pop_when_a_job_arrives,
     .timeout = HANG_GUARD)
{
    struct popper pp = {.q = new_queue(4)};
    pthread_t t;

    start_thread(&t, popper_main, &pp);
    await(wenda_queue_consumers_waiting(pp.q) == 1);
    cr_assert_eq(wenda_queue_push(pp.q, JOB(5), 0), WENDA_OK);
    join_thread(t);
    cr_assert_eq(pp.n, 1);
    cr_assert_eq(ID(pp.jobs[0]), 5);
    cr_assert_eq(wenda_queue_consumers_waiting(pp.q), 0);
    wenda_queue_free(pp.q);
}

Test(queue, wakes_a_consumer_blocked_in_pop_on_close, .timeout = HANG_GUARD)
{
    struct popper pp = {.q = new_queue(4), .n = 99};
    pthread_t t;

    start_thread(&t, popper_main, &pp);
    await(wenda_queue_consumers_waiting(pp.q) == 1);
    cr_assert_not(wenda_queue_closed(pp.q));
    wenda_queue_close(pp.q);
    cr_assert(wenda_queue_closed(pp.q));
    join_thread(t);
    cr_assert_eq(pp.n, 0, "a pop on a closed, empty queue returned %zu", pp.n);
    wenda_queue_free(pp.q);
}

Test(queue, wakes_every_consumer_blocked_in_pop_on_close, .timeout = HANG_GUARD)
{
    struct wenda_queue *q = new_queue(4);
    struct popper pp[5];
    pthread_t t[5];
    size_t i;

    for (i = 0; i < 5; i++) {
        pp[i] = (struct popper){.q = q, .n = 99};
        start_thread(&t[i], popper_main, &pp[i]);
    }
    await(wenda_queue_consumers_waiting(q) == 5);
    wenda_queue_close(q);
    for (i = 0; i < 5; i++) {
        join_thread(t[i]);
        cr_assert_eq(pp[i].n, 0);
    }
    wenda_queue_free(q);
}

Test(queue, wakes_a_producer_blocked_on_a_full_queue_when_a_pop_makes_room,
     .timeout = HANG_GUARD)
{
    struct pusher pu = {.q = new_queue(1), .job = JOB(1), .rc = -1};
    void *jobs[2];
    pthread_t t;

    cr_assert_eq(wenda_queue_push(pu.q, JOB(0), 0), WENDA_OK);
    start_thread(&t, pusher_main, &pu);
    await(wenda_queue_producers_waiting(pu.q) == 1);
    cr_assert_eq(wenda_queue_pop_batch(pu.q, jobs, 2, 0), 1);
    cr_assert_eq(ID(jobs[0]), 0);
    join_thread(t);
    cr_assert_eq(pu.rc, WENDA_OK);
    cr_assert_eq(wenda_queue_pop_batch(pu.q, jobs, 2, 0), 1);
    cr_assert_eq(ID(jobs[0]), 1);
    wenda_queue_free(pu.q);
}

Test(queue, wakes_a_producer_blocked_on_a_full_queue_on_close,
     .timeout = HANG_GUARD)
{
    struct pusher pu = {.q = new_queue(1), .job = JOB(1), .rc = WENDA_OK};
    void *jobs[2];
    pthread_t t;

    cr_assert_eq(wenda_queue_push(pu.q, JOB(0), 0), WENDA_OK);
    start_thread(&t, pusher_main, &pu);
    await(wenda_queue_producers_waiting(pu.q) == 1);
    wenda_queue_close(pu.q);
    join_thread(t);
    cr_assert_eq(pu.rc, WENDA_ERR_UNAVAILABLE);
    cr_assert_eq(wenda_queue_producers_waiting(pu.q), 0);
    cr_assert_eq(wenda_queue_pop_batch(pu.q, jobs, 2, -1), 1,
                 "the job pushed before close was lost");
    cr_assert_eq(ID(jobs[0]), 0, "the refused job got in");
    cr_assert_eq(wenda_queue_pop_batch(pu.q, jobs, 2, -1), 0);
    wenda_queue_free(pu.q);
}

Test(queue, drains_jobs_pushed_before_close_then_returns_0,
     .timeout = HANG_GUARD)
{
    struct wenda_queue *q = new_queue(8);
    void *jobs[2];
    size_t i, n, next = 0;

    for (i = 0; i < 5; i++)
        cr_assert_eq(wenda_queue_push(q, JOB(i), 0), WENDA_OK);
    wenda_queue_close(q);
    cr_assert_eq(wenda_queue_push(q, JOB(9), 0), WENDA_ERR_UNAVAILABLE);
    cr_assert_eq(wenda_queue_push(q, JOB(9), -1), WENDA_ERR_UNAVAILABLE,
                 "a push to a closed queue must not wait for room");
    cr_assert_eq(wenda_queue_depth(q), 5);
    while ((n = wenda_queue_pop_batch(q, jobs, 2, -1)) > 0)
        for (i = 0; i < n; i++)
            cr_assert_eq(ID(jobs[i]), next++);
    cr_assert_eq(next, 5, "drained %zu of 5 jobs", next);
    cr_assert_eq(wenda_queue_pop_batch(q, jobs, 2, -1), 0);
    cr_assert_eq(wenda_queue_depth(q), 0);
    wenda_queue_close(q); /* closing twice is harmless */
    cr_assert(wenda_queue_closed(q));
    wenda_queue_free(q);
}

Test(queue, frees_a_queue_that_still_holds_jobs)
{
    struct wenda_queue *q = new_queue(4);

    cr_assert_eq(wenda_queue_push(q, JOB(0), 0), WENDA_OK);
    cr_assert_eq(wenda_queue_push(q, JOB(1), 0), WENDA_OK);
    wenda_queue_free(q); /* the sanitizer builds check this */
}

/* ---- queue: many threads ------------------------------------------------ */

#define NPROD 4
#define NCONS 4
#define PER_PRODUCER 10000
#define TOTAL ((size_t)NPROD * PER_PRODUCER)

/*
 * A producer pushes PER_PRODUCER jobs numbered producer * PER_PRODUCER + k
 * in k order; a consumer records what it takes in its own log, merged once
 * the threads are joined.  With timed set, both sides wait 1 ms at a time
 * and try again, so that the timed paths meet contention too.
 */
struct mpmc {
    struct wenda_queue *q;
    bool timed;
};

struct producer {
    struct mpmc *m;
    size_t index;
    bool failed; /* a push failed */
};

struct consumer {
    struct mpmc *m;
    size_t max;  /* batch size */
    size_t *log; /* TOTAL slots */
    size_t n;
    bool oversize; /* a pop returned more than max, or too many jobs */
};

static void *
producer_main(void *arg)
{
    struct producer *pr = arg;
    size_t k;

    for (k = 0; k < PER_PRODUCER; k++) {
        void *job = JOB(pr->index * PER_PRODUCER + k);
        enum wenda_err rc;

        if (!pr->m->timed) {
            rc = wenda_queue_push(pr->m->q, job, -1);
        } else {
            while ((rc = wenda_queue_push(pr->m->q, job, 1)) ==
                   WENDA_ERR_UNAVAILABLE)
                ;
        }
        if (rc != WENDA_OK)
            pr->failed = true;
    }
    return NULL;
}

static void *
consumer_main(void *arg)
{
    struct consumer *co = arg;
    struct wenda_queue *q = co->m->q;
    void *jobs[8];
    size_t i, n;

    for (;;) {
        n = wenda_queue_pop_batch(q, jobs, co->max, co->m->timed ? 1 : -1);
        if (n > co->max || co->n + n > TOTAL) {
            co->oversize = true;
            break;
        }
        if (n == 0) {
            /*
             * Waiting forever, 0 means closed and drained.  Timed, it may
             * be a timeout; closed with nothing left is the end, since
             * nothing is pushed after the close.
             */
            if (!co->m->timed ||
                (wenda_queue_closed(q) && wenda_queue_depth(q) == 0))
                break;
            continue;
        }
        for (i = 0; i < n; i++)
            co->log[co->n++] = ID(jobs[i]);
    }
    return NULL;
}

/* Runs NPROD producers and ncons consumers through q; fills cons[]. */
static void
run_mpmc(struct mpmc *m, struct consumer *cons, size_t ncons)
{
    struct producer prod[NPROD];
    pthread_t pt[NPROD], ct[NCONS];
    size_t i;

    for (i = 0; i < ncons; i++) {
        cons[i].m = m;
        cons[i].log = calloc(TOTAL, sizeof(*cons[i].log));
        cons[i].n = 0;
        cons[i].oversize = false;
        cr_assert_not_null(cons[i].log);
        start_thread(&ct[i], consumer_main, &cons[i]);
    }
    for (i = 0; i < NPROD; i++) {
        prod[i] = (struct producer){.m = m, .index = i, .failed = false};
        start_thread(&pt[i], producer_main, &prod[i]);
    }
    for (i = 0; i < NPROD; i++)
        join_thread(pt[i]);
    wenda_queue_close(m->q);
    for (i = 0; i < ncons; i++)
        join_thread(ct[i]);
    for (i = 0; i < NPROD; i++)
        cr_assert_not(prod[i].failed, "producer %zu saw a push fail", i);
    for (i = 0; i < ncons; i++)
        cr_assert_not(cons[i].oversize, "consumer %zu got too many jobs", i);
}

/* Checks that the consumers' logs hold every job exactly once. */
static void
assert_each_job_once(struct consumer *cons, size_t ncons)
{
    unsigned char *seen = calloc(TOTAL, 1);
    size_t i, k, total = 0;

    cr_assert_not_null(seen);
    for (i = 0; i < ncons; i++) {
        for (k = 0; k < cons[i].n; k++) {
            size_t id = cons[i].log[k];

            cr_assert_lt(id, TOTAL, "job %zu was never pushed", id);
            cr_assert_eq(seen[id], 0, "job %zu was consumed twice", id);
            seen[id] = 1;
        }
        total += cons[i].n;
        free(cons[i].log);
    }
    cr_assert_eq(total, TOTAL, "%zu of %zu jobs consumed", total, TOTAL);
    free(seen);
}

Test(queue, delivers_every_job_once_to_many_consumers_from_many_producers,
     .timeout = HANG_GUARD)
{
    struct mpmc m = {.q = new_queue(64), .timed = false};
    struct consumer cons[NCONS];
    size_t i;

    for (i = 0; i < NCONS; i++)
        cons[i].max = i + 1;
    run_mpmc(&m, cons, NCONS);
    cr_assert_eq(wenda_queue_depth(m.q), 0);
    assert_each_job_once(cons, NCONS);
    wenda_queue_free(m.q);
}

Test(queue, delivers_every_job_once_when_waits_time_out_and_retry,
     .timeout = HANG_GUARD)
{
    struct mpmc m = {.q = new_queue(8), .timed = true};
    struct consumer cons[NCONS];
    size_t i;

    for (i = 0; i < NCONS; i++)
        cons[i].max = 2 * i + 1;
    run_mpmc(&m, cons, NCONS);
    assert_each_job_once(cons, NCONS);
    wenda_queue_free(m.q);
}

Test(queue, keeps_each_producers_order_for_a_single_consumer,
     .timeout = HANG_GUARD)
{
    struct mpmc m = {.q = new_queue(16), .timed = false};
    struct consumer cons[1] = {{.max = 7}};
    size_t next[NPROD] = {0};
    size_t k;

    run_mpmc(&m, cons, 1);
    cr_assert_eq(cons[0].n, TOTAL);
    for (k = 0; k < cons[0].n; k++) {
        size_t id = cons[0].log[k];
        size_t p = id / PER_PRODUCER, seq = id % PER_PRODUCER;

        cr_assert_lt(p, NPROD);
        cr_assert_eq(seq, next[p], "producer %zu: job %zu came before %zu", p,
                     seq, next[p]);
        next[p]++;
    }
    assert_each_job_once(cons, 1);
    wenda_queue_free(m.q);
}

/* ---- pool --------------------------------------------------------------- */

/*
 * What a pool's callback records: how often each job was seen, the size
 * of every batch, and (for the single-thread tests) the order of jobs.
 * The optional gate holds the first batch until the test lets it go.
 */
struct recorder {
    pthread_mutex_t lock;
    unsigned char *seen; /* per job id */
    size_t njobs;        /* size of seen */
    size_t batches;
    size_t batch_sizes[64]; /* the first 64 */
    size_t order[64];       /* the first 64 jobs */
    size_t nseen;
    size_t max_batch_seen;
    size_t min_batch_seen;
    bool twice;            /* a job came back */
    sem_t *entered, *gate; /* both NULL unless the test gates */
};

static void
recorder_init(struct recorder *r, size_t njobs)
{
    memset(r, 0, sizeof(*r));
    cr_assert_eq(pthread_mutex_init(&r->lock, NULL), 0);
    r->seen = calloc(njobs, 1);
    cr_assert_not_null(r->seen);
    r->njobs = njobs;
    r->min_batch_seen = SIZE_MAX;
}

static void
recorder_cleanup(struct recorder *r)
{
    pthread_mutex_destroy(&r->lock);
    free(r->seen);
}

static void
record_batch(void *ctx, void **jobs, size_t n)
{
    struct recorder *r = ctx;
    bool first;
    size_t i;

    pthread_mutex_lock(&r->lock);
    first = r->batches == 0;
    if (r->batches < 64)
        r->batch_sizes[r->batches] = n;
    r->batches++;
    if (n > r->max_batch_seen)
        r->max_batch_seen = n;
    if (n < r->min_batch_seen)
        r->min_batch_seen = n;
    for (i = 0; i < n; i++) {
        size_t id = ID(jobs[i]);

        if (id >= r->njobs || r->seen[id]++ != 0)
            r->twice = true;
        if (r->nseen < 64)
            r->order[r->nseen] = id;
        r->nseen++;
    }
    pthread_mutex_unlock(&r->lock);

    if (first && r->gate != NULL) {
        sem_post(r->entered);
        sem_wait(r->gate);
    }
}

static void
assert_recorded_each_once(struct recorder *r)
{
    size_t i;

    cr_assert_not(r->twice, "a job was processed twice (or never pushed)");
    cr_assert_eq(r->nseen, r->njobs, "%zu of %zu jobs processed", r->nseen,
                 r->njobs);
    for (i = 0; i < r->njobs; i++)
        cr_assert_eq(r->seen[i], 1, "job %zu processed %d times", i,
                     r->seen[i]);
}

Test(pool, rejects_invalid_arguments_and_leaves_the_queue_alone)
{
    struct wenda_queue *q = new_queue(4);
    struct wenda_pool *p;
    struct recorder r;

    recorder_init(&r, 1);
    cr_assert_eq(wenda_queue_push(q, JOB(0), 0), WENDA_OK);

#define REJECTS(q_, n_, b_, fn_)                                               \
    do {                                                                       \
        p = JOB(3);                                                            \
        cr_assert_eq(wenda_pool_start((q_), (n_), (b_), (fn_), &r, &p),        \
                     WENDA_ERR_INVALID);                                       \
        cr_assert_null(p, "a failed start must clear *out");                   \
    } while (0)
    REJECTS(NULL, 1, 1, record_batch);
    REJECTS(q, 0, 1, record_batch);
    REJECTS(q, WENDA_POOL_MAX_THREADS + 1, 1, record_batch);
    REJECTS(q, 1, 0, record_batch);
    REJECTS(q, 1, WENDA_POOL_MAX_BATCH + 1, record_batch);
    REJECTS(q, 1, SIZE_MAX, record_batch);
    REJECTS(q, 1, 1, NULL);
#undef REJECTS
    cr_assert_eq(wenda_pool_start(q, 1, 1, record_batch, &r, NULL),
                 WENDA_ERR_INVALID);

    cr_assert_eq(r.batches, 0, "a rejected pool ran a batch");
    cr_assert_eq(wenda_queue_depth(q), 1);
    cr_assert_not(wenda_queue_closed(q));
    wenda_pool_stop(NULL);
    wenda_queue_free(q);
    recorder_cleanup(&r);
}

Test(pool, processes_every_job_once_in_batches_no_larger_than_max,
     .timeout = HANG_GUARD)
{
    enum { NJOBS = 20000, BATCH = 8 };
    struct wenda_queue *q = new_queue(128);
    struct wenda_pool *p = NULL;
    struct recorder r;
    size_t i;

    recorder_init(&r, NJOBS);
    cr_assert_eq(wenda_pool_start(q, 4, BATCH, record_batch, &r, &p), WENDA_OK);
    cr_assert_not_null(p);
    for (i = 0; i < NJOBS; i++)
        cr_assert_eq(wenda_queue_push(q, JOB(i), -1), WENDA_OK);
    wenda_pool_stop(p);

    assert_recorded_each_once(&r);
    cr_assert_leq(r.max_batch_seen, BATCH, "a batch of %zu jobs",
                  r.max_batch_seen);
    cr_assert_geq(r.min_batch_seen, 1, "an empty batch");
    cr_assert(wenda_queue_closed(q), "stop must close the queue");
    cr_assert_eq(wenda_queue_depth(q), 0);
    recorder_cleanup(&r);
    wenda_queue_free(q);
}

Test(pool, gives_one_thread_full_batches_in_fifo_order, .timeout = HANG_GUARD)
{
    struct wenda_queue *q = new_queue(32);
    struct wenda_pool *p = NULL;
    struct recorder r;
    size_t i;

    /* All 20 jobs are queued before the thread exists: 8, 8, then 4. */
    recorder_init(&r, 20);
    for (i = 0; i < 20; i++)
        cr_assert_eq(wenda_queue_push(q, JOB(i), 0), WENDA_OK);
    cr_assert_eq(wenda_pool_start(q, 1, 8, record_batch, &r, &p), WENDA_OK);
    wenda_pool_stop(p);

    assert_recorded_each_once(&r);
    cr_assert_eq(r.batches, 3, "%zu batches", r.batches);
    cr_assert_eq(r.batch_sizes[0], 8);
    cr_assert_eq(r.batch_sizes[1], 8);
    cr_assert_eq(r.batch_sizes[2], 4);
    for (i = 0; i < 20; i++)
        cr_assert_eq(r.order[i], i, "job %zu came out as %zu", i, r.order[i]);
    recorder_cleanup(&r);
    wenda_queue_free(q);
}

Test(pool, stop_processes_the_jobs_queued_before_it, .timeout = HANG_GUARD)
{
    enum { NJOBS = 1000 };
    struct wenda_queue *q = new_queue(NJOBS);
    struct wenda_pool *p = NULL;
    struct recorder r;
    size_t i;

    recorder_init(&r, NJOBS);
    for (i = 0; i < NJOBS; i++)
        cr_assert_eq(wenda_queue_push(q, JOB(i), 0), WENDA_OK);
    cr_assert_eq(wenda_pool_start(q, 2, 3, record_batch, &r, &p), WENDA_OK);
    wenda_pool_stop(p);
    assert_recorded_each_once(&r);
    cr_assert_leq(r.max_batch_seen, 3);
    recorder_cleanup(&r);
    wenda_queue_free(q);
}

/* Calls wenda_pool_stop() and says when it has returned. */
struct stopper {
    struct wenda_pool *p;
    atomic_bool done;
};

static void *
stopper_main(void *arg)
{
    struct stopper *s = arg;

    wenda_pool_stop(s->p);
    atomic_store(&s->done, true);
    return NULL;
}

Test(pool, stop_waits_for_the_running_batch_and_drains_the_rest,
     .timeout = HANG_GUARD)
{
    struct wenda_queue *q = new_queue(32);
    struct stopper s = {.p = NULL};
    struct recorder r;
    sem_t entered, gate;
    pthread_t t;
    size_t i;

    recorder_init(&r, 20);
    cr_assert_eq(sem_init(&entered, 0, 0), 0);
    cr_assert_eq(sem_init(&gate, 0, 0), 0);
    r.entered = &entered;
    r.gate = &gate;
    for (i = 0; i < 20; i++)
        cr_assert_eq(wenda_queue_push(q, JOB(i), 0), WENDA_OK);
    atomic_init(&s.done, false);
    cr_assert_eq(wenda_pool_start(q, 1, 4, record_batch, &r, &s.p), WENDA_OK);

    /* The only thread is inside its first batch, 16 jobs still queued. */
    sem_wait(&entered);
    start_thread(&t, stopper_main, &s);
    await(wenda_queue_closed(q));
    cr_assert_eq(wenda_queue_push(q, JOB(99), 0), WENDA_ERR_UNAVAILABLE);
    cr_assert_not(atomic_load(&s.done),
                  "stop returned while a batch was running");
    sem_post(&gate);
    join_thread(t);

    assert_recorded_each_once(&r);
    cr_assert_eq(wenda_queue_depth(q), 0);
    sem_destroy(&entered);
    sem_destroy(&gate);
    recorder_cleanup(&r);
    wenda_queue_free(q);
}

Test(pool, stop_returns_for_an_idle_pool, .timeout = HANG_GUARD)
{
    struct wenda_queue *q = new_queue(4);
    struct wenda_pool *p = NULL;
    struct recorder r;

    recorder_init(&r, 1);
    cr_assert_eq(wenda_pool_start(q, 3, 2, record_batch, &r, &p), WENDA_OK);
    await(wenda_queue_consumers_waiting(q) == 3);
    wenda_pool_stop(p);
    cr_assert_eq(r.batches, 0, "an idle pool ran a batch");
    cr_assert_eq(wenda_queue_consumers_waiting(q), 0);
    recorder_cleanup(&r);
    wenda_queue_free(q);
}
