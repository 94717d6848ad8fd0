/*
 * test_cli.c -- the wenda command line as an operator meets it: exit
 * statuses, "FILE:LINE: message" diagnostics, import/export round trips,
 * and the refusal of bad flags and too-new databases.
 *
 * Each test runs the real binary through the harness (harness_run_or_fail():
 * $WENDA_BIN, default build/wenda, resolved from the repository root where
 * the tests run) in a private temporary directory that is also its working
 * directory, so that a command which wrongly falls back to a default path
 * (data/wenda.db) leaves nothing in the repository.  The wait is bounded
 * (10 s, then SIGKILL) so that a command that hangs fails one test instead
 * of the suite.  The WENDA_* variables that serve reads (options.h) are
 * taken out of the child's environment so that the caller's cannot change
 * a default behind a test's back; a test puts some in through run_env.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "../unit/testutil.h"
#include "harness.h"
#include "options.h"
#include "wenda/content.h"
#include "wenda/search.h"
#include "wenda/store.h"

#define PATH_CAP 4096
#define RUN_TIMEOUT_S 10

static char tmp_dir[PATH_CAP];      /* private directory and child's cwd */
static char content_path[PATH_CAP]; /* absolute path of content/ */
static int run_as_nobody;           /* run_wenda() as uid 65534 when root */
static const char *const no_env[] = {NULL};
static const char *const *run_env = no_env; /* "NAME=value" for the child */
static const char *serve_vars[64];  /* the variables serve reads, NULL-ended */

/* ---- helpers ---------------------------------------------------------- */

/* tmp_dir/rel into out. */
static void
in_tmp(char *out, size_t cap, const char *rel)
{
    testutil_join(out, cap, tmp_dir, rel);
}

/* Appends data to the file at path. */
static void
append_file(const char *path, const char *data)
{
    FILE *f = fopen(path, "ab");

    cr_assert_not_null(f, "cannot append to %s", path);
    cr_assert_eq(fputs(data, f) >= 0, 1);
    cr_assert_eq(fclose(f), 0);
}

/* Copies content/ to tmp_dir/name and returns its path in out. */
static void
copy_content(char *out, size_t cap, const char *name)
{
    in_tmp(out, cap, name);
    testutil_copy_tree(content_path, out);
}

/* Asserts that directories a and b hold the same files, byte for byte, and
 * that a is not empty. */
static void
assert_same_tree(const char *a, const char *b)
{
    cr_assert_gt(testutil_assert_same_tree(a, b), 0, "%s is empty", a);
}

/*
 * Runs the binary with the NULL-terminated args (argv[1] on) in tmp_dir,
 * without the variables serve reads but with those of run_env, as nobody
 * when run_as_nobody is set, and waits at most RUN_TIMEOUT_S seconds.
 * Fails the test when the binary cannot run or does not end.  The caller
 * frees r with harness_run_cleanup().
 */
static void
run_wenda(struct harness_run_result *r, const char *const *args)
{
    const struct harness_run_opts how = {tmp_dir, serve_vars, run_env,
                                         run_as_nobody};

    harness_run_or_fail(args, RUN_TIMEOUT_S, &how, r);
}

/*
 * Looks for a stderr line "FILE:LINE: message" whose FILE is file; returns
 * its LINE and copies the whole line to found (cap bytes).  Returns 0 for a
 * "FILE: message" line without a number, -1 when file is not named at the
 * start of any line.  A line with a number wins over one without.
 */
static long
diag_line_for(const char *err, const char *file, char *found, size_t cap)
{
    size_t flen = strlen(file);
    const char *line = err;
    long best = -1;

    while (*line != '\0') {
        const char *eol = strchr(line, '\n');
        size_t n = eol ? (size_t)(eol - line) : strlen(line);

        if (n > flen && strncmp(line, file, flen) == 0 && line[flen] == ':') {
            const char *p = line + flen + 1;
            char *end;
            long v = strtol(p, &end, 10);

            if (end != p && *end == ':' && v > 0) {
                (void)snprintf(found, cap, "%.*s", (int)n, line);
                return v;
            }
            if (best < 0) {
                (void)snprintf(found, cap, "%.*s", (int)n, line);
                best = 0;
            }
        }
        line += n + (eol != NULL);
    }
    return best;
}

/* Returns 1 when value occurs in s as a whole token (not inside a longer
 * run of letters, digits or hyphens). */
static int
names_token(const char *s, const char *value)
{
    size_t n = strlen(value);
    const char *p = s;

    while ((p = strstr(p, value)) != NULL) {
        char before = p == s ? ' ' : p[-1], after = p[n];
        int wb = (before >= 'a' && before <= 'z') ||
                 (before >= '0' && before <= '9') || before == '-';
        int wa = (after >= 'a' && after <= 'z') ||
                 (after >= '0' && after <= '9');

        if (!wb && !wa)
            return 1;
        p++;
    }
    return 0;
}

static long
db_user_version(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    long v;

    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK, "sqlite3 cannot open %s", path);
    cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void
setup(void)
{
    const struct options_serve_option *opts;
    size_t nopts = options_serve_table(&opts), i;
    char *real;

    cr_assert_eq(access(harness_binary(), X_OK), 0, "no wenda binary at %s "
                 "(set WENDA_BIN, run from the repository root)",
                 harness_binary());
    cr_assert_lt(nopts, sizeof(serve_vars) / sizeof(serve_vars[0]));
    for (i = 0; i < nopts; i++)
        serve_vars[i] = opts[i].env;
    serve_vars[nopts] = NULL;
    testutil_make_temp_dir(tmp_dir, sizeof(tmp_dir), "cli");
    real = realpath("content", NULL);
    cr_assert_not_null(real, "no content/ (run from the repository root)");
    (void)snprintf(content_path, sizeof(content_path), "%s", real);
    free(real);
}

static void
teardown(void)
{
    testutil_remove_tree(tmp_dir);
}

TestSuite(command, .init = setup, .fini = teardown);

/* ---- check ------------------------------------------------------------ */

Test(command, check_accepts_the_shipped_content)
{
    const char *const args[] = {"check", content_path, NULL};
    struct harness_run_result r;

    run_wenda(&r, args);
    cr_assert_eq(r.status, 0, "check content exited %d:\n%s", r.status,
                 r.err);
    cr_assert_str_empty(r.err, "a clean check printed problems:\n%s", r.err);
    cr_assert(names_token(r.out, "64"), "check does not count 64 topics: %s",
              r.out);
    harness_run_cleanup(&r);
}

/* Runs "check dir", expects status 1 and a FILE:LINE diagnostic for file
 * (relative to dir) at a line in [lo, hi] whose text holds word. */
static void
expect_check_problem(const char *dir, const char *rel, long lo, long hi,
                     const char *word)
{
    const char *const args[] = {"check", dir, NULL};
    char file[PATH_CAP], found[2048] = "";
    struct harness_run_result r;
    long line;

    testutil_join(file, sizeof(file), dir, rel);
    run_wenda(&r, args);
    cr_assert_eq(r.status, 1, "check of a broken directory exited %d:\n%s",
                 r.status, r.err);
    line = diag_line_for(r.err, file, found, sizeof(found));
    cr_assert_neq(line, -1, "%s is not named at the start of a line:\n%s",
                  file, r.err);
    cr_assert(line >= lo && line <= hi,
              "%s: expected FILE:LINE with LINE in %ld..%ld; got: %s", rel,
              lo, hi, found);
    if (word != NULL)
        cr_assert_not_null(strstr(found, word), "'%s' not in: %s", word,
                           found);
    harness_run_cleanup(&r);
}

Test(command, check_reports_a_missing_field_with_file_and_line)
{
    char dir[PATH_CAP], path[PATH_CAP];

    copy_content(dir, sizeof(dir), "c");
    testutil_join(path, sizeof(path), dir, "concurrency/deadlock.md");
    testutil_edit_file(path, "tags: [\"lock\", \"thread\", \"process\"]\n", "");
    /* The front matter now spans lines 1..8. */
    expect_check_problem(dir, "concurrency/deadlock.md", 1, 8, "tags");
}

Test(command, check_reports_a_duplicate_slug_at_its_line_naming_both_files)
{
    const char *args[] = {"check", NULL, NULL};
    char dir[PATH_CAP], src[PATH_CAP], dst[PATH_CAP], first[PATH_CAP];
    char found[2048] = "", found2[2048] = "";
    struct harness_run_result r;
    long line, line2;

    copy_content(dir, sizeof(dir), "c");
    testutil_join(src, sizeof(src), dir, "concurrency/deadlock.md");
    testutil_join(dst, sizeof(dst), dir, "http/deadlock.md");
    testutil_copy_file(src, dst);
    testutil_edit_file(dst, "category: \"concurrency\"", "category: \"http\"");
    args[1] = dir;
    run_wenda(&r, args);
    cr_assert_eq(r.status, 1, "check exited %d:\n%s", r.status, r.err);
    /* Whichever file is read second is reported, naming the first. */
    testutil_join(first, sizeof(first), dir, "concurrency/deadlock.md");
    line = diag_line_for(r.err, dst, found, sizeof(found));
    line2 = diag_line_for(r.err, first, found2, sizeof(found2));
    if (line < 0 || strstr(found, "concurrency/deadlock") == NULL) {
        line = line2;
        memcpy(found, found2, sizeof(found));
        cr_assert_not_null(strstr(found, "http/deadlock"),
                           "no line names both files:\n%s", r.err);
    }
    cr_assert_neq(line, -1, "no line names both files:\n%s", r.err);
    /* slug: is line 4 of deadlock.md. */
    cr_assert_eq(line, 4, "expected FILE:4: (the slug line); got: %s", found);
    harness_run_cleanup(&r);
}

Test(command, check_reports_bad_yaml_with_file_and_line)
{
    char dir[PATH_CAP], path[PATH_CAP];

    copy_content(dir, sizeof(dir), "c");
    testutil_join(path, sizeof(path), dir, "http/http-vs-https.md");
    testutil_edit_file(path, "order: ", "order: [");
    /* order: is line 6; the parser may notice at the next line. */
    expect_check_problem(dir, "http/http-vs-https.md", 6, 7, NULL);
}

Test(command, check_reports_invalid_utf8_with_file_and_line)
{
    char dir[PATH_CAP], path[PATH_CAP];

    copy_content(dir, sizeof(dir), "c");
    testutil_join(path, sizeof(path), dir, "concurrency/deadlock.md");
    /* The file has 10 lines, each ending with a newline. */
    append_file(path, "第十一行 \xff 坏字节\n");
    expect_check_problem(dir, "concurrency/deadlock.md", 11, 11, NULL);
}

Test(command, check_reports_a_directory_that_does_not_exist)
{
    char dir[PATH_CAP];
    const char *args[] = {"check", NULL, NULL};
    struct harness_run_result r;

    in_tmp(dir, sizeof(dir), "no-such-dir");
    args[1] = dir;
    run_wenda(&r, args);
    cr_assert_eq(r.status, 1, "exited %d", r.status);
    cr_assert_not_null(strstr(r.err, "no-such-dir"), "stderr: %s", r.err);
    harness_run_cleanup(&r);
}

Test(command, check_without_a_directory_is_a_usage_error)
{
    const char *const args[] = {"check", NULL};
    struct harness_run_result r;

    run_wenda(&r, args);
    cr_assert_eq(r.status, 2, "exited %d", r.status);
    cr_assert_str_not_empty(r.err);
    harness_run_cleanup(&r);
}

/* ---- import and export ------------------------------------------------ */

/* Runs "cmd --db db dir" (cmd is import or export) and expects status
 * want; the caller frees r with harness_run_cleanup(). */
static void
db_command_expect(const char *cmd, const char *db, const char *dir, int want,
                  struct harness_run_result *r)
{
    const char *const args[] = {cmd, "--db", db, dir, NULL};

    run_wenda(r, args);
    cr_assert_eq(r->status, want, "%s exited %d, not %d:\n%s", cmd, r->status,
                 want, r->err);
}

Test(command, exports_an_imported_database_as_the_same_files)
{
    char db[PATH_CAP], out[PATH_CAP];
    struct harness_run_result r;

    in_tmp(db, sizeof(db), "wenda.db");
    in_tmp(out, sizeof(out), "exported");
    db_command_expect("import", db, content_path, 0, &r);
    cr_assert(names_token(r.out, "64"), "import does not say 64: %s", r.out);
    harness_run_cleanup(&r);
    db_command_expect("export", db, out, 0, &r);
    harness_run_cleanup(&r);
    assert_same_tree(content_path, out);
}

Test(command, leaves_the_database_unchanged_when_an_import_fails)
{
    char db[PATH_CAP], dir[PATH_CAP], path[PATH_CAP], out[PATH_CAP];
    char file[PATH_CAP], found[2048];
    struct harness_run_result r;

    in_tmp(db, sizeof(db), "wenda.db");
    in_tmp(out, sizeof(out), "exported");
    db_command_expect("import", db, content_path, 0, &r);
    harness_run_cleanup(&r);

    /* A directory that differs a lot, with one broken file. */
    copy_content(dir, sizeof(dir), "broken");
    testutil_join(path, sizeof(path), dir, "tools/code-review.md");
    cr_assert_eq(unlink(path), 0);
    testutil_join(path, sizeof(path), dir, "tools/git-fork.md");
    cr_assert_eq(unlink(path), 0);
    testutil_join(path, sizeof(path), dir, "python/pep8.md");
    testutil_edit_file(path, "title: ", "titel: ");
    testutil_join(path, sizeof(path), dir, "concurrency/deadlock.md");
    testutil_edit_file(path, "title: \"死锁\"", "title: \"改过的\"");
    db_command_expect("import", db, dir, 1, &r);
    testutil_join(file, sizeof(file), dir, "python/pep8.md");
    cr_assert_geq(diag_line_for(r.err, file, found, sizeof(found)), 0,
                  "the broken file is not named:\n%s", r.err);
    harness_run_cleanup(&r);

    cr_assert_eq(db_user_version(db) > 0, 1);
    db_command_expect("export", db, out, 0, &r);
    harness_run_cleanup(&r);
    assert_same_tree(content_path, out);
}

Test(command, export_of_a_missing_database_fails_with_a_message)
{
    char db[PATH_CAP], out[PATH_CAP];
    struct harness_run_result r;

    in_tmp(db, sizeof(db), "missing.db");
    in_tmp(out, sizeof(out), "exported");
    db_command_expect("export", db, out, 1, &r);
    cr_assert_not_null(strstr(r.err, "missing.db"),
                       "the message does not name the database: %s", r.err);
    cr_assert_neq(access(db, F_OK), 0, "export created %s", db);
    harness_run_cleanup(&r);
}

Test(command, import_without_a_directory_is_a_usage_error)
{
    const char *const bare[] = {"import", NULL};
    const char *with_db[] = {"import", "--db", NULL, NULL};
    char db[PATH_CAP], dflt[PATH_CAP];
    struct harness_run_result r;

    run_wenda(&r, bare);
    cr_assert_eq(r.status, 2, "exited %d:\n%s", r.status, r.err);
    cr_assert_str_not_empty(r.err);
    harness_run_cleanup(&r);
    in_tmp(db, sizeof(db), "x.db");
    with_db[2] = db;
    run_wenda(&r, with_db);
    cr_assert_eq(r.status, 2, "exited %d:\n%s", r.status, r.err);
    harness_run_cleanup(&r);
    cr_assert_neq(access(db, F_OK), 0, "a usage error created %s", db);
    in_tmp(dflt, sizeof(dflt), "data/wenda.db");
    cr_assert_neq(access(dflt, F_OK), 0, "a usage error created %s", dflt);
}

/* ---- serve: bad flags and databases ----------------------------------- */

/* Runs "serve" with a private --db and --content plus extra, and expects
 * status 2 with both words on stderr and no database created. */
static void
serve_rejects(const char *opt, const char *value, const char *word)
{
    const char *args[12];
    char db[PATH_CAP];
    struct harness_run_result r;
    size_t n = 0;

    in_tmp(db, sizeof(db), "serve.db");
    args[n++] = "serve";
    args[n++] = "--bind";
    args[n++] = "127.0.0.1";
    args[n++] = "--db";
    args[n++] = db;
    args[n++] = "--content";
    args[n++] = content_path;
    args[n++] = opt;
    if (value != NULL)
        args[n++] = value;
    args[n] = NULL;
    run_wenda(&r, args);
    cr_assert_eq(r.status, 2, "serve %s %s exited %d:\n%s", opt,
                 value ? value : "", r.status, r.err);
    cr_assert(names_token(r.err, word), "stderr does not name '%s':\n%s",
              word, r.err);
    cr_assert_not_null(strstr(r.err, opt), "stderr does not name %s:\n%s",
                       opt, r.err);
    cr_assert_neq(access(db, F_OK), 0, "a bad flag still created %s", db);
    harness_run_cleanup(&r);
}

Test(command, serve_rejects_a_port_that_is_not_a_number)
{
    serve_rejects("--port", "abc", "abc");
}

Test(command, serve_rejects_port_zero)
{
    serve_rejects("--port", "0", "0");
}

Test(command, serve_rejects_a_search_cap_below_a_page)
{
    serve_rejects("--search-cap", "10", "10");
}

Test(command, serve_rejects_a_search_count_that_is_not_a_number)
{
    serve_rejects("--search-count", "-1", "-1");
    serve_rejects("--search-count", "all", "all");
}

Test(command, serve_rejects_cache_and_mmap_sizes_that_are_not_numbers)
{
    serve_rejects("--cache-size", "1", "1");
    serve_rejects("--cache-size", "lots", "lots");
    serve_rejects("--mmap-size", "-1", "-1");
}

Test(command, serve_rejects_a_port_above_65535)
{
    serve_rejects("--port", "70000", "70000");
}

Test(command, serve_rejects_a_thread_count_that_is_not_a_number)
{
    serve_rejects("--threads", "x", "x");
}

Test(command, serve_rejects_an_unknown_option)
{
    serve_rejects("--bogus", NULL, "--bogus");
}

/* A variable is checked as its flag would be, and named by the flag; a
 * flag given wins over its variable, which is then not looked at. */
Test(command, serve_checks_a_variable_unless_its_flag_is_given)
{
    static const char *const env[] = {"WENDA_THREADS=lots", NULL};
    const char *args[] = {"serve", "--threads", "300", NULL};
    struct harness_run_result r;

    run_env = env;
    run_wenda(&r, args);
    cr_assert_eq(r.status, 2, "exited %d:\n%s", r.status, r.err);
    cr_expect_not_null(strstr(r.err, "--threads: '300'"), "%s", r.err);
    cr_expect_null(strstr(r.err, "lots"), "%s", r.err);
    harness_run_cleanup(&r);
    args[1] = NULL;
    run_wenda(&r, args);
    run_env = no_env;
    cr_assert_eq(r.status, 2, "exited %d:\n%s", r.status, r.err);
    /* Only the variable said 'lots': the message names it. */
    cr_expect_not_null(strstr(r.err, "WENDA_THREADS: 'lots'"), "%s", r.err);
    harness_run_cleanup(&r);
}

Test(command, serve_help_lists_every_option_with_its_variable)
{
    static const char *const args[] = {"serve", "--help", NULL};
    const struct options_serve_option *opts;
    size_t n = options_serve_table(&opts), i;
    struct harness_run_result r;

    run_wenda(&r, args);
    cr_assert_eq(r.status, 0, "serve --help exited %d:\n%s", r.status,
                 r.err);
    for (i = 0; i < n; i++) {
        char flag[64];

        (void)snprintf(flag, sizeof(flag), "--%s", opts[i].name);
        cr_expect(names_token(r.out, flag), "no %s in:\n%s", flag, r.out);
        cr_expect_not_null(strstr(r.out, opts[i].env), "no %s in:\n%s",
                           opts[i].env, r.out);
    }
    harness_run_cleanup(&r);
}

Test(command, serve_refuses_a_database_newer_than_the_binary)
{
    const char *args[] = {"serve", "--bind", "127.0.0.1", "--port", "1",
                          "--db", NULL, "--content", NULL, NULL};
    char db[PATH_CAP];
    sqlite3 *h = NULL;
    struct harness_run_result r;

    in_tmp(db, sizeof(db), "future.db");
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(h, "CREATE TABLE t(x); PRAGMA user_version = "
                                 "999;",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_close(h), SQLITE_OK);
    args[6] = db;
    args[8] = content_path;
    run_wenda(&r, args);
    cr_assert_eq(r.status, 1, "serve on a too-new database exited %d:\n%s",
                 r.status, r.err);
    cr_assert_not_null(strstr(r.err, "newer"),
                       "the message does not say newer: %s", r.err);
    cr_assert_eq(db_user_version(db), 999, "the database was changed");
    harness_run_cleanup(&r);
}

/*
 * A database file this user may only read (mode 0444; as root, the server
 * runs as nobody, to whom the file is read-only as it is to a service user
 * that does not own it) is refused at start with a message that says what
 * to do, rather than served with every write failing; with --read-only it
 * is served (here the server gets past the database and stops at port 1,
 * which only root may bind).
 */
Test(command, serve_refuses_a_database_it_may_not_write_unless_read_only)
{
    const char *import[] = {"import", "--db", NULL, NULL, NULL};
    const char *serve[] = {"serve", "--bind", "127.0.0.1", "--port", "1",
                           "--db", NULL, "--content", NULL, NULL, NULL};
    char dir[PATH_CAP], db[PATH_CAP];
    struct harness_run_result r;

    in_tmp(dir, sizeof(dir), "ro");
    cr_assert_eq(mkdir(dir, 0777), 0);
    cr_assert_eq(chmod(dir, 0777), 0);       /* whatever the umask */
    cr_assert_eq(chmod(tmp_dir, 0711), 0);   /* nobody may pass through */
    testutil_join(db, sizeof(db), dir, "ro.db");
    import[2] = db;
    import[3] = content_path;
    run_wenda(&r, import);
    cr_assert_eq(r.status, 0, "import: %s", r.err);
    harness_run_cleanup(&r);
    cr_assert_eq(chmod(db, 0444), 0);
    serve[6] = db;
    serve[8] = content_path;
    run_as_nobody = 1;
    run_wenda(&r, serve);
    cr_expect_eq(r.status, 1, "serve on a read-only database exited %d:\n%s",
                 r.status, r.err);
    cr_expect_not_null(strstr(r.err, "--read-only"),
                       "the message does not say what to do: %s", r.err);
    harness_run_cleanup(&r);
    serve[9] = "--read-only";
    run_wenda(&r, serve);
    run_as_nobody = 0;
    cr_expect_eq(r.status, 1);
    cr_expect_not_null(strstr(r.err, "cannot listen"),
                       "--read-only did not get past the database: %s",
                       r.err);
    harness_run_cleanup(&r);
}

/* ---- top level -------------------------------------------------------- */

Test(command, help_exits_zero_and_lists_the_commands)
{
    const char *const args[] = {"--help", NULL};
    static const char *const cmds[] = {"serve", "import", "export", "check",
                                       "version"};
    struct harness_run_result r;
    size_t i;

    run_wenda(&r, args);
    cr_assert_eq(r.status, 0, "--help exited %d", r.status);
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        cr_assert(names_token(r.out, cmds[i]), "usage does not list %s:\n%s",
                  cmds[i], r.out);
    harness_run_cleanup(&r);
}

/* The version is the Makefile's VERSION, compiled into the tests too. */
Test(command, version_prints_the_version_and_exits_zero)
{
    static const char *const flag[] = {"--version", NULL};
    static const char *const cmd[] = {"version", NULL};
    static const char *const extra[] = {"version", "now", NULL};
    struct harness_run_result r;

    run_wenda(&r, flag);
    cr_assert_eq(r.status, 0, "--version exited %d:\n%s", r.status, r.err);
    cr_expect_str_eq(r.out, "wenda " WENDA_VERSION "\n");
    cr_expect_str_eq(r.err, "");
    harness_run_cleanup(&r);
    run_wenda(&r, cmd);
    cr_assert_eq(r.status, 0, "version exited %d:\n%s", r.status, r.err);
    cr_expect_str_eq(r.out, "wenda " WENDA_VERSION "\n");
    harness_run_cleanup(&r);
    run_wenda(&r, extra);
    cr_expect_eq(r.status, 2, "version now exited %d", r.status);
    harness_run_cleanup(&r);
}

Test(command, the_man_page_is_of_this_version)
{
    char *man = testutil_slurp("deploy/wenda.1", NULL);
    char *th;

    cr_assert_not_null(man, "cannot read deploy/wenda.1");
    th = strstr(man, "\n.TH ");
    cr_assert_not_null(th, "deploy/wenda.1 has no .TH line");
    th[strcspn(th + 1, "\n") + 1] = '\0';
    cr_expect_not_null(strstr(th, " \"wenda " WENDA_VERSION "\" "),
                       "the header of deploy/wenda.1 is not of wenda %s:%s",
                       WENDA_VERSION, th);
    free(man);
}

Test(command, an_unknown_command_is_a_usage_error)
{
    const char *const args[] = {"bogus", NULL};
    struct harness_run_result r;

    run_wenda(&r, args);
    cr_assert_eq(r.status, 2, "exited %d", r.status);
    cr_assert(names_token(r.err, "bogus"), "stderr does not name it:\n%s",
              r.err);
    harness_run_cleanup(&r);
}

Test(command, no_command_is_a_usage_error)
{
    const char *const args[] = {NULL};
    struct harness_run_result r;

    run_wenda(&r, args);
    cr_assert_eq(r.status, 2, "exited %d", r.status);
    cr_assert_str_not_empty(r.err);
    harness_run_cleanup(&r);
}

/* ---- NDJSON import ------------------------------------------------------ */

#define NDJSON_TOPIC(slug, cat, title)                                      \
    "{\"slug\":\"" slug "\",\"title\":\"" title "\",\"category\":\"" cat    \
    "\",\"order\":1,\"tags\":[\"gil\"],\"answer\":\"一个回答。\"}\n"

/* Writes an NDJSON file of lines to tmp_dir/name; its path into out. */
static void
ndjson_file(char *out, size_t cap, const char *name, const char *lines)
{
    in_tmp(out, cap, name);
    testutil_spit(out, lines, strlen(lines));
}

/* Exit status want from "wenda import --db db [--categories cats] src". */
static void
import_ndjson_expect(const char *db, const char *cats, const char *src,
                     int want, struct harness_run_result *r)
{
    const char *const with[] = {"import", "--db", db, "--categories", cats,
                                src, NULL};
    const char *const without[] = {"import", "--db", db, src, NULL};

    run_wenda(r, cats ? with : without);
    cr_assert_eq(r->status, want, "import exited %d, not %d:\n%s", r->status,
                 want, r->err);
}

Test(command, imports_ndjson_with_the_categories_named)
{
    char db[PATH_CAP], src[PATH_CAP], cats[PATH_CAP], out[PATH_CAP];
    char path[PATH_CAP];
    struct harness_run_result r;

    in_tmp(db, sizeof(db), "wenda.db");
    in_tmp(out, sizeof(out), "exported");
    testutil_join(cats, sizeof(cats), content_path, "categories.yml");
    ndjson_file(src, sizeof(src), "topics.ndjson",
                NDJSON_TOPIC("first-one", "python", "第一") "\n"
                NDJSON_TOPIC("second-one", "http", "第二")
                "{\"id\":7,\"version\":3,\"updated_at\":\"x\","
                "\"answer_html\":\"<p>x</p>\",\"slug\":\"third-one\","
                "\"title\":\"第三\",\"category\":\"tools\",\"order\":2,"
                "\"tags\":[\"git\"],\"answer\":\"三。\"}");
    import_ndjson_expect(db, cats, src, 0, &r);
    cr_assert(names_token(r.out, "3"), "import does not say 3: %s", r.out);
    harness_run_cleanup(&r);
    db_command_expect("export", db, out, 0, &r);
    harness_run_cleanup(&r);
    testutil_join(path, sizeof(path), out, "python/first-one.md");
    cr_assert_eq(access(path, F_OK), 0, "%s is missing", path);
    testutil_join(path, sizeof(path), out, "tools/third-one.md");
    cr_assert_eq(access(path, F_OK), 0, "%s is missing", path);

    /* Without --categories, the database's stay; a second import
     * replaces every topic. */
    ndjson_file(src, sizeof(src), "again.ndjson",
                NDJSON_TOPIC("only-one", "http", "唯一"));
    import_ndjson_expect(db, NULL, src, 0, &r);
    harness_run_cleanup(&r);
    testutil_remove_tree(out);
    db_command_expect("export", db, out, 0, &r);
    harness_run_cleanup(&r);
    testutil_join(path, sizeof(path), out, "http/only-one.md");
    cr_assert_eq(access(path, F_OK), 0, "%s is missing", path);
    testutil_join(path, sizeof(path), out, "python/first-one.md");
    cr_assert_neq(access(path, F_OK), 0, "%s was kept", path);
}

Test(command, an_ndjson_import_names_its_first_bad_line_and_changes_nothing)
{
    static const struct {
        const char *lines, *says;
    } bad[] = {
        {NDJSON_TOPIC("ok-one", "python", "好") "{\"slug\": \n",
         "topics.ndjson:2: not valid JSON"},
        {NDJSON_TOPIC("ok-one", "python", "好")
             NDJSON_TOPIC("ok-two", "no-such-category", "坏"),
         "topics.ndjson:2: unknown category 'no-such-category'"},
        /* Blank lines count: the store refuses the 2nd topic, line 5. */
        {"\n" NDJSON_TOPIC("ok-one", "python", "好") "\r\n\n"
             NDJSON_TOPIC("ok-two", "no-such-category", "坏"),
         "topics.ndjson:5: unknown category 'no-such-category'"},
        {NDJSON_TOPIC("ok-one", "python", "好") "\n"
             NDJSON_TOPIC("ok-one", "http", "又"),
         "topics.ndjson:3: duplicate slug 'ok-one'"},
        {"{\"slug\":\"x\",\"title\":\"t\",\"category\":\"python\","
         "\"order\":1,\"tags\":[],\"answer\":\"a\",\"colour\":1}\n",
         "topics.ndjson:1: unknown field 'colour'"},
        {"[1, 2]\n", "topics.ndjson:1: the body must be a JSON object"},
    };
    char db[PATH_CAP], src[PATH_CAP], out[PATH_CAP];
    struct harness_run_result r;
    size_t i;

    in_tmp(db, sizeof(db), "wenda.db");
    db_command_expect("import", db, content_path, 0, &r);
    harness_run_cleanup(&r);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ndjson_file(src, sizeof(src), "topics.ndjson", bad[i].lines);
        import_ndjson_expect(db, NULL, src, 1, &r);
        cr_assert_not_null(strstr(r.err, bad[i].says),
                           "case %zu: stderr does not say \"%s\":\n%s", i,
                           bad[i].says, r.err);
        harness_run_cleanup(&r);
    }
    in_tmp(out, sizeof(out), "exported");
    db_command_expect("export", db, out, 0, &r);
    harness_run_cleanup(&r);
    assert_same_tree(content_path, out);
}

/* A database is there only once an import made it whole: "serve" takes a
 * database that exists for one and never imports into it again. */
Test(command, an_import_that_fails_leaves_no_new_database)
{
    char db[PATH_CAP], tmp[PATH_CAP], src[PATH_CAP], cats[PATH_CAP];
    struct harness_run_result r;

    in_tmp(db, sizeof(db), "new.db");
    in_tmp(tmp, sizeof(tmp), "new.db.importing");
    testutil_join(cats, sizeof(cats), content_path, "categories.yml");
    ndjson_file(src, sizeof(src), "topics.ndjson",
                NDJSON_TOPIC("ok-one", "python", "好") "{\"slug\": \n");
    import_ndjson_expect(db, cats, src, 1, &r);
    cr_assert_not_null(strstr(r.err, "topics.ndjson:2: not valid JSON"),
                       "%s", r.err);
    harness_run_cleanup(&r);
    cr_assert_neq(access(db, F_OK), 0, "a failed import left %s", db);
    cr_assert_neq(access(tmp, F_OK), 0, "a failed import left %s", tmp);
}

Test(command, a_new_database_is_built_over_what_a_killed_import_left)
{
    char db[PATH_CAP], tmp[PATH_CAP], journal[PATH_CAP], out[PATH_CAP];
    struct harness_run_result r;

    in_tmp(db, sizeof(db), "new.db");
    in_tmp(tmp, sizeof(tmp), "new.db.importing");
    in_tmp(journal, sizeof(journal), "new.db.importing-journal");
    in_tmp(out, sizeof(out), "exported");
    testutil_spit(tmp, "half a database", 15);
    testutil_spit(journal, "and its journal", 15);
    db_command_expect("import", db, content_path, 0, &r);
    harness_run_cleanup(&r);
    cr_assert_neq(access(tmp, F_OK), 0, "%s is still there", tmp);
    cr_assert_neq(access(journal, F_OK), 0, "%s is still there", journal);
    db_command_expect("export", db, out, 0, &r);
    harness_run_cleanup(&r);
    assert_same_tree(content_path, out);
}

Test(command, categories_go_with_ndjson_only)
{
    char db[PATH_CAP], cats[PATH_CAP];
    struct harness_run_result r;

    in_tmp(db, sizeof(db), "wenda.db");
    testutil_join(cats, sizeof(cats), content_path, "categories.yml");
    import_ndjson_expect(db, cats, content_path, 2, &r);
    cr_assert_not_null(strstr(r.err, "--categories"), "%s", r.err);
    harness_run_cleanup(&r);
    import_ndjson_expect(db, NULL, "no-such-file.ndjson", 1, &r);
    cr_assert_not_null(strstr(r.err, "no-such-file.ndjson"), "%s", r.err);
    harness_run_cleanup(&r);
}

/*
 * Writes the shipped topics to path as NDJSON, copies times, each copy's
 * slugs suffixed with its number, from the database db they were imported
 * into.  Returns the number of lines.
 */
static size_t
content_as_ndjson(const char *db, const char *path, int copies)
{
    struct wenda_content c = {0};
    struct wenda_store *st;
    char msg[256];
    size_t n = 0;
    FILE *f;

    cr_assert_eq(wenda_store_open(db, WENDA_STORE_READONLY, &st, msg,
                                  sizeof(msg)),
                 WENDA_OK, "%s", msg);
    cr_assert_eq(wenda_store_dump(st, &c), WENDA_OK);
    wenda_store_close(st);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int k = 0; k < copies; k++) {
        for (size_t i = 0; i < c.ntopics; i++) {
            struct wenda_topic t = c.topics[i];
            char slug[160];
            char *line;

            (void)snprintf(slug, sizeof(slug), "%s-%d", t.slug, k);
            t.slug = slug;
            line = wenda_topic_json(&t, 1, NULL);
            cr_assert_not_null(line);
            fprintf(f, "%s\n", line);
            free(line);
            n++;
        }
    }
    cr_assert_eq(fclose(f), 0);
    wenda_content_cleanup(&c);
    return n;
}

/* The topic's JSON as GET /v1/topics/{id} serves it, less updated_at. */
static char *
doc_without_stamp(struct wenda_store *st, int64_t id)
{
    char *json, *out;
    size_t len;
    json_t *o;

    cr_assert_eq(wenda_store_topic_doc(st, id, NULL, &json, &len), WENDA_OK,
                 "no topic %lld", (long long)id);
    o = json_loadb(json, len, 0, NULL);
    cr_assert_not_null(o);
    cr_assert_eq(json_object_del(o, "updated_at"), 0);
    out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_not_null(out);
    json_decref(o);
    free(json);
    return out;
}

Test(command, imports_ndjson_the_same_on_worker_threads_as_on_one)
{
    static const char *const queries[] = {
        "死锁", "GIL", "進程間通信", "tcp 四次挥手", "sisuo", "python 装饰器",
        "线程", "http", "redis", "垃圾回收 机制",
    };
    char db0[PATH_CAP], dbs[2][PATH_CAP], src[PATH_CAP], cats[PATH_CAP];
    const char *threads[2] = {"3", "0"};
    struct wenda_store *st[2];
    char msg[256];
    struct harness_run_result r;
    size_t ntopics;

    in_tmp(db0, sizeof(db0), "content.db");
    db_command_expect("import", db0, content_path, 0, &r);
    harness_run_cleanup(&r);
    in_tmp(src, sizeof(src), "topics.ndjson");
    /* More topics than the pipeline holds at once (256). */
    ntopics = content_as_ndjson(db0, src, 6);
    testutil_join(cats, sizeof(cats), content_path, "categories.yml");
    for (int i = 0; i < 2; i++) {
        const char *const args[] = {"import", "--threads", threads[i],
                                    "--db", dbs[i], "--categories", cats,
                                    src, NULL};
        char name[32];

        (void)snprintf(name, sizeof(name), "threads-%s.db", threads[i]);
        in_tmp(dbs[i], sizeof(dbs[i]), name);
        run_wenda(&r, args);
        cr_assert_eq(r.status, 0, "--threads %s: %s", threads[i], r.err);
        harness_run_cleanup(&r);
        cr_assert_eq(wenda_store_open(dbs[i], WENDA_STORE_READONLY, &st[i],
                                      msg, sizeof(msg)),
                     WENDA_OK, "%s", msg);
    }
    for (size_t id = 1; id <= ntopics + 1; id++) {
        char *a, *b;

        if (id == ntopics + 1) {
            char *json;
            size_t len;

            cr_assert_eq(wenda_store_topic_doc(st[0], (int64_t)id, NULL,
                                               &json, &len),
                         WENDA_ERR_NOT_FOUND);
            break;
        }
        a = doc_without_stamp(st[0], (int64_t)id);
        b = doc_without_stamp(st[1], (int64_t)id);
        cr_assert_str_eq(a, b, "topic %zu differs", id);
        free(a);
        free(b);
    }
    for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
        struct wenda_search_query query = {.q = queries[q],
                                           .limit = WENDA_SEARCH_MAX_LIMIT};
        struct wenda_search_result res[2];

        for (int i = 0; i < 2; i++)
            cr_assert_eq(wenda_search_run(st[i], &query, &res[i], msg,
                                          sizeof(msg)),
                         WENDA_OK, "%s: %s", queries[q], msg);
        cr_assert_gt(res[0].n, 0, "%s finds nothing", queries[q]);
        cr_assert_eq(res[0].n, res[1].n, "%s", queries[q]);
        cr_assert_eq(res[0].total, res[1].total, "%s", queries[q]);
        for (size_t h = 0; h < res[0].n; h++) {
            const struct wenda_search_hit *x = &res[0].hits[h],
                                          *y = &res[1].hits[h];

            cr_assert(x->id == y->id && x->score == y->score &&
                          strcmp(x->snippet, y->snippet) == 0,
                      "%s, hit %zu: %lld %g %s against %lld %g %s",
                      queries[q], h, (long long)x->id, x->score, x->snippet,
                      (long long)y->id, y->score, y->snippet);
        }
        wenda_search_result_cleanup(&res[0]);
        wenda_search_result_cleanup(&res[1]);
    }
    wenda_store_close(st[0]);
    wenda_store_close(st[1]);
}

/* ---- progress ------------------------------------------------------------ */

Test(command, an_import_reports_its_stages_when_asked_and_nothing_otherwise)
{
    static const char *const stages[] = {
        "wenda import: 3 topics written in ",
        "merging the search index\n",
        "building the other indexes\n",
        "; committing\n",
        "wenda import: committed; ",
    };
    static const char clear[] =
        "building the other indexes\n"
        "wenda import: removing the 2 topics it does not hold\n"
        "wenda import: indexes built in ";
    const char *flags[][2] = {{"--progress", NULL},
                              {"--progress", "--no-progress"},
                              {NULL, NULL}};
    char db[PATH_CAP], src[PATH_CAP], one[PATH_CAP], cats[PATH_CAP];
    const char *last = NULL;
    struct harness_run_result r;
    size_t i, k;

    testutil_join(cats, sizeof(cats), content_path, "categories.yml");
    ndjson_file(one, sizeof(one), "one.ndjson",
                NDJSON_TOPIC("first-one", "python", "第一"));
    ndjson_file(src, sizeof(src), "topics.ndjson",
                NDJSON_TOPIC("first-one", "python", "第一")
                NDJSON_TOPIC("second-one", "http", "第二")
                NDJSON_TOPIC("third-one", "tools", "第三"));
    for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
        const char *args[10] = {"import", "--db", db, "--categories", cats};
        size_t n = 5;
        char name[32];

        (void)snprintf(name, sizeof(name), "progress-%zu.db", k);
        in_tmp(db, sizeof(db), name);
        for (i = 0; i < 2; i++)
            if (flags[k][i] != NULL)
                args[n++] = flags[k][i];
        args[n++] = src;
        args[n] = NULL;
        run_wenda(&r, args);
        cr_assert_eq(r.status, 0, "import exited %d:\n%s", r.status, r.err);
        cr_assert(names_token(r.out, "3"), "stdout: %s", r.out);
        if (k > 0) {
            /* Standard error is a file here, not a terminal. */
            cr_assert_str_empty(r.err, "%s %s: %s", flags[k][0] ? flags[k][0]
                                : "(no flag)", flags[k][1] ? flags[k][1] : "",
                                r.err);
            harness_run_cleanup(&r);
            continue;
        }
        for (i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
            const char *at = strstr(r.err, stages[i]);

            cr_assert_not_null(at, "no \"%s\" in:\n%s", stages[i], r.err);
            cr_assert(last == NULL || at > last, "\"%s\" out of order:\n%s",
                      stages[i], r.err);
            last = at;
        }
        cr_assert_null(strstr(r.err, "removing"), "a new database had "
                       "topics to remove:\n%s", r.err);
        harness_run_cleanup(&r);
        /* Over the topics it holds, the import says it removes those it
         * does not hold, once the indexes are built. */
        args[n - 1] = one;
        run_wenda(&r, args);
        cr_assert_eq(r.status, 0, "import exited %d:\n%s", r.status, r.err);
        cr_assert_not_null(strstr(r.err, clear), "%s", r.err);
        harness_run_cleanup(&r);
    }
}

Test(command, names_each_migration_it_applies_to_an_existing_database)
{
    char db[PATH_CAP];
    const char *const list[] = {"token", "list", "--db", db, NULL};
    const char *const typo[] = {"search", "--db", db, "deadlcok", NULL};
    const char *mig = "0012_topics_by_order";
    sqlite3 *h = NULL;
    struct harness_run_result r;
    char want[128];

    in_tmp(db, sizeof(db), "old.db");
    db_command_expect("import", db, content_path, 0, &r);
    cr_assert_null(strstr(r.err, "migration"),
                   "a new database's schema is reported:\n%s", r.err);
    harness_run_cleanup(&r);
    /* Back to the schema before the last migration. */
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(h, "DROP INDEX topics_by_order; "
                                 "DROP TABLE topics_terms; "
                                 "DROP TABLE vocab_keys; "
                                 "DROP TABLE lexicon; "
                                 "DROP TABLE topic_ids; "
                                 "DROP TABLE sound_words; "
                                 "DROP TABLE sound_fill; "
                                 "DROP TABLE cluster_log; "
                                 "DROP TABLE cluster_nodes; "
                                 "PRAGMA user_version = 11;",
                              NULL, NULL, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(h));
    cr_assert_eq(sqlite3_close(h), SQLITE_OK);

    run_wenda(&r, list);
    cr_assert_eq(r.status, 0, "token list exited %d:\n%s", r.status, r.err);
    (void)snprintf(want, sizeof(want), "wenda: applying migration %s\n", mig);
    cr_assert_not_null(strstr(r.err, want), "no \"%s\" in:\n%s", want, r.err);
    (void)snprintf(want, sizeof(want), "wenda: migration %s applied in ", mig);
    cr_assert_not_null(strstr(r.err, want), "no \"%s\" in:\n%s", want, r.err);
    (void)snprintf(want, sizeof(want), "wenda: applying migration %s\n",
                   "0013_vocabulary");
    cr_assert_not_null(strstr(r.err, want), "no \"%s\" in:\n%s", want, r.err);
    cr_assert_eq(db_user_version(db), wenda_store_schema_version());
    harness_run_cleanup(&r);

    /* Once applied, nothing more is said. */
    run_wenda(&r, list);
    cr_assert_null(strstr(r.err, "migration"), "%s", r.err);
    harness_run_cleanup(&r);

    /* The words of the topics it had are there for misspelt queries. */
    run_wenda(&r, typo);
    cr_assert_eq(r.status, 0, "search exited %d:\n%s", r.status, r.err);
    cr_assert_not_null(strstr(r.out, "showing results for 'deadlock'"),
                       "a migrated database does not correct deadlcok:\n%s",
                       r.out);
    harness_run_cleanup(&r);
}

/* ---- import --dry-run ---------------------------------------------------- */

Test(command, import_dry_run_lists_what_it_would_do_and_writes_nothing)
{
    char db[PATH_CAP], dir[PATH_CAP], path[PATH_CAP], fresh[PATH_CAP];
    const char *const dry[] = {"import", "--dry-run", "--db", db, dir, NULL};
    const char *const dry_fresh[] = {"import", "--dry-run", "--db", fresh,
                                     dir, NULL};
    char *before, *after, want[256];
    size_t n_before, n_after;
    struct harness_run_result r;
    long long changed_id, removed_id;
    sqlite3 *h = NULL;
    sqlite3_stmt *s = NULL;

    in_tmp(db, sizeof(db), "dry.db");
    db_command_expect("import", db, content_path, 0, &r);
    harness_run_cleanup(&r);
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(h, "SELECT (SELECT id FROM topics WHERE "
                                       "slug = 'git-fork'), (SELECT id FROM "
                                       "topics WHERE slug = 'code-review')",
                                    -1, &s, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    changed_id = sqlite3_column_int64(s, 0);
    removed_id = sqlite3_column_int64(s, 1);
    sqlite3_finalize(s);
    cr_assert_eq(sqlite3_close(h), SQLITE_OK);

    /* One topic changed, one gone, one new. */
    copy_content(dir, sizeof(dir), "dry-content");
    testutil_join(path, sizeof(path), dir, "tools/git-fork.md");
    append_file(path, "再加一句。\n");
    testutil_join(path, sizeof(path), dir, "tools/code-review.md");
    cr_assert_eq(unlink(path), 0);
    testutil_join(path, sizeof(path), dir, "tools/dry-new.md");
    append_file(path, "---\ntitle: \"新的\"\nslug: \"dry-new\"\n"
                      "category: \"tools\"\norder: 99\ntags: [\"git\"]\n"
                      "---\n一个新的回答。\n");
    before = testutil_slurp(db, &n_before);
    run_wenda(&r, dry);
    cr_assert_eq(r.status, 0, "--dry-run exited %d:\n%s", r.status, r.err);
    cr_assert_not_null(strstr(r.out, "added (1):\n  dry-new\n"), "%s", r.out);
    (void)snprintf(want, sizeof(want), "changed (1):\n  git-fork (id %lld)\n",
                   changed_id);
    cr_assert_not_null(strstr(r.out, want), "no \"%s\" in:\n%s", want, r.out);
    (void)snprintf(want, sizeof(want),
                   "removed (1):\n  code-review (id %lld)\n", removed_id);
    cr_assert_not_null(strstr(r.out, want), "no \"%s\" in:\n%s", want, r.out);
    cr_assert_not_null(strstr(r.out, "1 added, 1 changed, 62 unchanged, "
                                     "1 removed; nothing written"),
                       "%s", r.out);
    harness_run_cleanup(&r);
    after = testutil_slurp(db, &n_after);
    cr_assert(n_before == n_after && memcmp(before, after, n_after) == 0,
              "a dry run changed %s", db);
    free(before);
    free(after);
    /* SQLite's readers of a database in WAL mode may leave an empty log
     * beside it; no page of it is written. */
    testutil_join(path, sizeof(path), tmp_dir, "dry.db-wal");
    after = access(path, F_OK) == 0 ? testutil_slurp(path, &n_after) : NULL;
    cr_assert(after == NULL || n_after == 0, "a dry run wrote %zu bytes to "
              "%s", n_after, path);
    free(after);

    /* Into a database that does not exist, it creates none. */
    in_tmp(fresh, sizeof(fresh), "none.db");
    run_wenda(&r, dry_fresh);
    cr_assert_eq(r.status, 0, "--dry-run exited %d:\n%s", r.status, r.err);
    cr_assert_not_null(strstr(r.out, "64 added, 0 changed, 0 unchanged, "
                                     "0 removed; nothing written"),
                       "%s", r.out);
    harness_run_cleanup(&r);
    cr_assert_neq(access(fresh, F_OK), 0, "a dry run created %s", fresh);
    testutil_join(path, sizeof(path), tmp_dir, "none.db.importing");
    cr_assert_neq(access(path, F_OK), 0, "a dry run created %s", path);

    /* The real import then does what the dry run said. */
    db_command_expect("import", db, dir, 0, &r);
    cr_assert_not_null(strstr(r.out, "1 added, 1 changed, 62 unchanged, "
                                     "1 removed"),
                       "%s", r.out);
    harness_run_cleanup(&r);
}

Test(command, import_help_says_what_a_dry_run_does)
{
    const char *const args[] = {"import", "--help", NULL};
    struct harness_run_result r;

    run_wenda(&r, args);
    cr_assert_eq(r.status, 0);
    cr_assert_not_null(strstr(r.out, "--dry-run"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "write\n"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "never given again"), "%s", r.out);
    harness_run_cleanup(&r);
}
