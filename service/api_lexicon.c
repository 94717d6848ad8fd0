/*
 * api_lexicon.c -- what the editors teach search: the synonyms and the
 * dictionary (see wenda/lexicon.h), each one JSON document read and
 * replaced whole.
 *
 * A read answers the document as stored, which the answer's ETag (a hash
 * of those bytes, as for a topic) names; a document never written is {}.
 * A replace goes the way of a topic's: an editor's token, If-Match, the
 * body checked whole here with the same checks as a content directory's
 * synonyms.yml and dictionary.yml (every problem is listed, each named by
 * its JSON pointer), then the writer, which checks If-Match against the
 * document it holds in the same transaction.  What is stored is the body as
 * checked, written again compact with its keys sorted, so that a GET
 * gives back exactly what was accepted whatever the spacing of the PUT.
 */
#include "api_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store_int.h"
#include "wenda/lexicon.h"

static void get_document(const struct api_request *req, const char *name,
                         struct api_response *res);
static enum wenda_err check_document(const struct api_request *req,
                                     const char *name, const json_t *o,
                                     char **doc, struct wenda_problems *p);
static void put_document(const struct api_request *req, const char *name,
                         struct api_response *res);

/* Answers the document name as stored. */
static void
get_document(const struct api_request *req, const char *name,
             struct api_response *res)
{
    struct buf b = {0};
    int64_t version;
    enum wenda_err rc = wenda_store_lexicon_get(req->store, name, &b.p,
                                                &version);

    if (rc != WENDA_OK) {
        api_store_error(res, rc);
        return;
    }
    b.n = strlen(b.p);
    api_reply_raw(res, 200, &b);
}

/*
 * Checks the document o of name with lexicon.c and writes it, as stored,
 * to *doc (new; the caller frees).  Returns WENDA_ERR_INVALID with every
 * problem in p, WENDA_ERR_INTERNAL when there is no tokenizer to check
 * the terms with, WENDA_ERR_NOMEM.
 */
static enum wenda_err
check_document(const struct api_request *req, const char *name,
               const json_t *o, char **doc, struct wenda_problems *p)
{
    struct wenda_lexicon lx = {0};
    struct wenda_tokenizer *tk;
    enum wenda_err rc;

    *doc = NULL;
    if (strcmp(name, "synonyms") == 0) {
        tk = wenda_store_tokenizer(req->store);
        rc = tk != NULL ? wenda_lexicon_read_synonyms(tk, o, &lx, p)
                        : WENDA_ERR_INTERNAL;
    } else {
        rc = wenda_lexicon_read_dictionary(o, &lx, p);
    }
    wenda_lexicon_cleanup(&lx);
    if (rc == WENDA_OK) {
        *doc = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        rc = *doc != NULL ? WENDA_OK : WENDA_ERR_NOMEM;
    }
    return rc;
}

/*
 * Hands the writer the replacement of document name: an editor's, with
 * If-Match, its body a document the checks accept.
 */
static void
put_document(const struct api_request *req, const char *name,
             struct api_response *res)
{
    struct wenda_token_info who;
    struct write_job *job;
    struct wenda_problems p = {0};
    enum wenda_err rc;
    json_t *o;

    if (!api_authorize(req, WENDA_ROLE_EDITOR, res, &who))
        return;
    job = api_new_job(WRITE_LEXICON, &who, res);
    if (job == NULL)
        return;
    job->lexicon = name;
    if (!api_need_if_match(req, "document", job, res))
        goto fail;
    o = api_body_json(req, "application/json", res);
    if (o == NULL)
        goto fail;
    rc = check_document(req, name, o, &job->doc, &p);
    json_decref(o);
    if (rc == WENDA_ERR_INVALID)
        api_problem_list(res, rc, "document", &p, 1);
    else if (rc != WENDA_OK)
        api_problem(res, rc, NULL, NULL);
    wenda_problems_cleanup(&p);
    if (rc != WENDA_OK)
        goto fail;
    res->job = job;
    return;
fail:
    write_job_cleanup(job);
    free(job);
}

void
api_h_synonyms(const struct api_request *req, const char *key,
               struct api_response *res)
{
    (void)key;
    get_document(req, "synonyms", res);
}

void
api_h_synonyms_put(const struct api_request *req, const char *key,
                   struct api_response *res)
{
    (void)key;
    put_document(req, "synonyms", res);
}

void
api_h_dictionary(const struct api_request *req, const char *key,
                 struct api_response *res)
{
    (void)key;
    get_document(req, "dictionary", res);
}

void
api_h_dictionary_put(const struct api_request *req, const char *key,
                     struct api_response *res)
{
    (void)key;
    put_document(req, "dictionary", res);
}
