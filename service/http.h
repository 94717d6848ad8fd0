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
    const char *primary_url;    /* where a replica's writes go; NULL */
    size_t write_queue;         /* writes that may wait for the writer */
    size_t write_batch;         /* writes committed at once (1: no group) */
    const char *cors_origin;    /* NULL: no CORS; "*": public reads */
    int access_log;             /* one JSON line per request to the log */
    const char *tls_cert;       /* PEM files: HTTPS when both are set */
    const char *tls_key;
    const char *tls_priorities; /* GnuTLS priority string of HTTPS */
    struct wenda_store_tuning tuning;   /* of every connection */
    int cluster;                /* a node of a Raft cluster */
    unsigned int node_id;       /* its id, 1..65535 */
    const char *raft_address;   /* HOST:PORT it listens on for Raft */
    const char *peers;          /* ID=HOST:PORT,...: bootstrap; or NULL */
    const char *raft_dir;       /* NULL: db_path + ".raft" */
    const char *advertise_url;  /* NULL: http(s)://bind:port */
    unsigned int read_wait_ms;  /* the longest a min_index read waits */
};

/*
 * The TLS an HTTPS server speaks unless told otherwise: TLS 1.3 and 1.2,
 * key exchange by ECDHE only (forward secrecy: no RSA key transport, no
 * finite-field DHE), AEAD ciphers only (no CBC), and renegotiation only
 * with clients that do it safely (RFC 5746).
 */
#define HTTP_TLS_PRIORITIES_DEFAULT                                          \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA:-DHE-RSA:-DHE-DSS:"     \
    "-AES-256-CBC:-AES-128-CBC:%SAFE_RENEGOTIATION"

/*
 * Checks a GnuTLS priority string (as for gnutls-cli --priority).  Returns
 * 0 when it is valid and enables at least one TLS version; otherwise -1,
 * with *bad pointing into priorities at the first element GnuTLS refused,
 * or at its start when no element is to blame.
 */
int http_tls_priorities_check(const char *priorities, const char **bad);

/*
 * Serves the API until SIGTERM or SIGINT, then stops accepting, lets the
 * requests in flight finish (for at most drain_timeout seconds), closes
 * every database connection and returns 0.  SIGHUP re-opens log_path.
 * Returns 1 after printing a message to stderr when the server cannot
 * start.  The caller must have blocked SIGTERM, SIGINT, SIGHUP and SIGPIPE
 * in every thread (http_block_signals()) before any thread was created.
 */
int http_serve(const struct http_config *cfg);

/* Blocks the signals http_serve() waits for in the calling thread. */
void http_block_signals(void);

#endif /* WENDA_HTTP_H */
