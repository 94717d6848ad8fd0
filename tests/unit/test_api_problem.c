/*
 * test_api_problem.c -- RFC 9457 problems from api_problem() whose detail
 * quotes what a client sent, as inputs found by the fuzz harnesses
 * (tests/fuzz/) made them.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
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
