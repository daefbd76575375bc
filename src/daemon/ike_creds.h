/* SPDX-License-Identifier: MIT */
/*
 * The certificates an IKE SA of a connection uses (auth = pubkey), made
 * from the configuration's DER (creds.h): ours and the intermediate CAs
 * sent after it, and the CAs that may vouch for the peer.  Each SA holds
 * objects of its own, for a reload frees the configuration they came
 * from while the SA lives on.
 */
#ifndef UIPSECD_IKE_CREDS_H
#define UIPSECD_IKE_CREDS_H

#include <stddef.h>

#include "config.h"
#include "ikesa.h"

/* Fills ic->local_pk and ic->remote_pk from c.  0, or -1 with why. */
int ike_creds_build(const struct cfg *cfg, const struct cfg_conn *c, struct ike_cfg *ic, char *err,
                    size_t err_len);
void ike_creds_free(struct ike_cfg *ic);
/* ic was copied from another SA's: takes references of its own (a
 * rekeyed SA outlives the old one).  On failure it holds none. */
int ike_creds_ref(struct ike_cfg *ic);

#endif
