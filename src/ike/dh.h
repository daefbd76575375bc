/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 key exchange (RFC 7296 2.14, 3.4) on OpenSSL 3: MODP groups 14-16
 * (RFC 3526, OpenSSL's named groups "modp_2048"...), ECP groups 19-21
 * (RFC 5903, NIST P-256/384/521), Curve25519 (31, RFC 8031) and Curve448
 * (32).  One struct ike_dh is one ephemeral key pair; after ike_dh_derive it
 * also holds the shared secret g^ir.  Both are wiped when it is freed.
 *
 * Formats (what goes in the KE payload's Key Exchange Data and into the KDF):
 *   MODP  public: y, big-endian, left-padded to the prime's length (3.4);
 *         g^ir: the same length (2.14).
 *   ECP   public: x | y, each the field's length, no 0x04 prefix (RFC 5903 7);
 *         g^ir: x only (RFC 5903 7; its predecessor RFC 4753 used x | y).
 *   X25519/X448 public: the RFC 7748 u-coordinate, 32/56 bytes; g^ir: the
 *         32/56-byte output (RFC 8031 2).
 *
 * Peer values are validated before use: the length must be exactly the
 * group's; MODP 1 < y < p-1 (the RFC 3526 primes are safe primes, so
 * {1, p-1} is the only small subgroup); ECP a point on the curve (cofactor
 * 1), not the point at infinity, coordinates below p; X25519/X448 an
 * all-zero shared secret (a low-order point) is refused (RFC 7748 6.1,
 * RFC 8031 2.3).
 *
 * Functions return UIPSEC_OK or an enum uipsec_result code:
 * UIPSEC_E_MALFORMED (peer value of the wrong length or invalid),
 * UIPSEC_E_PARAM (caller error), UIPSEC_E_UNSUPPORTED (unknown group or
 * one OpenSSL lacks), UIPSEC_E_NOMEM, UIPSEC_E_CRYPTO (OpenSSL failed).
 */
#ifndef UIPSEC_IKE_DH_H
#define UIPSEC_IKE_DH_H

#include <stddef.h>
#include <stdint.h>

#include "prf.h"
#include "uipsec/uipsec.h"

/* IKEv2 Transform Type 4 IDs (IANA "Key Exchange Method Transform IDs"). */
enum ike_dh_alg {
    IKE_DH_ALG_MODP_2048 = 14,
    IKE_DH_ALG_MODP_3072 = 15,
    IKE_DH_ALG_MODP_4096 = 16,
    IKE_DH_ALG_ECP_256 = 19,
    IKE_DH_ALG_ECP_384 = 20,
    IKE_DH_ALG_ECP_521 = 21,
    IKE_DH_ALG_CURVE25519 = 31,
    IKE_DH_ALG_CURVE448 = 32,
};

/* Largest Key Exchange Data and shared secret (MODP 4096: 512 bytes). */
#define IKE_DH_MAX_KE_LEN     512
#define IKE_DH_MAX_SECRET_LEN 512

struct ike_dh;

/* Key Exchange Data length of the group (0 if unknown): what ike_dh_public
 * writes and what a peer must send. */
size_t ike_dh_ke_len(enum ike_dh_alg group);

/* Length of g^ir in IKE format (0 if unknown). */
size_t ike_dh_secret_len(enum ike_dh_alg group);

/* A fresh ephemeral key pair from OpenSSL's generator.  *out NULL on failure. */
__attribute__((warn_unused_result)) int ike_dh_new(enum ike_dh_alg group, struct ike_dh **out);

/* A key pair from a known private key, for known-answer tests only: ECP
 * (the scalar, big-endian, 1 <= d < n) and X25519/X448 (the raw RFC 7748
 * key); MODP gives UIPSEC_E_UNSUPPORTED. */
__attribute__((warn_unused_result)) int ike_dh_new_from_private(enum ike_dh_alg group,
                                                                const uint8_t *priv,
                                                                size_t priv_len,
                                                                struct ike_dh **out);

/* Wipes and frees the key pair and any shared secret (NULL is fine). */
void ike_dh_free(struct ike_dh *dh);

enum ike_dh_alg ike_dh_group(const struct ike_dh *dh);

/* Our public value in KE payload format into out[0, out_len); out_len must
 * be ike_dh_ke_len(group). */
__attribute__((warn_unused_result)) int ike_dh_public(const struct ike_dh *dh, uint8_t *out,
                                                      size_t out_len);

/* Validates the peer's Key Exchange Data and computes g^ir into dh (a
 * previous secret is wiped first).  On failure dh holds no secret. */
__attribute__((warn_unused_result)) int ike_dh_derive(struct ike_dh *dh, const uint8_t *peer,
                                                      size_t peer_len);

/* Checks the peer's Key Exchange Data for group without a key pair of
 * ours: the length, MODP's range, ECP's curve (what ike_dh_derive checks
 * first).  A responder calls it before it spends a key generation or a
 * reply on the value.  X25519/X448 values are checked for length only:
 * their low-order points show only in the all-zero secret, which
 * ike_dh_derive refuses.  UIPSEC_OK, UIPSEC_E_MALFORMED,
 * UIPSEC_E_UNSUPPORTED (unknown group) or UIPSEC_E_PARAM. */
__attribute__((warn_unused_result)) int ike_dh_check_peer(enum ike_dh_alg group,
                                                          const uint8_t *peer, size_t peer_len);

/* The shared secret, borrowed from dh (valid until the next derive or the
 * free); {NULL, 0} before a successful ike_dh_derive. */
struct ike_iov ike_dh_secret(const struct ike_dh *dh);

#endif
