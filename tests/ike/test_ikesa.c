/* SPDX-License-Identifier: MIT */
/*
 * The IKE SA state machine (src/ike/ikesa*.c, proposal.c) as two-peer
 * conversations in one process: a deterministic RNG, a send() that keeps
 * the datagram, a child_sa_up() that keeps the CHILD_SA.  Each test steps
 * one message at a time and checks states, SPIs, notifies, the chosen
 * suites, the narrowed selectors, and that both peers derive the same
 * CHILD_SA keys, which then carry a packet through libuipsec.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>

#include "ike_pair.h"
#include "ikesa.h"
#include "ikesa_int.h"
#include "proposal.h"
#include "testpkt.h"
#include "uipsec/spd.h"

/* The error notify type of an unprotected message, or 0. */
static uint16_t plain_notify(const uint8_t *buf, size_t len)
{
    static struct ike_msg m;

    assert_int_equal(ike_decode(buf, len, &m), IKE_DEC_OK);
    for (size_t k = 0; k < m.npayloads; k++)
        if (m.payloads[k].type == IKE_PL_NOTIFY && m.payloads[k].u.notify.type <= IKE_N_ERROR_MAX)
            return m.payloads[k].u.notify.type;
    return 0;
}

static void assert_same_dir(const struct uipsec_sa_params *a, const struct uipsec_sa_params *b)
{
    size_t enc, salt, auth;

    uipsec_suite_key_sizes(a, &enc, &salt, &auth);
    assert_int_equal(a->spi, b->spi);
    assert_int_equal(a->enc, b->enc);
    assert_int_equal(a->integ, b->integ);
    assert_int_equal(a->enc_key_len, b->enc_key_len);
    assert_memory_equal(a->enc_key, b->enc_key, enc);
    assert_memory_equal(a->salt, b->salt, salt);
    assert_int_equal(a->auth_key_len, b->auth_key_len);
    assert_memory_equal(a->auth_key, b->auth_key, auth);
}

static void assert_children_match(const struct ike_peer *i, const struct ike_peer *r)
{
    assert_int_equal(i->nchild, 1);
    assert_int_equal(r->nchild, 1);
    assert_same_dir(&i->child.out, &r->child.in);
    assert_same_dir(&i->child.in, &r->child.out);
    assert_int_not_equal(i->child.in.spi, i->child.out.spi);
    assert_int_equal(i->child.in.dir, UIPSEC_DIR_IN);
    assert_int_equal(r->child.out.dir, UIPSEC_DIR_OUT);
    assert_memory_not_equal(i->child.out.enc_key, i->child.in.enc_key, i->child.in.enc_key_len);
    assert_int_equal(i->child.nts, r->child.nts);
    for (size_t k = 0; k < i->child.nts; k++) {
        assert_memory_equal(&i->child.ts[k].local, &r->child.ts[k].remote,
                            sizeof(struct uipsec_ts));
        assert_memory_equal(&i->child.ts[k].remote, &r->child.ts[k].local,
                            sizeof(struct uipsec_ts));
    }
}

/* ---- a packet through the negotiated SAs ---- */

/* 10.1.0.5 -> 10.2.0.7, UDP */
static void ipv4_packet(uint8_t *p, size_t len)
{
    ipv4_udp(p, len, (const uint8_t[]){10, 1, 0, 5}, (const uint8_t[]){10, 2, 0, 7});
    for (size_t k = 28; k < len; k++)
        p[k] = (uint8_t)k;
}

static void pass_packet(const struct ike_peer *i, const struct ike_peer *r)
{
    struct uipsec_sa *out, *in;
    uint8_t mem[UIPSEC_HEADROOM + 100 + UIPSEC_TAILROOM], inner[100];
    struct uipsec_buf b = {.base = mem, .cap = sizeof mem, .off = UIPSEC_HEADROOM, .len = 100};

    ipv4_packet(inner, sizeof inner);
    memcpy(mem + UIPSEC_HEADROOM, inner, sizeof inner);
    assert_int_equal(uipsec_sa_new(&i->child.out, &out), UIPSEC_OK);
    assert_int_equal(uipsec_sa_new(&r->child.in, &in), UIPSEC_OK);
    assert_int_equal(uipsec_encap(out, &b, 1), 1);
    assert_int_equal(uipsec_decap(in, &b, 1), 1);
    assert_int_equal(b.len, sizeof inner);
    assert_memory_equal(mem + b.off, inner, sizeof inner);
    uipsec_sa_free(out);
    uipsec_sa_free(in);
}

/* ---- the suites ---- */

static void run_suite(const char *ike, const char *esp, uint16_t encr, uint16_t dh,
                      enum uipsec_enc enc, enum uipsec_integ integ)
{
    struct ike_side si = ike_side_i, sr = ike_side_r;
    static struct ike_peer i, r;

    si.ike = sr.ike = ike;
    si.esp = sr.esp = esp;
    ike_peer_init(&i, 1, true, &si);
    ike_peer_init(&r, 2, false, &sr);
    ike_pair_init(&i, &r);
    assert_int_equal(ike_prop_get(&r.sa->prop, IKE_TRANSFORM_ENCR).id, encr);
    assert_int_equal(r.sa->dh_group, dh);
    ike_pair_auth(&i, &r);
    assert_memory_equal(&i.sa->prop, &r.sa->prop, sizeof i.sa->prop);
    assert_children_match(&i, &r);
    assert_int_equal(i.child.out.enc, enc);
    assert_int_equal(i.child.out.integ, integ);
    assert_int_equal(i.child.in.mode, UIPSEC_MODE_TUNNEL);
    pass_packet(&i, &r);
    pass_packet(&r, &i);
    ike_pair_free(&i, &r);
}

static void test_aes256gcm_x25519(void **state)
{
    (void)state;
    run_suite("aes256gcm16-prfsha256-x25519", "aes256gcm16", IKE_ENCR_AES_GCM_16, IKE_DH_CURVE25519,
              UIPSEC_ENC_AES_GCM16, UIPSEC_INTEG_NONE);
}

static void test_aes128_sha256_modp2048(void **state)
{
    (void)state;
    run_suite("aes128-sha256-modp2048", "aes128-sha256", IKE_ENCR_AES_CBC, IKE_DH_MODP_2048,
              UIPSEC_ENC_AES_CBC, UIPSEC_INTEG_HMAC_SHA256_128);
}

static void test_chacha_ecp256(void **state)
{
    (void)state;
    run_suite("chacha20poly1305-prfsha256-ecp256", "chacha20poly1305", IKE_ENCR_CHACHA20_POLY1305,
              IKE_DH_ECP_256, UIPSEC_ENC_CHACHA20_POLY1305, UIPSEC_INTEG_NONE);
}

/* ---- negative conversations ---- */

static void test_wrong_psk(void **state)
{
    struct ike_side sr = ike_side_r;
    static struct ike_peer i, r;

    (void)state;
    sr.psk = "other";
    ike_peer_init(&i, 1, true, &ike_side_i);
    ike_peer_init(&r, 2, false, &sr);
    ike_pair_init(&i, &r);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_FAILED);
    assert_int_equal(r.sa->state, IKE_SA_FAILED);
    assert_int_equal(r.sa->fail_notify, IKE_N_AUTHENTICATION_FAILED);
    assert_int_equal(r.nsent, 2); /* the encrypted AUTHENTICATION_FAILED */
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_FAILED);
    assert_int_equal(i.sa->state, IKE_SA_FAILED);
    assert_int_equal(i.sa->fail_notify, IKE_N_AUTHENTICATION_FAILED);
    assert_int_equal(i.nchild + r.nchild, 0);
    ike_pair_free(&i, &r);
}

/* Ticks the fake clock by a second until the SA fails (or 200 s pass). */
static void tick_until_failed(struct ike_peer *p)
{
    for (unsigned k = 0; k < 200 && p->sa->state != IKE_SA_FAILED; k++) {
        p->now += 1000;
        ike_sa_tick(p->sa);
    }
}

/* NO_PROPOSAL_CHOSEN in an IKE_SA_INIT answer is not authenticated: the
 * initiator keeps retransmitting and fails with it only when the
 * retransmissions run out (RFC 7296 2.21.1). */
static void test_no_proposal(void **state)
{
    struct ike_side sr = ike_side_r;
    static struct ike_peer i, r;

    (void)state;
    sr.ike = "aes128-sha256-modp2048";
    ike_peer_init(&i, 1, true, &ike_side_i);
    ike_peer_init(&r, 2, false, &sr);
    assert_int_equal(ike_sa_initiate(&i.sa, &i.cfg, &i.env, &i.path, 0), UIPSEC_OK);
    assert_int_equal(ike_sa_respond(&r.sa, &r.cfg, &r.env, &r.path, i.sent, i.sent_len),
                     IKE_RX_FAILED);
    assert_null(r.sa);
    assert_int_equal(plain_notify(r.sent, r.sent_len), IKE_N_NO_PROPOSAL_CHOSEN);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_DROPPED);
    assert_int_equal(i.sa->state, IKE_SA_INIT_SENT);
    tick_until_failed(&i);
    assert_int_equal(i.sa->state, IKE_SA_FAILED);
    assert_int_equal(i.nsent, 1 + IKE_RETRANSMIT_TRIES);
    assert_int_equal(i.sa->fail_notify, IKE_N_NO_PROPOSAL_CHOSEN);
    ike_pair_free(&i, &r);
}

/* An unprotected error answer with its lone notify changed to type, with
 * a 2-byte group as its data, into out; returns its length. */
static size_t forged_notify(const uint8_t *buf, size_t len, uint16_t type, uint16_t group,
                            uint8_t *out)
{
    static struct ike_msg m;
    uint8_t g[2] = {(uint8_t)(group >> 8), (uint8_t)group};
    size_t n = 0;

    assert_int_equal(ike_decode(buf, len, &m), IKE_DEC_OK);
    assert_int_equal(m.npayloads, 1);
    m.payloads[0].u.notify.type = type;
    m.payloads[0].u.notify.data = (struct ike_bytes){g, 2};
    assert_int_equal(ike_encode(&m, out, IKE_MSG_MAX, &n), IKE_ENC_OK);
    return n;
}

/* A forged error notify, and a forged INVALID_KE_PAYLOAD, arrive
 * before the responder's: the initiator ignores both and goes on with
 * the real answer. */
static void test_init_forged_error(void **state)
{
    struct ike_side sr = ike_side_r;
    static struct ike_peer i, r, fake;
    static uint8_t forged_err[IKE_MSG_MAX], forged_ke[IKE_MSG_MAX];
    size_t err_len, ke_len;

    (void)state;
    ike_peer_init(&i, 1, true, &ike_side_i);
    ike_peer_init(&r, 2, false, &ike_side_r);
    sr.ike = "aes128-sha256-modp2048";
    ike_peer_init(&fake, 3, false, &sr);
    assert_int_equal(ike_sa_initiate(&i.sa, &i.cfg, &i.env, &i.path, 0), UIPSEC_OK);
    assert_int_equal(ike_sa_respond(&fake.sa, &fake.cfg, &fake.env, &fake.path, i.sent, i.sent_len),
                     IKE_RX_FAILED);
    memcpy(forged_err, fake.sent, err_len = fake.sent_len);
    ke_len = forged_notify(forged_err, err_len, IKE_N_INVALID_KE_PAYLOAD, IKE_DH_ECP_256,
                           forged_ke); /* a group i never offered */
    assert_int_equal(ike_sa_receive(i.sa, forged_err, err_len, NULL), IKE_RX_DROPPED);
    assert_int_equal(ike_sa_receive(i.sa, forged_ke, ke_len, NULL), IKE_RX_DROPPED);
    assert_int_equal(i.sa->state, IKE_SA_INIT_SENT);
    assert_int_equal(i.sa->fail_notify, IKE_N_INVALID_KE_PAYLOAD); /* the last one seen */
    assert_int_equal(i.nsent, 1);
    assert_int_equal(ike_sa_respond(&r.sa, &r.cfg, &r.env, &r.path, i.sent, i.sent_len), IKE_RX_OK);
    ike_pair_auth(&i, &r);
    assert_int_equal(i.sa->fail_notify, 0);
    assert_children_match(&i, &r);
    ike_pair_free(&i, &r);
}

/* The request i last sent, re-encoded with its KE data replaced. */
static size_t with_ke(const struct ike_peer *i, const uint8_t *ke, size_t ke_len, uint8_t *out)
{
    static struct ike_msg m;
    size_t n = 0;

    assert_int_equal(ike_decode(i->sent, i->sent_len, &m), IKE_DEC_OK);
    for (size_t k = 0; k < m.npayloads; k++)
        if (m.payloads[k].type == IKE_PL_KE)
            m.payloads[k].u.ke.data = (struct ike_bytes){ke, ke_len};
    assert_int_equal(ike_encode(&m, out, IKE_MSG_MAX, &n), IKE_ENC_OK);
    return n;
}

/* The responder checks the KE value before it makes a key pair, a SPI or
 * a nonce, and drops an invalid one unanswered (it used to answer in full
 * and keep nothing: a reflector and a CPU sink below the cookie limit). */
static void expect_bad_ke(const char *ike, const uint8_t *ke, size_t ke_len,
                          enum ike_init_drop want)
{
    struct ike_side si = ike_side_i, sr = ike_side_r;
    static struct ike_peer i, r;
    static uint8_t req[IKE_MSG_MAX];
    enum ike_init_drop why = IKE_INIT_DROP_NONE;
    size_t len;

    si.ike = sr.ike = ike;
    ike_peer_init(&i, 1, true, &si);
    ike_peer_init(&r, 2, false, &sr);
    assert_int_equal(ike_sa_initiate(&i.sa, &i.cfg, &i.env, &i.path, 0), UIPSEC_OK);
    len = with_ke(&i, ke, ke_len, req);
    assert_int_equal(ike_sa_respond(&r.sa, &r.cfg, &r.env, &r.path, req, len), IKE_RX_DROPPED);
    assert_null(r.sa);
    assert_int_equal(r.nsent, 0);
    assert_int_equal(r.ctr, 0); /* no SPI, no nonce */
    assert_int_equal(ike_sa_respond_why(&r.sa, &r.cfg, &r.env, &r.path, req, len, &why),
                     IKE_RX_DROPPED);
    assert_int_equal(why, want);
    assert_int_equal(r.nsent, 0);
    /* the request as sent is fine */
    assert_int_equal(ike_sa_respond_why(&r.sa, &r.cfg, &r.env, &r.path, i.sent, i.sent_len, &why),
                     IKE_RX_OK);
    assert_int_equal(why, IKE_INIT_DROP_NONE);
    assert_int_equal(r.nsent, 1);
    ike_pair_free(&i, &r);
}

static void test_init_bad_ke(void **state)
{
    static uint8_t ke[IKE_DH_MAX_KE_LEN + 1];
    BIGNUM *p = BN_get_rfc3526_prime_2048(NULL);

    (void)state;
    assert_non_null(p);
    memset(ke, 0, sizeof ke);
    expect_bad_ke("aes128-sha256-modp2048", ke, 256, IKE_INIT_DROP_BAD_KE); /* y = 0 */
    ke[255] = 1;
    expect_bad_ke("aes128-sha256-modp2048", ke, 256, IKE_INIT_DROP_BAD_KE); /* y = 1 */
    assert_true(BN_sub_word(p, 1) && BN_bn2binpad(p, ke, 256) == 256);
    expect_bad_ke("aes128-sha256-modp2048", ke, 256, IKE_INIT_DROP_BAD_KE); /* y = p - 1 */
    assert_true(BN_add_word(p, 1) && BN_bn2binpad(p, ke, 256) == 256);
    expect_bad_ke("aes128-sha256-modp2048", ke, 256, IKE_INIT_DROP_BAD_KE); /* y = p */
    memset(ke, 0xff, 256);
    expect_bad_ke("aes128-sha256-modp2048", ke, 256, IKE_INIT_DROP_BAD_KE); /* y > p */
    ke[0] = 0x7f;
    /* of the wrong length: the codec refuses them already (3.4) */
    expect_bad_ke("aes128-sha256-modp2048", ke, 255, IKE_INIT_DROP_MALFORMED);
    expect_bad_ke("aes128-sha256-modp4096", ke, 256, IKE_INIT_DROP_MALFORMED);
    memset(ke, 0, sizeof ke);
    ke[31] = 1;
    ke[63] = 1;
    expect_bad_ke("aes128-sha256-ecp256", ke, 64, IKE_INIT_DROP_BAD_KE); /* (1, 1): off the curve */
    expect_bad_ke("aes128-sha256-ecp256", ke, 65, IKE_INIT_DROP_MALFORMED);
    ke[0] = 9;
    expect_bad_ke("aes256gcm16-prfsha256-x25519", ke, 31, IKE_INIT_DROP_MALFORMED);
    expect_bad_ke("aes256gcm16-prfsha256-x25519", ke, 33, IKE_INIT_DROP_MALFORMED);
    assert_string_equal(ike_init_drop_name(IKE_INIT_DROP_BAD_KE), "bad-ke");
    BN_free(p);
}

static void test_invalid_ke_retry(void **state)
{
    struct ike_side si = ike_side_i, sr = ike_side_r;
    static struct ike_peer i, r;

    (void)state;
    si.ike = "aes256gcm16-prfsha256-x25519-ecp256";
    sr.ike = "aes256gcm16-prfsha256-ecp256";
    ike_peer_init(&i, 1, true, &si);
    ike_peer_init(&r, 2, false, &sr);
    assert_int_equal(ike_sa_initiate(&i.sa, &i.cfg, &i.env, &i.path, 0), UIPSEC_OK);
    assert_int_equal(i.sa->dh_group, IKE_DH_CURVE25519);
    assert_int_equal(ike_sa_respond(&r.sa, &r.cfg, &r.env, &r.path, i.sent, i.sent_len),
                     IKE_RX_FAILED);
    assert_null(r.sa);
    assert_int_equal(plain_notify(r.sent, r.sent_len), IKE_N_INVALID_KE_PAYLOAD);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(i.sa->state, IKE_SA_INIT_SENT);
    assert_int_equal(i.sa->dh_group, IKE_DH_ECP_256);
    assert_int_equal(i.nsent, 2);
    assert_false(i.sa->peer_initial_contact);
    assert_int_equal(ike_sa_respond(&r.sa, &r.cfg, &r.env, &r.path, i.sent, i.sent_len), IKE_RX_OK);
    ike_pair_auth(&i, &r);
    assert_children_match(&i, &r);
    ike_pair_free(&i, &r);
}

static void test_ts_unacceptable(void **state)
{
    struct ike_side sr = ike_side_r;
    static struct ike_peer i, r;

    (void)state;
    sr.ts_local = "10.9.0.0/16";
    ike_peer_init(&i, 1, true, &ike_side_i);
    ike_peer_init(&r, 2, false, &sr);
    ike_pair_init(&i, &r);
    ike_pair_auth(&i, &r); /* the IKE SA stands, without a CHILD_SA (1.2) */
    assert_int_equal(r.sa->child_notify, IKE_N_TS_UNACCEPTABLE);
    assert_int_equal(i.sa->child_notify, IKE_N_TS_UNACCEPTABLE);
    assert_int_equal(i.nchild + r.nchild, 0);
    ike_pair_free(&i, &r);
}

static void test_ts_narrowed(void **state)
{
    struct ike_side sr = ike_side_r;
    static struct ike_peer i, r;
    struct uipsec_selector want;

    (void)state;
    sr.ts_local = "10.2.1.0/24";
    sr.ts_remote = "10.1.0.0/16[tcp]";
    ike_peer_init(&i, 1, true, &ike_side_i);
    ike_peer_init(&r, 2, false, &sr);
    ike_pair_init(&i, &r);
    ike_pair_auth(&i, &r);
    assert_children_match(&i, &r);
    assert_int_equal(uipsec_selector_parse(&want, "10.1.0.0/16[tcp]", "10.2.1.0/24", NULL, 0),
                     UIPSEC_OK);
    assert_int_equal(i.child.nts, 1);
    assert_int_equal(i.child.ts[0].proto, 6);
    assert_memory_equal(&i.child.ts[0].local, &want.local, sizeof want.local);
    assert_memory_equal(&i.child.ts[0].remote, &want.remote, sizeof want.remote);
    ike_pair_free(&i, &r);
}

static void test_tampered_auth(void **state)
{
    static struct ike_peer i, r;
    static uint8_t saved[IKE_MSG_MAX];
    size_t len;

    (void)state;
    ike_peer_init(&i, 1, true, &ike_side_i);
    ike_peer_init(&r, 2, false, &ike_side_r);
    ike_pair_init(&i, &r);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    len = i.sent_len;
    memcpy(saved, i.sent, len);
    for (size_t k = IKE_HDR_LEN; k < len; k += 7) {
        i.sent[k] ^= 0x01;
        assert_int_equal(ike_sa_receive(r.sa, i.sent, len, NULL), IKE_RX_DROPPED);
        i.sent[k] ^= 0x01;
    }
    assert_int_equal(r.sa->state, IKE_SA_INIT_DONE);
    assert_int_equal(r.sa->msg_id_expect, 1);
    assert_int_equal(r.nsent, 1);
    assert_int_equal(ike_sa_receive(r.sa, saved, len, NULL), IKE_RX_OK);
    assert_int_equal(r.sa->state, IKE_SA_ESTABLISHED);
    /* A retransmitted request gets the same answer again. */
    assert_int_equal(ike_sa_receive(r.sa, saved, len, NULL), IKE_RX_OK);
    assert_int_equal(r.nsent, 3);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(i.sa->state, IKE_SA_ESTABLISHED);
    assert_children_match(&i, &r);
    ike_pair_free(&i, &r);
}

static void test_transport_mode(void **state)
{
    static struct ike_peer i, r;

    (void)state;
    ike_peer_init(&i, 1, true, &ike_side_i);
    ike_peer_init(&r, 2, false, &ike_side_r);
    i.cfg.child[0].mode = r.cfg.child[0].mode = UIPSEC_MODE_TRANSPORT;
    ike_pair_init(&i, &r);
    ike_pair_auth(&i, &r);
    assert_children_match(&i, &r);
    assert_int_equal(i.child.out.mode, UIPSEC_MODE_TRANSPORT);
    assert_int_equal(r.child.in.mode, UIPSEC_MODE_TRANSPORT);
    ike_pair_free(&i, &r);
}

/* Every identity type of the issue: IPv4, IPv6, RFC822, KEY_ID (FQDN is
 * everywhere else); the responder records what the initiator sent. */
static void test_id_types(void **state)
{
    static const struct {
        uint8_t ti;
        const char *i;
        uint8_t tr;
        const char *r;
    } ids[] = {{IKE_ID_IPV4_ADDR, "192.0.2.1", IKE_ID_RFC822_ADDR, "gw@example.org"},
               {IKE_ID_IPV6_ADDR, "2001:db8::1", IKE_ID_KEY_ID, "\x01\x02key"},
               {IKE_ID_KEY_ID, "k1", IKE_ID_IPV6_ADDR, "2001:db8::2"}};
    static struct ike_peer i, r;

    (void)state;
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
        ike_peer_init(&i, 1, true, &ike_side_i);
        ike_peer_init(&r, 2, false, &ike_side_r);
        assert_int_equal(ike_id_set(&i.cfg.local_id, ids[k].ti, ids[k].i), UIPSEC_OK);
        assert_int_equal(ike_id_set(&r.cfg.remote_id, ids[k].ti, ids[k].i), UIPSEC_OK);
        assert_int_equal(ike_id_set(&r.cfg.local_id, ids[k].tr, ids[k].r), UIPSEC_OK);
        assert_int_equal(ike_id_set(&i.cfg.remote_id, ids[k].tr, ids[k].r), UIPSEC_OK);
        ike_pair_init(&i, &r);
        ike_pair_auth(&i, &r);
        assert_int_equal(r.sa->peer_id.type, ids[k].ti);
        assert_memory_equal(&r.sa->peer_id, &i.cfg.local_id, sizeof i.cfg.local_id);
        assert_memory_equal(&i.sa->peer_id, &r.cfg.local_id, sizeof r.cfg.local_id);
        ike_pair_free(&i, &r);
    }
    /* the same bytes under another type are another identity */
    ike_peer_init(&i, 1, true, &ike_side_i);
    ike_peer_init(&r, 2, false, &ike_side_r);
    assert_int_equal(ike_id_set(&i.cfg.local_id, IKE_ID_KEY_ID, "moon"), UIPSEC_OK);
    ike_pair_init(&i, &r);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_FAILED);
    assert_int_equal(r.sa->fail_notify, IKE_N_AUTHENTICATION_FAILED);
    ike_pair_free(&i, &r);
}

/* ---- after IKE_AUTH: CREATE_CHILD_SA, INFORMATIONAL, timers ---- */

static void establish(struct ike_peer *i, struct ike_peer *r, const char *esp_i, const char *esp_r)
{
    ike_peer_init(i, 1, true, &ike_side_i);
    ike_peer_init(r, 2, false, &ike_side_r);
    ike_peer_add_child(i, true, esp_i);
    ike_peer_add_child(r, false, esp_r);
    ike_pair_init(i, r);
    ike_pair_auth(i, r);
    assert_children_match(i, r);
    i->nchild = r->nchild = 0;
}

static void test_create_child_pfs(void **state)
{
    static struct ike_peer i, r;

    (void)state;
    establish(&i, &r, "aes256gcm16-x25519", "aes128gcm16-x25519, aes256gcm16-x25519");
    assert_int_equal(ike_sa_queue(i.sa, IKE_TASK_CHILD, 1), UIPSEC_OK);
    assert_int_equal(i.nsent, 3);
    assert_true(i.sa->req_pending);
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_OK);
    assert_int_equal(r.nchild, 1);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_false(i.sa->req_pending);
    assert_children_match(&i, &r);
    assert_true(i.child.pfs && r.child.pfs);
    assert_int_equal(i.child.cfg, 1);
    assert_int_equal(r.child.cfg, 1);
    assert_int_equal(i.child.out.enc, UIPSEC_ENC_AES_GCM16);
    assert_int_equal(i.sa->nchildren, 2);
    assert_int_equal(r.sa->nchildren, 2);
    pass_packet(&i, &r);
    pass_packet(&r, &i);
    ike_pair_free(&i, &r);
}

/* Opens what `from` sent with `to`'s keys and checks the first TSi. */
static void assert_tsi_first_octets(struct ike_peer *to, struct ike_peer *from, uint8_t a,
                                    uint8_t b)
{
    const struct ike_payload *tsi = ike_msg_find(ike_opened(to, from), IKE_PL_TSI);

    assert_non_null(tsi);
    assert_int_equal(tsi->u.ts.ts[0].start[0], a);
    assert_int_equal(tsi->u.ts.ts[0].start[1], b);
}

/* The IKE SA's responder starts the exchange: TSi and the first keys are
 * its own (2.9, 2.17), not the IKE initiator's. */
static void test_create_child_by_responder(void **state)
{
    static struct ike_peer i, r;
    uint32_t old_in;

    (void)state;
    establish(&i, &r, "aes256gcm16-x25519", "aes256gcm16-x25519");
    assert_int_equal(ike_sa_queue(r.sa, IKE_TASK_CHILD, 1), UIPSEC_OK);
    assert_tsi_first_octets(&i, &r, 10, 2); /* the sender's own 10.2.5.0/24 */
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(i.nchild, 1);
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_OK);
    assert_children_match(&i, &r);
    assert_int_equal(i.child.cfg, 1);
    pass_packet(&i, &r);
    pass_packet(&r, &i);
    /* and the responder rekeys it */
    old_in = r.child.in.spi;
    i.nchild = r.nchild = 0;
    assert_int_equal(ike_sa_queue(r.sa, IKE_TASK_REKEY_CHILD, old_in), UIPSEC_OK);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_OK);
    assert_children_match(&i, &r);
    assert_int_equal(r.child.replaces, old_in);
    pass_packet(&r, &i);
    ike_pair_free(&i, &r);
}

static void test_create_child_invalid_ke(void **state)
{
    static struct ike_peer i, r;

    (void)state;
    establish(&i, &r, "aes256gcm16-x25519-ecp256", "aes256gcm16-ecp256");
    assert_int_equal(ike_sa_queue(i.sa, IKE_TASK_CHILD, 1), UIPSEC_OK);
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_OK);
    assert_int_equal(r.nchild, 0); /* INVALID_KE_PAYLOAD(ecp256) */
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_true(i.sa->req_pending); /* asked again with ecp256 */
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_OK);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_children_match(&i, &r);
    assert_int_equal(i.nfailed, 0);
    ike_pair_free(&i, &r);
}

static void test_create_child_pfs_mismatch(void **state)
{
    static struct ike_peer i, r;

    (void)state;
    establish(&i, &r, "aes256gcm16-x25519", "aes256gcm16");
    assert_int_equal(ike_sa_queue(i.sa, IKE_TASK_CHILD, 1), UIPSEC_OK);
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_OK);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(i.nchild + r.nchild, 0);
    assert_int_equal(i.nfailed, 1);
    assert_int_equal(i.failed_notify, IKE_N_NO_PROPOSAL_CHOSEN);
    assert_int_equal(i.sa->state, IKE_SA_ESTABLISHED);
    assert_int_equal(r.sa->state, IKE_SA_ESTABLISHED);
    ike_pair_free(&i, &r);
}

/* The peer asks for a CHILD_SA without KE while every proposal of ours
 * names a DH group: refused with NO_PROPOSAL_CHOSEN, not made without
 * PFS. */
static void test_create_child_without_ke(void **state)
{
    static struct ike_peer i, r;

    (void)state;
    establish(&i, &r, "aes256gcm16", "aes256gcm16-x25519");
    r.cfg.child[0].esp = r.cfg.child[1].esp; /* whose selectors fit too */
    assert_int_equal(ike_sa_queue(i.sa, IKE_TASK_CHILD, 1), UIPSEC_OK);
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_OK);
    assert_int_equal(r.nchild, 0);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(i.nchild, 0);
    assert_int_equal(i.nfailed, 1);
    assert_int_equal(i.failed_notify, IKE_N_NO_PROPOSAL_CHOSEN);
    assert_int_equal(i.sa->nchildren + r.sa->nchildren, 2); /* the first CHILD_SA only */
    /* a proposal without DH beside one with it: PFS is optional, the
     * CHILD_SA is made without */
    assert_int_equal(ike_prop_parse("aes256gcm16-x25519, aes256gcm16", IKE_PROTO_ESP,
                                    &r.cfg.child[1].esp, NULL, 0),
                     UIPSEC_OK);
    assert_int_equal(ike_sa_queue(i.sa, IKE_TASK_CHILD, 1), UIPSEC_OK);
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_OK);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_children_match(&i, &r);
    assert_false(i.child.pfs || r.child.pfs);
    ike_pair_free(&i, &r);
}

/* The same for a CHILD_SA rekey: the old CHILD_SA stays, no new one. */
static void test_rekey_child_without_ke(void **state)
{
    static struct ike_peer i, r;
    uint32_t old_in;

    (void)state;
    establish(&i, &r, "aes256gcm16", "aes256gcm16");
    assert_int_equal(
        ike_prop_parse("aes256gcm16-x25519", IKE_PROTO_ESP, &r.cfg.child[0].esp, NULL, 0),
        UIPSEC_OK);                          /* the responder demands PFS on rekeys */
    r.cfg.child[1].esp = r.cfg.child[0].esp; /* whose selectors fit narrowed */
    old_in = i.sa->children[0].spi_in;
    assert_int_equal(ike_sa_queue(i.sa, IKE_TASK_REKEY_CHILD, old_in), UIPSEC_OK);
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_OK);
    assert_int_equal(r.nchild, 0);
    assert_false(r.sa->children[0].rekeyed);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(i.nchild, 0);
    assert_int_equal(i.sa->nchildren, 1);
    assert_int_equal(i.sa->children[0].spi_in, old_in);
    assert_false(i.sa->children[0].rekeyed);
    assert_int_equal(i.ndown + r.ndown, 0);
    assert_int_equal(i.sa->state, IKE_SA_ESTABLISHED);
    ike_pair_free(&i, &r);
}

/* Our request demanded a KE; the answer (sealed with the peer's real
 * keys) chose the group but sent no KE, or dropped the group: no CHILD_SA. */
static void answer_without_ke(bool keep_group, uint16_t want)
{
    static struct ike_peer i, r;
    static struct ike_child_wire cw;
    struct ike_payload pl[6], mid;
    struct ike_prop prop;
    uint8_t spi[4] = {1, 2, 3, 4}, nr[IKE_NONCE_LEN] = {7};
    size_t n = 0;

    establish(&i, &r, "aes256gcm16-x25519", "aes256gcm16-x25519");
    assert_int_equal(ike_sa_queue(i.sa, IKE_TASK_CHILD, 1), UIPSEC_OK);
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_OK);
    assert_int_equal(r.nchild, 1); /* the real answer, not delivered */
    prop = r.child.esp;
    if (!keep_group)
        prop.n[IKE_TRANSFORM_DH] = 0;
    mid = (struct ike_payload){.type = IKE_PL_NONCE, .u.nonce = {nr, sizeof nr}};
    ike_child_payloads(false, &cw, &prop, 1, spi, r.child.ts, r.child.nts, false, &mid, 1, pl, &n);
    assert_int_equal(
        ike_sa_send_sk(r.sa, IKE_EXCH_CREATE_CHILD_SA, true, r.sa->msg_id_expect - 1, pl, n),
        UIPSEC_OK);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(i.nchild, 0);
    assert_int_equal(i.nfailed, 1);
    assert_int_equal(i.failed_notify, want);
    assert_int_equal(i.sa->nchildren, 1);
    /* the peer made the CHILD_SA we refused: it is told to delete it */
    assert_int_equal(r.sa->nchildren, 2);
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_OK);
    assert_int_equal(r.ndown, 1);
    assert_int_equal(r.sa->nchildren, 1);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(i.sa->nchildren, 1);
    assert_int_equal(i.ndown, 0);
    assert_int_equal(i.sa->state, IKE_SA_ESTABLISHED);
    ike_pair_free(&i, &r);
}

static void test_child_answer_without_ke(void **state)
{
    (void)state;
    answer_without_ke(true, IKE_N_INVALID_SYNTAX);
    answer_without_ke(false, IKE_N_NO_PROPOSAL_CHOSEN);
}

static void test_delete_child(void **state)
{
    static struct ike_peer i, r;
    uint32_t in, out;

    (void)state;
    establish(&i, &r, "aes256gcm16", "aes256gcm16");
    in = i.child.in.spi;
    out = i.child.out.spi;
    assert_int_equal(ike_sa_queue(i.sa, IKE_TASK_DELETE_CHILD, in), UIPSEC_OK);
    assert_int_equal(i.ndown, 0); /* inbound stays until the answer */
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_OK);
    assert_int_equal(r.ndown, 1);
    assert_int_equal(r.down_in, out);
    assert_int_equal(r.down_out, in);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(i.ndown, 1);
    assert_int_equal(i.down_in, in);
    assert_int_equal(i.sa->nchildren + r.sa->nchildren, 0);
    assert_int_equal(i.sa->state, IKE_SA_ESTABLISHED);
    ike_pair_free(&i, &r);
}

/* The responder deletes the IKE SA: its requests carry its own IDs. */
static void test_delete_ike(void **state)
{
    static struct ike_peer i, r;

    (void)state;
    establish(&i, &r, "aes256gcm16", "aes256gcm16");
    assert_int_equal(ike_sa_queue(r.sa, IKE_TASK_DELETE_IKE, 0), UIPSEC_OK);
    assert_int_equal(r.sa->state, IKE_SA_DELETING);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(i.sa->state, IKE_SA_DELETED);
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_OK);
    assert_int_equal(r.sa->state, IKE_SA_DELETED);
    ike_pair_free(&i, &r);
}

static void test_retransmit_and_liveness(void **state)
{
    static struct ike_peer i, r;
    static uint8_t req[IKE_MSG_MAX], resp[IKE_MSG_MAX];
    size_t req_len, resp_len;
    unsigned sent;

    (void)state;
    establish(&i, &r, "aes256gcm16", "aes256gcm16");
    assert_int_equal(ike_sa_queue(i.sa, IKE_TASK_LIVENESS, 0), UIPSEC_OK);
    memcpy(req, i.sent, req_len = i.sent_len);
    sent = i.nsent;
    ike_sa_tick(i.sa); /* not yet due */
    assert_int_equal(i.nsent, sent);
    i.now += IKE_RETRANSMIT_MS;
    ike_sa_tick(i.sa);
    assert_int_equal(i.nsent, sent + 1);
    assert_memory_equal(i.sent, req, req_len);
    assert_int_equal(ike_sa_receive(r.sa, req, req_len, NULL), IKE_RX_OK);
    memcpy(resp, r.sent, resp_len = r.sent_len);
    assert_int_equal(ike_sa_receive(r.sa, req, req_len, NULL), IKE_RX_OK); /* again: cached */
    assert_memory_equal(r.sent, resp, resp_len);
    assert_int_equal(ike_sa_receive(i.sa, resp, resp_len, NULL), IKE_RX_OK);
    assert_false(i.sa->req_pending);
    assert_int_equal(ike_sa_receive(i.sa, resp, resp_len, NULL), IKE_RX_DROPPED);
    /* A peer that never answers: backoff, then the SA fails. */
    assert_int_equal(ike_sa_queue(i.sa, IKE_TASK_LIVENESS, 0), UIPSEC_OK);
    sent = i.nsent;
    tick_until_failed(&i);
    assert_int_equal(i.sa->state, IKE_SA_FAILED);
    assert_int_equal(i.nsent, sent + IKE_RETRANSMIT_TRIES);
    assert_true(i.now >= 2000ull * ((1u << (IKE_RETRANSMIT_TRIES + 1)) - 1));
    ike_pair_free(&i, &r);
}

/* encap = yes on the initiator: both see a NAT, IKE moves to 4500 and
 * the CHILD_SA is ESP in UDP. */
static void test_forced_encap(void **state)
{
    static struct ike_peer i, r;
    struct ike_path from;

    (void)state;
    ike_peer_init(&i, 1, true, &ike_side_i);
    ike_peer_init(&r, 2, false, &ike_side_r);
    i.cfg.force_encap = true;
    i.cfg.initial_contact = true;
    ike_pair_init(&i, &r);
    assert_true(r.sa->nat_remote);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(i.sa->path.remote_port, IKE_NATT_PORT);
    assert_int_equal(i.sa->path.local_port, IKE_NATT_PORT);
    from = r.path;
    from.local_port = from.remote_port = IKE_NATT_PORT;
    assert_int_equal(ike_sa_receive(r.sa, i.sent, i.sent_len, &from), IKE_RX_OK);
    assert_int_equal(r.sa->path.remote_port, IKE_NATT_PORT);
    assert_true(r.sa->peer_initial_contact);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_children_match(&i, &r);
    assert_int_equal(i.child.out.udp_dport, IKE_NATT_PORT);
    assert_int_equal(r.child.out.udp_sport, IKE_NATT_PORT);
    pass_packet(&i, &r);
    ike_pair_free(&i, &r);
}

/* The initiator rekeys the CHILD_SA: a new one (PFS), then DELETE of the
 * old one on both sides (1.3.3, 2.8). */
static void test_rekey_child(void **state)
{
    static struct ike_peer i, r;
    uint32_t old_in, old_out;

    (void)state;
    establish(&i, &r, "aes256gcm16", "aes256gcm16");
    i.cfg.child[0].esp.p[0].n[IKE_TRANSFORM_DH] = 1; /* PFS on the rekey */
    i.cfg.child[0].esp.p[0].alg[IKE_TRANSFORM_DH][0] = (struct ike_alg){IKE_DH_CURVE25519, 0};
    r.cfg.child[0].esp.p[0] = i.cfg.child[0].esp.p[0];
    old_in = i.sa->children[0].spi_in;
    old_out = i.sa->children[0].spi_out;
    assert_int_equal(ike_sa_queue(i.sa, IKE_TASK_REKEY_CHILD, old_in), UIPSEC_OK);
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_OK);
    assert_int_equal(r.nchild, 1);
    assert_int_equal(r.child.replaces, old_out);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_children_match(&i, &r);
    assert_int_equal(i.child.replaces, old_in);
    assert_true(i.child.pfs);
    assert_int_equal(i.ndown, 0); /* DELETE of the old one sent, it waits */
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_OK);
    assert_int_equal(r.ndown, 1);
    assert_int_equal(r.down_in, old_out);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(i.ndown, 1);
    assert_int_equal(i.down_in, old_in);
    assert_int_equal(i.sa->nchildren, 1);
    assert_int_equal(r.sa->nchildren, 1);
    assert_int_equal(i.sa->children[0].spi_in, i.child.in.spi);
    pass_packet(&i, &r);
    ike_pair_free(&i, &r);
}

/* Every CHILD_SA one side holds has its mirror on the other, and no two
 * share an inbound SPI. */
static void assert_children_mirror(const struct ike_sa *a, const struct ike_sa *b)
{
    assert_int_equal(a->nchildren, b->nchildren);
    for (size_t k = 0; k < a->nchildren; k++) {
        bool found = false;

        for (size_t j = 0; j < b->nchildren; j++)
            found |= b->children[j].spi_out == a->children[k].spi_in &&
                     b->children[j].spi_in == a->children[k].spi_out;
        assert_true(found);
        for (size_t j = 0; j < k; j++)
            assert_int_not_equal(a->children[j].spi_in, a->children[k].spi_in);
    }
}

/* Both sides ask for a CHILD_SA at once (one request in flight each way,
 * 2.3): answering the peer's must not disturb our own. */
static void test_crossing_creates(void **state)
{
    static struct ike_peer i, r;
    static uint8_t ireq[IKE_MSG_MAX], rreq[IKE_MSG_MAX];
    size_t ilen, rlen;

    (void)state;
    establish(&i, &r, "aes256gcm16", "aes256gcm16");
    assert_int_equal(ike_sa_queue(i.sa, IKE_TASK_CHILD, 1), UIPSEC_OK);
    memcpy(ireq, i.sent, ilen = i.sent_len);
    assert_int_equal(ike_sa_queue(r.sa, IKE_TASK_CHILD, 1), UIPSEC_OK);
    memcpy(rreq, r.sent, rlen = r.sent_len);
    assert_int_equal(ike_sa_receive(i.sa, rreq, rlen, NULL), IKE_RX_OK); /* i answers r */
    memcpy(rreq, i.sent, rlen = i.sent_len);
    assert_int_equal(ike_sa_receive(r.sa, ireq, ilen, NULL), IKE_RX_OK); /* r answers i */
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(ike_sa_receive(r.sa, rreq, rlen, NULL), IKE_RX_OK);
    assert_int_equal(i.sa->nchildren, 3);
    assert_children_mirror(i.sa, r.sa);
    assert_children_mirror(r.sa, i.sa);
    ike_pair_free(&i, &r);
}

/* A send() that records where the datagram goes: the SA's path then. */
static struct ike_path last_dest;

static void mock_send_where(void *arg, const uint8_t *buf, size_t len)
{
    struct ike_peer *p = arg;

    ike_peer_send(arg, buf, len);
    last_dest = p->sa ? p->sa->path : p->path;
}

/* A repeated request is answered again only to the address and port the
 * original came from: one repeated from elsewhere (anyone who saw it can
 * send it) is dropped, or the cached answer would be reflected to a
 * victim.  The SA does not move; a forged request with the same message
 * ID is not answered at all. */
static void test_repeat_and_forgery(void **state)
{
    static struct ike_peer i, r;
    static uint8_t req[IKE_MSG_MAX];
    struct ike_path from, before, port;
    size_t len;
    unsigned sent;

    (void)state;
    establish(&i, &r, "aes256gcm16", "aes256gcm16");
    r.env.send = mock_send_where;
    assert_int_equal(ike_sa_queue(i.sa, IKE_TASK_LIVENESS, 0), UIPSEC_OK);
    memcpy(req, i.sent, len = i.sent_len);
    assert_int_equal(ike_sa_receive(r.sa, req, len, &r.path), IKE_RX_OK);
    before = r.sa->path;
    from = r.path;
    ike_addr4(&from.remote, 66);
    from.remote_port = 1234;
    port = r.path;
    port.remote_port = 4321; /* the peer's address, another port */
    sent = r.nsent;
    assert_int_equal(ike_sa_receive(r.sa, req, len, &from), IKE_RX_DROPPED);
    assert_int_equal(ike_sa_receive(r.sa, req, len, &port), IKE_RX_DROPPED);
    assert_int_equal(r.nsent, sent);
    assert_memory_equal(&r.sa->path, &before, sizeof before);
    assert_int_equal(ike_sa_receive(r.sa, req, len, &r.path), IKE_RX_OK); /* from the peer */
    assert_int_equal(r.nsent, sent + 1);
    assert_memory_equal(&last_dest.remote, &r.path.remote, sizeof r.path.remote);
    assert_int_equal(last_dest.remote_port, r.path.remote_port);
    req[len - 1] ^= 1; /* same header and ID, other bytes */
    assert_int_equal(ike_sa_receive(r.sa, req, len, &from), IKE_RX_DROPPED);
    assert_int_equal(ike_sa_receive(r.sa, req, len, &r.path), IKE_RX_DROPPED);
    assert_int_equal(r.nsent, sent + 1);
    assert_memory_equal(&r.sa->path, &before, sizeof before);
    /* the same for a repeated IKE_SA_INIT request */
    ike_pair_free(&i, &r);
    ike_peer_init(&i, 1, true, &ike_side_i);
    ike_peer_init(&r, 2, false, &ike_side_r);
    r.env.send = mock_send_where;
    ike_pair_init(&i, &r);
    sent = r.nsent;
    assert_int_equal(ike_sa_receive(r.sa, i.sent, i.sent_len, &from), IKE_RX_DROPPED);
    assert_int_equal(r.nsent, sent);
    assert_int_equal(ike_sa_receive(r.sa, i.sent, i.sent_len, &r.path), IKE_RX_OK);
    assert_int_equal(r.nsent, sent + 1);
    assert_memory_equal(&last_dest.remote, &r.path.remote, sizeof r.path.remote);
    /* an IKE_SA_INIT response from elsewhere does not move the initiator */
    ike_pair_free(&i, &r);
    ike_peer_init(&i, 1, true, &ike_side_i);
    ike_peer_init(&r, 2, false, &ike_side_r);
    ike_pair_init(&i, &r);
    before = i.sa->path;
    from = i.path;
    ike_addr4(&from.remote, 66);
    assert_int_equal(ike_sa_receive(i.sa, r.sent, r.sent_len, &from), IKE_RX_OK);
    assert_memory_equal(&i.sa->path.remote, &before.remote, sizeof before.remote);
    ike_pair_free(&i, &r);
}

/* An IKE SA with an exchange of its own in flight refuses to be rekeyed
 * (the answer would come to the old SA after its children moved). */
static void test_rekey_ike_while_busy(void **state)
{
    static struct ike_peer i, r;
    static uint8_t ireq[IKE_MSG_MAX];
    size_t ilen;

    (void)state;
    establish(&i, &r, "aes256gcm16", "aes256gcm16");
    assert_int_equal(ike_sa_queue(i.sa, IKE_TASK_CHILD, 1), UIPSEC_OK);
    memcpy(ireq, i.sent, ilen = i.sent_len);
    assert_int_equal(ike_sa_queue(r.sa, IKE_TASK_REKEY_IKE, 0), UIPSEC_OK);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_null(i.successor); /* refused: TEMPORARY_FAILURE */
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_OK);
    assert_null(r.successor);
    assert_int_equal(ike_sa_receive(r.sa, ireq, ilen, NULL), IKE_RX_OK);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(i.sa->nchildren, 2);
    assert_children_mirror(i.sa, r.sa);
    ike_pair_free(&i, &r);
}

/* The responder rekeys the IKE SA: both get a new SA with new SPIs and
 * keys and the CHILD_SA; the old one is deleted; the new one works. */
static void test_rekey_ike(void **state)
{
    static struct ike_peer i, r;
    struct ike_sa *old_i, *old_r;

    (void)state;
    establish(&i, &r, "aes256gcm16", "aes256gcm16");
    old_i = i.sa;
    old_r = r.sa;
    assert_int_equal(ike_sa_queue(r.sa, IKE_TASK_REKEY_IKE, 0), UIPSEC_OK);
    assert_int_equal(ike_sa_receive(old_i, r.sent, r.sent_len, NULL), IKE_RX_OK);
    assert_non_null(i.successor);
    assert_int_equal(ike_sa_receive(old_r, i.sent, i.sent_len, NULL), IKE_RX_OK);
    assert_non_null(r.successor);
    assert_int_equal(old_r->state, IKE_SA_DELETING);
    assert_int_equal(ike_sa_receive(old_i, r.sent, r.sent_len, NULL), IKE_RX_OK);
    assert_int_equal(old_i->state, IKE_SA_DELETED);
    assert_int_equal(ike_sa_receive(old_r, i.sent, i.sent_len, NULL), IKE_RX_OK);
    assert_int_equal(old_r->state, IKE_SA_DELETED);
    i.sa = i.successor;
    r.sa = r.successor;
    assert_int_equal(i.ndown + r.ndown, 0); /* the children moved, none went */
    assert_int_equal(i.sa->nchildren, 1);
    assert_int_equal(r.sa->role, IKE_ROLE_INITIATOR); /* the rekey's initiator (2.18) */
    assert_memory_equal(i.sa->spi_i, r.sa->spi_i, IKE_SPI_LEN);
    assert_memory_not_equal(i.sa->spi_i, old_i->spi_i, IKE_SPI_LEN);
    assert_memory_not_equal(i.sa->keys->d.p, old_i->keys->d.p, i.sa->keys->d.len);
    ike_sa_free(old_i);
    ike_sa_free(old_r);
    /* the new SA carries exchanges: a CHILD_SA from the other side */
    assert_int_equal(ike_sa_queue(i.sa, IKE_TASK_CHILD, 1), UIPSEC_OK);
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_OK);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_children_match(&i, &r);
    ike_pair_free(&i, &r);
}

/* The error notify in what `from` last sent, opened with `to`'s keys, or 0. */
static uint16_t sealed_error(struct ike_peer *to, const struct ike_peer *from)
{
    const struct ike_pl_notify *n = ike_msg_error(ike_opened(to, from));

    return n ? n->type : 0;
}

/* An IKE SA rekey whose KE is off the curve is refused with INVALID_SYNTAX
 * before a key pair is made (it used to go unanswered). */
static void test_rekey_ike_bad_ke(void **state)
{
    static struct ike_peer i, r;
    static struct ike_prop_wire w;
    static uint8_t ke[64];
    struct ike_pl_sa sa_pl;
    uint8_t spi[IKE_SPI_LEN] = {9, 9, 9, 9, 9, 9, 9, 9}, nonce[IKE_NONCE_LEN] = {5};
    struct ike_payload pl[3];
    unsigned sent;

    (void)state;
    establish(&i, &r, "aes256gcm16", "aes256gcm16");
    assert_int_equal(
        ike_prop_parse("aes256gcm16-prfsha256-ecp256", IKE_PROTO_IKE, &r.cfg.ike, NULL, 0),
        UIPSEC_OK);
    ke[31] = ke[63] = 1; /* (1, 1) */
    ike_prop_to_pl(r.cfg.ike.p, 1, spi, IKE_SPI_LEN, &w, &sa_pl);
    pl[0] = (struct ike_payload){.type = IKE_PL_SA, .u.sa = sa_pl};
    pl[1] = (struct ike_payload){.type = IKE_PL_NONCE, .u.nonce = {nonce, sizeof nonce}};
    pl[2] = (struct ike_payload){.type = IKE_PL_KE,
                                 .u.ke = {.group = IKE_DH_ECP_256, .data = {ke, sizeof ke}}};
    assert_int_equal(
        ike_sa_send_sk(i.sa, IKE_EXCH_CREATE_CHILD_SA, false, i.sa->msg_id_send, pl, 3), UIPSEC_OK);
    sent = r.nsent;
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_OK);
    assert_null(r.successor);
    assert_int_equal(r.nsent, sent + 1);
    assert_int_equal(sealed_error(&i, &r), IKE_N_INVALID_SYNTAX);
    assert_int_equal(r.sa->state, IKE_SA_ESTABLISHED);
    ike_pair_free(&i, &r);
}

/* A responder under load asks for a cookie; the initiator echoes it and
 * the exchange goes on (2.6). */
static void test_cookie(void **state)
{
    static struct ike_peer i, r;
    uint8_t secrets[2][IKE_COOKIE_SECRET_LEN], reply[IKE_COOKIE_REPLY_MAX];
    size_t rlen = 0;
    unsigned sent;

    (void)state;
    memset(secrets, 0x5a, sizeof secrets);
    ike_peer_init(&i, 1, true, &ike_side_i);
    ike_peer_init(&r, 2, false, &ike_side_r);
    assert_int_equal(ike_sa_initiate(&i.sa, &i.cfg, &i.env, &i.path, 0), UIPSEC_OK);
    assert_int_equal(ike_cookie_check((const uint8_t(*)[IKE_COOKIE_SECRET_LEN])secrets, 7, &r.path,
                                      i.sent, i.sent_len, reply, &rlen),
                     0);
    assert_int_equal(plain_notify(reply, rlen), 0); /* COOKIE is a status notify */
    sent = i.nsent;
    assert_int_equal(ike_sa_receive(i.sa, reply, rlen, NULL), IKE_RX_OK);
    assert_int_equal(i.nsent, sent + 1);
    assert_int_equal(ike_cookie_check((const uint8_t(*)[IKE_COOKIE_SECRET_LEN])secrets, 7, &r.path,
                                      i.sent, i.sent_len, reply, &rlen),
                     1);
    /* the next generation still takes it; one after that does not */
    assert_int_equal(ike_cookie_check((const uint8_t(*)[IKE_COOKIE_SECRET_LEN])secrets, 8, &r.path,
                                      i.sent, i.sent_len, reply, &rlen),
                     1);
    secrets[1][0] ^= 1; /* generation 9 has a new secret in slot 1 */
    assert_int_equal(ike_cookie_check((const uint8_t(*)[IKE_COOKIE_SECRET_LEN])secrets, 9, &r.path,
                                      i.sent, i.sent_len, reply, &rlen),
                     0);
    assert_int_equal(ike_sa_respond(&r.sa, &r.cfg, &r.env, &r.path, i.sent, i.sent_len), IKE_RX_OK);
    ike_pair_auth(&i, &r);
    assert_children_match(&i, &r);
    ike_pair_free(&i, &r);
}

/* ---- proposals alone ---- */

static void test_proposal_parse(void **state)
{
    struct ike_prop_list l;
    char err[128], text[128];

    (void)state;
    assert_int_equal(ike_prop_parse("aes128-sha256-modp2048,aes256gcm16-prfsha384-x25519-ecp256",
                                    IKE_PROTO_IKE, &l, err, sizeof err),
                     UIPSEC_OK);
    assert_int_equal(l.n, 2);
    assert_int_equal(ike_prop_get(&l.p[0], IKE_TRANSFORM_PRF).id, IKE_PRF_HMAC_SHA2_256);
    assert_int_equal(l.p[1].n[IKE_TRANSFORM_DH], 2);
    ike_prop_format(&l.p[1], text, sizeof text);
    assert_string_equal(text, "aes256gcm16-prfsha384-x25519-ecp256");
    assert_int_equal(ike_prop_parse("aes256gcm16-x25519-esn", IKE_PROTO_ESP, &l, err, sizeof err),
                     UIPSEC_OK);
    assert_int_equal(ike_prop_get(&l.p[0], IKE_TRANSFORM_ESN).id, IKE_ESN_YES);
    assert_int_equal(ike_prop_parse("aes256gcm16-prfsha256", IKE_PROTO_IKE, &l, err, sizeof err),
                     UIPSEC_E_PARAM);
    assert_int_equal(ike_prop_parse("aes128", IKE_PROTO_ESP, &l, err, sizeof err), UIPSEC_E_PARAM);
    assert_int_equal(
        ike_prop_parse("aes256gcm16-sha256-x25519-prfsha256", IKE_PROTO_IKE, &l, err, sizeof err),
        UIPSEC_E_PARAM);
    assert_int_equal(ike_prop_parse("aes128-md5", IKE_PROTO_ESP, &l, err, sizeof err),
                     UIPSEC_E_PARAM);
    assert_non_null(strstr(err, "'md5'"));
    assert_int_equal(ike_prop_parse("aes128,,aes256", IKE_PROTO_ESP, &l, err, sizeof err),
                     UIPSEC_E_PARAM);
}

/* The responder's preference wins (prefer_configured_proposals). */
static void test_proposal_select(void **state)
{
    struct ike_prop_list mine, offer;
    struct ike_prop_wire w;
    struct ike_pl_sa pl;
    struct ike_prop chosen;
    struct uipsec_sa_params p = {0};
    size_t idx;

    (void)state;
    assert_int_equal(ike_prop_parse("aes128-sha256,aes256gcm16", IKE_PROTO_ESP, &offer, NULL, 0),
                     UIPSEC_OK);
    assert_int_equal(
        ike_prop_parse("aes256gcm16-esn-noesn,aes128-sha256", IKE_PROTO_ESP, &mine, NULL, 0),
        UIPSEC_OK);
    ike_prop_to_pl(offer.p, offer.n, (const uint8_t *)"\1\2\3\4", 4, &w, &pl);
    assert_true(ike_prop_select(&mine, &pl, true, &chosen, &idx));
    assert_int_equal(idx, 1);
    assert_int_equal(ike_prop_get(&chosen, IKE_TRANSFORM_ENCR).id, IKE_ENCR_AES_GCM_16);
    assert_int_equal(ike_prop_get(&chosen, IKE_TRANSFORM_ESN).id, IKE_ESN_NO);
    assert_int_equal(ike_prop_esp_params(&chosen, &p), UIPSEC_OK);
    assert_int_equal(p.enc, UIPSEC_ENC_AES_GCM16);
    assert_int_equal(p.enc_key_len, 32);
    assert_int_equal(ike_prop_parse("aes256-sha512", IKE_PROTO_ESP, &mine, NULL, 0), UIPSEC_OK);
    assert_false(ike_prop_select(&mine, &pl, true, &chosen, &idx));
    /* PFS group in the offer: ignored in IKE_AUTH, required otherwise. */
    assert_int_equal(ike_prop_parse("aes128-sha256-ecp256", IKE_PROTO_ESP, &offer, NULL, 0),
                     UIPSEC_OK);
    ike_prop_to_pl(offer.p, offer.n, (const uint8_t *)"\1\2\3\4", 4, &w, &pl);
    assert_int_equal(ike_prop_parse("aes128-sha256", IKE_PROTO_ESP, &mine, NULL, 0), UIPSEC_OK);
    assert_true(ike_prop_select(&mine, &pl, true, &chosen, &idx));
    assert_false(ike_prop_select(&mine, &pl, false, &chosen, &idx));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proposal_parse),
        cmocka_unit_test(test_proposal_select),
        cmocka_unit_test(test_aes256gcm_x25519),
        cmocka_unit_test(test_aes128_sha256_modp2048),
        cmocka_unit_test(test_chacha_ecp256),
        cmocka_unit_test(test_wrong_psk),
        cmocka_unit_test(test_no_proposal),
        cmocka_unit_test(test_init_forged_error),
        cmocka_unit_test(test_init_bad_ke),
        cmocka_unit_test(test_invalid_ke_retry),
        cmocka_unit_test(test_ts_unacceptable),
        cmocka_unit_test(test_ts_narrowed),
        cmocka_unit_test(test_tampered_auth),
        cmocka_unit_test(test_transport_mode),
        cmocka_unit_test(test_create_child_pfs),
        cmocka_unit_test(test_create_child_invalid_ke),
        cmocka_unit_test(test_create_child_pfs_mismatch),
        cmocka_unit_test(test_create_child_without_ke),
        cmocka_unit_test(test_rekey_child_without_ke),
        cmocka_unit_test(test_child_answer_without_ke),
        cmocka_unit_test(test_delete_child),
        cmocka_unit_test(test_delete_ike),
        cmocka_unit_test(test_retransmit_and_liveness),
        cmocka_unit_test(test_forced_encap),
        cmocka_unit_test(test_rekey_child),
        cmocka_unit_test(test_rekey_ike),
        cmocka_unit_test(test_crossing_creates),
        cmocka_unit_test(test_repeat_and_forgery),
        cmocka_unit_test(test_rekey_ike_while_busy),
        cmocka_unit_test(test_rekey_ike_bad_ke),
        cmocka_unit_test(test_id_types),
        cmocka_unit_test(test_create_child_by_responder),
        cmocka_unit_test(test_cookie),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
