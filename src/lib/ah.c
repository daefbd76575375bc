/* SPDX-License-Identifier: MIT */
/* AH (RFC 4302): one packet in, tunnel and transport mode. */
#include <openssl/crypto.h>
#include <string.h>

#include "ah.h"
#include "wire.h"

/* AH is a multiple of 4 bytes in IPv4 and of 8 in IPv6 (RFC 4302 2.2):
 * the ICV field takes the padding. */
static size_t ah_len(const struct uipsec_sa *sa, uint8_t family)
{
    size_t align = family == 6 ? 8 : 4;

    return (AH_FIXED_LEN + sa->icv_len + align - 1) / align * align;
}

/* ICV over the whole packet with mutable fields and the ICV field zeroed,
 * then seq_hi with ESN (RFC 4302 3.3.3.1, 2.5.1); the header region is
 * restored afterwards and seq_hi goes in the 4 bytes after the packet. */
static int ah_icv(struct uipsec_sa *sa, uint8_t *pkt, size_t len, const struct ip_info *ip,
                  uint64_t seq, uint8_t *out)
{
    uint8_t saved[AH_MAX_IP_HDR];
    int rc;

    if (ip->hdr_len > sizeof(saved))
        return UIPSEC_E_MALFORMED;
    memcpy(saved, pkt, ip->hdr_len);
    rc = ah_zero_mutable(pkt, ip);
    if (rc == UIPSEC_OK && sa->p.esn)
        put_be32(pkt + len, (uint32_t)(seq >> 32));
    if (rc == UIPSEC_OK &&
        !sa->crypto.ops->hmac(sa->crypto.state, pkt, len + (sa->p.esn ? 4 : 0), out))
        rc = UIPSEC_E_CRYPTO;
    memcpy(pkt, saved, ip->hdr_len);
    return rc;
}

static void write_ah(const struct uipsec_sa *sa, uint8_t *ah, size_t len, uint8_t nh, uint64_t seq)
{
    ah[0] = nh;
    ah[1] = (uint8_t)(len / 4 - 2);
    put_be16(ah + 2, 0);
    put_be32(ah + 4, sa->p.spi);
    put_be32(ah + 8, (uint32_t)seq);
    memset(ah + AH_FIXED_LEN, 0, len - AH_FIXED_LEN);
}

/* Where AH goes: after the outer header (tunnel, built here) or after the
 * packet's own headers (transport, moved forward). */
static int place_ah(struct uipsec_sa *sa, struct uipsec_buf *b, struct ip_info *ip, size_t *alen,
                    uint8_t *nh)
{
    struct cursor c = cursor_make(b->base + b->off, b->len);
    size_t ip_len;

    if (sa->p.mode == UIPSEC_MODE_TRANSPORT) {
        uint8_t scratch[AH_MAX_IP_HDR];

        if (ip_parse(&c, IP_WALK_TRANSPORT, ip) != UIPSEC_OK || c.len != b->len)
            return UIPSEC_E_INNER;
        /* Options that cannot be walked fail here, before a sequence number
         * is taken or the packet moved. */
        if (ip->hdr_len > sizeof(scratch))
            return UIPSEC_E_INNER;
        memcpy(scratch, c.p, ip->hdr_len);
        if (ah_zero_mutable(scratch, ip) != UIPSEC_OK)
            return UIPSEC_E_INNER;
        *nh = ip->proto;
        *alen = ah_len(sa, ip->family);
        return UIPSEC_OK;
    }
    *nh = b->len && c.p[0] >> 4 == 6 ? IPPROTO_NUM_IPV6 : IPPROTO_NUM_IPIP;
    if (ip_check_inner(c.p, b->len, *nh, &ip_len) != UIPSEC_OK || ip_len != b->len)
        return UIPSEC_E_INNER;
    ip->family = sa->p.tunnel_src.family;
    ip->hdr_len = ip->family == 4 ? IPV4_HDR_MIN : IPV6_HDR_LEN;
    ip->nh_off = ip->family == 4 ? IPV4_OFF_PROTO : IPV6_OFF_NH;
    *alen = ah_len(sa, ip->family);
    return UIPSEC_OK;
}

int uipsec_ah_encap(struct uipsec_sa *sa, struct uipsec_buf *b, size_t *inner_len)
{
    bool tunnel = sa->p.mode == UIPSEC_MODE_TUNNEL;
    uint8_t *in = b->base + b->off, *out, nh, icv[32];
    size_t alen, front, total;
    struct ip_info ip;
    uint64_t seq;
    int rc;

    *inner_len = b->len;
    if ((rc = place_ah(sa, b, &ip, &alen, &nh)) != UIPSEC_OK)
        return rc;
    front = tunnel ? ip.hdr_len + alen : alen;
    total = b->len + front;
    if (ip.family == 4 ? total > IPV4_MAX_TOTAL : total - IPV6_HDR_LEN > IPV6_MAX_PAYLOAD)
        return UIPSEC_E_TOO_BIG;
    if (b->off < front || b->cap - b->off - b->len < 4)
        return UIPSEC_E_NO_ROOM;
    if ((rc = uipsec_sa_next_seq(sa, &seq)) != UIPSEC_OK)
        return rc;
    out = in - front;
    if (tunnel)
        ip_write_outer(sa, out, alen + b->len, IPPROTO_NUM_AH, in);
    else
        memmove(out, in, ip.hdr_len);
    write_ah(sa, out + ip.hdr_len, alen, nh, seq);
    out[ip.nh_off] = IPPROTO_NUM_AH;
    ip_set_length(out, ip.family, total);
    if ((rc = ah_icv(sa, out, total, &ip, seq, icv)) != UIPSEC_OK)
        return rc;
    memcpy(out + ip.hdr_len + AH_FIXED_LEN, icv, sa->icv_len);
    b->off -= (uint32_t)front;
    b->len = (uint32_t)total;
    return UIPSEC_OK;
}

/* Parses the outer header and AH up to the ICV check. */
static int take_ah(struct uipsec_sa *sa, struct cursor *c, struct ip_info *ip, uint8_t **ah,
                   uint64_t *seq)
{
    uint8_t *hdr, *rest;
    size_t alen;
    int rc;

    if ((rc = ip_parse(c, IP_WALK_ALL, ip)) != UIPSEC_OK)
        return rc;
    if (ip->proto != IPPROTO_NUM_AH)
        return UIPSEC_E_PROTOCOL;
    if (!cursor_take(c, ip->hdr_len, &hdr) || !cursor_take(c, AH_FIXED_LEN, ah))
        return UIPSEC_E_TRUNCATED;
    if (get_be32(*ah + 4) != sa->p.spi)
        return UIPSEC_E_SPI;
    alen = ah_len(sa, ip->family);
    if (((size_t)(*ah)[1] + 2) * 4 != alen)
        return UIPSEC_E_MALFORMED;
    if (!cursor_take(c, alen - AH_FIXED_LEN, &rest))
        return UIPSEC_E_TRUNCATED;
    return uipsec_sa_check_seq(sa, get_be32(*ah + 8), seq);
}

static int deliver(struct uipsec_sa *sa, struct uipsec_buf *b, const struct ip_info *ip,
                   uint8_t *ah, size_t total)
{
    size_t alen = ah_len(sa, ip->family), ip_len, after = ip->hdr_len + alen;
    uint8_t nh = ah[0], *out;
    int rc;

    if (sa->p.mode == UIPSEC_MODE_TUNNEL) {
        if ((rc = ip_check_inner(ah + alen, total - after, nh, &ip_len)) != UIPSEC_OK)
            return rc;
        ip_ecn_decap(ip->tos, ah + alen);
        b->off = (uint32_t)(ah + alen - b->base);
        b->len = (uint32_t)ip_len;
        return UIPSEC_OK;
    }
    out = b->base + b->off + alen;
    memmove(out, b->base + b->off, ip->hdr_len);
    out[ip->nh_off] = nh;
    ip_set_length(out, ip->family, total - alen);
    b->off += (uint32_t)alen;
    b->len = (uint32_t)(total - alen);
    return UIPSEC_OK;
}

int uipsec_ah_decap(struct uipsec_sa *sa, struct uipsec_buf *b, size_t *inner_len)
{
    struct cursor c = cursor_make(b->base + b->off, b->len);
    uint8_t got[32], want[32], *ah;
    struct ip_info ip;
    size_t total;
    uint64_t seq;
    int rc;

    if ((rc = take_ah(sa, &c, &ip, &ah, &seq)) != UIPSEC_OK)
        return rc;
    total = (size_t)(c.p + c.len - (b->base + b->off)); /* trimmed to the IP length */
    if (sa->p.esn && b->cap - b->off - total < 4)
        return UIPSEC_E_NO_ROOM;
    memcpy(got, ah + AH_FIXED_LEN, sa->icv_len);
    memset(ah + AH_FIXED_LEN, 0, sa->icv_len); /* not the padding (RFC 4302 3.4.4) */
    if ((rc = ah_icv(sa, b->base + b->off, total, &ip, seq, want)) != UIPSEC_OK)
        return rc;
    if (CRYPTO_memcmp(got, want, sa->icv_len) != 0)
        return UIPSEC_E_AUTH;
    replay_commit(&sa->replay, seq);
    rc = deliver(sa, b, &ip, ah, total);
    *inner_len = b->len;
    return rc;
}
