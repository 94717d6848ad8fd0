/*
 * merge_patch.c -- libFuzzer harness of PATCH /v1/topics/{id}: the body is
 * parsed as body_json() does, applied with wenda_json_merge_patch() to the
 * editable fields of a real topic (wenda_topic_editable_json(), as the writer
 * does) and the result checked again with wenda_topic_from_json().
 *
 * The patch is also applied to a copy of itself, so that merge patches of
 * any shape meet targets of any shape.  A patch that the API accepts must
 * give a topic that survives the file round trip, as for a POST.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fuzzutil.h"
#include "writer.h"
#include "wenda/content.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct wenda_topic topic; /* read only after initialization */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_load_topic("concurrency/deadlock.md", &topic);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wenda_topic t;
    json_error_t err;
    char msg[256];
    json_t *patch, *doc, *self;

    patch = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
    if (patch == NULL)
        return 0;
    self = wenda_json_merge_patch(json_deep_copy(patch), patch);
    if (self == NULL)
        fuzz_die("a merge patch applied to itself gave nothing");
    json_decref(self);
    if (!json_is_object(patch)) { /* body_json() answers 400 */
        json_decref(patch);
        return 0;
    }
    doc = wenda_json_merge_patch(wenda_topic_editable_json(&topic), patch);
    json_decref(patch);
    if (doc == NULL)
        fuzz_die("a merge patch gave nothing");
    if (wenda_topic_from_json(doc, &t, msg, sizeof(msg)) == WENDA_OK) {
        fuzz_check_file_round_trip(&t);
        wenda_topic_cleanup(&t);
    }
    json_decref(doc);
    return 0;
}
