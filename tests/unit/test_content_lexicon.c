/*
 * test_content_lexicon.c -- synonyms.yml and dictionary.yml: reading them
 * as the JSON documents they stand for, the line of every problem, the
 * canonical form they are written in, and their place in a content
 * directory (loaded, written back byte for byte, left out when empty).
 *
 * The directory tests work on a private copy of content/ under $TMPDIR
 * (or /tmp), made in the suite's .init and removed in .fini.  They run
 * from the repository root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "wenda/content.h"

#include "testutil.h"

#define MAX_DIAGS 16

/* ---- helpers ---------------------------------------------------------- */

struct diag_rec {
    char file[1024];
    unsigned long line;
    char msg[512];
};

/* Every problem reported during one call. */
struct diags {
    struct diag_rec v[MAX_DIAGS];
    size_t n;
};

static void
collect(void *ctx, const char *file, unsigned long line, const char *msg)
{
    struct diags *d = ctx;

    if (d->n < MAX_DIAGS) {
        struct diag_rec *r = &d->v[d->n++];

        (void)snprintf(r->file, sizeof(r->file), "%s", file);
        r->line = line;
        (void)snprintf(r->msg, sizeof(r->msg), "%s", msg);
    }
}

/*
 * Parses text as the lexicon file of name; returns the result, the JSON
 * in *json (NULL when not wanted: then freed) and the problems in *d.
 */
static enum wenda_err
parse(const char *name, const char *text, char **json, struct diags *d)
{
    char *mine = NULL;
    enum wenda_err rc;

    memset(d, 0, sizeof(*d));
    rc = wenda_content_parse_lexicon("f.yml", name, text, strlen(text),
                                     json ? json : &mine, collect, d);
    if (rc != WENDA_OK)
        cr_assert_null(json ? *json : mine, "a refused file gave JSON");
    free(mine);
    return rc;
}

/* Asserts that text parses as name to exactly the JSON want. */
static void
parses_to(const char *name, const char *text, const char *want)
{
    struct diags d;
    char *json = NULL;

    cr_assert_eq(parse(name, text, &json, &d), WENDA_OK, "%s: %s",
                 text, d.n ? d.v[0].msg : "(no message)");
    cr_assert_eq(d.n, 0);
    cr_expect_str_eq(json, want);
    free(json);
}

/*
 * Asserts that text is refused as name with one problem at line whose
 * message starts with want.
 */
static void
refused_at(const char *name, const char *text, unsigned long line,
           const char *want)
{
    struct diags d;

    cr_assert_eq(parse(name, text, NULL, &d), WENDA_ERR_PARSE,
                 "accepted: %s", text);
    cr_assert_eq(d.n, 1, "%zu problems; the first: %s", d.n,
                 d.n ? d.v[0].msg : "");
    cr_expect_str_eq(d.v[0].file, "f.yml");
    cr_expect_eq(d.v[0].line, line, "%s: at line %lu, not %lu: %s", text,
                 d.v[0].line, line, d.v[0].msg);
    cr_expect(strncmp(d.v[0].msg, want, strlen(want)) == 0,
              "message \"%s\", not \"%s...\"", d.v[0].msg, want);
}

/* Formats json and asserts the file is exactly want. */
static void
formats_to(const char *json, const char *want)
{
    char *out = NULL;
    size_t n = 0;

    cr_assert_eq(wenda_content_format_lexicon(json, &out, &n), WENDA_OK,
                 "%s", json);
    cr_expect_eq(n, strlen(out));
    cr_expect_str_eq(out, want);
    free(out);
}

/* ---- reading ------------------------------------------------------------ */

Test(content_lexicon, reads_synonyms_as_compact_json_with_sorted_keys)
{
    parses_to("synonyms",
              "rules:\n"
              "  - to: [python, 'cpython']\n"
              "    from: py\n"
              "groups:\n"
              "  - - 长连接\n"
              "    - \"keep-alive\"\n",
              "{\"groups\":[[\"长连接\",\"keep-alive\"]],\"rules\":"
              "[{\"from\":\"py\",\"to\":[\"python\",\"cpython\"]}]}");
}

Test(content_lexicon, reads_every_scalar_as_a_string)
{
    parses_to("synonyms", "groups:\n- [404, true, null, 1.5]\n",
              "{\"groups\":[[\"404\",\"true\",\"null\",\"1.5\"]]}");
}

Test(content_lexicon, reads_a_dictionary)
{
    parses_to("dictionary", "words:\n- 猴子补丁\n- \"和平\"\n",
              "{\"words\":[\"猴子补丁\",\"和平\"]}");
}

Test(content_lexicon, reads_an_empty_file_as_the_empty_document)
{
    parses_to("synonyms", "", "{}");
    parses_to("dictionary", "# nothing yet\n", "{}");
    parses_to("dictionary", "{}\n", "{}");
}

Test(content_lexicon, reads_the_shipped_files)
{
    const char *names[] = {"synonyms", "dictionary"};
    size_t i;

    for (i = 0; i < 2; i++) {
        char path[TESTUTIL_PATH_CAP], *text, *json = NULL, *out = NULL;
        struct diags d;
        size_t len, n;

        (void)snprintf(path, sizeof(path), "content/%s.yml", names[i]);
        text = testutil_slurp(path, &len);
        cr_assert_not_null(text, "%s is missing", path);
        cr_assert_eq(parse(names[i], text, &json, &d), WENDA_OK, "%s:%lu: %s",
                     path, d.n ? d.v[0].line : 0, d.n ? d.v[0].msg : "");
        cr_assert_eq(wenda_content_format_lexicon(json, &out, &n), WENDA_OK);
        cr_expect_str_eq(out, text, "%s is not in its canonical form", path);
        free(out);
        free(json);
        free(text);
    }
}

Test(content_lexicon, refuses_another_name)
{
    struct diags d;

    cr_expect_eq(parse("aliases", "groups: []\n", NULL, &d),
                 WENDA_ERR_INVALID);
}

/* ---- problems and their lines ------------------------------------------- */

Test(content_lexicon, reports_broken_yaml_at_its_line)
{
    refused_at("synonyms", "groups:\n- [a, b]\n- [c, d\n", 4,
               "bad YAML: did not find expected");
    refused_at("synonyms", "groups:\n- [\"a, b]\n", 2, "bad YAML: found "
               "unexpected end of stream while scanning a quoted scalar");
}

Test(content_lexicon, reports_invalid_utf8_at_its_line)
{
    refused_at("dictionary", "words:\n- \"猴子\"\n- \"\xe7\x8c\"\n", 3,
               "invalid UTF-8 (or NUL) at byte");
}

Test(content_lexicon, reports_a_document_that_is_not_a_mapping)
{
    refused_at("synonyms", "- [a, b]\n", 1,
               "the synonyms must be a mapping of groups and rules");
    refused_at("dictionary", "\n\"猴子\"\n", 2,
               "the dictionary must be a mapping of words");
}

Test(content_lexicon, reports_a_term_in_two_groups_at_its_line)
{
    refused_at("synonyms",
               "groups:\n"
               "- [\"长连接\", \"keep-alive\"]\n"
               "- [\"持久连接\",\n"
               "   \"Keep-Alive\"]\n",
               4, "/groups/1/1: 'Keep-Alive' is in another group too");
}

Test(content_lexicon, reports_a_bad_rule_at_the_line_of_its_value)
{
    refused_at("synonyms",
               "rules:\n"
               "- from: \"py\"\n"
               "  to: [\"python\"]\n"
               "- from: \" 长连接\"\n"
               "  to: [\"keep-alive\"]\n",
               4, "/rules/1/from: begins or ends with a blank");
    refused_at("synonyms",
               "rules:\n"
               "- from: \"py\"\n"
               "  to: []\n",
               3, "/rules/0/to: must be an array of 1 to 15 terms");
}

Test(content_lexicon, reports_an_unknown_field_at_its_line)
{
    refused_at("synonyms", "groups: []\n\nsynonym: []\n", 3,
               "/synonym: unknown field");
    refused_at("synonyms", "rules:\n- from: a\n  to: [b]\n  both: yes\n", 2,
               "/rules/0: unknown field 'both'");
}

Test(content_lexicon, reports_a_bad_dictionary_word_at_its_line)
{
    refused_at("dictionary", "words:\n- 猴子补丁\n- monkey patch\n", 3,
               "/words/1: must be a word of 2 to 8 Chinese characters");
    refused_at("dictionary", "words:\n- 猴子\n- 补丁\n- 猴子\n", 4,
               "/words/2: '猴子' is there twice");
}

Test(content_lexicon, reports_every_bad_word_at_its_own_line)
{
    struct diags d;

    cr_assert_eq(parse("dictionary",
                       "words:\n- 猴子补丁\n- monkey\n- 补丁\n- patch\n",
                       NULL, &d),
                 WENDA_ERR_PARSE);
    cr_assert_eq(d.n, 2, "%zu problems; the first: %s", d.n,
                 d.n ? d.v[0].msg : "");
    cr_expect_eq(d.v[0].line, 3);
    cr_expect(strncmp(d.v[0].msg, "/words/1: ", 10) == 0, "%s", d.v[0].msg);
    cr_expect_eq(d.v[1].line, 5);
    cr_expect(strncmp(d.v[1].msg, "/words/3: ", 10) == 0, "%s", d.v[1].msg);
}

Test(content_lexicon, reports_lists_of_the_wrong_shape_at_their_key)
{
    refused_at("synonyms", "\ngroups: 长连接\n", 2,
               "/groups: must be an array");
    refused_at("dictionary", "words:\n  猴子: 补丁\n", 1,
               "/words: must be an array");
}

Test(content_lexicon, reports_a_field_given_twice)
{
    refused_at("dictionary", "words: [猴子]\nwords: [补丁]\n", 2,
               "field 'words' appears twice");
}

Test(content_lexicon, reports_a_key_that_is_not_a_plain_name)
{
    refused_at("synonyms", "? [groups]\n: []\n", 1,
               "keys must be plain names");
}

Test(content_lexicon, reports_a_nul_escape_at_its_line)
{
    refused_at("dictionary", "words:\n- \"猴\\0子\"\n", 2,
               "a string holds a NUL character");
}

Test(content_lexicon, reports_a_second_document)
{
    refused_at("dictionary", "words: [猴子]\n---\nwords: [补丁]\n", 2,
               "a second YAML document");
}

Test(content_lexicon, stops_at_lists_nested_too_deep)
{
    refused_at("synonyms", "groups:\n- [[[a]]]\n", 2,
               "lists and mappings nest deeper");
    /* An alias of the list it is in never ends without the bound. */
    refused_at("synonyms", "groups: &g\n- *g\n", 1,
               "lists and mappings nest deeper");
}

Test(content_lexicon, stops_at_aliases_that_multiply_values, .timeout = 10)
{
    /* Forty to the third power strings from a file of a kilobyte. */
    static const char *const lines[] = {"x: &a0 [", "y: &a1 [", "z: ["};
    static const char *const items[] = {"a", "*a0", "*a1"};
    char text[4096];
    size_t n = 0;
    int level, i;

    for (level = 0; level < 3; level++) {
        n += (size_t)snprintf(text + n, sizeof(text) - n, "%s",
                              lines[level]);
        for (i = 0; i < 40; i++)
            n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s",
                                  i ? "," : "", items[level]);
        n += (size_t)snprintf(text + n, sizeof(text) - n, "]\n");
    }
    cr_assert_lt(n, sizeof(text) - 1);
    /* Reported where the value that went past it stands: x's line. */
    refused_at("synonyms", text, 1, "holds more than");
}

/* ---- writing ------------------------------------------------------------ */

Test(content_lexicon, writes_the_canonical_file_of_a_document)
{
    formats_to("{\"rules\":[{\"to\":[\"python\"],\"from\":\"py\"}],"
               "\"groups\":[[\"长连接\",\"keep-alive\"],[\"a \\\"b\\\"\","
               "\"c\"]]}",
               "groups:\n"
               "- [\"长连接\", \"keep-alive\"]\n"
               "- [\"a \\\"b\\\"\", \"c\"]\n"
               "rules:\n"
               "- from: \"py\"\n"
               "  to: [\"python\"]\n");
    formats_to("{\"words\":[\"猴子补丁\",\"和平\"]}",
               "words:\n- \"猴子补丁\"\n- \"和平\"\n");
    formats_to("{\"groups\":[]}", "groups: []\n");
}

Test(content_lexicon, reads_back_what_it_writes)
{
    const char *docs[] = {
        "{\"groups\":[[\"长连接\",\"持久连接\",\"keep-alive\"],[\"yes\","
        "\"no\",\"~x\",\"null\",\"- x\",\"a: b\",\"#c\"]],\"rules\":"
        "[{\"from\":\"linter\",\"to\":[\"pylint\",\"flake8\"]}]}",
        "{\"words\":[\"猴子补丁\",\"全局解释器锁\"]}",
        "{\"rules\":[]}",
    };
    size_t i;

    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        char *out = NULL;
        size_t n;

        cr_assert_eq(wenda_content_format_lexicon(docs[i], &out, &n),
                     WENDA_OK);
        parses_to(i == 1 ? "dictionary" : "synonyms", out, docs[i]);
        free(out);
    }
}

Test(content_lexicon, refuses_to_write_what_no_document_holds)
{
    const char *bad[] = {"[]", "{\"groups\":[[1,2]]}", "{\"a\":true}",
                         "not json", "{\"words\":[[[[[\"x\"]]]]]}"};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *out = (char *)1;
        size_t n = 1;

        cr_expect_eq(wenda_content_format_lexicon(bad[i], &out, &n),
                     WENDA_ERR_INVALID, "%s", bad[i]);
        cr_expect_null(out);
        cr_expect_eq(n, 0);
    }
}

/* ---- in a content directory ------------------------------------------- */

static char tmp[TESTUTIL_PATH_CAP], copy[TESTUTIL_PATH_CAP];

static void
dir_setup(void)
{
    testutil_make_temp_dir(tmp, sizeof(tmp), "lexicon");
    testutil_join(copy, sizeof(copy), tmp, "content");
    testutil_copy_tree("content", copy);
}

static void
dir_teardown(void)
{
    testutil_remove_tree(tmp);
}

TestSuite(content_lexicon_dir, .init = dir_setup, .fini = dir_teardown);

/* Writes text to copy/name. */
static void
put(const char *name, const char *text)
{
    char path[TESTUTIL_PATH_CAP];

    testutil_join(path, sizeof(path), copy, name);
    testutil_spit(path, text, strlen(text));
}

Test(content_lexicon_dir, loads_both_files_with_the_topics)
{
    struct wenda_content c;

    cr_assert_eq(wenda_content_load(copy, &c, NULL, NULL), WENDA_OK);
    cr_assert_not_null(c.synonyms);
    cr_assert_not_null(c.dictionary);
    cr_expect_not_null(strstr(c.synonyms, "[\"长连接\",\"持久连接\","
                                          "\"keep-alive\"]"),
                       "%s", c.synonyms);
    cr_expect_not_null(strstr(c.dictionary, "\"猴子补丁\""));
    cr_expect_eq(c.ntopics, 64);
    wenda_content_cleanup(&c);
    cr_expect_null(c.synonyms);
}

Test(content_lexicon_dir, leaves_out_a_file_that_is_not_there)
{
    struct wenda_content c;
    char path[TESTUTIL_PATH_CAP];

    testutil_join(path, sizeof(path), copy, "synonyms.yml");
    cr_assert_eq(unlink(path), 0);
    testutil_join(path, sizeof(path), copy, "dictionary.yml");
    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(wenda_content_load(copy, &c, NULL, NULL), WENDA_OK);
    cr_expect_null(c.synonyms);
    cr_expect_null(c.dictionary);
    wenda_content_cleanup(&c);
}

Test(content_lexicon_dir, reports_problems_with_the_file_and_fails_the_load)
{
    struct wenda_content c;
    struct diags d = {0};
    char want[TESTUTIL_PATH_CAP];

    put("synonyms.yml", "groups:\n- [\"GIL\", \"gil\"]\n");
    put("dictionary.yml", "words: [monkey]\n");
    memset(&c, 0x5a, sizeof(c));
    cr_assert_eq(wenda_content_load(copy, &c, collect, &d), WENDA_ERR_PARSE);
    cr_assert_null(c.synonyms);
    cr_assert_null(c.dictionary);
    cr_assert_null(c.topics);
    cr_assert_eq(d.n, 2);
    testutil_join(want, sizeof(want), copy, "synonyms.yml");
    cr_expect_str_eq(d.v[0].file, want);
    cr_expect_eq(d.v[0].line, 2);
    cr_expect_str_eq(d.v[0].msg, "/groups/0/1: 'gil' is there twice");
    testutil_join(want, sizeof(want), copy, "dictionary.yml");
    cr_expect_str_eq(d.v[1].file, want);
    cr_expect_eq(d.v[1].line, 1);
}

Test(content_lexicon_dir, writes_both_back_byte_for_byte)
{
    struct wenda_content c;
    char out[TESTUTIL_PATH_CAP];

    testutil_join(out, sizeof(out), tmp, "out");
    cr_assert_eq(wenda_content_load(copy, &c, NULL, NULL), WENDA_OK);
    cr_assert_eq(wenda_content_write(out, &c), WENDA_OK);
    testutil_assert_same_tree(copy, out);
    wenda_content_cleanup(&c);
}

Test(content_lexicon_dir, writes_no_file_for_an_empty_document)
{
    struct wenda_content c;
    char out[TESTUTIL_PATH_CAP], path[TESTUTIL_PATH_CAP];

    put("synonyms.yml", "# none yet\n");
    testutil_join(out, sizeof(out), tmp, "out");
    cr_assert_eq(wenda_content_load(copy, &c, NULL, NULL), WENDA_OK);
    cr_assert_str_eq(c.synonyms, "{}");
    free(c.dictionary);
    c.dictionary = NULL;
    cr_assert_eq(wenda_content_write(out, &c), WENDA_OK);
    testutil_join(path, sizeof(path), out, "synonyms.yml");
    cr_expect_eq(access(path, F_OK), -1, "an empty document has a file");
    testutil_join(path, sizeof(path), out, "dictionary.yml");
    cr_expect_eq(access(path, F_OK), -1, "no document has a file");
    wenda_content_cleanup(&c);
}

Test(content_lexicon_dir, refuses_to_write_a_document_of_another_shape)
{
    struct wenda_content c = {0};
    char out[TESTUTIL_PATH_CAP];

    testutil_join(out, sizeof(out), tmp, "out");
    c.synonyms = strdup("{\"groups\":7}");
    cr_assert_eq(wenda_content_write(out, &c), WENDA_ERR_INVALID);
    wenda_content_cleanup(&c);
}
