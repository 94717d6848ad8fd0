/*
 * api_write.c -- topic writes (create, replace, patch, delete), the
 * history an editor reads, and the tools every write shares.
 *
 * A handler of a write checks everything it can without the database --
 * the token's role, the body, If-Match -- and hands the write to the single
 * writer as a struct write_job in res->job instead of answering; http.c
 * queues it, and api_write_answer() makes the answer once the writer is
 * done.  What only the database can tell (a taken slug, a stale If-Match)
 * the writer tells.
 */
#include "api_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "wenda/content.h"

static void submit_topic(const struct api_request *req, const char *key,
                         struct api_response *res, enum write_kind kind);

/* ---- the tools of a write ----------------------------------------------- */

int
api_content_type_is(const struct api_request *req, const char *type)
{
    const char *ct = req->header(req->arg_ctx, "Content-Type");
    size_t n = strlen(type);

    return ct != NULL && strncasecmp(ct, type, n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

json_t *
api_body_json(const struct api_request *req, const char *type,
              struct api_response *res)
{
    json_error_t err;
    json_t *o;
    char detail[200];

    if (!api_content_type_is(req, type)) {
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
        struct wenda_problems p = {0};

        json_decref(o);
        wenda_problems_add(&p, "", "the body must be a JSON object");
        if (p.n == 1)
            api_problem_list(res, WENDA_ERR_INVALID, "body", &p, 0);
        else
            api_problem(res, WENDA_ERR_NOMEM, NULL, NULL);
        wenda_problems_cleanup(&p);
        return NULL;
    }
    return o;
}

int
api_topic_target(const struct api_request *req, const char *key, int64_t *id,
                 struct api_response *res)
{
    long long v;

    if (key[0] >= '0' && key[0] <= '9') {
        if (api_parse_int(key, 1, INT64_MAX, &v) == 0) {
            *id = v;
            return 1;
        }
    } else if (wenda_slug_valid(key, WENDA_CONTENT_MAX_SLUG) &&
               wenda_store_topic_id(req->store, key, id) == WENDA_OK) {
        return 1;
    }
    api_problem(res, WENDA_ERR_NOT_FOUND, "no such topic", NULL);
    return 0;
}

struct write_job *
api_new_job(enum write_kind kind, const struct wenda_token_info *who,
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

/*
 * Answers a write sent to a follower: 307 to the same request at the
 * leader, whose base URL is leader, as the problem not-leader, with the
 * URL in Location, Wenda-Leader and the problem's "leader" member.  Not
 * knowing the leader's URL, it answers 503 no-leader.
 */
static void
answer_not_leader(const char *leader, const char *target,
                  struct api_response *res)
{
    struct buf url = {0};
    char detail[384];
    json_t *o;

    if (leader[0] == '\0') {
        api_problem(res, WENDA_ERR_NO_LEADER, "this node is not the leader "
                    "and knows no leader to send the write to", NULL);
        return;
    }
    wenda_buf_adds(&url, leader);
    if (target != NULL)
        wenda_buf_adds(&url, target);
    if (url.p == NULL) {
        api_problem(res, WENDA_ERR_NOMEM, NULL, NULL);
        return;
    }
    (void)snprintf(detail, sizeof(detail), "this node is not the leader; "
                   "send the write to the leader, %.256s", leader);
    o = api_problem_object(WENDA_ERR_NOT_LEADER, detail);
    if (o != NULL)
        json_object_set_new(o, "leader", json_string(leader));
    api_reply_problem(res, WENDA_ERR_NOT_LEADER, o);
    api_add_header(res, "Location", wenda_buf_take(&url, NULL));
    api_add_header(res, "Wenda-Leader", strdup(leader));
}

void
api_write_answer(struct write_job *job, const char *target,
                 struct api_response *res)
{
    const struct write_result *w = &job->result;
    char location[64], etag[WENDA_ETAG_SIZE];

    memset(res, 0, sizeof(*res));
    res->index = w->index;
    if (w->rc == WENDA_ERR_NOT_LEADER) {
        answer_not_leader(w->msg, target, res);
        return;
    }
    if (w->rc == WENDA_ERR_INVALID &&
        wenda_problems_count(&w->problems) > 0) {
        api_problem_list(res, w->rc, "topic", &w->problems, 0);
        return;
    }
    if (w->rc != WENDA_OK) {
        api_problem(res, w->rc,
                    w->msg[0] != '\0'               ? w->msg
                    : w->rc == WENDA_ERR_NOT_FOUND ? "no such topic"
                    : w->rc == WENDA_ERR_PRECONDITION &&
                            job->kind == WRITE_LEXICON
                        ? "If-Match does not name the document's current "
                          "version; fetch it again"
                    : w->rc == WENDA_ERR_PRECONDITION
                        ? "If-Match does not name the topic's current "
                          "version; fetch it again"
                        : NULL,
                    NULL);
        return;
    }
    res->content_type = "application/json; charset=utf-8";
    res->body = job->result.body;     /* moves to the answer */
    res->len = job->result.len;
    job->result.body = NULL;
    job->result.len = 0;
    res->status = job->kind == WRITE_DELETE ||
                          job->kind == WRITE_TOKEN_REVOKE ||
                          job->kind == WRITE_CLUSTER_REMOVE
                      ? 204
                  : job->kind == WRITE_CREATE ||
                          job->kind == WRITE_TOKEN_CREATE ||
                          job->kind == WRITE_CLUSTER_ADD
                      ? 201
                      : 200;
    if (res->status == 204) {
        /* No content, whatever the writer left. */
        free(res->body);
        res->body = NULL;
        res->len = 0;
    }
    if (job->kind == WRITE_CREATE) {
        (void)snprintf(location, sizeof(location), "/v1/topics/%lld",
                       (long long)job->id);
        api_add_header(res, "Location", strdup(location));
    }
    /* The tag a GET now gives, for the next If-Match: the answer of a
     * topic's or the lexicon's write is the document as now stored. */
    if ((job->kind == WRITE_LEXICON || job->kind == WRITE_CREATE ||
         job->kind == WRITE_REPLACE || job->kind == WRITE_PATCH) &&
        res->body != NULL) {
        wenda_etag(res->body, res->len, etag);
        api_add_header(res, "ETag", strdup(etag));
    }
}

/* ---- topic writes ------------------------------------------------------- */

int
api_need_if_match(const struct api_request *req, const char *what,
                  struct write_job *job, struct api_response *res)
{
    const char *p = req->header(req->arg_ctx, "If-Match");
    size_t used = 0, tags = 0;
    char detail[96];

    if (p == NULL) {
        (void)snprintf(detail, sizeof(detail), "this needs If-Match with "
                       "the %.16s's ETag (from a GET)", what);
        api_problem(res, WENDA_ERR_PRECONDITION_REQUIRED, detail, NULL);
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

/*
 * Reads the topic of a create or replace from the JSON object o into
 * job->topic.  Returns 1, or 0 after answering 400 with every problem of
 * the body, its category checked against the store too: one that no
 * category has is listed with the rest (the writer checks it again).
 */
static int
read_topic(const struct api_request *req, const json_t *o,
           struct write_job *job, struct api_response *res)
{
    struct wenda_problems p = {0};
    enum wenda_err rc = wenda_topic_read_json(o, &job->topic, &p);

    if (rc != WENDA_ERR_NOMEM)
        (void)write_check_category(
            req->store, json_string_value(json_object_get(o, "category")),
            &p);
    if (rc == WENDA_OK && p.nomem)
        rc = WENDA_ERR_NOMEM;
    if (rc == WENDA_OK && wenda_problems_count(&p) > 0)
        rc = WENDA_ERR_INVALID;
    if (rc == WENDA_ERR_INVALID)
        api_problem_list(res, rc, "topic", &p, 0);
    else if (rc != WENDA_OK)
        api_problem(res, rc, NULL, NULL);
    wenda_problems_cleanup(&p);
    return rc == WENDA_OK;
}

static void
submit_topic(const struct api_request *req, const char *key,
             struct api_response *res, enum write_kind kind)
{
    struct wenda_token_info who;
    struct write_job *job;
    json_t *o;
    int64_t id = 0;
    int ok;

    if (!api_authorize(req, WENDA_ROLE_EDITOR, res, &who))
        return;
    if (kind != WRITE_CREATE && !api_topic_target(req, key, &id, res))
        return;
    job = api_new_job(kind, &who, res);
    if (job == NULL)
        return;
    job->id = id;
    if (kind != WRITE_CREATE && !api_need_if_match(req, "topic", job, res))
        goto fail;
    if (kind == WRITE_DELETE) {
        res->job = job;
        return;
    }
    o = api_body_json(req, kind == WRITE_PATCH ? "application/merge-patch+json"
                                           : "application/json", res);
    if (o == NULL)
        goto fail;
    if (kind == WRITE_PATCH) {
        job->patch = o;
        res->job = job;
        return;
    }
    ok = read_topic(req, o, job, res);
    json_decref(o);
    if (!ok)
        goto fail;
    res->job = job;
    return;
fail:
    write_job_cleanup(job);
    free(job);
}

void
api_h_create(const struct api_request *req, const char *key,
             struct api_response *res)
{
    submit_topic(req, key, res, WRITE_CREATE);
}

void
api_h_replace(const struct api_request *req, const char *key,
              struct api_response *res)
{
    submit_topic(req, key, res, WRITE_REPLACE);
}

void
api_h_patch(const struct api_request *req, const char *key,
            struct api_response *res)
{
    submit_topic(req, key, res, WRITE_PATCH);
}

void
api_h_delete(const struct api_request *req, const char *key,
             struct api_response *res)
{
    submit_topic(req, key, res, WRITE_DELETE);
}

void
api_h_revisions(const struct api_request *req, const char *key,
                struct api_response *res)
{
    char *items = NULL;
    size_t n = 0;
    int64_t id;
    enum wenda_err rc;

    if (!api_authorize(req, WENDA_ROLE_EDITOR, res, NULL) ||
        !api_topic_target(req, key, &id, res))
        return;
    rc = wenda_store_revisions_json(req->store, id, &items, &n);
    api_reply_items(res, rc, items, n);
}
