/*
 * api.h -- the HTTP API of wenda, independent of the HTTP library.
 *
 * The http module turns a libmicrohttpd request into a struct api_request,
 * calls api_handle(), and sends the struct api_response it gets back.  The
 * routing table and the parameter checks live in api.c, each handler and
 * its JSON in the api_*.c file of its kind of endpoint (api_int.h is what
 * they share), so that a reader finds the whole request path in
 * http_request.c, api.c, one handler's file and the core module it calls.
 */
#ifndef WENDA_API_H
#define WENDA_API_H

#include <semaphore.h>
#include <stddef.h>
#include <stdint.h>

#include "wenda/store.h"

#define API_MAX_HEADERS 4

/*
 * Looks up query parameter name.  Returns 1 and sets *value and *len when the
 * parameter is present (value may be "" and, for "?name" without "=",
 * NULL), 0 when it is absent.
 */
typedef int (*api_arg_fn)(void *ctx, const char *name, const char **value,
                          size_t *len);

/* Called with the name of each query parameter; nonzero stops. */
typedef int (*api_name_fn)(void *cls, const char *name);
typedef void (*api_names_fn)(void *ctx, api_name_fn fn, void *cls);

struct cluster;
struct json_t;
struct wenda_auth;
struct write_job;

/* Returns the value of request header name, or NULL when absent. */
typedef const char *(*api_header_fn)(void *ctx, const char *name);

struct api_request {
    const char *method;     /* "GET", ... */
    const char *path;       /* percent-decoded path, without the query */
    size_t path_len;        /* bytes in path (it may hold a NUL byte) */
    api_arg_fn arg;
    api_names_fn arg_names;     /* each parameter's name; NULL: unknown */
    void *arg_ctx;
    struct wenda_store *store;  /* the calling thread's read-only store */
    sem_t *search_slots;        /* bounds concurrent searches */
    unsigned int search_wait_ms;  /* how long a search waits for a slot */
    api_header_fn header;       /* request headers (same ctx as arg) */
    const char *body;           /* the request body, body_len bytes */
    size_t body_len;
    struct wenda_auth *auth;    /* the token key; NULL: no tokens at all */
    int private_reads;          /* reads need a reader token too */
    int read_only;              /* a replica: every write is 405 */
    const char *primary_url;    /* a replica's primary, as configured;
                                 * NULL when not */
    struct cluster *cluster;    /* the node's cluster; NULL: a single
                                 * server */
    unsigned int read_wait_ms;  /* how long a read waits for min_index */
};

struct api_header {
    const char *name;       /* static */
    char *value;            /* owned by the response */
};

struct api_response {
    size_t route;               /* index in api_route_names(); n for none */
    unsigned int status;
    const char *content_type;   /* static */
    char *body;                 /* malloc'ed, owned; NULL for no body */
    size_t len;
    struct api_header headers[API_MAX_HEADERS];
    size_t nheaders;
    int vary_accept;            /* the body was chosen by Accept */
    struct write_job *job;      /* not NULL: a write for the writer; its
                                 * answer comes when the job is done */
    /* Not NULL: a body of unknown length, produced by stream() as it is
     * sent (with stream_ctx; body is then NULL); stream_free releases
     * stream_ctx when the answer is done. */
    long (*stream)(void *ctx, char *buf, size_t max);
    void *stream_ctx;
    void (*stream_free)(void *ctx);
    /* In a cluster: the log index the answer reflects (Wenda-Index); 0
     * when the answer is not tied to one, and the node's applied index is
     * sent. */
    uint64_t index;
};

/*
 * Answers one request into *res, which the caller releases with
 * api_response_cleanup().  Never fails: errors are answered as
 * application/problem+json with the status of their enum wenda_err.
 */
void api_handle(const struct api_request *req, struct api_response *res);

/*
 * Makes the HTTP answer of a done write job from its plain result into
 * *res (which the caller releases with api_response_cleanup()): the
 * problem of a failure; for a success 201 with Location for a created
 * topic, 201 for a token or a cluster's new node, 204 for a delete, a
 * revocation or a node's removal, else 200, with the result's body, which
 * moves to *res.  A cluster node that is not the leader answers 307: its
 * Location is the leader's base URL followed by target, the request's
 * path and query as the client sent them (NULL: unknown, when the
 * Location is the leader's base URL alone), and Wenda-Leader the base
 * URL.  res->index is the result's log index.
 */
void api_write_answer(struct write_job *job, const char *target,
                      struct api_response *res);

/*
 * Returns the routes' names ("/v1/topics/{id}"), in route-index order, in
 * *names, and their number; static storage.
 */
size_t api_route_names(const char *const **names);

/* Frees what *res owns and zeroes it. */
void api_response_cleanup(struct api_response *res);

/*
 * Fills *res with an RFC 9457 problem for rc, with detail (may be NULL)
 * and, when param is not NULL, a "parameter" member naming it and an
 * "errors" member of one entry, {"parameter": param, "detail": detail}.
 */
void api_problem(struct api_response *res, enum wenda_err rc,
                 const char *detail, const char *param);

/*
 * Fills *res with an RFC 9457 problem for rc whose "errors" member lists
 * every problem of p (which holds at least one) as {"pointer", "detail"}
 * (RFC 6901 pointers into the request body), with "line" too for a
 * problem of an NDJSON body's line.  Its detail is the one problem's own
 * (after its pointer when with_pointer, after "line N: " for a line's),
 * or for several "the WHAT has N problems" (what: "topic", "document"),
 * and ", the first on line N" for lines'.
 */
void api_problem_list(struct api_response *res, enum wenda_err rc,
                      const char *what, const struct wenda_problems *p,
                      int with_pointer);

/*
 * Encodes a list position, the id of the last topic of a page, as the
 * opaque cursor of the next page: "i:<id>" in unpadded base64url.  Returns
 * a new string (the caller frees it), or NULL when out of memory.
 */
char *api_cursor_encode(int64_t after_id);

/*
 * Decodes a cursor given out by api_cursor_encode() into *after_id.
 * Returns 0, or -1 (*after_id unchanged) for anything else.
 */
int api_cursor_decode(const char *s, int64_t *after_id);

#endif /* WENDA_API_H */
