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

struct daemon;

int routes_setup(struct daemon *d);
void routes_teardown(struct daemon *d);
/* Installs the routes the connections need and removes those they no
 * longer need. */
int routes_sync(struct daemon *d);

#endif
