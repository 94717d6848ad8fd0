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

#include "wenda/content.h"
#include "wenda/err.h"
#include "wenda/store.h"

struct sqlite3;

/* Limits on a query. */
#define WENDA_SEARCH_MAX_QUERY_CHARS 200 /* characters of q: a pasted
                                            interview question */
#define WENDA_SEARCH_MAX_QUERY 1024  /* bytes of q, a second guard */
#define WENDA_SEARCH_MAX_CHUNKS 32   /* words: runs of letters and digits
                                        or of Han characters */
#define WENDA_SEARCH_MAX_LIMIT 50
#define WENDA_SEARCH_MAX_OFFSET 1000
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
    unsigned int offset;    /* hits to skip, 0..WENDA_SEARCH_MAX_OFFSET */
};

struct wenda_search_hit {
    int64_t id;
    char *slug;
    char *title;
    char *title_en;
    char *category;
    char *snippet;   /* HTML: text escaped, matches in <mark>...</mark> */
    char *title_html; /* the title so; NULL but in a search's hits */
    double score;    /* the ranking's, larger first (see search_rank.c) */
};

struct wenda_search_result {
    struct wenda_search_hit *hits;
    size_t n;
    int64_t total;   /* topics matching, of which hits are the best n */
    int total_exact; /* 0: counting stopped at total, a floor (see
                        wenda_search_set_count()) */
    char *corrected; /* the query as corrected, when it found nothing as
                        typed and this did; else NULL */
    int relaxed;     /* 1: no topic had every word, and these have some */
    struct wenda_strv dropped; /* when relaxed, the words of the query no
                                  topic holds at all */
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
 * Finds the topics most related to topic id: those sharing the most tags
 * with it first, then by bm25 of a search for any word of its title,
 * English title and tags; ties by id, so the answer is stable.  Never
 * topic id itself.  Up to limit hits (without snippets) into *out.
 * WENDA_ERR_NOT_FOUND when there is no topic id.
 */
enum wenda_err wenda_search_related(struct wenda_store *st, int64_t id,
                                    unsigned int limit,
                                    struct wenda_search_result *out);

/* Frees what *r owns and zeroes it. */
void wenda_search_result_cleanup(struct wenda_search_result *r);

#endif /* WENDA_SEARCH_H */
