/* SPDX-License-Identifier: MIT */
/*
 * The drop paths of uipsec_decap: each error a received packet can cause
 * (truncation, bit flips, SPI, replay, protocol, fragments, RFC 3948, the
 * ESP trailer), with its exact result code, for every ESP suite and AH on
 * every available backend.  Packets are decapsulated from heap buffers of
 * exactly their size, so a read or write past the packet trips ASan.  The
 * expected codes are worked out from the RFCs, not from the engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "uipsec/uipsec.h"
#include "errors_fixture.h"

/* ---- truncation ---- */

/* Makes the IP (and UDP) length fields of a packet cut to n bytes say n. */
static void fix_lengths(uint8_t *p, size_t n, const struct shape *sh)
{
    if (sh->family == 4) {
        put16(p + 2, n);
        csum4(p);
    } else {
        put16(p + 4, n - 40);
    }
    if (sh->udp && n >= 28)
        put16(p + 24, n - 20);
}

/* The code for a packet cut to n bytes whose length fields were fixed. */
static int cut_expect(const struct suite *s, const struct shape *sh, size_t n)
{
    size_t e;

    if (sh->family == 6 && n == 40)
        return UIPSEC_E_MALFORMED; /* payload length 0: a jumbogram */
    if (n < sec_off(sh))
        return UIPSEC_E_TRUNCATED; /* inside the UDP header */
    e = n - sec_off(sh);
    if (s->proto == UIPSEC_PROTO_AH)
        return e < ah_len(s, sh->family) ? UIPSEC_E_TRUNCATED : UIPSEC_E_AUTH;
    if (e < 8u + s->iv + s->icv + 2)
        return UIPSEC_E_TRUNCATED; /* header, IV, ICV or trailer cut */
    return (e - 8 - s->iv - s->icv) % s->block ? UIPSEC_E_BLOCK_SIZE : UIPSEC_E_AUTH;
}

static void prefixes_shape(const struct suite *s, enum uipsec_backend be, const struct shape *sh)
{
    struct pair p = pair_make(s, be, sh);
    uint8_t inner[MAX_PKT], wire[MAX_PKT], cut[MAX_PKT];
    size_t len = inner_for(sh, inner, 77, 3), n = seal(p.out, inner, len, wire);

    at("%s/%s %s", s->name, uipsec_backend_name(be), sh->name);
    for (size_t k = 0; k < n; k++) {
        /* the IP length still says n: every strict prefix is truncated */
        rc_is(open_rc(p.in, wire, k), UIPSEC_E_TRUNCATED, "raw prefix", k);
        if (k < ip_hdr(sh))
            continue;
        memcpy(cut, wire, k);
        fix_lengths(cut, k, sh);
        rc_is(open_rc(p.in, cut, k), cut_expect(s, sh, k), "length-fixed prefix", k);
    }
    open_ok(p.in, wire, n, 0, inner, len); /* no failure moved the window */
    pair_free(&p);
}

static void prefixes_one(const struct suite *s, enum uipsec_backend be)
{
    const struct shape *shapes[] = {&tun4, &tun6, &tun4_udp, &tra4, &tra6};

    for (size_t i = 0; i < COUNT(shapes); i++)
        if (s->proto == UIPSEC_PROTO_ESP || !shapes[i]->udp)
            prefixes_shape(s, be, shapes[i]);
}

static void every_prefix_is_dropped(void **state)
{
    (void)state;
    each(prefixes_one, true);
}

/* AES-CBC needs whole 16-byte blocks (RFC 3602 2.4). */
static void cbc_block_one(const struct suite *s, enum uipsec_backend be)
{
    struct pair p = pair_make(s, be, &tun4);
    uint8_t inner[MAX_PKT], wire[MAX_PKT], bad[MAX_PKT];
    size_t n = seal(p.out, inner, inner4(inner, 100, 1), wire);
    const size_t deltas[] = {4, 8, 12};

    for (size_t i = 0; i < COUNT(deltas); i++) {
        memcpy(bad, wire, n);
        fix_lengths(bad, n - deltas[i], &tun4);
        rc_is(open_rc(p.in, bad, n - deltas[i]), UIPSEC_E_BLOCK_SIZE, "shorter by", deltas[i]);
        memcpy(bad, wire, n);
        memset(bad + n, 0, deltas[i]);
        fix_lengths(bad, n + deltas[i], &tun4);
        rc_is(open_rc(p.in, bad, n + deltas[i]), UIPSEC_E_BLOCK_SIZE, "longer by", deltas[i]);
    }
    memcpy(bad, wire, n);
    memset(bad + n, 0, 16);
    fix_lengths(bad, n + 16, &tun4); /* whole blocks: reaches the ICV */
    rc_is(open_rc(p.in, bad, n + 16), UIPSEC_E_AUTH, "longer by", 16);
    open_ok(p.in, wire, n, 0, inner, 100);
    pair_free(&p);
}

static void cbc_partial_block(void **state)
{
    (void)state;
    each_backend(cbc_block_one, &suites[1]);
}

/* ---- bit flips ---- */

/* The code for a packet whose sequence number reads seq, at a receiver that
 * has seen 1..top (all of them) with a WINDOW-packet window. */
static int seq_expect(uint32_t seq, uint32_t top)
{
    if (seq == 0 || (seq <= top && top - seq >= WINDOW))
        return UIPSEC_E_TOO_OLD;
    return seq > top ? UIPSEC_E_AUTH : UIPSEC_E_REPLAY;
}

/* rel is the flipped byte's offset in the ESP or AH header and after. */
static int flip_expect(const struct suite *s, size_t rel, uint32_t seq)
{
    size_t spi = s->proto == UIPSEC_PROTO_ESP ? 0 : 4;

    if (s->proto == UIPSEC_PROTO_AH && rel == 1)
        return UIPSEC_E_MALFORMED; /* AH payload length */
    if (rel >= spi && rel < spi + 4)
        return UIPSEC_E_SPI;
    if (rel >= seq_at(s) && rel < seq_at(s) + 4)
        return seq_expect(seq, WARM);
    return UIPSEC_E_AUTH;
}

static void flips_one(const struct suite *s, enum uipsec_backend be)
{
    struct pair p = pair_make(s, be, &tun4);
    uint8_t inner[MAX_PKT], wire[MAX_PKT], bad[MAX_PKT];
    size_t n, off = sec_off(&tun4);

    warm(&p, &tun4, WARM);
    n = seal(p.out, inner, inner4(inner, 90, 9), wire);
    for (size_t i = off; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(bad, wire, n);
            bad[i] ^= (uint8_t)(1u << bit);
            rc_is(open_rc(p.in, bad, n), flip_expect(s, i - off, get32(bad + off + seq_at(s))),
                  "bit flip at byte", i * 8 + (size_t)bit);
        }
    }
    open_ok(p.in, wire, n, 0, inner, 90); /* forgeries left the window alone */
    pair_free(&p);
}

static void every_bit_flip_is_dropped(void **state)
{
    (void)state;
    each(flips_one, true);
}

/* ---- SPI, replay, protocol, fragments ---- */

static void spi_one(const struct suite *s, enum uipsec_backend be)
{
    struct uipsec_sa_params pi = params(s, be, UIPSEC_DIR_IN, &tun4);
    struct pair p = pair_make(s, be, &tun4);
    uint8_t inner[MAX_PKT], wire[MAX_PKT];
    size_t len = inner4(inner, 64, 2), n = seal(p.out, inner, len, wire);
    struct uipsec_sa *other;

    pi.spi = SPI + 1;
    other = sa_make(&pi);
    rc_is(open_rc(other, wire, n), UIPSEC_E_SPI, "other SA", 0);
    put32(wire + 20 + (s->proto == UIPSEC_PROTO_AH ? 4 : 0), 0);
    rc_is(open_rc(p.in, wire, n), UIPSEC_E_SPI, "SPI 0", 0);
    uipsec_sa_free(other);
    pair_free(&p);
}

static void wrong_spi(void **state)
{
    (void)state;
    each(spi_one, true);
}

static void replay_one(const struct suite *s, enum uipsec_backend be)
{
    static uint8_t wire[41][MAX_PKT];
    struct uipsec_sa_params pi = params(s, be, UIPSEC_DIR_IN, &tun4);
    struct pair p = pair_make(s, be, &tun4);
    uint8_t inner[MAX_PKT];
    size_t n[41];
    struct uipsec_sa_stats st;

    uipsec_sa_free(p.in);
    pi.replay_window = 32;
    p.in = sa_make(&pi);
    for (uint32_t i = 1; i <= 40; i++)
        n[i] = seal(p.out, inner, inner4(inner, 50, (uint8_t)i), wire[i]);
    rc_is(open_rc(p.in, wire[40], n[40]), UIPSEC_OK, "seq", 40);
    rc_is(open_rc(p.in, wire[1], n[1]), UIPSEC_E_TOO_OLD, "seq", 1);
    rc_is(open_rc(p.in, wire[8], n[8]), UIPSEC_E_TOO_OLD, "seq", 8); /* 40 - 8 = 32 */
    rc_is(open_rc(p.in, wire[9], n[9]), UIPSEC_OK, "seq", 9);        /* 40 - 9 = 31 */
    rc_is(open_rc(p.in, wire[9], n[9]), UIPSEC_E_REPLAY, "seq", 9);
    rc_is(open_rc(p.in, wire[40], n[40]), UIPSEC_E_REPLAY, "seq", 40);
    uipsec_sa_get_stats(p.in, &st);
    assert_int_equal(st.drops[UIPSEC_E_TOO_OLD], 2);
    assert_int_equal(st.drops[UIPSEC_E_REPLAY], 2);
    assert_int_equal(st.packets, 2);
    assert_int_equal(st.seq, 40);
    pair_free(&p);
}

static void replay_and_too_old(void **state)
{
    (void)state;
    each(replay_one, true);
}

/* AH to ESP and back, UDP-encapsulated to plain and back. */
static void protocol_one(const struct suite *s, enum uipsec_backend be)
{
    struct pair esp = pair_make(s, be, &tun4), ahp = pair_make(ah, be, &tun4);
    struct pair udp = pair_make(s, be, &tun4_udp);
    uint8_t inner[MAX_PKT], w_esp[MAX_PKT], w_ah[MAX_PKT], w_udp[MAX_PKT];
    size_t len = inner4(inner, 70, 5);
    size_t n_esp = seal(esp.out, inner, len, w_esp), n_ah = seal(ahp.out, inner, len, w_ah);
    size_t n_udp = seal(udp.out, inner, len, w_udp);

    rc_is(open_rc(esp.in, w_ah, n_ah), UIPSEC_E_PROTOCOL, "AH to ESP SA", 0);
    rc_is(open_rc(ahp.in, w_esp, n_esp), UIPSEC_E_PROTOCOL, "ESP to AH SA", 0);
    rc_is(open_rc(esp.in, w_udp, n_udp), UIPSEC_E_PROTOCOL, "ESP-in-UDP to plain SA", 0);
    rc_is(open_rc(udp.in, w_esp, n_esp), UIPSEC_E_PROTOCOL, "plain ESP to UDP SA", 0);
    rc_is(open_rc(udp.in, w_ah, n_ah), UIPSEC_E_PROTOCOL, "AH to UDP SA", 0);
    open_ok(esp.in, w_esp, n_esp, 0, inner, len);
    open_ok(ahp.in, w_ah, n_ah, 0, inner, len);
    open_ok(udp.in, w_udp, n_udp, 0, inner, len);
    pair_free(&esp), pair_free(&ahp), pair_free(&udp);
}

static void wrong_protocol(void **state)
{
    (void)state;
    each_backend(protocol_one, gcm);
}

static int with_frag(struct uipsec_sa *in, const uint8_t *wire, size_t n, uint16_t frag)
{
    uint8_t bad[MAX_PKT];

    memcpy(bad, wire, n);
    put16(bad + 6, frag);
    csum4(bad);
    return open_rc(in, bad, n);
}

/* The same IPv6 packet with an 8-byte fragment header before ESP/AH. */
static size_t add_frag6(uint8_t *out, const uint8_t *wire, size_t n)
{
    memcpy(out, wire, 40);
    memset(out + 40, 0, 8);
    out[40] = wire[6];
    put16(out + 42, 1); /* offset 0, M = 1 */
    put32(out + 44, 0x4242);
    out[6] = 44;
    put16(out + 4, n - 40 + 8);
    memcpy(out + 48, wire + 40, n - 40);
    return n + 8;
}

static void fragment_one(const struct suite *s, enum uipsec_backend be)
{
    struct pair p = pair_make(s, be, &tun4), p6 = pair_make(s, be, &tun6);
    uint8_t inner[MAX_PKT], wire[MAX_PKT], w6[MAX_PKT], f6[MAX_PKT];
    size_t len = inner4(inner, 70, 6), n = seal(p.out, inner, len, wire);
    size_t n6 = seal(p6.out, inner, len, w6);

    rc_is(with_frag(p.in, wire, n, 0x2000), UIPSEC_E_FRAGMENT, "MF", 0);
    rc_is(with_frag(p.in, wire, n, 0x0001), UIPSEC_E_FRAGMENT, "offset 8", 0);
    rc_is(with_frag(p.in, wire, n, 0x3fff), UIPSEC_E_FRAGMENT, "MF + offset", 0);
    rc_is(open_rc(p6.in, f6, add_frag6(f6, w6, n6)), UIPSEC_E_FRAGMENT, "IPv6 fragment", 0);
    rc_is(with_frag(p.in, wire, n, 0x4000), UIPSEC_OK, "DF only", 0);
    open_ok(p6.in, w6, n6, 0, inner, len);
    pair_free(&p), pair_free(&p6);
}

static void fragments(void **state)
{
    (void)state;
    each(fragment_one, true);
}

/* ---- RFC 3948 ---- */

static size_t udp4500(uint8_t *w, const uint8_t *payload, size_t n)
{
    outer4(w, 28 + n, 17);
    put16(w + 20, 4500);
    put16(w + 22, 4500);
    put16(w + 24, 8 + n);
    put16(w + 26, 0);
    memcpy(w + 28, payload, n);
    return 28 + n;
}

/* Non-ESP marker, then an IKE_SA_INIT header (RFC 7296 3.1). */
static size_t ike_payload(uint8_t *p)
{
    memset(p, 0, 32);
    fill(p + 4, 8, 0x77); /* initiator SPI */
    p[20] = 33, p[21] = 0x20, p[22] = 34, p[23] = 0x08;
    put32(p + 28, 28);
    return 32;
}

static void udp_one(const struct suite *s, enum uipsec_backend be)
{
    struct pair p = pair_make(s, be, &tun4_udp);
    uint8_t w[MAX_PKT], body[64];
    const uint8_t ka = 0xff, not_ka = 0xfe, zeros[4] = {0};

    rc_is(open_rc(p.in, w, udp4500(w, &ka, 1)), UIPSEC_E_KEEPALIVE, "keepalive", 0);
    rc_is(open_rc(p.in, w, udp4500(w, body, ike_payload(body))), UIPSEC_E_NON_ESP, "IKE", 0);
    rc_is(open_rc(p.in, w, udp4500(w, zeros, 4)), UIPSEC_E_NON_ESP, "bare marker", 0);
    rc_is(open_rc(p.in, w, udp4500(w, &not_ka, 1)), UIPSEC_E_TRUNCATED, "one byte 0xfe", 0);
    rc_is(open_rc(p.in, w, udp4500(w, body, 0)), UIPSEC_E_TRUNCATED, "empty UDP", 0);
    warm(&p, &tun4_udp, 2);
    pair_free(&p);
}

static void nat_keepalive_and_ike(void **state)
{
    (void)state;
    each(udp_one, false);
}

/* ---- trailer checks, on hand-built ESP NULL-HMAC-SHA-256 packets ---- */

enum payload_kind { PL_V4, PL_V6, PL_ZERO, PL_V4_LONG, PL_V4_SHORT };

struct trailer_case {
    const char *name;
    enum payload_kind kind;
    size_t len, tfc; /* payload bytes, then TFC bytes after them */
    size_t pad;
    int pad_field; /* -1: the true pad length */
    uint8_t nh;
    int bad_at; /* pad byte made wrong, or -1 */
    int want;
    size_t want_len;
};

static void payload(uint8_t *p, const struct trailer_case *c)
{
    switch (c->kind) {
    case PL_V4:
        inner4(p, c->len, 0x21);
        break;
    case PL_V6:
        inner6(p, c->len, 0x22);
        break;
    case PL_ZERO:
        memset(p, 0, c->len);
        break;
    case PL_V4_LONG:
        inner4(p, c->len, 0x23);
        put16(p + 2, c->len + 8); /* says more than there is */
        break;
    case PL_V4_SHORT:
        inner4(p, c->len, 0x24);
        put16(p + 2, 16); /* shorter than its own header */
        break;
    }
    memset(p + c->len, 0xee, c->tfc);
}

/* Outer IPv4 | SPI | seq | payload | padding | pad length | next header | ICV,
 * where ICV = HMAC-SHA-256-128 over SPI..next header (RFC 4303 3.3.2.2). */
static size_t null_esp(uint8_t *w, uint32_t seq, const struct trailer_case *c)
{
    uint8_t key[32], md[32], *esp = w + 20, *pt = esp + 8;
    size_t body = c->len + c->tfc, ct = body + c->pad + 2, total = 20 + 8 + ct + 16;
    unsigned md_len = 0;

    assert_int_equal(ct % 4, 0);
    outer4(w, total, 50);
    put32(esp, SPI);
    put32(esp + 4, seq);
    payload(pt, c);
    for (size_t i = 0; i < c->pad; i++)
        pt[body + i] = (uint8_t)(i + 1);
    if (c->bad_at >= 0)
        pt[body + (size_t)c->bad_at] ^= 0x80;
    pt[body + c->pad] = c->pad_field < 0 ? (uint8_t)c->pad : (uint8_t)c->pad_field;
    pt[body + c->pad + 1] = c->nh;
    fill(key, sizeof key, 0x40);
    assert_non_null(HMAC(EVP_sha256(), key, sizeof key, esp, 8 + ct, md, &md_len));
    memcpy(pt + ct, md, 16);
    return total;
}

static const struct trailer_case trailer_cases[] = {
    {"valid IPv4", PL_V4, 60, 0, 2, -1, 4, -1, UIPSEC_OK, 60},
    {"valid IPv6", PL_V6, 60, 0, 2, -1, 41, -1, UIPSEC_OK, 60},
    {"no padding", PL_V4, 62, 0, 0, -1, 4, -1, UIPSEC_OK, 62},
    {"255 pad bytes", PL_V4, 59, 0, 255, -1, 4, -1, UIPSEC_OK, 59},
    {"TFC bytes after the packet", PL_V4, 60, 40, 2, -1, 4, -1, UIPSEC_OK, 60},
    {"pad byte 2 wrong", PL_V4, 60, 0, 2, -1, 4, 1, UIPSEC_E_PADDING, 0},
    {"pad byte 255 wrong", PL_V4, 59, 0, 255, -1, 4, 254, UIPSEC_E_PADDING, 0},
    {"pad byte 1 wrong", PL_V4, 59, 0, 255, -1, 4, 0, UIPSEC_E_PADDING, 0},
    {"pad length past the payload", PL_V4, 60, 0, 2, 63, 4, -1, UIPSEC_E_PADDING, 0},
    {"pad length 255", PL_V4, 60, 0, 2, 255, 4, -1, UIPSEC_E_PADDING, 0},
    {"pad length = all", PL_V4, 60, 0, 2, 62, 4, -1, UIPSEC_E_PADDING, 0},
    {"next header TCP", PL_V4, 60, 0, 2, -1, 6, -1, UIPSEC_E_NEXT_HEADER, 0},
    {"next header UDP", PL_V4, 60, 0, 2, -1, 17, -1, UIPSEC_E_NEXT_HEADER, 0},
    {"next header hop-by-hop", PL_V4, 60, 0, 2, -1, 0, -1, UIPSEC_E_NEXT_HEADER, 0},
    {"dummy packet", PL_V4, 60, 0, 2, -1, 59, -1, UIPSEC_E_DUMMY, 0},
    {"dummy of zeros", PL_ZERO, 30, 0, 0, -1, 59, -1, UIPSEC_E_DUMMY, 0},
    {"IPv6 named IPv4", PL_V6, 60, 0, 2, -1, 4, -1, UIPSEC_E_INNER, 0},
    {"IPv4 named IPv6", PL_V4, 60, 0, 2, -1, 41, -1, UIPSEC_E_INNER, 0},
    {"zeros named IPv4", PL_ZERO, 60, 0, 2, -1, 4, -1, UIPSEC_E_INNER, 0},
    {"IPv4 longer than the payload", PL_V4_LONG, 60, 0, 2, -1, 4, -1, UIPSEC_E_INNER, 0},
    {"IPv4 total < header", PL_V4_SHORT, 60, 0, 2, -1, 4, -1, UIPSEC_E_INNER, 0},
    {"shorter than an IPv4 header", PL_ZERO, 18, 0, 0, -1, 4, -1, UIPSEC_E_INNER, 0},
    {"empty payload", PL_ZERO, 0, 0, 2, -1, 4, -1, UIPSEC_E_INNER, 0},
};

static void trailer_one(const struct suite *s, enum uipsec_backend be)
{
    struct uipsec_sa_params pi = params(s, be, UIPSEC_DIR_IN, &tun4);
    struct uipsec_sa *in = sa_make(&pi);
    uint8_t w[MAX_PKT], want[MAX_PKT];
    const struct trailer_case *c = trailer_cases;

    for (size_t i = 0; i < COUNT(trailer_cases); i++, c++) {
        size_t n = null_esp(w, (uint32_t)i + 1, c);

        at("%s/%s: %s", s->name, uipsec_backend_name(be), c->name);
        if (c->want != UIPSEC_OK) {
            rc_is(open_rc(in, w, n), c->want, "case", i);
            continue;
        }
        payload(want, c);
        open_ok(in, w, n, 0, want, c->want_len);
    }
    /* the ICV verified, so a bad trailer still took its sequence number */
    rc_is(open_rc(in, w, null_esp(w, 6, &trailer_cases[5])), UIPSEC_E_REPLAY, "again", 6);
    uipsec_sa_free(in);
}

static void trailer_checks(void **state)
{
    (void)state;
    each_backend(trailer_one, &null_sha256);
}

/* Transport mode takes any next header but 59 and gives back the header
 * naming it. */
static void trailer_transport_one(const struct suite *s, enum uipsec_backend be)
{
    struct uipsec_sa_params pi = params(s, be, UIPSEC_DIR_IN, &tra4);
    struct uipsec_sa *in = sa_make(&pi);
    const struct trailer_case tcp = {"tcp", PL_ZERO, 42, 0, 0, -1, 6, -1, UIPSEC_OK, 62};
    const struct trailer_case dummy = {"dummy", PL_ZERO, 42, 0, 0, -1, 59, -1, 0, 0};
    const struct trailer_case pad = {"pad", PL_ZERO, 40, 0, 2, -1, 6, 0, 0, 0};
    uint8_t w[MAX_PKT], want[MAX_PKT];

    outer4(want, 62, 6);
    memset(want + 20, 0, 42);
    open_ok(in, w, null_esp(w, 1, &tcp), 0, want, 62);
    rc_is(open_rc(in, w, null_esp(w, 2, &dummy)), UIPSEC_E_DUMMY, "transport dummy", 2);
    rc_is(open_rc(in, w, null_esp(w, 3, &pad)), UIPSEC_E_PADDING, "transport padding", 3);
    uipsec_sa_free(in);
}

static void trailer_checks_transport(void **state)
{
    (void)state;
    each_backend(trailer_transport_one, &null_sha256);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_prefix_is_dropped),
        cmocka_unit_test(cbc_partial_block),
        cmocka_unit_test(every_bit_flip_is_dropped),
        cmocka_unit_test(wrong_spi),
        cmocka_unit_test(replay_and_too_old),
        cmocka_unit_test(wrong_protocol),
        cmocka_unit_test(fragments),
        cmocka_unit_test(nat_keepalive_and_ike),
        cmocka_unit_test(trailer_checks),
        cmocka_unit_test(trailer_checks_transport),
    };

    if (!uipsec_backend_available(UIPSEC_BACKEND_IPSECMB))
        print_message("intel-ipsec-mb not available: OpenSSL backend only\n");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
