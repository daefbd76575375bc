/* SPDX-License-Identifier: MIT */
/*
 * The drop paths of uipsec_encap and the sequence numbers: each error a
 * caller can cause (no room, wrong direction, bad inner packets and
 * buffers, too big), exhaustion of the 32-bit and 64-bit spaces and ESN,
 * with exact result codes, for every suite on every available backend.
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

/* ---- encapsulation ---- */

/* Tailroom a receive buffer needs: AH appends seq_hi in place for its ICV. */
static size_t esn_tail(const struct suite *s)
{
    return s->proto == UIPSEC_PROTO_AH ? 4 : 0;
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

static void encap_bad_inner(void **state)
{
    (void)state;
    each(inner_tunnel_one, true);
    each(inner_transport_one, true);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encap_no_room),    cmocka_unit_test(wrong_direction),
        cmocka_unit_test(encap_bad_inner),  cmocka_unit_test(bad_buffers),
        cmocka_unit_test(encap_too_big),    cmocka_unit_test(seq_exhausted),
        cmocka_unit_test(esn_across_2_32),  cmocka_unit_test(esn_high_mismatch),
        cmocka_unit_test(esn_high_ignored),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
