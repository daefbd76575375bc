/* SPDX-License-Identifier: MIT */
/*
 * Packets that arrive in clear for a PROTECT policy (RFC 4301 5.2) never
 * reach uipsecd: the kernel delivers them.  So uipsecd asks the kernel to
 * drop them, with an nftables table of its own ("inet uipsecd") holding one
 * counting drop rule per inbound policy, after rules that let through what
 * comes out of the tunnel and IPsec itself (ESP, AH, UDP 500/4500).
 */
#ifndef UIPSECD_CLEARDROP_H
#define UIPSECD_CLEARDROP_H

#include <stdint.h>

struct daemon;

/* Rebuilds the table from the live inbound policies.  Returns 0 or -1 with
 * a warning logged (the tunnel works without it, unguarded). */
int cleardrop_sync(struct daemon *d);
void cleardrop_teardown(struct daemon *d);
/* Packets dropped so far, across rebuilds. */
uint64_t cleardrop_count(struct daemon *d);

#endif
