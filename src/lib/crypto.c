/* SPDX-License-Identifier: MIT */
/*
 * Backend selection for the crypto seam: chosen once per SA, then the SA
 * calls its backend's function table directly.
 */
#include "crypto.h"

#include <string.h>

#ifndef UIPSEC_HAVE_IPSECMB
/* crypto_ipsecmb.c is left out of such builds; this says so to the rest. */
const struct uipsec_crypto_ops *const uipsec_crypto_ipsecmb = NULL;
#endif

static int start(struct uipsec_crypto *c, const struct uipsec_crypto_ops *ops,
                 enum uipsec_backend backend, const struct uipsec_crypto_keys *keys)
{
    int rc = ops->init(&c->state, keys);

    if (rc == UIPSEC_OK) {
        c->ops = ops;
        c->backend = backend;
    }
    return rc;
}

int uipsec_crypto_init(struct uipsec_crypto *c, enum uipsec_backend want,
                       const struct uipsec_crypto_keys *keys)
{
    memset(c, 0, sizeof *c);
    switch (want) {
    case UIPSEC_BACKEND_AUTO:
        /* intel-ipsec-mb wherever it has the suite; any failure of it (no
         * suite, CPU, memory) falls back to OpenSSL.  For CBC and HMAC it
         * runs the jobs of a batch as one burst and wins 2-8x on batches of
         * 32, while a lone packet (one job and a flush) is up to 3x slower
         * than EVP, a few microseconds: the daemon hands over whole batches
         * when it is busy, which is when it matters (docs/PERFORMANCE.md). */
        if (uipsec_crypto_ipsecmb != NULL &&
            start(c, uipsec_crypto_ipsecmb, UIPSEC_BACKEND_IPSECMB, keys) == UIPSEC_OK)
            return UIPSEC_OK;
        return start(c, &uipsec_crypto_openssl, UIPSEC_BACKEND_OPENSSL, keys);
    case UIPSEC_BACKEND_OPENSSL:
        return start(c, &uipsec_crypto_openssl, UIPSEC_BACKEND_OPENSSL, keys);
    case UIPSEC_BACKEND_IPSECMB:
        if (uipsec_crypto_ipsecmb == NULL)
            return UIPSEC_E_UNSUPPORTED;
        return start(c, uipsec_crypto_ipsecmb, UIPSEC_BACKEND_IPSECMB, keys);
    default:
        return UIPSEC_E_PARAM;
    }
}

void uipsec_crypto_free(struct uipsec_crypto *c)
{
    if (c->ops != NULL)
        c->ops->free(c->state);
    memset(c, 0, sizeof *c);
}

bool uipsec_crypto_job_one(const struct uipsec_crypto_ops *ops, void *state, bool decrypt,
                           struct uipsec_crypto_job *job)
{
    bool ok = true;

    if (job->iv != NULL && !decrypt)
        ok = ops->cbc_encrypt(state, job->iv, job->data, job->len);
    if (ok && job->auth != NULL)
        ok = ops->hmac(state, job->auth, job->auth_len, job->mac);
    if (ok && job->iv != NULL && decrypt)
        ok = ops->cbc_decrypt(state, job->iv, job->data, job->len);
    return ok;
}

void uipsec_crypto_burst(const struct uipsec_crypto *c, bool decrypt,
                         struct uipsec_crypto_job *jobs, size_t n)
{
    if (c->ops->burst != NULL) {
        c->ops->burst(c->state, decrypt, jobs, n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        jobs[i].ok = uipsec_crypto_job_one(c->ops, c->state, decrypt, &jobs[i]);
}

UIPSEC_API const char *uipsec_backend_name(enum uipsec_backend backend)
{
    switch (backend) {
    case UIPSEC_BACKEND_AUTO:
        return "auto";
    case UIPSEC_BACKEND_OPENSSL:
        return "openssl";
    case UIPSEC_BACKEND_IPSECMB:
        return "ipsec-mb";
    default:
        return "unknown";
    }
}

/* intel-ipsec-mb counts as available when it is built in and can set up a
 * key on this machine (its managers need the CPU features it was built for). */
static bool ipsecmb_works(void)
{
    static const uint8_t key[16];
    const struct uipsec_crypto_keys probe = {
        .enc = UIPSEC_ENC_AES_GCM16,
        .enc_key = key,
        .enc_key_len = sizeof key,
        .integ = UIPSEC_INTEG_NONE,
        .icv_len = 16,
    };
    void *state;

    if (uipsec_crypto_ipsecmb == NULL || uipsec_crypto_ipsecmb->init(&state, &probe) != UIPSEC_OK)
        return false;
    uipsec_crypto_ipsecmb->free(state);
    return true;
}

UIPSEC_API bool uipsec_backend_available(enum uipsec_backend backend)
{
    switch (backend) {
    case UIPSEC_BACKEND_AUTO:
    case UIPSEC_BACKEND_OPENSSL:
        return true;
    case UIPSEC_BACKEND_IPSECMB:
        return ipsecmb_works();
    default:
        return false;
    }
}
