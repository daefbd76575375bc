/* SPDX-License-Identifier: MIT */
/*
 * What a loaded certificate says, as people read it: DNs, dates, key,
 * subjectAltNames, fingerprint (for list-certs and the expiry warning).
 * All parsing is OpenSSL's; every text is NUL-terminated and truncated
 * to its buffer.
 */
#ifndef UIPSECD_CERTINFO_H
#define UIPSECD_CERTINFO_H

#include <openssl/x509.h>
#include <stddef.h>
#include <time.h>

#include "creds.h"

struct cfg;

/* cfg's certificates parsed again from their DER (NULL where OpenSSL
 * refuses one, which creds.c already checked). */
struct certset {
    X509 *x[CFG_MAX_CERTS];
    size_t n;
};
void certset_load(struct certset *s, const struct cfg *cfg);
void certset_free(struct certset *s);

/* "C=CH, O=uipsec test, CN=gw" as ike_id_print writes DNs. */
void cert_dn(const X509_NAME *name, char *buf, size_t len);
/* "2027-01-01T00:00:00Z"; "?" if OpenSSL cannot read the time. */
void cert_time(const ASN1_TIME *t, char *buf, size_t len);
/* Whole days from now to notAfter, rounded down: negative once expired. */
long cert_days_left(const X509 *x, time_t now);
bool cert_expired(const X509 *x, time_t now);
/* "RSA 3072", "ECDSA P-256", "Ed25519", "Ed448". */
void cert_key(const X509 *x, char *buf, size_t len);
/* Lower-case hex with colons: the serial number, the SHA-256 of the DER. */
void cert_serial(const X509 *x, char *buf, size_t len);
void cert_sha256(const X509 *x, char *buf, size_t len);
/* The subjectAltNames as text ("left.uipsec.test", "192.0.2.1",
 * "gw@uipsec.test", URIs as they are), each given to fn. */
void cert_sans(const X509 *x, void (*fn)(void *arg, const char *san), void *arg);

#endif
