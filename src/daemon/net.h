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
};

/* Opens the sockets; IPv6 ones only where the host has IPv6.  Packets sent
 * carry fwmark (routes.h: they bypass the tunnel's routing table).  Returns 0 or
 * -1 with a message already logged. */
int net_open(struct net *n, uint16_t udp_port, uint32_t fwmark);
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
 * NET_BATCH_MAX, with one sendmmsg per family (raw IP sockets have no
 * GSO: this saves the system calls, not the per-packet work in the
 * kernel).  Returns how many could not be sent. */
size_t net_send_batch(struct net *n, struct uipsec_buf *const *bufs, size_t count);

#endif
