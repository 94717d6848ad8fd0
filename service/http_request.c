/*
 * http_request.c -- a request's way through libmicrohttpd's callbacks,
 * from its headers to the answer api.c makes for it.
 *
 * The access handler is called at least twice per request: once when the
 * headers are in (we attach a small context), then with body data, then
 * once more with *upload_data_size == 0.  The response is queued only on
 * that last call: queuing it earlier makes libmicrohttpd 0.9.75 close the
 * keep-alive connection, at about four times the cost per request.  The
 * exception is a request refused for its head (http_refusal()): its
 * answer is queued on the first call, before any of its body is read, and
 * closing the connection is what such a request needs.  A write is handed
 * to the writer thread and its connection suspended; the writer resumes
 * it when the write is done, and the handler, called again, answers.
 *
 * Reads go to SQLite on the I/O thread itself, through a read-only
 * connection that the thread opens on its first request and owns from
 * then on: SQLite connections are not meant to be shared between threads
 * without a lock, and a connection per thread (WAL lets any number of
 * readers run beside a writer) needs none, so the read path takes no lock
 * at all.  The server's registry of those connections is locked only when
 * a thread opens its connection and at shutdown.
 *
 * A thread keeps its read transaction from one request to the next (one
 * WAL read lock per snapshot, not per statement), renews it after a
 * commit in this process or after SNAPSHOT_MAX_AGE_MS, and ends it when a
 * request is about to wait for the writer and at the end of any request
 * once the writer has committed or asked readers to let go of the log
 * since the snapshot began.  When the thread's last request in flight
 * ends it leaves its store (wenda_store_leave()): the snapshot stays for
 * the next request, but a checkpoint of the writer may end it meanwhile.
 * SQLite can rewind the write-ahead log only when no reader reads from
 * it; a snapshot held by an idle thread, or by a request suspended while
 * the writer works, would let the log grow by every write for as long as
 * writes keep coming.
 */
#include "http_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "metrics.h"
#include "store_int.h"
#include "writer.h"

/* How stale a held read snapshot may get while requests keep coming. */
#define SNAPSHOT_MAX_AGE_MS 1000

struct arg_ctx {
    struct MHD_Connection *conn;
};

static struct wenda_store *store_for_thread(struct server *srv);
static struct wenda_store *store_for_request(struct server *srv);
static int lookup_arg(void *ctx, const char *name, const char **value,
                      size_t *len);
static const char *lookup_header(void *ctx, const char *name);
static void request_id(struct MHD_Connection *conn, char id[68]);
static void problem(const struct server *srv, struct api_response *res,
                    enum wenda_err rc, const char *why);
static enum MHD_Result answer_problem(struct server *srv,
                                      struct MHD_Connection *conn,
                                      const char *method,
                                      const struct request *r,
                                      enum wenda_err rc, const char *why);
static enum MHD_Result refuse(struct server *srv,
                              struct MHD_Connection *conn,
                              const char *method, const struct request *r,
                              enum wenda_err rc, const char *why);
static enum MHD_Result begin(struct server *srv, struct MHD_Connection *conn,
                             const char *url, const char *method,
                             const char *version, void **con_cls);
static void take_body(const struct server *srv, struct request *r,
                      const char *data, size_t size);
static void wake(struct write_job *job);
static enum MHD_Result defer_write(struct server *srv,
                                   struct MHD_Connection *conn,
                                   struct request *r,
                                   struct api_response *res);
static enum MHD_Result answer_write(struct server *srv,
                                    struct MHD_Connection *conn,
                                    const char *method, struct request *r);
static enum MHD_Result answer(struct server *srv, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              struct request *r);

static _Thread_local struct wenda_store *thread_store;

/* Requests in flight on this I/O thread, from their headers to their
 * completion; at 0 the thread is idle and lets go of its read snapshot. */
static _Thread_local unsigned long thread_requests;

/* Returns the calling I/O thread's read-only store, opening it once. */
static struct wenda_store *
store_for_thread(struct server *srv)
{
    struct wenda_store *st;
    char msg[256];

    if (thread_store != NULL)
        return thread_store;
    if (wenda_store_open(srv->cfg->db_path, WENDA_STORE_READONLY, &st, msg,
                         sizeof(msg)) != WENDA_OK) {
        fprintf(stderr, "wenda: %s\n", msg);
        return NULL;
    }
    if (wenda_store_tune(st, &srv->cfg->tuning) != WENDA_OK) {
        fprintf(stderr, "wenda: cannot apply the cache and mmap sizes\n");
        wenda_store_close(st);
        return NULL;
    }
    pthread_mutex_lock(&srv->lock);
    if (wenda_buf_reserve(&srv->stores, &srv->capstores, srv->nstores,
                          sizeof(struct wenda_store *), 8) != 0) {
        pthread_mutex_unlock(&srv->lock);
        wenda_store_close(st);
        return NULL;
    }
    srv->stores[srv->nstores++] = st;
    pthread_mutex_unlock(&srv->lock);
    thread_store = st;
    return st;
}

/*
 * Returns the thread's store (borrowed) with a read snapshot held for the
 * request, or NULL when it cannot be opened or read.  The thread is in
 * its store from then until it is idle again (see http_on_completed()).
 */
static struct wenda_store *
store_for_request(struct server *srv)
{
    struct wenda_store *st = store_for_thread(srv);

    if (st == NULL)
        return NULL;
    wenda_store_enter(st);
    if (wenda_store_hold_read(st, SNAPSHOT_MAX_AGE_MS) != WENDA_OK)
        return NULL;
    return st;
}

/* api.c's look-up of a query parameter (ctx: a struct arg_ctx). */
static int
lookup_arg(void *ctx, const char *name, const char **value, size_t *len)
{
    struct arg_ctx *a = ctx;
    const char *v = NULL;
    size_t n = 0;

    if (MHD_lookup_connection_value_n(a->conn, MHD_GET_ARGUMENT_KIND, name,
                                      strlen(name), &v, &n) != MHD_YES)
        return 0;
    *value = v;
    *len = v ? n : 0;
    return 1;
}

/* What each_arg() passes on to MHD's iterator. */
struct names_ctx {
    api_name_fn fn;
    void *cls;
};

static enum MHD_Result
name_of(void *cls, enum MHD_ValueKind kind, const char *key,
        const char *value)
{
    struct names_ctx *n = cls;

    (void)kind;
    (void)value;
    return n->fn(n->cls, key ? key : "") ? MHD_NO : MHD_YES;
}

/* api.c's walk over the query parameters' names (ctx: a struct
 * arg_ctx). */
static void
each_arg(void *ctx, api_name_fn fn, void *cls)
{
    struct arg_ctx *a = ctx;
    struct names_ctx n = {fn, cls};

    (void)MHD_get_connection_values(a->conn, MHD_GET_ARGUMENT_KIND, name_of,
                                    &n);
}

/* api.c's look-up of a header field (ctx: a struct arg_ctx). */
static const char *
lookup_header(void *ctx, const char *name)
{
    struct arg_ctx *a = ctx;

    return MHD_lookup_connection_value(a->conn, MHD_HEADER_KIND, name);
}

/*
 * The random bytes of the request ids an I/O thread makes, drawn from the
 * system a block at a time: one getrandom() for each request was a fiftieth
 * of a search's time.  Each id is still 64 bits the system's generator
 * gave, used once, unknown to any other thread or client.
 */
#define ID_BYTES 8
#define ID_BLOCK ((size_t)ID_BYTES * 64)
static _Thread_local unsigned char id_block[ID_BLOCK];
static _Thread_local size_t id_used = ID_BLOCK;

/*
 * Copies the client's X-Request-Id into id when it is 1 to 64 of
 * [A-Za-z0-9._-], else makes one (16 random hex digits).
 */
static void
request_id(struct MHD_Connection *conn, char id[68])
{
    const char *given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                    "X-Request-Id");
    size_t n = given ? strspn(given, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "abcdefghijklmnopqrstuvwxyz"
                                     "0123456789._-")
                     : 0;

    if (given != NULL && n > 0 && n <= 64 && given[n] == '\0') {
        memcpy(id, given, n + 1);
        return;
    }
    if (id_used == ID_BLOCK) {
        randombytes_buf(id_block, sizeof(id_block));
        id_used = 0;
    }
    (void)sodium_bin2hex(id, 68, id_block + id_used, ID_BYTES);
    id_used += ID_BYTES;
}

/* Makes *res the problem rc, saying why, of a request that reached no
 * route. */
static void
problem(const struct server *srv, struct api_response *res,
        enum wenda_err rc, const char *why)
{
    memset(res, 0, sizeof(*res));
    res->route = srv->nroutes;
    api_problem(res, rc, why, NULL);
}

/* Answers the request r with the problem rc, saying why. */
static enum MHD_Result
answer_problem(struct server *srv, struct MHD_Connection *conn,
               const char *method, const struct request *r,
               enum wenda_err rc, const char *why)
{
    struct api_response res;

    problem(srv, &res, rc, why);
    return http_send_response(srv, conn, method, r, &res);
}

/*
 * Answers rc with why as a problem that closes the connection: where the
 * refused request ends is in doubt, so nothing after it is read.
 */
static enum MHD_Result
refuse(struct server *srv, struct MHD_Connection *conn, const char *method,
       const struct request *r, enum wenda_err rc, const char *why)
{
    struct api_response res;

    http_watch_arm(conn, 0);    /* as much of the request as will be read */
    problem(srv, &res, rc, why);
    res.headers[0].name = MHD_HTTP_HEADER_CONNECTION;
    res.headers[0].value = strdup("close");
    res.nheaders = res.headers[0].value != NULL ? 1 : 0;
    return http_send_response(srv, conn, method, r, &res);
}

/*
 * The first call of the access handler, when the headers are in: takes
 * the struct request that http_check_target() attached to *con_cls (or
 * attaches a new one, without the target, when it could not) and counts
 * it in flight, then refuses the request at once if its head calls for
 * it.  Returns MHD_NO when out of memory.
 */
static enum MHD_Result
begin(struct server *srv, struct MHD_Connection *conn, const char *url,
      const char *method, const char *version, void **con_cls)
{
    struct request *r = *con_cls != NULL ? *con_cls
                                         : calloc(1, sizeof(*r) + 1);
    enum wenda_err rc;
    const char *why;

    if (r == NULL)
        return MHD_NO;
    r->begun = 1;
    (void)clock_gettime(CLOCK_MONOTONIC, &r->start);
    request_id(conn, r->id);
    r->path = url;
    metrics_request_begin();
    thread_requests++;
    *con_cls = r;
    /* Refused with the headers, before any body is read: a body framed in
     * a way libmicrohttpd misreads is never read at all. */
    why = http_refusal(conn, version, r->long_target, &rc);
    if (why != NULL)
        return refuse(srv, conn, method, r, rc, why);
    return MHD_YES;
}

/* Keeps size bytes more of r's body, up to max_body; past it, counts and
 * drops them. */
static void
take_body(const struct server *srv, struct request *r, const char *data,
          size_t size)
{
    r->body_bytes += size;
    if (r->body_bytes > srv->cfg->max_body) {
        r->too_large = 1;
        wenda_buf_cleanup(&r->body);
    } else {
        wenda_buf_add(&r->body, data, size);
    }
}

/* The writer's wake-up: runs on the writer thread, which libmicrohttpd
 * allows for MHD_resume_connection(). */
static void
wake(struct write_job *job)
{
    MHD_resume_connection(job->conn);
}

/*
 * Hands res->job to the writer and suspends the connection until the job
 * is done; the access handler is called again then and sends its answer.
 * The connection is suspended before the job is queued, so the writer can
 * never resume a connection that is not yet suspended.
 */
static enum MHD_Result
defer_write(struct server *srv, struct MHD_Connection *conn,
            struct request *r, struct api_response *res)
{
    struct write_job *job = res->job;

    res->job = NULL;
    r->route = res->route;
    job->wake = wake;
    job->conn = conn;
    r->job = job;
    api_response_cleanup(res);
    /* The snapshot must not hold back the log while the writer works. */
    wenda_store_release_read(thread_store);
    MHD_suspend_connection(conn);
    if (srv->writer == NULL || writer_submit(srv->writer, job) != WENDA_OK) {
        job->result.rc = WENDA_ERR_UNAVAILABLE;
        (void)snprintf(job->result.msg, sizeof(job->result.msg),
                       "too many writes are waiting; try again shortly");
        atomic_store(&job->done, 1);
        MHD_resume_connection(conn);
    }
    return MHD_YES;
}

/* Answers the write of r once the writer is done with it (the connection
 * was resumed); until then there is nothing to do. */
static enum MHD_Result
answer_write(struct server *srv, struct MHD_Connection *conn,
             const char *method, struct request *r)
{
    struct api_response res;

    if (!atomic_load(&r->job->done))
        return MHD_YES;
    api_write_answer(r->job, r->target[0] == '/' ? r->target : r->path,
                     &res);
    res.route = r->route;
    write_job_cleanup(r->job);
    free(r->job);
    r->job = NULL;
    return http_send_response(srv, conn, method, r, &res);
}

/*
 * Answers the request r, in full, through api.c: on the spot for a read,
 * or through the writer for a write (see defer_write()).
 */
static enum MHD_Result
answer(struct server *srv, struct MHD_Connection *conn, const char *url,
       const char *method, struct request *r)
{
    struct api_response res;
    struct api_request req;
    struct arg_ctx args = {conn};
    uint64_t seen;

    req.method = method;
    req.path = url;
    req.path_len = strlen(url);
    req.arg = lookup_arg;
    req.arg_names = each_arg;
    req.arg_ctx = &args;
    req.search_slots = &srv->search_slots;
    req.search_wait_ms = srv->cfg->search_wait_ms;
    req.header = lookup_header;
    req.body = r->body.p;
    req.body_len = r->body.n;
    req.auth = srv->auth;
    req.private_reads = srv->cfg->private_reads;
    req.read_only = srv->cfg->read_only;
    req.primary_url = srv->cfg->primary_url;
    req.cluster = srv->cluster;
    req.read_wait_ms = srv->cfg->read_wait_ms;
    /* What the node had applied before the snapshot of this read began
     * (unless one that began earlier is held still, see
     * wenda_store_hold_read()): an index the answer shows at least. */
    seen = srv->cluster != NULL ? cluster_applied(srv->cluster) : 0;
    req.store = store_for_request(srv);
    if (req.store == NULL)
        return answer_problem(srv, conn, method, r, WENDA_ERR_UNAVAILABLE,
                              "the database cannot be opened");
    api_handle(&req, &res);
    if (res.job != NULL)
        return defer_write(srv, conn, r, &res);
    if (res.index == 0)
        res.index = seen;
    return http_send_response(srv, conn, method, r, &res);
}

enum MHD_Result
http_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                const char *method, const char *version,
                const char *upload_data, size_t *upload_data_size,
                void **con_cls)
{
    struct server *srv = cls;
    struct request *r = *con_cls;

    if (r == NULL || !r->begun)
        return begin(srv, conn, url, method, version, con_cls);
    if (*upload_data_size != 0) {
        take_body(srv, r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    /* The last call: the request is in, and only now is it answered. */
    http_watch_arm(conn, 0);
    if (r->job != NULL)
        return answer_write(srv, conn, method, r);
    if (wenda_buf_failed(&r->body))
        return answer_problem(srv, conn, method, r, WENDA_ERR_NOMEM,
                              "the request body cannot be held");
    if (r->too_large)
        return answer_problem(srv, conn, method, r, WENDA_ERR_TOO_LARGE,
                              "the request body is larger than this server "
                              "accepts");
    return answer(srv, conn, url, method, r);
}

void
http_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                  enum MHD_RequestTerminationCode toe)
{
    struct server *srv = cls;
    struct request *r = *con_cls;

    (void)toe;
    if (r == NULL || !r->begun) {
        /* Its line came, and no code of ours saw its headers. */
        free(r);
        *con_cls = NULL;
        return;
    }
    /* A kept-alive connection's next request has as long again. */
    http_watch_arm(conn, srv->dog.timeout_ms);
    metrics_request_end();
    if (thread_requests > 0)
        thread_requests--;
    if (thread_store != NULL && thread_requests == 0)
        wenda_store_leave(thread_store);
    else if (thread_store != NULL)
        wenda_store_release_stale_read(thread_store);
    wenda_buf_cleanup(&r->body);
    if (r->job != NULL && atomic_load(&r->job->done)) {
        write_job_cleanup(r->job);
        free(r->job);
    }
    /* A job not yet done still belongs to the writer (it cannot be, as a
     * suspended connection is only completed after its resume). */
    free(r);
    *con_cls = NULL;
}

void
http_on_connection(void *cls, struct MHD_Connection *conn,
                   void **socket_context,
                   enum MHD_ConnectionNotificationCode toe)
{
    struct server *srv = cls;

    metrics_connection(toe == MHD_CONNECTION_NOTIFY_STARTED);
    /* libmicrohttpd tells a pool thread about its own connections. */
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = http_watch_open(&srv->dog, conn);
        return;
    }
    http_watch_close(&srv->dog, *socket_context);
    *socket_context = NULL;
}
