/*
 * api.c -- routing table, parameter checks and JSON for every endpoint.
 *
 * A request is matched against the route table by path first and method
 * second, so that a known path with a wrong method is a 405 that lists the
 * allowed methods, and an unknown path a 404.  Handlers check every
 * parameter before they touch the store and answer a bad one with a 400
 * that names it.  JSON is built with jansson ("_new" setters throughout, so
 * every value built is owned by its parent) and written compact, UTF-8.
 */
#include "api.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "metrics.h"
#include "openapi.h"
#include "web.h"
#include "writer.h"
#include "wenda/auth.h"
#include "wenda/study.h"
#include "wenda/content.h"
#include "wenda/search.h"

#define JSON_TYPE "application/json; charset=utf-8"
#define PROBLEM_TYPE "application/problem+json; charset=utf-8"
#define LIST_DEFAULT 20
#define LIST_MAX 100

typedef void (*handler_fn)(const struct api_request *req, const char *key,
                           struct api_response *res);

static int authorize(const struct api_request *req, enum wenda_role need,
                     struct api_response *res, struct wenda_token_info *who);

/* One path and the handler of each method it takes (NULL: not taken). */
struct route {
    const char *pattern;   /* "*" matches one segment, given as key */
    const char *name;      /* how /metrics names it */
    handler_fn get, post, put, patch, del;
};

static void h_index(const struct api_request *, const char *,
                    struct api_response *);
static void h_healthz(const struct api_request *, const char *,
                      struct api_response *);
static void h_topics(const struct api_request *, const char *,
                     struct api_response *);
static void h_topic(const struct api_request *, const char *,
                    struct api_response *);
static void h_categories(const struct api_request *, const char *,
                         struct api_response *);
static void h_tags(const struct api_request *, const char *,
                   struct api_response *);
static void h_random(const struct api_request *, const char *,
                     struct api_response *);
static void h_search(const struct api_request *, const char *,
                     struct api_response *);
static void h_metrics(const struct api_request *, const char *,
                      struct api_response *);
static void h_create(const struct api_request *, const char *,
                     struct api_response *);
static void h_replace(const struct api_request *, const char *,
                      struct api_response *);
static void h_patch(const struct api_request *, const char *,
                    struct api_response *);
static void h_delete(const struct api_request *, const char *,
                     struct api_response *);
static void h_revisions(const struct api_request *, const char *,
                        struct api_response *);
static void h_tokens(const struct api_request *, const char *,
                     struct api_response *);
static void h_related(const struct api_request *, const char *,
                      struct api_response *);
static void h_readyz(const struct api_request *, const char *,
                     struct api_response *);
static void h_quiz(const struct api_request *, const char *,
                   struct api_response *);
static void h_review(const struct api_request *, const char *,
                     struct api_response *);
static void h_due(const struct api_request *, const char *,
                  struct api_response *);
static void h_token_create(const struct api_request *, const char *,
                           struct api_response *);
static void h_token_revoke(const struct api_request *, const char *,
                           struct api_response *);
static void h_export(const struct api_request *, const char *,
                     struct api_response *);
static void h_import(const struct api_request *, const char *,
                     struct api_response *);
static void h_openapi(const struct api_request *, const char *,
                      struct api_response *);

static const struct route routes[] = {
    {"/", "/", h_index, NULL, NULL, NULL, NULL},
    {"/healthz", "/healthz", h_healthz, NULL, NULL, NULL, NULL},
    {"/readyz", "/readyz", h_readyz, NULL, NULL, NULL, NULL},
    {"/v1/topics", "/v1/topics", h_topics, h_create, NULL, NULL, NULL},
    {"/v1/topics/*", "/v1/topics/{id}", h_topic, NULL, h_replace, h_patch,
     h_delete},
    {"/v1/topics/*/revisions", "/v1/topics/{id}/revisions", h_revisions,
     NULL, NULL, NULL, NULL},
    {"/v1/topics/*/related", "/v1/topics/{id}/related", h_related, NULL,
     NULL, NULL, NULL},
    {"/v1/quiz", "/v1/quiz", h_quiz, NULL, NULL, NULL, NULL},
    {"/v1/progress/due", "/v1/progress/due", h_due, NULL, NULL, NULL, NULL},
    {"/v1/progress/*", "/v1/progress/{topic}", NULL, h_review, NULL, NULL,
     NULL},
    {"/v1/categories", "/v1/categories", h_categories, NULL, NULL, NULL,
     NULL},
    {"/v1/tags", "/v1/tags", h_tags, NULL, NULL, NULL, NULL},
    {"/v1/random", "/v1/random", h_random, NULL, NULL, NULL, NULL},
    {"/v1/search", "/v1/search", h_search, NULL, NULL, NULL, NULL},
    {"/metrics", "/metrics", h_metrics, NULL, NULL, NULL, NULL},
    {"/openapi.json", "/openapi.json", h_openapi, NULL, NULL, NULL, NULL},
    {"/v1/tokens", "/v1/tokens", h_tokens, h_token_create, NULL, NULL, NULL},
    {"/v1/tokens/*", "/v1/tokens/{id}", NULL, NULL, NULL, NULL,
     h_token_revoke},
    {"/v1/export", "/v1/export", h_export, NULL, NULL, NULL, NULL},
    {"/v1/import", "/v1/import", NULL, h_import, NULL, NULL, NULL},
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

/* ---- responses --------------------------------------------------------- */

static void
add_header(struct api_response *res, const char *name, char *value)
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

/* Takes the reference to v and writes it as the body. */
static void
reply_json(struct api_response *res, unsigned int status, json_t *v)
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

/* Takes the bytes of b (JSON written elsewhere) as the body. */
static void
reply_raw(struct api_response *res, unsigned int status, struct buf *b)
{
    size_t n = b->n;
    char *p = buf_take(b, &n);

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
api_problem(struct api_response *res, enum wenda_err rc, const char *detail,
            const char *param)
{
    static const char fallback[] =
        "{\"type\":\"/problems/out-of-memory\",\"title\":\"Out of Memory\","
        "\"status\":503,\"detail\":\"out of memory\"}";
    unsigned int status = wenda_err_http_status(rc);
    const char *d = detail ? detail : wenda_err_title(rc);
    size_t dn = strlen(d), bad;
    char type[64];
    json_t *o;
    char *s;

    /* A detail that quotes the client's bytes (jansson's "near '...'", a
     * field name cut at a byte count) may hold a broken character, and
     * jansson takes only UTF-8: the detail ends before it. */
    if (!wenda_utf8_valid(d, dn, &bad))
        dn = bad;
    (void)snprintf(type, sizeof(type), "/problems/%s", wenda_err_name(rc));
    o = json_pack("{s:s, s:s, s:i, s:s%}", "type", type, "title",
                  wenda_err_title(rc), "status", (int)status, "detail", d,
                  dn);
    if (o != NULL && param != NULL)
        json_object_set_new(o, "parameter", json_string(param));
    s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    free(res->body);
    res->status = status;
    res->content_type = PROBLEM_TYPE;
    if (s == NULL) {
        s = strdup(fallback);
        res->status = 503;
    }
    res->body = s;
    res->len = s ? strlen(s) : 0;
}

/* Answers a parameter that failed its check. */
static void
bad_param(struct api_response *res, const char *param, const char *why)
{
    char detail[256];

    (void)snprintf(detail, sizeof(detail), "query parameter '%s' %s", param,
                   why);
    api_problem(res, WENDA_ERR_INVALID, detail, param);
}

/* ---- parameters -------------------------------------------------------- */

/*
 * Reads optional parameter name into *out (NULL when absent).  Returns 0,
 * or -1 after answering 400 when it is present but not valid UTF-8 text.
 */
static int
text_param(const struct api_request *req, const char *name, const char **out,
           struct api_response *res)
{
    const char *v;
    size_t n;

    *out = NULL;
    if (!req->arg(req->arg_ctx, name, &v, &n))
        return 0;
    if (v == NULL)
        v = "";
    if (!wenda_utf8_valid(v, n, NULL) || strlen(v) != n) {
        bad_param(res, name, "is not valid UTF-8 text");
        return -1;
    }
    *out = v;
    return 0;
}

/* Reads an optional slug-shaped parameter (category, tag). */
static int
slug_param(const struct api_request *req, const char *name, size_t max,
           const char **out, struct api_response *res)
{
    if (text_param(req, name, out, res) != 0)
        return -1;
    if (*out != NULL && !wenda_slug_valid(*out, max)) {
        bad_param(res, name, "must be lower-case letters, digits and single "
                  "hyphens");
        return -1;
    }
    return 0;
}

/* Parses s as a decimal integer in [min, max]; returns 0 on success. */
static int
parse_int(const char *s, long long min, long long max, long long *out)
{
    long long v = 0;
    size_t i;

    if (s == NULL || s[0] == '\0' || strlen(s) > 18)
        return -1;
    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/*
 * Reads optional integer parameter name into *out, which keeps its value
 * when the parameter is absent.  Returns 0, or -1 after answering 400 when
 * it is not an integer from min to max.
 */
static int
int_param(const struct api_request *req, const char *name, long long min,
          long long max, long long *out, struct api_response *res)
{
    const char *v;
    char why[96];

    if (text_param(req, name, &v, res) != 0)
        return -1;
    if (v == NULL || parse_int(v, min, max, out) == 0)
        return 0;
    (void)snprintf(why, sizeof(why), "must be an integer from %lld to %lld",
                   min, max);
    bad_param(res, name, why);
    return -1;
}

char *
api_cursor_encode(int64_t after_id)
{
    char raw[32];
    char *out;
    int n = snprintf(raw, sizeof(raw), "i:%lld", (long long)after_id);
    size_t cap = sodium_base64_ENCODED_LEN(
        (size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);

    out = malloc(cap);
    if (out != NULL)
        sodium_bin2base64(out, cap, (const unsigned char *)raw, (size_t)n,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

int
api_cursor_decode(const char *s, int64_t *after_id)
{
    unsigned char raw[32];
    size_t n;
    long long v;

    if (strlen(s) > 40 ||
        sodium_base642bin(raw, sizeof(raw) - 1, s, strlen(s), NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return -1;
    raw[n] = '\0';
    if (n < 3 || raw[0] != 'i' || raw[1] != ':' ||
        parse_int((const char *)raw + 2, 1, INT64_MAX, &v) != 0)
        return -1;
    *after_id = v;
    return 0;
}

/* Returns the Link header of the next page (new; the caller frees). */
static char *
link_next(unsigned int limit, int corrected, const char *category,
          const char *tag, const char *next)
{
    struct buf b = {0};

    buf_addf(&b, "</v1/topics?limit=%u%s", limit,
             corrected ? "&corrected=true" : "");
    if (category != NULL)
        buf_addf(&b, "&category=%s", category);
    if (tag != NULL)
        buf_addf(&b, "&tag=%s", tag);
    buf_addf(&b, "&cursor=%s>; rel=\"next\"", next);
    return buf_take(&b, NULL);
}

/* ---- handlers ---------------------------------------------------------- */

/* The page allows its own inline script and style and this origin, no more. */
#define INDEX_CSP                                                            \
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "                \
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "               \
    "connect-src 'self'; object-src 'none'; base-uri 'none'; "               \
    "form-action 'self'; frame-ancestors 'none'"

/*
 * The study page (service/web/index.html, compiled in).  It is static and
 * public even with --private: it holds no data, and reads what it shows
 * through the API, which checks tokens as usual.
 */
static void
h_index(const struct api_request *req, const char *key,
        struct api_response *res)
{
    char *p = malloc(wenda_web_index_len);

    (void)req;
    (void)key;
    if (p == NULL) {
        api_problem(res, WENDA_ERR_NOMEM, "out of memory", NULL);
        return;
    }
    memcpy(p, wenda_web_index, wenda_web_index_len);
    res->status = 200;
    res->content_type = "text/html; charset=utf-8";
    res->body = p;
    res->len = wenda_web_index_len;
    add_header(res, "Content-Security-Policy", strdup(INDEX_CSP));
    add_header(res, "X-Content-Type-Options", strdup("nosniff"));
    add_header(res, "Cache-Control", strdup("no-cache"));
}

static void
h_healthz(const struct api_request *req, const char *key,
          struct api_response *res)
{
    (void)req;
    (void)key;
    reply_json(res, 200, json_pack("{s:s}", "status", "ok"));
}

/* Ready when the thread's database connection answers a query. */
static void
h_readyz(const struct api_request *req, const char *key,
         struct api_response *res)
{
    int64_t n = 0;

    (void)key;
    if (wenda_store_topic_count(req->store, &n) != WENDA_OK) {
        api_problem(res, WENDA_ERR_UNAVAILABLE, "the database does not "
                    "answer", NULL);
        return;
    }
    reply_json(res, 200, json_pack("{s:s, s:I}", "status", "ready",
                                   "topics", (json_int_t)n));
}

static void
store_error(struct api_response *res, enum wenda_err rc)
{
    api_problem(res, rc, rc == WENDA_ERR_NOT_FOUND ? "no such topic" : NULL,
                NULL);
}

static void
h_topics(const struct api_request *req, const char *key,
         struct api_response *res)
{
    struct wenda_topic_filter f = {NULL, NULL, 0, LIST_DEFAULT, 0};
    const char *cursor, *corrected;
    char *items = NULL, *next = NULL;
    size_t n = 0;
    long long lim = LIST_DEFAULT;
    int64_t last = 0;
    int more = 0;
    struct buf b = {0};
    enum wenda_err rc;

    (void)key;
    if (slug_param(req, "category", WENDA_CONTENT_MAX_SLUG, &f.category,
                   res) ||
        slug_param(req, "tag", WENDA_CONTENT_MAX_TAG, &f.tag, res) ||
        int_param(req, "limit", 1, LIST_MAX, &lim, res) ||
        text_param(req, "cursor", &cursor, res) ||
        text_param(req, "corrected", &corrected, res))
        return;
    f.limit = (unsigned int)lim;
    if (corrected != NULL) {
        if (strcmp(corrected, "true") != 0 && strcmp(corrected, "false") != 0) {
            bad_param(res, "corrected", "must be true or false");
            return;
        }
        f.corrected = corrected[0] == 't';
    }
    if (cursor != NULL && api_cursor_decode(cursor, &f.after_id) != 0) {
        bad_param(res, "cursor", "is not a cursor this server gave out");
        return;
    }
    rc = wenda_store_topic_list_json(req->store, &f, &items, &n, &last,
                                     &more);
    if (rc != WENDA_OK) {
        store_error(res, rc);
        return;
    }
    /* The items are the store's JSON; the envelope is written here. */
    if (more && last > 0)
        next = api_cursor_encode(last);
    buf_adds(&b, "{\"items\":");
    buf_add(&b, items, n);
    if (next != NULL)
        buf_addf(&b, ",\"next\":\"%s\"}", next);
    else
        buf_adds(&b, ",\"next\":null}");
    free(items);
    if (next != NULL)
        add_header(res, "Link",
                   link_next(f.limit, f.corrected, f.category, f.tag, next));
    free(next);
    reply_raw(res, 200, &b);
}

/* Resolves {id or slug}: all digits is an id, a slug otherwise. */
static void
h_topic(const struct api_request *req, const char *key,
        struct api_response *res)
{
    struct buf b = {0};
    enum wenda_err rc;
    long long id = 0;

    if (key[0] >= '0' && key[0] <= '9') {
        if (parse_int(key, 1, INT64_MAX, &id) != 0) {
            api_problem(res, WENDA_ERR_NOT_FOUND, "no such topic", NULL);
            return;
        }
        rc = wenda_store_topic_doc(req->store, id, NULL, &b.p, &b.n);
    } else if (wenda_slug_valid(key, WENDA_CONTENT_MAX_SLUG)) {
        rc = wenda_store_topic_doc(req->store, 0, key, &b.p, &b.n);
    } else {
        rc = WENDA_ERR_NOT_FOUND;
    }
    if (rc != WENDA_OK) {
        store_error(res, rc);
        return;
    }
    reply_raw(res, 200, &b);
}

static void
h_categories(const struct api_request *req, const char *key,
             struct api_response *res)
{
    struct wenda_category *cats;
    size_t n, i;
    enum wenda_err rc;
    json_t *a;

    (void)key;
    rc = wenda_store_categories(req->store, &cats, &n);
    if (rc != WENDA_OK) {
        store_error(res, rc);
        return;
    }
    a = json_array();
    for (i = 0; i < n; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:I}", "slug", cats[i].slug, "name",
                         cats[i].name, "name_en", cats[i].name_en, "count",
                         (json_int_t)cats[i].count));
    wenda_categories_free(cats, n);
    reply_json(res, 200, json_pack("{s:o}", "items", a));
}

static void
h_tags(const struct api_request *req, const char *key,
       struct api_response *res)
{
    struct wenda_tag_count *tags;
    size_t n, i;
    enum wenda_err rc;
    json_t *a;

    (void)key;
    rc = wenda_store_tags(req->store, &tags, &n);
    if (rc != WENDA_OK) {
        store_error(res, rc);
        return;
    }
    a = json_array();
    for (i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:I}", "tag", tags[i].tag,
                                           "count",
                                           (json_int_t)tags[i].count));
    wenda_tags_free(tags, n);
    reply_json(res, 200, json_pack("{s:o}", "items", a));
}

static void
h_random(const struct api_request *req, const char *key,
         struct api_response *res)
{
    struct buf b = {0};
    const char *category;
    enum wenda_err rc;
    uint64_t seed;
    int64_t id = 0;

    (void)key;
    if (slug_param(req, "category", WENDA_CONTENT_MAX_SLUG, &category, res))
        return;
    randombytes_buf(&seed, sizeof(seed));
    rc = wenda_store_topic_random_id(req->store, category, seed, &id);
    if (rc == WENDA_ERR_NOT_FOUND) {
        api_problem(res, rc, category ? "no topic in that category"
                                      : "there are no topics", NULL);
        return;
    }
    if (rc == WENDA_OK)
        rc = wenda_store_topic_doc(req->store, id, NULL, &b.p, &b.n);
    if (rc != WENDA_OK) {
        store_error(res, rc);
        return;
    }
    reply_raw(res, 200, &b);
}

#define SEARCH_DEFAULT 10

/*
 * Takes one of the search slots, waiting at most search_wait_ms for one to
 * free; returns 1 with the slot held, or 0 after answering 503 with
 * Retry-After.  A counting semaphore, so that a burst of searches cannot
 * take every I/O thread from the cheap reads, and so that an overload is
 * answered at once instead of queued without bound.
 */
static int
take_search_slot(const struct api_request *req, struct api_response *res)
{
    struct timespec deadline;

    if (req->search_slots == NULL || sem_trywait(req->search_slots) == 0)
        return 1;
    metrics_search_waited();
    if (req->search_wait_ms > 0) {
        (void)clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += req->search_wait_ms / 1000;
        deadline.tv_nsec += (long)(req->search_wait_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        while (sem_timedwait(req->search_slots, &deadline) != 0)
            if (errno != EINTR)
                goto busy;
        return 1;
    }
busy:
    metrics_search_rejected();
    api_problem(res, WENDA_ERR_UNAVAILABLE, "every search slot is busy; "
                "try again shortly", NULL);
    add_header(res, "Retry-After", strdup("1"));
    return 0;
}

static void
h_search(const struct api_request *req, const char *key,
         struct api_response *res)
{
    struct wenda_search_query q = {NULL, NULL, NULL, SEARCH_DEFAULT};
    struct wenda_search_result r;
    char msg[256];
    long long lim = SEARCH_DEFAULT;
    enum wenda_err rc;
    struct buf b = {0};
    size_t i;

    (void)key;
    if (text_param(req, "q", &q.q, res) ||
        slug_param(req, "category", WENDA_CONTENT_MAX_SLUG, &q.category,
                   res) ||
        slug_param(req, "tag", WENDA_CONTENT_MAX_TAG, &q.tag, res))
        return;
    if (q.q == NULL || q.q[strspn(q.q, " \t\r\n")] == '\0') {
        bad_param(res, "q", "is required and must not be blank");
        return;
    }
    if (int_param(req, "limit", 1, WENDA_SEARCH_MAX_LIMIT, &lim, res))
        return;
    q.limit = (unsigned int)lim;
    if (!take_search_slot(req, res))
        return;
    rc = wenda_search_run(req->store, &q, &r, msg, sizeof(msg));
    if (req->search_slots != NULL)
        (void)sem_post(req->search_slots);
    if (rc == WENDA_ERR_INVALID) {
        api_problem(res, rc, msg, "q");
        return;
    }
    if (rc != WENDA_OK) {
        store_error(res, rc);
        return;
    }
    /* Written directly: this is the hot path of the busiest endpoint. */
    buf_adds(&b, "{\"query\":");
    buf_add_json(&b, q.q);
    buf_addf(&b, ",\"total\":%lld,\"total_exact\":%s,\"items\":[",
             (long long)r.total, r.total_exact ? "true" : "false");
    for (i = 0; i < r.n; i++) {
        const struct wenda_search_hit *h = &r.hits[i];

        buf_addf(&b, "%s{\"id\":%lld,\"slug\":", i ? "," : "",
                 (long long)h->id);
        buf_add_json(&b, h->slug);
        buf_adds(&b, ",\"title\":");
        buf_add_json(&b, h->title);
        buf_adds(&b, ",\"title_en\":");
        buf_add_json(&b, h->title_en);
        buf_adds(&b, ",\"category\":");
        buf_add_json(&b, h->category);
        buf_addf(&b, ",\"score\":%.4f,\"snippet\":", h->score);
        buf_add_json(&b, h->snippet);
        buf_add(&b, "}", 1);
    }
    buf_adds(&b, "]}");
    reply_raw(res, 200, &b);
    wenda_search_result_cleanup(&r);
}

static void
h_metrics(const struct api_request *req, const char *key,
          struct api_response *res)
{
    struct buf b = {0};

    (void)req;
    (void)key;
    metrics_render(&b);
    reply_raw(res, 200, &b);
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/*
 * The OpenAPI document of this API (service/openapi.json, compiled in).
 * Public even with --private: it describes the API and holds no data.
 */
static void
h_openapi(const struct api_request *req, const char *key,
          struct api_response *res)
{
    struct buf b = {0};

    (void)req;
    (void)key;
    buf_add(&b, wenda_openapi_json, wenda_openapi_json_len);
    reply_raw(res, 200, &b);
}

/* ---- authorization ------------------------------------------------------ */

/*
 * Checks the request's bearer token for role need.  Returns 1 when it
 * passes (with the token described in *who, when not NULL); otherwise
 * answers 401 (no token, or not a valid one, with WWW-Authenticate) or
 * 403 (a valid token of a weaker role) and returns 0.  The token itself
 * never appears in an answer.
 */
static int
authorize(const struct api_request *req, enum wenda_role need,
          struct api_response *res, struct wenda_token_info *who)
{
    struct wenda_token_info info;
    char token[WENDA_TOKEN_LEN + 1];
    const char *h = req->header(req->arg_ctx, "Authorization");
    enum wenda_err rc;

    if (h == NULL) {
        api_problem(res, WENDA_ERR_UNAUTHORIZED, "this needs a token: "
                    "Authorization: Bearer wnd_...", NULL);
        add_header(res, "WWW-Authenticate", strdup("Bearer"));
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
        add_header(res, "WWW-Authenticate",
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

/* ---- writes ------------------------------------------------------------- */

/* Returns 1 when the request's Content-Type is type (parameters aside). */
static int
content_type_is(const struct api_request *req, const char *type)
{
    const char *ct = req->header(req->arg_ctx, "Content-Type");
    size_t n = strlen(type);

    return ct != NULL && strncasecmp(ct, type, n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/*
 * Parses the body as one flat JSON object.  Returns a new reference, or
 * NULL after answering 400 (or 415 for another media type).
 */
static json_t *
body_json(const struct api_request *req, const char *type,
          struct api_response *res)
{
    json_error_t err;
    json_t *o;
    char detail[200];

    if (!content_type_is(req, type)) {
        (void)snprintf(detail, sizeof(detail), "the body must be %s", type);
        api_problem(res, WENDA_ERR_MEDIA_TYPE, detail, NULL);
        return NULL;
    }
    o = json_loadb(req->body ? req->body : "", req->body_len,
                   JSON_REJECT_DUPLICATES, &err);
    if (o == NULL) {
        (void)snprintf(detail, sizeof(detail), "the body is not valid JSON: "
                       "%.100s (line %d, column %d)", err.text, err.line,
                       err.column);
        api_problem(res, WENDA_ERR_PARSE, detail, NULL);
        return NULL;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        api_problem(res, WENDA_ERR_INVALID, "the body must be a JSON object",
                    NULL);
        return NULL;
    }
    return o;
}

/* Resolves {id} of a write: a positive id (slugs change; ids do not). */
static int
write_target(const char *key, int64_t *id, struct api_response *res)
{
    long long v;

    if (parse_int(key, 1, INT64_MAX, &v) != 0) {
        api_problem(res, WENDA_ERR_NOT_FOUND, "no such topic; writes name a "
                    "topic by its id", NULL);
        return 0;
    }
    *id = v;
    return 1;
}

/* Starts a job for the writer, or answers and returns NULL. */
static struct write_job *
new_job(enum write_kind kind, const struct wenda_token_info *who,
        struct api_response *res)
{
    struct write_job *job = calloc(1, sizeof(*job));

    if (job == NULL) {
        api_problem(res, WENDA_ERR_NOMEM, NULL, NULL);
        return NULL;
    }
    job->kind = kind;
    job->token_id = who->id;
    (void)snprintf(job->who, sizeof(job->who), "%s",
                   who->name[0] ? who->name : "(unnamed token)");
    return job;
}

void
api_write_answer(struct write_job *job, struct api_response *res)
{
    const struct write_result *w = &job->result;
    char location[64];

    memset(res, 0, sizeof(*res));
    if (w->rc != WENDA_OK) {
        api_problem(res, w->rc,
                    w->msg[0] != '\0'               ? w->msg
                    : w->rc == WENDA_ERR_NOT_FOUND ? "no such topic"
                    : w->rc == WENDA_ERR_PRECONDITION
                        ? "If-Match does not name the topic's current "
                          "version; fetch it again"
                        : NULL,
                    NULL);
        if (w->rc == WENDA_ERR_UNAVAILABLE)
            add_header(res, "Retry-After", strdup("1"));
        return;
    }
    res->content_type = "application/json; charset=utf-8";
    res->body = job->result.body;     /* moves to the answer */
    res->len = job->result.len;
    job->result.body = NULL;
    job->result.len = 0;
    res->status = job->kind == WRITE_DELETE || job->kind == WRITE_TOKEN_REVOKE
                      ? 204
                  : job->kind == WRITE_CREATE || job->kind == WRITE_TOKEN_CREATE
                      ? 201
                      : 200;
    if (job->kind == WRITE_CREATE) {
        (void)snprintf(location, sizeof(location), "/v1/topics/%lld",
                       (long long)job->id);
        add_header(res, "Location", strdup(location));
    }
}

/*
 * Reads If-Match (RFC 9110, section 13.1.1) into job->if_match as the
 * store takes it: "*", which any current version matches, or the strong
 * entity tags the header lists, joined by commas, each without the "-gz"
 * of a gzip answer's tag (it names the same version).  Weak tags (W/"...")
 * are left out: If-Match compares strongly, so they never match, and a
 * header of weak tags only is answered 412 by the store.  Answers 428 when
 * the header is missing, 400 when it is neither "*" nor a list of at most
 * WRITE_IF_MATCH_MAX quoted tags.
 */
static int
need_if_match(const struct api_request *req, struct write_job *job,
              struct api_response *res)
{
    const char *p = req->header(req->arg_ctx, "If-Match");
    size_t used = 0, tags = 0;
    char detail[96];

    if (p == NULL) {
        api_problem(res, WENDA_ERR_PRECONDITION_REQUIRED, "this needs "
                    "If-Match with the topic's ETag (from a GET)", NULL);
        return 0;
    }
    job->if_match[0] = '\0';
    p += strspn(p, " \t");
    if (p[0] == '*' && p[1 + strspn(p + 1, " \t")] == '\0') {
        (void)snprintf(job->if_match, sizeof(job->if_match), "*");
        return 1;
    }
    for (;;) {
        const char *body, *end;
        size_t n;
        int weak;

        p += strspn(p, " \t,");      /* a list may have empty elements */
        if (*p == '\0' && tags > 0)
            return 1;
        weak = strncmp(p, "W/", 2) == 0;
        body = p + (weak ? 3 : 1);    /* past the opening quote */
        end = body[-1] == '"' ? strchr(body, '"') : NULL;
        if (end == NULL || ++tags > WRITE_IF_MATCH_MAX)
            break;
        p = end + 1 + strspn(end + 1, " \t");
        if (*p != ',' && *p != '\0')
            break;
        n = (size_t)(end - body);
        /* The tag of a gzip answer names the same version. */
        if (n > 3 && strncmp(end - 3, "-gz", 3) == 0)
            n -= 3;
        /* Weak tags never match; nor do tags longer than ours. */
        if (!weak && n + 2 < WENDA_ETAG_SIZE)
            used += (size_t)snprintf(job->if_match + used,
                                     sizeof(job->if_match) - used,
                                     "%s\"%.*s\"", used ? "," : "", (int)n,
                                     body);
    }
    (void)snprintf(detail, sizeof(detail), "If-Match must be * or a list "
                   "of at most %d quoted ETags, such as "
                   "\"0123456789abcdef\"", WRITE_IF_MATCH_MAX);
    api_problem(res, WENDA_ERR_INVALID, detail, NULL);
    return 0;
}

static void
submit_topic(const struct api_request *req, const char *key,
             struct api_response *res, enum write_kind kind)
{
    struct wenda_token_info who;
    struct write_job *job;
    char msg[256];
    json_t *o;
    int64_t id = 0;

    if (!authorize(req, WENDA_ROLE_EDITOR, res, &who))
        return;
    if (kind != WRITE_CREATE && !write_target(key, &id, res))
        return;
    job = new_job(kind, &who, res);
    if (job == NULL)
        return;
    job->id = id;
    if (kind != WRITE_CREATE && !need_if_match(req, job, res))
        goto fail;
    if (kind == WRITE_DELETE) {
        res->job = job;
        return;
    }
    o = body_json(req, kind == WRITE_PATCH ? "application/merge-patch+json"
                                           : "application/json", res);
    if (o == NULL)
        goto fail;
    if (kind == WRITE_PATCH) {
        job->patch = o;
        res->job = job;
        return;
    }
    if (wenda_topic_from_json(o, &job->topic, msg, sizeof(msg)) != WENDA_OK) {
        json_decref(o);
        api_problem(res, WENDA_ERR_INVALID, msg, NULL);
        goto fail;
    }
    json_decref(o);
    res->job = job;
    return;
fail:
    write_job_cleanup(job);
    free(job);
}

static void
h_create(const struct api_request *req, const char *key,
         struct api_response *res)
{
    submit_topic(req, key, res, WRITE_CREATE);
}

static void
h_replace(const struct api_request *req, const char *key,
          struct api_response *res)
{
    submit_topic(req, key, res, WRITE_REPLACE);
}

static void
h_patch(const struct api_request *req, const char *key,
        struct api_response *res)
{
    submit_topic(req, key, res, WRITE_PATCH);
}

static void
h_delete(const struct api_request *req, const char *key,
         struct api_response *res)
{
    submit_topic(req, key, res, WRITE_DELETE);
}

static void
h_revisions(const struct api_request *req, const char *key,
            struct api_response *res)
{
    struct buf b = {0};
    char *items = NULL;
    size_t n = 0;
    int64_t id;
    enum wenda_err rc;

    if (!authorize(req, WENDA_ROLE_EDITOR, res, NULL) ||
        !write_target(key, &id, res))
        return;
    rc = wenda_store_revisions_json(req->store, id, &items, &n);
    if (rc != WENDA_OK) {
        store_error(res, rc);
        return;
    }
    buf_adds(&b, "{\"items\":");
    buf_add(&b, items, n);
    buf_adds(&b, "}");
    free(items);
    reply_raw(res, 200, &b);
}

/* ---- study helpers ------------------------------------------------------ */

#define RELATED_MAX 20

static void
h_related(const struct api_request *req, const char *key,
          struct api_response *res)
{
    struct wenda_search_result r;
    struct buf b = {0};
    long long lim = 5;
    int64_t id;
    enum wenda_err rc;
    size_t i;

    if (!write_target(key, &id, res) ||
        int_param(req, "limit", 1, RELATED_MAX, &lim, res))
        return;
    rc = wenda_search_related(req->store, id, (unsigned int)lim, &r);
    if (rc != WENDA_OK) {
        store_error(res, rc);
        return;
    }
    buf_adds(&b, "{\"items\":[");
    for (i = 0; i < r.n; i++) {
        const struct wenda_search_hit *h = &r.hits[i];

        buf_addf(&b, "%s{\"id\":%lld,\"slug\":", i ? "," : "",
                 (long long)h->id);
        buf_add_json(&b, h->slug);
        buf_adds(&b, ",\"title\":");
        buf_add_json(&b, h->title);
        buf_adds(&b, ",\"title_en\":");
        buf_add_json(&b, h->title_en);
        buf_adds(&b, ",\"category\":");
        buf_add_json(&b, h->category);
        buf_add(&b, "}", 1);
    }
    buf_adds(&b, "]}");
    wenda_search_result_cleanup(&r);
    reply_raw(res, 200, &b);
}

#define QUIZ_MAX_COUNT 50

/*
 * GET /v1/quiz: count topics as questions (their titles), in an order that
 * depends only on seed, so that a learner can take the same quiz again;
 * without a seed one is drawn and returned.
 */
static void
h_quiz(const struct api_request *req, const char *key,
       struct api_response *res)
{
    const char *category, *seed_s;
    long long count = 10, seed_v;
    uint64_t seed;
    int64_t picked[QUIZ_MAX_COUNT];
    size_t np = 0, i;
    struct buf b = {0};
    enum wenda_err rc;

    (void)key;
    if (slug_param(req, "category", WENDA_CONTENT_MAX_SLUG, &category,
                   res) ||
        int_param(req, "count", 1, QUIZ_MAX_COUNT, &count, res) ||
        text_param(req, "seed", &seed_s, res))
        return;
    if (seed_s != NULL) {
        if (parse_int(seed_s, 0, INT64_MAX, &seed_v) != 0) {
            bad_param(res, "seed", "must be a non-negative integer");
            return;
        }
        seed = (uint64_t)seed_v;
    } else {
        seed = randombytes_random() & 0x7fffffff;
    }
    rc = wenda_store_topic_sample(req->store, category, seed, (size_t)count,
                                  picked, &np);
    buf_addf(&b, "{\"seed\":%llu,\"items\":[", (unsigned long long)seed);
    for (i = 0; rc == WENDA_OK && i < np; i++) {
        struct wenda_topic t;

        rc = wenda_store_topic_get(req->store, picked[i], NULL, &t);
        if (rc != WENDA_OK)
            break;
        buf_addf(&b, "%s{\"id\":%lld,\"question\":", i ? "," : "",
                 (long long)t.id);
        buf_add_json(&b, t.title);
        buf_adds(&b, ",\"category\":");
        buf_add_json(&b, t.category);
        buf_addf(&b, ",\"answer\":\"/v1/topics/%lld\"}", (long long)t.id);
        wenda_topic_cleanup(&t);
    }
    buf_adds(&b, "]}");
    if (rc != WENDA_OK) {
        buf_cleanup(&b);
        store_error(res, rc);
        return;
    }
    reply_raw(res, 200, &b);
}

/*
 * POST /v1/progress/{topic} {"grade": 0..5}: a review by the calling token
 * (reader is enough), scheduled with SM-2, written by the writer.
 */
static void
h_review(const struct api_request *req, const char *key,
         struct api_response *res)
{
    struct wenda_token_info who;
    struct write_job *job;
    json_t *o, *g;
    int64_t id;

    if (!authorize(req, WENDA_ROLE_READER, res, &who) ||
        !write_target(key, &id, res))
        return;
    o = body_json(req, "application/json", res);
    if (o == NULL)
        return;
    g = json_object_get(o, "grade");
    if (json_object_size(o) != 1 || !json_is_integer(g) ||
        json_integer_value(g) < 0 || json_integer_value(g) > 5) {
        json_decref(o);
        api_problem(res, WENDA_ERR_INVALID, "the body must be {\"grade\": N} "
                    "with N from 0 (blackout) to 5 (perfect)", NULL);
        return;
    }
    job = new_job(WRITE_PROGRESS, &who, res);
    if (job != NULL) {
        job->id = id;
        job->role = (int)json_integer_value(g);
        res->job = job;
    }
    json_decref(o);
}

#define DUE_MAX 100

/* GET /v1/progress/due: the calling token's topics due for review. */
static void
h_due(const struct api_request *req, const char *key,
      struct api_response *res)
{
    struct wenda_token_info who;
    long long lim = 20;
    struct buf b = {0};
    char *items = NULL;
    size_t n = 0;
    enum wenda_err rc;

    (void)key;
    if (!authorize(req, WENDA_ROLE_READER, res, &who) ||
        int_param(req, "limit", 1, DUE_MAX, &lim, res))
        return;
    rc = wenda_store_progress_due(req->store, who.id, (unsigned int)lim,
                                  &items, &n);
    if (rc != WENDA_OK) {
        store_error(res, rc);
        return;
    }
    buf_adds(&b, "{\"items\":");
    buf_add(&b, items, n);
    buf_adds(&b, "}");
    free(items);
    reply_raw(res, 200, &b);
}

/* ---- tokens, export, import (admin) ------------------------------------- */

static void
h_tokens(const struct api_request *req, const char *key,
         struct api_response *res)
{
    struct wenda_token_info *items = NULL;
    struct buf b = {0};
    size_t n = 0, i;
    enum wenda_err rc;

    (void)key;
    if (!authorize(req, WENDA_ROLE_ADMIN, res, NULL))
        return;
    rc = wenda_auth_token_list(req->store, &items, &n);
    if (rc != WENDA_OK) {
        store_error(res, rc);
        return;
    }
    /* Never the token, never its hash. */
    buf_adds(&b, "{\"items\":[");
    for (i = 0; i < n; i++) {
        const struct wenda_token_info *t = &items[i];

        buf_addf(&b, "%s{\"id\":%lld,\"name\":", i ? "," : "",
                 (long long)t->id);
        buf_add_json(&b, t->name);
        buf_addf(&b, ",\"role\":\"%s\",\"created_at\":",
                 wenda_auth_role_name(t->role));
        buf_add_json(&b, t->created_at);
        buf_adds(&b, ",\"expires_at\":");
        if (t->expires_at[0])
            buf_add_json(&b, t->expires_at);
        else
            buf_adds(&b, "null");
        buf_adds(&b, ",\"last_used_at\":");
        if (t->last_used_at[0])
            buf_add_json(&b, t->last_used_at);
        else
            buf_adds(&b, "null");
        buf_adds(&b, ",\"revoked_at\":");
        if (t->revoked_at[0])
            buf_add_json(&b, t->revoked_at);
        else
            buf_adds(&b, "null");
        buf_add(&b, "}", 1);
    }
    buf_adds(&b, "]}");
    wenda_auth_token_list_free(items);
    reply_raw(res, 200, &b);
}

static void
h_token_create(const struct api_request *req, const char *key,
               struct api_response *res)
{
    struct wenda_token_info who;
    struct write_job *job;
    const char *role, *name, *expires;
    int64_t seconds = 0;
    size_t known;
    json_t *o;

    (void)key;
    if (!authorize(req, WENDA_ROLE_ADMIN, res, &who))
        return;
    o = body_json(req, "application/json", res);
    if (o == NULL)
        return;
    role = json_string_value(json_object_get(o, "role"));
    name = json_object_get(o, "name") != NULL
               ? json_string_value(json_object_get(o, "name"))
               : "";
    expires = json_object_get(o, "expires") != NULL
                  ? json_string_value(json_object_get(o, "expires"))
                  : "never";
    known = 1;
    if (json_object_get(o, "name") != NULL)
        known++;
    if (json_object_get(o, "expires") != NULL)
        known++;
    if (json_object_size(o) > known) {
        api_problem(res, WENDA_ERR_INVALID, "a token takes role, name and "
                    "expires only", NULL);
    } else if (wenda_auth_role_parse(role) == WENDA_ROLE_NONE) {
        api_problem(res, WENDA_ERR_INVALID, "role must be reader, editor or "
                    "admin", NULL);
    } else if (name == NULL || !wenda_auth_name_valid(name)) {
        api_problem(res, WENDA_ERR_INVALID, "name must be text of at most 64 "
                    "bytes without control characters", NULL);
    } else if (expires == NULL ||
               wenda_auth_parse_expiry(expires, &seconds) != WENDA_OK) {
        api_problem(res, WENDA_ERR_INVALID, "expires must be never, or a "
                    "number with d, h or m (30d, 12h, 90m)", NULL);
    } else if ((job = new_job(WRITE_TOKEN_CREATE, &who, res)) != NULL) {
        job->auth = req->auth;
        job->role = (int)wenda_auth_role_parse(role);
        (void)snprintf(job->token_name, sizeof(job->token_name), "%s", name);
        job->expires = seconds;
        res->job = job;
    }
    json_decref(o);
}

static void
h_token_revoke(const struct api_request *req, const char *key,
               struct api_response *res)
{
    struct wenda_token_info who;
    struct write_job *job;
    long long id;

    if (!authorize(req, WENDA_ROLE_ADMIN, res, &who))
        return;
    if (parse_int(key, 1, INT64_MAX, &id) != 0) {
        api_problem(res, WENDA_ERR_NOT_FOUND, "no such token", NULL);
        return;
    }
    job = new_job(WRITE_TOKEN_REVOKE, &who, res);
    if (job != NULL) {
        job->id = id;
        res->job = job;
    }
}

/*
 * GET /v1/export streams every topic as one line of NDJSON (what an import
 * reads back, the server's own fields -- id, version, updated_at,
 * answer_html -- being ignored there), a page of EXPORT_PAGE topics at a time, read on the I/O
 * thread as the client takes them, so that an export of any size costs a
 * page of memory.
 */
#define EXPORT_PAGE 64

struct export_state {
    struct wenda_store *store;   /* the I/O thread's own */
    struct buf_out page;
    size_t sent;                 /* bytes of page already sent */
    int done;
};

static long
export_read(void *ctx, char *buf, size_t max)
{
    struct export_state *e = ctx;
    size_t n;

    while (e->page.data == NULL || e->sent == e->page.len) {
        int64_t after = e->page.last_id;

        if (e->done)
            return -1;   /* end of stream */
        free(e->page.data);
        e->sent = 0;
        if (wenda_store_docs_page(e->store, after, EXPORT_PAGE, &e->page) !=
            WENDA_OK)
            return -2;   /* error: the connection is closed */
        if (e->page.data == NULL)
            e->done = 1;
    }
    n = e->page.len - e->sent < max ? e->page.len - e->sent : max;
    memcpy(buf, e->page.data + e->sent, n);
    e->sent += n;
    return (long)n;
}

static void
export_free(void *ctx)
{
    struct export_state *e = ctx;

    if (e != NULL)
        free(e->page.data);
    free(e);
}

static void
h_export(const struct api_request *req, const char *key,
         struct api_response *res)
{
    struct export_state *e;

    (void)key;
    if (!authorize(req, WENDA_ROLE_ADMIN, res, NULL))
        return;
    e = calloc(1, sizeof(*e));
    if (e == NULL) {
        api_problem(res, WENDA_ERR_NOMEM, NULL, NULL);
        return;
    }
    e->store = req->store;
    res->status = 200;
    res->content_type = "application/x-ndjson; charset=utf-8";
    res->stream = export_read;
    res->stream_ctx = e;
    res->stream_free = export_free;
}

/*
 * Reads an NDJSON body, one topic a line (the server's own fields, id,
 * version and updated_at, are ignored; blank lines are skipped), and hands
 * them to the writer as one job, with the line of each: all of them are
 * applied, or none.  The first bad line is named, here or by the writer.
 */
static void
h_import(const struct api_request *req, const char *key,
         struct api_response *res)
{
    struct wenda_token_info who;
    struct write_job *job;
    const char *p, *end;
    char msg[256], detail[320];
    size_t line = 0, cap = 0, lines_cap = 0;

    (void)key;
    if (!authorize(req, WENDA_ROLE_ADMIN, res, &who))
        return;
    if (!content_type_is(req, "application/x-ndjson")) {
        api_problem(res, WENDA_ERR_MEDIA_TYPE, "the body must be "
                    "application/x-ndjson", NULL);
        return;
    }
    job = new_job(WRITE_IMPORT, &who, res);
    if (job == NULL)
        return;
    p = req->body ? req->body : "";
    end = p + req->body_len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        enum wenda_err rc;

        line++;
        if (n == 0 || (n == 1 && p[0] == '\r')) {
            p += n + 1;
            continue;
        }
        if (buf_reserve(&job->topics, &cap, job->ntopics,
                        sizeof(*job->topics), 64) != 0 ||
            buf_reserve(&job->lines, &lines_cap, job->ntopics,
                        sizeof(*job->lines), 64) != 0) {
            api_problem(res, WENDA_ERR_NOMEM, NULL, NULL);
            goto fail;
        }
        rc = wenda_topic_from_line(p, n, &job->topics[job->ntopics], msg,
                                 sizeof(msg));
        p += n + 1;
        if (rc != WENDA_OK) {
            (void)snprintf(detail, sizeof(detail), "line %zu%s %s", line,
                           rc == WENDA_ERR_PARSE ? " is not valid JSON:"
                                                 : ":", msg);
            api_problem(res, rc == WENDA_ERR_PARSE ? WENDA_ERR_PARSE
                                                   : WENDA_ERR_INVALID,
                        detail, NULL);
            goto fail;
        }
        job->lines[job->ntopics++] = line;
    }
    if (job->ntopics == 0) {
        api_problem(res, WENDA_ERR_INVALID, "the body holds no topic", NULL);
        goto fail;
    }
    res->job = job;
    return;
fail:
    write_job_cleanup(job);
    free(job);
}

/* ---- routing ----------------------------------------------------------- */

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

void
api_handle(const struct api_request *req, struct api_response *res)
{
    char key[WENDA_CONTENT_MAX_SLUG + 8];
    size_t i;

    memset(res, 0, sizeof(*res));
    res->route = NROUTES;
    if (!wenda_utf8_valid(req->path, req->path_len, NULL)) {
        api_problem(res, WENDA_ERR_UTF8, "the request path is not valid "
                    "UTF-8", NULL);
        return;
    }
    if (req->path[0] != '/' || has_dot_segment(req->path)) {
        api_problem(res, WENDA_ERR_INVALID, "the request path must be "
                    "absolute, without '.' or '..' segments", NULL);
        return;
    }
    for (i = 0; i < NROUTES; i++) {
        const struct route *r = &routes[i];
        handler_fn fn;

        if (!match(r->pattern, req->path, key, sizeof(key)))
            continue;
        res->route = i;
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
        if (fn == NULL) {
            struct buf allow = {0};
            char detail[160];
            int options = strcmp(req->method, "OPTIONS") == 0;

            if (r->get)
                buf_adds(&allow, "GET, HEAD");
            if (r->post && !req->read_only)
                buf_adds(&allow, allow.n ? ", POST" : "POST");
            if (r->put && !req->read_only)
                buf_adds(&allow, allow.n ? ", PUT" : "PUT");
            if (r->patch && !req->read_only)
                buf_adds(&allow, allow.n ? ", PATCH" : "PATCH");
            if (r->del && !req->read_only)
                buf_adds(&allow, allow.n ? ", DELETE" : "DELETE");
            if (options) {
                /* What this resource takes (a CORS preflight too). */
                buf_adds(&allow, allow.n ? ", OPTIONS" : "OPTIONS");
                res->status = 204;
                res->content_type = JSON_TYPE;
                add_header(res, "Allow", buf_take(&allow, NULL));
                return;
            }
            if (req->read_only && (r->post || r->put || r->patch || r->del))
                (void)snprintf(detail, sizeof(detail), "this server is a "
                               "read-only replica; send %.16s to the primary",
                               req->method);
            else
                (void)snprintf(detail, sizeof(detail), "%.16s is not allowed "
                               "here; allowed: %s", req->method,
                               allow.p ? allow.p : "GET, HEAD");
            api_problem(res, WENDA_ERR_METHOD, detail, NULL);
            /* An empty Allow: the resource takes no method here. */
            add_header(res, "Allow",
                       allow.p ? buf_take(&allow, NULL) : strdup(""));
            return;
        }
        /* Reads are public unless the server is private; writes check
         * their own, stronger role. */
        if (fn == r->get && req->private_reads && r->get != h_healthz &&
            r->get != h_readyz && r->get != h_index &&
            r->get != h_openapi &&
            !authorize(req, WENDA_ROLE_READER, res, NULL))
            return;
        fn(req, key, res);
        return;
    }
    api_problem(res, WENDA_ERR_NOT_FOUND, "no such resource", NULL);
}
