/*
 * content.c -- topic files <-> struct wenda_topic.
 *
 * Reading is strict and talkative: a content directory is written by
 * people, so every problem is reported with its file and line, and loading
 * goes on after a problem so that one run of "wenda check" lists them all.
 * The front matter is parsed into a libyaml document (yaml_parser_load),
 * whose nodes carry the line each field came from.
 *
 * Writing is canonical: libyaml's emitter writes the keys in one order,
 * every string double-quoted and lists in flow style, so that a directory
 * written by wenda_content_write() reads back to the same structs and is
 * written again to the same bytes.
 */
#include "wenda/content.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "buf.h"

/* One problem sink for a file being read. */
struct diag {
    const char *file;
    wenda_diag_fn fn;
    void *ctx;
    int count;
};

/* Where the fields of one front matter came from, for messages. */
struct field_lines {
    unsigned long fm;  /* the line of the opening "---" */
    unsigned long title, title_en, slug, category, order, tags, aliases;
    unsigned long corrections;
};

typedef void (*problem_fn)(void *ctx, const char *field, const char *msg);

static void report(struct diag *d, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static char *xstrndup(const char *s, size_t n);
static unsigned long line_of(const char *buf, size_t off);
static int validate(const struct wenda_topic *t, problem_fn fn, void *ctx);
static int emit_scalar(yaml_emitter_t *e, const char *s, int quoted);
static int emit_strv(yaml_emitter_t *e, const struct wenda_strv *sv);
static int emitter_write(void *data, unsigned char *buffer, size_t size);
static int read_file(const char *path, char **out, size_t *outlen);
static int write_file(const char *path, const char *data, size_t len);

static void
report(struct diag *d, unsigned long line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    /* va_start is above; clang-analyzer 14 loses track of it. */
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    d->count++;
    if (d->fn != NULL)
        d->fn(d->ctx, d->file, line, msg);
}

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

static unsigned long
line_of(const char *buf, size_t off)
{
    unsigned long line = 1;
    size_t i;

    for (i = 0; i < off; i++)
        if (buf[i] == '\n')
            line++;
    return line;
}

void
wenda_strv_cleanup(struct wenda_strv *sv)
{
    size_t i;

    if (sv == NULL)
        return;
    for (i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = 0;
}

void
wenda_topic_cleanup(struct wenda_topic *t)
{
    if (t == NULL)
        return;
    free(t->slug);
    free(t->title);
    free(t->title_en);
    free(t->category);
    wenda_strv_cleanup(&t->tags);
    wenda_strv_cleanup(&t->aliases);
    wenda_corrections_free(t->corrections, t->ncorrections);
    free(t->answer);
    free(t->updated_at);
    memset(t, 0, sizeof(*t));
}

void
wenda_content_cleanup(struct wenda_content *c)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < c->ncats; i++) {
        free(c->cats[i].slug);
        free(c->cats[i].name);
        free(c->cats[i].name_en);
    }
    free(c->cats);
    for (i = 0; i < c->ntopics; i++)
        wenda_topic_cleanup(&c->topics[i]);
    free(c->topics);
    memset(c, 0, sizeof(*c));
}

int
wenda_slug_valid(const char *s, size_t max)
{
    size_t i, n = strlen(s);

    if (n == 0 || n > max || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (i = 0; i < n; i++) {
        char c = s[i];

        if (c == '-') {
            if (s[i + 1] == '-')
                return 0;
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            return 0;
        }
    }
    return 1;
}

/*
 * Checks one string field: present when required, valid UTF-8 (strings
 * from a JSON body may carry any bytes), no control characters but for
 * newlines and tabs where multiline, and at most max bytes.
 */
static int
check_text(const char *field, const char *s, int required, size_t max,
           int multiline, problem_fn fn, void *ctx)
{
    char msg[160];
    size_t n, i;
    unsigned long nonchar;

    if (s == NULL || s[0] == '\0') {
        if (!required)
            return 0;
        (void)snprintf(msg, sizeof(msg), "%s is required and must not be "
                       "empty", field);
        fn(ctx, field, msg);
        return 1;
    }
    n = strlen(s);
    if (!wenda_utf8_valid(s, n, NULL)) {
        (void)snprintf(msg, sizeof(msg), "%s is not valid UTF-8", field);
        fn(ctx, field, msg);
        return 1;
    }
    nonchar = wenda_utf8_noncharacter(s, n);
    if (nonchar != 0) {
        (void)snprintf(msg, sizeof(msg), "%s holds U+%04lX, a Unicode "
                       "noncharacter", field, nonchar);
        fn(ctx, field, msg);
        return 1;
    }
    if (n > max) {
        (void)snprintf(msg, sizeof(msg), "%s is longer than %zu bytes",
                       field, max);
        fn(ctx, field, msg);
        return 1;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) ||
            c == 0x7F) {
            (void)snprintf(msg, sizeof(msg), "%s contains a control "
                           "character", field);
            fn(ctx, field, msg);
            return 1;
        }
    }
    return 0;
}

static int
check_strv(const char *field, const struct wenda_strv *sv, size_t min,
           size_t maxn, size_t maxlen, int slugs, problem_fn fn, void *ctx)
{
    char msg[160];
    size_t i, j;

    if (sv->n < min || sv->n > maxn) {
        (void)snprintf(msg, sizeof(msg), "%s must have %zu to %zu entries, "
                       "not %zu", field, min, maxn, sv->n);
        fn(ctx, field, msg);
        return 1;
    }
    for (i = 0; i < sv->n; i++) {
        if (slugs && !wenda_slug_valid(sv->v[i], maxlen)) {
            (void)snprintf(msg, sizeof(msg), "%s[%zu] must be lower-case "
                           "letters, digits and single hyphens, at most %zu "
                           "bytes", field, i, maxlen);
            fn(ctx, field, msg);
            return 1;
        }
        if (!slugs && check_text(field, sv->v[i], 1, maxlen, 0, fn, ctx))
            return 1;
        for (j = 0; j < i; j++) {
            if (strcmp(sv->v[i], sv->v[j]) == 0) {
                (void)snprintf(msg, sizeof(msg), "%s lists \"%.60s\" twice",
                               field, sv->v[i]);
                fn(ctx, field, msg);
                return 1;
            }
        }
    }
    return 0;
}

/* Reports every problem of t through fn; returns how many there were. */
static int
validate(const struct wenda_topic *t, problem_fn fn, void *ctx)
{
    int n = 0;
    size_t i;

    if (t->slug == NULL || !wenda_slug_valid(t->slug, WENDA_CONTENT_MAX_SLUG)) {
        fn(ctx, "slug", t->slug == NULL ? "slug is required"
           : "slug must be lower-case letters, digits and single hyphens, "
             "at most 64 bytes");
        n++;
    }
    n += check_text("title", t->title, 1, WENDA_CONTENT_MAX_TITLE, 0, fn,
                    ctx);
    n += check_text("title_en", t->title_en, 0, WENDA_CONTENT_MAX_TITLE, 0,
                    fn, ctx);
    if (t->category == NULL ||
        !wenda_slug_valid(t->category, WENDA_CONTENT_MAX_SLUG)) {
        fn(ctx, "category", t->category == NULL ? "category is required"
           : "category must be a category slug");
        n++;
    }
    if (t->order < 0 || t->order > 1000000000) {
        fn(ctx, "order", "order must be an integer from 0 to 1000000000");
        n++;
    }
    n += check_strv("tags", &t->tags, 1, WENDA_CONTENT_MAX_TAGS,
                    WENDA_CONTENT_MAX_TAG, 1, fn, ctx);
    n += check_strv("aliases", &t->aliases, 0, WENDA_CONTENT_MAX_ALIASES,
                    WENDA_CONTENT_MAX_ALIAS, 0, fn, ctx);
    n += check_text("answer", t->answer, 1, WENDA_CONTENT_MAX_ANSWER, 1, fn,
                    ctx);
    if (t->ncorrections > WENDA_CONTENT_MAX_CORRECTIONS) {
        fn(ctx, "corrections", "corrections must have at most 10 entries");
        n++;
    }
    for (i = 0; i < t->ncorrections && i < WENDA_CONTENT_MAX_CORRECTIONS;
         i++) {
        const struct wenda_correction *c = &t->corrections[i];

        n += check_text("corrections.says", c->says, 1,
                        WENDA_CONTENT_MAX_CORRECTION, 1, fn, ctx);
        n += check_text("corrections.right", c->right, 1,
                        WENDA_CONTENT_MAX_CORRECTION, 1, fn, ctx);
        n += check_text("corrections.why", c->why, 1,
                        WENDA_CONTENT_MAX_CORRECTION, 1, fn, ctx);
        n += check_text("corrections.source", c->source, 1,
                        WENDA_CONTENT_MAX_CORRECTION, 0, fn, ctx);
    }
    return n;
}

struct first_problem {
    char *msg;
    size_t cap;
    int seen;
};

static void
keep_first(void *ctx, const char *field, const char *msg)
{
    struct first_problem *fp = ctx;

    (void)field;
    if (!fp->seen && fp->cap > 0)
        (void)snprintf(fp->msg, fp->cap, "%s", msg);
    fp->seen = 1;
}

enum wenda_err
wenda_topic_validate(const struct wenda_topic *t, char *msg, size_t msgcap)
{
    struct first_problem fp = {msg, msgcap, 0};

    return validate(t, keep_first, &fp) ? WENDA_ERR_INVALID : WENDA_OK;
}

/* ---- reading a topic file ------------------------------------------- */

struct parse_state {
    struct diag *d;
    struct field_lines *lines;
};

static void
report_field(void *ctx, const char *field, const char *msg)
{
    struct parse_state *ps = ctx;
    const struct field_lines *l = ps->lines;
    unsigned long line = l->fm;

    if (strcmp(field, "title") == 0 && l->title)
        line = l->title;
    else if (strcmp(field, "title_en") == 0 && l->title_en)
        line = l->title_en;
    else if (strcmp(field, "slug") == 0 && l->slug)
        line = l->slug;
    else if (strcmp(field, "category") == 0 && l->category)
        line = l->category;
    else if (strcmp(field, "order") == 0 && l->order)
        line = l->order;
    else if (strcmp(field, "tags") == 0 && l->tags)
        line = l->tags;
    else if (strcmp(field, "aliases") == 0 && l->aliases)
        line = l->aliases;
    else if (strncmp(field, "corrections", 11) == 0 && l->corrections)
        line = l->corrections;
    report(ps->d, line, "%s", msg);
}

/* Copies a scalar node's value into *dst; reports a type problem. */
static int
take_scalar(struct diag *d, unsigned long line, const char *key,
            yaml_node_t *node, char **dst)
{
    if (node->type != YAML_SCALAR_NODE) {
        report(d, line, "%s must be a string", key);
        return -1;
    }
    *dst = xstrndup((const char *)node->data.scalar.value,
                    node->data.scalar.length);
    return *dst == NULL ? -1 : 0;
}

static int
take_strv(struct diag *d, yaml_document_t *doc, unsigned long ybase,
          unsigned long line, const char *key, yaml_node_t *node,
          struct wenda_strv *dst)
{
    yaml_node_item_t *it;
    size_t n;

    if (node->type != YAML_SEQUENCE_NODE) {
        report(d, line, "%s must be a list of strings", key);
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
            report(d, item ? ybase + item->start_mark.line : line,
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

static int
take_int(struct diag *d, unsigned long line, const char *key,
         yaml_node_t *node, int64_t *dst)
{
    const char *s = (const char *)(node->type == YAML_SCALAR_NODE
                                       ? node->data.scalar.value : NULL);
    char *end;
    long long v;

    if (s == NULL || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
        s[0] == '\0') {
        report(d, line, "%s must be an integer", key);
        return -1;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0') {
        report(d, line, "%s must be an integer", key);
        return -1;
    }
    *dst = v;
    return 0;
}

/*
 * Reads the corrections list: a sequence of mappings, each with the string
 * fields says, right, why and source, and nothing else.
 */
static int
take_corrections(struct diag *d, yaml_document_t *doc, unsigned long ybase,
                 unsigned long line, yaml_node_t *node, struct wenda_topic *t)
{
    yaml_node_item_t *it;
    size_t n;

    if (node->type != YAML_SEQUENCE_NODE) {
        report(d, line, "corrections must be a list of mappings");
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
        unsigned long at = m ? ybase + m->start_mark.line : line;
        yaml_node_pair_t *p;

        if (m == NULL || m->type != YAML_MAPPING_NODE) {
            report(d, at, "each correction must be a mapping of says, "
                   "right, why and source");
            return -1;
        }
        for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
             p++) {
            yaml_node_t *k = yaml_document_get_node(doc, p->key);
            yaml_node_t *v = yaml_document_get_node(doc, p->value);
            const char *key = k && k->type == YAML_SCALAR_NODE
                                  ? (const char *)k->data.scalar.value
                                  : "";
            char **slot = strcmp(key, "says") == 0    ? &c->says
                          : strcmp(key, "right") == 0 ? &c->right
                          : strcmp(key, "why") == 0   ? &c->why
                          : strcmp(key, "source") == 0 ? &c->source
                                                        : NULL;

            at = k ? ybase + k->start_mark.line : at;
            if (slot == NULL) {
                report(d, at, "unknown correction field '%.40s'", key);
                continue;
            }
            if (*slot != NULL) {
                report(d, at, "correction field '%s' appears twice", key);
                continue;
            }
            if (v != NULL)
                (void)take_scalar(d, at, key, v, slot);
        }
        if (c->says == NULL || c->right == NULL || c->why == NULL ||
            c->source == NULL)
            report(d, ybase + m->start_mark.line, "a correction needs says, "
                   "right, why and source");
    }
    return 0;
}

/*
 * Fills t from the front matter mapping.  ybase is the file line of the
 * first YAML line, to turn libyaml's 0-based marks into file lines.
 */
static void
read_front_matter(struct diag *d, yaml_document_t *doc, unsigned long ybase,
                  struct wenda_topic *t, struct field_lines *lines)
{
    yaml_node_t *root = yaml_document_get_root_node(doc);
    yaml_node_pair_t *pair;
    int have_order = 0;

    if (root == NULL || root->type != YAML_MAPPING_NODE) {
        report(d, lines->fm, "front matter must be a mapping of fields");
        return;
    }
    for (pair = root->data.mapping.pairs.start;
         pair < root->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node(doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(doc, pair->value);
        unsigned long line;
        const char *key;
        unsigned long *slot = NULL;
        int rc = 0;

        if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE) {
            report(d, lines->fm, "front matter keys must be plain names");
            continue;
        }
        key = (const char *)k->data.scalar.value;
        line = ybase + k->start_mark.line;
        if (strcmp(key, "title") == 0)
            slot = &lines->title;
        else if (strcmp(key, "title_en") == 0)
            slot = &lines->title_en;
        else if (strcmp(key, "slug") == 0)
            slot = &lines->slug;
        else if (strcmp(key, "category") == 0)
            slot = &lines->category;
        else if (strcmp(key, "order") == 0)
            slot = &lines->order;
        else if (strcmp(key, "tags") == 0)
            slot = &lines->tags;
        else if (strcmp(key, "aliases") == 0)
            slot = &lines->aliases;
        else if (strcmp(key, "corrections") == 0)
            slot = &lines->corrections;
        if (slot == NULL) {
            report(d, line, "unknown field '%.60s'", key);
            continue;
        }
        if (*slot != 0) {
            report(d, line, "field '%s' appears twice", key);
            continue;
        }
        *slot = line;
        if (slot == &lines->title)
            rc = take_scalar(d, line, key, v, &t->title);
        else if (slot == &lines->title_en)
            rc = take_scalar(d, line, key, v, &t->title_en);
        else if (slot == &lines->slug)
            rc = take_scalar(d, line, key, v, &t->slug);
        else if (slot == &lines->category)
            rc = take_scalar(d, line, key, v, &t->category);
        else if (slot == &lines->order)
            rc = have_order = take_int(d, line, key, v, &t->order) == 0;
        else if (slot == &lines->tags)
            rc = take_strv(d, doc, ybase, line, key, v, &t->tags);
        else if (slot == &lines->aliases)
            rc = take_strv(d, doc, ybase, line, key, v, &t->aliases);
        else
            rc = take_corrections(d, doc, ybase, line, v, t);
        (void)rc;
    }
    if (lines->order == 0)
        report(d, lines->fm, "missing field 'order'");
    else if (!have_order)
        t->order = 0;
    if (lines->title == 0)
        report(d, lines->fm, "missing field 'title'");
    if (lines->slug == 0)
        report(d, lines->fm, "missing field 'slug'");
    if (lines->category == 0)
        report(d, lines->fm, "missing field 'category'");
    if (lines->tags == 0)
        report(d, lines->fm, "missing field 'tags'");
}

enum wenda_err
wenda_content_parse_topic(const char *file, const char *buf, size_t len,
                          struct wenda_topic *out, wenda_diag_fn diag,
                          void *ctx)
{
    struct diag d = {file, diag, ctx, 0};
    struct field_lines lines = {1, 0, 0, 0, 0, 0, 0, 0, 0};
    struct wenda_topic t = {0};
    yaml_parser_t parser;
    yaml_document_t doc;
    const char *ystart, *yend, *body;
    size_t bad;

    memset(out, 0, sizeof(*out));
    if (len > WENDA_CONTENT_MAX_FILE) {
        report(&d, 0, "file is larger than %zu bytes", WENDA_CONTENT_MAX_FILE);
        return WENDA_ERR_TOO_LARGE;
    }
    if (!wenda_utf8_valid(buf, len, &bad)) {
        report(&d, line_of(buf, bad), "invalid UTF-8 (or NUL) at byte %zu",
               bad);
        return WENDA_ERR_UTF8;
    }
    if (len < 4 || memcmp(buf, "---\n", 4) != 0) {
        report(&d, 1, "file must start with a '---' front matter line");
        return WENDA_ERR_PARSE;
    }
    ystart = buf + 4;
    yend = NULL;
    if (len >= 8 && memcmp(ystart, "---\n", 4) == 0) {
        yend = ystart;
    } else {
        const char *p = ystart;

        while ((p = memchr(p, '\n', (size_t)(buf + len - p))) != NULL) {
            p++;
            if ((size_t)(buf + len - p) >= 4 && memcmp(p, "---\n", 4) == 0) {
                yend = p;
                break;
            }
            if ((size_t)(buf + len - p) == 3 && memcmp(p, "---", 3) == 0) {
                yend = p;
                break;
            }
        }
    }
    if (yend == NULL) {
        report(&d, 1, "front matter is not closed by a '---' line");
        return WENDA_ERR_PARSE;
    }
    body = yend + 3 + (yend + 3 < buf + len);

    if (!yaml_parser_initialize(&parser))
        return WENDA_ERR_NOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)ystart,
                                 (size_t)(yend - ystart));
    if (!yaml_parser_load(&parser, &doc)) {
        /* A scanner problem ("while scanning a quoted scalar") is best
         * located where that scalar began, not where the text ran out. */
        report(&d,
               2 + (parser.error == YAML_SCANNER_ERROR &&
                            parser.context != NULL
                        ? parser.context_mark.line
                        : parser.problem_mark.line),
               "bad YAML: %s%s%s",
               parser.problem ? parser.problem : "syntax error",
               parser.context ? " " : "",
               parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return WENDA_ERR_PARSE;
    }
    read_front_matter(&d, &doc, 2, &t, &lines);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);

    t.answer = xstrndup(body, (size_t)(buf + len - body));
    if (t.title_en == NULL)
        t.title_en = xstrndup("", 0);
    if (t.answer == NULL || t.title_en == NULL) {
        wenda_topic_cleanup(&t);
        return WENDA_ERR_NOMEM;
    }
    if (d.count == 0) {
        struct parse_state ps = {&d, &lines};

        (void)validate(&t, report_field, &ps);
    }
    if (d.count > 0) {
        wenda_topic_cleanup(&t);
        return WENDA_ERR_PARSE;
    }
    *out = t;
    return WENDA_OK;
}

/* ---- writing --------------------------------------------------------- */

static int
emitter_write(void *data, unsigned char *buffer, size_t size)
{
    struct buf *b = data;

    buf_add(b, buffer, size);
    return !buf_failed(b);
}

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

/* Emits a whole YAML stream whose document body is written by fn. */
static int
emit_document(struct buf *b, int (*fn)(yaml_emitter_t *, const void *),
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

        if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                                 YAML_BLOCK_MAPPING_STYLE) ||
            !yaml_emitter_emit(e, &ev) || !emit_scalar(e, "says", 0) ||
            !emit_scalar(e, c->says, 1) || !emit_scalar(e, "right", 0) ||
            !emit_scalar(e, c->right, 1) || !emit_scalar(e, "why", 0) ||
            !emit_scalar(e, c->why, 1) || !emit_scalar(e, "source", 0) ||
            !emit_scalar(e, c->source, 1) ||
            !yaml_mapping_end_event_initialize(&ev) ||
            !yaml_emitter_emit(e, &ev))
            return 0;
    }
    return yaml_sequence_end_event_initialize(&ev) &&
           yaml_emitter_emit(e, &ev);
}

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
    if (!emit_document(&b, emit_topic_fields, t, 1)) {
        buf_cleanup(&b);
        return WENDA_ERR_NOMEM;
    }
    buf_adds(&b, "---\n");
    buf_adds(&b, t->answer ? t->answer : "");
    *out = buf_take(&b, outlen);
    return *out == NULL ? WENDA_ERR_NOMEM : WENDA_OK;
}

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

        if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                                 YAML_BLOCK_MAPPING_STYLE) ||
            !yaml_emitter_emit(e, &ev) || !emit_scalar(e, "slug", 0) ||
            !emit_scalar(e, k->slug, 1) || !emit_scalar(e, "name", 0) ||
            !emit_scalar(e, k->name, 1) || !emit_scalar(e, "name_en", 0) ||
            !emit_scalar(e, k->name_en, 1) ||
            !yaml_mapping_end_event_initialize(&ev) ||
            !yaml_emitter_emit(e, &ev))
            return 0;
    }
    return yaml_sequence_end_event_initialize(&ev) &&
           yaml_emitter_emit(e, &ev);
}

/* ---- directories ----------------------------------------------------- */

static int
read_file(const char *path, char **out, size_t *outlen)
{
    struct buf b = {0};
    char chunk[16384];
    FILE *f = fopen(path, "rb");
    size_t n;

    if (f == NULL)
        return -1;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        buf_add(&b, chunk, n);
        if (b.n > WENDA_CONTENT_MAX_FILE + 1)
            break;
    }
    if (ferror(f) || buf_failed(&b)) {
        (void)fclose(f);
        buf_cleanup(&b);
        return -1;
    }
    (void)fclose(f);
    *out = buf_take(&b, outlen);
    return *out == NULL ? -1 : 0;
}

/* Writes data to path through a temporary file and rename(), so that a
 * reader never sees half a file. */
static int
write_file(const char *path, const char *data, size_t len)
{
    char tmp[4096];
    FILE *f;
    int ok;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
        (int)sizeof(tmp))
        return -1;
    f = fopen(tmp, "wb");
    if (f == NULL)
        return -1;
    ok = fwrite(data, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        (void)unlink(tmp);
        return -1;
    }
    return 0;
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the entries of dir (without . and ..), sorted; caller frees. */
static int
list_dir(const char *dir, struct wenda_strv *out)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    size_t cap = 0;

    memset(out, 0, sizeof(*out));
    if (dp == NULL)
        return -1;
    while ((de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (buf_reserve(&out->v, &cap, out->n, sizeof(char *), 32) != 0)
            goto fail;
        out->v[out->n] = xstrndup(de->d_name, strlen(de->d_name));
        if (out->v[out->n] == NULL)
            goto fail;
        out->n++;
    }
    (void)closedir(dp);
    if (out->n > 0)
        qsort(out->v, out->n, sizeof(char *), cmp_names);
    return 0;
fail:
    (void)closedir(dp);
    wenda_strv_cleanup(out);
    return -1;
}

/*
 * Parses categories.yml, held in buf[0..len), into c->cats, reporting
 * problems as the file called file; returns how many there were.
 */
static int
parse_categories(const char *file, const char *buf, size_t len,
                 struct wenda_content *c, wenda_diag_fn fn, void *ctx)
{
    struct diag d = {file, fn, ctx, 0};
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_node_t *root;
    yaml_node_item_t *it;
    size_t bad;

    if (!wenda_utf8_valid(buf, len, &bad)) {
        report(&d, line_of(buf, bad), "invalid UTF-8 (or NUL) at byte %zu",
               bad);
        return 1;
    }
    if (!yaml_parser_initialize(&parser))
        return 1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        report(&d, 1 + parser.problem_mark.line, "bad YAML: %s",
               parser.problem ? parser.problem : "syntax error");
        yaml_parser_delete(&parser);
        return 1;
    }
    root = yaml_document_get_root_node(&doc);
    if (root == NULL || root->type != YAML_SEQUENCE_NODE) {
        report(&d, 1, "categories.yml must be a list of categories");
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
        struct wenda_category *k = &c->cats[c->ncats];
        yaml_node_pair_t *p;
        size_t i;

        if (m == NULL || m->type != YAML_MAPPING_NODE) {
            report(&d, m ? 1 + m->start_mark.line : 1,
                   "each category must be a mapping");
            continue;
        }
        for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
             p++) {
            yaml_node_t *kn = yaml_document_get_node(&doc, p->key);
            yaml_node_t *vn = yaml_document_get_node(&doc, p->value);
            unsigned long line = 1 + (kn ? kn->start_mark.line : 0);
            const char *key;
            char **slot;

            if (kn == NULL || vn == NULL || kn->type != YAML_SCALAR_NODE)
                continue;
            key = (const char *)kn->data.scalar.value;
            slot = strcmp(key, "slug") == 0      ? &k->slug
                   : strcmp(key, "name") == 0    ? &k->name
                   : strcmp(key, "name_en") == 0 ? &k->name_en
                                                 : NULL;
            if (slot == NULL) {
                report(&d, line, "unknown field '%.60s'", key);
                continue;
            }
            if (*slot != NULL) {
                report(&d, line, "field '%s' appears twice", key);
                continue;
            }
            (void)take_scalar(&d, line, key, vn, slot);
        }
        if (k->slug == NULL || k->name == NULL || k->name_en == NULL) {
            report(&d, 1 + m->start_mark.line,
                   "a category needs slug, name and name_en");
        } else if (!wenda_slug_valid(k->slug, WENDA_CONTENT_MAX_SLUG)) {
            report(&d, 1 + m->start_mark.line, "bad category slug '%.60s'",
                   k->slug);
        }
        for (i = 0; k->slug != NULL && i < c->ncats; i++)
            if (c->cats[i].slug != NULL && strcmp(c->cats[i].slug, k->slug) == 0)
                report(&d, 1 + m->start_mark.line,
                       "category '%.60s' is listed twice", k->slug);
        c->ncats++;
    }
done:
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return d.count;
}

static int
load_categories(const char *file, struct wenda_content *c, wenda_diag_fn fn,
                void *ctx)
{
    struct diag d = {file, fn, ctx, 0};
    char *buf = NULL;
    size_t len;
    int problems;

    if (read_file(file, &buf, &len) != 0) {
        report(&d, 0, "cannot read: %s", strerror(errno));
        return 1;
    }
    problems = parse_categories(file, buf, len, c, fn, ctx);
    free(buf);
    return problems;
}

static int
cmp_topics(const void *a, const void *b)
{
    const struct wenda_topic *x = a, *y = b;

    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return strcmp(x->slug, y->slug);
}

/* Reads one <dir>/<cat>/<name> topic file into c; returns problems. */
static int
load_topic_file(const char *path, const char *cat, const char *name,
                struct wenda_content *c, wenda_diag_fn fn, void *ctx)
{
    struct diag d = {path, fn, ctx, 0};
    struct wenda_topic t;
    char *buf;
    const char *at;
    size_t len, i, n = strlen(name);
    unsigned long slug_line = 0, category_line = 0;

    if (read_file(path, &buf, &len) != 0) {
        report(&d, 0, "cannot read: %s", strerror(errno));
        return 1;
    }
    if (wenda_content_parse_topic(path, buf, len, &t, fn, ctx) != WENDA_OK) {
        free(buf);
        return 1;
    }
    /* Parsing succeeded, so both fields are in the front matter. */
    at = strstr(buf, "\nslug:");
    slug_line = at ? line_of(buf, (size_t)(at - buf)) + 1 : 0;
    at = strstr(buf, "\ncategory:");
    category_line = at ? line_of(buf, (size_t)(at - buf)) + 1 : 0;
    free(buf);
    if (t.slug == NULL || t.category == NULL) {  /* parse guarantees both */
        wenda_topic_cleanup(&t);
        return 1;
    }
    if (strlen(t.slug) + 3 != n || strncmp(name, t.slug, n - 3) != 0)
        report(&d, slug_line, "file name must be the slug: %s.md", t.slug);
    if (strcmp(cat, t.category) != 0)
        report(&d, category_line, "file is in '%s/' but its category is "
               "'%s'", cat, t.category);
    for (i = 0; i < c->ntopics; i++)
        if (strcmp(c->topics[i].slug, t.slug) == 0)
            report(&d, slug_line, "duplicate slug '%s' (also in %s/%s.md)",
                   t.slug,
                   c->topics[i].category, c->topics[i].slug);
    c->topics[c->ntopics++] = t;
    return d.count;
}

enum wenda_err
wenda_content_load(const char *dir, struct wenda_content *out,
                   wenda_diag_fn fn, void *ctx)
{
    struct wenda_content c = {0};
    struct wenda_strv cats = {0};
    size_t cap = 0, i, j;
    char path[4096];
    struct diag d = {dir, fn, ctx, 0};
    int problems;

    memset(out, 0, sizeof(*out));
    (void)snprintf(path, sizeof(path), "%s/categories.yml", dir);
    problems = load_categories(path, &c, fn, ctx);
    if (list_dir(dir, &cats) != 0) {
        report(&d, 0, "cannot read directory: %s", strerror(errno));
        wenda_content_cleanup(&c);
        return WENDA_ERR_IO;
    }
    for (i = 0; i < cats.n; i++) {
        struct wenda_strv files;
        struct stat st;
        int known = 0;

        (void)snprintf(path, sizeof(path), "%s/%s", dir, cats.v[i]);
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        for (j = 0; j < c.ncats; j++)
            if (c.cats[j].slug && strcmp(c.cats[j].slug, cats.v[i]) == 0)
                known = 1;
        if (list_dir(path, &files) != 0)
            continue;
        for (j = 0; j < files.n; j++) {
            size_t n = strlen(files.v[j]);

            if (n < 4 || strcmp(files.v[j] + n - 3, ".md") != 0)
                continue;
            (void)snprintf(path, sizeof(path), "%s/%s/%s", dir, cats.v[i],
                           files.v[j]);
            if (!known) {
                struct diag fd = {path, fn, ctx, 0};

                report(&fd, 0, "directory '%s' is not a category listed in "
                       "categories.yml", cats.v[i]);
                problems++;
                continue;
            }
            if (buf_reserve(&c.topics, &cap, c.ntopics, sizeof(*c.topics),
                            64) != 0) {
                wenda_strv_cleanup(&files);
                wenda_strv_cleanup(&cats);
                wenda_content_cleanup(&c);
                return WENDA_ERR_NOMEM;
            }
            problems += load_topic_file(path, cats.v[i], files.v[j], &c, fn,
                                        ctx);
        }
        wenda_strv_cleanup(&files);
    }
    wenda_strv_cleanup(&cats);
    if (problems > 0) {
        wenda_content_cleanup(&c);
        return WENDA_ERR_PARSE;
    }
    if (c.ntopics > 0)
        qsort(c.topics, c.ntopics, sizeof(*c.topics), cmp_topics);
    *out = c;
    return WENDA_OK;
}

enum wenda_err
wenda_content_load_categories(const char *file, struct wenda_content *out,
                              wenda_diag_fn fn, void *ctx)
{
    struct wenda_content c = {0};

    memset(out, 0, sizeof(*out));
    if (load_categories(file, &c, fn, ctx) > 0) {
        wenda_content_cleanup(&c);
        return WENDA_ERR_PARSE;
    }
    *out = c;
    return WENDA_OK;
}

enum wenda_err
wenda_content_parse_categories(const char *file, const char *buf, size_t len,
                               struct wenda_content *out, wenda_diag_fn fn,
                               void *ctx)
{
    struct wenda_content c = {0};

    memset(out, 0, sizeof(*out));
    if (parse_categories(file, buf, len, &c, fn, ctx) > 0) {
        wenda_content_cleanup(&c);
        return WENDA_ERR_PARSE;
    }
    *out = c;
    return WENDA_OK;
}

enum wenda_err
wenda_content_write(const char *dir, const struct wenda_content *c)
{
    char path[4096];
    struct buf b = {0};
    size_t i;

    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return WENDA_ERR_IO;
    if (!emit_document(&b, emit_categories, c, 0))
        goto nomem;
    (void)snprintf(path, sizeof(path), "%s/categories.yml", dir);
    if (write_file(path, b.p, b.n) != 0)
        goto io;
    for (i = 0; i < c->ntopics; i++) {
        const struct wenda_topic *t = &c->topics[i];
        char *data;
        size_t len;

        if (snprintf(path, sizeof(path), "%s/%s", dir, t->category) >=
            (int)sizeof(path))
            goto io;
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            goto io;
        if (wenda_content_format_topic(t, &data, &len) != WENDA_OK)
            goto nomem;
        (void)snprintf(path, sizeof(path), "%s/%s/%s.md", dir, t->category,
                       t->slug);
        if (write_file(path, data, len) != 0) {
            free(data);
            goto io;
        }
        free(data);
    }
    buf_cleanup(&b);
    return WENDA_OK;
nomem:
    buf_cleanup(&b);
    return WENDA_ERR_NOMEM;
io:
    buf_cleanup(&b);
    return WENDA_ERR_IO;
}
