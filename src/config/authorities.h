/* SPDX-License-Identifier: MIT */
/*
 * swanctl.conf's authorities { NAME { cacert, crl_uris, ocsp_uris } }: a
 * CA loaded as trusted (as if in x509ca/), with CRL and OCSP URIs used
 * for the certificates it issued besides the ones those certificates name
 * (strongSwan's way to give a CA's revocation sources in the
 * configuration).  Only http:// and https:// URIs.
 */
#ifndef UIPSECD_AUTHORITIES_H
#define UIPSECD_AUTHORITIES_H

#include <stdint.h>

#define CFG_MAX_AUTHORITIES 64
#define CFG_AUTHORITY_URIS  4 /* of each kind */
#define CFG_URI_LEN         256

struct cfg_authority {
    char name[64];
    int16_t cert; /* its CA certificate in cfg->certs */
    uint8_t n_crl, n_ocsp;
    char crl[CFG_AUTHORITY_URIS][CFG_URI_LEN];
    char ocsp[CFG_AUTHORITY_URIS][CFG_URI_LEN];
};

struct cfg;
struct value_err;
struct settings_node;

/* The authorities section.  0 or -1 naming the file, line and key. */
int cfg_authorities(struct value_err *c, const struct settings_node *sec, struct cfg *cfg);

#endif
