/* SPDX-License-Identifier: MIT */
/*
 * Round trips for every suite x mode x address family x ESN x UDP
 * encapsulation x size (0 to 9000 bytes of payload), on both backends:
 * what one SA protects, its peer SA gives back byte for byte, and the
 * protected packet has the shape the RFCs give it.
 */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "uipsec/uipsec.h"

static const struct {
    const char *keyword;
    enum uipsec_proto proto;
} suites[] = {
    {"aes128gcm16", UIPSEC_PROTO_ESP},
    {"aes256gcm16", UIPSEC_PROTO_ESP},
    {"chacha20poly1305", UIPSEC_PROTO_ESP},
    {"aes128-sha256", UIPSEC_PROTO_ESP},
    {"aes256-sha256", UIPSEC_PROTO_ESP},
    {"aes128-sha384", UIPSEC_PROTO_ESP},
    {"aes256-sha512", UIPSEC_PROTO_ESP},
    {"null-sha256", UIPSEC_PROTO_ESP},
    {"null-sha384", UIPSEC_PROTO_ESP},
    {"null-sha512", UIPSEC_PROTO_ESP},
    {"aes128gmac", UIPSEC_PROTO_ESP},
    {"aes256gmac", UIPSEC_PROTO_ESP},
    {"sha256", UIPSEC_PROTO_AH},
    {"sha384", UIPSEC_PROTO_AH},
    {"sha512", UIPSEC_PROTO_AH},
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

static const size_t sizes[] = {0,  1,  2,   3,   4,    5,    13,   14,   15,   16,   17,
                               31, 32, 255, 256, 1000, 1371, 1400, 1472, 4096, 8952, 9000};

struct combo {
    size_t suite;
    enum uipsec_mode mode;
    int inner_family, outer_family;
    bool esn, udp;
    enum uipsec_backend backend;
};

/* n bytes of a key field of cap bytes: the bound is in the loop so that the
 * compiler sees it too (gcc -O3 otherwise warns of a write past salt[4]). */
static void fill_key(uint8_t *k, size_t cap, size_t n, uint8_t seed)
{
    assert_true(n <= cap);
    for (size_t i = 0; i < n && i < cap; i++)
        k[i] = (uint8_t)(seed * 31 + i * 7);
}

static struct uipsec_sa *make_sa(const struct combo *c, enum uipsec_dir dir)
{
    struct uipsec_sa_params p = {.spi = 0x1000 + (uint32_t)c->suite, .dir = dir};
    struct uipsec_sa *sa = NULL;
    size_t ek, salt, ak;

    p.proto = suites[c->suite].proto;
    assert_int_equal(uipsec_suite_parse(suites[c->suite].keyword, p.proto, &p), UIPSEC_OK);
    uipsec_suite_key_sizes(&p, &ek, &salt, &ak);
    fill_key(p.enc_key, sizeof p.enc_key, ek, 1);
    fill_key(p.salt, sizeof p.salt, salt, 2);
    fill_key(p.auth_key, sizeof p.auth_key, ak, 3);
    p.auth_key_len = (uint8_t)ak;
    p.mode = c->mode;
    p.esn = c->esn;
    p.seq = c->esn ? 0xfffffff0ull : 1;
    p.replay_window = 128;
    p.backend = c->backend;
    p.tunnel_src.family = p.tunnel_dst.family = (uint8_t)c->outer_family;
    p.tunnel_src.bytes[0] = 0xc0, p.tunnel_dst.bytes[0] = 0xc1;
    p.udp_dport = c->udp ? 4500 : 0;
    assert_int_equal(uipsec_sa_new(&p, &sa), UIPSEC_OK);
    if (dir == UIPSEC_DIR_IN && c->esn)
        uipsec_sa_set_esn_high(sa, 0);
    return sa;
}

static void put_csum(uint8_t *h)
{
    uint32_t sum = 0;

    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    h[10] = (uint8_t)(~sum >> 8), h[11] = (uint8_t)~sum;
}

/* A UDP packet of the given family with `payload` bytes of data. */
static size_t make_inner(uint8_t *p, int family, size_t payload, unsigned salt)
{
    size_t hl = family == 4 ? 20 : 40, total = hl + 8 + payload;

    memset(p, 0, hl + 8);
    if (family == 4) {
        p[0] = 0x45, p[2] = (uint8_t)(total >> 8), p[3] = (uint8_t)total, p[8] = 64, p[9] = 17;
        p[12] = 10, p[15] = 1, p[16] = 10, p[19] = 2;
        put_csum(p);
    } else {
        p[0] = 0x60, p[4] = (uint8_t)((total - 40) >> 8), p[5] = (uint8_t)(total - 40);
        p[6] = 17, p[7] = 64, p[8] = 0x20, p[23] = 1, p[24] = 0x20, p[39] = 2;
    }
    p[hl + 4] = (uint8_t)((8 + payload) >> 8), p[hl + 5] = (uint8_t)(8 + payload);
    for (size_t i = 0; i < payload; i++)
        p[hl + 8 + i] = (uint8_t)(i * 13 + salt);
    return total;
}

/* The protected packet's outer protocol and SPI are where the RFCs put them. */
static void check_shape(const struct combo *c, const uint8_t *o, size_t len, int family)
{
    size_t hl = family == 4 ? 20 : 40;
    uint8_t proto = family == 4 ? o[9] : o[6];
    uint8_t want = c->udp ? 17 : suites[c->suite].proto;
    size_t at = hl + (c->udp ? 8 : 0) + (suites[c->suite].proto == UIPSEC_PROTO_AH ? 4 : 0);

    assert_true(len > hl + 8);
    assert_int_equal(o[0] >> 4, family);
    assert_int_equal(proto, want);
    assert_int_equal((uint32_t)o[at] << 24 | o[at + 1] << 16 | o[at + 2] << 8 | o[at + 3],
                     0x1000 + c->suite);
}

static uint8_t buf[UIPSEC_HEADROOM + 9100 + UIPSEC_TAILROOM], ref[9100];

static void one_size(const struct combo *c, struct uipsec_sa *out, struct uipsec_sa *in,
                     size_t size)
{
    int fam = c->inner_family;
    size_t n = make_inner(ref, fam, size, (unsigned)c->suite);
    struct uipsec_buf b = {buf, sizeof(buf), UIPSEC_HEADROOM, (uint32_t)n, -1};
    size_t ovh = uipsec_sa_overhead(out, n);

    memcpy(buf + b.off, ref, n);
    assert_int_equal(uipsec_encap(out, &b, 1), 1);
    assert_int_equal(b.result, UIPSEC_OK);
    assert_true(b.len > n && b.len <= n + ovh);
    check_shape(c, buf + b.off, b.len, c->mode == UIPSEC_MODE_TUNNEL ? c->outer_family : fam);
    if (suites[c->suite].proto == UIPSEC_PROTO_ESP &&
        strstr(suites[c->suite].keyword, "null") == NULL &&
        strstr(suites[c->suite].keyword, "gmac") == NULL && size >= 32)
        assert_null(memmem(buf + b.off, b.len, ref + n - 32, 32)); /* payload is encrypted */
    assert_int_equal(uipsec_decap(in, &b, 1), 1);
    if (b.len != n || memcmp(buf + b.off, ref, n) != 0)
        fail_msg("%s mode %d inner %d outer %d esn %d udp %d size %zu: round trip differs",
                 suites[c->suite].keyword, c->mode, fam, c->outer_family, c->esn, c->udp, size);
}

static size_t run_combo(const struct combo *c)
{
    struct uipsec_sa *out = make_sa(c, UIPSEC_DIR_OUT), *in = make_sa(c, UIPSEC_DIR_IN);
    struct uipsec_sa_stats st;

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        one_size(c, out, in, sizes[i]);
    uipsec_sa_get_stats(in, &st);
    assert_int_equal(st.packets, sizeof(sizes) / sizeof(sizes[0]));
    uipsec_sa_free(out);
    uipsec_sa_free(in);
    return sizeof(sizes) / sizeof(sizes[0]);
}

static size_t run_backend(enum uipsec_backend be)
{
    static const int fams[][2] = {{4, 4}, {6, 6}, {4, 6}, {6, 4}};
    size_t count = 0;

    for (size_t s = 0; s < NSUITES; s++)
        for (int m = 0; m < 2; m++)
            for (size_t f = 0; f < (m == 0 ? 4u : 2u); f++)
                for (int flags = 0; flags < 4; flags++) {
                    struct combo c = {
                        s,          m == 0 ? UIPSEC_MODE_TUNNEL : UIPSEC_MODE_TRANSPORT,
                        fams[f][0], fams[f][1],
                        flags & 1,  flags & 2,
                        be};
                    int udp_ok = suites[s].proto == UIPSEC_PROTO_ESP &&
                                 (m == 0 ? fams[f][1] : fams[f][0]) == 4;

                    if (c.udp && !udp_ok)
                        continue;
                    if (m == 1)
                        c.outer_family = c.inner_family;
                    count += run_combo(&c);
                }
    return count;
}

static void roundtrip_openssl(void **state)
{
    (void)state;
    size_t n = run_backend(UIPSEC_BACKEND_OPENSSL);
    printf("openssl: %zu round trips\n", n);
    assert_true(n > 1000);
}

static void roundtrip_ipsecmb(void **state)
{
    (void)state;
    if (!uipsec_backend_available(UIPSEC_BACKEND_IPSECMB))
        skip();
    size_t n = run_backend(UIPSEC_BACKEND_IPSECMB);
    printf("ipsec-mb: %zu round trips\n", n);
    assert_true(n > 1000);
}

/* Packets protected by one backend are read by the other. */
static void cross_backend(void **state)
{
    (void)state;
    if (!uipsec_backend_available(UIPSEC_BACKEND_IPSECMB))
        skip();
    for (size_t s = 0; s < NSUITES; s++) {
        struct combo a = {s, UIPSEC_MODE_TUNNEL, 4, 4, true, false, UIPSEC_BACKEND_OPENSSL};
        struct combo b = a;

        b.backend = UIPSEC_BACKEND_IPSECMB;
        struct uipsec_sa *o1 = make_sa(&a, UIPSEC_DIR_OUT), *i1 = make_sa(&b, UIPSEC_DIR_IN);
        struct uipsec_sa *o2 = make_sa(&b, UIPSEC_DIR_OUT), *i2 = make_sa(&a, UIPSEC_DIR_IN);
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            one_size(&a, o1, i1, sizes[i]);
            one_size(&a, o2, i2, sizes[i]);
        }
        uipsec_sa_free(o1), uipsec_sa_free(i1), uipsec_sa_free(o2), uipsec_sa_free(i2);
    }
}

/* TFC padding (RFC 4303 2.7) hides the length and is removed on receipt. */
static void tfc_padding(void **state)
{
    struct combo c = {0, UIPSEC_MODE_TUNNEL, 4, 4, false, false, UIPSEC_BACKEND_AUTO};
    struct uipsec_sa *out, *in = make_sa(&c, UIPSEC_DIR_IN);
    struct uipsec_sa_params p = {.spi = 0x1000, .dir = UIPSEC_DIR_OUT};
    size_t lens[2];

    (void)state;
    out = make_sa(&c, UIPSEC_DIR_OUT);
    uipsec_sa_free(out);
    p.proto = UIPSEC_PROTO_ESP;
    assert_int_equal(uipsec_suite_parse("aes128gcm16", p.proto, &p), UIPSEC_OK);
    fill_key(p.enc_key, sizeof p.enc_key, 16, 1), fill_key(p.salt, sizeof p.salt, 4, 2);
    p.mode = UIPSEC_MODE_TUNNEL, p.tfc_pad = 1000, p.seq = 1;
    p.tunnel_src.family = p.tunnel_dst.family = 4;
    p.tunnel_src.bytes[0] = 0xc0, p.tunnel_dst.bytes[0] = 0xc1;
    assert_int_equal(uipsec_sa_new(&p, &out), UIPSEC_OK);
    for (int i = 0; i < 2; i++) {
        size_t n = make_inner(ref, 4, i ? 500 : 10, 0);
        struct uipsec_buf b = {buf, sizeof(buf), UIPSEC_HEADROOM, (uint32_t)n, -1};

        memcpy(buf + b.off, ref, n);
        assert_int_equal(uipsec_encap(out, &b, 1), 1);
        lens[i] = b.len;
        assert_int_equal(uipsec_decap(in, &b, 1), 1);
        assert_int_equal(b.len, n);
        assert_memory_equal(buf + b.off, ref, n);
    }
    assert_int_equal(lens[0], lens[1]); /* both padded to the same size */
    uipsec_sa_free(out);
    uipsec_sa_free(in);
}

/* A batch of packets of all sizes in one call. */
static void batch(void **state)
{
    static uint8_t mem[64][UIPSEC_HEADROOM + 1600 + UIPSEC_TAILROOM];
    struct combo c = {3, UIPSEC_MODE_TUNNEL, 6, 4, true, true, UIPSEC_BACKEND_AUTO};
    struct uipsec_sa *out = make_sa(&c, UIPSEC_DIR_OUT), *in = make_sa(&c, UIPSEC_DIR_IN);
    struct uipsec_buf b[64];
    size_t lens[64];

    (void)state;
    for (int i = 0; i < 64; i++) {
        lens[i] = make_inner(mem[i] + UIPSEC_HEADROOM, 6, (size_t)i * 23, (unsigned)i);
        b[i] = (struct uipsec_buf){mem[i], sizeof(mem[i]), UIPSEC_HEADROOM, (uint32_t)lens[i], -1};
    }
    assert_int_equal(uipsec_encap(out, b, 64), 64);
    assert_int_equal(uipsec_decap(in, b, 64), 64);
    for (int i = 0; i < 64; i++) {
        make_inner(ref, 6, (size_t)i * 23, (unsigned)i);
        assert_int_equal(b[i].len, lens[i]);
        assert_memory_equal(mem[i] + b[i].off, ref, lens[i]);
    }
    uipsec_sa_free(out);
    uipsec_sa_free(in);
}

/* Protocol 59 ("no next header") in transport mode: ESP would deliver it
 * as a TFC dummy packet, so it is refused; AH has no dummy packets and
 * carries it.  (Found by fuzz_decap's round-trip oracle.) */
static void next_header_59(void **state)
{
    struct combo esp = {0, UIPSEC_MODE_TRANSPORT, 4, 4, false, false, UIPSEC_BACKEND_AUTO};
    struct combo ah = {12, UIPSEC_MODE_TRANSPORT, 4, 4, false, false, UIPSEC_BACKEND_AUTO};
    const struct combo *cs[2] = {&esp, &ah};

    (void)state;
    for (int i = 0; i < 2; i++) {
        struct uipsec_sa *out = make_sa(cs[i], UIPSEC_DIR_OUT), *in = make_sa(cs[i], UIPSEC_DIR_IN);
        size_t n = make_inner(ref, 4, 20, 0);
        struct uipsec_buf b = {buf, sizeof(buf), UIPSEC_HEADROOM, (uint32_t)n, -1};

        ref[9] = 59;
        ref[10] = ref[11] = 0;
        put_csum(ref);
        memcpy(buf + b.off, ref, n);
        if (i == 0) {
            assert_int_equal(uipsec_encap(out, &b, 1), 0);
            assert_int_equal(b.result, UIPSEC_E_NEXT_HEADER);
        } else {
            assert_int_equal(uipsec_encap(out, &b, 1), 1);
            assert_int_equal(uipsec_decap(in, &b, 1), 1);
            assert_memory_equal(buf + b.off, ref, n);
        }
        uipsec_sa_free(out);
        uipsec_sa_free(in);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip_openssl),
        cmocka_unit_test(roundtrip_ipsecmb),
        cmocka_unit_test(cross_backend),
        cmocka_unit_test(tfc_padding),
        cmocka_unit_test(batch),
        cmocka_unit_test(next_header_59),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
