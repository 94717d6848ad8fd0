/*
 * http.c -- libmicrohttpd glue: threads, connections, signals.
 *
 * libmicrohttpd runs its own pool of I/O threads on epoll, one per core by
 * default; each thread answers the requests of the connections it owns,
 * start to finish.  Reads go to SQLite on the I/O thread itself, through a
 * read-only connection that the thread opens on its first request and owns
 * from then on: SQLite connections are not meant to be shared between
 * threads without a lock, and a connection per thread (WAL lets any number
 * of readers run beside a writer) needs none, so the read path takes no
 * lock at all.  The registry of those connections below is locked only
 * when a thread opens its connection and at shutdown.
 *
 * The access handler is called at least twice per request: once when the
 * headers are in (we attach a small context), then with body data, then
 * once more with *upload_data_size == 0.  The response is queued only on
 * that last call: queuing it earlier makes libmicrohttpd 0.9.75 close the
 * keep-alive connection, at about four times the cost per request.
 *
 * Shutdown is an event: the main thread waits in sigwait() for SIGTERM or
 * SIGINT, then stops the daemon, which finishes the requests in flight and
 * joins its threads; only then are the database connections closed.
 */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "wenda/store.h"

struct request {
    size_t body_bytes;
    int too_large;
};

struct server {
    const struct http_config *cfg;
    pthread_mutex_t lock;           /* guards stores and nstores */
    struct wenda_store **stores;
    size_t nstores, capstores;
};

static _Thread_local struct wenda_store *thread_store;

void
http_block_signals(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    (void)pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* Returns the calling I/O thread's read-only store, opening it once. */
static struct wenda_store *
store_for_thread(struct server *srv)
{
    struct wenda_store *st, **v;
    char msg[256];

    if (thread_store != NULL)
        return thread_store;
    if (wenda_store_open(srv->cfg->db_path, WENDA_STORE_READONLY, &st, msg,
                         sizeof(msg)) != WENDA_OK) {
        fprintf(stderr, "wenda: %s\n", msg);
        return NULL;
    }
    pthread_mutex_lock(&srv->lock);
    if (srv->nstores == srv->capstores) {
        size_t cap = srv->capstores ? srv->capstores * 2 : 8;

        v = realloc(srv->stores, cap * sizeof(struct wenda_store *));
        if (v == NULL) {
            pthread_mutex_unlock(&srv->lock);
            wenda_store_close(st);
            return NULL;
        }
        srv->stores = v;
        srv->capstores = cap;
    }
    srv->stores[srv->nstores++] = st;
    pthread_mutex_unlock(&srv->lock);
    thread_store = st;
    return st;
}

struct arg_ctx {
    struct MHD_Connection *conn;
};

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

static enum MHD_Result
send_response(struct MHD_Connection *conn, struct api_response *res)
{
    struct MHD_Response *r;
    enum MHD_Result ok;
    size_t i;

    r = MHD_create_response_from_buffer(res->len, res->body,
                                        MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        api_response_cleanup(res);
        return MHD_NO;
    }
    res->body = NULL;  /* now the response's */
    (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                  res->content_type);
    for (i = 0; i < res->nheaders; i++)
        (void)MHD_add_response_header(r, res->headers[i].name,
                                      res->headers[i].value);
    ok = MHD_queue_response(conn, res->status, r);
    MHD_destroy_response(r);
    api_response_cleanup(res);
    return ok;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *upload_data,
           size_t *upload_data_size, void **con_cls)
{
    struct server *srv = cls;
    struct request *r = *con_cls;
    struct api_response res;
    struct api_request req;
    struct arg_ctx args = {conn};

    (void)version;
    (void)upload_data;
    if (r == NULL) {
        r = calloc(1, sizeof(*r));
        if (r == NULL)
            return MHD_NO;
        *con_cls = r;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        /* No route takes a body yet: count it and drop it. */
        r->body_bytes += *upload_data_size;
        if (r->body_bytes > srv->cfg->max_body)
            r->too_large = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->too_large) {
        memset(&res, 0, sizeof(res));
        api_problem(&res, WENDA_ERR_TOO_LARGE, "the request body is larger "
                    "than this server accepts", NULL);
        return send_response(conn, &res);
    }
    req.method = method;
    req.path = url;
    req.path_len = strlen(url);
    req.arg = lookup_arg;
    req.arg_ctx = &args;
    req.store = store_for_thread(srv);
    if (req.store == NULL) {
        memset(&res, 0, sizeof(res));
        api_problem(&res, WENDA_ERR_UNAVAILABLE, "the database cannot be "
                    "opened", NULL);
        return send_response(conn, &res);
    }
    api_handle(&req, &res);
    return send_response(conn, &res);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

static void
log_mhd(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("wenda: libmicrohttpd: ", stderr);
    vfprintf(stderr, fmt, ap);
}

int
http_serve(const struct http_config *cfg)
{
    struct server srv = {cfg, PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};
    struct sockaddr_storage ss;
    struct MHD_Daemon *d;
    unsigned int threads = cfg->threads;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                         MHD_USE_ERROR_LOG;
    sigset_t set;
    size_t i;
    int sig = 0;

    memset(&ss, 0, sizeof(ss));
    if (inet_pton(AF_INET, cfg->bind,
                  &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)cfg->port);
    } else if (inet_pton(AF_INET6, cfg->bind,
                         &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        fprintf(stderr, "wenda: --bind: '%s' is not an IPv4 or IPv6 "
                "address\n", cfg->bind);
        return 1;
    }
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        threads = n > 0 ? (unsigned int)n : 1;
    }
    d = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, &srv,
        MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, &srv,
        MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "wenda: cannot listen on %s port %u (in use, or not "
                "an address of this machine?)\n", cfg->bind, cfg->port);
        return 1;
    }
    fprintf(stderr, "wenda: serving %s on http://%s%s%s:%u/ with %u "
            "threads\n", cfg->db_path, strchr(cfg->bind, ':') ? "[" : "",
            cfg->bind, strchr(cfg->bind, ':') ? "]" : "", cfg->port,
            threads);

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
        ;  /* the log is stderr: nothing to re-open */
    fprintf(stderr, "wenda: %s, stopping\n",
            sig == SIGINT ? "interrupted" : "terminated");
    MHD_stop_daemon(d);
    pthread_mutex_lock(&srv.lock);
    for (i = 0; i < srv.nstores; i++)
        wenda_store_close(srv.stores[i]);
    free(srv.stores);
    pthread_mutex_unlock(&srv.lock);
    return 0;
}
