/* SPDX-License-Identifier: MIT */
/*
 * Routing into the tunnel.  Routes for the remote selectors live in their
 * own table, looked up by every packet that does not carry uipsecd's
 * firewall mark; the daemon's outer sockets set that mark, so protected
 * packets to a peer inside a remote selector (transport mode, or a
 * 0.0.0.0/0 tunnel) do not loop back into the TUN device.
 */
#ifndef UIPSECD_ROUTES_H
#define UIPSECD_ROUTES_H

#define ROUTE_TABLE    220
#define ROUTE_PRIORITY 220
#define ROUTE_FWMARK   0x75697073u /* "uips" */

#include <stdbool.h>

struct daemon;
struct sa_pair;

int routes_setup(struct daemon *d);
void routes_teardown(struct daemon *d);
/* The routing rules are another process's to remove (uipsecd's parent). */
void routes_disown(struct daemon *d);
/* Adds the routes c's live outbound policies need (add) or gives them
 * back; a route shared by several SAs goes with the last of them, at the
 * next routes_settle(), so that an SA replacing another with the same
 * selectors (a reload, a rekey) never leaves its traffic without a route
 * into the tunnel.  O(1) per policy, whatever the number of SAs. */
void routes_pair(struct daemon *d, struct sa_pair *c, bool add);
void routes_settle(struct daemon *d);

#endif
