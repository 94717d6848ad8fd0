/*
 * test_hostile.c -- hostile requests against the real binary, each written
 * byte for byte on its own TCP connection, so that no client library
 * normalizes its path, drops its NUL bytes or fixes its headers.
 */
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <sqlite3.h>

#include "harness.h"
#include "wenda/auth.h"
#include "wenda/store.h"

/* How long one row may take, sending and answer together. */
#define ROW_TIMEOUT_MS 5000
#define REPLY_CAP ((size_t)256 * 1024)

static struct wenda_server srv;

static void
stop(void)
{
    harness_stop(&srv);
}

TestSuite(e2e_hostile, .fini = stop);

/* ---- requests as bytes --------------------------------------------------- */

/* Reads the status, Content-Type and body of a raw reply. */
struct answer {
    int status;
    char type[128];
    char allow[128];
    const char *body;
    size_t body_len;
};

static void
parse_answer(const char *buf, size_t len, struct answer *a)
{
    char cl[32];

    memset(a, 0, sizeof(*a));
    a->status = http_raw_status(buf);
    (void)http_raw_header(buf, "Content-Type", a->type, sizeof(a->type));
    (void)http_raw_header(buf, "Allow", a->allow, sizeof(a->allow));
    a->body = http_raw_body(buf);
    if (a->body == NULL)
        return;
    a->body_len = (size_t)(buf + len - a->body);
    if (http_raw_header(buf, "Content-Length", cl, sizeof(cl)) &&
        strtoul(cl, NULL, 10) < a->body_len)
        a->body_len = strtoul(cl, NULL, 10);
}

/*
 * Checks that a is a problem document for its status: the media type, and
 * a JSON object with type, title and a status equal to the HTTP one.
 */
static void
expect_problem(const char *what, const struct answer *a, int has_body)
{
    json_error_t err;
    json_t *doc;

    cr_expect_eq(strncmp(a->type, "application/problem+json", 24), 0,
                 "%s: a %d without application/problem+json: '%s'", what,
                 a->status, a->type);
    if (!has_body)
        return;
    doc = json_loadb(a->body ? a->body : "", a->body_len, 0, &err);
    cr_expect_not_null(doc, "%s: the problem is not JSON (%s): %.200s", what,
                       err.text, a->body ? a->body : "");
    if (doc == NULL)
        return;
    cr_expect(json_is_string(json_object_get(doc, "type")),
              "%s: no type", what);
    cr_expect(json_is_string(json_object_get(doc, "title")),
              "%s: no title", what);
    cr_expect_eq(json_integer_value(json_object_get(doc, "status")),
                 a->status, "%s: the problem says status %lld, HTTP %d",
                 what, json_integer_value(json_object_get(doc, "status")),
                 a->status);
    json_decref(doc);
}

/* ---- tokens ------------------------------------------------------------- */

/* Creates a token of role in srv's database, in process; returns its id. */
static long long
make_token(enum wenda_role role, const char *name,
           char out[WENDA_TOKEN_LEN + 1])
{
    char db[HARNESS_PATH_MAX + 16], key[HARNESS_PATH_MAX + 32], msg[256];
    struct wenda_store *st;
    struct wenda_auth *a;
    int64_t id = 0;

    cr_assert_geq(sodium_init(), 0);
    (void)snprintf(db, sizeof(db), "%s/wenda.db", srv.dir);
    cr_assert_eq(wenda_store_open(db, 0, &st, msg, sizeof(msg)), WENDA_OK,
                 "%s", msg);
    cr_assert_eq(wenda_auth_key_path_for_db(db, key, sizeof(key)), WENDA_OK);
    cr_assert_eq(wenda_auth_open(key, 1, &a, msg, sizeof(msg)), WENDA_OK,
                 "%s", msg);
    cr_assert_eq(wenda_auth_token_create(a, st, role, name, 0, out, &id),
                 WENDA_OK);
    wenda_auth_close(a);
    wenda_store_close(st);
    return (long long)id;
}

/* ---- single defects ----------------------------------------------------- */

/* Sends raw (len bytes) and returns the parsed answer; buf holds it. */
static void
send_raw(const char *raw, size_t len, char *buf, size_t cap,
         struct answer *a)
{
    long n = http_raw_n(&srv, raw, len, 0, ROW_TIMEOUT_MS, buf, cap);

    cr_assert_gt(n, 0, "no answer to %.80s", raw);
    parse_answer(buf, (size_t)n, a);
}

Test(e2e_hostile, refuses_a_percent_encoded_nul_in_the_path)
{
    static const char nul[] =
        "GET /v1/topics/gil%00x HTTP/1.1\r\nHost: h\r\n\r\n";
    static const char twice[] =
        "GET /v1/topics/gil%2500 HTTP/1.1\r\nHost: h\r\n\r\n";
    static const char plain[] =
        "GET /v1/topics/%67il HTTP/1.1\r\nHost: h\r\n\r\n";
    static const char query[] =
        "GET /v1/search?q=gil%00x HTTP/1.1\r\nHost: h\r\n\r\n";
    char buf[8192];
    struct answer a;

    harness_start_or_fail(&srv, NULL);
    /* Decoded to a NUL, the path used to end there: this was gil. */
    send_raw(nul, sizeof(nul) - 1, buf, sizeof(buf), &a);
    cr_assert_eq(a.status, 400, "%s", buf);
    cr_assert_not_null(strstr(a.body, "/problems/invalid-utf8"), "%s", buf);
    expect_problem("%00 in the path", &a, 1);
    /* %25 is '%', and is decoded once only. */
    send_raw(twice, sizeof(twice) - 1, buf, sizeof(buf), &a);
    cr_assert_eq(a.status, 404, "%s", buf);
    /* Every other escape is decoded as before. */
    send_raw(plain, sizeof(plain) - 1, buf, sizeof(buf), &a);
    cr_assert_eq(a.status, 200, "%s", buf);
    cr_assert_not_null(strstr(a.body, "\"slug\":\"gil\""));
    send_raw(query, sizeof(query) - 1, buf, sizeof(buf), &a);
    cr_assert_eq(a.status, 400, "%s", buf);
    cr_assert_not_null(strstr(a.body, "\"parameter\":\"q\""), "%s", buf);
}

Test(e2e_hostile, refuses_two_authorization_headers_in_either_order)
{
    char admin[WENDA_TOKEN_LEN + 1], raw[512], buf[8192];
    const char *const one[] = {raw, NULL};
    struct http_reply r;
    struct answer a;
    int order, n;

    harness_start_or_fail(&srv, NULL);
    (void)make_token(WENDA_ROLE_ADMIN, "admin-one", admin);
    for (order = 0; order < 2; order++) {
        /* The first used to win: a good token first passed. */
        n = snprintf(raw, sizeof(raw),
                     "GET /v1/tokens HTTP/1.1\r\nHost: h\r\n"
                     "Authorization: Bearer %s\r\n"
                     "Authorization: Bearer %s\r\n\r\n",
                     order ? "wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                           : admin,
                     order ? admin
                           : "wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        send_raw(raw, (size_t)n, buf, sizeof(buf), &a);
        cr_assert_eq(a.status, 400, "order %d: %s", order, buf);
        cr_assert_not_null(strstr(a.body, "Authorization"), "%s", buf);
        expect_problem("two Authorization headers", &a, 1);
    }
    /* One is fine. */
    (void)snprintf(raw, sizeof(raw), "Authorization: Bearer %s", admin);
    cr_assert_eq(http_request(&srv, "GET", "/v1/tokens", one, NULL, 0, &r),
                 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    http_reply_cleanup(&r);
}

Test(e2e_hostile, closes_a_connection_whose_body_length_is_ambiguous)
{
    /* libmicrohttpd takes the first length (5), and used to read "f" and
     * the request after it as the next request on the connection, where a
     * proxy that took the last length (6) sees the GET on its own.  Now
     * the answer is 400 and the connection ends with it. */
    static const char two_lengths[] =
        "POST /v1/topics HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
        "Content-Length: 6\r\n\r\nabcdef"
        "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n";
    static const char length_and_chunks[] =
        "POST /v1/topics HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n";
    static const char one_length[] =
        "POST /v1/topics HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}";
    char buf[8192], close[32];
    struct answer a;

    harness_start_or_fail(&srv, NULL);
    send_raw(two_lengths, sizeof(two_lengths) - 1, buf, sizeof(buf), &a);
    cr_assert_eq(a.status, 400, "%s", buf);
    cr_assert_not_null(strstr(a.body, "Content-Length"), "%s", buf);
    expect_problem("two Content-Length headers", &a, 1);
    cr_assert_not_null(http_raw_header(buf, "Connection", close,
                                       sizeof(close)));
    cr_assert_str_eq(close, "close");

    send_raw(length_and_chunks, sizeof(length_and_chunks) - 1, buf,
             sizeof(buf), &a);
    cr_assert_eq(a.status, 400, "%s", buf);
    cr_assert_not_null(http_raw_header(buf, "Connection", close,
                                       sizeof(close)));

    /* One length, as usual: the token is what is missing. */
    send_raw(one_length, sizeof(one_length) - 1, buf, sizeof(buf), &a);
    cr_assert_eq(a.status, 401, "%s", buf);
}
