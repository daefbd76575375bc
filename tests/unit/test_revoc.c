/* SPDX-License-Identifier: MIT */
/*
 * The revocation cache (src/ike/revoc.c) against CRLs and OCSP answers
 * that OpenSSL makes here, as a CA and its responder would: what is asked
 * for and when, what is taken, what is refused and why, and that a CRL it
 * keeps makes OpenSSL's own chain check refuse a revoked certificate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "revoc.h"
#include "testcert.h"

#define CRL_URI  "http://ca.example/ca.crl"
#define OCSP_URI "http://ocsp.example/"

static EVP_PKEY *ca_key, *other_key;
static X509 *ca, *other_ca, *ee_crl, *ee_ocsp, *ee_both, *ee_none;
static X509_STORE *trust;

/* What the cache asked for last, and how often. */
static struct {
    unsigned n;
    uint32_t id;
    char url[IKE_REVOC_URI_MAX];
    uint8_t body[1024];
    size_t body_len;
} asked;

static void fetch(void *arg, uint32_t id, const char *url, const uint8_t *body, size_t len)
{
    (void)arg;
    asked.n++;
    asked.id = id;
    snprintf(asked.url, sizeof asked.url, "%s", url);
    assert_true(len <= sizeof asked.body);
    if (len)
        memcpy(asked.body, body, len);
    asked.body_len = len;
}

static int setup(void **state)
{
    (void)state;
    ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    other_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ca = testcert_make(ca_key, ca_key, NULL, "Test CA", true, NULL, NULL);
    other_ca = testcert_make(other_key, other_key, NULL, "Other CA", true, NULL, NULL);
    ee_crl = testcert_make(ca_key, ca_key, ca, "crl.example", false, CRL_URI, NULL);
    ee_ocsp = testcert_make(ca_key, ca_key, ca, "ocsp.example", false, NULL, OCSP_URI);
    ee_both = testcert_make(ca_key, ca_key, ca, "both.example", false, CRL_URI, OCSP_URI);
    ee_none = testcert_make(ca_key, ca_key, ca, "none.example", false, NULL, NULL);
    trust = X509_STORE_new();
    assert_int_equal(X509_STORE_add_cert(trust, ca), 1);
    return 0;
}

static STACK_OF(X509) * chain_of(X509 *ee)
{
    STACK_OF(X509) *chain = sk_X509_new_null();

    assert_true(sk_X509_push(chain, ee) && sk_X509_push(chain, ca));
    return chain;
}

static struct ike_revoc *fresh(void)
{
    memset(&asked, 0, sizeof asked);
    return ike_revoc_new(fetch, NULL);
}

/* A CRL of the CA (or signed by key), revoking serial 2 when revoke,
 * next update in next_s seconds; DER or PEM. */
static uint8_t *crl_make(EVP_PKEY *key, bool revoke, long next_s, bool pem, size_t *len)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *last = X509_gmtime_adj(NULL, -60), *next = X509_gmtime_adj(NULL, next_s);
    uint8_t *der = NULL;
    BIO *b;
    char *p;

    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
    X509_CRL_set1_lastUpdate(crl, last);
    X509_CRL_set1_nextUpdate(crl, next);
    if (revoke) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *serial = ASN1_INTEGER_new();

        ASN1_INTEGER_set(serial, 2);
        X509_REVOKED_set_serialNumber(r, serial);
        X509_REVOKED_set_revocationDate(r, last);
        X509_CRL_add0_revoked(crl, r);
        ASN1_INTEGER_free(serial);
    }
    assert_true(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
    if (pem) {
        b = BIO_new(BIO_s_mem());
        PEM_write_bio_X509_CRL(b, crl);
        *len = (size_t)BIO_get_mem_data(b, &p);
        der = malloc(*len);
        memcpy(der, p, *len);
        BIO_free(b);
    } else {
        *len = (size_t)i2d_X509_CRL(crl, &der);
    }
    X509_CRL_free(crl);
    ASN1_TIME_free(last);
    ASN1_TIME_free(next);
    return der;
}

static void answer_crl(struct ike_revoc *rv, EVP_PKEY *key, bool revoke, long next_s, bool pem)
{
    size_t len;
    uint8_t *der = crl_make(key, revoke, next_s, pem, &len);

    ike_revoc_answer(rv, asked.id, der, len, NULL);
    OPENSSL_free(der);
}

/* OpenSSL's chain check of ee with the fetched CRLs, as ikesa_cert.c
 * makes it: X509_V_OK or the error. */
static int verify_with(struct ike_revoc *rv, X509 *ee)
{
    STACK_OF(X509) *chain = chain_of(ee);
    STACK_OF(X509_CRL) *crls = ike_revoc_crls(rv, chain);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int err;

    assert_int_equal(X509_STORE_CTX_init(ctx, trust, ee, NULL), 1);
    X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx), X509_V_FLAG_CRL_CHECK);
    X509_STORE_CTX_set0_crls(ctx, crls);
    err = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    sk_X509_CRL_pop_free(crls, X509_CRL_free);
    sk_X509_free(chain);
    return err;
}

static void test_crl_fetched_once_and_used(void **state)
{
    struct ike_revoc *rv = fresh();
    STACK_OF(X509) *chain = chain_of(ee_crl);
    STACK_OF(X509_CRL) * crls;

    (void)state;
    assert_int_equal(verify_with(rv, ee_crl), X509_V_ERR_UNABLE_TO_GET_CRL);
    assert_int_equal(ike_revoc_plan(rv, chain, trust), IKE_REVOC_WAIT);
    assert_int_equal(asked.n, 1);
    assert_string_equal(asked.url, CRL_URI);
    assert_int_equal(asked.body_len, 0); /* a GET */
    assert_int_equal(ike_revoc_plan(rv, chain, trust), IKE_REVOC_WAIT);
    assert_int_equal(asked.n, 1); /* in flight: not asked again */
    answer_crl(rv, ca_key, false, 3600, false);
    assert_int_equal(ike_revoc_plan(rv, chain, trust), IKE_REVOC_READY);
    assert_int_equal(asked.n, 1); /* cached until its next update */
    crls = ike_revoc_crls(rv, chain);
    assert_int_equal(sk_X509_CRL_num(crls), 1);
    assert_string_equal(ike_revoc_crl_uri(rv, sk_X509_CRL_value(crls, 0)), CRL_URI);
    sk_X509_CRL_pop_free(crls, X509_CRL_free);
    assert_int_equal(verify_with(rv, ee_crl), X509_V_OK);
    sk_X509_free(chain);
    ike_revoc_free(rv);
}

static void test_crl_revoked_pem(void **state)
{
    struct ike_revoc *rv = fresh();
    STACK_OF(X509) *chain = chain_of(ee_crl);

    (void)state;
    ike_revoc_plan(rv, chain, trust);
    answer_crl(rv, ca_key, true, 3600, true); /* PEM, as some servers hand out */
    assert_int_equal(verify_with(rv, ee_crl), X509_V_ERR_CERT_REVOKED);
    sk_X509_free(chain);
    ike_revoc_free(rv);
}

/* A refused answer: not used, why kept, not asked again for a while. */
static void refused_crl(EVP_PKEY *key, long next_s, const char *why_part)
{
    struct ike_revoc *rv = fresh();
    STACK_OF(X509) *chain = chain_of(ee_crl);
    char why[600];

    ike_revoc_plan(rv, chain, trust);
    answer_crl(rv, key, true, next_s, false);
    assert_int_equal(ike_revoc_plan(rv, chain, trust), IKE_REVOC_READY);
    assert_int_equal(asked.n, 1); /* IKE_REVOC_RETRY_S before another try */
    assert_int_equal(verify_with(rv, ee_crl), X509_V_ERR_UNABLE_TO_GET_CRL);
    assert_true(ike_revoc_why(rv, ee_crl, ca, why, sizeof why));
    assert_non_null(strstr(why, "no CRL could be fetched from " CRL_URI ": "));
    if (!strstr(why, why_part))
        fail_msg("\"%s\" lacks \"%s\"", why, why_part);
    sk_X509_free(chain);
    ike_revoc_free(rv);
}

static void test_crl_refused(void **state)
{
    (void)state;
    refused_crl(other_key, 3600, "not signed by the certificate's issuer");
    refused_crl(ca_key, -30, "out of date");
}

static void test_fetch_failed(void **state)
{
    struct ike_revoc *rv = fresh();
    STACK_OF(X509) *chain = chain_of(ee_crl);
    char why[600];

    (void)state;
    ike_revoc_plan(rv, chain, trust);
    ike_revoc_answer(rv, asked.id, NULL, 0, "timeout after 10 s");
    ike_revoc_answer(rv, asked.id, (const uint8_t *)"late", 4, NULL); /* ignored */
    assert_int_equal(ike_revoc_plan(rv, chain, trust), IKE_REVOC_READY);
    assert_true(ike_revoc_why(rv, ee_crl, ca, why, sizeof why));
    assert_string_equal(why, "no CRL could be fetched from " CRL_URI ": timeout after 10 s");
    ike_revoc_answer(rv, 999, (const uint8_t *)"x", 1, NULL); /* not asked for */
    sk_X509_free(chain);
    ike_revoc_free(rv);
}

/* The responder's answer to the request the cache sent: status for its
 * CertID, signed by key (the CA's, or another CA's), with its nonce (or
 * another). */
static void answer_ocsp(struct ike_revoc *rv, int status, EVP_PKEY *key, bool own_nonce)
{
    const unsigned char *p = asked.body;
    OCSP_REQUEST *req = d2i_OCSP_REQUEST(NULL, &p, (long)asked.body_len);
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    ASN1_TIME *now = X509_gmtime_adj(NULL, -10), *next = X509_gmtime_adj(NULL, 3600);
    OCSP_CERTID *id;
    OCSP_RESPONSE *resp;
    uint8_t *der = NULL;
    int len;

    assert_non_null(req);
    assert_int_equal(OCSP_request_onereq_count(req), 1);
    id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0));
    assert_non_null(OCSP_basic_add1_status(bs, id, status, OCSP_REVOKED_STATUS_KEYCOMPROMISE,
                                           status == V_OCSP_CERTSTATUS_REVOKED ? now : NULL, now,
                                           next));
    if (own_nonce)
        assert_int_equal(OCSP_copy_nonce(bs, req), 1);
    else
        assert_int_equal(OCSP_basic_add1_nonce(bs, (unsigned char *)"0123456789abcdef", 16), 1);
    assert_int_equal(OCSP_basic_sign(bs, key == ca_key ? ca : other_ca, key, EVP_sha256(), NULL, 0),
                     1);
    resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    len = i2d_OCSP_RESPONSE(resp, &der);
    ike_revoc_answer(rv, asked.id, der, (size_t)len, NULL);
    OPENSSL_free(der);
    OCSP_RESPONSE_free(resp);
    OCSP_BASICRESP_free(bs);
    OCSP_REQUEST_free(req);
    ASN1_TIME_free(now);
    ASN1_TIME_free(next);
}

/* status from the responder (signed with key, its nonce or not): what
 * ike_revoc_ocsp makes of it. */
static enum ike_revoc_status ocsp_case(int status, EVP_PKEY *key, bool own_nonce, char *why,
                                       size_t why_len)
{
    struct ike_revoc *rv = fresh();
    STACK_OF(X509) *chain = chain_of(ee_ocsp);
    enum ike_revoc_status st;
    const char *uri = NULL;
    time_t at = 0;

    assert_int_equal(ike_revoc_plan(rv, chain, trust), IKE_REVOC_WAIT);
    assert_string_equal(asked.url, OCSP_URI);
    assert_true(asked.body_len > 0); /* a POST of the request */
    answer_ocsp(rv, status, key, own_nonce);
    assert_int_equal(ike_revoc_plan(rv, chain, trust), IKE_REVOC_READY);
    st = ike_revoc_ocsp(rv, ee_ocsp, ca, &at, &uri);
    if (st != IKE_REVOC_NONE) {
        assert_string_equal(uri, OCSP_URI);
        assert_true(st == IKE_REVOC_GOOD || at > 0);
    }
    why[0] = '\0';
    ike_revoc_why(rv, ee_ocsp, ca, why, why_len);
    sk_X509_free(chain);
    ike_revoc_free(rv);
    return st;
}

static void test_ocsp(void **state)
{
    char why[600];

    (void)state;
    assert_int_equal(ocsp_case(V_OCSP_CERTSTATUS_GOOD, ca_key, true, why, sizeof why),
                     IKE_REVOC_GOOD);
    assert_int_equal(ocsp_case(V_OCSP_CERTSTATUS_REVOKED, ca_key, true, why, sizeof why),
                     IKE_REVOC_REVOKED);
    assert_int_equal(ocsp_case(V_OCSP_CERTSTATUS_GOOD, ca_key, false, why, sizeof why),
                     IKE_REVOC_NONE);
    assert_non_null(strstr(why, "nonce is not ours"));
    assert_int_equal(ocsp_case(V_OCSP_CERTSTATUS_GOOD, other_key, true, why, sizeof why),
                     IKE_REVOC_NONE);
    assert_non_null(strstr(why, "not signed by the issuer or a responder it authorised"));
    assert_int_equal(ocsp_case(V_OCSP_CERTSTATUS_UNKNOWN, ca_key, true, why, sizeof why),
                     IKE_REVOC_NONE);
    assert_non_null(strstr(why, "does not know the certificate"));
}

/* OCSP first; when it has no answer, the CRL (strongSwan's order). */
static void test_ocsp_then_crl(void **state)
{
    struct ike_revoc *rv = fresh();
    STACK_OF(X509) *chain = chain_of(ee_both);

    (void)state;
    assert_int_equal(ike_revoc_plan(rv, chain, trust), IKE_REVOC_WAIT);
    assert_string_equal(asked.url, OCSP_URI);
    ike_revoc_answer(rv, asked.id, NULL, 0, "HTTP status 500");
    assert_int_equal(ike_revoc_plan(rv, chain, trust), IKE_REVOC_WAIT);
    assert_string_equal(asked.url, CRL_URI);
    assert_int_equal(asked.n, 2);
    sk_X509_free(chain);
    ike_revoc_free(rv);
}

/* authorities { crl_uris }: a certificate that names none gets its
 * issuer's. */
static void test_configured_uris(void **state)
{
    struct ike_revoc *rv = fresh();
    STACK_OF(X509) *chain = chain_of(ee_none);
    const char *crl[] = {"http://config.example/ca.crl"};

    (void)state;
    assert_false(ike_revoc_has_uri(rv, ee_none, ca));
    assert_int_equal(ike_revoc_plan(rv, chain, trust), IKE_REVOC_READY);
    assert_int_equal(asked.n, 0);
    assert_int_equal(ike_revoc_add_ca(rv, ca, crl, 1, NULL, 0), 0);
    assert_true(ike_revoc_has_uri(rv, ee_none, ca));
    assert_false(ike_revoc_has_uri(rv, ee_none, ee_crl)); /* another issuer */
    assert_int_equal(ike_revoc_plan(rv, chain, trust), IKE_REVOC_WAIT);
    assert_string_equal(asked.url, crl[0]);
    ike_revoc_clear_cas(rv);
    assert_false(ike_revoc_has_uri(rv, ee_none, ca));
    sk_X509_free(chain);
    ike_revoc_free(rv);
}

/* The cache stays bounded; what is in flight is never pushed out. */
static void test_bounded(void **state)
{
    struct ike_revoc *rv = fresh();
    X509 *certs[IKE_REVOC_ENTRIES + 1];
    uint32_t first = 0;

    (void)state;
    for (size_t i = 0; i <= IKE_REVOC_ENTRIES; i++) {
        char uri[64];
        STACK_OF(X509) * chain;

        snprintf(uri, sizeof uri, "http://ca.example/%zu.crl", i);
        certs[i] = testcert_make(ca_key, ca_key, ca, "many.example", false, uri, NULL);
        chain = chain_of(certs[i]);
        asked.n = 0;
        /* the last finds every entry in flight: nothing asked, no wait */
        assert_int_equal(ike_revoc_plan(rv, chain, trust),
                         i < IKE_REVOC_ENTRIES ? IKE_REVOC_WAIT : IKE_REVOC_READY);
        assert_int_equal(asked.n, i < IKE_REVOC_ENTRIES ? 1 : 0);
        if (!first)
            first = asked.id;
        sk_X509_free(chain);
    }
    ike_revoc_answer(rv, first, NULL, 0, "refused"); /* one entry settles: room */
    {
        STACK_OF(X509) *chain = chain_of(certs[IKE_REVOC_ENTRIES]);

        assert_int_equal(ike_revoc_plan(rv, chain, trust), IKE_REVOC_WAIT);
        sk_X509_free(chain);
    }
    for (size_t i = 0; i <= IKE_REVOC_ENTRIES; i++)
        X509_free(certs[i]);
    ike_revoc_free(rv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crl_fetched_once_and_used),
        cmocka_unit_test(test_crl_revoked_pem),
        cmocka_unit_test(test_crl_refused),
        cmocka_unit_test(test_fetch_failed),
        cmocka_unit_test(test_ocsp),
        cmocka_unit_test(test_ocsp_then_crl),
        cmocka_unit_test(test_configured_uris),
        cmocka_unit_test(test_bounded),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
