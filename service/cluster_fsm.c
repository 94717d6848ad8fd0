/*
 * cluster_fsm.c -- a cluster node's state machine: its database.
 *
 * The node's database is the state: each committed entry is applied with
 * writer_apply_batch(), in one transaction that also records the entry's
 * index (cluster_log), so that an entry a restart replays is skipped
 * rather than applied twice; a crash that loses the last commits (the
 * database commits without fsync) makes the log apply them again.  A
 * snapshot is an image of the database (sqlite3_serialize) after the
 * token key:
 *
 *   "WSN1"  key (32 bytes)  image length (8 bytes, little-endian)  image
 *
 * and restoring one copies the image into the database with SQLite's
 * backup API, which readers see as one more commit.  Everything here runs
 * on the loop thread (or under libraft's test fixture).
 */
#include "cluster_int.h"

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "wenda/auth.h"
#include "wenda/store.h"
#include "writer.h"

/* The first bytes of an image. */
static const unsigned char image_magic[4] = {'W', 'S', 'N', '1'};

/* ---- the database's cluster tables (loop thread) ------------------------ */

static uint64_t
db_applied(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    uint64_t v = 0;

    if (sqlite3_prepare_v2(db, "SELECT applied FROM cluster_log", -1, &s,
                           NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        v = (uint64_t)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* Reads the nodes' URLs from the database into the published table. */
void
cluster_load_urls(struct cluster *c)
{
    sqlite3_stmt *s = NULL;

    pthread_mutex_lock(&c->lock);
    c->nurls = 0;
    if (sqlite3_prepare_v2(wenda_store_db(c->st),
                           "SELECT id, url FROM cluster_nodes ORDER BY id",
                           -1, &s, NULL) == SQLITE_OK)
        while (c->nurls < CLUSTER_MAX_NODES &&
               sqlite3_step(s) == SQLITE_ROW) {
            c->url_ids[c->nurls] = (unsigned int)sqlite3_column_int64(s, 0);
            (void)snprintf(c->urls[c->nurls], CLUSTER_URL_CAP, "%s",
                           (const char *)sqlite3_column_text(s, 1));
            c->nurls++;
        }
    pthread_mutex_unlock(&c->lock);
    sqlite3_finalize(s);
}

/* The URL of node id, copied to out; "" when unknown.  Lock held. */
void
cluster_url_of(const struct cluster *c, unsigned int id, char *out, size_t cap)
{
    size_t i;

    out[0] = '\0';
    for (i = 0; i < c->nurls; i++)
        if (c->url_ids[i] == id) {
            (void)snprintf(out, cap, "%s", c->urls[i]);
            return;
        }
}

/* Records that the loop applied index, and tells the waiting readers. */
static void
published_applied(struct cluster *c, uint64_t index)
{
    pthread_mutex_lock(&c->lock);
    if (index > c->status.applied_index)
        c->status.applied_index = index;
    atomic_store(&c->applied, c->status.applied_index);
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

/* Moves the result of a job as applied (d) into the job it came from. */
static void
move_result(struct write_job *job, struct write_job *d, uint64_t index)
{
    free(job->result.body);
    wenda_problems_cleanup(&job->result.problems);
    job->result = d->result;
    job->result.index = index;
    memset(&d->result, 0, sizeof(d->result));
    job->id = d->id;
    job->counts = d->counts;
}

/* ---- database images ----------------------------------------------------- */

/* Makes an image of the database with the key: raft_malloc'ed. */
int
cluster_make_image(struct cluster *c, char prefix, struct raft_buffer *out)
{
    sqlite3_int64 size = 0;
    unsigned char *img = sqlite3_serialize(wenda_store_db(c->st), "main",
                                           &size, 0);
    size_t off = prefix ? 1 : 0, i;
    unsigned char *p;

    if (img == NULL)
        return RAFT_NOMEM;
    out->len = ROUND8(off + IMAGE_HEAD + (size_t)size);
    out->base = raft_calloc(1, out->len);
    if (out->base == NULL) {
        sqlite3_free(img);
        return RAFT_NOMEM;
    }
    p = out->base;
    if (prefix)
        p[0] = (unsigned char)prefix;
    memcpy(p + off, image_magic, sizeof(image_magic));
    wenda_auth_key_get(c->auth, p + off + 4);
    for (i = 0; i < 8; i++)
        p[off + 4 + WENDA_AUTH_KEY_LEN + i] =
            (unsigned char)((uint64_t)size >> (8 * i));
    memcpy(p + off + IMAGE_HEAD, img, (size_t)size);
    sqlite3_free(img);
    return 0;
}

/*
 * Makes the database the image of len bytes (with its key) unless it has
 * applied as much already (force: always); then records index as applied
 * when it is past the image's own.  Returns 0 or a RAFT_* code.
 */
static int
restore_image(struct cluster *c, const unsigned char *buf, size_t len,
              uint64_t index, int force)
{
    sqlite3 *tmp = NULL, *db = wenda_store_db(c->st);
    sqlite3_backup *b;
    unsigned char *copy;
    sqlite3_int64 size;
    uint64_t img_applied;
    char msg[256] = "";
    uint64_t n = 0;
    size_t i;
    int rc;

    if (len < IMAGE_HEAD || memcmp(buf, image_magic, sizeof(image_magic)) != 0)
        return RAFT_MALFORMED;
    for (i = 0; i < 8; i++)
        n |= (uint64_t)buf[4 + WENDA_AUTH_KEY_LEN + i] << (8 * i);
    if (n < 512 || n > len - IMAGE_HEAD)
        return RAFT_MALFORMED;
    size = (sqlite3_int64)n;
    copy = sqlite3_malloc64((sqlite3_uint64)size);
    if (copy == NULL)
        return RAFT_NOMEM;
    memcpy(copy, buf + IMAGE_HEAD, (size_t)size);
    copy[18] = copy[19] = 1;   /* read as a rollback-journal database */
    if (sqlite3_open_v2(":memory:", &tmp, SQLITE_OPEN_READWRITE, NULL) !=
            SQLITE_OK ||
        sqlite3_deserialize(tmp, "main", copy, size, size,
                            SQLITE_DESERIALIZE_FREEONCLOSE |
                                SQLITE_DESERIALIZE_READONLY) != SQLITE_OK) {
        sqlite3_close(tmp);
        return RAFT_MALFORMED;
    }
    img_applied = db_applied(tmp);
    if (!force && img_applied <= c->applied_db) {
        sqlite3_close(tmp);
        return 0;
    }
    b = sqlite3_backup_init(db, "main", tmp, "main");
    rc = b != NULL ? sqlite3_backup_step(b, -1) : SQLITE_ERROR;
    if (b != NULL && sqlite3_backup_finish(b) != SQLITE_OK && rc == SQLITE_DONE)
        rc = SQLITE_ERROR;
    sqlite3_close(tmp);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "wenda: cluster: cannot restore a snapshot: %s\n",
                sqlite3_errmsg(db));
        return RAFT_IOERR;
    }
    c->applied_db = img_applied;
    if (index > img_applied) {
        if (wenda_store_cluster_mark(c->st, (int64_t)index) != WENDA_OK)
            return RAFT_IOERR;
        c->applied_db = index;
    }
    wenda_store_changed();
    if (wenda_auth_key_set(c->auth, buf + 4, c->key_path, msg,
                           sizeof(msg)) != WENDA_OK)
        fprintf(stderr, "wenda: cluster: %s\n", msg);
    cluster_load_urls(c);
    fprintf(stderr, "wenda: cluster: node %u now holds the cluster's data "
            "as of entry %llu\n", c->id, (unsigned long long)c->applied_db);
    return 0;
}

/* ---- the state machine (loop thread) ------------------------------------- */

/* Applies a 'J' entry at index; answers this node's own jobs in it. */
static int
apply_jobs(struct cluster *c, const struct raft_buffer *buf, uint64_t index)
{
    struct cluster_entry e;
    struct write_job *ptrs[CLUSTER_ENTRY_MAX_JOBS];
    struct pending *p;
    enum wenda_err rc;
    size_t i;

    rc = cluster_entry_decode(buf->base, buf->len, &e);
    if (rc == WENDA_ERR_NOMEM)
        return RAFT_NOMEM;   /* libraft applies it again later */
    if (rc != WENDA_OK) {
        fprintf(stderr, "wenda: cluster: entry %llu does not decode; "
                "skipped\n", (unsigned long long)index);
        e.n = 0;   /* applied as nothing, on every node alike */
    }
    p = e.n > 0 ? cluster_pending_find(c, &e.id) : NULL;
    if (p != NULL && p->n != e.n)
        p = NULL;
    for (i = 0; i < e.n; i++) {
        ptrs[i] = &e.jobs[i];
        if (p != NULL && e.jobs[i].kind == WRITE_TOKEN_CREATE)
            memcpy(e.jobs[i].token, p->jobs[i]->token,
                   sizeof(e.jobs[i].token));
    }
    wenda_store_clock_set(e.stamp);
    rc = e.n > 0 ? writer_apply_batch(c->st, ptrs, e.n, index, p != NULL)
                 : WENDA_OK;
    wenda_store_clock_set(NULL);
    if (rc == WENDA_OK && e.n == 0)
        rc = wenda_store_cluster_mark(c->st, (int64_t)index);
    if (rc != WENDA_OK) {
        cluster_entry_cleanup(&e);
        return RAFT_IOERR;   /* libraft applies it again later */
    }
    c->applied_db = index;
    if (p != NULL) {
        for (i = 0; i < e.n; i++)
            move_result(p->jobs[i], &e.jobs[i], index);
        p->done = 1;
    }
    cluster_entry_cleanup(&e);
    writer_keep_log_short(c->st, LOG_PAGES, LOG_WAIT_MS);
    return 0;
}

/* Applies a 'U' entry: a node's URL. */
static int
apply_url(struct cluster *c, const struct raft_buffer *buf, uint64_t index)
{
    json_t *o = json_loadb((const char *)buf->base + 1,
                           strnlen((const char *)buf->base + 1, buf->len - 1),
                           0, NULL);
    const json_t *id = json_object_get(o, "id"), *url = json_object_get(o,
                                                                       "url");
    struct cluster_entry_id eid = {0};
    sqlite3 *db = wenda_store_db(c->st);
    sqlite3_stmt *s = NULL;
    struct pending *p;
    int ok;

    eid.origin = (unsigned int)json_integer_value(json_object_get(o,
                                                                  "origin"));
    eid.boot = (uint64_t)json_integer_value(json_object_get(o, "boot"));
    eid.seq = (uint64_t)json_integer_value(json_object_get(o, "seq"));
    ok = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
    if (ok && json_is_integer(id) && json_is_string(url) &&
        json_string_length(url) < CLUSTER_URL_CAP &&
        sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO cluster_nodes(id, url) "
                           "VALUES (?1, ?2)", -1, &s, NULL) == SQLITE_OK) {
        (void)sqlite3_bind_int64(s, 1, json_integer_value(id));
        (void)sqlite3_bind_text(s, 2, json_string_value(url), -1,
                                SQLITE_STATIC);
        ok = sqlite3_step(s) == SQLITE_DONE;
    }
    sqlite3_finalize(s);
    if (ok)
        ok = wenda_store_cluster_mark(c->st, (int64_t)index) == WENDA_OK &&
             sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
    if (!ok) {
        (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        json_decref(o);
        return RAFT_IOERR;
    }
    json_decref(o);
    c->applied_db = index;
    wenda_store_changed();
    cluster_load_urls(c);
    p = cluster_pending_find(c, &eid);
    if (p != NULL && p->n == 1) {   /* a node added: its answer */
        struct cluster_status st;
        struct write_job *job = p->jobs[0];

        cluster_publish(c);
        published_applied(c, index);   /* this entry counts as applied */
        cluster_status(c, &st);
        st.ready = st.leader_id != 0 && st.applied_index >= st.commit_index;
        free(job->result.body);
        job->result.body = cluster_status_json(&st);
        job->result.len = job->result.body ? strlen(job->result.body) : 0;
        job->result.rc = job->result.body ? WENDA_OK : WENDA_ERR_NOMEM;
        job->result.index = index;
        p->done = 1;
    }
    return 0;
}

static int
fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result)
{
    struct cluster *c = fsm->data;
    uint64_t index = raft_last_applied(c->r) + 1;
    const unsigned char *b = buf->base;
    int rv = 0;

    *result = NULL;
    if (index <= c->applied_db) {   /* in the database before a restart */
        published_applied(c, index);
        return 0;
    }
    if (buf->len == 0)
        rv = RAFT_MALFORMED;
    else if (b[0] == CLUSTER_ENTRY_JOBS)
        rv = apply_jobs(c, buf, index);
    else if (b[0] == CLUSTER_ENTRY_SEED)
        rv = restore_image(c, b + 1, buf->len - 1, index, 1);
    else if (b[0] == CLUSTER_ENTRY_URL)
        rv = apply_url(c, buf, index);
    if (rv == RAFT_MALFORMED) {   /* the same on every node: skip it */
        fprintf(stderr, "wenda: cluster: entry %llu is not one wenda "
                "writes; skipped\n", (unsigned long long)index);
        rv = 0;
    }
    if (rv == 0)
        published_applied(c, index);
    return rv;
}

static int
fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[],
             unsigned *n_bufs)
{
    struct cluster *c = fsm->data;
    int rv;

    *bufs = raft_malloc(sizeof(**bufs));
    if (*bufs == NULL)
        return RAFT_NOMEM;
    rv = cluster_make_image(c, 0, &(*bufs)[0]);
    if (rv != 0) {
        raft_free(*bufs);
        *bufs = NULL;
        return rv;
    }
    *n_bufs = 1;
    return 0;
}

static int
fsm_snapshot_finalize(struct raft_fsm *fsm, struct raft_buffer *bufs[],
                      unsigned *n_bufs)
{
    unsigned i;

    (void)fsm;
    for (i = 0; *bufs != NULL && i < *n_bufs; i++)
        raft_free((*bufs)[i].base);
    raft_free(*bufs);
    *bufs = NULL;
    *n_bufs = 0;
    return 0;
}

static int
fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
    struct cluster *c = fsm->data;
    int rv = restore_image(c, buf->base, buf->len, 0, 0);

    if (rv == 0)   /* libraft takes the buffer back when a restore fails */
        raft_free(buf->base);
    return rv;
}

/* Opens the node's database, and reads what it has applied. */
enum wenda_err
cluster_open_state(struct cluster *c, char *msg, size_t cap)
{
    enum wenda_err rc = wenda_auth_key_path_for_db(c->db_path, c->key_path,
                                                   sizeof(c->key_path));
    int64_t applied;

    if (rc == WENDA_OK)
        rc = wenda_store_open(c->db_path, 0, &c->st, msg, cap);
    if (rc != WENDA_OK) {
        if (msg[0] == '\0')
            (void)snprintf(msg, cap, "cannot open %s", c->db_path);
        return rc;
    }
    /* The log on a majority of the nodes is what makes a write durable:
     * a commit lost to a power cut here is applied again from it, since
     * the database says which entry it has. */
    (void)sqlite3_exec(wenda_store_db(c->st), "PRAGMA synchronous = NORMAL",
                       NULL, NULL, NULL);
    applied = wenda_store_cluster_applied(c->st);
    c->applied_db = applied > 0 ? (uint64_t)applied : 0;
    cluster_load_urls(c);
    return WENDA_OK;
}

void
cluster_fsm_setup(struct cluster *c)
{
    c->fsm.version = 2;
    c->fsm.data = c;
    c->fsm.apply = fsm_apply;
    c->fsm.snapshot = fsm_snapshot;
    c->fsm.snapshot_finalize = fsm_snapshot_finalize;
    c->fsm.restore = fsm_restore;
}

struct cluster *
cluster_fsm_new(unsigned int id, const char *db_path, struct wenda_auth *auth,
                struct raft_fsm **fsm, char *msg, size_t cap)
{
    struct cluster *c = cluster_new(id, db_path, auth);

    msg[0] = '\0';
    if (c == NULL || cluster_open_state(c, msg, cap) != WENDA_OK) {
        if (c != NULL)
            cluster_free(c);
        return NULL;
    }
    cluster_fsm_setup(c);
    *fsm = &c->fsm;
    return c;
}

void
cluster_fsm_attach(struct cluster *c, struct raft *r)
{
    c->r = r;
}

struct wenda_store *
cluster_fsm_store(struct cluster *c)
{
    return c->st;
}

void
cluster_fsm_free(struct cluster *c)
{
    if (c != NULL)
        cluster_free(c);
}

char *
cluster_fsm_seed(struct cluster *c, size_t *len)
{
    struct raft_buffer img;
    char *out;

    if (cluster_make_image(c, CLUSTER_ENTRY_SEED, &img) != 0)
        return NULL;
    out = malloc(img.len);
    if (out != NULL) {
        memcpy(out, img.base, img.len);
        *len = img.len;
    }
    raft_free(img.base);
    return out;
}
