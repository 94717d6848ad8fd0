/*
 * testutil.c -- the helpers of testutil.h.
 *
 * These were once copied into each test file that needed them; they live
 * here so that a fix to one (a path that does not fit, a short read) reaches
 * every test.  They use plain stdio and POSIX directory calls, and they fail
 * the running test with Criterion assertions, so that a test reads as the
 * steps it takes rather than as error handling.
 */
#include "buf.h"
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw);
static int cmp_str(const void *a, const void *b);
static void list_below(const char *dir, const char *rel,
                       struct testutil_file_list *fl);

void
testutil_join(char *out, size_t cap, const char *a, const char *b)
{
    int w = snprintf(out, cap, "%s/%s", a, b);

    cr_assert(w > 0 && (size_t)w < cap, "path too long: %s/%s", a, b);
}

void
testutil_make_temp_dir(char *out, size_t cap, const char *tag)
{
    const char *base = getenv("TMPDIR");
    int w;

    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    w = snprintf(out, cap, "%s/wenda-%s-XXXXXX", base, tag);
    cr_assert(w > 0 && (size_t)w < cap, "temp dir path too long");
    cr_assert_not_null(mkdtemp(out), "mkdtemp %s: %s", out, strerror(errno));
}

static int
remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void
testutil_remove_tree(const char *dir)
{
    if (dir[0] != '\0')
        (void)nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *
testutil_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    size_t n = 0, cap = 0, r;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (cap - n < 4096) {
            char *q = realloc(p, cap + 65536 + 1);

            cr_assert_not_null(q);
            p = q;
            cap += 65536;
        }
        r = fread(p + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    cr_assert_eq(ferror(f), 0, "cannot read %s", path);
    (void)fclose(f);
    p[n] = '\0';
    if (len != NULL)
        *len = n;
    return p;
}

void
testutil_spit(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    cr_assert_not_null(f, "cannot write %s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

void
testutil_edit_file(const char *path, const char *from, const char *to)
{
    size_t len, pre, flen = strlen(from), tlen = strlen(to);
    char *data = testutil_slurp(path, &len);
    char *hit, *out;

    cr_assert_not_null(data, "cannot read %s", path);
    hit = strstr(data, from);
    cr_assert_not_null(hit, "'%s' is not in %s", from, path);
    pre = (size_t)(hit - data);
    out = malloc(len - flen + tlen + 1);
    cr_assert_not_null(out);
    memcpy(out, data, pre);
    memcpy(out + pre, to, tlen);
    memcpy(out + pre + tlen, hit + flen, len - pre - flen);
    out[len - flen + tlen] = '\0';
    testutil_spit(path, out, len - flen + tlen);
    free(out);
    free(data);
}

void
testutil_copy_file(const char *src, const char *dst)
{
    size_t len;
    char *data = testutil_slurp(src, &len);

    cr_assert_not_null(data, "cannot read %s", src);
    testutil_spit(dst, data, len);
    free(data);
}

void
testutil_copy_tree(const char *src, const char *dst)
{
    DIR *dp = opendir(src);
    struct dirent *de;

    cr_assert_not_null(dp, "cannot open %s: %s", src, strerror(errno));
    cr_assert(mkdir(dst, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", dst,
              strerror(errno));
    while ((de = readdir(dp)) != NULL) {
        char s[TESTUTIL_PATH_CAP], t[TESTUTIL_PATH_CAP];
        struct stat sb;

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        testutil_join(s, sizeof(s), src, de->d_name);
        testutil_join(t, sizeof(t), dst, de->d_name);
        cr_assert_eq(stat(s, &sb), 0, "stat %s", s);
        if (S_ISDIR(sb.st_mode))
            testutil_copy_tree(s, t);
        else
            testutil_copy_file(s, t);
    }
    (void)closedir(dp);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the regular files below dir/rel to fl as paths relative to dir;
 * rel is "" for dir itself.  Leaves fl unsorted. */
static void
list_below(const char *dir, const char *rel, struct testutil_file_list *fl)
{
    char path[TESTUTIL_PATH_CAP];
    DIR *dp;
    struct dirent *de;

    if (rel[0] == '\0')
        (void)snprintf(path, sizeof(path), "%s", dir);
    else
        testutil_join(path, sizeof(path), dir, rel);
    dp = opendir(path);
    cr_assert_not_null(dp, "cannot open %s: %s", path, strerror(errno));
    while ((de = readdir(dp)) != NULL) {
        char sub[TESTUTIL_PATH_CAP], full[TESTUTIL_PATH_CAP];
        struct stat sb;

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (rel[0] == '\0')
            (void)snprintf(sub, sizeof(sub), "%s", de->d_name);
        else
            testutil_join(sub, sizeof(sub), rel, de->d_name);
        testutil_join(full, sizeof(full), dir, sub);
        cr_assert_eq(stat(full, &sb), 0, "stat %s", full);
        if (S_ISDIR(sb.st_mode)) {
            list_below(dir, sub, fl);
            continue;
        }
        cr_assert_eq(
            wenda_buf_reserve(&fl->v, &fl->cap, fl->n, sizeof(char *), 128), 0);
        fl->v[fl->n] = strdup(sub);
        cr_assert_not_null(fl->v[fl->n]);
        fl->n++;
    }
    (void)closedir(dp);
}

void
testutil_list_files(const char *dir, struct testutil_file_list *fl)
{
    list_below(dir, "", fl);
    if (fl->n > 0)
        qsort(fl->v, fl->n, sizeof(char *), cmp_str);
}

void
testutil_file_list_cleanup(struct testutil_file_list *fl)
{
    size_t i;

    for (i = 0; i < fl->n; i++)
        free(fl->v[i]);
    free(fl->v);
    memset(fl, 0, sizeof(*fl));
}

size_t
testutil_assert_same_tree(const char *a, const char *b)
{
    struct testutil_file_list fa = {0}, fb = {0};
    size_t i, n;

    testutil_list_files(a, &fa);
    testutil_list_files(b, &fb);
    for (i = 0; i < fa.n || i < fb.n; i++) {
        cr_assert(i < fa.n, "%s has %s, %s does not", b, fb.v[i], a);
        cr_assert(i < fb.n, "%s has %s, %s does not", a, fa.v[i], b);
        cr_assert_str_eq(fa.v[i], fb.v[i], "file sets differ at %s vs %s",
                         fa.v[i], fb.v[i]);
    }
    for (i = 0; i < fa.n; i++) {
        char pa[TESTUTIL_PATH_CAP], pb[TESTUTIL_PATH_CAP];
        size_t la, lb;
        char *da, *db;

        testutil_join(pa, sizeof(pa), a, fa.v[i]);
        testutil_join(pb, sizeof(pb), b, fb.v[i]);
        da = testutil_slurp(pa, &la);
        db = testutil_slurp(pb, &lb);
        cr_assert_not_null(da, "cannot read %s", pa);
        cr_assert_not_null(db, "cannot read %s", pb);
        cr_assert(la == lb && memcmp(da, db, la) == 0,
                  "%s differs (%zu vs %zu bytes)", fa.v[i], la, lb);
        free(da);
        free(db);
    }
    n = fa.n;
    testutil_file_list_cleanup(&fa);
    testutil_file_list_cleanup(&fb);
    return n;
}

void
testutil_assert_strv_eq(const struct wenda_strv *a, const struct wenda_strv *b,
                        const char *what, const char *slug)
{
    size_t i;

    cr_assert_eq(a->n, b->n, "%s: %s count %zu vs %zu", slug, what, a->n, b->n);
    for (i = 0; i < a->n; i++)
        cr_assert_str_eq(a->v[i], b->v[i], "%s: %s[%zu] differs", slug, what,
                         i);
}

void
testutil_assert_topic_eq(const struct wenda_topic *a,
                         const struct wenda_topic *b, int with_answer)
{
    const char *s = a->slug ? a->slug : "?";

    cr_assert_str_eq(a->slug, b->slug);
    cr_assert_str_eq(a->title, b->title, "%s: title differs", s);
    cr_assert_str_eq(a->title_en, b->title_en, "%s: title_en differs", s);
    cr_assert_str_eq(a->category, b->category, "%s: category differs", s);
    cr_assert_eq(a->order, b->order, "%s: order differs", s);
    testutil_assert_strv_eq(&a->tags, &b->tags, "tags", s);
    testutil_assert_strv_eq(&a->aliases, &b->aliases, "aliases", s);
    if (with_answer)
        cr_assert_str_eq(a->answer, b->answer, "%s: answer differs", s);
}
