/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 key derivation (src/ike/prf.c, keys.c) against NIST's SP 800-135
 * IKEv2 KDF known answers: SKEYSEED, the IKE SA key material, CHILD_SA
 * KEYMAT with and without PFS, and the SKEYSEED of a rekeyed IKE SA; then
 * how the key material is split (RFC 7296 2.14, 2.17) and the limits of
 * prf+.  A missing or empty vector file fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vectors.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

static struct ike_iov iov(const struct bytes *b)
{
    return (struct ike_iov){b->p, b->len};
}

static enum ike_prf_alg prf_of(const char *name)
{
    if (strcmp(name, "PRF_HMAC_SHA1") == 0)
        return IKE_PRF_ALG_HMAC_SHA1;
    if (strcmp(name, "PRF_HMAC_SHA2_224") == 0)
        return IKE_PRF_ALG_TEST_HMAC_SHA2_224;
    if (strcmp(name, "PRF_HMAC_SHA2_256") == 0)
        return IKE_PRF_ALG_HMAC_SHA2_256;
    if (strcmp(name, "PRF_HMAC_SHA2_384") == 0)
        return IKE_PRF_ALG_HMAC_SHA2_384;
    if (strcmp(name, "PRF_HMAC_SHA2_512") == 0)
        return IKE_PRF_ALG_HMAC_SHA2_512;
    fail_msg("unknown prf %s", name);
    return 0;
}

/* ---- the NIST vectors ---- */

/* One NIST case: its inputs and expected outputs. */
struct kdf_vec {
    enum ike_prf_alg prf;
    struct bytes ni, nr, gir, gir_new, spii, spir;
    struct bytes skeyseed, dkm, dkm_child, dkm_child_dh, skeyseed_rekey;
};

static void kdf_vec_free(struct kdf_vec *v)
{
    struct bytes *all[] = {&v->ni,        &v->nr,           &v->gir,           &v->gir_new,
                           &v->spii,      &v->spir,         &v->skeyseed,      &v->dkm,
                           &v->dkm_child, &v->dkm_child_dh, &v->skeyseed_rekey};

    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]->p);
}

static void kdf_vec_read(const cJSON *o, struct kdf_vec *v)
{
    v->prf = prf_of(str(o, "prf"));
    v->ni = hex(o, "ni");
    v->nr = hex(o, "nr");
    v->gir = hex(o, "gir");
    v->gir_new = hex(o, "gir_new");
    v->spii = hex(o, "spii");
    v->spir = hex(o, "spir");
    v->skeyseed = hex(o, "skeyseed");
    v->dkm = hex(o, "dkm");
    v->dkm_child = hex(o, "dkm_child");
    v->dkm_child_dh = hex(o, "dkm_child_dh");
    v->skeyseed_rekey = hex(o, "skeyseed_rekey");
    assert_int_equal(v->dkm.len * 8, num(o, "dkm_len_bits"));
    assert_int_equal(v->dkm_child.len * 8, num(o, "child_dkm_len_bits"));
    assert_int_equal(v->spii.len, IKE_KDF_SPI_LEN);
    assert_int_equal(v->spir.len, IKE_KDF_SPI_LEN);
}

static struct ike_sa_kdf_in kdf_in(const struct kdf_vec *v, const struct bytes *gir,
                                   struct ike_sk_suite sk)
{
    struct ike_sa_kdf_in in = {
        .prf = v->prf, .sk = sk, .ni = iov(&v->ni), .nr = iov(&v->nr), .gir = iov(gir)};

    memcpy(in.spi_i, v->spii.p, IKE_KDF_SPI_LEN);
    memcpy(in.spi_r, v->spir.p, IKE_KDF_SPI_LEN);
    return in;
}

/* prf+ straight from prf.c: the key material of the vector, in full. */
static void check_prf_plus(const struct kdf_vec *v)
{
    const struct ike_iov sa_data[] = {iov(&v->ni), iov(&v->nr), iov(&v->spii), iov(&v->spir)};
    const struct ike_iov child[] = {iov(&v->ni), iov(&v->nr)};
    const struct ike_iov child_dh[] = {iov(&v->gir_new), iov(&v->ni), iov(&v->nr)};
    size_t prf_len = ike_prf_len(v->prf);
    uint8_t *out = malloc(v->dkm.len + v->dkm_child.len + v->dkm_child_dh.len);

    assert_non_null(out);
    assert_int_equal(
        ike_prf_plus(v->prf, v->skeyseed.p, v->skeyseed.len, sa_data, 4, out, v->dkm.len),
        UIPSEC_OK);
    assert_memory_equal(out, v->dkm.p, v->dkm.len);
    /* SK_d is the first prf-length bytes of the IKE SA key material. */
    assert_int_equal(ike_prf_plus(v->prf, v->dkm.p, prf_len, child, 2, out, v->dkm_child.len),
                     UIPSEC_OK);
    assert_memory_equal(out, v->dkm_child.p, v->dkm_child.len);
    assert_int_equal(ike_prf_plus(v->prf, v->dkm.p, prf_len, child_dh, 3, out, v->dkm_child_dh.len),
                     UIPSEC_OK);
    assert_memory_equal(out, v->dkm_child_dh.p, v->dkm_child_dh.len);
    free(out);
}

/* The seven keys from keys.c: SK_d first, each the size its algorithm
 * needs, all one prefix of the NIST key material. */
static void check_sa_keys(const struct kdf_vec *v, struct ike_sk_suite sk)
{
    struct ike_sa_kdf_in in = kdf_in(v, &v->gir, sk);
    struct ike_sa_keys *k, *k2;
    size_t off = 0, prf_len = ike_prf_len(v->prf);

    assert_int_equal(ike_sa_keys_new(&in, &k), UIPSEC_OK);
    assert_int_equal(ike_sa_keys_from_skeyseed(&in, v->skeyseed.p, v->skeyseed.len, &k2),
                     UIPSEC_OK);
    assert_int_equal(k->len, k2->len);
    assert_memory_equal(k->buf, k2->buf, k->len);
    assert_true(k->len <= v->dkm.len);
    assert_memory_equal(k->buf, v->dkm.p, k->len);
    const struct ike_iov *order[] = {&k->d, &k->ai, &k->ar, &k->ei, &k->er, &k->pi, &k->pr};
    for (size_t i = 0; i < 7; i++) {
        assert_ptr_equal(order[i]->p, k->buf + off);
        off += order[i]->len;
    }
    assert_int_equal(off, k->len);
    assert_true(k->d.len == prf_len && k->pi.len == prf_len && k->pr.len == prf_len);
    assert_int_equal(k->prf, v->prf);
    ike_sa_keys_free(k);
    ike_sa_keys_free(k2);
}

static const struct ike_sk_suite sk_suites[] = {
    {IKE_ENCR_ALG_AES_CBC, 128, IKE_INTEG_ALG_HMAC_SHA1_96},
    {IKE_ENCR_ALG_AES_GCM_16, 128, IKE_INTEG_ALG_NONE},
    {IKE_ENCR_ALG_AES_GCM_16, 256, IKE_INTEG_ALG_NONE},
    {IKE_ENCR_ALG_CHACHA20_POLY1305, 256, IKE_INTEG_ALG_NONE},
    {IKE_ENCR_ALG_AES_CBC, 128, IKE_INTEG_ALG_HMAC_SHA2_256_128},
    {IKE_ENCR_ALG_AES_CBC, 256, IKE_INTEG_ALG_HMAC_SHA2_384_192},
    {IKE_ENCR_ALG_AES_CBC, 256, IKE_INTEG_ALG_HMAC_SHA2_512_256},
};
#define N_SK_SUITES (sizeof sk_suites / sizeof sk_suites[0])

/* Bytes of IKE SA key material a suite takes with this PRF. */
static size_t sa_total(enum ike_prf_alg prf, const struct ike_sk_suite *sk)
{
    size_t e, a;

    assert_int_equal(ike_sk_key_sizes(sk, &e, &a), UIPSEC_OK);
    return 3 * ike_prf_len(prf) + 2 * (e + a);
}

static const struct {
    const char *keyword;
    enum uipsec_proto proto;
} child_suites[] = {
    {"aes128gcm16", UIPSEC_PROTO_ESP},
    {"aes256gcm16", UIPSEC_PROTO_ESP},
    {"chacha20poly1305", UIPSEC_PROTO_ESP},
    {"aes128-sha256", UIPSEC_PROTO_ESP},
    {"aes256-sha384", UIPSEC_PROTO_ESP},
    {"aes256-sha512", UIPSEC_PROTO_ESP},
    {"null-sha256", UIPSEC_PROTO_ESP},
    {"aes128gmac", UIPSEC_PROTO_ESP},
    {"sha256", UIPSEC_PROTO_AH},
    {"sha512", UIPSEC_PROTO_AH},
};
#define N_CHILD_SUITES (sizeof child_suites / sizeof child_suites[0])

static struct uipsec_sa_params child_suite(size_t i)
{
    struct uipsec_sa_params p;

    memset(&p, 0, sizeof p);
    p.proto = child_suites[i].proto;
    assert_int_equal(uipsec_suite_parse(child_suites[i].keyword, p.proto, &p), UIPSEC_OK);
    return p;
}

/* CHILD_SA KEYMAT from keys.c, without and with PFS, for every suite whose
 * KEYMAT fits in the NIST output; returns how many fitted. */
static size_t check_child(const struct kdf_vec *v)
{
    struct ike_iov sk_d = {v->dkm.p, ike_prf_len(v->prf)}, none = {NULL, 0};
    struct ike_child_keys *k;
    size_t fitted = 0;

    for (size_t i = 0; i < N_CHILD_SUITES; i++) {
        struct uipsec_sa_params p = child_suite(i);
        size_t enc, salt, auth;

        uipsec_suite_key_sizes(&p, &enc, &salt, &auth);
        if (2 * (enc + salt + auth) > v->dkm_child.len)
            continue;
        assert_int_equal(ike_child_keys_new(v->prf, sk_d, none, iov(&v->ni), iov(&v->nr), &p, &k),
                         UIPSEC_OK);
        assert_int_equal(k->len, 2 * (enc + salt + auth));
        assert_memory_equal(k->buf, v->dkm_child.p, k->len);
        ike_child_keys_free(k);
        assert_int_equal(
            ike_child_keys_new(v->prf, sk_d, iov(&v->gir_new), iov(&v->ni), iov(&v->nr), &p, &k),
            UIPSEC_OK);
        assert_memory_equal(k->buf, v->dkm_child_dh.p, k->len);
        ike_child_keys_free(k);
        fitted++;
    }
    return fitted;
}

/* 2.18: SKEYSEED of the new SA, then its keys with the old SA's SK_d. */
static void check_rekey(const struct kdf_vec *v, const struct ike_sk_suite *sk)
{
    struct ike_sa_kdf_in in = kdf_in(v, &v->gir, *sk), in_new = kdf_in(v, &v->gir_new, *sk);
    struct ike_sa_keys *old, *rekeyed, *expect;
    uint8_t seed[IKE_PRF_MAX_LEN];
    size_t len = ike_prf_len(v->prf);

    assert_int_equal(
        ike_skeyseed_rekey(v->prf, (struct ike_iov){v->dkm.p, len}, &in_new, seed, len), UIPSEC_OK);
    assert_int_equal(len, v->skeyseed_rekey.len);
    assert_memory_equal(seed, v->skeyseed_rekey.p, len);
    assert_int_equal(ike_sa_keys_new(&in, &old), UIPSEC_OK);
    assert_int_equal(ike_sa_keys_rekey(old, &in_new, &rekeyed), UIPSEC_OK);
    assert_int_equal(
        ike_sa_keys_from_skeyseed(&in_new, v->skeyseed_rekey.p, v->skeyseed_rekey.len, &expect),
        UIPSEC_OK);
    assert_int_equal(rekeyed->len, expect->len);
    assert_memory_equal(rekeyed->buf, expect->buf, expect->len);
    ike_sa_keys_free(old);
    ike_sa_keys_free(rekeyed);
    ike_sa_keys_free(expect);
}

static void check_kdf_vector(const struct kdf_vec *v, size_t *splits, size_t *children)
{
    struct ike_sa_kdf_in in = kdf_in(v, &v->gir, sk_suites[0]);
    uint8_t seed[IKE_PRF_MAX_LEN];
    size_t fitted = 0;

    assert_int_equal(ike_prf_len(v->prf), v->skeyseed.len);
    assert_int_equal(ike_skeyseed(&in, seed, v->skeyseed.len), UIPSEC_OK);
    assert_memory_equal(seed, v->skeyseed.p, v->skeyseed.len);
    check_prf_plus(v);
    for (size_t i = 0; i < N_SK_SUITES; i++) {
        if (sa_total(v->prf, &sk_suites[i]) > v->dkm.len)
            continue;
        check_sa_keys(v, sk_suites[i]);
        check_rekey(v, &sk_suites[i]);
        fitted++;
    }
    assert_true(fitted > 0);
    *splits += fitted;
    *children += check_child(v);
}

static void test_nist_kdf(void **unused)
{
    cJSON *root = load("ikev2_kdf_sp800_135.json");
    const cJSON *o;
    size_t n = 0, splits = 0, children = 0;

    (void)unused;
    cJSON_ArrayForEach(o, root)
    {
        struct kdf_vec v;

        kdf_vec_read(o, &v);
        check_kdf_vector(&v, &splits, &children);
        kdf_vec_free(&v);
        n++;
    }
    cJSON_Delete(root);
    printf("[ vectors  ] ikev2_kdf_sp800_135.json: %zu vectors (skeyseed, dkm, dkm_child, "
           "dkm_child_dh, skeyseed_rekey); %zu IKE SA splits, %zu CHILD_SA splits\n",
           n, splits, children);
    assert_true(n > 0 && splits > 0 && children > 0);
}

/* RFC 4231 / RFC 4868 2.7.1: the PRF is plain HMAC, full length. */
static void test_rfc4868_prf(void **unused)
{
    cJSON *root = load("hmac_sha2_rfc4231_rfc4868.json");
    const cJSON *o;
    size_t n = 0;

    (void)unused;
    cJSON_ArrayForEach(o, root)
    {
        const char *hash = str(o, "hash");
        enum ike_prf_alg prf = strcmp(hash, "SHA-224") == 0   ? IKE_PRF_ALG_TEST_HMAC_SHA2_224
                               : strcmp(hash, "SHA-256") == 0 ? IKE_PRF_ALG_HMAC_SHA2_256
                               : strcmp(hash, "SHA-384") == 0 ? IKE_PRF_ALG_HMAC_SHA2_384
                                                              : IKE_PRF_ALG_HMAC_SHA2_512;
        struct bytes key, data, mac;
        uint8_t out[IKE_PRF_MAX_LEN];
        struct ike_iov seg[3];

        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "truncated")))
            continue;
        key = hex(o, "key");
        data = hex(o, "data");
        mac = hex(o, "mac");
        assert_int_equal(mac.len, ike_prf_len(prf));
        /* The same data cut into three segments must not change the output. */
        seg[0] = (struct ike_iov){data.p, data.len / 3};
        seg[1] = (struct ike_iov){data.p + data.len / 3, 0};
        seg[2] = (struct ike_iov){data.p + data.len / 3, data.len - data.len / 3};
        assert_int_equal(ike_prf(prf, key.p, key.len, seg, 3, out, mac.len), UIPSEC_OK);
        assert_memory_equal(out, mac.p, mac.len);
        free(key.p);
        free(data.p);
        free(mac.p);
        n++;
    }
    cJSON_Delete(root);
    printf("[ vectors  ] hmac_sha2_rfc4231_rfc4868.json: %zu full-length HMACs as IKE PRFs\n", n);
    assert_true(n > 0);
}

/* ---- how key material is split ---- */

static uint8_t sk_d_fixed[32], ni_fixed[32], nr_fixed[16], gir_fixed[64];

static void fill(uint8_t *p, size_t len, uint8_t start)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(start + i);
}

/* KEYMAT computed here with prf+ directly, to split by hand. */
static void keymat(bool pfs, uint8_t *out, size_t len)
{
    const struct ike_iov data[] = {{gir_fixed, pfs ? sizeof gir_fixed : 0},
                                   {ni_fixed, sizeof ni_fixed},
                                   {nr_fixed, sizeof nr_fixed}};

    assert_int_equal(
        ike_prf_plus(IKE_PRF_ALG_HMAC_SHA2_256, sk_d_fixed, sizeof sk_d_fixed, data, 3, out, len),
        UIPSEC_OK);
}

static struct ike_child_keys *child_keys(bool pfs, const struct uipsec_sa_params *p)
{
    struct ike_child_keys *k;
    struct ike_iov gir = {gir_fixed, pfs ? sizeof gir_fixed : 0};

    assert_int_equal(ike_child_keys_new(IKE_PRF_ALG_HMAC_SHA2_256,
                                        (struct ike_iov){sk_d_fixed, sizeof sk_d_fixed}, gir,
                                        (struct ike_iov){ni_fixed, sizeof ni_fixed},
                                        (struct ike_iov){nr_fixed, sizeof nr_fixed}, p, &k),
                     UIPSEC_OK);
    return k;
}

/* RFC 7296 2.17: i->r encryption, i->r integrity, r->i encryption, r->i
 * integrity; the salt of AEAD suites right after its key (RFC 4106 8.1). */
static void check_split(const char *keyword, enum uipsec_proto proto, bool pfs)
{
    struct uipsec_sa_params p;
    uint8_t km[2 * (32 + 4 + 64)];
    size_t enc, salt, auth, half;
    struct ike_child_keys *k;

    memset(&p, 0, sizeof p);
    p.proto = proto;
    assert_int_equal(uipsec_suite_parse(keyword, proto, &p), UIPSEC_OK);
    uipsec_suite_key_sizes(&p, &enc, &salt, &auth);
    half = enc + salt + auth;
    keymat(pfs, km, 2 * half);
    k = child_keys(pfs, &p);
    assert_int_equal(k->len, 2 * half);
    assert_true(k->i_encr.p == k->buf && k->i_encr.len == enc + salt);
    assert_memory_equal(k->i_integ.p, km + enc + salt, auth);
    assert_memory_equal(k->r_encr.p, km + half, enc + salt);
    assert_memory_equal(k->r_integ.p, km + half + enc + salt, auth);
    for (int dir = 0; dir < 2; dir++) {
        const uint8_t *base = km + (dir == 0 ? 0 : half);

        assert_int_equal(ike_child_keys_to_params(k, dir == 0, &p), UIPSEC_OK);
        assert_memory_equal(p.enc_key, base, enc);
        assert_memory_equal(p.salt, base + enc, salt);
        assert_memory_equal(p.auth_key, base + enc + salt, auth);
        assert_int_equal(p.auth_key_len, auth);
    }
    ike_child_keys_free(k);
}

static void test_keymat_split(void **unused)
{
    (void)unused;
    fill(sk_d_fixed, sizeof sk_d_fixed, 0x10);
    fill(ni_fixed, sizeof ni_fixed, 0x80);
    fill(nr_fixed, sizeof nr_fixed, 0xc0);
    fill(gir_fixed, sizeof gir_fixed, 0x33);
    for (int pfs = 0; pfs < 2; pfs++) {
        check_split("aes128-sha256", UIPSEC_PROTO_ESP, pfs);
        check_split("aes256-sha512", UIPSEC_PROTO_ESP, pfs);
        check_split("aes256gcm16", UIPSEC_PROTO_ESP, pfs);
        check_split("chacha20poly1305", UIPSEC_PROTO_ESP, pfs);
        check_split("aes128gmac", UIPSEC_PROTO_ESP, pfs);
        check_split("null-sha384", UIPSEC_PROTO_ESP, pfs);
        check_split("sha512", UIPSEC_PROTO_AH, pfs);
    }
}

/* KEYMAT with PFS differs from KEYMAT without, and a suite of other sizes
 * is refused when the keys are copied into SA parameters. */
static void test_child_pfs_and_mismatch(void **unused)
{
    struct uipsec_sa_params gcm, cbc;
    struct ike_child_keys *a, *b;

    (void)unused;
    memset(&gcm, 0, sizeof gcm);
    memset(&cbc, 0, sizeof cbc);
    gcm.proto = cbc.proto = UIPSEC_PROTO_ESP;
    assert_int_equal(uipsec_suite_parse("aes128gcm16", UIPSEC_PROTO_ESP, &gcm), UIPSEC_OK);
    assert_int_equal(uipsec_suite_parse("aes128-sha256", UIPSEC_PROTO_ESP, &cbc), UIPSEC_OK);
    a = child_keys(false, &gcm);
    b = child_keys(true, &gcm);
    assert_memory_not_equal(a->buf, b->buf, a->len);
    assert_int_equal(ike_child_keys_to_params(a, true, &cbc), UIPSEC_E_PARAM);
    ike_child_keys_free(a);
    ike_child_keys_free(b);
}

/* The IKE SA split for an AEAD suite: no SK_a*, SK_e* with the salt. */
static void test_sa_split_aead(void **unused)
{
    uint8_t ni[32], nr[32], gir[56], km[3 * 64 + 2 * 36];
    struct ike_sa_kdf_in in = {.prf = IKE_PRF_ALG_HMAC_SHA2_512,
                               .sk = {IKE_ENCR_ALG_AES_GCM_16, 256, IKE_INTEG_ALG_NONE},
                               .ni = {ni, sizeof ni},
                               .nr = {nr, sizeof nr},
                               .gir = {gir, sizeof gir}};
    uint8_t seed[64], key[64];
    struct ike_sa_keys *k;
    const struct ike_iov data[] = {{ni, 32}, {nr, 32}, {in.spi_i, 8}, {in.spi_r, 8}};

    (void)unused;
    fill(ni, sizeof ni, 1);
    fill(nr, sizeof nr, 101);
    fill(gir, sizeof gir, 201);
    fill(in.spi_i, 8, 0xa0);
    fill(in.spi_r, 8, 0xb0);
    memcpy(key, ni, 32);
    memcpy(key + 32, nr, 32);
    /* SKEYSEED = prf(Ni | Nr, g^ir), by hand. */
    assert_int_equal(ike_prf(in.prf, key, 64, &in.gir, 1, seed, 64), UIPSEC_OK);
    assert_int_equal(ike_prf_plus(in.prf, seed, 64, data, 4, km, sizeof km), UIPSEC_OK);
    assert_int_equal(ike_sa_keys_new(&in, &k), UIPSEC_OK);
    assert_int_equal(k->len, sizeof km);
    assert_memory_equal(k->buf, km, sizeof km);
    assert_true(k->d.len == 64 && k->ai.len == 0 && k->ar.len == 0 && k->ei.len == 36 &&
                k->er.len == 36 && k->pi.len == 64 && k->pr.len == 64);
    assert_ptr_equal(k->er.p, k->buf + 64 + 36);
    ike_sa_keys_free(k);
}

/* 2.18 with a PRF change: SKEYSEED by the old SA's PRF, the rest by the new. */
static void test_rekey_prf_change(void **unused)
{
    uint8_t ni[16], nr[16], gir[32], nni[20], nnr[24], ngir[48], seed[32], km[512];
    struct ike_sa_kdf_in in = {.prf = IKE_PRF_ALG_HMAC_SHA2_256,
                               .sk = {IKE_ENCR_ALG_AES_GCM_16, 128, IKE_INTEG_ALG_NONE},
                               .ni = {ni, sizeof ni},
                               .nr = {nr, sizeof nr},
                               .gir = {gir, sizeof gir}};
    struct ike_sa_kdf_in nin = {.prf = IKE_PRF_ALG_HMAC_SHA2_512,
                                .sk = {IKE_ENCR_ALG_AES_CBC, 256, IKE_INTEG_ALG_HMAC_SHA2_512_256},
                                .ni = {nni, sizeof nni},
                                .nr = {nnr, sizeof nnr},
                                .gir = {ngir, sizeof ngir}};
    const struct ike_iov seed_data[] = {nin.gir, nin.ni, nin.nr};
    const struct ike_iov data[] = {nin.ni, nin.nr, {nin.spi_i, 8}, {nin.spi_r, 8}};
    struct ike_sa_keys *old, *nk;

    (void)unused;
    fill(ni, sizeof ni, 3);
    fill(nr, sizeof nr, 5);
    fill(gir, sizeof gir, 7);
    fill(nni, sizeof nni, 11);
    fill(nnr, sizeof nnr, 13);
    fill(ngir, sizeof ngir, 17);
    fill(nin.spi_i, 8, 19);
    fill(nin.spi_r, 8, 23);
    assert_int_equal(ike_sa_keys_new(&in, &old), UIPSEC_OK);
    assert_int_equal(ike_sa_keys_rekey(old, &nin, &nk), UIPSEC_OK);
    assert_int_equal(
        ike_prf(IKE_PRF_ALG_HMAC_SHA2_256, old->d.p, old->d.len, seed_data, 3, seed, 32),
        UIPSEC_OK);
    assert_true(nk->len <= sizeof km);
    assert_int_equal(ike_prf_plus(IKE_PRF_ALG_HMAC_SHA2_512, seed, 32, data, 4, km, nk->len),
                     UIPSEC_OK);
    assert_memory_equal(nk->buf, km, nk->len);
    assert_int_equal(nk->prf, IKE_PRF_ALG_HMAC_SHA2_512);
    assert_int_equal(nk->d.len, 64);
    ike_sa_keys_free(old);
    ike_sa_keys_free(nk);
}

/* ---- limits and errors ---- */

static void test_prf_plus_limits(void **unused)
{
    static const uint8_t key[20] = {1, 2, 3};
    const struct ike_iov data = {key, sizeof key};
    const size_t max = IKE_PRF_PLUS_MAX_BLOCKS * 32;
    uint8_t *full = malloc(max + 1), part[100];

    (void)unused;
    assert_non_null(full);
    /* 255 blocks is the most prf+ can give (2.13); one byte more is refused. */
    assert_int_equal(ike_prf_plus(IKE_PRF_ALG_HMAC_SHA2_256, key, 20, &data, 1, full, max),
                     UIPSEC_OK);
    assert_int_equal(ike_prf_plus(IKE_PRF_ALG_HMAC_SHA2_256, key, 20, &data, 1, part, 33),
                     UIPSEC_OK);
    assert_memory_equal(part, full, 33); /* a shorter output is a prefix */
    memset(full, 0xaa, max + 1);
    assert_int_equal(ike_prf_plus(IKE_PRF_ALG_HMAC_SHA2_256, key, 20, &data, 1, full, max + 1),
                     UIPSEC_E_PARAM);
    assert_true(all_zero(full, max + 1));
    assert_int_equal(ike_prf_plus(IKE_PRF_ALG_HMAC_SHA2_256, key, 20, &data, 1, NULL, 0),
                     UIPSEC_OK);
    memset(part, 0xaa, sizeof part);
    assert_int_equal(ike_prf_plus((enum ike_prf_alg)99, key, 20, &data, 1, part, sizeof part),
                     UIPSEC_E_UNSUPPORTED);
    assert_true(all_zero(part, sizeof part));
    assert_int_equal(ike_prf_plus(IKE_PRF_ALG_HMAC_SHA2_256, key, 0, &data, 1, part, 32),
                     UIPSEC_E_PARAM);
    assert_int_equal(ike_prf(IKE_PRF_ALG_HMAC_SHA2_256, key, 20, &data, 1, part, 31),
                     UIPSEC_E_PARAM);
    assert_int_equal(ike_prf(IKE_PRF_ALG_HMAC_SHA2_256, NULL, 0, &data, 1, part, 32),
                     UIPSEC_E_PARAM);
    free(full);
}

static void test_prf_lengths(void **unused)
{
    (void)unused;
    assert_int_equal(ike_prf_len(IKE_PRF_ALG_HMAC_SHA1), 20);
    assert_int_equal(ike_prf_len(IKE_PRF_ALG_TEST_HMAC_SHA2_224), 28);
    assert_int_equal(ike_prf_len(IKE_PRF_ALG_HMAC_SHA2_256), 32);
    assert_int_equal(ike_prf_len(IKE_PRF_ALG_HMAC_SHA2_384), 48);
    assert_int_equal(ike_prf_len(IKE_PRF_ALG_HMAC_SHA2_512), 64);
    assert_int_equal(ike_prf_len((enum ike_prf_alg)1), 0); /* HMAC-MD5: never */
    assert_int_equal(ike_prf_len((enum ike_prf_alg)224), 0);
    /* The test-only id can never come from a 16-bit transform ID. */
    assert_true((unsigned)IKE_PRF_ALG_TEST_HMAC_SHA2_224 > 0xffff);
}

/* The PSK's AUTH MAC (RFC 7296 2.15) against Python's hmac module:
 * prf(prf("correct horse battery", "Key Pad for IKEv2"), "signed octets"),
 * the octets in two segments; a wrong length or an empty PSK is refused
 * with the output zeroed. */
static void test_psk_mac(void **unused)
{
    static const char psk[] = "correct horse battery";
    const struct ike_iov so[2] = {{(const uint8_t *)"signed ", 7}, {(const uint8_t *)"octets", 6}};
    struct bytes w256 =
        bytes_hex("eddc03159ad35bd4adf117efa24ac93a099b2706f7c228c209b6fc9241d5edff");
    struct bytes w512 =
        bytes_hex("1190cfbea8c0be1070647b48f8326c0bbbe05fdcee451392391b92a177f3a7b4"
                  "50b7a943fae92bb155c90225c179e67b19eb4bbcb5f9735007ece365d7fdf008");
    uint8_t out[IKE_PRF_MAX_LEN];

    (void)unused;
    assert_int_equal(ike_psk_mac(IKE_PRF_ALG_HMAC_SHA2_256, (const uint8_t *)psk, sizeof psk - 1,
                                 so, 2, out, 32),
                     UIPSEC_OK);
    assert_memory_equal(out, w256.p, 32);
    assert_int_equal(ike_psk_mac(IKE_PRF_ALG_HMAC_SHA2_512, (const uint8_t *)psk, sizeof psk - 1,
                                 so, 2, out, 64),
                     UIPSEC_OK);
    assert_memory_equal(out, w512.p, 64);
    assert_int_equal(ike_psk_mac(IKE_PRF_ALG_HMAC_SHA2_256, (const uint8_t *)psk, sizeof psk - 1,
                                 so, 2, out, 31),
                     UIPSEC_E_PARAM);
    assert_true(all_zero(out, 31));
    memset(out, 0xff, sizeof out);
    assert_int_equal(
        ike_psk_mac(IKE_PRF_ALG_HMAC_SHA2_256, (const uint8_t *)psk, 0, so, 2, out, 32),
        UIPSEC_E_PARAM);
    assert_true(all_zero(out, 32));
    free_bytes(&w256);
    free_bytes(&w512);
}

static void test_kdf_errors(void **unused)
{
    uint8_t n[257] = {0}, g[32] = {0}, out[32];
    struct ike_sa_kdf_in in = {.prf = IKE_PRF_ALG_HMAC_SHA2_256,
                               .sk = {IKE_ENCR_ALG_AES_GCM_16, 128, IKE_INTEG_ALG_NONE},
                               .ni = {n, 16},
                               .nr = {n, 16},
                               .gir = {g, sizeof g}};
    struct ike_sa_keys *k = (struct ike_sa_keys *)1;
    struct ike_child_keys *c = (struct ike_child_keys *)1;
    struct uipsec_sa_params none;

    (void)unused;
    in.sk.integ = IKE_INTEG_ALG_HMAC_SHA2_256_128; /* AEAD with an integrity transform */
    assert_int_equal(ike_sa_keys_new(&in, &k), UIPSEC_E_UNSUPPORTED);
    assert_null(k);
    in.sk.integ = IKE_INTEG_ALG_NONE;
    in.ni.len = 257;
    assert_int_equal(ike_sa_keys_new(&in, &k), UIPSEC_E_PARAM);
    in.ni.len = 0;
    assert_int_equal(ike_sa_keys_new(&in, &k), UIPSEC_E_PARAM);
    in.ni.len = 16;
    in.gir.len = 0;
    assert_int_equal(ike_skeyseed(&in, out, sizeof out), UIPSEC_E_PARAM);
    in.gir.len = sizeof g;
    in.prf = (enum ike_prf_alg)3; /* PRF_HMAC_TIGER */
    assert_int_equal(ike_sa_keys_new(&in, &k), UIPSEC_E_UNSUPPORTED);
    assert_null(k);
    memset(&none, 0, sizeof none); /* ESP with neither cipher nor integrity */
    assert_int_equal(ike_child_keys_new(IKE_PRF_ALG_HMAC_SHA2_256, (struct ike_iov){g, 32},
                                        (struct ike_iov){NULL, 0}, (struct ike_iov){n, 16},
                                        (struct ike_iov){n, 16}, &none, &c),
                     UIPSEC_E_PARAM);
    assert_null(c);
    ike_sa_keys_free(NULL);
    ike_child_keys_free(NULL);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nist_kdf),        cmocka_unit_test(test_rfc4868_prf),
        cmocka_unit_test(test_keymat_split),    cmocka_unit_test(test_child_pfs_and_mismatch),
        cmocka_unit_test(test_sa_split_aead),   cmocka_unit_test(test_rekey_prf_change),
        cmocka_unit_test(test_prf_plus_limits), cmocka_unit_test(test_prf_lengths),
        cmocka_unit_test(test_kdf_errors),      cmocka_unit_test(test_psk_mac),
    };

    if (argc > 1)
        vectors_dir = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
