/*
 * test_search_api.c -- GET /v1/search against the real binary: ranking in
 * every script, snippets, filters, and hostile queries that must be
 * answered 200 or 400, never 5xx.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>

#include "harness.h"

TestSuite(e2e_search, .init = harness_suite_start,
          .fini = harness_suite_stop);

/* Returns the percent-encoding of s (new; the caller frees). */
static char *
encode(const char *s)
{
    CURL *c = curl_easy_init();
    char *e = curl_easy_escape(c, s, 0);
    char *out = strdup(e);

    curl_free(e);
    curl_easy_cleanup(c);
    return out;
}

/* GETs /v1/search?q=<q><extra> and returns the reply's status. */
static long
search(const char *q, const char *extra, struct http_reply *r)
{
    char path[16384];
    char *e = encode(q);

    snprintf(path, sizeof path, "/v1/search?q=%s%s", e, extra ? extra : "");
    free(e);
    cr_assert_eq(http_request(&harness_srv, "GET", path, NULL, NULL, 0, r), 0,
                 "no reply for %s", path);
    return r->status;
}

/* Returns a new reference to the hits of a 200 search for q. */
static json_t *
hits(const char *q, const char *extra)
{
    struct http_reply r;
    json_t *doc, *items;

    cr_assert_eq(search(q, extra, &r), 200, "q=%s: status %ld: %.*s", q,
                 r.status, (int)r.len, r.body);
    cr_assert_str_eq(http_header(&r, "Content-Type"),
                     "application/json; charset=utf-8");
    doc = http_json(&r);
    items = json_object_get(doc, "items");
    cr_assert(json_is_array(items), "q=%s: no items", q);
    cr_assert(json_integer_value(json_object_get(doc, "total")) >=
                  (json_int_t)json_array_size(items),
              "q=%s: total below the number of items", q);
    json_incref(items);
    json_decref(doc);
    http_reply_cleanup(&r);
    return items;
}

static const char *
first_slug(const json_t *items)
{
    return json_string_value(json_object_get(json_array_get(items, 0),
                                             "slug"));
}

/* A query and the topic it must find first. */
struct first_case {
    const char *q, *slug;
};

/* Expects each query of cases[0..n) to find its topic first. */
static void
expect_first(const struct first_case *cases, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        json_t *items = hits(cases[i].q, NULL);

        cr_assert_gt(json_array_size(items), 0, "q=%s: no hit", cases[i].q);
        cr_expect_str_eq(first_slug(items), cases[i].slug, "q=%s",
                         cases[i].q);
        json_decref(items);
    }
}

Test(e2e_search, ranks_the_right_topic_first_in_every_script)
{
    static const struct first_case cases[] = {
        {"死锁", "deadlock"},
        {"死鎖", "deadlock"},
        {"deadlock", "deadlock"},
        {"sisuo", "deadlock"},
        {"ＧＩＬ", "gil"},
        {"4次挥手", "tcp-four-way-wave"},
        {"three-way handshake", "tcp-three-way-handshake"},
        {"執行緒", "thread"},
        {"Django优点", "django-advantages"},
    };

    expect_first(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(e2e_search, gives_each_hit_its_fields_and_a_marked_snippet)
{
    json_t *items = hits("阻塞队列", NULL);
    json_t *h = json_array_get(items, 0);
    const char *snippet = json_string_value(json_object_get(h, "snippet"));

    cr_assert(json_is_integer(json_object_get(h, "id")));
    cr_assert(json_is_string(json_object_get(h, "title")));
    cr_assert(json_is_string(json_object_get(h, "category")));
    cr_assert(json_is_number(json_object_get(h, "score")));
    cr_assert_not_null(snippet);
    cr_assert_not_null(strstr(snippet, "<mark>"), "%s", snippet);
    cr_assert_not_null(strstr(snippet, "</mark>"), "%s", snippet);
    json_decref(items);
}

Test(e2e_search, escapes_html_in_snippets)
{
    json_t *items = hits("不相等操作符", NULL);
    const char *snippet = json_string_value(
        json_object_get(json_array_get(items, 0), "snippet"));

    cr_assert_not_null(snippet);
    cr_assert_not_null(strstr(snippet, "&lt;&gt;"), "%s", snippet);
    cr_assert_null(strstr(snippet, "\"<>\""), "%s", snippet);
    json_decref(items);
}

Test(e2e_search, honours_limit_and_category)
{
    json_t *items = hits("锁", "&limit=2");
    size_t i;

    cr_assert_eq(json_array_size(items), 2);
    json_decref(items);
    items = hits("锁", "&category=concurrency&limit=50");
    cr_assert_gt(json_array_size(items), 1);
    for (i = 0; i < json_array_size(items); i++)
        cr_assert_str_eq(json_string_value(json_object_get(
                             json_array_get(items, i), "category")),
                         "concurrency");
    json_decref(items);
}

static void
assert_bad_q(const char *q, const char *extra, const char *param)
{
    struct http_reply r;
    json_t *doc;

    cr_assert_eq(search(q, extra, &r), 400, "q=%s%s: status %ld", q,
                 extra ? extra : "", r.status);
    cr_assert_str_eq(http_header(&r, "Content-Type"),
                     "application/problem+json; charset=utf-8");
    doc = http_json(&r);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "parameter")),
                     param, "q=%s", q);
    json_decref(doc);
    http_reply_cleanup(&r);
}

Test(e2e_search, rejects_missing_blank_and_wordless_queries)
{
    struct http_reply r;

    cr_assert_eq(http_request(&harness_srv, "GET", "/v1/search", NULL, NULL, 0,
                              &r),
                 0);
    cr_assert_eq(r.status, 400);
    http_reply_cleanup(&r);
    assert_bad_q("", NULL, "q");
    assert_bad_q("   ", NULL, "q");
    assert_bad_q("\t\n", NULL, "q");
    assert_bad_q("!!!", NULL, "q");
    assert_bad_q("死锁", "&limit=0", "limit");
    assert_bad_q("死锁", "&limit=51", "limit");
    assert_bad_q("死锁", "&limit=x", "limit");
    assert_bad_q("死锁", "&category=Not%20A%20Slug", "category");
}

Test(e2e_search, answers_fts5_syntax_and_huge_queries_with_200_or_400)
{
    static const char *hostile[] = {
        "\"", "\"\"", "*", "gil*", "NEAR(gil tcp)", "gil AND", "OR", "NOT gil",
        "title:gil", "{title}: gil", "^死锁", "(((", ")", "a\"b", "'; DROP TABLE",
        "\\", "gil + tcp", "-gil",
    };
    char big[10 * 1024 + 1];
    struct http_reply r;
    size_t i;

    for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        long status = search(hostile[i], NULL, &r);

        cr_assert(status == 200 || status == 400, "q=%s: status %ld",
                  hostile[i], status);
        http_reply_cleanup(&r);
    }
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cr_assert_eq(search(big, NULL, &r), 400);
    http_reply_cleanup(&r);
    /* The server still searches after all that. */
    {
        json_t *items = hits("死锁", NULL);

        cr_assert_str_eq(first_slug(items), "deadlock");
        json_decref(items);
    }
}

Test(e2e_search, rejects_a_unicode_noncharacter_in_q)
{
    struct http_reply r;

    /* U+FDD0 and a category's slug: the index's own mark, not a word. */
    cr_assert_eq(http_request(&harness_srv, "GET",
                              "/v1/search?q=%EF%B7%90concurrency", NULL, NULL,
                              0, &r),
                 0);
    cr_assert_eq(r.status, 400, "%ld %s", r.status, r.body);
    cr_assert_not_null(strstr(r.body, "U+FDD0"), "%s", r.body);
    cr_assert_not_null(strstr(r.body, "noncharacter"), "%s", r.body);
    http_reply_cleanup(&r);
}

Test(e2e_search, rejects_invalid_utf8_in_q)
{
    struct http_reply r;

    cr_assert_eq(http_request(&harness_srv, "GET", "/v1/search?q=%FF%FE", NULL,
                              NULL, 0, &r),
                 0);
    cr_assert_eq(r.status, 400);
    http_reply_cleanup(&r);
}

/* Returns the document of a 200 search for q (new reference). */
static json_t *
search_doc(const char *q)
{
    struct http_reply r;
    json_t *doc;

    cr_assert_eq(search(q, NULL, &r), 200, "q=%s: status %ld", q, r.status);
    doc = http_json(&r);
    http_reply_cleanup(&r);
    return doc;
}

Test(e2e_search, says_what_a_query_that_found_nothing_was_corrected_to)
{
    json_t *doc = search_doc("死琐"), *first;

    cr_assert_str_eq(json_string_value(json_object_get(doc, "corrected")),
                     "死锁");
    cr_assert(json_is_false(json_object_get(doc, "relaxed")));
    first = json_array_get(json_object_get(doc, "items"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(first, "slug")),
                     "deadlock");
    cr_assert_str_eq(json_string_value(json_object_get(first, "title_html")),
                     "<mark>死锁</mark>");
    json_decref(doc);

    /* A query found as typed says null. */
    doc = search_doc("死锁");
    cr_assert(json_is_null(json_object_get(doc, "corrected")));
    json_decref(doc);

    /* One with no topic holding every word says it is relaxed, and
     * which of its words no topic holds. */
    doc = search_doc("死锁 zzzqqq");
    cr_assert(json_is_null(json_object_get(doc, "corrected")));
    cr_assert(json_is_true(json_object_get(doc, "relaxed")));
    cr_assert_eq(json_array_size(json_object_get(doc, "unfound")), 1);
    cr_assert_str_eq(json_string_value(json_array_get(
                         json_object_get(doc, "unfound"), 0)),
                     "zzzqqq");
    json_decref(doc);
}

Test(e2e_search, a_description_with_a_word_the_notes_lack_finds_its_topic)
{
    /* No topic says 核心; parallelism's aliases say 多核.  Word for word,
     * concurrency holds more of the description (多个, CPU, 同时, 各自). */
    json_t *doc = search_doc("几个CPU核心各自同时跑程序"), *items;

    cr_assert(json_is_true(json_object_get(doc, "relaxed")));
    items = json_object_get(doc, "items");
    cr_assert_gt(json_array_size(items), 0);
    cr_assert_str_eq(first_slug(items), "parallelism");
    json_decref(doc);
}

Test(e2e_search, the_synonyms_of_content_find_their_group)
{
    /* content/synonyms.yml: 好处, 优势 and benefits are 优点; drawbacks
     * are 缺点. */
    static const struct first_case cases[] = {
        {"多道技术有哪些好处", "multiprogramming-advantages"},
        {"协程相比线程有什么优势", "coroutine-pros-cons"},
        {"what are the benefits of multiprocessing",
         "multiprocessing-advantages"},
        {"django drawbacks", "django-disadvantages"},
    };

    expect_first(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(e2e_search, takes_a_pasted_question_of_200_characters)
{
    static const char question[] =
        "面试的时候被问到这样一个问题：请你详细地解释一下，在 Python "
        "里面，已经有了全局解释器锁 GIL 的情况下，为什么多个线程同时去"
        "修改同一份共享数据的时候，我们仍然需要自己再加一把互斥锁？它和 "
        "GIL 分别保护的是什么东西，如果不加锁会出现什么样的问题，"
        "有没有具体的例子可以说明一下呢？谢谢";
    char longer[3 * 201 + 1];
    struct http_reply r;
    json_t *doc;
    size_t chars = 0, i;

    for (i = 0; question[i] != '\0'; i++)
        chars += ((unsigned char)question[i] & 0xC0) != 0x80;
    cr_assert_gt(chars, 100, "the question has %zu characters", chars);
    cr_assert_leq(chars, 200);
    cr_assert_gt(strlen(question), 256, "more bytes than q used to hold");
    doc = search_doc(question);
    cr_assert_gt(json_array_size(json_object_get(doc, "items")), 0);
    json_decref(doc);
    /* Past 200 characters, the answer says so in characters. */
    for (i = 0; i < 201; i++)
        memcpy(longer + 3 * i, "锁", 3);
    longer[3 * 201] = '\0';
    cr_assert_eq(search(longer, NULL, &r), 400);
    cr_assert_not_null(strstr(r.body, "200 characters"), "%s", r.body);
    http_reply_cleanup(&r);
}
