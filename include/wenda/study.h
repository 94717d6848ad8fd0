/*
 * study.h -- study helpers: SM-2 spaced repetition and a seeded quiz pick.
 *
 * Pure functions over caller-owned values: no I/O, no clock, no global
 * state, so every call is thread-safe and every result is reproducible
 * from its arguments.  The scheduler is SuperMemo's SM-2 (P. A. Wozniak,
 * 1990) with the choices the published text leaves open pinned down in
 * the comment of wenda_sm2_review(); the quiz pick is a partial
 * Fisher-Yates shuffle driven by splitmix64, so that a seed stored with a
 * quiz reproduces its questions and their order.
 */
#ifndef WENDA_STUDY_H
#define WENDA_STUDY_H

#include <stddef.h>
#include <stdint.h>

#include "wenda/err.h"

/* Bytes of a due date-time: "YYYY-MM-DDTHH:MM:SSZ" and its NUL. */
#define WENDA_SM2_DUE_CAP 21

/* Smallest easiness factor SM-2 allows. */
#define WENDA_SM2_MIN_EASINESS 1.3

/* Largest easiness factor wenda_sm2_review() accepts in a state. */
#define WENDA_SM2_MAX_EASINESS 10000.0

/*
 * The SM-2 state of one item, owned by the caller.
 */
struct wenda_sm2 {
    int repetitions;   /* successful reviews in a row (grade >= 3) */
    int interval_days; /* days from the last review to the next one */
    double easiness;   /* easiness factor (E-Factor), >= 1.3 */
};

/*
 * Returns the state of an item never reviewed: {0, 0, 2.5}.
 */
struct wenda_sm2 wenda_sm2_init(void);

/*
 * Applies one review of grade 0..5 to *s (5 perfect, 3 recalled with
 * serious difficulty, 0 complete blackout), in this order:
 *
 *   1. The new interval, with the easiness factor from before this review:
 *      grade >= 3: 1 day if s->repetitions == 0, 6 days if it is 1, else
 *      interval * easiness rounded half up to whole days (16.2 -> 16,
 *      13.5 -> 14, 44.8 -> 45); then repetitions += 1.
 *      grade < 3:  repetitions = 0 and interval = 1 day.
 *   2. The easiness factor, for every grade:
 *      EF' = EF + (0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)), at least 1.3;
 *      that is +0.10, 0, -0.14, -0.32, -0.54, -0.80 for grades 5..0.
 *
 * Rounding: the published SM-2 text says to round a fractional interval
 * up; wenda rounds half up, as most SM-2 implementations round.  The
 * product is computed exactly: every SM-2 step moves the factor by a
 * multiple of 0.02, so the factor is kept in whole hundredths (a factor
 * given by the caller is first rounded to the nearest hundredth) and
 * interval * easiness is integer arithmetic, free of binary-fraction
 * error (6 * 2.7 is 16.2, never 16.199...).  Intervals and repetitions
 * saturate at INT_MAX rather than overflow.
 *
 * Returns WENDA_OK, or WENDA_ERR_INVALID when s is NULL, grade is outside
 * 0..5, or *s is not a state SM-2 can reach (a negative count or
 * interval, an easiness that is not a number or lies outside 1.3..10000);
 * on error *s is unchanged.
 */
enum wenda_err wenda_sm2_review(struct wenda_sm2 *s, int grade);

/*
 * Writes to out the date-time interval_days whole days after
 * reviewed_at_rfc3339, as RFC 3339 UTC with whole seconds
 * ("2028-02-29T09:30:00Z", WENDA_SM2_DUE_CAP bytes with the NUL).  The
 * input is an RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS", an optional
 * fraction of a second (dropped), then "Z" or a "+HH:MM"/"-HH:MM" offset,
 * which is converted to UTC; "T" and "Z" may be lower case.  A leap second
 * ":60" counts as the first second of the next minute.  Days are calendar
 * days of the proleptic Gregorian calendar in UTC (so 2028-02-28 + 1 is
 * 2028-02-29).
 *
 * Returns WENDA_OK, or WENDA_ERR_INVALID when an argument is NULL, the
 * timestamp is malformed or names no real date or time (2027-02-29,
 * 24:00:00), interval_days is negative, or the due date falls outside the
 * years 0000..9999; on error out is set to "".
 */
enum wenda_err wenda_sm2_due(const char *reviewed_at_rfc3339, int interval_days,
                             char out[WENDA_SM2_DUE_CAP]);

/*
 * Picks min(count, n) of the n ids, from distinct positions, in a random
 * order that depends only on seed and on ids as given (their values and
 * order): splitmix64 seeded with seed drives a partial Fisher-Yates
 * shuffle of a copy of ids, each swap index drawn without modulo bias.
 * The same arguments give the same result on every platform and release;
 * another seed almost always gives another order.  ids itself is not
 * modified; if it holds a value twice, so may out.
 *
 * out must have room for min(count, n) values; ids may be NULL when n is
 * 0 and out may be NULL when min(count, n) is 0.  The result count goes to
 * *nout.  Allocates a temporary copy of ids and frees it before
 * returning; nothing is kept between calls, so calls may run in parallel.
 *
 * Returns WENDA_OK, WENDA_ERR_INVALID when nout is NULL or a needed
 * pointer is NULL, or WENDA_ERR_NOMEM; on error *nout (if nout is not
 * NULL) is 0.
 */
enum wenda_err wenda_study_pick(const int64_t *ids, size_t n, uint64_t seed,
                                size_t count, int64_t *out, size_t *nout);

/*
 * Returns a value drawn uniformly from [0, range), range > 0, from the
 * splitmix64 generator whose state is *state (advanced): the draws of
 * wenda_study_pick(), for callers that draw by other means.  Outputs
 * below 2^64 mod range are drawn again, so that there is no modulo bias.
 */
uint64_t wenda_study_uniform(uint64_t *state, uint64_t range);

#endif /* WENDA_STUDY_H */
