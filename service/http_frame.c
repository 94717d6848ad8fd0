/*
 * http_frame.c -- the checks of a request's head that libmicrohttpd does
 * not make: the length of its target, the room its head takes, how its
 * body is framed, and a NUL in its path.  Each runs before any of the body
 * is read, so that a request this server and a proxy in front of it would
 * read differently is refused before the two can disagree.
 *
 * libmicrohttpd 0.9.75 holds a request's line and header fields in a
 * memory pool of HTTP_POOL_BYTES per connection: the bytes as read, and
 * beside them one record per header field and query parameter (a struct
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
 * So http_check_target() looks at the request line before libmicrohttpd
 * splits it (MHD_OPTION_URI_LOG_CALLBACK): a target of more than
 * TARGET_MAX bytes or more than PARAMS_MAX parameters loses its query, in
 * place, so that nothing is split, and is answered 414 when the headers
 * are in; a line that leaves less than TARGET_ROOM of the pool is left to
 * libmicrohttpd's own 431 instead.  Then a request head (line and header
 * fields) that costs more than HEAD_MAX, records counted, is answered 431;
 * within it, a quarter of the pool is left for any answer.  The limits are
 * far above what the API needs (a search's q has at most 1,024 bytes).
 *
 * Header fields that fill the pool to within about 200 bytes still get no
 * answer (measured: one field of 32295 to 32498 bytes, or 433 to 435
 * short ones): no answer fits in what they leave, libmicrohttpd calls no
 * code of ours while it reads them, and it offers no way to free pool
 * memory before answering.  The connection closes at once, so nothing is
 * held.  A larger pool only moves that band, and costs: libmicrohttpd
 * zeroes the whole pool before each request of a keep-alive connection.
 */
#include "http_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define XSTR(x) #x
#define STR(x) XSTR(x)
#define FIELD_BYTES 64
#define TARGET_MAX 16384
#define PARAMS_MAX 100
#define HEAD_MAX ((size_t)24 * 1024)
#define TARGET_ROOM 2048

/* What refuse_request() needs to know of a request's header fields. */
struct header_scan {
    unsigned int bad_names;     /* empty, or with a blank in them */
    unsigned int hosts, lengths, codings, authorizations;
    const char *coding;         /* the first Transfer-Encoding (borrowed) */
};

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value);
static const char *refuse_request(struct MHD_Connection *conn,
                                  const char *version, enum wenda_err *rc);
static size_t head_bytes(struct MHD_Connection *conn);
static int is_hex(char c);

/* Counts, for refuse_request(), the header field key of the request (cls:
 * its struct header_scan). */
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

/*
 * libmicrohttpd's URI log callback: runs when the request line is in,
 * before libmicrohttpd splits the query into parameters and decodes them
 * and the path in place, so that this is the one look at the target as
 * the client sent it.  The request's context is born here, with a copy of
 * the target, unless the target has more than TARGET_MAX bytes or more
 * than PARAMS_MAX parameters: then the context is marked long_target,
 * after the query is cut off in place (uri points into libmicrohttpd's
 * own buffer, which holds the line and may be written).
 */
void *
http_check_target(void *cls, const char *uri, struct MHD_Connection *conn)
{
    const char *query, *p;
    size_t params = 0, n;
    struct request *r;

    (void)cls;
    if (uri == NULL)
        return calloc(1, sizeof(*r) + 1);
    query = strchr(uri, '?');
    if (query != NULL && query[1] != '\0')
        for (params = 1, p = query + 1; (p = strchr(p, '&')) != NULL; p++)
            params++;
    n = strlen(uri);
    if (n <= TARGET_MAX && params <= PARAMS_MAX) {
        r = calloc(1, sizeof(*r) + n + 1);
        if (r != NULL)
            memcpy(r->target, uri, n + 1);
        return r;
    }
    r = calloc(1, sizeof(*r) + 1);
    if (r != NULL)
        r->long_target = 1;
    if (query != NULL)
        ((char *)(uintptr_t)query)[1] = '\0';
    /* A line this long leaves too little of the pool for the headers and
     * an answer: fill the rest, so that libmicrohttpd's first header
     * record fails and it answers 431 itself, which it can always do. */
    if (n > HTTP_POOL_BYTES - TARGET_ROOM)
        while (MHD_set_connection_value(conn, MHD_FOOTER_KIND, "", "") ==
               MHD_YES)
            ;
    return r;
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

/* A refused target is answered 414, a head over HEAD_MAX 431, and a badly
 * framed request as refuse_request() says, in that order. */
const char *
http_refusal(struct MHD_Connection *conn, const char *version,
             int long_target, enum wenda_err *rc)
{
    if (long_target) {
        *rc = WENDA_ERR_URI_TOO_LONG;
        return "the request target is longer than " STR(TARGET_MAX)
               " bytes or has more than " STR(PARAMS_MAX)
               " query parameters";
    }
    if (head_bytes(conn) > HEAD_MAX) {
        *rc = WENDA_ERR_HEADERS_TOO_LARGE;
        return "the request's header fields are larger than this server "
               "accepts";
    }
    return refuse_request(conn, version, rc);
}

/* Returns 1 when c is a hexadecimal digit, else 0. */
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
size_t
http_unescape(void *cls, struct MHD_Connection *conn, char *s)
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
