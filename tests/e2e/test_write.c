/*
 * test_write.c -- the admin write API against the real binary: tokens and
 * roles, validation that changes nothing, If-Match, merge patch, deletes,
 * revisions, concurrent writers, and kill -9 in the middle of writes
 * losing no acknowledged one.
 */
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>

#include "harness.h"
#include "../unit/testutil.h"
#include "wenda/auth.h"
#include "wenda/content.h"
#include "wenda/store.h"
#include "store_int.h"
#include <sqlite3.h>

static struct wenda_server srv;
static char editor[WENDA_TOKEN_LEN + 1], reader[WENDA_TOKEN_LEN + 1];

static void
start(void)
{
    cr_assert_eq(harness_start(&srv, NULL), 0, "server did not start: %s",
                 srv.why);
    (void)harness_token(&srv, WENDA_ROLE_EDITOR, "editor-one", editor);
    (void)harness_token(&srv, WENDA_ROLE_READER, "reader-one", reader);
}

static void
stop(void)
{
    harness_stop(&srv);
}

TestSuite(e2e_write, .init = start, .fini = stop);

/*
 * Sends a write: method path with token (NULL for none), content type
 * (NULL for none), If-Match (NULL for none) and body (NULL for none).
 * Returns the status, or -1 when no answer came.
 */
static long
send_write(const struct wenda_server *s, const char *method, const char *path,
           const char *token, const char *type, const char *if_match,
           const char *body, struct http_reply *r)
{
    /* No assertion here: the kill -9 test calls this from a thread. */
    return http_send(s, method, path, token, type, if_match, body, r);
}

/* GETs path and copies its ETag into etag (64 bytes). */
static void
etag_of(const char *path, char *etag)
{
    struct http_reply r;

    cr_assert_eq(http_request(&srv, "GET", path, NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200, "GET %s: %ld", path, r.status);
    cr_assert_not_null(http_header(&r, "ETag"));
    snprintf(etag, 64, "%s", http_header(&r, "ETag"));
    http_reply_cleanup(&r);
}

static const char new_topic[] =
    "{\"slug\":\"write-test\",\"title\":\"写入测试\",\"title_en\":\"Write "
    "test\",\"category\":\"tools\",\"tags\":[\"git\",\"testing\"],"
    "\"aliases\":[\"write check\"],\"answer\":\"一个新的回答\"}";

/* Creates new_topic and returns its id. */
static long long
create(void)
{
    struct http_reply r;
    json_t *doc;
    long long id;

    cr_assert_eq(send_write(&srv, "POST", "/v1/topics", editor,
                            "application/json", NULL, new_topic, &r),
                 201, "%.*s", (int)r.len, r.body);
    doc = http_json(&r);
    id = json_integer_value(json_object_get(doc, "id"));
    cr_assert_gt(id, 64);
    cr_assert_eq(json_integer_value(json_object_get(doc, "version")), 1);
    cr_assert_not_null(http_header(&r, "Location"));
    json_decref(doc);
    http_reply_cleanup(&r);
    return id;
}

Test(e2e_write, refuses_writes_without_a_good_enough_token)
{
    struct http_reply r;

    cr_assert_eq(send_write(&srv, "POST", "/v1/topics", NULL,
                            "application/json", NULL, new_topic, &r),
                 401);
    cr_assert_str_eq(http_header(&r, "WWW-Authenticate"), "Bearer");
    http_reply_cleanup(&r);
    cr_assert_eq(send_write(&srv, "POST", "/v1/topics",
                            "wnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                            "application/json", NULL, new_topic, &r),
                 401);
    cr_assert_null(strstr(r.body, "wnd_"), "the token echoed: %s", r.body);
    http_reply_cleanup(&r);
    cr_assert_eq(send_write(&srv, "POST", "/v1/topics", "not-a-token",
                            "application/json", NULL, new_topic, &r),
                 401);
    http_reply_cleanup(&r);
    cr_assert_eq(send_write(&srv, "POST", "/v1/topics", reader,
                            "application/json", NULL, new_topic, &r),
                 403);
    http_reply_cleanup(&r);
    /* Revisions are for editors too. */
    cr_assert_eq(send_write(&srv, "GET", "/v1/topics/1/revisions", reader,
                            NULL, NULL, NULL, &r),
                 403);
    http_reply_cleanup(&r);
}

Test(e2e_write, creates_a_topic_that_reads_and_search_see_at_once)
{
    struct http_reply r;
    char path[64];
    long long id = create();

    snprintf(path, sizeof path, "/v1/topics/%lld", id);
    cr_assert_eq(http_request(&srv, "GET", path, NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200);
    cr_assert_not_null(strstr(r.body, "\"slug\":\"write-test\""));
    http_reply_cleanup(&r);
    cr_assert_eq(http_request(&srv, "GET", "/v1/search?q=write+check", NULL,
                              NULL, 0, &r),
                 0);
    cr_assert_not_null(strstr(r.body, "\"slug\":\"write-test\""), "%s",
                       r.body);
    http_reply_cleanup(&r);
}

Test(e2e_write, rejects_bad_bodies_naming_the_field_and_changes_nothing)
{
    static const struct {
        const char *type, *body;
        long status;
        const char *mention;
    } cases[] = {
        {"application/json", "{\"slug\":\"x\"}", 400, "title"},
        {"application/json", "{", 400, "JSON"},
        {"application/json", "[1,2]", 400, "object"},
        {"text/plain", "{}", 415, "application/json"},
        {NULL, "{}", 415, "application/json"},
        {"application/json",
         "{\"slug\":\"Bad Slug\",\"title\":\"t\",\"category\":\"tools\","
         "\"tags\":[\"a\"],\"answer\":\"a\"}",
         400, "slug"},
        {"application/json",
         "{\"slug\":\"ok-slug\",\"title\":\"t\",\"category\":\"nope\","
         "\"tags\":[\"a\"],\"answer\":\"a\"}",
         400, "category"},
        {"application/json",
         "{\"slug\":\"ok-slug\",\"title\":\"t\",\"category\":\"tools\","
         "\"tags\":\"a\",\"answer\":\"a\"}",
         400, "tags"},
        {"application/json",
         "{\"slug\":\"ok-slug\",\"title\":7,\"category\":\"tools\","
         "\"tags\":[\"a\"],\"answer\":\"a\"}",
         400, "title"},
        {"application/json",
         "{\"slug\":\"ok-slug\",\"title\":\"t\",\"category\":\"tools\","
         "\"tags\":[\"a\"],\"answer\":\"a\",\"version\":9}",
         400, "version"},
        {"application/json",
         "{\"slug\":\"deadlock\",\"title\":\"t\",\"category\":\"tools\","
         "\"tags\":[\"a\"],\"answer\":\"a\"}",
         409, "deadlock"},
        {"application/json", "{\"slug\":\"a\",\"slug\":\"b\"}", 400, "JSON"},
        /* U+FDD0 and a slug: the index's mark of a category. */
        {"application/json",
         "{\"slug\":\"ok-slug\",\"title\":\"\\ufdd0tools\","
         "\"category\":\"tools\",\"tags\":[\"a\"],\"answer\":\"a\"}",
         400, "noncharacter"},
    };
    char before[64], after[64];
    size_t i;

    etag_of("/v1/topics?limit=100", before);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct http_reply r;

        cr_assert_eq(send_write(&srv, "POST", "/v1/topics", editor,
                                cases[i].type, NULL, cases[i].body, &r),
                     cases[i].status, "case %zu: %ld %.*s", i, r.status,
                     (int)r.len, r.body);
        cr_assert_not_null(strstr(r.body, cases[i].mention),
                           "case %zu: %s", i, r.body);
        http_reply_cleanup(&r);
    }
    etag_of("/v1/topics?limit=100", after);
    cr_assert_str_eq(before, after, "a refused write changed the topics");
}

Test(e2e_write, needs_the_current_etag_to_replace_patch_or_delete)
{
    struct http_reply r;
    char path[64], etag[64], old[64];
    long long id = create();
    json_t *doc;

    snprintf(path, sizeof path, "/v1/topics/%lld", id);
    etag_of(path, etag);
    cr_assert_eq(send_write(&srv, "PUT", path, editor, "application/json",
                            NULL, new_topic, &r),
                 428);
    http_reply_cleanup(&r);
    cr_assert_eq(send_write(&srv, "PUT", path, editor, "application/json",
                            "\"0000000000000000\"", new_topic, &r),
                 412);
    http_reply_cleanup(&r);
    /* PATCH with a merge patch. */
    cr_assert_eq(send_write(&srv, "PATCH", path, editor,
                            "application/merge-patch+json", etag,
                            "{\"title\":\"改过的标题\",\"aliases\":null}", &r),
                 200, "%.*s", (int)r.len, r.body);
    doc = http_json(&r);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "title")),
                     "改过的标题");
    cr_assert_eq(json_array_size(json_object_get(doc, "aliases")), 0);
    cr_assert_eq(json_integer_value(json_object_get(doc, "version")), 2);
    json_decref(doc);
    http_reply_cleanup(&r);
    /* The old tag is stale now; a patch needs its own media type. */
    snprintf(old, sizeof old, "%s", etag);
    cr_assert_eq(send_write(&srv, "PATCH", path, editor,
                            "application/merge-patch+json", old,
                            "{\"title\":\"again\"}", &r),
                 412);
    http_reply_cleanup(&r);
    etag_of(path, etag);
    cr_assert_str_neq(etag, old);
    cr_assert_eq(send_write(&srv, "PATCH", path, editor, "application/json",
                            etag, "{\"title\":\"again\"}", &r),
                 415);
    http_reply_cleanup(&r);
    /* A patch that removes a required field is refused whole. */
    cr_assert_eq(send_write(&srv, "PATCH", path, editor,
                            "application/merge-patch+json", etag,
                            "{\"title\":null}", &r),
                 400);
    cr_assert_not_null(strstr(r.body, "title"));
    http_reply_cleanup(&r);
    /* PUT replaces. */
    cr_assert_eq(send_write(&srv, "PUT", path, editor, "application/json",
                            etag, new_topic, &r),
                 200, "%.*s", (int)r.len, r.body);
    http_reply_cleanup(&r);
    etag_of(path, etag);
    cr_assert_eq(send_write(&srv, "DELETE", path, editor, NULL, etag, NULL,
                            &r),
                 204);
    http_reply_cleanup(&r);
    cr_assert_eq(http_request(&srv, "GET", path, NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 404);
    http_reply_cleanup(&r);
    /* Every change left a revision naming the token. */
    snprintf(path, sizeof path, "/v1/topics/%lld/revisions", id);
    cr_assert_eq(send_write(&srv, "GET", path, editor, NULL, NULL, NULL, &r),
                 200);
    doc = http_json(&r);
    cr_assert_eq(json_array_size(json_object_get(doc, "items")), 4);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(doc, "items"), 0),
                         "action")),
                     "delete");
    cr_assert_not_null(strstr(r.body, "\"who\":\"editor-one\""));
    json_decref(doc);
    http_reply_cleanup(&r);
}

/* ---- many writers ------------------------------------------------------ */

#define WRITERS 4
#define WRITES_EACH 25

struct writer_thread {
    pthread_t thread;
    int index;
    atomic_int created;
};

static void *
write_many(void *arg)
{
    struct writer_thread *w = arg;
    int i;

    for (i = 0; i < WRITES_EACH; i++) {
        char body[512];
        struct http_reply r;

        snprintf(body, sizeof body,
                 "{\"slug\":\"many-%d-%d\",\"title\":\"并发写入 %d %d\","
                 "\"category\":\"tools\",\"tags\":[\"git\"],"
                 "\"answer\":\"answer %d %d\"}",
                 w->index, i, w->index, i, w->index, i);
        if (send_write(&srv, "POST", "/v1/topics", editor, "application/json",
                       NULL, body, &r) == 201)
            atomic_fetch_add(&w->created, 1);
        http_reply_cleanup(&r);
    }
    return NULL;
}

Test(e2e_write, commits_every_write_of_concurrent_writers)
{
    struct writer_thread w[WRITERS];
    struct http_reply r;
    json_t *doc;
    int i, total = 0;

    memset(w, 0, sizeof(w));
    for (i = 0; i < WRITERS; i++) {
        w[i].index = i;
        cr_assert_eq(pthread_create(&w[i].thread, NULL, write_many, &w[i]),
                     0);
    }
    for (i = 0; i < WRITERS; i++) {
        pthread_join(w[i].thread, NULL);
        total += atomic_load(&w[i].created);
    }
    cr_assert_eq(total, WRITERS * WRITES_EACH);
    cr_assert_eq(http_request(&srv, "GET", "/v1/categories", NULL, NULL, 0,
                              &r),
                 0);
    doc = http_json(&r);
    for (i = 0; i < (int)json_array_size(json_object_get(doc, "items"));
         i++) {
        json_t *c = json_array_get(json_object_get(doc, "items"), (size_t)i);

        if (strcmp(json_string_value(json_object_get(c, "slug")), "tools") ==
            0)
            cr_assert_eq(json_integer_value(json_object_get(c, "count")),
                         3 + WRITERS * WRITES_EACH);
    }
    json_decref(doc);
    http_reply_cleanup(&r);
}

/* ---- kill -9, twenty times ----------------------------------------------- */

#define CYCLES 20
#define CRASH_WRITERS 4
#define MAX_ACKED 20000

static pthread_mutex_t acked_lock = PTHREAD_MUTEX_INITIALIZER;
static long long acked[MAX_ACKED];
static int nacked;
static atomic_int cycle_acks;

struct crash_writer {
    pthread_t thread;
    int cycle, index;
    const struct wenda_server *s;
};

static void *
crash_writes(void *arg)
{
    struct crash_writer *w = arg;
    int i;

    for (i = 0; i < 10000; i++) {
        char body[256];
        struct http_reply r;
        json_t *doc;
        long long id;

        snprintf(body, sizeof body,
                 "{\"slug\":\"durable-%d-%d-%d\",\"title\":\"持久 %d\","
                 "\"category\":\"tools\",\"tags\":[\"git\"],"
                 "\"answer\":\"kept %d\"}",
                 w->cycle, w->index, i, i, i);
        if (send_write(w->s, "POST", "/v1/topics", editor,
                       "application/json", NULL, body, &r) != 201) {
            http_reply_cleanup(&r);
            break;    /* the server is gone */
        }
        doc = json_loadb(r.body, r.len, 0, NULL);
        id = json_integer_value(json_object_get(doc, "id"));
        json_decref(doc);
        http_reply_cleanup(&r);
        pthread_mutex_lock(&acked_lock);
        if (nacked < MAX_ACKED)
            acked[nacked++] = id;
        pthread_mutex_unlock(&acked_lock);
        atomic_fetch_add(&cycle_acks, 1);
    }
    return NULL;
}

Test(e2e_write, keeps_every_acknowledged_write_through_20_kill_9_cycles,
     .timeout = 600)
{
    struct crash_writer w[CRASH_WRITERS];
    struct wenda_server cur = srv;
    char db[4200], msg[256];
    const char *args[3];
    struct wenda_store *st;
    sqlite3_stmt *s;
    unsigned int seed = 12345;
    int cycle, i, k;

    snprintf(db, sizeof db, "%s/wenda.db", srv.dir);
    args[0] = "--db";
    args[1] = db;
    args[2] = NULL;
    for (cycle = 0; cycle < CYCLES; cycle++) {
        int target = 1 + (int)(rand_r(&seed) % 40);

        if (cycle > 0)
            cr_assert_eq(harness_start(&cur, args), 0, "restart %d: %s",
                         cycle, cur.why);
        atomic_store(&cycle_acks, 0);
        for (k = 0; k < CRASH_WRITERS; k++) {
            w[k].cycle = cycle;
            w[k].index = k;
            w[k].s = &cur;
            cr_assert_eq(pthread_create(&w[k].thread, NULL, crash_writes,
                                        &w[k]),
                         0);
        }
        /* Kill at a moment chosen by the seed, counted in acknowledged
         * writes (a bounded wait, not a speed requirement). */
        for (i = 0; i < 4000 && atomic_load(&cycle_acks) < target; i++)
            usleep(1000);
        if (cycle > 0)
            harness_kill(&cur);
        else
            harness_kill(&srv);
        for (k = 0; k < CRASH_WRITERS; k++)
            pthread_join(w[k].thread, NULL);
        if (cycle > 0)
            harness_remove_dir(&cur);   /* its own, empty temp dir */
    }
    cr_assert_gt(nacked, CYCLES);

    /* Every acknowledged write is there, in a sound database. */
    cr_assert_eq(wenda_store_open(db, WENDA_STORE_READONLY, &st, msg,
                                  sizeof msg),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(sqlite3_prepare_v2(wenda_store_db(st),
                                    "PRAGMA integrity_check", -1, &s, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(s, 0), "ok");
    sqlite3_finalize(s);
    for (i = 0; i < nacked; i++) {
        struct wenda_topic t;

        cr_assert_eq(wenda_store_topic_get(st, acked[i], NULL, &t), WENDA_OK,
                     "acknowledged write %d (id %lld) lost", i, acked[i]);
        wenda_topic_cleanup(&t);
    }
    cr_log_info("%d acknowledged writes through %d kill -9 cycles, none "
                "lost", nacked, CYCLES);
    wenda_store_close(st);
    harness_remove_dir(&srv);
}

/* ---- the same If-Match from many clients ---------------------------------- */

struct racer {
    pthread_t thread;
    const char *path;
    const char *etag;
    int index;
    long status;
};

static void *
race_patch(void *arg)
{
    struct racer *r = arg;
    struct http_reply reply;
    char body[96];

    snprintf(body, sizeof body, "{\"title\":\"racer %d\"}", r->index);
    r->status = send_write(&srv, "PATCH", r->path, editor,
                           "application/merge-patch+json", r->etag, body,
                           &reply);
    http_reply_cleanup(&reply);
    return NULL;
}

Test(e2e_write, lets_exactly_one_of_many_patches_with_one_etag_win)
{
    struct racer r[8];
    char path[64], etag[64];
    long long id = create();
    int i, won = 0, stale = 0;

    snprintf(path, sizeof path, "/v1/topics/%lld", id);
    etag_of(path, etag);
    for (i = 0; i < 8; i++) {
        r[i].path = path;
        r[i].etag = etag;
        r[i].index = i;
        cr_assert_eq(pthread_create(&r[i].thread, NULL, race_patch, &r[i]),
                     0);
    }
    for (i = 0; i < 8; i++) {
        pthread_join(r[i].thread, NULL);
        won += r[i].status == 200;
        stale += r[i].status == 412;
    }
    cr_assert_eq(won, 1, "%d patches won", won);
    cr_assert_eq(stale, 7);
}

/* ---- tokens, export and import over HTTP (admin) ------------------------ */

TestSuite(e2e_admin, .fini = stop);

static char admin[WENDA_TOKEN_LEN + 1];

static void
start_admin(const char *const *args)
{
    cr_assert_eq(harness_start(&srv, args), 0, "server did not start: %s",
                 srv.why);
    (void)harness_token(&srv, WENDA_ROLE_ADMIN, "admin-one", admin);
    (void)harness_token(&srv, WENDA_ROLE_EDITOR, "editor-one", editor);
}

Test(e2e_admin, creates_lists_and_revokes_tokens)
{
    struct http_reply r;
    char token[WENDA_TOKEN_LEN + 1], path[64];
    long long id;
    json_t *doc;

    start_admin(NULL);
    cr_assert_eq(send_write(&srv, "POST", "/v1/tokens", editor,
                            "application/json", NULL, "{\"role\":\"reader\"}",
                            &r),
                 403);
    http_reply_cleanup(&r);
    cr_assert_eq(send_write(&srv, "POST", "/v1/tokens", admin,
                            "application/json", NULL,
                            "{\"role\":\"boss\"}", &r),
                 400);
    http_reply_cleanup(&r);
    cr_assert_eq(send_write(&srv, "POST", "/v1/tokens", admin,
                            "application/json", NULL,
                            "{\"role\":\"editor\",\"name\":\"new editor\","
                            "\"expires\":\"30d\"}",
                            &r),
                 201, "%.*s", (int)r.len, r.body);
    doc = http_json(&r);
    snprintf(token, sizeof token, "%s",
             json_string_value(json_object_get(doc, "token")));
    id = json_integer_value(json_object_get(doc, "id"));
    cr_assert_eq(strncmp(token, "wnd_", 4), 0);
    json_decref(doc);
    http_reply_cleanup(&r);

    /* The new token works, and the list never shows it. */
    cr_assert_eq(send_write(&srv, "POST", "/v1/topics", token,
                            "application/json", NULL, new_topic, &r),
                 201);
    http_reply_cleanup(&r);
    cr_assert_eq(send_write(&srv, "GET", "/v1/tokens", admin, NULL, NULL,
                            NULL, &r),
                 200);
    cr_assert_not_null(strstr(r.body, "\"name\":\"new editor\""));
    cr_assert_null(strstr(r.body, token + 4), "the list shows a token");
    http_reply_cleanup(&r);

    snprintf(path, sizeof path, "/v1/tokens/%lld", id);
    cr_assert_eq(send_write(&srv, "DELETE", path, admin, NULL, NULL, NULL,
                            &r),
                 204);
    http_reply_cleanup(&r);
    cr_assert_eq(send_write(&srv, "DELETE", path, admin, NULL, NULL, NULL,
                            &r),
                 404);
    http_reply_cleanup(&r);
    cr_assert_eq(send_write(&srv, "POST", "/v1/topics", token,
                            "application/json", NULL, new_topic, &r),
                 401, "a revoked token still writes");
    cr_assert_not_null(strstr(r.body, "revoked"));
    http_reply_cleanup(&r);
}

Test(e2e_admin, exports_ndjson_and_imports_it_all_or_nothing)
{
    struct http_reply r, again, before;
    char *bad;
    size_t lines = 0, i;

    start_admin(NULL);
    cr_assert_eq(send_write(&srv, "GET", "/v1/export", admin, NULL, NULL,
                            NULL, &r),
                 200);
    cr_assert_not_null(strstr(http_header(&r, "Content-Type"), "ndjson"));
    for (i = 0; i < r.len; i++)
        lines += r.body[i] == '\n';
    cr_assert_eq(lines, 64);

    /* The export imports back as it is (every topic replaced by slug). */
    cr_assert_eq(send_write(&srv, "POST", "/v1/import", admin,
                            "application/x-ndjson", NULL, r.body, &again),
                 200, "%.*s", (int)again.len, again.body);
    cr_assert_not_null(strstr(again.body, "\"imported\":64,\"added\":0,"
                              "\"changed\":0,\"unchanged\":64}"),
                       "%s", again.body);
    http_reply_cleanup(&again);

    /* A bad third line: nothing is applied, and the line is named. */
    cr_assert_eq(send_write(&srv, "GET", "/v1/export", admin, NULL, NULL,
                            NULL, &before),
                 200);
    bad = malloc(r.len + 64);
    cr_assert_not_null(bad);
    {
        const char *second = strchr(strchr(r.body, '\n') + 1, '\n') + 1;
        size_t head = (size_t)(second - r.body);

        memcpy(bad, r.body, head);
        memcpy(bad + head, "{\"slug\":\"broken\"}\n", 18);
        bad[head + 18] = '\0';
    }
    cr_assert_eq(send_write(&srv, "POST", "/v1/import", admin,
                            "application/x-ndjson", NULL, bad, &again),
                 400);
    cr_assert_not_null(strstr(again.body, "line 3"), "%s", again.body);
    http_reply_cleanup(&again);
    free(bad);
    cr_assert_eq(send_write(&srv, "GET", "/v1/export", admin, NULL, NULL,
                            NULL, &again),
                 200);
    cr_assert_eq(again.len, before.len);
    cr_assert_eq(memcmp(again.body, before.body, before.len), 0,
                 "a refused import changed the database");
    http_reply_cleanup(&again);
    http_reply_cleanup(&before);
    cr_assert_eq(send_write(&srv, "POST", "/v1/import", editor,
                            "application/x-ndjson", NULL, r.body, &again),
                 403);
    http_reply_cleanup(&again);
    http_reply_cleanup(&r);
}

Test(e2e_admin, an_import_the_writer_refuses_names_the_line_of_the_body)
{
    /* Blank lines (one of them CR LF) before the topic the writer refuses
     * for its category: its line is the 6th of the body, though it is the
     * 2nd topic. */
    static const char body[] =
        "\n"
        "\n"
        "{\"slug\":\"import-line-ok\",\"title\":\"行号\",\"category\":"
        "\"tools\",\"tags\":[\"git\"],\"answer\":\"一\"}\n"
        "\r\n"
        "\n"
        "{\"slug\":\"import-line-bad\",\"title\":\"行号\",\"category\":"
        "\"no-such-category\",\"tags\":[\"git\"],\"answer\":\"二\"}\n";
    struct http_reply r;
    json_t *doc;
    const char *detail;

    start_admin(NULL);
    cr_assert_eq(send_write(&srv, "POST", "/v1/import", admin,
                            "application/x-ndjson", NULL, body, &r),
                 400, "%.*s", (int)r.len, r.body);
    doc = http_json(&r);
    detail = json_string_value(json_object_get(doc, "detail"));
    cr_assert_not_null(detail, "%s", r.body);
    cr_assert_eq(strncmp(detail, "line 6: ", 8), 0, "%s", detail);
    cr_assert_not_null(strstr(detail, "no-such-category"), "%s", detail);
    json_decref(doc);
    http_reply_cleanup(&r);
    /* All or nothing: the topic before it is not there either. */
    cr_assert_eq(send_write(&srv, "GET", "/v1/topics/import-line-ok", admin,
                            NULL, NULL, NULL, &r),
                 404, "%.*s", (int)r.len, r.body);
    http_reply_cleanup(&r);
}

Test(e2e_admin, keeps_reads_private_when_asked)
{
    static const char *const args[] = {"--private", NULL};
    struct http_reply r;

    start_admin(args);
    cr_assert_eq(http_request(&srv, "GET", "/v1/topics/1", NULL, NULL, 0, &r),
                 0);
    cr_assert_eq(r.status, 401);
    http_reply_cleanup(&r);
    cr_assert_eq(send_write(&srv, "GET", "/v1/topics/1", editor, NULL, NULL,
                            NULL, &r),
                 200);
    http_reply_cleanup(&r);
    /* Health checks stay open. */
    cr_assert_eq(http_request(&srv, "GET", "/healthz", NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200);
    http_reply_cleanup(&r);
}

/* ---- learners' progress (SM-2) --------------------------------------- */

Test(e2e_admin, schedules_reviews_per_token_with_sm2)
{
    static const json_int_t intervals[] = {1, 6, 16};
    char reader2[WENDA_TOKEN_LEN + 1];
    struct http_reply r;
    json_t *doc;
    size_t i;

    start_admin(NULL);
    (void)harness_token(&srv, WENDA_ROLE_READER, "learner", reader2);
    cr_assert_eq(send_write(&srv, "POST", "/v1/progress/35", NULL,
                            "application/json", NULL, "{\"grade\":5}", &r),
                 401);
    http_reply_cleanup(&r);
    cr_assert_eq(send_write(&srv, "POST", "/v1/progress/35", reader2,
                            "application/json", NULL, "{\"grade\":6}", &r),
                 400);
    http_reply_cleanup(&r);
    cr_assert_eq(send_write(&srv, "POST", "/v1/progress/9999", reader2,
                            "application/json", NULL, "{\"grade\":4}", &r),
                 404);
    http_reply_cleanup(&r);
    /* 5, 5, 5: intervals 1, 6, 16 days (SM-2 with E 2.5 -> 2.6 -> 2.7). */
    for (i = 0; i < sizeof(intervals) / sizeof(intervals[0]); i++) {
        cr_assert_eq(send_write(&srv, "POST", "/v1/progress/35", reader2,
                                "application/json", NULL, "{\"grade\":5}",
                                &r),
                     200, "%.*s", (int)r.len, r.body);
        doc = http_json(&r);
        cr_assert_eq(
            json_integer_value(json_object_get(doc, "interval_days")),
            intervals[i], "review %zu", i + 1);
        json_decref(doc);
        http_reply_cleanup(&r);
    }
    /* A lapse (grade 1) is due again tomorrow, not now; nothing is due
     * yet, and another learner's progress is their own. */
    cr_assert_eq(send_write(&srv, "GET", "/v1/progress/due", reader2, NULL,
                            NULL, NULL, &r),
                 200);
    doc = http_json(&r);
    cr_assert_eq(json_array_size(json_object_get(doc, "items")), 0);
    json_decref(doc);
    http_reply_cleanup(&r);
    cr_assert_eq(send_write(&srv, "POST", "/v1/progress/36", editor,
                            "application/json", NULL, "{\"grade\":1}", &r),
                 200);
    doc = http_json(&r);
    cr_assert_eq(json_integer_value(json_object_get(doc, "repetitions")), 0);
    cr_assert_eq(json_integer_value(json_object_get(doc, "interval_days")),
                 1);
    json_decref(doc);
    http_reply_cleanup(&r);
}

/* ---- revocation from another process ------------------------------------ */

static struct wenda_server one_thread;

static void
stop_one_thread(void)
{
    harness_stop(&one_thread);
}

TestSuite(e2e_revoke, .fini = stop_one_thread);

/* GETs an editor-only resource with token on the kept-alive handle easy
 * and returns the status. */
static long
editor_get(CURL *easy, const char *token)
{
    char auth[128];
    const char *h[] = {auth, NULL};
    struct http_reply r = {0};
    long status;

    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    cr_assert_eq(http_request_on(easy, &one_thread, "GET",
                                 "/v1/topics/1/revisions", h, NULL, 0, &r),
                 0);
    status = r.status;
    http_reply_cleanup(&r);
    return status;
}

/*
 * `wenda token revoke` runs in another process, which the server's commit
 * counter does not see.  The server has one I/O thread, kept busy by a
 * request whose body is still coming, so that the thread's read snapshot
 * outlives each request; the very next request with the revoked token, on
 * the same kept-alive connection, must still be refused.
 */
Test(e2e_revoke, a_token_revoked_by_the_command_is_refused_at_once)
{
    const char *args[] = {"--threads", "1", NULL};
    const char *revoke[] = {"token", "revoke", "--db", NULL, NULL, NULL};
    static const char partial[] =
        "POST /v1/topics HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
    char token[WENDA_TOKEN_LEN + 1], db[HARNESS_PATH_MAX + 16], id[32];
    struct harness_run_result res;
    CURL *easy;
    int fd;

    harness_start_or_fail(&one_thread, args);
    snprintf(id, sizeof id, "%lld",
             harness_token(&one_thread, WENDA_ROLE_EDITOR, "soon-gone",
                           token));
    snprintf(db, sizeof db, "%s/wenda.db", one_thread.dir);
    revoke[3] = db;
    revoke[4] = id;
    fd = harness_connect(&one_thread);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, partial, sizeof(partial) - 1),
                 (ssize_t)(sizeof(partial) - 1));
    easy = curl_easy_init();
    cr_assert_not_null(easy);
    cr_assert_eq(editor_get(easy, token), 200);
    cr_assert_eq(harness_run(revoke, 10.0, &res), 0);
    cr_assert_eq(res.status, 0, "token revoke: %s", res.err);
    harness_run_cleanup(&res);
    cr_expect_eq(editor_get(easy, token), 401,
                 "a revoked token was still taken: %ld", editor_get(easy, token));
    curl_easy_cleanup(easy);
    close(fd);
}

/*
 * RFC 9110 (11.4, 5.5): one or more spaces part the scheme from the token,
 * the scheme is case-insensitive, and blanks around a field value are not
 * part of it.  Sent byte for byte, so that no client library tidies them.
 */
Test(e2e_write, takes_a_bearer_token_with_the_blanks_http_allows)
{
    /* What goes before the token, and after it. */
    static const char *const shapes[][2] = {
        {"Bearer  ", ""},      {"Bearer ", "  "},      {"Bearer ", "\t"},
        {"bearer   ", " \t "}, {"BEARER ", ""},
    };
    char req[512], reply[65536];
    size_t i;

    for (i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        snprintf(req, sizeof req,
                 "GET /v1/topics/1/revisions HTTP/1.1\r\nHost: x\r\n"
                 "Authorization: %s%s%s\r\nConnection: close\r\n\r\n",
                 shapes[i][0], editor, shapes[i][1]);
        cr_assert_gt(http_raw(&srv, req, reply, sizeof reply), 0);
        cr_expect_eq(http_raw_status(reply), 200,
                     "'Authorization: %sTOKEN%s' got %d", shapes[i][0],
                     shapes[i][1], http_raw_status(reply));
    }
}

/* PATCHes path's tags to tag with If-Match im; returns the status. */
static long
patch_with(const char *path, const char *im, const char *tag)
{
    struct http_reply r;
    char body[96];
    long status;

    snprintf(body, sizeof body, "{\"tags\":[\"%s\"]}", tag);
    status = send_write(&srv, "PATCH", path, editor,
                        "application/merge-patch+json", im, body, &r);
    http_reply_cleanup(&r);
    return status;
}

/*
 * If-Match as RFC 9110 (13.1.1) has it: "*" matches any current version,
 * a list matches when any of its tags does, comparison is strong (a weak
 * tag never matches, even of the current version), and a field that is
 * neither is a 400 that changes nothing.
 */
Test(e2e_write, if_match_takes_a_star_and_lists_and_compares_strongly)
{
    char path[64], etag[64], im[256];
    struct http_reply r;
    long long id = create();

    snprintf(path, sizeof path, "/v1/topics/%lld", id);
    cr_expect_eq(patch_with(path, "*", "star"), 200);
    etag_of(path, etag);
    snprintf(im, sizeof im, "\"0000000000000000\", %s", etag);
    cr_expect_eq(patch_with(path, im, "listed"), 200, "If-Match: %s", im);
    etag_of(path, etag);
    snprintf(im, sizeof im, "W/%s", etag);
    cr_expect_eq(patch_with(path, im, "weak"), 412, "If-Match: %s", im);
    snprintf(im, sizeof im, "W/%s,\"0000000000000000\"", etag);
    cr_expect_eq(patch_with(path, im, "weak"), 412, "If-Match: %s", im);
    cr_expect_eq(patch_with(path, etag, "strong"), 200);
    etag_of(path, etag);
    snprintf(im, sizeof im, "%.*s", (int)strlen(etag) - 2, etag + 1);
    cr_expect_eq(patch_with(path, im, "unquoted"), 400, "If-Match: %s", im);
    snprintf(im, sizeof im, "%s x", etag);
    cr_expect_eq(patch_with(path, im, "trailing"), 400, "If-Match: %s", im);
    cr_expect_eq(patch_with(path, "\"a\",\"b\",\"c\",\"d\",\"e\",\"f\","
                                  "\"g\",\"h\",\"i\"",
                            "nine"),
                 400);
    /* None of the refused ones changed it. */
    cr_assert_eq(http_request(&srv, "GET", path, NULL, NULL, 0, &r), 0);
    cr_expect_not_null(strstr(r.body, "\"tags\":[\"strong\"]"), "%s", r.body);
    http_reply_cleanup(&r);
    /* "*" is for a topic that exists. */
    cr_expect_eq(patch_with("/v1/topics/999999", "*", "none"), 404);
}

/* ---- ids across imports ------------------------------------------------ */

/*
 * A copy of content/ in the server's directory, named dir, with one more
 * topic file for slug (category tools) whose answer is answer.
 */
static void
content_with(char *dir, size_t cap, const char *name, const char *slug,
             const char *answer)
{
    char path[HARNESS_PATH_MAX + 64], text[512];
    int n;

    (void)snprintf(dir, cap, "%s/%s", srv.dir, name);
    testutil_copy_tree("content", dir);
    if (slug == NULL)
        return;
    n = snprintf(text, sizeof(text),
                 "---\ntitle: \"写入测试\"\ntitle_en: \"Write test\"\n"
                 "slug: \"%s\"\ncategory: \"tools\"\norder: 90\n"
                 "tags: [\"git\", \"testing\"]\n---\n%s\n",
                 slug, answer);
    (void)snprintf(path, sizeof(path), "%s/tools/%s.md", dir, slug);
    testutil_spit(path, text, (size_t)n);
}

/* Runs "wenda import --db <the server's> dir" and gives its stdout. */
static char *
cli_import(const char *dir)
{
    char db[HARNESS_PATH_MAX + 16];
    const char *args[] = {"import", "--db", db, dir, NULL};
    struct harness_run_result r;
    char *out;

    (void)snprintf(db, sizeof(db), "%s/wenda.db", srv.dir);
    harness_run_or_fail(args, 60, NULL, &r);
    cr_assert_eq(r.status, 0, "import exited %d:\n%s", r.status, r.err);
    out = strdup(r.out);
    harness_run_cleanup(&r);
    return out;
}

/*
 * GETs path until its status is want, for up to 3 s: a reader keeps its
 * snapshot for up to a second after another process wrote.
 */
static void
get_until(const char *path, long want, struct http_reply *r)
{
    for (int i = 0; i < 30; i++) {
        cr_assert_eq(http_request(&srv, "GET", path, NULL, NULL, 0, r), 0);
        if (r->status == want)
            return;
        http_reply_cleanup(r);
        (void)usleep(100 * 1000);
    }
    cr_assert_fail("GET %s never answered %ld", path, want);
}

/* The "action" of each revision of topic id, newest first, comma-joined. */
static void
revision_actions(long long id, char *out, size_t cap)
{
    struct http_reply r;
    char path[64];
    json_t *doc, *rev;
    size_t i, len = 0;

    (void)snprintf(path, sizeof(path), "/v1/topics/%lld/revisions", id);
    cr_assert_eq(send_write(&srv, "GET", path, editor, NULL, NULL, NULL, &r),
                 200, "%.*s", (int)r.len, r.body);
    doc = http_json(&r);
    out[0] = '\0';
    json_array_foreach(json_object_get(doc, "items") != NULL
                           ? json_object_get(doc, "items")
                           : doc,
                       i, rev)
        len += (size_t)snprintf(out + len, cap - len, "%s%s:%s",
                                i ? "," : "",
                                json_string_value(json_object_get(rev,
                                                                  "action")),
                                json_string_value(json_object_get(rev,
                                                                  "who")));
    json_decref(doc);
    http_reply_cleanup(&r);
}

Test(e2e_admin, an_import_keeps_the_id_and_history_of_a_topic_of_its_slug)
{
    char dir[HARNESS_PATH_MAX + 16], path[64], actions[256], *out;
    struct http_reply r;
    long long id;
    json_t *doc;

    start_admin(NULL);
    id = create();
    content_with(dir, sizeof(dir), "with-it", "write-test", "文件里的回答");
    out = cli_import(dir);
    cr_assert_not_null(strstr(out, "0 added, 1 changed, 64 unchanged, "
                                   "0 removed"),
                       "%s", out);
    free(out);
    (void)snprintf(path, sizeof(path), "/v1/topics/%lld", id);
    get_until(path, 200, &r);
    doc = http_json(&r);
    for (int i = 0; i < 30 && json_integer_value(json_object_get(doc,
                                                      "version")) != 2;
         i++) {
        json_decref(doc);
        http_reply_cleanup(&r);
        (void)usleep(100 * 1000);
        get_until(path, 200, &r);
        doc = http_json(&r);
    }
    cr_assert_str_eq(json_string_value(json_object_get(doc, "slug")),
                     "write-test");
    cr_assert_not_null(strstr(json_string_value(json_object_get(doc,
                                                                 "answer")),
                              "文件里的回答"));
    cr_assert_eq(json_integer_value(json_object_get(doc, "version")), 2);
    json_decref(doc);
    http_reply_cleanup(&r);
    revision_actions(id, actions, sizeof(actions));
    cr_assert_str_eq(actions, "update:import,create:editor-one");
}

Test(e2e_admin, an_import_removes_a_topic_and_never_gives_its_id_again)
{
    char dir[HARNESS_PATH_MAX + 16], path[64], actions[256], *out;
    struct http_reply r;
    long long id;
    json_t *doc;

    start_admin(NULL);
    id = create();
    content_with(dir, sizeof(dir), "shipped", NULL, NULL);
    out = cli_import(dir);
    cr_assert_not_null(strstr(out, "0 added, 0 changed, 64 unchanged, "
                                   "1 removed"),
                       "%s", out);
    free(out);
    (void)snprintf(path, sizeof(path), "/v1/topics/%lld", id);
    get_until(path, 404, &r);
    http_reply_cleanup(&r);
    revision_actions(id, actions, sizeof(actions));
    cr_assert_str_eq(actions, "delete:import,create:editor-one");

    /* A topic new to the database gets an id after it. */
    content_with(dir, sizeof(dir), "new-one", "file-made", "一个文件");
    out = cli_import(dir);
    cr_assert_not_null(strstr(out, "1 added, 0 changed, 64 unchanged, "
                                   "0 removed"),
                       "%s", out);
    free(out);
    get_until("/v1/topics/file-made", 200, &r);
    doc = http_json(&r);
    cr_assert_gt(json_integer_value(json_object_get(doc, "id")), id);
    json_decref(doc);
    http_reply_cleanup(&r);
    get_until(path, 404, &r);
    http_reply_cleanup(&r);
    revision_actions(id, actions, sizeof(actions));
    cr_assert_str_eq(actions, "delete:import,create:editor-one");
}

Test(e2e_admin, an_api_import_of_one_slug_twice_is_a_conflict_and_writes_nothing)
{
    static const char body[] =
        "{\"slug\":\"twice-over\",\"title\":\"两次\",\"category\":"
        "\"tools\",\"tags\":[\"git\"],\"answer\":\"一\"}\n"
        "{\"slug\":\"git-fork\",\"title\":\"改了\",\"category\":"
        "\"tools\",\"tags\":[\"git\"],\"answer\":\"二\"}\n"
        "{\"slug\":\"twice-over\",\"title\":\"两次\",\"category\":"
        "\"tools\",\"tags\":[\"git\"],\"answer\":\"三\"}\n";
    struct http_reply r;
    json_t *doc;
    const char *detail;

    start_admin(NULL);
    cr_assert_eq(send_write(&srv, "POST", "/v1/import", admin,
                            "application/x-ndjson", NULL, body, &r),
                 409, "%.*s", (int)r.len, r.body);
    cr_assert_not_null(strstr(http_header_or_empty(&r, "Content-Type"),
                              "application/problem+json"));
    doc = http_json(&r);
    detail = json_string_value(json_object_get(doc, "detail"));
    cr_assert_not_null(detail, "%s", r.body);
    cr_assert_not_null(strstr(detail, "twice-over"), "%s", detail);
    cr_assert_not_null(strstr(detail, "line 3"), "%s", detail);
    json_decref(doc);
    http_reply_cleanup(&r);
    cr_assert_eq(send_write(&srv, "GET", "/v1/topics/twice-over", admin,
                            NULL, NULL, NULL, &r),
                 404);
    http_reply_cleanup(&r);
    cr_assert_eq(send_write(&srv, "GET", "/v1/topics/git-fork", admin, NULL,
                            NULL, NULL, &r),
                 200);
    doc = http_json(&r);
    cr_assert_eq(json_integer_value(json_object_get(doc, "version")), 1);
    json_decref(doc);
    http_reply_cleanup(&r);
}
