/* SPDX-License-Identifier: MIT */
/*
 * A loaded certificate's place in the configuration: the chain from it to
 * a trusted CA among the loaded certificates, and the connections that use
 * it (list-certs, certwatch.c).
 */
#ifndef UIPSECD_CERTUSE_H
#define UIPSECD_CERTUSE_H

#include <stdbool.h>
#include <stddef.h>

#include "certinfo.h"

struct cfg;

/* How a connection uses a certificate. */
enum cert_use {
    CERT_USE_LOCAL,  /* local.certs: ours, sent to the peer */
    CERT_USE_REMOTE, /* remote.certs: the peer must hold it */
    CERT_USE_CA,     /* remote.cacerts, or any trusted CA for pubkey without cacerts */
};
const char *cert_use_name(enum cert_use use); /* "local", "remote", "ca" */

/* Calls fn for each connection using certificate i, and how. */
void cert_uses(const struct cfg *cfg, size_t i,
               void (*fn)(void *arg, const char *conn, enum cert_use use), void *arg);
bool cert_in_use(const struct cfg *cfg, size_t i);

/* The chain from s->x[i] to a trusted certificate of cfg (OpenSSL's
 * X509_verify_cert, validity dates not checked: list-certs shows them
 * apart), the certificate itself first.  NULL with *why if none can be
 * built; the caller frees it with sk_X509_pop_free(chain, X509_free). */
STACK_OF(X509) *
    cert_chain(const struct cfg *cfg, const struct certset *s, size_t i, const char **why);

#endif
