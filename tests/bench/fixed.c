/*
 * fixed.c -- the reference server of the benchmark: libmicrohttpd with the
 * same thread pool, epoll and keep-alive setup as wenda, answering every
 * request with one fixed JSON body.  Whatever wenda does beyond this is
 * the cost of its own work; the benchmark prints wenda's rates as ratios
 * to this server's, measured in the same run.
 *
 * usage: bench-fixed PORT THREADS BODY_FILE
 */
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct MHD_Response *response;

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *upload_data,
           size_t *upload_data_size, void **con_cls)
{
    static int marker;

    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;
    if (*con_cls == NULL) {     /* first call: headers only */
        *con_cls = &marker;
        return MHD_YES;
    }
    *upload_data_size = 0;
    return MHD_queue_response(conn, MHD_HTTP_OK, response);
}

int
main(int argc, char **argv)
{
    static char body[65536];
    struct MHD_Daemon *d;
    sigset_t set;
    size_t n;
    FILE *f;
    int sig;

    if (argc != 4) {
        fputs("usage: bench-fixed PORT THREADS BODY_FILE\n", stderr);
        return 2;
    }
    f = fopen(argv[3], "rb");
    if (f == NULL) {
        perror(argv[3]);
        return 1;
    }
    n = fread(body, 1, sizeof(body), f);
    (void)fclose(f);
    response = MHD_create_response_from_buffer(n, body,
                                               MHD_RESPMEM_PERSISTENT);
    (void)MHD_add_response_header(response, "Content-Type",
                                  "application/json; charset=utf-8");
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    (void)pthread_sigmask(SIG_BLOCK, &set, NULL);
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL,
                         (uint16_t)atoi(argv[1]), NULL, NULL, on_request,
                         NULL, MHD_OPTION_THREAD_POOL_SIZE,
                         (unsigned int)atoi(argv[2]),
                         MHD_OPTION_CONNECTION_LIMIT, 1024u,
                         MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (d == NULL) {
        fputs("bench-fixed: cannot start\n", stderr);
        return 1;
    }
    (void)sigwait(&set, &sig);
    MHD_stop_daemon(d);
    MHD_destroy_response(response);
    return 0;
}
