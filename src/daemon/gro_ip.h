/* SPDX-License-Identifier: MIT */
/*
 * What the TCP and UDP coalescers (gro.c, gro_udp.c) share: Linux's IP
 * rules for packets merged into a super-packet (inet_gro_receive,
 * ipv6_gro_receive), the table of open runs, one per flow, and the walk
 * over a batch that keeps every buffer.  A coalescer gives only what is
 * its protocol's, in a struct gro_l4, as the kernel's net_offload does.
 */
#ifndef UIPSECD_GRO_IP_H
#define UIPSECD_GRO_IP_H

#include <stdbool.h>

#include "cursor.h"
#include "gro.h"

/* A packet's parts, taken through the cursor. */
struct gro_pkt {
    uint8_t family; /* 4 or 6 */
    uint8_t proto;
    uint8_t *ip, *l4, *data; /* l4: NULL unless the ports were readable */
    size_t ip_len, l4_len, data_len;
};

/* An open super-packet: its first packet's buffer, which later packets'
 * payloads are appended to. */
struct gro_run {
    struct uipsec_buf *buf; /* NULL: the entry is free */
    struct virtio_net_hdr *hdr;
    struct gro_pkt head; /* points into buf; data_len: all payload so far */
    uint16_t gso_size, count;
    unsigned opened; /* age, for eviction when the table is full */
};

/* A coalescer's protocol. */
struct gro_l4 {
    uint8_t proto; /* the IP protocol number */
    /* Takes the header and payload after the IP header into p (l4, l4_len,
     * data, data_len); true when the packet may be merged, its checksum
     * verified: the kernel trusts a super-packet's (CHECKSUM_PARTIAL). */
    bool (*take)(struct cursor *c, struct gro_pkt *p);
    /* Whether p's header continues the run (IP, flow, sizes and room are
     * checked already); NULL: any does. */
    bool (*match)(const struct gro_run *r, const struct gro_pkt *p);
    /* Copies into the run's header what the super-packet must carry of p,
     * just appended; NULL: nothing. */
    void (*merged)(struct gro_run *r, const struct gro_pkt *p);
    /* Whether p ends its burst: nothing is appended after it and it opens
     * no run; NULL: none does. */
    bool (*last)(const struct gro_pkt *p);
    /* Ends a run of several packets: its header fields, then gro_finish. */
    void (*close)(struct gro_run *r);
};

/* The pseudo-header's sum for l4_len bytes of p's protocol (RFC 768,
 * RFC 793, RFC 8200 8.1). */
uint32_t gro_pseudo_sum(const struct gro_pkt *p, size_t l4_len);

/* Writes a run's IP length, its partial checksum at csum_offset in the
 * transport header and its hdr, for the kernel to cut gso_type packets of
 * gso_size bytes back out. */
void gro_finish(struct gro_run *r, uint8_t gso_type, size_t csum_offset);

/* gro_tcp's and gro_udp's contract, for the protocol l4: packets with a
 * nonzero hdrs[i] keep their bytes and hdr. */
size_t gro_batch(const struct gro_l4 *l4, struct uipsec_buf *bufs, size_t n,
                 struct virtio_net_hdr *hdrs);

#endif
