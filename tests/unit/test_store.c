/*
 * test_store.c -- the SQLite store: opening and migrating, import, the reads
 * of the API, and dump.
 *
 * Every test gets a private temporary directory (the suite's .init) holding
 * its database, and the shipped content/ loaded into memory, so that the
 * expected answers are computed from the files rather than written down
 * twice.  The schema and journal mode are checked with the sqlite3 API on
 * the file itself, not through the store, so that the store cannot vouch
 * for itself.  Tests run from the repository root.
 */
#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "wenda/content.h"
#include "wenda/search.h"
#include "wenda/store.h"
#include "store_int.h"

#include "testutil.h"

#define CONTENT_DIR "content"
#define PATH_CAP 4096

static char tmp_dir[PATH_CAP];   /* private temporary directory */
static char db_path[PATH_CAP];   /* tmp_dir/wenda.db */
static struct wenda_content content;  /* content/ as loaded from disk */
static struct wenda_store *store;     /* opened by open_imported() */

/* ---- helpers ---------------------------------------------------------- */

static void
setup(void)
{
    testutil_make_temp_dir(tmp_dir, sizeof(tmp_dir), "store");
    testutil_join(db_path, sizeof(db_path), tmp_dir, "wenda.db");
    cr_assert_eq(wenda_content_load(CONTENT_DIR, &content, NULL, NULL),
                 WENDA_OK, "content/ does not load (run from the repository "
                 "root)");
    cr_assert_eq(content.ntopics, 64);
}

static void
teardown(void)
{
    wenda_store_close(store);
    store = NULL;
    wenda_content_cleanup(&content);
    testutil_remove_tree(tmp_dir);
}

/* Opens db_path (created) into store and imports content/ into it. */
static void
open_imported(void)
{
    char msg[512];
    enum wenda_err rc;

    rc = wenda_store_open(db_path, WENDA_STORE_CREATE, &store, msg,
                          sizeof(msg));
    cr_assert_eq(rc, WENDA_OK, "open: %s: %s", wenda_err_name(rc), msg);
    rc = wenda_store_import(store, &content);
    cr_assert_eq(rc, WENDA_OK, "import: %s", wenda_err_name(rc));
}

/* Runs a one-value query on the database file with plain sqlite3. */
static void
query_text(const char *path, const char *sql, char *out, size_t cap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;

    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK, "sqlite3 cannot open %s", path);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK,
                 "%s: %s", sql, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s gave no row", sql);
    (void)snprintf(out, cap, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static long
query_int(const char *path, const char *sql)
{
    char buf[64];

    query_text(path, sql, buf, sizeof(buf));
    return strtol(buf, NULL, 10);
}

/* Creates an SQLite file at path whose user_version is v. */
static void
make_db_with_version(const char *path, int v)
{
    sqlite3 *db = NULL;
    char sql[64];

    (void)snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_close(db), SQLITE_OK);
}

static int
strv_has(const struct wenda_strv *sv, const char *s)
{
    size_t i;

    for (i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0)
            return 1;
    return 0;
}

/* Lists every topic matching category and tag, limit at a time, into
 * seen[id] (counts); returns how many were returned. */
static size_t
list_all(const char *category, const char *tag, unsigned int limit,
         int seen[65])
{
    struct wenda_topic_filter f = {category, tag, 0, limit, 0};
    size_t total = 0;
    int pages = 0;

    for (;;) {
        struct wenda_topic *items;
        size_t n, i;
        int more;
        enum wenda_err rc;

        rc = wenda_store_topic_list(store, &f, &items, &n, &more);
        cr_assert_eq(rc, WENDA_OK, "list: %s", wenda_err_name(rc));
        cr_assert_leq(n, limit, "a page holds %zu topics, limit %u", n, limit);
        cr_assert(more == 0 || n == limit,
                  "a page of %zu < %u topics says more follow", n, limit);
        for (i = 0; i < n; i++) {
            const struct wenda_topic *t = &items[i];

            cr_assert(t->id > f.after_id, "id %lld is not after %lld",
                      (long long)t->id, (long long)f.after_id);
            cr_assert(i == 0 || t->id > items[i - 1].id,
                      "ids are not ascending within a page");
            cr_assert(t->id >= 1 && t->id <= 64, "id %lld", (long long)t->id);
            cr_assert_null(t->answer, "list items carry an answer");
            if (category != NULL)
                cr_assert_str_eq(t->category, category,
                                 "%s is listed under %s", t->slug, category);
            if (tag != NULL)
                cr_assert(strv_has(&t->tags, tag),
                          "%s is listed under tag %s", t->slug, tag);
            seen[t->id]++;
        }
        total += n;
        pages++;
        cr_assert_lt(pages, 200, "paging does not end");
        if (n > 0)
            f.after_id = items[n - 1].id;
        wenda_topics_free(items, n);
        if (!more)
            break;
        cr_assert_gt(n, 0, "an empty page says more follow");
    }
    return total;
}

static size_t
count_in_content(const char *category, const char *tag)
{
    size_t i, n = 0;

    for (i = 0; i < content.ntopics; i++) {
        const struct wenda_topic *t = &content.topics[i];

        if ((category == NULL || strcmp(t->category, category) == 0) &&
            (tag == NULL || strv_has(&t->tags, tag)))
            n++;
    }
    return n;
}

TestSuite(store, .init = setup, .fini = teardown);

/* ---- opening ---------------------------------------------------------- */

Test(store, creates_and_migrates_a_new_database_in_wal_mode)
{
    char msg[512], mode[32];

    cr_assert_gt(wenda_store_schema_version(), 0);
    cr_assert_eq(wenda_store_open(db_path, WENDA_STORE_CREATE, &store, msg,
                                  sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_not_null(store);
    wenda_store_close(store);
    store = NULL;
    cr_assert_eq(query_int(db_path, "PRAGMA user_version"),
                 wenda_store_schema_version());
    query_text(db_path, "PRAGMA journal_mode", mode, sizeof(mode));
    cr_assert_str_eq(mode, "wal");
    cr_assert_eq(query_int(db_path, "SELECT count(*) FROM sqlite_master "
                                    "WHERE name = 'topics'"),
                 1);
}

Test(store, reopens_a_migrated_database_without_changing_it)
{
    char msg[512];

    open_imported();
    wenda_store_close(store);
    store = NULL;
    cr_assert_eq(wenda_store_open(db_path, 0, &store, msg, sizeof(msg)),
                 WENDA_OK, "%s", msg);
    wenda_store_close(store);
    store = NULL;
    cr_assert_eq(wenda_store_open(db_path, WENDA_STORE_READONLY, &store, msg,
                                  sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(query_int(db_path, "SELECT count(*) FROM topics"), 64);
}

Test(store, refuses_a_database_newer_than_the_binary)
{
    static const int flags[] = {0, WENDA_STORE_CREATE, WENDA_STORE_READONLY};
    int newer = wenda_store_schema_version() + 1;
    size_t i;

    make_db_with_version(db_path, newer);
    for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        char msg[512] = "";
        struct wenda_store *st = (struct wenda_store *)msg;
        enum wenda_err rc;

        rc = wenda_store_open(db_path, flags[i], &st, msg, sizeof(msg));
        cr_assert_eq(rc, WENDA_ERR_DB_TOO_NEW, "flags %d gave %s", flags[i],
                     wenda_err_name(rc));
        cr_assert_null(st, "a refused open left *out set");
        cr_assert_not_null(strstr(msg, "newer"),
                           "message does not say newer: '%s'", msg);
    }
    cr_assert_eq(query_int(db_path, "PRAGMA user_version"), newer,
                 "the refused database was changed");
}

Test(store, refuses_to_open_a_missing_file_read_only)
{
    char msg[512] = "";
    enum wenda_err rc;

    rc = wenda_store_open(db_path, WENDA_STORE_READONLY, &store, msg,
                          sizeof(msg));
    cr_assert_neq(rc, WENDA_OK);
    cr_assert_null(store);
    cr_assert(msg[0] != '\0', "no message for the operator");
    cr_assert_neq(access(db_path, F_OK), 0, "a read-only open created %s",
                  db_path);
    rc = wenda_store_open(db_path, WENDA_STORE_READONLY | WENDA_STORE_CREATE,
                          &store, msg, sizeof(msg));
    cr_assert_neq(rc, WENDA_OK, "READONLY|CREATE opened a missing file");
    cr_assert_neq(access(db_path, F_OK), 0);
}

Test(store, refuses_to_create_a_missing_file_without_the_create_flag)
{
    char msg[512] = "";

    cr_assert_neq(wenda_store_open(db_path, 0, &store, msg, sizeof(msg)),
                  WENDA_OK);
    cr_assert_null(store);
    cr_assert(msg[0] != '\0');
    cr_assert_neq(access(db_path, F_OK), 0, "open without CREATE created it");
}

Test(store, refuses_an_unmigrated_database_read_only)
{
    char msg[512] = "";

    make_db_with_version(db_path, 0);
    cr_assert_neq(wenda_store_open(db_path, WENDA_STORE_READONLY, &store, msg,
                                   sizeof(msg)),
                  WENDA_OK);
    cr_assert_null(store);
    cr_assert(msg[0] != '\0');
    cr_assert_eq(query_int(db_path, "PRAGMA user_version"), 0,
                 "a read-only open migrated the database");
}

/* ---- import and reads ------------------------------------------------- */

Test(store, imports_the_content_as_topics_one_to_sixty_four_in_order)
{
    int64_t count = -1;
    int64_t id;

    open_imported();
    cr_assert_eq(wenda_store_topic_count(store, &count), WENDA_OK);
    cr_assert_eq(count, 64);
    for (id = 1; id <= 64; id++) {
        const struct wenda_topic *want = &content.topics[id - 1];
        struct wenda_topic t;

        cr_assert_eq(wenda_store_topic_get(store, id, NULL, &t), WENDA_OK,
                     "no topic %lld", (long long)id);
        cr_assert_eq(t.id, id);
        testutil_assert_topic_eq(want, &t, 1);
        cr_assert_eq(t.version, 1, "%s has version %lld", t.slug,
                     (long long)t.version);
        cr_assert_not_null(t.updated_at);
        cr_assert_eq(strlen(t.updated_at), 20, "updated_at '%s'",
                     t.updated_at);
        cr_assert_eq(t.updated_at[10], 'T', "updated_at '%s'", t.updated_at);
        cr_assert_eq(t.updated_at[19], 'Z', "updated_at '%s'", t.updated_at);
        wenda_topic_cleanup(&t);
    }
}

/* The schema's indexes and triggers, as one string, read with plain
 * sqlite3. */
static void
index_schema(char *out, size_t cap)
{
    query_text(db_path,
               "SELECT group_concat(name || ': ' || sql, '; ') FROM "
               "(SELECT name, sql FROM sqlite_schema WHERE type IN "
               "('index', 'trigger') AND sql IS NOT NULL ORDER BY name)",
               out, cap);
}

/* Begins an import into store, adds one topic and gives the import up. */
static void
give_up_an_import(void)
{
    struct wenda_import *im;
    char msg[512];

    cr_assert_eq(wenda_store_import_begin(store, content.cats, content.ncats,
                                          NULL, &im),
                 WENDA_OK);
    cr_assert_eq(wenda_store_import_add(im, &content.topics[0], msg,
                                        sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_store_import_end(im, 0, NULL), WENDA_OK);
}

Test(store, an_import_leaves_every_index_as_the_migrations_made_it)
{
    /* An import drops the secondary indexes and the triggers, and creates
     * them again at its end. */
    char before[8192], after[8192];
    char msg[512];
    size_t i;

    cr_assert_eq(wenda_store_open(db_path, WENDA_STORE_CREATE, &store, msg,
                                  sizeof(msg)),
                 WENDA_OK, "%s", msg);
    index_schema(before, sizeof(before));
    cr_assert_not_null(strstr(before, "topics_by_category"), "%s", before);
    cr_assert_not_null(strstr(before, "topic_tags_count_insert"), "%s",
                       before);
    cr_assert_eq(wenda_store_import(store, &content), WENDA_OK);
    index_schema(after, sizeof(after));
    cr_assert_str_eq(after, before);
    /* An import given up halfway gives them back as well. */
    give_up_an_import();
    index_schema(after, sizeof(after));
    cr_assert_str_eq(after, before);
    cr_assert_eq(query_int(db_path, "SELECT count(*) FROM topics"), 64);
    /* And the full-text index, which an import empties by creating it
     * anew: every title still finds its topic first. */
    for (i = 0; i < content.ntopics; i++) {
        struct wenda_search_query q = {content.topics[i].title, NULL, NULL,
                                       1, 0};
        struct wenda_search_result r;

        cr_assert_eq(wenda_search_run(store, &q, &r, msg, sizeof(msg)),
                     WENDA_OK, "%s", msg);
        cr_assert_eq(r.n, 1, "%s finds nothing", q.q);
        cr_assert_str_eq(r.hits[0].slug, content.topics[i].slug);
        wenda_search_result_cleanup(&r);
    }
}

/* The integer that a PRAGMA query answers on the store's connection. */
static int
store_pragma(const char *sql)
{
    sqlite3_stmt *s = NULL;
    int v;

    cr_assert_eq(sqlite3_prepare_v2(wenda_store_db(store), sql, -1, &s, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
}

Test(store, an_import_gives_the_connection_its_settings_back)
{
    /* An import writes through a rollback journal and leaves free pages
     * unzeroed (secure_delete FAST), for itself only. */
    char msg[512];
    int want;

    cr_assert_eq(wenda_store_open(db_path, WENDA_STORE_CREATE, &store, msg,
                                  sizeof(msg)),
                 WENDA_OK, "%s", msg);
    for (want = 0; want <= 1; want++) {
        cr_assert_eq(sqlite3_exec(wenda_store_db(store),
                                  want ? "PRAGMA secure_delete = ON"
                                       : "PRAGMA secure_delete = OFF",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
        cr_assert_eq(wenda_store_import(store, &content), WENDA_OK);
        cr_assert_eq(store_pragma("PRAGMA secure_delete"), want);
        give_up_an_import();
        cr_assert_eq(store_pragma("PRAGMA secure_delete"), want);
    }
    query_text(db_path, "PRAGMA journal_mode", msg, sizeof(msg));
    cr_assert_str_eq(msg, "wal");
}

Test(store, gets_the_same_topic_by_id_and_by_slug)
{
    int64_t id;

    open_imported();
    for (id = 1; id <= 64; id++) {
        struct wenda_topic a, b;

        cr_assert_eq(wenda_store_topic_get(store, id, NULL, &a), WENDA_OK);
        cr_assert_eq(wenda_store_topic_get(store, 0, a.slug, &b), WENDA_OK,
                     "slug %s not found", a.slug);
        cr_assert_eq(a.id, b.id);
        testutil_assert_topic_eq(&a, &b, 1);
        cr_assert_eq(a.version, b.version);
        cr_assert_str_eq(a.updated_at, b.updated_at);
        wenda_topic_cleanup(&a);
        wenda_topic_cleanup(&b);
    }
}

Test(store, answers_not_found_for_an_unknown_id_or_slug)
{
    static const int64_t ids[] = {0, -1, 65, 1000000};
    static const char *const slugs[] = {"no-such-topic", "", "Deadlock",
                                        "deadlock ", "%"};
    struct wenda_topic t;
    size_t i;

    open_imported();
    for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        cr_assert_eq(wenda_store_topic_get(store, ids[i], NULL, &t),
                     WENDA_ERR_NOT_FOUND, "id %lld", (long long)ids[i]);
        cr_assert_null(t.slug);
    }
    for (i = 0; i < sizeof(slugs) / sizeof(slugs[0]); i++)
        cr_assert_eq(wenda_store_topic_get(store, 0, slugs[i], &t),
                     WENDA_ERR_NOT_FOUND, "slug '%s'", slugs[i]);
}

Test(store, pages_through_every_topic_once_seven_at_a_time)
{
    struct wenda_topic_filter f = {NULL, NULL, 0, 7, 0};
    int seen[65] = {0};
    int pages = 0, id;

    open_imported();
    for (;;) {
        struct wenda_topic *items;
        size_t n, i;
        int more;

        cr_assert_eq(wenda_store_topic_list(store, &f, &items, &n, &more),
                     WENDA_OK);
        pages++;
        cr_assert_lt(pages, 20, "paging does not end");
        for (i = 0; i < n; i++) {
            cr_assert(items[i].id > f.after_id);
            cr_assert_null(items[i].answer);
            cr_assert_not_null(items[i].title);
            seen[items[i].id]++;
        }
        if (pages < 10) {
            cr_assert_eq(n, 7, "page %d has %zu topics", pages, n);
            cr_assert_eq(more, 1, "page %d of 10 says nothing follows",
                         pages);
        } else {
            cr_assert_eq(n, 1, "the last page has %zu topics", n);
            cr_assert_eq(more, 0, "the last page says more follow");
        }
        if (n > 0)
            f.after_id = items[n - 1].id;
        wenda_topics_free(items, n);
        if (!more)
            break;
    }
    cr_assert_eq(pages, 10);
    for (id = 1; id <= 64; id++)
        cr_assert_eq(seen[id], 1, "topic %d seen %d times", id, seen[id]);
}

Test(store, says_nothing_follows_when_a_page_ends_exactly_at_the_end)
{
    struct wenda_topic_filter f = {NULL, NULL, 56, 8, 0};
    struct wenda_topic *items;
    size_t n;
    int more;

    open_imported();
    cr_assert_eq(wenda_store_topic_list(store, &f, &items, &n, &more),
                 WENDA_OK);
    cr_assert_eq(n, 8);
    cr_assert_eq(more, 0);
    cr_assert_eq(items[7].id, 64);
    wenda_topics_free(items, n);
    f.after_id = 64;
    cr_assert_eq(wenda_store_topic_list(store, &f, &items, &n, &more),
                 WENDA_OK);
    cr_assert_eq(n, 0);
    cr_assert_eq(more, 0);
    wenda_topics_free(items, n);
}

Test(store, filters_by_category_with_counts_that_agree)
{
    struct wenda_category *cats;
    size_t ncats, i;
    int64_t sum = 0;

    open_imported();
    cr_assert_eq(wenda_store_categories(store, &cats, &ncats), WENDA_OK);
    cr_assert_eq(ncats, content.ncats);
    for (i = 0; i < ncats; i++) {
        int seen[65] = {0};
        size_t listed, paged;
        int seen7[65] = {0};

        cr_assert_str_eq(cats[i].slug, content.cats[i].slug,
                         "categories are not in their file order");
        cr_assert_str_eq(cats[i].name, content.cats[i].name);
        cr_assert_str_eq(cats[i].name_en, content.cats[i].name_en);
        listed = list_all(cats[i].slug, NULL, 100, seen);
        paged = list_all(cats[i].slug, NULL, 3, seen7);
        cr_assert_eq((int64_t)listed, cats[i].count,
                     "%s: %zu listed, count says %lld", cats[i].slug, listed,
                     (long long)cats[i].count);
        cr_assert_eq(paged, listed, "%s: paging by 3 gives %zu, not %zu",
                     cats[i].slug, paged, listed);
        cr_assert_eq(listed, count_in_content(cats[i].slug, NULL),
                     "%s: %zu listed", cats[i].slug, listed);
        cr_assert(wenda_store_category_exists(store, cats[i].slug));
        sum += cats[i].count;
    }
    cr_assert_eq(sum, 64);
    cr_assert_eq(wenda_store_category_exists(store, "no-such-category"), 0);
    wenda_categories_free(cats, ncats);
}

Test(store, lists_nothing_for_an_unknown_category_or_tag)
{
    int seen[65] = {0};

    open_imported();
    cr_assert_eq(list_all("no-such-category", NULL, 10, seen), 0);
    cr_assert_eq(list_all(NULL, "no-such-tag", 10, seen), 0);
}

Test(store, filters_by_tag_with_counts_that_agree)
{
    struct wenda_tag_count *tags;
    size_t ntags, i;

    open_imported();
    cr_assert_eq(wenda_store_tags(store, &tags, &ntags), WENDA_OK);
    cr_assert_gt(ntags, 0);
    for (i = 0; i < ntags; i++) {
        int seen[65] = {0}, seen2[65] = {0};
        size_t listed = list_all(NULL, tags[i].tag, 100, seen);
        size_t paged = list_all(NULL, tags[i].tag, 2, seen2);

        cr_assert_eq((int64_t)listed, tags[i].count,
                     "tag %s: %zu listed, count says %lld", tags[i].tag,
                     listed, (long long)tags[i].count);
        cr_assert_eq(paged, listed, "tag %s: paging by 2 gives %zu, not %zu",
                     tags[i].tag, paged, listed);
        cr_assert_eq(listed, count_in_content(NULL, tags[i].tag),
                     "tag %s", tags[i].tag);
    }
    wenda_tags_free(tags, ntags);
}

Test(store, filters_by_category_and_tag_together)
{
    struct wenda_tag_count *tags;
    size_t ntags, i, k, nonempty = 0;

    open_imported();
    cr_assert_eq(wenda_store_tags(store, &tags, &ntags), WENDA_OK);
    for (k = 0; k < content.ncats; k++) {
        for (i = 0; i < ntags; i++) {
            const char *cat = content.cats[k].slug;
            int seen[65] = {0}, seen2[65] = {0};
            size_t want = count_in_content(cat, tags[i].tag);
            size_t listed = list_all(cat, tags[i].tag, 100, seen);

            cr_assert_eq(listed, want, "%s + %s: %zu listed, not %zu", cat,
                         tags[i].tag, listed, want);
            cr_assert_eq(list_all(cat, tags[i].tag, 1, seen2), want,
                         "%s + %s: paging by 1 differs", cat, tags[i].tag);
            nonempty += want > 0;
        }
    }
    cr_assert_gt(nonempty, 0);
    wenda_tags_free(tags, ntags);
}

Test(store, orders_tags_by_count_then_name_and_counts_every_tag)
{
    struct wenda_tag_count *tags;
    size_t ntags, i, k, sum_tags = 0, distinct = 0;
    int64_t sum = 0;

    open_imported();
    cr_assert_eq(wenda_store_tags(store, &tags, &ntags), WENDA_OK);
    for (i = 0; i < ntags; i++) {
        sum += tags[i].count;
        if (i == 0)
            continue;
        cr_assert(tags[i - 1].count > tags[i].count ||
                      (tags[i - 1].count == tags[i].count &&
                       strcmp(tags[i - 1].tag, tags[i].tag) < 0),
                  "%s (%lld) comes before %s (%lld)", tags[i - 1].tag,
                  (long long)tags[i - 1].count, tags[i].tag,
                  (long long)tags[i].count);
    }
    /* Every tag of content/ appears once. */
    for (i = 0; i < content.ntopics; i++) {
        const struct wenda_topic *t = &content.topics[i];

        sum_tags += t->tags.n;
        for (k = 0; k < t->tags.n; k++) {
            size_t j;
            int first = 1;

            for (j = 0; j < i && first; j++)
                if (strv_has(&content.topics[j].tags, t->tags.v[k]))
                    first = 0;
            distinct += first;
        }
    }
    cr_assert_eq(ntags, distinct, "%zu tags listed, content/ has %zu", ntags,
                 distinct);
    cr_assert_eq(sum, (int64_t)sum_tags);
    wenda_tags_free(tags, ntags);
}

/*
 * The counts the store serves, "slug:n;..." for categories (in their
 * order) then "|tag:n;..." for tags (most used first), into out.
 */
static void
served_counts(char *out, size_t cap)
{
    struct wenda_category *cats;
    struct wenda_tag_count *tags;
    size_t ncats, ntags, i, len = 0;
    int64_t total = -1;

    cr_assert_eq(wenda_store_categories(store, &cats, &ncats), WENDA_OK);
    cr_assert_eq(wenda_store_tags(store, &tags, &ntags), WENDA_OK);
    cr_assert_eq(wenda_store_topic_count(store, &total), WENDA_OK);
    len += (size_t)snprintf(out + len, cap - len, "%lld|",
                            (long long)total);
    for (i = 0; i < ncats && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s:%lld",
                                i ? ";" : "", cats[i].slug,
                                (long long)cats[i].count);
    for (i = 0; i < ntags && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s:%lld",
                                i ? ";" : "|", tags[i].tag,
                                (long long)tags[i].count);
    cr_assert_lt(len, cap, "counts longer than %zu bytes", cap);
    wenda_categories_free(cats, ncats);
    wenda_tags_free(tags, ntags);
}

/* The same counts, counted from the rows with plain sqlite3. */
static void
counted_counts(char *out, size_t cap)
{
    char total[32], cats[8192], tags[16384];

    query_text(db_path, "SELECT count(*) FROM topics", total,
               sizeof(total));
    query_text(db_path,
               "SELECT coalesce(group_concat(slug || ':' || n, ';'), '') "
               "FROM (SELECT c.slug, (SELECT count(*) FROM topics t WHERE "
               "t.category = c.slug) AS n FROM categories c "
               "ORDER BY c.ord, c.slug)",
               cats, sizeof(cats));
    query_text(db_path,
               "SELECT coalesce(group_concat(tag || ':' || n, ';'), '') "
               "FROM (SELECT tag, count(*) AS n FROM topic_tags "
               "GROUP BY tag ORDER BY n DESC, tag)",
               tags, sizeof(tags));
    (void)snprintf(out, cap, "%s|%s%s%s", total, cats, tags[0] ? "|" : "",
                   tags);
}

static void
assert_counts_agree(const char *after)
{
    char served[32768], counted[32768];

    served_counts(served, sizeof(served));
    counted_counts(counted, sizeof(counted));
    cr_assert_str_eq(served, counted, "after %s", after);
}

/* Runs sql with plain sqlite3 (foreign keys on) on the database file. */
static void
exec_sql(const char *sql)
{
    sqlite3 *db = NULL;

    cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL,
                              NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s: %s",
                 sql, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_close(db), SQLITE_OK);
}

Test(store, keeps_category_and_tag_counts_through_every_kind_of_write)
{
    char slug[] = "counted-topic", tag_new[] = "brand-new", tag_old[] = "kept";
    char *tagv[2] = {tag_new, tag_old};
    char msg[512], sql[256];
    struct wenda_topic t, cur;
    char *other = content.cats[0].slug;
    int64_t id = 0, version;

    open_imported();
    assert_counts_agree("an import");
    if (strcmp(other, content.topics[0].category) == 0)
        other = content.cats[1].slug;

    /* A new topic, in another category than the one it copies, with a
     * tag no other topic has. */
    t = content.topics[0];
    t.slug = slug;
    t.category = other;
    t.tags.v = tagv;
    t.tags.n = 2;
    t.order = 0;
    cr_assert_eq(wenda_store_write_begin(store), WENDA_OK);
    cr_assert_eq(wenda_store_topic_create(store, &t, "test", &id, msg,
                                          sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_store_write_commit(store), WENDA_OK);
    assert_counts_agree("a create");

    /* Moved to the category it copies, with one tag fewer. */
    cr_assert_eq(wenda_store_topic_get(store, id, NULL, &cur), WENDA_OK);
    version = cur.version;
    wenda_topic_cleanup(&cur);
    t.category = content.topics[0].category;
    t.tags.v = &tagv[1];
    t.tags.n = 1;
    cr_assert_eq(wenda_store_write_begin(store), WENDA_OK);
    cr_assert_eq(wenda_store_topic_replace(store, id, &t, version, "test",
                                           msg, sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_store_write_commit(store), WENDA_OK);
    assert_counts_agree("a replace that moves the topic");
    cr_assert_eq(query_int(db_path, "SELECT count(*) FROM tag_counts WHERE "
                                    "tag = 'brand-new'"),
                 0, "a tag no topic has any more is still counted");

    /* Deleted, and a whole category deleted with plain SQL. */
    cr_assert_eq(wenda_store_write_begin(store), WENDA_OK);
    cr_assert_eq(wenda_store_topic_delete(store, id, version + 1, "test"),
                 WENDA_OK);
    cr_assert_eq(wenda_store_write_commit(store), WENDA_OK);
    assert_counts_agree("a delete");
    (void)snprintf(sql, sizeof(sql),
                   "DELETE FROM topics WHERE category = '%s'", other);
    exec_sql(sql);
    assert_counts_agree("deleting a category's topics (and their tags)");

    /* An import given up halfway changes nothing; a whole one counts. */
    give_up_an_import();
    assert_counts_agree("an import given up");
    cr_assert_eq(wenda_store_import(store, &content), WENDA_OK);
    assert_counts_agree("a second import");
}

/* ---- cost that does not grow with the knowledge base --------------------- */

/*
 * The rows SQLite stepped over in full-table scans, by every statement the
 * store's connection ran while counting (top-level or not: FTS5's own and
 * the actions of foreign keys run inside those).
 */
static long long scan_steps;
/*
 * And how many times FTS5 wrote the structure of the full-text index
 * (its row 10 in topics_fts_data): once for each segment it writes out of
 * the words it holds in memory, and once for each merge of segments.
 */
static long long index_flushes;

static int
count_scan_steps(unsigned int type, void *ctx, void *p, void *x)
{
    static const char structure[] =
        "REPLACE INTO 'main'.'topics_fts_data'(id, block) VALUES(10,";
    const char *sql;

    (void)ctx;
    (void)x;
    if (type != SQLITE_TRACE_PROFILE)
        return 0;
    /* Reset as read: a statement the store keeps prepared counts on. */
    scan_steps += sqlite3_stmt_status(
        (sqlite3_stmt *)p, SQLITE_STMTSTATUS_FULLSCAN_STEP, 1);
    sql = sqlite3_sql((sqlite3_stmt *)p);
    if (sql != NULL && strncmp(sql, structure, 37) == 0) {
        char *bound = sqlite3_expanded_sql((sqlite3_stmt *)p);

        if (bound != NULL &&
            strncmp(bound, structure, sizeof(structure) - 1) == 0)
            index_flushes++;
        sqlite3_free(bound);
    }
    return 0;
}

/* Starts counting scan_steps and index_flushes from 0 (on), or stops. */
static void
count_scans(int on)
{
    if (on) {
        scan_steps = 0;
        index_flushes = 0;
    }
    cr_assert_eq(sqlite3_trace_v2(wenda_store_db(store),
                                  on ? SQLITE_TRACE_PROFILE : 0,
                                  on ? count_scan_steps : NULL, NULL),
                 SQLITE_OK);
}

Test(store, indexes_every_foreign_key_by_its_referring_column)
{
    /* Deleting or replacing a row makes SQLite look up the rows that refer
     * to it; without an index that leads with the referring column, it
     * reads the whole referring table each time. */
    static const char keys[] =
        "FROM sqlite_schema m, pragma_foreign_key_list(m.name) f "
        "WHERE m.type = 'table'";
    char sql[1024], unindexed[512];

    open_imported();
    (void)snprintf(sql, sizeof(sql), "SELECT count(*) %s", keys);
    cr_assert_geq(query_int(db_path, sql), 4, "the schema lost its keys");
    (void)snprintf(sql, sizeof(sql),
                   "SELECT coalesce(group_concat(m.name || '.' || f.\"from\","
                   " ' '), '') %s AND NOT EXISTS (SELECT 1 FROM "
                   "pragma_index_list(m.name) l, pragma_index_info(l.name) i "
                   "WHERE l.partial = 0 AND i.seqno = 0 AND "
                   "i.name = f.\"from\")",
                   keys);
    query_text(db_path, sql, unindexed, sizeof(unindexed));
    cr_assert_str_empty(unindexed, "no index leads with: %s", unindexed);
}

Test(store, a_second_import_reads_the_old_topics_once_not_once_each)
{
    long long rows;

    open_imported();
    rows = query_int(db_path, "SELECT (SELECT count(*) FROM topics) + "
                              "(SELECT count(*) FROM topic_tags) + "
                              "(SELECT count(*) FROM title_keys)");
    count_scans(1);
    cr_assert_eq(wenda_store_import(store, &content), WENDA_OK);
    count_scans(0);
    /* Emptying each table reads it once; the counts at the end read the
     * new topics and tags once more.  Each old topic deleted reading the
     * title keys again was 64 times that. */
    cr_assert_leq(scan_steps, 4 * rows,
                  "%lld rows stepped in scans for %lld rows", scan_steps,
                  rows);
}

Test(store, a_write_to_one_topic_reads_no_other_topics_rows)
{
    char msg[512];
    struct wenda_topic t = content.topics[5];
    long long keys;

    open_imported();
    keys = query_int(db_path, "SELECT count(*) FROM title_keys");
    cr_assert_gt(keys, 64);
    count_scans(1);
    cr_assert_eq(wenda_store_write_begin(store), WENDA_OK);
    cr_assert_eq(wenda_store_topic_replace(store, 6, &t, 1, "test", msg,
                                           sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_store_write_commit(store), WENDA_OK);
    count_scans(0);
    cr_assert_lt(scan_steps, keys / 4, "a replace stepped %lld rows in scans "
                 "(%lld title keys)", scan_steps, keys);

    count_scans(1);
    cr_assert_eq(wenda_store_write_begin(store), WENDA_OK);
    cr_assert_eq(wenda_store_topic_delete(store, 6, 2, "test"), WENDA_OK);
    cr_assert_eq(wenda_store_write_commit(store), WENDA_OK);
    count_scans(0);
    cr_assert_lt(scan_steps, keys / 4, "a delete stepped %lld rows in scans "
                 "(%lld title keys)", scan_steps, keys);
}

/*
 * Opens db_path into store and imports the topics of content/ copies
 * times over, the slugs of the second copy on ending in "-2", and so on:
 * a store many times the size of what a test then writes, so that a cost
 * that grows with the store stands out from one that does not.
 */
static void
open_imported_copies(size_t copies)
{
    struct wenda_content big = content;
    size_t n = copies * content.ntopics, i;
    char **slugs = calloc(n, sizeof(*slugs));
    char msg[512];

    big.topics = calloc(n, sizeof(*big.topics));
    big.ntopics = n;
    cr_assert(slugs != NULL && big.topics != NULL);
    for (i = 0; i < n; i++) {
        size_t copy = i / content.ntopics;

        big.topics[i] = content.topics[i % content.ntopics];
        if (copy == 0)
            continue;
        slugs[i] = malloc(WENDA_CONTENT_MAX_SLUG + 1);
        cr_assert_not_null(slugs[i]);
        (void)snprintf(slugs[i], WENDA_CONTENT_MAX_SLUG + 1, "%.40s-%zu",
                       big.topics[i].slug, copy + 1);
        big.topics[i].slug = slugs[i];
    }
    cr_assert_eq(wenda_store_open(db_path, WENDA_STORE_CREATE, &store, msg,
                                  sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_store_import(store, &big), WENDA_OK);
    for (i = 0; i < n; i++)
        free(slugs[i]);
    free(slugs);
    free(big.topics);
}

Test(store, a_create_without_an_order_reads_no_other_topics_rows)
{
    struct wenda_topic t = content.topics[5];
    char msg[512], slug[] = "written-without-an-order";
    int64_t id = 0;
    long topics, last;

    open_imported_copies(8);
    topics = query_int(db_path, "SELECT count(*) FROM topics");
    last = query_int(db_path, "SELECT max(ord) FROM topics");
    t.slug = slug;
    t.order = 0;
    count_scans(1);
    cr_assert_eq(wenda_store_write_begin(store), WENDA_OK);
    cr_assert_eq(wenda_store_topic_create(store, &t, "test", &id, msg,
                                          sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_store_write_commit(store), WENDA_OK);
    count_scans(0);
    /* max(ord) over the whole table read every topic: 511 steps. */
    cr_assert_lt(scan_steps, topics / 8, "a create stepped %lld rows in "
                 "scans (%ld topics)", scan_steps, topics);
    /* It still goes last. */
    cr_assert_eq(query_int(db_path, "SELECT ord FROM topics WHERE slug = "
                                    "'written-without-an-order'"),
                 last + 1);
}

/*
 * Writes topics[0..n) as POST /v1/import does (writer.c, apply_import()),
 * in one transaction and one savepoint: each created, or replaced when its
 * slug is there.
 */
static void
import_like_the_api(const struct wenda_topic *topics, size_t n)
{
    char msg[512];
    size_t failed = 0;
    enum wenda_err rc;

    cr_assert_eq(wenda_store_write_begin(store), WENDA_OK);
    cr_assert_eq(wenda_store_savepoint(store), WENDA_OK);
    rc = wenda_store_topics_put(store, topics, n, "test", &failed, NULL,
                                msg, sizeof(msg));
    cr_assert_eq(rc, WENDA_OK, "topic %zu: %s %s", failed,
                 wenda_err_name(rc), msg);
    cr_assert_eq(wenda_store_release(store), WENDA_OK);
    cr_assert_eq(wenda_store_write_commit(store), WENDA_OK);
}

Test(store, an_import_over_the_api_writes_the_full_text_index_at_its_end)
{
    static char answer[] = "导入的回答 zebracorn";
    size_t n = content.ntopics, i;
    struct wenda_topic *topics = calloc(n, sizeof(*topics));
    char (*slugs)[WENDA_CONTENT_MAX_SLUG + 1] = calloc(n, sizeof(*slugs));
    struct wenda_search_query q = {"zebracorn", NULL, NULL, 50, 0};
    struct wenda_search_result r;
    char msg[256];

    cr_assert(topics != NULL && slugs != NULL);
    open_imported_copies(2);
    for (i = 0; i < n; i++) {
        topics[i] = content.topics[i];
        (void)snprintf(slugs[i], sizeof(slugs[i]), "%.50s-new",
                       topics[i].slug);
        topics[i].slug = slugs[i];
    }
    /*
     * FTS5 writes the words it holds out as a new segment whenever a
     * statement opens a savepoint, as every write of a topic's row does:
     * a segment for each topic (64 times for these 64), and the merges of
     * them.  Written together at the end, the words of an import go out at
     * once.
     */
    count_scans(1);
    import_like_the_api(topics, n);
    count_scans(0);
    cr_assert_lt(index_flushes, 4, "creating %zu topics wrote the index "
                 "out %lld times", n, index_flushes);
    /* Replaced, each topic's old words go and its new ones come. */
    for (i = 0; i < n; i++)
        topics[i].answer = answer;
    count_scans(1);
    import_like_the_api(topics, n);
    count_scans(0);
    cr_assert_lt(index_flushes, 4, "replacing %zu topics wrote the index "
                 "out %lld times", n, index_flushes);
    cr_assert_eq(sqlite3_exec(wenda_store_db(store),
                              "INSERT INTO topics_fts(topics_fts) "
                              "VALUES ('integrity-check')",
                              NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(wenda_store_db(store)));
    cr_assert_eq(wenda_search_run(store, &q, &r, msg, sizeof(msg)), WENDA_OK,
                 "%s", msg);
    cr_assert_eq(r.total, (int64_t)n);
    for (i = 0; i < r.n; i++)
        cr_assert(strstr(r.hits[i].slug, "-new") != NULL, "%s",
                  r.hits[i].slug);
    wenda_search_result_cleanup(&r);
    free(topics);
    free(slugs);
}

/* Writes the slugs of the topics a search for q finds to out, as "slug
 * slug ...", and returns how many there are. */
static size_t
search_slugs(const char *q, char *out, size_t cap)
{
    struct wenda_search_query query = {q, NULL, NULL, 50, 0};
    struct wenda_search_result r;
    char msg[256];
    size_t i, len = 0;

    out[0] = '\0';
    cr_assert_eq(wenda_search_run(store, &query, &r, msg, sizeof(msg)),
                 WENDA_OK, "%s", msg);
    for (i = 0; i < r.n && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? " " : "",
                                r.hits[i].slug);
    i = r.n;
    wenda_search_result_cleanup(&r);
    return i;
}

/* The authorizer's calls: SQLite makes them while it compiles a
 * statement, a few for each table and column it names, and never as the
 * statement runs. */
static long long compile_checks;

static int
count_compile_checks(void *ctx, int action, const char *a, const char *b,
                     const char *c, const char *d)
{
    (void)ctx;
    (void)action;
    (void)a;
    (void)b;
    (void)c;
    (void)d;
    compile_checks++;
    return SQLITE_OK;
}

Test(store, an_import_over_the_api_compiles_its_statements_once_not_for_each_topic)
{
    size_t n = content.ntopics, i;
    struct wenda_topic *topics = calloc(n, sizeof(*topics));
    char (*slugs)[WENDA_CONTENT_MAX_SLUG + 1] = calloc(n, sizeof(*slugs));

    cr_assert(topics != NULL && slugs != NULL);
    open_imported();
    for (i = 0; i < n; i++) {
        topics[i] = content.topics[i];
        (void)snprintf(slugs[i], sizeof(slugs[i]), "%.50s-new",
                       topics[i].slug);
        topics[i].slug = slugs[i];
        topics[i].order = 0;
    }
    /* Setting an authorizer has every statement compiled again once: the
     * first import pays for that, the next ones are counted. */
    cr_assert_eq(sqlite3_set_authorizer(wenda_store_db(store),
                                        count_compile_checks, NULL),
                 SQLITE_OK);
    import_like_the_api(content.topics, n);
    compile_checks = 0;
    import_like_the_api(topics, n);
    cr_assert_lt(compile_checks, (long long)n, "creating %zu topics made "
                 "%lld checks in compiling statements", n, compile_checks);
    compile_checks = 0;
    import_like_the_api(topics, n);
    cr_assert_lt(compile_checks, (long long)n, "replacing %zu topics made "
                 "%lld checks in compiling statements", n, compile_checks);
    cr_assert_eq(sqlite3_set_authorizer(wenda_store_db(store), NULL, NULL),
                 SQLITE_OK);
    free(topics);
    free(slugs);
}

Test(store, an_import_over_the_api_reads_no_other_topics_rows)
{
    size_t n = content.ntopics, i;
    struct wenda_topic *topics = calloc(n, sizeof(*topics));
    char (*slugs)[WENDA_CONTENT_MAX_SLUG + 1] = calloc(n, sizeof(*slugs));
    long stored;

    cr_assert(topics != NULL && slugs != NULL);
    open_imported_copies(8);
    stored = query_int(db_path, "SELECT count(*) FROM topics");
    /* New topics without an order, and then the same topics again. */
    for (i = 0; i < n; i++) {
        topics[i] = content.topics[i];
        (void)snprintf(slugs[i], sizeof(slugs[i]), "%.50s-new",
                       topics[i].slug);
        topics[i].slug = slugs[i];
        topics[i].order = 0;
    }
    /* Fewer rows stepped in scans than topics written: none of the
     * topics already there is read, whatever their number.  Each create
     * reading the whole table for max(ord) was 34,720. */
    count_scans(1);
    import_like_the_api(topics, n);
    count_scans(0);
    cr_assert_lt(scan_steps, (long long)n, "creating %zu topics stepped "
                 "%lld rows in scans (%ld topics stored)", n, scan_steps,
                 stored);
    cr_assert_eq(query_int(db_path, "SELECT count(*) FROM topics"),
                 stored + (long)n);
    count_scans(1);
    import_like_the_api(topics, n);
    count_scans(0);
    cr_assert_lt(scan_steps, (long long)n, "replacing %zu topics stepped "
                 "%lld rows in scans (%ld topics stored)", n, scan_steps,
                 stored + (long)n);
    free(topics);
    free(slugs);
}

/* ---- random draws at size ------------------------------------------------ */

#define MANY 3000

/*
 * Imports MANY small topics (ids 1..MANY): three in four in the first
 * category, the rest in the second, and then deletes every third, so that
 * the ids have gaps.
 */
static void
open_many_with_gaps(void)
{
    static char slugs[MANY][16];
    static char title[] = "题目", answer[] = "answer";
    struct wenda_content c = content;
    struct wenda_topic *v = calloc(MANY, sizeof(*v));
    char msg[512];
    size_t i;

    cr_assert_not_null(v);
    cr_assert_eq(wenda_store_open(db_path, WENDA_STORE_CREATE, &store, msg,
                                  sizeof(msg)),
                 WENDA_OK, "%s", msg);
    for (i = 0; i < MANY; i++) {
        v[i] = content.topics[i % content.ntopics];
        (void)snprintf(slugs[i], sizeof(slugs[i]), "t%zu", i + 1);
        v[i].slug = slugs[i];
        v[i].title = title;
        v[i].answer = answer;
        v[i].aliases.n = 0;
        v[i].corrections = NULL;
        v[i].ncorrections = 0;
        v[i].category = content.cats[i % 4 ? 0 : 1].slug;
        v[i].order = (int64_t)i + 1;
    }
    c.topics = v;
    c.ntopics = MANY;
    cr_assert_eq(wenda_store_import(store, &c), WENDA_OK);
    free(v);
    exec_sql("DELETE FROM topics WHERE id % 3 = 0");
}

/* Whether topic id is still there (see open_many_with_gaps()). */
static int
many_has(int64_t id, const char *category)
{
    size_t i = (size_t)id - 1;

    if (id < 1 || id > MANY || id % 3 == 0)
        return 0;
    return category == NULL ||
           strcmp(category, content.cats[i % 4 ? 0 : 1].slug) == 0;
}

Test(store, draws_distinct_topics_of_the_category_the_same_for_a_seed)
{
    const char *cats[] = {NULL, content.cats[0].slug, content.cats[1].slug};
    size_t k, i, j;
    uint64_t seed;

    open_many_with_gaps();
    for (k = 0; k < 3; k++) {
        for (seed = 0; seed < 40; seed++) {
            int64_t a[50], b[50];
            size_t na = 0, nb = 0, same = 0;

            cr_assert_eq(wenda_store_topic_sample(store, cats[k], seed, 50, a,
                                                  &na),
                         WENDA_OK);
            cr_assert_eq(na, 50);
            for (i = 0; i < na; i++) {
                cr_assert(many_has(a[i], cats[k]), "seed %llu drew %lld",
                          (unsigned long long)seed, (long long)a[i]);
                for (j = 0; j < i; j++)
                    cr_assert_neq(a[i], a[j], "seed %llu drew %lld twice",
                                  (unsigned long long)seed, (long long)a[i]);
            }
            cr_assert_eq(wenda_store_topic_sample(store, cats[k], seed, 50, b,
                                                  &nb),
                         WENDA_OK);
            cr_assert_eq(nb, na);
            cr_assert_arr_eq(a, b, na * sizeof(*a), "seed %llu drew another "
                             "set the second time",
                             (unsigned long long)seed);
            cr_assert_eq(wenda_store_topic_sample(store, cats[k], seed + 1000,
                                                  50, b, &nb),
                         WENDA_OK);
            for (i = 0; i < na; i++)
                same += a[i] == b[i];
            cr_assert_lt(same, 10, "seeds %llu and %llu drew alike",
                         (unsigned long long)seed,
                         (unsigned long long)seed + 1000);
        }
    }
}

Test(store, draws_a_topic_after_a_gap_no_more_often_than_any_other)
{
    /*
     * Ids 3k + 1 follow a deleted id, 3k + 2 do not.  A draw that took the
     * first topic at or after a random id would take those twice as often.
     */
    long after_gap = 0, other = 0;
    uint64_t seed;
    int64_t id;

    open_many_with_gaps();
    for (seed = 0; seed < 20000; seed++) {
        cr_assert_eq(wenda_store_topic_random_id(store, NULL, seed, &id),
                     WENDA_OK);
        cr_assert(many_has(id, NULL), "seed %llu drew %lld",
                  (unsigned long long)seed, (long long)id);
        if (id % 3 == 1)
            after_gap++;
        else
            other++;
    }
    cr_assert(after_gap > other * 9 / 10 && after_gap < other * 11 / 10,
              "%ld draws after a gap, %ld others", after_gap, other);
}

Test(store, picks_random_topics_from_the_requested_category)
{
    size_t k;
    uint32_t i;

    open_imported();
    for (k = 0; k < content.ncats; k++) {
        const char *cat = content.cats[k].slug;
        size_t want = count_in_content(cat, NULL);
        int seen[65] = {0};
        size_t distinct = 0;
        int id;

        for (i = 0; i < 256; i++) {
            struct wenda_topic t;
            uint32_t pick = i * 2654435761u;
            enum wenda_err rc = wenda_store_topic_random(store, cat, pick, &t);

            cr_assert_eq(rc, WENDA_OK, "%s: %s", cat, wenda_err_name(rc));
            cr_assert_str_eq(t.category, cat, "pick %u in %s gave %s (%s)",
                             pick, cat, t.slug, t.category);
            cr_assert_not_null(t.answer, "a random topic has no answer");
            seen[t.id]++;
            wenda_topic_cleanup(&t);
        }
        for (id = 1; id <= 64; id++)
            distinct += seen[id] > 0;
        cr_assert_geq(distinct, want < 2 ? want : 2,
                      "%s: 256 picks gave only %zu of %zu topics", cat,
                      distinct, want);
    }
}

Test(store, picks_many_different_topics_for_different_picks)
{
    int seen[65] = {0};
    size_t distinct = 0;
    uint32_t i;
    int id;

    open_imported();
    for (i = 0; i < 256; i++) {
        struct wenda_topic t;

        cr_assert_eq(wenda_store_topic_random(store, NULL, i * 2654435761u,
                                              &t),
                     WENDA_OK);
        cr_assert(t.id >= 1 && t.id <= 64);
        seen[t.id]++;
        wenda_topic_cleanup(&t);
    }
    for (id = 1; id <= 64; id++)
        distinct += seen[id] > 0;
    cr_assert_geq(distinct, 16, "256 picks gave only %zu distinct topics",
                  distinct);
}

Test(store, answers_not_found_for_a_random_topic_of_an_unknown_category)
{
    struct wenda_topic t;

    open_imported();
    cr_assert_eq(wenda_store_topic_random(store, "no-such-category", 7, &t),
                 WENDA_ERR_NOT_FOUND);
    cr_assert_null(t.slug);
}

Test(store, answers_not_found_for_a_random_topic_of_an_empty_store)
{
    char msg[512];
    struct wenda_topic t;

    cr_assert_eq(wenda_store_open(db_path, WENDA_STORE_CREATE, &store, msg,
                                  sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_store_topic_random(store, NULL, 3, &t),
                 WENDA_ERR_NOT_FOUND);
}

/* Asserts that store still holds exactly the topics of content/. */
static void
assert_store_holds_content(void)
{
    int64_t count = -1, id;

    cr_assert_eq(wenda_store_topic_count(store, &count), WENDA_OK);
    cr_assert_eq(count, 64, "the store holds %lld topics", (long long)count);
    for (id = 1; id <= 64; id++) {
        struct wenda_topic t;

        cr_assert_eq(wenda_store_topic_get(store, id, NULL, &t), WENDA_OK);
        testutil_assert_topic_eq(&content.topics[id - 1], &t, 1);
        wenda_topic_cleanup(&t);
    }
}

Test(store, keeps_the_previous_topics_when_an_import_has_a_duplicate_slug)
{
    char *saved;
    enum wenda_err rc;

    open_imported();
    /* Topic 11 takes the slug of topic 4; the rest is fine. */
    saved = content.topics[10].slug;
    content.topics[10].slug = content.topics[3].slug;
    rc = wenda_store_import(store, &content);
    content.topics[10].slug = saved;
    cr_assert_eq(rc, WENDA_ERR_CONFLICT, "duplicate slug import gave %s",
                 wenda_err_name(rc));
    assert_store_holds_content();
    /* The store is still usable after the failed call. */
    cr_assert_eq(wenda_store_import(store, &content), WENDA_OK);
    assert_store_holds_content();
}

Test(store, keeps_the_previous_topics_when_an_import_names_an_unknown_category)
{
    char *saved;
    char bogus[] = "no-such-category";
    struct wenda_content half = content;
    enum wenda_err rc;

    open_imported();
    /* The first half is fine; the last topic fails. */
    half.ntopics = 40;
    saved = half.topics[39].category;
    half.topics[39].category = bogus;
    rc = wenda_store_import(store, &half);
    half.topics[39].category = saved;
    cr_assert_neq(rc, WENDA_OK, "a topic of an unknown category imported");
    assert_store_holds_content();
}

Test(store, a_second_import_removes_what_it_lacks_and_gives_new_ids_after)
{
    struct wenda_content part = content;
    int64_t count = -1;
    struct wenda_topic t;
    size_t i;

    open_imported();
    part.ntopics = 10;
    cr_assert_eq(wenda_store_import(store, &part), WENDA_OK);
    cr_assert_eq(wenda_store_topic_count(store, &count), WENDA_OK);
    cr_assert_eq(count, 10);
    cr_assert_eq(wenda_store_topic_get(store, 0, content.topics[20].slug, &t),
                 WENDA_ERR_NOT_FOUND, "a topic of the first import is left");
    cr_assert_eq(wenda_store_import(store, &content), WENDA_OK);
    /* The ten kept theirs; the others came back under ids never given. */
    for (i = 0; i < content.ntopics; i++) {
        cr_assert_eq(wenda_store_topic_get(store, 0, content.topics[i].slug,
                                           &t),
                     WENDA_OK);
        testutil_assert_topic_eq(&content.topics[i], &t, 1);
        if (i < 10)
            cr_assert_eq(t.id, (int64_t)i + 1);
        else
            cr_assert_eq(t.id, (int64_t)i + 1 + 54, "%s is %lld", t.slug,
                         (long long)t.id);
        wenda_topic_cleanup(&t);
    }
}

Test(store, refuses_to_import_into_a_read_only_store)
{
    char msg[512];
    struct wenda_content part = content;

    open_imported();
    wenda_store_close(store);
    store = NULL;
    cr_assert_eq(wenda_store_open(db_path, WENDA_STORE_READONLY, &store, msg,
                                  sizeof(msg)),
                 WENDA_OK, "%s", msg);
    part.ntopics = 3;
    cr_assert_neq(wenda_store_import(store, &part), WENDA_OK);
    assert_store_holds_content();
}

/* ---- dump ------------------------------------------------------------- */

static int
is_file(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static void
assert_same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *da, *db;

    da = testutil_slurp(a, &la);
    cr_assert_not_null(da, "cannot read %s: %s", a, strerror(errno));
    db = testutil_slurp(b, &lb);
    cr_assert_not_null(db, "cannot read %s: %s", b, strerror(errno));
    cr_assert(la == lb && memcmp(da, db, la) == 0, "%s and %s differ", a, b);
    free(da);
    free(db);
}

/* Counts the regular files below dir (two levels: content's shape). */
static size_t
count_files(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    size_t n = 0;

    cr_assert_not_null(dp, "cannot open %s", dir);
    while ((de = readdir(dp)) != NULL) {
        char path[PATH_CAP];
        struct stat sb;

        if (de->d_name[0] == '.')
            continue;
        testutil_join(path, sizeof(path), dir, de->d_name);
        cr_assert_eq(stat(path, &sb), 0);
        n += S_ISDIR(sb.st_mode) ? count_files(path) : 1;
    }
    (void)closedir(dp);
    return n;
}

Test(store, dumps_content_that_writes_back_to_the_same_bytes)
{
    struct wenda_content dump;
    char out[PATH_CAP];
    size_t i;

    open_imported();
    cr_assert_eq(wenda_store_dump(store, &dump), WENDA_OK);
    cr_assert_eq(wenda_store_dump_lexicon(store, &dump), WENDA_OK);
    cr_assert_str_eq(dump.synonyms, content.synonyms);
    cr_assert_str_eq(dump.dictionary, content.dictionary);
    cr_assert_eq(dump.ncats, content.ncats);
    cr_assert_eq(dump.ntopics, content.ntopics);
    for (i = 0; i < dump.ncats; i++)
        cr_assert_str_eq(dump.cats[i].slug, content.cats[i].slug);
    for (i = 0; i < dump.ntopics; i++)
        testutil_assert_topic_eq(&content.topics[i], &dump.topics[i], 1);
    testutil_join(out, sizeof(out), tmp_dir, "out");
    cr_assert_eq(wenda_content_write(out, &dump), WENDA_OK);
    wenda_content_cleanup(&dump);

    cr_assert_eq(count_files(out), count_files(CONTENT_DIR),
                 "dump wrote %zu files, content/ has %zu", count_files(out),
                 count_files(CONTENT_DIR));
    {
        char a[PATH_CAP], b[PATH_CAP];

        testutil_join(a, sizeof(a), CONTENT_DIR, "categories.yml");
        testutil_join(b, sizeof(b), out, "categories.yml");
        assert_same_file(a, b);
    }
    for (i = 0; i < content.ntopics; i++) {
        const struct wenda_topic *t = &content.topics[i];
        char rel[PATH_CAP], a[PATH_CAP], b[PATH_CAP];

        (void)snprintf(rel, sizeof(rel), "%s/%s.md", t->category, t->slug);
        testutil_join(a, sizeof(a), CONTENT_DIR, rel);
        testutil_join(b, sizeof(b), out, rel);
        cr_assert(is_file(b), "dump did not write %s", rel);
        assert_same_file(a, b);
    }
    for (i = 0; i < 2; i++) {
        const char *rel = i == 0 ? "synonyms.yml" : "dictionary.yml";
        char a[PATH_CAP], b[PATH_CAP];

        testutil_join(a, sizeof(a), CONTENT_DIR, rel);
        testutil_join(b, sizeof(b), out, rel);
        assert_same_file(a, b);
    }
}

Test(store, dumps_an_empty_store_as_empty_content)
{
    struct wenda_content dump;
    char msg[512];

    cr_assert_eq(wenda_store_open(db_path, WENDA_STORE_CREATE, &store, msg,
                                  sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_store_dump(store, &dump), WENDA_OK);
    cr_assert_eq(wenda_store_dump_lexicon(store, &dump), WENDA_OK);
    cr_assert_eq(dump.ntopics, 0);
    cr_assert_eq(dump.ncats, 0);
    cr_assert_null(dump.synonyms);
    cr_assert_null(dump.dictionary);
    wenda_content_cleanup(&dump);
}

/* Asserts that lexicon document name is want at version. */
static void
assert_lexicon(const char *name, const char *want, int64_t version)
{
    int64_t v = -1;
    char *doc = NULL;

    cr_assert_eq(wenda_store_lexicon_get(store, name, &doc, &v), WENDA_OK);
    cr_expect_str_eq(doc, want, "%s", name);
    cr_expect_eq(v, version, "%s: version %lld, not %lld", name,
                 (long long)v, (long long)version);
    free(doc);
}

Test(store, imports_the_lexicon_and_replaces_only_what_changed)
{
    struct wenda_content bare = content;   /* the same topics, borrowed */
    char n[32];

    open_imported();
    assert_lexicon("synonyms", content.synonyms, 1);
    assert_lexicon("dictionary", content.dictionary, 1);
    /* The same documents again keep their versions. */
    cr_assert_eq(wenda_store_import(store, &content), WENDA_OK);
    assert_lexicon("synonyms", content.synonyms, 1);
    /* A content set without synonyms empties them. */
    bare.synonyms = NULL;
    cr_assert_eq(wenda_store_import(store, &bare), WENDA_OK);
    assert_lexicon("synonyms", "{}", 2);
    assert_lexicon("dictionary", content.dictionary, 1);
    query_text(db_path, "SELECT count(*) FROM audit WHERE who = 'import' "
               "AND target LIKE 'lexicon/%'",
               n, sizeof(n));
    cr_expect_str_eq(n, "3");
}

Test(store, writes_a_topic_only_at_the_version_the_caller_expects)
{
    char msg[512];
    struct wenda_topic t = content.topics[5];
    char *doc = NULL;
    size_t len = 0;
    int64_t version = 0;

    open_imported();
    cr_assert_eq(wenda_store_doc_version(store, 6, &doc, &len, &version),
                 WENDA_OK);
    free(doc);
    cr_assert_eq(version, 1);
    cr_assert_eq(wenda_store_write_begin(store), WENDA_OK);
    cr_assert_eq(wenda_store_topic_replace(store, 6, &t, 2, "test", msg,
                                           sizeof(msg)),
                 WENDA_ERR_PRECONDITION, "a replace expecting version 2 of "
                 "a topic at version 1 was not refused");
    cr_assert_eq(wenda_store_topic_delete(store, 6, 7, "test"),
                 WENDA_ERR_PRECONDITION);
    cr_assert_eq(wenda_store_topic_replace(store, 6, &t,
                                           WENDA_STORE_ANY_VERSION, "test",
                                           msg, sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_store_topic_delete(store, 6, 2, "test"), WENDA_OK);
    cr_assert_eq(wenda_store_topic_delete(store, 6, WENDA_STORE_ANY_VERSION,
                                          "test"),
                 WENDA_ERR_NOT_FOUND);
    cr_assert_eq(wenda_store_write_commit(store), WENDA_OK);
}

Test(store, an_import_over_the_api_indexes_what_it_changes_and_keeps_the_rest)
{
    /* A new slug, a topic changed twice over two imports, and one left as
     * it was: each is found by its last answer only. */
    static char first[] = "第一个 quokkafirst", last[] = "最后 wombatlast";
    static char fresh[] = "api-new";
    struct wenda_topic topics[3];
    char got[512];

    open_imported();
    topics[0] = content.topics[0];
    topics[0].slug = fresh;
    topics[0].answer = first;
    topics[1] = content.topics[1];
    topics[1].answer = last;
    topics[2] = content.topics[2];
    import_like_the_api(topics, 3);
    topics[1].answer = first;
    import_like_the_api(topics, 3);
    cr_assert_eq(sqlite3_exec(wenda_store_db(store),
                              "INSERT INTO topics_fts(topics_fts) "
                              "VALUES ('integrity-check')",
                              NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(wenda_store_db(store)));
    cr_assert_eq(search_slugs("quokkafirst", got, sizeof(got)), 2,
                 "quokkafirst finds: %s", got);
    cr_assert_not_null(strstr(got, fresh), "%s", got);
    cr_assert_not_null(strstr(got, content.topics[1].slug), "%s", got);
    cr_assert_eq(search_slugs("wombatlast", got, sizeof(got)), 0,
                 "wombatlast finds: %s", got);
    cr_assert_gt(search_slugs(content.topics[2].title, got, sizeof(got)), 0);
    cr_assert(strncmp(got, content.topics[2].slug,
                      strlen(content.topics[2].slug)) == 0,
              "%s finds: %s", content.topics[2].title, got);
}
