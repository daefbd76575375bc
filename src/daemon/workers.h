/* SPDX-License-Identifier: MIT */
/* The data path's workers (workers.c): how many, and their queues and sockets. */
#ifndef UIPSECD_WORKERS_H
#define UIPSECD_WORKERS_H

struct cfg;
struct daemon;

/* uipsec.workers, or one per CPU this process may run on (at most 64). */
unsigned workers_count(const struct cfg *cfg);
/* As root, after the TUN device is open (multi-queue when d->n_workers >
 * 1): d->workers with each one's TUN queue and sockets.  0, or -1 logged. */
int workers_open(struct daemon *d);
/* Closes what workers_open opened and frees the workers. */
void workers_close(struct daemon *d);

#endif
