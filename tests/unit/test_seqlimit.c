/* SPDX-License-Identifier: MIT */
/*
 * The outbound sequence ceiling (uipsec_sa_set_seq_limit): packets above it
 * are dropped with "seq-not-reserved", counted, and use no number; raising
 * it lets the next packet go with the next number; the ends of the 32-bit
 * and 64-bit (ESN) sequence spaces still drop with "seq-exhausted".
 * Sequence numbers are read from the wire at their RFC 4303 2 / RFC 4302
 * 2 offsets, and every packet sent is opened by an inbound SA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "uipsec/uipsec.h"

#define SPI      0x5e9c0001u
#define INNER    84
#define BUF_LEN  (UIPSEC_HEADROOM + 2048 + UIPSEC_TAILROOM)
#define OUTER_IP 20

struct suite {
    const char *keyword;
    enum uipsec_proto proto;
};

static const struct suite suites[] = {
    {"aes128gcm16", UIPSEC_PROTO_ESP}, {"chacha20poly1305", UIPSEC_PROTO_ESP},
    {"aes128gmac", UIPSEC_PROTO_ESP},  {"aes128-sha256", UIPSEC_PROTO_ESP},
    {"sha256", UIPSEC_PROTO_AH},
};

static struct uipsec_sa_params params(const struct suite *s, enum uipsec_dir dir, bool esn,
                                      uint64_t seq)
{
    struct uipsec_sa_params p;
    size_t ek, salt, ak;

    memset(&p, 0, sizeof(p));
    p.proto = s->proto;
    assert_int_equal(uipsec_suite_parse(s->keyword, s->proto, &p), UIPSEC_OK);
    p.spi = SPI, p.dir = dir, p.mode = UIPSEC_MODE_TUNNEL, p.esn = esn, p.seq = seq;
    p.tunnel_src.family = p.tunnel_dst.family = 4;
    memcpy(p.tunnel_src.bytes, (uint8_t[]){192, 0, 2, 1}, 4);
    memcpy(p.tunnel_dst.bytes, (uint8_t[]){192, 0, 2, 2}, 4);
    uipsec_suite_key_sizes(&p, &ek, &salt, &ak);
    fill(p.enc_key, ek, 0x21);
    fill(p.salt, salt, 0x5a);
    fill(p.auth_key, ak, 0x33);
    p.auth_key_len = (uint8_t)ak;
    p.replay_window = dir == UIPSEC_DIR_IN ? 64 : 0;
    p.backend = UIPSEC_BACKEND_OPENSSL;
    return p;
}

struct pair {
    const struct suite *s;
    struct uipsec_sa *out, *in;
};

static struct pair pair_new(const struct suite *s, bool esn, uint64_t first)
{
    struct uipsec_sa_params po = params(s, UIPSEC_DIR_OUT, esn, first);
    struct uipsec_sa_params pi = params(s, UIPSEC_DIR_IN, esn, 0);
    struct pair p = {s, NULL, NULL};

    assert_int_equal(uipsec_sa_new(&po, &p.out), UIPSEC_OK);
    assert_int_equal(uipsec_sa_new(&pi, &p.in), UIPSEC_OK);
    if (esn && first > UINT32_MAX)
        uipsec_sa_set_esn_high(p.in, (uint32_t)(first >> 32));
    return p;
}

static void pair_free(struct pair *p)
{
    uipsec_sa_free(p->out);
    uipsec_sa_free(p->in);
}

/* An IPv4/UDP packet of INNER bytes. */
static void inner4(uint8_t *p)
{
    memset(p, 0, INNER);
    p[0] = 0x45, p[8] = 64, p[9] = 17;
    put16(p + 2, INNER);
    memcpy(p + 12, (uint8_t[]){10, 1, 0, 1, 10, 2, 0, 1}, 8);
    fill(p + 20, INNER - 20, 7);
    csum4(p);
}

/* Sends one packet; returns its result and, on success, the 32 sequence
 * bits on the wire in *wire_seq (after it has been opened by p->in). */
static int send_one(struct pair *p, uint32_t *wire_seq)
{
    static uint8_t mem[BUF_LEN];
    struct uipsec_buf b = {mem, BUF_LEN, UIPSEC_HEADROOM, INNER, -1};
    size_t seq_off = OUTER_IP + (p->s->proto == UIPSEC_PROTO_AH ? 8 : 4);

    inner4(mem + UIPSEC_HEADROOM);
    if (uipsec_encap(p->out, &b, 1) != 1) {
        assert_int_not_equal(b.result, UIPSEC_OK);
        return b.result;
    }
    *wire_seq = get32(mem + b.off + seq_off);
    assert_int_equal(uipsec_decap(p->in, &b, 1), 1);
    assert_int_equal(b.len, INNER);
    return UIPSEC_OK;
}

static void sent_as(struct pair *p, uint32_t want)
{
    uint32_t seq = 0;

    assert_int_equal(send_one(p, &seq), UIPSEC_OK);
    assert_int_equal(seq, want);
}

static uint64_t drops(const struct uipsec_sa *sa, int reason)
{
    struct uipsec_sa_stats st;

    uipsec_sa_get_stats(sa, &st);
    return st.drops[reason];
}

static uint64_t last_sent(const struct uipsec_sa *sa)
{
    struct uipsec_sa_stats st;

    uipsec_sa_get_stats(sa, &st);
    return st.seq;
}

/* Three reserved: three go, the rest wait for more without using numbers. */
static void ceiling_then_raise(void **state)
{
    uint32_t seq;

    (void)state;
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        struct pair p = pair_new(&suites[i], false, 1);

        assert_int_equal(uipsec_sa_set_seq_limit(p.out, 3), UIPSEC_OK);
        for (uint32_t n = 1; n <= 3; n++)
            sent_as(&p, n);
        assert_int_equal(send_one(&p, &seq), UIPSEC_E_SEQ_RESERVE);
        assert_int_equal(send_one(&p, &seq), UIPSEC_E_SEQ_RESERVE);
        assert_int_equal(drops(p.out, UIPSEC_E_SEQ_RESERVE), 2);
        assert_int_equal(last_sent(p.out), 3);
        assert_int_equal(uipsec_sa_set_seq_limit(p.out, 5), UIPSEC_OK);
        sent_as(&p, 4); /* no gap: the dropped packets used no number */
        sent_as(&p, 5);
        assert_int_equal(send_one(&p, &seq), UIPSEC_E_SEQ_RESERVE);
        assert_int_equal(uipsec_sa_set_seq_limit(p.out, UINT64_MAX), UIPSEC_OK);
        sent_as(&p, 6);
        pair_free(&p);
    }
}

static void limit_zero_sends_nothing(void **state)
{
    struct pair p = pair_new(&suites[0], false, 1);
    uint32_t seq;

    (void)state;
    assert_int_equal(uipsec_sa_set_seq_limit(p.out, 0), UIPSEC_OK);
    assert_int_equal(send_one(&p, &seq), UIPSEC_E_SEQ_RESERVE);
    assert_string_equal(uipsec_result_name(UIPSEC_E_SEQ_RESERVE), "seq-not-reserved");
    assert_int_equal(uipsec_sa_set_seq_limit(p.out, 1), UIPSEC_OK);
    sent_as(&p, 1);
    assert_int_equal(uipsec_sa_set_seq_limit(p.in, 1), UIPSEC_E_PARAM); /* inbound */
    pair_free(&p);
}

/* Without ESN the space ends at 2^32-1 whatever the ceiling says. */
static void end_of_32_bits(void **state)
{
    struct pair p = pair_new(&suites[0], false, 0xfffffffe);
    uint32_t seq;

    (void)state;
    assert_int_equal(uipsec_sa_set_seq_limit(p.out, 0xfffffffe), UIPSEC_OK);
    sent_as(&p, 0xfffffffe);
    assert_int_equal(send_one(&p, &seq), UIPSEC_E_SEQ_RESERVE);
    assert_int_equal(uipsec_sa_set_seq_limit(p.out, 0x1000000ffull), UIPSEC_OK);
    sent_as(&p, 0xffffffff);
    assert_int_equal(send_one(&p, &seq), UIPSEC_E_SEQ_EXHAUSTED);
    assert_int_equal(drops(p.out, UIPSEC_E_SEQ_EXHAUSTED), 1);
    assert_int_equal(drops(p.out, UIPSEC_E_SEQ_RESERVE), 1);
    pair_free(&p);
}

/* With ESN the ceiling works across the 2^32 boundary and the space ends
 * at 2^64-1. */
static void esn_across_and_end(void **state)
{
    struct pair p = pair_new(&suites[1], true, 0xffffffff);
    uint32_t seq;

    (void)state;
    assert_int_equal(uipsec_sa_set_seq_limit(p.out, 0x100000001ull), UIPSEC_OK);
    sent_as(&p, 0xffffffff);
    sent_as(&p, 0);
    sent_as(&p, 1);
    assert_int_equal(send_one(&p, &seq), UIPSEC_E_SEQ_RESERVE);
    assert_int_equal(last_sent(p.out), 0x100000001ull);
    assert_int_equal(uipsec_sa_set_seq_limit(p.out, 0x100000002ull), UIPSEC_OK);
    sent_as(&p, 2);
    pair_free(&p);

    p = pair_new(&suites[1], true, UINT64_MAX);
    sent_as(&p, 0xffffffff);
    assert_int_equal(send_one(&p, &seq), UIPSEC_E_SEQ_EXHAUSTED);
    assert_int_equal(last_sent(p.out), UINT64_MAX);
    pair_free(&p);
}

/* The 8 IV bytes of an ESP packet with sequence number seq from a fresh
 * SA with suite s's fixed test key. */
static uint64_t iv_of_spi(const struct suite *s, uint64_t seq, uint32_t spi)
{
    static uint8_t mem[BUF_LEN];
    struct uipsec_sa_params po = params(s, UIPSEC_DIR_OUT, false, seq);
    struct uipsec_buf b = {mem, BUF_LEN, UIPSEC_HEADROOM, INNER, -1};
    struct uipsec_sa *sa = NULL;
    uint64_t iv;

    if (spi)
        po.spi = spi;
    assert_int_equal(uipsec_sa_new(&po, &sa), UIPSEC_OK);
    inner4(mem + UIPSEC_HEADROOM);
    assert_int_equal(uipsec_encap(sa, &b, 1), 1);
    iv = (uint64_t)get32(mem + b.off + OUTER_IP + 8) << 32 | get32(mem + b.off + OUTER_IP + 12);
    uipsec_sa_free(sa);
    return iv;
}

static uint64_t iv_of(const struct suite *s, uint64_t seq)
{
    return iv_of_spi(s, seq, 0);
}

/* A restarted SA (a new object with the same key) that continues after
 * the numbers its predecessor used never repeats one of its IVs: the IV is
 * a function of key and sequence number, not of the object. */
static void iv_follows_key_and_seq(void **state)
{
    (void)state;
    for (size_t i = 0; i < 3; i++) { /* the AEAD and GMAC suites */
        uint64_t first = iv_of(&suites[i], 7);

        assert_true(first == iv_of(&suites[i], 7));
        assert_true(first != 7); /* masked */
        assert_true(first != iv_of(&suites[i], 8));
    }
}

/* One key given to two SAs by mistake (a hub's key for every spoke, say):
 * their SPIs differ, so their IVs at the same sequence number do too. */
static void iv_differs_by_spi(void **state)
{
    (void)state;
    for (size_t i = 0; i < 3; i++)
        assert_true(iv_of_spi(&suites[i], 7, 0x1001) != iv_of_spi(&suites[i], 7, 0x1002));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ceiling_then_raise),     cmocka_unit_test(limit_zero_sends_nothing),
        cmocka_unit_test(end_of_32_bits),         cmocka_unit_test(esn_across_and_end),
        cmocka_unit_test(iv_follows_key_and_seq), cmocka_unit_test(iv_differs_by_spi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
