/*
 * pool_stress.c -- the queue and the worker pool under ThreadSanitizer.
 *
 * Criterion's runner cannot start under TSan, so `make tsan` runs this
 * plain program instead of tests/unit/test_pool.c: producers push numbered
 * jobs into a small queue while a pool of workers takes them in batches and
 * other consumers pop them directly; then the pool is stopped mid-stream.
 * Every job must be taken exactly once.  Exits 0 when so, 1 otherwise; a
 * race makes TSan exit 66.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "pool.h"

#define PRODUCERS 4
#define CONSUMERS 2
#define JOBS_EACH 20000
#define TOTAL (PRODUCERS * JOBS_EACH)

static struct wenda_queue *queue;
static atomic_uchar seen[TOTAL];

static void
take(uintptr_t job)
{
    if (job == 0 || job > TOTAL ||
        atomic_fetch_add(&seen[job - 1], 1) != 0) {
        fprintf(stderr, "pool_stress: job %lu taken twice or unknown\n",
                (unsigned long)job);
        exit(1);
    }
}

static void
on_batch(void *ctx, void **jobs, size_t n)
{
    size_t i;

    (void)ctx;
    for (i = 0; i < n; i++)
        take((uintptr_t)jobs[i]);
}

static void *
producer(void *arg)
{
    uintptr_t first = (uintptr_t)arg * JOBS_EACH + 1, j;

    for (j = first; j < first + JOBS_EACH; j++)
        if (wenda_queue_push(queue, (void *)j, -1) != WENDA_OK) {
            fprintf(stderr, "pool_stress: push refused before close\n");
            exit(1);
        }
    return NULL;
}

static void *
consumer(void *arg)
{
    void *jobs[16];
    size_t n, i;

    (void)arg;
    while ((n = wenda_queue_pop_batch(queue, jobs, 16, -1)) > 0)
        for (i = 0; i < n; i++)
            take((uintptr_t)jobs[i]);
    return NULL;
}

int
main(void)
{
    pthread_t p[PRODUCERS], c[CONSUMERS];
    struct wenda_pool *pool;
    size_t i, missing = 0;

    if (wenda_queue_new(64, &queue) != WENDA_OK ||
        wenda_pool_start(queue, 3, 8, on_batch, NULL, &pool) != WENDA_OK)
        return 1;
    for (i = 0; i < CONSUMERS; i++)
        pthread_create(&c[i], NULL, consumer, NULL);
    for (i = 0; i < PRODUCERS; i++)
        pthread_create(&p[i], NULL, producer, (void *)(uintptr_t)i);
    for (i = 0; i < PRODUCERS; i++)
        pthread_join(p[i], NULL);
    wenda_pool_stop(pool);            /* closes the queue, drains, joins */
    for (i = 0; i < CONSUMERS; i++)
        pthread_join(c[i], NULL);
    for (i = 0; i < TOTAL; i++)
        if (atomic_load(&seen[i]) != 1)
            missing++;
    wenda_queue_free(queue);
    if (missing > 0) {
        fprintf(stderr, "pool_stress: %zu jobs never taken\n", missing);
        return 1;
    }
    printf("pool_stress: %d jobs, each taken once\n", TOTAL);
    return 0;
}
