/*
 * store_impl.h -- what the store's files share, and nothing outside them
 * includes:
 *
 *   store.c           the connection: open, migrate, close, read
 *                     snapshots, log checkpoints; prepared statements and
 *                     row decoding
 *   store_import.c    bulk import of a whole content set
 *   store_read.c      reads: topics, lists, samples, categories, tags, and
 *                     the store's face for search
 *   store_write.c     writes of topics, with revisions and the audit log
 *   store_progress.c  learners' progress (SM-2 reviews, due topics)
 */
#ifndef WENDA_STORE_IMPL_H
#define WENDA_STORE_IMPL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "store_int.h"
#include "wenda/content.h"
#include "wenda/err.h"
#include "wenda/store.h"

struct sqlite3;
struct sqlite3_stmt;
struct wenda_search;

/* The statements of the store, prepared on first use (store.c has their
 * SQL). */
enum stmt_id {
    S_GET_BY_ID,
    S_GET_BY_SLUG,
    S_LIST,
    S_LIST_CATEGORY,
    S_LIST_TAG,
    S_LIST_CATEGORY_TAG,
    S_COUNT,
    S_COUNT_CATEGORY,
    S_ID_RANGE,
    S_ID_RANGE_CATEGORY,
    S_HAS_ID,
    S_IDS,
    S_IDS_CATEGORY,
    S_CATEGORIES,
    S_TAGS,
    S_CATEGORY_EXISTS,
    S_TAG_EXISTS,
    S_DUMP_CATEGORIES,
    S_DUMP_TOPICS,
    S_DOC_BY_ID,
    S_DOC_VERSION,
    S_DOC_BY_SLUG,
    S_DOC_PAGE,
    S_SUM_LIST,
    S_SUM_LIST_CATEGORY,
    S_SUM_LIST_TAG,
    S_SUM_LIST_CATEGORY_TAG,
    S_PUT_BY_SLUG,
    /* writes: see "writes" below */
    S_SLUG_ID,
    S_HAS_TOPIC,
    S_NEXT_ID,
    S_MARK_ID,
    S_NEXT_ORDER,
    S_INSERT_TOPIC,
    S_UPDATE_TOPIC,
    S_DELETE_TOPIC,
    S_DELETE_TAGS,
    S_INSERT_TAG,
    S_INSERT_REVISION,
    S_INSERT_AUDIT,
    S_LEXICON_GET,
    S_LEXICON_PUT,
    S_LEXICON_VERSIONS,
    S__COUNT
};

struct wenda_store {
    struct sqlite3 *db;
    struct wenda_search *search;  /* the connection's; see search_int.h */
    int readonly;
    struct sqlite3_stmt *stmt[S__COUNT];
    struct sqlite3_stmt *begin, *commit;   /* for held read transactions */
    int holding;                    /* a read transaction is open */
    unsigned long held_gen;         /* generation when it began */
    unsigned long long held_since;  /* and when, in ms */
    int log_frames;                 /* in the log after the last commit */
    int log_hooked;                 /* log_frames is being kept */
    unsigned long long wait_until;  /* the checkpoint's busy deadline, ms */
    pthread_mutex_t use_lock;       /* guards in_use, and the snapshot
                                     * while in_use is 0 */
    int in_use;                     /* a thread is serving requests */
    int swept;                      /* on the list of readers */
    struct wenda_store *next_reader, *prev_reader;
    struct wenda_store_progress progress; /* told of long operations */
    int lexicon_read;               /* the search has the lexicon of */
    int64_t synonyms_version;       /* ... these versions */
    int64_t dictionary_version;
    unsigned int lexicon_data;      /* SQLite's data version when the
                                     * lexicon's versions were last read */
    int failed_code;                /* a failed COMMIT's SQLite code */
    char failed[160];               /* and message, until read */
};

/*
 * Gives in *out the statement id, prepared on st's connection on first use
 * and kept until the store closes.  WENDA_ERR_DB when it does not prepare.
 */
enum wenda_err wenda_store_stmt(struct wenda_store *st, enum stmt_id id,
                                struct sqlite3_stmt **out);

/* Resets s and clears its bindings, ready for the next call. */
void wenda_store_done(struct sqlite3_stmt *s);

/*
 * Runs statement id with up to two text and one integer parameter (NULL /
 * -1 to leave unbound); returns the sqlite3_step() result.
 */
int wenda_store_exec(struct wenda_store *st, enum stmt_id id, const char *t1,
                     const char *t2, int64_t i3);

/* Returns the integer of one-row, one-column statement id, or -1. */
int64_t wenda_store_int(struct wenda_store *st, enum stmt_id id,
                        const char *t1, int64_t i2);

/* The integer the one-value query sql (a PRAGMA, a count) answers, into
 * *v; returns the SQLite result code. */
int wenda_store_one_int(struct sqlite3 *db, const char *sql, int *v);

/* Returns a new copy of text column col of s (the caller frees), or NULL
 * when out of memory. */
char *wenda_store_col_dup(struct sqlite3_stmt *s, int col);

/*
 * Reads the JSON array of strings s into *out (cleaned up by the caller
 * with wenda_strv_cleanup()).  WENDA_ERR_DB when s is not such an array,
 * WENDA_ERR_NOMEM.
 */
enum wenda_err wenda_store_strv_from_json(const char *s,
                                          struct wenda_strv *out);

/* Returns a new malloc'ed JSON array text of sv, or NULL. */
char *wenda_store_strv_to_json(const struct wenda_strv *sv);

/*
 * Decodes the topic row of s (TOPIC_COLS, then the answer and corrections
 * when with_answer) into *t, which the caller cleans up.  WENDA_ERR_DB,
 * WENDA_ERR_NOMEM; *t is then empty.
 */
enum wenda_err wenda_store_row_to_topic(struct sqlite3_stmt *s,
                                        int with_answer,
                                        struct wenda_topic *t);

/* Writes the time now, RFC 3339 in UTC, into out. */
void wenda_store_now(char *out, size_t cap);


/* The text columns of a topic row, as the store writes them. */
struct topic_text {
    char *tags, *aliases, *corrections, *doc, *summary;
};

/*
 * Renders the text columns of t, stored as id at version on stamp, into
 * *out (zeroed first), which the caller releases with
 * wenda_store_text_cleanup() whether this succeeded or not.
 * WENDA_ERR_NOMEM.
 */
enum wenda_err wenda_store_render(const struct wenda_topic *t, int64_t id,
                                  int64_t version, const char *stamp,
                                  struct topic_text *out);
void wenda_store_text_cleanup(struct topic_text *x);

/*
 * Records a change of topic id, now at version, by who at stamp: its
 * revision (action "create", "update" or "delete"; the JSON before and
 * after, NULL for none) and its audit row.  WENDA_ERR_DB.
 */
enum wenda_err wenda_store_record(struct wenda_store *st, int64_t id,
                                  int64_t version, const char *action,
                                  const char *before, const char *after,
                                  const char *who, const char *stamp);

/*
 * Returns whether the topic JSON documents a and b, as wenda_topic_json()
 * writes them, differ in more than their id, version and updated_at (1
 * too when either is not of that form).
 */
int wenda_store_doc_differs(const char *a, const char *b);

/* Tells st's progress hook (wenda_store_open_with()), if any, of stage. */
void wenda_store_progress_note(struct wenda_store *st,
                               enum wenda_store_stage stage, int64_t n,
                               const char *name);

/*
 * Ends the JSON array that b holds, read from statement s (finalized
 * here) whose last sqlite3_step() gave step, and hands it to *json (new;
 * the caller frees) of *len bytes.  WENDA_ERR_DB when the statement
 * failed, WENDA_ERR_NOMEM; b is left empty either way.
 */
struct buf;
enum wenda_err wenda_store_json_end(struct sqlite3_stmt *s, int step,
                                    struct buf *b, char **json, size_t *len);

#endif /* WENDA_STORE_IMPL_H */
