/* SPDX-License-Identifier: MIT */
/* The batch entry points: bursts of packets through their passes (burst.h),
 * counters and lifetimes. */
#include "burst.h"

static bool buf_ok(const struct uipsec_buf *b)
{
    return b->base && b->off <= b->cap && b->len <= b->cap - b->off;
}

static void fire(struct uipsec_sa *sa, enum uipsec_lifetime_event ev)
{
    if (sa->p.on_lifetime)
        sa->p.on_lifetime(sa->p.cb_arg, sa, ev);
}

static bool over(uint64_t value, uint64_t limit)
{
    return limit && value >= limit;
}

/* Only the lane's holder writes its counters: no atomic add needed. */
static void bump(_Atomic uint64_t *c, uint64_t by)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by,
                          memory_order_relaxed);
}

/* Counts a delivered packet and reports each lifetime limit once.  The
 * packet that reaches the hard limit still goes; the next one does not
 * (with several threads on the SA, the packets their calls already had
 * under way go too). */
static void account(struct uipsec_sa *sa, size_t inner_len)
{
    const struct uipsec_lifetime *lt = &sa->p.lifetime;
    uint64_t packets, bytes;

    bump(&sa_lane_now->packets, 1);
    bump(&sa_lane_now->bytes, inner_len);
    if (!sa->has_lifetime)
        return;
    packets = atomic_fetch_add(&sa->life_packets, 1) + 1;
    bytes = atomic_fetch_add(&sa->life_bytes, inner_len) + inner_len;
    if ((over(packets, lt->soft_packets) || over(bytes, lt->soft_bytes)) &&
        !atomic_exchange(&sa->soft_expired, true))
        fire(sa, UIPSEC_LIFETIME_SOFT);
    if ((over(packets, lt->hard_packets) || over(bytes, lt->hard_bytes)) &&
        !atomic_exchange(&sa->hard_expired, true))
        fire(sa, UIPSEC_LIFETIME_HARD);
}

/* The direction is the caller's to get right and the same for the whole
 * batch; the lifetime can run out in the middle of one. */
static int precheck(const struct uipsec_sa *sa, const struct uipsec_buf *b, bool dir_ok)
{
    if (!buf_ok(b))
        return UIPSEC_E_PARAM;
    if (!dir_ok)
        return UIPSEC_E_DIRECTION;
    if (atomic_load_explicit(&sa->hard_expired, memory_order_relaxed))
        return UIPSEC_E_LIFETIME;
    return UIPSEC_OK;
}

/* A burst ends early where its packets could reach the hard lifetime (each
 * counted with its buffer's length, at least its inner length), so that
 * the packets after see the limit in precheck as they would one by one. */
static bool may_expire(const struct uipsec_sa *sa, uint64_t packets, uint64_t bytes)
{
    const struct uipsec_lifetime *lt = &sa->p.lifetime;

    return sa->has_lifetime && (over(atomic_load(&sa->life_packets) + packets, lt->hard_packets) ||
                                over(atomic_load(&sa->life_bytes) + bytes, lt->hard_bytes));
}

/* AEAD and GMAC packets are sealed or opened in prepare (the direct API of
 * ipsec-mb has no bursts): bursts of one finish each while its headers are
 * still in cache. */
static size_t burst_limit(const struct uipsec_sa *sa)
{
    return sa->aead || sa->gmac ? 1 : UIPSEC_BURST_MAX;
}

/* The first pass: returns how many packets the burst took (at least one). */
static size_t prepare_all(struct uipsec_sa *sa, const struct burst_path *path, bool dir_ok,
                          struct uipsec_buf *bufs, size_t n, struct burst *bu)
{
    size_t i, limit = burst_limit(sa);
    uint64_t bytes = 0;

    bu->pool_used = 0;
    bu->top = sa->p.dir == UIPSEC_DIR_IN ? uipsec_sa_replay_top(sa) : 0;
    for (i = 0; i < n && i < limit; i++) {
        int rc = precheck(sa, &bufs[i], dir_ok);

        bu->jobs[i].iv = NULL;
        bu->jobs[i].auth = NULL;
        bu->pkts[i].inner_len = 0;
        bu->pkts[i].late_rc = UIPSEC_OK;
        bytes += bufs[i].len;
        if (rc == UIPSEC_OK)
            rc = path->prepare(sa, &bufs[i], bu, i);
        if (rc == BURST_FULL)
            break;
        bu->pkts[i].rc = rc;
        if (may_expire(sa, i + 1, bytes))
            return i + 1;
    }
    return i;
}

static size_t finish(struct uipsec_sa *sa, struct uipsec_buf *b, int rc, size_t inner_len)
{
    b->result = rc;
    if (rc == UIPSEC_OK) {
        account(sa, inner_len);
        return 1;
    }
    bump(&sa_lane_now->drops[rc], 1);
    return 0;
}

static size_t run(struct uipsec_sa *sa, const struct burst_path *path, bool dir_ok,
                  struct uipsec_buf *bufs, size_t n)
{
    struct burst bu;
    size_t ok = 0;

    while (n > 0) {
        size_t k = prepare_all(sa, path, dir_ok, bufs, n, &bu);

        path->crypto(sa, &bu, k);
        for (size_t i = 0; i < k; i++) {
            int rc = path->finish(sa, &bufs[i], &bu, i); /* sets inner_len */

            ok += finish(sa, &bufs[i], rc, bu.pkts[i].inner_len);
        }
        bufs += k;
        n -= k;
    }
    return ok;
}

/* AEAD and GMAC packets are sealed in prepare (the direct API of ipsec-mb
 * has no bursts): one packet at a time, both passes at once, keeps a
 * packet's state in registers, which measured 10-15% faster for them. */
static size_t seal_each(struct uipsec_sa *sa, bool dir_ok, struct uipsec_buf *bufs, size_t n)
{
    size_t ok = 0;

    for (size_t i = 0; i < n; i++) {
        size_t inner_len = 0;
        int rc = precheck(sa, &bufs[i], dir_ok);

        if (rc == UIPSEC_OK)
            rc = esp_out_one(sa, &bufs[i], &inner_len);
        ok += finish(sa, &bufs[i], rc, inner_len);
    }
    return ok;
}

/* How many of the next n packets of AEAD decap go together: up to a
 * burst's worth, fewer where their buffers could reach the hard lifetime
 * (as prepare_all ends a burst). */
static size_t open_run(const struct uipsec_sa *sa, const struct uipsec_buf *bufs, size_t n)
{
    uint64_t bytes = 0;
    size_t k = 0;

    while (k < n && k < UIPSEC_BURST_MAX) {
        bytes += bufs[k++].len;
        if (may_expire(sa, k, bytes))
            break;
    }
    return k;
}

/* AEAD and GMAC decap: each packet checked and opened at once (its state
 * still in registers and cache), then the window takes the authentic ones
 * of the run in order under one hold of the lock (a lock per packet moved
 * its cache line between cores per packet when threads share the SA),
 * then they are delivered. */
static size_t open_each(struct uipsec_sa *sa, bool dir_ok, struct uipsec_buf *bufs, size_t n)
{
    struct burst_pkt p[UIPSEC_BURST_MAX];
    size_t ok = 0;

    while (n > 0) {
        size_t k = open_run(sa, bufs, n);

        for (size_t i = 0; i < k; i++)
            if ((p[i].rc = precheck(sa, &bufs[i], dir_ok)) == UIPSEC_OK)
                p[i].rc = esp_in_open(sa, &bufs[i], &p[i]);
            else
                p[i].inner_len = 0;
        sa_lock(sa);
        for (size_t i = 0; i < k; i++)
            if (p[i].rc == UIPSEC_OK)
                p[i].rc = uipsec_sa_commit_seq_held(sa, p[i].seq);
        sa_unlock(sa);
        for (size_t i = 0; i < k; i++) {
            int rc = p[i].rc == UIPSEC_OK ? esp_in_deliver(sa, &bufs[i], &p[i]) : p[i].rc;

            ok += finish(sa, &bufs[i], rc, p[i].inner_len);
        }
        bufs += k;
        n -= k;
    }
    return ok;
}

static size_t encap_all(struct uipsec_sa *sa, struct uipsec_buf *bufs, size_t n)
{
    bool dir_ok = sa->p.dir == UIPSEC_DIR_OUT;

    if (sa->p.proto == UIPSEC_PROTO_AH)
        return run(sa, &ah_out_path, dir_ok, bufs, n);
    if (sa->aead || sa->gmac)
        return seal_each(sa, dir_ok, bufs, n);
    return run(sa, &esp_out_path, dir_ok, bufs, n);
}

/* The call's block of numbers is reserved before any packet and what it
 * did not use given back after (lane.c). */
UIPSEC_API size_t uipsec_encap_seq(struct uipsec_sa *sa, struct uipsec_buf *bufs, size_t n,
                                   struct uipsec_seq_block *blk)
{
    struct sa_lane *outer = lane_enter(sa);
    size_t ok;

    lane_seq_reserve(sa, sa->p.dir == UIPSEC_DIR_OUT ? n : 0);
    ok = encap_all(sa, bufs, n);
    lane_seq_release(sa, blk);
    lane_leave(outer);
    return ok;
}

/* Takes its turn like any block (at once on one thread), so that it never
 * lets the blocks after it go before one still held. */
UIPSEC_API size_t uipsec_encap(struct uipsec_sa *sa, struct uipsec_buf *bufs, size_t n)
{
    struct uipsec_seq_block blk;
    size_t ok = uipsec_encap_seq(sa, bufs, n, &blk);

    uipsec_sa_send_wait(sa, &blk);
    uipsec_sa_send_done(sa, &blk);
    return ok;
}

UIPSEC_API size_t uipsec_decap(struct uipsec_sa *sa, struct uipsec_buf *bufs, size_t n)
{
    struct sa_lane *outer = lane_enter(sa);
    bool dir_ok = sa->p.dir == UIPSEC_DIR_IN;
    size_t ok;

    if (sa->p.proto == UIPSEC_PROTO_AH)
        ok = run(sa, &ah_in_path, dir_ok, bufs, n);
    else if (sa->aead || sa->gmac)
        ok = open_each(sa, dir_ok, bufs, n);
    else
        ok = run(sa, &esp_in_path, dir_ok, bufs, n);
    lane_leave(outer);
    return ok;
}

void burst_run_jobs(struct uipsec_sa *sa, struct burst *bu, size_t n)
{
    (void)sa; /* the crypto context is the lane's */
    uipsec_crypto_burst(&sa_lane_now->crypto, false, bu->jobs, n);
}

/* The replay check in prepare, against the window as the burst found it.
 * With ESN the high half is inferred from the window's top (RFC 4303 A2.2),
 * which the packets before in the burst may move: a packet whose number
 * they could change waits for the next burst.  The inference only grows
 * with the top, so one that agrees at both ends agrees in between.  Other
 * threads may move the window too: the packet is then authenticated with
 * the number read here, and finish commits that number or refuses it. */
int burst_check_seq(struct uipsec_sa *sa, uint64_t *top, struct burst_pkt *p, uint32_t seq_lo)
{
    int rc = UIPSEC_OK;

    if (top && sa->p.esn) {
        uint64_t now = replay_top(&sa->replay);

        if (*top != now && replay_infer_high_at(&sa->replay, now, seq_lo) !=
                               replay_infer_high_at(&sa->replay, *top, seq_lo))
            rc = BURST_FULL;
    }
    if (rc == UIPSEC_OK) {
        p->seq_lo = seq_lo;
        rc = uipsec_sa_check_seq(sa, seq_lo, &p->seq);
        if (rc == UIPSEC_OK && top && p->seq > *top)
            *top = p->seq;
    }
    return rc;
}

/* The verdict up to the window's commit, as one by one: the check again,
 * against the window the packets before left, on the number read in
 * prepare (the one the packet was authenticated with); then what followed
 * the check.  The commit checks once more: other threads. */
int burst_in_verdict(struct uipsec_sa *sa, const struct burst_pkt *p)
{
    int rc;

    if (p->rc != UIPSEC_OK && p->rc != UIPSEC_E_REPLAY && p->rc != UIPSEC_E_TOO_OLD)
        return p->rc; /* failed before the replay check */
    rc = uipsec_sa_seq_reason(sa, p->seq, p->rc);
    return rc != UIPSEC_OK ? rc : p->late_rc;
}
