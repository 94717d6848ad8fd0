/*
 * search_snippet.c -- wenda_snippet(), the HTML snippet of an
 * answer, and the marks a search keeps for its best rows while it ranks
 * them.
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
#include "wenda/tokenize.h"

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
 *
 * An answer met for the first time is tokenized only as far as its
 * window, and the slot notes it (seen, seen_hash); met again, it is
 * tokenized to its end and kept.  Keeping only what was tokenized to the
 * end, without the second look, left every answer whose window ends
 * before its text does out of the cache for good: a third of the clean
 * mix's searches tokenized an answer again, a tenth of their time.
 */
#define SNIP_SLOTS 256
#define SNIP_MAX_CACHED 16384   /* positions; longer answers are not kept */

struct snip_entry {
    int64_t rowid;
    uint64_t hash;      /* text_hash() of the answer */
    int ntext;          /* its length in bytes */
    struct span *pos;   /* byte span of each token position */
    int n;
    int64_t seen;       /* the rowid of the answer last met here and not
                         * kept, 0 for none, negated when it is too long
                         * to keep */
    uint64_t seen_hash; /* and its text_hash() */
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
    if (wenda_buf_reserve(&c->pos, &c->cap, (size_t)c->n, sizeof(*c->pos),
                          256) != 0) {
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

void
wenda_search_add_html(struct buf *b, const char *s, int n)
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
            wenda_buf_add(b, s + from, (size_t)(i - from));
            wenda_buf_adds(b, rep);
            from = i + 1;
        }
    }
    wenda_buf_add(b, s + from, (size_t)(n - from));
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

void
wenda_search_snip_keep(const Fts5ExtensionApi *api, Fts5Context *fts,
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
 * Returns the first token position of the snippet window of ntok
 * positions: the one starting a quarter before a match that holds the
 * most of marks[0..nmarks); the start of the answer when there is none.
 */
static int
window_start(const struct span *marks, int nmarks, int ntok)
{
    int i, j, best = -1, start = 0;

    for (i = 0; i < nmarks; i++) {
        int from = marks[i].start - ntok / 4, count = 0;

        if (from < 0)
            from = 0;
        for (j = 0; j < nmarks; j++)
            if (marks[j].start >= from && marks[j].end < from + ntok)
                count++;
        if (count > best) {
            best = count;
            start = from;
        }
    }
    return start;
}

/*
 * Turns the token spans marks[0..nmarks) into the byte spans (by pos, of
 * npos tokens) of those inside window, sorted, overlaps merged (bigrams
 * overlap); returns how many are left.
 */
static int
place_marks(struct span *marks, int nmarks, const struct span *pos, int npos,
            struct span window)
{
    int i, j;

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
    return nmarks;
}

/*
 * Appends to out the window (token positions) of text[0..ntext), whose
 * tokens are at the byte spans pos[0..npos), HTML-escaped, the byte spans
 * marks[0..nmarks) (sorted, apart) in <mark>, "…" where it cuts the text.
 */
static void
write_snippet(struct buf *out, const char *text, int ntext,
              const struct span *pos, int npos, struct span window,
              const struct span *marks, int nmarks)
{
    int i, at;

    if (npos == 0) {
        wenda_search_add_html(out, text, ntext);
    } else {
        int from = window.start == 0 ? 0 : pos[window.start].start;
        int to = window.end == npos ? ntext : pos[window.end - 1].end;

        if (window.start > 0)
            wenda_buf_adds(out, "…");
        at = from;
        for (i = 0; i < nmarks; i++) {
            wenda_search_add_html(out, text + at, marks[i].start - at);
            wenda_buf_adds(out, "<mark>");
            wenda_search_add_html(out, text + marks[i].start,
                     marks[i].end - marks[i].start);
            wenda_buf_adds(out, "</mark>");
            at = marks[i].end;
        }
        wenda_search_add_html(out, text + at, to - at);
        if (window.end < npos)
            wenda_buf_adds(out, "…");
    }
}

/*
 * A 64-bit hash of text[0..n) that tells a cached answer from another:
 * FNV-1a's constants taken eight bytes at a time, each step mixed down,
 * since a byte at a time was most of a snippet's time (a page's answers
 * are some ten kilobytes).
 */
static uint64_t
text_hash(const char *text, int n)
{
    uint64_t h = 0xcbf29ce484222325u, w;
    int i = 0;

    for (; i + 8 <= n; i += 8) {
        memcpy(&w, text + i, 8);
        h = (h ^ w) * 0x100000001b3u;
        h ^= h >> 32;
    }
    for (; i < n; i++)
        h = (h ^ (unsigned char)text[i]) * 0x100000001b3u;
    return h;
}

int
wenda_search_snippet_render(struct snip_cache *cache,
                            const struct snip_tokenizer *tok, int64_t rowid,
                            const char *text, int ntext,
                            const struct span *found, int nmarks, int ntok,
                            struct buf *out)
{
    struct span marks[SNIP_MAX_MARKS], window = {0, 0};
    struct collect c = {NULL, 0, 0, 0, 0};
    struct snip_entry *e = NULL;
    const struct span *pos;
    int npos, complete = 1, full = 0;
    uint64_t hash = text_hash(text, ntext);

    memcpy(marks, found, (size_t)nmarks * sizeof(marks[0]));
    window.start = window_start(marks, nmarks, ntok);
    /* The token positions of the answer: cached, or tokenized now, only
     * as far as one past the window (which tells whether text follows). */
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
        struct snip_entry *slot =
            cache != NULL ? &cache->slot[(uint64_t)rowid % SNIP_SLOTS] : NULL;
        int met = slot != NULL && slot->seen_hash == hash;

        /* Met before: to the end (as far as may be kept), to be kept;
         * else as far as needed. */
        full = met && slot->seen == rowid;
        c.need = window.start + ntok + 1;
        if (full && c.need < SNIP_MAX_CACHED + 1)
            c.need = SNIP_MAX_CACHED + 1;
        if (slot != NULL && !(met && slot->seen == -rowid)) {
            slot->seen = rowid;
            slot->seen_hash = hash;
        }
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
    nmarks = place_marks(marks, nmarks, pos, npos, window);
    write_snippet(out, text, ntext, pos, npos, window, marks, nmarks);
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
            slot->seen = 0;
        } else {
            free(c.pos);
            if (cache != NULL && full)   /* too long to keep: never again */
                cache->slot[(uint64_t)rowid % SNIP_SLOTS].seen = -rowid;
        }
    }
    return wenda_buf_failed(out) ? -1 : 0;
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
    if (wenda_search_snippet_render(api->xUserData(fts), &tok, api->xRowid(fts),
                                    text, ntext, marks, nmarks, ntok,
                                    &out) != 0) {
        wenda_buf_cleanup(&out);
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, out.p ? out.p : "", (int)out.n,
                        out.p ? free : SQLITE_STATIC);
}

/* Splits a rank value back into its score (larger is better). */

enum wenda_err
wenda_search_snippet_register(fts5_api *api, struct rank_params *p)
{
    struct snip_cache *cache = calloc(1, sizeof(*cache));

    if (cache == NULL)
        return WENDA_ERR_NOMEM;
    /* FTS5 owns the cache from here and frees it with the connection. */
    p->snip_cache = cache;
    if (api->xCreateFunction(api, "wenda_snippet", cache, wenda_snippet,
                             snip_cache_free) != SQLITE_OK)
        return WENDA_ERR_DB;
    return WENDA_OK;
}
