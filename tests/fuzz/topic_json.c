/*
 * topic_json.c -- libFuzzer harness of the JSON body of POST and PUT
 * /v1/topics: parsed as body_json() does (jansson, duplicates rejected),
 * then read by wenda_topic_from_json().
 *
 * A body the API accepts becomes a topic that `wenda export` writes as a
 * file, so an accepted topic must also survive the file round trip.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fuzzutil.h"
#include "wenda/content.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wenda_topic t;
    json_error_t err;
    char msg[256];
    json_t *o;
    char *json;

    o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
    if (o == NULL)
        return 0;
    msg[0] = '\0';
    if (wenda_topic_from_json(o, &t, msg, sizeof(msg)) != WENDA_OK) {
        if (msg[0] == '\0')
            fuzz_die("a rejected body without a message");
        json_decref(o);
        return 0;
    }
    json_decref(o);
    json = wenda_topic_json(&t, 1, NULL);
    if (json == NULL)
        fuzz_die("an accepted topic has no JSON");
    free(json);
    fuzz_check_file_round_trip(&t);
    wenda_topic_cleanup(&t);
    return 0;
}
