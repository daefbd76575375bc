/* SPDX-License-Identifier: MIT */
/*
 * The crypto seam (src/lib/crypto.h) against published vectors and against
 * itself: every vector runs through every backend built in, each valid one
 * forwards and backwards plus tampered copies that must fail, each invalid
 * one must be rejected.  Random messages sealed by one backend are opened by
 * the other.  The vector directory is a build setting; a missing or empty
 * file fails the test rather than skipping it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "vectors.h"

#define TAG_LEN    16
#define MAX_ICV    64
#define MAX_KEY    160
#define CROSS_MAX  9000
#define N_BACKENDS 2

struct backend {
    const char *name;
    const struct uipsec_crypto_ops *ops;
};

/* A case of an AEAD file: valid ones must seal to ct || tag and open back;
 * invalid ones must fail to open. */
struct aead_vec {
    enum uipsec_enc enc;
    struct bytes key, nonce, aad, pt, ct, tag;
    bool valid;
};

static struct backend backends[N_BACKENDS];
static size_t n_backends;
static size_t checked[N_BACKENDS];  /* vectors run per backend, per test */
static size_t rejected[N_BACKENDS]; /* of which invalid ones, rejected */

/* ---- helpers: files, hex, counting ---- */

static void begin_count(void)
{
    memset(checked, 0, sizeof checked);
    memset(rejected, 0, sizeof rejected);
}

/* Prints what ran so a run that checked nothing is visible, and fails it. */
static void end_count(const char *what)
{
    for (size_t b = 0; b < n_backends; b++) {
        printf("[ vectors  ] %-36s %-8s %5zu checked, %3zu of them invalid\n", what,
               backends[b].name, checked[b], rejected[b]);
        assert_true(checked[b] > 0);
    }
}

/* ---- AEAD ---- */

static void *aead_state(const struct uipsec_crypto_ops *ops, enum uipsec_enc enc,
                        const struct bytes *key)
{
    struct uipsec_crypto_keys k = {
        .enc = enc, .enc_key = key->p, .enc_key_len = key->len, .icv_len = TAG_LEN};
    void *state = NULL;

    assert_int_equal(ops->init(&state, &k), UIPSEC_OK);
    assert_non_null(state);
    return state;
}

/* Opening must fail, and must not leave the forged plaintext behind. */
static void expect_open_fails(const struct uipsec_crypto_ops *ops, void *st,
                              const struct aead_vec *v, const uint8_t *aad, const uint8_t *ct,
                              const uint8_t *tag)
{
    struct bytes buf = {malloc(v->ct.len > 0 ? v->ct.len : 1), v->ct.len};

    assert_non_null(buf.p);
    memcpy(buf.p, ct, v->ct.len);
    assert_false(ops->aead_open(st, v->nonce.p, aad, v->aad.len, buf.p, buf.len, tag));
    assert_true(all_zero(buf.p, buf.len));
    free(buf.p);
}

/* Flips one bit of the tag, of the ciphertext and of the AAD in turn. */
static void check_tampered(const struct uipsec_crypto_ops *ops, void *st, const struct aead_vec *v)
{
    struct bytes tag = bytes_copy(v->tag.p, v->tag.len), ct = bytes_copy(v->ct.p, v->ct.len),
                 aad = bytes_copy(v->aad.p, v->aad.len);

    tag.p[tag.len - 1] ^= 0x01;
    expect_open_fails(ops, st, v, v->aad.p, v->ct.p, tag.p);
    if (ct.len > 0) {
        ct.p[ct.len / 2] ^= 0x80;
        expect_open_fails(ops, st, v, v->aad.p, ct.p, v->tag.p);
    }
    if (aad.len > 0) {
        aad.p[0] ^= 0x04;
        expect_open_fails(ops, st, v, aad.p, v->ct.p, v->tag.p);
    }
    free(tag.p);
    free(ct.p);
    free(aad.p);
}

static void check_aead_valid(const struct uipsec_crypto_ops *ops, void *st,
                             const struct aead_vec *v)
{
    struct bytes buf = bytes_copy(v->pt.p, v->pt.len);
    uint8_t *tag = malloc(TAG_LEN);

    assert_non_null(tag);
    assert_true(ops->aead_seal(st, v->nonce.p, v->aad.p, v->aad.len, buf.p, buf.len, tag));
    assert_memory_equal(buf.p, v->ct.p, v->ct.len);
    assert_memory_equal(tag, v->tag.p, TAG_LEN);
    assert_true(ops->aead_open(st, v->nonce.p, v->aad.p, v->aad.len, buf.p, buf.len, v->tag.p));
    assert_memory_equal(buf.p, v->pt.p, v->pt.len);
    check_tampered(ops, st, v);
    free(tag);
    free(buf.p);
}

/* GMAC is GCM without plaintext: a GCM vector with an empty plaintext is
 * also a GMAC vector over its AAD. */
static void check_as_gmac(const struct uipsec_crypto_ops *ops, const struct aead_vec *v)
{
    void *st = aead_state(ops, UIPSEC_ENC_AES_GMAC, &v->key);
    uint8_t *tag = malloc(TAG_LEN);

    assert_non_null(tag);
    assert_true(ops->aead_seal(st, v->nonce.p, v->aad.p, v->aad.len, NULL, 0, tag));
    assert_int_equal(memcmp(tag, v->tag.p, TAG_LEN) == 0, v->valid);
    assert_int_equal(ops->aead_open(st, v->nonce.p, v->aad.p, v->aad.len, NULL, 0, v->tag.p),
                     v->valid);
    free(tag);
    ops->free(st);
}

static void check_aead(size_t b, const struct aead_vec *v)
{
    const struct uipsec_crypto_ops *ops = backends[b].ops;
    void *st = aead_state(ops, v->enc, &v->key);

    assert_int_equal(v->nonce.len, UIPSEC_AEAD_NONCE_LEN);
    assert_int_equal(v->tag.len, TAG_LEN);
    assert_int_equal(v->pt.len, v->ct.len);
    if (v->valid)
        check_aead_valid(ops, st, v);
    else
        expect_open_fails(ops, st, v, v->aad.p, v->ct.p, v->tag.p);
    ops->free(st);
    if (v->enc == UIPSEC_ENC_AES_GCM16 && v->pt.len == 0)
        check_as_gmac(ops, v);
    checked[b]++;
    rejected[b] += !v->valid;
}

static struct aead_vec aead_from_json(const cJSON *e, enum uipsec_enc enc)
{
    const char *result = opt_str(e, "result");
    struct aead_vec v = {
        .enc = enc,
        .key = hex(e, "key"),
        .nonce = hex(e, "nonce"),
        .aad = hex(e, "aad"),
        .pt = hex(e, "plaintext"),
        .ct = hex(e, "ciphertext"),
        .tag = hex(e, "tag"),
        .valid = result[0] == '\0' || strcmp(result, "valid") == 0,
    };

    if (result[0] != '\0' && !v.valid && strcmp(result, "invalid") != 0)
        fail_msg("%s: unexpected result \"%s\"", opt_str(e, "id"), result);
    return v;
}

static void aead_vec_free(struct aead_vec *v)
{
    free(v->key.p);
    free(v->nonce.p);
    free(v->aad.p);
    free(v->pt.p);
    free(v->ct.p);
    free(v->tag.p);
}

/* Only what ESP uses: 16-byte tags, 12-byte nonces, 16/32-byte AES keys. */
static bool aead_usable(const cJSON *e, enum uipsec_enc enc)
{
    size_t key_len = strlen(str(e, "key")) / 2;
    const cJSON *tag_len = cJSON_GetObjectItemCaseSensitive(e, "tag_len");

    if (strlen(str(e, "nonce")) != 2 * UIPSEC_AEAD_NONCE_LEN)
        return false;
    if (cJSON_IsNumber(tag_len) && tag_len->valueint != TAG_LEN)
        return false;
    if (enc == UIPSEC_ENC_CHACHA20_POLY1305)
        return key_len == 32;
    return key_len == 16 || key_len == 32;
}

static void run_aead_file(const char *file, enum uipsec_enc enc)
{
    cJSON *root = load(file);
    const cJSON *e;

    begin_count();
    cJSON_ArrayForEach(e, root)
    {
        struct aead_vec v;

        if (!aead_usable(e, enc))
            continue;
        v = aead_from_json(e, enc);
        for (size_t b = 0; b < n_backends; b++)
            check_aead(b, &v);
        aead_vec_free(&v);
    }
    cJSON_Delete(root);
    end_count(file);
}

static void test_aes_gcm(void **unused)
{
    (void)unused;
    run_aead_file("aes_gcm.json", UIPSEC_ENC_AES_GCM16);
}

static void test_chacha20_poly1305(void **unused)
{
    (void)unused;
    run_aead_file("chacha20_poly1305_rfc8439.json", UIPSEC_ENC_CHACHA20_POLY1305);
}

static void test_wycheproof_aes_gcm(void **unused)
{
    (void)unused;
    run_aead_file("wycheproof_aes_gcm_96bit_nonce.json", UIPSEC_ENC_AES_GCM16);
}

static void test_wycheproof_chacha20_poly1305(void **unused)
{
    (void)unused;
    run_aead_file("wycheproof_chacha20_poly1305.json", UIPSEC_ENC_CHACHA20_POLY1305);
}

/* ---- AES-CBC ---- */

static void check_cbc(size_t b, const struct bytes *key, const struct bytes *iv,
                      const struct bytes *pt, const struct bytes *ct)
{
    const struct uipsec_crypto_ops *ops = backends[b].ops;
    struct uipsec_crypto_keys k = {
        .enc = UIPSEC_ENC_AES_CBC, .enc_key = key->p, .enc_key_len = key->len};
    struct bytes buf = bytes_copy(pt->p, pt->len);
    void *st = NULL;

    assert_int_equal(iv->len, UIPSEC_CBC_IV_LEN);
    assert_int_equal(ops->init(&st, &k), UIPSEC_OK);
    assert_true(ops->cbc_encrypt(st, iv->p, buf.p, buf.len));
    assert_memory_equal(buf.p, ct->p, ct->len);
    assert_true(ops->cbc_decrypt(st, iv->p, buf.p, buf.len));
    assert_memory_equal(buf.p, pt->p, pt->len);
    ops->free(st);
    free(buf.p);
    checked[b]++;
}

static void test_aes_cbc(void **unused)
{
    cJSON *root = load("aes_cbc_rfc3602.json");
    const cJSON *e;

    (void)unused;
    begin_count();
    cJSON_ArrayForEach(e, root)
    {
        struct bytes key = hex(e, "key"), iv = hex(e, "iv");
        struct bytes pt = hex(e, "plaintext"), ct = hex(e, "ciphertext");

        for (size_t b = 0; b < n_backends; b++)
            check_cbc(b, &key, &iv, &pt, &ct);
        free(key.p);
        free(iv.p);
        free(pt.p);
        free(ct.p);
    }
    cJSON_Delete(root);
    end_count("aes_cbc_rfc3602.json");
}

/* ---- HMAC ---- */

static enum uipsec_integ integ_of_hash(const char *name)
{
    if (strcmp(name, "SHA-256") == 0)
        return UIPSEC_INTEG_HMAC_SHA256_128;
    if (strcmp(name, "SHA-384") == 0)
        return UIPSEC_INTEG_HMAC_SHA384_192;
    if (strcmp(name, "SHA-512") == 0)
        return UIPSEC_INTEG_HMAC_SHA512_256;
    return UIPSEC_INTEG_NONE;
}

/* HMAC of msg truncated to the length of mac: equal when valid, different
 * when not. */
static void check_hmac(size_t b, enum uipsec_integ integ, const struct bytes *key,
                       const struct bytes *msg, const struct bytes *mac, bool valid)
{
    const struct uipsec_crypto_ops *ops = backends[b].ops;
    struct uipsec_crypto_keys k = {
        .integ = integ, .auth_key = key->p, .auth_key_len = key->len, .icv_len = mac->len};
    uint8_t *icv = malloc(mac->len);
    void *st = NULL;

    assert_non_null(icv);
    assert_int_equal(ops->init(&st, &k), UIPSEC_OK);
    assert_true(ops->hmac(st, msg->p, msg->len, icv));
    assert_int_equal(memcmp(icv, mac->p, mac->len) == 0, valid);
    ops->free(st);
    free(icv);
    checked[b]++;
    rejected[b] += !valid;
}

static void test_hmac_rfc(void **unused)
{
    cJSON *root = load("hmac_sha2_rfc4231_rfc4868.json");
    const cJSON *e;

    (void)unused;
    begin_count();
    cJSON_ArrayForEach(e, root)
    {
        enum uipsec_integ integ = integ_of_hash(str(e, "hash"));
        struct bytes key, data, mac;

        if (integ == UIPSEC_INTEG_NONE)
            continue; /* SHA-224: not an IPsec integrity algorithm here */
        key = hex(e, "key");
        data = hex(e, "data");
        mac = hex(e, "mac");
        assert_true(mac.len >= (size_t)num(e, "mac_len"));
        mac.len = (size_t)num(e, "mac_len");
        for (size_t b = 0; b < n_backends; b++)
            check_hmac(b, integ, &key, &data, &mac, true);
        free(key.p);
        free(data.p);
        free(mac.p);
    }
    cJSON_Delete(root);
    end_count("hmac_sha2_rfc4231_rfc4868.json");
}

static void run_wycheproof_hmac(const char *file, enum uipsec_integ integ)
{
    cJSON *root = load(file);
    const cJSON *e;

    begin_count();
    cJSON_ArrayForEach(e, root)
    {
        struct bytes key = hex(e, "key"), msg = hex(e, "msg"), tag = hex(e, "tag");
        bool valid = strcmp(opt_str(e, "result"), "valid") == 0;

        /* Full or half-length tags: both are lengths the seam can ask for. */
        if (!valid && strcmp(opt_str(e, "result"), "invalid") != 0)
            fail_msg("%s: unexpected result", opt_str(e, "id"));
        for (size_t b = 0; b < n_backends; b++)
            check_hmac(b, integ, &key, &msg, &tag, valid);
        free(key.p);
        free(msg.p);
        free(tag.p);
    }
    cJSON_Delete(root);
    end_count(file);
}

static void test_wycheproof_hmac(void **unused)
{
    (void)unused;
    run_wycheproof_hmac("wycheproof_hmac_sha256.json", UIPSEC_INTEG_HMAC_SHA256_128);
    run_wycheproof_hmac("wycheproof_hmac_sha384.json", UIPSEC_INTEG_HMAC_SHA384_192);
    run_wycheproof_hmac("wycheproof_hmac_sha512.json", UIPSEC_INTEG_HMAC_SHA512_256);
}

/* ---- cross-check between backends on random input ---- */

struct suite {
    const char *name;
    enum uipsec_enc enc;
    size_t enc_key_len;
    enum uipsec_integ integ;
    size_t auth_key_len; /* > the hash block for some, to hash the key first */
    size_t icv_len;
};

static const struct suite suites[] = {
    {"aes128gcm16", UIPSEC_ENC_AES_GCM16, 16, UIPSEC_INTEG_NONE, 0, 16},
    {"aes256gcm16", UIPSEC_ENC_AES_GCM16, 32, UIPSEC_INTEG_NONE, 0, 16},
    {"aes128gmac", UIPSEC_ENC_AES_GMAC, 16, UIPSEC_INTEG_NONE, 0, 16},
    {"aes256gmac", UIPSEC_ENC_AES_GMAC, 32, UIPSEC_INTEG_NONE, 0, 16},
    {"chacha20poly1305", UIPSEC_ENC_CHACHA20_POLY1305, 32, UIPSEC_INTEG_NONE, 0, 16},
    {"aes128", UIPSEC_ENC_AES_CBC, 16, UIPSEC_INTEG_NONE, 0, 0},
    {"aes256", UIPSEC_ENC_AES_CBC, 32, UIPSEC_INTEG_NONE, 0, 0},
    {"aes128-sha256", UIPSEC_ENC_AES_CBC, 16, UIPSEC_INTEG_HMAC_SHA256_128, 32, 16},
    {"aes256-sha384", UIPSEC_ENC_AES_CBC, 32, UIPSEC_INTEG_HMAC_SHA384_192, 48, 24},
    {"aes256-sha512", UIPSEC_ENC_AES_CBC, 32, UIPSEC_INTEG_HMAC_SHA512_256, 64, 32},
    {"null-sha256", UIPSEC_ENC_NULL, 0, UIPSEC_INTEG_HMAC_SHA256_128, 32, 16},
    {"null-sha384", UIPSEC_ENC_NULL, 0, UIPSEC_INTEG_HMAC_SHA384_192, 48, 24},
    {"null-sha512", UIPSEC_ENC_NULL, 0, UIPSEC_INTEG_HMAC_SHA512_256, 64, 32},
    {"null-sha256-longkey", UIPSEC_ENC_NULL, 0, UIPSEC_INTEG_HMAC_SHA256_128, 65, 32},
    {"null-sha512-longkey", UIPSEC_ENC_NULL, 0, UIPSEC_INTEG_HMAC_SHA512_256, 131, 64},
    {"null-sha384-emptykey", UIPSEC_ENC_NULL, 0, UIPSEC_INTEG_HMAC_SHA384_192, 0, 24},
};

static const struct suite *find_suite(const char *name)
{
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (strcmp(suites[i].name, name) == 0)
            return &suites[i];
    fail_msg("no suite %s", name);
    return NULL;
}

static const size_t cross_lengths[] = {0,    1,    2,    15,   16,   17,   31,   32,   33,   47,
                                       48,   63,   64,   65,   95,   96,   127,  128,  129,  191,
                                       192,  255,  256,  257,  511,  512,  513,  1023, 1024, 1400,
                                       1500, 2047, 2048, 4095, 4096, 8191, 8192, 8999, 9000};

#define CROSS_RANDOM 40 /* random lengths in [0, CROSS_MAX] on top of the list */

/* splitmix64, fixed seed: a failure reproduces. */
static uint64_t rng_state = 0x5eed5eed2024ULL;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_fill(uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)rng_next();
}

static void *suite_state(const struct uipsec_crypto_ops *ops, const struct suite *s,
                         const uint8_t *enc_key, const uint8_t *auth_key)
{
    struct uipsec_crypto_keys k = {
        .enc = s->enc,
        .enc_key = enc_key,
        .enc_key_len = s->enc_key_len,
        .integ = s->integ,
        .auth_key = auth_key,
        .auth_key_len = s->auth_key_len,
        .icv_len = s->icv_len,
    };
    void *state = NULL;

    assert_int_equal(ops->init(&state, &k), UIPSEC_OK);
    return state;
}

/* One side's output for a message: ciphertext (or the message) and ICV. */
struct sealed {
    uint8_t *data;
    size_t len;
    uint8_t icv[MAX_ICV];
};

static bool is_aead(enum uipsec_enc enc)
{
    return enc == UIPSEC_ENC_AES_GCM16 || enc == UIPSEC_ENC_AES_GMAC ||
           enc == UIPSEC_ENC_CHACHA20_POLY1305;
}

/* GMAC takes the whole message as AAD; the other AEADs an ESP-sized AAD. */
static void seal(const struct uipsec_crypto_ops *ops, void *st, const struct suite *s,
                 const uint8_t *nonce, const uint8_t *msg, size_t len, struct sealed *out)
{
    static const uint8_t aad[12] = {1, 2, 3, 4, 0, 0, 0, 9, 0, 0, 0, 7};
    size_t aad_len = 8 + 4 * (len & 1);

    out->len = len;
    out->data = malloc(len > 0 ? len : 1);
    assert_non_null(out->data);
    memcpy(out->data, msg, len);
    if (s->enc == UIPSEC_ENC_AES_GMAC)
        assert_true(ops->aead_seal(st, nonce, out->data, len, NULL, 0, out->icv));
    else if (is_aead(s->enc))
        assert_true(ops->aead_seal(st, nonce, aad, aad_len, out->data, len, out->icv));
    if (s->enc == UIPSEC_ENC_AES_CBC)
        assert_true(ops->cbc_encrypt(st, nonce, out->data, len)); /* nonce doubles as IV */
    if (s->integ != UIPSEC_INTEG_NONE)
        assert_true(ops->hmac(st, out->data, len, out->icv));
}

/* Undoes seal(): true when the ICV verified and the message came back. */
static bool open_sealed(const struct uipsec_crypto_ops *ops, void *st, const struct suite *s,
                        const uint8_t *nonce, struct sealed *in)
{
    static const uint8_t aad[12] = {1, 2, 3, 4, 0, 0, 0, 9, 0, 0, 0, 7};
    size_t aad_len = 8 + 4 * (in->len & 1);
    uint8_t icv[MAX_ICV];

    if (s->enc == UIPSEC_ENC_AES_GMAC)
        return ops->aead_open(st, nonce, in->data, in->len, NULL, 0, in->icv);
    if (is_aead(s->enc))
        return ops->aead_open(st, nonce, aad, aad_len, in->data, in->len, in->icv);
    if (s->integ != UIPSEC_INTEG_NONE &&
        (!ops->hmac(st, in->data, in->len, icv) || memcmp(icv, in->icv, s->icv_len) != 0))
        return false;
    return s->enc != UIPSEC_ENC_AES_CBC || ops->cbc_decrypt(st, nonce, in->data, in->len);
}

static void cross_one(const struct suite *s, size_t a, size_t b, void *st_a, void *st_b, size_t len)
{
    uint8_t nonce[UIPSEC_CBC_IV_LEN], *msg = malloc(len > 0 ? len : 1);
    struct sealed by_a, by_b;

    assert_non_null(msg);
    if (s->enc == UIPSEC_ENC_AES_CBC)
        len -= len % UIPSEC_CBC_IV_LEN;
    rng_fill(nonce, sizeof nonce);
    rng_fill(msg, len);
    seal(backends[a].ops, st_a, s, nonce, msg, len, &by_a);
    seal(backends[b].ops, st_b, s, nonce, msg, len, &by_b);
    assert_memory_equal(by_a.data, by_b.data, len);
    assert_memory_equal(by_a.icv, by_b.icv, s->icv_len);
    assert_true(open_sealed(backends[b].ops, st_b, s, nonce, &by_a));
    assert_memory_equal(by_a.data, msg, len);
    if (s->icv_len > 0) {
        by_b.icv[0] ^= 0x20;
        assert_false(open_sealed(backends[a].ops, st_a, s, nonce, &by_b));
    }
    free(by_a.data);
    free(by_b.data);
    free(msg);
}

static void cross_suite(const struct suite *s, size_t a, size_t b)
{
    uint8_t enc_key[MAX_KEY], auth_key[MAX_KEY];
    void *st_a, *st_b;
    size_t n = sizeof cross_lengths / sizeof cross_lengths[0];

    rng_fill(enc_key, sizeof enc_key);
    rng_fill(auth_key, sizeof auth_key);
    st_a = suite_state(backends[a].ops, s, enc_key, auth_key);
    st_b = suite_state(backends[b].ops, s, enc_key, auth_key);
    for (size_t i = 0; i < n + CROSS_RANDOM; i++)
        cross_one(s, a, b, st_a, st_b,
                  i < n ? cross_lengths[i] : (size_t)(rng_next() % (CROSS_MAX + 1)));
    backends[a].ops->free(st_a);
    backends[b].ops->free(st_b);
    checked[a] += n + CROSS_RANDOM;
}

/* Sealed by one backend, opened by the other, in both directions; with one
 * backend built in this is a round trip through it. */
static void test_cross_backend(void **unused)
{
    (void)unused;
    begin_count();
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        for (size_t a = 0; a < n_backends; a++)
            cross_suite(&suites[i], a, n_backends > 1 ? 1 - a : a);
    end_count("cross-check between backends");
}

/* ---- threads: different SAs on different threads at once ---- */

#define THREADS      4
#define THREAD_ITERS 300

struct thread_arg {
    const struct suite *suite;
    uint64_t seed;
    size_t failures;
};

/* No cmocka asserts here: they would longjmp out of the wrong thread. */
static bool thread_round(void *st_mb, void *st_ossl, const struct suite *s, uint64_t *seed)
{
    const struct uipsec_crypto_ops *mb = backends[n_backends - 1].ops;
    uint8_t iv[UIPSEC_CBC_IV_LEN] = {0}, x[1024], y[1024], icv_x[MAX_ICV], icv_y[MAX_ICV];
    size_t len = 16 * (size_t)(*seed % 64);

    for (size_t i = 0; i < len; i++)
        x[i] = y[i] = (uint8_t)(*seed >> (i % 56));
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    memcpy(iv, seed, sizeof *seed);
    if (!mb->cbc_encrypt(st_mb, iv, x, len) || !mb->hmac(st_mb, x, len, icv_x))
        return false;
    if (!uipsec_crypto_openssl.cbc_encrypt(st_ossl, iv, y, len) ||
        !uipsec_crypto_openssl.hmac(st_ossl, y, len, icv_y))
        return false;
    return memcmp(x, y, len) == 0 && memcmp(icv_x, icv_y, s->icv_len) == 0;
}

static void *thread_main(void *p)
{
    struct thread_arg *arg = p;
    const struct suite *s = arg->suite;
    uint8_t enc_key[MAX_KEY], auth_key[MAX_KEY];
    struct uipsec_crypto_keys k = {
        .enc = s->enc,
        .enc_key = enc_key,
        .enc_key_len = s->enc_key_len,
        .integ = s->integ,
        .auth_key = auth_key,
        .auth_key_len = s->auth_key_len,
        .icv_len = s->icv_len,
    };
    void *st_mb = NULL, *st_ossl = NULL;
    uint64_t seed = arg->seed;

    memset(enc_key, (int)arg->seed, sizeof enc_key);
    memset(auth_key, (int)(arg->seed >> 8), sizeof auth_key);
    if (backends[n_backends - 1].ops->init(&st_mb, &k) != UIPSEC_OK ||
        uipsec_crypto_openssl.init(&st_ossl, &k) != UIPSEC_OK) {
        arg->failures++;
        return NULL;
    }
    for (int i = 0; i < THREAD_ITERS; i++)
        arg->failures += !thread_round(st_mb, st_ossl, s, &seed);
    backends[n_backends - 1].ops->free(st_mb);
    uipsec_crypto_openssl.free(st_ossl);
    return NULL;
}

/* The job-API backend keeps one manager per thread: SAs created here and
 * used on worker threads at the same time must still agree with OpenSSL,
 * and ASan's leak check sees each worker's manager freed at its exit. */
static void test_threads(void **unused)
{
    const struct suite *s = find_suite("aes256-sha512"); /* both kinds of job */
    pthread_t t[THREADS];
    struct thread_arg args[THREADS];

    (void)unused;
    for (size_t i = 0; i < THREADS; i++) {
        args[i] = (struct thread_arg){.suite = s, .seed = 0x1234567 * (i + 1)};
        assert_int_equal(pthread_create(&t[i], NULL, thread_main, &args[i]), 0);
    }
    for (size_t i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(args[i].failures, 0);
    }
    printf("[ threads  ] %d threads x %d rounds on %s, compared with openssl\n", THREADS,
           THREAD_ITERS, backends[n_backends - 1].name);
}

/* ---- what init refuses, and calls that do not fit the state ---- */

static void expect_unsupported(const struct uipsec_crypto_ops *ops, struct uipsec_crypto_keys k)
{
    void *state = (void *)&k;

    assert_int_equal(ops->init(&state, &k), UIPSEC_E_UNSUPPORTED);
    assert_null(state);
}

static void test_unsupported(void **unused)
{
    static const uint8_t key[MAX_KEY];
    const struct uipsec_crypto_keys gcm = {
        UIPSEC_ENC_AES_GCM16, key, 16, UIPSEC_INTEG_NONE, NULL, 0, 16};
    const struct uipsec_crypto_keys cbc = {
        UIPSEC_ENC_AES_CBC, key, 16, UIPSEC_INTEG_HMAC_SHA256_128, key, 32, 16};

    (void)unused;
    for (size_t b = 0; b < n_backends; b++) {
        const struct uipsec_crypto_ops *ops = backends[b].ops;
        struct uipsec_crypto_keys k;

        k = gcm;
        k.enc_key_len = 24; /* AES-192 is not an ESP suite here */
        expect_unsupported(ops, k);
        k = gcm;
        k.icv_len = 12;
        expect_unsupported(ops, k);
        k = gcm;
        k.integ = UIPSEC_INTEG_HMAC_SHA256_128; /* AEAD with HMAC */
        expect_unsupported(ops, k);
        k = gcm;
        k.enc = UIPSEC_ENC_CHACHA20_POLY1305; /* with a 16-byte key */
        expect_unsupported(ops, k);
        k = gcm;
        k.enc = (enum uipsec_enc)99;
        expect_unsupported(ops, k);
        k = cbc;
        k.enc_key_len = 24;
        expect_unsupported(ops, k);
        k = cbc;
        k.icv_len = 0;
        expect_unsupported(ops, k);
        k = cbc;
        k.icv_len = 33; /* longer than SHA-256 */
        expect_unsupported(ops, k);
        k = cbc;
        k.integ = (enum uipsec_integ)99;
        expect_unsupported(ops, k);
        ops->free(NULL);
    }
}

static void expect_misuse_fails(const struct uipsec_crypto_ops *ops, void *st, bool aead, bool cbc,
                                bool hmac)
{
    uint8_t buf[32] = {0}, tag[MAX_ICV] = {0}, nonce[UIPSEC_CBC_IV_LEN] = {0};

    if (!aead) {
        assert_false(ops->aead_seal(st, nonce, buf, 8, buf, 16, tag));
        assert_false(ops->aead_open(st, nonce, buf, 8, buf, 16, tag));
    }
    if (!cbc) {
        assert_false(ops->cbc_encrypt(st, nonce, buf, 16));
        assert_false(ops->cbc_decrypt(st, nonce, buf, 16));
    }
    if (!hmac)
        assert_false(ops->hmac(st, buf, 16, tag));
}

static void test_misuse(void **unused)
{
    static const uint8_t key[MAX_KEY];
    const struct suite *gcm = find_suite("aes128gcm16"), *gmac = find_suite("aes128gmac");
    const struct suite *cbc = find_suite("aes128"), *null_sha = find_suite("null-sha256");
    uint8_t buf[32] = {0}, tag[MAX_ICV] = {0}, nonce[UIPSEC_CBC_IV_LEN] = {0};

    (void)unused;
    for (size_t b = 0; b < n_backends; b++) {
        const struct uipsec_crypto_ops *ops = backends[b].ops;
        void *st = suite_state(ops, gcm, key, key);

        expect_misuse_fails(ops, st, true, false, false);
        ops->free(st);
        st = suite_state(ops, gmac, key, key);
        assert_false(ops->aead_seal(st, nonce, buf, 8, buf, 16, tag)); /* GMAC encrypts nothing */
        ops->free(st);
        st = suite_state(ops, cbc, key, key);
        expect_misuse_fails(ops, st, false, true, false);
        assert_false(ops->cbc_encrypt(st, nonce, buf, 15)); /* not whole blocks */
        assert_true(ops->cbc_encrypt(st, nonce, buf, 0));
        ops->free(st);
        st = suite_state(ops, null_sha, key, key);
        expect_misuse_fails(ops, st, false, false, true);
        ops->free(st);
    }
}

/* ---- backend selection (crypto.c) ---- */

static void test_select(void **unused)
{
    static const uint8_t key[16];
    const struct uipsec_crypto_keys k = {
        UIPSEC_ENC_AES_GCM16, key, 16, UIPSEC_INTEG_NONE, NULL, 0, 16};
    struct uipsec_crypto_keys bad = k;
    struct uipsec_crypto c;
    bool have_mb = uipsec_crypto_ipsecmb != NULL;

    (void)unused;
    assert_int_equal(uipsec_crypto_init(&c, UIPSEC_BACKEND_AUTO, &k), UIPSEC_OK);
    assert_int_equal(c.backend, have_mb ? UIPSEC_BACKEND_IPSECMB : UIPSEC_BACKEND_OPENSSL);
    assert_string_equal(c.ops->name, have_mb ? "ipsec-mb" : "openssl");
    uipsec_crypto_free(&c);
    assert_null(c.ops);
    assert_int_equal(uipsec_crypto_init(&c, UIPSEC_BACKEND_OPENSSL, &k), UIPSEC_OK);
    assert_ptr_equal(c.ops, &uipsec_crypto_openssl);
    assert_int_equal(c.backend, UIPSEC_BACKEND_OPENSSL);
    uipsec_crypto_free(&c);
    assert_int_equal(uipsec_crypto_init(&c, UIPSEC_BACKEND_IPSECMB, &k),
                     have_mb ? UIPSEC_OK : UIPSEC_E_UNSUPPORTED);
    uipsec_crypto_free(&c);
    assert_int_equal(uipsec_crypto_init(&c, (enum uipsec_backend)7, &k), UIPSEC_E_PARAM);
    bad.enc_key_len = 24;
    assert_int_equal(uipsec_crypto_init(&c, UIPSEC_BACKEND_AUTO, &bad), UIPSEC_E_UNSUPPORTED);
    assert_null(c.ops);
    uipsec_crypto_free(&c);
}

static void test_backend_names(void **unused)
{
    (void)unused;
    assert_string_equal(uipsec_backend_name(UIPSEC_BACKEND_AUTO), "auto");
    assert_string_equal(uipsec_backend_name(UIPSEC_BACKEND_OPENSSL), "openssl");
    assert_string_equal(uipsec_backend_name(UIPSEC_BACKEND_IPSECMB), "ipsec-mb");
    assert_string_equal(uipsec_backend_name((enum uipsec_backend)42), "unknown");
    assert_true(uipsec_backend_available(UIPSEC_BACKEND_AUTO));
    assert_true(uipsec_backend_available(UIPSEC_BACKEND_OPENSSL));
    assert_int_equal(uipsec_backend_available(UIPSEC_BACKEND_IPSECMB),
                     uipsec_crypto_ipsecmb != NULL);
    assert_false(uipsec_backend_available((enum uipsec_backend)42));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aes_gcm),
        cmocka_unit_test(test_chacha20_poly1305),
        cmocka_unit_test(test_wycheproof_aes_gcm),
        cmocka_unit_test(test_wycheproof_chacha20_poly1305),
        cmocka_unit_test(test_aes_cbc),
        cmocka_unit_test(test_hmac_rfc),
        cmocka_unit_test(test_wycheproof_hmac),
        cmocka_unit_test(test_cross_backend),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_backend_names),
    };

    if (argc > 1)
        vectors_dir = argv[1];
    backends[n_backends++] = (struct backend){"openssl", &uipsec_crypto_openssl};
    if (uipsec_crypto_ipsecmb != NULL)
        backends[n_backends++] = (struct backend){"ipsec-mb", uipsec_crypto_ipsecmb};
#ifdef UIPSEC_HAVE_IPSECMB
    if (uipsec_crypto_ipsecmb == NULL) {
        fprintf(stderr, "built with intel-ipsec-mb but its backend is missing\n");
        return 1;
    }
#endif
    printf("[ backends ] %zu: openssl%s; vectors from %s\n", n_backends,
           n_backends > 1 ? ", ipsec-mb" : "", vectors_dir);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
