/* SPDX-License-Identifier: MIT */
/*
 * Which connection answers a peer (strongSwan's semantics, issue 10 §4).
 * A gateway often has several connections on the same addresses.  For an
 * IKE_SA_INIT request the connections whose addresses fit are ranked
 * (a configured address above %any), and the best one whose IKE proposals
 * accept the offer answers.  In IKE_AUTH, once the peer's identity, the
 * identity it asks of us and its authentication method are known, the
 * best-fitting connection takes over: the remote identity first (exact
 * above wildcards above fewer wildcards above %any), then ours, then the
 * addresses; its remote auth must be the peer's method (a PSK or a
 * signature) and its IKE proposals must include the one negotiated.
 * Between equals the first in the file wins.
 */
#ifndef UIPSECD_IKE_CHOOSE_H
#define UIPSECD_IKE_CHOOSE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ikesa.h"

/* Two addresses are one (family and bytes). */
bool ike_addr_eq(const struct uipsec_addr *a, const struct uipsec_addr *b);

/* The connection to answer an IKE_SA_INIT request from: the best one
 * whose proposals fit, else the best by address (its answer is then
 * NO_PROPOSAL_CHOSEN), or NULL if no connection's addresses fit. */
const struct cfg_conn *ike_choose_init(const struct cfg *cfg, const struct ike_path *from,
                                       const uint8_t *buf, size_t len);
/* The connection that fits a peer's IKE_AUTH best, or NULL if none does. */
const struct cfg_conn *ike_choose_auth(const struct cfg *cfg, const struct ike_sa *sa,
                                       const struct ike_path *from, const struct ike_id *idi,
                                       const struct ike_id *idr, uint8_t auth_method);

#endif
