/*
 * test_jschema.c -- the tests' JSON Schema validator (tests/e2e/jschema.c):
 * each keyword it reads takes a good instance and refuses a bad one, a
 * schema it cannot read fails whatever the instance, and every failure
 * says where it is in the instance and in the schema.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "../e2e/jschema.h"

/* A document with components to "$ref" into, as OpenAPI's are laid out. */
static const char doc_text[] =
    "{\"components\": {\"schemas\": {"
    " \"Slug\": {\"type\": \"string\", \"pattern\": \"^[a-z0-9]+$\"},"
    " \"Node\": {\"type\": \"object\", \"properties\": {"
    "   \"next\": {\"oneOf\": [{\"$ref\": \"#/components/schemas/Node\"},"
    "                        {\"type\": \"null\"}]}}},"
    " \"Loop\": {\"$ref\": \"#/components/schemas/Loop\"},"
    " \"a/b~c\": {\"const\": 1}"
    "}}}";

static json_t *
load(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &err);

    cr_assert_not_null(v, "%s: %s", text, err.text);
    return v;
}

/* The failures of instance against schema (a new array). */
static json_t *
run(const char *schema, const char *instance)
{
    json_t *doc = load(doc_text), *s = load(schema), *i = load(instance);
    json_t *errs = jschema_validate(doc, s, "#/test", i);

    cr_assert_not_null(errs);
    json_decref(doc);
    json_decref(s);
    json_decref(i);
    return errs;
}

/* Holds that instance passes schema. */
static void
good(const char *schema, const char *instance)
{
    json_t *errs = run(schema, instance);

    cr_expect_eq(json_array_size(errs), 0, "%s should pass %s, but: %s",
                 instance, schema,
                 json_string_value(json_array_get(errs, 0)));
    json_decref(errs);
}

/* Holds that instance fails schema with a message holding want. */
static void
bad(const char *schema, const char *instance, const char *want)
{
    json_t *errs = run(schema, instance);
    const char *first = json_string_value(json_array_get(errs, 0));

    cr_expect_gt(json_array_size(errs), 0, "%s should fail %s", instance,
                 schema);
    if (first != NULL)
        cr_expect(strstr(first, want) != NULL,
                  "%s against %s: \"%s\" does not say \"%s\"", instance,
                  schema, first, want);
    json_decref(errs);
}

Test(jschema, checks_types_integer_apart_from_number)
{
    good("{\"type\": \"integer\"}", "3");
    good("{\"type\": \"integer\"}", "3.0");
    bad("{\"type\": \"integer\"}", "3.5", "is number, not \"integer\"");
    good("{\"type\": \"number\"}", "3.5");
    bad("{\"type\": \"number\"}", "\"3\"", "is string");
    good("{\"type\": [\"string\", \"null\"]}", "null");
    bad("{\"type\": [\"string\", \"null\"]}", "false", "is boolean");
    good("{\"type\": \"boolean\"}", "true");
    good("{\"type\": \"array\"}", "[]");
    bad("{\"type\": \"object\"}", "[]", "is array");
    bad("{\"type\": \"null\"}", "0", "is integer");
}

Test(jschema, checks_enum_and_const_by_value)
{
    good("{\"enum\": [\"a\", 2, null]}", "2.0");
    good("{\"enum\": [\"a\", 2, null]}", "null");
    bad("{\"enum\": [\"a\", 2, null]}", "\"b\"", "none of the 3 values");
    good("{\"const\": {\"x\": [1, 2]}}", "{\"x\": [1, 2.0]}");
    bad("{\"const\": {\"x\": [1, 2]}}", "{\"x\": [2, 1]}", "is not the const");
    bad("{\"const\": \"ok\"}", "\"OK\"", "is not the const");
}

Test(jschema, checks_objects)
{
    good("{\"properties\": {\"a\": {\"type\": \"string\"}}}", "{\"a\": \"x\"}");
    bad("{\"properties\": {\"a\": {\"type\": \"string\"}}}", "{\"a\": 1}",
        "at \"/a\": is integer");
    good("{\"required\": [\"a\"]}", "{\"a\": 0}");
    bad("{\"required\": [\"a\"]}", "{\"b\": 0}", "lacks the required "
                                              "property \"a\"");
    good("{\"properties\": {\"a\": true}, \"additionalProperties\": false}",
         "{\"a\": 1}");
    bad("{\"properties\": {\"a\": true}, \"additionalProperties\": false}",
        "{\"a\": 1, \"b\": 2}", "at \"/b\": no property \"b\" is allowed");
    good("{\"additionalProperties\": {\"type\": \"integer\"}}", "{\"n\": 1}");
    bad("{\"additionalProperties\": {\"type\": \"integer\"}}",
        "{\"n\": \"1\"}", "additionalProperties/type");
    good("{\"patternProperties\": {\"^x-\": {\"type\": \"string\"}},"
         " \"additionalProperties\": false}", "{\"x-a\": \"s\"}");
    bad("{\"patternProperties\": {\"^x-\": {\"type\": \"string\"}}}",
        "{\"x-a\": 1}", "at \"/x-a\"");
    good("{\"minProperties\": 1, \"maxProperties\": 1}", "{\"a\": 1}");
    bad("{\"minProperties\": 1}", "{}", "fewer than 1");
    bad("{\"maxProperties\": 1}", "{\"a\": 1, \"b\": 2}", "more than 1");
}

Test(jschema, checks_arrays)
{
    good("{\"items\": {\"type\": \"integer\"}}", "[1, 2]");
    bad("{\"items\": {\"type\": \"integer\"}}", "[1, \"2\"]",
        "at \"/1\": is string");
    good("{\"prefixItems\": [{\"type\": \"string\"}],"
         " \"items\": {\"type\": \"integer\"}}", "[\"a\", 1, 2]");
    bad("{\"prefixItems\": [{\"type\": \"string\"}],"
        " \"items\": {\"type\": \"integer\"}}", "[1, 1]",
        "[#/test/prefixItems/0/type]");
    bad("{\"prefixItems\": [{\"type\": \"string\"}], \"items\": false}",
        "[\"a\", 1]", "at \"/1\": the schema here is false");
    good("{\"minItems\": 1, \"maxItems\": 2}", "[0]");
    bad("{\"minItems\": 1}", "[]", "has 0 items, fewer than 1");
    bad("{\"maxItems\": 2}", "[1, 2, 3]", "more than 2");
    good("{\"uniqueItems\": true}", "[1, \"1\", [1]]");
    bad("{\"uniqueItems\": true}", "[\"a\", 1, 1.0]", "items 1 and 2");
}

Test(jschema, checks_combinations)
{
    const char *one = "{\"oneOf\": [{\"type\": \"integer\"},"
                      " {\"minimum\": 2}]}";

    good(one, "1");
    good(one, "2.5");
    bad(one, "3", "matches 2 of the oneOf schemas (0, 1)");
    bad(one, "1.5", "matches none of the 2 oneOf schemas");
    good("{\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"null\"}]}",
         "null");
    bad("{\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"null\"}]}", "1",
        "matches none of the 2 anyOf");
    good("{\"allOf\": [{\"required\": [\"a\"]}, {\"required\": [\"b\"]}]}",
         "{\"a\": 1, \"b\": 2}");
    bad("{\"allOf\": [{\"required\": [\"a\"]}, {\"required\": [\"b\"]}]}",
        "{\"a\": 1}", "[#/test/allOf/1/required]");
    good("{\"not\": {\"type\": \"null\"}}", "0");
    bad("{\"not\": {\"type\": \"null\"}}", "null", "matches the schema of not");
}

Test(jschema, checks_numbers)
{
    good("{\"minimum\": 1, \"maximum\": 5}", "5");
    bad("{\"minimum\": 1}", "0", "0 is not at least 1");
    bad("{\"maximum\": 5}", "5.5", "5.5 is not at most 5");
    good("{\"exclusiveMinimum\": 0, \"exclusiveMaximum\": 1}", "0.5");
    bad("{\"exclusiveMinimum\": 0}", "0", "0 is not above 0");
    bad("{\"exclusiveMaximum\": 1}", "1", "1 is not below 1");
    good("{\"minimum\": 0}", "\"not a number\"");
}

Test(jschema, counts_string_length_in_code_points)
{
    good("{\"minLength\": 2, \"maxLength\": 2}", "\"死锁\"");
    bad("{\"maxLength\": 1}", "\"死锁\"", "has 2 characters, more than 1");
    bad("{\"minLength\": 3}", "\"死锁\"", "fewer than 3");
    good("{\"maxLength\": 2}", "\"\\ud83d\\ude00a\"");
}

Test(jschema, searches_patterns_unanchored)
{
    good("{\"pattern\": \"^[a-z0-9]+(-[a-z0-9]+)*$\"}", "\"a-b-1\"");
    bad("{\"pattern\": \"^[a-z0-9]+(-[a-z0-9]+)*$\"}", "\"a--b\"",
        "does not match");
    good("{\"pattern\": \"b\"}", "\"abc\"");
    good("{\"pattern\": \"^wnd_[A-Za-z0-9_-]{3}$\"}", "\"wnd_a-_\"");
    good("{\"pattern\": \"^x$\"}", "7");
}

Test(jschema, follows_refs_and_says_where_they_led)
{
    good("{\"$ref\": \"#/components/schemas/Slug\"}", "\"gil\"");
    bad("{\"$ref\": \"#/components/schemas/Slug\"}", "\"GIL\"",
        "[#/components/schemas/Slug/pattern]");
    good("{\"$ref\": \"#/components/schemas/Node\"}",
         "{\"next\": {\"next\": null}}");
    bad("{\"$ref\": \"#/components/schemas/Node\"}",
        "{\"next\": {\"next\": 1}}", "at \"/next\": matches none");
    good("{\"$ref\": \"#/components/schemas/a~1b~0c\"}", "1");
    bad("{\"properties\": {\"a/b~\": {\"type\": \"null\"}}}",
        "{\"a/b~\": 1}", "at \"/a~1b~0\"");
}

Test(jschema, ignores_annotations)
{
    good("{\"description\": \"d\", \"title\": \"t\", \"example\": 1,"
         " \"examples\": [1], \"default\": 1, \"deprecated\": true,"
         " \"readOnly\": true, \"writeOnly\": false, \"format\": \"date\","
         " \"$comment\": \"c\", \"x-extra\": 1}", "\"not a date\"");
    good("true", "{\"anything\": 1}");
    bad("false", "1", "the schema here is false");
}

Test(jschema, fails_a_schema_it_cannot_read_whatever_the_instance)
{
    bad("{\"multipleOf\": 2}", "4",
        "schema error: keyword \"multipleOf\" is not supported");
    bad("{\"nullable\": true}", "null", "schema error");
    bad("{\"anyOf\": [{\"type\": \"null\"}, {\"if\": true}]}", "null",
        "schema error: keyword \"if\"");
    bad("{\"pattern\": \"^\\\\d+$\"}", "\"12\"",
        "schema error: pattern ^\\d+$ has an escape of a letter or digit");
    bad("{\"pattern\": \"[\\\\w]\"}", "\"a\"", "an escape inside brackets");
    bad("{\"pattern\": \"(?:a)\"}", "\"a\"", "a \"(?\" group");
    bad("{\"pattern\": \"a{2,1}\"}", "\"a\"", "regcomp() cannot take");
    bad("{\"pattern\": \"(\"}", "3", "regcomp() cannot take");
    bad("{\"$ref\": \"#/components/schemas/Nope\"}", "1",
        "names nothing in the document");
    bad("{\"$ref\": \"other.json#/x\"}", "1", "names nothing");
    bad("{\"$ref\": \"#/components/schemas/Loop\"}", "1",
        "schemas nest deeper than");
    bad("{\"type\": \"float\"}", "1.5", "names no JSON Schema type");
    bad("{\"items\": [{\"type\": \"string\"}]}", "[\"a\"]",
        "items must be a schema");
    bad("{\"minLength\": -1}", "\"\"", "non-negative integer");
}

Test(jschema, lists_every_failure)
{
    json_t *errs = run("{\"type\": \"object\", \"required\": [\"a\", \"b\"],"
                       " \"properties\": {\"c\": {\"type\": \"string\"}}}",
                       "{\"c\": 1}");

    cr_expect_eq(json_array_size(errs), 3, "%zu failures",
                 json_array_size(errs));
    json_decref(errs);
}

Test(jschema, resolves_json_pointers)
{
    json_t *doc = load("{\"a\": [{\"b/c\": 1}, 2], \"%\": 3}");

    cr_expect_eq(jschema_resolve(doc, "#"), doc);
    cr_expect_eq(json_integer_value(jschema_resolve(doc, "#/a/1")), 2);
    cr_expect_not_null(jschema_resolve(doc, "#/a/0/b~1c"));
    cr_expect_not_null(jschema_resolve(doc, "#/%25"));
    cr_expect_null(jschema_resolve(doc, "#/a/01"));
    cr_expect_null(jschema_resolve(doc, "#/a/2"));
    cr_expect_null(jschema_resolve(doc, "#/a~2"));
    cr_expect_null(jschema_resolve(doc, "/a"));
    json_decref(doc);
}
