/*
 * ndjson.h -- importing a file of topics as NDJSON, on several threads.
 *
 * Private to the service (wenda import FILE.ndjson); see ndjson.c.
 */
#ifndef WENDA_NDJSON_H
#define WENDA_NDJSON_H

#include <stddef.h>
#include <stdio.h>

#include "wenda/err.h"
#include "wenda/store.h"

/* Most worker threads an import takes. */
#define NDJSON_MAX_WORKERS 64u

/* How an import went, beside its result. */
struct ndjson_status {
    size_t ntopics;  /* topics added to the import */
    size_t lineno;   /* the line that failed, counted from 1; 0: none */
    int read_errno;  /* errno when reading f failed, else 0 */
    char msg[512];   /* what is wrong with line lineno, or "" */
};

/*
 * Adds every topic of f, one JSON object a line in the form GET /v1/export
 * writes (empty lines skipped), to im, in file order: the new slugs get
 * the import's new ids as they come.  Stops at the
 * first line that is not a valid topic or that the store refuses, and
 * returns its error, with its line number in status->lineno and what is
 * wrong in status->msg (WENDA_ERR_PARSE: not JSON); the import is then to
 * be rolled back.  WENDA_ERR_IO with status->read_errno when f cannot be
 * read; WENDA_ERR_NOMEM, WENDA_ERR_INTERNAL (a tokenizer or a thread could
 * not be started) with lineno 0.
 *
 * With nworkers 0, each topic is parsed, rendered, tokenized and written
 * on the calling thread, one after the other.  Otherwise nworkers threads
 * (at most NDJSON_MAX_WORKERS) read the lines and prepare each topic,
 * tokens of its full-text columns included, while the calling thread only
 * writes them; the result and the database are the same.  At most a few
 * hundred prepared topics wait at any time.
 */
enum wenda_err ndjson_import(struct wenda_import *im, FILE *f,
                             unsigned int nworkers,
                             struct ndjson_status *status);

/*
 * Returns the number of workers an import takes by default: one less than
 * the processors online, at least 1.
 */
unsigned int ndjson_default_workers(void);

#endif /* WENDA_NDJSON_H */
