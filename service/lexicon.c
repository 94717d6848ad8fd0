/*
 * lexicon.c -- reading and checking the synonyms and the dictionary (see
 * wenda/lexicon.h).  Every problem is named by the JSON pointer of the
 * value at fault, so that an editor finds it in a document of hundreds of
 * entries, and a check goes on past a problem, so that one answer lists
 * them all; nothing of a document with a problem is kept.
 */
#include "wenda/lexicon.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "tokenize_int.h"
#include "wenda/content.h"
#include "wenda/tokenize.h"

/* Counts the tokens a query would make of a term. */
static int
count_token(void *ctx, int flags, const char *tok, int ntok, int start,
            int end)
{
    (void)flags;
    (void)tok;
    (void)ntok;
    (void)start;
    (void)end;
    ++*(int *)ctx;
    return 0;
}

/* Frees the synonym sets of lx. */
static void
drop_sets(struct wenda_lexicon *lx)
{
    size_t i, j;

    for (i = 0; i < lx->nsets; i++) {
        for (j = 0; j < lx->sets[i].n; j++)
            free(lx->sets[i].terms[j]);
        free(lx->sets[i].terms);
    }
    free(lx->sets);
    lx->sets = NULL;
    lx->nsets = 0;
}

/* Frees the dictionary words of lx. */
static void
drop_words(struct wenda_lexicon *lx)
{
    size_t i;

    for (i = 0; i < lx->nwords; i++)
        free(lx->words[i]);
    free(lx->words);
    lx->words = NULL;
    lx->nwords = 0;
}

/*
 * Checks the term v at pointer where: a string of 1 to
 * WENDA_LEXICON_MAX_TERM bytes of UTF-8, without control characters or
 * noncharacters or blanks at its ends, holding a word (a token of tk).
 * Adds its first problem to p and returns WENDA_ERR_INVALID, or WENDA_OK.
 */
static enum wenda_err
check_term(struct wenda_tokenizer *tk, const json_t *v, const char *where,
           struct wenda_problems *p)
{
    const char *s = json_string_value(v);
    size_t n = s ? strlen(s) : 0, i;
    int tokens = 0;

    if (s == NULL || n == 0 || n > WENDA_LEXICON_MAX_TERM) {
        wenda_problems_add(p, where, "must be a string of 1 to %d bytes",
                           WENDA_LEXICON_MAX_TERM);
        return WENDA_ERR_INVALID;
    }
    if (!wenda_utf8_valid(s, n, NULL) || wenda_utf8_noncharacter(s, n)) {
        wenda_problems_add(p, where, "is not valid UTF-8 text");
        return WENDA_ERR_INVALID;
    }
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            wenda_problems_add(p, where, "holds a control character");
            return WENDA_ERR_INVALID;
        }
    if (s[0] == ' ' || s[n - 1] == ' ') {
        wenda_problems_add(p, where, "begins or ends with a blank");
        return WENDA_ERR_INVALID;
    }
    if (wenda_tokenize(tk, WENDA_TOKENIZE_QUERY, s, (int)n, count_token,
                       &tokens, NULL) != WENDA_OK ||
        tokens == 0) {
        wenda_problems_add(p, where, "'%.64s' holds no word to search for",
                           s);
        return WENDA_ERR_INVALID;
    }
    return WENDA_OK;
}

/*
 * Returns 1 when a and b are the same term, ASCII letters in any case.
 * (Every term of a set below its n is set, which clang's analyzer cannot
 * see through the calloc() of the terms; no term is NULL.)
 */
static int
same_term(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}

/* Returns 1 when a and b are the same word, byte for byte (as above). */
static int
same_word(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Returns the index of the set of lx (the first nsets) with a term equal
 * to t, skipping set skip, or -1. */
static long
set_with(const struct wenda_lexicon *lx, size_t nsets, const char *t,
         size_t skip)
{
    size_t i, j;

    for (i = 0; i < nsets; i++)
        for (j = 0; i != skip && j < lx->sets[i].n; j++)
            if (same_term(lx->sets[i].terms[j], t))
                return (long)i;
    return -1;
}

/*
 * Reads the array a of terms at pointer where into set, one_way as said:
 * 2 to WENDA_LEXICON_MAX_TERMS distinct terms (a rule's are its "to";
 * from is put first by the caller).  Each bad term is added to p, and
 * left out of set; WENDA_ERR_INVALID when there was one.
 */
static enum wenda_err
read_terms(struct wenda_tokenizer *tk, const json_t *a, const char *where,
           size_t first, struct wenda_synonyms *set,
           struct wenda_problems *p)
{
    char at[96];
    size_t i, j, n = json_array_size(a);
    enum wenda_err rc = WENDA_OK;

    if (!json_is_array(a) || n + first < 2 ||
        n + first > WENDA_LEXICON_MAX_TERMS) {
        wenda_problems_add(p, where, "must be an array of %zu to %d terms",
                           first ? (size_t)1 : (size_t)2,
                           WENDA_LEXICON_MAX_TERMS - (int)first);
        return WENDA_ERR_INVALID;
    }
    for (i = 0; i < n; i++) {
        const json_t *v = json_array_get(a, i);

        (void)snprintf(at, sizeof(at), "%s/%zu", where, i);
        if (check_term(tk, v, at, p) != WENDA_OK) {
            rc = WENDA_ERR_INVALID;
            continue;
        }
        for (j = 0; j < set->n; j++)
            if (same_term(set->terms[j], json_string_value(v)))
                break;
        if (j < set->n) {
            wenda_problems_add(p, at, "'%s' is there twice",
                               json_string_value(v));
            rc = WENDA_ERR_INVALID;
            continue;
        }
        set->terms[set->n] = strdup(json_string_value(v));
        if (set->terms[set->n] == NULL)
            return WENDA_ERR_NOMEM;
        set->n++;
    }
    return rc;
}

/*
 * Reads group g (index i) of the document into lx->sets[lx->nsets], adding
 * its problems to p.  WENDA_ERR_INVALID when it had one; WENDA_ERR_NOMEM.
 */
static enum wenda_err
read_group(struct wenda_tokenizer *tk, const json_t *g, size_t i,
           struct wenda_lexicon *lx, struct wenda_problems *p)
{
    struct wenda_synonyms *set = &lx->sets[lx->nsets];
    char where[48], at[64];
    enum wenda_err rc;
    size_t j;

    (void)snprintf(where, sizeof(where), "/groups/%zu", i);
    set->terms = calloc(WENDA_LEXICON_MAX_TERMS, sizeof(char *));
    if (set->terms == NULL)
        return WENDA_ERR_NOMEM;
    lx->nsets++;
    rc = read_terms(tk, g, where, 0, set, p);
    for (j = 0; rc != WENDA_ERR_NOMEM && j < set->n; j++)
        if (set_with(lx, lx->nsets - 1, set->terms[j], lx->nsets) >= 0) {
            /* The index of the term in the body: a bad one before it is
             * left out of set. */
            size_t k;

            for (k = 0; k < json_array_size(g) &&
                        !same_word(json_string_value(json_array_get(g, k)),
                                   set->terms[j]);
                 k++)
                ;
            (void)snprintf(at, sizeof(at), "%s/%zu", where, k);
            wenda_problems_add(p, at, "'%s' is in another group too; merge "
                               "the two", set->terms[j]);
            rc = WENDA_ERR_INVALID;
        }
    return rc;
}

/*
 * Reads rule r (index i) of the document into lx->sets[lx->nsets], adding
 * its problems to p.  WENDA_ERR_INVALID when it had one; WENDA_ERR_NOMEM.
 */
static enum wenda_err
read_rule(struct wenda_tokenizer *tk, const json_t *r, size_t i,
          struct wenda_lexicon *lx, struct wenda_problems *p)
{
    struct wenda_synonyms *set = &lx->sets[lx->nsets];
    const char *key;
    json_t *v;
    char where[48], at[64];
    enum wenda_err rc = WENDA_OK, to;

    (void)snprintf(where, sizeof(where), "/rules/%zu", i);
    if (!json_is_object(r)) {
        wenda_problems_add(p, where, "must be an object {\"from\", \"to\"}");
        return WENDA_ERR_INVALID;
    }
    json_object_foreach((json_t *)(uintptr_t)r, key, v)
        if (strcmp(key, "from") != 0 && strcmp(key, "to") != 0) {
            wenda_problems_add(p, where, "unknown field '%.40s'", key);
            rc = WENDA_ERR_INVALID;
        }
    set->terms = calloc(WENDA_LEXICON_MAX_TERMS, sizeof(char *));
    if (set->terms == NULL)
        return WENDA_ERR_NOMEM;
    set->one_way = 1;
    lx->nsets++;
    /* A bad "from" leaves terms[0] NULL, so that "to" is still read. */
    set->n = 1;
    (void)snprintf(at, sizeof(at), "%s/from", where);
    if (check_term(tk, json_object_get(r, "from"), at, p) != WENDA_OK) {
        rc = WENDA_ERR_INVALID;
    } else {
        set->terms[0] = strdup(json_string_value(json_object_get(r, "from")));
        if (set->terms[0] == NULL)
            return WENDA_ERR_NOMEM;
    }
    (void)snprintf(at, sizeof(at), "%s/to", where);
    to = read_terms(tk, json_object_get(r, "to"), at, 1, set, p);
    return to != WENDA_OK ? to : rc;
}

#define NO_RULE ((size_t)-1)

/*
 * Follows the one-way rules of lx (lx->sets[first..nsets)) depth first
 * from rule i: each leads on to every rule whose "from" is one of its
 * "to".  state holds, for each rule, 0 (not reached yet), 1 (on the path
 * followed) or 2 (followed to its end, with no loop).  Returns the rule a
 * loop comes back to, or NO_RULE.
 */
static size_t
find_loop(const struct wenda_lexicon *lx, size_t first, unsigned char *state,
          size_t i)
{
    const struct wenda_synonyms *r = &lx->sets[i];
    size_t j, k, back;

    state[i - first] = 1;
    for (j = 1; j < r->n; j++)
        for (k = first; k < lx->nsets; k++) {
            if (state[k - first] == 2 ||
                !same_term(lx->sets[k].terms[0], r->terms[j]))
                continue;
            if (state[k - first] == 1)
                return k;
            back = find_loop(lx, first, state, k);
            if (back != NO_RULE)
                return back;
        }
    state[i - first] = 2;
    return NO_RULE;
}

/*
 * Checks that no one-way rule of lx leads back to where it starts, however
 * long the way: each rule is followed once, so that the time grows with
 * the rules and their terms, not with the ways through them.
 */
static enum wenda_err
check_cycles(const struct wenda_lexicon *lx, size_t first_rule,
             struct wenda_problems *p)
{
    unsigned char *state = calloc(lx->nsets - first_rule + 1, 1);
    size_t i, back = NO_RULE;
    char at[48];

    if (state == NULL)
        return WENDA_ERR_NOMEM;
    for (i = first_rule; back == NO_RULE && i < lx->nsets; i++)
        if (state[i - first_rule] == 0)
            back = find_loop(lx, first_rule, state, i);
    free(state);
    if (back == NO_RULE)
        return WENDA_OK;
    (void)snprintf(at, sizeof(at), "/rules/%zu", back - first_rule);
    wenda_problems_add(p, at, "'%s' leads back to itself through the "
                       "one-way rules; make them a group",
                       lx->sets[back].terms[0]);
    return WENDA_ERR_INVALID;
}

/*
 * Checks the top level of a document: an object (else WENDA_ERR_INVALID),
 * each key of it one of the known ones (each other one is added to p).
 */
static enum wenda_err
check_keys(const json_t *doc, const char *const *known, size_t n,
           struct wenda_problems *p)
{
    const char *key;
    json_t *v;
    size_t i;

    if (!json_is_object(doc)) {
        wenda_problems_add(p, "", "the body must be a JSON object");
        return WENDA_ERR_INVALID;
    }
    json_object_foreach((json_t *)(uintptr_t)doc, key, v) {
        for (i = 0; i < n && strcmp(key, known[i]) != 0; i++)
            ;
        if (i == n)
            wenda_problems_add_member(p, "", key, "unknown field");
    }
    return WENDA_OK;
}

/* Checks that v, at where, is an array of at most max entries (absent is
 * an empty one); returns 1, or 0 after adding the problem to p. */
static int
check_array(const json_t *v, const char *where, size_t max,
            struct wenda_problems *p)
{
    if (v != NULL && (!json_is_array(v) || json_array_size(v) > max)) {
        wenda_problems_add(p, where, "must be an array of at most %zu "
                           "entries", max);
        return 0;
    }
    return 1;
}

/* The outcome of a check that added to p what it found past before. */
static enum wenda_err
outcome(enum wenda_err rc, const struct wenda_problems *p, size_t before)
{
    if (rc == WENDA_ERR_NOMEM || p->nomem)
        return WENDA_ERR_NOMEM;
    return wenda_problems_count(p) > before ? WENDA_ERR_INVALID : WENDA_OK;
}

enum wenda_err
wenda_lexicon_read_synonyms(struct wenda_tokenizer *tk, const json_t *syn,
                            struct wenda_lexicon *out,
                            struct wenda_problems *p)
{
    static const char *const known[] = {"groups", "rules"};
    const json_t *groups = json_object_get(syn, "groups");
    const json_t *rules = json_object_get(syn, "rules");
    size_t before = wenda_problems_count(p), i, first_rule, ng, nr;
    enum wenda_err rc = WENDA_OK;

    if (syn == NULL)
        return WENDA_OK;
    if (check_keys(syn, known, 2, p) != WENDA_OK)
        return outcome(WENDA_OK, p, before);
    ng = check_array(groups, "/groups", WENDA_LEXICON_MAX_GROUPS, p)
             ? json_array_size(groups) : 0;
    nr = check_array(rules, "/rules", WENDA_LEXICON_MAX_GROUPS, p)
             ? json_array_size(rules) : 0;
    out->sets = calloc(ng + nr + 1, sizeof(*out->sets));
    if (out->sets == NULL)
        return WENDA_ERR_NOMEM;
    for (i = 0; rc != WENDA_ERR_NOMEM && i < ng; i++)
        rc = read_group(tk, json_array_get(groups, i), i, out, p);
    first_rule = out->nsets;
    for (i = 0; rc != WENDA_ERR_NOMEM && i < nr; i++)
        rc = read_rule(tk, json_array_get(rules, i), i, out, p);
    /* The rules' ways are only followed through rules that are whole. */
    if (outcome(rc, p, before) == WENDA_OK)
        rc = check_cycles(out, first_rule, p);
    rc = outcome(rc, p, before);
    if (rc != WENDA_OK)
        drop_sets(out);
    return rc;
}

/* Checks the dictionary word s at where: 2 to WENDA_LEXICON_MAX_WORD Han
 * characters; adds its problem to p and returns 0, or returns 1. */
static int
check_word(const char *s, const char *where, struct wenda_problems *p)
{
    size_t n = s ? strlen(s) : 0, i = 0, count = 0;
    utf8proc_int32_t c;

    while (s != NULL && i < n) {
        utf8proc_ssize_t len = utf8proc_iterate(
            (const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &c);

        if (len <= 0 || !wenda_tokenize_is_han(c))
            break;
        i += (size_t)len;
        count++;
    }
    if (s == NULL || i < n || count < 2 || count > WENDA_LEXICON_MAX_WORD) {
        wenda_problems_add(p, where, "must be a word of 2 to %d Chinese "
                           "characters", WENDA_LEXICON_MAX_WORD);
        return 0;
    }
    return 1;
}

enum wenda_err
wenda_lexicon_read_dictionary(const json_t *dict, struct wenda_lexicon *out,
                              struct wenda_problems *p)
{
    static const char *const known[] = {"words"};
    const json_t *words = json_object_get(dict, "words");
    size_t before = wenda_problems_count(p), i, j, n;
    char where[48];
    enum wenda_err rc;

    if (dict == NULL)
        return WENDA_OK;
    if (check_keys(dict, known, 1, p) != WENDA_OK)
        return outcome(WENDA_OK, p, before);
    n = check_array(words, "/words", WENDA_LEXICON_MAX_WORDS, p)
            ? json_array_size(words) : 0;
    out->words = calloc(n + 1, sizeof(char *));
    if (out->words == NULL)
        return WENDA_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        const char *w = json_string_value(json_array_get(words, i));

        (void)snprintf(where, sizeof(where), "/words/%zu", i);
        if (!check_word(w, where, p))
            continue;
        for (j = 0; j < out->nwords && !same_word(out->words[j], w); j++)
            ;
        if (j < out->nwords) {
            wenda_problems_add(p, where, "'%s' is there twice", w);
            continue;
        }
        out->words[out->nwords] = strdup(w);
        if (out->words[out->nwords] == NULL)
            break;
        out->nwords++;
    }
    rc = outcome(i < n ? WENDA_ERR_NOMEM : WENDA_OK, p, before);
    if (rc != WENDA_OK)
        drop_words(out);
    return rc;
}

/* Keeps the first problem of p, after its pointer, in msg. */
static enum wenda_err
first_problem(enum wenda_err rc, struct wenda_problems *p, char *msg,
              size_t msgcap)
{
    wenda_problems_first(p, 1, msg, msgcap);
    wenda_problems_cleanup(p);
    return rc;
}

enum wenda_err
wenda_lexicon_synonyms(struct wenda_tokenizer *tk, const json_t *syn,
                       struct wenda_lexicon *out, char *msg, size_t msgcap)
{
    struct wenda_problems p = {0};

    return first_problem(wenda_lexicon_read_synonyms(tk, syn, out, &p), &p,
                         msg, msgcap);
}

enum wenda_err
wenda_lexicon_dictionary(const json_t *dict, struct wenda_lexicon *out,
                         char *msg, size_t msgcap)
{
    struct wenda_problems p = {0};

    return first_problem(wenda_lexicon_read_dictionary(dict, out, &p), &p,
                         msg, msgcap);
}

void
wenda_lexicon_cleanup(struct wenda_lexicon *lx)
{
    if (lx == NULL)
        return;
    drop_sets(lx);
    drop_words(lx);
}
