/*
 * import.c -- libFuzzer harness of POST /v1/import: the input is an NDJSON
 * body, sent through api_handle() with an admin token, as the server
 * receives it; h_import() splits it into lines and reads each with
 * wenda_topic_from_json().  The job it makes is dropped, never run.
 *
 * Every answer is either a job with at least one topic, each of which
 * survives the file round trip, or a problem in valid JSON.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fuzzutil.h"
#include "writer.h"
#include "wenda/content.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_env env;
static char authorization[16 + WENDA_TOKEN_LEN];

static const char *
header(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "Authorization") == 0)
        return authorization;
    if (strcmp(name, "Content-Type") == 0)
        return "application/x-ndjson";
    return NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_env_open(&env);
    (void)snprintf(authorization, sizeof(authorization), "Bearer %s",
                   env.admin);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct api_request req = {0};
    struct api_response res;
    size_t i;

    req.method = "POST";
    req.path = "/v1/import";
    req.path_len = strlen(req.path);
    req.arg = fuzz_no_arg;
    req.header = header;
    req.body = (const char *)data;
    req.body_len = size;
    fuzz_handle(&env, &req, &res);
    if (res.job != NULL) {
        if (res.job->kind != WRITE_IMPORT || res.job->ntopics == 0)
            fuzz_die("an import job without topics");
        for (i = 0; i < res.job->ntopics; i++)
            fuzz_check_file_round_trip(&res.job->topics[i]);
        write_job_cleanup(res.job);
        free(res.job);
        res.job = NULL;
    } else {
        json_t *o;

        if (res.status != 400 || res.body == NULL)
            fuzz_die("an import answered %u %.*s", res.status,
                     (int)(res.len < 300 ? res.len : 300),
                     res.body ? res.body : "");
        o = json_loadb(res.body, res.len, 0, NULL);
        if (o == NULL)
            fuzz_die("a problem that is not JSON: %.*s", (int)res.len,
                     res.body);
        json_decref(o);
    }
    api_response_cleanup(&res);
    return 0;
}
