/*
 * render.h -- a topic's Markdown answer as HTML.
 *
 * Answers are CommonMark, rendered with cmark in its safe mode: raw HTML
 * in the Markdown (blocks and inline tags alike) is not passed through but
 * replaced by the comment "<!-- raw HTML omitted -->", and the destination
 * of a link or image whose scheme is javascript:, vbscript:, file: or data:
 * (except data:image/png, gif, jpeg and webp) is replaced by an empty
 * string.  Text, code spans and code blocks are HTML-escaped.  Quotes and
 * dashes are kept as written (no "smart" punctuation), and CommonMark has
 * no tables: a table belongs in a fenced code block, which keeps its
 * spaces.
 */
#ifndef WENDA_RENDER_H
#define WENDA_RENDER_H

#include <stddef.h>

#include "wenda/err.h"

/*
 * Renders the Markdown md[0..len) as an HTML fragment.  On success *html
 * is a new malloc'ed, NUL-terminated string that the caller frees with
 * free(), and *html_len (when html_len is not NULL) its length without the
 * NUL.  md need not be NUL-terminated; an invalid UTF-8 sequence in it is
 * rendered as U+FFFD (content is validated before it gets here, so this
 * only keeps the output well-formed).
 *
 * Returns WENDA_ERR_INVALID when md or html is NULL and WENDA_ERR_NOMEM
 * when the copy of the result cannot be allocated; on error *html is NULL
 * and *html_len 0.  Note that cmark itself aborts the process when its own
 * allocations fail: libcmark has no way to report out-of-memory.
 */
enum wenda_err wenda_render_markdown(const char *md, size_t len, char **html,
                                     size_t *html_len);

#endif /* WENDA_RENDER_H */
