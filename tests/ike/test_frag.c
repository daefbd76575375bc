/* SPDX-License-Identifier: MIT */
/*
 * IKE fragmentation (RFC 7383, src/ike/ikesa_frag.c) between two IKE SAs
 * in one process: a small fragment_size makes IKE_AUTH and CREATE_CHILD_SA
 * fragment.  Every datagram is kept, checked against the size and the SKF
 * layout, and its plaintext compared with the same message sent whole (the
 * deterministic RNG makes both runs agree); then reassembly in and out of
 * order, duplicates, a tampered fragment, the limits, retransmission, and
 * the four values of fragmentation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ike_pair.h"
#include "ike_wire.h"
#include "ikesa.h"
#include "ikesa_int.h"

#define SMALL 200 /* whole datagrams: 172 bytes of IKE message over IPv4 */

struct flight {
    uint8_t d[IKE_FRAG_MAX + 2][IKE_MSG_MAX];
    size_t len[IKE_FRAG_MAX + 2], n;
};

static struct ike_peer I, R;
static struct flight FI, FR; /* what I and R sent since the last clear */
static unsigned drops;
static char last_drop[256];

static struct flight *flight_of(const void *p)
{
    return p == &I ? &FI : &FR;
}

static void keep_send(void *arg, const uint8_t *buf, size_t len)
{
    struct flight *f = flight_of(arg);

    assert_true(f->n < IKE_FRAG_MAX + 2 && len <= IKE_MSG_MAX);
    memcpy(f->d[f->n], buf, len);
    f->len[f->n++] = len;
    ike_peer_send(arg, buf, len);
}

static void count_drop(void *arg, const char *msg)
{
    (void)arg;
    drops++;
    snprintf(last_drop, sizeof last_drop, "%s", msg);
}

static void setup_pair(uint8_t frag_i, uint8_t frag_r, size_t size)
{
    ike_peer_init(&I, 1, true, &ike_side_i);
    ike_peer_init(&R, 2, false, &ike_side_r);
    ike_peer_add_child(&I, true, "aes128gcm16");
    ike_peer_add_child(&R, false, "aes128gcm16");
    I.env.send = R.env.send = keep_send;
    I.env.log_drop = R.env.log_drop = count_drop;
    I.cfg.fragmentation = frag_i;
    R.cfg.fragmentation = frag_r;
    I.cfg.fragment_size = R.cfg.fragment_size = size;
    FI.n = FR.n = 0;
    drops = 0;
}

static enum ike_rx deliver_all(struct ike_peer *to, struct flight *f)
{
    enum ike_rx rx = IKE_RX_DROPPED;

    for (size_t k = 0; k < f->n; k++)
        rx = ike_sa_receive(to->sa, f->d[k], f->len[k], NULL);
    return rx;
}

/* IKE_SA_INIT both ways; FI then holds the IKE_AUTH request. */
static void run_init(void)
{
    ike_pair_init(&I, &R);
    FI.n = FR.n = 0;
    assert_int_equal(ike_deliver(&I, &R), IKE_RX_OK);
    assert_int_equal(I.sa->state, IKE_SA_AUTH_SENT);
}

static bool has_frag_notify(const uint8_t *buf, size_t len)
{
    static struct ike_msg m;

    assert_int_equal(ike_decode(buf, len, &m), IKE_DEC_OK);
    for (size_t k = 0; k < m.npayloads; k++)
        if (m.payloads[k].type == IKE_PL_NOTIFY &&
            m.payloads[k].u.notify.type == IKE_N_IKEV2_FRAGMENTATION_SUPPORTED)
            return true;
    return false;
}

/* Each datagram of f: an SKF k+1 of n, at most max bytes; their plaintext,
 * opened with to's inbound keys, concatenated into pt. */
static size_t check_fragments(const struct flight *f, struct ike_peer *to, size_t max,
                              uint8_t *first, uint8_t *pt)
{
    static struct ike_msg m;
    static uint8_t copy[IKE_MSG_MAX];
    size_t at = 0, off, len;

    assert_true(f->n > 1);
    for (size_t k = 0; k < f->n; k++) {
        const struct ike_payload *p;

        assert_true(f->len[k] <= max);
        memcpy(copy, f->d[k], f->len[k]);
        assert_int_equal(ike_decode(copy, f->len[k], &m), IKE_DEC_OK);
        assert_int_equal(m.npayloads, 1);
        p = &m.payloads[0];
        assert_int_equal(p->type, IKE_PL_SKF);
        assert_int_equal(p->u.sk.frag_num, k + 1);
        assert_int_equal(p->u.sk.frag_total, f->n);
        if (k == 0)
            *first = p->u.sk.first_inner;
        else
            assert_int_equal(p->u.sk.first_inner, 0);
        assert_int_equal(ike_sk_open(to->sa->sk_in, copy, f->len[k], p->offset,
                                     IKE_SKF_PAYLOAD_HEADER_LEN, &off, &len),
                         UIPSEC_OK);
        memcpy(pt + at, copy + off, len);
        at += len;
    }
    return at;
}

/* The IKE_AUTH request sent whole (fragment_size large) by the same
 * deterministic peers: its first type and plaintext. */
static size_t whole_auth_request(uint8_t *first, uint8_t *pt)
{
    static struct ike_msg m;
    static uint8_t copy[IKE_MSG_MAX];
    size_t off, len;

    setup_pair(IKE_FRAG_YES, IKE_FRAG_YES, 60000);
    run_init();
    assert_int_equal(FI.n, 1);
    memcpy(copy, FI.d[0], FI.len[0]);
    assert_int_equal(ike_decode(copy, FI.len[0], &m), IKE_DEC_OK);
    assert_int_equal(m.payloads[0].type, IKE_PL_SK);
    *first = m.payloads[0].u.sk.first_inner;
    assert_int_equal(ike_sk_open(R.sa->sk_in, copy, FI.len[0], m.payloads[0].offset,
                                 IKE_SK_PAYLOAD_HEADER_LEN, &off, &len),
                     UIPSEC_OK);
    memcpy(pt, copy + off, len);
    ike_pair_free(&I, &R);
    return len;
}

/* The same inner payloads but for the AUTH value: the DH key pairs (and so
 * the keys) come from OpenSSL's RNG, not the mock one. */
static void assert_same_payloads(uint8_t first, const uint8_t *a, const uint8_t *b, size_t len)
{
    static struct ike_msg ma, mb;
    struct ike_payload *pa, *pb;

    assert_int_equal(ike_decode_payloads(first, a, len, &ma), IKE_DEC_OK);
    assert_int_equal(ike_decode_payloads(first, b, len, &mb), IKE_DEC_OK);
    pa = (struct ike_payload *)ike_msg_find(&ma, IKE_PL_AUTH);
    pb = (struct ike_payload *)ike_msg_find(&mb, IKE_PL_AUTH);
    assert_true(pa && pb && pa->u.auth.data.len == pb->u.auth.data.len);
    pa->u.auth.data = pb->u.auth.data;
    assert_true(ike_msg_equal(&ma, &mb));
    assert_true(ma.npayloads >= 5); /* IDi, IDr, AUTH, SA, TSi, TSr */
}

static void test_auth_fragmented(void **state)
{
    static uint8_t pt_whole[IKE_MSG_MAX], pt[IKE_MSG_MAX];
    uint8_t first_whole, first;
    size_t whole_len = whole_auth_request(&first_whole, pt_whole), len;

    (void)state;
    setup_pair(IKE_FRAG_YES, IKE_FRAG_YES, SMALL);
    ike_pair_init(&I, &R);
    assert_true(has_frag_notify(I.sent, I.sent_len)); /* both announce */
    assert_true(R.sa->peer_frag);
    assert_true(has_frag_notify(R.sent, R.sent_len));
    FI.n = FR.n = 0;
    assert_int_equal(ike_deliver(&I, &R), IKE_RX_OK);
    assert_true(I.sa->peer_frag);
    len = check_fragments(&FI, &R, SMALL - 28, &first, pt);
    assert_int_equal(first, first_whole);
    assert_int_equal(len, whole_len);
    assert_same_payloads(first, pt, pt_whole, len);
    /* the response to a fragmented request is fragmented too */
    assert_int_equal(deliver_all(&R, &FI), IKE_RX_OK);
    assert_int_equal(R.sa->state, IKE_SA_ESTABLISHED);
    check_fragments(&FR, &I, SMALL - 28, &first, pt);
    assert_int_equal(deliver_all(&I, &FR), IKE_RX_OK);
    assert_int_equal(I.sa->state, IKE_SA_ESTABLISHED);
    assert_int_equal(I.nchild, 1);
    assert_int_equal(I.child.out.spi, R.child.in.spi);
    assert_int_equal(I.child.out.enc_key_len, R.child.in.enc_key_len);
    assert_memory_equal(I.child.out.enc_key, R.child.in.enc_key, I.child.out.enc_key_len);
    assert_int_equal(drops, 0);
    ike_pair_free(&I, &R);
}

/* Reversed, with a duplicate and a tampered fragment in between. */
static void test_out_of_order_duplicate_tampered(void **state)
{
    static uint8_t bad[IKE_MSG_MAX];
    size_t n;

    (void)state;
    setup_pair(IKE_FRAG_YES, IKE_FRAG_YES, SMALL);
    run_init();
    n = FI.n;
    assert_true(n >= 2);
    assert_int_equal(ike_sa_receive(R.sa, FI.d[n - 1], FI.len[n - 1], NULL), IKE_RX_OK);
    assert_int_equal(ike_sa_receive(R.sa, FI.d[n - 1], FI.len[n - 1], NULL), IKE_RX_DROPPED);
    assert_non_null(strstr(last_drop, "again"));
    memcpy(bad, FI.d[1], FI.len[1]);
    bad[FI.len[1] - 20] ^= 1; /* in the ciphertext */
    assert_int_equal(ike_sa_receive(R.sa, bad, FI.len[1], NULL), IKE_RX_DROPPED);
    assert_non_null(strstr(last_drop, "SKF payload dropped"));
    for (size_t k = n - 1; k-- > 0;)
        assert_int_equal(ike_sa_receive(R.sa, FI.d[k], FI.len[k], NULL), IKE_RX_OK);
    assert_int_equal(R.sa->state, IKE_SA_ESTABLISHED);
    assert_null(R.sa->frag);
    assert_int_equal(drops, 2);
    ike_pair_free(&I, &R);
}

/* The request's whole set again after the timeout; an authentic first
 * fragment of the answered request gets the whole answer again. */
static void test_retransmission(void **state)
{
    static struct flight first;
    size_t n_resp;

    (void)state;
    setup_pair(IKE_FRAG_YES, IKE_FRAG_YES, SMALL);
    run_init();
    first = FI;
    assert_true(first.n > 1);
    FI.n = 0;
    I.now += IKE_RETRANSMIT_MS + 1;
    ike_sa_tick(I.sa);
    assert_int_equal(FI.n, first.n);
    for (size_t k = 0; k < FI.n; k++)
        assert_memory_equal(FI.d[k], first.d[k], first.len[k]);
    assert_int_equal(deliver_all(&R, &FI), IKE_RX_OK);
    n_resp = FR.n;
    FR.n = 0;
    assert_int_equal(ike_sa_receive(R.sa, FI.d[1], FI.len[1], NULL), IKE_RX_DROPPED);
    assert_int_equal(FR.n, 0);
    assert_int_equal(ike_sa_receive(R.sa, FI.d[0], FI.len[0], NULL), IKE_RX_OK);
    assert_int_equal(FR.n, n_resp);
    ike_pair_free(&I, &R);
}

/* An SKF for I's IKE_AUTH message, sealed with I's keys: any numbers. */
static size_t craft(uint8_t *out, uint16_t num, uint16_t total, size_t pt_len)
{
    struct ike_msg m = {.hdr = ike_sa_hdr(I.sa, IKE_EXCH_IKE_AUTH, false, 1), .npayloads = 1};
    size_t sk_off, plain, len;

    m.payloads[0] = (struct ike_payload){
        .type = IKE_PL_SKF,
        .u.sk = {.first_inner = num == 1 ? IKE_PL_IDI : 0, .frag_num = num, .frag_total = total}};
    assert_int_equal(ike_encode_sk_prefix(&m, out, IKE_MSG_MAX, &sk_off), IKE_ENC_OK);
    plain = ike_sk_plain_offset(I.sa->sk_out, sk_off, IKE_SKF_PAYLOAD_HEADER_LEN);
    memset(out + plain, 0x41, pt_len);
    assert_int_equal(ike_sk_seal(I.sa->sk_out, out, IKE_MSG_MAX, sk_off, IKE_SKF_PAYLOAD_HEADER_LEN,
                                 pt_len, &len),
                     UIPSEC_OK);
    return len;
}

static enum ike_rx take(uint16_t num, uint16_t total, size_t pt_len)
{
    static uint8_t buf[IKE_MSG_MAX];
    size_t len = craft(buf, num, total, pt_len);

    return ike_sa_receive(R.sa, buf, len, NULL);
}

static void test_limits(void **state)
{
    (void)state;
    setup_pair(IKE_FRAG_YES, IKE_FRAG_YES, SMALL);
    run_init();
    assert_int_equal(take(1, IKE_FRAG_MAX + 1, 10), IKE_RX_DROPPED);
    assert_non_null(strstr(last_drop, "at most 64"));
    assert_null(R.sa->frag);
    /* 64 fragments of 1100 bytes: more than 64 KB, abandoned */
    for (uint16_t k = 1; k <= 59; k++)
        assert_int_equal(take(k, IKE_FRAG_MAX, 1100), IKE_RX_OK);
    assert_int_equal(take(60, IKE_FRAG_MAX, 1100), IKE_RX_DROPPED);
    assert_non_null(strstr(last_drop, "reassembly abandoned"));
    assert_null(R.sa->frag);
    /* a smaller total is dropped, a larger one restarts */
    assert_int_equal(take(1, 3, 10), IKE_RX_OK);
    assert_int_equal(take(2, 2, 10), IKE_RX_DROPPED);
    assert_non_null(strstr(last_drop, "has 3 fragments, not 2"));
    assert_int_equal(take(2, 4, 10), IKE_RX_OK);
    assert_int_equal(take(1, 3, 10), IKE_RX_DROPPED);
    /* the whole of 5 pieces of junk: reassembled, then malformed */
    for (uint16_t k = 1; k <= 5; k++)
        assert_int_equal(take(k, 5, 10), k < 5 ? IKE_RX_OK : IKE_RX_DROPPED);
    assert_non_null(strstr(last_drop, "malformed"));
    assert_int_equal(R.sa->state, IKE_SA_INIT_DONE);
    /* a reassembly that does not complete is discarded (the half-open
     * SA then expires too) */
    assert_int_equal(take(1, 3, 10), IKE_RX_OK);
    R.now += IKE_FRAG_TIMEOUT_MS + 1;
    ike_sa_tick(R.sa);
    assert_null(R.sa->frag);
    assert_non_null(strstr(last_drop, "timed out"));
    ike_pair_free(&I, &R);
}

/* Before the keys, and for a message ID not expected: dropped unopened. */
static void test_unexpected(void **state)
{
    static uint8_t buf[IKE_MSG_MAX];
    size_t len;

    (void)state;
    setup_pair(IKE_FRAG_YES, IKE_FRAG_YES, SMALL);
    run_init();
    len = craft(buf, 1, 2, 10);
    buf[20 + 3] = 7; /* Message ID 7 */
    assert_int_equal(ike_sa_receive(R.sa, buf, len, NULL), IKE_RX_DROPPED);
    assert_non_null(strstr(last_drop, "message 7 not expected"));
    ike_pair_free(&I, &R);
}

/* On port 4500 the non-ESP marker counts too: 4 bytes less per fragment. */
static void test_natt_marker(void **state)
{
    static uint8_t pt[IKE_MSG_MAX];
    uint8_t first;
    size_t biggest = 0;

    (void)state;
    setup_pair(IKE_FRAG_YES, IKE_FRAG_YES, SMALL);
    I.path.local_port = I.path.remote_port = R.path.local_port = R.path.remote_port = IKE_NATT_PORT;
    run_init();
    check_fragments(&FI, &R, SMALL - 32, &first, pt);
    for (size_t k = 0; k < FI.n; k++)
        biggest = FI.len[k] > biggest ? FI.len[k] : biggest;
    assert_true(biggest > SMALL - 32 - 16); /* and not much less */
    ike_pair_free(&I, &R);
}

/* accept announces and reassembles but sends whole; the peer (yes) then
 * fragments its answer. */
static void test_accept(void **state)
{
    (void)state;
    setup_pair(IKE_FRAG_ACCEPT, IKE_FRAG_YES, SMALL);
    ike_pair_init(&I, &R);
    assert_true(has_frag_notify(I.sent, I.sent_len));
    FI.n = FR.n = 0;
    assert_int_equal(ike_deliver(&I, &R), IKE_RX_OK);
    assert_int_equal(FI.n, 1);
    assert_true(FI.len[0] > SMALL);
    assert_int_equal(deliver_all(&R, &FI), IKE_RX_OK);
    assert_true(FR.n > 1);
    assert_int_equal(deliver_all(&I, &FR), IKE_RX_OK);
    assert_int_equal(I.sa->state, IKE_SA_ESTABLISHED);
    ike_pair_free(&I, &R);
}

/* no: not announced, so the peer (yes) sends whole; SKF dropped. */
static void test_no(void **state)
{
    (void)state;
    setup_pair(IKE_FRAG_NO, IKE_FRAG_YES, SMALL);
    ike_pair_init(&I, &R);
    assert_false(has_frag_notify(I.sent, I.sent_len));
    assert_false(has_frag_notify(R.sent, R.sent_len));
    FI.n = FR.n = 0;
    assert_int_equal(ike_deliver(&I, &R), IKE_RX_OK);
    assert_int_equal(FI.n, 1);
    assert_int_equal(deliver_all(&R, &FI), IKE_RX_OK);
    assert_int_equal(FR.n, 1);
    assert_int_equal(deliver_all(&I, &FR), IKE_RX_OK);
    assert_int_equal(I.sa->state, IKE_SA_ESTABLISHED);
    ike_pair_free(&I, &R);
    /* force sends fragments to a peer with fragmentation = no */
    setup_pair(IKE_FRAG_FORCE, IKE_FRAG_NO, SMALL);
    run_init();
    assert_false(I.sa->peer_frag);
    assert_true(FI.n > 1);
    assert_int_equal(deliver_all(&R, &FI), IKE_RX_DROPPED);
    assert_non_null(strstr(last_drop, "fragmentation = no"));
    assert_int_equal(R.sa->state, IKE_SA_INIT_DONE);
    ike_pair_free(&I, &R);
}

/* CREATE_CHILD_SA both ways in fragments, on an established SA. */
static void test_create_child(void **state)
{
    (void)state;
    setup_pair(IKE_FRAG_YES, IKE_FRAG_YES, 120);
    run_init();
    assert_int_equal(deliver_all(&R, &FI), IKE_RX_OK);
    assert_int_equal(deliver_all(&I, &FR), IKE_RX_OK);
    FI.n = FR.n = 0;
    assert_int_equal(ike_sa_queue(I.sa, IKE_TASK_CHILD, 1), UIPSEC_OK);
    assert_true(FI.n > 1);
    assert_int_equal(deliver_all(&R, &FI), IKE_RX_OK);
    assert_true(FR.n > 1);
    assert_int_equal(deliver_all(&I, &FR), IKE_RX_OK);
    assert_int_equal(I.nchild, 2);
    assert_int_equal(R.nchild, 2);
    assert_int_equal(I.child.cfg, 1);
    ike_pair_free(&I, &R);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_fragmented),
        cmocka_unit_test(test_out_of_order_duplicate_tampered),
        cmocka_unit_test(test_retransmission),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_unexpected),
        cmocka_unit_test(test_natt_marker),
        cmocka_unit_test(test_accept),
        cmocka_unit_test(test_no),
        cmocka_unit_test(test_create_child),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
