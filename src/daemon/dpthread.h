/* SPDX-License-Identifier: MIT */
/*
 * uipsecd's unprivileged process runs the IKE thread and one or more
 * data-path workers (uipsec.workers, default one per core), so that IKE
 * work (a flood of IKE_SA_INIT, a responder's key exchanges) cannot stall
 * ESP, and ESP is not held to one core: each worker reads its queue of
 * the TUN device and its sockets and protects and unprotects packets; the
 * IKE thread does everything else (IKE, control, timers, signals).  The
 * SAs, policies and struct sa_pair are guarded by one reader-writer lock
 * that prefers writers: workers hold it to read while they work on one
 * batch (several at once), the IKE thread holds it to write except while
 * it waits for events and while it computes a responder's key exchange
 * (ike.c), and lets waiting workers in between two pieces of work (one
 * event, one datagram), so each waits for the other at most one batch or
 * one piece of IKE work.  What the data path needs from IKE goes through
 * handoff.h.
 */
#ifndef UIPSECD_DPTHREAD_H
#define UIPSECD_DPTHREAD_H

struct daemon;

int dp_thread_start(struct daemon *d); /* 0, or -1 logged */
void dp_thread_stop(struct daemon *d); /* waits for it to end */

/* The IKE thread's hold of the lock (no-ops before the lock exists: a
 * fuzzer drives the IKE code alone). */
void sa_write_lock(struct daemon *d);
void sa_write_unlock(struct daemon *d);
/* Between two pieces of IKE work: lets a waiting data path have its
 * batch first. */
void sa_write_yield(struct daemon *d);

#endif
