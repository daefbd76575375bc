/* SPDX-License-Identifier: MIT */
/*
 * The choice of TUN queue for a decapsulated packet (src/daemon/steer.c):
 * the packet is the peer's, so no input may be read past its end, and the
 * queue must be one of those there are, the same for both directions.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "steer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *pkt = malloc(size ? size : 1); /* exact size: ASan sees any read past it */
    unsigned queues;

    if (!pkt)
        return 0;
    memcpy(pkt, data, size);
    queues = size ? (unsigned)(data[size - 1] % 64) + 1 : 1;
    if (steer_queue(pkt, size, queues) >= queues)
        abort();
    free(pkt);
    return 0;
}
