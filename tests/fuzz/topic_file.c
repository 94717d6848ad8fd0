/*
 * topic_file.c -- libFuzzer harness of the topic file parser,
 * wenda_content_parse_topic(): front matter (YAML, libyaml) and answer.
 *
 * The input is a whole file.  A file that parses must also validate, turn
 * into the API's JSON, and write back as a canonical file that parses
 * again into the same topic and writes back to the same bytes: the
 * round trip that `wenda export` promises.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "wenda/content.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wenda_topic t;
    char msg[256];
    char *json;

    if (wenda_content_parse_topic("fuzz.md", (const char *)data, size, &t,
                                  fuzz_quiet_diag, NULL) != WENDA_OK)
        return 0;
    if (wenda_topic_validate(&t, msg, sizeof(msg)) != WENDA_OK)
        fuzz_die("a parsed topic fails validation: %s", msg);
    json = wenda_topic_json(&t, 1, NULL);
    if (json == NULL)
        fuzz_die("a parsed topic has no JSON");
    free(json);
    fuzz_check_file_round_trip(&t);
    wenda_topic_cleanup(&t);
    return 0;
}
