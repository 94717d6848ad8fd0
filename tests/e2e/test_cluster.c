/*
 * test_cluster.c -- a node of a Raft cluster, through the real binary and
 * HTTP: what a cluster of one node shows, and that a single server stays
 * as it was.
 *
 * A cluster of one is a server started with --cluster, its own id and a
 * Raft address, and itself as the only peer: it elects itself leader
 * within a second or two, which harness_start_cluster_or_fail() waits for
 * on /readyz.  Its
 * answers carry Wenda-Index, which grows with each write; a read waits
 * for ?min_index (or Wenda-Min-Index) and answers 503 stale-read past
 * --read-wait; GET /v1/cluster and /metrics show it leading.  A follower's
 * 307 needs a second node and is held to its form by the unit tests
 * (test_cluster_api.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "harness.h"
#include "wenda/auth.h"

/* The --read-wait of the cluster's server: short, so that a stale read
 * is answered soon. */
#define READ_WAIT_MS 200
#define READ_WAIT_TEXT "200"

static struct wenda_server srv;
static char admin[WENDA_TOKEN_LEN + 1], editor[WENDA_TOKEN_LEN + 1];

static const char topic[] =
    "{\"slug\":\"raft-consensus\",\"title\":\"Raft 共识\","
    "\"title_en\":\"Raft consensus\",\"category\":\"networking\","
    "\"order\":901,\"tags\":[\"tcp\"],\"aliases\":[\"raft\"],"
    "\"answer\":\"A leader, a log, and a majority.\"}";

static long long
now_ms(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts srv as a cluster of one node and waits until it leads. */
static void
start_cluster(void)
{
    const char *const args[] = {"--read-wait", READ_WAIT_TEXT, NULL};

    harness_start_cluster_or_fail(&srv, args);
    (void)harness_token(&srv, WENDA_ROLE_ADMIN, "cluster-admin", admin);
    (void)harness_token(&srv, WENDA_ROLE_EDITOR, "cluster-editor", editor);
}

static void
start_single(void)
{
    harness_start_or_fail(&srv, NULL);
    (void)harness_token(&srv, WENDA_ROLE_ADMIN, "single-admin", admin);
}

static void
stop(void)
{
    harness_stop(&srv);
}

TestSuite(e2e_cluster, .init = start_cluster, .fini = stop);
TestSuite(e2e_cluster_single, .init = start_single, .fini = stop);

/* The Wenda-Index of r as a number; fails the test when it has none. */
static unsigned long long
index_of(const struct http_reply *r)
{
    const char *v = http_header(r, "Wenda-Index");
    char *end;
    unsigned long long n;

    cr_assert_not_null(v, "no Wenda-Index in an answer %ld", r->status);
    n = strtoull(v, &end, 10);
    cr_assert(end != v && *end == '\0', "Wenda-Index: '%s'", v);
    return n;
}

/* Creates the topic of this file and returns its write's Wenda-Index. */
static unsigned long long
create_topic(void)
{
    struct http_reply r;
    unsigned long long index;

    cr_assert_eq(http_send(&srv, "POST", "/v1/topics", editor,
                           "application/json", NULL, topic, &r),
                 201, "POST /v1/topics: %ld %s", r.status, r.body);
    index = index_of(&r);
    http_reply_cleanup(&r);
    return index;
}

/* GETs path with the header fields hdrs (may be NULL); returns the
 * answer's status with the answer in *r. */
static long
get(const char *path, const char *const *hdrs, struct http_reply *r)
{
    cr_assert_eq(http_request(&srv, "GET", path, hdrs, NULL, 0, r), 0,
                 "GET %s: no answer", path);
    return r->status;
}

/* The "type" of a problem answer, "" if none (borrowed from o). */
static const char *
type_of(const json_t *o)
{
    const char *t = json_string_value(json_object_get(o, "type"));

    return t != NULL ? t : "";
}

/* ---- a cluster of one ------------------------------------------------- */

Test(e2e_cluster, every_answer_carries_the_index_and_writes_make_it_grow)
{
    struct http_reply r;
    unsigned long long first, second, seen;
    char etag[128];

    cr_assert_eq(get("/healthz", NULL, &r), 200);
    seen = index_of(&r);
    http_reply_cleanup(&r);
    cr_assert_eq(get("/v1/topics/no-such-topic", NULL, &r), 404);
    (void)index_of(&r);
    http_reply_cleanup(&r);

    first = create_topic();
    cr_expect_gt(first, 0);
    cr_expect_geq(first, seen, "a write's index %llu is below %llu, "
                  "applied before it", first, seen);
    cr_assert_eq(get("/v1/topics/raft-consensus", NULL, &r), 200);
    cr_expect_geq(index_of(&r), first, "a read after the write shows an "
                  "older index");
    (void)snprintf(etag, sizeof(etag), "%s", http_header_or_empty(&r,
                                                                  "ETag"));
    http_reply_cleanup(&r);

    cr_assert_eq(http_send(&srv, "PATCH", "/v1/topics/raft-consensus",
                           editor, "application/merge-patch+json", etag,
                           "{\"title\":\"Raft 共识算法\"}", &r),
                 200, "PATCH: %ld %s", r.status, r.body);
    second = index_of(&r);
    http_reply_cleanup(&r);
    cr_expect_gt(second, first, "the second write's index %llu is not "
                 "past the first's, %llu", second, first);
}

Test(e2e_cluster, a_read_waits_for_min_index_and_is_stale_past_the_wait)
{
    struct http_reply r;
    unsigned long long index = create_topic();
    char path[128], header[64];
    const char *hdrs[] = {header, NULL};
    long long t0, took;
    json_t *o;

    (void)snprintf(path, sizeof(path),
                   "/v1/topics/raft-consensus?min_index=%llu", index);
    cr_expect_eq(get(path, NULL, &r), 200, "%s: %ld %s", path, r.status,
                 r.body);
    cr_expect_geq(index_of(&r), index);
    http_reply_cleanup(&r);
    (void)snprintf(header, sizeof(header), "Wenda-Min-Index: %llu", index);
    cr_expect_eq(get("/v1/topics/raft-consensus", hdrs, &r), 200);
    http_reply_cleanup(&r);

    /* Far past anything the log holds: stale once --read-wait is over. */
    (void)snprintf(path, sizeof(path), "/v1/topics?min_index=%llu",
                   index + 1000000);
    t0 = now_ms();
    cr_assert_eq(get(path, NULL, &r), 503, "%s: %ld %s", path, r.status,
                 r.body);
    took = now_ms() - t0;
    cr_expect_geq(took, READ_WAIT_MS - 20, "answered stale after %lld ms, "
                  "before --read-wait", took);
    cr_expect_lt(took, READ_WAIT_MS + 5000, "waited %lld ms", took);
    cr_expect_str_eq(http_header_or_empty(&r, "Retry-After"), "1");
    o = http_json(&r);
    cr_expect_str_eq(type_of(o), "/problems/stale-read");
    json_decref(o);
    http_reply_cleanup(&r);

    (void)snprintf(header, sizeof(header), "Wenda-Min-Index: %llu",
                   index + 1000000);
    cr_expect_eq(get("/healthz", hdrs, &r), 503);
    http_reply_cleanup(&r);
}

Test(e2e_cluster, a_min_index_that_is_no_index_is_400_naming_it)
{
    static const char *const bad[] = {
        "abc", "-1", "%2B1", "1.5", "", "9223372036854775808",
        "99999999999999999999"};
    const char *hdrs[] = {"Wenda-Min-Index: x1", NULL};
    struct http_reply r;
    char path[128];
    json_t *o;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        (void)snprintf(path, sizeof(path), "/v1/categories?min_index=%s",
                       bad[i]);
        cr_expect_eq(get(path, NULL, &r), 400, "%s: %ld", path, r.status);
        o = http_json(&r);
        cr_expect_str_eq(json_string_value(json_object_get(o, "parameter")),
                         "min_index", "%s: %s", path, r.body);
        json_decref(o);
        http_reply_cleanup(&r);
    }
    cr_expect_eq(get("/v1/categories", hdrs, &r), 400);
    cr_expect_not_null(strstr(r.body, "Wenda-Min-Index"), "%s", r.body);
    http_reply_cleanup(&r);
    /* A write takes no min_index. */
    cr_expect_eq(http_send(&srv, "POST", "/v1/topics?min_index=1", editor,
                           "application/json", NULL, topic, &r),
                 400);
    http_reply_cleanup(&r);
}

Test(e2e_cluster, get_cluster_shows_one_voter_leading)
{
    struct http_reply r;
    json_t *o, *nodes, *node;

    cr_assert_eq(http_send(&srv, "GET", "/v1/cluster", NULL, NULL, NULL,
                           NULL, &r),
                 401);
    http_reply_cleanup(&r);
    cr_assert_eq(http_send(&srv, "GET", "/v1/cluster", editor, NULL, NULL,
                           NULL, &r),
                 403);
    http_reply_cleanup(&r);
    cr_assert_eq(http_send(&srv, "GET", "/v1/cluster", admin, NULL, NULL,
                           NULL, &r),
                 200, "GET /v1/cluster: %ld %s", r.status, r.body);
    (void)index_of(&r);
    o = http_json(&r);
    cr_expect_eq(json_integer_value(json_object_get(o, "id")), 1, "%s",
                 r.body);
    cr_expect_str_eq(json_string_value(json_object_get(o, "role")),
                     "leader", "%s", r.body);
    cr_expect_eq(json_integer_value(json_object_get(
                     json_object_get(o, "leader"), "id")),
                 1, "%s", r.body);
    cr_expect(json_is_true(json_object_get(o, "ready")), "%s", r.body);
    nodes = json_object_get(o, "nodes");
    cr_assert_eq(json_array_size(nodes), 1, "%s", r.body);
    node = json_array_get(nodes, 0);
    cr_expect_eq(json_integer_value(json_object_get(node, "id")), 1);
    cr_expect_str_eq(json_string_value(json_object_get(node, "role")),
                     "voter", "%s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(node, "address")),
                     srv.raft_address, "%s", r.body);
    json_decref(o);
    http_reply_cleanup(&r);
}

Test(e2e_cluster, metrics_show_the_raft_gauges)
{
    static const char *const want[] = {
        "# TYPE wenda_raft_term gauge\n",
        "\nwenda_raft_role{role=\"leader\"} 1\n",
        "\nwenda_raft_role{role=\"follower\"} 0\n",
        "\nwenda_raft_role{role=\"candidate\"} 0\n",
        "\nwenda_raft_role{role=\"unavailable\"} 0\n",
        "\nwenda_raft_commit_index ",
        "\nwenda_raft_applied_index ",
        "\nwenda_raft_lag ",
        "\nwenda_raft_leader_id 1\n",
        "# HELP wenda_raft_lag ",
    };
    struct http_reply r;
    const char *term;
    size_t i;

    cr_assert_eq(get("/metrics", NULL, &r), 200);
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect_not_null(strstr(r.body, want[i]), "/metrics lacks '%s'",
                           want[i]);
    term = strstr(r.body, "\nwenda_raft_term ");
    cr_assert_not_null(term);
    cr_expect_gt(strtoull(term + 17, NULL, 10), 0, "the term is 0");
    http_reply_cleanup(&r);
}

Test(e2e_cluster, readyz_is_200_once_it_leads)
{
    struct http_reply r;

    cr_expect_eq(get("/readyz", NULL, &r), 200, "%s", r.body);
    (void)index_of(&r);
    http_reply_cleanup(&r);
}

Test(e2e_cluster, a_node_to_add_is_checked_member_by_member)
{
    struct http_reply r;
    json_t *o, *errors;
    const char *p;
    size_t i;
    int id = 0, address = 0, url = 0, extra = 0;

    cr_assert_eq(http_send(&srv, "POST", "/v1/cluster/nodes", editor,
                           "application/json", NULL,
                           "{\"id\":2,\"address\":\"127.0.0.1:1\","
                           "\"url\":\"http://127.0.0.1:2\"}", &r),
                 403);
    http_reply_cleanup(&r);
    cr_assert_eq(http_send(&srv, "POST", "/v1/cluster/nodes", admin,
                           "application/json", NULL,
                           "{\"id\":0,\"address\":\"no port\","
                           "\"url\":\"ftp://x/\",\"role\":\"voter\"}",
                           &r),
                 400, "%ld %s", r.status, r.body);
    o = http_json(&r);
    cr_expect_str_eq(type_of(o), "/problems/invalid-parameter");
    errors = json_object_get(o, "errors");
    for (i = 0; i < json_array_size(errors); i++) {
        p = json_string_value(
            json_object_get(json_array_get(errors, i), "pointer"));
        id += p != NULL && strcmp(p, "/id") == 0;
        address += p != NULL && strcmp(p, "/address") == 0;
        url += p != NULL && strcmp(p, "/url") == 0;
        extra += p != NULL && strcmp(p, "/role") == 0;
    }
    cr_expect(id == 1 && address == 1 && url == 1 && extra == 1, "%s",
              r.body);
    json_decref(o);
    http_reply_cleanup(&r);
    cr_expect_eq(http_send(&srv, "POST", "/v1/cluster/nodes", admin,
                           "text/plain", NULL, "{}", &r),
                 415);
    http_reply_cleanup(&r);
    cr_expect_eq(http_send(&srv, "DELETE", "/v1/cluster/nodes/0", admin,
                           NULL, NULL, NULL, &r),
                 404);
    http_reply_cleanup(&r);
    cr_expect_eq(http_send(&srv, "DELETE", "/v1/cluster/nodes/x", admin,
                           NULL, NULL, NULL, &r),
                 404);
    http_reply_cleanup(&r);
}

/* ---- a single server ---------------------------------------------------- */

Test(e2e_cluster_single, the_cluster_paths_are_404_not_a_cluster)
{
    struct http_reply r;
    json_t *o;

    cr_assert_eq(http_send(&srv, "GET", "/v1/cluster", admin, NULL, NULL,
                           NULL, &r),
                 404);
    o = http_json(&r);
    cr_expect_str_eq(type_of(o), "/problems/not-a-cluster");
    json_decref(o);
    cr_expect_null(http_header(&r, "Wenda-Index"));
    http_reply_cleanup(&r);
    cr_expect_eq(http_send(&srv, "POST", "/v1/cluster/nodes", admin,
                           "application/json", NULL,
                           "{\"id\":2,\"address\":\"127.0.0.1:1\","
                           "\"url\":\"http://127.0.0.1:2\"}", &r),
                 404);
    cr_expect_not_null(strstr(r.body, "not-a-cluster"), "%s", r.body);
    http_reply_cleanup(&r);
    cr_expect_eq(http_send(&srv, "DELETE", "/v1/cluster/nodes/2", admin,
                           NULL, NULL, NULL, &r),
                 404);
    cr_expect_not_null(strstr(r.body, "not-a-cluster"), "%s", r.body);
    http_reply_cleanup(&r);
    /* Without a token, as any admin path: 401. */
    cr_expect_eq(http_send(&srv, "GET", "/v1/cluster", NULL, NULL, NULL,
                           NULL, &r),
                 401);
    http_reply_cleanup(&r);
}

Test(e2e_cluster_single, min_index_is_taken_and_read_at_once)
{
    const char *hdrs[] = {"Wenda-Min-Index: 9223372036854775807", NULL};
    struct http_reply r;
    long long t0 = now_ms();

    cr_expect_eq(get("/v1/topics?min_index=9223372036854775807", NULL, &r),
                 200, "%s", r.body);
    cr_expect_null(http_header(&r, "Wenda-Index"), "a single server has "
                   "no log index");
    http_reply_cleanup(&r);
    cr_expect_eq(get("/v1/categories", hdrs, &r), 200);
    http_reply_cleanup(&r);
    cr_expect_eq(get("/readyz?min_index=0", NULL, &r), 200);
    http_reply_cleanup(&r);
    cr_expect_lt(now_ms() - t0, 2000, "a single server waited");
    cr_expect_eq(get("/v1/tags?min_index=x", NULL, &r), 400);
    cr_expect_not_null(strstr(r.body, "\"parameter\":\"min_index\""), "%s",
                       r.body);
    http_reply_cleanup(&r);
}

Test(e2e_cluster_single, the_options_of_a_node_need_cluster)
{
    static const char *const stray[] = {"serve", "--node-id", "1", NULL};
    static const char *const alone[] = {"serve", "--cluster", NULL};
    static const char *const replica[] = {
        "serve", "--cluster", "--node-id", "1", "--raft-address",
        "127.0.0.1:1", "--read-only", NULL};
    struct harness_run_result res;

    cr_assert_eq(harness_run(stray, 30, &res), 0);
    cr_expect_eq(res.status, 2, "exited %d: %s", res.status, res.err);
    cr_expect_not_null(strstr(res.err, "--cluster"), "%s", res.err);
    harness_run_cleanup(&res);
    cr_assert_eq(harness_run(alone, 30, &res), 0);
    cr_expect_eq(res.status, 2, "exited %d: %s", res.status, res.err);
    cr_expect_not_null(strstr(res.err, "--node-id"), "%s", res.err);
    harness_run_cleanup(&res);
    cr_assert_eq(harness_run(replica, 30, &res), 0);
    cr_expect_eq(res.status, 2, "exited %d: %s", res.status, res.err);
    cr_expect_not_null(strstr(res.err, "--read-only"), "%s", res.err);
    harness_run_cleanup(&res);
}
