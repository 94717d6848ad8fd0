/*
 * cursor.c -- libFuzzer harness of the list cursor, api_cursor_decode():
 * the value of GET /v1/topics?cursor=, a NUL-terminated string as
 * libmicrohttpd hands it over.
 *
 * A cursor that decodes names a positive id, and encoding that id again
 * gives a cursor that decodes to the same id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_strndup(data, size);
    int64_t id = -1, again = -1;
    char *c;

    if (api_cursor_decode(s, &id) != 0) {
        if (id != -1)
            fuzz_die("a rejected cursor changed the id");
        free(s);
        return 0;
    }
    if (id < 1)
        fuzz_die("cursor %s decodes to id %lld", s, (long long)id);
    c = api_cursor_encode(id);
    if (c == NULL)
        fuzz_die("out of memory");
    if (api_cursor_decode(c, &again) != 0 || again != id)
        fuzz_die("cursor %s: id %lld encodes as %s, which decodes to %lld", s,
                 (long long)id, c, (long long)again);
    free(c);
    free(s);
    return 0;
}
