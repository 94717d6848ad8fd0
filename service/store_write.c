/*
 * store_write.c -- the writes of topics inside the writer's transaction:
 * create, replace (if at the version the caller expects), delete, and the
 * import-style put of many; each records a revision and an audit row and
 * keeps the search index in step.
 */
#include "wenda/store.h"
#include "store_impl.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "search_int.h"

/* ---- writes ------------------------------------------------------------- */

/*
 * The statements of a write are kept prepared too, like those of the
 * reads: compiling one costs about as much as running it, and an import
 * writes each topic with a dozen of them (compiled for every topic, they
 * took a sixth of an import's time on the writer).
 */

enum wenda_err
wenda_store_write_begin(struct wenda_store *st)
{
    if (st->readonly)
        return WENDA_ERR_INVALID;
    return sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
                   SQLITE_OK
               ? WENDA_OK
               : WENDA_ERR_DB;
}

enum wenda_err
wenda_store_write_commit(struct wenda_store *st)
{
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        /* Kept for wenda_store_last_error(): the rollback clears it. */
        st->failed_code = sqlite3_extended_errcode(st->db);
        (void)snprintf(st->failed, sizeof(st->failed), "%s",
                       sqlite3_errmsg(st->db));
        (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return WENDA_ERR_DB;
    }
    wenda_store_changed();
    return WENDA_OK;
}

void
wenda_store_write_rollback(struct wenda_store *st)
{
    (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

enum wenda_err
wenda_store_savepoint(struct wenda_store *st)
{
    return sqlite3_exec(st->db, "SAVEPOINT job", NULL, NULL, NULL) ==
                   SQLITE_OK
               ? WENDA_OK
               : WENDA_ERR_DB;
}

enum wenda_err
wenda_store_release(struct wenda_store *st)
{
    return sqlite3_exec(st->db, "RELEASE job", NULL, NULL, NULL) == SQLITE_OK
               ? WENDA_OK
               : WENDA_ERR_DB;
}

void
wenda_store_rollback_to(struct wenda_store *st)
{
    (void)sqlite3_exec(st->db, "ROLLBACK TO job; RELEASE job", NULL, NULL,
                       NULL);
}

/*
 * Writes topic t as id at version, with its tags, JSON and, when index is
 * set, its search index: inserting when insert is set, else updating the
 * row.  On success *doc is the new JSON (the caller frees).
 */
static enum wenda_err
put_topic(struct wenda_store *st, int64_t id, const struct wenda_topic *t,
          int64_t version, const char *stamp, int insert, int index,
          char **doc)
{
    struct topic_text x = {0};
    sqlite3_stmt *s;
    enum wenda_err rc;
    size_t j;
    int step;

    *doc = NULL;
    rc = wenda_store_render(t, id, version, stamp, &x);
    if (rc != WENDA_OK)
        goto cleanup;
    rc = wenda_store_stmt(st, insert ? S_INSERT_TOPIC : S_UPDATE_TOPIC, &s);
    if (rc != WENDA_OK)
        goto cleanup;
    sqlite3_bind_text(s, 1, t->slug, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, t->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, t->title_en ? t->title_en : "", -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(s, 4, t->category, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, t->order);
    sqlite3_bind_text(s, 6, x.tags, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, x.aliases, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, t->answer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 9, version);
    sqlite3_bind_text(s, 10, stamp, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 11, x.doc, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 12, x.summary, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 13, id);
    sqlite3_bind_text(s, 14, x.corrections, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    wenda_store_done(s);
    if (step != SQLITE_DONE) {
        rc = (step & 0xff) == SQLITE_CONSTRAINT ? WENDA_ERR_CONFLICT
                                                : WENDA_ERR_DB;
        goto cleanup;
    }
    rc = WENDA_ERR_DB;
    if (wenda_store_exec(st, S_DELETE_TAGS, NULL, NULL, id) != SQLITE_DONE)
        goto cleanup;
    for (j = 0; j < t->tags.n; j++)
        if (wenda_store_exec(st, S_INSERT_TAG, t->tags.v[j], NULL, id) !=
            SQLITE_DONE)
            goto cleanup;
    rc = WENDA_OK;
    if (index)
        rc = wenda_search_unindex(st->search, id);
    if (index && rc == WENDA_OK)
        rc = wenda_search_index(st->search, id, t);
cleanup:
    if (rc == WENDA_OK) {
        *doc = x.doc;   /* the caller's now */
        x.doc = NULL;
    }
    wenda_store_text_cleanup(&x);
    return rc;
}

/* Writes the audit row of a change, by who at stamp, of target. */
static enum wenda_err
audit(struct wenda_store *st, const char *stamp, const char *who,
      const char *action, const char *target)
{
    sqlite3_stmt *s;
    int step;

    if (wenda_store_stmt(st, S_INSERT_AUDIT, &s) != WENDA_OK)
        return WENDA_ERR_DB;
    sqlite3_bind_text(s, 1, stamp, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, who, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, target, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    wenda_store_done(s);
    return step == SQLITE_DONE ? WENDA_OK : WENDA_ERR_DB;
}

enum wenda_err
wenda_store_record(struct wenda_store *st, int64_t id, int64_t version,
                   const char *action, const char *before, const char *after,
                   const char *who, const char *stamp)
{
    sqlite3_stmt *s;
    char target[48];
    int step;

    if (wenda_store_stmt(st, S_INSERT_REVISION, &s) != WENDA_OK)
        return WENDA_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, version);
    sqlite3_bind_text(s, 3, action, -1, SQLITE_STATIC);
    if (before != NULL)
        sqlite3_bind_text(s, 4, before, -1, SQLITE_STATIC);
    if (after != NULL)
        sqlite3_bind_text(s, 5, after, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, who, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, stamp, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    wenda_store_done(s);
    if (step != SQLITE_DONE)
        return WENDA_ERR_DB;
    (void)snprintf(target, sizeof(target), "topic/%lld", (long long)id);
    return audit(st, stamp, who, action, target);
}

/* Checks what the schema cannot: the category exists. */
static enum wenda_err
check_category(struct wenda_store *st, const struct wenda_topic *t, char *msg,
               size_t msgcap)
{
    if (wenda_store_category_exists(st, t->category))
        return WENDA_OK;
    (void)snprintf(msg, msgcap, "category '%.64s' does not exist",
                   t->category);
    return WENDA_ERR_INVALID;
}

/* wenda_store_topic_create(), its search index written when index is set,
 * else left to the caller. */
static enum wenda_err
create_topic(struct wenda_store *st, const struct wenda_topic *t,
             const char *who, int index, int64_t *id, char *msg,
             size_t msgcap)
{
    struct wenda_topic copy = *t;
    char stamp[32], *doc = NULL;
    enum wenda_err rc;
    int64_t next;

    *id = 0;
    rc = check_category(st, t, msg, msgcap);
    if (rc != WENDA_OK)
        return rc;
    if (wenda_store_int(st, S_SLUG_ID, t->slug, -1) > 0) {
        (void)snprintf(msg, msgcap, "slug '%.64s' is taken", t->slug);
        return WENDA_ERR_CONFLICT;
    }
    next = wenda_store_int(st, S_NEXT_ID, NULL, -1);
    if (next <= 0)
        return WENDA_ERR_DB;
    if (copy.order == 0 &&
        (copy.order = wenda_store_int(st, S_NEXT_ORDER, NULL, -1)) <= 0)
        return WENDA_ERR_DB;
    wenda_store_now(stamp, sizeof(stamp));
    rc = put_topic(st, next, &copy, 1, stamp, 1, index, &doc);
    if (rc == WENDA_OK &&
        wenda_store_exec(st, S_MARK_ID, NULL, NULL, next) != SQLITE_DONE)
        rc = WENDA_ERR_DB;
    if (rc == WENDA_OK)
        rc = wenda_store_record(st, next, 1, "create", NULL, doc, who,
                                stamp);
    free(doc);
    if (rc == WENDA_OK)
        *id = next;
    return rc;
}

enum wenda_err
wenda_store_topic_create(struct wenda_store *st, const struct wenda_topic *t,
                         const char *who, int64_t *id, char *msg,
                         size_t msgcap)
{
    return create_topic(st, t, who, 1, id, msg, msgcap);
}

/*
 * Reads the current JSON of topic id into *before (new; the caller frees)
 * and its version into *version, and checks that version against
 * expected (WENDA_STORE_ANY_VERSION: any).
 */
static enum wenda_err
check_version(struct wenda_store *st, int64_t id, int64_t expected,
              char **before, int64_t *version)
{
    size_t len;
    enum wenda_err rc = wenda_store_doc_version(st, id, before, &len,
                                                version);

    if (rc != WENDA_OK)
        return rc;
    if (expected != WENDA_STORE_ANY_VERSION && expected != *version) {
        free(*before);
        *before = NULL;
        return WENDA_ERR_PRECONDITION;
    }
    return WENDA_OK;
}

/*
 * Replaces topic id, now at version with the JSON before, by t, its slug
 * checked by the caller, and records the change; the search index is
 * written when index is set, else left to the caller.
 */
static enum wenda_err
replace_topic(struct wenda_store *st, int64_t id, int64_t version,
              const char *before, const struct wenda_topic *t,
              const char *who, int index)
{
    char stamp[32], *after = NULL;
    enum wenda_err rc;

    wenda_store_now(stamp, sizeof(stamp));
    rc = put_topic(st, id, t, version + 1, stamp, 0, index, &after);
    if (rc == WENDA_OK)
        rc = wenda_store_record(st, id, version + 1, "update", before, after,
                                who, stamp);
    free(after);
    return rc;
}

enum wenda_err
wenda_store_topic_replace(struct wenda_store *st, int64_t id,
                          const struct wenda_topic *t, int64_t expected,
                          const char *who, char *msg, size_t msgcap)
{
    char *before = NULL;
    int64_t version = 0, other;
    enum wenda_err rc = check_version(st, id, expected, &before, &version);

    if (rc != WENDA_OK)
        return rc;
    rc = check_category(st, t, msg, msgcap);
    other = wenda_store_int(st, S_SLUG_ID, t->slug, -1);
    if (rc == WENDA_OK && other > 0 && other != id) {
        (void)snprintf(msg, msgcap, "slug '%.64s' is taken", t->slug);
        rc = WENDA_ERR_CONFLICT;
    }
    if (rc == WENDA_OK)
        rc = replace_topic(st, id, version, before, t, who, 1);
    free(before);
    return rc;
}

/* A topic written by wenda_store_topics_put(), its index not yet. */
struct unindexed {
    int64_t id;
    size_t seq;                    /* its place among the topics */
    enum wenda_import_change what; /* added, changed or left */
    const struct wenda_topic *t;   /* borrowed */
};

static int
by_id_then_seq(const void *a, const void *b)
{
    const struct unindexed *x = a, *y = b;

    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Writes topic t as wenda_store_topics_put() does: created when its slug
 * is new, else replaced unless it is the same; *what says which and *id
 * is its id.
 */
static enum wenda_err
put_one(struct wenda_store *st, const struct wenda_topic *t, const char *who,
        int64_t *id, enum wenda_import_change *what, char *msg,
        size_t msgcap)
{
    struct wenda_topic as = *t;
    char *before = NULL, *doc = NULL;
    int64_t version = 0;
    sqlite3_stmt *s;
    enum wenda_err rc = wenda_store_stmt(st, S_PUT_BY_SLUG, &s);
    int step;

    *id = 0;
    *what = WENDA_IMPORT_ADDED;
    if (rc != WENDA_OK)
        return rc;
    sqlite3_bind_text(s, 1, t->slug, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        version = sqlite3_column_int64(s, 1);
        before = wenda_store_col_dup(s, 2);
        rc = before != NULL ? WENDA_OK : WENDA_ERR_NOMEM;
    } else if (step != SQLITE_DONE) {
        rc = WENDA_ERR_DB;
    }
    wenda_store_done(s);
    if (rc != WENDA_OK || before == NULL)
        return rc == WENDA_OK ? create_topic(st, t, who, 0, id, msg, msgcap)
                              : rc;
    rc = check_category(st, t, msg, msgcap);
    as.id = *id;
    as.updated_at = NULL;
    if (rc == WENDA_OK && (doc = wenda_topic_json(&as, 1, NULL)) == NULL)
        rc = WENDA_ERR_NOMEM;
    *what = WENDA_IMPORT_UNCHANGED;
    if (rc == WENDA_OK && wenda_store_doc_differs(before, doc)) {
        *what = WENDA_IMPORT_CHANGED;
        rc = replace_topic(st, *id, version, before, t, who, 0);
    }
    free(doc);
    free(before);
    return rc;
}

/*
 * Sorts u[0..n) by id and finds two topics of one id, which had one
 * slug: *failed is then the place of the later one, msg says which slug,
 * and the result is WENDA_ERR_CONFLICT.
 */
static enum wenda_err
refuse_twice(struct unindexed *u, size_t n, size_t *failed, char *msg,
             size_t msgcap)
{
    size_t i, later = n;

    qsort(u, n, sizeof(*u), by_id_then_seq);
    for (i = 1; i < n; i++)
        if (u[i].id == u[i - 1].id && u[i].seq < later) {
            later = u[i].seq;
            (void)snprintf(msg, msgcap, "duplicate slug '%.64s'",
                           u[i].t->slug);
        }
    if (later == n)
        return WENDA_OK;
    *failed = later;
    return WENDA_ERR_CONFLICT;
}

/*
 * Writes the search index of the topics of u[0..n), sorted by id, that
 * were added or changed; a changed one's old index goes first.
 */
static enum wenda_err
index_topics(struct wenda_store *st, const struct unindexed *u, size_t n)
{
    enum wenda_err rc = WENDA_OK;
    size_t i;

    for (i = 0; rc == WENDA_OK && i < n; i++) {
        if (u[i].what == WENDA_IMPORT_UNCHANGED)
            continue;
        if (u[i].what == WENDA_IMPORT_CHANGED)
            rc = wenda_search_unindex(st->search, u[i].id);
        if (rc == WENDA_OK)
            rc = wenda_search_index(st->search, u[i].id, u[i].t);
    }
    return rc;
}

/*
 * FTS5 holds the words written to its index in memory until it writes
 * them out as a new segment of the index, which it does whenever SQLite
 * opens a savepoint, and every write of a topic's own row opens one for
 * itself.  So writing each topic's index along with its row made a
 * segment of each topic's words, and FTS5 then merged those four at a
 * time, over and over: a third of an import's time.  The index of every
 * topic is therefore written after all of their rows, in id order (FTS5
 * also writes out what it holds when given a smaller id than the last),
 * and its words go out in a few large segments.
 */
enum wenda_err
wenda_store_topics_put(struct wenda_store *st,
                       const struct wenda_topic *topics, size_t n,
                       const char *who, size_t *failed,
                       struct wenda_import_counts *counts, char *msg,
                       size_t msgcap)
{
    struct unindexed *u = calloc(n > 0 ? n : 1, sizeof(*u));
    struct wenda_import_counts k = {0};
    enum wenda_err rc = u != NULL ? WENDA_OK : WENDA_ERR_NOMEM;
    size_t i;

    *failed = n;
    msg[0] = '\0';
    for (i = 0; rc == WENDA_OK && i < n; i++) {
        rc = put_one(st, &topics[i], who, &u[i].id, &u[i].what, msg,
                     msgcap);
        if (rc != WENDA_OK) {
            *failed = i;
            break;
        }
        u[i].seq = i;
        u[i].t = &topics[i];
        k.added += u[i].what == WENDA_IMPORT_ADDED;
        k.changed += u[i].what == WENDA_IMPORT_CHANGED;
        k.unchanged += u[i].what == WENDA_IMPORT_UNCHANGED;
    }
    if (rc == WENDA_OK)
        rc = refuse_twice(u, n, failed, msg, msgcap);
    if (rc == WENDA_OK)
        rc = index_topics(st, u, n);
    free(u);
    if (rc == WENDA_OK && counts != NULL)
        *counts = k;
    return rc;
}

enum wenda_err
wenda_store_topic_delete(struct wenda_store *st, int64_t id,
                         int64_t expected, const char *who)
{
    char stamp[32], *before = NULL;
    int64_t version = 0;
    enum wenda_err rc = check_version(st, id, expected, &before, &version);

    if (rc != WENDA_OK)
        return rc;
    wenda_store_now(stamp, sizeof(stamp));
    rc = wenda_search_unindex(st->search, id);
    if (rc == WENDA_OK &&
        (wenda_store_exec(st, S_DELETE_TAGS, NULL, NULL, id) != SQLITE_DONE ||
         wenda_store_exec(st, S_DELETE_TOPIC, NULL, NULL, id) != SQLITE_DONE))
        rc = WENDA_ERR_DB;
    if (rc == WENDA_OK)
        rc = wenda_store_record(st, id, version + 1, "delete", before, NULL,
                                who, stamp);
    free(before);
    return rc;
}

enum wenda_err
wenda_store_revisions_json(struct wenda_store *st, int64_t id, char **json,
                           size_t *len)
{
    struct buf b = {0};
    sqlite3_stmt *s;
    int step, n = 0, k;

    *json = NULL;
    *len = 0;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT id, version, action, who, at, before, after "
                           "FROM revisions WHERE topic_id = ?1 "
                           "ORDER BY id DESC",
                           -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    wenda_buf_add(&b, "[", 1);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        wenda_buf_addf(&b, "%s{\"id\":%lld,\"version\":%lld,\"action\":",
                       n++ ? "," : "", (long long)sqlite3_column_int64(s, 0),
                       (long long)sqlite3_column_int64(s, 1));
        wenda_buf_add_json(&b, (const char *)sqlite3_column_text(s, 2));
        wenda_buf_adds(&b, ",\"who\":");
        wenda_buf_add_json(&b, (const char *)sqlite3_column_text(s, 3));
        wenda_buf_adds(&b, ",\"at\":");
        wenda_buf_add_json(&b, (const char *)sqlite3_column_text(s, 4));
        for (k = 5; k <= 6; k++) {
            wenda_buf_adds(&b, k == 5 ? ",\"before\":" : ",\"after\":");
            /* Stored as rendered JSON: embedded as it is. */
            if (sqlite3_column_type(s, k) == SQLITE_NULL)
                wenda_buf_adds(&b, "null");
            else
                wenda_buf_add(&b, sqlite3_column_text(s, k),
                              (size_t)sqlite3_column_bytes(s, k));
        }
        wenda_buf_add(&b, "}", 1);
    }
    /* A topic that was never written has no history; nor does an id that
     * was never given. */
    if (n == 0 && step == SQLITE_DONE &&
        wenda_store_int(st, S_HAS_TOPIC, NULL, id) != 1) {
        sqlite3_finalize(s);
        wenda_buf_cleanup(&b);
        return WENDA_ERR_NOT_FOUND;
    }
    return wenda_store_json_end(s, step, &b, json, len);
}

/* ---- the lexicon ----------------------------------------------------------- */

enum wenda_err
wenda_store_lexicon_get(struct wenda_store *st, const char *name,
                        char **json, int64_t *version)
{
    sqlite3_stmt *s;
    enum wenda_err rc = wenda_store_stmt(st, S_LEXICON_GET, &s);
    int step;

    *json = NULL;
    *version = 0;
    if (rc != WENDA_OK)
        return rc;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        *json = wenda_store_col_dup(s, 0);
        *version = sqlite3_column_int64(s, 1);
    } else if (step == SQLITE_DONE) {
        *json = strdup("{}");
    }
    wenda_store_done(s);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return WENDA_ERR_DB;
    return *json ? WENDA_OK : WENDA_ERR_NOMEM;
}

enum wenda_err
wenda_store_lexicon_put(struct wenda_store *st, const char *name,
                        const char *json, int64_t expected, const char *who,
                        int64_t *version)
{
    char stamp[32], target[32];
    char *before = NULL;
    int64_t now = 0;
    sqlite3_stmt *s;
    enum wenda_err rc = wenda_store_lexicon_get(st, name, &before, &now);
    int step;

    free(before);
    if (rc != WENDA_OK)
        return rc;
    if (expected != WENDA_STORE_ANY_VERSION && expected != now)
        return WENDA_ERR_PRECONDITION;
    wenda_store_now(stamp, sizeof(stamp));
    rc = wenda_store_stmt(st, S_LEXICON_PUT, &s);
    if (rc != WENDA_OK)
        return rc;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now + 1);
    sqlite3_bind_text(s, 4, stamp, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    wenda_store_done(s);
    if (step != SQLITE_DONE)
        return WENDA_ERR_DB;
    (void)snprintf(target, sizeof(target), "lexicon/%.16s", name);
    rc = audit(st, stamp, who, "update", target);
    if (rc == WENDA_OK && version != NULL)
        *version = now + 1;
    return rc;
}
