/*
 * web.h -- the study page, compiled into the binary.
 *
 * The Makefile turns service/web/index.html into these bytes, so that GET /
 * never depends on the working directory, like the migrations; web.c
 * derives its Content-Security-Policy from the same bytes.
 */
#ifndef WENDA_WEB_H
#define WENDA_WEB_H

#include <stddef.h>

/* The page's bytes (UTF-8), followed by a NUL. */
extern const unsigned char wenda_web_index[];
/* The page's length in bytes, without the NUL. */
extern const size_t wenda_web_index_len;

/*
 * The Content-Security-Policy to send with the page: this origin only,
 * and of inline code only the page's own <script> and <style> elements,
 * named by their SHA-256.  Computed on the first call (thread-safe) and
 * kept for the process's life; the caller must not free it.  Returns NULL
 * when memory ran out on that first call.
 */
const char *wenda_web_csp(void);

#endif /* WENDA_WEB_H */
