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

struct net {
    int rx[NET_RX_COUNT]; /* -1 when not open */
    int tx4, tx6;
    uint16_t udp_port;
};

/* Opens the sockets; IPv6 ones only where the host has IPv6.  Packets sent
 * carry fwmark (routes.h: they bypass the tunnel's routing table).  Returns 0 or
 * -1 with a message already logged. */
int net_open(struct net *n, uint16_t udp_port, uint32_t fwmark);
void net_close(struct net *n);

/* Receives one packet from socket `which` into b (b->off is set to leave
 * headroom).  Returns 1 with a packet, 0 when the socket has no more, -1 on
 * error. */
int net_recv(struct net *n, enum net_rx which, struct uipsec_buf *b);

/* Sends an RFC 3948 NAT-keepalive (one 0xff byte) from the UDP port to
 * the peer's port 4500. */
int net_send_keepalive(struct net *n, const struct uipsec_addr *peer);

/* Sends a full outer IP packet to the destination in its header. */
int net_send(struct net *n, const uint8_t *pkt, size_t len);

#endif
