/* SPDX-License-Identifier: MIT */
#include "gro.h"

#include <stdbool.h>
#include <string.h>

#include "cursor.h"
#include "ip.h"

#define IPPROTO_NUM_TCP    6
#define IPPROTO_NUM_ICMPV6 58
#define TCP_HDR_MIN        20
#define TCP_OFF_SEQ        4
#define TCP_OFF_ACK        8
#define TCP_OFF_DOFF       12
#define TCP_OFF_FLAGS      13
#define TCP_OFF_WINDOW     14
#define TCP_OFF_CSUM       16
#define TCP_PSH            0x08
#define TCP_ACK            0x10

/* What a packet is to the coalescer. */
enum kind {
    NOT_TCP,   /* touches no flow */
    MAYBE_TCP, /* TCP, or may be, with ports unknown (a fragment, extension
                  headers, a cut header): its addresses' flows are closed */
    TCP,       /* a TCP packet that is not merged: its flow is closed */
    SEGMENT    /* a TCP segment that may be merged, checksums verified */
};

/* A packet's parts, taken through the cursor. */
struct seg {
    uint8_t family; /* 4 or 6 */
    uint8_t proto;
    uint8_t *ip, *tcp, *data; /* tcp: NULL unless the ports were readable */
    size_t ip_len, tcp_len, data_len;
};

/* An open super-packet: its first segment's buffer, which later segments'
 * payloads are appended to. */
struct run {
    struct uipsec_buf *buf; /* NULL: the entry is free */
    struct virtio_net_hdr *hdr;
    struct seg head; /* ip/tcp point into buf; data_len: all payload so far */
    uint32_t next_seq;
    uint16_t gso_size, segs;
    unsigned opened; /* age, for eviction when the table is full */
};

struct gro {
    struct run runs[GRO_FLOWS];
    unsigned clock;
};

/* The TCP pseudo-header's sum (RFC 793, RFC 8200 8.1) for tcp_len bytes. */
static uint32_t pseudo_sum(const struct seg *s, size_t tcp_len)
{
    uint32_t sum = (uint32_t)tcp_len + IPPROTO_NUM_TCP;

    if (s->family == 4)
        return ip_sum_add(sum, s->ip + IPV4_OFF_SRC, 8);
    return ip_sum_add(sum, s->ip + IPV6_OFF_SRC, 32);
}

/* The fixed IP header: version, length, protocol. */
static bool take_ip(struct cursor *c, struct seg *s)
{
    uint8_t v = 0;

    if (!cursor_peek_u8(c, 0, &v) || (v >> 4 != 4 && v >> 4 != 6))
        return false;
    s->family = v >> 4;
    s->ip_len = s->family == 4 ? (size_t)(v & 0x0f) * 4 : IPV6_HDR_LEN;
    if (s->ip_len < IPV4_HDR_MIN || !cursor_take(c, s->ip_len, &s->ip))
        return false;
    s->proto = s->ip[s->family == 4 ? IPV4_OFF_PROTO : IPV6_OFF_NH];
    return true;
}

/* Whether a packet of ours may carry TCP where we cannot see its ports:
 * behind IPv6 extension headers, or in an IPv4 fragment past the first. */
static bool hides_ports(const struct seg *s)
{
    if (s->family == 6)
        return ip_v6_is_option_header(s->proto) || s->proto == IPPROTO_NUM_FRAGMENT;
    return s->proto == IPPROTO_NUM_TCP && (get_be16(s->ip + IPV4_OFF_FRAG) & IPV4_FRAG_MASK);
}

/* An IP header fit to merge: the length field names exactly the rest
 * (a shorter one would leave link padding inside a super-packet, a longer
 * one lies); IPv4 without options or fragmentation and with a header
 * checksum we can trust, as inet_gro_receive wants. */
static bool ip_fit(const struct seg *s, size_t rest)
{
    if (s->family == 6)
        return get_be16(s->ip + IPV6_OFF_PLEN) == rest;
    return s->ip_len == IPV4_HDR_MIN && get_be16(s->ip + IPV4_OFF_TOTAL) == s->ip_len + rest &&
           !(get_be16(s->ip + IPV4_OFF_FRAG) & (IPV4_MF | IPV4_FRAG_MASK)) &&
           ip_checksum(s->ip, s->ip_len) == 0;
}

/* The TCP header and payload of a segment fit to merge: ACK, maybe PSH,
 * nothing else (SYN, FIN, RST, URG, ECE, CWR and the reserved bits end a
 * run, as in tcp_gro_receive), data, and a correct checksum: the kernel
 * trusts a super-packet's (CHECKSUM_PARTIAL), so a corrupt segment must
 * never be laundered into one. */
static bool take_tcp(struct cursor *c, struct seg *s)
{
    uint8_t doff = 0;
    size_t n;

    if (!cursor_peek_u8(c, TCP_OFF_DOFF, &doff) || (doff & 0x0f))
        return false;
    s->tcp_len = (size_t)(doff >> 4) * 4;
    if (s->tcp_len < TCP_HDR_MIN || !cursor_take(c, s->tcp_len, &s->tcp))
        return false;
    s->data = c->p;
    s->data_len = c->len;
    if ((s->tcp[TCP_OFF_FLAGS] & ~TCP_PSH) != TCP_ACK || s->data_len == 0)
        return false;
    n = s->tcp_len + s->data_len;
    return ip_sum_fold(ip_sum_add(pseudo_sum(s, n), s->tcp, n)) == 0;
}

static enum kind classify(const struct uipsec_buf *b, struct seg *s)
{
    struct cursor c = cursor_make(b->base + b->off, b->len);

    memset(s, 0, sizeof(*s));
    if (!take_ip(&c, s))
        return NOT_TCP;
    if (hides_ports(s) || (s->proto == IPPROTO_NUM_TCP && c.len < 4))
        return MAYBE_TCP;
    if (s->proto != IPPROTO_NUM_TCP)
        return NOT_TCP;
    s->tcp = c.p; /* the ports, at least */
    return ip_fit(s, c.len) && take_tcp(&c, s) ? SEGMENT : TCP;
}

static bool same_addrs(const struct seg *a, const struct seg *b)
{
    if (a->family != b->family)
        return false;
    if (a->family == 4)
        return !memcmp(a->ip + IPV4_OFF_SRC, b->ip + IPV4_OFF_SRC, 8);
    return !memcmp(a->ip + IPV6_OFF_SRC, b->ip + IPV6_OFF_SRC, 32);
}

static struct run *find(struct gro *g, const struct seg *s)
{
    for (size_t i = 0; i < GRO_FLOWS; i++) {
        struct run *r = &g->runs[i];

        if (r->buf && same_addrs(&r->head, s) && !memcmp(r->head.tcp, s->tcp, 4))
            return r;
    }
    return NULL;
}

/* Writes a super-packet's lengths, checksums and virtio_net_hdr; a run of
 * one segment stays as it came, its hdr zero. */
static void run_close(struct run *r)
{
    struct seg *h = &r->head;
    size_t tcp_total = h->tcp_len + h->data_len;

    if (r->segs > 1) {
        ip_set_length(h->ip, h->family, h->ip_len + tcp_total);
        /* CHECKSUM_PARTIAL: the pseudo-header's sum, folded and not
         * complemented (as the kernel's __tcp_v4_send_check and
         * __tcp_v6_send_check); the kernel adds the bytes from csum_start */
        put_be16(h->tcp + TCP_OFF_CSUM, (uint16_t)~ip_sum_fold(pseudo_sum(h, tcp_total)));
        *r->hdr = (struct virtio_net_hdr){
            .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
            .gso_type = h->family == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6,
            .hdr_len = (uint16_t)(h->ip_len + h->tcp_len),
            .gso_size = r->gso_size,
            .csum_start = (uint16_t)h->ip_len,
            .csum_offset = TCP_OFF_CSUM,
        };
    }
    r->buf = NULL;
}

/* Ends the runs between the addresses of a packet whose ports we cannot
 * see: it may belong to any of them, and a flow's order is kept. */
static void close_addrs(struct gro *g, const struct seg *s)
{
    for (size_t i = 0; i < GRO_FLOWS; i++)
        if (g->runs[i].buf && same_addrs(&g->runs[i].head, s))
            run_close(&g->runs[i]);
}

/* Opens a run at segment s in buffer b, in a free entry or the oldest
 * one's, which is closed (it only loses its chance to grow). */
static void run_open(struct gro *g, struct uipsec_buf *b, struct virtio_net_hdr *hdr,
                     const struct seg *s)
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
        .head = *s,
        .next_seq = get_be32(s->tcp + TCP_OFF_SEQ) + (uint32_t)s->data_len,
        .gso_size = (uint16_t)s->data_len,
        .segs = 1,
        .opened = g->clock++,
    };
}

/* The IP headers agree where inet_gro_receive and ipv6_gro_receive want
 * them to (the addresses did already). */
static bool ip_match(const struct run *r, const struct seg *s)
{
    const uint8_t *a = r->head.ip, *b = s->ip;
    uint16_t df = get_be16(a + IPV4_OFF_FRAG) & IPV4_DF;

    if (s->family == 6) /* version, traffic class, flow label; hop limit */
        return !memcmp(a, b, 4) && a[IPV6_OFF_HLIM] == b[IPV6_OFF_HLIM];
    if (a[IPV4_OFF_TOS] != b[IPV4_OFF_TOS] || a[IPV4_OFF_TTL] != b[IPV4_OFF_TTL] ||
        df != (get_be16(b + IPV4_OFF_FRAG) & IPV4_DF))
        return false;
    /* IDs count up by one a segment, unless DF says they mean nothing */
    return df || get_be16(b + IPV4_OFF_ID) == (uint16_t)(get_be16(a + IPV4_OFF_ID) + r->segs);
}

/* The segment continues the run: same header length, options and ACK,
 * the next sequence number, no more data than the first segment had. */
static bool tcp_match(const struct run *r, const struct seg *s)
{
    const struct seg *h = &r->head;

    return s->tcp_len == h->tcp_len &&
           !memcmp(h->tcp + TCP_HDR_MIN, s->tcp + TCP_HDR_MIN, s->tcp_len - TCP_HDR_MIN) &&
           !memcmp(h->tcp + TCP_OFF_ACK, s->tcp + TCP_OFF_ACK, 4) &&
           get_be32(s->tcp + TCP_OFF_SEQ) == r->next_seq && s->data_len <= r->gso_size;
}

/* The grown packet stays within 64 segments, its IP length field and the
 * first segment's buffer. */
static bool fits(const struct run *r, const struct seg *s)
{
    size_t total = r->buf->len + s->data_len;
    size_t limit = r->head.family == 4 ? IPV4_MAX_TOTAL : IPV6_HDR_LEN + IPV6_MAX_PAYLOAD;

    return r->segs < GRO_MAX_SEGS && total <= limit && (uint64_t)r->buf->off + total <= r->buf->cap;
}

/* Appends segment s to run r when it continues it; a short or PSH segment
 * ends the run, as it ends a burst (tcp_gro_receive flushes on both). */
static bool run_merge(struct run *r, const struct seg *s)
{
    struct seg *h = &r->head;

    if (!ip_match(r, s) || !tcp_match(r, s) || !fits(r, s))
        return false;
    memmove(h->data + h->data_len, s->data, s->data_len);
    h->data_len += s->data_len;
    r->buf->len += (uint32_t)s->data_len;
    r->next_seq += (uint32_t)s->data_len;
    r->segs++;
    /* the receiver acts on the newest window, and on the last PSH */
    memcpy(h->tcp + TCP_OFF_WINDOW, s->tcp + TCP_OFF_WINDOW, 2);
    h->tcp[TCP_OFF_FLAGS] = s->tcp[TCP_OFF_FLAGS];
    if (s->data_len < r->gso_size || (s->tcp[TCP_OFF_FLAGS] & TCP_PSH))
        run_close(r);
    return true;
}

/* Takes the packet in b (output slot hdr); true when its payload went into
 * an earlier super-packet.  Whatever is not merged ends its flow's run, so
 * no segment overtakes another of its flow. */
static bool take(struct gro *g, struct uipsec_buf *b, struct virtio_net_hdr *hdr)
{
    struct seg s;
    enum kind k = classify(b, &s);
    struct run *r;

    if (k == MAYBE_TCP)
        close_addrs(g, &s);
    if (k != TCP && k != SEGMENT)
        return false;
    r = find(g, &s);
    if (k == SEGMENT && r && run_merge(r, &s))
        return true;
    if (r)
        run_close(r);
    /* a first segment with PSH goes alone, as in tcp_gro_receive */
    if (k == SEGMENT && !(s.tcp[TCP_OFF_FLAGS] & TCP_PSH))
        run_open(g, b, hdr, &s);
    return false;
}

static void swap(struct uipsec_buf *a, struct uipsec_buf *b)
{
    struct uipsec_buf t = *a;

    *a = *b;
    *b = t;
}

size_t gro_tcp(struct uipsec_buf *bufs, size_t n, struct virtio_net_hdr *hdrs)
{
    struct gro g;
    size_t k = 0;

    memset(&g, 0, sizeof(g));
    for (size_t i = 0; i < n; i++) {
        /* bufs[k] is where the packet goes if it stays; slots before k,
         * which runs point at, are never moved again */
        swap(&bufs[k], &bufs[i]);
        memset(&hdrs[k], 0, sizeof(hdrs[k]));
        if (take(&g, &bufs[k], &hdrs[k]))
            swap(&bufs[k], &bufs[i]); /* merged: its buffer goes back */
        else
            k++;
    }
    for (size_t i = 0; i < GRO_FLOWS; i++)
        if (g.runs[i].buf)
            run_close(&g.runs[i]);
    return k;
}
