/*
 * search_fix.c -- what a query that finds nothing may have meant.
 *
 * Two slips are corrected, and only in a word that finds nothing as it
 * was typed, so that a word the topics hold is never traded for another:
 *
 *   - A Latin word of four letters or more that no topic holds is replaced
 *     by a word of the topics within one edit of it, or two from eight
 *     letters on (search_typo.c finds them).
 *   - A run of Han characters that no topic holds as a phrase is read as
 *     pinyin without tones, as the input method that typed it did, and a
 *     stretch of it (two to four characters; the longest that works) is
 *     replaced by a word of a title or alias that sounds the same, also
 *     under the fuzzy pairs Chinese input methods offer (z/zh, c/ch, s/sh,
 *     n/l, an/ang, en/eng, in/ing): 死琐 -> 死锁, 协成 -> 协程.  Such words
 *     are found through the pinyin column of the index, which holds the
 *     syllables of every title and alias two to four at a time; the
 *     characters are then read off the titles and aliases found.
 *
 * Each slipped word has a few candidates, likeliest first; the caller
 * tries the corrected queries in turn (wenda_search_fixes() orders them)
 * and keeps the first that finds something.
 */
#include "wenda/search.h"
#include "search_impl.h"
#include "search_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "buf.h"
#include "tokenize_int.h"
#include "wenda/tokenize.h"

#define FIX_WORDS 4          /* slipped words corrected in one query */
#define FIX_CANDIDATES 3     /* candidates of one slipped word */
#define RUN_MAX 12           /* characters of a Han run looked into */
#define SOUND_MAX 4          /* characters of a stretch read as pinyin */
#define SYLLABLE_MAX 8       /* bytes of a pinyin syllable */
#define VARIANTS_MAX 32      /* fuzzy spellings of a stretch asked for */
#define SPELLING_CAP 24      /* bytes of room for a spelling */
#define SOUNDS_MAX 32        /* words weighed for one stretch */

/* A word of the query that finds nothing, and what it may have been. */
struct slip {
    size_t start, end;                   /* bytes of the query */
    char *cand[FIX_CANDIDATES];          /* replacements, likeliest first */
    size_t n;
};

struct slips {
    struct slip v[FIX_WORDS];
    size_t n;
};

/* One Han character of a run: its bytes and its syllable. */
struct hchar {
    size_t start, end;
    char syl[SYLLABLE_MAX + 1];
};

static int
is_ascii_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Returns 1 when the FTS5 expression match finds some topic. */
static int
finds_any(struct wenda_search *se, const char *match)
{
    static const char sql[] =
        "SELECT 1 FROM topics_fts WHERE topics_fts MATCH ?1 LIMIT 1";
    sqlite3_stmt *s;
    int found;

    if (wenda_search_slot(se, SLOT_EXISTS, sql, &s) != WENDA_OK)
        return 1;   /* unknown: leave the word as it is */
    sqlite3_bind_text(s, 1, match, -1, SQLITE_STATIC);
    found = sqlite3_step(s) != SQLITE_DONE;
    (void)sqlite3_reset(s);
    (void)sqlite3_clear_bindings(s);
    return found;
}

/* Returns 1 when some topic holds the phrase s[0..n). */
static int
phrase_found(struct wenda_search *se, const char *s, size_t n)
{
    struct buf b = {0};
    int found;

    wenda_search_add_quoted(&b, s, n);
    if (wenda_buf_failed(&b))
        return 1;
    found = finds_any(se, b.p);
    wenda_buf_cleanup(&b);
    return found;
}

/* Adds candidate text c[0..n) to slip x unless it is there; frees
 * nothing. */
static void
add_candidate(struct slip *x, const char *c, size_t n)
{
    size_t i;

    if (x->n == FIX_CANDIDATES)
        return;
    for (i = 0; i < x->n; i++)
        if (strlen(x->cand[i]) == n && memcmp(x->cand[i], c, n) == 0)
            return;
    x->cand[x->n] = strndup(c, n);
    if (x->cand[x->n] != NULL)
        x->n++;
}

/* ---- Latin typos --------------------------------------------------------- */

/* Looks for what the Latin word q[start..end) may have been, into x. */
static void
fix_latin(struct wenda_search *se, const char *q, size_t start, size_t end,
          struct slip *x)
{
    struct wenda_typo typos[FIX_CANDIDATES];
    size_t n, i;

    if (wenda_search_term_docs(se, q + start, end - start) > 0)
        return;
    n = wenda_search_typos(se, q + start, end - start, typos,
                           FIX_CANDIDATES);
    for (i = 0; i < n; i++)
        add_candidate(x, typos[i].word, strlen(typos[i].word));
}

/* ---- Han slips ----------------------------------------------------------- */

/*
 * Splits syllable syl into its initial as the fuzzy pairs see it (z, c or
 * s for zh, ch, sh and z, c, s; n for n and l; "" for any other) and the
 * rest, into head and *tail; returns the initial's bytes in syl.
 */
static size_t
initial_of(const char *syl, char head[3])
{
    head[0] = '\0';
    if ((syl[0] == 'z' || syl[0] == 'c' || syl[0] == 's') && syl[1] == 'h') {
        head[0] = syl[0];
        head[1] = '\0';
        return 2;
    }
    if (syl[0] == 'z' || syl[0] == 'c' || syl[0] == 's' || syl[0] == 'n' ||
        syl[0] == 'l') {
        head[0] = syl[0];
        if (head[0] == 'l')
            head[0] = 'n';
        head[1] = '\0';
        return 1;
    }
    return 0;
}

/* Returns 1 when the final fin ends in an, en, in (want 0) or ang, eng,
 * ing (want 1). */
static int
nasal(const char *fin, int want)
{
    size_t n = strlen(fin);

    if (want)
        return n >= 3 && strcmp(fin + n - 2, "ng") == 0 &&
               strchr("aei", fin[n - 3]) != NULL;
    return n >= 2 && fin[n - 1] == 'n' && strchr("aei", fin[n - 2]) != NULL;
}

/*
 * Writes to out the syllable as the fuzzy pairs see it: zh, ch, sh as z,
 * c, s; l as n; ang, eng, ing as an, en, in.
 */
static void
fold(const char *syl, char out[SYLLABLE_MAX + 1])
{
    char head[3];
    size_t skip = initial_of(syl, head);

    (void)snprintf(out, SYLLABLE_MAX + 1, "%s%s", head, syl + skip);
    if (nasal(out, 1))
        out[strlen(out) - 1] = '\0';
}

/*
 * Writes to out the spellings the fuzzy pairs give syl: itself first, then
 * with the other initial of its pair, the other final, and both; returns
 * how many (1 to 4).
 */
static int
spellings(const char *syl, char out[4][SPELLING_CAP])
{
    const char *alt = NULL;
    char fin[2][SYLLABLE_MAX + 4];
    size_t skip = 0, n;
    int nfin = 1, i, j, k = 0;

    if ((syl[0] == 'z' || syl[0] == 'c' || syl[0] == 's') && syl[1] == 'h') {
        static const char *const plain[] = {"z", "c", "s"};

        skip = 2;
        alt = plain[syl[0] == 'z' ? 0 : syl[0] == 'c' ? 1 : 2];
    } else if (syl[0] == 'z' || syl[0] == 'c' || syl[0] == 's') {
        static const char *const curled[] = {"zh", "ch", "sh"};

        skip = 1;
        alt = curled[syl[0] == 'z' ? 0 : syl[0] == 'c' ? 1 : 2];
    } else if (syl[0] == 'n' || syl[0] == 'l') {
        skip = 1;
        alt = syl[0] == 'n' ? "l" : "n";
    }
    (void)snprintf(fin[0], SYLLABLE_MAX + 1, "%s", syl + skip);
    n = strlen(fin[0]);
    if (nasal(fin[0], 1)) {
        memcpy(fin[1], fin[0], n - 1);
        fin[1][n - 1] = '\0';
        nfin = 2;
    } else if (nasal(fin[0], 0)) {
        memcpy(fin[1], fin[0], n);
        fin[1][n] = 'g';
        fin[1][n + 1] = '\0';
        nfin = 2;
    }
    for (j = 0; j < nfin; j++)
        for (i = 0; i < 2; i++) {
            const char *head = i == 0 ? syl : alt;
            size_t nhead = i == 0 ? skip : alt ? strlen(alt) : 0;
            size_t nfin_j = strlen(fin[j]);

            if ((i == 1 && alt == NULL) || nhead + nfin_j >= SPELLING_CAP)
                continue;
            memcpy(out[k], head, nhead);
            memcpy(out[k] + nhead, fin[j], nfin_j + 1);
            k++;
        }
    return k;
}

/*
 * Reads the Han characters of text[0..n) with their syllables into
 * h[0..max); returns how many, or 0 when text is not all Han or a
 * character has no one syllable.
 */
static size_t
read_syllables(struct wenda_tokenizer *tk, const char *text, size_t n,
               struct hchar *h, size_t max)
{
    char *py = NULL, *p, *save = NULL;
    size_t count = 0, i = 0;
    utf8proc_int32_t c;
    utf8proc_ssize_t len;

    while (i < n) {
        len = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                               (utf8proc_ssize_t)(n - i), &c);
        if (len <= 0 || !wenda_tokenize_is_han(c) || count == max)
            return 0;
        h[count].start = i;
        h[count].end = i + (size_t)len;
        count++;
        i += (size_t)len;
    }
    if (count < 2 ||
        wenda_tokenizer_pinyin(tk, text, (int)n, &py) != WENDA_OK)
        return 0;
    /* "sisuo si suo": the run joined, then each syllable. */
    p = strtok_r(py, " ", &save);
    for (i = 0; p != NULL && i < count; i++) {
        p = strtok_r(NULL, " ", &save);
        if (p == NULL || strlen(p) > SYLLABLE_MAX)
            break;
        (void)snprintf(h[i].syl, sizeof(h[i].syl), "%s", p);
    }
    free(py);
    return i == count && p != NULL ? count : 0;
}

/*
 * Writes to b the pinyin-column expression that finds the titles and
 * aliases holding a stretch that sounds like h[0..n): each spelling of
 * the syllables joined, exact first, fuzzy after, ORed.
 */
static void
sound_match(const struct hchar *h, size_t n, struct buf *b)
{
    char sp[SOUND_MAX][4][SPELLING_CAP];
    int count[SOUND_MAX], pick[SOUND_MAX] = {0}, changes, written = 0;
    size_t i;

    for (i = 0; i < n; i++)
        count[i] = spellings(h[i].syl, sp[i]);
    wenda_buf_adds(b, "{pinyin} : (");
    /* Fewer changes first: each spelling once, by how many it changes. */
    for (changes = 0; changes <= (int)n && written < VARIANTS_MAX;
         changes++) {
        memset(pick, 0, sizeof(pick));
        for (;;) {
            int k = 0;

            for (i = 0; i < n; i++)
                k += pick[i] > 0;
            if (k == changes && written < VARIANTS_MAX) {
                if (written++ > 0)
                    wenda_buf_adds(b, " OR ");
                wenda_buf_adds(b, "\"");
                for (i = 0; i < n; i++)
                    wenda_buf_adds(b, sp[i][pick[i]]);
                wenda_buf_adds(b, "\"");
            }
            for (i = 0; i < n && ++pick[i] == count[i]; i++)
                pick[i] = 0;
            if (i == n)
                break;
        }
    }
    wenda_buf_adds(b, ")");
}

/* A word of a title or alias that sounds like a typed stretch. */
struct sound {
    char word[SOUND_MAX * 4 + 1];   /* UTF-8, two to four Han characters */
    int differ;   /* syllables spelt otherwise (a fuzzy pair) */
    int shared;   /* characters where it and the typed stretch agree */
    int seen;     /* how often it was met */
};

struct sounds {
    struct sound v[SOUNDS_MAX];
    size_t n;
};

/* Notes word[0..n) in out, differing in differ syllables and sharing
 * shared characters with the typed stretch. */
static void
note_sound(struct sounds *out, const char *word, size_t n, int differ,
           int shared)
{
    size_t i;

    if (n >= sizeof(out->v[0].word))
        return;
    for (i = 0; i < out->n; i++)
        if (strlen(out->v[i].word) == n &&
            memcmp(out->v[i].word, word, n) == 0) {
            out->v[i].seen++;
            return;
        }
    if (out->n == SOUNDS_MAX)
        return;
    memcpy(out->v[out->n].word, word, n);
    out->v[out->n].word[n] = '\0';
    out->v[out->n].differ = differ;
    out->v[out->n].shared = shared;
    out->v[out->n].seen = 1;
    out->n++;
}

/*
 * Notes in out the stretches of the Han runs of text (a title or the JSON
 * of aliases) that sound like typed, whose characters are want[0..n)
 * (their spans counted from base), other than typed itself.
 */
static void
words_in(struct wenda_tokenizer *tk, const char *text,
         const struct hchar *want, size_t n, const char *base,
         struct sounds *out)
{
    struct hchar h[RUN_MAX * 4];
    size_t i = 0, len = strlen(text), start, count, w, k;

    while (i < len) {
        utf8proc_int32_t c;
        utf8proc_ssize_t cl;

        start = i;
        while (i < len &&
               (cl = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                                      (utf8proc_ssize_t)(len - i), &c)) > 0 &&
               wenda_tokenize_is_han(c))
            i += (size_t)cl;
        if (i == start) {
            i++;
            continue;
        }
        count = read_syllables(tk, text + start, i - start, h,
                               sizeof(h) / sizeof(h[0]));
        for (w = 0; w + n <= count; w++) {
            int same = 1, differ = 0, shared = 0;

            for (k = 0; k < n && same; k++) {
                const char *got = text + start + h[w + k].start;
                size_t ngot = h[w + k].end - h[w + k].start;
                char a[SYLLABLE_MAX + 1], b[SYLLABLE_MAX + 1];

                fold(h[w + k].syl, a);
                fold(want[k].syl, b);
                same = strcmp(a, b) == 0;
                differ += strcmp(h[w + k].syl, want[k].syl) != 0;
                shared += ngot == want[k].end - want[k].start &&
                          memcmp(got, base + want[k].start, ngot) == 0;
            }
            if (same && shared < (int)n)
                note_sound(out, text + start + h[w].start,
                           h[w + n - 1].end - h[w].start, differ, shared);
        }
    }
}

/*
 * Notes in out the dictionary word word, whose pinyin (as
 * wenda_tokenizer_pinyin() writes it) is py, when it sounds like the n
 * characters want (spans counted from base).
 */
static void
dictionary_sound(const char *word, const char *py, const struct hchar *want,
                 size_t n, const char *base, struct sounds *out)
{
    const char *p = strchr(py, ' ');
    size_t k = 0, at = 0, len = strlen(word);
    int differ = 0, shared = 0;

    if (p == NULL)
        return;   /* one syllable: a word of one character */
    while (k < n && p != NULL && *p == ' ') {
        char syl[SYLLABLE_MAX + 1], a[SYLLABLE_MAX + 1], b[SYLLABLE_MAX + 1];
        const char *end = strchr(p + 1, ' ');
        size_t nsyl = end ? (size_t)(end - p - 1) : strlen(p + 1);
        size_t nchar = want[k].end - want[k].start;

        if (nsyl == 0 || nsyl > SYLLABLE_MAX || at >= len)
            return;
        memcpy(syl, p + 1, nsyl);
        syl[nsyl] = '\0';
        fold(syl, a);
        fold(want[k].syl, b);
        if (strcmp(a, b) != 0)
            return;
        differ += strcmp(syl, want[k].syl) != 0;
        shared += at + nchar <= len &&
                  memcmp(word + at, base + want[k].start, nchar) == 0;
        at += nchar;   /* Han characters: three bytes, as typed */
        k++;
        p = end;
    }
    if (k == n && p == NULL && at == len && shared < (int)n)
        note_sound(out, word, len, differ, shared);
}

/* Orders sounds: exact homophones first, then more characters kept from
 * what was typed, then met more often. */
static int
by_closeness(const void *pa, const void *pb)
{
    const struct sound *a = pa, *b = pb;

    if (a->differ != b->differ)
        return a->differ - b->differ;
    if (a->shared != b->shared)
        return b->shared - a->shared;
    if (a->seen != b->seen)
        return b->seen - a->seen;
    return strcmp(a->word, b->word);
}

/*
 * Adds to x the words of the titles and aliases that sound like the
 * stretch of n characters want (spans counted from base), closest first.
 */
static void
sound_words(struct wenda_search *se, const struct hchar *want, size_t n,
            const char *base, struct slip *x)
{
    static const char sql[] =
        "SELECT title, aliases FROM topics WHERE id IN (SELECT rowid FROM "
        "topics_fts WHERE topics_fts MATCH ?1 LIMIT 20)";
    struct wenda_tokenizer *tk = wenda_search_tokenizer(se);
    struct buf match = {0};
    const char *const *words, *const *syllables;
    struct sounds found;
    sqlite3_stmt *s;
    size_t i, nwords;

    sound_match(want, n, &match);
    if (tk == NULL || wenda_buf_failed(&match) ||
        wenda_search_slot(se, SLOT_SOUND, sql, &s) != WENDA_OK) {
        wenda_buf_cleanup(&match);
        return;
    }
    found.n = 0;
    sqlite3_bind_text(s, 1, match.p, -1, SQLITE_STATIC);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *title = (const char *)sqlite3_column_text(s, 0);
        const char *aliases = (const char *)sqlite3_column_text(s, 1);

        if (title != NULL)
            words_in(tk, title, want, n, base, &found);
        if (aliases != NULL)
            words_in(tk, aliases, want, n, base, &found);
    }
    (void)sqlite3_reset(s);
    (void)sqlite3_clear_bindings(s);
    wenda_buf_cleanup(&match);
    nwords = wenda_search_dictionary(se, &words, &syllables);
    for (i = 0; i < nwords; i++)
        if (syllables[i] != NULL)
            dictionary_sound(words[i], syllables[i], want, n, base, &found);
    qsort(found.v, found.n, sizeof(found.v[0]), by_closeness);
    for (i = 0; i < found.n; i++)
        add_candidate(x, found.v[i].word, strlen(found.v[i].word));
}

/*
 * Looks for what the Han run q[start..end) may have been, into x: the
 * longest stretch (four characters down to two) that finds nothing and
 * has a word that sounds like it, replaced in the run.
 */
static void
fix_han(struct wenda_search *se, const char *q, size_t start, size_t end,
        struct slip *x)
{
    struct wenda_tokenizer *tk = wenda_search_tokenizer(se);
    struct hchar h[RUN_MAX];
    struct slip found;
    size_t count, len, at, i;

    if (tk == NULL || phrase_found(se, q + start, end - start))
        return;
    count = read_syllables(tk, q + start, end - start, h, RUN_MAX);
    for (len = count < SOUND_MAX ? count : SOUND_MAX; len >= 2 && x->n == 0;
         len--)
        for (at = 0; at + len <= count && x->n < FIX_CANDIDATES; at++) {
            const char *s = q + start + h[at].start;
            size_t n = h[at + len - 1].end - h[at].start;

            if (len < count && phrase_found(se, s, n))
                continue;
            memset(&found, 0, sizeof(found));
            sound_words(se, h + at, len, q + start, &found);
            for (i = 0; i < found.n; i++) {
                struct buf run = {0};

                wenda_buf_add(&run, q + start, h[at].start);
                wenda_buf_adds(&run, found.cand[i]);
                wenda_buf_add(&run, s + n, end - start - h[at + len - 1].end);
                if (!wenda_buf_failed(&run))
                    add_candidate(x, run.p, run.n);
                wenda_buf_cleanup(&run);
                free(found.cand[i]);
            }
        }
}

/* ---- the corrected queries ----------------------------------------------- */

/*
 * Adds to out the slips of the Han run q[start..end), each stretch of it
 * between question and function words looked at on its own.
 */
static void
fix_pieces(struct wenda_search *se, const char *q, size_t start, size_t end,
           struct slips *out)
{
    size_t at[2 * WENDA_SEARCH_MAX_CHUNKS], n, i;

    n = wenda_search_han_content(q, start, end, at, WENDA_SEARCH_MAX_CHUNKS);
    for (i = 0; i < n && out->n < FIX_WORDS; i++) {
        struct slip *x = &out->v[out->n];

        fix_han(se, q, at[2 * i], at[2 * i + 1], x);
        if (x->n > 0) {
            x->start = at[2 * i];
            x->end = at[2 * i + 1];
            out->n++;
        }
    }
}

/* Finds the slipped words of q[0..n) and their candidates, into out. */
static void
find_slips(struct wenda_search *se, const char *q, size_t n,
           struct slips *out)
{
    size_t i = 0, start;

    memset(out, 0, sizeof(*out));
    while (i < n && out->n < FIX_WORDS) {
        utf8proc_int32_t c;
        utf8proc_ssize_t len;
        struct slip *x = &out->v[out->n];

        start = i;
        if (is_ascii_letter(q[i])) {
            while (i < n && is_ascii_letter(q[i]))
                i++;
            if (!wenda_search_function_word(q + start, i - start))
                fix_latin(se, q, start, i, x);
        } else if ((len = utf8proc_iterate((const utf8proc_uint8_t *)q + i,
                                           (utf8proc_ssize_t)(n - i), &c)) >
                       0 &&
                   wenda_tokenize_is_han(c)) {
            while (i < n &&
                   (len = utf8proc_iterate((const utf8proc_uint8_t *)q + i,
                                           (utf8proc_ssize_t)(n - i), &c)) >
                       0 &&
                   wenda_tokenize_is_han(c))
                i += (size_t)len;
            fix_pieces(se, q, start, i, out);
            continue;
        } else {
            i += len > 0 ? (size_t)len : 1;
            continue;
        }
        if (x->n > 0) {
            x->start = start;
            x->end = i;
            out->n++;
        }
    }
}

/* Writes q[0..n) with each slip i replaced by its candidate pick[i]. */
static char *
corrected(const char *q, size_t n, const struct slips *sl, const int *pick)
{
    struct buf b = {0};
    size_t i, at = 0;

    for (i = 0; i < sl->n; i++) {
        wenda_buf_add(&b, q + at, sl->v[i].start - at);
        wenda_buf_adds(&b, sl->v[i].cand[pick[i]]);
        at = sl->v[i].end;
    }
    wenda_buf_add(&b, q + at, n - at);
    return wenda_buf_take(&b, NULL);
}

size_t
wenda_search_fixes(struct wenda_search *se, const char *q, size_t n,
                   char **out, size_t cap)
{
    struct slips sl;
    int pick[FIX_WORDS] = {0};
    size_t i, j, k = 0;

    find_slips(se, q, n, &sl);
    if (sl.n > 0 && cap > 0 && (out[k] = corrected(q, n, &sl, pick)) != NULL)
        k++;
    /* Then each slip's other candidates, the rest at their likeliest. */
    for (i = 0; i < sl.n; i++)
        for (j = 1; j < sl.v[i].n && k < cap; j++) {
            pick[i] = (int)j;
            out[k] = corrected(q, n, &sl, pick);
            pick[i] = 0;
            if (out[k] != NULL)
                k++;
        }
    for (i = 0; i < sl.n; i++)
        for (j = 0; j < sl.v[i].n; j++)
            free(sl.v[i].cand[j]);
    return k;
}
