/*
 * search_int.h -- search's inside, for the store that holds it: one
 * struct wenda_search per connection, the index's writes, and the runs
 * behind wenda_search_run() and wenda_search_related().  The store calls
 * search and never the other way round: search takes the connection and
 * the topic it needs, not the store.  include/wenda/search.h is the face
 * an embedding app uses.
 */
#ifndef WENDA_SEARCH_INT_H
#define WENDA_SEARCH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "wenda/content.h"
#include "wenda/err.h"
#include "wenda/search.h"

struct sqlite3;
struct wenda_search;
struct wenda_tokenizer;

/*
 * Opens the search of connection db into *out (freed with
 * wenda_search_free() before db closes): registers wenda_rank() and
 * wenda_snippet(), the ranking and snippet functions of a search, with
 * FTS5 on db, and keeps the statements of searches and of the index's
 * writes.  The store does this on every connection it opens.  Errors:
 * WENDA_ERR_DB (FTS5 missing), WENDA_ERR_NOMEM.
 */
enum wenda_err wenda_search_open(struct sqlite3 *db, struct wenda_search **out);

/* Finalizes se's statements and frees it; NULL is fine. */
void wenda_search_free(struct wenda_search *se);

/*
 * Returns se's tokenizer (created on first use; borrowed), or NULL when it
 * cannot be created.  Like se, it belongs to one thread at a time.
 */
struct wenda_tokenizer *wenda_search_tokenizer(struct wenda_search *se);

/*
 * Runs query on se, as wenda_search_run() (the store's face for it)
 * describes.
 */
enum wenda_err wenda_search_exec(struct wenda_search *se,
                                 const struct wenda_search_query *query,
                                 struct wenda_search_result *out, char *msg,
                                 size_t msgcap);

/*
 * The topics like topic t, stored under id, as wenda_search_related()
 * describes: scored by the words of t's titles and tags.
 */
enum wenda_err wenda_search_like(struct wenda_search *se,
                                 const struct wenda_topic *t, int64_t id,
                                 unsigned int limit,
                                 struct wenda_search_result *out);

/*
 * Writes the search index of topic t, stored under id: its full-text row
 * (titles, aliases, pinyin of titles and aliases, tags, answer) and its
 * whole-title keys.  The store calls it inside its write transaction;
 * callers replacing a topic call wenda_search_unindex() first.
 */
enum wenda_err wenda_search_index(struct wenda_search *se, int64_t id,
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
 * wenda_search_write() writes row under id on se's connection, inside
 * its write transaction; row stays the caller's.  Errors: WENDA_ERR_DB.
 */
struct wenda_search_row;
enum wenda_err wenda_search_prepare(struct wenda_tokenizer *tk,
                                    const struct wenda_topic *t,
                                    int pretokenize,
                                    struct wenda_search_row **out);
enum wenda_err wenda_search_write(struct wenda_search *se, int64_t id,
                                  const struct wenda_search_row *row);
/* Frees row; NULL is fine. */
void wenda_search_row_free(struct wenda_search_row *row);

/* Removes the index of topic id. */
enum wenda_err wenda_search_unindex(struct wenda_search *se, int64_t id);

/*
 * Forgets what an import (see wenda_search_index_bulk()) held in memory for
 * the index, its transaction rolled back: the store calls it when an import
 * ends without a commit.
 */
void wenda_search_index_abandon(struct wenda_search *se);

/* Empties the whole index (before a full import), with FTS5's settings
 * back at their defaults. */
enum wenda_err wenda_search_index_clear(struct wenda_search *se);

/*
 * Merges the full-text index into one b-tree segment (after a full
 * import): a search then looks each word up once, not once per segment.
 */
enum wenda_err wenda_search_index_optimize(struct wenda_search *se);

/*
 * Sets how FTS5 merges the segments it writes as rows come: for a bulk
 * load (on), rarely, since wenda_search_index_optimize() merges them all
 * once at the end; otherwise (off) as FTS5 does by default.  During a bulk
 * load the stretches of the titles and aliases by their sound are added
 * up in memory and written a batch at a time; turning it off writes the
 * last batch, so it goes before the commit.
 */
enum wenda_err wenda_search_index_bulk(struct wenda_search *se, int on);

/*
 * Sets how many matches of one query se scores (0: all of them, the
 * default; else at least WENDA_SEARCH_MAX_LIMIT).  Matches come in id order;
 * past the cap, a match is not scored and ranks after every scored one, unless
 * its whole title is the query: that one is always scored.  A query matching no
 * more topics than the cap ranks them exactly as without it, and its
 * total is exact; past the cap, total is counted as
 * wenda_search_set_count() says.  A query whose last word is also a
 * prefix is run with the word alone first; when that fills the cap, the
 * prefix is not used, and total (counted for the word alone) is a floor:
 * total_exact is 0.  The phrase counts of an any-word query's IDF stop at
 * WENDA_SEARCH_COUNT_FACTOR times the cap and are extrapolated from there.
 */
void wenda_search_set_cap(struct wenda_search *se, int64_t cap);

/*
 * Sets how many matches of a query that fills the cap se counts for the
 * result's total (0: all of them, the default).  Counting walks the matches
 * again, each a step through the lists of the query's words; with a count no
 * larger than the cap, none is walked: total is the number of matches scored, a
 * floor, and total_exact is 0.  Otherwise, past count matches, total is count
 * and total_exact is 0.
 */
void wenda_search_set_count(struct wenda_search *se, int64_t count);

/*
 * Fills an empty vocab_keys, the words of the topics that a misspelt query
 * is matched against, from the topics (a database migrated to schema 13
 * has none yet); does nothing when it has words.  The store calls it when
 * it opens a database for writing.
 */
enum wenda_err wenda_search_words_fill(struct wenda_search *se);

/*
 * Fills sound_words, the stretches of the titles and aliases by their
 * sound, from the topics' full-text rows when migration 0016 left word
 * that it is to be filled (a database that had topics before it); does
 * nothing otherwise.  One transaction, unless the caller holds one.  The
 * store calls it when it opens a database for writing.
 */
enum wenda_err wenda_search_sounds_fill(struct wenda_search *se);

/*
 * Makes lx (the editors' synonyms and dictionary, read with
 * wenda_lexicon_synonyms() and wenda_lexicon_dictionary()) the lexicon of
 * se's searches from now on; se takes what lx holds, and lx is left
 * empty, whatever the result.  WENDA_ERR_NOMEM: se keeps none.
 */
struct wenda_lexicon;
enum wenda_err wenda_search_set_lexicon(struct wenda_search *se,
                                        struct wenda_lexicon *lx);

#endif /* WENDA_SEARCH_INT_H */
