/* SPDX-License-Identifier: MIT */
/*
 * Which worker's TUN queue a decapsulated packet is written to.  The
 * kernel sends a flow's packets into a multi-queue TUN device on the
 * queue its packets last came out of (it learns the flow from our
 * writes), so writing each inner flow to a queue chosen by its own hash
 * spreads the flows of one SA over the workers on the way out, where
 * writing all to the queue of the worker that decrypted them would keep
 * every flow of the SA on that one worker.  The hash is symmetric
 * (addresses and ports XORed), so both directions of a flow agree.  The
 * packet is untrusted (authentic, but the peer's): every read is checked.
 */
#include "steer.h"

static uint32_t word(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Ports of TCP, UDP and SCTP, where the packet holds them (not a later
 * fragment). */
static uint32_t ports(const uint8_t *l4, size_t len, uint8_t proto, bool first)
{
    if (!first || len < 4 || (proto != 6 && proto != 17 && proto != 132))
        return 0;
    return word(l4);
}

static uint32_t hash4(const uint8_t *pkt, size_t len)
{
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    uint32_t p;

    if (len < 20 || ihl < 20 || ihl > len)
        return 0;
    p = ports(pkt + ihl, len - ihl, pkt[9], ((pkt[6] & 0x1f) | pkt[7]) == 0);
    return (word(pkt + 12) ^ word(pkt + 16)) ^ ((p >> 16) ^ (p & 0xffff)) ^ pkt[9];
}

/* Extension headers are not walked: a flow with them keeps one queue by
 * its addresses. */
static uint32_t hash6(const uint8_t *pkt, size_t len)
{
    uint32_t h = 0, p;

    if (len < 40)
        return 0;
    for (size_t i = 8; i < 40; i += 4)
        h ^= word(pkt + i);
    p = ports(pkt + 40, len - 40, pkt[6], true);
    return h ^ ((p >> 16) ^ (p & 0xffff)) ^ pkt[6];
}

unsigned steer_queue(const uint8_t *pkt, size_t len, unsigned queues)
{
    uint32_t h;

    if (queues < 2 || len < 1)
        return 0;
    h = pkt[0] >> 4 == 4 ? hash4(pkt, len) : pkt[0] >> 4 == 6 ? hash6(pkt, len) : 0;
    h *= 0x9e3779b1u; /* mix: the XORs leave low bits alike */
    return (unsigned)(((uint64_t)(h >> 8) * queues) >> 24);
}
