/*
 * ndjson.c -- wenda import FILE.ndjson: a producer-consumer pipeline.
 *
 * Storing a topic takes two kinds of work.  Most of it needs no database:
 * parsing and validating the line, rendering the topic's JSON documents,
 * building its full-text columns and title keys, and tokenizing those
 * columns, which FTS5 would otherwise do inside sqlite3_step().  The rest
 * is SQLite's: b-tree inserts and page writes, on the one connection that
 * holds the import's transaction.
 *
 * So worker threads (producers) take the lines in turn and make each into
 * a record: the topic and its struct wenda_import_row, tokens included
 * (wenda_store_import_prepare() with pretokenize), or the error the line
 * has.  The calling thread (the consumer) takes the records strictly in
 * file order and writes them with wenda_store_import_add_row(); FTS5 then
 * replays the row's tokens instead of tokenizing (wenda_tokenize_preset()).
 * Since the code that prepares a row is the code the one-thread path runs,
 * and tokenizing is deterministic, the database is the same either way.
 *
 * The pool of pool.h does not fit: its queue is a FIFO of jobs, and with
 * several workers the records would come out of it in any order, while
 * the ids must follow the file.  Order comes from a ring of RING slots: a
 * worker reads a line and takes the next sequence number under the lock,
 * prepares the record without it, and puts it in slot seq % RING; the
 * consumer waits for the slot of the next sequence number.  A worker only
 * takes a number less than RING ahead of the consumer, so the slot is
 * always free when the record is done, and at most RING records are in the
 * ring or being prepared at any time.  The consumer leaves the records it
 * wrote on a list that the next worker to take the lock frees, so at most
 * about 2 * RING records exist at once.
 * The first bad line stops the import: the consumer sets stop, and the
 * workers drop what they hold and exit (a worker waiting for a line of a
 * pipe or terminal exits once that line comes or the input ends).
 */
#include "ndjson.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "api.h"
#include "store_int.h"
#include "wenda/content.h"
#include "wenda/tokenize.h"

/* Records in flight at most: enough to keep the workers busy while the
 * consumer meets a slow page write, few enough to keep memory small. */
#define RING 256
/*
 * A thread that had to wait is woken when BATCH records (or slots) are
 * there for it, not for each one, so that the threads do not take turns
 * record by record when they share a core.  At most RING - BATCH records
 * can be in preparation: NDJSON_MAX_WORKERS is below that.
 */
#define BATCH 32

/* One line made ready to store, or the reason it cannot be. */
struct record {
    size_t lineno;
    enum wenda_err rc;            /* WENDA_OK: topic and row are set */
    struct wenda_topic topic;
    struct wenda_import_row *row; /* borrows topic */
    char msg[512];                /* when rc is not WENDA_OK */
    struct record *next;          /* in pipe.done */
};

/* The state the workers and the consumer share, under lock. */
struct pipe {
    pthread_mutex_t lock;
    pthread_cond_t ready; /* the consumer waits: its record, or the end */
    pthread_cond_t room;  /* workers wait: a sequence number to take */
    FILE *f;
    const char *stamp;        /* the import's updated_at */
    size_t lineno;            /* lines read so far */
    int64_t next_seq;         /* records handed out so far */
    int64_t consumed;         /* records the consumer took */
    struct record *slot[RING];
    size_t nready;            /* records in slot[] */
    int consumer_waits;       /* the consumer sleeps on ready */
    unsigned int room_waits;  /* workers sleeping on room */
    struct record *done;      /* written, for a worker to free */
    int eof;                  /* f is read to its end, or failed */
    int read_errno;           /* errno of a read that failed */
    int stop;                 /* the consumer wants no more records */
    enum wenda_err failed;    /* a worker could not make a record */
};

struct worker {
    struct pipe *p;
    struct wenda_tokenizer *tk;
    pthread_t thread;
    int started;
    char *line; /* getline()'s buffer */
    size_t cap;
};

static void record_free(struct record *rec);
static void free_chain(struct record *rec);
static void make_record(struct worker *w, struct record *rec, size_t n);
static void *worker_main(void *arg);
static enum wenda_err run_sequential(struct wenda_import *im, FILE *f,
                                     struct ndjson_status *status);
static int ended(const struct pipe *p);
static enum wenda_err consume(struct pipe *p, struct wenda_import *im,
                              struct ndjson_status *status);

/* Frees rec and everything it owns; NULL is fine. */
static void
record_free(struct record *rec)
{
    if (rec == NULL)
        return;
    wenda_store_import_row_free(rec->row);
    if (rec->rc == WENDA_OK)
        wenda_topic_cleanup(&rec->topic);
    free(rec);
}

/*
 * Makes the line in w->line[0..n) into rec: the topic and its prepared
 * row, tokens included, or the line's error.  Runs outside the lock.
 */
static void
make_record(struct worker *w, struct record *rec, size_t n)
{
    enum wenda_err rc;

    rec->rc = wenda_topic_from_line(w->line, n, &rec->topic, rec->msg,
                                  sizeof(rec->msg));
    if (rec->rc != WENDA_OK)
        return;
    rc = wenda_store_import_prepare(w->tk, &rec->topic, w->p->stamp, 1,
                                    &rec->row);
    if (rc != WENDA_OK) {
        wenda_topic_cleanup(&rec->topic);
        rec->rc = rc;
    }
}

/* Frees rec and the records after it in its chain. */
static void
free_chain(struct record *rec)
{
    while (rec != NULL) {
        struct record *next = rec->next;

        record_free(rec);
        rec = next;
    }
}

/*
 * Reads the next line of f that holds more than a line break into
 * *line (getline()'s buffer, *cap bytes), counting every line read in
 * *lineno; returns its length without the trailing CR and LF, or -1 at
 * the end of f or on a read error (ferror() tells).
 */
static ssize_t
next_line(FILE *f, char **line, size_t *cap, size_t *lineno)
{
    ssize_t len;

    while ((len = getline(line, cap, f)) >= 0) {
        (*lineno)++;
        while (len > 0 && ((*line)[len - 1] == '\n' ||
                           (*line)[len - 1] == '\r'))
            len--;
        if (len > 0)
            return len;
    }
    return -1;
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    struct pipe *p = w->p;

    for (;;) {
        struct record *rec = calloc(1, sizeof(*rec)), *garbage;
        ssize_t len;
        int64_t seq;

        pthread_mutex_lock(&p->lock);
        if (rec == NULL) {
            if (p->failed == WENDA_OK)
                p->failed = WENDA_ERR_NOMEM;
            pthread_cond_broadcast(&p->ready);
            pthread_cond_broadcast(&p->room);
            pthread_mutex_unlock(&p->lock);
            break;
        }
        while (!p->stop && !p->eof && p->failed == WENDA_OK &&
               p->next_seq >= p->consumed + RING) {
            p->room_waits++;
            pthread_cond_wait(&p->room, &p->lock);
            p->room_waits--;
        }
        /* Freeing is work the writing thread need not do. */
        garbage = p->done;
        p->done = NULL;
        if (p->stop || p->eof || p->failed != WENDA_OK) {
            pthread_mutex_unlock(&p->lock);
            free_chain(garbage);
            free(rec);
            break;
        }
        len = next_line(p->f, &w->line, &w->cap, &p->lineno);
        if (len < 0) {
            p->read_errno = ferror(p->f) ? (errno != 0 ? errno : EIO) : 0;
            p->eof = 1;
            pthread_cond_broadcast(&p->ready);
            pthread_cond_broadcast(&p->room);
            pthread_mutex_unlock(&p->lock);
            free_chain(garbage);
            free(rec);
            break;
        }
        seq = p->next_seq++;
        rec->lineno = p->lineno;
        pthread_mutex_unlock(&p->lock);
        free_chain(garbage);

        make_record(w, rec, (size_t)len);

        pthread_mutex_lock(&p->lock);
        if (p->stop) {
            pthread_mutex_unlock(&p->lock);
            record_free(rec);
            break;
        }
        p->slot[seq % RING] = rec;
        p->nready++;
        if (p->consumer_waits && p->slot[p->consumed % RING] != NULL &&
            (p->nready >= BATCH || p->eof || p->failed != WENDA_OK))
            pthread_cond_signal(&p->ready);
        pthread_mutex_unlock(&p->lock);
    }
    return NULL;
}

/* The one-thread import: each topic parsed, prepared and written in turn. */
static enum wenda_err
run_sequential(struct wenda_import *im, FILE *f, struct ndjson_status *status)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    enum wenda_err rc = WENDA_OK;

    while ((len = next_line(f, &line, &cap, &status->lineno)) >= 0) {
        struct wenda_topic t;

        rc = wenda_topic_from_line(line, (size_t)len, &t, status->msg,
                                 sizeof(status->msg));
        if (rc == WENDA_OK) {
            rc = wenda_store_import_add(im, &t, status->msg,
                                        sizeof(status->msg));
            wenda_topic_cleanup(&t);
        }
        if (rc != WENDA_OK)
            break;
        status->ntopics++;
    }
    free(line);
    if (rc != WENDA_OK)
        return rc;
    status->lineno = 0;
    if (ferror(f)) {
        status->read_errno = errno != 0 ? errno : EIO;
        return WENDA_ERR_IO;
    }
    return WENDA_OK;
}

/*
 * Returns whether the consumer has every record it will get: the file is
 * read to its end, or a worker failed, and every record handed out was
 * taken.
 */
static int
ended(const struct pipe *p)
{
    return (p->eof || p->failed != WENDA_OK) && p->consumed == p->next_seq;
}

/*
 * The consumer: writes the records in sequence order until the end of the
 * file, the first bad record, or a worker's failure.
 */
static enum wenda_err
consume(struct pipe *p, struct wenda_import *im, struct ndjson_status *status)
{
    struct record *written = NULL;
    enum wenda_err rc = WENDA_OK;

    for (;;) {
        struct record *rec;

        pthread_mutex_lock(&p->lock);
        if (written != NULL) {
            written->next = p->done;
            p->done = written;
            written = NULL;
        }
        /* With nothing to write, sleep until a batch is ready. */
        while (!ended(p) && (p->slot[p->consumed % RING] == NULL ||
                             (p->consumer_waits && p->nready < BATCH &&
                              !p->eof && p->failed == WENDA_OK))) {
            p->consumer_waits = 1;
            pthread_cond_wait(&p->ready, &p->lock);
        }
        p->consumer_waits = 0;
        rec = p->slot[p->consumed % RING];
        if (rec != NULL) {
            p->slot[p->consumed % RING] = NULL;
            p->consumed++;
            p->nready--;
            if (p->room_waits > 0 &&
                p->next_seq - p->consumed <= RING - BATCH)
                pthread_cond_broadcast(&p->room);
        } else if (p->failed != WENDA_OK) {
            rc = p->failed;
        } else if (p->read_errno != 0) {
            status->read_errno = p->read_errno;
            rc = WENDA_ERR_IO;
        }
        pthread_mutex_unlock(&p->lock);
        if (rec == NULL)
            return rc;
        if (rec->rc != WENDA_OK) {
            rc = rec->rc;
            (void)snprintf(status->msg, sizeof(status->msg), "%s", rec->msg);
        } else {
            rc = wenda_store_import_add_row(im, rec->row, status->msg,
                                            sizeof(status->msg));
        }
        if (rc != WENDA_OK) {
            status->lineno = rec->lineno;
            record_free(rec);
            return rc;
        }
        status->ntopics++;
        written = rec;
    }
}

enum wenda_err
ndjson_import(struct wenda_import *im, FILE *f, unsigned int nworkers,
              struct ndjson_status *status)
{
    struct pipe p;
    struct worker *w;
    enum wenda_err rc = WENDA_OK;
    unsigned int i;

    memset(status, 0, sizeof(*status));
    if (nworkers == 0)
        return run_sequential(im, f, status);
    if (nworkers > NDJSON_MAX_WORKERS)
        nworkers = NDJSON_MAX_WORKERS;
    w = calloc(nworkers, sizeof(*w));
    if (w == NULL)
        return WENDA_ERR_NOMEM;
    memset(&p, 0, sizeof(p));
    p.f = f;
    p.stamp = wenda_store_import_stamp(im);
    for (i = 0; rc == WENDA_OK && i < nworkers; i++) {
        w[i].p = &p;
        rc = wenda_tokenizer_new(&w[i].tk);
    }
    if (rc != WENDA_OK)
        goto cleanup;
    if (pthread_mutex_init(&p.lock, NULL) != 0) {
        rc = WENDA_ERR_INTERNAL;
        goto cleanup;
    }
    if (pthread_cond_init(&p.ready, NULL) != 0) {
        pthread_mutex_destroy(&p.lock);
        rc = WENDA_ERR_INTERNAL;
        goto cleanup;
    }
    if (pthread_cond_init(&p.room, NULL) != 0) {
        pthread_cond_destroy(&p.ready);
        pthread_mutex_destroy(&p.lock);
        rc = WENDA_ERR_INTERNAL;
        goto cleanup;
    }
    for (i = 0; i < nworkers; i++) {
        if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0) {
            rc = WENDA_ERR_INTERNAL;
            break;
        }
        w[i].started = 1;
    }
    if (rc == WENDA_OK)
        rc = consume(&p, im, status);

    pthread_mutex_lock(&p.lock);
    p.stop = 1;
    pthread_cond_broadcast(&p.room);
    pthread_mutex_unlock(&p.lock);
    for (i = 0; i < nworkers; i++)
        if (w[i].started)
            (void)pthread_join(w[i].thread, NULL);
    for (i = 0; i < RING; i++)
        record_free(p.slot[i]);
    free_chain(p.done);
    pthread_cond_destroy(&p.room);
    pthread_cond_destroy(&p.ready);
    pthread_mutex_destroy(&p.lock);
cleanup:
    for (i = 0; i < nworkers; i++) {
        wenda_tokenizer_free(w[i].tk);
        free(w[i].line);
    }
    free(w);
    return rc;
}

unsigned int
ndjson_default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (n <= 2)
        return 1;
    return n - 1 > (long)NDJSON_MAX_WORKERS ? NDJSON_MAX_WORKERS
                                             : (unsigned int)(n - 1);
}
