/* SPDX-License-Identifier: MIT */
/*
 * What the revocation fetcher hands back (src/ike/revoc.c) and the frames
 * it sends (src/daemon/fetchproto.c): bytes from an HTTP server anywhere.
 * The first input byte picks the target:
 *   0  the answer to the CRL fetch of a certificate that names only a CRL
 *      distribution point; with the second byte 0, the valid CRL made at
 *      start XORed with the rest (so the signature and date checks are
 *      reached)
 *   1  the answer to the OCSP fetch of a certificate that names only an
 *      OCSP responder
 *   2  the IKE process's read of fetcher frames
 * Each answer is then looked up the ways the chain check does.  Nothing
 * may be taken for good: no answer carries our nonce and signature.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "fetchproto.h"
#include "testcert.h"
#include "revoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static X509 *ca, *ee_crl, *ee_ocsp;
static X509_STORE *trust;
static uint8_t *crl_der;
static int crl_len;
static uint32_t asked;

static void init(void)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *last = ASN1_TIME_new(), *next = ASN1_TIME_new();

    if (!key || !crl || !last || !next)
        abort();
    ca = testcert_make(key, key, NULL, "Fuzz CA", true, NULL, NULL);
    ee_crl = testcert_make(key, key, ca, "crl.example", false, "http://ca.example/ca.crl", NULL);
    ee_ocsp = testcert_make(key, key, ca, "ocsp.example", false, NULL, "http://ca.example/ocsp");
    trust = X509_STORE_new();
    if (!trust || X509_STORE_add_cert(trust, ca) != 1)
        abort();
    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
    X509_gmtime_adj(last, -60);
    X509_gmtime_adj(next, 3600);
    X509_CRL_set1_lastUpdate(crl, last);
    X509_CRL_set1_nextUpdate(crl, next);
    ASN1_TIME_free(last);
    ASN1_TIME_free(next);
    if (!X509_CRL_sign(crl, key, EVP_sha256()) || (crl_len = i2d_X509_CRL(crl, &crl_der)) <= 0)
        abort();
    X509_CRL_free(crl);
    EVP_PKEY_free(key);
}

static void fetch(void *arg, uint32_t id, const char *url, const uint8_t *body, size_t len)
{
    (void)arg;
    (void)url;
    (void)body;
    (void)len;
    asked = id;
}

static void answer(X509 *ee, const uint8_t *data, size_t size, bool ocsp)
{
    struct ike_revoc *rv = ike_revoc_new(fetch, NULL);
    STACK_OF(X509) *chain = sk_X509_new_null();
    STACK_OF(X509_CRL) * crls;
    uint8_t *copy = malloc(size ? size : 1);
    const char *uri;
    char why[400];
    time_t t;

    if (!rv || !chain || !copy || !sk_X509_push(chain, ee) || !sk_X509_push(chain, ca))
        abort();
    memcpy(copy, data, size); /* exactly its size: ASan sees overreads */
    asked = 0;
    if (ike_revoc_plan(rv, chain, trust) != IKE_REVOC_WAIT || !asked)
        abort();
    ike_revoc_answer(rv, asked, copy, size, NULL);
    if (ike_revoc_plan(rv, chain, trust) != IKE_REVOC_READY)
        abort(); /* answered: settled either way */
    if (ocsp && ike_revoc_ocsp(rv, ee, ca, &t, &uri) != IKE_REVOC_NONE)
        abort(); /* without our nonce and the CA's signature, nothing */
    crls = ike_revoc_crls(rv, chain);
    ike_revoc_why(rv, ee, ca, why, sizeof why);
    sk_X509_CRL_pop_free(crls, X509_CRL_free);
    sk_X509_free(chain);
    ike_revoc_free(rv);
    free(copy);
}

static void frames(const uint8_t *data, size_t size)
{
    /* the buffer as read from the stream: the raw input, exactly its
     * size, so ASan sees any read beyond it */
    struct fetch_buf b = {.p = malloc(size ? size : 1), .len = size, .cap = size};
    struct fetch_frame f;
    size_t used;

    if (!b.p)
        abort();
    memcpy(b.p, data, size);
    while (fetch_frame_next(&b, &used, &f) == 1) {
        if (used > b.len || f.rest + f.rest_len > b.p + b.len)
            abort();
        fetch_buf_consume(&b, used);
    }
    fetch_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *crl;

    if (!ca)
        init();
    if (size < 1)
        return 0;
    if (data[0] == 0 && size >= 2 && data[1] == 0) {
        if (!(crl = malloc((size_t)crl_len)))
            abort();
        for (int i = 0; i < crl_len; i++)
            crl[i] = crl_der[i] ^ ((size_t)i + 2 < size ? data[i + 2] : 0);
        answer(ee_crl, crl, (size_t)crl_len, false);
        free(crl);
    } else if (data[0] == 0)
        answer(ee_crl, data + 1, size - 1, false);
    else if (data[0] == 1)
        answer(ee_ocsp, data + 1, size - 1, true);
    else
        frames(data + 1, size - 1);
    return 0;
}
