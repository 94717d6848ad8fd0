/*
 * test_cluster_cli.c -- the values "wenda cluster" takes before it opens a
 * connection: node ids, Raft addresses (HOST:PORT) and node URLs.  The
 * command itself, run as a process, is in tests/e2e/test_cluster_cli.c.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "cluster_cli.h"

Test(cluster_cli, a_node_id_is_a_number_from_1_to_65535)
{
    static const char *const good[] = {"1", "3", "65535", "00042"};
    static const char *const bad[] = {"",      "0",     "65536", "-1", "+1",
                                      " 1",    "1 ",    "1x",    "0x10",
                                      "99999999999999999999"};
    unsigned long id = 7;
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        cr_expect_eq(cluster_cli_parse_id(good[i], &id), 0, "'%s' refused",
                     good[i]);
    cr_expect_eq(id, 42);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_eq(cluster_cli_parse_id(bad[i], &id), -1, "'%s' taken",
                     bad[i]);
        cr_expect_eq(id, 42, "'%s' changed the id", bad[i]);
    }
}

Test(cluster_cli, an_address_is_a_host_and_a_port)
{
    static const char *const good[] = {
        "127.0.0.1:9001", "wenda-0.wenda-raft:9000", "localhost:1",
        "[::1]:9001", "[fe80::1]:65535", "node-3.example.org:443"};
    static const char *const bad[] = {
        "",           "127.0.0.1",       "127.0.0.1:",   ":9001",
        "host:0",     "host:65536",      "host:9x",      "host :9001",
        "a..b:9001",  ".a:9001",         "a.:9001",      "[::1:9001",
        "[]:9001",    "[::g]:9001",      "::1:9001",     "host:9001/x",
        "http://host:9001"};
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        cr_expect(cluster_cli_address_valid(good[i]), "'%s' refused",
                  good[i]);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_not(cluster_cli_address_valid(bad[i]), "'%s' taken",
                      bad[i]);
}

Test(cluster_cli, a_url_is_http_or_https_a_host_a_port_and_a_path)
{
    static const char *const good[] = {
        "http://127.0.0.1:8080", "http://127.0.0.1:8080/",
        "https://wenda.example.org", "http://[::1]:8080",
        "http://wenda-0.wenda-raft.default.svc:8080/kb"};
    static const char *const bad[] = {
        "",
        "127.0.0.1:8080",
        "ftp://host",
        "http://",
        "http://:8080",
        "http://host:0",
        "http://host:70000",
        "http://host:80x",
        "http://host/a b",
        "http://host/?q=1",
        "http://host/#top",
        "http://host\r\nX: y",
        "http://user@host"};
    char longer[600];
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        cr_expect(cluster_cli_url_valid(good[i]), "'%s' refused", good[i]);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_not(cluster_cli_url_valid(bad[i]), "'%s' taken", bad[i]);
    /* At most 512 bytes in all. */
    (void)snprintf(longer, sizeof(longer), "http://h/%0*d", 503, 0);
    cr_expect(cluster_cli_url_valid(longer), "512 bytes refused");
    (void)snprintf(longer, sizeof(longer), "http://h/%0*d", 504, 0);
    cr_expect_not(cluster_cli_url_valid(longer), "513 bytes taken");
}
