/*
 * test_cluster_nodes.c -- real wenda processes on 127.0.0.1 as a Raft
 * cluster of three (serve --cluster; test_cluster.c has the cluster of
 * one): they form a cluster, send a follower's writes to the leader with
 * a 307 and serve reads that wait for an index; they
 * keep every acknowledged write through ten kill -9 and three SIGSTOP of
 * the leader, and end with the same topics, the same search results and
 * a sound full-text index each; a fourth node is added and removed again
 * (wenda cluster add, remove); a node wiped of its files catches up.
 *
 * Node 1's database is imported from content/ and given an admin token
 * before it starts with --peers naming all three; nodes 2 and 3 start
 * with no database and no Raft state, and join when the leader contacts
 * them.  Every node keeps its HTTP port, its Raft port and its files for
 * the whole test (harness_prepare(), harness_hold_port()), so that a node
 * killed or stopped starts again as itself, with the flags it first had.
 *
 * Every wait is bounded and every test ends by itself.  No check depends
 * on the machine's speed but the one the design promises: once the leader
 * is killed, a new leader acknowledges a write within LEADER_BOUND_S.  The
 * tests that make a cluster take turns (cluster_lock()), and are skipped
 * while the binary has no --cluster.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>

#include "../unit/testutil.h"
#include "harness.h"
#include "store_int.h"
#include "wenda/auth.h"
#include "wenda/store.h"

#define NODES_MAX 4
#define READY_BOUND_S 30.0   /* a node started or restarted is ready */
#define LEADER_BOUND_S 5.0   /* a killed leader is replaced (the promise) */
#define AGREE_BOUND_S 15.0   /* the running nodes name the same leader */
#define KILL_CYCLES 10
#define STOP_CYCLES 3
#define STOP_MS 3000         /* how long a leader stays stopped */
#define WRITE_TIMEOUT_MS 3000
#define WRITER_PAUSE_MS 10   /* between two acknowledged writes */
#define RUN_TIMEOUT_S 30
#define POLL_MS 50

/* One node: its HTTP server, its Raft address, its state in the test. */
struct node {
    int id;                    /* --node-id, 1.. */
    struct wenda_server srv;   /* HTTP port, directory, process */
    unsigned short raft_port;
    int raft_fd;               /* keeps raft_port; -1 when not held */
    char raft_addr[32];
    char id_text[16];
    int prepared;              /* srv and raft_port are held */
    int stopped;               /* SIGSTOPped */
};

static struct node nodes[NODES_MAX];
static char token[WENDA_TOKEN_LEN + 1];     /* admin, made on node 1 */
static char auth[WENDA_TOKEN_LEN + 32];     /* "Authorization: Bearer ..." */
static char peers[256];                     /* --peers of node 1 */
static struct wenda_server plain;           /* a server that is no cluster */

static void
teardown(void)
{
    int i;

    for (i = 0; i < NODES_MAX; i++) {
        struct node *n = &nodes[i];

        if (!n->prepared)
            continue;
        harness_signal(&n->srv, SIGCONT);
        harness_stop_keep(&n->srv);
        harness_remove_dir(&n->srv);
        if (n->raft_fd >= 0)
            close(n->raft_fd);
        n->raft_fd = -1;
        n->prepared = 0;
    }
    harness_stop(&plain);
}

TestSuite(e2e_cluster_nodes, .fini = teardown);

/* ---- nodes ---------------------------------------------------------------- */

/* Readies node id (1..): a directory, an HTTP port and a Raft port. */
static struct node *
node_prepare(int id)
{
    struct node *n = &nodes[id - 1];

    cr_assert_eq(harness_prepare(&n->srv), 0, "%s", n->srv.why);
    n->srv.timeout_ms = WRITE_TIMEOUT_MS;
    n->raft_fd = harness_hold_port(&n->raft_port);
    cr_assert_geq(n->raft_fd, 0, "no free port for Raft");
    n->id = id;
    n->prepared = 1;
    n->stopped = 0;
    /* Node 3 goes by a name, as a pod does: the nodes resolve it. */
    (void)snprintf(n->raft_addr, sizeof(n->raft_addr), "%s:%u",
                   id == 3 ? "localhost" : "127.0.0.1",
                   (unsigned)n->raft_port);
    (void)snprintf(n->id_text, sizeof(n->id_text), "%d", id);
    return n;
}

/* Starts n (again) with its flags: --peers on node 1 only. */
static void
node_start(struct node *n)
{
    const char *argv[12];
    size_t k = 0;

    argv[k++] = "--cluster";
    argv[k++] = "--node-id";
    argv[k++] = n->id_text;
    argv[k++] = "--raft-address";
    argv[k++] = n->raft_addr;
    argv[k++] = "--advertise-url";
    argv[k++] = n->srv.base_url;
    if (n->id == 1) {
        argv[k++] = "--peers";
        argv[k++] = peers;
    }
    argv[k] = NULL;
    harness_start_at_or_fail(&n->srv, argv);
    n->stopped = 0;
}

/* Whether n's process runs and takes requests. */
static int
node_live(const struct node *n)
{
    return n->prepared && n->srv.pid > 0 && !n->stopped;
}

/* The node whose base URL url starts with (then '/' or its end), or NULL. */
static struct node *
node_by_url(const char *url)
{
    int i;

    for (i = 0; i < NODES_MAX; i++) {
        size_t len = strlen(nodes[i].srv.base_url);

        if (nodes[i].prepared &&
            strncmp(url, nodes[i].srv.base_url, len) == 0 &&
            (url[len] == '/' || url[len] == '\0'))
            return &nodes[i];
    }
    return NULL;
}

/*
 * Waits for the other cluster tests of this run to end: each holds a lock
 * on one file for as long as its process lives, so that no two clusters
 * share the machine's cores and each one's elections keep their pace.
 */
static void
cluster_lock(void)
{
    const char *base = getenv("TMPDIR");
    char path[HARNESS_PATH_MAX];
    int fd;

    (void)snprintf(path, sizeof(path), "%s/wenda-e2e-cluster.lock",
                   base != NULL && base[0] != '\0' ? base : "/tmp");
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0, "cannot open %s", path);
    cr_assert_eq(flock(fd, LOCK_EX), 0, "cannot lock %s", path);
    /* fd stays open: the lock goes with the test's process. */
}

/*
 * Makes and starts a cluster of count nodes: node 1's database imported
 * from content/ with an admin token, started with --peers; the others
 * empty.  Returns when every node is ready.
 */
static void wait_ready(double bound_s);
static void wait_voters(int want);

static void
cluster_start(int count)
{
    char content[4096], db[HARNESS_PATH_MAX + 16];
    const char *import[] = {"import", "--db", db, content, NULL};
    struct harness_run_result r;
    size_t len = 0;
    int i;

    cr_assert_not_null(realpath("content", content),
                       "content/ not found (run from the repository root)");
    cluster_lock();
    for (i = 1; i <= count; i++) {
        struct node *n = node_prepare(i);

        len += (size_t)snprintf(peers + len, sizeof(peers) - len, "%s%d=%s",
                                i > 1 ? "," : "", i, n->raft_addr);
        cr_assert_lt(len, sizeof(peers));
    }
    (void)snprintf(db, sizeof(db), "%s/wenda.db", nodes[0].srv.dir);
    harness_run_or_fail(import, RUN_TIMEOUT_S, NULL, &r);
    cr_assert_eq(r.status, 0, "import: %s", r.err);
    harness_run_cleanup(&r);
    harness_token(&nodes[0].srv, WENDA_ROLE_ADMIN, "cluster", token);
    (void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    for (i = 0; i < count; i++)
        node_start(&nodes[i]);
    wait_ready(READY_BOUND_S);
    /* The leader adds the others as it reaches them: every node a voter
     * before a test may lose one. */
    wait_voters(count);
}

/* ---- requests ------------------------------------------------------------- */

/*
 * Sends method path to n with the admin token (and body as JSON, when not
 * NULL, and the header extra, when not NULL).  Returns the status, or -1
 * when no answer came; *r is the caller's to clean up either way.
 */
static long
send_to(const struct node *n, const char *method, const char *path,
        const char *extra, const char *body, struct http_reply *r)
{
    const char *hdrs[4];
    size_t k = 0;

    hdrs[k++] = auth;
    if (body != NULL)
        hdrs[k++] = "Content-Type: application/json";
    if (extra != NULL)
        hdrs[k++] = extra;
    hdrs[k] = NULL;
    if (http_request(&n->srv, method, path, hdrs, body,
                     body != NULL ? strlen(body) : 0, r) != 0)
        return -1;
    return r->status;
}

/* The Wenda-Index of r, or -1 when it has none that parses. */
static long long
index_of(const struct http_reply *r)
{
    const char *v = http_header(r, "Wenda-Index");
    char *end;
    long long n;

    if (v == NULL || *v < '0' || *v > '9')
        return -1;
    n = strtoll(v, &end, 10);
    return *end == '\0' || *end == ' ' ? n : -1;
}

/* The body of a new topic called slug. */
static void
topic_body(char *out, size_t cap, const char *slug)
{
    (void)snprintf(out, cap,
                   "{\"slug\":\"%s\",\"title\":\"集群 %s\",\"title_en\":"
                   "\"Cluster %s\",\"category\":\"tools\",\"tags\":"
                   "[\"git\"],\"answer\":\"写入集群的主题 %s: raftwrite\"}",
                   slug, slug, slug, slug);
}

/*
 * Creates the topic slug through the cluster, starting at node from and
 * following redirects to the leader, retrying on 503 (no leader yet) for
 * at most bound_s.  Returns its Wenda-Index; fails the test when it is
 * not acknowledged.
 */
static long long
create_topic(struct node *from, const char *slug, double bound_s)
{
    double deadline = harness_now() + harness_scaled(bound_s);
    struct node *n = from;
    char body[512];
    long long idx = -1;

    topic_body(body, sizeof(body), slug);
    for (;;) {
        struct http_reply r;
        long status = send_to(n, "POST", "/v1/topics", NULL, body, &r);
        struct node *next = n;

        if (status == 307)
            next = node_by_url(http_header_or_empty(&r, "Location"));
        if (status == 201)
            idx = index_of(&r);
        cr_assert(status == 201 || status == 307 || status == 503 ||
                      status == -1,
                  "POST %s to node %d: %ld %s", slug, n->id, status, r.body);
        cr_assert_not_null(next, "a 307 to no node: %s",
                           http_header_or_empty(&r, "Location"));
        http_reply_cleanup(&r);
        if (status == 201) {
            cr_assert_gt(idx, 0, "the 201 of %s has no Wenda-Index", slug);
            return idx;
        }
        cr_assert_lt(harness_now(), deadline, "%s not acknowledged within "
                     "%.0f s", slug, bound_s);
        if (status != 307)
            harness_sleep_ms(POLL_MS);
        n = next;
    }
}

/* ---- waiting -------------------------------------------------------------- */

/* Waits until every live node's /readyz answers 200. */
static void
wait_ready(double bound_s)
{
    double deadline = harness_now() + harness_scaled(bound_s);
    int i;

    for (i = 0; i < NODES_MAX; i++) {
        struct node *n = &nodes[i];
        long status = 0;

        while (node_live(n)) {
            struct http_reply r;

            status = send_to(n, "GET", "/readyz", NULL, NULL, &r);
            http_reply_cleanup(&r);
            if (status == 200)
                break;
            if (harness_now() >= deadline) {
                char tail[2048];

                harness_log_tail(&n->srv, tail, sizeof(tail));
                cr_assert_fail("node %d not ready within %.0f s (/readyz "
                               "%ld); log tail:\n%s", n->id, bound_s,
                               status, tail);
            }
            harness_sleep_ms(POLL_MS);
        }
    }
}

/* GET /v1/cluster of n as a new JSON object, or NULL when it is not 200. */
static json_t *
cluster_doc(const struct node *n)
{
    struct http_reply r;
    json_t *doc = NULL;

    if (send_to(n, "GET", "/v1/cluster", NULL, NULL, &r) == 200)
        doc = json_loadb(r.body, r.len, 0, NULL);
    http_reply_cleanup(&r);
    return doc;
}

/*
 * Returns the id of the leader once one live node says it leads and every
 * other live node names it as the leader; fails after bound_s.
 */
static int
leader_id(double bound_s)
{
    double deadline = harness_now() + harness_scaled(bound_s);

    for (;;) {
        int i, leader = 0, agree = 1;

        for (i = 0; i < NODES_MAX && agree; i++) {
            json_t *doc, *l;
            int named = 0;

            if (!node_live(&nodes[i]))
                continue;
            doc = cluster_doc(&nodes[i]);
            l = json_object_get(doc, "leader");
            if (json_is_object(l))
                named = (int)json_integer_value(json_object_get(l, "id"));
            if (named > 0 && leader == 0)
                leader = named;
            agree = named > 0 && named == leader;
            json_decref(doc);
        }
        if (agree && leader > 0 && node_live(&nodes[leader - 1]))
            return leader;
        cr_assert_lt(harness_now(), deadline, "the live nodes named no "
                     "common leader within %.0f s", bound_s);
        harness_sleep_ms(POLL_MS);
    }
}

/* ---- a writer that keeps creating topics ---------------------------------- */

/* One acknowledged write. */
struct ack {
    char slug[32];
    double at;          /* when the 201 came (harness_now()) */
    int node;           /* the id of the node that gave it */
};

/*
 * The writer thread: it creates topics chaos-N one after another, from
 * whichever node answers, and records every 201 as acknowledged.  It
 * asserts nothing (Criterion asserts on the test's thread only): what
 * went wrong is in problem, for the test to report.
 */
struct writer {
    pthread_t thread;
    pthread_mutex_t lock;
    atomic_int stop;
    struct wenda_server targets[NODES_MAX]; /* copies: only URLs are read */
    int ntargets;
    struct ack *acks;                       /* under lock */
    size_t nacks, cap;
    long long max_index;                    /* under lock */
    long sent, no_answer, unavailable, redirects;
    char problem[512];                      /* the first unexpected answer */
};

static void
writer_record(struct writer *w, const char *slug, long long idx, int node)
{
    pthread_mutex_lock(&w->lock);
    if (w->nacks == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 1024;
        struct ack *grown = realloc(w->acks, cap * sizeof(*grown));

        if (grown == NULL) {
            (void)snprintf(w->problem, sizeof(w->problem), "out of memory");
            pthread_mutex_unlock(&w->lock);
            return;
        }
        w->acks = grown;
        w->cap = cap;
    }
    (void)snprintf(w->acks[w->nacks].slug, sizeof(w->acks[0].slug), "%s",
                   slug);
    w->acks[w->nacks].at = harness_now();
    w->acks[w->nacks].node = node;
    w->nacks++;
    if (idx > w->max_index)
        w->max_index = idx;
    pthread_mutex_unlock(&w->lock);
}

/* The index of the target whose base URL url starts with, or -1. */
static int
writer_target(const struct writer *w, const char *url)
{
    int i;

    for (i = 0; i < w->ntargets; i++) {
        size_t len = strlen(w->targets[i].base_url);

        if (strncmp(url, w->targets[i].base_url, len) == 0 &&
            (url[len] == '/' || url[len] == '\0'))
            return i;
    }
    return -1;
}

/* Notes an unexpected answer (the first only). */
static void
writer_problem(struct writer *w, const char *slug, int node, long status,
               const char *body)
{
    pthread_mutex_lock(&w->lock);
    if (w->problem[0] == '\0')
        (void)snprintf(w->problem, sizeof(w->problem),
                       "POST %s to node %d: %ld %.300s", slug, node, status,
                       body != NULL ? body : "");
    pthread_mutex_unlock(&w->lock);
}

static void *
writer_main(void *arg)
{
    struct writer *w = arg;
    const char *hdrs[] = {auth, "Content-Type: application/json", NULL};
    int target = 0, serial = 0, fresh = 1, retried = 0;
    char slug[32], body[512];

    while (!atomic_load(&w->stop)) {
        struct http_reply r;
        long status;
        int next;

        if (fresh) {
            (void)snprintf(slug, sizeof(slug), "chaos-%d", ++serial);
            topic_body(body, sizeof(body), slug);
            fresh = retried = 0;
        }
        w->sent++;
        status = http_request(&w->targets[target], "POST", "/v1/topics",
                              hdrs, body, strlen(body), &r) == 0
                     ? r.status
                     : -1;
        if (status == 201) {
            if (index_of(&r) < 0)
                writer_problem(w, slug, target + 1, status,
                               "a 201 without Wenda-Index");
            writer_record(w, slug, index_of(&r), target + 1);
            fresh = 1;
            harness_sleep_ms(WRITER_PAUSE_MS);
        } else if (status == 307) {
            w->redirects++;
            next = writer_target(w, http_header_or_empty(&r, "Location"));
            if (next < 0)
                writer_problem(w, slug, target + 1, status,
                               http_header_or_empty(&r, "Location"));
            target = next < 0 ? (target + 1) % w->ntargets : next;
        } else if (status == -1 || status == 503) {
            /* No answer: the write may or may not have been made, so the
             * next one is another topic.  A 503 made nothing: again. */
            w->no_answer += status == -1;
            w->unavailable += status == 503;
            fresh = status == -1;
            retried = status == 503;
            target = (target + 1) % w->ntargets;
            harness_sleep_ms(POLL_MS);
        } else if (status == 409 && retried) {
            fresh = 1; /* a 503 that had made it after all: not counted */
        } else {
            writer_problem(w, slug, target + 1, status, r.body);
            fresh = 1;
            harness_sleep_ms(POLL_MS);
        }
        http_reply_cleanup(&r);
    }
    return NULL;
}

static void
writer_start(struct writer *w, int count)
{
    int i;

    memset(w, 0, sizeof(*w));
    pthread_mutex_init(&w->lock, NULL);
    atomic_init(&w->stop, 0);
    for (i = 0; i < count; i++)
        w->targets[i] = nodes[i].srv;
    w->ntargets = count;
    cr_assert_eq(pthread_create(&w->thread, NULL, writer_main, w), 0);
}

static void
writer_stop(struct writer *w)
{
    atomic_store(&w->stop, 1);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
}

static void
writer_cleanup(struct writer *w)
{
    free(w->acks);
    w->acks = NULL;
}

/*
 * Returns the seconds from since to the first write acknowledged after it
 * by a node other than not_by, waiting for it at most bound_s; -1 when
 * none came.
 */
static double
first_ack_after(struct writer *w, double since, int not_by, double bound_s)
{
    double deadline = since + harness_scaled(bound_s);

    for (;;) {
        double found = -1;
        size_t i;

        pthread_mutex_lock(&w->lock);
        for (i = w->nacks; i > 0 && w->acks[i - 1].at > since; i--)
            if (w->acks[i - 1].node != not_by)
                found = w->acks[i - 1].at - since;
        pthread_mutex_unlock(&w->lock);
        if (found >= 0)
            return found;
        if (harness_now() >= deadline)
            return -1;
        harness_sleep_ms(POLL_MS / 5);
    }
}

/* Waits until the writer has count acknowledged writes (bounded). */
static void
wait_acks(struct writer *w, size_t count, double bound_s)
{
    double deadline = harness_now() + harness_scaled(bound_s);
    size_t n;

    for (;;) {
        pthread_mutex_lock(&w->lock);
        n = w->nacks;
        pthread_mutex_unlock(&w->lock);
        if (n >= count)
            return;
        cr_assert_lt(harness_now(), deadline, "%zu writes acknowledged in "
                     "%.0f s, not %zu (%s)", n, bound_s, count,
                     w->problem);
        harness_sleep_ms(POLL_MS);
    }
}

/* ---- the nodes compared ----------------------------------------------------- */

/* One node's topics: its export, and its slugs sorted. */
struct holding {
    char *export;        /* GET /v1/export, NDJSON */
    char **slugs;        /* into export's copy in text */
    char *text;
    size_t nslugs;
};

static int
compare_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Reads n's export once it has applied min_index (Wenda-Min-Index) into
 * *h: the body, and the slug of every line, sorted.
 */
static void
holding_read(const struct node *n, long long min_index, struct holding *h)
{
    char path[64], *line, *save = NULL;
    struct http_reply r;
    size_t cap = 0;
    long status;

    memset(h, 0, sizeof(*h));
    (void)snprintf(path, sizeof(path), "/v1/export?min_index=%lld",
                   min_index);
    status = send_to(n, "GET", path, NULL, NULL, &r);
    cr_assert_eq(status, 200, "node %d: GET %s: %ld %.300s", n->id, path,
                 status, r.body);
    h->export = strdup(r.body);
    h->text = strdup(r.body);
    http_reply_cleanup(&r);
    cr_assert(h->export != NULL && h->text != NULL);
    for (line = strtok_r(h->text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char *slug = strstr(line, "\"slug\":\""), *end;

        cr_assert_not_null(slug, "node %d: an export line without a slug: "
                           "%.200s", n->id, line);
        slug += 8;
        end = strchr(slug, '"');
        cr_assert_not_null(end);
        *end = '\0';
        if (h->nslugs == cap) {
            cap = cap ? 2 * cap : 1024;
            h->slugs = realloc(h->slugs, cap * sizeof(*h->slugs));
            cr_assert_not_null(h->slugs);
        }
        h->slugs[h->nslugs++] = slug;
    }
    qsort(h->slugs, h->nslugs, sizeof(*h->slugs), compare_str);
}

static int
holding_has(const struct holding *h, const char *slug)
{
    return bsearch(&slug, h->slugs, h->nslugs, sizeof(*h->slugs),
                   compare_str) != NULL;
}

static void
holding_cleanup(struct holding *h)
{
    free(h->export);
    free(h->text);
    free(h->slugs);
    memset(h, 0, sizeof(*h));
}

/* Expects a and b (of nodes ia and ib) to be the same export; names the
 * first line where they differ. */
static void
expect_same_export(const struct holding *a, int ia, const struct holding *b,
                   int ib)
{
    const char *p = a->export, *q = b->export;
    size_t line = 1;

    if (strcmp(p, q) == 0)
        return;
    for (; *p != '\0' && *p == *q; p++, q++)
        line += *p == '\n';
    while (p > a->export && p[-1] != '\n') {
        p--;
        q--;
    }
    cr_expect_fail("nodes %d and %d export different topics (%zu and %zu); "
                   "line %zu:\n%.400s\n%.400s", ia, ib, a->nslugs, b->nslugs,
                   line, p, q);
}

/*
 * Expects every acknowledged write of w on every live node, read once it
 * has applied the highest index acknowledged, the nodes to hold the same
 * topics, and the same answers to a few searches.
 */
static void
expect_same_everywhere(struct writer *w, long long min_index)
{
    static const char *const queries[] = {
        "/v1/search?q=raftwrite&limit=50", "/v1/search?q=deadlock",
        "/v1/search?q=%E6%AD%BB%E9%94%81", "/v1/search?q=chaos-1"};
    struct holding h[NODES_MAX];
    char *answers[NODES_MAX];
    char min[64];
    int i, first = -1;
    size_t k, q;

    (void)snprintf(min, sizeof(min), "Wenda-Min-Index: %lld", min_index);
    for (i = 0; i < NODES_MAX; i++) {
        if (!node_live(&nodes[i]))
            continue;
        holding_read(&nodes[i], min_index, &h[i]);
        for (k = 0; k < w->nacks; k++)
            cr_expect(holding_has(&h[i], w->acks[k].slug),
                      "node %d lacks %s, acknowledged by node %d", i + 1,
                      w->acks[k].slug, w->acks[k].node);
        if (first < 0)
            first = i;
        else
            expect_same_export(&h[first], first + 1, &h[i], i + 1);
    }
    for (q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
        for (i = 0; i < NODES_MAX; i++) {
            struct http_reply r;
            long status;

            answers[i] = NULL;
            if (!node_live(&nodes[i]))
                continue;
            status = send_to(&nodes[i], "GET", queries[q], min, NULL, &r);
            cr_expect_eq(status, 200, "node %d: %s: %ld", i + 1, queries[q],
                         status);
            answers[i] = strdup(r.body);
            http_reply_cleanup(&r);
            if (i != first && answers[first] != NULL && answers[i] != NULL)
                cr_expect_str_eq(answers[i], answers[first],
                                 "nodes %d and %d answer %s differently",
                                 first + 1, i + 1, queries[q]);
        }
        for (i = 0; i < NODES_MAX; i++)
            free(answers[i]);
    }
    for (i = 0; i < NODES_MAX; i++)
        if (node_live(&nodes[i]))
            holding_cleanup(&h[i]);
}

/* Stops every node and expects its database, FTS5 index included, sound. */
static void
expect_sound_databases(void)
{
    int i;

    for (i = 0; i < NODES_MAX; i++) {
        char db[HARNESS_PATH_MAX + 16], msg[512];
        struct wenda_store *st;
        sqlite3_stmt *s;
        int rc;

        if (!nodes[i].prepared || nodes[i].srv.pid <= 0)
            continue;
        cr_expect_eq(harness_stop_keep(&nodes[i].srv), 0,
                     "node %d did not stop cleanly", i + 1);
        (void)snprintf(db, sizeof(db), "%s/wenda.db", nodes[i].srv.dir);
        cr_assert_eq(wenda_store_open(db, 0, &st, msg, sizeof(msg)),
                     WENDA_OK, "node %d: %s", i + 1, msg);
        rc = sqlite3_exec(wenda_store_db(st),
                          "INSERT INTO topics_fts(topics_fts) "
                          "VALUES ('integrity-check')",
                          NULL, NULL, NULL);
        cr_expect_eq(rc, SQLITE_OK, "node %d: FTS5 integrity-check: %s",
                     i + 1, sqlite3_errmsg(wenda_store_db(st)));
        cr_assert_eq(sqlite3_prepare_v2(wenda_store_db(st),
                                        "PRAGMA integrity_check", -1, &s,
                                        NULL),
                     SQLITE_OK);
        cr_expect_eq(sqlite3_step(s), SQLITE_ROW);
        cr_expect_str_eq((const char *)sqlite3_column_text(s, 0), "ok",
                         "node %d", i + 1);
        sqlite3_finalize(s);
        wenda_store_close(st);
    }
}

/* ---- the tests -------------------------------------------------------------- */

/*
 * Skips the current test when the binary has no clustering (serve --help
 * names no --cluster): these tests wait for it, and run once it is there.
 */
static void
require_clustering(void)
{
    static const char *const help[] = {"serve", "--help", NULL};
    struct harness_run_result r;
    int has;

    harness_run_or_fail(help, RUN_TIMEOUT_S, NULL, &r);
    has = strstr(r.out, "--cluster") != NULL;
    harness_run_cleanup(&r);
    if (!has)
        cr_skip_test("%s serve has no --cluster", harness_binary());
}

/*
 * What the cluster tests build on, with a plain server: a prepared server
 * starts again on its port and its files after kill -9 and after a stop,
 * and a SIGSTOPped one answers nothing until SIGCONT.
 */
Test(e2e_cluster_nodes, a_prepared_server_keeps_its_port_and_files_across_starts,
     .timeout = 60)
{
    static const char body[] =
        "{\"slug\":\"kept-across-starts\",\"title\":\"重启\","
        "\"category\":\"tools\",\"tags\":[\"git\"],\"answer\":\"还在\"}";
    struct node *n = node_prepare(1);
    unsigned short port = n->srv.port;
    char db[HARNESS_PATH_MAX + 16];
    struct http_reply r;
    double t0;

    harness_start_at_or_fail(&n->srv, NULL);
    harness_token(&n->srv, WENDA_ROLE_ADMIN, "restart", token);
    (void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    cr_assert_eq(send_to(n, "POST", "/v1/topics", NULL, body, &r), 201,
                 "%s", r.body);
    http_reply_cleanup(&r);

    harness_kill(&n->srv);
    harness_start_at_or_fail(&n->srv, NULL);
    cr_expect_eq(n->srv.port, port);
    cr_expect_eq(send_to(n, "GET", "/v1/topics/kept-across-starts", NULL,
                         NULL, &r), 200);
    http_reply_cleanup(&r);

    /* Stopped, it takes the connection but answers nothing. */
    harness_signal(&n->srv, SIGSTOP);
    n->srv.timeout_ms = 300;
    t0 = harness_now();
    cr_expect_eq(send_to(n, "GET", "/healthz", NULL, NULL, &r), -1);
    cr_expect_lt(harness_now() - t0, 5.0);
    http_reply_cleanup(&r);
    harness_signal(&n->srv, SIGCONT);
    n->srv.timeout_ms = WRITE_TIMEOUT_MS;
    cr_expect_eq(send_to(n, "GET", "/healthz", NULL, NULL, &r), 200);
    http_reply_cleanup(&r);

    /* A stopped server stops on SIGTERM all the same, its files kept. */
    harness_signal(&n->srv, SIGSTOP);
    cr_expect_eq(harness_stop_keep(&n->srv), 0);
    (void)snprintf(db, sizeof(db), "%s/wenda.db", n->srv.dir);
    cr_expect_eq(access(db, F_OK), 0, "%s is gone", db);
    harness_start_at_or_fail(&n->srv, NULL);
    cr_expect_eq(send_to(n, "GET", "/v1/topics/kept-across-starts", NULL,
                         NULL, &r), 200);
    http_reply_cleanup(&r);
}

/* Runs wenda with args (the caller's WENDA_SERVER and proxies left out). */
static void
run_cli(struct harness_run_result *r, const char *const *args)
{
    static const char *const unset[] = {"WENDA_SERVER", "WENDA_TOKEN",
                                        "http_proxy",   "HTTP_PROXY",
                                        "all_proxy",    "ALL_PROXY", NULL};
    struct harness_run_opts opts = {NULL, unset, NULL, 0};

    harness_run_or_fail(args, RUN_TIMEOUT_S, &opts, r);
}

Test(e2e_cluster_nodes, a_server_without_cluster_answers_not_a_cluster)
{
    char admin[WENDA_TOKEN_LEN + 1], bearer[WENDA_TOKEN_LEN + 32];
    const char *const hdrs[] = {bearer, NULL};
    const char *const status[] = {"cluster", "status", "--server",
                                  plain.base_url, "--token", admin, NULL};
    struct harness_run_result res;
    struct http_reply r;
    json_t *doc;

    require_clustering();
    harness_start_or_fail(&plain, NULL);
    harness_token(&plain, WENDA_ROLE_ADMIN, "cluster", admin);
    (void)snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s", admin);
    cr_assert_eq(http_request(&plain, "GET", "/v1/cluster", hdrs, NULL, 0,
                              &r), 0);
    cr_expect_eq(r.status, 404, "%s", r.body);
    doc = http_json(&r);
    cr_expect_str_eq(json_string_value(json_object_get(doc, "type")),
                     "/problems/not-a-cluster");
    json_decref(doc);
    http_reply_cleanup(&r);
    run_cli(&res, status);
    cr_expect_eq(res.status, 1, "%s", res.err);
    cr_expect_not_null(strstr(res.err, "not-a-cluster"), "%s", res.err);
    harness_run_cleanup(&res);
}

/* The number of voters in doc (GET /v1/cluster). */
static int
voters(const json_t *doc)
{
    const json_t *n;
    size_t i;
    int count = 0;

    json_array_foreach(json_object_get(doc, "nodes"), i, n) {
        const char *role = json_string_value(json_object_get(n, "role"));

        count += role != NULL && strcmp(role, "voter") == 0;
    }
    return count;
}

/* Waits until every live node counts want voters (bounded). */
static void
wait_voters(int want)
{
    double deadline = harness_now() + harness_scaled(READY_BOUND_S);
    int i;

    for (i = 0; i < NODES_MAX; i++) {
        int have = -1;

        while (node_live(&nodes[i])) {
            json_t *doc = cluster_doc(&nodes[i]);

            have = voters(doc);
            json_decref(doc);
            if (have == want)
                break;
            cr_assert_lt(harness_now(), deadline, "node %d counts %d "
                         "voters, not %d, after %.0f s", i + 1, have, want,
                         READY_BOUND_S);
            harness_sleep_ms(POLL_MS);
        }
    }
}

/* Expects doc (GET /v1/cluster) to name leader and three voters. */
static void
expect_three_voters(json_t *doc, int leader)
{
    json_t *nodes_doc = json_object_get(doc, "nodes"), *n;
    size_t i;

    cr_assert(json_is_object(doc), "no status document");
    cr_expect_eq(json_integer_value(json_object_get(
                     json_object_get(doc, "leader"), "id")),
                 leader);
    cr_expect_str_eq(json_string_value(json_object_get(
                         json_object_get(doc, "leader"), "url")),
                     nodes[leader - 1].srv.base_url);
    cr_assert_eq(json_array_size(nodes_doc), 3, "%zu nodes",
                 json_array_size(nodes_doc));
    json_array_foreach(nodes_doc, i, n) {
        int id = (int)json_integer_value(json_object_get(n, "id"));

        cr_assert(id >= 1 && id <= 3, "node id %d", id);
        cr_expect_str_eq(json_string_value(json_object_get(n, "role")),
                         "voter");
        cr_expect_str_eq(json_string_value(json_object_get(n, "address")),
                         nodes[id - 1].raft_addr);
    }
}

/*
 * Takes a snapshot of node n's database while it runs (wenda snapshot),
 * serves it as a read-only replica, as deploy/SNAPSHOTS.md does, and
 * expects the topic slug there; the replica refuses writes.
 */
static void
replica_from(const struct node *n, const char *slug)
{
    char db[HARNESS_PATH_MAX + 16], to[HARNESS_PATH_MAX + 16], path[128];
    const char *const snap[] = {"snapshot", "--db", db, to, NULL};
    const char *const ro[] = {"--read-only", NULL};
    struct harness_run_result res;
    struct http_reply r;

    cr_assert_eq(harness_prepare(&plain), 0, "%s", plain.why);
    (void)snprintf(db, sizeof(db), "%s/wenda.db", n->srv.dir);
    (void)snprintf(to, sizeof(to), "%s/wenda.db", plain.dir);
    run_cli(&res, snap);
    cr_assert_eq(res.status, 0, "snapshot of node %d: %s", n->id, res.err);
    harness_run_cleanup(&res);
    harness_start_at_or_fail(&plain, ro);
    (void)snprintf(path, sizeof(path), "/v1/topics/%s", slug);
    cr_assert_eq(http_request(&plain, "GET", path, NULL, NULL, 0, &r), 0);
    cr_expect_eq(r.status, 200, "the replica of node %d lacks %s: %s", n->id,
                 slug, r.body);
    http_reply_cleanup(&r);
    cr_assert_eq(http_request(&plain, "DELETE", path, NULL, NULL, 0, &r), 0);
    cr_expect_eq(r.status, 405, "%s", r.body);
    http_reply_cleanup(&r);
    harness_stop(&plain);
}

Test(e2e_cluster_nodes, three_nodes_form_a_cluster_that_redirects_and_replicates,
     .timeout = 240)
{
    static const char *const follower_metrics[] = {
        "wenda_raft_term", "wenda_raft_role", "wenda_raft_commit_index",
        "wenda_raft_applied_index", "wenda_raft_lag", "wenda_raft_leader_id"};
    char path[96], body[512], want[128];
    const char *cli[] = {"cluster", "status", "--server", NULL, "--token",
                         token, NULL};
    struct harness_run_result res;
    struct http_reply r;
    int leader, follower, i, leading = 0;
    long long idx;
    size_t k;

    require_clustering();
    cluster_start(3);
    leader = leader_id(AGREE_BOUND_S);
    follower = leader % 3 + 1;
    for (i = 0; i < 3; i++) {
        json_t *doc = cluster_doc(&nodes[i]);
        const char *role = json_string_value(json_object_get(doc, "role"));

        expect_three_voters(doc, leader);
        leading += role != NULL && strcmp(role, "leader") == 0;
        cr_expect_eq(json_integer_value(json_object_get(doc, "id")), i + 1);
        json_decref(doc);
    }
    cr_expect_eq(leading, 1, "%d nodes say they lead", leading);

    /* A write through node 1 is read on the others at its index. */
    idx = create_topic(&nodes[0], "formed-cluster", 10);
    for (i = 1; i < 3; i++) {
        (void)snprintf(path, sizeof(path),
                       "/v1/topics/formed-cluster?min_index=%lld", idx);
        cr_expect_eq(send_to(&nodes[i], "GET", path, NULL, NULL, &r), 200,
                     "node %d: %s", i + 1, r.body);
        cr_expect_not_null(strstr(r.body, "\"formed-cluster\""));
        cr_expect_geq(index_of(&r), idx, "node %d applied %s", i + 1,
                      http_header_or_empty(&r, "Wenda-Index"));
        http_reply_cleanup(&r);
    }

    /* A follower sends a write to the leader, and does not make it. */
    topic_body(body, sizeof(body), "sent-to-a-follower");
    cr_expect_eq(send_to(&nodes[follower - 1], "POST", "/v1/topics", NULL,
                         body, &r), 307);
    (void)snprintf(want, sizeof(want), "%s/v1/topics",
                   nodes[leader - 1].srv.base_url);
    cr_expect_str_eq(http_header_or_empty(&r, "Location"), want);
    cr_expect_str_eq(http_header_or_empty(&r, "Wenda-Leader"),
                     nodes[leader - 1].srv.base_url);
    cr_expect_geq(index_of(&r), 0, "a 307 without Wenda-Index");
    http_reply_cleanup(&r);

    /* Every answer of a node carries its index; /metrics its Raft state. */
    cr_expect_eq(send_to(&nodes[follower - 1], "GET", "/metrics", NULL, NULL,
                         &r), 200);
    cr_expect_geq(index_of(&r), 0, "/metrics without Wenda-Index");
    for (k = 0; k < sizeof(follower_metrics) / sizeof(follower_metrics[0]);
         k++)
        cr_expect_not_null(strstr(r.body, follower_metrics[k]),
                           "/metrics lacks %s", follower_metrics[k]);
    http_reply_cleanup(&r);

    /* wenda cluster status, asked of a follower, names the leader. */
    cli[3] = nodes[follower - 1].srv.base_url;
    run_cli(&res, cli);
    cr_expect_eq(res.status, 0, "%s", res.err);
    (void)snprintf(want, sizeof(want), "leader   node %d at %s", leader,
                   nodes[leader - 1].srv.base_url);
    cr_expect_not_null(strstr(res.out, want), "no '%s' in:\n%s", want,
                       res.out);
    cr_expect_not_null(strstr(res.out, "follower"), "%s", res.out);
    harness_run_cleanup(&res);

    /* A read replica fed from a follower's snapshot has the write. */
    replica_from(&nodes[follower - 1], "formed-cluster");
}

/*
 * Kills (or stops) the leader while w writes, and expects a new leader to
 * acknowledge a write; a killed leader starts again on its files.  Returns
 * the seconds from the kill to the first write acknowledged by another
 * node.
 */
static double
lose_the_leader(struct writer *w, int sig, int cycle)
{
    int leader = leader_id(AGREE_BOUND_S);
    struct node *n = &nodes[leader - 1];
    double t0, took;

    if (sig == SIGKILL) {
        harness_kill(&n->srv);
    } else {
        harness_signal(&n->srv, SIGSTOP);
        n->stopped = 1;
    }
    t0 = harness_now();
    took = first_ack_after(w, t0, leader, READY_BOUND_S);
    cr_expect_geq(took, 0, "cycle %d: no write acknowledged in %.0f s after "
                  "%s node %d, the leader (%s)", cycle, READY_BOUND_S,
                  sig == SIGKILL ? "killing" : "stopping", leader,
                  w->problem);
    if (sig == SIGKILL) {
        node_start(n);
    } else {
        double left = STOP_MS / 1000.0 - (harness_now() - t0);

        if (left > 0)
            harness_sleep_ms((long)(left * 1000));
        harness_signal(&n->srv, SIGCONT);
        n->stopped = 0;
    }
    wait_ready(READY_BOUND_S);
    return took;
}

Test(e2e_cluster_nodes, keeps_every_acknowledged_write_through_the_loss_of_leaders,
     .timeout = 300)
{
    struct writer w;
    double took, worst = 0;
    int k;

    require_clustering();
    cluster_start(3);
    writer_start(&w, 3);
    wait_acks(&w, 20, READY_BOUND_S);
    for (k = 1; k <= KILL_CYCLES; k++) {
        took = lose_the_leader(&w, SIGKILL, k);
        cr_expect_leq(took, LEADER_BOUND_S, "cycle %d: the first write after "
                      "the leader was killed came %.2f s later, over %.0f s",
                      k, took, LEADER_BOUND_S);
        worst = took > worst ? took : worst;
    }
    for (k = 1; k <= STOP_CYCLES; k++)
        (void)lose_the_leader(&w, SIGSTOP, KILL_CYCLES + k);
    /* A few writes more on the cluster as it ends. */
    pthread_mutex_lock(&w.lock);
    k = (int)w.nacks;
    pthread_mutex_unlock(&w.lock);
    wait_acks(&w, (size_t)k + 10, READY_BOUND_S);
    writer_stop(&w);
    cr_expect_str_empty(w.problem, "the writer met %s", w.problem);
    cr_log_info("%zu writes acknowledged of %ld sent (%ld without answer, "
                "%ld 503, %ld redirects); a new leader wrote %.2f s after "
                "a kill at worst; highest index %lld", w.nacks, w.sent,
                w.no_answer, w.unavailable, w.redirects, worst,
                w.max_index);
    expect_same_everywhere(&w, w.max_index);
    expect_sound_databases();
    writer_cleanup(&w);
}

/* Expects n, once it has applied min_index, to hold what node ref holds. */
static void
expect_caught_up(const struct node *n, const struct node *ref,
                 long long min_index)
{
    struct holding a, b;

    holding_read(ref, min_index, &a);
    holding_read(n, min_index, &b);
    expect_same_export(&a, ref->id, &b, n->id);
    holding_cleanup(&a);
    holding_cleanup(&b);
}

/* The number of members in n's GET /v1/cluster, or -1. */
static int
members(const struct node *n)
{
    json_t *doc = cluster_doc(n);
    int count = json_is_object(doc)
                    ? (int)json_array_size(json_object_get(doc, "nodes"))
                    : -1;

    json_decref(doc);
    return count;
}

/* Waits until the leader counts want members (bounded). */
static void
wait_members(int want)
{
    double deadline = harness_now() + harness_scaled(AGREE_BOUND_S);
    int have;

    while ((have = members(&nodes[leader_id(AGREE_BOUND_S) - 1])) != want) {
        cr_assert_lt(harness_now(), deadline, "the leader counts %d "
                     "members, not %d", have, want);
        harness_sleep_ms(POLL_MS);
    }
}

/* Stops n, removes its database and Raft state, and starts it again. */
static void
wipe_and_restart(struct node *n)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char path[HARNESS_PATH_MAX + 32];
    size_t i;

    cr_expect_eq(harness_stop_keep(&n->srv), 0);
    for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        (void)snprintf(path, sizeof(path), "%s/wenda.db%s", n->srv.dir,
                       suffix[i]);
        (void)unlink(path);
    }
    (void)snprintf(path, sizeof(path), "%s/wenda.db.raft", n->srv.dir);
    testutil_remove_tree(path);
    node_start(n);
}

Test(e2e_cluster_nodes, takes_a_fourth_node_lets_it_go_and_refills_a_wiped_one,
     .timeout = 240)
{
    const char *add[] = {"cluster", "add",  "--server", NULL,   "--token",
                         token,     "--id", "4",        "--address",
                         NULL,      "--url", NULL,      NULL};
    const char *rm[] = {"cluster", "remove", "--server", NULL, "--token",
                        token,     "--id",   "4",        NULL};
    struct harness_run_result res;
    struct node *fourth;
    long long idx;
    int leader;

    require_clustering();
    cluster_start(3);
    idx = create_topic(&nodes[0], "before-the-fourth", 10);

    /* A fourth node, started empty, is added and catches up. */
    fourth = node_prepare(4);
    node_start(fourth);
    add[3] = nodes[0].srv.base_url;
    add[9] = fourth->raft_addr;
    add[11] = fourth->srv.base_url;
    run_cli(&res, add);
    cr_assert_eq(res.status, 0, "cluster add: %s", res.err);
    cr_expect_not_null(strstr(res.out, "added node 4"), "%s", res.out);
    harness_run_cleanup(&res);
    wait_ready(READY_BOUND_S);
    wait_members(4);
    leader = leader_id(AGREE_BOUND_S);
    idx = create_topic(&nodes[leader - 1], "after-the-fourth", 10);
    expect_caught_up(fourth, &nodes[leader - 1], idx);

    /* Removed, it is no member any more. */
    rm[3] = nodes[leader % 3].srv.base_url; /* a follower: redirected */
    run_cli(&res, rm);
    cr_assert_eq(res.status, 0, "cluster remove: %s", res.err);
    cr_expect_not_null(strstr(res.out, "removed node 4"), "%s", res.out);
    harness_run_cleanup(&res);
    cr_expect_eq(harness_stop_keep(&fourth->srv), 0);
    wait_members(3);

    /* Node 3, wiped of its database and its Raft state, catches up. */
    wipe_and_restart(&nodes[2]);
    wait_ready(READY_BOUND_S);
    leader = leader_id(AGREE_BOUND_S);
    idx = create_topic(&nodes[leader - 1], "after-the-wipe", 10);
    expect_caught_up(&nodes[2], &nodes[leader - 1], idx);
    expect_sound_databases();
}
