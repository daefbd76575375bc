/* SPDX-License-Identifier: MIT */
/* The few rtnetlink requests the daemon makes, through libmnl. */
#ifndef UIPSECD_NETLINK_H
#define UIPSECD_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

struct mnl_socket;

struct nl {
    struct mnl_socket *sock;
    uint32_t seq, portid;
};

int nl_open(struct nl *nl);
void nl_close(struct nl *nl);
/* Brings the link up with this MTU. */
int nl_link_up(struct nl *nl, unsigned ifindex, unsigned mtu);
/* Adds addr/plen (family 4 or 6) to the link. */
int nl_addr_add(struct nl *nl, unsigned ifindex, int family, const uint8_t *addr, unsigned plen);
/* Adds (add = true) or deletes a route to dst/plen through the link, with an
 * optional preferred source address (NULL: none). */
int nl_route(struct nl *nl, bool add, unsigned table, unsigned ifindex, int family,
             const uint8_t *dst, unsigned plen, const uint8_t *prefsrc);
/* Adds or deletes the policy-routing rule "not fwmark MARK lookup TABLE"
 * at the given priority, for family 4 or 6. */
int nl_rule(struct nl *nl, bool add, int family, unsigned priority, uint32_t mark, unsigned table);

#endif
