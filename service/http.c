/*
 * http.c -- the server's life: libmicrohttpd's daemon set up, serving
 * until a signal, the drain, and shutdown.
 *
 * libmicrohttpd runs its own pool of I/O threads on epoll, one per core by
 * default; each thread answers the requests of the connections it owns,
 * start to finish, reading through a database connection of its own
 * (http_request.c), while writes queue for the one writer thread
 * (writer.c).  This file gives the daemon its callbacks and limits, and
 * owns what the threads share: the token key, the writer, the search
 * slots, the watchdog of late requests (http_watch.c) and the registry of
 * the threads' database connections.
 *
 * Shutdown is an event: the main thread waits in sigwait() for SIGTERM or
 * SIGINT, then stops taking connections (one made after the signal is
 * closed as soon as it is accepted, and every answer from then on closes
 * its connection), waits until no request is in flight or the drain
 * timeout has passed, and only then stops the daemon and closes the
 * database connections.  SIGHUP re-opens the log file, for log rotation.
 * MHD_quiesce_daemon() is not used: in libmicrohttpd 0.9.75 it races with
 * the I/O threads of an epoll thread pool, which may take the listening
 * socket out of their epoll set first, and it then aborts the process
 * ("Failed to remove listen FD from epoll set").
 */
#include "http_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster.h"
#include "metrics.h"
#include "writer.h"
#include "wenda/auth.h"

/* Descriptors the server keeps for itself beside its connections:
 * standard streams, the log, the listening socket, the writer's SQLite
 * files and the token key, with room to spare; and per I/O thread its
 * epoll and wake-up descriptors and its SQLite database, WAL and
 * shared-memory files. */
#define FD_RESERVE 64
#define FD_PER_THREAD 8

/* How the daemon is to run, as worked out from the configuration. */
struct plan {
    unsigned int flags;             /* MHD_USE_* */
    struct sockaddr_storage addr;   /* where to listen */
    unsigned int threads;           /* I/O threads */
    unsigned int slots;             /* searches at once */
    struct http_tls tls;
};

static unsigned int fit_connections(unsigned int want, unsigned int threads);
static size_t queue_depth(const void *ctx);
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr,
                                     socklen_t addrlen);
static long drain(struct server *srv, unsigned int timeout);
static void server_init(struct server *srv, const struct http_config *cfg);
static int bind_address(const struct http_config *cfg, struct plan *p);
static int plan_daemon(const struct http_config *cfg, struct plan *p);
static int server_open(struct server *srv, unsigned int slots);
static void stop_writer(struct server *srv);
static void server_close(struct server *srv);
static struct MHD_Daemon *start_daemon(struct server *srv, struct plan *p);
static int wait_for_stop(const struct http_config *cfg);
static void stop_serving(struct server *srv, struct MHD_Daemon *d, int sig);

/*
 * Returns how many connections may be open at once: want, or fewer when
 * the open-file limit has no room for them beside the descriptors the
 * server keeps for itself.  Every connection is a descriptor, so the soft
 * limit is first raised as far as want needs and the hard limit allows.
 * A smaller answer is said on stderr.
 */
static unsigned int
fit_connections(unsigned int want, unsigned int threads)
{
    rlim_t reserve = FD_RESERVE + (rlim_t)FD_PER_THREAD * threads;
    rlim_t need = (rlim_t)want + reserve;
    struct rlimit rl;
    rlim_t room;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return want;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need
                          ? need
                          : rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
            return want;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
        return want;
    room = rl.rlim_cur > reserve + threads ? rl.rlim_cur - reserve
                                           : (rlim_t)threads;
    fprintf(stderr, "wenda: %u connections do not fit the open-file limit "
            "of %llu; serving at most %llu\n", want,
            (unsigned long long)rl.rlim_cur, (unsigned long long)room);
    return (unsigned int)room;
}

void
http_block_signals(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    (void)pthread_sigmask(SIG_BLOCK, &set, NULL);
}

unsigned long
http_usec_since(const struct timespec *t0)
{
    struct timespec t1;
    long long us;

    (void)clock_gettime(CLOCK_MONOTONIC, &t1);
    us = (long long)(t1.tv_sec - t0->tv_sec) * 1000000 +
         (t1.tv_nsec - t0->tv_nsec) / 1000;
    return us > 0 ? (unsigned long)us : 0;
}

/* The write queue's depth for /metrics (ctx: the writer). */
static size_t
queue_depth(const void *ctx)
{
    return writer_depth(ctx);
}

/* libmicrohttpd's accept policy (cls: the server): once draining, a new
 * connection is closed as soon as it is accepted. */
static enum MHD_Result
accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    const struct server *srv = cls;

    (void)addr;
    (void)addrlen;
    return atomic_load_explicit(&srv->draining, memory_order_relaxed)
               ? MHD_NO
               : MHD_YES;
}

/*
 * Stops taking connections (see accept_policy()), then waits until no
 * request is in flight or timeout seconds have passed.  Returns the
 * number of requests still in flight.
 */
static long
drain(struct server *srv, unsigned int timeout)
{
    struct timespec t0, pause = {0, 10L * 1000 * 1000};
    long left;

    atomic_store(&srv->draining, 1);
    (void)clock_gettime(CLOCK_MONOTONIC, &t0);
    while ((left = metrics_in_flight()) > 0 &&
           http_usec_since(&t0) < (unsigned long)timeout * 1000000UL)
        (void)nanosleep(&pause, NULL);
    return left;
}

/* Makes *srv the server of cfg, with nothing open yet, and names its
 * routes to /metrics. */
static void
server_init(struct server *srv, const struct http_config *cfg)
{
    const char *const *names;

    memset(srv, 0, sizeof(*srv));
    srv->cfg = cfg;
    atomic_init(&srv->draining, 0);
    (void)pthread_mutex_init(&srv->lock, NULL);
    srv->nroutes = api_route_names(&names);
    metrics_init(names, srv->nroutes);
    metrics_wal_path(cfg->db_path);
}

/* Sets p->addr to cfg's address and port, with MHD_USE_IPv6 in p->flags
 * for an IPv6 one.  Returns 0, or -1 after saying why on stderr. */
static int
bind_address(const struct http_config *cfg, struct plan *p)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)&p->addr;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&p->addr;

    memset(&p->addr, 0, sizeof(p->addr));
    if (inet_pton(AF_INET, cfg->bind, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)cfg->port);
    } else if (inet_pton(AF_INET6, cfg->bind, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)cfg->port);
        p->flags |= MHD_USE_IPv6;
    } else {
        fprintf(stderr, "wenda: --bind: '%s' is not an IPv4 or IPv6 "
                "address\n", cfg->bind);
        return -1;
    }
    return 0;
}

/*
 * Works out from cfg how the daemon is to run into *p: its flags, address,
 * TLS (the PEM files read), threads and search slots.  Returns 0, or -1
 * after saying why on stderr.  http_tls_cleanup(&p->tls) releases *p.
 */
static int
plan_daemon(const struct http_config *cfg, struct plan *p)
{
    memset(p, 0, sizeof(*p));
    p->flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
               MHD_USE_ERROR_LOG | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
    if (bind_address(cfg, p) != 0 || http_tls_load(cfg, &p->tls) != 0)
        return -1;
    if (p->tls.cert != NULL)
        p->flags |= MHD_USE_TLS;
    p->threads = cfg->threads;
    if (p->threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        p->threads = n > 0 ? (unsigned int)n : 1;
    }
    p->slots = cfg->search_off     ? 0
               : cfg->search_slots ? cfg->search_slots
                                   : p->threads;
    return 0;
}

/* The writer's handoff to the cluster's node ctx. */
static void
to_cluster(void *ctx, struct write_job **jobs, size_t n)
{
    cluster_propose(ctx, jobs, n);
}

/*
 * Starts this server's node of a Raft cluster (cfg->cluster), its Raft
 * directory beside the database unless one is given, and its URL made of
 * the address it listens on unless one is given.  Returns 0, or -1 after
 * saying why on stderr.
 */
static int
start_cluster(struct server *srv)
{
    const struct http_config *cfg = srv->cfg;
    struct cluster_config cc;
    char dir[4096], url[CLUSTER_URL_CAP], msg[512];
    int v6 = strchr(cfg->bind, ':') != NULL;

    if (cfg->raft_dir == NULL &&
        snprintf(dir, sizeof(dir), "%s.raft", cfg->db_path) >=
            (int)sizeof(dir)) {
        fprintf(stderr, "wenda: the database path is too long\n");
        return -1;
    }
    (void)snprintf(url, sizeof(url), "%s://%s%s%s:%u",
                   cfg->tls_cert != NULL ? "https" : "http", v6 ? "[" : "",
                   cfg->bind, v6 ? "]" : "", cfg->port);
    memset(&cc, 0, sizeof(cc));
    cc.id = cfg->node_id;
    cc.raft_address = cfg->raft_address;
    cc.peers = cfg->peers;
    cc.raft_dir = cfg->raft_dir != NULL ? cfg->raft_dir : dir;
    cc.advertise_url = cfg->advertise_url != NULL ? cfg->advertise_url : url;
    cc.db_path = cfg->db_path;
    cc.auth = srv->auth;
    if (cluster_start(&cc, &srv->cluster, msg, sizeof(msg)) != WENDA_OK) {
        fprintf(stderr, "wenda: %s\n", msg);
        return -1;
    }
    return 0;
}

/*
 * Opens what the requests share: the token key, the writer (a replica
 * takes no write, so it has none) and slots search slots.  Returns 0, or
 * -1 after saying why on stderr with nothing left open.
 */
static int
server_open(struct server *srv, unsigned int slots)
{
    const struct http_config *cfg = srv->cfg;
    char msg[512], key_path[4096];

    msg[0] = '\0';
    if (wenda_auth_key_path_for_db(cfg->db_path, key_path,
                                   sizeof(key_path)) != WENDA_OK ||
        wenda_auth_open(key_path, 1, &srv->auth, msg, sizeof(msg)) !=
            WENDA_OK) {
        fprintf(stderr, "wenda: %s\n", msg[0] ? msg : "cannot open the "
                "token key");
        return -1;
    }
    if (cfg->cluster && start_cluster(srv) != 0) {
        wenda_auth_close(srv->auth);
        return -1;
    }
    if (!cfg->read_only &&
        writer_start(cfg->db_path, cfg->write_queue, cfg->write_batch,
                     srv->cluster != NULL ? to_cluster : NULL, srv->cluster,
                     &srv->writer, msg, sizeof(msg)) != WENDA_OK) {
        fprintf(stderr, "wenda: %s\n", msg);
        cluster_close(srv->cluster);
        srv->cluster = NULL;
        wenda_auth_close(srv->auth);
        return -1;
    }
    metrics_queue_depth_source(queue_depth, srv->writer);
    if (sem_init(&srv->search_slots, 0, slots) != 0) {
        fprintf(stderr, "wenda: cannot create the search semaphore: %s\n",
                strerror(errno));
        stop_writer(srv);
        cluster_close(srv->cluster);
        srv->cluster = NULL;
        wenda_auth_close(srv->auth);
        return -1;
    }
    return 0;
}

/* Stops the writer, if any, once every queued write is done, and then the
 * cluster's node, once what the writer handed it is answered (or, after a
 * bound, failed); /metrics stops asking the writer first.  The node stays
 * readable for the answers still being sent, until server_close(). */
static void
stop_writer(struct server *srv)
{
    metrics_queue_depth_source(NULL, NULL);
    writer_stop(srv->writer);
    srv->writer = NULL;
    cluster_stop(srv->cluster);
}

/* Closes what server_open() opened, and every I/O thread's database
 * connection; the daemon must be stopped. */
static void
server_close(struct server *srv)
{
    size_t i;

    stop_writer(srv);
    cluster_close(srv->cluster);
    srv->cluster = NULL;
    wenda_auth_close(srv->auth);
    (void)sem_destroy(&srv->search_slots);
    pthread_mutex_lock(&srv->lock);
    for (i = 0; i < srv->nstores; i++)
        wenda_store_close(srv->stores[i]);
    free(srv->stores);
    pthread_mutex_unlock(&srv->lock);
}

/*
 * Starts the watchdog and the daemon as p says, and says so on stderr.
 * Returns the daemon, or NULL after saying why on stderr (the watchdog
 * then stopped).
 */
static struct MHD_Daemon *
start_daemon(struct server *srv, struct plan *p)
{
    const struct http_config *cfg = srv->cfg;
    unsigned int max_conn = fit_connections(cfg->max_connections, p->threads);
    struct MHD_Daemon *d;

    if (http_watchdog_start(&srv->dog, cfg->idle_timeout) != 0) {
        fprintf(stderr, "wenda: cannot start the request watchdog: %s\n",
                strerror(errno));
        return NULL;
    }
    d = MHD_start_daemon(
        p->flags, (uint16_t)cfg->port, accept_policy, srv, http_on_request,
        srv,
        MHD_OPTION_EXTERNAL_LOGGER, http_log_mhd, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&p->addr,
        MHD_OPTION_THREAD_POOL_SIZE, p->threads,
        MHD_OPTION_CONNECTION_LIMIT, max_conn,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_POOL_BYTES,
        MHD_OPTION_URI_LOG_CALLBACK, http_check_target, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, http_on_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, http_on_connection, srv,
        MHD_OPTION_UNESCAPE_CALLBACK, http_unescape, NULL,
        MHD_OPTION_ARRAY, p->tls.options,
        MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "wenda: cannot listen on %s port %u (in use, not "
                "an address of this machine, or a bad TLS key pair?)\n",
                cfg->bind, cfg->port);
        http_watchdog_stop(&srv->dog);
        return NULL;
    }
    fprintf(stderr, "wenda: serving %s on %s://%s%s%s:%u/ with %u "
            "threads, %u search slots, %u connections at most\n",
            cfg->db_path, p->tls.cert != NULL ? "https" : "http",
            strchr(cfg->bind, ':') ? "[" : "", cfg->bind,
            strchr(cfg->bind, ':') ? "]" : "", cfg->port, p->threads,
            p->slots, max_conn);
    return d;
}

/* Waits for SIGTERM or SIGINT and returns it (0 if sigwait() fails);
 * opens the log file again on each SIGHUP meanwhile. */
static int
wait_for_stop(const struct http_config *cfg)
{
    sigset_t set;
    int sig = 0;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    while (sigwait(&set, &sig) == 0 && sig == SIGHUP) {
        if (cfg->log_path != NULL && http_open_log(cfg->log_path) != 0)
            fprintf(stderr, "wenda: cannot re-open log %s: %s\n",
                    cfg->log_path, strerror(errno));
        else if (cfg->log_path != NULL)
            fprintf(stderr, "wenda: log re-opened\n");
    }
    return sig;
}

/*
 * Drains the requests in flight after signal sig, stops the writer once
 * every queued write is answered, then stops the daemon and the watchdog.
 */
static void
stop_serving(struct server *srv, struct MHD_Daemon *d, int sig)
{
    const struct http_config *cfg = srv->cfg;
    long left;

    fprintf(stderr, "wenda: %s, draining (at most %u s)\n",
            sig == SIGINT ? "interrupted" : "terminated", cfg->drain_timeout);
    left = drain(srv, cfg->drain_timeout);
    if (left > 0)
        fprintf(stderr, "wenda: %ld requests still in flight after the "
                "drain timeout\n", left);
    /* Every queued write is finished and its connection resumed before
     * the daemon stops: libmicrohttpd must not stop with a connection
     * suspended.  Give the resumed ones a moment to be answered. */
    stop_writer(srv);
    (void)drain(srv, 1);
    MHD_stop_daemon(d);
    http_watchdog_stop(&srv->dog);
}

int
http_serve(const struct http_config *cfg)
{
    struct server srv;
    struct plan plan;
    struct MHD_Daemon *d;
    int rc = 1;

    server_init(&srv, cfg);
    if (cfg->log_path != NULL && http_open_log(cfg->log_path) != 0) {
        fprintf(stderr, "wenda: cannot open log %s: %s\n", cfg->log_path,
                strerror(errno));
        return 1;
    }
    if (plan_daemon(cfg, &plan) != 0)
        return 1;
    if (server_open(&srv, plan.slots) == 0) {
        d = start_daemon(&srv, &plan);
        if (d != NULL) {
            stop_serving(&srv, d, wait_for_stop(cfg));
            rc = 0;
        }
        server_close(&srv);
    }
    http_tls_cleanup(&plan.tls);
    if (rc == 0)
        fprintf(stderr, "wenda: stopped\n");
    return rc;
}
