/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 prf and prf+ (RFC 7296 2.13) over OpenSSL's HMAC.  The key schedule
 * (ipad/opad) is done once per call; every block restarts from it by
 * re-initialising the MAC without a key.
 */
#include "prf.h"
#include "ossl_mac.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

/* OpenSSL digest name and output length; NULL and 0 for unknown ids. */
static const char *digest_of(enum ike_prf_alg alg, size_t *len)
{
    switch (alg) {
    case IKE_PRF_ALG_HMAC_SHA1:
        *len = 20;
        return "SHA1";
    case IKE_PRF_ALG_TEST_HMAC_SHA2_224:
        *len = 28;
        return "SHA2-224";
    case IKE_PRF_ALG_HMAC_SHA2_256:
        *len = 32;
        return "SHA2-256";
    case IKE_PRF_ALG_HMAC_SHA2_384:
        *len = 48;
        return "SHA2-384";
    case IKE_PRF_ALG_HMAC_SHA2_512:
        *len = 64;
        return "SHA2-512";
    }
    *len = 0;
    return NULL;
}

size_t ike_prf_len(enum ike_prf_alg alg)
{
    size_t len;

    (void)digest_of(alg, &len);
    return len;
}

/* An HMAC context keyed with key; *out is set even on failure (free it). */
static int mac_new(enum ike_prf_alg alg, const uint8_t *key, size_t key_len, EVP_MAC_CTX **out)
{
    size_t len;
    const char *digest = digest_of(alg, &len);

    *out = NULL;
    if (digest == NULL)
        return UIPSEC_E_UNSUPPORTED;
    if (key == NULL || key_len == 0)
        return UIPSEC_E_PARAM; /* a NULL key would mean "keep the old key" */
    return ossl_hmac_new(digest, key, key_len, out);
}

/* out = prf(K, prev | data... | counter) on a keyed context; prev may be
 * empty and counter 0 means none (prf itself rather than a prf+ block). */
static int mac_block(EVP_MAC_CTX *ctx, const struct ike_iov *prev, const struct ike_iov *data,
                     size_t n, uint8_t counter, uint8_t *out, size_t out_len)
{
    size_t got = 0;

    if (EVP_MAC_init(ctx, NULL, 0, NULL) != 1)
        return UIPSEC_E_CRYPTO;
    if (prev->len > 0 && EVP_MAC_update(ctx, prev->p, prev->len) != 1)
        return UIPSEC_E_CRYPTO;
    for (size_t i = 0; i < n; i++)
        if (data[i].len > 0 && EVP_MAC_update(ctx, data[i].p, data[i].len) != 1)
            return UIPSEC_E_CRYPTO;
    if (counter != 0 && EVP_MAC_update(ctx, &counter, 1) != 1)
        return UIPSEC_E_CRYPTO;
    if (EVP_MAC_final(ctx, out, &got, out_len) != 1 || got != out_len)
        return UIPSEC_E_CRYPTO;
    return UIPSEC_OK;
}

int ike_prf(enum ike_prf_alg alg, const uint8_t *key, size_t key_len, const struct ike_iov *data,
            size_t n, uint8_t *out, size_t out_len)
{
    static const struct ike_iov none = {NULL, 0};
    EVP_MAC_CTX *ctx = NULL;
    int rc = UIPSEC_E_PARAM;

    ERR_set_mark();
    if (ike_prf_len(alg) == 0)
        rc = UIPSEC_E_UNSUPPORTED;
    else if (out_len == ike_prf_len(alg))
        rc = mac_new(alg, key, key_len, &ctx);
    if (rc == UIPSEC_OK)
        rc = mac_block(ctx, &none, data, n, 0, out, out_len);
    EVP_MAC_CTX_free(ctx); /* OpenSSL cleanses the HMAC pads */
    ERR_pop_to_mark();     /* our failures stay out of the caller's error queue */
    if (rc != UIPSEC_OK && out_len > 0)
        OPENSSL_cleanse(out, out_len);
    return rc;
}

/* The blocks of prf+: T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n). */
static int plus_blocks(EVP_MAC_CTX *ctx, size_t block, const struct ike_iov *data, size_t n,
                       uint8_t *out, size_t out_len)
{
    uint8_t t[IKE_PRF_MAX_LEN];
    struct ike_iov prev = {t, 0};
    size_t done = 0;
    int rc = UIPSEC_OK;

    for (unsigned i = 1; done < out_len; i++) {
        size_t take = out_len - done < block ? out_len - done : block;

        rc = mac_block(ctx, &prev, data, n, (uint8_t)i, t, block);
        if (rc != UIPSEC_OK)
            goto wipe;
        memcpy(out + done, t, take);
        done += take;
        prev.len = block;
    }
wipe:
    OPENSSL_cleanse(t, sizeof t);
    return rc;
}

int ike_prf_plus(enum ike_prf_alg alg, const uint8_t *key, size_t key_len,
                 const struct ike_iov *data, size_t n, uint8_t *out, size_t out_len)
{
    size_t block = ike_prf_len(alg);
    EVP_MAC_CTX *ctx = NULL;
    int rc = UIPSEC_E_PARAM;

    if (block != 0 && out_len == 0)
        return UIPSEC_OK;
    ERR_set_mark();
    if (block == 0)
        rc = UIPSEC_E_UNSUPPORTED;
    else if (out_len <= IKE_PRF_PLUS_MAX_BLOCKS * block)
        rc = mac_new(alg, key, key_len, &ctx);
    if (rc == UIPSEC_OK)
        rc = plus_blocks(ctx, block, data, n, out, out_len);
    EVP_MAC_CTX_free(ctx);
    ERR_pop_to_mark();
    if (rc != UIPSEC_OK && out_len > 0)
        OPENSSL_cleanse(out, out_len);
    return rc;
}

int ike_psk_mac(enum ike_prf_alg alg, const uint8_t *psk, size_t psk_len,
                const struct ike_iov *octets, size_t n, uint8_t *out, size_t out_len)
{
    static const char pad[] = "Key Pad for IKEv2";
    const struct ike_iov padv = {(const uint8_t *)pad, sizeof pad - 1};
    uint8_t key[IKE_PRF_MAX_LEN];
    int rc;

    /* ike_prf refuses an out_len that is not the PRF's: key is big enough */
    rc = ike_prf(alg, psk, psk_len, &padv, 1, key, out_len);
    if (rc == UIPSEC_OK)
        rc = ike_prf(alg, key, out_len, octets, n, out, out_len);
    else if (out_len > 0)
        OPENSSL_cleanse(out, out_len);
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}
