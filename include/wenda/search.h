/*
 * search.h -- full-text search over the topics of a store.
 *
 * A query is free text in any script: Chinese (simplified or
 * traditional), English, pinyin, or a mix.  It never reaches FTS5's MATCH
 * as it was typed: wenda_search_build() cuts it into chunks and writes each
 * as a quoted FTS5 string, which FTS5 hands to wenda's tokenizer (the one
 * the index was built with), so operators, quotes, column filters and
 * parentheses in the query are only text.  Ranking is bm25 with column
 * weights (title > aliases > pinyin > tags > answer), after the topics
 * whose title or aliases match the whole query.
 */
#ifndef WENDA_SEARCH_H
#define WENDA_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "wenda/err.h"
#include "wenda/store.h"

struct sqlite3;

/* Limits on a query. */
#define WENDA_SEARCH_MAX_QUERY 256   /* bytes of q */
#define WENDA_SEARCH_MAX_CHUNKS 16   /* whitespace-separated words */
#define WENDA_SEARCH_MAX_LIMIT 50
#define WENDA_SEARCH_COUNT_FACTOR 10

/* How strictly a query is matched; see wenda_search_build(). */
enum wenda_search_level {
    WENDA_SEARCH_ALL,    /* every chunk, each as a phrase */
    WENDA_SEARCH_ANY     /* any token of the query */
};

struct wenda_search_query {
    const char *q;          /* UTF-8 text, NUL-terminated */
    const char *category;   /* NULL for any */
    const char *tag;        /* NULL for any */
    unsigned int limit;     /* 1..WENDA_SEARCH_MAX_LIMIT */
};

struct wenda_search_hit {
    int64_t id;
    char *slug;
    char *title;
    char *title_en;
    char *category;
    char *snippet;   /* HTML: text escaped, matches in <mark>...</mark> */
    double score;    /* larger is better */
};

struct wenda_search_result {
    struct wenda_search_hit *hits;
    size_t n;
    int64_t total;   /* topics matching, of which hits are the best n */
    int total_exact; /* 0: counting stopped at total, a floor (see
                        wenda_search_set_count()) */
};

struct wenda_tokenizer;

/*
 * Writes the FTS5 MATCH expression for q[0..n) at the given level into
 * *match (malloc'ed; the caller frees).  q is cut into chunks at white
 * space and where Latin letters meet Han characters; chunks that hold no
 * token are dropped.  ALL joins the chunks as quoted phrases with AND, the
 * last chunk also as a prefix when it is Latin; ANY joins every token of
 * the query with OR.  Errors: WENDA_ERR_INVALID with a message in msg when q
 * is empty, too long, not UTF-8, or holds no searchable word.
 */
enum wenda_err wenda_search_build(struct wenda_tokenizer *tk, const char *q,
                                  size_t n, enum wenda_search_level level,
                                  char **match, char *msg, size_t msgcap);

/*
 * Runs query on st into *out (release with wenda_search_result_cleanup()).
 * The best query->limit hits come first; when no topic has every chunk
 * of the query, topics with any of its tokens are returned instead.
 * Errors: WENDA_ERR_INVALID with a message in msg for a bad query (see
 * wenda_search_build()), WENDA_ERR_DB, WENDA_ERR_NOMEM.
 */
enum wenda_err wenda_search_run(struct wenda_store *st,
                                const struct wenda_search_query *query,
                                struct wenda_search_result *out, char *msg,
                                size_t msgcap);

/*
 * Writes the search index of topic t, stored under id: its full-text row
 * (titles, aliases, pinyin of titles and aliases, tags, answer) and its
 * whole-title keys.  The store calls it inside its write transaction;
 * callers replacing a topic call wenda_search_unindex() first.
 */
enum wenda_err wenda_search_index(struct wenda_store *st, int64_t id,
                                  const struct wenda_topic *t);

/*
 * wenda_search_index() in two steps, so that the first can run on another
 * thread than the store's writer.  A struct wenda_search_row is the index
 * row of one topic: its full-text column texts and whole-title keys.
 *
 * wenda_search_prepare() builds it from t with tk (which it uses and
 * nothing else: no database) into *out, freed with
 * wenda_search_row_free().  With pretokenize non-zero it also tokenizes
 * each column as FTS5 will, so that wenda_search_write() hands the tokens
 * to FTS5 instead of having them computed again.  Errors: WENDA_ERR_NOMEM,
 * WENDA_ERR_TOO_LARGE (a column over INT_MAX bytes), WENDA_ERR_INTERNAL
 * (tk NULL, or the tokenizer failed); *out is then NULL.
 *
 * wenda_search_write() writes row under id on st, inside its write
 * transaction; row stays the caller's.  Errors: WENDA_ERR_DB.
 */
struct wenda_search_row;
enum wenda_err wenda_search_prepare(struct wenda_tokenizer *tk,
                                    const struct wenda_topic *t,
                                    int pretokenize,
                                    struct wenda_search_row **out);
enum wenda_err wenda_search_write(struct wenda_store *st, int64_t id,
                                  const struct wenda_search_row *row);
/* Frees row; NULL is fine. */
void wenda_search_row_free(struct wenda_search_row *row);

/* Removes the index of topic id. */
enum wenda_err wenda_search_unindex(struct wenda_store *st, int64_t id);

/* Empties the whole index (before a full import), with FTS5's settings
 * back at their defaults. */
enum wenda_err wenda_search_index_clear(struct wenda_store *st);

/*
 * Merges the full-text index into one b-tree segment (after a full
 * import): a search then looks each word up once, not once per segment.
 */
enum wenda_err wenda_search_index_optimize(struct wenda_store *st);

/*
 * Sets how FTS5 merges the segments it writes as rows come: for a bulk
 * load (on), rarely, since wenda_search_index_optimize() merges them all
 * once at the end; otherwise (off) as FTS5 does by default.
 */
enum wenda_err wenda_search_index_bulk(struct wenda_store *st, int on);

/*
 * Registers wenda_rank() and wenda_snippet(), the ranking and snippet
 * functions of wenda_search_run(), with FTS5 on db, and stores in *state
 * the connection's search state, which lives as long as db does.  The
 * store does this on every connection it opens and hands the state back
 * through wenda_store_search_state().
 */
enum wenda_err wenda_search_register(struct sqlite3 *db, void **state);

/*
 * Sets how many matches of one query the connection whose search state is
 * state scores (0: all of them, the default; else at least
 * WENDA_SEARCH_MAX_LIMIT).  Matches come in id order; past the cap, a
 * match is not scored and ranks after every scored one, unless its whole
 * title is the query: that one is always scored.  A query matching no
 * more topics than the cap ranks them exactly as without it, and its
 * total is exact; past the cap, total is counted as
 * wenda_search_set_count() says.  A query whose last word is also a
 * prefix is run with the word alone first; when that fills the cap, the
 * prefix is not used, and total (counted for the word alone) is a floor:
 * total_exact is 0.  The phrase counts of an any-word query's IDF stop at
 * WENDA_SEARCH_COUNT_FACTOR times the cap and are extrapolated from there.
 */
void wenda_search_set_cap(void *state, int64_t cap);

/*
 * Sets how many matches of a query that fills the cap the connection whose
 * search state is state counts for the result's total (0: all of them,
 * the default).  Counting walks the matches again, each a step through
 * the lists of the query's words; with a count no larger than the cap,
 * none is walked: total is the number of matches scored, a floor, and
 * total_exact is 0.  Otherwise, past count matches, total is count and
 * total_exact is 0.
 */
void wenda_search_set_count(void *state, int64_t count);

/*
 * Finds the topics most related to topic id: those sharing the most tags
 * with it first, then by bm25 of a search for any word of its title,
 * English title and tags; ties by id, so the answer is stable.  Never
 * topic id itself.  Up to limit hits (without snippets) into *out.
 * WENDA_ERR_NOT_FOUND when there is no topic id.
 */
enum wenda_err wenda_search_related(struct wenda_store *st, int64_t id,
                                    unsigned int limit,
                                    struct wenda_search_result *out);

/*
 * Finalizes the statements of a connection's search state, so that the
 * connection can close; the store calls it just before sqlite3_close().
 */
void wenda_search_close(void *state);

/* Frees what *r owns and zeroes it. */
void wenda_search_result_cleanup(struct wenda_search_result *r);

#endif /* WENDA_SEARCH_H */
