/*
 * store.c -- the store's connection: opening it (with the schema's
 * migrations), its read snapshots and log checkpoints, and the statements
 * and row decoding that store_import.c, store_read.c, store_write.c and
 * store_progress.c share (see store_int.h).
 *
 * Statements are prepared once per connection, on first use, with
 * SQLITE_PREPARE_PERSISTENT, and kept in an array indexed by enum stmt_id;
 * a call resets what it used before returning.  Tags and aliases travel as
 * JSON arrays (jansson) between the topics table and struct wenda_strv.
 * Each connection has its search (search_int.h), which the store calls
 * and which never calls the store.
 */
#include "wenda/store.h"
#include "store_impl.h"

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
#include "search_int.h"
#include "tokenize_int.h"
#include "wenda/search.h"
#include "wenda/study.h"
#include "wenda/tokenize.h"


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
    [S_DOC_VERSION] = "SELECT doc, version FROM topics WHERE id = ?1",
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
    [S_TAG_EXISTS] = "SELECT 1 FROM tag_counts WHERE tag = ?1",
    [S_DUMP_CATEGORIES] =
        "SELECT slug, name, name_en, 0 FROM categories ORDER BY ord, slug",
    [S_DUMP_TOPICS] = "SELECT " TOPIC_COLS ", answer, corrections FROM topics "
                      "ORDER BY ord, slug",
    [S_PUT_BY_SLUG] = "SELECT id, version, doc FROM topics WHERE slug = ?1",
    /* Text parameters are ?1 and ?2, an integer ?3 (wenda_store_exec()) or ?2
     * (wenda_store_int()). */
    [S_SLUG_ID] = "SELECT id FROM topics WHERE slug = ?1",
    [S_HAS_TOPIC] = "SELECT 1 FROM topics WHERE id = ?2",
    /* Never give an id twice: past the mark of migration 0015, which
     * every write that gives one moves up. */
    [S_NEXT_ID] = "SELECT last + 1 FROM topic_ids",
    [S_MARK_ID] = "UPDATE topic_ids SET last = ?3 WHERE last < ?3",
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
    [S_LEXICON_GET] = "SELECT doc, version FROM lexicon WHERE name = ?1",
    [S_LEXICON_PUT] = "INSERT INTO lexicon(name, doc, version, updated_at) "
                      "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(name) DO UPDATE "
                      "SET doc = excluded.doc, version = excluded.version, "
                      "updated_at = excluded.updated_at",
    [S_LEXICON_VERSIONS] = "SELECT coalesce(sum(version * (name = "
                           "'synonyms')), 0), coalesce(sum(version * (name = "
                           "'dictionary')), 0) FROM lexicon",
};


static void unsweep(struct wenda_store *st);

int
wenda_store_schema_version(void)
{
    return wenda_migration_count > 0
               ? wenda_migrations[wenda_migration_count - 1].number
               : 0;
}

/* The integer the one-value query sql (a PRAGMA, a count) answers, into *v. */
int
wenda_store_one_int(sqlite3 *db, const char *sql, int *v)
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

void
wenda_store_progress_note(struct wenda_store *st,
                          enum wenda_store_stage stage, int64_t n,
                          const char *name)
{
    if (st->progress.fn != NULL)
        st->progress.fn(st->progress.ctx, stage, n, name);
}

/* Applies the migrations past the current user_version, each in its own
 * transaction together with the user_version bump; those of an existing
 * database (from > 0) are reported. */
static enum wenda_err
migrate(struct wenda_store *st, int from, char *msg, size_t msgcap)
{
    sqlite3 *db = st->db;
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
            wenda_store_progress_note(st, WENDA_STORE_MIGRATE, m->number,
                                      m->name);
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
            wenda_store_progress_note(st, WENDA_STORE_MIGRATED, m->number,
                                      m->name);
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

/*
 * Checks the schema version of st's new connection to path against this
 * wenda's; a writable one is set up (WAL, full sync, foreign keys) and
 * migrated.  On failure msg says why.
 */
static enum wenda_err
open_schema(struct wenda_store *st, const char *path, char *msg,
            size_t msgcap)
{
    int version = 0, want = wenda_store_schema_version();

    if (wenda_store_one_int(st->db, "PRAGMA user_version", &version) !=
        SQLITE_OK) {
        (void)snprintf(msg, msgcap, "cannot read database %s: %s", path,
                       sqlite3_errmsg(st->db));
        return WENDA_ERR_DB;
    }
    if (version > want) {
        (void)snprintf(msg, msgcap,
                       "database %s has schema version %d, newer than the %d "
                       "this wenda knows; use a newer wenda", path, version,
                       want);
        return WENDA_ERR_DB_TOO_NEW;
    }
    if (st->readonly) {
        if (version != want) {
            (void)snprintf(msg, msgcap, "database %s has schema version %d, "
                           "not %d; open it writable once to migrate", path,
                           version, want);
            return WENDA_ERR_DB;
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
            return WENDA_ERR_DB;
        }
        return migrate(st, version, msg, msgcap);
    }
    return WENDA_OK;
}

enum wenda_err
wenda_store_open(const char *path, int flags, struct wenda_store **out,
                 char *msg, size_t msgcap)
{
    return wenda_store_open_with(path, flags, NULL, out, msg, msgcap);
}

enum wenda_err
wenda_store_open_with(const char *path, int flags,
                      const struct wenda_store_progress *progress,
                      struct wenda_store **out, char *msg, size_t msgcap)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    struct wenda_store *st;
    int oflags;
    enum wenda_err rc = WENDA_ERR_DB;

    *out = NULL;
    msg[0] = '\0';
    (void)pthread_once(&once, configure_sqlite);
    st = calloc(1, sizeof(*st));
    if (st == NULL)
        return WENDA_ERR_NOMEM;
    (void)pthread_mutex_init(&st->use_lock, NULL);
    if (progress != NULL)
        st->progress = *progress;
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
        wenda_search_open(st->db, &st->search) != WENDA_OK) {
        (void)snprintf(msg, msgcap, "cannot register the search tokenizer "
                       "and ranking "
                       "on %s", path);
        goto fail;
    }
    rc = open_schema(st, path, msg, msgcap);
    if (rc == WENDA_OK && !st->readonly &&
        (wenda_search_words_fill(st->search) != WENDA_OK ||
         wenda_search_sounds_fill(st->search) != WENDA_OK)) {
        (void)snprintf(msg, msgcap, "cannot list the words of the topics "
                       "in %s: %s", path, sqlite3_errmsg(st->db));
        rc = WENDA_ERR_DB;
    }
    if (rc != WENDA_OK)
        goto fail;
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
    wenda_search_set_cap(st->search, t->search_cap);
    wenda_search_set_count(st->search, t->search_count);
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
    sqlite3_finalize(st->begin);
    sqlite3_finalize(st->commit);
    wenda_search_free(st->search);
    (void)sqlite3_close(st->db);
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

struct wenda_tokenizer *
wenda_store_tokenizer(struct wenda_store *st)
{
    return st->search ? wenda_search_tokenizer(st->search) : NULL;
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
        (void)wenda_store_one_int(st->db, "PRAGMA page_size", &page);
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

enum wenda_err
wenda_store_stmt(struct wenda_store *st, enum stmt_id id, sqlite3_stmt **out)
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
void
wenda_store_done(sqlite3_stmt *s)
{
    (void)sqlite3_reset(s);
    (void)sqlite3_clear_bindings(s);
}

char *
wenda_store_col_dup(sqlite3_stmt *s, int col)
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

enum wenda_err
wenda_store_strv_from_json(const char *s, struct wenda_strv *out)
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
char *
wenda_store_strv_to_json(const struct wenda_strv *sv)
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

enum wenda_err
wenda_store_row_to_topic(sqlite3_stmt *s, int with_answer,
                         struct wenda_topic *t)
{
    enum wenda_err rc;

    memset(t, 0, sizeof(*t));
    t->id = sqlite3_column_int64(s, 0);
    t->slug = wenda_store_col_dup(s, 1);
    t->title = wenda_store_col_dup(s, 2);
    t->title_en = wenda_store_col_dup(s, 3);
    t->category = wenda_store_col_dup(s, 4);
    t->order = sqlite3_column_int64(s, 5);
    t->version = sqlite3_column_int64(s, 8);
    t->updated_at = wenda_store_col_dup(s, 9);
    if (with_answer) {
        t->answer = wenda_store_col_dup(s, 10);
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
    rc = wenda_store_strv_from_json((const char *)sqlite3_column_text(s, 6),
                                    &t->tags);
    if (rc == WENDA_OK)
        rc = wenda_store_strv_from_json((const char *)sqlite3_column_text(s, 7),
                            &t->aliases);
    if (rc != WENDA_OK)
        wenda_topic_cleanup(t);
    return rc;
}

static _Thread_local char fixed_clock[32];

void
wenda_store_clock_set(const char *stamp)
{
    (void)snprintf(fixed_clock, sizeof(fixed_clock), "%s",
                   stamp != NULL ? stamp : "");
}

int
wenda_store_clock_now(char *out, size_t cap)
{
    if (fixed_clock[0] == '\0')
        return 0;
    (void)snprintf(out, cap, "%s", fixed_clock);
    return 1;
}

void
wenda_store_now(char *out, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;

    if (wenda_store_clock_now(out, cap))
        return;

    (void)gmtime_r(&now, &tm);
    (void)strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Runs statement id with up to two text and one integer parameter
 * (NULL / -1 to leave unbound); returns the sqlite3_step() result. */
int
wenda_store_exec(struct wenda_store *st, enum stmt_id id, const char *t1,
         const char *t2, int64_t i3)
{
    sqlite3_stmt *s;
    int rc;

    if (wenda_store_stmt(st, id, &s) != WENDA_OK)
        return SQLITE_ERROR;
    if (t1 != NULL)
        sqlite3_bind_text(s, 1, t1, -1, SQLITE_STATIC);
    if (t2 != NULL)
        sqlite3_bind_text(s, 2, t2, -1, SQLITE_STATIC);
    if (i3 >= 0)
        sqlite3_bind_int64(s, 3, i3);
    rc = sqlite3_step(s);
    wenda_store_done(s);
    return rc;
}

/* Returns the integer of one-row, one-column statement id, or -1. */
int64_t
wenda_store_int(struct wenda_store *st, enum stmt_id id, const char *t1,
          int64_t i2)
{
    sqlite3_stmt *s;
    int64_t v = -1;

    if (wenda_store_stmt(st, id, &s) != WENDA_OK)
        return -1;
    if (t1 != NULL)
        sqlite3_bind_text(s, 1, t1, -1, SQLITE_STATIC);
    if (i2 >= 0)
        sqlite3_bind_int64(s, 2, i2);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) !=
                                             SQLITE_NULL)
        v = sqlite3_column_int64(s, 0);
    wenda_store_done(s);
    return v;
}

void
wenda_store_text_cleanup(struct topic_text *x)
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
 * *out (zeroed first), which the caller releases with
 * wenda_store_text_cleanup() whether this succeeded or not.
 */
enum wenda_err
wenda_store_render(const struct wenda_topic *t, int64_t id, int64_t version,
                   const char *stamp, struct topic_text *out)
{
    struct wenda_topic stored = *t;   /* borrowed fields, as stored */
    json_t *cj = wenda_corrections_json(t);

    memset(out, 0, sizeof(*out));
    out->corrections = cj ? json_dumps(cj, JSON_COMPACT) : NULL;
    json_decref(cj);
    out->tags = wenda_store_strv_to_json(&t->tags);
    out->aliases = wenda_store_strv_to_json(&t->aliases);
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

enum wenda_err
wenda_store_json_end(sqlite3_stmt *s, int step, struct buf *b, char **json,
                     size_t *len)
{
    sqlite3_finalize(s);
    wenda_buf_add(b, "]", 1);
    if (step != SQLITE_DONE) {
        wenda_buf_cleanup(b);
        return WENDA_ERR_DB;
    }
    *json = wenda_buf_take(b, len);
    return *json ? WENDA_OK : WENDA_ERR_NOMEM;
}

int64_t
wenda_store_cluster_applied(struct wenda_store *st)
{
    sqlite3_stmt *s = NULL;
    int64_t v = -1;

    if (sqlite3_prepare_v2(st->db, "SELECT applied FROM cluster_log", -1, &s,
                           NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        v = (int64_t)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

enum wenda_err
wenda_store_cluster_mark(struct wenda_store *st, int64_t index)
{
    sqlite3_stmt *s = NULL;
    int rc;

    if (sqlite3_prepare_v2(st->db, "UPDATE cluster_log SET applied = ?1", -1,
                           &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    (void)sqlite3_bind_int64(s, 1, (sqlite3_int64)index);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? WENDA_OK : WENDA_ERR_DB;
}
