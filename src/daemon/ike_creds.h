/* SPDX-License-Identifier: MIT */
/*
 * The certificates an IKE SA of a connection uses (auth = pubkey), made
 * from the configuration's DER (creds.h): ours and the intermediate CAs
 * sent after it, and the CAs that may vouch for the peer.  They are made
 * once per connection and configuration (struct ike_creds_cache, flushed
 * at each reload) and each SA holds references of its own, for a reload
 * frees the configuration they came from while the SA lives on.
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

/* The objects of each connection, made on first use; ike_creds_get
 * gives ic references of its own to them (ike_creds_free drops them). */
struct ike_creds_cache;
struct ike_creds_cache *ike_creds_cache_new(void);
void ike_creds_cache_flush(struct ike_creds_cache *cc); /* a new configuration */
void ike_creds_cache_free(struct ike_creds_cache *cc);
int ike_creds_get(struct ike_creds_cache *cc, const struct cfg *cfg, const struct cfg_conn *c,
                  struct ike_cfg *ic, char *err, size_t err_len);

#endif
