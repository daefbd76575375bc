/* SPDX-License-Identifier: MIT */
/* Which TUN queue an inner packet is written to (steer.c). */
#ifndef UIPSECD_STEER_H
#define UIPSECD_STEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A queue of queues for the inner IP packet's flow, the same for both
 * directions of a flow; 0 with one queue or a packet too short to say. */
unsigned steer_queue(const uint8_t *pkt, size_t len, unsigned queues);

#endif
