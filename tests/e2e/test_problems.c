/*
 * test_problems.c -- problems against the real binary: every problem of a
 * request body listed at once in "errors", each by its JSON pointer; a bad
 * query parameter in the same list by its name; and the page that each
 * problem type's URI resolves to, in HTML and in JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "harness.h"
#include "wenda/auth.h"
#include "wenda/err.h"

static struct wenda_server srv;
static char editor[WENDA_TOKEN_LEN + 1];

static void
start(void)
{
    harness_start_or_fail(&srv, NULL);
    (void)harness_token(&srv, WENDA_ROLE_EDITOR, "problems-editor", editor);
}

static void
stop(void)
{
    harness_stop(&srv);
}

TestSuite(e2e_problems, .init = start, .fini = stop);

/* ---- helpers ---------------------------------------------------------- */

/*
 * Sends method path with the editor's token, Content-Type type, If-Match
 * "*" (when star) and body; asserts an answer and returns its status.
 */
static long
send_body(const char *method, const char *path, const char *type, int star,
          const char *body, struct http_reply *r)
{
    char auth[128], ct[96];
    const char *h[4];
    int n = 0;

    (void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", editor);
    h[n++] = auth;
    (void)snprintf(ct, sizeof(ct), "Content-Type: %s", type);
    h[n++] = ct;
    if (star)
        h[n++] = "If-Match: *";
    h[n] = NULL;
    cr_assert_eq(http_request(&srv, method, path, h, body, strlen(body), r),
                 0);
    return r->status;
}

/*
 * Asserts that r is a 400 invalid-parameter problem whose "errors" holds
 * exactly the n pointers of want, in any order, each with a detail, and
 * whose detail is summary (when not NULL).
 */
static void
assert_pointers(const struct http_reply *r, const char *const *want, size_t n,
                const char *summary)
{
    json_t *o = http_json(r), *errors = json_object_get(o, "errors");
    size_t i, j;

    cr_assert_eq(r->status, 400, "%ld %s", r->status, r->body);
    cr_assert_str_eq(json_string_value(json_object_get(o, "type")),
                     "/problems/invalid-parameter");
    cr_assert(json_is_array(errors), "no errors: %s", r->body);
    cr_assert_eq(json_array_size(errors), n, "%s", r->body);
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            json_t *e = json_array_get(errors, j);
            const char *p = json_string_value(json_object_get(e, "pointer"));

            cr_assert_not_null(json_string_value(json_object_get(e,
                                                                 "detail")));
            if (p != NULL && strcmp(p, want[i]) == 0)
                break;
        }
        cr_assert_lt(j, n, "no error at %s: %s", want[i], r->body);
    }
    if (summary != NULL)
        cr_assert_str_eq(json_string_value(json_object_get(o, "detail")),
                         summary);
    json_decref(o);
}

/* ---- every problem of a body ------------------------------------------ */

Test(e2e_problems, a_topic_with_three_problems_lists_three_pointers)
{
    static const char body[] =
        "{\"slug\":\"Not A Slug\",\"title\":\"标题\",\"category\":"
        "\"no-such-category\",\"answer\":\"a\"}";
    static const char *const want[] = {"/slug", "/tags", "/category"};
    struct http_reply r;

    (void)send_body("POST", "/v1/topics", "application/json", 0, body, &r);
    assert_pointers(&r, want, 3, "the topic has 3 problems");
    http_reply_cleanup(&r);
}

Test(e2e_problems, a_replacement_lists_every_problem_with_the_entry_at_fault)
{
    static const char body[] =
        "{\"slug\":\"deadlock\",\"title\":7,\"category\":\"concurrency\","
        "\"tags\":[\"lock\",\"Bad Tag\"],\"aliases\":[\"a\",\"b\",\"a\"],"
        "\"answer\":\"a\",\"version\":3}";
    static const char *const want[] = {"/title", "/tags/1", "/aliases/2",
                                       "/version"};
    struct http_reply r;

    (void)send_body("PUT", "/v1/topics/1", "application/json", 1, body, &r);
    assert_pointers(&r, want, 4, "the topic has 4 problems");
    http_reply_cleanup(&r);
}

Test(e2e_problems, a_patch_lists_every_problem_of_the_topic_it_makes)
{
    static const char body[] =
        "{\"slug\":\"Bad\",\"aliases\":[\"ok\",5],\"category\":\"nowhere\"}";
    static const char *const want[] = {"/slug", "/aliases/1", "/category"};
    struct http_reply r;

    (void)send_body("PATCH", "/v1/topics/1", "application/merge-patch+json",
                    1, body, &r);
    assert_pointers(&r, want, 3, "the topic has 3 problems");
    http_reply_cleanup(&r);
}

Test(e2e_problems, one_problem_is_the_detail_and_the_one_entry)
{
    static const char body[] =
        "{\"slug\":\"fine-slug\",\"title\":\"t\",\"category\":\"tools\","
        "\"tags\":[\"a\"]}";
    static const char *const want[] = {"/answer"};
    struct http_reply r;

    (void)send_body("POST", "/v1/topics", "application/json", 0, body, &r);
    assert_pointers(&r, want, 1, "answer is required");
    http_reply_cleanup(&r);
}

Test(e2e_problems, a_body_that_is_not_an_object_is_the_whole_document)
{
    static const char *const want[] = {""};
    struct http_reply r;

    (void)send_body("POST", "/v1/topics", "application/json", 0, "[1]", &r);
    assert_pointers(&r, want, 1, "the body must be a JSON object");
    http_reply_cleanup(&r);
}

Test(e2e_problems, a_bad_query_parameter_is_named_in_errors_too)
{
    struct http_reply r;
    json_t *o, *e;

    cr_assert_eq(http_request(&srv, "GET", "/v1/topics?limit=0", NULL, NULL,
                              0, &r),
                 0);
    cr_assert_eq(r.status, 400);
    o = http_json(&r);
    cr_assert_str_eq(json_string_value(json_object_get(o, "parameter")),
                     "limit");
    cr_assert_eq(json_array_size(json_object_get(o, "errors")), 1, "%s",
                 r.body);
    e = json_array_get(json_object_get(o, "errors"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(e, "parameter")),
                     "limit");
    cr_assert_str_eq(json_string_value(json_object_get(e, "detail")),
                     json_string_value(json_object_get(o, "detail")));
    json_decref(o);
    http_reply_cleanup(&r);
}

Test(e2e_problems, synonyms_with_three_problems_list_three_pointers)
{
    static const char body[] =
        "{\"groups\":[[\"长连接\",\"\"],[\"a\",\"a\"]],"
        "\"rules\":[{\"from\":\"py\",\"to\":[\"python\"],\"x\":1}]}";
    static const char *const want[] = {"/groups/0/1", "/groups/1/1",
                                       "/rules/0"};
    struct http_reply r;

    (void)send_body("PUT", "/v1/synonyms", "application/json", 1, body, &r);
    assert_pointers(&r, want, 3, "the document has 3 problems");
    http_reply_cleanup(&r);
}

Test(e2e_problems, a_dictionary_lists_every_bad_word)
{
    static const char body[] =
        "{\"words\":[\"猴子补丁\",\"x\",\"猴子补丁\",7],\"more\":[]}";
    static const char *const want[] = {"/more", "/words/1", "/words/2",
                                       "/words/3"};
    struct http_reply r;

    (void)send_body("PUT", "/v1/dictionary", "application/json", 1, body,
                    &r);
    assert_pointers(&r, want, 4, "the document has 4 problems");
    http_reply_cleanup(&r);
}
