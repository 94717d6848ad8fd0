/*
 * err.h -- the one error type of wenda.
 *
 * Every fallible call in the core returns an enum wenda_err; WENDA_OK is
 * zero so that "if (rc) goto cleanup;" reads naturally.  The HTTP layer maps
 * a code to a status with wenda_err_http_status() and nowhere else, and
 * answers it as an RFC 9457 problem whose "type" is built from
 * wenda_err_name(), which is stable across releases.  A check that reads
 * a whole document (a topic, the synonyms) keeps what it finds in a
 * struct wenda_problems, each problem named by its JSON pointer, so that
 * the answer lists them all.
 */
#ifndef WENDA_ERR_H
#define WENDA_ERR_H

#include <stddef.h>

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
    WENDA_ERR_NOT_LEADER,     /* a cluster node that is not the leader
                                 was sent a write (307 to the leader) */
    WENDA_ERR_NO_LEADER,      /* a cluster with no leader known yet */
    WENDA_ERR_STALE_READ,     /* the node has not applied min_index yet */
    WENDA_ERR_NOT_A_CLUSTER,  /* a cluster request to a single server */
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

/*
 * Returns a paragraph on rc for a client: when it is answered and what to
 * do about it; static storage, never NULL.  Out-of-range values give
 * "internal"'s.
 */
const char *wenda_err_description(enum wenda_err rc);

/*
 * Finds the code whose wenda_err_name() is name.  Returns 1 with it in
 * *rc, or 0 for a name no code has.
 */
int wenda_err_from_name(const char *name, enum wenda_err *rc);

/* ---- problems of a document ------------------------------------------ */

/* Problems kept by a list; the ones past it are only counted. */
#define WENDA_PROBLEMS_MAX 50

/* One problem of a document: where it is and what it is. */
struct wenda_problem {
    char *pointer;   /* RFC 6901 JSON pointer into the document ("/tags/2");
                        "" for the document as a whole */
    char *detail;    /* what is wrong, valid UTF-8 */
    size_t line;     /* the line of an NDJSON body it is in, from 1; 0 for
                        a body of one document */
};

/*
 * Every problem a check found in one document, in the order found, so
 * that a client hears of all of them at once.  Zero it to start; release
 * it with wenda_problems_cleanup().
 */
struct wenda_problems {
    struct wenda_problem *v;   /* n kept, owned */
    size_t n;
    size_t more;               /* found past WENDA_PROBLEMS_MAX */
    int nomem;                 /* one could not be kept for want of memory */
};

/*
 * Adds a problem at pointer (copied) to p, its detail formatted as
 * printf() does, cut at 511 bytes and before any byte that is not UTF-8.
 * Past WENDA_PROBLEMS_MAX the problem is counted only; out of memory sets
 * p->nomem.
 */
void wenda_problems_add(struct wenda_problems *p, const char *pointer,
                        const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Adds a problem at the member key of the value at pointer parent ("" for
 * the document), as wenda_problems_add() does: the pointer is parent, "/"
 * and key with "~" and "/" escaped as RFC 6901 says ("~0", "~1").
 */
void wenda_problems_add_member(struct wenda_problems *p, const char *parent,
                               const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Returns how many problems p was told of, kept or not. */
size_t wenda_problems_count(const struct wenda_problems *p);

/*
 * Writes the first problem of p to msg (at most msgcap bytes): its detail,
 * after its pointer and ": " when with_pointer and the pointer is not "".
 * msg is "" when p holds none.
 */
void wenda_problems_first(const struct wenda_problems *p, int with_pointer,
                          char *msg, size_t msgcap);

/* Frees what p holds and zeroes it; NULL is fine. */
void wenda_problems_cleanup(struct wenda_problems *p);

#endif /* WENDA_ERR_H */
