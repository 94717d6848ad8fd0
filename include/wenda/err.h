/*
 * err.h -- the one error type of wenda.
 *
 * Every fallible call in the core returns an enum wenda_err; WENDA_OK is
 * zero so that "if (rc) goto cleanup;" reads naturally.  The HTTP layer maps
 * a code to a status with wenda_err_http_status() and nowhere else, and
 * answers it as an RFC 9457 problem whose "type" is built from
 * wenda_err_name(), which is stable across releases.
 */
#ifndef WENDA_ERR_H
#define WENDA_ERR_H

enum wenda_err {
    WENDA_OK = 0,
    WENDA_ERR_NOMEM,          /* allocation failed */
    WENDA_ERR_IO,             /* file or socket I/O failed */
    WENDA_ERR_DB,             /* SQLite reported an unexpected error */
    WENDA_ERR_DB_TOO_NEW,     /* database schema newer than this binary */
    WENDA_ERR_INVALID,        /* a value given by the caller is invalid */
    WENDA_ERR_PARSE,          /* a document (YAML, JSON, Markdown) is malformed */
    WENDA_ERR_UTF8,           /* text is not valid UTF-8 */
    WENDA_ERR_NOT_FOUND,      /* no such resource */
    WENDA_ERR_METHOD,         /* method not allowed on this resource */
    WENDA_ERR_CONFLICT,       /* unique constraint, e.g. duplicate slug */
    WENDA_ERR_TOO_LARGE,      /* input larger than the configured limit */
    WENDA_ERR_UNAVAILABLE,    /* temporarily overloaded or shutting down */
    WENDA_ERR_INTERNAL,       /* a bug or an unexpected library failure */
    WENDA_ERR_UNAUTHORIZED,   /* no valid credentials */
    WENDA_ERR_FORBIDDEN,      /* valid credentials, too weak a role */
    WENDA_ERR_PRECONDITION,   /* If-Match names another version */
    WENDA_ERR_PRECONDITION_REQUIRED, /* a write without If-Match */
    WENDA_ERR_MEDIA_TYPE,     /* a body of the wrong Content-Type */
    WENDA_ERR_NOT_IMPLEMENTED, /* a request feature the server cannot do */
    WENDA_ERR_URI_TOO_LONG,   /* a request target past the server's limit */
    WENDA_ERR_HEADERS_TOO_LARGE, /* request header fields past the limit */
    WENDA_ERR_READ_ONLY,      /* the database file cannot be written */
    WENDA_ERR__COUNT
};

/*
 * Returns a short, stable, kebab-case name for rc ("not-found"); static
 * storage, never NULL.  Out-of-range values give "internal".
 */
const char *wenda_err_name(enum wenda_err rc);

/*
 * Returns a human-readable title for rc ("Not Found"); static storage,
 * never NULL.
 */
const char *wenda_err_title(enum wenda_err rc);

/* Returns the HTTP status code that answers rc; WENDA_OK gives 200. */
unsigned int wenda_err_http_status(enum wenda_err rc);

#endif /* WENDA_ERR_H */
