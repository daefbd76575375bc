/* SPDX-License-Identifier: MIT */
/*
 * Batches through the ipsec-mb backend's bursts (src/lib/burst.h): every
 * packet of a batch is prepared, the AES-CBC and HMAC jobs of all of them
 * run at once and complete in the library's order, then each packet is
 * finished in order.  These tests fail if a burst gives a packet another
 * one's MAC, ciphertext or result, moves the replay window before the ICV
 * is checked or out of order, or lets a lifetime run past its limit.  The
 * references are independent of the bursts: an OpenSSL SA with the same
 * keys, fed one packet per call, and the engine itself one packet per call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "uipsec/uipsec.h"

#define NPKT     70 /* three bursts: 32 + 32 + 6 */
#define BUF      (UIPSEC_HEADROOM + 1800 + UIPSEC_TAILROOM)
#define WINDOW   64
#define HBH_LEN  256 /* the hop-by-hop header of ah_long_headers */
#define CORRUPT  13  /* the forged packet in the middle of a burst */
#define MAX_SEEN 100

struct shape {
    const char *suite;
    enum uipsec_proto proto;
    enum uipsec_mode mode;
    int family; /* inner and outer */
    bool esn, udp, hbh;
};

/* Every job-API suite, both modes and families; ESN numbers cross 2^32
 * inside the first burst. */
static const struct shape shapes[] = {
    {"aes128-sha256", UIPSEC_PROTO_ESP, UIPSEC_MODE_TUNNEL, 4, false, false, false},
    {"aes256-sha512", UIPSEC_PROTO_ESP, UIPSEC_MODE_TUNNEL, 6, true, true, false},
    {"aes128-sha384", UIPSEC_PROTO_ESP, UIPSEC_MODE_TRANSPORT, 6, false, true, false},
    {"aes256-sha256", UIPSEC_PROTO_ESP, UIPSEC_MODE_TRANSPORT, 4, true, false, false},
    {"null-sha256", UIPSEC_PROTO_ESP, UIPSEC_MODE_TUNNEL, 4, false, false, false},
    {"sha256", UIPSEC_PROTO_AH, UIPSEC_MODE_TUNNEL, 4, true, false, false},
    {"sha512", UIPSEC_PROTO_AH, UIPSEC_MODE_TRANSPORT, 6, false, false, false},
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

/* AH keeps each packet's IP headers aside while its ICV is computed; headers
 * this long fill that room after a few packets and cut the bursts short. */
static const struct shape long_headers = {
    "sha256", UIPSEC_PROTO_AH, UIPSEC_MODE_TRANSPORT, 6, false, false, true};

struct batch {
    uint8_t mem[NPKT][BUF];
    struct uipsec_buf b[NPKT];
};

static struct batch sent, got;

static struct uipsec_sa *sa_new(const struct shape *s, enum uipsec_dir dir, enum uipsec_backend be,
                                const struct uipsec_lifetime *lt)
{
    struct uipsec_sa_params p = {.spi = 0x4242, .dir = dir};
    struct uipsec_sa *sa = NULL;
    size_t ek, salt, ak;

    p.proto = s->proto;
    assert_int_equal(uipsec_suite_parse(s->suite, s->proto, &p), UIPSEC_OK);
    uipsec_suite_key_sizes(&p, &ek, &salt, &ak);
    fill(p.enc_key, ek, 1);
    fill(p.salt, salt, 2);
    fill(p.auth_key, ak, 3);
    p.auth_key_len = (uint8_t)ak;
    p.mode = s->mode;
    p.esn = s->esn;
    p.seq = s->esn ? 0xfffffff0ull : 1;
    p.replay_window = WINDOW;
    p.backend = be;
    p.tunnel_src.family = p.tunnel_dst.family = (uint8_t)s->family;
    p.tunnel_src.bytes[0] = 0xc0, p.tunnel_dst.bytes[0] = 0xc1;
    p.udp_dport = s->udp ? 4500 : 0;
    if (lt != NULL)
        p.lifetime = *lt;
    assert_int_equal(uipsec_sa_new(&p, &sa), UIPSEC_OK);
    if (dir == UIPSEC_DIR_IN && s->esn)
        uipsec_sa_set_esn_high(sa, 0);
    return sa;
}

/* An IPv6 header and, with hbh, a hop-by-hop header of HBH_LEN bytes of
 * PadN options (immutable: AH covers them); returns their length. */
static size_t ipv6_head(uint8_t *p, size_t total, bool hbh)
{
    size_t hl = 40 + (hbh ? HBH_LEN : 0);

    memset(p, 0, hl);
    p[0] = 0x60, p[6] = hbh ? 0 : 17, p[7] = 64, p[8] = 0x20, p[23] = 1, p[24] = 0x20, p[39] = 2;
    put16(p + 4, total - 40);
    if (hbh) {
        p[40] = 17, p[41] = HBH_LEN / 8 - 1;
        p[42] = 1, p[43] = HBH_LEN - 4; /* PadN over the rest */
    }
    return hl;
}

/* Packet i: UDP in IP of the shape's family, its size and bytes i's own. */
static size_t inner(uint8_t *p, const struct shape *s, size_t i)
{
    static const uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
    size_t payload = i * 397 % 1400, hl = s->family == 4 ? 20 : 40 + (s->hbh ? HBH_LEN : 0);
    size_t total = hl + 8 + payload;

    if (s->family == 4)
        ipv4_udp(p, total, src, dst);
    else
        ipv6_head(p, total, s->hbh);
    memset(p + hl, 0, 8);
    put16(p + hl + 4, 8 + payload);
    fill(p + hl + 8, payload, (uint8_t)(i * 5 + 1));
    return total;
}

static void batch_fill(struct batch *bt, const struct shape *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = inner(bt->mem[i] + UIPSEC_HEADROOM, s, i);

        bt->b[i] = (struct uipsec_buf){bt->mem[i], BUF, UIPSEC_HEADROOM, (uint32_t)len, -1};
    }
}

/* Packet `from` of a batch copied into slot `to` of another, as received. */
static void copy_pkt(struct batch *to, size_t slot, const struct batch *from, size_t i)
{
    const struct uipsec_buf *b = &from->b[i];

    memcpy(to->mem[slot] + UIPSEC_HEADROOM, b->base + b->off, b->len);
    to->b[slot] = (struct uipsec_buf){to->mem[slot], BUF, UIPSEC_HEADROOM, b->len, -1};
}

static void expect_inner(const struct uipsec_buf *b, const struct shape *s, size_t i)
{
    static uint8_t want[BUF];
    size_t n = inner(want, s, i);

    assert_int_equal(b->result, UIPSEC_OK);
    assert_int_equal(b->len, n);
    assert_memory_equal(b->base + b->off, want, n);
}

/* Each packet of `from` decapsulated alone by OpenSSL gives packet i back. */
static void check_by_openssl(const struct shape *s, const struct batch *from, size_t n)
{
    struct uipsec_sa *ref = sa_new(s, UIPSEC_DIR_IN, UIPSEC_BACKEND_OPENSSL, NULL);

    for (size_t i = 0; i < n; i++) {
        copy_pkt(&got, 0, from, i);
        assert_int_equal(uipsec_decap(ref, &got.b[0], 1), 1);
        expect_inner(&got.b[0], s, i);
    }
    uipsec_sa_free(ref);
}

static bool have_ipsecmb(void)
{
    return uipsec_backend_available(UIPSEC_BACKEND_IPSECMB);
}

/* Mixed sizes both ways: ipsec-mb bursts against OpenSSL one by one. */
static void roundtrip_one(const struct shape *s)
{
    struct uipsec_sa *out = sa_new(s, UIPSEC_DIR_OUT, UIPSEC_BACKEND_IPSECMB, NULL);
    struct uipsec_sa *in = sa_new(s, UIPSEC_DIR_IN, UIPSEC_BACKEND_IPSECMB, NULL);
    struct uipsec_sa *ref_out = sa_new(s, UIPSEC_DIR_OUT, UIPSEC_BACKEND_OPENSSL, NULL);
    struct uipsec_sa *in2 = sa_new(s, UIPSEC_DIR_IN, UIPSEC_BACKEND_IPSECMB, NULL);

    batch_fill(&sent, s, NPKT);
    assert_int_equal(uipsec_encap(out, sent.b, NPKT), NPKT);
    check_by_openssl(s, &sent, NPKT);
    for (size_t i = 0; i < NPKT; i++)
        copy_pkt(&got, i, &sent, i);
    assert_int_equal(uipsec_decap(in, got.b, NPKT), NPKT);
    for (size_t i = 0; i < NPKT; i++)
        expect_inner(&got.b[i], s, i);
    batch_fill(&sent, s, NPKT);
    for (size_t i = 0; i < NPKT; i++)
        assert_int_equal(uipsec_encap(ref_out, &sent.b[i], 1), 1);
    for (size_t i = 0; i < NPKT; i++)
        copy_pkt(&got, i, &sent, i);
    assert_int_equal(uipsec_decap(in2, got.b, NPKT), NPKT);
    for (size_t i = 0; i < NPKT; i++)
        expect_inner(&got.b[i], s, i);
    uipsec_sa_free(out);
    uipsec_sa_free(in);
    uipsec_sa_free(ref_out);
    uipsec_sa_free(in2);
}

static void roundtrip_mixed(void **state)
{
    (void)state;
    if (!have_ipsecmb())
        skip();
    for (size_t k = 0; k < NSHAPES; k++)
        roundtrip_one(&shapes[k]);
}

static void ah_long_headers(void **state)
{
    (void)state;
    if (!have_ipsecmb())
        skip();
    roundtrip_one(&long_headers);
}

/* One forged packet in the middle of a burst of 32 fails alone; its
 * number stays free for the genuine packet, once. */
static void corrupt_one(const struct shape *s)
{
    struct uipsec_sa *out = sa_new(s, UIPSEC_DIR_OUT, UIPSEC_BACKEND_IPSECMB, NULL);
    struct uipsec_sa *in = sa_new(s, UIPSEC_DIR_IN, UIPSEC_BACKEND_IPSECMB, NULL);
    struct uipsec_buf *bad = &got.b[CORRUPT];

    batch_fill(&sent, s, 32);
    assert_int_equal(uipsec_encap(out, sent.b, 32), 32);
    for (size_t i = 0; i < 32; i++)
        copy_pkt(&got, i, &sent, i);
    bad->base[bad->off + bad->len / 2] ^= 0x40; /* past the outer IP header */
    assert_int_equal(uipsec_decap(in, got.b, 32), 31);
    for (size_t i = 0; i < 32; i++)
        if (i == CORRUPT)
            assert_int_equal(bad->result, UIPSEC_E_AUTH);
        else
            expect_inner(&got.b[i], s, i);
    copy_pkt(&got, 0, &sent, CORRUPT);
    assert_int_equal(uipsec_decap(in, &got.b[0], 1), 1);
    expect_inner(&got.b[0], s, CORRUPT);
    copy_pkt(&got, 0, &sent, CORRUPT);
    assert_int_equal(uipsec_decap(in, &got.b[0], 1), 0);
    assert_int_equal(got.b[0].result, UIPSEC_E_REPLAY);
    uipsec_sa_free(out);
    uipsec_sa_free(in);
}

static void corrupt_middle(void **state)
{
    (void)state;
    if (!have_ipsecmb())
        skip();
    for (size_t k = 0; k < NSHAPES; k++)
        corrupt_one(&shapes[k]);
}

static uint8_t wire[MAX_SEEN][BUF];
static uint32_t wire_len[MAX_SEEN];

/* Packets 0..MAX_SEEN-1 protected one by one, kept as sent. */
static void protect_all(const struct shape *s, struct uipsec_sa *out)
{
    for (size_t i = 0; i < MAX_SEEN; i++) {
        size_t n = inner(wire[i] + UIPSEC_HEADROOM, s, i);
        struct uipsec_buf b = {wire[i], BUF, UIPSEC_HEADROOM, (uint32_t)n, -1};

        assert_int_equal(uipsec_encap(out, &b, 1), 1);
        memmove(wire[i], b.base + b.off, b.len);
        wire_len[i] = b.len;
    }
}

static void load(struct uipsec_buf *b, uint8_t *mem, size_t i)
{
    memcpy(mem + UIPSEC_HEADROOM, wire[i], wire_len[i]);
    *b = (struct uipsec_buf){mem, BUF, UIPSEC_HEADROOM, wire_len[i], -1};
}

/* A batch that moves the window: 0..9, then 99 moves it by 90, so 10 and 4
 * (seen already) fall out of it; then 98, twice. */
static const size_t order[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 99, 10, 4, 98, 98};
#define NORDER (sizeof order / sizeof order[0])

/* With ESN, numbers left of the window read as the next 2^32 (RFC 4303
 * A2.2), whose ICV then fails. */
static int order_want(size_t k, bool esn)
{
    if (k == 11 || k == 12)
        return esn ? UIPSEC_E_AUTH : UIPSEC_E_TOO_OLD;
    return k == 14 ? UIPSEC_E_REPLAY : UIPSEC_OK;
}

/* The verdicts of a batch are those of its packets one per call. */
static void replay_one(const struct shape *s, enum uipsec_backend be)
{
    struct uipsec_sa *out = sa_new(s, UIPSEC_DIR_OUT, be, NULL);
    struct uipsec_sa *in = sa_new(s, UIPSEC_DIR_IN, be, NULL);
    struct uipsec_sa *alone = sa_new(s, UIPSEC_DIR_IN, be, NULL);

    protect_all(s, out);
    for (size_t k = 0; k < NORDER; k++)
        load(&got.b[k], got.mem[k], order[k]);
    uipsec_decap(in, got.b, NORDER);
    for (size_t k = 0; k < NORDER; k++) {
        struct uipsec_buf one;

        load(&one, sent.mem[0], order[k]);
        uipsec_decap(alone, &one, 1);
        assert_int_equal(got.b[k].result, one.result);
        assert_int_equal(got.b[k].result, order_want(k, s->esn));
        if (one.result == UIPSEC_OK)
            expect_inner(&got.b[k], s, order[k]);
    }
    uipsec_sa_free(out);
    uipsec_sa_free(in);
    uipsec_sa_free(alone);
}

static void replay_order(void **state)
{
    (void)state;
    for (size_t k = 0; k < NSHAPES; k++) {
        replay_one(&shapes[k], UIPSEC_BACKEND_OPENSSL);
        if (have_ipsecmb())
            replay_one(&shapes[k], UIPSEC_BACKEND_IPSECMB);
    }
}

static size_t inner_len(const struct shape *s, size_t i)
{
    static uint8_t p[BUF];

    return inner(p, s, i);
}

/* Hard limits reached inside a burst: the packet that reaches one still
 * goes, the next ones do not, and they use no sequence number. */
static void lifetime_one(const struct shape *s)
{
    struct uipsec_lifetime lt_out = {.hard_packets = 20}, lt_in = {0};
    struct uipsec_sa *out = sa_new(s, UIPSEC_DIR_OUT, UIPSEC_BACKEND_IPSECMB, &lt_out), *in;
    struct uipsec_sa_stats st;

    batch_fill(&sent, s, 40);
    assert_int_equal(uipsec_encap(out, sent.b, 40), 20);
    for (size_t i = 0; i < 40; i++)
        assert_int_equal(sent.b[i].result, i < 20 ? UIPSEC_OK : UIPSEC_E_LIFETIME);
    uipsec_sa_get_stats(out, &st);
    assert_int_equal(st.packets, 20);
    assert_int_equal(st.drops[UIPSEC_E_LIFETIME], 20);
    assert_int_equal(st.seq, (s->esn ? 0xfffffff0ull : 1) + 19);
    for (size_t i = 0; i < 7; i++)
        lt_in.hard_bytes += inner_len(s, i);
    in = sa_new(s, UIPSEC_DIR_IN, UIPSEC_BACKEND_IPSECMB, &lt_in);
    for (size_t i = 0; i < 20; i++)
        copy_pkt(&got, i, &sent, i);
    assert_int_equal(uipsec_decap(in, got.b, 20), 7);
    for (size_t i = 0; i < 20; i++)
        if (i < 7)
            expect_inner(&got.b[i], s, i);
        else
            assert_int_equal(got.b[i].result, UIPSEC_E_LIFETIME);
    uipsec_sa_free(out);
    uipsec_sa_free(in);
}

static void lifetime_mid_burst(void **state)
{
    (void)state;
    if (!have_ipsecmb())
        skip();
    for (size_t k = 0; k < NSHAPES; k++)
        lifetime_one(&shapes[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip_mixed),    cmocka_unit_test(ah_long_headers),
        cmocka_unit_test(corrupt_middle),     cmocka_unit_test(replay_order),
        cmocka_unit_test(lifetime_mid_burst),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
