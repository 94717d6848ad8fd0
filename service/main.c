/*
 * main.c -- the wenda command line: serve, import, export, check.
 *
 * Every setting of "serve" comes from a flag, else from its WENDA_*
 * environment variable, else from its default, as the one table of serve's
 * options in options.c says; every value is checked before anything is
 * opened, and a bad one ends the program with a message naming it and exit
 * status 2.  Runtime failures exit with status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "buf.h"
#include "cli.h"
#include "cluster_cli.h"
#include "http.h"
#include "ndjson.h"
#include "options.h"
#include "paths.h"
#include "wenda/auth.h"
#include "wenda/content.h"
#include "wenda/search.h"
#include "wenda/store.h"

#ifndef WENDA_VERSION
#error "WENDA_VERSION comes from the Makefile's VERSION"
#endif

#define EXIT_USAGE CLI_EXIT_USAGE

#define DEFAULT_DB OPTIONS_DEFAULT_DB

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

/*
 * What the store's long operations report (wenda_store_open_with()), on
 * standard error: the migrations of an existing database always, since one
 * can take minutes at a million topics, and an import's stages when
 * "import" is asked to (--progress, by default when standard error is a
 * terminal).  The count of topics written is rewritten in place on a
 * terminal, and given on a line of its own every COUNT_EVERY_S seconds
 * otherwise.
 */
#define COUNT_EVERY_S 5.0
#define COUNT_EVERY_TTY_S 0.25

struct progress {
    int import;      /* report an import's stages */
    int tty;         /* standard error is a terminal */
    int counting;    /* a count is on the terminal's line, unended */
    double begun;    /* when the import began */
    double stage;    /* when the current stage (or migration) began */
    double shown;    /* when the count was last written */
};

static struct progress progress;

static double seconds(void);
static void end_count(struct progress *p);
static void report(void *ctx, enum wenda_store_stage stage, int64_t n,
                   const char *name);

/*
 * Opens the store at db as wenda_store_open() does, its migrations and
 * imports reported on standard error (see struct progress).
 */
static enum wenda_err
open_store(const char *db, int flags, struct wenda_store **st, char *msg,
           size_t msgcap)
{
    const struct wenda_store_progress to = {report, &progress};

    return wenda_store_open_with(db, flags, &to, st, msg, msgcap);
}

/*
 * Returns 1, with why in msg, when st (at db) belongs to a node of a
 * cluster: a write of its own there would differ from the other nodes'
 * copies, so it goes through the API instead.
 */
static int
in_cluster(struct wenda_store *st, const char *db, char *msg, size_t msgcap)
{
    if (wenda_store_cluster_applied(st) <= 0)
        return 0;
    (void)snprintf(msg, msgcap, "%s is the database of a cluster's node: "
                   "write through the API of any node instead (a write "
                   "here would be this node's alone)", db);
    return 1;
}

static int cmd_serve(int argc, char **argv);
static int cmd_import(int argc, char **argv);
static int cmd_export(int argc, char **argv);
static int cmd_check(int argc, char **argv);
static int cmd_search(int argc, char **argv);
static int cmd_token(int argc, char **argv);
static int cmd_snapshot(int argc, char **argv);
static int cmd_version(int argc, char **argv);

struct import_args;
struct token_args;

static int import_options(int argc, char **argv, struct import_args *a);
static int import_source(struct import_args *a);
static int import_file(const struct import_args *a, const char *into,
                       const struct wenda_import_opts *opts,
                       struct wenda_import_counts *counts, size_t *ntopics);
static int token_create_options(int argc, char **argv, struct token_args *a);
static int token_make(const struct token_args *a, const char *key,
                      char *token, int64_t *id,
                      struct wenda_token_info *info);

static const struct command commands[] = {
    {"serve", cmd_serve, "serve the HTTP API"},
    {"import", cmd_import, "build the database from a content directory"},
    {"export", cmd_export, "write the database back as a content directory"},
    {"check", cmd_check, "validate a content directory"},
    {"search", cmd_search, "search the database from the command line"},
    {"token", cmd_token, "create, list and revoke API tokens"},
    {"snapshot", cmd_snapshot, "write a consistent copy of the database"},
    {"cluster", cluster_cli_main, "show and change the members of a cluster"},
    {"version", cmd_version, "print the version (also --version)"},
};

static void
usage(FILE *f)
{
    size_t i;

    fputs("usage: wenda COMMAND [OPTIONS]\n\ncommands:\n", f);
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fputs("\n'wenda COMMAND --help' describes a command.\n", f);
}


static void
print_diag(void *ctx, const char *file, unsigned long line, const char *msg)
{
    int *count = ctx;

    (*count)++;
    if (line > 0)
        fprintf(stderr, "%s:%lu: %s\n", file, line, msg);
    else
        fprintf(stderr, "%s: %s\n", file, msg);
}

/*
 * Opens the store at db for an import: created when absent, or read only
 * for a dry run (":memory:", an empty database, for a dry run into a
 * database that does not exist).
 */
static enum wenda_err
import_open(const char *db, int dry, struct wenda_store **st, char *msg,
            size_t msgcap)
{
    int flags = WENDA_STORE_CREATE;

    enum wenda_err rc;

    if (dry && strcmp(db, ":memory:") != 0)
        flags = WENDA_STORE_READONLY;
    rc = open_store(db, flags, st, msg, msgcap);
    if (rc == WENDA_OK && !dry && in_cluster(*st, db, msg, msgcap)) {
        wenda_store_close(*st);
        *st = NULL;
        return WENDA_ERR_CONFLICT;
    }
    return rc;
}

/*
 * Loads dir and imports it into the store at db (created when absent), as
 * opts says (NULL: a plain import); what it did is counted in *counts.
 */
static int
import_dir(const char *dir, const char *db,
           const struct wenda_import_opts *opts,
           struct wenda_import_counts *counts, size_t *ntopics)
{
    struct wenda_content c;
    struct wenda_store *st;
    enum wenda_err rc;
    char msg[512];
    int problems = 0;

    rc = wenda_content_load(dir, &c, print_diag, &problems);
    if (rc != WENDA_OK) {
        fprintf(stderr, "wenda: %s: %d problem%s, nothing imported\n", dir,
                problems, problems == 1 ? "" : "s");
        return 1;
    }
    rc = import_open(db, opts != NULL && opts->dry_run, &st, msg,
                     sizeof(msg));
    if (rc != WENDA_OK) {
        fprintf(stderr, "wenda: %s\n", msg);
        wenda_content_cleanup(&c);
        return 1;
    }
    rc = wenda_store_import_with(st, &c, opts, counts);
    end_count(&progress);
    wenda_store_close(st);
    *ntopics = c.ntopics;
    wenda_content_cleanup(&c);
    if (rc != WENDA_OK) {
        fprintf(stderr, "wenda: import into %s failed: %s\n", db,
                wenda_err_title(rc));
        return 1;
    }
    return 0;
}

/* Creates the parent directory of path when it is missing (one level). */
static void
make_parent(const char *path)
{
    char dir[4096];
    char *slash;

    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
        return;
    slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return;
    *slash = '\0';
    (void)mkdir(dir, 0755);
}

/* Removes path and the files SQLite may keep beside it. */
static void
remove_db(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[4096 + 16];
    size_t i;

    for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++)
        if (snprintf(p, sizeof(p), "%s%s", path, suffix[i]) < (int)sizeof(p))
            (void)unlink(p);
}

/*
 * A database that does not exist yet is built as DB.importing and renamed
 * to DB once the import is complete, so that an import that fails or is
 * killed never leaves a database that "serve" would take as made: it finds
 * no DB and imports again.  fresh_begin() names the temporary file in tmp,
 * removing what an earlier killed import left; fresh_end() renames it into
 * place when ok, else removes it, and returns 0 or 1.
 */
static int
fresh_begin(const char *db, char *tmp, size_t cap)
{
    if (snprintf(tmp, cap, "%s.importing", db) >= (int)cap) {
        fprintf(stderr, "wenda: database path too long: %s\n", db);
        return 1;
    }
    make_parent(db);
    remove_db(tmp);
    return 0;
}

static int
fresh_end(const char *tmp, const char *db, int ok)
{
    char wal[4096 + 16];
    struct stat sb;

    /* The store closed last checkpoints and removes its WAL; a WAL left
     * beside it would hold committed pages the rename would lose. */
    (void)snprintf(wal, sizeof(wal), "%s-wal", tmp);
    if (ok && stat(wal, &sb) == 0 && sb.st_size > 0) {
        fprintf(stderr, "wenda: %s was not checkpointed; %s not created\n",
                tmp, db);
        ok = 0;
    }
    if (ok && rename(tmp, db) != 0) {
        fprintf(stderr, "wenda: cannot rename %s to %s: %s\n", tmp, db,
                strerror(errno));
        ok = 0;
    }
    remove_db(tmp);
    return ok ? 0 : 1;
}

/*
 * Returns the content directory to import into a new database: dir, or,
 * when dir is the default "content" and there is none here, the content
 * that make install put beside the binary (WENDA_DATADIR/content).
 */
static const char *
content_dir(const char *dir)
{
    static const char installed[] = WENDA_DATADIR "/content";
    struct stat sb;

    if (strcmp(dir, "content") == 0 && stat(dir, &sb) != 0 &&
        stat(installed, &sb) == 0)
        return installed;
    return dir;
}

/*
 * Opens the database of s before the server does: builds it from the
 * content directory when the file does not exist, and otherwise brings it
 * to this binary's schema.  Returns 0, or 1 after a message on stderr.
 */
static int
serve_prepare_db(const struct options_serve *s)
{
    const char *db = s->http.db_path;
    struct wenda_store *st;
    struct stat sb;
    char msg[512];

    if (stat(db, &sb) != 0) {
        char tmp[4096];
        size_t n = 0;
        int ok;

        const char *content = content_dir(s->content);

        if (fresh_begin(db, tmp, sizeof(tmp)) != 0)
            return 1;
        ok = import_dir(content, tmp, NULL, NULL, &n) == 0;
        if (fresh_end(tmp, db, ok) != 0)
            return 1;
        fprintf(stderr, "wenda: created %s with %zu topics from %s\n", db, n,
                content);
        return 0;
    }
    /* Migrate an existing database before the readers open it; a replica
     * only reads, so its file may be read-only. */
    if (open_store(db, s->http.read_only ? WENDA_STORE_READONLY : 0,
                         &st, msg, sizeof(msg)) != WENDA_OK) {
        fprintf(stderr, "wenda: %s\n", msg);
        return 1;
    }
    wenda_store_close(st);
    return 0;
}

/* serve: its options are the table of options.c. */
static int
cmd_serve(int argc, char **argv)
{
    struct options_serve s;
    char msg[1024];

    switch (options_serve_parse(argc, argv, &s, msg, sizeof(msg))) {
    case OPTIONS_OK: break;
    case OPTIONS_HELP: return 0;
    case OPTIONS_BAD: return cli_bad_usage("serve", "%s", msg);
    }
    if (serve_prepare_db(&s) != 0)
        return 1;
    http_block_signals();
    return http_serve(&s.http);
}

/*
 * Parses --db (or WENDA_DB) and --help, the options of import, export,
 * search-less token subcommands.  Returns 0, -1 after printing help, or
 * the exit status of a usage error; a --db that is empty is one.
 */
static int
db_option(const char *cmd, const char *help, int argc, char **argv,
          const char **db)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    *db = options_env_or("WENDA_DB", DEFAULT_DB);
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': *db = optarg; break;
        case 'h': fputs(help, stdout); return -1;
        default: return cli_bad_usage(cmd, "%s", "bad option");
        }
    }
    if ((*db)[0] == '\0')
        return cli_bad_usage(cmd, "--db: %s", "must not be empty");
    return 0;
}

/* Parses the options of import and export: db_option() and one DIR. */
static int
db_command(const char *cmd, const char *help, int argc, char **argv,
           const char **db, const char **dir)
{
    int rc = db_option(cmd, help, argc, argv, db);

    if (rc != 0)
        return rc;
    if (argc - optind != 1)
        return cli_bad_usage(cmd, "%s", "needs exactly one directory argument");
    *dir = argv[optind];
    return 0;
}

/*
 * Streams the NDJSON topics of f (named name) into the store at db, in
 * one transaction, with the categories of cats_file (NULL: keep the
 * database's), nworkers threads preparing the topics (see
 * ndjson_import()), as opts says; what it did is counted in *counts.
 * Every line is checked as POST /v1/import checks it; the first bad one
 * is named and nothing is imported.
 */
static int
import_ndjson(FILE *f, const char *name, const char *cats_file,
              const char *db, unsigned int nworkers,
              const struct wenda_import_opts *opts,
              struct wenda_import_counts *counts, size_t *ntopics)
{
    struct wenda_content cats = {0};
    struct wenda_store *st = NULL;
    struct wenda_import *im = NULL;
    struct ndjson_status ns;
    char msg[512];
    int problems = 0, status = 1;
    enum wenda_err rc;

    *ntopics = 0;
    if (cats_file != NULL &&
        wenda_content_load_categories(cats_file, &cats, print_diag,
                                      &problems) != WENDA_OK) {
        fprintf(stderr, "wenda: %s: %d problem%s, nothing imported\n",
                cats_file, problems, problems == 1 ? "" : "s");
        return 1;
    }
    msg[0] = '\0';
    rc = import_open(db, opts->dry_run, &st, msg, sizeof(msg));
    if (rc == WENDA_OK)
        rc = wenda_store_import_begin(st, cats_file ? cats.cats : NULL,
                                      cats.ncats, opts, &im);
    if (rc != WENDA_OK) {
        fprintf(stderr, "wenda: %s\n", msg[0] ? msg : wenda_err_title(rc));
        goto done;
    }
    rc = ndjson_import(im, f, nworkers, &ns);
    end_count(&progress);
    *ntopics = ns.ntopics;
    if (rc != WENDA_OK) {
        if (ns.lineno > 0)
            fprintf(stderr, "%s:%zu: %s%s\n", name, ns.lineno,
                    rc == WENDA_ERR_PARSE ? "not valid JSON: " : "",
                    ns.msg[0] ? ns.msg : wenda_err_title(rc));
        else if (rc == WENDA_ERR_IO)
            fprintf(stderr, "wenda: cannot read %s: %s\n", name,
                    strerror(ns.read_errno));
        else
            fprintf(stderr, "wenda: import of %s failed: %s\n", name,
                    wenda_err_title(rc));
        goto done;
    }
    rc = wenda_store_import_end(im, 1, counts);
    im = NULL;
    if (rc != WENDA_OK) {
        fprintf(stderr, "wenda: import into %s failed: %s\n", db,
                wenda_err_title(rc));
        goto done;
    }
    status = 0;
done:
    if (im != NULL)
        (void)wenda_store_import_end(im, 0, NULL);
    if (status != 0 && st != NULL)
        fprintf(stderr, "wenda: nothing imported\n");
    wenda_store_close(st);
    wenda_content_cleanup(&cats);
    return status;
}

/* What "wenda import" is asked to do. */
struct import_args {
    const char *db;         /* the database to fill */
    const char *src;        /* SOURCE: a directory, an NDJSON file, "-" */
    const char *cats;       /* --categories FILE, or NULL */
    unsigned int nworkers;  /* --threads */
    int is_dir;             /* src is a content directory */
    int dry_run;            /* --dry-run */
};

static const char import_help[] =
    "usage: wenda import [--db PATH] [--categories FILE] [--threads N]\n"
    "                    [--progress | --no-progress] [--dry-run] SOURCE\n"
    "\n"
    "Makes the database's topics those of SOURCE, in one transaction,\n"
    "when SOURCE has no problem.  SOURCE is a content directory\n"
    "(categories.yml and its topic files; its synonyms.yml and\n"
    "dictionary.yml, or none, replace the database's), or a file of\n"
    "topics as NDJSON, one a line, in the form GET /v1/export writes\n"
    "(\"-\" reads standard input).  Topics are matched by slug: one the\n"
    "database has keeps its id, and gets a new version and revision\n"
    "if it changed; a new slug gets an id never given before; a topic\n"
    "SOURCE does not hold is removed, its id never given again.  The\n"
    "summary counts the topics added, changed, unchanged and removed.\n"
    "  --db PATH          database file, created when absent (WENDA_DB,\n"
    "                     default " DEFAULT_DB ")\n"
    "  --categories FILE  with NDJSON, the categories (in the form of\n"
    "                     categories.yml) that replace the database's;\n"
    "                     without it, the database's are kept\n"
    "  --threads N        with NDJSON, N threads parse, render and\n"
    "                     tokenize the topics while this one writes\n"
    "                     them (default: processors online less one,\n"
    "                     at least 1); 0 does everything on one thread\n"
    "  --progress         report on standard error how the import goes:\n"
    "                     topics written, then merging the search\n"
    "                     index, building the other indexes,\n"
    "                     removing the topics SOURCE lacks, committing\n"
    "                     (default when standard error is a terminal)\n"
    "  --no-progress      report nothing but problems\n"
    "  --dry-run          check SOURCE and list the topics the import\n"
    "                     would add, change (slug and id) and remove\n"
    "                     (slug and id), with their counts; write\n"
    "                     nothing, not even a new database\n";

/*
 * Parses the options of import into *a (SOURCE aside: a->src is NULL) and
 * sets progress.import.  Returns 0, -1 after printing help, or the exit
 * status of a usage error.
 */
static int
import_options(int argc, char **argv, struct import_args *a)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"categories", required_argument, NULL, 'c'},
        {"threads", required_argument, NULL, 't'},
        {"progress", no_argument, NULL, 'p'},
        {"no-progress", no_argument, NULL, 'q'},
        {"dry-run", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned long v;
    int c;

    a->db = options_env_or("WENDA_DB", DEFAULT_DB);
    a->src = NULL;
    a->cats = NULL;
    a->nworkers = ndjson_default_workers();
    a->is_dir = 0;
    a->dry_run = 0;
    progress.import = progress.tty;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->db = optarg; break;
        case 'c': a->cats = optarg; break;
        case 't':
            if (options_parse_uint(optarg, 0, NDJSON_MAX_WORKERS, &v) != 0)
                return cli_bad_usage("import", "--threads: must be an integer "
                                 "from 0 to %u", NDJSON_MAX_WORKERS);
            a->nworkers = (unsigned int)v;
            break;
        case 'p': progress.import = 1; break;
        case 'q': progress.import = 0; break;
        case 'n': a->dry_run = 1; break;
        case 'h': fputs(import_help, stdout); return -1;
        default: return cli_bad_usage("import", "%s", "bad option");
        }
    }
    if (a->db[0] == '\0')
        return cli_bad_usage("import", "--db: %s", "must not be empty");
    if (a->dry_run)   /* it writes nothing to report */
        progress.import = 0;
    return 0;
}

/*
 * Sets a->is_dir when a->src names a directory ("-" names standard
 * input).  Returns 0, or the exit status after saying why the import
 * cannot go on: 1 when SOURCE cannot be looked at, a usage error for
 * --categories with a directory.
 */
static int
import_source(struct import_args *a)
{
    struct stat sb;

    a->is_dir = 0;
    if (strcmp(a->src, "-") != 0) {
        if (stat(a->src, &sb) != 0) {
            fprintf(stderr, "wenda import: %s: %s\n", a->src,
                    strerror(errno));
            return 1;
        }
        a->is_dir = S_ISDIR(sb.st_mode);
    }
    if (a->is_dir && a->cats != NULL)
        return cli_bad_usage("import", "%s", "--categories goes with NDJSON; "
                         "a content directory has its categories.yml");
    return 0;
}

/*
 * Imports the NDJSON of a->src ("-": standard input) into the store at
 * into with import_ndjson(), as opts says, counting what it did in
 * *counts and the topics in *ntopics.  Returns the exit status.
 */
static int
import_file(const struct import_args *a, const char *into,
            const struct wenda_import_opts *opts,
            struct wenda_import_counts *counts, size_t *ntopics)
{
    int from_stdin = strcmp(a->src, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(a->src, "r");
    int rc;

    if (f == NULL) {
        fprintf(stderr, "wenda import: %s: %s\n", a->src, strerror(errno));
        return 1;
    }
    rc = import_ndjson(f, from_stdin ? "<stdin>" : a->src, a->cats, into,
                       a->nworkers, opts, counts, ntopics);
    if (f != stdin)
        (void)fclose(f);
    return rc;
}

/*
 * What "import --dry-run" lists: the slugs of the topics it would add,
 * and the slugs and ids of those it would change and remove.
 */
struct import_plan {
    struct buf list[3]; /* added, changed, removed */
};

/* The wenda_import_note_fn of a dry run: lists the change in its plan. */
static void
plan_note(void *ctx, enum wenda_import_change what, int64_t id,
          const char *slug)
{
    struct import_plan *plan = ctx;

    if (what == WENDA_IMPORT_ADDED)
        wenda_buf_addf(&plan->list[0], "  %s\n", slug);
    else if (what == WENDA_IMPORT_CHANGED)
        wenda_buf_addf(&plan->list[1], "  %s (id %lld)\n", slug,
                       (long long)id);
    else if (what == WENDA_IMPORT_REMOVED)
        wenda_buf_addf(&plan->list[2], "  %s (id %lld)\n", slug,
                       (long long)id);
}

/*
 * Prints what an import of n topics from a->src did, or for a dry run
 * would do (the lists of plan first), with the counts k.
 */
static void
import_summary(const struct import_args *a, const struct import_plan *plan,
               const struct wenda_import_counts *k, size_t n)
{
    static const char *const heads[] = {"added", "changed", "removed"};
    const size_t count[] = {k->added, k->changed, k->removed};
    int i;

    for (i = 0; a->dry_run && i < 3; i++) {
        printf("%s (%zu):\n", heads[i], count[i]);
        if (plan->list[i].n > 0 && !wenda_buf_failed(&plan->list[i]))
            fwrite(plan->list[i].p, 1, plan->list[i].n, stdout);
    }
    printf("%s %zu topics from %s into %s: %zu added, %zu changed, "
           "%zu unchanged, %zu removed%s\n",
           a->dry_run ? "dry run: would import" : "imported", n, a->src,
           a->db, k->added, k->changed, k->unchanged, k->removed,
           a->dry_run ? "; nothing written" : "");
}

static int
cmd_import(int argc, char **argv)
{
    struct import_args a;
    struct import_plan plan = {0};
    struct wenda_import_opts opts = {0};
    struct wenda_import_counts k = {0};
    const char *into;
    char tmp[4096];
    struct stat sb;
    size_t n = 0;
    int rc, fresh;

    rc = import_options(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (argc - optind != 1)
        return cli_bad_usage("import", "%s", "needs exactly one SOURCE argument");
    a.src = argv[optind];
    rc = import_source(&a);
    if (rc != 0)
        return rc;
    /* Into an existing database, an import is one transaction; a new one
     * only appears once whole.  A dry run opens no file it would make. */
    fresh = stat(a.db, &sb) != 0 && errno == ENOENT;
    opts = (struct wenda_import_opts){a.dry_run,
                                      a.dry_run ? plan_note : NULL, &plan};
    if (fresh && !a.dry_run && fresh_begin(a.db, tmp, sizeof(tmp)) != 0)
        return 1;
    into = !fresh ? a.db : a.dry_run ? ":memory:" : tmp;
    progress.begun = progress.shown = seconds();
    rc = a.is_dir ? import_dir(a.src, into, &opts, &k, &n)
                  : import_file(&a, into, &opts, &k, &n);
    if (fresh && !a.dry_run && fresh_end(tmp, a.db, rc == 0) != 0 &&
        rc == 0)
        rc = 1;
    if (rc == 0 && progress.import)
        fprintf(stderr, "wenda import: committed; %.1f s in all\n",
                seconds() - progress.begun);
    if (rc == 0)
        import_summary(&a, &plan, &k, n);
    for (int i = 0; i < 3; i++)
        wenda_buf_cleanup(&plan.list[i]);
    return rc;
}

static int
cmd_export(int argc, char **argv)
{
    static const char help[] =
        "usage: wenda export [--db PATH] DIR\n"
        "\n"
        "Writes every category and topic of the database to DIR as content\n"
        "files, in the form 'wenda import' reads, and the synonyms and the\n"
        "dictionary, when there are any, as synonyms.yml and dictionary.yml.\n"
        "  --db PATH   database file (WENDA_DB, default " DEFAULT_DB ")\n";
    const char *db = NULL, *dir = NULL;
    struct wenda_content c = {0};
    struct wenda_store *st;
    enum wenda_err rc;
    char msg[512];
    int r = db_command("export", help, argc, argv, &db, &dir);

    if (r != 0)
        return r < 0 ? 0 : r;
    rc = open_store(db, WENDA_STORE_READONLY, &st, msg, sizeof(msg));
    if (rc != WENDA_OK) {
        fprintf(stderr, "wenda: %s\n", msg);
        return 1;
    }
    rc = wenda_store_dump(st, &c);
    if (rc == WENDA_OK)
        rc = wenda_store_dump_lexicon(st, &c);
    wenda_store_close(st);
    if (rc == WENDA_OK)
        rc = wenda_content_write(dir, &c);
    if (rc != WENDA_OK) {
        fprintf(stderr, "wenda: export to %s failed: %s\n", dir,
                wenda_err_title(rc));
        wenda_content_cleanup(&c);
        return 1;
    }
    printf("exported %zu topics to %s\n", c.ntopics, dir);
    wenda_content_cleanup(&c);
    return 0;
}

static int
cmd_snapshot(int argc, char **argv)
{
    static const char help[] =
        "usage: wenda snapshot [--db PATH] FILE\n"
        "\n"
        "Writes a consistent, compacted copy of the database to FILE, which\n"
        "must not exist, while a server may be running on it: topics,\n"
        "revisions, tokens and progress.  The copy is made beside FILE and\n"
        "renamed into place, so FILE is never half written.  token.key is\n"
        "not copied: back it up with the snapshot if its tokens must verify.\n"
        "  --db PATH   database file (WENDA_DB, default " DEFAULT_DB ")\n";
    const char *db = NULL, *dest;
    struct wenda_store *st;
    struct stat sb;
    enum wenda_err rc;
    int64_t n = 0;
    char msg[4608], tmp[4096];
    int fd, r = db_option("snapshot", help, argc, argv, &db);

    if (r != 0)
        return r < 0 ? 0 : r;
    if (argc - optind != 1)
        return cli_bad_usage("snapshot", "%s", "needs exactly one FILE argument");
    dest = argv[optind];
    if (dest[0] == '\0')
        return cli_bad_usage("snapshot", "%s", "FILE must not be empty");
    if (lstat(dest, &sb) == 0) {
        fprintf(stderr, "wenda: %s exists; a snapshot never replaces a "
                "file\n", dest);
        return 1;
    }
    rc = open_store(db, WENDA_STORE_READONLY, &st, msg, sizeof(msg));
    if (rc != WENDA_OK) {
        fprintf(stderr, "wenda: %s\n", msg);
        return 1;
    }
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", dest) >=
            sizeof(tmp) ||
        (fd = mkstemp(tmp)) < 0) {
        fprintf(stderr, "wenda: cannot create a file beside %s: %s\n", dest,
                strerror(errno));
        wenda_store_close(st);
        return 1;
    }
    (void)close(fd);
    rc = wenda_store_snapshot(st, tmp, msg, sizeof(msg));
    wenda_store_close(st);
    if (rc == WENDA_OK && ((fd = open(tmp, O_RDONLY)) < 0 || fsync(fd) != 0)) {
        (void)snprintf(msg, sizeof(msg), "cannot sync %s: %s", tmp,
                       strerror(errno));
        rc = WENDA_ERR_IO;
    }
    if (fd >= 0)
        (void)close(fd);
    /* link() never replaces: a file made at dest meanwhile is kept. */
    if (rc == WENDA_OK && link(tmp, dest) != 0) {
        (void)snprintf(msg, sizeof(msg), "cannot create %s: %s", dest,
                       strerror(errno));
        rc = WENDA_ERR_IO;
    }
    (void)unlink(tmp);
    if (rc != WENDA_OK) {
        fprintf(stderr, "wenda: %s\n", msg);
        return 1;
    }
    /* Check what was written: it opens, and it holds the topics. */
    rc = open_store(dest, WENDA_STORE_READONLY, &st, msg, sizeof(msg));
    if (rc == WENDA_OK) {
        rc = wenda_store_topic_count(st, &n);
        wenda_store_close(st);
    }
    if (rc != WENDA_OK) {
        fprintf(stderr, "wenda: the snapshot %s does not read back: %s\n",
                dest, wenda_err_title(rc));
        return 1;
    }
    printf("snapshot of %lld topics written to %s\n", (long long)n, dest);
    return 0;
}

static int
cmd_check(int argc, char **argv)
{
    static const char help[] =
        "usage: wenda check DIR\n"
        "\n"
        "Validates the content directory DIR (categories, topics, and the\n"
        "synonyms and dictionary when it has them) and prints every problem\n"
        "as FILE:LINE: MESSAGE; exits 1 when there is any.\n";
    struct wenda_content c;
    int problems = 0;

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
                      strcmp(argv[1], "-h") == 0)) {
        fputs(help, stdout);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-')
        return cli_bad_usage("check", "%s", "needs exactly one directory "
                         "argument");
    if (wenda_content_load(argv[1], &c, print_diag, &problems) != WENDA_OK) {
        fprintf(stderr, "%s: %d problem%s\n", argv[1], problems,
                problems == 1 ? "" : "s");
        return 1;
    }
    printf("%s: %zu topics in %zu categories, no problems\n", argv[1],
           c.ntopics, c.ncats);
    wenda_content_cleanup(&c);
    return 0;
}

/* Prints an HTML snippet as plain text, matches in 【】. */
static void
print_snippet(const char *s)
{
    static const struct {
        const char *from, *to;
    } map[] = {
        {"<mark>", "\xe3\x80\x90"}, {"</mark>", "\xe3\x80\x91"},
        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""},
        {"&#39;", "'"},
    };
    size_t i;

    while (*s != '\0') {
        for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
            size_t n = strlen(map[i].from);

            if (strncmp(s, map[i].from, n) == 0) {
                fputs(map[i].to, stdout);
                s += n;
                break;
            }
        }
        if (i == sizeof(map) / sizeof(map[0]))
            putchar(*s++);
    }
}

static int
cmd_search(int argc, char **argv)
{
    static const char help[] =
        "usage: wenda search [--db PATH] [--limit N] [--category C] "
        "[--tag T] QUERY\n"
        "\n"
        "Searches the database directly, without a server, and prints the\n"
        "best topics with a snippet (matches in 【】).\n"
        "  --db PATH      database file (WENDA_DB, default " DEFAULT_DB ")\n"
        "  --limit N      hits to print, 1-50 (default 10)\n"
        "  --category C   only topics of category C\n"
        "  --tag T        only topics with tag T\n";
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"limit", required_argument, NULL, 'l'},
        {"category", required_argument, NULL, 'c'},
        {"tag", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct wenda_search_query q = {NULL, NULL, NULL, 10, 0};
    struct wenda_search_result r;
    struct wenda_store *st;
    const char *db = options_env_or("WENDA_DB", DEFAULT_DB);
    enum wenda_err rc;
    char msg[512];
    unsigned long v;
    size_t i;
    int c;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'l':
            if (options_parse_uint(optarg, 1, WENDA_SEARCH_MAX_LIMIT, &v) != 0)
                return cli_bad_usage("search", "--limit: '%s' is not a number "
                                 "from 1 to %d", optarg,
                                 WENDA_SEARCH_MAX_LIMIT);
            q.limit = (unsigned int)v;
            break;
        case 'c': q.category = optarg; break;
        case 't': q.tag = optarg; break;
        case 'h': fputs(help, stdout); return 0;
        default: return cli_bad_usage("search", "%s", "bad option");
        }
    }
    if (argc - optind != 1)
        return cli_bad_usage("search", "%s", "needs exactly one QUERY argument "
                         "(quote it when it has spaces)");
    q.q = argv[optind];
    rc = open_store(db, WENDA_STORE_READONLY, &st, msg, sizeof(msg));
    if (rc != WENDA_OK) {
        fprintf(stderr, "wenda: %s\n", msg);
        return 1;
    }
    rc = wenda_search_run(st, &q, &r, msg, sizeof(msg));
    if (rc != WENDA_OK) {
        wenda_store_close(st);
        fprintf(stderr, "wenda search: %s\n",
                rc == WENDA_ERR_INVALID ? msg : wenda_err_title(rc));
        return rc == WENDA_ERR_INVALID ? EXIT_USAGE : 1;
    }
    if (r.corrected != NULL)
        printf("nothing matches '%s'; showing results for '%s'\n", q.q,
               r.corrected);
    for (i = 0; i < r.dropped.n; i++)
        printf("%s'%s'%s", i == 0 ? "no topic holds " : ", ",
               r.dropped.v[i], i + 1 == r.dropped.n ? "\n" : "");
    printf("%lld %s%s\n", (long long)r.total,
           r.total == 1 ? "topic matches" : "topics match",
           r.relaxed ? " some of the words" : "");
    for (i = 0; i < r.n; i++) {
        printf("%2zu. %s  (%s, #%lld %s)\n    ", i + 1, r.hits[i].title,
               r.hits[i].title_en, (long long)r.hits[i].id, r.hits[i].slug);
        print_snippet(r.hits[i].snippet);
        putchar('\n');
    }
    wenda_search_result_cleanup(&r);
    wenda_store_close(st);
    return 0;
}

/* ---- token: create, list, revoke -------------------------------------- */

/*
 * The token command never prints a token except the one 'create' makes,
 * once, on stdout; a value it refuses is only echoed when it is too short
 * to be a token someone pasted in the wrong place.
 */
#define TOKEN_ECHO_MAX 24

static const char token_help[] =
    "usage: wenda token create --role ROLE [--name NAME] [--expires WHEN]\n"
    "                          [--db PATH]\n"
    "       wenda token list [--db PATH]\n"
    "       wenda token revoke [--db PATH] ID\n"
    "\n"
    "Manages the API tokens that requests carry in 'Authorization: Bearer'.\n"
    "The database keeps only a keyed hash of each token; the key is the\n"
    "file " WENDA_AUTH_KEY_FILE " in the database's directory (mode 0600, "
    "made by the\n"
    "first 'create').  'wenda token SUBCOMMAND --help' says more.\n";

/* Returns s when it is short enough to show in a message, else "...". */
static const char *
token_echo(const char *s)
{
    return strlen(s) <= TOKEN_ECHO_MAX ? s : "...";
}


/*
 * Opens the database at db for writing (migrated, never created); one
 * that a cluster's node applies its log to is refused for a write.
 */
static struct wenda_store *
token_store(const char *db, int write)
{
    struct wenda_store *st;
    char msg[512];

    if (open_store(db, 0, &st, msg, sizeof(msg)) != WENDA_OK ||
        (write && in_cluster(st, db, msg, sizeof(msg)))) {
        if (st != NULL)
            wenda_store_close(st);
        fprintf(stderr, "wenda token: %s\n", msg);
        return NULL;
    }
    return st;
}

/* What "wenda token create" is asked to make. */
struct token_args {
    const char *db;         /* the database */
    const char *name;       /* --name, "" for none */
    enum wenda_role role;   /* --role */
    int64_t lifetime;       /* --expires in seconds, 0 for never */
};

/*
 * Parses and checks the options of "token create" into *a.  Returns 0, -1
 * after printing help, or the exit status of a usage error.
 */
static int
token_create_options(int argc, char **argv, struct token_args *a)
{
    static const char help[] =
        "usage: wenda token create --role ROLE [--name NAME] "
        "[--expires WHEN] [--db PATH]\n"
        "\n"
        "Creates a token and prints it, alone, on standard output.  This is\n"
        "the only time it is shown: store it now.\n"
        "  --role ROLE     reader, editor or admin (required)\n"
        "  --name NAME     what the token is for, up to 64 characters (default "
        "none)\n"
        "  --expires WHEN  30d, 12h, 90m (days, hours, minutes) or never\n"
        "                  (default never)\n"
        "  --db PATH       database file (WENDA_DB, default " DEFAULT_DB ")\n";
    static const struct option opts[] = {
        {"role", required_argument, NULL, 'r'},
        {"name", required_argument, NULL, 'n'},
        {"expires", required_argument, NULL, 'e'},
        {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *role_s = NULL, *expires = "never";
    int c;

    a->db = options_env_or("WENDA_DB", DEFAULT_DB);
    a->name = "";
    a->role = WENDA_ROLE_NONE;
    a->lifetime = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'r': role_s = optarg; break;
        case 'n': a->name = optarg; break;
        case 'e': expires = optarg; break;
        case 'd': a->db = optarg; break;
        case 'h': fputs(help, stdout); return -1;
        default: return cli_bad_usage("token create", "%s", "bad option");
        }
    }
    if (optind < argc)
        return cli_bad_usage("token create", "unexpected argument '%s'",
                         token_echo(argv[optind]));
    if (role_s == NULL)
        return cli_bad_usage("token create", "%s", "--role is required: "
                         "reader, editor or admin");
    a->role = wenda_auth_role_parse(role_s);
    if (a->role == WENDA_ROLE_NONE)
        return cli_bad_usage("token create", "--role: '%s' is not a role: "
                         "reader, editor or admin", token_echo(role_s));
    if (wenda_auth_parse_expiry(expires, &a->lifetime) != WENDA_OK)
        return cli_bad_usage("token create", "--expires: '%s' is not a "
                         "lifetime: a number with d, h or m (30d, 12h, "
                         "90m), up to 100 years, or never",
                         token_echo(expires));
    if (!wenda_auth_name_valid(a->name))
        return cli_bad_usage("token create", "--name: %s", "must be UTF-8 "
                         "text of at most 64 bytes without control "
                         "characters");
    if (a->db[0] == '\0')
        return cli_bad_usage("token create", "--db: %s", "must not be empty");
    return 0;
}

/*
 * Creates the token a asks for in the database a->db, with the key file
 * key (made when absent): the token into token (WENDA_TOKEN_LEN + 1
 * bytes), its id into *id, and what the database keeps of it, read back,
 * into *info.  Returns 0, or 1 after saying why not on standard error.
 */
static int
token_make(const struct token_args *a, const char *key, char *token,
           int64_t *id, struct wenda_token_info *info)
{
    struct wenda_store *st;
    struct wenda_auth *auth;
    enum wenda_err rc;
    char msg[512];

    st = token_store(a->db, 1);
    if (st == NULL)
        return 1;
    rc = wenda_auth_open(key, 1, &auth, msg, sizeof(msg));
    if (rc != WENDA_OK) {
        fprintf(stderr, "wenda token: %s\n", msg);
        wenda_store_close(st);
        return 1;
    }
    rc = wenda_auth_token_create(auth, st, a->role, a->name, a->lifetime,
                                 token, id);
    /* Read the expiry back as stored, to say it exactly. */
    if (rc == WENDA_OK)
        rc = wenda_auth_verify(auth, st, token, info);
    wenda_auth_close(auth);
    wenda_store_close(st);
    if (rc != WENDA_OK) {
        sodium_memzero(token, WENDA_TOKEN_LEN + 1);
        fprintf(stderr, "wenda token: cannot create a token in %s: %s\n",
                a->db, wenda_err_title(rc));
        return 1;
    }
    return 0;
}

static int
token_create(int argc, char **argv)
{
    struct token_args a;
    struct wenda_token_info info;
    char token[WENDA_TOKEN_LEN + 1], key[4096];
    int64_t id = 0;
    int rc = token_create_options(argc, argv, &a);

    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (wenda_auth_key_path_for_db(a.db, key, sizeof(key)) != WENDA_OK) {
        fprintf(stderr, "wenda token: no key file path for database %s\n",
                a.db);
        return 1;
    }
    if (token_make(&a, key, token, &id, &info) != 0)
        return 1;
    printf("%s\n", token);
    (void)fflush(stdout);
    sodium_memzero(token, sizeof(token));
    fprintf(stderr,
            "wenda: created token %lld (role %s, %s%s); the line above is "
            "the token: store it now; it cannot be shown again\n",
            (long long)id, wenda_auth_role_name(a.role),
            info.expires_at[0] != '\0' ? "expires " : "never expires",
            info.expires_at);
    return 0;
}

static int
token_list(int argc, char **argv)
{
    static const char help[] =
        "usage: wenda token list [--db PATH]\n"
        "\n"
        "Lists every token, revoked and expired ones too: id, name, role\n"
        "and times (UTC).  Tokens themselves cannot be shown.\n"
        "  --db PATH   database file (WENDA_DB, default " DEFAULT_DB ")\n";
    struct wenda_token_info *items = NULL;
    struct wenda_store *st;
    const char *db = NULL;
    size_t n = 0, i;
    int w = 4, r = db_option("token list", help, argc, argv, &db);

    if (r != 0)
        return r < 0 ? 0 : r;
    if (optind < argc)
        return cli_bad_usage("token list", "unexpected argument '%s'",
                         token_echo(argv[optind]));
    st = token_store(db, 0);
    if (st == NULL)
        return 1;
    if (wenda_auth_token_list(st, &items, &n) != WENDA_OK) {
        fprintf(stderr, "wenda token: cannot list the tokens of %s\n", db);
        wenda_store_close(st);
        return 1;
    }
    wenda_store_close(st);
    for (i = 0; i < n; i++)
        if ((int)strlen(items[i].name) > w)
            w = (int)strlen(items[i].name);
    printf("%-5s %-*s %-6s %-20s %-20s %-20s %s\n", "ID", w, "NAME", "ROLE",
           "CREATED", "EXPIRES", "LAST USED", "REVOKED");
    for (i = 0; i < n; i++) {
        const struct wenda_token_info *t = &items[i];

        printf("%-5lld %-*s %-6s %-20s %-20s %-20s %s\n", (long long)t->id, w,
               t->name[0] ? t->name : "-", wenda_auth_role_name(t->role),
               t->created_at, t->expires_at[0] ? t->expires_at : "never",
               t->last_used_at[0] ? t->last_used_at : "-",
               t->revoked_at[0] ? t->revoked_at : "-");
    }
    if (n == 0)
        fputs("wenda: no tokens yet ('wenda token create')\n", stderr);
    wenda_auth_token_list_free(items);
    return 0;
}

static int
token_revoke(int argc, char **argv)
{
    static const char help[] =
        "usage: wenda token revoke [--db PATH] ID\n"
        "\n"
        "Revokes the token with id ID (see 'wenda token list') for good.\n"
        "  --db PATH   database file (WENDA_DB, default " DEFAULT_DB ")\n";
    struct wenda_store *st;
    const char *db = NULL;
    enum wenda_err rc;
    unsigned long id;
    int r = db_option("token revoke", help, argc, argv, &db);

    if (r != 0)
        return r < 0 ? 0 : r;
    if (argc - optind != 1)
        return cli_bad_usage("token revoke", "%s", "needs exactly one ID "
                         "argument");
    if (options_parse_uint(argv[optind], 1, (unsigned long)INT64_MAX, &id) != 0)
        return cli_bad_usage("token revoke", "'%s' is not a token id: ID is "
                         "the number 'wenda token list' shows",
                         token_echo(argv[optind]));
    st = token_store(db, 1);
    if (st == NULL)
        return 1;
    rc = wenda_auth_token_revoke(st, (int64_t)id);
    wenda_store_close(st);
    if (rc == WENDA_ERR_NOT_FOUND) {
        fprintf(stderr, "wenda token: no token %lu to revoke in %s (no such "
                "id, or already revoked)\n", id, db);
        return 1;
    }
    if (rc != WENDA_OK) {
        fprintf(stderr, "wenda token: cannot revoke token %lu in %s: %s\n",
                id, db, wenda_err_title(rc));
        return 1;
    }
    printf("revoked token %lu\n", id);
    return 0;
}

static int
cmd_token(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int argc, char **argv);
    } subs[] = {
        {"create", token_create},
        {"list", token_list},
        {"revoke", token_revoke},
    };
    size_t i;

    if (argc < 2)
        return cli_bad_usage("token", "%s", "needs a subcommand: create, list "
                         "or revoke");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(token_help, stdout);
        return 0;
    }
    for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
        if (strcmp(argv[1], subs[i].name) == 0)
            return subs[i].fn(argc - 1, argv + 1);
    return cli_bad_usage("token", "unknown subcommand '%s': create, list or "
                     "revoke", token_echo(argv[1]));
}

static double
seconds(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Ends the count left on the terminal's line, if any. */
static void
end_count(struct progress *p)
{
    if (p->counting)
        fputc('\n', stderr);
    p->counting = 0;
}

/* The wenda_store_progress_fn of every command; see struct progress. */
static void
report(void *ctx, enum wenda_store_stage stage, int64_t n, const char *name)
{
    struct progress *p = ctx;
    long long count = (long long)n;
    const char *s = count == 1 ? "" : "s";
    double now;

    /* an import's stages, the topics above all, cost nothing unasked */
    if (!p->import && stage != WENDA_STORE_MIGRATE &&
        stage != WENDA_STORE_MIGRATED)
        return;
    now = seconds();
    switch (stage) {
    case WENDA_STORE_MIGRATE:
        p->stage = now;
        fprintf(stderr, "wenda: applying migration %s\n", name);
        return;
    case WENDA_STORE_MIGRATED:
        fprintf(stderr, "wenda: migration %s applied in %.1f s\n", name,
                now - p->stage);
        return;
    case WENDA_STORE_CLEAR:
        fprintf(stderr, "wenda import: removing the %lld topic%s it does "
                "not hold\n", count, s);
        break;
    case WENDA_STORE_WRITTEN:
        if (now - p->shown < (p->tty ? COUNT_EVERY_TTY_S : COUNT_EVERY_S))
            return;
        p->shown = now;
        p->counting = p->tty;
        if (p->tty)
            fprintf(stderr, "\rwenda import: %lld topic%s written (%.0f s)",
                    count, s, now - p->begun);
        else
            fprintf(stderr, "wenda import: %lld topic%s written (%.1f s)\n",
                    count, s, now - p->begun);
        return;
    case WENDA_STORE_MERGE:
        /* over the count, which is shorter */
        if (p->counting)
            fputc('\r', stderr);
        p->counting = 0;
        fprintf(stderr, "wenda import: %lld topic%s written in %.1f s; "
                "merging the search index\n", count, s, now - p->begun);
        break;
    case WENDA_STORE_INDEX:
        fprintf(stderr, "wenda import: search index merged in %.1f s; "
                "building the other indexes\n", now - p->stage);
        break;
    case WENDA_STORE_COMMIT:
        fprintf(stderr, "wenda import: indexes built in %.1f s; "
                "committing\n", now - p->stage);
        break;
    default:
        return;
    }
    (void)fflush(stderr);
    p->stage = now;
}

/* version, and --version: "wenda X.Y.Z" on standard output. */
static int
cmd_version(int argc, char **argv)
{
    if (argc == 2 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs("usage: wenda version\n       wenda --version\n\n"
              "Prints \"wenda\" and the version, e.g. \"wenda 1.2.3\".\n",
              stdout);
        return 0;
    }
    if (argc > 1)
        return cli_bad_usage("version", "unexpected argument '%s'", argv[1]);
    printf("wenda %s\n", WENDA_VERSION);
    return 0;
}

int
main(int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(1, argv + 1);
    if (sodium_init() < 0) {
        fputs("wenda: libsodium failed to initialise\n", stderr);
        return 1;
    }
    progress.tty = isatty(STDERR_FILENO);
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "wenda: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
