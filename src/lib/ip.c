/* SPDX-License-Identifier: MIT */
#include "ip.h"

#include <string.h>

#include "wire.h"

/* The one's complement sum does not depend on the order of the bytes in a
 * word (RFC 1071 2.B) nor on the width of the words (2.C): whole packets
 * (TCP segments checked and cut by the TUN offloads) are summed as native
 * 32-bit words into 64 bits, and the folded result turned to network
 * order once. */
uint32_t ip_sum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t wide = 0;
    size_t i = 0;

    for (; i + 4 <= len; i += 4) {
        uint32_t w;

        memcpy(&w, p + i, 4);
        wide += w;
    }
    while (wide >> 16)
        wide = (wide & 0xffff) + (wide >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    wide = (uint16_t)(wide << 8 | wide >> 8);
#endif
    sum += (uint32_t)wide;
    for (; i + 1 < len; i += 2)
        sum += get_be16(p + i);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

uint16_t ip_sum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint16_t ip_checksum(const uint8_t *p, size_t len)
{
    return ip_sum_fold(ip_sum_add(0, p, len));
}

static void ipv4_fix_checksum(uint8_t *h)
{
    size_t ihl = (size_t)(h[0] & 0x0f) * 4;

    put_be16(h + IPV4_OFF_CSUM, 0);
    put_be16(h + IPV4_OFF_CSUM, ip_checksum(h, ihl));
}

static int parse_v4(struct cursor *pkt, struct ip_info *info)
{
    uint8_t *h;
    size_t ihl;
    int rc = ip_v4_header(pkt, &ihl);

    if (rc != UIPSEC_OK)
        return rc;
    h = pkt->p;
    if (get_be16(h + IPV4_OFF_FRAG) & (IPV4_MF | IPV4_FRAG_MASK))
        return UIPSEC_E_FRAGMENT;
    info->family = 4;
    info->proto = h[IPV4_OFF_PROTO];
    info->tos = h[IPV4_OFF_TOS];
    info->hdr_len = ihl;
    info->nh_off = IPV4_OFF_PROTO;
    return UIPSEC_OK;
}

static bool is_ext_header(uint8_t nh)
{
    return ip_v6_is_option_header(nh) || nh == IPPROTO_NUM_FRAGMENT;
}

/* Walks IPv6 extension headers.  For sending, ESP/AH go after hop-by-hop,
 * routing and a destination-options header that precedes routing
 * (RFC 4303 3.1.1); for receiving, every header is skipped. */
static int walk_v6(const struct cursor *pkt, enum ip_walk walk, struct ip_info *info)
{
    size_t off = IPV6_HDR_LEN;

    while (is_ext_header(info->proto)) {
        uint8_t next, hlen;

        if (info->proto == IPPROTO_NUM_FRAGMENT)
            return UIPSEC_E_FRAGMENT;
        if (!cursor_peek_u8(pkt, off, &next) || !cursor_peek_u8(pkt, off + 1, &hlen))
            return UIPSEC_E_TRUNCATED;
        if (walk == IP_WALK_TRANSPORT && info->proto == IPPROTO_NUM_DSTOPTS &&
            next != IPPROTO_NUM_ROUTING)
            break;
        if ((size_t)(hlen + 1) * 8 > pkt->len - off)
            return UIPSEC_E_TRUNCATED;
        info->nh_off = off;
        info->proto = next;
        off += (size_t)(hlen + 1) * 8;
    }
    info->hdr_len = off;
    return UIPSEC_OK;
}

static int parse_v6(struct cursor *pkt, enum ip_walk walk, struct ip_info *info)
{
    int rc = ip_v6_header(pkt);

    if (rc != UIPSEC_OK)
        return rc;
    info->family = 6;
    info->proto = pkt->p[IPV6_OFF_NH];
    info->tos = (uint8_t)(get_be16(pkt->p) >> 4);
    info->nh_off = IPV6_OFF_NH;
    return walk_v6(pkt, walk, info);
}

int ip_parse(struct cursor *pkt, enum ip_walk walk, struct ip_info *info)
{
    if (pkt->len < 1)
        return UIPSEC_E_TRUNCATED;
    switch (pkt->p[0] >> 4) {
    case 4:
        return parse_v4(pkt, info);
    case 6:
        return parse_v6(pkt, walk, info);
    }
    return UIPSEC_E_MALFORMED;
}

int ip_take_esp_in_udp(struct cursor *c)
{
    uint8_t *udp;
    size_t udp_len;

    if (!cursor_take(c, UDP_HDR_LEN, &udp))
        return UIPSEC_E_TRUNCATED;
    udp_len = get_be16(udp + 4);
    if (udp_len < UDP_HDR_LEN || !cursor_limit(c, udp_len - UDP_HDR_LEN))
        return UIPSEC_E_TRUNCATED;
    if (c->len == 1 && c->p[0] == 0xff)
        return UIPSEC_E_KEEPALIVE;
    if (c->len >= NON_ESP_MARKER_LEN && get_be32(c->p) == 0)
        return UIPSEC_E_NON_ESP;
    return UIPSEC_OK;
}

int ip_check_inner(const uint8_t *p, size_t len, uint8_t next_header, size_t *ip_len)
{
    size_t n;

    if (next_header == IPPROTO_NUM_IPIP) {
        if (len < IPV4_HDR_MIN || p[0] >> 4 != 4 || (p[0] & 0x0f) < 5)
            return UIPSEC_E_INNER;
        n = get_be16(p + IPV4_OFF_TOTAL);
        if (n < (size_t)(p[0] & 0x0f) * 4)
            return UIPSEC_E_INNER;
    } else if (next_header == IPPROTO_NUM_IPV6) {
        if (len < IPV6_HDR_LEN || p[0] >> 4 != 6)
            return UIPSEC_E_INNER;
        n = IPV6_HDR_LEN + (size_t)get_be16(p + IPV6_OFF_PLEN);
    } else {
        return UIPSEC_E_NEXT_HEADER;
    }
    if (n > len)
        return UIPSEC_E_INNER;
    *ip_len = n;
    return UIPSEC_OK;
}

void ip_write_udp(const struct uipsec_sa *sa, uint8_t *at, size_t udp_len)
{
    put_be16(at, sa->p.udp_sport);
    put_be16(at + 2, sa->p.udp_dport);
    put_be16(at + 4, (uint16_t)udp_len);
    put_be16(at + 6, 0); /* RFC 3948 2.1: checksum zero (IPv4) */
}

void ip_udp6_checksum(const uint8_t *ip6, uint8_t *udp, size_t udp_len)
{
    /* pseudo-header (RFC 8200 8.1): addresses, length, next header */
    uint32_t sum = ip_sum_add((uint32_t)udp_len + IPPROTO_NUM_UDP, ip6 + IPV6_OFF_SRC, 32);
    uint16_t csum;

    put_be16(udp + 6, 0);
    csum = ip_sum_fold(ip_sum_add(sum, udp, udp_len));
    put_be16(udp + 6, csum ? csum : 0xffff); /* 0 means none: sent as all ones */
}

static uint16_t outer_df(const struct uipsec_sa *sa, const uint8_t *inner)
{
    switch (sa->p.df) {
    case UIPSEC_DF_SET:
        return IPV4_DF;
    case UIPSEC_DF_COPY:
        return inner[0] >> 4 == 4 ? get_be16(inner + IPV4_OFF_FRAG) & IPV4_DF : 0;
    case UIPSEC_DF_CLEAR:
        break;
    }
    return 0;
}

/* DSCP and ECN are copied from the inner header (RFC 4301 5.1.2.1, RFC 6040
 * normal mode). */
static uint8_t inner_tos(const uint8_t *inner)
{
    if (inner[0] >> 4 == 4)
        return inner[IPV4_OFF_TOS];
    return (uint8_t)(get_be16(inner) >> 4);
}

static uint8_t outer_proto(const struct uipsec_sa *sa)
{
    if (sa->p.udp_dport)
        return IPPROTO_NUM_UDP;
    return sa->p.proto == UIPSEC_PROTO_AH ? IPPROTO_NUM_AH : IPPROTO_NUM_ESP;
}

void ip_outer_sum_init(struct uipsec_sa *sa)
{
    const uint8_t *s = sa->p.tunnel_src.bytes, *d = sa->p.tunnel_dst.bytes;
    uint8_t ttl = sa->p.ttl ? sa->p.ttl : 64;

    sa->outer_sum = (uint32_t)(ttl << 8 | outer_proto(sa)) + get_be16(s) + get_be16(s + 2) +
                    get_be16(d) + get_be16(d + 2);
}

static void write_v4(struct uipsec_sa *sa, uint8_t *h, size_t total, const uint8_t *inner)
{
    uint8_t tos = inner_tos(inner);
    uint16_t id = sa_lane_now->ip_id++, frag = outer_df(sa, inner);
    uint32_t sum = sa->outer_sum + (0x4500u | tos) + (uint32_t)total + id + frag;

    h[0] = 0x45;
    h[IPV4_OFF_TOS] = tos;
    put_be16(h + IPV4_OFF_TOTAL, (uint16_t)total);
    put_be16(h + IPV4_OFF_ID, id);
    put_be16(h + IPV4_OFF_FRAG, frag);
    h[IPV4_OFF_TTL] = sa->p.ttl ? sa->p.ttl : 64;
    h[IPV4_OFF_PROTO] = outer_proto(sa);
    memcpy(h + IPV4_OFF_SRC, sa->p.tunnel_src.bytes, 4);
    memcpy(h + IPV4_OFF_DST, sa->p.tunnel_dst.bytes, 4);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    put_be16(h + IPV4_OFF_CSUM, (uint16_t)~sum);
}

static void write_v6(const struct uipsec_sa *sa, uint8_t *h, size_t plen, uint8_t proto,
                     const uint8_t *inner)
{
    uint8_t tc = inner_tos(inner);

    put_be32(h, 6u << 28 | (uint32_t)tc << 20);
    put_be16(h + IPV6_OFF_PLEN, (uint16_t)plen);
    h[IPV6_OFF_NH] = proto;
    h[IPV6_OFF_HLIM] = sa->p.ttl ? sa->p.ttl : 64;
    memcpy(h + IPV6_OFF_SRC, sa->p.tunnel_src.bytes, 16);
    memcpy(h + IPV6_OFF_DST, sa->p.tunnel_dst.bytes, 16);
}

void ip_write_outer(struct uipsec_sa *sa, uint8_t *at, size_t payload_len, uint8_t proto,
                    const uint8_t *inner)
{
    bool udp = sa->p.udp_dport != 0;
    size_t ip_len = sa->p.tunnel_src.family == 4 ? IPV4_HDR_MIN : IPV6_HDR_LEN;
    size_t after_ip = payload_len + (udp ? UDP_HDR_LEN : 0);

    if (udp) {
        ip_write_udp(sa, at + ip_len, after_ip);
        proto = IPPROTO_NUM_UDP;
    }
    if (ip_len == IPV4_HDR_MIN) {
        write_v4(sa, at, ip_len + after_ip, inner);
    } else {
        write_v6(sa, at, after_ip, proto, inner);
        if (udp)
            ip_udp6_checksum(at, at + ip_len, after_ip);
    }
}

void ip_set_length(uint8_t *pkt, uint8_t family, size_t total)
{
    if (family == 4) {
        put_be16(pkt + IPV4_OFF_TOTAL, (uint16_t)total);
        ipv4_fix_checksum(pkt);
    } else {
        put_be16(pkt + IPV6_OFF_PLEN, (uint16_t)(total - IPV6_HDR_LEN));
    }
}

void ip_ecn_decap(uint8_t outer_tos, uint8_t *inner)
{
    const uint8_t ce = 3;

    if ((outer_tos & 3) != ce)
        return;
    if (inner[0] >> 4 == 4) {
        if ((inner[IPV4_OFF_TOS] & 3) == 0 || (inner[IPV4_OFF_TOS] & 3) == ce)
            return;
        inner[IPV4_OFF_TOS] |= ce;
        ipv4_fix_checksum(inner);
    } else if ((get_be16(inner) >> 4 & 3) == 1 || (get_be16(inner) >> 4 & 3) == 2) {
        inner[1] |= ce << 4;
    }
}
