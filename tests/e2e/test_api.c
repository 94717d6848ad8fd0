/*
 * test_api.c -- end-to-end tests of wenda's read-only REST API and its CLI.
 *
 * Each test talks HTTP to the real binary, started by harness.c on a free
 * loopback port (Criterion runs each test in its own process, so a suite's
 * .init/.fini give every test a fresh server).  The tests only rely on what
 * the API promises: 64 topics with ids 1..64, seven named categories, and
 * two known topics ("deadlock" and "django-advantages"); every other slug
 * and tag is discovered from the list endpoints.
 */
/* The Makefile passes -D_GNU_SOURCE; this covers a build by hand. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): feature macro */
#endif

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>

#include "harness.h"

#define TOPIC_COUNT 64
#define CATEGORY_COUNT 7

static const char *const category_slugs[CATEGORY_COUNT] = {
    "web-frameworks", "python",      "networking", "processes-threads",
    "concurrency",    "http",        "tools",
};

static struct wenda_server srv;

static void start_server(void);
static void stop_server(void);
static void fetch(const char *method, const char *path, struct http_reply *r);
static json_t *get_json(const char *path, long want_status,
                        struct http_reply *keep);
static void assert_json_content_type(const struct http_reply *r,
                                     const char *what);
static void assert_problem(const struct http_reply *r, long status,
                           const char *type, const char *what);
static void assert_bad_parameter(const char *path, const char *parameter);
static void assert_not_found(const char *path);
static int is_rfc3339_utc(const char *s);
static void assert_topic_fields(const json_t *t, int full, const char *what);
static int has_tag(const json_t *topic, const char *tag);
static char *escaped(const char *s);
static char *next_link(const struct http_reply *r);
static json_t *all_topics(void);
static json_t *find_by_key(const json_t *items, const char *key,
                           const char *value);
static long long count_following_links(const char *first_path,
                                       const char *key, const char *value,
                                       size_t limit);
static int raw_status_of(const char *request, char *buf, size_t cap);
static int contains_nocase(const char *haystack, const char *needle);
static void run_cli(const char *const *args, struct harness_run_result *res);

/* ------------------------------------------------------------------------ */
/* Fixtures and helpers                                                     */
/* ------------------------------------------------------------------------ */

static void
start_server(void)
{
    cr_assert_eq(harness_start(&srv, NULL), 0, "wenda did not start: %s",
                 srv.why);
}

static void
stop_server(void)
{
    harness_stop(&srv);
}

/* Sends a request and fails the test unless a response came back. */
static void
fetch(const char *method, const char *path, struct http_reply *r)
{
    int rc = http_request(&srv, method, path, NULL, NULL, 0, r);

    cr_assert_eq(rc, CURLE_OK, "%s %s: no response: %s", method, path,
                 curl_easy_strerror((CURLcode)rc));
}

/*
 * GETs path, checks the status (and, for a 2xx status, the JSON
 * Content-Type) and returns the parsed body as a new reference.  If keep is
 * non-NULL the reply is handed to the caller there, to be released with
 * http_reply_cleanup(); otherwise it is released here.
 */
static json_t *
get_json(const char *path, long want_status, struct http_reply *keep)
{
    struct http_reply r;
    json_t *doc;

    fetch("GET", path, &r);
    cr_assert_eq(r.status, want_status,
                 "GET %s: status %ld, want %ld; body: %.300s", path, r.status,
                 want_status, r.body);
    if (want_status < 300)
        assert_json_content_type(&r, path);
    doc = http_json(&r);
    if (keep != NULL)
        *keep = r;
    else
        http_reply_cleanup(&r);
    return doc;
}

/* JSON bodies are "application/json; charset=utf-8" (case and blanks free). */
static void
assert_json_content_type(const struct http_reply *r, const char *what)
{
    const char *ct = http_header(r, "Content-Type");
    char norm[128];
    size_t n = 0;

    cr_assert_not_null(ct, "%s: no Content-Type header", what);
    for (; *ct != '\0' && n + 1 < sizeof norm; ct++) {
        if (*ct != ' ' && *ct != '\t')
            norm[n++] = (char)tolower((unsigned char)*ct);
    }
    norm[n] = '\0';
    cr_assert_str_eq(norm, "application/json;charset=utf-8",
                     "%s: Content-Type is '%s'", what,
                     http_header(r, "Content-Type"));
}

/*
 * Checks that r is an RFC 9457 problem with the given status: the media
 * type, and members type ("/problems/..." and equal to type when type is
 * non-NULL), title, status and detail.
 */
static void
assert_problem(const struct http_reply *r, long status, const char *type,
               const char *what)
{
    const char *ct = http_header(r, "Content-Type");
    json_t *doc, *member;

    cr_assert_eq(r->status, status, "%s: status %ld, want %ld; body: %.300s",
                 what, r->status, status, r->body);
    cr_assert_not_null(ct, "%s: problem without Content-Type", what);
    cr_assert(strncasecmp(ct, "application/problem+json", 24) == 0,
              "%s: Content-Type is '%s', want application/problem+json", what,
              ct);
    doc = http_json(r);
    cr_assert(json_is_object(doc), "%s: problem is not an object", what);

    member = json_object_get(doc, "type");
    cr_assert(json_is_string(member), "%s: problem has no string type", what);
    cr_assert(strncmp(json_string_value(member), "/problems/", 10) == 0,
              "%s: type '%s' does not start with /problems/", what,
              json_string_value(member));
    if (type != NULL)
        cr_assert_str_eq(json_string_value(member), type, "%s: type", what);

    member = json_object_get(doc, "title");
    cr_assert(json_is_string(member) && json_string_length(member) > 0,
              "%s: problem has no title", what);
    member = json_object_get(doc, "status");
    cr_assert(json_is_integer(member), "%s: problem status not a number",
              what);
    cr_assert_eq(json_integer_value(member), (json_int_t)status,
                 "%s: problem status %lld, HTTP status %ld", what,
                 (long long)json_integer_value(member), status);
    member = json_object_get(doc, "detail");
    cr_assert(json_is_string(member), "%s: problem has no string detail",
              what);
    json_decref(doc);
}

/* GET path answers 400 naming parameter in "parameter" and in the detail. */
static void
assert_bad_parameter(const char *path, const char *parameter)
{
    struct http_reply r;
    json_t *doc;
    const char *detail;

    fetch("GET", path, &r);
    assert_problem(&r, 400, NULL, path);
    doc = http_json(&r);
    cr_assert(json_is_string(json_object_get(doc, "parameter")),
              "GET %s: problem has no \"parameter\" member: %s", path,
              r.body);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "parameter")),
                     parameter, "GET %s: wrong parameter named", path);
    detail = json_string_value(json_object_get(doc, "detail"));
    cr_assert(strstr(detail, parameter) != NULL,
              "GET %s: detail '%s' does not mention '%s'", path, detail,
              parameter);
    json_decref(doc);
    http_reply_cleanup(&r);
}

static void
assert_not_found(const char *path)
{
    struct http_reply r;

    fetch("GET", path, &r);
    assert_problem(&r, 404, NULL, path);
    http_reply_cleanup(&r);
}

/* "2026-11-25T12:00:00Z", optionally with a fraction of a second. */
static int
is_rfc3339_utc(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t k;
    int month, day, hour, minute, second;

    for (k = 0; shape[k] != '\0'; k++) {
        if (shape[k] == 'd' ? !isdigit((unsigned char)s[k]) : s[k] != shape[k])
            return 0;
    }
    month = (s[5] - '0') * 10 + (s[6] - '0');
    day = (s[8] - '0') * 10 + (s[9] - '0');
    hour = (s[11] - '0') * 10 + (s[12] - '0');
    minute = (s[14] - '0') * 10 + (s[15] - '0');
    second = (s[17] - '0') * 10 + (s[18] - '0');
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
        minute > 59 || second > 60)
        return 0;
    s += k;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return 0;
        while (isdigit((unsigned char)*s))
            s++;
    }
    return strcmp(s, "Z") == 0;
}

/*
 * Checks the members every topic has; full topics (single and random) also
 * carry a non-empty answer and aliases, list items carry no answer.
 */
static void
assert_topic_fields(const json_t *t, int full, const char *what)
{
    const json_t *v;
    size_t k;

    cr_assert(json_is_object(t), "%s: topic is not an object", what);
    v = json_object_get(t, "id");
    cr_assert(json_is_integer(v), "%s: id is not an integer", what);
    cr_assert(json_integer_value(v) >= 1 &&
                  json_integer_value(v) <= TOPIC_COUNT,
              "%s: id %lld out of 1..%d", what,
              (long long)json_integer_value(v), TOPIC_COUNT);
    v = json_object_get(t, "slug");
    cr_assert(json_is_string(v) && json_string_length(v) > 0,
              "%s: no slug", what);
    v = json_object_get(t, "title");
    cr_assert(json_is_string(v) && json_string_length(v) > 0,
              "%s: no title", what);
    cr_assert(json_is_string(json_object_get(t, "title_en")),
              "%s: title_en is not a string", what);
    v = json_object_get(t, "category");
    cr_assert(json_is_string(v), "%s: category is not a string", what);
    for (k = 0; k < CATEGORY_COUNT; k++) {
        if (strcmp(json_string_value(v), category_slugs[k]) == 0)
            break;
    }
    cr_assert_lt(k, CATEGORY_COUNT, "%s: unknown category '%s'", what,
                 json_string_value(v));
    v = json_object_get(t, "tags");
    cr_assert(json_is_array(v), "%s: tags is not an array", what);
    for (k = 0; k < json_array_size(v); k++)
        cr_assert(json_is_string(json_array_get(v, k)),
                  "%s: tag %zu is not a string", what, k);
    cr_assert(json_is_integer(json_object_get(t, "order")),
              "%s: order is not an integer", what);
    v = json_object_get(t, "version");
    cr_assert(json_is_integer(v) && json_integer_value(v) >= 1,
              "%s: version is not an integer >= 1", what);
    v = json_object_get(t, "updated_at");
    cr_assert(json_is_string(v), "%s: updated_at is not a string", what);
    cr_assert(is_rfc3339_utc(json_string_value(v)),
              "%s: updated_at '%s' is not RFC 3339 UTC", what,
              json_string_value(v));

    if (!full) {
        cr_assert_null(json_object_get(t, "answer"),
                       "%s: list item carries an answer", what);
        return;
    }
    v = json_object_get(t, "answer");
    cr_assert(json_is_string(v) && json_string_length(v) > 0,
              "%s: answer is missing or empty", what);
    v = json_object_get(t, "aliases");
    cr_assert(json_is_array(v), "%s: aliases is not an array", what);
    for (k = 0; k < json_array_size(v); k++)
        cr_assert(json_is_string(json_array_get(v, k)),
                  "%s: alias %zu is not a string", what, k);
}

static int
has_tag(const json_t *topic, const char *tag)
{
    const json_t *tags = json_object_get(topic, "tags");
    size_t k;

    for (k = 0; k < json_array_size(tags); k++) {
        if (strcmp(json_string_value(json_array_get(tags, k)), tag) == 0)
            return 1;
    }
    return 0;
}

/* Percent-encodes s for a query string; the caller frees with curl_free(). */
static char *
escaped(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);

    cr_assert_not_null(e, "curl_easy_escape failed");
    return e;
}

/*
 * Returns the target of the rel="next" link in r's Link header as a new
 * string (caller frees), or NULL if there is no Link header.  Fails the test
 * if a Link header is there but has no rel="next" entry.
 */
static char *
next_link(const struct http_reply *r)
{
    const char *link = http_header(r, "Link");
    const char *p;

    if (link == NULL)
        return NULL;
    for (p = link; (p = strchr(p, '<')) != NULL;) {
        const char *gt = strchr(p, '>');
        const char *end;
        size_t len;
        char *params, *target;

        cr_assert_not_null(gt, "Link header '%s' has no '>'", link);
        end = strchr(gt, ',');
        if (end == NULL)
            end = gt + strlen(gt);
        len = (size_t)(end - gt);
        params = malloc(len + 1);
        cr_assert_not_null(params);
        memcpy(params, gt, len);
        params[len] = '\0';
        if (strstr(params, "rel=\"next\"") != NULL ||
            strstr(params, "rel=next") != NULL) {
            free(params);
            len = (size_t)(gt - p - 1);
            target = malloc(len + 1);
            cr_assert_not_null(target);
            memcpy(target, p + 1, len);
            target[len] = '\0';
            return target;
        }
        free(params);
        p = end;
    }
    cr_assert_fail("Link header '%s' has no rel=\"next\"", link);
    return NULL;
}

/* Returns (new reference) the items of /v1/topics?limit=100, all 64. */
static json_t *
all_topics(void)
{
    json_t *doc = get_json("/v1/topics?limit=100", 200, NULL);
    json_t *items = json_object_get(doc, "items");

    cr_assert(json_is_array(items), "/v1/topics: items is not an array");
    cr_assert_eq(json_array_size(items), TOPIC_COUNT,
                 "/v1/topics?limit=100 gave %zu items, want %d",
                 json_array_size(items), TOPIC_COUNT);
    json_incref(items);
    json_decref(doc);
    return items;
}

/* Returns (borrowed) the first object in items whose key equals value. */
static json_t *
find_by_key(const json_t *items, const char *key, const char *value)
{
    size_t k;

    for (k = 0; k < json_array_size(items); k++) {
        json_t *it = json_array_get(items, k);
        const char *v = json_string_value(json_object_get(it, key));

        if (v != NULL && strcmp(v, value) == 0)
            return it;
    }
    return NULL;
}

/*
 * Starts at first_path and follows rel="next" links to the end, checking
 * that every page holds at most limit items, each with string member key
 * equal to value (key "category") or listing value among its tags (key
 * "tags"), and that ids ascend across pages.  Returns the number of items.
 */
static long long
count_following_links(const char *first_path, const char *key,
                      const char *value, size_t limit)
{
    char *path = strdup(first_path);
    long long total = 0, last_id = 0;
    int pages = 0;

    cr_assert_not_null(path);
    while (path != NULL) {
        struct http_reply r;
        json_t *doc = get_json(path, 200, &r);
        json_t *items = json_object_get(doc, "items");
        char *link = next_link(&r);
        size_t k;

        cr_assert(json_is_array(items), "GET %s: no items array", path);
        cr_assert_leq(json_array_size(items), limit,
                      "GET %s: %zu items exceed the limit %zu", path,
                      json_array_size(items), limit);
        for (k = 0; k < json_array_size(items); k++) {
            json_t *it = json_array_get(items, k);
            long long id = (long long)json_integer_value(
                json_object_get(it, "id"));

            if (strcmp(key, "tags") == 0)
                cr_assert(has_tag(it, value),
                          "GET %s: topic %lld lacks tag '%s'", path, id,
                          value);
            else
                cr_assert_str_eq(
                    json_string_value(json_object_get(it, key)), value,
                    "GET %s: topic %lld has the wrong %s", path, id, key);
            cr_assert_gt(id, last_id, "GET %s: id %lld after %lld", path, id,
                         last_id);
            last_id = id;
            total++;
        }
        if (link != NULL) {
            cr_assert(json_is_string(json_object_get(doc, "next")),
                      "GET %s: Link header but next is not a string", path);
            cr_assert(strncmp(link, "/v1/topics?", 11) == 0,
                      "GET %s: next link '%s' is not a /v1/topics URL", path,
                      link);
        } else {
            cr_assert(json_is_null(json_object_get(doc, "next")),
                      "GET %s: next is set but there is no Link header",
                      path);
        }
        cr_assert_lt(++pages, 2 * TOPIC_COUNT + 2,
                     "pagination from %s does not end", first_path);
        json_decref(doc);
        http_reply_cleanup(&r);
        free(path);
        path = link;
    }
    return total;
}

/* Sends a raw request; returns the status (0 when there is none). */
static int
raw_status_of(const char *request, char *buf, size_t cap)
{
    long n = http_raw(&srv, request, buf, cap);

    cr_assert_geq(n, 0, "raw request failed to connect");
    return http_raw_status(buf);
}

/* Tells whether needle occurs in haystack, ignoring ASCII case. */
static int
contains_nocase(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);

    for (; *haystack != '\0'; haystack++) {
        if (strncasecmp(haystack, needle, n) == 0)
            return 1;
    }
    return n == 0;
}

/* ------------------------------------------------------------------------ */
/* Health                                                                   */
/* ------------------------------------------------------------------------ */

TestSuite(e2e_health, .init = start_server, .fini = stop_server);

Test(e2e_health, answers_ok_with_a_json_status)
{
    json_t *doc = get_json("/healthz", 200, NULL);

    cr_assert_str_eq(json_string_value(json_object_get(doc, "status")), "ok",
                     "healthz status member");
    json_decref(doc);
}

/* ------------------------------------------------------------------------ */
/* Listing topics                                                           */
/* ------------------------------------------------------------------------ */

TestSuite(e2e_topics, .init = start_server, .fini = stop_server);

Test(e2e_topics, lists_twenty_topics_by_default_with_a_next_cursor)
{
    struct http_reply r;
    json_t *doc = get_json("/v1/topics", 200, &r);
    json_t *items = json_object_get(doc, "items");
    char *link;
    size_t k;

    cr_assert(json_is_array(items), "items is not an array");
    cr_assert_eq(json_array_size(items), 20, "default page has %zu items",
                 json_array_size(items));
    for (k = 0; k < 20; k++)
        cr_assert_eq(json_integer_value(
                         json_object_get(json_array_get(items, k), "id")),
                     (json_int_t)(k + 1), "item %zu has the wrong id", k);
    cr_assert(json_is_string(json_object_get(doc, "next")),
              "next is not a string on the first page");
    link = next_link(&r);
    cr_assert_not_null(link, "first page has no Link header");
    cr_assert(strstr(link, "cursor=") != NULL, "Link '%s' has no cursor",
              link);
    free(link);
    json_decref(doc);
    http_reply_cleanup(&r);
}

Test(e2e_topics, gives_list_items_every_summary_field_but_no_answer)
{
    json_t *items = all_topics();
    size_t k;

    for (k = 0; k < json_array_size(items); k++) {
        char what[64];

        snprintf(what, sizeof what, "list item %zu", k);
        assert_topic_fields(json_array_get(items, k), 0, what);
    }
    json_decref(items);
}

Test(e2e_topics, numbers_the_topics_one_to_sixty_four_in_ascending_order)
{
    json_t *items = all_topics();
    size_t k;

    for (k = 0; k < json_array_size(items); k++)
        cr_assert_eq(json_integer_value(
                         json_object_get(json_array_get(items, k), "id")),
                     (json_int_t)(k + 1), "item %zu has the wrong id", k);
    json_decref(items);
}

Test(e2e_topics, gives_every_topic_a_distinct_slug)
{
    json_t *items = all_topics();
    size_t i, j;

    for (i = 0; i < json_array_size(items); i++) {
        const char *a = json_string_value(
            json_object_get(json_array_get(items, i), "slug"));

        for (j = i + 1; j < json_array_size(items); j++)
            cr_assert_str_neq(a,
                              json_string_value(json_object_get(
                                  json_array_get(items, j), "slug")),
                              "items %zu and %zu share a slug", i, j);
    }
    json_decref(items);
}

Test(e2e_topics, visits_all_topics_once_by_following_link_headers)
{
    char *path = strdup("/v1/topics?limit=7");
    int seen[TOPIC_COUNT + 1] = {0};
    long long last_id = 0;
    int pages = 0, total = 0;

    cr_assert_not_null(path);
    for (;;) {
        struct http_reply r;
        json_t *doc = get_json(path, 200, &r);
        json_t *items = json_object_get(doc, "items");
        json_t *next = json_object_get(doc, "next");
        char *link = next_link(&r);
        size_t k;

        pages++;
        cr_assert(json_is_array(items), "GET %s: no items", path);
        for (k = 0; k < json_array_size(items); k++) {
            json_t *it = json_array_get(items, k);
            long long id =
                (long long)json_integer_value(json_object_get(it, "id"));

            assert_topic_fields(it, 0, path);
            cr_assert_gt(id, last_id, "GET %s: id %lld after %lld", path, id,
                         last_id);
            cr_assert(!seen[id], "topic %lld seen twice", id);
            seen[id] = 1;
            last_id = id;
            total++;
        }
        if (json_is_null(next)) {
            cr_assert_null(link, "GET %s: last page has a Link header",
                           path);
            json_decref(doc);
            http_reply_cleanup(&r);
            break;
        }
        cr_assert(json_is_string(next), "GET %s: next is neither string "
                  "nor null", path);
        cr_assert_eq(json_array_size(items), 7,
                     "GET %s: page %d before the last has %zu items", path,
                     pages, json_array_size(items));
        cr_assert_not_null(link, "GET %s: next is set but no Link header",
                           path);
        cr_assert(strncmp(link, "/v1/topics?", 11) == 0,
                  "Link target '%s' is not a relative /v1/topics URL", link);
        cr_assert(strstr(link, "limit=7") != NULL,
                  "Link target '%s' drops limit=7", link);
        cr_assert_lt(pages, 20, "pagination does not end");
        json_decref(doc);
        http_reply_cleanup(&r);
        free(path);
        path = link;
    }
    free(path);
    cr_assert_eq(total, TOPIC_COUNT, "visited %d topics, want %d", total,
                 TOPIC_COUNT);
    cr_assert_eq(pages, 10, "visited %d pages of 7, want 10", pages);
}

Test(e2e_topics, serves_the_same_page_for_the_next_cursor_and_the_link)
{
    char path[1024] = "/v1/topics?limit=7";
    int pages = 0, total = 0;

    for (;;) {
        struct http_reply r;
        json_t *doc = get_json(path, 200, &r);
        json_t *next = json_object_get(doc, "next");
        char *link = next_link(&r);
        char *cursor;
        json_t *by_link, *by_cursor;

        total += (int)json_array_size(json_object_get(doc, "items"));
        if (json_is_null(next)) {
            cr_assert_null(link, "last page has a Link header");
            json_decref(doc);
            http_reply_cleanup(&r);
            break;
        }
        cr_assert(json_is_string(next), "next is neither string nor null");
        cr_assert_not_null(link, "GET %s: next but no Link header", path);
        cursor = escaped(json_string_value(next));
        cr_assert_lt((size_t)snprintf(path, sizeof path,
                                      "/v1/topics?limit=7&cursor=%s", cursor),
                     sizeof path, "cursor too long");
        curl_free(cursor);
        by_cursor = get_json(path, 200, NULL);
        by_link = get_json(link, 200, NULL);
        cr_assert(json_equal(by_cursor, by_link),
                  "GET %s and GET %s give different pages", path, link);
        json_decref(by_cursor);
        json_decref(by_link);
        free(link);
        json_decref(doc);
        http_reply_cleanup(&r);
        cr_assert_lt(++pages, 20, "pagination does not end");
    }
    cr_assert_eq(total, TOPIC_COUNT, "cursors visited %d topics", total);
}

Test(e2e_topics, ends_with_a_null_next_and_no_link_when_everything_fits)
{
    struct http_reply r;
    json_t *doc = get_json("/v1/topics?limit=100", 200, &r);

    cr_assert_eq(json_array_size(json_object_get(doc, "items")), TOPIC_COUNT,
                 "limit=100 should hold all topics");
    cr_assert(json_is_null(json_object_get(doc, "next")),
              "next is not null on the only page");
    cr_assert_null(http_header(&r, "Link"), "the only page has a Link");
    json_decref(doc);
    http_reply_cleanup(&r);
}

Test(e2e_topics, returns_one_topic_for_a_limit_of_one)
{
    json_t *doc = get_json("/v1/topics?limit=1", 200, NULL);

    cr_assert_eq(json_array_size(json_object_get(doc, "items")), 1,
                 "limit=1 gave %zu items",
                 json_array_size(json_object_get(doc, "items")));
    cr_assert(json_is_string(json_object_get(doc, "next")),
              "limit=1 should leave a next cursor");
    json_decref(doc);
}

Test(e2e_topics, filters_by_category)
{
    json_t *doc = get_json("/v1/topics?category=concurrency&limit=100", 200,
                           NULL);
    json_t *items = json_object_get(doc, "items");
    size_t k;

    cr_assert_gt(json_array_size(items), 0, "no concurrency topics");
    for (k = 0; k < json_array_size(items); k++)
        cr_assert_str_eq(json_string_value(json_object_get(
                             json_array_get(items, k), "category")),
                         "concurrency", "item %zu is in another category", k);
    cr_assert_not_null(find_by_key(items, "slug", "deadlock"),
                       "deadlock is missing from the concurrency topics");
    json_decref(doc);
}

Test(e2e_topics, keeps_the_category_and_limit_when_following_links)
{
    json_t *doc = get_json("/v1/categories", 200, NULL);
    json_t *cat = find_by_key(json_object_get(doc, "items"), "slug",
                              "concurrency");
    struct http_reply r;
    json_t *first;
    char *link;
    long long want, got;

    cr_assert_not_null(cat, "no concurrency category");
    want = (long long)json_integer_value(json_object_get(cat, "count"));
    cr_assert_geq(want, 2, "too few concurrency topics to paginate");

    first = get_json("/v1/topics?category=concurrency&limit=1", 200, &r);
    link = next_link(&r);
    cr_assert_not_null(link, "first page of 1 has no Link header");
    cr_assert(strstr(link, "category=concurrency") != NULL,
              "Link '%s' drops the category", link);
    cr_assert(strstr(link, "limit=1") != NULL, "Link '%s' drops the limit",
              link);
    free(link);
    json_decref(first);
    http_reply_cleanup(&r);

    got = count_following_links("/v1/topics?category=concurrency&limit=1",
                                "category", "concurrency", 1);
    cr_assert_eq(got, want, "pages held %lld concurrency topics, want %lld",
                 got, want);
    json_decref(doc);
}

Test(e2e_topics, filters_by_tag_and_keeps_the_tag_when_following_links)
{
    json_t *tags = get_json("/v1/tags", 200, NULL);
    json_t *top = json_array_get(json_object_get(tags, "items"), 0);
    const char *tag;
    long long want, got;
    char path[512];
    char *tag_q;

    cr_assert_not_null(top, "no tags at all");
    tag = json_string_value(json_object_get(top, "tag"));
    want = (long long)json_integer_value(json_object_get(top, "count"));
    cr_assert_not_null(tag, "first tag has no name");
    if (want < 2)
        cr_log_warn("the most used tag '%s' has count %lld; the filter is "
                    "checked but pagination is not", tag, want);
    tag_q = escaped(tag);
    snprintf(path, sizeof path, "/v1/topics?tag=%s&limit=1", tag_q);
    curl_free(tag_q);
    got = count_following_links(path, "tags", tag, 1);
    cr_assert_eq(got, want, "pages held %lld topics tagged '%s', want %lld",
                 got, tag, want);
    json_decref(tags);
}

Test(e2e_topics, answers_an_unknown_category_with_404_naming_it)
{
    struct http_reply r;
    json_t *doc = get_json("/v1/topics?category=no-such-category", 404, &r);

    cr_assert_str_eq(json_string_value(json_object_get(doc, "parameter")),
                     "category");
    cr_assert_not_null(strstr(json_string_value(json_object_get(doc,
                                                                "detail")),
                              "no-such-category"));
    json_decref(doc);
    http_reply_cleanup(&r);
}

Test(e2e_topics, names_a_query_parameter_it_does_not_take)
{
    assert_bad_parameter("/v1/topics?foo=bar&foo=baz&x", "foo");
}

Test(e2e_topics, rejects_a_limit_of_zero)
{
    assert_bad_parameter("/v1/topics?limit=0", "limit");
}

Test(e2e_topics, rejects_a_limit_above_one_hundred)
{
    assert_bad_parameter("/v1/topics?limit=101", "limit");
    assert_bad_parameter("/v1/topics?limit=99999999999999999999", "limit");
}

Test(e2e_topics, rejects_a_limit_that_is_not_a_number)
{
    assert_bad_parameter("/v1/topics?limit=abc", "limit");
    assert_bad_parameter("/v1/topics?limit=5x", "limit");
}

Test(e2e_topics, rejects_a_negative_limit)
{
    assert_bad_parameter("/v1/topics?limit=-1", "limit");
}

Test(e2e_topics, rejects_an_empty_limit)
{
    assert_bad_parameter("/v1/topics?limit=", "limit");
}

Test(e2e_topics, rejects_a_garbage_cursor)
{
    assert_bad_parameter("/v1/topics?cursor=garbage", "cursor");
}

Test(e2e_topics, rejects_a_cursor_that_is_not_utf8)
{
    assert_bad_parameter("/v1/topics?cursor=%FF", "cursor");
}

Test(e2e_topics, rejects_a_malformed_category)
{
    assert_bad_parameter("/v1/topics?category=Bad%20Value%21", "category");
}

/* ------------------------------------------------------------------------ */
/* One topic                                                                */
/* ------------------------------------------------------------------------ */

TestSuite(e2e_topic, .init = start_server, .fini = stop_server);

Test(e2e_topic, returns_the_same_object_by_id_and_by_slug)
{
    json_t *by_id = get_json("/v1/topics/1", 200, NULL);
    const char *slug = json_string_value(json_object_get(by_id, "slug"));
    char path[256];
    json_t *by_slug;

    cr_assert_not_null(slug, "topic 1 has no slug");
    snprintf(path, sizeof path, "/v1/topics/%s", slug);
    by_slug = get_json(path, 200, NULL);
    cr_assert(json_equal(by_id, by_slug), "/v1/topics/1 differs from %s",
              path);
    assert_topic_fields(by_id, 1, "/v1/topics/1");
    cr_assert_eq(json_integer_value(json_object_get(by_id, "id")), 1,
                 "/v1/topics/1 has another id");
    json_decref(by_id);
    json_decref(by_slug);
}

Test(e2e_topic, finds_deadlock_by_slug)
{
    json_t *t = get_json("/v1/topics/deadlock", 200, NULL);

    assert_topic_fields(t, 1, "deadlock");
    cr_assert_str_eq(json_string_value(json_object_get(t, "slug")),
                     "deadlock");
    cr_assert_str_eq(json_string_value(json_object_get(t, "title")), "死锁");
    cr_assert_str_eq(json_string_value(json_object_get(t, "category")),
                     "concurrency");
    json_decref(t);
}

Test(e2e_topic, finds_django_advantages_by_slug)
{
    json_t *t = get_json("/v1/topics/django-advantages", 200, NULL);

    assert_topic_fields(t, 1, "django-advantages");
    cr_assert_str_eq(json_string_value(json_object_get(t, "title")),
                     "Django 框架的优点");
    cr_assert_str_eq(json_string_value(json_object_get(t, "category")),
                     "web-frameworks");
    json_decref(t);
}

Test(e2e_topic, serves_every_listed_topic_by_id_and_slug_with_matching_fields)
{
    json_t *items = all_topics();
    size_t k;

    for (k = 0; k < json_array_size(items); k++) {
        json_t *item = json_array_get(items, k), *by_id, *by_slug, *value;
        long long id = (long long)json_integer_value(
            json_object_get(item, "id"));
        char *slug_q = escaped(json_string_value(json_object_get(item,
                                                                 "slug")));
        char path[256];
        const char *key;

        snprintf(path, sizeof path, "/v1/topics/%lld", id);
        by_id = get_json(path, 200, NULL);
        assert_topic_fields(by_id, 1, path);
        json_object_foreach(item, key, value) {
            cr_assert(json_equal(value, json_object_get(by_id, key)),
                      "%s: member %s differs from the list item", path, key);
        }
        snprintf(path, sizeof path, "/v1/topics/%s", slug_q);
        curl_free(slug_q);
        by_slug = get_json(path, 200, NULL);
        cr_assert(json_equal(by_id, by_slug),
                  "topic %lld differs when fetched as %s", id, path);
        json_decref(by_id);
        json_decref(by_slug);
    }
    json_decref(items);
}

Test(e2e_topic, answers_not_found_for_an_unknown_id)
{
    assert_not_found("/v1/topics/9999");
    assert_not_found("/v1/topics/65");
}

Test(e2e_topic, answers_not_found_for_an_unknown_slug)
{
    assert_not_found("/v1/topics/no-such-topic");
}

Test(e2e_topic, answers_not_found_for_zero_negative_and_huge_ids)
{
    assert_not_found("/v1/topics/0");
    assert_not_found("/v1/topics/-1");
    assert_not_found("/v1/topics/99999999999999999999");
}

Test(e2e_topic, rejects_a_path_that_is_not_utf8)
{
    struct http_reply r;

    fetch("GET", "/v1/topics/%FF%FE", &r);
    assert_problem(&r, 400, "/problems/invalid-utf8", "/v1/topics/%FF%FE");
    http_reply_cleanup(&r);
}

Test(e2e_topic, rejects_raw_non_utf8_bytes_in_the_path)
{
    char buf[8192];
    int status = raw_status_of("GET /v1/topics/\xFF\xFE HTTP/1.1\r\n"
                               "Host: 127.0.0.1\r\n"
                               "Connection: close\r\n\r\n",
                               buf, sizeof buf);

    cr_assert_eq(status, 400, "raw 0xFF 0xFE path gave: %.300s", buf);
}

Test(e2e_topic, never_resolves_dot_dot_segments_to_another_resource)
{
    static const char *const targets[] = {
        "/v1/topics/../topics/1", "/v1/../healthz", "/v1/topics/1/..",
        "/v1/topics/./1",         "/v1/topics/%2e%2e/topics/1",
    };
    size_t k;

    for (k = 0; k < sizeof targets / sizeof targets[0]; k++) {
        char request[512], buf[8192], ct[128];
        int status;

        snprintf(request, sizeof request,
                 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Connection: close\r\n\r\n",
                 targets[k]);
        status = raw_status_of(request, buf, sizeof buf);
        cr_assert(status == 404 || status == 400,
                  "GET %s gave status %d, want 404 or 400: %.300s",
                  targets[k], status, buf);
        cr_assert_not_null(http_raw_header(buf, "Content-Type", ct,
                                           sizeof ct),
                           "GET %s: no Content-Type", targets[k]);
        cr_assert(strncasecmp(ct, "application/problem+json", 24) == 0,
                  "GET %s: Content-Type '%s' is not a problem", targets[k],
                  ct);
    }
}

Test(e2e_topic, answers_head_with_no_body)
{
    struct http_reply r;
    char buf[8192];
    const char *body;
    int status;

    fetch("HEAD", "/v1/topics/1", &r);
    cr_assert_eq(r.status, 200, "HEAD /v1/topics/1 status %ld", r.status);
    cr_assert_eq(r.len, 0, "HEAD gave a body");
    http_reply_cleanup(&r);

    status = raw_status_of("HEAD /v1/topics/1 HTTP/1.1\r\n"
                           "Host: 127.0.0.1\r\nConnection: close\r\n\r\n",
                           buf, sizeof buf);
    cr_assert_eq(status, 200, "raw HEAD gave: %.300s", buf);
    body = http_raw_body(buf);
    cr_assert_not_null(body, "raw HEAD reply has no end of headers");
    cr_assert_str_empty(body, "HEAD reply carries body bytes: %.100s", body);
}

/* ------------------------------------------------------------------------ */
/* Categories and tags                                                      */
/* ------------------------------------------------------------------------ */

TestSuite(e2e_categories, .init = start_server, .fini = stop_server);

Test(e2e_categories, lists_the_seven_categories_with_counts_summing_to_64)
{
    json_t *doc = get_json("/v1/categories", 200, NULL);
    json_t *items = json_object_get(doc, "items");
    long long sum = 0;
    size_t k;

    cr_assert(json_is_array(items), "items is not an array");
    cr_assert_eq(json_array_size(items), CATEGORY_COUNT,
                 "%zu categories, want %d", json_array_size(items),
                 CATEGORY_COUNT);
    for (k = 0; k < CATEGORY_COUNT; k++) {
        json_t *c = find_by_key(items, "slug", category_slugs[k]);

        cr_assert_not_null(c, "category %s is missing", category_slugs[k]);
        cr_assert(json_is_string(json_object_get(c, "name")) &&
                      json_string_length(json_object_get(c, "name")) > 0,
                  "%s has no name", category_slugs[k]);
        cr_assert(json_is_string(json_object_get(c, "name_en")),
                  "%s has no name_en", category_slugs[k]);
        cr_assert(json_is_integer(json_object_get(c, "count")),
                  "%s has no integer count", category_slugs[k]);
        cr_assert_geq(json_integer_value(json_object_get(c, "count")), 0);
        sum += (long long)json_integer_value(json_object_get(c, "count"));
    }
    cr_assert_eq(sum, TOPIC_COUNT, "category counts sum to %lld", sum);
    json_decref(doc);
}

Test(e2e_categories, count_as_many_topics_as_the_filtered_list_returns)
{
    json_t *doc = get_json("/v1/categories", 200, NULL);
    json_t *items = json_object_get(doc, "items");
    size_t k;

    for (k = 0; k < json_array_size(items); k++) {
        json_t *c = json_array_get(items, k), *list;
        const char *slug = json_string_value(json_object_get(c, "slug"));
        char path[256];

        cr_assert_not_null(slug, "category %zu has no slug", k);
        snprintf(path, sizeof path, "/v1/topics?category=%s&limit=100", slug);
        list = get_json(path, 200, NULL);
        cr_assert_eq(json_array_size(json_object_get(list, "items")),
                     (size_t)json_integer_value(json_object_get(c, "count")),
                     "%s lists %zu topics, category count is %lld", path,
                     json_array_size(json_object_get(list, "items")),
                     (long long)json_integer_value(json_object_get(c,
                                                                   "count")));
        json_decref(list);
    }
    json_decref(doc);
}

TestSuite(e2e_tags, .init = start_server, .fini = stop_server);

Test(e2e_tags, orders_tags_by_count_then_by_name)
{
    json_t *doc = get_json("/v1/tags", 200, NULL);
    json_t *items = json_object_get(doc, "items");
    size_t k;

    cr_assert(json_is_array(items), "items is not an array");
    cr_assert_gt(json_array_size(items), 0, "no tags");
    for (k = 0; k < json_array_size(items); k++) {
        json_t *t = json_array_get(items, k);

        cr_assert(json_is_string(json_object_get(t, "tag")) &&
                      json_string_length(json_object_get(t, "tag")) > 0,
                  "tag %zu has no name", k);
        cr_assert(json_is_integer(json_object_get(t, "count")) &&
                      json_integer_value(json_object_get(t, "count")) >= 1,
                  "tag %zu has no positive count", k);
        if (k > 0) {
            json_t *p = json_array_get(items, k - 1);
            json_int_t pc = json_integer_value(json_object_get(p, "count"));
            json_int_t tc = json_integer_value(json_object_get(t, "count"));
            const char *pn = json_string_value(json_object_get(p, "tag"));
            const char *tn = json_string_value(json_object_get(t, "tag"));

            cr_assert(pc > tc || (pc == tc && strcmp(pn, tn) < 0),
                      "'%s' (%lld) comes before '%s' (%lld)", pn,
                      (long long)pc, tn, (long long)tc);
        }
    }
    json_decref(doc);
}

Test(e2e_tags, count_as_many_topics_as_the_filtered_list_returns)
{
    json_t *doc = get_json("/v1/tags", 200, NULL);
    json_t *items = json_object_get(doc, "items");
    size_t k;

    for (k = 0; k < json_array_size(items); k++) {
        json_t *t = json_array_get(items, k), *list;
        const char *tag = json_string_value(json_object_get(t, "tag"));
        char *tag_q = escaped(tag);
        char path[512];
        size_t i;

        snprintf(path, sizeof path, "/v1/topics?tag=%s&limit=100", tag_q);
        curl_free(tag_q);
        list = get_json(path, 200, NULL);
        cr_assert_eq(json_array_size(json_object_get(list, "items")),
                     (size_t)json_integer_value(json_object_get(t, "count")),
                     "%s lists %zu topics, tag count is %lld", path,
                     json_array_size(json_object_get(list, "items")),
                     (long long)json_integer_value(json_object_get(t,
                                                                   "count")));
        for (i = 0; i < json_array_size(json_object_get(list, "items")); i++)
            cr_assert(has_tag(json_array_get(json_object_get(list, "items"),
                                             i),
                              tag),
                      "%s returned a topic without the tag", path);
        json_decref(list);
    }
    json_decref(doc);
}

Test(e2e_tags, list_every_tag_some_topic_carries)
{
    json_t *doc = get_json("/v1/tags", 200, NULL);
    json_t *items = json_object_get(doc, "items");
    json_t *topics = all_topics();
    size_t k, i;

    for (k = 0; k < json_array_size(topics); k++) {
        json_t *tags = json_object_get(json_array_get(topics, k), "tags");

        for (i = 0; i < json_array_size(tags); i++) {
            const char *tag = json_string_value(json_array_get(tags, i));

            cr_assert_not_null(find_by_key(items, "tag", tag),
                               "tag '%s' of topic %zu is not in /v1/tags",
                               tag, k + 1);
        }
    }
    json_decref(topics);
    json_decref(doc);
}

/* ------------------------------------------------------------------------ */
/* Random                                                                   */
/* ------------------------------------------------------------------------ */

TestSuite(e2e_random, .init = start_server, .fini = stop_server);

Test(e2e_random, returns_a_full_topic)
{
    json_t *t = get_json("/v1/random", 200, NULL);

    assert_topic_fields(t, 1, "/v1/random");
    json_decref(t);
}

Test(e2e_random, picks_only_from_the_requested_category)
{
    int k;

    for (k = 0; k < 20; k++) {
        json_t *t = get_json("/v1/random?category=http", 200, NULL);

        assert_topic_fields(t, 1, "/v1/random?category=http");
        cr_assert_str_eq(json_string_value(json_object_get(t, "category")),
                         "http", "call %d picked from another category", k);
        json_decref(t);
    }
}

Test(e2e_random, answers_not_found_for_an_unknown_category)
{
    assert_not_found("/v1/random?category=nope");
}

Test(e2e_random, rejects_a_malformed_category)
{
    assert_bad_parameter("/v1/random?category=BAD%21", "category");
}

/* ------------------------------------------------------------------------ */
/* Routing, methods and connections                                         */
/* ------------------------------------------------------------------------ */

TestSuite(e2e_routing, .init = start_server, .fini = stop_server);

Test(e2e_routing, answers_not_found_for_unknown_paths)
{
    assert_not_found("/nope");
    assert_not_found("/v1");
    assert_not_found("/v1/topicsx");
}

Test(e2e_routing, answers_method_not_allowed_with_an_allow_header)
{
    static const char *const paths[] = {"/v1/categories", "/healthz",
                                        "/v1/tags"};
    static const char *const methods[] = {"POST", "DELETE", "PUT"};
    size_t p, m;

    for (p = 0; p < sizeof paths / sizeof paths[0]; p++) {
        for (m = 0; m < sizeof methods / sizeof methods[0]; m++) {
            struct http_reply r;
            const char *allow;
            char what[128];

            snprintf(what, sizeof what, "%s %s", methods[m], paths[p]);
            fetch(methods[m], paths[p], &r);
            assert_problem(&r, 405, NULL, what);
            allow = http_header(&r, "Allow");
            cr_assert_not_null(allow, "%s: 405 without Allow", what);
            cr_assert(strstr(allow, "GET") != NULL,
                      "%s: Allow '%s' lacks GET", what, allow);
            http_reply_cleanup(&r);
        }
    }
}

Test(e2e_routing, lists_the_write_methods_a_topic_takes_in_allow)
{
    struct http_reply r;
    const char *allow;

    /* A topic takes PUT, PATCH and DELETE (with a token), never POST. */
    fetch("POST", "/v1/topics/1", &r);
    assert_problem(&r, 405, NULL, "POST /v1/topics/1");
    allow = http_header(&r, "Allow");
    cr_assert_not_null(allow);
    cr_assert_str_eq(allow, "GET, HEAD, PUT, PATCH, DELETE");
    http_reply_cleanup(&r);
    fetch("DELETE", "/v1/topics", &r);
    assert_problem(&r, 405, NULL, "DELETE /v1/topics");
    cr_assert_str_eq(http_header(&r, "Allow"), "GET, HEAD, POST");
    http_reply_cleanup(&r);
}

Test(e2e_routing, allows_head_where_get_is_allowed)
{
    static const char *const paths[] = {"/v1/categories", "/healthz",
                                        "/v1/topics/1"};
    size_t p;

    for (p = 0; p < sizeof paths / sizeof paths[0]; p++) {
        struct http_reply r;

        fetch("HEAD", paths[p], &r);
        cr_assert_eq(r.status, 200, "HEAD %s status %ld", paths[p],
                     r.status);
        http_reply_cleanup(&r);
    }
}

Test(e2e_routing, reuses_one_connection_for_two_requests)
{
    CURL *easy = curl_easy_init();
    struct http_reply first, second;

    cr_assert_not_null(easy);
    cr_assert_eq(http_request_on(easy, &srv, "GET", "/v1/categories", NULL,
                                 NULL, 0, &first),
                 CURLE_OK, "first request failed");
    cr_assert_eq(http_request_on(easy, &srv, "GET", "/v1/topics/1", NULL,
                                 NULL, 0, &second),
                 CURLE_OK, "second request failed");
    cr_assert_eq(first.status, 200);
    cr_assert_eq(second.status, 200);
    cr_assert_eq(first.num_connects, 1, "first request opened %ld",
                 first.num_connects);
    cr_assert_eq(second.num_connects, 0,
                 "second request opened %ld new connection(s)",
                 second.num_connects);
    http_reply_cleanup(&first);
    http_reply_cleanup(&second);
    curl_easy_cleanup(easy);
}

Test(e2e_routing, keeps_the_connection_open_after_error_replies)
{
    static const char body[] = "{\"title\":\"x\"}";
    CURL *easy = curl_easy_init();
    struct http_reply r;

    cr_assert_not_null(easy);
    cr_assert_eq(http_request_on(easy, &srv, "GET", "/nope", NULL, NULL, 0,
                                 &r),
                 CURLE_OK, "GET /nope failed");
    cr_assert_eq(r.status, 404);
    http_reply_cleanup(&r);
    cr_assert_eq(http_request_on(easy, &srv, "POST", "/v1/categories", NULL,
                                 body, sizeof body - 1, &r),
                 CURLE_OK, "POST /v1/categories failed");
    cr_assert_eq(r.status, 405);
    cr_assert_eq(r.num_connects, 0,
                 "the 404 reply closed the connection");
    http_reply_cleanup(&r);
    cr_assert_eq(http_request_on(easy, &srv, "GET", "/v1/topics/1", NULL,
                                 NULL, 0, &r),
                 CURLE_OK, "GET /v1/topics/1 failed");
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.num_connects, 0,
                 "the 405 reply to a request with a body closed the "
                 "connection");
    http_reply_cleanup(&r);
    curl_easy_cleanup(easy);
}

/* ------------------------------------------------------------------------ */
/* Process lifecycle and command line                                       */
/* ------------------------------------------------------------------------ */

TestSuite(e2e_lifecycle, .fini = stop_server);

Test(e2e_lifecycle, exits_with_status_zero_after_sigterm)
{
    json_t *doc;

    int code;

    start_server();
    doc = get_json("/v1/topics/1", 200, NULL);
    json_decref(doc);
    code = harness_stop(&srv);
    cr_assert_eq(code, 0, "exit status %d after SIGTERM (137: still running "
                 "after 5 s, killed)", code);
}

Test(e2e_lifecycle, exits_with_status_zero_after_sigterm_with_an_idle_client)
{
    CURL *easy = curl_easy_init();
    struct http_reply r;
    int code;

    start_server();
    cr_assert_not_null(easy);
    cr_assert_eq(http_request_on(easy, &srv, "GET", "/healthz", NULL, NULL,
                                 0, &r),
                 CURLE_OK);
    http_reply_cleanup(&r);
    /* The keep-alive connection stays open while the server shuts down. */
    code = harness_stop(&srv);
    cr_assert_eq(code, 0, "exit status %d after SIGTERM with an open "
                 "connection (137: still running after 5 s, killed)", code);
    curl_easy_cleanup(easy);
}

TestSuite(e2e_cli);

/*
 * Runs the binary with args and fails unless it ended within 2 s, which is
 * ample for parsing a command line ("promptly").  The caller releases *res
 * with harness_run_cleanup().
 */
static void
run_cli(const char *const *args, struct harness_run_result *res)
{
    cr_assert_eq(harness_run(args, 5.0, res), 0, "cannot run %s",
                 harness_binary());
    cr_assert_neq(res->status, -1, "%s %s did not exit within 5 s",
                  harness_binary(), args[0]);
    cr_assert_lt(res->seconds, 2.0, "%s %s took %.2f s to exit",
                 harness_binary(), args[0], res->seconds);
}

Test(e2e_cli, rejects_a_port_that_is_not_a_number)
{
    static const char *const args[] = {"serve", "--port", "abc", NULL};
    struct harness_run_result res;

    run_cli(args, &res);
    cr_assert_neq(res.status, 0, "serve --port abc exited 0");
    cr_assert(strstr(res.err, "abc") != NULL,
              "stderr does not mention 'abc': %s", res.err);
    harness_run_cleanup(&res);
}

Test(e2e_cli, rejects_a_port_above_65535)
{
    static const char *const args[] = {"serve", "--port", "70000", NULL};
    struct harness_run_result res;

    run_cli(args, &res);
    cr_assert_neq(res.status, 0, "serve --port 70000 exited 0");
    cr_assert(strstr(res.err, "70000") != NULL,
              "stderr does not mention '70000': %s", res.err);
    harness_run_cleanup(&res);
}

Test(e2e_cli, rejects_an_unknown_command)
{
    static const char *const args[] = {"nosuchcommand", NULL};
    struct harness_run_result res;

    run_cli(args, &res);
    cr_assert_neq(res.status, 0, "nosuchcommand exited 0");
    cr_assert(strstr(res.err, "nosuchcommand") != NULL,
              "stderr does not mention the command: %s", res.err);
    harness_run_cleanup(&res);
}

Test(e2e_cli, prints_usage_to_stdout_for_help)
{
    static const char *const args[] = {"--help", NULL};
    struct harness_run_result res;

    run_cli(args, &res);
    cr_assert_eq(res.status, 0, "--help exited %d; stderr: %s", res.status,
                 res.err);
    cr_assert(contains_nocase(res.out, "usage"),
              "--help printed no usage to stdout: '%s'", res.out);
    cr_assert(strstr(res.out, "serve") != NULL,
              "--help does not mention the serve command: '%s'", res.out);
    harness_run_cleanup(&res);
}

Test(e2e_cli, prints_serve_usage_to_stdout_for_serve_help)
{
    static const char *const args[] = {"serve", "--help", NULL};
    struct harness_run_result res;

    run_cli(args, &res);
    cr_assert_eq(res.status, 0, "serve --help exited %d; stderr: %s",
                 res.status, res.err);
    cr_assert(contains_nocase(res.out, "usage"),
              "serve --help printed no usage to stdout: '%s'", res.out);
    cr_assert(strstr(res.out, "--port") != NULL,
              "serve --help does not describe --port: '%s'", res.out);
    harness_run_cleanup(&res);
}
