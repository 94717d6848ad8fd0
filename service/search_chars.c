/*
 * search_chars.c -- the characters of a relaxed query's words that no
 * topic holds, read alone (see wenda_search_add_characters()).
 */
#include "wenda/search.h"
#include "search_impl.h"
#include "search_int.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "buf.h"
#include "tokenize_int.h"
#include "wenda/tokenize.h"

#define BACKOFF_SPANS 64   /* Han tokens of a query looked at */
#define BACKOFF_CHARS 4    /* characters a relaxed query gains at most */
#define BACKOFF_COMMON 3   /* a character in over 1/3 of the topics is none */
#define COLUMNS_NAMING "{title aliases tags} : "
#define COMMON_SAMPLE 256  /* topics read to tell a common character */

/* The Han tokens of a query: byte spans of q, each found or not. */
struct han_spans {
    size_t base;   /* where the chunk being tokenized starts in q */
    size_t n;
    struct {
        size_t start, end;
        int found;
        int tried;   /* its characters were weighed */
    } v[BACKOFF_SPANS];
};

/* Keeps the span of a token of two Han characters (a bigram). */
static int
keep_bigram(void *ctx, int flags, const char *tok, int ntok, int start,
            int end)
{
    struct han_spans *h = ctx;
    utf8proc_int32_t c;
    utf8proc_ssize_t len;
    int i, chars = 0;

    (void)flags;
    for (i = 0; i < ntok; i += (int)len, chars++) {
        len = utf8proc_iterate((const utf8proc_uint8_t *)tok + i, ntok - i,
                               &c);
        if (len <= 0 || !wenda_tokenize_is_han(c))
            return 0;
    }
    if (chars == 2 && h->n < BACKOFF_SPANS) {
        h->v[h->n].start = h->base + (size_t)start;
        h->v[h->n].end = h->base + (size_t)end;
        h->v[h->n].found = 0;
        h->v[h->n].tried = 0;
        h->n++;
    }
    return 0;
}

/* Returns 1 when span s of q holds the character q[at..at+n). */
static int
span_holds(const char *q, size_t start, size_t end, size_t at, size_t n)
{
    size_t i;

    for (i = start; i + n <= end; i++)
        if (memcmp(q + i, q + at, n) == 0)
            return 1;
    return 0;
}

/* The bytes of the character at q[at], which ends by end. */
static size_t
char_len(const char *q, size_t at, size_t end)
{
    size_t n = 1;

    while (at + n < end && ((unsigned char)q[at + n] & 0xC0) == 0x80)
        n++;
    return n;
}

/* The number of topics and their highest id (zeros on any error). */
struct topic_span {
    int64_t n, max_id;
};

static struct topic_span
topic_span(struct wenda_search *se)
{
    static const char sql[] =
        "SELECT coalesce(sum(n), 0), "
        "(SELECT coalesce(max(id), 0) FROM topics) FROM category_counts";
    struct topic_span t = {0, 0};
    sqlite3_stmt *st;

    if (wenda_search_slot(se, SLOT_TOPICS, sql, &st) == WENDA_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) {
            t.n = sqlite3_column_int64(st, 0);
            t.max_id = sqlite3_column_int64(st, 1);
        }
        (void)sqlite3_reset(st);
    }
    return t;
}

/*
 * Returns 1 when more than a third of the topics (t) hold the phrase
 * match.  Reads at most COMMON_SAMPLE of its topics, in id order, and
 * from how far into the ids they reach tells the rest, so that a common
 * character costs no more to judge at a million topics than at a hundred
 * (counting it, as topics_terms does, walks its whole list).  1 on an
 * error: the character is then left out.
 */
static int
common_phrase(struct wenda_search *se, const char *match,
              const struct topic_span *t)
{
    static const char sql[] =
        "SELECT rowid FROM topics_fts WHERE topics_fts MATCH ?1 LIMIT ?2";
    sqlite3_stmt *st;
    int64_t k = 0, last = 0;
    double docs;
    int step;

    if (wenda_search_slot(se, SLOT_SAMPLE, sql, &st) != WENDA_OK)
        return 1;
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, COMMON_SAMPLE);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        k++;
        last = sqlite3_column_int64(st, 0);
    }
    (void)sqlite3_reset(st);
    (void)sqlite3_clear_bindings(st);
    if (step != SQLITE_DONE)
        return 1;
    docs = (double)k;
    if (k == COMMON_SAMPLE && last > 0 && t->max_id > last)
        docs = (double)k * (double)t->max_id / (double)last;
    return docs * BACKOFF_COMMON > (double)t->n;
}

/*
 * Returns 1 when the bigram h->v[i] may be a word: no character of it is
 * a particle or in a bigram of h that topics hold.
 */
static int
novel_word(const char *q, const struct han_spans *h, size_t i)
{
    size_t at = h->v[i].start, n, j;

    for (; at < h->v[i].end; at += n) {
        n = char_len(q, at, h->v[i].end);
        if (wenda_search_function_word(q + at, n))
            return 0;
        for (j = 0; j < h->n; j++)
            if (h->v[j].found &&
                span_holds(q, h->v[j].start, h->v[j].end, at, n))
                return 0;
    }
    return 1;
}

/*
 * Returns 1 when the character q[at..at+n), of the bigram h->v[i], was
 * weighed already: it is in a bigram before i whose characters were, or
 * earlier in h->v[i] itself.
 */
static int
tried_before(const char *q, const struct han_spans *h, size_t i, size_t at,
             size_t n)
{
    size_t j;

    for (j = 0; j < i; j++)
        if (h->v[j].tried && span_holds(q, h->v[j].start, h->v[j].end, at, n))
            return 1;
    return span_holds(q, h->v[i].start, at, at, n);
}

/*
 * ORs the character c[0..n) alone, in the titles, aliases and tags, to the
 * expression b when some topic has it there and no more than a third of
 * the topics (*topics, read once a search; n is -1 until then) have it at
 * all.  Returns 1 when it did.
 */
static int
or_character(struct wenda_search *se, const char *c, size_t n,
             struct buf *b, struct topic_span *topics)
{
    size_t mark = b->n, phrase;

    wenda_buf_adds(b, " OR ");
    wenda_buf_adds(b, COLUMNS_NAMING);
    phrase = b->n;
    wenda_search_add_quoted(b, c, n);
    if (wenda_buf_failed(b))
        return 0;
    /* In a title, alias or tag first: the cheaper question, and the one
     * most characters fail. */
    if (wenda_search_finds_any(se, b->p + mark + 4)) {
        if (topics->n < 0)
            *topics = topic_span(se);
        if (!common_phrase(se, b->p + phrase, topics))
            return 1;
    }
    b->n = mark;
    b->p[mark] = '\0';
    return 0;
}

/*
 * Adds to the any-word expression *match of query q the characters of its
 * two-character Han words that no topic holds, each alone when some topic
 * holds it: Chinese builds words of characters that mean something by
 * themselves, so a description with a word the notes do not use (CPU 核心)
 * still finds the topic that says it with another word of the same
 * character (多核).  Only a word neither of whose characters is in a word
 * of q that topics hold, and that is no particle, is read so: a bigram
 * made across two words (同时各自: 时各) or of a word and a one-character
 * verb (适合做: 合做) is no word, and its characters are already in
 * others or weigh nothing.  Nor is a character that a third of the topics
 * hold (有, 要): it says too little alone.  A character alone matches in
 * the titles, aliases and tags only, where it is part of a word that names
 * a topic; in the answers it would match nearly anything.
 */
enum wenda_err
wenda_search_add_characters(struct wenda_search *se,
                            struct wenda_tokenizer *tk, const char *q,
                            char **match)
{
    struct han_spans h;
    struct chunk_list w;
    struct buf b = {0};
    size_t last, i, k, added = 0;
    struct topic_span topics = {-1, 0};
    char msg[8];
    enum wenda_err rc;

    h.n = 0;
    if (wenda_search_words(se, tk, q, strlen(q), &w, &last, msg,
                           sizeof(msg)) != WENDA_OK)
        return WENDA_OK;
    for (i = 0; i < w.n; i++) {
        h.base = w.v[i].start;
        rc = wenda_tokenize(tk, WENDA_TOKENIZE_QUERY, q + w.v[i].start,
                            (int)(w.v[i].end - w.v[i].start), keep_bigram,
                            &h, NULL);
        if (rc != WENDA_OK)
            return rc;
    }
    for (i = 0, k = 0; i < h.n; i++) {
        h.v[i].found = wenda_search_phrase_found(se, q + h.v[i].start,
                                                 h.v[i].end - h.v[i].start);
        k += (size_t)h.v[i].found;
    }
    if (k == 0 && h.n > 1)
        return WENDA_OK;   /* a string of characters that are no words */
    wenda_buf_adds(&b, *match);
    for (i = 0; i < h.n && added < BACKOFF_CHARS; i++) {
        size_t at = h.v[i].start, n;

        if (h.v[i].found || !novel_word(q, &h, i))
            continue;
        for (; at < h.v[i].end && added < BACKOFF_CHARS; at += n) {
            n = char_len(q, at, h.v[i].end);
            if (!tried_before(q, &h, i, at, n) &&
                or_character(se, q + at, n, &b, &topics))
                added++;
        }
        h.v[i].tried = 1;
    }
    if (wenda_buf_failed(&b)) {
        wenda_buf_cleanup(&b);
        return WENDA_ERR_NOMEM;
    }
    if (added == 0) {
        wenda_buf_cleanup(&b);
        return WENDA_OK;
    }
    free(*match);
    *match = wenda_buf_take(&b, NULL);
    return *match ? WENDA_OK : WENDA_ERR_NOMEM;
}
