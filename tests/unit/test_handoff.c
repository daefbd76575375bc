/* SPDX-License-Identifier: MIT */
/*
 * The data path's queue to the IKE thread (src/daemon/handoff.c): what
 * goes in comes out in order; a trap hands over one packet until the IKE
 * thread took it (the rest counted trap-pending); a full queue and a trap
 * packet too large drop, counted; an IKE datagram too large is malformed;
 * an entry whose trap went away is skipped.  The IKE side is stubbed:
 * this records what reaches it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon.h"
#include "dpthread.h"
#include "handoff.h"
#include "ike.h"
#include "pairs.h"

static unsigned n_ike, n_trap, yields;
static uint8_t first_byte[600];
static size_t last_len;

void ike_input_encap(struct daemon *d, const uint8_t *pkt, size_t len)
{
    (void)d;
    first_byte[n_ike + n_trap] = pkt[0];
    last_len = len;
    n_ike++;
}

void ike_trap_fire(struct daemon *d, struct sa_pair *trap, const uint8_t *pkt, size_t len)
{
    (void)d;
    assert_false(trap->handed); /* taken off before it runs */
    first_byte[n_ike + n_trap] = pkt[0];
    last_len = len;
    n_trap++;
}

void sa_write_yield(struct daemon *d)
{
    (void)d;
    yields++;
}

static struct daemon d;

static int setup(void **state)
{
    (void)state;
    memset(&d, 0, sizeof(d));
    n_ike = n_trap = yields = 0;
    return handoff_open(&d);
}

static int teardown(void **state)
{
    (void)state;
    handoff_close(&d);
    return 0;
}

static void in_order(void **state)
{
    static struct sa_pair trap = {.trap = true};
    uint8_t pkt[100];

    (void)state;
    for (uint8_t i = 0; i < 5; i++) {
        memset(pkt, i, sizeof(pkt));
        handoff_push(&d, i == 2 ? &trap : NULL, pkt, sizeof(pkt) - i);
    }
    assert_true(trap.handed);
    handoff_kick(&d);
    handoff_drain(&d);
    assert_int_equal(n_ike, 4);
    assert_int_equal(n_trap, 1);
    for (uint8_t i = 0; i < 5; i++)
        assert_int_equal(first_byte[i], i);
    assert_int_equal(last_len, 96);
    assert_false(trap.handed);
    assert_int_equal(yields, 5);
}

static void one_per_trap(void **state)
{
    static struct sa_pair trap = {.trap = true};
    uint8_t pkt[60] = {7};

    (void)state;
    for (int i = 0; i < 3; i++)
        handoff_push(&d, &trap, pkt, sizeof(pkt));
    assert_int_equal(d.drops[DD_TRAP_PENDING], 2);
    handoff_drain(&d);
    assert_int_equal(n_trap, 1);
    handoff_push(&d, &trap, pkt, sizeof(pkt)); /* taken: the next may come */
    handoff_drain(&d);
    assert_int_equal(n_trap, 2);
}

static void full_and_too_large(void **state)
{
    static struct sa_pair trap = {.trap = true};
    static uint8_t big[9217];
    unsigned taken;

    (void)state;
    for (int i = 0; i < 300; i++)
        handoff_push(&d, NULL, big, 100);
    taken = 300 - (unsigned)d.drops[DD_HANDOFF_DROP];
    assert_true(taken >= 128); /* a whole read burst of the data path fits */
    handoff_push(&d, NULL, big, sizeof(big));
    assert_int_equal(d.drops[DD_IKE_MALFORMED], 1); /* as ike_input would say */
    handoff_drain(&d);
    assert_int_equal(n_ike, taken);
    handoff_push(&d, &trap, big, sizeof(big));
    assert_int_equal(d.drops[DD_HANDOFF_DROP], 300 - taken + 1);
    assert_false(trap.handed);
}

static void forgotten_trap_skipped(void **state)
{
    static struct sa_pair trap = {.trap = true}, other = {.trap = true};
    uint8_t pkt[40] = {1};

    (void)state;
    handoff_push(&d, &trap, pkt, sizeof(pkt));
    handoff_push(&d, &other, pkt, sizeof(pkt));
    handoff_forget(&d, &trap); /* pairs.c frees it before the IKE thread looked */
    handoff_drain(&d);
    assert_int_equal(n_trap, 1);
    assert_false(other.handed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(one_per_trap, setup, teardown),
        cmocka_unit_test_setup_teardown(full_and_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(forgotten_trap_skipped, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
