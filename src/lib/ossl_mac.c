/* SPDX-License-Identifier: MIT */
#include "ossl_mac.h"

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "uipsec/uipsec.h"

int ossl_hmac_new(const char *digest, const uint8_t *key, size_t key_len, EVP_MAC_CTX **out)
{
    OSSL_PARAM params[] = {
        /* OSSL_PARAM only reads the name */
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)(uintptr_t)digest, 0),
        OSSL_PARAM_construct_end(),
    };
    EVP_MAC *mac;

    *out = NULL;
    if (digest == NULL)
        return UIPSEC_E_UNSUPPORTED;
    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac == NULL)
        return UIPSEC_E_UNSUPPORTED;
    *out = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac); /* the context holds its own reference */
    if (*out == NULL)
        return UIPSEC_E_NOMEM;
    if (EVP_MAC_init(*out, key, key_len, params) != 1)
        return UIPSEC_E_UNSUPPORTED;
    return UIPSEC_OK;
}
