/*
 * categories.c -- libFuzzer harness of the categories file parser,
 * wenda_content_parse_categories(): categories.yml, a YAML list of slug,
 * name and name_en.
 *
 * A file that parses gives categories that each have all three fields,
 * a valid slug, UTF-8 names, and a slug no other category has.
 */
#include <stdint.h>
#include <string.h>

#include "fuzzutil.h"
#include "wenda/content.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wenda_content c;
    size_t i, j;

    if (wenda_content_parse_categories("categories.yml", (const char *)data,
                                       size, &c, fuzz_quiet_diag,
                                       NULL) != WENDA_OK) {
        if (c.cats != NULL || c.ncats != 0)
            fuzz_die("a refused file left categories");
        return 0;
    }
    for (i = 0; i < c.ncats; i++) {
        const struct wenda_category *k = &c.cats[i];

        if (k->slug == NULL || k->name == NULL || k->name_en == NULL ||
            !wenda_slug_valid(k->slug, WENDA_CONTENT_MAX_SLUG) ||
            !wenda_utf8_valid(k->name, strlen(k->name), NULL) ||
            !wenda_utf8_valid(k->name_en, strlen(k->name_en), NULL))
            fuzz_die("category %zu is malformed", i);
        for (j = 0; j < i; j++)
            if (strcmp(c.cats[j].slug, k->slug) == 0)
                fuzz_die("category %s is listed twice", k->slug);
    }
    wenda_content_cleanup(&c);
    return 0;
}
