/*
 * test_contract.c -- the HTTP contract a client relies on, through the
 * real binary: a topic is named by its id or its slug on every path, a
 * write answers with the ETag the next write needs, a history belongs to
 * an id that was given, misspelt parameters and unknown filters are
 * named instead of ignored, quiz items say where their answer is (and
 * give it when asked), and a replica names its primary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <sqlite3.h>

#include "harness.h"
#include "wenda/auth.h"

static struct wenda_server srv;
static char editor[WENDA_TOKEN_LEN + 1], reader[WENDA_TOKEN_LEN + 1];

static void
start(void)
{
    cr_assert_eq(harness_start(&srv, NULL), 0, "server did not start: %s",
                 srv.why);
    (void)harness_token(&srv, WENDA_ROLE_EDITOR, "contract-editor", editor);
    (void)harness_token(&srv, WENDA_ROLE_READER, "contract-reader", reader);
}

static void
stop(void)
{
    harness_stop(&srv);
}

TestSuite(e2e_contract, .init = start, .fini = stop);

/*
 * Sends method path with token (NULL: none), content type and If-Match
 * (NULL: none) and body (NULL: none) into *r; returns the status.
 */
static long
call(const char *method, const char *path, const char *token,
     const char *type, const char *if_match, const char *body,
     struct http_reply *r)
{
    long status = http_send(&srv, method, path, token, type, if_match, body,
                            r);

    cr_assert_neq(status, -1, "%s %s: no answer", method, path);
    return status;
}

/* The string member name of doc, or "". */
static const char *
member(const json_t *doc, const char *name)
{
    const char *v = json_string_value(json_object_get(doc, name));

    return v ? v : "";
}

/* The status of a GET of path, its body's "type" into type (may be NULL)
 * and its "parameter" into param (may be NULL). */
static long
get_problem(const char *path, char type[64], char param[64])
{
    struct http_reply r;
    json_t *doc;
    long status = call("GET", path, NULL, NULL, NULL, NULL, &r);

    doc = json_loadb(r.body, r.len, 0, NULL);
    if (type != NULL)
        snprintf(type, 64, "%s", member(doc, "type"));
    if (param != NULL)
        snprintf(param, 64, "%s", member(doc, "parameter"));
    json_decref(doc);
    http_reply_cleanup(&r);
    return status;
}

/* A path and the parameter its problem must name. */
struct named {
    const char *path, *param;
};

/* Expects a GET of each of the n paths of v to be a problem of status and
 * type naming its parameter. */
static void
expect_named(const struct named *v, size_t n, long status, const char *type)
{
    char got[64], param[64];
    size_t i;

    for (i = 0; i < n; i++) {
        cr_expect_eq(get_problem(v[i].path, got, param), status, "%s",
                     v[i].path);
        cr_expect_str_eq(got, type, "%s", v[i].path);
        cr_expect_str_eq(param, v[i].param, "%s", v[i].path);
    }
}

/* Copies the ETag of a GET of path into etag. */
static void
etag_of(const char *path, char etag[64])
{
    struct http_reply r;

    cr_assert_eq(call("GET", path, NULL, NULL, NULL, NULL, &r), 200, "%s",
                 path);
    snprintf(etag, 64, "%s", http_header_or_empty(&r, "ETag"));
    http_reply_cleanup(&r);
    cr_assert_neq(etag[0], '\0', "GET %s has no ETag", path);
}

static const char topic_body[] =
    "{\"slug\":\"contract-topic\",\"title\":\"约定的题目\","
    "\"category\":\"tools\",\"tags\":[\"git\"],\"answer\":\"回答\"}";

Test(e2e_contract, write_answers_carry_the_etag_a_get_then_gives)
{
    struct http_reply r;
    char etag[64], now[64];

    cr_assert_eq(call("POST", "/v1/topics", editor, "application/json", NULL,
                      topic_body, &r),
                 201, "%.*s", (int)r.len, r.body);
    snprintf(etag, sizeof etag, "%s", http_header_or_empty(&r, "ETag"));
    http_reply_cleanup(&r);
    etag_of("/v1/topics/contract-topic", now);
    cr_assert_str_eq(etag, now, "201's ETag is not the one a GET gives");

    /* Each write's answer gives what the next write needs: no GET. */
    cr_assert_eq(call("PATCH", "/v1/topics/contract-topic", editor,
                      "application/merge-patch+json", etag,
                      "{\"title\":\"改过的题目\"}", &r),
                 200, "%.*s", (int)r.len, r.body);
    snprintf(etag, sizeof etag, "%s", http_header_or_empty(&r, "ETag"));
    http_reply_cleanup(&r);
    etag_of("/v1/topics/contract-topic", now);
    cr_assert_str_eq(etag, now, "PATCH's ETag is not the one a GET gives");
    cr_assert_eq(call("PUT", "/v1/topics/contract-topic", editor,
                      "application/json", etag, topic_body, &r),
                 200, "%.*s", (int)r.len, r.body);
    snprintf(etag, sizeof etag, "%s", http_header_or_empty(&r, "ETag"));
    http_reply_cleanup(&r);
    cr_assert_eq(call("DELETE", "/v1/topics/contract-topic", editor, NULL,
                      etag, NULL, &r),
                 204, "%.*s", (int)r.len, r.body);
    http_reply_cleanup(&r);
}

Test(e2e_contract, every_path_of_a_topic_takes_its_slug)
{
    struct http_reply r;
    char etag[64], path[64];
    json_t *doc;
    long long id;

    cr_assert_eq(call("POST", "/v1/topics", editor, "application/json", NULL,
                      "{\"slug\":\"slug-everywhere\",\"title\":\"处处别名\","
                      "\"category\":\"tools\",\"tags\":[\"git\"],"
                      "\"answer\":\"一\"}",
                      &r),
                 201, "%.*s", (int)r.len, r.body);
    doc = http_json(&r);
    id = json_integer_value(json_object_get(doc, "id"));
    json_decref(doc);
    http_reply_cleanup(&r);

    etag_of("/v1/topics/slug-everywhere", etag);
    cr_assert_eq(call("PATCH", "/v1/topics/slug-everywhere", editor,
                      "application/merge-patch+json", etag,
                      "{\"answer\":\"二\"}", &r),
                 200, "%.*s", (int)r.len, r.body);
    http_reply_cleanup(&r);
    cr_assert_eq(call("GET", "/v1/topics/slug-everywhere/revisions", editor,
                      NULL, NULL, NULL, &r),
                 200, "%.*s", (int)r.len, r.body);
    doc = http_json(&r);
    cr_assert_eq(json_array_size(json_object_get(doc, "items")), 2, "%.*s",
                 (int)r.len, r.body);
    json_decref(doc);
    http_reply_cleanup(&r);
    cr_assert_eq(call("GET", "/v1/topics/deadlock/related?limit=3", NULL,
                      NULL, NULL, NULL, &r),
                 200, "%.*s", (int)r.len, r.body);
    http_reply_cleanup(&r);
    cr_assert_eq(call("POST", "/v1/progress/slug-everywhere", reader,
                      "application/json", NULL, "{\"grade\":4}", &r),
                 200, "%.*s", (int)r.len, r.body);
    http_reply_cleanup(&r);

    /* The id still names it, and a slug no topic has is 404. */
    snprintf(path, sizeof path, "/v1/topics/%lld", id);
    etag_of(path, etag);
    cr_assert_eq(call("DELETE", "/v1/topics/no-such-slug", editor, NULL,
                      "*", NULL, &r),
                 404);
    http_reply_cleanup(&r);
    cr_assert_eq(call("DELETE", "/v1/topics/slug-everywhere", editor, NULL,
                      etag, NULL, &r),
                 204, "%.*s", (int)r.len, r.body);
    http_reply_cleanup(&r);
    cr_assert_eq(call("GET", "/v1/topics/slug-everywhere", NULL, NULL, NULL,
                      NULL, &r),
                 404);
    http_reply_cleanup(&r);
}

Test(e2e_contract, a_history_belongs_to_an_id_that_was_given)
{
    struct http_reply r;
    char path[64], etag[64];
    json_t *doc;
    long long id;

    /* Never given: 404, as for a slug no topic has. */
    cr_assert_eq(call("GET", "/v1/topics/987654/revisions", editor, NULL,
                      NULL, NULL, &r),
                 404, "%.*s", (int)r.len, r.body);
    http_reply_cleanup(&r);
    cr_assert_eq(call("GET", "/v1/topics/no-such-slug/revisions", editor,
                      NULL, NULL, NULL, &r),
                 404);
    http_reply_cleanup(&r);
    /* Imported and never changed: an empty history. */
    cr_assert_eq(call("GET", "/v1/topics/deadlock/revisions", editor, NULL,
                      NULL, NULL, &r),
                 200, "%.*s", (int)r.len, r.body);
    http_reply_cleanup(&r);

    /* Deleted: the id keeps its history. */
    cr_assert_eq(call("POST", "/v1/topics", editor, "application/json", NULL,
                      "{\"slug\":\"short-lived\",\"title\":\"短命\","
                      "\"category\":\"tools\",\"tags\":[\"git\"],"
                      "\"answer\":\"一\"}",
                      &r),
                 201);
    doc = http_json(&r);
    id = json_integer_value(json_object_get(doc, "id"));
    json_decref(doc);
    snprintf(etag, sizeof etag, "%s", http_header_or_empty(&r, "ETag"));
    http_reply_cleanup(&r);
    snprintf(path, sizeof path, "/v1/topics/%lld", id);
    cr_assert_eq(call("DELETE", path, editor, NULL, etag, NULL, &r), 204);
    http_reply_cleanup(&r);
    snprintf(path, sizeof path, "/v1/topics/%lld/revisions", id);
    cr_assert_eq(call("GET", path, editor, NULL, NULL, NULL, &r), 200);
    doc = http_json(&r);
    cr_assert_eq(json_array_size(json_object_get(doc, "items")), 2);
    json_decref(doc);
    http_reply_cleanup(&r);
}

Test(e2e_contract, a_misspelt_or_unknown_parameter_is_named)
{
    static const struct named bad[] = {
        {"/v1/topics?categroy=http", "categroy"},
        {"/v1/topics?limit=2&page=2", "page"},
        {"/v1/search?q=gil&offest=10", "offest"},
        {"/v1/quiz?count=2&sed=4", "sed"},
        {"/v1/random?seed=4", "seed"},
        {"/v1/categories?limit=1", "limit"},
        {"/v1/topics/deadlock?fields=title", "fields"},
        {"/healthz?verbose=1", "verbose"},
    };

    expect_named(bad, sizeof(bad) / sizeof(bad[0]), 400,
                 "/problems/invalid-parameter");
    /* The parameters each path documents are all taken. */
    cr_expect_eq(get_problem("/v1/topics?category=http&tag=tcp&limit=2"
                             "&corrected=false",
                             NULL, NULL),
                 200);
    cr_expect_eq(get_problem("/v1/search?q=tcp&limit=2&offset=1"
                             "&category=networking&tag=tcp",
                             NULL, NULL),
                 200);
    cr_expect_eq(get_problem("/v1/quiz?category=http&count=2&seed=1"
                             "&reveal=false",
                             NULL, NULL),
                 200);
    /* The study page's address is the page's own business. */
    cr_expect_eq(get_problem("/?utm_source=mail", NULL, NULL), 200);
}

Test(e2e_contract, an_unknown_category_or_tag_is_404_everywhere)
{
    static const struct named unknown[] = {
        {"/v1/topics?category=nope", "category"},
        {"/v1/topics?tag=nope", "tag"},
        {"/v1/search?q=gil&category=nope", "category"},
        {"/v1/search?q=gil&tag=nope", "tag"},
        {"/v1/quiz?category=nope", "category"},
        {"/v1/random?category=nope", "category"},
    };

    expect_named(unknown, sizeof(unknown) / sizeof(unknown[0]), 404,
                 "/problems/not-found");
    /* A known filter that matches nothing is still an empty answer. */
    cr_expect_eq(get_problem("/v1/search?q=gil&category=tools", NULL, NULL),
                 200);
}

Test(e2e_contract, quiz_items_link_their_answer_and_reveal_it_when_asked)
{
    struct http_reply r;
    json_t *doc, *item;
    size_t i;

    cr_assert_eq(call("GET", "/v1/quiz?count=3&seed=7", NULL, NULL, NULL,
                      NULL, &r),
                 200);
    doc = http_json(&r);
    http_reply_cleanup(&r);
    json_array_foreach(json_object_get(doc, "items"), i, item) {
        char want[64];

        snprintf(want, sizeof want, "/v1/topics/%lld",
                 (long long)json_integer_value(json_object_get(item, "id")));
        cr_expect_str_eq(json_string_value(json_object_get(item, "href")),
                         want);
        cr_expect_null(json_object_get(item, "answer"));
    }
    json_decref(doc);

    cr_assert_eq(call("GET", "/v1/quiz?count=3&seed=7&reveal=true", NULL,
                      NULL, NULL, NULL, &r),
                 200);
    doc = http_json(&r);
    http_reply_cleanup(&r);
    cr_assert_eq(json_array_size(json_object_get(doc, "items")), 3);
    json_array_foreach(json_object_get(doc, "items"), i, item) {
        char path[96];
        json_t *t;
        const char *slug = json_string_value(json_object_get(item, "slug"));

        cr_assert_not_null(slug);
        snprintf(path, sizeof path, "/v1/topics/%s", slug);
        cr_assert_eq(call("GET", path, NULL, NULL, NULL, NULL, &r), 200);
        t = http_json(&r);
        http_reply_cleanup(&r);
        cr_expect_str_eq(json_string_value(json_object_get(item, "answer")),
                         json_string_value(json_object_get(t, "answer")));
        cr_expect_str_eq(
            json_string_value(json_object_get(item, "answer_html")),
            json_string_value(json_object_get(t, "answer_html")));
        json_decref(t);
    }
    json_decref(doc);
    cr_expect_eq(get_problem("/v1/quiz?reveal=yes", NULL, NULL), 400);
    /* The seed's bound is one a JSON number holds exactly. */
    cr_expect_eq(get_problem("/v1/quiz?seed=9007199254740991", NULL, NULL),
                 200);
    cr_expect_eq(get_problem("/v1/quiz?seed=9007199254740992", NULL, NULL),
                 400);
}

TestSuite(e2e_contract_replica);

Test(e2e_contract_replica, sends_writers_to_its_primary)
{
    const char *const args[] = {"--read-only", "--primary-url",
                                "https://primary.example:8443/", NULL};
    const char *const json[] = {"Content-Type: application/json", NULL};
    struct wenda_server replica;
    struct http_reply r;
    json_t *doc;

    cr_assert_eq(harness_start(&replica, args), 0, "%s", replica.why);
    cr_assert_eq(http_request(&replica, "PATCH", "/v1/topics/deadlock", json,
                              "{}", 2, &r),
                 0);
    cr_expect_eq(r.status, 405);
    cr_expect_str_eq(http_header_or_empty(&r, "Allow"), "GET, HEAD");
    doc = http_json(&r);
    cr_expect_str_eq(json_string_value(json_object_get(doc, "primary")),
                     "https://primary.example:8443/v1/topics/deadlock");
    cr_expect_not_null(
        strstr(json_string_value(json_object_get(doc, "detail")),
               "https://primary.example:8443/v1/topics/deadlock"));
    json_decref(doc);
    http_reply_cleanup(&r);
    harness_stop(&replica);
}

Test(e2e_contract_replica, refuses_a_primary_url_that_is_not_one)
{
    const char *const bad[] = {"ftp://x", "https://", "https://a b",
                               "https://h/p?q=1", "primary:8080"};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *const args[] = {"serve", "--port", "1", "--primary-url",
                                    bad[i], NULL};
        struct harness_run_result res;

        cr_assert_eq(harness_run(args, 30, &res), 0);
        cr_expect_eq(res.status, 2, "%s: %d %s", bad[i], res.status,
                     res.err);
        cr_expect_not_null(strstr(res.err, "--primary-url"), "%s", res.err);
        harness_run_cleanup(&res);
    }
}

/* n copies of the three-byte character 题, NUL-terminated, into out. */
static void
han_run(char *out, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        memcpy(out + 3 * i, "题", 3);
    out[3 * n] = '\0';
}

Test(e2e_contract, text_limits_count_characters_as_a_reader_does)
{
    char title[3 * 201 + 1], body[1024], name[3 * 65 + 1], token[128];
    const char *const ok[] = {"Content-Type: application/json", NULL};
    struct http_reply r;

    /* 200 Chinese characters are a title (600 bytes); 201 are not. */
    han_run(title, 200);
    snprintf(body, sizeof body,
             "{\"slug\":\"long-title\",\"title\":\"%s\",\"category\":\"tools\","
             "\"tags\":[\"git\"],\"answer\":\"一\"}",
             title);
    cr_assert_eq(call("POST", "/v1/topics", editor, "application/json",
                      NULL, body, &r),
                 201, "%.*s", (int)r.len, r.body);
    http_reply_cleanup(&r);
    han_run(title, 201);
    snprintf(body, sizeof body,
             "{\"slug\":\"longer-title\",\"title\":\"%s\","
             "\"category\":\"tools\",\"tags\":[\"git\"],\"answer\":\"一\"}",
             title);
    cr_assert_eq(call("POST", "/v1/topics", editor, "application/json",
                      NULL, body, &r),
                 400, "%.*s", (int)r.len, r.body);
    cr_expect_not_null(strstr(r.body, "200 characters"), "%s", r.body);
    http_reply_cleanup(&r);

    /* A token's name: 64 characters, not 64 bytes. */
    (void)harness_token(&srv, WENDA_ROLE_ADMIN, "contract-admin", token);
    han_run(name, 64);
    snprintf(body, sizeof body, "{\"role\":\"reader\",\"name\":\"%s\"}", name);
    {
        char auth[160];
        const char *const h[] = {auth, ok[0], NULL};

        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        cr_assert_eq(http_request(&srv, "POST", "/v1/tokens", h, body,
                                  strlen(body), &r),
                     0);
        cr_expect_eq(r.status, 201, "%.*s", (int)r.len, r.body);
        http_reply_cleanup(&r);
        han_run(name, 65);
        snprintf(body, sizeof body, "{\"role\":\"reader\",\"name\":\"%s\"}",
                 name);
        cr_assert_eq(http_request(&srv, "POST", "/v1/tokens", h, body,
                                  strlen(body), &r),
                     0);
        cr_expect_eq(r.status, 400, "%.*s", (int)r.len, r.body);
        http_reply_cleanup(&r);
    }
}

Test(e2e_contract, a_write_the_busy_database_cannot_take_says_when_to_retry,
     .timeout = 60)
{
    char path[HARNESS_PATH_MAX + 16];
    struct http_reply r;
    sqlite3 *db;
    json_t *doc;

    /* Another process holds the write lock past the server's wait. */
    snprintf(path, sizeof path, "%s/wenda.db", srv.dir);
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(call("POST", "/v1/topics", editor, "application/json", NULL,
                      topic_body, &r),
                 503, "%.*s", (int)r.len, r.body);
    cr_expect_str_eq(http_header_or_empty(&r, "Retry-After"), "1");
    doc = http_json(&r);
    cr_expect_str_eq(member(doc, "type"), "/problems/unavailable");
    json_decref(doc);
    http_reply_cleanup(&r);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    /* Once it lets go, the same write goes through. */
    cr_assert_eq(call("POST", "/v1/topics", editor, "application/json", NULL,
                      topic_body, &r),
                 201, "%.*s", (int)r.len, r.body);
    http_reply_cleanup(&r);
}
