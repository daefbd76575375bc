/* SPDX-License-Identifier: MIT */
#include "replay.h"

#include <stdlib.h>

/* Window sizes are rounded up to whole blocks, plus one spare block so the
 * block holding `top` never overlaps the oldest block still in the window. */
int replay_init(struct replay *r, uint32_t window)
{
    uint32_t need = window / 64 + 2;

    atomic_init(&r->top, 0);
    r->window = window;
    r->nblocks = 1;
    while (r->nblocks < need)
        r->nblocks <<= 1;
    r->bits = calloc(r->nblocks, sizeof(*r->bits));
    return r->bits ? 0 : -1;
}

void replay_free(struct replay *r)
{
    free((void *)r->bits);
    r->bits = NULL;
}

static _Atomic uint64_t *block_of(const struct replay *r, uint64_t seq)
{
    return &r->bits[(seq >> 6) & (r->nblocks - 1)];
}

static uint64_t bit_of(uint64_t seq)
{
    return 1ull << (seq & 63);
}

/* Relaxed: the one writer holds the SA's lock; a reader beside it needs no
 * order but the top's (below). */
static uint64_t load(_Atomic uint64_t *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

static void store(_Atomic uint64_t *a, uint64_t v)
{
    atomic_store_explicit(a, v, memory_order_relaxed);
}

/* A reader that sees a new top also sees the blocks cleared before it. */
uint64_t replay_top(const struct replay *r)
{
    return atomic_load_explicit((_Atomic uint64_t *)&r->top, memory_order_acquire);
}

void replay_raise_top(struct replay *r, uint64_t top)
{
    if (top > replay_top(r))
        atomic_store_explicit(&r->top, top, memory_order_release);
}

enum replay_verdict replay_check(const struct replay *r, uint64_t seq)
{
    uint64_t top = replay_top(r);

    if (seq == 0)
        return REPLAY_TOO_OLD; /* sequence numbers start at 1 */
    if (r->window == 0 || seq > top)
        return REPLAY_OK;
    if (top - seq >= r->window)
        return REPLAY_TOO_OLD;
    return (load(block_of(r, seq)) & bit_of(seq)) ? REPLAY_DUPLICATE : REPLAY_OK;
}

void replay_commit(struct replay *r, uint64_t seq)
{
    uint64_t top = replay_top(r);

    if (r->window == 0) {
        replay_raise_top(r, seq);
        return;
    }
    if (seq > top) {
        uint64_t steps = (seq >> 6) - (top >> 6);

        if (steps > r->nblocks)
            steps = r->nblocks;
        for (uint64_t i = 1; i <= steps; i++)
            store(block_of(r, (top >> 6 << 6) + (i << 6)), 0);
        replay_raise_top(r, seq);
    }
    store(block_of(r, seq), load(block_of(r, seq)) | bit_of(seq));
}

uint32_t replay_infer_high(const struct replay *r, uint32_t seq_lo)
{
    return replay_infer_high_at(r, replay_top(r), seq_lo);
}

uint32_t replay_infer_high_at(const struct replay *r, uint64_t top, uint32_t seq_lo)
{
    /* Without a window, infer as if it were 2^31: half the space behind. */
    uint32_t w = r->window ? r->window : 0x80000000u;
    uint32_t tl = (uint32_t)top;
    uint32_t th = (uint32_t)(top >> 32);
    uint32_t bottom = tl - w + 1; /* wraps on purpose in case B */

    if (tl >= w - 1)
        return seq_lo >= bottom ? th : th + 1;
    if (seq_lo >= bottom)
        return th ? th - 1 : 0; /* before the SA's first high half */
    return th;
}

uint32_t replay_count_seen(const struct replay *r)
{
    uint64_t top = replay_top(r);
    uint32_t n = 0;

    for (uint64_t i = 0; i < r->window && i < top; i++) {
        uint64_t seq = top - i;

        n += (load(block_of(r, seq)) & bit_of(seq)) != 0;
    }
    return n;
}
