/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 key derivation (RFC 7296 2.14, 2.17, 2.18):
 *
 *   SKEYSEED = prf(Ni | Nr, g^ir)
 *   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *            = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 *   KEYMAT   = prf+(SK_d, Ni | Nr)  or, with PFS,  prf+(SK_d, g^ir (new) | Ni | Nr)
 *   rekeyed IKE SA: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with
 *            the OLD SA's PRF (the exchange belongs to it), then as above
 *            with the new SA's PRF, nonces and SPIs.
 *
 * Key lengths: SK_d, SK_pi, SK_pr are the PRF's output length (its preferred
 * key length for HMAC, RFC 4868 2.1.2); SK_e* and SK_a* come from the SK
 * suite (ike_sk_key_sizes: AEAD SK_e* end with the 4-byte salt, and there is
 * no SK_a*); CHILD_SA keys from libuipsec's uipsec_suite_key_sizes.
 *
 * Ownership: key structs are one allocation each, owned by the caller and
 * wiped on free; the struct ike_iov views inside them are borrowed from
 * that allocation.  Inputs are borrowed for the call.  Functions return
 * UIPSEC_OK or an enum uipsec_result code (UIPSEC_E_PARAM, _UNSUPPORTED,
 * _NOMEM, _CRYPTO); on failure *out is NULL and output buffers are zeroed.
 */
#ifndef UIPSEC_IKE_KEYS_H
#define UIPSEC_IKE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prf.h"
#include "sk.h"
#include "uipsec/uipsec.h"

#define IKE_KDF_SPI_LEN   8
#define IKE_KDF_NONCE_MAX 256 /* RFC 7296 3.9 */

/* What one IKE SA's keys are derived from. */
struct ike_sa_kdf_in {
    enum ike_prf_alg prf;           /* the (new) IKE SA's PRF */
    struct ike_sk_suite sk;         /* its SK payload suite: sizes SK_e*, SK_a* */
    struct ike_iov ni, nr;          /* the exchange's nonces, 1..256 bytes each */
    struct ike_iov gir;             /* g^ir (new), in IKE format (dh.h) */
    uint8_t spi_i[IKE_KDF_SPI_LEN]; /* the (new) IKE SA's SPIs */
    uint8_t spi_r[IKE_KDF_SPI_LEN];
};

/* The seven keys of an IKE SA (RFC 7296 2.14), in their derivation order. */
struct ike_sa_keys {
    enum ike_prf_alg prf; /* the PRF that goes with SK_d (child SAs, rekeying) */
    struct ike_iov d, ai, ar, ei, er, pi, pr;
    size_t len;    /* bytes in buf */
    uint8_t buf[]; /* d | ai | ar | ei | er | pi | pr */
};

/* The keys of one CHILD_SA (RFC 7296 2.17): an SA each way, for ESP or AH. */
struct ike_child_keys {
    struct ike_iov i_encr, i_integ; /* initiator to responder: enc key | salt, auth key */
    struct ike_iov r_encr, r_integ; /* responder to initiator */
    size_t len;
    uint8_t buf[]; /* i_encr | i_integ | r_encr | r_integ: the KEYMAT order */
};

/* SKEYSEED of a new IKE SA into out[0, ike_prf_len(in->prf)). */
__attribute__((warn_unused_result)) int ike_skeyseed(const struct ike_sa_kdf_in *in, uint8_t *out,
                                                     size_t out_len);

/* SKEYSEED of an IKE SA made by rekeying (2.18): prf_old(sk_d_old, g^ir | Ni | Nr)
 * into out[0, ike_prf_len(prf_old)). */
__attribute__((warn_unused_result)) int ike_skeyseed_rekey(enum ike_prf_alg prf_old,
                                                           struct ike_iov sk_d_old,
                                                           const struct ike_sa_kdf_in *in,
                                                           uint8_t *out, size_t out_len);

/* The seven keys from a SKEYSEED (normally through the two calls below). */
__attribute__((warn_unused_result)) int ike_sa_keys_from_skeyseed(const struct ike_sa_kdf_in *in,
                                                                  const uint8_t *skeyseed,
                                                                  size_t skeyseed_len,
                                                                  struct ike_sa_keys **out);

/* The keys of a new IKE SA (IKE_SA_INIT); SKEYSEED never leaves this call. */
__attribute__((warn_unused_result)) int ike_sa_keys_new(const struct ike_sa_kdf_in *in,
                                                        struct ike_sa_keys **out);

/* The keys of the IKE SA that replaces old (2.18); in holds the new SA's
 * PRF, suite and SPIs and the CREATE_CHILD_SA exchange's nonces and g^ir. */
__attribute__((warn_unused_result)) int ike_sa_keys_rekey(const struct ike_sa_keys *old,
                                                          const struct ike_sa_kdf_in *in,
                                                          struct ike_sa_keys **out);

void ike_sa_keys_free(struct ike_sa_keys *keys);

/* An SK context for one direction of the IKE SA: SK_ei/SK_ai when
 * from_initiator (what the original initiator sends), else SK_er/SK_ar.
 * suite must be the one the keys were derived for. */
__attribute__((warn_unused_result)) int ike_sa_keys_sk_new(const struct ike_sa_keys *keys,
                                                           const struct ike_sk_suite *suite,
                                                           bool from_initiator,
                                                           struct ike_sk **out);

/* CHILD_SA KEYMAT (2.17) split for the suite in esp (its proto, enc,
 * enc_key_len and integ; only sizes are read: uipsec_suite_key_sizes).
 * gir_new.len == 0 means no PFS.  ni, nr: the CREATE_CHILD_SA nonces, or
 * the IKE_SA_INIT ones for the first CHILD_SA (made in IKE_AUTH). */
__attribute__((warn_unused_result)) int
ike_child_keys_new(enum ike_prf_alg prf, struct ike_iov sk_d, struct ike_iov gir_new,
                   struct ike_iov ni, struct ike_iov nr, const struct uipsec_sa_params *suite,
                   struct ike_child_keys **out);

void ike_child_keys_free(struct ike_child_keys *keys);

/* Copies one direction's keys into params (enc_key, salt, auth_key,
 * auth_key_len), whose suite fields must give the sizes the keys were
 * derived for (UIPSEC_E_PARAM otherwise).  The caller wipes params when
 * done; uipsec_sa_new keeps its own copy. */
__attribute__((warn_unused_result)) int ike_child_keys_to_params(const struct ike_child_keys *keys,
                                                                 bool initiator_to_responder,
                                                                 struct uipsec_sa_params *params);

#endif
