/* SPDX-License-Identifier: MIT */
#ifndef UIPSEC_AH_H
#define UIPSEC_AH_H

#include "ip.h"

/* Largest header region (IP header and extension headers before AH) whose
 * mutable fields the engine zeroes and restores. */
#define AH_MAX_IP_HDR 512

/* Zeroes the fields of pkt[0, ip->hdr_len) that may change in transit
 * (RFC 4302 3.3.3.1): IPv4 TOS, flags, fragment offset, TTL, checksum and
 * mutable options; IPv6 traffic class, flow label, hop limit and the data of
 * options marked as changing en route.  Returns UIPSEC_OK or
 * UIPSEC_E_MALFORMED for options whose lengths do not add up. */
int ah_zero_mutable(uint8_t *pkt, const struct ip_info *ip);

#endif
