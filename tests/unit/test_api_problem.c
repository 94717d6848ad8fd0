/*
 * test_api_problem.c -- RFC 9457 problems from api_problem() whose detail
 * quotes what a client sent, as inputs found by the fuzz harnesses
 * (tests/fuzz/) made them.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "wenda/content.h"

/* Asserts that res is a 400 problem whose detail is valid UTF-8 that
 * starts with want. */
static void
assert_problem_400(const struct api_response *res, const char *want)
{
    json_error_t err;
    json_t *o;
    const char *detail;

    cr_assert_eq(res->status, 400, "status %u: %.*s", res->status,
                 (int)res->len, res->body);
    o = json_loadb(res->body, res->len, 0, &err);
    cr_assert_not_null(o, "not JSON: %s", err.text);
    detail = json_string_value(json_object_get(o, "detail"));
    cr_assert_not_null(detail);
    cr_assert(wenda_utf8_valid(detail, strlen(detail), NULL));
    cr_assert_eq(strncmp(detail, want, strlen(want)), 0, "detail: %s",
                 detail);
    json_decref(o);
}

/*
 * An import line with a bad escape just before a Chinese character:
 * jansson's message quotes the first byte of that character alone, which
 * made the problem "out of memory" (503) instead of a 400.
 */
Test(api_problem, json_error_quoting_half_a_character_is_a_400)
{
    static const char line[] = "{\"answer\":\"<ol>\\\xe5\x9b\x9e\"}";
    struct api_response res = {0};
    json_error_t err;
    char detail[320];

    cr_assert_null(json_loadb(line, sizeof(line) - 1, 0, &err));
    cr_assert(!wenda_utf8_valid(err.text, strlen(err.text), NULL),
              "jansson's message is UTF-8 now: %s", err.text);
    (void)snprintf(detail, sizeof(detail), "line 1 is not valid JSON: %.100s",
                   err.text);
    api_problem(&res, WENDA_ERR_PARSE, detail, NULL);
    assert_problem_400(&res, "line 1 is not valid JSON: invalid escape");
    api_response_cleanup(&res);
}

/* An unknown field whose name is cut at 40 bytes, inside a character. */
Test(api_problem, field_name_cut_inside_a_character_is_a_400)
{
    struct api_response res = {0};
    struct wenda_topic t;
    char msg[256];
    json_t *o = json_object();

    /* 14 three-byte characters: byte 40 falls inside the 14th. */
    json_object_set_new(o, "\xe6\xad\xbb\xe6\xad\xbb\xe6\xad\xbb\xe6\xad\xbb"
                           "\xe6\xad\xbb\xe6\xad\xbb\xe6\xad\xbb\xe6\xad\xbb"
                           "\xe6\xad\xbb\xe6\xad\xbb\xe6\xad\xbb\xe6\xad\xbb"
                           "\xe6\xad\xbb\xe6\xad\xbb",
                        json_true());
    cr_assert_eq(wenda_topic_from_json(o, &t, msg, sizeof(msg)),
                 WENDA_ERR_INVALID);
    json_decref(o);
    api_problem(&res, WENDA_ERR_INVALID, msg, NULL);
    assert_problem_400(&res, "unknown field '\xe6\xad\xbb");
    api_response_cleanup(&res);
}

/* Parses res's body, asserting a problem of status; returns it (new). */
static json_t *
problem_of(const struct api_response *res, unsigned int status)
{
    json_error_t err;
    json_t *o;

    cr_assert_eq(res->status, status, "status %u: %.*s", res->status,
                 (int)res->len, res->body);
    cr_assert_str_eq(res->content_type,
                     "application/problem+json; charset=utf-8");
    o = json_loadb(res->body, res->len, 0, &err);
    cr_assert_not_null(o, "not JSON: %s", err.text);
    return o;
}

Test(api_problem, a_list_names_every_problem_and_counts_them_in_detail)
{
    struct api_response res = {0};
    struct wenda_problems p = {0};
    json_t *o, *e;

    wenda_problems_add(&p, "/slug", "slug is required");
    wenda_problems_add_member(&p, "", "a/b", "unknown field");
    api_problem_list(&res, WENDA_ERR_INVALID, "topic", &p, 0);
    o = problem_of(&res, 400);
    cr_assert_str_eq(json_string_value(json_object_get(o, "detail")),
                     "the topic has 2 problems");
    cr_assert_eq(json_array_size(json_object_get(o, "errors")), 2);
    e = json_array_get(json_object_get(o, "errors"), 1);
    cr_assert_str_eq(json_string_value(json_object_get(e, "pointer")),
                     "/a~1b");
    cr_assert_null(json_object_get(e, "line"));
    json_decref(o);
    api_response_cleanup(&res);
    wenda_problems_cleanup(&p);
}

Test(api_problem, a_list_of_one_is_its_detail_after_its_pointer_or_line)
{
    struct api_response res = {0};
    struct wenda_problems p = {0};
    json_t *o;

    wenda_problems_add(&p, "/words/1", "must be a word");
    api_problem_list(&res, WENDA_ERR_INVALID, "document", &p, 1);
    o = problem_of(&res, 400);
    cr_assert_str_eq(json_string_value(json_object_get(o, "detail")),
                     "/words/1: must be a word");
    json_decref(o);
    api_response_cleanup(&res);
    p.v[0].line = 7;
    api_problem_list(&res, WENDA_ERR_PARSE, "import", &p, 0);
    o = problem_of(&res, 400);
    cr_assert_str_eq(json_string_value(json_object_get(o, "detail")),
                     "line 7: must be a word");
    cr_assert_eq(json_integer_value(json_object_get(
                     json_array_get(json_object_get(o, "errors"), 0),
                     "line")),
                 7);
    json_decref(o);
    api_response_cleanup(&res);
    wenda_problems_cleanup(&p);
}

Test(api_problem, a_list_past_its_limit_says_how_many_there_were)
{
    struct api_response res = {0};
    struct wenda_problems p = {0};
    json_t *o;
    int i;

    for (i = 0; i < WENDA_PROBLEMS_MAX + 3; i++)
        wenda_problems_add(&p, "/x", "problem %d", i);
    api_problem_list(&res, WENDA_ERR_INVALID, "document", &p, 1);
    o = problem_of(&res, 400);
    cr_assert_eq(json_array_size(json_object_get(o, "errors")),
                 WENDA_PROBLEMS_MAX);
    cr_assert_not_null(strstr(json_string_value(json_object_get(o, "detail")),
                              "53 problems"));
    json_decref(o);
    api_response_cleanup(&res);
    wenda_problems_cleanup(&p);
}

Test(api_problem, a_bad_parameter_is_named_and_listed)
{
    struct api_response res = {0};
    json_t *o, *e;

    api_bad_param(&res, "limit", "must be an integer from 1 to 100");
    o = problem_of(&res, 400);
    cr_assert_str_eq(json_string_value(json_object_get(o, "parameter")),
                     "limit");
    e = json_array_get(json_object_get(o, "errors"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(e, "parameter")),
                     "limit");
    cr_assert_str_eq(json_string_value(json_object_get(e, "detail")),
                     "query parameter 'limit' must be an integer from 1 to "
                     "100");
    json_decref(o);
    api_response_cleanup(&res);
}

Test(api_params, an_integer_takes_up_to_nineteen_digits_within_its_range)
{
    long long v = -1;

    cr_assert_eq(api_parse_int("9223372036854775807", 0, LLONG_MAX, &v), 0);
    cr_assert_eq(v, LLONG_MAX);
    cr_assert_eq(api_parse_int("0", 0, 5, &v), 0);
    cr_assert_eq(v, 0);
    v = 7;
    cr_assert_eq(api_parse_int("9223372036854775808", 0, LLONG_MAX, &v), -1);
    cr_assert_eq(api_parse_int("99999999999999999999", 0, LLONG_MAX, &v),
                 -1);
    cr_assert_eq(api_parse_int("6", 0, 5, &v), -1);
    cr_assert_eq(api_parse_int("1", 2, 5, &v), -1);
    cr_assert_eq(api_parse_int("-1", 0, 5, &v), -1);
    cr_assert_eq(api_parse_int("+1", 0, 5, &v), -1);
    cr_assert_eq(api_parse_int("", 0, 5, &v), -1);
    cr_assert_eq(v, 7, "a refused text leaves *out as it was");
}
