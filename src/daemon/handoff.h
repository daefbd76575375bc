/* SPDX-License-Identifier: MIT */
/*
 * What the data-path workers hand to the IKE thread (dpthread.h): IKE
 * datagrams that came on UDP 4500 (the workers' sockets, RFC 3948 2.2)
 * and the first packet of a trap.  Workers fill a slot while they hold the
 * SA lock to read (one at a time: a mutex), the IKE thread empties the
 * slots while it holds it to write: the two sides never touch the queue at
 * once, and neither waits for the other's work.  A full queue drops, as
 * does a trap's packet too large for a slot (counted ike-handoff-dropped);
 * the slots are allocated once.
 */
#ifndef UIPSECD_HANDOFF_H
#define UIPSECD_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;
struct sa_pair;

int handoff_open(struct daemon *d); /* 0 or -1 */
void handoff_close(struct daemon *d);
/* The IKE thread's event: something waits in the queue (-1: no queue). */
int handoff_fd(const struct daemon *d);
/* Data path: queues an IKE datagram (trap NULL: the IPv4 and UDP headers
 * and the datagram, as ike_input_encap takes it) or trap's packet. */
void handoff_push(struct daemon *d, struct sa_pair *trap, const uint8_t *pkt, size_t len);
/* Data path, after it let go of the lock: wakes the IKE thread if it
 * queued anything. */
void handoff_kick(struct daemon *d);
/* IKE thread, holding the lock to write: runs what was queued. */
void handoff_drain(struct daemon *d);
/* c goes away: entries for it are dropped (pairs.c). */
void handoff_forget(struct daemon *d, const struct sa_pair *c);

#endif
