/*
 * test_options.c -- the table of serve's options, and what the docs say
 * about it.
 *
 * Parsing runs in the test's own process (Criterion forks one per test,
 * so the variables each test sets stay its own): the defaults, a flag over
 * its variable over the default, and every number at and past its bounds.
 * Then the docs are held to the table: every option and variable is in the
 * man page (deploy/wenda.1) and in docs/operations.md's configuration
 * table, and every flag or variable the README's and docs/operations.md's
 * configuration tables, or the Kubernetes ConfigMap, name is a real one;
 * an option added without its docs, or docs left behind by a rename, fail
 * here.  The files are read from the repository root, where the tests run.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "options.h"
#include "testutil.h"
#include "wenda/search.h"

#define MAX_ARGS 16

/* The rows, and the variables cleared so that the caller's cannot leak in. */
static const struct options_serve_option *rows;
static size_t nrows;

static void
setup(void)
{
    size_t i;

    nrows = options_serve_table(&rows);
    for (i = 0; i < nrows; i++)
        cr_assert_eq(unsetenv(rows[i].env), 0);
}

TestSuite(options, .init = setup);
TestSuite(options_docs, .init = setup);

/*
 * Parses "serve" and the NULL-terminated args into *s; returns what
 * options_serve_parse() returns, with its message in msg.  getopt_long()
 * permutes argv, so it gets copies, which the strings of *s point into
 * until the next call.
 */
static enum options_result
parse(struct options_serve *s, char *msg, size_t cap,
      const char *const *args)
{
    static char copies[MAX_ARGS + 1][256];
    char *argv[MAX_ARGS + 2];
    int argc = 0, i;

    (void)snprintf(copies[0], sizeof(copies[0]), "serve");
    argv[argc++] = copies[0];
    for (i = 0; args[i] != NULL; i++) {
        cr_assert_leq(argc, MAX_ARGS);
        cr_assert_lt(strlen(args[i]), sizeof(copies[0]));
        (void)snprintf(copies[argc], sizeof(copies[0]), "%s", args[i]);
        argv[argc] = copies[argc];
        argc++;
    }
    argv[argc] = NULL;
    optind = 0;
    msg[0] = '\0';
    return options_serve_parse(argc, argv, s, msg, cap);
}

/* The number stored for row o in s. */
static unsigned long
stored(const struct options_serve *s, const struct options_serve_option *o)
{
    const char *at = (const char *)s + o->offset;
    unsigned int u;
    size_t z;
    int64_t i64;
    int b;

    switch (o->type) {
    case OPTIONS_UINT: memcpy(&u, at, sizeof(u)); return u;
    case OPTIONS_SIZE: memcpy(&z, at, sizeof(z)); return z;
    case OPTIONS_INT64: memcpy(&i64, at, sizeof(i64)); return (unsigned long)i64;
    case OPTIONS_BOOL: memcpy(&b, at, sizeof(b)); return (unsigned long)b;
    case OPTIONS_TEXT: break;
    }
    cr_assert_fail("--%s is not a number", o->name);
    return 0;
}

/* ---- parsing ------------------------------------------------------------ */

Test(options, without_flags_or_variables_every_setting_is_its_default)
{
    const char *const none[] = {NULL};
    struct options_serve s;
    char msg[1024];

    cr_assert_eq(parse(&s, msg, sizeof(msg), none), OPTIONS_OK, "%s", msg);
    cr_expect_str_eq(s.http.bind, "127.0.0.1");
    cr_expect_eq(s.http.port, 8080);
    cr_expect_str_eq(s.http.db_path, "data/wenda.db");
    cr_expect_str_eq(s.content, "content");
    cr_expect_eq(s.http.threads, 0);
    cr_expect_eq(s.http.max_connections, 10000);
    cr_expect_eq(s.http.idle_timeout, 30);
    cr_expect_eq(s.http.max_body, 1048576);
    cr_expect_eq(s.http.search_slots, 0);
    cr_expect_eq(s.http.search_off, 0);
    cr_expect_eq(s.http.search_wait_ms, 100);
    cr_expect_eq(s.http.drain_timeout, 10);
    cr_expect_null(s.http.log_path);
    cr_expect_eq(s.http.private_reads, 0);
    cr_expect_eq(s.http.read_only, 0);
    cr_expect_eq(s.http.write_queue, 256);
    cr_expect_eq(s.http.write_batch, 64);
    cr_expect_null(s.http.cors_origin);
    cr_expect_eq(s.http.access_log, 0);
    cr_expect_null(s.http.tls_cert);
    cr_expect_null(s.http.tls_key);
    cr_expect_str_eq(s.http.tls_priorities, HTTP_TLS_PRIORITIES_DEFAULT);
    cr_expect_eq(s.http.tuning.cache_kib, 2000);
    cr_expect_eq(s.http.tuning.mmap_bytes, 0);
    cr_expect_eq(s.http.tuning.search_cap, 1000);
    cr_expect_eq(s.http.tuning.search_count, 1000);
    cr_expect_eq(s.http.cluster, 0);
    cr_expect_eq(s.http.node_id, 0);
    cr_expect_null(s.http.raft_address);
    cr_expect_null(s.http.peers);
    cr_expect_null(s.http.raft_dir, "NULL: the --db file's name + .raft");
    cr_expect_null(s.http.advertise_url, "NULL: http://BIND:PORT");
    cr_expect_eq(s.http.read_wait_ms, 2000);
}

Test(options, a_flag_wins_over_its_variable_and_a_variable_over_the_default)
{
    const char *const none[] = {NULL};
    const char *const flags[] = {"--port", "9001", "--private", "--log",
                                 "b.log", NULL};
    struct options_serve s;
    char msg[1024];

    cr_assert_eq(setenv("WENDA_PORT", "9000", 1), 0);
    cr_assert_eq(setenv("WENDA_PRIVATE", "0", 1), 0);
    cr_assert_eq(setenv("WENDA_LOG", "a.log", 1), 0);
    cr_assert_eq(setenv("WENDA_READ_ONLY", "1", 1), 0);
    cr_assert_eq(setenv("WENDA_CONTENT", "", 1), 0);
    cr_assert_eq(parse(&s, msg, sizeof(msg), none), OPTIONS_OK, "%s", msg);
    cr_expect_eq(s.http.port, 9000);
    cr_expect_eq(s.http.private_reads, 0);
    cr_expect_str_eq(s.http.log_path, "a.log");
    cr_expect_eq(s.http.read_only, 1);
    cr_expect_str_eq(s.content, "content", "an empty variable is unset");
    cr_assert_eq(parse(&s, msg, sizeof(msg), flags), OPTIONS_OK, "%s", msg);
    cr_expect_eq(s.http.port, 9001);
    cr_expect_eq(s.http.private_reads, 1);
    cr_expect_str_eq(s.http.log_path, "b.log");

    /* A bad variable behind a good flag is never looked at. */
    cr_assert_eq(setenv("WENDA_PORT", "x", 1), 0);
    cr_assert_eq(parse(&s, msg, sizeof(msg), flags), OPTIONS_OK, "%s", msg);
    cr_assert_eq(parse(&s, msg, sizeof(msg), none), OPTIONS_BAD);
    /* The command line never said --port: the message names the
     * variable. */
    cr_expect_not_null(strstr(msg, "WENDA_PORT: 'x'"), "%s", msg);
    cr_expect_null(strstr(msg, "--port"), "%s", msg);
}

Test(options, a_switch_variable_is_0_or_1_and_named_when_it_is_not)
{
    const char *const none[] = {NULL};
    struct options_serve s;
    char msg[1024];

    cr_assert_eq(setenv("WENDA_READ_ONLY", "yes", 1), 0);
    cr_assert_eq(parse(&s, msg, sizeof(msg), none), OPTIONS_BAD);
    cr_expect_not_null(strstr(msg, "WENDA_READ_ONLY: 'yes'"), "%s", msg);
}

Test(options, every_number_is_taken_at_its_bounds_and_refused_past_them)
{
    size_t i;

    for (i = 0; i < nrows; i++) {
        const struct options_serve_option *o = &rows[i];
        char flag[64], lo[32], hi[32], msg[1024];
        const char *args[] = {flag, lo, NULL, NULL, NULL, NULL};
        struct options_serve s;

        if (o->noun == NULL)
            continue;
        /* A node's id means something on a node of a cluster only. */
        if (strcmp(o->name, "node-id") == 0) {
            args[2] = "--cluster";
            args[3] = "--raft-address";
            args[4] = "127.0.0.1:7000";
        }
        (void)snprintf(flag, sizeof(flag), "--%s", o->name);
        (void)snprintf(lo, sizeof(lo), "%lu", o->min);
        cr_assert_eq(parse(&s, msg, sizeof(msg), args), OPTIONS_OK,
                     "%s %s: %s", flag, lo, msg);
        cr_expect_eq(stored(&s, o), o->min, "%s %s", flag, lo);
        (void)snprintf(lo, sizeof(lo), "%lu", o->max);
        cr_assert_eq(parse(&s, msg, sizeof(msg), args), OPTIONS_OK,
                     "%s %s: %s", flag, lo, msg);
        cr_expect_eq(stored(&s, o), o->max, "%s %s", flag, lo);
        (void)snprintf(hi, sizeof(hi), "%lu", o->max + 1);
        args[1] = hi;
        cr_assert_eq(parse(&s, msg, sizeof(msg), args), OPTIONS_BAD,
                     "%s %s", flag, hi);
        cr_expect_not_null(strstr(msg, flag), "%s", msg);
        cr_expect_not_null(strstr(msg, hi), "%s", msg);
        if (o->min > 0) {
            (void)snprintf(hi, sizeof(hi), "%lu", o->min - 1);
            cr_expect_eq(parse(&s, msg, sizeof(msg), args), OPTIONS_BAD,
                         "%s %s", flag, hi);
        }
    }
}

Test(options, search_slots_of_0_turn_search_off)
{
    const char *const zero[] = {"--search-slots", "0", NULL};
    const char *const two[] = {"--search-slots", "2", NULL};
    struct options_serve s;
    char msg[1024];

    cr_assert_eq(parse(&s, msg, sizeof(msg), zero), OPTIONS_OK, "%s", msg);
    cr_expect_eq(s.http.search_off, 1);
    cr_assert_eq(parse(&s, msg, sizeof(msg), two), OPTIONS_OK, "%s", msg);
    cr_expect_eq(s.http.search_off, 0);
    cr_expect_eq(s.http.search_slots, 2);
}

Test(options, a_search_cap_is_0_or_at_least_a_page)
{
    const char *const zero[] = {"--search-cap", "0", NULL};
    struct options_serve s;
    char msg[1024];

    cr_assert_eq(parse(&s, msg, sizeof(msg), zero), OPTIONS_OK, "%s", msg);
    cr_expect_eq(s.http.tuning.search_cap, 0);
    cr_expect_eq(options_serve_find("search-cap")->min,
                 WENDA_SEARCH_MAX_LIMIT);
}

Test(options, a_cluster_node_takes_its_id_address_peers_and_urls)
{
    const char *const node[] = {
        "--cluster", "--node-id", "2", "--raft-address", "10.0.0.2:7000",
        "--peers", "1=10.0.0.1:7000,2=10.0.0.2:7000,3=wenda-3.example:7000",
        "--raft-dir", "/var/lib/wenda/raft", "--advertise-url",
        "https://node2.example:8443", "--read-wait", "500", NULL};
    struct options_serve s;
    char msg[1024];

    cr_assert_eq(parse(&s, msg, sizeof(msg), node), OPTIONS_OK, "%s", msg);
    cr_expect_eq(s.http.cluster, 1);
    cr_expect_eq(s.http.node_id, 2);
    cr_expect_str_eq(s.http.raft_address, "10.0.0.2:7000");
    cr_expect_str_eq(s.http.peers,
                     "1=10.0.0.1:7000,2=10.0.0.2:7000,3=wenda-3.example:7000");
    cr_expect_str_eq(s.http.raft_dir, "/var/lib/wenda/raft");
    cr_expect_str_eq(s.http.advertise_url, "https://node2.example:8443");
    cr_expect_eq(s.http.read_wait_ms, 500);

    /* Without --peers, a node joins a cluster that exists. */
    cr_assert_eq(setenv("WENDA_CLUSTER", "1", 1), 0);
    cr_assert_eq(setenv("WENDA_NODE_ID", "4", 1), 0);
    cr_assert_eq(setenv("WENDA_RAFT_ADDRESS", "node4:7000", 1), 0);
    cr_assert_eq(parse(&s, msg, sizeof(msg), (const char *const[]){NULL}),
                 OPTIONS_OK, "%s", msg);
    cr_expect_eq(s.http.node_id, 4);
    cr_expect_null(s.http.peers);
}

/* Expects args to be refused with a message that holds want. */
static void
expect_refused(const char *const *args, const char *want)
{
    struct options_serve s;
    char msg[1024];

    cr_assert_eq(parse(&s, msg, sizeof(msg), args), OPTIONS_BAD,
                 "%s was taken", args[0]);
    cr_expect_not_null(strstr(msg, want), "'%s' lacks '%s'", msg, want);
}

Test(options, a_cluster_needs_an_id_and_an_address_and_no_read_only)
{
    expect_refused((const char *const[]){"--cluster", NULL},
                   "--cluster needs --node-id and --raft-address");
    expect_refused((const char *const[]){"--cluster", "--node-id", "1",
                                         NULL},
                   "--cluster needs --node-id and --raft-address");
    expect_refused((const char *const[]){"--cluster", "--raft-address",
                                         "h:1", NULL},
                   "--cluster needs --node-id and --raft-address");
    expect_refused((const char *const[]){"--cluster", "--node-id", "1",
                                         "--raft-address", "h:1",
                                         "--read-only", NULL},
                   "--read-only");
}

Test(options, raft_runs_on_ipv4_addresses_and_host_names)
{
    expect_refused((const char *const[]){"--cluster", "--node-id", "1",
                                         "--raft-address", "[::1]:7000",
                                         NULL},
                   "a name or an IPv4 address");
    expect_refused((const char *const[]){"--cluster", "--node-id", "1",
                                         "--raft-address", "h:1", "--peers",
                                         "1=[::1]:7000", NULL},
                   "--peers");
}

Test(options, the_options_of_a_node_need_cluster)
{
    expect_refused((const char *const[]){"--node-id", "1", NULL},
                   "--node-id is an option of a cluster node");
    expect_refused((const char *const[]){"--raft-address", "h:1", NULL},
                   "--raft-address is an option of a cluster node");
    expect_refused((const char *const[]){"--peers", "1=h:1", NULL},
                   "--peers is an option of a cluster node");
    expect_refused((const char *const[]){"--raft-dir", "r", NULL},
                   "--raft-dir is an option of a cluster node");
    expect_refused((const char *const[]){"--advertise-url", "http://h:1",
                                         NULL},
                   "--advertise-url is an option of a cluster node");
}

Test(options, the_peers_name_this_node_and_are_a_valid_list)
{
    expect_refused((const char *const[]){"--cluster", "--node-id", "3",
                                         "--raft-address", "h:1", "--peers",
                                         "1=h:1,2=h:2", NULL},
                   "--peers: '1=h:1,2=h:2' must name this node");
    expect_refused((const char *const[]){"--cluster", "--node-id", "1",
                                         "--raft-address", "h:1", "--peers",
                                         "1=h:1,1=h:2", NULL},
                   "--peers: '1=h:1,1=h:2' is not ID=HOST:PORT");
    expect_refused((const char *const[]){"--cluster", "--node-id", "1",
                                         "--raft-address", "h:1", "--peers",
                                         "one=h:1", NULL},
                   "--peers: 'one=h:1'");
}

Test(options, a_raft_address_is_host_and_port)
{
    static const char *const bad[] = {"h",      "h:",     ":1",
                                      "h:0",    "h:65536", "h:1x",
                                      "a b:1",  "[]:1",   "[::1:1",
                                      "h/x:1",  ""};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_refused((const char *const[]){"--cluster", "--node-id", "1",
                                             "--raft-address", bad[i], NULL},
                       "--raft-address: ");
    expect_refused((const char *const[]){"--cluster", "--node-id", "1",
                                         "--raft-address", "h:1",
                                         "--advertise-url", "ftp://h:1",
                                         NULL},
                   "--advertise-url: 'ftp://h:1'");
    expect_refused((const char *const[]){"--cluster", "--node-id", "1",
                                         "--raft-address", "h:1",
                                         "--advertise-url", "http://h:1/",
                                         NULL},
                   "(no path)");
    expect_refused((const char *const[]){"--cluster", "--node-id", "1",
                                         "--raft-address", "h:1",
                                         "--advertise-url", "http://", NULL},
                   "--advertise-url: ");
}

Test(options, finds_its_options_by_name_only)
{
    cr_expect_not_null(options_serve_find("port"));
    cr_expect_not_null(options_serve_find("tls-priorities"));
    cr_expect_null(options_serve_find("--port"));
    cr_expect_null(options_serve_find("help"));
    cr_expect_null(options_serve_find("po"));
}

/* ---- the docs ----------------------------------------------------------- */

/* Whether c may continue a flag ("--search-cap") or a variable. */
static int
flag_char(char c)
{
    return islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-';
}

static int
env_char(char c)
{
    return isupper((unsigned char)c) || isdigit((unsigned char)c) || c == '_';
}

/* Whether text holds word with nothing of part(...) on either side, so that
 * "--search" is not found in "--search-cap". */
static int
has_word(const char *text, const char *word, int (*part)(char))
{
    size_t n = strlen(word);
    const char *p;

    for (p = strstr(text, word); p != NULL; p = strstr(p + 1, word))
        if ((p == text || !part(p[-1])) && !part(p[n]))
            return 1;
    return 0;
}

/* The file at path as text, with the man page's escapes of a hyphen
 * ("\-") and of fonts ("\fB") taken out; the caller frees it. */
static char *
read_plain(const char *path)
{
    char *s = testutil_slurp(path, NULL), *r, *w;

    cr_assert_not_null(s, "cannot read %s (the tests run from the "
                          "repository root)", path);
    for (r = w = s; *r != '\0';) {
        if (r[0] == '\\' && r[1] == '-') {
            *w++ = '-';
            r += 2;
        } else if (r[0] == '\\' && r[1] == 'f' && r[2] != '\0') {
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return s;
}

/* Cuts text down, in place, to the section that starts at the line head
 * and ends before the next line that starts with next. */
static char *
section(char *text, const char *head, const char *next)
{
    char *start = strstr(text, head), *end;

    cr_assert_not_null(start, "no section '%s'", head);
    end = strstr(start + strlen(head), next);
    if (end != NULL)
        *end = '\0';
    return start;
}

/* Column col (1 for the first) of every row of the Markdown tables in
 * text, one cell a line; the caller frees it. */
static char *
column(const char *text, int col)
{
    char *out = calloc(strlen(text) + 1, 1);
    const char *line, *next;
    size_t len = 0;

    cr_assert_not_null(out);
    for (line = text; *line != '\0'; line = next) {
        const char *cell = line;
        size_t n;
        int i;

        next = line + strcspn(line, "\n");
        if (*next == '\n')
            next++;
        if (line[0] != '|')
            continue;
        for (i = 1; i < col && cell != NULL; i++)
            cell = strchr(cell + 1, '|');
        if (cell == NULL || cell >= next)
            continue;
        n = strcspn(cell + 1, "|\n");
        memcpy(out + len, cell + 1, n);
        len += n;
        out[len++] = '\n';
    }
    return out;
}

/* Checks that every "--flag" in text is an option of serve; where names
 * the text in messages. */
static void
expect_real_flags(const char *text, const char *where)
{
    const char *p;
    int seen = 0;

    for (p = strstr(text, "--"); p != NULL; p = strstr(p + 2, "--")) {
        char name[64];
        size_t n = 0;

        if ((p > text && flag_char(p[-1])) || !islower((unsigned char)p[2]))
            continue;
        while (flag_char(p[2 + n]) && n + 1 < sizeof(name)) {
            name[n] = p[2 + n];
            n++;
        }
        name[n] = '\0';
        seen++;
        cr_expect_not_null(options_serve_find(name),
                           "%s names --%s, which serve does not have", where,
                           name);
    }
    cr_expect_gt(seen, 0, "%s names no flag at all", where);
}

/* Checks that every WENDA_ variable in text is read by an option of serve,
 * "WENDA_TLS_*" standing for those that start so. */
static void
expect_real_variables(const char *text, const char *where)
{
    const char *p;
    int seen = 0;

    for (p = strstr(text, "WENDA_"); p != NULL; p = strstr(p + 1, "WENDA_")) {
        size_t n = 0, i;
        int found = 0;

        while (env_char(p[n]))
            n++;
        for (i = 0; i < nrows && !found; i++)
            found = p[n] == '*' ? strncmp(rows[i].env, p, n) == 0
                                : strlen(rows[i].env) == n &&
                                      strncmp(rows[i].env, p, n) == 0;
        seen++;
        cr_expect(found, "%s names %.*s%s, which no option of serve reads",
                  where, (int)n, p, p[n] == '*' ? "*" : "");
    }
    cr_expect_gt(seen, 0, "%s names no variable at all", where);
}

Test(options_docs, the_man_page_describes_every_serve_option)
{
    char *man = read_plain("deploy/wenda.1");
    char *env = strdup(man);
    const char *opts, *envs;
    size_t i;

    cr_assert_not_null(env);
    opts = section(man, "\n.SH SERVE OPTIONS", "\n.SH ");
    envs = section(env, "\n.SH ENVIRONMENT", "\n.SH ");
    for (i = 0; i < nrows; i++) {
        char flag[64];

        (void)snprintf(flag, sizeof(flag), "--%s", rows[i].name);
        cr_expect(has_word(opts, flag, flag_char),
                  "SERVE OPTIONS of deploy/wenda.1 lacks %s", flag);
        cr_expect(has_word(opts, rows[i].env, env_char),
                  "SERVE OPTIONS of deploy/wenda.1 lacks %s", rows[i].env);
        cr_expect(has_word(envs, rows[i].env, env_char),
                  "ENVIRONMENT of deploy/wenda.1 lacks %s", rows[i].env);
    }
    free(man);
    free(env);
}

Test(options_docs, docs_operations_tabulates_every_serve_option)
{
    char *doc = read_plain("docs/operations.md");
    const char *conf = section(doc, "\n## Configuration", "\n## ");
    char *flags = column(conf, 1), *vars = column(conf, 2);
    size_t i;

    for (i = 0; i < nrows; i++) {
        char flag[64];

        (void)snprintf(flag, sizeof(flag), "--%s", rows[i].name);
        cr_expect(has_word(flags, flag, flag_char),
                  "docs/operations.md's configuration table lacks %s", flag);
        cr_expect(has_word(vars, rows[i].env, env_char),
                  "docs/operations.md's configuration table lacks %s",
                  rows[i].env);
    }
    expect_real_flags(flags, "docs/operations.md's configuration table");
    expect_real_variables(vars, "docs/operations.md's configuration table");
    free(flags);
    free(vars);
    free(doc);
}

Test(options_docs, the_readme_names_only_real_serve_options)
{
    char *readme = read_plain("README.md");
    const char *conf = section(readme, "\n## Configuration", "\n## ");
    char *flags = column(conf, 1), *vars = column(conf, 2);

    expect_real_flags(flags, "README.md's configuration table");
    expect_real_variables(vars, "README.md's configuration table");
    free(flags);
    free(vars);
    free(readme);
}

Test(options_docs, the_configmap_sets_only_real_variables)
{
    char *map = read_plain("deploy/k8s/configmap.yaml");

    expect_real_variables(map, "deploy/k8s/configmap.yaml");
    free(map);
}
