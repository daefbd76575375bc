/* SPDX-License-Identifier: MIT */
/*
 * Anti-replay window (RFC 4303 3.4.3) as a ring of 64-bit blocks (RFC 6479):
 * sliding the window clears whole blocks, so check and update are O(1) for
 * any window size.  Two phases: replay_check before the ICV is verified,
 * replay_commit after, so forged packets never move the window.
 *
 * One writer at a time (the SA's lock), readers at any time: replay_check
 * may run beside a commit and then answers for the window a moment ago,
 * which is all a check before the ICV needs (the commit checks again).
 */
#ifndef UIPSEC_REPLAY_H
#define UIPSEC_REPLAY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define REPLAY_MAX_WINDOW 65536u

struct replay {
    _Atomic uint64_t top; /* highest sequence number committed (0: none yet) */
    uint32_t window;      /* packets; 0 = anti-replay off */
    uint32_t nblocks;     /* power of two, > window / 64 */
    _Atomic uint64_t *bits;
};

/* Returns 0, or -1 on allocation failure. window must be <= REPLAY_MAX_WINDOW. */
int replay_init(struct replay *r, uint32_t window);
void replay_free(struct replay *r);

enum replay_verdict { REPLAY_OK, REPLAY_DUPLICATE, REPLAY_TOO_OLD };
enum replay_verdict replay_check(const struct replay *r, uint64_t seq);
void replay_commit(struct replay *r, uint64_t seq);

uint64_t replay_top(const struct replay *r);
/* Moves the top forward without marking anything seen (writer only). */
void replay_raise_top(struct replay *r, uint64_t top);

/* The high half of the 64-bit sequence number whose low half is seq_lo
 * (RFC 4303 Appendix A2.2), from the window's top now, or from top. */
uint32_t replay_infer_high(const struct replay *r, uint32_t seq_lo);
uint32_t replay_infer_high_at(const struct replay *r, uint64_t top, uint32_t seq_lo);

/* How many packets inside the current window were seen. */
uint32_t replay_count_seen(const struct replay *r);

#endif
