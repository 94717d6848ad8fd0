/*
 * cluster_cli.c -- "wenda cluster": a cluster's members, seen and changed
 * over the HTTP API of one of its nodes.
 *
 * The command is a client, as curl is: it opens no database and keeps no
 * state.  status asks the node that --server names for GET /v1/cluster,
 * which any member answers for itself; add and remove send POST
 * /v1/cluster/nodes and DELETE /v1/cluster/nodes/ID, which only the leader
 * carries out, so a follower's 307 is followed to the leader with the
 * method and the body kept.  The admin token goes along on that redirect
 * (libcurl drops an Authorization header when the host or port changes,
 * unless told otherwise: the leader is a member of the cluster the token
 * is for), but only over the scheme --server has, so that the token of an
 * https server never travels in clear.
 *
 * Every argument is checked before a connection is opened, and a bad one
 * is a usage error (exit 2) that names it; a request that fails, or that
 * the server refuses, exits 1 with libcurl's reason or the server's
 * problem detail.  Every request is bounded: --timeout seconds in all,
 * redirects included, and the answer at most REPLY_MAX bytes.
 */
#include "cluster_cli.h"

#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "wenda/auth.h"

#define EXIT_FAILED 1
#define EXIT_USAGE CLI_EXIT_USAGE

#define DEFAULT_SERVER "http://127.0.0.1:8080"
#define TIMEOUT_DEFAULT_S 10
#define TIMEOUT_MAX_S 300
#define CONNECT_TIMEOUT_MS 5000L
#define MAX_REDIRECTS 5L
#define URL_MAX 512
#define NODE_ID_MAX 65535
#define PORT_MAX 65535
#define REPLY_MAX ((size_t)1 << 20)
#define ECHO_MAX 64     /* a value quoted in a message, at most */
#define SNIPPET_MAX 200 /* of an answer that is not a problem document */

/* What one subcommand is asked to do, every value checked. */
struct cluster_args {
    const char *cmd;      /* "cluster status", for messages */
    const char *server;   /* --server, WENDA_SERVER or the default */
    size_t server_len;    /* without its trailing slashes */
    const char *token;    /* --token or WENDA_TOKEN */
    const char *address;  /* --address, or NULL */
    const char *url;      /* --url, or NULL */
    unsigned long id;     /* --id, 0 when not given */
    long timeout_s;       /* --timeout */
    int json;             /* --json: the document as it came */
};

/* One answer: its status (0 when none came) and its body. */
struct reply {
    long status;
    struct buf body;
    int too_big;                      /* the body passed REPLY_MAX */
    char *answered_by;                /* the URL that answered after a
                                         redirect, or NULL */
    char error[CURL_ERROR_SIZE];      /* libcurl's reason, when it failed */
};

/* A subcommand: its options, its help, and what it does. */
struct sub {
    const char *name;
    const char *help;
    const struct option *opts;
    int (*check)(struct cluster_args *a);
    int (*run)(const struct cluster_args *a);
};

static const char *echo(const char *s);
static int is_digit(char c);
static int is_alnum(char c);
static int parse_number(const char *s, size_t n, unsigned long max,
                        unsigned long *out);
static size_t host_len(const char *s);
static int sub_options(const struct sub *sub, int argc, char **argv,
                       struct cluster_args *a);
static int set_option(struct cluster_args *a, int c, const char *value);
static int check_common(struct cluster_args *a);
static int check_status(struct cluster_args *a);
static int check_add(struct cluster_args *a);
static int check_remove(struct cluster_args *a);
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata);
static int request(const struct cluster_args *a, const char *method,
                   const char *path, const char *body, struct reply *r);
static void set_curl_options(CURL *easy, const struct cluster_args *a,
                             const char *method, const char *body,
                             struct reply *r);
static void reply_cleanup(struct reply *r);
static int failed(const struct cluster_args *a, const struct reply *r);
static const char *clean(const char *s, char *out, size_t cap);
static const char *member_text(const json_t *o, const char *key, char *out,
                               size_t cap);
static void print_status(const json_t *doc);
static void print_nodes(const json_t *nodes, json_int_t self,
                        json_int_t leader);
static int print_document(const struct cluster_args *a,
                          const struct reply *r);
static int run_status(const struct cluster_args *a);
static int run_add(const struct cluster_args *a);
static int run_remove(const struct cluster_args *a);

#define COMMON_HELP                                                          \
    "  --server URL    the HTTP base URL of a node (WENDA_SERVER, default\n" \
    "                  " DEFAULT_SERVER ")\n"                                \
    "  --token TOKEN   an admin token (WENDA_TOKEN, which unlike an\n"       \
    "                  argument other users cannot read in ps; required)\n"  \
    "  --timeout S     seconds a request may take in all, redirects\n"       \
    "                  included, 1 to 300 (default 10)\n"

static const char cluster_help[] =
    "usage: wenda cluster status [--json] [--server URL] [--token TOKEN]\n"
    "                            [--timeout S]\n"
    "       wenda cluster add --id N --address HOST:PORT --url URL\n"
    "                         [--json] [--server URL] [--token TOKEN]\n"
    "                         [--timeout S]\n"
    "       wenda cluster remove --id N [--server URL] [--token TOKEN]\n"
    "                            [--timeout S]\n"
    "\n"
    "Shows and changes the members of a cluster of wenda servers (serve\n"
    "--cluster) through the HTTP API of one of its nodes.  The leader\n"
    "carries out add and remove: a follower's redirect to it is followed.\n"
    "Exit status 1 when the request fails or the server refuses it (its\n"
    "problem detail is printed), 2 on a usage error.\n" COMMON_HELP
    "'wenda cluster SUBCOMMAND --help' says more.\n";

static const char status_help[] =
    "usage: wenda cluster status [--json] [--server URL] [--token TOKEN]\n"
    "                            [--timeout S]\n"
    "\n"
    "Prints what the node at --server knows of its cluster: its id, role\n"
    "and term, the leader, the commit and applied indexes of its log, and\n"
    "every member with its Raft address, role and URL.\n"
    "  --json          print the document of GET /v1/cluster as it came\n"
    COMMON_HELP;

static const char add_help[] =
    "usage: wenda cluster add --id N --address HOST:PORT --url URL [--json]\n"
    "                         [--server URL] [--token TOKEN] [--timeout S]\n"
    "\n"
    "Asks the leader to add a node as a voter; it catches up from a\n"
    "snapshot and the log.  Start the node first, with --cluster, its\n"
    "--node-id, its --raft-address, an empty Raft directory and no --peers.\n"
    "  --id N          the node's --node-id, 1 to 65535 (required)\n"
    "  --address HOST:PORT\n"
    "                  its --raft-address (required)\n"
    "  --url URL       its --advertise-url, where the other nodes send\n"
    "                  clients (required)\n"
    "  --json          print the cluster's document as it came\n"
    COMMON_HELP;

static const char remove_help[] =
    "usage: wenda cluster remove --id N [--server URL] [--token TOKEN]\n"
    "                            [--timeout S]\n"
    "\n"
    "Asks the leader to remove the node with id N from the cluster.\n"
    "  --id N          the node's id, 1 to 65535 (required)\n" COMMON_HELP;

#define COMMON_OPTIONS                                                       \
    {"server", required_argument, NULL, 's'},                                \
        {"token", required_argument, NULL, 't'},                             \
        {"timeout", required_argument, NULL, 'T'},                           \
        {"help", no_argument, NULL, 'h'}

static const struct option status_opts[] = {
    {"json", no_argument, NULL, 'j'},
    COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

static const struct option add_opts[] = {
    {"id", required_argument, NULL, 'i'},
    {"address", required_argument, NULL, 'a'},
    {"url", required_argument, NULL, 'u'},
    {"json", no_argument, NULL, 'j'},
    COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

static const struct option remove_opts[] = {
    {"id", required_argument, NULL, 'i'},
    COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

static const struct sub subs[] = {
    {"status", status_help, status_opts, check_status, run_status},
    {"add", add_help, add_opts, check_add, run_add},
    {"remove", remove_help, remove_opts, check_remove, run_remove},
};


/* Returns s when it is short enough to quote in a message (a token pasted
 * in the wrong place is not), else "...". */
static const char *
echo(const char *s)
{
    return strlen(s) <= ECHO_MAX ? s : "...";
}

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int
is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Parses the n bytes at s, decimal digits only, as a number from 1 to max
 * into *out.  Returns 0, or -1 with *out unchanged.
 */
static int
parse_number(const char *s, size_t n, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;
    size_t i;

    if (n == 0 || n > 10)
        return -1;
    for (i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
        if (v > max)
            return -1;
    }
    if (v == 0)
        return -1;
    *out = v;
    return 0;
}

/*
 * Returns the length of the host that s starts with: a name or IPv4
 * address (labels of letters, digits and '-' joined by single dots, at
 * most 253 bytes) or an IPv6 address in brackets; 0 when there is none.
 */
static size_t
host_len(const char *s)
{
    size_t n = 0, label = 0;

    if (s[0] == '[') {
        for (n = 1; s[n] == ':' || s[n] == '.' || is_alnum(s[n]); n++)
            if (is_alnum(s[n]) && !is_digit(s[n]) &&
                !((s[n] | 0x20) >= 'a' && (s[n] | 0x20) <= 'f'))
                return 0;
        return s[n] == ']' && n > 2 ? n + 1 : 0;
    }
    for (;; n++) {
        if (is_alnum(s[n]) || s[n] == '-')
            label++;
        else if (s[n] == '.' && label > 0)
            label = 0;
        else
            break;
    }
    return label > 0 && n <= 253 ? n : 0;
}

int
cluster_cli_parse_id(const char *s, unsigned long *id)
{
    return parse_number(s, strlen(s), NODE_ID_MAX, id);
}

int
cluster_cli_address_valid(const char *s)
{
    size_t h = host_len(s);
    unsigned long port;

    return h > 0 && s[h] == ':' &&
           parse_number(s + h + 1, strlen(s + h + 1), PORT_MAX, &port) == 0;
}

int
cluster_cli_url_valid(const char *s)
{
    size_t n, h;
    unsigned long port;

    if (strlen(s) > URL_MAX)
        return 0;
    if (strncmp(s, "http://", 7) == 0)
        s += 7;
    else if (strncmp(s, "https://", 8) == 0)
        s += 8;
    else
        return 0;
    h = host_len(s);
    if (h == 0)
        return 0;
    s += h;
    if (*s == ':') {
        n = strcspn(s + 1, "/");
        if (parse_number(s + 1, n, PORT_MAX, &port) != 0)
            return 0;
        s += 1 + n;
    }
    if (*s != '\0' && *s != '/')
        return 0;
    for (; *s != '\0'; s++)
        if (*s < 0x21 || *s > 0x7e || *s == '?' || *s == '#')
            return 0;
    return 1;
}

/* Stores the value of option c in *a.  Returns 0, or a usage error. */
static int
set_option(struct cluster_args *a, int c, const char *value)
{
    unsigned long v;

    switch (c) {
    case 's': a->server = value; return 0;
    case 't': a->token = value; return 0;
    case 'a': a->address = value; return 0;
    case 'u': a->url = value; return 0;
    case 'j': a->json = 1; return 0;
    case 'i':
        if (cluster_cli_parse_id(value, &a->id) != 0)
            return cli_bad_usage(a->cmd, "--id: '%s' is not a node id: a number "
                             "from 1 to %d", echo(value), NODE_ID_MAX);
        return 0;
    case 'T':
        if (parse_number(value, strlen(value), TIMEOUT_MAX_S, &v) != 0)
            return cli_bad_usage(a->cmd, "--timeout: '%s' is not a number of "
                             "seconds from 1 to %d", echo(value),
                             TIMEOUT_MAX_S);
        a->timeout_s = (long)v;
        return 0;
    default: return cli_bad_usage(a->cmd, "%s", "bad option");
    }
}

/*
 * Parses the options of sub into *a and checks them.  Returns 0, -1 after
 * printing help, or the exit status of a usage error.
 */
static int
sub_options(const struct sub *sub, int argc, char **argv,
            struct cluster_args *a)
{
    const char *env;
    int c, rc;

    env = getenv("WENDA_SERVER");
    a->server = env != NULL && env[0] != '\0' ? env : DEFAULT_SERVER;
    env = getenv("WENDA_TOKEN");
    a->token = env != NULL && env[0] != '\0' ? env : NULL;
    a->timeout_s = TIMEOUT_DEFAULT_S;
    while ((c = getopt_long(argc, argv, "h", sub->opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(sub->help, stdout);
            return -1;
        }
        rc = set_option(a, c, optarg);
        if (rc != 0)
            return rc;
    }
    if (optind < argc)
        return cli_bad_usage(a->cmd, "unexpected argument '%s'",
                         echo(argv[optind]));
    rc = check_common(a);
    return rc != 0 ? rc : sub->check(a);
}

/* Checks the options every subcommand has: --server and --token. */
static int
check_common(struct cluster_args *a)
{
    if (!cluster_cli_url_valid(a->server))
        return cli_bad_usage(a->cmd, "--server: '%s' is not a node's URL: "
                         "http:// or https://, a host and perhaps a port "
                         "(e.g. " DEFAULT_SERVER ")", echo(a->server));
    a->server_len = strlen(a->server);
    while (a->server_len > 0 && a->server[a->server_len - 1] == '/')
        a->server_len--;
    if (a->token == NULL)
        return cli_bad_usage(a->cmd, "%s", "needs an admin token: --token "
                         "TOKEN or WENDA_TOKEN (wenda token create --role "
                         "admin)");
    /* Never quoted: it may be a real token with a typo. */
    if (!wenda_auth_token_well_formed(a->token))
        return cli_bad_usage(a->cmd, "%s", "--token (or WENDA_TOKEN) is not a "
                         "token: " WENDA_TOKEN_PREFIX " and 43 characters");
    return 0;
}

static int
check_status(struct cluster_args *a)
{
    if (a->id != 0 || a->address != NULL || a->url != NULL)
        return cli_bad_usage(a->cmd, "%s", "takes no node");
    return 0;
}

static int
check_add(struct cluster_args *a)
{
    if (a->id == 0)
        return cli_bad_usage(a->cmd, "%s", "--id is required: the new node's "
                         "--node-id, 1 to 65535");
    if (a->address == NULL)
        return cli_bad_usage(a->cmd, "%s", "--address is required: the new "
                         "node's --raft-address, HOST:PORT");
    if (!cluster_cli_address_valid(a->address))
        return cli_bad_usage(a->cmd, "--address: '%s' is not HOST:PORT (a "
                         "name, an IPv4 address or [an IPv6 one], and a "
                         "port from 1 to 65535)", echo(a->address));
    if (a->url == NULL)
        return cli_bad_usage(a->cmd, "%s", "--url is required: the new node's "
                         "--advertise-url, e.g. http://HOST:PORT");
    if (!cluster_cli_url_valid(a->url))
        return cli_bad_usage(a->cmd, "--url: '%s' is not a node's URL: http:// "
                         "or https://, a host and perhaps a port",
                         echo(a->url));
    return 0;
}

static int
check_remove(struct cluster_args *a)
{
    if (a->id == 0)
        return cli_bad_usage(a->cmd, "%s", "--id is required: the id of the "
                         "node to remove, 1 to 65535");
    return 0;
}

/* libcurl's write callback: appends to the reply, up to REPLY_MAX. */
static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct reply *r = userdata;
    size_t n = size * nmemb;

    if (r->body.n + n > REPLY_MAX) {
        r->too_big = 1;
        return 0;
    }
    wenda_buf_add(&r->body, ptr, n);
    return wenda_buf_failed(&r->body) ? 0 : n;
}

/*
 * Sets the options of one request on easy, reset: method, body (NULL:
 * none), the redirects it follows and the bounds it keeps, and where the
 * answer goes (r).
 */
static void
set_curl_options(CURL *easy, const struct cluster_args *a,
                 const char *method, const char *body, struct reply *r)
{
    const char *scheme = strncmp(a->server, "https:", 6) == 0 ? "https"
                                                              : "http,https";
    long timeout_ms = a->timeout_s * 1000L;

    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, scheme);
    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, scheme);
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(easy, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
    curl_easy_setopt(easy, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL);
    curl_easy_setopt(easy, CURLOPT_UNRESTRICTED_AUTH, 1L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     timeout_ms < CONNECT_TIMEOUT_MS ? timeout_ms
                                                     : CONNECT_TIMEOUT_MS);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "wenda/" WENDA_VERSION);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, r->error);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, r);
    if (body != NULL) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)strlen(body));
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
}

/*
 * Sends method path (with body as JSON when not NULL) to a->server and
 * fills *r, which the caller releases with reply_cleanup().  Returns 0
 * when an answer came, whatever its status; -1 when none did, with the
 * reason in r->error.
 */
static int
request(const struct cluster_args *a, const char *method, const char *path,
        const char *body, struct reply *r)
{
    struct curl_slist *hdrs = NULL, *grown;
    char url[URL_MAX + 64], auth[WENDA_TOKEN_LEN + 32];
    const char *lines[] = {auth, "Accept: application/json", "Expect:",
                           body != NULL ? "Content-Type: application/json"
                                        : NULL,
                           NULL};
    const char *effective = NULL;
    CURLcode rc = CURLE_OUT_OF_MEMORY;
    CURL *easy;
    size_t i;

    memset(r, 0, sizeof(*r));
    (void)snprintf(url, sizeof(url), "%.*s%s", (int)a->server_len,
                   a->server, path);
    (void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a->token);
    easy = curl_easy_init();
    for (i = 0; easy != NULL && lines[i] != NULL; i++) {
        grown = curl_slist_append(hdrs, lines[i]);
        if (grown == NULL)
            goto cleanup;
        hdrs = grown;
    }
    if (easy == NULL)
        goto cleanup;
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);
    set_curl_options(easy, a, method, body, r);
    rc = curl_easy_perform(easy);
    if (rc == CURLE_OK) {
        (void)curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r->status);
        if (curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &effective) ==
                CURLE_OK &&
            effective != NULL && strcmp(effective, url) != 0)
            r->answered_by = strdup(effective);
    }
cleanup:
    if (rc != CURLE_OK && r->error[0] == '\0')
        (void)snprintf(r->error, sizeof(r->error), "%s",
                       r->too_big ? "the answer is over 1 MiB"
                                  : curl_easy_strerror(rc));
    curl_easy_cleanup(easy);
    curl_slist_free_all(hdrs);
    wenda_buf_add(&r->body, "", 0);
    if (rc == CURLE_OK && r->body.p == NULL) {
        r->status = 0;
        (void)snprintf(r->error, sizeof(r->error), "out of memory");
        rc = CURLE_OUT_OF_MEMORY;
    }
    return rc == CURLE_OK ? 0 : -1;
}

static void
reply_cleanup(struct reply *r)
{
    wenda_buf_cleanup(&r->body);
    free(r->answered_by);
    r->answered_by = NULL;
}

/*
 * Copies s into out (cap bytes), each control byte replaced by '?', so
 * that what a server sends cannot drive the terminal; returns out.
 */
static const char *
clean(const char *s, char *out, size_t cap)
{
    size_t i;

    for (i = 0; s[i] != '\0' && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];

        out[i] = s[i];
        if (c < 0x20 || c == 0x7f)
            out[i] = '?';
    }
    out[i] = '\0';
    return out;
}

/*
 * Says on standard error why the request of r did not succeed: libcurl's
 * reason when no answer came, else the status and the problem document's
 * title, detail and type (or the start of a body that is none).  Returns
 * the exit status, 1.
 */
static int
failed(const struct cluster_args *a, const struct reply *r)
{
    char where[URL_MAX + 1], text[SNIPPET_MAX + 1], title[128], type[128];
    json_t *doc;

    (void)snprintf(where, sizeof(where), "%.*s", (int)a->server_len,
                   a->server);
    if (r->status == 0) {
        fprintf(stderr, "wenda %s: no answer from %s: %s\n", a->cmd, where,
                clean(r->error, text, sizeof(text)));
        return EXIT_FAILED;
    }
    if (r->answered_by != NULL)
        (void)snprintf(where, sizeof(where), "%s", r->answered_by);
    doc = json_loadb(r->body.p, r->body.n, 0, NULL);
    if (json_is_object(doc) &&
        json_is_string(json_object_get(doc, "detail"))) {
        fprintf(stderr, "wenda %s: %s answered %ld %s: %s (%s)\n", a->cmd,
                clean(where, where, sizeof(where)), r->status,
                member_text(doc, "title", title, sizeof(title)),
                member_text(doc, "detail", text, sizeof(text)),
                member_text(doc, "type", type, sizeof(type)));
    } else {
        fprintf(stderr, "wenda %s: %s answered %ld%s%s\n", a->cmd,
                clean(where, where, sizeof(where)), r->status,
                r->body.n > 0 ? ": " : "",
                clean(r->body.p, text, sizeof(text)));
    }
    json_decref(doc);
    return EXIT_FAILED;
}

/*
 * Returns the member key of the object o as text in out (cap bytes,
 * cleaned): a string as it is, a number in decimal, "-" for anything else.
 */
static const char *
member_text(const json_t *o, const char *key, char *out, size_t cap)
{
    const json_t *v = json_object_get(o, key);

    if (json_is_string(v))
        return clean(json_string_value(v), out, cap);
    if (json_is_integer(v))
        (void)snprintf(out, cap, "%" JSON_INTEGER_FORMAT,
                       json_integer_value(v));
    else
        (void)snprintf(out, cap, "-");
    return out;
}

/*
 * Prints the members of nodes (an array of the status document) as a
 * table; self and leader are the ids of the node that answered and of the
 * leader, marked in the last column.
 */
static void
print_nodes(const json_t *nodes, json_int_t self, json_int_t leader)
{
    char id[32], role[32], addr[URL_MAX + 1], url[URL_MAX + 1];
    int wa = 7, wu = 3;
    const json_t *n;
    size_t i;

    json_array_foreach(nodes, i, n) {
        int la = (int)strlen(member_text(n, "address", addr, sizeof(addr)));
        int lu = (int)strlen(member_text(n, "url", url, sizeof(url)));

        wa = la > wa ? la : wa;
        wu = lu > wu ? lu : wu;
    }
    printf("\n%-6s %-8s %-*s %-*s %s\n", "ID", "ROLE", wa, "ADDRESS", wu,
           "URL", "NOTE");
    json_array_foreach(nodes, i, n) {
        json_int_t nid = json_integer_value(json_object_get(n, "id"));
        int is_self = json_is_integer(json_object_get(n, "id")) &&
                      nid == self,
            is_leader = leader > 0 && nid == leader;
        char line[2 * URL_MAX + 128];
        size_t len;

        (void)snprintf(line, sizeof(line), "%-6s %-8s %-*s %-*s %s%s%s",
                       member_text(n, "id", id, sizeof(id)),
                       member_text(n, "role", role, sizeof(role)), wa,
                       member_text(n, "address", addr, sizeof(addr)), wu,
                       member_text(n, "url", url, sizeof(url)),
                       is_leader ? "leader" : "",
                       is_leader && is_self ? ", " : "",
                       is_self ? "this node" : "");
        len = strlen(line);
        while (len > 0 && line[len - 1] == ' ')
            line[--len] = '\0';
        puts(line);
    }
}

/* Prints the status document doc (GET /v1/cluster) for a person. */
static void
print_status(const json_t *doc)
{
    char id[32], role[32], term[32], commit[32], applied[32];
    char lid[32], lurl[URL_MAX + 1];
    const json_t *leader = json_object_get(doc, "leader");
    const json_t *nodes = json_object_get(doc, "nodes");

    printf("node     %s, %s, term %s\n", member_text(doc, "id", id, sizeof(id)),
           member_text(doc, "role", role, sizeof(role)),
           member_text(doc, "term", term, sizeof(term)));
    if (json_is_object(leader))
        printf("leader   node %s at %s\n",
               member_text(leader, "id", lid, sizeof(lid)),
               member_text(leader, "url", lurl, sizeof(lurl)));
    else
        printf("leader   none known\n");
    printf("log      commit index %s, applied index %s\n",
           member_text(doc, "commit_index", commit, sizeof(commit)),
           member_text(doc, "applied_index", applied, sizeof(applied)));
    if (json_is_array(nodes))
        print_nodes(nodes, json_integer_value(json_object_get(doc, "id")),
                    json_is_object(leader)
                        ? json_integer_value(json_object_get(leader, "id"))
                        : 0);
}

/*
 * Prints the status document of a successful answer r: as it came with
 * --json, else as print_status() does.  Returns 0, or 1 when the answer
 * is not such a document.
 */
static int
print_document(const struct cluster_args *a, const struct reply *r)
{
    json_t *doc;

    if (a->json) {
        fwrite(r->body.p, 1, r->body.n, stdout);
        if (r->body.n == 0 || r->body.p[r->body.n - 1] != '\n')
            putchar('\n');
        return 0;
    }
    doc = json_loadb(r->body.p, r->body.n, 0, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        fprintf(stderr, "wenda %s: the answer (%ld) is not a cluster's "
                "status document\n", a->cmd, r->status);
        return EXIT_FAILED;
    }
    print_status(doc);
    json_decref(doc);
    return 0;
}

static int
run_status(const struct cluster_args *a)
{
    struct reply r;
    int rc;

    if (request(a, "GET", "/v1/cluster", NULL, &r) != 0 || r.status != 200)
        rc = failed(a, &r);
    else
        rc = print_document(a, &r);
    reply_cleanup(&r);
    return rc;
}

static int
run_add(const struct cluster_args *a)
{
    json_t *o = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)a->id,
                          "address", a->address, "url", a->url);
    char *body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    struct reply r;
    int rc;

    json_decref(o);
    if (body == NULL) {
        fprintf(stderr, "wenda %s: out of memory\n", a->cmd);
        return EXIT_FAILED;
    }
    if (request(a, "POST", "/v1/cluster/nodes", body, &r) != 0 ||
        r.status < 200 || r.status > 299) {
        rc = failed(a, &r);
    } else {
        if (!a->json)
            printf("added node %lu (%s, %s)\n\n", a->id, a->address,
                   a->url);
        rc = r.body.n > 0 ? print_document(a, &r) : 0;
    }
    free(body);
    reply_cleanup(&r);
    return rc;
}

static int
run_remove(const struct cluster_args *a)
{
    char path[64];
    struct reply r;
    int rc = 0;

    (void)snprintf(path, sizeof(path), "/v1/cluster/nodes/%lu", a->id);
    if (request(a, "DELETE", path, NULL, &r) != 0 || r.status < 200 ||
        r.status > 299)
        rc = failed(a, &r);
    else
        printf("removed node %lu\n", a->id);
    reply_cleanup(&r);
    return rc;
}

int
cluster_cli_main(int argc, char **argv)
{
    struct cluster_args a;
    char cmd[32];
    size_t i;
    int rc;

    if (argc < 2)
        return cli_bad_usage("cluster", "%s", "needs a subcommand: status, add "
                         "or remove");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(cluster_help, stdout);
        return 0;
    }
    for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        if (strcmp(argv[1], subs[i].name) != 0)
            continue;
        memset(&a, 0, sizeof(a));
        (void)snprintf(cmd, sizeof(cmd), "cluster %s", subs[i].name);
        a.cmd = cmd;
        rc = sub_options(&subs[i], argc - 1, argv + 1, &a);
        if (rc != 0)
            return rc < 0 ? 0 : rc;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            fprintf(stderr, "wenda %s: libcurl failed to initialise\n", cmd);
            return EXIT_FAILED;
        }
        rc = subs[i].run(&a);
        curl_global_cleanup();
        return rc;
    }
    return cli_bad_usage("cluster", "unknown subcommand '%s': status, add or "
                     "remove", echo(argv[1]));
}
