/* SPDX-License-Identifier: MIT */
#include "ike_choose.h"

#include <string.h>

#include "ident.h"
#include "ike_wire.h"

bool ike_addr_eq(const struct uipsec_addr *a, const struct uipsec_addr *b)
{
    size_t n = a->family == 6 ? 16 : 4;

    return a->family == b->family && memcmp(a->bytes, b->bytes, n) == 0;
}

/* -1 if c's addresses do not fit; else 0 to 3, each configured address
 * that fits worth more than %any. */
static int addr_rank(const struct cfg_conn *c, const struct ike_path *from)
{
    if ((c->local.family && !ike_addr_eq(&c->local, &from->local)) ||
        (c->remote.family && !ike_addr_eq(&c->remote, &from->remote)) ||
        (!c->local.family && !c->remote.family && !from->remote.family))
        return -1;
    return (c->remote.family ? 2 : 0) + (c->local.family ? 1 : 0);
}

const struct cfg_conn *ike_choose_init(const struct cfg *cfg, const struct ike_path *from,
                                       const uint8_t *buf, size_t len)
{
    const struct cfg_conn *best = NULL, *by_addr = NULL;
    int best_rank = -1, addr_best = -1;

    for (size_t i = 0; i < cfg->n_ike_conns; i++) {
        const struct cfg_conn *c = &cfg->ike_conns[i];
        int r = addr_rank(c, from);

        if (r < 0)
            continue;
        if (r > addr_best)
            by_addr = c, addr_best = r;
        if (r > best_rank && ike_init_offer_fits(buf, len, &c->ike))
            best = c, best_rank = r;
    }
    return best ? best : by_addr;
}

/* How well c's local side fits the IDr the peer asked for (1 when it
 * asked none), or 0: our id (without one, the address it came to), or
 * one our certificate holds. */
static int local_rank(const struct cfg *cfg, const struct cfg_conn *c, const struct ike_path *from,
                      const struct ike_id *idr)
{
    struct ike_id me = c->local_id;
    size_t len;
    const uint8_t *der;
    X509 *x;
    bool held;

    if (!idr)
        return IKE_ID_MATCH_ANY;
    if (!me.type) {
        me.type = from->local.family == 6 ? IKE_ID_IPV6_ADDR : IKE_ID_IPV4_ADDR;
        me.len = from->local.family == 6 ? 16 : 4;
        memcpy(me.data, from->local.bytes, me.len);
    }
    if (ike_id_match(&me, idr) == IKE_ID_MATCH_PERFECT)
        return IKE_ID_MATCH_PERFECT;
    if (c->local_auth.method != CFG_AUTH_PUBKEY || !c->local_auth.n_certs)
        return IKE_ID_MATCH_NONE;
    der = creds_der(cfg, c->local_auth.certs[0], &len);
    x = d2i_X509(NULL, &der, (long)len);
    held = x && ike_id_in_cert(x, idr);
    X509_free(x);
    return held ? IKE_ID_MATCH_WILDCARDS : IKE_ID_MATCH_NONE;
}

/* c's score for this peer, or -1 if it does not fit at all. */
static int auth_score(const struct cfg *cfg, const struct cfg_conn *c, const struct ike_sa *sa,
                      const struct ike_path *from, const struct ike_id *idi,
                      const struct ike_id *idr, uint8_t method)
{
    bool signs = method != IKE_AUTH_PSK;
    int a = addr_rank(c, from), r, l;

    if (a < 0 || signs != (c->remote_auth.method == CFG_AUTH_PUBKEY) ||
        !ike_sa_prop_fits(sa, &c->ike))
        return -1;
    r = c->remote_id_any ? IKE_ID_MATCH_ANY : ike_id_match(&c->remote_id, idi);
    l = r ? local_rank(cfg, c, from, idr) : IKE_ID_MATCH_NONE;
    if (!r || !l)
        return -1;
    return (r * 64 + l) * 4 + a; /* remote id, then ours, then addresses */
}

const struct cfg_conn *ike_choose_auth(const struct cfg *cfg, const struct ike_sa *sa,
                                       const struct ike_path *from, const struct ike_id *idi,
                                       const struct ike_id *idr, uint8_t auth_method)
{
    const struct cfg_conn *best = NULL;
    int best_score = -1;

    for (size_t i = 0; i < cfg->n_ike_conns; i++) {
        const struct cfg_conn *c = &cfg->ike_conns[i];
        int s = auth_score(cfg, c, sa, from, idi, idr, auth_method);

        if (s > best_score)
            best = c, best_score = s;
    }
    return best;
}
