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
    long status = http_send(&srv, method, path, editor, type,
                            star ? "*" : NULL, body, r);

    cr_assert_neq(status, -1, "%s %s: no answer", method, path);
    return status;
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

/* ---- the pages of the problem types ----------------------------------- */

/*
 * GETs (or HEADs) /problems/name with Accept accept (NULL: none) into r and
 * returns the status.
 */
static long
get_page(const char *method, const char *name, const char *accept,
         struct http_reply *r)
{
    char path[128], h0[160];
    const char *h[2] = {NULL, NULL};

    (void)snprintf(path, sizeof(path), "/problems/%s", name);
    if (accept != NULL) {
        (void)snprintf(h0, sizeof(h0), "Accept: %s", accept);
        h[0] = h0;
    }
    cr_assert_eq(http_request(&srv, method, path, h, NULL, 0, r), 0);
    return r->status;
}

/* Asserts that /problems/name is a 200 page in HTML and in JSON. */
static void
assert_page(const char *name)
{
    struct http_reply r;
    char type[96];
    json_t *o;

    (void)snprintf(type, sizeof(type), "/problems/%s", name);
    cr_assert_eq(get_page("GET", name, NULL, &r), 200, "%s: %ld", name,
                 r.status);
    cr_assert(strncmp(http_header_or_empty(&r, "Content-Type"), "text/html",
                      9) == 0, "%s: %s", name,
              http_header_or_empty(&r, "Content-Type"));
    cr_assert_not_null(strstr(r.body, "<h1>"), "%s", name);
    cr_assert_not_null(strstr(r.body, type), "%s", name);
    cr_assert_not_null(strstr(http_header_or_empty(&r, "Vary"), "Accept"));
    http_reply_cleanup(&r);
    cr_assert_eq(get_page("GET", name, "application/json", &r), 200);
    cr_assert(strncmp(http_header_or_empty(&r, "Content-Type"),
                      "application/json", 16) == 0, "%s", name);
    o = http_json(&r);
    cr_assert_str_eq(json_string_value(json_object_get(o, "type")), type);
    /* An error status, or the 307 of a write sent to a follower. */
    cr_assert(json_integer_value(json_object_get(o, "status")) > 399 ||
                  (strcmp(name, "not-leader") == 0 &&
                   json_integer_value(json_object_get(o, "status")) == 307),
              "%s: %s", name, r.body);
    cr_assert_not_null(json_string_value(json_object_get(o, "title")));
    cr_assert_gt(strlen(json_string_value(json_object_get(o,
                                                          "description"))),
                 80, "%s: %s", name, r.body);
    json_decref(o);
    http_reply_cleanup(&r);
}

Test(e2e_problems, every_problem_type_the_server_has_resolves)
{
    int rc;

    for (rc = 1; rc < WENDA_ERR__COUNT; rc++)
        assert_page(wenda_err_name((enum wenda_err)rc));
}

Test(e2e_problems, every_problem_type_the_openapi_document_names_resolves)
{
    struct http_reply r;
    json_t *doc, *types;
    size_t i;

    cr_assert_eq(http_request(&srv, "GET", "/openapi.json", NULL, NULL, 0,
                              &r),
                 0);
    doc = http_json(&r);
    types = json_object_get(
        json_object_get(
            json_object_get(json_object_get(json_object_get(
                                                json_object_get(doc,
                                                                "components"),
                                                "schemas"),
                                            "Problem"),
                            "properties"),
            "type"),
        "enum");
    cr_assert_gt(json_array_size(types), 20);
    for (i = 0; i < json_array_size(types); i++) {
        const char *t = json_string_value(json_array_get(types, i));

        cr_assert(strncmp(t, "/problems/", 10) == 0, "%s", t);
        assert_page(t + 10);
    }
    cr_assert_not_null(json_object_get(
        json_object_get(json_object_get(json_object_get(
                                            json_object_get(doc, "components"),
                                            "schemas"),
                                        "Problem"),
                        "properties"),
        "errors"));
    json_decref(doc);
    http_reply_cleanup(&r);
}

Test(e2e_problems, every_problem_type_the_readme_lists_resolves)
{
    FILE *f = fopen("README.md", "r");
    char line[2048];
    int in_table = 0, seen = 0, rc;
    int listed[WENDA_ERR__COUNT] = {0};

    cr_assert_not_null(f, "run from the repository root");
    while (fgets(line, sizeof(line), f) != NULL) {
        char *p, *col, *col_end;

        if (strncmp(line, "| status | type |", 17) == 0) {
            in_table = 1;
            continue;
        }
        if (!in_table || strncmp(line, "|---", 4) == 0)
            continue;
        if (line[0] != '|')
            break;
        /* The second column: `name`, `name`, ... */
        col = strchr(line + 1, '|');
        cr_assert_not_null(col);
        col_end = strchr(col + 1, '|');
        cr_assert_not_null(col_end);
        for (p = strchr(col + 1, '`'); p != NULL && p < col_end;
             p = strchr(p + 1, '`')) {
            char *end = strchr(p + 1, '`');
            enum wenda_err code;

            cr_assert_not_null(end);
            *end = '\0';
            cr_assert(wenda_err_from_name(p + 1, &code), "README names %s",
                      p + 1);
            listed[code] = 1;
            assert_page(p + 1);
            seen++;
            p = end;
        }
    }
    fclose(f);
    cr_assert_gt(seen, 0, "no table of problems in README.md");
    for (rc = 1; rc < WENDA_ERR__COUNT; rc++)
        cr_assert(listed[rc], "README.md does not list %s",
                  wenda_err_name((enum wenda_err)rc));
}

Test(e2e_problems, an_unknown_problem_type_is_a_404_problem)
{
    static const char *const names[] = {"no-such-problem", "ok",
                                        "NOT-FOUND", "%3Cscript%3E"};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct http_reply r;

        cr_assert_eq(get_page("GET", names[i], NULL, &r), 404, "%s",
                     names[i]);
        cr_assert(strncmp(http_header_or_empty(&r, "Content-Type"),
                          "application/problem+json", 24) == 0);
        cr_assert_not_null(strstr(r.body, "/problems/not-found"));
        cr_assert_null(strstr(r.body, "<script>"));
        http_reply_cleanup(&r);
    }
}

Test(e2e_problems, the_page_follows_the_q_values_of_accept)
{
    static const struct {
        const char *accept;
        const char *type;
    } cases[] = {
        {"application/json", "application/json"},
        {"text/html", "text/html"},
        {"*/*", "text/html"},
        {"application/*", "application/json"},
        {"text/html;q=0.5, application/json", "application/json"},
        {"application/json;q=0.4, text/html;q=0.9", "text/html"},
        {"application/json; q=0.9, */*;q=0.1", "application/json"},
        {"application/json;q=0, */*", "text/html"},
        {"application/json, text/html", "text/html"},
        {"image/png", "text/html"},
        {"text/*;q=0.2, application/json;q=0.3", "application/json"},
        {",;q=,, ;;", "text/html"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct http_reply r;

        cr_assert_eq(get_page("GET", "conflict", cases[i].accept, &r), 200);
        cr_assert(strncmp(http_header_or_empty(&r, "Content-Type"),
                          cases[i].type, strlen(cases[i].type)) == 0,
                  "Accept: %s gave %s", cases[i].accept,
                  http_header_or_empty(&r, "Content-Type"));
        http_reply_cleanup(&r);
    }
}

Test(e2e_problems, head_answers_the_page_without_a_body)
{
    struct http_reply r;

    cr_assert_eq(get_page("HEAD", "not-found", NULL, &r), 200);
    cr_assert_eq(r.len, 0);
    cr_assert(strncmp(http_header_or_empty(&r, "Content-Type"), "text/html",
                      9) == 0);
    http_reply_cleanup(&r);
}

Test(e2e_problems, the_type_of_a_problem_answered_resolves)
{
    struct http_reply r, page;
    json_t *o;
    const char *type;

    cr_assert_eq(http_request(&srv, "GET", "/v1/topics/999999", NULL, NULL, 0,
                              &r),
                 0);
    cr_assert_eq(r.status, 404);
    o = http_json(&r);
    type = json_string_value(json_object_get(o, "type"));
    cr_assert_eq(http_request(&srv, "GET", type, NULL, NULL, 0, &page), 0);
    cr_assert_eq(page.status, 200, "%s: %ld", type, page.status);
    http_reply_cleanup(&page);
    json_decref(o);
    http_reply_cleanup(&r);
}

/* ---- an import's lines ------------------------------------------------ */

Test(e2e_problems, an_import_lists_every_problem_of_every_line)
{
    static const char body[] =
        "{\"slug\":\"import-fine\",\"title\":\"t\",\"category\":\"tools\","
        "\"tags\":[\"git\"],\"answer\":\"a\"}\n"
        "\n"
        "{\"slug\":\"Bad\",\"title\":\"t\",\"category\":\"tools\","
        "\"answer\":\"a\"}\n"
        "{not json\n"
        "{\"slug\":\"import-nowhere\",\"title\":\"t\",\"category\":"
        "\"no-such-category\",\"tags\":[\"git\"],\"answer\":\"a\"}\n";
    static const struct {
        long line;
        const char *pointer;
    } want[] = {{3, "/tags"}, {3, "/slug"}, {4, ""}, {5, "/category"}};
    char admin[WENDA_TOKEN_LEN + 1], auth[128];
    const char *h[3] = {auth, "Content-Type: application/x-ndjson", NULL};
    struct http_reply r;
    json_t *o, *errors;
    size_t i;

    (void)harness_token(&srv, WENDA_ROLE_ADMIN, "problems-admin", admin);
    (void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", admin);
    cr_assert_eq(http_request(&srv, "POST", "/v1/import", h, body,
                              strlen(body), &r),
                 0);
    cr_assert_eq(r.status, 400, "%s", r.body);
    o = http_json(&r);
    cr_assert_str_eq(json_string_value(json_object_get(o, "type")),
                     "/problems/malformed-document");
    cr_assert_str_eq(json_string_value(json_object_get(o, "detail")),
                     "the import has 4 problems, the first on line 3");
    errors = json_object_get(o, "errors");
    cr_assert_eq(json_array_size(errors), 4, "%s", r.body);
    for (i = 0; i < 4; i++) {
        json_t *e = json_array_get(errors, i);

        cr_assert_eq(json_integer_value(json_object_get(e, "line")),
                     want[i].line, "%s", r.body);
        cr_assert_str_eq(json_string_value(json_object_get(e, "pointer")),
                         want[i].pointer, "%s", r.body);
    }
    json_decref(o);
    http_reply_cleanup(&r);
}
