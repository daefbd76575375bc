/* SPDX-License-Identifier: MIT */
#include "net.h"

#include <errno.h>
#include <netinet/in.h>
#include <linux/sock_diag.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ip.h" /* libuipsec's: ip_checksum */
#include "log.h"

/* Bursts arrive faster than one thread drains them: large socket buffers
 * keep them instead of dropping (FORCE: root may exceed the sysctl limit). */
#define SOCK_BUF (8 << 20)

static void big_buffers(int fd)
{
    int size = SOCK_BUF;

    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

static int open_raw(int family, int proto, uint32_t mark)
{
    int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    int one = 1;

    if (fd >= 0)
        big_buffers(fd);
    if (fd >= 0 && proto != IPPROTO_RAW) /* what the kernel drops, in each message */
        setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
    if (fd >= 0 && family == AF_INET6 && proto != IPPROTO_RAW)
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
    if (fd >= 0 && proto == IPPROTO_RAW &&
        setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int open_udp(int family, uint16_t port, uint32_t mark, unsigned count)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
    if (count > 1 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
        close(fd); /* one socket per worker in a group */
        return -1;
    }
    big_buffers(fd);
    if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0) {
        close(fd);
        return -1;
    }
    if (family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
    } else {
        int dont = IP_PMTUDISC_DONT; /* DF clear, as the engine's outer headers (net_udp.c) */

        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
        setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &dont, sizeof(dont));
    }
    if (family == AF_INET6 ? bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0
                           : bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
        close(fd);
        return -1;
    }
    if (count > 1 && net_spread_udp(fd, count) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Linux 4.18 and later: a segment size of 0 is "off", and accepted. */
static bool has_udp_gso(int fd)
{
    int zero = 0;

    return setsockopt(fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof(zero)) == 0;
}

/* Worker index of count gets its share of each receiving socket. */
static int spread(struct net *n, unsigned index, unsigned count)
{
    for (int i = NET_RX_ESP4; count > 1 && i <= NET_RX_AH6; i++)
        if (n->rx[i] >= 0 && net_spread_raw(n->rx[i], (enum net_rx)i, index, count) < 0)
            return -1;
    return 0;
}

int net_open(struct net *n, uint16_t udp_port, uint32_t mark, unsigned index, unsigned count)
{
    bool v6 = access("/proc/net/if_inet6", F_OK) == 0;

    n->udp_port = udp_port;
    memset(n->rx_dropped, 0, sizeof(n->rx_dropped));
    n->gso_trains = n->gso_packets = n->gro_receives = n->gro_packets = 0;
    n->rx[NET_RX_ESP4] = open_raw(AF_INET, IPPROTO_ESP, mark);
    n->rx[NET_RX_AH4] = open_raw(AF_INET, IPPROTO_AH, mark);
    n->rx[NET_RX_ESP6] = v6 ? open_raw(AF_INET6, IPPROTO_ESP, mark) : -1;
    n->rx[NET_RX_AH6] = v6 ? open_raw(AF_INET6, IPPROTO_AH, mark) : -1;
    n->rx[NET_RX_UDP4] = udp_port ? open_udp(AF_INET, udp_port, mark, count) : -1;
    n->rx[NET_RX_UDP6] = udp_port && v6 ? open_udp(AF_INET6, udp_port, mark, count) : -1;
    n->udp_gso = n->rx[NET_RX_UDP4] >= 0 && has_udp_gso(n->rx[NET_RX_UDP4]);
    for (int f = 0; f < 2; f++)
        n->gro[f] = net_udp_gro_open(n->rx[f ? NET_RX_UDP6 : NET_RX_UDP4]);
    n->tx4 = open_raw(AF_INET, IPPROTO_RAW, mark);
    n->tx6 = v6 ? open_raw(AF_INET6, IPPROTO_RAW, mark) : -1;
    if (n->rx[NET_RX_ESP4] < 0 || n->rx[NET_RX_AH4] < 0 || n->tx4 < 0) {
        log_err("cannot open raw IPsec sockets: %s (uipsecd needs root or CAP_NET_RAW)",
                strerror(errno));
        return -1;
    }
    if (udp_port && (n->rx[NET_RX_UDP4] < 0 || (v6 && n->rx[NET_RX_UDP6] < 0))) {
        log_err("cannot bind UDP port %u%s: %s", udp_port,
                count > 1 ? " for every worker (SO_REUSEPORT and its BPF program)" : "",
                strerror(errno));
        return -1;
    }
    if (spread(n, index, count) < 0) {
        log_err("cannot spread received ESP over %u workers (a BPF socket filter): %s; set "
                "uipsec.workers = 1",
                count, strerror(errno));
        return -1;
    }
    return 0;
}

void net_close(struct net *n)
{
    for (int i = 0; i < NET_RX_COUNT; i++)
        if (n->rx[i] >= 0)
            close(n->rx[i]);
    if (n->tx4 >= 0)
        close(n->tx4);
    if (n->tx6 >= 0)
        close(n->tx6);
    for (int f = 0; f < 2; f++)
        net_udp_gro_free(n->gro[f]);
    memset(n, -1, sizeof(*n));
    memset(n->rx_dropped, 0, sizeof(n->rx_dropped));
    n->udp_gso = false;
    n->gro[0] = n->gro[1] = NULL;
    n->gso_trains = n->gso_packets = n->gro_receives = n->gro_packets = 0;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* An IPv6 header in front of a payload the raw socket delivered without it. */
static void rebuild_v6(struct uipsec_buf *b, uint8_t proto, const struct in6_addr *src,
                       const struct in6_addr *dst)
{
    uint8_t *h = b->base + b->off - 40;

    memset(h, 0, 8);
    h[0] = 0x60;
    put16(h + 4, (uint16_t)b->len);
    h[6] = proto;
    h[7] = 64;
    memcpy(h + 8, src, 16);
    memcpy(h + 24, dst, 16);
    b->off -= 40;
    b->len += 40;
}

/* IPv4 and UDP headers in front of a UDP payload (checksum left zero: the
 * engine authenticates what matters). */
static void rebuild_udp4(struct uipsec_buf *b, const struct sockaddr_in *src,
                         const struct in_addr *dst, uint16_t dport)
{
    uint8_t *h = b->base + b->off - 28;

    memset(h, 0, 28);
    h[0] = 0x45;
    put16(h + 2, (uint16_t)(b->len + 28));
    h[8] = 64;
    h[9] = IPPROTO_UDP;
    memcpy(h + 12, &src->sin_addr, 4);
    memcpy(h + 16, dst, 4);
    put16(h + 10, ip_checksum(h, 20));
    memcpy(h + 20, &src->sin_port, 2);
    put16(h + 22, dport);
    put16(h + 24, (uint16_t)(b->len + 8));
    b->off -= 28;
    b->len += 28;
}

/* IPv6 and UDP headers in front of a UDP payload (checksum left zero: the
 * kernel checked it, and the engine authenticates what matters). */
static void rebuild_udp6(struct uipsec_buf *b, const struct sockaddr_in6 *src,
                         const struct in6_addr *dst, uint16_t dport)
{
    uint8_t *u = b->base + b->off - 8;

    memcpy(u, &src->sin6_port, 2);
    put16(u + 2, dport);
    put16(u + 4, (uint16_t)(b->len + 8));
    put16(u + 6, 0);
    b->off -= 8;
    b->len += 8;
    rebuild_v6(b, IPPROTO_UDP, &src->sin6_addr, dst);
}

/* The message's destination address, and the socket's drop count. */
void net_find_dst(struct msghdr *msg, struct in_addr *v4, struct in6_addr *v6, uint32_t *dropped)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
            memcpy(dropped, CMSG_DATA(c), sizeof(*dropped));
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
            *v4 = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr;
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
            *v6 = ((struct in6_pktinfo *)CMSG_DATA(c))->ipi6_addr;
    }
}

static size_t recv_plain(struct net *n, enum net_rx which, struct uipsec_buf *bufs, size_t max);

/* The headers the kernel took off, put back from the message's addresses. */
static void rebuild(struct net *n, enum net_rx which, struct uipsec_buf *b, struct msghdr *msg)
{
    struct in_addr dst4 = {0};
    struct in6_addr dst6 = IN6ADDR_ANY_INIT;
    const struct sockaddr_storage *from = msg->msg_name;

    if (msg->msg_flags & MSG_TRUNC)
        return; /* the engine will find it truncated and count it */
    net_find_dst(msg, &dst4, &dst6, &n->rx_dropped[which]);
    if (which == NET_RX_ESP6 || which == NET_RX_AH6)
        rebuild_v6(b, which == NET_RX_ESP6 ? IPPROTO_ESP : IPPROTO_AH,
                   &((const struct sockaddr_in6 *)from)->sin6_addr, &dst6);
    else
        net_rebuild_udp(n, which, b, from, &dst4, &dst6);
}

void net_rebuild_udp(const struct net *n, enum net_rx which, struct uipsec_buf *b,
                     const struct sockaddr_storage *from, const struct in_addr *dst4,
                     const struct in6_addr *dst6)
{
    if (which == NET_RX_UDP4)
        rebuild_udp4(b, (const struct sockaddr_in *)from, dst4, n->udp_port);
    else if (which == NET_RX_UDP6)
        rebuild_udp6(b, (const struct sockaddr_in6 *)from, dst6, n->udp_port);
}

size_t net_recv_batch(struct net *n, enum net_rx which, struct uipsec_buf *bufs, size_t max)
{
    if (net_rx_udp(which) && n->gro[which == NET_RX_UDP6])
        return net_udp_recv(n, which, bufs, max);
    return recv_plain(n, which, bufs, max);
}

static size_t recv_plain(struct net *n, enum net_rx which, struct uipsec_buf *bufs, size_t max)
{
    struct mmsghdr m[NET_BATCH_MAX];
    struct iovec iov[NET_BATCH_MAX];
    struct sockaddr_storage from[NET_BATCH_MAX];
    char control[NET_BATCH_MAX][64]; /* IP_PKTINFO or IPV6_PKTINFO, SO_RXQ_OVFL */
    int got;

    if (max > NET_BATCH_MAX)
        max = NET_BATCH_MAX;
    for (size_t i = 0; i < max; i++) {
        bufs[i].off = UIPSEC_HEADROOM;
        bufs[i].result = 0;
        iov[i] = (struct iovec){bufs[i].base + UIPSEC_HEADROOM,
                                bufs[i].cap - UIPSEC_HEADROOM - UIPSEC_TAILROOM};
        m[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &from[i],
                                            .msg_namelen = sizeof(from[i]),
                                            .msg_iov = &iov[i],
                                            .msg_iovlen = 1,
                                            .msg_control = control[i],
                                            .msg_controllen = sizeof(control[i])}};
    }
    got = recvmmsg(n->rx[which], m, (unsigned)max, MSG_DONTWAIT, NULL);
    for (int i = 0; i < got; i++) {
        bufs[i].len = m[i].msg_len;
        rebuild(n, which, &bufs[i], &m[i].msg_hdr);
    }
    return got > 0 ? (size_t)got : 0;
}

/* The socket and address an outer packet goes to (its destination), or
 * -1 for what is not an IPv4 or IPv6 packet. */
static int dest(const struct net *n, const uint8_t *pkt, size_t len, struct sockaddr_storage *to,
                socklen_t *tolen)
{
    memset(to, 0, sizeof(*to));
    if (len >= 20 && pkt[0] >> 4 == 4) {
        struct sockaddr_in *sin = (struct sockaddr_in *)to;

        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, pkt + 16, 4);
        *tolen = sizeof(*sin);
        return n->tx4;
    }
    if (len >= 40 && pkt[0] >> 4 == 6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)to;

        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, pkt + 24, 16);
        *tolen = sizeof(*sin6);
        return n->tx6;
    }
    return -1;
}

int net_send(struct net *n, const uint8_t *pkt, size_t len)
{
    struct sockaddr_storage to;
    socklen_t tolen = 0;
    int fd = dest(n, pkt, len, &to, &tolen);

    return fd < 0 || sendto(fd, pkt, len, 0, (struct sockaddr *)&to, tolen) < 0 ? -1 : 0;
}

/* sendmmsg until every message went or failed: a message the kernel
 * refuses ends a call, and is counted and skipped. */
static size_t send_all(int fd, struct mmsghdr *m, unsigned k)
{
    size_t failed = 0;

    for (unsigned at = 0; at < k;) {
        int r = sendmmsg(fd, m + at, k - at, 0);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            failed++;
            at++;
        } else {
            at += (unsigned)r;
        }
    }
    return failed;
}

size_t net_send_batch(struct net *n, struct uipsec_buf *const *bufs, size_t count)
{
    struct mmsghdr m[2][NET_BATCH_MAX];
    struct iovec iov[2][NET_BATCH_MAX];
    struct sockaddr_storage to[2][NET_BATCH_MAX];
    unsigned k[2] = {0, 0};
    int fd[2] = {n->tx4, n->tx6};
    bool done[NET_BATCH_MAX];
    size_t failed = 0;

    net_udp_send(n, bufs, count, done);

    for (size_t i = 0; i < count; i++) {
        const uint8_t *pkt = bufs[i]->base + bufs[i]->off;
        int f = i < NET_BATCH_MAX && pkt[0] >> 4 == 6;
        socklen_t tolen = 0;

        if (i < NET_BATCH_MAX && done[i])
            continue;

        if (i >= NET_BATCH_MAX || dest(n, pkt, bufs[i]->len, &to[f][k[f]], &tolen) != fd[f] ||
            fd[f] < 0) {
            failed++;
            continue;
        }
        iov[f][k[f]] = (struct iovec){(void *)pkt, bufs[i]->len};
        m[f][k[f]] = (struct mmsghdr){.msg_hdr = {.msg_name = &to[f][k[f]],
                                                  .msg_namelen = tolen,
                                                  .msg_iov = &iov[f][k[f]],
                                                  .msg_iovlen = 1}};
        k[f]++;
    }
    for (int f = 0; f < 2; f++)
        failed += send_all(fd[f], m[f], k[f]);
    return failed;
}

int net_send_keepalive(struct net *n, const struct uipsec_addr *peer)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(4500)};
    struct sockaddr_in6 to6 = {.sin6_family = AF_INET6, .sin6_port = htons(4500)};
    const uint8_t ff = 0xff;
    int fd = n->rx[peer->family == 6 ? NET_RX_UDP6 : NET_RX_UDP4];

    if (fd < 0 || (peer->family != 4 && peer->family != 6))
        return -1;
    memcpy(&to.sin_addr, peer->bytes, 4);
    memcpy(&to6.sin6_addr, peer->bytes, 16);
    return (peer->family == 6 ? sendto(fd, &ff, 1, 0, (struct sockaddr *)&to6, sizeof(to6))
                              : sendto(fd, &ff, 1, 0, (struct sockaddr *)&to, sizeof(to))) == 1
               ? 0
               : -1;
}

/* The socket's drop counter now (SO_MEMINFO); SO_RXQ_OVFL tells it only
 * with a packet queued after the drops, which may never come to a worker
 * whose SAs went quiet. */
uint64_t net_rx_dropped(const struct net *n)
{
    uint64_t sum = 0;

    for (int i = 0; i < NET_RX_COUNT; i++) {
        uint32_t info[SK_MEMINFO_VARS];
        socklen_t len = sizeof(info);

        if (n->rx[i] >= 0 && getsockopt(n->rx[i], SOL_SOCKET, SO_MEMINFO, info, &len) == 0 &&
            len > SK_MEMINFO_DROPS * sizeof(info[0]))
            sum += info[SK_MEMINFO_DROPS];
        else
            sum += n->rx_dropped[i];
    }
    return sum;
}
