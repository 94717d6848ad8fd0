/*
 * harness.h -- start the real wenda binary and talk HTTP to it.
 *
 * The end-to-end tests treat wenda as a black box, the way kcgi's regress
 * suite does: each test forks the built binary on 127.0.0.1 with a private
 * temporary directory (database and log), waits for GET /healthz to answer
 * 200, and drives it with libcurl.  Requests that libcurl would normalize
 * (dot segments, raw non-UTF-8 bytes) go through http_raw(), which writes
 * bytes on a plain TCP socket.
 *
 * Criterion runs every test in its own worker process, so a suite's .init
 * and .fini start and stop one server per test.  A server never outlives the
 * test that started it: harness_stop() is bounded, an atexit() handler kills
 * any server still registered, and the server itself is asked by the kernel
 * to die with its parent (PR_SET_PDEATHSIG) should the worker crash.
 *
 * The binary is named by the environment variable WENDA_BIN (default
 * "build/wenda"), relative to the current directory, which is the repository
 * root when the tests run.  WENDA_TEST_TIMEOUT_SCALE, a number above 1,
 * multiplies every wait of the harness (startup, stop, harness_run(), a
 * request), for a server run under valgrind.
 *
 * The binary run as a command rather than a server (wenda check, import,
 * token ...) goes through harness_run_with() or its variants: one way of
 * starting it, waiting for it and capturing what it writes.
 */
#ifndef WENDA_TESTS_E2E_HARNESS_H
#define WENDA_TESTS_E2E_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

#include <curl/curl.h>
#include <jansson.h>

#include "wenda/auth.h"

#define HARNESS_PATH_MAX 4096

/* A running (or stopped) wenda server owned by one test. */
struct wenda_server {
    pid_t pid;                        /* 0 when not running */
    unsigned short port;              /* TCP port on 127.0.0.1 */
    char dir[HARNESS_PATH_MAX];       /* private temporary directory */
    char log_path[HARNESS_PATH_MAX];  /* dir/server.log: stdout and stderr */
    char base_url[64];                /* "http://127.0.0.1:PORT", or
                                         https:// with --tls-cert */
    char cainfo[HARNESS_PATH_MAX];    /* the --tls-cert file, or "" */
    char why[8192];                   /* why harness_start() failed */
    int port_held;                    /* port_fd keeps the port from other
                                         tests (harness_prepare()) */
    int port_fd;
    long timeout_ms;                  /* what a request to it may take in
                                         all; 0: 10 s (scaled either way) */
    char raft_address[32];            /* "127.0.0.1:P" of a cluster's
                                         node, or "" */
};

/* One HTTP response as seen by libcurl. */
struct http_reply {
    long status;                  /* HTTP status, 0 if none was received */
    char *body;                   /* len bytes plus a NUL; never NULL after a
                                     successful request */
    size_t len;                   /* body length in bytes */
    struct curl_slist *headers;   /* "Name: value" lines of the final
                                     response, CR LF stripped */
    long num_connects;            /* new connections libcurl opened */
};

/* The outcome of running the binary as a command (see harness_run()). */
struct harness_run_result {
    int status;       /* exit code, 128 + signal number, or -1 on timeout */
    char *out;        /* everything written to stdout, NUL-terminated */
    char *err;        /* everything written to stderr, NUL-terminated */
    double seconds;   /* wall-clock time until the process ended */
};

/*
 * How harness_run_with() runs the binary.  A field left zero or NULL asks
 * for what harness_run() does.
 */
struct harness_run_opts {
    const char *workdir;       /* the working directory; NULL: a fresh
                                  temporary one, removed afterwards */
    const char *const *unset;  /* names of variables taken out of the
                                  environment, NULL-terminated */
    const char *const *env;    /* "NAME=value" strings put into it (in
                                  place of a variable of that name),
                                  NULL-terminated */
    int as_nobody;             /* when root, run as user and group 65534 */
};

/*
 * Returns the path of the wenda binary: $WENDA_BIN or "build/wenda".  The
 * string is borrowed (environment or static storage).
 */
const char *harness_binary(void);

/*
 * Starts "wenda serve --bind 127.0.0.1 --port P --db DIR/wenda.db --content
 * content" followed by extra_args (a NULL-terminated array, or NULL for none)
 * on a free port P, in a fresh temporary directory DIR made under $TMPDIR or
 * /tmp, with stdout and stderr going to DIR/server.log.  Polls GET /healthz
 * every 10 ms until it answers 200, for at most 10 s.
 *
 * Returns 0 when the server is healthy; *srv then describes it and must be
 * given to harness_stop().  Returns -1 if the server could not be started,
 * exited early or never became healthy; the child is then killed and reaped,
 * the temporary directory removed, and srv->why holds the reason with the
 * tail of the server log.  A server that exits during startup is retried on
 * a fresh port up to three times, since another test may have taken the port
 * between our probe and the server's bind().
 */
int harness_start(struct wenda_server *srv, const char *const *extra_args);

/*
 * harness_start() that fails the current test (Criterion assertion), with
 * the reason and the log's tail, when the server does not start.
 */
void harness_start_or_fail(struct wenda_server *srv,
                           const char *const *extra_args);

/*
 * Starts srv as a cluster of one node: harness_start() with "--cluster
 * --node-id 1 --raft-address 127.0.0.1:P --peers 1=127.0.0.1:P" (P a free
 * port, held until the server runs) followed by extra_args (NULL-
 * terminated, at most 16, or NULL), then polls GET /readyz until it
 * answers 200 (the node elected itself and applied its log), for at most
 * 15 s.  srv->raft_address holds 127.0.0.1:P.  Fails the current test
 * (Criterion assertion), with the server's log, when the server does not
 * start or lead in time.
 */
void harness_start_cluster_or_fail(struct wenda_server *srv,
                                   const char *const *extra_args);

/*
 * The server of a suite whose every test needs one plain server and no
 * more: TestSuite(name, .init = harness_suite_start, .fini =
 * harness_suite_stop) starts harness_srv with no extra arguments before
 * each test (failing the test when it does not start) and stops it after.
 */
extern struct wenda_server harness_srv;
void harness_suite_start(void);
void harness_suite_stop(void);

/*
 * Stops the server: sends SIGTERM, waits up to 5 s, then sends SIGKILL and
 * reaps it.  Removes the temporary directory unless the environment variable
 * WENDA_KEEP_TMP is set.  Returns the exit code if the server exited, 128 +
 * the signal number if a signal ended it, or -1 if srv was not running.
 * Calling it again on a stopped server returns -1 and does nothing.
 */
int harness_stop(struct wenda_server *srv);

/*
 * Kills the server with SIGKILL (a crash, no shutdown of any kind) and
 * reaps it, but keeps its temporary directory and database, so that a new
 * server can be started on them (pass "--db", DIR/wenda.db as extra
 * arguments).  Remove the directory with harness_remove_dir() afterwards.
 */
void harness_kill(struct wenda_server *srv);

/*
 * Readies srv for harness_start_at(), for a server that keeps its address
 * and its files across restarts (a node of a cluster): a fresh temporary
 * directory DIR (its database is DIR/wenda.db, its log DIR/server.log,
 * which every start appends to) and a free port, which srv keeps from
 * other tests until harness_stop() or harness_remove_dir(); base_url is
 * set.  Returns 0, or -1 with the reason in srv->why.
 */
int harness_prepare(struct wenda_server *srv);

/*
 * Starts the server that harness_prepare() readied: "wenda serve" with
 * the arguments harness_start() gives, on srv's port and database, and
 * extra_args; waits for GET /healthz as harness_start() does, but never
 * tries another port.  A server stopped by harness_kill() or
 * harness_stop_keep() starts again on its files this way.  Returns 0, or
 * -1 with the reason in srv->why (the directory stays).
 */
int harness_start_at(struct wenda_server *srv, const char *const *extra_args);

/* harness_start_at() that fails the current test when it returns -1. */
void harness_start_at_or_fail(struct wenda_server *srv,
                              const char *const *extra_args);

/*
 * harness_stop() that keeps the directory, the database and the port, so
 * that the server can be started again (harness_start_at()) or its files
 * read.  Returns what harness_stop() returns.
 */
int harness_stop_keep(struct wenda_server *srv);

/*
 * Sends sig (SIGSTOP, SIGCONT, ...) to the running server, and after a
 * SIGSTOP waits until it is stopped (Linux: /proc; 2 s at most); does
 * nothing when it is not running.  harness_stop() and harness_kill() end a
 * stopped server as well.
 */
void harness_signal(const struct wenda_server *srv, int sig);

/*
 * Finds a free port on 127.0.0.1 for a listener the test names itself
 * (say a server's second address), as harness_prepare() does for srv's:
 * stores it in *port and returns the socket that keeps it from other
 * tests (close it to let it go), or -1.  The server may listen on it
 * meanwhile.
 */
int harness_hold_port(unsigned short *port);

/* Seconds on the monotonic clock. */
double harness_now(void);

/* Sleeps ms milliseconds. */
void harness_sleep_ms(long ms);

/* seconds times $WENDA_TEST_TIMEOUT_SCALE when that is above 1. */
double harness_scaled(double seconds);

/*
 * Creates a token of role called name in srv's database, in this process,
 * as `wenda token create` would, and writes it into out.  Returns the
 * token's id.  Fails the current test when the token cannot be made.
 */
long long harness_token(const struct wenda_server *srv, enum wenda_role role,
                        const char *name, char out[WENDA_TOKEN_LEN + 1]);

/* Removes the server's temporary directory (after harness_kill() or
 * harness_stop_keep()) and lets its port go. */
void harness_remove_dir(struct wenda_server *srv);

/*
 * Copies the last cap - 1 bytes (at most) of the server's log into buf and
 * NUL-terminates it.  Never fails; an unreadable log gives a note saying so.
 */
void harness_log_tail(const struct wenda_server *srv, char *buf, size_t cap);

/*
 * Runs the binary with the NULL-terminated argument list args (not counting
 * argv[0]) as opts says (NULL: the defaults), stdin from /dev/null, and
 * waits at most timeout_s seconds; a process still running then is killed
 * with SIGKILL and reported with status -1.  By default it runs in a fresh
 * temporary directory (so that a command which wrongly starts working
 * leaves no files behind; it is removed afterwards) with the test's
 * environment.  stdout and stderr are captured in files of a temporary
 * directory of the harness's own, whatever the working directory.  The
 * child exits 126 when it cannot set itself up (its files, directory or
 * user) and 127 when the binary does not execute.  Returns 0 and fills
 * *out on success, whose buffers the caller frees with
 * harness_run_cleanup(); returns -1 if the process could not be started.
 */
int harness_run_with(const char *const *args, double timeout_s,
                     const struct harness_run_opts *opts,
                     struct harness_run_result *out);

/* harness_run_with() with the defaults. */
int harness_run(const char *const *args, double timeout_s,
                struct harness_run_result *out);

/*
 * harness_run_with() that fails the current test (Criterion assertion)
 * when the binary could not be run: not started, status 126 or 127, or
 * killed at timeout_s.
 */
void harness_run_or_fail(const char *const *args, double timeout_s,
                         const struct harness_run_opts *opts,
                         struct harness_run_result *out);

/* Frees the buffers of r and zeroes it; r may already be clean. */
void harness_run_cleanup(struct harness_run_result *r);

/*
 * http_request() with the header fields of an API call: the bearer token
 * (NULL: no Authorization), Content-Type type and If-Match if_match (NULL:
 * none), and body (NULL: none).  Returns the status, or -1 when no answer
 * came (callable from any thread: it asserts nothing).
 */
long http_send(const struct wenda_server *srv, const char *method,
               const char *path, const char *token, const char *type,
               const char *if_match, const char *body,
               struct http_reply *out);

/*
 * Sends method path_and_query to srv with libcurl on a new easy handle and
 * stores the response in *out, which the caller releases with
 * http_reply_cleanup().  path_and_query is sent exactly as given (dot
 * segments are kept, percent-escapes are not decoded), so it must already be
 * percent-encoded.  req_headers is a NULL-terminated array of "Name: value"
 * strings or NULL.  body (body_len bytes) is sent when non-NULL; POST, PUT
 * and PATCH without a body send an empty one.  HEAD reads no body.
 *
 * Returns CURLE_OK (0) when a response was received, whatever its status,
 * or the libcurl error code otherwise; *out is valid to clean up either way.
 */
int http_request(const struct wenda_server *srv, const char *method,
                 const char *path_and_query, const char *const *req_headers,
                 const char *body, size_t body_len, struct http_reply *out);

/*
 * Like http_request(), but on the caller's easy handle, so that consecutive
 * requests can share a connection.  The handle's options are reset first;
 * its connection cache is kept.
 */
int http_request_on(CURL *easy, const struct wenda_server *srv,
                    const char *method, const char *path_and_query,
                    const char *const *req_headers, const char *body,
                    size_t body_len, struct http_reply *out);

/*
 * Returns the value of the first response header called name (compared
 * case-insensitively), with leading blanks removed, or NULL if there is none.
 * The string is borrowed from r.
 */
const char *http_header(const struct http_reply *r, const char *name);

/* http_header(), but "" when the reply has no such header. */
const char *http_header_or_empty(const struct http_reply *r,
                                 const char *name);

/* Frees everything r holds and zeroes it; r may already be clean. */
void http_reply_cleanup(struct http_reply *r);

/*
 * Parses r's body as JSON and returns a new reference.  Fails the current
 * test (Criterion assertion) when the body is not valid JSON.
 */
json_t *http_json(const struct http_reply *r);

/*
 * Opens a blocking TCP connection to srv on 127.0.0.1 and returns the
 * socket (the caller closes it), or -1.
 */
int harness_connect(const struct wenda_server *srv);

/*
 * Opens a TCP connection to srv, writes the raw_request bytes (up to their
 * terminating NUL) unchanged, and reads the reply into buf until the server
 * closes, until a response with a complete Content-Length body has arrived,
 * or until 2 s have passed: http_raw_n() for a C string.  buf is
 * NUL-terminated.  Returns the number of bytes read, or -1 if the
 * connection failed.
 */
long http_raw(const struct wenda_server *srv, const char *raw_request,
              char *buf, size_t cap);

/*
 * Like http_raw(), for requests that a C string cannot hold: writes exactly
 * len bytes of raw_request (NUL bytes included) and waits at most
 * timeout_ms for the whole exchange.  When the server answers or closes
 * before the request is all written (a 413 or 431 sent early), writing
 * stops and the answer is read.  A reply is complete at the end of its
 * headers when no_body is set (the answer to HEAD) or its status is 204 or
 * 304, else as for http_raw(); reading also stops when buf is full.  buf
 * is NUL-terminated.  Returns the number of bytes read, or -1 if the
 * connection failed.
 */
long http_raw_n(const struct wenda_server *srv, const char *raw_request,
                size_t len, int no_body, int timeout_ms, char *buf,
                size_t cap);

/*
 * Returns the status code of the raw response in buf ("HTTP/1.1 404 ..."),
 * or 0 if buf does not start with an HTTP status line.
 */
int http_raw_status(const char *buf);

/*
 * Returns a pointer to the body of the raw response in buf (just past the
 * blank line ending the headers), or NULL if the headers are incomplete.
 * The pointer is borrowed from buf.
 */
const char *http_raw_body(const char *buf);

/*
 * Returns the value of header name in the raw response in buf, copied into
 * out (cap bytes, NUL-terminated, CR LF stripped), or NULL if there is no
 * such header among the response's headers.
 */
const char *http_raw_header(const char *buf, const char *name, char *out,
                            size_t cap);

#endif /* WENDA_TESTS_E2E_HARNESS_H */
