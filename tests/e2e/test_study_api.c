/*
 * test_study_api.c -- rendered answers, corrections, related topics and
 * quizzes, through the real binary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "harness.h"

TestSuite(e2e_study, .init = harness_suite_start,
          .fini = harness_suite_stop);

static json_t *
get_json(const char *path)
{
    struct http_reply r;
    json_t *doc;

    cr_assert_eq(http_request(&harness_srv, "GET", path, NULL, NULL, 0, &r),
                 0);
    cr_assert_eq(r.status, 200, "GET %s: %ld %.*s", path, r.status,
                 (int)r.len, r.body);
    doc = http_json(&r);
    http_reply_cleanup(&r);
    return doc;
}

Test(e2e_study, renders_answers_as_html_with_code_escaped)
{
    json_t *t = get_json("/v1/topics/python2-vs-python3");
    const char *html = json_string_value(json_object_get(t, "answer_html"));

    cr_assert_not_null(html);
    cr_assert_not_null(strstr(html, "<ol>"), "%s", html);
    /* The notes' "<>" operator is text, never markup. */
    cr_assert_not_null(strstr(html, "&lt;&gt;"), "%s", html);
    json_decref(t);
    t = get_json("/v1/topics/character-encoding");
    html = json_string_value(json_object_get(t, "answer_html"));
    cr_assert_not_null(strstr(html, "<pre><code>"), "%s", html);
    cr_assert_not_null(strstr(html, "----&gt;"), "%s", html);
    json_decref(t);
}

Test(e2e_study, returns_corrections_and_lists_corrected_topics)
{
    json_t *list = get_json("/v1/topics?corrected=true&limit=100");
    json_t *items = json_object_get(list, "items");
    size_t i;

    for (i = 0; i < json_array_size(items); i++) {
        char path[96];
        json_t *t, *c;

        snprintf(path, sizeof path, "/v1/topics/%lld",
                 (long long)json_integer_value(
                     json_object_get(json_array_get(items, i), "id")));
        t = get_json(path);
        c = json_object_get(t, "corrections");
        cr_assert(json_is_array(c) && json_array_size(c) > 0,
                  "%s is listed as corrected without corrections", path);
        cr_assert_not_null(json_string_value(
            json_object_get(json_array_get(c, 0), "source")));
        json_decref(t);
    }
    json_decref(list);
    /* A topic without corrections has an empty list, not none. */
    list = get_json("/v1/topics/deadlock");
    cr_assert(json_is_array(json_object_get(list, "corrections")));
    json_decref(list);
}

Test(e2e_study, finds_related_topics_never_the_topic_itself_and_stably)
{
    json_t *a = get_json("/v1/topics/35/related?limit=5");
    json_t *b = get_json("/v1/topics/35/related?limit=5");
    json_t *items = json_object_get(a, "items");
    size_t i;

    cr_assert_eq(json_array_size(items), 5);
    for (i = 0; i < json_array_size(items); i++)
        cr_assert_neq(json_integer_value(
                          json_object_get(json_array_get(items, i), "id")),
                      35);
    cr_assert(json_equal(a, b), "related changed between two calls");
    /* Deadlock's neighbours are about locks. */
    {
        char *text = json_dumps(items, 0);

        cr_assert_not_null(strstr(text, "recursive-lock"));
        free(text);
    }
    json_decref(a);
    json_decref(b);
}

Test(e2e_study, gives_the_same_quiz_for_the_same_seed)
{
    json_t *a = get_json("/v1/quiz?count=8&seed=42");
    json_t *b = get_json("/v1/quiz?count=8&seed=42");
    json_t *c = get_json("/v1/quiz?count=8&seed=43");
    json_t *h = get_json("/v1/quiz?count=50&category=http");
    size_t i;

    cr_assert(json_equal(a, b));
    cr_assert_not(json_equal(json_object_get(a, "items"),
                             json_object_get(c, "items")));
    cr_assert_eq(json_array_size(json_object_get(a, "items")), 8);
    cr_assert(json_is_string(json_object_get(
        json_array_get(json_object_get(a, "items"), 0), "question")));
    /* A category holds 7 topics; all of them, each once, http only. */
    cr_assert_eq(json_array_size(json_object_get(h, "items")), 7);
    for (i = 0; i < 7; i++)
        cr_assert_str_eq(json_string_value(json_object_get(
                             json_array_get(json_object_get(h, "items"), i),
                             "category")),
                         "http");
    cr_assert(json_is_integer(json_object_get(h, "seed")));
    json_decref(a);
    json_decref(b);
    json_decref(c);
    json_decref(h);
}

Test(e2e_study, rejects_bad_quiz_and_related_parameters)
{
    static const char *const bad[] = {
        "/v1/quiz?count=0", "/v1/quiz?count=51", "/v1/quiz?seed=-1",
        "/v1/quiz?seed=x", "/v1/topics/35/related?limit=0",
        "/v1/topics?corrected=maybe",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct http_reply r;

        cr_assert_eq(http_request(&harness_srv, "GET", bad[i], NULL, NULL, 0,
                                  &r),
                     0);
        cr_assert_eq(r.status, 400, "%s: %ld", bad[i], r.status);
        http_reply_cleanup(&r);
    }
}
