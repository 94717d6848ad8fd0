/*
 * test_replica.c -- a primary and its replicas, through the real binary:
 * "wenda snapshot" copies a live database with the writes acknowledged so
 * far, and "serve --read-only" answers every write with 405.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "harness.h"

static struct wenda_server srv;

static void
stop(void)
{
    harness_stop(&srv);
}

TestSuite(e2e_replica, .fini = stop);

/* Runs the binary with args and returns its result; fails on no start. */
static struct harness_run_result
run(const char *const *args)
{
    struct harness_run_result res;

    cr_assert_eq(harness_run(args, 30, &res), 0, "could not run wenda");
    return res;
}

Test(e2e_replica, snapshot_of_a_running_server_holds_its_writes)
{
    char db[HARNESS_PATH_MAX + 16], snap[HARNESS_PATH_MAX + 16];
    char auth[128];
    const char *const create[] = {"token", "create", "--role", "editor",
                                  "--db", db, NULL};
    const char *const snapshot[] = {"snapshot", "--db", db, snap, NULL};
    const char *const search[] = {"search", "--db", snap, "zebracrossing",
                                  NULL};
    const char *const hdrs[] = {auth, "Content-Type: application/json",
                                NULL};
    static const char body[] =
        "{\"slug\":\"zebra-crossing\",\"title\":\"斑马线\","
        "\"title_en\":\"Zebra crossing\",\"category\":\"networking\","
        "\"order\":900,\"tags\":[\"tcp\"],\"aliases\":[\"zebracrossing\"],"
        "\"answer\":\"A topic written while the server runs.\"}";
    struct harness_run_result res;
    struct http_reply r;
    struct stat sb;

    cr_assert_eq(harness_start(&srv, NULL), 0, "%s", srv.why);
    (void)snprintf(db, sizeof(db), "%s/wenda.db", srv.dir);
    (void)snprintf(snap, sizeof(snap), "%s/snap.db", srv.dir);
    res = run(create);
    cr_assert_eq(res.status, 0, "%s", res.err);
    res.out[strcspn(res.out, "\n")] = '\0';
    (void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", res.out);
    harness_run_cleanup(&res);
    cr_assert_eq(http_request(&srv, "POST", "/v1/topics", hdrs, body,
                              strlen(body), &r), 0);
    cr_assert_eq(r.status, 201, "%.*s", (int)r.len, r.body);
    http_reply_cleanup(&r);

    res = run(snapshot);
    cr_assert_eq(res.status, 0, "%s", res.err);
    cr_assert_not_null(strstr(res.out, "snapshot of 65 topics"), "%s",
                       res.out);
    harness_run_cleanup(&res);
    cr_assert_eq(stat(snap, &sb), 0);
    /* It holds token hashes: only the owner may read it. */
    cr_assert_eq(sb.st_mode & 077, 0, "mode %o", (unsigned)sb.st_mode);
    res = run(search);
    cr_assert_eq(res.status, 0, "%s", res.err);
    cr_assert_not_null(strstr(res.out, "zebra-crossing"), "%s", res.out);
    harness_run_cleanup(&res);

    /* A second snapshot to the same file is refused; the first stays. */
    res = run(snapshot);
    cr_assert_eq(res.status, 1);
    cr_assert_not_null(strstr(res.err, "exists"), "%s", res.err);
    harness_run_cleanup(&res);
    res = run(search);
    cr_assert_eq(res.status, 0, "%s", res.err);
    harness_run_cleanup(&res);
}

Test(e2e_replica, snapshot_of_no_database_fails_and_leaves_nothing)
{
    const char *const args[] = {"snapshot", "--db", "absent.db", "copy.db",
                                NULL};
    const char *const usage[] = {"snapshot", NULL};
    struct harness_run_result res = run(args);
    struct stat sb;

    cr_assert_eq(res.status, 1);
    cr_assert_not_null(strstr(res.err, "absent.db"), "%s", res.err);
    cr_assert_neq(stat("copy.db", &sb), 0);
    harness_run_cleanup(&res);
    res = run(usage);
    cr_assert_eq(res.status, 2, "%s", res.err);
    harness_run_cleanup(&res);
}

Test(e2e_replica, a_read_only_server_reads_and_refuses_every_write)
{
    const char *const args[] = {"--read-only", NULL};
    const char *const json[] = {"Content-Type: application/json", NULL};
    struct http_reply r;
    json_t *doc;

    cr_assert_eq(harness_start(&srv, args), 0, "%s", srv.why);
    cr_assert_eq(http_request(&srv, "GET", "/v1/search?q=sisuo", NULL, NULL,
                              0, &r), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_not_null(strstr(r.body, "deadlock"));
    http_reply_cleanup(&r);

    cr_assert_eq(http_request(&srv, "POST", "/v1/topics", json, "{}", 2,
                              &r), 0);
    cr_assert_eq(r.status, 405);
    cr_assert_str_eq(http_header(&r, "Allow"), "GET, HEAD");
    doc = http_json(&r);
    cr_assert_not_null(strstr(json_string_value(json_object_get(doc,
                                                                "detail")),
                              "read-only"));
    json_decref(doc);
    http_reply_cleanup(&r);

    cr_assert_eq(http_request(&srv, "DELETE", "/v1/topics/gil", NULL, NULL,
                              0, &r), 0);
    cr_assert_eq(r.status, 405);
    http_reply_cleanup(&r);
    /* A route that only writes takes no method at all here. */
    cr_assert_eq(http_request(&srv, "POST", "/v1/tokens", json, "{}", 2, &r),
                 0);
    cr_assert_eq(r.status, 405);
    http_reply_cleanup(&r);
    cr_assert_eq(http_request(&srv, "OPTIONS", "/v1/import", NULL, NULL, 0,
                              &r), 0);
    cr_assert_eq(r.status, 204);
    cr_assert_str_eq(http_header(&r, "Allow"), "OPTIONS");
    http_reply_cleanup(&r);
}
