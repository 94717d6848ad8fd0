/*
 * http_int.h -- the plumbing between the files of the HTTP server that no
 * other module calls.  http.h is the server's face (serve, block signals,
 * check a TLS priority string); this is its inside: the server and request
 * structures every file works on, and one section per file for what that
 * file lends the others.  http.c sets the daemon up and takes it down,
 * http_request.c answers a request on libmicrohttpd's calls,
 * http_response.c sends the answer, http_frame.c checks how a request is
 * framed, http_watch.c closes connections whose request is late,
 * http_log.c writes the logs, and http_tls.c loads what HTTPS needs.
 */
#ifndef WENDA_HTTP_INT_H
#define WENDA_HTTP_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include "api.h"
#include "buf.h"
#include "http.h"
#include "wenda/err.h"
#include "wenda/store.h"

struct watch;
struct wenda_auth;
struct writer;

/* The thread that closes connections whose request is late. */
struct watchdog {
    pthread_mutex_t lock;       /* guards head and stop */
    pthread_cond_t wake;
    struct watch *head;
    int stop;
    long long timeout_ms;       /* the idle timeout */
    pthread_t thread;
};

/* The one server of the process, shared by every I/O thread. */
struct server {
    const struct http_config *cfg;
    struct watchdog dog;
    pthread_mutex_t lock;           /* guards stores and nstores */
    struct wenda_store **stores;
    size_t nstores, capstores;
    sem_t search_slots;
    size_t nroutes;
    struct writer *writer;
    struct cluster *cluster;        /* NULL unless --cluster */
    struct wenda_auth *auth;
    /* Set once SIGTERM arrived: answers then close their connection, so
     * that keep-alive clients move on instead of holding the drain open. */
    atomic_int draining;
};

/* One request, from its headers to its completion (libmicrohttpd's
 * *con_cls). */
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
    int begun;                  /* its headers are in (see begin()) */
    int long_target;            /* http_check_target() refused its target */
    char target[];              /* its target as the client sent it,
                                 * path and query ("" when refused): a
                                 * follower's 307 sends it to the leader */
};

/* The bytes of libmicrohttpd's memory pool per connection (see
 * http_frame.c for why this size and what it holds). */
#define HTTP_POOL_BYTES ((size_t)32 * 1024)

/* ---- http.c ------------------------------------------------------------ */

/* Returns the microseconds since t0 (CLOCK_MONOTONIC), 0 if none. */
unsigned long http_usec_since(const struct timespec *t0);

/* ---- http_request.c ----------------------------------------------------- */

/*
 * libmicrohttpd's access handler, with the struct server as cls: takes the
 * request's headers, then its body, and queues its answer on the call
 * after the body (or at once for a request refused for its head).
 */
enum MHD_Result http_on_request(void *cls, struct MHD_Connection *conn,
                                const char *url, const char *method,
                                const char *version, const char *upload_data,
                                size_t *upload_data_size, void **con_cls);

/* libmicrohttpd's completion callback: frees the request's context and
 * lets the thread's read snapshot go when the thread is idle. */
void http_on_completed(void *cls, struct MHD_Connection *conn,
                       void **con_cls, enum MHD_RequestTerminationCode toe);

/* libmicrohttpd's connection callback: puts a connection under the
 * watchdog when it opens and takes it off when it closes. */
void http_on_connection(void *cls, struct MHD_Connection *conn,
                        void **socket_context,
                        enum MHD_ConnectionNotificationCode toe);

/* ---- http_response.c ---------------------------------------------------- */

/*
 * Queues res as the answer to conn: gzipped when it is large and the
 * client takes gzip, with an ETag on a 200 read (304 when If-None-Match
 * names it), the request id, CORS and the headers res names.  req (may be
 * NULL) is counted in /metrics and the access log.  res is released in
 * every case.  Returns libmicrohttpd's verdict, MHD_NO when out of memory.
 */
enum MHD_Result http_send_response(const struct server *srv,
                                   struct MHD_Connection *conn,
                                   const char *method,
                                   const struct request *req,
                                   struct api_response *res);

/* ---- http_frame.c ------------------------------------------------------- */

/*
 * libmicrohttpd's URI log callback: runs when the request line is in.
 * Returns the request's new struct request (its *con_cls, freed by
 * http_on_completed()), with the target as sent; or, when the target is
 * too long or has too many parameters, with long_target set, no target,
 * and the target's query cut off in place, so that the access handler
 * answers 414.  NULL when out of memory.
 */
void *http_check_target(void *cls, const char *uri,
                        struct MHD_Connection *conn);

/*
 * Returns why a request whose headers are in must be refused, with *rc
 * the code to answer, or NULL when it may go on; long_target says that
 * http_check_target() refused its target.  Nothing of the body is read
 * yet.
 */
const char *http_refusal(struct MHD_Connection *conn, const char *version,
                         int long_target, enum wenda_err *rc);

/* libmicrohttpd's unescape callback: percent-decodes s in place, %00 as
 * C0 80, and returns its new length. */
size_t http_unescape(void *cls, struct MHD_Connection *conn, char *s);

/* ---- http_watch.c ------------------------------------------------------- */

/* Starts the watchdog of connections idle up to timeout_s seconds;
 * returns 0, or -1 with errno set. */
int http_watchdog_start(struct watchdog *dog, unsigned int timeout_s);

/* Stops the watchdog and frees any watch still listed. */
void http_watchdog_stop(struct watchdog *dog);

/*
 * Puts a new connection under the watchdog, its deadline armed.  Returns
 * the watch, which http_watch_close() frees, or NULL when out of memory
 * (the connection then has libmicrohttpd's idle timeout only).
 */
struct watch *http_watch_open(struct watchdog *dog,
                              struct MHD_Connection *conn);

/* Takes w (which may be NULL) off the watchdog's list and frees it. */
void http_watch_close(struct watchdog *dog, struct watch *w);

/* Gives conn's next request timeout_ms to arrive; 0 takes the deadline
 * away (the request is in). */
void http_watch_arm(struct MHD_Connection *conn, long long timeout_ms);

/* ---- http_log.c --------------------------------------------------------- */

/* Points stderr at path (appending); returns 0, or -1 with errno set. */
int http_open_log(const char *path);

/* libmicrohttpd's logger: its messages go to stderr, marked as its. */
void http_log_mhd(void *cls, const char *fmt, va_list ap);

/*
 * Writes the access log line of an answered request to stderr: one JSON
 * object on one line, with the request's method, path, query parameter
 * names, status, body bytes and duration.
 */
void http_access_log(struct MHD_Connection *conn, const char *method,
                     const struct request *req, unsigned int status,
                     size_t bytes);

/* ---- http_tls.c --------------------------------------------------------- */

/* What an HTTPS daemon is given: the PEM texts it holds, and the options
 * that hand them to libmicrohttpd (MHD_OPTION_END first when no TLS). */
struct http_tls {
    char *cert, *key;
    struct MHD_OptionItem options[4];
};

/*
 * Reads the certificate and key that cfg names into *tls, with the
 * priority string, when cfg asks for HTTPS; otherwise leaves *tls with no
 * option.  Returns 0, or -1 after saying why on stderr (nothing is then
 * held).  http_tls_cleanup() releases *tls.
 */
int http_tls_load(const struct http_config *cfg, struct http_tls *tls);

/* Wipes and frees the PEM texts of *tls. */
void http_tls_cleanup(struct http_tls *tls);

#endif /* WENDA_HTTP_INT_H */
