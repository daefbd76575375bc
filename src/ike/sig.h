/* SPDX-License-Identifier: MIT */
/*
 * The signature layer of IKE_AUTH (RFC 7296 2.15, RFC 7427, RFC 4754,
 * RFC 8420): which scheme a key signs with, the AUTH payload's data for
 * it, and the verification of a peer's AUTH data.  Pure functions of
 * their arguments: the privileged parent, which holds private keys, calls
 * ike_sig_sign; the IKE state machine calls the rest.  Crypto and every
 * ASN.1 byte go through OpenSSL 3.
 */
#ifndef UIPSEC_IKE_SIG_H
#define UIPSEC_IKE_SIG_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What signs: a key type with a hash and padding. */
enum ike_sig_scheme {
    IKE_SIG_NONE = 0,
    IKE_SIG_RSA_SHA256, /* PKCS#1 v1.5 */
    IKE_SIG_RSA_SHA384,
    IKE_SIG_RSA_SHA512,
    IKE_SIG_RSA_PSS_SHA256, /* RFC 8017 PSS, MGF1 same hash, salt = hash length */
    IKE_SIG_RSA_PSS_SHA384,
    IKE_SIG_RSA_PSS_SHA512,
    IKE_SIG_ECDSA_SHA256,
    IKE_SIG_ECDSA_SHA384,
    IKE_SIG_ECDSA_SHA512,
    IKE_SIG_ED25519,
    IKE_SIG_ED448,
    /* Classic method 1 (RFC 7296 2.15): PKCS#1 v1.5 with SHA-1, for peers
     * that announce no SIGNATURE_HASH_ALGORITHMS; only where SHA-1 is
     * allowed.  Added after the others so their values stay put. */
    IKE_SIG_RSA_SHA1,
    IKE_SIG_COUNT
};
#define IKE_SIG_MAX_AUTH 1200 /* largest AUTH data: RSA-8192 signature + AlgorithmIdentifier */

/* Key sizes: shorter RSA keys are refused (NIST SP 800-131A), longer ones
 * would not fit IKE_SIG_MAX_AUTH. */
#define IKE_SIG_RSA_MIN_BITS 2048
#define IKE_SIG_RSA_MAX_BITS 8192

/* Bit (1u << hash id) for each IKE_HASH_* (ike_wire.h: SHA1=1, SHA2_256=2,
 * SHA2_384=3, SHA2_512=4, IDENTITY=5). */
/* The SIGNATURE_HASH_ALGORITHMS notify (RFC 7427 4): encode our set (as
 * 2-byte ids, ascending) into out (returns bytes written, 0 if out_len is
 * too small; 10 bytes always suffice for the known ids), decode a peer's
 * (unknown ids ignored, odd length -> false). */
size_t ike_sig_hashes_encode(uint32_t hashes, uint8_t *out, size_t out_len);
bool ike_sig_hashes_decode(const uint8_t *data, size_t len, uint32_t *hashes);
/* The hash set we announce: SHA2-256, 384, 512 and Identity (for EdDSA,
 * RFC 8420).  Never SHA-1: RFC 7427 lets a peer sign only with what we
 * announced, so leaving it out keeps SHA-1 signatures away. */
uint32_t ike_sig_hashes_ours(void);

/* The scheme key signs with.  When the peer announced hashes
 * (peer_hashes != 0): method IKE_AUTH_DIGITAL_SIGNATURE (14) with the
 * strongest hash both support that fits the key (Ed25519/Ed448: Identity
 * only; ECDSA: the curve's own hash preferred, else the strongest shared
 * SHA-2; RSA: SHA2-256 first for interop, PSS when pss is true or the key
 * is an RSA-PSS key).  When the peer announced none, a classic method
 * (RFC 7296 / RFC 4754): RSA -> method 1 (PKCS#1 v1.5 SHA-1, only if
 * allow_sha1), ECDSA P-256/384/521 -> 9/10/11; EdDSA has none.
 * Returns 0, or -1 with a reason a person can act on in why. */
int ike_sig_pick(const EVP_PKEY *key, uint32_t peer_hashes, bool pss, bool allow_sha1,
                 enum ike_sig_scheme *scheme, uint8_t *method, char *why, size_t why_len);

/* AUTH data for method over octets (RFC 7296 2.15's
 * InitiatorSignedOctets/ResponderSignedOctets): method 14: one length
 * byte, the DER AlgorithmIdentifier of the scheme (RFC 7427 3 and its
 * Appendix A byte strings), the signature; methods 9/10/11: the raw r||s
 * (RFC 4754 7, each the curve's size); method 1: the PKCS#1 v1.5
 * signature.  out must hold IKE_SIG_MAX_AUTH bytes.  0 or -1 with why. */
int ike_sig_sign(EVP_PKEY *key, enum ike_sig_scheme scheme, uint8_t method, const uint8_t *octets,
                 size_t len, uint8_t *out, size_t *out_len, char *why, size_t why_len);

/* Verifies AUTH data of method against octets with the peer's public key.
 * The AUTH data is untrusted: every length is checked, and it is refused
 * (false, with why naming what; the caller adds the certificate's name)
 * when: a method-14 hash is not in allowed_hashes (what we announced:
 * RFC 7427 3 lets us accept nothing else); the AlgorithmIdentifier does
 * not fit the key's type; PSS parameters differ in hash and MGF1 hash,
 * have a trailer field other than 1 or a salt shorter than 20 (any longer
 * salt the parameters state is accepted); SHA-1 is used without
 * allow_sha1; a classic ECDSA method names another curve than the key's;
 * or the signature does not verify.  On success *scheme says what
 * verified (for the log). */
bool ike_sig_verify(EVP_PKEY *pub, uint8_t method, const uint8_t *auth, size_t auth_len,
                    const uint8_t *octets, size_t len, uint32_t allowed_hashes, bool allow_sha1,
                    enum ike_sig_scheme *scheme, char *why, size_t why_len);

/* "RSA PKCS#1 v1.5 with SHA-256", "ECDSA with SHA-384", "Ed25519", ...
 * for logs. */
const char *ike_sig_scheme_name(enum ike_sig_scheme s);

#endif
