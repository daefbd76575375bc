/* SPDX-License-Identifier: MIT */
/*
 * Request ids of negotiated CHILD_SAs and traps, as charon gives them: one
 * per connection, child and set of selectors, shared by every SA pair
 * with the same ones (a trap and the CHILD_SA it starts, a CHILD_SA and
 * its rekeyed or re-established successor) and freed with the last of
 * them.  VICI shows it (reqid); strongSwan's scenarios check it.  A hash
 * table: O(1) per SA however many there are.
 */
#ifndef UIPSECD_REQIDS_H
#define UIPSECD_REQIDS_H

struct reqids;
struct sa_pair;

/* c's reqid (conn_name, child, sel), with a reference: 0 when out of
 * memory (shown as 0, nothing else depends on it). */
unsigned reqids_take(struct reqids **r, const struct sa_pair *c);
/* Drops c's reference (c->reqid). */
void reqids_drop(struct reqids *r, const struct sa_pair *c);
void reqids_free(struct reqids *r);

#endif
