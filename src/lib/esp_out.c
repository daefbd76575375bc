/* SPDX-License-Identifier: MIT */
/* ESP encapsulation, tunnel and transport mode (RFC 4303 3.1), in the
 * passes of a burst (burst.h). */
#include <string.h>

#include "burst.h"
#include "esp.h"
#include "ip.h"
#include "wire.h"

/* Room checks first, so that a packet that cannot be sent uses no sequence
 * number and leaves the buffer as it was. */
static int check_room(const struct uipsec_buf *b, size_t head, size_t tail)
{
    if (b->off < head || b->cap - b->off - b->len < tail)
        return UIPSEC_E_NO_ROOM;
    return UIPSEC_OK;
}

static size_t tail_len(const struct uipsec_sa *sa, size_t payload_len, size_t padded)
{
    /* + 4: seq_hi is written after the ciphertext while the ICV is computed */
    return padded - payload_len + sa->icv_len + 4;
}

static bool fits(uint8_t family, size_t total)
{
    return family == 4 ? total <= IPV4_MAX_TOTAL : total - IPV6_HDR_LEN <= IPV6_MAX_PAYLOAD;
}

static int encap_tunnel(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst_pkt *p,
                        struct uipsec_crypto_job *job)
{
    struct esp_out_pkt *o = &p->u.out;
    uint8_t *inner = b->base + b->off;
    size_t ip_len, payload_len, padded, esp_len, front;
    uint8_t nh = b->len && inner[0] >> 4 == 6 ? IPPROTO_NUM_IPV6 : IPPROTO_NUM_IPIP;
    int rc;

    if (ip_check_inner(inner, b->len, nh, &ip_len) != UIPSEC_OK || ip_len != b->len)
        return UIPSEC_E_INNER;
    payload_len = b->len < sa->p.tfc_pad ? sa->p.tfc_pad : b->len; /* RFC 4303 2.7 */
    padded = esp_padded_len(sa, payload_len);
    front = ESP_HDR_LEN + sa->iv_len;
    esp_len = front + padded + sa->icv_len;
    if (!fits(sa->p.tunnel_src.family, sa->outer_len + esp_len))
        return UIPSEC_E_TOO_BIG;
    if ((rc = check_room(b, sa->outer_len + front, tail_len(sa, b->len, padded))) != UIPSEC_OK)
        return rc;
    if ((rc = uipsec_sa_next_seq(sa, &p->seq)) != UIPSEC_OK)
        return rc;
    memcpy(o->head, inner, sizeof(o->head)); /* TOS and DF outlive the encryption */
    if (payload_len > b->len)
        memset(inner + b->len, 0, payload_len - b->len);
    o->icv = inner + padded;
    o->off = b->off - (uint32_t)(front + sa->outer_len);
    o->len = (uint32_t)(sa->outer_len + esp_len);
    return esp_seal(sa, inner - front, payload_len, nh, p->seq, job);
}

static int encap_transport(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst_pkt *p,
                           struct uipsec_crypto_job *job)
{
    struct esp_out_pkt *o = &p->u.out;
    struct cursor pkt = cursor_make(b->base + b->off, b->len);
    size_t udp = sa->p.udp_dport ? UDP_HDR_LEN : 0, shift, payload_len, padded, total;
    uint8_t *out;
    int rc;

    if (ip_parse(&pkt, IP_WALK_TRANSPORT, &o->ip) != UIPSEC_OK || pkt.len != b->len)
        return UIPSEC_E_INNER;
    if (o->ip.proto == IPPROTO_NUM_NONE)
        return UIPSEC_E_NEXT_HEADER; /* would arrive as a dummy packet (RFC 4303 2.6) */
    shift = udp + ESP_HDR_LEN + sa->iv_len;
    payload_len = b->len - o->ip.hdr_len;
    padded = esp_padded_len(sa, payload_len);
    total = o->ip.hdr_len + shift + padded + sa->icv_len;
    if (!fits(o->ip.family, total))
        return UIPSEC_E_TOO_BIG;
    if ((rc = check_room(b, shift, tail_len(sa, payload_len, padded))) != UIPSEC_OK)
        return rc;
    if ((rc = uipsec_sa_next_seq(sa, &p->seq)) != UIPSEC_OK)
        return rc;
    out = pkt.p - shift;
    memmove(out, pkt.p, o->ip.hdr_len);
    o->icv = out + total - sa->icv_len;
    o->off = b->off - (uint32_t)shift;
    o->len = (uint32_t)total;
    return esp_seal(sa, out + o->ip.hdr_len + udp, payload_len, o->ip.proto, p->seq, job);
}

static int seal_prepare(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst_pkt *p,
                        struct uipsec_crypto_job *job)
{
    p->inner_len = b->len;
    return sa->p.mode == UIPSEC_MODE_TUNNEL ? encap_tunnel(sa, b, p, job)
                                            : encap_transport(sa, b, p, job);
}

/* After the ICV: the headers that name or checksum the ESP packet. */
static void finish_transport(struct uipsec_sa *sa, const struct esp_out_pkt *o, uint8_t *out)
{
    const struct ip_info *ip = &o->ip;
    bool udp = sa->p.udp_dport != 0;

    out[ip->nh_off] = udp ? IPPROTO_NUM_UDP : IPPROTO_NUM_ESP;
    if (udp)
        ip_write_udp(sa, out + ip->hdr_len, o->len - ip->hdr_len);
    ip_set_length(out, ip->family, o->len);
    if (udp && ip->family == 6)
        ip_udp6_checksum(out, out + ip->hdr_len, o->len - ip->hdr_len);
}

static int seal_finish(struct uipsec_sa *sa, struct uipsec_buf *b, const struct burst_pkt *p,
                       const struct uipsec_crypto_job *job)
{
    const struct esp_out_pkt *o = &p->u.out;
    int rc = p->rc;

    if (rc == UIPSEC_OK)
        rc = esp_seal_done(sa, job, o->icv);
    if (rc != UIPSEC_OK)
        return rc;
    if (sa->p.mode == UIPSEC_MODE_TUNNEL)
        ip_write_outer(sa, b->base + o->off, o->len - sa->outer_len, IPPROTO_NUM_ESP, o->head);
    else
        finish_transport(sa, o, b->base + o->off);
    b->off = o->off;
    b->len = o->len;
    return UIPSEC_OK;
}

static int out_prepare(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst *bu, size_t i)
{
    return seal_prepare(sa, b, &bu->pkts[i], &bu->jobs[i]);
}

static int out_finish(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst *bu, size_t i)
{
    return seal_finish(sa, b, &bu->pkts[i], &bu->jobs[i]);
}

int esp_out_one(struct uipsec_sa *sa, struct uipsec_buf *b, size_t *inner_len)
{
    struct uipsec_crypto_job job;
    struct burst_pkt p;
    int rc;

    job.auth = NULL; /* sealed in prepare */
    p.rc = seal_prepare(sa, b, &p, &job);
    rc = seal_finish(sa, b, &p, &job);
    *inner_len = p.inner_len;
    return rc;
}

const struct burst_path esp_out_path = {out_prepare, burst_run_jobs, out_finish};
