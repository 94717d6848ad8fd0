/*
 * api_int.h -- what the API's files share and no other module calls.
 *
 * api.c routes a request to one handler, and gives every handler the same
 * few tools: the answer's body and headers, the checks of query
 * parameters, the token check.  api_write.c adds the tools of a write
 * (its JSON body, its target, its job for the writer), which the study
 * and admin handlers use too.  The handlers themselves live in
 * api_read.c, api_write.c, api_study.c, api_lexicon.c and api_admin.c,
 * one file per kind of endpoint; each is declared here for api.c's route
 * table.  api.h stays the face that http.c and the tests see.
 */
#ifndef WENDA_API_INT_H
#define WENDA_API_INT_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "writer.h"
#include "wenda/auth.h"

struct buf;

/* ---- api.c: responses ------------------------------------------------- */

/*
 * Adds header name (static storage) with value (malloc'ed; the response
 * takes it) to res.  A NULL value adds nothing; a header beyond
 * API_MAX_HEADERS is dropped and its value freed.
 */
void api_add_header(struct api_response *res, const char *name, char *value);

/*
 * Answers status with v, written as compact JSON.  Takes the reference to
 * v; a NULL v, or one that cannot be written, is answered 503 (out of
 * memory).
 */
void api_reply_json(struct api_response *res, unsigned int status,
                    json_t *v);

/*
 * Answers status with the bytes of b (JSON written elsewhere) as the body;
 * they move to res and b is left empty.
 */
void api_reply_raw(struct api_response *res, unsigned int status,
                   struct buf *b);

/*
 * Answers 200 {"items": ITEMS} with the JSON array items[0..n) a store
 * read gave (taken: freed here), or the problem of rc when that read
 * failed.
 */
void api_reply_items(struct api_response *res, enum wenda_err rc,
                     char *items, size_t n);

/*
 * Returns a new RFC 9457 problem object for rc with detail (the title
 * when NULL), its text cut before any byte that is not UTF-8, or NULL when
 * out of memory: for a problem with members of its own, which
 * api_reply_problem() then answers.
 */
json_t *api_problem_object(enum wenda_err rc, const char *detail);

/*
 * Answers the problem object o (taken; NULL: out of memory) with the
 * status of rc, and Retry-After: 1 on a 503 that a retry may cure.
 */
void api_reply_problem(struct api_response *res, enum wenda_err rc,
                       json_t *o);

/*
 * Answers 400 for query parameter param, which failed its check; why
 * completes the sentence "query parameter 'param' ...".
 */
void api_bad_param(struct api_response *res, const char *param,
                   const char *why);

/*
 * Answers a failure rc of the store, WENDA_ERR_NOT_FOUND as "no such
 * topic".
 */
void api_store_error(struct api_response *res, enum wenda_err rc);

/* ---- api.c: parameters ------------------------------------------------ */

/*
 * Parses s as a decimal integer from min to max (digits only, no sign).
 * Returns 0 with the value in *out, or -1 (*out unchanged).
 */
int api_parse_int(const char *s, long long min, long long max,
                  long long *out);

/*
 * Reads optional parameter name into *out (NULL when absent).  Returns 0,
 * or -1 after answering 400 when it is present but not valid UTF-8 text.
 */
int api_text_param(const struct api_request *req, const char *name,
                   const char **out, struct api_response *res);

/*
 * Reads the optional filters "category" and "tag" of a read into
 * *category and *tag (NULL when absent; tag may be NULL for a read that
 * takes no tag), as api_slug_param() does, and answers 404 naming one
 * that no category or topic has: a filter that matches nothing by its
 * name is a mistake, not an empty answer.  Returns 0, or -1 after
 * answering.
 */
int api_facet_params(const struct api_request *req, const char **category,
                     const char **tag, struct api_response *res);

/*
 * Reads an optional slug-shaped parameter (category, tag) of at most max
 * bytes into *out, as api_text_param() does, and answers 400 for one that
 * is not a slug.
 */
int api_slug_param(const struct api_request *req, const char *name,
                   size_t max, const char **out, struct api_response *res);

/*
 * Reads optional integer parameter name into *out, which keeps its value
 * when the parameter is absent.  Returns 0, or -1 after answering 400 when
 * it is not an integer from min to max.
 */
int api_int_param(const struct api_request *req, const char *name,
                  long long min, long long max, long long *out,
                  struct api_response *res);

/* ---- api.c: authorization --------------------------------------------- */

/*
 * Checks the request's bearer token for role need.  Returns 1 when it
 * passes (with the token described in *who, when not NULL); otherwise
 * answers 401 (no token, or not a valid one, with WWW-Authenticate) or
 * 403 (a valid token of a weaker role) and returns 0.  The token itself
 * never appears in an answer.
 */
int api_authorize(const struct api_request *req, enum wenda_role need,
                  struct api_response *res, struct wenda_token_info *who);

/* ---- api_write.c: the tools of a write -------------------------------- */

/* Returns 1 when the request's Content-Type is type (parameters aside). */
int api_content_type_is(const struct api_request *req, const char *type);

/*
 * Parses the body, of media type type, as one JSON object.  Returns a new
 * reference, or NULL after answering 400 (or 415 for another media type).
 */
json_t *api_body_json(const struct api_request *req, const char *type,
                      struct api_response *res);

/*
 * Resolves the {id} segment of a topic's path, key: all digits is an id
 * (which is not looked up: the write or read that follows says when there
 * is no such topic), anything else a slug, looked up in the request's
 * store.  Returns 1 with the id in *id, or 0 after answering 404.
 */
int api_topic_target(const struct api_request *req, const char *key,
                     int64_t *id, struct api_response *res);

/*
 * Reads If-Match (RFC 9110, section 13.1.1) into job->if_match as the
 * store takes it: "*", which any current version matches, or the strong
 * entity tags the header lists, joined by commas, each without the "-gz"
 * of a gzip answer's tag (it names the same version).  Weak tags (W/"...")
 * are left out: If-Match compares strongly, so they never match, and a
 * header of weak tags only is answered 412 by the writer.  Returns 1, or 0
 * after answering 428 when the header is missing (what names the
 * resource: "topic", "document"), 400 when it is neither "*" nor a list of
 * at most WRITE_IF_MATCH_MAX quoted tags.
 */
int api_need_if_match(const struct api_request *req, const char *what,
                      struct write_job *job, struct api_response *res);

/*
 * Returns a new job of kind for the writer, on behalf of token who (the
 * caller frees it with write_job_cleanup() and free(), unless it hands it
 * over in res->job), or NULL after answering 503.
 */
struct write_job *api_new_job(enum write_kind kind,
                              const struct wenda_token_info *who,
                              struct api_response *res);

/* ---- handlers --------------------------------------------------------- */

/*
 * A handler answers one method of one route into res; key is the path
 * segment that the route's "*" matched (meaningless for a route without
 * one).  A write hands its job over in res->job instead of answering.
 */

/* api_read.c: the public reads, and the service's own endpoints. */

/* GET / */
void api_h_index(const struct api_request *req, const char *key,
                 struct api_response *res);
/* GET /healthz */
void api_h_healthz(const struct api_request *req, const char *key,
                   struct api_response *res);
/* GET /readyz */
void api_h_readyz(const struct api_request *req, const char *key,
                  struct api_response *res);
/* GET /v1/topics */
void api_h_topics(const struct api_request *req, const char *key,
                  struct api_response *res);
/* GET /v1/topics/{id} */
void api_h_topic(const struct api_request *req, const char *key,
                 struct api_response *res);
/* GET /v1/categories */
void api_h_categories(const struct api_request *req, const char *key,
                      struct api_response *res);
/* GET /v1/tags */
void api_h_tags(const struct api_request *req, const char *key,
                struct api_response *res);
/* GET /v1/random */
void api_h_random(const struct api_request *req, const char *key,
                  struct api_response *res);
/* GET /v1/search */
void api_h_search(const struct api_request *req, const char *key,
                  struct api_response *res);
/* GET /metrics */
void api_h_metrics(const struct api_request *req, const char *key,
                   struct api_response *res);
/* GET /openapi.json */
void api_h_openapi(const struct api_request *req, const char *key,
                   struct api_response *res);

/* api_write.c: topic writes, and the history an editor reads. */

/* POST /v1/topics */
void api_h_create(const struct api_request *req, const char *key,
                  struct api_response *res);
/* PUT /v1/topics/{id} */
void api_h_replace(const struct api_request *req, const char *key,
                   struct api_response *res);
/* PATCH /v1/topics/{id} */
void api_h_patch(const struct api_request *req, const char *key,
                 struct api_response *res);
/* DELETE /v1/topics/{id} */
void api_h_delete(const struct api_request *req, const char *key,
                  struct api_response *res);
/* GET /v1/topics/{id}/revisions */
void api_h_revisions(const struct api_request *req, const char *key,
                     struct api_response *res);

/* api_study.c: related topics, quizzes and reviews. */

/* GET /v1/topics/{id}/related */
void api_h_related(const struct api_request *req, const char *key,
                   struct api_response *res);
/* GET /v1/quiz */
void api_h_quiz(const struct api_request *req, const char *key,
                struct api_response *res);
/* POST /v1/progress/{topic} */
void api_h_review(const struct api_request *req, const char *key,
                  struct api_response *res);
/* GET /v1/progress/due */
void api_h_due(const struct api_request *req, const char *key,
               struct api_response *res);

/* api_lexicon.c: what the editors teach search. */

/* GET /v1/synonyms */
void api_h_synonyms(const struct api_request *req, const char *key,
                    struct api_response *res);
/* PUT /v1/synonyms */
void api_h_synonyms_put(const struct api_request *req, const char *key,
                        struct api_response *res);
/* GET /v1/dictionary */
void api_h_dictionary(const struct api_request *req, const char *key,
                      struct api_response *res);
/* PUT /v1/dictionary */
void api_h_dictionary_put(const struct api_request *req, const char *key,
                          struct api_response *res);

/* api_admin.c: tokens, export and import, the cluster's nodes. */

/* GET /v1/tokens */
void api_h_tokens(const struct api_request *req, const char *key,
                  struct api_response *res);
/* POST /v1/tokens */
void api_h_token_create(const struct api_request *req, const char *key,
                        struct api_response *res);
/* DELETE /v1/tokens/{id} */
void api_h_token_revoke(const struct api_request *req, const char *key,
                        struct api_response *res);
/* GET /v1/export */
void api_h_export(const struct api_request *req, const char *key,
                  struct api_response *res);
/* POST /v1/import */
void api_h_import(const struct api_request *req, const char *key,
                  struct api_response *res);

/* GET /v1/cluster */
void api_h_cluster(const struct api_request *req, const char *key,
                   struct api_response *res);
/* POST /v1/cluster/nodes */
void api_h_cluster_add(const struct api_request *req, const char *key,
                       struct api_response *res);
/* DELETE /v1/cluster/nodes/{id} */
void api_h_cluster_remove(const struct api_request *req, const char *key,
                          struct api_response *res);

/* api_problem.c: what each problem type means. */

/* GET /problems/{name} */
void api_h_problem(const struct api_request *req, const char *key,
                   struct api_response *res);

#endif /* WENDA_API_INT_H */
