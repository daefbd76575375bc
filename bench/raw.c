/* SPDX-License-Identifier: MIT */
/*
 * Raw baselines: the suite's cipher called directly on the bench buffers,
 * with nothing of ESP around it.  This file picks the library and holds the
 * OpenSSL one: EVP contexts keyed once, per packet only the IV set, as the
 * OpenSSL documentation shows it.
 */
#include "raw.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define AEAD_TAG    16
#define ESP_HDR     8
#define MAX_DIGEST  64
#define AES_BLOCK   16
#define AEAD_IV_LEN 8

struct bench_raw {
    const struct raw_ops *ops;
    void *state;
    enum raw_kind kind;
};

struct ossl_raw {
    enum raw_kind kind;
    EVP_CIPHER_CTX *seal, *open;
    EVP_MAC_CTX *mac;
    uint8_t salt[UIPSEC_SALT_LEN];
    uint64_t iv; /* AEAD IVs: a counter */
};

void raw_nonce(const uint8_t salt[UIPSEC_SALT_LEN], const uint8_t iv[8], uint8_t nonce[12])
{
    memcpy(nonce, salt, UIPSEC_SALT_LEN);
    memcpy(nonce + UIPSEC_SALT_LEN, iv, AEAD_IV_LEN);
}

static const EVP_CIPHER *ossl_cipher(const struct uipsec_sa_params *p)
{
    bool k128 = p->enc_key_len == 16;

    switch (p->enc) {
    case UIPSEC_ENC_AES_GCM16:
    case UIPSEC_ENC_AES_GMAC:
        return k128 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
    case UIPSEC_ENC_AES_CBC:
        return k128 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
    case UIPSEC_ENC_CHACHA20_POLY1305:
        return EVP_chacha20_poly1305();
    default:
        return NULL;
    }
}

static const char *ossl_digest(enum uipsec_integ integ)
{
    return integ == UIPSEC_INTEG_HMAC_SHA256_128   ? "SHA256"
           : integ == UIPSEC_INTEG_HMAC_SHA384_192 ? "SHA384"
                                                   : "SHA512";
}

static EVP_CIPHER_CTX *ossl_cipher_ctx(const struct uipsec_sa_params *p, int enc)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

    if (ctx == NULL || EVP_CipherInit_ex(ctx, ossl_cipher(p), NULL, p->enc_key, NULL, enc) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static EVP_MAC_CTX *ossl_mac_ctx(const struct uipsec_sa_params *p)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)ossl_digest(p->integ), 0),
        OSSL_PARAM_construct_end(),
    };
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;

    EVP_MAC_free(mac);
    if (ctx != NULL && EVP_MAC_init(ctx, p->auth_key, p->auth_key_len, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static void ossl_free(void *state)
{
    struct ossl_raw *r = state;

    if (r == NULL)
        return;
    EVP_CIPHER_CTX_free(r->seal);
    EVP_CIPHER_CTX_free(r->open);
    EVP_MAC_CTX_free(r->mac);
    free(r);
}

static int ossl_init(void **state, const struct uipsec_sa_params *p, enum raw_kind kind,
                     unsigned flags)
{
    struct ossl_raw *r = calloc(1, sizeof *r);
    bool cipher = kind != RAW_HMAC, mac = kind == RAW_CBC_HMAC || kind == RAW_HMAC;

    (void)flags; /* none apply to OpenSSL */
    *state = r;
    if (r == NULL)
        return UIPSEC_E_NOMEM;
    r->kind = kind;
    memcpy(r->salt, p->salt, sizeof r->salt);
    if (cipher &&
        ((r->seal = ossl_cipher_ctx(p, 1)) == NULL || (r->open = ossl_cipher_ctx(p, 0)) == NULL))
        return UIPSEC_E_CRYPTO;
    if (mac && (r->mac = ossl_mac_ctx(p)) == NULL)
        return UIPSEC_E_CRYPTO;
    return UIPSEC_OK;
}

/* AEAD and GMAC: AAD first, then the payload (none for GMAC). */
static bool ossl_aead(EVP_CIPHER_CTX *ctx, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                      uint8_t *data, size_t len)
{
    int outl;

    return EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, -1) == 1 &&
           EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) == 1 &&
           (len == 0 || EVP_CipherUpdate(ctx, data, &outl, data, (int)len) == 1);
}

static bool ossl_mac(EVP_MAC_CTX *mac, const uint8_t *data, size_t len, uint8_t *icv,
                     size_t icv_len)
{
    uint8_t md[MAX_DIGEST];
    size_t md_len;

    if (EVP_MAC_init(mac, NULL, 0, NULL) != 1 || EVP_MAC_update(mac, data, len) != 1 ||
        EVP_MAC_final(mac, md, &md_len, sizeof md) != 1)
        return false;
    memcpy(icv, md, icv_len);
    return true;
}

static bool ossl_cbc(EVP_CIPHER_CTX *ctx, const uint8_t *iv, uint8_t *data, size_t len)
{
    int outl;

    return EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1) == 1 &&
           EVP_CipherUpdate(ctx, data, &outl, data, (int)len) == 1;
}

static bool ossl_seal_one(struct ossl_raw *r, uint8_t *region, const struct bench_shape *s)
{
    uint8_t nonce[12], none[AES_BLOCK], *icv = region + s->icv_off;
    bool gmac = r->kind == RAW_GMAC;
    int outl;

    switch (r->kind) {
    case RAW_AEAD:
    case RAW_GMAC:
        memcpy(region + ESP_HDR, &r->iv, AEAD_IV_LEN);
        r->iv++;
        raw_nonce(r->salt, region + ESP_HDR, nonce);
        return ossl_aead(r->seal, nonce, region, gmac ? s->auth_len : ESP_HDR, region + s->hdr,
                         gmac ? 0 : s->padded) &&
               EVP_EncryptFinal_ex(r->seal, none, &outl) == 1 &&
               EVP_CIPHER_CTX_ctrl(r->seal, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG, icv) == 1;
    case RAW_CBC_HMAC:
        if (!ossl_cbc(r->seal, region + ESP_HDR, region + s->hdr, s->padded))
            return false;
        return ossl_mac(r->mac, region, s->auth_len, icv, s->icv_len);
    case RAW_HMAC:
        return ossl_mac(r->mac, region, s->auth_len, icv, s->icv_len);
    }
    return false;
}

static bool ossl_open_aead(struct ossl_raw *r, uint8_t *region, const struct bench_shape *s)
{
    uint8_t nonce[12], none[AES_BLOCK], tag[AEAD_TAG];
    bool gmac = r->kind == RAW_GMAC;
    int outl;

    memcpy(tag, region + s->icv_off, sizeof tag);
    raw_nonce(r->salt, region + ESP_HDR, nonce);
    return ossl_aead(r->open, nonce, region, gmac ? s->auth_len : ESP_HDR, region + s->hdr,
                     gmac ? 0 : s->padded) &&
           EVP_CIPHER_CTX_ctrl(r->open, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG, tag) == 1 &&
           EVP_DecryptFinal_ex(r->open, none, &outl) == 1;
}

/* Encrypt-then-MAC: the ICV is checked before anything is decrypted. */
static bool ossl_open_one(struct ossl_raw *r, uint8_t *region, const struct bench_shape *s)
{
    uint8_t want[MAX_DIGEST];
    bool ok;

    if (r->kind == RAW_AEAD || r->kind == RAW_GMAC)
        return ossl_open_aead(r, region, s);
    if (!ossl_mac(r->mac, region, s->auth_len, want, s->icv_len))
        return false;
    ok = CRYPTO_memcmp(want, region + s->icv_off, s->icv_len) == 0 || s->ah;
    if (ok && r->kind == RAW_CBC_HMAC)
        ok = ossl_cbc(r->open, region + ESP_HDR, region + s->hdr, s->padded);
    return ok;
}

static bool ossl_seal(void *state, uint8_t *const *regions, const struct bench_shape *s)
{
    bool ok = true;

    for (size_t i = 0; i < BENCH_BATCH; i++)
        ok &= ossl_seal_one(state, regions[i], s);
    return ok;
}

static bool ossl_open(void *state, uint8_t *const *regions, const struct bench_shape *s)
{
    bool ok = true;

    for (size_t i = 0; i < BENCH_BATCH; i++)
        ok &= ossl_open_one(state, regions[i], s);
    return ok;
}

const struct raw_ops raw_openssl = {
    .init = ossl_init,
    .free = ossl_free,
    .seal = ossl_seal,
    .seal_burst = NULL,
    .open = ossl_open,
};

#ifndef UIPSEC_HAVE_IPSECMB
const struct raw_ops *const raw_ipsecmb = NULL;
#endif

const char *bench_ipsecmb_info(void)
{
#ifdef UIPSEC_HAVE_IPSECMB
    return raw_ipsecmb_info();
#else
    return "intel-ipsec-mb: not built in";
#endif
}

static enum raw_kind kind_of(const struct uipsec_sa_params *p)
{
    if (p->proto == UIPSEC_PROTO_AH || p->enc == UIPSEC_ENC_NULL)
        return RAW_HMAC;
    if (p->enc == UIPSEC_ENC_AES_GMAC)
        return RAW_GMAC;
    return p->enc == UIPSEC_ENC_AES_CBC ? RAW_CBC_HMAC : RAW_AEAD;
}

int bench_raw_new(enum uipsec_backend lib, const struct uipsec_sa_params *p, unsigned flags,
                  struct bench_raw **out)
{
    const struct raw_ops *ops = lib == UIPSEC_BACKEND_IPSECMB ? raw_ipsecmb : &raw_openssl;
    struct bench_raw *r;
    int rc;

    *out = NULL;
    if (ops == NULL)
        return UIPSEC_E_UNSUPPORTED;
    if ((r = calloc(1, sizeof *r)) == NULL)
        return UIPSEC_E_NOMEM;
    r->ops = ops;
    r->kind = kind_of(p);
    rc = ops->init(&r->state, p, r->kind, flags);
    if (rc != UIPSEC_OK) {
        bench_raw_free(r);
        return rc;
    }
    *out = r;
    return UIPSEC_OK;
}

void bench_raw_free(struct bench_raw *r)
{
    if (r == NULL)
        return;
    r->ops->free(r->state);
    free(r);
}

static void regions_of(const struct bench_bufs *bufs, const struct bench_shape *s,
                       uint8_t *regions[BENCH_BATCH])
{
    for (size_t i = 0; i < BENCH_BATCH; i++)
        regions[i] = bench_region(bufs, i, s);
}

bool bench_raw_seal(struct bench_raw *r, const struct bench_bufs *bufs, const struct bench_shape *s)
{
    uint8_t *regions[BENCH_BATCH];

    regions_of(bufs, s, regions);
    return r->ops->seal(r->state, regions, s);
}

/* Bursts exist only where a library queues jobs: ipsec-mb's job API. */
bool bench_raw_has_burst(const struct bench_raw *r)
{
    return r->ops->seal_burst != NULL && (r->kind == RAW_CBC_HMAC || r->kind == RAW_HMAC);
}

bool bench_raw_seal_burst(struct bench_raw *r, const struct bench_bufs *bufs,
                          const struct bench_shape *s)
{
    uint8_t *regions[BENCH_BATCH];

    regions_of(bufs, s, regions);
    return r->ops->seal_burst(r->state, regions, s);
}

bool bench_raw_open(struct bench_raw *r, const struct bench_bufs *bufs, const struct bench_shape *s)
{
    uint8_t *regions[BENCH_BATCH];

    regions_of(bufs, s, regions);
    return r->ops->open(r->state, regions, s);
}
