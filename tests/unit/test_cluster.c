/*
 * test_cluster.c -- the cluster's log entries, its --peers lists, and a
 * node's state machine replicated by libraft's deterministic fixture.
 *
 * The fixture (raft/fixture.h) runs three Raft servers in this process
 * over an in-memory network and disk whose clock only moves when a test
 * steps it, so that a partition, a deposed or dead leader and a lagging
 * node happen at the same simulated moment on every run.  Each server's
 * state machine is wenda's own (cluster_fsm_new()), over a database file
 * and token key of its own in the test's private directory, every file a
 * copy of one import of the shipped content/; node 3's also holds a token
 * that the others do not, which the seed must take away.  The suite's
 * .init starts the three, has the first leader propose node 1's database
 * as the seed entry, and waits until every node applied it.
 *
 * Entries are made as the leader's loop makes them, with
 * cluster_entry_encode() from validated write jobs at one fixed time, and
 * proposed with raft_apply() on the node the test names; nobody waits for
 * their answers (the batch's origin is no node).  Nodes agree when a
 * canonical dump of every table of their databases (each table's rows
 * sorted and hashed) is the same text, when their keys are the same, and
 * when a few searches give the same hits with the same scores.
 *
 * Tests run from the repository root, where content/ is.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <raft.h>
#include <raft/fixture.h>
#include <sodium.h>
#include <sqlite3.h>

#include "cluster.h"
#include "cluster_int.h"
#include "store_int.h"
#include "wenda/auth.h"
#include "wenda/content.h"
#include "wenda/search.h"
#include "wenda/store.h"
#include "writer.h"

#include "testutil.h"

#define NODES 3
#define STAMP "2001-02-03T04:05:06Z"   /* far from now: a row written at
                                          the wall clock stands out */
#define STEP_MS 30000                  /* simulated time a wait may take */
#define MAX_PROPOSALS 96
#define DUMP_CAP 8192
#define ROUND8(n) (((n) + 7) & ~(size_t)7)

static const char *const queries[] = {"死锁", "协程", "raft", "绿色线程",
                                      "replicated log", "GIL"};

struct node {
    char dir[TESTUTIL_PATH_CAP];
    char db[TESTUTIL_PATH_CAP];
    char key[TESTUTIL_PATH_CAP];
    struct wenda_auth *auth;
    struct cluster *c;
};

/* An entry proposed by a test, and what became of it on its node. */
struct proposal {
    struct raft_apply req;
    raft_index index;   /* its index in the log of the node it went to */
    int done;           /* its callback ran, with status */
    int status;
    char *copy;         /* the entry as proposed (len bytes, padded) */
    size_t len;
};

static char tmp_dir[TESTUTIL_PATH_CAP];
static struct node nodes[NODES];
static struct raft_fixture fx;
static int fx_ready;          /* fx is initialized: close it */
static struct proposal props[MAX_PROPOSALS];
static size_t nprops;
static uint64_t seq;          /* of the test's batches */
static unsigned char key0[WENDA_AUTH_KEY_LEN];   /* node 1's before the seed */
static raft_index seed_index;

/* ---- nodes and the fixture ----------------------------------------------- */

static struct raft *
node_raft(unsigned i)
{
    return raft_fixture_get(&fx, i);
}

static struct wenda_store *
node_store(unsigned i)
{
    return cluster_fsm_store(nodes[i].c);
}

/* Steps until there is a leader and returns its index. */
static unsigned
leader(void)
{
    cr_assert(raft_fixture_step_until_has_leader(&fx, STEP_MS),
              "no leader after %d simulated ms", STEP_MS);
    return raft_fixture_leader_index(&fx);
}

/* Cuts node i off from every other node, both ways, or joins it again. */
static void
isolate(unsigned i, int cut)
{
    unsigned j;

    for (j = 0; j < NODES; j++) {
        if (j == i)
            continue;
        if (cut) {
            raft_fixture_disconnect(&fx, i, j);
            raft_fixture_disconnect(&fx, j, i);
        } else {
            raft_fixture_reconnect(&fx, i, j);
            raft_fixture_reconnect(&fx, j, i);
        }
    }
}

/* Steps until node i (NODES: every node) applied index. */
static void
wait_applied(unsigned i, raft_index index)
{
    cr_assert(raft_fixture_step_until_applied(&fx, i, index, STEP_MS),
              "node %u did not apply entry %llu", i + 1,
              (unsigned long long)index);
}

static void
proposal_done(struct raft_apply *req, int status, void *result)
{
    struct proposal *p = req->data;

    (void)result;
    p->done = 1;
    p->status = status;
}

/* Proposes the entry (len bytes, copied and padded with NULs to a
 * multiple of 8) on node i, which must be the leader. */
static struct proposal *
propose(unsigned i, const char *entry, size_t len)
{
    struct proposal *p;
    struct raft_buffer buf;
    int rv;

    cr_assert_lt(nprops, MAX_PROPOSALS);
    p = &props[nprops++];
    buf.len = ROUND8(len);
    buf.base = raft_calloc(1, buf.len);
    p->copy = calloc(1, buf.len);
    cr_assert(buf.base != NULL && p->copy != NULL);
    memcpy(buf.base, entry, len);
    memcpy(p->copy, entry, len);
    p->len = buf.len;
    p->req.data = p;
    rv = raft_apply(node_raft(i), &p->req, &buf, 1, proposal_done);
    cr_assert_eq(rv, 0, "raft_apply on node %u: %s", i + 1,
                 raft_strerror(rv));
    p->index = raft_last_index(node_raft(i));
    return p;
}

/* Encodes the n jobs as one entry written at STAMP, frees them, and
 * proposes the entry on node i. */
static struct proposal *
propose_jobs(unsigned i, struct write_job **jobs, size_t n)
{
    struct cluster_entry_id eid = {99, 1, 0};   /* no node's: no answers */
    struct proposal *p;
    size_t k, len = 0;
    char *data;

    eid.seq = ++seq;
    data = cluster_entry_encode(jobs, n, &eid, STAMP, &len);
    cr_assert_not_null(data, "an entry of %zu jobs does not encode", n);
    for (k = 0; k < n; k++) {
        write_job_cleanup(jobs[k]);
        free(jobs[k]);
    }
    p = propose(i, data, len);
    free(data);
    return p;
}

/* Proposes one job alone on node i. */
static struct proposal *
propose_job(unsigned i, struct write_job *job)
{
    return propose_jobs(i, &job, 1);
}

/* ---- write jobs ---------------------------------------------------------- */

static struct write_job *
job_new(enum write_kind kind, int64_t id)
{
    struct write_job *job = calloc(1, sizeof(*job));

    cr_assert_not_null(job);
    job->kind = kind;
    job->id = id;
    (void)snprintf(job->who, sizeof(job->who), "test");
    (void)snprintf(job->if_match, sizeof(job->if_match), "*");
    return job;
}

/* Reads a topic in category concurrency from its editable JSON. */
static void
read_topic(struct wenda_topic *t, const char *slug, const char *title,
           const char *answer)
{
    struct wenda_problems p = {0};
    json_t *o = json_pack("{s:s, s:s, s:s, s:[s,s], s:s}", "slug", slug,
                          "title", title, "category", "concurrency", "tags",
                          "raft", "cluster", "answer", answer);
    enum wenda_err rc;

    cr_assert_not_null(o);
    rc = wenda_topic_read_json(o, t, &p);
    cr_assert_eq(rc, WENDA_OK, "%s: %s (%zu problems)", slug,
                 wenda_err_name(rc), p.n);
    wenda_problems_cleanup(&p);
    json_decref(o);
}

/* A create (id 0) or a replace of topic id. */
static struct write_job *
job_topic(int64_t id, const char *slug, const char *title,
          const char *answer)
{
    struct write_job *job = job_new(id == 0 ? WRITE_CREATE : WRITE_REPLACE,
                                    id);

    read_topic(&job->topic, slug, title, answer);
    return job;
}

/* A merge patch of topic id (the JSON text is parsed). */
static struct write_job *
job_patch(int64_t id, const char *patch)
{
    struct write_job *job = job_new(WRITE_PATCH, id);
    json_error_t e;

    job->patch = json_loads(patch, 0, &e);
    cr_assert_not_null(job->patch, "%s: %s", patch, e.text);
    return job;
}

/* A token create as the leader makes it: minted with the key of node i. */
static struct write_job *
job_token(unsigned i, const char *name, enum wenda_role role)
{
    struct write_job *job = job_new(WRITE_TOKEN_CREATE, 0);

    job->role = (int)role;
    (void)snprintf(job->token_name, sizeof(job->token_name), "%s", name);
    wenda_auth_token_mint(nodes[i].auth, job->token, job->token_hash);
    (void)snprintf(job->token_created, sizeof(job->token_created), STAMP);
    job->minted = 1;
    return job;
}

/* A review of topic with grade, by token. */
static struct write_job *
job_progress(int64_t topic, int grade, int64_t token)
{
    struct write_job *job = job_new(WRITE_PROGRESS, topic);

    job->role = grade;
    job->token_id = token;
    return job;
}

static struct write_job *
job_lexicon(const char *doc)
{
    struct write_job *job = job_new(WRITE_LEXICON, 0);

    job->lexicon = "synonyms";
    job->doc = strdup(doc);
    cr_assert_not_null(job->doc);
    return job;
}

/* ---- what a node holds --------------------------------------------------- */

static int64_t
topic_id(unsigned i, const char *slug)
{
    int64_t id = 0;

    return wenda_store_topic_id(node_store(i), slug, &id) == WENDA_OK ? id
                                                                      : 0;
}

/* Runs a one-integer query on node i's database. */
static int64_t
query_int(unsigned i, const char *sql)
{
    sqlite3 *db = wenda_store_db(node_store(i));
    sqlite3_stmt *s = NULL;
    int64_t v;

    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK,
                 "%s: %s", sql, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s gave no row", sql);
    v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends a value's canonical text (type, length, bytes as hex) to a row
 * being built in *row (*len bytes of *cap). */
static void
append_value(char **row, size_t *len, size_t *cap, sqlite3_stmt *s, int col)
{
    int type = sqlite3_column_type(s, col);
    const unsigned char *bytes = NULL;
    size_t n = 0, need, k;
    char head[64];
    int m;

    if (type == SQLITE_BLOB || type == SQLITE_TEXT) {
        bytes = type == SQLITE_BLOB ? sqlite3_column_blob(s, col)
                                    : sqlite3_column_text(s, col);
        n = (size_t)sqlite3_column_bytes(s, col);
    }
    if (type == SQLITE_INTEGER)
        m = snprintf(head, sizeof(head), "|i%lld",
                     (long long)sqlite3_column_int64(s, col));
    else if (type == SQLITE_FLOAT)
        m = snprintf(head, sizeof(head), "|f%.17g",
                     sqlite3_column_double(s, col));
    else if (type == SQLITE_NULL)
        m = snprintf(head, sizeof(head), "|n");
    else
        m = snprintf(head, sizeof(head), "|%c%zu:",
                     type == SQLITE_BLOB ? 'b' : 't', n);
    need = *len + (size_t)m + 2 * n + 1;
    if (*row == NULL || need > *cap) {
        *cap = need * 2;
        *row = realloc(*row, *cap);
        cr_assert_not_null(*row);
    }
    memcpy(*row + *len, head, (size_t)m);
    *len += (size_t)m;
    for (k = 0; k < n; k++) {
        static const char hex[] = "0123456789abcdef";

        (*row)[(*len)++] = hex[bytes[k] >> 4];
        (*row)[(*len)++] = hex[bytes[k] & 15];
    }
    (*row)[*len] = '\0';
}

/* Appends "table rows hash" for one table of db to out (cap bytes). */
static void
dump_table(sqlite3 *db, const char *table, char *out, size_t cap)
{
    char sql[256], **rows = NULL, hexd[crypto_generichash_BYTES * 2 + 1];
    unsigned char digest[crypto_generichash_BYTES];
    crypto_generichash_state h;
    sqlite3_stmt *s = NULL;
    size_t n = 0, ncap = 0, k, used = strlen(out);
    int col;

    (void)snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"", table);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK,
                 "%s: %s", sql, sqlite3_errmsg(db));
    while (sqlite3_step(s) == SQLITE_ROW) {
        char *row = NULL;
        size_t len = 0, rcap = 0;

        for (col = 0; col < sqlite3_column_count(s); col++)
            append_value(&row, &len, &rcap, s, col);
        if (n == ncap) {
            ncap = ncap ? ncap * 2 : 64;
            rows = realloc(rows, ncap * sizeof(*rows));
            cr_assert_not_null(rows);
        }
        rows[n++] = row != NULL ? row : strdup("");
    }
    sqlite3_finalize(s);
    if (n > 0)
        qsort(rows, n, sizeof(*rows), cmp_str);
    crypto_generichash_init(&h, NULL, 0, sizeof(digest));
    for (k = 0; k < n; k++) {
        crypto_generichash_update(&h, (const unsigned char *)rows[k],
                                  strlen(rows[k]) + 1);
        free(rows[k]);
    }
    free(rows);
    crypto_generichash_final(&h, digest, sizeof(digest));
    (void)sodium_bin2hex(hexd, sizeof(hexd), digest, sizeof(digest));
    (void)snprintf(out + used, cap - used, "%s %zu %.16s\n", table, n, hexd);
    cr_assert_lt(strlen(out), cap - 1, "the dump does not fit");
}

/*
 * Writes a canonical dump of node i's database to out: for every table
 * (virtual ones through their shadow tables), its rows and a hash of
 * them sorted; and the node's key.
 */
static void
dump(unsigned i, char *out, size_t cap)
{
    sqlite3 *db = wenda_store_db(node_store(i));
    unsigned char key[WENDA_AUTH_KEY_LEN];
    char hexk[WENDA_AUTH_KEY_LEN * 2 + 1];
    sqlite3_stmt *s = NULL;

    out[0] = '\0';
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT name FROM sqlite_schema "
                                    "WHERE type = 'table' AND name NOT "
                                    "LIKE 'sqlite\\_stat%' ESCAPE '\\' AND "
                                    "sql NOT LIKE 'CREATE VIRTUAL%' "
                                    "ORDER BY name",
                                    -1, &s, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    while (sqlite3_step(s) == SQLITE_ROW) {
        char table[128];

        (void)snprintf(table, sizeof(table), "%s", sqlite3_column_text(s, 0));
        dump_table(db, table, out, cap);
    }
    sqlite3_finalize(s);
    wenda_auth_key_get(nodes[i].auth, key);
    (void)sodium_bin2hex(hexk, sizeof(hexk), key, sizeof(key));
    (void)snprintf(out + strlen(out), cap - strlen(out), "key %.16s\n", hexk);
}

/* Writes the hits of every query of queries[] on node i to out. */
static void
searches(unsigned i, char *out, size_t cap)
{
    size_t q, k, used = 0;

    out[0] = '\0';
    for (q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
        struct wenda_search_query query = {queries[q], NULL, NULL, 10, 0};
        struct wenda_search_result r;
        char msg[256];
        enum wenda_err rc;

        rc = wenda_search_run(node_store(i), &query, &r, msg, sizeof(msg));
        cr_assert_eq(rc, WENDA_OK, "node %u: %s: %s", i + 1, queries[q],
                     msg);
        used += (size_t)snprintf(out + used, cap - used, "%s (%lld):",
                                 queries[q], (long long)r.total);
        for (k = 0; k < r.n && used < cap; k++)
            used += (size_t)snprintf(out + used, cap - used, " %s %.9g",
                                     r.hits[k].slug, r.hits[k].score);
        if (used < cap)
            used += (size_t)snprintf(out + used, cap - used, "\n");
        wenda_search_result_cleanup(&r);
        cr_assert_lt(used, cap, "the searches do not fit");
    }
}

/* Asserts that nodes a and b hold the same data, key and search answers. */
static void
assert_same(unsigned a, unsigned b)
{
    static char da[DUMP_CAP], db[DUMP_CAP];

    dump(a, da, sizeof(da));
    dump(b, db, sizeof(db));
    cr_assert_str_eq(da, db, "nodes %u and %u differ", a + 1, b + 1);
    searches(a, da, sizeof(da));
    searches(b, db, sizeof(db));
    cr_assert_str_eq(da, db, "nodes %u and %u search differently", a + 1,
                     b + 1);
}

static void
assert_all_same(void)
{
    unsigned i;

    for (i = 1; i < NODES; i++)
        assert_same(0, i);
}

/* ---- the suite's three nodes --------------------------------------------- */

/* Imports content/ into a database from which every node's is copied. */
static void
make_template(const char *path)
{
    struct wenda_content content;
    struct wenda_store *st = NULL;
    char msg[512];
    enum wenda_err rc;
    unsigned i;

    cr_assert_eq(wenda_content_load("content", &content, NULL, NULL),
                 WENDA_OK, "content/ does not load (run from the "
                 "repository root)");
    rc = wenda_store_open(path, WENDA_STORE_CREATE, &st, msg, sizeof(msg));
    cr_assert_eq(rc, WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_store_import(st, &content), WENDA_OK);
    wenda_content_cleanup(&content);
    for (i = 0; i < NODES; i++) {
        rc = wenda_store_snapshot(st, nodes[i].db, msg, sizeof(msg));
        cr_assert_eq(rc, WENDA_OK, "%s", msg);
    }
    wenda_store_close(st);
}

/* Gives the database of node i a token the other nodes do not have. */
static void
add_stray_token(unsigned i)
{
    struct wenda_store *st = NULL;
    char msg[256], token[WENDA_TOKEN_LEN + 1];

    cr_assert_eq(wenda_store_open(nodes[i].db, 0, &st, msg, sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_auth_token_create(nodes[i].auth, st, WENDA_ROLE_ADMIN,
                                         "stray", 0, token, NULL),
                 WENDA_OK);
    wenda_store_close(st);
}

static void
setup(void)
{
    struct raft_configuration conf;
    char path[TESTUTIL_PATH_CAP], msg[512], *seed;
    struct raft_fsm *fsm;
    struct proposal *p;
    size_t len = 0;
    unsigned i;

    testutil_make_temp_dir(tmp_dir, sizeof(tmp_dir), "cluster");
    for (i = 0; i < NODES; i++) {
        char name[16];

        (void)snprintf(name, sizeof(name), "node%u", i + 1);
        testutil_join(nodes[i].dir, sizeof(nodes[i].dir), tmp_dir, name);
        cr_assert_eq(mkdir(nodes[i].dir, 0700), 0);
        testutil_join(nodes[i].db, sizeof(nodes[i].db), nodes[i].dir,
                      "wenda.db");
        cr_assert_eq(wenda_auth_key_path_for_db(nodes[i].db, nodes[i].key,
                                                sizeof(nodes[i].key)),
                     WENDA_OK);
    }
    testutil_join(path, sizeof(path), tmp_dir, "template.db");
    make_template(path);
    cr_assert_eq(raft_fixture_initialize(&fx), 0);
    fx_ready = 1;
    for (i = 0; i < NODES; i++) {
        cr_assert_eq(wenda_auth_open(nodes[i].key, 1, &nodes[i].auth, msg,
                                     sizeof(msg)),
                     WENDA_OK, "%s", msg);
        if (i == NODES - 1)
            add_stray_token(i);
        nodes[i].c = cluster_fsm_new(i + 1, nodes[i].db, nodes[i].auth, &fsm,
                                     msg, sizeof(msg));
        cr_assert_not_null(nodes[i].c, "node %u: %s", i + 1, msg);
        cr_assert_eq(raft_fixture_grow(&fx, fsm), 0);
        cluster_fsm_attach(nodes[i].c, node_raft(i));
        raft_set_pre_vote(node_raft(i), true);   /* as cluster.c runs it */
    }
    wenda_auth_key_get(nodes[0].auth, key0);
    cr_assert_eq(raft_fixture_configuration(&fx, NODES, &conf), 0);
    cr_assert_eq(raft_fixture_bootstrap(&fx, &conf), 0);
    raft_configuration_close(&conf);
    cr_assert_eq(raft_fixture_start(&fx), 0);

    /* The first entry after the configuration: node 1's database. */
    seed = cluster_fsm_seed(nodes[0].c, &len);
    cr_assert_not_null(seed);
    cr_assert_eq(len % 8, 0, "a seed of %zu bytes", len);
    cr_assert_eq(seed[0], CLUSTER_ENTRY_SEED);
    p = propose(leader(), seed, len);
    free(seed);
    seed_index = p->index;
    wait_applied(NODES, seed_index);
    cr_assert(p->done && p->status == 0);
}

static void
teardown(void)
{
    size_t k;
    unsigned i;

    if (fx_ready)
        raft_fixture_close(&fx);
    fx_ready = 0;
    for (i = 0; i < NODES; i++) {
        cluster_fsm_free(nodes[i].c);
        wenda_auth_close(nodes[i].auth);
        memset(&nodes[i], 0, sizeof(nodes[i]));
    }
    for (k = 0; k < nprops; k++)
        free(props[k].copy);
    nprops = 0;
    testutil_remove_tree(tmp_dir);
}

TestSuite(cluster, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(cluster_restore, .fini = teardown, .timeout = 60);

/* ---- the seed ------------------------------------------------------------ */

Test(cluster, seeds_every_node_with_the_first_database_and_its_key)
{
    unsigned char key[WENDA_AUTH_KEY_LEN];
    char *file;
    size_t len = 0;
    unsigned i;

    cr_expect_eq(seed_index, 2, "the seed is entry %llu, not the first "
                 "after the configuration", (unsigned long long)seed_index);
    for (i = 0; i < NODES; i++) {
        wenda_auth_key_get(nodes[i].auth, key);
        cr_expect_eq(memcmp(key, key0, sizeof(key)), 0,
                     "node %u has a key of its own", i + 1);
        file = testutil_slurp(nodes[i].key, &len);
        cr_assert_not_null(file);
        cr_expect(len == sizeof(key0) && memcmp(file, key0, len) == 0,
                  "node %u's key file is not the cluster's key", i + 1);
        free(file);
        cr_expect_eq(query_int(i, "SELECT applied FROM cluster_log"),
                     (int64_t)seed_index, "node %u", i + 1);
        cr_expect_eq(query_int(i, "SELECT count(*) FROM topics"), 64);
        cr_expect_eq(query_int(i, "SELECT count(*) FROM tokens WHERE name "
                                  "= 'stray'"),
                     0, "node %u kept what it had before the seed", i + 1);
    }
    assert_all_same();
}

/* ---- writes -------------------------------------------------------------- */

/*
 * One of each write the log carries, in entries of one and of several
 * jobs, the last of them failing (a replace of a topic just deleted) and
 * a malformed entry among them, all applied on every node alike.
 */
Test(cluster, replicates_every_kind_of_write_to_every_node)
{
    static const char garbage[] = "J{\"v\":1,\"jobs\":\"not a batch\"}";
    struct write_job *batch[3];
    struct proposal *p;
    unsigned l = leader(), i;
    int64_t id, id2, deadlock, token;

    propose_job(l, job_topic(0, "raft-log", "Raft 日志",
                             "每个节点按同一顺序应用同一个 replicated log。"));
    batch[0] = job_topic(0, "raft-leader", "Raft 领导者",
                         "领导者把条目复制给多数节点。");
    batch[1] = job_topic(0, "raft-term", "Raft 任期", "任期单调递增。");
    batch[2] = job_token(l, "student", WENDA_ROLE_READER);
    p = propose_jobs(l, batch, 3);
    wait_applied(l, p->index);
    id = topic_id(l, "raft-log");
    id2 = topic_id(l, "raft-term");
    deadlock = topic_id(l, "deadlock");
    token = query_int(l, "SELECT id FROM tokens WHERE name = 'student'");
    cr_assert(id > 0 && id2 > 0 && deadlock > 0 && token > 0);

    propose_job(l, job_topic(id, "raft-log", "Raft 复制日志",
                             "日志条目按索引应用，replicated log 不分叉。"));
    propose_job(l, job_patch(id2, "{\"title\":\"Raft 任期号\","
                                  "\"tags\":[\"raft\",\"term\"]}"));
    propose(l, garbage, strlen(garbage));
    batch[0] = job_progress(deadlock, 4, token);
    batch[1] = job_progress(id, 2, token);
    batch[2] = job_lexicon("{\"groups\":[[\"协程\",\"coroutine\","
                           "\"绿色线程\"]]}");
    propose_jobs(l, batch, 3);
    batch[0] = job_new(WRITE_DELETE, id2);
    batch[1] = job_topic(id2, "raft-term", "不该写入", "它已被删除。");
    batch[2] = job_new(WRITE_TOKEN_REVOKE, token);
    p = propose_jobs(l, batch, 3);
    wait_applied(NODES, p->index);

    for (i = 0; i < NODES; i++) {
        cr_expect_eq(query_int(i, "SELECT applied FROM cluster_log"),
                     (int64_t)p->index, "node %u", i + 1);
        cr_expect_eq(topic_id(i, "raft-term"), 0, "node %u", i + 1);
        cr_expect_gt(topic_id(i, "raft-leader"), 0, "node %u", i + 1);
        cr_expect_eq(query_int(i, "SELECT count(*) FROM progress"), 2);
        cr_expect_eq(query_int(i, "SELECT count(*) FROM tokens WHERE "
                                  "revoked_at IS NOT NULL"),
                     1);
        /* Every row is written at the entry's time, not the node's. */
        cr_expect_eq(query_int(i, "SELECT count(*) FROM topics WHERE "
                                  "slug LIKE 'raft-%' AND updated_at != '"
                                  STAMP "'"),
                     0, "node %u wrote at its own time", i + 1);
        cr_expect_eq(query_int(i, "SELECT count(*) FROM tokens WHERE "
                                  "name = 'student' AND (created_at != '"
                                  STAMP "' OR last_used_at != '" STAMP
                                  "')"),
                     0, "node %u wrote at its own time", i + 1);
    }
    assert_all_same();
}

/* ---- failures ------------------------------------------------------------ */

Test(cluster, brings_a_partitioned_follower_back_in_line)
{
    struct proposal *p;
    unsigned l = leader(), f = (l + 1) % NODES, other = (l + 2) % NODES;
    char slug[32];
    int k;

    isolate(f, 1);
    for (k = 0; k < 5; k++) {
        (void)snprintf(slug, sizeof(slug), "partition-%d", k);
        propose_job(l, job_topic(0, slug, "分区期间的写入",
                                 "多数派照常提交。"));
    }
    p = propose_job(l, job_patch(topic_id(l, "deadlock"),
                                 "{\"aliases\":[\"死结\",\"deadly "
                                 "embrace\"]}"));
    wait_applied(l, p->index);
    wait_applied(other, p->index);
    cr_assert_lt(raft_last_applied(node_raft(f)), p->index);
    cr_assert_eq(topic_id(f, "partition-0"), 0);
    assert_same(l, other);

    isolate(f, 0);
    wait_applied(f, p->index);
    cr_assert_eq(leader(), l, "the follower's return changed the leader");
    p = propose_job(l, job_topic(0, "after-partition", "分区之后",
                                 "重新连上的节点也会应用。"));
    wait_applied(NODES, p->index);
    assert_all_same();
}

/* Counts the nodes that hold slug. */
static unsigned
holders(const char *slug)
{
    unsigned i, n = 0;

    for (i = 0; i < NODES; i++)
        n += topic_id(i, slug) > 0;
    return n;
}

/* Steps until every follower of leader l has index in its log (written or
 * not), or fails. */
static void
wait_received(unsigned l, raft_index index)
{
    unsigned i;
    int ms;

    for (ms = 0; ms < 1000; ms++) {
        unsigned got = 0;

        for (i = 0; i < NODES; i++)
            got += i == l || raft_last_index(node_raft(i)) >= index;
        if (got == NODES)
            return;
        raft_fixture_step(&fx);
    }
    cr_assert_fail("entry %llu did not reach the followers",
                   (unsigned long long)index);
}

/*
 * The leader's entry reached the followers, but the leader never heard so
 * and was deposed before committing it: its proposer learns only that
 * leadership was lost.  The next leader commits the entry with its own,
 * so it is applied, on every node.
 */
Test(cluster, applies_an_entry_whose_leader_was_deposed_on_every_node_or_none)
{
    struct proposal *lost, *p;
    unsigned l = leader(), next = (l + 1) % NODES;

    p = propose_job(l, job_topic(0, "before-depose", "换届之前", "已提交。"));
    wait_applied(NODES, p->index);
    lost = propose_job(l, job_topic(0, "in-doubt", "结果未知",
                                    "领导者换届时尚未提交。"));
    wait_received(l, lost->index);
    cr_assert_lt(node_raft(l)->commit_index, lost->index);
    raft_fixture_depose(&fx);
    cr_assert(lost->done, "the deposed leader still holds the request");
    cr_assert_eq(lost->status, RAFT_LEADERSHIPLOST, "%s",
                 raft_strerror(lost->status));
    cr_assert_eq(holders("in-doubt"), 0, "applied before it was committed");

    raft_fixture_elect(&fx, next);
    p = propose_job(next, job_topic(0, "after-depose", "换届之后",
                                    "新领导者的写入。"));
    wait_applied(NODES, p->index);
    cr_expect_eq(holders("in-doubt"), NODES,
                 "an entry every node had was lost");
    cr_expect_eq(holders("after-depose"), NODES);
    assert_all_same();
}

/*
 * The leader dies right after taking an entry, before sending it to
 * anyone: the others elect a leader and write on; when the old one comes
 * back its entry is replaced by theirs, and applied nowhere.
 */
Test(cluster, drops_an_entry_its_dead_leader_never_sent_on_every_node)
{
    struct proposal *lost, *p = NULL;
    unsigned l = leader(), next, i;
    int k;

    p = propose_job(l, job_topic(0, "before-death", "宕机之前", "已提交。"));
    wait_applied(NODES, p->index);
    lost = propose_job(l, job_topic(0, "never-sent", "从未发出",
                                    "领导者在发出之前宕机。"));
    raft_fixture_kill(&fx, l);
    cr_assert(raft_fixture_step_until_has_no_leader(&fx, STEP_MS));
    next = leader();
    cr_assert_neq(next, l);
    for (k = 0; k < 3; k++) {
        char slug[32];

        (void)snprintf(slug, sizeof(slug), "while-dead-%d", k);
        p = propose_job(next, job_topic(0, slug, "宕机期间", "多数派。"));
    }
    wait_applied(next, p->index);
    cr_assert_geq(p->index, lost->index, "the new leader's log is shorter");

    raft_fixture_revive(&fx, l);
    wait_applied(NODES, p->index);
    cr_assert(lost->done, "the old leader still holds the request");
    cr_assert_neq(lost->status, 0);
    cr_expect_eq(holders("never-sent"), 0, "an uncommitted entry applied");
    for (i = 0; i < NODES; i++)
        cr_expect_gt(topic_id(i, "while-dead-2"), 0, "node %u", i + 1);
    assert_all_same();
}

/*
 * A node that was away while the others took snapshots and dropped the
 * entries it lacks is sent a snapshot: its database becomes the image,
 * and it applies what follows as the others do.
 */
Test(cluster, restores_a_lagging_node_from_a_snapshot)
{
    struct proposal *p = NULL;
    unsigned l = leader(), f = (l + 2) % NODES, i;
    raft_index away;
    int k;

    for (i = 0; i < NODES; i++) {
        raft_set_snapshot_threshold(node_raft(i), 4);
        raft_set_snapshot_trailing(node_raft(i), 2);
    }
    p = propose_job(l, job_token(l, "lagging", WENDA_ROLE_EDITOR));
    wait_applied(NODES, p->index);
    away = raft_last_index(node_raft(f));
    isolate(f, 1);
    for (k = 0; k < 20; k++) {
        char slug[32];

        (void)snprintf(slug, sizeof(slug), "snapshotted-%02d", k);
        p = k % 5 == 4
                ? propose_job(l, job_patch(topic_id(l, "snapshotted-00"),
                                           "{\"order\":7}"))
                : propose_job(l, job_topic(0, slug, "快照之前",
                                           "只有快照里有它。"));
        wait_applied(l, p->index);   /* one at a time: many snapshots */
    }
    wait_applied((l + 1) % NODES, p->index);
    cr_assert_gt(node_raft(l)->log.snapshot.last_index, away + 2,
                 "the leader kept the entries the lagging node lacks");
    cr_assert_eq(raft_last_index(node_raft(f)), away);
    cr_assert_eq(topic_id(f, "snapshotted-00"), 0);

    isolate(f, 0);
    wait_applied(f, p->index);
    cr_assert_geq(raft_fixture_n_recv(&fx, f, RAFT_IO_INSTALL_SNAPSHOT), 1,
                  "node %u caught up without a snapshot", f + 1);
    cr_assert_gt(topic_id(f, "snapshotted-00"), 0);
    l = leader();
    for (k = 0; k < 3; k++) {
        char slug[32];

        (void)snprintf(slug, sizeof(slug), "after-snapshot-%d", k);
        p = propose_job(l, job_topic(0, slug, "快照之后", "照常应用。"));
    }
    wait_applied(NODES, p->index);
    for (i = 0; i < NODES; i++)
        cr_expect_eq(query_int(i, "SELECT applied FROM cluster_log"),
                     (int64_t)p->index, "node %u", i + 1);
    assert_all_same();
}

/*
 * A node restarted over its database replays the log from its last
 * snapshot (here the seed): every entry its database records as applied
 * is skipped -- a token made twice, a review counted twice or a patch
 * that bumps the version again would show -- and the next one is applied.
 */
Test(cluster, applies_no_entry_twice_after_a_restart)
{
    static char before[DUMP_CAP], after[DUMP_CAP];
    struct write_job *batch[2];
    struct proposal *p;
    struct raft_fsm *fsm = NULL;
    struct raft_buffer buf;
    struct cluster *again;
    static struct raft replay;   /* stands for the restarted node's Raft */
    struct cluster_entry_id eid = {99, 1, 0};
    unsigned l = leader(), f = (l + 1) % NODES;
    char msg[256], *next;
    void *result;
    size_t k, len = 0;
    int64_t token;

    p = propose_job(l, job_token(l, "reviewer", WENDA_ROLE_EDITOR));
    wait_applied(NODES, p->index);
    token = query_int(l, "SELECT id FROM tokens WHERE name = 'reviewer'");
    raft_fixture_kill(&fx, f);
    batch[0] = job_topic(0, "replayed", "重放", "只应用一次。");
    batch[1] = job_progress(topic_id(l, "deadlock"), 5, token);
    propose_jobs(l, batch, 2);
    p = propose_job(l, job_patch(topic_id(l, "deadlock"),
                                 "{\"order\":1}"));
    wait_applied(l, p->index);
    raft_fixture_revive(&fx, f);
    wait_applied(NODES, p->index);
    assert_all_same();

    /* Node f's database, opened again as after a restart. */
    dump(f, before, sizeof(before));
    again = cluster_fsm_new(f + 1, nodes[f].db, nodes[f].auth, &fsm, msg,
                            sizeof(msg));
    cr_assert_not_null(again, "%s", msg);
    memset(&replay, 0, sizeof(replay));
    cluster_fsm_attach(again, &replay);
    for (k = 1; k < nprops; k++) {   /* all but the seed */
        buf.base = props[k].copy;
        buf.len = props[k].len;
        replay.last_applied = props[k].index - 1;
        cr_assert_eq(fsm->apply(fsm, &buf, &result), 0, "entry %llu",
                     (unsigned long long)props[k].index);
    }
    dump(f, after, sizeof(after));
    cr_expect_str_eq(after, before, "replaying the log changed the data");
    cr_expect_eq(query_int(f, "SELECT count(*) FROM progress"), 1);

    /* The entry after the last it applied is applied. */
    batch[0] = job_topic(0, "after-restart", "重启之后", "这条是新的。");
    eid.seq = ++seq;
    next = cluster_entry_encode(batch, 1, &eid, STAMP, &len);
    write_job_cleanup(batch[0]);
    free(batch[0]);
    cr_assert_not_null(next);
    buf.base = next;
    buf.len = len;
    replay.last_applied = p->index;
    cr_assert_eq(fsm->apply(fsm, &buf, &result), 0);
    free(next);
    cr_expect_gt(topic_id(f, "after-restart"), 0);
    cr_expect_eq(query_int(f, "SELECT applied FROM cluster_log"),
                 (int64_t)p->index + 1);
    cluster_fsm_free(again);
}

/*
 * A snapshot that is not an image (another program's, or damaged) is
 * refused at start: libraft then frees it itself, so the state machine
 * must not have freed it already.
 */
Test(cluster_restore, refuses_a_snapshot_that_is_not_an_image)
{
    struct raft_snapshot *snap;
    struct raft_fsm *fsm = NULL;
    struct wenda_store *st = NULL;
    char msg[512];
    int rv;

    testutil_make_temp_dir(tmp_dir, sizeof(tmp_dir), "cluster-restore");
    testutil_join(nodes[0].db, sizeof(nodes[0].db), tmp_dir, "wenda.db");
    cr_assert_eq(wenda_auth_key_path_for_db(nodes[0].db, nodes[0].key,
                                            sizeof(nodes[0].key)),
                 WENDA_OK);
    cr_assert_eq(wenda_store_open(nodes[0].db, WENDA_STORE_CREATE, &st, msg,
                                  sizeof(msg)),
                 WENDA_OK, "%s", msg);
    wenda_store_close(st);
    cr_assert_eq(wenda_auth_open(nodes[0].key, 1, &nodes[0].auth, msg,
                                 sizeof(msg)),
                 WENDA_OK, "%s", msg);
    nodes[0].c = cluster_fsm_new(1, nodes[0].db, nodes[0].auth, &fsm, msg,
                                 sizeof(msg));
    cr_assert_not_null(nodes[0].c, "%s", msg);
    cr_assert_eq(raft_fixture_initialize(&fx), 0);
    fx_ready = 1;
    cr_assert_eq(raft_fixture_grow(&fx, fsm), 0);
    cluster_fsm_attach(nodes[0].c, node_raft(0));

    /* Written as libraft's own disk would hold it: the fixture owns it. */
    snap = raft_calloc(1, sizeof(*snap));
    cr_assert_not_null(snap);
    snap->index = 5;
    snap->term = 1;
    raft_configuration_init(&snap->configuration);
    cr_assert_eq(raft_configuration_add(&snap->configuration, 1, "1",
                                        RAFT_VOTER),
                 0);
    snap->configuration_index = 1;
    snap->bufs = raft_calloc(1, sizeof(*snap->bufs));
    cr_assert_not_null(snap->bufs);
    snap->n_bufs = 1;
    snap->bufs[0].len = 4096;
    snap->bufs[0].base = raft_calloc(1, snap->bufs[0].len);
    cr_assert_not_null(snap->bufs[0].base);
    memcpy(snap->bufs[0].base, "not an image", 12);
    raft_fixture_set_snapshot(&fx, 0, snap);

    rv = raft_fixture_start(&fx);
    cr_expect_neq(rv, 0, "a node started from a snapshot that is not one");
    cr_expect_eq(query_int(0, "SELECT applied FROM cluster_log"), 0);
    cr_expect_eq(query_int(0, "SELECT count(*) FROM topics"), 0);
}

/* ---- entries ------------------------------------------------------------- */

/* Encodes the n jobs, decodes the entry into *e and checks its name and
 * time. */
static void
round_trip(struct write_job **jobs, size_t n, struct cluster_entry *e)
{
    struct cluster_entry_id eid = {7, (uint64_t)1 << 62, 12345};
    char *data, *padded;
    size_t len = 0;
    enum wenda_err rc;

    data = cluster_entry_encode(jobs, n, &eid, STAMP, &len);
    cr_assert_not_null(data);
    cr_assert_eq(data[0], CLUSTER_ENTRY_JOBS);
    padded = calloc(1, ROUND8(len) + 8);   /* as libraft hands it back */
    cr_assert_not_null(padded);
    memcpy(padded, data, len);
    free(data);
    rc = cluster_entry_decode(padded, ROUND8(len) + 8, e);
    free(padded);
    cr_assert_eq(rc, WENDA_OK, "%s", wenda_err_name(rc));
    cr_assert_eq(e->n, n);
    cr_expect_eq(e->id.origin, eid.origin);
    cr_expect_eq(e->id.boot, eid.boot);
    cr_expect_eq(e->id.seq, eid.seq);
    cr_expect_str_eq(e->stamp, STAMP);
}

static void
expect_common(const struct write_job *a, const struct write_job *b)
{
    cr_expect_eq(b->kind, a->kind);
    cr_expect_eq(b->id, a->id, "kind %d", a->kind);
    cr_expect_eq(b->token_id, a->token_id, "kind %d", a->kind);
    cr_expect_str_eq(b->who, a->who);
    cr_expect_str_eq(b->if_match, a->if_match);
}

Test(cluster_entry, round_trips_every_kind_of_job)
{
    struct write_job *jobs[9];
    struct cluster_entry e;
    size_t i;

    jobs[0] = job_topic(0, "round-trip", "往返", "一个 *答案*。");
    jobs[1] = job_topic(41, "round-trip", "往返二", "另一个答案。");
    (void)snprintf(jobs[1]->if_match, sizeof(jobs[1]->if_match),
                   "\"abc\",\"def\"");
    jobs[2] = job_patch(42, "{\"title\":\"新\",\"tags\":null}");
    jobs[3] = job_new(WRITE_DELETE, 43);
    jobs[4] = job_new(WRITE_IMPORT, 0);
    jobs[4]->ntopics = 2;
    jobs[4]->topics = calloc(2, sizeof(*jobs[4]->topics));
    jobs[4]->lines = calloc(2, sizeof(*jobs[4]->lines));
    cr_assert(jobs[4]->topics != NULL && jobs[4]->lines != NULL);
    read_topic(&jobs[4]->topics[0], "imported-a", "导入一", "甲");
    read_topic(&jobs[4]->topics[1], "imported-b", "导入二", "乙");
    jobs[4]->lines[0] = 3;
    jobs[4]->lines[1] = 9;
    jobs[5] = job_new(WRITE_TOKEN_CREATE, 0);
    jobs[5]->role = WENDA_ROLE_ADMIN;
    (void)snprintf(jobs[5]->token_name, sizeof(jobs[5]->token_name),
                   "管理员");
    randombytes_buf(jobs[5]->token_hash, sizeof(jobs[5]->token_hash));
    (void)snprintf(jobs[5]->token_created, sizeof(jobs[5]->token_created),
                   STAMP);
    (void)snprintf(jobs[5]->token_expires, sizeof(jobs[5]->token_expires),
                   "2002-02-03T04:05:06Z");
    (void)snprintf(jobs[5]->token, sizeof(jobs[5]->token), "wnd_secret");
    jobs[5]->minted = 1;
    jobs[6] = job_new(WRITE_TOKEN_REVOKE, 44);
    jobs[6]->token_id = 44;
    jobs[7] = job_progress(45, 3, 46);
    jobs[8] = job_lexicon("{\"words\":[\"猴子补丁\"]}");
    jobs[8]->lexicon = "dictionary";

    round_trip(jobs, 9, &e);
    for (i = 0; i < 9; i++)
        expect_common(jobs[i], &e.jobs[i]);
    testutil_assert_topic_eq(&jobs[0]->topic, &e.jobs[0].topic, 1);
    testutil_assert_topic_eq(&jobs[1]->topic, &e.jobs[1].topic, 1);
    cr_expect(json_equal(jobs[2]->patch, e.jobs[2].patch));
    cr_assert_eq(e.jobs[4].ntopics, 2);
    for (i = 0; i < 2; i++) {
        testutil_assert_topic_eq(&jobs[4]->topics[i], &e.jobs[4].topics[i],
                                 1);
        cr_expect_eq(e.jobs[4].lines[i], jobs[4]->lines[i]);
    }
    cr_expect_eq(e.jobs[5].role, WENDA_ROLE_ADMIN);
    cr_expect_str_eq(e.jobs[5].token_name, "管理员");
    cr_expect_eq(memcmp(e.jobs[5].token_hash, jobs[5]->token_hash,
                        sizeof(jobs[5]->token_hash)),
                 0);
    cr_expect_str_eq(e.jobs[5].token_created, STAMP);
    cr_expect_str_eq(e.jobs[5].token_expires, "2002-02-03T04:05:06Z");
    cr_expect(e.jobs[5].minted);
    cr_expect_str_eq(e.jobs[5].token, "", "the token itself went into the "
                     "log");
    cr_expect_eq(e.jobs[7].role, 3);
    cr_expect_str_eq(e.jobs[8].lexicon, "dictionary");
    cr_expect_str_eq(e.jobs[8].doc, jobs[8]->doc);
    cluster_entry_cleanup(&e);

    /* Each alone, too: an entry of one job is the common case. */
    for (i = 0; i < 9; i++) {
        round_trip(&jobs[i], 1, &e);
        expect_common(jobs[i], &e.jobs[0]);
        cluster_entry_cleanup(&e);
        write_job_cleanup(jobs[i]);
        free(jobs[i]);
    }
}

Test(cluster_entry, encodes_no_membership_change)
{
    struct write_job *job = job_new(WRITE_CLUSTER_ADD, 4);
    struct cluster_entry_id eid = {1, 1, 1};
    size_t len = 0;

    cr_expect_null(cluster_entry_encode(&job, 1, &eid, STAMP, &len));
    job->kind = WRITE_CLUSTER_REMOVE;
    cr_expect_null(cluster_entry_encode(&job, 1, &eid, STAMP, &len));
    free(job);
}

/* Writes an entry whose one job is job_text, in a valid batch. */
static void
entry_with_job(char *out, size_t cap, const char *job_text)
{
    (void)snprintf(out, cap,
                   "J{\"v\":1,\"origin\":1,\"boot\":2,\"seq\":3,\"stamp\":\""
                   STAMP "\",\"jobs\":[%s]}",
                   job_text);
}

#define BASE "\"who\":\"t\",\"tid\":0,\"id\":1,\"if\":\"*\""

Test(cluster_entry, decodes_a_malformed_entry_to_an_error)
{
    static const char *const bad_jobs[] = {
        "{" BASE "}",
        "{\"k\":\"create\",\"who\":\"t\",\"tid\":0,\"id\":1}",
        "{\"k\":\"frobnicate\"," BASE "}",
        "{\"k\":\"create\"," BASE "}",
        "{\"k\":\"create\"," BASE ",\"topic\":{\"slug\":\"Not A Slug\"}}",
        "{\"k\":\"patch\"," BASE "}",
        "{\"k\":\"progress\"," BASE ",\"grade\":9}",
        "{\"k\":\"progress\"," BASE ",\"grade\":\"5\"}",
        "{\"k\":\"lexicon\"," BASE ",\"name\":\"stopwords\",\"doc\":\"{}\"}",
        "{\"k\":\"lexicon\"," BASE ",\"name\":\"synonyms\"}",
        "{\"k\":\"token\"," BASE ",\"role\":9,\"name\":\"n\",\"hash\":\"00\","
        "\"created\":\"" STAMP "\",\"expires\":\"\"}",
        "{\"k\":\"token\"," BASE ",\"role\":1,\"name\":\"n\",\"hash\":\"zz\","
        "\"created\":\"" STAMP "\",\"expires\":\"\"}",
        "{\"k\":\"import\"," BASE ",\"topics\":[],\"lines\":[]}",
        "{\"k\":\"delete\",\"who\":\"t\",\"tid\":\"0\",\"id\":1,\"if\":\"*\"}",
        "[]",
    };
    static const char *const bad_entries[] = {
        "",
        "J",
        "Jnot json",
        "S{\"v\":1}",
        "J{\"v\":2,\"origin\":1,\"boot\":2,\"seq\":3,\"stamp\":\"x\","
        "\"jobs\":[{\"k\":\"delete\"," BASE "}]}",
        "J{\"v\":1,\"origin\":1,\"boot\":2,\"seq\":3,\"stamp\":\"x\","
        "\"jobs\":[]}",
        "J{\"v\":1,\"boot\":2,\"seq\":3,\"stamp\":\"x\","
        "\"jobs\":[{\"k\":\"delete\"," BASE "}]}",
        "J{\"v\":1,\"origin\":1,\"boot\":2,\"seq\":3,"
        "\"jobs\":[{\"k\":\"delete\"," BASE "}]}",
        "J[1,2,3]",
    };
    char text[8192], good[512];
    struct cluster_entry e;
    size_t i, len;

    /* The baseline decodes: each bad one differs from it in one way. */
    entry_with_job(good, sizeof(good), "{\"k\":\"delete\"," BASE "}");
    cr_assert_eq(cluster_entry_decode(good, strlen(good), &e), WENDA_OK);
    cluster_entry_cleanup(&e);
    for (i = 0; i < sizeof(bad_jobs) / sizeof(bad_jobs[0]); i++) {
        entry_with_job(text, sizeof(text), bad_jobs[i]);
        cr_expect_eq(cluster_entry_decode(text, strlen(text), &e),
                     WENDA_ERR_PARSE, "decoded: %s", text);
        cr_expect(e.jobs == NULL && e.n == 0);
        cluster_entry_cleanup(&e);
    }
    for (i = 0; i < sizeof(bad_entries) / sizeof(bad_entries[0]); i++) {
        cr_expect_eq(cluster_entry_decode(bad_entries[i],
                                          strlen(bad_entries[i]), &e),
                     WENDA_ERR_PARSE, "decoded: %s", bad_entries[i]);
        cluster_entry_cleanup(&e);
    }
    /* Cut short anywhere, a good entry is not one. */
    len = strlen(good);
    for (i = 0; i < len; i++) {
        cr_expect_eq(cluster_entry_decode(good, i, &e), WENDA_ERR_PARSE,
                     "decoded %zu bytes of %zu", i, len);
        cluster_entry_cleanup(&e);
    }
    /* More jobs than a batch holds. */
    (void)snprintf(text, sizeof(text), "J{\"v\":1,\"origin\":1,\"boot\":2,"
                   "\"seq\":3,\"stamp\":\"x\",\"jobs\":[");
    for (i = 0; i <= CLUSTER_ENTRY_MAX_JOBS; i++)
        (void)snprintf(text + strlen(text), sizeof(text) - strlen(text),
                       "%s{\"k\":\"delete\"," BASE "}", i ? "," : "");
    cr_assert_lt(strlen(text), sizeof(text) - 3);
    (void)snprintf(text + strlen(text), sizeof(text) - strlen(text), "]}");
    cr_expect_eq(cluster_entry_decode(text, strlen(text), &e),
                 WENDA_ERR_PARSE);
    cluster_entry_cleanup(&e);
}

/* ---- peers --------------------------------------------------------------- */

Test(cluster_peers, accepts_a_list_of_distinct_ids_with_this_node)
{
    char msg[256] = "";

    cr_expect_eq(cluster_peers_valid("1=127.0.0.1:9001,2=h:9002", 1, msg,
                                     sizeof(msg)),
                 0, "%s", msg);
    cr_expect_eq(cluster_peers_valid("1=127.0.0.1:9001,2=h:9002", 2, msg,
                                     sizeof(msg)),
                 0, "%s", msg);
    cr_expect_eq(cluster_peers_valid("1=127.0.0.1:9001,2=h:9002", 0, msg,
                                     sizeof(msg)),
                 0, "%s", msg);
    cr_expect_eq(cluster_peers_valid("65535=10.0.0.1:65535", 65535, msg,
                                     sizeof(msg)),
                 0, "%s", msg);
    cr_expect_eq(cluster_peers_valid("3=a.example:1,1=b.example:2,"
                                     "2=c.example:3",
                                     2, msg, sizeof(msg)),
                 0, "%s", msg);
}

Test(cluster_peers, refuses_duplicates_bad_ids_and_ports_and_a_missing_self)
{
    static const struct {
        const char *peers;
        unsigned int self;
    } bad[] = {
        {"1=a:9001,1=b:9002", 1},       /* the same id twice */
        {"1=[::1]:9001", 1},            /* IPv6: Raft runs over IPv4 */
        {"0=a:9001,2=b:9002", 2},       /* id 0 */
        {"65536=a:9001,2=b:9002", 2},   /* past 65535 */
        {"1=a,2=b:9002", 2},            /* no port */
        {"1=a:,2=b:9002", 2},
        {"1=a:0,2=b:9002", 2},
        {"1=a:65536,2=b:9002", 2},
        {"1=a:90x1,2=b:9002", 2},
        {"1=:9001,2=b:9002", 2},
        {"1=127.0.0.1:9001,2=h:9002", 3},   /* this node absent */
        {"", 1},
        {"1=a:9001,,2=b:9002", 1},
        {"x=a:9001", 1},
        {"=a:9001", 1},
        {"1:a:9001", 1},
        {"1=a b:9001", 1},
        {"1=a:9001,2=b:9002,3=c:9003,4=d:9004,5=e:9005,6=f:9006,7=g:9007,"
         "8=h:9008,9=i:9009,10=j:9010,11=k:9011,12=l:9012,13=m:9013,"
         "14=n:9014,15=o:9015,16=p:9016,17=q:9017", 1},   /* 17 nodes */
    };
    char msg[256];
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        msg[0] = '\0';
        cr_expect_eq(cluster_peers_valid(bad[i].peers, bad[i].self, msg,
                                         sizeof(msg)),
                     -1, "accepted \"%s\" for node %u", bad[i].peers,
                     bad[i].self);
        cr_expect_neq(msg[0], '\0', "no reason for \"%s\"", bad[i].peers);
    }
}
