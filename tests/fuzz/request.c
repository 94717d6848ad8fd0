/*
 * request.c -- libFuzzer harness of a GET request's target: the path and
 * the query parameters (limit, cursor, category, tag, q, corrected,
 * count, seed) as every read handler checks them, through api_handle()
 * over a store of the real content.
 *
 * The input is a request target, "/v1/search?q=%E6%AD%BB&limit=3".  It is
 * split and percent-decoded the way libmicrohttpd does it before wenda
 * sees it (with libmicrohttpd's own MHD_http_unescape(); '+' is a space in
 * the query): the path up to the first '?', then name=value pairs split at
 * '&', names compared without regard to case and the first of a name
 * winning, a name without '=' having no value.
 *
 * What follows a first newline, if any, is the request's Accept header
 * (which GET /problems/{name} reads), and each name is also handed to the
 * router's check of the parameters a path takes.
 *
 * A client's target must never cause a server error (5xx), and every JSON
 * answer must be JSON.
 */
#include <jansson.h>
#include <microhttpd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "fuzzutil.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 32

struct args {
    struct {
        const char *name;
        const char *value; /* NULL: "?name" without '=' */
        size_t len;
    } v[MAX_ARGS];
    size_t n;
};

static struct fuzz_env env;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_env_open(&env);
    return 0;
}

static int
lookup(void *ctx, const char *name, const char **value, size_t *len)
{
    const struct args *a = ctx;
    size_t i;

    for (i = 0; i < a->n; i++)
        if (strcasecmp(a->v[i].name, name) == 0) {
            *value = a->v[i].value;
            *len = a->v[i].len;
            return 1;
        }
    return 0;
}

/* The request's query and its Accept header. */
struct target {
    struct args a;
    const char *accept;   /* NULL: none */
};

static int
lookup_target(void *ctx, const char *name, const char **value, size_t *len)
{
    return lookup(&((struct target *)ctx)->a, name, value, len);
}

static void
each_name(void *ctx, api_name_fn fn, void *cls)
{
    const struct args *a = &((const struct target *)ctx)->a;
    size_t i;

    for (i = 0; i < a->n; i++)
        if (fn(cls, a->v[i].name))
            return;
}

static const char *
header(void *ctx, const char *name)
{
    const struct target *t = ctx;

    return strcasecmp(name, "Accept") == 0 ? t->accept : NULL;
}

/* Decodes s in place as libmicrohttpd decodes a query; returns its length. */
static size_t
unescape_query(char *s)
{
    char *p;

    for (p = s; *p != '\0'; p++)
        if (*p == '+')
            *p = ' ';
    return MHD_http_unescape(s);
}

/* Splits query (modified in place) into a. */
static void
split_query(char *query, struct args *a)
{
    char *save = NULL, *pair;

    a->n = 0;
    for (pair = strtok_r(query, "&", &save); pair != NULL && a->n < MAX_ARGS;
         pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');

        if (eq != NULL)
            *eq = '\0';
        (void)unescape_query(pair);
        a->v[a->n].name = pair;
        a->v[a->n].value = NULL;
        a->v[a->n].len = 0;
        if (eq != NULL) {
            a->v[a->n].value = eq + 1;
            a->v[a->n].len = unescape_query(eq + 1);
        }
        a->n++;
    }
}

static int
is_json(const char *type)
{
    return type != NULL && (strncmp(type, "application/json", 16) == 0 ||
                            strncmp(type, "application/problem+json", 24) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *target = fuzz_strndup(data, size);
    char *nl = strchr(target, '\n'), *query;
    struct api_request req = {0};
    struct api_response res;
    struct target t;

    t.accept = NULL;
    if (nl != NULL) {
        *nl = '\0';
        t.accept = nl + 1;
    }
    query = strchr(target, '?');
    if (query != NULL)
        *query++ = '\0';
    (void)MHD_http_unescape(target);
    split_query(query != NULL ? query : target + strlen(target), &t.a);
    req.method = "GET";
    req.path = target;
    req.path_len = strlen(target);
    req.arg = lookup_target;
    req.arg_names = each_name;
    req.arg_ctx = &t;
    req.header = header;
    fuzz_handle(&env, &req, &res);
    if (res.status == 200 && strncmp(target, "/problems/", 10) == 0 &&
        (res.content_type == NULL ||
         (strncmp(res.content_type, "text/html", 9) != 0 &&
          strncmp(res.content_type, "application/json", 16) != 0)))
        fuzz_die("GET %s (Accept: %s): a page of type %s", target,
                 t.accept ? t.accept : "-",
                 res.content_type ? res.content_type : "none");
    if (res.status < 200 || res.status >= 500 || res.job != NULL)
        fuzz_die("GET %.*s: %u %.*s", (int)(size < 200 ? size : 200),
                 (const char *)data, res.status,
                 (int)(res.len < 300 ? res.len : 300),
                 res.body ? res.body : "");
    if (res.body != NULL && is_json(res.content_type)) {
        json_error_t err;
        json_t *o = json_loadb(res.body, res.len, 0, &err);

        if (o == NULL)
            fuzz_die("GET %.*s: not JSON (%s): %.*s",
                     (int)(size < 200 ? size : 200), (const char *)data,
                     err.text, (int)(res.len < 300 ? res.len : 300), res.body);
        json_decref(o);
    }
    api_response_cleanup(&res);
    free(target);
    return 0;
}
