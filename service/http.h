/*
 * http.h -- the libmicrohttpd server that answers the API.
 */
#ifndef WENDA_HTTP_H
#define WENDA_HTTP_H

#include <stddef.h>

#include "wenda/store.h"

struct http_config {
    const char *bind;           /* IPv4 or IPv6 address to listen on */
    unsigned int port;          /* 1..65535 */
    const char *db_path;        /* migrated database file */
    unsigned int threads;       /* I/O threads; 0 = one per core */
    unsigned int max_connections;
    unsigned int idle_timeout;  /* seconds a connection may stay idle */
    size_t max_body;            /* largest request body accepted */
    unsigned int search_slots;  /* concurrent searches; 0 = one per thread */
    int search_off;             /* 1: no search slot at all (all 503) */
    unsigned int search_wait_ms;  /* wait for a free slot before 503 */
    unsigned int drain_timeout; /* seconds in-flight requests may take */
    const char *log_path;       /* NULL: stderr stays as it is */
    int private_reads;          /* reads need a reader token */
    int read_only;              /* a replica: every write is 405 */
    size_t write_queue;         /* writes that may wait for the writer */
    size_t write_batch;         /* writes committed at once (1: no group) */
    const char *cors_origin;    /* NULL: no CORS; "*": public reads */
    int access_log;             /* one JSON line per request to the log */
    const char *tls_cert;       /* PEM files: HTTPS when both are set */
    const char *tls_key;
    struct wenda_store_tuning tuning;   /* of every connection */
};

/*
 * Serves the API until SIGTERM or SIGINT, then stops accepting, lets the
 * requests in flight finish (for at most drain_timeout seconds), closes
 * every database connection and returns 0.  SIGHUP re-opens log_path.  Returns 1 after printing a message to stderr when the server cannot
 * start.  The caller must have blocked SIGTERM, SIGINT, SIGHUP and SIGPIPE
 * in every thread (http_block_signals()) before any thread was created.
 */
int http_serve(const struct http_config *cfg);

/* Blocks the signals http_serve() waits for in the calling thread. */
void http_block_signals(void);

#endif /* WENDA_HTTP_H */
