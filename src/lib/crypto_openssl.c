/* SPDX-License-Identifier: MIT */
/*
 * The OpenSSL 3 backend of the crypto seam.  All key setup happens in init:
 * a cipher context keyed for sealing and one keyed for opening, and an HMAC
 * context keyed once.  Per packet only the IV is set (cipher and key NULL) and
 * the HMAC is re-initialised without a key, which restarts from the saved
 * ipad/opad state, so no packet pays for a key schedule or an allocation.
 *
 * EVP_MAC was chosen over the deprecated HMAC_CTX: on 64 and 1400-byte
 * messages the two differed by less than the run-to-run noise (~10%).
 */
#include "crypto.h"
#include "ossl_mac.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define AEAD_TAG_LEN  16
#define MAX_DIGEST    64
#define AES_BLOCK_LEN 16

struct ossl_state {
    enum uipsec_enc enc;
    enum uipsec_integ integ;
    size_t icv_len;
    EVP_CIPHER_CTX *seal; /* keyed for encryption */
    EVP_CIPHER_CTX *open; /* keyed for decryption: CBC needs the inverse key schedule */
    EVP_MAC_CTX *mac;     /* HMAC, keyed once */
};

static bool is_aead(enum uipsec_enc enc)
{
    return enc == UIPSEC_ENC_AES_GCM16 || enc == UIPSEC_ENC_AES_GMAC ||
           enc == UIPSEC_ENC_CHACHA20_POLY1305;
}

/* NULL when the suite or key size is not one of ours (ENC_NULL included). */
static const EVP_CIPHER *cipher_of(enum uipsec_enc enc, size_t key_len)
{
    switch (enc) {
    case UIPSEC_ENC_AES_GCM16:
    case UIPSEC_ENC_AES_GMAC:
        return key_len == 16 ? EVP_aes_128_gcm() : key_len == 32 ? EVP_aes_256_gcm() : NULL;
    case UIPSEC_ENC_AES_CBC:
        return key_len == 16 ? EVP_aes_128_cbc() : key_len == 32 ? EVP_aes_256_cbc() : NULL;
    case UIPSEC_ENC_CHACHA20_POLY1305:
        return key_len == 32 ? EVP_chacha20_poly1305() : NULL;
    default:
        return NULL;
    }
}

/* OpenSSL digest name and full output length of an integrity algorithm. */
static const char *digest_of(enum uipsec_integ integ, size_t *len)
{
    switch (integ) {
    case UIPSEC_INTEG_HMAC_SHA256_128:
        *len = 32;
        return "SHA256";
    case UIPSEC_INTEG_HMAC_SHA384_192:
        *len = 48;
        return "SHA384";
    case UIPSEC_INTEG_HMAC_SHA512_256:
        *len = 64;
        return "SHA512";
    default:
        *len = 0;
        return NULL;
    }
}

/* The suites this backend runs: AEAD alone with a 16-byte tag; CBC or NULL
 * with or without HMAC, truncated to at most the digest length. */
static int check_keys(const struct uipsec_crypto_keys *k)
{
    size_t digest_len;

    if (k->enc != UIPSEC_ENC_NULL && cipher_of(k->enc, k->enc_key_len) == NULL)
        return UIPSEC_E_UNSUPPORTED;
    if (is_aead(k->enc))
        return k->integ == UIPSEC_INTEG_NONE && k->icv_len == AEAD_TAG_LEN ? UIPSEC_OK
                                                                           : UIPSEC_E_UNSUPPORTED;
    if (k->integ == UIPSEC_INTEG_NONE)
        return UIPSEC_OK;
    if (digest_of(k->integ, &digest_len) == NULL || k->icv_len == 0 || k->icv_len > digest_len)
        return UIPSEC_E_UNSUPPORTED;
    return UIPSEC_OK;
}

/* A context of the cipher keyed once for one direction.  A provider that
 * lacks the cipher (e.g. ChaCha20 under FIPS) makes the suite unsupported. */
static int new_cipher_ctx(EVP_CIPHER_CTX **out, const struct uipsec_crypto_keys *k, int encrypt)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

    if (ctx == NULL)
        return UIPSEC_E_NOMEM;
    *out = ctx;
    if (EVP_CipherInit_ex(ctx, cipher_of(k->enc, k->enc_key_len), NULL, k->enc_key, NULL,
                          encrypt) != 1)
        return UIPSEC_E_UNSUPPORTED;
    /* ESP does its own padding (RFC 4303 2.4); CBC input is whole blocks. */
    if (k->enc == UIPSEC_ENC_AES_CBC && EVP_CIPHER_CTX_set_padding(ctx, 0) != 1)
        return UIPSEC_E_UNSUPPORTED;
    return UIPSEC_OK;
}

static int new_mac_ctx(struct ossl_state *s, const struct uipsec_crypto_keys *k)
{
    /* A NULL key would mean "keep the current key"; an empty key is a key. */
    static const uint8_t empty_key[1];
    const uint8_t *key = k->auth_key_len > 0 ? k->auth_key : empty_key;
    size_t digest_len;

    return ossl_hmac_new(digest_of(k->integ, &digest_len), key, k->auth_key_len, &s->mac);
}

static void ossl_free(void *state)
{
    struct ossl_state *s = state;

    if (s == NULL)
        return;
    /* OpenSSL cleanses key schedules and HMAC pads when it frees them. */
    EVP_CIPHER_CTX_free(s->seal);
    EVP_CIPHER_CTX_free(s->open);
    EVP_MAC_CTX_free(s->mac);
    OPENSSL_clear_free(s, sizeof *s);
}

static int ossl_setup(struct ossl_state *s, const struct uipsec_crypto_keys *k)
{
    int rc = UIPSEC_OK;

    if (k->enc != UIPSEC_ENC_NULL) {
        rc = new_cipher_ctx(&s->seal, k, 1);
        if (rc == UIPSEC_OK)
            rc = new_cipher_ctx(&s->open, k, 0);
    }
    if (rc == UIPSEC_OK && k->integ != UIPSEC_INTEG_NONE)
        rc = new_mac_ctx(s, k);
    return rc;
}

static int ossl_init(void **state, const struct uipsec_crypto_keys *keys)
{
    struct ossl_state *s;
    int rc = check_keys(keys);

    *state = NULL;
    if (rc != UIPSEC_OK)
        return rc;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return UIPSEC_E_NOMEM;
    s->enc = keys->enc;
    s->integ = keys->integ;
    s->icv_len = keys->icv_len;
    ERR_set_mark();
    rc = ossl_setup(s, keys);
    ERR_pop_to_mark(); /* our failure stays out of the caller's error queue */
    if (rc != UIPSEC_OK) {
        ossl_free(s);
        return rc;
    }
    *state = s;
    return UIPSEC_OK;
}

/* GMAC (RFC 4543) authenticates only: anything to encrypt is a caller bug. */
static bool aead_call_ok(const struct ossl_state *s, size_t aad_len, size_t len)
{
    if (!is_aead(s->enc) || aad_len > INT_MAX || len > INT_MAX)
        return false;
    return s->enc != UIPSEC_ENC_AES_GMAC || len == 0;
}

/* Sets the nonce on a keyed context and feeds the AAD and the data. */
static bool aead_run(EVP_CIPHER_CTX *ctx, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                     uint8_t *data, size_t len)
{
    int outl;

    if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, -1) != 1)
        return false;
    if (aad_len > 0 && EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1)
        return false;
    if (len > 0 && (EVP_CipherUpdate(ctx, data, &outl, data, (int)len) != 1 || outl != (int)len))
        return false;
    return true;
}

static bool ossl_aead_seal(void *state, const uint8_t nonce[UIPSEC_AEAD_NONCE_LEN],
                           const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len,
                           uint8_t *tag)
{
    struct ossl_state *s = state;
    uint8_t none[AES_BLOCK_LEN]; /* AEAD finals write nothing */
    int outl;

    if (!aead_call_ok(s, aad_len, len) || !aead_run(s->seal, nonce, aad, aad_len, data, len))
        return false;
    return EVP_EncryptFinal_ex(s->seal, none, &outl) == 1 &&
           EVP_CIPHER_CTX_ctrl(s->seal, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG_LEN, tag) == 1;
}

/* The tag is checked by OpenSSL in Final (CRYPTO_memcmp).  On failure the
 * in-place plaintext of the forged packet is wiped before anyone sees it. */
static bool ossl_aead_open(void *state, const uint8_t nonce[UIPSEC_AEAD_NONCE_LEN],
                           const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len,
                           const uint8_t *tag)
{
    struct ossl_state *s = state;
    uint8_t expect[AEAD_TAG_LEN], none[AES_BLOCK_LEN];
    int outl;
    bool ok;

    if (!aead_call_ok(s, aad_len, len))
        return false;
    memcpy(expect, tag, sizeof expect); /* the ctrl takes a non-const pointer */
    ok = aead_run(s->open, nonce, aad, aad_len, data, len) &&
         EVP_CIPHER_CTX_ctrl(s->open, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG_LEN, expect) == 1 &&
         EVP_DecryptFinal_ex(s->open, none, &outl) == 1;
    if (!ok && len > 0)
        OPENSSL_cleanse(data, len);
    return ok;
}

static bool cbc_run(const struct ossl_state *s, EVP_CIPHER_CTX *ctx,
                    const uint8_t iv[UIPSEC_CBC_IV_LEN], uint8_t *data, size_t len)
{
    int outl;

    if (s->enc != UIPSEC_ENC_AES_CBC || len % AES_BLOCK_LEN != 0 || len > INT_MAX)
        return false;
    if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1) != 1)
        return false;
    if (len == 0)
        return true;
    /* Padding is off, so decryption holds no block back and outl == len. */
    return EVP_CipherUpdate(ctx, data, &outl, data, (int)len) == 1 && outl == (int)len;
}

static bool ossl_cbc_encrypt(void *state, const uint8_t iv[UIPSEC_CBC_IV_LEN], uint8_t *data,
                             size_t len)
{
    struct ossl_state *s = state;

    return cbc_run(s, s->seal, iv, data, len);
}

static bool ossl_cbc_decrypt(void *state, const uint8_t iv[UIPSEC_CBC_IV_LEN], uint8_t *data,
                             size_t len)
{
    struct ossl_state *s = state;

    return cbc_run(s, s->open, iv, data, len);
}

static bool ossl_hmac(void *state, const uint8_t *data, size_t len, uint8_t *icv)
{
    struct ossl_state *s = state;
    uint8_t md[MAX_DIGEST];
    size_t md_len;

    if (s->mac == NULL)
        return false;
    /* Re-init without a key restarts from the saved ipad/opad digests. */
    if (EVP_MAC_init(s->mac, NULL, 0, NULL) != 1 || EVP_MAC_update(s->mac, data, len) != 1 ||
        EVP_MAC_final(s->mac, md, &md_len, sizeof md) != 1 || md_len < s->icv_len)
        return false;
    memcpy(icv, md, s->icv_len);
    return true;
}

const struct uipsec_crypto_ops uipsec_crypto_openssl = {
    .name = "openssl",
    .init = ossl_init,
    .free = ossl_free,
    .aead_seal = ossl_aead_seal,
    .aead_open = ossl_aead_open,
    .cbc_encrypt = ossl_cbc_encrypt,
    .cbc_decrypt = ossl_cbc_decrypt,
    .hmac = ossl_hmac,
};
