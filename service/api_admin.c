/*
 * api_admin.c -- what an admin token may do: list, create and revoke
 * tokens, export every topic and import many at once, and see and change
 * the nodes of a cluster.
 *
 * Creating and revoking a token, an import, and adding or removing a
 * cluster's node are writes: they go to the writer as jobs, as a topic's
 * writes do (a node that is not the leader answers them 307).  An export
 * is no job: the I/O thread streams it from its own store, a page at a
 * time.
 */
#include "api_int.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cluster.h"
#include "wenda/content.h"
#include "wenda/store.h"

static long export_read(void *ctx, char *buf, size_t max);
static void export_free(void *ctx);

/* ---- tokens ------------------------------------------------------------- */

void
api_h_tokens(const struct api_request *req, const char *key,
             struct api_response *res)
{
    struct wenda_token_info *items = NULL;
    struct buf b = {0};
    size_t n = 0, i;
    enum wenda_err rc;

    (void)key;
    if (!api_authorize(req, WENDA_ROLE_ADMIN, res, NULL))
        return;
    rc = wenda_auth_token_list(req->store, &items, &n);
    if (rc != WENDA_OK) {
        api_store_error(res, rc);
        return;
    }
    /* Never the token, never its hash. */
    wenda_buf_adds(&b, "{\"items\":[");
    for (i = 0; i < n; i++) {
        const struct wenda_token_info *t = &items[i];

        wenda_buf_addf(&b, "%s{\"id\":%lld,\"name\":", i ? "," : "",
                       (long long)t->id);
        wenda_buf_add_json(&b, t->name);
        wenda_buf_addf(&b, ",\"role\":\"%s\",\"created_at\":",
                       wenda_auth_role_name(t->role));
        wenda_buf_add_json(&b, t->created_at);
        wenda_buf_adds(&b, ",\"expires_at\":");
        if (t->expires_at[0])
            wenda_buf_add_json(&b, t->expires_at);
        else
            wenda_buf_adds(&b, "null");
        wenda_buf_adds(&b, ",\"last_used_at\":");
        if (t->last_used_at[0])
            wenda_buf_add_json(&b, t->last_used_at);
        else
            wenda_buf_adds(&b, "null");
        wenda_buf_adds(&b, ",\"revoked_at\":");
        if (t->revoked_at[0])
            wenda_buf_add_json(&b, t->revoked_at);
        else
            wenda_buf_adds(&b, "null");
        wenda_buf_add(&b, "}", 1);
    }
    wenda_buf_adds(&b, "]}");
    wenda_auth_token_list_free(items);
    api_reply_raw(res, 200, &b);
}

void
api_h_token_create(const struct api_request *req, const char *key,
                   struct api_response *res)
{
    struct wenda_token_info who;
    struct write_job *job;
    const char *role, *name, *expires;
    int64_t seconds = 0;
    size_t known;
    json_t *o;

    (void)key;
    if (!api_authorize(req, WENDA_ROLE_ADMIN, res, &who))
        return;
    o = api_body_json(req, "application/json", res);
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
                    "characters without control characters", NULL);
    } else if (expires == NULL ||
               wenda_auth_parse_expiry(expires, &seconds) != WENDA_OK) {
        api_problem(res, WENDA_ERR_INVALID, "expires must be never, or a "
                    "number with d, h or m (30d, 12h, 90m)", NULL);
    } else if ((job = api_new_job(WRITE_TOKEN_CREATE, &who, res)) != NULL) {
        job->auth = req->auth;
        job->role = (int)wenda_auth_role_parse(role);
        (void)snprintf(job->token_name, sizeof(job->token_name), "%s", name);
        job->expires = seconds;
        res->job = job;
    }
    json_decref(o);
}

void
api_h_token_revoke(const struct api_request *req, const char *key,
                   struct api_response *res)
{
    struct wenda_token_info who;
    struct write_job *job;
    long long id;

    if (!api_authorize(req, WENDA_ROLE_ADMIN, res, &who))
        return;
    if (api_parse_int(key, 1, INT64_MAX, &id) != 0) {
        api_problem(res, WENDA_ERR_NOT_FOUND, "no such token", NULL);
        return;
    }
    job = api_new_job(WRITE_TOKEN_REVOKE, &who, res);
    if (job != NULL) {
        job->id = id;
        res->job = job;
    }
}

/* ---- export and import -------------------------------------------------- */

/*
 * GET /v1/export streams every topic as one line of NDJSON (what an import
 * reads back, the server's own fields -- id, version, updated_at,
 * answer_html -- being ignored there), a page of EXPORT_PAGE topics at a
 * time, read on the I/O thread as the client takes them, so that an
 * export of any size costs a page of memory.
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

void
api_h_export(const struct api_request *req, const char *key,
             struct api_response *res)
{
    struct export_state *e;

    (void)key;
    if (!api_authorize(req, WENDA_ROLE_ADMIN, res, NULL))
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
 * Reads the NDJSON line text[0..n), the line-th of the body, into *t and
 * adds its problems to p, each with its line: a line that is not JSON is
 * one problem, "not valid JSON: ...", and a topic otherwise valid whose
 * category no category has is one too.  Returns WENDA_OK (*t is then the
 * caller's), WENDA_ERR_PARSE, WENDA_ERR_INVALID or WENDA_ERR_NOMEM.
 */
static enum wenda_err
import_line(const struct api_request *req, const char *text, size_t n,
            size_t line, struct wenda_topic *t, struct wenda_problems *p)
{
    struct wenda_problems mine = {0};
    enum wenda_err rc = wenda_topic_read_line(text, n, t, &mine);
    size_t i;

    if (rc == WENDA_OK &&
        write_check_category(req->store, t->category, &mine)) {
        wenda_topic_cleanup(t);
        rc = WENDA_ERR_INVALID;
    }
    if (mine.nomem)
        rc = WENDA_ERR_NOMEM;
    for (i = 0; i < mine.n; i++) {
        size_t before = p->n;

        if (rc == WENDA_ERR_PARSE)
            wenda_problems_add(p, "", "not valid JSON: %s", mine.v[i].detail);
        else
            wenda_problems_add(p, mine.v[i].pointer, "%s", mine.v[i].detail);
        if (p->n > before)
            p->v[before].line = line;
    }
    p->more += mine.more;
    wenda_problems_cleanup(&mine);
    if (rc != WENDA_OK)
        wenda_topic_cleanup(t);
    return rc;
}

/*
 * Answers the problems p found in an import's body: 400, every one listed
 * with its line, malformed-document when a line was not JSON.
 */
static void
answer_import_problems(struct api_response *res, int parse,
                       const struct wenda_problems *p)
{
    if (p->nomem)
        api_problem(res, WENDA_ERR_NOMEM, NULL, NULL);
    else
        api_problem_list(res, parse ? WENDA_ERR_PARSE : WENDA_ERR_INVALID,
                         "import", p, 0);
}

/*
 * Reads an NDJSON body, one topic a line (the server's own fields, id,
 * version and updated_at, are ignored; blank lines are skipped), and hands
 * them to the writer as one job, with the line of each: all of them are
 * applied, or none.  Every problem of every line is listed, with its line;
 * what only the writer can tell, it tells.
 */
void
api_h_import(const struct api_request *req, const char *key,
             struct api_response *res)
{
    struct wenda_token_info who;
    struct wenda_problems problems = {0};
    struct write_job *job;
    const char *p, *end;
    size_t line = 0, cap = 0, lines_cap = 0;
    int parse = 0;

    (void)key;
    if (!api_authorize(req, WENDA_ROLE_ADMIN, res, &who))
        return;
    if (!api_content_type_is(req, "application/x-ndjson")) {
        api_problem(res, WENDA_ERR_MEDIA_TYPE, "the body must be "
                    "application/x-ndjson", NULL);
        return;
    }
    job = api_new_job(WRITE_IMPORT, &who, res);
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
        if (wenda_buf_reserve(&job->topics, &cap, job->ntopics,
                              sizeof(*job->topics), 64) != 0 ||
            wenda_buf_reserve(&job->lines, &lines_cap, job->ntopics,
                              sizeof(*job->lines), 64) != 0) {
            api_problem(res, WENDA_ERR_NOMEM, NULL, NULL);
            goto fail;
        }
        rc = import_line(req, p, n, line, &job->topics[job->ntopics],
                         &problems);
        p += n + 1;
        if (rc == WENDA_ERR_NOMEM) {
            api_problem(res, WENDA_ERR_NOMEM, NULL, NULL);
            goto fail;
        }
        parse |= rc == WENDA_ERR_PARSE;
        if (rc == WENDA_OK)
            job->lines[job->ntopics++] = line;
    }
    if (wenda_problems_count(&problems) > 0 || problems.nomem) {
        answer_import_problems(res, parse, &problems);
        goto fail;
    }
    if (job->ntopics == 0) {
        api_problem(res, WENDA_ERR_INVALID, "the body holds no topic", NULL);
        goto fail;
    }
    res->job = job;
    return;
fail:
    wenda_problems_cleanup(&problems);
    write_job_cleanup(job);
    free(job);
}

/* ---- the cluster -------------------------------------------------------- */

/*
 * Returns 1 on a cluster node; on a single server answers 404
 * not-a-cluster and returns 0.  Asked after the token is checked, as for
 * any admin path.
 */
static int
need_cluster(const struct api_request *req, struct api_response *res)
{
    if (req->cluster != NULL)
        return 1;
    api_problem(res, WENDA_ERR_NOT_A_CLUSTER, "this server runs alone, "
                "not as a node of a cluster (--cluster)", NULL);
    return 0;
}

void
api_h_cluster(const struct api_request *req, const char *key,
              struct api_response *res)
{
    struct cluster_status st;
    char *doc;

    (void)key;
    if (!api_authorize(req, WENDA_ROLE_ADMIN, res, NULL) ||
        !need_cluster(req, res))
        return;
    cluster_status(req->cluster, &st);
    doc = cluster_status_json(&st);
    if (doc == NULL) {
        api_problem(res, WENDA_ERR_NOMEM, NULL, NULL);
        return;
    }
    res->status = 200;
    res->content_type = "application/json; charset=utf-8";
    res->body = doc;
    res->len = strlen(doc);
}

/*
 * Checks the node of POST /v1/cluster/nodes, o, into job, adding a
 * problem to p for each member that is missing, unknown or not valid: id
 * 1 to 65535, address HOST:PORT as --raft-address takes it, url an http://
 * or https:// base URL as --advertise-url takes it.
 */
static void
check_node(json_t *o, struct write_job *job, struct wenda_problems *p)
{
    const json_t *id = json_object_get(o, "id");
    const char *address = json_string_value(json_object_get(o, "address"));
    const char *url = json_string_value(json_object_get(o, "url"));
    const char *k;
    json_t *v;
    char peer[CLUSTER_ADDRESS_CAP + 8], why[256];
    size_t n, skip, i;

    json_object_foreach(o, k, v) {
        if (strcmp(k, "id") != 0 && strcmp(k, "address") != 0 &&
            strcmp(k, "url") != 0)
            wenda_problems_add_member(p, "", k, "a node takes id, address "
                                      "and url only");
    }
    if (!json_is_integer(id) || json_integer_value(id) < 1 ||
        json_integer_value(id) > 65535)
        wenda_problems_add(p, "/id", "must be an integer from 1 to 65535");
    else
        job->id = json_integer_value(id);
    /* The address is checked as cluster.c checks a peer's. */
    if (address == NULL ||
        (size_t)snprintf(peer, sizeof(peer), "1=%s", address) >=
            sizeof(peer) ||
        strlen(address) >= sizeof(job->node_address) ||
        strchr(address, ',') != NULL ||
        cluster_peers_valid(peer, 0, why, sizeof(why)) != 0)
        wenda_problems_add(p, "/address", "must be the node's Raft "
                           "address, HOST:PORT, as its --raft-address");
    else
        (void)snprintf(job->node_address, sizeof(job->node_address), "%s",
                       address);
    n = url != NULL ? strlen(url) : 0;
    skip = url == NULL                        ? 0
           : strncmp(url, "https://", 8) == 0 ? 8
           : strncmp(url, "http://", 7) == 0  ? 7
                                               : 0;
    for (i = skip; skip > 0 && i < n; i++)
        if (!isalnum((unsigned char)url[i]) && url[i] != '.' &&
            url[i] != '-' && url[i] != ':' && url[i] != '[' && url[i] != ']')
            skip = 0;
    if (skip == 0 || n == skip || n >= sizeof(job->node_url))
        wenda_problems_add(p, "/url", "must be the node's base URL, "
                           "http:// or https:// with a host and port and "
                           "no path, as its --advertise-url");
    else
        (void)snprintf(job->node_url, sizeof(job->node_url), "%s", url);
}

/*
 * POST /v1/cluster/nodes: adds a node as a voter, once it runs with
 * --cluster and its own id and address (and no --peers).  Answered by the
 * writer as any write: 201 with the cluster's status, 307 from a
 * follower.
 */
void
api_h_cluster_add(const struct api_request *req, const char *key,
                  struct api_response *res)
{
    struct wenda_token_info who;
    struct wenda_problems problems = {0};
    struct write_job *job;
    json_t *o;

    (void)key;
    if (!api_authorize(req, WENDA_ROLE_ADMIN, res, &who) ||
        !need_cluster(req, res))
        return;
    o = api_body_json(req, "application/json", res);
    if (o == NULL)
        return;
    job = api_new_job(WRITE_CLUSTER_ADD, &who, res);
    if (job != NULL) {
        check_node(o, job, &problems);
        if (problems.nomem) {
            api_problem(res, WENDA_ERR_NOMEM, NULL, NULL);
        } else if (wenda_problems_count(&problems) > 0) {
            api_problem_list(res, WENDA_ERR_INVALID, "node", &problems, 1);
        } else {
            res->job = job;
            job = NULL;
        }
    }
    if (job != NULL) {
        write_job_cleanup(job);
        free(job);
    }
    wenda_problems_cleanup(&problems);
    json_decref(o);
}

/* DELETE /v1/cluster/nodes/{id}: takes a node out of the cluster. */
void
api_h_cluster_remove(const struct api_request *req, const char *key,
                     struct api_response *res)
{
    struct wenda_token_info who;
    struct write_job *job;
    long long id;

    if (!api_authorize(req, WENDA_ROLE_ADMIN, res, &who) ||
        !need_cluster(req, res))
        return;
    if (api_parse_int(key, 1, 65535, &id) != 0) {
        api_problem(res, WENDA_ERR_NOT_FOUND, "no such node: a node's id "
                    "is from 1 to 65535", NULL);
        return;
    }
    job = api_new_job(WRITE_CLUSTER_REMOVE, &who, res);
    if (job != NULL) {
        job->id = id;
        res->job = job;
    }
}
