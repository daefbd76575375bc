/* SPDX-License-Identifier: MIT */
/* The SA object and the internal calls between the engine's files. */
#ifndef UIPSEC_SA_H
#define UIPSEC_SA_H

#include "crypto.h"
#include "replay.h"
#include "uipsec/uipsec.h"

#include <stdalign.h>
#include <stdatomic.h>

#define IV_POOL_BYTES 512 /* CBC IVs drawn from RAND_bytes 32 at a time */

/* What one thread uses of an SA for the length of one call: its crypto
 * context (cipher contexts hold state), IVs, sequence numbers and counters.
 * An SA starts with one; lane.c adds more when more threads meet on it. */
struct sa_lane {
    atomic_flag busy;
    _Atomic(struct sa_lane *) next; /* the SA's other lanes */
    struct uipsec_crypto crypto;

    uint64_t seq_first, seq_taken; /* outbound: the block this call reserved */
    uint64_t seq_next, seq_left;   /* and what is left of it */
    int seq_short;                 /* the result when it runs out */
    uint16_t ip_id;
    bool has_next_iv;
    uint8_t next_iv[UIPSEC_CBC_IV_LEN];
    uint16_t iv_pool_used;
    uint8_t iv_pool[IV_POOL_BYTES];

    /* Written by the lane's holder only, read by uipsec_sa_get_stats. */
    _Atomic uint64_t packets, bytes, drops[UIPSEC_RESULT_COUNT];
};

struct uipsec_sa {
    struct uipsec_sa_params p; /* a copy, keys included: wiped on free */
    uint8_t iv_len;            /* IV bytes on the wire */
    uint8_t icv_len;           /* ICV bytes on the wire */
    uint8_t block;             /* padding alignment of the encrypted part */
    bool aead;                 /* GCM or ChaCha20-Poly1305: encrypts and authenticates */
    bool gmac;                 /* GMAC: authenticates everything, encrypts nothing */
    uint16_t outer_len;        /* tunnel: outer IP (+ UDP) header bytes */
    bool has_lifetime;         /* any soft or hard limit set */
    uint32_t outer_sum;        /* IPv4 tunnel: header checksum of the constant words */
    uint64_t iv_mask; /* AEAD IVs are seq ^ iv_mask (from the key): unique, not guessable */

    /* What threads write go on cache lines of their own, away from what
     * every packet reads above: outbound, per call ... */
    alignas(64) _Atomic uint64_t seq_out; /* last sequence number reserved */
    _Atomic uint64_t seq_limit;           /* highest one allowed (uipsec_sa_set_seq_limit) */
    _Atomic uint64_t sent;                /* the first number of the block whose turn it is */
    _Atomic uint32_t turn_gen;            /* moves at every release: a futex to sleep on */
    _Atomic uint32_t turn_waiters;        /* threads asleep (or about to be) on it */

    /* ... inbound, per packet: the window, committed under the lock (which
     * also guards adding lanes), checked without it ... */
    alignas(64) atomic_flag lock; /* held for a few instructions only: sa_lock() */
    struct replay replay;

    /* ... and the lifetime totals over all lanes, kept only when has_lifetime */
    alignas(64) _Atomic uint64_t life_packets, life_bytes;
    atomic_bool soft_expired, hard_expired;

    alignas(64) struct sa_lane lane0; /* the first lane, always there; the others follow it */
};

/* The lane of the call in progress on this thread: the engine's files reach
 * it here rather than through a parameter of every function of the four
 * packet paths, all of which already take the SA. */
extern _Thread_local struct sa_lane *sa_lane_now
    __attribute__((tls_model("initial-exec"))); /* no call per access */

/* lane.c: the SA's spin lock. */
void sa_lock(struct uipsec_sa *sa);
void sa_unlock(struct uipsec_sa *sa);

/* lane.c: takes a free lane of sa for this thread (making one if all are
 * taken) and makes it sa_lane_now; lane_leave gives it back and restores
 * the lane of an outer call (a lifetime callback may use another SA). */
struct sa_lane *lane_enter(struct uipsec_sa *sa);
void lane_leave(struct sa_lane *outer);
/* Sets up lane0 (crypto as params say); lane_free_all wipes every lane. */
int lane_init0(struct uipsec_sa *sa);
void lane_free_all(struct uipsec_sa *sa);
/* Outbound: reserves up to n numbers for this call, and gives back what
 * it did not use when no other call reserved meanwhile (so one thread
 * leaves no gaps); blk gets the numbers the call held. */
void lane_seq_reserve(struct uipsec_sa *sa, size_t n);
void lane_seq_release(struct uipsec_sa *sa, struct uipsec_seq_block *blk);

/* The replay window: its top; the final verdict on an authentic packet,
 * under the SA's lock, committing it if new (REPLAY or TOO_OLD if another
 * packet got there first); why a packet found seen or too old at the
 * check still is. */
uint64_t uipsec_sa_replay_top(struct uipsec_sa *sa);
int uipsec_sa_commit_seq(struct uipsec_sa *sa, uint64_t seq);
int uipsec_sa_commit_seq_held(struct uipsec_sa *sa, uint64_t seq); /* lock held */
int uipsec_sa_seq_reason(struct uipsec_sa *sa, uint64_t seq, int was);

/* The next outbound sequence number, or UIPSEC_E_SEQ_EXHAUSTED, or
 * UIPSEC_E_SEQ_RESERVE above the ceiling. */
int uipsec_sa_next_seq(struct uipsec_sa *sa, uint64_t *seq);
/* Checks an inbound sequence number before the ICV: returns the full 64-bit
 * number in *seq (ESN inferred) or UIPSEC_E_REPLAY / UIPSEC_E_TOO_OLD,
 * against the window as it is now, without the lock (replay.h). */
int uipsec_sa_check_seq(struct uipsec_sa *sa, uint32_t seq_lo, uint64_t *seq);
/* sad.c: the low half of the sequence number in a received packet's ESP
 * or AH header, unauthenticated. */
int sad_peek_seq(const uint8_t *pkt, size_t len, bool udp, uint32_t *seq);
/* Fills iv with a fresh IV for the packet with this sequence number. */
void uipsec_sa_make_iv(struct uipsec_sa *sa, uint64_t seq, uint8_t *iv);

#endif
