/* SPDX-License-Identifier: MIT */
#include "gro_ip.h"

#include <string.h>

#include "ip.h"

/* What a packet is to a coalescer of protocol l4. */
enum kind {
    OTHER,  /* touches no flow */
    HIDDEN, /* of l4, or may be, with ports unknown (a later fragment,
               extension headers, a cut header): its addresses' runs end */
    FLOW,   /* of l4 and not merged: its flow's run ends */
    MERGE   /* may be merged, checksums verified */
};

struct gro {
    const struct gro_l4 *l4;
    struct gro_run runs[GRO_FLOWS];
    unsigned clock;
};

uint32_t gro_pseudo_sum(const struct gro_pkt *p, size_t l4_len)
{
    uint32_t sum = (uint32_t)l4_len + p->proto;

    if (p->family == 4)
        return ip_sum_add(sum, p->ip + IPV4_OFF_SRC, 8);
    return ip_sum_add(sum, p->ip + IPV6_OFF_SRC, 32);
}

void gro_finish(struct gro_run *r, uint8_t gso_type, size_t csum_offset)
{
    struct gro_pkt *h = &r->head;
    size_t l4_total = h->l4_len + h->data_len;

    ip_set_length(h->ip, h->family, h->ip_len + l4_total);
    /* CHECKSUM_PARTIAL: the pseudo-header's sum, folded and not
     * complemented (as __tcp_v4_send_check, __tcp_v6_send_check,
     * udp4_hwcsum and udp6_set_csum leave it); the kernel adds the bytes
     * from csum_start */
    put_be16(h->l4 + csum_offset, (uint16_t)~ip_sum_fold(gro_pseudo_sum(h, l4_total)));
    *r->hdr = (struct virtio_net_hdr){
        .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
        .gso_type = gso_type,
        .hdr_len = (uint16_t)(h->ip_len + h->l4_len),
        .gso_size = r->gso_size,
        .csum_start = (uint16_t)h->ip_len,
        .csum_offset = (uint16_t)csum_offset,
    };
}

/* The fixed IP header: version, length, protocol. */
static bool take_ip(struct cursor *c, struct gro_pkt *p)
{
    uint8_t v = 0;

    if (!cursor_peek_u8(c, 0, &v) || (v >> 4 != 4 && v >> 4 != 6))
        return false;
    p->family = v >> 4;
    p->ip_len = p->family == 4 ? (size_t)(v & 0x0f) * 4 : IPV6_HDR_LEN;
    if (p->ip_len < IPV4_HDR_MIN || !cursor_take(c, p->ip_len, &p->ip))
        return false;
    p->proto = p->ip[p->family == 4 ? IPV4_OFF_PROTO : IPV6_OFF_NH];
    return true;
}

/* Whether a packet may carry proto where we cannot see its ports: behind
 * IPv6 extension headers, or in an IPv4 fragment past the first. */
static bool hides_ports(const struct gro_pkt *p, uint8_t proto)
{
    if (p->family == 6)
        return ip_v6_is_option_header(p->proto) || p->proto == IPPROTO_NUM_FRAGMENT;
    return p->proto == proto && (get_be16(p->ip + IPV4_OFF_FRAG) & IPV4_FRAG_MASK);
}

/* An IP header fit to merge: the length field names exactly the rest (no
 * link padding inside a super-packet, no lie), IPv4 without options, with
 * no flag but DF (no fragment; the reserved bit would be lost or copied
 * to every packet the kernel cuts) and with a header checksum we can
 * trust, as inet_gro_receive wants. */
static bool ip_fit(const struct gro_pkt *p, size_t rest)
{
    if (p->family == 6)
        return get_be16(p->ip + IPV6_OFF_PLEN) == rest;
    return p->ip_len == IPV4_HDR_MIN && get_be16(p->ip + IPV4_OFF_TOTAL) == p->ip_len + rest &&
           !(get_be16(p->ip + IPV4_OFF_FRAG) & ~IPV4_DF) && ip_checksum(p->ip, p->ip_len) == 0;
}

static enum kind classify(const struct gro_l4 *l4, const struct uipsec_buf *b, struct gro_pkt *p)
{
    struct cursor c = cursor_make(b->base + b->off, b->len);

    memset(p, 0, sizeof(*p));
    if (!take_ip(&c, p))
        return OTHER;
    if (hides_ports(p, l4->proto) || (p->proto == l4->proto && c.len < 4))
        return HIDDEN;
    if (p->proto != l4->proto)
        return OTHER;
    p->l4 = c.p; /* the ports, at least */
    return ip_fit(p, c.len) && l4->take(&c, p) ? MERGE : FLOW;
}

static bool same_addrs(const struct gro_pkt *a, const struct gro_pkt *b)
{
    if (a->family != b->family)
        return false;
    if (a->family == 4)
        return !memcmp(a->ip + IPV4_OFF_SRC, b->ip + IPV4_OFF_SRC, 8);
    return !memcmp(a->ip + IPV6_OFF_SRC, b->ip + IPV6_OFF_SRC, 32);
}

static struct gro_run *find(struct gro *g, const struct gro_pkt *p)
{
    for (size_t i = 0; i < GRO_FLOWS; i++) {
        struct gro_run *r = &g->runs[i];

        if (r->buf && same_addrs(&r->head, p) && !memcmp(r->head.l4, p->l4, 4))
            return r;
    }
    return NULL;
}

/* A run of one packet stays as it came, its hdr zero. */
static void run_close(struct gro *g, struct gro_run *r)
{
    if (r->count > 1)
        g->l4->close(r);
    r->buf = NULL;
}

/* Ends the runs between the addresses of a packet whose ports we cannot
 * see: it may belong to any of them, and a flow's order is kept. */
static void close_addrs(struct gro *g, const struct gro_pkt *p)
{
    for (size_t i = 0; i < GRO_FLOWS; i++)
        if (g->runs[i].buf && same_addrs(&g->runs[i].head, p))
            run_close(g, &g->runs[i]);
}

/* Opens a run at packet p in buffer b, in a free entry or the oldest
 * one's, which is closed (it only loses its chance to grow). */
static void run_open(struct gro *g, struct uipsec_buf *b, struct virtio_net_hdr *hdr,
                     const struct gro_pkt *p)
{
    struct gro_run *r = &g->runs[0];

    for (size_t i = 0; i < GRO_FLOWS && r->buf; i++)
        if (!g->runs[i].buf || g->runs[i].opened < r->opened)
            r = &g->runs[i];
    if (r->buf)
        run_close(g, r);
    *r = (struct gro_run){
        .buf = b,
        .hdr = hdr,
        .head = *p,
        .gso_size = (uint16_t)p->data_len,
        .count = 1,
        .opened = g->clock++,
    };
}

/* The IP headers agree where inet_gro_receive and ipv6_gro_receive want
 * them to (the addresses did already). */
static bool ip_match(const struct gro_run *r, const struct gro_pkt *p)
{
    const uint8_t *a = r->head.ip, *b = p->ip;
    uint16_t df = get_be16(a + IPV4_OFF_FRAG) & IPV4_DF;

    if (p->family == 6) /* version, traffic class, flow label; hop limit */
        return !memcmp(a, b, 4) && a[IPV6_OFF_HLIM] == b[IPV6_OFF_HLIM];
    if (a[IPV4_OFF_TOS] != b[IPV4_OFF_TOS] || a[IPV4_OFF_TTL] != b[IPV4_OFF_TTL] ||
        df != (get_be16(b + IPV4_OFF_FRAG) & IPV4_DF))
        return false;
    /* IDs count up by one a packet, unless DF says they mean nothing; the
     * kernel numbers the packets it cuts so */
    return df || get_be16(b + IPV4_OFF_ID) == (uint16_t)(get_be16(a + IPV4_OFF_ID) + r->count);
}

/* The grown packet stays within 64 packets, its IP length field and the
 * first packet's buffer. */
static bool fits(const struct gro_run *r, const struct gro_pkt *p)
{
    size_t total = r->buf->len + p->data_len;
    size_t limit = r->head.family == 4 ? IPV4_MAX_TOTAL : IPV6_HDR_LEN + IPV6_MAX_PAYLOAD;

    return r->count < GRO_MAX_SEGS && total <= limit &&
           (uint64_t)r->buf->off + total <= r->buf->cap;
}

/* Appends packet p to run r when it continues it: no larger than the
 * first (the kernel cuts gso_size bytes at a time); a shorter one is the
 * last that can be cut back out, so it ends the run, as a last one does
 * (tcp_gro_receive and udp_gro_receive_segment flush on both). */
static bool run_merge(struct gro *g, struct gro_run *r, const struct gro_pkt *p)
{
    const struct gro_l4 *l4 = g->l4;
    struct gro_pkt *h = &r->head;

    if (p->data_len > r->gso_size || !ip_match(r, p) || (l4->match && !l4->match(r, p)) ||
        !fits(r, p))
        return false;
    memmove(h->data + h->data_len, p->data, p->data_len);
    h->data_len += p->data_len;
    r->buf->len += (uint32_t)p->data_len;
    r->count++;
    if (l4->merged)
        l4->merged(r, p);
    if (p->data_len < r->gso_size || (l4->last && l4->last(p)))
        run_close(g, r);
    return true;
}

/* Takes the packet in b (output slot hdr); true when its payload went into
 * an earlier super-packet.  Whatever is not merged ends its flow's run, so
 * no packet overtakes another of its flow. */
static bool take(struct gro *g, struct uipsec_buf *b, struct virtio_net_hdr *hdr)
{
    static const struct virtio_net_hdr zero;
    const struct gro_l4 *l4 = g->l4;
    struct gro_pkt p;
    enum kind k = classify(l4, b, &p);
    struct gro_run *r;

    /* a packet that already has a hdr (gro_tcp's, for gro_udp) is written
     * as it is; were it of l4, it would still end its flow's run */
    if (k == MERGE && memcmp(hdr, &zero, sizeof(zero)))
        k = FLOW;
    if (k == HIDDEN)
        close_addrs(g, &p);
    if (k != FLOW && k != MERGE)
        return false;
    r = find(g, &p);
    if (k == MERGE && r && run_merge(g, r, &p))
        return true;
    if (r)
        run_close(g, r);
    if (k == MERGE && !(l4->last && l4->last(&p)))
        run_open(g, b, hdr, &p);
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

size_t gro_batch(const struct gro_l4 *l4, struct uipsec_buf *bufs, size_t n,
                 struct virtio_net_hdr *hdrs)
{
    struct gro g;
    size_t k = 0;

    memset(&g, 0, sizeof(g));
    g.l4 = l4;
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
            run_close(&g, &g.runs[i]);
    return k;
}
