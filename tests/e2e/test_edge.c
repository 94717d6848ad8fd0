/*
 * test_edge.c -- what a deployment needs from the edge of the server:
 * readiness, OPTIONS and CORS for browsers, gzip, request ids, the access
 * log and HTTPS, through the real binary.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <zlib.h>

#include "harness.h"
#include "wenda/content.h"

#define HDR http_header_or_empty

static struct wenda_server srv;

static void
stop(void)
{
    harness_stop(&srv);
}

TestSuite(e2e_edge, .fini = stop);

Test(e2e_edge, readyz_answers_with_the_topic_count)
{
    struct http_reply r;
    json_t *doc;

    harness_start_or_fail(&srv, NULL);
    cr_assert_eq(http_request(&srv, "GET", "/readyz", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.len, r.body);
    doc = http_json(&r);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "status")),
                     "ready");
    cr_assert_eq(json_integer_value(json_object_get(doc, "topics")), 64);
    json_decref(doc);
    http_reply_cleanup(&r);
}

Test(e2e_edge, options_lists_the_methods_of_a_resource)
{
    struct http_reply r;

    harness_start_or_fail(&srv, NULL);
    cr_assert_eq(http_request(&srv, "OPTIONS", "/v1/topics", NULL, NULL, 0,
                              &r), 0);
    cr_assert_eq(r.status, 204);
    cr_assert_str_eq(HDR(&r, "Allow"), "GET, HEAD, POST, OPTIONS");
    /* No CORS configured: nothing tells a browser it may read. */
    cr_assert_null(http_header(&r, "Access-Control-Allow-Origin"));
    http_reply_cleanup(&r);
    cr_assert_eq(http_request(&srv, "OPTIONS", "/v1/nothing-here", NULL,
                              NULL, 0, &r), 0);
    cr_assert_eq(r.status, 404);
    http_reply_cleanup(&r);
}

Test(e2e_edge, public_cors_lets_any_page_read_but_not_write)
{
    const char *const args[] = {"--cors-origin", "*", NULL};
    const char *const origin[] = {"Origin: https://notes.example", NULL};
    const char *const preflight[] = {
        "Origin: https://notes.example",
        "Access-Control-Request-Method: POST", NULL};
    struct http_reply r;

    harness_start_or_fail(&srv, args);
    cr_assert_eq(http_request(&srv, "GET", "/v1/topics/gil", origin, NULL,
                              0, &r), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(HDR(&r, "Access-Control-Allow-Origin"), "*");
    cr_assert_not_null(strstr(HDR(&r, "Access-Control-Expose-Headers"),
                              "ETag"));
    http_reply_cleanup(&r);

    cr_assert_eq(http_request(&srv, "OPTIONS", "/v1/topics", preflight,
                              NULL, 0, &r), 0);
    cr_assert_eq(r.status, 204);
    cr_assert_str_eq(HDR(&r, "Access-Control-Allow-Methods"),
                     "GET, HEAD, OPTIONS");
    http_reply_cleanup(&r);
}

Test(e2e_edge, an_origin_cors_answers_only_that_origin)
{
    const char *const args[] = {"--cors-origin", "https://study.example",
                                NULL};
    const char *const ours[] = {"Origin: https://study.example", NULL};
    const char *const other[] = {"Origin: https://evil.example", NULL};
    const char *const preflight[] = {
        "Origin: https://study.example",
        "Access-Control-Request-Method: PATCH", NULL};
    struct http_reply r;

    harness_start_or_fail(&srv, args);
    cr_assert_eq(http_request(&srv, "GET", "/v1/topics/gil", ours, NULL, 0,
                              &r), 0);
    cr_assert_str_eq(HDR(&r, "Access-Control-Allow-Origin"),
                     "https://study.example");
    cr_assert_not_null(strstr(HDR(&r, "Vary"), "Origin"));
    http_reply_cleanup(&r);

    cr_assert_eq(http_request(&srv, "GET", "/v1/topics/gil", other, NULL, 0,
                              &r), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_null(http_header(&r, "Access-Control-Allow-Origin"));
    http_reply_cleanup(&r);

    /* The trusted front end may write, with a token. */
    cr_assert_eq(http_request(&srv, "OPTIONS", "/v1/topics/gil", preflight,
                              NULL, 0, &r), 0);
    cr_assert_eq(r.status, 204);
    cr_assert_not_null(strstr(HDR(&r, "Access-Control-Allow-Methods"),
                              "PATCH"));
    cr_assert_not_null(strstr(HDR(&r, "Access-Control-Allow-Headers"),
                              "Authorization"));
    http_reply_cleanup(&r);
}

/* Inflates a gzip body into a new NUL-terminated string. */
static char *
gunzip(const char *in, size_t len, size_t *out_len)
{
    z_stream z;
    size_t cap = 1 << 20;
    char *out = malloc(cap);

    cr_assert_not_null(out);
    memset(&z, 0, sizeof(z));
    cr_assert_eq(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    z.next_in = (unsigned char *)(uintptr_t)in;
    z.avail_in = (unsigned int)len;
    z.next_out = (unsigned char *)out;
    z.avail_out = (unsigned int)(cap - 1);
    cr_assert_eq(inflate(&z, Z_FINISH), Z_STREAM_END, "not a gzip body");
    *out_len = z.total_out;
    out[z.total_out] = '\0';
    (void)inflateEnd(&z);
    return out;
}

Test(e2e_edge, gzip_when_asked_for_the_same_json_with_its_own_etag)
{
    const char *const gz[] = {"Accept-Encoding: gzip", NULL};
    const char *path = "/v1/topics?limit=50";
    struct http_reply plain, zipped, again;
    char inm[128];
    const char *const cond[] = {"Accept-Encoding: gzip", inm, NULL};
    size_t n;
    char *body;

    harness_start_or_fail(&srv, NULL);
    cr_assert_eq(http_request(&srv, "GET", path, NULL, NULL, 0, &plain), 0);
    cr_assert_eq(plain.status, 200);
    cr_assert_null(http_header(&plain, "Content-Encoding"));
    cr_assert_eq(http_request(&srv, "GET", path, gz, NULL, 0, &zipped), 0);
    cr_assert_eq(zipped.status, 200);
    cr_assert_str_eq(HDR(&zipped, "Content-Encoding"), "gzip");
    cr_assert_not_null(strstr(HDR(&zipped, "Vary"), "Accept-Encoding"));
    cr_assert_lt(zipped.len, plain.len / 2, "gzip saved little: %zu of %zu",
                 zipped.len, plain.len);
    body = gunzip(zipped.body, zipped.len, &n);
    cr_assert_eq(n, plain.len);
    cr_assert_eq(memcmp(body, plain.body, n), 0);
    free(body);
    /* Two representations, two validators; each revalidates. */
    cr_assert_str_neq(HDR(&zipped, "ETag"), HDR(&plain, "ETag"));
    (void)snprintf(inm, sizeof(inm), "If-None-Match: %s",
                   HDR(&zipped, "ETag"));
    cr_assert_eq(http_request(&srv, "GET", path, cond, NULL, 0, &again), 0);
    cr_assert_eq(again.status, 304);
    http_reply_cleanup(&again);
    http_reply_cleanup(&zipped);
    http_reply_cleanup(&plain);
}

Test(e2e_edge, request_ids_are_echoed_or_made)
{
    const char *const given[] = {"X-Request-Id: trace-42.a_b", NULL};
    const char *const bad[] = {"X-Request-Id: two words", NULL};
    struct http_reply r;
    const char *id;

    harness_start_or_fail(&srv, NULL);
    cr_assert_eq(http_request(&srv, "GET", "/healthz", given, NULL, 0, &r),
                 0);
    cr_assert_str_eq(HDR(&r, "X-Request-Id"), "trace-42.a_b");
    http_reply_cleanup(&r);
    cr_assert_eq(http_request(&srv, "GET", "/healthz", bad, NULL, 0, &r), 0);
    id = HDR(&r, "X-Request-Id");
    cr_assert_eq(strlen(id), 16, "%s", id);
    cr_assert_eq(strspn(id, "0123456789abcdef"), 16, "%s", id);
    http_reply_cleanup(&r);
}

Test(e2e_edge, access_log_has_one_line_per_request_without_query_values)
{
    const char *const args[] = {"--access-log", "on", NULL};
    const char *const id[] = {"X-Request-Id: find-me-7", NULL};
    struct http_reply r;
    char log[8192];
    const char *line;
    json_t *doc, *q;
    json_error_t err;

    harness_start_or_fail(&srv, args);
    cr_assert_eq(http_request(&srv, "GET",
                              "/v1/search?q=secretword&limit=3", id, NULL, 0,
                              &r), 0);
    cr_assert_eq(r.status, 200);
    http_reply_cleanup(&r);
    /* The line is written before the response is sent. */
    harness_log_tail(&srv, log, sizeof(log));
    cr_assert_null(strstr(log, "secretword"), "%s", log);
    line = strstr(log, "{\"time\"");
    while (line != NULL && strstr(line, "find-me-7") > strchr(line, '\n'))
        line = strstr(line + 1, "{\"time\"");
    cr_assert_not_null(line, "no access log line for the search: %s", log);
    doc = json_loadb(line, (size_t)(strchr(line, '\n') - line), 0, &err);
    cr_assert_not_null(doc, "%s: %s", err.text, line);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "method")),
                     "GET");
    cr_assert_str_eq(json_string_value(json_object_get(doc, "path")),
                     "/v1/search");
    cr_assert_eq(json_integer_value(json_object_get(doc, "status")), 200);
    q = json_object_get(doc, "query");
    cr_assert_eq(json_array_size(q), 2);
    cr_assert_str_eq(json_string_value(json_array_get(q, 0)), "q");
    json_decref(doc);
}

/*
 * Checks every line of srv's log: each is valid UTF-8, and each access log
 * line (one that starts with '{') a JSON object.  Returns how many access
 * log lines there are; the one whose id is find (or NULL) goes to *found
 * as a new reference.
 */
static size_t
check_log_lines(const char *find, json_t **found)
{
    FILE *f = fopen(srv.log_path, "rb");
    char *line = NULL;
    size_t cap = 0, lines = 0;
    ssize_t n;

    cr_assert_not_null(f);
    if (found != NULL)
        *found = NULL;
    while ((n = getline(&line, &cap, f)) > 0) {
        json_error_t err;
        json_t *doc;
        const char *id;
        size_t bad = 0;

        cr_expect(wenda_utf8_valid(line, (size_t)n, &bad),
                  "a log line is not UTF-8 at byte %zu: %s", bad, line);
        if (line[0] != '{')
            continue;
        lines++;
        doc = json_loadb(line, (size_t)n, 0, &err);
        cr_expect(json_is_object(doc), "an access log line is not JSON "
                  "(%s at %d): %s", err.text, err.position, line);
        id = json_string_value(json_object_get(doc, "id"));
        if (find != NULL && found != NULL && id != NULL &&
            strcmp(id, find) == 0)
            *found = json_incref(doc);
        json_decref(doc);
    }
    free(line);
    (void)fclose(f);
    return lines;
}

/* Sends raw with X-Request-Id: id and returns the access log line of it. */
static json_t *
logged(const char *method, const char *target, const char *id)
{
    char raw[4096], buf[8192];
    json_t *doc = NULL;

    (void)snprintf(raw, sizeof(raw), "%s %s HTTP/1.1\r\nHost: x\r\n"
                   "X-Request-Id: %s\r\nConnection: close\r\n\r\n",
                   method, target, id);
    cr_assert_gt(http_raw(&srv, raw, buf, sizeof(buf)), 0, "%s", raw);
    (void)check_log_lines(id, &doc);
    cr_assert_not_null(doc, "no access log line for %s", target);
    return doc;
}

Test(e2e_edge, access_log_lines_are_json_and_utf8_whatever_the_request)
{
    const char *const args[] = {"--access-log", "on", NULL};
    static const char *const hostile[] = {
        "/v1/topics/%ff%fe",
        "/v1/topics/\xff\xfe",
        "/v1/topics/%c0%af",
        "/v1/topics/%c0%80",
        "/v1/topics/%ed%a0%80",          /* a surrogate */
        "/v1/topics/%f4%90%80%80",       /* past U+10FFFF */
        "/v1/topics/%e6%ad",             /* a character cut short */
        "/v1/topics/%01%1f%7f%09%0a%0d",
        "/v1/topics/%22%5c%22%5c%5cu0041",
        "/v1/search?%ff=1&a%22b%5c=2&%e6%ad=3&%c0%80",
    };
    char target[2048], id[32];
    const char *path, *name;
    json_t *doc, *q;
    size_t i, sent, len;

    harness_start_or_fail(&srv, args);
    sent = check_log_lines(NULL, NULL);   /* the harness's GET /healthz */
    for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        (void)snprintf(id, sizeof(id), "hostile-%zu", i);
        doc = logged("GET", hostile[i], id);
        sent++;
        json_decref(doc);
    }
    /* Bytes that are not UTF-8 are logged as \u00XX, the code point of
     * the same number: %ff%fe reads back as U+00FF U+00FE. */
    doc = logged("GET", "/v1/topics/%ff%fe", "ff-fe");
    sent++;
    cr_assert_str_eq(json_string_value(json_object_get(doc, "path")),
                     "/v1/topics/\xc3\xbf\xc3\xbe");
    json_decref(doc);
    /* A long path is cut between two characters, and says so. */
    len = (size_t)snprintf(target, sizeof(target), "/v1/topics/");
    for (i = 0; i < 100; i++)
        len += (size_t)snprintf(target + len, sizeof(target) - len,
                                "%%E6%%AD%%BB");   /* 死, 3 bytes */
    doc = logged("GET", target, "long-path");
    sent++;
    path = json_string_value(json_object_get(doc, "path"));
    cr_assert_not_null(path);
    cr_assert_lt(strlen(path), 311);
    cr_assert_eq((strlen(path) - 11) % 3, 0, "cut inside a character: %s",
                 path);
    cr_assert(json_is_true(json_object_get(doc, "path_truncated")));
    json_decref(doc);
    /* So is a long query parameter name. */
    len = (size_t)snprintf(target, sizeof(target), "/v1/search?q=gil&x");
    for (i = 0; i < 100; i++)
        len += (size_t)snprintf(target + len, sizeof(target) - len,
                                "%%E6%%AD%%BB");
    doc = logged("GET", target, "long-name");
    sent++;
    q = json_object_get(doc, "query");
    cr_assert_eq(json_array_size(q), 2);
    name = json_string_value(json_array_get(q, 1));
    cr_assert_not_null(name);
    cr_assert_lt(strlen(name), 300);
    cr_assert_eq((strlen(name) - 1) % 3, 0, "cut inside a character: %s",
                 name);
    cr_assert(json_is_true(json_object_get(doc, "query_truncated")));
    json_decref(doc);
    /* A short path is whole, and not marked. */
    doc = logged("GET", "/v1/topics/%E6%AD%BB", "short");
    sent++;
    cr_assert_str_eq(json_string_value(json_object_get(doc, "path")),
                     "/v1/topics/\xe6\xad\xbb");
    cr_assert_null(json_object_get(doc, "path_truncated"));
    cr_assert_null(json_object_get(doc, "query_truncated"));
    json_decref(doc);
    /* A method that is not UTF-8 either. */
    doc = logged("G\xff\xc0T", "/healthz", "odd-method");
    sent++;
    json_decref(doc);
    cr_assert_eq(check_log_lines(NULL, NULL), sent, "an access log line "
                 "is missing");
}

/* Makes a self-signed certificate for 127.0.0.1 in a new directory dir
 * (a mkdtemp() template), its files named into cert and key. */
static void
make_cert(char *dir, char cert[256], char key[256])
{
    char cmd[1024];

    cr_assert_not_null(mkdtemp(dir));
    (void)snprintf(cert, 256, "%s/cert.pem", dir);
    (void)snprintf(key, 256, "%s/key.pem", dir);
    (void)snprintf(cmd, sizeof(cmd),
                   "openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
                   "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
                   "-keyout %s -out %s >/dev/null 2>&1", key, cert);
    cr_assert_eq(system(cmd), 0, "openssl could not make a certificate");
}

Test(e2e_edge, serves_https_with_the_given_key_pair)
{
    char dir[] = "/tmp/wenda-tls-XXXXXX", cmd[1024], cert[256], key[256];
    const char *args[] = {"--tls-cert", cert, "--tls-key", key, NULL};
    struct http_reply r;
    char raw[4096];

    make_cert(dir, cert, key);
    harness_start_or_fail(&srv, args);
    cr_assert_eq(strncmp(srv.base_url, "https://", 8), 0);
    /* libcurl verifies the certificate against cert.pem. */
    cr_assert_eq(http_request(&srv, "GET", "/v1/topics/gil", NULL, NULL, 0,
                              &r), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_not_null(strstr(r.body, "\"slug\":\"gil\""));
    http_reply_cleanup(&r);
    /* Plain HTTP on the HTTPS port gets no HTTP answer. */
    (void)http_raw(&srv, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", raw,
                   sizeof(raw));
    cr_assert_eq(http_raw_status(raw), 0, "%s", raw);
    harness_stop(&srv);
    (void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    (void)system(cmd);
}

/*
 * GETs /healthz from srv over HTTPS with libcurl (OpenSSL) held to the
 * TLS versions in version (CURL_SSLVERSION_* with a MAX) and the OpenSSL
 * cipher list ciphers; returns curl's result, CURLE_OK for a 200.
 * "@SECLEVEL=0" in ciphers lets OpenSSL itself offer TLS 1.0 and 1.1, so
 * that a refusal is the server's.
 */
static CURLcode
tls_get(long version, const char *ciphers)
{
    char url[128];
    CURL *h = curl_easy_init();
    CURLcode rc;
    long status = 0;

    cr_assert_not_null(h);
    (void)snprintf(url, sizeof(url), "%s/healthz", srv.base_url);
    (void)curl_easy_setopt(h, CURLOPT_URL, url);
    (void)curl_easy_setopt(h, CURLOPT_CAINFO, srv.cainfo);
    (void)curl_easy_setopt(h, CURLOPT_SSLVERSION, version);
    (void)curl_easy_setopt(h, CURLOPT_SSL_CIPHER_LIST, ciphers);
    (void)curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    (void)curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    rc = curl_easy_perform(h);
    if (rc == CURLE_OK) {
        (void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        cr_assert_eq(status, 200);
    }
    curl_easy_cleanup(h);
    return rc;
}

#define TLS10 (CURL_SSLVERSION_TLSv1_0 | CURL_SSLVERSION_MAX_TLSv1_0)
#define TLS11 (CURL_SSLVERSION_TLSv1_1 | CURL_SSLVERSION_MAX_TLSv1_1)
#define TLS12 (CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2)
#define TLS13 (CURL_SSLVERSION_TLSv1_3 | CURL_SSLVERSION_MAX_TLSv1_3)
/* TLS 1.2 suites whose key exchange is RSA: no forward secrecy. */
#define RSA_KX "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA"

Test(e2e_edge, https_takes_tls_1_2_and_1_3_with_forward_secrecy_only)
{
    char dir[] = "/tmp/wenda-tls-XXXXXX", cert[256], key[256], cmd[300];
    const char *args[] = {"--tls-cert", cert, "--tls-key", key, NULL};
    const char *normal[] = {"--tls-cert", cert, "--tls-key", key,
                            "--tls-priorities", "NORMAL", NULL};

    make_cert(dir, cert, key);
    harness_start_or_fail(&srv, args);
    cr_expect_neq(tls_get(TLS10, "DEFAULT@SECLEVEL=0"), CURLE_OK,
                  "TLS 1.0 was taken");
    cr_expect_neq(tls_get(TLS11, "DEFAULT@SECLEVEL=0"), CURLE_OK,
                  "TLS 1.1 was taken");
    cr_expect_neq(tls_get(TLS12, RSA_KX), CURLE_OK,
                  "RSA key exchange was taken");
    cr_expect_eq(tls_get(TLS12, "DEFAULT"), CURLE_OK, "TLS 1.2");
    cr_expect_eq(tls_get(TLS13, "DEFAULT"), CURLE_OK, "TLS 1.3");
    harness_stop(&srv);

    /* The same client gets through when the server allows it: the
     * refusals above were the server's, not OpenSSL's. */
    harness_start_or_fail(&srv, normal);
    cr_expect_eq(tls_get(TLS10, "DEFAULT@SECLEVEL=0"), CURLE_OK,
                 "TLS 1.0 under NORMAL");
    cr_expect_eq(tls_get(TLS12, RSA_KX), CURLE_OK,
                 "RSA key exchange under NORMAL");
    harness_stop(&srv);
    (void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    (void)system(cmd);
}

Test(e2e_edge, an_invalid_tls_priority_string_is_a_usage_error)
{
    static const char *const args[] = {"serve", "--tls-priorities",
                                       "NORMAL:+VERS-TLS9.9", NULL};
    struct harness_run_result res;

    cr_assert_eq(harness_run(args, 10, &res), 0);
    cr_expect_eq(res.status, 2, "%d %s", res.status, res.err);
    cr_expect_not_null(strstr(res.err, "--tls-priorities"), "%s", res.err);
    cr_expect_not_null(strstr(res.err, "+VERS-TLS9.9"), "%s", res.err);
    harness_run_cleanup(&res);
}

Test(e2e_edge, bad_edge_options_are_usage_errors)
{
    static const char *const cases[][4] = {
        {"serve", "--cors-origin", "example.org", NULL},
        {"serve", "--cors-origin", "https://a.example\r\nX: y", NULL},
        {"serve", "--access-log", "yes", NULL},
        {"serve", "--tls-cert", "cert.pem", NULL},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct harness_run_result res;

        cr_assert_eq(harness_run(cases[i], 10, &res), 0);
        cr_assert_eq(res.status, 2, "%s %s: %d %s", cases[i][1], cases[i][2],
                     res.status, res.err);
        cr_assert_not_null(strstr(res.err, cases[i][1]), "%s", res.err);
        harness_run_cleanup(&res);
    }
}
