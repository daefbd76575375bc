/* SPDX-License-Identifier: MIT */
/*
 * The psk_mac hook of struct ike_env: where the PSK lives outside the
 * state machine (uipsecd's privileged parent), the AUTH MAC is asked of
 * the hook.  A side that holds no PSK and uses the hook must interoperate
 * with a side that computes AUTH itself (RFC 7296 2.15), as initiator and
 * as responder; a hook with the wrong key, or one that fails, must fail
 * authentication, never skip it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ike_pair.h"
#include "ikesa.h"
#include "prf.h"

/* The test's own "parent": prf(prf(key, "Key Pad for IKEv2"), octets). */
struct vault {
    const char *key;
    bool fail;
    unsigned calls;
    size_t last_len;
};

static struct vault *vault_of; /* the hook's arg is the peer: one vault per test */

static int hook(void *arg, enum ike_prf_alg prf, const uint8_t *octets, size_t len, uint8_t *out,
                size_t out_len)
{
    static const char pad[] = "Key Pad for IKEv2";
    struct ike_iov padv = {(const uint8_t *)pad, sizeof pad - 1}, msg = {octets, len};
    uint8_t k[IKE_PRF_MAX_LEN];

    (void)arg;
    vault_of->calls++;
    vault_of->last_len = len;
    if (vault_of->fail || out_len != ike_prf_len(prf))
        return -1;
    if (ike_prf(prf, (const uint8_t *)vault_of->key, strlen(vault_of->key), &padv, 1, k, out_len) !=
            UIPSEC_OK ||
        ike_prf(prf, k, out_len, &msg, 1, out, out_len) != UIPSEC_OK)
        return -1;
    return 0;
}

/* p forgets its PSK and asks the hook instead. */
static void use_hook(struct ike_peer *p, struct vault *v)
{
    memset(p->psk, 0, sizeof p->psk);
    p->cfg.psk_len = 0;
    p->env.psk_mac = hook;
    vault_of = v;
}

static void test_initiator_hook(void **state)
{
    static struct ike_peer i, r;
    struct vault v = {.key = "secret"};

    (void)state;
    ike_peer_init(&i, 1, true, &ike_side_i);
    ike_peer_init(&r, 2, false, &ike_side_r);
    use_hook(&i, &v);
    ike_pair_init(&i, &r);
    ike_pair_auth(&i, &r);
    assert_int_equal(v.calls, 2); /* its own AUTH, then the responder's checked */
    assert_true(v.last_len > 32 + 8);
    assert_int_equal(i.nchild + r.nchild, 2);
    ike_pair_free(&i, &r);
}

static void test_responder_hook(void **state)
{
    static struct ike_peer i, r;
    struct vault v = {.key = "secret"};

    (void)state;
    ike_peer_init(&i, 3, true, &ike_side_i);
    ike_peer_init(&r, 4, false, &ike_side_r);
    use_hook(&r, &v);
    ike_pair_init(&i, &r);
    ike_pair_auth(&i, &r);
    assert_int_equal(v.calls, 2);
    ike_pair_free(&i, &r);
}

/* The vault holds another key: the responder refuses the initiator. */
static void test_wrong_key_fails(void **state)
{
    static struct ike_peer i, r;
    struct vault v = {.key = "not the secret"};

    (void)state;
    ike_peer_init(&i, 5, true, &ike_side_i);
    ike_peer_init(&r, 6, false, &ike_side_r);
    use_hook(&r, &v);
    ike_pair_init(&i, &r);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_FAILED);
    assert_int_equal(r.sa->fail_notify, IKE_N_AUTHENTICATION_FAILED);
    assert_int_equal(i.nchild + r.nchild, 0);
    ike_pair_free(&i, &r);
}

/* A hook that fails (the parent did not answer): no AUTH is made or
 * accepted. */
static void test_failing_hook(void **state)
{
    static struct ike_peer i, r;
    struct vault v = {.key = "secret", .fail = true};

    (void)state;
    ike_peer_init(&i, 7, true, &ike_side_i);
    ike_peer_init(&r, 8, false, &ike_side_r);
    use_hook(&r, &v);
    ike_pair_init(&i, &r);
    assert_int_equal(ike_deliver(&i, &r), IKE_RX_OK);
    assert_int_equal(ike_deliver(&r, &i), IKE_RX_FAILED);
    assert_int_equal(v.calls, 1);
    assert_int_equal(r.nchild, 0);
    ike_pair_free(&i, &r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initiator_hook),
        cmocka_unit_test(test_responder_hook),
        cmocka_unit_test(test_wrong_key_fails),
        cmocka_unit_test(test_failing_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
