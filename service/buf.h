/*
 * buf.h -- a growable byte buffer (private to the wenda core).
 *
 * The buffer is always NUL-terminated once anything has been appended, so
 * its bytes can be handed to APIs that want a C string.  Appends are sticky:
 * after the first allocation failure every later append is a no-op and
 * wenda_buf_failed() is true, so a builder can append freely and check once.
 */
#ifndef WENDA_BUF_H
#define WENDA_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *p;
    size_t n;
    size_t cap;
    int failed;
};

/* Appends n bytes of s. */
void wenda_buf_add(struct buf *b, const void *s, size_t n);

/* Appends the C string s. */
void wenda_buf_adds(struct buf *b, const char *s);

/* Appends printf-style formatted text. */
void wenda_buf_addf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Appends the C string s as a JSON string: in double quotes, with '"',
 * '\\' and control characters escaped.  A byte of s that is not part of
 * valid UTF-8 (see wenda_utf8_valid()) becomes \u00XX, XX its value, so
 * that the output is always valid JSON and UTF-8 and the byte can be told:
 * 0xFF reads back as U+00FF, which valid input carries as the two bytes
 * C3 BF, never as an escape.
 */
void wenda_buf_add_json(struct buf *b, const char *s);

/*
 * wenda_buf_add_json() of at most max bytes of s, cut before a character that
 * would not fit whole.  Returns 1 when s was cut, else 0.
 */
int wenda_buf_add_json_max(struct buf *b, const char *s, size_t max);

/* Returns 1 when an append has failed since the last wenda_buf_reset(). */
int wenda_buf_failed(const struct buf *b);

/* Empties b, keeping its storage. */
void wenda_buf_reset(struct buf *b);

/* Hands the bytes over: returns them (the caller frees; never NULL unless
 * an append failed) and leaves b empty. */
char *wenda_buf_take(struct buf *b, size_t *len);

/* Frees the storage of b and zeroes it. */
void wenda_buf_cleanup(struct buf *b);

/*
 * Makes room for one more element in an array of *cap elements of size
 * bytes, n of them used, whose pointer (of any element type) is at pv:
 * when n has reached *cap the array is reallocated to twice as many, or
 * to first when it has none.  Returns 0, or -1 when out of memory, the
 * array and *cap then left as they were.
 */
int wenda_buf_reserve(void *pv, size_t *cap, size_t n, size_t size,
                      size_t first);

#endif /* WENDA_BUF_H */
