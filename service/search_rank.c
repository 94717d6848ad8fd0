/*
 * search_rank.c -- wenda_rank(), FTS5's ranking function for a
 * search, and the opening of a connection's search, which registers it
 * and wenda_snippet().
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

/* ---- ranking ----------------------------------------------------------- */

/*
 * wenda_rank(topics_fts) is the FTS5 ranking function of a search
 * ("rank MATCH 'wenda_rank()'"), so that FTS5 itself orders the matches
 * and SQLite computes snippets for the rows returned only.  Its value,
 * smaller first, is
 *
 *     -(bm25 + cover) - 1e6 * in_title - 1e9 * exact
 *
 * where bm25 is FTS5's formula (k1 = 1.2, b = 0.75) with the column weights
 * below, cover the share of the title column's tokens that are matches of
 * the query (生产者消费者 fills more of 生产者消费者模式 than of
 * 为什么要用到生产者消费者模型, and names the first rather than mentions
 * it), in_title is 1 when every chunk of the query has a phrase in the
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
#define RANK_COVER 1.0   /* for a title the query's words fill */
#define TITLE_COLUMNS 3   /* title, aliases, pinyin */
#define MAX_PHRASES WENDA_SEARCH_MAX_PHRASES

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
 * Writes key without its spaces to out (of outcap bytes) when it is two
 * words or more of ASCII letters and digits only: pinyin typed a syllable
 * at a time (duo xian cheng), whose key is that of the title's pinyin as
 * one word.  Returns 0 otherwise.
 */
static int
joined_key(const char *key, char *out, size_t outcap)
{
    size_t n = 0, words = 1;

    for (; *key != '\0'; key++) {
        if (*key == ' ') {
            words++;
            continue;
        }
        if (!((*key >= 'a' && *key <= 'z') || (*key >= '0' && *key <= '9')) ||
            n + 1 >= outcap)
            return 0;
        out[n++] = *key;
    }
    out[n] = '\0';
    return words > 1;
}

/* Adds the rows of title_keys under key to p->exact.  -1 on an error. */
static int
exact_rows(struct rank_params *p, const char *key)
{
    int step;

    sqlite3_bind_text(p->keys, 1, key, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(p->keys)) == SQLITE_ROW &&
           p->nexact < MAX_EXACT) {
        p->exact[p->nexact].id = sqlite3_column_int64(p->keys, 0);
        p->exact[p->nexact].weight = sqlite3_column_int(p->keys, 1);
        p->nexact++;
    }
    (void)sqlite3_reset(p->keys);
    (void)sqlite3_clear_bindings(p->keys);
    return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
}

int
wenda_search_exact_lookup(struct rank_params *p)
{
    char joined[128];

    if (p->nexact >= 0)
        return p->nexact;
    p->nexact = 0;
    if (p->key == NULL || p->key[0] == '\0')
        return 0;
    if (p->keys == NULL &&
        sqlite3_prepare_v3(p->db,
                           "SELECT topic_id, weight FROM title_keys "
                           "WHERE key = ?1 ORDER BY weight DESC, topic_id "
                           "LIMIT 32",
                           -1, SQLITE_PREPARE_PERSISTENT, &p->keys,
                           NULL) != SQLITE_OK) {
        p->nexact = -1;
        return -1;
    }
    if (exact_rows(p, p->key) != 0 ||
        (p->nexact == 0 && joined_key(p->key, joined, sizeof(joined)) &&
         exact_rows(p, joined) != 0))
        p->nexact = -1;
    return p->nexact;
}

/*
 * Copies the topics whose whole-title key equals the query's into d,
 * looked up once a query (wenda_search_exact_lookup()).
 */
static int
find_exact(struct rank_params *p, struct rank_data *d)
{
    if (wenda_search_exact_lookup(p) < 0)
        return SQLITE_ERROR;
    memcpy(d->exact, p->exact, (size_t)p->nexact * sizeof(*d->exact));
    d->nexact = p->nexact;
    return SQLITE_OK;
}

/*
 * wenda_exact(rowid): 1 when the topic rowid has the running search's
 * query as its whole title or alias (found by wenda_search_exact_lookup()),
 * else 0: a search's statement leaves those topics to their own
 * look-up (see run_level()) without a table of them built in SQL.
 */
static void
exact_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const struct rank_params *p = sqlite3_user_data(ctx);
    sqlite3_int64 id = sqlite3_value_int64(argv[0]);
    int i, found = 0;

    (void)argc;
    for (i = 0; i < p->nexact && !found; i++)
        found = p->exact[i].id == id;
    sqlite3_result_int(ctx, found);
}

void
wenda_search_free(struct wenda_search *se)
{
    struct rank_params *rp;
    int i;

    if (se == NULL)
        return;
    rp = se->rp;
    if (rp != NULL) {
        sqlite3_finalize(rp->keys);
        sqlite3_finalize(rp->ins_fts);
        sqlite3_finalize(rp->ins_key);
        sqlite3_finalize(rp->del_fts);
        sqlite3_finalize(rp->del_key);
        rp->keys = rp->ins_fts = rp->ins_key = NULL;
        rp->del_fts = rp->del_key = NULL;
    }
    for (i = 0; i < SLOT__COUNT; i++)
        sqlite3_finalize(se->slot[i]);
    wenda_search_words_forget(se);
    wenda_search_sounds_forget(se);
    wenda_search_lexicon_free(se->lex);
    wenda_search_titles_free(se->titles);
    wenda_tokenizer_free(se->tk);
    free(se);
}

void
wenda_search_set_cap(struct wenda_search *se, int64_t cap)
{
    se->rp->cap = cap > 0 ? cap : 0;
}

void
wenda_search_set_count(struct wenda_search *se, int64_t count)
{
    se->rp->count = count > 0 ? count : 0;
}

static void
rank_params_free(void *p)
{
    struct rank_params *rp = p;

    sqlite3_finalize(rp->keys);
    sqlite3_finalize(rp->ins_fts);
    sqlite3_finalize(rp->ins_key);
    sqlite3_finalize(rp->del_fts);
    sqlite3_finalize(rp->del_key);
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
        p->nrow = -1;
    }
}

int
wenda_search_below_cap(struct rank_params *p)
{
    unsigned int v = 0;

    return p->cap > 0 && p->ntok_usable && p->nrow >= 0 &&
           p->nrow < p->cap &&
           sqlite3_file_control(p->db, "main", SQLITE_FCNTL_DATA_VERSION,
                                &v) == SQLITE_OK &&
           v == p->ntok_version;
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
    if (p->ntok_usable)
        p->nrow = nrow;
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
    int ntitle_hit = 0, ntitle = 0;
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
        if (col == COL_TITLE)
            ntitle_hit++;
    }
    len = (double)ntok / d->avgdl;
    for (i = 0; i < d->nphrase; i++)
        score += d->idf[i] * (freq[i] * 2.2) /
                 (freq[i] + 1.2 * (0.25 + 0.75 * len));
    if (ntitle_hit > 0 &&
        api->xColumnSize(fts, COL_TITLE, &ntitle) == SQLITE_OK &&
        ntitle > 0)
        score += RANK_COVER * (ntitle_hit < ntitle
                                   ? (double)ntitle_hit / (double)ntitle
                                   : 1.0);
    for (i = 0; i < d->nchunk; i++)
        if (!in_title[i])
            titled = 0;
    score = -score - RANK_TITLE * titled - RANK_EXACT * exact;
    if (p->snip_want > 0)
        wenda_search_snip_keep(api, fts, p, rowid, score);
    sqlite3_result_double(ctx, score);
}

double
wenda_search_score(double rank)
{
    double s = -rank, tier = 0.0;

    while (s >= RANK_EXACT) {
        s -= RANK_EXACT;
        tier += 2.0;
    }
    if (s >= RANK_TITLE) {
        s -= RANK_TITLE;
        tier += 1.0;
    }
    if (s < 0.0)
        s = 0.0;
    return tier + s / (1.0 + s);
}

enum wenda_err
wenda_search_open(sqlite3 *db, struct wenda_search **out)
{
    fts5_api *api = NULL;
    struct rank_params *params;
    struct wenda_search *se;
    sqlite3_stmt *s;

    *out = NULL;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &s, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    sqlite3_bind_pointer(s, 1, (void *)&api, "fts5_api_ptr", NULL);
    (void)sqlite3_step(s);
    sqlite3_finalize(s);
    if (api == NULL)
        return WENDA_ERR_DB;
    se = calloc(1, sizeof(*se));
    params = calloc(1, sizeof(*params));
    if (se == NULL || params == NULL) {
        free(se);
        free(params);
        return WENDA_ERR_NOMEM;
    }
    se->db = db;
    params->db = db;
    params->nidf = -1;
    params->nexact = -1;
    params->nrow = -1;
    /* FTS5 owns params from here and frees them with the connection. */
    if (api->xCreateFunction(api, "wenda_rank", params, wenda_rank,
                             rank_params_free) != SQLITE_OK) {
        free(se);
        return WENDA_ERR_DB;
    }
    se->rp = params;
    *out = se;
    if (sqlite3_create_function_v2(db, "wenda_exact", 1, SQLITE_UTF8, params,
                                   exact_fn, NULL, NULL, NULL) != SQLITE_OK)
        return WENDA_ERR_DB;
    return wenda_search_snippet_register(api, params);
}

