/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for uipsecd's inbound UDP coalescer (src/daemon/gro_udp.c).
 * The input is a batch of up to 72 packets, each in a buffer of its own
 * allocated to its exact capacity (so ASan sees a read past it), with
 * headroom and 0 to 64 KB of tailroom.  A record is a control byte, a
 * 2-byte length and that many bytes; the control byte can make a packet
 * the next datagram of the last one not perturbed (its headers copied,
 * IPv4 ID advanced, one header byte perturbed: a near miss, after which
 * the run may go on), set its length fields and
 * checksums, and give it a nonzero hdr (as gro_tcp gives its TCP
 * super-packets), so that runs and near misses are common.
 *
 * After gro_udp, what must hold:
 *   - k <= n, bufs a permutation of the buffers given, each output inside
 *     its buffer;
 *   - an output whose buffer came with a hdr is its input, bytes and hdr;
 *     one with a zero hdr is its input, byte for byte;
 *   - a super-packet's hdr, IP and UDP length fields and IPv4 header
 *     checksum are consistent, its completed partial checksum is valid,
 *     its headers are its first datagram's (but lengths and checksums),
 *     and its payload is, gso_size by gso_size, the payloads of datagrams
 *     given without a hdr, of its flow, in the order given, each fit to
 *     merge (lengths, checksums, IP fields as the first's), each used
 *     once: no datagram is lost, made up or reordered;
 *   - no packet of a UDP flow (addresses and ports) overtakes another,
 *     nor one that may be UDP of any flow between its addresses.
 * The checksums are summed by hand (testpkt.h), not with the engine's ip.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gro_udp.h"
#include "gso.h"
#include "testpkt.h"

#define MAX_PKTS 72 /* the daemon's batches are 32; more reach GRO_MAX_SEGS */
#define HEADROOM 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
    FIX_IP4_CSUM = 0x01,
    FIX_UDP_CSUM = 0x02,
    CONTINUE = 0x04, /* the next datagram of the last one not perturbed */
    ROOM_SHIFT = 3,  /* 2 bits: tailroom 0, 64, 3000 or 65536 bytes */
    FIX_LENGTHS = 0x20,
    PERTURB = 0x40, /* with CONTINUE: xor one header byte */
    WITH_HDR = 0x80 /* given with a nonzero hdr: to be left alone */
};

struct pkt {
    uint8_t *mem;  /* the buffer, cap bytes */
    uint8_t *orig; /* the packet as given, len bytes */
    uint32_t cap, len;
    struct virtio_net_hdr hdr; /* as given */
    bool used;                 /* written as it came or found in a super-packet */
    size_t pos;                /* the output it is in */
};

static struct pkt pkts[MAX_PKTS];
static size_t npkts;
static const struct pkt *base; /* what CONTINUE continues */
static const struct virtio_net_hdr zero;

static bool v4(const uint8_t *p)
{
    return p[0] >> 4 == 4;
}

/* The IP header length of a UDP packet without extension headers whose
 * IP and UDP headers p[0, len) holds; false when it is not one. */
static bool udp_shape(const uint8_t *p, size_t len, size_t *ih)
{
    if (len < 1 || (p[0] >> 4 != 4 && p[0] >> 4 != 6))
        return false;
    *ih = v4(p) ? (size_t)(p[0] & 15) * 4 : 40;
    return *ih >= 20 && len >= *ih + 8 && p[v4(p) ? 9 : 6] == 17;
}

static uint32_t pseudo(const uint8_t *p, size_t ul)
{
    if (v4(p))
        return inet_sum((uint32_t)ul + 17, p + 12, 8);
    return inet_sum((uint32_t)ul + 17, p + 8, 32);
}

/* Length fields and checksums, as the control byte asks. */
static void fix(uint8_t *p, size_t len, uint8_t ctrl)
{
    size_t ih;

    if ((ctrl & FIX_LENGTHS) && len >= 40 && p[0] >> 4 == 6)
        put16(p + 4, len - 40);
    if ((ctrl & FIX_LENGTHS) && len >= 20 && v4(p))
        put16(p + 2, len);
    if ((ctrl & FIX_LENGTHS) && udp_shape(p, len, &ih))
        put16(p + ih + 4, len - ih);
    ih = (size_t)(p[0] & 15) * 4;
    if ((ctrl & FIX_IP4_CSUM) && len >= 20 && v4(p) && ih >= 20 && ih <= len) {
        put16(p + 10, 0);
        put16(p + 10, (uint16_t)~inet_fold(inet_sum(0, p, ih)));
    }
    if ((ctrl & FIX_UDP_CSUM) && udp_shape(p, len, &ih)) {
        uint16_t c;

        put16(p + ih + 6, 0);
        c = (uint16_t)~inet_fold(inet_sum(pseudo(p, len - ih), p + ih, len - ih));
        put16(p + ih + 6, c ? c : 0xffff);
    }
}

/* The datagram after prev's: its headers, the IPv4 ID advanced, d as
 * payload (after two bytes that perturb a header byte when asked).  0
 * when prev has no UDP headers to copy. */
static size_t next_datagram(const struct pkt *prev, uint8_t ctrl, const uint8_t *d, size_t n,
                            uint8_t *out)
{
    size_t ih, hl;

    if (!prev || !udp_shape(prev->orig, prev->len, &ih))
        return 0;
    hl = ih + 8;
    memcpy(out, prev->orig, hl);
    if (v4(out))
        put16(out + 4, get16(out + 4) + 1u);
    if ((ctrl & PERTURB) && n >= 2) {
        out[d[0] % hl] ^= d[1];
        d += 2, n -= 2;
    }
    memcpy(out + hl, d, n);
    return hl + n;
}

static void add_packet(uint8_t ctrl, const uint8_t *d, size_t n)
{
    static const uint32_t rooms[4] = {0, 64, 3000, 65536};
    static uint8_t scratch[65535 + 200];
    struct pkt *p = &pkts[npkts];
    size_t len = 0;

    if (ctrl & CONTINUE)
        len = next_datagram(base, ctrl, d, n, scratch);
    if (!len) {
        memcpy(scratch, d, n);
        len = n;
    }
    fix(scratch, len, ctrl);
    p->len = (uint32_t)len;
    p->cap = HEADROOM + p->len + rooms[(ctrl >> ROOM_SHIFT) & 3];
    p->mem = malloc(p->cap);
    p->orig = malloc(len ? len : 1);
    memcpy(p->mem + HEADROOM, scratch, len);
    memcpy(p->orig, scratch, len);
    p->hdr = zero;
    if (ctrl & WITH_HDR) /* what gro_tcp writes; its fields matter not here */
        p->hdr = (struct virtio_net_hdr){.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
                                         .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
                                         .gso_size = (uint16_t)n};
    p->used = false;
    if (!(ctrl & PERTURB) || !(ctrl & CONTINUE))
        base = p;
    npkts++;
}

static void read_batch(const uint8_t *data, size_t size)
{
    npkts = 0;
    base = NULL;
    while (size >= 3 && npkts < MAX_PKTS) {
        uint8_t ctrl = data[0];
        size_t n = get16(data + 1);

        data += 3, size -= 3;
        n = n < size ? n : size;
        add_packet(ctrl, data, n);
        data += n, size -= n;
    }
}

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static struct pkt *owner(const struct uipsec_buf *b)
{
    for (size_t i = 0; i < npkts; i++)
        if (b->base == pkts[i].mem)
            return &pkts[i];
    return NULL;
}

/* Whether input s may be piece m of the super-packet p (IP header ih)
 * with payload d[0, n): given without a hdr, a plain UDP datagram of p's
 * flow, IP fields as p's (IDs counting up when DF is clear), lengths
 * exact, checksums correct as given (IPv4 may have none). */
static bool fits_at(const struct pkt *s, const uint8_t *p, size_t ih, size_t m, const uint8_t *d,
                    size_t n)
{
    const uint8_t *o = s->orig;
    size_t i2, ul = s->len - ih;

    if (s->used || memcmp(&s->hdr, &zero, sizeof(zero)) || !udp_shape(o, s->len, &i2) || i2 != ih ||
        s->len != ih + 8 + n || n == 0)
        return false;
    if (v4(p) ? !v4(o) || ih != 20 || memcmp(o + 12, p + 12, 8) || o[1] != p[1] || o[8] != p[8] ||
                    (get16(o + 6) & 0xbfff) || ((o[6] ^ p[6]) & 0x40) || get16(o + 2) != s->len ||
                    inet_fold(inet_sum(0, o, 20)) != 0xffff ||
                    (!(p[6] & 0x40) && get16(o + 4) != (uint16_t)(get16(p + 4) + m))
              : v4(o) || memcmp(o, p, 4) || memcmp(o + 6, p + 6, 34) || get16(o + 4) != ul)
        return false;
    if (memcmp(o + ih, p + ih, 4) || get16(o + ih + 4) != ul || memcmp(o + ih + 8, d, n))
        return false;
    if (get16(o + ih + 6) == 0)
        return v4(o);
    return inet_fold(inet_sum(pseudo(o, ul), o + ih, ul)) == 0xffff;
}

/* The super-packet's payload, gso_size by gso_size, is its first
 * datagram's and then later inputs' of the flow, in the order given. */
static void check_payload(struct pkt *head, const uint8_t *p, size_t len, size_t ih, size_t gso)
{
    size_t data = len - ih - 8, count = 0;
    struct pkt *last = head;

    CHECK(gso > 0 && data > gso);
    head->used = false; /* taken by check_plain, it must fit too */
    CHECK(fits_at(head, p, ih, 0, p + ih + 8, gso));
    head->used = true;
    for (size_t off = gso; off < data; off += gso) {
        size_t n = data - off < gso ? data - off : gso;
        struct pkt *s = NULL;

        count++;
        for (struct pkt *c = last + 1; !s && c < pkts + npkts; c++)
            if (fits_at(c, p, ih, count, p + ih + 8 + off, n))
                s = c;
        CHECK(s);
        s->used = true;
        s->pos = head->pos;
        last = s;
    }
    CHECK(count + 1 <= GRO_MAX_SEGS);
}

/* The super-packet's headers are its first datagram's but for lengths and
 * checksums; its length fields and hdr are consistent and its partial
 * checksum completes to a valid one. */
static void check_headers(const struct pkt *head, uint8_t *p, size_t len, size_t ih,
                          const struct virtio_net_hdr *h)
{
    const uint8_t *o = head->orig;
    uint8_t *c = p + ih + 6;
    uint16_t partial = get16(c);

    CHECK(h->flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && h->gso_type == VIRTIO_NET_HDR_GSO_UDP_L4);
    CHECK(h->csum_start == ih && h->csum_offset == 6 && h->hdr_len == ih + 8);
    if (v4(p)) {
        CHECK(ih == 20 && get16(p + 2) == len && len <= 65535);
        CHECK(inet_fold(inet_sum(0, p, 20)) == 0xffff);
        CHECK(!memcmp(p, o, 2) && !memcmp(p + 4, o + 4, 6) && !memcmp(p + 12, o + 12, 8));
    } else {
        CHECK(get16(p + 4) == len - 40 && len <= 65575);
        CHECK(!memcmp(p, o, 4) && !memcmp(p + 6, o + 6, 34));
    }
    CHECK(!memcmp(p + ih, o + ih, 4) && get16(p + ih + 4) == len - ih);
    CHECK(partial == inet_fold(pseudo(p, len - ih))); /* folded, not complemented */
    put16(c, (uint16_t)~inet_fold(inet_sum(0, p + ih, len - ih)));
    CHECK(inet_fold(inet_sum(pseudo(p, len - ih), p + ih, len - ih)) == 0xffff);
    put16(c, partial);
}

/* Outputs as they came: bytes and hdr their input's; a super-packet's
 * first datagram is taken (used) for it. */
static void check_plain(const struct uipsec_buf *b, const struct virtio_net_hdr *h, size_t at)
{
    struct pkt *pk = owner(b);

    CHECK(pk && b->off == HEADROOM && b->cap == pk->cap && (uint64_t)b->off + b->len <= b->cap);
    pk->pos = at;
    if (memcmp(&pk->hdr, &zero, sizeof(zero)) || !memcmp(h, &zero, sizeof(zero))) {
        CHECK(!memcmp(h, &pk->hdr, sizeof(*h)));
        CHECK(b->len == pk->len && !memcmp(b->base + b->off, pk->orig, pk->len));
    }
    pk->used = true;
}

static void check_super(const struct uipsec_buf *b, const struct virtio_net_hdr *h)
{
    struct pkt *pk = owner(b);
    uint8_t *p = b->base + b->off;
    size_t ih;

    CHECK(udp_shape(p, b->len, &ih));
    check_headers(pk, p, b->len, ih, h);
    check_payload(pk, p, b->len, ih, h->gso_size);
}

/* What a packet is to a UDP flow: none, a datagram whose ports are where
 * gro_udp looks (right after the IP header), or one that may be UDP of
 * any flow between its addresses (a later IPv4 fragment, IPv6 extension
 * headers, ports cut off). */
enum role { NONE, PORTS, HIDDEN };

static size_t ip_hdr_len(const uint8_t *o)
{
    return v4(o) ? (size_t)(o[0] & 15) * 4 : 40;
}

static enum role role(const struct pkt *pk)
{
    const uint8_t *o = pk->orig;
    size_t ih;
    uint8_t proto;

    if (pk->len < 1 || (!v4(o) && o[0] >> 4 != 6))
        return NONE;
    ih = ip_hdr_len(o);
    if (ih < 20 || pk->len < ih)
        return NONE;
    proto = o[v4(o) ? 9 : 6];
    if (!v4(o) && (proto == 0 || proto == 43 || proto == 44 || proto == 60))
        return HIDDEN;
    if (proto != 17)
        return NONE;
    if ((v4(o) && (get16(o + 6) & 0x1fff)) || pk->len < ih + 4)
        return HIDDEN;
    return PORTS;
}

/* Whether a and b must stay in order: datagrams of one flow, or one that
 * may be of any flow between the other's addresses. */
static bool ordered(const struct pkt *a, const struct pkt *b)
{
    enum role ra = role(a), rb = role(b);
    const uint8_t *x = a->orig, *y = b->orig;

    if (ra == NONE || rb == NONE || x[0] >> 4 != y[0] >> 4)
        return false;
    if (v4(x) ? memcmp(x + 12, y + 12, 8) : memcmp(x + 8, y + 8, 32))
        return false;
    return ra == HIDDEN || rb == HIDDEN || !memcmp(x + ip_hdr_len(x), y + ip_hdr_len(y), 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct uipsec_buf bufs[MAX_PKTS];
    struct virtio_net_hdr hdrs[MAX_PKTS];
    size_t k;

    read_batch(data, size);
    for (size_t i = 0; i < npkts; i++) {
        bufs[i] = (struct uipsec_buf){
            .base = pkts[i].mem, .cap = pkts[i].cap, .off = HEADROOM, .len = pkts[i].len};
        hdrs[i] = pkts[i].hdr;
    }
    k = gro_udp(bufs, npkts, hdrs);
    CHECK(k <= npkts);
    for (size_t i = 0; i < npkts; i++) { /* a permutation of the buffers */
        CHECK(owner(&bufs[i]));
        for (size_t j = 0; j < i; j++)
            CHECK(bufs[i].base != bufs[j].base);
    }
    /* outputs as they came and super-packets' first datagrams first, so
     * that the later datagrams are looked for among the inputs left */
    for (size_t i = 0; i < k; i++)
        check_plain(&bufs[i], &hdrs[i], i);
    for (size_t i = 0; i < k; i++)
        if (!memcmp(&owner(&bufs[i])->hdr, &zero, sizeof(zero)) &&
            memcmp(&hdrs[i], &zero, sizeof(zero)))
            check_super(&bufs[i], &hdrs[i]);
    for (size_t i = 0; i < npkts; i++) { /* every datagram accounted for */
        CHECK(pkts[i].used);
        for (size_t j = 0; j < i; j++)
            CHECK(!ordered(&pkts[j], &pkts[i]) || pkts[j].pos <= pkts[i].pos);
    }
    for (size_t i = 0; i < npkts; i++) {
        free(pkts[i].mem);
        free(pkts[i].orig);
    }
    return 0;
}
