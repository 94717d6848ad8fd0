/*
 * test_store_import.c -- an import matches topics by slug: a topic the
 * store has keeps its id (and its version when it is the same), a new
 * slug gets an id never given before, a topic the import does not hold
 * goes with a revision, and a dry run writes nothing.  The API's import
 * (wenda_store_topics_put()) refuses a slug given twice.
 *
 * Each test imports the shipped content/ into a fresh database of its
 * own, then writes through the store as the API would, and checks the
 * file with plain sqlite3 where the store should not vouch for itself.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "testutil.h"
#include "wenda/content.h"
#include "wenda/store.h"

#define PATH_CAP 4096

static char tmp_dir[PATH_CAP];
static char db_path[PATH_CAP];
static struct wenda_content content;  /* content/ as loaded */
static struct wenda_store *store;     /* content/ imported */

static void
setup(void)
{
    char msg[512];

    testutil_make_temp_dir(tmp_dir, sizeof(tmp_dir), "store-import");
    testutil_join(db_path, sizeof(db_path), tmp_dir, "wenda.db");
    cr_assert_eq(wenda_content_load("content", &content, NULL, NULL),
                 WENDA_OK, "content/ does not load (run from the repository "
                 "root)");
    cr_assert_eq(wenda_store_open(db_path, WENDA_STORE_CREATE, &store, msg,
                                  sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_store_import(store, &content), WENDA_OK);
}

static void
teardown(void)
{
    wenda_store_close(store);
    store = NULL;
    wenda_content_cleanup(&content);
    testutil_remove_tree(tmp_dir);
}

TestSuite(store_import, .init = setup, .fini = teardown);

/* The integer one-value query sql answers, read from the file itself. */
static long long
file_int(const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    long long v;

    cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK,
                 "%s: %s", sql, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s gave no row", sql);
    v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* Creates, as the API does, a copy of the first topic under slug. */
static int64_t
api_create(const char *slug, char *answer)
{
    struct wenda_topic t = content.topics[0];
    char msg[256];
    int64_t id = 0;

    t.slug = (char *)(uintptr_t)slug;
    t.answer = answer;
    cr_assert_eq(wenda_store_write_begin(store), WENDA_OK);
    cr_assert_eq(wenda_store_topic_create(store, &t, "editor", &id, msg,
                                          sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_store_write_commit(store), WENDA_OK);
    return id;
}

/* content/ with one more topic: a copy of the first under slug. */
static struct wenda_content
content_plus(const char *slug, char *answer, struct wenda_topic **topics)
{
    struct wenda_content c = content;

    *topics = calloc(content.ntopics + 1, sizeof(**topics));
    cr_assert_not_null(*topics);
    memcpy(*topics, content.topics, content.ntopics * sizeof(**topics));
    (*topics)[content.ntopics] = content.topics[0];
    (*topics)[content.ntopics].slug = (char *)(uintptr_t)slug;
    (*topics)[content.ntopics].answer = answer;
    c.topics = *topics;
    c.ntopics = content.ntopics + 1;
    return c;
}

static long long
revisions_of(int64_t id, const char *action)
{
    char sql[160];

    (void)snprintf(sql, sizeof(sql),
                   "SELECT count(*) FROM revisions WHERE topic_id = %lld "
                   "AND action = '%s'",
                   (long long)id, action);
    return file_int(sql);
}

Test(store_import, keeps_the_id_and_the_revisions_of_a_topic_of_a_slug_it_had)
{
    static char api_answer[] = "made over the API", new_answer[] = "changed";
    struct wenda_import_counts k;
    struct wenda_topic *topics, t;
    struct wenda_content c;
    int64_t id = api_create("api-made", api_answer);

    cr_assert_gt(id, (int64_t)content.ntopics);
    c = content_plus("api-made", new_answer, &topics);
    cr_assert_eq(wenda_store_import_with(store, &c, NULL, &k), WENDA_OK);
    cr_assert(k.added == 0 && k.changed == 1 &&
                  k.unchanged == content.ntopics && k.removed == 0,
              "%zu added, %zu changed, %zu unchanged, %zu removed", k.added,
              k.changed, k.unchanged, k.removed);
    cr_assert_eq(wenda_store_topic_get(store, 0, "api-made", &t), WENDA_OK);
    cr_assert_eq(t.id, id, "api-made moved from id %lld to %lld",
                 (long long)id, (long long)t.id);
    cr_assert_eq(t.version, 2);
    cr_assert_str_eq(t.answer, new_answer);
    wenda_topic_cleanup(&t);
    cr_assert_eq(revisions_of(id, "create"), 1);
    cr_assert_eq(revisions_of(id, "update"), 1);
    cr_assert_eq(file_int("SELECT count(*) FROM revisions WHERE who = "
                          "'import' AND action = 'update'"),
                 1, "an unchanged topic has a revision");
    free(topics);
}

Test(store_import, leaves_a_topic_it_does_not_change_at_its_version_and_time)
{
    struct wenda_import_counts k;
    char before[64], after[64];
    struct wenda_topic t;

    cr_assert_eq(wenda_store_topic_get(store, 0, content.topics[5].slug, &t),
                 WENDA_OK);
    (void)snprintf(before, sizeof(before), "%lld %lld %s", (long long)t.id,
                   (long long)t.version, t.updated_at);
    wenda_topic_cleanup(&t);
    cr_assert_eq(wenda_store_import_with(store, &content, NULL, &k),
                 WENDA_OK);
    cr_assert_eq(k.unchanged, content.ntopics);
    cr_assert_eq(k.added + k.changed + k.removed, 0);
    cr_assert_eq(wenda_store_topic_get(store, 0, content.topics[5].slug, &t),
                 WENDA_OK);
    (void)snprintf(after, sizeof(after), "%lld %lld %s", (long long)t.id,
                   (long long)t.version, t.updated_at);
    wenda_topic_cleanup(&t);
    cr_assert_str_eq(after, before);
    cr_assert_eq(file_int("SELECT count(*) FROM revisions"), 0);
}

Test(store_import, removes_a_topic_it_does_not_hold_and_never_gives_its_id_again)
{
    static char answer[] = "made over the API";
    struct wenda_import_counts k;
    struct wenda_topic *topics, t;
    struct wenda_content c;
    int64_t gone = api_create("api-made", answer);

    cr_assert_eq(wenda_store_import_with(store, &content, NULL, &k),
                 WENDA_OK);
    cr_assert_eq(k.removed, 1);
    cr_assert_eq(wenda_store_topic_get(store, gone, NULL, &t),
                 WENDA_ERR_NOT_FOUND);
    cr_assert_eq(revisions_of(gone, "delete"), 1);
    /* A new slug after it gets another id: the old one keeps its history
     * to itself. */
    c = content_plus("file-made", answer, &topics);
    cr_assert_eq(wenda_store_import_with(store, &c, NULL, &k), WENDA_OK);
    cr_assert_eq(k.added, 1);
    cr_assert_eq(wenda_store_topic_get(store, 0, "file-made", &t), WENDA_OK);
    cr_assert_gt(t.id, gone, "file-made got id %lld, api-made had %lld",
                 (long long)t.id, (long long)gone);
    cr_assert_eq(revisions_of(t.id, "create") + revisions_of(t.id, "delete"),
                 0);
    wenda_topic_cleanup(&t);
    /* Nor does the API, once the import gave ids past it. */
    cr_assert_gt(api_create("api-again", answer), gone + 1);
    free(topics);
}

/* A note of a dry run, as "slug:what:id" lines. */
static void
note(void *ctx, enum wenda_import_change what, int64_t id, const char *slug)
{
    static const char *const names[] = {"added", "changed", "unchanged",
                                        "removed"};
    char *notes = ctx;   /* 1024 bytes */
    size_t len = strlen(notes);

    if (what == WENDA_IMPORT_UNCHANGED)
        return;
    (void)snprintf(notes + len, 1024 - len, "%s:%s:%lld\n", slug,
                   names[what], (long long)id);
}

Test(store_import, a_dry_run_tells_what_it_would_do_and_writes_nothing)
{
    static char answer[] = "made over the API", changed[] = "changed";
    static char fresh[] = "dry-new";
    char notes[1024] = "", want[512];
    struct wenda_import_opts opts = {1, note, notes};
    struct wenda_import_counts k;
    struct wenda_content c = content;
    struct wenda_topic *topics;
    int64_t gone = api_create("api-made", answer);

    /* One topic changed, one new, one (api-made) left out. */
    topics = calloc(content.ntopics + 1, sizeof(*topics));
    cr_assert_not_null(topics);
    memcpy(topics, content.topics, content.ntopics * sizeof(*topics));
    topics[3].answer = changed;
    topics[content.ntopics] = content.topics[0];
    topics[content.ntopics].slug = fresh;
    c.topics = topics;
    c.ntopics++;
    cr_assert_eq(wenda_store_import_with(store, &c, &opts, &k), WENDA_OK);
    cr_assert(k.added == 1 && k.changed == 1 && k.removed == 1 &&
                  k.unchanged == content.ntopics - 1,
              "%zu added, %zu changed, %zu unchanged, %zu removed", k.added,
              k.changed, k.unchanged, k.removed);
    (void)snprintf(want, sizeof(want), "%s:changed:4\ndry-new:added:0\n"
                   "api-made:removed:%lld\n",
                   content.topics[3].slug, (long long)gone);
    cr_assert_str_eq(notes, want);
    cr_assert_eq(file_int("SELECT count(*) FROM topics WHERE slug = "
                          "'api-made'"),
                 1);
    cr_assert_eq(file_int("SELECT count(*) FROM topics WHERE slug = "
                          "'dry-new'"),
                 0);
    cr_assert_eq(file_int("SELECT max(version) FROM topics"), 1);
    cr_assert_eq(file_int("SELECT count(*) FROM revisions"), 1);
    free(topics);
}

Test(store_import, a_dry_run_reads_a_read_only_store_and_finds_a_slug_twice)
{
    struct wenda_import_opts opts = {1, NULL, NULL};
    struct wenda_import_counts k;
    char msg[256], *saved = content.topics[10].slug;
    enum wenda_err rc;

    wenda_store_close(store);
    cr_assert_eq(wenda_store_open(db_path, WENDA_STORE_READONLY, &store, msg,
                                  sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_neq(wenda_store_import(store, &content), WENDA_OK);
    cr_assert_eq(wenda_store_import_with(store, &content, &opts, &k),
                 WENDA_OK);
    cr_assert_eq(k.unchanged, content.ntopics);
    content.topics[10].slug = content.topics[3].slug;
    rc = wenda_store_import_with(store, &content, &opts, &k);
    content.topics[10].slug = saved;
    cr_assert_eq(rc, WENDA_ERR_CONFLICT, "a slug twice gave %s",
                 wenda_err_name(rc));
}

/* wenda_store_topics_put() in one transaction and savepoint, as the
 * writer runs POST /v1/import; rolled back when it fails. */
static enum wenda_err
put_like_the_api(const struct wenda_topic *topics, size_t n, size_t *failed,
                 struct wenda_import_counts *k, char *msg, size_t msgcap)
{
    enum wenda_err rc;

    cr_assert_eq(wenda_store_write_begin(store), WENDA_OK);
    cr_assert_eq(wenda_store_savepoint(store), WENDA_OK);
    rc = wenda_store_topics_put(store, topics, n, "test", failed, k, msg,
                                msgcap);
    if (rc != WENDA_OK) {
        wenda_store_rollback_to(store);
        wenda_store_write_rollback(store);
        return rc;
    }
    cr_assert_eq(wenda_store_release(store), WENDA_OK);
    cr_assert_eq(wenda_store_write_commit(store), WENDA_OK);
    return rc;
}

Test(store_import, an_api_import_refuses_a_slug_given_twice_and_writes_nothing)
{
    static char fresh[] = "twice-new", other[] = "a changed answer";
    struct wenda_import_counts k;
    struct wenda_topic topics[3];
    size_t failed = 0;
    char msg[256];
    enum wenda_err rc;

    topics[0] = content.topics[0];
    topics[0].slug = fresh;
    topics[1] = content.topics[1];
    topics[1].answer = other;
    topics[2] = topics[0];
    topics[2].answer = other;
    rc = put_like_the_api(topics, 3, &failed, &k, msg, sizeof(msg));
    cr_assert_eq(rc, WENDA_ERR_CONFLICT, "%s", wenda_err_name(rc));
    cr_assert_eq(failed, 2);
    cr_assert_not_null(strstr(msg, "twice-new"), "%s", msg);
    cr_assert_eq(file_int("SELECT count(*) FROM topics"),
                 (long long)content.ntopics);
    cr_assert_eq(file_int("SELECT max(version) FROM topics"), 1);
}

Test(store_import, an_api_import_counts_and_leaves_an_unchanged_topic_as_it_is)
{
    static char fresh[] = "api-new", other[] = "a changed answer";
    struct wenda_import_counts k;
    struct wenda_topic topics[3];
    size_t failed = 0;
    char msg[256];

    topics[0] = content.topics[0];
    topics[1] = content.topics[1];
    topics[1].answer = other;
    topics[2] = content.topics[2];
    topics[2].slug = fresh;
    cr_assert_eq(put_like_the_api(topics, 3, &failed, &k, msg, sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert(k.added == 1 && k.changed == 1 && k.unchanged == 1 &&
                  k.removed == 0,
              "%zu added, %zu changed, %zu unchanged", k.added, k.changed,
              k.unchanged);
    cr_assert_eq(file_int("SELECT version FROM topics WHERE id = 1"), 1);
    cr_assert_eq(file_int("SELECT version FROM topics WHERE id = 2"), 2);
    cr_assert_eq(file_int("SELECT id FROM topics WHERE slug = 'api-new'"),
                 (long long)content.ntopics + 1);
}
