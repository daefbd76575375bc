/* SPDX-License-Identifier: MIT */
/*
 * The cleartext drops of the SA pairs: the elements of the parent's
 * nftables sets (cleardrop.h) that pair c needs (add: its live inbound
 * PROTECT selectors and its peer) or gives back, queued through the
 * privileged channel; 0, or -1: c must not carry traffic (fail closed).
 * guard_commit sends the queue as one transaction when rc is 0, or takes
 * it back; 0 or -1.
 */
#ifndef UIPSECD_GUARD_H
#define UIPSECD_GUARD_H

#include <stdbool.h>

struct daemon;
struct sa_pair;

int guard_pair(struct daemon *d, struct sa_pair *c, bool add);
int guard_commit(struct daemon *d, int rc);

#endif
