/* SPDX-License-Identifier: MIT */
#include "gso.h"

#include <netinet/in.h>
#include <string.h>

#include "ip.h"
#include "wire.h"

#define TCP_OFF_SEQ   4
#define TCP_OFF_FLAGS 13
#define TCP_OFF_CSUM  16
#define UDP_OFF_LEN   4
#define UDP_OFF_CSUM  6
#define TCP_FIN       0x01
#define TCP_PSH       0x08
#define TCP_CWR       0x80

/* Finishes a checksum the kernel left partial: the field at off holds the
 * pseudo-header sum, so the sum from start to the end is the checksum.  A
 * result of 0 is written as all ones, as the kernel does (UDP reads 0 as
 * "no checksum"; for TCP the two are the same number). */
static bool complete_csum(uint8_t *pkt, size_t len, size_t start, size_t off)
{
    uint16_t c;

    if (start >= len || off > len - start || len - start - off < 2)
        return false;
    c = ip_checksum(pkt + start, len - start);
    put_be16(pkt + start + off, c ? c : 0xffff);
    return true;
}

/* Hop-by-hop and destination options go into every segment as they are
 * (the kernel's TSO does the same).  A routing header would change the
 * pseudo-header's destination, and a fragment header has no place in a
 * segment: those, and more than 8 headers, are refused. */
static bool skip_options(struct gso *g)
{
    for (int i = 0; i < 8; i++) {
        size_t hl;

        if (g->proto != IPPROTO_NUM_HOPOPTS && g->proto != IPPROTO_NUM_DSTOPTS)
            return true;
        if (g->len - g->l3 < 8)
            return false;
        hl = ((size_t)g->pkt[g->l3 + 1] + 1) * 8;
        if (hl > g->len - g->l3)
            return false;
        g->proto = g->pkt[g->l3];
        g->l3 += hl;
    }
    return false;
}

/* The IP header at the front of the super-packet: only what the kernel
 * segments itself (no IPv4 fragment; IPv6 options, skip_options), with
 * its lengths matching what was read. */
static bool parse_ip(struct gso *g)
{
    const uint8_t *p = g->pkt;

    if (g->len < IPV4_HDR_MIN)
        return false;
    if (p[0] >> 4 == 4) {
        g->family = 4;
        g->l3 = (size_t)(p[0] & 0x0f) * 4;
        g->proto = p[IPV4_OFF_PROTO];
        return g->l3 >= IPV4_HDR_MIN && g->l3 <= g->len && get_be16(p + IPV4_OFF_TOTAL) == g->len &&
               !(get_be16(p + IPV4_OFF_FRAG) & (IPV4_MF | IPV4_FRAG_MASK));
    }
    if (p[0] >> 4 != 6 || g->len < IPV6_HDR_LEN)
        return false;
    g->family = 6;
    g->l3 = IPV6_HDR_LEN;
    g->proto = p[IPV6_OFF_NH];
    return (size_t)get_be16(p + IPV6_OFF_PLEN) + IPV6_HDR_LEN == g->len && skip_options(g);
}

static bool parse_l4(struct gso *g, uint8_t gso_type)
{
    size_t hl;

    if (gso_type == VIRTIO_NET_HDR_GSO_UDP_L4) {
        if (g->proto != IPPROTO_UDP)
            return false;
        hl = 8;
    } else {
        if (g->proto != IPPROTO_TCP ||
            gso_type != (g->family == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6))
            return false;
        if (g->len - g->l3 < 20)
            return false;
        hl = (size_t)(g->pkt[g->l3 + 12] >> 4) * 4;
        if (hl < 20)
            return false;
    }
    if (hl > g->len - g->l3)
        return false;
    g->l4 = g->l3 + hl;
    return true;
}

enum gso_kind gso_start(struct gso *g, const struct virtio_net_hdr *h, uint8_t *pkt, size_t len)
{
    uint8_t type = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

    memset(g, 0, sizeof(*g));
    g->pkt = pkt;
    g->len = len;
    if (type == VIRTIO_NET_HDR_GSO_NONE) {
        if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
            return GSO_ONE;
        return complete_csum(pkt, len, h->csum_start, h->csum_offset) ? GSO_ONE : GSO_BAD;
    }
    if (!parse_ip(g) || !parse_l4(g, type) || h->gso_size == 0)
        return GSO_BAD;
    g->seg = h->gso_size;
    if (len - g->l4 > g->seg)
        return GSO_MANY;
    /* Fits one segment already: only the checksum is left to do. */
    return complete_csum(pkt, len, g->l3, g->proto == IPPROTO_TCP ? TCP_OFF_CSUM : UDP_OFF_CSUM)
               ? GSO_ONE
               : GSO_BAD;
}

/* The TCP or UDP checksum of the segment at p (l4_len bytes from l4_off),
 * from scratch: pseudo-header (RFC 9293 3.1, RFC 8200 8.1), header, data. */
static void l4_checksum(const struct gso *g, uint8_t *p, size_t l4_len)
{
    uint8_t *l4 = p + g->l3;
    size_t csum_at = g->proto == IPPROTO_TCP ? TCP_OFF_CSUM : UDP_OFF_CSUM;
    uint32_t sum = (uint32_t)l4_len + g->proto;
    uint16_t c;

    sum = g->family == 4 ? ip_sum_add(sum, p + IPV4_OFF_SRC, 8)
                         : ip_sum_add(sum, p + IPV6_OFF_SRC, 32);
    put_be16(l4 + csum_at, 0);
    c = ip_sum_fold(ip_sum_add(sum, l4, l4_len));
    put_be16(l4 + csum_at, c || g->proto == IPPROTO_TCP ? c : 0xffff);
}

/* What differs from segment to segment in the headers: lengths, the IPv4
 * ID (consecutive, as the kernel's TSO makes them), the TCP sequence number
 * and the flags that belong to the first (CWR) or last (FIN, PSH) only. */
static void fix_headers(const struct gso *g, uint8_t *p, size_t n, bool last)
{
    uint8_t *l4 = p + g->l3;

    if (g->family == 4) {
        put_be16(p + IPV4_OFF_ID, (uint16_t)(get_be16(g->pkt + IPV4_OFF_ID) + g->index));
        put_be16(p + IPV4_OFF_TOTAL, (uint16_t)n);
        put_be16(p + IPV4_OFF_CSUM, 0);
        put_be16(p + IPV4_OFF_CSUM, ip_checksum(p, g->l3));
    } else {
        put_be16(p + IPV6_OFF_PLEN, (uint16_t)(n - IPV6_HDR_LEN));
    }
    if (g->proto == IPPROTO_UDP) {
        put_be16(l4 + UDP_OFF_LEN, (uint16_t)(n - g->l3));
        return;
    }
    put_be32(l4 + TCP_OFF_SEQ, get_be32(g->pkt + g->l3 + TCP_OFF_SEQ) + (uint32_t)g->at);
    if (!last)
        l4[TCP_OFF_FLAGS] &= (uint8_t) ~(TCP_FIN | TCP_PSH);
    if (g->index)
        l4[TCP_OFF_FLAGS] &= (uint8_t)~TCP_CWR;
}

size_t gso_next(struct gso *g, uint8_t *out, size_t room)
{
    size_t left = g->len - g->l4 - g->at;
    size_t take = left < g->seg ? left : g->seg;
    size_t n = g->l4 + take;

    if (g->l4 + g->at >= g->len || n > room)
        return 0;
    memcpy(out, g->pkt, g->l4);
    memcpy(out + g->l4, g->pkt + g->l4 + g->at, take);
    fix_headers(g, out, n, take == left);
    l4_checksum(g, out, n - g->l3);
    g->at += take;
    g->index++;
    return n;
}
