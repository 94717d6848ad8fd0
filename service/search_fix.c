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
 *     are one lookup of sound_words (search_sound.c), which holds every
 *     stretch of two to four characters of the titles and aliases under
 *     its syllables folded as those pairs fold them, with its characters,
 *     its own syllables and how often the topics hold it; the editors'
 *     dictionary, a few words, is gone through in memory.  The typed
 *     stretch's syllables are the only pinyin computed, by the connection's
 *     tokenizer, which keeps the syllables of each character it has read.
 *
 * Each slipped word has a few candidates, likeliest first; the caller
 * tries the corrected queries in turn (wenda_search_fixes() orders them)
 * and keeps the first that finds something.
 */
#include "wenda/search.h"
#include "search_impl.h"
#include "search_int.h"

#include <limits.h>
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
#define SYLLABLE_MAX WENDA_SEARCH_SYLLABLE_MAX
#define SOUNDS_MAX 64        /* words weighed for one stretch */

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

static int
is_ascii_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int
wenda_search_finds_any(struct wenda_search *se, const char *match)
{
    static const char sql[] =
        "SELECT 1 FROM topics_fts WHERE topics_fts MATCH ?1 LIMIT 1";
    sqlite3_stmt *s;
    int found;

    if (wenda_search_known_empty(se, match))
        return 0;
    if (wenda_search_slot(se, SLOT_EXISTS, sql, &s) != WENDA_OK)
        return 1;   /* unknown: leave the word as it is */
    sqlite3_bind_text(s, 1, match, -1, SQLITE_STATIC);
    found = sqlite3_step(s) != SQLITE_DONE;
    (void)sqlite3_reset(s);
    (void)sqlite3_clear_bindings(s);
    return found;
}

int
wenda_search_phrase_found(struct wenda_search *se, const char *s, size_t n)
{
    struct buf b = {0};
    int found;

    wenda_search_add_quoted(&b, s, n);
    if (wenda_buf_failed(&b))
        return 1;
    found = wenda_search_finds_any(se, b.p);
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

/*
 * Returns 1 when some topic holds the term of the Latin word w[0..n)
 * (wenda_search_term_docs() > 0).  A word of one token, the usual, is
 * asked of the index as a phrase, which finds the same topics: FTS5 reads
 * the phrase through the same tokenizer.  One statement that stops at the
 * first topic costs less than half of counting in topics_terms, which
 * walks the term's whole list.
 */
static int
latin_found(struct wenda_search *se, const char *w, size_t n)
{
    struct wenda_tokenizer *tk = wenda_search_tokenizer(se);
    struct count_ctx cc = {0};

    if (tk != NULL && n <= INT_MAX &&
        wenda_tokenize(tk, WENDA_TOKENIZE_QUERY, w, (int)n,
                       wenda_search_count_token, &cc, NULL) == WENDA_OK &&
        cc.n == 1)
        return wenda_search_phrase_found(se, w, n);
    return wenda_search_term_docs(se, w, n) > 0;
}

/* Looks for what the Latin word q[start..end) may have been, into x. */
static void
fix_latin(struct wenda_search *se, const char *q, size_t start, size_t end,
          struct slip *x)
{
    struct wenda_typo typos[FIX_CANDIDATES];
    size_t n, i;

    if (latin_found(se, q + start, end - start))
        return;
    n = wenda_search_typos(se, q + start, end - start, typos,
                           FIX_CANDIDATES);
    for (i = 0; i < n; i++)
        add_candidate(x, typos[i].word, strlen(typos[i].word));
}

/* ---- Han slips ----------------------------------------------------------- */

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

/* Notes word[0..n), met seen times, in out, differing in differ
 * syllables and sharing shared characters with the typed stretch; a word
 * met again (read otherwise) counts as its closer reading. */
static void
note_sound(struct sounds *out, const char *word, size_t n, int differ,
           int shared, int seen)
{
    size_t i;

    if (n >= sizeof(out->v[0].word))
        return;
    for (i = 0; i < out->n; i++)
        if (strlen(out->v[i].word) == n &&
            memcmp(out->v[i].word, word, n) == 0) {
            out->v[i].seen += seen;
            if (differ < out->v[i].differ)
                out->v[i].differ = differ;
            return;
        }
    if (out->n == SOUNDS_MAX)
        return;
    memcpy(out->v[out->n].word, word, n);
    out->v[out->n].word[n] = '\0';
    out->v[out->n].differ = differ;
    out->v[out->n].shared = shared;
    out->v[out->n].seen = seen;
    out->n++;
}

/*
 * Notes in out the word word of the titles and aliases, met seen times,
 * whose syllables (space-separated) are syls and sound, folded, like the
 * n characters want (spans counted from base), unless it is what was
 * typed.
 */
static void
indexed_sound(const char *word, const char *syls, int seen,
              const struct hchar *want, size_t n, const char *base,
              struct sounds *out)
{
    size_t k, at = 0, len = strlen(word), nsyl;
    int differ = 0, shared = 0;
    utf8proc_int32_t c;
    utf8proc_ssize_t cl;

    for (k = 0; k < n; k++) {
        size_t nchar = want[k].end - want[k].start;

        cl = at < len ? utf8proc_iterate((const utf8proc_uint8_t *)word + at,
                                         (utf8proc_ssize_t)(len - at), &c)
                      : 0;
        nsyl = strcspn(syls, " ");
        if (cl <= 0 || *syls == '\0')
            return;
        differ += nsyl != strlen(want[k].syl) ||
                  memcmp(syls, want[k].syl, nsyl) != 0;
        shared += (size_t)cl == nchar &&
                  memcmp(word + at, base + want[k].start, nchar) == 0;
        at += (size_t)cl;
        syls += nsyl + (syls[nsyl] == ' ');
    }
    if (at == len && *syls == '\0' && shared < (int)n)
        note_sound(out, word, len, differ, shared, seen);
}

/*
 * Notes in out the dictionary word word, whose pinyin (as
 * wenda_tokenizer_pinyin() writes it) is py, when it sounds like the n
 * characters want (spans counted from base), whose syllables folded (see
 * wenda_search_fold()) are folded[0..n).
 */
static void
dictionary_sound(const char *word, const char *py, const struct hchar *want,
                 char folded[][SYLLABLE_MAX + 1], size_t n, const char *base,
                 struct sounds *out)
{
    const char *p = strchr(py, ' ');
    size_t k = 0, at = 0, len = strlen(word), typed = 0;
    int differ = 0, shared = 0;

    if (p == NULL)
        return;   /* one syllable: a word of one character */
    /* Only a word of as many bytes as the stretch can end the walk below
     * with at == len: most of the dictionary is passed over before any
     * syllable is folded. */
    for (k = 0; k < n; k++)
        typed += want[k].end - want[k].start;
    if (typed != len)
        return;
    k = 0;
    while (k < n && p != NULL && *p == ' ') {
        char syl[SYLLABLE_MAX + 1], a[SYLLABLE_MAX + 1];
        const char *end = strchr(p + 1, ' ');
        size_t nsyl = end ? (size_t)(end - p - 1) : strlen(p + 1);
        size_t nchar = want[k].end - want[k].start;

        if (nsyl == 0 || nsyl > SYLLABLE_MAX || at >= len)
            return;
        memcpy(syl, p + 1, nsyl);
        syl[nsyl] = '\0';
        wenda_search_fold(syl, a);
        if (strcmp(a, folded[k]) != 0)
            return;
        differ += strcmp(syl, want[k].syl) != 0;
        shared += at + nchar <= len &&
                  memcmp(word + at, base + want[k].start, nchar) == 0;
        at += nchar;   /* Han characters: three bytes, as typed */
        k++;
        p = end;
    }
    if (k == n && p == NULL && at == len && shared < (int)n)
        note_sound(out, word, len, differ, shared, 1);
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

/* A row of sound_words: its texts, at word_at and syls_at of the text of
 * its look-up until that text stops growing. */
struct sound_row {
    const char *word, *syls;
    size_t word_at, syls_at;
    int64_t n;
};

/* Orders rows as ORDER BY n DESC, word, syllables would (BINARY). */
static int
by_seen(const void *pa, const void *pb)
{
    const struct sound_row *a = pa, *b = pb;
    int c;

    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    c = strcmp(a->word, b->word);
    return c != 0 ? c : strcmp(a->syls, b->syls);
}

/*
 * Notes in found the rows of sound_words under key, the most often met
 * first (see indexed_sound()).  They are sorted here rather than by
 * ORDER BY, which built and dropped a temporary b-tree for every look-up,
 * most of them of no row or one: a thirtieth of the slips mix.  Returns
 * -1 when the statement cannot be prepared, else 0.
 */
static int
indexed_sounds(struct wenda_search *se, const char *key,
               const struct hchar *want, size_t n, const char *base,
               struct sounds *found)
{
    static const char sql[] =
        "SELECT word, syllables, n FROM sound_words WHERE key = ?1";
    struct buf text = {0};
    struct sound_row *row = NULL;
    size_t nrow = 0, cap = 0, i;
    sqlite3_stmt *s;

    if (wenda_search_slot(se, SLOT_SOUND, sql, &s) != WENDA_OK)
        return -1;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *word = (const char *)sqlite3_column_text(s, 0);
        const char *syls = (const char *)sqlite3_column_text(s, 1);
        int64_t seen = sqlite3_column_int64(s, 2);

        if (word == NULL || syls == NULL)
            continue;
        if (wenda_buf_reserve(&row, &cap, nrow, sizeof(*row), 8) != 0)
            break;
        row[nrow].word_at = text.n;
        wenda_buf_add(&text, word, strlen(word) + 1);
        row[nrow].syls_at = text.n;
        wenda_buf_add(&text, syls, strlen(syls) + 1);
        row[nrow++].n = seen;
    }
    (void)sqlite3_reset(s);
    (void)sqlite3_clear_bindings(s);
    if (!wenda_buf_failed(&text)) {
        for (i = 0; i < nrow; i++) {
            row[i].word = text.p + row[i].word_at;
            row[i].syls = text.p + row[i].syls_at;
        }
        if (nrow > 1)
            qsort(row, nrow, sizeof(*row), by_seen);
        for (i = 0; i < nrow; i++)
            indexed_sound(row[i].word, row[i].syls,
                          row[i].n > INT_MAX ? INT_MAX : (int)row[i].n,
                          want, n, base, found);
    }
    free(row);
    wenda_buf_cleanup(&text);
    return 0;
}

/*
 * Adds to x the words of the titles and aliases, and of the dictionary,
 * that sound like the stretch of n characters want (spans counted from
 * base), closest first.  Those of the titles and aliases are one lookup
 * of sound_words under the stretch's folded syllables, the most often met
 * first.
 */
static void
sound_words(struct wenda_search *se, const struct hchar *want, size_t n,
            const char *base, struct slip *x)
{
    char key[WENDA_SEARCH_SOUND_KEY], folded[SOUND_MAX][SYLLABLE_MAX + 1];
    const char *const *words, *const *syllables;
    struct sounds found;
    size_t i, nwords;

    found.n = 0;
    wenda_search_sound_key(want, n, 1, key);
    if (indexed_sounds(se, key, want, n, base, &found) != 0)
        return;
    nwords = wenda_search_dictionary(se, &words, &syllables);
    for (i = 0; i < n; i++)
        wenda_search_fold(want[i].syl, folded[i]);
    for (i = 0; i < nwords; i++)
        if (syllables[i] != NULL)
            dictionary_sound(words[i], syllables[i], want, folded, n, base,
                             &found);
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
    int held;   /* some topic holds the stretch: not corrected */

    if (tk == NULL || wenda_search_phrase_found(se, q + start, end - start))
        return;
    count = wenda_search_syllables(tk, q + start, end - start, h, RUN_MAX);
    for (len = count < SOUND_MAX ? count : SOUND_MAX; len >= 2 && x->n == 0;
         len--)
        for (at = 0; at + len <= count && x->n < FIX_CANDIDATES; at++) {
            const char *s = q + start + h[at].start;
            size_t n = h[at + len - 1].end - h[at].start;

            /* A stretch that some topic holds is left as it is; asked
             * only when some word sounds like it, since most stretches
             * have none, and a full-text statement costs some ten times
             * the look-up of sound_words. */
            memset(&found, 0, sizeof(found));
            sound_words(se, h + at, len, q + start, &found);
            held = found.n > 0 && len < count &&
                   wenda_search_phrase_found(se, s, n);
            for (i = 0; i < found.n; i++) {
                struct buf run = {0};

                if (!held) {
                    wenda_buf_add(&run, q + start, h[at].start);
                    wenda_buf_adds(&run, found.cand[i]);
                    wenda_buf_add(&run, s + n,
                                  end - start - h[at + len - 1].end);
                    if (!wenda_buf_failed(&run))
                        add_candidate(x, run.p, run.n);
                    wenda_buf_cleanup(&run);
                }
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
