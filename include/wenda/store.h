/*
 * store.h -- the SQLite database behind wenda.
 *
 * A struct wenda_store is one SQLite connection with its prepared
 * statements.  It is not thread-safe: the server gives every I/O thread a
 * read-only store of its own, so that the read path takes no lock, and one
 * writable store to the writer.  The schema lives in migrations/ and is
 * applied by wenda_store_open() on writable stores; a database whose schema
 * is newer than this binary is refused.
 */
#ifndef WENDA_STORE_H
#define WENDA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "wenda/content.h"
#include "wenda/err.h"

struct wenda_store;
struct sqlite3;
struct sqlite3_stmt;

/* Open flags. */
#define WENDA_STORE_READONLY 0x1  /* no writes, no migrations */
#define WENDA_STORE_CREATE 0x2    /* create the file when absent */

/* A list request: topics with id > after_id, in id order. */
struct wenda_topic_filter {
    const char *category;  /* NULL for any */
    const char *tag;       /* NULL for any */
    int64_t after_id;      /* 0 from the start */
    unsigned int limit;    /* 1..100 */
    int corrected;         /* 1: only topics with corrections */
};

struct wenda_tag_count {
    char *tag;
    int64_t count;
};

/*
 * Opens the database at path.  A writable store is put in WAL mode with
 * synchronous=FULL and migrated to the newest schema this binary knows,
 * each migration in its own transaction.  A read-only store only checks
 * that the schema is the one this binary knows.  On failure *out is NULL
 * and a message for the operator is written to msg (msgcap bytes);
 * WENDA_ERR_DB_TOO_NEW when the schema is newer than this binary.
 * Close with wenda_store_close().
 */
enum wenda_err wenda_store_open(const char *path, int flags,
                                struct wenda_store **out, char *msg,
                                size_t msgcap);

/*
 * The stages of the store's long operations: migrating an existing
 * database (one migration rebuilds the full-text index, minutes at a
 * million topics) and importing.
 */
enum wenda_store_stage {
    WENDA_STORE_MIGRATE,  /* migration n, called name, begins */
    WENDA_STORE_MIGRATED, /* migration n, called name, is committed */
    WENDA_STORE_CLEAR,    /* an import removes the n topics it does not
                             hold (after WENDA_STORE_INDEX) */
    WENDA_STORE_WRITTEN,  /* an import has written its n-th topic */
    WENDA_STORE_MERGE,    /* an import of n topics merges its full-text
                             index into one segment */
    WENDA_STORE_INDEX,    /* ... builds its other indexes and counts */
    WENDA_STORE_COMMIT,   /* ... commits */
};

/* Told a stage as it begins; name is NULL but for migrations. */
typedef void wenda_store_progress_fn(void *ctx, enum wenda_store_stage stage,
                                     int64_t n, const char *name);

/*
 * Who is told the stages of a store's long operations: fn(ctx, ...) is
 * called at each (fn NULL: nobody).  The migrations that make a new
 * database's schema are not reported.  WENDA_STORE_WRITTEN comes after
 * every topic, on the import's thread, so fn must be quick.
 */
struct wenda_store_progress {
    wenda_store_progress_fn *fn;
    void *ctx;
};

/*
 * wenda_store_open() whose store tells progress (copied; NULL: nobody) of
 * its migrations now and of its imports later.
 */
enum wenda_err
wenda_store_open_with(const char *path, int flags,
                      const struct wenda_store_progress *progress,
                      struct wenda_store **out, char *msg, size_t msgcap);

/* Finalizes the statements and closes the connection; NULL is fine. */
void wenda_store_close(struct wenda_store *st);

/* Returns the schema version this binary migrates to. */
int wenda_store_schema_version(void);

/* Memory and search settings of one connection (see wenda_store_tune()). */
struct wenda_store_tuning {
    int64_t cache_kib;    /* SQLite page cache, KiB; 0: SQLite's 2,000 */
    int64_t mmap_bytes;   /* bytes of the file read through mmap; 0: none */
    int64_t search_cap;   /* matches scored per search (0: all); see
                             wenda_search_set_cap() */
    int64_t search_count; /* matches counted for a total (0: all); see
                             wenda_search_set_count() */
};

/*
 * Applies t to the store's connection.  Returns WENDA_ERR_DB when SQLite
 * refuses a setting.
 */
enum wenda_err wenda_store_tune(struct wenda_store *st,
                                const struct wenda_store_tuning *t);

/* What an import does with a topic (see struct wenda_import_opts). */
enum wenda_import_change {
    WENDA_IMPORT_ADDED,     /* a slug the store had not: a new id */
    WENDA_IMPORT_CHANGED,   /* a slug it had, another topic: the same id,
                               the next version, a revision by "import" */
    WENDA_IMPORT_UNCHANGED, /* a slug it had, the same topic: left as is */
    WENDA_IMPORT_REMOVED,   /* a topic the import does not hold: deleted,
                               with a revision by "import" */
};

/* How many topics an import added, changed, left, removed. */
struct wenda_import_counts {
    size_t added, changed, unchanged, removed;
};

/*
 * Told what an import does with each topic: id is its id (0 for a topic a
 * dry run would add), slug is borrowed for the call.
 */
typedef void wenda_import_note_fn(void *ctx, enum wenda_import_change what,
                                  int64_t id, const char *slug);

/* How an import runs; a NULL one is all zeros. */
struct wenda_import_opts {
    int dry_run;               /* check and tell, write nothing */
    wenda_import_note_fn *note; /* told each topic's fate (NULL: nobody) */
    void *ctx;                 /* note's */
};

/*
 * Makes the store's content c, in one transaction: either all of c is
 * stored or nothing changes.  Topics are matched by slug: a topic whose
 * slug the store has keeps its id, and its version and updated_at when it
 * is the same, or gets the next version, the current time and a revision
 * when it changed; a new slug gets an id never given before, version 1;
 * a topic c does not hold is deleted, with a revision, and its id is not
 * given again.  An import records no revision of the topics it adds.
 * The categories become c's.  The synonyms and the dictionary become c's
 * (checked documents, as wenda_content_load() gives them; NULL is the
 * empty document "{}"); a document whose text this changes gets a new
 * version and an audit row by "import", one it leaves as it was keeps its
 * version.
 */
enum wenda_err wenda_store_import(struct wenda_store *st,
                                  const struct wenda_content *c);

/*
 * wenda_store_import() run as opts says (NULL: as wenda_store_import()),
 * what it did (or, dry, would do) counted in *counts when not NULL.  A
 * dry run reads the store only, and may be given a read-only one.
 */
enum wenda_err wenda_store_import_with(struct wenda_store *st,
                                       const struct wenda_content *c,
                                       const struct wenda_import_opts *opts,
                                       struct wenda_import_counts *counts);

/*
 * The same as a stream, for imports too large to hold in memory:
 * wenda_store_import_begin() opens the transaction, replacing the store's
 * categories with cats[0..ncats) (kept as they are when cats is NULL);
 * wenda_store_import_add() stores one topic, matched by its slug as
 * wenda_store_import() says (new ids in the order added), writing what is
 * wrong with it to msg on WENDA_ERR_INVALID (unknown category) or
 * WENDA_ERR_CONFLICT (a slug the import already had); and
 * wenda_store_import_end() removes the topics not added, commits (commit
 * != 0) or rolls back, counts what was done in *counts when not NULL, and
 * frees im.  A dry run (opts) checks and counts the same, then rolls back.
 * Topics are stored as given: validate them first.
 */
struct wenda_import;
enum wenda_err wenda_store_import_begin(struct wenda_store *st,
                                        const struct wenda_category *cats,
                                        size_t ncats,
                                        const struct wenda_import_opts *opts,
                                        struct wenda_import **im);
enum wenda_err wenda_store_import_add(struct wenda_import *im,
                                      const struct wenda_topic *t, char *msg,
                                      size_t msgcap);
enum wenda_err wenda_store_import_end(struct wenda_import *im, int commit,
                                      struct wenda_import_counts *counts);

/*
 * Reads the whole store back into *out (categories in their order, topics
 * by order then slug), which the caller releases with
 * wenda_content_cleanup().
 */
enum wenda_err wenda_store_dump(struct wenda_store *st,
                                struct wenda_content *out);

/*
 * Reads the synonyms and the dictionary into out->synonyms and
 * out->dictionary (new; freed by wenda_content_cleanup(), as what they
 * held before is freed here) as a content directory holds them: NULL for
 * a document with nothing in it ("{}").  With wenda_store_dump(), the
 * whole content set that wenda_store_import() takes.
 */
enum wenda_err wenda_store_dump_lexicon(struct wenda_store *st,
                                        struct wenda_content *out);

/* Returns the number of topics in *count. */
enum wenda_err wenda_store_topic_count(struct wenda_store *st,
                                       int64_t *count);

/*
 * Reads one topic by id (when slug is NULL) or by slug into *out, which
 * the caller releases with wenda_topic_cleanup().  WENDA_ERR_NOT_FOUND
 * when there is none.
 */
enum wenda_err wenda_store_topic_get(struct wenda_store *st, int64_t id,
                                     const char *slug,
                                     struct wenda_topic *out);

/*
 * Looks up the id of the topic whose slug is slug into *id.
 * WENDA_ERR_NOT_FOUND when there is none.
 */
enum wenda_err wenda_store_topic_id(struct wenda_store *st, const char *slug,
                                    int64_t *id);

/*
 * Lists up to f->limit topics matching f into a new array *items of *n
 * topics (without their answers: answer is NULL), which the caller
 * releases with wenda_topics_free().  *more is set to 1 when more topics
 * follow the last one returned.
 */
enum wenda_err wenda_store_topic_list(struct wenda_store *st,
                                      const struct wenda_topic_filter *f,
                                      struct wenda_topic **items, size_t *n,
                                      int *more);

/*
 * Picks one topic, of category when not NULL, into *out: uniformly at
 * random, the same one for the same seed and the same topics (see
 * wenda_store_topic_sample()).  WENDA_ERR_NOT_FOUND when there is no topic
 * to pick from.
 */
enum wenda_err wenda_store_topic_random(struct wenda_store *st,
                                        const char *category, uint64_t seed,
                                        struct wenda_topic *out);

/*
 * Reads the API's JSON of one topic, by id (when slug is NULL) or slug,
 * into *json (new, NUL-terminated, *len bytes; the caller frees).
 * WENDA_ERR_NOT_FOUND when there is none.
 */
enum wenda_err wenda_store_topic_doc(struct wenda_store *st, int64_t id,
                                     const char *slug, char **json,
                                     size_t *len);

/*
 * Like wenda_store_topic_list(), but writes the page as a JSON array of
 * list items into *json (new; the caller frees) of *len bytes, the id of
 * its last item into *last_id (0 when empty) and 1 into *more when more
 * topics follow.
 */
enum wenda_err wenda_store_topic_list_json(struct wenda_store *st,
                                           const struct wenda_topic_filter *f,
                                           char **json, size_t *len,
                                           int64_t *last_id, int *more);

/* A page of NDJSON from wenda_store_docs_page(). */
struct buf_out {
    char *data;        /* new, the caller frees; NULL when the page is empty */
    size_t len;
    int64_t last_id;   /* the id of its last topic, where the next starts */
};

/*
 * Writes the API's JSON of up to limit topics with ids above after_id, in
 * id order, one a line, into *out: a page of an export that never holds
 * the whole database in memory.
 */
enum wenda_err wenda_store_docs_page(struct wenda_store *st, int64_t after_id,
                                     unsigned int limit,
                                     struct buf_out *out);

/*
 * Draws min(count, number of topics) distinct topics, of category when not
 * NULL, uniformly at random and in random order, and writes their ids to
 * out (room for count) and their number to *nout (0 when there is no
 * topic to draw from).  The same seed and the same topics give the same
 * ids.  A draw of up to 64 topics out of more than 1,024 costs a few
 * lookups by id at any size; smaller sets, and sets whose ids are too
 * sparse, are read whole and shuffled with wenda_study_pick().
 */
enum wenda_err wenda_store_topic_sample(struct wenda_store *st,
                                        const char *category, uint64_t seed,
                                        size_t count, int64_t *out,
                                        size_t *nout);

/* Like wenda_store_topic_random(), but gives the id of the topic picked. */
enum wenda_err wenda_store_topic_random_id(struct wenda_store *st,
                                           const char *category,
                                           uint64_t seed, int64_t *out);

/* Releases an array of n topics from wenda_store_topic_list(). */
void wenda_topics_free(struct wenda_topic *items, size_t n);

/*
 * Reads the categories in their order, each with the number of topics in
 * it, into a new array (release with wenda_categories_free()).
 */
enum wenda_err wenda_store_categories(struct wenda_store *st,
                                      struct wenda_category **cats,
                                      size_t *n);

/* Releases an array of n categories. */
void wenda_categories_free(struct wenda_category *cats, size_t n);

/*
 * Reads every tag with its number of topics, by count descending then tag,
 * into a new array (release with wenda_tags_free()).
 */
enum wenda_err wenda_store_tags(struct wenda_store *st,
                                struct wenda_tag_count **tags, size_t *n);

/* Releases an array of n tag counts. */
void wenda_tags_free(struct wenda_tag_count *tags, size_t n);

/*
 * Writes a consistent, compacted copy of the database to the file path
 * (VACUUM INTO: one read transaction, so a running writer is not held up).
 * path must not exist, or be an empty file.  On failure, msg says why and
 * a partly written path may remain for the caller to remove.
 */
enum wenda_err wenda_store_snapshot(struct wenda_store *st, const char *path,
                                    char *msg, size_t msgcap);

/* ---- writes ----------------------------------------------------------
 *
 * Writes run inside a transaction opened by wenda_store_write_begin(), so
 * that a writer can commit a batch of them at once (group commit), each
 * between wenda_store_savepoint() and wenda_store_release() or
 * wenda_store_rollback_to(), so that one failing write changes nothing
 * while the others of its batch still commit.  Every change bumps the
 * topic's version, re-renders its JSON, follows it in the search index, and
 * records a revision (the JSON before and after, who, when) and an audit
 * row.  who is the name of the token that asked for it.
 */

/* BEGIN IMMEDIATE on a writable store. */
enum wenda_err wenda_store_write_begin(struct wenda_store *st);

/* COMMIT; on success every store of the process sees the change. */
enum wenda_err wenda_store_write_commit(struct wenda_store *st);

/* ROLLBACK of the whole transaction. */
void wenda_store_write_rollback(struct wenda_store *st);

/* Opens, releases, or rolls back to the savepoint of one write. */
enum wenda_err wenda_store_savepoint(struct wenda_store *st);
enum wenda_err wenda_store_release(struct wenda_store *st);
void wenda_store_rollback_to(struct wenda_store *st);

/* The version a replace or delete takes when any version will do. */
#define WENDA_STORE_ANY_VERSION 0

/*
 * Reads the stored JSON of topic id into *json (new; the caller frees) of
 * *len bytes, and its version into *version: what a client's precondition
 * on the JSON (an ETag of it, see wenda_etag()) is checked against, and
 * the version a write then expects.  WENDA_ERR_NOT_FOUND when there is
 * none.
 */
enum wenda_err wenda_store_doc_version(struct wenda_store *st, int64_t id,
                                       char **json, size_t *len,
                                       int64_t *version);

/*
 * Creates topic t (t->id and t->version are ignored; when t->order is 0 it
 * goes last) and writes its id to *id.  WENDA_ERR_CONFLICT when the slug is
 * taken; WENDA_ERR_INVALID (with msg) for an unknown category.
 */
enum wenda_err wenda_store_topic_create(struct wenda_store *st,
                                        const struct wenda_topic *t,
                                        const char *who, int64_t *id,
                                        char *msg, size_t msgcap);

/*
 * Replaces topic id with t, if it is at version expected
 * (WENDA_STORE_ANY_VERSION: whatever its version).  WENDA_ERR_NOT_FOUND,
 * WENDA_ERR_PRECONDITION (at another version), WENDA_ERR_CONFLICT (slug
 * taken by another topic), WENDA_ERR_INVALID.
 */
enum wenda_err wenda_store_topic_replace(struct wenda_store *st, int64_t id,
                                         const struct wenda_topic *t,
                                         int64_t expected,
                                         const char *who, char *msg,
                                         size_t msgcap);

/*
 * Writes topics[0..n) in turn, the way an import does: each is created
 * (going last when its order is 0) or, when a topic has its slug,
 * replaces that topic whatever its version, unless it is the same, which
 * is left as it is.  Two topics of one slug are refused
 * (WENDA_ERR_CONFLICT, *failed the second).  Their search index is
 * written after them all.  What is read and written for each topic does
 * not grow with the store.  *counts (when not NULL; removed stays 0) gets
 * what was done.  On failure *failed is the index of the topic refused (n
 * when none was: WENDA_ERR_DB, WENDA_ERR_NOMEM), msg may say why
 * (WENDA_ERR_INVALID: an unknown category), and what was written is for
 * the caller to roll back, as the writes before it are not undone.
 */
enum wenda_err wenda_store_topics_put(struct wenda_store *st,
                                      const struct wenda_topic *topics,
                                      size_t n, const char *who,
                                      size_t *failed,
                                      struct wenda_import_counts *counts,
                                      char *msg, size_t msgcap);

/* Deletes topic id if it is at version expected (as above); errors as
 * above. */
enum wenda_err wenda_store_topic_delete(struct wenda_store *st, int64_t id,
                                        int64_t expected,
                                        const char *who);

/*
 * The editors' documents of search (see wenda/lexicon.h): name is
 * "synonyms" or "dictionary".  wenda_store_lexicon_get() reads the JSON
 * of one into *json (new; the caller frees) and its version into
 * *version; one never written reads as "{}", version 0.
 * wenda_store_lexicon_put() replaces it with json (checked by the caller
 * with wenda_lexicon_synonyms() or wenda_lexicon_dictionary()) inside the
 * write transaction, if it is at version expected
 * (WENDA_STORE_ANY_VERSION: any), records who did it in the audit log,
 * and gives the new version in *version (when not NULL).  Errors:
 * WENDA_ERR_PRECONDITION (at another version), WENDA_ERR_DB.
 */
enum wenda_err wenda_store_lexicon_get(struct wenda_store *st,
                                       const char *name, char **json,
                                       int64_t *version);
enum wenda_err wenda_store_lexicon_put(struct wenda_store *st,
                                       const char *name, const char *json,
                                       int64_t expected, const char *who,
                                       int64_t *version);

/*
 * Writes the revisions of topic id, newest first, as a JSON array into
 * *json (new; the caller frees) of *len bytes: each {"id", "version",
 * "action", "who", "at", "before", "after"}.  An empty array for a
 * topic that has none (one imported and never changed);
 * WENDA_ERR_NOT_FOUND when there is neither a topic id nor a history.
 */
enum wenda_err wenda_store_revisions_json(struct wenda_store *st, int64_t id,
                                          char **json, size_t *len);

/* ---- learners' progress ------------------------------------------------ */

struct wenda_sm2;

/*
 * Records a review of grade (0..5) of topic by token, inside the caller's
 * write transaction: the SM-2 state moves on from the last one (or from a
 * fresh one), and the next review falls due interval_days after now.
 * Writes the new state's JSON ({"topic","grade","repetitions",
 * "interval_days","easiness","reviewed_at","due_at"}) to *json (new; the
 * caller frees).  WENDA_ERR_NOT_FOUND when there is no such topic,
 * WENDA_ERR_INVALID for a grade out of range.
 */
enum wenda_err wenda_store_progress_review(struct wenda_store *st,
                                           int64_t token, int64_t topic,
                                           int grade, char **json,
                                           size_t *len);

/*
 * Writes the topics token has due (due_at not after now), earliest first,
 * at most limit, as a JSON array into *json (new; the caller frees): each
 * {"id","slug","title","due_at","repetitions","interval_days"}.
 */
enum wenda_err wenda_store_progress_due(struct wenda_store *st, int64_t token,
                                        unsigned int limit, char **json,
                                        size_t *len);

/* Returns 1 when a category with this slug exists, else 0. */
int wenda_store_category_exists(struct wenda_store *st, const char *slug);

/* Returns 1 when some topic has the tag tag, else 0. */
int wenda_store_tag_exists(struct wenda_store *st, const char *tag);

/*
 * Returns the index of the last entry of a cluster's log applied to st's
 * database: 0 for a database no cluster node has used, -1 on an error.
 */
int64_t wenda_store_cluster_applied(struct wenda_store *st);

/* Records index as the last entry of a cluster's log applied to st's
 * database, inside the caller's transaction if one is open. */
enum wenda_err wenda_store_cluster_mark(struct wenda_store *st,
                                        int64_t index);

#endif /* WENDA_STORE_H */
