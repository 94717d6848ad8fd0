/*
 * test_web.c -- the study page at GET /, through the real binary: an HTML
 * page with its security headers, the search box, and nothing loaded from
 * another site.  The policy allows no inline code but the page's own, by
 * hash: the test hashes the <script> and <style> it was served and finds
 * them in the header.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "harness.h"

#define HDR http_header_or_empty

static struct wenda_server srv;

/*
 * Asserts that the text between the first open and the close after it in
 * body is named in csp by its SHA-256 ('sha256-…').
 */
static void
assert_hash_allowed(const char *body, const char *open, const char *close,
                    const char *csp)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
                                       sodium_base64_VARIANT_ORIGINAL)];
    char want[96];
    const char *start = strstr(body, open);
    const char *end;

    cr_assert_not_null(start, "no %s in the page", open);
    start += strlen(open);
    end = strstr(start, close);
    cr_assert_not_null(end, "no %s in the page", close);
    crypto_hash_sha256(h, (const unsigned char *)start,
                       (unsigned long long)(end - start));
    sodium_bin2base64(b64, sizeof(b64), h, sizeof(h),
                      sodium_base64_VARIANT_ORIGINAL);
    (void)snprintf(want, sizeof(want), "'sha256-%s'", b64);
    cr_assert_not_null(strstr(csp, want), "%s not in CSP: %s", want, csp);
}

static void
stop(void)
{
    harness_stop(&srv);
}

TestSuite(e2e_web, .fini = stop);

Test(e2e_web, serves_the_study_page_with_a_strict_policy)
{
    struct http_reply r;
    const char *csp;

    harness_start_or_fail(&srv, NULL);
    cr_assert_eq(http_request(&srv, "GET", "/", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200, "GET /: %ld", r.status);
    cr_assert_str_eq(HDR(&r, "Content-Type"), "text/html; charset=utf-8");
    cr_assert_str_eq(HDR(&r, "X-Content-Type-Options"), "nosniff");
    csp = HDR(&r, "Content-Security-Policy");
    cr_assert_not_null(strstr(csp, "default-src 'self'"), "CSP: %s", csp);
    cr_assert_null(strstr(csp, "unsafe-inline"), "CSP: %s", csp);
    cr_assert_not_null(strstr(csp, "script-src 'self' 'sha256-"), "CSP: %s",
                       csp);
    cr_assert_not_null(strstr(csp, "style-src 'self' 'sha256-"), "CSP: %s",
                       csp);
    assert_hash_allowed(r.body, "<script>", "</script>", csp);
    assert_hash_allowed(r.body, "<style>", "</style>", csp);
    cr_assert_not_null(strstr(r.body, "<meta name=\"viewport\""));
    cr_assert_not_null(strstr(r.body, "<input id=\"q\" type=\"search\""),
                       "no search box in the page");
    cr_assert_eq(strlen(r.body), r.len, "the page holds a NUL byte");
    http_reply_cleanup(&r);
}

Test(e2e_web, loads_nothing_from_another_site)
{
    struct http_reply r;

    harness_start_or_fail(&srv, NULL);
    cr_assert_eq(http_request(&srv, "GET", "/", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_null(strcasestr(r.body, "http://"), "%s",
                   strcasestr(r.body, "http://"));
    cr_assert_null(strcasestr(r.body, "https://"), "%s",
                   strcasestr(r.body, "https://"));
    cr_assert_null(strstr(r.body, "src=\"//"), "a protocol-relative URL");
    http_reply_cleanup(&r);
}

Test(e2e_web, answers_head_and_a_matching_etag_without_a_body)
{
    struct http_reply r;
    char inm[96];
    const char *etag;
    const char *hs[2] = {inm, NULL};

    harness_start_or_fail(&srv, NULL);
    cr_assert_eq(http_request(&srv, "HEAD", "/", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(HDR(&r, "Content-Type"), "text/html; charset=utf-8");
    cr_assert_str_neq(HDR(&r, "Content-Security-Policy"), "");
    cr_assert_eq(r.len, 0);
    etag = HDR(&r, "ETag");
    cr_assert_str_neq(etag, "");
    (void)snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
    http_reply_cleanup(&r);
    cr_assert_eq(http_request(&srv, "GET", "/", hs, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 304);
    cr_assert_eq(r.len, 0);
    http_reply_cleanup(&r);
}

Test(e2e_web, is_public_on_a_private_server_while_the_api_is_not)
{
    static const char *const args[] = {"--private", NULL};
    struct http_reply r;

    harness_start_or_fail(&srv, args);
    cr_assert_eq(http_request(&srv, "GET", "/", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200);
    http_reply_cleanup(&r);
    cr_assert_eq(http_request(&srv, "GET", "/v1/topics", NULL, NULL, 0, &r),
                 0);
    cr_assert_eq(r.status, 401);
    http_reply_cleanup(&r);
}
