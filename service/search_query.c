/*
 * search_query.c -- the safe query builder.  User text never becomes
 * FTS5 syntax: the query is cut into chunks and each is quoted (see
 * search.c's opening comment); also the whole-title keys of a text and
 * the pinyin column of the index.
 */
#include "wenda/search.h"
#include "search_impl.h"
#include "search_int.h"

#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "buf.h"
#include "tokenize_int.h"
#include "wenda/content.h"
#include "wenda/lexicon.h"
#include "wenda/tokenize.h"

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


int
wenda_search_cut(const char *q, size_t n, struct chunk_list *out)
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
            out->v[out->n].last_token = 0;
            out->v[out->n].optional = 0;
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

/* ---- question and function words ----------------------------------------- */

/*
 * Words that ask rather than name: "为什么要有GIL" is about the GIL, and
 * "what does a semaphore do" about semaphores.  They are rare in the
 * topics, so bm25 would weigh them above the words the question is about;
 * a query keeps them only when it has nothing else (a query of nothing but
 * them still works).  Han words are cut out of a run of Han text; the one-
 * character ones only where what they leave on each side is empty or two
 * characters or more, so that 目的 or 和平 keep their 的 and 和.
 */
static const char *const zh_words[] = {
    "解释一下", "介绍一下", "为什么", "什么是", "是什么", "有什么", "有哪些",
    "怎么样", "是不是", "什么", "怎么", "怎样", "如何", "哪些", "哪个",
    "为何", "区别", "不同", "差异", "之间", "是否", "请问", "一下", "分别",
    "以及", "还是", "相比", "比较", "对比", "相对于", "做什么", "干什么",
    "干嘛", "有啥", "是啥", "啥", NULL,
};
static const char *const zh_particles[] = {
    "的", "了", "吗", "呢", "啊", "吧", "和", "与", "及", "或", "是", "跟",
    NULL,
};
static const char *const en_words[] = {
    "a", "about", "actually", "also", "am", "an", "and", "are", "as", "at",
    "be", "been", "between", "by", "can", "could", "define", "describe",
    "did", "difference", "differences", "different", "do", "does",
    "exactly", "explain", "for", "from", "had", "has", "have", "how", "i",
    "if", "in", "into", "is", "it", "its", "just", "me", "mean", "means",
    "my", "of", "on", "or", "our", "please", "really", "should", "so",
    "tell", "than", "the", "their", "them", "then", "there", "these",
    "they", "this", "those", "to", "versus", "very", "vs", "was", "we",
    "were", "what", "whats", "when", "where", "which", "who", "why", "will",
    "with", "would", "you", "your", NULL,
};

/* Returns the bytes of the longest word of list that s[0..n) begins with,
 * or 0. */
static size_t
starts_with_any(const char *s, size_t n, const char *const *list)
{
    size_t best = 0, len, i;

    if (n < 3)
        return 0;
    for (i = 0; list[i] != NULL; i++) {
        /* each begins with a Han character: its three bytes first, the
         * last (which tells most apart) first of all, compared in place
         * rather than by a call to memcmp() for each word */
        if (list[i][2] != s[2] || list[i][1] != s[1] || list[i][0] != s[0])
            continue;
        len = strlen(list[i]);
        if (len <= n && len > best && memcmp(s, list[i], len) == 0)
            best = len;
    }
    return best;
}

/* Returns 1 when the Latin chunk q[start..end) is a word of en_words,
 * whatever its case. */
static int
is_en_word(const char *q, size_t start, size_t end)
{
    char w[16];
    size_t i, n = end - start;

    if (n >= sizeof(w))
        return 0;
    for (i = 0; i < n; i++) {
        char c = q[start + i];

        w[i] = (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
    }
    w[n] = '\0';
    for (i = 0; en_words[i] != NULL; i++)
        if (strcmp(w, en_words[i]) == 0)
            return 1;
    return 0;
}

/* Appends chunk q[start..end) to out, marked optional or not, unless it
 * is empty; -1 when out is full. */
static int
push_piece(struct chunk_list *out, size_t start, size_t end, int optional)
{
    if (end <= start)
        return 0;
    if (out->n == WENDA_SEARCH_MAX_CHUNKS)
        return -1;
    out->v[out->n].start = start;
    out->v[out->n].end = end;
    out->v[out->n].latin_only = 0;
    out->v[out->n].last_token = 0;
    out->v[out->n].optional = optional;
    out->n++;
    return 0;
}

/*
 * Returns 1 when a word of se's dictionary in chunk c of q crosses the
 * stretch from..to (a question or function word about to be cut out):
 * 和平 in 世界和平 keeps its 和.
 */
static int
in_dictionary_word(const struct wenda_search *se, const char *q,
                   const struct chunk *c, size_t from, size_t to)
{
    size_t at[2 * WENDA_LEXICON_MAX_WORD + 2], n = 0, i, j, p;

    if (se == NULL)
        return 0;
    /* Character starts from up to WENDA_LEXICON_MAX_WORD before from. */
    for (p = from, i = 0; p > c->start && i < WENDA_LEXICON_MAX_WORD - 1;
         i++) {
        do
            p--;
        while (p > c->start && ((unsigned char)q[p] & 0xC0) == 0x80);
    }
    for (; p <= c->end && n < sizeof(at) / sizeof(at[0]); p++)
        if (p == c->end || ((unsigned char)q[p] & 0xC0) != 0x80)
            at[n++] = p;
    for (i = 0; i < n && at[i] < to; i++)
        for (j = i + 2; j < n && j - i <= WENDA_LEXICON_MAX_WORD; j++)
            if (at[j] > from && !(at[i] >= from && at[j] <= to) &&
                wenda_search_dictionary_has(se, q + at[i], at[j] - at[i]))
                return 1;
    return 0;
}

/* Cuts the chunk c of q at its question and function words into out;
 * -1 when out is full. */
static int
split_han(const struct wenda_search *se, const char *q,
          const struct chunk *c, struct chunk_list *out)
{
    size_t i = c->start, piece = c->start, len;

    while (i < c->end) {
        if (((unsigned char)q[i] & 0xC0) == 0x80) {
            i++;   /* inside a character: no word begins here */
            continue;
        }
        len = starts_with_any(q + i, c->end - i, zh_words);
        if (len == 0) {
            size_t one = starts_with_any(q + i, c->end - i, zh_particles);

            if (one && wenda_utf8_chars(q + piece, i - piece) != 1 &&
                wenda_utf8_chars(q + i + one, c->end - i - one) != 1)
                len = one;
        }
        if (len == 0 || in_dictionary_word(se, q, c, i, i + len)) {
            i++;
            continue;
        }
        if (push_piece(out, piece, i, 0) != 0 ||
            push_piece(out, i, i + len, 1) != 0)
            return -1;
        i += len;
        piece = i;
    }
    return push_piece(out, piece, c->end, 0);
}

int
wenda_search_function_word(const char *s, size_t n)
{
    char w[16];
    size_t i;

    if (n < sizeof(w) && n > 0 && (unsigned char)s[0] < 0x80) {
        for (i = 0; i < n; i++)
            w[i] = s[i];
        return is_en_word(w, 0, n);
    }
    return (starts_with_any(s, n, zh_words) == n ||
            starts_with_any(s, n, zh_particles) == n) &&
           n > 0;
}

size_t
wenda_search_han_content(const char *q, size_t start, size_t end,
                         size_t *at, size_t max)
{
    struct chunk c = {start, end, 0, 0, 0};
    struct chunk_list out;
    size_t i, k = 0;

    out.n = 0;
    if (split_han(NULL, q, &c, &out) != 0) {
        at[0] = start;
        at[1] = end;
        return max > 0;
    }
    for (i = 0; i < out.n && k < max; i++)
        if (!out.v[i].optional) {
            at[2 * k] = out.v[i].start;
            at[2 * k + 1] = out.v[i].end;
            k++;
        }
    return k;
}

/*
 * Marks the question and function words of chunks optional, cutting Han
 * chunks around them.  When that would make too many chunks, the Han
 * chunks stay whole.
 */
static void
mark_function_words(const struct wenda_search *se, const char *q,
                    struct chunk_list *chunks)
{
    struct chunk_list out;
    size_t i;

    out.n = 0;
    for (i = 0; i < chunks->n; i++) {
        struct chunk *c = &chunks->v[i];

        c->optional = 0;
        if (c->latin_only) {
            c->optional = is_en_word(q, c->start, c->end);
            if (push_piece(&out, c->start, c->end, c->optional) != 0)
                break;
            out.v[out.n - 1].latin_only = 1;
        } else if (split_han(se, q, c, &out) != 0) {
            break;
        }
    }
    if (i == chunks->n)
        *chunks = out;
}

int
wenda_search_count_token(void *ctx, int flags, const char *tok, int ntok,
                         int start, int end)
{
    struct count_ctx *c = ctx;

    (void)flags;
    (void)tok;
    (void)ntok;
    c->n++;
    c->last = end - start;
    return 0;
}

void
wenda_search_add_quoted(struct buf *b, const char *s, size_t n)
{
    const char *q;

    wenda_buf_add(b, "\"", 1);
    while (n > 0 && (q = memchr(s, '"', n)) != NULL) {
        wenda_buf_add(b, s, (size_t)(q - s) + 1);   /* through the quote */
        wenda_buf_add(b, "\"", 1);                  /* and again */
        n -= (size_t)(q - s) + 1;
        s = q + 1;
    }
    wenda_buf_add(b, s, n);
    wenda_buf_add(b, "\"", 1);
}

int
wenda_search_any_token(void *vctx, int flags, const char *tok, int ntok,
                       int start, int end)
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
    if (wenda_buf_reserve(&a->seen.v, &a->cap, a->seen.n, sizeof(char *), 16) !=
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
        wenda_buf_adds(a->b, " OR ");
    wenda_search_add_quoted(a->b, a->q + start, n);
    return 0;
}

/*
 * Drops the optional chunks of chunks when it has others, and returns the
 * index the chunk at last then has (last is the last chunk: it may be a
 * prefix).
 */
static size_t
drop_optional(struct chunk_list *chunks, size_t last)
{
    size_t i, kept = 0, content = 0;

    for (i = 0; i < chunks->n; i++)
        content += !chunks->v[i].optional;
    if (content == 0 || content == chunks->n)
        return last;
    for (i = 0; i < chunks->n; i++)
        if (!chunks->v[i].optional)
            chunks->v[kept++] = chunks->v[i];
    chunks->n = kept;
    return kept - 1;
}

/*
 * Checks query q[0..n): its length, that it is UTF-8 without
 * noncharacters.  WENDA_ERR_INVALID with msg.
 */
static enum wenda_err
check_query(const char *q, size_t n, char *msg, size_t msgcap)
{
    unsigned long nonchar;

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
    if (wenda_utf8_chars(q, n) > WENDA_SEARCH_MAX_QUERY_CHARS) {
        (void)snprintf(msg, msgcap, "query parameter 'q' is longer than %d "
                       "characters", WENDA_SEARCH_MAX_QUERY_CHARS);
        return WENDA_ERR_INVALID;
    }
    nonchar = wenda_utf8_noncharacter(q, n);
    if (nonchar != 0) {
        (void)snprintf(msg, msgcap, "query parameter 'q' holds U+%04lX, a "
                       "Unicode noncharacter", nonchar);
        return WENDA_ERR_INVALID;
    }
    return WENDA_OK;
}

/*
 * Writes one unit of the every-chunk expression: chunks[at..at+span) of q
 * as one phrase, ORed with the synonyms alts[0..nalts), to b (and e when
 * not NULL), each phrase mapped to unit in map.
 */
static void
synonym_unit(const char *q, const struct chunk_list *chunks, size_t at,
             size_t span, const char *const *alts, size_t nalts,
             struct buf *b, struct buf *e, struct phrase_map *map, int unit)
{
    size_t from = chunks->v[at].start, to = chunks->v[at + span - 1].end, i;
    struct buf *out[2] = {b, e};
    int k;

    for (k = 0; k < 2; k++) {
        if (out[k] == NULL)
            continue;
        wenda_buf_adds(out[k], "(");
        wenda_search_add_quoted(out[k], q + from, to - from);
        for (i = 0; i < nalts; i++) {
            wenda_buf_adds(out[k], " OR ");
            wenda_search_add_quoted(out[k], alts[i], strlen(alts[i]));
        }
        wenda_buf_adds(out[k], ")");
    }
    for (i = 0; map != NULL && i <= nalts; i++)
        map->chunk[map->n++] = unit;
}

/*
 * Writes the every-chunk expression of the chunks of q to b, each chunk a
 * quoted phrase ANDed, the last (index last) also as a prefix when it is
 * a long enough Latin word, and a run of chunks that is a synonym term of
 * se's lexicon ORed with the terms it stands for; the same without the
 * prefix to e when not NULL, and the chunk of each phrase to map when not
 * NULL.
 */
static void
all_chunks(const struct wenda_search *se, const char *q,
           const struct chunk_list *chunks, size_t last, struct buf *b,
           struct buf *e, struct phrase_map *map)
{
    const char *alts[WENDA_SEARCH_SYNONYMS];
    size_t i = 0, span, nalts;
    int unit = 0;

    for (; i < chunks->n; unit++) {
        const struct chunk *c = &chunks->v[i];
        int twice = i == last && c->latin_only &&
                    c->last_token >= PREFIX_MIN;

        if (unit > 0) {
            wenda_buf_adds(b, " AND ");
            if (e != NULL)
                wenda_buf_adds(e, " AND ");
        }
        span = wenda_search_synonyms_at(se, q, chunks, i, alts, &nalts,
                                        WENDA_SEARCH_SYNONYMS);
        /* Room for the rest, one phrase each, prefix forms too. */
        if (span > 0 && map != NULL &&
            map->n + (int)nalts + 1 + 2 * (int)(chunks->n - i - span) >
                WENDA_SEARCH_MAX_PHRASES)
            span = 0;
        if (span > 0) {
            synonym_unit(q, chunks, i, span, alts, nalts, b, e, map, unit);
            i += span;
            continue;
        }
        if (e != NULL)
            wenda_search_add_quoted(e, q + c->start, c->end - c->start);
        if (twice) {
            wenda_buf_adds(b, "(");
            wenda_search_add_quoted(b, q + c->start, c->end - c->start);
            wenda_buf_adds(b, " OR ");
            wenda_search_add_quoted(b, q + c->start, c->end - c->start);
            wenda_buf_adds(b, "*)");
        } else {
            wenda_search_add_quoted(b, q + c->start, c->end - c->start);
        }
        if (map != NULL) {
            map->chunk[map->n++] = unit;
            if (twice)
                map->chunk[map->n++] = unit;
        }
        i++;
    }
}

enum wenda_err
wenda_search_words(const struct wenda_search *se, struct wenda_tokenizer *tk,
                   const char *q, size_t n, struct chunk_list *words,
                   size_t *last, char *msg, size_t msgcap)
{
    struct chunk_list chunks;
    size_t i, kept = 0;
    enum wenda_err rc;

    *last = 0;
    rc = check_query(q, n, msg, msgcap);
    if (rc != WENDA_OK)
        return rc;
    if (wenda_search_cut(q, n, &chunks) != 0) {
        (void)snprintf(msg, msgcap, "query parameter 'q' has more than %d "
                       "words", WENDA_SEARCH_MAX_CHUNKS);
        return WENDA_ERR_INVALID;
    }
    mark_function_words(se, q, &chunks);
    /* Keep the chunks that hold at least one token. */
    for (i = 0; i < chunks.n; i++) {
        struct count_ctx cc = {0};

        rc = wenda_tokenize(tk, WENDA_TOKENIZE_QUERY, q + chunks.v[i].start,
                            (int)(chunks.v[i].end - chunks.v[i].start),
                            wenda_search_count_token, &cc, NULL);
        if (rc != WENDA_OK)
            return rc;
        if (cc.n > 0) {
            chunks.v[i].last_token = cc.last;
            chunks.v[kept++] = chunks.v[i];
            *last = kept - 1;
        }
    }
    chunks.n = kept;
    if (chunks.n == 0) {
        (void)snprintf(msg, msgcap, "query parameter 'q' must contain at "
                       "least one word");
        return WENDA_ERR_INVALID;
    }
    *last = drop_optional(&chunks, *last);
    *words = chunks;
    return WENDA_OK;
}

enum wenda_err
wenda_search_build_map(const struct wenda_search *se,
                       struct wenda_tokenizer *tk, const char *q, size_t n,
                       enum wenda_search_level level, char **match,
                       char **exact, struct phrase_map *map, char *msg,
                       size_t msgcap)
{
    struct chunk_list chunks;
    struct buf b = {0}, e = {0};
    size_t i, last = 0;
    enum wenda_err rc;

    *match = NULL;
    if (exact != NULL)
        *exact = NULL;
    rc = wenda_search_words(se, tk, q, n, &chunks, &last, msg, msgcap);
    if (rc != WENDA_OK)
        return rc;
    if (level == WENDA_SEARCH_ANY) {
        struct any_ctx a = {q, &b, {NULL, 0}, 0, 0};

        for (i = 0, rc = WENDA_OK; rc == WENDA_OK && i < chunks.n; i++) {
            a.q = q + chunks.v[i].start;
            rc = wenda_tokenize(tk, WENDA_TOKENIZE_QUERY, a.q,
                                (int)(chunks.v[i].end - chunks.v[i].start),
                                wenda_search_any_token, &a, NULL);

        }
        wenda_strv_cleanup(&a.seen);
        if (rc == WENDA_OK && a.failed)
            rc = WENDA_ERR_NOMEM;
        if (rc != WENDA_OK) {
            wenda_buf_cleanup(&b);
            return rc;
        }
    } else {
        all_chunks(se, q, &chunks, last, &b, exact ? &e : NULL, map);
    }
    *match = wenda_buf_take(&b, NULL);
    if (exact != NULL) {
        *exact = wenda_buf_take(&e, NULL);
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
    return wenda_search_build_map(NULL, tk, q, n, level, match, NULL, NULL,
                                  msg,
                                  msgcap);
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
        wenda_buf_add(b, " ", 1);
    wenda_buf_add(b, tok, (size_t)ntok);
    return 0;
}

enum wenda_err
wenda_search_key_of(struct wenda_tokenizer *tk, const char *text, size_t n,
       struct buf *out)
{
    enum wenda_err rc;

    wenda_buf_reset(out);
    rc = wenda_tokenize(tk, WENDA_TOKENIZE_QUERY, text, (int)n,
                        add_key_token, out, NULL);
    if (rc == WENDA_OK && wenda_buf_failed(out))
        rc = WENDA_ERR_NOMEM;
    return rc;
}

/* ---- the pinyin column ------------------------------------------------- */

/* Appends syllables from..to of syl, joined, as a word of col. */
static void
add_syllables(struct buf *col, char *const *syl, size_t from, size_t to)
{
    if (col->n > 0)
        wenda_buf_add(col, " ", 1);
    for (; from <= to; from++)
        wenda_buf_adds(col, syl[from]);
}

enum wenda_err
wenda_search_add_pinyin(struct wenda_tokenizer *tk, const char *text,
                        struct buf *col, struct buf *whole)
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
            size_t top = k + 3 < nsyl - 1 ? k + 3 : nsyl - 1;

            for (j = k; j <= top; j++)
                add_syllables(col, syl, k, j);
            if (k == 0 && top < nsyl - 1)   /* the whole run */
                add_syllables(col, syl, 0, nsyl - 1);
            if (whole != NULL)
                wenda_buf_adds(whole, syl[k]);
        }
        free(py);
    }
    return wenda_buf_failed(col) || (whole && wenda_buf_failed(whole))
               ? WENDA_ERR_NOMEM
               : WENDA_OK;
}

