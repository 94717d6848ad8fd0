/*
 * test_server.c -- the worker model seen from outside: the search
 * semaphore's 503, the body limit's 413, ETags and 304, /metrics, SIGHUP's
 * log re-open, and a SIGTERM in the middle of load that cuts no answered
 * request short and ends with exit status 0.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>

#include "harness.h"

static struct wenda_server srv;

static void
stop(void)
{
    harness_stop(&srv);
}

static long
get(const char *path, const char *const *headers, struct http_reply *r)
{
    cr_assert_eq(http_request(&srv, "GET", path, headers, NULL, 0, r), 0,
                 "no reply for %s", path);
    return r->status;
}

TestSuite(e2e_server, .fini = stop);

Test(e2e_server, answers_503_with_retry_after_when_no_search_slot_frees)
{
    static const char *const args[] = {"--search-slots", "0",
                                       "--search-wait", "10", NULL};
    struct http_reply r;
    json_t *doc;

    harness_start_or_fail(&srv, args);
    cr_assert_eq(get("/v1/search?q=gil", NULL, &r), 503);
    cr_assert_not_null(http_header(&r, "Retry-After"));
    cr_assert_str_eq(http_header(&r, "Content-Type"),
                     "application/problem+json; charset=utf-8");
    doc = http_json(&r);
    cr_assert_eq(json_integer_value(json_object_get(doc, "status")), 503);
    json_decref(doc);
    http_reply_cleanup(&r);
    /* Reads do not need a search slot. */
    cr_assert_eq(get("/v1/topics/1", NULL, &r), 200);
    http_reply_cleanup(&r);
    /* And the rejection is counted. */
    cr_assert_eq(get("/metrics", NULL, &r), 200);
    cr_assert_not_null(strstr(r.body, "wenda_search_rejected_total 1"), "%s",
                       r.body);
    cr_assert_not_null(strstr(r.body, "route=\"/v1/search\",status=\"503\""),
                       "%s", r.body);
    http_reply_cleanup(&r);
}

Test(e2e_server, a_test_server_ignores_the_wenda_variables_of_its_shell)
{
    struct http_reply r;

    /* As a shell that runs wenda itself might have them. */
    cr_assert_eq(setenv("WENDA_SEARCH_SLOTS", "0", 1), 0);
    cr_assert_eq(setenv("WENDA_SEARCH_WAIT_MS", "10", 1), 0);
    harness_start_or_fail(&srv, NULL);
    cr_assert_eq(get("/v1/search?q=gil", NULL, &r), 200, "%.*s",
                 (int)r.len, r.body);
    http_reply_cleanup(&r);
}

Test(e2e_server, answers_413_to_a_body_past_the_limit)
{
    static const char *const args[] = {"--max-body", "1024", NULL};
    struct http_reply r;
    char *body = malloc(64 * 1024);

    cr_assert_not_null(body);
    memset(body, 'x', 64 * 1024);
    harness_start_or_fail(&srv, args);
    cr_assert_eq(http_request(&srv, "POST", "/v1/topics", NULL, body,
                              64 * 1024, &r),
                 0);
    cr_assert_eq(r.status, 413, "status %ld", r.status);
    http_reply_cleanup(&r);
    free(body);
    /* The server still answers. */
    cr_assert_eq(get("/healthz", NULL, &r), 200);
    http_reply_cleanup(&r);
}

Test(e2e_server, tags_reads_and_answers_304_to_a_matching_if_none_match)
{
    const char *h[2] = {NULL, NULL};
    struct http_reply r, again;
    char header[128], etag[64];

    harness_start_or_fail(&srv, NULL);
    cr_assert_eq(get("/v1/topics/35", NULL, &r), 200);
    cr_assert_not_null(http_header(&r, "ETag"));
    snprintf(etag, sizeof etag, "%s", http_header(&r, "ETag"));
    http_reply_cleanup(&r);

    snprintf(header, sizeof header, "If-None-Match: %s", etag);
    h[0] = header;
    cr_assert_eq(get("/v1/topics/35", h, &again), 304);
    cr_assert_eq(again.len, 0);
    cr_assert_str_eq(http_header(&again, "ETag"), etag);
    http_reply_cleanup(&again);

    /* Another topic has another tag; a stale tag gets the full answer. */
    cr_assert_eq(get("/v1/topics/36", h, &r), 200);
    cr_assert_str_neq(http_header(&r, "ETag"), etag);
    http_reply_cleanup(&r);
    h[0] = "If-None-Match: \"0000000000000000\", W/\"1\"";
    cr_assert_eq(get("/v1/topics/35", h, &r), 200);
    cr_assert_gt(r.len, 0);
    http_reply_cleanup(&r);
    /* Lists and searches are tagged too. */
    cr_assert_eq(get("/v1/topics?limit=5", NULL, &r), 200);
    cr_assert_not_null(http_header(&r, "ETag"));
    http_reply_cleanup(&r);
    cr_assert_eq(get("/v1/search?q=gil", NULL, &r), 200);
    cr_assert_not_null(http_header(&r, "ETag"));
    http_reply_cleanup(&r);
}

Test(e2e_server, exposes_prometheus_metrics)
{
    struct http_reply r;

    harness_start_or_fail(&srv, NULL);
    cr_assert_eq(get("/v1/topics/1", NULL, &r), 200);
    http_reply_cleanup(&r);
    cr_assert_eq(get("/nope", NULL, &r), 404);
    http_reply_cleanup(&r);
    cr_assert_eq(get("/metrics", NULL, &r), 200);
    cr_assert_not_null(strstr(http_header(&r, "Content-Type"), "text/plain"));
    cr_assert_not_null(
        strstr(r.body, "wenda_requests_total{route=\"/v1/topics/{id}\","
                       "status=\"200\"} 1\n"),
        "%s", r.body);
    cr_assert_not_null(
        strstr(r.body, "wenda_requests_total{route=\"other\",status=\"404\"}"
                       " 1\n"),
        "%s", r.body);
    cr_assert_not_null(strstr(r.body, "# TYPE wenda_request_duration_seconds "
                                      "histogram"));
    cr_assert_not_null(strstr(r.body, "wenda_request_duration_seconds_count"
                                      "{route=\"/v1/topics/{id}\"} 1\n"));
    /* The scrape itself is in flight while it is rendered (the request
     * before it may still be finishing on the server's side). */
    {
        const char *g = strstr(r.body, "\nwenda_requests_in_flight ");

        cr_assert_not_null(g, "%s", r.body);
        cr_assert(atoi(g + strlen("\nwenda_requests_in_flight ")) >= 1, "%s",
                  r.body);
    }
    cr_assert_not_null(strstr(r.body, "wenda_connections_open "));
    cr_assert_not_null(strstr(r.body, "\nwenda_write_queue_depth 0\n"), "%s",
                       r.body);
    http_reply_cleanup(&r);
}

Test(e2e_server, reopens_its_log_on_sighup)
{
    char log[600], moved[640], cmd[16];
    const char *args[3] = {"--log", log, NULL};
    struct stat st;
    struct http_reply r;
    int i;

    snprintf(log, sizeof log, "/tmp/wenda-log-%ld.log", (long)getpid());
    snprintf(moved, sizeof moved, "%s.1", log);
    (void)unlink(log);
    (void)unlink(moved);
    harness_start_or_fail(&srv, args);
    cr_assert_eq(stat(log, &st), 0, "no log file at %s", log);
    cr_assert_eq(rename(log, moved), 0);
    cr_assert_eq(kill(srv.pid, SIGHUP), 0);
    /* Bounded wait for the signal to be handled; not a speed assertion. */
    for (i = 0; i < 500 && stat(log, &st) != 0; i++)
        usleep(10 * 1000);
    cr_assert_eq(stat(log, &st), 0, "SIGHUP did not re-create %s", log);
    cr_assert_eq(get("/healthz", NULL, &r), 200);
    http_reply_cleanup(&r);
    (void)cmd;
    (void)unlink(log);
    (void)unlink(moved);
}

/* ---- SIGTERM during load --------------------------------------------- */

#define CLIENTS 8
#define MAX_REQUESTS 4000

struct client {
    pthread_t thread;
    atomic_int ok;       /* 2xx answers received whole */
    atomic_int broken;   /* 2xx answers cut short or unparsable */
    atomic_int refused;  /* requests after the listener closed */
};

static atomic_int stopping;

static void *
client_main(void *arg)
{
    struct client *c = arg;
    CURL *easy = curl_easy_init();
    static const char *const paths[] = {"/v1/topics/35", "/v1/search?q=gil",
                                        "/v1/topics?limit=10",
                                        "/v1/categories"};
    int i;

    for (i = 0; i < MAX_REQUESTS; i++) {
        struct http_reply r;
        int rc = http_request_on(easy, &srv, "GET", paths[i % 4], NULL, NULL,
                                 0, &r);

        if (rc != 0) {
            /* A transport error is fine only once the server is stopping,
             * and only before an answer began: a 2xx cut short is broken. */
            if (r.status >= 200 && r.status < 300)
                c->broken++;
            else
                c->refused++;
            http_reply_cleanup(&r);
            if (atomic_load(&stopping))
                break;
            continue;
        }
        if (r.status >= 200 && r.status < 300) {
            json_error_t err;
            json_t *doc = json_loadb(r.body, r.len, 0, &err);

            if (doc == NULL)
                c->broken++;
            else
                c->ok++;
            json_decref(doc);
        }
        http_reply_cleanup(&r);
    }
    curl_easy_cleanup(easy);
    return NULL;
}

Test(e2e_server, finishes_answers_in_flight_on_sigterm_and_exits_0)
{
    struct client clients[CLIENTS];
    struct http_reply r;
    int i, total = 0, broken = 0, status;

    harness_start_or_fail(&srv, NULL);
    memset(clients, 0, sizeof(clients));
    atomic_store(&stopping, 0);
    for (i = 0; i < CLIENTS; i++)
        cr_assert_eq(pthread_create(&clients[i].thread, NULL, client_main,
                                    &clients[i]),
                     0);
    /* Let the load start: wait until the server has answered some. */
    for (i = 0; i < 1000; i++) {
        int done = 0, k;

        for (k = 0; k < CLIENTS; k++)
            done += clients[k].ok;
        if (done >= 200)
            break;
        usleep(5 * 1000);
    }
    atomic_store(&stopping, 1);
    status = harness_stop(&srv);
    for (i = 0; i < CLIENTS; i++) {
        pthread_join(clients[i].thread, NULL);
        total += clients[i].ok;
        broken += clients[i].broken;
    }
    cr_assert_eq(status, 0, "exit status %d", status);
    cr_assert_gt(total, 0);
    cr_assert_eq(broken, 0, "%d answers were cut short", broken);
    (void)r;
}

/* ---- changes made by another process ------------------------------- */

static void
write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fputs(text, f) >= 0, 1);
    cr_assert_eq(fclose(f), 0);
}

Test(e2e_server, serves_a_change_made_by_another_process)
{
    char dir[] = "/tmp/wenda-change-XXXXXX", path[256], db[4200];
    const char *args[5];
    struct harness_run_result res;
    struct http_reply r;
    int i, seen = 0;

    harness_start_or_fail(&srv, NULL);
    /* The server now holds a read snapshot on each thread. */
    cr_assert_eq(get("/v1/topics/1", NULL, &r), 200);
    cr_assert_not_null(strstr(r.body, "\"slug\":\"django-advantages\""));
    http_reply_cleanup(&r);

    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/categories.yml", dir);
    write_text(path, "- slug: \"misc\"\n  name: \"杂项\"\n"
                     "  name_en: \"Miscellany\"\n");
    snprintf(path, sizeof path, "%s/misc", dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/misc/changed-topic.md", dir);
    write_text(path, "---\ntitle: \"改过的题目\"\ntitle_en: \"Changed\"\n"
                     "slug: \"changed-topic\"\ncategory: \"misc\"\norder: 1\n"
                     "tags: [\"misc\"]\naliases: []\n---\nNew answer.\n");
    snprintf(db, sizeof db, "%s/wenda.db", srv.dir);
    args[0] = "import";
    args[1] = "--db";
    args[2] = db;
    args[3] = dir;
    args[4] = NULL;
    cr_assert_eq(harness_run(args, 30.0, &res), 0);
    cr_assert_eq(res.status, 0, "import failed: %s", res.err);
    harness_run_cleanup(&res);

    /* Seen within the snapshot's age limit (1 s); polled for at most 10 s,
     * a hang guard, not a speed requirement. */
    for (i = 0; i < 1000 && !seen; i++) {
        long status = get("/v1/topics/changed-topic", NULL, &r);

        cr_assert(status == 200 || status == 404, "%ld", status);
        seen = status == 200 &&
               strstr(r.body, "\"slug\":\"changed-topic\"") != NULL;
        http_reply_cleanup(&r);
        if (!seen)
            usleep(10 * 1000);
    }
    cr_assert(seen, "the change never became visible");
    /* The topic that had id 1 goes (each thread's snapshot in its turn),
     * and its id goes to no other. */
    for (i = 0, seen = 0; i < 1000 && !seen; i++) {
        long status = get("/v1/topics/1", NULL, &r);

        cr_assert(status == 404 ||
                      strstr(r.body, "\"slug\":\"django-advantages\"") !=
                          NULL,
                  "%ld %s", status, r.body);
        seen = status == 404;
        http_reply_cleanup(&r);
        if (!seen)
            usleep(10 * 1000);
    }
    cr_assert(seen, "the topic of id 1 is never removed");
    snprintf(path, sizeof path, "%s/misc/changed-topic.md", dir);
    (void)unlink(path);
    snprintf(path, sizeof path, "%s/misc", dir);
    (void)rmdir(path);
    snprintf(path, sizeof path, "%s/categories.yml", dir);
    (void)unlink(path);
    (void)rmdir(dir);
}
