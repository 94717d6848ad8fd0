/*
 * web.h -- the study page, compiled into the binary.
 *
 * The Makefile turns service/web/index.html into these bytes, so that GET /
 * never depends on the working directory, like the migrations.
 */
#ifndef WENDA_WEB_H
#define WENDA_WEB_H

#include <stddef.h>

/* The page's bytes (UTF-8), followed by a NUL. */
extern const unsigned char wenda_web_index[];
/* The page's length in bytes, without the NUL. */
extern const size_t wenda_web_index_len;

#endif /* WENDA_WEB_H */
