/*
 * test_cluster_cli.c -- "wenda cluster" as an operator meets it without a
 * cluster: its help, the usage errors of every argument (exit 2, the
 * argument named, a token never echoed), and the failures of a request
 * (exit 1 with the reason): no server, a server that never answers, a
 * server that is no cluster.  What it does against a real cluster is in
 * test_cluster.c.
 *
 * The variables the command reads (WENDA_SERVER, WENDA_TOKEN) and those
 * of a proxy are taken out of its environment, so that the caller's
 * cannot change a test's outcome; a test puts some in itself.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

#define RUN_TIMEOUT_S 20

/* Well formed, and known to no server. */
#define FAKE_TOKEN "wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static const char *const unset[] = {
    "WENDA_SERVER", "WENDA_TOKEN", "http_proxy", "HTTP_PROXY", "https_proxy",
    "HTTPS_PROXY",  "all_proxy",   "ALL_PROXY",  NULL};
static const char *const no_env[] = {NULL};

static struct wenda_server srv;

static void
stop(void)
{
    harness_stop(&srv);
}

TestSuite(e2e_cluster_cli, .fini = stop);

/* Runs wenda with args and the variables env ("NAME=value"), the caller's
 * WENDA_SERVER, WENDA_TOKEN and proxies left out. */
static void
run_env(struct harness_run_result *r, const char *const *args,
        const char *const *env)
{
    struct harness_run_opts opts = {NULL, unset, env, 0};

    harness_run_or_fail(args, RUN_TIMEOUT_S, &opts, r);
}

static void
run(struct harness_run_result *r, const char *const *args)
{
    run_env(r, args, no_env);
}

/* Runs args and expects a usage error whose message holds want. */
static void
expect_usage(const char *const *args, const char *want)
{
    struct harness_run_result r;

    run(&r, args);
    cr_expect_eq(r.status, 2, "wenda %s %s exited %d:\n%s", args[0],
                 args[1] != NULL ? args[1] : "", r.status, r.err);
    cr_expect_not_null(strstr(r.err, want), "the message lacks '%s':\n%s",
                       want, r.err);
    cr_expect_str_empty(r.out, "a usage error printed '%s'", r.out);
    harness_run_cleanup(&r);
}

/*
 * A loopback port that refuses connections: bound by the returned socket,
 * which never listens (close it afterwards), so that no other test is
 * given it meanwhile.
 */
static int
refusing_port(unsigned short *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    cr_assert_geq(fd, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

Test(e2e_cluster_cli, help_names_every_subcommand_and_exits_zero)
{
    static const char *const top[] = {"cluster", "--help", NULL};
    static const char *const wenda[] = {"--help", NULL};
    static const char *const subs[] = {"status", "add", "remove"};
    struct harness_run_result r;
    size_t i;

    char usage[64];

    run(&r, top);
    cr_assert_eq(r.status, 0, "%s", r.err);
    for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        (void)snprintf(usage, sizeof(usage), "wenda cluster %s", subs[i]);
        cr_expect_not_null(strstr(r.out, usage), "no %s in:\n%s", usage,
                           r.out);
    }
    harness_run_cleanup(&r);
    for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        const char *const one[] = {"cluster", subs[i], "--help", NULL};

        (void)snprintf(usage, sizeof(usage), "wenda cluster %s", subs[i]);
        run(&r, one);
        cr_expect_eq(r.status, 0, "%s --help: %s", subs[i], r.err);
        cr_expect_not_null(strstr(r.out, usage), "%s", r.out);
        cr_expect_not_null(strstr(r.out, "WENDA_TOKEN"), "%s", r.out);
        harness_run_cleanup(&r);
    }
    run(&r, wenda);
    cr_expect_not_null(strstr(r.out, "cluster"), "wenda --help:\n%s", r.out);
    harness_run_cleanup(&r);
}

Test(e2e_cluster_cli, a_missing_or_unknown_subcommand_is_a_usage_error)
{
    static const char *const none[] = {"cluster", NULL};
    static const char *const bogus[] = {"cluster", "elect", NULL};
    static const char *const extra[] = {"cluster", "status", "--token",
                                        FAKE_TOKEN, "now", NULL};
    static const char *const flag[] = {"cluster", "status", "--id", "1",
                                       "--token", FAKE_TOKEN, NULL};

    expect_usage(none, "status, add or remove");
    expect_usage(bogus, "'elect'");
    expect_usage(extra, "'now'");
    expect_usage(flag, "bad option");
}

Test(e2e_cluster_cli, a_bad_node_id_is_a_usage_error_that_names_it)
{
    static const char *const ids[] = {"0", "65536", "abc", "-1", "1.5", ""};
    size_t i;

    for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        const char *const add[] = {"cluster",   "add",       "--id",
                                   ids[i],      "--address", "127.0.0.1:9004",
                                   "--url",     "http://127.0.0.1:8084",
                                   "--token",   FAKE_TOKEN,  NULL};
        const char *const rm[] = {"cluster", "remove", "--token", FAKE_TOKEN,
                                  "--id", ids[i], NULL};

        expect_usage(add, "--id");
        expect_usage(rm, "--id");
    }
}

Test(e2e_cluster_cli, add_needs_an_id_an_address_and_a_url)
{
    static const char *const no_id[] = {
        "cluster", "add",   "--address", "127.0.0.1:9004", "--url",
        "http://127.0.0.1:8084", "--token", FAKE_TOKEN, NULL};
    static const char *const no_address[] = {
        "cluster", "add", "--id", "4", "--url", "http://127.0.0.1:8084",
        "--token", FAKE_TOKEN, NULL};
    static const char *const bad_address[] = {
        "cluster", "add",   "--id",  "4", "--address", "127.0.0.1",
        "--url",   "http://127.0.0.1:8084", "--token", FAKE_TOKEN, NULL};
    static const char *const bad_port[] = {
        "cluster", "add",   "--id",  "4", "--address", "127.0.0.1:70000",
        "--url",   "http://127.0.0.1:8084", "--token", FAKE_TOKEN, NULL};
    static const char *const no_url[] = {
        "cluster", "add", "--id", "4", "--address", "127.0.0.1:9004",
        "--token", FAKE_TOKEN, NULL};
    static const char *const bad_url[] = {
        "cluster", "add", "--id", "4", "--address", "127.0.0.1:9004",
        "--url", "127.0.0.1:8084", "--token", FAKE_TOKEN, NULL};
    static const char *const remove_no_id[] = {"cluster", "remove",
                                               "--token", FAKE_TOKEN, NULL};

    expect_usage(no_id, "--id is required");
    expect_usage(no_address, "--address is required");
    expect_usage(bad_address, "'127.0.0.1' is not HOST:PORT");
    expect_usage(bad_port, "--address");
    expect_usage(no_url, "--url is required");
    expect_usage(bad_url, "--url: '127.0.0.1:8084'");
    expect_usage(remove_no_id, "--id is required");
}

Test(e2e_cluster_cli, a_bad_server_timeout_or_token_is_a_usage_error)
{
    static const char *const server[] = {"cluster", "status", "--server",
                                         "127.0.0.1:8080", "--token",
                                         FAKE_TOKEN, NULL};
    static const char *const timeout[] = {"cluster", "status", "--timeout",
                                          "0", "--token", FAKE_TOKEN, NULL};
    static const char *const long_timeout[] = {"cluster", "status",
                                               "--timeout", "301", "--token",
                                               FAKE_TOKEN, NULL};
    static const char *const no_token[] = {"cluster", "status", NULL};
    /* Nearly a token: a typo in a real one must not end up in a log. */
    static const char *const bad_token[] = {
        "cluster", "status", "--token",
        "wnd_secretsecretsecretsecretsecretsecretsecre!", NULL};
    struct harness_run_result r;

    expect_usage(server, "--server: '127.0.0.1:8080'");
    expect_usage(timeout, "--timeout");
    expect_usage(long_timeout, "--timeout");
    expect_usage(no_token, "WENDA_TOKEN");
    run(&r, bad_token);
    cr_expect_eq(r.status, 2, "%s", r.err);
    cr_expect_not_null(strstr(r.err, "is not a token"), "%s", r.err);
    cr_expect_null(strstr(r.err, "secret"), "the token is echoed:\n%s",
                   r.err);
    harness_run_cleanup(&r);
}

Test(e2e_cluster_cli, no_server_is_a_failed_request_that_names_it)
{
    char url[64], env_server[96];
    const char *const args[] = {"cluster", "status", "--server", url,
                                "--token", FAKE_TOKEN, NULL};
    const char *const by_env[] = {"cluster", "remove", "--id", "4", NULL};
    const char *const env[] = {env_server, "WENDA_TOKEN=" FAKE_TOKEN, NULL};
    struct harness_run_result r;
    unsigned short port;
    int fd = refusing_port(&port);

    (void)snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)port);
    (void)snprintf(env_server, sizeof(env_server), "WENDA_SERVER=%s", url);
    run(&r, args);
    cr_expect_eq(r.status, 1, "exited %d:\n%s", r.status, r.err);
    cr_expect_not_null(strstr(r.err, url), "%s", r.err);
    cr_expect_not_null(strstr(r.err, "no answer"), "%s", r.err);
    cr_expect_str_empty(r.out);
    harness_run_cleanup(&r);
    /* WENDA_SERVER and WENDA_TOKEN stand for --server and --token. */
    run_env(&r, by_env, env);
    cr_expect_eq(r.status, 1, "exited %d:\n%s", r.status, r.err);
    cr_expect_not_null(strstr(r.err, url), "%s", r.err);
    harness_run_cleanup(&r);
    close(fd);
}

Test(e2e_cluster_cli, a_server_that_never_answers_fails_within_the_timeout)
{
    char url[64];
    const char *const args[] = {"cluster", "status", "--server", url,
                                "--token", FAKE_TOKEN, "--timeout", "1",
                                NULL};
    struct harness_run_result r;
    unsigned short port;
    int fd = refusing_port(&port);

    /* It listens, so connecting succeeds; it never reads or answers. */
    cr_assert_eq(listen(fd, 4), 0);
    (void)snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)port);
    run(&r, args);
    cr_expect_eq(r.status, 1, "exited %d:\n%s", r.status, r.err);
    cr_expect_lt(r.seconds, 5.0, "took %.1f s", r.seconds);
    cr_expect_not_null(strstr(r.err, "no answer"), "%s", r.err);
    harness_run_cleanup(&r);
    close(fd);
}

/*
 * A server that is no cluster answers every cluster request with a 404
 * (not-a-cluster once clustering is there; not-found before): the command
 * prints the status and the detail and exits 1.
 */
Test(e2e_cluster_cli, a_server_that_is_no_cluster_is_a_failed_request)
{
    char token[WENDA_TOKEN_LEN + 1];
    const char *const status[] = {"cluster", "status", "--server",
                                  srv.base_url, "--token", token, NULL};
    const char *const add[] = {"cluster", "add", "--server", srv.base_url,
                               "--token", token, "--id", "4", "--address",
                               "127.0.0.1:9004", "--url",
                               "http://127.0.0.1:8084", NULL};
    const char *const rm[] = {"cluster", "remove", "--server", srv.base_url,
                              "--token", token, "--id", "4", NULL};
    const char *const *cmds[] = {status, add, rm};
    struct harness_run_result r;
    size_t i;

    harness_start_or_fail(&srv, NULL);
    harness_token(&srv, WENDA_ROLE_ADMIN, "cluster", token);
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        run(&r, cmds[i]);
        cr_expect_eq(r.status, 1, "%s exited %d:\n%s", cmds[i][1], r.status,
                     r.err);
        if (i == 0)
            cr_expect_not_null(strstr(r.err, " 404 "), "%s", r.err);
        else
            cr_expect_not_null(strstr(r.err, " answered 4"), "%s", r.err);
        cr_expect_not_null(strstr(r.err, "/problems/"), "%s", r.err);
        cr_expect_null(strstr(r.err, token), "the token is echoed:\n%s",
                       r.err);
        harness_run_cleanup(&r);
    }
}
