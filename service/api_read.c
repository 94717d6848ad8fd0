/*
 * api_read.c -- the public reads: topics, categories, tags, a random
 * topic, search; and the service's own endpoints: the study page, health
 * and readiness, metrics and the OpenAPI document.
 *
 * A read runs on the calling I/O thread's own read-only store and answers
 * at once.  The list of topics pages with an opaque cursor (the id of the
 * last topic given), not an offset.  A search first takes one of a
 * bounded number of slots, so that a burst of searches cannot take every
 * I/O thread from the cheap reads.
 */
#include "api_int.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cluster.h"
#include "metrics.h"
#include "openapi.h"
#include "web.h"
#include "wenda/content.h"
#include "wenda/search.h"

#define LIST_DEFAULT 20
#define LIST_MAX 100
#define SEARCH_DEFAULT 10

static char *link_next(unsigned int limit, int corrected,
                       const char *category, const char *tag,
                       const char *next);
static int take_search_slot(const struct api_request *req,
                            struct api_response *res);

/* ---- cursors ------------------------------------------------------------ */

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
        api_parse_int((const char *)raw + 2, 1, INT64_MAX, &v) != 0)
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

    wenda_buf_addf(&b, "</v1/topics?limit=%u%s", limit,
                   corrected ? "&corrected=true" : "");
    if (category != NULL)
        wenda_buf_addf(&b, "&category=%s", category);
    if (tag != NULL)
        wenda_buf_addf(&b, "&tag=%s", tag);
    wenda_buf_addf(&b, "&cursor=%s>; rel=\"next\"", next);
    return wenda_buf_take(&b, NULL);
}

/* ---- handlers ----------------------------------------------------------- */

/*
 * The study page (service/web/index.html, compiled in).  It is static and
 * public even with --private: it holds no data, and reads what it shows
 * through the API, which checks tokens as usual.
 */
void
api_h_index(const struct api_request *req, const char *key,
            struct api_response *res)
{
    const char *csp = wenda_web_csp();
    char *p = malloc(wenda_web_index_len);

    (void)req;
    (void)key;
    if (p == NULL || csp == NULL) {
        free(p);
        api_problem(res, WENDA_ERR_NOMEM, "out of memory", NULL);
        return;
    }
    memcpy(p, wenda_web_index, wenda_web_index_len);
    res->status = 200;
    res->content_type = "text/html; charset=utf-8";
    res->body = p;
    res->len = wenda_web_index_len;
    api_add_header(res, "Content-Security-Policy", strdup(csp));
    api_add_header(res, "X-Content-Type-Options", strdup("nosniff"));
    api_add_header(res, "Cache-Control", strdup("no-cache"));
}

void
api_h_healthz(const struct api_request *req, const char *key,
              struct api_response *res)
{
    (void)req;
    (void)key;
    api_reply_json(res, 200, json_pack("{s:s}", "status", "ok"));
}

/*
 * Ready when the thread's database connection answers a query, and on a
 * cluster node once it knows a leader and has applied everything
 * committed (until then its reads may be behind the cluster's).
 */
void
api_h_readyz(const struct api_request *req, const char *key,
             struct api_response *res)
{
    int64_t n = 0;

    (void)key;
    if (wenda_store_topic_count(req->store, &n) != WENDA_OK) {
        api_problem(res, WENDA_ERR_UNAVAILABLE, "the database does not "
                    "answer", NULL);
        return;
    }
    if (req->cluster != NULL) {
        struct cluster_status st;
        char detail[160];

        cluster_status(req->cluster, &st);
        if (!st.ready) {
            if (st.leader_id == 0)
                (void)snprintf(detail, sizeof(detail), "this cluster node "
                               "(%s) knows no leader yet",
                               cluster_role_name(st.role));
            else
                (void)snprintf(detail, sizeof(detail), "this cluster node "
                               "has applied index %llu of %llu committed",
                               (unsigned long long)st.applied_index,
                               (unsigned long long)st.commit_index);
            api_problem(res, WENDA_ERR_UNAVAILABLE, detail, NULL);
            return;
        }
    }
    api_reply_json(res, 200, json_pack("{s:s, s:I}", "status", "ready",
                                       "topics", (json_int_t)n));
}

void
api_h_topics(const struct api_request *req, const char *key,
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
    if (api_facet_params(req, &f.category, &f.tag, res) ||
        api_int_param(req, "limit", 1, LIST_MAX, &lim, res) ||
        api_text_param(req, "cursor", &cursor, res) ||
        api_text_param(req, "corrected", &corrected, res))
        return;
    f.limit = (unsigned int)lim;
    if (corrected != NULL) {
        if (strcmp(corrected, "true") != 0 && strcmp(corrected, "false") != 0) {
            api_bad_param(res, "corrected", "must be true or false");
            return;
        }
        f.corrected = corrected[0] == 't';
    }
    if (cursor != NULL && api_cursor_decode(cursor, &f.after_id) != 0) {
        api_bad_param(res, "cursor", "is not a cursor this server gave out");
        return;
    }
    rc = wenda_store_topic_list_json(req->store, &f, &items, &n, &last,
                                     &more);
    if (rc != WENDA_OK) {
        api_store_error(res, rc);
        return;
    }
    /* The items are the store's JSON; the envelope is written here. */
    if (more && last > 0)
        next = api_cursor_encode(last);
    wenda_buf_adds(&b, "{\"items\":");
    wenda_buf_add(&b, items, n);
    if (next != NULL)
        wenda_buf_addf(&b, ",\"next\":\"%s\"}", next);
    else
        wenda_buf_adds(&b, ",\"next\":null}");
    free(items);
    if (next != NULL)
        api_add_header(res, "Link", link_next(f.limit, f.corrected,
                                              f.category, f.tag, next));
    free(next);
    api_reply_raw(res, 200, &b);
}

/* Resolves {id or slug}: all digits is an id, a slug otherwise. */
void
api_h_topic(const struct api_request *req, const char *key,
            struct api_response *res)
{
    struct buf b = {0};
    enum wenda_err rc;
    long long id = 0;

    if (key[0] >= '0' && key[0] <= '9') {
        if (api_parse_int(key, 1, INT64_MAX, &id) != 0) {
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
        api_store_error(res, rc);
        return;
    }
    api_reply_raw(res, 200, &b);
}

void
api_h_categories(const struct api_request *req, const char *key,
                 struct api_response *res)
{
    struct wenda_category *cats;
    size_t n, i;
    enum wenda_err rc;
    json_t *a;

    (void)key;
    rc = wenda_store_categories(req->store, &cats, &n);
    if (rc != WENDA_OK) {
        api_store_error(res, rc);
        return;
    }
    a = json_array();
    for (i = 0; i < n; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:I}", "slug", cats[i].slug, "name",
                         cats[i].name, "name_en", cats[i].name_en, "count",
                         (json_int_t)cats[i].count));
    wenda_categories_free(cats, n);
    api_reply_json(res, 200, json_pack("{s:o}", "items", a));
}

void
api_h_tags(const struct api_request *req, const char *key,
           struct api_response *res)
{
    struct wenda_tag_count *tags;
    size_t n, i;
    enum wenda_err rc;
    json_t *a;

    (void)key;
    rc = wenda_store_tags(req->store, &tags, &n);
    if (rc != WENDA_OK) {
        api_store_error(res, rc);
        return;
    }
    a = json_array();
    for (i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:I}", "tag", tags[i].tag,
                                           "count",
                                           (json_int_t)tags[i].count));
    wenda_tags_free(tags, n);
    api_reply_json(res, 200, json_pack("{s:o}", "items", a));
}

void
api_h_random(const struct api_request *req, const char *key,
             struct api_response *res)
{
    struct buf b = {0};
    const char *category;
    enum wenda_err rc;
    uint64_t seed;
    int64_t id = 0;

    (void)key;
    if (api_facet_params(req, &category, NULL, res))
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
        api_store_error(res, rc);
        return;
    }
    api_reply_raw(res, 200, &b);
}

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
    return 0;
}

/* Appends v in decimal. */
static void
add_int(struct buf *b, int64_t v)
{
    char d[24];
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    size_t n = sizeof(d);

    do {
        d[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (v < 0)
        d[--n] = '-';
    wenda_buf_add(b, d + n, sizeof(d) - n);
}

/*
 * Appends score v as "%.4f" writes it, the same digits and the same
 * rounding (to the nearest, ties to even, of v's exact binary value):
 * v * 10^4 is m * 625 * 2^(e + 4) for v = m * 2^e with m of 53 bits, which
 * fits 64 bits, so the rounding is exact in integers.  printf's general
 * conversion of a double was a tenth of a search answer's writing.
 * Values outside [0, 10^9) go through printf.
 */
static void
add_score(struct buf *b, double v)
{
    char d[24];
    uint64_t m, q, rem, half;
    size_t n = sizeof(d);
    int e, k;

    if (!(v >= 0.0 && v < 1e9) || signbit(v)) {
        wenda_buf_addf(b, "%.4f", v);
        return;
    }
    m = (uint64_t)ldexp(frexp(v, &e), 53) * 625;
    k = 53 - 4 - e;   /* v * 10^4 = m / 2^k, and k > 0 below 10^9 */
    q = k >= 64 ? 0 : m >> k;
    if (k > 0 && k < 64) {
        rem = m & ((UINT64_C(1) << k) - 1);
        half = UINT64_C(1) << (k - 1);
        if (rem > half || (rem == half && (q & 1)))
            q++;
    } else if (k <= 0) {
        wenda_buf_addf(b, "%.4f", v);
        return;
    }
    do {
        d[--n] = (char)('0' + q % 10);
        q /= 10;
        if (n == sizeof(d) - 4)
            d[--n] = '.';
    } while (q > 0 || n > sizeof(d) - 6);
    wenda_buf_add(b, d + n, sizeof(d) - n);
}

/*
 * Appends the answer to a search for q with result r up to its items:
 * "{", the query, the total and how it was found, and "\"items\":[".
 * No printf: it was a fortieth of the answer's writing.
 */
static void
add_search_head(struct buf *b, const char *q,
                const struct wenda_search_result *r)
{
    size_t i;

    wenda_buf_adds(b, "{\"query\":");
    wenda_buf_add_json(b, q);
    wenda_buf_adds(b, ",\"total\":");
    add_int(b, r->total);
    wenda_buf_adds(b, r->total_exact ? ",\"total_exact\":true,\"corrected\":"
                                     : ",\"total_exact\":false,\"corrected\":");
    if (r->corrected != NULL)
        wenda_buf_add_json(b, r->corrected);
    else
        wenda_buf_adds(b, "null");
    wenda_buf_adds(b, r->relaxed ? ",\"relaxed\":true,\"unfound\":["
                                 : ",\"relaxed\":false,\"unfound\":[");
    for (i = 0; i < r->dropped.n; i++) {
        if (i > 0)
            wenda_buf_add(b, ",", 1);
        wenda_buf_add_json(b, r->dropped.v[i]);
    }
    wenda_buf_adds(b, "],\"items\":[");
}

void
api_h_search(const struct api_request *req, const char *key,
             struct api_response *res)
{
    struct wenda_search_query q = {NULL, NULL, NULL, SEARCH_DEFAULT, 0};
    struct wenda_search_result r;
    char msg[256];
    long long lim = SEARCH_DEFAULT;
    enum wenda_err rc;
    struct buf b = {0};
    size_t i;

    (void)key;
    if (api_text_param(req, "q", &q.q, res))
        return;
    if (q.q == NULL || q.q[strspn(q.q, " \t\r\n")] == '\0') {
        api_bad_param(res, "q", "is required and must not be blank");
        return;
    }
    if (api_int_param(req, "limit", 1, WENDA_SEARCH_MAX_LIMIT, &lim, res))
        return;
    q.limit = (unsigned int)lim;
    lim = 0;
    if (api_int_param(req, "offset", 0, WENDA_SEARCH_MAX_OFFSET, &lim, res) ||
        api_facet_params(req, &q.category, &q.tag, res))
        return;
    q.offset = (unsigned int)lim;
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
        api_store_error(res, rc);
        return;
    }
    /* Written directly: this is the hot path of the busiest endpoint. */
    add_search_head(&b, q.q, &r);
    for (i = 0; i < r.n; i++) {
        const struct wenda_search_hit *h = &r.hits[i];

        wenda_buf_adds(&b, i ? ",{\"id\":" : "{\"id\":");
        add_int(&b, h->id);
        wenda_buf_adds(&b, ",\"slug\":");
        wenda_buf_add_json(&b, h->slug);
        wenda_buf_adds(&b, ",\"title\":");
        wenda_buf_add_json(&b, h->title);
        wenda_buf_adds(&b, ",\"title_html\":");
        wenda_buf_add_json(&b, h->title_html ? h->title_html : "");
        wenda_buf_adds(&b, ",\"title_en\":");
        wenda_buf_add_json(&b, h->title_en);
        wenda_buf_adds(&b, ",\"category\":");
        wenda_buf_add_json(&b, h->category);
        wenda_buf_adds(&b, ",\"score\":");
        add_score(&b, h->score);
        wenda_buf_adds(&b, ",\"snippet\":");
        wenda_buf_add_json(&b, h->snippet);
        wenda_buf_add(&b, "}", 1);
    }
    wenda_buf_adds(&b, "]}");
    api_reply_raw(res, 200, &b);
    wenda_search_result_cleanup(&r);
}

void
api_h_metrics(const struct api_request *req, const char *key,
              struct api_response *res)
{
    struct buf b = {0};

    (void)key;
    metrics_render(&b);
    if (req->cluster != NULL) {
        struct cluster_status st;

        cluster_status(req->cluster, &st);
        metrics_render_raft(&b, &st);
    }
    api_reply_raw(res, 200, &b);
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/*
 * The OpenAPI document of this API (service/openapi.json, compiled in).
 * Public even with --private: it describes the API and holds no data.
 */
void
api_h_openapi(const struct api_request *req, const char *key,
              struct api_response *res)
{
    struct buf b = {0};

    (void)req;
    (void)key;
    wenda_buf_add(&b, wenda_openapi_json, wenda_openapi_json_len);
    api_reply_raw(res, 200, &b);
}
