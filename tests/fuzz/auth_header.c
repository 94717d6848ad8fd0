/*
 * auth_header.c -- libFuzzer harness of the Authorization header:
 * wenda_auth_parse_bearer() and wenda_auth_verify() directly, and the
 * whole check of a request, api_authorize() in api.c, through api_handle()
 * (GET /v1/progress/due, which needs a reader token).  The token fields
 * of POST /v1/tokens, wenda_auth_parse_expiry() and
 * wenda_auth_name_valid(), read the same string.
 *
 * The input is the header's value, a NUL-terminated string as
 * libmicrohttpd hands it over.  No input the fuzzer can make is a token
 * of the store (they are 32 random bytes), so every one must be refused
 * with 401, and a parsed token must be exactly what follows "Bearer" and
 * its spaces, with nothing after it but blanks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "fuzzutil.h"
#include "wenda/auth.h"
#include "wenda/content.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_env env;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_env_open(&env);
    return 0;
}

static const char *
header(void *ctx, const char *name)
{
    return strcmp(name, "Authorization") == 0 ? ctx : NULL;
}

static void
check_request(const char *value)
{
    struct api_request req = {0};
    struct api_response res;

    req.method = "GET";
    req.path = "/v1/progress/due";
    req.path_len = strlen(req.path);
    req.arg = fuzz_no_arg;
    req.arg_ctx = (void *)(uintptr_t)value;
    req.header = header;
    fuzz_handle(&env, &req, &res);
    if (res.status != 401 || res.nheaders != 1 ||
        strcmp(res.headers[0].name, "WWW-Authenticate") != 0)
        fuzz_die("Authorization: %s was answered %u", value, res.status);
    api_response_cleanup(&res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_strndup(data, size);
    char token[WENDA_TOKEN_LEN + 1];
    struct wenda_token_info info;
    int64_t seconds = -1;
    enum wenda_err rc;

    rc = wenda_auth_parse_bearer(s, token);
    if (rc == WENDA_OK) {
        /* Blanks around the value, "Bearer", 1*SP, the token. */
        const char *p = s + strspn(s, " \t");

        if (strncasecmp(p, "Bearer ", 7) == 0)
            p += 6 + strspn(p + 6, " ");
        if (strlen(token) != WENDA_TOKEN_LEN ||
            !wenda_auth_token_well_formed(token) || p == s ||
            strncmp(p, token, WENDA_TOKEN_LEN) != 0 ||
            p[WENDA_TOKEN_LEN + strspn(p + WENDA_TOKEN_LEN, " \t")] != '\0')
            fuzz_die("Authorization: %s parsed as token %s", s, token);
    } else if (rc != WENDA_ERR_INVALID || token[0] != '\0') {
        fuzz_die("Authorization: %s refused, but token is %s", s, token);
    }
    rc = wenda_auth_verify(env.auth, env.store, rc == WENDA_OK ? token : s,
                           &info);
    if (rc == WENDA_OK || info.reason == NULL ||
        (rc != WENDA_ERR_INVALID && rc != WENDA_ERR_NOT_FOUND))
        fuzz_die("token %s: %s (%s)", s, wenda_err_name(rc),
                 info.reason ? info.reason : "no reason");
    check_request(s);
    if (wenda_auth_parse_expiry(s, &seconds) == WENDA_OK) {
        if (seconds < 0 || seconds > WENDA_AUTH_MAX_EXPIRY)
            fuzz_die("expiry %s is %lld seconds", s, (long long)seconds);
    } else if (seconds != -1) {
        fuzz_die("a refused expiry changed seconds");
    }
    if (wenda_auth_name_valid(s) &&
        (!wenda_utf8_valid(s, strlen(s), NULL) ||
         wenda_utf8_chars(s, strlen(s)) > WENDA_TOKEN_NAME_MAX))
        fuzz_die("name %s accepted", s);
    free(s);
    return 0;
}
