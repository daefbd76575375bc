/* SPDX-License-Identifier: MIT */
/* Certificates made in the test process (fuzz_cert, fuzz_revoc,
 * test_revoc), so that a test or fuzzer gets past the chain checks that
 * only a real chain passes. */
#ifndef UIPSEC_TESTCERT_H
#define UIPSEC_TESTCERT_H

#include <openssl/x509.h>
#include <stdbool.h>

/* A certificate for key, signed by signer as issuer (NULL: self-signed),
 * "C=CH, CN=cn", serial 1 for a CA and 2 otherwise; an end entity gets
 * the subjectAltName DNS:peer.example, and crl_uri / ocsp_uri (may be
 * NULL) as CRL distribution point and OCSP responder.  Aborts on
 * failure. */
X509 *testcert_make(EVP_PKEY *key, EVP_PKEY *signer, X509 *issuer, const char *cn, bool is_ca,
                    const char *crl_uri, const char *ocsp_uri);

#endif
