/*
 * test_wal.c -- the write-ahead log stays bounded while writes keep coming.
 *
 * SQLite can rewind its log only when no reader still reads from it, so a
 * server whose I/O threads keep read snapshots open -- across a request
 * that waits for the writer, on an idle keep-alive connection, or from one
 * request to the next under load -- lets the log grow by every write, for
 * ever.  These tests write continuously for a bounded number of writes,
 * with readers on kept-alive connections beside them, and look at the size
 * of wenda.db-wal on disk, at /metrics, and at what a clean stop leaves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>

#include "harness.h"

static struct wenda_server srv;

static void
stop(void)
{
    harness_stop(&srv);
}

TestSuite(e2e_wal, .fini = stop);

/* Writes in the bounded run; each PATCH adds about 100 KB to the log. */
#define WRITES 300

/* The log may reach the checkpoint threshold (4 MiB) plus what the writes
 * of a few batches add; without checkpoints that rewind it, 300 writes
 * leave about 30 MB. */
#define WAL_BOUND ((long long)8 << 20)

/* Returns the size of the server's wenda.db-wal, or 0 when there is none. */
static long long
wal_size(const struct wenda_server *s)
{
    char path[HARNESS_PATH_MAX + 16];
    struct stat sb;

    (void)snprintf(path, sizeof(path), "%s/wenda.db-wal", s->dir);
    return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* GETs path on the kept-alive handle easy and expects 200. */
static void
get_ok(CURL *easy, const char *path, char etag[80])
{
    struct http_reply r = {0};

    cr_assert_eq(http_request_on(easy, &srv, "GET", path, NULL, NULL, 0, &r),
                 0);
    cr_assert_eq(r.status, 200, "GET %s: %ld %s", path, r.status, r.body);
    if (etag != NULL)
        (void)snprintf(etag, 80, "%s", http_header_or_empty(&r, "ETag"));
    http_reply_cleanup(&r);
}

/* PATCHes topic 1's tags to say i, with the ETag of a GET just before. */
static void
patch_once(CURL *easy, const char *token, int i)
{
    char auth[128], im[100], body[96], etag[80];
    const char *h[4];
    struct http_reply r = {0};

    get_ok(easy, "/v1/topics/1", etag);
    (void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    (void)snprintf(im, sizeof(im), "If-Match: %s", etag);
    (void)snprintf(body, sizeof(body), "{\"tags\":[\"wal\",\"w%d\"]}", i);
    h[0] = auth;
    h[1] = im;
    h[2] = "Content-Type: application/merge-patch+json";
    h[3] = NULL;
    cr_assert_eq(http_request_on(easy, &srv, "PATCH", "/v1/topics/1", h, body,
                                 strlen(body), &r),
                 0);
    cr_assert_eq(r.status, 200, "PATCH %d: %ld %s", i, r.status, r.body);
    http_reply_cleanup(&r);
}

/* Returns the value of the metric line that starts with name (labels
 * included), or -1 when /metrics has no such line. */
static double
metric(const char *name)
{
    struct http_reply r = {0};
    const char *p;
    double v = -1;
    size_t n = strlen(name);

    cr_assert_eq(http_request(&srv, "GET", "/metrics", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200);
    for (p = r.body; p != NULL && *p != '\0'; p = strchr(p, '\n'),
        p = p != NULL ? p + 1 : NULL)
        if (strncmp(p, name, n) == 0 && p[n] == ' ') {
            v = strtod(p + n + 1, NULL);
            break;
        }
    http_reply_cleanup(&r);
    return v;
}

Test(e2e_wal, stays_bounded_under_continuous_writes_beside_kept_alive_readers,
     .timeout = 120)
{
    char editor[WENDA_TOKEN_LEN + 1];
    CURL *writer, *reader, *idle;
    long long size, most = 0;
    double emptied;
    int i;

    harness_start_or_fail(&srv, NULL);
    emptied = metric("wenda_wal_checkpoints_total{result=\"truncated\"}");
    (void)harness_token(&srv, WENDA_ROLE_EDITOR, "wal-editor", editor);
    writer = curl_easy_init();
    reader = curl_easy_init();
    idle = curl_easy_init();
    cr_assert(writer != NULL && reader != NULL && idle != NULL);
    /* One connection reads once and then stays open, idle. */
    get_ok(idle, "/v1/topics/3", NULL);
    for (i = 0; i < WRITES; i++) {
        get_ok(reader, i % 2 ? "/v1/topics/2" : "/v1/search?q=gil", NULL);
        patch_once(writer, editor, i);
        size = wal_size(&srv);
        if (size > most)
            most = size;
    }
    cr_expect_leq(most, WAL_BOUND, "the log reached %lld bytes after %d "
                  "writes", most, WRITES);
    cr_expect_gt(metric("wenda_wal_checkpoints_total{result=\"truncated\"}"),
                 emptied, "no checkpoint emptied the log while writing");
    size = (long long)metric("wenda_wal_bytes");
    cr_expect_geq(size, 0, "/metrics has no wenda_wal_bytes");
    cr_expect_leq(size, WAL_BOUND);
    curl_easy_cleanup(idle);
    curl_easy_cleanup(reader);
    curl_easy_cleanup(writer);
}

Test(e2e_wal, a_clean_stop_leaves_no_log_behind, .timeout = 60)
{
    char editor[WENDA_TOKEN_LEN + 1], keep[HARNESS_PATH_MAX + 16];
    const char *args[] = {"--db", keep, NULL};
    struct wenda_server first;
    CURL *writer, *idle;
    int i;

    harness_start_or_fail(&srv, NULL);
    (void)harness_token(&srv, WENDA_ROLE_EDITOR, "wal-editor", editor);
    writer = curl_easy_init();
    idle = curl_easy_init();
    cr_assert(writer != NULL && idle != NULL);
    for (i = 0; i < 20; i++) {
        get_ok(idle, "/v1/topics/2", NULL);
        patch_once(writer, editor, i);
    }
    cr_assert_gt(wal_size(&srv), 0);
    curl_easy_cleanup(idle);
    curl_easy_cleanup(writer);
    /* Stop with SIGTERM, keeping the directory to look into. */
    (void)snprintf(keep, sizeof(keep), "%s/wenda.db", srv.dir);
    setenv("WENDA_KEEP_TMP", "1", 1);
    cr_assert_eq(harness_stop(&srv), 0);
    unsetenv("WENDA_KEEP_TMP");
    first = srv;
    cr_expect_eq(wal_size(&first), 0, "a clean stop left %lld bytes of log",
                 wal_size(&first));
    /* The database is whole without its log: a server starts on it and
     * serves the last write. */
    harness_start_or_fail(&srv, args);
    {
        struct http_reply r = {0};

        cr_assert_eq(http_request(&srv, "GET", "/v1/topics/1", NULL, NULL, 0,
                                  &r),
                     0);
        cr_expect(strstr(r.body, "\"w19\"") != NULL, "%s", r.body);
        http_reply_cleanup(&r);
    }
    harness_stop(&srv);
    harness_remove_dir(&first);
}
