/* SPDX-License-Identifier: MIT */
/*
 * Inbound UDP coalescing for a TUN device opened with IFF_VNET_HDR and USO:
 * consecutive datagrams of one UDP flow in a batch of decapsulated packets
 * become one super-packet (VIRTIO_NET_HDR_GSO_UDP_L4), which the kernel
 * splits back into the same datagrams, so its stack is walked once per
 * super-packet.  The rules are Linux's plain UDP GRO (udp_gro_receive,
 * udp4_gro_receive, udp6_gro_receive, not fraglist); the packets are
 * untrusted and each datagram's checksum is verified before it is merged,
 * for the kernel trusts a super-packet's (CHECKSUM_PARTIAL).
 */
#ifndef UIPSECD_GRO_UDP_H
#define UIPSECD_GRO_UDP_H

#include "gro.h"

/* Coalesces consecutive datagrams of one UDP flow among bufs[0..n) that
 * have hdrs[i] all zero (packets gro_tcp left as they came), in place, into
 * USO super-packets (VIRTIO_NET_HDR_GSO_UDP_L4, which the kernel splits
 * back into the same datagrams); same contract as gro_tcp: bufs[0..k) are
 * to be written with hdrs[0..k), bufs permuted, no buffer lost, order kept
 * within a flow.  A packet with a nonzero hdr (a TCP super-packet) keeps
 * its bytes and its hdr.  At most GRO_FLOWS open flows, GRO_MAX_SEGS
 * datagrams and 64 KB of IP packet in one super-packet. */
size_t gro_udp(struct uipsec_buf *bufs, size_t n, struct virtio_net_hdr *hdrs);

#endif
