/*
 * search_example.c -- a program built against an installed libwenda.
 *
 * It is compiled only with what `pkg-config --cflags --libs --static
 * libwenda` says (see the Makefile's pkgconfig-check), so it proves that an
 * installed copy of the library, its headers and its libwenda.pc are
 * enough to use wenda's search from another program.
 *
 *   usage: search_example DB QUERY
 *
 * Opens the database DB read-only, searches it for QUERY and prints the
 * slug of the best topic.  Exits 0 when a topic was found, 1 when none
 * was, 2 on a bad command line and 3 when the database or the search
 * failed.
 */
#include <stdio.h>

#include <wenda/err.h>
#include <wenda/search.h>
#include <wenda/store.h>

int
main(int argc, char **argv)
{
    struct wenda_search_query q = {NULL, NULL, NULL, 1, 0};
    struct wenda_search_result r;
    struct wenda_store *st;
    enum wenda_err rc;
    char msg[512];
    int status;

    if (argc != 3) {
        fputs("usage: search_example DB QUERY\n", stderr);
        return 2;
    }
    rc = wenda_store_open(argv[1], WENDA_STORE_READONLY, &st, msg,
                          sizeof(msg));
    if (rc != WENDA_OK) {
        fprintf(stderr, "search_example: %s\n", msg);
        return 3;
    }
    q.q = argv[2];
    rc = wenda_search_run(st, &q, &r, msg, sizeof(msg));
    if (rc != WENDA_OK) {
        fprintf(stderr, "search_example: %s\n",
                rc == WENDA_ERR_INVALID ? msg : wenda_err_title(rc));
        wenda_store_close(st);
        return 3;
    }
    if (r.n > 0) {
        printf("%s\n", r.hits[0].slug);
        status = 0;
    } else {
        fprintf(stderr, "search_example: nothing matches '%s'\n", argv[2]);
        status = 1;
    }
    wenda_search_result_cleanup(&r);
    wenda_store_close(st);
    return status;
}
