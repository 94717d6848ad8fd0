/*
 * search_typo.c -- the words of the topics, and the ones a misspelt query
 * word may have meant.
 *
 * Every Latin word of a topic (ASCII letters, lowercase, as written: not
 * stemmed) goes into vocab_keys under itself and under each form with one
 * letter deleted, or up to two from six letters on.  A query word of four
 * letters or more is looked up under itself and its own deletions (one,
 * or two from eight letters on): two words within that many edits share a
 * key (symmetric deletion, as SymSpell does it), so a handful of indexed
 * lookups find every candidate, however many words the topics hold, and
 * the true distance (Damerau's, with a swap of neighbours one edit) keeps
 * only the real ones.  A candidate must still be a word of some topic:
 * the index is asked for its stem (topics_terms), since words are never
 * taken out of vocab_keys but by a full import.
 *
 * Writing a topic looks up only the words this connection has not written
 * before (a set kept in memory), so an import pays for each distinct word
 * once.
 */
#include "wenda/search.h"
#include "search_impl.h"
#include "search_int.h"

#include <assert.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "wenda/tokenize.h"

#define WORD_MIN 3       /* letters of the shortest word kept */
#define WORD_MAX 24      /* and of the longest */
#define TYPO_MIN 4       /* letters of the shortest query word corrected */
#define TYPO_TWO 8       /* from here a query word may have two edits */
#define KEYS_TWO 6       /* from here a word is kept under two deletions */
#define MAX_KEYS 512
#define KEY_SLOTS 1024   /* of struct keys' index: a power of two */
#define TERM_MAX 96      /* bytes of a stemmed term looked up */

static_assert(MAX_KEYS < KEY_SLOTS / 2 + 1 && MAX_KEYS <= 65535,
              "struct keys' index must keep an empty slot");

/* The words this connection has put in vocab_keys: open addressing. */
struct word_set {
    char **slot;
    size_t cap;   /* a power of two, or 0 */
    size_t n;
};

/* The deletion keys of one word, in the order they were made, and an
 * index of them by hash (open addressing: 1 + the key's place, 0 for an
 * empty slot), since comparing each new key with all the others was
 * most of the time of a typo's look-up. */
struct keys {
    char v[MAX_KEYS][WORD_MAX + 1];
    size_t n;
    unsigned short at[KEY_SLOTS];
};

static uint64_t
hash_of(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3u;
    }
    return h;
}

/* Returns the slot of word w[0..n) in set: where it is, or the empty one
 * where it would go.  The set has room. */
static char **
set_slot(const struct word_set *set, const char *w, size_t n)
{
    size_t i = (size_t)hash_of(w, n) & (set->cap - 1);

    while (set->slot[i] != NULL &&
           (strncmp(set->slot[i], w, n) != 0 || set->slot[i][n] != '\0'))
        i = (i + 1) & (set->cap - 1);
    return &set->slot[i];
}

/* Makes room in set for one more word; -1 when out of memory. */
static int
set_grow(struct word_set *set)
{
    struct word_set bigger = {NULL, set->cap ? set->cap * 2 : 1024, 0};
    size_t i;

    if (set->cap > 0 && (set->n + 1) * 2 <= set->cap)
        return 0;
    bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot));
    if (bigger.slot == NULL)
        return -1;
    for (i = 0; i < set->cap; i++)
        if (set->slot[i] != NULL)
            *set_slot(&bigger, set->slot[i], strlen(set->slot[i])) =
                set->slot[i];
    free(set->slot);
    bigger.n = set->n;
    *set = bigger;
    return 0;
}

void
wenda_search_words_forget(struct wenda_search *se)
{
    struct word_set *set = se->words;
    size_t i;

    if (set == NULL)
        return;
    for (i = 0; i < set->cap; i++)
        free(set->slot[i]);
    free(set->slot);
    free(set);
    se->words = NULL;
}

/* Adds the key d[0..n) (NUL-terminated) to k unless it is there or k is
 * full. */
static void
add_key(struct keys *k, const char *d, size_t n)
{
    size_t i = (size_t)hash_of(d, n) & (KEY_SLOTS - 1);

    while (k->at[i] != 0) {
        if (strcmp(k->v[k->at[i] - 1], d) == 0)
            return;
        i = (i + 1) & (KEY_SLOTS - 1);
    }
    if (k->n == MAX_KEYS)
        return;
    memcpy(k->v[k->n], d, n + 1);
    k->at[i] = (unsigned short)++k->n;
}

/* Adds to k every form of w[0..n) with one to depth letters deleted, each
 * once. */
static void
add_deletions(struct keys *k, const char *w, size_t n, int depth)
{
    char d[WORD_MAX + 1];
    size_t i;

    if (depth == 0 || n <= 1)
        return;
    for (i = 0; i < n; i++) {
        /* Deleting either of two equal neighbours gives the same form. */
        if (i > 0 && w[i] == w[i - 1])
            continue;
        memcpy(d, w, i);
        memcpy(d + i, w + i + 1, n - i - 1);
        d[n - 1] = '\0';
        add_key(k, d, n - 1);
        add_deletions(k, d, n - 1, depth - 1);
    }
}

/* Sets k to w[0..n) itself and its deletions, up to depth. */
static void
keys_of(struct keys *k, const char *w, size_t n, int depth)
{
    char self[WORD_MAX + 1];

    memset(k->at, 0, sizeof(k->at));
    k->n = 0;
    memcpy(self, w, n);
    self[n] = '\0';
    add_key(k, self, n);
    add_deletions(k, w, n, depth);
}

/* Puts word w[0..n) in vocab_keys, under itself and its deletions. */
static enum wenda_err
put_word(struct wenda_search *se, const char *w, size_t n)
{
    static const char sql[] =
        "INSERT OR IGNORE INTO vocab_keys(key, word) VALUES (?1, ?2)";
    struct keys *k;
    sqlite3_stmt *s;
    enum wenda_err rc = wenda_search_slot(se, SLOT_WORD, sql, &s);
    size_t i;

    if (rc != WENDA_OK)
        return rc;
    k = malloc(sizeof(*k));
    if (k == NULL)
        return WENDA_ERR_NOMEM;
    keys_of(k, w, n, n >= KEYS_TWO ? 2 : 1);
    for (i = 0; rc == WENDA_OK && i < k->n; i++) {
        sqlite3_bind_text(s, 1, k->v[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, w, (int)n, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = WENDA_ERR_DB;
        (void)sqlite3_reset(s);
        (void)sqlite3_clear_bindings(s);
        /* The word under itself was there: so are its deletions. */
        if (i == 0 && sqlite3_changes(se->db) == 0)
            break;
    }
    free(k);
    return rc;
}

/* Remembers w[0..n) in se's set and, when it is new to the connection,
 * puts it in vocab_keys. */
static enum wenda_err
note_word(struct wenda_search *se, const char *w, size_t n)
{
    char **slot, *copy;
    enum wenda_err rc;

    if (se->words == NULL) {
        se->words = calloc(1, sizeof(*se->words));
        if (se->words == NULL)
            return WENDA_ERR_NOMEM;
    }
    if (set_grow(se->words) != 0)
        return WENDA_ERR_NOMEM;
    slot = set_slot(se->words, w, n);
    if (*slot != NULL)
        return WENDA_OK;
    rc = put_word(se, w, n);
    if (rc != WENDA_OK)
        return rc;
    copy = malloc(n + 1);
    if (copy == NULL)
        return WENDA_ERR_NOMEM;
    memcpy(copy, w, n);
    copy[n] = '\0';
    *slot = copy;
    se->words->n++;
    return WENDA_OK;
}

/* Returns the length of the run of ASCII letters at s, lowercased into w
 * (room for WORD_MAX + 1), or how far to skip when it is not one. */
static size_t
letters_at(const char *s, char *w, size_t *n)
{
    size_t i = 0;

    *n = 0;
    while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')) {
        if (*n < WORD_MAX)
            w[(*n)++] = (char)(s[i] | 0x20);
        i++;
    }
    if (i > WORD_MAX)
        *n = 0;   /* too long to be a word anyone types */
    return i > 0 ? i : 1;
}

enum wenda_err
wenda_search_words_add(struct wenda_search *se, const char *text)
{
    char w[WORD_MAX + 1];
    enum wenda_err rc = WENDA_OK;
    size_t i = 0, n;

    while (rc == WENDA_OK && text[i] != '\0') {
        i += letters_at(text + i, w, &n);
        if (n >= WORD_MIN)
            rc = note_word(se, w, n);
    }
    return rc;
}

enum wenda_err
wenda_search_words_clear(struct wenda_search *se)
{
    wenda_search_words_forget(se);
    return sqlite3_exec(se->db, "DELETE FROM vocab_keys", NULL, NULL,
                        NULL) == SQLITE_OK
               ? WENDA_OK
               : WENDA_ERR_DB;
}

/* Returns 1 when the words of the topics are listed already, or there are
 * none to list. */
static int
words_kept(sqlite3 *db)
{
    sqlite3_stmt *s;
    int kept;

    if (sqlite3_prepare_v2(db,
                           "SELECT EXISTS (SELECT 1 FROM vocab_keys) OR NOT "
                           "EXISTS (SELECT 1 FROM topics)",
                           -1, &s, NULL) != SQLITE_OK)
        return 0;
    kept = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 1;
    sqlite3_finalize(s);
    return kept;
}

/* Notes the words of every topic (wenda_search_words_fill()). */
static enum wenda_err
note_all_words(struct wenda_search *se, void *ctx)
{
    /* Checked again inside the transaction: another process may have
     * listed them since words_kept() looked. */
    static const char sql[] =
        "SELECT title, title_en, aliases, tags, answer FROM topics "
        "WHERE NOT EXISTS (SELECT 1 FROM vocab_keys)";
    sqlite3_stmt *s = NULL;
    enum wenda_err rc = WENDA_OK;
    int step = SQLITE_DONE, col;

    (void)ctx;
    if (sqlite3_prepare_v2(se->db, sql, -1, &s, NULL) != SQLITE_OK)
        rc = WENDA_ERR_DB;
    while (rc == WENDA_OK && (step = sqlite3_step(s)) == SQLITE_ROW)
        for (col = 0; rc == WENDA_OK && col < 5; col++) {
            const char *t = (const char *)sqlite3_column_text(s, col);

            if (t != NULL)
                rc = wenda_search_words_add(se, t);
        }
    if (rc == WENDA_OK && step != SQLITE_DONE)
        rc = WENDA_ERR_DB;
    sqlite3_finalize(s);
    return rc;
}

enum wenda_err
wenda_search_words_fill(struct wenda_search *se)
{
    enum wenda_err rc;

    if (words_kept(se->db))
        return WENDA_OK;
    rc = wenda_search_in_transaction(se, note_all_words, NULL);
    if (rc != WENDA_OK)
        wenda_search_words_forget(se);   /* what it noted was not kept */
    return rc;
}

/* ---- looking up a misspelt word ------------------------------------------ */

/*
 * Returns the optimal string alignment distance of a[0..na) and b[0..nb)
 * (insert, delete, substitute, swap neighbours: one edit each), or max + 1
 * once it is sure to exceed max.
 */
static int
distance(const char *a, size_t na, const char *b, size_t nb, int max)
{
    int d[WORD_MAX + 2][WORD_MAX + 2];
    size_t i, j;

    if (na > WORD_MAX || nb > WORD_MAX ||
        (na > nb ? na - nb : nb - na) > (size_t)max)
        return max + 1;
    for (i = 0; i <= na; i++)
        d[i][0] = (int)i;
    for (j = 0; j <= nb; j++)
        d[0][j] = (int)j;
    for (i = 1; i <= na; i++) {
        int row_min = max + 1;

        for (j = 1; j <= nb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = d[i - 1][j - 1] + cost;

            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
            if (v < row_min)
                row_min = v;
        }
        if (row_min > max)
            return max + 1;
    }
    return d[na][nb];
}

/* Keeps the first stemmed token of a word. */
static int
first_token(void *ctx, int flags, const char *tok, int ntok, int start,
            int end)
{
    char *out = ctx;

    (void)flags;
    (void)start;
    (void)end;
    if (ntok > TERM_MAX)
        ntok = TERM_MAX;
    memcpy(out, tok, (size_t)ntok);
    out[ntok] = '\0';
    return 1;
}

int64_t
wenda_search_term_docs(struct wenda_search *se, const char *w, size_t n)
{
    static const char sql[] = "SELECT doc FROM topics_terms WHERE term = ?1";
    struct wenda_tokenizer *tk = wenda_search_tokenizer(se);
    char term[TERM_MAX + 1] = "";
    sqlite3_stmt *s;
    int64_t docs = 0;

    if (tk == NULL || n > TERM_MAX ||
        wenda_tokenize(tk, WENDA_TOKENIZE_QUERY, w, (int)n, first_token,
                       term, NULL) != WENDA_OK ||
        term[0] == '\0' ||
        wenda_search_slot(se, SLOT_TERM, sql, &s) != WENDA_OK)
        return 0;
    sqlite3_bind_text(s, 1, term, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        docs = sqlite3_column_int64(s, 0);
    (void)sqlite3_reset(s);
    (void)sqlite3_clear_bindings(s);
    return docs;
}

/* Orders candidates: fewer edits, then the same first letter as the
 * query, then more topics, then the word. */
static int
by_likeliness(const void *pa, const void *pb)
{
    const struct wenda_typo *a = pa, *b = pb;

    if (a->edits != b->edits)
        return a->edits - b->edits;
    if (a->same_first != b->same_first)
        return b->same_first - a->same_first;
    if (a->docs != b->docs)
        return a->docs > b->docs ? -1 : 1;
    return strcmp(a->word, b->word);
}

/* Adds word (from vocab_keys) to out[0..*n) when it is within max edits
 * of w and not there yet. */
static void
consider(struct wenda_typo *out, size_t *n, size_t cap, const char *w,
         size_t nw, const char *word, int max)
{
    size_t len = strlen(word), i;
    int edits;

    if (len > WORD_MAX)
        return;
    for (i = 0; i < *n; i++)
        if (strcmp(out[i].word, word) == 0)
            return;
    edits = distance(w, nw, word, len, max);
    if (edits < 1 || edits > max || *n == cap)
        return;
    memcpy(out[*n].word, word, len + 1);
    out[*n].edits = edits;
    out[*n].same_first = word[0] == w[0];
    out[*n].docs = 0;
    (*n)++;
}

size_t
wenda_search_typos(struct wenda_search *se, const char *word, size_t nword,
                   struct wenda_typo *out, size_t cap)
{
    static const char sql[] = "SELECT word FROM vocab_keys WHERE key = ?1";
    struct wenda_typo found[WENDA_SEARCH_TYPO_SCAN];
    char w[WORD_MAX + 1];
    struct keys *k;
    sqlite3_stmt *s;
    size_t i, n = 0, kept = 0, len;
    int max;

    if (nword < TYPO_MIN || nword > WORD_MAX ||
        letters_at(word, w, &len) != nword || len != nword ||
        wenda_search_slot(se, SLOT_TYPO, sql, &s) != WENDA_OK)
        return 0;
    k = malloc(sizeof(*k));
    if (k == NULL)
        return 0;
    max = nword >= TYPO_TWO ? 2 : 1;
    keys_of(k, w, nword, max);
    for (i = 0; i < k->n; i++) {
        sqlite3_bind_text(s, 1, k->v[i], -1, SQLITE_STATIC);
        while (sqlite3_step(s) == SQLITE_ROW)
            consider(found, &n, WENDA_SEARCH_TYPO_SCAN, w, nword,
                     (const char *)sqlite3_column_text(s, 0), max);
        (void)sqlite3_reset(s);
    }
    (void)sqlite3_clear_bindings(s);
    free(k);
    /* Only words some topic still holds. */
    for (i = 0; i < n; i++) {
        found[i].docs = wenda_search_term_docs(se, found[i].word,
                                               strlen(found[i].word));
        if (found[i].docs > 0)
            found[kept++] = found[i];
    }
    qsort(found, kept, sizeof(found[0]), by_likeliness);
    if (kept > cap)
        kept = cap;
    memcpy(out, found, kept * sizeof(found[0]));
    return kept;
}
