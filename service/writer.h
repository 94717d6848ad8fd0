/*
 * writer.h -- the single writer: write jobs in, group commits out.
 *
 * The API's handlers validate a write, wrap it in a struct write_job and
 * submit it; the writer thread takes the jobs queued so far as one batch,
 * applies each in its own savepoint, commits the batch in one transaction
 * (synchronous=FULL: acknowledged means on disk), fills in each job's
 * plain result and calls its wake function, which resumes the connection
 * whose handler then makes the HTTP answer.  Nothing here knows HTTP.
 */
#ifndef WENDA_WRITER_H
#define WENDA_WRITER_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "wenda/auth.h"
#include "wenda/content.h"
#include "wenda/err.h"
#include "wenda/store.h"

enum write_kind {
    WRITE_CREATE,
    WRITE_REPLACE,
    WRITE_PATCH,
    WRITE_DELETE,
    WRITE_IMPORT,        /* topics[]: each created or replaced by slug */
    WRITE_TOKEN_CREATE,  /* role, token_name, expires */
    WRITE_TOKEN_REVOKE,  /* id */
    WRITE_PROGRESS,      /* id (topic), role as the grade, token_id */
    WRITE_LEXICON,       /* lexicon, doc: replace a document of search's */
    WRITE_CLUSTER_ADD,   /* id (node), node_address, node_url: a voter */
    WRITE_CLUSTER_REMOVE /* id (node) */
};

struct wenda_auth;

/*
 * What the writer made of a job, final once the job is done.  It speaks
 * no HTTP: api_write_answer() turns it into the answer.
 */
struct write_result {
    enum wenda_err rc;      /* WENDA_OK, or why nothing of it was written */
    char msg[256];          /* a failure's detail for the client, or "" */
    struct wenda_problems problems;  /* a topic that is not valid: every
                                      * problem, by its JSON pointer */
    char *body;             /* on success, a new JSON document (malloc'ed):
                             * the topic as stored, the token shown this
                             * once, the review's state, {"imported":N,
                             * "added","changed","unchanged"},
                             * the lexicon's document as stored; NULL for
                             * a delete or a revocation */
    size_t len;
    uint64_t index;         /* in a cluster: the log entry's index, once
                             * applied; 0 otherwise */
};

/* Room for If-Match as the store takes it: WRITE_IF_MATCH_MAX tags. */
#define WRITE_IF_MATCH_MAX 8
#define WRITE_IF_MATCH_CAP (WRITE_IF_MATCH_MAX * WENDA_ETAG_SIZE)

struct write_job {
    enum write_kind kind;
    int64_t id;                       /* replace, patch, delete */
    struct wenda_topic topic;         /* create, replace: validated */
    json_t *patch;                    /* patch: the merge patch (owned) */
    char if_match[WRITE_IF_MATCH_CAP];  /* replace, patch, delete,
                                         lexicon: "*" or strong tags,
                                         comma-joined */
    char who[WENDA_TOKEN_NAME_BYTES + 1];   /* the token's name */
    int64_t token_id;                 /* its id, to record its use */
    struct wenda_topic *topics;       /* import: ntopics, in line order */
    size_t *lines;                    /* import: each one's line of the
                                         body, counted from 1 */
    size_t ntopics;
    struct wenda_import_counts counts; /* import: what it did */
    struct wenda_auth *auth;          /* token create */
    int role;                         /* token create: enum wenda_role */
    char token_name[WENDA_TOKEN_NAME_BYTES + 1];   /* token create */
    int64_t expires;                  /* token create: seconds, 0 never */
    const char *lexicon;              /* lexicon: "synonyms" or
                                         "dictionary" (static) */
    char *doc;                        /* lexicon: the checked document
                                         as compact JSON (owned) */
    char node_address[128];           /* cluster add: HOST:PORT */
    char node_url[256];               /* cluster add: its HTTP base URL */
    char token[WENDA_TOKEN_LEN + 1];  /* token create in a cluster: the
                                         token the leader made, shown once
                                         (never in the log) */
    int minted;                       /* token create in a cluster: the
                                         token_* fields below are set */
    unsigned char token_hash[WENDA_AUTH_HASH_LEN];
    char token_created[WENDA_AUTH_TIME_CAP];
    char token_expires[WENDA_AUTH_TIME_CAP];   /* "" never */
    struct write_result result;       /* filled in by the writer */
    void (*wake)(struct write_job *job);  /* called once result is final */
    void *conn;                       /* for wake */
    atomic_int done;                  /* 1 once result is final */
};

struct writer;

struct cluster;

/*
 * Opens db_path for writing and starts the writer thread with a queue of
 * capacity jobs, committing up to max_batch of them at once (1: one
 * commit per write, no group commit; at most 64).  With a cluster, the
 * writer opens nothing: it hands each batch to cluster_propose(), and the
 * cluster's nodes apply it with writer_apply_batch().  On failure writes a
 * message to msg.
 */
enum wenda_err writer_start(const char *db_path, size_t capacity,
                            size_t max_batch, struct cluster *cluster,
                            struct writer **out, char *msg, size_t msgcap);

/*
 * Queues job without waiting.  WENDA_ERR_UNAVAILABLE when the queue is full
 * or the writer is stopping; the job is then not taken.
 */
enum wenda_err writer_submit(struct writer *w, struct write_job *job);

/* Returns the number of jobs waiting. */
size_t writer_depth(const struct writer *w);

/*
 * Stops taking jobs, finishes (and wakes) every job already queued, joins
 * the thread and closes the database.  NULL is fine.
 */
void writer_stop(struct writer *w);

/* Frees what job owns (not job itself). */
void write_job_cleanup(struct write_job *job);

struct wenda_store;

/*
 * Applies n jobs (at most 64) in one transaction on st, each in its own
 * savepoint, as the writer thread does, and fills in each job's result
 * (with the topic's document as stored, and so on, when answers is 1;
 * a bare WENDA_OK otherwise).  A cluster's index (> 0) is recorded in the
 * same transaction and given in each result.  Returns WENDA_OK once
 * committed, with the jobs' own outcomes in their results; otherwise
 * nothing was written.  Wakes no job.
 */
enum wenda_err writer_apply_batch(struct wenda_store *st,
                                  struct write_job **jobs, size_t n,
                                  uint64_t index, int answers);

/* Empties st's write-ahead log once it holds threshold pages, waiting at
 * most wait_ms for readers, and counts the outcome in /metrics. */
void writer_keep_log_short(struct wenda_store *st, unsigned int threshold,
                           unsigned int wait_ms);

/*
 * Adds a problem at "/category" to p when category is a slug that no
 * category of st has (NULL, or not a slug, is left to the topic's own
 * checks).  Returns 1 when it added one, else 0.
 */
int write_check_category(struct wenda_store *st, const char *category,
                         struct wenda_problems *p);


#endif /* WENDA_WRITER_H */
