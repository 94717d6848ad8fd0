/*
 * content_lexicon.c -- synonyms.yml and dictionary.yml, both ways.
 *
 * The two files are the editors' documents of wenda/lexicon.h written as
 * YAML.  A file is read as the JSON document it stands for -- a mapping as
 * an object, a list as an array, every scalar as a string -- and checked
 * whole by lexicon.c, with the same checks as a PUT of the document over
 * the API.  Their messages name the value at fault by its JSON pointer
 * ("/groups/3/1: ..."), which is followed again through the YAML document
 * to the line a person goes to.  The conversion is bounded: a document
 * nests no deeper than MAX_DEPTH and holds no more than MAX_VALUES values,
 * however often its aliases repeat a list (or hold the list they are in);
 * past either, reading stops at the first such value.
 *
 * Writing is canonical, as for topic files: the keys of each mapping
 * sorted, the lists of the top level one entry a line (a group, a rule, a
 * word), the lists within them in flow style, every string double-quoted,
 * so that a file written reads back to the same document and is written
 * again to the same bytes.
 */
#include "wenda/content.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buf.h"
#include "content_int.h"
#include "wenda/lexicon.h"
#include "wenda/tokenize.h"

/* How deep a document's values nest (a rule's "to" list is at 3, its
 * terms at 4), and how many it may hold. */
#define MAX_DEPTH 4
#define MAX_VALUES                                                          \
    ((size_t)WENDA_LEXICON_MAX_GROUPS * (WENDA_LEXICON_MAX_TERMS + 4) * 2 + \
     WENDA_LEXICON_MAX_WORDS + 16)

/* One file being read as JSON. */
struct reading {
    struct wenda_content_diag *d;
    yaml_document_t *doc;
    size_t values;   /* values made so far */
    int stop;        /* past MAX_VALUES or MAX_DEPTH: no value more */
    int nomem;       /* an allocation failed */
};

static json_t *to_json(struct reading *r, yaml_node_t *n, int depth);
static int emit_value(yaml_emitter_t *e, const json_t *v, int depth);
static int cmp_keys(const void *a, const void *b);

/* Returns the 1-based line on which node n starts. */
static unsigned long
line_of(const yaml_node_t *n)
{
    return 1 + (unsigned long)n->start_mark.line;
}

/* ---- reading -------------------------------------------------------- */

/* A scalar as a JSON string: UTF-8 without NUL (a "\0" escape makes one). */
static json_t *
scalar_json(struct reading *r, const yaml_node_t *n)
{
    const char *s = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    json_t *v;

    if (!wenda_utf8_valid(s, len, NULL)) {
        wenda_content_report(r->d, line_of(n), "a string holds a NUL "
                             "character or is not valid UTF-8");
        return NULL;
    }
    v = json_stringn(s, len);
    if (v == NULL)
        r->nomem = 1;
    return v;
}

/* A list as a JSON array; a value that could not be read is null. */
static json_t *
sequence_json(struct reading *r, yaml_node_t *n, int depth)
{
    json_t *a = json_array();
    yaml_node_item_t *it;

    if (a == NULL) {
        r->nomem = 1;
        return NULL;
    }
    for (it = n->data.sequence.items.start;
         it < n->data.sequence.items.top && !r->stop; it++) {
        json_t *v = to_json(r, yaml_document_get_node(r->doc, *it),
                            depth + 1);

        if (json_array_append_new(a, v ? v : json_null()) != 0)
            r->nomem = 1;
    }
    return a;
}

/* A mapping as a JSON object: plain string keys, each once. */
static json_t *
mapping_json(struct reading *r, yaml_node_t *n, int depth)
{
    json_t *o = json_object();
    yaml_node_pair_t *p;

    if (o == NULL) {
        r->nomem = 1;
        return NULL;
    }
    for (p = n->data.mapping.pairs.start;
         p < n->data.mapping.pairs.top && !r->stop; p++) {
        yaml_node_t *k = yaml_document_get_node(r->doc, p->key);
        const char *key = k != NULL && k->type == YAML_SCALAR_NODE
                              ? (const char *)k->data.scalar.value
                              : NULL;
        json_t *v;

        if (key == NULL || strlen(key) != k->data.scalar.length ||
            !wenda_utf8_valid(key, strlen(key), NULL)) {
            wenda_content_report(r->d, k ? line_of(k) : line_of(n),
                                 "keys must be plain names");
            continue;
        }
        if (json_object_get(o, key) != NULL) {
            wenda_content_report(r->d, line_of(k), "field '%.40s' appears "
                                 "twice", key);
            continue;
        }
        v = to_json(r, yaml_document_get_node(r->doc, p->value), depth + 1);
        if (json_object_set_new(o, key, v ? v : json_null()) != 0)
            r->nomem = 1;
    }
    return o;
}

/*
 * Returns node n as a new JSON value, or NULL after reporting why it
 * cannot be one (or setting r->nomem).
 */
static json_t *
to_json(struct reading *r, yaml_node_t *n, int depth)
{
    if (n == NULL || r->stop)
        return NULL;
    if (++r->values > MAX_VALUES || depth > MAX_DEPTH) {
        if (depth > MAX_DEPTH)
            wenda_content_report(r->d, line_of(n), "lists and mappings "
                                 "nest deeper here than the document has "
                                 "them");
        else
            wenda_content_report(r->d, line_of(n), "holds more than %zu "
                                 "values", MAX_VALUES);
        r->stop = 1;
        return NULL;
    }
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return scalar_json(r, n);
    case YAML_SEQUENCE_NODE:
        return sequence_json(r, n, depth);
    case YAML_MAPPING_NODE:
        return mapping_json(r, n, depth);
    default:
        return NULL;
    }
}

/*
 * Returns the child of node n named by the JSON pointer segment
 * key[0..len): the value of that key of a mapping (its line, that of the
 * key, in *line), or the item of that index of a list; NULL when n has
 * none.
 */
static yaml_node_t *
child(yaml_document_t *doc, yaml_node_t *n, const char *key, size_t len,
      unsigned long *line)
{
    yaml_node_pair_t *p;
    size_t i = 0, k;

    if (n->type == YAML_MAPPING_NODE) {
        for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            yaml_node_t *kn = yaml_document_get_node(doc, p->key);

            if (kn != NULL && kn->type == YAML_SCALAR_NODE &&
                kn->data.scalar.length == len &&
                memcmp(kn->data.scalar.value, key, len) == 0) {
                *line = line_of(kn);
                return yaml_document_get_node(doc, p->value);
            }
        }
        return NULL;
    }
    if (n->type != YAML_SEQUENCE_NODE || len == 0 || len > 9)
        return NULL;
    for (k = 0; k < len; k++) {
        if (key[k] < '0' || key[k] > '9')
            return NULL;
        i = i * 10 + (size_t)(key[k] - '0');
    }
    if (i >= (size_t)(n->data.sequence.items.top -
                      n->data.sequence.items.start))
        return NULL;
    n = yaml_document_get_node(doc, n->data.sequence.items.start[i]);
    if (n != NULL)
        *line = line_of(n);
    return n;
}

/*
 * Returns the line of the value that the JSON pointer opening msg
 * ("/groups/3/1", or a message it opens: "/groups/3/1: ...") names, or
 * of the nearest value above it that the document has: its root's for a
 * message without a pointer.
 */
static unsigned long
pointer_line(yaml_document_t *doc, const char *msg)
{
    yaml_node_t *n = yaml_document_get_root_node(doc);
    unsigned long line = n != NULL ? line_of(n) : 1;
    const char *p = msg;

    while (n != NULL && *p == '/') {
        size_t len = strcspn(++p, "/:");

        n = child(doc, n, p, len, &line);
        p += len;
    }
    return line;
}

/*
 * Checks the document v of the file called name with lexicon.c, and
 * reports each of its problems at its line.  WENDA_OK also after problems
 * reported; WENDA_ERR_NOMEM; WENDA_ERR_INTERNAL (reported too) when no
 * tokenizer can be made to check the terms with.
 */
static enum wenda_err
check_document(struct wenda_content_diag *d, yaml_document_t *doc,
               const char *name, const json_t *v)
{
    struct wenda_lexicon lx = {0};
    struct wenda_tokenizer *tk = NULL;
    struct wenda_problems p = {0};
    enum wenda_err rc;
    size_t i;

    if (strcmp(name, "synonyms") == 0) {
        rc = wenda_tokenizer_new(&tk);
        if (rc != WENDA_OK) {
            wenda_content_report(d, 0, "cannot check the terms: %s",
                                 wenda_err_title(rc));
            return rc;
        }
        rc = wenda_lexicon_read_synonyms(tk, v, &lx, &p);
        wenda_tokenizer_free(tk);
    } else {
        rc = wenda_lexicon_read_dictionary(v, &lx, &p);
    }
    wenda_lexicon_cleanup(&lx);
    if (rc == WENDA_ERR_INVALID) {
        for (i = 0; i < p.n; i++)
            wenda_content_report(d, pointer_line(doc, p.v[i].pointer),
                                 "%s%s%s", p.v[i].pointer,
                                 p.v[i].pointer[0] ? ": " : "",
                                 p.v[i].detail);
        if (p.more > 0)
            wenda_content_report(d, 0, "and %zu problems more", p.more);
        rc = WENDA_OK;
    }
    wenda_problems_cleanup(&p);
    return rc;
}

/*
 * Reads the loaded document doc of the file called name into *out (new;
 * an empty object for an empty file), reporting what keeps it from being
 * one of the lexicon's documents.  WENDA_ERR_NOMEM, else WENDA_OK.
 */
static enum wenda_err
read_document(struct wenda_content_diag *d, yaml_document_t *doc,
              const char *name, json_t **out)
{
    struct reading r = {d, doc, 0, 0, 0};
    yaml_node_t *root = yaml_document_get_root_node(doc);

    *out = NULL;
    if (root == NULL) {
        *out = json_object();
        return *out != NULL ? WENDA_OK : WENDA_ERR_NOMEM;
    }
    if (root->type != YAML_MAPPING_NODE) {
        wenda_content_report(d, line_of(root), "%s",
                             strcmp(name, "synonyms") == 0
                                 ? "the synonyms must be a mapping of "
                                   "groups and rules"
                                 : "the dictionary must be a mapping of "
                                   "words");
        return WENDA_OK;
    }
    *out = to_json(&r, root, 0);
    return r.nomem ? WENDA_ERR_NOMEM : WENDA_OK;
}

/*
 * Loads the one YAML document of buf[0..len) into *doc, reporting a
 * syntax error, or a second document, at its line.  Returns 1 when *doc
 * is loaded (the caller deletes it), else 0.
 */
static int
load_yaml(struct wenda_content_diag *d, const char *buf, size_t len,
          yaml_document_t *doc)
{
    yaml_parser_t parser;
    yaml_document_t more;
    int ok;

    if (!yaml_parser_initialize(&parser))
        return 0;
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    ok = yaml_parser_load(&parser, doc);
    if (ok && yaml_parser_load(&parser, &more)) {
        if (yaml_document_get_root_node(&more) != NULL)
            wenda_content_report(d, 1 + more.start_mark.line, "a second "
                                 "YAML document; a file holds one");
        yaml_document_delete(&more);
    } else if (ok) {
        yaml_document_delete(doc);
        ok = 0;
    }
    if (!ok)
        wenda_content_report_yaml(d, &parser, 1);
    yaml_parser_delete(&parser);
    return ok;
}

enum wenda_err
wenda_content_parse_lexicon(const char *file, const char *name,
                            const char *buf, size_t len, char **json,
                            wenda_diag_fn diag, void *ctx)
{
    struct wenda_content_diag d = {file, diag, ctx, 0};
    yaml_document_t doc;
    json_t *v = NULL;
    enum wenda_err rc;
    size_t bad;

    *json = NULL;
    if (strcmp(name, "synonyms") != 0 && strcmp(name, "dictionary") != 0)
        return WENDA_ERR_INVALID;
    if (len > WENDA_CONTENT_MAX_FILE) {
        wenda_content_report(&d, 0, "file is larger than %zu bytes",
                             WENDA_CONTENT_MAX_FILE);
        return WENDA_ERR_PARSE;
    }
    if (!wenda_utf8_valid(buf, len, &bad)) {
        wenda_content_report(&d, wenda_content_line_of(buf, bad),
                             "invalid UTF-8 (or NUL) at byte %zu", bad);
        return WENDA_ERR_PARSE;
    }
    if (!load_yaml(&d, buf, len, &doc))
        return d.count > 0 ? WENDA_ERR_PARSE : WENDA_ERR_NOMEM;
    rc = read_document(&d, &doc, name, &v);
    if (rc == WENDA_OK && d.count == 0)
        rc = check_document(&d, &doc, name, v);
    if (rc == WENDA_OK && d.count == 0) {
        *json = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
        if (*json == NULL)
            rc = WENDA_ERR_NOMEM;
    }
    json_decref(v);
    yaml_document_delete(&doc);
    if (rc == WENDA_OK && d.count > 0)
        rc = WENDA_ERR_PARSE;
    return rc;
}

/* ---- writing -------------------------------------------------------- */

/*
 * Emits the array a: one entry a line at the top level (depth 1), in
 * flow style below it.
 */
static int
emit_array(yaml_emitter_t *e, const json_t *a, int depth)
{
    yaml_event_t ev;
    size_t i;

    if (!yaml_sequence_start_event_initialize(
            &ev, NULL, NULL, 1,
            depth <= 1 ? YAML_BLOCK_SEQUENCE_STYLE
                       : YAML_FLOW_SEQUENCE_STYLE) ||
        !yaml_emitter_emit(e, &ev))
        return 0;
    for (i = 0; i < json_array_size(a); i++)
        if (!emit_value(e, json_array_get(a, i), depth + 1))
            return 0;
    return yaml_sequence_end_event_initialize(&ev) &&
           yaml_emitter_emit(e, &ev);
}

/* qsort() order of the keys of an object. */
static int
cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Emits the object o as a block mapping, its keys sorted. */
static int
emit_object(yaml_emitter_t *e, const json_t *o, int depth)
{
    const char **keys;
    const char *key;
    yaml_event_t ev;
    json_t *v;
    size_t n = 0, i;
    int ok;

    keys = calloc(json_object_size(o) + 1, sizeof(*keys));
    if (keys == NULL)
        return 0;
    json_object_foreach((json_t *)(uintptr_t)o, key, v)
        keys[n++] = key;
    if (n > 1)
        qsort(keys, n, sizeof(*keys), cmp_keys);
    ok = yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                             YAML_BLOCK_MAPPING_STYLE) &&
         yaml_emitter_emit(e, &ev);
    for (i = 0; ok && i < n; i++)
        ok = wenda_content_emit_scalar(e, keys[i], 0) &&
             emit_value(e, json_object_get(o, keys[i]), depth + 1);
    free(keys);
    return ok && yaml_mapping_end_event_initialize(&ev) &&
           yaml_emitter_emit(e, &ev);
}

/* Emits v, of the document's depth: a string, an array or an object. */
static int
emit_value(yaml_emitter_t *e, const json_t *v, int depth)
{
    if (json_is_string(v))
        return wenda_content_emit_scalar(e, json_string_value(v), 1);
    if (json_is_array(v))
        return emit_array(e, v, depth);
    return json_is_object(v) && emit_object(e, v, depth);
}

/* Emits the document of the file: the JSON object arg. */
static int
emit_lexicon(yaml_emitter_t *e, const void *arg)
{
    return emit_object(e, arg, 0);
}

/* Returns 1 when v holds only strings, arrays and objects, to MAX_DEPTH. */
static int
writable(const json_t *v, int depth)
{
    const char *key;
    json_t *x;
    size_t i;

    if (depth > MAX_DEPTH)
        return 0;
    if (json_is_string(v))
        return 1;
    for (i = 0; json_is_array(v) && i < json_array_size(v); i++)
        if (!writable(json_array_get(v, i), depth + 1))
            return 0;
    if (json_is_object(v))
        json_object_foreach((json_t *)(uintptr_t)v, key, x)
            if (!writable(x, depth + 1))
                return 0;
    return json_is_array(v) || json_is_object(v);
}

enum wenda_err
wenda_content_format_lexicon(const char *json, char **out, size_t *outlen)
{
    json_t *v = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
    struct buf b = {0};
    int ok;

    *out = NULL;
    *outlen = 0;
    if (!json_is_object(v) || !writable(v, 0)) {
        json_decref(v);
        return WENDA_ERR_INVALID;
    }
    ok = wenda_content_emit_document(&b, emit_lexicon, v, 0);
    json_decref(v);
    if (ok)
        *out = wenda_buf_take(&b, outlen);
    wenda_buf_cleanup(&b);
    return *out != NULL ? WENDA_OK : WENDA_ERR_NOMEM;
}
