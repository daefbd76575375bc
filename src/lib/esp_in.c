/* SPDX-License-Identifier: MIT */
/* ESP decapsulation of one packet (RFC 4303 3.4), ESP-in-UDP (RFC 3948). */
#include <string.h>

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

struct esp_in {
    uint8_t *esp, *ct, *icv;
    size_t ct_len;
    uint64_t seq;
};

/* Everything up to the ICV check: shape, SPI, replay window. */
static int take_esp(struct uipsec_sa *sa, struct cursor *c, struct esp_in *e)
{
    uint8_t *iv;
    int rc;

    if (!cursor_take(c, ESP_HDR_LEN, &e->esp))
        return UIPSEC_E_TRUNCATED;
    if (get_be32(e->esp) != sa->p.spi)
        return UIPSEC_E_SPI;
    if (!cursor_take(c, sa->iv_len, &iv) || !cursor_take_tail(c, sa->icv_len, &e->icv) ||
        c->len < ESP_TRAILER_LEN)
        return UIPSEC_E_TRUNCATED;
    if (c->len % sa->block != 0)
        return UIPSEC_E_BLOCK_SIZE;
    if ((rc = uipsec_sa_check_seq(sa, get_be32(e->esp + 4), &e->seq)) != UIPSEC_OK)
        return rc;
    e->ct = c->p;
    e->ct_len = c->len;
    return UIPSEC_OK;
}

int uipsec_esp_decap(struct uipsec_sa *sa, struct uipsec_buf *b, size_t *inner_len)
{
    struct cursor c = cursor_make(b->base + b->off, b->len);
    struct ip_info ip;
    struct esp_in e;
    size_t payload_len;
    uint8_t nh;
    int rc;

    if ((rc = take_outer(sa, &c, &ip)) != UIPSEC_OK || (rc = take_esp(sa, &c, &e)) != UIPSEC_OK)
        return rc;
    if ((rc = esp_open(sa, e.esp, e.seq, e.ct, e.ct_len, e.icv)) != UIPSEC_OK)
        return rc;
    replay_commit(&sa->replay, e.seq); /* only now: the packet is authentic */
    if ((rc = take_trailer(e.ct, e.ct_len, &payload_len, &nh)) != UIPSEC_OK)
        return rc;
    if (sa->p.mode == UIPSEC_MODE_TUNNEL)
        rc = deliver_tunnel(b, &ip, e.ct, payload_len, nh);
    else
        deliver_transport(b, &ip, e.ct, payload_len, nh);
    *inner_len = b->len;
    return rc;
}
