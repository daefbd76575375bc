/* SPDX-License-Identifier: MIT */
/*
 * steer_queue (src/daemon/steer.c): both directions of a flow get the
 * same queue, flows spread over the queues, and a packet too short for
 * what it claims is never read past its end (the buffers here are exactly
 * the packet's size, under ASan in CI).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "steer.h"

/* An IPv4 (or IPv6) TCP packet's headers of flow (a, b, sp, dp). */
static size_t make(uint8_t *p, int family, uint32_t a, uint32_t b, uint16_t sp, uint16_t dp)
{
    size_t l3 = family == 4 ? 20 : 40, off = family == 4 ? 12 : 8, alen = family == 4 ? 4 : 16;

    memset(p, 0, l3 + 20);
    p[0] = family == 4 ? 0x45 : 0x60;
    p[family == 4 ? 9 : 6] = 6;
    for (size_t i = 0; i < alen; i++) {
        p[off + i] = (uint8_t)(a >> (8 * (i % 4)) ^ i);
        p[off + alen + i] = (uint8_t)(b >> (8 * (i % 4)) ^ i);
    }
    p[l3] = (uint8_t)(sp >> 8), p[l3 + 1] = (uint8_t)sp;
    p[l3 + 2] = (uint8_t)(dp >> 8), p[l3 + 3] = (uint8_t)dp;
    return l3 + 20;
}

static void symmetric_and_spread(int family)
{
    unsigned seen[4] = {0};
    uint8_t fwd[60], rev[60];

    srand(7);
    for (int i = 0; i < 400; i++) {
        uint32_t a = (uint32_t)rand(), b = (uint32_t)rand();
        uint16_t sp = (uint16_t)rand(), dp = (uint16_t)rand();
        size_t n = make(fwd, family, a, b, sp, dp);
        unsigned q = steer_queue(fwd, n, 4);

        make(rev, family, b, a, dp, sp);
        assert_true(q < 4);
        assert_int_equal(steer_queue(rev, n, 4), q);
        seen[q]++;
    }
    for (int q = 0; q < 4; q++) /* 100 expected each */
        assert_true(seen[q] > 50);
}

static void v4(void **state)
{
    (void)state;
    symmetric_and_spread(4);
}

static void v6(void **state)
{
    (void)state;
    symmetric_and_spread(6);
}

/* Every length short of the headers, in a buffer of exactly that length:
 * some queue, and nothing read beyond (ASan). */
static void short_packets(void **state)
{
    uint8_t full[60];
    size_t n;

    (void)state;
    for (int family = 4; family <= 6; family += 2) {
        n = make(full, family, 1, 2, 3, 4);
        full[0] = family == 4 ? 0x4f : 0x60; /* IPv4: a header length of 60 */
        for (size_t len = 0; len <= n; len++) {
            uint8_t *p = malloc(len ? len : 1);

            memcpy(p, full, len);
            assert_true(steer_queue(p, len, 3) < 3);
            free(p);
        }
    }
    assert_int_equal(steer_queue(full, n, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(v4),
        cmocka_unit_test(v6),
        cmocka_unit_test(short_packets),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
