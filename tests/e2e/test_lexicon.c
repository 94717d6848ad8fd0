/*
 * test_lexicon.c -- the synonyms and the dictionary against the real
 * binary: GET with its ETag and 304, PUT as a topic's write goes (tokens
 * and roles, If-Match, a body checked whole and named by its JSON pointer,
 * nothing written on a refusal), the audit log, and content directories
 * through `wenda import`, a server and `wenda export`.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "../unit/testutil.h"
#include "harness.h"
#include "wenda/auth.h"
#include "wenda/content.h"

static struct wenda_server srv;
static char editor[WENDA_TOKEN_LEN + 1], reader[WENDA_TOKEN_LEN + 1];

static void
start(void)
{
    harness_start_or_fail(&srv, NULL);
    (void)harness_token(&srv, WENDA_ROLE_EDITOR, "lexicon-editor", editor);
    (void)harness_token(&srv, WENDA_ROLE_READER, "lexicon-reader", reader);
}

static void
stop(void)
{
    harness_stop(&srv);
}

TestSuite(e2e_lexicon, .init = start, .fini = stop);

/* ---- helpers ---------------------------------------------------------- */

/*
 * Sends PUT path with token (NULL: none), If-Match (NULL: none) and body
 * as application/json (type, when not NULL, instead).  Returns the status.
 */
static long
put(const char *path, const char *token, const char *if_match,
    const char *type, const char *body, struct http_reply *r)
{
    long status = http_send(&srv, "PUT", path, token,
                            type ? type : "application/json", if_match, body,
                            r);

    cr_assert_neq(status, -1, "PUT %s: no answer", path);
    return status;
}

/* GETs path: asserts 200 and copies the body (new) and the ETag (64
 * bytes). */
static char *
get(const char *path, char *etag)
{
    struct http_reply r;
    char *body;

    cr_assert_eq(http_request(&srv, "GET", path, NULL, NULL, 0, &r), 0);
    cr_assert_eq(r.status, 200, "GET %s: %ld %s", path, r.status, r.body);
    cr_assert_str_eq(http_header_or_empty(&r, "Content-Type"),
                     "application/json; charset=utf-8");
    cr_assert_not_null(http_header(&r, "ETag"), "GET %s: no ETag", path);
    (void)snprintf(etag, 64, "%s", http_header(&r, "ETag"));
    body = strdup(r.body);
    http_reply_cleanup(&r);
    return body;
}

/* Returns the JSON the content file path stands for (new). */
static char *
document_of(const char *path, const char *name)
{
    char *text, *json = NULL;
    size_t len;

    text = testutil_slurp(path, &len);
    cr_assert_not_null(text, "%s is missing", path);
    cr_assert_eq(wenda_content_parse_lexicon(path, name, text, len, &json,
                                             NULL, NULL),
                 WENDA_OK, "%s does not parse", path);
    free(text);
    return json;
}

/* Asserts the problem r is status of type, its detail starting so. */
static void
problem_is(const struct http_reply *r, long status, const char *type,
           const char *detail)
{
    json_t *p = http_json(r);
    const char *d = json_string_value(json_object_get(p, "detail"));

    cr_expect_eq(r->status, status, "%ld %s", r->status, r->body);
    cr_expect_str_eq(http_header_or_empty(r, "Content-Type"),
                     "application/problem+json; charset=utf-8");
    cr_expect_str_eq(json_string_value(json_object_get(p, "type")), type);
    cr_assert_not_null(d);
    cr_expect(strncmp(d, detail, strlen(detail)) == 0,
              "detail \"%s\", not \"%s...\"", d, detail);
    json_decref(p);
}

/* Counts the audit rows by who of target in the database of s. */
static int
audit_rows(const struct wenda_server *s, const char *who, const char *target)
{
    char path[HARNESS_PATH_MAX];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;

    testutil_join(path, sizeof(path), s->dir, "wenda.db");
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM audit WHERE "
                                    "who = ?1 AND target = ?2 AND action = "
                                    "'update'",
                                    -1, &st, NULL),
                 SQLITE_OK);
    sqlite3_bind_text(st, 1, who, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* ---- reads -------------------------------------------------------------- */

Test(e2e_lexicon, serves_the_shipped_documents_with_an_etag_and_304)
{
    const char *names[] = {"synonyms", "dictionary"};
    size_t i;

    for (i = 0; i < 2; i++) {
        char path[64], file[64], etag[64], inm[96], *body, *want;
        const char *h[] = {inm, NULL};
        struct http_reply r;

        (void)snprintf(path, sizeof(path), "/v1/%s", names[i]);
        (void)snprintf(file, sizeof(file), "content/%s.yml", names[i]);
        body = get(path, etag);
        want = document_of(file, names[i]);
        cr_expect_str_eq(body, want, "GET %s is not %s", path, file);
        (void)snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
        cr_assert_eq(http_request(&srv, "GET", path, h, NULL, 0, &r), 0);
        cr_expect_eq(r.status, 304);
        cr_expect_eq(r.len, 0);
        http_reply_cleanup(&r);
        cr_assert_eq(http_request(&srv, "HEAD", path, NULL, NULL, 0, &r), 0);
        cr_expect_eq(r.status, 200);
        cr_expect_str_eq(http_header_or_empty(&r, "ETag"), etag);
        http_reply_cleanup(&r);
        free(body);
        free(want);
    }
}

Test(e2e_lexicon, allows_get_head_and_put_only)
{
    struct http_reply r;

    cr_assert_eq(http_request(&srv, "OPTIONS", "/v1/dictionary", NULL, NULL,
                              0, &r),
                 0);
    cr_expect_eq(r.status, 204);
    cr_expect_str_eq(http_header_or_empty(&r, "Allow"),
                     "GET, HEAD, PUT, OPTIONS");
    http_reply_cleanup(&r);
    cr_assert_eq(http_request(&srv, "DELETE", "/v1/synonyms", NULL, NULL, 0,
                              &r),
                 0);
    cr_expect_eq(r.status, 405);
    cr_expect_str_eq(http_header_or_empty(&r, "Allow"), "GET, HEAD, PUT");
    http_reply_cleanup(&r);
    cr_assert_eq(http_request(&srv, "POST", "/v1/synonyms", NULL, "{}", 2,
                              &r),
                 0);
    cr_expect_eq(r.status, 405);
    http_reply_cleanup(&r);
}

/* ---- writes that are refused ------------------------------------------ */

Test(e2e_lexicon, refuses_a_put_without_a_token_or_of_a_reader)
{
    struct http_reply r;
    char etag[64], *before = get("/v1/synonyms", etag), *after;

    cr_expect_eq(put("/v1/synonyms", NULL, etag, NULL, "{}", &r), 401);
    cr_expect_str_eq(http_header_or_empty(&r, "WWW-Authenticate"),
                     "Bearer");
    http_reply_cleanup(&r);
    cr_expect_eq(put("/v1/dictionary", reader, "*", NULL, "{}", &r), 403);
    problem_is(&r, 403, "/problems/forbidden", "this needs the editor role");
    http_reply_cleanup(&r);
    after = get("/v1/synonyms", etag);
    cr_expect_str_eq(after, before);
    free(before);
    free(after);
}

Test(e2e_lexicon, needs_if_match)
{
    struct http_reply r;

    cr_expect_eq(put("/v1/synonyms", editor, NULL, NULL, "{}", &r), 428);
    problem_is(&r, 428, "/problems/precondition-required",
               "this needs If-Match with the document's ETag");
    http_reply_cleanup(&r);
    cr_expect_eq(put("/v1/synonyms", editor, "not-a-tag", NULL, "{}", &r),
                 400);
    http_reply_cleanup(&r);
}

Test(e2e_lexicon, refuses_a_stale_if_match_and_writes_nothing)
{
    struct http_reply r;
    char etag[64], again[64], *before = get("/v1/dictionary", etag), *after;

    cr_expect_eq(put("/v1/dictionary", editor, "\"0123456789abcdef\"", NULL,
                     "{\"words\":[\"猴子\"]}", &r),
                 412);
    problem_is(&r, 412, "/problems/precondition-failed",
               "If-Match does not name the document's current version");
    http_reply_cleanup(&r);
    /* A weak tag never matches, even the current one. */
    {
        char weak[72];

        (void)snprintf(weak, sizeof(weak), "W/%s", etag);
        cr_expect_eq(put("/v1/dictionary", editor, weak, NULL,
                         "{\"words\":[\"猴子\"]}", &r),
                     412);
        http_reply_cleanup(&r);
    }
    after = get("/v1/dictionary", again);
    cr_expect_str_eq(after, before);
    cr_expect_str_eq(again, etag);
    free(before);
    free(after);
}

Test(e2e_lexicon, refuses_a_bad_body_naming_the_value_at_fault)
{
    struct http_reply r;
    char etag[64], again[64], *before = get("/v1/synonyms", etag), *after;

    cr_expect_eq(put("/v1/synonyms", editor, etag, NULL,
                     "{\"groups\": [[\"长连接\", \"keep-alive\"], "
                     "[\"持久连接\", \"Keep-Alive\"]]}",
                     &r),
                 400);
    problem_is(&r, 400, "/problems/invalid-parameter",
               "/groups/1/1: 'Keep-Alive' is in another group too");
    http_reply_cleanup(&r);
    cr_expect_eq(put("/v1/synonyms", editor, etag, NULL,
                     "{\"rules\": [{\"from\": \"a\", \"to\": [\"b\"]}, "
                     "{\"from\": \"b\", \"to\": [\"a\"]}]}",
                     &r),
                 400);
    problem_is(&r, 400, "/problems/invalid-parameter",
               "/rules/0: 'a' leads back to itself");
    http_reply_cleanup(&r);
    cr_expect_eq(put("/v1/dictionary", editor, "*", NULL,
                     "{\"words\": [\"猴子\", \"monkey\"]}", &r),
                 400);
    problem_is(&r, 400, "/problems/invalid-parameter",
               "/words/1: must be a word of 2 to 8 Chinese characters");
    http_reply_cleanup(&r);
    cr_expect_eq(put("/v1/synonyms", editor, etag, NULL, "{\"groups\": [",
                     &r),
                 400);
    problem_is(&r, 400, "/problems/malformed-document",
               "the body is not valid JSON");
    http_reply_cleanup(&r);
    cr_expect_eq(put("/v1/synonyms", editor, etag, NULL, "[]", &r), 400);
    problem_is(&r, 400, "/problems/invalid-parameter",
               "the body must be a JSON object");
    http_reply_cleanup(&r);
    cr_expect_eq(put("/v1/synonyms", editor, etag, "text/yaml",
                     "groups: []\n", &r),
                 415);
    http_reply_cleanup(&r);
    after = get("/v1/synonyms", again);
    cr_expect_str_eq(after, before);
    cr_expect_str_eq(again, etag);
    free(before);
    free(after);
}

/* ---- writes that go through -------------------------------------------- */

Test(e2e_lexicon, replaces_a_document_that_a_get_then_gives_back)
{
    static const char body[] =
        "{ \"rules\": [ {\"to\": [\"python\"], \"from\": \"py\"} ],\n"
        "  \"groups\": [ [\"协程\", \"coroutine\"] ] }";
    static const char stored[] =
        "{\"groups\":[[\"协程\",\"coroutine\"]],\"rules\":[{\"from\":\"py\","
        "\"to\":[\"python\"]}]}";
    struct http_reply r;
    char etag[64], now[64], put_etag[64], *doc;

    free(get("/v1/synonyms", etag));
    cr_assert_eq(put("/v1/synonyms", editor, etag, NULL, body, &r), 200,
                 "%s", r.body);
    cr_expect_str_eq(http_header_or_empty(&r, "Content-Type"),
                     "application/json; charset=utf-8");
    cr_expect_str_eq(r.body, stored);
    (void)snprintf(put_etag, sizeof(put_etag), "%s",
                   http_header_or_empty(&r, "ETag"));
    http_reply_cleanup(&r);
    doc = get("/v1/synonyms", now);
    cr_expect_str_eq(doc, stored);
    cr_expect_str_eq(now, put_etag, "the PUT's ETag is not the GET's");
    cr_expect_str_neq(now, etag);
    free(doc);
    /* The old tag is stale now; the new one and "*" are not. */
    cr_expect_eq(put("/v1/synonyms", editor, etag, NULL, "{}", &r), 412);
    http_reply_cleanup(&r);
    cr_expect_eq(put("/v1/synonyms", editor, now, NULL, "{\"groups\":[]}",
                     &r),
                 200);
    cr_expect_str_eq(r.body, "{\"groups\":[]}");
    http_reply_cleanup(&r);
    cr_expect_eq(put("/v1/synonyms", editor, "*", NULL, "{}", &r), 200);
    cr_expect_str_eq(r.body, "{}");
    http_reply_cleanup(&r);
    doc = get("/v1/synonyms", now);
    cr_expect_str_eq(doc, "{}");
    free(doc);
    cr_expect_eq(audit_rows(&srv, "lexicon-editor", "lexicon/synonyms"), 3);
    cr_expect_eq(audit_rows(&srv, "lexicon-editor", "lexicon/dictionary"),
                 0);
}

Test(e2e_lexicon, takes_an_if_match_list_and_the_tag_of_a_gzip_answer)
{
    struct http_reply r;
    char etag[64], list[200], gz[64], *doc;

    free(get("/v1/dictionary", etag));
    (void)snprintf(list, sizeof(list), "\"0000000000000000\", %s", etag);
    cr_expect_eq(put("/v1/dictionary", editor, list, NULL,
                     "{\"words\":[\"猴子补丁\"]}", &r),
                 200, "%s", r.body);
    http_reply_cleanup(&r);
    doc = get("/v1/dictionary", etag);
    cr_expect_str_eq(doc, "{\"words\":[\"猴子补丁\"]}");
    free(doc);
    /* "…-gz" names the same version as the plain tag. */
    (void)snprintf(gz, sizeof(gz), "%.17s-gz\"", etag);
    cr_expect_eq(put("/v1/dictionary", editor, gz, NULL, "{\"words\":[]}",
                     &r),
                 200, "%s: %s", gz, r.body);
    http_reply_cleanup(&r);
}

Test(e2e_lexicon, is_read_with_a_token_only_on_a_private_server)
{
    const char *const args[] = {"--private", NULL};
    char auth[128];
    const char *h[] = {auth, NULL};
    struct http_reply r;

    harness_stop(&srv);
    harness_start_or_fail(&srv, args);
    (void)harness_token(&srv, WENDA_ROLE_READER, "private-reader", reader);
    cr_assert_eq(http_request(&srv, "GET", "/v1/synonyms", NULL, NULL, 0, &r),
                 0);
    cr_expect_eq(r.status, 401);
    http_reply_cleanup(&r);
    (void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", reader);
    cr_assert_eq(http_request(&srv, "GET", "/v1/dictionary", h, NULL, 0, &r),
                 0);
    cr_expect_eq(r.status, 200);
    http_reply_cleanup(&r);
}

/* ---- content directories ------------------------------------------------ */

static char tmp[HARNESS_PATH_MAX];

static void
cli_setup(void)
{
    testutil_make_temp_dir(tmp, sizeof(tmp), "lexicon-cli");
}

static void
cli_teardown(void)
{
    harness_stop(&srv);
    testutil_remove_tree(tmp);
}

TestSuite(e2e_lexicon_cli, .init = cli_setup, .fini = cli_teardown);

/* Runs the binary with args; asserts it exits with status. */
static void
run(const char *const *args, int status, struct harness_run_result *r)
{
    harness_run_or_fail(args, 20, NULL, r);
    cr_assert_eq(r->status, status, "wenda %s %s: %d\n%s%s", args[0],
                 args[1], r->status, r->out, r->err);
}

Test(e2e_lexicon_cli, imports_serves_and_exports_a_content_directory)
{
    char dir[HARNESS_PATH_MAX], db[HARNESS_PATH_MAX], out[HARNESS_PATH_MAX],
        path[HARNESS_PATH_MAX], etag[64];
    const char *import[] = {"import", "--no-progress", "--db", db, dir,
                            NULL};
    const char *export[] = {"export", "--db", db, out, NULL};
    const char *serve[] = {"--db", db, NULL};
    struct harness_run_result r;
    char *doc;

    testutil_join(dir, sizeof(dir), tmp, "content");
    testutil_join(db, sizeof(db), tmp, "wenda.db");
    testutil_join(out, sizeof(out), tmp, "out");
    testutil_copy_tree("content", dir);
    testutil_join(path, sizeof(path), dir, "synonyms.yml");
    testutil_spit(path, "groups:\n- [\"长连接\", \"keep-alive\"]\n",
                  strlen("groups:\n- [\"长连接\", \"keep-alive\"]\n"));
    testutil_join(path, sizeof(path), dir, "dictionary.yml");
    testutil_spit(path, "words:\n- \"猴子补丁\"\n",
                  strlen("words:\n- \"猴子补丁\"\n"));
    run(import, 0, &r);
    harness_run_cleanup(&r);
    harness_start_or_fail(&srv, serve);
    doc = get("/v1/synonyms", etag);
    cr_expect_str_eq(doc, "{\"groups\":[[\"长连接\",\"keep-alive\"]]}");
    free(doc);
    doc = get("/v1/dictionary", etag);
    cr_expect_str_eq(doc, "{\"words\":[\"猴子补丁\"]}");
    free(doc);
    harness_stop(&srv);
    run(export, 0, &r);
    harness_run_cleanup(&r);
    cr_assert_gt(testutil_assert_same_tree(dir, out), 64);
}

Test(e2e_lexicon_cli, an_import_without_the_files_empties_both_documents)
{
    char dir[HARNESS_PATH_MAX], db[HARNESS_PATH_MAX], path[HARNESS_PATH_MAX],
        shipped[HARNESS_PATH_MAX], etag[64];
    const char *import[] = {"import", "--no-progress", "--db", db, dir,
                            NULL};
    const char *import_shipped[] = {"import", "--no-progress", "--db", db,
                                    shipped, NULL};
    struct harness_run_result r;
    sqlite3 *h;
    sqlite3_stmt *st;
    char *doc;
    int n = -1;

    testutil_join(dir, sizeof(dir), tmp, "bare");
    testutil_join(shipped, sizeof(shipped), tmp, "content");
    testutil_join(db, sizeof(db), tmp, "wenda.db");
    testutil_copy_tree("content", dir);
    testutil_copy_tree("content", shipped);
    testutil_join(path, sizeof(path), dir, "synonyms.yml");
    cr_assert_eq(unlink(path), 0);
    testutil_join(path, sizeof(path), dir, "dictionary.yml");
    cr_assert_eq(unlink(path), 0);
    run(import_shipped, 0, &r);
    harness_run_cleanup(&r);
    /* The same documents again: no new version, no audit row. */
    run(import_shipped, 0, &r);
    harness_run_cleanup(&r);
    run(import, 0, &r);
    harness_run_cleanup(&r);
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(h, "SELECT count(*) FROM audit WHERE "
                                    "who = 'import'",
                                    -1, &st, NULL),
                 SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    cr_expect_eq(n, 4, "%d audit rows by the imports, not 2 + 2", n);
    {
        const char *serve[] = {"--db", db, NULL};

        harness_start_or_fail(&srv, serve);
    }
    doc = get("/v1/synonyms", etag);
    cr_expect_str_eq(doc, "{}");
    free(doc);
    doc = get("/v1/dictionary", etag);
    cr_expect_str_eq(doc, "{}");
    free(doc);
}

Test(e2e_lexicon_cli, check_names_the_file_and_line_of_a_bad_term)
{
    char dir[HARNESS_PATH_MAX], path[HARNESS_PATH_MAX],
        want[HARNESS_PATH_MAX + 64];
    const char *check[] = {"check", dir, NULL};
    static const char text[] = "groups:\n"
                               "- [\"协程\", \"coroutine\"]\n"
                               "- [\"微线程\", \"协程\"]\n";
    struct harness_run_result r;

    testutil_join(dir, sizeof(dir), tmp, "content");
    testutil_copy_tree("content", dir);
    testutil_join(path, sizeof(path), dir, "synonyms.yml");
    testutil_spit(path, text, strlen(text));
    run(check, 1, &r);
    (void)snprintf(want, sizeof(want), "%s:3: /groups/1/1: '协程' is in "
                   "another group too", path);
    cr_expect_not_null(strstr(r.err, want), "%s", r.err);
    harness_run_cleanup(&r);
}
