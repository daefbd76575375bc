/* SPDX-License-Identifier: MIT */
/* ESP decapsulation (RFC 4303 3.4), ESP-in-UDP (RFC 3948), in the passes of
 * a burst (burst.h). */
#include <string.h>

#include "burst.h"
#include "esp.h"
#include "ip.h"
#include "wire.h"

/* Walks the outer headers down to the ESP header. */
static int take_outer(struct uipsec_sa *sa, struct cursor *c, struct ip_info *ip)
{
    uint8_t *hdr;
    int rc;

    if ((rc = ip_parse(c, IP_WALK_ALL, ip)) != UIPSEC_OK)
        return rc;
    if (!cursor_take(c, ip->hdr_len, &hdr))
        return UIPSEC_E_TRUNCATED;
    if (sa->p.udp_dport)
        return ip->proto == IPPROTO_NUM_UDP ? ip_take_esp_in_udp(c) : UIPSEC_E_PROTOCOL;
    return ip->proto == IPPROTO_NUM_ESP ? UIPSEC_OK : UIPSEC_E_PROTOCOL;
}

/* Checks the trailer (RFC 4303 2.4-2.6) and returns the payload length. */
static int take_trailer(const uint8_t *pt, size_t len, size_t *payload_len, uint8_t *nh)
{
    size_t pad = pt[len - 2];

    if (pad + ESP_TRAILER_LEN > len)
        return UIPSEC_E_PADDING;
    *payload_len = len - ESP_TRAILER_LEN - pad;
    for (size_t i = 0; i < pad; i++)
        if (pt[*payload_len + i] != (uint8_t)(i + 1))
            return UIPSEC_E_PADDING;
    *nh = pt[len - 1];
    return *nh == IPPROTO_NUM_NONE ? UIPSEC_E_DUMMY : UIPSEC_OK;
}

static int deliver_tunnel(struct uipsec_buf *b, const struct ip_info *ip, uint8_t *payload,
                          size_t len, uint8_t nh)
{
    size_t ip_len;
    int rc = ip_check_inner(payload, len, nh, &ip_len);

    if (rc != UIPSEC_OK)
        return rc;
    ip_ecn_decap(ip->tos, payload);
    b->off = (uint32_t)(payload - b->base);
    b->len = (uint32_t)ip_len; /* drops TFC padding (RFC 4303 2.7) */
    return UIPSEC_OK;
}

/* Transport mode: the original IP header moves up against the payload and
 * names the payload's protocol again. */
static void deliver_transport(struct uipsec_buf *b, const struct ip_info *ip, uint8_t *payload,
                              size_t len, uint8_t nh)
{
    uint8_t *out = payload - ip->hdr_len;

    memmove(out, b->base + b->off, ip->hdr_len);
    out[ip->nh_off] = nh;
    ip_set_length(out, ip->family, ip->hdr_len + len);
    b->off = (uint32_t)(out - b->base);
    b->len = (uint32_t)(ip->hdr_len + len);
}

/* Everything up to the ICV check: shape, SPI, replay window (checked here
 * against the window as the burst found it, again in order in in_finish). */
static int take_esp(struct uipsec_sa *sa, struct cursor *c, uint64_t *top, struct burst_pkt *p,
                    uint8_t **icv)
{
    struct esp_in_pkt *e = &p->u.in;
    uint8_t *iv;

    if (!cursor_take(c, ESP_HDR_LEN, &e->esp))
        return UIPSEC_E_TRUNCATED;
    if (get_be32(e->esp) != sa->p.spi)
        return UIPSEC_E_SPI;
    if (!cursor_take(c, sa->iv_len, &iv) || !cursor_take_tail(c, sa->icv_len, icv) ||
        c->len < ESP_TRAILER_LEN)
        return UIPSEC_E_TRUNCATED;
    if (c->len % sa->block != 0)
        return UIPSEC_E_BLOCK_SIZE;
    e->ct = c->p;
    e->ct_len = c->len;
    return burst_check_seq(sa, top, p, get_be32(e->esp + 4));
}

static int open_prepare(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst_pkt *p,
                        struct uipsec_crypto_job *job, uint64_t *top)
{
    struct esp_in_pkt *e = &p->u.in;
    struct cursor c = cursor_make(b->base + b->off, b->len);
    uint8_t *icv;
    int rc;

    if ((rc = take_outer(sa, &c, &e->ip)) != UIPSEC_OK ||
        (rc = take_esp(sa, &c, top, p, &icv)) != UIPSEC_OK)
        return rc;
    p->late_rc = esp_open(sa, e->esp, p->seq, e->ct, e->ct_len, icv, job, e->got);
    return UIPSEC_OK;
}

static int in_prepare(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst *bu, size_t i)
{
    return open_prepare(sa, b, &bu->pkts[i], &bu->jobs[i], &bu->top);
}

/* Encrypt-then-MAC: every ICV in one burst, then the authentic packets
 * decrypted in a second; no forged packet is ever decrypted. */
static void in_crypto(struct uipsec_sa *sa, struct burst *bu, size_t n)
{
    uipsec_crypto_burst(&sa_lane_now->crypto, true, bu->jobs, n);
    for (size_t i = 0; i < n; i++)
        if (bu->jobs[i].auth != NULL)
            bu->pkts[i].late_rc = esp_open_verify(sa, &bu->jobs[i], bu->pkts[i].u.in.got);
    uipsec_crypto_burst(&sa_lane_now->crypto, true, bu->jobs, n);
    for (size_t i = 0; i < n; i++)
        if (bu->jobs[i].iv != NULL && !bu->jobs[i].ok)
            bu->pkts[i].late_rc = UIPSEC_E_CRYPTO;
}

/* An authentic packet, committed to the window: its inner packet. */
int esp_in_deliver(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst_pkt *p)
{
    const struct esp_in_pkt *e = &p->u.in;
    size_t payload_len;
    uint8_t nh;
    int rc;

    if ((rc = take_trailer(e->ct, e->ct_len, &payload_len, &nh)) != UIPSEC_OK)
        return rc;
    if (sa->p.mode == UIPSEC_MODE_TUNNEL)
        rc = deliver_tunnel(b, &e->ip, e->ct, payload_len, nh);
    else
        deliver_transport(b, &e->ip, e->ct, payload_len, nh);
    p->inner_len = b->len;
    return rc;
}

/* rc: the verdict up to the replay window's commit; only then, the packet
 * being authentic, the commit. */
static int in_finish(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst *bu, size_t i)
{
    struct burst_pkt *p = &bu->pkts[i];
    int rc = burst_in_verdict(sa, p);

    if (rc != UIPSEC_OK || (rc = uipsec_sa_commit_seq(sa, p->seq)) != UIPSEC_OK)
        return rc;
    return esp_in_deliver(sa, b, p);
}

int esp_in_open(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst_pkt *p)
{
    struct uipsec_crypto_job job;

    p->late_rc = UIPSEC_OK;
    p->inner_len = 0;
    p->rc = open_prepare(sa, b, p, &job, NULL); /* a burst of one */
    return p->rc != UIPSEC_OK ? p->rc : p->late_rc;
}

const struct burst_path esp_in_path = {in_prepare, in_crypto, in_finish};
