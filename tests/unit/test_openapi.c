/*
 * test_openapi.c -- the route table and the compiled-in OpenAPI document
 * describe the same API.
 *
 * Every route of api_route_names() must be a path of the document, with
 * the methods the router itself lists for it (the Allow of its OPTIONS
 * answer, less HEAD and OPTIONS), and the document may have no path the
 * router lacks; a route added on either side alone fails here.  The route
 * names are the document's path templates ("/v1/topics/{id}").
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "api.h"
#include "openapi.h"

static const char *const methods[] = {"get", "post", "put", "patch",
                                      "delete"};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

static int
no_arg(void *ctx, const char *name, const char **value, size_t *len)
{
    (void)ctx;
    (void)name;
    (void)value;
    (void)len;
    return 0;
}

static const char *
no_header(void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return NULL;
}

/* Returns the document as a new reference; fails the test if it is not
 * JSON. */
static json_t *
load_doc(void)
{
    json_error_t err;
    json_t *doc = json_loadb((const char *)wenda_openapi_json,
                             wenda_openapi_json_len, JSON_REJECT_DUPLICATES,
                             &err);

    cr_assert_not_null(doc, "service/openapi.json: line %d: %s", err.line,
                       err.text);
    return doc;
}

/* Writes the route template name with every "{…}" segment as "1". */
static void
concrete(const char *name, char *out, size_t cap)
{
    size_t n = 0;

    while (*name != '\0' && n + 2 < cap) {
        if (*name == '{') {
            out[n++] = '1';
            name += strcspn(name, "}");
            if (*name == '}')
                name++;
            continue;
        }
        out[n++] = *name++;
    }
    out[n] = '\0';
}

/*
 * Writes the methods the router takes on path, as the Allow of its OPTIONS
 * answer lists them, lower-case, in the order of methods[], space-separated.
 */
static void
router_methods(const char *path, char *out, size_t cap)
{
    struct api_request req;
    struct api_response res;
    const char *allow = NULL;
    size_t i;

    memset(&req, 0, sizeof(req));
    req.method = "OPTIONS";
    req.path = path;
    req.path_len = strlen(path);
    req.arg = no_arg;
    req.header = no_header;
    api_handle(&req, &res);
    cr_assert_eq(res.status, 204, "OPTIONS %s: %u", path, res.status);
    for (i = 0; i < res.nheaders; i++)
        if (strcmp(res.headers[i].name, "Allow") == 0)
            allow = res.headers[i].value;
    cr_assert_not_null(allow, "OPTIONS %s: no Allow", path);
    out[0] = '\0';
    for (i = 0; i < NMETHODS; i++) {
        char upper[8];
        const char *p = allow;
        size_t k, n = strlen(methods[i]);

        for (k = 0; k <= n; k++)
            upper[k] = (char)toupper((unsigned char)methods[i][k]);
        while ((p = strstr(p, upper)) != NULL) {
            if ((p == allow || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
                break;
            p += n;
        }
        if (p != NULL)
            (void)snprintf(out + strlen(out), cap - strlen(out), "%s%s",
                           out[0] ? " " : "", methods[i]);
    }
    api_response_cleanup(&res);
}

/* Writes the methods the document gives path item, as router_methods(). */
static void
doc_methods(const json_t *item, char *out, size_t cap)
{
    size_t i;

    out[0] = '\0';
    for (i = 0; i < NMETHODS; i++)
        if (json_object_get(item, methods[i]) != NULL)
            (void)snprintf(out + strlen(out), cap - strlen(out), "%s%s",
                           out[0] ? " " : "", methods[i]);
}

Test(openapi, is_an_openapi_3_1_document)
{
    json_t *doc = load_doc();
    const char *v = json_string_value(json_object_get(doc, "openapi"));

    cr_assert_not_null(v);
    cr_assert(strncmp(v, "3.1.", 4) == 0, "openapi is %s, not 3.1.x", v);
    cr_assert(json_is_object(json_object_get(doc, "paths")));
    json_decref(doc);
}

Test(openapi, documents_every_route_with_the_methods_it_takes)
{
    json_t *doc = load_doc();
    const json_t *paths = json_object_get(doc, "paths");
    const char *const *names;
    size_t n = api_route_names(&names), i;

    cr_assert_gt(n, 0);
    for (i = 0; i < n; i++) {
        const json_t *item = json_object_get(paths, names[i]);
        char path[128], want[64], got[64];

        cr_expect_not_null(item, "route %s is not in service/openapi.json",
                           names[i]);
        if (item == NULL)
            continue;
        concrete(names[i], path, sizeof(path));
        router_methods(path, want, sizeof(want));
        doc_methods(item, got, sizeof(got));
        cr_expect_str_eq(got, want, "%s: the document has [%s], the router "
                         "takes [%s]", names[i], got, want);
    }
    json_decref(doc);
}

Test(openapi, documents_no_path_the_router_lacks)
{
    json_t *doc = load_doc();
    const char *const *names;
    size_t n = api_route_names(&names), i;
    const char *key;
    json_t *item;

    json_object_foreach(json_object_get(doc, "paths"), key, item) {
        for (i = 0; i < n; i++)
            if (strcmp(names[i], key) == 0)
                break;
        cr_expect_lt(i, n, "service/openapi.json has %s, the router does "
                     "not", key);
    }
    cr_assert_eq(json_object_size(json_object_get(doc, "paths")), n);
    json_decref(doc);
}
