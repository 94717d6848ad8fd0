/*
 * cluster.c -- a node of a Raft cluster: libraft on its own libuv loop.
 *
 * Threads.  libraft is not thread-safe, so everything that touches it
 * runs on one loop thread: proposing, applying, snapshots, membership.
 * The writer thread hands batches in through an inbox guarded by a mutex
 * and a uv_async wake-up (a producer-consumer queue again); the I/O
 * threads read what the loop publishes, under the same mutex, every
 * LOOK_MS and after each entry it applies.  A read that waits for an index
 * waits on a condition variable the loop signals as it applies.
 *
 * State machine.  The node's database is the state (cluster_fsm.c).  The
 * bootstrap node (--peers) starts the cluster alone and adds the other
 * nodes of --peers one by one.  The first leader of a
 * new cluster (its log holds only the bootstrap configuration) proposes
 * its own database as the first entry, the seed, so that every node starts
 * from the same data, tokens and key.
 *
 * Determinism.  A node applies an entry exactly as the leader encoded it:
 * the time of every row is the entry's stamp, a token arrives as its hash,
 * and ids and versions follow from the database, the same on every node.
 */
#include "cluster.h"

#include <errno.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cluster_int.h"
#include "store_int.h"
#include "wenda/auth.h"
#include "wenda/store.h"
#include "writer.h"

#define LOOK_MS 50               /* the loop publishes its state this often */
#define MAX_INFLIGHT_JOBS 256    /* jobs handed in and not yet answered */
#define MAX_INFLIGHT_BATCHES 2   /* and their batches: while they are out,
                                    the writer's queue fills the next one */
#define STOP_WAIT_S 5             /* for the writes in flight, on a stop */


/* ---- peers --------------------------------------------------------------- */

/* Parses one "ID=HOST:PORT" of peers (len bytes); 0 when it is not one. */
static int
parse_peer(const char *s, size_t len, unsigned int *id, char *addr,
           size_t cap)
{
    const char *eq = memchr(s, '=', len), *colon;
    unsigned long v = 0;
    const char *p;
    size_t alen;

    if (eq == NULL || eq == s || eq - s > 5)
        return 0;
    for (p = s; p < eq; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    alen = len - (size_t)(eq + 1 - s);
    if (v < 1 || v > 65535 || alen == 0 || alen >= cap)
        return 0;
    memcpy(addr, eq + 1, alen);
    addr[alen] = '\0';
    colon = strrchr(addr, ':');
    if (colon == NULL || colon == addr || colon[1] == '\0' ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
        strtoul(colon + 1, NULL, 10) < 1 || strtoul(colon + 1, NULL, 10) >
        65535 || strpbrk(addr, " \t,=[]") != NULL)
        return 0;
    *id = (unsigned int)v;
    return 1;
}

/* Calls fn for each peer of list; -1 with why in msg when one is bad. */
static int
each_peer(const char *list, unsigned int self,
          int (*fn)(void *arg, unsigned int id, const char *addr), void *arg,
          char *msg, size_t cap)
{
    unsigned int ids[CLUSTER_MAX_NODES];
    char addr[CLUSTER_ADDRESS_CAP];
    size_t n = 0, i;
    int seen_self = self == 0;
    const char *s = list;

    while (*s != '\0') {
        const char *end = strchr(s, ',');
        size_t len = end != NULL ? (size_t)(end - s) : strlen(s);
        unsigned int id;

        if (!parse_peer(s, len, &id, addr, sizeof(addr))) {
            (void)snprintf(msg, cap, "'%.*s' is not ID=HOST:PORT (an id "
                           "from 1 to 65535)", (int)(len > 80 ? 80 : len), s);
            return -1;
        }
        for (i = 0; i < n; i++)
            if (ids[i] == id) {
                (void)snprintf(msg, cap, "node %u is listed twice", id);
                return -1;
            }
        if (n == CLUSTER_MAX_NODES) {
            (void)snprintf(msg, cap, "more than %d nodes",
                           CLUSTER_MAX_NODES);
            return -1;
        }
        ids[n++] = id;
        seen_self |= id == self;
        if (fn != NULL && fn(arg, id, addr) != 0) {
            (void)snprintf(msg, cap, "cannot add node %u", id);
            return -1;
        }
        s += len;
        if (*s == ',')
            s++;
    }
    if (n == 0) {
        (void)snprintf(msg, cap, "no node is listed");
        return -1;
    }
    if (!seen_self) {
        (void)snprintf(msg, cap, "this node (%u) is not listed", self);
        return -1;
    }
    return 0;
}

int
cluster_peers_valid(const char *peers, unsigned int self, char *msg,
                    size_t cap)
{
    return each_peer(peers, self, NULL, NULL, msg, cap);
}

/* What grow_step() looks for: the first peer that is not a voter yet. */
struct grow {
    const struct raft_configuration *conf;
    unsigned int id;                    /* 0: every peer is a voter */
    char address[CLUSTER_ADDRESS_CAP];
    int known;                          /* it is in conf, not as a voter */
};

static int
find_missing(void *arg, unsigned int id, const char *addr)
{
    struct grow *g = arg;
    unsigned i;

    if (g->id != 0)
        return 0;
    for (i = 0; i < g->conf->n; i++)
        if (g->conf->servers[i].id == id) {
            if (g->conf->servers[i].role != RAFT_VOTER) {
                g->id = id;
                g->known = 1;
            }
            return 0;
        }
    g->id = id;
    (void)snprintf(g->address, sizeof(g->address), "%s", addr);
    return 0;
}

/* ---- answering jobs ------------------------------------------------------ */

static void
answer_job(struct cluster *c, struct write_job *job)
{
    atomic_store(&job->done, 1);
    job->wake(job);
    pthread_mutex_lock(&c->lock);
    c->inflight--;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

/* A batch of the writer's is answered, or out of the way of the next. */
static void
batch_done(struct cluster *c)
{
    pthread_mutex_lock(&c->lock);
    c->batches--;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

static void
fail_job(struct cluster *c, struct write_job *job, enum wenda_err rc,
         const char *msg)
{
    free(job->result.body);
    job->result.body = NULL;
    job->result.len = 0;
    job->result.rc = rc;
    job->result.index = 0;
    (void)snprintf(job->result.msg, sizeof(job->result.msg), "%s",
                   msg != NULL ? msg : "");
    answer_job(c, job);
}

/* Fails job because this node is not the leader: with the leader's URL
 * when it has one.  Loop thread. */
static void
fail_not_leader(struct cluster *c, struct write_job *job)
{
    char url[CLUSTER_URL_CAP] = "";
    raft_id id = 0;
    const char *addr = NULL;

    raft_leader(&c->raft, &id, &addr);
    pthread_mutex_lock(&c->lock);
    if (id != 0)
        cluster_url_of(c, (unsigned int)id, url, sizeof(url));
    pthread_mutex_unlock(&c->lock);
    if (url[0] != '\0' && id != c->id)
        fail_job(c, job, WENDA_ERR_NOT_LEADER, url);
    else
        fail_job(c, job, WENDA_ERR_NO_LEADER, "the cluster has no leader "
                 "this node knows of; nothing was written");
}

/* Answers a raft call's failure rv for job. */
static void
fail_raft(struct cluster *c, struct write_job *job, int rv)
{
    char msg[256];

    switch (rv) {
    case RAFT_NOTLEADER:
        fail_not_leader(c, job);
        return;
    case RAFT_DUPLICATEID:
    case RAFT_DUPLICATEADDRESS:
        (void)snprintf(msg, sizeof(msg), "a node of the cluster already has "
                       "this %s", rv == RAFT_DUPLICATEID ? "id" : "address");
        fail_job(c, job, WENDA_ERR_CONFLICT, msg);
        return;
    case RAFT_BADID:
        fail_job(c, job, WENDA_ERR_NOT_FOUND, "no node of the cluster has "
                 "this id");
        return;
    case RAFT_LEADERSHIPLOST:
        fail_job(c, job, WENDA_ERR_UNAVAILABLE, "the leader changed before "
                 "the write was committed; it may or may not have been "
                 "applied: read before retrying");
        return;
    default:
        (void)snprintf(msg, sizeof(msg), "the cluster could not take the "
                       "change (%s); try again", raft_strerror(rv));
        fail_job(c, job, WENDA_ERR_UNAVAILABLE, msg);
        return;
    }
}

static void
pending_unlink(struct cluster *c, struct pending *p)
{
    struct pending **pp;

    for (pp = &c->pending; *pp != NULL; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            return;
        }
}

static void
pending_free(struct pending *p)
{
    free(p->jobs);
    free(p);
}

struct pending *
cluster_pending_find(struct cluster *c, const struct cluster_entry_id *eid)
{
    struct pending *p;

    if (eid->origin != c->id || eid->boot != c->boot)
        return NULL;
    for (p = c->pending; p != NULL; p = p->next)
        if (p->seq == eid->seq)
            return p;
    return NULL;
}

/* ---- proposing (loop thread) --------------------------------------------- */

static void
apply_done(struct raft_apply *req, int status, void *result)
{
    struct pending *p = req->data;
    struct cluster *c = p->c;
    size_t i;

    (void)result;
    pending_unlink(c, p);
    if (p->kind == CLUSTER_ENTRY_SEED)
        c->seed_inflight = 0;
    if (p->kind == CLUSTER_ENTRY_URL && p->n == 0)
        c->url_inflight = 0;
    if (p->kind == CLUSTER_ENTRY_JOBS)
        batch_done(c);
    for (i = 0; i < p->n; i++) {
        if (status == 0 && p->done)
            answer_job(c, p->jobs[i]);
        else if (status == 0)
            fail_job(c, p->jobs[i], WENDA_ERR_INTERNAL, "the write was "
                     "committed but its result was lost");
        else
            fail_raft(c, p->jobs[i], status);
    }
    pending_free(p);
}

/* Proposes the entry buf (malloc'ed, len bytes; taken) for p.  Returns 1
 * when it is on its way, else 0 with p's jobs failed and p freed. */
static int
propose(struct cluster *c, struct pending *p, char *data, size_t len)
{
    struct raft_buffer buf;
    size_t i;
    int rv;

    buf.len = ROUND8(len);
    buf.base = raft_calloc(1, buf.len);
    if (buf.base == NULL) {
        free(data);
        rv = RAFT_NOMEM;
    } else {
        memcpy(buf.base, data, len);
        free(data);
        p->apply.data = p;
        p->next = c->pending;
        c->pending = p;
        rv = raft_apply(&c->raft, &p->apply, &buf, 1, apply_done);
        if (rv != 0) {
            raft_free(buf.base);
            pending_unlink(c, p);
        }
    }
    if (rv == 0)
        return 1;
    if (p->kind == CLUSTER_ENTRY_SEED)
        c->seed_inflight = 0;
    if (p->kind == CLUSTER_ENTRY_URL && p->n == 0)
        c->url_inflight = 0;
    for (i = 0; i < p->n; i++)
        fail_raft(c, p->jobs[i], rv);
    pending_free(p);
    return 0;
}

static struct pending *
pending_new(struct cluster *c, char kind, struct write_job **jobs, size_t n)
{
    struct pending *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return NULL;
    p->c = c;
    p->kind = kind;
    p->seq = ++c->seq;
    if (n > 0) {
        p->jobs = malloc(n * sizeof(struct write_job *));
        if (p->jobs == NULL) {
            free(p);
            return NULL;
        }
        memcpy(p->jobs, jobs, n * sizeof(struct write_job *));
    }
    p->n = n;
    return p;
}

/* Proposes a 'U' entry: node id's URL; for p (whose jobs it answers), or
 * for this node's own announcement when p has none. */
static void
propose_url(struct cluster *c, struct pending *p, unsigned int id,
            const char *url)
{
    json_t *o = json_pack("{s:I, s:s, s:I, s:I, s:I}", "id", (json_int_t)id,
                          "url", url, "origin", (json_int_t)c->id, "boot",
                          (json_int_t)c->boot, "seq", (json_int_t)p->seq);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL, *data;
    size_t len;

    json_decref(o);
    data = text ? malloc(strlen(text) + 1) : NULL;
    if (data == NULL) {
        size_t i;

        free(text);
        if (p->n == 0)
            c->url_inflight = 0;
        for (i = 0; i < p->n; i++)
            fail_job(c, p->jobs[i], WENDA_ERR_NOMEM, NULL);
        pending_free(p);
        return;
    }
    len = strlen(text) + 1;
    data[0] = CLUSTER_ENTRY_URL;
    memcpy(data + 1, text, len - 1);
    free(text);
    p->kind = CLUSTER_ENTRY_URL;
    (void)propose(c, p, data, len);
}

static void
assign_done(struct raft_change *req, int status)
{
    struct pending *p = req->data;
    struct cluster *c = p->c;

    if (status != 0) {
        fail_raft(c, p->jobs[0], status);
        pending_free(p);
        return;
    }
    propose_url(c, p, p->node, p->jobs[0]->node_url);
}

static void
add_done(struct raft_change *req, int status)
{
    struct pending *p = req->data;
    struct cluster *c = p->c;
    int rv = status;

    if (rv == 0)
        rv = raft_assign(&c->raft, &p->change, p->node, RAFT_VOTER,
                         assign_done);
    if (rv != 0) {
        fail_raft(c, p->jobs[0], rv);
        pending_free(p);
    }
}

static void
remove_done(struct raft_change *req, int status)
{
    struct pending *p = req->data;
    struct cluster *c = p->c;

    if (status != 0) {
        fail_raft(c, p->jobs[0], status);
    } else {
        p->jobs[0]->result.rc = WENDA_OK;
        p->jobs[0]->result.index = raft_last_index(&c->raft);
        answer_job(c, p->jobs[0]);
    }
    pending_free(p);
}

/* Starts a membership change for job. */
static void
change_members(struct cluster *c, struct write_job *job)
{
    struct pending *p = pending_new(c, job->kind == WRITE_CLUSTER_ADD ? 'A'
                                                                       : 'R',
                                    &job, 1);
    int rv;

    if (p == NULL) {
        fail_job(c, job, WENDA_ERR_NOMEM, NULL);
        return;
    }
    p->node = (unsigned int)job->id;
    p->change.data = p;
    if (job->kind == WRITE_CLUSTER_ADD)
        rv = raft_add(&c->raft, &p->change, p->node, job->node_address,
                      add_done);
    else
        rv = raft_remove(&c->raft, &p->change, p->node, remove_done);
    if (rv != 0) {
        fail_raft(c, job, rv);
        pending_free(p);
    }
}

/* Mints the token of a token create: the answer keeps it, the log only
 * its hash. */
static void
mint(struct cluster *c, struct write_job *job, const char *stamp)
{
    wenda_auth_token_mint(c->auth, job->token, job->token_hash);
    (void)snprintf(job->token_created, sizeof(job->token_created), "%s",
                   stamp);
    job->token_expires[0] = '\0';
    if (job->expires > 0)
        wenda_auth_time(job->expires, job->token_expires);
    job->minted = 1;
}

/* Proposes a batch of the writer's as one entry (membership changes go
 * on their own).  Returns 1 when an entry of it is on its way. */
static int
propose_batch(struct cluster *c, struct batch *b)
{
    struct write_job *jobs[CLUSTER_ENTRY_MAX_JOBS];
    struct cluster_entry_id eid;
    struct pending *p;
    char stamp[WENDA_AUTH_TIME_CAP], *data;
    size_t i, n = 0, len = 0;

    if (raft_state(&c->raft) != RAFT_LEADER) {
        for (i = 0; i < b->n; i++)
            fail_not_leader(c, b->jobs[i]);
        return 0;
    }
    if (c->applied_db == 0) {   /* the seed comes first, and replaces all */
        for (i = 0; i < b->n; i++)
            fail_job(c, b->jobs[i], WENDA_ERR_NO_LEADER, "the cluster is "
                     "starting: its first leader has not seeded it yet; "
                     "nothing was written");
        return 0;
    }
    wenda_auth_time(0, stamp);
    for (i = 0; i < b->n; i++) {
        struct write_job *job = b->jobs[i];

        if (job->kind == WRITE_CLUSTER_ADD ||
            job->kind == WRITE_CLUSTER_REMOVE) {
            change_members(c, job);
            continue;
        }
        if (job->kind == WRITE_TOKEN_CREATE)
            mint(c, job, stamp);
        if (n < CLUSTER_ENTRY_MAX_JOBS)
            jobs[n++] = job;
        else
            fail_job(c, job, WENDA_ERR_UNAVAILABLE, NULL);
    }
    if (n == 0)
        return 0;
    p = pending_new(c, CLUSTER_ENTRY_JOBS, jobs, n);
    if (p == NULL) {
        for (i = 0; i < n; i++)
            fail_job(c, jobs[i], WENDA_ERR_NOMEM, NULL);
        return 0;
    }
    eid.origin = c->id;
    eid.boot = c->boot;
    eid.seq = p->seq;
    data = cluster_entry_encode(jobs, n, &eid, stamp, &len);
    if (data == NULL) {
        for (i = 0; i < n; i++)
            fail_job(c, jobs[i], WENDA_ERR_NOMEM, NULL);
        pending_free(p);
        return 0;
    }
    return propose(c, p, data, len);
}

/* ---- the loop ------------------------------------------------------------ */

static void
close_done(uv_handle_t *h)
{
    (void)h;
}

static void
raft_closed(struct raft *r)
{
    struct cluster *c = r->data;

    raft_uv_close(&c->io);
    cluster_net_close(&c->net);
    uv_close((uv_handle_t *)&c->look, close_done);
    uv_close((uv_handle_t *)&c->wake, close_done);
}

static void
on_wake(uv_async_t *h)
{
    struct cluster *c = h->data;
    struct batch *b, *next;
    int stopping;

    pthread_mutex_lock(&c->lock);
    b = c->inbox;
    c->inbox = NULL;
    c->inbox_tail = &c->inbox;
    stopping = c->stopping;
    pthread_mutex_unlock(&c->lock);
    for (; b != NULL; b = next) {
        size_t i;

        next = b->next;
        if (stopping || c->closing) {
            for (i = 0; i < b->n; i++)
                fail_job(c, b->jobs[i], WENDA_ERR_UNAVAILABLE,
                         "the server is stopping; nothing was written");
            batch_done(c);
        } else if (!propose_batch(c, b)) {
            batch_done(c);
        }
        free(b->jobs);
        free(b);
    }
    if (stopping && !c->closing) {
        c->closing = 1;
        raft_close(&c->raft, raft_closed);
    }
}

/* Fills *s from libraft's state.  Loop thread; lock not held. */
static void
fill_status(struct cluster *c, struct cluster_status *s)
{
    raft_id leader = 0;
    const char *addr = NULL;
    unsigned i;
    int state = raft_state(&c->raft);

    memset(s, 0, sizeof(*s));
    s->id = c->id;
    s->role = state == RAFT_LEADER      ? CLUSTER_LEADER
              : state == RAFT_CANDIDATE ? CLUSTER_CANDIDATE
              : state == RAFT_FOLLOWER  ? CLUSTER_FOLLOWER
                                        : CLUSTER_UNAVAILABLE;
    s->term = c->raft.current_term;
    raft_leader(&c->raft, &leader, &addr);
    s->leader_id = (unsigned int)leader;
    s->commit_index = c->raft.commit_index;
    s->applied_index = raft_last_applied(&c->raft);
    s->last_index = raft_last_index(&c->raft);
    for (i = 0; i < c->raft.configuration.n && i < CLUSTER_MAX_NODES; i++) {
        const struct raft_server *srv = &c->raft.configuration.servers[i];
        struct cluster_node *nd = &s->nodes[s->nnodes++];

        nd->id = (unsigned int)srv->id;
        (void)snprintf(nd->address, sizeof(nd->address), "%s",
                       srv->address);
        nd->role = srv->role == RAFT_VOTER     ? "voter"
                   : srv->role == RAFT_STANDBY ? "standby"
                                               : "spare";
    }
}

/* Publishes the state for the other threads. */
void
cluster_publish(struct cluster *c)
{
    struct cluster_status s;
    size_t i;

    fill_status(c, &s);
    pthread_mutex_lock(&c->lock);
    if (s.leader_id != 0)
        cluster_url_of(c, s.leader_id, s.leader_url, sizeof(s.leader_url));
    for (i = 0; i < s.nnodes; i++)
        cluster_url_of(c, s.nodes[i].id, s.nodes[i].url, sizeof(s.nodes[i].url));
    s.ready = s.leader_id != 0 && c->applied_db > 0 &&
              s.applied_index >= s.commit_index;
    if (c->status.applied_index > s.applied_index)
        s.applied_index = c->status.applied_index;
    c->status = s;
    atomic_store(&c->applied, s.applied_index);
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

static void
grow_done(struct raft_change *req, int status)
{
    struct cluster *c = req->data;

    c->grow_inflight = 0;
    if (status != 0 && status != RAFT_SHUTDOWN)
        fprintf(stderr, "wenda: cluster: adding a node of --peers: %s; "
                "trying again\n", raft_strerror(status));
}

/*
 * The bootstrap node starts a cluster alone and then adds each node of
 * --peers, one change at a time (Raft takes no other), first as a spare
 * and then as a voter once it has caught up.  When all are voters it says
 * so in a file of the Raft directory and stops: a node removed later is
 * not added again.
 */
static void
grow_step(struct cluster *c)
{
    struct grow g;
    char msg[128];
    FILE *f;
    int rv;

    memset(&g, 0, sizeof(g));
    g.conf = &c->raft.configuration;
    if (c->raft.configuration_uncommitted_index != 0 ||
        each_peer(c->peers, c->id, find_missing, &g, msg, sizeof(msg)) != 0)
        return;
    if (g.id == 0) {
        f = fopen(c->grown_path, "w");
        if (f != NULL) {
            (void)fputs("every node of --peers was added\n", f);
            (void)fclose(f);
        }
        c->grown = 1;
        fprintf(stderr, "wenda: cluster: every node of --peers is a voter\n");
        return;
    }
    c->grow_change.data = c;
    rv = g.known ? raft_assign(&c->raft, &c->grow_change, g.id, RAFT_VOTER,
                               grow_done)
                 : raft_add(&c->raft, &c->grow_change, g.id, g.address,
                            grow_done);
    c->grow_inflight = rv == 0;
}

/* Publishes the state, and does the leader's chores: seeding a new
 * cluster and announcing its own URL. */
static void
look(struct cluster *c)
{
    char mine[CLUSTER_URL_CAP];
    int state;

    cluster_publish(c);
    state = raft_state(&c->raft);
    pthread_mutex_lock(&c->lock);
    cluster_url_of(c, c->id, mine, sizeof(mine));
    pthread_mutex_unlock(&c->lock);
    if (state != RAFT_LEADER || c->closing)
        return;
    if (raft_last_index(&c->raft) == 1 && !c->seed_inflight) {
        struct raft_buffer img;
        struct pending *p;

        if (cluster_make_image(c, CLUSTER_ENTRY_SEED, &img) != 0)
            return;
        if (img.len > SEED_MAX) {
            fprintf(stderr, "wenda: cluster: the database (%zu bytes) is "
                    "too large to seed a cluster with (at most %zu)\n",
                    img.len, SEED_MAX);
            raft_free(img.base);
            return;
        }
        p = pending_new(c, CLUSTER_ENTRY_SEED, NULL, 0);
        if (p == NULL) {
            raft_free(img.base);
            return;
        }
        c->seed_inflight = 1;
        p->apply.data = p;
        p->next = c->pending;
        c->pending = p;
        if (raft_apply(&c->raft, &p->apply, &img, 1, apply_done) != 0) {
            raft_free(img.base);
            pending_unlink(c, p);
            pending_free(p);
            c->seed_inflight = 0;
        }
        return;
    }
    if (c->peers != NULL && !c->grown && !c->grow_inflight &&
        c->applied_db > 0)
        grow_step(c);
    if (c->applied_db > 0 && !c->url_inflight &&
        strcmp(mine, c->advertise_url) != 0) {
        struct pending *p = pending_new(c, CLUSTER_ENTRY_URL, NULL, 0);

        if (p != NULL) {
            c->url_inflight = 1;
            propose_url(c, p, c->id, c->advertise_url);
        }
    }
}

static void
on_look(uv_timer_t *t)
{
    look(t->data);
}

static void *
run(void *arg)
{
    struct cluster *c = arg;
    struct pending *p;

    (void)uv_run(&c->loop, UV_RUN_DEFAULT);
    while ((p = c->pending) != NULL) {   /* what raft_close left */
        size_t i;

        c->pending = p->next;
        if (p->kind == CLUSTER_ENTRY_JOBS)
            batch_done(c);
        for (i = 0; i < p->n; i++)
            fail_job(c, p->jobs[i], WENDA_ERR_UNAVAILABLE, "the server is "
                     "stopping; the write may or may not have been applied");
        pending_free(p);
    }
    return NULL;
}

/* ---- start, stop, and what other threads ask ----------------------------- */

void
cluster_free(struct cluster *c)
{
    wenda_store_close(c->st);
    free(c->raft_address);
    free(c->peers);
    free(c->raft_dir);
    free(c->advertise_url);
    free(c->db_path);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->changed);
    free(c);
}

/* Returns 1 when the Raft directory dir holds a log (its metadata). */
static int
has_log(const char *dir)
{
    char path[4200];

    (void)snprintf(path, sizeof(path), "%s/metadata1", dir);
    if (access(path, F_OK) == 0)
        return 1;
    (void)snprintf(path, sizeof(path), "%s/metadata2", dir);
    return access(path, F_OK) == 0;
}

/* Creates dir and its parents (mode 0700). */
static int
make_dirs(const char *dir)
{
    char path[4096];
    size_t i, n = strlen(dir);

    if (n == 0 || n >= sizeof(path))
        return -1;
    memcpy(path, dir, n + 1);
    for (i = 1; i <= n; i++)
        if (path[i] == '/' || path[i] == '\0') {
            char keep = path[i];

            path[i] = '\0';
            if (mkdir(path, 0700) != 0 && errno != EEXIST)
                return -1;
            path[i] = keep;
        }
    return 0;
}

static enum wenda_err
start_raft(struct cluster *c, char *msg, size_t cap)
{
    struct raft_configuration conf;
    int rv;

    if (uv_loop_init(&c->loop) != 0 ||
        uv_async_init(&c->loop, &c->wake, on_wake) != 0 ||
        uv_timer_init(&c->loop, &c->look) != 0) {
        (void)snprintf(msg, cap, "cannot start the cluster's loop");
        return WENDA_ERR_INTERNAL;
    }
    c->wake.data = c;
    c->look.data = c;
    rv = cluster_net_init(&c->net, &c->loop);
    if (rv == 0)
        rv = raft_uv_init(&c->io, &c->loop, c->raft_dir, &c->net.outer);
    if (rv != 0) {
        (void)snprintf(msg, cap, "cannot open the Raft directory %s: %s",
                       c->raft_dir, c->io.errmsg[0] ? c->io.errmsg
                                                    : raft_strerror(rv));
        return WENDA_ERR_IO;
    }
    cluster_fsm_setup(c);
    rv = raft_init(&c->raft, &c->io, &c->fsm, c->id, c->raft_address);
    if (rv != 0) {
        (void)snprintf(msg, cap, "cannot start Raft on %s: %s",
                       c->raft_address,
                       raft_errmsg(&c->raft)[0] ? raft_errmsg(&c->raft)
                                                 : raft_strerror(rv));
        return WENDA_ERR_INTERNAL;
    }
    c->raft.data = c;
    c->r = &c->raft;
    if (c->peers != NULL) {   /* alone at first: the others are added */
        raft_configuration_init(&conf);
        rv = raft_configuration_add(&conf, c->id, c->raft_address,
                                    RAFT_VOTER);
        if (rv != 0) {
            raft_configuration_close(&conf);
            (void)snprintf(msg, cap, "cannot bootstrap the cluster: %s",
                           raft_strerror(rv));
            return WENDA_ERR_NOMEM;
        }
        rv = raft_bootstrap(&c->raft, &conf);
        raft_configuration_close(&conf);
        if (rv != 0 && rv != RAFT_CANTBOOTSTRAP) {
            (void)snprintf(msg, cap, "cannot bootstrap the cluster: %s",
                           raft_errmsg(&c->raft));
            return WENDA_ERR_IO;
        }
    }
    raft_set_pre_vote(&c->raft, true);
    raft_set_snapshot_threshold(&c->raft, 512);
    raft_set_snapshot_trailing(&c->raft, 128);
    rv = raft_start(&c->raft);
    if (rv != 0) {
        (void)snprintf(msg, cap, "cannot start Raft on %s: %s",
                       c->raft_address,
                       raft_errmsg(&c->raft)[0] ? raft_errmsg(&c->raft)
                                                 : raft_strerror(rv));
        return WENDA_ERR_IO;
    }
    if (uv_timer_start(&c->look, on_look, LOOK_MS, LOOK_MS) != 0) {
        (void)snprintf(msg, cap, "cannot start the cluster's timer");
        return WENDA_ERR_INTERNAL;
    }
    return WENDA_OK;
}

enum wenda_err
cluster_start(const struct cluster_config *cfg, struct cluster **out,
              char *msg, size_t cap)
{
    struct cluster *c;
    enum wenda_err rc;

    *out = NULL;
    msg[0] = '\0';
    c = cluster_new(cfg->id, cfg->db_path, cfg->auth);
    if (c == NULL)
        return WENDA_ERR_NOMEM;
    c->raft_address = strdup(cfg->raft_address);
    c->peers = cfg->peers != NULL && cfg->peers[0] ? strdup(cfg->peers)
                                                    : NULL;
    c->raft_dir = strdup(cfg->raft_dir);
    c->advertise_url = strdup(cfg->advertise_url);
    if (c->raft_address == NULL || c->raft_dir == NULL ||
        c->advertise_url == NULL ||
        (cfg->peers != NULL && cfg->peers[0] && c->peers == NULL)) {
        cluster_free(c);
        return WENDA_ERR_NOMEM;
    }
    if (c->peers != NULL && cluster_peers_valid(c->peers, c->id, msg, cap)) {
        cluster_free(c);
        return WENDA_ERR_INVALID;
    }
    rc = cluster_open_state(c, msg, cap);
    if (rc != WENDA_OK) {
        cluster_free(c);
        return rc;
    }
    (void)snprintf(c->grown_path, sizeof(c->grown_path), "%s/peers-added",
                   c->raft_dir);
    c->grown = access(c->grown_path, F_OK) == 0;
    if (make_dirs(c->raft_dir) != 0) {
        (void)snprintf(msg, cap, "cannot create the Raft directory %s: %s",
                       c->raft_dir, strerror(errno));
        cluster_free(c);
        return WENDA_ERR_IO;
    }
    if (!has_log(c->raft_dir) && c->applied_db > 0) {
        /* The log is gone (a wiped node), so what the database says it
         * applied belongs to another history: it is replaced as the node
         * catches up, and nothing of it may be skipped. */
        if (wenda_store_cluster_mark(c->st, 0) != WENDA_OK) {
            (void)snprintf(msg, cap, "cannot reset %s", c->db_path);
            cluster_free(c);
            return WENDA_ERR_DB;
        }
        c->applied_db = 0;
    }
    rc = start_raft(c, msg, cap);
    if (rc == WENDA_OK && pthread_create(&c->thread, NULL, run, c) != 0) {
        (void)snprintf(msg, cap, "cannot start the cluster's thread");
        rc = WENDA_ERR_INTERNAL;
    }
    if (rc != WENDA_OK) {
        /* Whatever was opened closes as the loop runs down. */
        c->closing = 1;
        if (c->raft.data == c) {
            raft_close(&c->raft, raft_closed);
        } else {
            uv_close((uv_handle_t *)&c->look, close_done);
            uv_close((uv_handle_t *)&c->wake, close_done);
        }
        (void)uv_run(&c->loop, UV_RUN_DEFAULT);
        (void)uv_loop_close(&c->loop);
        cluster_free(c);
        return rc;
    }
    fprintf(stderr, "wenda: cluster node %u: Raft on %s, data in %s%s\n",
            c->id, c->raft_address, c->raft_dir,
            c->peers != NULL ? "" : " (waiting to be added, unless it "
            "was before)");
    *out = c;
    return WENDA_OK;
}

/* Allocates a node's state without its Raft: what both starts share. */
struct cluster *
cluster_new(unsigned int id, const char *db_path, struct wenda_auth *auth)
{
    struct cluster *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->changed, NULL);
    c->inbox_tail = &c->inbox;
    c->id = id;
    c->auth = auth;
    c->db_path = strdup(db_path);
    randombytes_buf(&c->boot, sizeof(c->boot));
    c->boot &= INT64_MAX;   /* an entry carries it as a JSON integer */
    if (c->db_path == NULL) {
        cluster_free(c);
        return NULL;
    }
    return c;
}

void
cluster_stop(struct cluster *c)
{
    struct timespec until;

    if (c == NULL || c->stopped)
        return;
    (void)clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += STOP_WAIT_S;
    pthread_mutex_lock(&c->lock);
    while (c->inflight > 0 &&
           pthread_cond_timedwait(&c->changed, &c->lock, &until) != ETIMEDOUT)
        ;
    c->stopping = 1;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
    uv_async_send(&c->wake);
    pthread_join(c->thread, NULL);
    (void)uv_loop_close(&c->loop);
    c->stopped = 1;
}

void
cluster_close(struct cluster *c)
{
    if (c == NULL)
        return;
    cluster_stop(c);
    cluster_free(c);
}

void
cluster_propose(struct cluster *c, struct write_job **jobs, size_t n)
{
    struct batch *b = calloc(1, sizeof(*b));
    size_t i;

    if (b != NULL)
        b->jobs = malloc(n * sizeof(struct write_job *));
    pthread_mutex_lock(&c->lock);
    while ((c->inflight >= MAX_INFLIGHT_JOBS ||
            c->batches >= MAX_INFLIGHT_BATCHES) && !c->stopping)
        pthread_cond_wait(&c->changed, &c->lock);
    if (b == NULL || b->jobs == NULL || c->stopping) {
        pthread_mutex_unlock(&c->lock);
        for (i = 0; i < n; i++) {
            jobs[i]->result.rc = WENDA_ERR_UNAVAILABLE;
            (void)snprintf(jobs[i]->result.msg, sizeof(jobs[i]->result.msg),
                           "the server is stopping; nothing was written");
            atomic_store(&jobs[i]->done, 1);
            jobs[i]->wake(jobs[i]);
        }
        if (b != NULL)
            free(b->jobs);
        free(b);
        return;
    }
    memcpy(b->jobs, jobs, n * sizeof(struct write_job *));
    b->n = n;
    *c->inbox_tail = b;
    c->inbox_tail = &b->next;
    c->inflight += n;
    c->batches++;
    pthread_mutex_unlock(&c->lock);
    uv_async_send(&c->wake);
}

uint64_t
cluster_applied(struct cluster *c)
{
    return atomic_load(&c->applied);
}

enum wenda_err
cluster_wait_applied(struct cluster *c, uint64_t index, unsigned int ms)
{
    struct timespec until;
    enum wenda_err rc = WENDA_OK;

    (void)clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->lock);
    while (c->status.applied_index < index && !c->stopping)
        if (pthread_cond_timedwait(&c->changed, &c->lock, &until) ==
            ETIMEDOUT)
            break;
    if (c->status.applied_index < index)
        rc = WENDA_ERR_STALE_READ;
    pthread_mutex_unlock(&c->lock);
    return rc;
}

void
cluster_status(struct cluster *c, struct cluster_status *out)
{
    pthread_mutex_lock(&c->lock);
    *out = c->status;
    pthread_mutex_unlock(&c->lock);
}

const char *
cluster_role_name(enum cluster_role role)
{
    switch (role) {
    case CLUSTER_LEADER:
        return "leader";
    case CLUSTER_FOLLOWER:
        return "follower";
    case CLUSTER_CANDIDATE:
        return "candidate";
    default:
        return "unavailable";
    }
}

char *
cluster_status_json(const struct cluster_status *s)
{
    json_t *o, *nodes = json_array(), *leader = json_null();
    char *text;
    size_t i;

    for (i = 0; nodes != NULL && i < s->nnodes; i++) {
        const struct cluster_node *nd = &s->nodes[i];

        (void)json_array_append_new(
            nodes, json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)nd->id,
                             "address", nd->address, "role", nd->role, "url",
                             nd->url[0] ? json_string(nd->url)
                                        : json_null()));
    }
    if (s->leader_id != 0) {
        json_decref(leader);
        leader = json_pack("{s:I, s:o}", "id", (json_int_t)s->leader_id,
                           "url", s->leader_url[0]
                                      ? json_string(s->leader_url)
                                      : json_null());
    }
    o = json_pack("{s:I, s:s, s:I, s:o, s:I, s:I, s:I, s:b, s:o}", "id",
                  (json_int_t)s->id, "role", cluster_role_name(s->role),
                  "term", (json_int_t)s->term, "leader", leader,
                  "commit_index", (json_int_t)s->commit_index,
                  "applied_index", (json_int_t)s->applied_index,
                  "last_index", (json_int_t)s->last_index, "ready", s->ready,
                  "nodes", nodes);
    text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}
