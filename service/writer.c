/*
 * writer.c -- the producer-consumer write path.
 *
 * Producers are the I/O threads; the consumer is one thread of a
 * wenda_pool over a bounded wenda_queue, which owns the only writable
 * SQLite connection.  One writer because SQLite has one writer at a time
 * anyway: a second would only wait on the database lock.  The thread takes
 * every job queued since its last batch and commits them together, so
 * under load many writes share one fsync (group commit); a failing job is
 * rolled back to its own savepoint and answered alone.  A response says
 * success only after COMMIT returned SQLITE_OK with synchronous=FULL.
 *
 * The writer also keeps the write-ahead log short.  Once the commits have
 * added LOG_PAGES to it, the batch's answers are sent first and then the
 * log is copied into the database and emptied (a TRUNCATE checkpoint), the
 * readers being asked to let go of it and waited for at most
 * LOG_WAIT_MS; the writes queued meanwhile go into the next batch.  On a
 * clean stop the log is emptied once more, so that it does not outlive the
 * server.
 */
#include "writer.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "store_int.h"
#include "wenda/auth.h"
#include "pool.h"
#include "wenda/store.h"

#define MAX_BATCH 64

static void drop_body(struct write_job *job);

/* The log is emptied once it holds this many pages (SQLite's own
 * automatic checkpoint threshold), waiting for readers at most
 * LOG_WAIT_MS; on a clean stop, when no request is left, at most
 * LOG_STOP_WAIT_MS. */
#define LOG_PAGES 1000
#define LOG_WAIT_MS 100
#define LOG_STOP_WAIT_MS 2000

#define READ_ONLY_DETAIL                                                    \
    "the database file cannot be written (see the server's log); nothing "  \
    "was written"

struct writer {
    struct wenda_store *st;          /* NULL in a cluster */
    writer_handoff_fn *handoff;      /* a cluster's; NULL on a single
                                        server */
    void *handoff_ctx;
    struct wenda_queue *queue;
    struct wenda_pool *pool;
};

void
write_job_cleanup(struct write_job *job)
{
    size_t i;

    for (i = 0; i < job->ntopics; i++)
        wenda_topic_cleanup(&job->topics[i]);
    free(job->topics);
    job->topics = NULL;
    free(job->lines);
    job->lines = NULL;
    job->ntopics = 0;
    wenda_topic_cleanup(&job->topic);
    json_decref(job->patch);
    job->patch = NULL;
    free(job->doc);
    job->doc = NULL;
    drop_body(job);
    wenda_problems_cleanup(&job->result.problems);
}

int
write_check_category(struct wenda_store *st, const char *category,
                     struct wenda_problems *p)
{
    if (category == NULL ||
        !wenda_slug_valid(category, WENDA_CONTENT_MAX_SLUG) ||
        wenda_store_category_exists(st, category))
        return 0;
    wenda_problems_add(p, "/category", "category '%.64s' does not exist",
                       category);
    return 1;
}

/*
 * Checks what only the database can tell of topic t, written by job: its
 * category exists.  WENDA_ERR_INVALID with the problem in job's result
 * and msg, else WENDA_OK.
 */
static enum wenda_err
check_topic(struct wenda_store *st, struct write_job *job,
            const struct wenda_topic *t, char *msg, size_t msgcap)
{
    if (!write_check_category(st, t->category, &job->result.problems))
        return WENDA_OK;
    wenda_problems_first(&job->result.problems, 0, msg, msgcap);
    return WENDA_ERR_INVALID;
}

/* Frees the result's body; a token is wiped first (it was never sent). */
static void
drop_body(struct write_job *job)
{
    if (job->kind == WRITE_TOKEN_CREATE && job->result.body != NULL)
        sodium_memzero(job->result.body, job->result.len);
    free(job->result.body);
    job->result.body = NULL;
    job->result.len = 0;
}

/* Fails a job with rc, and msg (if any) as the detail for the client. */
static void
fail(struct write_job *job, enum wenda_err rc, const char *msg)
{
    drop_body(job);
    job->result.rc = rc;
    (void)snprintf(job->result.msg, sizeof(job->result.msg), "%s",
                   msg != NULL ? msg : "");
}

/*
 * Imports every topic of the job, creating new slugs and replacing the
 * topics whose slug exists (unless the same), counting each in
 * job->counts; a slug given twice is refused; any failure names the
 * topic's line of the body and, as the job runs in one savepoint, undoes
 * them all.
 */
static enum wenda_err
apply_import(struct wenda_store *st, struct write_job *job, char *msg,
             size_t msgcap)
{
    char why[200];
    size_t failed;
    enum wenda_err rc = wenda_store_topics_put(st, job->topics, job->ntopics,
                                               job->who, &failed,
                                               &job->counts, why,
                                               sizeof(why));

    if (rc != WENDA_OK && failed < job->ntopics)
        (void)snprintf(msg, msgcap, "line %zu: %s",
                       job->lines != NULL ? job->lines[failed] : failed + 1,
                       why[0] ? why : wenda_err_title(rc));
    return rc;
}

/* Creates a token; its one showing goes into the job's answer. */
static enum wenda_err
apply_token_create(struct wenda_store *st, struct write_job *job)
{
    char token[WENDA_TOKEN_LEN + 1];
    json_t *o;
    char *s;
    int64_t id = 0;
    enum wenda_err rc;

    if (job->minted) {   /* a cluster's entry: the leader made the token */
        rc = wenda_auth_token_insert(
            st, (enum wenda_role)job->role, job->token_name, job->token_hash,
            job->token_created,
            job->token_expires[0] ? job->token_expires : NULL, &id);
        (void)snprintf(token, sizeof(token), "%s", job->token);
    } else {
        rc = wenda_auth_token_create(job->auth, st, (enum wenda_role)job->role,
                                     job->token_name, job->expires, token,
                                     &id);
    }
    if (rc != WENDA_OK)
        return rc;
    o = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "token",
                  token, "role", wenda_auth_role_name(job->role), "name",
                  job->token_name);
    sodium_memzero(token, sizeof(token));
    s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (s == NULL)
        return WENDA_ERR_NOMEM;
    drop_body(job);
    job->result.body = s;  /* kept for the answer after the commit */
    job->result.len = strlen(s);
    job->id = id;
    return WENDA_OK;
}

/*
 * Writes why the database refused what (SQLite's own words) to the log,
 * which an operator reads where a client sees only a problem type, and
 * returns the error to answer: WENDA_ERR_READ_ONLY (503) when the file can
 * no longer be written, else WENDA_ERR_DB.
 */
static enum wenda_err
log_db_error(struct wenda_store *st, const char *what)
{
    const char *why = NULL;
    enum wenda_err rc = wenda_store_last_error(st, &why);

    fprintf(stderr, "wenda: %s: %s\n", what, why);
    return rc;
}

/*
 * Checks job's If-Match (ETags, or "*") against the stored JSON of the
 * topic it names (the lexicon's document, for WRITE_LEXICON), and gives
 * in *version the version the write then expects of it:
 * WENDA_STORE_ANY_VERSION for "*".  The store checks that version in the
 * same transaction.  WENDA_ERR_PRECONDITION when no ETag names the
 * current JSON, WENDA_ERR_NOT_FOUND.
 */
static enum wenda_err
expected_version(struct wenda_store *st, const struct write_job *job,
                 int64_t *version)
{
    char etag[WENDA_ETAG_SIZE], *doc = NULL;
    size_t len = 0;
    enum wenda_err rc;

    *version = WENDA_STORE_ANY_VERSION;
    if (strcmp(job->if_match, "*") == 0)
        return WENDA_OK;
    if (job->kind == WRITE_LEXICON) {
        rc = wenda_store_lexicon_get(st, job->lexicon, &doc, version);
        len = doc != NULL ? strlen(doc) : 0;
    } else {
        rc = wenda_store_doc_version(st, job->id, &doc, &len, version);
    }
    if (rc != WENDA_OK)
        return rc;
    wenda_etag(doc, len, etag);
    free(doc);
    return wenda_etag_listed(job->if_match, etag) ? WENDA_OK
                                                 : WENDA_ERR_PRECONDITION;
}

/*
 * Applies job's JSON merge patch (RFC 7396) to the topic it names, as it
 * is now, and replaces the topic with the result; msg says what is wrong
 * with a result that is not a valid topic.
 */
static enum wenda_err
apply_patch(struct wenda_store *st, struct write_job *job, char *msg,
            size_t msgcap)
{
    struct wenda_problems *p = &job->result.problems;
    struct wenda_topic cur, patched;
    int64_t version;
    json_t *doc;
    enum wenda_err rc = expected_version(st, job, &version);

    if (rc != WENDA_OK)
        return rc;
    rc = wenda_store_topic_get(st, job->id, NULL, &cur);
    if (rc != WENDA_OK)
        return rc;
    if (version == WENDA_STORE_ANY_VERSION)
        version = cur.version;
    doc = wenda_json_merge_patch(wenda_topic_editable_json(&cur),
                                 job->patch);
    wenda_topic_cleanup(&cur);
    rc = wenda_topic_read_json(doc, &patched, p);
    if (rc == WENDA_ERR_INVALID)
        (void)write_check_category(
            st, json_string_value(json_object_get(doc, "category")), p);
    json_decref(doc);
    if (rc == WENDA_OK)
        rc = check_topic(st, job, &patched, msg, msgcap);
    else
        wenda_problems_first(p, 0, msg, msgcap);
    if (rc == WENDA_OK)
        rc = wenda_store_topic_replace(st, job->id, &patched, version,
                                       job->who, msg, msgcap);
    wenda_topic_cleanup(&patched);
    return rc;
}

/*
 * Applies one job inside the batch's transaction.  On success a body that
 * only this step can give (a token, a review's state) is left in
 * job->result; the rest of the result is only given after the commit.
 */
static enum wenda_err
apply(struct wenda_store *st, struct write_job *job)
{
    char msg[256] = "";
    enum wenda_err rc;
    int64_t id = job->id, version;

    wenda_problems_cleanup(&job->result.problems);
    switch (job->kind) {
    case WRITE_CREATE:
        rc = check_topic(st, job, &job->topic, msg, sizeof(msg));
        if (rc == WENDA_OK)
            rc = wenda_store_topic_create(st, &job->topic, job->who, &id,
                                          msg, sizeof(msg));
        break;
    case WRITE_REPLACE:
        rc = expected_version(st, job, &version);
        if (rc == WENDA_OK)
            rc = check_topic(st, job, &job->topic, msg, sizeof(msg));
        if (rc == WENDA_OK)
            rc = wenda_store_topic_replace(st, id, &job->topic, version,
                                           job->who, msg, sizeof(msg));
        break;
    case WRITE_DELETE:
        rc = expected_version(st, job, &version);
        if (rc == WENDA_OK)
            rc = wenda_store_topic_delete(st, id, version, job->who);
        break;
    case WRITE_IMPORT:
        rc = apply_import(st, job, msg, sizeof(msg));
        break;
    case WRITE_TOKEN_CREATE:
        rc = apply_token_create(st, job);
        break;
    case WRITE_PROGRESS:
        drop_body(job);
        rc = wenda_store_progress_review(st, job->token_id, id, job->role,
                                         &job->result.body,
                                         &job->result.len);
        break;
    case WRITE_TOKEN_REVOKE:
        rc = wenda_auth_token_revoke(st, id);
        if (rc == WENDA_ERR_NOT_FOUND)
            (void)snprintf(msg, sizeof(msg), "no such token, or already "
                           "revoked");
        break;
    case WRITE_PATCH:
        rc = apply_patch(st, job, msg, sizeof(msg));
        break;
    case WRITE_LEXICON:
        rc = expected_version(st, job, &version);
        if (rc == WENDA_OK)
            rc = wenda_store_lexicon_put(st, job->lexicon, job->doc, version,
                                         job->who, NULL);
        break;
    default:
        rc = WENDA_ERR_INTERNAL;
        break;
    }
    if (rc == WENDA_OK && job->token_id > 0 &&
        !(job->kind == WRITE_TOKEN_REVOKE && job->token_id == job->id))
        rc = wenda_auth_touch(st, job->token_id);
    if (rc == WENDA_ERR_DB)
        rc = log_db_error(st, "a write failed");
    if (rc != WENDA_OK) {
        fail(job, rc, msg);
        return rc;
    }
    job->id = id;
    return WENDA_OK;
}

/*
 * The result of a committed job: the topic as it now is, for a write of a
 * topic; the document written, for the lexicon; a token's or a review's
 * body as apply() left it.
 */
static void
answer(struct wenda_store *st, struct write_job *job)
{
    char body[128];
    int n;

    job->result.rc = WENDA_OK;
    switch (job->kind) {
    case WRITE_TOKEN_CREATE:
    case WRITE_PROGRESS:
        return;
    case WRITE_DELETE:
    case WRITE_TOKEN_REVOKE:
        drop_body(job);
        return;
    case WRITE_LEXICON:   /* the document as stored is the one written */
        drop_body(job);
        job->result.len = strlen(job->doc);
        job->result.body = job->doc;
        job->doc = NULL;
        return;
    case WRITE_IMPORT:
        n = snprintf(body, sizeof(body),
                     "{\"imported\":%zu,\"added\":%zu,\"changed\":%zu,"
                     "\"unchanged\":%zu}",
                     job->ntopics, job->counts.added, job->counts.changed,
                     job->counts.unchanged);
        drop_body(job);
        job->result.body = strndup(body, (size_t)n);
        job->result.len = job->result.body != NULL ? (size_t)n : 0;
        if (job->result.body == NULL)
            fail(job, WENDA_ERR_NOMEM, "the import was saved; its answer "
                 "could not be made");
        return;
    default:
        drop_body(job);
        if (wenda_store_topic_doc(st, job->id, NULL, &job->result.body,
                                  &job->result.len) != WENDA_OK)
            fail(job, WENDA_ERR_INTERNAL, "the change was saved but cannot "
                 "be read back");
        return;
    }
}

void
writer_keep_log_short(struct wenda_store *st, unsigned int threshold,
                      unsigned int wait_ms)
{
    long left = 0;
    enum wenda_checkpoint done =
        wenda_store_checkpoint(st, threshold, wait_ms, &left);

    if (done != WENDA_CHECKPOINT_NONE)
        metrics_checkpoint(done == WENDA_CHECKPOINT_TRUNCATED ? "truncated"
                           : done == WENDA_CHECKPOINT_BUSY    ? "busy"
                                                              : "failed",
                           left);
}

enum wenda_err
writer_apply_batch(struct wenda_store *st, struct write_job **jobs, size_t n,
                   uint64_t index, int answers)
{
    unsigned char ok[MAX_BATCH];
    enum wenda_err rc;
    size_t i;

    if (n > MAX_BATCH)
        return WENDA_ERR_INVALID;
    rc = wenda_store_write_begin(st);
    if (rc == WENDA_ERR_DB)
        rc = log_db_error(st, "cannot begin a write");
    for (i = 0; i < n; i++) {
        struct write_job *job = jobs[i];

        ok[i] = 0;
        if (rc != WENDA_OK) {
            fail(job, rc == WENDA_ERR_READ_ONLY ? rc : WENDA_ERR_UNAVAILABLE,
                 rc == WENDA_ERR_READ_ONLY ? READ_ONLY_DETAIL
                                           : "the database is busy; try "
                                             "again");
            continue;
        }
        if (wenda_store_savepoint(st) != WENDA_OK) {
            fail(job, WENDA_ERR_DB, NULL);
            continue;
        }
        if (apply(st, job) == WENDA_OK && wenda_store_release(st) == WENDA_OK) {
            ok[i] = 1;
        } else {
            wenda_store_rollback_to(st);
        }
    }
    if (rc == WENDA_OK && index > 0 &&
        wenda_store_cluster_mark(st, (int64_t)index) != WENDA_OK) {
        rc = log_db_error(st, "cannot record the applied entry");
        wenda_store_write_rollback(st);
    } else if (rc == WENDA_OK && wenda_store_write_commit(st) != WENDA_OK) {
        rc = log_db_error(st, "cannot commit");
    }
    for (i = 0; i < n; i++) {
        struct write_job *job = jobs[i];

        job->result.index = rc == WENDA_OK ? index : 0;
        if (ok[i] && rc == WENDA_OK && answers)
            answer(st, job);
        else if (ok[i] && rc == WENDA_OK)
            job->result.rc = WENDA_OK;
        else if (ok[i])
            fail(job, rc == WENDA_ERR_READ_ONLY ? rc : WENDA_ERR_UNAVAILABLE,
                 rc == WENDA_ERR_READ_ONLY ? READ_ONLY_DETAIL
                                           : "the change could not be "
                                             "saved; nothing was written");
    }
    return rc;
}

static void
run_batch(void *ctx, void **jobs, size_t n)
{
    struct writer *w = ctx;
    size_t i;

    if (w->handoff != NULL) {   /* answered once the cluster applied it */
        w->handoff(w->handoff_ctx, (struct write_job **)jobs, n);
        return;
    }
    (void)writer_apply_batch(w->st, (struct write_job **)jobs, n, 0, 1);
    for (i = 0; i < n; i++) {
        struct write_job *job = jobs[i];

        atomic_store(&job->done, 1);
        job->wake(job);
    }
    writer_keep_log_short(w->st, LOG_PAGES, LOG_WAIT_MS);
}

enum wenda_err
writer_start(const char *db_path, size_t capacity, size_t max_batch,
             writer_handoff_fn *handoff, void *ctx, struct writer **out,
             char *msg, size_t msgcap)
{
    struct writer *w = calloc(1, sizeof(*w));
    enum wenda_err rc = WENDA_OK;

    *out = NULL;
    if (w == NULL)
        return WENDA_ERR_NOMEM;
    msg[0] = '\0';
    w->handoff = handoff;
    w->handoff_ctx = ctx;
    if (handoff == NULL)
        rc = wenda_store_open(db_path, 0, &w->st, msg, msgcap);
    if (rc == WENDA_OK && w->st != NULL)   /* whatever log a crash left;
                                              sets up the hook */
        writer_keep_log_short(w->st, 0, LOG_WAIT_MS);
    if (rc == WENDA_OK)
        rc = wenda_queue_new(capacity, &w->queue);
    if (rc == WENDA_OK)
        rc = wenda_pool_start(w->queue, 1,
                              max_batch < 1           ? 1
                              : max_batch > MAX_BATCH ? MAX_BATCH
                                                      : max_batch,
                              run_batch, w, &w->pool);
    if (rc != WENDA_OK) {
        if (msg[0] == '\0')
            (void)snprintf(msg, msgcap, "cannot start the writer: %s",
                           wenda_err_title(rc));
        wenda_queue_free(w->queue);
        wenda_store_close(w->st);
        free(w);
        return rc;
    }
    *out = w;
    return WENDA_OK;
}

enum wenda_err
writer_submit(struct writer *w, struct write_job *job)
{
    return wenda_queue_push(w->queue, job, 0);
}

size_t
writer_depth(const struct writer *w)
{
    return w != NULL ? wenda_queue_depth(w->queue) : 0;
}

void
writer_stop(struct writer *w)
{
    if (w == NULL)
        return;
    wenda_pool_stop(w->pool);
    wenda_queue_free(w->queue);
    if (w->st != NULL)
        writer_keep_log_short(w->st, 0, LOG_STOP_WAIT_MS);
    wenda_store_close(w->st);
    free(w);
}
