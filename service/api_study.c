/*
 * api_study.c -- what a learner uses besides the topics: related topics,
 * quizzes, reviews and the topics due for review.
 *
 * Related topics and quizzes are public reads like any other.  Progress
 * belongs to a token: a review needs one (reader is enough) and goes to
 * the writer like any write; the topics due are the calling token's.
 */
#include "api_int.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "wenda/content.h"
#include "wenda/render.h"
#include "wenda/search.h"
#include "wenda/store.h"

#define RELATED_MAX 20

void
api_h_related(const struct api_request *req, const char *key,
              struct api_response *res)
{
    struct wenda_search_result r;
    struct buf b = {0};
    long long lim = 5;
    int64_t id;
    enum wenda_err rc;
    size_t i;

    if (!api_topic_target(req, key, &id, res) ||
        api_int_param(req, "limit", 1, RELATED_MAX, &lim, res))
        return;
    rc = wenda_search_related(req->store, id, (unsigned int)lim, &r);
    if (rc != WENDA_OK) {
        api_store_error(res, rc);
        return;
    }
    wenda_buf_adds(&b, "{\"items\":[");
    for (i = 0; i < r.n; i++) {
        const struct wenda_search_hit *h = &r.hits[i];

        wenda_buf_addf(&b, "%s{\"id\":%lld,\"slug\":", i ? "," : "",
                       (long long)h->id);
        wenda_buf_add_json(&b, h->slug);
        wenda_buf_adds(&b, ",\"title\":");
        wenda_buf_add_json(&b, h->title);
        wenda_buf_adds(&b, ",\"title_en\":");
        wenda_buf_add_json(&b, h->title_en);
        wenda_buf_adds(&b, ",\"category\":");
        wenda_buf_add_json(&b, h->category);
        wenda_buf_add(&b, "}", 1);
    }
    wenda_buf_adds(&b, "]}");
    wenda_search_result_cleanup(&r);
    api_reply_raw(res, 200, &b);
}

#define QUIZ_MAX_COUNT 50
#define QUIZ_MAX_SEED 9007199254740991LL   /* 2^53 - 1: exact in JSON */

/*
 * Writes quiz item t to b: its question and where its answer is (href),
 * and with reveal the answer itself, in Markdown and HTML.
 */
static enum wenda_err
quiz_item(struct buf *b, const struct wenda_topic *t, int first, int reveal)
{
    char *html = NULL;
    enum wenda_err rc = WENDA_OK;

    wenda_buf_addf(b, "%s{\"id\":%lld,\"slug\":", first ? "" : ",",
                   (long long)t->id);
    wenda_buf_add_json(b, t->slug);
    wenda_buf_adds(b, ",\"question\":");
    wenda_buf_add_json(b, t->title);
    wenda_buf_adds(b, ",\"category\":");
    wenda_buf_add_json(b, t->category);
    wenda_buf_addf(b, ",\"href\":\"/v1/topics/%lld\"", (long long)t->id);
    if (reveal) {
        rc = wenda_render_markdown(t->answer, strlen(t->answer), &html,
                                   NULL);
        wenda_buf_adds(b, ",\"answer\":");
        wenda_buf_add_json(b, t->answer);
        wenda_buf_adds(b, ",\"answer_html\":");
        wenda_buf_add_json(b, html ? html : "");
        free(html);
    }
    wenda_buf_add(b, "}", 1);
    return rc;
}

/*
 * Reads the quiz's own parameters: count, seed (drawn when absent) and
 * reveal.  Returns 0, or -1 after answering 400.
 */
static int
quiz_params(const struct api_request *req, long long *count, uint64_t *seed,
            int *reveal, struct api_response *res)
{
    const char *seed_s, *reveal_s;
    long long v;

    if (api_int_param(req, "count", 1, QUIZ_MAX_COUNT, count, res) ||
        api_text_param(req, "seed", &seed_s, res) ||
        api_text_param(req, "reveal", &reveal_s, res))
        return -1;
    if (seed_s == NULL) {
        *seed = randombytes_random() & 0x7fffffff;
    } else if (api_parse_int(seed_s, 0, QUIZ_MAX_SEED, &v) != 0) {
        api_bad_param(res, "seed", "must be an integer from 0 to "
                      "9007199254740991");
        return -1;
    } else {
        *seed = (uint64_t)v;
    }
    *reveal = reveal_s != NULL && strcmp(reveal_s, "true") == 0;
    if (reveal_s != NULL && !*reveal && strcmp(reveal_s, "false") != 0) {
        api_bad_param(res, "reveal", "must be true or false");
        return -1;
    }
    return 0;
}

/*
 * GET /v1/quiz: count topics as questions (their titles), in an order that
 * depends only on seed, so that a learner can take the same quiz again;
 * without a seed one is drawn and returned.
 */
void
api_h_quiz(const struct api_request *req, const char *key,
           struct api_response *res)
{
    const char *category;
    long long count = 10;
    uint64_t seed;
    int64_t picked[QUIZ_MAX_COUNT];
    size_t np = 0, i;
    struct buf b = {0};
    enum wenda_err rc;
    int reveal;

    (void)key;
    if (quiz_params(req, &count, &seed, &reveal, res) ||
        api_facet_params(req, &category, NULL, res))
        return;
    rc = wenda_store_topic_sample(req->store, category, seed, (size_t)count,
                                  picked, &np);
    wenda_buf_addf(&b, "{\"seed\":%llu,\"items\":[", (unsigned long long)seed);
    for (i = 0; rc == WENDA_OK && i < np; i++) {
        struct wenda_topic t;

        rc = wenda_store_topic_get(req->store, picked[i], NULL, &t);
        if (rc != WENDA_OK)
            break;
        rc = quiz_item(&b, &t, i == 0, reveal);
        wenda_topic_cleanup(&t);
    }
    wenda_buf_adds(&b, "]}");
    if (rc != WENDA_OK) {
        wenda_buf_cleanup(&b);
        api_store_error(res, rc);
        return;
    }
    api_reply_raw(res, 200, &b);
}

/*
 * POST /v1/progress/{topic} {"grade": 0..5}: a review by the calling token
 * (reader is enough), scheduled with SM-2, written by the writer.
 */
void
api_h_review(const struct api_request *req, const char *key,
             struct api_response *res)
{
    struct wenda_token_info who;
    struct write_job *job;
    json_t *o, *g;
    int64_t id;

    if (!api_authorize(req, WENDA_ROLE_READER, res, &who) ||
        !api_topic_target(req, key, &id, res))
        return;
    o = api_body_json(req, "application/json", res);
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
    job = api_new_job(WRITE_PROGRESS, &who, res);
    if (job != NULL) {
        job->id = id;
        job->role = (int)json_integer_value(g);
        res->job = job;
    }
    json_decref(o);
}

#define DUE_MAX 100

/* GET /v1/progress/due: the calling token's topics due for review. */
void
api_h_due(const struct api_request *req, const char *key,
          struct api_response *res)
{
    struct wenda_token_info who;
    long long lim = 20;
    char *items = NULL;
    size_t n = 0;
    enum wenda_err rc;

    (void)key;
    if (!api_authorize(req, WENDA_ROLE_READER, res, &who) ||
        api_int_param(req, "limit", 1, DUE_MAX, &lim, res))
        return;
    rc = wenda_store_progress_due(req->store, who.id, (unsigned int)lim,
                                  &items, &n);
    api_reply_items(res, rc, items, n);
}
