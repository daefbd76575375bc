/* SPDX-License-Identifier: MIT */
/* AH (RFC 4302), tunnel and transport mode, in the passes of a burst
 * (burst.h). */
#include <openssl/crypto.h>
#include <string.h>

#include "ah.h"
#include "burst.h"
#include "wire.h"

/* AH is a multiple of 4 bytes in IPv4 and of 8 in IPv6 (RFC 4302 2.2):
 * the ICV field takes the padding. */
static size_t ah_len(const struct uipsec_sa *sa, uint8_t family)
{
    size_t align = family == 6 ? 8 : 4;

    return (AH_FIXED_LEN + sa->icv_len + align - 1) / align * align;
}

_Static_assert(BURST_HDR_POOL >= AH_MAX_IP_HDR, "an empty burst takes any header");

/* Whether the burst's pool still has room for this packet's IP headers. */
static bool pool_room(const struct burst *bu, size_t hdr_len)
{
    return hdr_len > AH_MAX_IP_HDR || BURST_HDR_POOL - bu->pool_used >= hdr_len;
}

/* Sets up the ICV job: over the whole packet with mutable fields and the ICV
 * field zeroed, then seq_hi with ESN (RFC 4302 3.3.3.1, 2.5.1), which goes
 * in the 4 bytes after the packet.  The IP headers wait in the burst's pool
 * until icv_end puts them back. */
static int icv_start(struct uipsec_sa *sa, struct burst *bu, size_t i)
{
    struct ah_pkt *a = &bu->pkts[i].u.ah;
    struct uipsec_crypto_job *job = &bu->jobs[i];
    size_t hdr_len = a->ip.hdr_len;

    if (hdr_len > AH_MAX_IP_HDR)
        return UIPSEC_E_MALFORMED;
    a->saved = (uint16_t)bu->pool_used;
    memcpy(bu->pool + a->saved, a->pkt, hdr_len);
    if (ah_zero_mutable(a->pkt, &a->ip) != UIPSEC_OK) {
        memcpy(a->pkt, bu->pool + a->saved, hdr_len);
        return UIPSEC_E_MALFORMED;
    }
    bu->pool_used += hdr_len;
    job->auth = a->pkt;
    job->auth_len = a->total;
    if (sa->p.esn) {
        put_be32(a->pkt + a->total, (uint32_t)(bu->pkts[i].seq >> 32));
        job->auth_len += 4;
    }
    return UIPSEC_OK;
}

static void icv_end(struct burst *bu, size_t i)
{
    const struct ah_pkt *a = &bu->pkts[i].u.ah;

    if (bu->jobs[i].auth != NULL)
        memcpy(a->pkt, bu->pool + a->saved, a->ip.hdr_len);
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

/* Builds the AH packet in front of the inner one; its ICV is left to the
 * burst. */
static int out_prepare(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst *bu, size_t i)
{
    struct burst_pkt *p = &bu->pkts[i];
    struct ah_pkt *a = &p->u.ah;
    bool tunnel = sa->p.mode == UIPSEC_MODE_TUNNEL;
    uint8_t *in = b->base + b->off, nh;
    size_t alen, front;
    int rc;

    p->inner_len = b->len;
    if ((rc = place_ah(sa, b, &a->ip, &alen, &nh)) != UIPSEC_OK)
        return rc;
    front = tunnel ? a->ip.hdr_len + alen : alen;
    a->total = b->len + front;
    if (a->ip.family == 4 ? a->total > IPV4_MAX_TOTAL : a->total - IPV6_HDR_LEN > IPV6_MAX_PAYLOAD)
        return UIPSEC_E_TOO_BIG;
    if (b->off < front || b->cap - b->off - b->len < 4)
        return UIPSEC_E_NO_ROOM;
    if (!pool_room(bu, a->ip.hdr_len))
        return BURST_FULL;
    if ((rc = uipsec_sa_next_seq(sa, &p->seq)) != UIPSEC_OK)
        return rc;
    a->pkt = in - front;
    a->ah = a->pkt + a->ip.hdr_len;
    if (tunnel)
        ip_write_outer(sa, a->pkt, alen + b->len, IPPROTO_NUM_AH, in);
    else
        memmove(a->pkt, in, a->ip.hdr_len);
    write_ah(sa, a->ah, alen, nh, p->seq);
    a->pkt[a->ip.nh_off] = IPPROTO_NUM_AH;
    ip_set_length(a->pkt, a->ip.family, a->total);
    return icv_start(sa, bu, i);
}

static int out_finish(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst *bu, size_t i)
{
    const struct burst_pkt *p = &bu->pkts[i];
    const struct ah_pkt *a = &p->u.ah;

    icv_end(bu, i);
    if (p->rc != UIPSEC_OK)
        return p->rc;
    if (!bu->jobs[i].ok)
        return UIPSEC_E_CRYPTO;
    memcpy(a->ah + AH_FIXED_LEN, bu->jobs[i].mac, sa->icv_len);
    b->off = (uint32_t)(a->pkt - b->base);
    b->len = (uint32_t)a->total;
    return UIPSEC_OK;
}

/* Parses the outer header and AH up to the ICV check. */
static int take_ah(struct uipsec_sa *sa, struct cursor *c, struct burst *bu, struct ip_info *ip,
                   uint8_t **ah, struct burst_pkt *p)
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
    return burst_check_seq(sa, &bu->top, p, get_be32(*ah + 8));
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

/* After the replay check: the ICV field zeroed, its value kept in got. */
static int in_icv_start(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst *bu, size_t i)
{
    struct ah_pkt *a = &bu->pkts[i].u.ah;

    if (sa->p.esn && b->cap - b->off - a->total < 4)
        return UIPSEC_E_NO_ROOM;
    memcpy(a->got, a->ah + AH_FIXED_LEN, sa->icv_len);
    memset(a->ah + AH_FIXED_LEN, 0, sa->icv_len); /* not the padding (RFC 4302 3.4.4) */
    return icv_start(sa, bu, i);
}

static int in_prepare(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst *bu, size_t i)
{
    struct burst_pkt *p = &bu->pkts[i];
    struct ah_pkt *a = &p->u.ah;
    struct cursor c = cursor_make(b->base + b->off, b->len);
    int rc;

    if ((rc = take_ah(sa, &c, bu, &a->ip, &a->ah, p)) != UIPSEC_OK)
        return rc;
    if (!pool_room(bu, a->ip.hdr_len))
        return BURST_FULL;
    a->pkt = b->base + b->off;
    a->total = (size_t)(c.p + c.len - a->pkt); /* trimmed to the IP length */
    p->late_rc = in_icv_start(sa, b, bu, i);
    return UIPSEC_OK;
}

static int in_finish(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst *bu, size_t i)
{
    struct burst_pkt *p = &bu->pkts[i];
    const struct uipsec_crypto_job *job = &bu->jobs[i];
    int rc;

    icv_end(bu, i);
    if (job->auth != NULL && !job->ok)
        p->late_rc = UIPSEC_E_CRYPTO;
    else if (job->auth != NULL && CRYPTO_memcmp(p->u.ah.got, job->mac, sa->icv_len) != 0)
        p->late_rc = UIPSEC_E_AUTH;
    if ((rc = burst_in_verdict(sa, p)) != UIPSEC_OK ||
        (rc = uipsec_sa_commit_seq(sa, p->seq)) != UIPSEC_OK)
        return rc;
    rc = deliver(sa, b, &p->u.ah.ip, p->u.ah.ah, p->u.ah.total);
    p->inner_len = b->len;
    return rc;
}

const struct burst_path ah_out_path = {out_prepare, burst_run_jobs, out_finish};
const struct burst_path ah_in_path = {in_prepare, burst_run_jobs, in_finish};
