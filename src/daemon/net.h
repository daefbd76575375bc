/* SPDX-License-Identifier: MIT */
/*
 * Outer I/O: raw ESP and AH sockets for IPv4 and IPv6, UDP sockets for
 * RFC 3948 ESP in UDP (IPv4 and IPv6; IKE on port 4500 arrives there too),
 * and raw IPPROTO_RAW sockets to send whole packets
 * built by the engine.  Every received packet is handed on as a full IP
 * packet: where the kernel strips headers (IPv6 raw, UDP) they are rebuilt
 * in the buffer's headroom from the socket's address information.
 */
#ifndef UIPSECD_NET_H
#define UIPSECD_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "uipsec/uipsec.h"

enum net_rx {
    NET_RX_ESP4,
    NET_RX_AH4,
    NET_RX_ESP6,
    NET_RX_AH6,
    NET_RX_UDP4,
    NET_RX_UDP6,
    NET_RX_COUNT
};

/* Whether a socket carries ESP in UDP (and IKE beside it, RFC 3948 2.2). */
static inline bool net_rx_udp(enum net_rx which)
{
    return which == NET_RX_UDP4 || which == NET_RX_UDP6;
}

#define NET_BATCH_MAX 64 /* packets per sendmmsg or recvmmsg */

struct net {
    int rx[NET_RX_COUNT]; /* -1 when not open */
    /* what the kernel dropped at each socket (SO_RXQ_OVFL: its receive
     * queue was full), as of the last packet read from it */
    uint32_t rx_dropped[NET_RX_COUNT];
    int tx4, tx6;
    uint16_t udp_port;
    bool udp_gso; /* ESP in UDP goes out in trains (net_udp.c) */
    /* ESP in UDP sent as segmentation trains, and the packets in them;
     * receives on the UDP sockets that held several datagrams, and those */
    uint64_t gso_trains, gso_packets, gro_receives, gro_packets;
    /* datagrams of the UDP sockets (IPv4, IPv6) the kernel coalesced with
     * UDP_GRO, being split (net_udp.c); NULL where GRO is off */
    struct net_gro *gro[2];
};

/* Opens the sockets of data-path worker index of count; IPv6 ones only
 * where the host has IPv6.  Packets sent carry fwmark (routes.h: they
 * bypass the tunnel's routing table).  With several workers, each
 * receives its share of the SAs (net_spread.c): the workers open theirs in
 * order of index.  Returns 0 or -1 with a message already logged. */
int net_open(struct net *n, uint16_t udp_port, uint32_t fwmark, unsigned index, unsigned count);
void net_close(struct net *n);

/* Receives up to max packets (at most NET_BATCH_MAX) from socket `which`
 * with one recvmmsg, into bufs (base and cap set; off is set to leave
 * headroom, and each packet is a full IP packet).  Returns how many; 0
 * when the socket has none. */
size_t net_recv_batch(struct net *n, enum net_rx which, struct uipsec_buf *bufs, size_t max);

/* Packets the kernel dropped at the outer sockets because the data path
 * did not read them in time (shown as socket-overflow). */
uint64_t net_rx_dropped(const struct net *n);

/* Sends an RFC 3948 NAT-keepalive (one 0xff byte) from the UDP port to
 * the peer's port 4500. */
int net_send_keepalive(struct net *n, const struct uipsec_addr *peer);

/* Sends a full outer IP packet to the destination in its header. */
int net_send(struct net *n, const uint8_t *pkt, size_t len);
/* Sends full outer IP packets (each buf's [off, off + len)), at most
 * NET_BATCH_MAX: ESP in UDP in segmentation-offload trains where it can
 * (net_udp_send), the rest with one sendmmsg per family on the raw
 * sockets (which have no GSO: that saves the system calls, not the
 * per-packet work in the kernel).  Returns how many could not be sent. */
size_t net_send_batch(struct net *n, struct uipsec_buf *const *bufs, size_t count);

/* Whether socket `which` holds packets already read but not yet handed
 * on (a coalesced receive split over several batches): the caller must
 * come back for them, for the socket will not be readable for them. */
bool net_rx_pending(const struct net *n, enum net_rx which);

/* net_spread.c: worker index of count keeps its share of what raw socket
 * fd (of kind which) receives; the UDP group picks a socket per packet.
 * 0, or -1 with errno. */
int net_spread_raw(int fd, enum net_rx which, unsigned index, unsigned count);
int net_spread_udp(int fd, unsigned count);

/* The parts of net.c that net_udp.c shares, and net_udp.c's. */
struct msghdr;
struct sockaddr_storage;
struct in_addr;
struct in6_addr;
void net_find_dst(struct msghdr *msg, struct in_addr *v4, struct in6_addr *v6, uint32_t *dropped);
void net_rebuild_udp(const struct net *n, enum net_rx which, struct uipsec_buf *b,
                     const struct sockaddr_storage *from, const struct in_addr *dst4,
                     const struct in6_addr *dst6);
/* UDP_GRO on fd, and what splitting its receives needs; NULL if fd < 0, if
 * the kernel has no UDP_GRO, or without memory. */
struct net_gro *net_udp_gro_open(int fd);
void net_udp_gro_free(struct net_gro *g);
size_t net_udp_recv(struct net *n, enum net_rx which, struct uipsec_buf *bufs, size_t max);

/* net_udp.c: sends the ESP-in-UDP packets among bufs[0, count) that the
 * UDP sockets can take, consecutive ones of one SA and size as one
 * UDP_SEGMENT train; done[i] says which went.  What the kernel refused
 * is left for the raw socket. */
void net_udp_send(struct net *n, struct uipsec_buf *const *bufs, size_t count, bool *done);

#endif
