/*
 * utf8_int.h -- the one reading of a UTF-8 character that utf8.c's
 * wenda_utf8_valid() and buf.c's JSON writer share, inline, since the
 * writer calls it for every character of every answer it sends.
 */
#ifndef WENDA_UTF8_INT_H
#define WENDA_UTF8_INT_H

#include <stddef.h>

/*
 * Returns the bytes (2 to 4) of the well-formed UTF-8 character that
 * starts at p[0], a byte of 0x80 or more, within the n bytes from p; 0
 * when p[0] begins none: a stray continuation byte, a character cut
 * short, an overlong form, a surrogate or a code point past U+10FFFF.
 */
static inline size_t
wenda_utf8_multibyte(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t len, k;
    unsigned long cp;

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
        return 0;
    }
    if (n < len)
        return 0;
    for (k = 1; k < len; k++) {
        if ((p[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[k] & 0x3F);
    }
    /* Overlong forms, surrogates and code points past U+10FFFF. */
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    return len;
}

#endif
