/* SPDX-License-Identifier: MIT */
#include "testcert.h"

#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>

static void add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, v3, nid, value);

    if (!ext || !X509_add_ext(x, ext, -1))
        abort();
    X509_EXTENSION_free(ext);
}

X509 *testcert_make(EVP_PKEY *key, EVP_PKEY *signer, X509 *issuer, const char *cn, bool is_ca,
                    const char *crl_uri, const char *ocsp_uri)
{
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    X509V3_CTX v3;
    char value[300];

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), is_ca ? 1 : 2);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365);
    X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"CH", -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
    X509_set_pubkey(x, key);
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    add_ext(x, &v3, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "CA:FALSE");
    if (!is_ca)
        add_ext(x, &v3, NID_subject_alt_name, "DNS:peer.example");
    if (crl_uri) {
        snprintf(value, sizeof value, "URI:%s", crl_uri);
        add_ext(x, &v3, NID_crl_distribution_points, value);
    }
    if (ocsp_uri) {
        snprintf(value, sizeof value, "OCSP;URI:%s", ocsp_uri);
        add_ext(x, &v3, NID_info_access, value);
    }
    if (!X509_sign(x, signer, EVP_sha256()))
        abort();
    X509_NAME_free(n);
    return x;
}
