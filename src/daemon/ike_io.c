/* SPDX-License-Identifier: MIT */
/* IKE's UDP sockets (and, opened and closed with them, the IKE tables): port 500 on IPv4 and IPv6,
 * port 4500 on IPv6 (IPv4's 4500 socket belongs to the data path, which shares it with ESP-in-UDP).
 * Datagrams go out from the SA's own local address (IP_PKTINFO), with the
 * daemon's fwmark so that they never enter the tunnel they negotiate. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "ike_int.h"
#include "log.h"
#include "routes.h"

static int open_udp(int family, uint16_t port)
{
    struct sockaddr_storage ss = {0};
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    uint32_t mark = ROUTE_FWMARK;
    socklen_t len;

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
        len = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
        len = sizeof(*sin6);
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int ike_io_open(struct daemon *d)
{
    bool v6 = access("/proc/net/if_inet6", F_OK) == 0;

    if (ike_tables_open(d) < 0) {
        log_err("out of memory for the IKE tables");
        return -1;
    }

    d->ike->fd[IKE_SOCK_500_V4] = open_udp(AF_INET, IKE_PORT);
    d->ike->fd[IKE_SOCK_500_V6] = v6 ? open_udp(AF_INET6, IKE_PORT) : -1;
    if (d->ike->fd[IKE_SOCK_500_V4] < 0) {
        log_err("cannot bind UDP port 500 for IKE: %s (is another IKE daemon running?)",
                strerror(errno));
        return -1;
    }
    return 0;
}

void ike_io_close(struct daemon *d)
{
    for (int i = 0; d->ike && i < IKE_SOCK_COUNT; i++)
        if (d->ike->fd[i] >= 0)
            close(d->ike->fd[i]);
    ike_tables_close(d);
}

int ike_socket(const struct daemon *d, enum ike_sock which)
{
    return d->ike ? d->ike->fd[which] : -1;
}

/* The socket for a path, and whether it needs the non-ESP marker. */
static int pick(struct daemon *d, const struct ike_path *p, bool *marker)
{
    *marker = p->local_port == IKE_NATT_PORT;
    if (p->remote.family == 4)
        return *marker ? d->net.rx[NET_RX_UDP4] : d->ike->fd[IKE_SOCK_500_V4];
    return *marker ? d->net.rx[NET_RX_UDP6] : d->ike->fd[IKE_SOCK_500_V6];
}

static void source(struct msghdr *msg, char *control, size_t len, const struct uipsec_addr *a)
{
    struct cmsghdr *c;

    if (!a->family)
        return;
    memset(control, 0, len);
    msg->msg_control = control;
    msg->msg_controllen = len;
    c = CMSG_FIRSTHDR(msg);
    if (a->family == 4) {
        struct in_pktinfo pi = {0};

        memcpy(&pi.ipi_spec_dst, a->bytes, 4);
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(pi));
        memcpy(CMSG_DATA(c), &pi, sizeof(pi));
    } else {
        struct in6_pktinfo pi = {0};

        memcpy(&pi.ipi6_addr, a->bytes, 16);
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(pi));
        memcpy(CMSG_DATA(c), &pi, sizeof(pi));
    }
    msg->msg_controllen = c->cmsg_len;
}

static socklen_t to_sockaddr(const struct uipsec_addr *a, uint16_t port,
                             struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (a->family == 4) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;

        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        memcpy(&sin->sin_addr, a->bytes, 4);
        return sizeof(*sin);
    }
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    memcpy(&sin6->sin6_addr, a->bytes, 16);
    return sizeof(*sin6);
}

void ike_io_send(struct daemon *d, const struct ike_path *p, const uint8_t *buf, size_t len)
{
    static const uint8_t zero[4];
    struct sockaddr_storage to;
    char control[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    bool marker;
    int fd = pick(d, p, &marker);
    struct iovec iov[2] = {{(void *)zero, marker ? 4 : 0}, {(void *)buf, len}};
    struct msghdr msg = {.msg_name = &to, .msg_iov = iov, .msg_iovlen = 2};

    msg.msg_namelen = to_sockaddr(&p->remote, p->remote_port, &to);
    source(&msg, control, sizeof(control), &p->local);
    if (fd < 0 || sendmsg(fd, &msg, 0) < 0) {
        d->drops[DD_SEND_FAILED]++;
        log_net("IKE send failed: %s", strerror(errno));
    }
}

struct uipsec_addr ike_io_source_for(const struct uipsec_addr *remote)
{
    struct uipsec_addr a = {0};
    struct sockaddr_storage to, me;
    socklen_t len = to_sockaddr(remote, IKE_PORT, &to), mlen = sizeof(me);
    int fd = socket(remote->family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    uint32_t mark = ROUTE_FWMARK;

    if (fd < 0)
        return a;
    setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
    if (connect(fd, (struct sockaddr *)&to, len) == 0 &&
        getsockname(fd, (struct sockaddr *)&me, &mlen) == 0) {
        a.family = remote->family;
        if (a.family == 4)
            memcpy(a.bytes, &((struct sockaddr_in *)&me)->sin_addr, 4);
        else
            memcpy(a.bytes, &((struct sockaddr_in6 *)&me)->sin6_addr, 16);
    }
    close(fd);
    return a;
}

static void from_sockaddr(const struct sockaddr_storage *ss, struct uipsec_addr *a, uint16_t *port)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

        a->family = 4;
        memcpy(a->bytes, &sin->sin_addr, 4);
        *port = ntohs(sin->sin_port);
    } else {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

        a->family = 6;
        memcpy(a->bytes, &sin6->sin6_addr, 16);
        *port = ntohs(sin6->sin6_port);
    }
}

int ike_io_recv(struct daemon *d, enum ike_sock which, uint8_t *buf, size_t cap, size_t *len,
                struct ike_path *from)
{
    struct sockaddr_storage ss;
    char control[256];
    struct iovec iov = {buf, cap};
    struct msghdr msg = {.msg_name = &ss,
                         .msg_namelen = sizeof(ss),
                         .msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control,
                         .msg_controllen = sizeof(control)};
    ssize_t got = recvmsg(d->ike->fd[which], &msg, 0);

    if (got < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    memset(from, 0, sizeof(*from));
    from_sockaddr(&ss, &from->remote, &from->remote_port);
    from->local.family = from->remote.family;
    from->local_port = IKE_PORT;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
            memcpy(from->local.bytes, &((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr, 4);
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
            memcpy(from->local.bytes, &((struct in6_pktinfo *)CMSG_DATA(c))->ipi6_addr, 16);
    }
    *len = (msg.msg_flags & MSG_TRUNC) ? 0 : (size_t)got;
    return 1;
}
