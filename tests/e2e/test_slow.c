/*
 * test_slow.c -- many and slow clients, and a full write queue, against
 * the real binary.
 *
 * A crowd of 1,000 connections that never send a byte and 200 "slowloris"
 * connections that send their request headers one byte a second must
 * neither keep a normal client from its answers (each within a second) nor
 * outstay the idle timeout: libmicrohttpd restarts its own timeout with
 * every byte, so the slow ones are closed by wenda's request deadline.
 * One poll loop on its own thread drives the whole crowd and notes when
 * the server closes each connection.
 *
 * When the connection limit itself is full, a new client waits in the
 * kernel's listen queue until a slot frees, which the idle timeout bounds.
 *
 * The write queue is filled deterministically: the test holds the
 * database's write lock (BEGIN IMMEDIATE), so the writer blocks on its
 * first job; with --write-queue 1 at most one more job can wait, and every
 * other write is answered 503 at once.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>

#include "harness.h"
#include "wenda/auth.h"
#include "wenda/store.h"

#define IDLE_CONNS 1000
#define SLOW_CONNS 200
#define CROWD (IDLE_CONNS + SLOW_CONNS)
#define NORMAL_REQUESTS 20
#define IDLE_TIMEOUT_S 3
/* How much later than the idle timeout a close may come: the server's
 * timer granularity plus scheduling on a busy machine. */
#define CLOSE_MARGIN_S 2.0
/* Descriptors this process needs beside the crowd: libcurl, Criterion,
 * the harness. */
#define SPARE_FDS 100

/* One slowloris request; it would take a minute to send in full. */
static const char slow_request[] =
    "GET /v1/topics/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "User-Agent: one-byte-a-second\r\nAccept: application/json\r\n\r\n";

static struct wenda_server srv;

static void
stop(void)
{
    harness_stop(&srv);
}

TestSuite(e2e_slow, .fini = stop);

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Raises this process's soft limit on open files to the hard limit (the
 * server, forked from it, inherits it) and checks that need fit. */
static void
raise_nofile(rlim_t need)
{
    struct rlimit rl;

    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rl.rlim_cur = rl.rlim_max;
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0, "setrlimit: %s",
                 strerror(errno));
    cr_assert(rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need,
              "this test needs %llu open files; the hard limit is %llu",
              (unsigned long long)need, (unsigned long long)rl.rlim_cur);
}

/* Returns the soft "Max open files" of process pid, or 0. */
static unsigned long long
nofile_of(pid_t pid)
{
    char path[64], line[256];
    unsigned long long soft = 0;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%ld/limits", (long)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "Max open files", 14) == 0) {
            if (strncmp(line + 26, "unlimited", 9) == 0)
                soft = ~0ULL;
            else
                soft = strtoull(line + 26, NULL, 10);
        }
    }
    fclose(f);
    return soft;
}

/* Returns the value of the unlabelled metric name in a /metrics body, or
 * -1 when it is not there. */
static long
metric(const char *body, const char *name)
{
    size_t n = strlen(name);
    const char *p = body;

    while ((p = strstr(p, name)) != NULL) {
        if ((p == body || p[-1] == '\n') && p[n] == ' ')
            return strtol(p + n + 1, NULL, 10);
        p += n;
    }
    return -1;
}

/* GETs /metrics and returns the value of name, or -1. */
static long
server_metric(const char *name)
{
    struct http_reply r;
    long v = -1;

    if (http_request(&srv, "GET", "/metrics", NULL, NULL, 0, &r) == 0 &&
        r.status == 200)
        v = metric(r.body, name);
    http_reply_cleanup(&r);
    return v;
}

/* ---- the crowd: idle and slowloris connections ---------------------------- */

struct member {
    int fd;            /* -1 once closed */
    int slow;          /* sends slow_request a byte a second */
    double opened;     /* when connect() returned */
    double closed;     /* when the server's close was seen; 0 while open */
    size_t sent;       /* bytes of slow_request sent */
    size_t received;   /* bytes the server sent (none expected) */
};

struct crowd {
    struct member m[CROWD];
    double give_up;    /* the poll loop ends here at the latest */
    int open;
};

/* Notes that the server closed member k. */
static void
closed(struct crowd *c, int k)
{
    c->m[k].closed = now_s();
    close(c->m[k].fd);
    c->m[k].fd = -1;
    c->open--;
}

/*
 * The crowd's loop: sends every open slowloris its next byte once a
 * second and watches all open connections for the server's close, until
 * all are closed or give_up has passed.
 */
static void *
drive_crowd(void *arg)
{
    static struct pollfd pfd[CROWD];
    static int who[CROWD];
    struct crowd *c = arg;
    double next_byte = now_s();

    while (c->open > 0 && now_s() < c->give_up) {
        int n = 0, ready, i;

        if (now_s() >= next_byte) {
            for (i = 0; i < CROWD; i++) {
                struct member *m = &c->m[i];

                if (m->fd < 0 || !m->slow ||
                    m->sent + 1 >= sizeof slow_request)
                    continue;
                if (send(m->fd, slow_request + m->sent, 1, MSG_NOSIGNAL) ==
                    1)
                    m->sent++;
                else if (errno == EPIPE || errno == ECONNRESET)
                    closed(c, i);
            }
            next_byte += 1.0;
        }
        for (i = 0; i < CROWD; i++) {
            if (c->m[i].fd < 0)
                continue;
            pfd[n].fd = c->m[i].fd;
            pfd[n].events = POLLIN;
            pfd[n].revents = 0;
            who[n++] = i;
        }
        ready = poll(pfd, (nfds_t)n, 100);
        for (i = 0; ready > 0 && i < n; i++) {
            char buf[512];
            ssize_t got;

            if (pfd[i].revents == 0)
                continue;
            got = recv(pfd[i].fd, buf, sizeof buf, MSG_DONTWAIT);
            if (got > 0)
                c->m[who[i]].received += (size_t)got;
            else if (got == 0 || (errno != EAGAIN && errno != EINTR))
                closed(c, who[i]);
        }
    }
    return NULL;
}

Test(e2e_slow, answers_a_normal_client_beside_1000_idle_and_200_slow_connections,
     .timeout = 40)
{
    static struct crowd c;
    static const char *const args[] = {"--idle-timeout", "3", NULL};
    static const char *const paths[] = {"/v1/topics/1",
                                        "/v1/search?q=deadlock",
                                        "/v1/topics/deadlock",
                                        "/v1/search?q=%E6%AD%BB%E9%94%81"};
    char tail[2048];
    double slowest = 0, began, last_open = 0;
    double first_close[2] = {1e9, 1e9}, last_close[2] = {0, 0};
    pthread_t driver;
    long open_seen = -1, timeouts;
    int i, k;

    raise_nofile(CROWD + SPARE_FDS);
    harness_start_or_fail(&srv, args);
    /* The server has the same limit, or raised its own, and kept its
     * default connection limit for all of the crowd. */
    cr_assert_geq(nofile_of(srv.pid), CROWD + SPARE_FDS,
                  "the server may open %llu files",
                  nofile_of(srv.pid));

    memset(&c, 0, sizeof c);
    for (k = 0; k < CROWD; k++) {
        c.m[k].slow = k >= IDLE_CONNS;
        c.m[k].fd = harness_connect(&srv);
        cr_assert_geq(c.m[k].fd, 0, "connection %d: %s", k, strerror(errno));
        c.m[k].opened = now_s();
        c.open++;
    }
    last_open = now_s();
    c.give_up = last_open + IDLE_TIMEOUT_S + CLOSE_MARGIN_S + 1.0;
    cr_assert_eq(pthread_create(&driver, NULL, drive_crowd, &c), 0);

    /* Every member of the crowd is in: the server counts them open (and
     * this request's own connection). */
    began = now_s();
    while (now_s() - began < 2.0 &&
           (open_seen = server_metric("wenda_connections_open")) <= CROWD)
        sleep_ms(20);
    harness_log_tail(&srv, tail, sizeof tail);
    cr_assert_gt(open_seen, CROWD, "the server saw %ld connections open; "
                 "log tail:\n%s", open_seen, tail);

    /* A normal client, a fresh connection each time, meanwhile. */
    for (i = 0; i < NORMAL_REQUESTS; i++) {
        const char *path = paths[i % 4];
        struct http_reply r;
        double t0 = now_s(), took;

        cr_assert_eq(http_request(&srv, "GET", path, NULL, NULL, 0, &r), 0,
                     "request %d (%s): no answer", i, path);
        took = now_s() - t0;
        cr_assert_eq(r.status, 200, "request %d (%s): %ld", i, path,
                     r.status);
        cr_assert_eq(r.num_connects, 1);
        cr_assert_leq(took, 1.0, "request %d (%s) took %.3f s", i, path,
                      took);
        if (took > slowest)
            slowest = took;
        http_reply_cleanup(&r);
        sleep_ms(50);
    }

    pthread_join(driver, NULL);
    for (k = 0; k < CROWD; k++) {
        struct member *m = &c.m[k];
        double lived = m->closed - m->opened;

        cr_assert_eq(m->fd, -1, "%s connection %d still open %.1f s after "
                     "it was opened", m->slow ? "slow" : "idle", k,
                     now_s() - m->opened);
        /* Closed by a timeout, not refused at once ... */
        cr_assert_geq(lived, IDLE_TIMEOUT_S - 1.0, "%s connection %d closed "
                      "after %.2f s", m->slow ? "slow" : "idle", k, lived);
        /* ... and no later than the timeout allows, answered nothing. */
        cr_assert_leq(lived, IDLE_TIMEOUT_S + CLOSE_MARGIN_S,
                      "%s connection %d closed after %.2f s",
                      m->slow ? "slow" : "idle", k, lived);
        cr_assert_eq(m->received, 0);
        if (m->slow)
            cr_assert_lt(m->sent, sizeof slow_request - 1);
        if (lived < first_close[m->slow])
            first_close[m->slow] = lived;
        if (lived > last_close[m->slow])
            last_close[m->slow] = lived;
    }
    /* The slow ones were closed by the request deadline. */
    timeouts = server_metric("wenda_request_timeouts_total");
    cr_assert_geq(timeouts, SLOW_CONNS, "%ld request timeouts", timeouts);
    cr_log_info("%d normal requests beside %d idle and %d slow connections: "
                "slowest %.3f s; idle ones closed after %.2f-%.2f s, slow "
                "ones after %.2f-%.2f s; %ld request timeouts",
                NORMAL_REQUESTS, IDLE_CONNS, SLOW_CONNS, slowest,
                first_close[0], last_close[0], first_close[1], last_close[1],
                timeouts);
    cr_assert_eq(harness_stop(&srv), 0);
}

Test(e2e_slow, makes_a_new_client_wait_for_a_free_slot_when_the_limit_is_full,
     .timeout = 30)
{
    enum { LIMIT = 16, EXTRA = 8 };
    static const char *const args[] = {"--max-connections", "16",
                                       "--idle-timeout", "2", NULL};
    int fds[LIMIT + EXTRA], k;
    struct http_reply r;
    double t0, took;

    harness_start_or_fail(&srv, args);
    for (k = 0; k < LIMIT + EXTRA; k++) {
        fds[k] = harness_connect(&srv);
        cr_assert_geq(fds[k], 0, "connection %d: %s", k, strerror(errno));
    }
    /* The first LIMIT are the server's; the rest and the client wait in
     * the listen queue until the idle timeout frees the slots. */
    t0 = now_s();
    cr_assert_eq(http_request(&srv, "GET", "/v1/topics/1", NULL, NULL, 0,
                              &r),
                 0, "no answer");
    took = now_s() - t0;
    cr_assert_eq(r.status, 200);
    http_reply_cleanup(&r);
    cr_assert_geq(took, 1.0, "answered after %.2f s: the limit of %d "
                  "was not applied", took, LIMIT);
    cr_assert_leq(took, 2 + CLOSE_MARGIN_S, "answered after %.2f s", took);
    for (k = 0; k < LIMIT + EXTRA; k++)
        close(fds[k]);
    /* Nothing crashed: the server still answers and stops cleanly. */
    cr_assert_eq(http_request(&srv, "GET", "/healthz", NULL, NULL, 0, &r),
                 0);
    cr_assert_eq(r.status, 200);
    http_reply_cleanup(&r);
    cr_assert_eq(harness_stop(&srv), 0);
}

/* ---- a full write queue ---------------------------------------------------- */

#define QUEUED_WRITES 8

struct queued_write {
    pthread_t thread;
    int index;
    const char *token;
    atomic_int *done;      /* answers so far, of all the writes */
    atomic_int answered;   /* this one's: status and the rest are set */
    long status;
    char retry_after[16];
    char content_type[64];
    json_t *problem;
};

static void *
send_queued_write(void *arg)
{
    struct queued_write *w = arg;
    char body[256], auth[128];
    const char *h[3];
    struct http_reply r;

    snprintf(body, sizeof body,
             "{\"slug\":\"queued-%d\",\"title\":\"排队 %d\","
             "\"category\":\"tools\",\"tags\":[\"git\"],"
             "\"answer\":\"queued %d\"}",
             w->index, w->index, w->index);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", w->token);
    h[0] = auth;
    h[1] = "Content-Type: application/json";
    h[2] = NULL;
    w->status = -1;
    if (http_request(&srv, "POST", "/v1/topics", h, body, strlen(body),
                     &r) == 0) {
        w->status = r.status;
        snprintf(w->retry_after, sizeof w->retry_after, "%s",
                 http_header_or_empty(&r, "Retry-After"));
        snprintf(w->content_type, sizeof w->content_type, "%s",
                 http_header_or_empty(&r, "Content-Type"));
        if (r.status == 503)
            w->problem = json_loadb(r.body, r.len, 0, NULL);
    }
    http_reply_cleanup(&r);
    atomic_store(&w->answered, 1);
    atomic_fetch_add(w->done, 1);
    return NULL;
}

Test(e2e_slow, answers_503_with_retry_after_when_the_write_queue_is_full,
     .timeout = 30)
{
    static const char *const args[] = {"--write-queue", "1", NULL};
    struct queued_write w[QUEUED_WRITES];
    char db_path[4200], key_path[4300], msg[256],
        token[WENDA_TOKEN_LEN + 1];
    struct wenda_store *st;
    struct wenda_auth *a;
    atomic_int done = 0;
    sqlite3 *db;
    double t0;
    int i, rejected = 0, created = 0;

    harness_start_or_fail(&srv, args);
    snprintf(db_path, sizeof db_path, "%s/wenda.db", srv.dir);
    cr_assert_geq(sodium_init(), 0);
    cr_assert_eq(wenda_store_open(db_path, 0, &st, msg, sizeof msg),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_auth_key_path_for_db(db_path, key_path,
                                            sizeof key_path),
                 WENDA_OK);
    cr_assert_eq(wenda_auth_open(key_path, 1, &a, msg, sizeof msg),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_auth_token_create(a, st, WENDA_ROLE_EDITOR, "queue",
                                         0, token, NULL),
                 WENDA_OK);
    wenda_auth_close(a);
    wenda_store_close(st);

    /* Hold the write lock: the writer blocks on its first job. */
    cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL),
                 SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    cr_assert_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));

    for (i = 0; i < QUEUED_WRITES; i++) {
        memset(&w[i], 0, sizeof w[i]);
        atomic_init(&w[i].answered, 0);
        w[i].index = i;
        w[i].token = token;
        w[i].done = &done;
        cr_assert_eq(pthread_create(&w[i].thread, NULL, send_queued_write,
                                    &w[i]),
                     0);
    }
    /* One job in the writer and one in the queue may wait; every other
     * write is refused at once.  Only then is the lock let go. */
    t0 = now_s();
    while (atomic_load(&done) < QUEUED_WRITES - 2 && now_s() - t0 < 4.0)
        sleep_ms(10);
    cr_assert_geq(atomic_load(&done), QUEUED_WRITES - 2,
                  "%d of %d writes answered while the writer was blocked",
                  atomic_load(&done), QUEUED_WRITES);
    for (i = 0; i < QUEUED_WRITES; i++) {
        /* Nothing can have been committed yet. */
        if (atomic_load(&w[i].answered))
            cr_assert_eq(w[i].status, 503, "write %d", i);
    }
    cr_assert_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    for (i = 0; i < QUEUED_WRITES; i++) {
        struct http_reply r;
        char path[64];

        pthread_join(w[i].thread, NULL);
        cr_assert(w[i].status == 201 || w[i].status == 503,
                  "write %d: status %ld", i, w[i].status);
        snprintf(path, sizeof path, "/v1/topics/queued-%d", i);
        cr_assert_eq(http_request(&srv, "GET", path, NULL, NULL, 0, &r), 0);
        if (w[i].status == 201) {
            created++;
            cr_assert_eq(r.status, 200, "acknowledged write %d is missing",
                         i);
        } else {
            rejected++;
            cr_assert_eq(r.status, 404, "refused write %d was written", i);
            cr_assert_str_eq(w[i].retry_after, "1");
            cr_assert_str_eq(w[i].content_type,
                             "application/problem+json; charset=utf-8");
            cr_assert_not_null(w[i].problem);
            cr_assert_str_eq(json_string_value(json_object_get(w[i].problem,
                                                               "type")),
                             "/problems/unavailable");
            cr_assert_eq(json_integer_value(json_object_get(w[i].problem,
                                                            "status")),
                         503);
        }
        http_reply_cleanup(&r);
        json_decref(w[i].problem);
    }
    cr_assert_geq(rejected, QUEUED_WRITES - 2);
    cr_assert_geq(created, 1, "the writer's own job was not committed");
    cr_log_info("%d concurrent writes behind a held write lock with "
                "--write-queue 1: %d created, %d refused with 503",
                QUEUED_WRITES, created, rejected);
}
