/*
 * search_lexicon.c -- the editors' synonyms and dictionary (wenda/lexicon.h)
 * as a search uses them.
 *
 * A synonym term is matched against the words of a query as the query
 * builder cuts them (search_query.c): its key is its chunks, lowercased
 * and joined by US (0x1f), so "keep-alive" and "Keep Alive" are one key.
 * The keys are sorted once when the lexicon is loaded, and a query looks
 * up each run of one to four of its words.  The dictionary's words are
 * sorted too; their pinyin is read once, the first time an input-method
 * slip is looked for.
 */
#include "wenda/search.h"
#include "search_impl.h"
#include "search_int.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "wenda/lexicon.h"
#include "wenda/tokenize.h"

/* A synonym term's key, and the set of the lexicon it stands for. */
struct syn_key {
    char *key;
    size_t set;
};

struct wenda_search_lexicon {
    struct wenda_lexicon lx;    /* owned */
    struct syn_key *keys;       /* sorted by key */
    size_t nkeys;
    char **syllables;           /* of each dictionary word, or NULL */
    int syllables_read;
};

/* Appends to b the key of chunks[from..to) of s: each lowercased, joined
 * by US. */
static void
key_of_chunks(const char *s, const struct chunk *chunks, size_t from,
              size_t to, struct buf *b)
{
    size_t i, j;

    for (i = from; i < to; i++) {
        if (i > from)
            wenda_buf_add(b, "\x1f", 1);
        for (j = chunks[i].start; j < chunks[i].end; j++) {
            char c = s[j];

            if (c >= 'A' && c <= 'Z')
                c = (char)(c | 0x20);
            wenda_buf_add(b, &c, 1);
        }
    }
}

static int
by_key(const void *a, const void *b)
{
    return strcmp(((const struct syn_key *)a)->key,
                  ((const struct syn_key *)b)->key);
}

static int
by_word(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the key of term t, of set, to x; 0, or -1 when out of memory. */
static int
add_key(struct wenda_search_lexicon *x, const char *t, size_t set)
{
    struct chunk_list chunks;
    struct buf b = {0};

    if (wenda_search_cut(t, strlen(t), &chunks) != 0 || chunks.n == 0 ||
        chunks.n > WENDA_SEARCH_SYNONYM_WORDS)
        return 0;   /* a term no query could match: left out */
    key_of_chunks(t, chunks.v, 0, chunks.n, &b);
    x->keys[x->nkeys].key = wenda_buf_take(&b, NULL);
    if (x->keys[x->nkeys].key == NULL)
        return -1;
    x->keys[x->nkeys++].set = set;
    return 0;
}

void
wenda_search_lexicon_free(struct wenda_search_lexicon *x)
{
    size_t i;

    if (x == NULL)
        return;
    for (i = 0; x->keys != NULL && i < x->nkeys; i++)
        free(x->keys[i].key);
    free(x->keys);
    for (i = 0; x->syllables != NULL && i < x->lx.nwords; i++)
        free(x->syllables[i]);
    free(x->syllables);
    wenda_lexicon_cleanup(&x->lx);
    free(x);
}

enum wenda_err
wenda_search_set_lexicon(struct wenda_search *se, struct wenda_lexicon *lx)
{
    struct wenda_search_lexicon *x = calloc(1, sizeof(*x));
    size_t i, j, nterms = 0;

    if (x == NULL) {
        wenda_lexicon_cleanup(lx);
        return WENDA_ERR_NOMEM;
    }
    x->lx = *lx;
    memset(lx, 0, sizeof(*lx));
    for (i = 0; i < x->lx.nsets; i++)
        nterms += x->lx.sets[i].n;
    x->keys = calloc(nterms + 1, sizeof(*x->keys));
    if (x->keys == NULL) {
        wenda_search_lexicon_free(x);
        return WENDA_ERR_NOMEM;
    }
    /* Every term of a group stands for it; only the first of a rule. */
    for (i = 0; i < x->lx.nsets; i++)
        for (j = 0; j < (x->lx.sets[i].one_way ? 1 : x->lx.sets[i].n); j++)
            if (add_key(x, x->lx.sets[i].terms[j], i) != 0) {
                wenda_search_lexicon_free(x);
                return WENDA_ERR_NOMEM;
            }
    if (x->nkeys > 1)
        qsort(x->keys, x->nkeys, sizeof(*x->keys), by_key);
    if (x->lx.nwords > 1)
        qsort(x->lx.words, x->lx.nwords, sizeof(char *), by_word);
    wenda_search_lexicon_free(se->lex);
    se->lex = x;
    return WENDA_OK;
}

/* Adds to alts[0..*n) the terms of set other than the one whose key is
 * key, each once. */
static void
add_alternatives(const struct wenda_synonyms *set, const char *key,
                 const char **alts, size_t *n, size_t cap)
{
    size_t i, j;

    for (i = set->one_way ? 1 : 0; i < set->n && *n < cap; i++) {
        if (strcasecmp(set->terms[i], key) == 0)
            continue;
        for (j = 0; j < *n && strcmp(alts[j], set->terms[i]) != 0; j++)
            ;
        if (j == *n)
            alts[(*n)++] = set->terms[i];
    }
}

size_t
wenda_search_synonyms_at(const struct wenda_search *se, const char *q,
                         const struct chunk_list *chunks, size_t at,
                         const char **alts, size_t *nalts, size_t cap)
{
    const struct wenda_search_lexicon *x = se ? se->lex : NULL;
    size_t span, i;

    *nalts = 0;
    if (x == NULL || x->nkeys == 0)
        return 0;
    for (span = WENDA_SEARCH_SYNONYM_WORDS; span >= 1; span--) {
        struct buf b = {0};
        struct syn_key probe, *hit;

        if (at + span > chunks->n)
            continue;
        key_of_chunks(q, chunks->v, at, at + span, &b);
        if (wenda_buf_failed(&b) || b.p == NULL) {
            wenda_buf_cleanup(&b);
            continue;
        }
        probe.key = b.p;
        hit = bsearch(&probe, x->keys, x->nkeys, sizeof(*x->keys), by_key);
        /* The neighbours of a hit may be other sets of the same key. */
        while (hit != NULL && hit > x->keys && strcmp(hit[-1].key, b.p) == 0)
            hit--;
        for (i = 0; hit != NULL && hit + i < x->keys + x->nkeys &&
                    strcmp(hit[i].key, b.p) == 0;
             i++)
            add_alternatives(&x->lx.sets[hit[i].set], b.p, alts, nalts, cap);
        wenda_buf_cleanup(&b);
        if (*nalts > 0)
            return span;
    }
    return 0;
}

int
wenda_search_dictionary_has(const struct wenda_search *se, const char *s,
                            size_t n)
{
    const struct wenda_search_lexicon *x = se ? se->lex : NULL;
    char word[WENDA_LEXICON_MAX_WORD * 4 + 1];
    const char *probe = word;

    if (x == NULL || x->lx.nwords == 0 || n >= sizeof(word))
        return 0;
    memcpy(word, s, n);
    word[n] = '\0';
    return bsearch(&probe, x->lx.words, x->lx.nwords, sizeof(char *),
                   by_word) != NULL;
}

size_t
wenda_search_dictionary(struct wenda_search *se, const char *const **words,
                        const char *const **syllables)
{
    struct wenda_search_lexicon *x = se->lex;
    struct wenda_tokenizer *tk = wenda_search_tokenizer(se);
    size_t i;

    if (x == NULL || x->lx.nwords == 0)
        return 0;
    if (!x->syllables_read && tk != NULL) {
        x->syllables_read = 1;
        x->syllables = calloc(x->lx.nwords, sizeof(char *));
        for (i = 0; x->syllables != NULL && i < x->lx.nwords; i++)
            if (wenda_tokenizer_pinyin(tk, x->lx.words[i],
                                       (int)strlen(x->lx.words[i]),
                                       &x->syllables[i]) != WENDA_OK)
                x->syllables[i] = NULL;
    }
    if (x->syllables == NULL)
        return 0;
    *words = (const char *const *)x->lx.words;
    *syllables = (const char *const *)x->syllables;
    return x->lx.nwords;
}
