/*
 * jschema.h -- a JSON Schema validator for the tests, over jansson.
 *
 * It reads the part of JSON Schema 2020-12 that service/openapi.json uses
 * and a little more: "$ref" to a JSON pointer inside the same document
 * ("#/components/schemas/Topic"), "type" (a name or an array of names,
 * "integer" being any number with no fraction), "enum", "const",
 * "properties", "patternProperties", "required", "additionalProperties",
 * "minProperties", "maxProperties", "items", "prefixItems", "minItems",
 * "maxItems", "uniqueItems", "allOf", "anyOf", "oneOf", "not", "minimum",
 * "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength" and
 * "maxLength" (in code points) and "pattern" (POSIX extended regular
 * expressions, searched unanchored as ECMA-262 does).
 *
 * Annotations (description, title, examples, default, format, ...) and
 * "x-" extensions are skipped.  Any other keyword is a fault of the
 * schema, reported as a failure: a schema the validator cannot read must
 * never pass an instance.  So is a pattern that uses ECMA-262 syntax
 * which regcomp() would read otherwise or not at all, a "$ref" that does
 * not resolve, and nesting deeper than JSCHEMA_MAX_DEPTH (a "$ref" cycle
 * that never moves into the instance).
 */
#ifndef WENDA_TESTS_E2E_JSCHEMA_H
#define WENDA_TESTS_E2E_JSCHEMA_H

#include <jansson.h>

/* How many schemas deep one validation may go, "$ref"s included. */
#define JSCHEMA_MAX_DEPTH 64

/*
 * Validates instance against schema (an object or a boolean), which sits at
 * schema_path in root ("#/components/schemas/Topic"; only used in
 * messages), the document that "$ref"s resolve in.  Returns a new reference
 * to an array of strings, one per failure and empty when the instance is
 * valid, or NULL when memory runs out.  Each string reads
 *
 *     at "<instance pointer>": <what is wrong> [<schema path>/<keyword>]
 *
 * and a fault of the schema itself says "schema error:" before what is
 * wrong.  Neither root nor instance is changed; they are not const only
 * because jansson iterates over values that are not.
 */
json_t *jschema_validate(json_t *root, json_t *schema,
                         const char *schema_path, json_t *instance);

/*
 * jschema_validate() of the schema that ref, a "#/..." JSON pointer, names
 * in root.  A ref that does not resolve gives one "schema error" failure.
 */
json_t *jschema_validate_ref(json_t *root, const char *ref,
                             json_t *instance);

/*
 * Returns the value that ref, "#" followed by a JSON pointer (RFC 6901,
 * with ~0 and ~1), names in root, or NULL when it names nothing or is not
 * of that form.  The value is borrowed from root.
 */
json_t *jschema_resolve(json_t *root, const char *ref);

#endif /* WENDA_TESTS_E2E_JSCHEMA_H */
