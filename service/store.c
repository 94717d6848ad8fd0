/*
 * store.c -- SQLite: schema migrations, import, and the reads of the API.
 *
 * Statements are prepared once per connection, on first use, with
 * SQLITE_PREPARE_PERSISTENT, and kept in an array indexed by enum stmt_id;
 * a call resets what it used before returning.  Tags and aliases travel as
 * JSON arrays (jansson) between the topics table and struct wenda_strv.
 */
#include "wenda/store.h"
#include "core_int.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "migrations.h"
#include "wenda/search.h"
#include "wenda/study.h"
#include "wenda/tokenize.h"

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
    S_DUMP_CATEGORIES,
    S_DUMP_TOPICS,
    S_DOC_BY_ID,
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
    S_VERSION,
    S_NEXT_ID,
    S_NEXT_ORDER,
    S_INSERT_TOPIC,
    S_UPDATE_TOPIC,
    S_DELETE_TOPIC,
    S_DELETE_TAGS,
    S_INSERT_TAG,
    S_INSERT_REVISION,
    S_INSERT_AUDIT,
    S__COUNT
};

/* How long a statement waits for a lock another connection holds. */
#define BUSY_TIMEOUT_MS 5000

/* The four list queries, for any column list. */
/* ?5: 1 to list only topics with corrections. */
#define CORRECTED " AND (?5 = 0 OR corrections <> '[]') "
#define LIST_SQL(cols)                                                      \
    "SELECT " cols " FROM topics WHERE id > ?1" CORRECTED                   \
    "ORDER BY id LIMIT ?2"
#define LIST_CATEGORY_SQL(cols)                                             \
    "SELECT " cols " FROM topics WHERE category = ?3 AND id > ?1"           \
    CORRECTED "ORDER BY id LIMIT ?2"
#define LIST_TAG_SQL(cols)                                                  \
    "SELECT " cols " FROM topics WHERE id IN (SELECT topic_id FROM "        \
    "topic_tags WHERE tag = ?4 AND topic_id > ?1 ORDER BY topic_id) "       \
    CORRECTED "ORDER BY id LIMIT ?2"
#define LIST_CATEGORY_TAG_SQL(cols)                                         \
    "SELECT " cols " FROM topics WHERE category = ?3 AND id IN (SELECT "    \
    "topic_id FROM topic_tags WHERE tag = ?4 AND topic_id > ?1)"            \
    CORRECTED "ORDER BY id LIMIT ?2"

#define TOPIC_COLS \
    "id, slug, title, title_en, category, ord, tags, aliases, version, " \
    "updated_at"

static const char *const stmt_sql[S__COUNT] = {
    [S_GET_BY_ID] = "SELECT " TOPIC_COLS ", answer, corrections FROM topics "
                    "WHERE id = ?1",
    [S_GET_BY_SLUG] = "SELECT " TOPIC_COLS ", answer, corrections FROM topics "
                      "WHERE slug = ?1",
    [S_LIST] = LIST_SQL(TOPIC_COLS),
    [S_LIST_CATEGORY] = LIST_CATEGORY_SQL(TOPIC_COLS),
    [S_LIST_TAG] = LIST_TAG_SQL(TOPIC_COLS),
    [S_LIST_CATEGORY_TAG] = LIST_CATEGORY_TAG_SQL(TOPIC_COLS),
    [S_SUM_LIST] = LIST_SQL("id, summary"),
    [S_SUM_LIST_CATEGORY] = LIST_CATEGORY_SQL("id, summary"),
    [S_SUM_LIST_TAG] = LIST_TAG_SQL("id, summary"),
    [S_SUM_LIST_CATEGORY_TAG] = LIST_CATEGORY_TAG_SQL("id, summary"),
    [S_DOC_BY_ID] = "SELECT doc FROM topics WHERE id = ?1",
    [S_DOC_BY_SLUG] = "SELECT doc FROM topics WHERE slug = ?1",
    [S_DOC_PAGE] = "SELECT id, doc FROM topics WHERE id > ?1 ORDER BY id "
                   "LIMIT ?2",
    /* Counts kept by triggers: see migrations/0009_counts.sql. */
    [S_COUNT] = "SELECT coalesce(sum(n), 0) FROM category_counts",
    [S_COUNT_CATEGORY] = "SELECT coalesce((SELECT n FROM category_counts "
                         "WHERE category = ?1), 0)",
    /* One subquery each: min() and max() together would scan. */
    [S_ID_RANGE] = "SELECT (SELECT min(id) FROM topics), "
                   "(SELECT max(id) FROM topics)",
    [S_ID_RANGE_CATEGORY] = "SELECT (SELECT min(id) FROM topics WHERE "
                            "category = ?1), (SELECT max(id) FROM topics "
                            "WHERE category = ?1)",
    [S_HAS_ID] = "SELECT 1 FROM topics WHERE id = ?1 AND "
                 "(?2 IS NULL OR category = ?2)",
    [S_IDS] = "SELECT id FROM topics ORDER BY id",
    [S_IDS_CATEGORY] = "SELECT id FROM topics WHERE category = ?1 "
                       "ORDER BY id",
    [S_CATEGORIES] = "SELECT c.slug, c.name, c.name_en, coalesce(k.n, 0) "
                     "FROM categories c LEFT JOIN category_counts k "
                     "ON k.category = c.slug ORDER BY c.ord, c.slug",
    [S_TAGS] = "SELECT tag, n FROM tag_counts ORDER BY n DESC, tag",
    [S_CATEGORY_EXISTS] = "SELECT 1 FROM categories WHERE slug = ?1",
    [S_DUMP_CATEGORIES] =
        "SELECT slug, name, name_en, 0 FROM categories ORDER BY ord, slug",
    [S_DUMP_TOPICS] = "SELECT " TOPIC_COLS ", answer, corrections FROM topics "
                      "ORDER BY ord, slug",
    [S_PUT_BY_SLUG] = "SELECT id, version, doc FROM topics WHERE slug = ?1",
    /* Text parameters are ?1 and ?2, an integer ?3 (exec_one()) or ?2
     * (query_int()). */
    [S_SLUG_ID] = "SELECT id FROM topics WHERE slug = ?1",
    [S_HAS_TOPIC] = "SELECT 1 FROM topics WHERE id = ?2",
    [S_VERSION] = "SELECT version FROM topics WHERE id = ?2",
    /* Never reuse the id of a deleted topic: its revisions keep it. */
    [S_NEXT_ID] = "SELECT max(coalesce((SELECT max(id) FROM topics), 0), "
                  "coalesce((SELECT max(topic_id) FROM revisions), 0)) + 1",
    [S_NEXT_ORDER] = "SELECT coalesce(max(ord), 0) + 1 FROM topics",
    [S_INSERT_TOPIC] =
        "INSERT INTO topics(slug, title, title_en, category, ord, tags, "
        "aliases, answer, version, updated_at, doc, summary, id, corrections) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [S_UPDATE_TOPIC] =
        "UPDATE topics SET slug = ?1, title = ?2, title_en = ?3, "
        "category = ?4, ord = ?5, tags = ?6, aliases = ?7, answer = ?8, "
        "version = ?9, updated_at = ?10, doc = ?11, summary = ?12, "
        "corrections = ?14 WHERE id = ?13",
    [S_DELETE_TOPIC] = "DELETE FROM topics WHERE id = ?3",
    [S_DELETE_TAGS] = "DELETE FROM topic_tags WHERE topic_id = ?3",
    [S_INSERT_TAG] = "INSERT INTO topic_tags(tag, topic_id) VALUES (?1, ?3)",
    [S_INSERT_REVISION] = "INSERT INTO revisions(topic_id, version, action, "
                          "before, after, who, at) VALUES (?1, ?2, ?3, ?4, "
                          "?5, ?6, ?7)",
    [S_INSERT_AUDIT] = "INSERT INTO audit(at, who, action, target) "
                       "VALUES (?1, ?2, ?3, ?4)",
};

struct wenda_store {
    sqlite3 *db;
    struct wenda_tokenizer *tk;   /* created on first use */
    void *search_state;           /* owned by the connection */
    int readonly;
    sqlite3_stmt *stmt[S__COUNT];
    sqlite3_stmt *slot[WENDA_STORE_SLOTS];
    sqlite3_stmt *begin, *commit;   /* for held read transactions */
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
    int failed_code;                /* a failed COMMIT's SQLite code */
    char failed[160];               /* and message, until read */
};

static enum wenda_err prepare(struct wenda_store *st, enum stmt_id id,
                              sqlite3_stmt **out);
static void unsweep(struct wenda_store *st);
static enum wenda_err strv_from_json(const char *s, struct wenda_strv *out);
static char *strv_to_json(const struct wenda_strv *sv);
static enum wenda_err row_to_topic(sqlite3_stmt *s, int with_answer,
                                   struct wenda_topic *t);
static char *dup_col(sqlite3_stmt *s, int col);

int
wenda_store_schema_version(void)
{
    return wenda_migration_count > 0
               ? wenda_migrations[wenda_migration_count - 1].number
               : 0;
}

/* The integer the one-value query sql (a PRAGMA, a count) answers, into *v. */
static int
one_int(sqlite3 *db, const char *sql, int *v)
{
    sqlite3_stmt *s;
    int rc;

    rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *v = sqlite3_column_int(s, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return rc;
}

/* wenda_store_on_progress(): read and set on one thread, as it says. */
static wenda_store_progress_fn *progress_fn;
static void *progress_ctx;

void
wenda_store_on_progress(wenda_store_progress_fn *fn, void *ctx)
{
    progress_fn = fn;
    progress_ctx = ctx;
}

static void
progress(enum wenda_store_stage stage, int64_t n, const char *name)
{
    if (progress_fn != NULL)
        progress_fn(progress_ctx, stage, n, name);
}

/* Applies the migrations past the current user_version, each in its own
 * transaction together with the user_version bump; those of an existing
 * database (from > 0) are reported. */
static enum wenda_err
migrate(sqlite3 *db, int from, char *msg, size_t msgcap)
{
    int i;

    for (i = 0; i < wenda_migration_count; i++) {
        const struct wenda_migration *m = &wenda_migrations[i];
        char bump[64];
        char *err = NULL;

        if (m->number <= from)
            continue;
        (void)snprintf(bump, sizeof(bump), "PRAGMA user_version = %d",
                       m->number);
        if (from > 0)
            progress(WENDA_STORE_MIGRATE, m->number, m->name);
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &err) !=
                SQLITE_OK ||
            sqlite3_exec(db, m->sql, NULL, NULL, &err) != SQLITE_OK ||
            sqlite3_exec(db, bump, NULL, NULL, &err) != SQLITE_OK ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, &err) != SQLITE_OK) {
            (void)snprintf(msg, msgcap, "migration %s failed: %s", m->name,
                           err ? err : sqlite3_errmsg(db));
            sqlite3_free(err);
            (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return WENDA_ERR_DB;
        }
        if (from > 0)
            progress(WENDA_STORE_MIGRATED, m->number, m->name);
    }
    return WENDA_OK;
}

static void
configure_sqlite(void)
{
    /* Memory statistics put one global mutex around every allocation,
     * which the I/O threads would then queue on; wenda never reads them. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

enum wenda_err
wenda_store_open(const char *path, int flags, struct wenda_store **out,
                 char *msg, size_t msgcap)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    struct wenda_store *st;
    int oflags, version = 0, want = wenda_store_schema_version();
    enum wenda_err rc = WENDA_ERR_DB;

    *out = NULL;
    msg[0] = '\0';
    (void)pthread_once(&once, configure_sqlite);
    st = calloc(1, sizeof(*st));
    if (st == NULL)
        return WENDA_ERR_NOMEM;
    (void)pthread_mutex_init(&st->use_lock, NULL);
    st->readonly = (flags & WENDA_STORE_READONLY) != 0;
    oflags = SQLITE_OPEN_NOMUTEX |
             (st->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
    if (!st->readonly && (flags & WENDA_STORE_CREATE))
        oflags |= SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &st->db, oflags, NULL) != SQLITE_OK) {
        (void)snprintf(msg, msgcap, "cannot open database %s: %s", path,
                       st->db ? sqlite3_errmsg(st->db) : "out of memory");
        goto fail;
    }
    (void)sqlite3_extended_result_codes(st->db, 1);
    /* SQLite opens a file it may not write read-only without a word, and
     * every write would then fail: say so now. */
    if (!st->readonly && sqlite3_db_readonly(st->db, "main") == 1) {
        (void)snprintf(msg, msgcap, "cannot write database %s: this user "
                       "may only read it (see its owner and mode); make it "
                       "writable, or serve it with --read-only", path);
        rc = WENDA_ERR_READ_ONLY;
        goto fail;
    }
    (void)sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    /* The index uses it: register before any statement touches it. */
    if (wenda_tokenize_register(st->db) != WENDA_OK ||
        wenda_search_register(st->db, &st->search_state) != WENDA_OK) {
        (void)snprintf(msg, msgcap, "cannot register the search tokenizer "
                       "and ranking "
                       "on %s", path);
        goto fail;
    }
    if (one_int(st->db, "PRAGMA user_version", &version) != SQLITE_OK) {
        (void)snprintf(msg, msgcap, "cannot read database %s: %s", path,
                       sqlite3_errmsg(st->db));
        goto fail;
    }
    if (version > want) {
        (void)snprintf(msg, msgcap,
                       "database %s has schema version %d, newer than the %d "
                       "this wenda knows; use a newer wenda", path, version,
                       want);
        rc = WENDA_ERR_DB_TOO_NEW;
        goto fail;
    }
    if (st->readonly) {
        if (version != want) {
            (void)snprintf(msg, msgcap, "database %s has schema version %d, "
                           "not %d; open it writable once to migrate", path,
                           version, want);
            goto fail;
        }
    } else {
        char *err = NULL;

        if (sqlite3_exec(st->db,
                         "PRAGMA journal_mode = WAL;"
                         "PRAGMA synchronous = FULL;"
                         "PRAGMA foreign_keys = ON;",
                         NULL, NULL, &err) != SQLITE_OK) {
            (void)snprintf(msg, msgcap, "cannot set up database %s: %s", path,
                           err ? err : "?");
            sqlite3_free(err);
            goto fail;
        }
        rc = migrate(st->db, version, msg, msgcap);
        if (rc != WENDA_OK)
            goto fail;
    }
    *out = st;
    return WENDA_OK;
fail:
    wenda_store_close(st);
    return rc;
}

enum wenda_err
wenda_store_tune(struct wenda_store *st, const struct wenda_store_tuning *t)
{
    char sql[128];

    /* Integers only, formatted here: PRAGMA takes no bound parameter. */
    (void)snprintf(sql, sizeof(sql),
                   "PRAGMA cache_size = %lld; PRAGMA mmap_size = %lld;",
                   t->cache_kib > 0 ? -(long long)t->cache_kib : -2000LL,
                   t->mmap_bytes > 0 ? (long long)t->mmap_bytes : 0LL);
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    wenda_search_set_cap(st->search_state, t->search_cap);
    wenda_search_set_count(st->search_state, t->search_count);
    return WENDA_OK;
}

void
wenda_store_close(struct wenda_store *st)
{
    int i;

    if (st == NULL)
        return;
    unsweep(st);
    wenda_store_release_read(st);
    for (i = 0; i < S__COUNT; i++)
        sqlite3_finalize(st->stmt[i]);
    for (i = 0; i < WENDA_STORE_SLOTS; i++)
        sqlite3_finalize(st->slot[i]);
    sqlite3_finalize(st->begin);
    sqlite3_finalize(st->commit);
    wenda_search_close(st->search_state);
    (void)sqlite3_close(st->db);
    wenda_tokenizer_free(st->tk);
    (void)pthread_mutex_destroy(&st->use_lock);
    free(st);
}

enum wenda_err
wenda_store_snapshot(struct wenda_store *st, const char *path, char *msg,
                     size_t msgcap)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, "VACUUM INTO ?1", -1, &s, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) {
        (void)snprintf(msg, msgcap, "cannot write a snapshot to %s: %s",
                       path, sqlite3_errmsg(st->db));
        sqlite3_finalize(s);
        return WENDA_ERR_DB;
    }
    sqlite3_finalize(s);
    return WENDA_OK;
}

sqlite3 *
wenda_store_db(struct wenda_store *st)
{
    return st->db;
}

void *
wenda_store_search_state(struct wenda_store *st)
{
    return st->search_state;
}

struct wenda_tokenizer *
wenda_store_tokenizer(struct wenda_store *st)
{
    if (st->tk == NULL && wenda_tokenizer_new(&st->tk) != WENDA_OK)
        st->tk = NULL;
    return st->tk;
}

enum wenda_err
wenda_store_prepare(struct wenda_store *st, unsigned int slot,
                    const char *sql, sqlite3_stmt **out)
{
    *out = NULL;
    if (slot >= WENDA_STORE_SLOTS)
        return WENDA_ERR_INVALID;
    if (st->slot[slot] == NULL &&
        sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                           &st->slot[slot], NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    *out = st->slot[slot];
    return WENDA_OK;
}

/* Bumped by every commit in this process, and by a checkpoint that waits
 * for readers to leave the log; held snapshots compare. */
static atomic_ulong generation;

/* The stores that wenda_store_enter() has put under a checkpoint's sweep:
 * their snapshots may be ended by another thread between requests. */
static pthread_mutex_t readers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wenda_store *readers;     /* guarded by readers_lock */

/* Returns 1 when st holds a snapshot that began before generation gen. */
static int
held_before(const struct wenda_store *st, unsigned long gen)
{
    return st->holding && st->held_gen != gen;
}

void
wenda_store_enter(struct wenda_store *st)
{
    if (!st->swept) {
        pthread_mutex_lock(&readers_lock);
        st->next_reader = readers;
        if (readers != NULL)
            readers->prev_reader = st;
        readers = st;
        pthread_mutex_unlock(&readers_lock);
        st->swept = 1;
    }
    pthread_mutex_lock(&st->use_lock);
    st->in_use = 1;
    pthread_mutex_unlock(&st->use_lock);
}

void
wenda_store_leave(struct wenda_store *st)
{
    pthread_mutex_lock(&st->use_lock);
    st->in_use = 0;
    pthread_mutex_unlock(&st->use_lock);
}

/* Takes st off the list of readers, if it is on it. */
static void
unsweep(struct wenda_store *st)
{
    if (!st->swept)
        return;
    pthread_mutex_lock(&readers_lock);
    if (st->prev_reader != NULL)
        st->prev_reader->next_reader = st->next_reader;
    else
        readers = st->next_reader;
    if (st->next_reader != NULL)
        st->next_reader->prev_reader = st->prev_reader;
    pthread_mutex_unlock(&readers_lock);
    st->swept = 0;
}

/*
 * Ends the held snapshot of every store on the list of readers that no
 * thread is using and that began before the last bump of the generation:
 * the snapshots idle I/O threads keep between requests, which would
 * otherwise hold back a checkpoint for as long as their thread is idle.
 * A store whose thread is entering it is passed over (trylock).
 */
static void
sweep_idle_readers(void)
{
    unsigned long gen =
        atomic_load_explicit(&generation, memory_order_acquire);
    struct wenda_store *r;

    pthread_mutex_lock(&readers_lock);
    for (r = readers; r != NULL; r = r->next_reader) {
        if (pthread_mutex_trylock(&r->use_lock) != 0)
            continue;
        if (!r->in_use && held_before(r, gen))
            wenda_store_release_read(r);
        pthread_mutex_unlock(&r->use_lock);
    }
    pthread_mutex_unlock(&readers_lock);
}

void
wenda_store_changed(void)
{
    atomic_fetch_add_explicit(&generation, 1, memory_order_release);
}

static int
step_once(sqlite3 *db, sqlite3_stmt **s, const char *sql)
{
    int rc;

    if (*s == NULL &&
        sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, s, NULL) !=
            SQLITE_OK)
        return SQLITE_ERROR;
    rc = sqlite3_step(*s);
    (void)sqlite3_reset(*s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static unsigned long long
now_ms(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000 +
           (unsigned long long)ts.tv_nsec / 1000000;
}

enum wenda_err
wenda_store_hold_read(struct wenda_store *st, unsigned int max_age_ms)
{
    unsigned long gen =
        atomic_load_explicit(&generation, memory_order_acquire);
    unsigned long long now = now_ms();

    if (held_before(st, gen) ||
        (st->holding && now - st->held_since > max_age_ms))
        wenda_store_release_read(st);
    if (st->holding)
        return WENDA_OK;
    /* BEGIN is deferred: the snapshot starts with the next read. */
    if (step_once(st->db, &st->begin, "BEGIN") != SQLITE_OK)
        return WENDA_ERR_DB;
    st->holding = 1;
    st->held_gen = gen;
    st->held_since = now;
    return WENDA_OK;
}

void
wenda_store_release_read(struct wenda_store *st)
{
    if (!st->holding)
        return;
    st->holding = 0;
    if (step_once(st->db, &st->commit, "COMMIT") != SQLITE_OK)
        (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

enum wenda_err
wenda_store_last_error(struct wenda_store *st, const char **why)
{
    int code = st->failed_code ? st->failed_code
                               : sqlite3_extended_errcode(st->db);

    *why = st->failed_code ? st->failed : sqlite3_errmsg(st->db);
    st->failed_code = 0;
    return (code & 0xff) == SQLITE_READONLY ? WENDA_ERR_READ_ONLY
                                            : WENDA_ERR_DB;
}

void
wenda_store_release_stale_read(struct wenda_store *st)
{
    if (held_before(st,
                    atomic_load_explicit(&generation, memory_order_acquire)))
        wenda_store_release_read(st);
}

/* SQLite's WAL hook: notes how many frames the log holds after a commit. */
static int
note_log_frames(void *ctx, sqlite3 *db, const char *name, int frames)
{
    struct wenda_store *st = ctx;

    (void)db;
    (void)name;
    st->log_frames = frames;
    return SQLITE_OK;
}

/*
 * The busy handler of a checkpoint: each time readers are in its way it
 * asks them again to let go of their snapshots and waits a millisecond,
 * until the store's deadline.
 */
static int
checkpoint_busy(void *ctx, int count)
{
    struct wenda_store *st = ctx;
    struct timespec ms = {0, 1000L * 1000};

    (void)count;
    wenda_store_changed();
    sweep_idle_readers();
    if (now_ms() >= st->wait_until)
        return 0;
    (void)nanosleep(&ms, NULL);
    return 1;
}

enum wenda_checkpoint
wenda_store_checkpoint(struct wenda_store *st, unsigned int threshold_pages,
                       unsigned int max_wait_ms, long *frames_left)
{
    int nlog = 0, ncopied = 0, rc;

    if (frames_left != NULL)
        *frames_left = st->log_frames;
    if (!st->log_hooked) {
        char sql[64];
        int page = 4096;

        /* From now on this store checkpoints, not SQLite after a commit;
         * the hook keeps count instead.  A log that could not be emptied
         * at once is cut back to the threshold when SQLite rewinds it. */
        (void)sqlite3_wal_hook(st->db, note_log_frames, st);
        (void)one_int(st->db, "PRAGMA page_size", &page);
        (void)snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit = %lld",
                       (long long)page * (threshold_pages ? threshold_pages
                                                          : 1000));
        (void)sqlite3_exec(st->db, sql, NULL, NULL, NULL);
        st->log_hooked = 1;
        st->log_frames = INT32_MAX;     /* unknown: look once */
    }
    if (st->log_frames < (long long)threshold_pages)
        return WENDA_CHECKPOINT_NONE;
    wenda_store_changed();
    sweep_idle_readers();
    st->wait_until = now_ms() + max_wait_ms;
    (void)sqlite3_busy_handler(st->db, checkpoint_busy, st);
    rc = sqlite3_wal_checkpoint_v2(st->db, "main",
                                   SQLITE_CHECKPOINT_TRUNCATE, &nlog,
                                   &ncopied);
    (void)sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    st->log_frames = rc == SQLITE_OK ? 0 : nlog > 0 ? nlog : st->log_frames;
    if (frames_left != NULL)
        *frames_left = st->log_frames;
    return rc == SQLITE_OK              ? WENDA_CHECKPOINT_TRUNCATED
           : (rc & 0xff) == SQLITE_BUSY ? WENDA_CHECKPOINT_BUSY
                                        : WENDA_CHECKPOINT_FAILED;
}

static enum wenda_err
prepare(struct wenda_store *st, enum stmt_id id, sqlite3_stmt **out)
{
    if (st->stmt[id] == NULL &&
        sqlite3_prepare_v3(st->db, stmt_sql[id], -1,
                           SQLITE_PREPARE_PERSISTENT, &st->stmt[id],
                           NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    *out = st->stmt[id];
    return WENDA_OK;
}

/* Resets s and clears its bindings, ready for the next call. */
static void
done(sqlite3_stmt *s)
{
    (void)sqlite3_reset(s);
    (void)sqlite3_clear_bindings(s);
}

static char *
dup_col(sqlite3_stmt *s, int col)
{
    const unsigned char *v = sqlite3_column_text(s, col);
    int n = sqlite3_column_bytes(s, col);
    char *p = malloc((size_t)n + 1);

    if (p == NULL)
        return NULL;
    if (n > 0 && v != NULL)
        memcpy(p, v, (size_t)n);
    p[n] = '\0';
    return p;
}

static enum wenda_err
strv_from_json(const char *s, struct wenda_strv *out)
{
    json_t *a = json_loads(s, 0, NULL);
    size_t i;

    memset(out, 0, sizeof(*out));
    if (a == NULL || !json_is_array(a)) {
        json_decref(a);
        return WENDA_ERR_DB;
    }
    out->v = calloc(json_array_size(a) + 1, sizeof(char *));
    if (out->v == NULL) {
        json_decref(a);
        return WENDA_ERR_NOMEM;
    }
    for (i = 0; i < json_array_size(a); i++) {
        const char *v = json_string_value(json_array_get(a, i));

        out->v[out->n] = strdup(v ? v : "");
        if (out->v[out->n] == NULL) {
            json_decref(a);
            wenda_strv_cleanup(out);
            return WENDA_ERR_NOMEM;
        }
        out->n++;
    }
    json_decref(a);
    return WENDA_OK;
}

/* Returns a new malloc'ed JSON array text of sv, or NULL. */
static char *
strv_to_json(const struct wenda_strv *sv)
{
    json_t *a = json_array();
    char *s;
    size_t i;

    if (a == NULL)
        return NULL;
    for (i = 0; i < sv->n; i++)
        if (json_array_append_new(a, json_string(sv->v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

/* Reads the corrections column (a JSON array) into t. */
static enum wenda_err
corrections_from_col(sqlite3_stmt *s, int col, struct wenda_topic *t)
{
    const char *text = (const char *)sqlite3_column_text(s, col);
    json_t *a = json_loads(text ? text : "[]", 0, NULL);
    char msg[160];
    enum wenda_err rc;

    if (a == NULL)
        return WENDA_ERR_DB;
    rc = wenda_corrections_from_json(a, t, msg, sizeof(msg));
    json_decref(a);
    return rc == WENDA_ERR_INVALID ? WENDA_ERR_DB : rc;
}

static enum wenda_err
row_to_topic(sqlite3_stmt *s, int with_answer, struct wenda_topic *t)
{
    enum wenda_err rc;

    memset(t, 0, sizeof(*t));
    t->id = sqlite3_column_int64(s, 0);
    t->slug = dup_col(s, 1);
    t->title = dup_col(s, 2);
    t->title_en = dup_col(s, 3);
    t->category = dup_col(s, 4);
    t->order = sqlite3_column_int64(s, 5);
    t->version = sqlite3_column_int64(s, 8);
    t->updated_at = dup_col(s, 9);
    if (with_answer) {
        t->answer = dup_col(s, 10);
        rc = corrections_from_col(s, 11, t);
        if (rc != WENDA_OK) {
            wenda_topic_cleanup(t);
            return rc;
        }
    }
    if (t->slug == NULL || t->title == NULL || t->title_en == NULL ||
        t->category == NULL || t->updated_at == NULL ||
        (with_answer && t->answer == NULL)) {
        wenda_topic_cleanup(t);
        return WENDA_ERR_NOMEM;
    }
    rc = strv_from_json((const char *)sqlite3_column_text(s, 6), &t->tags);
    if (rc == WENDA_OK)
        rc = strv_from_json((const char *)sqlite3_column_text(s, 7),
                            &t->aliases);
    if (rc != WENDA_OK)
        wenda_topic_cleanup(t);
    return rc;
}

static void
now_rfc3339(char *out, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;

    (void)gmtime_r(&now, &tm);
    (void)strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * An import in progress: one write transaction, the statements it repeats
 * prepared once, and the id the next topic gets.
 */
struct wenda_import {
    struct wenda_store *st;
    sqlite3_stmt *top, *tag;
    int64_t next_id;
    char stamp[32];
    char *schema;   /* CREATE INDEX and TRIGGER statements for the end */
    int secure_delete;  /* the connection's setting, given back at the end */
};

/*
 * Drops the secondary indexes and the triggers of the tables an import
 * fills, keeping their CREATE statements in im->schema for
 * import_schema_restore().  Built once from sorted keys at the end, an
 * index costs a fraction of what a row-by-row insert in key order costs,
 * and it takes the pages that merging the full-text index freed instead of
 * growing the file.  The triggers keep the counts of topics by category
 * and tag (migration 0009), which one GROUP BY each sets at the end
 * instead of an update per row; without them the DELETE of the old topics
 * also empties each table at once.  (The primary keys and the slug's
 * UNIQUE stay: they check the rows as they come.)
 */
static enum wenda_err
import_schema_drop(struct wenda_import *im)
{
    static const char list[] =
        "SELECT type, name, sql FROM sqlite_schema WHERE type IN ('index', "
        "'trigger') AND sql IS NOT NULL AND tbl_name IN ('topics', "
        "'topic_tags', 'title_keys') ORDER BY type, name";
    struct buf create = {0}, drop = {0};
    sqlite3_stmt *s;
    enum wenda_err rc = WENDA_OK;
    int step;

    if (sqlite3_prepare_v2(im->st->db, list, -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(s, 0);
        const char *name = (const char *)sqlite3_column_text(s, 1);
        const char *sql = (const char *)sqlite3_column_text(s, 2);
        char *q = sqlite3_mprintf("DROP %s \"%w\";",
                                  strcmp(type, "index") == 0 ? "INDEX"
                                                             : "TRIGGER",
                                  name);

        if (q == NULL) {
            rc = WENDA_ERR_NOMEM;
            break;
        }
        buf_adds(&drop, q);
        sqlite3_free(q);
        buf_adds(&create, sql);
        buf_adds(&create, ";\n");
    }
    sqlite3_finalize(s);
    if (rc == WENDA_OK && step != SQLITE_DONE)
        rc = WENDA_ERR_DB;
    if (rc == WENDA_OK && (buf_failed(&drop) || buf_failed(&create)))
        rc = WENDA_ERR_NOMEM;
    if (rc == WENDA_OK && drop.n > 0 &&
        sqlite3_exec(im->st->db, drop.p, NULL, NULL, NULL) != SQLITE_OK)
        rc = WENDA_ERR_DB;
    buf_cleanup(&drop);
    if (rc == WENDA_OK && create.n > 0)
        im->schema = buf_take(&create, NULL);
    buf_cleanup(&create);
    return rc;
}

/* What the triggers import_schema_drop() dropped would have counted. */
static const char import_counts_sql[] =
    "DELETE FROM category_counts; DELETE FROM tag_counts; "
    "INSERT INTO category_counts(category, n) "
    "    SELECT category, count(*) FROM topics GROUP BY category; "
    "INSERT INTO tag_counts(tag, n) "
    "    SELECT tag, count(*) FROM topic_tags GROUP BY tag;";

/* Creates again what import_schema_drop() dropped, and counts. */
static enum wenda_err
import_schema_restore(struct wenda_import *im)
{
    if (im->schema != NULL &&
        sqlite3_exec(im->st->db, im->schema, NULL, NULL, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    return sqlite3_exec(im->st->db, import_counts_sql, NULL, NULL, NULL) ==
                   SQLITE_OK
               ? WENDA_OK
               : WENDA_ERR_DB;
}

/* Gives the connection back the settings an import changed. */
static void
import_settings_restore(struct wenda_import *im)
{
    char sql[64];

    (void)sqlite3_exec(im->st->db, "PRAGMA journal_mode = WAL", NULL, NULL,
                       NULL);
    if (im->secure_delete >= 0) {
        (void)snprintf(sql, sizeof(sql), "PRAGMA secure_delete = %s",
                       im->secure_delete == 2   ? "FAST"
                       : im->secure_delete == 1 ? "ON"
                                                : "OFF");
        (void)sqlite3_exec(im->st->db, sql, NULL, NULL, NULL);
    }
}

static enum wenda_err
import_categories(struct wenda_store *st, const struct wenda_category *cats,
                  size_t ncats)
{
    sqlite3_stmt *s = NULL;
    size_t i;

    if (sqlite3_exec(st->db, "DELETE FROM categories", NULL, NULL, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(st->db,
                           "INSERT INTO categories(slug, name, name_en, ord) "
                           "VALUES (?1, ?2, ?3, ?4)",
                           -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    for (i = 0; i < ncats; i++) {
        sqlite3_bind_text(s, 1, cats[i].slug, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, cats[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, cats[i].name_en, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, (sqlite3_int64)i + 1);
        if (sqlite3_step(s) != SQLITE_DONE) {
            sqlite3_finalize(s);
            return WENDA_ERR_DB;
        }
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return WENDA_OK;
}

enum wenda_err
wenda_store_import_begin(struct wenda_store *st,
                         const struct wenda_category *cats, size_t ncats,
                         struct wenda_import **out)
{
    struct wenda_import *im;
    enum wenda_err rc = WENDA_ERR_DB;
    int old = 0;   /* topics there were */

    *out = NULL;
    if (st->readonly)
        return WENDA_ERR_INVALID;
    im = calloc(1, sizeof(*im));
    if (im == NULL)
        return WENDA_ERR_NOMEM;
    im->st = st;
    im->next_id = 1;
    now_rfc3339(im->stamp, sizeof(im->stamp));
    /*
     * A whole import writes every page of the database: through a rollback
     * journal (which keeps only the few pages it replaces) rather than the
     * write-ahead log (which would hold them all, to be copied again at the
     * checkpoint) it writes half as much.  Only possible with no other
     * connection open; otherwise the import goes through the log.
     */
    (void)sqlite3_exec(st->db, "PRAGMA journal_mode = DELETE", NULL, NULL,
                       NULL);
    /*
     * SQLite built with SQLITE_SECURE_DELETE (Debian's is) writes zeros
     * over every page an import frees: all of the old topics and of their
     * index, 4 to 5.5 s of an import over 100,000 topics before its first
     * one, against 1.1 s with FAST, which zeroes deleted rows on the pages
     * it writes anyway but leaves free pages as they are, for the import
     * to write over.
     */
    if (one_int(st->db, "PRAGMA secure_delete", &im->secure_delete) !=
        SQLITE_OK)
        im->secure_delete = -1;
    (void)sqlite3_exec(st->db, "PRAGMA secure_delete = FAST", NULL, NULL,
                       NULL);
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
        SQLITE_OK) {
        import_settings_restore(im);
        free(im);
        return WENDA_ERR_DB;
    }
    rc = import_schema_drop(im);
    if (rc == WENDA_OK &&
        one_int(st->db, "SELECT coalesce(sum(n), 0) FROM category_counts",
                &old) == SQLITE_OK &&
        old > 0)
        progress(WENDA_STORE_CLEAR, old, NULL);
    /*
     * The rows that refer to topics go before the topics: with the
     * indexes on their topic_id dropped, the ON DELETE CASCADE of each
     * topic deleted would read all of them.
     */
    if (rc == WENDA_OK)
        rc = wenda_search_index_clear(st);
    if (rc == WENDA_OK &&
        (sqlite3_exec(st->db, "DELETE FROM topic_tags; DELETE FROM topics;",
                      NULL, NULL, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(st->db,
                            "INSERT INTO topics(id, slug, title, title_en, "
                            "category, ord, tags, aliases, answer, version, "
                            "updated_at, doc, summary, corrections) VALUES "
                            "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, "
                            "?11, ?12, ?13)",
                            -1, &im->top, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(st->db,
                            "INSERT INTO topic_tags(tag, topic_id) "
                            "VALUES (?1, ?2)",
                            -1, &im->tag, NULL) != SQLITE_OK))
        rc = WENDA_ERR_DB;
    if (rc == WENDA_OK && cats != NULL)
        rc = import_categories(st, cats, ncats);
    if (rc == WENDA_OK)
        rc = wenda_search_index_bulk(st, 1);
    if (rc != WENDA_OK)
        goto fail;
    *out = im;
    return WENDA_OK;
fail:
    (void)wenda_store_import_end(im, 0);
    return rc;
}

/* A topic's text columns as stored: JSON arrays and the API's documents. */
struct topic_text {
    char *tags, *aliases, *corrections, *doc, *summary;
};

static void
topic_text_cleanup(struct topic_text *x)
{
    free(x->tags);
    free(x->aliases);
    free(x->corrections);
    free(x->doc);
    free(x->summary);
    memset(x, 0, sizeof(*x));
}

/*
 * Renders the text columns of t, stored as id at version on stamp, into
 * *out (zeroed first), which the caller releases with topic_text_cleanup()
 * whether this succeeded or not.
 */
static enum wenda_err
render_topic(const struct wenda_topic *t, int64_t id, int64_t version,
             const char *stamp, struct topic_text *out)
{
    struct wenda_topic stored = *t;   /* borrowed fields, as stored */
    json_t *cj = wenda_corrections_json(t);

    memset(out, 0, sizeof(*out));
    out->corrections = cj ? json_dumps(cj, JSON_COMPACT) : NULL;
    json_decref(cj);
    out->tags = strv_to_json(&t->tags);
    out->aliases = strv_to_json(&t->aliases);
    stored.id = id;
    stored.version = version;
    stored.updated_at = (char *)(uintptr_t)stamp;
    out->doc = wenda_topic_json(&stored, 1, NULL);
    out->summary = wenda_topic_json(&stored, 0, NULL);
    return out->corrections == NULL || out->tags == NULL ||
                   out->aliases == NULL || out->doc == NULL ||
                   out->summary == NULL
               ? WENDA_ERR_NOMEM
               : WENDA_OK;
}

/*
 * One topic of an import, ready to be written: the topic (borrowed), the
 * id it is stored under, the JSON texts of its columns, and its index row.
 */
struct wenda_import_row {
    const struct wenda_topic *t;
    int64_t id;
    struct topic_text text;
    struct wenda_search_row *index;
};

const char *
wenda_store_import_stamp(const struct wenda_import *im)
{
    return im->stamp;
}

enum wenda_err
wenda_store_import_prepare(struct wenda_tokenizer *tk,
                           const struct wenda_topic *t, int64_t id,
                           const char *stamp, int pretokenize,
                           struct wenda_import_row **out)
{
    struct wenda_import_row *row;
    enum wenda_err rc;

    *out = NULL;
    row = calloc(1, sizeof(*row));
    if (row == NULL)
        return WENDA_ERR_NOMEM;
    row->t = t;
    row->id = id;
    rc = render_topic(t, id, 1, stamp, &row->text);
    if (rc == WENDA_OK)
        rc = wenda_search_prepare(tk, t, pretokenize, &row->index);
    if (rc != WENDA_OK) {
        wenda_store_import_row_free(row);
        return rc;
    }
    *out = row;
    return WENDA_OK;
}

void
wenda_store_import_row_free(struct wenda_import_row *row)
{
    if (row == NULL)
        return;
    topic_text_cleanup(&row->text);
    wenda_search_row_free(row->index);
    free(row);
}

/* Binds the columns of row to im->top and steps it. */
static enum wenda_err
import_row(struct wenda_import *im, const struct wenda_import_row *row,
           char *msg, size_t msgcap)
{
    sqlite3_stmt *top = im->top;
    const struct wenda_topic *t = row->t;
    int step;

    sqlite3_bind_int64(top, 1, row->id);
    sqlite3_bind_text(top, 2, t->slug, -1, SQLITE_STATIC);
    sqlite3_bind_text(top, 3, t->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(top, 4, t->title_en ? t->title_en : "", -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(top, 5, t->category, -1, SQLITE_STATIC);
    sqlite3_bind_int64(top, 6, t->order);
    sqlite3_bind_text(top, 7, row->text.tags, -1, SQLITE_STATIC);
    sqlite3_bind_text(top, 8, row->text.aliases, -1, SQLITE_STATIC);
    sqlite3_bind_text(top, 9, t->answer, -1, SQLITE_STATIC);
    sqlite3_bind_text(top, 10, im->stamp, -1, SQLITE_STATIC);
    sqlite3_bind_text(top, 11, row->text.doc, -1, SQLITE_STATIC);
    sqlite3_bind_text(top, 12, row->text.summary, -1, SQLITE_STATIC);
    sqlite3_bind_text(top, 13, row->text.corrections, -1, SQLITE_STATIC);
    step = sqlite3_step(top);
    done(top);
    if (step == SQLITE_DONE)
        return WENDA_OK;
    if (step == SQLITE_CONSTRAINT_FOREIGNKEY) {
        (void)snprintf(msg, msgcap, "unknown category '%.64s'", t->category);
        return WENDA_ERR_INVALID;
    }
    if ((step & 0xff) == SQLITE_CONSTRAINT) {
        (void)snprintf(msg, msgcap, "duplicate slug '%.64s'", t->slug);
        return WENDA_ERR_CONFLICT;
    }
    return WENDA_ERR_DB;
}

enum wenda_err
wenda_store_import_add_row(struct wenda_import *im,
                           const struct wenda_import_row *row, char *msg,
                           size_t msgcap)
{
    const struct wenda_topic *t = row->t;
    enum wenda_err rc;
    size_t j;

    msg[0] = '\0';
    if (row->id != im->next_id) {
        (void)snprintf(msg, msgcap,
                       "topic prepared as id %lld, the next id is %lld",
                       (long long)row->id, (long long)im->next_id);
        return WENDA_ERR_INVALID;
    }
    rc = import_row(im, row, msg, msgcap);
    for (j = 0; rc == WENDA_OK && j < t->tags.n; j++) {
        sqlite3_bind_text(im->tag, 1, t->tags.v[j], -1, SQLITE_STATIC);
        sqlite3_bind_int64(im->tag, 2, row->id);
        if (sqlite3_step(im->tag) != SQLITE_DONE)
            rc = WENDA_ERR_DB;
        done(im->tag);
    }
    if (rc == WENDA_OK)
        rc = wenda_search_write(im->st, row->id, row->index);
    if (rc == WENDA_OK)
        progress(WENDA_STORE_WRITTEN, im->next_id++, NULL);
    return rc;
}

enum wenda_err
wenda_store_import_add(struct wenda_import *im, const struct wenda_topic *t,
                       char *msg, size_t msgcap)
{
    struct wenda_import_row *row;
    enum wenda_err rc;

    msg[0] = '\0';
    rc = wenda_store_import_prepare(wenda_store_tokenizer(im->st), t,
                                    im->next_id, im->stamp, 0, &row);
    if (rc != WENDA_OK)
        return rc;
    rc = wenda_store_import_add_row(im, row, msg, msgcap);
    wenda_store_import_row_free(row);
    return rc;
}

/*
 * The end of an import that commits.  The segments FTS5 wrote during the
 * import are merged into one first (see wenda_search_index_bulk()): a
 * search looks every word up in each segment, and with one it is about a
 * third faster than with the dozen that FTS5's own merging leaves after
 * 100,000 topics.  Merging goes back to FTS5's defaults only after that:
 * the optimize first writes out the tokens still pending, and with the
 * defaults back that segment would set off a merge of the whole pile
 * first.
 */
static enum wenda_err
import_commit(struct wenda_import *im)
{
    int64_t n = im->next_id - 1;
    enum wenda_err rc;

    progress(WENDA_STORE_MERGE, n, NULL);
    rc = wenda_search_index_optimize(im->st);
    if (rc == WENDA_OK)
        rc = wenda_search_index_bulk(im->st, 0);
    if (rc == WENDA_OK) {
        progress(WENDA_STORE_INDEX, n, NULL);
        rc = import_schema_restore(im);
    }
    if (rc == WENDA_OK) {
        progress(WENDA_STORE_COMMIT, n, NULL);
        if (sqlite3_exec(im->st->db, "COMMIT", NULL, NULL, NULL) !=
            SQLITE_OK)
            rc = WENDA_ERR_DB;
    }
    return rc;
}

enum wenda_err
wenda_store_import_end(struct wenda_import *im, int commit)
{
    enum wenda_err rc = WENDA_OK;

    if (im == NULL)
        return WENDA_ERR_INVALID;
    sqlite3_finalize(im->top);
    sqlite3_finalize(im->tag);
    if (commit)
        rc = import_commit(im);
    if (commit && rc == WENDA_OK)
        wenda_store_changed();
    else
        (void)sqlite3_exec(im->st->db, "ROLLBACK", NULL, NULL, NULL);
    import_settings_restore(im);
    free(im->schema);
    free(im);
    return rc;
}

enum wenda_err
wenda_store_import(struct wenda_store *st, const struct wenda_content *c)
{
    struct wenda_import *im;
    enum wenda_err rc;
    char msg[160];
    size_t i;

    rc = wenda_store_import_begin(st, c->cats, c->ncats, &im);
    for (i = 0; rc == WENDA_OK && i < c->ntopics; i++)
        rc = wenda_store_import_add(im, &c->topics[i], msg, sizeof(msg));
    if (im == NULL)
        return rc;
    if (rc != WENDA_OK) {
        (void)wenda_store_import_end(im, 0);
        return rc;
    }
    return wenda_store_import_end(im, 1);
}

static enum wenda_err
read_categories(struct wenda_store *st, enum stmt_id id,
                struct wenda_category **cats, size_t *n)
{
    struct wenda_category *v = NULL;
    size_t cap = 0;
    sqlite3_stmt *s;
    enum wenda_err rc;
    int step;

    *cats = NULL;
    *n = 0;
    rc = prepare(st, id, &s);
    if (rc != WENDA_OK)
        return rc;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct wenda_category *k;

        if (buf_reserve(&v, &cap, *n, sizeof(*v), 16) != 0) {
            rc = WENDA_ERR_NOMEM;
            break;
        }
        k = &v[*n];
        k->slug = dup_col(s, 0);
        k->name = dup_col(s, 1);
        k->name_en = dup_col(s, 2);
        k->count = sqlite3_column_int64(s, 3);
        (*n)++;
        if (k->slug == NULL || k->name == NULL || k->name_en == NULL) {
            rc = WENDA_ERR_NOMEM;
            break;
        }
    }
    if (rc == WENDA_OK && step != SQLITE_DONE)
        rc = WENDA_ERR_DB;
    done(s);
    if (rc != WENDA_OK) {
        wenda_categories_free(v, *n);
        *n = 0;
        return rc;
    }
    *cats = v;
    return WENDA_OK;
}

/* Collects the rows of a topic statement already bound. */
static enum wenda_err
read_topics(sqlite3_stmt *s, int with_answer, size_t limit,
            struct wenda_topic **items, size_t *n, int *more)
{
    struct wenda_topic *v = NULL;
    size_t cap = 0;
    enum wenda_err rc = WENDA_OK;
    int step;

    *items = NULL;
    *n = 0;
    *more = 0;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == limit) {
            *more = 1;
            break;
        }
        if (buf_reserve(&v, &cap, *n, sizeof(*v), 32) != 0) {
            rc = WENDA_ERR_NOMEM;
            break;
        }
        rc = row_to_topic(s, with_answer, &v[*n]);
        if (rc != WENDA_OK)
            break;
        (*n)++;
    }
    if (rc == WENDA_OK && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = WENDA_ERR_DB;
    done(s);
    if (rc != WENDA_OK) {
        wenda_topics_free(v, *n);
        *n = 0;
        return rc;
    }
    *items = v;
    return WENDA_OK;
}

enum wenda_err
wenda_store_dump(struct wenda_store *st, struct wenda_content *out)
{
    sqlite3_stmt *s;
    enum wenda_err rc;
    int more;

    memset(out, 0, sizeof(*out));
    rc = read_categories(st, S_DUMP_CATEGORIES, &out->cats, &out->ncats);
    if (rc == WENDA_OK)
        rc = prepare(st, S_DUMP_TOPICS, &s);
    if (rc == WENDA_OK)
        rc = read_topics(s, 1, (size_t)-1, &out->topics, &out->ntopics,
                         &more);
    if (rc != WENDA_OK)
        wenda_content_cleanup(out);
    return rc;
}

/* The number of topics (of category, when not NULL) into *count. */
static enum wenda_err
count_topics(struct wenda_store *st, const char *category, int64_t *count)
{
    sqlite3_stmt *s;
    enum wenda_err rc = prepare(st, category ? S_COUNT_CATEGORY : S_COUNT, &s);

    *count = 0;
    if (rc != WENDA_OK)
        return rc;
    if (category != NULL)
        sqlite3_bind_text(s, 1, category, -1, SQLITE_STATIC);
    rc = sqlite3_step(s) == SQLITE_ROW ? WENDA_OK : WENDA_ERR_DB;
    if (rc == WENDA_OK)
        *count = sqlite3_column_int64(s, 0);
    done(s);
    return rc;
}

enum wenda_err
wenda_store_topic_count(struct wenda_store *st, int64_t *count)
{
    return count_topics(st, NULL, count);
}

enum wenda_err
wenda_store_topic_get(struct wenda_store *st, int64_t id, const char *slug,
                      struct wenda_topic *out)
{
    sqlite3_stmt *s;
    enum wenda_err rc;
    int step;

    memset(out, 0, sizeof(*out));
    rc = prepare(st, slug ? S_GET_BY_SLUG : S_GET_BY_ID, &s);
    if (rc != WENDA_OK)
        return rc;
    if (slug != NULL)
        sqlite3_bind_text(s, 1, slug, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(s, 1, id);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW)
        rc = row_to_topic(s, 1, out);
    else
        rc = step == SQLITE_DONE ? WENDA_ERR_NOT_FOUND : WENDA_ERR_DB;
    done(s);
    return rc;
}

enum wenda_err
wenda_store_topic_doc(struct wenda_store *st, int64_t id, const char *slug,
                      char **json, size_t *len)
{
    sqlite3_stmt *s;
    enum wenda_err rc;
    int step;

    *json = NULL;
    *len = 0;
    rc = prepare(st, slug ? S_DOC_BY_SLUG : S_DOC_BY_ID, &s);
    if (rc != WENDA_OK)
        return rc;
    if (slug != NULL)
        sqlite3_bind_text(s, 1, slug, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(s, 1, id);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        *json = dup_col(s, 0);
        *len = (size_t)sqlite3_column_bytes(s, 0);
        rc = *json ? WENDA_OK : WENDA_ERR_NOMEM;
    } else {
        rc = step == SQLITE_DONE ? WENDA_ERR_NOT_FOUND : WENDA_ERR_DB;
    }
    done(s);
    return rc;
}

/*
 * Reads the ids of every topic, of category when not NULL, in id order,
 * into a new array *ids of *n (the caller frees; NULL when there is none).
 */
static enum wenda_err
topic_ids(struct wenda_store *st, const char *category, int64_t **ids,
          size_t *n)
{
    sqlite3_stmt *s;
    int64_t *v = NULL;
    size_t cap = 0;
    enum wenda_err rc;
    int step;

    *ids = NULL;
    *n = 0;
    rc = prepare(st, category ? S_IDS_CATEGORY : S_IDS, &s);
    if (rc != WENDA_OK)
        return rc;
    if (category != NULL)
        sqlite3_bind_text(s, 1, category, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (buf_reserve(&v, &cap, *n, sizeof(*v), 64) != 0) {
            rc = WENDA_ERR_NOMEM;
            break;
        }
        v[(*n)++] = sqlite3_column_int64(s, 0);
    }
    done(s);
    if (rc == WENDA_OK && step != SQLITE_DONE)
        rc = WENDA_ERR_DB;
    if (rc != WENDA_OK) {
        free(v);
        *n = 0;
        return rc;
    }
    *ids = v;
    return WENDA_OK;
}

enum wenda_err
wenda_store_docs_page(struct wenda_store *st, int64_t after_id,
                      unsigned int limit, struct buf_out *out)
{
    sqlite3_stmt *s;
    enum wenda_err rc = prepare(st, S_DOC_PAGE, &s);
    struct buf b = {0};
    int step;

    out->data = NULL;
    out->len = 0;
    out->last_id = after_id;
    if (rc != WENDA_OK)
        return rc;
    sqlite3_bind_int64(s, 1, after_id);
    sqlite3_bind_int64(s, 2, limit);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        out->last_id = sqlite3_column_int64(s, 0);
        buf_add(&b, sqlite3_column_text(s, 1),
                (size_t)sqlite3_column_bytes(s, 1));
        buf_add(&b, "\n", 1);
    }
    done(s);
    if (step != SQLITE_DONE) {
        buf_cleanup(&b);
        return WENDA_ERR_DB;
    }
    if (b.n == 0) {
        buf_cleanup(&b);
        return WENDA_OK;
    }
    out->data = buf_take(&b, &out->len);
    return out->data ? WENDA_OK : WENDA_ERR_NOMEM;
}

enum wenda_err
wenda_store_topic_list_json(struct wenda_store *st,
                            const struct wenda_topic_filter *f, char **json,
                            size_t *len, int64_t *last_id, int *more)
{
    enum stmt_id id = f->category && f->tag ? S_SUM_LIST_CATEGORY_TAG
                      : f->category         ? S_SUM_LIST_CATEGORY
                      : f->tag              ? S_SUM_LIST_TAG
                                            : S_SUM_LIST;
    struct buf b = {0};
    sqlite3_stmt *s;
    unsigned int n = 0;
    enum wenda_err rc = prepare(st, id, &s);
    int step;

    *json = NULL;
    *len = 0;
    *last_id = 0;
    *more = 0;
    if (rc != WENDA_OK)
        return rc;
    sqlite3_bind_int64(s, 1, f->after_id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)f->limit + 1);
    sqlite3_bind_int(s, 5, f->corrected ? 1 : 0);
    if (f->category != NULL)
        sqlite3_bind_text(s, 3, f->category, -1, SQLITE_STATIC);
    if (f->tag != NULL)
        sqlite3_bind_text(s, 4, f->tag, -1, SQLITE_STATIC);
    buf_add(&b, "[", 1);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == f->limit) {
            *more = 1;
            break;
        }
        if (n++ > 0)
            buf_add(&b, ",", 1);
        *last_id = sqlite3_column_int64(s, 0);
        buf_add(&b, sqlite3_column_text(s, 1),
                (size_t)sqlite3_column_bytes(s, 1));
    }
    buf_add(&b, "]", 1);
    done(s);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        buf_cleanup(&b);
        return WENDA_ERR_DB;
    }
    *json = buf_take(&b, len);
    return *json ? WENDA_OK : WENDA_ERR_NOMEM;
}

enum wenda_err
wenda_store_topic_list(struct wenda_store *st,
                       const struct wenda_topic_filter *f,
                       struct wenda_topic **items, size_t *n, int *more)
{
    enum stmt_id id = f->category && f->tag ? S_LIST_CATEGORY_TAG
                      : f->category         ? S_LIST_CATEGORY
                      : f->tag              ? S_LIST_TAG
                                            : S_LIST;
    sqlite3_stmt *s;
    enum wenda_err rc = prepare(st, id, &s);

    if (rc != WENDA_OK)
        return rc;
    sqlite3_bind_int64(s, 1, f->after_id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)f->limit + 1);
    sqlite3_bind_int(s, 5, f->corrected ? 1 : 0);
    if (f->category != NULL)
        sqlite3_bind_text(s, 3, f->category, -1, SQLITE_STATIC);
    if (f->tag != NULL)
        sqlite3_bind_text(s, 4, f->tag, -1, SQLITE_STATIC);
    return read_topics(s, 0, f->limit, items, n, more);
}

enum wenda_err
wenda_store_topic_random(struct wenda_store *st, const char *category,
                         uint64_t seed, struct wenda_topic *out)
{
    int64_t id;
    enum wenda_err rc = wenda_store_topic_random_id(st, category, seed, &id);

    memset(out, 0, sizeof(*out));
    return rc == WENDA_OK ? wenda_store_topic_get(st, id, NULL, out) : rc;
}

enum wenda_err
wenda_store_topic_random_id(struct wenda_store *st, const char *category,
                            uint64_t seed, int64_t *out)
{
    size_t n = 0;
    enum wenda_err rc = wenda_store_topic_sample(st, category, seed, 1, out,
                                                 &n);

    if (rc == WENDA_OK && n == 0)
        rc = WENDA_ERR_NOT_FOUND;
    if (rc != WENDA_OK)
        *out = 0;
    return rc;
}

/*
 * Topics are drawn by id: an id drawn uniformly between the lowest and the
 * highest of the topics to draw from is taken when a topic (of the
 * category) has it and not drawn yet, and drawn again when not.  Every
 * topic is then equally likely, whatever gaps deletions left, and a draw
 * costs a few lookups at any size, where numbering the topics (OFFSET)
 * walked half of them on average: 330 ms at a million.  Small sets, sets
 * so sparse among the ids that a draw would take more than SAMPLE_TRIES
 * tries on average, large samples, and draws that run out of tries
 * (SAMPLE_TRIES per topic drawn) take the ids of every topic to draw from
 * and shuffle them (wenda_study_pick()) instead.  Both ways depend on
 * nothing but seed and the topics.
 */
#define SAMPLE_LIST_MAX 1024
#define SAMPLE_TRIES 64
#define SAMPLE_MAX_COUNT 64

/* Whether topic id exists (in category, when not NULL). */
static enum wenda_err
has_topic(struct wenda_store *st, const char *category, int64_t id,
          int *found)
{
    sqlite3_stmt *s;
    enum wenda_err rc = prepare(st, S_HAS_ID, &s);
    int step;

    *found = 0;
    if (rc != WENDA_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    if (category != NULL)
        sqlite3_bind_text(s, 2, category, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    done(s);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return WENDA_ERR_DB;
    *found = step == SQLITE_ROW;
    return WENDA_OK;
}

/* The lowest and highest id of the topics (of category); 0, 0 for none. */
static enum wenda_err
id_range(struct wenda_store *st, const char *category, int64_t *lo,
         int64_t *hi)
{
    sqlite3_stmt *s;
    enum wenda_err rc =
        prepare(st, category ? S_ID_RANGE_CATEGORY : S_ID_RANGE, &s);

    *lo = *hi = 0;
    if (rc != WENDA_OK)
        return rc;
    if (category != NULL)
        sqlite3_bind_text(s, 1, category, -1, SQLITE_STATIC);
    rc = sqlite3_step(s) == SQLITE_ROW ? WENDA_OK : WENDA_ERR_DB;
    if (rc == WENDA_OK) {
        *lo = sqlite3_column_int64(s, 0);
        *hi = sqlite3_column_int64(s, 1);
    }
    done(s);
    return rc;
}

/* Draws k topics by id from [lo, hi]; *nout < k when it ran out of tries. */
static enum wenda_err
sample_by_id(struct wenda_store *st, const char *category, uint64_t seed,
             int64_t lo, int64_t hi, size_t k, int64_t *out, size_t *nout)
{
    uint64_t state = seed, span = (uint64_t)hi - (uint64_t)lo + 1;
    size_t tries, i;

    *nout = 0;
    for (tries = 0; *nout < k && tries < SAMPLE_TRIES * k; tries++) {
        int64_t id = lo + (int64_t)wenda_study_uniform(&state, span);
        enum wenda_err rc;
        int found;

        for (i = 0; i < *nout && out[i] != id; i++)
            ;
        if (i < *nout)
            continue;
        rc = has_topic(st, category, id, &found);
        if (rc != WENDA_OK)
            return rc;
        if (found)
            out[(*nout)++] = id;
    }
    return WENDA_OK;
}

enum wenda_err
wenda_store_topic_sample(struct wenda_store *st, const char *category,
                         uint64_t seed, size_t count, int64_t *out,
                         size_t *nout)
{
    int64_t n, lo, hi, *ids;
    size_t k, nids;
    enum wenda_err rc;

    *nout = 0;
    rc = count_topics(st, category, &n);
    if (rc != WENDA_OK || n == 0 || count == 0)
        return rc;
    k = (uint64_t)n < count ? (size_t)n : count;
    if (n > SAMPLE_LIST_MAX && k <= SAMPLE_MAX_COUNT) {
        rc = id_range(st, category, &lo, &hi);
        if (rc != WENDA_OK)
            return rc;
        if (hi >= lo && ((uint64_t)hi - (uint64_t)lo) / SAMPLE_TRIES <
                            (uint64_t)n) {
            rc = sample_by_id(st, category, seed, lo, hi, k, out, nout);
            if (rc != WENDA_OK || *nout == k)
                return rc;
        }
    }
    rc = topic_ids(st, category, &ids, &nids);
    if (rc == WENDA_OK)
        rc = wenda_study_pick(ids, nids, seed, count, out, nout);
    free(ids);
    return rc;
}

void
wenda_topics_free(struct wenda_topic *items, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        wenda_topic_cleanup(&items[i]);
    free(items);
}

enum wenda_err
wenda_store_categories(struct wenda_store *st, struct wenda_category **cats,
                       size_t *n)
{
    return read_categories(st, S_CATEGORIES, cats, n);
}

void
wenda_categories_free(struct wenda_category *cats, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(cats[i].slug);
        free(cats[i].name);
        free(cats[i].name_en);
    }
    free(cats);
}

enum wenda_err
wenda_store_tags(struct wenda_store *st, struct wenda_tag_count **tags,
                 size_t *n)
{
    struct wenda_tag_count *v = NULL;
    size_t cap = 0;
    sqlite3_stmt *s;
    enum wenda_err rc;
    int step;

    *tags = NULL;
    *n = 0;
    rc = prepare(st, S_TAGS, &s);
    if (rc != WENDA_OK)
        return rc;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (buf_reserve(&v, &cap, *n, sizeof(*v), 64) != 0) {
            rc = WENDA_ERR_NOMEM;
            break;
        }
        v[*n].tag = dup_col(s, 0);
        v[*n].count = sqlite3_column_int64(s, 1);
        if (v[(*n)++].tag == NULL) {
            rc = WENDA_ERR_NOMEM;
            break;
        }
    }
    if (rc == WENDA_OK && step != SQLITE_DONE)
        rc = WENDA_ERR_DB;
    done(s);
    if (rc != WENDA_OK) {
        wenda_tags_free(v, *n);
        *n = 0;
        return rc;
    }
    *tags = v;
    return WENDA_OK;
}

void
wenda_tags_free(struct wenda_tag_count *tags, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(tags[i].tag);
    free(tags);
}

int
wenda_store_category_exists(struct wenda_store *st, const char *slug)
{
    sqlite3_stmt *s;
    int found;

    if (prepare(st, S_CATEGORY_EXISTS, &s) != WENDA_OK)
        return 0;
    sqlite3_bind_text(s, 1, slug, -1, SQLITE_STATIC);
    found = sqlite3_step(s) == SQLITE_ROW;
    done(s);
    return found;
}

/* ---- writes ------------------------------------------------------------- */

/*
 * The statements of a write are kept prepared too, like those of the
 * reads: compiling one costs about as much as running it, and an import
 * writes each topic with a dozen of them (compiled for every topic, they
 * took a sixth of an import's time on the writer).
 */

/* Runs statement id with up to two text and one integer parameter
 * (NULL / -1 to leave unbound); returns the sqlite3_step() result. */
static int
exec_one(struct wenda_store *st, enum stmt_id id, const char *t1,
         const char *t2, int64_t i3)
{
    sqlite3_stmt *s;
    int rc;

    if (prepare(st, id, &s) != WENDA_OK)
        return SQLITE_ERROR;
    if (t1 != NULL)
        sqlite3_bind_text(s, 1, t1, -1, SQLITE_STATIC);
    if (t2 != NULL)
        sqlite3_bind_text(s, 2, t2, -1, SQLITE_STATIC);
    if (i3 >= 0)
        sqlite3_bind_int64(s, 3, i3);
    rc = sqlite3_step(s);
    done(s);
    return rc;
}

/* Returns the integer of one-row, one-column statement id, or -1. */
static int64_t
query_int(struct wenda_store *st, enum stmt_id id, const char *t1,
          int64_t i2)
{
    sqlite3_stmt *s;
    int64_t v = -1;

    if (prepare(st, id, &s) != WENDA_OK)
        return -1;
    if (t1 != NULL)
        sqlite3_bind_text(s, 1, t1, -1, SQLITE_STATIC);
    if (i2 >= 0)
        sqlite3_bind_int64(s, 2, i2);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) !=
                                             SQLITE_NULL)
        v = sqlite3_column_int64(s, 0);
    done(s);
    return v;
}

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

enum wenda_err
wenda_store_topic_current(struct wenda_store *st, int64_t id,
                          struct wenda_topic *out,
                          char etag[WENDA_ETAG_SIZE])
{
    char *doc = NULL;
    size_t len = 0;
    enum wenda_err rc = wenda_store_topic_doc(st, id, NULL, &doc, &len);

    memset(out, 0, sizeof(*out));
    if (rc != WENDA_OK)
        return rc;
    wenda_etag(doc, len, etag);
    free(doc);
    return wenda_store_topic_get(st, id, NULL, out);
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
    rc = render_topic(t, id, version, stamp, &x);
    if (rc != WENDA_OK)
        goto cleanup;
    rc = prepare(st, insert ? S_INSERT_TOPIC : S_UPDATE_TOPIC, &s);
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
    done(s);
    if (step != SQLITE_DONE) {
        rc = (step & 0xff) == SQLITE_CONSTRAINT ? WENDA_ERR_CONFLICT
                                                : WENDA_ERR_DB;
        goto cleanup;
    }
    rc = WENDA_ERR_DB;
    if (exec_one(st, S_DELETE_TAGS, NULL, NULL, id) != SQLITE_DONE)
        goto cleanup;
    for (j = 0; j < t->tags.n; j++)
        if (exec_one(st, S_INSERT_TAG, t->tags.v[j], NULL, id) !=
            SQLITE_DONE)
            goto cleanup;
    rc = WENDA_OK;
    if (index)
        rc = wenda_search_unindex(st, id);
    if (index && rc == WENDA_OK)
        rc = wenda_search_index(st, id, t);
cleanup:
    if (rc == WENDA_OK) {
        *doc = x.doc;   /* the caller's now */
        x.doc = NULL;
    }
    topic_text_cleanup(&x);
    return rc;
}

/* Records a change: its revision and its audit row. */
static enum wenda_err
record(struct wenda_store *st, int64_t id, int64_t version,
       const char *action, const char *before, const char *after,
       const char *who, const char *stamp)
{
    sqlite3_stmt *s;
    char target[48];
    int step;

    if (prepare(st, S_INSERT_REVISION, &s) != WENDA_OK)
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
    done(s);
    if (step != SQLITE_DONE)
        return WENDA_ERR_DB;
    (void)snprintf(target, sizeof(target), "topic/%lld", (long long)id);
    if (prepare(st, S_INSERT_AUDIT, &s) != WENDA_OK)
        return WENDA_ERR_DB;
    sqlite3_bind_text(s, 1, stamp, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, who, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, target, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    done(s);
    return step == SQLITE_DONE ? WENDA_OK : WENDA_ERR_DB;
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
    if (query_int(st, S_SLUG_ID, t->slug, -1) > 0) {
        (void)snprintf(msg, msgcap, "slug '%.64s' is taken", t->slug);
        return WENDA_ERR_CONFLICT;
    }
    next = query_int(st, S_NEXT_ID, NULL, -1);
    if (next <= 0)
        return WENDA_ERR_DB;
    if (copy.order == 0 &&
        (copy.order = query_int(st, S_NEXT_ORDER, NULL, -1)) <= 0)
        return WENDA_ERR_DB;
    now_rfc3339(stamp, sizeof(stamp));
    rc = put_topic(st, next, &copy, 1, stamp, 1, index, &doc);
    if (rc == WENDA_OK)
        rc = record(st, next, 1, "create", NULL, doc, who, stamp);
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

/* Reads the current JSON of topic id and checks it against if_match. */
static enum wenda_err
check_match(struct wenda_store *st, int64_t id, const char *if_match,
            char **before, int64_t *version)
{
    char etag[WENDA_ETAG_SIZE];
    size_t len;
    enum wenda_err rc = wenda_store_topic_doc(st, id, NULL, before, &len);

    if (rc != WENDA_OK)
        return rc;
    wenda_etag(*before, len, etag);
    if (!wenda_etag_listed(if_match, etag)) {
        free(*before);
        *before = NULL;
        return WENDA_ERR_PRECONDITION;
    }
    *version = query_int(st, S_VERSION, NULL, id);
    if (*version <= 0) {
        free(*before);
        *before = NULL;
        return WENDA_ERR_DB;
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

    now_rfc3339(stamp, sizeof(stamp));
    rc = put_topic(st, id, t, version + 1, stamp, 0, index, &after);
    if (rc == WENDA_OK)
        rc = record(st, id, version + 1, "update", before, after, who,
                    stamp);
    free(after);
    return rc;
}

enum wenda_err
wenda_store_topic_replace(struct wenda_store *st, int64_t id,
                          const struct wenda_topic *t, const char *if_match,
                          const char *who, char *msg, size_t msgcap)
{
    char *before = NULL;
    int64_t version = 0, other;
    enum wenda_err rc = check_match(st, id, if_match, &before, &version);

    if (rc != WENDA_OK)
        return rc;
    rc = check_category(st, t, msg, msgcap);
    other = query_int(st, S_SLUG_ID, t->slug, -1);
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
    int replaced;                  /* it had an index before */
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
 * Writes the search index of the topics of u[0..n), in id order.  A topic
 * written more than once is indexed as it was written last; its old index
 * goes first if the first of its writes replaced it.
 */
static enum wenda_err
index_topics(struct wenda_store *st, struct unindexed *u, size_t n)
{
    enum wenda_err rc = WENDA_OK;
    size_t i = 0, j;

    qsort(u, n, sizeof(*u), by_id_then_seq);
    while (rc == WENDA_OK && i < n) {
        for (j = i; j + 1 < n && u[j + 1].id == u[i].id; j++)
            ;
        if (u[i].replaced)
            rc = wenda_search_unindex(st, u[i].id);
        if (rc == WENDA_OK)
            rc = wenda_search_index(st, u[j].id, u[j].t);
        i = j + 1;
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
                       const char *who, size_t *failed, char *msg,
                       size_t msgcap)
{
    struct unindexed *u = calloc(n > 0 ? n : 1, sizeof(*u));
    enum wenda_err rc = u != NULL ? WENDA_OK : WENDA_ERR_NOMEM;
    size_t i;

    *failed = n;
    msg[0] = '\0';
    for (i = 0; rc == WENDA_OK && i < n; i++) {
        const struct wenda_topic *t = &topics[i];
        char *before = NULL;
        int64_t id = 0, version = 0;
        sqlite3_stmt *s;
        int step;

        rc = prepare(st, S_PUT_BY_SLUG, &s);
        if (rc != WENDA_OK)
            break;
        sqlite3_bind_text(s, 1, t->slug, -1, SQLITE_STATIC);
        step = sqlite3_step(s);
        if (step == SQLITE_ROW) {
            id = sqlite3_column_int64(s, 0);
            version = sqlite3_column_int64(s, 1);
            before = dup_col(s, 2);
            if (before == NULL)
                rc = WENDA_ERR_NOMEM;
        } else if (step != SQLITE_DONE) {
            rc = WENDA_ERR_DB;
        }
        done(s);
        if (rc == WENDA_OK && before == NULL) {
            rc = create_topic(st, t, who, 0, &id, msg, msgcap);
        } else if (rc == WENDA_OK) {
            rc = check_category(st, t, msg, msgcap);
            if (rc == WENDA_OK)
                rc = replace_topic(st, id, version, before, t, who, 0);
        }
        free(before);
        if (rc != WENDA_OK) {
            *failed = i;
            break;
        }
        u[i].id = id;
        u[i].seq = i;
        u[i].replaced = version > 0;
        u[i].t = t;
    }
    if (rc == WENDA_OK)
        rc = index_topics(st, u, n);
    free(u);
    return rc;
}

enum wenda_err
wenda_store_topic_delete(struct wenda_store *st, int64_t id,
                         const char *if_match, const char *who)
{
    char stamp[32], *before = NULL;
    int64_t version = 0;
    enum wenda_err rc = check_match(st, id, if_match, &before, &version);

    if (rc != WENDA_OK)
        return rc;
    now_rfc3339(stamp, sizeof(stamp));
    rc = wenda_search_unindex(st, id);
    if (rc == WENDA_OK &&
        (exec_one(st, S_DELETE_TAGS, NULL, NULL, id) != SQLITE_DONE ||
         exec_one(st, S_DELETE_TOPIC, NULL, NULL, id) != SQLITE_DONE))
        rc = WENDA_ERR_DB;
    if (rc == WENDA_OK)
        rc = record(st, id, version + 1, "delete", before, NULL, who, stamp);
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
    buf_add(&b, "[", 1);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        buf_addf(&b, "%s{\"id\":%lld,\"version\":%lld,\"action\":",
                 n++ ? "," : "", (long long)sqlite3_column_int64(s, 0),
                 (long long)sqlite3_column_int64(s, 1));
        buf_add_json(&b, (const char *)sqlite3_column_text(s, 2));
        buf_adds(&b, ",\"who\":");
        buf_add_json(&b, (const char *)sqlite3_column_text(s, 3));
        buf_adds(&b, ",\"at\":");
        buf_add_json(&b, (const char *)sqlite3_column_text(s, 4));
        for (k = 5; k <= 6; k++) {
            buf_adds(&b, k == 5 ? ",\"before\":" : ",\"after\":");
            /* Stored as rendered JSON: embedded as it is. */
            if (sqlite3_column_type(s, k) == SQLITE_NULL)
                buf_adds(&b, "null");
            else
                buf_add(&b, sqlite3_column_text(s, k),
                        (size_t)sqlite3_column_bytes(s, k));
        }
        buf_add(&b, "}", 1);
    }
    sqlite3_finalize(s);
    buf_add(&b, "]", 1);
    if (step != SQLITE_DONE) {
        buf_cleanup(&b);
        return WENDA_ERR_DB;
    }
    *json = buf_take(&b, len);
    return *json ? WENDA_OK : WENDA_ERR_NOMEM;
}

/* ---- learners' progress -------------------------------------------------- */

enum wenda_err
wenda_store_progress_review(struct wenda_store *st, int64_t token,
                            int64_t topic, int grade, char **json,
                            size_t *len)
{
    struct wenda_sm2 sm = wenda_sm2_init();
    char now[32], due[WENDA_SM2_DUE_CAP];
    struct buf b = {0};
    sqlite3_stmt *s;
    enum wenda_err rc;
    int step;

    *json = NULL;
    *len = 0;
    if (query_int(st, S_HAS_TOPIC, NULL, topic) != 1)
        return WENDA_ERR_NOT_FOUND;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT repetitions, interval_days, easiness "
                           "FROM progress WHERE token_id = ?1 AND "
                           "topic_id = ?2",
                           -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    sqlite3_bind_int64(s, 1, token);
    sqlite3_bind_int64(s, 2, topic);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        sm.repetitions = sqlite3_column_int(s, 0);
        sm.interval_days = sqlite3_column_int(s, 1);
        sm.easiness = sqlite3_column_double(s, 2);
    }
    sqlite3_finalize(s);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return WENDA_ERR_DB;
    rc = wenda_sm2_review(&sm, grade);
    if (rc != WENDA_OK)
        return rc;
    now_rfc3339(now, sizeof(now));
    rc = wenda_sm2_due(now, sm.interval_days, due);
    if (rc != WENDA_OK)
        return rc;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO progress(token_id, topic_id, "
                           "repetitions, interval_days, easiness, grade, "
                           "reviewed_at, due_at) VALUES (?1, ?2, ?3, ?4, ?5, "
                           "?6, ?7, ?8) ON CONFLICT(token_id, topic_id) DO "
                           "UPDATE SET repetitions = ?3, interval_days = ?4, "
                           "easiness = ?5, grade = ?6, reviewed_at = ?7, "
                           "due_at = ?8",
                           -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    sqlite3_bind_int64(s, 1, token);
    sqlite3_bind_int64(s, 2, topic);
    sqlite3_bind_int(s, 3, sm.repetitions);
    sqlite3_bind_int(s, 4, sm.interval_days);
    sqlite3_bind_double(s, 5, sm.easiness);
    sqlite3_bind_int(s, 6, grade);
    sqlite3_bind_text(s, 7, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, due, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    sqlite3_finalize(s);
    if (step != SQLITE_DONE)
        return WENDA_ERR_DB;
    buf_addf(&b, "{\"topic\":%lld,\"grade\":%d,\"repetitions\":%d,"
             "\"interval_days\":%d,\"easiness\":%.2f,\"reviewed_at\":\"%s\","
             "\"due_at\":\"%s\"}", (long long)topic, grade, sm.repetitions,
             sm.interval_days, sm.easiness, now, due);
    *json = buf_take(&b, len);
    return *json ? WENDA_OK : WENDA_ERR_NOMEM;
}

enum wenda_err
wenda_store_progress_due(struct wenda_store *st, int64_t token,
                         unsigned int limit, char **json, size_t *len)
{
    char now[32];
    struct buf b = {0};
    sqlite3_stmt *s;
    int step, n = 0;

    *json = NULL;
    *len = 0;
    now_rfc3339(now, sizeof(now));
    if (sqlite3_prepare_v2(st->db,
                           "SELECT t.id, t.slug, t.title, p.due_at, "
                           "p.repetitions, p.interval_days FROM progress p "
                           "JOIN topics t ON t.id = p.topic_id "
                           "WHERE p.token_id = ?1 AND p.due_at <= ?2 "
                           "ORDER BY p.due_at, t.id LIMIT ?3",
                           -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    sqlite3_bind_int64(s, 1, token);
    sqlite3_bind_text(s, 2, now, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, (int)limit);
    buf_add(&b, "[", 1);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        buf_addf(&b, "%s{\"id\":%lld,\"slug\":", n++ ? "," : "",
                 (long long)sqlite3_column_int64(s, 0));
        buf_add_json(&b, (const char *)sqlite3_column_text(s, 1));
        buf_adds(&b, ",\"title\":");
        buf_add_json(&b, (const char *)sqlite3_column_text(s, 2));
        buf_adds(&b, ",\"due_at\":");
        buf_add_json(&b, (const char *)sqlite3_column_text(s, 3));
        buf_addf(&b, ",\"repetitions\":%d,\"interval_days\":%d}",
                 sqlite3_column_int(s, 4), sqlite3_column_int(s, 5));
    }
    sqlite3_finalize(s);
    buf_add(&b, "]", 1);
    if (step != SQLITE_DONE) {
        buf_cleanup(&b);
        return WENDA_ERR_DB;
    }
    *json = buf_take(&b, len);
    return *json ? WENDA_OK : WENDA_ERR_NOMEM;
}
