/*
 * jschema.c -- the JSON Schema validator of jschema.h.
 *
 * One walk over schema and instance together.  The walk carries two JSON
 * pointers, where it is in the instance and where in the document, built
 * in place (a segment is appended on the way down and cut off on the way
 * back), so that every failure can say both.  Failures of the instance go
 * to a list that "anyOf", "oneOf" and "not" swap for a fresh one while they
 * try a branch; faults of the schema go to a list of their own that no
 * branch can hide, since a schema the validator cannot read must fail
 * whatever branch would have matched.
 *
 * Each keyword is a function in one table; a keyword that is neither there
 * nor a known annotation is a fault.  Depth is counted per schema entered,
 * "$ref"s included, and capped at JSCHEMA_MAX_DEPTH.
 */
#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jschema.h"

#define PTR_CAP  1024  /* room for either JSON pointer */
#define MSG_CAP  1024  /* room for one message */
#define SHOW_CAP 96    /* room for a value quoted in a message */

struct ctx {
    json_t *root;       /* the document "$ref"s resolve in */
    json_t *errors;     /* failures of the instance (swapped per branch) */
    json_t *faults;     /* faults of the schema (never swapped) */
    char ip[PTR_CAP];   /* JSON pointer into the instance */
    size_t iplen;
    char sp[PTR_CAP];   /* where the current schema is in root */
    size_t splen;
    int depth;          /* schemas entered */
};

/* A keyword: the schema holding it, its value and the instance. */
typedef void kw_fn(struct ctx *c, json_t *schema, json_t *val, json_t *inst);

struct keyword {
    const char *name;
    kw_fn *fn;
};

static void check(struct ctx *c, json_t *schema, json_t *inst);

/* Words that assert nothing (2020-12's annotations, OpenAPI's additions). */
static const char *const annotations[] = {
    "description", "title",  "example",          "examples",
    "default",     "deprecated", "readOnly",     "writeOnly",
    "format",      "$comment", "$schema",        "$defs",
    "contentMediaType", "contentEncoding", "externalDocs", "xml",
};

/* ---- pointers and messages ---------------------------------------------- */

/*
 * Appends "/" and seg to the pointer buf of length *len, escaping "~" and
 * "/" as RFC 6901 says; a pointer that would not fit ends in "...".
 * Returns the length before, for pop().
 */
static size_t
push(char *buf, size_t *len, const char *seg)
{
    size_t old = *len, n = old;
    const char *s;

    if (n + 1 < PTR_CAP)
        buf[n++] = '/';
    for (s = seg; *s != '\0' && n + 3 < PTR_CAP; s++) {
        if (*s == '~' || *s == '/') {
            buf[n++] = '~';
            buf[n++] = *s == '~' ? '0' : '1';
        } else {
            buf[n++] = *s;
        }
    }
    if (*s != '\0')
        (void)snprintf(buf + PTR_CAP - 4, 4, "...");
    buf[n < PTR_CAP ? n : PTR_CAP - 1] = '\0';
    *len = strlen(buf);
    return old;
}

/* push() of an array index. */
static size_t
push_index(char *buf, size_t *len, size_t i)
{
    char seg[24];

    (void)snprintf(seg, sizeof(seg), "%zu", i);
    return push(buf, len, seg);
}

/* Cuts the pointer buf back to the length old that push() returned. */
static void
pop(char *buf, size_t *len, size_t old)
{
    buf[old] = '\0';
    *len = old;
}

/* Writes v as compact JSON into out, cut to SHOW_CAP bytes. */
static void
show(const json_t *v, char out[SHOW_CAP])
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

    if (s == NULL) {
        (void)snprintf(out, SHOW_CAP, "(a value)");
        return;
    }
    if (strlen(s) >= SHOW_CAP)
        (void)snprintf(out, SHOW_CAP, "%.*s...", SHOW_CAP - 4, s);
    else
        (void)snprintf(out, SHOW_CAP, "%s", s);
    free(s);
}

static void report(struct ctx *c, json_t *into, const char *prefix,
                   const char *kw, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

/* Appends one message to into; kw is the keyword at fault or "". */
static void
report(struct ctx *c, json_t *into, const char *prefix, const char *kw,
       const char *fmt, va_list ap)
{
    char msg[MSG_CAP], line[MSG_CAP + 2 * PTR_CAP + 64];

    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    (void)snprintf(line, sizeof(line), "at \"%s\": %s%s [%s%s%s]", c->ip,
                   prefix, msg, c->sp, *kw != '\0' ? "/" : "", kw);
    /* Quoted values may be cut inside a character: no UTF-8 check. */
    (void)json_array_append_new(into, json_string_nocheck(line));
}

static void fail(struct ctx *c, const char *kw, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fault(struct ctx *c, const char *kw, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records a failure of the instance at keyword kw. */
static void
fail(struct ctx *c, const char *kw, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report(c, c->errors, "", kw, fmt, ap);
    va_end(ap);
}

/* Records a fault of the schema at keyword kw. */
static void
fault(struct ctx *c, const char *kw, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report(c, c->faults, "schema error: ", kw, fmt, ap);
    va_end(ap);
}

/* Checks inst against sub, the schema at sp + "/seg" (+ "/sub" if any). */
static void
descend(struct ctx *c, json_t *sub, const char *seg, const char *subseg,
        json_t *inst)
{
    size_t old = push(c->sp, &c->splen, seg);

    if (subseg != NULL)
        (void)push(c->sp, &c->splen, subseg);
    check(c, sub, inst);
    pop(c->sp, &c->splen, old);
}

/* descend() with the instance pointer moved to member key of inst. */
static void
descend_member(struct ctx *c, json_t *sub, const char *seg,
               const char *subseg, const char *key, json_t *member)
{
    size_t old = push(c->ip, &c->iplen, key);

    descend(c, sub, seg, subseg, member);
    pop(c->ip, &c->iplen, old);
}

/* ---- values ------------------------------------------------------------- */

/* JSON Schema's name of the type of v ("integer" for a whole number). */
static const char *
type_name(const json_t *v)
{
    double d;

    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL:
        d = json_real_value(v);
        return isfinite(d) && d == floor(d) ? "integer" : "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/* 1 when v is of type t, 0 when not, -1 when t names no type. */
static int
is_type(const json_t *v, const char *t)
{
    const char *mine = type_name(v);

    if (strcmp(t, "number") == 0)
        return json_is_number(v);
    if (strcmp(t, "integer") == 0 || strcmp(t, "null") == 0 ||
        strcmp(t, "boolean") == 0 || strcmp(t, "object") == 0 ||
        strcmp(t, "array") == 0 || strcmp(t, "string") == 0)
        return strcmp(mine, t) == 0;
    return -1;
}

/* Compares two numbers: below zero, zero or above as a < b, ==, >. */
static int
num_cmp(const json_t *a, const json_t *b)
{
    double x, y;

    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t i = json_integer_value(a), j = json_integer_value(b);

        return (i > j) - (i < j);
    }
    x = json_number_value(a);
    y = json_number_value(b);
    return (x > y) - (x < y);
}

/*
 * JSON Schema's equality: numbers by value (1 equals 1.0), arrays item by
 * item, objects member by member whatever their order.  Recursion follows
 * the values, which jansson's parser holds to its own depth limit.
 */
static int
equal(json_t *a, json_t *b)
{
    const char *key;
    json_t *v;
    size_t i;

    if (json_is_number(a) && json_is_number(b))
        return num_cmp(a, b) == 0;
    if (json_typeof(a) != json_typeof(b))
        return 0;
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        json_array_foreach(a, i, v) {
            if (!equal(v, json_array_get(b, i)))
                return 0;
        }
        return 1;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        json_object_foreach(a, key, v) {
            json_t *w = json_object_get(b, key);

            if (w == NULL || !equal(v, w))
                return 0;
        }
        return 1;
    }
    return json_equal(a, b);
}

/* The number of code points in the UTF-8 string s (jansson checked it). */
static size_t
code_points(const json_t *s)
{
    const unsigned char *p = (const unsigned char *)json_string_value(s);
    size_t n = 0, i, len = json_string_length(s);

    for (i = 0; i < len; i++)
        n += (p[i] & 0xC0) != 0x80;
    return n;
}

/*
 * The value of a keyword that must be a non-negative integer, or -1 after
 * reporting a fault.
 */
static json_int_t
count_of(struct ctx *c, const char *kw, const json_t *val)
{
    if (!json_is_integer(val) || json_integer_value(val) < 0) {
        fault(c, kw, "%s must be a non-negative integer", kw);
        return -1;
    }
    return json_integer_value(val);
}

/* ---- patterns ----------------------------------------------------------- */

/*
 * Returns NULL when pattern reads the same as POSIX extended and as
 * ECMA-262 syntax, as far as the schemas go, else what stands in the way:
 * an escape of a letter or digit (\d, \w, \b, \1, \p{...}, \u0041), any
 * escape inside brackets (literal to POSIX), and "(?" groups.
 */
static const char *
ecma_only(const char *pattern)
{
    int in_bracket = 0;
    const char *p;

    for (p = pattern; *p != '\0'; p++) {
        if (*p == '\\') {
            if (in_bracket)
                return "an escape inside brackets";
            if (p[1] == '\0' || isalnum((unsigned char)p[1]))
                return "an escape of a letter or digit";
            p++;
        } else if (*p == '[' && !in_bracket) {
            in_bracket = 1;
            if (p[1] == '^')
                p++;
            if (p[1] == ']')
                p++;
        } else if (*p == ']' && in_bracket) {
            in_bracket = 0;
        } else if (*p == '(' && p[1] == '?' && !in_bracket) {
            return "a \"(?\" group";
        }
    }
    return NULL;
}

/* Compiles pattern (keyword kw) into re; reports a fault and returns -1
 * when it cannot be read as ECMA-262 means it.  The caller regfree()s re
 * after a 0. */
static int
compile(struct ctx *c, const char *kw, const json_t *pattern, regex_t *re)
{
    const char *why, *s = json_string_value(pattern);
    char msg[256];
    int rc;

    if (s == NULL) {
        fault(c, kw, "a pattern must be a string");
        return -1;
    }
    if ((why = ecma_only(s)) != NULL) {
        fault(c, kw, "pattern %s has %s, which regcomp() does not read as "
                     "ECMA-262 does", s, why);
        return -1;
    }
    rc = regcomp(re, s, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        (void)regerror(rc, re, msg, sizeof(msg));
        fault(c, kw, "regcomp() cannot take pattern %s: %s", s, msg);
        return -1;
    }
    return 0;
}

/* 1 when s matches pattern somewhere, 0 when not, -1 after a fault. */
static int
matches(struct ctx *c, const char *kw, const json_t *pattern, const char *s)
{
    regex_t re;
    int hit;

    if (compile(c, kw, pattern, &re) != 0)
        return -1;
    hit = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return hit;
}

/* ---- keywords: references, types and values ----------------------------- */

static void
kw_ref(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    const char *ref = json_string_value(val);
    char saved[PTR_CAP];
    size_t saved_len = c->splen;
    json_t *target;

    (void)schema;
    if (ref == NULL) {
        fault(c, "$ref", "$ref must be a string");
        return;
    }
    target = jschema_resolve(c->root, ref);
    if (target == NULL) {
        fault(c, "$ref", "$ref %s names nothing in the document", ref);
        return;
    }
    memcpy(saved, c->sp, saved_len + 1);
    (void)snprintf(c->sp, PTR_CAP, "%s", ref);
    c->splen = strlen(c->sp);
    check(c, target, inst);
    memcpy(c->sp, saved, saved_len + 1);
    c->splen = saved_len;
}

static void
kw_type(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    char want[SHOW_CAP];
    json_t *t;
    size_t i;
    int hit = 0, r;

    (void)schema;
    if (json_is_string(val)) {
        hit = is_type(inst, json_string_value(val));
    } else if (json_is_array(val) && json_array_size(val) > 0) {
        json_array_foreach(val, i, t) {
            r = json_is_string(t) ? is_type(inst, json_string_value(t)) : -1;
            if (r < 0) {
                hit = -1;
                break;
            }
            hit |= r;
        }
    } else {
        hit = -1;
    }
    show(val, want);
    if (hit < 0)
        fault(c, "type", "type %s names no JSON Schema type", want);
    else if (!hit)
        fail(c, "type", "is %s, not %s", type_name(inst), want);
}

static void
kw_enum(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    char got[SHOW_CAP];
    json_t *v;
    size_t i;

    (void)schema;
    if (!json_is_array(val)) {
        fault(c, "enum", "enum must be an array");
        return;
    }
    json_array_foreach(val, i, v) {
        if (equal(inst, v))
            return;
    }
    show(inst, got);
    fail(c, "enum", "%s is none of the %zu values of enum", got,
         json_array_size(val));
}

static void
kw_const(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    char got[SHOW_CAP], want[SHOW_CAP];

    (void)schema;
    if (equal(inst, val))
        return;
    show(inst, got);
    show(val, want);
    fail(c, "const", "%s is not the const %s", got, want);
}

/* ---- keywords: objects --------------------------------------------------- */

static void
kw_properties(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    const char *key;
    json_t *sub, *member;

    (void)schema;
    if (!json_is_object(val)) {
        fault(c, "properties", "properties must be an object");
        return;
    }
    if (!json_is_object(inst))
        return;
    json_object_foreach(val, key, sub) {
        if ((member = json_object_get(inst, key)) != NULL)
            descend_member(c, sub, "properties", key, key, member);
    }
}

static void
kw_pattern_properties(struct ctx *c, json_t *schema, json_t *val,
                      json_t *inst)
{
    const char *pat, *key;
    json_t *sub, *member;
    int hit;

    (void)schema;
    if (!json_is_object(val)) {
        fault(c, "patternProperties", "patternProperties must be an object");
        return;
    }
    if (!json_is_object(inst))
        return;
    json_object_foreach(val, pat, sub) {
        json_t *p = json_string(pat);

        json_object_foreach(inst, key, member) {
            hit = matches(c, "patternProperties", p, key);
            if (hit < 0)
                break;
            if (hit)
                descend_member(c, sub, "patternProperties", pat, key, member);
        }
        json_decref(p);
    }
}

/* 1 when key is named by the properties or matched by the
 * patternProperties of schema, 0 when not, -1 after a fault. */
static int
declared(struct ctx *c, json_t *schema, const char *key)
{
    json_t *pp = json_object_get(schema, "patternProperties"), *sub;
    const char *pat;
    int hit;

    if (json_object_get(json_object_get(schema, "properties"), key) != NULL)
        return 1;
    json_object_foreach(pp, pat, sub) {
        json_t *p = json_string(pat);

        hit = matches(c, "patternProperties", p, key);
        json_decref(p);
        if (hit != 0)
            return hit;
    }
    return 0;
}

static void
kw_additional(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    const char *key;
    json_t *member;

    if (!json_is_object(inst))
        return;
    json_object_foreach(inst, key, member) {
        /* Declared (1), or a pattern that could not be read (-1). */
        if (declared(c, schema, key) != 0)
            continue;
        if (json_is_false(val)) {
            size_t old = push(c->ip, &c->iplen, key);

            fail(c, "additionalProperties", "no property \"%s\" is allowed "
                 "here", key);
            pop(c->ip, &c->iplen, old);
        } else {
            descend_member(c, val, "additionalProperties", NULL, key, member);
        }
    }
}

static void
kw_required(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    json_t *name;
    size_t i;

    (void)schema;
    if (!json_is_array(val)) {
        fault(c, "required", "required must be an array");
        return;
    }
    json_array_foreach(val, i, name) {
        if (!json_is_string(name)) {
            fault(c, "required", "required must list strings");
            return;
        }
        if (json_is_object(inst) &&
            json_object_get(inst, json_string_value(name)) == NULL)
            fail(c, "required", "lacks the required property \"%s\"",
                 json_string_value(name));
    }
}

static void
kw_min_properties(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    json_int_t n = count_of(c, "minProperties", val);

    (void)schema;
    if (n >= 0 && json_is_object(inst) && json_object_size(inst) < (size_t)n)
        fail(c, "minProperties", "has %zu properties, fewer than %lld",
             json_object_size(inst), (long long)n);
}

static void
kw_max_properties(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    json_int_t n = count_of(c, "maxProperties", val);

    (void)schema;
    if (n >= 0 && json_is_object(inst) && json_object_size(inst) > (size_t)n)
        fail(c, "maxProperties", "has %zu properties, more than %lld",
             json_object_size(inst), (long long)n);
}

/* ---- keywords: arrays ---------------------------------------------------- */

static void
kw_items(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    json_t *prefix = json_object_get(schema, "prefixItems"), *item;
    size_t i, start = json_is_array(prefix) ? json_array_size(prefix) : 0;

    if (!json_is_object(val) && !json_is_boolean(val)) {
        fault(c, "items", "items must be a schema (prefixItems lists them "
                          "in 2020-12)");
        return;
    }
    if (!json_is_array(inst))
        return;
    for (i = start; i < json_array_size(inst); i++) {
        size_t old = push_index(c->ip, &c->iplen, i);

        item = json_array_get(inst, i);
        descend(c, val, "items", NULL, item);
        pop(c->ip, &c->iplen, old);
    }
}

static void
kw_prefix_items(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    char seg[24];
    size_t i;

    (void)schema;
    if (!json_is_array(val)) {
        fault(c, "prefixItems", "prefixItems must be an array");
        return;
    }
    if (!json_is_array(inst))
        return;
    for (i = 0; i < json_array_size(val) && i < json_array_size(inst); i++) {
        size_t old = push_index(c->ip, &c->iplen, i);

        (void)snprintf(seg, sizeof(seg), "%zu", i);
        descend(c, json_array_get(val, i), "prefixItems", seg,
                json_array_get(inst, i));
        pop(c->ip, &c->iplen, old);
    }
}

static void
kw_min_items(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    json_int_t n = count_of(c, "minItems", val);

    (void)schema;
    if (n >= 0 && json_is_array(inst) && json_array_size(inst) < (size_t)n)
        fail(c, "minItems", "has %zu items, fewer than %lld",
             json_array_size(inst), (long long)n);
}

static void
kw_max_items(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    json_int_t n = count_of(c, "maxItems", val);

    (void)schema;
    if (n >= 0 && json_is_array(inst) && json_array_size(inst) > (size_t)n)
        fail(c, "maxItems", "has %zu items, more than %lld",
             json_array_size(inst), (long long)n);
}

static void
kw_unique_items(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    size_t i, j, n = json_array_size(inst);

    (void)schema;
    if (!json_is_boolean(val)) {
        fault(c, "uniqueItems", "uniqueItems must be a boolean");
        return;
    }
    if (json_is_false(val) || !json_is_array(inst))
        return;
    for (i = 0; i < n; i++) {
        for (j = i + 1; j < n; j++) {
            if (equal(json_array_get(inst, i), json_array_get(inst, j))) {
                fail(c, "uniqueItems", "items %zu and %zu are equal", i, j);
                return;
            }
        }
    }
}

/* ---- keywords: combinations ---------------------------------------------- */

/*
 * Checks inst against branch i of keyword kw into a fresh list of failures,
 * and returns that list (a new reference); faults still go to c->faults.
 */
static json_t *
try_branch(struct ctx *c, const char *kw, json_t *sub, size_t i,
           json_t *inst)
{
    json_t *saved = c->errors, *mine = json_array();
    char seg[24];

    (void)snprintf(seg, sizeof(seg), "%zu", i);
    c->errors = mine;
    descend(c, sub, kw, seg, inst);
    c->errors = saved;
    return mine;
}

/* The subschemas of kw, or NULL after a fault. */
static json_t *
branches(struct ctx *c, const char *kw, json_t *val)
{
    if (!json_is_array(val) || json_array_size(val) == 0) {
        fault(c, kw, "%s must be a non-empty array", kw);
        return NULL;
    }
    return val;
}

static void
kw_all_of(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    char seg[24];
    json_t *sub;
    size_t i;

    (void)schema;
    if (branches(c, "allOf", val) == NULL)
        return;
    json_array_foreach(val, i, sub) {
        (void)snprintf(seg, sizeof(seg), "%zu", i);
        descend(c, sub, "allOf", seg, inst);
    }
}

/*
 * anyOf and oneOf: counts the branches inst matches and, when it matches
 * none or (exact) more than one, fails with what each branch said first.
 */
static void
some_of(struct ctx *c, const char *kw, json_t *val, json_t *inst, int exact)
{
    char why[MSG_CAP] = "", hits[64] = "";
    size_t i, n = 0, used = 0, hused = 0;
    json_t *sub;

    if (branches(c, kw, val) == NULL)
        return;
    json_array_foreach(val, i, sub) {
        json_t *errs = try_branch(c, kw, sub, i, inst);
        const char *first = json_string_value(json_array_get(errs, 0));

        if (first == NULL) {
            n++;
            if (hused < sizeof(hits))
                hused += (size_t)snprintf(hits + hused, sizeof(hits) - hused,
                                          "%s%zu", n > 1 ? ", " : "", i);
        } else if (used < sizeof(why)) {
            used += (size_t)snprintf(why + used, sizeof(why) - used,
                                     "%s%zu: %s", used ? "; " : "", i, first);
        }
        json_decref(errs);
    }
    if (n == 0)
        fail(c, kw, "matches none of the %zu %s schemas (%s)",
             json_array_size(val), kw, why);
    else if (exact && n > 1)
        fail(c, kw, "matches %zu of the oneOf schemas (%s), not one", n,
             hits);
}

static void
kw_any_of(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    (void)schema;
    some_of(c, "anyOf", val, inst, 0);
}

static void
kw_one_of(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    (void)schema;
    some_of(c, "oneOf", val, inst, 1);
}

static void
kw_not(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    json_t *saved = c->errors, *mine = json_array();

    (void)schema;
    c->errors = mine;
    descend(c, val, "not", NULL, inst);
    c->errors = saved;
    if (json_array_size(mine) == 0)
        fail(c, "not", "matches the schema of not");
    json_decref(mine);
}

/* ---- keywords: numbers and strings --------------------------------------- */

/*
 * minimum, maximum and their exclusive forms: inst must compare to the
 * limit val as sign says (below zero: less) or, unless strict, equal it.
 */
static void
bound(struct ctx *c, const char *kw, json_t *val, json_t *inst, int sign,
      int strict)
{
    char got[SHOW_CAP], lim[SHOW_CAP];
    int cmp;

    if (!json_is_number(val)) {
        fault(c, kw, "%s must be a number", kw);
        return;
    }
    if (!json_is_number(inst))
        return;
    cmp = num_cmp(inst, val);
    if ((cmp == 0 && !strict) || (cmp != 0 && (cmp < 0) == (sign < 0)))
        return;
    show(inst, got);
    show(val, lim);
    fail(c, kw, "%s is not %s %s", got,
         sign < 0 ? (strict ? "below" : "at most")
                  : (strict ? "above" : "at least"), lim);
}

static void
kw_minimum(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    (void)schema;
    bound(c, "minimum", val, inst, 1, 0);
}

static void
kw_maximum(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    (void)schema;
    bound(c, "maximum", val, inst, -1, 0);
}

static void
kw_exclusive_minimum(struct ctx *c, json_t *schema, json_t *val,
                     json_t *inst)
{
    (void)schema;
    bound(c, "exclusiveMinimum", val, inst, 1, 1);
}

static void
kw_exclusive_maximum(struct ctx *c, json_t *schema, json_t *val,
                     json_t *inst)
{
    (void)schema;
    bound(c, "exclusiveMaximum", val, inst, -1, 1);
}

static void
kw_min_length(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    json_int_t n = count_of(c, "minLength", val);

    (void)schema;
    if (n >= 0 && json_is_string(inst) && code_points(inst) < (size_t)n)
        fail(c, "minLength", "has %zu characters, fewer than %lld",
             code_points(inst), (long long)n);
}

static void
kw_max_length(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    json_int_t n = count_of(c, "maxLength", val);

    (void)schema;
    if (n >= 0 && json_is_string(inst) && code_points(inst) > (size_t)n)
        fail(c, "maxLength", "has %zu characters, more than %lld",
             code_points(inst), (long long)n);
}

static void
kw_pattern(struct ctx *c, json_t *schema, json_t *val, json_t *inst)
{
    char got[SHOW_CAP];

    (void)schema;
    if (!json_is_string(inst)) {
        regex_t re;

        /* Still a fault when the pattern cannot be read. */
        if (compile(c, "pattern", val, &re) == 0)
            regfree(&re);
        return;
    }
    if (strlen(json_string_value(inst)) != json_string_length(inst)) {
        fail(c, "pattern", "holds a NUL, which regexec() cannot see past");
        return;
    }
    if (matches(c, "pattern", val, json_string_value(inst)) == 0) {
        show(inst, got);
        fail(c, "pattern", "%s does not match %s", got,
             json_string_value(val));
    }
}

/* ---- the walk ------------------------------------------------------------ */

static const struct keyword keywords[] = {
    {"$ref", kw_ref},
    {"type", kw_type},
    {"enum", kw_enum},
    {"const", kw_const},
    {"properties", kw_properties},
    {"patternProperties", kw_pattern_properties},
    {"additionalProperties", kw_additional},
    {"required", kw_required},
    {"minProperties", kw_min_properties},
    {"maxProperties", kw_max_properties},
    {"items", kw_items},
    {"prefixItems", kw_prefix_items},
    {"minItems", kw_min_items},
    {"maxItems", kw_max_items},
    {"uniqueItems", kw_unique_items},
    {"allOf", kw_all_of},
    {"anyOf", kw_any_of},
    {"oneOf", kw_one_of},
    {"not", kw_not},
    {"minimum", kw_minimum},
    {"maximum", kw_maximum},
    {"exclusiveMinimum", kw_exclusive_minimum},
    {"exclusiveMaximum", kw_exclusive_maximum},
    {"minLength", kw_min_length},
    {"maxLength", kw_max_length},
    {"pattern", kw_pattern},
};

/* 1 when name asserts nothing: an annotation or an "x-" extension. */
static int
is_annotation(const char *name)
{
    size_t i;

    if (strncmp(name, "x-", 2) == 0)
        return 1;
    for (i = 0; i < sizeof(annotations) / sizeof(annotations[0]); i++) {
        if (strcmp(name, annotations[i]) == 0)
            return 1;
    }
    return 0;
}

static void
check(struct ctx *c, json_t *schema, json_t *inst)
{
    const char *kw;
    json_t *val;
    size_t i;

    if (json_is_true(schema))
        return;
    if (json_is_false(schema)) {
        fail(c, "", "the schema here is false: nothing is allowed");
        return;
    }
    if (!json_is_object(schema)) {
        fault(c, "", "a schema must be an object or a boolean");
        return;
    }
    if (c->depth >= JSCHEMA_MAX_DEPTH) {
        fault(c, "", "schemas nest deeper than %d (a $ref cycle?)",
              JSCHEMA_MAX_DEPTH);
        return;
    }
    c->depth++;
    json_object_foreach(schema, kw, val) {
        for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
            if (strcmp(kw, keywords[i].name) == 0)
                break;
        }
        if (i < sizeof(keywords) / sizeof(keywords[0]))
            keywords[i].fn(c, schema, val, inst);
        else if (!is_annotation(kw))
            fault(c, kw, "keyword \"%s\" is not supported", kw);
    }
    c->depth--;
}

/* ---- the interface -------------------------------------------------------- */

/* Decodes one reference token of length n into out (cap bytes): ~1 and
 * ~0, and %XX (a URI fragment).  Returns -1 when it is malformed. */
static int
token(const char *s, size_t n, char *out, size_t cap)
{
    size_t i, k = 0;
    char hex[3] = "";

    for (i = 0; i < n; i++) {
        char ch = s[i];

        if (k + 1 >= cap)
            return -1;
        if (ch == '~') {
            if (i + 1 >= n || (s[i + 1] != '0' && s[i + 1] != '1'))
                return -1;
            ch = s[++i] == '0' ? '~' : '/';
        } else if (ch == '%') {
            if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
                !isxdigit((unsigned char)s[i + 2]))
                return -1;
            memcpy(hex, s + i + 1, 2);
            ch = (char)strtol(hex, NULL, 16);
            i += 2;
        }
        out[k++] = ch;
    }
    out[k] = '\0';
    return 0;
}

json_t *
jschema_resolve(json_t *root, const char *ref)
{
    json_t *at = root;
    const char *p;
    char tok[256], *end;

    if (ref == NULL || ref[0] != '#')
        return NULL;
    for (p = ref + 1; at != NULL && *p == '/';) {
        size_t n = strcspn(p + 1, "/");

        if (token(p + 1, n, tok, sizeof(tok)) != 0)
            return NULL;
        if (json_is_object(at)) {
            at = json_object_get(at, tok);
        } else if (json_is_array(at) && isdigit((unsigned char)tok[0]) &&
                   (tok[0] != '0' || tok[1] == '\0')) {
            unsigned long i = strtoul(tok, &end, 10);

            at = *end == '\0' ? json_array_get(at, i) : NULL;
        } else {
            at = NULL;
        }
        p += 1 + n;
    }
    return *p == '\0' ? at : NULL;
}

json_t *
jschema_validate(json_t *root, json_t *schema, const char *schema_path,
                 json_t *instance)
{
    struct ctx c;
    json_t *out;

    memset(&c, 0, sizeof(c));
    c.root = root;
    c.errors = json_array();
    c.faults = json_array();
    if (c.errors == NULL || c.faults == NULL) {
        json_decref(c.errors);
        json_decref(c.faults);
        return NULL;
    }
    (void)snprintf(c.sp, sizeof(c.sp), "%s", schema_path);
    c.splen = strlen(c.sp);
    check(&c, schema, instance);
    out = c.faults;
    (void)json_array_extend(out, c.errors);
    json_decref(c.errors);
    return out;
}

json_t *
jschema_validate_ref(json_t *root, const char *ref, json_t *instance)
{
    json_t *schema = jschema_resolve(root, ref), *out;
    char line[PTR_CAP + 64];

    if (schema != NULL)
        return jschema_validate(root, schema, ref, instance);
    out = json_array();
    (void)snprintf(line, sizeof(line),
                   "at \"\": schema error: %s names nothing [%s]", ref, ref);
    (void)json_array_append_new(out, json_string_nocheck(line));
    return out;
}
