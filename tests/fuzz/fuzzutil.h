/*
 * fuzzutil.h -- what the libFuzzer harnesses share: a store made from the
 * real content, a token key and an admin token, set up once per process by
 * LLVMFuzzerInitialize() and only read by the inputs after that, so that
 * an input does the same thing whichever inputs ran before it.
 *
 * Everything lives in a private temporary directory below $TMPDIR (make
 * fuzz points that into its build directory), removed when the process
 * exits normally.  The content directory is $WENDA_FUZZ_CONTENT, or
 * "content" (the harnesses run from the top of the repository).
 *
 * Setup that fails ends the process with a message: a harness that cannot
 * start has nothing to fuzz.
 */
#ifndef WENDA_TESTS_FUZZ_FUZZUTIL_H
#define WENDA_TESTS_FUZZ_FUZZUTIL_H

#include <stddef.h>

#include "wenda/auth.h"
#include "wenda/content.h"
#include "wenda/store.h"

struct fuzz_env {
    struct wenda_store *store;       /* read-only, every topic of the content */
    struct wenda_auth *auth;         /* the key of the database */
    char admin[WENDA_TOKEN_LEN + 1]; /* an admin token in the store */
    char reader[WENDA_TOKEN_LEN + 1]; /* a reader token in the store */
};

/*
 * Builds the environment: imports the content into a new database, makes
 * its key and the two tokens, and opens the database read-only (the way
 * the server's I/O threads do) into env->store.  Calls sodium_init() first.
 */
void fuzz_env_open(struct fuzz_env *env);

/*
 * Reads the topic file content/<rel> ("concurrency/deadlock.md") into *t,
 * which the caller releases with wenda_topic_cleanup().
 */
void fuzz_load_topic(const char *rel, struct wenda_topic *t);

struct api_request;
struct api_response;

/*
 * Answers req as the server's I/O threads do, on env's store and key (set
 * into req), inside a held read snapshot; aborts when none can be held.
 */
void fuzz_handle(struct fuzz_env *env, struct api_request *req,
                 struct api_response *res);

/* An api_request arg callback for a request without query parameters. */
int fuzz_no_arg(void *ctx, const char *name, const char **value,
                size_t *len);

/* Prints the message to standard error and aborts (a fuzzer crash). */
void fuzz_die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* Returns a new NUL-terminated copy of data[0..n), or aborts. */
char *fuzz_strndup(const unsigned char *data, size_t n);

/*
 * A wenda_diag_fn that drops the problem (a fuzzed file has many), after
 * checking that it has a message.
 */
void fuzz_quiet_diag(void *ctx, const char *file, unsigned long line,
                     const char *msg);

/*
 * Checks the promise of `wenda export` for a valid topic t: written as a
 * canonical file, it parses again into the same topic, which is written
 * back to the same bytes.  Aborts when it does not.
 */
void fuzz_check_file_round_trip(const struct wenda_topic *t);

#endif /* WENDA_TESTS_FUZZ_FUZZUTIL_H */
