/* SPDX-License-Identifier: MIT */
/*
 * Inbound TCP coalescing (GRO) for a TUN device opened with IFF_VNET_HDR:
 * consecutive in-order segments of one TCP flow in a batch of decapsulated
 * packets become one super-packet with a virtio_net_hdr, so the kernel's
 * receive path runs once per super-packet instead of once per segment.
 * The rules are Linux's own (tcp_gro_receive, inet_gro_receive,
 * ipv6_gro_receive); the packets are untrusted, every segment's checksums
 * are verified before it is merged, for the kernel trusts a super-packet's
 * (CHECKSUM_PARTIAL).
 */
#ifndef UIPSECD_GRO_H
#define UIPSECD_GRO_H

#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_net.h>

#include "uipsec/uipsec.h"

/* Open super-packets at a time (flows interleaved in one batch: as the
 * kernel's MAX_GRO_SKBS), and segments in one super-packet (64 of 1 KB
 * already reach the 64 KB an IP length field allows). */
#define GRO_FLOWS    8
#define GRO_MAX_SEGS 64

/* Coalesces consecutive in-order TCP segments of one flow among the n inner
 * packets bufs[0..n) (each at base+off, len bytes, in a buffer of cap bytes),
 * in place: a later segment's payload is appended into the buffer of the
 * first segment of its run.  On return bufs[0..k) are the packets to write,
 * k is returned, and hdrs[i] is the virtio_net_hdr to write before bufs[i]
 * (all zero for a packet written as it came).  bufs[k..n) are the buffers
 * whose payload was merged away: bufs is permuted, no buffer is lost.
 * hdrs holds n entries. */
size_t gro_tcp(struct uipsec_buf *bufs, size_t n, struct virtio_net_hdr *hdrs);

#endif
