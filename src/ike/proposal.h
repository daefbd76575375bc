/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 proposals (RFC 7296 2.7, 3.3): strongSwan proposal strings in,
 * plain structs out, selection, and conversion to and from the codec's SA
 * payload structs.
 *
 * Syntax (strongSwan's, the subset uipsec implements): proposals separated
 * by ',', each a '-'-separated list of algorithm keywords; several keywords
 * of one transform type in one proposal are alternatives, in preference
 * order ("aes256gcm16-prfsha256-x25519-ecp256").
 *   ENCR   aes128 aes192 aes256 (CBC), aes128gcm16 aes192gcm16 aes256gcm16
 *          (also ...gcm128), chacha20poly1305
 *   PRF    prfsha1 prfsha256 prfsha384 prfsha512 (IKE only; if absent, the
 *          PRF matching each integrity algorithm, as in strongSwan)
 *   INTEG  sha1 (HMAC-SHA1-96), sha256 sha384 sha512 (RFC 4868)
 *   DH     modp2048 modp3072 modp4096 ecp256 ecp384 ecp521 x25519
 *          (curve25519) x448 (curve448); in ESP: the PFS group
 *   ESN    esn noesn (ESP only; noesn when neither is given)
 * An IKE proposal needs ENCR, PRF and DH; a proposal mixing AEAD and
 * non-AEAD ciphers, AEAD with INTEG, or non-AEAD without INTEG is refused.
 *
 * Selection (2.7): the responder takes the FIRST of ITS configured
 * proposals that some proposal of the offer contains (strongSwan's
 * prefer_configured_proposals default); within it, per transform type, its
 * first algorithm the offer's proposal also lists.  The initiator checks
 * the answer the same way against what it offered.
 */
#ifndef UIPSEC_IKE_PROPOSAL_H
#define UIPSEC_IKE_PROPOSAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dh.h"
#include "ike_msg.h"
#include "prf.h"
#include "sk.h"
#include "uipsec/uipsec.h"

#define IKE_PROP_MAX      8                       /* proposals per list */
#define IKE_PROP_MAX_ALGS 4                       /* alternatives per transform type */
#define IKE_PROP_NTYPES   (IKE_TRANSFORM_ESN + 1) /* index by IKE_TRANSFORM_* (0 unused) */
#define IKE_PROP_MAX_TF   (IKE_PROP_MAX_ALGS * IKE_TRANSFORM_ESN)

struct ike_alg {
    uint16_t id;   /* IKE_ENCR_*, IKE_PRF_*, IKE_INTEG_*, IKE_DH_*, IKE_ESN_* */
    uint16_t bits; /* ENCR Key Length attribute; 0 if none */
};

/* One proposal: per transform type, its algorithms in preference order.  A
 * chosen proposal has at most one per type. */
struct ike_prop {
    uint8_t protocol; /* IKE_PROTO_IKE or IKE_PROTO_ESP */
    uint8_t n[IKE_PROP_NTYPES];
    struct ike_alg alg[IKE_PROP_NTYPES][IKE_PROP_MAX_ALGS];
};

struct ike_prop_list {
    size_t n;
    struct ike_prop p[IKE_PROP_MAX];
};

/* Parses s for protocol IKE_PROTO_IKE or IKE_PROTO_ESP.  Returns UIPSEC_OK
 * or UIPSEC_E_PARAM with a message quoting the bad keyword in err (may be
 * NULL). */
__attribute__((warn_unused_result)) int ike_prop_parse(const char *s, uint8_t protocol,
                                                       struct ike_prop_list *out, char *err,
                                                       size_t err_len);

/* The single algorithm of a chosen proposal's type, or {0, 0}. */
struct ike_alg ike_prop_get(const struct ike_prop *p, uint8_t type);

/* Selects per the rules above from mine against the offer's proposals of
 * mine's protocol.  On success *chosen holds one algorithm per type and
 * *offer_idx the index of the matching offered proposal (its num and SPI
 * are the offer's).  ignore_dh leaves DH out on both sides: the first
 * CHILD_SA, made in IKE_AUTH, has no PFS (RFC 7296 1.2).  False:
 * NO_PROPOSAL_CHOSEN. */
__attribute__((warn_unused_result)) bool ike_prop_select(const struct ike_prop_list *mine,
                                                         const struct ike_pl_sa *offer,
                                                         bool ignore_dh, struct ike_prop *chosen,
                                                         size_t *offer_idx);

/* Storage an encoded SA payload points into; lives as long as the message. */
struct ike_prop_wire {
    struct ike_proposal props[IKE_PROP_MAX];
    struct ike_transform tf[IKE_PROP_MAX][IKE_PROP_MAX_TF];
};

/* Fills *sa (pointing into *w) with n proposals, numbered 1..n, each with
 * the SPI spi[0, spi_size) (0 or 4 bytes; IKE_SA_INIT: 0). */
void ike_prop_to_pl(const struct ike_prop *props, size_t n, const uint8_t *spi, uint8_t spi_size,
                    struct ike_prop_wire *w, struct ike_pl_sa *sa);

/* The IKE SA suite of a chosen IKE proposal: SK suite, PRF and DH group.
 * False if one of them is not implemented by sk.c, prf.c or dh.c. */
__attribute__((warn_unused_result)) bool ike_prop_ike_suite(const struct ike_prop *p,
                                                            struct ike_sk_suite *sk,
                                                            enum ike_prf_alg *prf,
                                                            enum ike_dh_alg *dh);

/* The ESP suite of a chosen ESP proposal into params (proto, enc,
 * enc_key_len, integ, esn).  UIPSEC_OK or UIPSEC_E_UNSUPPORTED. */
__attribute__((warn_unused_result)) int ike_prop_esp_params(const struct ike_prop *p,
                                                            struct uipsec_sa_params *params);

/* Writes p in the parse syntax ("aes256gcm16-prfsha256-x25519"), truncated
 * like snprintf; returns the full length. */
size_t ike_prop_format(const struct ike_prop *p, char *buf, size_t len);

#endif
