/*
 * options.c -- the settings of "wenda serve", as one table.
 *
 * The table below is the only list of serve's options.  A row names the
 * option, its variable and its default, and points at the function that
 * checks a value and stores it at the row's offset in struct
 * options_serve; options_serve_parse() builds getopt_long()'s array from
 * the rows, and options_serve_help() the help.  A number's row carries
 * its bounds and the noun its message uses, so that the message and the
 * check cannot drift apart.  Values are checked in the table's order and
 * the first bad one is the message; --tls-cert and --tls-key, which go
 * together, are checked after them, and then the options of a cluster
 * node, which go together too.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "options.h"
#include "wenda/search.h"

/* "serve --help": the column of the words and the width they wrap at. */
#define HELP_COL 23
#define HELP_WIDTH 79

/* getopt_long() answers row i of the table with FIRST_VAL + i. */
#define FIRST_VAL 256

static options_parse_fn set_text, set_path, set_number, set_zero_or_number,
    set_slots, set_switch, set_on_off, set_origin, set_priorities,
    set_primary, set_address, set_peers, set_advertise;
static int cluster_checks(const struct options_serve *s, char *msg,
                          size_t cap);

#define AT(field) offsetof(struct options_serve, field)

/* A row is read as a whole, so clang-format leaves the rows as they are. */
/* clang-format off */

static const struct options_serve_option table[] = {
    {.name = "port", .arg = "N", .env = "WENDA_PORT", .def = "8080",
     .parse = set_number, .type = OPTIONS_UINT, .offset = AT(http.port),
     .min = 1, .max = 65535, .noun = "a port number",
     .help = "port to listen on"},
    {.name = "bind", .arg = "ADDR", .env = "WENDA_BIND", .def = "127.0.0.1",
     .parse = set_text, .offset = AT(http.bind),
     .help = "address to listen on"},
    {.name = "db", .arg = "PATH", .env = "WENDA_DB",
     .def = OPTIONS_DEFAULT_DB, .parse = set_path, .offset = AT(http.db_path),
     .help = "database file"},
    {.name = "content", .arg = "DIR", .env = "WENDA_CONTENT",
     .def = "content", .parse = set_text, .offset = AT(content),
     .help = "content to import into a new database"},
    {.name = "threads", .arg = "N", .env = "WENDA_THREADS", .def = "0",
     .parse = set_number, .type = OPTIONS_UINT, .offset = AT(http.threads),
     .min = 0, .max = 256, .noun = "a number",
     .help = "I/O threads, 0 = one per core"},
    {.name = "max-connections", .arg = "N", .env = "WENDA_MAX_CONNECTIONS",
     .def = "10000", .parse = set_number, .type = OPTIONS_UINT,
     .offset = AT(http.max_connections), .min = 1, .max = 100000,
     .noun = "a number",
     .help = "open connections at most, within the open-file limit"},
    {.name = "idle-timeout", .arg = "S", .env = "WENDA_IDLE_TIMEOUT",
     .def = "30", .parse = set_number, .type = OPTIONS_UINT,
     .offset = AT(http.idle_timeout), .min = 1, .max = 86400,
     .noun = "a number of seconds",
     .help = "close a connection idle this long, or whose request takes "
             "longer to arrive"},
    {.name = "max-body", .arg = "BYTES", .env = "WENDA_MAX_BODY",
     .def = "1048576", .parse = set_number, .type = OPTIONS_SIZE,
     .offset = AT(http.max_body), .min = 0, .max = 1UL << 30,
     .noun = "a byte count", .help = "largest request body"},
    {.name = "search-slots", .arg = "N", .env = "WENDA_SEARCH_SLOTS",
     .def_help = "one per thread", .parse = set_slots, .type = OPTIONS_UINT,
     .offset = AT(http.search_slots), .min = 0, .max = 1024,
     .noun = "a number",
     .help = "searches at once; 0 turns search off (503)"},
    {.name = "search-wait", .arg = "MS", .env = "WENDA_SEARCH_WAIT_MS",
     .def = "100", .parse = set_number, .type = OPTIONS_UINT,
     .offset = AT(http.search_wait_ms), .min = 0, .max = 60000,
     .noun = "a number of milliseconds",
     .help = "how long a search waits for a slot before 503"},
    {.name = "drain-timeout", .arg = "S", .env = "WENDA_DRAIN_TIMEOUT",
     .def = "10", .parse = set_number, .type = OPTIONS_UINT,
     .offset = AT(http.drain_timeout), .min = 0, .max = 3600,
     .noun = "a number of seconds",
     .help = "on SIGTERM, how long requests in flight may take"},
    {.name = "log", .arg = "FILE", .env = "WENDA_LOG",
     .def_help = "standard error", .parse = set_path,
     .offset = AT(http.log_path),
     .help = "append messages to FILE, re-opened on SIGHUP"},
    {.name = "private", .env = "WENDA_PRIVATE", .def = "0", .parse = set_switch,
     .type = OPTIONS_BOOL, .offset = AT(http.private_reads),
     .help = "reads need a reader token too"},
    {.name = "write-queue", .arg = "N", .env = "WENDA_WRITE_QUEUE",
     .def = "256", .parse = set_number, .type = OPTIONS_SIZE,
     .offset = AT(http.write_queue), .min = 1, .max = 1UL << 20,
     .noun = "a number",
     .help = "writes that may wait for the writer before 503"},
    {.name = "write-batch", .arg = "N", .env = "WENDA_WRITE_BATCH",
     .def = "64", .parse = set_number, .type = OPTIONS_SIZE,
     .offset = AT(http.write_batch), .min = 1, .max = 64, .noun = "a number",
     .help = "writes committed in one transaction; 1 turns group commit "
             "off"},
    {.name = "cors-origin", .arg = "ORIGIN", .env = "WENDA_CORS_ORIGIN",
     .def_help = "none", .parse = set_origin, .offset = AT(http.cors_origin),
     .help = "browsers on ORIGIN may call the API; '*' lets any page read"},
    {.name = "access-log", .arg = "on|off", .env = "WENDA_ACCESS_LOG",
     .def = "off", .parse = set_on_off, .type = OPTIONS_BOOL,
     .offset = AT(http.access_log),
     .help = "one JSON line per request to the log"},
    {.name = "tls-cert", .arg = "FILE", .env = "WENDA_TLS_CERT",
     .parse = set_text, .offset = AT(http.tls_cert),
     .help = "PEM certificate: serve HTTPS"},
    {.name = "tls-key", .arg = "FILE", .env = "WENDA_TLS_KEY",
     .parse = set_text, .offset = AT(http.tls_key),
     .help = "PEM private key of --tls-cert"},
    {.name = "tls-priorities", .arg = "STRING", .env = "WENDA_TLS_PRIORITIES",
     .def = HTTP_TLS_PRIORITIES_DEFAULT,
     .def_help = "TLS 1.3 and 1.2 with ECDHE and AEAD ciphers only, see "
                 "wenda(1)",
     .parse = set_priorities, .offset = AT(http.tls_priorities),
     .help = "GnuTLS priority string of HTTPS"},
    {.name = "read-only", .env = "WENDA_READ_ONLY", .def = "0",
     .parse = set_switch, .type = OPTIONS_BOOL, .offset = AT(http.read_only),
     .help = "a replica: every write is 405"},
    {.name = "primary-url", .arg = "URL", .env = "WENDA_PRIMARY_URL",
     .def_help = "none", .parse = set_primary,
     .offset = AT(http.primary_url),
     .help = "a replica's primary, named in the answer to a write"},
    {.name = "cluster", .env = "WENDA_CLUSTER", .def = "0",
     .parse = set_switch, .type = OPTIONS_BOOL, .offset = AT(http.cluster),
     .help = "a node of a Raft cluster: needs --node-id and --raft-address"},
    {.name = "node-id", .arg = "N", .env = "WENDA_NODE_ID",
     .def_help = "none", .parse = set_number, .type = OPTIONS_UINT,
     .offset = AT(http.node_id), .min = 1, .max = 65535,
     .noun = "a node id", .help = "this node's id in the cluster"},
    {.name = "raft-address", .arg = "HOST:PORT", .env = "WENDA_RAFT_ADDRESS",
     .def_help = "none", .parse = set_address,
     .offset = AT(http.raft_address),
     .help = "where this node listens for the other nodes' Raft messages"},
    {.name = "peers", .arg = "LIST", .env = "WENDA_PEERS",
     .def_help = "none: join a cluster", .parse = set_peers,
     .offset = AT(http.peers),
     .help = "ID=HOST:PORT,... the voters a new cluster starts with, this "
             "node among them"},
    {.name = "raft-dir", .arg = "DIR", .env = "WENDA_RAFT_DIR",
     .def_help = "the --db file's name with .raft", .parse = set_path,
     .offset = AT(http.raft_dir),
     .help = "the Raft log and snapshots"},
    {.name = "advertise-url", .arg = "URL", .env = "WENDA_ADVERTISE_URL",
     .def_help = "http(s)://BIND:PORT", .parse = set_advertise,
     .offset = AT(http.advertise_url),
     .help = "this node's base URL, where the other nodes send writes"},
    {.name = "read-wait", .arg = "MS", .env = "WENDA_READ_WAIT_MS",
     .def = "2000", .parse = set_number, .type = OPTIONS_UINT,
     .offset = AT(http.read_wait_ms), .min = 0, .max = 60000,
     .noun = "a number of milliseconds",
     .help = "how long a read with min_index waits for the node to apply "
             "it before 503"},
    {.name = "cache-size", .arg = "KIB", .env = "WENDA_CACHE_SIZE",
     .def = "2000", .parse = set_number, .type = OPTIONS_INT64,
     .offset = AT(http.tuning.cache_kib), .min = 64, .max = 1UL << 24,
     .noun = "a number of KiB",
     .help = "SQLite page cache of each connection, in KiB"},
    {.name = "mmap-size", .arg = "BYTES", .env = "WENDA_MMAP_SIZE",
     .def = "0", .parse = set_number, .type = OPTIONS_INT64,
     .offset = AT(http.tuning.mmap_bytes), .min = 0, .max = 1UL << 40,
     .noun = "a number of bytes",
     .help = "bytes of the database read through mmap, 0 for none"},
    {.name = "search-cap", .arg = "N", .env = "WENDA_SEARCH_CAP",
     .def = "1000", .parse = set_zero_or_number, .type = OPTIONS_INT64,
     .offset = AT(http.tuning.search_cap), .min = WENDA_SEARCH_MAX_LIMIT,
     .max = 1UL << 30, .noun = "a number",
     .help = "matches of one search that are scored, 0 for all; the rest "
             "rank after them"},
    {.name = "search-count", .arg = "N", .env = "WENDA_SEARCH_COUNT",
     .def = "1000", .parse = set_number, .type = OPTIONS_INT64,
     .offset = AT(http.tuning.search_count), .min = 0, .max = 1UL << 30,
     .noun = "a number",
     .help = "matches of one search counted for its total, 0 for all; past "
             "them (or past the cap, if more) the total is a floor"},
};
/* clang-format on */

#define NOPTIONS (sizeof(table) / sizeof(table[0]))

static const char help_head[] =
    "usage: wenda serve [OPTION]...\n"
    "\n"
    "Serves the HTTP API.  When the database file does not exist it is\n"
    "created and the content directory imported into it first.  Each\n"
    "option falls back on its environment variable, then on its default.\n"
    "\n";

size_t
options_serve_table(const struct options_serve_option **t)
{
    *t = table;
    return NOPTIONS;
}

const struct options_serve_option *
options_serve_find(const char *name)
{
    size_t i;

    for (i = 0; i < NOPTIONS; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

/* ---- checking and storing values ------------------------------------ */

int
options_parse_uint(const char *s, unsigned long min, unsigned long max,
                   unsigned long *out)
{
    char *end;
    unsigned long v;

    if (s == NULL || s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Stores s (an OPTIONS_TEXT field) or n (any other) in o's field of s. */
static void
store(const struct options_serve_option *o, struct options_serve *s,
      const char *str, unsigned long n)
{
    char *at = (char *)s + o->offset;
    unsigned int u = (unsigned int)n;
    size_t z = (size_t)n;
    int64_t i64 = (int64_t)n;
    int b = n != 0;

    switch (o->type) {
    case OPTIONS_TEXT: memcpy(at, &str, sizeof(str)); break;
    case OPTIONS_UINT: memcpy(at, &u, sizeof(u)); break;
    case OPTIONS_SIZE: memcpy(at, &z, sizeof(z)); break;
    case OPTIONS_INT64: memcpy(at, &i64, sizeof(i64)); break;
    case OPTIONS_BOOL: memcpy(at, &b, sizeof(b)); break;
    }
}

/* Any string, the empty one too. */
static int
set_text(const struct options_serve_option *o, const char *v,
         struct options_serve *s, char *msg, size_t cap)
{
    (void)msg;
    (void)cap;
    store(o, s, v, 0);
    return 0;
}

/* A file name, which must not be empty. */
static int
set_path(const struct options_serve_option *o, const char *v,
         struct options_serve *s, char *msg, size_t cap)
{
    if (v[0] == '\0') {
        (void)snprintf(msg, cap, "--%s: must not be empty", o->name);
        return -1;
    }
    store(o, s, v, 0);
    return 0;
}

/* A decimal number from o->min to o->max. */
static int
set_number(const struct options_serve_option *o, const char *v,
           struct options_serve *s, char *msg, size_t cap)
{
    unsigned long n;

    if (options_parse_uint(v, o->min, o->max, &n) != 0) {
        (void)snprintf(msg, cap, "--%s: '%s' is not %s from %lu to %lu",
                       o->name, v, o->noun, o->min, o->max);
        return -1;
    }
    store(o, s, v, n);
    return 0;
}

/* 0, or a decimal number from o->min to o->max. */
static int
set_zero_or_number(const struct options_serve_option *o, const char *v,
                   struct options_serve *s, char *msg, size_t cap)
{
    unsigned long n;

    if (options_parse_uint(v, 0, o->max, &n) != 0 || (n > 0 && n < o->min)) {
        (void)snprintf(msg, cap, "--%s: '%s' is not 0 or %s from %lu to %lu",
                       o->name, v, o->noun, o->min, o->max);
        return -1;
    }
    store(o, s, v, n);
    return 0;
}

/* The search slots, a number; 0 of them turns search off. */
static int
set_slots(const struct options_serve_option *o, const char *v,
          struct options_serve *s, char *msg, size_t cap)
{
    if (set_number(o, v, s, msg, cap) != 0)
        return -1;
    s->http.search_off = s->http.search_slots == 0;
    return 0;
}

/* A switch: "1" (what the option means) or "0".  Only its variable can
 * hold anything else, so the message names the variable. */
static int
set_switch(const struct options_serve_option *o, const char *v,
           struct options_serve *s, char *msg, size_t cap)
{
    if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
        (void)snprintf(msg, cap, "%s: '%s' is not 0 or 1", o->env, v);
        return -1;
    }
    store(o, s, v, v[0] == '1');
    return 0;
}

static int
set_on_off(const struct options_serve_option *o, const char *v,
           struct options_serve *s, char *msg, size_t cap)
{
    if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
        (void)snprintf(msg, cap, "--%s: '%s' is not on or off", o->name, v);
        return -1;
    }
    store(o, s, v, strcmp(v, "on") == 0);
    return 0;
}

/*
 * "*", or scheme://host[:port] as a browser sends it in Origin: no path,
 * no spaces, nothing that could split a header.
 */
static int
valid_origin(const char *o)
{
    const char *host;

    if (strcmp(o, "*") == 0)
        return 1;
    if (strncmp(o, "http://", 7) == 0)
        host = o + 7;
    else if (strncmp(o, "https://", 8) == 0)
        host = o + 8;
    else
        return 0;
    if (*host == '\0' || strlen(o) > 255)
        return 0;
    for (; *host != '\0'; host++) {
        unsigned char c = (unsigned char)*host;

        if (!(isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' ||
              c == ']'))
            return 0;
    }
    return 1;
}

static int
set_origin(const struct options_serve_option *o, const char *v,
           struct options_serve *s, char *msg, size_t cap)
{
    if (!valid_origin(v)) {
        (void)snprintf(msg, cap,
                       "--%s: '%s' is not '*' or an origin such "
                       "as https://example.org",
                       o->name, v);
        return -1;
    }
    store(o, s, v, 0);
    return 0;
}

/* Returns the length of v's "https://" or "http://", or 0 for neither. */
static size_t
scheme_len(const char *v)
{
    return strncmp(v, "https://", 8) == 0  ? 8
           : strncmp(v, "http://", 7) == 0 ? 7
                                           : 0;
}

/*
 * A replica's primary: http:// or https://, a host, and optionally a port
 * and a path, in printable ASCII without a query or fragment.
 */
static int
set_primary(const struct options_serve_option *o, const char *v,
            struct options_serve *s, char *msg, size_t cap)
{
    size_t skip = scheme_len(v);
    size_t n = strlen(v), i;
    int ok = skip > 0 && n > skip && n <= 200 && v[skip] != '/';

    for (i = 0; ok && i < n; i++)
        ok = v[i] > ' ' && v[i] < 0x7f && v[i] != '?' && v[i] != '#' &&
             v[i] != '"' && v[i] != '\\';
    if (!ok) {
        (void)snprintf(msg, cap, "--%s: '%s' is not an http:// or https:// "
                       "URL such as https://primary.example:8080 (at most "
                       "200 bytes, no query)", o->name, v);
        return -1;
    }
    store(o, s, v, 0);
    return 0;
}

/*
 * Returns 1 when a is HOST:PORT as a Raft address is given: a host name
 * or IPv4 address (letters, digits, dots and hyphens; Raft runs over IPv4
 * only), then a port from 1 to 65535, in fewer than CLUSTER_ADDRESS_CAP
 * bytes.
 */
static int
valid_address(const char *a)
{
    const char *colon = strrchr(a, ':');
    unsigned long port;
    size_t n, i;

    if (colon == NULL || strlen(a) >= CLUSTER_ADDRESS_CAP ||
        options_parse_uint(colon + 1, 1, 65535, &port) != 0)
        return 0;
    n = (size_t)(colon - a);
    for (i = 0; i < n; i++)
        if (!isalnum((unsigned char)a[i]) && a[i] != '.' && a[i] != '-')
            return 0;
    return n > 0;
}

static int
set_address(const struct options_serve_option *o, const char *v,
            struct options_serve *s, char *msg, size_t cap)
{
    if (!valid_address(v)) {
        (void)snprintf(msg, cap, "--%s: '%s' is not HOST:PORT such as "
                       "10.0.0.1:7000 or wenda-1.example:7000 (a name or "
                       "an IPv4 address)", o->name, v);
        return -1;
    }
    store(o, s, v, 0);
    return 0;
}

/* The bootstrap voters: cluster.c says what a list must be.  That it
 * names this node is checked with the other options of a cluster. */
static int
set_peers(const struct options_serve_option *o, const char *v,
          struct options_serve *s, char *msg, size_t cap)
{
    char why[256];

    if (cluster_peers_valid(v, 0, why, sizeof(why)) != 0) {
        (void)snprintf(msg, cap, "--%s: '%s' is not ID=HOST:PORT,...: %s",
                       o->name, v, why);
        return -1;
    }
    store(o, s, v, 0);
    return 0;
}

/*
 * This node's base URL: http:// or https://, a host and optionally a
 * port, nothing after them (the API's paths are added to it), in printable
 * ASCII of fewer than CLUSTER_URL_CAP bytes.
 */
static int
set_advertise(const struct options_serve_option *o, const char *v,
              struct options_serve *s, char *msg, size_t cap)
{
    size_t skip = scheme_len(v);
    size_t n = strlen(v), i;
    int ok = skip > 0 && n > skip && n < CLUSTER_URL_CAP;

    for (i = skip; ok && i < n; i++)
        ok = isalnum((unsigned char)v[i]) || v[i] == '.' || v[i] == '-' ||
             v[i] == ':' || v[i] == '[' || v[i] == ']';
    if (!ok) {
        (void)snprintf(msg, cap, "--%s: '%s' is not an http:// or https:// "
                       "URL of a host and port such as "
                       "http://10.0.0.1:8080 (no path)", o->name, v);
        return -1;
    }
    store(o, s, v, 0);
    return 0;
}

static int
set_priorities(const struct options_serve_option *o, const char *v,
               struct options_serve *s, char *msg, size_t cap)
{
    const char *bad;

    if (http_tls_priorities_check(v, &bad) != 0) {
        (void)snprintf(msg, cap,
                       "--%s: '%s' is not a GnuTLS priority "
                       "string that enables a TLS version (wrong from '%s'; "
                       "see gnutls-cli --priority STRING --list)",
                       o->name, v, bad);
        return -1;
    }
    store(o, s, v, 0);
    return 0;
}

/* ---- the command line ------------------------------------------------- */

const char *
options_env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);

    return v != NULL && v[0] != '\0' ? v : fallback;
}

/*
 * Rewrites msg, a parse error of option o that begins with "--name", to
 * name the variable its value came from instead ("WENDA_PORT: 'abc' is
 * not ..."), since the command line never held it.
 */
static void
name_the_variable(const struct options_serve_option *o, char *msg,
                  size_t cap)
{
    char rest[512];
    size_t n = strlen(o->name);

    if (strncmp(msg, "--", 2) != 0 || strncmp(msg + 2, o->name, n) != 0)
        return;
    (void)snprintf(rest, sizeof(rest), "%s", msg + 2 + n);
    (void)snprintf(msg, cap, "%s%s", o->env, rest);
}

enum options_result
options_serve_parse(int argc, char **argv, struct options_serve *s, char *msg,
                    size_t cap)
{
    struct option lo[NOPTIONS + 2];
    const char *value[NOPTIONS];
    int from_env[NOPTIONS];
    size_t i;
    int c;

    memset(s, 0, sizeof(*s));
    memset(lo, 0, sizeof(lo));
    for (i = 0; i < NOPTIONS; i++) {
        lo[i].name = table[i].name;
        lo[i].has_arg = table[i].arg != NULL ? required_argument : no_argument;
        lo[i].val = FIRST_VAL + (int)i;
        value[i] = options_env_or(table[i].env, table[i].def);
        from_env[i] = value[i] != table[i].def;
    }
    lo[NOPTIONS].name = "help";
    lo[NOPTIONS].val = 'h';
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        if (c == 'h') {
            options_serve_help(stdout);
            return OPTIONS_HELP;
        }
        if (c < FIRST_VAL) {
            (void)snprintf(msg, cap, "bad option");
            return OPTIONS_BAD;
        }
        i = (size_t)(c - FIRST_VAL);
        value[i] = table[i].arg != NULL ? optarg : "1";
        from_env[i] = 0;
    }
    if (optind < argc) {
        (void)snprintf(msg, cap, "unexpected argument '%s'", argv[optind]);
        return OPTIONS_BAD;
    }
    for (i = 0; i < NOPTIONS; i++)
        if (value[i] != NULL &&
            table[i].parse(&table[i], value[i], s, msg, cap) != 0) {
            if (from_env[i])
                name_the_variable(&table[i], msg, cap);
            return OPTIONS_BAD;
        }
    if ((s->http.tls_cert == NULL) != (s->http.tls_key == NULL)) {
        (void)snprintf(msg, cap, "--tls-cert and --tls-key go together");
        return OPTIONS_BAD;
    }
    if (cluster_checks(s, msg, cap) != 0)
        return OPTIONS_BAD;
    return OPTIONS_OK;
}

/*
 * Checks the options of a cluster together: --cluster needs --node-id and
 * --raft-address and takes no --read-only (a node's writes go to its
 * leader, not to a primary); the other options of a node mean nothing
 * without it; --peers must name this node.  Returns 0, or -1 with the
 * problem in msg.
 */
static int
cluster_checks(const struct options_serve *s, char *msg, size_t cap)
{
    const struct http_config *h = &s->http;
    const char *stray = h->node_id != 0            ? "--node-id"
                        : h->raft_address != NULL  ? "--raft-address"
                        : h->peers != NULL         ? "--peers"
                        : h->raft_dir != NULL      ? "--raft-dir"
                        : h->advertise_url != NULL ? "--advertise-url"
                                                   : NULL;
    char why[256];

    if (!h->cluster) {
        if (stray == NULL)
            return 0;
        (void)snprintf(msg, cap, "%s is an option of a cluster node: it "
                       "needs --cluster", stray);
        return -1;
    }
    if (h->node_id == 0 || h->raft_address == NULL) {
        (void)snprintf(msg, cap, "--cluster needs --node-id and "
                       "--raft-address");
        return -1;
    }
    if (h->read_only) {
        (void)snprintf(msg, cap, "--cluster and --read-only do not go "
                       "together: a node that is not the leader sends "
                       "writes to it");
        return -1;
    }
    if (h->peers != NULL &&
        cluster_peers_valid(h->peers, h->node_id, why, sizeof(why)) != 0) {
        (void)snprintf(msg, cap, "--peers: '%s' must name this node "
                       "(--node-id %u): %s", h->peers, h->node_id, why);
        return -1;
    }
    return 0;
}

/* ---- help --------------------------------------------------------------- */

/* Writes the words of text to f, the first at column col, the others
 * wrapped before HELP_WIDTH onto lines indented to HELP_COL. */
static void
wrap(FILE *f, const char *words, int col)
{
    int first = 1;

    while (*words != '\0') {
        int n = (int)strcspn(words, " ");

        if (!first && col + 1 + n > HELP_WIDTH) {
            fprintf(f, "\n%*s", HELP_COL, "");
            col = HELP_COL;
        } else if (!first) {
            fputc(' ', f);
            col++;
        }
        fwrite(words, 1, (size_t)n, f);
        col += n;
        first = 0;
        words += n;
        words += strspn(words, " ");
    }
    fputc('\n', f);
}

void
options_serve_help(FILE *f)
{
    size_t i;

    fputs(help_head, f);
    for (i = 0; i < NOPTIONS; i++) {
        const struct options_serve_option *o = &table[i];
        char words[512];
        int col;

        col = fprintf(f, "  --%s%s%s", o->name, o->arg != NULL ? " " : "",
                      o->arg != NULL ? o->arg : "");
        fprintf(f, "%*s", col < HELP_COL ? HELP_COL - col : 2, "");
        col = col < HELP_COL ? HELP_COL : col + 2;
        if (o->arg == NULL)
            (void)snprintf(words, sizeof(words), "%s (%s=1)", o->help, o->env);
        else if (o->def_help != NULL)
            (void)snprintf(words, sizeof(words), "%s (%s, default: %s)",
                           o->help, o->env, o->def_help);
        else if (o->def != NULL)
            (void)snprintf(words, sizeof(words), "%s (%s, default %s)", o->help,
                           o->env, o->def);
        else
            (void)snprintf(words, sizeof(words), "%s (%s)", o->help, o->env);
        wrap(f, words, col);
    }
}
