/*
 * web.c -- the study page's Content-Security-Policy.
 *
 * The page carries its script and style inline, so that it is one file
 * and one request.  Rather than allow every inline script ('unsafe-inline'),
 * the policy names the SHA-256 of each <script> and <style> element's
 * text, computed once from the bytes compiled into the binary: when the
 * page changes, its policy follows, with no hash written down anywhere.
 */
#include "web.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "buf.h"

static void add_hashes(struct buf *b, const char *open, const char *close);
static void build_csp(void);

static pthread_once_t csp_once = PTHREAD_ONCE_INIT;
static char *csp;

/*
 * Appends " 'sha256-…'" to b for the text of every element that starts
 * with the tag open (e.g. "<script>") and ends with close in the page.
 */
static void
add_hashes(struct buf *b, const char *open, const char *close)
{
    const char *page = (const char *)wenda_web_index;
    const char *end = page + wenda_web_index_len;
    const char *p = page;
    unsigned char h[crypto_hash_sha256_BYTES];
    char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
                                       sodium_base64_VARIANT_ORIGINAL)];

    while ((p = memmem(p, (size_t)(end - p), open, strlen(open))) != NULL) {
        const char *body = p + strlen(open);
        const char *stop =
            memmem(body, (size_t)(end - body), close, strlen(close));

        if (stop == NULL)
            return;
        crypto_hash_sha256(h, (const unsigned char *)body,
                           (unsigned long long)(stop - body));
        sodium_bin2base64(b64, sizeof(b64), h, sizeof(h),
                          sodium_base64_VARIANT_ORIGINAL);
        wenda_buf_addf(b, " 'sha256-%s'", b64);
        p = stop + strlen(close);
    }
}

static void
build_csp(void)
{
    struct buf b = {0};

    wenda_buf_adds(&b, "default-src 'self'; script-src 'self'");
    add_hashes(&b, "<script>", "</script>");
    wenda_buf_adds(&b, "; style-src 'self'");
    add_hashes(&b, "<style>", "</style>");
    wenda_buf_adds(&b, "; img-src 'self' data:; connect-src 'self'; "
                       "object-src 'none'; base-uri 'none'; "
                       "form-action 'self'; frame-ancestors 'none'");
    csp = wenda_buf_take(&b, NULL);
}

const char *
wenda_web_csp(void)
{
    (void)pthread_once(&csp_once, build_csp);
    return csp;
}
