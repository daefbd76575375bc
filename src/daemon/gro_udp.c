/* SPDX-License-Identifier: MIT */
#include "gro_udp.h"

#include <stdbool.h>
#include <string.h>

#include "cursor.h"
#include "gso.h" /* VIRTIO_NET_HDR_GSO_UDP_L4, missing from older headers */
#include "ip.h"

#define UDP_HDR_LEN  8
#define UDP_OFF_LEN  4
#define UDP_OFF_CSUM 6

/* What a packet is to the coalescer. */
enum kind {
    NOT_UDP,   /* touches no flow */
    MAYBE_UDP, /* UDP, or may be, with ports unknown (a later fragment,
                  extension headers, a cut header): its addresses' runs end */
    UDP,       /* a UDP packet that is not merged: its flow's run ends */
    DATAGRAM   /* a datagram that may be merged, checksums verified */
};

/* A packet's parts, taken through the cursor. */
struct dgram {
    uint8_t family; /* 4 or 6 */
    uint8_t proto;
    uint8_t *ip, *udp; /* udp: NULL unless the ports were readable */
    size_t ip_len, data_len;
};

/* An open super-packet: its first datagram's buffer, which later
 * datagrams' payloads are appended to. */
struct run {
    struct uipsec_buf *buf; /* NULL: the entry is free */
    struct virtio_net_hdr *hdr;
    struct dgram head; /* ip/udp point into buf; data_len: all payload so far */
    uint16_t gso_size, count;
    unsigned opened; /* age, for eviction when the table is full */
};

struct gro {
    struct run runs[GRO_FLOWS];
    unsigned clock;
};

/* The UDP pseudo-header's sum (RFC 768, RFC 8200 8.1) for udp_len bytes. */
static uint32_t pseudo_sum(const struct dgram *d, size_t udp_len)
{
    uint32_t sum = (uint32_t)udp_len + IPPROTO_NUM_UDP;

    if (d->family == 4)
        return ip_sum_add(sum, d->ip + IPV4_OFF_SRC, 8);
    return ip_sum_add(sum, d->ip + IPV6_OFF_SRC, 32);
}

/* The fixed IP header: version, length, protocol. */
static bool take_ip(struct cursor *c, struct dgram *d)
{
    uint8_t v = 0;

    if (!cursor_peek_u8(c, 0, &v) || (v >> 4 != 4 && v >> 4 != 6))
        return false;
    d->family = v >> 4;
    d->ip_len = d->family == 4 ? (size_t)(v & 0x0f) * 4 : IPV6_HDR_LEN;
    if (d->ip_len < IPV4_HDR_MIN || !cursor_take(c, d->ip_len, &d->ip))
        return false;
    d->proto = d->ip[d->family == 4 ? IPV4_OFF_PROTO : IPV6_OFF_NH];
    return true;
}

/* Whether a packet may carry UDP where we cannot see its ports: behind
 * IPv6 extension headers, or in an IPv4 fragment past the first. */
static bool hides_ports(const struct dgram *d)
{
    if (d->family == 6)
        return ip_v6_is_option_header(d->proto) || d->proto == IPPROTO_NUM_FRAGMENT;
    return d->proto == IPPROTO_NUM_UDP && (get_be16(d->ip + IPV4_OFF_FRAG) & IPV4_FRAG_MASK);
}

/* An IP header fit to merge: the length field names exactly the rest (no
 * link padding inside a super-packet, no lie), IPv4 without options, with
 * no flag but DF (no fragment; the reserved bit would be lost or copied
 * to every datagram) and with a header checksum we can trust, as
 * inet_gro_receive wants. */
static bool ip_fit(const struct dgram *d, size_t rest)
{
    if (d->family == 6)
        return get_be16(d->ip + IPV6_OFF_PLEN) == rest;
    return d->ip_len == IPV4_HDR_MIN && get_be16(d->ip + IPV4_OFF_TOTAL) == d->ip_len + rest &&
           !(get_be16(d->ip + IPV4_OFF_FRAG) & ~IPV4_DF) && ip_checksum(d->ip, d->ip_len) == 0;
}

/* The UDP header and payload of a datagram fit to merge: a length field
 * that names exactly what the IP length leaves (udp_gro_receive_segment
 * takes no padded datagram either), data, and a correct checksum, for the
 * kernel trusts a super-packet's (CHECKSUM_PARTIAL): a corrupt datagram
 * must never be laundered into one.  Over IPv4 zero means no checksum:
 * the kernel computes one for each datagram it cuts, and a receiver takes
 * that as it takes none.  Over IPv6 zero is invalid (RFC 8200 8.1): the
 * datagram goes alone, for the kernel to drop. */
static bool take_udp(struct cursor *c, struct dgram *d)
{
    size_t udp_len = c->len;
    uint16_t csum;

    if (!cursor_take(c, UDP_HDR_LEN, &d->udp))
        return false;
    d->data_len = c->len;
    csum = get_be16(d->udp + UDP_OFF_CSUM);
    if (get_be16(d->udp + UDP_OFF_LEN) != udp_len || d->data_len == 0)
        return false;
    if (csum == 0)
        return d->family == 4;
    return ip_sum_fold(ip_sum_add(pseudo_sum(d, udp_len), d->udp, udp_len)) == 0;
}

static enum kind classify(const struct uipsec_buf *b, struct dgram *d)
{
    struct cursor c = cursor_make(b->base + b->off, b->len);

    memset(d, 0, sizeof(*d));
    if (!take_ip(&c, d))
        return NOT_UDP;
    if (hides_ports(d) || (d->proto == IPPROTO_NUM_UDP && c.len < 4))
        return MAYBE_UDP;
    if (d->proto != IPPROTO_NUM_UDP)
        return NOT_UDP;
    d->udp = c.p; /* the ports, at least */
    return ip_fit(d, c.len) && take_udp(&c, d) ? DATAGRAM : UDP;
}

static bool same_addrs(const struct dgram *a, const struct dgram *b)
{
    if (a->family != b->family)
        return false;
    if (a->family == 4)
        return !memcmp(a->ip + IPV4_OFF_SRC, b->ip + IPV4_OFF_SRC, 8);
    return !memcmp(a->ip + IPV6_OFF_SRC, b->ip + IPV6_OFF_SRC, 32);
}

static struct run *find(struct gro *g, const struct dgram *d)
{
    for (size_t i = 0; i < GRO_FLOWS; i++) {
        struct run *r = &g->runs[i];

        if (r->buf && same_addrs(&r->head, d) && !memcmp(r->head.udp, d->udp, 4))
            return r;
    }
    return NULL;
}

/* Writes a super-packet's lengths, checksums and virtio_net_hdr; a run of
 * one datagram stays as it came, its hdr zero. */
static void run_close(struct run *r)
{
    struct dgram *h = &r->head;
    size_t udp_total = UDP_HDR_LEN + h->data_len;

    if (r->count > 1) {
        ip_set_length(h->ip, h->family, h->ip_len + udp_total);
        /* the whole super-packet's length: __udp_gso_segment derives each
         * datagram's from it and gso_size */
        put_be16(h->udp + UDP_OFF_LEN, (uint16_t)udp_total);
        /* CHECKSUM_PARTIAL: the pseudo-header's sum, folded and not
         * complemented (as udp4_hwcsum and udp6_set_csum leave it); the
         * kernel adds the bytes from csum_start */
        put_be16(h->udp + UDP_OFF_CSUM, (uint16_t)~ip_sum_fold(pseudo_sum(h, udp_total)));
        *r->hdr = (struct virtio_net_hdr){
            .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
            .gso_type = VIRTIO_NET_HDR_GSO_UDP_L4,
            .hdr_len = (uint16_t)(h->ip_len + UDP_HDR_LEN),
            .gso_size = r->gso_size,
            .csum_start = (uint16_t)h->ip_len,
            .csum_offset = UDP_OFF_CSUM,
        };
    }
    r->buf = NULL;
}

/* Ends the runs between the addresses of a packet whose ports we cannot
 * see: it may belong to any of them, and a flow's order is kept. */
static void close_addrs(struct gro *g, const struct dgram *d)
{
    for (size_t i = 0; i < GRO_FLOWS; i++)
        if (g->runs[i].buf && same_addrs(&g->runs[i].head, d))
            run_close(&g->runs[i]);
}

/* Opens a run at datagram d in buffer b, in a free entry or the oldest
 * one's, which is closed (it only loses its chance to grow). */
static void run_open(struct gro *g, struct uipsec_buf *b, struct virtio_net_hdr *hdr,
                     const struct dgram *d)
{
    struct run *r = &g->runs[0];

    for (size_t i = 0; i < GRO_FLOWS && r->buf; i++)
        if (!g->runs[i].buf || g->runs[i].opened < r->opened)
            r = &g->runs[i];
    if (r->buf)
        run_close(r);
    *r = (struct run){
        .buf = b,
        .hdr = hdr,
        .head = *d,
        .gso_size = (uint16_t)d->data_len,
        .count = 1,
        .opened = g->clock++,
    };
}

/* The IP headers agree where inet_gro_receive and ipv6_gro_receive want
 * them to (the addresses did already). */
static bool ip_match(const struct run *r, const struct dgram *d)
{
    const uint8_t *a = r->head.ip, *b = d->ip;
    uint16_t df = get_be16(a + IPV4_OFF_FRAG) & IPV4_DF;

    if (d->family == 6) /* version, traffic class, flow label; hop limit */
        return !memcmp(a, b, 4) && a[IPV6_OFF_HLIM] == b[IPV6_OFF_HLIM];
    if (a[IPV4_OFF_TOS] != b[IPV4_OFF_TOS] || a[IPV4_OFF_TTL] != b[IPV4_OFF_TTL] ||
        df != (get_be16(b + IPV4_OFF_FRAG) & IPV4_DF))
        return false;
    /* IDs count up by one a datagram, unless DF says they mean nothing;
     * the kernel numbers the datagrams it cuts so */
    return df || get_be16(b + IPV4_OFF_ID) == (uint16_t)(get_be16(a + IPV4_OFF_ID) + r->count);
}

/* The grown packet stays within 64 datagrams, its IP length field and the
 * first datagram's buffer. */
static bool fits(const struct run *r, const struct dgram *d)
{
    size_t total = r->buf->len + d->data_len;
    size_t limit = r->head.family == 4 ? IPV4_MAX_TOTAL : IPV6_HDR_LEN + IPV6_MAX_PAYLOAD;

    return r->count < GRO_MAX_SEGS && total <= limit &&
           (uint64_t)r->buf->off + total <= r->buf->cap;
}

/* Appends datagram d to run r when it continues it: no larger than the
 * first (the kernel cuts gso_size bytes at a time); a shorter one is the
 * last that can be cut back out, so it ends the run. */
static bool run_merge(struct run *r, const struct dgram *d)
{
    struct dgram *h = &r->head;

    if (d->data_len > r->gso_size || !ip_match(r, d) || !fits(r, d))
        return false;
    memmove(h->udp + UDP_HDR_LEN + h->data_len, d->udp + UDP_HDR_LEN, d->data_len);
    h->data_len += d->data_len;
    r->buf->len += (uint32_t)d->data_len;
    r->count++;
    if (d->data_len < r->gso_size)
        run_close(r);
    return true;
}

/* Takes the packet in b (output slot hdr); true when its payload went into
 * an earlier super-packet.  Whatever is not merged ends its flow's run, so
 * no datagram overtakes another of its flow. */
static bool take(struct gro *g, struct uipsec_buf *b, struct virtio_net_hdr *hdr)
{
    static const struct virtio_net_hdr zero;
    struct dgram d;
    enum kind k = classify(b, &d);
    struct run *r;

    /* a packet that already has a hdr (gro_tcp's) is written as it is;
     * were it UDP, it would still end its flow's run */
    if (k == DATAGRAM && memcmp(hdr, &zero, sizeof(zero)))
        k = UDP;
    if (k == MAYBE_UDP)
        close_addrs(g, &d);
    if (k != UDP && k != DATAGRAM)
        return false;
    r = find(g, &d);
    if (k == DATAGRAM && r && run_merge(r, &d))
        return true;
    if (r)
        run_close(r);
    if (k == DATAGRAM)
        run_open(g, b, hdr, &d);
    return false;
}

static void swap(struct uipsec_buf *bufs, struct virtio_net_hdr *hdrs, size_t a, size_t b)
{
    struct uipsec_buf t = bufs[a];
    struct virtio_net_hdr h = hdrs[a];

    bufs[a] = bufs[b];
    bufs[b] = t;
    hdrs[a] = hdrs[b];
    hdrs[b] = h;
}

size_t gro_udp(struct uipsec_buf *bufs, size_t n, struct virtio_net_hdr *hdrs)
{
    struct gro g;
    size_t k = 0;

    memset(&g, 0, sizeof(g));
    for (size_t i = 0; i < n; i++) {
        /* bufs[k] is where the packet goes if it stays, its hdr with it;
         * slots before k, which runs point at, are never moved again */
        swap(bufs, hdrs, k, i);
        if (take(&g, &bufs[k], &hdrs[k]))
            swap(bufs, hdrs, k, i); /* merged: its buffer goes back */
        else
            k++;
    }
    for (size_t i = 0; i < GRO_FLOWS; i++)
        if (g.runs[i].buf)
            run_close(&g.runs[i]);
    return k;
}
