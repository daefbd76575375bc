/* SPDX-License-Identifier: MIT */
/* The SA object and the internal calls between the engine's files. */
#ifndef UIPSEC_SA_H
#define UIPSEC_SA_H

#include "crypto.h"
#include "replay.h"
#include "uipsec/uipsec.h"

#define IV_POOL_BYTES 512 /* CBC IVs drawn from RAND_bytes 32 at a time */

struct uipsec_sa {
    struct uipsec_sa_params p; /* a copy, keys included: wiped on free */
    struct uipsec_crypto crypto;
    uint8_t iv_len;     /* IV bytes on the wire */
    uint8_t icv_len;    /* ICV bytes on the wire */
    uint8_t block;      /* padding alignment of the encrypted part */
    bool aead;          /* GCM or ChaCha20-Poly1305: encrypts and authenticates */
    bool gmac;          /* GMAC: authenticates everything, encrypts nothing */
    uint16_t outer_len; /* tunnel: outer IP (+ UDP) header bytes */
    bool has_lifetime;  /* any soft or hard limit set */
    uint32_t outer_sum; /* IPv4 tunnel: header checksum of the constant words */

    /* outbound */
    uint64_t seq_out;   /* last sequence number sent */
    uint64_t seq_limit; /* highest one allowed (uipsec_sa_set_seq_limit) */
    uint64_t iv_mask;   /* AEAD IVs are seq ^ iv_mask (from the key): unique, not guessable */
    uint16_t ip_id;
    bool has_next_iv;
    uint8_t next_iv[UIPSEC_CBC_IV_LEN];
    uint16_t iv_pool_used;
    uint8_t iv_pool[IV_POOL_BYTES];

    /* inbound */
    struct replay replay;

    struct uipsec_sa_stats st;
};

/* The next outbound sequence number, or UIPSEC_E_SEQ_EXHAUSTED, or
 * UIPSEC_E_SEQ_RESERVE above the ceiling. */
int uipsec_sa_next_seq(struct uipsec_sa *sa, uint64_t *seq);
/* Checks an inbound sequence number before the ICV: returns the full 64-bit
 * number in *seq (ESN inferred) or UIPSEC_E_REPLAY / UIPSEC_E_TOO_OLD. */
int uipsec_sa_check_seq(struct uipsec_sa *sa, uint32_t seq_lo, uint64_t *seq);
/* Fills iv with a fresh IV for the packet with this sequence number. */
void uipsec_sa_make_iv(struct uipsec_sa *sa, uint64_t seq, uint8_t *iv);

#endif
