/*
 * store_int.h -- the store's private face, for wenda's own layers above
 * it: the connection for the modules built on it (auth.c) and for tests,
 * and what the server needs beyond the library's face (read snapshots
 * kept across requests, log checkpoints, an import whose rows are
 * prepared on worker threads).  An embedding app includes only
 * include/wenda/store.h; store_impl.h is what the store's own files share.
 */
#ifndef WENDA_STORE_INT_H
#define WENDA_STORE_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "wenda/content.h"
#include "wenda/err.h"
#include "wenda/store.h"

struct sqlite3;
struct sqlite3_stmt;
struct wenda_search;
struct wenda_tokenizer;

/* ---- for modules built on the store, and tests -------------------------- */

/*
 * The store's SQLite connection, borrowed for as long as the store is
 * open.
 */
struct sqlite3 *wenda_store_db(struct wenda_store *st);

/*
 * Returns the tokenizer of the store's search (created on first use;
 * borrowed), or NULL when it cannot be created.  Like the store, it
 * belongs to one thread at a time.
 */
struct wenda_tokenizer *wenda_store_tokenizer(struct wenda_store *st);

/* ---- for the server: read snapshots, log checkpoints, parallel import -- */

/*
 * Makes the reads that follow run in a read transaction that may outlive
 * this call, so that a thread serving many requests takes the WAL read
 * lock (a pair of fcntl() calls and a stat()) once per snapshot instead of
 * once per statement.  The snapshot is renewed when this process has
 * committed a change since it began (see wenda_store_changed()) or when
 * it is older than max_age_ms, which bounds how long a change made by
 * another process goes unseen.  Call wenda_store_release_read() when the
 * thread goes idle, so that a snapshot does not hold back checkpoints.
 */
enum wenda_err wenda_store_hold_read(struct wenda_store *st,
                                     unsigned int max_age_ms);

/*
 * Says why the last call on st that returned WENDA_ERR_DB failed: *why
 * gets SQLite's message (borrowed; valid until the next call on st), and
 * the result is WENDA_ERR_READ_ONLY when the database file could not be
 * written (its mode or owner changed, a read-only file system), else
 * WENDA_ERR_DB.
 */
enum wenda_err wenda_store_last_error(struct wenda_store *st,
                                      const char **why);

/*
 * Bracket the requests a thread serves with its read-only store st: from
 * wenda_store_enter() to wenda_store_leave() only that thread uses st, and
 * the snapshot of wenda_store_hold_read() is its own.  Between them, when
 * the thread is idle, a checkpoint on another thread of this process (see
 * wenda_store_checkpoint()) ends a snapshot st still holds that predates
 * it, so that a thread keeps its snapshot from one request to the next
 * without an idle one ever holding back the write-ahead log.  A store
 * never entered is never touched by another thread.
 */
void wenda_store_enter(struct wenda_store *st);
void wenda_store_leave(struct wenda_store *st);

/* Ends the read transaction of wenda_store_hold_read(), if any. */
void wenda_store_release_read(struct wenda_store *st);

/*
 * Ends the read transaction of wenda_store_hold_read() if this process has
 * committed a change, or asked its readers to let go of the log (see
 * wenda_store_checkpoint()), since it began.  Call it when a request ends
 * on a thread that serves others still, so that a snapshot lives no longer
 * than the request that took it once a writer is waiting for it.
 */
void wenda_store_release_stale_read(struct wenda_store *st);

/* What wenda_store_checkpoint() did. */
enum wenda_checkpoint {
    WENDA_CHECKPOINT_NONE,      /* the log was below its threshold */
    WENDA_CHECKPOINT_TRUNCATED, /* every frame copied, the log emptied */
    WENDA_CHECKPOINT_BUSY,      /* readers held frames past max_wait_ms */
    WENDA_CHECKPOINT_FAILED     /* an I/O or database error */
};

/*
 * Copies the write-ahead log of the writable store st into the database
 * and empties it, once the commits since the last such checkpoint have
 * added threshold_pages or more to it (0: whatever it holds).  SQLite can
 * only rewind the log when no reader reads from it, so the readers of this
 * process are asked to let go (their held snapshots end with their current
 * request, see wenda_store_release_stale_read()) and the call waits up to
 * max_wait_ms for them; a reader that still holds frames then leaves the
 * log as it is, to be tried again after the next commit.  Call it outside
 * a write transaction.  *frames_left, when not NULL, receives the frames
 * the log still holds.  Returns what was done.
 */
enum wenda_checkpoint wenda_store_checkpoint(struct wenda_store *st,
                                             unsigned int threshold_pages,
                                             unsigned int max_wait_ms,
                                             long *frames_left);

/*
 * Tells every store of this process that the database changed: held
 * snapshots are renewed before their next read.  Every write path calls
 * it after its commit.
 */
void wenda_store_changed(void);

/*
 * wenda_store_import_add() in two steps, so that the work that needs no
 * database -- rendering a topic's JSON, building and tokenizing its index
 * row -- can run on other threads while the import's own thread writes.
 *
 * wenda_store_import_prepare() makes in *out the row of topic t as the
 * import will store it, with updated_at stamp (which must be
 * wenda_store_import_stamp() of the import), using tk for its index row
 * (see wenda_search_prepare(), which pretokenize is passed to); its id and
 * version are the import's to give when it is written.  It reads no
 * database, so it may run on any thread with a tokenizer of its own.
 * t is borrowed and must outlive the row; the caller frees *out with
 * wenda_store_import_row_free().  Errors: WENDA_ERR_NOMEM,
 * WENDA_ERR_INTERNAL; *out is then NULL.
 *
 * wenda_store_import_add_row() stores row as wenda_store_import_add()
 * stores a topic; rows added in the order of their topics give new ids in
 * that order.  row stays the caller's.
 */
struct wenda_import_row;
struct wenda_tokenizer;
const char *wenda_store_import_stamp(const struct wenda_import *im);
enum wenda_err wenda_store_import_prepare(struct wenda_tokenizer *tk,
                                          const struct wenda_topic *t,
                                          const char *stamp, int pretokenize,
                                          struct wenda_import_row **out);
enum wenda_err wenda_store_import_add_row(struct wenda_import *im,
                                          const struct wenda_import_row *row,
                                          char *msg, size_t msgcap);
/* Frees row; NULL is fine. */
void wenda_store_import_row_free(struct wenda_import_row *row);

/*
 * Makes stamp ("YYYY-MM-DDTHH:MM:SSZ") the time every write of the calling
 * thread records, until it is called with NULL: a cluster node applies an
 * entry at the time its leader fixed, so that every node writes the same.
 */
void wenda_store_clock_set(const char *stamp);

/* Copies the calling thread's fixed time to out and returns 1, or returns
 * 0 when none is set. */
int wenda_store_clock_now(char *out, size_t cap);

#endif /* WENDA_STORE_INT_H */
