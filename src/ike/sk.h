/* SPDX-License-Identifier: MIT */
/*
 * Protection of the IKEv2 Encrypted payload, "SK" (RFC 7296 3.14), with
 * AES-GCM-16 (RFC 5282), ChaCha20-Poly1305 (RFC 7634) or AES-CBC with an
 * HMAC (RFC 7296 3.14, RFC 4868).  Ciphers and MACs come from OpenSSL 3 EVP;
 * the ESP crypto seam is not used (IKE is not the data path).
 *
 * A struct ike_sk holds the keys of ONE direction of an IKE SA: SK_ei and
 * SK_ai protect what the original initiator sends, SK_er and SK_ar what the
 * original responder sends (RFC 7296 2.14).  A peer seals with its own
 * direction's context and opens with the other.  Either context can do
 * both, which is what tests and a loopback need.
 *
 * Wire layout of a message that ends in an SK payload (SK is always the last
 * payload, RFC 7296 3.14), or in an Encrypted Fragment payload, SKF (RFC
 * 7383 2.5), whose header is 8 bytes (the generic header, Fragment Number,
 * Total Fragments).  hdr_len below is 4 for SK and 8 for SKF:
 *
 *   0            28                     sk_off      sk_off+hdr_len
 *   | IKE header | unencrypted payloads | SK header | IV | ciphertext | ICV |
 *                                                        \_ payloads | padding | pad length
 *
 * AEAD suites: the associated data is msg[0, sk_off + hdr_len): the IKE
 * header, any payloads before SK and the SK (SKF) header (RFC 5282 5.1,
 * RFC 7383 2.5.3); the nonce is salt (the last 4 bytes of SK_e) | IV
 * (8 bytes).  CBC + HMAC: the ICV is the truncated HMAC of msg[0, end of
 * ciphertext), i.e. from the first byte of the IKE header through the IV
 * and the ciphertext.  Either way the IKE header's Length (bytes 24-27) and
 * the SK Payload Length are inside the authenticated data, so both are
 * final before the AAD or ICV is computed: ike_sk_seal writes them itself.
 *
 * Every function returns UIPSEC_OK or an enum uipsec_result code, so that a
 * caller counts drops by reason: UIPSEC_E_TRUNCATED, UIPSEC_E_MALFORMED,
 * UIPSEC_E_BLOCK_SIZE, UIPSEC_E_AUTH, UIPSEC_E_PADDING for bad input;
 * UIPSEC_E_NO_ROOM, UIPSEC_E_TOO_BIG, UIPSEC_E_PARAM for caller errors;
 * UIPSEC_E_UNSUPPORTED, UIPSEC_E_NOMEM, UIPSEC_E_CRYPTO,
 * UIPSEC_E_SEQ_EXHAUSTED otherwise.
 */
#ifndef UIPSEC_IKE_SK_H
#define UIPSEC_IKE_SK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uipsec/uipsec.h"

/* IKEv2 Transform Type 1 IDs (IANA "IKEv2 Encryption Algorithm Transform IDs"). */
enum ike_encr_alg {
    IKE_ENCR_ALG_AES_CBC = 12,           /* RFC 3602; Key Length 128 or 256 */
    IKE_ENCR_ALG_AES_GCM_16 = 20,        /* RFC 5282; Key Length 128 or 256 */
    IKE_ENCR_ALG_CHACHA20_POLY1305 = 28, /* RFC 7634; 256-bit key, no Key Length */
};

/* IKEv2 Transform Type 3 IDs (IANA "IKEv2 Integrity Algorithm Transform IDs").
 * AUTH_HMAC_SHA1_96 is here only so that a captured IKE_AUTH message can be
 * checked; proposals should not offer it by default. */
enum ike_integ_alg {
    IKE_INTEG_ALG_NONE = 0, /* with AEAD suites (RFC 5282 8) */
    IKE_INTEG_ALG_HMAC_SHA1_96 = 2,
    IKE_INTEG_ALG_HMAC_SHA2_256_128 = 12, /* RFC 4868 */
    IKE_INTEG_ALG_HMAC_SHA2_384_192 = 13,
    IKE_INTEG_ALG_HMAC_SHA2_512_256 = 14,
};

struct ike_sk_suite {
    enum ike_encr_alg encr;
    unsigned key_bits; /* Key Length attribute; ChaCha20-Poly1305: 256 or 0 */
    enum ike_integ_alg integ;
};

/* hdr_len of an SK payload (its generic header) and of an SKF payload. */
#define IKE_SK_PAYLOAD_HEADER_LEN  4
#define IKE_SKF_PAYLOAD_HEADER_LEN 8
#define IKE_SK_MAX_ICV             32

struct ike_sk;

/* Key bytes a suite takes from the key material (RFC 7296 2.14): SK_e* with
 * the 4-byte salt at its end for AEAD suites (RFC 5282 7.1, RFC 7634 4),
 * SK_a* (0 for AEAD).  UIPSEC_E_UNSUPPORTED for a suite this module lacks
 * (unknown ids, other key sizes, AEAD with an integrity algorithm, CBC
 * without one). */
__attribute__((warn_unused_result)) int ike_sk_key_sizes(const struct ike_sk_suite *suite,
                                                         size_t *encr_len, size_t *integ_len);

/* Makes a context for one direction.  The keys are copied into OpenSSL's
 * contexts (and the salt into ours); the caller may wipe its copies at once.
 * encr_len and integ_len must be what ike_sk_key_sizes gives (UIPSEC_E_PARAM
 * otherwise).  *out is NULL on failure. */
__attribute__((warn_unused_result)) int ike_sk_new(const struct ike_sk_suite *suite,
                                                   const uint8_t *encr_key, size_t encr_len,
                                                   const uint8_t *integ_key, size_t integ_len,
                                                   struct ike_sk **out);

/* Wipes and frees (NULL is fine). */
void ike_sk_free(struct ike_sk *sk);

/* Where a caller writes the plaintext payload chain before sealing: after
 * the header and the IV. */
size_t ike_sk_plain_offset(const struct ike_sk *sk, size_t sk_off, size_t hdr_len);

/* The length of the whole message once pt_len plaintext bytes are sealed
 * behind an SK (SKF) header at sk_off: the capacity ike_sk_seal needs. */
size_t ike_sk_sealed_len(const struct ike_sk *sk, size_t sk_off, size_t hdr_len, size_t pt_len);

/*
 * Seals in place.  On entry:
 *   msg[0, 28)              the IKE header, complete except its Length;
 *   msg[28, sk_off)         payloads before SK, if any, complete (the last
 *                           one's Next Payload says SK, 46, or SKF, 53);
 *   msg[sk_off, +hdr_len)   the SK header: Next Payload = the type of the
 *                           first inner payload, the Critical bit, Reserved
 *                           (SKF: and the two fragment numbers);
 *   msg[plain, plain+pt_len) the inner payload chain, where
 *                           plain = ike_sk_plain_offset(sk, sk_off, hdr_len);
 *   cap                     the buffer size, >= ike_sk_sealed_len(...).
 * On UIPSEC_OK: the IKE header's Length and the SK Payload Length are set,
 * the IV written (AEAD: a per-context counter under a random mask, unique
 * per key as RFC 5282 requires; CBC: RAND_bytes, unpredictable as RFC 7296
 * 3.14 requires), the plaintext padded minimally (AEAD: no padding, CBC: to
 * 16 bytes; padding bytes are 0), encrypted, the ICV appended, and
 * *msg_len = the message length.  On failure the bytes after the SK header
 * are wiped and nothing may be sent.  hdr_len must be 4 or 8 and sk_off at
 * least 28 (UIPSEC_E_PARAM); an SK payload over 65535 bytes is
 * UIPSEC_E_TOO_BIG; cap too small UIPSEC_E_NO_ROOM.
 */
__attribute__((warn_unused_result)) int ike_sk_seal(struct ike_sk *sk, uint8_t *msg, size_t cap,
                                                    size_t sk_off, size_t hdr_len, size_t pt_len,
                                                    size_t *msg_len);

/*
 * Verifies and decrypts in place a received message msg[0, msg_len) whose
 * SK (SKF) header starts at sk_off (found by the payload parser).  Checked
 * before any crypto: the IKE header's Length equals msg_len, the SK Payload
 * Length equals msg_len - sk_off (SK is last), IV, ICV and at least the pad
 * length byte are present, and CBC ciphertext is whole blocks.  Then the
 * ICV or tag (compared in constant time; for CBC before anything is
 * decrypted), then the pad length (at most the decrypted length less one;
 * padding bytes may hold any value, RFC 7296 3.14).  On UIPSEC_OK the inner
 * payload chain is msg[*pt_off, *pt_off + *pt_len); its first type is the
 * SK header's Next Payload.  Once the shape checks passed, a failure wipes
 * the ciphertext region, so no unauthenticated plaintext is ever left in
 * the buffer.
 */
__attribute__((warn_unused_result)) int ike_sk_open(struct ike_sk *sk, uint8_t *msg, size_t msg_len,
                                                    size_t sk_off, size_t hdr_len, size_t *pt_off,
                                                    size_t *pt_len);

/* Reproduces a known message: the next seal uses this IV (iv_len must be the
 * suite's: 8 for AEAD, 16 for CBC) instead of a fresh one.  For tests only;
 * reusing an AEAD IV under one key is fatal to its security. */
int ike_sk_set_next_iv(struct ike_sk *sk, const uint8_t *iv, size_t iv_len);

#endif
