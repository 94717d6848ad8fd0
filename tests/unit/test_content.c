/*
 * test_content.c -- topic files: parsing, diagnostics, canonical writing,
 * directory loading, UTF-8 and slug rules.
 *
 * Content is written by people, so the parser's diagnostics are part of its
 * contract: each problem must reach the diag callback with the line a person
 * would go to.  Most parse tests therefore start from one valid topic file
 * and change a single line of it (topic_text()), so that the expected line
 * is visible in the test itself.
 *
 * The directory tests work on a private copy of content/ under $TMPDIR (or
 * /tmp), made in the suite's .init and removed in .fini, so that tests may
 * run in parallel processes.  They run from the repository root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "wenda/content.h"

#include "testutil.h"

#define CONTENT_DIR "content"
#define PATH_CAP 4096
#define MAX_DIAGS 64

/* ---- helpers ---------------------------------------------------------- */

struct diag_rec {
    char file[1024];
    unsigned long line;
    char msg[512];
};

/* Every problem reported through the diag callback during one call. */
struct diags {
    struct diag_rec v[MAX_DIAGS];
    size_t n;      /* kept in v */
    size_t total;  /* reported, including any beyond MAX_DIAGS */
};

static void
collect(void *ctx, const char *file, unsigned long line, const char *msg)
{
    struct diags *d = ctx;

    if (d->n < MAX_DIAGS) {
        struct diag_rec *r = &d->v[d->n++];

        (void)snprintf(r->file, sizeof(r->file), "%s", file ? file : "");
        r->line = line;
        (void)snprintf(r->msg, sizeof(r->msg), "%s", msg ? msg : "");
    }
    d->total++;
}

/* Writes the diagnostics as "file:line: msg" lines into buf, for failure
 * messages. */
static const char *
describe(const struct diags *d, char *buf, size_t cap)
{
    size_t i, used = 0;

    buf[0] = '\0';
    if (d->total == 0)
        (void)snprintf(buf, cap, "(no diagnostics)");
    for (i = 0; i < d->n && used < cap; i++) {
        int w = snprintf(buf + used, cap - used, "\n  %s:%lu: %s",
                         d->v[i].file, d->v[i].line, d->v[i].msg);

        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}

/*
 * The valid topic every parse test starts from, one line per entry:
 *
 *   1 ---            4 slug         7 tags        10 the answer
 *   2 title          5 category     8 aliases
 *   3 title_en       6 order        9 ---
 */
static const char *const valid_lines[] = {
    "---",
    "title: \"死锁\"",
    "title_en: \"Deadlock\"",
    "slug: \"deadlock\"",
    "category: \"concurrency\"",
    "order: 35",
    "tags: [\"lock\", \"thread\"]",
    "aliases: [\"deadlock\", \"死结\"]",
    "---",
    "两个线程互相等待对方的锁.",
};

#define VALID_NLINES (sizeof(valid_lines) / sizeof(valid_lines[0]))

/*
 * Builds the valid topic into buf with line number lineno (1-based)
 * replaced by replacement, which may hold several lines separated by "\n";
 * NULL deletes the line, and lineno 0 changes nothing.  Every line ends
 * with "\n".  Returns the length.
 */
static size_t
topic_text(char *buf, size_t cap, size_t lineno, const char *replacement)
{
    size_t i, used = 0;

    buf[0] = '\0';
    for (i = 0; i < VALID_NLINES; i++) {
        const char *line = valid_lines[i];
        int w;

        if (i + 1 == lineno) {
            if (replacement == NULL)
                continue;
            line = replacement;
        }
        w = snprintf(buf + used, cap - used, "%s\n", line);
        cr_assert(w >= 0 && (size_t)w < cap - used, "topic_text overflow");
        used += (size_t)w;
    }
    return used;
}

static void
assert_topic_zeroed(const struct wenda_topic *t)
{
    cr_assert_null(t->slug, "a failed parse left slug set");
    cr_assert_null(t->title, "a failed parse left title set");
    cr_assert_null(t->title_en, "a failed parse left title_en set");
    cr_assert_null(t->category, "a failed parse left category set");
    cr_assert_null(t->answer, "a failed parse left answer set");
    cr_assert_eq(t->tags.n, 0);
    cr_assert_null(t->tags.v);
    cr_assert_eq(t->aliases.n, 0);
    cr_assert_null(t->aliases.v);
    cr_assert_eq(t->order, 0);
}

/*
 * Parses text and asserts that it fails, leaves the topic zeroed, and that
 * some problem was reported for file "t.md" at a line in [lo, hi] with a
 * message containing word (when not NULL).  Returns the result code.
 */
static enum wenda_err
expect_problem(const char *text, size_t len, unsigned long lo,
               unsigned long hi, const char *word)
{
    struct diags d = {0};
    struct wenda_topic t;
    enum wenda_err rc;
    char why[8192];
    size_t i;
    int found = 0;

    memset(&t, 0x5a, sizeof(t));
    rc = wenda_content_parse_topic("t.md", text, len, &t, collect, &d);
    cr_assert_neq(rc, WENDA_OK, "a broken topic parsed:\n%s", text);
    assert_topic_zeroed(&t);
    cr_assert_gt(d.total, 0, "parse failed (%s) without a diagnostic",
                 wenda_err_name(rc));
    for (i = 0; i < d.n; i++) {
        cr_assert_str_eq(d.v[i].file, "t.md",
                         "diagnostic names '%s', not the file given",
                         d.v[i].file);
        if (d.v[i].line >= lo && d.v[i].line <= hi &&
            (word == NULL || strstr(d.v[i].msg, word) != NULL))
            found = 1;
    }
    cr_assert(found, "no diagnostic at line %lu..%lu mentioning '%s'; got:%s",
              lo, hi, word ? word : "", describe(&d, why, sizeof(why)));
    return rc;
}

/*
 * expect_problem() on the valid topic with line lineno replaced by
 * replacement (see topic_text()): the parse must fail with a problem at a
 * line in [lo, hi] mentioning word.  Returns the result code.
 */
static enum wenda_err
problem_in_edited_topic(size_t lineno, const char *replacement,
                        unsigned long lo, unsigned long hi, const char *word)
{
    char text[4096];
    size_t len = topic_text(text, sizeof(text), lineno, replacement);

    return expect_problem(text, len, lo, hi, word);
}

static void
assert_content_eq(const struct wenda_content *a, const struct wenda_content *b)
{
    size_t i;

    cr_assert_eq(a->ncats, b->ncats);
    for (i = 0; i < a->ncats; i++) {
        cr_assert_str_eq(a->cats[i].slug, b->cats[i].slug);
        cr_assert_str_eq(a->cats[i].name, b->cats[i].name);
        cr_assert_str_eq(a->cats[i].name_en, b->cats[i].name_en);
    }
    cr_assert_eq(a->ntopics, b->ntopics);
    for (i = 0; i < a->ntopics; i++)
        testutil_assert_topic_eq(&a->topics[i], &b->topics[i], 1);
}

/* Returns 1 when some diagnostic's file and message together contain
 * every one of the NULL-terminated words. */
static int
some_diag_mentions(const struct diags *d, const char *const *words)
{
    size_t i, k;

    for (i = 0; i < d->n; i++) {
        char both[2048];
        int all = 1;

        (void)snprintf(both, sizeof(both), "%s %s", d->v[i].file,
                       d->v[i].msg);
        for (k = 0; words[k] != NULL; k++)
            if (strstr(both, words[k]) == NULL)
                all = 0;
        if (all)
            return 1;
    }
    return 0;
}

/* ---- parsing one topic ------------------------------------------------ */

Test(content, parses_every_field_of_a_valid_topic)
{
    char text[4096], why[8192];
    size_t len = topic_text(text, sizeof(text), 0, NULL);
    struct diags d = {0};
    struct wenda_topic t;
    enum wenda_err rc;

    rc = wenda_content_parse_topic("t.md", text, len, &t, collect, &d);
    cr_assert_eq(rc, WENDA_OK, "valid topic refused (%s):%s",
                 wenda_err_name(rc), describe(&d, why, sizeof(why)));
    cr_assert_eq(d.total, 0, "valid topic gave diagnostics:%s",
                 describe(&d, why, sizeof(why)));
    cr_assert_str_eq(t.title, "死锁");
    cr_assert_str_eq(t.title_en, "Deadlock");
    cr_assert_str_eq(t.slug, "deadlock");
    cr_assert_str_eq(t.category, "concurrency");
    cr_assert_eq(t.order, 35);
    cr_assert_eq(t.tags.n, 2);
    cr_assert_str_eq(t.tags.v[0], "lock");
    cr_assert_str_eq(t.tags.v[1], "thread");
    cr_assert_eq(t.aliases.n, 2);
    cr_assert_str_eq(t.aliases.v[0], "deadlock");
    cr_assert_str_eq(t.aliases.v[1], "死结");
    cr_assert_str_eq(t.answer, "两个线程互相等待对方的锁.\n");
    cr_assert_eq(t.id, 0);
    cr_assert_eq(t.version, 0);
    cr_assert_null(t.updated_at);
    wenda_topic_cleanup(&t);
    cr_assert_null(t.slug, "cleanup does not zero the topic");
}

Test(content, keeps_the_answer_bytes_after_the_closing_line_verbatim)
{
    static const char answer[] =
        "\n## 标题\n\n---\nkey: value\n  indented  \ttab\n\n```\ncode\n```\n\n";
    char text[4096];
    size_t len = topic_text(text, sizeof(text), 10, NULL);
    struct wenda_topic t;

    cr_assert_lt(len + sizeof(answer), sizeof(text));
    memcpy(text + len, answer, sizeof(answer));
    len += sizeof(answer) - 1;
    cr_assert_eq(wenda_content_parse_topic("t.md", text, len, &t, NULL, NULL),
                 WENDA_OK);
    cr_assert_str_eq(t.answer, answer);
    wenda_topic_cleanup(&t);
}

Test(content, accepts_a_topic_without_title_en_and_aliases)
{
    static const char text[] = "---\n"
                               "title: \"死锁\"\n"
                               "slug: \"deadlock\"\n"
                               "category: \"concurrency\"\n"
                               "order: 35\n"
                               "tags: [\"lock\"]\n"
                               "---\n"
                               "answer\n";
    struct wenda_topic t;

    cr_assert_eq(wenda_content_parse_topic("t.md", text, strlen(text), &t,
                                           NULL, NULL),
                 WENDA_OK, "optional fields are required");
    cr_assert_str_eq(t.title_en, "", "absent title_en is not \"\"");
    cr_assert_eq(t.aliases.n, 0);
    wenda_topic_cleanup(&t);
}

Test(content, reports_a_missing_field_by_name)
{
    /* Without tags the front matter spans lines 1..8. */
    cr_assert_eq(problem_in_edited_topic(7, NULL, 1, 8, "tags"),
                 WENDA_ERR_PARSE);
}

Test(content, reports_a_missing_title_by_name)
{
    cr_assert_eq(problem_in_edited_topic(2, NULL, 1, 8, "title"),
                 WENDA_ERR_PARSE);
}

Test(content, reports_an_unknown_field_at_its_line)
{
    cr_assert_eq(problem_in_edited_topic(6, "author: \"someone\"\norder: 35",
                                         6, 6, "author"),
                 WENDA_ERR_PARSE);
}

Test(content, reports_a_field_given_twice_at_its_second_line)
{
    static const char edit[] = "category: \"concurrency\"\nslug: \"other\"";

    cr_assert_eq(problem_in_edited_topic(5, edit, 6, 6, "slug"),
                 WENDA_ERR_PARSE);
}

Test(content, reports_an_unclosed_quote_near_its_line)
{
    cr_assert_eq(problem_in_edited_topic(4, "slug: \"deadlock", 4, 5, NULL),
                 WENDA_ERR_PARSE);
}

Test(content, reports_an_unclosed_quote_near_its_line_when_no_quote_follows)
{
    /* Plain YAML, as a person may write it: no later quote closes it. */
    static const char text[] = "---\n"
                               "title: 死锁\n"
                               "title_en: Deadlock\n"
                               "slug: \"deadlock\n"
                               "category: concurrency\n"
                               "order: 35\n"
                               "tags: [lock, thread]\n"
                               "aliases: [deadlock]\n"
                               "---\n"
                               "answer\n";

    /* The quote opens on line 4; the front matter ends on line 9. */
    cr_assert_eq(expect_problem(text, strlen(text), 4, 5, NULL),
                 WENDA_ERR_PARSE);
}

Test(content, parses_plain_yaml_values)
{
    static const char text[] = "---\n"
                               "title: 死锁\n"
                               "title_en: Deadlock\n"
                               "slug: deadlock\n"
                               "category: concurrency\n"
                               "order: 35\n"
                               "tags: [lock, thread]\n"
                               "aliases: [deadlock]\n"
                               "---\n"
                               "answer\n";
    struct wenda_topic t;

    cr_assert_eq(wenda_content_parse_topic("t.md", text, strlen(text), &t,
                                           NULL, NULL),
                 WENDA_OK);
    cr_assert_str_eq(t.title, "死锁");
    cr_assert_str_eq(t.slug, "deadlock");
    cr_assert_str_eq(t.tags.v[1], "thread");
    wenda_topic_cleanup(&t);
}

Test(content, reports_broken_yaml_at_its_line)
{
    cr_assert_eq(problem_in_edited_topic(6, "order: [35", 6, 7, NULL),
                 WENDA_ERR_PARSE);
}

Test(content, reports_tags_given_as_a_string_at_the_tags_line)
{
    cr_assert_eq(problem_in_edited_topic(7, "tags: \"lock\"", 7, 7, "tags"),
                 WENDA_ERR_PARSE);
}

Test(content, reports_a_nested_list_in_tags_at_the_tags_line)
{
    static const char edit[] = "tags: [\"lock\", [\"x\"]]";

    cr_assert_eq(problem_in_edited_topic(7, edit, 7, 7, "tags"),
                 WENDA_ERR_PARSE);
}

Test(content, reports_a_title_given_as_a_list_at_its_line)
{
    cr_assert_eq(problem_in_edited_topic(2, "title: [\"死锁\"]", 2, 2, "title"),
                 WENDA_ERR_PARSE);
}

Test(content, reports_an_order_that_is_not_a_number_at_its_line)
{
    cr_assert_eq(problem_in_edited_topic(6, "order: abc", 6, 6, "order"),
                 WENDA_ERR_PARSE);
}

Test(content, reports_a_negative_order_at_its_line)
{
    cr_assert_eq(problem_in_edited_topic(6, "order: -3", 6, 6, "order"),
                 WENDA_ERR_PARSE);
}

Test(content, reports_a_slug_that_breaks_the_pattern_at_its_line)
{
    static const char *const bad[] = {
        "slug: \"Dead_Lock\"", "slug: \"dead--lock\"", "slug: \"-deadlock\"",
        "slug: \"dead lock\"", "slug: \"\"",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(problem_in_edited_topic(4, bad[i], 4, 4, "slug"),
                     WENDA_ERR_PARSE, "for %s", bad[i]);
}

Test(content, reports_a_tag_that_is_not_a_slug_at_the_tags_line)
{
    cr_assert_eq(problem_in_edited_topic(7, "tags: [\"Lock\"]", 7, 7, "tags"),
                 WENDA_ERR_PARSE);
}

Test(content, reports_an_invalid_utf8_byte_at_its_line)
{
    static const char edit[] = "第一行\n第二行 \xff 坏字节\n第三行";

    cr_assert_eq(problem_in_edited_topic(10, edit, 11, 11, NULL),
                 WENDA_ERR_UTF8);
}

Test(content, reports_an_invalid_utf8_byte_in_the_front_matter_at_its_line)
{
    static const char edit[] = "title_en: \"Dead\xc0\xafl\"";

    cr_assert_eq(problem_in_edited_topic(3, edit, 3, 3, NULL), WENDA_ERR_UTF8);
}

Test(content, reports_a_nul_byte_at_its_line)
{
    char text[4096];
    size_t len = topic_text(text, sizeof(text), 10, "第一行\n第二行\nab@cd");
    char *at = strchr(text, '@');
    enum wenda_err rc;

    cr_assert_not_null(at);
    *at = '\0';
    rc = expect_problem(text, len, 12, 12, NULL);
    cr_assert(rc == WENDA_ERR_UTF8 || rc == WENDA_ERR_PARSE,
              "NUL byte gave %s", wenda_err_name(rc));
}

Test(content, reports_a_unicode_noncharacter_at_its_line)
{
    /* U+FDD0 then a slug is how the index marks a topic's category. */
    cr_assert_eq(problem_in_edited_topic(2, "title: \"\xef\xb7\x90tools\"", 2,
                                         2, "U+FDD0"),
                 WENDA_ERR_PARSE);
    cr_assert_eq(problem_in_edited_topic(8, "aliases: [\"\xef\xb7\x91\"]", 8,
                                         8, "noncharacter"),
                 WENDA_ERR_PARSE);
    cr_assert_eq(problem_in_edited_topic(10, "两个线程\xf4\x8f\xbf\xbe", 1,
                                         11, "answer"),
                 WENDA_ERR_PARSE);
}

Test(content, reports_a_file_without_an_opening_line)
{
    cr_assert_eq(problem_in_edited_topic(1, NULL, 1, 1, NULL), WENDA_ERR_PARSE);
}

Test(content, reports_a_front_matter_that_is_never_closed)
{
    /* Either where it opens (1) or where the file ends (9). */
    cr_assert_eq(problem_in_edited_topic(9, NULL, 1, 9, NULL), WENDA_ERR_PARSE);
}

Test(content, reports_an_empty_answer)
{
    cr_assert_eq(problem_in_edited_topic(10, NULL, 1, 10, "answer"),
                 WENDA_ERR_PARSE);
}

Test(content, reports_more_than_ten_tags_at_the_tags_line)
{
    static const char edit[] =
        "tags: [\"a1\", \"a2\", \"a3\", \"a4\", \"a5\", \"a6\", \"a7\", "
        "\"a8\", \"a9\", \"a10\", \"a11\"]";

    cr_assert_eq(problem_in_edited_topic(7, edit, 7, 7, "tags"),
                 WENDA_ERR_PARSE);
}

Test(content, accepts_exactly_ten_tags)
{
    char text[4096];
    size_t len = topic_text(
        text, sizeof(text), 7,
        "tags: [\"a1\", \"a2\", \"a3\", \"a4\", \"a5\", \"a6\", \"a7\", "
        "\"a8\", \"a9\", \"a10\"]");
    struct wenda_topic t;

    cr_assert_eq(wenda_content_parse_topic("t.md", text, len, &t, NULL, NULL),
                 WENDA_OK);
    cr_assert_eq(t.tags.n, 10);
    wenda_topic_cleanup(&t);
}

Test(content, reports_every_front_matter_problem_in_one_pass)
{
    char text[4096], why[8192];
    size_t len = topic_text(text, sizeof(text), 5,
                            "category: \"concurrency\"\nauthor: \"x\"\n"
                            "slug: \"again\"");
    struct diags d = {0};
    struct wenda_topic t;
    static const char *const w1[] = {"author", NULL};
    static const char *const w2[] = {"slug", NULL};

    cr_assert_neq(wenda_content_parse_topic("t.md", text, len, &t, collect,
                                            &d),
                  WENDA_OK);
    cr_assert_eq(d.total, 2, "expected the unknown field and the repeated "
                 "slug:%s", describe(&d, why, sizeof(why)));
    cr_assert(some_diag_mentions(&d, w1));
    cr_assert(some_diag_mentions(&d, w2));
}

/* ---- formatting ------------------------------------------------------- */

Test(content, formats_every_shipped_topic_to_its_file_bytes)
{
    struct testutil_file_list fl = {0};
    size_t i, ntopics = 0;

    testutil_list_files(CONTENT_DIR, &fl);
    for (i = 0; i < fl.n; i++) {
        char path[PATH_CAP], why[8192];
        struct diags d = {0};
        struct wenda_topic t;
        size_t len, outlen;
        char *data, *out;
        enum wenda_err rc;

        if (strlen(fl.v[i]) < 3 ||
            strcmp(fl.v[i] + strlen(fl.v[i]) - 3, ".md") != 0)
            continue;
        ntopics++;
        testutil_join(path, sizeof(path), CONTENT_DIR, fl.v[i]);
        data = testutil_slurp(path, &len);
        cr_assert_not_null(data, "cannot read %s (run from the repository "
                           "root)", path);
        rc = wenda_content_parse_topic(path, data, len, &t, collect, &d);
        cr_assert_eq(rc, WENDA_OK, "%s does not parse:%s", path,
                     describe(&d, why, sizeof(why)));
        cr_assert_eq(wenda_content_format_topic(&t, &out, &outlen), WENDA_OK);
        cr_assert_eq(strlen(out), outlen, "outlen is not the text length");
        cr_assert(outlen == len && memcmp(out, data, len) == 0,
                  "%s is not written back byte for byte:\n--- file\n%s\n"
                  "--- formatted\n%s", path, data, out);
        free(out);
        free(data);
        wenda_topic_cleanup(&t);
    }
    testutil_file_list_cleanup(&fl);
    cr_assert_eq(ntopics, 64, "content/ holds %zu topic files", ntopics);
}

Test(content, formats_tricky_strings_so_that_they_parse_back_unchanged)
{
    char title[] = "a \"b\" \\ c: [x] #hash - dash 🦀";
    char title_en[] = "key: value";
    char slug[] = "tricky-1";
    char category[] = "python";
    char tag1[] = "x", tag2[] = "y-2";
    char a1[] = "a \"b\" \\ c", a2[] = "😀 emoji", a3[] = "key: value",
         a4[] = "- dash", a5[] = "#hash", a6[] = "[x]", a7[] = "{y}",
         a8[] = "'single'", a9[] = "null", a10[] = "true", a11[] = "123",
         a12[] = "~", a13[] = " leading and trailing ", a14[] = "&anchor",
         a15[] = "*alias", a16[] = "!tag", a17[] = "%percent", a18[] = "@at",
         a19[] = "`tick`", a20[] = "中文, 逗号";
    char *tags[] = {tag1, tag2};
    char *aliases[] = {a1,  a2,  a3,  a4,  a5,  a6,  a7,  a8,  a9,  a10, a11,
                       a12, a13, a14, a15, a16, a17, a18, a19, a20};
    char answer[] = "---\nkey: value\n\"quoted\" \\ back\n\ttab 🦀\n";
    struct wenda_topic t = {0}, back;
    struct diags d = {0};
    char *out, *out2, why[8192];
    size_t outlen, outlen2;
    enum wenda_err rc;

    t.title = title;
    t.title_en = title_en;
    t.slug = slug;
    t.category = category;
    t.order = 7;
    t.tags.v = tags;
    t.tags.n = 2;
    t.aliases.v = aliases;
    t.aliases.n = sizeof(aliases) / sizeof(aliases[0]);
    t.answer = answer;
    cr_assert_eq(wenda_content_format_topic(&t, &out, &outlen), WENDA_OK);
    rc = wenda_content_parse_topic("t.md", out, outlen, &back, collect, &d);
    cr_assert_eq(rc, WENDA_OK, "formatted topic does not parse:%s\n%s",
                 describe(&d, why, sizeof(why)), out);
    testutil_assert_topic_eq(&t, &back, 1);
    cr_assert_eq(wenda_content_format_topic(&back, &out2, &outlen2),
                 WENDA_OK);
    cr_assert(outlen == outlen2 && memcmp(out, out2, outlen) == 0,
              "formatting is not stable:\n%s\n---\n%s", out, out2);
    free(out);
    free(out2);
    wenda_topic_cleanup(&back);
}

/* ---- loading and writing directories --------------------------------- */

static char load_tmp[PATH_CAP];   /* private temporary directory */
static char load_copy[PATH_CAP];  /* load_tmp/content: a copy of content/ */

static void
load_setup(void)
{
    testutil_make_temp_dir(load_tmp, sizeof(load_tmp), "content");
    testutil_join(load_copy, sizeof(load_copy), load_tmp, "content");
    testutil_copy_tree(CONTENT_DIR, load_copy);
}

static void
load_teardown(void)
{
    testutil_remove_tree(load_tmp);
}

/* Builds load_copy/rel into out. */
static void
in_copy(char *out, size_t cap, const char *rel)
{
    testutil_join(out, cap, load_copy, rel);
}

/* Loads load_copy, expecting failure; returns the diagnostics. */
static void
load_expect_failure(struct diags *d)
{
    struct wenda_content c;
    enum wenda_err rc;

    memset(&c, 0x5a, sizeof(c));
    rc = wenda_content_load(load_copy, &c, collect, d);
    cr_assert_neq(rc, WENDA_OK, "a broken directory loaded");
    cr_assert_null(c.topics, "a failed load left topics set");
    cr_assert_null(c.cats, "a failed load left categories set");
    cr_assert_eq(c.ntopics, 0);
    cr_assert_eq(c.ncats, 0);
    cr_assert_gt(d->total, 0, "load failed without a diagnostic");
}

TestSuite(content_dir, .init = load_setup, .fini = load_teardown);

Test(content_dir, loads_the_shipped_content_sorted_by_order_then_slug)
{
    struct wenda_content c;
    struct diags d = {0};
    char why[8192];
    size_t i;

    cr_assert_eq(wenda_content_load(load_copy, &c, collect, &d), WENDA_OK,
                 "content/ does not load:%s", describe(&d, why, sizeof(why)));
    cr_assert_eq(d.total, 0, "%s", describe(&d, why, sizeof(why)));
    cr_assert_eq(c.ntopics, 64);
    cr_assert_eq(c.ncats, 7);
    cr_assert_str_eq(c.cats[0].slug, "web-frameworks",
                     "categories are not in the order of categories.yml");
    cr_assert_str_eq(c.cats[6].slug, "tools");
    cr_assert_str_eq(c.cats[0].name, "Web 框架");
    cr_assert_str_eq(c.cats[0].name_en, "Web frameworks");
    for (i = 1; i < c.ntopics; i++) {
        const struct wenda_topic *p = &c.topics[i - 1], *t = &c.topics[i];

        cr_assert(p->order < t->order ||
                      (p->order == t->order && strcmp(p->slug, t->slug) < 0),
                  "%s (%lld) comes before %s (%lld)", p->slug,
                  (long long)p->order, t->slug, (long long)t->order);
    }
    wenda_content_cleanup(&c);
    cr_assert_null(c.topics, "cleanup does not zero the content");
}

Test(content_dir, names_both_files_of_a_duplicate_slug)
{
    char src[PATH_CAP], dst[PATH_CAP], why[8192];
    static const char *const both[] = {"http/deadlock.md",
                                       "concurrency/deadlock", NULL};
    static const char *const both_rev[] = {"concurrency/deadlock.md",
                                           "http/deadlock", NULL};
    struct diags d = {0};

    in_copy(src, sizeof(src), "concurrency/deadlock.md");
    in_copy(dst, sizeof(dst), "http/deadlock.md");
    testutil_copy_file(src, dst);
    testutil_edit_file(dst, "category: \"concurrency\"", "category: \"http\"");
    load_expect_failure(&d);
    cr_assert(some_diag_mentions(&d, both) ||
                  some_diag_mentions(&d, both_rev),
              "no diagnostic names both files:%s",
              describe(&d, why, sizeof(why)));
}

Test(content_dir, reports_a_file_in_a_directory_not_listed_as_a_category)
{
    char dir[PATH_CAP], src[PATH_CAP], dst[PATH_CAP], why[8192];
    static const char *const words[] = {"extra/newtopic.md", NULL};
    struct diags d = {0};

    in_copy(dir, sizeof(dir), "extra");
    cr_assert_eq(mkdir(dir, 0755), 0);
    in_copy(src, sizeof(src), "concurrency/deadlock.md");
    in_copy(dst, sizeof(dst), "extra/newtopic.md");
    testutil_copy_file(src, dst);
    testutil_edit_file(dst, "slug: \"deadlock\"", "slug: \"newtopic\"");
    testutil_edit_file(dst, "category: \"concurrency\"", "category: \"extra\"");
    load_expect_failure(&d);
    cr_assert(some_diag_mentions(&d, words),
              "no diagnostic names extra/newtopic.md:%s",
              describe(&d, why, sizeof(why)));
}

/*
 * Renames load_copy/from_rel to load_copy/to_rel and loads the copy,
 * expecting it to fail with exactly one problem that mentions every one of
 * the NULL-terminated words; what names those words in failure messages.
 */
static void
expect_one_problem_after_rename(const char *from_rel, const char *to_rel,
                                const char *const *words, const char *what)
{
    char from[PATH_CAP], to[PATH_CAP], why[8192];
    struct diags d = {0};

    in_copy(from, sizeof(from), from_rel);
    in_copy(to, sizeof(to), to_rel);
    cr_assert_eq(rename(from, to), 0);
    load_expect_failure(&d);
    cr_assert(some_diag_mentions(&d, words), "no diagnostic names %s:%s",
              what, describe(&d, why, sizeof(why)));
    cr_assert_eq(d.total, 1, "%s", describe(&d, why, sizeof(why)));
}

Test(content_dir, reports_a_file_whose_name_is_not_its_slug)
{
    static const char *const words[] = {"concurrency/dead-lock.md",
                                        "deadlock", NULL};

    expect_one_problem_after_rename("concurrency/deadlock.md",
                                    "concurrency/dead-lock.md", words,
                                    "dead-lock.md and its slug");
}

Test(content_dir, reports_a_category_that_is_not_its_directory)
{
    static const char *const words[] = {"http/deadlock.md", "concurrency",
                                        NULL};

    expect_one_problem_after_rename("concurrency/deadlock.md",
                                    "http/deadlock.md", words,
                                    "http/deadlock.md and its category");
}

Test(content_dir, reports_a_category_missing_from_categories_yml)
{
    char path[PATH_CAP], why[8192];
    static const char *const words[] = {"tools/", NULL};
    struct diags d = {0};

    in_copy(path, sizeof(path), "categories.yml");
    testutil_edit_file(path,
              "- slug: \"tools\"\n  name: \"工具与协作\"\n"
              "  name_en: \"Tools and teamwork\"\n",
              "");
    load_expect_failure(&d);
    cr_assert(some_diag_mentions(&d, words), "%s",
              describe(&d, why, sizeof(why)));
}

Test(content_dir, reports_every_problem_across_files_in_one_run)
{
    static const char *const files[] = {
        "concurrency/deadlock.md", "http/http-vs-https.md",
        "networking/arp.md", "python/pep8.md",
    };
    char path[PATH_CAP], why[8192];
    struct diags d = {0};
    size_t i, k;

    in_copy(path, sizeof(path), files[0]);
    /* unknown field + no tags */
    testutil_edit_file(path, "tags: [", "tagz: [");
    in_copy(path, sizeof(path), files[1]);
    /* bad YAML */
    testutil_edit_file(path, "order: ", "order: [");
    in_copy(path, sizeof(path), files[2]);
    /* bad UTF-8, line 1 */
    testutil_edit_file(path, "---\n", "---\n\xff");
    in_copy(path, sizeof(path), files[3]);
    /* bad slug */
    testutil_edit_file(path, "slug: \"pep8\"", "slug: \"PEP8\"");
    load_expect_failure(&d);
    for (k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
        int found = 0;

        for (i = 0; i < d.n; i++)
            if (strstr(d.v[i].file, files[k]) != NULL)
                found = 1;
        cr_assert(found, "%s is not reported:%s", files[k],
                  describe(&d, why, sizeof(why)));
    }
    /* deadlock.md has two problems (tagz unknown, tags missing). */
    cr_assert_eq(d.total, 5, "expected 5 problems:%s",
                 describe(&d, why, sizeof(why)));
    for (i = 0; i < d.n; i++)
        cr_assert(d.v[i].line > 0, "%s has no line:%s", d.v[i].file,
                  describe(&d, why, sizeof(why)));
}

Test(content_dir, writes_what_it_loaded_and_reads_it_back_identically)
{
    struct wenda_content c, back;
    char out[PATH_CAP];

    testutil_join(out, sizeof(out), load_tmp, "out");
    cr_assert_eq(wenda_content_load(load_copy, &c, NULL, NULL), WENDA_OK);
    cr_assert_eq(wenda_content_write(out, &c), WENDA_OK,
                 "write did not create the directory");
    cr_assert_eq(wenda_content_load(out, &back, NULL, NULL), WENDA_OK);
    assert_content_eq(&c, &back);
    wenda_content_cleanup(&c);
    wenda_content_cleanup(&back);
}

Test(content_dir, writes_the_same_bytes_twice_and_the_same_as_content)
{
    struct wenda_content c, back;
    char out1[PATH_CAP], out2[PATH_CAP];

    testutil_join(out1, sizeof(out1), load_tmp, "out1");
    testutil_join(out2, sizeof(out2), load_tmp, "out2");
    cr_assert_eq(wenda_content_load(load_copy, &c, NULL, NULL), WENDA_OK);
    cr_assert_eq(wenda_content_write(out1, &c), WENDA_OK);
    cr_assert_eq(wenda_content_load(out1, &back, NULL, NULL), WENDA_OK);
    cr_assert_eq(wenda_content_write(out2, &back), WENDA_OK);
    testutil_assert_same_tree(out1, out2);
    testutil_assert_same_tree(CONTENT_DIR, out1);
    /* Writing over an existing copy leaves it as it was. */
    cr_assert_eq(wenda_content_write(out1, &c), WENDA_OK);
    testutil_assert_same_tree(out1, out2);
    wenda_content_cleanup(&c);
    wenda_content_cleanup(&back);
}

/* ---- UTF-8 ------------------------------------------------------------ */

/* Asserts wenda_utf8_valid(s, n) is 0 with the first bad byte at bad_at. */
static void
expect_invalid(const char *what, const char *s, size_t n, size_t bad_at)
{
    size_t bad = (size_t)-1;

    cr_assert_eq(wenda_utf8_valid(s, n, &bad), 0, "%s is accepted", what);
    cr_assert_eq(bad, bad_at, "%s: first bad byte reported at %zu, not %zu",
                 what, bad, bad_at);
    cr_assert_eq(wenda_utf8_valid(s, n, NULL), 0, "%s with bad == NULL",
                 what);
}

Test(utf8, accepts_ascii_chinese_and_emoji)
{
    static const char *const ok[] = {
        "", "plain ascii\n\ttab", "死锁是指两个或两个以上的进程", "🦀😀 emoji",
        "mixed 中文 and 😀 and ü", "\xc2\x80", /* U+0080 */
        "\xdf\xbf",                             /* U+07FF */
        "\xe0\xa0\x80",                         /* U+0800 */
        "\xed\x9f\xbf",                         /* U+D7FF */
        "\xee\x80\x80",                         /* U+E000 */
        "\xef\xbf\xbf",                         /* U+FFFF */
        "\xf0\x90\x80\x80",                     /* U+10000 */
        "\xf4\x8f\xbf\xbf",                     /* U+10FFFF */
    };
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        cr_assert_eq(wenda_utf8_valid(ok[i], strlen(ok[i]), NULL), 1,
                     "case %zu ('%s') is refused", i, ok[i]);
}

Test(utf8, rejects_overlong_encodings)
{
    expect_invalid("overlong '/' (2 bytes)", "ab\xc0\xaf", 4, 2);
    expect_invalid("overlong NUL (2 bytes)", "\xc0\x80", 2, 0);
    expect_invalid("overlong U+007F (2 bytes)", "\xc1\xbf", 2, 0);
    expect_invalid("overlong '/' (3 bytes)", "x\xe0\x80\xaf", 4, 1);
    expect_invalid("overlong U+07FF (3 bytes)", "\xe0\x9f\xbf", 3, 0);
    expect_invalid("overlong '/' (4 bytes)", "\xf0\x80\x80\xaf", 4, 0);
    expect_invalid("overlong U+FFFF (4 bytes)", "\xf0\x8f\xbf\xbf", 4, 0);
}

Test(utf8, rejects_surrogates)
{
    expect_invalid("U+D800", "ok\xed\xa0\x80", 5, 2);
    expect_invalid("U+DFFF", "\xed\xbf\xbf", 3, 0);
    expect_invalid("surrogate pair in CESU form",
                   "\xed\xa0\xbd\xed\xb8\x80", 6, 0);
}

Test(utf8, rejects_code_points_past_u10ffff)
{
    expect_invalid("U+110000", "\xf4\x90\x80\x80", 4, 0);
    expect_invalid("F5 lead byte", "a\xf5\x80\x80\x80", 5, 1);
    expect_invalid("FF byte", "\xff", 1, 0);
    expect_invalid("FE byte", "ab\xfe", 3, 2);
}

Test(utf8, rejects_truncated_and_broken_sequences)
{
    expect_invalid("2-byte lead at the end", "ab\xc3", 3, 2);
    expect_invalid("3-byte sequence cut after 2", "ab\xe6\xad", 4, 2);
    expect_invalid("4-byte sequence cut after 3", "\xf0\x9f\x98", 3, 0);
    expect_invalid("lead byte followed by ASCII", "\xe6\xad" "a", 3, 0);
    expect_invalid("lone continuation byte", "abc\x80", 4, 3);
    /* The length given is what counts, not a NUL terminator. */
    expect_invalid("sequence cut by the length", "\xe6\xad\xbb", 2, 0);
}

Test(utf8, rejects_nul_bytes)
{
    expect_invalid("NUL alone", "\0", 1, 0);
    expect_invalid("NUL inside", "中\0文", 7, 3);
}

Test(utf8, finds_the_first_noncharacter)
{
    static const struct {
        const char *s;
        unsigned long want;
    } cases[] = {
        {"", 0},
        {"deadlock 死锁 😀", 0},
        {"\xef\xb7\x8f", 0},                  /* U+FDCF */
        {"\xef\xb7\xb0", 0},                  /* U+FDF0 */
        {"\xef\xbf\xbd", 0},                  /* U+FFFD */
        {"a\xef\xb7\x90" "concurrency", 0xFDD0},
        {"\xef\xb7\xaf \xef\xb7\x90", 0xFDEF}, /* the first one */
        {"\xef\xbf\xbe", 0xFFFE},
        {"锁\xef\xbf\xbf", 0xFFFF},
        {"\xf0\x9f\xbf\xbe", 0x1FFFE},
        {"\xf4\x8f\xbf\xbf", 0x10FFFF},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_expect_eq(wenda_utf8_noncharacter(cases[i].s, strlen(cases[i].s)),
                     cases[i].want, "case %zu: U+%04lX", i,
                     wenda_utf8_noncharacter(cases[i].s, strlen(cases[i].s)));
}

/* ---- slugs ------------------------------------------------------------ */

Test(slug, accepts_lower_case_words_joined_by_single_hyphens)
{
    static const char *const ok[] = {
        "a", "0", "deadlock", "tcp-vs-udp", "osi7", "python2-vs-python3",
        "a-b-c-d", "1-2",
    };
    char longest[WENDA_CONTENT_MAX_SLUG + 1];
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        cr_assert_eq(wenda_slug_valid(ok[i], WENDA_CONTENT_MAX_SLUG), 1,
                     "'%s' is refused", ok[i]);
    memset(longest, 'a', WENDA_CONTENT_MAX_SLUG);
    longest[WENDA_CONTENT_MAX_SLUG] = '\0';
    cr_assert_eq(wenda_slug_valid(longest, WENDA_CONTENT_MAX_SLUG), 1,
                 "a slug of exactly the maximum length is refused");
}

Test(slug, rejects_anything_else)
{
    static const char *const bad[] = {
        "",  "-a", "a-", "a--b", "A", "Deadlock", "a_b", "a b", "a.b", "a/b",
        "ä", "死锁", "-", "a\n", " a",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(wenda_slug_valid(bad[i], WENDA_CONTENT_MAX_SLUG), 0,
                     "'%s' is accepted", bad[i]);
}

Test(slug, respects_the_maximum_length_given)
{
    char s[WENDA_CONTENT_MAX_SLUG + 2];

    memset(s, 'a', WENDA_CONTENT_MAX_SLUG + 1);
    s[WENDA_CONTENT_MAX_SLUG + 1] = '\0';
    cr_assert_eq(wenda_slug_valid(s, WENDA_CONTENT_MAX_SLUG), 0,
                 "a slug one byte too long is accepted");
    s[WENDA_CONTENT_MAX_TAG + 1] = '\0';
    cr_assert_eq(wenda_slug_valid(s, WENDA_CONTENT_MAX_TAG), 0,
                 "a tag one byte too long is accepted");
    s[WENDA_CONTENT_MAX_TAG] = '\0';
    cr_assert_eq(wenda_slug_valid(s, WENDA_CONTENT_MAX_TAG), 1);
}

Test(etag, is_a_quoted_hash_that_follows_every_byte)
{
    static const char body[] = "{\"slug\":\"gil\",\"title\":\"GIL\"}";
    char a[WENDA_ETAG_SIZE], b[WENDA_ETAG_SIZE], c[WENDA_ETAG_SIZE];
    char copy[sizeof(body)];
    size_t i;

    wenda_etag(body, sizeof(body) - 1, a);
    cr_assert_eq(strlen(a), WENDA_ETAG_SIZE - 1);
    cr_assert_eq(a[0], '"');
    cr_assert_eq(a[WENDA_ETAG_SIZE - 2], '"');
    for (i = 1; i < WENDA_ETAG_SIZE - 2; i++)
        cr_assert(strchr("0123456789abcdef", a[i]) != NULL, "%s", a);
    memcpy(copy, body, sizeof(body));
    wenda_etag(copy, sizeof(copy) - 1, b);
    cr_assert_str_eq(a, b, "the same bytes, another tag");
    for (i = 0; i < sizeof(copy) - 1; i++) {
        copy[i] ^= 1;
        wenda_etag(copy, sizeof(copy) - 1, c);
        cr_assert_str_neq(a, c, "byte %zu changed, same tag", i);
        copy[i] ^= 1;
    }
    wenda_etag(body, sizeof(body) - 2, c);
    cr_assert_str_neq(a, c, "one byte shorter, same tag");
}

/* ---- every problem of a topic, by JSON pointer ------------------------ */

/* Returns 1 when p holds a problem at pointer whose detail has want. */
static int
has_problem(const struct wenda_problems *p, const char *pointer,
            const char *want)
{
    size_t i;

    for (i = 0; i < p->n; i++)
        if (strcmp(p->v[i].pointer, pointer) == 0 &&
            strstr(p->v[i].detail, want) != NULL)
            return 1;
    return 0;
}

/* Prints the problems of p into out, for an assertion's message. */
static const char *
problems_text(const struct wenda_problems *p, char *out, size_t cap)
{
    size_t i, used = 0;

    out[0] = '\0';
    for (i = 0; i < p->n && used < cap; i++)
        used += (size_t)snprintf(out + used, cap - used, "[%s] %s; ",
                                 p->v[i].pointer, p->v[i].detail);
    return out;
}

Test(content, checks_a_topic_for_every_problem_at_once)
{
    char a0[] = "ok", a1[] = "fine", a2[] = "bad\x01", a3[] = "ok";
    char slug[] = "Not A Slug", title[] = "标题", cat[] = "concurrency";
    char answer[] = "answer";
    char *aliases[] = {a0, a1, a2, a3};
    struct wenda_topic t = {0};
    struct wenda_problems p = {0};
    char text[2048];

    t.slug = slug;
    t.title = title;
    t.category = cat;
    t.answer = answer;
    t.aliases.v = aliases;
    t.aliases.n = 4;
    cr_assert_eq(wenda_topic_check(&t, &p), WENDA_ERR_INVALID);
    cr_assert_eq(p.n, 4, "%s", problems_text(&p, text, sizeof(text)));
    cr_assert(has_problem(&p, "/slug", "slug must be lower-case"));
    cr_assert(has_problem(&p, "/tags", "tags must have 1 to 10 entries"));
    cr_assert(has_problem(&p, "/aliases/2", "control character"));
    cr_assert(has_problem(&p, "/aliases/3", "lists \"ok\" twice"));
    wenda_problems_cleanup(&p);
}

Test(content, reads_a_topic_from_json_naming_every_problem_by_pointer)
{
    static const char body[] =
        "{\"slug\":\"Bad Slug\",\"title\":\"t\",\"category\":7,"
        "\"answer\":\"a\",\"aliases\":[\"x\",3,\"y\"],\"a/b~c\":1,"
        "\"corrections\":[{\"says\":1,\"right\":\"r\",\"why\":\"w\","
        "\"source\":\"s\"}]}";
    struct wenda_problems p = {0};
    struct wenda_topic t;
    char text[2048];
    json_t *o = json_loads(body, 0, NULL);

    cr_assert_not_null(o);
    cr_assert_eq(wenda_topic_read_json(o, &t, &p), WENDA_ERR_INVALID);
    cr_assert_null(t.slug, "a topic with problems is left zeroed");
    problems_text(&p, text, sizeof(text));
    cr_assert(has_problem(&p, "/a~1b~0c", "unknown field 'a/b~c'"), "%s",
              text);
    cr_assert(has_problem(&p, "/category", "category must be a string"),
              "%s", text);
    cr_assert(has_problem(&p, "/aliases/1", "aliases[1] must be a string"),
              "%s", text);
    cr_assert(has_problem(&p, "/corrections/0/says", "must be a string"),
              "%s", text);
    cr_assert(has_problem(&p, "/tags", "tags is required"), "%s", text);
    cr_assert(has_problem(&p, "/slug", "slug must be lower-case"), "%s",
              text);
    /* A field of the wrong type is named once, not again as missing. */
    cr_assert_eq(p.n, 6, "%s", text);
    wenda_problems_cleanup(&p);
    json_decref(o);
}

Test(content, keeps_the_first_problem_for_a_single_message)
{
    struct wenda_topic t;
    char msg[256];
    json_t *o = json_loads("{\"title\":\"t\",\"category\":\"c\","
                           "\"answer\":\"a\",\"tags\":[\"x\"]}", 0, NULL);

    cr_assert_eq(wenda_topic_from_json(o, &t, msg, sizeof(msg)),
                 WENDA_ERR_INVALID);
    cr_assert_str_eq(msg, "slug is required");
    json_decref(o);
}

Test(content, reports_every_bad_tag_of_a_file_at_the_tags_line)
{
    char text[4096], why[8192];
    size_t len = topic_text(text, sizeof(text), 7,
                            "tags: [\"Lock\", \"thread\", \"Two Words\"]");
    struct diags d = {0};
    struct wenda_topic t;
    size_t i;

    cr_assert_eq(wenda_content_parse_topic("t.md", text, len, &t, collect,
                                           &d),
                 WENDA_ERR_PARSE);
    cr_assert_eq(d.total, 2, "one problem for each bad tag:%s",
                 describe(&d, why, sizeof(why)));
    for (i = 0; i < d.n; i++)
        cr_assert_eq(d.v[i].line, 7, "%s", describe(&d, why, sizeof(why)));
    cr_assert(strstr(d.v[0].msg, "tags[0]") != NULL);
    cr_assert(strstr(d.v[1].msg, "tags[2]") != NULL);
}
