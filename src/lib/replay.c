/* SPDX-License-Identifier: MIT */
#include "replay.h"

#include <stdlib.h>

/* Window sizes are rounded up to whole blocks, plus one spare block so the
 * block holding `top` never overlaps the oldest block still in the window. */
int replay_init(struct replay *r, uint32_t window)
{
    uint32_t need = window / 64 + 2;

    r->top = 0;
    r->window = window;
    r->nblocks = 1;
    while (r->nblocks < need)
        r->nblocks <<= 1;
    r->bits = calloc(r->nblocks, sizeof(*r->bits));
    return r->bits ? 0 : -1;
}

void replay_free(struct replay *r)
{
    free(r->bits);
    r->bits = NULL;
}

static uint64_t *block_of(const struct replay *r, uint64_t seq)
{
    return &r->bits[(seq >> 6) & (r->nblocks - 1)];
}

static uint64_t bit_of(uint64_t seq)
{
    return 1ull << (seq & 63);
}

enum replay_verdict replay_check(const struct replay *r, uint64_t seq)
{
    if (seq == 0)
        return REPLAY_TOO_OLD; /* sequence numbers start at 1 */
    if (r->window == 0 || seq > r->top)
        return REPLAY_OK;
    if (r->top - seq >= r->window)
        return REPLAY_TOO_OLD;
    return (*block_of(r, seq) & bit_of(seq)) ? REPLAY_DUPLICATE : REPLAY_OK;
}

void replay_commit(struct replay *r, uint64_t seq)
{
    if (r->window == 0) {
        if (seq > r->top)
            r->top = seq;
        return;
    }
    if (seq > r->top) {
        uint64_t steps = (seq >> 6) - (r->top >> 6);

        if (steps > r->nblocks)
            steps = r->nblocks;
        for (uint64_t i = 1; i <= steps; i++)
            *block_of(r, (r->top >> 6 << 6) + (i << 6)) = 0;
        r->top = seq;
    }
    *block_of(r, seq) |= bit_of(seq);
}

uint32_t replay_infer_high(const struct replay *r, uint32_t seq_lo)
{
    /* Without a window, infer as if it were 2^31: half the space behind. */
    uint32_t w = r->window ? r->window : 0x80000000u;
    uint32_t tl = (uint32_t)r->top;
    uint32_t th = (uint32_t)(r->top >> 32);
    uint32_t bottom = tl - w + 1; /* wraps on purpose in case B */

    if (tl >= w - 1)
        return seq_lo >= bottom ? th : th + 1;
    if (seq_lo >= bottom)
        return th ? th - 1 : 0; /* before the SA's first high half */
    return th;
}

uint32_t replay_count_seen(const struct replay *r)
{
    uint32_t n = 0;

    for (uint64_t i = 0; i < r->window && i < r->top; i++) {
        uint64_t seq = r->top - i;

        n += (*block_of(r, seq) & bit_of(seq)) != 0;
    }
    return n;
}
