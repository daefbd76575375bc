/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 key derivation on top of prf.c.  Every derived key lives in one
 * allocation per SA that is wiped on free; SKEYSEED only ever lives on the
 * stack of the call that uses it, and is wiped at its exit.
 */
#include "keys.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define SA_KEY_COUNT 7

static bool nonces_ok(struct ike_iov ni, struct ike_iov nr)
{
    return ni.p != NULL && nr.p != NULL && ni.len > 0 && nr.len > 0 &&
           ni.len <= IKE_KDF_NONCE_MAX && nr.len <= IKE_KDF_NONCE_MAX;
}

int ike_skeyseed(const struct ike_sa_kdf_in *in, uint8_t *out, size_t out_len)
{
    uint8_t key[2 * IKE_KDF_NONCE_MAX]; /* Ni | Nr: HMAC wants one key; nonces are public */

    if (!nonces_ok(in->ni, in->nr) || in->gir.len == 0 || in->gir.p == NULL) {
        if (out_len > 0)
            OPENSSL_cleanse(out, out_len);
        return UIPSEC_E_PARAM;
    }
    memcpy(key, in->ni.p, in->ni.len);
    memcpy(key + in->ni.len, in->nr.p, in->nr.len);
    return ike_prf(in->prf, key, in->ni.len + in->nr.len, &in->gir, 1, out, out_len);
}

int ike_skeyseed_rekey(enum ike_prf_alg prf_old, struct ike_iov sk_d_old,
                       const struct ike_sa_kdf_in *in, uint8_t *out, size_t out_len)
{
    const struct ike_iov data[] = {in->gir, in->ni, in->nr};

    if (!nonces_ok(in->ni, in->nr) || in->gir.len == 0 || in->gir.p == NULL) {
        if (out_len > 0)
            OPENSSL_cleanse(out, out_len);
        return UIPSEC_E_PARAM;
    }
    return ike_prf(prf_old, sk_d_old.p, sk_d_old.len, data, 3, out, out_len);
}

/* Lengths of d, ai, ar, ei, er, pi, pr for the SA's PRF and SK suite. */
static int sa_key_sizes(const struct ike_sa_kdf_in *in, size_t size[SA_KEY_COUNT])
{
    size_t prf_len = ike_prf_len(in->prf), e, a;
    int rc;

    if (prf_len == 0)
        return UIPSEC_E_UNSUPPORTED;
    rc = ike_sk_key_sizes(&in->sk, &e, &a);
    if (rc != UIPSEC_OK)
        return rc;
    size[0] = size[5] = size[6] = prf_len;
    size[1] = size[2] = a;
    size[3] = size[4] = e;
    return UIPSEC_OK;
}

static void sa_keys_slice(struct ike_sa_keys *k, const size_t size[SA_KEY_COUNT])
{
    struct ike_iov *view[SA_KEY_COUNT] = {&k->d, &k->ai, &k->ar, &k->ei, &k->er, &k->pi, &k->pr};
    size_t off = 0;

    for (size_t i = 0; i < SA_KEY_COUNT; i++) {
        *view[i] = (struct ike_iov){k->buf + off, size[i]};
        off += size[i];
    }
}

int ike_sa_keys_from_skeyseed(const struct ike_sa_kdf_in *in, const uint8_t *skeyseed,
                              size_t skeyseed_len, struct ike_sa_keys **out)
{
    const struct ike_iov data[] = {
        in->ni, in->nr, {in->spi_i, IKE_KDF_SPI_LEN}, {in->spi_r, IKE_KDF_SPI_LEN}};
    size_t size[SA_KEY_COUNT], total = 0;
    struct ike_sa_keys *k;
    int rc = sa_key_sizes(in, size);

    *out = NULL;
    if (rc != UIPSEC_OK)
        return rc;
    if (!nonces_ok(in->ni, in->nr))
        return UIPSEC_E_PARAM;
    for (size_t i = 0; i < SA_KEY_COUNT; i++)
        total += size[i];
    k = calloc(1, sizeof *k + total);
    if (k == NULL)
        return UIPSEC_E_NOMEM;
    k->prf = in->prf;
    k->len = total;
    rc = ike_prf_plus(in->prf, skeyseed, skeyseed_len, data, 4, k->buf, total);
    if (rc != UIPSEC_OK) {
        ike_sa_keys_free(k);
        return rc;
    }
    sa_keys_slice(k, size);
    *out = k;
    return UIPSEC_OK;
}

int ike_sa_keys_new(const struct ike_sa_kdf_in *in, struct ike_sa_keys **out)
{
    uint8_t skeyseed[IKE_PRF_MAX_LEN];
    size_t len = ike_prf_len(in->prf);
    int rc;

    *out = NULL;
    if (len == 0)
        return UIPSEC_E_UNSUPPORTED;
    rc = ike_skeyseed(in, skeyseed, len);
    if (rc == UIPSEC_OK)
        rc = ike_sa_keys_from_skeyseed(in, skeyseed, len, out);
    OPENSSL_cleanse(skeyseed, sizeof skeyseed);
    return rc;
}

int ike_sa_keys_rekey(const struct ike_sa_keys *old, const struct ike_sa_kdf_in *in,
                      struct ike_sa_keys **out)
{
    uint8_t skeyseed[IKE_PRF_MAX_LEN];
    size_t len = ike_prf_len(old->prf);
    int rc;

    *out = NULL;
    if (len == 0)
        return UIPSEC_E_UNSUPPORTED;
    /* 2.18: the rekeying exchange belongs to the old SA, so its PRF makes SKEYSEED. */
    rc = ike_skeyseed_rekey(old->prf, old->d, in, skeyseed, len);
    if (rc == UIPSEC_OK)
        rc = ike_sa_keys_from_skeyseed(in, skeyseed, len, out);
    OPENSSL_cleanse(skeyseed, sizeof skeyseed);
    return rc;
}

void ike_sa_keys_free(struct ike_sa_keys *keys)
{
    if (keys != NULL)
        OPENSSL_clear_free(keys, sizeof *keys + keys->len);
}

int ike_sa_keys_sk_new(const struct ike_sa_keys *keys, const struct ike_sk_suite *suite,
                       bool from_initiator, struct ike_sk **out)
{
    const struct ike_iov *e = from_initiator ? &keys->ei : &keys->er;
    const struct ike_iov *a = from_initiator ? &keys->ai : &keys->ar;

    return ike_sk_new(suite, e->p, e->len, a->p, a->len, out);
}

int ike_child_keys_new(enum ike_prf_alg prf, struct ike_iov sk_d, struct ike_iov gir_new,
                       struct ike_iov ni, struct ike_iov nr, const struct uipsec_sa_params *suite,
                       struct ike_child_keys **out)
{
    const struct ike_iov data[] = {gir_new, ni, nr}; /* an empty g^ir is skipped */
    size_t enc, salt, auth, encr, half;
    struct ike_child_keys *k;
    int rc;

    *out = NULL;
    uipsec_suite_key_sizes(suite, &enc, &salt, &auth);
    encr = enc + salt;
    half = encr + auth;
    if (half == 0 || !nonces_ok(ni, nr) || (gir_new.len > 0 && gir_new.p == NULL))
        return UIPSEC_E_PARAM;
    k = calloc(1, sizeof *k + 2 * half);
    if (k == NULL)
        return UIPSEC_E_NOMEM;
    k->len = 2 * half;
    rc = ike_prf_plus(prf, sk_d.p, sk_d.len, data, 3, k->buf, k->len);
    if (rc != UIPSEC_OK) {
        ike_child_keys_free(k);
        return rc;
    }
    /* 2.17: initiator-to-responder keys first; per SA the encryption key
     * (with its salt) before the integrity key. */
    k->i_encr = (struct ike_iov){k->buf, encr};
    k->i_integ = (struct ike_iov){k->buf + encr, auth};
    k->r_encr = (struct ike_iov){k->buf + half, encr};
    k->r_integ = (struct ike_iov){k->buf + half + encr, auth};
    *out = k;
    return UIPSEC_OK;
}

void ike_child_keys_free(struct ike_child_keys *keys)
{
    if (keys != NULL)
        OPENSSL_clear_free(keys, sizeof *keys + keys->len);
}

int ike_child_keys_to_params(const struct ike_child_keys *keys, bool initiator_to_responder,
                             struct uipsec_sa_params *params)
{
    const struct ike_iov *e = initiator_to_responder ? &keys->i_encr : &keys->r_encr;
    const struct ike_iov *a = initiator_to_responder ? &keys->i_integ : &keys->r_integ;
    size_t enc, salt, auth;

    uipsec_suite_key_sizes(params, &enc, &salt, &auth);
    if (e->len != enc + salt || a->len != auth || enc > sizeof params->enc_key ||
        salt > sizeof params->salt || auth > sizeof params->auth_key)
        return UIPSEC_E_PARAM;
    memcpy(params->enc_key, e->p, enc);
    memcpy(params->salt, e->p + enc, salt);
    memcpy(params->auth_key, a->p, auth);
    params->auth_key_len = (uint8_t)auth;
    return UIPSEC_OK;
}
