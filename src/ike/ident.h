/* SPDX-License-Identifier: MIT */
/*
 * IKE identities for certificate authentication (RFC 7296 3.5, RFC 4945
 * 3.1): distinguished-name IDs written the way strongSwan writes them,
 * strongSwan's wildcard matching of a configured ID against a peer's, and
 * whether a certificate confirms an ID.
 *
 * All ASN.1 goes through OpenSSL 3 (X509_NAME and GENERAL_NAME); an ID's
 * data is the DER of a Name for IKE_ID_DER_ASN1_DN.  Peer IDs come from the
 * network: every function here parses them defensively and never reads
 * beyond id->len.
 */
#ifndef UIPSEC_IKE_IDENT_H
#define UIPSEC_IKE_IDENT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "ikesa.h" /* struct ike_id */

/* A DN id from strongSwan's text ("C=CH, O=strongSwan, CN=moon" or
 * "/C=CH/O=..."; attribute names case-insensitive; values may be "*" or
 * quoted "..." so that ", " can be inside; an "asn1dn:" prefix is skipped,
 * "asn1dn:#HEX" is the DER itself): id->type = IKE_ID_DER_ASN1_DN, data =
 * the DER Name, with the string types strongSwan's pki writes
 * (PrintableString when the value fits, else UTF8String; IA5String for E
 * and UN).  0, or -1 with why (may be NULL) naming the attribute or what
 * is wrong; a DER longer than IKE_ID_MAX is an error. */
int ike_id_parse_dn(struct ike_id *id, const char *text, char *why, size_t why_len);

/* How well pattern (a configured id, type 0 = %any) matches got (a peer's
 * id): IKE_ID_MATCH_NONE, _ANY (pattern %any), _WILDCARDS (pattern has
 * wildcards; more wildcards rank lower: IKE_ID_MATCH_WILDCARDS - number of
 * wildcards, never below _ANY + 1), _PERFECT (byte-equal, FQDN/RFC822
 * equal ignoring ASCII case as strongSwan does, or DN equal in OpenSSL's
 * canonical comparison X509_NAME_cmp).  got is untrusted. */
enum {
    IKE_ID_MATCH_NONE = 0,
    IKE_ID_MATCH_ANY = 1,
    IKE_ID_MATCH_WILDCARDS = 20,
    IKE_ID_MATCH_PERFECT = 30
};
int ike_id_match(const struct ike_id *pattern, const struct ike_id *got);

/* Whether a configured id stands for more than one (%any, a DN value "*",
 * a leading "*" in an FQDN or email id): an initiator sends no IDr then,
 * for it would name nobody. */
bool ike_id_has_wildcards(const struct ike_id *id);

/* Whether cert confirms id (RFC 7296 3.5, RFC 4945 3.1): a DN id equal to
 * the subject (X509_NAME_cmp; an empty DN never); an FQDN id equal
 * (ASCII case-insensitively) to a dNSName SAN; an RFC822 id equal to an
 * rfc822Name SAN (case-insensitive); IPv4/IPv6 ids equal to an iPAddress
 * SAN.  The subject's CN never confirms an FQDN or RFC822 id (strongSwan
 * does not accept it either).  KEY_ID and other types: false. */
bool ike_id_in_cert(X509 *cert, const struct ike_id *id);

/* The id a certificate stands for when none is configured (strongSwan: the
 * subject DN).  -1 if the subject is empty or its DER is longer than
 * IKE_ID_MAX. */
int ike_id_of_cert(X509 *cert, struct ike_id *out);

/* Printable, for logs and status: DNs as "C=CH, O=strongSwan, CN=moon"
 * (in encoded order, ", " between RDNs, RFC 2253 escapes, control and
 * non-ASCII characters escaped; a DN OpenSSL cannot print as
 * "asn1dn:#HEX"), FQDN/RFC822 as text with non-printable bytes and '\' as
 * \xHH, IPs via inet_ntop, key ids as "keyid:#hex" (strongSwan's and the
 * configuration's syntax), type 0 as "%any".  Always
 * NUL-terminates (when len > 0), truncating; never reads beyond id->len. */
void ike_id_print(const struct ike_id *id, char *buf, size_t len);

#endif
