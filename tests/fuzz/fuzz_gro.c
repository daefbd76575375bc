/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for uipsecd's inbound TCP coalescer (src/daemon/gro.c).
 * The input is a batch of up to 72 packets, each in a buffer of its own
 * allocated to its exact capacity (so ASan sees a read past it), with
 * headroom and 0 to 64 KB of tailroom.  A record is a control byte, a
 * 2-byte length and that many bytes; the control byte can make a packet
 * the next segment of the one before (its headers copied, sequence
 * number and ID advanced, one header byte perturbed) and set its length
 * fields and checksums, so that runs and near misses are common.
 *
 * After gro_tcp, what must hold:
 *   - k <= n, bufs a permutation of the buffers given, each output inside
 *     its buffer;
 *   - an output with a zero hdr is its input, byte for byte;
 *   - a super-packet's hdr, IP length fields and IPv4 header checksum are
 *     consistent, its completed partial checksum is valid, its headers are
 *     its first segment's (but lengths, checksums, window, PSH), and its
 *     payload is, gso_size by gso_size, the payloads of segments given of
 *     its flow with consecutive sequence numbers, each used once: every
 *     segment not written as it came is in exactly one super-packet, so no
 *     TCP payload byte is lost, made up or reordered;
 *   - no packet of a TCP flow (addresses and ports) overtakes another.
 * The checksums are summed by hand (testpkt.h), not with the engine's ip.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gro.h"
#include "testpkt.h"

#define MAX_PKTS 72 /* the daemon's batches are 32; more reach GRO_MAX_SEGS */
#define HEADROOM 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
    FIX_IP4_CSUM = 0x01,
    FIX_TCP_CSUM = 0x02,
    CONTINUE = 0x04, /* the next segment of the packet before */
    ROOM_SHIFT = 3,  /* 2 bits: tailroom 0, 64, 2000 or 65536 bytes */
    FIX_LENGTHS = 0x20,
    PERTURB = 0x40, /* with CONTINUE: xor one header byte */
};

struct pkt {
    uint8_t *mem;  /* the buffer, cap bytes */
    uint8_t *orig; /* the packet as given, len bytes */
    uint32_t cap, len;
    bool used;  /* written as it came or found in a super-packet */
    size_t pos; /* the output it is in */
};

static struct pkt pkts[MAX_PKTS];
static size_t npkts;

/* Header lengths of a TCP packet without extension headers whose
 * headers p[0, len) holds; false when it is not one. */
static bool tcp_shape(const uint8_t *p, size_t len, size_t *ih, size_t *th)
{
    if (len < 1 || (p[0] >> 4 != 4 && p[0] >> 4 != 6))
        return false;
    *ih = p[0] >> 4 == 4 ? (size_t)(p[0] & 15) * 4 : 40;
    if (*ih < 20 || len < *ih + 20 || p[p[0] >> 4 == 4 ? 9 : 6] != 6)
        return false;
    *th = (size_t)(p[*ih + 12] >> 4) * 4;
    return *th >= 20 && *ih + *th <= len;
}

static uint32_t pseudo(const uint8_t *p, size_t tl)
{
    if (p[0] >> 4 == 4)
        return inet_sum((uint32_t)tl + 6, p + 12, 8);
    return inet_sum((uint32_t)tl + 6, p + 8, 32);
}

static bool v4(const uint8_t *p)
{
    return p[0] >> 4 == 4;
}

/* Length fields and checksums, as the control byte asks. */
static void fix(uint8_t *p, size_t len, uint8_t ctrl)
{
    size_t ih, th;

    if ((ctrl & FIX_LENGTHS) && len >= 40 && p[0] >> 4 == 6)
        put16(p + 4, len - 40);
    if ((ctrl & FIX_LENGTHS) && len >= 20 && v4(p))
        put16(p + 2, len);
    ih = (size_t)(p[0] & 15) * 4;
    if ((ctrl & FIX_IP4_CSUM) && len >= 20 && v4(p) && ih >= 20 && ih <= len) {
        put16(p + 10, 0);
        put16(p + 10, (uint16_t)~inet_fold(inet_sum(0, p, ih)));
    }
    if ((ctrl & FIX_TCP_CSUM) && tcp_shape(p, len, &ih, &th)) {
        put16(p + ih + 16, 0);
        put16(p + ih + 16, (uint16_t)~inet_fold(inet_sum(pseudo(p, len - ih), p + ih, len - ih)));
    }
}

/* The segment after prev's: its headers, the sequence number and IPv4 ID
 * advanced, d as payload (after two bytes that perturb a header byte when
 * asked).  0 when prev has no TCP headers to copy. */
static size_t next_segment(const struct pkt *prev, uint8_t ctrl, const uint8_t *d, size_t n,
                           uint8_t *out)
{
    size_t ih, th, hl;

    if (!prev || !tcp_shape(prev->orig, prev->len, &ih, &th))
        return 0;
    hl = ih + th;
    memcpy(out, prev->orig, hl);
    put32(out + ih + 4, get32(prev->orig + ih + 4) + (uint32_t)(prev->len - hl));
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
        len = next_segment(npkts ? &pkts[npkts - 1] : NULL, ctrl, d, n, scratch);
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
    p->used = false;
    npkts++;
}

static void read_batch(const uint8_t *data, size_t size)
{
    npkts = 0;
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

/* Whether input s is a segment the super-packet p (headers ih + th) may
 * hold at sequence number seq with payload d[0, n): same flow and headers
 * where they must agree, ACK (and PSH) only, checksums correct as given. */
static bool fits_at(const struct pkt *s, const uint8_t *p, size_t ih, size_t th, uint32_t seq,
                    const uint8_t *d, size_t n)
{
    const uint8_t *o = s->orig, *t = o + ih;
    size_t i2, t2, tl = s->len - ih;

    if (s->used || !tcp_shape(o, s->len, &i2, &t2) || i2 != ih || t2 != th || s->len != ih + th + n)
        return false;
    if (v4(p) ? !v4(o) || memcmp(o + 12, p + 12, 8) || o[1] != p[1] || o[8] != p[8] ||
                    ((o[6] ^ p[6]) & 0x40)
              : v4(o) || memcmp(o, p, 4) || memcmp(o + 7, p + 7, 33))
        return false;
    if (memcmp(t, p + ih, 4) || get32(t + 4) != seq || memcmp(t + 8, p + ih + 8, 4) ||
        memcmp(t + 20, p + ih + 20, th - 20) || (t[13] & ~0x08) != 0x10 || memcmp(t + th, d, n))
        return false;
    if (v4(o) && inet_fold(inet_sum(0, o, 20)) != 0xffff)
        return false;
    return inet_fold(inet_sum(pseudo(o, tl), t, tl)) == 0xffff;
}

static struct pkt *segment_at(const uint8_t *p, size_t ih, size_t th, uint32_t seq,
                              const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < npkts; i++)
        if (fits_at(&pkts[i], p, ih, th, seq, d, n))
            return &pkts[i];
    return NULL;
}

/* The super-packet's payload, gso_size by gso_size, is its first
 * segment's and then other inputs' of the flow, in sequence; the window
 * and PSH are the last one's. */
static void check_payload(struct pkt *head, const uint8_t *p, size_t len, size_t ih, size_t th,
                          size_t gso)
{
    uint32_t seq = get32(p + ih + 4);
    size_t off = 0, segs = 0, data = len - ih - th;
    struct pkt *s = NULL;

    CHECK(gso > 0 && data > gso);
    while (off < data) {
        size_t n = data - off < gso ? data - off : gso;

        CHECK(!s || !(s->orig[ih + 13] & 0x08)); /* PSH only on the last */
        if (segs == 0) /* the super-packet's buffer is its first segment's */
            s = fits_at(head, p, ih, th, seq, p + ih + th, n) ? head : NULL;
        else
            s = segment_at(p, ih, th, seq + (uint32_t)off, p + ih + th + off, n);
        CHECK(s);
        s->used = true;
        s->pos = head->pos;
        off += n, segs++;
    }
    CHECK(segs <= GRO_MAX_SEGS);
    CHECK(!memcmp(p + ih + 13, s->orig + ih + 13, 3)); /* flags, window */
}

/* The super-packet's headers are its first segment's but for lengths,
 * checksums, flags and window; its length fields and hdr are consistent
 * and its partial checksum completes to a valid one. */
static void check_headers(const struct pkt *head, uint8_t *p, size_t len, size_t ih, size_t th,
                          const struct virtio_net_hdr *h)
{
    const uint8_t *o = head->orig;
    uint8_t *c = p + ih + 16;
    uint16_t partial = get16(c);

    CHECK(h->flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && h->csum_start == ih && h->csum_offset == 16);
    CHECK(h->hdr_len == ih + th);
    if (v4(p)) {
        CHECK(ih == 20 && h->gso_type == VIRTIO_NET_HDR_GSO_TCPV4 && get16(p + 2) == len);
        CHECK(inet_fold(inet_sum(0, p, 20)) == 0xffff);
        CHECK(!memcmp(p, o, 2) && !memcmp(p + 4, o + 4, 6) && !memcmp(p + 12, o + 12, 8));
    } else {
        CHECK(h->gso_type == VIRTIO_NET_HDR_GSO_TCPV6 && get16(p + 4) == len - 40);
        CHECK(!memcmp(p, o, 4) && !memcmp(p + 6, o + 6, 34));
    }
    CHECK(!memcmp(p + ih, o + ih, 13) && !memcmp(p + ih + 18, o + ih + 18, th - 18));
    CHECK(partial == inet_fold(pseudo(p, len - ih))); /* folded, not complemented */
    put16(c, (uint16_t)~inet_fold(inet_sum(0, p + ih, len - ih)));
    CHECK(inet_fold(inet_sum(pseudo(p, len - ih), p + ih, len - ih)) == 0xffff);
    put16(c, partial);
}

static void check_output(const struct uipsec_buf *b, const struct virtio_net_hdr *h, size_t at)
{
    static const struct virtio_net_hdr zero;
    struct pkt *pk = owner(b);
    uint8_t *p = b->base + b->off;
    size_t ih, th;

    CHECK(pk && b->off == HEADROOM && b->cap == pk->cap && (uint64_t)b->off + b->len <= b->cap);
    if (!memcmp(h, &zero, sizeof(zero))) { /* as it came */
        CHECK(b->len == pk->len && !memcmp(p, pk->orig, pk->len));
        pk->used = true;
        pk->pos = at;
        return;
    }
    CHECK(tcp_shape(p, b->len, &ih, &th) && b->len <= (v4(p) ? 65535u : 65575u));
    check_headers(pk, p, b->len, ih, th, h);
    pk->pos = at;
    check_payload(pk, p, b->len, ih, th, h->gso_size);
}

/* Where a TCP packet's ports are, when it has them where gro.c looks:
 * right after the IP header, in no later fragment. */
static const uint8_t *ports(const struct pkt *pk)
{
    const uint8_t *o = pk->orig;
    size_t ih = pk->len && v4(o) ? (size_t)(o[0] & 15) * 4 : 40;

    if (pk->len < 1 || (!v4(o) && o[0] >> 4 != 6) || ih < 20 || pk->len < ih + 4)
        return NULL;
    if (v4(o) ? o[9] != 6 || (get16(o + 6) & 0x1fff) : o[6] != 6)
        return NULL;
    return o + ih;
}

static bool same_flow(const struct pkt *a, const struct pkt *b)
{
    const uint8_t *pa = ports(a), *pb = ports(b);

    if (!pa || !pb || a->orig[0] >> 4 != b->orig[0] >> 4 || memcmp(pa, pb, 4))
        return false;
    return v4(a->orig) ? !memcmp(a->orig + 12, b->orig + 12, 8)
                       : !memcmp(a->orig + 8, b->orig + 8, 32);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct uipsec_buf bufs[MAX_PKTS];
    struct virtio_net_hdr hdrs[MAX_PKTS];
    size_t k;

    read_batch(data, size);
    for (size_t i = 0; i < npkts; i++)
        bufs[i] = (struct uipsec_buf){
            .base = pkts[i].mem, .cap = pkts[i].cap, .off = HEADROOM, .len = pkts[i].len};
    k = gro_tcp(bufs, npkts, hdrs);
    CHECK(k <= npkts);
    for (size_t i = 0; i < npkts; i++) { /* a permutation of the buffers */
        CHECK(owner(&bufs[i]));
        for (size_t j = 0; j < i; j++)
            CHECK(bufs[i].base != bufs[j].base);
    }
    for (size_t i = 0; i < k; i++)
        check_output(&bufs[i], &hdrs[i], i);
    for (size_t i = 0; i < npkts; i++) { /* every segment accounted for */
        CHECK(pkts[i].used);
        for (size_t j = 0; j < i; j++)
            CHECK(!same_flow(&pkts[j], &pkts[i]) || pkts[j].pos <= pkts[i].pos);
    }
    for (size_t i = 0; i < npkts; i++) {
        free(pkts[i].mem);
        free(pkts[i].orig);
    }
    return 0;
}
