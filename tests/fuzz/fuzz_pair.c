/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "fuzz_pair.h"

static void rnd(void *arg, uint8_t *buf, size_t len)
{
    struct fuzz_peer *p = arg;

    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(p->ctr++ * 131u + 7u);
}

static void snd(void *arg, const uint8_t *buf, size_t len)
{
    struct fuzz_peer *p = arg;

    if (len <= sizeof p->sent) {
        memcpy(p->sent, buf, len);
        p->sent_len = len;
    }
}

static void up(void *arg, const struct ike_child_result *c)
{
    (void)arg;
    (void)c;
}

static void down(void *arg, uint32_t in, uint32_t out)
{
    (void)arg;
    (void)in;
    (void)out;
}

static uint64_t now(void *arg)
{
    return ((struct fuzz_peer *)arg)->now;
}

int fuzz_peer_setup(struct fuzz_peer *p, bool initiator, const char *esp)
{
    static const uint8_t psk[] = "fuzz";
    struct ike_child_cfg *c = &p->cfg.child[0];

    memset(p, 0, sizeof *p);
    p->env = (struct ike_env){.arg = p,
                              .random = rnd,
                              .send = snd,
                              .child_sa_up = up,
                              .child_sa_down = down,
                              .now_ms = now};
    if (ike_prop_parse("aes256gcm16-prfsha256-x25519", IKE_PROTO_IKE, &p->cfg.ike, NULL, 0) ||
        ike_prop_parse(esp, IKE_PROTO_ESP, &c->esp, NULL, 0) ||
        uipsec_selector_parse(&c->ts[0], initiator ? "10.1.0.0/16" : "10.2.0.0/16",
                              initiator ? "10.2.0.0/16" : "10.1.0.0/16", NULL, 0) ||
        ike_id_set(&p->cfg.local_id, IKE_ID_FQDN, initiator ? "a" : "b") ||
        ike_id_set(&p->cfg.remote_id, IKE_ID_FQDN, initiator ? "b" : "a"))
        return -1;
    c->nts = 1;
    p->cfg.nchildren = 1;
    p->cfg.psk = psk;
    p->cfg.psk_len = sizeof psk - 1;
    p->path.local = (struct uipsec_addr){.family = 4, .bytes = {192, 0, 2, initiator ? 1 : 2}};
    p->path.remote = (struct uipsec_addr){.family = 4, .bytes = {192, 0, 2, initiator ? 2 : 1}};
    p->path.local_port = p->path.remote_port = IKE_PORT;
    return 0;
}

int fuzz_pair_establish(struct fuzz_peer *i, struct fuzz_peer *r)
{
    if (ike_sa_initiate(&i->sa, &i->cfg, &i->env, &i->path, 0) != UIPSEC_OK ||
        ike_sa_respond(&r->sa, &r->cfg, &r->env, &r->path, i->sent, i->sent_len) != IKE_RX_OK ||
        ike_sa_receive(i->sa, r->sent, r->sent_len, NULL) != IKE_RX_OK ||
        ike_sa_receive(r->sa, i->sent, i->sent_len, NULL) != IKE_RX_OK ||
        ike_sa_receive(i->sa, r->sent, r->sent_len, NULL) != IKE_RX_OK)
        return -1;
    return i->sa->state == IKE_SA_ESTABLISHED ? 0 : -1;
}
