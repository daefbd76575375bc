/* SPDX-License-Identifier: MIT */
/*
 * The data path (dataplane.c): inner packets from the TUN device out
 * through the SPD and their SA, ESP and AH from the outer sockets in
 * through theirs.  It runs in its own thread (dpthread.h) and holds the
 * SA lock to read while it works on a batch.
 */
#ifndef UIPSECD_DATAPLANE_H
#define UIPSECD_DATAPLANE_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"

struct daemon;
struct sa_pair;

void dp_tun_readable(struct daemon *d);
/* Protects and sends one inner packet held back by a trap. */
void dp_send_held(struct daemon *d, struct sa_pair *c, const uint8_t *pkt, size_t len);
void dp_net_readable(struct daemon *d, enum net_rx which);

#endif
