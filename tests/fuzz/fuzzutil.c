/*
 * fuzzutil.c -- the shared setup of the harnesses (see fuzzutil.h).
 *
 * The database is made the way `wenda import` makes it: the content
 * loaded and validated by the content module, then imported in one
 * transaction by the store.  Tokens are created through the auth module
 * on the writable connection, which is then closed; the inputs only ever
 * see the read-only one.
 */
#include "fuzzutil.h"

#include <ftw.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "store_int.h"

static char tmp_dir[4096];

void
fuzz_die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vfprintf(stderr, fmt, ap);
    va_end(ap);
    (void)fputc('\n', stderr);
    abort();
}

char *
fuzz_strndup(const unsigned char *data, size_t n)
{
    char *s = malloc(n + 1);

    if (s == NULL)
        fuzz_die("out of memory");
    if (n > 0)
        memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

static const char *
content_dir(void)
{
    const char *d = getenv("WENDA_FUZZ_CONTENT");

    return d != NULL && d[0] != '\0' ? d : "content";
}

static void
print_diag(void *ctx, const char *file, unsigned long line, const char *msg)
{
    (void)ctx;
    (void)fprintf(stderr, "%s:%lu: %s\n", file, line, msg);
}

void
fuzz_load_topic(const char *rel, struct wenda_topic *t)
{
    char path[4096];
    FILE *f;
    char *buf;
    long n;

    (void)snprintf(path, sizeof(path), "%s/%s", content_dir(), rel);
    f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0)
        fuzz_die("cannot read %s", path);
    buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
        fuzz_die("cannot read %s", path);
    (void)fclose(f);
    if (wenda_content_parse_topic(path, buf, (size_t)n, t, print_diag, NULL) !=
        WENDA_OK)
        fuzz_die("%s is not a valid topic", path);
    free(buf);
}

static int
remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void
remove_tmp_dir(void)
{
    if (tmp_dir[0] != '\0')
        (void)nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
make_token(struct wenda_auth *auth, struct wenda_store *st,
           enum wenda_role role, char token[WENDA_TOKEN_LEN + 1])
{
    if (wenda_auth_token_create(auth, st, role, "fuzz", 0, token, NULL) !=
        WENDA_OK)
        fuzz_die("cannot create a %s token", wenda_auth_role_name(role));
}

void
fuzz_env_open(struct fuzz_env *env)
{
    const char *base = getenv("TMPDIR");
    char db[4200], key[4200], msg[512];
    struct wenda_content c;
    struct wenda_store *w;
    struct wenda_token_info info;

    memset(env, 0, sizeof(*env));
    if (sodium_init() < 0)
        fuzz_die("sodium_init failed");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    (void)snprintf(tmp_dir, sizeof(tmp_dir), "%s/wenda-fuzz-XXXXXX", base);
    if (mkdtemp(tmp_dir) == NULL)
        fuzz_die("mkdtemp %s failed", tmp_dir);
    (void)atexit(remove_tmp_dir);
    (void)snprintf(db, sizeof(db), "%s/wenda.db", tmp_dir);
    if (wenda_content_load(content_dir(), &c, print_diag, NULL) != WENDA_OK)
        fuzz_die("cannot load the content from %s", content_dir());
    if (wenda_store_open(db, WENDA_STORE_CREATE, &w, msg, sizeof(msg)) !=
            WENDA_OK ||
        wenda_store_import(w, &c) != WENDA_OK)
        fuzz_die("cannot make %s: %s", db, msg);
    wenda_content_cleanup(&c);
    if (wenda_auth_key_path_for_db(db, key, sizeof(key)) != WENDA_OK ||
        wenda_auth_open(key, 1, &env->auth, msg, sizeof(msg)) != WENDA_OK)
        fuzz_die("cannot make the token key: %s", msg);
    make_token(env->auth, w, WENDA_ROLE_ADMIN, env->admin);
    make_token(env->auth, w, WENDA_ROLE_READER, env->reader);
    wenda_store_close(w);
    if (wenda_store_open(db, WENDA_STORE_READONLY, &env->store, msg,
                         sizeof(msg)) != WENDA_OK)
        fuzz_die("cannot open %s read-only: %s", db, msg);
    if (wenda_auth_verify(env->auth, env->store, env->admin, &info) !=
            WENDA_OK ||
        info.role != WENDA_ROLE_ADMIN)
        fuzz_die("the admin token does not verify");
}

void
fuzz_quiet_diag(void *ctx, const char *file, unsigned long line,
                const char *msg)
{
    (void)ctx;
    (void)file;
    (void)line;
    if (msg == NULL || msg[0] == '\0')
        fuzz_die("a problem without a message");
}

static int
strv_eq(const struct wenda_strv *a, const struct wenda_strv *b)
{
    size_t i;

    if (a->n != b->n)
        return 0;
    for (i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]) != 0)
            return 0;
    return 1;
}

static int
corrections_eq(const struct wenda_topic *a, const struct wenda_topic *b)
{
    size_t i;

    if (a->ncorrections != b->ncorrections)
        return 0;
    for (i = 0; i < a->ncorrections; i++)
        if (strcmp(a->corrections[i].says, b->corrections[i].says) != 0 ||
            strcmp(a->corrections[i].right, b->corrections[i].right) != 0 ||
            strcmp(a->corrections[i].why, b->corrections[i].why) != 0 ||
            strcmp(a->corrections[i].source, b->corrections[i].source) != 0)
            return 0;
    return 1;
}

void
fuzz_check_file_round_trip(const struct wenda_topic *t)
{
    struct wenda_topic again;
    char *out = NULL, *out2 = NULL;
    size_t n = 0, n2 = 0;

    if (wenda_content_format_topic(t, &out, &n) != WENDA_OK)
        fuzz_die("a parsed topic cannot be written");
    if (wenda_content_parse_topic("again.md", out, n, &again, fuzz_quiet_diag,
                                  NULL) != WENDA_OK)
        fuzz_die("a written topic does not parse again:\n%s", out);
    if (strcmp(t->slug, again.slug) != 0 ||
        strcmp(t->title, again.title) != 0 ||
        strcmp(t->title_en, again.title_en) != 0 ||
        strcmp(t->category, again.category) != 0 || t->order != again.order ||
        !strv_eq(&t->tags, &again.tags) ||
        !strv_eq(&t->aliases, &again.aliases) ||
        strcmp(t->answer, again.answer) != 0 || !corrections_eq(t, &again))
        fuzz_die("a written topic parses into another topic:\n%s", out);
    if (wenda_content_format_topic(&again, &out2, &n2) != WENDA_OK || n2 != n ||
        memcmp(out, out2, n) != 0)
        fuzz_die("a canonical topic file is not written back as it was");
    wenda_topic_cleanup(&again);
    free(out);
    free(out2);
}

void
fuzz_handle(struct fuzz_env *env, struct api_request *req,
            struct api_response *res)
{
    req->auth = env->auth;
    req->store = env->store;
    if (wenda_store_hold_read(env->store, 1000) != WENDA_OK)
        fuzz_die("the store cannot be read");
    api_handle(req, res);
    wenda_store_release_read(env->store);
}

int
fuzz_no_arg(void *ctx, const char *name, const char **value, size_t *len)
{
    (void)ctx;
    (void)name;
    (void)value;
    (void)len;
    return 0;
}
