/* SPDX-License-Identifier: MIT */
#ifndef UIPSECD_GSO_H
#define UIPSECD_GSO_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5 /* USO (Linux 6.2); Debian 12's headers predate it */
#endif

/*
 * Cutting what the TUN device hands over with IFF_VNET_HDR into packets the
 * engine can protect.  With TSO (and USO) on, the kernel's TCP and UDP pass
 * one super-packet of up to 64 KB and a virtio_net_hdr saying how to cut
 * it; segmenting it here costs one read instead of ~45, and the kernel's
 * stack runs once per super-packet.  Checksums are partial (the kernel left
 * the pseudo-header sum for the "device" to finish), so every packet that
 * leaves here has its checksum completed.
 */

/* A super-packet being cut: gso_next writes its segments one by one. */
struct gso {
    uint8_t *pkt;
    size_t len;
    size_t l3, l4;  /* bytes of IP header; of IP and TCP/UDP header */
    uint8_t family; /* 4 or 6 */
    uint8_t proto;  /* IPPROTO_TCP or IPPROTO_UDP */
    size_t seg;     /* payload bytes per segment (the kernel's gso_size) */
    size_t at;      /* payload offset of the next segment */
    uint16_t index; /* number of the next segment */
};

enum gso_kind {
    GSO_BAD = -1, /* malformed: header and packet disagree; dropped */
    GSO_ONE,      /* a single packet, checksum completed in place */
    GSO_MANY      /* cut it with gso_next */
};

/* Checks the header h and packet pkt[0, len) the TUN device gave and
 * prepares their segments in g. */
enum gso_kind gso_start(struct gso *g, const struct virtio_net_hdr *h, uint8_t *pkt, size_t len);

/* Writes the next segment of g to out (room bytes, enough for the IP and
 * TCP/UDP header plus g->seg); returns its length, or 0 when every segment
 * was written. */
size_t gso_next(struct gso *g, uint8_t *out, size_t room);

#endif
