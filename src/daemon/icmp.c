/* SPDX-License-Identifier: MIT */
#include "icmp.h"

#include <string.h>

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Never answer an ICMP error with one (RFC 1122 3.2.2). */
static int is_icmp_error(const uint8_t *pkt, size_t len, size_t hl, uint8_t icmp_proto)
{
    uint8_t proto = pkt[0] >> 4 == 4 ? pkt[9] : pkt[6];

    if (proto != icmp_proto || len <= hl)
        return 0;
    return icmp_proto == 1 ? pkt[hl] != 0 && pkt[hl] != 8 : pkt[hl] < 128;
}

static size_t too_big_v4(const uint8_t *pkt, size_t len, const uint8_t *from, unsigned mtu,
                         uint8_t *out)
{
    size_t hl = (size_t)(pkt[0] & 0x0f) * 4, quote, total;

    if (len < 20 || hl < 20 || hl > len || !(pkt[6] & 0x40) || is_icmp_error(pkt, len, hl, 1))
        return 0;
    quote = len < hl + 8 ? len : hl + 8; /* header + 8 bytes (RFC 792) */
    total = 20 + 8 + quote;
    memset(out, 0, 28);
    out[0] = 0x45;
    put16(out + 2, (uint32_t)total);
    out[8] = 64;
    out[9] = 1;
    memcpy(out + 12, from, 4);
    memcpy(out + 16, pkt + 12, 4);
    put16(out + 10, fold(sum16(out, 20, 0)));
    out[20] = 3; /* destination unreachable */
    out[21] = 4; /* fragmentation needed and DF set */
    put16(out + 26, mtu);
    memcpy(out + 28, pkt, quote);
    put16(out + 22, fold(sum16(out + 20, 8 + quote, 0)));
    return total;
}

static size_t too_big_v6(const uint8_t *pkt, size_t len, const uint8_t *from, unsigned mtu,
                         uint8_t *out)
{
    size_t quote = len < 1280 - 48 ? len : 1280 - 48; /* RFC 4443 2.4 (c) */
    size_t plen = 8 + quote;
    uint32_t sum;

    if (len < 40 || is_icmp_error(pkt, len, 40, 58))
        return 0;
    memset(out, 0, 48);
    out[0] = 0x60;
    put16(out + 4, (uint32_t)plen);
    out[6] = 58;
    out[7] = 64;
    memcpy(out + 8, from, 16);
    memcpy(out + 24, pkt + 8, 16);
    out[40] = 2; /* packet too big */
    out[44] = (uint8_t)(mtu >> 24), out[45] = (uint8_t)(mtu >> 16);
    put16(out + 46, mtu);
    memcpy(out + 48, pkt, quote);
    sum = sum16(out + 8, 32, 0) + (uint32_t)plen + 58; /* pseudo-header */
    put16(out + 42, fold(sum16(out + 40, plen, sum)));
    return 40 + plen;
}

size_t icmp_too_big(const uint8_t *pkt, size_t len, const uint8_t *from, unsigned mtu, uint8_t *out)
{
    if (len >= 1 && pkt[0] >> 4 == 4)
        return too_big_v4(pkt, len, from, mtu, out);
    if (len >= 1 && pkt[0] >> 4 == 6)
        return too_big_v6(pkt, len, from, mtu, out);
    return 0;
}
