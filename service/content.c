/*
 * content.c -- the topic model: its cleanup, its checks, and content
 * directories on disk.
 *
 * A topic is checked here field by field, whatever it was read from: a
 * topic file (content_yaml.c), the JSON of a write or an NDJSON line
 * (content_json.c).  Every problem is named by its field, so that a file's
 * reader can put it on the line the field came from.
 *
 * Loading a directory is strict and talkative: a content directory is
 * written by people, so every problem is reported with its file and line,
 * and loading goes on after a problem so that one run of "wenda check"
 * lists them all.  Each file is written to a temporary name and renamed,
 * so that a reader never sees half a file.  The YAML text of topic files
 * and categories.yml is content_yaml.c's, that of synonyms.yml and
 * dictionary.yml content_lexicon.c's; this file reads and writes the
 * files themselves.
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

#include "buf.h"
#include "content_int.h"

static int read_file(const char *path, char **out, size_t *outlen);
static int write_file(const char *path, const char *data, size_t len);

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
    free(c->synonyms);
    free(c->dictionary);
    memset(c, 0, sizeof(*c));
}

/*
 * Checks one string field, at JSON pointer at and named field in the
 * message: present when required, valid UTF-8 (strings from a JSON body
 * may carry any bytes), no control characters but for newlines and tabs
 * where multiline, and at most max characters (max bytes where
 * multiline).  Returns 1 for a problem, else 0.
 */
static int
check_text(const char *at, const char *field, const char *s, int required,
           size_t max, int multiline, wenda_content_problem_fn fn, void *ctx)
{
    char msg[160];
    size_t n, i;
    unsigned long nonchar;

    if (s == NULL || s[0] == '\0') {
        if (!required)
            return 0;
        (void)snprintf(msg, sizeof(msg), "%s is required and must not be "
                       "empty", field);
        fn(ctx, at, msg);
        return 1;
    }
    n = strlen(s);
    if (!wenda_utf8_valid(s, n, NULL)) {
        (void)snprintf(msg, sizeof(msg), "%s is not valid UTF-8", field);
        fn(ctx, at, msg);
        return 1;
    }
    nonchar = wenda_utf8_noncharacter(s, n);
    if (nonchar != 0) {
        (void)snprintf(msg, sizeof(msg), "%s holds U+%04lX, a Unicode "
                       "noncharacter", field, nonchar);
        fn(ctx, at, msg);
        return 1;
    }
    /* A line of text is as long as a reader counts it; a multiline
     * text's bound is a size. */
    if (multiline ? n > max : wenda_utf8_chars(s, n) > max) {
        (void)snprintf(msg, sizeof(msg), "%s is longer than %zu %s", field,
                       max, multiline ? "bytes" : "characters");
        fn(ctx, at, msg);
        return 1;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) ||
            c == 0x7F) {
            (void)snprintf(msg, sizeof(msg), "%s contains a control "
                           "character", field);
            fn(ctx, at, msg);
            return 1;
        }
    }
    return 0;
}

/*
 * Checks a list field: min to maxn entries, no entry twice, each a slug of
 * at most maxlen bytes when slugs is set, else a one-line text.  Each bad
 * entry is reported at its own pointer ("/tags/2"); returns how many
 * problems there were.
 */
static int
check_strv(const char *field, const struct wenda_strv *sv, size_t min,
           size_t maxn, size_t maxlen, int slugs, wenda_content_problem_fn fn,
           void *ctx)
{
    char msg[160], at[48];
    size_t i, j;
    int n = 0;

    if (sv->n < min || sv->n > maxn) {
        (void)snprintf(at, sizeof(at), "/%s", field);
        (void)snprintf(msg, sizeof(msg), "%s must have %zu to %zu entries, "
                       "not %zu", field, min, maxn, sv->n);
        fn(ctx, at, msg);
        return 1;
    }
    for (i = 0; i < sv->n; i++) {
        (void)snprintf(at, sizeof(at), "/%s/%zu", field, i);
        if (slugs && !wenda_slug_valid(sv->v[i], maxlen)) {
            (void)snprintf(msg, sizeof(msg), "%s[%zu] must be lower-case "
                           "letters, digits and single hyphens, at most %zu "
                           "bytes", field, i, maxlen);
            fn(ctx, at, msg);
            n++;
            continue;
        }
        if (!slugs && check_text(at, field, sv->v[i], 1, maxlen, 0, fn, ctx)) {
            n++;
            continue;
        }
        for (j = 0; j < i && strcmp(sv->v[i], sv->v[j]) != 0; j++)
            ;
        if (j < i) {
            (void)snprintf(msg, sizeof(msg), "%s lists \"%.60s\" twice",
                           field, sv->v[i]);
            fn(ctx, at, msg);
            n++;
        }
    }
    return n;
}

/* Checks the corrections of t, each field at its own pointer. */
static int
check_corrections(const struct wenda_topic *t, wenda_content_problem_fn fn,
                  void *ctx)
{
    static const char *const keys[] = {"says", "right", "why", "source"};
    char at[64], field[32];
    size_t i, k;
    int n = 0;

    if (t->ncorrections > WENDA_CONTENT_MAX_CORRECTIONS) {
        fn(ctx, "/corrections", "corrections must have at most 10 entries");
        n++;
    }
    for (i = 0; i < t->ncorrections && i < WENDA_CONTENT_MAX_CORRECTIONS;
         i++) {
        const struct wenda_correction *c = &t->corrections[i];
        const char *values[4];

        values[0] = c->says;
        values[1] = c->right;
        values[2] = c->why;
        values[3] = c->source;
        for (k = 0; k < 4; k++) {
            (void)snprintf(at, sizeof(at), "/corrections/%zu/%s", i,
                           keys[k]);
            (void)snprintf(field, sizeof(field), "corrections.%s", keys[k]);
            n += check_text(at, field, values[k], 1,
                            WENDA_CONTENT_MAX_CORRECTION, k < 3, fn, ctx);
        }
    }
    return n;
}

int
wenda_content_check(const struct wenda_topic *t, wenda_content_problem_fn fn,
                    void *ctx)
{
    int n = 0;

    if (t->slug == NULL || !wenda_slug_valid(t->slug, WENDA_CONTENT_MAX_SLUG)) {
        fn(ctx, "/slug", t->slug == NULL ? "slug is required"
           : "slug must be lower-case letters, digits and single hyphens, "
             "at most 64 bytes");
        n++;
    }
    n += check_text("/title", "title", t->title, 1, WENDA_CONTENT_MAX_TITLE,
                    0, fn, ctx);
    n += check_text("/title_en", "title_en", t->title_en, 0,
                    WENDA_CONTENT_MAX_TITLE, 0, fn, ctx);
    if (t->category == NULL ||
        !wenda_slug_valid(t->category, WENDA_CONTENT_MAX_SLUG)) {
        fn(ctx, "/category", t->category == NULL ? "category is required"
           : "category must be a category slug");
        n++;
    }
    if (t->order < 0 || t->order > 1000000000) {
        fn(ctx, "/order", "order must be an integer from 0 to 1000000000");
        n++;
    }
    n += check_strv("tags", &t->tags, 1, WENDA_CONTENT_MAX_TAGS,
                    WENDA_CONTENT_MAX_TAG, 1, fn, ctx);
    n += check_strv("aliases", &t->aliases, 0, WENDA_CONTENT_MAX_ALIASES,
                    WENDA_CONTENT_MAX_ALIAS, 0, fn, ctx);
    n += check_text("/answer", "answer", t->answer, 1,
                    WENDA_CONTENT_MAX_ANSWER, 1, fn, ctx);
    return n + check_corrections(t, fn, ctx);
}

/* A wenda_content_problem_fn that adds the problem to a problem list. */
static void
add_problem(void *ctx, const char *pointer, const char *msg)
{
    wenda_problems_add(ctx, pointer, "%s", msg);
}

enum wenda_err
wenda_topic_check(const struct wenda_topic *t, struct wenda_problems *p)
{
    size_t before = wenda_problems_count(p);

    (void)wenda_content_check(t, add_problem, p);
    if (p->nomem)
        return WENDA_ERR_NOMEM;
    return wenda_problems_count(p) > before ? WENDA_ERR_INVALID : WENDA_OK;
}

enum wenda_err
wenda_topic_validate(const struct wenda_topic *t, char *msg, size_t msgcap)
{
    struct wenda_problems p = {0};
    enum wenda_err rc = wenda_topic_check(t, &p);

    wenda_problems_first(&p, 0, msg, msgcap);
    wenda_problems_cleanup(&p);
    return rc;
}

/* ---- problems of a file being read ---------------------------------- */

void
wenda_content_report(struct wenda_content_diag *d, unsigned long line,
                     const char *fmt, ...)
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

unsigned long
wenda_content_line_of(const char *buf, size_t off)
{
    unsigned long line = 1;
    size_t i;

    for (i = 0; i < off; i++)
        if (buf[i] == '\n')
            line++;
    return line;
}

/* ---- directories ----------------------------------------------------- */

/*
 * Reads the file at path into *out (new; the caller frees it) and its
 * length into *outlen, stopping just past WENDA_CONTENT_MAX_FILE bytes, so
 * that a parser can tell a file too large.  -1, with errno set, when the
 * file cannot be read.
 */
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
        wenda_buf_add(&b, chunk, n);
        if (b.n > WENDA_CONTENT_MAX_FILE + 1)
            break;
    }
    if (ferror(f) || wenda_buf_failed(&b)) {
        (void)fclose(f);
        wenda_buf_cleanup(&b);
        return -1;
    }
    (void)fclose(f);
    *out = wenda_buf_take(&b, outlen);
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

/* qsort() order of C strings, for list_dir(). */
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
        if (wenda_buf_reserve(&out->v, &cap, out->n, sizeof(char *), 32) != 0)
            goto fail;
        out->v[out->n] = strdup(de->d_name);
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
 * Reads the categories file into c->cats; returns how many problems there
 * were, reported through fn.
 */
static int
load_categories(const char *file, struct wenda_content *c, wenda_diag_fn fn,
                void *ctx)
{
    struct wenda_content_diag d = {file, fn, ctx, 0};
    char *buf = NULL;
    size_t len;
    int problems;

    if (read_file(file, &buf, &len) != 0) {
        wenda_content_report(&d, 0, "cannot read: %s", strerror(errno));
        return 1;
    }
    problems = wenda_content_categories_from_yaml(file, buf, len, c, fn, ctx);
    free(buf);
    return problems;
}

/*
 * Reads dir/NAME.yml, the lexicon document name, into *json when the file
 * is there (else *json stays NULL); returns how many problems it had,
 * reported through fn.
 */
static int
load_lexicon(const char *dir, const char *name, char **json,
             wenda_diag_fn fn, void *ctx)
{
    char path[4096];
    struct wenda_content_diag d = {path, fn, ctx, 0};
    char *buf = NULL;
    size_t len;
    enum wenda_err rc;

    *json = NULL;
    (void)snprintf(path, sizeof(path), "%s/%s.yml", dir, name);
    if (read_file(path, &buf, &len) != 0) {
        if (errno == ENOENT)
            return 0;
        wenda_content_report(&d, 0, "cannot read: %s", strerror(errno));
        return 1;
    }
    rc = wenda_content_parse_lexicon(path, name, buf, len, json, fn, ctx);
    free(buf);
    if (rc == WENDA_OK)
        return 0;
    if (rc != WENDA_ERR_PARSE)
        wenda_content_report(&d, 0, "cannot be read: %s",
                             wenda_err_title(rc));
    return 1;
}

/* qsort() order of topics: by order, then by slug. */
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
    struct wenda_content_diag d = {path, fn, ctx, 0};
    struct wenda_topic t;
    char *buf;
    const char *at;
    size_t len, i, n = strlen(name);
    unsigned long slug_line = 0, category_line = 0;

    if (read_file(path, &buf, &len) != 0) {
        wenda_content_report(&d, 0, "cannot read: %s", strerror(errno));
        return 1;
    }
    if (wenda_content_parse_topic(path, buf, len, &t, fn, ctx) != WENDA_OK) {
        free(buf);
        return 1;
    }
    /* Parsing succeeded, so both fields are in the front matter. */
    at = strstr(buf, "\nslug:");
    slug_line = at ? wenda_content_line_of(buf, (size_t)(at - buf)) + 1 : 0;
    at = strstr(buf, "\ncategory:");
    category_line =
        at ? wenda_content_line_of(buf, (size_t)(at - buf)) + 1 : 0;
    free(buf);
    if (t.slug == NULL || t.category == NULL) {  /* parse guarantees both */
        wenda_topic_cleanup(&t);
        return 1;
    }
    if (strlen(t.slug) + 3 != n || strncmp(name, t.slug, n - 3) != 0)
        wenda_content_report(&d, slug_line, "file name must be the slug: "
                             "%s.md", t.slug);
    if (strcmp(cat, t.category) != 0)
        wenda_content_report(&d, category_line, "file is in '%s/' but its "
                             "category is '%s'", cat, t.category);
    for (i = 0; i < c->ntopics; i++)
        if (strcmp(c->topics[i].slug, t.slug) == 0)
            wenda_content_report(&d, slug_line, "duplicate slug '%s' (also "
                                 "in %s/%s.md)", t.slug,
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
    struct wenda_content_diag d = {dir, fn, ctx, 0};
    int problems;

    memset(out, 0, sizeof(*out));
    (void)snprintf(path, sizeof(path), "%s/categories.yml", dir);
    problems = load_categories(path, &c, fn, ctx);
    if (list_dir(dir, &cats) != 0) {
        wenda_content_report(&d, 0, "cannot read directory: %s",
                             strerror(errno));
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
                struct wenda_content_diag fd = {path, fn, ctx, 0};

                wenda_content_report(&fd, 0, "directory '%s' is not a "
                                     "category listed in categories.yml",
                                     cats.v[i]);
                problems++;
                continue;
            }
            if (wenda_buf_reserve(&c.topics, &cap, c.ntopics, sizeof(*c.topics),
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
    problems += load_lexicon(dir, "synonyms", &c.synonyms, fn, ctx);
    problems += load_lexicon(dir, "dictionary", &c.dictionary, fn, ctx);
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

/*
 * Writes the lexicon document json to dir/NAME.yml, unless it is NULL or
 * "{}": a document with nothing in it has no file.
 */
static enum wenda_err
write_lexicon(const char *dir, const char *name, const char *json)
{
    char path[4096];
    char *data;
    size_t len;
    enum wenda_err rc;

    if (json == NULL || strcmp(json, "{}") == 0)
        return WENDA_OK;
    rc = wenda_content_format_lexicon(json, &data, &len);
    if (rc != WENDA_OK)
        return rc;
    if (snprintf(path, sizeof(path), "%s/%s.yml", dir, name) >=
            (int)sizeof(path) ||
        write_file(path, data, len) != 0)
        rc = WENDA_ERR_IO;
    free(data);
    return rc;
}

enum wenda_err
wenda_content_write(const char *dir, const struct wenda_content *c)
{
    char path[4096];
    struct buf b = {0};
    enum wenda_err rc;
    size_t i;

    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return WENDA_ERR_IO;
    if (!wenda_content_categories_to_yaml(c, &b))
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
    wenda_buf_cleanup(&b);
    rc = write_lexicon(dir, "synonyms", c->synonyms);
    if (rc == WENDA_OK)
        rc = write_lexicon(dir, "dictionary", c->dictionary);
    return rc;
nomem:
    wenda_buf_cleanup(&b);
    return WENDA_ERR_NOMEM;
io:
    wenda_buf_cleanup(&b);
    return WENDA_ERR_IO;
}
