/*
 * http_response.c -- an api.c answer made into libmicrohttpd's response
 * and queued.
 *
 * api.c answers with a status, a body (or a stream) and a few headers;
 * what depends on HTTP rather than on the API is added here, once for
 * every route: gzip for a client that takes it when the body is larger
 * than GZIP_MIN, an ETag on every 200 answer to a read (a hash of its
 * body) with 304 and no body when If-None-Match names it, Vary, CORS for
 * the configured origin, the request id, "Connection: close" once the
 * server drains, and on a cluster node Wenda-Index, the log index the
 * answer reflects.  Then the answer is counted for /metrics and written to
 * the access log.
 */
#include "http_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <zlib.h>

#include "cluster.h"
#include "metrics.h"
#include "wenda/content.h"

/* Bodies above this many bytes are gzipped for clients that ask. */
#define GZIP_MIN 1024

/* A streamed body handed to libmicrohttpd. */
struct stream {
    long (*fn)(void *ctx, char *buf, size_t max);
    void *ctx;
    void (*release)(void *ctx);
};

/* How an answer's body goes out. */
struct representation {
    char etag[24];              /* its entity tag; "" for none */
    int gz;                     /* gzipped */
    int vary;                   /* varies with Accept-Encoding */
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max);
static void stream_free(void *cls);
static char *gzip_body(const char *body, size_t n, size_t *out_len);
static int accepts_gzip(struct MHD_Connection *conn);
static int etag_matches(const char *value, const char *etag);
static void represent(struct MHD_Connection *conn, const char *method,
                      struct api_response *res, struct representation *rep);
static struct MHD_Response *create_response(struct api_response *res);
static void join(char *d, const char *s);
static void add_headers(const struct server *srv, struct MHD_Response *r,
                        const struct request *req,
                        const struct api_response *res,
                        const struct representation *rep);
static void add_cors(const struct http_config *cfg,
                     struct MHD_Connection *conn, struct MHD_Response *r,
                     const char *method, const struct api_response *res);

/* libmicrohttpd's content reader of a streamed body (cls: its struct
 * stream). */
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

/* Releases a streamed body's context and frees its struct stream. */
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

/*
 * Chooses how res's body goes out into *rep: tags a 200 answer to a read
 * (and makes it a 304 without body when If-None-Match names the tag), and
 * gzips a body above GZIP_MIN for a client that takes gzip, in place.  A
 * body that cannot be gzipped goes out as it is.
 */
static void
represent(struct MHD_Connection *conn, const char *method,
          struct api_response *res, struct representation *rep)
{
    int is_read = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

    memset(rep, 0, sizeof(*rep));
    if (res->body != NULL && res->len > GZIP_MIN) {
        rep->vary = 1;
        rep->gz = accepts_gzip(conn);
    }
    if (is_read && res->status == 200 && res->body != NULL) {
        const char *inm = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);

        wenda_etag(res->body, res->len, rep->etag);
        if (rep->gz)   /* another representation, another tag: "…-gz" */
            memcpy(rep->etag + 17, "-gz\"", 5);
        if (inm != NULL && etag_matches(inm, rep->etag)) {
            free(res->body);
            res->body = NULL;
            res->len = 0;
            res->status = 304;
            rep->gz = 0;
        }
    }
    if (rep->gz) {
        size_t n = 0;
        char *z = gzip_body(res->body, res->len, &n);

        if (z != NULL) {
            free(res->body);
            res->body = z;
            res->len = n;
        } else {
            rep->gz = 0;
        }
    }
}

/*
 * Returns libmicrohttpd's response for res's body or stream, which it
 * then owns (res->body is NULL after), or NULL when out of memory (res
 * then still holds its body; a stream's context is released).
 */
static struct MHD_Response *
create_response(struct api_response *res)
{
    struct MHD_Response *r;

    if (res->stream != NULL) {
        struct stream *st = malloc(sizeof(*st));

        if (st == NULL)
            return NULL;
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
    if (r != NULL)
        res->body = NULL;  /* now the response's */
    return r;
}

/* Appends s to the string d, which has room for it. */
static void
join(char *d, const char *s)
{
    size_t n = strlen(d);

    memcpy(d + n, s, strlen(s) + 1);
}

/* Adds to r the headers of the answer res to req (which may be NULL) as
 * *rep sends it, except CORS. */
static void
add_headers(const struct server *srv, struct MHD_Response *r,
            const struct request *req, const struct api_response *res,
            const struct representation *rep)
{
    const char *origin = srv->cfg->cors_origin;
    char vary[48];
    size_t i;

    if (res->status != 304 && res->status != 204)
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                      res->content_type);
    if (rep->etag[0] != '\0')
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, rep->etag);
    if (rep->gz)
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING,
                                      "gzip");
    /* One Vary header: caches read the first only.  (Joined by hand: a
     * printf of three strings was a fortieth of a search's answer.) */
    vary[0] = '\0';
    if (res->vary_accept)
        join(vary, ", Accept");
    if (rep->vary)
        join(vary, ", Accept-Encoding");
    if (origin != NULL && strcmp(origin, "*") != 0)
        join(vary, ", Origin");
    if (vary[0] != '\0')
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, vary + 2);
    if (req != NULL && req->id[0] != '\0')
        (void)MHD_add_response_header(r, "X-Request-Id", req->id);
    if (srv->cluster != NULL) {
        char index[24];

        (void)snprintf(index, sizeof(index), "%llu",
                       (unsigned long long)(res->index != 0
                                                ? res->index
                                                : cluster_applied(
                                                      srv->cluster)));
        (void)MHD_add_response_header(r, "Wenda-Index", index);
    }
    if (atomic_load_explicit(&srv->draining, memory_order_relaxed))
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION,
                                      "close");
    for (i = 0; i < res->nheaders; i++)
        (void)MHD_add_response_header(r, res->headers[i].name,
                                      res->headers[i].value);
}

/* Adds the CORS headers that the configured origin allows. */
static void
add_cors(const struct http_config *cfg, struct MHD_Connection *conn,
         struct MHD_Response *r, const char *method,
         const struct api_response *res)
{
    const char *origin = cfg->cors_origin;
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
                                  "Wenda-Index, Wenda-Leader, X-Request-Id");
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
                                  "If-None-Match, Wenda-Min-Index, "
                                  "X-Request-Id");
    (void)MHD_add_response_header(r, "Access-Control-Max-Age", "600");
}

enum MHD_Result
http_send_response(const struct server *srv, struct MHD_Connection *conn,
                   const char *method, const struct request *req,
                   struct api_response *res)
{
    struct representation rep;
    struct MHD_Response *r;
    enum MHD_Result ok;
    size_t bytes;

    represent(conn, method, res, &rep);
    bytes = res->len;
    r = create_response(res);
    if (r == NULL) {
        api_response_cleanup(res);
        return MHD_NO;
    }
    add_headers(srv, r, req, res, &rep);
    add_cors(srv->cfg, conn, r, method, res);
    ok = MHD_queue_response(conn, res->status, r);
    MHD_destroy_response(r);
    if (req != NULL) {
        metrics_request(res->route, res->status,
                        http_usec_since(&req->start));
        if (srv->cfg->access_log)
            http_access_log(conn, method, req, res->status, bytes);
    }
    api_response_cleanup(res);
    return ok;
}
