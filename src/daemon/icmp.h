/* SPDX-License-Identifier: MIT */
#ifndef UIPSECD_ICMP_H
#define UIPSECD_ICMP_H

#include <stddef.h>
#include <stdint.h>

/* Builds in `out` (at least 1280 bytes) the ICMP "fragmentation needed"
 * (IPv4, RFC 792/1191) or ICMPv6 "packet too big" (RFC 4443) answer to
 * `pkt`, from `from` (the router address the answer claims, in the packet's
 * family) and with the given MTU.  Returns its length, or 0 when no answer
 * is due (IPv4 without DF, or an ICMP error itself). */
size_t icmp_too_big(const uint8_t *pkt, size_t len, const uint8_t *from, unsigned mtu,
                    uint8_t *out);

#endif
