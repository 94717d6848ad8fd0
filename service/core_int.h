/*
 * core_int.h -- the plumbing between the core's files that an embedding
 * app never calls: the store's connection, statement slots and tokenizer
 * for search.c and auth.c, and search.c's index writing, registration and
 * settings for store.c.  include/wenda/ holds the library's face; this is
 * its inside, as SQLite keeps fts5.h and fts5Int.h apart.
 */
#ifndef WENDA_CORE_INT_H
#define WENDA_CORE_INT_H

#include <stdint.h>

#include "wenda/content.h"
#include "wenda/err.h"
#include "wenda/search.h"
#include "wenda/store.h"

struct sqlite3;
struct sqlite3_stmt;
struct wenda_tokenizer;

/* ---- store.c, for search.c and auth.c ---------------------------------- */

/*
 * For modules built on the store (search): the store's SQLite connection,
 * borrowed for as long as the store is open.
 */
struct sqlite3 *wenda_store_db(struct wenda_store *st);

/* Returns the search state of the store's connection (see
 * wenda_search_register()); borrowed. */
void *wenda_store_search_state(struct wenda_store *st);

/*
 * Returns the store's own tokenizer (created on first use; borrowed), or
 * NULL when it cannot be created.  Like the store, it belongs to one
 * thread at a time.
 */
struct wenda_tokenizer *wenda_store_tokenizer(struct wenda_store *st);

/* Statement slots for modules built on the store. */
#define WENDA_STORE_SLOTS 8

/*
 * Returns in *out the statement for sql, prepared on the store's connection
 * the first time slot (0..WENDA_STORE_SLOTS-1) is asked for and kept until
 * the store is closed; a slot always holds the same sql.  The caller
 * resets the statement and clears its bindings after use.  WENDA_ERR_DB
 * when sql does not prepare.
 */
enum wenda_err wenda_store_prepare(struct wenda_store *st, unsigned int slot,
                                   const char *sql,
                                   struct sqlite3_stmt **out);

/* ---- search.c, for store.c ------------------------------------------- */

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
 * Finalizes the statements of a connection's search state, so that the
 * connection can close; the store calls it just before sqlite3_close().
 */
void wenda_search_close(void *state);

#endif /* WENDA_CORE_INT_H */
