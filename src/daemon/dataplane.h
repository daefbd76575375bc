/* SPDX-License-Identifier: MIT */
/*
 * The data path (dataplane.c): inner packets from the TUN device out
 * through the SPD and their SA, ESP and AH from the outer sockets in
 * through theirs.  It runs in one or more worker threads (dpthread.h),
 * each holding the SA lock to read while it works on a batch.
 */
#ifndef UIPSECD_DATAPLANE_H
#define UIPSECD_DATAPLANE_H

#include <stddef.h>
#include <stdint.h>

#include "drops.h"
#include "net.h"
#include "tun.h"

struct daemon;
struct sa_pair;
struct dp_bufs;

/* What the data path did with the TUN offloads, for `uipsecctl status`.
 * A worker writes its own, control reads them unlocked: a read may be a
 * moment old, never harmful. */
struct dp_counters {
    uint64_t tun_reads;     /* reads from the TUN device that gave a packet */
    uint64_t tun_super;     /* of them, super-packets (TSO/USO) cut here */
    uint64_t tun_segments;  /* packets cut from those */
    uint64_t tun_writes;    /* writes to the TUN device */
    uint64_t tun_coalesced; /* of them, TCP segments coalesced into one */
    uint64_t tun_merged;    /* segments written in those */
    uint64_t rx_shared;     /* received packets another worker decrypted (share.h) */
    uint64_t rx_helped;     /* packets decrypted for another worker */
};

/* A data-path worker: a thread (dpthread.c) with its own queue of the TUN
 * device, its own outer sockets (which receive its share of the SAs,
 * net_spread.c), buffers and counters.  The SAs, policies and pairs are
 * shared, read under the SA lock. */
struct dp_worker {
    struct daemon *d;
    unsigned id;
    struct net *net;    /* worker 0: &d->net, which the IKE thread shares */
    struct net own_net; /* the others' sockets */
    struct tun_dev tun; /* the device, fd being this worker's queue */
    struct dp_counters dp;
    uint64_t drops[DD_COUNT];                   /* the data path's reasons (drops.h) */
    uint64_t drops_engine[UIPSEC_RESULT_COUNT]; /* before an SA was found */
    struct dp_bufs *bufs;
};

/* The worker's buffers (0, or -1 without memory), and back. */
int dp_worker_init(struct dp_worker *w);
void dp_worker_free(struct dp_worker *w);

void dp_tun_readable(struct dp_worker *w);
void dp_net_readable(struct dp_worker *w, enum net_rx which);
/* Protects and sends one inner packet held back by a trap (IKE thread,
 * holding the SA lock to write). */
void dp_send_held(struct daemon *d, struct sa_pair *c, const uint8_t *pkt, size_t len);

#endif
