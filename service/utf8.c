/*
 * utf8.c -- the checks of text every layer above needs: whether bytes
 * are well-formed UTF-8 (content files, JSON bodies, query strings, the
 * JSON writer in buf.c), whether they hold a Unicode noncharacter, and
 * whether a string is a slug.  They are declared in wenda/content.h, the
 * library's face for text, and live apart so that the modules below
 * content -- buf.c, and the tokenizer, which keeps category slugs whole --
 * can use them without a cycle.
 */
#include "wenda/content.h"

#include <stddef.h>
#include <string.h>
#include <utf8proc.h>

int
wenda_utf8_valid(const char *s, size_t n, size_t *bad)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        unsigned char c = p[i];
        size_t len, k;
        unsigned long cp;

        if (c == 0)
            goto invalid;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            goto invalid;
        }
        if (n - i < len)
            goto invalid;
        for (k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                goto invalid;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        /* Overlong forms, surrogates and code points past U+10FFFF. */
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            goto invalid;
        i += len;
    }
    return 1;
invalid:
    if (bad != NULL)
        *bad = i;
    return 0;
}

size_t
wenda_utf8_chars(const char *s, size_t n)
{
    size_t i, count = 0;

    for (i = 0; i < n; i++)
        count += ((unsigned char)s[i] & 0xC0) != 0x80;   /* lead bytes */
    return count;
}

unsigned long
wenda_utf8_noncharacter(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        utf8proc_int32_t c;
        utf8proc_ssize_t len =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                             (utf8proc_ssize_t)(n - i), &c);

        if (len <= 0)
            return 0;
        if ((c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE)
            return (unsigned long)c;
        i += (size_t)len;
    }
    return 0;
}

int
wenda_slug_valid(const char *s, size_t max)
{
    size_t i, n = strlen(s);

    if (n == 0 || n > max || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (i = 0; i < n; i++) {
        char c = s[i];

        if (c == '-') {
            if (s[i + 1] == '-')
                return 0;
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            return 0;
        }
    }
    return 1;
}
