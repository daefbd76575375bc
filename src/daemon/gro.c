/* SPDX-License-Identifier: MIT */
#include "gro.h"

#include <string.h>

#include "gro_ip.h"
#include "ip.h"

#define IPPROTO_NUM_TCP 6
#define TCP_HDR_MIN     20
#define TCP_OFF_SEQ     4
#define TCP_OFF_ACK     8
#define TCP_OFF_DOFF    12
#define TCP_OFF_FLAGS   13
#define TCP_OFF_WINDOW  14
#define TCP_OFF_CSUM    16
#define TCP_PSH         0x08
#define TCP_ACK         0x10

/* The TCP header and payload of a segment fit to merge: ACK, maybe PSH,
 * nothing else (SYN, FIN, RST, URG, ECE, CWR and the reserved bits end a
 * run, as in tcp_gro_receive), data, and a correct checksum. */
static bool take_tcp(struct cursor *c, struct gro_pkt *s)
{
    uint8_t doff = 0;
    size_t n;

    if (!cursor_peek_u8(c, TCP_OFF_DOFF, &doff) || (doff & 0x0f))
        return false;
    s->l4_len = (size_t)(doff >> 4) * 4;
    if (s->l4_len < TCP_HDR_MIN || !cursor_take(c, s->l4_len, &s->l4))
        return false;
    s->data = c->p;
    s->data_len = c->len;
    if ((s->l4[TCP_OFF_FLAGS] & ~TCP_PSH) != TCP_ACK || s->data_len == 0)
        return false;
    n = s->l4_len + s->data_len;
    return ip_sum_fold(ip_sum_add(gro_pseudo_sum(s, n), s->l4, n)) == 0;
}

/* The segment continues the run: same header length, options and ACK,
 * the sequence number that follows the run's payload. */
static bool tcp_match(const struct gro_run *r, const struct gro_pkt *s)
{
    const struct gro_pkt *h = &r->head;
    uint32_t next_seq = get_be32(h->l4 + TCP_OFF_SEQ) + (uint32_t)h->data_len;

    return s->l4_len == h->l4_len &&
           !memcmp(h->l4 + TCP_HDR_MIN, s->l4 + TCP_HDR_MIN, s->l4_len - TCP_HDR_MIN) &&
           !memcmp(h->l4 + TCP_OFF_ACK, s->l4 + TCP_OFF_ACK, 4) &&
           get_be32(s->l4 + TCP_OFF_SEQ) == next_seq;
}

/* The receiver acts on the newest window, and on the last PSH. */
static void tcp_merged(struct gro_run *r, const struct gro_pkt *s)
{
    memcpy(r->head.l4 + TCP_OFF_WINDOW, s->l4 + TCP_OFF_WINDOW, 2);
    r->head.l4[TCP_OFF_FLAGS] = s->l4[TCP_OFF_FLAGS];
}

/* PSH ends a burst: tcp_gro_receive flushes on it, and a first segment
 * with PSH goes alone. */
static bool tcp_last(const struct gro_pkt *s)
{
    return s->l4[TCP_OFF_FLAGS] & TCP_PSH;
}

static void tcp_close(struct gro_run *r)
{
    gro_finish(r, r->head.family == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6,
               TCP_OFF_CSUM);
}

static const struct gro_l4 tcp = {
    .proto = IPPROTO_NUM_TCP,
    .take = take_tcp,
    .match = tcp_match,
    .merged = tcp_merged,
    .last = tcp_last,
    .close = tcp_close,
};

size_t gro_tcp(struct uipsec_buf *bufs, size_t n, struct virtio_net_hdr *hdrs)
{
    /* gro_tcp's hdrs are outputs only: every packet starts as it came */
    memset(hdrs, 0, n * sizeof(*hdrs));
    return gro_batch(&tcp, bufs, n, hdrs);
}
