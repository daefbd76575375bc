/* SPDX-License-Identifier: MIT */
/*
 * AH (RFC 4302) on every available backend, tunnel and transport, IPv4 and
 * IPv6: which header fields the ICV leaves out (3.3.3.1), where AH goes and
 * how long it is (2.2, 3.1), IPv4 options and IPv6 hop-by-hop options, and
 * malformed options.  Packets are built here, with their checksums, and the
 * received ones are decapsulated from heap buffers of exactly their size.
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

#define SPI      0x00002001u
#define MAX_PKT  2048
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* HMAC-SHA-256-128: AH is 12 + 16 = 28 bytes in IPv4, padded to 32 in IPv6. */
#define AH4_LEN 28
#define AH6_LEN 32

/* The IPv4 transport packet with options: record route (mutable) and router
 * alert (immutable), then one end-of-options byte. */
#define OPT_IHL    36
#define OPT_RA     20 /* router alert: 148, 4, value (2 bytes) */
#define OPT_RR     24 /* record route: 7, 11, pointer, two 4-byte slots */
#define OPT_RR_LEN 11

/* The IPv6 packet's hop-by-hop header: an option whose data may change en
 * route (type 0x3e, RFC 8200 4.2 bit 0x20) and one whose may not (0x1e). */
#define HBH_LEN     16
#define HBH_MUTABLE (40 + 4)  /* data of option 0x3e */
#define HBH_FIXED   (40 + 10) /* data of option 0x1e */

static const enum uipsec_backend backends[] = {UIPSEC_BACKEND_OPENSSL, UIPSEC_BACKEND_IPSECMB};

static char where[160];

static void at(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(where, sizeof where, fmt, ap);
    va_end(ap);
}

static void rc_is(int got, int want, const char *what)
{
    if (got != want)
        fail_msg("%s: %s: got %s, want %s", where, what, uipsec_result_name(got),
                 uipsec_result_name(want));
}

/* ---- bytes and headers ---- */

/* IPv4 UDP packet of len bytes with an IHL of ihl bytes (options zeroed). */
static size_t v4(uint8_t *p, size_t len, size_t ihl)
{
    memset(p, 0, ihl);
    p[0] = (uint8_t)(0x40 | ihl / 4);
    p[1] = 0x10;
    put16(p + 2, len);
    put16(p + 4, 0x4242);
    p[8] = 64;
    p[9] = 17;
    p[12] = 10, p[13] = 1, p[15] = 1;
    p[16] = 10, p[17] = 2, p[19] = 2;
    fill(p + ihl, len - ihl, 0x31);
    csum4(p);
    return len;
}

static size_t v4_opts(uint8_t *p, size_t len)
{
    v4(p, len, OPT_IHL);
    p[OPT_RA] = 148, p[OPT_RA + 1] = 4;
    p[OPT_RR] = 7, p[OPT_RR + 1] = OPT_RR_LEN, p[OPT_RR + 2] = 4;
    csum4(p);
    return len;
}

/* IPv6 UDP packet of len bytes, with a hop-by-hop header when hbh. */
static size_t v6(uint8_t *p, size_t len, bool hbh)
{
    static const uint8_t opts[HBH_LEN] = {17,   1, 0x3e, 4,    0xd1, 0xd2, 0xd3, 0xd4,
                                          0x1e, 4, 0xe1, 0xe2, 0xe3, 0xe4, 1,    0};
    size_t hdr = hbh ? 40 + HBH_LEN : 40;

    memset(p, 0, 40);
    put32(p, 6u << 28 | 0x20u << 20 | 0x12345);
    put16(p + 4, len - 40);
    p[6] = hbh ? 0 : 17;
    p[7] = 64;
    p[8] = 0xfd, p[9] = 1, p[23] = 1;
    p[24] = 0xfd, p[25] = 2, p[39] = 2;
    if (hbh)
        memcpy(p + 40, opts, HBH_LEN);
    fill(p + hdr, len - hdr, 0x41);
    return len;
}

/* ---- SAs and the engine ---- */

static void set_addr(struct uipsec_addr *a, uint8_t family, uint8_t last)
{
    memset(a, 0, sizeof *a);
    a->family = family;
    a->bytes[0] = family == 4 ? 198 : 0x20;
    a->bytes[1] = family == 4 ? 51 : 0x01;
    a->bytes[family == 4 ? 3 : 15] = last;
}

static struct uipsec_sa_params params(enum uipsec_backend be, enum uipsec_dir dir,
                                      enum uipsec_mode mode, uint8_t family)
{
    struct uipsec_sa_params p;

    memset(&p, 0, sizeof p);
    p.spi = SPI, p.dir = dir, p.proto = UIPSEC_PROTO_AH, p.mode = mode;
    if (mode == UIPSEC_MODE_TUNNEL) {
        set_addr(&p.tunnel_src, family, 1);
        set_addr(&p.tunnel_dst, family, 2);
    }
    p.integ = UIPSEC_INTEG_HMAC_SHA256_128;
    p.auth_key_len = 32;
    fill(p.auth_key, 32, 0x60);
    p.replay_window = dir == UIPSEC_DIR_IN ? 64 : 0;
    p.backend = be;
    return p;
}

static struct uipsec_sa *sa_make(const struct uipsec_sa_params *p)
{
    struct uipsec_sa *sa = NULL;
    int rc = uipsec_sa_new(p, &sa);

    if (rc != UIPSEC_OK || sa == NULL)
        fail_msg("%s: uipsec_sa_new: %s", where, uipsec_result_name(rc));
    return sa;
}

struct pair {
    struct uipsec_sa *out, *in;
};

static struct pair pair_make(enum uipsec_backend be, enum uipsec_mode mode, uint8_t family)
{
    struct uipsec_sa_params po = params(be, UIPSEC_DIR_OUT, mode, family);
    struct uipsec_sa_params pi = params(be, UIPSEC_DIR_IN, mode, family);

    return (struct pair){sa_make(&po), sa_make(&pi)};
}

static void pair_free(struct pair *p)
{
    uipsec_sa_free(p->out);
    uipsec_sa_free(p->in);
}

/* Protects pkt[0,n) and copies the outer packet to wire; returns its length. */
static size_t seal(struct uipsec_sa *sa, const uint8_t *pkt, size_t n, uint8_t *wire)
{
    size_t cap = UIPSEC_HEADROOM + n + UIPSEC_TAILROOM, len, ok;
    uint8_t *mem = calloc(1, cap);
    struct uipsec_buf b = {mem, (uint32_t)cap, UIPSEC_HEADROOM, (uint32_t)n, -1};

    assert_non_null(mem);
    memcpy(mem + UIPSEC_HEADROOM, pkt, n);
    ok = uipsec_encap(sa, &b, 1);
    rc_is(b.result, UIPSEC_OK, "encap");
    assert_int_equal(ok, 1);
    len = b.len;
    memcpy(wire, mem + b.off, len);
    free(mem);
    return len;
}

/* Unprotects a copy of wire[0,n) in a heap buffer of exactly n bytes; the
 * inner packet goes to out when out is not NULL. */
static int open_in(struct uipsec_sa *sa, const uint8_t *wire, size_t n, uint8_t *out,
                   size_t *out_len)
{
    uint8_t *mem = malloc(n);
    struct uipsec_buf b = {mem, (uint32_t)n, 0, (uint32_t)n, -1};
    size_t ok;

    assert_non_null(mem);
    memcpy(mem, wire, n);
    ok = uipsec_decap(sa, &b, 1);
    assert_int_equal(ok, b.result == UIPSEC_OK);
    if (ok && out) {
        memcpy(out, mem + b.off, b.len);
        *out_len = b.len;
    }
    free(mem);
    return b.result;
}

static int open_rc(struct uipsec_sa *sa, const uint8_t *wire, size_t n)
{
    return open_in(sa, wire, n, NULL, NULL);
}

static void open_ok(struct uipsec_sa *sa, const uint8_t *wire, size_t n, const uint8_t *want,
                    size_t want_len, const char *what)
{
    uint8_t out[MAX_PKT];
    size_t len = 0;

    rc_is(open_in(sa, wire, n, out, &len), UIPSEC_OK, what);
    assert_int_equal(len, want_len);
    assert_memory_equal(out, want, want_len);
}

typedef void (*backend_fn)(enum uipsec_backend be);

static void each_backend(backend_fn fn, const char *name)
{
    for (size_t i = 0; i < COUNT(backends); i++) {
        if (!uipsec_backend_available(backends[i]))
            continue;
        at("%s/%s", name, uipsec_backend_name(backends[i]));
        fn(backends[i]);
    }
}

/* A packet changed in transit: a copy of wire with edit applied. */
typedef void (*edit_fn)(uint8_t *p);

static int open_edited(struct uipsec_sa *sa, const uint8_t *wire, size_t n, edit_fn edit,
                       uint8_t *out, size_t *out_len)
{
    uint8_t copy[MAX_PKT];

    memcpy(copy, wire, n);
    edit(copy);
    return open_in(sa, copy, n, out, out_len);
}

static void expect_auth(struct uipsec_sa *sa, const uint8_t *wire, size_t n, edit_fn edit,
                        const char *what)
{
    rc_is(open_edited(sa, wire, n, edit, NULL, NULL), UIPSEC_E_AUTH, what);
}

/* Each edit is one routers may make: a fresh packet changed by it still
 * verifies.  Tunnel mode gives back the inner packet as sent; transport
 * mode the packet changed the same way (the header as received, with a
 * valid checksum). */
static void expect_mutable(struct pair *p, const uint8_t *inner, size_t len, const edit_fn *edits,
                           size_t count, bool tunnel)
{
    uint8_t w[MAX_PKT], want[MAX_PKT];
    char what[40];

    for (size_t i = 0; i < count; i++) {
        size_t n = seal(p->out, inner, len, w);
        uint8_t copy[MAX_PKT];

        memcpy(copy, w, n);
        edits[i](copy);
        memcpy(want, inner, len);
        if (!tunnel)
            edits[i](want);
        if (!tunnel && want[0] >> 4 == 4)
            csum4(want); /* made valid again for the shorter packet */
        snprintf(what, sizeof what, "mutable-field edit %zu", i);
        open_ok(p->in, copy, n, want, len, what);
    }
}

/* ---- edits: what routers may do, and what they may not ---- */

static void v4_tos(uint8_t *p)
{
    p[1] = 0xb8; /* DSCP EF, not ECN-capable */
    csum4(p);
}

static void v4_ttl(uint8_t *p)
{
    p[8] = 7;
    csum4(p);
}

static void v4_df(uint8_t *p)
{
    put16(p + 6, 0x4000); /* MF clear, offset 0: not a fragment */
    csum4(p);
}

static void v4_reserved_flag(uint8_t *p)
{
    put16(p + 6, 0x8000);
    csum4(p);
}

static void v4_bad_checksum(uint8_t *p)
{
    put16(p + 10, get16(p + 10) ^ 0xdead);
}

static void v4_routers(uint8_t *p)
{
    p[1] = 0xb8;
    p[8] = 7;
    put16(p + 6, 0xc000);
    csum4(p);
}

static const edit_fn v4_mutable[] = {v4_tos,           v4_ttl,          v4_df,
                                     v4_reserved_flag, v4_bad_checksum, v4_routers};

static void v4_src(uint8_t *p)
{
    p[15] ^= 1;
    csum4(p);
}

static void v4_id(uint8_t *p)
{
    p[5] ^= 1;
    csum4(p);
}

static void v6_traffic_class(uint8_t *p)
{
    p[0] = 0x6b, p[1] = (uint8_t)(0x80 | (p[1] & 0x0f)); /* 0xb8, not ECN-capable */
}

static void v6_flow_label(uint8_t *p)
{
    p[1] = (uint8_t)((p[1] & 0xf0) | 0x0a), p[2] = 0xbc, p[3] = 0xde;
}

static void v6_hop_limit(uint8_t *p)
{
    p[7] = 3;
}

static void v6_routers(uint8_t *p)
{
    v6_traffic_class(p);
    v6_flow_label(p);
    v6_hop_limit(p);
}

static const edit_fn v6_mutable[] = {v6_traffic_class, v6_flow_label, v6_hop_limit, v6_routers};

static void v6_src(uint8_t *p)
{
    p[23] ^= 1;
}

static void v6_dst(uint8_t *p)
{
    p[39] ^= 0x80;
}

/* ---- tunnel mode ---- */

/* AH right after the outer header, naming the inner IP version. */
static void check_tunnel_layout(const uint8_t *w, size_t n, size_t inner_len, uint8_t family)
{
    size_t ip = family == 4 ? 20 : 40, ah = family == 4 ? AH4_LEN : AH6_LEN;
    const uint8_t *a = w + ip;

    assert_int_equal(n, ip + ah + inner_len);
    if (family == 4) {
        assert_int_equal(w[9], 51);
        assert_int_equal(get16(w + 2), n);
        assert_true(csum4_ok(w));
    } else {
        assert_int_equal(w[6], 51);
        assert_int_equal(get16(w + 4), n - 40);
    }
    assert_int_equal(a[0], family == 4 ? 4 : 41);
    assert_int_equal(a[1], ah / 4 - 2);
    assert_int_equal(get16(a + 2), 0);
    assert_int_equal(get32(a + 4), SPI);
    assert_int_equal(get32(a + 8), 1);
}

static size_t ah_at; /* where AH starts in the packet being edited */

static void ah_next_header(uint8_t *p)
{
    p[ah_at] ^= 1;
}

static void ah_reserved(uint8_t *p)
{
    p[ah_at + 3] = 1;
}

static void ah_icv(uint8_t *p)
{
    p[ah_at + 12] ^= 0x40;
}

static size_t last_byte; /* offset of the last byte of the packet being edited */

static void payload_end(uint8_t *p)
{
    p[last_byte] ^= 1;
}

/* Edits every packet must fail with, whatever the mode: AH fields and data. */
static void expect_ah_fields_covered(struct uipsec_sa *in, const uint8_t *w, size_t n, size_t ah)
{
    ah_at = ah;
    last_byte = n - 1;
    expect_auth(in, w, n, ah_next_header, "AH next header changed");
    expect_auth(in, w, n, ah_reserved, "AH reserved changed");
    expect_auth(in, w, n, ah_icv, "ICV changed");
    expect_auth(in, w, n, payload_end, "payload changed");
}

static void tunnel4(enum uipsec_backend be)
{
    struct pair p = pair_make(be, UIPSEC_MODE_TUNNEL, 4);
    uint8_t inner[MAX_PKT], w[MAX_PKT];
    size_t len = v4(inner, 100, 20), n = seal(p.out, inner, len, w);

    check_tunnel_layout(w, n, len, 4);
    expect_auth(p.in, w, n, v4_src, "outer source changed");
    expect_auth(p.in, w, n, v4_id, "outer identification changed");
    expect_ah_fields_covered(p.in, w, n, 20);
    expect_mutable(&p, inner, len, v4_mutable, COUNT(v4_mutable), true);
    open_ok(p.in, w, n, inner, len, "the packet as sent");
    rc_is(open_rc(p.in, w, n), UIPSEC_E_REPLAY, "the packet again");
    pair_free(&p);
}

static void tunnel6(enum uipsec_backend be)
{
    struct pair p = pair_make(be, UIPSEC_MODE_TUNNEL, 6);
    uint8_t inner[MAX_PKT], w[MAX_PKT];
    size_t len = v6(inner, 100, false), n = seal(p.out, inner, len, w);

    check_tunnel_layout(w, n, len, 6);
    expect_auth(p.in, w, n, v6_src, "outer source changed");
    expect_auth(p.in, w, n, v6_dst, "outer destination changed");
    expect_ah_fields_covered(p.in, w, n, 40);
    expect_mutable(&p, inner, len, v6_mutable, COUNT(v6_mutable), true);
    open_ok(p.in, w, n, inner, len, "the packet as sent");
    pair_free(&p);
}

static void tunnel_mutable_fields(void **state)
{
    (void)state;
    each_backend(tunnel4, "AH tunnel IPv4");
    each_backend(tunnel6, "AH tunnel IPv6");
}

/* ---- IPv4 transport with options ---- */

static void rr_recorded(uint8_t *p)
{
    static const uint8_t hop[4] = {203, 0, 113, 9};

    memcpy(p + OPT_RR + 3, hop, 4);
    p[OPT_RR + 2] = 8;
    csum4(p);
}

static void v4_transit(uint8_t *p)
{
    v4_routers(p);
    rr_recorded(p);
}

static const edit_fn v4_opts_mutable[] = {rr_recorded, v4_transit};

static void ra_changed(uint8_t *p)
{
    p[OPT_RA + 3] = 1;
    csum4(p);
}

static void ra_type_changed(uint8_t *p)
{
    p[OPT_RA] = 149; /* still an immutable option, and 4 bytes long */
    csum4(p);
}

/* The header with its options in front, then AH, then the payload. */
static void check_transport4_layout(const uint8_t *w, size_t n, const uint8_t *inner, size_t len)
{
    assert_int_equal(n, len + AH4_LEN);
    assert_int_equal(w[9], 51);
    assert_int_equal(get16(w + 2), n);
    assert_true(csum4_ok(w));
    assert_memory_equal(w, inner, 2);
    assert_memory_equal(w + 4, inner + 4, 5);
    assert_memory_equal(w + 12, inner + 12, OPT_IHL - 12);
    assert_int_equal(w[OPT_IHL], 17);
    assert_int_equal(w[OPT_IHL + 1], AH4_LEN / 4 - 2);
    assert_memory_equal(w + OPT_IHL + AH4_LEN, inner + OPT_IHL, len - OPT_IHL);
}

/* Decapsulation hands back the header as received, options included. */
static void transport4_opts(enum uipsec_backend be)
{
    struct pair p = pair_make(be, UIPSEC_MODE_TRANSPORT, 4);
    uint8_t inner[MAX_PKT], w[MAX_PKT];
    size_t len = v4_opts(inner, 100), n = seal(p.out, inner, len, w);

    check_transport4_layout(w, n, inner, len);
    expect_auth(p.in, w, n, ra_changed, "router alert value changed");
    expect_auth(p.in, w, n, ra_type_changed, "router alert type changed");
    expect_auth(p.in, w, n, v4_src, "source changed");
    expect_ah_fields_covered(p.in, w, n, OPT_IHL);
    expect_mutable(&p, inner, len, v4_opts_mutable, COUNT(v4_opts_mutable), false);
    expect_mutable(&p, inner, len, v4_mutable, COUNT(v4_mutable), false);
    open_ok(p.in, w, n, inner, len, "the packet as sent");
    pair_free(&p);
}

static void transport4_plain(enum uipsec_backend be)
{
    struct pair p = pair_make(be, UIPSEC_MODE_TRANSPORT, 4);
    uint8_t inner[MAX_PKT], w[MAX_PKT];
    size_t len = v4(inner, 80, 20), n = seal(p.out, inner, len, w);

    assert_int_equal(n, len + AH4_LEN);
    assert_int_equal(w[9], 51);
    assert_int_equal(w[20], 17);
    expect_auth(p.in, w, n, v4_src, "source changed");
    expect_ah_fields_covered(p.in, w, n, 20);
    expect_mutable(&p, inner, len, v4_mutable, COUNT(v4_mutable), false);
    open_ok(p.in, w, n, inner, len, "the packet as sent");
    pair_free(&p);
}

static void transport4_options(void **state)
{
    (void)state;
    each_backend(transport4_opts, "AH transport IPv4 options");
    each_backend(transport4_plain, "AH transport IPv4");
}

/* ---- IPv6 transport with a hop-by-hop header ---- */

static void hbh_mutable_data(uint8_t *p)
{
    p[HBH_MUTABLE] ^= 0xff;
    p[HBH_MUTABLE + 3] = 0;
}

static void hbh_fixed_data(uint8_t *p)
{
    p[HBH_FIXED] ^= 1;
}

static void v6_transit(uint8_t *p)
{
    v6_routers(p);
    hbh_mutable_data(p);
}

static const edit_fn hbh_mutable[] = {hbh_mutable_data, v6_transit};

/* RFC 4302 3.1.1: AH after hop-by-hop, which now names AH. */
static void check_transport6_layout(const uint8_t *w, size_t n, const uint8_t *inner, size_t len)
{
    const uint8_t *a = w + 40 + HBH_LEN;

    assert_int_equal(n, len + AH6_LEN);
    assert_memory_equal(w, inner, 4);
    assert_int_equal(get16(w + 4), n - 40);
    assert_memory_equal(w + 6, inner + 6, 34);
    assert_int_equal(w[40], 51);
    assert_memory_equal(w + 41, inner + 41, HBH_LEN - 1);
    assert_int_equal(a[0], 17);
    assert_int_equal(a[1], AH6_LEN / 4 - 2);
    assert_int_equal(get32(a + 4), SPI);
    assert_int_equal(get32(a + 8), 1);
    assert_memory_equal(a + AH6_LEN, inner + 40 + HBH_LEN, len - 40 - HBH_LEN);
}

static void transport6_hbh(enum uipsec_backend be)
{
    struct pair p = pair_make(be, UIPSEC_MODE_TRANSPORT, 6);
    uint8_t inner[MAX_PKT], w[MAX_PKT];
    size_t len = v6(inner, 120, true), n = seal(p.out, inner, len, w);

    check_transport6_layout(w, n, inner, len);
    expect_auth(p.in, w, n, hbh_fixed_data, "data of option 0x1e changed");
    expect_auth(p.in, w, n, v6_src, "source changed");
    expect_auth(p.in, w, n, v6_dst, "destination changed");
    expect_ah_fields_covered(p.in, w, n, 40 + HBH_LEN);
    expect_mutable(&p, inner, len, hbh_mutable, COUNT(hbh_mutable), false);
    expect_mutable(&p, inner, len, v6_mutable, COUNT(v6_mutable), false);
    open_ok(p.in, w, n, inner, len, "the packet as sent");
    pair_free(&p);
}

static void transport6_plain(enum uipsec_backend be)
{
    struct pair p = pair_make(be, UIPSEC_MODE_TRANSPORT, 6);
    uint8_t inner[MAX_PKT], w[MAX_PKT];
    size_t len = v6(inner, 90, false), n = seal(p.out, inner, len, w);

    assert_int_equal(n, len + AH6_LEN);
    assert_int_equal(w[6], 51);
    assert_int_equal(w[40], 17);
    expect_auth(p.in, w, n, v6_src, "source changed");
    expect_ah_fields_covered(p.in, w, n, 40);
    expect_mutable(&p, inner, len, v6_mutable, COUNT(v6_mutable), false);
    open_ok(p.in, w, n, inner, len, "the packet as sent");
    pair_free(&p);
}

static void transport6_hop_by_hop(void **state)
{
    (void)state;
    each_backend(transport6_hbh, "AH transport IPv6 hop-by-hop");
    each_backend(transport6_plain, "AH transport IPv6");
}

/* ---- AH length per integrity algorithm and family (RFC 4302 2.2) ---- */

struct ah_size {
    enum uipsec_integ integ;
    uint8_t key_len;
    uint8_t family;
    size_t ah_len;
};

static const struct ah_size ah_sizes[] = {
    {UIPSEC_INTEG_HMAC_SHA256_128, 32, 4, 28}, {UIPSEC_INTEG_HMAC_SHA256_128, 32, 6, 32},
    {UIPSEC_INTEG_HMAC_SHA384_192, 48, 4, 36}, {UIPSEC_INTEG_HMAC_SHA384_192, 48, 6, 40},
    {UIPSEC_INTEG_HMAC_SHA512_256, 64, 4, 44}, {UIPSEC_INTEG_HMAC_SHA512_256, 64, 6, 48},
};

static void ah_size_one(enum uipsec_backend be, const struct ah_size *c, enum uipsec_mode mode)
{
    struct uipsec_sa_params po = params(be, UIPSEC_DIR_OUT, mode, c->family);
    struct uipsec_sa_params pi = params(be, UIPSEC_DIR_IN, mode, c->family);
    uint8_t inner[MAX_PKT], w[MAX_PKT];
    size_t ip = c->family == 4 ? 20 : 40, tunnel = mode == UIPSEC_MODE_TUNNEL ? ip : 0;
    size_t len = c->family == 4 ? v4(inner, 64, 20) : v6(inner, 64, false), n;
    struct pair p;

    po.integ = pi.integ = c->integ;
    po.auth_key_len = pi.auth_key_len = c->key_len;
    p = (struct pair){sa_make(&po), sa_make(&pi)};
    n = seal(p.out, inner, len, w);
    assert_int_equal(n, tunnel + c->ah_len + len);
    assert_int_equal(w[ip + 1], c->ah_len / 4 - 2);
    open_ok(p.in, w, n, inner, len, "AH length");
    pair_free(&p);
}

static void ah_sizes_one(enum uipsec_backend be)
{
    for (size_t i = 0; i < COUNT(ah_sizes); i++) {
        ah_size_one(be, &ah_sizes[i], UIPSEC_MODE_TRANSPORT);
        ah_size_one(be, &ah_sizes[i], UIPSEC_MODE_TUNNEL);
    }
}

static void ah_length_is_aligned(void **state)
{
    (void)state;
    each_backend(ah_sizes_one, "AH lengths");
}

/* ---- malformed options in received packets ---- */

static void rr_past_by_one(uint8_t *p)
{
    p[OPT_RR + 1] = OPT_IHL - OPT_RR + 1;
    csum4(p);
}

static void rr_past_far(uint8_t *p)
{
    p[OPT_RR + 1] = 40;
    csum4(p);
}

static void rr_len_one(uint8_t *p)
{
    p[OPT_RR + 1] = 1;
    csum4(p);
}

static void rr_len_zero(uint8_t *p)
{
    p[OPT_RR + 1] = 0;
    csum4(p);
}

/* The last header byte is an option type with no room for its length. */
static void type_at_end(uint8_t *p)
{
    memset(p + OPT_RR, 1, OPT_IHL - OPT_RR);
    p[OPT_IHL - 1] = 7;
    csum4(p);
}

static void hbh_len_past(uint8_t *p)
{
    p[HBH_MUTABLE - 1] = 20;
}

static const edit_fn bad_v4_options[] = {rr_past_by_one, rr_past_far, rr_len_one, rr_len_zero,
                                         type_at_end};

static void malformed4(enum uipsec_backend be)
{
    struct pair p = pair_make(be, UIPSEC_MODE_TRANSPORT, 4);
    uint8_t inner[MAX_PKT], w[MAX_PKT];
    size_t len = v4_opts(inner, 100), n = seal(p.out, inner, len, w);

    for (size_t i = 0; i < COUNT(bad_v4_options); i++) {
        at("%s: IPv4 option case %zu", uipsec_backend_name(be), i);
        rc_is(open_edited(p.in, w, n, bad_v4_options[i], NULL, NULL), UIPSEC_E_MALFORMED,
              "malformed option");
    }
    open_ok(p.in, w, n, inner, len, "the packet as sent");
    pair_free(&p);
}

static void malformed6(enum uipsec_backend be)
{
    struct pair p = pair_make(be, UIPSEC_MODE_TRANSPORT, 6);
    uint8_t inner[MAX_PKT], w[MAX_PKT];
    size_t len = v6(inner, 100, true), n = seal(p.out, inner, len, w);

    rc_is(open_edited(p.in, w, n, hbh_len_past, NULL, NULL), UIPSEC_E_MALFORMED,
          "hop-by-hop option past its header");
    open_ok(p.in, w, n, inner, len, "the packet as sent");
    pair_free(&p);
}

static void malformed_options(void **state)
{
    (void)state;
    each_backend(malformed4, "AH malformed IPv4 options");
    each_backend(malformed6, "AH malformed IPv6 options");
}

/* ---- the ICV against one computed here ---- */

static void hmac16(const uint8_t *data, size_t n, uint8_t *icv)
{
    uint8_t key[32], md[32];
    unsigned md_len = 0;

    fill(key, sizeof key, 0x60);
    assert_non_null(HMAC(EVP_sha256(), key, sizeof key, data, n, md, &md_len));
    memcpy(icv, md, 16);
}

static void write_ah(uint8_t *a, size_t len, uint32_t seq)
{
    memset(a, 0, len);
    a[0] = 17;
    a[1] = (uint8_t)(len / 4 - 2);
    put32(a + 4, SPI);
    put32(a + 8, seq);
}

/* IPv4 with options | AH | payload, ICV over the packet with TOS, flags and
 * offset, TTL, checksum and the record route option zeroed (RFC 4302
 * 3.3.3.1.1, A.1), then changed the way routers change it. */
static size_t hand_ah4(uint8_t *w, size_t payload)
{
    size_t n = OPT_IHL + AH4_LEN + payload;
    uint8_t z[MAX_PKT];

    v4_opts(w, n);
    w[9] = 51;
    write_ah(w + OPT_IHL, AH4_LEN, 1);
    fill(w + OPT_IHL + AH4_LEN, payload, 0x31);
    memcpy(z, w, n);
    z[1] = z[8] = 0;
    put32(z + 8, 0), put16(z + 6, 0);
    z[9] = 51;
    memset(z + OPT_RR, 0, OPT_RR_LEN);
    hmac16(z, n, w + OPT_IHL + 12);
    v4_transit(w);
    return n;
}

/* IPv6 | AH with ICV padding `pad` | payload, ICV as RFC 4302 3.4.4 says:
 * mutable fields and the ICV zeroed, "but not any ICV field padding". */
static size_t hand_ah6(uint8_t *w, uint8_t pad, size_t payload)
{
    size_t n = 40 + AH6_LEN + payload;
    uint8_t z[MAX_PKT];

    v6(w, n, false);
    w[6] = 51;
    write_ah(w + 40, AH6_LEN, 1);
    memset(w + 40 + 28, pad, 4);
    fill(w + 40 + AH6_LEN, payload, 0x41);
    memcpy(z, w, n);
    z[0] &= 0xf0;
    z[1] = z[2] = z[3] = z[7] = 0;
    hmac16(z, n, w + 40 + 12);
    return n;
}

static void hand4(enum uipsec_backend be)
{
    struct pair p = pair_make(be, UIPSEC_MODE_TRANSPORT, 4);
    uint8_t w[MAX_PKT], want[MAX_PKT];
    size_t n = hand_ah4(w, 60), len = v4_opts(want, OPT_IHL + 60);

    v4_transit(want);
    open_ok(p.in, w, n, want, len, "ICV computed by the test");
    pair_free(&p);
}

static void icv_matches_rfc4302(void **state)
{
    (void)state;
    each_backend(hand4, "AH hand-built IPv4");
}

static void pad_byte(uint8_t *p)
{
    p[40 + 30] ^= 0x10;
}

/*
 * KNOWN ENGINE BUG (fails until fixed): ah.c uipsec_ah_decap zeroes the
 * whole ICV field, padding included, before computing the ICV.  RFC 4302
 * 3.4.4 zeroes the ICV "but not any ICV field padding": the padding, whose
 * content the sender chooses (3.3.3.2.1), is covered.  So a packet whose
 * padding was changed in transit verifies, and a sender that pads with
 * non-zero bytes (allowed) is rejected.  Only IPv6 with HMAC-SHA-256-128 or
 * -384-192 has padding (4 bytes).
 */
static void padding6(enum uipsec_backend be)
{
    struct pair p = pair_make(be, UIPSEC_MODE_TRANSPORT, 6);
    uint8_t inner[MAX_PKT], w[MAX_PKT];
    size_t len = v6(inner, 90, false), n = seal(p.out, inner, len, w);

    expect_auth(p.in, w, n, pad_byte, "ICV padding changed");
    n = hand_ah6(w, 0xa5, 40);
    len = v6(inner, 80, false);
    open_ok(p.in, w, n, inner, len, "padding 0xa5 from the sender");
    pair_free(&p);
}

static void icv_padding_is_covered(void **state)
{
    (void)state;
    each_backend(padding6, "AH IPv6 ICV padding");
}

/* ---- sending a packet with malformed options ---- */

/*
 * KNOWN ENGINE BUG (fails until fixed): a packet that cannot be protected
 * must leave its buffer as it was and use no sequence number, as ESP does
 * (esp_out.c check_room), and a bad packet to send is UIPSEC_E_INNER.
 * ah.c uipsec_ah_encap parses the IPv4 options only in ah_icv, after it has
 * taken a sequence number (uipsec_sa_next_seq), moved the header into the
 * headroom and written AH over the packet's own first bytes; it then returns
 * UIPSEC_E_MALFORMED with the caller's packet overwritten and the next
 * packet sent as seq 2.  The same happens for a header region over
 * AH_MAX_IP_HDR (512) bytes.
 */
static void encap_bad_options(enum uipsec_backend be)
{
    struct pair p = pair_make(be, UIPSEC_MODE_TRANSPORT, 4);
    uint8_t inner[MAX_PKT], mem[512], copy[512], w[MAX_PKT];
    size_t len = v4_opts(inner, 100), ok, n;
    struct uipsec_buf b = {mem, sizeof mem, UIPSEC_HEADROOM, (uint32_t)len, -1};

    fill(mem, sizeof mem, 0x5a);
    memcpy(mem + UIPSEC_HEADROOM, inner, len);
    rr_past_far(mem + UIPSEC_HEADROOM);
    memcpy(copy, mem, sizeof mem);
    ok = uipsec_encap(p.out, &b, 1);
    assert_int_equal(ok, 0);
    rc_is(b.result, UIPSEC_E_INNER, "options past the header");
    assert_memory_equal(mem, copy, sizeof mem);
    assert_int_equal(b.off, UIPSEC_HEADROOM);
    n = seal(p.out, inner, len, w);
    assert_int_equal(get32(w + OPT_IHL + 8), 1);
    open_ok(p.in, w, n, inner, len, "next packet");
    pair_free(&p);
}

static void encap_malformed_options(void **state)
{
    (void)state;
    each_backend(encap_bad_options, "AH encap malformed IPv4 options");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tunnel_mutable_fields),  cmocka_unit_test(transport4_options),
        cmocka_unit_test(transport6_hop_by_hop),  cmocka_unit_test(ah_length_is_aligned),
        cmocka_unit_test(malformed_options),      cmocka_unit_test(icv_matches_rfc4302),
        cmocka_unit_test(icv_padding_is_covered), cmocka_unit_test(encap_malformed_options),
    };

    if (!uipsec_backend_available(UIPSEC_BACKEND_IPSECMB))
        print_message("intel-ipsec-mb not available: OpenSSL backend only\n");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
