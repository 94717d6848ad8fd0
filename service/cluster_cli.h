/*
 * cluster_cli.h -- "wenda cluster": a cluster's members, seen and changed
 * over the HTTP API of one of its nodes.
 */
#ifndef WENDA_CLUSTER_CLI_H
#define WENDA_CLUSTER_CLI_H

/*
 * Runs "wenda cluster SUBCOMMAND [OPTIONS]": argv[0] is "cluster", argv[1]
 * the subcommand (status, add or remove, or --help).  Returns the exit
 * status: 0 on success, 1 when the request failed or the server refused
 * it (the reason is on standard error), 2 on a usage error.
 */
int cluster_cli_main(int argc, char **argv);

/*
 * Parses s, a node id: decimal digits only, from 1 to 65535, into *id.
 * Returns 0, or -1 (with *id unchanged) for anything else.
 */
int cluster_cli_parse_id(const char *s, unsigned long *id);

/*
 * Returns 1 when s is a Raft address HOST:PORT: HOST a name or IPv4
 * address (letters, digits, '-' and '.', no empty label) or an IPv6
 * address in brackets, PORT from 1 to 65535; else 0.
 */
int cluster_cli_address_valid(const char *s);

/*
 * Returns 1 when s is a node's HTTP base URL: http:// or https://, a host
 * as cluster_cli_address_valid() takes it with an optional :PORT, and an
 * optional path of printable ASCII without '?' or '#'; at most 512 bytes.
 * Else 0.
 */
int cluster_cli_url_valid(const char *s);

#endif /* WENDA_CLUSTER_CLI_H */
