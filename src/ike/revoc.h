/* SPDX-License-Identifier: MIT */
/*
 * What we know about the revocation of certificates beyond x509crl/: CRLs
 * fetched from a certificate's CRL distribution points (RFC 5280 4.2.1.13)
 * and OCSP answers (RFC 6960) from its Authority Information Access,
 * cached until their next update and shared by every IKE SA.
 *
 * Pure: the caller moves the bytes.  A check that lacks an answer asks
 * for it through the fetch callback and returns IKE_REVOC_WAIT; the
 * caller hands the bytes (or why there are none) to ike_revoc_answer and
 * checks again.  Only certificates whose chain to a trusted CA verified
 * are ever looked up, so a peer cannot make us fetch from a URI it chose.
 * The fetched bytes are untrusted: a CRL must be signed by the issuer of
 * the certificate, an OCSP answer verified by OCSP_basic_verify and carry
 * our nonce when it has one.
 */
#ifndef UIPSEC_IKE_REVOC_H
#define UIPSEC_IKE_REVOC_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define IKE_REVOC_ANSWER_MAX (8u << 20) /* bytes of one CRL or OCSP answer */
#define IKE_REVOC_ENTRIES    512        /* cached answers, the oldest go first */
#define IKE_REVOC_RETRY_S    60         /* a failed fetch is not repeated sooner */
#define IKE_REVOC_NO_NEXT_S  300        /* how long an answer without a next update is used */
#define IKE_REVOC_URI_MAX    1024
#define IKE_REVOC_CA_URIS    4 /* configured URIs of each kind for a CA */

/* Asks for url (a GET), or with body a POST of an OCSP request; the answer
 * comes back through ike_revoc_answer with the same id. */
typedef void (*ike_revoc_fetch_fn)(void *arg, uint32_t id, const char *url, const uint8_t *body,
                                   size_t body_len);

struct ike_revoc;

struct ike_revoc *ike_revoc_new(ike_revoc_fetch_fn fetch, void *arg);
void ike_revoc_free(struct ike_revoc *rv);

/* URIs the configuration gives for the certificates ca issued (swanctl's
 * authorities { crl_uris, ocsp_uris }), tried after those a certificate
 * names itself.  0 or -1 (out of memory). */
int ike_revoc_add_ca(struct ike_revoc *rv, X509 *ca, const char *const *crl, size_t n_crl,
                     const char *const *ocsp, size_t n_ocsp);
void ike_revoc_clear_cas(struct ike_revoc *rv);

/* The answer to fetch id: data, or err (why there is none, for a person). */
void ike_revoc_answer(struct ike_revoc *rv, uint32_t id, const uint8_t *data, size_t len,
                      const char *err);

/* How far a verified chain (chain[0] the peer's, the last one the trust
 * anchor) can be checked now: every certificate but the anchor has an
 * OCSP status or CRL at hand, or its fetches failed (READY); or answers
 * were asked for (WAIT).  trust verifies OCSP responders. */
enum ike_revoc_plan { IKE_REVOC_READY, IKE_REVOC_WAIT };
enum ike_revoc_plan ike_revoc_plan(struct ike_revoc *rv, STACK_OF(X509) * chain, X509_STORE *trust);

/* The OCSP status of cert (issued by issuer) we hold. */
enum ike_revoc_status { IKE_REVOC_NONE, IKE_REVOC_GOOD, IKE_REVOC_REVOKED };
enum ike_revoc_status ike_revoc_ocsp(struct ike_revoc *rv, X509 *cert, X509 *issuer,
                                     time_t *revoked_at, const char **uri);

/* The fetched CRLs in date for the issuers of chain, for
 * X509_STORE_CTX_set0_crls (the caller frees the stack, not the CRLs:
 * sk_X509_CRL_pop_free with X509_CRL_free: each is referenced). */
STACK_OF(X509_CRL) * ike_revoc_crls(struct ike_revoc *rv, STACK_OF(X509) * chain);

/* Where crl came from, or NULL if not fetched. */
const char *ike_revoc_crl_uri(struct ike_revoc *rv, const X509_CRL *crl);

/* Why cert (issued by issuer) has no revocation information, for a
 * person ("no CRL could be fetched from URI: timeout"), into buf; false
 * if no fetch failed. */
bool ike_revoc_why(struct ike_revoc *rv, X509 *cert, X509 *issuer, char *buf, size_t len);

/* Whether cert names a CRL distribution point or OCSP responder we can
 * fetch from (http or https), or rv (may be NULL) has one for its issuer
 * (may be NULL). */
bool ike_revoc_has_uri(const struct ike_revoc *rv, X509 *cert, X509 *issuer);

#endif
