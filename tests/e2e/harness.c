/*
 * harness.c -- fork the wenda binary, wait for it to be healthy, talk to it.
 *
 * Everything here is deliberately plain POSIX plus libcurl: the harness must
 * be simpler than the server it checks.  Waiting is always bounded (10 s for
 * startup, 5 s for shutdown, 2 s for a raw socket read) so that a hung server
 * fails one test instead of stalling the suite, and every child is tracked
 * in a small registry that an atexit() handler sweeps, so that a test which
 * fails before its .fini runs does not leave a server behind.
 */
/* The Makefile passes -D_GNU_SOURCE; this covers a build by hand. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): feature macro */
#endif

#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <criterion/criterion.h>
#include <sodium.h>

#include "options.h"
#include "wenda/auth.h"
#include "wenda/store.h"

#define STARTUP_TIMEOUT_S 10.0
#define STARTUP_ATTEMPTS 3
#define POLL_INTERVAL_MS 10
#define STOP_TIMEOUT_S 5.0
#define RAW_TIMEOUT_MS 2000
#define MAX_LIVE 32

/* A growable byte buffer that is always NUL-terminated once non-empty. */
struct buf {
    char *data;
    size_t len;
    size_t cap;
};

static double now_s(void);
static double scaled(double seconds);
static void sleep_ms(long ms);
static int pick_port(unsigned short *port);
static int make_temp_dir(char *out, size_t cap, const char *what);
static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw);
static void remove_dir(const char *dir);
static char **build_argv(const char *bin, const char *const *fixed,
                         const char *const *extra);
static void free_argv(char **argv);
static int listed(const char *const *vars, const char *entry);
static char **build_env(const char *const *unset, const char *const *env,
                        int no_config);
static pid_t spawn(char **argv, char **envp, const char *out_path,
                   const char *err_path, const char *workdir, int as_nobody);
static int decode_status(int wstatus);
static int wait_bounded(pid_t pid, double timeout_s, int *wstatus);
static void kill_and_reap(pid_t pid);
static void track(pid_t pid);
static void untrack(pid_t pid);
static void sweep_children(void);
static int start_once(struct wenda_server *srv, const char *bin,
                      const char *const *extra_args, int *exited_early);
static int await_server(struct wenda_server *srv, const char *bin,
                        const char *const *extra_args, int *exited_early);
static void why_with_tail(struct wenda_server *srv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *slurp(const char *path);
static int buf_append(struct buf *b, const char *data, size_t n);
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata);
static size_t on_header(char *ptr, size_t size, size_t nmemb,
                       void *userdata);
static int raw_complete(const char *buf, size_t len);

static pid_t live[MAX_LIVE];
static int sweep_registered;

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Returns seconds times $WENDA_TEST_TIMEOUT_SCALE when that is above 1: a
 * server run under valgrind starts, answers and stops tens of times more
 * slowly, and must not be killed for it before it can report.
 */
static double
scaled(double seconds)
{
    const char *v = getenv("WENDA_TEST_TIMEOUT_SCALE");
    double k = v != NULL ? strtod(v, NULL) : 1.0;

    return k > 1.0 ? seconds * k : seconds;
}

static void
sleep_ms(long ms)
{
    struct timespec ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/*
 * Asks the kernel for a free loopback port by binding port 0, and returns
 * the bound socket: while the caller holds it, no other test's bind(0) or
 * outgoing connection is given the port, yet the server may still listen
 * on it: libmicrohttpd sets SO_REUSEADDR on its listening socket, this one
 * has it too and never listens.  Without it, two tests running side by
 * side could be given the same port (Linux handed one out again after
 * some fifty others here), and one would take the other's server for its
 * own, and stop it with SIGTERM before it could even block the signal.
 */
static int
pick_port(unsigned short *port)
{
    struct sockaddr_in addr;
    socklen_t addr_len = sizeof addr;
    int fd, on = 1;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) {
        close(fd);
        return -1;
    }
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &addr_len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(addr.sin_port);
    return fd;
}

static int
make_temp_dir(char *out, size_t cap, const char *what)
{
    const char *base = getenv("TMPDIR");
    int n;

    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    n = snprintf(out, cap, "%s/wenda-%s-XXXXXX", base, what);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    return mkdtemp(out) != NULL ? 0 : -1;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void
remove_dir(const char *dir)
{
    if (dir[0] == '\0' || getenv("WENDA_KEEP_TMP") != NULL)
        return;
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Returns a heap argv: bin, the fixed arguments, then the extra ones, then
 * NULL.  Strings are copied so that execv() gets mutable storage without a
 * cast.  Free with free_argv().
 */
static char **
build_argv(const char *bin, const char *const *fixed, const char *const *extra)
{
    size_t n = 1, i = 0, k;
    char **argv;

    for (k = 0; fixed != NULL && fixed[k] != NULL; k++)
        n++;
    for (k = 0; extra != NULL && extra[k] != NULL; k++)
        n++;
    argv = calloc(n + 1, sizeof *argv);
    if (argv == NULL)
        return NULL;
    argv[i++] = strdup(bin);
    for (k = 0; fixed != NULL && fixed[k] != NULL; k++)
        argv[i++] = strdup(fixed[k]);
    for (k = 0; extra != NULL && extra[k] != NULL; k++)
        argv[i++] = strdup(extra[k]);
    for (k = 0; k < n; k++) {
        if (argv[k] == NULL) {
            for (k = 0; k < n; k++)
                free(argv[k]);
            free(argv);
            return NULL;
        }
    }
    return argv;
}

static void
free_argv(char **argv)
{
    size_t k;

    if (argv == NULL)
        return;
    for (k = 0; argv[k] != NULL; k++)
        free(argv[k]);
    free(argv);
}

/*
 * Returns 1 when vars (NULL-terminated names or "NAME=value" strings, or
 * NULL) holds the variable that the environment entry "NAME=value" sets.
 */
static int
listed(const char *const *vars, const char *entry)
{
    size_t n = strcspn(entry, "=");

    for (size_t k = 0; vars != NULL && vars[k] != NULL; k++)
        if (strncmp(vars[k], entry, n) == 0 &&
            (vars[k][n] == '\0' || vars[k][n] == '='))
            return 1;
    return 0;
}

/*
 * Returns 1 when the environment entry "NAME=value" sets a variable that
 * wenda serve reads for an option (options_serve_table()).
 */
static int
serve_variable(const char *entry)
{
    const struct options_serve_option *t;
    size_t n = options_serve_table(&t), len = strcspn(entry, "=");

    for (size_t k = 0; k < n; k++)
        if (t[k].env != NULL && strlen(t[k].env) == len &&
            strncmp(t[k].env, entry, len) == 0)
            return 1;
    return 0;
}

/*
 * Returns a heap copy of the environment without the variables named in
 * unset or set by env, nor with no_config a variable that configures wenda
 * serve (which the shell running the tests may have set; a wrapper's own,
 * such as tests/valgrind.sh's, stay), then env's "NAME=value" strings,
 * then NULL; free it with free_argv().  NULL when out of memory.
 */
static char **
build_env(const char *const *unset, const char *const *env, int no_config)
{
    size_t n = 0, i = 0, k;
    char **envp;

    for (k = 0; environ[k] != NULL; k++)
        n++;
    for (k = 0; env != NULL && env[k] != NULL; k++)
        n++;
    envp = calloc(n + 1, sizeof *envp);
    if (envp == NULL)
        return NULL;
    for (k = 0; environ[k] != NULL; k++) {
        if (listed(unset, environ[k]) || listed(env, environ[k]) ||
            (no_config && serve_variable(environ[k])))
            continue;
        envp[i] = strdup(environ[k]);
        if (envp[i++] == NULL)
            goto fail;
    }
    for (k = 0; env != NULL && env[k] != NULL; k++) {
        envp[i] = strdup(env[k]);
        if (envp[i++] == NULL)
            goto fail;
    }
    return envp;
fail:
    free_argv(envp);
    return NULL;
}

/*
 * Forks and execs argv[0] with the environment envp (NULL: the test's),
 * stdin from /dev/null and stdout/stderr appended to the given files
 * (err_path may equal out_path), in workdir or, if that is NULL, in the
 * current directory, and as user and group 65534 when as_nobody is set
 * and the test runs as root.  The child asks to be killed when its parent
 * dies; it exits 126 when it cannot set itself up and 127 when execve()
 * fails.  Returns the pid or -1.
 */
static pid_t
spawn(char **argv, char **envp, const char *out_path, const char *err_path,
      const char *workdir, int as_nobody)
{
    int same = strcmp(out_path, err_path) == 0;
    pid_t parent = getpid();
    pid_t pid;

    fflush(NULL);
    pid = fork();
    if (pid != 0)
        return pid;

    /* Child: only async-signal-safe calls from here on. */
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
#else
    (void)parent;
#endif
    {
        int in = open("/dev/null", O_RDONLY);
        int out = open(out_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int err = same ? out
                       : open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0644);

        if (in < 0 || out < 0 || err < 0)
            _exit(126);
        if (workdir != NULL && chdir(workdir) != 0)
            _exit(126);
        dup2(in, STDIN_FILENO);
        dup2(out, STDOUT_FILENO);
        dup2(err, STDERR_FILENO);
        if (as_nobody && geteuid() == 0 &&
            (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
             setuid(65534) != 0))
            _exit(126);
        execve(argv[0], argv, envp != NULL ? envp : environ);
        {
            static const char msg[] = "harness: execve failed\n";
            ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
            (void)ignored;
        }
        _exit(127);
    }
}

static int
decode_status(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    return -1;
}

/* Waits for pid for at most timeout_s; returns 1 if it ended, 0 if not. */
static int
wait_bounded(pid_t pid, double timeout_s, int *wstatus)
{
    double deadline = now_s() + timeout_s;

    for (;;) {
        pid_t w = waitpid(pid, wstatus, WNOHANG);

        if (w == pid)
            return 1;
        if (w < 0 && errno != EINTR) {
            *wstatus = 0;
            return 1; /* not our child any more: nothing to wait for */
        }
        if (now_s() >= deadline)
            return 0;
        sleep_ms(POLL_INTERVAL_MS);
    }
}

static void
kill_and_reap(pid_t pid)
{
    int wstatus;

    kill(pid, SIGKILL);
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
        ;
    untrack(pid);
}

static void
track(pid_t pid)
{
    size_t i;

    if (!sweep_registered) {
        atexit(sweep_children);
        sweep_registered = 1;
    }
    for (i = 0; i < MAX_LIVE; i++) {
        if (live[i] == 0) {
            live[i] = pid;
            return;
        }
    }
}

static void
untrack(pid_t pid)
{
    size_t i;

    for (i = 0; i < MAX_LIVE; i++) {
        if (live[i] == pid)
            live[i] = 0;
    }
}

/* atexit(): kill whatever a failed or aborted test left running. */
static void
sweep_children(void)
{
    size_t i;

    for (i = 0; i < MAX_LIVE; i++) {
        if (live[i] != 0)
            kill_and_reap(live[i]);
    }
}

const char *
harness_binary(void)
{
    const char *bin = getenv("WENDA_BIN");

    return bin != NULL && bin[0] != '\0' ? bin : "build/wenda";
}

void
harness_log_tail(const struct wenda_server *srv, char *buf, size_t cap)
{
    struct stat st;
    ssize_t n;
    off_t from;
    int fd;

    if (cap == 0)
        return;
    buf[0] = '\0';
    fd = open(srv->log_path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(buf, cap, "(cannot read %s: %s)", srv->log_path,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    from = st.st_size > (off_t)(cap - 1) ? st.st_size - (off_t)(cap - 1) : 0;
    n = pread(fd, buf, cap - 1, from);
    buf[n > 0 ? (size_t)n : 0] = '\0';
    if (n <= 0)
        snprintf(buf, cap, "(server log is empty)");
    close(fd);
}

/*
 * One start attempt.  Returns 0 when healthy; otherwise -1 with srv->why set
 * and *exited_early telling whether the child died on its own (worth a retry
 * on another port) rather than hanging.
 */
static int
start_once(struct wenda_server *srv, const char *bin,
           const char *const *extra_args, int *exited_early)
{
    int held, rc;

    *exited_early = 0;
    held = pick_port(&srv->port);
    if (held < 0) {
        snprintf(srv->why, sizeof srv->why, "no free port: %s",
                 strerror(errno));
        return -1;
    }
    rc = await_server(srv, bin, extra_args, exited_early);
    close(held);
    return rc;
}

/* Starts the server on srv->port and waits for its /healthz. */
static int
await_server(struct wenda_server *srv, const char *bin,
             const char *const *extra_args, int *exited_early)
{
    char port_text[16], db_path[HARNESS_PATH_MAX + 16];
    const char *fixed[12];
    char **argv, **envp;
    double deadline;
    int wstatus;
    pid_t pid;

    snprintf(port_text, sizeof port_text, "%u", (unsigned)srv->port);
    snprintf(db_path, sizeof db_path, "%s/wenda.db", srv->dir);
    /* A server given --tls-cert speaks HTTPS; its certificate is the only
     * one trusted for it. */
    srv->cainfo[0] = '\0';
    for (size_t i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
        if (strcmp(extra_args[i], "--tls-cert") == 0 &&
            extra_args[i + 1] != NULL)
            snprintf(srv->cainfo, sizeof srv->cainfo, "%s",
                     extra_args[i + 1]);
    snprintf(srv->base_url, sizeof srv->base_url, "%s://127.0.0.1:%u",
             srv->cainfo[0] ? "https" : "http", (unsigned)srv->port);

    fixed[0] = "serve";
    fixed[1] = "--bind";
    fixed[2] = "127.0.0.1";
    fixed[3] = "--port";
    fixed[4] = port_text;
    fixed[5] = "--db";
    fixed[6] = db_path;
    fixed[7] = "--content";
    fixed[8] = "content";
    fixed[9] = NULL;
    argv = build_argv(bin, fixed, extra_args);
    if (argv == NULL) {
        snprintf(srv->why, sizeof srv->why, "out of memory");
        return -1;
    }
    /* The server is configured by its arguments alone. */
    envp = build_env(NULL, NULL, 1);
    if (envp == NULL) {
        free_argv(argv);
        snprintf(srv->why, sizeof srv->why, "out of memory");
        return -1;
    }
    pid = spawn(argv, envp, srv->log_path, srv->log_path, NULL, 0);
    free_argv(argv);
    free_argv(envp);
    if (pid < 0) {
        snprintf(srv->why, sizeof srv->why, "fork: %s", strerror(errno));
        return -1;
    }
    track(pid);
    srv->pid = pid;

    deadline = now_s() + scaled(STARTUP_TIMEOUT_S);
    for (;;) {
        struct http_reply r;
        long status;

        if (waitpid(pid, &wstatus, WNOHANG) == pid) {
            untrack(pid);
            srv->pid = 0;
            *exited_early = 1;
            why_with_tail(srv, "%s exited during startup with status %d on "
                          "port %u", bin, decode_status(wstatus),
                          (unsigned)srv->port);
            return -1;
        }
        http_request(srv, "GET", "/healthz", NULL, NULL, 0, &r);
        status = r.status;
        http_reply_cleanup(&r);
        if (status == 200)
            return 0;
        if (now_s() >= deadline)
            break;
        sleep_ms(POLL_INTERVAL_MS);
    }
    kill_and_reap(pid);
    srv->pid = 0;
    why_with_tail(srv, "GET /healthz did not answer 200 within %.0f s on "
                  "port %u", scaled(STARTUP_TIMEOUT_S), (unsigned)srv->port);
    return -1;
}

/*
 * Writes into srv->why why the server did not start (fmt, as printf()
 * formats it), then "; log tail:" and the tail of its log.
 */
static void
why_with_tail(struct wenda_server *srv, const char *fmt, ...)
{
    char tail[1400];
    va_list ap;
    size_t n;

    harness_log_tail(srv, tail, sizeof tail);
    va_start(ap, fmt);
    vsnprintf(srv->why, sizeof srv->why, fmt, ap);
    va_end(ap);
    n = strlen(srv->why);
    snprintf(srv->why + n, sizeof srv->why - n, "; log tail:\n%s", tail);
}

int
harness_start(struct wenda_server *srv, const char *const *extra_args)
{
    char bin[PATH_MAX];
    int attempt, early = 0, rc = -1;
    int n;

    memset(srv, 0, sizeof *srv);
    srv->port_fd = -1;
    if (realpath(harness_binary(), bin) == NULL) {
        snprintf(srv->why, sizeof srv->why,
                 "wenda binary '%s' not usable: %s (set WENDA_BIN)",
                 harness_binary(), strerror(errno));
        return -1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);

    for (attempt = 0; attempt < STARTUP_ATTEMPTS; attempt++) {
        if (make_temp_dir(srv->dir, sizeof srv->dir, "e2e") != 0) {
            snprintf(srv->why, sizeof srv->why, "mkdtemp: %s",
                     strerror(errno));
            return -1;
        }
        n = snprintf(srv->log_path, sizeof srv->log_path, "%s/server.log",
                     srv->dir);
        if (n < 0 || (size_t)n >= sizeof srv->log_path) {
            snprintf(srv->why, sizeof srv->why, "temp path too long");
            remove_dir(srv->dir);
            return -1;
        }
        rc = start_once(srv, bin, extra_args, &early);
        if (rc == 0)
            return 0;
        remove_dir(srv->dir);
        if (!early)
            break;
    }
    return rc;
}

int
harness_prepare(struct wenda_server *srv)
{
    int held, n;

    memset(srv, 0, sizeof *srv);
    srv->port_fd = -1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (make_temp_dir(srv->dir, sizeof srv->dir, "node") != 0) {
        snprintf(srv->why, sizeof srv->why, "mkdtemp: %s", strerror(errno));
        srv->dir[0] = '\0';
        return -1;
    }
    n = snprintf(srv->log_path, sizeof srv->log_path, "%s/server.log",
                 srv->dir);
    held = pick_port(&srv->port);
    if (n < 0 || (size_t)n >= sizeof srv->log_path || held < 0) {
        snprintf(srv->why, sizeof srv->why, "no log path or no free port");
        if (held >= 0)
            close(held);
        harness_remove_dir(srv);
        return -1;
    }
    srv->port_held = 1;
    srv->port_fd = held;
    snprintf(srv->base_url, sizeof srv->base_url, "http://127.0.0.1:%u",
             (unsigned)srv->port);
    return 0;
}

int
harness_start_at(struct wenda_server *srv, const char *const *extra_args)
{
    char bin[PATH_MAX];
    int early = 0;

    if (srv->pid > 0) {
        snprintf(srv->why, sizeof srv->why, "already running as %d",
                 (int)srv->pid);
        return -1;
    }
    if (realpath(harness_binary(), bin) == NULL) {
        snprintf(srv->why, sizeof srv->why,
                 "wenda binary '%s' not usable: %s (set WENDA_BIN)",
                 harness_binary(), strerror(errno));
        return -1;
    }
    return await_server(srv, bin, extra_args, &early);
}

void
harness_start_at_or_fail(struct wenda_server *srv,
                         const char *const *extra_args)
{
    cr_assert_eq(harness_start_at(srv, extra_args), 0,
                 "server did not start: %s", srv->why);
}

int
harness_hold_port(unsigned short *port)
{
    return pick_port(port);
}

/*
 * Returns the state letter of process pid in /proc (R, S, T, ...), or 0
 * when it cannot be read.
 */
static char
proc_state(pid_t pid)
{
    char path[64], line[512], *close_paren;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    if (fgets(line, sizeof line, f) == NULL)
        line[0] = '\0';
    fclose(f);
    close_paren = strrchr(line, ')');
    return close_paren != NULL && close_paren[1] == ' ' ? close_paren[2] : 0;
}

void
harness_signal(const struct wenda_server *srv, int sig)
{
    double deadline = now_s() + 2.0;

    if (srv->pid <= 0)
        return;
    kill(srv->pid, sig);
    /* A stop reaches every thread a moment later: one may answer a request
     * meanwhile.  Wait (2 s at most) until the process is stopped. */
    while (sig == SIGSTOP && proc_state(srv->pid) != 'T' &&
           proc_state(srv->pid) != 0 && now_s() < deadline)
        sleep_ms(1);
}

double
harness_now(void)
{
    return now_s();
}

void
harness_sleep_ms(long ms)
{
    sleep_ms(ms);
}

double
harness_scaled(double seconds)
{
    return scaled(seconds);
}

int
harness_stop(struct wenda_server *srv)
{
    int code;

    if (srv->pid <= 0)
        return -1;
    code = harness_stop_keep(srv);
    if (srv->port_held) {
        close(srv->port_fd);
        srv->port_held = 0;
        srv->port_fd = -1;
    }
    remove_dir(srv->dir);
    return code;
}

int
harness_stop_keep(struct wenda_server *srv)
{
    int wstatus = 0, code;

    if (srv->pid <= 0)
        return -1;
    kill(srv->pid, SIGTERM);
    kill(srv->pid, SIGCONT); /* a stopped server takes it only now */
    if (wait_bounded(srv->pid, scaled(STOP_TIMEOUT_S), &wstatus)) {
        code = decode_status(wstatus);
        untrack(srv->pid);
    } else {
        kill_and_reap(srv->pid);
        code = 128 + SIGKILL;
    }
    srv->pid = 0;
    if (code != 0) {
        /* Whoever asserts on the code gets the reason in the test's log:
         * the directory, log included, goes next. */
        char tail[2048];

        harness_log_tail(srv, tail, sizeof tail);
        cr_log_error("the server exited with %d on SIGTERM; log tail:\n%s",
                     code, tail);
    }
    return code;
}

void
harness_kill(struct wenda_server *srv)
{
    if (srv->pid <= 0)
        return;
    kill_and_reap(srv->pid);
    srv->pid = 0;
}

void
harness_remove_dir(struct wenda_server *srv)
{
    if (srv->port_held) {
        close(srv->port_fd);
        srv->port_held = 0;
        srv->port_fd = -1;
    }
    if (srv->dir[0] != '\0')
        remove_dir(srv->dir);
    srv->dir[0] = '\0';
}

/* Reads a whole file into a new NUL-terminated string, or NULL. */
static char *
slurp(const char *path)
{
    struct buf b = {NULL, 0, 0};
    char chunk[4096];
    ssize_t n;
    int fd = open(path, O_RDONLY);

    if (fd < 0)
        return NULL;
    while ((n = read(fd, chunk, sizeof chunk)) > 0) {
        if (buf_append(&b, chunk, (size_t)n) != 0)
            break;
    }
    close(fd);
    if (b.data == NULL)
        b.data = calloc(1, 1);
    return b.data;
}

int
harness_run_with(const char *const *args, double timeout_s,
                 const struct harness_run_opts *opts,
                 struct harness_run_result *out)
{
    static const struct harness_run_opts defaults;
    char dir[HARNESS_PATH_MAX], out_path[HARNESS_PATH_MAX + 8],
        err_path[HARNESS_PATH_MAX + 8], bin[PATH_MAX];
    char **argv, **envp;
    double started;
    int wstatus;
    pid_t pid;

    memset(out, 0, sizeof *out);
    if (opts == NULL)
        opts = &defaults;
    if (realpath(harness_binary(), bin) == NULL)
        return -1;
    if (make_temp_dir(dir, sizeof dir, "cli") != 0)
        return -1;
    snprintf(out_path, sizeof out_path, "%s/stdout", dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", dir);
    argv = build_argv(bin, args, NULL);
    envp = build_env(opts->unset, opts->env, 0);
    if (argv == NULL || envp == NULL) {
        free_argv(argv);
        free_argv(envp);
        remove_dir(dir);
        return -1;
    }
    started = now_s();
    pid = spawn(argv, envp, out_path, err_path,
                opts->workdir != NULL ? opts->workdir : dir, opts->as_nobody);
    free_argv(argv);
    free_argv(envp);
    if (pid < 0) {
        remove_dir(dir);
        return -1;
    }
    track(pid);
    if (wait_bounded(pid, scaled(timeout_s), &wstatus)) {
        out->status = decode_status(wstatus);
        untrack(pid);
    } else {
        kill_and_reap(pid);
        out->status = -1;
    }
    out->seconds = now_s() - started;
    out->out = slurp(out_path);
    out->err = slurp(err_path);
    if (out->out == NULL)
        out->out = calloc(1, 1);
    if (out->err == NULL)
        out->err = calloc(1, 1);
    remove_dir(dir);
    return 0;
}

int
harness_run(const char *const *args, double timeout_s,
            struct harness_run_result *out)
{
    return harness_run_with(args, timeout_s, NULL, out);
}

void
harness_run_or_fail(const char *const *args, double timeout_s,
                    const struct harness_run_opts *opts,
                    struct harness_run_result *out)
{
    const char *what = args[0] != NULL ? args[0] : "";
    const char *what2 = args[0] != NULL && args[1] != NULL ? args[1] : "";

    cr_assert_eq(harness_run_with(args, timeout_s, opts, out), 0,
                 "cannot run %s", harness_binary());
    cr_assert_neq(out->status, 126, "wenda %s %s could not set up its "
                  "files, directory or user: %s", what, what2, out->err);
    cr_assert_neq(out->status, 127, "cannot execute %s: %s",
                  harness_binary(), out->err);
    cr_assert_neq(out->status, -1, "wenda %s %s did not end within %.0f s",
                  what, what2, scaled(timeout_s));
}

void
harness_run_cleanup(struct harness_run_result *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

static int
buf_append(struct buf *b, const char *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        char *grown;

        while (cap < b->len + n + 1)
            cap *= 2;
        grown = realloc(b->data, cap);
        if (grown == NULL)
            return -1;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct buf *b = userdata;

    return buf_append(b, ptr, size * nmemb) == 0 ? size * nmemb : 0;
}

/* Keeps the header lines of the last response only (1xx replies come first). */
static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct http_reply *out = userdata;
    size_t n = size * nmemb, len = n;
    struct curl_slist *grown;
    char *line;

    if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
        curl_slist_free_all(out->headers);
        out->headers = NULL;
        return n;
    }
    while (len > 0 && (ptr[len - 1] == '\r' || ptr[len - 1] == '\n'))
        len--;
    if (len == 0)
        return n;
    line = malloc(len + 1);
    if (line == NULL)
        return 0;
    memcpy(line, ptr, len);
    line[len] = '\0';
    grown = curl_slist_append(out->headers, line);
    free(line);
    if (grown == NULL)
        return 0;
    out->headers = grown;
    return n;
}

int
http_request_on(CURL *easy, const struct wenda_server *srv,
                const char *method, const char *path_and_query,
                const char *const *req_headers, const char *body,
                size_t body_len, struct http_reply *out)
{
    struct curl_slist *hdrs = NULL, *grown;
    struct buf b = {NULL, 0, 0};
    size_t url_len, k;
    CURLcode rc;
    char *url;

    memset(out, 0, sizeof *out);
    url_len = strlen(srv->base_url) + strlen(path_and_query) + 1;
    url = malloc(url_len);
    if (url == NULL)
        return CURLE_OUT_OF_MEMORY;
    snprintf(url, url_len, "%s%s", srv->base_url, path_and_query);

    for (k = 0; req_headers != NULL && req_headers[k] != NULL; k++) {
        grown = curl_slist_append(hdrs, req_headers[k]);
        if (grown == NULL) {
            rc = CURLE_OUT_OF_MEMORY;
            goto cleanup;
        }
        hdrs = grown;
    }
    grown = curl_slist_append(hdrs, "Expect:");
    if (grown == NULL) {
        rc = CURLE_OUT_OF_MEMORY;
        goto cleanup;
    }
    hdrs = grown;

    curl_easy_reset(easy);
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(scaled(2.0) * 1000));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                     (long)(scaled(srv->timeout_ms > 0
                                       ? (double)srv->timeout_ms / 1000.0
                                       : 10.0) *
                            1000));
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);
    if (srv->cainfo[0] != '\0')
        curl_easy_setopt(easy, CURLOPT_CAINFO, srv->cainfo);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, out);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else {
        if (body != NULL || strcmp(method, "POST") == 0 ||
            strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0) {
            curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                             (curl_off_t)(body != NULL ? body_len : 0));
            curl_easy_setopt(easy, CURLOPT_POSTFIELDS,
                             body != NULL ? body : "");
        }
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
    }

    rc = curl_easy_perform(easy);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &out->num_connects);

cleanup:
    /* The handle must not keep pointers into storage freed below. */
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    free(url);
    if (b.data == NULL)
        b.data = calloc(1, 1);
    out->body = b.data;
    out->len = b.len;
    return (int)rc;
}

long
http_send(const struct wenda_server *srv, const char *method,
          const char *path, const char *token, const char *type,
          const char *if_match, const char *body, struct http_reply *out)
{
    char auth[160], ct[128], im[640];
    const char *h[4];
    int n = 0;

    if (token != NULL) {
        (void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
                       token);
        h[n++] = auth;
    }
    if (type != NULL) {
        (void)snprintf(ct, sizeof(ct), "Content-Type: %s", type);
        h[n++] = ct;
    }
    if (if_match != NULL) {
        (void)snprintf(im, sizeof(im), "If-Match: %s", if_match);
        h[n++] = im;
    }
    h[n] = NULL;
    if (http_request(srv, method, path, h, body, body ? strlen(body) : 0,
                     out) != 0)
        return -1;
    return out->status;
}

int
http_request(const struct wenda_server *srv, const char *method,
             const char *path_and_query, const char *const *req_headers,
             const char *body, size_t body_len, struct http_reply *out)
{
    CURL *easy = curl_easy_init();
    int rc;

    if (easy == NULL) {
        memset(out, 0, sizeof *out);
        return CURLE_FAILED_INIT;
    }
    rc = http_request_on(easy, srv, method, path_and_query, req_headers,
                         body, body_len, out);
    curl_easy_cleanup(easy);
    return rc;
}

const char *
http_header(const struct http_reply *r, const char *name)
{
    size_t name_len = strlen(name);
    const struct curl_slist *h;

    for (h = r->headers; h != NULL; h = h->next) {
        const char *colon = strchr(h->data, ':');
        const char *value;

        if (colon == NULL || (size_t)(colon - h->data) != name_len ||
            strncasecmp(h->data, name, name_len) != 0)
            continue;
        value = colon + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        return value;
    }
    return NULL;
}

void
http_reply_cleanup(struct http_reply *r)
{
    free(r->body);
    curl_slist_free_all(r->headers);
    memset(r, 0, sizeof *r);
}

const char *
http_header_or_empty(const struct http_reply *r, const char *name)
{
    const char *v = http_header(r, name);

    return v != NULL ? v : "";
}

struct wenda_server harness_srv;

void
harness_suite_start(void)
{
    harness_start_or_fail(&harness_srv, NULL);
}

void
harness_suite_stop(void)
{
    harness_stop(&harness_srv);
}

long long
harness_token(const struct wenda_server *srv, enum wenda_role role,
              const char *name, char out[WENDA_TOKEN_LEN + 1])
{
    char db[HARNESS_PATH_MAX + 16], key[HARNESS_PATH_MAX + 32], msg[256];
    struct wenda_store *st;
    struct wenda_auth *a;
    int64_t id = 0;

    cr_assert_geq(sodium_init(), 0);
    (void)snprintf(db, sizeof(db), "%s/wenda.db", srv->dir);
    cr_assert_eq(wenda_store_open(db, 0, &st, msg, sizeof(msg)), WENDA_OK,
                 "%s", msg);
    cr_assert_eq(wenda_auth_key_path_for_db(db, key, sizeof(key)), WENDA_OK);
    cr_assert_eq(wenda_auth_open(key, 1, &a, msg, sizeof(msg)), WENDA_OK,
                 "%s", msg);
    cr_assert_eq(wenda_auth_token_create(a, st, role, name, 0, out, &id),
                 WENDA_OK);
    wenda_auth_close(a);
    wenda_store_close(st);
    return (long long)id;
}

/* How long a cluster of one may take to lead and apply its log. */
#define CLUSTER_READY_S 15

void
harness_start_cluster_or_fail(struct wenda_server *srv,
                              const char *const *extra_args)
{
    char address[32], peers[48], tail[4096];
    const char *args[26] = {"--cluster", "--node-id", "1", "--raft-address",
                            address, "--peers", peers};
    unsigned short port;
    struct http_reply r;
    double deadline;
    long status = 0;
    size_t n = 7, i;
    int held, rc;

    held = pick_port(&port);
    cr_assert_geq(held, 0, "no free port for Raft: %s", strerror(errno));
    (void)snprintf(address, sizeof(address), "127.0.0.1:%u",
                   (unsigned)port);
    (void)snprintf(peers, sizeof(peers), "1=%s", address);
    for (i = 0; extra_args != NULL && extra_args[i] != NULL; i++) {
        cr_assert_lt(n + 1, sizeof(args) / sizeof(args[0]));
        args[n++] = extra_args[i];
    }
    args[n] = NULL;
    rc = harness_start(srv, args);
    close(held);
    cr_assert_eq(rc, 0, "%s", srv->why);
    /* harness_start() began srv afresh. */
    (void)snprintf(srv->raft_address, sizeof(srv->raft_address), "%s",
                   address);
    deadline = now_s() + scaled(CLUSTER_READY_S);
    while (now_s() < deadline) {
        status = http_send(srv, "GET", "/readyz", NULL, NULL, NULL, NULL, &r);
        http_reply_cleanup(&r);
        if (status == 200)
            return;
        sleep_ms(50);
    }
    harness_log_tail(srv, tail, sizeof(tail));
    cr_assert_fail("the node of one did not lead within %d s (last /readyz: "
                   "%ld); its log:\n%s", CLUSTER_READY_S, status, tail);
}

void
harness_start_or_fail(struct wenda_server *srv, const char *const *extra_args)
{
    cr_assert_eq(harness_start(srv, extra_args), 0,
                 "server did not start: %s", srv->why);
}

json_t *
http_json(const struct http_reply *r)
{
    json_error_t err;
    json_t *doc;

    doc = json_loadb(r->body != NULL ? r->body : "", r->len, 0, &err);
    if (doc == NULL) {
        cr_assert_fail("response (status %ld) is not valid JSON: %s at "
                       "line %d, column %d; body starts: %.300s",
                       r->status, err.text, err.line, err.column,
                       r->body != NULL ? r->body : "");
    }
    return doc;
}

/*
 * Tells whether buf holds a complete response: headers plus a body of the
 * announced Content-Length, or a chunked body up to its last chunk.
 */
static int
raw_complete(const char *buf, size_t len)
{
    const char *body = http_raw_body(buf);
    char value[64];

    if (body == NULL)
        return 0;
    if (http_raw_header(buf, "Content-Length", value, sizeof value)) {
        char *end;
        unsigned long want = strtoul(value, &end, 10);

        return end != value && (size_t)(buf + len - body) >= want;
    }
    if (http_raw_header(buf, "Transfer-Encoding", value, sizeof value) &&
        strstr(value, "chunked") != NULL)
        return strstr(body, "0\r\n\r\n") != NULL;
    return 0;
}

int
harness_connect(const struct wenda_server *srv)
{
    struct sockaddr_in addr;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(srv->port);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

long
http_raw(const struct wenda_server *srv, const char *raw_request, char *buf,
         size_t cap)
{
    return http_raw_n(srv, raw_request, strlen(raw_request), 0,
                      (int)(scaled(RAW_TIMEOUT_MS / 1000.0) * 1000.0), buf,
                      cap);
}

int
http_raw_status(const char *buf)
{
    const char *sp;
    int code = 0, k;

    if (strncmp(buf, "HTTP/", 5) != 0)
        return 0;
    sp = strchr(buf, ' ');
    if (sp == NULL)
        return 0;
    for (k = 1; k <= 3; k++) {
        if (sp[k] < '0' || sp[k] > '9')
            return 0;
        code = code * 10 + (sp[k] - '0');
    }
    return code;
}

const char *
http_raw_body(const char *buf)
{
    const char *end = strstr(buf, "\r\n\r\n");

    return end != NULL ? end + 4 : NULL;
}

const char *
http_raw_header(const char *buf, const char *name, char *out, size_t cap)
{
    size_t name_len = strlen(name);
    const char *line = strstr(buf, "\r\n");

    while (line != NULL) {
        const char *next;

        line += 2;
        if (strncmp(line, "\r\n", 2) == 0 || line[0] == '\0')
            return NULL; /* end of headers */
        next = strstr(line, "\r\n");
        if (strncasecmp(line, name, name_len) == 0 && line[name_len] == ':') {
            const char *value = line + name_len + 1;
            size_t len;

            while (*value == ' ' || *value == '\t')
                value++;
            len = next != NULL ? (size_t)(next - value) : strlen(value);
            if (cap == 0)
                return NULL;
            if (len >= cap)
                len = cap - 1;
            memcpy(out, value, len);
            out[len] = '\0';
            return out;
        }
        line = next;
    }
    return NULL;
}

long
http_raw_n(const struct wenda_server *srv, const char *raw_request,
           size_t len, int no_body, int timeout_ms, char *buf, size_t cap)
{
    size_t sent = 0, got = 0;
    double deadline = now_s() + timeout_ms / 1000.0;
    int fd;

    if (cap == 0)
        return -1;
    buf[0] = '\0';
    fd = harness_connect(srv);
    if (fd < 0)
        return -1;
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        close(fd);
        return -1;
    }
    while (got + 1 < cap) {
        struct pollfd p = {fd, (short)(POLLIN | (sent < len ? POLLOUT : 0)),
                           0};
        int left_ms = (int)((deadline - now_s()) * 1000.0);
        int ready;
        ssize_t n;

        if (left_ms <= 0)
            break;
        ready = poll(&p, 1, left_ms);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            break;
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            n = recv(fd, buf + got, cap - 1 - got, 0);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0)
                break; /* closed, or reset after the reply */
            got += (size_t)n;
            buf[got] = '\0';
            sent = len; /* answered: the rest need not be written */
            if (raw_complete(buf, got) ||
                (http_raw_body(buf) != NULL &&
                 (no_body || http_raw_status(buf) == 204 ||
                  http_raw_status(buf) == 304)))
                break;
            continue;
        }
        n = send(fd, raw_request + sent, len - sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        sent = n < 0 ? len : sent + (size_t)n; /* reset: read what came */
    }
    close(fd);
    buf[got] = '\0';
    return (long)got;
}
