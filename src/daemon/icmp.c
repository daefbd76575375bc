/* SPDX-License-Identifier: MIT */
#include "icmp.h"

#include <stdbool.h>
#include <string.h>

#include "cursor.h"
#include "ip.h"

/* Never answer an ICMP error with one (RFC 1122 3.2.2); the header walk
 * is the engine's (ip.h), so extension headers cannot hide one. */
static bool is_icmp_error(const uint8_t *pkt, size_t len, const struct ip_info *ip)
{
    if (ip->proto != (ip->family == 4 ? 1 : 58) || len <= ip->hdr_len)
        return false; /* not ICMP, or no ICMP header to read */
    if (ip->family == 4)
        return pkt[ip->hdr_len] != 0 && pkt[ip->hdr_len] != 8;
    return pkt[ip->hdr_len] < 128;
}

static size_t too_big_v4(const uint8_t *pkt, size_t len, const struct ip_info *ip,
                         const uint8_t *from, unsigned mtu, uint8_t *out)
{
    size_t hl = ip->hdr_len, quote, total;

    if (!(pkt[6] & 0x40) || is_icmp_error(pkt, len, ip))
        return 0;
    quote = len < hl + 8 ? len : hl + 8; /* header + 8 bytes (RFC 792) */
    total = 20 + 8 + quote;
    memset(out, 0, 28);
    out[0] = 0x45;
    put_be16(out + 2, (uint16_t)total);
    out[8] = 64;
    out[9] = 1;
    memcpy(out + 12, from, 4);
    memcpy(out + 16, pkt + 12, 4);
    put_be16(out + 10, ip_checksum(out, 20));
    out[20] = 3; /* destination unreachable */
    out[21] = 4; /* fragmentation needed and DF set */
    put_be16(out + 26, (uint16_t)mtu);
    memcpy(out + 28, pkt, quote);
    put_be16(out + 22, ip_checksum(out + 20, 8 + quote));
    return total;
}

static size_t too_big_v6(const uint8_t *pkt, size_t len, const struct ip_info *ip,
                         const uint8_t *from, unsigned mtu, uint8_t *out)
{
    size_t quote = len < 1280 - 48 ? len : 1280 - 48; /* RFC 4443 2.4 (c) */
    size_t plen = 8 + quote;
    uint32_t sum;

    if (is_icmp_error(pkt, len, ip))
        return 0;
    memset(out, 0, 48);
    out[0] = 0x60;
    put_be16(out + 4, (uint16_t)plen);
    out[6] = 58;
    out[7] = 64;
    memcpy(out + 8, from, 16);
    memcpy(out + 24, pkt + 8, 16);
    out[40] = 2; /* packet too big */
    put_be32(out + 44, mtu);
    memcpy(out + 48, pkt, quote);
    sum = ip_sum_add((uint32_t)plen + 58, out + 8, 32); /* pseudo-header */
    put_be16(out + 42, ip_sum_fold(ip_sum_add(sum, out + 40, plen)));
    return 40 + plen;
}

size_t icmp_too_big(const uint8_t *pkt, size_t len, const uint8_t *from, unsigned mtu, uint8_t *out)
{
    struct cursor c = cursor_make((uint8_t *)pkt, len);
    struct ip_info ip;

    /* fragments are not answered: the TUN MTU already made them fit */
    if (ip_parse(&c, IP_WALK_ALL, &ip) != UIPSEC_OK)
        return 0;
    len = c.len; /* the packet's own length, without link padding */
    return ip.family == 4 ? too_big_v4(pkt, len, &ip, from, mtu, out)
                          : too_big_v6(pkt, len, &ip, from, mtu, out);
}
