/* SPDX-License-Identifier: MIT */
/* The drop-path tests' shared fixture (errors_fixture.h). */
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

const struct suite suites[N_SUITES] = {
    {"aes128gcm16", UIPSEC_PROTO_ESP, UIPSEC_ENC_AES_GCM16, UIPSEC_INTEG_NONE, 16, 8, 16, 4},
    {"aes128-sha256", UIPSEC_PROTO_ESP, UIPSEC_ENC_AES_CBC, UIPSEC_INTEG_HMAC_SHA256_128, 16, 16,
     16, 16},
    {"null-sha512", UIPSEC_PROTO_ESP, UIPSEC_ENC_NULL, UIPSEC_INTEG_HMAC_SHA512_256, 0, 0, 32, 4},
    {"chacha20poly1305", UIPSEC_PROTO_ESP, UIPSEC_ENC_CHACHA20_POLY1305, UIPSEC_INTEG_NONE, 32, 8,
     16, 4},
    {"aes256gmac", UIPSEC_PROTO_ESP, UIPSEC_ENC_AES_GMAC, UIPSEC_INTEG_NONE, 32, 8, 16, 4},
    {"ah-sha384", UIPSEC_PROTO_AH, UIPSEC_ENC_NULL, UIPSEC_INTEG_HMAC_SHA384_192, 0, 0, 24, 4},
};

const struct suite *const gcm = &suites[0];
const struct suite *const ah = &suites[5];

/* The ESP NULL-HMAC-SHA-256 suite the hand-built packets use. */
const struct suite null_sha256 = {
    "null-sha256", UIPSEC_PROTO_ESP, UIPSEC_ENC_NULL, UIPSEC_INTEG_HMAC_SHA256_128, 0, 0, 16, 4};

const struct shape tun4 = {"tunnel4", UIPSEC_MODE_TUNNEL, 4, 0};
const struct shape tun6 = {"tunnel6", UIPSEC_MODE_TUNNEL, 6, 0};
const struct shape tun4_udp = {"tunnel4-udp", UIPSEC_MODE_TUNNEL, 4, 4500};
const struct shape tra4 = {"transport4", UIPSEC_MODE_TRANSPORT, 4, 0};
const struct shape tra6 = {"transport6", UIPSEC_MODE_TRANSPORT, 6, 0};

const enum uipsec_backend backends[2] = {UIPSEC_BACKEND_OPENSSL, UIPSEC_BACKEND_IPSECMB};

/* ---- context for failure messages ---- */

char where[160];

void at(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(where, sizeof where, fmt, ap);
    va_end(ap);
}

void rc_is(int got, int want, const char *what, size_t i)
{
    if (got != want)
        fail_msg("%s: %s %zu: got %s, want %s", where, what, i, uipsec_result_name(got),
                 uipsec_result_name(want));
}

/* ---- bytes ---- */

/* An IPv4 header from 192.0.2.1 to 192.0.2.2. */
void outer4(uint8_t *h, size_t total, uint8_t proto)
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
size_t inner4(uint8_t *p, size_t total, uint8_t seed)
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

size_t inner6(uint8_t *p, size_t total, uint8_t seed)
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
size_t inner_for(const struct shape *sh, uint8_t *p, size_t total, uint8_t seed)
{
    if (sh->mode == UIPSEC_MODE_TRANSPORT && sh->family == 6)
        return inner6(p, total, seed);
    return inner4(p, total, seed);
}

/* ---- sizes on the wire ---- */

size_t ip_hdr(const struct shape *sh)
{
    return sh->family == 4 ? 20 : 40;
}

/* Where the ESP or AH header starts. */
size_t sec_off(const struct shape *sh)
{
    return ip_hdr(sh) + (sh->udp ? 8 : 0);
}

/* RFC 4302 2.2: AH is a multiple of 4 bytes in IPv4, of 8 in IPv6. */
size_t ah_len(const struct suite *s, uint8_t family)
{
    size_t a = family == 6 ? 8 : 4;

    return (12 + s->icv + a - 1) / a * a;
}

/* Offset of the sequence number in the ESP or AH header. */
size_t seq_at(const struct suite *s)
{
    return s->proto == UIPSEC_PROTO_ESP ? 4 : 8;
}

size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

/* Bytes after the outer IP header for an inner packet of n bytes. */
size_t sec_len(const struct suite *s, uint8_t family, size_t n)
{
    if (s->proto == UIPSEC_PROTO_AH)
        return ah_len(s, family) + n;
    return 8 + s->iv + round_up(n + 2, s->block) + s->icv;
}

/* ---- SAs ---- */

void set_addr(struct uipsec_addr *a, uint8_t family, uint8_t last)
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

struct uipsec_sa_params params(const struct suite *s, enum uipsec_backend be, enum uipsec_dir dir,
                               const struct shape *sh)
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

struct uipsec_sa *sa_make(const struct uipsec_sa_params *p)
{
    struct uipsec_sa *sa = NULL;
    int rc = uipsec_sa_new(p, &sa);

    if (rc != UIPSEC_OK || sa == NULL)
        fail_msg("%s: uipsec_sa_new: %s", where, uipsec_result_name(rc));
    assert_int_equal(uipsec_sa_backend(sa), p->backend);
    return sa;
}

struct pair pair_make(const struct suite *s, enum uipsec_backend be, const struct shape *sh)
{
    struct uipsec_sa_params po = params(s, be, UIPSEC_DIR_OUT, sh);
    struct uipsec_sa_params pi = params(s, be, UIPSEC_DIR_IN, sh);

    return (struct pair){sa_make(&po), sa_make(&pi)};
}

void pair_free(struct pair *p)
{
    uipsec_sa_free(p->out);
    uipsec_sa_free(p->in);
}

/* Runs fn for every suite (AH too when with_ah) on every available backend. */
void each(suite_fn fn, bool with_ah)
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
void each_backend(suite_fn fn, const struct suite *s)
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
size_t seal(struct uipsec_sa *sa, const uint8_t *inner, size_t n, uint8_t *wire)
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
int open_in(struct uipsec_sa *sa, const uint8_t *wire, size_t n, size_t tail, uint8_t *out,
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

int open_rc(struct uipsec_sa *sa, const uint8_t *wire, size_t n)
{
    return open_in(sa, wire, n, 0, NULL, NULL);
}

/* Decapsulation must succeed and give back exactly inner[0,n). */
void open_ok(struct uipsec_sa *sa, const uint8_t *wire, size_t n, size_t tail, const uint8_t *inner,
             size_t inner_len)
{
    uint8_t out[MAX_PKT];
    size_t out_len = 0;

    rc_is(open_in(sa, wire, n, tail, out, &out_len), UIPSEC_OK, "open of", n);
    assert_int_equal(out_len, inner_len);
    assert_memory_equal(out, inner, inner_len);
}

/* Sends and receives count packets so the receiver has seen 1..count. */
void warm(struct pair *p, const struct shape *sh, uint32_t count)
{
    uint8_t inner[MAX_PKT], wire[MAX_PKT];

    for (uint32_t i = 0; i < count; i++) {
        size_t n = inner_for(sh, inner, 60 + i % 7, (uint8_t)i);

        open_ok(p->in, wire, seal(p->out, inner, n, wire), 0, inner, n);
    }
}

/* Encapsulates pkt[0,n) in a heap buffer of exactly head + n + tail bytes.
 * A failure must leave the buffer and its offsets untouched; a success
 * copies the outer packet to wire (when not NULL). */
int encap_try(struct uipsec_sa *sa, const uint8_t *pkt, size_t n, size_t head, size_t tail,
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

int encap_rc(struct uipsec_sa *sa, const uint8_t *pkt, size_t n)
{
    return encap_try(sa, pkt, n, UIPSEC_HEADROOM, UIPSEC_TAILROOM, NULL, NULL);
}
