/* SPDX-License-Identifier: MIT */
/* The one place that makes an OpenSSL HMAC context, for the ESP/AH
 * backend (crypto_openssl.c) and IKE's prf and SK payloads (src/ike). */
#ifndef UIPSEC_OSSL_MAC_H
#define UIPSEC_OSSL_MAC_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

/* An HMAC context over digest ("SHA256", ...) keyed with key[0, key_len):
 * UIPSEC_OK, UIPSEC_E_UNSUPPORTED (no such digest or MAC) or
 * UIPSEC_E_NOMEM.  *out is set even on failure (EVP_MAC_CTX_free it);
 * each use after the first starts with EVP_MAC_init(ctx, NULL, 0, NULL),
 * which keeps the key. */
int ossl_hmac_new(const char *digest, const uint8_t *key, size_t key_len, EVP_MAC_CTX **out);

#endif
