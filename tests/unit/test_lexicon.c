/*
 * test_lexicon.c -- the checks of the synonyms and the dictionary.
 *
 * Each test gives wenda_lexicon_synonyms() or wenda_lexicon_dictionary()
 * one document, as the API parses a PUT's body, and holds the answer to
 * what an editor needs: accepted documents read back as sets of terms,
 * and a refused one is named by the JSON pointer of its first bad value,
 * with nothing of it kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "wenda/lexicon.h"
#include "wenda/tokenize.h"

static struct wenda_tokenizer *tk;

static void
setup(void)
{
    cr_assert_eq(wenda_tokenizer_new(&tk), WENDA_OK);
}

static void
teardown(void)
{
    wenda_tokenizer_free(tk);
    tk = NULL;
}

TestSuite(lexicon, .init = setup, .fini = teardown);

/* Parses the JSON text s; fails the test when it is not JSON. */
static json_t *
doc(const char *s)
{
    json_error_t err;
    json_t *v = json_loads(s, JSON_DECODE_ANY, &err);

    cr_assert_not_null(v, "bad test JSON: %s: %s", s, err.text);
    return v;
}

/*
 * Checks the synonyms document v (taken) and returns the result; the
 * first problem's message goes to msg (256 bytes), the sets to *lx when
 * not NULL (else they are freed).
 */
static enum wenda_err
synonyms_of(json_t *v, char *msg, struct wenda_lexicon *lx)
{
    struct wenda_lexicon mine = {0};
    enum wenda_err rc;

    msg[0] = '\0';
    rc = wenda_lexicon_synonyms(tk, v, lx ? lx : &mine, msg, 256);
    json_decref(v);
    wenda_lexicon_cleanup(&mine);
    return rc;
}

/* Asserts that the synonyms document text s is refused with a message
 * that starts with want. */
static void
refuse_synonyms(const char *s, const char *want)
{
    struct wenda_lexicon lx = {0};
    char msg[256];

    cr_assert_eq(synonyms_of(doc(s), msg, &lx), WENDA_ERR_INVALID,
                 "accepted: %s", s);
    cr_expect(strncmp(msg, want, strlen(want)) == 0,
              "%s: message \"%s\", not \"%s...\"", s, msg, want);
    cr_expect_eq(lx.nsets, 0, "%s: kept %zu sets", s, lx.nsets);
    cr_expect_null(lx.sets);
    wenda_lexicon_cleanup(&lx);
}

/* The same for the dictionary. */
static void
refuse_dictionary(json_t *v, const char *want)
{
    struct wenda_lexicon lx = {0};
    char msg[256] = "";

    cr_assert_eq(wenda_lexicon_dictionary(v, &lx, msg, sizeof(msg)),
                 WENDA_ERR_INVALID, "accepted");
    cr_expect(strncmp(msg, want, strlen(want)) == 0,
              "message \"%s\", not \"%s...\"", msg, want);
    cr_expect_eq(lx.nwords, 0);
    cr_expect_null(lx.words);
    wenda_lexicon_cleanup(&lx);
    json_decref(v);
}

/* Returns a new JSON array of n copies of the JSON text item. */
static json_t *
repeated(const char *item, size_t n)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; i < n; i++)
        json_array_append_new(a, doc(item));
    return a;
}

/* ---- synonyms: what is accepted --------------------------------------- */

Test(lexicon, reads_groups_then_rules_as_sets_of_terms)
{
    struct wenda_lexicon lx = {0};
    char msg[256];

    cr_assert_eq(synonyms_of(doc("{\"groups\": [[\"长连接\", \"持久连接\", "
                                 "\"keep-alive\"], [\"GIL\", "
                                 "\"全局解释器锁\"]], \"rules\": "
                                 "[{\"from\": \"linter\", "
                                 "\"to\": [\"pylint\", \"flake8\"]}]}"),
                             msg, &lx),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(lx.nsets, 3);
    cr_expect_eq(lx.sets[0].n, 3);
    cr_expect_eq(lx.sets[0].one_way, 0);
    cr_expect_str_eq(lx.sets[0].terms[2], "keep-alive");
    cr_expect_eq(lx.sets[1].n, 2);
    cr_expect_eq(lx.sets[2].one_way, 1);
    cr_expect_eq(lx.sets[2].n, 3);
    cr_expect_str_eq(lx.sets[2].terms[0], "linter");
    cr_expect_str_eq(lx.sets[2].terms[2], "flake8");
    wenda_lexicon_cleanup(&lx);
    cr_expect_eq(lx.nsets, 0);
    cr_expect_null(lx.sets);
}

Test(lexicon, takes_an_empty_document_and_no_document)
{
    struct wenda_lexicon lx = {0};
    char msg[256];

    cr_expect_eq(synonyms_of(doc("{}"), msg, NULL), WENDA_OK, "%s", msg);
    cr_expect_eq(synonyms_of(doc("{\"groups\": [], \"rules\": []}"), msg,
                             NULL),
                 WENDA_OK, "%s", msg);
    cr_expect_eq(wenda_lexicon_synonyms(tk, NULL, &lx, msg, sizeof(msg)),
                 WENDA_OK);
    cr_expect_eq(lx.nsets, 0);
    cr_expect_eq(wenda_lexicon_dictionary(NULL, &lx, msg, sizeof(msg)),
                 WENDA_OK);
    cr_expect_eq(lx.nwords, 0);
    wenda_lexicon_cleanup(&lx);
}

Test(lexicon, takes_terms_at_the_limits)
{
    char msg[256], t64[65], body[4096];
    json_t *v;
    int i;

    memset(t64, 'a', 64);
    t64[64] = '\0';
    (void)snprintf(body, sizeof(body), "{\"groups\": [[\"%s\", \"b c\"]]}",
                   t64);
    cr_expect_eq(synonyms_of(doc(body), msg, NULL), WENDA_OK, "%s", msg);
    v = json_pack("{s:[[]]}", "groups");
    for (i = 0; i < WENDA_LEXICON_MAX_TERMS; i++) {
        char t[16];

        (void)snprintf(t, sizeof(t), "term%d", i);
        json_array_append_new(json_array_get(json_object_get(v, "groups"), 0),
                              json_string(t));
    }
    cr_expect_eq(synonyms_of(v, msg, NULL), WENDA_OK, "%s", msg);
}

/* ---- synonyms: the shape ------------------------------------------------ */

Test(lexicon, refuses_a_document_that_is_not_an_object)
{
    refuse_synonyms("[]", "the body must be a JSON object");
    refuse_synonyms("\"groups\"", "the body must be a JSON object");
}

Test(lexicon, refuses_unknown_fields)
{
    refuse_synonyms("{\"groups\": [], \"synonyms\": []}",
                    "/synonyms: unknown field");
    refuse_synonyms("{\"rules\": [{\"from\": \"py\", \"to\": [\"python\"], "
                    "\"both\": true}]}",
                    "/rules/0: unknown field 'both'");
}

Test(lexicon, refuses_lists_that_are_not_arrays)
{
    refuse_synonyms("{\"groups\": {}}", "/groups: must be an array");
    refuse_synonyms("{\"rules\": \"py\"}", "/rules: must be an array");
    refuse_synonyms("{\"groups\": [\"长连接\"]}",
                    "/groups/0: must be an array of 2 to 16 terms");
    refuse_synonyms("{\"rules\": [[\"py\", \"python\"]]}",
                    "/rules/0: must be an object");
}

Test(lexicon, refuses_more_groups_than_the_limit)
{
    json_t *v = json_object();
    struct wenda_lexicon lx = {0};
    char msg[256];
    size_t i;

    json_object_set_new(v, "groups", json_array());
    for (i = 0; i <= WENDA_LEXICON_MAX_GROUPS; i++)
        json_array_append_new(json_object_get(v, "groups"),
                              json_pack("[s, s]", "x", "y"));
    cr_assert_eq(synonyms_of(v, msg, &lx), WENDA_ERR_INVALID);
    cr_expect_str_eq(msg, "/groups: must be an array of at most 1000 "
                     "entries");
    v = json_pack("{s:o}", "rules",
                  repeated("{\"from\": \"a\", \"to\": [\"b\"]}",
                           WENDA_LEXICON_MAX_GROUPS + 1));
    cr_assert_eq(synonyms_of(v, msg, &lx), WENDA_ERR_INVALID);
    cr_expect_str_eq(msg, "/rules: must be an array of at most 1000 "
                     "entries");
}

Test(lexicon, refuses_a_group_of_one_term_or_of_too_many)
{
    json_t *v;
    char msg[256];
    int i;

    refuse_synonyms("{\"groups\": [[\"a\", \"b\"], [\"GIL\"]]}",
                    "/groups/1: must be an array of 2 to 16 terms");
    refuse_synonyms("{\"groups\": [[]]}",
                    "/groups/0: must be an array of 2 to 16 terms");
    v = json_pack("{s:[[]]}", "groups");
    for (i = 0; i <= WENDA_LEXICON_MAX_TERMS; i++) {
        char t[16];

        (void)snprintf(t, sizeof(t), "term%d", i);
        json_array_append_new(json_array_get(json_object_get(v, "groups"), 0),
                              json_string(t));
    }
    cr_assert_eq(synonyms_of(v, msg, NULL), WENDA_ERR_INVALID);
    cr_expect_str_eq(msg, "/groups/0: must be an array of 2 to 16 terms");
}

Test(lexicon, refuses_a_rule_without_from_or_to)
{
    refuse_synonyms("{\"rules\": [{\"to\": [\"python\"]}]}",
                    "/rules/0/from: must be a string of 1 to 64 bytes");
    refuse_synonyms("{\"rules\": [{\"from\": \"py\"}]}",
                    "/rules/0/to: must be an array of 1 to 15 terms");
    refuse_synonyms("{\"rules\": [{\"from\": \"py\", \"to\": []}]}",
                    "/rules/0/to: must be an array of 1 to 15 terms");
    refuse_synonyms("{\"rules\": [{\"from\": \"py\", \"to\": \"python\"}]}",
                    "/rules/0/to: must be an array of 1 to 15 terms");
}

/* ---- synonyms: each term ------------------------------------------------ */

Test(lexicon, refuses_a_term_that_is_not_a_string_or_is_empty)
{
    refuse_synonyms("{\"groups\": [[\"a\", 1]]}",
                    "/groups/0/1: must be a string of 1 to 64 bytes");
    refuse_synonyms("{\"groups\": [[\"a\", null]]}",
                    "/groups/0/1: must be a string of 1 to 64 bytes");
    refuse_synonyms("{\"groups\": [[\"\", \"a\"]]}",
                    "/groups/0/0: must be a string of 1 to 64 bytes");
}

Test(lexicon, refuses_a_term_longer_than_64_bytes)
{
    char body[512], t[65];

    memset(t, 'a', 64);
    t[64] = '\0';
    (void)snprintf(body, sizeof(body), "{\"groups\": [[\"b\", \"%sa\"]]}",
                   t);
    refuse_synonyms(body, "/groups/0/1: must be a string of 1 to 64 bytes");
    /* 22 Han characters are 66 bytes. */
    refuse_synonyms("{\"groups\": [[\"b\", \"一二三四五六七八九十"
                    "一二三四五六七八九十一二\"]]}",
                    "/groups/0/1: must be a string of 1 to 64 bytes");
}

Test(lexicon, refuses_a_term_that_is_not_valid_utf8_text)
{
    json_t *v = json_pack("{s:[[s]]}", "groups", "a");

    /* jansson's parser takes UTF-8 only; a caller could build anything. */
    json_array_append_new(json_array_get(json_object_get(v, "groups"), 0),
                          json_stringn_nocheck("a\xff", 2));
    {
        char msg[256];

        cr_assert_eq(synonyms_of(v, msg, NULL), WENDA_ERR_INVALID);
        cr_expect_str_eq(msg, "/groups/0/1: is not valid UTF-8 text");
    }
    refuse_synonyms("{\"groups\": [[\"a\", \"b\\ufdd0\"]]}",
                    "/groups/0/1: is not valid UTF-8 text");
    refuse_synonyms("{\"groups\": [[\"a\", \"b\\uffff\"]]}",
                    "/groups/0/1: is not valid UTF-8 text");
}

Test(lexicon, refuses_control_characters)
{
    refuse_synonyms("{\"groups\": [[\"a\", \"b\\tc\"]]}",
                    "/groups/0/1: holds a control character");
    refuse_synonyms("{\"groups\": [[\"a\", \"b\\nc\"]]}",
                    "/groups/0/1: holds a control character");
    refuse_synonyms("{\"rules\": [{\"from\": \"x\\u007f\", \"to\": "
                    "[\"y\"]}]}",
                    "/rules/0/from: holds a control character");
}

Test(lexicon, refuses_blanks_at_either_end)
{
    refuse_synonyms("{\"groups\": [[\" 长连接\", \"a\"]]}",
                    "/groups/0/0: begins or ends with a blank");
    refuse_synonyms("{\"groups\": [[\"a\", \"keep-alive \"]]}",
                    "/groups/0/1: begins or ends with a blank");
    refuse_synonyms("{\"groups\": [[\"a\", \" \"]]}",
                    "/groups/0/1: begins or ends with a blank");
}

Test(lexicon, refuses_a_term_that_holds_no_word)
{
    refuse_synonyms("{\"groups\": [[\"a\", \"!!!\"]]}",
                    "/groups/0/1: '!!!' holds no word to search for");
    refuse_synonyms("{\"groups\": [[\"、。\", \"a\"]]}",
                    "/groups/0/0: '、。' holds no word to search for");
    refuse_synonyms("{\"rules\": [{\"from\": \"py\", \"to\": [\"--\"]}]}",
                    "/rules/0/to/0: '--' holds no word to search for");
}

/* ---- synonyms: the terms together --------------------------------------- */

Test(lexicon, refuses_a_term_twice_in_a_group_in_any_case)
{
    refuse_synonyms("{\"groups\": [[\"GIL\", \"全局解释器锁\", \"gil\"]]}",
                    "/groups/0/2: 'gil' is there twice");
    refuse_synonyms("{\"groups\": [[\"协程\", \"协程\"]]}",
                    "/groups/0/1: '协程' is there twice");
    refuse_synonyms("{\"rules\": [{\"from\": \"py\", \"to\": [\"PY\"]}]}",
                    "/rules/0/to/0: 'PY' is there twice");
}

Test(lexicon, refuses_a_term_in_two_groups)
{
    refuse_synonyms("{\"groups\": [[\"长连接\", \"keep-alive\"], "
                    "[\"持久连接\", \"Keep-Alive\"]]}",
                    "/groups/1/1: 'Keep-Alive' is in another group too; "
                    "merge the two");
}

Test(lexicon, takes_a_rule_from_a_term_of_a_group)
{
    char msg[256];

    cr_expect_eq(synonyms_of(doc("{\"groups\": [[\"py\", \"python\"]], "
                                 "\"rules\": [{\"from\": \"py\", \"to\": "
                                 "[\"cpython\"]}, {\"from\": \"python\", "
                                 "\"to\": [\"cpython\"]}]}"),
                             msg, NULL),
                 WENDA_OK, "%s", msg);
}

Test(lexicon, refuses_one_way_rules_that_lead_back_to_their_start)
{
    refuse_synonyms("{\"rules\": [{\"from\": \"a\", \"to\": [\"b\"]}, "
                    "{\"from\": \"b\", \"to\": [\"a\"]}]}",
                    "/rules/0: 'a' leads back to itself through the one-way "
                    "rules; make them a group");
    refuse_synonyms("{\"rules\": [{\"from\": \"x\", \"to\": [\"y\"]}, "
                    "{\"from\": \"a\", \"to\": [\"b\"]}, {\"from\": \"b\", "
                    "\"to\": [\"c\", \"d\"]}, {\"from\": \"d\", \"to\": "
                    "[\"A\"]}]}",
                    "/rules/1: 'a' leads back to itself");
}

Test(lexicon, takes_one_way_rules_that_only_fan_out)
{
    char msg[256];

    cr_expect_eq(synonyms_of(doc("{\"rules\": [{\"from\": \"a\", \"to\": "
                                 "[\"b\", \"c\"]}, {\"from\": \"b\", \"to\": "
                                 "[\"c\"]}, {\"from\": \"c\", \"to\": "
                                 "[\"d\"]}]}"),
                             msg, NULL),
                 WENDA_OK, "%s", msg);
}

Test(lexicon, finds_a_loop_of_any_length)
{
    json_t *v = json_pack("{s:[]}", "rules");
    char msg[256];
    int i;

    /* r0 -> r1 -> ... -> r19 -> r0 */
    for (i = 0; i < 20; i++) {
        char from[16], to[16];

        (void)snprintf(from, sizeof(from), "r%d", i);
        (void)snprintf(to, sizeof(to), "r%d", (i + 1) % 20);
        json_array_append_new(json_object_get(v, "rules"),
                              json_pack("{s:s, s:[s]}", "from", from, "to",
                                        to));
    }
    cr_assert_eq(synonyms_of(v, msg, NULL), WENDA_ERR_INVALID);
    cr_expect_str_eq(msg, "/rules/0: 'r0' leads back to itself through the "
                     "one-way rules; make them a group");
}

/*
 * Layers of rules, each word leading to every word of the next layer: the
 * ways through them are 15 to the eighth, the rules 120.
 */
Test(lexicon, checks_many_ways_through_the_rules_in_little_time,
     .timeout = 10)
{
    json_t *v = json_pack("{s:[]}", "rules");
    char msg[256];
    int layer, i, j;

    for (layer = 0; layer < 8; layer++)
        for (i = 0; i < 15; i++) {
            json_t *to = json_array();
            char from[32];

            (void)snprintf(from, sizeof(from), "w%dx%d", layer, i);
            for (j = 0; j < 15; j++) {
                char t[32];

                (void)snprintf(t, sizeof(t), "w%dx%d", layer + 1, j);
                json_array_append_new(to, json_string(t));
            }
            json_array_append_new(json_object_get(v, "rules"),
                                  json_pack("{s:s, s:o}", "from", from, "to",
                                            to));
        }
    cr_assert_eq(synonyms_of(json_incref(v), msg, NULL), WENDA_OK, "%s",
                 msg);
    /* And the same with a way back from the last layer to the first. */
    json_array_append_new(json_object_get(v, "rules"),
                          json_pack("{s:s, s:[s]}", "from", "w8x14", "to",
                                    "w0x3"));
    cr_assert_eq(synonyms_of(v, msg, NULL), WENDA_ERR_INVALID);
    cr_expect(strstr(msg, "leads back to itself") != NULL, "%s", msg);
}

/* ---- the dictionary ----------------------------------------------------- */

Test(lexicon, reads_the_words_of_the_dictionary)
{
    struct wenda_lexicon lx = {0};
    char msg[256] = "";
    json_t *v = doc("{\"words\": [\"猴子补丁\", \"和平\", "
                    "\"一二三四五六七八\"]}");

    cr_assert_eq(wenda_lexicon_dictionary(v, &lx, msg, sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(lx.nwords, 3);
    cr_expect_str_eq(lx.words[0], "猴子补丁");
    cr_expect_str_eq(lx.words[2], "一二三四五六七八");
    wenda_lexicon_cleanup(&lx);
    json_decref(v);
}

Test(lexicon, refuses_dictionary_words_that_are_not_han)
{
    refuse_dictionary(doc("{\"words\": [\"猴子\", \"monkey\"]}"),
                      "/words/1: must be a word of 2 to 8 Chinese "
                      "characters");
    refuse_dictionary(doc("{\"words\": [\"猴子a\"]}"), "/words/0: must be");
    refuse_dictionary(doc("{\"words\": [\"猴 子\"]}"), "/words/0: must be");
    refuse_dictionary(doc("{\"words\": [\"猴子。\"]}"), "/words/0: must be");
    refuse_dictionary(doc("{\"words\": [\"\"]}"), "/words/0: must be");
    refuse_dictionary(doc("{\"words\": [12]}"), "/words/0: must be");
}

Test(lexicon, refuses_dictionary_words_too_short_or_too_long)
{
    refuse_dictionary(doc("{\"words\": [\"猴\"]}"),
                      "/words/0: must be a word of 2 to 8 Chinese");
    refuse_dictionary(doc("{\"words\": [\"一二三四五六七八九\"]}"),
                      "/words/0: must be a word of 2 to 8 Chinese");
}

Test(lexicon, refuses_a_dictionary_word_twice)
{
    refuse_dictionary(doc("{\"words\": [\"猴子\", \"补丁\", \"猴子\"]}"),
                      "/words/2: '猴子' is there twice");
}

Test(lexicon, refuses_a_dictionary_of_another_shape)
{
    refuse_dictionary(doc("[\"猴子\"]"), "the body must be a JSON object");
    refuse_dictionary(doc("{\"word\": [\"猴子\"]}"), "/word: unknown field");
    refuse_dictionary(doc("{\"words\": \"猴子\"}"),
                      "/words: must be an array of at most 5000 entries");
    refuse_dictionary(json_pack("{s:o}", "words",
                                repeated("\"猴子\"",
                                         WENDA_LEXICON_MAX_WORDS + 1)),
                      "/words: must be an array of at most 5000 entries");
}

/* ---- every problem at once -------------------------------------------- */

/* Asserts that p holds exactly the n pointers of want, in that order. */
static void
assert_problems(const struct wenda_problems *p, const char *const *want,
                size_t n)
{
    size_t i;

    cr_assert_eq(p->n, n, "%zu problems, not %zu (first: %s %s)", p->n, n,
                 p->n ? p->v[0].pointer : "", p->n ? p->v[0].detail : "");
    for (i = 0; i < n; i++)
        cr_assert_str_eq(p->v[i].pointer, want[i], "problem %zu: %s", i,
                         p->v[i].detail);
}

Test(lexicon, lists_every_problem_of_the_synonyms_by_pointer)
{
    static const char *const want[] = {"/x",          "/groups/0/1",
                                       "/groups/1/1", "/groups/2/0",
                                       "/rules/0",    "/rules/0/from",
                                       "/rules/0/to/1"};
    struct wenda_problems p = {0};
    struct wenda_lexicon lx = {0};
    json_t *v = doc("{\"x\":1,\"groups\":[[\"长连接\",\" a\"],[\"b\",\"B\"],"
                    "[\"长连接\",\"c\"]],\"rules\":[{\"from\":\"\",\"to\":"
                    "[\"d\",7],\"y\":2}]}");

    cr_assert_eq(wenda_lexicon_read_synonyms(tk, v, &lx, &p),
                 WENDA_ERR_INVALID);
    assert_problems(&p, want, sizeof(want) / sizeof(want[0]));
    cr_assert_str_eq(p.v[2].detail, "'B' is there twice");
    cr_assert_null(lx.sets, "a document with problems is not kept");
    wenda_problems_cleanup(&p);
    json_decref(v);
}

Test(lexicon, lists_every_bad_word_of_the_dictionary_by_pointer)
{
    static const char *const want[] = {"/words/1", "/words/3", "/words/4"};
    struct wenda_problems p = {0};
    struct wenda_lexicon lx = {0};
    json_t *v = doc("{\"words\":[\"猴子补丁\",\"abc\",\"和平\",\"和平\",null]}");
    char msg[256];

    cr_assert_eq(wenda_lexicon_read_dictionary(v, &lx, &p),
                 WENDA_ERR_INVALID);
    assert_problems(&p, want, sizeof(want) / sizeof(want[0]));
    cr_assert_null(lx.words);
    wenda_problems_cleanup(&p);
    /* The one-message form keeps the first, after its pointer. */
    cr_assert_eq(wenda_lexicon_dictionary(v, &lx, msg, sizeof(msg)),
                 WENDA_ERR_INVALID);
    cr_assert_str_eq(msg, "/words/1: must be a word of 2 to 8 Chinese "
                     "characters");
    json_decref(v);
}
