/*
 * test_token_cli.c -- 'wenda token create|list|revoke' as an operator meets
 * it: the token on stdout and nowhere else, the key file's mode, the list
 * table, revocation, and exit status 2 for every bad argument.
 *
 * Each test gets a private temporary directory (the suite's .init) holding
 * a database imported from content/ by the binary itself.  The binary runs
 * through harness_run(), in a temporary working directory of its own, so
 * every path given to it is absolute.  A token the binary prints is checked
 * against the database with the library, so that a well-formed but wrong
 * line on stdout cannot pass.
 */
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "wenda/auth.h"
#include "wenda/store.h"

#include "../unit/testutil.h"
#include "harness.h"

#define PATH_CAP TESTUTIL_PATH_CAP
#define RUN_TIMEOUT_S 10.0

static char tmp_dir[PATH_CAP];   /* private temporary directory */
static char db_path[PATH_CAP];   /* tmp_dir/wenda.db */
static char key_path[PATH_CAP];  /* tmp_dir/token.key */

/* ---- helpers ---------------------------------------------------------- */

/* Runs the binary with args and fails the test when it cannot, or when it
 * does not end in time.  The caller frees res with harness_run_cleanup(). */
static void
run(const char *const *args, struct harness_run_result *res)
{
    harness_run_or_fail(args, RUN_TIMEOUT_S, NULL, res);
}

static void
setup(void)
{
    char content[PATH_MAX];
    const char *args[] = {"import", "--db", NULL, NULL, NULL};
    struct harness_run_result res;

    cr_assert_geq(sodium_init(), 0);
    (void)unsetenv("WENDA_DB");
    testutil_make_temp_dir(tmp_dir, sizeof(tmp_dir), "token-cli");
    testutil_join(db_path, sizeof(db_path), tmp_dir, "wenda.db");
    testutil_join(key_path, sizeof(key_path), tmp_dir, "token.key");
    cr_assert_not_null(realpath("content", content),
                       "content/ not found (run from the repository root)");
    args[2] = db_path;
    args[3] = content;
    run(args, &res);
    cr_assert_eq(res.status, 0, "import exited %d: %s", res.status, res.err);
    harness_run_cleanup(&res);
}

static void
teardown(void)
{
    testutil_remove_tree(tmp_dir);
}

TestSuite(token_cli, .init = setup, .fini = teardown);

/*
 * Runs "token create --db DB --role role" (and --name name unless NULL),
 * asserts that it succeeded and printed exactly one token line, and copies
 * the token to out.  The caller frees res.
 */
static void
create(const char *role, const char *name, char out[WENDA_TOKEN_LEN + 1],
       struct harness_run_result *res)
{
    const char *args[] = {"token", "create", "--db", db_path, "--role", role,
                          NULL, NULL, NULL};

    if (name != NULL) {
        args[6] = "--name";
        args[7] = name;
    }
    run(args, res);
    cr_assert_eq(res->status, 0, "token create exited %d: %s", res->status,
                 res->err);
    cr_assert_eq(strlen(res->out), WENDA_TOKEN_LEN + 1,
                 "stdout is not one token line: '%s'", res->out);
    cr_assert_eq(res->out[WENDA_TOKEN_LEN], '\n');
    memcpy(out, res->out, WENDA_TOKEN_LEN);
    out[WENDA_TOKEN_LEN] = '\0';
    cr_assert(wenda_auth_token_well_formed(out), "'%s' is not a token", out);
}

/* Verifies token against the database with the library; returns the rc
 * and fills *info. */
static enum wenda_err
verify(const char *token, struct wenda_token_info *info)
{
    struct wenda_store *st = NULL;
    struct wenda_auth *a = NULL;
    char msg[512];
    enum wenda_err rc;

    cr_assert_eq(wenda_store_open(db_path, WENDA_STORE_READONLY, &st, msg,
                                  sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_auth_open(key_path, 0, &a, msg, sizeof(msg)),
                 WENDA_OK, "%s", msg);
    rc = wenda_auth_verify(a, st, token, info);
    wenda_auth_close(a);
    wenda_store_close(st);
    return rc;
}

/* Runs "token list --db DB"; asserts exit 0.  The caller frees res. */
static void
list(struct harness_run_result *res)
{
    const char *args[] = {"token", "list", "--db", db_path, NULL};

    run(args, res);
    cr_assert_eq(res->status, 0, "token list exited %d: %s", res->status,
                 res->err);
}

/* Returns the line of text that starts with prefix, copied to out. */
static const char *
line_starting(const char *text, const char *prefix, char *out, size_t cap)
{
    const char *line = text;
    size_t plen = strlen(prefix);

    while (line != NULL && *line != '\0') {
        const char *eol = strchr(line, '\n');
        size_t n = eol ? (size_t)(eol - line) : strlen(line);

        if (n >= plen && strncmp(line, prefix, plen) == 0) {
            (void)snprintf(out, cap, "%.*s", (int)n, line);
            return out;
        }
        line = eol ? eol + 1 : NULL;
    }
    return NULL;
}

/* ---- create ------------------------------------------------------------ */

Test(token_cli, create_prints_only_the_token_on_stdout)
{
    char token[WENDA_TOKEN_LEN + 1];
    struct harness_run_result res;
    struct wenda_token_info info;

    create("editor", "ci", token, &res);
    cr_assert_not_null(strstr(res.err, "store it now"),
                       "stderr does not say to store it: %s", res.err);
    cr_assert_not_null(strstr(res.err, "cannot be shown again"), "%s",
                       res.err);
    cr_assert_not_null(strstr(res.err, "editor"), "no role: %s", res.err);
    cr_assert_not_null(strstr(res.err, "never expires"), "no expiry: %s",
                       res.err);
    cr_assert_null(strstr(res.err, token + 4), "stderr holds the token");
    cr_assert_eq(verify(token, &info), WENDA_OK, "the printed token does "
                 "not verify: %s", info.reason);
    cr_assert_eq(info.role, WENDA_ROLE_EDITOR);
    cr_assert_str_eq(info.name, "ci");
    cr_assert_not_null(strstr(res.err, "token 1 "), "no id: %s", res.err);
    harness_run_cleanup(&res);
}

Test(token_cli, create_makes_a_different_token_each_time)
{
    char a[WENDA_TOKEN_LEN + 1], b[WENDA_TOKEN_LEN + 1];
    struct harness_run_result res;

    create("reader", NULL, a, &res);
    harness_run_cleanup(&res);
    create("reader", NULL, b, &res);
    harness_run_cleanup(&res);
    cr_assert_str_neq(a, b);
}

Test(token_cli, create_with_an_expiry_says_when_it_expires)
{
    const char *args[] = {"token", "create", "--db", db_path, "--role",
                          "admin", "--expires", "12h", NULL};
    struct harness_run_result res;
    struct wenda_token_info info;
    char token[WENDA_TOKEN_LEN + 1];

    run(args, &res);
    cr_assert_eq(res.status, 0, "%s", res.err);
    cr_assert_eq(strlen(res.out), WENDA_TOKEN_LEN + 1);
    memcpy(token, res.out, WENDA_TOKEN_LEN);
    token[WENDA_TOKEN_LEN] = '\0';
    cr_assert_eq(verify(token, &info), WENDA_OK, "%s", info.reason);
    cr_assert_eq(info.role, WENDA_ROLE_ADMIN);
    cr_assert_eq(strlen(info.expires_at), 20);
    cr_assert_not_null(strstr(res.err, info.expires_at),
                       "stderr does not give the expiry %s: %s",
                       info.expires_at, res.err);
    harness_run_cleanup(&res);
}

Test(token_cli, create_makes_the_key_file_with_mode_0600_and_keeps_it)
{
    char token[WENDA_TOKEN_LEN + 1], other[WENDA_TOKEN_LEN + 1];
    struct harness_run_result res;
    struct wenda_token_info info;
    struct stat sb;
    char *before, *after;
    size_t n1 = 0, n2 = 0;

    cr_assert_neq(stat(key_path, &sb), 0, "import already made a key");
    create("admin", "first", token, &res);
    harness_run_cleanup(&res);
    cr_assert_eq(stat(key_path, &sb), 0, "no key file: %s", strerror(errno));
    cr_assert(S_ISREG(sb.st_mode));
    cr_assert_eq(sb.st_mode & 07777, 0600, "key file mode %04o",
                 (unsigned int)(sb.st_mode & 07777));
    cr_assert_eq(sb.st_size, WENDA_AUTH_KEY_LEN);
    before = testutil_slurp(key_path, &n1);
    create("reader", "second", other, &res);
    harness_run_cleanup(&res);
    after = testutil_slurp(key_path, &n2);
    cr_assert_eq(n1, n2);
    cr_assert_eq(memcmp(before, after, n1), 0, "the key changed");
    free(before);
    free(after);
    /* Both verify with the one key. */
    cr_assert_eq(verify(token, &info), WENDA_OK);
    cr_assert_eq(verify(other, &info), WENDA_OK);
}

Test(token_cli, create_refuses_a_key_file_others_may_read)
{
    char token[WENDA_TOKEN_LEN + 1];
    const char *args[] = {"token", "create", "--db", db_path, "--role",
                          "admin", NULL};
    struct harness_run_result res;

    create("admin", NULL, token, &res);
    harness_run_cleanup(&res);
    cr_assert_eq(chmod(key_path, 0644), 0);
    run(args, &res);
    cr_assert_eq(res.status, 1, "exit %d: %s", res.status, res.err);
    cr_assert_str_eq(res.out, "", "a token was printed anyway");
    cr_assert_not_null(strstr(res.err, "0644"), "%s", res.err);
    cr_assert_not_null(strstr(res.err, "token.key"), "%s", res.err);
    harness_run_cleanup(&res);
}

Test(token_cli, create_on_a_missing_database_fails_and_creates_nothing)
{
    char missing[PATH_CAP], dir[PATH_CAP], key[PATH_CAP];
    const char *args[] = {"token", "create", "--db", missing, "--role",
                          "admin", NULL};
    struct harness_run_result res;
    struct stat sb;

    testutil_join(dir, sizeof(dir), tmp_dir, "empty");
    cr_assert_eq(mkdir(dir, 0700), 0);
    testutil_join(missing, sizeof(missing), dir, "none.db");
    testutil_join(key, sizeof(key), dir, "token.key");
    run(args, &res);
    cr_assert_eq(res.status, 1, "exit %d: %s", res.status, res.err);
    cr_assert_str_eq(res.out, "");
    cr_assert_not_null(strstr(res.err, "none.db"), "%s", res.err);
    cr_assert_neq(stat(missing, &sb), 0, "the database was created");
    cr_assert_neq(stat(key, &sb), 0, "a key file was created");
    harness_run_cleanup(&res);
}

/* ---- list and revoke --------------------------------------------------- */

Test(token_cli, list_shows_every_token_but_never_the_token)
{
    char a[WENDA_TOKEN_LEN + 1], b[WENDA_TOKEN_LEN + 1], line[512];
    struct harness_run_result res;

    create("admin", "deploy-bot", a, &res);
    harness_run_cleanup(&res);
    create("reader", NULL, b, &res);
    harness_run_cleanup(&res);
    list(&res);
    cr_assert_null(strstr(res.out, a + 4), "list shows a token: %s", res.out);
    cr_assert_null(strstr(res.out, b + 4), "list shows a token: %s", res.out);
    cr_assert_null(strstr(res.err, a + 4));
    cr_assert_null(strstr(res.out, "wnd_"), "list shows a token: %s",
                   res.out);
    cr_assert_not_null(line_starting(res.out, "ID ", line, sizeof(line)),
                       "no header: %s", res.out);
    cr_assert_not_null(strstr(line, "NAME"));
    cr_assert_not_null(strstr(line, "ROLE"));
    cr_assert_not_null(strstr(line, "CREATED"));
    cr_assert_not_null(strstr(line, "EXPIRES"));
    cr_assert_not_null(strstr(line, "LAST USED"));
    cr_assert_not_null(strstr(line, "REVOKED"));
    cr_assert_not_null(line_starting(res.out, "1 ", line, sizeof(line)),
                       "no row 1: %s", res.out);
    cr_assert_not_null(strstr(line, "deploy-bot"), "%s", line);
    cr_assert_not_null(strstr(line, "admin"), "%s", line);
    cr_assert_not_null(strstr(line, "never"), "%s", line);
    cr_assert_not_null(line_starting(res.out, "2 ", line, sizeof(line)),
                       "no row 2: %s", res.out);
    cr_assert_not_null(strstr(line, "reader"), "%s", line);
    harness_run_cleanup(&res);
}

Test(token_cli, list_reads_the_database_from_wenda_db)
{
    const char *args[] = {"token", "list", NULL};
    char token[WENDA_TOKEN_LEN + 1], line[512];
    struct harness_run_result res;

    create("editor", "from-env", token, &res);
    harness_run_cleanup(&res);
    cr_assert_eq(setenv("WENDA_DB", db_path, 1), 0);
    run(args, &res);
    (void)unsetenv("WENDA_DB");
    cr_assert_eq(res.status, 0, "exit %d: %s", res.status, res.err);
    cr_assert_not_null(line_starting(res.out, "1 ", line, sizeof(line)),
                       "%s", res.out);
    cr_assert_not_null(strstr(line, "from-env"), "%s", line);
    harness_run_cleanup(&res);
}

Test(token_cli, revoke_marks_the_token_and_a_second_revoke_fails)
{
    const char *args[] = {"token", "revoke", "--db", db_path, "1", NULL};
    char token[WENDA_TOKEN_LEN + 1], line[512];
    struct harness_run_result res;
    struct wenda_token_info info;

    create("admin", "doomed", token, &res);
    harness_run_cleanup(&res);
    cr_assert_eq(verify(token, &info), WENDA_OK);

    run(args, &res);
    cr_assert_eq(res.status, 0, "exit %d: %s", res.status, res.err);
    cr_assert_not_null(strstr(res.out, "revoked token 1"), "%s", res.out);
    harness_run_cleanup(&res);
    cr_assert_eq(verify(token, &info), WENDA_ERR_NOT_FOUND);
    cr_assert_str_eq(info.reason, "revoked");

    list(&res);
    cr_assert_not_null(line_starting(res.out, "1 ", line, sizeof(line)),
                       "%s", res.out);
    cr_assert_eq(strlen(line) > 20 && line[strlen(line) - 1] == 'Z', 1,
                 "the row does not end with a revocation time: %s", line);
    harness_run_cleanup(&res);

    run(args, &res);
    cr_assert_eq(res.status, 1, "a second revoke exited %d: %s", res.status,
                 res.err);
    cr_assert_not_null(strstr(res.err, "already revoked"), "%s", res.err);
    harness_run_cleanup(&res);
}

Test(token_cli, revoke_of_an_unknown_id_fails)
{
    const char *args[] = {"token", "revoke", "--db", db_path, "42", NULL};
    struct harness_run_result res;

    run(args, &res);
    cr_assert_eq(res.status, 1, "exit %d: %s", res.status, res.err);
    cr_assert_str_eq(res.out, "");
    harness_run_cleanup(&res);
}

/* ---- bad arguments ----------------------------------------------------- */

Test(token_cli, refuses_bad_arguments_with_exit_2_and_touches_nothing)
{
    /* "@" stands for the database path. */
    static const char *const cases[][10] = {
        {"token", NULL},
        {"token", "bogus", NULL},
        {"token", "create", "--db", "@", NULL},
        {"token", "create", "--db", "@", "--role", "boss", NULL},
        {"token", "create", "--db", "@", "--role", "", NULL},
        {"token", "create", "--db", "@", "--role", "Admin", NULL},
        {"token", "create", "--db", "@", "--role", "admin", "--expires",
         "3x", NULL},
        {"token", "create", "--db", "@", "--role", "admin", "--expires",
         "0d", NULL},
        {"token", "create", "--db", "@", "--role", "admin", "--expires",
         "-1d", NULL},
        {"token", "create", "--db", "@", "--role", "admin", "--name",
         "tab\there", NULL},
        {"token", "create", "--db", "@", "--role", "admin", "extra", NULL},
        {"token", "create", "--db", "@", "--role", "admin", "--bogus", NULL},
        {"token", "create", "--db", "", "--role", "admin", NULL},
        {"token", "list", "--db", "@", "extra", NULL},
        {"token", "list", "--db", "@", "--role", "admin", NULL},
        {"token", "revoke", "--db", "@", NULL},
        {"token", "revoke", "--db", "@", "abc", NULL},
        {"token", "revoke", "--db", "@", "0", NULL},
        {"token", "revoke", "--db", "@", "-1", NULL},
        {"token", "revoke", "--db", "@", "1x", NULL},
        {"token", "revoke", "--db", "@", "1", "2", NULL},
        {"token", "revoke", "--db", "@", "99999999999999999999", NULL},
    };
    size_t i, j;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[10];
        struct harness_run_result res;
        struct stat sb;
        char shown[PATH_CAP + 256] = "";
        size_t len;

        for (j = 0; cases[i][j] != NULL; j++) {
            args[j] = strcmp(cases[i][j], "@") == 0 ? db_path : cases[i][j];
            len = strlen(shown);
            (void)snprintf(shown + len, sizeof(shown) - len, " %s", args[j]);
        }
        args[j] = NULL;
        run(args, &res);
        cr_assert_eq(res.status, 2, "wenda%s exited %d, not 2: %s", shown,
                     res.status, res.err);
        cr_assert_str_eq(res.out, "", "wenda%s printed: %s", shown, res.out);
        cr_assert_not_null(strstr(res.err, "wenda token"),
                           "wenda%s gave no message: %s", shown, res.err);
        cr_assert_not_null(strstr(res.err, "--help"),
                           "wenda%s does not point to --help: %s", shown,
                           res.err);
        cr_assert_neq(stat(key_path, &sb), 0, "wenda%s made a key file",
                      shown);
        harness_run_cleanup(&res);
    }
}

Test(token_cli, never_echoes_a_token_given_in_the_wrong_place)
{
    char token[WENDA_TOKEN_LEN + 1];
    const char *args[] = {"token", "revoke", "--db", db_path, token, NULL};
    struct harness_run_result res;

    create("admin", NULL, token, &res);
    harness_run_cleanup(&res);
    run(args, &res);
    cr_assert_eq(res.status, 2, "exit %d: %s", res.status, res.err);
    cr_assert_null(strstr(res.err, token + 4), "the token was echoed: %s",
                   res.err);
    harness_run_cleanup(&res);
}

Test(token_cli, describes_each_subcommand_with_help)
{
    static const char *const cases[][3] = {
        {"token", "--help", NULL},
        {"token", "create", "--help"},
        {"token", "list", "--help"},
        {"token", "revoke", "--help"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[4] = {cases[i][0], cases[i][1], cases[i][2], NULL};
        struct harness_run_result res;

        run(args, &res);
        cr_assert_eq(res.status, 0, "%s %s exited %d", cases[i][1],
                     cases[i][2] ? cases[i][2] : "", res.status);
        cr_assert_not_null(strstr(res.out, "usage: wenda token"), "%s",
                           res.out);
        harness_run_cleanup(&res);
    }
}
