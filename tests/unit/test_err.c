/*
 * test_err.c -- the one error table: names, titles and HTTP statuses.
 *
 * The names end up in the "type" of every problem document the API sends,
 * so they must be distinct, non-empty and kebab-case; the statuses are what
 * a client sees, so each documented mapping is pinned here.  Values outside
 * the enum (a bad cast, memory corruption) must fall back to "internal"
 * rather than read past the table.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "wenda/content.h"
#include "wenda/err.h"

Test(err, gives_every_code_a_kebab_case_name)
{
    int i;

    for (i = 0; i < WENDA_ERR__COUNT; i++) {
        const char *name = wenda_err_name((enum wenda_err)i);

        cr_assert_not_null(name, "code %d has no name", i);
        cr_assert(name[0] != '\0', "code %d has an empty name", i);
        cr_assert(wenda_slug_valid(name, WENDA_CONTENT_MAX_SLUG),
                  "name of code %d is not kebab-case: '%s'", i, name);
    }
}

Test(err, gives_every_code_a_distinct_name)
{
    int i, j;

    for (i = 0; i < WENDA_ERR__COUNT; i++)
        for (j = 0; j < i; j++)
            cr_assert_str_neq(wenda_err_name((enum wenda_err)i),
                              wenda_err_name((enum wenda_err)j),
                              "codes %d and %d share the name '%s'", i, j,
                              wenda_err_name((enum wenda_err)i));
}

Test(err, gives_every_code_a_title)
{
    int i;

    for (i = 0; i < WENDA_ERR__COUNT; i++) {
        const char *title = wenda_err_title((enum wenda_err)i);

        cr_assert_not_null(title, "code %d has no title", i);
        cr_assert(title[0] != '\0', "code %d has an empty title", i);
    }
}

Test(err, names_the_codes_the_api_documents)
{
    cr_assert_str_eq(wenda_err_name(WENDA_ERR_NOT_FOUND), "not-found");
    cr_assert_str_eq(wenda_err_name(WENDA_ERR_INTERNAL), "internal");
    cr_assert_str_eq(wenda_err_title(WENDA_ERR_NOT_FOUND), "Not Found");
}

Test(err, maps_each_code_to_its_http_status)
{
    static const struct {
        enum wenda_err rc;
        unsigned int status;
    } cases[] = {
        {WENDA_OK, 200},
        {WENDA_ERR_NOT_FOUND, 404},
        {WENDA_ERR_INVALID, 400},
        {WENDA_ERR_UTF8, 400},
        {WENDA_ERR_METHOD, 405},
        {WENDA_ERR_CONFLICT, 409},
        {WENDA_ERR_TOO_LARGE, 413},
        {WENDA_ERR_UNAVAILABLE, 503},
        {WENDA_ERR_DB, 500},
        {WENDA_ERR_INTERNAL, 500},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert_eq(wenda_err_http_status(cases[i].rc), cases[i].status,
                     "%s maps to %u, not %u", wenda_err_name(cases[i].rc),
                     wenda_err_http_status(cases[i].rc), cases[i].status);
}

Test(err, answers_every_error_code_with_an_error_status)
{
    int i;

    for (i = 1; i < WENDA_ERR__COUNT; i++) {
        unsigned int s = wenda_err_http_status((enum wenda_err)i);

        /* But one: a write to a follower is redirected to the leader. */
        if (i == WENDA_ERR_NOT_LEADER) {
            cr_assert_eq(s, 307, "not-leader maps to %u, not 307", s);
            continue;
        }
        cr_assert(s >= 400 && s <= 599, "%s maps to %u, not an error status",
                  wenda_err_name((enum wenda_err)i), s);
    }
}

Test(err, treats_out_of_range_codes_as_internal)
{
    const enum wenda_err bad[] = {
        WENDA_ERR__COUNT,
        (enum wenda_err)(WENDA_ERR__COUNT + 1),
        (enum wenda_err)1000,
        (enum wenda_err)-1,
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_str_eq(wenda_err_name(bad[i]), "internal",
                         "value %d is not named internal", (int)bad[i]);
        cr_assert_str_eq(wenda_err_title(bad[i]),
                         wenda_err_title(WENDA_ERR_INTERNAL));
        cr_assert_eq(wenda_err_http_status(bad[i]),
                     wenda_err_http_status(WENDA_ERR_INTERNAL));
    }
}

Test(err, describes_every_code_and_finds_it_by_name)
{
    int rc;

    /* WENDA_OK is never a problem, but has a name all the same. */
    for (rc = 0; rc < WENDA_ERR__COUNT; rc++) {
        enum wenda_err back = WENDA_OK;

        cr_assert_gt(strlen(wenda_err_description((enum wenda_err)rc)),
                     rc == WENDA_OK ? 10 : 100,
                     "%s has no description", wenda_err_name(rc));
        cr_assert(wenda_err_from_name(wenda_err_name(rc), &back));
        cr_assert_eq((int)back, rc);
    }
    cr_assert_not(wenda_err_from_name("no-such-problem", NULL));
    cr_assert_not(wenda_err_from_name("", NULL));
    cr_assert_not(wenda_err_from_name(NULL, NULL));
}

Test(err, keeps_each_problem_with_its_pointer_in_order)
{
    struct wenda_problems p = {0};
    char msg[64];

    wenda_problems_first(&p, 1, msg, sizeof(msg));
    cr_assert_str_empty(msg);
    wenda_problems_add(&p, "/slug", "slug %s", "is bad");
    wenda_problems_add(&p, "/aliases/2", "aliases[%d] is long", 2);
    wenda_problems_add(&p, "", "the whole");
    cr_assert_eq(wenda_problems_count(&p), 3);
    cr_assert_str_eq(p.v[0].pointer, "/slug");
    cr_assert_str_eq(p.v[0].detail, "slug is bad");
    cr_assert_str_eq(p.v[1].pointer, "/aliases/2");
    cr_assert_str_eq(p.v[2].pointer, "");
    wenda_problems_first(&p, 1, msg, sizeof(msg));
    cr_assert_str_eq(msg, "/slug: slug is bad");
    wenda_problems_first(&p, 0, msg, sizeof(msg));
    cr_assert_str_eq(msg, "slug is bad");
    wenda_problems_cleanup(&p);
    cr_assert_eq(p.n, 0);
    cr_assert_null(p.v);
    wenda_problems_cleanup(NULL);
}

Test(err, counts_the_problems_past_the_list_and_cuts_broken_text)
{
    struct wenda_problems p = {0};
    int i;

    for (i = 0; i < WENDA_PROBLEMS_MAX + 7; i++)
        wenda_problems_add(&p, "/x", "problem %d", i);
    cr_assert_eq(p.n, WENDA_PROBLEMS_MAX);
    cr_assert_eq(p.more, 7);
    cr_assert_eq(wenda_problems_count(&p), WENDA_PROBLEMS_MAX + 7);
    wenda_problems_cleanup(&p);
    /* Half a character (the first byte of 死) ends the detail there. */
    wenda_problems_add(&p, "/k", "unknown field '%s'", "ab\xe6\xad");
    cr_assert_str_eq(p.v[0].detail, "unknown field 'ab");
    wenda_problems_cleanup(&p);
}
