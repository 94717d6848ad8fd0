/*
 * options.h -- the settings of "wenda serve", as one table.
 *
 * Each row is one option: its long name, its argument, its environment
 * variable, its default, the function that checks a value and stores it,
 * and the words of "serve --help".  The same rows drive getopt_long(), the
 * fallback on the variables (a flag wins over its variable, a variable
 * over the default), the checks with their messages, and the help; the
 * tests hold the man page and the docs to them.  Adding an option is
 * adding a row (and a field to struct http_config when it is new).
 */
#ifndef WENDA_OPTIONS_H
#define WENDA_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "http.h"

/* The database of every command when neither --db nor WENDA_DB names one. */
#define OPTIONS_DEFAULT_DB "data/wenda.db"

/* What "serve" runs with: the server's settings, and the content directory
 * that a new database is built from. */
struct options_serve {
    struct http_config http;
    const char *content;
};

/* The C type of the field an option's value is stored in. */
enum options_type {
    OPTIONS_TEXT,   /* const char *: the value itself, never copied */
    OPTIONS_UINT,   /* unsigned int */
    OPTIONS_SIZE,   /* size_t */
    OPTIONS_INT64,  /* int64_t */
    OPTIONS_BOOL,   /* int, 0 or 1 */
};

struct options_serve_option;

/*
 * Checks value, the option's argument, its variable or its default, and
 * stores it in s.  Returns 0, or -1 with a message that names the option
 * (or, for a switch, its variable) and the value written into msg (cap
 * bytes).
 */
typedef int options_parse_fn(const struct options_serve_option *o,
                             const char *value, struct options_serve *s,
                             char *msg, size_t cap);

struct options_serve_option {
    const char *name;      /* long option, without "--" */
    const char *arg;       /* its argument in --help; NULL: a switch,
                              given without one, that means "1" */
    const char *env;       /* the variable read when it is not given */
    const char *def;       /* the value when neither is; NULL: none */
    const char *def_help;  /* the default in --help's words, when that is
                              not def itself */
    options_parse_fn *parse;
    enum options_type type;  /* of the field at offset */
    size_t offset;           /* of the field in struct options_serve */
    unsigned long min, max;  /* the bounds of a number */
    const char *noun;        /* a number in messages: "a number of seconds" */
    const char *help;        /* what --help says of it, before the variable
                                and the default */
};

enum options_result {
    OPTIONS_OK,   /* the settings are in *s */
    OPTIONS_HELP, /* --help was printed on standard output */
    OPTIONS_BAD,  /* a usage error, in msg */
};

/*
 * Stores the table of serve's options, in --help's order, in *table and
 * returns its number of rows; static storage.
 */
size_t options_serve_table(const struct options_serve_option **table);

/*
 * Returns the row of the option called name (without "--"), or NULL when
 * serve has no such option.
 */
const struct options_serve_option *options_serve_find(const char *name);

/*
 * Reads serve's settings from argv (argv[0] is "serve"), each from its
 * option, else from its variable when that is set and not empty, else from
 * its default, and checks every one, in the table's order, before anything
 * is opened.  Returns OPTIONS_OK with *s filled (its strings point into
 * argv, the environment or static storage); OPTIONS_HELP after printing
 * options_serve_help() on standard output; or OPTIONS_BAD with the first
 * problem in msg (cap bytes): an unknown option (getopt_long() has named
 * it on standard error), an argument, a bad value, --tls-cert without
 * --tls-key or the other way round, or options of a cluster node that do
 * not go together (--cluster without --node-id or --raft-address, or with
 * --read-only; a node's option without --cluster; --peers without this
 * node).
 */
enum options_result options_serve_parse(int argc, char **argv,
                                        struct options_serve *s, char *msg,
                                        size_t cap);

/* Writes "serve --help", every option of the table with its variable and
 * default, to f. */
void options_serve_help(FILE *f);

/*
 * Parses s as an unsigned decimal (digits only) from min to max into *out;
 * returns 0, or -1 (with *out unchanged) for anything else.  The other
 * commands' number options use it too.
 */
int options_parse_uint(const char *s, unsigned long min, unsigned long max,
                       unsigned long *out);

/* Returns the environment variable name, or fallback when it is unset or
 * empty (an empty variable counts as unset); borrowed. */
const char *options_env_or(const char *name, const char *fallback);

#endif /* WENDA_OPTIONS_H */
