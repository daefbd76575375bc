/* SPDX-License-Identifier: MIT */
/*
 * The Encrypted payload (RFC 7296 3.14) on OpenSSL 3 EVP.  Both cipher
 * contexts are keyed once at creation (CBC decryption needs the inverse key
 * schedule), the HMAC once; per message only the IV is set and the HMAC is
 * restarted without a key.
 */
#include "sk.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "cursor.h"
#include "ossl_mac.h"

#define IKE_HEADER_LEN 28
#define IKE_LENGTH_AT  24 /* the IKE header's Length field */
#define SALT_LEN       4  /* RFC 5282 7.1, RFC 7634 4 */
#define AEAD_IV_LEN    8
#define AEAD_NONCE_LEN (SALT_LEN + AEAD_IV_LEN)
#define AEAD_TAG_LEN   16 /* the "16" of AES-GCM-16; Poly1305 */
#define CBC_BLOCK      16
#define MAX_IV         16
#define MAX_DIGEST     64
#define SK_MAX_PAYLOAD 0xffff /* the 16-bit Payload Length */

struct ike_sk {
    bool aead;
    size_t iv_len, icv_len, block; /* block: what padding aligns to */
    uint8_t salt[SALT_LEN];
    EVP_CIPHER_CTX *seal, *open;
    EVP_MAC_CTX *mac; /* CBC suites only */
    uint64_t iv_counter, iv_mask;
    bool next_iv_set;
    uint8_t next_iv[MAX_IV];
};

static const EVP_CIPHER *cipher_of(const struct ike_sk_suite *s)
{
    switch (s->encr) {
    case IKE_ENCR_ALG_AES_CBC:
        return s->key_bits == 128   ? EVP_aes_128_cbc()
               : s->key_bits == 256 ? EVP_aes_256_cbc()
                                    : NULL;
    case IKE_ENCR_ALG_AES_GCM_16:
        return s->key_bits == 128   ? EVP_aes_128_gcm()
               : s->key_bits == 256 ? EVP_aes_256_gcm()
                                    : NULL;
    case IKE_ENCR_ALG_CHACHA20_POLY1305:
        return s->key_bits == 256 || s->key_bits == 0 ? EVP_chacha20_poly1305() : NULL;
    }
    return NULL;
}

/* OpenSSL digest name, key length (= digest length, RFC 4868 2.1.1) and
 * truncated ICV length of an integrity algorithm. */
static const char *digest_of(enum ike_integ_alg integ, size_t *key_len, size_t *icv_len)
{
    static const struct {
        enum ike_integ_alg id;
        const char *name;
        size_t key_len, icv_len;
    } table[] = {
        {IKE_INTEG_ALG_HMAC_SHA1_96, "SHA1", 20, 12},
        {IKE_INTEG_ALG_HMAC_SHA2_256_128, "SHA2-256", 32, 16},
        {IKE_INTEG_ALG_HMAC_SHA2_384_192, "SHA2-384", 48, 24},
        {IKE_INTEG_ALG_HMAC_SHA2_512_256, "SHA2-512", 64, 32},
    };

    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (table[i].id == integ) {
            *key_len = table[i].key_len;
            *icv_len = table[i].icv_len;
            return table[i].name;
        }
    }
    *key_len = *icv_len = 0;
    return NULL;
}

static bool is_aead(enum ike_encr_alg encr)
{
    return encr == IKE_ENCR_ALG_AES_GCM_16 || encr == IKE_ENCR_ALG_CHACHA20_POLY1305;
}

int ike_sk_key_sizes(const struct ike_sk_suite *suite, size_t *encr_len, size_t *integ_len)
{
    const EVP_CIPHER *cipher = cipher_of(suite);
    size_t icv_len;
    bool has_integ = digest_of(suite->integ, integ_len, &icv_len) != NULL;

    *encr_len = 0;
    if (cipher == NULL)
        return UIPSEC_E_UNSUPPORTED;
    /* RFC 5282 8: an AEAD suite has no integrity transform; CBC needs one. */
    if (is_aead(suite->encr) ? suite->integ != IKE_INTEG_ALG_NONE : !has_integ) {
        *integ_len = 0;
        return UIPSEC_E_UNSUPPORTED;
    }
    *encr_len = (size_t)EVP_CIPHER_get_key_length(cipher) + (is_aead(suite->encr) ? SALT_LEN : 0);
    return UIPSEC_OK;
}

/* A cipher context keyed for one direction.  CBC padding is ours (3.14). */
static int new_cipher_ctx(EVP_CIPHER_CTX **out, const EVP_CIPHER *cipher, const uint8_t *key,
                          int encrypt)
{
    *out = EVP_CIPHER_CTX_new();
    if (*out == NULL)
        return UIPSEC_E_NOMEM;
    if (EVP_CipherInit_ex(*out, cipher, NULL, key, NULL, encrypt) != 1)
        return UIPSEC_E_UNSUPPORTED; /* e.g. ChaCha20 under a FIPS provider */
    if (EVP_CIPHER_CTX_set_padding(*out, 0) != 1)
        return UIPSEC_E_CRYPTO;
    return UIPSEC_OK;
}

static int new_mac_ctx(struct ike_sk *sk, enum ike_integ_alg integ, const uint8_t *key,
                       size_t key_len)
{
    size_t klen = 0, icv_len = 0;
    int rc = ossl_hmac_new(digest_of(integ, &klen, &icv_len), key, key_len, &sk->mac);

    sk->icv_len = icv_len;
    return rc;
}

static int sk_setup(struct ike_sk *sk, const struct ike_sk_suite *suite, const uint8_t *encr_key,
                    size_t encr_len, const uint8_t *integ_key, size_t integ_len)
{
    const EVP_CIPHER *cipher = cipher_of(suite);
    int rc;

    sk->aead = is_aead(suite->encr);
    sk->iv_len = sk->aead ? AEAD_IV_LEN : CBC_BLOCK;
    sk->block = sk->aead ? 1 : CBC_BLOCK; /* AEAD: a stream, no alignment */
    rc = new_cipher_ctx(&sk->seal, cipher, encr_key, 1);
    if (rc == UIPSEC_OK)
        rc = new_cipher_ctx(&sk->open, cipher, encr_key, 0);
    if (rc != UIPSEC_OK)
        return rc;
    if (!sk->aead)
        return new_mac_ctx(sk, suite->integ, integ_key, integ_len);
    sk->icv_len = AEAD_TAG_LEN;
    memcpy(sk->salt, encr_key + encr_len - SALT_LEN, SALT_LEN);
    /* A random mask over the counter: the IV stays unique per key without
     * telling an observer how many messages this SA has sent. */
    if (RAND_bytes((uint8_t *)&sk->iv_mask, sizeof sk->iv_mask) != 1)
        return UIPSEC_E_CRYPTO;
    return UIPSEC_OK;
}

int ike_sk_new(const struct ike_sk_suite *suite, const uint8_t *encr_key, size_t encr_len,
               const uint8_t *integ_key, size_t integ_len, struct ike_sk **out)
{
    size_t want_e, want_i;
    struct ike_sk *sk;
    int rc = ike_sk_key_sizes(suite, &want_e, &want_i);

    *out = NULL;
    if (rc != UIPSEC_OK)
        return rc;
    if (encr_len != want_e || integ_len != want_i || encr_key == NULL ||
        (integ_len > 0 && integ_key == NULL))
        return UIPSEC_E_PARAM;
    sk = calloc(1, sizeof *sk);
    if (sk == NULL)
        return UIPSEC_E_NOMEM;
    ERR_set_mark();
    rc = sk_setup(sk, suite, encr_key, encr_len, integ_key, integ_len);
    ERR_pop_to_mark(); /* our failure stays out of the caller's error queue */
    if (rc != UIPSEC_OK) {
        ike_sk_free(sk);
        return rc;
    }
    *out = sk;
    return UIPSEC_OK;
}

void ike_sk_free(struct ike_sk *sk)
{
    if (sk == NULL)
        return;
    /* OpenSSL cleanses key schedules and HMAC pads when it frees them. */
    EVP_CIPHER_CTX_free(sk->seal);
    EVP_CIPHER_CTX_free(sk->open);
    EVP_MAC_CTX_free(sk->mac);
    OPENSSL_clear_free(sk, sizeof *sk);
}

size_t ike_sk_plain_offset(const struct ike_sk *sk, size_t sk_off, size_t hdr_len)
{
    return sk_off + hdr_len + sk->iv_len;
}

/* Minimal padding: payloads, padding and the pad length byte fill whole blocks. */
static size_t pad_len(const struct ike_sk *sk, size_t pt_len)
{
    return (sk->block - (pt_len + 1) % sk->block) % sk->block;
}

size_t ike_sk_sealed_len(const struct ike_sk *sk, size_t sk_off, size_t hdr_len, size_t pt_len)
{
    return ike_sk_plain_offset(sk, sk_off, hdr_len) + pt_len + pad_len(sk, pt_len) + 1 +
           sk->icv_len;
}

static bool hdr_len_ok(size_t hdr_len)
{
    return hdr_len == IKE_SK_PAYLOAD_HEADER_LEN || hdr_len == IKE_SKF_PAYLOAD_HEADER_LEN;
}

int ike_sk_set_next_iv(struct ike_sk *sk, const uint8_t *iv, size_t iv_len)
{
    if (iv_len != sk->iv_len)
        return UIPSEC_E_PARAM;
    memcpy(sk->next_iv, iv, iv_len);
    sk->next_iv_set = true;
    return UIPSEC_OK;
}

static int next_iv(struct ike_sk *sk, uint8_t *iv)
{
    if (sk->next_iv_set) {
        memcpy(iv, sk->next_iv, sk->iv_len);
        sk->next_iv_set = false;
        return UIPSEC_OK;
    }
    if (!sk->aead)
        return RAND_bytes(iv, (int)sk->iv_len) == 1 ? UIPSEC_OK : UIPSEC_E_CRYPTO;
    if (sk->iv_counter == UINT64_MAX)
        return UIPSEC_E_SEQ_EXHAUSTED; /* never an IV twice under one key */
    put_be64(iv, sk->iv_counter++ ^ sk->iv_mask);
    return UIPSEC_OK;
}

/* AEAD in place: data[0, len) with the AAD; the tag is written or checked.
 * OpenSSL compares the tag in constant time (in Final). */
static bool aead_run(struct ike_sk *sk, bool seal, const uint8_t *iv, const uint8_t *aad,
                     size_t aad_len, uint8_t *data, size_t len, uint8_t *tag)
{
    EVP_CIPHER_CTX *ctx = seal ? sk->seal : sk->open;
    uint8_t nonce[AEAD_NONCE_LEN], none[CBC_BLOCK]; /* AEAD finals write nothing */
    int outl;

    if (aad_len > INT_MAX || len > INT_MAX)
        return false;
    memcpy(nonce, sk->salt, SALT_LEN);
    memcpy(nonce + SALT_LEN, iv, AEAD_IV_LEN);
    if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, -1) != 1 ||
        EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1 ||
        EVP_CipherUpdate(ctx, data, &outl, data, (int)len) != 1 || outl != (int)len)
        return false;
    if (seal)
        return EVP_EncryptFinal_ex(ctx, none, &outl) == 1 &&
               EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG_LEN, tag) == 1;
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG_LEN, tag) == 1 &&
           EVP_DecryptFinal_ex(ctx, none, &outl) == 1;
}

/* CBC in place over whole blocks (checked by the callers). */
static bool cbc_run(struct ike_sk *sk, bool seal, const uint8_t *iv, uint8_t *data, size_t len)
{
    EVP_CIPHER_CTX *ctx = seal ? sk->seal : sk->open;
    int outl;

    if (len > INT_MAX || len % CBC_BLOCK != 0)
        return false;
    return EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1) == 1 &&
           EVP_CipherUpdate(ctx, data, &outl, data, (int)len) == 1 && outl == (int)len;
}

/* The truncated HMAC of data[0, len) into icv[0, sk->icv_len). */
static bool hmac_icv(struct ike_sk *sk, const uint8_t *data, size_t len, uint8_t *icv)
{
    uint8_t md[MAX_DIGEST];
    size_t md_len = 0;
    bool ok;

    /* Re-init without a key restarts from the saved ipad/opad digests. */
    ok = EVP_MAC_init(sk->mac, NULL, 0, NULL) == 1 && EVP_MAC_update(sk->mac, data, len) == 1 &&
         EVP_MAC_final(sk->mac, md, &md_len, sizeof md) == 1 && md_len >= sk->icv_len;
    if (ok)
        memcpy(icv, md, sk->icv_len);
    return ok;
}

static int seal_body(struct ike_sk *sk, uint8_t *msg, size_t sk_off, size_t hdr_len, size_t pt_len,
                     size_t total)
{
    size_t pad = pad_len(sk, pt_len), ct_len = pt_len + pad + 1;
    uint8_t *iv = msg + sk_off + hdr_len;
    uint8_t *ct = iv + sk->iv_len;
    uint8_t *icv = ct + ct_len;
    int rc;

    /* Lengths first: both are inside the AAD or the ICV. */
    put_be32(msg + IKE_LENGTH_AT, (uint32_t)total);
    put_be16(msg + sk_off + 2, (uint16_t)(total - sk_off));
    memset(ct + pt_len, 0, pad);
    ct[pt_len + pad] = (uint8_t)pad;
    rc = next_iv(sk, iv);
    if (rc != UIPSEC_OK)
        return rc;
    if (sk->aead)
        return aead_run(sk, true, iv, msg, sk_off + hdr_len, ct, ct_len, icv) ? UIPSEC_OK
                                                                              : UIPSEC_E_CRYPTO;
    return cbc_run(sk, true, iv, ct, ct_len) && hmac_icv(sk, msg, total - sk->icv_len, icv)
               ? UIPSEC_OK
               : UIPSEC_E_CRYPTO;
}

int ike_sk_seal(struct ike_sk *sk, uint8_t *msg, size_t cap, size_t sk_off, size_t hdr_len,
                size_t pt_len, size_t *msg_len)
{
    size_t total;
    int rc;

    *msg_len = 0;
    /* Caller errors; the checks also keep the sums below from wrapping. */
    if (sk_off < IKE_HEADER_LEN || sk_off > cap || !hdr_len_ok(hdr_len) || pt_len > SK_MAX_PAYLOAD)
        return UIPSEC_E_PARAM;
    total = ike_sk_sealed_len(sk, sk_off, hdr_len, pt_len);
    if (total - sk_off > SK_MAX_PAYLOAD)
        return UIPSEC_E_TOO_BIG;
    if (total > cap)
        return UIPSEC_E_NO_ROOM;
    ERR_set_mark();
    rc = seal_body(sk, msg, sk_off, hdr_len, pt_len, total);
    ERR_pop_to_mark();
    if (rc != UIPSEC_OK) {
        OPENSSL_cleanse(msg + sk_off + hdr_len, total - sk_off - hdr_len);
        return rc;
    }
    *msg_len = total;
    return UIPSEC_OK;
}

/* Shape checks of a received message, before any crypto.  On UIPSEC_OK *ct
 * is the ciphertext (payloads, padding, pad length), *iv and *icv its
 * neighbours. */
static int open_shape(const struct ike_sk *sk, uint8_t *msg, size_t msg_len, size_t sk_off,
                      size_t hdr_len, struct cursor *ct, uint8_t **iv, uint8_t **icv)
{
    struct cursor c = cursor_make(msg, msg_len);
    uint8_t *hdr, *skip, *skh;

    if (!cursor_take(&c, IKE_HEADER_LEN, &hdr))
        return UIPSEC_E_TRUNCATED;
    if (get_be32(hdr + IKE_LENGTH_AT) != msg_len)
        return UIPSEC_E_MALFORMED;
    if (sk_off < IKE_HEADER_LEN || !cursor_take(&c, sk_off - IKE_HEADER_LEN, &skip) ||
        !cursor_take(&c, hdr_len, &skh))
        return UIPSEC_E_TRUNCATED;
    if (get_be16(skh + 2) != c.len + hdr_len)
        return UIPSEC_E_MALFORMED; /* SK is the last payload: it ends the message */
    if (!cursor_take(&c, sk->iv_len, iv) || !cursor_take_tail(&c, sk->icv_len, icv) || c.len == 0)
        return UIPSEC_E_TRUNCATED; /* not even the pad length byte */
    if (c.len % sk->block != 0)
        return UIPSEC_E_BLOCK_SIZE;
    *ct = c;
    return UIPSEC_OK;
}

/* CBC + HMAC: the ICV over msg[0, icv) is checked before anything is decrypted. */
static int open_cbc(struct ike_sk *sk, const uint8_t *msg, const uint8_t *iv,
                    const struct cursor *ct, const uint8_t *icv)
{
    uint8_t expect[IKE_SK_MAX_ICV];

    if (!hmac_icv(sk, msg, (size_t)(icv - msg), expect))
        return UIPSEC_E_CRYPTO;
    if (CRYPTO_memcmp(expect, icv, sk->icv_len) != 0)
        return UIPSEC_E_AUTH;
    return cbc_run(sk, false, iv, ct->p, ct->len) ? UIPSEC_OK : UIPSEC_E_CRYPTO;
}

int ike_sk_open(struct ike_sk *sk, uint8_t *msg, size_t msg_len, size_t sk_off, size_t hdr_len,
                size_t *pt_off, size_t *pt_len)
{
    struct cursor ct;
    uint8_t *iv, *icv, pad;
    int rc;

    *pt_off = *pt_len = 0;
    if (!hdr_len_ok(hdr_len))
        return UIPSEC_E_PARAM;
    rc = open_shape(sk, msg, msg_len, sk_off, hdr_len, &ct, &iv, &icv);
    if (rc != UIPSEC_OK)
        return rc;
    ERR_set_mark();
    if (sk->aead)
        rc = aead_run(sk, false, iv, msg, sk_off + hdr_len, ct.p, ct.len, icv) ? UIPSEC_OK
                                                                               : UIPSEC_E_AUTH;
    else
        rc = open_cbc(sk, msg, iv, &ct, icv);
    ERR_pop_to_mark();
    if (rc != UIPSEC_OK)
        goto wipe;
    pad = ct.p[ct.len - 1];
    if ((size_t)pad + 1 > ct.len) {
        rc = UIPSEC_E_PADDING;
        goto wipe;
    }
    *pt_off = (size_t)(ct.p - msg);
    *pt_len = ct.len - pad - 1;
    return UIPSEC_OK;
wipe:
    OPENSSL_cleanse(ct.p, ct.len);
    return rc;
}
