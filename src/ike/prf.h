/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 pseudorandom functions (RFC 7296 2.13, RFC 4868): prf(K, S) and
 * prf+(K, S) = T1 | T2 | ... with T1 = prf(K, S | 0x01) and
 * Tn = prf(K, Tn-1 | S | n), at most 255 blocks.  HMAC comes from OpenSSL 3
 * (EVP_MAC); nothing here is a hash or a MAC of its own.
 *
 * The data S is a list of segments (struct ike_iov) because IKE always
 * feeds concatenations (Ni | Nr | SPIi | SPIr, g^ir | Ni | Nr): callers
 * never assemble a copy of a secret just to hash it.
 *
 * All functions return UIPSEC_OK or an enum uipsec_result code:
 * UIPSEC_E_PARAM (a length the algorithm cannot give), UIPSEC_E_UNSUPPORTED
 * (unknown algorithm, or OpenSSL lacks the digest), UIPSEC_E_NOMEM,
 * UIPSEC_E_CRYPTO (OpenSSL failed).  On any error the output is zeroed.
 */
#ifndef UIPSEC_IKE_PRF_H
#define UIPSEC_IKE_PRF_H

#include <stddef.h>
#include <stdint.h>

#include "uipsec/uipsec.h"

/* IKEv2 Transform Type 2 IDs (IANA "IKEv2 Pseudorandom Function Transform
 * IDs").  PRF_HMAC_SHA1 is kept because it is still a valid IKEv2 PRF and
 * NIST's KDF vectors use it; proposals should not offer it by default. */
enum ike_prf_alg {
    IKE_PRF_ALG_HMAC_SHA1 = 2,
    IKE_PRF_ALG_HMAC_SHA2_256 = 5, /* RFC 4868 */
    IKE_PRF_ALG_HMAC_SHA2_384 = 6,
    IKE_PRF_ALG_HMAC_SHA2_512 = 7,
    /* HMAC-SHA2-224 has no IKEv2 transform ID; NIST's SP 800-135 vectors use
     * it.  The value is above 16 bits, so no proposal on the wire can ever
     * select it: it exists for the known-answer tests only. */
    IKE_PRF_ALG_TEST_HMAC_SHA2_224 = 0x100e0,
};

/* Longest PRF output (HMAC-SHA2-512) and the prf+ limit (RFC 7296 2.13). */
#define IKE_PRF_MAX_LEN         64
#define IKE_PRF_PLUS_MAX_BLOCKS 255

/* A borrowed byte range: one segment of the data fed to a PRF. */
struct ike_iov {
    const uint8_t *p;
    size_t len;
};

/* Output length of the PRF, which is also the key length IKE uses for it
 * (SK_d, SK_pi, SK_pr; RFC 7296 2.13, RFC 4868 2.1.2); 0 if unknown. */
size_t ike_prf_len(enum ike_prf_alg alg);

/* out[0, ike_prf_len(alg)) = prf(key, data[0] | ... | data[n-1]).
 * out_len must be exactly ike_prf_len(alg).  key_len may be any length
 * (HMAC hashes longer keys), but not 0. */
__attribute__((warn_unused_result)) int ike_prf(enum ike_prf_alg alg, const uint8_t *key,
                                                size_t key_len, const struct ike_iov *data,
                                                size_t n, uint8_t *out, size_t out_len);

/* out[0, out_len) = the first out_len bytes of prf+(key, data...).  out_len
 * is at most IKE_PRF_PLUS_MAX_BLOCKS * ike_prf_len(alg) (UIPSEC_E_PARAM
 * otherwise); 0 is allowed and writes nothing. */
__attribute__((warn_unused_result)) int ike_prf_plus(enum ike_prf_alg alg, const uint8_t *key,
                                                     size_t key_len, const struct ike_iov *data,
                                                     size_t n, uint8_t *out, size_t out_len);

/* The PSK's AUTH MAC (RFC 7296 2.15): out = prf(prf(psk, "Key Pad for
 * IKEv2"), octets[0] | ... | octets[n-1]).  out_len must be exactly
 * ike_prf_len(alg) and psk_len not 0.  The inner key is wiped; one
 * function for the IKE state machine and uipsecd's privileged parent. */
__attribute__((warn_unused_result)) int ike_psk_mac(enum ike_prf_alg alg, const uint8_t *psk,
                                                    size_t psk_len, const struct ike_iov *octets,
                                                    size_t n, uint8_t *out, size_t out_len);

#endif
