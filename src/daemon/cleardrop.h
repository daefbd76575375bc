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

struct daemon;
struct conn;

/* Queues the change for c (add: its live inbound policies and its peer;
 * else their removal), making the table first if needed.  0, or -1 with
 * an error logged: then c must not carry traffic (fail closed). */
int cleardrop_conn(struct daemon *d, struct conn *c, bool add);
/* Sends what was queued as one transaction if rc is 0; on failure (or rc
 * -1) takes every queued change back.  Returns 0 or -1. */
int cleardrop_commit(struct daemon *d, int rc);
void cleardrop_teardown(struct daemon *d);
/* Cleartext packets dropped so far. */
uint64_t cleardrop_count(struct daemon *d);

#endif
