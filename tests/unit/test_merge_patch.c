/*
 * test_merge_patch.c -- wenda_json_merge_patch() against the examples of
 * RFC 7396, appendix A.
 */
#include <criterion/criterion.h>
#include <jansson.h>

#include "wenda/content.h"

static void
check(const char *target, const char *patch, const char *want)
{
    json_error_t err;
    json_t *t = json_loads(target, JSON_DECODE_ANY, &err);
    json_t *p = json_loads(patch, JSON_DECODE_ANY, &err);
    json_t *w = json_loads(want, JSON_DECODE_ANY, &err);
    json_t *got;
    char *s;

    cr_assert_not_null(t, "%s", target);
    cr_assert_not_null(p, "%s", patch);
    cr_assert_not_null(w, "%s", want);
    got = wenda_json_merge_patch(t, p);
    cr_assert_not_null(got);
    s = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    cr_assert(json_equal(got, w), "%s + %s gave %s, want %s", target, patch,
              s, want);
    free(s);
    json_decref(got);
    json_decref(p);
    json_decref(w);
}

Test(merge_patch, follows_every_example_of_rfc_7396)
{
    check("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    check("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
    check("{\"a\":\"b\"}", "{\"a\":null}", "{}");
    check("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
    check("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    check("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
    check("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
          "{\"a\":{\"b\":\"d\"}}");
    check("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
    check("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
    check("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
    check("{\"a\":\"foo\"}", "null", "null");
    check("{\"a\":\"foo\"}", "\"bar\"", "\"bar\"");
    check("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
    check("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
    check("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
}

Test(merge_patch, leaves_the_patch_untouched)
{
    json_t *t = json_pack("{s:s}", "a", "b");
    json_t *p = json_pack("{s:{s:s}}", "x", "y", "z");
    json_t *before = json_deep_copy(p);
    json_t *got = wenda_json_merge_patch(t, p);

    cr_assert(json_equal(p, before));
    /* The result owns its copy: changing it leaves the patch alone. */
    json_object_set_new(json_object_get(got, "x"), "y", json_string("q"));
    cr_assert(json_equal(p, before));
    json_decref(got);
    json_decref(p);
    json_decref(before);
}
