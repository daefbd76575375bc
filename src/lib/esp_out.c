/* SPDX-License-Identifier: MIT */
/* ESP encapsulation of one packet, tunnel and transport mode (RFC 4303 3.1). */
#include <string.h>

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

static int encap_tunnel(struct uipsec_sa *sa, struct uipsec_buf *b)
{
    uint8_t *inner = b->base + b->off, head[8];
    size_t ip_len, payload_len, padded, esp_len, front;
    uint8_t nh = b->len && inner[0] >> 4 == 6 ? IPPROTO_NUM_IPV6 : IPPROTO_NUM_IPIP;
    uint64_t seq;
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
    if ((rc = uipsec_sa_next_seq(sa, &seq)) != UIPSEC_OK)
        return rc;
    memcpy(head, inner, sizeof(head)); /* TOS and DF outlive the encryption */
    if (payload_len > b->len)
        memset(inner + b->len, 0, payload_len - b->len);
    if ((rc = esp_seal(sa, inner - front, payload_len, nh, seq)) != UIPSEC_OK)
        return rc;
    ip_write_outer(sa, inner - front - sa->outer_len, esp_len, IPPROTO_NUM_ESP, head);
    b->off -= (uint32_t)(front + sa->outer_len);
    b->len = (uint32_t)(sa->outer_len + esp_len);
    return UIPSEC_OK;
}

static int encap_transport(struct uipsec_sa *sa, struct uipsec_buf *b)
{
    struct cursor pkt = cursor_make(b->base + b->off, b->len);
    size_t udp = sa->p.udp_dport ? UDP_HDR_LEN : 0, shift, payload_len, padded, total;
    struct ip_info ip;
    uint8_t *out;
    uint64_t seq;
    int rc;

    if (ip_parse(&pkt, IP_WALK_TRANSPORT, &ip) != UIPSEC_OK || pkt.len != b->len)
        return UIPSEC_E_INNER;
    if (ip.proto == IPPROTO_NUM_NONE)
        return UIPSEC_E_NEXT_HEADER; /* would arrive as a dummy packet (RFC 4303 2.6) */
    shift = udp + ESP_HDR_LEN + sa->iv_len;
    payload_len = b->len - ip.hdr_len;
    padded = esp_padded_len(sa, payload_len);
    total = ip.hdr_len + shift + padded + sa->icv_len;
    if (!fits(ip.family, total))
        return UIPSEC_E_TOO_BIG;
    if ((rc = check_room(b, shift, tail_len(sa, payload_len, padded))) != UIPSEC_OK)
        return rc;
    if ((rc = uipsec_sa_next_seq(sa, &seq)) != UIPSEC_OK)
        return rc;
    out = pkt.p - shift;
    memmove(out, pkt.p, ip.hdr_len);
    if ((rc = esp_seal(sa, out + ip.hdr_len + udp, payload_len, ip.proto, seq)) != UIPSEC_OK)
        return rc;
    out[ip.nh_off] = udp ? IPPROTO_NUM_UDP : IPPROTO_NUM_ESP;
    if (udp)
        ip_write_udp(sa, out + ip.hdr_len, total - ip.hdr_len);
    ip_set_length(out, ip.family, total);
    if (udp && ip.family == 6)
        ip_udp6_checksum(out, out + ip.hdr_len, total - ip.hdr_len);
    b->off -= (uint32_t)shift;
    b->len = (uint32_t)total;
    return UIPSEC_OK;
}

int uipsec_esp_encap(struct uipsec_sa *sa, struct uipsec_buf *b, size_t *inner_len)
{
    size_t len = b->len;
    int rc = sa->p.mode == UIPSEC_MODE_TUNNEL ? encap_tunnel(sa, b) : encap_transport(sa, b);

    *inner_len = len;
    return rc;
}
