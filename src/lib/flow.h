/* SPDX-License-Identifier: MIT */
/* The 5-tuple of an IP packet and how a selector matches it (RFC 4301 4.4.1). */
#ifndef UIPSEC_FLOW_H
#define UIPSEC_FLOW_H

#include "uipsec/spd.h"

#define FLOW_MAX_EXT 16 /* IPv6 extension headers walked before a packet counts as malformed */

struct flow {
    uint8_t family;           /* 4 or 6 */
    uint8_t proto;            /* next layer protocol after the extension headers */
    bool opaque;              /* ports not available: non-initial fragment or no ports */
    uint16_t sport, dport;    /* ICMP: both are type << 8 | code */
    uint8_t src[16], dst[16]; /* IPv4: first 4 bytes, the rest zero */
};

/* Reads the 5-tuple of the IP packet pkt[0, len).  Non-initial fragments get
 * opaque ports (RFC 4301 7); a first fragment or a whole packet too short for
 * its ports is truncated.  Returns UIPSEC_OK, UIPSEC_E_TRUNCATED or
 * UIPSEC_E_MALFORMED. */
__attribute__((warn_unused_result)) int flow_parse(const uint8_t *pkt, size_t len, struct flow *f);

/* Whether the packet whose 5-tuple is f matches sel, seen in direction dir
 * (outbound: local = source; inbound: local = destination).  The reference
 * semantics: the SPD's fast paths must agree with it. */
bool flow_match(const struct uipsec_selector *sel, const struct flow *f, enum uipsec_dir dir);

/* Whether sel is well formed: family 4 or 6, lo <= hi, IPv4 padding zero,
 * port ranges ordered or exactly OPAQUE. */
bool flow_selector_valid(const struct uipsec_selector *sel);

/* The prefix length that makes [lo, hi] (n bytes, network order) a prefix,
 * or -1 if it is not one. */
int flow_prefix_len(const uint8_t *lo, const uint8_t *hi, size_t n);

/* Bytes of address a family uses. */
static inline size_t flow_addr_len(uint8_t family)
{
    return family == 4 ? 4 : 16;
}

static inline bool flow_is_icmp(uint8_t proto)
{
    return proto == 1 || proto == 58; /* ICMP, ICMPv6 */
}

#endif
