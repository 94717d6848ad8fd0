/*
 * http_tls.c -- what an HTTPS server needs before it starts: its
 * certificate and key, read from PEM files, and the GnuTLS priority string
 * it speaks, checked before use.  libmicrohttpd takes all three as
 * options of the daemon and does the handshakes itself; the key's text is
 * wiped from memory when the server stops.
 */
#include "http_int.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_pem(const char *path, const char *what);
static void free_pem(char *p);

/*
 * Reads a PEM file of at most 1 MiB into a NUL-terminated string, or prints
 * why not and returns NULL.  The caller frees the string with free_pem().
 */
static char *
read_pem(const char *path, const char *what)
{
    FILE *f = fopen(path, "rb");
    char *p;
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "wenda: %s %s: %s\n", what, path, strerror(errno));
        return NULL;
    }
    p = malloc((size_t)1 << 20);
    n = p != NULL ? fread(p, 1, ((size_t)1 << 20) - 1, f) : 0;
    if (p == NULL || ferror(f) || !feof(f) || n == 0 ||
        memchr(p, '\0', n) != NULL) {
        fprintf(stderr, "wenda: %s %s: %s\n", what, path,
                p == NULL ? "out of memory" : ferror(f) ? strerror(errno)
                : "not a PEM file of at most 1 MiB");
        free(p);
        (void)fclose(f);
        return NULL;
    }
    (void)fclose(f);
    p[n] = '\0';
    if (strstr(p, "-----BEGIN ") == NULL) {
        fprintf(stderr, "wenda: %s %s: not a PEM file\n", what, path);
        free(p);
        return NULL;
    }
    return p;
}

/* Wipes and frees a string of read_pem(); p may be NULL. */
static void
free_pem(char *p)
{
    if (p != NULL) {
        sodium_memzero(p, strlen(p));
        free(p);
    }
}

int
http_tls_priorities_check(const char *priorities, const char **bad)
{
    gnutls_priority_t p;
    const char *at = NULL;
    const unsigned int *versions;
    int n;

    if (gnutls_priority_init(&p, priorities, &at) != GNUTLS_E_SUCCESS) {
        *bad = at != NULL ? at : priorities;
        return -1;
    }
    n = gnutls_priority_protocol_list(p, &versions);
    gnutls_priority_deinit(p);
    if (n <= 0) {
        *bad = priorities;
        return -1;
    }
    return 0;
}

int
http_tls_load(const struct http_config *cfg, struct http_tls *tls)
{
    memset(tls, 0, sizeof(*tls));
    tls->options[0] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    if (cfg->tls_cert == NULL)
        return 0;
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        fprintf(stderr, "wenda: this libmicrohttpd has no TLS\n");
        return -1;
    }
    tls->cert = read_pem(cfg->tls_cert, "--tls-cert");
    tls->key = tls->cert ? read_pem(cfg->tls_key, "--tls-key") : NULL;
    if (tls->key == NULL) {
        free_pem(tls->cert);
        tls->cert = NULL;
        return -1;
    }
    tls->options[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
                                              tls->cert};
    tls->options[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
                                              tls->key};
    /* libmicrohttpd's own default is GnuTLS's NORMAL, which takes TLS 1.0
     * and RSA key transport. */
    tls->options[2] = (struct MHD_OptionItem){
        MHD_OPTION_HTTPS_PRIORITIES, 0,
        (void *)(uintptr_t)(cfg->tls_priorities != NULL
                                ? cfg->tls_priorities
                                : HTTP_TLS_PRIORITIES_DEFAULT)};
    tls->options[3] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return 0;
}

void
http_tls_cleanup(struct http_tls *tls)
{
    free_pem(tls->cert);
    free_pem(tls->key);
    tls->cert = NULL;
    tls->key = NULL;
}
