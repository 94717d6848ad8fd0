/*
 * cli.h -- what every command of the wenda binary says the same way.
 */
#ifndef WENDA_CLI_H
#define WENDA_CLI_H

/* The exit status of a command given wrong arguments. */
#define CLI_EXIT_USAGE 2

/*
 * Says on standard error "wenda CMD: " and the message fmt makes, then
 * where help is, and returns CLI_EXIT_USAGE: every command's answer to
 * arguments it cannot take.
 */
int cli_bad_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* WENDA_CLI_H */
