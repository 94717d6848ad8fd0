/*
 * content_yaml.c -- the YAML of topic files and categories.yml, both ways.
 *
 * Reading is strict and talkative: the text is written by people, so every
 * problem is reported with its line, and reading goes on after a problem so
 * that one run of "wenda check" lists them all.  A topic file's front
 * matter, like categories.yml, is parsed into a libyaml document
 * (yaml_parser_load), whose nodes carry the line each field came from; the
 * topic read is then checked with content.c's field checks.
 *
 * Writing is canonical: libyaml's emitter writes the keys in one order,
 * every string double-quoted and lists in flow style, so that a directory
 * written by wenda_content_write() reads back to the same structs and is
 * written again to the same bytes; content_lexicon.c writes the lexicon's
 * files with the same emitter.  Files and directories are content.c's.
 */
#include "wenda/content.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buf.h"
#include "content_int.h"

/* Where the fields of one front matter came from, for messages. */
struct field_lines {
    unsigned long fm;  /* the line of the opening "---" */
    unsigned long title, title_en, slug, category, order, tags, aliases;
    unsigned long corrections;
};

/* A topic being read, for content.c's checks to report against. */
struct parse_state {
    struct wenda_content_diag *d;
    struct field_lines *lines;
};

static char *xstrndup(const char *s, size_t n);
static unsigned long *line_slot(struct field_lines *l, const char *key,
                                size_t n);
static int emit_scalar(yaml_emitter_t *e, const char *s, int quoted);
static int emit_strv(yaml_emitter_t *e, const struct wenda_strv *sv);
static int emit_pairs(yaml_emitter_t *e, const char *const *keys,
                      const char *const *values, size_t n);
static int emitter_write(void *data, unsigned char *buffer, size_t size);

/* The fields of a correction, in the order they are written. */
static const char *const correction_keys[] = {"says", "right", "why",
                                              "source"};

/* The fields of a category, in the order they are written. */
static const char *const category_keys[] = {"slug", "name", "name_en"};

/* Returns a new NUL-terminated copy of s[0..n), or NULL. */
static char *
xstrndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);

    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* ---- reading a topic file ------------------------------------------- */

/*
 * Returns where in l the line of the front-matter field named by key[0..n)
 * is kept, or NULL when a front matter has no such field.
 */
static unsigned long *
line_slot(struct field_lines *l, const char *key, size_t n)
{
    const struct {
        const char *name;
        unsigned long *slot;
    } fields[] = {
        {"title", &l->title},     {"title_en", &l->title_en},
        {"slug", &l->slug},       {"category", &l->category},
        {"order", &l->order},     {"tags", &l->tags},
        {"aliases", &l->aliases}, {"corrections", &l->corrections},
    };
    size_t i;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (strlen(fields[i].name) == n && memcmp(fields[i].name, key, n) == 0)
            return fields[i].slot;
    return NULL;
}

/*
 * Reports a problem of a checked field, named by its JSON pointer, at the
 * line the field came from (a correction's or a list entry's at the
 * field's line), or at the front matter's when it has none.
 */
static void
report_field(void *ctx, const char *pointer, const char *msg)
{
    struct parse_state *ps = ctx;
    const char *field = pointer + (pointer[0] == '/');
    const unsigned long *slot = line_slot(ps->lines, field,
                                          strcspn(field, "/"));

    wenda_content_report(ps->d, slot && *slot ? *slot : ps->lines->fm, "%s",
                         msg);
}

/*
 * Copies a scalar node's value into *dst, in place of any value it held;
 * reports a type problem.
 */
static int
take_scalar(struct wenda_content_diag *d, unsigned long line, const char *key,
            yaml_node_t *node, char **dst)
{
    if (node->type != YAML_SCALAR_NODE) {
        wenda_content_report(d, line, "%s must be a string", key);
        return -1;
    }
    free(*dst);
    *dst = xstrndup((const char *)node->data.scalar.value,
                    node->data.scalar.length);
    return *dst == NULL ? -1 : 0;
}

/* Copies a sequence node of scalars into *dst; reports a type problem. */
static int
take_strv(struct wenda_content_diag *d, yaml_document_t *doc,
          unsigned long ybase, unsigned long line, const char *key,
          yaml_node_t *node, struct wenda_strv *dst)
{
    yaml_node_item_t *it;
    size_t n;

    if (node->type != YAML_SEQUENCE_NODE) {
        wenda_content_report(d, line, "%s must be a list of strings", key);
        return -1;
    }
    n = (size_t)(node->data.sequence.items.top -
                 node->data.sequence.items.start);
    dst->v = calloc(n ? n : 1, sizeof(char *));
    if (dst->v == NULL)
        return -1;
    for (it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        yaml_node_t *item = yaml_document_get_node(doc, *it);

        if (item == NULL || item->type != YAML_SCALAR_NODE) {
            wenda_content_report(d, item ? ybase + item->start_mark.line
                                         : line,
                                 "%s must be a list of strings", key);
            return -1;
        }
        dst->v[dst->n] = xstrndup((const char *)item->data.scalar.value,
                                  item->data.scalar.length);
        if (dst->v[dst->n] == NULL)
            return -1;
        dst->n++;
    }
    return 0;
}

/* Reads a plain scalar node as a decimal integer; reports any other. */
static int
take_int(struct wenda_content_diag *d, unsigned long line, const char *key,
         yaml_node_t *node, int64_t *dst)
{
    const char *s = (const char *)(node->type == YAML_SCALAR_NODE
                                       ? node->data.scalar.value : NULL);
    char *end;
    long long v;

    if (s == NULL || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
        s[0] == '\0') {
        wenda_content_report(d, line, "%s must be an integer", key);
        return -1;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0') {
        wenda_content_report(d, line, "%s must be an integer", key);
        return -1;
    }
    *dst = v;
    return 0;
}

/*
 * Reads the correction mapping m, whose line is at, into c: the string
 * fields says, right, why and source, each once, and nothing else.
 * Returns -1 when m is not a mapping, else 0 (other problems are reported
 * and counted).
 */
static int
take_correction(struct wenda_content_diag *d, yaml_document_t *doc,
                unsigned long ybase, unsigned long at, yaml_node_t *m,
                struct wenda_correction *c)
{
    char **slots[] = {&c->says, &c->right, &c->why, &c->source};
    yaml_node_pair_t *p;

    if (m == NULL || m->type != YAML_MAPPING_NODE) {
        wenda_content_report(d, at, "each correction must be a mapping of "
                             "says, right, why and source");
        return -1;
    }
    for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        yaml_node_t *v = yaml_document_get_node(doc, p->value);
        const char *key = k && k->type == YAML_SCALAR_NODE
                              ? (const char *)k->data.scalar.value
                              : "";
        char **slot = NULL;
        size_t i;

        for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
            if (strcmp(key, correction_keys[i]) == 0)
                slot = slots[i];
        at = k ? ybase + k->start_mark.line : at;
        if (slot == NULL) {
            wenda_content_report(d, at, "unknown correction field '%.40s'",
                                 key);
            continue;
        }
        if (*slot != NULL) {
            wenda_content_report(d, at, "correction field '%s' appears "
                                 "twice", key);
            continue;
        }
        if (v != NULL)
            (void)take_scalar(d, at, key, v, slot);
    }
    if (c->says == NULL || c->right == NULL || c->why == NULL ||
        c->source == NULL)
        wenda_content_report(d, ybase + m->start_mark.line, "a correction "
                             "needs says, right, why and source");
    return 0;
}

/* Reads the corrections list: a sequence of correction mappings. */
static int
take_corrections(struct wenda_content_diag *d, yaml_document_t *doc,
                 unsigned long ybase, unsigned long line, yaml_node_t *node,
                 struct wenda_topic *t)
{
    yaml_node_item_t *it;
    size_t n;

    if (node->type != YAML_SEQUENCE_NODE) {
        wenda_content_report(d, line, "corrections must be a list of "
                             "mappings");
        return -1;
    }
    n = (size_t)(node->data.sequence.items.top -
                 node->data.sequence.items.start);
    wenda_corrections_free(t->corrections, t->ncorrections);
    t->ncorrections = 0;
    t->corrections = calloc(n ? n : 1, sizeof(*t->corrections));
    if (t->corrections == NULL)
        return -1;
    for (it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        yaml_node_t *m = yaml_document_get_node(doc, *it);
        struct wenda_correction *c = &t->corrections[t->ncorrections++];

        if (take_correction(d, doc, ybase,
                            m ? ybase + m->start_mark.line : line, m,
                            c) != 0)
            return -1;
    }
    return 0;
}

/*
 * Fills t from the front matter mapping.  ybase is the file line of the
 * first YAML line, to turn libyaml's 0-based marks into file lines.
 */
static void
read_front_matter(struct wenda_content_diag *d, yaml_document_t *doc,
                  unsigned long ybase, struct wenda_topic *t,
                  struct field_lines *lines)
{
    yaml_node_t *root = yaml_document_get_root_node(doc);
    yaml_node_pair_t *pair;
    int have_order = 0;

    if (root == NULL || root->type != YAML_MAPPING_NODE) {
        wenda_content_report(d, lines->fm, "front matter must be a mapping "
                             "of fields");
        return;
    }
    for (pair = root->data.mapping.pairs.start;
         pair < root->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node(doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(doc, pair->value);
        unsigned long line, *slot;
        const char *key;

        if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE) {
            wenda_content_report(d, lines->fm, "front matter keys must be "
                                 "plain names");
            continue;
        }
        key = (const char *)k->data.scalar.value;
        line = ybase + k->start_mark.line;
        slot = line_slot(lines, key, strlen(key));
        if (slot == NULL) {
            wenda_content_report(d, line, "unknown field '%.60s'", key);
            continue;
        }
        if (*slot != 0) {
            wenda_content_report(d, line, "field '%s' appears twice", key);
            continue;
        }
        *slot = line;
        if (slot == &lines->title)
            (void)take_scalar(d, line, key, v, &t->title);
        else if (slot == &lines->title_en)
            (void)take_scalar(d, line, key, v, &t->title_en);
        else if (slot == &lines->slug)
            (void)take_scalar(d, line, key, v, &t->slug);
        else if (slot == &lines->category)
            (void)take_scalar(d, line, key, v, &t->category);
        else if (slot == &lines->order)
            have_order = take_int(d, line, key, v, &t->order) == 0;
        else if (slot == &lines->tags)
            (void)take_strv(d, doc, ybase, line, key, v, &t->tags);
        else if (slot == &lines->aliases)
            (void)take_strv(d, doc, ybase, line, key, v, &t->aliases);
        else
            (void)take_corrections(d, doc, ybase, line, v, t);
    }
    if (lines->order == 0)
        wenda_content_report(d, lines->fm, "missing field 'order'");
    else if (!have_order)
        t->order = 0;
    if (lines->title == 0)
        wenda_content_report(d, lines->fm, "missing field 'title'");
    if (lines->slug == 0)
        wenda_content_report(d, lines->fm, "missing field 'slug'");
    if (lines->category == 0)
        wenda_content_report(d, lines->fm, "missing field 'category'");
    if (lines->tags == 0)
        wenda_content_report(d, lines->fm, "missing field 'tags'");
}

/*
 * Checks what a topic file must be before its front matter is looked at:
 * no larger than WENDA_CONTENT_MAX_FILE, valid UTF-8 without NUL, and
 * opening with a "---" line.  Reports the problem and returns its error.
 */
static enum wenda_err
check_file(struct wenda_content_diag *d, const char *buf, size_t len)
{
    size_t bad;

    if (len > WENDA_CONTENT_MAX_FILE) {
        wenda_content_report(d, 0, "file is larger than %zu bytes",
                             WENDA_CONTENT_MAX_FILE);
        return WENDA_ERR_TOO_LARGE;
    }
    if (!wenda_utf8_valid(buf, len, &bad)) {
        wenda_content_report(d, wenda_content_line_of(buf, bad),
                             "invalid UTF-8 (or NUL) at byte %zu", bad);
        return WENDA_ERR_UTF8;
    }
    if (len < 4 || memcmp(buf, "---\n", 4) != 0) {
        wenda_content_report(d, 1, "file must start with a '---' front "
                             "matter line");
        return WENDA_ERR_PARSE;
    }
    return WENDA_OK;
}

/*
 * Returns where the "---" line that closes the front matter of buf[0..len)
 * starts (buf opens with "---\n"), or NULL when there is none.  The line
 * ends with a newline, or with the file.
 */
static const char *
front_matter_end(const char *buf, size_t len)
{
    const char *p = buf + 4;

    if (len >= 8 && memcmp(p, "---\n", 4) == 0)
        return p;
    while ((p = memchr(p, '\n', (size_t)(buf + len - p))) != NULL) {
        p++;
        if ((size_t)(buf + len - p) >= 4 && memcmp(p, "---\n", 4) == 0)
            return p;
        if ((size_t)(buf + len - p) == 3 && memcmp(p, "---", 3) == 0)
            return p;
    }
    return NULL;
}

/*
 * Parses the front matter yaml[0..n), which starts on line 2 of the file,
 * and reads its fields into t, their lines into lines.  A YAML syntax
 * error is reported and is WENDA_ERR_PARSE; problems of the fields are
 * reported and counted in d, and are no error here.
 */
static enum wenda_err
load_front_matter(struct wenda_content_diag *d, const char *yaml, size_t n,
                  struct wenda_topic *t, struct field_lines *lines)
{
    yaml_parser_t parser;
    yaml_document_t doc;

    if (!yaml_parser_initialize(&parser))
        return WENDA_ERR_NOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, n);
    if (!yaml_parser_load(&parser, &doc)) {
        wenda_content_report_yaml(d, &parser, 2);
        yaml_parser_delete(&parser);
        return WENDA_ERR_PARSE;
    }
    read_front_matter(d, &doc, 2, t, lines);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return WENDA_OK;
}

/*
 * Completes t, read from its front matter, with the answer body[0..n) and
 * an empty title_en when it has none, and checks its fields when reading
 * found no problem.  Any problem so far is WENDA_ERR_PARSE; t is then
 * cleaned up, as it is on WENDA_ERR_NOMEM.
 */
static enum wenda_err
finish_topic(struct wenda_content_diag *d, struct wenda_topic *t,
             struct field_lines *lines, const char *body, size_t n)
{
    t->answer = xstrndup(body, n);
    if (t->title_en == NULL)
        t->title_en = xstrndup("", 0);
    if (t->answer == NULL || t->title_en == NULL) {
        wenda_topic_cleanup(t);
        return WENDA_ERR_NOMEM;
    }
    if (d->count == 0) {
        struct parse_state ps = {d, lines};

        (void)wenda_content_check(t, report_field, &ps);
    }
    if (d->count > 0) {
        wenda_topic_cleanup(t);
        return WENDA_ERR_PARSE;
    }
    return WENDA_OK;
}

enum wenda_err
wenda_content_parse_topic(const char *file, const char *buf, size_t len,
                          struct wenda_topic *out, wenda_diag_fn diag,
                          void *ctx)
{
    struct wenda_content_diag d = {file, diag, ctx, 0};
    struct field_lines lines = {1, 0, 0, 0, 0, 0, 0, 0, 0};
    struct wenda_topic t = {0};
    const char *yend, *body;
    enum wenda_err rc;

    memset(out, 0, sizeof(*out));
    rc = check_file(&d, buf, len);
    if (rc != WENDA_OK)
        return rc;
    yend = front_matter_end(buf, len);
    if (yend == NULL) {
        wenda_content_report(&d, 1, "front matter is not closed by a '---' "
                             "line");
        return WENDA_ERR_PARSE;
    }
    rc = load_front_matter(&d, buf + 4, (size_t)(yend - (buf + 4)), &t,
                           &lines);
    if (rc != WENDA_OK)
        return rc;
    body = yend + 3 + (yend + 3 < buf + len);
    rc = finish_topic(&d, &t, &lines, body, (size_t)(buf + len - body));
    if (rc != WENDA_OK)
        return rc;
    *out = t;
    return WENDA_OK;
}

/* ---- reading categories.yml ------------------------------------------ */

/* Reads the fields of the category mapping m into k, each at most once. */
static void
take_category(struct wenda_content_diag *d, yaml_document_t *doc,
              yaml_node_t *m, struct wenda_category *k)
{
    char **slots[] = {&k->slug, &k->name, &k->name_en};
    yaml_node_pair_t *p;

    for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = yaml_document_get_node(doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(doc, p->value);
        unsigned long line = 1 + (kn ? kn->start_mark.line : 0);
        const char *key;
        char **slot = NULL;
        size_t i;

        if (kn == NULL || vn == NULL || kn->type != YAML_SCALAR_NODE)
            continue;
        key = (const char *)kn->data.scalar.value;
        for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
            if (strcmp(key, category_keys[i]) == 0)
                slot = slots[i];
        if (slot == NULL) {
            wenda_content_report(d, line, "unknown field '%.60s'", key);
            continue;
        }
        if (*slot != NULL) {
            wenda_content_report(d, line, "field '%s' appears twice", key);
            continue;
        }
        (void)take_scalar(d, line, key, vn, slot);
    }
}

/*
 * Checks c->cats[c->ncats], read from a mapping at line: all its fields
 * there, a valid slug, and no category before it of the same slug.
 */
static void
check_category(struct wenda_content_diag *d, const struct wenda_content *c,
               unsigned long line)
{
    const struct wenda_category *k = &c->cats[c->ncats];
    size_t i;

    if (k->slug == NULL || k->name == NULL || k->name_en == NULL)
        wenda_content_report(d, line, "a category needs slug, name and "
                             "name_en");
    else if (!wenda_slug_valid(k->slug, WENDA_CONTENT_MAX_SLUG))
        wenda_content_report(d, line, "bad category slug '%.60s'", k->slug);
    for (i = 0; k->slug != NULL && i < c->ncats; i++)
        if (c->cats[i].slug != NULL && strcmp(c->cats[i].slug, k->slug) == 0)
            wenda_content_report(d, line, "category '%.60s' is listed twice",
                                 k->slug);
}

int
wenda_content_categories_from_yaml(const char *file, const char *buf,
                                   size_t len, struct wenda_content *c,
                                   wenda_diag_fn fn, void *ctx)
{
    struct wenda_content_diag d = {file, fn, ctx, 0};
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_node_t *root;
    yaml_node_item_t *it;
    size_t bad;

    if (!wenda_utf8_valid(buf, len, &bad)) {
        wenda_content_report(&d, wenda_content_line_of(buf, bad),
                             "invalid UTF-8 (or NUL) at byte %zu", bad);
        return 1;
    }
    if (!yaml_parser_initialize(&parser))
        return 1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        wenda_content_report(&d, 1 + parser.problem_mark.line,
                             "bad YAML: %s",
                             parser.problem ? parser.problem : "syntax error");
        yaml_parser_delete(&parser);
        return 1;
    }
    root = yaml_document_get_root_node(&doc);
    if (root == NULL || root->type != YAML_SEQUENCE_NODE) {
        wenda_content_report(&d, 1, "categories.yml must be a list of "
                             "categories");
        goto done;
    }
    c->cats = calloc((size_t)(root->data.sequence.items.top -
                              root->data.sequence.items.start) + 1,
                     sizeof(*c->cats));
    if (c->cats == NULL)
        goto done;
    for (it = root->data.sequence.items.start;
         it < root->data.sequence.items.top; it++) {
        yaml_node_t *m = yaml_document_get_node(&doc, *it);

        if (m == NULL || m->type != YAML_MAPPING_NODE) {
            wenda_content_report(&d, m ? 1 + m->start_mark.line : 1,
                                 "each category must be a mapping");
            continue;
        }
        take_category(&d, &doc, m, &c->cats[c->ncats]);
        check_category(&d, c, 1 + m->start_mark.line);
        c->ncats++;
    }
done:
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return d.count;
}

enum wenda_err
wenda_content_parse_categories(const char *file, const char *buf, size_t len,
                               struct wenda_content *out, wenda_diag_fn fn,
                               void *ctx)
{
    struct wenda_content c = {0};

    memset(out, 0, sizeof(*out));
    if (wenda_content_categories_from_yaml(file, buf, len, &c, fn, ctx) > 0) {
        wenda_content_cleanup(&c);
        return WENDA_ERR_PARSE;
    }
    *out = c;
    return WENDA_OK;
}

/* ---- writing --------------------------------------------------------- */

/* The emitter's output handler: appends to the struct buf in data. */
static int
emitter_write(void *data, unsigned char *buffer, size_t size)
{
    struct buf *b = data;

    wenda_buf_add(b, buffer, size);
    return !wenda_buf_failed(b);
}

/* Emits s, double-quoted when quoted, else plain. */
static int
emit_scalar(yaml_emitter_t *e, const char *s, int quoted)
{
    yaml_event_t ev;

    if (!yaml_scalar_event_initialize(
            &ev, NULL, NULL, (yaml_char_t *)(uintptr_t)s, (int)strlen(s),
            !quoted, quoted,
            quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                   : YAML_PLAIN_SCALAR_STYLE))
        return 0;
    return yaml_emitter_emit(e, &ev);
}

int
wenda_content_emit_scalar(yaml_emitter_t *e, const char *s, int quoted)
{
    return emit_scalar(e, s, quoted);
}

/* Emits sv as a flow list of double-quoted strings. */
static int
emit_strv(yaml_emitter_t *e, const struct wenda_strv *sv)
{
    yaml_event_t ev;
    size_t i;

    if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                              YAML_FLOW_SEQUENCE_STYLE) ||
        !yaml_emitter_emit(e, &ev))
        return 0;
    for (i = 0; i < sv->n; i++)
        if (!emit_scalar(e, sv->v[i], 1))
            return 0;
    return yaml_sequence_end_event_initialize(&ev) &&
           yaml_emitter_emit(e, &ev);
}

/*
 * Emits a block mapping of the n plain keys, each with its value of values
 * double-quoted.
 */
static int
emit_pairs(yaml_emitter_t *e, const char *const *keys,
           const char *const *values, size_t n)
{
    yaml_event_t ev;
    size_t i;

    if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                             YAML_BLOCK_MAPPING_STYLE) ||
        !yaml_emitter_emit(e, &ev))
        return 0;
    for (i = 0; i < n; i++)
        if (!emit_scalar(e, keys[i], 0) || !emit_scalar(e, values[i], 1))
            return 0;
    return yaml_mapping_end_event_initialize(&ev) &&
           yaml_emitter_emit(e, &ev);
}

int
wenda_content_emit_document(struct buf *b,
                            int (*fn)(yaml_emitter_t *, const void *),
                            const void *arg, int explicit_start)
{
    yaml_emitter_t e;
    yaml_event_t ev;
    int ok;

    if (!yaml_emitter_initialize(&e))
        return 0;
    yaml_emitter_set_output(&e, emitter_write, b);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1);
    yaml_emitter_set_break(&e, YAML_LN_BREAK);
    ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
         yaml_emitter_emit(&e, &ev) &&
         yaml_document_start_event_initialize(&ev, NULL, NULL, NULL,
                                              !explicit_start) &&
         yaml_emitter_emit(&e, &ev) && fn(&e, arg) &&
         yaml_document_end_event_initialize(&ev, 1) &&
         yaml_emitter_emit(&e, &ev) &&
         yaml_stream_end_event_initialize(&ev) &&
         yaml_emitter_emit(&e, &ev) && yaml_emitter_flush(&e);
    yaml_emitter_delete(&e);
    return ok;
}

/* Emits "corrections:" and a block list of block mappings. */
static int
emit_corrections(yaml_emitter_t *e, const struct wenda_topic *t)
{
    yaml_event_t ev;
    size_t i;

    if (!emit_scalar(e, "corrections", 0) ||
        !yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                              YAML_BLOCK_SEQUENCE_STYLE) ||
        !yaml_emitter_emit(e, &ev))
        return 0;
    for (i = 0; i < t->ncorrections; i++) {
        const struct wenda_correction *c = &t->corrections[i];
        const char *const values[] = {c->says, c->right, c->why, c->source};

        if (!emit_pairs(e, correction_keys, values, 4))
            return 0;
    }
    return yaml_sequence_end_event_initialize(&ev) &&
           yaml_emitter_emit(e, &ev);
}

/* Emits the front matter mapping of the topic arg. */
static int
emit_topic_fields(yaml_emitter_t *e, const void *arg)
{
    const struct wenda_topic *t = arg;
    yaml_event_t ev;
    char num[32];

    (void)snprintf(num, sizeof(num), "%lld", (long long)t->order);
    return yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                               YAML_BLOCK_MAPPING_STYLE) &&
           yaml_emitter_emit(e, &ev) &&
           emit_scalar(e, "title", 0) && emit_scalar(e, t->title, 1) &&
           emit_scalar(e, "title_en", 0) &&
           emit_scalar(e, t->title_en ? t->title_en : "", 1) &&
           emit_scalar(e, "slug", 0) && emit_scalar(e, t->slug, 1) &&
           emit_scalar(e, "category", 0) && emit_scalar(e, t->category, 1) &&
           emit_scalar(e, "order", 0) && emit_scalar(e, num, 0) &&
           emit_scalar(e, "tags", 0) && emit_strv(e, &t->tags) &&
           emit_scalar(e, "aliases", 0) && emit_strv(e, &t->aliases) &&
           (t->ncorrections == 0 || emit_corrections(e, t)) &&
           yaml_mapping_end_event_initialize(&ev) &&
           yaml_emitter_emit(e, &ev);
}

enum wenda_err
wenda_content_format_topic(const struct wenda_topic *t, char **out,
                           size_t *outlen)
{
    struct buf b = {0};

    *out = NULL;
    *outlen = 0;
    if (!wenda_content_emit_document(&b, emit_topic_fields, t, 1)) {
        wenda_buf_cleanup(&b);
        return WENDA_ERR_NOMEM;
    }
    wenda_buf_adds(&b, "---\n");
    wenda_buf_adds(&b, t->answer ? t->answer : "");
    *out = wenda_buf_take(&b, outlen);
    return *out == NULL ? WENDA_ERR_NOMEM : WENDA_OK;
}

/* Emits the categories of the content arg as a block list of mappings. */
static int
emit_categories(yaml_emitter_t *e, const void *arg)
{
    const struct wenda_content *c = arg;
    yaml_event_t ev;
    size_t i;

    if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                              YAML_BLOCK_SEQUENCE_STYLE) ||
        !yaml_emitter_emit(e, &ev))
        return 0;
    for (i = 0; i < c->ncats; i++) {
        const struct wenda_category *k = &c->cats[i];
        const char *const values[] = {k->slug, k->name, k->name_en};

        if (!emit_pairs(e, category_keys, values, 3))
            return 0;
    }
    return yaml_sequence_end_event_initialize(&ev) &&
           yaml_emitter_emit(e, &ev);
}

int
wenda_content_categories_to_yaml(const struct wenda_content *c, struct buf *b)
{
    return wenda_content_emit_document(b, emit_categories, c, 0);
}

void
wenda_content_report_yaml(struct wenda_content_diag *d,
                          const yaml_parser_t *parser, unsigned long first)
{
    /* A scanner problem ("while scanning a quoted scalar") is best located
     * where that scalar began, not where the text ran out. */
    wenda_content_report(
        d,
        first + (parser->error == YAML_SCANNER_ERROR &&
                         parser->context != NULL
                     ? parser->context_mark.line
                     : parser->problem_mark.line),
        "bad YAML: %s%s%s",
        parser->problem ? parser->problem : "syntax error",
        parser->context ? " " : "", parser->context ? parser->context : "");
}
