/* SPDX-License-Identifier: MIT */
/*
 * The TUN device's outbound segmentation (src/daemon/gso.c): a
 * virtio_net_hdr (the first 10 bytes) and the packet read with it.  The
 * kernel writes both, but a header that does not describe its packet must
 * be refused, never followed out of the buffer; every segment must fit
 * the room it was given and carry consistent lengths.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gso.h"
#include "cursor.h"
#include "wire.h"

#define ROOM 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct virtio_net_hdr h;
    struct gso g;
    uint8_t *pkt, out[ROOM];
    size_t len, n, segs = 0;

    if (size < sizeof(h))
        return 0;
    memcpy(&h, data, sizeof(h));
    len = size - sizeof(h);
    pkt = malloc(len ? len : 1); /* exact size: ASan sees any read past it */
    if (!pkt)
        return 0;
    memcpy(pkt, data + sizeof(h), len);
    if (gso_start(&g, &h, pkt, len) == GSO_MANY) {
        if (g.l4 > len || g.seg == 0)
            abort();
        while ((n = gso_next(&g, out, sizeof(out)))) {
            if (n > sizeof(out) || n <= g.l4 || ++segs > len)
                abort();
            if (g.family == 4 ? (size_t)get_be16(out + IPV4_OFF_TOTAL) != n
                              : (size_t)get_be16(out + IPV6_OFF_PLEN) + IPV6_HDR_LEN != n)
                abort();
        }
    }
    free(pkt);
    return 0;
}
