/* SPDX-License-Identifier: MIT */
/*
 * The inbound SAD (RFC 4301 4.4.2): add, find and remove with many SAs and
 * with keys aimed at one slot, and uipsec_sad_peek on every kind of received
 * packet (ESP, AH, ESP-in-UDP, NAT-keepalive, non-ESP marker, IPv4 and IPv6)
 * and on every truncation of them, each in a heap buffer of exactly its
 * size.  Last, the whole inbound path of RFC 4301 5.2: peek, find, decap,
 * and the check of the inner packet against the SA's policy.
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

#include "sa.h"
#include "uipsec/sad.h"
#include "uipsec/spd.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define ESP      UIPSEC_PROTO_ESP
#define AH       UIPSEC_PROTO_AH
#define SPI      0x11223344u

/* The SAD reads only an SA's SPI, protocol and direction: most tests use
 * SAs with just those set, so that they can hold tens of thousands. */
static struct uipsec_sa *fake_sa(uint32_t spi, enum uipsec_proto proto, enum uipsec_dir dir)
{
    struct uipsec_sa *sa = calloc(1, sizeof(*sa));

    assert_non_null(sa);
    sa->p.spi = spi;
    sa->p.proto = proto;
    sa->p.dir = dir;
    return sa;
}

static void expect_found(const struct uipsec_sad *sad, struct uipsec_sa *sa, void *ctx)
{
    void *got_ctx = NULL;
    struct uipsec_sa *got = uipsec_sad_find(sad, sa->p.spi, sa->p.proto, &got_ctx);

    if (got != sa || got_ctx != ctx)
        fail_msg("SPI %08x proto %d: found %p/%p, want %p/%p", sa->p.spi, sa->p.proto, (void *)got,
                 got_ctx, (void *)sa, ctx);
}

static void expect_missing(const struct uipsec_sad *sad, uint32_t spi, enum uipsec_proto proto)
{
    void *ctx = (void *)1;

    if (uipsec_sad_find(sad, spi, proto, &ctx) != NULL || ctx != NULL)
        fail_msg("SPI %08x proto %d: found, should be gone", spi, proto);
}

static void many_sas(void **state)
{
    enum { N = 40000 };
    static struct uipsec_sa *sa[N];
    struct uipsec_sad *sad = uipsec_sad_new();
    uint32_t x = 0x9e3779b9;

    (void)state;
    for (size_t i = 0; i < N; i++) { /* half in sequence (ESP), half random (AH) */
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        sa[i] = i % 2 ? fake_sa(x | 0x100, AH, UIPSEC_DIR_IN)
                      : fake_sa(0x1000 + (uint32_t)i, ESP, UIPSEC_DIR_IN);
        assert_int_equal(uipsec_sad_add(sad, sa[i], &sa[i]), UIPSEC_OK);
    }
    assert_int_equal(uipsec_sad_count(sad), N);
    for (size_t i = 0; i < N; i++)
        expect_found(sad, sa[i], &sa[i]);
    expect_missing(sad, 0x1000 + N, ESP);
    expect_missing(sad, 0x1000, AH);
    for (size_t i = 0; i < N; i += 3)
        assert_int_equal(uipsec_sad_remove(sad, sa[i]->p.spi, sa[i]->p.proto), UIPSEC_OK);
    for (size_t i = 0; i < N; i++)
        if (i % 3)
            expect_found(sad, sa[i], &sa[i]);
        else
            expect_missing(sad, sa[i]->p.spi, sa[i]->p.proto);
    for (size_t i = 0; i < N; i += 3)
        assert_int_equal(uipsec_sad_add(sad, sa[i], NULL), UIPSEC_OK);
    for (size_t i = 0; i < N; i++) {
        expect_found(sad, sa[i], i % 3 ? (void *)&sa[i] : NULL);
        assert_int_equal(uipsec_sad_remove(sad, sa[i]->p.spi, sa[i]->p.proto), UIPSEC_OK);
    }
    assert_int_equal(uipsec_sad_count(sad), 0);
    expect_missing(sad, sa[0]->p.spi, sa[0]->p.proto);
    for (size_t i = 0; i < N; i++)
        free(sa[i]);
    uipsec_sad_free(sad);
}

/* The slot a key starts from in a table of 64 (the SAD's starting size),
 * copied from sad.c to aim keys at one slot.  Were the hash to change, the
 * test would still pass, only aiming less well. */
static size_t home64(uint32_t spi, enum uipsec_proto proto)
{
    uint64_t h = ((uint64_t)proto << 32 | spi) * 0x9e3779b97f4a7c15ull;

    return (size_t)(h >> 32) & 63;
}

/* Keys whose home is `home`, starting the search at spi. */
static size_t aim(uint32_t spi, enum uipsec_proto proto, size_t home, uint32_t *out, size_t n)
{
    size_t k = 0;

    for (; k < n; spi++)
        if (home64(spi, proto) == home)
            out[k++] = spi;
    return k;
}

/* Clusters that overlap and wrap past the last slot; every removal order
 * must leave every other key reachable (backward-shift deletion). */
static void collisions(void **state)
{
    uint32_t spis[24];
    struct uipsec_sa *sa[24];
    static const size_t order[][24] = {
        {0, 5, 10, 15, 20, 1, 6, 11, 16, 21, 2, 7, 12, 17, 22, 3, 8, 13, 18, 23, 4, 9, 14, 19},
        {23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
    };

    (void)state;
    aim(0x100, ESP, 62, spis, 8);    /* wraps to slots 0..5 */
    aim(0x100, ESP, 1, spis + 8, 8); /* lands inside that run */
    aim(0x100, AH, 62, spis + 16, 8);
    for (size_t o = 0; o < COUNT(order); o++) {
        struct uipsec_sad *sad = uipsec_sad_new();

        for (size_t i = 0; i < 24; i++) {
            sa[i] = fake_sa(spis[i], i < 16 ? ESP : AH, UIPSEC_DIR_IN);
            assert_int_equal(uipsec_sad_add(sad, sa[i], sa[i]), UIPSEC_OK);
        }
        for (size_t r = 0; r < 24; r++) {
            size_t gone = order[o][r];

            assert_int_equal(uipsec_sad_remove(sad, spis[gone], sa[gone]->p.proto), UIPSEC_OK);
            expect_missing(sad, spis[gone], sa[gone]->p.proto);
            for (size_t k = r + 1; k < 24; k++)
                expect_found(sad, sa[order[o][k]], sa[order[o][k]]);
        }
        assert_int_equal(uipsec_sad_count(sad), 0);
        for (size_t i = 0; i < 24; i++)
            free(sa[i]);
        uipsec_sad_free(sad);
    }
}

static void add_errors(void **state)
{
    struct uipsec_sad *sad = uipsec_sad_new();
    struct uipsec_sa *esp = fake_sa(SPI, ESP, UIPSEC_DIR_IN), *ah = fake_sa(SPI, AH, UIPSEC_DIR_IN);
    struct uipsec_sa *twin = fake_sa(SPI, ESP, UIPSEC_DIR_IN);
    struct uipsec_sa *out = fake_sa(SPI + 1, ESP, UIPSEC_DIR_OUT);

    (void)state;
    assert_int_equal(uipsec_sad_add(sad, esp, NULL), UIPSEC_OK);
    assert_int_equal(uipsec_sad_add(sad, ah, NULL), UIPSEC_OK); /* AH SPIs are apart */
    assert_int_equal(uipsec_sad_add(sad, twin, NULL), UIPSEC_E_PARAM);
    assert_int_equal(uipsec_sad_add(sad, out, NULL), UIPSEC_E_DIRECTION);
    assert_ptr_equal(uipsec_sad_find(sad, SPI, ESP, NULL), esp);
    assert_ptr_equal(uipsec_sad_find(sad, SPI, AH, NULL), ah);
    assert_int_equal(uipsec_sad_remove(sad, SPI + 1, ESP), UIPSEC_E_PARAM);
    assert_int_equal(uipsec_sad_remove(sad, SPI, ESP), UIPSEC_OK);
    assert_int_equal(uipsec_sad_remove(sad, SPI, ESP), UIPSEC_E_PARAM);
    assert_ptr_equal(uipsec_sad_find(sad, SPI, AH, NULL), ah);
    assert_int_equal(uipsec_sad_count(sad), 1);
    free(esp), free(ah), free(twin), free(out);
    uipsec_sad_free(sad);
    uipsec_sad_free(NULL);
}

/* ---- uipsec_sad_peek ---- */

enum kind { K_ESP, K_AH, K_UDP_ESP, K_KEEPALIVE, K_NON_ESP, K_TCP };

struct peek_case {
    const char *what;
    uint8_t family;
    enum kind kind;
    bool udp;  /* the flag uipsec_sad_peek gets */
    bool ext;  /* IPv6: a hop-by-hop options header first */
    bool frag; /* a fragment */
    int want;
    enum uipsec_proto proto;
};

static const struct peek_case peeks[] = {
    {"IPv4 ESP", 4, K_ESP, false, false, false, UIPSEC_OK, ESP},
    {"IPv6 ESP", 6, K_ESP, false, false, false, UIPSEC_OK, ESP},
    {"IPv6 hop-by-hop, ESP", 6, K_ESP, false, true, false, UIPSEC_OK, ESP},
    {"IPv4 AH", 4, K_AH, false, false, false, UIPSEC_OK, AH},
    {"IPv6 AH", 6, K_AH, false, true, false, UIPSEC_OK, AH},
    {"IPv4 ESP in UDP", 4, K_UDP_ESP, true, false, false, UIPSEC_OK, ESP},
    {"IPv6 ESP in UDP", 6, K_UDP_ESP, true, false, false, UIPSEC_OK, ESP},
    {"IPv4 NAT-keepalive", 4, K_KEEPALIVE, true, false, false, UIPSEC_E_KEEPALIVE, ESP},
    {"IPv6 NAT-keepalive", 6, K_KEEPALIVE, true, false, false, UIPSEC_E_KEEPALIVE, ESP},
    {"IPv4 IKE behind the non-ESP marker", 4, K_NON_ESP, true, false, false, UIPSEC_E_NON_ESP, ESP},
    {"IPv6 IKE behind the non-ESP marker", 6, K_NON_ESP, true, false, false, UIPSEC_E_NON_ESP, ESP},
    {"ESP in UDP, UDP not expected", 4, K_UDP_ESP, false, false, false, UIPSEC_E_PROTOCOL, ESP},
    {"ESP, UDP expected", 4, K_ESP, true, false, false, UIPSEC_E_PROTOCOL, ESP},
    {"AH, UDP expected", 6, K_AH, true, false, false, UIPSEC_E_PROTOCOL, AH},
    {"TCP", 4, K_TCP, false, false, false, UIPSEC_E_PROTOCOL, ESP},
    {"IPv4 fragment", 4, K_ESP, false, false, true, UIPSEC_E_FRAGMENT, ESP},
    {"IPv6 fragment", 6, K_ESP, false, true, true, UIPSEC_E_FRAGMENT, ESP},
};

/* The transport part; returns its length and sets the protocol and where
 * the SPI ends, counted from its start (0: no SPI). */
static size_t make_payload(enum kind kind, uint8_t *l, uint8_t *proto, size_t *spi_end)
{
    *spi_end = 0;
    switch (kind) {
    case K_ESP:
        put32(l, SPI), put32(l + 4, 1), *proto = 50, *spi_end = 4;
        return 24;
    case K_AH: /* 12 fixed bytes and a 12-byte ICV: length 24 / 4 - 2 */
        l[0] = 4, l[1] = 4, put32(l + 4, SPI), put32(l + 8, 1), *proto = 51, *spi_end = 8;
        return 24;
    case K_UDP_ESP:
        put16(l, 4500), put16(l + 2, 4500), put16(l + 4, 32), put32(l + 8, SPI);
        *proto = 17, *spi_end = 12;
        return 32;
    case K_KEEPALIVE:
        put16(l, 4500), put16(l + 2, 4500), put16(l + 4, 9), l[8] = 0xff, *proto = 17;
        return 9;
    case K_NON_ESP:
        put16(l, 4500), put16(l + 2, 4500), put16(l + 4, 36), l[12] = 0x55, *proto = 17;
        return 36;
    case K_TCP:
        put16(l, 1234), put16(l + 2, 80), *proto = 6;
        return 20;
    }
    return 0;
}

/* Writes the packet into b (zeroed, 256 bytes); returns its length. */
static size_t make_outer(const struct peek_case *c, uint8_t *b, size_t *spi_end)
{
    size_t ip = c->family == 4 ? 20 : 40 + (c->ext ? 8 : 0) + (c->frag ? 8 : 0), n;
    uint8_t proto = 0, *nh = b + 6;

    memset(b, 0, 256);
    n = make_payload(c->kind, b + ip, &proto, spi_end);
    if (*spi_end)
        *spi_end += ip;
    if (c->family == 4) {
        b[0] = 0x45, b[8] = 64, b[9] = proto;
        put16(b + 2, ip + n);
        put16(b + 6, c->frag ? 0x2000 : 0);
        return ip + n;
    }
    b[0] = 0x60, b[7] = 64;
    put16(b + 4, ip - 40 + n);
    if (c->ext)
        *nh = 0, nh = b + 40;
    if (c->frag)
        *nh = 44, nh = b + ip - 8, put16(nh + 2, 1); /* offset 0, more fragments */
    *nh = proto;
    return ip + n;
}

static int peek_exact(const uint8_t *b, size_t len, bool udp, uint32_t *spi,
                      enum uipsec_proto *proto)
{
    uint8_t *copy = malloc(len ? len : 1);
    int rc;

    assert_non_null(copy);
    memcpy(copy, b, len);
    rc = uipsec_sad_peek(copy, len, udp, spi, proto);
    free(copy);
    return rc;
}

static void peek_kinds(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(peeks); i++) {
        const struct peek_case *c = &peeks[i];
        uint8_t b[256];
        size_t spi_end, len = make_outer(c, b, &spi_end);
        uint32_t spi = 0;
        enum uipsec_proto proto = 0;
        int rc = peek_exact(b, len, c->udp, &spi, &proto);

        if (rc != c->want)
            fail_msg("%s: %s, want %s", c->what, uipsec_result_name(rc),
                     uipsec_result_name(c->want));
        if (rc == UIPSEC_OK && (spi != SPI || proto != c->proto))
            fail_msg("%s: SPI %08x proto %d", c->what, spi, proto);
    }
}

static void peek_malformed(void **state)
{
    static const struct {
        const char *what;
        uint8_t b[48];
        size_t len;
        int want;
    } t[] = {
        {"IP version 5", {0x55, 0, 0, 28, [9] = 50}, 28, UIPSEC_E_MALFORMED},
        {"IPv4 header length 16", {0x44, 0, 0, 28, [9] = 50}, 28, UIPSEC_E_MALFORMED},
        {"IPv4 total below its header", {0x46, 0, 0, 20, [9] = 50}, 28, UIPSEC_E_MALFORMED},
        {"IPv6 jumbogram", {0x60, 0, 0, 0, 0, 0, 50}, 48, UIPSEC_E_MALFORMED},
        {"UDP length below 8", {0x45, 0, 0, 32, [9] = 17, [25] = 7}, 32, UIPSEC_E_TRUNCATED},
        {"UDP length past the packet",
         {0x45, 0, 0, 32, [9] = 17, [25] = 13},
         32,
         UIPSEC_E_TRUNCATED},
        {"empty", {0}, 0, UIPSEC_E_TRUNCATED},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(t); i++) {
        uint32_t spi;
        enum uipsec_proto proto;
        int rc = peek_exact(t[i].b, t[i].len, t[i].b[9] == 17, &spi, &proto);

        if (rc != t[i].want)
            fail_msg("%s: %s, want %s", t[i].what, uipsec_result_name(rc),
                     uipsec_result_name(t[i].want));
    }
}

/* Sets the IP (and UDP) length fields as if the packet ended at len. */
static void shorten(uint8_t *b, size_t len, const struct peek_case *c)
{
    size_t ip = c->family == 4 ? 20 : 40 + (c->ext ? 8 : 0);

    if (c->family == 4 && len >= 20)
        put16(b + 2, len);
    if (c->family == 6 && len >= 40)
        put16(b + 4, len - 40);
    if (c->kind == K_UDP_ESP && len >= ip + 8)
        put16(b + ip + 4, len - ip);
}

/* Every shorter packet: cut off (lengths say more) it is truncated; with
 * its lengths fixed, it is truncated until the SPI fits, then readable. */
static void peek_truncated(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(peeks); i++) {
        const struct peek_case *c = &peeks[i];
        uint8_t b[256], s[256];
        size_t spi_end, len = make_outer(c, b, &spi_end);

        if (c->want != UIPSEC_OK)
            continue;
        for (size_t cut = 0; cut < len; cut++) {
            uint32_t spi;
            enum uipsec_proto proto;
            int rc = peek_exact(b, cut, c->udp, &spi, &proto), want;

            if (rc != UIPSEC_E_TRUNCATED)
                fail_msg("%s cut to %zu: %s", c->what, cut, uipsec_result_name(rc));
            memcpy(s, b, len);
            shorten(s, cut, c);
            rc = peek_exact(s, cut, c->udp, &spi, &proto);
            want = cut >= spi_end ? UIPSEC_OK : UIPSEC_E_TRUNCATED;
            if (c->family == 6 && cut == 40)
                want = UIPSEC_E_MALFORMED; /* payload length 0: a jumbogram */
            if (rc != want)
                fail_msg("%s ending at %zu: %s, want %s", c->what, cut, uipsec_result_name(rc),
                         uipsec_result_name(want));
        }
    }
}

/* ---- the inbound path of RFC 4301 5.2 ---- */

static struct uipsec_sa *real_sa(enum uipsec_dir dir)
{
    struct uipsec_sa_params p = {.spi = SPI, .dir = dir, .proto = ESP, .replay_window = 64};
    struct uipsec_sa *sa;
    size_t ek, salt, ak;

    assert_int_equal(uipsec_suite_parse("aes128gcm16", ESP, &p), UIPSEC_OK);
    uipsec_suite_key_sizes(&p, &ek, &salt, &ak);
    memset(p.enc_key, 0x11, ek);
    memset(p.salt, 0x22, salt);
    p.tunnel_src = (struct uipsec_addr){4, {192, 0, 2, 1}};
    p.tunnel_dst = (struct uipsec_addr){4, {192, 0, 2, 2}};
    assert_int_equal(uipsec_sa_new(&p, &sa), UIPSEC_OK);
    return sa;
}

static const struct uipsec_policy *inbound_policy(struct uipsec_spd *spd, struct uipsec_sa *sa)
{
    struct uipsec_policy_params p = {
        .dir = UIPSEC_DIR_IN, .priority = 1, .action = UIPSEC_POLICY_PROTECT, .sa = sa};
    uint64_t id;

    assert_int_equal(uipsec_selector_parse(&p.sel, "10.1.0.0/16", "10.2.0.0/16", NULL, 0), 0);
    assert_int_equal(uipsec_spd_add(spd, &p, &id), UIPSEC_OK);
    assert_int_equal(uipsec_spd_commit(spd), UIPSEC_OK);
    return uipsec_spd_get(spd, id);
}

/* A peer protects two packets with our SA; the second comes from outside
 * the SA's selector (RFC 4301 5.2 step 4) and must be dropped. */
static void inbound_path(void **state)
{
    struct uipsec_sa *out = real_sa(UIPSEC_DIR_OUT), *in = real_sa(UIPSEC_DIR_IN);
    struct uipsec_sad *sad = uipsec_sad_new();
    struct uipsec_spd *spd = uipsec_spd_new();
    const struct uipsec_policy *pol = inbound_policy(spd, in);
    struct uipsec_spd_stats st;

    (void)state;
    assert_int_equal(uipsec_sad_add(sad, in, (void *)(uintptr_t)pol), UIPSEC_OK);
    for (int k = 0; k < 2; k++) {
        uint8_t mem[UIPSEC_HEADROOM + 40 + UIPSEC_TAILROOM] = {0}, *ip = mem + UIPSEC_HEADROOM;
        struct uipsec_buf b = {mem, sizeof(mem), UIPSEC_HEADROOM, 40, 0};
        enum uipsec_proto proto;
        uint32_t spi;
        void *ctx;

        ip[0] = 0x45, ip[3] = 40, ip[8] = 64, ip[9] = 6;
        memcpy(ip + 12, k == 0 ? "\x0a\x02\x00\x01" : "\x0a\x03\x00\x01", 4);
        memcpy(ip + 16, "\x0a\x01\x00\x01", 4);
        assert_int_equal(uipsec_encap(out, &b, 1), 1);
        assert_int_equal(uipsec_sad_peek(mem + b.off, b.len, false, &spi, &proto), UIPSEC_OK);
        assert_ptr_equal(uipsec_sad_find(sad, spi, proto, &ctx), in);
        assert_ptr_equal(ctx, pol);
        assert_int_equal(uipsec_decap(in, &b, 1), 1);
        assert_int_equal(uipsec_spd_check_inbound(spd, ctx, mem + b.off, b.len), k == 0);
    }
    uipsec_spd_get_stats(spd, &st);
    assert_int_equal(st.drops[UIPSEC_SPD_DROP_SELECTOR_MISMATCH], 1);
    uipsec_spd_free(spd);
    uipsec_sad_free(sad);
    uipsec_sa_free(out);
    uipsec_sa_free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(many_sas),       cmocka_unit_test(collisions),
        cmocka_unit_test(add_errors),     cmocka_unit_test(peek_kinds),
        cmocka_unit_test(peek_malformed), cmocka_unit_test(peek_truncated),
        cmocka_unit_test(inbound_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
