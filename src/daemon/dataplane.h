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

/* What the data path did with the TUN offloads, for `uipsecctl status`.
 * The data-path thread writes them, control reads them unlocked: a read
 * may be a moment old, never harmful. */
struct dp_counters {
    uint64_t tun_reads;     /* reads from the TUN device that gave a packet */
    uint64_t tun_super;     /* of them, super-packets (TSO/USO) cut here */
    uint64_t tun_segments;  /* packets cut from those */
    uint64_t tun_writes;    /* writes to the TUN device */
    uint64_t tun_coalesced; /* of them, TCP segments coalesced into one */
    uint64_t tun_merged;    /* segments written in those */
};

void dp_tun_readable(struct daemon *d);
/* Protects and sends one inner packet held back by a trap. */
void dp_send_held(struct daemon *d, struct sa_pair *c, const uint8_t *pkt, size_t len);
void dp_net_readable(struct daemon *d, enum net_rx which);

#endif
