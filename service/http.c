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
 *
 * The access handler is called at least twice per request: once when the
 * headers are in (we attach a small context), then with body data, then
 * once more with *upload_data_size == 0.  The response is queued only on
 * that last call: queuing it earlier makes libmicrohttpd 0.9.75 close the
 * keep-alive connection, at about four times the cost per request.  The
 * exception is a request refused for its header fields (refuse_request()):
 * its answer is queued on the first call, before any of its body is read,
 * and closing the connection is what such a request needs.
 *
 * Every 200 answer to a read carries an ETag (a hash of its body), and a
 * request whose If-None-Match names it gets 304 without the body.
 *
 * Shutdown is an event: the main thread waits in sigwait() for SIGTERM or
 * SIGINT, then stops taking connections (one made after the signal is
 * closed as soon as it is accepted, and every answer from then on closes
 * its connection), waits until no request is in flight or the drain
 * timeout has passed, and only then stops the daemon and closes the
 * database connections.  SIGHUP re-opens the log file, for log rotation.
 * MHD_quiesce_daemon() is not used: in libmicrohttpd 0.9.75 it races with
 * the I/O threads of an epoll thread pool, which may take the listening
 * socket out of their epoll set first, and it then aborts the process
 * ("Failed to remove listen FD from epoll set").
 *
 * libmicrohttpd restarts a connection's idle timeout with every byte it
 * receives, so a client that sends its request a byte a second (a
 * "slowloris") would hold its connection, and its place under the
 * connection limit, for ever.  So every connection also has a deadline:
 * its request, headers and body, must be in within the idle timeout of the
 * connection opening or of the previous answer on it.  A watchdog thread
 * looks at the open connections every WATCH_TICK_MS and shuts down the
 * socket of each that missed its deadline; libmicrohttpd then sees the
 * socket end and closes the connection as it closes any other.  The list
 * of connections is locked when one opens or closes and by the watchdog;
 * per request, arming and disarming a deadline are atomic stores.  A
 * connection leaves the list in libmicrohttpd's close notification, which
 * comes before libmicrohttpd closes the descriptor, so the watchdog never
 * shuts down a descriptor that was closed and reused.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <sodium.h>
#include <unistd.h>
#include <zlib.h>

#include "api.h"
#include "buf.h"
#include "metrics.h"
#include "writer.h"
#include "wenda/auth.h"
#include "wenda/content.h"
#include "wenda/store.h"

struct request {
    char id[68];                /* X-Request-Id: the client's, or ours */
    const char *path;           /* for the access log: libmicrohttpd's
                                 * url, valid until the request ends */
    struct buf body;            /* the upload, up to max_body */
    size_t body_bytes;
    int too_large;
    struct timespec start;
    struct write_job *job;      /* a write waiting for the writer */
    size_t route;               /* the write's route, for /metrics */
};

/* An open connection under the watchdog. */
struct watch {
    int fd;                     /* its socket, owned by libmicrohttpd */
    atomic_llong deadline_ms;   /* CLOCK_MONOTONIC; 0 while disarmed */
    struct watch *prev, *next;
};

/* The thread that closes connections whose request is late. */
struct watchdog {
    pthread_mutex_t lock;       /* guards head and stop */
    pthread_cond_t wake;
    struct watch *head;
    int stop;
    long long timeout_ms;       /* the idle timeout */
    pthread_t thread;
};

/* How often the watchdog looks at the open connections. */
#define WATCH_TICK_MS 250

/* Descriptors the server keeps for itself beside its connections:
 * standard streams, the log, the listening socket, the writer's SQLite
 * files and the token key, with room to spare; and per I/O thread its
 * epoll and wake-up descriptors and its SQLite database, WAL and
 * shared-memory files. */
#define FD_RESERVE 64
#define FD_PER_THREAD 8

/*
 * libmicrohttpd 0.9.75 holds a request's line and header fields in a
 * memory pool of POOL_BYTES per connection: the bytes as read, and beside
 * them one record per header field and query parameter (a struct
 * MHD_HTTP_Header, 56 bytes on LP64, rounded up to the pool's 16-byte
 * alignment: FIELD_BYTES).  The answer's status line and headers are
 * written into what is left of the same pool.  Three ways this went wrong,
 * found by measuring with raw sockets:
 *
 * - The query parameters are split into records right after the request
 *   line is in.  When they do not fit (about 480 "a=1" parameters), it
 *   queues a 431 but then carries on reading headers into a buffer it has
 *   just freed, so the 431 is never sent and the client waits for the idle
 *   timeout.  A bigger pool does not help: two bytes ("a&") of request
 *   line make a 64-byte record, and the line may grow to fill the pool.
 * - A request that fits the pool with less room left than an answer needs
 *   gets no answer: the connection just closes.
 * - Past the pool it answers 414 or 431 itself, with a small HTML page.
 *
 * So check_target() looks at the request line before libmicrohttpd splits
 * it (MHD_OPTION_URI_LOG_CALLBACK): a target of more than TARGET_MAX bytes
 * or more than PARAMS_MAX parameters loses its query, in place, so that
 * nothing is split, and is answered 414 when the headers are in; a line
 * that leaves less than TARGET_ROOM of the pool is left to libmicrohttpd's
 * own 431 instead.  Then a request head (line and header fields) that
 * costs more than HEAD_MAX, records counted, is answered 431; within it,
 * a quarter of the pool is left for any answer.  The limits are far above
 * what the API needs (a search's q has at most 256 bytes).
 *
 * Header fields that fill the pool to within about 200 bytes still get no
 * answer (measured: one field of 32295 to 32498 bytes, or 433 to 435
 * short ones): no answer fits in what they leave, libmicrohttpd calls no
 * code of ours while it reads them, and it offers no way to free pool
 * memory before answering.  The connection closes at once, so nothing is
 * held.  A larger pool only moves that band, and costs: libmicrohttpd
 * zeroes the whole pool before each request of a keep-alive connection.
 */
#define XSTR(x) #x
#define STR(x) XSTR(x)
#define POOL_BYTES ((size_t)32 * 1024)
#define FIELD_BYTES 64
#define TARGET_MAX 16384
#define PARAMS_MAX 100
#define HEAD_MAX ((size_t)24 * 1024)
#define TARGET_ROOM 2048

struct server {
    const struct http_config *cfg;
    struct watchdog dog;
    pthread_mutex_t lock;           /* guards stores and nstores */
    struct wenda_store **stores;
    size_t nstores, capstores;
    sem_t search_slots;
    size_t nroutes;
    struct writer *writer;
    struct wenda_auth *auth;
};

static _Thread_local struct wenda_store *thread_store;

/* The configuration of the one server of this process. */
static const struct http_config *config;

/* Bodies above this many bytes are gzipped for clients that ask. */
#define GZIP_MIN 1024

/* Requests in flight on this I/O thread, from their headers to their
 * completion; at 0 the thread is idle and lets go of its read snapshot. */
static _Thread_local unsigned long thread_requests;

/* How stale a held read snapshot may get while requests keep coming. */
#define SNAPSHOT_MAX_AGE_MS 1000

/* Set once SIGTERM arrived: answers then close their connection, so that
 * keep-alive clients move on instead of holding the drain open. */
static atomic_int draining;

static long long
monotonic_ms(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Puts a new connection under the watchdog, its deadline armed.  Returns
 * the watch, which watch_close() frees, or NULL when out of memory (the
 * connection then has libmicrohttpd's idle timeout only).
 */
static struct watch *
watch_open(struct watchdog *dog, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct watch *w;

    if (ci == NULL)
        return NULL;
    w = calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    w->fd = ci->connect_fd;
    atomic_init(&w->deadline_ms, monotonic_ms() + dog->timeout_ms);
    pthread_mutex_lock(&dog->lock);
    w->next = dog->head;
    if (w->next != NULL)
        w->next->prev = w;
    dog->head = w;
    pthread_mutex_unlock(&dog->lock);
    return w;
}

/* Takes w (which may be NULL) off the watchdog's list and frees it. */
static void
watch_close(struct watchdog *dog, struct watch *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&dog->lock);
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        dog->head = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    pthread_mutex_unlock(&dog->lock);
    free(w);
}

/* Returns the watch of conn (borrowed), or NULL if it has none. */
static struct watch *
watch_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci != NULL ? ci->socket_context : NULL;
}

/* Gives conn's next request timeout_ms to arrive; 0 takes the deadline
 * away (the request is in). */
static void
watch_arm(struct MHD_Connection *conn, long long timeout_ms)
{
    struct watch *w = watch_of(conn);

    if (w != NULL)
        atomic_store_explicit(&w->deadline_ms,
                              timeout_ms > 0 ? monotonic_ms() + timeout_ms
                                             : 0,
                              memory_order_relaxed);
}

static void *
watchdog_run(void *arg)
{
    struct watchdog *dog = arg;
    struct timespec until;
    struct watch *w;

    pthread_mutex_lock(&dog->lock);
    while (!dog->stop) {
        long long now = monotonic_ms();
        unsigned long late = 0;

        for (w = dog->head; w != NULL; w = w->next) {
            long long due = atomic_load_explicit(&w->deadline_ms,
                                                 memory_order_relaxed);

            if (due != 0 && due <= now) {
                atomic_store_explicit(&w->deadline_ms, 0,
                                      memory_order_relaxed);
                (void)shutdown(w->fd, SHUT_RDWR);
                late++;
            }
        }
        if (late > 0)
            metrics_request_timeouts(late);
        (void)clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += WATCH_TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        (void)pthread_cond_timedwait(&dog->wake, &dog->lock, &until);
    }
    pthread_mutex_unlock(&dog->lock);
    return NULL;
}

/* Starts the watchdog; returns 0, or -1 with errno set. */
static int
watchdog_start(struct watchdog *dog, unsigned int timeout_s)
{
    pthread_condattr_t attr;
    int rc;

    memset(dog, 0, sizeof(*dog));
    dog->timeout_ms = (long long)timeout_s * 1000;
    (void)pthread_mutex_init(&dog->lock, NULL);
    (void)pthread_condattr_init(&attr);
    (void)pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    (void)pthread_cond_init(&dog->wake, &attr);
    (void)pthread_condattr_destroy(&attr);
    rc = pthread_create(&dog->thread, NULL, watchdog_run, dog);
    if (rc != 0) {
        (void)pthread_cond_destroy(&dog->wake);
        (void)pthread_mutex_destroy(&dog->lock);
        errno = rc;
        return -1;
    }
    return 0;
}

/* Stops the watchdog and frees any watch still listed. */
static void
watchdog_stop(struct watchdog *dog)
{
    struct watch *w, *next;

    pthread_mutex_lock(&dog->lock);
    dog->stop = 1;
    (void)pthread_cond_signal(&dog->wake);
    pthread_mutex_unlock(&dog->lock);
    (void)pthread_join(dog->thread, NULL);
    for (w = dog->head; w != NULL; w = next) {
        next = w->next;
        free(w);
    }
    dog->head = NULL;
    (void)pthread_cond_destroy(&dog->wake);
    (void)pthread_mutex_destroy(&dog->lock);
}

/*
 * Returns how many connections may be open at once: want, or fewer when
 * the open-file limit has no room for them beside the descriptors the
 * server keeps for itself.  Every connection is a descriptor, so the soft
 * limit is first raised as far as want needs and the hard limit allows.
 * A smaller answer is said on stderr.
 */
static unsigned int
fit_connections(unsigned int want, unsigned int threads)
{
    rlim_t reserve = FD_RESERVE + (rlim_t)FD_PER_THREAD * threads;
    rlim_t need = (rlim_t)want + reserve;
    struct rlimit rl;
    rlim_t room;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return want;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need
                          ? need
                          : rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
            return want;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
        return want;
    room = rl.rlim_cur > reserve + threads ? rl.rlim_cur - reserve
                                           : (rlim_t)threads;
    fprintf(stderr, "wenda: %u connections do not fit the open-file limit "
            "of %llu; serving at most %llu\n", want,
            (unsigned long long)rl.rlim_cur, (unsigned long long)room);
    return (unsigned int)room;
}

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
    if (buf_reserve(&srv->stores, &srv->capstores, srv->nstores,
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

/* Returns 1 when the If-None-Match list in value names etag (or is "*"). */
static int
etag_matches(const char *value, const char *etag)
{
    const char *p = value;

    while (p != NULL && *p != '\0') {
        size_t n;

        p += strspn(p, " \t,");
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        n = strcspn(p, " \t,");
        if ((n == 1 && p[0] == '*') ||
            (n == strlen(etag) && strncmp(p, etag, n) == 0))
            return 1;
        p += n;
    }
    return 0;
}

static unsigned long
usec_since(const struct timespec *t0)
{
    struct timespec t1;
    long long us;

    (void)clock_gettime(CLOCK_MONOTONIC, &t1);
    us = (long long)(t1.tv_sec - t0->tv_sec) * 1000000 +
         (t1.tv_nsec - t0->tv_nsec) / 1000;
    return us > 0 ? (unsigned long)us : 0;
}

static size_t
queue_depth(const void *ctx)
{
    return writer_depth(ctx);
}

/* A streamed body handed to libmicrohttpd. */
struct stream {
    long (*fn)(void *ctx, char *buf, size_t max);
    void *ctx;
    void (*release)(void *ctx);
};

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *st = cls;
    long n = st->fn(st->ctx, buf, max);

    (void)pos;
    return n == -1   ? MHD_CONTENT_READER_END_OF_STREAM
           : n < 0   ? MHD_CONTENT_READER_END_WITH_ERROR
                     : (ssize_t)n;
}

static void
stream_free(void *cls)
{
    struct stream *st = cls;

    if (st->release != NULL)
        st->release(st->ctx);
    free(st);
}

/* Compresses body[0..n) with gzip into a new buffer; NULL on failure. */
static char *
gzip_body(const char *body, size_t n, size_t *out_len)
{
    z_stream z;
    size_t cap = compressBound((uLong)n) + 32;
    char *out = malloc(cap);

    if (out == NULL)
        return NULL;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        free(out);
        return NULL;
    }
    z.next_in = (Bytef *)(uintptr_t)body;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        deflateEnd(&z);
        free(out);
        return NULL;
    }
    *out_len = z.total_out;
    deflateEnd(&z);
    return out;
}

/* Returns 1 when the request's Accept-Encoding takes gzip. */
static int
accepts_gzip(struct MHD_Connection *conn)
{
    const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 "Accept-Encoding");
    const char *g = ae ? strstr(ae, "gzip") : NULL;

    return g != NULL && strncmp(g + 4, ";q=0", 4) != 0;
}

/* Bytes of a path or parameter name that the access log keeps. */
#define LOG_NAME_MAX 255

/* The query part of an access log line under construction. */
struct log_query {
    struct buf *b;
    int cut;                    /* a name was cut at LOG_NAME_MAX */
};

static enum MHD_Result
add_query_name(void *cls, enum MHD_ValueKind kind, const char *key,
               const char *value)
{
    struct log_query *q = cls;

    (void)kind;
    (void)value;   /* values may be secrets: never logged */
    if (q->b->n > 0 && q->b->p[q->b->n - 1] != '[')
        buf_add(q->b, ",", 1);
    q->cut |= buf_add_json_max(q->b, key, LOG_NAME_MAX);
    return MHD_YES;
}

/*
 * Writes the access log line of an answered request: one JSON object on
 * one line, written with one write(2) so lines never interleave.  Query
 * parameters appear by name only; the Authorization header never does.
 * The line is valid JSON and UTF-8 whatever the request held (see
 * buf_add_json()); a path or parameter name longer than LOG_NAME_MAX
 * bytes is cut between two characters, and "path_truncated" or
 * "query_truncated" is then true.
 */
static void
access_log(struct MHD_Connection *conn, const char *method,
           const struct request *req, unsigned int status, size_t bytes)
{
    struct buf b = {0};
    struct log_query q = {&b, 0};
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    int path_cut;

    (void)gmtime_r(&now, &tm);
    (void)strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    buf_addf(&b, "{\"time\":\"%s\",\"id\":", stamp);
    buf_add_json(&b, req->id);
    buf_adds(&b, ",\"method\":");
    buf_add_json(&b, method);
    buf_adds(&b, ",\"path\":");
    path_cut = buf_add_json_max(&b, req->path ? req->path : "",
                                LOG_NAME_MAX);
    if (path_cut)
        buf_adds(&b, ",\"path_truncated\":true");
    buf_adds(&b, ",\"query\":[");
    (void)MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND,
                                    add_query_name, &q);
    buf_adds(&b, "]");
    if (q.cut)
        buf_adds(&b, ",\"query_truncated\":true");
    buf_addf(&b, ",\"status\":%u,\"bytes\":%zu,\"us\":%lu}\n", status,
             bytes, usec_since(&req->start));
    if (!buf_failed(&b))
        (void)!write(STDERR_FILENO, b.p, b.n);
    buf_cleanup(&b);
}

/* Adds the CORS headers that the configured origin allows. */
static void
add_cors(struct MHD_Connection *conn, struct MHD_Response *r,
         const char *method, const struct api_response *res)
{
    const char *origin = config->cors_origin;
    const char *asked;
    int is_read = strcmp(method, "GET") == 0 ||
                  strcmp(method, "HEAD") == 0 ||
                  strcmp(method, "OPTIONS") == 0;
    size_t i;

    if (origin == NULL)
        return;
    if (strcmp(origin, "*") == 0) {
        /* Any origin: public reads only, never with credentials. */
        if (!is_read)
            return;
    } else {
        asked = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
        if (asked == NULL || strcmp(asked, origin) != 0)
            return;
    }
    (void)MHD_add_response_header(r, "Access-Control-Allow-Origin", origin);
    (void)MHD_add_response_header(r, "Access-Control-Expose-Headers",
                                  "ETag, Link, Location, Retry-After, "
                                  "X-Request-Id");
    if (strcmp(method, "OPTIONS") != 0)
        return;
    if (strcmp(origin, "*") == 0)
        (void)MHD_add_response_header(r, "Access-Control-Allow-Methods",
                                      "GET, HEAD, OPTIONS");
    else
        for (i = 0; i < res->nheaders; i++)
            if (strcmp(res->headers[i].name, "Allow") == 0)
                (void)MHD_add_response_header(
                    r, "Access-Control-Allow-Methods", res->headers[i].value);
    (void)MHD_add_response_header(r, "Access-Control-Allow-Headers",
                                  "Authorization, Content-Type, If-Match, "
                                  "If-None-Match, X-Request-Id");
    (void)MHD_add_response_header(r, "Access-Control-Max-Age", "600");
}

static enum MHD_Result
send_response(struct MHD_Connection *conn, const char *method,
              const struct request *req, struct api_response *res)
{
    struct MHD_Response *r;
    enum MHD_Result ok;
    char etag[24];
    int is_read = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    int vary = 0, gz = 0;
    size_t i, bytes;

    etag[0] = '\0';
    if (res->body != NULL && res->len > GZIP_MIN) {
        vary = 1;
        gz = accepts_gzip(conn);
    }
    if (is_read && res->status == 200 && res->body != NULL) {
        const char *inm = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);

        wenda_etag(res->body, res->len, etag);
        if (gz)   /* another representation, another tag: "…-gz" */
            memcpy(etag + 17, "-gz\"", 5);
        if (inm != NULL && etag_matches(inm, etag)) {
            free(res->body);
            res->body = NULL;
            res->len = 0;
            res->status = 304;
            gz = 0;
        }
    }
    if (gz) {
        size_t n = 0;
        char *z = gzip_body(res->body, res->len, &n);

        if (z != NULL) {
            free(res->body);
            res->body = z;
            res->len = n;
        } else {
            gz = 0;
        }
    }
    bytes = res->len;
    if (res->stream != NULL) {
        struct stream *st = malloc(sizeof(*st));

        if (st == NULL) {
            api_response_cleanup(res);
            return MHD_NO;
        }
        st->fn = res->stream;
        st->ctx = res->stream_ctx;
        st->release = res->stream_free;
        res->stream_free = NULL;   /* libmicrohttpd owns it from here */
        r = MHD_create_response_from_callback(
            MHD_SIZE_UNKNOWN, (size_t)32 * 1024, stream_read, st,
            stream_free);
        if (r == NULL)
            stream_free(st);
    } else {
        r = MHD_create_response_from_buffer(res->len, res->body,
                                            MHD_RESPMEM_MUST_FREE);
    }
    if (r == NULL) {
        api_response_cleanup(res);
        return MHD_NO;
    }
    res->body = NULL;  /* now the response's */
    if (res->status != 304 && res->status != 204)
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                      res->content_type);
    if (etag[0] != '\0')
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    if (gz)
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING,
                                      "gzip");
    /* One Vary header: caches read the first only. */
    if (config->cors_origin != NULL && strcmp(config->cors_origin, "*") != 0)
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_VARY,
                                      vary ? "Accept-Encoding, Origin"
                                           : "Origin");
    else if (vary)
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_VARY,
                                      "Accept-Encoding");
    if (req != NULL && req->id[0] != '\0')
        (void)MHD_add_response_header(r, "X-Request-Id", req->id);
    if (atomic_load_explicit(&draining, memory_order_relaxed))
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION,
                                      "close");
    for (i = 0; i < res->nheaders; i++)
        (void)MHD_add_response_header(r, res->headers[i].name,
                                      res->headers[i].value);
    add_cors(conn, r, method, res);
    ok = MHD_queue_response(conn, res->status, r);
    MHD_destroy_response(r);
    if (req != NULL) {
        metrics_request(res->route, res->status, usec_since(&req->start));
        if (config->access_log)
            access_log(conn, method, req, res->status, bytes);
    }
    api_response_cleanup(res);
    return ok;
}

/* What refuse_request() needs to know of a request's header fields. */
struct header_scan {
    unsigned int bad_names;     /* empty, or with a blank in them */
    unsigned int hosts, lengths, codings, authorizations;
    const char *coding;         /* the first Transfer-Encoding (borrowed) */
};

static enum MHD_Result
scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
            const char *value)
{
    struct header_scan *s = cls;

    (void)kind;
    if (key[0] == '\0' || key[strcspn(key, " \t")] != '\0')
        s->bad_names++;
    else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
        s->hosts++;
    else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
        s->lengths++;
    else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0 &&
             s->codings++ == 0)
        s->coding = value;
    else if (strcasecmp(key, MHD_HTTP_HEADER_AUTHORIZATION) == 0)
        s->authorizations++;
    return MHD_YES;
}

/*
 * Returns why the request's header fields must be refused, with *rc the
 * code to answer, or NULL when they are fine.  Looked at as soon as the
 * headers are in, before any body is read, as each of these lets a proxy
 * in front and this server disagree on where the request ends and the
 * next one starts (RFC 9112, sections 3.2, 5.1 and 6), or on who asks.
 * libmicrohttpd checks none of them:
 *
 * - It keeps a field name with a blank in it or before its colon, so
 *   "Transfer-Encoding : chunked" is a field called "Transfer-Encoding "
 *   that frames nothing, where a lenient proxy reads a chunked body.
 * - It reads any Transfer-Encoding but chunked as a body that lasts until
 *   the connection ends.
 * - It takes the first of two Content-Length fields, of one beside
 *   Transfer-Encoding, and of two Authorization or Host fields.
 * - It takes an HTTP/1.1 request without Host, which names no server.
 */
static const char *
refuse_request(struct MHD_Connection *conn, const char *version,
               enum wenda_err *rc)
{
    struct header_scan s;
    int http10 = strcmp(version, MHD_HTTP_VERSION_1_0) == 0;

    memset(&s, 0, sizeof(s));
    (void)MHD_get_connection_values(conn, MHD_HEADER_KIND, scan_header, &s);
    *rc = WENDA_ERR_INVALID;
    if (s.bad_names > 0)
        return "a header field name is empty or holds a blank (no space "
               "or tab may come before the colon)";
    if (s.hosts > 1 || (s.hosts == 0 && !http10))
        return "send one Host header";
    if (s.lengths > 1 || s.codings > 1 || (s.lengths == 1 && s.codings > 0))
        return "send one Content-Length header, or one Transfer-Encoding "
               "alone";
    if (s.codings > 0 && http10)
        return "HTTP/1.0 has no Transfer-Encoding; send Content-Length";
    if (s.codings > 0 && strcasecmp(s.coding, "chunked") != 0) {
        *rc = WENDA_ERR_NOT_IMPLEMENTED;
        return "the only Transfer-Encoding understood is chunked";
    }
    if (s.authorizations > 1)
        return "send one Authorization header, not several";
    return NULL;
}

/* The *con_cls that check_target() gives a request whose target is
 * refused: the access handler answers it 414. */
static char target_refused;

/*
 * libmicrohttpd's URI log callback: runs when the request line is in,
 * before libmicrohttpd splits the query into parameters.  Returns
 * &target_refused, after cutting the query off in place (uri points into
 * libmicrohttpd's own buffer, which holds the line and may be written),
 * when the target has more than TARGET_MAX bytes or more than PARAMS_MAX
 * parameters; NULL otherwise.
 */
static void *
check_target(void *cls, const char *uri, struct MHD_Connection *conn)
{
    const char *query, *p;
    size_t params = 0, n;

    (void)cls;
    if (uri == NULL)
        return NULL;
    query = strchr(uri, '?');
    if (query != NULL && query[1] != '\0')
        for (params = 1, p = query + 1; (p = strchr(p, '&')) != NULL; p++)
            params++;
    n = strlen(uri);
    if (n <= TARGET_MAX && params <= PARAMS_MAX)
        return NULL;
    if (query != NULL)
        ((char *)(uintptr_t)query)[1] = '\0';
    /* A line this long leaves too little of the pool for the headers and
     * an answer: fill the rest, so that libmicrohttpd's first header
     * record fails and it answers 431 itself, which it can always do. */
    if (n > POOL_BYTES - TARGET_ROOM)
        while (MHD_set_connection_value(conn, MHD_FOOTER_KIND, "", "") ==
               MHD_YES)
            ;
    return &target_refused;
}

/*
 * Returns what the request's head costs in libmicrohttpd's pool: its
 * bytes, a copy of its Cookie header (libmicrohttpd splits one), and
 * FIELD_BYTES per header field, cookie and query parameter.
 */
static size_t
head_bytes(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
        conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    int fields = MHD_get_connection_values(
        conn, MHD_HEADER_KIND | MHD_COOKIE_KIND | MHD_GET_ARGUMENT_KIND, NULL,
        NULL);
    const char *cookie = NULL;
    size_t cookie_len = 0;

    (void)MHD_lookup_connection_value_n(conn, MHD_HEADER_KIND,
                                        MHD_HTTP_HEADER_COOKIE,
                                        strlen(MHD_HTTP_HEADER_COOKIE),
                                        &cookie, &cookie_len);
    return (ci != NULL ? ci->header_size : 0) + cookie_len +
           (fields > 0 ? (size_t)fields * FIELD_BYTES : 0);
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

    watch_arm(conn, 0);     /* as much of the request as will be read */
    memset(&res, 0, sizeof(res));
    res.route = srv->nroutes;
    api_problem(&res, rc, why, NULL);
    res.headers[0].name = MHD_HTTP_HEADER_CONNECTION;
    res.headers[0].value = strdup("close");
    res.nheaders = res.headers[0].value != NULL ? 1 : 0;
    return send_response(conn, method, r, &res);
}

static int
is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

/*
 * Percent-decodes s in place for libmicrohttpd (the path and every query
 * name and value) and returns its new length: MHD_http_unescape(), except
 * that %00 becomes the two bytes C0 80, the overlong form of NUL.
 * libmicrohttpd hands the path on as a C string, so a decoded NUL would
 * cut it short unseen (/v1/topics/gil%00x would read as /v1/topics/gil);
 * C0 80 is never valid UTF-8, so the path or parameter is refused instead.
 */
static size_t
unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    char *r = s, *w = s;

    (void)cls;
    (void)conn;
    while (*r != '\0') {
        if (r[0] == '%' && r[1] == '0' && r[2] == '0') {
            *w++ = (char)0xC0;
            *w++ = (char)0x80;
            r += 3;
        } else if (r[0] == '%' && is_hex(r[1]) && is_hex(r[2])) {
            /* Left for MHD_http_unescape(), as one escape. */
            *w++ = *r++;
            *w++ = *r++;
            *w++ = *r++;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return MHD_http_unescape(s);
}

static const char *
lookup_header(void *ctx, const char *name)
{
    struct arg_ctx *a = ctx;

    return MHD_lookup_connection_value(a->conn, MHD_HEADER_KIND, name);
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
    unsigned char raw[8];

    if (given != NULL && n > 0 && n <= 64 && given[n] == '\0') {
        memcpy(id, given, n + 1);
        return;
    }
    randombytes_buf(raw, sizeof(raw));
    (void)sodium_bin2hex(id, 68, raw, sizeof(raw));
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *upload_data,
           size_t *upload_data_size, void **con_cls)
{
    struct server *srv = cls;
    int long_target = *con_cls == &target_refused;
    struct request *r = long_target ? NULL : *con_cls;
    struct api_response res;
    struct api_request req;
    struct arg_ctx args = {conn};
    const char *why;

    (void)upload_data;
    if (r == NULL) {
        enum wenda_err rc;

        r = calloc(1, sizeof(*r));
        if (r == NULL)
            return MHD_NO;
        (void)clock_gettime(CLOCK_MONOTONIC, &r->start);
        request_id(conn, r->id);
        r->path = url;
        metrics_request_begin();
        thread_requests++;
        *con_cls = r;
        /* Refused with the headers, before any body is read: a body
         * framed in a way libmicrohttpd misreads is never read at all. */
        if (long_target)
            return refuse(srv, conn, method, r, WENDA_ERR_URI_TOO_LONG,
                          "the request target is longer than "
                          STR(TARGET_MAX) " bytes or has more than "
                          STR(PARAMS_MAX) " query parameters");
        if (head_bytes(conn) > HEAD_MAX)
            return refuse(srv, conn, method, r, WENDA_ERR_HEADERS_TOO_LARGE,
                          "the request's header fields are larger than "
                          "this server accepts");
        if ((why = refuse_request(conn, version, &rc)) != NULL)
            return refuse(srv, conn, method, r, rc, why);
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        /* Keep the body up to the limit; past it, count and drop. */
        r->body_bytes += *upload_data_size;
        if (r->body_bytes > srv->cfg->max_body) {
            r->too_large = 1;
            buf_cleanup(&r->body);
        } else {
            buf_add(&r->body, upload_data, *upload_data_size);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    watch_arm(conn, 0);     /* the request is in */
    if (r->job != NULL) {
        /* Resumed: the writer has answered. */
        if (!atomic_load(&r->job->done))
            return MHD_YES;
        api_write_answer(r->job, &res);
        res.route = r->route;
        write_job_cleanup(r->job);
        free(r->job);
        r->job = NULL;
        return send_response(conn, method, r, &res);
    }
    if (buf_failed(&r->body)) {
        memset(&res, 0, sizeof(res));
        res.route = srv->nroutes;
        api_problem(&res, WENDA_ERR_NOMEM, "the request body cannot be "
                    "held", NULL);
        return send_response(conn, method, r, &res);
    }
    if (r->too_large) {
        memset(&res, 0, sizeof(res));
        res.route = srv->nroutes;
        api_problem(&res, WENDA_ERR_TOO_LARGE, "the request body is larger "
                    "than this server accepts", NULL);
        return send_response(conn, method, r, &res);
    }
    req.method = method;
    req.path = url;
    req.path_len = strlen(url);
    req.arg = lookup_arg;
    req.arg_ctx = &args;
    req.search_slots = &srv->search_slots;
    req.search_wait_ms = srv->cfg->search_wait_ms;
    req.header = lookup_header;
    req.body = r->body.p;
    req.body_len = r->body.n;
    req.auth = srv->auth;
    req.private_reads = srv->cfg->private_reads;
    req.read_only = srv->cfg->read_only;
    req.store = store_for_thread(srv);
    if (req.store != NULL)
        wenda_store_enter(req.store);   /* until the thread is idle */
    if (req.store != NULL &&
        wenda_store_hold_read(req.store, SNAPSHOT_MAX_AGE_MS) != WENDA_OK)
        req.store = NULL;
    if (req.store == NULL) {
        memset(&res, 0, sizeof(res));
        res.route = srv->nroutes;
        api_problem(&res, WENDA_ERR_UNAVAILABLE, "the database cannot be "
                    "opened", NULL);
        return send_response(conn, method, r, &res);
    }
    api_handle(&req, &res);
    if (res.job != NULL)
        return defer_write(srv, conn, r, &res);
    return send_response(conn, method, r, &res);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct server *srv = cls;
    struct request *r = *con_cls;

    (void)toe;
    if (r == NULL || *con_cls == &target_refused) {
        *con_cls = NULL;
        return;
    }
    /* A kept-alive connection's next request has as long again. */
    watch_arm(conn, srv->dog.timeout_ms);
    metrics_request_end();
    if (thread_requests > 0)
        thread_requests--;
    if (thread_store != NULL && thread_requests == 0)
        wenda_store_leave(thread_store);
    else if (thread_store != NULL)
        wenda_store_release_stale_read(thread_store);
    buf_cleanup(&r->body);
    if (r->job != NULL && atomic_load(&r->job->done)) {
        write_job_cleanup(r->job);
        free(r->job);
    }
    /* A job not yet done still belongs to the writer (it cannot be, as a
     * suspended connection is only completed after its resume). */
    free(r);
    *con_cls = NULL;
}

static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
              enum MHD_ConnectionNotificationCode toe)
{
    struct server *srv = cls;

    metrics_connection(toe == MHD_CONNECTION_NOTIFY_STARTED);
    /* libmicrohttpd tells a pool thread about its own connections. */
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = watch_open(&srv->dog, conn);
        return;
    }
    watch_close(&srv->dog, *socket_context);
    *socket_context = NULL;
}

/* Points stderr at path (appending); returns 0, or -1 with errno set. */
static int
open_log(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

    if (fd < 0)
        return -1;
    if (dup2(fd, STDERR_FILENO) < 0) {
        (void)close(fd);
        return -1;
    }
    (void)close(fd);
    return 0;
}

/* libmicrohttpd's accept policy: once draining, a new connection is
 * closed as soon as it is accepted. */
static enum MHD_Result
accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)cls;
    (void)addr;
    (void)addrlen;
    return atomic_load_explicit(&draining, memory_order_relaxed) ? MHD_NO
                                                                 : MHD_YES;
}

/*
 * Stops taking connections (see accept_policy()), then waits until no
 * request is in flight or timeout seconds have passed.  Returns the
 * number of requests still in flight.
 */
static long
drain(unsigned int timeout)
{
    struct timespec t0, pause = {0, 10L * 1000 * 1000};
    long left;

    atomic_store(&draining, 1);
    (void)clock_gettime(CLOCK_MONOTONIC, &t0);
    while ((left = metrics_in_flight()) > 0 &&
           usec_since(&t0) < (unsigned long)timeout * 1000000UL)
        (void)nanosleep(&pause, NULL);
    return left;
}

static void
log_mhd(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("wenda: libmicrohttpd: ", stderr);
    vfprintf(stderr, fmt, ap);
}

/*
 * Reads a PEM file of at most 1 MiB into a NUL-terminated string, or prints
 * why not and returns NULL.
 */
static char *
read_pem(const char *path, const char *what)
{
    FILE *f = fopen(path, "rb");
    char *p;
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "wenda: %s %s: %s\n", what, path, strerror(errno));
        return NULL;
    }
    p = malloc((size_t)1 << 20);
    n = p != NULL ? fread(p, 1, ((size_t)1 << 20) - 1, f) : 0;
    if (p == NULL || ferror(f) || !feof(f) || n == 0 ||
        memchr(p, '\0', n) != NULL) {
        fprintf(stderr, "wenda: %s %s: %s\n", what, path,
                p == NULL ? "out of memory" : ferror(f) ? strerror(errno)
                : "not a PEM file of at most 1 MiB");
        free(p);
        (void)fclose(f);
        return NULL;
    }
    (void)fclose(f);
    p[n] = '\0';
    if (strstr(p, "-----BEGIN ") == NULL) {
        fprintf(stderr, "wenda: %s %s: not a PEM file\n", what, path);
        free(p);
        return NULL;
    }
    return p;
}

int
http_tls_priorities_check(const char *priorities, const char **bad)
{
    gnutls_priority_t p;
    const char *at = NULL;
    const unsigned int *versions;
    int n;

    if (gnutls_priority_init(&p, priorities, &at) != GNUTLS_E_SUCCESS) {
        *bad = at != NULL ? at : priorities;
        return -1;
    }
    n = gnutls_priority_protocol_list(p, &versions);
    gnutls_priority_deinit(p);
    if (n <= 0) {
        *bad = priorities;
        return -1;
    }
    return 0;
}

static void
free_pem(char *p)
{
    if (p != NULL) {
        sodium_memzero(p, strlen(p));
        free(p);
    }
}

int
http_serve(const struct http_config *cfg)
{
    struct server srv;
    struct sockaddr_storage ss;
    struct MHD_Daemon *d;
    const char *const *names;
    unsigned int threads = cfg->threads, slots, max_conn;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                         MHD_USE_ERROR_LOG | MHD_USE_ITC |
                         MHD_ALLOW_SUSPEND_RESUME;
    char msg[512], key_path[4096];
    char *tls_cert = NULL, *tls_key = NULL;
    struct MHD_OptionItem tls[4] = {{MHD_OPTION_END, 0, NULL}};
    sigset_t set;
    size_t i;
    long left;
    int sig = 0;

    memset(&srv, 0, sizeof(srv));
    srv.cfg = cfg;
    config = cfg;
    (void)pthread_mutex_init(&srv.lock, NULL);
    srv.nroutes = api_route_names(&names);
    metrics_init(names, srv.nroutes);
    metrics_wal_path(cfg->db_path);
    if (cfg->log_path != NULL && open_log(cfg->log_path) != 0) {
        fprintf(stderr, "wenda: cannot open log %s: %s\n", cfg->log_path,
                strerror(errno));
        return 1;
    }

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
    if (cfg->tls_cert != NULL) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            fprintf(stderr, "wenda: this libmicrohttpd has no TLS\n");
            return 1;
        }
        tls_cert = read_pem(cfg->tls_cert, "--tls-cert");
        tls_key = tls_cert ? read_pem(cfg->tls_key, "--tls-key") : NULL;
        if (tls_key == NULL) {
            free_pem(tls_cert);
            return 1;
        }
        flags |= MHD_USE_TLS;
        tls[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
                                         tls_cert};
        tls[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
                                         tls_key};
        /* libmicrohttpd's own default is GnuTLS's NORMAL, which takes
         * TLS 1.0 and RSA key transport. */
        tls[2] = (struct MHD_OptionItem){
            MHD_OPTION_HTTPS_PRIORITIES, 0,
            (void *)(uintptr_t)(cfg->tls_priorities != NULL
                                    ? cfg->tls_priorities
                                    : HTTP_TLS_PRIORITIES_DEFAULT)};
        tls[3] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    }
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        threads = n > 0 ? (unsigned int)n : 1;
    }
    slots = cfg->search_off ? 0 : cfg->search_slots ? cfg->search_slots
                                                     : threads;
    msg[0] = '\0';
    if (wenda_auth_key_path_for_db(cfg->db_path, key_path,
                                   sizeof(key_path)) != WENDA_OK ||
        wenda_auth_open(key_path, 1, &srv.auth, msg, sizeof(msg)) !=
            WENDA_OK) {
        fprintf(stderr, "wenda: %s\n", msg[0] ? msg : "cannot open the "
                "token key");
        goto fail_pem;
    }
    /* A replica takes no write, so it needs no writer. */
    if (!cfg->read_only &&
        writer_start(cfg->db_path, cfg->write_queue, cfg->write_batch,
                     &srv.writer, msg, sizeof(msg)) != WENDA_OK) {
        fprintf(stderr, "wenda: %s\n", msg);
        goto fail_auth;
    }
    metrics_queue_depth_source(queue_depth, srv.writer);
    if (sem_init(&srv.search_slots, 0, slots) != 0) {
        fprintf(stderr, "wenda: cannot create the search semaphore: %s\n",
                strerror(errno));
        goto fail_writer;
    }
    max_conn = fit_connections(cfg->max_connections, threads);
    if (watchdog_start(&srv.dog, cfg->idle_timeout) != 0) {
        fprintf(stderr, "wenda: cannot start the request watchdog: %s\n",
                strerror(errno));
        goto fail_sem;
    }
    d = MHD_start_daemon(
        flags, (uint16_t)cfg->port, accept_policy, NULL, on_request, &srv,
        MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, max_conn,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, POOL_BYTES,
        MHD_OPTION_URI_LOG_CALLBACK, check_target, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, &srv,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, &srv,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
        MHD_OPTION_ARRAY, tls,
        MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "wenda: cannot listen on %s port %u (in use, not "
                "an address of this machine, or a bad TLS key pair?)\n",
                cfg->bind, cfg->port);
        watchdog_stop(&srv.dog);
        goto fail_sem;
    }
    fprintf(stderr, "wenda: serving %s on %s://%s%s%s:%u/ with %u "
            "threads, %u search slots, %u connections at most\n",
            cfg->db_path, tls_cert != NULL ? "https" : "http",
            strchr(cfg->bind, ':') ? "[" : "", cfg->bind,
            strchr(cfg->bind, ':') ? "]" : "", cfg->port, threads, slots,
            max_conn);

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    while (sigwait(&set, &sig) == 0 && sig == SIGHUP) {
        if (cfg->log_path != NULL && open_log(cfg->log_path) != 0)
            fprintf(stderr, "wenda: cannot re-open log %s: %s\n",
                    cfg->log_path, strerror(errno));
        else if (cfg->log_path != NULL)
            fprintf(stderr, "wenda: log re-opened\n");
    }
    fprintf(stderr, "wenda: %s, draining (at most %u s)\n",
            sig == SIGINT ? "interrupted" : "terminated", cfg->drain_timeout);
    left = drain(cfg->drain_timeout);
    if (left > 0)
        fprintf(stderr, "wenda: %ld requests still in flight after the "
                "drain timeout\n", left);
    /* Every queued write is finished and its connection resumed before
     * the daemon stops: libmicrohttpd must not stop with a connection
     * suspended.  Give the resumed ones a moment to be answered. */
    metrics_queue_depth_source(NULL, NULL);
    writer_stop(srv.writer);
    srv.writer = NULL;
    (void)drain(1);
    MHD_stop_daemon(d);
    watchdog_stop(&srv.dog);
    free_pem(tls_cert);
    free_pem(tls_key);
    wenda_auth_close(srv.auth);
    (void)sem_destroy(&srv.search_slots);
    pthread_mutex_lock(&srv.lock);
    for (i = 0; i < srv.nstores; i++)
        wenda_store_close(srv.stores[i]);
    free(srv.stores);
    pthread_mutex_unlock(&srv.lock);
    fprintf(stderr, "wenda: stopped\n");
    return 0;

fail_sem:
    (void)sem_destroy(&srv.search_slots);
fail_writer:
    metrics_queue_depth_source(NULL, NULL);
    writer_stop(srv.writer);
fail_auth:
    wenda_auth_close(srv.auth);
fail_pem:
    free_pem(tls_cert);
    free_pem(tls_key);
    return 1;
}
