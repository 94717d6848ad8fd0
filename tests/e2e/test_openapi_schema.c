/*
 * test_openapi_schema.c -- the bodies and headers of real answers held to
 * the schemas of the OpenAPI document the server serves.
 *
 * Each test starts the real binary, fetches GET /openapi.json from it and
 * sends a run of requests: every documented GET with the examples of its
 * parameters, query variants (search with hits, relaxed and corrected,
 * quiz, random, related, pages of topics), every write (a topic created,
 * replaced, patched and deleted with If-Match, a review, a token made and
 * revoked, the synonyms and the dictionary replaced, an import), and the
 * error answers (400, 401, 403, 404, 405, 409, 412, 415, 428).
 *
 * For each answer the test finds the operation (the path template the
 * request path fits, preferring literal segments, and the method), the
 * response the operation documents for the status (else its "4XX" range,
 * else "default"; a 405 of a method the path lacks is held to the 405 that
 * the path's operations document), the media type named by the answer's
 * Content-Type, and validates the body with tests/e2e/jschema.c: JSON
 * bodies parsed, NDJSON bodies line by line (each line must be JSON, and
 * is held to an "itemSchema" when the document gives one), any other body
 * as a string.  A response documented without content must come without a
 * body; every header documented as required must be there, and every
 * documented header that is there must fit its schema.
 *
 * Nothing stops at the first problem: each one is a cr_expect_fail() of
 * its own, naming the request, the status and what is wrong where, so one
 * run lists them all.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "harness.h"
#include "jschema.h"
#include "wenda/auth.h"

#define REF_CAP 1024

static struct wenda_server srv;
static json_t *doc;
static char admin[WENDA_TOKEN_LEN + 1], editor[WENDA_TOKEN_LEN + 1],
    reader[WENDA_TOKEN_LEN + 1];

/* One request of the run. */
struct req {
    const char *method;
    const char *path;           /* percent-encoded, with its query */
    const char *token;          /* Bearer token, or NULL for none */
    const char *type;           /* Content-Type, or NULL */
    const char *if_match;       /* If-Match, or NULL */
    const char *if_none_match;  /* If-None-Match, or NULL */
    const char *body;           /* sent when not NULL */
    long want;                  /* the status the request is meant to get,
                                   or 0 for any */
};

/* Fetches the document from the server (a new reference). */
static json_t *
fetch_doc(void)
{
    struct http_reply r;
    json_t *d;

    cr_assert_eq(http_request(&srv, "GET", "/openapi.json", NULL, NULL, 0,
                              &r), 0);
    cr_assert_eq(r.status, 200, "GET /openapi.json: %ld", r.status);
    d = http_json(&r);
    http_reply_cleanup(&r);
    return d;
}

static void
start(void)
{
    harness_start_or_fail(&srv, NULL);
    (void)harness_token(&srv, WENDA_ROLE_ADMIN, "schema-admin", admin);
    (void)harness_token(&srv, WENDA_ROLE_EDITOR, "schema-editor", editor);
    (void)harness_token(&srv, WENDA_ROLE_READER, "schema-reader", reader);
    doc = fetch_doc();
}

static void
stop(void)
{
    json_decref(doc);
    doc = NULL;
    harness_stop(&srv);
}

/* start() for a node of a cluster of one (see harness.h). */
static void
start_cluster(void)
{
    const char *const args[] = {"--read-wait", "100", NULL};

    harness_start_cluster_or_fail(&srv, args);
    (void)harness_token(&srv, WENDA_ROLE_ADMIN, "schema-admin", admin);
    (void)harness_token(&srv, WENDA_ROLE_EDITOR, "schema-editor", editor);
    doc = fetch_doc();
}

TestSuite(e2e_openapi_schema, .init = start, .fini = stop);
TestSuite(e2e_openapi_cluster, .init = start_cluster, .fini = stop);

/* ---- where in the document --------------------------------------------- */

/* Appends "/" and seg, escaped as a JSON pointer token, to ptr (REF_CAP). */
static void
ptr_add(char *ptr, const char *seg)
{
    size_t n = strlen(ptr);

    if (n + 1 < REF_CAP)
        ptr[n++] = '/';
    for (; *seg != '\0' && n + 3 < REF_CAP; seg++) {
        if (*seg == '~' || *seg == '/') {
            ptr[n++] = '~';
            ptr[n++] = *seg == '~' ? '0' : '1';
        } else {
            ptr[n++] = *seg;
        }
    }
    ptr[n] = '\0';
}

/*
 * Counts the literal segments of template tmpl when path (no query) fits
 * it, a "{name}" segment taking any non-empty one; -1 when it does not fit.
 */
static int
fits(const char *tmpl, const char *path, size_t plen)
{
    const char *end = path + plen;
    int literal = 0;

    while (*tmpl == '/' && path < end && *path == '/') {
        size_t t = strcspn(tmpl + 1, "/"), p = strcspn(path + 1, "/?");

        if (path + 1 + p > end)
            p = (size_t)(end - path - 1);
        if (tmpl[1] == '{' && tmpl[t] == '}') {
            if (p == 0)
                return -1;
        } else if (t != p || strncmp(tmpl + 1, path + 1, t) != 0) {
            return -1;
        } else {
            literal++;
        }
        tmpl += 1 + t;
        path += 1 + p;
    }
    return *tmpl == '\0' && path == end ? literal : -1;
}

/* The path template of the document that path fits best, or NULL. */
static const char *
find_template(const char *path)
{
    size_t plen = strcspn(path, "?");
    const char *tmpl, *best = NULL;
    int most = -1, n;
    json_t *item;

    json_object_foreach(json_object_get(doc, "paths"), tmpl, item) {
        n = fits(tmpl, path, plen);
        if (n > most) {
            most = n;
            best = tmpl;
        }
    }
    return best;
}

/*
 * The response object that the responses of an operation give status
 * (after a $ref), or NULL; where writes its place in the document (REF_CAP
 * bytes), starting from base, the responses object's own place.
 */
static json_t *
find_response(json_t *responses, const char *base, long status, char *where)
{
    char keys[3][24];
    const char *ref;
    json_t *resp = NULL;
    size_t i;

    (void)snprintf(keys[0], sizeof(keys[0]), "%ld", status);
    (void)snprintf(keys[1], sizeof(keys[1]), "%ldXX", status / 100);
    (void)snprintf(keys[2], sizeof(keys[2]), "default");
    for (i = 0; i < 3 && resp == NULL; i++) {
        resp = json_object_get(responses, keys[i]);
        if (resp != NULL) {
            (void)snprintf(where, REF_CAP, "%s", base);
            ptr_add(where, keys[i]);
        }
    }
    if (resp != NULL &&
        (ref = json_string_value(json_object_get(resp, "$ref"))) != NULL) {
        (void)snprintf(where, REF_CAP, "%s", ref);
        resp = jschema_resolve(doc, ref);
    }
    return resp;
}

/* ---- reporting ------------------------------------------------------------ */

/* What a failure names: the request and the status it got. */
struct seen {
    const char *method;
    const char *path;
    long status;
};

/* Reports each failure of errs (an array of strings), then frees errs. */
static void
report_all(const struct seen *s, const char *what, json_t *errs)
{
    json_t *e;
    size_t i;

    cr_expect_not_null(errs, "%s %s: the validator ran out of memory",
                       s->method, s->path);
    json_array_foreach(errs, i, e) {
        cr_expect_fail("%s %s -> %ld: %s %s", s->method, s->path, s->status,
                       what, json_string_value(e));
    }
    json_decref(errs);
}

/* ---- bodies and headers ---------------------------------------------------- */

/* Writes the media type of a Content-Type value, lower case, without its
 * parameters or blanks, into out (cap bytes). */
static void
essence(const char *type, char *out, size_t cap)
{
    size_t n = 0;

    for (; *type != '\0' && *type != ';' && n + 1 < cap; type++) {
        if (!isspace((unsigned char)*type))
            out[n++] = (char)tolower((unsigned char)*type);
    }
    out[n] = '\0';
}

/* The media type object of content for Content-Type type: the one of its
 * media type, else of its type's range ("text" + "/" + "*"), else of any
 * type; its key in *key; NULL when none fits. */
static json_t *
find_media(json_t *content, const char *type, const char **key)
{
    char want[128], have[128];
    json_t *media, *range = NULL, *any = NULL;
    const char *k, *range_key = NULL, *any_key = NULL;
    size_t slash;

    essence(type, want, sizeof(want));
    slash = strcspn(want, "/");
    json_object_foreach(content, k, media) {
        essence(k, have, sizeof(have));
        if (strcmp(have, want) == 0) {
            *key = k;
            return media;
        }
        if (strcmp(have, "*/*") == 0) {
            any = media;
            any_key = k;
        } else if (strncmp(have, want, slash + 1) == 0 &&
                   strcmp(have + slash + 1, "*") == 0) {
            range = media;
            range_key = k;
        }
    }
    *key = range != NULL ? range_key : any_key;
    return range != NULL ? range : any;
}

/* 1 when the media type of type is JSON (application/json or +json). */
static int
is_json(const char *type)
{
    char e[128];
    size_t n;

    essence(type, e, sizeof(e));
    n = strlen(e);
    return strcmp(e, "application/json") == 0 ||
           (n > 5 && strcmp(e + n - 5, "+json") == 0);
}

/* Holds each line of an NDJSON body to be JSON and, when the document
 * gives one, to the itemSchema at where. */
static void
check_ndjson(const struct seen *s, const struct http_reply *r, json_t *item,
             const char *where)
{
    const char *p = r->body, *end = r->body + r->len;
    size_t line = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        json_error_t err;
        json_t *v;
        char what[48];

        line++;
        (void)snprintf(what, sizeof(what), "line %zu of the body:", line);
        v = n > 0 ? json_loadb(p, n, JSON_DECODE_ANY, &err) : NULL;
        if (n > 0 && v == NULL)
            cr_expect_fail("%s %s -> %ld: %s not JSON: %s", s->method,
                           s->path, s->status, what, err.text);
        if (v != NULL && item != NULL)
            report_all(s, what, jschema_validate(doc, item, where, v));
        json_decref(v);
        p += n + 1;
    }
}

/* Holds the body of r to the media type object media at where. */
static void
check_media(const struct seen *s, const struct http_reply *r,
            const char *type, json_t *media, const char *where)
{
    json_t *schema = json_object_get(media, "schema"), *body;
    char at[REF_CAP], e[128];
    json_error_t err;

    (void)snprintf(at, sizeof(at), "%s", where);
    ptr_add(at, "schema");
    essence(type, e, sizeof(e));
    if (strcmp(e, "application/x-ndjson") == 0) {
        char item_at[REF_CAP];

        (void)snprintf(item_at, sizeof(item_at), "%s", where);
        ptr_add(item_at, "itemSchema");
        check_ndjson(s, r, json_object_get(media, "itemSchema"), item_at);
    }
    if (is_json(type)) {
        body = json_loadb(r->body, r->len, JSON_DECODE_ANY, &err);
        if (body == NULL) {
            cr_expect_fail("%s %s -> %ld: the %s body is not JSON: %s",
                           s->method, s->path, s->status, e, err.text);
            return;
        }
    } else if ((body = json_stringn(r->body, r->len)) == NULL) {
        cr_expect_fail("%s %s -> %ld: the %s body is not UTF-8 text",
                       s->method, s->path, s->status, e);
        return;
    }
    if (schema != NULL)
        report_all(s, "body", jschema_validate(doc, schema, at, body));
    json_decref(body);
}

/* Holds the body of r to the documented response resp at where. */
static void
check_body(const struct seen *s, const struct http_reply *r, json_t *resp,
           const char *where)
{
    json_t *content = json_object_get(resp, "content"), *media;
    const char *type = http_header(r, "Content-Type"), *key = NULL;
    char at[REF_CAP];

    if (json_object_size(content) == 0) {
        if (r->len > 0)
            cr_expect_fail("%s %s -> %ld: a body of %zu bytes (%s) where the "
                           "document gives none [%s]", s->method, s->path,
                           s->status, r->len, type ? type : "no type",
                           where);
        return;
    }
    if (type == NULL) {
        cr_expect_fail("%s %s -> %ld: no Content-Type, and the document "
                       "gives content [%s]", s->method, s->path, s->status,
                       where);
        return;
    }
    media = find_media(content, type, &key);
    if (media == NULL) {
        cr_expect_fail("%s %s -> %ld: Content-Type %s is none of the media "
                       "types documented [%s/content]", s->method, s->path,
                       s->status, type, where);
        return;
    }
    (void)snprintf(at, sizeof(at), "%s", where);
    ptr_add(at, "content");
    ptr_add(at, key);
    check_media(s, r, type, media, at);
}

/* The value of a header as its schema reads it: a number when the schema
 * says integer or number and the value is one, else a string. */
static json_t *
header_value(json_t *schema, const char *value)
{
    const char *ref = json_string_value(json_object_get(schema, "$ref"));
    const char *type;
    json_t *v;

    if (ref != NULL)
        schema = jschema_resolve(doc, ref);
    type = json_string_value(json_object_get(schema, "type"));
    if (type != NULL &&
        (strcmp(type, "integer") == 0 || strcmp(type, "number") == 0) &&
        (v = json_loads(value, JSON_DECODE_ANY, NULL)) != NULL) {
        if (json_is_number(v))
            return v;
        json_decref(v);
    }
    return json_string(value);
}

/* Holds the headers of r to those resp documents at where: the required
 * ones there, and each one there fitting its schema. */
static void
check_headers(const struct seen *s, const struct http_reply *r, json_t *resp,
              const char *where)
{
    const char *name, *value, *ref;
    json_t *h;
    char at[REF_CAP], what[96];

    json_object_foreach(json_object_get(resp, "headers"), name, h) {
        (void)snprintf(at, sizeof(at), "%s", where);
        ptr_add(at, "headers");
        ptr_add(at, name);
        if ((ref = json_string_value(json_object_get(h, "$ref"))) != NULL) {
            (void)snprintf(at, sizeof(at), "%s", ref);
            h = jschema_resolve(doc, ref);
        }
        /* OpenAPI: a Content-Type described here is ignored. */
        if (h == NULL || strcasecmp(name, "Content-Type") == 0)
            continue;
        value = http_header(r, name);
        if (value == NULL) {
            if (json_is_true(json_object_get(h, "required")))
                cr_expect_fail("%s %s -> %ld: no %s header, which the "
                               "document requires [%s]", s->method, s->path,
                               s->status, name, at);
            continue;
        }
        if (json_object_get(h, "schema") != NULL) {
            json_t *v = header_value(json_object_get(h, "schema"), value);

            ptr_add(at, "schema");
            (void)snprintf(what, sizeof(what), "header %s:", name);
            report_all(s, what,
                       jschema_validate(doc, json_object_get(h, "schema"),
                                        at, v));
            json_decref(v);
        }
    }
}

/* ---- one exchange ------------------------------------------------------------ */

/*
 * The response object documented for method on template tmpl (item) and
 * status, its place in where; NULL after reporting why there is none.
 */
static json_t *
documented(const struct seen *s, const char *tmpl, json_t *item,
           char *where)
{
    char lower[8], base[REF_CAP] = "#/paths";
    const char *m;
    json_t *op, *resp;
    size_t k;

    for (k = 0; s->method[k] != '\0' && k + 1 < sizeof(lower); k++)
        lower[k] = (char)tolower((unsigned char)s->method[k]);
    lower[k] = '\0';
    ptr_add(base, tmpl);
    op = json_object_get(item, lower);
    if (op == NULL && s->status == 405) {
        /* No operation to ask: the 405 any operation of the path gives. */
        json_t *other;

        json_object_foreach(item, m, other) {
            if (json_object_get(json_object_get(other, "responses"),
                                "405") != NULL) {
                op = other;
                (void)snprintf(lower, sizeof(lower), "%s", m);
                break;
            }
        }
    }
    if (op == NULL) {
        cr_expect_fail("%s %s -> %ld: %s documents no %s", s->method,
                       s->path, s->status, tmpl, s->method);
        return NULL;
    }
    ptr_add(base, lower);
    ptr_add(base, "responses");
    resp = find_response(json_object_get(op, "responses"), base, s->status,
                         where);
    if (resp == NULL)
        cr_expect_fail("%s %s -> %ld: the document gives %s %s no response "
                       "for %ld [%s]", s->method, s->path, s->status,
                       s->method, tmpl, s->status, base);
    return resp;
}

/* Holds the answer r to method path to the document. */
static void
conform(const char *method, const char *path, const struct http_reply *r)
{
    struct seen s = {method, path, r->status};
    const char *tmpl = find_template(path);
    char where[REF_CAP];
    json_t *resp;

    if (tmpl == NULL) {
        cr_expect_fail("%s %s -> %ld: no documented path fits", method, path,
                       r->status);
        return;
    }
    resp = documented(&s, tmpl, json_object_get(json_object_get(doc, "paths"),
                                                 tmpl), where);
    if (resp == NULL)
        return;
    check_headers(&s, r, resp, where);
    check_body(&s, r, resp, where);
}

/*
 * Sends q, holds the status to q->want and the answer to the document, and
 * leaves the answer in *r for the caller to read and clean up.
 */
static void
ask(const struct req *q, struct http_reply *r)
{
    char auth[128], ct[96], im[128], inm[128];
    const char *h[5];
    int n = 0;

    if (q->token != NULL) {
        (void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
                       q->token);
        h[n++] = auth;
    }
    if (q->type != NULL) {
        (void)snprintf(ct, sizeof(ct), "Content-Type: %s", q->type);
        h[n++] = ct;
    }
    if (q->if_match != NULL) {
        (void)snprintf(im, sizeof(im), "If-Match: %s", q->if_match);
        h[n++] = im;
    }
    if (q->if_none_match != NULL) {
        (void)snprintf(inm, sizeof(inm), "If-None-Match: %s",
                       q->if_none_match);
        h[n++] = inm;
    }
    h[n] = NULL;
    cr_assert_eq(http_request(&srv, q->method, q->path, h, q->body,
                              q->body != NULL ? strlen(q->body) : 0, r),
                 0, "%s %s: no answer", q->method, q->path);
    cr_expect(q->want == 0 || r->status == q->want, "%s %s: %ld, where the test meant to "
                 "get %ld: %.*s", q->method, q->path, r->status, q->want,
                 (int)(r->len < 300 ? r->len : 300), r->body);
    conform(q->method, q->path, r);
}

/* ask() when the caller needs nothing of the answer. */
static void
ask_only(const struct req *q)
{
    struct http_reply r;

    ask(q, &r);
    http_reply_cleanup(&r);
}

/* ask() of a GET with token that returns the answer's ETag (into etag,
 * 128 bytes; "" when there is none) and its body parsed (a new reference,
 * or NULL). */
static json_t *
get_etag(const char *path, const char *token, char *etag)
{
    struct http_reply r;
    json_t *body;

    ask(&(struct req){.method = "GET", .path = path, .token = token,
                      .want = 200}, &r);
    (void)snprintf(etag, 128, "%s", http_header_or_empty(&r, "ETag"));
    body = json_loadb(r.body, r.len, JSON_DECODE_ANY, NULL);
    http_reply_cleanup(&r);
    return body;
}

/* ---- every documented GET ------------------------------------------------------ */

/* The example of parameter p (after a $ref) as query or path text into
 * out (cap bytes), percent-encoded; 0 when it has none. */
static int
example_of(json_t *p, char *out, size_t cap)
{
    json_t *ex = json_object_get(p, "example"), *first;
    const char *k, *s;
    char raw[256];
    size_t n = 0;

    if (ex == NULL) {
        json_object_foreach(json_object_get(p, "examples"), k, first) {
            ex = json_object_get(first, "value");
            break;
        }
    }
    if (json_is_integer(ex))
        (void)snprintf(raw, sizeof(raw), "%lld",
                       (long long)json_integer_value(ex));
    else if (json_is_string(ex))
        (void)snprintf(raw, sizeof(raw), "%s", json_string_value(ex));
    else
        return 0;
    for (s = raw; *s != '\0' && n + 4 < cap; s++) {
        if (isalnum((unsigned char)*s) || strchr("-._~", *s) != NULL)
            out[n++] = *s;
        else
            n += (size_t)snprintf(out + n, cap - n, "%%%02X",
                                  (unsigned char)*s);
    }
    out[n] = '\0';
    return 1;
}

/* Writes the request path of GET op on tmpl into out (cap bytes): each
 * {name} its example, and each required query parameter with its. */
static void
example_path(const char *tmpl, json_t *op, char *out, size_t cap)
{
    char ex[256];
    const char *name, *in, *ref;
    json_t *p;
    size_t i, n = 0;

    (void)snprintf(out, cap, "%s", tmpl);
    json_array_foreach(json_object_get(op, "parameters"), i, p) {
        if ((ref = json_string_value(json_object_get(p, "$ref"))) != NULL)
            p = jschema_resolve(doc, ref);
        name = json_string_value(json_object_get(p, "name"));
        in = json_string_value(json_object_get(p, "in"));
        if (name == NULL || in == NULL || !example_of(p, ex, sizeof(ex)))
            continue;
        if (strcmp(in, "path") == 0) {
            char pat[80], *at, rest[512];

            (void)snprintf(pat, sizeof(pat), "{%s}", name);
            if ((at = strstr(out, pat)) == NULL)
                continue;
            (void)snprintf(rest, sizeof(rest), "%s", at + strlen(pat));
            (void)snprintf(at, cap - (size_t)(at - out), "%s%s", ex, rest);
        } else if (strcmp(in, "query") == 0 &&
                   json_is_true(json_object_get(p, "required"))) {
            n = strlen(out);
            (void)snprintf(out + n, cap - n, "%c%s=%s",
                           strchr(out, '?') ? '&' : '?', name, ex);
        }
    }
}

/* 1 when GET tmpl answers differently each time. */
static int
varies(const char *tmpl)
{
    return strcmp(tmpl, "/metrics") == 0 || strcmp(tmpl, "/v1/quiz") == 0 ||
           strcmp(tmpl, "/v1/random") == 0;
}

Test(e2e_openapi_schema, answers_every_documented_get_as_documented)
{
    const char *tmpl;
    json_t *item, *op;
    char path[512], etag[128];
    int gets = 0;

    json_object_foreach(json_object_get(doc, "paths"), tmpl, item) {
        if ((op = json_object_get(item, "get")) == NULL)
            continue;
        example_path(tmpl, op, path, sizeof(path));
        cr_expect_null(strchr(path, '{'), "%s: no example for %s", tmpl,
                       path);
        /* A single server is no cluster: documented as 404. */
        if (strncmp(tmpl, "/v1/cluster", 11) == 0) {
            ask_only(&(struct req){.method = "GET", .path = path,
                                   .token = admin, .want = 404});
            gets++;
            continue;
        }
        /* An admin may read everything: each GET answers 200. */
        json_decref(get_etag(path, admin, etag));
        gets++;
        if (etag[0] == '\0')
            continue;
        /* Asked again with its ETag: 304, but for what changes between
         * two asks (counters, a quiz of a fresh seed, a random topic). */
        ask_only(&(struct req){.method = "GET", .path = path,
                               .token = admin, .if_none_match = etag,
                               .want = varies(tmpl) ? 0 : 304});
    }
    cr_expect_gt(gets, 10, "only %d documented GETs", gets);
}

/* ---- reads with their variants ------------------------------------------------- */

/* GETs path as the reader of no token, for 200. */
static void
read_ok(const char *path)
{
    ask_only(&(struct req){.method = "GET", .path = path, .want = 200});
}

Test(e2e_openapi_schema, answers_read_variants_as_documented)
{
    static const char *const paths[] = {
        "/v1/topics?limit=3",
        "/v1/topics?category=concurrency&tag=concurrency",
        "/v1/topics?corrected=true",
        "/v1/topics?corrected=false&limit=100",
        "/v1/topics/deadlock",
        "/v1/topics/35",
        "/v1/search?q=%E6%AD%BB%E9%94%81",                 /* 死锁: hits */
        "/v1/search?q=%E6%AD%BB%E9%94%81%20zzzqqq",       /* relaxed */
        "/v1/search?q=%E6%AD%BB%E7%90%90",                 /* 死琐: corrected */
        "/v1/search?q=zzzqqqxx",                           /* nothing */
        "/v1/search?q=gil&limit=2&offset=1",
        "/v1/search?q=thread&category=concurrency",
        "/v1/search?q=python&tag=python&limit=50",
        "/v1/quiz",
        "/v1/quiz?count=3&seed=42",
        "/v1/quiz?category=concurrency&count=50",
        "/v1/quiz?count=2&seed=7&reveal=true",
        "/v1/topics/deadlock/related?limit=3",
        "/v1/random",
        "/v1/random?category=http",
        "/v1/topics/35/related",
        "/v1/topics/28/related?limit=20",
        "/v1/categories",
        "/v1/tags",
        "/v1/synonyms",
        "/v1/dictionary",
        "/healthz",
        "/readyz",
        "/",
    };
    struct http_reply r;
    json_t *page;
    const char *next;
    char path[256];
    size_t i;

    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        read_ok(paths[i]);

    /* The second page, by the cursor the first one gave. */
    ask(&(struct req){.method = "GET", .path = "/v1/topics?limit=5",
                      .want = 200}, &r);
    page = json_loadb(r.body, r.len, 0, NULL);
    http_reply_cleanup(&r);
    next = json_string_value(json_object_get(page, "next"));
    cr_assert_not_null(next, "the first page of five gives no next");
    (void)snprintf(path, sizeof(path), "/v1/topics?limit=5&cursor=%s", next);
    read_ok(path);
    json_decref(page);
}

/* ---- writes ----------------------------------------------------------------------- */

static const char topic_json[] =
    "{\"slug\":\"schema-check\",\"title\":\"模式检查\",\"title_en\":"
    "\"Schema check\",\"category\":\"tools\",\"tags\":[\"testing\"],"
    "\"aliases\":[\"schema\"],\"answer\":\"回答 **加粗**\","
    "\"corrections\":[{\"says\":\"a\",\"right\":\"b\",\"why\":\"c\","
    "\"source\":\"d\"}]}";

/* Creates topic_json and returns its path /v1/topics/ID (into path, 64
 * bytes) and its ETag (into etag, 128 bytes). */
static void
create_topic(char *path, char *etag)
{
    struct http_reply r;
    json_t *t;

    ask(&(struct req){.method = "POST", .path = "/v1/topics",
                      .token = editor, .type = "application/json",
                      .body = topic_json, .want = 201}, &r);
    t = json_loadb(r.body, r.len, 0, NULL);
    cr_assert_not_null(t, "POST /v1/topics: %.*s", (int)r.len, r.body);
    (void)snprintf(path, 64, "/v1/topics/%lld",
                   (long long)json_integer_value(json_object_get(t, "id")));
    json_decref(t);
    http_reply_cleanup(&r);
    json_decref(get_etag(path, NULL, etag));
}

/* Replaces, patches and deletes the topic at path, whose ETag is etag,
 * reviewing it and reading its revisions on the way. */
static void
edit_topic(const char *path, char *etag)
{
    char sub[96];
    const char *id = path + strlen("/v1/topics/");

    ask_only(&(struct req){.method = "PUT", .path = path, .token = editor,
                           .type = "application/json", .if_match = etag,
                           .body = topic_json, .want = 200});
    json_decref(get_etag(path, NULL, etag));
    ask_only(&(struct req){.method = "PATCH", .path = path, .token = editor,
                           .type = "application/merge-patch+json",
                           .if_match = etag,
                           .body = "{\"title_en\":\"Patched\",\"order\":7}",
                           .want = 200});
    (void)snprintf(sub, sizeof(sub), "/v1/progress/%s", id);
    ask_only(&(struct req){.method = "POST", .path = sub, .token = reader,
                           .type = "application/json",
                           .body = "{\"grade\":4}", .want = 200});
    ask_only(&(struct req){.method = "GET", .path = "/v1/progress/due",
                           .token = reader, .want = 200});
    ask_only(&(struct req){.method = "GET",
                           .path = "/v1/progress/due?limit=1",
                           .token = reader, .want = 200});
    (void)snprintf(sub, sizeof(sub), "%s/revisions", path);
    ask_only(&(struct req){.method = "GET", .path = sub, .token = editor,
                           .want = 200});
    (void)snprintf(sub, sizeof(sub), "%s/related?limit=2", path);
    read_ok(sub);
    json_decref(get_etag(path, NULL, etag));
    ask_only(&(struct req){.method = "DELETE", .path = path, .token = editor,
                           .if_match = etag, .want = 204});
    (void)snprintf(sub, sizeof(sub), "%s/revisions", path);
    ask_only(&(struct req){.method = "GET", .path = sub, .token = editor,
                           .want = 200});
}

Test(e2e_openapi_schema, answers_topic_writes_as_documented)
{
    char path[64], etag[128];

    create_topic(path, etag);
    edit_topic(path, etag);
}

/* PUTs back the document of path (synonyms or dictionary) as it was. */
static void
rewrite(const char *path)
{
    char etag[128];
    json_t *body = get_etag(path, NULL, etag);
    char *text = json_dumps(body, JSON_COMPACT);

    cr_assert_not_null(text);
    ask_only(&(struct req){.method = "PUT", .path = path, .token = editor,
                           .type = "application/json", .if_match = etag,
                           .body = text, .want = 200});
    free(text);
    json_decref(body);
}

Test(e2e_openapi_schema, answers_admin_and_lexicon_writes_as_documented)
{
    struct http_reply r;
    json_t *t;
    char path[64], *line;
    size_t n;

    ask(&(struct req){.method = "POST", .path = "/v1/tokens", .token = admin,
                      .type = "application/json",
                      .body = "{\"role\":\"reader\",\"name\":\"schema-new\","
                              "\"expires\":\"30d\"}",
                      .want = 201}, &r);
    t = json_loadb(r.body, r.len, 0, NULL);
    http_reply_cleanup(&r);
    (void)snprintf(path, sizeof(path), "/v1/tokens/%lld",
                   (long long)json_integer_value(json_object_get(t, "id")));
    json_decref(t);
    ask_only(&(struct req){.method = "GET", .path = "/v1/tokens",
                           .token = admin, .want = 200});
    ask_only(&(struct req){.method = "DELETE", .path = path, .token = admin,
                           .want = 204});
    /* Now with a revoked token, and every token used once. */
    ask_only(&(struct req){.method = "GET", .path = "/v1/tokens",
                           .token = admin, .want = 200});
    rewrite("/v1/synonyms");
    rewrite("/v1/dictionary");

    /* An import of the first line of the export. */
    ask(&(struct req){.method = "GET", .path = "/v1/export", .token = admin,
                      .want = 200}, &r);
    n = strcspn(r.body, "\n");
    line = malloc(n + 1);
    cr_assert_not_null(line);
    memcpy(line, r.body, n);
    line[n] = '\0';
    http_reply_cleanup(&r);
    ask_only(&(struct req){.method = "POST", .path = "/v1/import",
                           .token = admin, .type = "application/x-ndjson",
                           .body = line, .want = 200});
    free(line);
}

/* ---- errors ------------------------------------------------------------------------ */

Test(e2e_openapi_schema, answers_errors_as_documented)
{
    static const struct req errors[] = {
        {"GET", "/v1/topics?limit=0", NULL, NULL, NULL, NULL, NULL, 400},
        {"GET", "/v1/topics?cursor=garbage", NULL, NULL, NULL, NULL, NULL,
         400},
        {"GET", "/v1/search?q=", NULL, NULL, NULL, NULL, NULL, 400},
        {"GET", "/v1/search?q=gil&limit=51", NULL, NULL, NULL, NULL, NULL,
         400},
        {"GET", "/v1/quiz?count=999", NULL, NULL, NULL, NULL, NULL, 400},
        {"GET", "/v1/topics?categroy=http", NULL, NULL, NULL, NULL, NULL,
         400},
        {"GET", "/v1/search?q=gil&tag=no-such-tag", NULL, NULL, NULL, NULL,
         NULL, 404},
        {"GET", "/v1/quiz?category=no-such", NULL, NULL, NULL, NULL, NULL,
         404},
        {"GET", "/v1/random?category=BAD%21", NULL, NULL, NULL, NULL, NULL,
         400},
        {"GET", "/v1/topics/35/related?limit=0", NULL, NULL, NULL, NULL,
         NULL, 400},
        {"GET", "/v1/tokens", NULL, NULL, NULL, NULL, NULL, 401},
        {"GET", "/v1/progress/due", NULL, NULL, NULL, NULL, NULL, 401},
        {"GET", "/v1/tokens", "wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
         NULL, NULL, NULL, NULL, 401},
        {"GET", "/v1/topics/404404", NULL, NULL, NULL, NULL, NULL, 404},
        {"GET", "/v1/topics/no-such-topic", NULL, NULL, NULL, NULL, NULL,
         404},
        {"GET", "/v1/topics/404404/related", NULL, NULL, NULL, NULL, NULL,
         404},
        {"GET", "/v1/random?category=nope", NULL, NULL, NULL, NULL, NULL,
         404},
        {"DELETE", "/v1/topics", NULL, NULL, NULL, NULL, NULL, 405},
        {"GET", "/v1/tokens/1", admin, NULL, NULL, NULL, NULL, 405},
        {"POST", "/v1/synonyms", editor, "application/json", NULL, NULL,
         "{}", 405},
    };
    size_t i;

    for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
        ask_only(&errors[i]);
}

Test(e2e_openapi_schema, answers_refused_writes_as_documented)
{
    char path[64], etag[128], old[128];

    create_topic(path, etag);
    (void)snprintf(old, sizeof(old), "%s", etag);
    ask_only(&(struct req){.method = "PUT", .path = path, .token = editor,
                           .type = "application/json", .if_match = etag,
                           .body = topic_json, .want = 200});
    {
        const struct req refused[] = {
            {"POST", "/v1/topics", NULL, "application/json", NULL, NULL,
             topic_json, 401},
            {"POST", "/v1/topics", reader, "application/json", NULL, NULL,
             topic_json, 403},
            {"GET", "/v1/tokens", editor, NULL, NULL, NULL, NULL, 403},
            {"POST", "/v1/topics", editor, "application/json", NULL, NULL,
             "{not json", 400},
            {"POST", "/v1/topics", editor, "application/json", NULL, NULL,
             "{\"slug\":\"x\"}", 400},
            {"POST", "/v1/topics", editor, "application/json", NULL, NULL,
             topic_json, 409},
            {"POST", "/v1/topics", editor, "text/plain", NULL, NULL,
             topic_json, 415},
            {"PUT", path, editor, "application/json", old, NULL, topic_json,
             412},
            {"PATCH", path, editor, "application/merge-patch+json", old, NULL,
             "{}", 412},
            {"DELETE", path, editor, NULL, old, NULL, NULL, 412},
            {"PUT", path, editor, "application/json", NULL, NULL, topic_json,
             428},
            {"DELETE", path, editor, NULL, NULL, NULL, NULL, 428},
            {"PATCH", path, editor, "application/json", "*", NULL, "{}", 415},
            {"DELETE", "/v1/topics/404404", editor, NULL, "*", NULL, NULL,
             404},
            {"POST", "/v1/progress/404404", reader, "application/json", NULL,
             NULL, "{\"grade\":4}", 404},
            {"POST", "/v1/progress/35", reader, "application/json", NULL,
             NULL, "{\"grade\":9}", 400},
            {"POST", "/v1/progress/35", NULL, "application/json", NULL, NULL,
             "{\"grade\":4}", 401},
            {"POST", "/v1/tokens", admin, "application/json", NULL, NULL,
             "{\"role\":\"king\"}", 400},
            {"POST", "/v1/tokens", editor, "application/json", NULL, NULL,
             "{\"role\":\"reader\"}", 403},
            {"DELETE", "/v1/tokens/404404", admin, NULL, NULL, NULL, NULL,
             404},
            {"PUT", "/v1/synonyms", editor, "application/json", "*", NULL,
             "{\"groups\": 1}", 400},
            {"PUT", "/v1/synonyms", editor, "application/json", NULL, NULL,
             "{}", 428},
            {"PUT", "/v1/dictionary", editor, "application/json",
             "\"0123456789abcdef\"", NULL, "{}", 412},
            {"PUT", "/v1/dictionary", reader, "application/json", "*", NULL,
             "{}", 403},
            {"POST", "/v1/import", admin, "application/json", NULL, NULL,
             "{}", 415},
            {"POST", "/v1/import", admin, "application/x-ndjson", NULL, NULL,
             "not json\n", 400},
            {"GET", "/v1/export", reader, NULL, NULL, NULL, NULL, 403},
        };
        size_t i;

        for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
            ask_only(&refused[i]);
    }
}

/* ---- a node of a cluster ------------------------------------------------ */

Test(e2e_openapi_cluster, answers_a_cluster_node_as_documented)
{
    static const char topic[] =
        "{\"slug\":\"schema-raft\",\"title\":\"Raft\","
        "\"category\":\"networking\",\"tags\":[\"tcp\"],"
        "\"answer\":\"A log.\"}";
    static const struct req reqs[] = {
        {"GET", "/v1/cluster", admin, NULL, NULL, NULL, NULL, 200},
        {"HEAD", "/v1/cluster", admin, NULL, NULL, NULL, NULL, 200},
        {"GET", "/v1/cluster", NULL, NULL, NULL, NULL, NULL, 401},
        {"GET", "/readyz", NULL, NULL, NULL, NULL, NULL, 200},
        {"GET", "/metrics", NULL, NULL, NULL, NULL, NULL, 200},
        {"GET", "/v1/categories?min_index=1", NULL, NULL, NULL, NULL, NULL,
         200},
        {"GET", "/v1/categories?min_index=x", NULL, NULL, NULL, NULL, NULL,
         400},
        {"GET", "/v1/topics?min_index=9223372036854775807", NULL, NULL,
         NULL, NULL, NULL, 503},
        {"HEAD", "/v1/topics?min_index=9223372036854775807", NULL, NULL,
         NULL, NULL, NULL, 503},
        {"POST", "/v1/cluster/nodes", admin, "application/json", NULL, NULL,
         "{\"id\":0,\"address\":\"x\",\"url\":\"ftp://x\"}", 400},
        {"POST", "/v1/cluster/nodes", admin, "text/plain", NULL, NULL, "{}",
         415},
        {"DELETE", "/v1/cluster/nodes/0", admin, NULL, NULL, NULL, NULL,
         404},
        {"POST", "/v1/topics", editor, "application/json", NULL, NULL, topic,
         201},
    };
    size_t i;

    for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
        ask_only(&reqs[i]);
}
