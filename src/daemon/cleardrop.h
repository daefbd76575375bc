/* SPDX-License-Identifier: MIT */
/*
 * Packets that arrive in clear for a PROTECT policy (RFC 4301 5.2) never
 * reach uipsecd: the kernel delivers them.  So uipsecd asks the kernel to
 * drop them, with an nftables table of its own ("inet uipsecd"): after
 * rules that let through what comes out of the tunnel, neighbour discovery
 * and IPsec itself (ESP, AH, UDP 500/4500) from the peers in set peer4 /
 * peer6, one counted drop rule per interval set of inbound selectors
 * (saddr . daddr [. l4proto [. sport . dport]]).
 *
 * The table is made once; afterwards an SA's selectors are set elements,
 * added and deleted in one netlink batch, one kernel transaction: there is
 * no moment in which a protected selector has no drop, and the cost does
 * not grow with the number of SAs.  Elements are counted by reference, so
 * two CHILD_SAs with the same selectors (a rekey) share one.
 */
#ifndef UIPSECD_CLEARDROP_H
#define UIPSECD_CLEARDROP_H

#include <stdbool.h>
#include <stdint.h>

#include "uipsec/spd.h"
#include "uipsec/uipsec.h"

/* In uipsecd's privileged parent: the unprivileged child says which
 * elements its SAs need (guard.c), the parent keeps them here. */
struct cleardrop;

/* Nothing happens in the kernel until the first change; packets from the
 * TUN device ifname always pass. */
struct cleardrop *cleardrop_new(const char *ifname);
/* Queues a reference to a peer's address (IKE, ESP and AH from it pass)
 * or to an inbound PROTECT selector (its cleartext is dropped), making the
 * table first if needed; the first reference adds the element, the last
 * removes it.  0, or -1 with an error logged: the SA must not carry
 * traffic (fail closed). */
int cleardrop_peer(struct cleardrop *cd, const struct uipsec_addr *peer, bool add);
int cleardrop_sel(struct cleardrop *cd, const struct uipsec_selector *sel, bool add);
/* Sends what was queued as one transaction (apply), or takes every queued
 * change back (!apply, or the kernel refused).  0 when the changes were
 * applied, -1 when they were taken back (either way). */
int cleardrop_commit(struct cleardrop *cd, bool apply);
/* Frees cd, deleting the table unless keep_table (the child died: its
 * protected selectors stay dropped until uipsecd starts again). */
void cleardrop_free(struct cleardrop *cd, bool keep_table);
/* Cleartext packets dropped so far. */
uint64_t cleardrop_count(struct cleardrop *cd);

#endif
