/* SPDX-License-Identifier: MIT */
/*
 * ESP in UDP sent through the UDP sockets with segmentation offload
 * (UDP_SEGMENT): consecutive packets of one SA that the engine made the
 * same size go to the kernel as one train, which crosses the stack (route
 * lookup, netfilter, the veth or the NIC's driver) once and is cut by the
 * device, or by the receiver's GRO never cut at all.  The raw socket pays
 * all of that per packet.  The engine has already written the IP and UDP
 * headers; the UDP socket makes its own, so only the ESP part is sent,
 * with the source address and TOS of the engine's header.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cursor.h"
#include "log.h"
#include "net.h"

#define TRAIN_SEGS  64    /* the kernel's UDP_MAX_SEGMENTS on older kernels */
#define TRAIN_BYTES 65000 /* one IP datagram's worth, less headers */
#define CTRL_LEN                                                                                   \
    (CMSG_SPACE(sizeof(uint16_t)) + CMSG_SPACE(sizeof(struct in6_pktinfo)) +                       \
     2 * CMSG_SPACE(sizeof(int)))

typedef union {
    char b[CTRL_LEN];
    struct cmsghdr align;
} ctrl_buf;

/* What the packets of a train share, read from the engine's headers. */
struct udp_out {
    uint8_t family, tos, ttl;
    const uint8_t *src, *dst;
    uint16_t dport;
    size_t hl, plen; /* IP + UDP header; the ESP part after it */
};

/* Whether pkt is ESP in UDP from our port that the UDP socket can send as
 * the engine built it: no IP options or extension headers, and for IPv4
 * DF clear, as the socket sends everything (IP_PMTUDISC_DONT; net.c), and
 * as the daemon's SAs make their outer headers.  Anything else goes raw. */
static bool as_udp(const struct net *n, const uint8_t *pkt, size_t len, struct udp_out *u)
{
    const uint8_t *udp;

    if (len >= 28 && pkt[0] == 0x45 && pkt[9] == IPPROTO_UDP && get_be16(pkt + 6) == 0) {
        *u = (struct udp_out){4, pkt[1], pkt[8], pkt + 12, pkt + 16, 0, 28, 0};
    } else if (len >= 48 && pkt[0] >> 4 == 6 && pkt[6] == IPPROTO_UDP) {
        *u =
            (struct udp_out){6, (uint8_t)(get_be16(pkt) >> 4), pkt[7], pkt + 8, pkt + 24, 0, 48, 0};
    } else {
        return false;
    }
    udp = pkt + u->hl - 8;
    u->dport = get_be16(udp + 2);
    u->plen = len - u->hl;
    return n->rx[u->family == 4 ? NET_RX_UDP4 : NET_RX_UDP6] >= 0 && get_be16(udp) == n->udp_port &&
           get_be16(udp + 4) == len - u->hl + 8 && u->plen;
}

static bool same_flow(const struct udp_out *a, const struct udp_out *b)
{
    size_t alen = a->family == 4 ? 4 : 16;

    return a->family == b->family && a->tos == b->tos && a->ttl == b->ttl && a->dport == b->dport &&
           !memcmp(a->src, b->src, alen) && !memcmp(a->dst, b->dst, alen);
}

/* Appends one control message; the buffer is CTRL_LEN, enough for all. */
static void add_cmsg(struct msghdr *m, int level, int type, const void *v, size_t len)
{
    struct cmsghdr *c = (struct cmsghdr *)((char *)m->msg_control + m->msg_controllen);

    c->cmsg_level = level;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(len);
    memcpy(CMSG_DATA(c), v, len);
    m->msg_controllen += CMSG_SPACE(len);
}

/* The message of one train: destination, source address, TOS, TTL and, for
 * more than one packet, the segment size. */
static void train_msg(struct msghdr *m, const struct udp_out *u, size_t segs, char *ctrl,
                      struct sockaddr_storage *to)
{
    uint16_t seg = (uint16_t)u->plen;
    int tos = u->tos, ttl = u->ttl;

    memset(to, 0, sizeof(*to));
    memset(ctrl, 0, CTRL_LEN);
    m->msg_name = to;
    m->msg_control = ctrl;
    m->msg_controllen = 0;
    if (u->family == 4) {
        struct sockaddr_in *sin = (struct sockaddr_in *)to;
        struct in_pktinfo pi = {0};

        sin->sin_family = AF_INET;
        sin->sin_port = htons(u->dport);
        memcpy(&sin->sin_addr, u->dst, 4);
        m->msg_namelen = sizeof(*sin);
        memcpy(&pi.ipi_spec_dst, u->src, 4);
        add_cmsg(m, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
        add_cmsg(m, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
        add_cmsg(m, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)to;
        struct in6_pktinfo pi = {0};

        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(u->dport);
        memcpy(&sin6->sin6_addr, u->dst, 16);
        m->msg_namelen = sizeof(*sin6);
        memcpy(&pi.ipi6_addr, u->src, 16);
        add_cmsg(m, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
        add_cmsg(m, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
        add_cmsg(m, IPPROTO_IPV6, IPV6_HOPLIMIT, &ttl, sizeof(ttl));
    }
    if (segs > 1)
        add_cmsg(m, SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg));
}

/* How many packets from bufs[i] on make one train with it: the same flow,
 * all of the first one's size but the last, which may be shorter. */
static size_t train_len(const struct net *n, struct uipsec_buf *const *bufs, size_t i, size_t end,
                        const struct udp_out *first)
{
    size_t j = i + 1, bytes = first->plen;
    struct udp_out u;

    while (j < end && j - i < TRAIN_SEGS &&
           as_udp(n, bufs[j]->base + bufs[j]->off, bufs[j]->len, &u) && same_flow(first, &u) &&
           u.plen <= first->plen && bytes + u.plen <= TRAIN_BYTES) {
        bytes += u.plen;
        j++;
        if (u.plen < first->plen)
            break;
    }
    return j - i;
}

/* sendmmsg until every train went or failed; sent[i] says which went.
 * EIO on a train is the kernel refusing segmentation (the route's device
 * has no checksum offload): trains stop for good. */
static void send_trains(struct net *n, int fd, struct mmsghdr *m, const size_t *segs, unsigned k,
                        bool *sent)
{
    for (unsigned at = 0; at < k;) {
        int r = sendmmsg(fd, m + at, k - at, 0);

        if (r < 0 && errno == EINTR)
            continue;
        for (unsigned i = at; r > 0 && i < at + (unsigned)r; i++) {
            sent[i] = true;
            n->gso_trains += segs[i] > 1;
            n->gso_packets += segs[i] > 1 ? segs[i] : 0;
        }
        if (r > 0) {
            at += (unsigned)r;
            continue;
        }
        if (errno == EIO && segs[at] > 1 && n->udp_gso) {
            n->udp_gso = false;
            log_warn("the kernel refused UDP segmentation offload: ESP in UDP is now sent "
                     "packet by packet");
        }
        sent[at++] = false;
    }
}

/* The messages of one batch's trains, per family. */
struct trains {
    struct mmsghdr m[2][NET_BATCH_MAX];
    struct iovec iov[NET_BATCH_MAX];
    struct sockaddr_storage to[NET_BATCH_MAX];
    ctrl_buf ctrl[NET_BATCH_MAX];
    size_t segs[2][NET_BATCH_MAX], first[2][NET_BATCH_MAX], nv, nm;
    unsigned k[2];
};

/* Adds the train of t packets from bufs[i] (all like u). */
static void add_train(struct trains *tr, struct uipsec_buf *const *bufs, size_t i, size_t t,
                      const struct udp_out *u)
{
    int f = u->family == 6;
    struct mmsghdr *m = &tr->m[f][tr->k[f]];

    memset(m, 0, sizeof(*m));
    m->msg_hdr.msg_iov = &tr->iov[tr->nv];
    m->msg_hdr.msg_iovlen = t;
    for (size_t x = i; x < i + t; x++)
        tr->iov[tr->nv++] =
            (struct iovec){bufs[x]->base + bufs[x]->off + u->hl, bufs[x]->len - u->hl};
    train_msg(&m->msg_hdr, u, t, tr->ctrl[tr->nm].b, &tr->to[tr->nm]);
    tr->nm++;
    tr->segs[f][tr->k[f]] = t;
    tr->first[f][tr->k[f]++] = i;
}

/* A train the kernel refused (a full send buffer, a path MTU below the
 * packets' size) is not lost: its packets go back to the raw socket,
 * which sends them one by one (and fragments what it must). */
void net_udp_send(struct net *n, struct uipsec_buf *const *bufs, size_t count, bool *done)
{
    struct trains tr; /* about 26 KB */
    bool sent[NET_BATCH_MAX];
    size_t end = count < NET_BATCH_MAX ? count : NET_BATCH_MAX;

    memset(done, 0, end * sizeof(*done));
    tr.nv = tr.nm = 0;
    tr.k[0] = tr.k[1] = 0;
    for (size_t i = 0; n->udp_gso && i < end;) {
        struct udp_out u;
        size_t t;

        if (!as_udp(n, bufs[i]->base + bufs[i]->off, bufs[i]->len, &u)) {
            i++;
            continue;
        }
        t = train_len(n, bufs, i, end, &u);
        add_train(&tr, bufs, i, t, &u);
        i += t;
    }
    for (int f = 0; f < 2; f++) {
        send_trains(n, n->rx[f ? NET_RX_UDP6 : NET_RX_UDP4], tr.m[f], tr.segs[f], tr.k[f], sent);
        for (unsigned j = 0; j < tr.k[f]; j++)
            for (size_t x = tr.first[f][j]; x < tr.first[f][j] + tr.segs[f][j]; x++)
                done[x] = sent[j];
    }
}

/*
 * Receiving with UDP_GRO: the kernel hands over a train of datagrams of
 * one flow in one receive (a sender's GSO train that crossed a veth whole,
 * or what the NIC's or the veth's GRO merged), with the size they had.
 * Each datagram needs its own IP and UDP header in front for the engine,
 * so the first stays where it was received and the others are copied into
 * the caller's buffers.  A train can hold more datagrams than one batch
 * takes: the rest waits in the receive buffers for the next call
 * (net_rx_pending).
 */
#define WIRE_LEN (UIPSEC_HEADROOM + 65536 + UIPSEC_TAILROOM)
#define RX_CTRL  128 /* IP_PKTINFO or IPV6_PKTINFO, SO_RXQ_OVFL, UDP_GRO */

struct net_gro {
    uint8_t *wire; /* NET_BATCH_MAX receive buffers of WIRE_LEN */
    struct mmsghdr m[NET_BATCH_MAX];
    struct iovec iov[NET_BATCH_MAX];
    struct sockaddr_storage from[NET_BATCH_MAX];
    union {
        char b[RX_CTRL];
        struct cmsghdr align;
    } ctrl[NET_BATCH_MAX];
    struct in_addr dst4[NET_BATCH_MAX];
    struct in6_addr dst6[NET_BATCH_MAX];
    size_t seg[NET_BATCH_MAX]; /* datagram size in each receive */
    unsigned got, msg;         /* receives in hand; the one being split */
    size_t at;                 /* its next datagram's offset */
};

struct net_gro *net_udp_gro_open(int fd)
{
    int one = 1;
    struct net_gro *g;

    if (fd < 0 || setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) < 0)
        return NULL;
    g = calloc(1, sizeof(*g));
    if (g && !(g->wire = malloc((size_t)NET_BATCH_MAX * WIRE_LEN))) {
        free(g);
        g = NULL;
    }
    if (!g) {
        one = 0;
        setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one));
    }
    return g;
}

void net_udp_gro_free(struct net_gro *g)
{
    if (g)
        free(g->wire);
    free(g);
}

bool net_rx_pending(const struct net *n, enum net_rx which)
{
    const struct net_gro *g = net_rx_udp(which) ? n->gro[which == NET_RX_UDP6] : NULL;

    return g && g->msg < g->got;
}

/* The datagram size of a coalesced receive, or its length if it is one. */
static size_t gro_size(struct msghdr *msg, size_t len)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c))
        if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
            int size;

            memcpy(&size, CMSG_DATA(c), sizeof(size));
            return size > 0 && (size_t)size < len ? (size_t)size : len;
        }
    return len;
}

static bool refill(struct net *n, enum net_rx which, struct net_gro *g)
{
    int got;

    for (unsigned i = 0; i < NET_BATCH_MAX; i++) {
        g->iov[i] = (struct iovec){g->wire + (size_t)i * WIRE_LEN + UIPSEC_HEADROOM,
                                   WIRE_LEN - UIPSEC_HEADROOM - UIPSEC_TAILROOM};
        g->m[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &g->from[i],
                                               .msg_namelen = sizeof(g->from[i]),
                                               .msg_iov = &g->iov[i],
                                               .msg_iovlen = 1,
                                               .msg_control = g->ctrl[i].b,
                                               .msg_controllen = RX_CTRL}};
    }
    got = recvmmsg(n->rx[which], g->m, NET_BATCH_MAX, MSG_DONTWAIT, NULL);
    g->got = got > 0 ? (unsigned)got : 0;
    g->msg = 0;
    g->at = 0;
    for (unsigned i = 0; i < g->got; i++) {
        net_find_dst(&g->m[i].msg_hdr, &g->dst4[i], &g->dst6[i], &n->rx_dropped[which]);
        g->seg[i] = gro_size(&g->m[i].msg_hdr, g->m[i].msg_len);
        if (g->seg[i] < g->m[i].msg_len) {
            n->gro_receives++;
            n->gro_packets += (g->m[i].msg_len + g->seg[i] - 1) / g->seg[i];
        }
    }
    return g->got > 0;
}

/* The next datagram into b: the first of a receive in place (its buffer
 * cut at its end, so that nothing coalesced into it overwrites the
 * datagrams after it), the others copied into b's own buffer. */
static void take_next(struct net *n, enum net_rx which, struct net_gro *g, struct uipsec_buf *b)
{
    unsigned i = g->msg;
    uint8_t *data = g->wire + (size_t)i * WIRE_LEN + UIPSEC_HEADROOM;
    size_t total = g->m[i].msg_len, len = total - g->at < g->seg[i] ? total - g->at : g->seg[i];

    b->off = UIPSEC_HEADROOM;
    b->result = 0;
    b->len = (uint32_t)len;
    if (g->at == 0) {
        b->base = data - UIPSEC_HEADROOM;
        b->cap = (uint32_t)(len < total ? UIPSEC_HEADROOM + len : WIRE_LEN);
    } else {
        memcpy(b->base + UIPSEC_HEADROOM, data + g->at, len);
    }
    if (!(g->m[i].msg_hdr.msg_flags & MSG_TRUNC)) /* else the engine counts it truncated */
        net_rebuild_udp(n, which, b, &g->from[i], &g->dst4[i], &g->dst6[i]);
    g->at += len;
    if (g->at >= total) {
        g->msg++;
        g->at = 0;
    }
}

/* One recvmmsg at most, and only while no datagram handed out in this call
 * still lies in the receive buffers (the first of a receive is handed out
 * in place): a new receive would overwrite it before the caller used it. */
size_t net_udp_recv(struct net *n, enum net_rx which, struct uipsec_buf *bufs, size_t max)
{
    struct net_gro *g = n->gro[which == NET_RX_UDP6];
    size_t k = 0;
    bool in_place = false, read = false;

    while (k < max) {
        if (g->msg < g->got) {
            in_place |= g->at == 0;
            take_next(n, which, g, &bufs[k++]);
            continue;
        }
        if (read || in_place || !refill(n, which, g))
            break;
        read = true;
    }
    return k;
}
