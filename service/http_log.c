/*
 * http_log.c -- where the server's messages go, and the access log.
 *
 * Everything the server says goes to stderr: its own messages,
 * libmicrohttpd's (through http_log_mhd()), and with access_log on, one
 * JSON line per answered request.  With log_path set, stderr is that file,
 * opened again on SIGHUP for log rotation.  An access log line is written
 * with one write(2), so that lines from different I/O threads never
 * interleave.  Query parameters appear by name only; the Authorization
 * header never does.
 */
#include "http_int.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

/* Bytes of a path or parameter name that the access log keeps. */
#define LOG_NAME_MAX 255

/* The query part of an access log line under construction. */
struct log_query {
    struct buf *b;
    int cut;                    /* a name was cut at LOG_NAME_MAX */
};

static enum MHD_Result add_query_name(void *cls, enum MHD_ValueKind kind,
                                      const char *key, const char *value);

int
http_open_log(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

    if (fd < 0)
        return -1;
    if (dup2(fd, STDERR_FILENO) < 0) {
        (void)close(fd);
        return -1;
    }
    (void)close(fd);
    return 0;
}

void
http_log_mhd(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("wenda: libmicrohttpd: ", stderr);
    vfprintf(stderr, fmt, ap);
}

/* Adds the name of one query parameter to the list of cls (its struct
 * log_query), never its value. */
static enum MHD_Result
add_query_name(void *cls, enum MHD_ValueKind kind, const char *key,
               const char *value)
{
    struct log_query *q = cls;

    (void)kind;
    (void)value;   /* values may be secrets: never logged */
    if (q->b->n > 0 && q->b->p[q->b->n - 1] != '[')
        wenda_buf_add(q->b, ",", 1);
    q->cut |= wenda_buf_add_json_max(q->b, key, LOG_NAME_MAX);
    return MHD_YES;
}

/*
 * The line is valid JSON and UTF-8 whatever the request held (see
 * wenda_buf_add_json()); a path or parameter name longer than LOG_NAME_MAX
 * bytes is cut between two characters, and "path_truncated" or
 * "query_truncated" is then true.
 */
void
http_access_log(struct MHD_Connection *conn, const char *method,
                const struct request *req, unsigned int status, size_t bytes)
{
    struct buf b = {0};
    struct log_query q = {&b, 0};
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    int path_cut;

    (void)gmtime_r(&now, &tm);
    (void)strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    wenda_buf_addf(&b, "{\"time\":\"%s\",\"id\":", stamp);
    wenda_buf_add_json(&b, req->id);
    wenda_buf_adds(&b, ",\"method\":");
    wenda_buf_add_json(&b, method);
    wenda_buf_adds(&b, ",\"path\":");
    path_cut =
        wenda_buf_add_json_max(&b, req->path ? req->path : "", LOG_NAME_MAX);
    if (path_cut)
        wenda_buf_adds(&b, ",\"path_truncated\":true");
    wenda_buf_adds(&b, ",\"query\":[");
    (void)MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND,
                                    add_query_name, &q);
    wenda_buf_adds(&b, "]");
    if (q.cut)
        wenda_buf_adds(&b, ",\"query_truncated\":true");
    wenda_buf_addf(&b, ",\"status\":%u,\"bytes\":%zu,\"us\":%lu}\n", status,
                   bytes, http_usec_since(&req->start));
    if (!wenda_buf_failed(&b))
        (void)!write(STDERR_FILENO, b.p, b.n);
    wenda_buf_cleanup(&b);
}
