/* SPDX-License-Identifier: MIT */
/* Anti-replay window and ESN inference, table-driven (RFC 4303 3.4.3, A2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "replay.h"

struct step {
    uint64_t seq;
    enum replay_verdict want;
};

static void run_steps(uint32_t window, const struct step *s, size_t n)
{
    struct replay r;

    assert_int_equal(replay_init(&r, window), 0);
    for (size_t i = 0; i < n; i++) {
        enum replay_verdict v = replay_check(&r, s[i].seq);

        if (v != s[i].want)
            fail_msg("step %zu seq %llu: got %d want %d", i, (unsigned long long)s[i].seq, v,
                     s[i].want);
        if (v == REPLAY_OK)
            replay_commit(&r, s[i].seq);
    }
    replay_free(&r);
}

#define RUN(w, steps) run_steps(w, steps, sizeof(steps) / sizeof(steps[0]))

static void in_order_and_duplicates(void **state)
{
    (void)state;
    static const struct step s[] = {
        {1, REPLAY_OK},        {2, REPLAY_OK},        {3, REPLAY_OK},
        {2, REPLAY_DUPLICATE}, {3, REPLAY_DUPLICATE}, {0, REPLAY_TOO_OLD},
    };
    RUN(64, s);
}

static void reordered_inside_window(void **state)
{
    (void)state;
    static const struct step s[] = {
        {10, REPLAY_OK},      {5, REPLAY_OK},  {9, REPLAY_OK},         {5, REPLAY_DUPLICATE},
        {74, REPLAY_OK},      {11, REPLAY_OK}, /* 74 - 11 = 63 < 64: still inside */
        {10, REPLAY_TOO_OLD}, {73, REPLAY_OK}, {74, REPLAY_DUPLICATE},
    };
    RUN(64, s);
}

static void jump_far_clears_window(void **state)
{
    (void)state;
    static const struct step s[] = {
        {1, REPLAY_OK},
        {2, REPLAY_OK},
        {100000, REPLAY_OK},
        {99999, REPLAY_OK},
        {1, REPLAY_TOO_OLD},
        {100000 - 63, REPLAY_OK},
        {100000 - 64, REPLAY_TOO_OLD},
    };
    RUN(64, s);
}

/* The ring has 4 blocks for a 64-packet window: seq 266 shares its bit with
 * seq 10, so a block not cleared when the window slid would call 266 a replay. */
static void ring_blocks_cleared(void **state)
{
    (void)state;
    static const struct step s[] = {
        {10, REPLAY_OK},      {300, REPLAY_OK}, {266, REPLAY_OK},     {266, REPLAY_DUPLICATE},
        {74, REPLAY_TOO_OLD}, {330, REPLAY_OK}, {300 - 1, REPLAY_OK},
    };
    RUN(64, s);
}

static void large_window(void **state)
{
    struct replay r;

    (void)state;
    assert_int_equal(replay_init(&r, 65536), 0);
    for (uint64_t s = 1; s <= 200000; s += 2)
        replay_commit(&r, s);
    assert_int_equal(replay_check(&r, 199999), REPLAY_DUPLICATE);
    assert_int_equal(replay_check(&r, 199998), REPLAY_OK);
    assert_int_equal(replay_check(&r, 199999 - 65534), REPLAY_DUPLICATE);
    assert_int_equal(replay_check(&r, 199999 - 65535), REPLAY_OK);
    assert_int_equal(replay_check(&r, 199999 - 65536), REPLAY_TOO_OLD);
    assert_int_equal(replay_count_seen(&r), 32768);
    replay_free(&r);
}

static void window_off(void **state)
{
    (void)state;
    static const struct step s[] = {{5, REPLAY_OK}, {5, REPLAY_OK}, {1, REPLAY_OK}};
    RUN(0, s);
}

struct infer {
    uint64_t top;
    uint32_t seq_lo;
    uint32_t want_high;
};

static void esn_inference(void **state)
{
    static const struct infer t[] = {
        /* case A: window wholly inside one high half */
        {0x100000100ull, 0x101, 1},
        {0x100000100ull, 0xc1, 1},       /* inside the window, behind top */
        {0x100000100ull, 0x5, 2},        /* behind the window: next half */
        {0x1ffffffffull, 0x3, 2},        /* crossing 2^32 forward */
        {0x1fffffff0ull, 0xfffffff5, 1}, /* just ahead, same half */
        /* case B: window straddles the boundary */
        {0x200000010ull, 0xfffffff0, 1}, /* behind, in the previous half */
        {0x200000010ull, 0x20, 2},
        {0x000000010ull, 0xfffffff0, 0}, /* no half before the first */
    };
    struct replay r;

    (void)state;
    assert_int_equal(replay_init(&r, 64), 0);
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        r.top = t[i].top;
        if (replay_infer_high(&r, t[i].seq_lo) != t[i].want_high)
            fail_msg("case %zu: got %u want %u", i, replay_infer_high(&r, t[i].seq_lo),
                     t[i].want_high);
    }
    replay_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(in_order_and_duplicates), cmocka_unit_test(reordered_inside_window),
        cmocka_unit_test(jump_far_clears_window),  cmocka_unit_test(large_window),
        cmocka_unit_test(ring_blocks_cleared),     cmocka_unit_test(window_off),
        cmocka_unit_test(esn_inference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
