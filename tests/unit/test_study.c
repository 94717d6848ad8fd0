/*
 * test_study.c -- SM-2 scheduling, due dates and the seeded quiz pick.
 *
 * The SM-2 numbers below were worked by hand from the published formulas
 * (the new interval with the factor from before the review, rounded half
 * up; then EF' = EF + 0.1 - (5-q)(0.08 + (5-q)0.02), at least 1.3), not
 * taken from the code.  Starting from {0, 0, 2.5}, grades 5, 5, 5, 5:
 *
 *   review  rule             interval          reps  EF after
 *   1       reps 0 -> 1      1                 1     2.5 + 0.1 = 2.6
 *   2       reps 1 -> 6      6                 2     2.6 + 0.1 = 2.7
 *   3       6 * 2.7 = 16.2   16 (half up)      3     2.7 + 0.1 = 2.8
 *   4       16 * 2.8 = 44.8  45 (half up)      4     2.8 + 0.1 = 2.9
 *
 * Then grade 2 (q' = 5-2 = 3): 0.1 - 3 * (0.08 + 0.06) = -0.32, so EF
 * 2.9 -> 2.58, reps 0, interval 1.  Grade 3 (q' = 2): 0.1 - 2 * (0.08 +
 * 0.04) = -0.14.  Grade 4 (q' = 1): 0.1 - 1 * (0.08 + 0.02) = 0.  Grade 0
 * (q' = 5): 0.1 - 5 * (0.08 + 0.10) = -0.8, so 2.5 -> 1.7 -> 1.3 (clamped).
 *
 * The pick has no hand-worked vector: its tests check the properties the
 * contract promises (reproducible, distinct, drawn from the input, sized
 * min(count, n), seed-dependent).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "wenda/study.h"

#define EPS 1e-9

static void
review_ok(struct wenda_sm2 *s, int grade)
{
    cr_assert_eq(wenda_sm2_review(s, grade), WENDA_OK, "grade %d", grade);
}

/* ---- SM-2 ------------------------------------------------------------- */

Test(study, sm2_init_is_a_new_item)
{
    struct wenda_sm2 s = wenda_sm2_init();

    cr_assert_eq(s.repetitions, 0);
    cr_assert_eq(s.interval_days, 0);
    cr_assert_float_eq(s.easiness, 2.5, EPS);
}

Test(study, sm2_four_perfect_reviews_give_1_6_16_45_days)
{
    static const int interval[4] = {1, 6, 16, 45};
    static const double ef[4] = {2.6, 2.7, 2.8, 2.9};
    struct wenda_sm2 s = wenda_sm2_init();
    int i;

    for (i = 0; i < 4; i++) {
        review_ok(&s, 5);
        cr_assert_eq(s.repetitions, i + 1, "review %d", i + 1);
        cr_assert_eq(s.interval_days, interval[i], "review %d: %d days", i + 1,
                     s.interval_days);
        cr_assert_float_eq(s.easiness, ef[i], EPS, "review %d: EF %f", i + 1,
                           s.easiness);
    }
}

Test(study, sm2_lapse_resets_repetitions_and_lowers_ef_by_0_32)
{
    struct wenda_sm2 s = wenda_sm2_init();
    int i;

    for (i = 0; i < 4; i++)
        review_ok(&s, 5);
    review_ok(&s, 2);
    cr_assert_eq(s.repetitions, 0);
    cr_assert_eq(s.interval_days, 1);
    cr_assert_float_eq(s.easiness, 2.58, EPS);
    /* The item starts over: 1 then 6 days, whatever the factor. */
    review_ok(&s, 4);
    cr_assert_eq(s.interval_days, 1);
    review_ok(&s, 4);
    cr_assert_eq(s.interval_days, 6);
    cr_assert_float_eq(s.easiness, 2.58, EPS);
}

Test(study, sm2_grade_3_lowers_ef_by_0_14_and_grade_4_keeps_it)
{
    struct wenda_sm2 s = wenda_sm2_init();

    review_ok(&s, 3);
    cr_assert_eq(s.repetitions, 1);
    cr_assert_eq(s.interval_days, 1);
    cr_assert_float_eq(s.easiness, 2.36, EPS);
    review_ok(&s, 4);
    cr_assert_eq(s.repetitions, 2);
    cr_assert_eq(s.interval_days, 6);
    cr_assert_float_eq(s.easiness, 2.36, EPS);
}

Test(study, sm2_ef_never_falls_below_1_3)
{
    struct wenda_sm2 s = wenda_sm2_init();
    int i;

    review_ok(&s, 0);
    cr_assert_float_eq(s.easiness, 1.7, EPS);
    for (i = 0; i < 50; i++) {
        review_ok(&s, i % 3); /* grades 0, 1, 2 */
        cr_assert_geq(s.easiness, 1.3 - EPS);
        cr_assert_eq(s.repetitions, 0);
        cr_assert_eq(s.interval_days, 1);
    }
    cr_assert_float_eq(s.easiness, 1.3, EPS);
}

Test(study, sm2_rounds_half_up_and_exactly)
{
    /* 6 * 2.25 = 13.5 -> 14; grade 4 leaves the factor at 2.25. */
    struct wenda_sm2 s = {2, 6, 2.25};

    review_ok(&s, 4);
    cr_assert_eq(s.interval_days, 14);
    /* 10 * 2.7 = 27 exactly: no binary-fraction drift to 26 or 28. */
    s = (struct wenda_sm2){5, 10, 2.7};
    review_ok(&s, 4);
    cr_assert_eq(s.interval_days, 27);
    /* 7 * 1.3 = 9.1 -> 9. */
    s = (struct wenda_sm2){3, 7, 1.3};
    review_ok(&s, 5);
    cr_assert_eq(s.interval_days, 9);
    cr_assert_float_eq(s.easiness, 1.4, EPS);
}

Test(study, sm2_rejects_grades_outside_0_to_5_and_leaves_state)
{
    struct wenda_sm2 s = {3, 16, 2.8};

    cr_assert_eq(wenda_sm2_review(&s, 6), WENDA_ERR_INVALID);
    cr_assert_eq(wenda_sm2_review(&s, -1), WENDA_ERR_INVALID);
    cr_assert_eq(s.repetitions, 3);
    cr_assert_eq(s.interval_days, 16);
    cr_assert_float_eq(s.easiness, 2.8, EPS);
    cr_assert_eq(wenda_sm2_review(NULL, 5), WENDA_ERR_INVALID);
}

Test(study, sm2_rejects_an_impossible_state)
{
    struct wenda_sm2 s = {0, 0, 1.0};

    cr_assert_eq(wenda_sm2_review(&s, 5), WENDA_ERR_INVALID);
    cr_assert_float_eq(s.easiness, 1.0, EPS);
    s = (struct wenda_sm2){-1, 0, 2.5};
    cr_assert_eq(wenda_sm2_review(&s, 5), WENDA_ERR_INVALID);
    s = (struct wenda_sm2){2, -6, 2.5};
    cr_assert_eq(wenda_sm2_review(&s, 5), WENDA_ERR_INVALID);
    s = (struct wenda_sm2){2, 6, NAN};
    cr_assert_eq(wenda_sm2_review(&s, 5), WENDA_ERR_INVALID);
}

Test(study, sm2_saturates_a_huge_interval)
{
    struct wenda_sm2 s = {10, INT32_MAX / 2, 2.5};

    review_ok(&s, 5);
    cr_assert_eq(s.interval_days, INT32_MAX);
    cr_assert_eq(s.repetitions, 11);
}

/* ---- due dates -------------------------------------------------------- */

static void
due_is(const char *at, int days, const char *want)
{
    char out[WENDA_SM2_DUE_CAP];

    cr_assert_eq(wenda_sm2_due(at, days, out), WENDA_OK, "%s + %d", at, days);
    cr_assert_str_eq(out, want, "%s + %d", at, days);
}

static void
due_rejects(const char *at, int days)
{
    char out[WENDA_SM2_DUE_CAP] = "junk";

    cr_assert_eq(wenda_sm2_due(at, days, out), WENDA_ERR_INVALID, "%s + %d", at,
                 days);
    cr_assert_str_eq(out, "");
}

Test(study, due_adds_whole_days)
{
    due_is("2026-03-10T08:15:30Z", 0, "2026-03-10T08:15:30Z");
    due_is("2026-03-10T08:15:30Z", 6, "2026-03-16T08:15:30Z");
    due_is("2026-03-10T08:15:30Z", 365, "2027-03-10T08:15:30Z");
}

Test(study, due_crosses_month_and_year_ends)
{
    due_is("2026-01-31T23:59:59Z", 1, "2026-02-01T23:59:59Z");
    due_is("2026-04-30T00:00:00Z", 1, "2026-05-01T00:00:00Z");
    due_is("2026-12-31T12:00:00Z", 1, "2027-01-01T12:00:00Z");
}

Test(study, due_knows_leap_days)
{
    due_is("2028-02-28T09:30:00Z", 1, "2028-02-29T09:30:00Z");
    due_is("2028-02-28T09:30:00Z", 2, "2028-03-01T09:30:00Z");
    due_is("2028-02-29T09:30:00Z", 365, "2029-02-28T09:30:00Z");
    due_is("2027-02-28T09:30:00Z", 1, "2027-03-01T09:30:00Z");
    due_is("2100-02-28T00:00:00Z", 1, "2100-03-01T00:00:00Z");
    due_is("2000-02-28T00:00:00Z", 1, "2000-02-29T00:00:00Z");
}

Test(study, due_converts_offsets_and_drops_fractions)
{
    due_is("2026-03-01T01:00:00+02:00", 0, "2026-02-28T23:00:00Z");
    due_is("2026-02-28T22:30:00-01:30", 1, "2026-03-02T00:00:00Z");
    due_is("2026-05-05T10:00:00.123456Z", 1, "2026-05-06T10:00:00Z");
    due_is("2026-05-05t10:00:00z", 1, "2026-05-06T10:00:00Z");
    due_is("2016-12-31T23:59:60Z", 0, "2017-01-01T00:00:00Z");
}

Test(study, due_rejects_malformed_timestamps)
{
    due_rejects("", 1);
    due_rejects("2026-03-10", 1);
    due_rejects("2026-03-10T08:15:30", 1);   /* no zone */
    due_rejects("2026-03-10 08:15:30Z", 1);  /* space for T */
    due_rejects("2026-03-10T08:15:30Zx", 1); /* trailing bytes */
    due_rejects("2026-03-10T08:15:30.Z", 1); /* empty fraction */
    due_rejects("2026-3-10T08:15:30Z", 1);
    due_rejects("2026-13-01T00:00:00Z", 1);
    due_rejects("2026-02-30T00:00:00Z", 1);
    due_rejects("2027-02-29T00:00:00Z", 1);
    due_rejects("2026-03-10T24:00:00Z", 1);
    due_rejects("2026-03-10T08:60:00Z", 1);
    due_rejects("2026-03-10T08:15:30+2:00", 1);
    due_rejects("2026-03-10T08:15:30+24:00", 1);
    due_rejects("2026-03-10T08:15:30Z", -1);
    due_rejects("9999-12-31T00:00:00Z", 1); /* year 10000 */
    due_rejects(NULL, 1);
    cr_assert_eq(wenda_sm2_due("2026-03-10T08:15:30Z", 1, NULL),
                 WENDA_ERR_INVALID);
}

/* ---- quiz pick -------------------------------------------------------- */

#define NIDS 64

static void
fill_ids(int64_t *ids, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        ids[i] = 1000 + (int64_t)i * 7;
}

static int
contains(const int64_t *ids, size_t n, int64_t v)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (ids[i] == v)
            return 1;
    return 0;
}

Test(study, pick_is_reproducible_distinct_and_from_the_input)
{
    int64_t ids[NIDS], copy[NIDS], a[10], b[10];
    size_t na, nb, i;

    fill_ids(ids, NIDS);
    memcpy(copy, ids, sizeof(ids));
    cr_assert_eq(wenda_study_pick(ids, NIDS, 42, 10, a, &na), WENDA_OK);
    cr_assert_eq(wenda_study_pick(ids, NIDS, 42, 10, b, &nb), WENDA_OK);
    cr_assert_eq(na, 10);
    cr_assert_eq(nb, 10);
    cr_assert_arr_eq(a, b, sizeof(a));
    cr_assert_arr_eq(ids, copy, sizeof(ids), "ids must not be modified");
    for (i = 0; i < na; i++) {
        cr_assert(contains(ids, NIDS, a[i]), "a[%zu] = %lld", i,
                  (long long)a[i]);
        cr_assert_not(contains(a, i, a[i]), "a[%zu] repeated", i);
    }
}

Test(study, pick_of_more_than_n_gives_all_n)
{
    int64_t ids[NIDS], out[NIDS];
    size_t nout, i;

    fill_ids(ids, NIDS);
    cr_assert_eq(wenda_study_pick(ids, NIDS, 7, 1000, out, &nout), WENDA_OK);
    cr_assert_eq(nout, NIDS);
    for (i = 0; i < NIDS; i++) /* each id exactly once */
        cr_assert(contains(out, NIDS, ids[i]), "%lld missing",
                  (long long)ids[i]);
}

Test(study, pick_of_zero_or_from_nothing_gives_nothing)
{
    int64_t ids[NIDS];
    size_t nout = 99;

    fill_ids(ids, NIDS);
    cr_assert_eq(wenda_study_pick(ids, NIDS, 7, 0, NULL, &nout), WENDA_OK);
    cr_assert_eq(nout, 0);
    nout = 99;
    cr_assert_eq(wenda_study_pick(NULL, 0, 7, 5, NULL, &nout), WENDA_OK);
    cr_assert_eq(nout, 0);
    cr_assert_eq(wenda_study_pick(ids, NIDS, 7, 5, NULL, NULL),
                 WENDA_ERR_INVALID);
    cr_assert_eq(wenda_study_pick(NULL, 3, 7, 5, ids, &nout),
                 WENDA_ERR_INVALID);
    cr_assert_eq(nout, 0);
}

Test(study, pick_order_depends_on_the_seed)
{
    static const uint64_t seeds[][2] = {{1, 2}, {42, 43}, {0, UINT64_MAX}};
    int64_t ids[NIDS], a[NIDS], b[NIDS];
    size_t na, nb, i;

    fill_ids(ids, NIDS);
    for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        cr_assert_eq(wenda_study_pick(ids, NIDS, seeds[i][0], NIDS, a, &na),
                     WENDA_OK);
        cr_assert_eq(wenda_study_pick(ids, NIDS, seeds[i][1], NIDS, b, &nb),
                     WENDA_OK);
        cr_assert_neq(memcmp(a, b, sizeof(a)), 0, "seeds %llu and %llu",
                      (unsigned long long)seeds[i][0],
                      (unsigned long long)seeds[i][1]);
        cr_assert_neq(memcmp(a, ids, sizeof(a)), 0, "seed %llu: no shuffle",
                      (unsigned long long)seeds[i][0]);
    }
}

Test(study, pick_of_one_from_one)
{
    int64_t id = -5, out = 0;
    size_t nout;

    cr_assert_eq(wenda_study_pick(&id, 1, 123, 3, &out, &nout), WENDA_OK);
    cr_assert_eq(nout, 1);
    cr_assert_eq(out, -5);
}
