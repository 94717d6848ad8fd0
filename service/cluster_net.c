/*
 * cluster_net.c -- libraft's TCP transport, with host names.
 *
 * libraft 0.15's TCP transport takes only IPv4 literals ("10.0.0.1:9000"),
 * and a Raft configuration keeps each node's address for good; in
 * Kubernetes a pod's IP changes when it starts again, and only its name
 * (wenda-1.wenda-raft...) stays.  This transport wraps libraft's: it gives
 * an address that is a literal through as it is, and resolves a name with
 * uv_getaddrinfo() on the loop's thread pool, at every connection, before
 * handing the IPv4 address it found to libraft's transport.  The loop
 * never waits on DNS.  A connection whose name does not resolve fails as
 * one whose peer does not answer, and libraft tries it again later.
 */
#include "cluster_int.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A connection waiting for its name to resolve. */
struct resolve {
    uv_getaddrinfo_t gai;
    struct cluster_net *net;
    struct raft_uv_connect *req;
    raft_id id;
    raft_uv_connect_cb cb;
    char port[8];
    struct resolve *next;
};

/* Splits "HOST:PORT" into host (cap bytes) and port; 0 when it is not. */
static int
split(const char *address, char *host, size_t cap, char port[8])
{
    const char *colon = strrchr(address, ':');
    size_t n;

    if (colon == NULL || colon == address || strlen(colon + 1) >= 8 ||
        colon[1] == '\0')
        return 0;
    n = (size_t)(colon - address);
    if (n >= cap)
        return 0;
    memcpy(host, address, n);
    host[n] = '\0';
    (void)snprintf(port, 8, "%s", colon + 1);
    return 1;
}

/* Returns 1 when address is an IPv4 literal and a port. */
static int
literal(const char *address)
{
    char host[CLUSTER_ADDRESS_CAP], port[8];
    struct in_addr a;

    return split(address, host, sizeof(host), port) &&
           inet_pton(AF_INET, host, &a) == 1;
}

static struct cluster_net *
net_of(struct raft_uv_transport *t)
{
    return t->impl;
}

static void
tcp_closed(struct raft_uv_transport *tcp)
{
    struct cluster_net *net = tcp->data;

    net->close_cb(&net->outer);
}

/* Closes libraft's transport once no name is being resolved. */
static void
close_when_idle(struct cluster_net *net)
{
    if (net->closing && net->pending == NULL && !net->tcp_closing) {
        net->tcp_closing = 1;
        net->tcp.close(&net->tcp, tcp_closed);
    }
}

static void
unlink_resolve(struct cluster_net *net, struct resolve *r)
{
    struct resolve **pp;

    for (pp = &net->pending; *pp != NULL; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            return;
        }
}

static void
resolved(uv_getaddrinfo_t *gai, int status, struct addrinfo *res)
{
    struct resolve *r = gai->data;
    struct cluster_net *net = r->net;
    char ip[INET_ADDRSTRLEN], address[CLUSTER_ADDRESS_CAP];
    int rv = RAFT_NOCONNECTION;

    unlink_resolve(net, r);
    if (net->closing) {
        rv = RAFT_CANCELED;
    } else if (status == 0 && res != NULL &&
               inet_ntop(AF_INET,
                         &((const struct sockaddr_in *)(const void *)
                               res->ai_addr)->sin_addr,
                         ip, sizeof(ip)) != NULL) {
        (void)snprintf(address, sizeof(address), "%s:%s", ip, r->port);
        rv = net->tcp.connect(&net->tcp, r->req, r->id, address, r->cb);
    }
    uv_freeaddrinfo(res);
    if (rv != 0)
        r->cb(r->req, NULL, rv);
    free(r);
    close_when_idle(net);
}

static int
net_init(struct raft_uv_transport *t, raft_id id, const char *address)
{
    struct cluster_net *net = net_of(t);
    char host[CLUSTER_ADDRESS_CAP], port[8], ip[INET_ADDRSTRLEN];
    struct addrinfo hints, *res = NULL;
    int rv;

    if (literal(address))
        return net->tcp.init(&net->tcp, id, address);
    /* This node's own name: resolved once, at start, to listen on. */
    if (!split(address, host, sizeof(host), port))
        return RAFT_INVALID;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL ||
        inet_ntop(AF_INET,
                  &((const struct sockaddr_in *)(const void *)res->ai_addr)
                       ->sin_addr,
                  ip, sizeof(ip)) == NULL) {
        if (res != NULL)
            freeaddrinfo(res);
        (void)snprintf(t->errmsg, sizeof(t->errmsg),
                       "cannot resolve %s", address);
        return RAFT_NOCONNECTION;
    }
    freeaddrinfo(res);
    /* libraft's transport keeps the pointer, not a copy. */
    (void)snprintf(net->own, sizeof(net->own), "%s:%s", ip, port);
    rv = net->tcp.init(&net->tcp, id, net->own);
    if (rv != 0)
        (void)snprintf(t->errmsg, sizeof(t->errmsg), "%s", net->tcp.errmsg);
    return rv;
}

static void
accepted(struct raft_uv_transport *tcp, raft_id id, const char *address,
         struct uv_stream_s *stream)
{
    struct cluster_net *net = tcp->data;

    net->accept_cb(&net->outer, id, address, stream);
}

static int
net_listen(struct raft_uv_transport *t, raft_uv_accept_cb cb)
{
    struct cluster_net *net = net_of(t);

    net->accept_cb = cb;
    return net->tcp.listen(&net->tcp, accepted);
}

static int
net_connect(struct raft_uv_transport *t, struct raft_uv_connect *req,
            raft_id id, const char *address, raft_uv_connect_cb cb)
{
    struct cluster_net *net = net_of(t);
    struct addrinfo hints;
    struct resolve *r;
    char host[CLUSTER_ADDRESS_CAP];

    if (literal(address))
        return net->tcp.connect(&net->tcp, req, id, address, cb);
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return RAFT_NOMEM;
    if (!split(address, host, sizeof(host), r->port)) {
        free(r);
        return RAFT_NOCONNECTION;
    }
    r->net = net;
    r->req = req;
    r->id = id;
    r->cb = cb;
    r->gai.data = r;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (uv_getaddrinfo(net->loop, &r->gai, resolved, host, r->port,
                       &hints) != 0) {
        free(r);
        return RAFT_NOCONNECTION;
    }
    r->next = net->pending;
    net->pending = r;
    return 0;
}

static void
net_close(struct raft_uv_transport *t, raft_uv_transport_close_cb cb)
{
    struct cluster_net *net = net_of(t);
    struct resolve *r;

    net->close_cb = cb;
    net->closing = 1;
    for (r = net->pending; r != NULL; r = r->next)
        (void)uv_cancel((uv_req_t *)&r->gai);   /* resolved() runs anyway */
    close_when_idle(net);
}

int
cluster_net_init(struct cluster_net *net, uv_loop_t *loop)
{
    int rv;

    memset(net, 0, sizeof(*net));
    net->loop = loop;
    rv = raft_uv_tcp_init(&net->tcp, loop);
    if (rv != 0)
        return rv;
    net->tcp.data = net;
    net->outer.impl = net;
    net->outer.init = net_init;
    net->outer.listen = net_listen;
    net->outer.connect = net_connect;
    net->outer.close = net_close;
    return 0;
}

void
cluster_net_close(struct cluster_net *net)
{
    raft_uv_tcp_close(&net->tcp);
}
