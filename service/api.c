/*
 * api.c -- the route table, and what every handler shares: answers,
 * parameter checks and the token check.
 *
 * A request is matched against the route table by path first and method
 * second, so that a known path with a wrong method is a 405 that lists the
 * allowed methods, and an unknown path a 404.  Handlers check every
 * parameter before they touch the store and answer a bad one with a 400
 * that names it.  JSON is built with jansson ("_new" setters throughout, so
 * every value built is owned by its parent) and written compact, UTF-8.
 * The handlers live in api_read.c, api_write.c, api_study.c,
 * api_lexicon.c, api_admin.c and api_problem.c, by the kind of endpoint;
 * api_int.h is what they share.
 */
#include "api_int.h"

#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cluster.h"
#include "store_int.h"
#include "wenda/auth.h"
#include "wenda/content.h"

#define JSON_TYPE "application/json; charset=utf-8"
#define PROBLEM_TYPE "application/problem+json; charset=utf-8"

typedef void (*handler_fn)(const struct api_request *req, const char *key,
                           struct api_response *res);

/*
 * One path, the handler of each method it takes (NULL: not taken), and the
 * query parameters its GET takes: their names, each followed by a space
 * ("" for none, "*" for any).  Other methods take none.  Every GET takes
 * min_index, which api_handle() reads (see read_after()).
 */
struct route {
    const char *pattern;   /* "*" matches one segment, given as key */
    const char *name;      /* how /metrics names it */
    handler_fn get, post, put, patch, del;
    const char *params;
};

static int match(const char *pattern, const char *path, char *key,
                 size_t keycap);
static int has_dot_segment(const char *path);
static int path_valid(const struct api_request *req,
                      struct api_response *res);
static handler_fn method_handler(const struct route *r,
                                 const struct api_request *req);
static void allowed_methods(const struct route *r, int read_only,
                            struct buf *allow);
static void answer_no_method(const struct route *r,
                             const struct api_request *req,
                             struct api_response *res);
static int always_public(handler_fn fn);
static void answer_replica(const struct api_request *req,
                           struct api_response *res);

static const struct route routes[] = {
    {"/", "/", api_h_index, NULL, NULL, NULL, NULL, "*"},
    {"/healthz", "/healthz", api_h_healthz, NULL, NULL, NULL, NULL,
     "min_index "},
    {"/readyz", "/readyz", api_h_readyz, NULL, NULL, NULL, NULL,
     "min_index "},
    {"/v1/topics", "/v1/topics", api_h_topics, api_h_create, NULL, NULL, NULL,
     "category tag limit cursor corrected min_index "},
    {"/v1/topics/*", "/v1/topics/{id}", api_h_topic, NULL, api_h_replace,
     api_h_patch, api_h_delete, "min_index "},
    {"/v1/topics/*/revisions", "/v1/topics/{id}/revisions", api_h_revisions,
     NULL, NULL, NULL, NULL, "min_index "},
    {"/v1/topics/*/related", "/v1/topics/{id}/related", api_h_related, NULL,
     NULL, NULL, NULL, "limit min_index "},
    {"/v1/quiz", "/v1/quiz", api_h_quiz, NULL, NULL, NULL, NULL,
     "category count seed reveal min_index "},
    {"/v1/progress/due", "/v1/progress/due", api_h_due, NULL, NULL, NULL, NULL,
     "limit min_index "},
    {"/v1/progress/*", "/v1/progress/{topic}", NULL, api_h_review, NULL, NULL,
     NULL, ""},
    {"/v1/categories", "/v1/categories", api_h_categories, NULL, NULL, NULL,
     NULL, "min_index "},
    {"/v1/tags", "/v1/tags", api_h_tags, NULL, NULL, NULL, NULL,
     "min_index "},
    {"/v1/random", "/v1/random", api_h_random, NULL, NULL, NULL, NULL,
     "category min_index "},
    {"/v1/search", "/v1/search", api_h_search, NULL, NULL, NULL, NULL,
     "q limit offset category tag min_index "},
    {"/v1/synonyms", "/v1/synonyms", api_h_synonyms, NULL, api_h_synonyms_put,
     NULL, NULL, "min_index "},
    {"/v1/dictionary", "/v1/dictionary", api_h_dictionary, NULL,
     api_h_dictionary_put, NULL, NULL, "min_index "},
    {"/metrics", "/metrics", api_h_metrics, NULL, NULL, NULL, NULL,
     "min_index "},
    {"/openapi.json", "/openapi.json", api_h_openapi, NULL, NULL, NULL, NULL,
     "min_index "},
    {"/v1/tokens", "/v1/tokens", api_h_tokens, api_h_token_create, NULL,
     NULL, NULL, "min_index "},
    {"/v1/tokens/*", "/v1/tokens/{id}", NULL, NULL, NULL, NULL,
     api_h_token_revoke, ""},
    {"/v1/export", "/v1/export", api_h_export, NULL, NULL, NULL, NULL,
     "min_index "},
    {"/v1/import", "/v1/import", NULL, api_h_import, NULL, NULL, NULL, ""},
    {"/v1/cluster", "/v1/cluster", api_h_cluster, NULL, NULL, NULL, NULL,
     "min_index "},
    {"/v1/cluster/nodes", "/v1/cluster/nodes", NULL, api_h_cluster_add, NULL,
     NULL, NULL, ""},
    {"/v1/cluster/nodes/*", "/v1/cluster/nodes/{id}", NULL, NULL, NULL, NULL,
     api_h_cluster_remove, ""},
    {"/problems/*", "/problems/{name}", api_h_problem, NULL, NULL, NULL, NULL,
     "min_index "},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static const char *route_names[NROUTES];

size_t
api_route_names(const char *const **names)
{
    size_t i;

    for (i = 0; i < NROUTES; i++)
        route_names[i] = routes[i].name;
    *names = route_names;
    return NROUTES;
}

/* ---- responses ---------------------------------------------------------- */

void
api_add_header(struct api_response *res, const char *name, char *value)
{
    if (value == NULL)
        return;
    if (res->nheaders == API_MAX_HEADERS) {
        free(value);
        return;
    }
    res->headers[res->nheaders].name = name;
    res->headers[res->nheaders].value = value;
    res->nheaders++;
}

void
api_response_cleanup(struct api_response *res)
{
    size_t i;

    if (res->stream_free != NULL)
        res->stream_free(res->stream_ctx);
    free(res->body);
    for (i = 0; i < res->nheaders; i++)
        free(res->headers[i].value);
    memset(res, 0, sizeof(*res));
}

void
api_reply_json(struct api_response *res, unsigned int status, json_t *v)
{
    char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;

    json_decref(v);
    if (s == NULL) {
        api_problem(res, WENDA_ERR_NOMEM, "out of memory", NULL);
        return;
    }
    res->status = status;
    res->content_type = JSON_TYPE;
    res->body = s;
    res->len = strlen(s);
}

void
api_reply_raw(struct api_response *res, unsigned int status, struct buf *b)
{
    size_t n = b->n;
    char *p = wenda_buf_take(b, &n);

    if (p == NULL) {
        api_problem(res, WENDA_ERR_NOMEM, "out of memory", NULL);
        return;
    }
    res->status = status;
    res->content_type = JSON_TYPE;
    res->body = p;
    res->len = n;
}

void
api_reply_items(struct api_response *res, enum wenda_err rc, char *items,
                size_t n)
{
    struct buf b = {0};

    if (rc != WENDA_OK) {
        api_store_error(res, rc);
        return;
    }
    wenda_buf_adds(&b, "{\"items\":");
    wenda_buf_add(&b, items, n);
    wenda_buf_adds(&b, "}");
    free(items);
    api_reply_raw(res, 200, &b);
}

json_t *
api_problem_object(enum wenda_err rc, const char *detail)
{
    const char *d = detail ? detail : wenda_err_title(rc);
    size_t dn = strlen(d), bad;
    char type[64];

    /* A detail that quotes the client's bytes (jansson's "near '...'", a
     * field name cut at a byte count) may hold a broken character, and
     * jansson takes only UTF-8: the detail ends before it. */
    if (!wenda_utf8_valid(d, dn, &bad))
        dn = bad;
    (void)snprintf(type, sizeof(type), "/problems/%s", wenda_err_name(rc));
    return json_pack("{s:s, s:s, s:i, s:s%}", "type", type, "title",
                     wenda_err_title(rc), "status",
                     (int)wenda_err_http_status(rc), "detail", d, dn);
}

void
api_reply_problem(struct api_response *res, enum wenda_err rc, json_t *o)
{
    static const char fallback[] =
        "{\"type\":\"/problems/out-of-memory\",\"title\":\"Out of Memory\","
        "\"status\":503,\"detail\":\"out of memory\"}";
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

    json_decref(o);
    free(res->body);
    res->status = wenda_err_http_status(rc);
    res->content_type = PROBLEM_TYPE;
    if (s == NULL) {
        s = strdup(fallback);
        res->status = 503;
    }
    res->body = s;
    res->len = s ? strlen(s) : 0;
    /* A 503 is a moment's overload, but for a file that can no longer be
     * written: say when to come back (once, whoever answers it). */
    if (res->status == 503 && rc != WENDA_ERR_READ_ONLY) {
        size_t i;

        for (i = 0; i < res->nheaders; i++)
            if (strcmp(res->headers[i].name, "Retry-After") == 0)
                return;
        api_add_header(res, "Retry-After", strdup("1"));
    }
}

void
api_problem(struct api_response *res, enum wenda_err rc, const char *detail,
            const char *param)
{
    json_t *o = api_problem_object(rc, detail);

    /* A bad parameter is named twice: in "parameter", as it always was,
     * and as the one entry of "errors", where a body's problems are. */
    if (o != NULL && param != NULL) {
        json_t *d = json_object_get(o, "detail");

        json_object_set_new(o, "parameter", json_string(param));
        if (json_object_set_new(
                o, "errors",
                json_pack("[{s:s, s:O}]", "parameter", param, "detail",
                          d)) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    api_reply_problem(res, rc, o);
}

void
api_problem_list(struct api_response *res, enum wenda_err rc,
                 const char *what, const struct wenda_problems *p,
                 int with_pointer)
{
    size_t n = wenda_problems_count(p), i;
    char detail[320];
    json_t *o, *errors;

    if (n == 1 && p->n == 1 && p->v[0].line > 0)
        (void)snprintf(detail, sizeof(detail), "line %zu: %s",
                       p->v[0].line, p->v[0].detail);
    else if (n == 1)
        wenda_problems_first(p, with_pointer, detail, sizeof(detail));
    else if (p->more > 0)
        (void)snprintf(detail, sizeof(detail), "the %s has %zu problems; "
                       "the first %zu are listed", what, n, p->n);
    else
        (void)snprintf(detail, sizeof(detail), "the %s has %zu problems",
                       what, n);
    if (n > 1 && p->n > 0 && p->v[0].line > 0)
        (void)snprintf(detail + strlen(detail), sizeof(detail) -
                       strlen(detail), ", the first on line %zu",
                       p->v[0].line);
    o = api_problem_object(rc, detail);
    errors = json_array();
    for (i = 0; o != NULL && errors != NULL && i < p->n; i++) {
        json_t *e = json_pack("{s:s, s:s}", "pointer", p->v[i].pointer,
                              "detail", p->v[i].detail);

        if (e != NULL && p->v[i].line > 0 &&
            json_object_set_new(e, "line",
                                json_integer((json_int_t)p->v[i].line))) {
            json_decref(e);
            e = NULL;
        }
        if (e == NULL || json_array_append_new(errors, e) != 0) {
            json_decref(errors);
            errors = NULL;
        }
    }
    if (o != NULL && (errors == NULL ||
                      json_object_set_new(o, "errors", errors) != 0)) {
        json_decref(o);
        o = NULL;
    }
    api_reply_problem(res, rc, o);
}

void
api_bad_param(struct api_response *res, const char *param, const char *why)
{
    char detail[256];

    (void)snprintf(detail, sizeof(detail), "query parameter '%s' %s", param,
                   why);
    api_problem(res, WENDA_ERR_INVALID, detail, param);
}

void
api_store_error(struct api_response *res, enum wenda_err rc)
{
    api_problem(res, rc, rc == WENDA_ERR_NOT_FOUND ? "no such topic" : NULL,
                NULL);
}

/* ---- parameters --------------------------------------------------------- */

int
api_text_param(const struct api_request *req, const char *name,
               const char **out, struct api_response *res)
{
    const char *v;
    size_t n;

    *out = NULL;
    if (!req->arg(req->arg_ctx, name, &v, &n))
        return 0;
    if (v == NULL)
        v = "";
    if (!wenda_utf8_valid(v, n, NULL) || strlen(v) != n) {
        api_bad_param(res, name, "is not valid UTF-8 text");
        return -1;
    }
    *out = v;
    return 0;
}

int
api_slug_param(const struct api_request *req, const char *name, size_t max,
               const char **out, struct api_response *res)
{
    if (api_text_param(req, name, out, res) != 0)
        return -1;
    if (*out != NULL && !wenda_slug_valid(*out, max)) {
        api_bad_param(res, name, "must be lower-case letters, digits and "
                      "single hyphens");
        return -1;
    }
    return 0;
}

int
api_facet_params(const struct api_request *req, const char **category,
                 const char **tag, struct api_response *res)
{
    char detail[160];

    if (tag != NULL)
        *tag = NULL;
    if (api_slug_param(req, "category", WENDA_CONTENT_MAX_SLUG, category,
                       res) != 0 ||
        (tag != NULL &&
         api_slug_param(req, "tag", WENDA_CONTENT_MAX_TAG, tag, res) != 0))
        return -1;
    if (*category != NULL &&
        !wenda_store_category_exists(req->store, *category)) {
        (void)snprintf(detail, sizeof(detail), "no category '%s' (GET "
                       "/v1/categories lists them)", *category);
        api_problem(res, WENDA_ERR_NOT_FOUND, detail, "category");
        return -1;
    }
    if (tag != NULL && *tag != NULL &&
        !wenda_store_tag_exists(req->store, *tag)) {
        (void)snprintf(detail, sizeof(detail), "no topic has the tag '%s' "
                       "(GET /v1/tags lists them)", *tag);
        api_problem(res, WENDA_ERR_NOT_FOUND, detail, "tag");
        return -1;
    }
    return 0;
}

int
api_parse_int(const char *s, long long min, long long max, long long *out)
{
    unsigned long long v = 0;
    size_t i;

    if (s == NULL || s[0] == '\0' || strlen(s) > 19)
        return -1;
    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long long)(s[i] - '0');   /* 19 digits fit */
    }
    if (v > (unsigned long long)LLONG_MAX || (long long)v < min ||
        (long long)v > max)
        return -1;
    *out = (long long)v;
    return 0;
}

int
api_int_param(const struct api_request *req, const char *name, long long min,
              long long max, long long *out, struct api_response *res)
{
    const char *v;
    char why[96];

    if (api_text_param(req, name, &v, res) != 0)
        return -1;
    if (v == NULL || api_parse_int(v, min, max, out) == 0)
        return 0;
    (void)snprintf(why, sizeof(why), "must be an integer from %lld to %lld",
                   min, max);
    api_bad_param(res, name, why);
    return -1;
}

/* ---- authorization ------------------------------------------------------ */

int
api_authorize(const struct api_request *req, enum wenda_role need,
              struct api_response *res, struct wenda_token_info *who)
{
    struct wenda_token_info info;
    char token[WENDA_TOKEN_LEN + 1];
    const char *h = req->header(req->arg_ctx, "Authorization");
    enum wenda_err rc;

    if (h == NULL) {
        api_problem(res, WENDA_ERR_UNAUTHORIZED, "this needs a token: "
                    "Authorization: Bearer wnd_...", NULL);
        api_add_header(res, "WWW-Authenticate", strdup("Bearer"));
        return 0;
    }
    memset(&info, 0, sizeof(info));
    rc = req->auth == NULL ? WENDA_ERR_INVALID
                           : wenda_auth_parse_bearer(h, token);
    /* The thread's snapshot may predate a token created or revoked by
     * another process (`wenda token`): a token is looked up in a fresh
     * one, so that a revocation holds from the next request on. */
    if (rc == WENDA_OK) {
        wenda_store_release_read(req->store);
        rc = wenda_auth_verify(req->auth, req->store, token, &info);
    }
    sodium_memzero(token, sizeof(token));
    if (rc == WENDA_ERR_DB) {
        api_problem(res, rc, NULL, NULL);
        return 0;
    }
    if (rc != WENDA_OK) {
        api_problem(res, WENDA_ERR_UNAUTHORIZED,
                    info.reason != NULL && strcmp(info.reason, "expired") == 0
                        ? "the token has expired"
                    : info.reason != NULL &&
                            strcmp(info.reason, "revoked") == 0
                        ? "the token has been revoked"
                        : "the token is not valid",
                    NULL);
        api_add_header(res, "WWW-Authenticate",
                       strdup("Bearer error=\"invalid_token\""));
        return 0;
    }
    if (info.role < need) {
        char detail[96];

        (void)snprintf(detail, sizeof(detail), "this needs the %s role; the "
                       "token has %s", wenda_auth_role_name(need),
                       wenda_auth_role_name(info.role));
        api_problem(res, WENDA_ERR_FORBIDDEN, detail, NULL);
        return 0;
    }
    if (who != NULL)
        *who = info;
    return 1;
}

/* ---- routing ------------------------------------------------------------ */

/*
 * Matches path against pattern; on a match returns 1 and copies the
 * segment matched by "*" (if any) into key.
 */
static int
match(const char *pattern, const char *path, char *key, size_t keycap)
{
    while (*pattern != '\0') {
        if (*pattern == '*') {
            size_t n = strcspn(path, "/");

            if (n == 0 || n >= keycap)
                return 0;
            memcpy(key, path, n);
            key[n] = '\0';
            path += n;
            pattern++;
            continue;
        }
        if (*pattern != *path)
            return 0;
        pattern++;
        path++;
    }
    return *path == '\0';
}

/* Returns 1 when path has an empty, "." or ".." segment. */
static int
has_dot_segment(const char *path)
{
    const char *p = path;

    while ((p = strchr(p, '/')) != NULL) {
        size_t n;

        p++;
        n = strcspn(p, "/");
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return 1;
    }
    return 0;
}

/*
 * Returns 1 when the request's path can be routed; otherwise answers it
 * (not UTF-8; not absolute, or with a "." or ".." segment) and returns 0.
 */
static int
path_valid(const struct api_request *req, struct api_response *res)
{
    if (!wenda_utf8_valid(req->path, req->path_len, NULL)) {
        api_problem(res, WENDA_ERR_UTF8, "the request path is not valid "
                    "UTF-8", NULL);
        return 0;
    }
    if (req->path[0] != '/' || has_dot_segment(req->path)) {
        api_problem(res, WENDA_ERR_INVALID, "the request path must be "
                    "absolute, without '.' or '..' segments", NULL);
        return 0;
    }
    return 1;
}

/*
 * Returns the handler of route r for the request's method (HEAD is
 * answered as GET), or NULL when r does not take that method here.
 */
static handler_fn
method_handler(const struct route *r, const struct api_request *req)
{
    handler_fn fn;

    fn = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0
             ? r->get
         : strcmp(req->method, "POST") == 0   ? r->post
         : strcmp(req->method, "PUT") == 0    ? r->put
         : strcmp(req->method, "PATCH") == 0  ? r->patch
         : strcmp(req->method, "DELETE") == 0 ? r->del
                                              : NULL;
    /* A replica takes no write: its copy would drift from the
     * primary's, and the next snapshot would drop it. */
    if (req->read_only && fn != r->get)
        fn = NULL;
    return fn;
}

/*
 * Appends to allow the methods route r takes, comma-separated, "GET, HEAD"
 * first; on a read_only server only those.  allow stays empty (and
 * unallocated) for a route that takes none.
 */
static void
allowed_methods(const struct route *r, int read_only, struct buf *allow)
{
    if (r->get)
        wenda_buf_adds(allow, "GET, HEAD");
    if (r->post && !read_only)
        wenda_buf_adds(allow, allow->n ? ", POST" : "POST");
    if (r->put && !read_only)
        wenda_buf_adds(allow, allow->n ? ", PUT" : "PUT");
    if (r->patch && !read_only)
        wenda_buf_adds(allow, allow->n ? ", PATCH" : "PATCH");
    if (r->del && !read_only)
        wenda_buf_adds(allow, allow->n ? ", DELETE" : "DELETE");
}

/*
 * Answers a write sent to a read-only replica: 405, naming the primary
 * when the server knows it (--primary-url), in the detail and as the
 * problem's "primary" member, the URL the same request should go to.
 */
static void
answer_replica(const struct api_request *req, struct api_response *res)
{
    char detail[320];
    struct buf url = {0};
    size_t n;
    json_t *o;

    if (req->primary_url == NULL || req->primary_url[0] == '\0') {
        (void)snprintf(detail, sizeof(detail), "this server is a read-only "
                       "replica; send %.16s to the primary", req->method);
        api_problem(res, WENDA_ERR_METHOD, detail, NULL);
        return;
    }
    n = strlen(req->primary_url);
    while (n > 0 && req->primary_url[n - 1] == '/')
        n--;
    wenda_buf_add(&url, req->primary_url, n);
    wenda_buf_add(&url, req->path, strlen(req->path));
    (void)snprintf(detail, sizeof(detail), "this server is a read-only "
                   "replica; send %.16s to the primary, %.150s", req->method,
                   url.p ? url.p : req->primary_url);
    o = api_problem_object(WENDA_ERR_METHOD, detail);
    if (o != NULL && url.p != NULL)
        json_object_set_new(o, "primary", json_string(url.p));
    api_reply_problem(res, WENDA_ERR_METHOD, o);
    wenda_buf_cleanup(&url);
}

/*
 * Answers a method that route r does not take: OPTIONS with 204 and what
 * it takes in Allow, any other method with 405 and the same Allow (empty
 * when it takes none).  On a replica, the 405 of a write says to send it
 * to the primary.
 */
static void
answer_no_method(const struct route *r, const struct api_request *req,
                 struct api_response *res)
{
    struct buf allow = {0};
    char detail[200];

    allowed_methods(r, req->read_only, &allow);
    if (strcmp(req->method, "OPTIONS") == 0) {
        /* What this resource takes (a CORS preflight too). */
        wenda_buf_adds(&allow, allow.n ? ", OPTIONS" : "OPTIONS");
        res->status = 204;
        res->content_type = JSON_TYPE;
        api_add_header(res, "Allow", wenda_buf_take(&allow, NULL));
        return;
    }
    if (req->read_only && (r->post || r->put || r->patch || r->del)) {
        answer_replica(req, res);
    } else {
        (void)snprintf(detail, sizeof(detail), "%.16s is not allowed "
                       "here; allowed: %s", req->method,
                       allow.p ? allow.p : "GET, HEAD");
        api_problem(res, WENDA_ERR_METHOD, detail, NULL);
    }
    /* An empty Allow: the resource takes no method here. */
    api_add_header(res, "Allow",
                   allow.p ? wenda_buf_take(&allow, NULL) : strdup(""));
}

/* What params_known() looks for: the first name not in params. */
struct unknown_ctx {
    const char *params;
    int unknown;
    char name[64];
};

static int
first_unknown(void *cls, const char *name)
{
    struct unknown_ctx *u = cls;
    size_t n = strlen(name);
    const char *p = u->params;

    while (n > 0 && (p = strstr(p, name)) != NULL) {
        if ((p == u->params || p[-1] == ' ') && p[n] == ' ')
            return 0;
        p++;
    }
    (void)snprintf(u->name, sizeof(u->name), "%s", name);
    u->unknown = 1;
    return 1;
}

/*
 * Returns 1 when the request's query parameters are all ones that route r
 * takes for the method fn (see struct route); otherwise answers 400 naming
 * the first that is not, and returns 0.  A misspelt parameter ("categroy")
 * would otherwise be ignored, and its answer look like a good one.
 */
static int
params_known(const struct route *r, handler_fn fn,
             const struct api_request *req, struct api_response *res)
{
    struct unknown_ctx u;
    char detail[200];
    size_t bad;

    u.params = fn == r->get && r->params != NULL ? r->params : "";
    u.unknown = 0;
    u.name[0] = '\0';
    if (strcmp(u.params, "*") == 0 || req->arg_names == NULL)
        return 1;
    req->arg_names(req->arg_ctx, first_unknown, &u);
    if (!u.unknown)
        return 1;
    if (!wenda_utf8_valid(u.name, strlen(u.name), &bad))
        u.name[bad] = '\0';
    if (u.params[0] == '\0')
        (void)snprintf(detail, sizeof(detail), "unknown query parameter "
                       "'%s'; %s %s takes none", u.name, req->method, r->name);
    else
        (void)snprintf(detail, sizeof(detail), "unknown query parameter "
                       "'%s'; %s takes: %.*s", u.name, r->name,
                       (int)strlen(u.params) - 1, u.params);
    api_problem(res, WENDA_ERR_INVALID, detail, u.name);
    return 0;
}

/*
 * Reads the index a read must reflect, the larger of ?min_index and the
 * header Wenda-Min-Index, into *index (0 when neither is given).  Returns
 * 0, or -1 after answering 400 naming the one that is not an index.
 */
static int
min_index(const struct api_request *req, uint64_t *index,
          struct api_response *res)
{
    const char *q, *h = req->header(req->arg_ctx, "Wenda-Min-Index");
    long long qi = 0, hi = 0;

    if (api_text_param(req, "min_index", &q, res) != 0)
        return -1;
    if (q != NULL && api_parse_int(q, 0, LLONG_MAX, &qi) != 0) {
        api_bad_param(res, "min_index", "must be a log index, an integer "
                      "from 0 to 9223372036854775807");
        return -1;
    }
    if (h != NULL && api_parse_int(h, 0, LLONG_MAX, &hi) != 0) {
        api_problem(res, WENDA_ERR_INVALID, "header Wenda-Min-Index must "
                    "be a log index, an integer from 0 to "
                    "9223372036854775807", "Wenda-Min-Index");
        return -1;
    }
    *index = (uint64_t)(qi > hi ? qi : hi);
    return 0;
}

/*
 * Makes a read reflect at least the log index its client asked for with
 * min_index or Wenda-Min-Index: on a cluster node, waits up to
 * read_wait_ms for the node to apply it (503 stale-read past that), and
 * then reads from a snapshot taken after it, whose index becomes the
 * answer's Wenda-Index.  A single server has no log: any index is
 * satisfied at once.  Returns 1 when the read may go on, or 0 after
 * answering.
 */
static int
read_after(const struct api_request *req, struct api_response *res)
{
    uint64_t index = 0;
    char detail[160];

    if (min_index(req, &index, res) != 0)
        return 0;
    if (req->cluster == NULL || index == 0)
        return 1;
    if (cluster_applied(req->cluster) < index) {
        /* The snapshot must not hold back the log while the node
         * catches up. */
        wenda_store_release_read(req->store);
        if (cluster_wait_applied(req->cluster, index, req->read_wait_ms) !=
            WENDA_OK) {
            (void)snprintf(detail, sizeof(detail), "this node has not "
                           "applied index %llu of the log within %u ms",
                           (unsigned long long)index, req->read_wait_ms);
            api_problem(res, WENDA_ERR_STALE_READ, detail, NULL);
            return 0;
        }
    }
    /* A snapshot held since before the index was applied would not show
     * it: the read starts a new one, which does. */
    res->index = cluster_applied(req->cluster);
    wenda_store_release_read(req->store);
    if (wenda_store_hold_read(req->store, 0) != WENDA_OK) {
        api_problem(res, WENDA_ERR_UNAVAILABLE, "the database cannot be "
                    "read", NULL);
        return 0;
    }
    return 1;
}

/*
 * Returns 1 for the reads that stay public on a private server: the
 * probes, the study page, the API's description and the pages of its
 * problem types, which hold no data.
 */
static int
always_public(handler_fn fn)
{
    return fn == api_h_healthz || fn == api_h_readyz || fn == api_h_index ||
           fn == api_h_openapi || fn == api_h_problem;
}

void
api_handle(const struct api_request *req, struct api_response *res)
{
    char key[WENDA_CONTENT_MAX_SLUG + 8];
    size_t i;

    memset(res, 0, sizeof(*res));
    res->route = NROUTES;
    if (!path_valid(req, res))
        return;
    for (i = 0; i < NROUTES; i++) {
        const struct route *r = &routes[i];
        handler_fn fn;

        if (!match(r->pattern, req->path, key, sizeof(key)))
            continue;
        res->route = i;
        fn = method_handler(r, req);
        if (fn == NULL) {
            answer_no_method(r, req, res);
            return;
        }
        /* Reads are public unless the server is private; writes check
         * their own, stronger role. */
        if (fn == r->get && req->private_reads && !always_public(fn) &&
            !api_authorize(req, WENDA_ROLE_READER, res, NULL))
            return;
        if (!params_known(r, fn, req, res))
            return;
        if (fn == r->get && !read_after(req, res))
            return;
        fn(req, key, res);
        return;
    }
    api_problem(res, WENDA_ERR_NOT_FOUND, "no such resource", NULL);
}
