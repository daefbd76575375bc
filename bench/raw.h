/* SPDX-License-Identifier: MIT */
/* The raw baselines' seam: one table per crypto library. */
#ifndef UIPSEC_BENCH_RAW_H
#define UIPSEC_BENCH_RAW_H

#include "bench.h"

/* What a suite asks of the cipher, whichever library runs it. */
enum raw_kind {
    RAW_AEAD,     /* AES-GCM or ChaCha20-Poly1305: AAD = SPI | seq, payload encrypted */
    RAW_GMAC,     /* AES-GMAC: everything is AAD */
    RAW_CBC_HMAC, /* AES-CBC, then HMAC over header, IV and ciphertext */
    RAW_HMAC,     /* ESP-NULL or AH: HMAC only */
};

struct raw_ops {
    int (*init)(void **state, const struct uipsec_sa_params *p, enum raw_kind kind, unsigned flags);
    void (*free)(void *state);
    /* Whole batch; regions[i] is buffer i's authenticated region. */
    bool (*seal)(void *state, uint8_t *const *regions, const struct bench_shape *s);
    bool (*seal_burst)(void *state, uint8_t *const *regions, const struct bench_shape *s);
    bool (*open)(void *state, uint8_t *const *regions, const struct bench_shape *s);
};

extern const struct raw_ops raw_openssl;
/* NULL when the bench was built without intel-ipsec-mb. */
extern const struct raw_ops *const raw_ipsecmb;

#ifdef UIPSEC_HAVE_IPSECMB
const char *raw_ipsecmb_info(void);
#endif

/* The 12-byte AEAD nonce: salt, then the 8-byte IV (RFC 4106 4). */
void raw_nonce(const uint8_t salt[UIPSEC_SALT_LEN], const uint8_t iv[8], uint8_t nonce[12]);

#endif
