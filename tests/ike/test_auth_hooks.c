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

#include "ikesa.h"
#include "ikesa_int.h"
#include "proposal.h"
#include "uipsec/spd.h"

struct peer {
    struct ike_env env;
    uint8_t seed;
    uint32_t ctr;
    uint8_t sent[IKE_MSG_MAX];
    size_t sent_len;
    unsigned nchild, nfailed;
    uint16_t failed_notify;
    struct ike_cfg cfg;
    struct ike_path path;
    struct ike_sa *sa;
    /* the hooks: answers to give, calls seen */
    bool allow, allow_child;
    unsigned nallowed, nresult, nchild_asked;
    bool last_ok, contact_seen;
    struct ike_id seen_id;
    struct ike_path seen_from;
};

static void mock_random(void *arg, uint8_t *buf, size_t len)
{
    struct peer *p = arg;

    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(p->seed * 31u + p->ctr++ * 7u + 1u);
}

static void mock_send(void *arg, const uint8_t *buf, size_t len)
{
    struct peer *p = arg;

    assert_true(len <= sizeof p->sent);
    memcpy(p->sent, buf, len);
    p->sent_len = len;
}

static void mock_child(void *arg, const struct ike_child_result *c)
{
    (void)c;
    ((struct peer *)arg)->nchild++;
}

static void mock_down(void *arg, uint32_t spi_in, uint32_t spi_out)
{
    (void)arg;
    (void)spi_in;
    (void)spi_out;
}

static uint64_t mock_now(void *arg)
{
    (void)arg;
    return 1000;
}

static void mock_failed(void *arg, unsigned cfg, uint16_t notify)
{
    struct peer *p = arg;

    (void)cfg;
    p->nfailed++;
    p->failed_notify = notify;
}

static bool hook_allowed(void *arg, const struct ike_id *peer, const struct ike_path *from)
{
    struct peer *p = arg;

    p->nallowed++;
    p->seen_id = *peer;
    p->seen_from = *from;
    p->contact_seen = p->sa && p->sa->peer_initial_contact;
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

static void addr4(struct uipsec_addr *a, uint8_t last)
{
    *a = (struct uipsec_addr){.family = 4, .bytes = {192, 0, 2, last}};
}

static void peer_init(struct peer *p, uint8_t seed, bool initiator, const char *psk)
{
    memset(p, 0, sizeof *p);
    p->seed = seed;
    p->allow = p->allow_child = true;
    p->env = (struct ike_env){.arg = p,
                              .random = mock_random,
                              .send = mock_send,
                              .child_sa_up = mock_child,
                              .child_sa_down = mock_down,
                              .now_ms = mock_now,
                              .child_failed = mock_failed,
                              .auth_allowed = hook_allowed,
                              .auth_result = hook_result,
                              .child_allowed = hook_child};
    assert_int_equal(
        ike_prop_parse("aes256gcm16-prfsha256-x25519", IKE_PROTO_IKE, &p->cfg.ike, NULL, 0),
        UIPSEC_OK);
    for (int k = 0; k < 2; k++) {
        struct ike_child_cfg *c = &p->cfg.child[k];
        const char *a = k ? "10.1.5.0/24" : "10.1.0.0/24", *b = k ? "10.2.5.0/24" : "10.2.0.0/24";

        assert_int_equal(ike_prop_parse("aes256gcm16", IKE_PROTO_ESP, &c->esp, NULL, 0), UIPSEC_OK);
        assert_int_equal(
            uipsec_selector_parse(&c->ts[0], initiator ? a : b, initiator ? b : a, NULL, 0),
            UIPSEC_OK);
        c->nts = 1;
    }
    p->cfg.nchildren = 2;
    assert_int_equal(ike_id_set(&p->cfg.local_id, IKE_ID_FQDN, initiator ? "moon" : "sun"),
                     UIPSEC_OK);
    assert_int_equal(ike_id_set(&p->cfg.remote_id, IKE_ID_FQDN, initiator ? "sun" : "moon"),
                     UIPSEC_OK);
    p->cfg.psk = (const uint8_t *)psk;
    p->cfg.psk_len = strlen(psk);
    p->cfg.initial_contact = initiator;
    addr4(&p->path.local, initiator ? 1 : 2);
    addr4(&p->path.remote, initiator ? 2 : 1);
    p->path.local_port = p->path.remote_port = IKE_PORT;
}

/* IKE_SA_INIT both ways and the IKE_AUTH request handled by the
 * responder; returns what ike_sa_receive said of it. */
static enum ike_rx to_auth(struct peer *i, struct peer *r)
{
    assert_int_equal(ike_sa_initiate(&i->sa, &i->cfg, &i->env, &i->path, 0), UIPSEC_OK);
    assert_int_equal(ike_sa_respond(&r->sa, &r->cfg, &r->env, &r->path, i->sent, i->sent_len),
                     IKE_RX_OK);
    assert_int_equal(ike_sa_receive(i->sa, r->sent, r->sent_len, NULL), IKE_RX_OK);
    assert_int_equal(i->sa->state, IKE_SA_AUTH_SENT);
    return ike_sa_receive(r->sa, i->sent, i->sent_len, NULL);
}

static void pair_free(struct peer *i, struct peer *r)
{
    ike_sa_free(i->sa);
    ike_sa_free(r->sa);
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
    assert_int_equal(r.sa->fail_notify, IKE_N_AUTHENTICATION_FAILED);
    assert_int_equal(r.seen_id.type, IKE_ID_FQDN);
    assert_int_equal(r.seen_id.len, 4);
    assert_memory_equal(r.seen_id.data, "moon", 4);
    assert_memory_equal(r.seen_from.remote.bytes, i.path.local.bytes, 4);
    assert_true(r.contact_seen); /* INITIAL_CONTACT is known to the hook */
    assert_int_equal(ike_sa_receive(i.sa, r.sent, r.sent_len, NULL), IKE_RX_FAILED);
    assert_int_equal(i.sa->fail_notify, IKE_N_AUTHENTICATION_FAILED);
    assert_int_equal(i.nchild + r.nchild, 0);
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
    assert_int_equal(r.sa->state, IKE_SA_ESTABLISHED);
    assert_int_equal(r.nresult, 1);
    assert_true(r.last_ok);
    assert_int_equal(r.nchild, 1);
    pair_free(&i, &r);
}

/* NULL hooks: as before (allowed). */
static void test_null_hooks(void **state)
{
    static struct peer i, r;

    (void)state;
    peer_init(&i, 1, true, "right key");
    peer_init(&r, 2, false, "right key");
    r.env.auth_allowed = NULL;
    r.env.auth_result = NULL;
    r.env.child_allowed = NULL;
    assert_int_equal(to_auth(&i, &r), IKE_RX_OK);
    assert_int_equal(r.sa->state, IKE_SA_ESTABLISHED);
    assert_int_equal(r.nchild, 1);
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
    assert_int_equal(r.sa->state, IKE_SA_ESTABLISHED);
    assert_int_equal(r.nchild_asked, 1);
    assert_int_equal(r.nchild, 0);
    assert_int_equal(r.sa->child_notify, IKE_N_NO_ADDITIONAL_SAS);
    assert_int_equal(ike_sa_receive(i.sa, r.sent, r.sent_len, NULL), IKE_RX_OK);
    assert_int_equal(i.sa->state, IKE_SA_ESTABLISHED);
    assert_int_equal(i.failed_notify, IKE_N_NO_ADDITIONAL_SAS);

    assert_int_equal(ike_sa_queue(i.sa, IKE_TASK_CHILD, 1), UIPSEC_OK);
    assert_int_equal(ike_sa_receive(r.sa, i.sent, i.sent_len, NULL), IKE_RX_OK);
    assert_int_equal(r.nchild_asked, 2);
    assert_int_equal(r.nchild, 0);
    assert_int_equal(ike_sa_receive(i.sa, r.sent, r.sent_len, NULL), IKE_RX_OK);
    assert_int_equal(i.nfailed, 2);
    assert_int_equal(i.failed_notify, IKE_N_NO_ADDITIONAL_SAS);

    r.allow_child = true; /* room again: it is made */
    assert_int_equal(ike_sa_queue(i.sa, IKE_TASK_CHILD, 1), UIPSEC_OK);
    assert_int_equal(ike_sa_receive(r.sa, i.sent, i.sent_len, NULL), IKE_RX_OK);
    assert_int_equal(ike_sa_receive(i.sa, r.sent, r.sent_len, NULL), IKE_RX_OK);
    assert_int_equal(r.nchild, 1);
    assert_int_equal(i.nchild, 1);
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
