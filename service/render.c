/*
 * render.c -- Markdown to HTML with libcmark.
 *
 * A thin wrapper: one call parses the whole answer into cmark's tree and a
 * second renders it, both with the same options.  The options are chosen
 * for safety and faithfulness.  Since cmark 0.29, safe rendering is the
 * default and CMARK_OPT_SAFE has no effect (CMARK_OPT_UNSAFE turns it off);
 * it is passed anyway so that an older libcmark, where it is still needed,
 * renders the same way.  CMARK_OPT_VALIDATE_UTF8 makes cmark replace
 * invalid UTF-8 with U+FFFD, so the HTML is always valid UTF-8.
 * CMARK_OPT_SMART is left out, so quotes and dashes stay as written.
 *
 * The HTML cmark returns comes from cmark's allocator.  Its default
 * allocator is calloc/realloc/free, but that is cmark's business, so the
 * result is copied into memory from malloc(), which the caller frees.
 */
#include "wenda/render.h"

#include <cmark.h>
#include <stdlib.h>
#include <string.h>

#define RENDER_OPTS (CMARK_OPT_SAFE | CMARK_OPT_VALIDATE_UTF8)

enum wenda_err
wenda_render_markdown(const char *md, size_t len, char **html,
                      size_t *html_len)
{
    cmark_mem *mem = cmark_get_default_mem_allocator();
    cmark_node *doc = NULL;
    char *out = NULL;
    char *copy = NULL;
    size_t n = 0;
    enum wenda_err rc = WENDA_ERR_NOMEM;

    if (html_len)
        *html_len = 0;
    if (html == NULL)
        return WENDA_ERR_INVALID;
    *html = NULL;
    if (md == NULL)
        return WENDA_ERR_INVALID;

    doc = cmark_parse_document(md, len, RENDER_OPTS);
    if (doc == NULL)
        goto cleanup;
    out = cmark_render_html(doc, RENDER_OPTS);
    if (out == NULL)
        goto cleanup;
    n = strlen(out);
    copy = malloc(n + 1);
    if (copy == NULL)
        goto cleanup;
    memcpy(copy, out, n + 1);
    *html = copy;
    if (html_len)
        *html_len = n;
    rc = WENDA_OK;

cleanup:
    if (out)
        mem->free(out);
    if (doc)
        cmark_node_free(doc);
    return rc;
}
