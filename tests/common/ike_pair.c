/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "ike_pair.h"
#include "ikesa_int.h"
#include "proposal.h"
#include "uipsec/spd.h"

const struct ike_side ike_side_i = {"aes256gcm16-prfsha256-x25519", "aes256gcm16", "10.1.0.0/16",
                                    "10.2.0.0/16", "secret"};
const struct ike_side ike_side_r = {"aes256gcm16-prfsha256-x25519", "aes256gcm16", "10.2.0.0/16",
                                    "10.1.0.0/16", "secret"};

/* ---- the mock environment ---- */

static void mock_random(void *arg, uint8_t *buf, size_t len)
{
    struct ike_peer *p = arg;

    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(p->seed * 31u + p->ctr++ * 7u + 1u);
}

void ike_peer_send(void *arg, const uint8_t *buf, size_t len)
{
    struct ike_peer *p = arg;

    assert_true(len <= sizeof p->sent);
    memcpy(p->sent, buf, len);
    p->sent_len = len;
    p->nsent++;
}

static void mock_child(void *arg, const struct ike_child_result *c)
{
    struct ike_peer *p = arg;

    p->child = *c;
    p->nchild++;
}

static void mock_log(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static void mock_down(void *arg, uint32_t spi_in, uint32_t spi_out)
{
    struct ike_peer *p = arg;

    p->ndown++;
    p->down_in = spi_in;
    p->down_out = spi_out;
}

static const struct ike_env *mock_rekeyed(void *arg, struct ike_sa *new_sa)
{
    struct ike_peer *p = arg;

    p->successor = new_sa;
    return &p->env;
}

static uint64_t mock_now(void *arg)
{
    return ((struct ike_peer *)arg)->now;
}

static void mock_failed(void *arg, unsigned cfg, uint16_t notify)
{
    struct ike_peer *p = arg;

    (void)cfg;
    p->nfailed++;
    p->failed_notify = notify;
}

/* ---- configuration ---- */

void ike_addr4(struct uipsec_addr *a, uint8_t last)
{
    *a = (struct uipsec_addr){.family = 4, .bytes = {192, 0, 2, last}};
}

void ike_peer_init(struct ike_peer *p, uint8_t seed, bool initiator, const struct ike_side *s)
{
    memset(p, 0, sizeof *p);
    p->seed = seed;
    p->env = (struct ike_env){.arg = p,
                              .random = mock_random,
                              .send = ike_peer_send,
                              .child_sa_up = mock_child,
                              .child_sa_down = mock_down,
                              .log = mock_log,
                              .now_ms = mock_now,
                              .child_failed = mock_failed,
                              .ike_sa_rekeyed = mock_rekeyed};
    assert_int_equal(ike_prop_parse(s->ike, IKE_PROTO_IKE, &p->cfg.ike, NULL, 0), UIPSEC_OK);
    assert_int_equal(ike_prop_parse(s->esp, IKE_PROTO_ESP, &p->cfg.child[0].esp, NULL, 0),
                     UIPSEC_OK);
    assert_int_equal(
        uipsec_selector_parse(&p->cfg.child[0].ts[0], s->ts_local, s->ts_remote, NULL, 0),
        UIPSEC_OK);
    p->cfg.child[0].nts = 1;
    p->cfg.nchildren = 1;
    assert_int_equal(ike_id_set(&p->cfg.local_id, IKE_ID_FQDN, initiator ? "moon" : "sun"),
                     UIPSEC_OK);
    assert_int_equal(ike_id_set(&p->cfg.remote_id, IKE_ID_FQDN, initiator ? "sun" : "moon"),
                     UIPSEC_OK);
    p->cfg.psk_len = strlen(s->psk);
    assert_true(p->cfg.psk_len <= sizeof p->psk);
    memcpy(p->psk, s->psk, p->cfg.psk_len);
    p->cfg.psk = p->psk;
    ike_addr4(&p->path.local, initiator ? 1 : 2);
    ike_addr4(&p->path.remote, initiator ? 2 : 1);
    p->path.local_port = p->path.remote_port = IKE_PORT;
}

void ike_peer_add_child(struct ike_peer *p, bool initiator, const char *esp)
{
    struct ike_child_cfg *c = &p->cfg.child[1];

    assert_int_equal(ike_prop_parse(esp, IKE_PROTO_ESP, &c->esp, NULL, 0), UIPSEC_OK);
    assert_int_equal(uipsec_selector_parse(&c->ts[0], initiator ? "10.1.5.0/24" : "10.2.5.0/24",
                                           initiator ? "10.2.5.0/24" : "10.1.5.0/24", NULL, 0),
                     UIPSEC_OK);
    c->nts = 1;
    p->cfg.nchildren = 2;
}

/* ---- the conversation ---- */

enum ike_rx ike_deliver(struct ike_peer *to, const struct ike_peer *from)
{
    return ike_sa_receive(to->sa, from->sent, from->sent_len, NULL);
}

const struct ike_msg *ike_opened(struct ike_peer *to, const struct ike_peer *from)
{
    static struct ike_msg m;
    static uint8_t copy[IKE_MSG_MAX];

    memcpy(copy, from->sent, from->sent_len);
    assert_int_equal(ike_decode(copy, from->sent_len, &m), IKE_DEC_OK);
    assert_true(ike_sa_open_sk(to->sa, copy, from->sent_len, &m));
    return &m;
}

void ike_pair_init(struct ike_peer *i, struct ike_peer *r)
{
    assert_int_equal(ike_sa_initiate(&i->sa, &i->cfg, &i->env, &i->path, 0), UIPSEC_OK);
    assert_int_equal(i->sa->state, IKE_SA_INIT_SENT);
    assert_int_equal(i->nsent, 1);
    assert_int_equal(ike_sa_respond(&r->sa, &r->cfg, &r->env, &r->path, i->sent, i->sent_len),
                     IKE_RX_OK);
    assert_non_null(r->sa);
    assert_int_equal(r->sa->state, IKE_SA_INIT_DONE);
    assert_memory_equal(r->sa->spi_i, i->sa->spi_i, IKE_SPI_LEN);
}

void ike_pair_auth(struct ike_peer *i, struct ike_peer *r)
{
    assert_int_equal(ike_deliver(i, r), IKE_RX_OK);
    assert_int_equal(i->sa->state, IKE_SA_AUTH_SENT);
    assert_memory_equal(i->sa->spi_r, r->sa->spi_r, IKE_SPI_LEN);
    assert_false(i->sa->nat_local || i->sa->nat_remote || r->sa->nat_local || r->sa->nat_remote);
    assert_int_equal(ike_deliver(r, i), IKE_RX_OK);
    assert_int_equal(r->sa->state, IKE_SA_ESTABLISHED);
    assert_int_equal(r->sa->msg_id_expect, 2);
    assert_int_equal(ike_deliver(i, r), IKE_RX_OK);
    assert_int_equal(i->sa->state, IKE_SA_ESTABLISHED);
    assert_int_equal(i->sa->msg_id_send, 2);
}

void ike_pair_free(struct ike_peer *i, struct ike_peer *r)
{
    ike_sa_free(i->sa);
    ike_sa_free(r->sa);
    i->sa = r->sa = NULL;
}
