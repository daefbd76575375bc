/* SPDX-License-Identifier: MIT */
/*
 * The drop paths of uipsec_decap and uipsec_encap: each error a packet or a
 * caller can cause, with its exact result code, for every ESP suite and AH on
 * every available backend.  Received packets are decapsulated from heap
 * buffers of exactly their size, so a read or write past the packet trips
 * ASan.  The expected codes are worked out here from the RFCs and the API,
 * and sizes come from the RFCs, not from the engine.
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

#define SPI      0x12345678u
#define MAX_PKT  2048
#define WINDOW   64
#define WARM     100 /* packets a receiver has taken before a bit-flip run */
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct suite {
    const char *name;
    enum uipsec_proto proto;
    enum uipsec_enc enc;
    enum uipsec_integ integ;
    uint8_t key_len;
    uint8_t iv, icv, block; /* wire sizes (RFC 4106, 3602, 4868, 7634, 4543) */
};

static const struct suite suites[] = {
    {"aes128gcm16", UIPSEC_PROTO_ESP, UIPSEC_ENC_AES_GCM16, UIPSEC_INTEG_NONE, 16, 8, 16, 4},
    {"aes128-sha256", UIPSEC_PROTO_ESP, UIPSEC_ENC_AES_CBC, UIPSEC_INTEG_HMAC_SHA256_128, 16, 16,
     16, 16},
    {"null-sha512", UIPSEC_PROTO_ESP, UIPSEC_ENC_NULL, UIPSEC_INTEG_HMAC_SHA512_256, 0, 0, 32, 4},
    {"chacha20poly1305", UIPSEC_PROTO_ESP, UIPSEC_ENC_CHACHA20_POLY1305, UIPSEC_INTEG_NONE, 32, 8,
     16, 4},
    {"aes256gmac", UIPSEC_PROTO_ESP, UIPSEC_ENC_AES_GMAC, UIPSEC_INTEG_NONE, 32, 8, 16, 4},
    {"ah-sha384", UIPSEC_PROTO_AH, UIPSEC_ENC_NULL, UIPSEC_INTEG_HMAC_SHA384_192, 0, 0, 24, 4},
};

/* The ESP NULL-HMAC-SHA-256 suite the hand-built packets use. */
static const struct suite null_sha256 = {
    "null-sha256", UIPSEC_PROTO_ESP, UIPSEC_ENC_NULL, UIPSEC_INTEG_HMAC_SHA256_128, 0, 0, 16, 4};

struct shape {
    const char *name;
    enum uipsec_mode mode;
    uint8_t family;
    uint16_t udp;
};

static const struct shape tun4 = {"tunnel4", UIPSEC_MODE_TUNNEL, 4, 0};
static const struct shape tun6 = {"tunnel6", UIPSEC_MODE_TUNNEL, 6, 0};
static const struct shape tun4_udp = {"tunnel4-udp", UIPSEC_MODE_TUNNEL, 4, 4500};
static const struct shape tra4 = {"transport4", UIPSEC_MODE_TRANSPORT, 4, 0};
static const struct shape tra6 = {"transport6", UIPSEC_MODE_TRANSPORT, 6, 0};

static const enum uipsec_backend backends[] = {UIPSEC_BACKEND_OPENSSL, UIPSEC_BACKEND_IPSECMB};

/* ---- context for failure messages ---- */

static char where[160];

static void at(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(where, sizeof where, fmt, ap);
    va_end(ap);
}

static void rc_is(int got, int want, const char *what, size_t i)
{
    if (got != want)
        fail_msg("%s: %s %zu: got %s, want %s", where, what, i, uipsec_result_name(got),
                 uipsec_result_name(want));
}

/* ---- bytes ---- */

/* An IPv4 header from 192.0.2.1 to 192.0.2.2. */
static void outer4(uint8_t *h, size_t total, uint8_t proto)
{
    memset(h, 0, 20);
    h[0] = 0x45;
    put16(h + 2, total);
    h[8] = 64;
    h[9] = proto;
    h[12] = 192, h[14] = 2, h[15] = 1;
    h[16] = 192, h[18] = 2, h[19] = 2;
    csum4(h);
}

/* An IPv4 UDP packet of `total` bytes whose content depends on seed. */
static size_t inner4(uint8_t *p, size_t total, uint8_t seed)
{
    memset(p, 0, 20);
    p[0] = 0x45;
    put16(p + 2, total);
    put16(p + 4, 0x1000u + seed);
    p[8] = 64;
    p[9] = 17;
    p[12] = 10, p[15] = 1, p[16] = 10, p[19] = 2;
    for (size_t i = 20; i < total; i++)
        p[i] = (uint8_t)(seed + i);
    csum4(p);
    return total;
}

static size_t inner6(uint8_t *p, size_t total, uint8_t seed)
{
    memset(p, 0, 40);
    p[0] = 0x60;
    put16(p + 4, total - 40);
    p[6] = 17;
    p[7] = 64;
    p[8] = 0xfd, p[23] = 1, p[24] = 0xfd, p[39] = 2;
    for (size_t i = 40; i < total; i++)
        p[i] = (uint8_t)(seed + i);
    return total;
}

/* The packet a shape protects: IPv4 in tunnels, the shape's family in
 * transport mode. */
static size_t inner_for(const struct shape *sh, uint8_t *p, size_t total, uint8_t seed)
{
    if (sh->mode == UIPSEC_MODE_TRANSPORT && sh->family == 6)
        return inner6(p, total, seed);
    return inner4(p, total, seed);
}

/* ---- sizes on the wire ---- */

static size_t ip_hdr(const struct shape *sh)
{
    return sh->family == 4 ? 20 : 40;
}

/* Where the ESP or AH header starts. */
static size_t sec_off(const struct shape *sh)
{
    return ip_hdr(sh) + (sh->udp ? 8 : 0);
}

/* RFC 4302 2.2: AH is a multiple of 4 bytes in IPv4, of 8 in IPv6. */
static size_t ah_len(const struct suite *s, uint8_t family)
{
    size_t a = family == 6 ? 8 : 4;

    return (12 + s->icv + a - 1) / a * a;
}

/* Offset of the sequence number in the ESP or AH header. */
static size_t seq_at(const struct suite *s)
{
    return s->proto == UIPSEC_PROTO_ESP ? 4 : 8;
}

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

/* Bytes after the outer IP header for an inner packet of n bytes. */
static size_t sec_len(const struct suite *s, uint8_t family, size_t n)
{
    if (s->proto == UIPSEC_PROTO_AH)
        return ah_len(s, family) + n;
    return 8 + s->iv + round_up(n + 2, s->block) + s->icv;
}

/* ---- SAs ---- */

static void set_addr(struct uipsec_addr *a, uint8_t family, uint8_t last)
{
    memset(a, 0, sizeof *a);
    a->family = family;
    if (family == 4) {
        a->bytes[0] = 192, a->bytes[2] = 2, a->bytes[3] = last;
    } else {
        a->bytes[0] = 0x20, a->bytes[1] = 0x01, a->bytes[2] = 0x0d, a->bytes[3] = 0xb8;
        a->bytes[15] = last;
    }
}

static struct uipsec_sa_params params(const struct suite *s, enum uipsec_backend be,
                                      enum uipsec_dir dir, const struct shape *sh)
{
    struct uipsec_sa_params p;
    size_t ek, salt, ak;

    memset(&p, 0, sizeof p);
    p.spi = SPI, p.dir = dir, p.proto = s->proto, p.mode = sh->mode;
    if (sh->mode == UIPSEC_MODE_TUNNEL) {
        set_addr(&p.tunnel_src, sh->family, 1);
        set_addr(&p.tunnel_dst, sh->family, 2);
    }
    p.enc = s->enc, p.enc_key_len = s->key_len, p.integ = s->integ;
    uipsec_suite_key_sizes(&p, &ek, &salt, &ak);
    p.auth_key_len = (uint8_t)ak;
    fill(p.enc_key, ek, 0x11);
    fill(p.salt, salt, 0xa5);
    fill(p.auth_key, ak, 0x40);
    p.udp_dport = sh->udp;
    p.replay_window = dir == UIPSEC_DIR_IN ? WINDOW : 0;
    p.backend = be;
    return p;
}

static struct uipsec_sa *sa_make(const struct uipsec_sa_params *p)
{
    struct uipsec_sa *sa = NULL;
    int rc = uipsec_sa_new(p, &sa);

    if (rc != UIPSEC_OK || sa == NULL)
        fail_msg("%s: uipsec_sa_new: %s", where, uipsec_result_name(rc));
    assert_int_equal(uipsec_sa_backend(sa), p->backend);
    return sa;
}

struct pair {
    struct uipsec_sa *out, *in;
};

static struct pair pair_make(const struct suite *s, enum uipsec_backend be, const struct shape *sh)
{
    struct uipsec_sa_params po = params(s, be, UIPSEC_DIR_OUT, sh);
    struct uipsec_sa_params pi = params(s, be, UIPSEC_DIR_IN, sh);

    return (struct pair){sa_make(&po), sa_make(&pi)};
}

static void pair_free(struct pair *p)
{
    uipsec_sa_free(p->out);
    uipsec_sa_free(p->in);
}

typedef void (*suite_fn)(const struct suite *s, enum uipsec_backend be);

/* Runs fn for every suite (AH too when with_ah) on every available backend. */
static void each(suite_fn fn, bool with_ah)
{
    for (size_t b = 0; b < COUNT(backends); b++) {
        if (!uipsec_backend_available(backends[b]))
            continue;
        for (size_t i = 0; i < COUNT(suites); i++) {
            if (suites[i].proto == UIPSEC_PROTO_AH && !with_ah)
                continue;
            at("%s/%s", suites[i].name, uipsec_backend_name(backends[b]));
            fn(&suites[i], backends[b]);
        }
    }
}

/* Runs fn for one suite on every available backend. */
static void each_backend(suite_fn fn, const struct suite *s)
{
    for (size_t b = 0; b < COUNT(backends); b++) {
        if (!uipsec_backend_available(backends[b]))
            continue;
        at("%s/%s", s->name, uipsec_backend_name(backends[b]));
        fn(s, backends[b]);
    }
}

/* ---- packets through the engine ---- */

/* Protects inner[0,n) and copies the outer packet to wire; returns its length. */
static size_t seal(struct uipsec_sa *sa, const uint8_t *inner, size_t n, uint8_t *wire)
{
    size_t cap = UIPSEC_HEADROOM + n + UIPSEC_TAILROOM, len;
    uint8_t *mem = calloc(1, cap);
    struct uipsec_buf b = {mem, (uint32_t)cap, UIPSEC_HEADROOM, (uint32_t)n, -1};

    assert_non_null(mem);
    memcpy(mem + UIPSEC_HEADROOM, inner, n);
    assert_int_equal(uipsec_encap(sa, &b, 1), 1);
    rc_is(b.result, UIPSEC_OK, "seal of", n);
    len = b.len;
    memcpy(wire, mem + b.off, len);
    free(mem);
    return len;
}

/* Unprotects a copy of wire[0,n) in a heap buffer of exactly n + tail bytes;
 * the inner packet goes to out when out is not NULL. */
static int open_in(struct uipsec_sa *sa, const uint8_t *wire, size_t n, size_t tail, uint8_t *out,
                   size_t *out_len)
{
    uint8_t *mem = calloc(1, n + tail ? n + tail : 1);
    struct uipsec_buf b = {mem, (uint32_t)(n + tail), 0, (uint32_t)n, -1};
    size_t ok;

    assert_non_null(mem);
    if (n)
        memcpy(mem, wire, n);
    ok = uipsec_decap(sa, &b, 1);
    assert_int_equal(ok, b.result == UIPSEC_OK);
    if (ok && out) {
        assert_true(b.off + b.len <= b.cap);
        memcpy(out, mem + b.off, b.len);
        *out_len = b.len;
    }
    free(mem);
    return b.result;
}

static int open_rc(struct uipsec_sa *sa, const uint8_t *wire, size_t n)
{
    return open_in(sa, wire, n, 0, NULL, NULL);
}

/* Decapsulation must succeed and give back exactly inner[0,n). */
static void open_ok(struct uipsec_sa *sa, const uint8_t *wire, size_t n, size_t tail,
                    const uint8_t *inner, size_t inner_len)
{
    uint8_t out[MAX_PKT];
    size_t out_len = 0;

    rc_is(open_in(sa, wire, n, tail, out, &out_len), UIPSEC_OK, "open of", n);
    assert_int_equal(out_len, inner_len);
    assert_memory_equal(out, inner, inner_len);
}

/* Sends and receives count packets so the receiver has seen 1..count. */
static void warm(struct pair *p, const struct shape *sh, uint32_t count)
{
    uint8_t inner[MAX_PKT], wire[MAX_PKT];

    for (uint32_t i = 0; i < count; i++) {
        size_t n = inner_for(sh, inner, 60 + i % 7, (uint8_t)i);

        open_ok(p->in, wire, seal(p->out, inner, n, wire), 0, inner, n);
    }
}

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

static const struct suite *gcm = &suites[0];
static const struct suite *ah = &suites[5];

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

/* ---- encapsulation ---- */

/* Tailroom a receive buffer needs: AH appends seq_hi in place for its ICV. */
static size_t esn_tail(const struct suite *s)
{
    return s->proto == UIPSEC_PROTO_AH ? 4 : 0;
}

/* Encapsulates pkt[0,n) in a heap buffer of exactly head + n + tail bytes.
 * A failure must leave the buffer and its offsets untouched; a success
 * copies the outer packet to wire (when not NULL). */
static int encap_try(struct uipsec_sa *sa, const uint8_t *pkt, size_t n, size_t head, size_t tail,
                     uint8_t *wire, size_t *wire_len)
{
    size_t cap = head + n + tail;
    uint8_t *mem = malloc(cap + 1), *copy = malloc(cap + 1);
    struct uipsec_buf b = {mem, (uint32_t)cap, (uint32_t)head, (uint32_t)n, -1};
    size_t ok;

    assert_true(mem && copy);
    fill(mem, cap, 0x5a);
    memcpy(mem + head, pkt, n);
    memcpy(copy, mem, cap);
    ok = uipsec_encap(sa, &b, 1);
    assert_int_equal(ok, b.result == UIPSEC_OK);
    if (b.result != UIPSEC_OK) {
        assert_memory_equal(mem, copy, cap);
        assert_int_equal(b.off, head);
        assert_int_equal(b.len, n);
    } else if (wire) {
        memcpy(wire, mem + b.off, b.len);
        *wire_len = b.len;
    }
    free(mem), free(copy);
    return b.result;
}

/* Room the RFCs need in front of and behind an inner packet of n bytes in
 * an IPv4 tunnel; tail does not count the 4 bytes the ESN needs. */
static size_t need_head(const struct suite *s)
{
    return 20 + (s->proto == UIPSEC_PROTO_AH ? ah_len(s, 4) : 8u + s->iv);
}

static size_t need_tail(const struct suite *s, size_t n)
{
    return s->proto == UIPSEC_PROTO_AH ? 0 : round_up(n + 2, s->block) - n + s->icv;
}

static void no_room_one(const struct suite *s, enum uipsec_backend be)
{
    struct pair p = pair_make(s, be, &tun4);
    uint8_t inner[MAX_PKT], wire[MAX_PKT];
    size_t len = inner4(inner, 100, 7), n = 0, head = need_head(s), tail = need_tail(s, len);
    struct uipsec_sa_stats st;

    rc_is(encap_try(p.out, inner, len, head - 1, UIPSEC_TAILROOM, NULL, NULL), UIPSEC_E_NO_ROOM,
          "headroom", head - 1);
    rc_is(encap_try(p.out, inner, len, 0, UIPSEC_TAILROOM, NULL, NULL), UIPSEC_E_NO_ROOM,
          "headroom", 0);
    if (tail)
        rc_is(encap_try(p.out, inner, len, head, tail - 1, NULL, NULL), UIPSEC_E_NO_ROOM,
              "tailroom", tail - 1);
    rc_is(encap_try(p.out, inner, len, head, tail + 4, wire, &n), UIPSEC_OK, "exact room", 0);
    assert_int_equal(n, 20 + sec_len(s, 4, len));
    assert_int_equal(get32(wire + 20 + seq_at(s)), 1); /* no number was used up */
    uipsec_sa_get_stats(p.out, &st);
    assert_int_equal(st.drops[UIPSEC_E_NO_ROOM], tail ? 3 : 2);
    assert_int_equal(st.packets, 1);
    assert_int_equal(st.seq, 1);
    open_ok(p.in, wire, n, 0, inner, len);
    pair_free(&p);
}

static void encap_no_room(void **state)
{
    (void)state;
    each(no_room_one, true);
}

static void direction_one(const struct suite *s, enum uipsec_backend be)
{
    struct pair p = pair_make(s, be, &tun4);
    uint8_t inner[MAX_PKT], wire[MAX_PKT];
    size_t len = inner4(inner, 64, 8), n = seal(p.out, inner, len, wire);
    struct uipsec_sa_stats st;

    rc_is(open_rc(p.out, wire, n), UIPSEC_E_DIRECTION, "decap on OUT", 0);
    rc_is(encap_try(p.in, inner, len, UIPSEC_HEADROOM, UIPSEC_TAILROOM, NULL, NULL),
          UIPSEC_E_DIRECTION, "encap on IN", 0);
    uipsec_sa_get_stats(p.out, &st);
    assert_int_equal(st.drops[UIPSEC_E_DIRECTION], 1);
    uipsec_sa_get_stats(p.in, &st);
    assert_int_equal(st.drops[UIPSEC_E_DIRECTION], 1);
    open_ok(p.in, wire, n, 0, inner, len);
    pair_free(&p);
}

static void wrong_direction(void **state)
{
    (void)state;
    each(direction_one, true);
}

static int encap_rc(struct uipsec_sa *sa, const uint8_t *pkt, size_t n)
{
    return encap_try(sa, pkt, n, UIPSEC_HEADROOM, UIPSEC_TAILROOM, NULL, NULL);
}

/* Packets a tunnel cannot carry: not IP, or IP whose length is not the
 * buffer's. */
static void inner_tunnel_one(const struct suite *s, enum uipsec_backend be)
{
    struct pair p = pair_make(s, be, &tun4);
    uint8_t pkt[MAX_PKT], wire[MAX_PKT];
    size_t n = 0;

    memset(pkt, 0, 60);
    rc_is(encap_rc(p.out, pkt, 60), UIPSEC_E_INNER, "zeros", 60);
    rc_is(encap_rc(p.out, pkt, 0), UIPSEC_E_INNER, "empty", 0);
    inner4(pkt, 60, 1);
    rc_is(encap_rc(p.out, pkt, 50), UIPSEC_E_INNER, "IPv4 longer than the buffer", 50);
    rc_is(encap_rc(p.out, pkt, 19), UIPSEC_E_INNER, "IPv4 header cut", 19);
    inner4(pkt, 40, 1);
    rc_is(encap_rc(p.out, pkt, 60), UIPSEC_E_INNER, "IPv4 shorter than the buffer", 60);
    pkt[0] = 0x55;
    rc_is(encap_rc(p.out, pkt, 40), UIPSEC_E_INNER, "version 5", 40);
    inner6(pkt, 80, 1);
    rc_is(encap_rc(p.out, pkt, 70), UIPSEC_E_INNER, "IPv6 longer than the buffer", 70);
    rc_is(encap_rc(p.out, pkt, 30), UIPSEC_E_INNER, "IPv6 header cut", 30);
    rc_is(encap_try(p.out, pkt, 80, UIPSEC_HEADROOM, UIPSEC_TAILROOM, wire, &n), UIPSEC_OK, "IPv6",
          80);
    assert_int_equal(get32(wire + 20 + seq_at(s)), 1);
    open_ok(p.in, wire, n, 0, pkt, 80);
    pair_free(&p);
}

static void inner_transport_one(const struct suite *s, enum uipsec_backend be)
{
    struct pair p = pair_make(s, be, &tra4);
    uint8_t pkt[MAX_PKT];

    memset(pkt, 0, 60);
    rc_is(encap_rc(p.out, pkt, 60), UIPSEC_E_INNER, "transport zeros", 60);
    inner4(pkt, 60, 2);
    put16(pkt + 6, 0x2000);
    csum4(pkt);
    rc_is(encap_rc(p.out, pkt, 60), UIPSEC_E_INNER, "transport fragment", 60);
    inner4(pkt, 60, 2);
    rc_is(encap_rc(p.out, pkt, 59), UIPSEC_E_INNER, "transport cut", 59);
    warm(&p, &tra4, 1);
    pair_free(&p);
}

/* RFC 3948 is IPv4 only: an IPv6 packet cannot go over a transport-mode
 * ESP-in-UDP SA. */
static void udp_transport_v6_one(const struct suite *s, enum uipsec_backend be)
{
    const struct shape tra_udp = {"transport-udp", UIPSEC_MODE_TRANSPORT, 4, 4500};
    struct pair p = pair_make(s, be, &tra_udp);
    uint8_t pkt[MAX_PKT];

    rc_is(encap_rc(p.out, pkt, inner6(pkt, 80, 1)), UIPSEC_E_UNSUPPORTED, "IPv6", 80);
    warm(&p, &tra4, 1);
    pair_free(&p);
}

static void encap_bad_inner(void **state)
{
    (void)state;
    each(inner_tunnel_one, true);
    each(inner_transport_one, true);
    each(udp_transport_v6_one, false);
}

/* A uipsec_buf that does not describe memory is the caller's mistake. */
static void bad_buf_one(const struct suite *s, enum uipsec_backend be)
{
    struct pair p = pair_make(s, be, &tun4);
    uint8_t mem[64];
    struct uipsec_buf b[4] = {
        {NULL, 64, 0, 20, -1}, {mem, 64, 65, 0, -1}, {mem, 64, 10, 55, -1}, {mem, 64, 0, 65, -1}};
    struct uipsec_sa_stats st;

    assert_int_equal(uipsec_decap(p.in, b, 2), 0);
    assert_int_equal(uipsec_encap(p.out, b + 2, 2), 0);
    for (size_t i = 0; i < 4; i++)
        rc_is(b[i].result, UIPSEC_E_PARAM, "buf", i);
    uipsec_sa_get_stats(p.in, &st);
    assert_int_equal(st.drops[UIPSEC_E_PARAM], 2);
    uipsec_sa_get_stats(p.out, &st);
    assert_int_equal(st.drops[UIPSEC_E_PARAM], 2);
    assert_int_equal(st.seq, 0);
    pair_free(&p);
}

static void bad_buffers(void **state)
{
    (void)state;
    each(bad_buf_one, true);
}

/* The largest inner IPv4 packet whose tunnel packet fits the IP length
 * field (IPv4 total length, IPv6 payload length). */
static size_t max_inner(const struct suite *s, uint8_t family)
{
    size_t hdr = family == 4 ? 20 : 0, n = 65535;

    while (hdr + sec_len(s, family, n) > 65535)
        n--;
    return n;
}

/* Encapsulates an inner IPv4 packet of n bytes; a success leaves the outer
 * packet in *wire (malloc'd, the caller frees it) and its length in *len. */
static int big_encap(struct uipsec_sa *sa, size_t n, uint8_t **wire, size_t *len)
{
    size_t cap = UIPSEC_HEADROOM + n + UIPSEC_TAILROOM, ok;
    uint8_t *mem = malloc(cap);
    struct uipsec_buf b = {mem, (uint32_t)cap, UIPSEC_HEADROOM, (uint32_t)n, -1};

    assert_non_null(mem);
    inner4(mem + UIPSEC_HEADROOM, n, 3);
    ok = uipsec_encap(sa, &b, 1);
    assert_int_equal(ok, b.result == UIPSEC_OK);
    *wire = NULL;
    if (ok) {
        *wire = malloc(b.len);
        assert_non_null(*wire);
        memcpy(*wire, mem + b.off, b.len);
        *len = b.len;
    }
    free(mem);
    return b.result;
}

/* The largest packet goes out and comes back; one byte more is too big.
 * KNOWN ENGINE BUG (fails until fixed): on intel-ipsec-mb, AH packets whose
 * ICV input is over 65534 bytes give UIPSEC_E_CRYPTO (encap and decap): the
 * job API refuses HMAC messages longer than MB_MAX_LEN16 = 2^16 - 2
 * (crypto_ipsecmb.c mb_hmac), and AH authenticates the whole IP packet. */
static void too_big_shape(const struct suite *s, enum uipsec_backend be, const struct shape *sh)
{
    struct pair p = pair_make(s, be, sh);
    size_t n = max_inner(s, sh->family), len = 0, got = 0;
    uint8_t *wire, *inner = malloc(65535), *out = malloc(65535);

    at("%s/%s %s", s->name, uipsec_backend_name(be), sh->name);
    assert_true(inner && out);
    rc_is(big_encap(p.out, n, &wire, &len), UIPSEC_OK, "largest inner", n);
    assert_int_equal(len, ip_hdr(sh) + sec_len(s, sh->family, n));
    rc_is(open_in(p.in, wire, len, 0, out, &got), UIPSEC_OK, "largest outer", len);
    assert_int_equal(got, n);
    assert_memory_equal(out, inner, inner4(inner, n, 3));
    free(wire);
    rc_is(big_encap(p.out, n + 1, &wire, &len), UIPSEC_E_TOO_BIG, "inner", n + 1);
    rc_is(big_encap(p.out, 65535, &wire, &len), UIPSEC_E_TOO_BIG, "inner", 65535);
    free(inner), free(out);
    pair_free(&p);
}

static void too_big_one(const struct suite *s, enum uipsec_backend be)
{
    too_big_shape(s, be, &tun4);
    too_big_shape(s, be, &tun6);
}

static void encap_too_big(void **state)
{
    (void)state;
    each(too_big_one, true);
}

/* ---- sequence numbers ---- */

static void exhausted_one(const struct suite *s, enum uipsec_backend be)
{
    struct uipsec_sa_params po = params(s, be, UIPSEC_DIR_OUT, &tun4);
    struct uipsec_sa_params pi = params(s, be, UIPSEC_DIR_IN, &tun4);
    struct uipsec_sa *out, *in = sa_make(&pi);
    uint8_t inner[MAX_PKT], wire[MAX_PKT];
    size_t len = inner4(inner, 80, 4), n;
    struct uipsec_sa_stats st;

    po.seq = 0xffffffff;
    out = sa_make(&po);
    n = seal(out, inner, len, wire);
    assert_int_equal(get32(wire + 20 + seq_at(s)), 0xffffffff);
    open_ok(in, wire, n, 0, inner, len);
    rc_is(encap_rc(out, inner, len), UIPSEC_E_SEQ_EXHAUSTED, "after 2^32-1", 0);
    rc_is(encap_rc(out, inner, len), UIPSEC_E_SEQ_EXHAUSTED, "after 2^32-1", 1);
    uipsec_sa_get_stats(out, &st);
    assert_int_equal(st.drops[UIPSEC_E_SEQ_EXHAUSTED], 2);
    assert_int_equal(st.packets, 1);
    assert_int_equal(st.seq, 0xffffffff);
    uipsec_sa_free(out), uipsec_sa_free(in);
}

static void seq_exhausted(void **state)
{
    (void)state;
    each(exhausted_one, true);
}

struct esn_run {
    struct uipsec_sa *out, *in;
    uint8_t inner[4][MAX_PKT], wire[4][MAX_PKT];
    size_t len[4], n[4];
};

/* An ESN sender from 0xfffffffe: 0xfffffffe, 0xffffffff, 0x1_00000000,
 * 0x1_00000001, of which only the low halves go on the wire. */
static void esn_send(struct esn_run *r, const struct suite *s, enum uipsec_backend be)
{
    struct uipsec_sa_params po = params(s, be, UIPSEC_DIR_OUT, &tun4);
    struct uipsec_sa_params pi = params(s, be, UIPSEC_DIR_IN, &tun4);
    struct uipsec_sa_stats st;

    po.esn = pi.esn = true;
    po.seq = 0xfffffffe;
    r->out = sa_make(&po);
    r->in = sa_make(&pi);
    for (uint32_t i = 0; i < 4; i++) {
        r->len[i] = inner4(r->inner[i], 70 + i, (uint8_t)(0x30 + i));
        r->n[i] = seal(r->out, r->inner[i], r->len[i], r->wire[i]);
        assert_int_equal(get32(r->wire[i] + 20 + seq_at(s)), 0xfffffffeu + i);
    }
    uipsec_sa_get_stats(r->out, &st);
    assert_int_equal(st.seq, 0x100000001ull);
}

static void esn_open(struct esn_run *r, const struct suite *s, size_t i)
{
    open_ok(r->in, r->wire[i], r->n[i], esn_tail(s), r->inner[i], r->len[i]);
}

static int esn_rc(struct esn_run *r, const struct suite *s, size_t i)
{
    return open_in(r->in, r->wire[i], r->n[i], esn_tail(s), NULL, NULL);
}

static void esn_wrap_one(const struct suite *s, enum uipsec_backend be)
{
    static struct esn_run r;
    const size_t order[] = {0, 2, 1, 3}; /* 2^32 before 2^32-1 */
    struct uipsec_sa_stats st;

    esn_send(&r, s, be);
    for (size_t i = 0; i < 4; i++)
        esn_open(&r, s, order[i]);
    rc_is(esn_rc(&r, s, 1), UIPSEC_E_REPLAY, "replay of 0xffffffff", 1);
    rc_is(esn_rc(&r, s, 2), UIPSEC_E_REPLAY, "replay of 0x100000000", 2);
    uipsec_sa_get_stats(r.in, &st);
    assert_int_equal(st.seq, 0x100000001ull);
    assert_int_equal(st.packets, 4);
    uipsec_sa_free(r.in);
    uipsec_sa_free(r.out);
}

static void esn_in_order_one(const struct suite *s, enum uipsec_backend be)
{
    static struct esn_run r;

    esn_send(&r, s, be);
    for (size_t i = 0; i < 4; i++)
        esn_open(&r, s, i);
    rc_is(esn_rc(&r, s, 1), UIPSEC_E_REPLAY, "replay of 0xffffffff", 1);
    uipsec_sa_free(r.in);
    uipsec_sa_free(r.out);
}

static void esn_across_2_32(void **state)
{
    (void)state;
    each(esn_wrap_one, true);
    each(esn_in_order_one, true);
}

/* A receiver told the high half is 5 infers 5 for a sender still at 0
 * (RFC 4303 A2.2): the ICV covers seq_hi, so the packet fails as AUTH (the
 * inference never places a number left of the window). */
static void esn_mismatch_one(const struct suite *s, enum uipsec_backend be)
{
    struct uipsec_sa_params po = params(s, be, UIPSEC_DIR_OUT, &tun4);
    struct uipsec_sa_params pi = params(s, be, UIPSEC_DIR_IN, &tun4);
    struct uipsec_sa *out, *in, *late;
    uint8_t inner[MAX_PKT], wire[MAX_PKT];
    size_t len = inner4(inner, 66, 1), n;
    struct uipsec_sa_stats st;

    po.esn = pi.esn = true;
    out = sa_make(&po);
    in = sa_make(&pi);
    uipsec_sa_set_esn_high(in, 5);
    n = seal(out, inner, len, wire);
    rc_is(open_in(in, wire, n, esn_tail(s), NULL, NULL), UIPSEC_E_AUTH, "high 0 at 5", 0);
    po.seq = 0x500000002ull;
    late = sa_make(&po);
    n = seal(late, inner, len, wire);
    open_ok(in, wire, n, esn_tail(s), inner, len);
    rc_is(open_in(in, wire, n, esn_tail(s), NULL, NULL), UIPSEC_E_REPLAY, "again", 0);
    uipsec_sa_get_stats(in, &st);
    assert_int_equal(st.drops[UIPSEC_E_AUTH], 1);
    assert_int_equal(st.drops[UIPSEC_E_REPLAY], 1);
    assert_int_equal(st.packets, 1);
    uipsec_sa_free(out), uipsec_sa_free(in), uipsec_sa_free(late);
}

static void esn_high_mismatch(void **state)
{
    (void)state;
    each(esn_mismatch_one, true);
}

/* Without ESN the high half means nothing. */
static void esn_high_ignored(void **state)
{
    struct pair p;

    (void)state;
    at("aes128gcm16/openssl");
    p = pair_make(gcm, UIPSEC_BACKEND_OPENSSL, &tun4);
    uipsec_sa_set_esn_high(p.in, 5);
    warm(&p, &tun4, 3);
    pair_free(&p);
}

/* ---- lifetimes and counters ---- */

struct events {
    struct uipsec_sa *sa;
    int n;
    enum uipsec_lifetime_event ev[4];
    uint64_t packets[4]; /* the SA's packet count when each fired */
};

static void on_event(void *arg, struct uipsec_sa *sa, enum uipsec_lifetime_event ev)
{
    struct events *e = arg;
    struct uipsec_sa_stats st;

    assert_true(e->n < 4);
    assert_ptr_equal(sa, e->sa);
    uipsec_sa_get_stats(sa, &st);
    e->ev[e->n] = ev;
    e->packets[e->n++] = st.packets;
}

struct life_case {
    const char *name;
    struct uipsec_lifetime lt;
    uint64_t soft_at, hard_at; /* packet that reaches each limit, 0: none */
};

/* Packets are 100 inner bytes. */
static const struct life_case life_cases[] = {
    {"packets", {0, 0, 3, 5}, 3, 5},
    {"bytes", {250, 400, 0, 0}, 3, 4},
    {"soft and hard on one packet", {0, 0, 2, 2}, 2, 2},
    {"bytes before packets", {0, 200, 0, 6}, 0, 2},
    {"hard only", {0, 0, 0, 1}, 0, 1},
    {"soft only", {100, 0, 0, 0}, 1, 0},
};

#define LIFE_SENT 7

static int fired_by(const struct life_case *c, uint64_t k)
{
    return (c->soft_at && k >= c->soft_at) + (c->hard_at && k >= c->hard_at);
}

static void check_events(const struct life_case *c, const struct events *e, struct uipsec_sa *sa)
{
    uint64_t done = c->hard_at ? c->hard_at : LIFE_SENT;
    struct uipsec_sa_stats st;
    int i = 0;

    assert_int_equal(e->n, fired_by(c, LIFE_SENT));
    if (c->soft_at) {
        assert_int_equal(e->ev[i], UIPSEC_LIFETIME_SOFT);
        assert_int_equal(e->packets[i++], c->soft_at);
    }
    if (c->hard_at) {
        assert_int_equal(e->ev[i], UIPSEC_LIFETIME_HARD);
        assert_int_equal(e->packets[i], c->hard_at);
    }
    uipsec_sa_get_stats(sa, &st);
    assert_int_equal(st.packets, done);
    assert_int_equal(st.bytes, done * 100);
    assert_int_equal(st.drops[UIPSEC_E_LIFETIME], LIFE_SENT - done);
    assert_int_equal(st.soft_expired, c->soft_at != 0);
    assert_int_equal(st.hard_expired, c->hard_at != 0);
}

/* Runs LIFE_SENT packets through an SA with the case's limits, encapsulating
 * (dir OUT) or decapsulating (dir IN). */
static void life_run(const struct suite *s, enum uipsec_backend be, const struct life_case *c,
                     enum uipsec_dir dir)
{
    struct uipsec_sa_params pl = params(s, be, dir, &tun4);
    struct uipsec_sa_params ps = params(s, be, UIPSEC_DIR_OUT, &tun4);
    struct uipsec_sa *sender = sa_make(&ps), *sa;
    struct events e = {0};
    uint8_t inner[MAX_PKT], wire[MAX_PKT];

    pl.lifetime = c->lt, pl.on_lifetime = on_event, pl.cb_arg = &e;
    e.sa = sa = sa_make(&pl);
    for (uint64_t k = 1; k <= LIFE_SENT; k++) {
        int want = c->hard_at && k > c->hard_at ? UIPSEC_E_LIFETIME : UIPSEC_OK;
        size_t len = inner4(inner, 100, (uint8_t)k), n = seal(sender, inner, len, wire);

        if (dir == UIPSEC_DIR_OUT)
            rc_is(encap_rc(sa, inner, len), want, "packet", k);
        else
            rc_is(open_rc(sa, wire, n), want, "packet", k);
        assert_int_equal(e.n, fired_by(c, k));
    }
    check_events(c, &e, sa);
    uipsec_sa_free(sa), uipsec_sa_free(sender);
}

static void lifetime_one(const struct suite *s, enum uipsec_backend be)
{
    for (size_t i = 0; i < COUNT(life_cases); i++) {
        at("%s/%s: %s", s->name, uipsec_backend_name(be), life_cases[i].name);
        life_run(s, be, &life_cases[i], UIPSEC_DIR_OUT);
        life_run(s, be, &life_cases[i], UIPSEC_DIR_IN);
    }
}

static void lifetimes(void **state)
{
    (void)state;
    each(lifetime_one, true);
}

/* A hard limit without a callback still stops the SA. */
static void lifetime_without_callback(void **state)
{
    struct uipsec_sa_params po = params(gcm, UIPSEC_BACKEND_OPENSSL, UIPSEC_DIR_OUT, &tun4);
    struct uipsec_sa *out;
    uint8_t inner[MAX_PKT];
    size_t len = inner4(inner, 100, 1);

    (void)state;
    at("aes128gcm16/openssl: no callback");
    po.lifetime.hard_packets = 1;
    out = sa_make(&po);
    rc_is(encap_rc(out, inner, len), UIPSEC_OK, "packet", 1);
    rc_is(encap_rc(out, inner, len), UIPSEC_E_LIFETIME, "packet", 2);
    uipsec_sa_free(out);
}

static void check_drops(struct uipsec_sa *sa, const uint64_t want[UIPSEC_RESULT_COUNT])
{
    struct uipsec_sa_stats st;

    uipsec_sa_get_stats(sa, &st);
    for (int i = 0; i < UIPSEC_RESULT_COUNT; i++)
        if (st.drops[i] != want[i])
            fail_msg("%s: drops[%s] = %llu, want %llu", where, uipsec_result_name(i),
                     (unsigned long long)st.drops[i], (unsigned long long)want[i]);
}

struct four {
    uint8_t inner[4][MAX_PKT], wire[4][MAX_PKT];
    size_t len[4], n[4];
};

/* Delivers 1, 3 and 4 of four packets of 80, 90, 100, 110 bytes, with two
 * forgeries of 2, a replay, a wrong SPI and a truncation in between. */
static void stats_receive(struct pair *p, struct four *f, const struct suite *s)
{
    uint8_t bad[MAX_PKT];

    open_ok(p->in, f->wire[0], f->n[0], 0, f->inner[0], f->len[0]);
    memcpy(bad, f->wire[1], f->n[1]);
    bad[f->n[1] - 1] ^= 1;
    rc_is(open_rc(p->in, bad, f->n[1]), UIPSEC_E_AUTH, "ICV", 1);
    bad[30] ^= 4;
    rc_is(open_rc(p->in, bad, f->n[1]), UIPSEC_E_AUTH, "ICV", 2);
    rc_is(open_rc(p->in, f->wire[0], f->n[0]), UIPSEC_E_REPLAY, "replay", 0);
    memcpy(bad, f->wire[2], f->n[2]);
    bad[20 + (s->proto == UIPSEC_PROTO_AH ? 7 : 3)] ^= 1;
    rc_is(open_rc(p->in, bad, f->n[2]), UIPSEC_E_SPI, "SPI", 0);
    rc_is(open_rc(p->in, f->wire[2], f->n[2] - 1), UIPSEC_E_TRUNCATED, "cut", 0);
    open_ok(p->in, f->wire[2], f->n[2], 0, f->inner[2], f->len[2]);
    open_ok(p->in, f->wire[3], f->n[3], 0, f->inner[3], f->len[3]);
}

static void stats_one(const struct suite *s, enum uipsec_backend be)
{
    static struct four f;
    struct pair p = pair_make(s, be, &tun4);
    uint64_t in_drops[UIPSEC_RESULT_COUNT] = {0}, out_drops[UIPSEC_RESULT_COUNT] = {0};
    struct uipsec_sa_stats st;

    for (size_t i = 0; i < 4; i++) {
        f.len[i] = inner4(f.inner[i], 80 + 10 * i, (uint8_t)i);
        f.n[i] = seal(p.out, f.inner[i], f.len[i], f.wire[i]);
    }
    stats_receive(&p, &f, s);
    in_drops[UIPSEC_E_AUTH] = 2;
    in_drops[UIPSEC_E_REPLAY] = in_drops[UIPSEC_E_SPI] = in_drops[UIPSEC_E_TRUNCATED] = 1;
    check_drops(p.in, in_drops);
    uipsec_sa_get_stats(p.in, &st);
    assert_int_equal(st.packets, 3);
    assert_int_equal(st.bytes, 80 + 100 + 110);
    assert_int_equal(st.seq, 4);
    assert_int_equal(st.replay_window, WINDOW);
    assert_int_equal(st.replay_seen, 3);
    rc_is(encap_try(p.out, f.inner[0], f.len[0], 0, 0, NULL, NULL), UIPSEC_E_NO_ROOM, "room", 0);
    out_drops[UIPSEC_E_NO_ROOM] = 1;
    check_drops(p.out, out_drops);
    uipsec_sa_get_stats(p.out, &st);
    assert_int_equal(st.packets, 4);
    assert_int_equal(st.bytes, 80 + 90 + 100 + 110);
    assert_int_equal(st.seq, 4);
    pair_free(&p);
}

static void stats_count_drops(void **state)
{
    (void)state;
    each(stats_one, true);
}

/* ---- parameters ---- */

static struct uipsec_sa_params base(const struct suite *s)
{
    return params(s, UIPSEC_BACKEND_OPENSSL, UIPSEC_DIR_OUT, &tun4);
}

static void param_rc(const struct uipsec_sa_params *p, int want, const char *what)
{
    struct uipsec_sa *sentinel = (struct uipsec_sa *)&sentinel, *sa = sentinel;
    int rc = uipsec_sa_new(p, &sa);

    at("uipsec_sa_new: %s", what);
    rc_is(rc, want, "case", 0);
    if (want != UIPSEC_OK)
        assert_null(sa);
    else
        uipsec_sa_free(sa);
}

static void no_auth(struct uipsec_sa_params *p)
{
    p->integ = UIPSEC_INTEG_NONE;
    p->auth_key_len = 0;
}

static void with_hmac(struct uipsec_sa_params *p)
{
    p->integ = UIPSEC_INTEG_HMAC_SHA256_128;
    p->auth_key_len = 32;
}

static void params_suites(void **state)
{
    struct uipsec_sa_params p;

    (void)state;
    p = base(&suites[1]), no_auth(&p);
    param_rc(&p, UIPSEC_E_PARAM, "CBC without integrity");
    p = base(&suites[2]), no_auth(&p);
    param_rc(&p, UIPSEC_E_PARAM, "NULL without integrity");
    p = base(ah), no_auth(&p);
    param_rc(&p, UIPSEC_E_PARAM, "AH without integrity");
    for (size_t i = 0; i < COUNT(suites); i++) {
        p = base(&suites[i]);
        param_rc(&p, UIPSEC_OK, suites[i].name);
        if (suites[i].integ != UIPSEC_INTEG_NONE)
            continue;
        with_hmac(&p);
        param_rc(&p, UIPSEC_E_PARAM, "AEAD with an HMAC");
    }
    p = base(gcm), p.proto = 17;
    param_rc(&p, UIPSEC_E_PARAM, "protocol 17");
    p = base(gcm), p.enc = 42;
    param_rc(&p, UIPSEC_E_PARAM, "cipher 42");
    p = base(&suites[1]), p.integ = 9;
    param_rc(&p, UIPSEC_E_PARAM, "integrity 9");
}

static void key_len_rc(const struct suite *s, size_t enc, size_t auth, int want, const char *what)
{
    struct uipsec_sa_params p = base(s);

    p.enc_key_len = (uint8_t)enc;
    p.auth_key_len = (uint8_t)auth;
    param_rc(&p, want, what);
}

static void params_key_lengths(void **state)
{
    const struct suite *cbc = &suites[1], *null = &suites[2], *chacha = &suites[3];
    const struct suite *gmac = &suites[4];

    (void)state;
    key_len_rc(gcm, 24, 0, UIPSEC_E_PARAM, "GCM 24-byte key");
    key_len_rc(gcm, 0, 0, UIPSEC_E_PARAM, "GCM no key");
    key_len_rc(gcm, 32, 0, UIPSEC_OK, "GCM 32-byte key");
    key_len_rc(gcm, 16, 32, UIPSEC_E_PARAM, "GCM with an auth key");
    key_len_rc(cbc, 24, 32, UIPSEC_E_PARAM, "CBC 24-byte key");
    key_len_rc(cbc, 32, 32, UIPSEC_OK, "CBC 32-byte key");
    key_len_rc(cbc, 16, 16, UIPSEC_E_PARAM, "SHA-256 16-byte key");
    key_len_rc(cbc, 16, 33, UIPSEC_E_PARAM, "SHA-256 33-byte key");
    key_len_rc(cbc, 16, 0, UIPSEC_E_PARAM, "SHA-256 no key");
    key_len_rc(null, 16, 64, UIPSEC_E_PARAM, "NULL with a key");
    key_len_rc(null, 0, 32, UIPSEC_E_PARAM, "SHA-512 32-byte key");
    key_len_rc(chacha, 16, 0, UIPSEC_E_PARAM, "ChaCha20 16-byte key");
    key_len_rc(gmac, 24, 0, UIPSEC_E_PARAM, "GMAC 24-byte key");
    key_len_rc(ah, 0, 32, UIPSEC_E_PARAM, "AH SHA-384 32-byte key");
    key_len_rc(ah, 16, 48, UIPSEC_OK, "AH ignores enc_key_len");
}

static void params_spi_window(void **state)
{
    struct uipsec_sa_params p;
    const uint32_t bad_spi[] = {0, 1, 255};

    (void)state;
    for (size_t i = 0; i < COUNT(bad_spi); i++) {
        p = base(gcm), p.spi = bad_spi[i];
        param_rc(&p, UIPSEC_E_PARAM, "reserved SPI");
    }
    p = base(gcm), p.spi = 256;
    param_rc(&p, UIPSEC_OK, "SPI 256");
    p = base(gcm), p.dir = UIPSEC_DIR_IN, p.replay_window = 65536;
    param_rc(&p, UIPSEC_OK, "window 65536");
    p.replay_window = 65537;
    param_rc(&p, UIPSEC_E_PARAM, "window 65537");
    p = base(gcm), p.seq = 0x100000000ull;
    param_rc(&p, UIPSEC_E_PARAM, "seq 2^32 without ESN");
    p.esn = true;
    param_rc(&p, UIPSEC_OK, "seq 2^32 with ESN");
}

static void params_modes(void **state)
{
    struct uipsec_sa_params p;

    (void)state;
    p = base(gcm), memset(&p.tunnel_src, 0, sizeof p.tunnel_src);
    memset(&p.tunnel_dst, 0, sizeof p.tunnel_dst);
    param_rc(&p, UIPSEC_E_PARAM, "tunnel without addresses");
    p.mode = UIPSEC_MODE_TRANSPORT;
    param_rc(&p, UIPSEC_OK, "transport without addresses");
    p = base(gcm), p.tunnel_dst.family = 0;
    param_rc(&p, UIPSEC_E_PARAM, "tunnel without destination");
    p = base(gcm), set_addr(&p.tunnel_dst, 6, 2);
    param_rc(&p, UIPSEC_E_PARAM, "tunnel IPv4 to IPv6");
    p = base(gcm), p.tunnel_src.family = p.tunnel_dst.family = 5;
    param_rc(&p, UIPSEC_E_PARAM, "family 5");
    p = base(ah), p.udp_dport = 4500;
    param_rc(&p, UIPSEC_E_PARAM, "AH with UDP");
    p.mode = UIPSEC_MODE_TRANSPORT;
    param_rc(&p, UIPSEC_E_PARAM, "AH transport with UDP");
    p = base(gcm), p.dir = 2;
    param_rc(&p, UIPSEC_E_PARAM, "direction 2");
    p = base(gcm), p.mode = 2;
    param_rc(&p, UIPSEC_E_PARAM, "mode 2");
    p = base(gcm), p.df = 3;
    param_rc(&p, UIPSEC_E_PARAM, "df 3");
}

/* ---- strongSwan keywords ---- */

struct kw_case {
    const char *kw;
    enum uipsec_proto proto;
    enum uipsec_enc enc;
    enum uipsec_integ integ;
    uint8_t key_len;
    bool esn;
    size_t enc_key, salt, auth_key; /* uipsec_suite_key_sizes */
};

static const struct kw_case kw_ok[] = {
    {"aes128gcm16", UIPSEC_PROTO_ESP, UIPSEC_ENC_AES_GCM16, UIPSEC_INTEG_NONE, 16, 0, 16, 4, 0},
    {"aes256gcm16", UIPSEC_PROTO_ESP, UIPSEC_ENC_AES_GCM16, UIPSEC_INTEG_NONE, 32, 0, 32, 4, 0},
    {"aes256gcm128", UIPSEC_PROTO_ESP, UIPSEC_ENC_AES_GCM16, UIPSEC_INTEG_NONE, 32, 0, 32, 4, 0},
    {"chacha20poly1305", UIPSEC_PROTO_ESP, UIPSEC_ENC_CHACHA20_POLY1305, UIPSEC_INTEG_NONE, 32, 0,
     32, 4, 0},
    {"aes128-sha256", UIPSEC_PROTO_ESP, UIPSEC_ENC_AES_CBC, UIPSEC_INTEG_HMAC_SHA256_128, 16, 0, 16,
     0, 32},
    {"aes256-sha2_512", UIPSEC_PROTO_ESP, UIPSEC_ENC_AES_CBC, UIPSEC_INTEG_HMAC_SHA512_256, 32, 0,
     32, 0, 64},
    {"aes256-sha384", UIPSEC_PROTO_ESP, UIPSEC_ENC_AES_CBC, UIPSEC_INTEG_HMAC_SHA384_192, 32, 0, 32,
     0, 48},
    {"null-sha384", UIPSEC_PROTO_ESP, UIPSEC_ENC_NULL, UIPSEC_INTEG_HMAC_SHA384_192, 0, 0, 0, 0,
     48},
    {"aes256gmac", UIPSEC_PROTO_ESP, UIPSEC_ENC_AES_GMAC, UIPSEC_INTEG_NONE, 32, 0, 32, 4, 0},
    {"aes128gmac", UIPSEC_PROTO_ESP, UIPSEC_ENC_AES_GMAC, UIPSEC_INTEG_NONE, 16, 0, 16, 4, 0},
    {"sha256", UIPSEC_PROTO_AH, UIPSEC_ENC_NULL, UIPSEC_INTEG_HMAC_SHA256_128, 0, 0, 0, 0, 32},
    {"sha2_512", UIPSEC_PROTO_AH, UIPSEC_ENC_NULL, UIPSEC_INTEG_HMAC_SHA512_256, 0, 0, 0, 0, 64},
    {"aes128gcm16-esn", UIPSEC_PROTO_ESP, UIPSEC_ENC_AES_GCM16, UIPSEC_INTEG_NONE, 16, 1, 16, 4, 0},
    {"sha384-esn", UIPSEC_PROTO_AH, UIPSEC_ENC_NULL, UIPSEC_INTEG_HMAC_SHA384_192, 0, 1, 0, 0, 48},
    {"aes128-sha256-noesn", UIPSEC_PROTO_ESP, UIPSEC_ENC_AES_CBC, UIPSEC_INTEG_HMAC_SHA256_128, 16,
     0, 16, 0, 32},
};

static void kw_check(const struct kw_case *c)
{
    struct uipsec_sa_params p;
    size_t enc_key, salt, auth_key;

    memset(&p, 0, sizeof p);
    p.proto = c->proto;
    at("uipsec_suite_parse(\"%s\")", c->kw);
    rc_is(uipsec_suite_parse(c->kw, c->proto, &p), UIPSEC_OK, "keyword", 0);
    assert_int_equal(p.enc, c->enc);
    assert_int_equal(p.integ, c->integ);
    assert_int_equal(p.enc_key_len, c->key_len);
    assert_int_equal(p.esn, c->esn);
    uipsec_suite_key_sizes(&p, &enc_key, &salt, &auth_key);
    assert_int_equal(enc_key, c->enc_key);
    assert_int_equal(salt, c->salt);
    assert_int_equal(auth_key, c->auth_key);
}

static void suite_keywords_accepted(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(kw_ok); i++)
        kw_check(&kw_ok[i]);
}

struct kw_bad {
    const char *kw;
    enum uipsec_proto proto;
};

static const struct kw_bad kw_rejected[] = {
    {"aes128gcm8", UIPSEC_PROTO_ESP},
    {"aes128gcm12", UIPSEC_PROTO_ESP},
    {"aes192gcm16", UIPSEC_PROTO_ESP},
    {"aes128ccm16", UIPSEC_PROTO_ESP},
    {"3des-sha1", UIPSEC_PROTO_ESP},
    {"aes128-sha1", UIPSEC_PROTO_ESP},
    {"aes128-md5", UIPSEC_PROTO_ESP},
    {"aes128-aesxcbc", UIPSEC_PROTO_ESP},
    {"aes128", UIPSEC_PROTO_ESP},
    {"null", UIPSEC_PROTO_ESP},
    {"aes128gcm16-sha256", UIPSEC_PROTO_ESP},
    {"chacha20poly1305-sha384", UIPSEC_PROTO_ESP},
    {"sha256", UIPSEC_PROTO_ESP},
    {"aes128gcm16", UIPSEC_PROTO_AH},
    {"aes128-sha256", UIPSEC_PROTO_AH},
    {"sha1", UIPSEC_PROTO_AH},
    {"", UIPSEC_PROTO_ESP},
    {"aes128gcm16-aes256gcm16", UIPSEC_PROTO_ESP},
    {"aes128-sha256-sha384", UIPSEC_PROTO_ESP},
    {"aes128--sha256", UIPSEC_PROTO_ESP},
    {"-aes128gcm16", UIPSEC_PROTO_ESP},
    {"aes128gcm16x", UIPSEC_PROTO_ESP},
    {"aes128gcm1", UIPSEC_PROTO_ESP},
    {"foo", UIPSEC_PROTO_ESP},
};

static void suite_keywords_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(kw_rejected); i++) {
        struct uipsec_sa_params p;

        memset(&p, 0, sizeof p);
        at("uipsec_suite_parse(\"%s\", %d)", kw_rejected[i].kw, kw_rejected[i].proto);
        rc_is(uipsec_suite_parse(kw_rejected[i].kw, kw_rejected[i].proto, &p), UIPSEC_E_UNSUPPORTED,
              "keyword", i);
    }
}

/* ---- batches ---- */

#define BATCH 32

struct batch {
    uint8_t *mem[BATCH];
    struct uipsec_buf b[BATCH];
};

static void batch_free(struct batch *bt)
{
    for (size_t i = 0; i < BATCH; i++)
        free(bt->mem[i]);
}

/* Inner packet i of a batch: 60 + i bytes. */
static void batch_fill(struct batch *bt)
{
    for (size_t i = 0; i < BATCH; i++) {
        size_t cap = UIPSEC_HEADROOM + 60 + i + UIPSEC_TAILROOM;

        bt->mem[i] = calloc(1, cap);
        assert_non_null(bt->mem[i]);
        inner4(bt->mem[i] + UIPSEC_HEADROOM, 60 + i, (uint8_t)i);
        bt->b[i] =
            (struct uipsec_buf){bt->mem[i], (uint32_t)cap, UIPSEC_HEADROOM, (uint32_t)(60 + i), -1};
    }
}

static int batch_encap_want(size_t i)
{
    return i == 5 ? UIPSEC_E_INNER : i == 9 ? UIPSEC_E_NO_ROOM : UIPSEC_OK;
}

static void batch_encap_one(const struct suite *s, enum uipsec_backend be)
{
    struct pair p = pair_make(s, be, &tun4);
    static struct batch bt;
    uint32_t seq = 0;

    batch_fill(&bt);
    memset(bt.mem[5] + UIPSEC_HEADROOM, 0, 65);
    memmove(bt.mem[9], bt.mem[9] + UIPSEC_HEADROOM, 69);
    bt.b[9].off = 0;
    assert_int_equal(uipsec_encap(p.out, bt.b, BATCH), BATCH - 2);
    for (size_t i = 0; i < BATCH; i++) {
        rc_is(bt.b[i].result, batch_encap_want(i), "batch packet", i);
        if (bt.b[i].result != UIPSEC_OK)
            continue;
        assert_int_equal(get32(bt.mem[i] + bt.b[i].off + 20 + seq_at(s)), ++seq);
        assert_int_equal(bt.b[i].len, 20 + sec_len(s, 4, 60 + i));
    }
    batch_free(&bt);
    pair_free(&p);
}

static int batch_decap_want(size_t i)
{
    switch (i) {
    case 3:
        return UIPSEC_E_AUTH;
    case 7:
        return UIPSEC_E_REPLAY;
    case 12:
        return UIPSEC_E_TRUNCATED;
    case 20:
        return UIPSEC_E_SPI;
    case 31:
        return UIPSEC_E_FRAGMENT;
    }
    return UIPSEC_OK;
}

/* Turns a batch of outer packets into exact-size receive buffers, five of
 * them spoilt as batch_decap_want says. */
static void batch_spoil(struct batch *out, const struct batch *in, const struct suite *s)
{
    for (size_t i = 0; i < BATCH; i++) {
        const struct uipsec_buf *src = &in->b[i == 7 ? 6 : i];
        size_t n = src->len - (i == 12);

        out->mem[i] = malloc(n);
        assert_non_null(out->mem[i]);
        memcpy(out->mem[i], src->base + src->off, n);
        out->b[i] = (struct uipsec_buf){out->mem[i], (uint32_t)n, 0, (uint32_t)n, -1};
    }
    out->mem[3][out->b[3].len - 1] ^= 0x80;
    out->mem[20][20 + (s->proto == UIPSEC_PROTO_AH ? 4 : 0)] ^= 0x01;
    put16(out->mem[31] + 6, 0x2000);
    csum4(out->mem[31]);
}

static void batch_decap_one(const struct suite *s, enum uipsec_backend be)
{
    struct pair p = pair_make(s, be, &tun4);
    static struct batch sent, got;
    uint8_t want[MAX_PKT];

    batch_fill(&sent);
    assert_int_equal(uipsec_encap(p.out, sent.b, BATCH), BATCH);
    batch_spoil(&got, &sent, s);
    assert_int_equal(uipsec_decap(p.in, got.b, BATCH), BATCH - 5);
    for (size_t i = 0; i < BATCH; i++) {
        rc_is(got.b[i].result, batch_decap_want(i), "batch packet", i);
        if (got.b[i].result != UIPSEC_OK)
            continue;
        assert_int_equal(got.b[i].len, 60 + i);
        assert_memory_equal(got.mem[i] + got.b[i].off, want, inner4(want, 60 + i, (uint8_t)i));
    }
    batch_free(&sent);
    batch_free(&got);
    pair_free(&p);
}

static void batches(void **state)
{
    (void)state;
    each(batch_encap_one, true);
    each(batch_decap_one, true);
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
        cmocka_unit_test(encap_no_room),
        cmocka_unit_test(wrong_direction),
        cmocka_unit_test(encap_bad_inner),
        cmocka_unit_test(bad_buffers),
        cmocka_unit_test(encap_too_big),
        cmocka_unit_test(seq_exhausted),
        cmocka_unit_test(esn_across_2_32),
        cmocka_unit_test(esn_high_mismatch),
        cmocka_unit_test(esn_high_ignored),
        cmocka_unit_test(lifetimes),
        cmocka_unit_test(lifetime_without_callback),
        cmocka_unit_test(stats_count_drops),
        cmocka_unit_test(params_suites),
        cmocka_unit_test(params_key_lengths),
        cmocka_unit_test(params_spi_window),
        cmocka_unit_test(params_modes),
        cmocka_unit_test(suite_keywords_accepted),
        cmocka_unit_test(suite_keywords_rejected),
        cmocka_unit_test(batches),
    };

    if (!uipsec_backend_available(UIPSEC_BACKEND_IPSECMB))
        print_message("intel-ipsec-mb not available: OpenSSL backend only\n");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
