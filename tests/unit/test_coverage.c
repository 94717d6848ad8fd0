/*
 * test_coverage.c -- the content says everything the source notes say.
 *
 * content/ was made from tests/data/interview-notes.zh.md.  The rule that
 * keeps it honest: every non-blank line of the notes, with all whitespace
 * removed (ASCII whitespace and the ideographic space U+3000), appears as
 * a substring of all topics' titles and answers run together, with the
 * same whitespace removed and without the Markdown that content adds
 * ("#" heading markers and ``` fence lines; the notes' own few fence lines
 * are read the same way).  Spacing and Markdown may change; wording may
 * not.  The failure message lists every missing line,
 * so that one run shows all of them.
 *
 * Also pinned here: the shape of the set (64 topics, orders 1..64, 2 to 6
 * tags each) and that every title is a heading line of the notes.  Tests
 * run from the repository root.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "wenda/content.h"

#include "testutil.h"

#define CONTENT_DIR "content"
#define NOTES_PATH "tests/data/interview-notes.zh.md"

static struct wenda_content content;
static char *notes;       /* the notes file, NUL-terminated */
static size_t notes_len;

/* A growable NUL-terminated string. */
struct text {
    char *p;
    size_t n, cap;
};

static void
text_add(struct text *t, const char *s, size_t n)
{
    if (t->n + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        char *p;

        while (t->n + n + 1 > cap)
            cap *= 2;
        p = realloc(t->p, cap);
        cr_assert_not_null(p);
        t->p = p;
        t->cap = cap;
    }
    memcpy(t->p + t->n, s, n);
    t->n += n;
    t->p[t->n] = '\0';
}

static void
text_cleanup(struct text *t)
{
    free(t->p);
    memset(t, 0, sizeof(*t));
}

/* Appends s[0..n) to t without ASCII whitespace and U+3000. */
static void
add_squeezed(struct text *t, const char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned char c = (unsigned char)s[i];

        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
            c == '\f') {
            i++;
        } else if (n - i >= 3 && memcmp(s + i, "\xe3\x80\x80", 3) == 0) {
            i += 3;
        } else {
            text_add(t, s + i, 1);
            i++;
        }
    }
}

/* Returns s[0..n) without leading and trailing ASCII whitespace and
 * U+3000, as a pointer into s and a length. */
static const char *
trim(const char *s, size_t *n)
{
    for (;;) {
        if (*n > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r')) {
            s++;
            (*n)--;
        } else if (*n >= 3 && memcmp(s, "\xe3\x80\x80", 3) == 0) {
            s += 3;
            *n -= 3;
        } else if (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t' ||
                              s[*n - 1] == '\r')) {
            (*n)--;
        } else if (*n >= 3 && memcmp(s + *n - 3, "\xe3\x80\x80", 3) == 0) {
            *n -= 3;
        } else {
            return s;
        }
    }
}

/*
 * Appends one Markdown line to t the way the rule reads it: a fence line
 * ("```" with or without an info string) adds nothing, the "#" markers and
 * the space after them are cut from a heading line, and whitespace is
 * removed.  The notes hold a few fences of their own; their lines read the
 * same way, so that both sides are compared without Markdown.
 */
static void
add_md_line(struct text *t, const char *line, size_t n)
{
    size_t tn = n, h = 0;
    const char *s = trim(line, &tn);

    if (tn >= 3 && memcmp(s, "```", 3) == 0)
        return;
    while (h < tn && h < 6 && s[h] == '#')
        h++;
    if (h > 0 && h < tn && s[h] == ' ') {
        s += h + 1;
        tn -= h + 1;
    }
    add_squeezed(t, s, tn);
}

/* Appends every line of a Markdown answer to t (see add_md_line()). */
static void
add_answer(struct text *t, const char *md)
{
    const char *line = md;

    while (*line != '\0') {
        const char *eol = strchr(line, '\n');
        size_t n = eol ? (size_t)(eol - line) : strlen(line);

        add_md_line(t, line, n);
        line += n + (eol != NULL);
    }
}

static void
setup(void)
{
    cr_assert_eq(wenda_content_load(CONTENT_DIR, &content, NULL, NULL),
                 WENDA_OK, "content/ does not load (run from the repository "
                 "root)");
    notes = testutil_slurp(NOTES_PATH, &notes_len);
    cr_assert_not_null(notes, "cannot read %s: %s (run from the repository "
                       "root)", NOTES_PATH, strerror(errno));
    cr_assert_eq(strlen(notes), notes_len, "the notes hold a NUL byte");
}

static void
teardown(void)
{
    wenda_content_cleanup(&content);
    free(notes);
    notes = NULL;
}

TestSuite(coverage, .init = setup, .fini = teardown);

Test(coverage, finds_every_line_of_the_notes_in_the_content)
{
    struct text all = {0}, missing = {0};
    const char *line = notes;
    unsigned long lineno = 0, checked = 0, nmissing = 0;
    size_t i;

    for (i = 0; i < content.ntopics; i++) {
        add_squeezed(&all, content.topics[i].title,
                     strlen(content.topics[i].title));
        add_answer(&all, content.topics[i].answer);
    }
    cr_assert_gt(all.n, 0);
    while (*line != '\0') {
        const char *eol = strchr(line, '\n');
        size_t n = eol ? (size_t)(eol - line) : strlen(line);
        struct text sq = {0};

        lineno++;
        add_md_line(&sq, line, n);
        if (sq.n > 0) {
            checked++;
            if (strstr(all.p, sq.p) == NULL) {
                char head[64];
                int w = snprintf(head, sizeof(head), "\n  %s:%lu: ",
                                 NOTES_PATH, lineno);

                nmissing++;
                text_add(&missing, head, (size_t)w);
                text_add(&missing, line, n);
            }
        }
        text_cleanup(&sq);
        line += n + (eol != NULL);
    }
    cr_assert_gt(checked, 100, "only %lu non-blank lines in the notes",
                 checked);
    cr_assert_eq(nmissing, 0, "%lu of %lu lines of the notes are not in "
                 "content/:%s", nmissing, checked,
                 missing.p ? missing.p : "");
    text_cleanup(&all);
    text_cleanup(&missing);
}

Test(coverage, holds_sixty_four_topics_ordered_one_to_sixty_four)
{
    int seen[65] = {0};
    size_t i;

    cr_assert_eq(content.ntopics, 64, "content/ holds %zu topics",
                 content.ntopics);
    for (i = 0; i < content.ntopics; i++) {
        int64_t o = content.topics[i].order;

        cr_assert(o >= 1 && o <= 64, "%s has order %lld",
                  content.topics[i].slug, (long long)o);
        cr_assert_eq(seen[o], 0, "order %lld is used twice (%s)",
                     (long long)o, content.topics[i].slug);
        seen[o] = 1;
        cr_assert_eq(o, (int64_t)i + 1, "topic %zu has order %lld", i + 1,
                     (long long)o);
    }
}

Test(coverage, gives_every_topic_two_to_six_tags)
{
    size_t i;

    for (i = 0; i < content.ntopics; i++) {
        const struct wenda_topic *t = &content.topics[i];

        cr_assert(t->tags.n >= 2 && t->tags.n <= 6, "%s has %zu tags",
                  t->slug, t->tags.n);
    }
}

Test(coverage, titles_every_topic_with_a_distinct_line_of_the_notes)
{
    size_t i, j;

    for (i = 0; i < content.ntopics; i++) {
        const char *title = content.topics[i].title;
        const char *line = notes;
        int found = 0;

        while (*line != '\0' && !found) {
            const char *eol = strchr(line, '\n');
            size_t n = eol ? (size_t)(eol - line) : strlen(line);
            size_t tn = n;
            const char *s = trim(line, &tn);

            if (tn == strlen(title) && memcmp(s, title, tn) == 0)
                found = 1;
            line += n + (eol != NULL);
        }
        cr_assert(found, "title of %s ('%s') is not a line of the notes",
                  content.topics[i].slug, title);
        for (j = 0; j < i; j++)
            cr_assert_str_neq(title, content.topics[j].title,
                              "%s and %s share a title",
                              content.topics[i].slug, content.topics[j].slug);
    }
}
