/* SPDX-License-Identifier: MIT */
/* The fields AH leaves out of its ICV (RFC 4302 3.3.3.1). */
#include <string.h>

#include "ah.h"
#include "wire.h"

/* IPv4 options that never change in transit (RFC 4302 Appendix A.1): all
 * others, such as record route and timestamp, are zeroed whole. */
static bool v4_option_immutable(uint8_t type)
{
    return type == 130 || type == 133 || type == 134 || type == 148 || type == 149;
}

static int zero_v4(uint8_t *h, size_t ihl)
{
    size_t off = IPV4_HDR_MIN;

    h[IPV4_OFF_TOS] = 0;
    put_be16(h + IPV4_OFF_FRAG, 0);
    h[IPV4_OFF_TTL] = 0;
    put_be16(h + IPV4_OFF_CSUM, 0);
    while (off < ihl) {
        uint8_t type = h[off];
        size_t len;

        if (type == 0) /* end of options: the rest is padding */
            break;
        if (type == 1) {
            off++;
            continue;
        }
        if (off + 1 >= ihl || (len = h[off + 1]) < 2 || len > ihl - off)
            return UIPSEC_E_MALFORMED;
        if (!v4_option_immutable(type))
            memset(h + off, 0, len);
        off += len;
    }
    return UIPSEC_OK;
}

/* Hop-by-hop and destination options: bit 0x20 of the type marks data
 * that may change en route (RFC 8200 4.2). */
static int zero_v6_options(uint8_t *opt, size_t len)
{
    size_t off = 2;

    while (off < len) {
        size_t olen;

        if (opt[off] == 0) { /* Pad1 */
            off++;
            continue;
        }
        if (off + 1 >= len || (olen = opt[off + 1]) > len - off - 2)
            return UIPSEC_E_MALFORMED;
        if (opt[off] & 0x20)
            memset(opt + off + 2, 0, olen);
        off += 2 + olen;
    }
    return UIPSEC_OK;
}

/* Routing headers are left as they are: the engine sends none, and one
 * received with segments left is still in transit, not for us. */
static int zero_v6(uint8_t *h, size_t hdr_len)
{
    uint8_t nh = h[IPV6_OFF_NH];
    size_t off = IPV6_HDR_LEN;

    h[0] &= 0xf0;
    h[1] = h[2] = h[3] = 0;
    h[IPV6_OFF_HLIM] = 0;
    while (off < hdr_len) {
        size_t len;

        if (off + 2 > hdr_len || (len = ((size_t)h[off + 1] + 1) * 8) > hdr_len - off)
            return UIPSEC_E_MALFORMED;
        if ((nh == IPPROTO_NUM_HOPOPTS || nh == IPPROTO_NUM_DSTOPTS) &&
            zero_v6_options(h + off, len) != UIPSEC_OK)
            return UIPSEC_E_MALFORMED;
        nh = h[off];
        off += len;
    }
    return UIPSEC_OK;
}

int ah_zero_mutable(uint8_t *pkt, const struct ip_info *ip)
{
    if (ip->family == 4)
        return zero_v4(pkt, ip->hdr_len);
    return zero_v6(pkt, ip->hdr_len);
}
