/* SPDX-License-Identifier: MIT */
#include "gro_udp.h"

#include "gro_ip.h"
#include "gso.h" /* VIRTIO_NET_HDR_GSO_UDP_L4, missing from older headers */
#include "ip.h"

#define UDP_HDR_LEN  8
#define UDP_OFF_LEN  4
#define UDP_OFF_CSUM 6

/* The UDP header and payload of a datagram fit to merge: a length field
 * that names exactly what the IP length leaves (udp_gro_receive_segment
 * takes no padded datagram either), data, and a correct checksum.  Over
 * IPv4 zero means no checksum: the kernel computes one for each datagram
 * it cuts, and a receiver takes that as it takes none.  Over IPv6 zero is
 * invalid (RFC 8200 8.1): the datagram goes alone, for the kernel to drop. */
static bool take_udp(struct cursor *c, struct gro_pkt *d)
{
    size_t udp_len = c->len;
    uint16_t csum;

    if (!cursor_take(c, UDP_HDR_LEN, &d->l4))
        return false;
    d->l4_len = UDP_HDR_LEN;
    d->data = c->p;
    d->data_len = c->len;
    csum = get_be16(d->l4 + UDP_OFF_CSUM);
    if (get_be16(d->l4 + UDP_OFF_LEN) != udp_len || d->data_len == 0)
        return false;
    if (csum == 0)
        return d->family == 4;
    return ip_sum_fold(ip_sum_add(gro_pseudo_sum(d, udp_len), d->l4, udp_len)) == 0;
}

static void udp_close(struct gro_run *r)
{
    /* the whole super-packet's length: __udp_gso_segment derives each
     * datagram's from it and gso_size */
    put_be16(r->head.l4 + UDP_OFF_LEN, (uint16_t)(UDP_HDR_LEN + r->head.data_len));
    gro_finish(r, VIRTIO_NET_HDR_GSO_UDP_L4, UDP_OFF_CSUM);
}

/* Any datagram of the flow continues a run: no header field of its own is
 * compared, nor ends a burst. */
static const struct gro_l4 udp = {
    .proto = IPPROTO_NUM_UDP,
    .take = take_udp,
    .close = udp_close,
};

size_t gro_udp(struct uipsec_buf *bufs, size_t n, struct virtio_net_hdr *hdrs)
{
    return gro_batch(&udp, bufs, n, hdrs);
}
