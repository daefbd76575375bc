/* SPDX-License-Identifier: MIT */
/*
 * The admission hooks of struct ike_env (src/ike/ikesa_auth.c): the
 * responder asks auth_allowed before it verifies a peer's AUTH and refuses
 * with AUTHENTICATION_FAILED when told so, even for the right key (so the
 * refusal comes before any check); auth_result hears each verification;
 * child_allowed can refuse the IKE_AUTH CHILD_SA and later ones with
 * NO_ADDITIONAL_SAS.  Two state machines talk in one process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "ike_pair.h"
#include "ikesa.h"
#include "ikesa_int.h"
#include "proposal.h"
#include "uipsec/spd.h"

/* A peer of the shared fixture and what its admission hooks answer and
 * saw; ike comes first, so the env's arg is both. */
struct peer {
    struct ike_peer ike;
    bool allow, allow_child;
    unsigned nallowed, nresult, nchild_asked;
    bool last_ok, contact_seen;
    struct ike_id seen_id;
    struct ike_path seen_from;
};

static bool hook_allowed(void *arg, const struct ike_id *peer, const struct ike_path *from)
{
    struct peer *p = arg;

    p->nallowed++;
    p->seen_id = *peer;
    p->seen_from = *from;
    p->contact_seen = p->ike.sa && p->ike.sa->peer_initial_contact;
    return p->allow;
}

static void hook_result(void *arg, const struct ike_id *peer, const struct ike_path *from, bool ok)
{
    struct peer *p = arg;

    (void)from;
    p->nresult++;
    p->last_ok = ok;
    p->seen_id = *peer;
}

static bool hook_child(void *arg)
{
    struct peer *p = arg;

    p->nchild_asked++;
    return p->allow_child;
}

/* Two child configs (10.1.0.0/24 and 10.1.5.0/24 on the initiator's side),
 * INITIAL_CONTACT from the initiator, the hooks set and allowing. */
static void peer_init(struct peer *p, uint8_t seed, bool initiator, const char *psk)
{
    struct ike_side s = initiator ? ike_side_i : ike_side_r;

    s.ts_local = initiator ? "10.1.0.0/24" : "10.2.0.0/24";
    s.ts_remote = initiator ? "10.2.0.0/24" : "10.1.0.0/24";
    s.psk = psk;
    memset(p, 0, sizeof *p);
    ike_peer_init(&p->ike, seed, initiator, &s);
    ike_peer_add_child(&p->ike, initiator, "aes256gcm16");
    p->ike.cfg.initial_contact = initiator;
    p->ike.now = 1000;
    p->ike.env.auth_allowed = hook_allowed;
    p->ike.env.auth_result = hook_result;
    p->ike.env.child_allowed = hook_child;
    p->allow = p->allow_child = true;
}

/* IKE_SA_INIT both ways and the IKE_AUTH request handled by the
 * responder; returns what ike_sa_receive said of it. */
static enum ike_rx to_auth(struct peer *i, struct peer *r)
{
    ike_pair_init(&i->ike, &r->ike);
    assert_int_equal(ike_deliver(&i->ike, &r->ike), IKE_RX_OK);
    assert_int_equal(i->ike.sa->state, IKE_SA_AUTH_SENT);
    return ike_deliver(&r->ike, &i->ike);
}

static void pair_free(struct peer *i, struct peer *r)
{
    ike_pair_free(&i->ike, &r->ike);
}

/* Refused by the hook: AUTHENTICATION_FAILED although the key is right,
 * so the refusal came before the AUTH was verified; no result reported. */
static void test_refused_unchecked(void **state)
{
    static struct peer i, r;

    (void)state;
    peer_init(&i, 1, true, "right key");
    peer_init(&r, 2, false, "right key");
    r.allow = false;
    assert_int_equal(to_auth(&i, &r), IKE_RX_FAILED);
    assert_int_equal(r.nallowed, 1);
    assert_int_equal(r.nresult, 0);
    assert_int_equal(r.ike.sa->fail_notify, IKE_N_AUTHENTICATION_FAILED);
    assert_int_equal(r.seen_id.type, IKE_ID_FQDN);
    assert_int_equal(r.seen_id.len, 4);
    assert_memory_equal(r.seen_id.data, "moon", 4);
    assert_memory_equal(r.seen_from.remote.bytes, i.ike.path.local.bytes, 4);
    assert_true(r.contact_seen); /* INITIAL_CONTACT is known to the hook */
    assert_int_equal(ike_deliver(&i.ike, &r.ike), IKE_RX_FAILED);
    assert_int_equal(i.ike.sa->fail_notify, IKE_N_AUTHENTICATION_FAILED);
    assert_int_equal(i.ike.nchild + r.ike.nchild, 0);
    assert_int_equal(i.nallowed + i.nresult, 0); /* the initiator does not ask */
    pair_free(&i, &r);
}

static void test_result_reported(void **state)
{
    static struct peer i, r;

    (void)state;
    peer_init(&i, 1, true, "guess");
    peer_init(&r, 2, false, "right key");
    assert_int_equal(to_auth(&i, &r), IKE_RX_FAILED);
    assert_int_equal(r.nallowed, 1);
    assert_int_equal(r.nresult, 1);
    assert_false(r.last_ok);
    assert_memory_equal(r.seen_id.data, "moon", 4);
    pair_free(&i, &r);

    peer_init(&i, 3, true, "right key");
    peer_init(&r, 4, false, "right key");
    assert_int_equal(to_auth(&i, &r), IKE_RX_OK);
    assert_int_equal(r.ike.sa->state, IKE_SA_ESTABLISHED);
    assert_int_equal(r.nresult, 1);
    assert_true(r.last_ok);
    assert_int_equal(r.ike.nchild, 1);
    pair_free(&i, &r);
}

/* NULL hooks: as before (allowed). */
static void test_null_hooks(void **state)
{
    static struct peer i, r;

    (void)state;
    peer_init(&i, 1, true, "right key");
    peer_init(&r, 2, false, "right key");
    r.ike.env.auth_allowed = NULL;
    r.ike.env.auth_result = NULL;
    r.ike.env.child_allowed = NULL;
    assert_int_equal(to_auth(&i, &r), IKE_RX_OK);
    assert_int_equal(r.ike.sa->state, IKE_SA_ESTABLISHED);
    assert_int_equal(r.ike.nchild, 1);
    pair_free(&i, &r);
}

/* child_allowed false: the IKE SA comes up without its CHILD_SA
 * (NO_ADDITIONAL_SAS), and a CREATE_CHILD_SA is refused the same way. */
static void test_child_refused(void **state)
{
    static struct peer i, r;

    (void)state;
    peer_init(&i, 1, true, "right key");
    peer_init(&r, 2, false, "right key");
    r.allow_child = false;
    assert_int_equal(to_auth(&i, &r), IKE_RX_OK);
    assert_int_equal(r.ike.sa->state, IKE_SA_ESTABLISHED);
    assert_int_equal(r.nchild_asked, 1);
    assert_int_equal(r.ike.nchild, 0);
    assert_int_equal(r.ike.sa->child_notify, IKE_N_NO_ADDITIONAL_SAS);
    assert_int_equal(ike_deliver(&i.ike, &r.ike), IKE_RX_OK);
    assert_int_equal(i.ike.sa->state, IKE_SA_ESTABLISHED);
    assert_int_equal(i.ike.failed_notify, IKE_N_NO_ADDITIONAL_SAS);

    assert_int_equal(ike_sa_queue(i.ike.sa, IKE_TASK_CHILD, 1), UIPSEC_OK);
    assert_int_equal(ike_deliver(&r.ike, &i.ike), IKE_RX_OK);
    assert_int_equal(r.nchild_asked, 2);
    assert_int_equal(r.ike.nchild, 0);
    assert_int_equal(ike_deliver(&i.ike, &r.ike), IKE_RX_OK);
    assert_int_equal(i.ike.nfailed, 2);
    assert_int_equal(i.ike.failed_notify, IKE_N_NO_ADDITIONAL_SAS);

    r.allow_child = true; /* room again: it is made */
    assert_int_equal(ike_sa_queue(i.ike.sa, IKE_TASK_CHILD, 1), UIPSEC_OK);
    assert_int_equal(ike_deliver(&r.ike, &i.ike), IKE_RX_OK);
    assert_int_equal(ike_deliver(&i.ike, &r.ike), IKE_RX_OK);
    assert_int_equal(r.ike.nchild, 1);
    assert_int_equal(i.ike.nchild, 1);
    pair_free(&i, &r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_unchecked),
        cmocka_unit_test(test_result_reported),
        cmocka_unit_test(test_null_hooks),
        cmocka_unit_test(test_child_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
