/*
 * api_problem.c -- the pages that problem types name: GET /problems/NAME.
 *
 * Every problem the API answers has a "type" of "/problems/NAME" (RFC
 * 9457), and that URI resolves: to a short HTML page by default, for a
 * person following the link, or to JSON for a client whose Accept header
 * prefers application/json.  The choice reads the q-values of Accept (RFC
 * 9110, section 12.5.1): each type takes the q of the most specific range
 * that matches it, and HTML wins a tie.  The text is err.c's, so that a
 * code and its explanation are written once.
 */
#include "api_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

/* The page is self-contained: its own style, nothing else. */
#define PROBLEM_CSP                                                          \
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "      \
    "form-action 'none'; frame-ancestors 'none'"

static int accept_q(const char *accept, const char *type);
static void add_escaped(struct buf *b, const char *s);
static void reply_html(struct api_response *res, enum wenda_err rc,
                       const char *type);

/*
 * Returns the q-value, in thousandths, that the Accept header accept
 * gives the media type type ("text/html"): the q of the most specific
 * range that matches it (type/subtype, then type/any, then any), 1000 when
 * that range has none; -1 when no range matches.  A q that does not parse
 * counts as 0.
 */
static int
accept_q(const char *accept, const char *type)
{
    size_t tn = strcspn(type, "/");
    int best = -1, best_rank = 0;
    const char *p = accept;

    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        const char *end = p + n, *par;
        size_t rn;
        int rank = 0, q = 1000;

        p += strspn(p, " \t");
        rn = strcspn(p, ";, \t");
        if (rn == 3 && strncmp(p, "*/*", 3) == 0)
            rank = 1;
        else if (rn == tn + 2 && strncasecmp(p, type, tn + 1) == 0 &&
                 p[tn + 1] == '*')
            rank = 2;
        else if (rn == strlen(type) && strncasecmp(p, type, rn) == 0)
            rank = 3;
        for (par = memchr(p, ';', (size_t)(end - p)); par != NULL;
             par = memchr(par + 1, ';', (size_t)(end - par - 1))) {
            const char *v = par + 1 + strspn(par + 1, " \t");
            int k;

            if ((v[0] != 'q' && v[0] != 'Q') || v[1] != '=')
                continue;
            v += 2;
            q = v[0] == '1' ? 1000 : 0;
            if (v[0] == '0' && v[1] == '.')
                for (k = 0; k < 3 && v[2 + k] >= '0' && v[2 + k] <= '9'; k++)
                    q += (v[2 + k] - '0') * (k == 0 ? 100 : k == 1 ? 10 : 1);
            else if (v[0] != '0' && v[0] != '1')
                q = 0;
        }
        if (rank > best_rank) {
            best_rank = rank;
            best = q;
        }
        p = *end == ',' ? end + 1 : end;
    }
    return best;
}

/* Appends s to b with &, <, >, " and ' escaped for HTML. */
static void
add_escaped(struct buf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&': wenda_buf_adds(b, "&amp;"); break;
        case '<': wenda_buf_adds(b, "&lt;"); break;
        case '>': wenda_buf_adds(b, "&gt;"); break;
        case '"': wenda_buf_adds(b, "&quot;"); break;
        case '\'': wenda_buf_adds(b, "&#39;"); break;
        default: wenda_buf_add(b, s, 1); break;
        }
    }
}

/* Answers the page of rc, whose type URI is type, in HTML. */
static void
reply_html(struct api_response *res, enum wenda_err rc, const char *type)
{
    struct buf b = {0};
    char status[16];
    size_t n;

    (void)snprintf(status, sizeof(status), "%u",
                   wenda_err_http_status(rc));
    wenda_buf_adds(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                   "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
                   "content=\"width=device-width, initial-scale=1\">\n"
                   "<title>");
    add_escaped(&b, wenda_err_title(rc));
    wenda_buf_adds(&b, " \xe2\x80\x94 wenda</title>\n<style>body{font:16px/"
                   "1.5 system-ui,sans-serif;max-width:40em;margin:2em "
                   "auto;padding:0 1em;color:#222}code{background:#f3f3f3;"
                   "padding:0 .2em}</style>\n</head>\n<body>\n<h1>");
    add_escaped(&b, wenda_err_title(rc));
    wenda_buf_adds(&b, "</h1>\n<p>Problem type <code>");
    add_escaped(&b, type);
    wenda_buf_adds(&b, "</code>, answered with HTTP status ");
    wenda_buf_adds(&b, status);
    wenda_buf_adds(&b, ".</p>\n<p>");
    add_escaped(&b, wenda_err_description(rc));
    wenda_buf_adds(&b, "</p>\n<p>Problems are RFC 9457 documents "
                   "(<code>application/problem+json</code>); "
                   "<code>errors</code> lists each problem of a request, "
                   "by JSON pointer or parameter name. "
                   "<a href=\"/openapi.json\">The API's description"
                   "</a>.</p>\n</body>\n</html>\n");
    if (wenda_buf_failed(&b)) {
        wenda_buf_cleanup(&b);
        api_problem(res, WENDA_ERR_NOMEM, NULL, NULL);
        return;
    }
    n = b.n;
    res->body = wenda_buf_take(&b, &n);
    res->len = n;
    res->status = 200;
    res->content_type = "text/html; charset=utf-8";
    api_add_header(res, "Content-Security-Policy", strdup(PROBLEM_CSP));
    api_add_header(res, "X-Content-Type-Options", strdup("nosniff"));
}

/*
 * GET /problems/{name}: the page of a problem type; public even with
 * --private, as the API's description is.  "ok" names no problem.
 */
void
api_h_problem(const struct api_request *req, const char *key,
              struct api_response *res)
{
    const char *accept = req->header(req->arg_ctx, "Accept");
    enum wenda_err rc;
    char type[96];
    int json;

    if (!wenda_err_from_name(key, &rc) || rc == WENDA_OK) {
        api_problem(res, WENDA_ERR_NOT_FOUND, "no such problem type", NULL);
        return;
    }
    (void)snprintf(type, sizeof(type), "/problems/%s", wenda_err_name(rc));
    json = accept != NULL &&
           accept_q(accept, "application/json") > 0 &&
           accept_q(accept, "application/json") > accept_q(accept,
                                                           "text/html");
    if (json)
        api_reply_json(res, 200,
                       json_pack("{s:s, s:s, s:i, s:s}", "type", type,
                                 "title", wenda_err_title(rc), "status",
                                 (int)wenda_err_http_status(rc),
                                 "description", wenda_err_description(rc)));
    else
        reply_html(res, rc, type);
    if (res->status != 200)
        return;
    res->vary_accept = 1;
    api_add_header(res, "Cache-Control", strdup("max-age=3600"));
}
