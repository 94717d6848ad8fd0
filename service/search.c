/*
 * search.c -- running a search: the statements of a search and of its
 * count, the filters, the fallback to any word, and the topics like one
 * topic.  Its parts are in search_query.c (the safe query builder),
 * search_index.c (writing the index), search_rank.c (wenda_rank(), the
 * ranking function), search_snippet.c (wenda_snippet()) and
 * search_chars.c (the characters of a relaxed query's unknown words);
 * search_impl.h is what they share.
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

#define SNIPPET_TOKENS 32
#define FIXES_TRIED 4   /* corrections of a query tried at most */
#define RELAX_WORDS 16 /* words of a query looked into for the unfound */

struct wenda_tokenizer *
wenda_search_tokenizer(struct wenda_search *se)
{
    if (se->tk == NULL && wenda_tokenizer_new(&se->tk) != WENDA_OK)
        se->tk = NULL;
    return se->tk;
}

enum wenda_err
wenda_search_slot(struct wenda_search *se, unsigned int slot,
                  const char *sql, sqlite3_stmt **out)
{
    if (se->slot[slot] == NULL &&
        sqlite3_prepare_v3(se->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                           &se->slot[slot], NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    *out = se->slot[slot];
    return WENDA_OK;
}


/* ---- running a search ---------------------------------------------------- */

static char *
col_dup(sqlite3_stmt *s, int col)
{
    const char *v = (const char *)sqlite3_column_text(s, col);

    return strdup(v ? v : "");
}

/* Reads the id, slug, titles and category of a hit, columns 0 to 4 of s,
 * into h.  WENDA_ERR_NOMEM. */
static enum wenda_err
read_hit(sqlite3_stmt *s, struct wenda_search_hit *h)
{
    h->id = sqlite3_column_int64(s, 0);
    h->slug = col_dup(s, 1);
    h->title = col_dup(s, 2);
    h->title_en = col_dup(s, 3);
    h->category = col_dup(s, 4);
    return h->slug == NULL || h->title == NULL || h->title_en == NULL ||
                   h->category == NULL
               ? WENDA_ERR_NOMEM
               : WENDA_OK;
}


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
 * query (looked up once into rank_params.exact, and scored one by one
 * with exact_sql); only they are scored, each with its rank, and
 * run_level() keeps the best page of them as they come (struct best) and
 * reads only that page's topics (topic_sql).  Sorting in SQLite instead
 * took two temporary b-trees and a sorter that copied each page topic's
 * answer, a fifth of a clean search; and the title's topics as a table
 * in SQL (a UNION ALL of two scans, one of them NOT IN that table) took
 * three times as long as the one scan.
 */
static const char search_sql[] =
    "SELECT rowid, wenda_rank(topics_fts) FROM topics_fts "
    "WHERE topics_fts MATCH ?1 AND NOT wenda_exact(rowid) "
    FILTERS("topics_fts.rowid") "LIMIT ?9";

/* One topic ?2 of the query's whole title, if it matches ?1. */
static const char exact_sql[] =
    "SELECT rowid, wenda_rank(topics_fts) FROM topics_fts "
    "WHERE topics_fts MATCH ?1 AND rowid = ?2 " FILTERS("topics_fts.rowid");

/*
 * search_sql for a query that no topic has as its title, which is most:
 * the same candidates without the table of the title's topics, which
 * SQLite would otherwise build and drop on every search.
 */
static const char plain_sql[] =
    "SELECT rowid, wenda_rank(topics_fts) FROM topics_fts "
    "WHERE topics_fts MATCH ?1 " FILTERS("topics_fts.rowid") "LIMIT ?9";

/* The row of a hit of the page: what read_hit() and its snippet read. */
static const char topic_sql[] =
    "SELECT id, slug, title, title_en, category, answer FROM topics "
    "WHERE id = ?1";

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
 * Sets the snippet of hit h, the current row of statement s, from
 * the marks wenda_search_snip_keep() kept for it while the search scored it,
 * with the answer in column col; leaves it NULL when there are none.
 */
static enum wenda_err
snip_from_rank(struct wenda_search *se, const struct rank_params *p,
               sqlite3_stmt *s, int col, struct wenda_search_hit *h)
{
    struct snip_tokenizer tok = {NULL, NULL, wenda_search_tokenizer(se)};
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
        wenda_search_snippet_render(p->snip_cache, &tok, h->id, text, ntext,
                                    r->marks, r->n, SNIPPET_TOKENS,
                                    &out) != 0) {
        wenda_buf_cleanup(&out);
        return WENDA_ERR_NOMEM;
    }
    h->snippet = wenda_buf_take(&out, NULL);
    return h->snippet != NULL ? WENDA_OK : WENDA_ERR_NOMEM;
}

/*
 * Whether the ranking of topic id already found that its answer holds no
 * match of the expression without its prefix alternative (a row of
 * rank_params.snip[] with n -1, see wenda_search_snip_keep()): its strict
 * snippet would be none, and is not asked for.
 */
static int
plain_unmarked(const struct rank_params *p, int64_t id)
{
    unsigned int i;

    for (i = 0; i < p->snip_n; i++)
        if (p->snip[i].rowid == id)
            return p->snip[i].n == -1;
    return 0;
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
add_snippets(struct wenda_search *se, const char *match, const char *plain,
             struct wenda_search_hit *hits, size_t n)
{
    sqlite3_stmt *s;
    enum wenda_err rc = wenda_search_slot(se, SLOT_SNIPPET, snippet_sql, &s);
    size_t i;

    if (plain != NULL && strcmp(plain, match) == 0)
        plain = NULL;
    for (i = 0; rc == WENDA_OK && i < n; i++) {
        if (hits[i].snippet != NULL)
            continue;
        if (plain != NULL && !plain_unmarked(se->rp, hits[i].id))
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
 * search about to run (see wenda_search_snip_keep()): match is its expression,
 * exact the same without the prefix alternative (NULL: no topic can have the
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
        wenda_buf_adds(&head, "category : \"" WENDA_TOKEN_VERBATIM);
        wenda_buf_adds(&head, q->category);
        wenda_buf_adds(&head, "\" AND ");
        (*nfilter)++;
    }
    ntag = q->tag != NULL ? strlen(q->tag) : 0;
    if (q->tag != NULL && ntag <= INT_MAX) {
        struct count_ctx cc = {0};

        rc = wenda_tokenize(tk, WENDA_TOKENIZE_QUERY, q->tag, (int)ntag,
                            wenda_search_count_token, &cc, NULL);
        if (rc == WENDA_OK && cc.n > 0) {
            wenda_buf_adds(&head, "tags : ");
            wenda_search_add_quoted(&head, q->tag, ntag);
            wenda_buf_adds(&head, " AND ");
            (*nfilter)++;
        }
    }
    for (i = 0; rc == WENDA_OK && *nfilter > 0 && i < 2 && expr[i] != NULL;
         i++) {
        struct buf b = {0};

        wenda_buf_add(&b, head.p, head.n);
        wenda_buf_adds(&b, "(");
        wenda_buf_adds(&b, expr[i]);
        wenda_buf_adds(&b, ")");
        *out[i] = wenda_buf_take(&b, NULL);
        if (*out[i] == NULL)
            rc = WENDA_ERR_NOMEM;
    }
    if (rc == WENDA_OK && wenda_buf_failed(&head))
        rc = WENDA_ERR_NOMEM;
    wenda_buf_cleanup(&head);
    return rc;
}

/*
 * Sets the total of out, a search of query on bound whose hits are read.
 * A page that is not full holds every match (after the offset), and when
 * the cap was not reached, every match was scored: no need to count.  (A
 * topic whose title is the query matches exact as well as match, so it
 * was scored in the second part of the search if it matched at all.)
 * Past the cap, matches are counted up to the connection's count
 * (wenda_search_set_count()), when the cap did not reach it already.
 */
static enum wenda_err
count_total(struct wenda_search *se, sqlite3_stmt *count, const char *bound,
            const struct wenda_search_query *query,
            struct wenda_search_result *out)
{
    struct rank_params *params = se->rp;
    /* A page past the last match tells nothing of how many there are. */
    int full = out->n == query->limit || (query->offset > 0 && out->n == 0);
    int step;

    out->total = (int64_t)query->offset + (int64_t)out->n;
    out->total_exact = 1;
    if (full && !cap_filled(params)) {
        out->total = params->scored;
    } else if (full && params->count > 0 && params->count <= params->scored) {
        /* As many matches as may be counted were scored already. */
        out->total = params->scored;
        out->total_exact = 0;
    } else if (full) {
        int64_t most = params->count > 0 ? params->count : -1;

        bind_filters(count, bound, query);
        sqlite3_bind_int64(count, 9, most);
        step = sqlite3_step(count);
        out->total = sqlite3_column_int64(count, 0);
        out->total_exact = most < 0 || out->total < most;
        reset(count);
        if (step != SQLITE_ROW)
            return WENDA_ERR_DB;
    }
    return WENDA_OK;
}

/*
 * The statement of a search whose whole-title key is key (NULL: none) and
 * whose expression for the topics of that title is exact: search_sql when
 * some topic has that title, plain_sql when none does.  The look-up is the
 * one wenda_rank() would make (it keeps what it found).
 *
 * one_scan says that the statement's expression is exact itself and that
 * its cap cannot cut the scan short (there is none, or the index holds
 * fewer rows than it): the scan then meets the title's topics with the
 * rest and scores them as their own statements would, so plain_sql alone
 * is run, not one more full-text statement per topic of that title (two
 * fifths of a clean search's statements).
 */
static enum wenda_err
prepare_level(struct wenda_search *se, const char *key, const char *exact,
              int one_scan, sqlite3_stmt **s)
{
    int n = key != NULL && exact != NULL
                ? wenda_search_exact_lookup(se->rp)
                : 0;

    if (n < 0)
        return WENDA_ERR_DB;
    return n > 0 && !one_scan
               ? wenda_search_slot(se, SLOT_SEARCH, search_sql, s)
               : wenda_search_slot(se, SLOT_PLAIN, plain_sql, s);
}

/*
 * The best candidates of a search so far, in the order of the ranking
 * (rank, then id, smallest first): at most want of them, the page and the
 * hits before it.
 */
struct best {
    struct cand {
        double r;
        int64_t id;
    } *v;
    size_t n, want;
};

/* Whether candidate a ranks before b, as ORDER BY rank, id would put it. */
static int
cand_before(const struct cand *a, const struct cand *b)
{
    return a->r < b->r || (a->r == b->r && a->id < b->id);
}

/* Keeps the candidate c in bs when it is among the best bs->want so far. */
static void
best_add(struct best *bs, struct cand c)
{
    size_t lo = 0, hi = bs->n;

    if (bs->n == bs->want && !cand_before(&c, &bs->v[bs->n - 1]))
        return;
    while (lo < hi) {   /* the first that c ranks before */
        size_t mid = (lo + hi) / 2;

        if (cand_before(&c, &bs->v[mid]))
            hi = mid;
        else
            lo = mid + 1;
    }
    if (bs->n < bs->want)
        bs->n++;
    memmove(&bs->v[lo + 1], &bs->v[lo], (bs->n - 1 - lo) * sizeof(c));
    bs->v[lo] = c;
}

/*
 * Steps the candidates statement s to its end, keeping the best of them
 * in bs.  WENDA_ERR_DB.
 */
static enum wenda_err
best_of(sqlite3_stmt *s, struct best *bs)
{
    int step;

    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct cand c;

        c.id = sqlite3_column_int64(s, 0);
        /* ORDER BY puts a NULL first */
        c.r = sqlite3_column_type(s, 1) == SQLITE_NULL
                  ? -HUGE_VAL
                  : sqlite3_column_double(s, 1);
        if (bs->want > 0)
            best_add(bs, c);
    }
    return step == SQLITE_DONE ? WENDA_OK : WENDA_ERR_DB;
}

/*
 * Scores the topics of the query's whole title (rank_params.exact) that
 * match bound_exact with query's filters, by id, each once, keeping the
 * best in bs as best_of() does.
 */
static enum wenda_err
best_of_exact(struct wenda_search *se, const struct wenda_search_query *query,
              const char *bound_exact, struct best *bs)
{
    const struct rank_params *p = se->rp;
    int64_t ids[MAX_EXACT];
    sqlite3_stmt *s;
    enum wenda_err rc = wenda_search_slot(se, SLOT_EXACT, exact_sql, &s);
    int n = 0, i, j;

    for (i = 0; i < p->nexact; i++) {   /* ids ascending, as IN gave them */
        int64_t id = p->exact[i].id;

        for (j = 0; j < n && ids[j] != id; j++)
            ;
        if (j < n)
            continue;   /* a title and an alias of the same topic */
        for (j = n++; j > 0 && ids[j - 1] > id; j--)
            ids[j] = ids[j - 1];
        ids[j] = id;
    }
    for (i = 0; rc == WENDA_OK && i < n; i++) {
        bind_filters(s, bound_exact, query);
        sqlite3_bind_int64(s, 2, ids[i]);
        rc = best_of(s, bs);
        reset(s);
    }
    return rc;
}

/*
 * Reads the hits of the page, the candidates of bs after the first offset,
 * from their topics' rows into out, each with the snippet the ranking kept
 * for it when it kept one.
 */
static enum wenda_err
read_page(struct wenda_search *se, const struct best *bs, size_t offset,
          struct wenda_search_result *out)
{
    sqlite3_stmt *t;
    enum wenda_err rc = wenda_search_slot(se, SLOT_TOPIC, topic_sql, &t);
    size_t i;

    for (i = offset; rc == WENDA_OK && i < bs->n; i++) {
        struct wenda_search_hit *h = &out->hits[out->n];
        int step;

        sqlite3_bind_int64(t, 1, bs->v[i].id);
        step = sqlite3_step(t);
        if (step == SQLITE_ROW) {
            out->n++;
            rc = read_hit(t, h);
            h->score = wenda_search_score(bs->v[i].r);
            if (rc == WENDA_OK)
                rc = snip_from_rank(se, se->rp, t, 5, h);
        } else if (step != SQLITE_DONE) {
            rc = WENDA_ERR_DB;
        }
        reset(t);
    }
    return rc;
}

int
wenda_search_known_empty(const struct wenda_search *se, const char *bound)
{
    size_t i;

    for (i = 0; i < se->nempty; i++)
        if (strcmp(se->empty[i], bound) == 0)
            return 1;
    return 0;
}

/* Notes that bound matched nothing (see wenda_search_known_empty()). */
static void
remember_empty(struct wenda_search *se, const char *bound)
{
    if (se->nempty < SEARCH_EMPTY_MAX &&
        !wenda_search_known_empty(se, bound) &&
        (se->empty[se->nempty] = strdup(bound)) != NULL)
        se->nempty++;
}

/* Forgets the expressions of remember_empty(), as a search ends. */
static void
forget_empty(struct wenda_search *se)
{
    while (se->nempty > 0)
        free(se->empty[--se->nempty]);
}

/*
 * Runs one MATCH expression: the best hits with their snippets, and the
 * number of matches.  key is the query's whole-title key and exact the
 * expression that finds the topics of that title (match without prefix
 * alternatives, whose setup costs too much to repeat topic by topic);
 * both NULL when no title can equal the query.
 */
static enum wenda_err
run_level(struct wenda_search *se, const struct wenda_search_query *query,
          const char *match, const char *exact, const char *key,
          const struct phrase_map *map, int idf,
          struct wenda_search_result *out)
{
    struct rank_params *params = se->rp;
    sqlite3_stmt *s, *count = NULL;
    char *filtered = NULL, *filtered_exact = NULL;
    const char *bound, *bound_exact;
    struct best bs = {NULL, 0, (size_t)query->offset + query->limit};
    enum wenda_err rc;
    int nfilter = 0, one_scan;

    rc = wenda_search_slot(se, SLOT_COUNT, count_sql, &count);
    if (rc == WENDA_OK)
        rc = with_filters(wenda_search_tokenizer(se), query, match, exact,
                          &filtered, &filtered_exact, &nfilter);
    if (rc == WENDA_OK) {
        out->hits = calloc(query->limit, sizeof(*out->hits));
        bs.v = malloc(bs.want * sizeof(*bs.v));
        if (out->hits == NULL || bs.v == NULL)
            rc = WENDA_ERR_NOMEM;
    }
    if (rc != WENDA_OK)
        goto done;
    bound = filtered ? filtered : match;
    bound_exact = filtered ? filtered_exact : exact;
    params_begin(params, key, map, idf, nfilter);
    one_scan = exact != NULL && strcmp(match, exact) == 0 &&
               (params->cap == 0 || wenda_search_below_cap(params));
    rc = prepare_level(se, key, bound_exact, one_scan, &s);
    if (rc != WENDA_OK) {
        params_end(params);
        goto done;
    }
    snip_begin(params, query->offset + query->limit, match, exact, map);
    bind_filters(s, bound, query);
    sqlite3_bind_int64(s, 9, params->cap > 0 ? params->cap : -1);
    if (!wenda_search_known_empty(se, bound)) {
        rc = best_of(s, &bs);
        reset(s);
        if (rc == WENDA_OK && s == se->slot[SLOT_SEARCH])
            rc = best_of_exact(se, query, bound_exact, &bs);
    }
    reset(s);
    if (rc == WENDA_OK && params->scored == 0 && s == se->slot[SLOT_PLAIN])
        remember_empty(se, bound);
    params_end(params);
    if (rc == WENDA_OK)
        rc = read_page(se, &bs, query->offset, out);
    if (rc == WENDA_OK)
        rc = add_snippets(se, match, exact, out->hits, out->n);
    if (rc != WENDA_OK)
        goto done;
    rc = count_total(se, count, bound, query, out);
done:
    free(bs.v);
    free(filtered);
    free(filtered_exact);
    return rc;
}

/*
 * Runs the every-word search of text q (the query's own, or a correction
 * of it) with query's filters and limit, into *out.
 */
static enum wenda_err
run_all(struct wenda_search *se, const struct wenda_search_query *query,
        const char *q, struct wenda_search_result *out, char *msg,
        size_t msgcap)
{
    struct wenda_tokenizer *tk = wenda_search_tokenizer(se);
    struct rank_params *params = se->rp;
    struct phrase_map map = {{0}, 0};
    struct buf key = {0};
    char *match = NULL, *exact = NULL;
    size_t n = strlen(q);
    enum wenda_err rc;
    int alone = 0;   /* the last word alone filled the cap */

    rc = wenda_search_build_map(se, tk, q, n, WENDA_SEARCH_ALL, &match, &exact,
                                &map, msg, msgcap);
    if (rc == WENDA_OK)
        rc = wenda_search_key_of(tk, q, n, &key);
    if (rc == WENDA_OK && strcmp(match, exact) != 0 && params->cap > 0 &&
        !wenda_search_below_cap(params)) {
        /*
         * The query ends in a word that is also a prefix.  FTS5 merges the
         * lists of every word a prefix begins before it gives the first
         * match, which for a common word (http: http, https, httpd ...)
         * costs more than all the rest of the search.  So the word alone
         * goes first: when it fills the cap by itself, its candidates are
         * as good as the prefix's would be, and the prefix is not needed.
         * Its total is then a floor.  An index of fewer rows than the cap
         * cannot fill it, and goes to the prefix at once.
         */
        rc = run_level(se, query, exact, exact, key.p ? key.p : "", NULL, 0,
                       out);
        alone = rc == WENDA_OK && cap_filled(params);
        if (alone)
            out->total_exact = 0;
        else
            wenda_search_result_cleanup(out);
    }
    if (rc == WENDA_OK && !alone)
        rc = run_level(se, query, match, exact, key.p ? key.p : "", &map, 0,
                       out);
    free(exact);
    free(match);
    wenda_buf_cleanup(&key);
    return rc;
}

/*
 * Runs the corrections of query (wenda_search_fixes()) in turn, likeliest
 * first, into *out, until one finds something; out->corrected is then the
 * query as corrected.
 */
static enum wenda_err
run_fixed(struct wenda_search *se, const struct wenda_search_query *query,
          struct wenda_search_result *out, char *msg, size_t msgcap)
{
    char *fix[FIXES_TRIED];
    size_t nfix = wenda_search_fixes(se, query->q, strlen(query->q), fix,
                                     FIXES_TRIED),
           i;
    enum wenda_err rc = WENDA_OK;

    for (i = 0; i < nfix; i++) {
        if (rc == WENDA_OK && out->total == 0) {
            wenda_search_result_cleanup(out);
            rc = run_all(se, query, fix[i], out, msg, msgcap);
            if (rc == WENDA_ERR_INVALID)
                rc = WENDA_OK;   /* a correction without words: skip it */
            if (rc == WENDA_OK && out->total > 0) {
                out->corrected = fix[i];
                fix[i] = NULL;
            }
        }
        free(fix[i]);
    }
    return rc;
}

/* ---- titles with their matches marked ------------------------------------ */

#define TITLE_MARKS 64

/* The tokens of a query, and the spans of a title that match them. */
struct title_ctx {
    struct wenda_strv words;   /* the query's tokens */
    size_t cap;
    struct span marks[TITLE_MARKS];
    int n;
    int failed;
};

/* Keeps a token of the query in ctx->words. */
static int
query_token(void *ctx, int flags, const char *tok, int ntok, int start,
            int end)
{
    struct title_ctx *t = ctx;
    char *copy;

    (void)flags;
    (void)start;
    (void)end;
    if (wenda_buf_reserve(&t->words.v, &t->cap, t->words.n, sizeof(char *),
                          16) != 0 ||
        (copy = strndup(tok, (size_t)ntok)) == NULL) {
        t->failed = 1;
        return 1;
    }
    t->words.v[t->words.n++] = copy;
    return 0;
}

/* Marks the span of a token of the title when the query has it. */
static int
title_token(void *ctx, int flags, const char *tok, int ntok, int start,
            int end)
{
    struct title_ctx *t = ctx;
    size_t i;

    (void)flags;
    for (i = 0; i < t->words.n && t->n < TITLE_MARKS; i++)
        if (strlen(t->words.v[i]) == (size_t)ntok &&
            memcmp(t->words.v[i], tok, (size_t)ntok) == 0) {
            t->marks[t->n].start = start;
            t->marks[t->n].end = end;
            t->n++;
            break;
        }
    return 0;
}

/*
 * A title's tokens as a document reads them, kept by topic id for as long
 * as the title is the same (compared in full): a page's titles are marked
 * for every search that finds them, and tokenizing them again each time
 * (normalizing, converting, cutting) was most of the marking.
 */
struct title_tok {
    int start, end;   /* bytes of the title */
    size_t off, len;  /* bytes of the token in title_entry.text */
};

struct title_entry {
    int64_t id;
    char *title;   /* NULL: the slot is empty */
    struct buf text;
    struct title_tok *v;
    size_t n, cap;
    int failed;
};

#define TITLE_SLOTS 256
struct title_cache {
    struct title_entry slot[TITLE_SLOTS];
};

static void
title_entry_clear(struct title_entry *e)
{
    free(e->title);
    wenda_buf_cleanup(&e->text);
    free(e->v);
    memset(e, 0, sizeof(*e));
}

void
wenda_search_titles_free(struct title_cache *c)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < TITLE_SLOTS; i++)
        title_entry_clear(&c->slot[i]);
    free(c);
}

/* Keeps a token of the title in the entry ctx. */
static int
keep_title_token(void *ctx, int flags, const char *tok, int ntok, int start,
                 int end)
{
    struct title_entry *e = ctx;

    (void)flags;
    if (wenda_buf_reserve(&e->v, &e->cap, e->n, sizeof(*e->v), 8) != 0) {
        e->failed = 1;
        return 1;
    }
    e->v[e->n].start = start;
    e->v[e->n].end = end;
    e->v[e->n].off = e->text.n;
    e->v[e->n].len = (size_t)ntok;
    e->n++;
    wenda_buf_add(&e->text, tok, (size_t)ntok);
    return 0;
}

/*
 * The tokens of title, the title of topic id (borrowed from se's cache),
 * tokenized now unless the cache holds them; NULL when they cannot be
 * kept (out of memory, or the tokenizer failed).
 */
static const struct title_entry *
title_tokens(struct wenda_search *se, struct wenda_tokenizer *tk, int64_t id,
             const char *title, int len)
{
    struct title_entry *e;

    if (se->titles == NULL &&
        (se->titles = calloc(1, sizeof(*se->titles))) == NULL)
        return NULL;
    e = &se->titles->slot[(uint64_t)id % TITLE_SLOTS];
    if (e->title != NULL && e->id == id && strcmp(e->title, title) == 0)
        return e;
    title_entry_clear(e);
    e->id = id;
    if (wenda_tokenize(tk, WENDA_TOKENIZE_DOCUMENT, title, len,
                       keep_title_token, e, NULL) != WENDA_OK ||
        e->failed || wenda_buf_failed(&e->text) ||
        (e->title = strdup(title)) == NULL) {
        title_entry_clear(e);
        return NULL;
    }
    return e;
}

/*
 * Writes title, the title of topic id, as HTML, its spans that hold a
 * token of the query (t's words) in <mark>, into a new string; NULL when
 * out of memory.
 */
static char *
mark_title(struct wenda_search *se, struct wenda_tokenizer *tk,
           struct title_ctx *t, int64_t id, const char *title)
{
    const struct title_entry *e;
    struct buf b = {0};
    int i, j, at = 0, len = (int)strlen(title);
    size_t k;

    t->n = 0;
    e = title_tokens(se, tk, id, title, len);
    if (e != NULL) {
        for (k = 0; k < e->n; k++)
            (void)title_token(t, 0, e->text.p + e->v[k].off,
                              (int)e->v[k].len, e->v[k].start, e->v[k].end);
    } else if (wenda_tokenize(tk, WENDA_TOKENIZE_DOCUMENT, title, len,
                              title_token, t, NULL) != WENDA_OK) {
        t->n = 0;
    }
    /* Tokens come in order of their starts; merge those that overlap. */
    for (i = 0, j = 0; i < t->n; i++) {
        if (j > 0 && t->marks[i].start <= t->marks[j - 1].end) {
            if (t->marks[i].end > t->marks[j - 1].end)
                t->marks[j - 1].end = t->marks[i].end;
        } else {
            t->marks[j++] = t->marks[i];
        }
    }
    for (i = 0; i < j; i++) {
        wenda_search_add_html(&b, title + at, t->marks[i].start - at);
        wenda_buf_adds(&b, "<mark>");
        wenda_search_add_html(&b, title + t->marks[i].start,
                              t->marks[i].end - t->marks[i].start);
        wenda_buf_adds(&b, "</mark>");
        at = t->marks[i].end;
    }
    wenda_search_add_html(&b, title + at, len - at);
    return wenda_buf_take(&b, NULL);
}

/* Sets the title_html of each hit of out, for query q. */
static enum wenda_err
mark_titles(struct wenda_search *se, struct wenda_tokenizer *tk,
            const char *q, struct wenda_search_result *out)
{
    struct title_ctx t;
    enum wenda_err rc;
    size_t i;

    memset(&t, 0, sizeof(t));
    rc = wenda_tokenize(tk, WENDA_TOKENIZE_QUERY, q, (int)strlen(q),
                        query_token, &t, NULL);
    if (rc == WENDA_OK && t.failed)
        rc = WENDA_ERR_NOMEM;
    for (i = 0; rc == WENDA_OK && i < out->n; i++) {
        const char *title = out->hits[i].title;

        out->hits[i].title_html = mark_title(se, tk, &t, out->hits[i].id,
                                             title ? title : "");
        if (out->hits[i].title_html == NULL)
            rc = WENDA_ERR_NOMEM;
    }
    wenda_strv_cleanup(&t.words);
    return rc;
}

/* Returns how many topics hold the phrase s[0..n), counted up to 1,000
 * (0 on any error). */
static int64_t
phrase_docs(struct wenda_search *se, const char *s, size_t n)
{
    static const char sql[] =
        "SELECT count(*) FROM (SELECT 1 FROM topics_fts "
        "WHERE topics_fts MATCH ?1 LIMIT 1000)";
    struct buf b = {0};
    sqlite3_stmt *st;
    int64_t docs = 0;

    wenda_search_add_quoted(&b, s, n);
    if (!wenda_buf_failed(&b) &&
        wenda_search_slot(se, SLOT_DOCS, sql, &st) == WENDA_OK) {
        sqlite3_bind_text(st, 1, b.p, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            docs = sqlite3_column_int64(st, 0);
        reset(st);
    }
    wenda_buf_cleanup(&b);
    return docs;
}

/*
 * Notes in out->dropped the words of query that no topic holds (an any-
 * word search found topics for the others); a query of more than
 * RELAX_WORDS words is not looked into.
 */
static enum wenda_err
note_unfound(struct wenda_search *se, const struct wenda_search_query *query,
             struct wenda_search_result *out)
{
    struct chunk_list w;
    size_t last, i;
    char msg[8];

    if (wenda_search_words(se, wenda_search_tokenizer(se), query->q,
                           strlen(query->q), &w, &last, msg,
                           sizeof(msg)) != WENDA_OK ||
        w.n < 2 || w.n > RELAX_WORDS)
        return WENDA_OK;
    out->dropped.v = calloc(w.n + 1, sizeof(char *));
    if (out->dropped.v == NULL)
        return WENDA_ERR_NOMEM;
    for (i = 0; i < w.n; i++) {
        const char *s = query->q + w.v[i].start;
        size_t n = w.v[i].end - w.v[i].start;

        if (phrase_docs(se, s, n) > 0)
            continue;
        out->dropped.v[out->dropped.n] = strndup(s, n);
        if (out->dropped.v[out->dropped.n++] == NULL)
            return WENDA_ERR_NOMEM;
    }
    return WENDA_OK;
}

enum wenda_err
wenda_search_exec(struct wenda_search *se,
                  const struct wenda_search_query *query,
                  struct wenda_search_result *out, char *msg, size_t msgcap)
{
    struct wenda_tokenizer *tk = wenda_search_tokenizer(se);
    char *match = NULL;
    const char *q;
    enum wenda_err rc;

    memset(out, 0, sizeof(*out));
    if (tk == NULL || se->rp == NULL)
        return WENDA_ERR_INTERNAL;
    if (query->limit == 0 || query->limit > WENDA_SEARCH_MAX_LIMIT) {
        (void)snprintf(msg, msgcap, "limit must be from 1 to %d",
                       WENDA_SEARCH_MAX_LIMIT);
        return WENDA_ERR_INVALID;
    }
    if (query->offset > WENDA_SEARCH_MAX_OFFSET) {
        (void)snprintf(msg, msgcap, "offset must be from 0 to %d",
                       WENDA_SEARCH_MAX_OFFSET);
        return WENDA_ERR_INVALID;
    }
    rc = run_all(se, query, query->q, out, msg, msgcap);
    if (rc == WENDA_OK && out->total == 0)
        rc = run_fixed(se, query, out, msg, msgcap);
    if (rc == WENDA_OK && out->total == 0) {
        /* Nothing has every word: take any word of the query.  A whole
         * title equal to the query would have had every word. */
        wenda_search_result_cleanup(out);
        q = query->q;
        rc = wenda_search_build_map(se, tk, q, strlen(q), WENDA_SEARCH_ANY,
                                    &match, NULL, NULL, msg, msgcap);
        if (rc == WENDA_OK)
            rc = wenda_search_add_characters(se, tk, q, &match);
        if (rc == WENDA_OK)
            rc = run_level(se, query, match, NULL, NULL, NULL, 1, out);
        out->relaxed = rc == WENDA_OK && out->total > 0;
        free(match);
        if (out->relaxed)
            rc = note_unfound(se, query, out);
    }
    forget_empty(se);
    if (rc == WENDA_OK)
        rc = mark_titles(se, tk, out->corrected ? out->corrected : query->q,
                         out);
    if (rc != WENDA_OK)
        wenda_search_result_cleanup(out);
    return rc;
}

/*
 * Writes to match the any-word expression of topic t: each word of its
 * titles and tags, quoted, ORed.  match stays empty when they have none.
 */
static enum wenda_err
like_match(struct wenda_tokenizer *tk, const struct wenda_topic *t,
           struct buf *match)
{
    struct buf text = {0};
    struct any_ctx a;
    enum wenda_err rc;
    size_t i;

    wenda_buf_adds(&text, t->title);
    wenda_buf_adds(&text, " ");
    wenda_buf_adds(&text, t->title_en ? t->title_en : "");
    for (i = 0; i < t->tags.n; i++) {
        wenda_buf_adds(&text, " ");
        wenda_buf_adds(&text, t->tags.v[i]);
    }
    if (wenda_buf_failed(&text))
        return WENDA_ERR_NOMEM;
    memset(&a, 0, sizeof(a));
    a.q = text.p;
    a.b = match;
    rc = wenda_tokenize(tk, WENDA_TOKENIZE_QUERY, text.p, (int)text.n,
                        wenda_search_any_token, &a, NULL);
    wenda_strv_cleanup(&a.seen);
    wenda_buf_cleanup(&text);
    if (rc == WENDA_OK && (a.failed || wenda_buf_failed(match)))
        rc = WENDA_ERR_NOMEM;
    return rc;
}

enum wenda_err
wenda_search_like(struct wenda_search *se, const struct wenda_topic *t,
                  int64_t id, unsigned int limit,
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
    struct rank_params *params = se->rp;
    struct wenda_tokenizer *tk = wenda_search_tokenizer(se);
    struct buf match = {0};
    sqlite3_stmt *s = NULL;
    enum wenda_err rc;
    int step = SQLITE_DONE;

    memset(out, 0, sizeof(*out));
    if (tk == NULL || params == NULL)
        return WENDA_ERR_INTERNAL;
    rc = like_match(tk, t, &match);
    if (rc != WENDA_OK || match.n == 0)
        goto cleanup;
    out->hits = calloc(limit ? limit : 1, sizeof(*out->hits));
    if (out->hits == NULL) {
        wenda_buf_cleanup(&match);
        return WENDA_ERR_NOMEM;
    }
    if (sqlite3_prepare_v2(se->db, sql, -1, &s, NULL) != SQLITE_OK) {
        rc = WENDA_ERR_DB;
        goto cleanup;
    }
    sqlite3_bind_text(s, 1, match.p, (int)match.n, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, id);
    sqlite3_bind_int(s, 3, (int)limit);
    sqlite3_bind_int64(s, 4, params->cap > 0 ? params->cap : -1);
    params_begin(params, NULL, NULL, 1, 0);
    while (out->n < limit && (step = sqlite3_step(s)) == SQLITE_ROW) {
        struct wenda_search_hit *h = &out->hits[out->n++];

        rc = read_hit(s, h);
        h->snippet = strdup("");
        h->score = (double)sqlite3_column_int(s, 5) +
                   wenda_search_score(sqlite3_column_double(s, 6)) / 1000.0;
        if (rc == WENDA_OK && h->snippet == NULL)
            rc = WENDA_ERR_NOMEM;
        if (rc != WENDA_OK)
            break;
    }
    params_end(params);
    if (rc == WENDA_OK && out->n < limit && step != SQLITE_DONE)
        rc = WENDA_ERR_DB;
    out->total = (int64_t)out->n;
    out->total_exact = 1;
cleanup:
    sqlite3_finalize(s);
    wenda_buf_cleanup(&match);
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
        free(r->hits[i].title_html);
    }
    free(r->hits);
    free(r->corrected);
    wenda_strv_cleanup(&r->dropped);
    memset(r, 0, sizeof(*r));
}
