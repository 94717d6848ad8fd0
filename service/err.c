/*
 * err.c -- names, titles, HTTP statuses and descriptions of enum
 * wenda_err, and the list a check keeps a document's problems in.
 *
 * One table, indexed by the enum, so that adding a code without its row is
 * a compile-time error (the static assertion below) rather than a silent
 * "internal" at run time.  The descriptions are what GET /problems/NAME
 * explains a problem type with: when the server answers it and what a
 * client does about it.
 */
#include "wenda/err.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wenda/content.h"

struct err_row {
    const char *name;
    const char *title;
    unsigned int status;
};

static const char *const err_descriptions[] = {
    [WENDA_OK] = "Not a problem: the request succeeded.",
    [WENDA_ERR_NOMEM] =
        "The server ran out of memory while answering the request. Nothing "
        "the request asked for was written. Retry after a while; if it "
        "persists, the server needs more memory or smaller requests.",
    [WENDA_ERR_IO] =
        "A file or socket the server needed could not be read or written. "
        "It is a failure of the server's own, not of the request; the "
        "server's log says what failed. Retry later, or tell the operator.",
    [WENDA_ERR_DB] =
        "SQLite reported an unexpected error while reading or writing the "
        "database. Nothing of a failed write was kept. Retry later; the "
        "server's log says what SQLite said.",
    [WENDA_ERR_DB_TOO_NEW] =
        "The database was written by a newer version of wenda, whose schema "
        "this server does not know, so it refuses to use it. The operator "
        "runs the newer wenda, or a database this version made.",
    [WENDA_ERR_INVALID] =
        "A value of the request is not one the server takes: a query "
        "parameter (named in parameter), a field of the body, or a header "
        "such as If-Match. The errors member lists every problem found, a "
        "body's by its JSON pointer (RFC 6901), a query parameter's by its "
        "name. Correct each one and send the request again.",
    [WENDA_ERR_PARSE] =
        "The request body is not a well-formed document of its media type: "
        "JSON that does not parse (detail gives the line and column), or "
        "an NDJSON line that is not JSON. Send a document that parses.",
    [WENDA_ERR_UTF8] =
        "The request path is not valid UTF-8, or holds a NUL byte (%00). "
        "Percent-encode the UTF-8 bytes of the text instead.",
    [WENDA_ERR_NOT_FOUND] =
        "There is no resource at this path: an unknown path, a topic id or "
        "slug no topic has, a token id, or a problem type wenda does not "
        "have. Check the path; a write names a topic by its id.",
    [WENDA_ERR_METHOD] =
        "The path exists but does not take this method; the Allow header "
        "lists the methods it takes. A read-only replica takes no write: "
        "send writes to the primary.",
    [WENDA_ERR_CONFLICT] =
        "The write would break a uniqueness rule: another topic already has "
        "the slug. Choose another slug, or change the topic that has it.",
    [WENDA_ERR_TOO_LARGE] =
        "The request body is larger than the server takes (its --max-body "
        "setting). Send a smaller body, such as an import split in parts.",
    [WENDA_ERR_UNAVAILABLE] =
        "The server cannot take the request now: no search slot freed in "
        "time, the write queue is full, or the server is stopping. Retry "
        "after the seconds the Retry-After header gives, when it is there.",
    [WENDA_ERR_INTERNAL] =
        "The server failed in a way it did not expect. It is a failure of "
        "the server's own; its log says what failed. Retry later, and tell "
        "the operator if it persists.",
    [WENDA_ERR_UNAUTHORIZED] =
        "The request needs a token and has none, or one that is wrong, "
        "expired or revoked. Send a valid token as Authorization: Bearer "
        "wnd_...; the WWW-Authenticate header says which case it was.",
    [WENDA_ERR_FORBIDDEN] =
        "The token is valid but its role is too weak for the request: "
        "writes need an editor's token, tokens and import an admin's. Use a "
        "token of the role detail names.",
    [WENDA_ERR_PRECONDITION] =
        "If-Match does not name the resource's current version: someone "
        "changed it since it was read. GET it again, apply the change to "
        "what it is now, and send the write with the new ETag.",
    [WENDA_ERR_PRECONDITION_REQUIRED] =
        "A PUT, PATCH or DELETE must say which version it changes, so that "
        "no change is lost to another. GET the resource and send its ETag "
        "in If-Match (or * to take any version).",
    [WENDA_ERR_MEDIA_TYPE] =
        "The body has a Content-Type the endpoint does not take. Send "
        "application/json, application/merge-patch+json for a PATCH, or "
        "application/x-ndjson for an import, as detail says.",
    [WENDA_ERR_NOT_IMPLEMENTED] =
        "The request uses a feature of HTTP the server does not have, such "
        "as a Transfer-Encoding other than chunked. Send the body with "
        "Content-Length or chunked; the connection is closed.",
    [WENDA_ERR_URI_TOO_LONG] =
        "The request target is longer than 16384 bytes or has more than "
        "100 query parameters. Send a shorter query; the connection is "
        "closed.",
    [WENDA_ERR_HEADERS_TOO_LARGE] =
        "The request line and header fields are larger than the server "
        "takes (24 KiB, counting 64 bytes for each field and query "
        "parameter). Send fewer or smaller headers; the connection is "
        "closed.",
    [WENDA_ERR_READ_ONLY] =
        "The database file can no longer be written: its mode or owner "
        "changed under the server. Reads still work; the operator restores "
        "write access, and writes can then be sent again.",
    [WENDA_ERR_NOT_LEADER] =
        "This cluster node is not the leader, and only the leader takes "
        "writes. The answer is a 307 whose Location is the same request at "
        "the leader (also in the Wenda-Leader header): send it there, with "
        "the same method and body (curl -L does).",
    [WENDA_ERR_NO_LEADER] =
        "The cluster has no leader this node knows of: an election is "
        "under way, or too few nodes are up to make a majority. Nothing "
        "was written. Retry after the seconds Retry-After gives.",
    [WENDA_ERR_STALE_READ] =
        "The read asked for min_index (or Wenda-Min-Index), and this node "
        "had not applied that index of the cluster's log within the "
        "server's --read-wait. Retry after Retry-After, or read from the "
        "leader.",
    [WENDA_ERR_NOT_A_CLUSTER] =
        "The request is about a cluster, and this server runs alone "
        "(without --cluster). Send it to a node of a cluster.",
};

static const struct err_row err_table[] = {
    [WENDA_OK] = {"ok", "OK", 200},
    [WENDA_ERR_NOMEM] = {"out-of-memory", "Out of Memory", 503},
    [WENDA_ERR_IO] = {"io-error", "I/O Error", 500},
    [WENDA_ERR_DB] = {"database-error", "Database Error", 500},
    [WENDA_ERR_DB_TOO_NEW] = {"database-too-new", "Database Too New", 500},
    [WENDA_ERR_INVALID] = {"invalid-parameter", "Invalid Parameter", 400},
    [WENDA_ERR_PARSE] = {"malformed-document", "Malformed Document", 400},
    [WENDA_ERR_UTF8] = {"invalid-utf8", "Invalid UTF-8", 400},
    [WENDA_ERR_NOT_FOUND] = {"not-found", "Not Found", 404},
    [WENDA_ERR_METHOD] = {"method-not-allowed", "Method Not Allowed", 405},
    [WENDA_ERR_CONFLICT] = {"conflict", "Conflict", 409},
    [WENDA_ERR_TOO_LARGE] = {"payload-too-large", "Payload Too Large", 413},
    [WENDA_ERR_UNAVAILABLE] = {"unavailable", "Service Unavailable", 503},
    [WENDA_ERR_INTERNAL] = {"internal", "Internal Error", 500},
    [WENDA_ERR_UNAUTHORIZED] = {"unauthorized", "Unauthorized", 401},
    [WENDA_ERR_FORBIDDEN] = {"forbidden", "Forbidden", 403},
    [WENDA_ERR_PRECONDITION] = {"precondition-failed",
                                "Precondition Failed", 412},
    [WENDA_ERR_PRECONDITION_REQUIRED] = {"precondition-required",
                                         "Precondition Required", 428},
    [WENDA_ERR_MEDIA_TYPE] = {"unsupported-media-type",
                              "Unsupported Media Type", 415},
    [WENDA_ERR_NOT_IMPLEMENTED] = {"not-implemented", "Not Implemented",
                                   501},
    [WENDA_ERR_URI_TOO_LONG] = {"uri-too-long", "URI Too Long", 414},
    [WENDA_ERR_HEADERS_TOO_LARGE] = {"header-fields-too-large",
                                     "Request Header Fields Too Large", 431},
    [WENDA_ERR_READ_ONLY] = {"read-only-database", "Read-Only Database",
                             503},
    [WENDA_ERR_NOT_LEADER] = {"not-leader", "Not the Leader", 307},
    [WENDA_ERR_NO_LEADER] = {"no-leader", "No Leader", 503},
    [WENDA_ERR_STALE_READ] = {"stale-read", "Stale Read", 503},
    [WENDA_ERR_NOT_A_CLUSTER] = {"not-a-cluster", "Not a Cluster", 404},
};

static_assert(sizeof(err_table) / sizeof(err_table[0]) == WENDA_ERR__COUNT,
              "every enum wenda_err needs a row in err_table");
static_assert(sizeof(err_descriptions) / sizeof(err_descriptions[0]) ==
                  WENDA_ERR__COUNT,
              "every enum wenda_err needs a description");

static const struct err_row *
row(enum wenda_err rc)
{
    if ((unsigned int)rc >= WENDA_ERR__COUNT)
        rc = WENDA_ERR_INTERNAL;
    return &err_table[rc];
}

const char *
wenda_err_name(enum wenda_err rc)
{
    return row(rc)->name;
}

const char *
wenda_err_title(enum wenda_err rc)
{
    return row(rc)->title;
}

unsigned int
wenda_err_http_status(enum wenda_err rc)
{
    return row(rc)->status;
}

const char *
wenda_err_description(enum wenda_err rc)
{
    if ((unsigned int)rc >= WENDA_ERR__COUNT)
        rc = WENDA_ERR_INTERNAL;
    return err_descriptions[rc];
}

int
wenda_err_from_name(const char *name, enum wenda_err *rc)
{
    size_t i;

    for (i = 0; name != NULL && i < WENDA_ERR__COUNT; i++)
        if (strcmp(err_table[i].name, name) == 0) {
            *rc = (enum wenda_err)i;
            return 1;
        }
    return 0;
}

/* ---- problems of a document ------------------------------------------ */

/* wenda_problems_add() with its arguments in ap. */
static void add_v(struct wenda_problems *p, const char *pointer,
                  const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
add_v(struct wenda_problems *p, const char *pointer, const char *fmt,
      va_list ap)
{
    struct wenda_problem *e;
    char detail[512];
    size_t bad;

    if (p->n == WENDA_PROBLEMS_MAX) {
        p->more++;
        return;
    }
    (void)vsnprintf(detail, sizeof(detail), fmt, ap);
    /* A detail may quote the client's bytes cut at a byte count. */
    if (!wenda_utf8_valid(detail, strlen(detail), &bad))
        detail[bad] = '\0';
    if (p->v == NULL) {
        p->v = calloc(WENDA_PROBLEMS_MAX, sizeof(*p->v));
        if (p->v == NULL) {
            p->nomem = 1;
            return;
        }
    }
    e = &p->v[p->n];
    e->pointer = strdup(pointer);
    e->detail = strdup(detail);
    if (e->pointer == NULL || e->detail == NULL) {
        free(e->pointer);
        free(e->detail);
        e->pointer = e->detail = NULL;
        p->nomem = 1;
        return;
    }
    p->n++;
}

void
wenda_problems_add(struct wenda_problems *p, const char *pointer,
                   const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    /* va_start is above; clang-analyzer 14 loses track of it. */
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
    add_v(p, pointer, fmt, ap);
    va_end(ap);
}

void
wenda_problems_add_member(struct wenda_problems *p, const char *parent,
                          const char *key, const char *fmt, ...)
{
    size_t n = strlen(parent), i;
    char *at;
    va_list ap;

    if (p->n == WENDA_PROBLEMS_MAX) {
        p->more++;
        return;
    }
    at = malloc(n + 2 * strlen(key) + 2);
    if (at == NULL) {
        p->nomem = 1;
        return;
    }
    memcpy(at, parent, n);
    at[n++] = '/';
    for (i = 0; key[i] != '\0'; i++) {
        if (key[i] == '~') {
            at[n++] = '~';
            at[n++] = '0';
        } else if (key[i] == '/') {
            at[n++] = '~';
            at[n++] = '1';
        } else {
            at[n++] = key[i];
        }
    }
    at[n] = '\0';
    va_start(ap, fmt);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
    add_v(p, at, fmt, ap);
    va_end(ap);
    free(at);
}

size_t
wenda_problems_count(const struct wenda_problems *p)
{
    return p->n + p->more;
}

void
wenda_problems_first(const struct wenda_problems *p, int with_pointer,
                     char *msg, size_t msgcap)
{
    if (msgcap == 0)
        return;
    msg[0] = '\0';
    if (p->n == 0)
        return;
    if (with_pointer && p->v[0].pointer[0] != '\0')
        (void)snprintf(msg, msgcap, "%s: %s", p->v[0].pointer,
                       p->v[0].detail);
    else
        (void)snprintf(msg, msgcap, "%s", p->v[0].detail);
}

void
wenda_problems_cleanup(struct wenda_problems *p)
{
    size_t i;

    if (p == NULL)
        return;
    for (i = 0; i < p->n; i++) {
        free(p->v[i].pointer);
        free(p->v[i].detail);
    }
    free(p->v);
    memset(p, 0, sizeof(*p));
}
