/* SPDX-License-Identifier: MIT */
/*
 * uipsecd's inbound TCP coalescer (src/daemon/gro.c).  Segments are built
 * here from first principles (testpkt.h, and checksums summed here, not by
 * the engine's ip.c); a super-packet is checked field by field, its
 * payload byte by byte against the stream, and its partial checksum by
 * completing it as the kernel would and verifying the result.  Two
 * super-packets are compared with scapy's bytes, built with Debian's
 * python3-scapy 2.5:
 *   opts = [("NOP", None), ("NOP", None), ("Timestamp", (1, 2))]
 *   pat = bytes(((q * 7 + 3) & 0xff) for q in range(1000, 1048))
 *   IP(src="10.0.0.1", dst="10.0.0.2", id=7, flags="DF", ttl=64)
 *     / TCP(sport=1000, dport=2000, seq=1000, ack=5000, flags="A",
 *           window=102, options=opts) / pat
 *   IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=64, fl=0x12345)
 *     / the same TCP / pat
 * (scapy's TCP checksums: 0x92a6 and 0x4b34).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bytes.h"
#include "gro.h"
#include "testpkt.h"

#define NBUF 80
#define OFF  64
#define CAP  (OFF + 70000)
#define SNAP 14000 /* bytes of each input kept to compare with */
#define ACK  0x10
#define PSH  0x08

static uint8_t mem[NBUF][CAP], snap[NBUF][SNAP];
static size_t inlen[NBUF];
static struct uipsec_buf bufs[NBUF];
static struct virtio_net_hdr hdrs[NBUF];
static size_t nbufs;

static const uint8_t src4[4] = {10, 0, 0, 1}, dst4[4] = {10, 0, 0, 2};
static const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t dst6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

/* One segment of the stream: the byte at sequence number q is q * 7 + 3. */
struct spec {
    uint8_t family, flags, tos, ttl, proto;
    uint16_t sport, id, window;
    uint32_t seq, ack, label, tsval;
    size_t payload, optlen;
    bool df;
};

static uint8_t stream(uint32_t q)
{
    return (uint8_t)(q * 7 + 3);
}

static struct spec seg(uint8_t family, uint32_t seq, size_t payload)
{
    return (struct spec){.family = family,
                         .flags = ACK,
                         .ttl = 64,
                         .proto = 6,
                         .sport = 1000,
                         .id = 7,
                         .window = 100,
                         .seq = seq,
                         .ack = 5000,
                         .payload = payload,
                         .df = true};
}

/* The pseudo-header's sum for a packet whose transport part is tl bytes. */
static uint32_t pseudo(const uint8_t *ip, size_t tl)
{
    if (ip[0] >> 4 == 4)
        return inet_sum((uint32_t)tl + ip[9], ip + 12, 8);
    return inet_sum((uint32_t)tl + ip[6], ip + 8, 32);
}

static void ip_header(const struct spec *s, uint8_t *p, size_t tl)
{
    if (s->family == 4) {
        p[0] = 0x45;
        p[1] = s->tos;
        put16(p + 2, 20 + tl);
        put16(p + 4, s->id);
        put16(p + 6, s->df ? 0x4000 : 0);
        p[8] = s->ttl;
        p[9] = s->proto;
        memcpy(p + 12, src4, 4);
        memcpy(p + 16, dst4, 4);
        csum4(p);
        return;
    }
    put32(p, 0x60000000u | (uint32_t)s->tos << 20 | s->label);
    put16(p + 4, tl);
    p[6] = s->proto;
    p[7] = s->ttl;
    memcpy(p + 8, src6, 16);
    memcpy(p + 24, dst6, 16);
}

/* Remembers input j as it is now, to compare an output with. */
static void keep(size_t j)
{
    inlen[j] = bufs[j].len;
    memcpy(snap[j], bufs[j].base + bufs[j].off, inlen[j] < SNAP ? inlen[j] : SNAP);
}

/* Builds s in the next buffer and returns the packet. */
static uint8_t *add(const struct spec *s)
{
    struct uipsec_buf *b = &bufs[nbufs];
    uint8_t *p = mem[nbufs++] + OFF, *t;
    size_t ih = s->family == 4 ? 20 : 40, th = 20 + s->optlen;

    *b = (struct uipsec_buf){.base = p - OFF, .cap = CAP, .off = OFF};
    b->len = (uint32_t)(ih + th + s->payload);
    memset(p, 0, ih + th);
    ip_header(s, p, th + s->payload);
    t = p + ih;
    put16(t, s->sport);
    put16(t + 2, 2000);
    put32(t + 4, s->seq);
    put32(t + 8, s->ack);
    t[12] = (uint8_t)(th / 4 << 4);
    t[13] = s->flags;
    put16(t + 14, s->window);
    if (s->optlen) { /* NOP, NOP, timestamps */
        memcpy(t + 20, "\x01\x01\x08\x0a", 4);
        put32(t + 24, s->tsval ? s->tsval : 1);
        put32(t + 28, 2);
    }
    for (size_t i = 0; i < s->payload; i++)
        t[th + i] = stream(s->seq + (uint32_t)i);
    put16(t + 16, (uint16_t)~inet_fold(inet_sum(pseudo(p, th + s->payload), t, th + s->payload)));
    keep(nbufs - 1);
    return p;
}

static int setup(void **state)
{
    (void)state;
    nbufs = 0;
    memset(hdrs, 0xa5, sizeof(hdrs)); /* gro_tcp must write every hdr it returns */
    return 0;
}

static uint8_t *pkt(size_t i)
{
    return bufs[i].base + bufs[i].off;
}

static size_t run(void)
{
    return gro_tcp(bufs, nbufs, hdrs);
}

/* The transport part of output i completes to a valid checksum when the
 * kernel sums it from csum_start with the partial value in place. */
static uint16_t completed(size_t i)
{
    uint8_t *p = pkt(i), *t = p + hdrs[i].csum_start;
    size_t tl = bufs[i].len - hdrs[i].csum_start;

    return (uint16_t)~inet_fold(inet_sum(0, t, tl));
}

/* Output i is a super-packet of segs segments of size gso from sequence
 * number seq: lengths, hdr, partial checksum, payload. */
static void check_super(size_t i, uint8_t family, uint32_t seq, size_t segs, size_t gso,
                        size_t bytes)
{
    uint8_t *p = pkt(i), ih = family == 4 ? 20 : 40, *t = p + ih;
    size_t th = (size_t)(t[12] >> 4) * 4, tl = bufs[i].len - ih;

    assert_int_equal(bufs[i].len, ih + th + bytes);
    assert_true(segs > 1 && bytes > (segs - 1) * gso && bytes <= segs * gso);
    if (family == 4) {
        assert_int_equal(get16(p + 2), bufs[i].len);
        assert_true(csum4_ok(p));
    } else {
        assert_int_equal(get16(p + 4), tl);
    }
    assert_int_equal(hdrs[i].flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
    assert_int_equal(hdrs[i].gso_type,
                     family == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6);
    assert_int_equal(hdrs[i].hdr_len, ih + th);
    assert_int_equal(hdrs[i].gso_size, gso);
    assert_int_equal(hdrs[i].csum_start, ih);
    assert_int_equal(hdrs[i].csum_offset, 16);
    /* folded, not complemented: what __tcp_v4_send_check leaves there */
    assert_int_equal(get16(t + 16), inet_fold(pseudo(p, tl)));
    assert_int_equal(get32(t + 4), seq);
    for (size_t j = 0; j < bytes; j++)
        assert_int_equal(t[th + j], stream(seq + (uint32_t)j));
    put16(t + 16, completed(i));
    assert_int_equal(inet_fold(inet_sum(pseudo(p, tl), t, tl)), 0xffff);
}

/* Output i is input j as it came, in its own buffer, with a zero hdr. */
static void check_plain(size_t i, size_t j)
{
    static const struct virtio_net_hdr zero;

    assert_true(inlen[j] <= SNAP);
    assert_ptr_equal(bufs[i].base, mem[j]);
    assert_int_equal(bufs[i].len, inlen[j]);
    assert_memory_equal(pkt(i), snap[j], inlen[j]);
    assert_memory_equal(&hdrs[i], &zero, sizeof(zero));
}

/* Adds `count` segments of s's size, from s on, IDs counting up. */
static void add_run(struct spec s, size_t count)
{
    for (size_t i = 0; i < count; i++, s.seq += (uint32_t)s.payload, s.id++)
        add(&s);
}

/* A run of equal segments becomes one super-packet; the newest window is
 * kept and the output sits in the first segment's buffer. */
static void equal_segments_merge(uint8_t family)
{
    struct spec s = seg(family, 1000, 100);

    add_run(s, 3);
    s.seq = 1300, s.window = 333;
    add(&s);
    assert_int_equal(run(), 1);
    assert_ptr_equal(bufs[0].base, mem[0]);
    check_super(0, family, 1000, 4, 100, 400);
    assert_int_equal(get16(pkt(0) + (family == 4 ? 20 : 40) + 14), 333);
    assert_int_equal(pkt(0)[(family == 4 ? 20 : 40) + 13], ACK);
}

static void v4_equal_segments_merge(void **state)
{
    (void)state;
    equal_segments_merge(4);
}

static void v6_equal_segments_merge(void **state)
{
    (void)state;
    equal_segments_merge(6);
}

/* Byte for byte against scapy's super-packet (the checksum field aside),
 * and the completed partial checksum is scapy's. */
static void against_scapy(uint8_t family, const char *want_hex, uint16_t want_csum)
{
    struct bytes want = bytes_hex(want_hex);
    struct spec s = seg(family, 1000, 16);
    size_t ih = family == 4 ? 20 : 40;

    s.optlen = 12, s.label = 0x12345;
    for (uint16_t w = 100; w < 103; w++, s.seq += 16, s.id++) {
        s.window = w;
        add(&s);
    }
    assert_int_equal(run(), 1);
    assert_int_equal(bufs[0].len, want.len);
    assert_memory_equal(pkt(0), want.p, ih + 16);
    assert_memory_equal(pkt(0) + ih + 18, want.p + ih + 18, want.len - ih - 18);
    assert_int_equal(completed(0), want_csum);
    free_bytes(&want);
}

static void v4_matches_scapy(void **state)
{
    (void)state;
    against_scapy(4,
                  "45000064000740004006268b0a0000010a00000203e807d0000003e8000013888010006692a6"
                  "00000101080a00000001000000025b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc03"
                  "0a11181f262d343b424950575e656c737a81888f969da4",
                  0x92a6);
}

static void v6_matches_scapy(void **state)
{
    (void)state;
    against_scapy(6,
                  "600123450050064020010db800000000000000000000000120010db8000000000000000000000"
                  "00203e807d0000003e800001388801000664b3400000101080a00000001000000025b62697077"
                  "7e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a818"
                  "88f969da4",
                  0x4b34);
}

/* A smaller segment is merged as the last one and ends the run. */
static void short_segment_ends_the_run(void **state)
{
    struct spec s = seg(4, 0, 100);

    (void)state;
    add_run(s, 2);
    s.seq = 200, s.payload = 50, s.id = 9;
    add(&s);
    s.seq = 250, s.payload = 100, s.id = 10;
    add(&s);
    assert_int_equal(run(), 2);
    check_super(0, 4, 0, 3, 100, 250);
    check_plain(1, 3);
}

/* PSH is merged, carried to the super-packet and ends it; a first segment
 * with PSH goes alone. */
static void psh_ends_the_run(void **state)
{
    struct spec s = seg(6, 0, 100);

    (void)state;
    add(&s);
    s.seq = 100, s.flags = ACK | PSH;
    add(&s);
    s.seq = 200;
    add(&s);
    s.seq = 300, s.flags = ACK;
    add_run(s, 2);
    assert_int_equal(run(), 3);
    check_super(0, 6, 0, 2, 100, 200);
    assert_int_equal(pkt(0)[40 + 13], ACK | PSH);
    check_plain(1, 2);
    check_super(2, 6, 300, 2, 100, 200);
    assert_int_equal(pkt(2)[40 + 13], ACK);
}

/* A segment out of order ends its flow's run and starts a new one (0,
 * 200 and 100 go alone... until 100 is continued by 200 and 300); after a
 * gap a new run starts, and a segment larger than the run's goes alone. */
static void out_of_order_and_gaps(void **state)
{
    static const uint32_t seqs[] = {0, 200, 100, 200, 300, 500, 600};
    struct spec s = seg(4, 0, 100);

    (void)state;
    for (size_t i = 0; i < 7; i++, s.id++) {
        s.seq = seqs[i];
        add(&s);
    }
    s.seq = 700, s.payload = 200;
    add(&s);
    assert_int_equal(run(), 5);
    check_plain(0, 0);
    check_plain(1, 1);
    check_super(2, 4, 100, 3, 100, 300);
    check_super(3, 4, 500, 2, 100, 200);
    check_plain(4, 7);
}

/* Interleaved flows merge each, in the order of their first segments,
 * and packets of other protocols between them stay where they were. */
static void interleaved_flows(void **state)
{
    struct spec a = seg(4, 0, 100), b = seg(4, 5000, 100), u = seg(4, 0, 30);

    (void)state;
    b.sport = 1001, u.proto = 17;
    for (int i = 0; i < 3; i++, a.seq += 100, b.seq += 100, a.id++, b.id++) {
        add(&a);
        add(&b);
    }
    add(&u);
    a.seq = 300;
    add(&a);
    assert_int_equal(run(), 3);
    check_super(0, 4, 0, 4, 100, 400);
    check_super(1, 4, 5000, 3, 100, 300);
    check_plain(2, 6);
}

/* A ninth flow in a table of eight closes the oldest run (here a single
 * segment, written as it came), whose next segment starts a new one and
 * closes the next oldest (flow 1, whose third segment then goes alone). */
static void more_flows_than_the_table(void **state)
{
    struct spec s = seg(4, 0, 100);

    (void)state;
    for (uint16_t f = 0; f < GRO_FLOWS; f++) {
        s.sport = (uint16_t)(1000 + f);
        add(&s);
    }
    for (uint16_t f = 1; f <= GRO_FLOWS; f++) {
        s.sport = (uint16_t)(1000 + f), s.seq = f < GRO_FLOWS ? 100 : 0;
        add(&s);
    }
    s.seq = 100;
    add(&s);
    s.sport = 1000;
    add(&s);
    s.sport = 1001, s.seq = 200;
    add(&s);
    assert_int_equal(run(), GRO_FLOWS + 3);
    check_plain(0, 0);
    for (size_t f = 1; f <= GRO_FLOWS; f++)
        check_super(f, 4, 0, 2, 100, 200);
    check_plain(GRO_FLOWS + 1, 2 * GRO_FLOWS + 1);
    check_plain(GRO_FLOWS + 2, 2 * GRO_FLOWS + 2);
}

/* A second segment that differs from the first where the kernel wants
 * them equal is not merged. */
static void expect_unmerged(struct spec first, struct spec second)
{
    setup(NULL);
    add(&first);
    add(&second);
    assert_int_equal(run(), 2);
    check_plain(0, 0);
    check_plain(1, 1);
}

static void differing_headers_are_not_merged(void **state)
{
    struct spec a = seg(4, 0, 100), b = a, a6 = seg(6, 0, 100), b6;

    (void)state;
    b.seq = 100, b.id = 8;
    a.optlen = b.optlen = 12, b.tsval = 9; /* options differ */
    expect_unmerged(a, b);
    a.optlen = 0, b.optlen = 12; /* header lengths differ */
    expect_unmerged(a, b);
    b.optlen = 0, b.ack = 5001;
    expect_unmerged(a, b);
    b.ack = 5000, b.tos = 2;
    expect_unmerged(a, b);
    b.tos = 0, b.ttl = 63;
    expect_unmerged(a, b);
    b.ttl = 64, b.df = false;
    expect_unmerged(a, b);
    b6 = a6, b6.seq = 100, b6.label = 1;
    expect_unmerged(a6, b6);
    b6.label = 0, b6.tos = 1;
    expect_unmerged(a6, b6);
    b6.tos = 0, b6.ttl = 1;
    expect_unmerged(a6, b6);
}

/* Without DF the IDs must count up by one; with DF they mean nothing. */
static void ipv4_ids(void **state)
{
    struct spec a = seg(4, 0, 100), b = a;

    (void)state;
    a.df = b.df = false, b.seq = 100, b.id = 9;
    expect_unmerged(a, b);
    setup(NULL);
    b.id = 8;
    add(&a);
    add(&b);
    assert_int_equal(run(), 1);
    setup(NULL);
    a.df = b.df = true, b.id = 1234;
    add(&a);
    add(&b);
    assert_int_equal(run(), 1);
    check_super(0, 4, 0, 2, 100, 200);
}

/* A first segment that fails its TCP or IPv4 header checksum goes alone,
 * as it came (the kernel drops it), and the run starts after it. */
static void corrupt_first(uint8_t family, void (*spoil)(uint8_t *p))
{
    setup(NULL);
    add_run(seg(family, 0, 100), 4);
    spoil(pkt(0));
    keep(0);
    assert_int_equal(run(), 2);
    check_plain(0, 0);
    check_super(1, family, 100, 3, 100, 300);
}

static void spoil_payload4(uint8_t *p)
{
    p[60] ^= 1;
}

static void spoil_payload6(uint8_t *p)
{
    p[80] ^= 0x80;
}

static void spoil_ip_checksum(uint8_t *p)
{
    p[11] ^= 1;
}

static void spoil_id(uint8_t *p)
{
    p[5] ^= 1; /* with DF a field no rule compares: only the checksum stops it */
}

/* Packets of the flow that are not plain data segments go alone and end
 * the run before them, so that no segment overtakes them: here a copy of
 * the next segment, changed, comes between the run and that segment. */
typedef void change_fn(uint8_t *p, size_t *len);

struct change {
    uint8_t family;
    change_fn *f;
};

static void expect_passed(uint8_t family, change_fn *change)
{
    struct spec s = seg(family, 0, 100);
    size_t len;

    setup(NULL);
    add_run(s, 3);
    s.seq = 200;
    add_run(s, 2);
    len = bufs[2].len;
    change(pkt(2), &len);
    bufs[2].len = (uint32_t)len;
    keep(2);
    assert_int_equal(run(), 3);
    check_super(0, family, 0, 2, 100, 200);
    check_plain(1, 2);
    check_super(2, family, 200, 2, 100, 200);
}

static void expect_each_passed(const struct change *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        expect_passed(c[i].family, c[i].f);
}

#define EXPECT_EACH_PASSED(...)                                                                    \
    do {                                                                                           \
        static const struct change c[] = {__VA_ARGS__};                                            \
        expect_each_passed(c, sizeof(c) / sizeof(c[0]));                                           \
    } while (0)

#define SPOIL(name, spoil)                                                                         \
    static void name(uint8_t *p, size_t *len)                                                      \
    {                                                                                              \
        (void)len;                                                                                 \
        spoil(p);                                                                                  \
    }
SPOIL(payload4_spoilt, spoil_payload4)
SPOIL(payload6_spoilt, spoil_payload6)
SPOIL(id_spoilt, spoil_id)

/* ... and one in the middle of a run ends it (expect_passed) */
static void bad_checksums_are_not_merged(void **state)
{
    (void)state;
    EXPECT_EACH_PASSED({4, payload4_spoilt}, {6, payload6_spoilt}, {4, id_spoilt});
    corrupt_first(4, spoil_payload4);
    corrupt_first(6, spoil_payload6);
    corrupt_first(4, spoil_ip_checksum);
    corrupt_first(4, spoil_id);
}

static void set_ip_length(uint8_t *p, size_t v)
{
    if (p[0] >> 4 == 6) {
        put16(p + 4, v - 40);
        return;
    }
    put16(p + 2, v);
    csum4(p);
}

/* Sets the TCP checksum of a packet without extension headers or
 * options, so that what a test changed is all that stops it. */
static void fix_tcp(uint8_t *p, size_t len)
{
    size_t ih = p[0] >> 4 == 4 ? 20 : 40;

    put16(p + ih + 16, 0);
    put16(p + ih + 16, (uint16_t)~inet_fold(inet_sum(pseudo(p, len - ih), p + ih, len - ih)));
}

#define FLAG_CHANGE(name, flag)                                                                    \
    static void name(uint8_t *p, size_t *len)                                                      \
    {                                                                                              \
        p[(p[0] >> 4 == 4 ? 20 : 40) + 13] |= flag;                                                \
        fix_tcp(p, *len);                                                                          \
    }
FLAG_CHANGE(add_syn, 0x02)
FLAG_CHANGE(add_fin, 0x01)
FLAG_CHANGE(add_rst, 0x04)
FLAG_CHANGE(add_urg, 0x20)
FLAG_CHANGE(add_ece, 0x40)
FLAG_CHANGE(add_cwr, 0x80)

static void add_reserved(uint8_t *p, size_t *len)
{
    p[(p[0] >> 4 == 4 ? 20 : 40) + 12] |= 1; /* AE (RFC 9768), once NS */
    fix_tcp(p, *len);
}

static void control_flags_pass(void **state)
{
    (void)state;
    EXPECT_EACH_PASSED({4, add_syn}, {4, add_fin}, {6, add_rst}, {6, add_urg}, {4, add_ece},
                       {4, add_cwr}, {6, add_reserved});
}

static void make_fragment(uint8_t *p, size_t *len)
{
    (void)len;
    put16(p + 6, 0x6000); /* DF kept and MF: a first fragment, ports readable */
    csum4(p);
}

static void make_later_fragment(uint8_t *p, size_t *len)
{
    (void)len;
    put16(p + 6, 0x4000 | 100); /* offset 800: no ports, the addresses' runs end */
    memset(p + 20, 0, 4);       /* where ports would be, data of another flow */
    csum4(p);
}

/* The reserved ("evil") IPv4 flag, DF kept: inet_gro_receive flushes on
 * any flag but DF, for the bit would be lost or copied to every segment
 * the kernel cuts.  In the middle of a run or first, the segment goes
 * alone. */
static void spoil_reserved_flag(uint8_t *p)
{
    put16(p + 6, 0x8000 | 0x4000);
    csum4(p);
}
SPOIL(reserved_flag_set, spoil_reserved_flag)

static void ipv4_reserved_flag_passes(void **state)
{
    (void)state;
    expect_passed(4, reserved_flag_set);
    corrupt_first(4, spoil_reserved_flag);
}

/* IPv4 options (record route, empty) move the TCP header by 4 bytes. */
static void add_ip_options(uint8_t *p, size_t *len)
{
    memmove(p + 24, p + 20, *len - 20);
    memcpy(p + 20, "\x07\x03\x04\x00", 4);
    *len += 4;
    p[0] = 0x46;
    put16(p + 2, *len);
    csum4(p);
}

/* An IPv6 destination options header (8 bytes of padding) before TCP. */
static void add_ext_header(uint8_t *p, size_t *len)
{
    memmove(p + 48, p + 40, *len - 40);
    memcpy(p + 40, "\x06\x00\x01\x04\x00\x00\x00\x00", 8);
    *len += 8;
    p[6] = 60;
    put16(p + 4, *len - 40);
}

static void pure_ack(uint8_t *p, size_t *len)
{
    *len = p[0] >> 4 == 4 ? 40 : 60;
    set_ip_length(p, *len);
    fix_tcp(p, *len);
}

static void ip_layer_oddities_pass(void **state)
{
    (void)state;
    EXPECT_EACH_PASSED({4, make_fragment}, {4, make_later_fragment}, {4, add_ip_options},
                       {6, add_ext_header}, {4, pure_ack}, {6, pure_ack});
}

static void length_says_more(uint8_t *p, size_t *len)
{
    set_ip_length(p, *len + 10);
}

/* 4 bytes of the segment made padding the length field leaves out,
 * chosen so that the TCP checksum stays right if they were wrongly
 * counted in (0xfffb makes up for the 4 bytes more in the pseudo-header):
 * only the length check stops them being merged as data. */
static void link_padding(uint8_t *p, size_t *len)
{
    *len -= 4;
    set_ip_length(p, *len);
    fix_tcp(p, *len);
    memcpy(p + *len, "\xff\xfb\x00\x00", 4);
    *len += 4;
}

/* 4 bytes of data after a TCP header that claims 60 bytes */
static void data_offset_past_the_end(uint8_t *p, size_t *len)
{
    size_t ih = p[0] >> 4 == 4 ? 20 : 40;

    *len = ih + 24;
    set_ip_length(p, *len);
    p[ih + 12] = 0xf0;
    fix_tcp(p, *len);
}

static void data_offset_too_small(uint8_t *p, size_t *len)
{
    p[(p[0] >> 4 == 4 ? 20 : 40) + 12] = 0x40;
    fix_tcp(p, *len);
}

static void cut_in_the_ports(uint8_t *p, size_t *len)
{
    *len = (p[0] >> 4 == 4 ? 20 : 40) + 2;
    set_ip_length(p, *len);
}

static void lying_lengths_pass(void **state)
{
    (void)state;
    EXPECT_EACH_PASSED({4, length_says_more}, {6, length_says_more}, {4, link_padding},
                       {6, link_padding}, {4, data_offset_past_the_end},
                       {6, data_offset_past_the_end}, {4, data_offset_too_small},
                       {6, data_offset_too_small}, {4, cut_in_the_ports}, {6, cut_in_the_ports});
}

/* Other protocols and what is not IP at all pass untouched, and do not
 * break a TCP run they sit in. */
static void other_packets_untouched(void **state)
{
    struct spec udp = seg(4, 0, 50), icmp = seg(4, 0, 50), udp6 = seg(6, 0, 50);
    struct spec icmp6 = seg(6, 0, 50), s = seg(4, 0, 100);

    (void)state;
    udp.proto = 17, icmp.proto = 1, udp6.proto = 17, icmp6.proto = 58;
    add(&s);
    add(&udp);
    add(&icmp);
    add(&udp6);
    add(&icmp6);
    bufs[nbufs] = (struct uipsec_buf){.base = mem[nbufs], .cap = CAP, .off = OFF, .len = 0};
    keep(nbufs++);
    mem[nbufs][OFF] = 0x50; /* version 5 */
    bufs[nbufs] = (struct uipsec_buf){.base = mem[nbufs], .cap = CAP, .off = OFF, .len = 60};
    keep(nbufs++);
    s.seq = 100;
    add(&s);
    assert_int_equal(run(), 7);
    check_super(0, 4, 0, 2, 100, 200);
    for (size_t i = 1; i < 7; i++)
        check_plain(i, i);
}

/* The IP length limit, to the byte: 5 segments of 13099 (IPv4) or 13103
 * (IPv6) bytes make 65535, a sixth does not fit. */
static void length_limit(void **state)
{
    (void)state;
    for (uint8_t family = 4; family <= 6; family += 2) {
        size_t size = family == 4 ? 13099 : 13103;

        setup(NULL);
        add_run(seg(family, 0, size), 6);
        assert_int_equal(run(), 2);
        check_super(0, family, 0, 5, size, 5 * size);
        assert_int_equal(bufs[0].len, family == 4 ? 65535 : 65575);
        check_plain(1, 5);
    }
}

static void segment_limit(void **state)
{
    (void)state;
    add_run(seg(6, 0, 10), GRO_MAX_SEGS + 2);
    assert_int_equal(run(), 2);
    check_super(0, 6, 0, GRO_MAX_SEGS, 10, 10 * GRO_MAX_SEGS);
    check_super(1, 6, 10 * GRO_MAX_SEGS, 2, 10, 20);
}

/* The first buffer's capacity, to the byte. */
static void buffer_capacity(void **state)
{
    (void)state;
    for (uint32_t spare = 0; spare < 2; spare++) {
        setup(NULL);
        add_run(seg(4, 0, 100), 4);
        bufs[0].cap = OFF + 340 - spare;
        assert_int_equal(run(), 2);
        if (spare) {
            check_super(0, 4, 0, 2, 100, 200);
            check_super(1, 4, 200, 2, 100, 200);
        } else {
            check_super(0, 4, 0, 3, 100, 300);
            check_plain(1, 3);
        }
    }
}

/* Every buffer comes back, those merged away after the outputs. */
static void no_buffer_is_lost(void **state)
{
    struct spec a = seg(4, 0, 100), b = seg(6, 0, 100);
    bool seen[8] = {false};

    (void)state;
    for (int i = 0; i < 4; i++, a.seq += 100, b.seq += 100, a.id++) {
        add(&a);
        add(&b);
    }
    assert_int_equal(run(), 2);
    for (size_t i = 0; i < 8; i++)
        seen[(bufs[i].base - mem[0]) / CAP] = true;
    for (size_t i = 0; i < 8; i++)
        assert_true(seen[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(v4_equal_segments_merge, setup),
        cmocka_unit_test_setup(v6_equal_segments_merge, setup),
        cmocka_unit_test_setup(v4_matches_scapy, setup),
        cmocka_unit_test_setup(v6_matches_scapy, setup),
        cmocka_unit_test_setup(short_segment_ends_the_run, setup),
        cmocka_unit_test_setup(psh_ends_the_run, setup),
        cmocka_unit_test_setup(out_of_order_and_gaps, setup),
        cmocka_unit_test_setup(interleaved_flows, setup),
        cmocka_unit_test_setup(more_flows_than_the_table, setup),
        cmocka_unit_test_setup(differing_headers_are_not_merged, setup),
        cmocka_unit_test_setup(ipv4_ids, setup),
        cmocka_unit_test_setup(bad_checksums_are_not_merged, setup),
        cmocka_unit_test_setup(control_flags_pass, setup),
        cmocka_unit_test_setup(ip_layer_oddities_pass, setup),
        cmocka_unit_test_setup(ipv4_reserved_flag_passes, setup),
        cmocka_unit_test_setup(lying_lengths_pass, setup),
        cmocka_unit_test_setup(other_packets_untouched, setup),
        cmocka_unit_test_setup(length_limit, setup),
        cmocka_unit_test_setup(segment_limit, setup),
        cmocka_unit_test_setup(buffer_capacity, setup),
        cmocka_unit_test_setup(no_buffer_is_lost, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
