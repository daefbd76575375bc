/* SPDX-License-Identifier: MIT */
/*
 * The cryptographic transform of ESP (RFC 4303 3.3.2 / 3.4.4) for all suites:
 * AEAD (RFC 4106, RFC 7634), GMAC (RFC 4543) and encrypt-then-MAC (RFC 3602,
 * RFC 4868).  With ESN the high 32 bits of the sequence number enter the AAD
 * or ICV input but never the wire.
 */
#include <openssl/crypto.h>
#include <string.h>

#include "cursor.h"
#include "esp.h"
#include "wire.h"

size_t esp_padded_len(const struct uipsec_sa *sa, size_t payload_len)
{
    size_t mask = (size_t)sa->block - 1; /* 4 or 16 */

    return (payload_len + ESP_TRAILER_LEN + mask) & ~mask;
}

/* SPI | [seq_hi] | seq_lo: the AAD of RFC 4106 5 and RFC 7634 2.1. */
static size_t make_aad(const struct uipsec_sa *sa, const uint8_t *esp, uint64_t seq,
                       uint8_t aad[12])
{
    memcpy(aad, esp, 4);
    if (!sa->p.esn) {
        memcpy(aad + 4, esp + 4, 4);
        return 8;
    }
    put_be32(aad + 4, (uint32_t)(seq >> 32));
    memcpy(aad + 8, esp + 4, 4);
    return 12;
}

static void make_nonce(const struct uipsec_sa *sa, const uint8_t *iv,
                       uint8_t nonce[UIPSEC_AEAD_NONCE_LEN])
{
    memcpy(nonce, sa->p.salt, UIPSEC_SALT_LEN);
    memcpy(nonce + UIPSEC_SALT_LEN, iv, 8);
}

/* GMAC authenticates SPI, [seq_hi], seq_lo, IV and the whole payload as one
 * AAD (RFC 4543 3.2).  With ESN the header is rebuilt 4 bytes to the left for
 * the duration of the call, so the AAD stays contiguous without a copy. */
static bool gmac(struct uipsec_sa *sa, uint8_t *esp, uint64_t seq, size_t auth_len, uint8_t *icv,
                 bool verify)
{
    const struct uipsec_crypto *cr = &sa_lane_now->crypto;
    const struct uipsec_crypto_ops *ops = cr->ops;
    uint8_t nonce[UIPSEC_AEAD_NONCE_LEN], saved[4] = {0};
    uint8_t *aad = esp;
    bool ok;

    make_nonce(sa, esp + ESP_HDR_LEN, nonce);
    if (sa->p.esn) {
        aad = esp - 4;
        memcpy(saved, aad, 4);
        memcpy(aad, esp, 4);
        put_be32(esp, (uint32_t)(seq >> 32));
        auth_len += 4;
    }
    ok = verify ? ops->aead_open(cr->state, nonce, aad, auth_len, NULL, 0, icv)
                : ops->aead_seal(cr->state, nonce, aad, auth_len, NULL, 0, icv);
    if (sa->p.esn) {
        memcpy(esp, aad, 4);
        memcpy(aad, saved, 4);
    }
    return ok;
}

/* The MAC of encrypt-then-MAC suites, left to the burst: HMAC over
 * SPI..ciphertext, then seq_hi (RFC 4303 3.3.2.2): the 4 bytes right after
 * the ciphertext (the ICV's place) hold seq_hi meanwhile. */
static void mac_job(struct uipsec_sa *sa, uint8_t *esp, uint64_t seq, size_t auth_len,
                    struct uipsec_crypto_job *job)
{
    job->auth = esp;
    job->auth_len = auth_len;
    if (sa->p.esn) {
        put_be32(esp + auth_len, (uint32_t)(seq >> 32));
        job->auth_len += 4;
    }
}

static void write_trailer(uint8_t *payload, size_t payload_len, size_t padded, uint8_t nh)
{
    size_t pad = padded - payload_len - ESP_TRAILER_LEN;

    /* RFC 4303 2.4: monotonic padding 1, 2, 3, ...; at most 15 bytes, so a
     * loop beats a call to memcpy */
    for (size_t i = 0; i < pad; i++)
        payload[payload_len + i] = (uint8_t)(i + 1);
    payload[padded - 2] = (uint8_t)pad;
    payload[padded - 1] = nh;
}

int esp_seal(struct uipsec_sa *sa, uint8_t *esp, size_t payload_len, uint8_t nh, uint64_t seq,
             struct uipsec_crypto_job *job)
{
    const struct uipsec_crypto *cr = &sa_lane_now->crypto;
    const struct uipsec_crypto_ops *ops = cr->ops;
    uint8_t *iv = esp + ESP_HDR_LEN, *ct = iv + sa->iv_len;
    size_t padded = esp_padded_len(sa, payload_len);
    size_t auth_len = ESP_HDR_LEN + sa->iv_len + padded;
    uint8_t *icv = esp + auth_len, aad[12], nonce[UIPSEC_AEAD_NONCE_LEN];
    bool ok;

    put_be32(esp, sa->p.spi);
    put_be32(esp + 4, (uint32_t)seq);
    uipsec_sa_make_iv(sa, seq, iv);
    write_trailer(ct, payload_len, padded, nh);
    if (sa->aead) {
        make_nonce(sa, iv, nonce);
        ok = ops->aead_seal(cr->state, nonce, aad, make_aad(sa, esp, seq, aad), ct, padded, icv);
        return ok ? UIPSEC_OK : UIPSEC_E_CRYPTO;
    }
    if (sa->gmac)
        return gmac(sa, esp, seq, auth_len, icv, false) ? UIPSEC_OK : UIPSEC_E_CRYPTO;
    if (sa->p.enc == UIPSEC_ENC_AES_CBC) {
        job->iv = iv;
        job->data = ct;
        job->len = padded;
    }
    mac_job(sa, esp, seq, auth_len, job);
    return UIPSEC_OK;
}

int esp_seal_done(const struct uipsec_sa *sa, const struct uipsec_crypto_job *job, uint8_t *icv)
{
    if (job->auth == NULL)
        return UIPSEC_OK; /* sealed in esp_seal */
    if (!job->ok)
        return UIPSEC_E_CRYPTO;
    memcpy(icv, job->mac, sa->icv_len);
    return UIPSEC_OK;
}

int esp_open(struct uipsec_sa *sa, uint8_t *esp, uint64_t seq, uint8_t *ct, size_t ct_len,
             uint8_t *icv, struct uipsec_crypto_job *job, uint8_t *got)
{
    const struct uipsec_crypto *cr = &sa_lane_now->crypto;
    const struct uipsec_crypto_ops *ops = cr->ops;
    uint8_t *iv = esp + ESP_HDR_LEN;
    size_t auth_len = (size_t)(ct - esp) + ct_len;
    uint8_t aad[12], nonce[UIPSEC_AEAD_NONCE_LEN];

    if (sa->aead) {
        make_nonce(sa, iv, nonce);
        return ops->aead_open(cr->state, nonce, aad, make_aad(sa, esp, seq, aad), ct, ct_len, icv)
                   ? UIPSEC_OK
                   : UIPSEC_E_AUTH;
    }
    if (sa->gmac)
        return gmac(sa, esp, seq, auth_len, icv, true) ? UIPSEC_OK : UIPSEC_E_AUTH;
    memcpy(got, icv, sa->icv_len); /* before seq_hi takes its first bytes */
    job->data = ct;
    job->len = ct_len;
    mac_job(sa, esp, seq, auth_len, job);
    return UIPSEC_OK;
}

int esp_open_verify(const struct uipsec_sa *sa, struct uipsec_crypto_job *job, const uint8_t *got)
{
    int rc = UIPSEC_OK;

    if (!job->ok)
        rc = UIPSEC_E_CRYPTO;
    else if (CRYPTO_memcmp(got, job->mac, sa->icv_len) != 0)
        rc = UIPSEC_E_AUTH;
    if (rc == UIPSEC_OK && sa->p.enc == UIPSEC_ENC_AES_CBC)
        job->iv = job->auth + ESP_HDR_LEN; /* the MAC starts at the SPI */
    job->auth = NULL;
    return rc;
}
