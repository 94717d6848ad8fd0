/*
 * search_query.c -- libFuzzer harness of the search query builder,
 * wenda_search_build(), and of wenda_search_run() over the real content.
 *
 * The input is the text of q.  Whatever it holds, the MATCH expression
 * built from it (both levels) must be one that FTS5 parses: user text
 * reaches MATCH only as quoted strings, so a syntax error there would mean
 * the query escaped its quotes.  A search must then run without an error
 * other than a rejected query, and its result must be consistent.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "fuzzutil.h"
#include "wenda/search.h"
#include "wenda/tokenize.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_env env;
static struct wenda_tokenizer *tk;
static sqlite3_stmt *count_stmt;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_env_open(&env);
    if (wenda_tokenizer_new(&tk) != WENDA_OK)
        fuzz_die("no tokenizer");
    if (sqlite3_prepare_v2(wenda_store_db(env.store),
                           "SELECT count(*) FROM topics_fts "
                           "WHERE topics_fts MATCH ?1",
                           -1, &count_stmt, NULL) != SQLITE_OK)
        fuzz_die("cannot prepare: %s",
                 sqlite3_errmsg(wenda_store_db(env.store)));
    return 0;
}

/* Runs match through FTS5, which must take it. */
static void
check_match(const char *match)
{
    int step;

    (void)sqlite3_bind_text(count_stmt, 1, match, -1, SQLITE_STATIC);
    step = sqlite3_step(count_stmt);
    if (step != SQLITE_ROW)
        fuzz_die("FTS5 refuses the MATCH expression %s: %s", match,
                 sqlite3_errmsg(wenda_store_db(env.store)));
    (void)sqlite3_reset(count_stmt);
    (void)sqlite3_clear_bindings(count_stmt);
}

static void
check_run(const char *q)
{
    struct wenda_search_query query = {q, NULL, NULL, 5, 0};
    struct wenda_search_result r;
    char msg[256];
    enum wenda_err rc;
    size_t i;

    msg[0] = '\0';
    rc = wenda_search_run(env.store, &query, &r, msg, sizeof(msg));
    if (rc == WENDA_ERR_INVALID) {
        if (msg[0] == '\0')
            fuzz_die("a rejected query without a message");
        return;
    }
    if (rc != WENDA_OK)
        fuzz_die("search failed: %s", wenda_err_name(rc));
    if (r.n > query.limit || (int64_t)r.n > r.total)
        fuzz_die("%zu hits of %lld with limit %u", r.n, (long long)r.total,
                 query.limit);
    for (i = 0; i < r.n; i++)
        if (r.hits[i].id <= 0 || r.hits[i].slug == NULL ||
            r.hits[i].snippet == NULL ||
            !wenda_utf8_valid(r.hits[i].snippet, strlen(r.hits[i].snippet),
                              NULL))
            fuzz_die("hit %zu is malformed", i);
    wenda_search_result_cleanup(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum wenda_search_level levels[] = {WENDA_SEARCH_ALL,
                                                     WENDA_SEARCH_ANY};
    char *q = fuzz_strndup(data, size);
    char msg[256];
    size_t i;

    for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        char *match = NULL;
        enum wenda_err rc;

        rc = wenda_search_build(tk, q, size, levels[i], &match, msg,
                                sizeof(msg));
        if (rc == WENDA_OK)
            check_match(match);
        else if (rc != WENDA_ERR_INVALID || match != NULL)
            fuzz_die("wenda_search_build: %s", wenda_err_name(rc));
        free(match);
    }
    if (strlen(q) == size) {
        if (wenda_store_hold_read(env.store, 1000) != WENDA_OK)
            fuzz_die("the store cannot be read");
        check_run(q);
        wenda_store_release_read(env.store);
    }
    free(q);
    return 0;
}
