/*
 * buf.c -- a growable byte buffer; see buf.h.
 */
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8_int.h"
#include "wenda/content.h"

static int
grow(struct buf *b, size_t need)
{
    size_t cap;
    char *p;

    if (b->failed)
        return -1;
    if (b->p != NULL && need < b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap <= need) {
        if (cap > ((size_t)-1) / 2) {
            b->failed = 1;
            return -1;
        }
        cap *= 2;
    }
    p = realloc(b->p, cap);
    if (p == NULL) {
        b->failed = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void
wenda_buf_add(struct buf *b, const void *s, size_t n)
{
    /* grow() only when the bytes and their NUL do not fit as they are */
    if ((b->p == NULL || b->failed || b->n + n >= b->cap) &&
        grow(b, b->n + n) != 0)
        return;
    if (n > 0)
        memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void
wenda_buf_adds(struct buf *b, const char *s)
{
    wenda_buf_add(b, s, strlen(s));
}

void
wenda_buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0) {
        b->failed = 1;
        return;
    }
    if (grow(b, b->n + (size_t)len) != 0)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(b->p + b->n, (size_t)len + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)len;
}

/*
 * Appends s[0..n) as the inside of a JSON string: '"', '\\' and controls
 * escaped, and each byte that begins no well-formed UTF-8 character (see
 * wenda_utf8_valid()) as \u00XX.  One pass checks and escapes: the text
 * between escapes is copied as it is.
 */
static void
add_json_text(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0, len;

    while (i < n) {
        unsigned char c = p[i];
        char esc[6];
        size_t k = 2;

        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        /* U+1000 to U+CFFF (most Han characters): never overlong, never a
         * surrogate, so two continuation bytes make it whole. */
        if (c >= 0xE1 && c <= 0xEC && n - i >= 3 &&
            (p[i + 1] & 0xC0) == 0x80 && (p[i + 2] & 0xC0) == 0x80) {
            i += 3;
            continue;
        }
        if (c >= 0x80 && (len = wenda_utf8_multibyte(p + i, n - i)) > 0) {
            i += len;
            continue;
        }
        wenda_buf_add(b, s + run, i - run);
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\t': esc[1] = 't'; break;
        case '\r': esc[1] = 'r'; break;
        default:   /* a control, or a byte of no character */
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            k = 6;
            break;
        }
        wenda_buf_add(b, esc, k);
        run = ++i;
    }
    wenda_buf_add(b, s + run, i - run);
}

int
wenda_buf_add_json_max(struct buf *b, const char *s, size_t max)
{
    size_t n = strlen(s);
    int cut = n > max;

    if (cut) {
        /* Not inside a character: s[n] must not continue one. */
        n = max;
        while (n > 0 && max - n < 3 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    wenda_buf_add(b, "\"", 1);
    add_json_text(b, s, n);
    wenda_buf_add(b, "\"", 1);
    return cut;
}

void
wenda_buf_add_json(struct buf *b, const char *s)
{
    (void)wenda_buf_add_json_max(b, s, (size_t)-1);
}

int
wenda_buf_failed(const struct buf *b)
{
    return b->failed;
}

void
wenda_buf_reset(struct buf *b)
{
    b->n = 0;
    b->failed = 0;
    if (b->p != NULL)
        b->p[0] = '\0';
}

char *
wenda_buf_take(struct buf *b, size_t *len)
{
    char *p;

    if (b->failed) {
        wenda_buf_cleanup(b);
        if (len != NULL)
            *len = 0;
        return NULL;
    }
    if (b->p == NULL) {
        if (grow(b, 0) != 0)
            return NULL;
        b->p[0] = '\0';
    }
    p = b->p;
    if (len != NULL)
        *len = b->n;
    b->p = NULL;
    b->n = b->cap = 0;
    return p;
}

void
wenda_buf_cleanup(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
    b->failed = 0;
}

int
wenda_buf_reserve(void *pv, size_t *cap, size_t n, size_t size, size_t first)
{
    size_t want = *cap ? *cap * 2 : first;
    void *old, *grown;

    if (n < *cap)
        return 0;
    if (want < *cap || size == 0 || want > SIZE_MAX / size)
        return -1;
    memcpy(&old, pv, sizeof(old));   /* pv may point to any T * */
    grown = realloc(old, want * size);
    if (grown == NULL)
        return -1;
    memcpy(pv, &grown, sizeof(grown));
    *cap = want;
    /* grown is the caller's now, stored through pv, which cppcheck does
     * not follow. */
    // cppcheck-suppress memleak
    return 0;
}
