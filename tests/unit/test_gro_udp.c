/* SPDX-License-Identifier: MIT */
/*
 * uipsecd's inbound UDP coalescer (src/daemon/gro_udp.c).  Datagrams are
 * built here from first principles (testpkt.h; checksums summed here, not
 * by the engine's ip.c).  A super-packet is checked field by field, and
 * then cut back into datagrams as the kernel's __udp_gso_segment and
 * inet_gso_segment / ipv6_gso_segment would (IPv4 IDs counting up from the
 * first, lengths, header checksum, the UDP checksum completed, 0 sent as
 * 0xffff): the pieces must be exactly the datagrams given, an IPv4 one
 * given without a checksum getting the one the kernel computes.  Two
 * super-packets are compared with scapy's bytes, Debian's python3-scapy
 * 2.5:
 *   fill = lambda n, s: bytes(((s + i * 7) & 0xff) for i in range(n))
 *   pay = fill(16, 1) + fill(16, 2) + fill(10, 3)
 *   IP(src="10.0.0.1", dst="10.0.0.2", id=7, flags="DF", ttl=64, tos=0x10)
 *     / UDP(sport=1000, dport=2000) / pay
 *   IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=64, tc=0x20,
 *        fl=0x12345) / UDP(sport=1000, dport=2000) / pay
 * (scapy's UDP checksums: 0x1876 and 0xd103), and one datagram, the
 * second of the IPv4 run, with its checksum 0x4632.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bytes.h"
#include "gro_udp.h"
#include "gso.h"
#include "testpkt.h"

#define NBUF 80
#define OFF  64
#define CAP  (OFF + 75000) /* room past the 64 KB limit, for it to be what stops a run */
#define MAXP 65575         /* the largest IP packet: IPv6 header and 64 KB */

static uint8_t mem[NBUF][CAP], snap[NBUF][MAXP];
static size_t inlen[NBUF];
static struct uipsec_buf bufs[NBUF];
static struct virtio_net_hdr hdrs[NBUF], inhdr[NBUF];
static size_t nbufs;
static const struct virtio_net_hdr zero;

static const uint8_t src4[4] = {10, 0, 0, 1}, dst4[4] = {10, 0, 0, 2};
static const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t dst6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

/* One datagram: payload filled from seed (seed, seed + 7, ...). */
struct spec {
    uint8_t family, tos, ttl, proto, seed;
    uint16_t sport, id;
    uint32_t label;
    size_t payload;
    bool df, nocsum;
};

static struct spec dgram(uint8_t family, size_t payload, uint8_t seed)
{
    return (struct spec){.family = family,
                         .ttl = 64,
                         .proto = 17,
                         .seed = seed,
                         .sport = 1000,
                         .id = 7,
                         .payload = payload,
                         .df = true};
}

static uint8_t *pkt(size_t i)
{
    return bufs[i].base + bufs[i].off;
}

static size_t iplen(const uint8_t *p)
{
    return p[0] >> 4 == 4 ? 20 : 40;
}

/* The pseudo-header's sum for a packet whose UDP part is ul bytes. */
static uint32_t pseudo(const uint8_t *p, size_t ul)
{
    if (p[0] >> 4 == 4)
        return inet_sum((uint32_t)ul + 17, p + 12, 8);
    return inet_sum((uint32_t)ul + 17, p + 8, 32);
}

/* Sets the UDP checksum of the plain datagram p[0, len) (RFC 768: a
 * computed 0 is sent as 0xffff). */
static void udp_csum(uint8_t *p, size_t len)
{
    size_t ih = iplen(p), ul = len - ih;
    uint16_t c;

    put16(p + ih + 6, 0);
    c = (uint16_t)~inet_fold(inet_sum(pseudo(p, ul), p + ih, ul));
    put16(p + ih + 6, c ? c : 0xffff);
}

static void ip_header(const struct spec *s, uint8_t *p, size_t ul)
{
    if (s->family == 4) {
        p[0] = 0x45;
        p[1] = s->tos;
        put16(p + 2, 20 + ul);
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
    put16(p + 4, ul);
    p[6] = s->proto;
    p[7] = s->ttl;
    memcpy(p + 8, src6, 16);
    memcpy(p + 24, dst6, 16);
}

/* Remembers input j as it is now, to compare an output with. */
static void keep(size_t j)
{
    inlen[j] = bufs[j].len;
    memcpy(snap[j], pkt(j), inlen[j]);
    inhdr[j] = hdrs[j];
}

/* Builds s in the next buffer, with a zero hdr, and returns the packet. */
static uint8_t *add(const struct spec *s)
{
    struct uipsec_buf *b = &bufs[nbufs];
    uint8_t *p = mem[nbufs] + OFF, *u;
    size_t ih = s->family == 4 ? 20 : 40, ul = 8 + s->payload;

    *b = (struct uipsec_buf){.base = p - OFF, .cap = CAP, .off = OFF, .len = (uint32_t)(ih + ul)};
    hdrs[nbufs] = zero;
    memset(p, 0, ih + 8);
    ip_header(s, p, ul);
    u = p + ih;
    put16(u, s->sport);
    put16(u + 2, 2000);
    put16(u + 4, ul);
    fill(u + 8, s->payload, s->seed);
    if (!s->nocsum)
        udp_csum(p, ih + ul);
    keep(nbufs++);
    return p;
}

/* Adds count datagrams like s, IDs counting up, seeds from s's. */
static void add_run(struct spec s, size_t count)
{
    for (size_t i = 0; i < count; i++, s.id++, s.seed++)
        add(&s);
}

static int setup(void **state)
{
    (void)state;
    nbufs = 0;
    return 0;
}

static size_t run(void)
{
    return gro_udp(bufs, nbufs, hdrs);
}

/* Output i is input j as it came, in its own buffer, with its own hdr
 * (zero unless it came with one). */
static void check_plain(size_t i, size_t j)
{
    assert_ptr_equal(bufs[i].base, mem[j]);
    assert_int_equal(bufs[i].off, OFF);
    assert_int_equal(bufs[i].len, inlen[j]);
    assert_memory_equal(pkt(i), snap[j], inlen[j]);
    assert_memory_equal(&hdrs[i], &inhdr[j], sizeof(hdrs[i]));
}

/* Output i is a super-packet of count datagrams: lengths, IPv4 header
 * checksum, hdr, and the partial checksum, which completes to a valid one
 * when the kernel sums the bytes from csum_start. */
static void check_super(size_t i, size_t count)
{
    uint8_t *p = pkt(i), *u;
    size_t ih = iplen(p), ul = bufs[i].len - ih, data = ul - 8;
    uint16_t partial;

    u = p + ih;
    assert_int_equal(hdrs[i].flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
    assert_int_equal(hdrs[i].gso_type, VIRTIO_NET_HDR_GSO_UDP_L4);
    assert_int_equal(hdrs[i].hdr_len, ih + 8);
    assert_int_equal(hdrs[i].csum_start, ih);
    assert_int_equal(hdrs[i].csum_offset, 6);
    assert_true(count > 1 && hdrs[i].gso_size > 0);
    assert_true(data > (count - 1) * hdrs[i].gso_size && data <= count * hdrs[i].gso_size);
    if (ih == 20) {
        assert_int_equal(get16(p + 2), bufs[i].len);
        assert_true(csum4_ok(p));
    } else {
        assert_int_equal(get16(p + 4), ul);
    }
    assert_int_equal(get16(u + 4), ul);
    /* folded, not complemented: what udp4_hwcsum leaves there */
    partial = get16(u + 6);
    assert_int_equal(partial, inet_fold(pseudo(p, ul)));
    put16(u + 6, (uint16_t)~inet_fold(inet_sum(0, u, ul)));
    assert_int_equal(inet_fold(inet_sum(pseudo(p, ul), u, ul)), 0xffff);
    put16(u + 6, partial);
}

/* Piece m of super-packet i, cut as the kernel cuts it, into out; its
 * length is returned. */
static size_t piece(size_t i, size_t m, uint8_t *out)
{
    const uint8_t *p = pkt(i);
    size_t ih = hdrs[i].csum_start, g = hdrs[i].gso_size, data = bufs[i].len - ih - 8;
    size_t at = m * g, n = data - at < g ? data - at : g;

    assert_true(at < data);
    memcpy(out, p, ih + 8);
    memcpy(out + ih + 8, p + ih + 8 + at, n);
    if (ih == 20) {
        put16(out + 2, ih + 8 + n);
        put16(out + 4, get16(p + 4) + m);
        csum4(out);
    } else {
        put16(out + 4, 8 + n);
    }
    put16(out + ih + 4, 8 + n);
    udp_csum(out, ih + 8 + n);
    return ih + 8 + n;
}

/* Input j as the kernel gives it back as piece m of a super-packet whose
 * IPv4 ID is id: with DF set the IDs are the kernel's (RFC 6864: they
 * mean nothing then), and without a checksum it gets the computed one. */
static size_t expected(size_t j, uint16_t id, size_t m, uint8_t *out)
{
    memcpy(out, snap[j], inlen[j]);
    if (out[0] >> 4 == 4 && (out[6] & 0x40)) {
        put16(out + 4, id + m);
        csum4(out);
    }
    if (out[0] >> 4 == 4 && get16(out + 20 + 6) == 0)
        udp_csum(out, inlen[j]);
    return inlen[j];
}

/* Output i, cut back, is exactly the inputs in[0, count), in order; the
 * super-packet sits in the first one's buffer. */
static void check_split(size_t i, const size_t *in, size_t count)
{
    static uint8_t got[MAXP], want[MAXP];

    assert_ptr_equal(bufs[i].base, mem[in[0]]);
    for (size_t m = 0; m < count; m++) {
        size_t n = piece(i, m, got);

        assert_int_equal(n, expected(in[m], get16(pkt(i) + 4), m, want));
        assert_memory_equal(got, want, n);
    }
    assert_int_equal(bufs[i].len - hdrs[i].csum_start - 8, (count - 1) * hdrs[i].gso_size +
                                                               inlen[in[count - 1]] -
                                                               iplen(snap[in[count - 1]]) - 8);
}

/* Output i is inputs in[0, count): as it came when one, else merged. */
static void expect_out(size_t i, const size_t *in, size_t count)
{
    if (count == 1) {
        check_plain(i, in[0]);
        return;
    }
    check_super(i, count);
    check_split(i, in, count);
}

#define OUT(i, ...)                                                                                \
    expect_out(i, (const size_t[]){__VA_ARGS__},                                                   \
               sizeof((const size_t[]){__VA_ARGS__}) / sizeof(size_t))

/* A run of equal datagrams becomes one super-packet in the first one's
 * buffer; the datagrams cut back out of it are the ones given. */
static void equal_datagrams_merge(uint8_t family)
{
    add_run(dgram(family, 100, 0), 4);
    assert_int_equal(run(), 1);
    OUT(0, 0, 1, 2, 3);
    assert_int_equal(hdrs[0].gso_size, 100);
}

static void v4_equal_datagrams_merge(void **state)
{
    (void)state;
    equal_datagrams_merge(4);
}

static void v6_equal_datagrams_merge(void **state)
{
    (void)state;
    equal_datagrams_merge(6);
}

/* Byte for byte against scapy's super-packet (the checksum field aside),
 * and the completed partial checksum is scapy's. */
static void against_scapy(uint8_t family, const char *want_hex, uint16_t want_csum)
{
    struct bytes want = bytes_hex(want_hex);
    struct spec s = dgram(family, 16, 1);
    size_t ih = family == 4 ? 20 : 40;
    uint8_t *u;

    s.tos = family == 4 ? 0x10 : 0x20, s.label = 0x12345;
    add_run(s, 2);
    s.payload = 10, s.seed = 3, s.id = 9;
    add(&s);
    assert_int_equal(run(), 1);
    OUT(0, 0, 1, 2);
    assert_int_equal(bufs[0].len, want.len);
    assert_memory_equal(pkt(0), want.p, ih + 6);
    assert_memory_equal(pkt(0) + ih + 8, want.p + ih + 8, want.len - ih - 8);
    u = pkt(0) + ih;
    put16(u + 6, (uint16_t)~inet_fold(inet_sum(0, u, want.len - ih)));
    assert_int_equal(get16(u + 6), want_csum);
    free_bytes(&want);
}

static void v4_matches_scapy(void **state)
{
    (void)state;
    against_scapy(4,
                  "45100046000740004011268e0a0000010a00000203e807d00032187601080f161d242b3239"
                  "40474e555c636a020910171e252c333a41484f565d646b030a11181f262d343b42",
                  0x1876);
}

static void v6_matches_scapy(void **state)
{
    (void)state;
    against_scapy(6,
                  "620123450032114020010db800000000000000000000000120010db800000000000000000"
                  "000000203e807d00032d10301080f161d242b323940474e555c636a020910171e252c333a"
                  "41484f565d646b030a11181f262d343b42",
                  0xd103);
}

/* The datagram builder itself against scapy's. */
static void builder_matches_scapy(void **state)
{
    struct bytes want = bytes_hex("4510002c00084000401126a70a0000010a00000203e807d000184632020910"
                                  "171e252c333a41484f565d646b");
    struct spec s = dgram(4, 16, 2);

    (void)state;
    s.tos = 0x10, s.id = 8;
    assert_memory_equal(add(&s), want.p, want.len);
    free_bytes(&want);
}

/* A shorter datagram is merged as the last and ends the run; a larger one
 * cannot be cut from the run, so it starts the next. */
static void shorter_last_and_larger(void **state)
{
    struct spec s = dgram(4, 100, 0);

    (void)state;
    add_run(s, 2);
    s.payload = 50, s.id = 9, s.seed = 2;
    add(&s);
    s.payload = 100, s.id = 10, s.seed = 3;
    add(&s); /* after the close: alone */
    s.payload = 150, s.id = 11, s.seed = 4;
    add_run(s, 2);
    s.payload = 151, s.id = 13;
    add(&s);
    assert_int_equal(run(), 4);
    OUT(0, 0, 1, 2);
    assert_int_equal(hdrs[0].gso_size, 100);
    OUT(1, 3);
    OUT(2, 4, 5);
    OUT(3, 6);
}

/* Interleaved flows merge each, in the order of their first datagrams;
 * packets of other protocols between them stay where they were. */
static void interleaved_flows(void **state)
{
    struct spec a = dgram(4, 100, 0), b = dgram(4, 60, 50), c = dgram(6, 80, 90);
    struct spec icmp = dgram(4, 30, 0);

    (void)state;
    b.sport = 1001, icmp.proto = 1;
    for (int i = 0; i < 3; i++, a.id++, b.id++, a.seed++, b.seed++, c.seed++) {
        add(&a);
        add(&b);
        add(&c);
    }
    add(&icmp);
    add(&a);
    assert_int_equal(run(), 4);
    OUT(0, 0, 3, 6, 10);
    OUT(1, 1, 4, 7);
    OUT(2, 2, 5, 8);
    OUT(3, 9);
}

/* gro_tcp's super-packet keeps its bytes and hdr; a UDP datagram given
 * with a hdr is written as it is and ends its flow's run before it. */
static void tcp_super_packet_untouched(void **state)
{
    struct spec u = dgram(4, 100, 0), t = dgram(4, 0, 0);
    size_t k;

    (void)state;
    t.proto = 6;
    for (int i = 0; i < 3; i++, u.id++, u.seed++) {
        uint8_t *p = add(&t), tcp[20] = {0x03, 0xe8, 0x07, 0xd0, [12] = 0x50, [13] = 0x10};

        /* a TCP segment of 100 bytes at sequence 100 i, checksum right */
        bufs[nbufs - 1].len = 140;
        put16(p + 2, 140);
        csum4(p);
        put32(tcp + 4, 100 * (uint32_t)i);
        memcpy(p + 20, tcp, 20);
        fill(p + 40, 100, (uint8_t)(7 * i));
        put16(p + 36, (uint16_t)~inet_fold(inet_sum(inet_sum(126, p + 12, 8), p + 20, 120)));
        keep(nbufs - 1);
        add(&u);
    }
    k = gro_tcp(bufs, nbufs, hdrs);
    assert_int_equal(k, 4);
    assert_int_equal(hdrs[0].gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
    keep(0); /* the TCP super-packet, as gro_tcp made it */
    nbufs = k;
    assert_int_equal(run(), 2);
    check_plain(0, 0);
    OUT(1, 1, 3, 5);

    setup(NULL);
    add_run(u, 5);
    hdrs[2].gso_type = VIRTIO_NET_HDR_GSO_TCPV4; /* as gro_tcp would not */
    keep(2);
    assert_int_equal(run(), 3);
    OUT(0, 0, 1);
    check_plain(1, 2);
    OUT(2, 3, 4);
}

/* Over IPv4 a zero checksum is none: merged, the kernel computes one for
 * each datagram it cuts (expected() wants it). */
static void ipv4_zero_checksum_merges(void **state)
{
    struct spec s = dgram(4, 100, 0);

    (void)state;
    s.nocsum = true;
    add_run(s, 2);
    s.nocsum = false, s.id = 9, s.seed = 2;
    add(&s);
    s.nocsum = true, s.id = 10, s.seed = 3;
    add(&s);
    assert_int_equal(run(), 1);
    OUT(0, 0, 1, 2, 3);
    assert_int_equal(get16(snap[0] + 26), 0);
}

/* A packet changed by f, put between a run of two and the next two of its
 * flow, goes alone and ends the run before it, so that no datagram
 * overtakes it. */
typedef void change_fn(uint8_t *p, size_t *len);

static void expect_passed(uint8_t family, change_fn *change)
{
    struct spec s = dgram(family, 100, 0);
    size_t len;

    setup(NULL);
    add_run(s, 5);
    len = bufs[2].len;
    change(pkt(2), &len);
    bufs[2].len = (uint32_t)len;
    keep(2);
    assert_int_equal(run(), 3);
    OUT(0, 0, 1);
    OUT(1, 2);
    OUT(2, 3, 4);
}

/* The same packet first: goes alone, and the run starts after it. */
static void expect_first_passed(uint8_t family, change_fn *change)
{
    size_t len;

    setup(NULL);
    add_run(dgram(family, 100, 0), 4);
    len = bufs[0].len;
    change(pkt(0), &len);
    bufs[0].len = (uint32_t)len;
    keep(0);
    assert_int_equal(run(), 2);
    OUT(0, 0);
    OUT(1, 1, 2, 3);
}

struct change {
    uint8_t family;
    change_fn *f;
};

static void expect_each_passed(const struct change *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        expect_passed(c[i].family, c[i].f);
        expect_first_passed(c[i].family, c[i].f);
    }
}

#define EXPECT_EACH_PASSED(...)                                                                    \
    do {                                                                                           \
        static const struct change c[] = {__VA_ARGS__};                                            \
        expect_each_passed(c, sizeof(c) / sizeof(c[0]));                                           \
    } while (0)

static void zero_checksum(uint8_t *p, size_t *len)
{
    (void)len;
    put16(p + iplen(p) + 6, 0);
}

static void ipv6_zero_checksum_refused(void **state)
{
    (void)state;
    EXPECT_EACH_PASSED({6, zero_checksum});
}

static void spoil_payload(uint8_t *p, size_t *len)
{
    p[*len - 1] ^= 0x80;
}

static void spoil_ip_checksum(uint8_t *p, size_t *len)
{
    (void)len;
    p[11] ^= 1;
}

/* An all-ones checksum that is not the datagram's (0xffff and 0 are the
 * same number, so only a checksum over the data tells them apart). */
static void spoil_to_all_ones(uint8_t *p, size_t *len)
{
    put16(p + iplen(p) + 6, get16(p + iplen(p) + 6) == 0xffff ? 0xfffe : 0xffff);
    (void)len;
}

static void spoil_id(uint8_t *p, size_t *len)
{
    (void)len;
    p[5] ^= 1; /* with DF a field no rule compares: only the checksum stops it */
}

static void bad_checksums_refused(void **state)
{
    (void)state;
    EXPECT_EACH_PASSED({4, spoil_payload}, {6, spoil_payload}, {4, spoil_ip_checksum},
                       {4, spoil_to_all_ones}, {6, spoil_to_all_ones}, {4, spoil_id});
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

/* The reserved flag (RFC 3514's evil bit): merged, it would be lost or
 * copied to every datagram. */
static void reserved_flag(uint8_t *p, size_t *len)
{
    (void)len;
    p[6] |= 0x80;
    csum4(p);
}

static void first_fragment(uint8_t *p, size_t *len)
{
    (void)len;
    put16(p + 6, 0x6000); /* DF kept and MF: ports readable, not mergeable */
    csum4(p);
}

static void later_fragment(uint8_t *p, size_t *len)
{
    (void)len;
    put16(p + 6, 0x4000 | 100); /* offset 800: no ports, the addresses' runs end */
    memset(p + 20, 0, 4);       /* where ports would be, data of another flow */
    csum4(p);
}

/* IPv4 options (record route, empty) move the UDP header by 4 bytes. */
static void ip_options(uint8_t *p, size_t *len)
{
    memmove(p + 24, p + 20, *len - 20);
    memcpy(p + 20, "\x07\x03\x04\x00", 4);
    *len += 4;
    p[0] = 0x46;
    put16(p + 2, *len);
    csum4(p);
}

/* An IPv6 extension header (8 bytes) of type nh before UDP. */
static void ext_header(uint8_t *p, size_t *len, uint8_t nh, const char *h)
{
    memmove(p + 48, p + 40, *len - 40);
    memcpy(p + 40, h, 8);
    *len += 8;
    p[6] = nh;
    put16(p + 4, *len - 40);
}

static void dest_options(uint8_t *p, size_t *len)
{
    ext_header(p, len, 60, "\x11\x00\x01\x04\x00\x00\x00\x00");
}

static void fragment_header(uint8_t *p, size_t *len)
{
    ext_header(p, len, 44, "\x11\x00\x00\x01\x00\x00\x00\x2a"); /* M: a first fragment */
}

static void ip_layer_oddities_pass(void **state)
{
    (void)state;
    EXPECT_EACH_PASSED({4, reserved_flag}, {4, first_fragment}, {4, later_fragment},
                       {4, ip_options}, {6, dest_options}, {6, fragment_header});
}

static void ip_length_says_more(uint8_t *p, size_t *len)
{
    set_ip_length(p, *len + 10);
}

/* 4 bytes of link padding after a datagram whose IP and UDP lengths leave
 * them out, with the checksum right: only the length check stops them
 * being merged as data. */
static void link_padding(uint8_t *p, size_t *len)
{
    *len -= 4;
    set_ip_length(p, *len);
    put16(p + iplen(p) + 4, *len - iplen(p));
    udp_csum(p, *len);
    *len += 4;
}

/* The UDP length field off by d, the checksum right over the bytes the
 * IP length gives: only the length check stops the datagram. */
static void udp_length_off(uint8_t *p, size_t *len, int d)
{
    put16(p + iplen(p) + 4, (size_t)((int)(*len - iplen(p)) + d));
    udp_csum(p, *len);
}

static void udp_length_says_more(uint8_t *p, size_t *len)
{
    udp_length_off(p, len, 2);
}

static void udp_length_says_less(uint8_t *p, size_t *len)
{
    udp_length_off(p, len, -2);
}

static void udp_length_below_header(uint8_t *p, size_t *len)
{
    udp_length_off(p, len, -(int)(*len - iplen(p)) + 4);
}

static void header_only(uint8_t *p, size_t *len)
{
    *len = iplen(p) + 8;
    set_ip_length(p, *len);
    put16(p + iplen(p) + 4, 8);
    udp_csum(p, *len);
}

static void cut_in_the_ports(uint8_t *p, size_t *len)
{
    *len = iplen(p) + 2;
    set_ip_length(p, *len);
}

static void cut_in_the_header(uint8_t *p, size_t *len)
{
    *len = iplen(p) + 6;
    set_ip_length(p, *len);
}

static void lying_lengths_pass(void **state)
{
    (void)state;
    EXPECT_EACH_PASSED({4, ip_length_says_more}, {6, ip_length_says_more}, {4, link_padding},
                       {6, link_padding}, {4, udp_length_says_more}, {6, udp_length_says_more},
                       {4, udp_length_says_less}, {6, udp_length_says_less},
                       {4, udp_length_below_header}, {6, udp_length_below_header}, {4, header_only},
                       {6, header_only}, {4, cut_in_the_ports}, {6, cut_in_the_ports},
                       {4, cut_in_the_header}, {6, cut_in_the_header});
}

/* A second datagram that differs from the first where the kernel wants
 * them equal is not merged. */
static void expect_unmerged(struct spec first, struct spec second)
{
    setup(NULL);
    add(&first);
    add(&second);
    assert_int_equal(run(), 2);
    OUT(0, 0);
    OUT(1, 1);
}

static void differing_headers_are_not_merged(void **state)
{
    struct spec a = dgram(4, 100, 0), b = a, a6 = dgram(6, 100, 0), b6;

    (void)state;
    b.id = 8, b.seed = 1;
    b.tos = 2;
    expect_unmerged(a, b);
    b.tos = 0, b.ttl = 63;
    expect_unmerged(a, b);
    b.ttl = 64, b.df = false;
    expect_unmerged(a, b);
    b.df = true, b.sport = 1001;
    expect_unmerged(a, b);
    b6 = a6, b6.seed = 1, b6.label = 1;
    expect_unmerged(a6, b6);
    b6.label = 0, b6.tos = 1;
    expect_unmerged(a6, b6);
    b6.tos = 0, b6.ttl = 1;
    expect_unmerged(a6, b6);
    b6.ttl = 64;
    expect_unmerged(a, b6); /* another family */
}

/* An IPv4 datagram after an IPv6 one that looks the same where the
 * IPv6 rules read it: bytes 8 to 39 (the IPv6 addresses) alike, the
 * ports too, and the IPv4 fields where the IPv6 header has TOS 0, no DF
 * (next header, hop limit) and the ID (payload length + 1). */
static void other_family_alike(void **state)
{
    struct spec a = dgram(6, 100, 0), b = dgram(4, 100, 1);
    uint8_t *p = add(&a);

    (void)state;
    b.df = false, b.id = 109;
    memcpy(p + 8, add(&b) + 8, 32);
    udp_csum(p, bufs[0].len);
    keep(0);
    assert_int_equal(run(), 2);
    OUT(0, 0);
    OUT(1, 1);
}

/* Without DF the IDs must count up by one; with DF they mean nothing and
 * the kernel numbers the datagrams it cuts (expected() knows). */
static void ipv4_ids(void **state)
{
    struct spec a = dgram(4, 100, 0), b = a;

    (void)state;
    a.df = b.df = false, b.id = 9, b.seed = 1;
    expect_unmerged(a, b);
    setup(NULL);
    b.id = 8;
    add(&a);
    add(&b);
    assert_int_equal(run(), 1);
    OUT(0, 0, 1);
    setup(NULL);
    a.df = b.df = true, b.id = 1234;
    add(&a);
    add(&b);
    assert_int_equal(run(), 1);
    OUT(0, 0, 1);
}

/* Other protocols and what is not IP at all pass untouched, and do not
 * break a UDP run they sit in. */
static void other_packets_untouched(void **state)
{
    struct spec tcp = dgram(4, 50, 0), icmp6 = dgram(6, 50, 0), s = dgram(4, 100, 0);

    (void)state;
    tcp.proto = 6, icmp6.proto = 58;
    add(&s);
    add(&tcp);
    add(&icmp6);
    bufs[nbufs] = (struct uipsec_buf){.base = mem[nbufs], .cap = CAP, .off = OFF, .len = 0};
    hdrs[nbufs] = zero;
    keep(nbufs++);
    mem[nbufs][OFF] = 0x50; /* version 5 */
    bufs[nbufs] = (struct uipsec_buf){.base = mem[nbufs], .cap = CAP, .off = OFF, .len = 60};
    hdrs[nbufs] = zero;
    keep(nbufs++);
    s.id = 8, s.seed = 1;
    add(&s);
    assert_int_equal(run(), 5);
    OUT(0, 0, 5);
    for (size_t i = 1; i < 5; i++)
        OUT(i, i);
}

/* A ninth flow in a table of eight closes the oldest run (flow 0, one
 * datagram, written as it came); flow 0's next datagram opens a run again
 * and closes the next oldest (flow 1, whose third datagram goes alone). */
static void more_flows_than_the_table(void **state)
{
    struct spec s = dgram(6, 100, 0);

    (void)state;
    for (uint16_t f = 0; f < GRO_FLOWS; f++, s.seed++) {
        s.sport = (uint16_t)(1000 + f);
        add(&s);
    }
    for (uint16_t f = 1; f <= GRO_FLOWS; f++, s.seed++) {
        s.sport = (uint16_t)(1000 + f);
        add(&s);
    }
    add(&s); /* flow 8's second */
    s.sport = 1000, s.seed++;
    add(&s);
    s.sport = 1001, s.seed++;
    add(&s);
    assert_int_equal(run(), GRO_FLOWS + 3);
    OUT(0, 0);
    for (size_t f = 1; f < GRO_FLOWS; f++)
        OUT(f, f, GRO_FLOWS + f - 1);
    OUT(GRO_FLOWS, 2 * GRO_FLOWS - 1, 2 * GRO_FLOWS);
    OUT(GRO_FLOWS + 1, 2 * GRO_FLOWS + 1);
    OUT(GRO_FLOWS + 2, 2 * GRO_FLOWS + 2);
}

/* The IP length limit, to the byte: 13 datagrams of 5039 bytes make an
 * IPv4 packet of 65535, 7 of 9361 an IPv6 one of 40 + 65535; one more
 * does not fit. */
static void length_limit(void **state)
{
    (void)state;
    for (uint8_t family = 4; family <= 6; family += 2) {
        size_t size = family == 4 ? 5039 : 9361, count = family == 4 ? 13 : 7;
        size_t in[13];

        setup(NULL);
        add_run(dgram(family, size, 0), count + 1);
        assert_int_equal(run(), 2);
        for (size_t i = 0; i < count; i++)
            in[i] = i;
        check_super(0, count);
        check_split(0, in, count);
        assert_int_equal(bufs[0].len, family == 4 ? 65535 : 65575);
        OUT(1, count);
    }
}

static void datagram_limit(void **state)
{
    size_t in[GRO_MAX_SEGS];

    (void)state;
    add_run(dgram(6, 10, 0), GRO_MAX_SEGS + 2);
    assert_int_equal(run(), 2);
    for (size_t i = 0; i < GRO_MAX_SEGS; i++)
        in[i] = i;
    check_super(0, GRO_MAX_SEGS);
    check_split(0, in, GRO_MAX_SEGS);
    OUT(1, GRO_MAX_SEGS, GRO_MAX_SEGS + 1);
}

/* The first buffer's capacity, to the byte: 3 datagrams of 100 make 328. */
static void buffer_capacity(void **state)
{
    (void)state;
    for (uint32_t short_by = 0; short_by < 2; short_by++) {
        setup(NULL);
        add_run(dgram(4, 100, 0), 4);
        bufs[0].cap = OFF + 328 - short_by;
        assert_int_equal(run(), 2);
        if (short_by) {
            OUT(0, 0, 1);
            OUT(1, 2, 3);
        } else {
            OUT(0, 0, 1, 2);
            OUT(1, 3);
        }
    }
}

/* Every buffer comes back, those merged away after the outputs. */
static void no_buffer_is_lost(void **state)
{
    struct spec a = dgram(4, 100, 0), b = dgram(6, 100, 0);
    bool seen[8] = {false};

    (void)state;
    for (int i = 0; i < 4; i++, a.id++, a.seed++, b.seed++) {
        add(&a);
        add(&b);
    }
    assert_int_equal(run(), 2);
    for (size_t i = 0; i < 8; i++)
        seen[(bufs[i].base - mem[0]) / CAP] = true;
    for (size_t i = 0; i < 8; i++)
        assert_true(seen[i]);
}

/* The property: in random batches (flows of both families, runs broken by
 * shorter, larger, corrupt, zero-checksum, fragmented and foreign packets,
 * packets that came with a hdr), every output is an input as it came or a
 * super-packet that the kernel cuts back into inputs; every input comes
 * out exactly once, and no packet of a flow overtakes another. */
static uint32_t rng = 12345;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
    return rng % n;
}

static void add_random(struct spec *flows, size_t n)
{
    struct spec *f = &flows[rnd((uint32_t)n)], s = *f;
    uint32_t what = rnd(20);
    uint8_t *p;

    s.payload = what == 0   ? 2 + rnd((uint32_t)f->payload - 1)
                : what == 1 ? f->payload + 1
                            : f->payload;
    s.nocsum = what == 2 || what == 3;
    s.proto = what == 4 ? 6 : 17;
    p = add(&s);
    put16(p + iplen(p) + 8, nbufs); /* every datagram unique */
    if (!s.nocsum)
        udp_csum(p, bufs[nbufs - 1].len);
    if (what == 5)
        p[bufs[nbufs - 1].len - 1] ^= 1;
    if (what == 6 && s.family == 4)
        first_fragment(p, NULL);
    if (what == 7)
        hdrs[nbufs - 1].gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
    keep(nbufs - 1);
    f->id = (uint16_t)(f->id + (rnd(8) ? 1 : 2));
}

/* Which input, not yet used, piece m of output i (IPv4 ID id) is. */
static size_t which(const uint8_t *got, size_t n, uint16_t id, size_t m, const bool *used)
{
    static uint8_t want[MAXP];

    for (size_t j = 0; j < nbufs; j++)
        if (!used[j] && expected(j, id, m, want) == n && !memcmp(got, want, n))
            return j;
    fail_msg("piece %zu of an output is no input", m);
    return 0;
}

/* Whether inputs a and b are of one UDP flow: addresses and ports, where
 * gro_udp sees them (the batches have no options or extension headers). */
static bool same_flow(size_t a, size_t b)
{
    const uint8_t *p = snap[a], *q = snap[b];
    size_t ih = iplen(p);

    if (p[0] != q[0] || p[ih == 20 ? 9 : 6] != 17 || q[ih == 20 ? 9 : 6] != 17)
        return false;
    if (memcmp(p + ih - (ih == 20 ? 8 : 32), q + ih - (ih == 20 ? 8 : 32), ih == 20 ? 8 : 32))
        return false;
    return !memcmp(p + ih, q + ih, 4);
}

static void random_batches_split_back(void **state)
{
    static uint8_t got[MAXP];
    size_t merged = 0;

    (void)state;
    for (int round = 0; round < 400; round++) {
        struct spec flows[4] = {dgram(4, 2 + rnd(1400), 0), dgram(4, 2 + rnd(300), 0),
                                dgram(6, 2 + rnd(1400), 0), dgram(6, 2 + rnd(30), 0)};
        size_t pos[NBUF], k, n = 1 + rnd(NBUF);
        bool used[NBUF] = {false};

        flows[1].sport = 1001, flows[1].df = rnd(2), flows[3].sport = 1001;
        setup(NULL);
        while (nbufs < n)
            add_random(flows, 4);
        k = run();
        for (size_t i = 0; i < k; i++) {
            size_t count = 0, data, j;

            if (hdrs[i].gso_type == VIRTIO_NET_HDR_GSO_UDP_L4) {
                data = bufs[i].len - hdrs[i].csum_start - 8;
                count = (data + hdrs[i].gso_size - 1) / hdrs[i].gso_size;
                check_super(i, count);
                for (size_t m = 0; m < count; m++) {
                    size_t len = piece(i, m, got);

                    j = which(got, len, get16(pkt(i) + 4), m, used);
                    assert_true(m > 0 || bufs[i].base == mem[j]);
                    used[j] = true, pos[j] = i;
                }
                merged += count;
                continue;
            }
            j = (size_t)(bufs[i].base - mem[0]) / CAP;
            check_plain(i, j);
            used[j] = true, pos[j] = i;
        }
        for (size_t j = 0; j < nbufs; j++) {
            assert_true(used[j]);
            for (size_t a = 0; a < j; a++)
                assert_true(!same_flow(a, j) || pos[a] <= pos[j]);
        }
    }
    assert_true(merged > 8000); /* the batches did merge (10997 pieces) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(v4_equal_datagrams_merge, setup),
        cmocka_unit_test_setup(v6_equal_datagrams_merge, setup),
        cmocka_unit_test_setup(v4_matches_scapy, setup),
        cmocka_unit_test_setup(v6_matches_scapy, setup),
        cmocka_unit_test_setup(builder_matches_scapy, setup),
        cmocka_unit_test_setup(shorter_last_and_larger, setup),
        cmocka_unit_test_setup(interleaved_flows, setup),
        cmocka_unit_test_setup(tcp_super_packet_untouched, setup),
        cmocka_unit_test_setup(ipv4_zero_checksum_merges, setup),
        cmocka_unit_test_setup(ipv6_zero_checksum_refused, setup),
        cmocka_unit_test_setup(bad_checksums_refused, setup),
        cmocka_unit_test_setup(ip_layer_oddities_pass, setup),
        cmocka_unit_test_setup(lying_lengths_pass, setup),
        cmocka_unit_test_setup(differing_headers_are_not_merged, setup),
        cmocka_unit_test_setup(other_family_alike, setup),
        cmocka_unit_test_setup(ipv4_ids, setup),
        cmocka_unit_test_setup(other_packets_untouched, setup),
        cmocka_unit_test_setup(more_flows_than_the_table, setup),
        cmocka_unit_test_setup(length_limit, setup),
        cmocka_unit_test_setup(datagram_limit, setup),
        cmocka_unit_test_setup(buffer_capacity, setup),
        cmocka_unit_test_setup(no_buffer_is_lost, setup),
        cmocka_unit_test_setup(random_batches_split_back, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
