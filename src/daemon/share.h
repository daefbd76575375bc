/* SPDX-License-Identifier: MIT */
/*
 * One SA's received packets decrypted by several workers.  The kernel
 * gives all of an SA's packets to the one worker its SPI names
 * (net_spread.c), so without this a single busy tunnel would decrypt on
 * one core beside idle ones.  When that worker holds a long run of one
 * SA's packets and other workers sit idle in epoll_wait, it offers parts
 * of the run to them, decrypts its own part, takes back any part nobody
 * took, waits for the others, and delivers the whole batch in order.  The
 * engine lets several threads decapsulate on one SA (lanes, and a replay
 * window checked before and committed after authentication).
 *
 * A helper holds no lock: the offering worker holds the SA lock to read
 * until every part is done, which keeps the SA alive, and the helper
 * touches nothing else that the IKE thread may change.
 */
#ifndef UIPSECD_SHARE_H
#define UIPSECD_SHARE_H

#include <stdbool.h>
#include <stddef.h>

#include "uipsec/uipsec.h"

struct share;
struct dp_worker;

/* For n workers (at most 64): NULL without memory or file descriptors. */
struct share *share_new(unsigned n);
void share_free(struct share *s);
/* The event worker id watches: another worker has offered it work. */
int share_fd(const struct share *s, unsigned id);
/* Around epoll_wait: only idle workers are offered work. */
void share_idle(struct share *s, unsigned id, bool idle);
/* Worker w woke on its share_fd: decrypts whatever is on offer. */
void share_help(struct share *s, struct dp_worker *w);
/* uipsec_decap(sa, bufs, n), with idle workers decrypting parts of it;
 * called holding the SA lock to read. */
void share_decap(struct share *s, struct dp_worker *w, struct uipsec_sa *sa,
                 struct uipsec_buf *bufs, size_t n);

#endif
