/*
 * http_watch.c -- the watchdog: a deadline for every connection's request.
 *
 * libmicrohttpd restarts a connection's idle timeout with every byte it
 * receives, so a client that sends its request a byte a second (a
 * "slowloris") would hold its connection, and its place under the
 * connection limit, for ever.  So every connection also has a deadline:
 * its request, headers and body, must be in within the idle timeout of the
 * connection opening or of the previous answer on it.  A watchdog thread
 * looks at the open connections every WATCH_TICK_MS and shuts down the
 * socket of each that missed its deadline; libmicrohttpd then sees the
 * socket end and closes the connection as it closes any other.  The list
 * of connections is locked when one opens or closes and by the watchdog;
 * per request, arming and disarming a deadline are atomic stores.  A
 * connection leaves the list in libmicrohttpd's close notification, which
 * comes before libmicrohttpd closes the descriptor, so the watchdog never
 * shuts down a descriptor that was closed and reused.
 */
#include "http_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "metrics.h"

/* An open connection under the watchdog. */
struct watch {
    int fd;                     /* its socket, owned by libmicrohttpd */
    atomic_llong deadline_ms;   /* CLOCK_MONOTONIC; 0 while disarmed */
    struct watch *prev, *next;
};

/* How often the watchdog looks at the open connections. */
#define WATCH_TICK_MS 250

static long long monotonic_ms(void);
static struct watch *watch_of(struct MHD_Connection *conn);
static void *watchdog_run(void *arg);

/* Returns CLOCK_MONOTONIC in milliseconds. */
static long long
monotonic_ms(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct watch *
http_watch_open(struct watchdog *dog, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct watch *w;

    if (ci == NULL)
        return NULL;
    w = calloc(1, sizeof(*w));
    if (w == NULL)
        return NULL;
    w->fd = ci->connect_fd;
    atomic_init(&w->deadline_ms, monotonic_ms() + dog->timeout_ms);
    pthread_mutex_lock(&dog->lock);
    w->next = dog->head;
    if (w->next != NULL)
        w->next->prev = w;
    dog->head = w;
    pthread_mutex_unlock(&dog->lock);
    return w;
}

void
http_watch_close(struct watchdog *dog, struct watch *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&dog->lock);
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        dog->head = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    pthread_mutex_unlock(&dog->lock);
    free(w);
}

/* Returns the watch of conn (borrowed), or NULL if it has none. */
static struct watch *
watch_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci != NULL ? ci->socket_context : NULL;
}

void
http_watch_arm(struct MHD_Connection *conn, long long timeout_ms)
{
    struct watch *w = watch_of(conn);

    if (w != NULL)
        atomic_store_explicit(&w->deadline_ms,
                              timeout_ms > 0 ? monotonic_ms() + timeout_ms
                                             : 0,
                              memory_order_relaxed);
}

/* The watchdog thread: every WATCH_TICK_MS, shuts down the socket of each
 * connection past its deadline, until it is told to stop. */
static void *
watchdog_run(void *arg)
{
    struct watchdog *dog = arg;
    struct timespec until;
    struct watch *w;

    pthread_mutex_lock(&dog->lock);
    while (!dog->stop) {
        long long now = monotonic_ms();
        unsigned long late = 0;

        for (w = dog->head; w != NULL; w = w->next) {
            long long due = atomic_load_explicit(&w->deadline_ms,
                                                 memory_order_relaxed);

            if (due != 0 && due <= now) {
                atomic_store_explicit(&w->deadline_ms, 0,
                                      memory_order_relaxed);
                (void)shutdown(w->fd, SHUT_RDWR);
                late++;
            }
        }
        if (late > 0)
            metrics_request_timeouts(late);
        (void)clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += WATCH_TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        (void)pthread_cond_timedwait(&dog->wake, &dog->lock, &until);
    }
    pthread_mutex_unlock(&dog->lock);
    return NULL;
}

int
http_watchdog_start(struct watchdog *dog, unsigned int timeout_s)
{
    pthread_condattr_t attr;
    int rc;

    memset(dog, 0, sizeof(*dog));
    dog->timeout_ms = (long long)timeout_s * 1000;
    (void)pthread_mutex_init(&dog->lock, NULL);
    (void)pthread_condattr_init(&attr);
    (void)pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    (void)pthread_cond_init(&dog->wake, &attr);
    (void)pthread_condattr_destroy(&attr);
    rc = pthread_create(&dog->thread, NULL, watchdog_run, dog);
    if (rc != 0) {
        (void)pthread_cond_destroy(&dog->wake);
        (void)pthread_mutex_destroy(&dog->lock);
        errno = rc;
        return -1;
    }
    return 0;
}

void
http_watchdog_stop(struct watchdog *dog)
{
    struct watch *w, *next;

    pthread_mutex_lock(&dog->lock);
    dog->stop = 1;
    (void)pthread_cond_signal(&dog->wake);
    pthread_mutex_unlock(&dog->lock);
    (void)pthread_join(dog->thread, NULL);
    for (w = dog->head; w != NULL; w = next) {
        next = w->next;
        free(w);
    }
    dog->head = NULL;
    (void)pthread_cond_destroy(&dog->wake);
    (void)pthread_mutex_destroy(&dog->lock);
}
