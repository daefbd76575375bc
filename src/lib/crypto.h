/* SPDX-License-Identifier: MIT */
/*
 * The crypto seam: the one place where the engine meets a crypto library.
 * A backend is chosen once per SA (uipsec_crypto_init) and its function table
 * is then called directly per packet.  Backends hold the expanded keys and
 * any cipher contexts; they never allocate per packet.
 */
#ifndef UIPSEC_CRYPTO_H
#define UIPSEC_CRYPTO_H

#include "uipsec/uipsec.h"

#define UIPSEC_AEAD_NONCE_LEN 12
#define UIPSEC_CBC_IV_LEN     16
#define UIPSEC_BURST_MAX      32 /* jobs per burst: the engine cuts longer batches */
#define UIPSEC_MAC_MAX        64 /* longest HMAC digest (SHA-512) */

struct uipsec_crypto_keys {
    enum uipsec_enc enc; /* UIPSEC_ENC_NULL when the SA is AH or ESP-NULL */
    const uint8_t *enc_key;
    size_t enc_key_len;
    enum uipsec_integ integ; /* UIPSEC_INTEG_NONE for AEAD suites */
    const uint8_t *auth_key;
    size_t auth_key_len;
    size_t icv_len; /* tag or truncated HMAC length */
};

/* One packet's share of a burst of AES-CBC and HMAC work, as pointers into
 * its buffer.  With both parts set, data lies inside auth and is encrypted
 * before the MAC is made: the engine never decrypts before it has checked
 * the ICV, so a decrypting job carries no MAC. */
struct uipsec_crypto_job {
    const uint8_t *iv; /* CBC IV; NULL: no cipher */
    uint8_t *data;     /* en- or decrypted in place; len a multiple of 16 */
    size_t len;
    const uint8_t *auth; /* MAC input; NULL: no MAC */
    size_t auth_len;
    uint8_t mac[UIPSEC_MAC_MAX]; /* out: the MAC; its first icv_len bytes count */
    bool ok;                     /* out: everything asked for was done */
};

struct uipsec_crypto_ops {
    const char *name;
    /* Expands keys into a fresh state.  Returns UIPSEC_OK, UIPSEC_E_UNSUPPORTED
     * (this backend lacks the suite) or UIPSEC_E_NOMEM. */
    int (*init)(void **state, const struct uipsec_crypto_keys *keys);
    /* Wipes and frees the state (NULL is fine). */
    void (*free)(void *state);
    /* AEAD (AES-GCM, ChaCha20-Poly1305, and GMAC as GCM with len 0):
     * encrypts data[0,len) in place and writes icv_len tag bytes. */
    bool (*aead_seal)(void *state, const uint8_t nonce[UIPSEC_AEAD_NONCE_LEN], const uint8_t *aad,
                      size_t aad_len, uint8_t *data, size_t len, uint8_t *tag);
    /* Decrypts data[0,len) in place; false if the tag does not verify
     * (compared in constant time). */
    bool (*aead_open)(void *state, const uint8_t nonce[UIPSEC_AEAD_NONCE_LEN], const uint8_t *aad,
                      size_t aad_len, uint8_t *data, size_t len, const uint8_t *tag);
    /* AES-CBC in place; len is a multiple of 16. */
    bool (*cbc_encrypt)(void *state, const uint8_t iv[UIPSEC_CBC_IV_LEN], uint8_t *data,
                        size_t len);
    bool (*cbc_decrypt)(void *state, const uint8_t iv[UIPSEC_CBC_IV_LEN], uint8_t *data,
                        size_t len);
    /* HMAC over data[0,len), truncated to icv_len bytes, written to icv. */
    bool (*hmac)(void *state, const uint8_t *data, size_t len, uint8_t *icv);
    /* Optional: runs n <= UIPSEC_BURST_MAX jobs at once, in any order inside
     * the library, and returns when all are done.  NULL: uipsec_crypto_burst
     * runs them one at a time through cbc_* and hmac. */
    void (*burst)(void *state, bool decrypt, struct uipsec_crypto_job *jobs, size_t n);
};

extern const struct uipsec_crypto_ops uipsec_crypto_openssl;
/* NULL when libuipsec was built without intel-ipsec-mb. */
extern const struct uipsec_crypto_ops *const uipsec_crypto_ipsecmb;

struct uipsec_crypto {
    const struct uipsec_crypto_ops *ops;
    void *state;
    enum uipsec_backend backend;
};

/* Picks the backend (AUTO: ipsec-mb when it has the suite, else OpenSSL) and
 * initialises it.  Returns UIPSEC_OK or an error code. */
int uipsec_crypto_init(struct uipsec_crypto *c, enum uipsec_backend want,
                       const struct uipsec_crypto_keys *keys);
void uipsec_crypto_free(struct uipsec_crypto *c);

/* Runs the jobs of a burst on the SA's backend: every job's ok tells. */
void uipsec_crypto_burst(const struct uipsec_crypto *c, bool decrypt,
                         struct uipsec_crypto_job *jobs, size_t n);
/* One job through a backend's single-packet calls, for backends without a
 * burst call and for jobs a burst call cannot take. */
bool uipsec_crypto_job_one(const struct uipsec_crypto_ops *ops, void *state, bool decrypt,
                           struct uipsec_crypto_job *job);

#endif
