/*
 * cli.c -- what every command of the wenda binary says the same way.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>

int
cli_bad_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "wenda %s: ", cmd);
    va_start(ap, fmt);
    /* va_start is above; clang-analyzer 14 loses track of it. */
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\ntry 'wenda %s --help'\n", cmd);
    return CLI_EXIT_USAGE;
}
