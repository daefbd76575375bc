/* SPDX-License-Identifier: MIT */
/* IP header parsing and building shared by ESP and AH. */
#ifndef UIPSEC_IP_H
#define UIPSEC_IP_H

#include "cursor.h"
#include "sa.h"
#include "wire.h"

/* The fixed headers, checked alike wherever a packet is read (the engine
 * here, the SPD's 5-tuple in flow.c): inline, for flow.c is on the path of
 * every packet. */

/* The IPv4 header at the front of c: IHL and Total Length sane, c trimmed
 * to Total Length (link padding dropped), the header length in *ihl. */
static inline int ip_v4_header(struct cursor *c, size_t *ihl)
{
    size_t total;

    if (c->len < IPV4_HDR_MIN)
        return UIPSEC_E_TRUNCATED;
    *ihl = (size_t)(c->p[0] & 0x0f) * 4;
    total = get_be16(c->p + IPV4_OFF_TOTAL);
    if (*ihl < IPV4_HDR_MIN || total < *ihl)
        return UIPSEC_E_MALFORMED;
    return cursor_limit(c, total) ? UIPSEC_OK : UIPSEC_E_TRUNCATED;
}

/* The IPv6 header at the front of c: c trimmed to the payload length;
 * jumbograms (length 0) are not for IPsec. */
static inline int ip_v6_header(struct cursor *c)
{
    size_t plen;

    if (c->len < IPV6_HDR_LEN)
        return UIPSEC_E_TRUNCATED;
    plen = get_be16(c->p + IPV6_OFF_PLEN);
    if (plen == 0)
        return UIPSEC_E_MALFORMED;
    return cursor_limit(c, IPV6_HDR_LEN + plen) ? UIPSEC_OK : UIPSEC_E_TRUNCATED;
}

/* IPv6 extension headers with the generic (next header, length) layout. */
static inline bool ip_v6_is_option_header(uint8_t nh)
{
    return nh == IPPROTO_NUM_HOPOPTS || nh == IPPROTO_NUM_ROUTING || nh == IPPROTO_NUM_DSTOPTS;
}

struct ip_info {
    uint8_t family; /* 4 or 6 */
    uint8_t proto;  /* protocol after the headers walked */
    uint8_t tos;    /* IPv4 TOS or IPv6 traffic class (DSCP + ECN) */
    size_t hdr_len; /* bytes of IP header and walked extension headers */
    size_t nh_off;  /* offset of the byte that names `proto` */
};

/* Where a walk of IPv6 extension headers stops. */
enum ip_walk {
    IP_WALK_ALL,      /* receive: skip every extension header up to ESP/AH/UDP */
    IP_WALK_TRANSPORT /* send: stop where RFC 4303/4302 insert ESP/AH */
};

/* Parses the IP header(s) at the front of pkt, trims pkt to the packet's own
 * length (dropping link padding) and fills info.  Returns UIPSEC_OK,
 * UIPSEC_E_TRUNCATED, UIPSEC_E_MALFORMED or UIPSEC_E_FRAGMENT. */
int ip_parse(struct cursor *pkt, enum ip_walk walk, struct ip_info *info);

/* Takes the UDP header of an ESP-in-UDP packet off the cursor, trims it to
 * the UDP length, and tells IKE and keepalives apart from ESP (RFC 3948
 * 2.2, 2.3): UIPSEC_OK for ESP, UIPSEC_E_KEEPALIVE, UIPSEC_E_NON_ESP or
 * UIPSEC_E_TRUNCATED. */
int ip_take_esp_in_udp(struct cursor *c);

/* Checks that p[0,len) starts with an IP packet of the version that
 * next_header (4 or 41) names; returns its length (<= len) in *ip_len. */
int ip_check_inner(const uint8_t *p, size_t len, uint8_t next_header, size_t *ip_len);

/* Writes the tunnel-mode outer header (and UDP header when the SA uses
 * ESP-in-UDP) at `at`, for payload_len bytes of ESP/AH following it. */
void ip_write_outer(struct uipsec_sa *sa, uint8_t *at, size_t payload_len, uint8_t proto,
                    const uint8_t *inner);

/* Precomputes the checksum of the outer IPv4 header's constant words
 * (version, TTL, protocol, addresses), so each packet adds only its own. */
void ip_outer_sum_init(struct uipsec_sa *sa);

/* Writes a UDP header for RFC 3948 encapsulation (checksum 0), and over
 * IPv6 its checksum, once the datagram is complete: ip6 is the IPv6
 * header (its addresses), udp the UDP header, udp_len the datagram's. */
void ip_udp6_checksum(const uint8_t *ip6, uint8_t *udp, size_t udp_len);
void ip_write_udp(const struct uipsec_sa *sa, uint8_t *at, size_t udp_len);

/* Sets the IP length fields of a packet whose header length is hdr_len and
 * total length total, then the IPv4 header checksum. */
void ip_set_length(uint8_t *pkt, uint8_t family, size_t total);

/* RFC 6040 normal-mode decapsulation: congestion marked on the outer header
 * is carried to the inner one. */
void ip_ecn_decap(uint8_t outer_tos, uint8_t *inner);

/* The Internet checksum (RFC 1071) of p[0, len); or in pieces: sums
 * added with ip_sum_add (each piece but the last of even length), then
 * folded and complemented by ip_sum_fold. */
uint16_t ip_checksum(const uint8_t *p, size_t len);
uint32_t ip_sum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t ip_sum_fold(uint32_t sum);

#endif
