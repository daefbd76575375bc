/* SPDX-License-Identifier: MIT */
/*
 * One SA on several threads: lanes (a crypto context, IVs and counters per
 * thread in a call), blocks of outbound sequence numbers reserved per call,
 * and the turn that puts the blocks on the wire in order.
 */
#define _DEFAULT_SOURCE /* syscall(), for the futex */
#include <linux/futex.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdlib.h>

#include "sa.h"

/* A few instructions are held under the lock: spin politely, and yield
 * only when the holder must have lost its CPU. */
static void relax(unsigned spins)
{
    if (spins > 256)
        sched_yield();
#if defined(__x86_64__) || defined(__i386__)
    else
        __builtin_ia32_pause();
#endif
}

void sa_lock(struct uipsec_sa *sa)
{
    for (unsigned spins = 0; atomic_flag_test_and_set_explicit(&sa->lock, memory_order_acquire);
         spins++)
        relax(spins);
}

void sa_unlock(struct uipsec_sa *sa)
{
    atomic_flag_clear_explicit(&sa->lock, memory_order_release);
}

_Thread_local struct sa_lane *sa_lane_now __attribute__((tls_model("initial-exec")));

static int lane_crypto(const struct uipsec_sa *sa, struct sa_lane *l, enum uipsec_backend want)
{
    const struct uipsec_sa_params *p = &sa->p;
    struct uipsec_crypto_keys keys = {
        .enc = p->proto == UIPSEC_PROTO_ESP ? p->enc : UIPSEC_ENC_NULL,
        .enc_key = p->enc_key,
        .enc_key_len = p->proto == UIPSEC_PROTO_ESP ? p->enc_key_len : 0,
        .integ = p->integ,
        .auth_key = p->auth_key,
        .auth_key_len = p->auth_key_len,
        .icv_len = sa->icv_len,
    };

    l->iv_pool_used = IV_POOL_BYTES; /* empty: filled on first use */
    return uipsec_crypto_init(&l->crypto, want, &keys);
}

int lane_init0(struct uipsec_sa *sa)
{
    atomic_flag_clear(&sa->lane0.busy);
    return lane_crypto(sa, &sa->lane0, sa->p.backend);
}

static void lane_wipe(struct sa_lane *l)
{
    uipsec_crypto_free(&l->crypto);
    OPENSSL_cleanse(l->iv_pool, sizeof(l->iv_pool));
    OPENSSL_cleanse(l->next_iv, sizeof(l->next_iv));
}

void lane_free_all(struct uipsec_sa *sa)
{
    struct sa_lane *l = atomic_load(&sa->lane0.next), *next;

    for (; l; l = next) {
        next = atomic_load(&l->next);
        lane_wipe(l);
        free(l);
    }
    lane_wipe(&sa->lane0);
}

/* A new lane, taken, on the backend lane0 got; NULL without memory.  Its
 * IPv4 IDs start elsewhere than the others' (RFC 6864: unique for as long
 * as a fragment may live, as far as a counter per lane allows). */
static struct sa_lane *lane_add(struct uipsec_sa *sa)
{
    struct sa_lane *l = calloc(1, sizeof(*l));

    if (!l)
        return NULL;
    if (lane_crypto(sa, l, sa->lane0.crypto.backend) != UIPSEC_OK ||
        RAND_bytes((uint8_t *)&l->ip_id, sizeof(l->ip_id)) != 1) {
        lane_wipe(l);
        free(l);
        return NULL;
    }
    atomic_flag_test_and_set(&l->busy);
    sa_lock(sa);
    atomic_store_explicit(&l->next, atomic_load(&sa->lane0.next), memory_order_relaxed);
    atomic_store_explicit(&sa->lane0.next, l, memory_order_release);
    sa_unlock(sa);
    return l;
}

static struct sa_lane *lane_take(struct uipsec_sa *sa)
{
    for (;;) {
        struct sa_lane *l = &sa->lane0, *made;

        for (; l; l = atomic_load_explicit(&l->next, memory_order_acquire))
            if (!atomic_flag_test_and_set_explicit(&l->busy, memory_order_acquire))
                return l;
        if ((made = lane_add(sa)))
            return made;
        sched_yield(); /* no memory for one more: wait for a lane to come free */
    }
}

struct sa_lane *lane_enter(struct uipsec_sa *sa)
{
    struct sa_lane *outer = sa_lane_now;

    sa_lane_now = lane_take(sa);
    return outer;
}

void lane_leave(struct sa_lane *outer)
{
    atomic_flag_clear_explicit(&sa_lane_now->busy, memory_order_release);
    sa_lane_now = outer;
}

void lane_seq_reserve(struct uipsec_sa *sa, size_t n)
{
    struct sa_lane *l = sa_lane_now;
    uint64_t last = sa->p.esn ? UINT64_MAX : UINT32_MAX;
    uint64_t cur = atomic_load(&sa->seq_out), ceiling, take;

    do {
        ceiling = atomic_load(&sa->seq_limit);
        ceiling = ceiling < last ? ceiling : last;
        take = cur >= ceiling ? 0 : ceiling - cur < n ? ceiling - cur : n;
    } while (take && !atomic_compare_exchange_weak(&sa->seq_out, &cur, cur + take));
    l->seq_first = l->seq_next = cur + 1;
    l->seq_taken = l->seq_left = take;
    /* RFC 4303 3.3.3: a sequence number is never sent twice; and one above
     * the ceiling is not yet recorded as used, so it could repeat. */
    l->seq_short = cur + take >= last ? UIPSEC_E_SEQ_EXHAUSTED : UIPSEC_E_SEQ_RESERVE;
}

void lane_seq_release(struct uipsec_sa *sa, struct uipsec_seq_block *blk)
{
    struct sa_lane *l = sa_lane_now;
    uint64_t end = l->seq_first + l->seq_taken - 1; /* the last number reserved */

    blk->first = l->seq_first;
    blk->count = l->seq_taken;
    if (l->seq_left && atomic_compare_exchange_strong(&sa->seq_out, &end, end - l->seq_left))
        blk->count -= l->seq_left;
    l->seq_taken = l->seq_left = 0;
}

int uipsec_sa_next_seq(struct uipsec_sa *sa, uint64_t *seq)
{
    struct sa_lane *l = sa_lane_now;

    (void)sa;
    if (!l->seq_left)
        return l->seq_short;
    l->seq_left--;
    *seq = l->seq_next++;
    return UIPSEC_OK;
}

static bool turn_came(const struct uipsec_sa *sa, const struct uipsec_seq_block *blk)
{
    return atomic_load_explicit(&sa->sent, memory_order_acquire) >= blk->first;
}

/* The turn: blocks are contiguous and in order of reservation, so a block
 * may go once everything before its first number has gone.  The holder
 * before sends its batch, microseconds: spin a little, then sleep on the
 * turn's generation (a futex), for with more runnable threads than CPUs
 * the holder may be off the CPU the waiter spins on. */
UIPSEC_API void uipsec_sa_send_wait(struct uipsec_sa *sa, const struct uipsec_seq_block *blk)
{
    for (unsigned spins = 0; blk->count && !turn_came(sa, blk); spins++) {
        uint32_t gen;

        if (spins < 256) {
            relax(spins);
            continue;
        }
        atomic_fetch_add(&sa->turn_waiters, 1);
        gen = atomic_load(&sa->turn_gen);
        if (!turn_came(sa, blk)) /* a release after this read changed gen: no sleep */
            syscall(SYS_futex, &sa->turn_gen, FUTEX_WAIT_PRIVATE, gen, NULL, NULL, 0);
        atomic_fetch_sub(&sa->turn_waiters, 1);
    }
}

UIPSEC_API void uipsec_sa_send_done(struct uipsec_sa *sa, const struct uipsec_seq_block *blk)
{
    uint64_t next = blk->first + blk->count, cur = atomic_load(&sa->sent);

    if (!blk->count)
        return;
    while (cur < next && !atomic_compare_exchange_weak_explicit(
                             &sa->sent, &cur, next, memory_order_release, memory_order_relaxed))
        ;
    atomic_fetch_add(&sa->turn_gen, 1);
    if (atomic_load(&sa->turn_waiters))
        syscall(SYS_futex, &sa->turn_gen, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

UIPSEC_API bool uipsec_decap_any_order(const struct uipsec_sa *sa, const struct uipsec_buf *bufs,
                                       size_t n)
{
    bool udp = sa->p.proto == UIPSEC_PROTO_ESP && sa->p.udp_dport;
    int64_t lo = 0, hi = 0;
    uint32_t first = 0, seq;
    bool any = false;

    if (sa->p.dir != UIPSEC_DIR_IN)
        return false;
    if (!sa->replay.window)
        return true;
    for (size_t i = 0; i < n; i++) {
        int64_t d;

        /* a packet without a number is dropped in any order */
        if (sad_peek_seq(bufs[i].base + bufs[i].off, bufs[i].len, udp, &seq) != UIPSEC_OK)
            continue;
        if (!any)
            first = seq, any = true;
        d = (int32_t)(seq - first); /* the low halves wrap with ESN */
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    return hi - lo < (int64_t)sa->replay.window;
}
