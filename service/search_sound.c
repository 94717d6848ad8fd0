/*
 * search_sound.c -- the words of the titles and aliases by their sound,
 * which search_fix.c offers for a Han stretch typed with an input-method
 * slip (死琐 for 死锁).
 *
 * Every stretch of two to four characters of a Han run of a topic's title
 * column (its title and English title) and alias column is kept in
 * sound_words under its syllables as the fuzzy pairs of input methods fold
 * them (zh, ch, sh as z, c, s; l as n; ang, eng, ing as an, en, in), with
 * its characters, its own syllables, and how many times the topics hold
 * it.  A slipped stretch is then one indexed lookup under its own folded
 * syllables, and the syllables of the words found are read, not computed:
 * a search never asks ICU for the pinyin of a title.
 *
 * Writing a topic's index adds its stretches.  Taking it out reads its
 * title and aliases back from the full-text row about to go, the text the
 * stretches were counted from, and subtracts them; a stretch whose count
 * comes to nothing goes, so a word two topics share stays until both are
 * gone.  An import empties the table with the rest of the index and adds
 * up the stretches of its topics in memory, writing each once per batch
 * (see wenda_search_index_bulk()).  A database of an older schema gets
 * them from its topics, in one transaction, when it is next opened for
 * writing (migration 0016 leaves a row in sound_fill to say so).
 */
#include "wenda/search.h"
#include "search_impl.h"
#include "search_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tokenize_int.h"
#include "wenda/tokenize.h"

#define SYL_MAX WENDA_SEARCH_SYLLABLE_MAX
#define RUN_CHARS 48         /* characters of a Han run read at most */
#define STRETCH_MIN 2        /* characters of a stretch */
#define STRETCH_MAX 4
#define PENDING_MAX 65536    /* stretches an import holds before writing */

/* One stretch of a text, and how many times it was met. */
struct stretch {
    char key[WENDA_SEARCH_SOUND_KEY];        /* folded syllables */
    char syllables[WENDA_SEARCH_SOUND_KEY];  /* its own */
    char word[STRETCH_MAX * 4 + 1];          /* UTF-8 */
    int64_t n;
};

/* Stretches, each once: open addressing over v[] (slot i + 1; 0 empty). */
struct sound_set {
    struct stretch *v;
    size_t n, cap;
    uint32_t *slot;
    size_t nslot;    /* a power of two, or 0 */
};

/* ---- syllables ----------------------------------------------------------- */

/*
 * Splits syllable syl into its initial as the fuzzy pairs see it (z, c or
 * s for zh, ch, sh and z, c, s; n for n and l; "" for any other) into
 * head; returns the initial's bytes in syl.
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

void
wenda_search_fold(const char *syl, char out[WENDA_SEARCH_SYLLABLE_MAX + 1])
{
    char head[3];
    size_t skip = initial_of(syl, head), n = strlen(head), rest;

    rest = strnlen(syl + skip, SYL_MAX - n);
    memcpy(out, head, n);
    memcpy(out + n, syl + skip, rest);
    n += rest;
    out[n] = '\0';
    /* ang, eng, ing: the g goes */
    if (n >= 3 && strcmp(out + n - 2, "ng") == 0 &&
        strchr("aei", out[n - 3]) != NULL)
        out[n - 1] = '\0';
}

void
wenda_search_sound_key(const struct hchar *h, size_t n, int folded,
                       char out[WENDA_SEARCH_SOUND_KEY])
{
    char f[SYL_MAX + 1];
    const char *syl;
    size_t i, at = 0, len;

    out[0] = '\0';
    for (i = 0; i < n; i++) {
        syl = h[i].syl;
        if (folded) {
            wenda_search_fold(h[i].syl, f);
            syl = f;
        }
        len = strlen(syl);
        if (at + len + 2 > WENDA_SEARCH_SOUND_KEY)
            return;
        if (i > 0)
            out[at++] = ' ';
        memcpy(out + at, syl, len + 1);
        at += len;
    }
}

size_t
wenda_search_syllables(struct wenda_tokenizer *tk, const char *text, size_t n,
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
        if (p == NULL || strlen(p) > SYL_MAX)
            break;
        (void)snprintf(h[i].syl, sizeof(h[i].syl), "%s", p);
    }
    free(py);
    return i == count && p != NULL ? count : 0;
}

/* ---- sets of stretches --------------------------------------------------- */

static uint64_t
hash_of(const struct stretch *s)
{
    const char *parts[3] = {s->key, s->syllables, s->word};
    uint64_t h = 0xcbf29ce484222325u;
    size_t i;
    const char *p;

    for (i = 0; i < 3; i++)
        for (p = parts[i];; p++) {
            h ^= (unsigned char)*p;
            h *= 0x100000001b3u;
            if (*p == '\0')
                break;
        }
    return h;
}

static int
same_stretch(const struct stretch *a, const struct stretch *b)
{
    return strcmp(a->key, b->key) == 0 && strcmp(a->word, b->word) == 0 &&
           strcmp(a->syllables, b->syllables) == 0;
}

/* Returns the slot of s in set: where it is, or the empty one where it
 * would go.  The set has slots. */
static uint32_t *
set_slot(const struct sound_set *set, const struct stretch *s)
{
    size_t i = (size_t)hash_of(s) & (set->nslot - 1);

    while (set->slot[i] != 0 && !same_stretch(&set->v[set->slot[i] - 1], s))
        i = (i + 1) & (set->nslot - 1);
    return &set->slot[i];
}

/* Makes room in set for one more stretch; -1 when out of memory. */
static int
set_grow(struct sound_set *set)
{
    size_t i;

    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 32;
        struct stretch *v = realloc(set->v, cap * sizeof(*v));

        if (v == NULL)
            return -1;
        set->v = v;
        set->cap = cap;
    }
    if ((set->n + 1) * 2 <= set->nslot)
        return 0;
    free(set->slot);
    set->nslot = set->nslot ? set->nslot * 2 : 64;
    set->slot = calloc(set->nslot, sizeof(*set->slot));
    if (set->slot == NULL) {
        set->nslot = 0;
        return -1;
    }
    for (i = 0; i < set->n; i++)
        *set_slot(set, &set->v[i]) = (uint32_t)(i + 1);
    return 0;
}

/* Adds n of s to set. */
static enum wenda_err
set_add(struct sound_set *set, const struct stretch *s, int64_t n)
{
    uint32_t *slot;

    if (set_grow(set) != 0)
        return WENDA_ERR_NOMEM;
    slot = set_slot(set, s);
    if (*slot != 0) {
        set->v[*slot - 1].n += n;
        return WENDA_OK;
    }
    set->v[set->n] = *s;
    set->v[set->n].n = n;
    *slot = (uint32_t)++set->n;
    return WENDA_OK;
}

/* Empties set, keeping its memory. */
static void
set_empty(struct sound_set *set)
{
    set->n = 0;
    if (set->slot != NULL)
        memset(set->slot, 0, set->nslot * sizeof(*set->slot));
}

void
wenda_search_sounds_free(struct sound_set *set)
{
    if (set == NULL)
        return;
    free(set->v);
    free(set->slot);
    free(set);
}

/* Adds to set the stretches of the Han run text[0..n). */
static enum wenda_err
run_stretches(struct wenda_tokenizer *tk, const char *text, size_t n,
              struct sound_set *set)
{
    struct hchar h[RUN_CHARS];
    struct stretch s;
    size_t count, len, at, bytes;
    enum wenda_err rc = WENDA_OK;

    count = wenda_search_syllables(tk, text, n, h, RUN_CHARS);
    for (len = STRETCH_MIN; len <= STRETCH_MAX; len++)
        for (at = 0; rc == WENDA_OK && at + len <= count; at++) {
            bytes = h[at + len - 1].end - h[at].start;
            if (bytes >= sizeof(s.word))
                continue;
            memcpy(s.word, text + h[at].start, bytes);
            s.word[bytes] = '\0';
            wenda_search_sound_key(h + at, len, 1, s.key);
            wenda_search_sound_key(h + at, len, 0, s.syllables);
            rc = set_add(set, &s, 1);
        }
    return rc;
}

enum wenda_err
wenda_search_sounds_of(struct wenda_tokenizer *tk, const char *text,
                       struct sound_set **set)
{
    size_t i = 0, n = strlen(text), start;
    enum wenda_err rc = WENDA_OK;
    utf8proc_int32_t c;
    utf8proc_ssize_t len;

    if (*set == NULL && (*set = calloc(1, sizeof(**set))) == NULL)
        return WENDA_ERR_NOMEM;
    while (rc == WENDA_OK && i < n) {
        start = i;
        while (i < n &&
               (len = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                                       (utf8proc_ssize_t)(n - i), &c)) > 0 &&
               wenda_tokenize_is_han(c))
            i += (size_t)len;
        if (i == start)
            i++;
        else
            rc = run_stretches(tk, text + start, i - start, *set);
    }
    return rc;
}

/* ---- writing them -------------------------------------------------------- */

/* Binds the primary key of x to s, as ?1 to ?3. */
static void
bind_stretch(sqlite3_stmt *s, const struct stretch *x)
{
    sqlite3_bind_text(s, 1, x->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, x->word, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, x->syllables, -1, SQLITE_STATIC);
}

/* Runs s, bound, then resets it; 0, or -1 on an error. */
static int
run(sqlite3_stmt *s)
{
    int step = sqlite3_step(s);

    (void)sqlite3_reset(s);
    (void)sqlite3_clear_bindings(s);
    return step == SQLITE_DONE ? 0 : -1;
}

/*
 * Adds (sign 1) or subtracts (sign -1) the stretches of set in
 * sound_words; a stretch whose count comes to nothing goes.  (An upsert
 * with RETURNING, which would say so, has SQLite open a savepoint for each
 * row, and FTS5 writes out its pending tokens at every one.)
 */
static enum wenda_err
write_set(struct wenda_search *se, const struct sound_set *set, int sign)
{
    static const char add[] =
        "INSERT INTO sound_words(key, word, syllables, n) "
        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(key, word, syllables) "
        "DO UPDATE SET n = n + excluded.n";
    static const char gone[] =
        "DELETE FROM sound_words WHERE key = ?1 AND word = ?2 AND "
        "syllables = ?3 AND n <= 0";
    sqlite3_stmt *up, *del = NULL;
    enum wenda_err rc = wenda_search_slot(se, SLOT_SOUND_ADD, add, &up);
    size_t i;

    if (rc == WENDA_OK && sign < 0)
        rc = wenda_search_slot(se, SLOT_SOUND_GONE, gone, &del);
    for (i = 0; rc == WENDA_OK && i < set->n; i++) {
        bind_stretch(up, &set->v[i]);
        sqlite3_bind_int64(up, 4, sign * set->v[i].n);
        if (run(up) != 0)
            rc = WENDA_ERR_DB;
        if (rc == WENDA_OK && del != NULL) {
            bind_stretch(del, &set->v[i]);
            if (run(del) != 0)
                rc = WENDA_ERR_DB;
        }
    }
    return rc;
}

/* Orders stretches as sound_words' primary key does. */
static int
by_key(const void *pa, const void *pb)
{
    const struct stretch *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);

    if (c == 0)
        c = strcmp(a->word, b->word);
    return c != 0 ? c : strcmp(a->syllables, b->syllables);
}

/* Adds the stretches of set to sound_words in the table's order, each in
 * one statement, and empties set. */
static enum wenda_err
flush(struct wenda_search *se, struct sound_set *set)
{
    enum wenda_err rc;

    if (set->n > 1)
        qsort(set->v, set->n, sizeof(set->v[0]), by_key);
    rc = write_set(se, set, 1);
    set_empty(set);
    return rc;
}

enum wenda_err
wenda_search_sounds_add(struct wenda_search *se, const struct sound_set *set)
{
    enum wenda_err rc = WENDA_OK;
    size_t i;

    if (set == NULL)
        return WENDA_OK;
    if (se->sounds == NULL)
        return write_set(se, set, 1);
    /* An import: added up, and written a batch at a time. */
    for (i = 0; rc == WENDA_OK && i < set->n; i++)
        rc = set_add(se->sounds, &set->v[i], set->v[i].n);
    if (rc == WENDA_OK && se->sounds->n >= PENDING_MAX)
        rc = flush(se, se->sounds);
    return rc;
}

enum wenda_err
wenda_search_sounds_bulk(struct wenda_search *se, int on)
{
    enum wenda_err rc = WENDA_OK;

    if (on) {
        wenda_search_sounds_forget(se);
        se->sounds = calloc(1, sizeof(*se->sounds));
        return se->sounds != NULL ? WENDA_OK : WENDA_ERR_NOMEM;
    }
    if (se->sounds != NULL)
        rc = flush(se, se->sounds);
    wenda_search_sounds_forget(se);
    return rc;
}

void
wenda_search_sounds_forget(struct wenda_search *se)
{
    wenda_search_sounds_free(se->sounds);
    se->sounds = NULL;
}

enum wenda_err
wenda_search_sounds_drop(struct wenda_search *se, int64_t id)
{
    static const char sql[] =
        "SELECT title, aliases FROM topics_fts WHERE rowid = ?1";
    struct wenda_tokenizer *tk = wenda_search_tokenizer(se);
    struct sound_set *set = NULL;
    enum wenda_err rc;
    sqlite3_stmt *s;
    int col;

    if (tk == NULL)
        return WENDA_ERR_INTERNAL;
    rc = wenda_search_slot(se, SLOT_SOUND_TEXT, sql, &s);
    if (rc != WENDA_OK)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) == SQLITE_ROW)
        for (col = 0; rc == WENDA_OK && col < 2; col++) {
            const char *t = (const char *)sqlite3_column_text(s, col);

            if (t != NULL)
                rc = wenda_search_sounds_of(tk, t, &set);
        }
    (void)sqlite3_reset(s);
    (void)sqlite3_clear_bindings(s);
    if (rc == WENDA_OK && set != NULL)
        rc = write_set(se, set, -1);
    wenda_search_sounds_free(set);
    return rc;
}

enum wenda_err
wenda_search_sounds_clear(struct wenda_search *se)
{
    return sqlite3_exec(se->db,
                        "DELETE FROM sound_words; DELETE FROM sound_fill;",
                        NULL, NULL, NULL) == SQLITE_OK
               ? WENDA_OK
               : WENDA_ERR_DB;
}

/* Returns 1 when sound_fill says sound_words is still to be filled. */
static int
sounds_to_fill(sqlite3 *db)
{
    sqlite3_stmt *s;
    int fill;

    if (sqlite3_prepare_v2(db, "SELECT EXISTS (SELECT 1 FROM sound_fill)",
                           -1, &s, NULL) != SQLITE_OK)
        return 0;
    fill = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 1;
    sqlite3_finalize(s);
    return fill;
}

/* Adds the stretches of every topic's full-text row to sound_words. */
static enum wenda_err
fill_from_index(struct wenda_search *se, struct wenda_tokenizer *tk)
{
    sqlite3_stmt *s = NULL;
    struct sound_set *set = calloc(1, sizeof(*set));
    enum wenda_err rc = WENDA_OK;
    int step = SQLITE_DONE, col;

    if (set == NULL)
        return WENDA_ERR_NOMEM;
    if (sqlite3_prepare_v2(se->db, "SELECT title, aliases FROM topics_fts",
                           -1, &s, NULL) != SQLITE_OK)
        rc = WENDA_ERR_DB;
    while (rc == WENDA_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
        for (col = 0; rc == WENDA_OK && col < 2; col++) {
            const char *t = (const char *)sqlite3_column_text(s, col);

            if (t != NULL)
                rc = wenda_search_sounds_of(tk, t, &set);
        }
        if (rc == WENDA_OK && set->n >= PENDING_MAX)
            rc = flush(se, set);
    }
    if (rc == WENDA_OK && step != SQLITE_DONE)
        rc = WENDA_ERR_DB;
    if (rc == WENDA_OK)
        rc = flush(se, set);
    sqlite3_finalize(s);
    wenda_search_sounds_free(set);
    return rc;
}

/* Fills sound_words from the index and forgets that it is to be filled
 * (wenda_search_sounds_fill()); ctx is the tokenizer. */
static enum wenda_err
fill_sounds(struct wenda_search *se, void *ctx)
{
    enum wenda_err rc = fill_from_index(se, ctx);

    if (rc == WENDA_OK &&
        sqlite3_exec(se->db, "DELETE FROM sound_fill", NULL, NULL, NULL) !=
            SQLITE_OK)
        rc = WENDA_ERR_DB;
    return rc;
}

enum wenda_err
wenda_search_sounds_fill(struct wenda_search *se)
{
    struct wenda_tokenizer *tk = wenda_search_tokenizer(se);

    if (!sounds_to_fill(se->db))
        return WENDA_OK;
    if (tk == NULL)
        return WENDA_ERR_INTERNAL;
    return wenda_search_in_transaction(se, fill_sounds, tk);
}
