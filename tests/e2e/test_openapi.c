/*
 * test_openapi.c -- GET /openapi.json from the real binary, and the server
 * holding to it.
 *
 * The document must be OpenAPI 3.1 and public even on a --private server.
 * Then every documented path is asked, with the example of each path
 * parameter: OPTIONS must allow exactly the documented methods (HEAD and
 * OPTIONS aside), every documented method must be neither 404 nor 405 and
 * answer a status the operation documents, and /metrics must count each
 * path under its template, which shows the router names it the same way.
 * (tests/unit/test_openapi.c compares the route table itself.)
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "harness.h"

static struct wenda_server srv;

static void
stop(void)
{
    harness_stop(&srv);
}

TestSuite(e2e_openapi, .fini = stop);

static const char *const methods[] = {"GET", "POST", "PUT", "PATCH",
                                      "DELETE"};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

/* Fetches and parses the document (a new reference). */
static json_t *
fetch_doc(void)
{
    struct http_reply r;
    json_t *doc;

    cr_assert_eq(http_request(&srv, "GET", "/openapi.json", NULL, NULL, 0,
                              &r), 0);
    cr_assert_eq(r.status, 200, "%.*s", (int)r.len, r.body);
    doc = http_json(&r);
    http_reply_cleanup(&r);
    return doc;
}

/* Follows a "#/components/…" $ref of doc, if p is one (borrowed). */
static const json_t *
deref(const json_t *doc, const json_t *p)
{
    const char *ref = json_string_value(json_object_get(p, "$ref"));
    char name[128];

    if (ref == NULL)
        return p;
    cr_assert(sscanf(ref, "#/components/parameters/%127s", name) == 1,
              "unexpected $ref %s", ref);
    return json_object_get(
        json_object_get(json_object_get(doc, "components"), "parameters"),
        name);
}

/* Writes into out the example of path parameter name of any operation of
 * item (its "example", else its first "examples" value). */
static void
param_example(const json_t *doc, json_t *item, const char *name,
              char *out, size_t cap)
{
    const char *method;
    json_t *op, *p;
    size_t i;

    out[0] = '\0';
    json_object_foreach(item, method, op) {
        json_array_foreach(json_object_get(op, "parameters"), i, p) {
            const json_t *q = deref(doc, p), *ex;
            json_t *first;
            const char *k;

            if (strcmp(json_string_value(json_object_get(q, "in")), "path") ||
                strcmp(json_string_value(json_object_get(q, "name")), name))
                continue;
            ex = json_object_get(q, "example");
            if (ex == NULL) {
                json_object_foreach(json_object_get(q, "examples"), k, first) {
                    ex = json_object_get(first, "value");
                    break;
                }
            }
            cr_assert_not_null(ex, "{%s} has no example", name);
            if (json_is_integer(ex))
                (void)snprintf(out, cap, "%lld",
                               (long long)json_integer_value(ex));
            else
                (void)snprintf(out, cap, "%s", json_string_value(ex));
            return;
        }
    }
    cr_assert_fail("{%s} is not a documented path parameter", name);
}

/* Writes the template with each {name} replaced by its example. */
static void
concrete(const json_t *doc, const char *tmpl, json_t *item, char *out,
         size_t cap)
{
    size_t n = 0;

    out[0] = '\0';
    while (*tmpl != '\0' && n + 1 < cap) {
        if (*tmpl == '{') {
            char name[64], ex[64];
            size_t k = strcspn(tmpl + 1, "}");

            cr_assert_lt(k, sizeof(name));
            memcpy(name, tmpl + 1, k);
            name[k] = '\0';
            param_example(doc, item, name, ex, sizeof(ex));
            n += (size_t)snprintf(out + n, cap - n, "%s", ex);
            tmpl += k + 2;
            continue;
        }
        out[n++] = *tmpl++;
        out[n] = '\0';
    }
}

/* Returns 1 when the Allow list allow names method. */
static int
allows(const char *allow, const char *method)
{
    size_t n = strlen(method);
    const char *p = allow;

    while ((p = strstr(p, method)) != NULL) {
        if ((p == allow || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
            return 1;
        p += n;
    }
    return 0;
}

Test(e2e_openapi, serves_an_openapi_3_1_document_with_an_etag)
{
    const char *inm[2] = {NULL, NULL};
    char h[96];
    struct http_reply r;
    const char *v, *etag;
    json_t *doc;

    harness_start_or_fail(&srv, NULL);
    cr_assert_eq(http_request(&srv, "GET", "/openapi.json", NULL, NULL, 0,
                              &r), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(http_header(&r, "Content-Type"),
                     "application/json; charset=utf-8");
    doc = http_json(&r);
    v = json_string_value(json_object_get(doc, "openapi"));
    cr_assert_not_null(v);
    cr_assert(strncmp(v, "3.1.", 4) == 0, "openapi is %s, not 3.1.x", v);
    json_decref(doc);
    etag = http_header(&r, "ETag");
    cr_assert_not_null(etag);
    (void)snprintf(h, sizeof(h), "If-None-Match: %s", etag);
    inm[0] = h;
    http_reply_cleanup(&r);
    cr_assert_eq(http_request(&srv, "GET", "/openapi.json", inm, NULL, 0,
                              &r), 0);
    cr_assert_eq(r.status, 304);
    http_reply_cleanup(&r);
}

Test(e2e_openapi, is_public_even_on_a_private_server)
{
    const char *const args[] = {"--private", NULL};
    struct http_reply r;

    harness_start_or_fail(&srv, args);
    cr_assert_eq(http_request(&srv, "GET", "/v1/topics", NULL, NULL, 0, &r),
                 0);
    cr_assert_eq(r.status, 401);
    http_reply_cleanup(&r);
    json_decref(fetch_doc());
}

Test(e2e_openapi, the_server_takes_exactly_the_documented_methods)
{
    struct http_reply r;
    const char *tmpl;
    json_t *item;
    char *metrics;
    json_t *doc;
    size_t i;

    harness_start_or_fail(&srv, NULL);
    doc = fetch_doc();
    cr_assert_gt(json_object_size(json_object_get(doc, "paths")), 0);
    json_object_foreach(json_object_get(doc, "paths"), tmpl, item) {
        char path[256], lower[8];
        const char *allow;

        concrete(doc, tmpl, item, path, sizeof(path));
        cr_assert_eq(http_request(&srv, "OPTIONS", path, NULL, NULL, 0, &r),
                     0);
        cr_assert_eq(r.status, 204, "OPTIONS %s: %ld", path, r.status);
        allow = http_header(&r, "Allow");
        cr_assert_not_null(allow, "OPTIONS %s: no Allow", path);
        for (i = 0; i < NMETHODS; i++) {
            size_t k;

            for (k = 0; methods[i][k] != '\0'; k++)
                lower[k] = (char)(methods[i][k] - 'A' + 'a');
            lower[k] = '\0';
            cr_expect_eq(allows(allow, methods[i]),
                         json_object_get(item, lower) != NULL,
                         "%s: Allow is \"%s\", the document %s %s", tmpl,
                         allow,
                         json_object_get(item, lower) ? "has" : "lacks",
                         methods[i]);
        }
        http_reply_cleanup(&r);
        for (i = 0; i < NMETHODS; i++) {
            const json_t *op;
            char status[8];
            size_t k;

            for (k = 0; methods[i][k] != '\0'; k++)
                lower[k] = (char)(methods[i][k] - 'A' + 'a');
            lower[k] = '\0';
            op = json_object_get(item, lower);
            if (op == NULL)
                continue;
            /* No token and no body: a write stops at 401. */
            cr_assert_eq(http_request(&srv, methods[i], path, NULL, NULL, 0,
                                      &r), 0);
            cr_expect(r.status != 404 && r.status != 405, "%s %s: %ld %.*s",
                      methods[i], path, r.status, (int)r.len, r.body);
            (void)snprintf(status, sizeof(status), "%ld", r.status);
            cr_expect_not_null(
                json_object_get(json_object_get(op, "responses"), status),
                "%s %s answered %s, which the document does not list",
                methods[i], path, status);
            http_reply_cleanup(&r);
        }
    }
    cr_assert_eq(http_request(&srv, "GET", "/metrics", NULL, NULL, 0, &r),
                 0);
    cr_assert_eq(r.status, 200);
    metrics = r.body;
    json_object_foreach(json_object_get(doc, "paths"), tmpl, item) {
        char label[160];

        (void)snprintf(label, sizeof(label), "route=\"%s\"", tmpl);
        cr_expect_not_null(strstr(metrics, label),
                           "/metrics counts no route named %s", tmpl);
    }
    http_reply_cleanup(&r);
    json_decref(doc);
}
