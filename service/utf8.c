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

#include "utf8_int.h"

int
wenda_utf8_valid(const char *s, size_t n, size_t *bad)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, len;

    while (i < n) {
        if (p[i] == 0)
            goto invalid;
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        len = wenda_utf8_multibyte(p + i, n - i);
        if (len == 0)
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
