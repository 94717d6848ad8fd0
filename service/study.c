/*
 * study.c -- SM-2 scheduling, due dates and the seeded quiz pick.
 *
 * Everything here is a pure function of its arguments: the caller stores
 * the SM-2 state and the review time, and passes "now" in, so that the
 * scheduler can be tested without a clock and replayed from a log.
 *
 * SM-2 keeps its easiness factor in whole hundredths while it computes:
 * the factor starts at 2.50 and every step moves it by a multiple of 0.02,
 * so hundredths hold it exactly and the next interval is an integer
 * product rounded half up, the same on every machine.  The double in
 * struct wenda_sm2 is what callers store and show.
 *
 * Dates are days since 1970-01-01 in the proleptic Gregorian calendar,
 * converted with Howard Hinnant's days_from_civil/civil_from_days, in
 * 64-bit integers: no timegm(), no TZ, no locale.
 *
 * The quiz pick is splitmix64 (Steele, Lea and Flood, 2014, as in
 * Vigna's reference code) feeding a partial Fisher-Yates shuffle, with
 * each index drawn by rejection so that no position is favoured.  Both are
 * fixed here so that a stored seed replays the same quiz forever.
 */
#include "wenda/study.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int ef_to_hundredths(double easiness, long *out);
static int read_digits(const char *p, int n, int *out);
static int days_in_month(int64_t y, int m);
static int64_t days_from_civil(int64_t y, int m, int d);
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d);
static void put_digits(char *p, int n, int64_t v);
static int parse_rfc3339(const char *s, int64_t *secs);
static uint64_t splitmix64(uint64_t *state);

#define SECS_PER_DAY 86400

/* ---- SM-2 ------------------------------------------------------------- */

struct wenda_sm2
wenda_sm2_init(void)
{
    struct wenda_sm2 s = {0, 0, 2.5};

    return s;
}

/*
 * Sets *out to easiness in whole hundredths; returns 0 when it is not a
 * number or lies outside the range wenda_sm2_review() accepts.
 */
static int
ef_to_hundredths(double easiness, long *out)
{
    long h;

    if (!isfinite(easiness) || easiness < 0.0 ||
        easiness > WENDA_SM2_MAX_EASINESS + 0.005)
        return 0;
    h = lround(easiness * 100.0);
    if (h < 130 || h > lround(WENDA_SM2_MAX_EASINESS * 100.0))
        return 0;
    *out = h;
    return 1;
}

enum wenda_err
wenda_sm2_review(struct wenda_sm2 *s, int grade)
{
    long ef, q;
    int64_t next;

    if (s == NULL || grade < 0 || grade > 5 || s->repetitions < 0 ||
        s->interval_days < 0 || !ef_to_hundredths(s->easiness, &ef))
        return WENDA_ERR_INVALID;

    /* 1. The interval, with the factor from before this review. */
    if (grade >= 3) {
        if (s->repetitions == 0) {
            next = 1;
        } else if (s->repetitions == 1) {
            next = 6;
        } else {
            /* interval * ef / 100, half up; at most 2^31 * 10^6. */
            next = ((int64_t)s->interval_days * ef + 50) / 100;
            if (next > INT_MAX)
                next = INT_MAX;
        }
        s->interval_days = (int)next;
        if (s->repetitions < INT_MAX)
            s->repetitions++;
    } else {
        s->repetitions = 0;
        s->interval_days = 1;
    }

    /*
     * 2. The factor, in hundredths:
     * 0.1 - (5-q)(0.08 + (5-q)0.02) = (10 - (5-q)(8 + 2(5-q))) / 100.
     */
    q = 5 - grade;
    ef += 10 - q * (8 + 2 * q);
    if (ef < 130)
        ef = 130;
    s->easiness = (double)ef / 100.0;
    return WENDA_OK;
}

/* ---- dates ------------------------------------------------------------ */

/* Reads n decimal digits at p into *out; returns 0 if one is not a digit. */
static int
read_digits(const char *p, int n, int *out)
{
    int i, v = 0;

    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 1;
}

static int
days_in_month(int64_t y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 ? 28 + leap : len[m - 1];
}

/* Days from 1970-01-01 to y-m-d (Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The date z days after 1970-01-01 (Hinnant's civil_from_days). */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Writes v (0 <= v < 10^n) as exactly n decimal digits at p. */
static void
put_digits(char *p, int n, int64_t v)
{
    while (n-- > 0) {
        p[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

/*
 * Parses an RFC 3339 date-time into seconds since 1970-01-01T00:00:00Z;
 * returns 0 when it is malformed or names no real date or time.
 */
static int
parse_rfc3339(const char *s, int64_t *secs)
{
    int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
    const char *p;

    if (!read_digits(s, 4, &y) || s[4] != '-' || !read_digits(s + 5, 2, &mo) ||
        s[7] != '-' || !read_digits(s + 8, 2, &d) ||
        (s[10] != 'T' && s[10] != 't') || !read_digits(s + 11, 2, &h) ||
        s[13] != ':' || !read_digits(s + 14, 2, &mi) || s[16] != ':' ||
        !read_digits(s + 17, 2, &sec))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
        mi > 59 || sec > 60)
        return 0;
    p = s + 19;
    if (*p == '.') {
        if (p[1] < '0' || p[1] > '9')
            return 0;
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '+' ? 1 : -1;
        if (!read_digits(p + 1, 2, &oh) || p[3] != ':' ||
            !read_digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return 0;
        p += 6;
    } else {
        return 0;
    }
    if (*p != '\0')
        return 0;
    *secs = days_from_civil(y, mo, d) * SECS_PER_DAY + (int64_t)h * 3600 +
            (int64_t)mi * 60 + sec -
            (int64_t)sign * ((int64_t)oh * 3600 + (int64_t)om * 60);
    return 1;
}

enum wenda_err
wenda_sm2_due(const char *reviewed_at_rfc3339, int interval_days,
              char out[WENDA_SM2_DUE_CAP])
{
    int64_t t, days, rem, y;
    int m, d;

    if (out == NULL)
        return WENDA_ERR_INVALID;
    out[0] = '\0';
    if (reviewed_at_rfc3339 == NULL || interval_days < 0 ||
        !parse_rfc3339(reviewed_at_rfc3339, &t))
        return WENDA_ERR_INVALID;
    t += (int64_t)interval_days * SECS_PER_DAY;
    days = t / SECS_PER_DAY;
    rem = t % SECS_PER_DAY;
    if (rem < 0) {
        rem += SECS_PER_DAY;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        return WENDA_ERR_INVALID;

    memcpy(out, "0000-00-00T00:00:00Z", WENDA_SM2_DUE_CAP);
    put_digits(out, 4, y);
    put_digits(out + 5, 2, m);
    put_digits(out + 8, 2, d);
    put_digits(out + 11, 2, rem / 3600);
    put_digits(out + 14, 2, rem / 60 % 60);
    put_digits(out + 17, 2, rem % 60);
    return WENDA_OK;
}

/* ---- quiz pick -------------------------------------------------------- */

/* Advances *state and returns its next output (splitmix64). */
static uint64_t
splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint64_t
wenda_study_uniform(uint64_t *state, uint64_t range)
{
    uint64_t threshold = (0 - range) % range;
    uint64_t r;

    do {
        r = splitmix64(state);
    } while (r < threshold);
    return r % range;
}

enum wenda_err
wenda_study_pick(const int64_t *ids, size_t n, uint64_t seed, size_t count,
                 int64_t *out, size_t *nout)
{
    size_t i, j, k = count < n ? count : n;
    uint64_t state = seed;
    int64_t *copy, tmp;

    if (nout == NULL)
        return WENDA_ERR_INVALID;
    *nout = 0;
    if (k == 0)
        return ids == NULL && n > 0 ? WENDA_ERR_INVALID : WENDA_OK;
    if (ids == NULL || out == NULL)
        return WENDA_ERR_INVALID;
    if (n > SIZE_MAX / sizeof(*copy))
        return WENDA_ERR_NOMEM;
    copy = malloc(n * sizeof(*copy));
    if (copy == NULL)
        return WENDA_ERR_NOMEM;
    memcpy(copy, ids, n * sizeof(*copy));

    for (i = 0; i < k; i++) {
        j = i + (size_t)wenda_study_uniform(&state, (uint64_t)(n - i));
        tmp = copy[i];
        copy[i] = copy[j];
        copy[j] = tmp;
        out[i] = copy[i];
    }
    free(copy);
    *nout = k;
    return WENDA_OK;
}
