/* SPDX-License-Identifier: MIT */
/*
 * SAs as objects: lifetimes and their callbacks, drop counters, parameter
 * checks (suites, key lengths, SPI, window, modes), strongSwan's suite
 * keywords, and batches mixing good and bad packets.
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

    return cmocka_run_group_tests(tests, NULL, NULL);
}
