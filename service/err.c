/*
 * err.c -- names, titles and HTTP statuses of enum wenda_err.
 *
 * One table, indexed by the enum, so that adding a code without its row is
 * a compile-time error (the static assertion below) rather than a silent
 * "internal" at run time.
 */
#include "wenda/err.h"

#include <assert.h>

struct err_row {
    const char *name;
    const char *title;
    unsigned int status;
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
};

static_assert(sizeof(err_table) / sizeof(err_table[0]) == WENDA_ERR__COUNT,
              "every enum wenda_err needs a row in err_table");

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
