/*
 * search.c -- the safe query builder, ranking and snippets.
 *
 * Safety comes from never letting user text be FTS5 syntax: the query is
 * cut into chunks of letters, digits and Han characters (anything else
 * separates chunks and is dropped), and each chunk is written as an FTS5
 * string in double quotes.  FTS5 passes the string to wenda's tokenizer,
 * which turns it into the same tokens the index holds, so a chunk matches
 * as a phrase: "进程间通信" must appear as such, not as five characters
 * anywhere.  Chunks are split where Latin letters meet Han characters
 * ("Django优点" is "Django" and "优点"), since mixed text seldom keeps its
 * exact spacing.
 *
 * A search tries the strict form first (every chunk), and falls back to
 * any token of the query only when nothing matched, so that a long or
 * partly wrong query still finds something.  Topics whose title, aliases
 * or pinyin hold the whole query are ranked first, then bm25 decides.
 *
 * Ranking is FTS5's own (ORDER BY rank with wenda_rank() as the rank
 * function), so snippets are only made for the rows returned, by
 * wenda_snippet(), which writes HTML directly: text escaped, matches in
 * <mark>, so a front end can insert the snippet as it is.
 */
#include "wenda/search.h"

#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "buf.h"
#include "core_int.h"
#include "tokenize_int.h"
#include "wenda/content.h"
#include "wenda/tokenize.h"

#define SNIPPET_TOKENS 32
/* A Latin word at the end of a query also finds the words it begins, once
 * its last token has this many bytes: a shorter prefix matches too many
 * words ("C10K" ends in the token "k", and "k*" would merge the lists of
 * every pinyin syllable that starts with k). */
#define PREFIX_MIN 3

enum cls { C_SEP, C_LATIN, C_HAN, C_NEUTRAL };

static enum cls
classify(utf8proc_int32_t c)
{
    utf8proc_category_t cat;

    if (wenda_tokenize_is_han(c))
        return C_HAN;
    cat = utf8proc_category(c);
    switch (cat) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        return C_LATIN;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
        return C_NEUTRAL;
    default:
        return C_SEP;
    }
}

struct chunk {
    size_t start, end;
    int latin_only;   /* letters and digits, no Han: may be a prefix */
    int last_token;   /* bytes of its last token */
};

struct chunk_list {
    struct chunk v[WENDA_SEARCH_MAX_CHUNKS];
    size_t n;
};

/* Cuts q into chunks; returns -1 when there are too many. */
static int
cut(const char *q, size_t n, struct chunk_list *out)
{
    size_t i = 0, start = 0;
    enum cls run = C_SEP;   /* class of the current chunk's letters */
    int in_chunk = 0, has_han = 0;

    out->n = 0;
    while (i <= n) {
        utf8proc_int32_t c = -1;
        utf8proc_ssize_t len = 1;
        enum cls k = C_SEP;

        if (i < n) {
            len = utf8proc_iterate((const utf8proc_uint8_t *)q + i,
                                   (utf8proc_ssize_t)(n - i), &c);
            if (len <= 0) {
                len = 1;
                c = -1;
            }
            k = c < 0 ? C_SEP : classify(c);
        }
        if (in_chunk && (k == C_SEP || (k != C_NEUTRAL && run != C_SEP &&
                                        k != run))) {
            if (out->n == WENDA_SEARCH_MAX_CHUNKS)
                return -1;
            out->v[out->n].start = start;
            out->v[out->n].end = i;
            out->v[out->n].latin_only = !has_han;
            out->n++;
            in_chunk = 0;
        }
        if (k != C_SEP) {
            if (!in_chunk) {
                in_chunk = 1;
                start = i;
                run = C_SEP;
                has_han = 0;
            }
            if (k != C_NEUTRAL)
                run = k;
            if (k == C_HAN)
                has_han = 1;
        }
        i += (size_t)len;
    }
    return 0;
}

struct count_ctx {
    int n;
    int last;   /* bytes of the last token */
};

static int
count_token(void *ctx, int flags, const char *tok, int ntok, int start,
            int end)
{
    struct count_ctx *c = ctx;

    (void)flags;
    (void)tok;
    (void)ntok;
    c->n++;
    c->last = end - start;
    return 0;
}

/* Appends s[0..n) as an FTS5 string: in double quotes, quotes doubled. */
static void
add_quoted(struct buf *b, const char *s, size_t n)
{
    size_t i;

    buf_add(b, "\"", 1);
    for (i = 0; i < n; i++) {
        if (s[i] == '"')
            buf_add(b, "\"", 1);
        buf_add(b, s + i, 1);
    }
    buf_add(b, "\"", 1);
}

struct any_ctx {
    const char *q;
    struct buf *b;
    struct wenda_strv seen;   /* spans already written, to skip twins */
    size_t cap;
    int failed;
};

static int
add_any_token(void *vctx, int flags, const char *tok, int ntok, int start,
              int end)
{
    struct any_ctx *a = vctx;
    size_t i, n = (size_t)(end - start);
    char *span;

    (void)flags;
    (void)tok;
    (void)ntok;
    for (i = 0; i < a->seen.n; i++)
        if (strlen(a->seen.v[i]) == n &&
            memcmp(a->seen.v[i], a->q + start, n) == 0)
            return 0;
    if (buf_reserve(&a->seen.v, &a->cap, a->seen.n, sizeof(char *), 16) !=
        0) {
        a->failed = 1;
        return 1;
    }
    span = strndup(a->q + start, n);
    if (span == NULL) {
        a->failed = 1;
        return 1;
    }
    a->seen.v[a->seen.n++] = span;
    if (a->b->n > 0)
        buf_adds(a->b, " OR ");
    add_quoted(a->b, a->q + start, n);
    return 0;
}

/* The chunk of each phrase of a MATCH expression, as wenda_rank() reads it. */
struct phrase_map {
    int chunk[WENDA_SEARCH_MAX_CHUNKS + 1];
    int n;
};

/*
 * wenda_search_build(), also writing to map (when not NULL) the chunk of
 * each phrase of the expression, as wenda_rank() reads it, and to *exact
 * (when exact is not NULL; WENDA_SEARCH_ALL only) the same expression
 * without its prefix alternative: every chunk as one phrase.
 */
static enum wenda_err
build(struct wenda_tokenizer *tk, const char *q, size_t n,
      enum wenda_search_level level, char **match, char **exact,
      struct phrase_map *map, char *msg, size_t msgcap)
{
    struct chunk_list chunks;
    struct buf b = {0}, e = {0};
    size_t i, kept = 0, last = 0;
    unsigned long nonchar;
    enum wenda_err rc;

    *match = NULL;
    if (exact != NULL)
        *exact = NULL;
    if (n > WENDA_SEARCH_MAX_QUERY) {
        (void)snprintf(msg, msgcap, "query parameter 'q' is longer than %d "
                       "bytes", WENDA_SEARCH_MAX_QUERY);
        return WENDA_ERR_INVALID;
    }
    if (!wenda_utf8_valid(q, n, NULL)) {
        (void)snprintf(msg, msgcap, "query parameter 'q' is not valid "
                       "UTF-8 text");
        return WENDA_ERR_INVALID;
    }
    nonchar = wenda_utf8_noncharacter(q, n);
    if (nonchar != 0) {
        (void)snprintf(msg, msgcap, "query parameter 'q' holds U+%04lX, a "
                       "Unicode noncharacter", nonchar);
        return WENDA_ERR_INVALID;
    }
    if (cut(q, n, &chunks) != 0) {
        (void)snprintf(msg, msgcap, "query parameter 'q' has more than %d "
                       "words", WENDA_SEARCH_MAX_CHUNKS);
        return WENDA_ERR_INVALID;
    }
    /* Keep the chunks that hold at least one token. */
    for (i = 0; i < chunks.n; i++) {
        struct count_ctx cc = {0};

        rc = wenda_tokenize(tk, WENDA_TOKENIZE_QUERY, q + chunks.v[i].start,
                            (int)(chunks.v[i].end - chunks.v[i].start),
                            count_token, &cc, NULL);
        if (rc != WENDA_OK)
            return rc;
        if (cc.n > 0) {
            chunks.v[i].last_token = cc.last;
            chunks.v[kept++] = chunks.v[i];
            last = kept - 1;
        }
    }
    chunks.n = kept;
    if (chunks.n == 0) {
        (void)snprintf(msg, msgcap, "query parameter 'q' must contain at "
                       "least one word");
        return WENDA_ERR_INVALID;
    }
    if (level == WENDA_SEARCH_ANY) {
        struct any_ctx a = {q, &b, {NULL, 0}, 0, 0};

        rc = wenda_tokenize(tk, WENDA_TOKENIZE_QUERY, q, (int)n,
                            add_any_token, &a, NULL);
        wenda_strv_cleanup(&a.seen);
        if (rc == WENDA_OK && a.failed)
            rc = WENDA_ERR_NOMEM;
        if (rc != WENDA_OK) {
            buf_cleanup(&b);
            return rc;
        }
    } else {
        for (i = 0; i < chunks.n; i++) {
            const struct chunk *c = &chunks.v[i];
            int twice = i == last && c->latin_only &&
                        c->last_token >= PREFIX_MIN;

            if (exact != NULL) {
                if (i > 0)
                    buf_adds(&e, " AND ");
                add_quoted(&e, q + c->start, c->end - c->start);
            }
            if (i > 0)
                buf_adds(&b, " AND ");
            if (twice) {
                buf_adds(&b, "(");
                add_quoted(&b, q + c->start, c->end - c->start);
                buf_adds(&b, " OR ");
                add_quoted(&b, q + c->start, c->end - c->start);
                buf_adds(&b, "*)");
            } else {
                add_quoted(&b, q + c->start, c->end - c->start);
            }
            if (map != NULL) {
                map->chunk[map->n++] = (int)i;
                if (twice)
                    map->chunk[map->n++] = (int)i;
            }
        }
    }
    *match = buf_take(&b, NULL);
    if (exact != NULL) {
        *exact = buf_take(&e, NULL);
        if (*exact == NULL) {
            free(*match);
            *match = NULL;
        }
    }
    return *match ? WENDA_OK : WENDA_ERR_NOMEM;
}

enum wenda_err
wenda_search_build(struct wenda_tokenizer *tk, const char *q, size_t n,
                   enum wenda_search_level level, char **match, char *msg,
                   size_t msgcap)
{
    return build(tk, q, n, level, match, NULL, NULL, msg, msgcap);
}

/* ---- whole-title keys ------------------------------------------------- */

static int
add_key_token(void *ctx, int flags, const char *tok, int ntok, int start,
              int end)
{
    struct buf *b = ctx;

    (void)start;
    (void)end;
    if (flags & WENDA_TOKEN_COLOCATED)
        return 0;
    if (b->n > 0)
        buf_add(b, " ", 1);
    buf_add(b, tok, (size_t)ntok);
    return 0;
}

/*
 * Writes the key of text to out: its tokens (as a query sees them, without
 * colocated alternatives) joined by spaces, so that "ＧＩＬ 锁", "gil锁"
 * and "GIL 鎖" share one key.
 */
static enum wenda_err
key_of(struct wenda_tokenizer *tk, const char *text, size_t n,
       struct buf *out)
{
    enum wenda_err rc;

    buf_reset(out);
    rc = wenda_tokenize(tk, WENDA_TOKENIZE_QUERY, text, (int)n,
                        add_key_token, out, NULL);
    if (rc == WENDA_OK && buf_failed(out))
        rc = WENDA_ERR_NOMEM;
    return rc;
}

/* ---- the pinyin column ------------------------------------------------- */

/*
 * Appends to col the pinyin of every Han run of text: each syllable, and
 * every concatenation of two to four consecutive syllables and of the whole
 * run, so that "lajihuishou" finds 垃圾回收 inside 中的垃圾回收机制.  When
 * whole is not NULL, the run concatenations are also appended to it
 * without spaces (the title's pinyin key).
 */
static enum wenda_err
add_pinyin(struct wenda_tokenizer *tk, const char *text, struct buf *col,
           struct buf *whole)
{
    size_t i = 0, n = strlen(text);

    while (i < n) {
        utf8proc_int32_t c;
        utf8proc_ssize_t len;
        size_t start = i, k, j, nsyl = 0;
        char *py = NULL, *save = NULL, *tok;
        char *syl[256];
        enum wenda_err rc;

        len = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                               (utf8proc_ssize_t)(n - i), &c);
        if (len <= 0 || !wenda_tokenize_is_han(c)) {
            i += len <= 0 ? 1 : (size_t)len;
            continue;
        }
        while (i < n && (len = utf8proc_iterate(
                             (const utf8proc_uint8_t *)text + i,
                             (utf8proc_ssize_t)(n - i), &c)) > 0 &&
               wenda_tokenize_is_han(c))
            i += (size_t)len;
        rc = wenda_tokenizer_pinyin(tk, text + start, i - start, &py);
        if (rc != WENDA_OK)
            return rc;
        /* "joined s1 s2 ..." for several syllables, "s" for one. */
        for (tok = strtok_r(py, " ", &save); tok != NULL && nsyl < 256;
             tok = strtok_r(NULL, " ", &save))
            syl[nsyl++] = tok;
        if (nsyl > 1) {
            memmove(syl, syl + 1, (nsyl - 1) * sizeof(char *));
            nsyl--;
        }
        for (k = 0; k < nsyl; k++) {
            for (j = k; j < nsyl && (j - k < 4 || (k == 0 && j == nsyl - 1));
                 j++) {
                size_t m;

                if (j - k >= 4 && !(k == 0 && j == nsyl - 1))
                    continue;
                if (col->n > 0)
                    buf_add(col, " ", 1);
                for (m = k; m <= j; m++)
                    buf_adds(col, syl[m]);
            }
            if (whole != NULL)
                buf_adds(whole, syl[k]);
        }
        free(py);
    }
    return buf_failed(col) || (whole && buf_failed(whole)) ? WENDA_ERR_NOMEM
                                                          : WENDA_OK;
}

/* A topic whose whole title (weight 2) or alias (weight 1) is the query. */
#define MAX_EXACT 32
struct exact_hit {
    int64_t id;
    int weight;
};

/*
 * The full-text columns of topics_fts, in their order.  The category is
 * one token (WENDA_TOKEN_VERBATIM and the slug) that only a filter asks
 * for and that ranking leaves out (see doc_tokens()).
 */
enum {
    COL_TITLE, COL_ALIASES, COL_PINYIN, COL_TAGS, COL_ANSWER, COL_CATEGORY,
    NCOLS
};

/* The most matches a snippet (of the answer column) marks. */
#define SNIP_MAX_MARKS 64

struct span {
    int start, end;
};

/*
 * The matches in the answer of one of the best rows a search has scored so
 * far (see snip_keep()): the token positions, first to last, of the
 * matches its snippet marks, or n = -1 when they must be read again.
 */
struct snip_row {
    int64_t rowid;
    double rank;
    int n;
    struct span marks[SNIP_MAX_MARKS];
};
struct snip_cache;

/* The search state of a connection (see wenda_search_register()). */
struct rank_params {
    sqlite3 *db;
    sqlite3_stmt *keys;     /* title_keys lookup, prepared on first use */
    sqlite3_stmt *ins_fts;  /* the index's writes, prepared on first use */
    sqlite3_stmt *ins_key;
    sqlite3_stmt *del_fts;
    sqlite3_stmt *del_key;
    const char *key;        /* the query's key; NULL outside a search */
    const int *chunk;       /* chunk of each phrase; NULL: one each */
    int nchunk_map;
    int idf;
    int skip;               /* leading phrases that only filter */
    int64_t cap;            /* candidates per search; 0: every match */
    int64_t count;          /* matches counted for a total; 0: all */
    int nidf;               /* idf_of[] holds the current query's; -1: not */
    double idf_of[64];      /* MAX_PHRASES */
    int nexact;             /* exact[] holds the current query's; -1: not */
    struct exact_hit exact[MAX_EXACT];
    int64_t scored;         /* rows wenda_rank() scored in this search, */
    int64_t scored_exact;   /* ... and how many of them by their title */
    struct snip_cache *snip_cache; /* wenda_snippet()'s */
    struct snip_row snip[WENDA_SEARCH_MAX_LIMIT]; /* the best so far */
    unsigned int snip_want; /* rows to keep in snip[]; 0: none */
    unsigned int snip_n;    /* rows kept */
    unsigned int snip_worst; /* the last of them once snip_n == snip_want */
    int snip_prefix;        /* phrase of the prefix alternative; -1: none */
    uint32_t *ntok;         /* tokens of topic id + 1 (0: not known yet) */
    size_t nntok;           /* entries of ntok[] */
    unsigned int ntok_version; /* the database's version ntok[] is of */
    int ntok_usable;        /* 0: the version cannot be read, no cache */
};

/* ---- writing the index ------------------------------------------------- */

/*
 * Gives the connection's statement *slot for sql, preparing it on first
 * use: an import writes the index once per topic, and preparing these
 * statements each time would cost as much as running them.
 */
static sqlite3_stmt *
index_stmt(struct wenda_store *st, sqlite3_stmt **slot, const char *sql)
{
    if (*slot == NULL &&
        sqlite3_prepare_v3(wenda_store_db(st), sql, -1,
                           SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK)
        return NULL;
    return *slot;
}

/* Steps s once, then resets it and clears its bindings. */
static enum wenda_err
step_once(sqlite3_stmt *s)
{
    int step = sqlite3_step(s);

    (void)sqlite3_reset(s);
    (void)sqlite3_clear_bindings(s);
    return step == SQLITE_DONE ? WENDA_OK : WENDA_ERR_DB;
}

/*
 * The index row of one topic, ready to be written: the text of each
 * full-text column, optionally its tokens, and the whole-title keys in the
 * order they are inserted (a key met twice keeps its larger weight).
 */
struct wenda_search_row {
    char *col[NCOLS];
    int len[NCOLS]; /* strlen() of each */
    struct wenda_token_stream tokens[NCOLS];
    int tokenized; /* tokens[] holds each column's tokens */
    struct title_key {
        char *key;
        size_t n;
        int weight;
    } *keys;
    size_t nkeys, cap_keys;
};

/* Appends the key of text (when it has one) to row->keys. */
static enum wenda_err
add_key(struct wenda_tokenizer *tk, struct wenda_search_row *row,
        const char *text, int weight, struct buf *key)
{
    struct title_key *k;
    enum wenda_err rc;

    if (text == NULL || text[0] == '\0')
        return WENDA_OK;
    rc = key_of(tk, text, strlen(text), key);
    if (rc != WENDA_OK || key->n == 0)
        return rc;
    if (buf_reserve(&row->keys, &row->cap_keys, row->nkeys,
                    sizeof(*row->keys), 8) != 0)
        return WENDA_ERR_NOMEM;
    k = &row->keys[row->nkeys];
    k->key = malloc(key->n);
    if (k->key == NULL)
        return WENDA_ERR_NOMEM;
    memcpy(k->key, key->p, key->n);
    k->n = key->n;
    k->weight = weight;
    row->nkeys++;
    return WENDA_OK;
}

/* Moves the text of b (or "" when b is empty) into *col. */
static enum wenda_err
take_col(struct buf *b, char **col)
{
    *col = buf_take(b, NULL);
    return *col != NULL ? WENDA_OK : WENDA_ERR_NOMEM;
}

enum wenda_err
wenda_search_prepare(struct wenda_tokenizer *tk, const struct wenda_topic *t,
                     int pretokenize, struct wenda_search_row **out)
{
    struct buf title = {0}, aliases = {0}, tags = {0}, pinyin = {0};
    struct buf whole = {0}, key = {0}, category = {0};
    struct wenda_search_row *row;
    enum wenda_err rc;
    size_t i;

    *out = NULL;
    if (tk == NULL)
        return WENDA_ERR_INTERNAL;
    row = calloc(1, sizeof(*row));
    if (row == NULL)
        return WENDA_ERR_NOMEM;
    buf_adds(&title, t->title);
    if (t->title_en != NULL && t->title_en[0] != '\0') {
        buf_adds(&title, " / ");
        buf_adds(&title, t->title_en);
    }
    for (i = 0; i < t->aliases.n; i++) {
        if (i > 0)
            buf_adds(&aliases, " ; ");
        buf_adds(&aliases, t->aliases.v[i]);
    }
    for (i = 0; i < t->tags.n; i++) {
        if (i > 0)
            buf_adds(&tags, " ");
        buf_adds(&tags, t->tags.v[i]);
    }
    rc = add_pinyin(tk, t->title, &pinyin, &whole);
    for (i = 0; rc == WENDA_OK && i < t->aliases.n; i++)
        rc = add_pinyin(tk, t->aliases.v[i], &pinyin, NULL);
    if (rc == WENDA_OK && (buf_failed(&title) || buf_failed(&aliases) ||
                           buf_failed(&tags)))
        rc = WENDA_ERR_NOMEM;
    if (rc == WENDA_OK)
        rc = take_col(&title, &row->col[COL_TITLE]);
    if (rc == WENDA_OK)
        rc = take_col(&aliases, &row->col[COL_ALIASES]);
    if (rc == WENDA_OK)
        rc = take_col(&pinyin, &row->col[COL_PINYIN]);
    if (rc == WENDA_OK)
        rc = take_col(&tags, &row->col[COL_TAGS]);
    if (rc == WENDA_OK) {
        row->col[COL_ANSWER] = strdup(t->answer ? t->answer : "");
        if (row->col[COL_ANSWER] == NULL)
            rc = WENDA_ERR_NOMEM;
    }
    if (rc == WENDA_OK) {
        buf_adds(&category, WENDA_TOKEN_VERBATIM);
        buf_adds(&category, t->category ? t->category : "");
        rc = buf_failed(&category) ? WENDA_ERR_NOMEM
                                   : take_col(&category,
                                              &row->col[COL_CATEGORY]);
    }
    if (rc == WENDA_OK)
        rc = add_key(tk, row, t->title, 2, &key);
    if (rc == WENDA_OK)
        rc = add_key(tk, row, t->title_en, 2, &key);
    if (rc == WENDA_OK)
        rc = add_key(tk, row, whole.p, 2, &key);
    for (i = 0; rc == WENDA_OK && i < t->aliases.n; i++)
        rc = add_key(tk, row, t->aliases.v[i], 1, &key);
    for (i = 0; rc == WENDA_OK && i < NCOLS; i++) {
        size_t n = strlen(row->col[i]);

        if (n > INT_MAX)
            rc = WENDA_ERR_TOO_LARGE;
        else
            row->len[i] = (int)n;
    }
    for (i = 0; rc == WENDA_OK && pretokenize && i < NCOLS; i++)
        rc = wenda_tokenize_record(tk, row->col[i], row->len[i],
                                   &row->tokens[i]);
    row->tokenized = pretokenize && rc == WENDA_OK;
    buf_cleanup(&title);
    buf_cleanup(&aliases);
    buf_cleanup(&tags);
    buf_cleanup(&pinyin);
    buf_cleanup(&whole);
    buf_cleanup(&key);
    buf_cleanup(&category);
    if (rc != WENDA_OK) {
        wenda_search_row_free(row);
        return rc;
    }
    *out = row;
    return WENDA_OK;
}

enum wenda_err
wenda_search_write(struct wenda_store *st, int64_t id,
                   const struct wenda_search_row *row)
{
    struct rank_params *rp = wenda_store_search_state(st);
    struct wenda_token_preset preset[NCOLS];
    sqlite3_stmt *s;
    enum wenda_err rc;
    size_t i;

    s = index_stmt(st, &rp->ins_fts,
                   "INSERT INTO topics_fts(rowid, title, aliases, pinyin, "
                   "tags, answer, category) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (s == NULL)
        return WENDA_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    for (i = 0; i < NCOLS; i++) {
        sqlite3_bind_text(s, (int)i + 2, row->col[i], row->len[i],
                          SQLITE_STATIC);
        preset[i].text = row->col[i];
        preset[i].ntext = row->len[i];
        preset[i].tokens = &row->tokens[i];
    }
    /*
     * FTS5 tokenizes each column inside the step; with the row's tokens
     * preset, the "wenda" tokenizer replays them instead of doing the work
     * again on this thread.
     */
    if (row->tokenized)
        wenda_tokenize_preset(preset, NCOLS);
    rc = step_once(s);
    if (row->tokenized)
        wenda_tokenize_preset(NULL, 0);
    if (rc != WENDA_OK)
        return rc;
    s = index_stmt(st, &rp->ins_key,
                   "INSERT INTO title_keys(topic_id, key, weight) "
                   "VALUES (?1, ?2, ?3) ON CONFLICT(key, topic_id) "
                   "DO UPDATE SET weight = max(weight, excluded.weight)");
    if (s == NULL)
        return WENDA_ERR_DB;
    for (i = 0; rc == WENDA_OK && i < row->nkeys; i++) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, row->keys[i].key, (int)row->keys[i].n,
                          SQLITE_STATIC);
        sqlite3_bind_int(s, 3, row->keys[i].weight);
        rc = step_once(s);
    }
    return rc;
}

void
wenda_search_row_free(struct wenda_search_row *row)
{
    size_t i;

    if (row == NULL)
        return;
    for (i = 0; i < NCOLS; i++) {
        free(row->col[i]);
        wenda_token_stream_cleanup(&row->tokens[i]);
    }
    for (i = 0; i < row->nkeys; i++)
        free(row->keys[i].key);
    free(row->keys);
    free(row);
}

enum wenda_err
wenda_search_index(struct wenda_store *st, int64_t id,
                   const struct wenda_topic *t)
{
    struct wenda_search_row *row;
    enum wenda_err rc;

    rc = wenda_search_prepare(wenda_store_tokenizer(st), t, 0, &row);
    if (rc != WENDA_OK)
        return rc;
    rc = wenda_search_write(st, id, row);
    wenda_search_row_free(row);
    return rc;
}

enum wenda_err
wenda_search_unindex(struct wenda_store *st, int64_t id)
{
    struct rank_params *rp = wenda_store_search_state(st);
    sqlite3_stmt *fts = index_stmt(st, &rp->del_fts,
                                   "DELETE FROM topics_fts WHERE rowid = ?1");
    sqlite3_stmt *keys = index_stmt(st, &rp->del_key,
                                    "DELETE FROM title_keys "
                                    "WHERE topic_id = ?1");
    enum wenda_err rc;

    if (fts == NULL || keys == NULL)
        return WENDA_ERR_DB;
    sqlite3_bind_int64(fts, 1, id);
    rc = step_once(fts);
    if (rc == WENDA_OK) {
        sqlite3_bind_int64(keys, 1, id);
        rc = step_once(keys);
    }
    return rc;
}

/*
 * FTS5 deletes the rows of a table such as topics_fts one at a time,
 * tokenizing each again to find the words to take out of the index: 2.9 s
 * for 20,000 topics.  Dropping the table and creating it again from its
 * own CREATE statement (in sqlite_schema) empties it at once, and is as
 * much a part of the caller's transaction.
 */
enum wenda_err
wenda_search_index_clear(struct wenda_store *st)
{
    sqlite3 *db = wenda_store_db(st);
    sqlite3_stmt *s = NULL;
    char *create = NULL;
    enum wenda_err rc = WENDA_ERR_DB;

    if (sqlite3_prepare_v2(db,
                           "SELECT sql FROM sqlite_schema "
                           "WHERE type = 'table' AND name = 'topics_fts'",
                           -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL) {
        create = strdup((const char *)sqlite3_column_text(s, 0));
        rc = create != NULL ? WENDA_OK : WENDA_ERR_NOMEM;
    }
    sqlite3_finalize(s);
    if (rc == WENDA_OK &&
        (sqlite3_exec(db, "DROP TABLE topics_fts; DELETE FROM title_keys;",
                      NULL, NULL, NULL) != SQLITE_OK ||
         sqlite3_exec(db, create, NULL, NULL, NULL) != SQLITE_OK))
        rc = WENDA_ERR_DB;
    free(create);
    return rc;
}

enum wenda_err
wenda_search_index_optimize(struct wenda_store *st)
{
    return sqlite3_exec(wenda_store_db(st),
                        "INSERT INTO topics_fts(topics_fts) "
                        "VALUES ('optimize')",
                        NULL, NULL, NULL) == SQLITE_OK
               ? WENDA_OK
               : WENDA_ERR_DB;
}

enum wenda_err
wenda_search_index_bulk(struct wenda_store *st, int on)
{
    /*
     * FTS5 writes a segment per megabyte of tokens and, by default, merges
     * them four at a time as it goes (automerge 4), so that each token of
     * an import of 300,000 topics was written again some five times, a
     * third of the import.  During a bulk load, segments are only merged
     * when 256 pile up on one level (crisismerge), and the final optimize
     * merges what is left in one pass.  256 was measured against 64 and
     * 1,000: at a million topics 171 s against 186 s for 64, and no page
     * left free in the file, where 64 left 9% of it free and 1,000 left
     * 23% free at 100,000 topics (the last merge frees its inputs' pages,
     * and with fewer merges before it nothing is written after to take
     * them).  The tokens of a bulk load are held in memory up to 8 MiB
     * (hashsize) rather than FTS5's 1 MiB before a segment is written: an
     * import of 100,000 topics took 11.1 and 11.4 s against 13.0 and
     * 14.7 s, for a peak RSS of 56 MB against 39 (4 MiB: 11.5 and 11.8 s;
     * 32 MiB: 11.4 and 12.7 s; 256 MiB: 14.0 and 14.5 s, and 412 MB).
     * Migration 0010, which rebuilds the index, holds as many.
     */
#define FTS_SET "INSERT INTO topics_fts(topics_fts, rank) VALUES "
    static const char bulk[] = FTS_SET "('automerge', 0);"
        FTS_SET "('crisismerge', 256);" FTS_SET "('hashsize', 8388608);";
    static const char usual[] = FTS_SET "('automerge', 4);"
        FTS_SET "('crisismerge', 16);" FTS_SET "('hashsize', 1048576);";
#undef FTS_SET

    return sqlite3_exec(wenda_store_db(st), on ? bulk : usual, NULL, NULL,
                        NULL) == SQLITE_OK
               ? WENDA_OK
               : WENDA_ERR_DB;
}

static char *
col_dup(sqlite3_stmt *s, int col)
{
    const char *v = (const char *)sqlite3_column_text(s, col);

    return strdup(v ? v : "");
}

/* ---- ranking ----------------------------------------------------------- */

/*
 * wenda_rank(topics_fts) is the FTS5 ranking function of a search
 * ("rank MATCH 'wenda_rank()'"), so that FTS5 itself orders the matches
 * and SQLite computes snippets for the rows returned only.  Its value,
 * smaller first, is
 *
 *     bm25 - 1e6 * in_title - 1e9 * exact
 *
 * where bm25 is FTS5's formula (k1 = 1.2, b = 0.75) with the column weights
 * below, in_title is 1 when every chunk of the query has a phrase in the
 * title, aliases or pinyin column, and exact is the weight of the row in
 * title_keys for the query's key: 2 when its title, English title or title
 * pinyin equals the query, 1 for an alias.
 *
 * What it needs to know of the query comes through struct rank_params, the
 * function's per-connection user data, which run_level() fills in around
 * the statement (a connection runs one search at a time): the key, the
 * chunk of each phrase of the MATCH expression (the last Latin chunk has
 * two phrases, the word and its prefix form), and whether phrases are
 * weighed by their IDF.  Passing these as arguments of the rank function
 * would make FTS5 compile a statement for them on every search.  IDF is
 * used for any-word queries only: when every match holds every chunk it
 * would only reweigh the chunks against each other, and costs a count of
 * each phrase's matches (bounded: see struct hit_count).
 */

#define RANK_TITLE 1e6
#define RANK_EXACT 1e9
#define TITLE_COLUMNS 3   /* title, aliases, pinyin */
#define MAX_PHRASES 64

static const double col_weight[COL_CATEGORY] = {10.0, 8.0, 5.0, 3.0, 1.0};

struct rank_data {
    int nphrase;
    double idf[MAX_PHRASES];
    int chunk[MAX_PHRASES];
    int nchunk;
    struct exact_hit exact[MAX_EXACT];
    int nexact;
    double avgdl;
};

/*
 * Counts a phrase's matches, up to half the rows (past that, its IDF is
 * floored anyway) or ten times the cap, whichever is fewer; last is the id
 * of the row where counting stopped.
 */
struct hit_count {
    sqlite3_int64 hits, stop, last;
};

static int
count_row(const Fts5ExtensionApi *api, Fts5Context *fts, void *ctx)
{
    struct hit_count *c = ctx;

    if (++c->hits <= c->stop)
        return SQLITE_OK;
    c->last = api->xRowid(fts);
    return SQLITE_DONE;
}

/*
 * The number of rows of nrow holding a phrase, from what count_row() saw:
 * when it stopped early, extrapolated from how far into the ids it got
 * (matches come in id order, and an import numbers topics from 1).
 */
static double
phrase_rows(const struct hit_count *c, sqlite3_int64 nrow)
{
    double est;

    if (c->hits <= c->stop || c->last <= 0)
        return (double)c->hits;
    est = (double)c->hits * (double)nrow / (double)c->last;
    return est < (double)c->hits ? (double)c->hits : est;
}

/*
 * Looks up the topics whose whole-title key equals the query's, once a
 * query: its other cursors copy what the first found.
 */
static int
find_exact(struct rank_params *p, struct rank_data *d)
{
    int step;

    if (p->key == NULL || p->key[0] == '\0')
        return SQLITE_OK;
    if (p->nexact >= 0) {
        memcpy(d->exact, p->exact, (size_t)p->nexact * sizeof(*d->exact));
        d->nexact = p->nexact;
        return SQLITE_OK;
    }
    if (p->keys == NULL &&
        sqlite3_prepare_v3(p->db,
                           "SELECT topic_id, weight FROM title_keys "
                           "WHERE key = ?1 ORDER BY weight DESC, topic_id "
                           "LIMIT 32",
                           -1, SQLITE_PREPARE_PERSISTENT, &p->keys,
                           NULL) != SQLITE_OK)
        return SQLITE_ERROR;
    sqlite3_bind_text(p->keys, 1, p->key, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(p->keys)) == SQLITE_ROW &&
           d->nexact < MAX_EXACT) {
        d->exact[d->nexact].id = sqlite3_column_int64(p->keys, 0);
        d->exact[d->nexact].weight = sqlite3_column_int(p->keys, 1);
        d->nexact++;
    }
    (void)sqlite3_reset(p->keys);
    (void)sqlite3_clear_bindings(p->keys);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return SQLITE_ERROR;
    memcpy(p->exact, d->exact, (size_t)d->nexact * sizeof(*p->exact));
    p->nexact = d->nexact;
    return SQLITE_OK;
}

void
wenda_search_close(void *state)
{
    struct rank_params *rp = state;

    if (rp != NULL) {
        sqlite3_finalize(rp->keys);
        sqlite3_finalize(rp->ins_fts);
        sqlite3_finalize(rp->ins_key);
        sqlite3_finalize(rp->del_fts);
        sqlite3_finalize(rp->del_key);
        rp->keys = rp->ins_fts = rp->ins_key = NULL;
        rp->del_fts = rp->del_key = NULL;
    }
}

void
wenda_search_set_cap(void *state, int64_t cap)
{
    struct rank_params *rp = state;

    if (rp != NULL)
        rp->cap = cap > 0 ? cap : 0;
}

void
wenda_search_set_count(void *state, int64_t count)
{
    struct rank_params *rp = state;

    if (rp != NULL)
        rp->count = count > 0 ? count : 0;
}

static void
rank_params_free(void *p)
{
    struct rank_params *rp = p;

    wenda_search_close(rp);
    free(rp->ntok);
    free(rp);
}

/*
 * The length of a document, in tokens, is what bm25 divides by, and FTS5
 * reads it from its %_docsize table row by row: at 100,000 topics a fifth
 * of a search went to those b-tree lookups, 1,000 of them for a broad
 * query.  So each connection keeps the lengths it has read, by topic id
 * (ids up to NTOK_MAX_ID: 4 bytes each, 16 MiB at most), for as long as
 * the database does not change.  SQLite's data version (the file control,
 * which unlike the pragma also moves with the connection's own commits)
 * tells; it is read once per search statement, inside its snapshot.
 */
#define NTOK_MAX_ID ((sqlite3_int64)1 << 22)

static void
ntok_check(struct rank_params *p)
{
    unsigned int v = 0;

    if (sqlite3_file_control(p->db, "main", SQLITE_FCNTL_DATA_VERSION, &v) !=
        SQLITE_OK) {
        p->ntok_usable = 0;
        return;
    }
    if (!p->ntok_usable || v != p->ntok_version) {
        if (p->ntok != NULL)
            memset(p->ntok, 0, p->nntok * sizeof(*p->ntok));
        p->ntok_version = v;
        p->ntok_usable = 1;
    }
}

/* The tokens of the current row of fts, from the cache or from FTS5. */
static int
doc_tokens(const Fts5ExtensionApi *api, Fts5Context *fts,
           struct rank_params *p, sqlite3_int64 rowid, int *ntok)
{
    int rc;

    if (p->ntok_usable && rowid > 0 && (size_t)rowid < p->nntok &&
        p->ntok[rowid] != 0) {
        *ntok = (int)(p->ntok[rowid] - 1);
        return SQLITE_OK;
    }
    rc = api->xColumnSize(fts, -1, ntok);
    if (rc == SQLITE_OK) {
        int ncat = 0;

        /* the category is not text the reader sees (FTS5 reads a row's
         * column sizes once) */
        rc = api->xColumnSize(fts, COL_CATEGORY, &ncat);
        *ntok -= ncat;
    }
    if (rc != SQLITE_OK || !p->ntok_usable || rowid <= 0 ||
        rowid >= NTOK_MAX_ID || *ntok < 0)
        return rc;
    if ((size_t)rowid >= p->nntok) {
        size_t n = p->nntok ? p->nntok : 1024;
        uint32_t *grown;

        while (n <= (size_t)rowid)
            n *= 2;
        grown = realloc(p->ntok, n * sizeof(*grown));
        if (grown == NULL)
            return SQLITE_OK;   /* uncached, still right */
        memset(grown + p->nntok, 0, (n - p->nntok) * sizeof(*grown));
        p->ntok = grown;
        p->nntok = n;
    }
    p->ntok[rowid] = (uint32_t)*ntok + 1;
    return SQLITE_OK;
}

static struct rank_data *
rank_data_new(const Fts5ExtensionApi *api, Fts5Context *fts)
{
    struct rank_params *p = api->xUserData(fts);
    struct rank_data *d = calloc(1, sizeof(*d));
    sqlite3_int64 nrow = 0, ntok = 0, ncat = 0;
    int i;

    if (d == NULL)
        return NULL;
    d->nphrase = api->xPhraseCount(fts) - p->skip;
    if (d->nphrase < 0)
        d->nphrase = 0;
    if (d->nphrase > MAX_PHRASES)
        d->nphrase = MAX_PHRASES;
    if (api->xRowCount(fts, &nrow) != SQLITE_OK ||
        api->xColumnTotalSize(fts, -1, &ntok) != SQLITE_OK ||
        api->xColumnTotalSize(fts, COL_CATEGORY, &ncat) != SQLITE_OK) {
        free(d);
        return NULL;
    }
    ntok_check(p);
    ntok -= ncat;
    d->avgdl = nrow > 0 && ntok > 0 ? (double)ntok / (double)nrow : 1.0;
    for (i = 0; i < d->nphrase; i++) {
        struct hit_count c = {0, nrow / 2, 0};
        double idf, df;

        d->chunk[i] = i;
        if (!p->idf) {
            d->idf[i] = 1.0;
            continue;
        }
        if (p->nidf == d->nphrase) {   /* counted by another cursor */
            d->idf[i] = p->idf_of[i];
            continue;
        }
        if (p->cap > 0 && p->cap * WENDA_SEARCH_COUNT_FACTOR < c.stop)
            c.stop = p->cap * WENDA_SEARCH_COUNT_FACTOR;
        if (api->xQueryPhrase(fts, i + p->skip, &c, count_row) !=
            SQLITE_OK) {
            free(d);
            return NULL;
        }
        df = phrase_rows(&c, nrow);
        idf = log(((double)nrow - df + 0.5) / (df + 0.5));
        d->idf[i] = idf <= 0.0 ? 1e-6 : idf;
    }
    if (p->idf && p->nidf != d->nphrase) {
        memcpy(p->idf_of, d->idf, (size_t)d->nphrase * sizeof(*d->idf));
        p->nidf = d->nphrase;
    }
    d->nchunk = d->nphrase;
    if (p->chunk != NULL && p->nchunk_map == d->nphrase) {
        d->nchunk = 0;
        for (i = 0; i < d->nphrase; i++) {
            d->chunk[i] = p->chunk[i] >= 0 && p->chunk[i] < MAX_PHRASES
                              ? p->chunk[i] : 0;
            if (d->chunk[i] + 1 > d->nchunk)
                d->nchunk = d->chunk[i] + 1;
        }
    }
    if (find_exact(p, d) != SQLITE_OK) {
        free(d);
        return NULL;
    }
    return d;
}

static void snip_keep(const Fts5ExtensionApi *api, Fts5Context *fts,
                      struct rank_params *p, int64_t rowid, double rank);

static void
wenda_rank(const Fts5ExtensionApi *api, Fts5Context *fts,
           sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct rank_data *d = api->xGetAuxdata(fts, 0);
    struct rank_params *p = api->xUserData(fts);

    (void)argc;
    (void)argv;
    double freq[MAX_PHRASES] = {0}, score = 0.0, len;
    unsigned char in_title[MAX_PHRASES] = {0};
    int ninst = 0, i, phrase, col, off, titled = 1, exact = 0, ntok = 0;
    sqlite3_int64 rowid;

    if (d == NULL) {
        d = rank_data_new(api, fts);
        if (d == NULL || api->xSetAuxdata(fts, d, free) != SQLITE_OK) {
            sqlite3_result_error_code(ctx, SQLITE_NOMEM);
            return;
        }
    }
    rowid = api->xRowid(fts);
    for (i = 0; i < d->nexact; i++)
        if (d->exact[i].id == rowid && d->exact[i].weight > exact)
            exact = d->exact[i].weight;
    p->scored++;
    if (exact > 0)
        p->scored_exact++;
    if (api->xInstCount(fts, &ninst) != SQLITE_OK ||
        doc_tokens(api, fts, p, rowid, &ntok) != SQLITE_OK) {
        sqlite3_result_error_code(ctx, SQLITE_ERROR);
        return;
    }
    for (i = 0; i < ninst; i++) {
        if (api->xInst(fts, i, &phrase, &col, &off) != SQLITE_OK)
            continue;
        phrase -= p->skip;
        if (phrase < 0 || phrase >= d->nphrase || col < 0 ||
            col >= COL_CATEGORY)
            continue;
        freq[phrase] += col_weight[col];
        if (col < TITLE_COLUMNS)
            in_title[d->chunk[phrase]] = 1;
    }
    len = (double)ntok / d->avgdl;
    for (i = 0; i < d->nphrase; i++)
        score += d->idf[i] * (freq[i] * 2.2) /
                 (freq[i] + 1.2 * (0.25 + 0.75 * len));
    for (i = 0; i < d->nchunk; i++)
        if (!in_title[i])
            titled = 0;
    score = -score - RANK_TITLE * titled - RANK_EXACT * exact;
    if (p->snip_want > 0)
        snip_keep(api, fts, p, rowid, score);
    sqlite3_result_double(ctx, score);
}

/* ---- snippets ------------------------------------------------------------ */

/*
 * wenda_snippet(topics_fts, ntokens) returns the HTML snippet of
 * the answer column: a window of ntokens token positions around the best
 * cluster of matches, text HTML-escaped, matched tokens in <mark>, "…"
 * where the window cuts the text.  Overlapping matches are merged before
 * they are marked, so the output is always well formed.
 *
 * Mapping positions to bytes needs the answer tokenized again, which is
 * what FTS5's own snippet() spends most of its time on; wenda keeps the
 * positions of recently used answers in a small direct-mapped cache per
 * connection, keyed by rowid and by the length and a 64-bit hash of the
 * answer itself (a version number would not do: an import renumbers
 * topics from version 1), so a popular topic is tokenized once per thread,
 * not once per search.  Hashing the text costs far less than tokenizing it.
 */
#define SNIP_SLOTS 256
#define SNIP_MAX_CACHED 16384   /* positions; longer answers are not kept */

struct snip_entry {
    int64_t rowid;
    uint64_t hash;      /* FNV-1a of the answer */
    int ntext;          /* its length in bytes */
    struct span *pos;   /* byte span of each token position */
    int n;
};

struct snip_cache {
    struct snip_entry slot[SNIP_SLOTS];
};

struct collect {
    struct span *pos;
    int n, failed;
    size_t cap;
    int need;   /* stop after this many positions (0: never) */
};

static int
collect_token(void *ctx, int flags, const char *tok, int ntok, int start,
              int end)
{
    struct collect *c = ctx;

    (void)tok;
    (void)ntok;
    if (flags & FTS5_TOKEN_COLOCATED)
        return SQLITE_OK;
    if (buf_reserve(&c->pos, &c->cap, (size_t)c->n, sizeof(*c->pos), 256) !=
        0) {
        c->failed = 1;
        return SQLITE_NOMEM;
    }
    c->pos[c->n].start = start;
    c->pos[c->n].end = end;
    c->n++;
    return c->need > 0 && c->n >= c->need ? SQLITE_DONE : SQLITE_OK;
}

static void
snip_cache_free(void *p)
{
    struct snip_cache *cache = p;
    int i;

    if (cache == NULL)
        return;
    for (i = 0; i < SNIP_SLOTS; i++)
        free(cache->slot[i].pos);
    free(cache);
}

static void
add_html(struct buf *b, const char *s, int n)
{
    int i, from = 0;

    for (i = 0; i < n; i++) {
        const char *rep = NULL;

        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        case '\n': rep = " "; break;
        default: break;
        }
        if (rep != NULL) {
            buf_add(b, s + from, (size_t)(i - from));
            buf_adds(b, rep);
            from = i + 1;
        }
    }
    buf_add(b, s + from, (size_t)(n - from));
}

static int
cmp_span(const void *a, const void *b)
{
    const struct span *x = a, *y = b;

    return x->start != y->start ? (x->start < y->start ? -1 : 1)
                                : (x->end < y->end ? -1 : x->end > y->end);
}

/*
 * Puts into marks (SNIP_MAX_MARKS at most) the matches in the answer of
 * the row at fts, in FTS5's order, as token positions first to last: of
 * the phrases from from on, except phrase but (-1: none).  Returns how
 * many.
 */
static int
answer_marks(const Fts5ExtensionApi *api, Fts5Context *fts, int from,
             int but, struct span *marks)
{
    int ninst = 0, i, n = 0;

    if (api->xInstCount(fts, &ninst) != SQLITE_OK)
        return 0;
    for (i = 0; i < ninst && n < SNIP_MAX_MARKS; i++) {
        int phrase, col, off, size;

        if (api->xInst(fts, i, &phrase, &col, &off) != SQLITE_OK ||
            col != COL_ANSWER || off < 0 || phrase < from || phrase == but)
            continue;
        size = api->xPhraseSize(fts, phrase);
        marks[n].start = off;
        marks[n].end = off + (size < 1 ? 1 : size) - 1;
        n++;
    }
    return n;
}

/* Whether row a comes after row b in a search's order (rank, then id). */
static int
snip_after(const struct snip_row *a, const struct snip_row *b)
{
    return a->rank > b->rank || (a->rank == b->rank && a->rowid > b->rowid);
}

/*
 * Called by wenda_rank() for each row it scores in a search, while FTS5
 * still has the row's matches at hand: when the row is among the best
 * p->snip_want scored so far, keeps what its snippet will mark, so that
 * the page's snippets need no second full-text query each (a fifth of a
 * search's time).  The marks are those add_snippets() would find:
 *
 *   - With a prefix alternative (phrase p->snip_prefix, the last of the
 *     search's expression; the one before it is the same word as itself),
 *     the matches of the phrases without it when the row has that word
 *     itself and the answer holds any of them, otherwise every phrase's.
 *     A row scored by the expression without the alternative (a title
 *     equal to the query: one phrase fewer) keeps its marks only when
 *     there are some; the alternative's must be read again otherwise.
 *   - Otherwise every phrase's matches.
 *
 * The phrases before p->skip (the filters') never count: they are not in the
 * expression add_snippets() reads with.
 */
static void
snip_keep(const Fts5ExtensionApi *api, Fts5Context *fts,
          struct rank_params *p, int64_t rowid, double rank)
{
    struct snip_row key = {.rowid = rowid, .rank = rank}, *r;
    unsigned int i, worst;
    int col = -1, off;
    Fts5PhraseIter it;

    if (p->snip_n == p->snip_want &&
        !snip_after(&p->snip[p->snip_worst], &key))
        return;
    for (i = 0; i < p->snip_n; i++)
        if (p->snip[i].rowid == rowid)
            return;
    r = p->snip_n < p->snip_want ? &p->snip[p->snip_n++]
                                 : &p->snip[p->snip_worst];
    r->rowid = rowid;
    r->rank = rank;
    if (p->snip_prefix < 0) {
        r->n = answer_marks(api, fts, p->skip, -1, r->marks);
    } else if (api->xPhraseCount(fts) > p->snip_prefix) {
        r->n = 0;
        if (api->xPhraseFirst(fts, p->snip_prefix - 1, &it, &col, &off) ==
                SQLITE_OK &&
            col >= 0)
            r->n = answer_marks(api, fts, p->skip, p->snip_prefix,
                                r->marks);
        if (r->n == 0)
            r->n = answer_marks(api, fts, p->skip, -1, r->marks);
    } else {
        r->n = answer_marks(api, fts, p->skip, -1, r->marks);
        if (r->n == 0)
            r->n = -1;
    }
    if (p->snip_n == p->snip_want) {
        for (i = 1, worst = 0; i < p->snip_n; i++)
            if (snip_after(&p->snip[i], &p->snip[worst]))
                worst = i;
        p->snip_worst = worst;
    }
}

/* Tokenizes text[0..ntext) into c with FTS5's tokenizer or the store's. */
struct snip_tokenizer {
    const Fts5ExtensionApi *api;    /* with fts; NULL: tk */
    Fts5Context *fts;
    struct wenda_tokenizer *tk;
};

static int
snip_tokenize(const struct snip_tokenizer *t, const char *text, int ntext,
              struct collect *c)
{
    int trc = SQLITE_OK;

    if (t->api != NULL)
        trc = t->api->xTokenize(t->fts, text, ntext, c, collect_token);
    else if (wenda_tokenize(t->tk, WENDA_TOKENIZE_AUX, text, ntext,
                            collect_token, c, NULL) != WENDA_OK)
        trc = SQLITE_ERROR;
    return (trc != SQLITE_OK && trc != SQLITE_DONE) || c->failed ? -1 : 0;
}

/*
 * Writes to out the snippet of the answer text[0..ntext) of topic rowid
 * (not empty) that marks the matches marks[0..nmarks), a window of ntok
 * token positions.  The positions come from cache when it has them, and
 * are put there when they were tokenized to the end.  Returns 0, or -1
 * when out of memory.
 */
static int
snippet_render(struct snip_cache *cache, const struct snip_tokenizer *tok,
               int64_t rowid, const char *text, int ntext,
               const struct span *found, int nmarks, int ntok,
               struct buf *out)
{
    struct span marks[SNIP_MAX_MARKS], window = {0, 0};
    struct collect c = {NULL, 0, 0, 0, 0};
    struct snip_entry *e = NULL;
    const struct span *pos;
    int npos, i, j, best = -1, at, complete = 1;
    uint64_t hash = 0xcbf29ce484222325u;

    memcpy(marks, found, (size_t)nmarks * sizeof(marks[0]));
    /* The window: the one starting a quarter before a match that holds
     * the most matches; the start of the answer when none. */
    for (i = 0; i < nmarks; i++) {
        int from = marks[i].start - ntok / 4, count = 0;

        if (from < 0)
            from = 0;
        for (j = 0; j < nmarks; j++)
            if (marks[j].start >= from && marks[j].end < from + ntok)
                count++;
        if (count > best) {
            best = count;
            window.start = from;
        }
    }
    /* The token positions of the answer: cached, or tokenized now, only
     * as far as one past the window (which tells whether text follows). */
    for (i = 0; i < ntext; i++) {
        hash ^= (unsigned char)text[i];
        hash *= 0x100000001b3u;
    }
    if (cache != NULL) {
        e = &cache->slot[(uint64_t)rowid % SNIP_SLOTS];
        if (e->pos == NULL || e->rowid != rowid || e->ntext != ntext ||
            e->hash != hash)
            e = NULL;
    }
    if (e != NULL) {
        pos = e->pos;
        npos = e->n;
    } else {
        c.need = window.start + ntok + 1;
        if (snip_tokenize(tok, text, ntext, &c) != 0) {
            free(c.pos);
            return -1;
        }
        complete = c.n < c.need;
        pos = c.pos;
        npos = c.n;
    }
    /* A window past the end of a short answer moves back. */
    if (npos > 0 && window.start + ntok > npos)
        window.start = npos > ntok ? npos - ntok : 0;
    window.end = window.start + ntok < npos ? window.start + ntok : npos;
    for (i = 0, j = 0; i < nmarks; i++) {
        if (marks[i].start >= npos)
            continue;
        if (marks[i].end >= npos)
            marks[i].end = npos - 1;
        marks[j++] = marks[i];
    }
    nmarks = j;
    /* Positions to bytes; merge overlapping marks (bigrams overlap). */
    for (i = 0, j = 0; i < nmarks; i++) {
        if (marks[i].start < window.start || marks[i].end >= window.end)
            continue;
        marks[j].start = pos[marks[i].start].start;
        marks[j].end = pos[marks[i].end].end;
        j++;
    }
    nmarks = j;
    qsort(marks, (size_t)nmarks, sizeof(marks[0]), cmp_span);
    for (i = 0, j = 0; i < nmarks; i++) {
        if (j > 0 && marks[i].start <= marks[j - 1].end) {
            if (marks[i].end > marks[j - 1].end)
                marks[j - 1].end = marks[i].end;
        } else {
            marks[j++] = marks[i];
        }
    }
    nmarks = j;
    /* Write it out. */
    if (npos == 0) {
        add_html(out, text, ntext);
    } else {
        int from = window.start == 0 ? 0 : pos[window.start].start;
        int to = window.end == npos ? ntext : pos[window.end - 1].end;

        if (window.start > 0)
            buf_adds(out, "…");
        at = from;
        for (i = 0; i < nmarks; i++) {
            add_html(out, text + at, marks[i].start - at);
            buf_adds(out, "<mark>");
            add_html(out, text + marks[i].start,
                     marks[i].end - marks[i].start);
            buf_adds(out, "</mark>");
            at = marks[i].end;
        }
        add_html(out, text + at, to - at);
        if (window.end < npos)
            buf_adds(out, "…");
    }
    /* Keep the positions of an answer tokenized to its end. */
    if (c.pos != NULL) {
        if (cache != NULL && complete && c.n <= SNIP_MAX_CACHED) {
            struct snip_entry *slot = &cache->slot[(uint64_t)rowid %
                                                   SNIP_SLOTS];

            free(slot->pos);
            slot->rowid = rowid;
            slot->hash = hash;
            slot->ntext = ntext;
            slot->pos = c.pos;
            slot->n = c.n;
        } else {
            free(c.pos);
        }
    }
    return buf_failed(out) ? -1 : 0;
}

static void
wenda_snippet(const Fts5ExtensionApi *api, Fts5Context *fts,
              sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct snip_tokenizer tok = {api, fts, NULL};
    struct span marks[SNIP_MAX_MARKS];
    struct buf out = {0};
    const char *text;
    int ntext, nmarks, ntok, strict;

    ntok = argc > 0 ? sqlite3_value_int(argv[0]) : 32;
    if (ntok < 4)
        ntok = 4;
    strict = argc > 1 && sqlite3_value_int(argv[1]) != 0;
    if (api->xColumnText(fts, COL_ANSWER, &text, &ntext) != SQLITE_OK) {
        sqlite3_result_error_code(ctx, SQLITE_ERROR);
        return;
    }
    if (text == NULL || ntext == 0) {
        sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
        return;
    }
    nmarks = answer_marks(api, fts, 0, -1, marks);
    if (strict && nmarks == 0) {
        sqlite3_result_null(ctx);
        return;
    }
    if (snippet_render(api->xUserData(fts), &tok, api->xRowid(fts), text,
                       ntext, marks, nmarks, ntok, &out) != 0) {
        buf_cleanup(&out);
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, out.p ? out.p : "", (int)out.n,
                        out.p ? free : SQLITE_STATIC);
}

/* Splits a rank value back into its score (larger is better). */
static double
rank_score(double rank)
{
    double s = -rank;

    while (s >= RANK_EXACT)
        s -= RANK_EXACT;
    if (s >= RANK_TITLE)
        s -= RANK_TITLE;
    return s;
}

enum wenda_err
wenda_search_register(sqlite3 *db, void **state)
{
    fts5_api *api = NULL;
    struct snip_cache *cache;
    struct rank_params *params;
    sqlite3_stmt *s;

    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    sqlite3_bind_pointer(s, 1, (void *)&api, "fts5_api_ptr", NULL);
    (void)sqlite3_step(s);
    sqlite3_finalize(s);
    if (api == NULL)
        return WENDA_ERR_DB;
    params = calloc(1, sizeof(*params));
    if (params == NULL)
        return WENDA_ERR_NOMEM;
    params->db = db;
    params->nidf = -1;
    params->nexact = -1;
    /* FTS5 owns params from here and frees them with the connection. */
    if (api->xCreateFunction(api, "wenda_rank", params, wenda_rank,
                             rank_params_free) != SQLITE_OK)
        return WENDA_ERR_DB;
    *state = params;
    cache = calloc(1, sizeof(*cache));
    if (cache == NULL)
        return WENDA_ERR_NOMEM;
    /* FTS5 owns the cache from here and frees it with the connection. */
    params->snip_cache = cache;
    if (api->xCreateFunction(api, "wenda_snippet", cache, wenda_snippet,
                             snip_cache_free) != SQLITE_OK)
        return WENDA_ERR_DB;
    return WENDA_OK;
}

/* ---- running a search ---------------------------------------------------- */

enum { SLOT_SEARCH, SLOT_COUNT, SLOT_SNIPPET };

/*
 * The filters of a search, on the full-text row r.  The expression already
 * holds them (see with_filters()), so these check only the rows it gives,
 * and are the whole filter only for a tag without a token; the category
 * is read through the small (category, id) index rather than the topic's
 * row, which SQLite would take for an id.
 */
#define FILTERS(r)                                                          \
    "  AND (?6 IS NULL OR EXISTS (SELECT 1 FROM topics t "                  \
    "       INDEXED BY topics_by_category "                                 \
    "       WHERE t.category = ?6 AND t.id = " r ")) "                      \
    "  AND (?7 IS NULL OR EXISTS (SELECT 1 FROM topic_tags g "              \
    "       WHERE g.tag = ?7 AND g.topic_id = " r ")) "

/*
 * The candidates are the first ?9 matches in id order (all of them when
 * ?9 is -1) and the first MAX_EXACT (32) topics whose whole title is the
 * query (key ?10, found and scored with ?11); only they are scored, and
 * SQLite keeps the best ?8 of them as they come.
 */
static const char search_sql[] =
    "WITH exact(id) AS (SELECT topic_id FROM title_keys WHERE key = ?10 "
    "    ORDER BY weight DESC, topic_id LIMIT 32), "
    "cand(id, r) AS ("
    "  SELECT * FROM (SELECT rowid, wenda_rank(topics_fts) FROM topics_fts "
    "    WHERE topics_fts MATCH ?1 AND rowid NOT IN exact "
    FILTERS("topics_fts.rowid") "LIMIT ?9) "
    "  UNION ALL "
    "  SELECT rowid, wenda_rank(topics_fts) FROM topics_fts "
    "    WHERE topics_fts MATCH ?11 AND rowid IN exact "
    FILTERS("topics_fts.rowid") ") "
    "SELECT c.id, t.slug, t.title, t.title_en, t.category, c.r, t.answer "
    "FROM (SELECT id, r FROM cand ORDER BY r, id LIMIT ?8) c "
    "JOIN topics t ON t.id = c.id ORDER BY c.r, c.id";

/* The matches, ?9 at most (-1: all). */
static const char count_sql[] =
    "SELECT count(*) FROM (SELECT 1 FROM topics_fts "
    "WHERE topics_fts MATCH ?1 " FILTERS("topics_fts.rowid") "LIMIT ?9)";

static const char snippet_sql[] =
    "SELECT wenda_snippet(topics_fts, ?5, ?3) FROM topics_fts "
    "WHERE topics_fts MATCH ?1 AND rowid = ?2";

/*
 * Whether the search just run by the connection of p stopped at the cap:
 * as many matches scored, not counting the topics whose title is the
 * query, as the cap allows.
 */
static int
cap_filled(const struct rank_params *p)
{
    return p->cap > 0 && p->scored - p->scored_exact >= p->cap;
}

/* Resets a cached statement for its next use. */
static void
reset(sqlite3_stmt *s)
{
    if (s != NULL) {
        (void)sqlite3_reset(s);
        (void)sqlite3_clear_bindings(s);
    }
}

static void
bind_filters(sqlite3_stmt *s, const char *match,
             const struct wenda_search_query *query)
{
    sqlite3_bind_text(s, 1, match, -1, SQLITE_STATIC);
    if (query->category != NULL)
        sqlite3_bind_text(s, 6, query->category, -1, SQLITE_STATIC);
    if (query->tag != NULL)
        sqlite3_bind_text(s, 7, query->tag, -1, SQLITE_STATIC);
}

/*
 * Reads hit's snippet with MATCH expression match into hit->snippet.
 * strict: leaves it NULL when the answer holds no match of match (or the
 * topic does not match it at all).
 */
static enum wenda_err
read_snippet(sqlite3_stmt *s, const char *match, int strict,
             struct wenda_search_hit *hit)
{
    enum wenda_err rc = WENDA_OK;
    int step;

    sqlite3_bind_text(s, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, hit->id);
    sqlite3_bind_int(s, 3, strict);
    sqlite3_bind_int(s, 5, SNIPPET_TOKENS);
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        if (sqlite3_column_type(s, 0) != SQLITE_NULL || !strict) {
            hit->snippet = col_dup(s, 0);
            if (hit->snippet == NULL)
                rc = WENDA_ERR_NOMEM;
        }
    } else if (step != SQLITE_DONE || !strict) {
        rc = WENDA_ERR_DB;
    }
    reset(s);
    return rc;
}

/*
 * Sets the snippet of hit h, the current row of search statement s, from
 * the marks snip_keep() kept for it while the search scored it, with the
 * answer in column col; leaves it NULL when there are none.
 */
static enum wenda_err
snip_from_rank(struct wenda_store *st, const struct rank_params *p,
               sqlite3_stmt *s, int col, struct wenda_search_hit *h)
{
    struct snip_tokenizer tok = {NULL, NULL, wenda_store_tokenizer(st)};
    const struct snip_row *r = NULL;
    struct buf out = {0};
    const char *text;
    unsigned int i;
    int ntext;

    for (i = 0; i < p->snip_n && r == NULL; i++)
        if (p->snip[i].rowid == h->id && p->snip[i].n >= 0)
            r = &p->snip[i];
    if (r == NULL || tok.tk == NULL)
        return WENDA_OK;
    text = (const char *)sqlite3_column_text(s, col);
    ntext = sqlite3_column_bytes(s, col);
    if (text != NULL && ntext > 0 &&
        snippet_render(p->snip_cache, &tok, h->id, text, ntext, r->marks,
                       r->n, SNIPPET_TOKENS, &out) != 0) {
        buf_cleanup(&out);
        return WENDA_ERR_NOMEM;
    }
    h->snippet = buf_take(&out, NULL);
    return h->snippet != NULL ? WENDA_OK : WENDA_ERR_NOMEM;
}

/*
 * Sets the snippet of each of the n hits that has none yet, read with MATCH
 * expression match.
 * When plain is not NULL, it is match without its prefix alternative, and
 * is tried first: a prefix phrase merges the lists of every word it
 * begins, which for a common word ("http" -> http, https, httpd ...) costs
 * far more than marking the words themselves, and would be paid again for
 * each hit.  match is used for the hits whose answer holds no word of
 * plain, so a topic found by a prefix alone still has it marked.
 */
static enum wenda_err
add_snippets(struct wenda_store *st, const char *match, const char *plain,
             struct wenda_search_hit *hits, size_t n)
{
    sqlite3_stmt *s;
    enum wenda_err rc = wenda_store_prepare(st, SLOT_SNIPPET, snippet_sql, &s);
    size_t i;

    if (plain != NULL && strcmp(plain, match) == 0)
        plain = NULL;
    for (i = 0; rc == WENDA_OK && i < n; i++) {
        if (hits[i].snippet != NULL)
            continue;
        if (plain != NULL)
            rc = read_snippet(s, plain, 1, &hits[i]);
        if (rc == WENDA_OK && hits[i].snippet == NULL)
            rc = read_snippet(s, match, 0, &hits[i]);
    }
    return rc;
}

/*
 * Tells wenda_rank() about the query whose statement is about to run on the
 * connection of p (see struct rank_params): its whole-title key, the chunk
 * of each of its phrases, whether to weigh phrases by IDF, and how many
 * phrases at its start only filter (skip).
 */
static void
params_begin(struct rank_params *p, const char *key,
             const struct phrase_map *map, int idf, int skip)
{
    p->key = key;
    p->skip = skip;
    p->chunk = map ? map->chunk : NULL;
    p->nchunk_map = map ? map->n : 0;
    p->idf = idf;
    p->nidf = -1;
    p->nexact = -1;
    p->scored = p->scored_exact = 0;
}

/*
 * Has wenda_rank() keep the snippet marks of the best limit rows of the
 * search about to run (see snip_keep()): match is its expression, exact
 * the same without the prefix alternative (NULL: no topic can have the
 * query as its title) and map the chunks of match's phrases.
 */
static void
snip_begin(struct rank_params *p, unsigned int limit, const char *match,
           const char *exact, const struct phrase_map *map)
{
    int prefix = exact != NULL && strcmp(match, exact) != 0;

    p->snip_want = limit <= WENDA_SEARCH_MAX_LIMIT ? limit : 0;
    p->snip_n = p->snip_worst = 0;
    p->snip_prefix = -1;
    if (prefix && map != NULL && map->n >= 2)
        p->snip_prefix = p->skip + map->n - 1;
    else if (prefix)
        p->snip_want = 0;
}

/* Forgets the query of params_begin() once its statement has run. */
static void
params_end(struct rank_params *p)
{
    p->snip_want = 0;
    p->key = NULL;
    p->skip = 0;
    p->chunk = NULL;
    p->nchunk_map = 0;
    p->nidf = -1;
    p->nexact = -1;
}

/*
 * The filters go into the full-text expression too, as phrases ANDed in
 * front of match, into *filtered (new), and in front of exact (when not
 * NULL) into *filtered_exact, *nfilter being how many: FTS5 then steps
 * over the topics without them in its own lists, where the filters of the
 * statement alone (a lookup per match) looked at every match of a common
 * word: at a million topics, 0.4 s for a rare tag and 0.3 s for the rarest
 * category.  The category is the one token of its column
 * (WENDA_TOKEN_VERBATIM and the slug).  The tag is a phrase of the tags
 * column, which finds every topic with the tag and may find a few more
 * (the tag "a b" in the tags "x a" and "b y"), which the statement drops.
 * wenda_rank() skips these phrases (rank_params.skip).  A tag without a
 * token (punctuation only) is left to the statement; without any phrase,
 * both outputs are NULL.
 */
static enum wenda_err
with_filters(struct wenda_tokenizer *tk, const struct wenda_search_query *q,
             const char *match, const char *exact, char **filtered,
             char **filtered_exact, int *nfilter)
{
    const char *expr[2] = {match, exact};
    char **out[2] = {filtered, filtered_exact};
    struct buf head = {0};
    enum wenda_err rc = WENDA_OK;
    size_t ntag;
    int i;

    *filtered = *filtered_exact = NULL;
    *nfilter = 0;
    if (tk == NULL)
        return WENDA_ERR_INTERNAL;
    if (q->category != NULL &&
        wenda_slug_valid(q->category, WENDA_CONTENT_MAX_SLUG)) {
        buf_adds(&head, "category : \"" WENDA_TOKEN_VERBATIM);
        buf_adds(&head, q->category);
        buf_adds(&head, "\" AND ");
        (*nfilter)++;
    }
    ntag = q->tag != NULL ? strlen(q->tag) : 0;
    if (q->tag != NULL && ntag <= INT_MAX) {
        struct count_ctx cc = {0};

        rc = wenda_tokenize(tk, WENDA_TOKENIZE_QUERY, q->tag, (int)ntag,
                            count_token, &cc, NULL);
        if (rc == WENDA_OK && cc.n > 0) {
            buf_adds(&head, "tags : ");
            add_quoted(&head, q->tag, ntag);
            buf_adds(&head, " AND ");
            (*nfilter)++;
        }
    }
    for (i = 0; rc == WENDA_OK && *nfilter > 0 && i < 2 && expr[i] != NULL;
         i++) {
        struct buf b = {0};

        buf_add(&b, head.p, head.n);
        buf_adds(&b, "(");
        buf_adds(&b, expr[i]);
        buf_adds(&b, ")");
        *out[i] = buf_take(&b, NULL);
        if (*out[i] == NULL)
            rc = WENDA_ERR_NOMEM;
    }
    if (rc == WENDA_OK && buf_failed(&head))
        rc = WENDA_ERR_NOMEM;
    buf_cleanup(&head);
    return rc;
}

/*
 * Runs one MATCH expression: the best hits with their snippets, and the
 * number of matches.  key is the query's whole-title key and exact the
 * expression that finds the topics of that title (match without prefix
 * alternatives, whose setup costs too much to repeat topic by topic);
 * both NULL when no title can equal the query.
 */
static enum wenda_err
run_level(struct wenda_store *st, const struct wenda_search_query *query,
          const char *match, const char *exact, const char *key,
          const struct phrase_map *map, int idf,
          struct wenda_search_result *out)
{
    struct rank_params *params = wenda_store_search_state(st);
    sqlite3_stmt *s, *count;
    char *filtered = NULL, *filtered_exact = NULL;
    const char *bound, *bound_exact;
    enum wenda_err rc;
    int step = SQLITE_DONE, nfilter = 0;

    rc = wenda_store_prepare(st, SLOT_SEARCH, search_sql, &s);
    if (rc == WENDA_OK)
        rc = wenda_store_prepare(st, SLOT_COUNT, count_sql, &count);
    if (rc == WENDA_OK && params == NULL)
        rc = WENDA_ERR_INTERNAL;
    if (rc == WENDA_OK)
        rc = with_filters(wenda_store_tokenizer(st), query, match, exact,
                          &filtered, &filtered_exact, &nfilter);
    if (rc == WENDA_OK) {
        out->hits = calloc(query->limit, sizeof(*out->hits));
        if (out->hits == NULL)
            rc = WENDA_ERR_NOMEM;
    }
    if (rc != WENDA_OK)
        goto done;
    bound = filtered ? filtered : match;
    bound_exact = filtered ? filtered_exact : exact;
    params_begin(params, key, map, idf, nfilter);
    snip_begin(params, query->limit, match, exact, map);
    bind_filters(s, bound, query);
    sqlite3_bind_int(s, 8, (int)query->limit);
    sqlite3_bind_int64(s, 9, params->cap > 0 ? params->cap : -1);
    if (key != NULL && bound_exact != NULL) {
        sqlite3_bind_text(s, 10, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 11, bound_exact, -1, SQLITE_STATIC);
    }
    while (rc == WENDA_OK && out->n < query->limit &&
           (step = sqlite3_step(s)) == SQLITE_ROW) {
        struct wenda_search_hit *h = &out->hits[out->n++];

        h->id = sqlite3_column_int64(s, 0);
        h->slug = col_dup(s, 1);
        h->title = col_dup(s, 2);
        h->title_en = col_dup(s, 3);
        h->category = col_dup(s, 4);
        h->score = rank_score(sqlite3_column_double(s, 5));
        if (h->slug == NULL || h->title == NULL || h->title_en == NULL ||
            h->category == NULL)
            rc = WENDA_ERR_NOMEM;
        else
            rc = snip_from_rank(st, params, s, 6, h);
    }
    if (rc == WENDA_OK && out->n < query->limit && step != SQLITE_DONE)
        rc = WENDA_ERR_DB;
    reset(s);
    params_end(params);
    if (rc == WENDA_OK)
        rc = add_snippets(st, match, exact, out->hits, out->n);
    if (rc != WENDA_OK)
        goto done;
    /*
     * A page that is not full holds every match, and when the cap was not
     * reached, every match was scored: no need to count.  (A topic whose
     * title is the query matches exact as well as match, so it was scored
     * in the second part of the search if it matched at all.)  Past the
     * cap, matches are counted up to the connection's count
     * (wenda_search_set_count()), when the cap did not reach it already.
     */
    out->total = (int64_t)out->n;
    out->total_exact = 1;
    if (out->n == query->limit && !cap_filled(params)) {
        out->total = params->scored;
    } else if (out->n == query->limit &&
               params->count > 0 && params->count <= params->scored) {
        /* As many matches as may be counted were scored already. */
        out->total = params->scored;
        out->total_exact = 0;
    } else if (out->n == query->limit) {
        int64_t most = params->count > 0 ? params->count : -1;

        bind_filters(count, bound, query);
        sqlite3_bind_int64(count, 9, most);
        step = sqlite3_step(count);
        out->total = sqlite3_column_int64(count, 0);
        out->total_exact = most < 0 || out->total < most;
        reset(count);
        if (step != SQLITE_ROW)
            rc = WENDA_ERR_DB;
    }
done:
    free(filtered);
    free(filtered_exact);
    return rc;
}

enum wenda_err
wenda_search_run(struct wenda_store *st,
                 const struct wenda_search_query *query,
                 struct wenda_search_result *out, char *msg, size_t msgcap)
{
    struct wenda_tokenizer *tk = wenda_store_tokenizer(st);
    struct rank_params *params = wenda_store_search_state(st);
    struct phrase_map map = {{0}, 0};
    struct buf key = {0};
    char *match = NULL, *exact = NULL;
    size_t n = strlen(query->q);
    enum wenda_err rc;
    int alone = 0;   /* the last word alone filled the cap */

    memset(out, 0, sizeof(*out));
    if (tk == NULL)
        return WENDA_ERR_INTERNAL;
    if (query->limit == 0 || query->limit > WENDA_SEARCH_MAX_LIMIT) {
        (void)snprintf(msg, msgcap, "limit must be from 1 to %d",
                       WENDA_SEARCH_MAX_LIMIT);
        return WENDA_ERR_INVALID;
    }
    rc = build(tk, query->q, n, WENDA_SEARCH_ALL, &match, &exact, &map, msg,
               msgcap);
    if (rc == WENDA_OK)
        rc = key_of(tk, query->q, n, &key);
    if (rc == WENDA_OK && strcmp(match, exact) != 0 && params != NULL &&
        params->cap > 0) {
        /*
         * The query ends in a word that is also a prefix.  FTS5 merges the
         * lists of every word a prefix begins before it gives the first
         * match, which for a common word (http: http, https, httpd ...)
         * costs more than all the rest of the search.  So the word alone
         * goes first: when it fills the cap by itself, its candidates are
         * as good as the prefix's would be, and the prefix is not needed.
         * Its total is then a floor.
         */
        rc = run_level(st, query, exact, exact, key.p ? key.p : "", NULL, 0,
                       out);
        alone = rc == WENDA_OK && cap_filled(params);
        if (alone)
            out->total_exact = 0;
        else
            wenda_search_result_cleanup(out);
    }
    if (rc == WENDA_OK && !alone)
        rc = run_level(st, query, match, exact, key.p ? key.p : "", &map, 0,
                       out);
    if (rc == WENDA_OK && out->total == 0) {
        /* Nothing has every chunk: take any word of the query.  A whole
         * title equal to the query would have had every chunk. */
        wenda_search_result_cleanup(out);
        free(match);
        match = NULL;
        rc = build(tk, query->q, n, WENDA_SEARCH_ANY, &match, NULL, NULL,
                   msg, msgcap);
        if (rc == WENDA_OK)
            rc = run_level(st, query, match, NULL, NULL, NULL, 1, out);
    }
    free(exact);
    buf_cleanup(&key);
    free(match);
    if (rc != WENDA_OK)
        wenda_search_result_cleanup(out);
    return rc;
}

enum wenda_err
wenda_search_related(struct wenda_store *st, int64_t id, unsigned int limit,
                     struct wenda_search_result *out)
{
    /*
     * Scored as a search for any of the words is (wenda_rank(), IDF
     * weighed), and like a search only the first ?4 matches (the search
     * cap), not all: the words of a title match most topics of a large
     * base, and scoring them all with FTS5's bm25(), which counts every
     * word's matches, took 3 s at a million topics.  Only the best ?3 are
     * then read from topics.
     */
    static const char sql[] =
        "WITH cand(id, score) AS ("
        "  SELECT rowid, wenda_rank(topics_fts) "
        "  FROM topics_fts WHERE topics_fts MATCH ?1 AND rowid <> ?2 "
        "  LIMIT ?4), "
        "best(id, shared, score) AS ("
        "  SELECT id, (SELECT count(*) FROM topic_tags a JOIN topic_tags b "
        "     ON a.tag = b.tag WHERE a.topic_id = ?2 AND b.topic_id = id), "
        "    score FROM cand ORDER BY 2 DESC, score, id LIMIT ?3) "
        "SELECT b.id, t.slug, t.title, t.title_en, t.category, b.shared, "
        "  b.score FROM best b JOIN topics t ON t.id = b.id "
        "ORDER BY b.shared DESC, b.score, b.id";
    struct rank_params *params = wenda_store_search_state(st);
    struct wenda_tokenizer *tk = wenda_store_tokenizer(st);
    struct wenda_topic t;
    struct buf text = {0}, match = {0};
    struct any_ctx a;
    sqlite3_stmt *s = NULL;
    enum wenda_err rc;
    size_t i;
    int step = SQLITE_DONE;

    memset(out, 0, sizeof(*out));
    if (tk == NULL || params == NULL)
        return WENDA_ERR_INTERNAL;
    rc = wenda_store_topic_get(st, id, NULL, &t);
    if (rc != WENDA_OK)
        return rc;
    buf_adds(&text, t.title);
    buf_adds(&text, " ");
    buf_adds(&text, t.title_en ? t.title_en : "");
    for (i = 0; i < t.tags.n; i++) {
        buf_adds(&text, " ");
        buf_adds(&text, t.tags.v[i]);
    }
    wenda_topic_cleanup(&t);
    if (buf_failed(&text))
        return WENDA_ERR_NOMEM;
    /* Any word of the topic's own title and tags, each quoted. */
    memset(&a, 0, sizeof(a));
    a.q = text.p;
    a.b = &match;
    rc = wenda_tokenize(tk, WENDA_TOKENIZE_QUERY, text.p, (int)text.n,
                        add_any_token, &a, NULL);
    wenda_strv_cleanup(&a.seen);
    if (rc == WENDA_OK && (a.failed || buf_failed(&match)))
        rc = WENDA_ERR_NOMEM;
    if (rc != WENDA_OK || match.n == 0)
        goto cleanup;
    out->hits = calloc(limit ? limit : 1, sizeof(*out->hits));
    if (out->hits == NULL ||
        sqlite3_prepare_v2(wenda_store_db(st), sql, -1, &s, NULL) !=
            SQLITE_OK) {
        rc = out->hits == NULL ? WENDA_ERR_NOMEM : WENDA_ERR_DB;
        goto cleanup;
    }
    sqlite3_bind_text(s, 1, match.p, (int)match.n, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, id);
    sqlite3_bind_int(s, 3, (int)limit);
    sqlite3_bind_int64(s, 4, params->cap > 0 ? params->cap : -1);
    params_begin(params, NULL, NULL, 1, 0);
    while (out->n < limit && (step = sqlite3_step(s)) == SQLITE_ROW) {
        struct wenda_search_hit *h = &out->hits[out->n++];

        h->id = sqlite3_column_int64(s, 0);
        h->slug = col_dup(s, 1);
        h->title = col_dup(s, 2);
        h->title_en = col_dup(s, 3);
        h->category = col_dup(s, 4);
        h->snippet = strdup("");
        h->score = (double)sqlite3_column_int(s, 5) +
                   rank_score(sqlite3_column_double(s, 6)) / 1000.0;
        if (h->slug == NULL || h->title == NULL || h->title_en == NULL ||
            h->category == NULL || h->snippet == NULL) {
            rc = WENDA_ERR_NOMEM;
            break;
        }
    }
    params_end(params);
    if (rc == WENDA_OK && out->n < limit && step != SQLITE_DONE)
        rc = WENDA_ERR_DB;
    out->total = (int64_t)out->n;
    out->total_exact = 1;
cleanup:
    sqlite3_finalize(s);
    buf_cleanup(&text);
    buf_cleanup(&match);
    if (rc != WENDA_OK)
        wenda_search_result_cleanup(out);
    return rc;
}

void
wenda_search_result_cleanup(struct wenda_search_result *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < r->n; i++) {
        free(r->hits[i].slug);
        free(r->hits[i].title);
        free(r->hits[i].title_en);
        free(r->hits[i].category);
        free(r->hits[i].snippet);
    }
    free(r->hits);
    memset(r, 0, sizeof(*r));
}
