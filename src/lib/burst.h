/* SPDX-License-Identifier: MIT */
/*
 * A batch goes through the engine in bursts of up to UIPSEC_BURST_MAX
 * packets, each in three passes: prepare every packet (checks, sequence
 * number, headers, replay check), run the crypto of the whole burst, then
 * finish every packet in order (ICV, replay window, delivery, counters).
 * The crypto may complete in any order; everything that depends on the
 * packets before (the replay window, lifetimes) happens in the finish pass.
 */
#ifndef UIPSEC_BURST_H
#define UIPSEC_BURST_H

#include "ip.h"
#include "sa.h"

#define BURST_HDR_POOL (UIPSEC_BURST_MAX * 64) /* AH: IP headers saved meanwhile */
#define BURST_FULL     (-1)                    /* prepare: retry this packet in the next burst */
#define BURST_ICV_MAX  32                      /* longest ICV of any suite */

struct esp_out_pkt {
    uint8_t *icv;
    uint8_t head[8];   /* tunnel: the inner header's TOS and DF, for the outer */
    struct ip_info ip; /* transport: the packet's own headers */
    uint32_t off, len; /* the buffer once sealed */
};

struct esp_in_pkt {
    struct ip_info ip;
    uint8_t *esp, *ct;
    size_t ct_len;
    uint8_t got[BURST_ICV_MAX]; /* the ICV as received */
};

struct ah_pkt {
    struct ip_info ip;
    uint8_t *pkt, *ah;
    size_t total;
    uint16_t saved; /* where in the pool the IP headers wait */
    uint8_t got[BURST_ICV_MAX];
};

struct burst_pkt {
    int rc;      /* prepare's verdict; on decap up to the replay check */
    int late_rc; /* decap: what followed the replay check (room, ICV) */
    size_t inner_len;
    uint64_t seq;
    uint32_t seq_lo; /* decap: as received */
    union {
        struct esp_out_pkt out;
        struct esp_in_pkt in;
        struct ah_pkt ah;
    } u;
};

struct burst {
    struct burst_pkt pkts[UIPSEC_BURST_MAX];
    struct uipsec_crypto_job jobs[UIPSEC_BURST_MAX];
    uint64_t top; /* decap: the replay window's top once the burst's packets are in */
    size_t pool_used;
    uint8_t pool[BURST_HDR_POOL];
};

/* The three passes of each of the four packet paths.  prepare fills
 * bu->pkts[i] (rc aside, which the caller sets from its return value) and,
 * for work left to the burst, bu->jobs[i]; it returns BURST_FULL, having
 * changed nothing, when the packet does not fit in this burst.  finish
 * returns the packet's result and sets inner_len on success. */
struct burst_path {
    int (*prepare)(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst *bu, size_t i);
    void (*crypto)(struct uipsec_sa *sa, struct burst *bu, size_t n);
    int (*finish)(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst *bu, size_t i);
};

extern const struct burst_path esp_out_path, esp_in_path, ah_out_path, ah_in_path;

/* ESP of AEAD and GMAC suites, whose crypto runs in prepare: one packet
 * through both passes at once. */
int esp_out_one(struct uipsec_sa *sa, struct uipsec_buf *b, size_t *inner_len);
/* Decap of those: esp_in_open checks and opens one packet and returns its
 * verdict before the window's commit (uipsec_sa_commit_seq_held, for a
 * run of packets under one hold of the lock); esp_in_deliver then makes
 * an authentic, committed packet its inner packet. */
int esp_in_open(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst_pkt *p);
int esp_in_deliver(struct uipsec_sa *sa, struct uipsec_buf *b, struct burst_pkt *p);

/* The crypto pass of most paths: the jobs as prepared, encrypting. */
void burst_run_jobs(struct uipsec_sa *sa, struct burst *bu, size_t n);

/* Decap: the replay check in prepare, against the window as the burst found
 * it, its top moved to *top by the packets before (see datapath.c; NULL: a
 * burst of one); sets
 * p->seq_lo and p->seq, or returns BURST_FULL.  Then, in finish, the
 * packet's result up to the window's commit: the check again, in order,
 * then late_rc. */
int burst_check_seq(struct uipsec_sa *sa, uint64_t *top, struct burst_pkt *p, uint32_t seq_lo);
int burst_in_verdict(struct uipsec_sa *sa, const struct burst_pkt *p);

#endif
