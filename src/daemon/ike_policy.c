/* SPDX-License-Identifier: MIT */
/* Who may authenticate, and how many SAs one peer holds (ike.h): the
 * hooks the state machine asks before it checks a peer's AUTH and before
 * it promises a CHILD_SA, and strongSwan's `unique` once an IKE SA is up.
 * A peer is a pair of identities, ours and its own, as strongSwan
 * compares them for `unique`. */
#include <string.h>
#include <time.h>

#include "admit.h"
#include "daemon.h"
#include "ike_choose.h"
#include "ike_int.h"

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool same_id(const struct ike_id *a, const struct ike_id *b)
{
    return a->type == b->type && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* o is another IKE SA of rt's peer (whose ID is peer), up and current. */
static bool same_peer(const struct ike_rt *o, const struct ike_rt *rt, const struct ike_id *peer)
{
    return o != rt && o->sa && o->sa->state == IKE_SA_ESTABLISHED && !o->sa->rekeyed &&
           same_id(&o->sa->peer_id, peer) && same_id(&o->icfg.local_id, &rt->icfg.local_id);
}

static void quiet_log(void *arg, const char *msg)
{
    const struct ike_rt *rt = arg;

    log_net("%s[%u]: %s", rt->conn.name, rt->id, msg);
}

/* rt fails for a reason logged rate-limited already: its own lines go
 * to the debug log. */
static void quiet(struct ike_rt *rt)
{
    rt->quiet = true;
    rt->env.log = quiet_log;
}

bool ike_policy_auth_allowed(void *arg, const struct ike_id *peer, const struct ike_path *from)
{
    struct ike_rt *rt = arg;
    struct daemon *d = rt->d;
    const struct cfg_conn *c = &rt->conn;
    const char *why = "";
    bool elsewhere = false, contact = rt->sa && rt->sa->peer_initial_contact;
    char id[2 * IKE_ID_MAX + 2];
    size_t n = 0;

    if (admit_auth_wait(d->ike->admit, peer, &from->remote, now_ms(), &why)) {
        d->drops[DD_IKE_AUTH_BACKOFF]++;
        quiet(rt);
        return false;
    }
    for (const struct ike_rt *o = d->ike->list; o; o = o->next)
        if (same_peer(o, rt, peer)) {
            n++;
            elsewhere |= !ike_addr_eq(&o->sa->path.remote, &from->remote);
        }
    ike_id_format(peer, id, sizeof(id));
    if (c->unique == CFG_UNIQUE_KEEP && elsewhere) {
        log_peer("%s[%u]: %s has an IKE SA from another address: refused (unique = keep)", c->name,
                 rt->id, id);
        quiet(rt);
        return false;
    }
    /* those the new one replaces do not count */
    if (c->unique == CFG_UNIQUE_REPLACE || (contact && c->unique != CFG_UNIQUE_NEVER))
        n = 0;
    if (c->max_ike_sas && n >= c->max_ike_sas) {
        log_peer("%s[%u]: %s holds %zu IKE SAs already: refused (max_ike_sas = %u)", c->name,
                 rt->id, id, n, c->max_ike_sas);
        quiet(rt);
        return false;
    }
    return true;
}

void ike_policy_auth_result(void *arg, const struct ike_id *peer, const struct ike_path *from,
                            bool ok)
{
    struct ike_rt *rt = arg;

    const char *why = rt->sa && rt->sa->fail_text[0] ? rt->sa->fail_text : NULL;

    admit_auth_result(rt->d->ike->admit, peer, &from->remote, ok, why, now_ms());
    if (!ok)
        quiet(rt); /* admit logged it, rate-limited */
}

bool ike_policy_child_allowed(void *arg)
{
    const struct ike_rt *rt = arg;
    size_t n;
    char id[2 * IKE_ID_MAX + 2];

    if (!rt->conn.max_child_sas || !rt->sa)
        return true;
    n = rt->sa->nchildren;
    for (const struct ike_rt *o = rt->d->ike->list; o; o = o->next)
        if (same_peer(o, rt, &rt->sa->peer_id))
            n += o->sa->nchildren;
    if (n < rt->conn.max_child_sas)
        return true;
    ike_id_format(&rt->sa->peer_id, id, sizeof(id));
    log_peer("%s[%u]: %s holds %zu CHILD_SAs already: no more (max_child_sas = %u)", rt->conn.name,
             rt->id, id, n, rt->conn.max_child_sas);
    return false;
}

/* strongSwan's `unique`: replace deletes the peer's older IKE SAs (with a
 * DELETE, not waiting for its answer); no and keep forget them without a word when the peer says
 * INITIAL_CONTACT (it restarted: they are gone on its side, RFC 7296
 * 2.4); never keeps them all. */
void ike_policy_established(struct ike_rt *rt)
{
    enum cfg_unique u = rt->conn.unique;
    bool contact = rt->sa->peer_initial_contact;

    if (u == CFG_UNIQUE_NEVER || (u != CFG_UNIQUE_REPLACE && !contact))
        return;
    for (struct ike_rt *o = rt->d->ike->list; o; o = o->next) {
        if (!same_peer(o, rt, &rt->sa->peer_id))
            continue;
        if (u == CFG_UNIQUE_REPLACE) {
            /* a DELETE if the window is free, but no waiting for its
             * answer: its CHILD_SAs would hide the new ones meanwhile */
            ike_rt_log(o, LOG_INFO, "replaced by %s[%u] (unique = replace)", rt->conn.name, rt->id);
            o->sa->ntasks = 0;
            if (ike_sa_queue(o->sa, IKE_TASK_DELETE_IKE, 0) != UIPSEC_OK)
                ike_rt_log(o, LOG_INFO, "cannot send DELETE");
            o->sa->state = IKE_SA_DELETED;
        } else {
            ike_rt_log(o, LOG_INFO, "replaced: the peer sent INITIAL_CONTACT");
            o->sa->state = IKE_SA_DELETED;
        }
    }
}

void ike_config_loaded(const struct cfg *cfg)
{
    char why[600];

    for (size_t i = 0; i < cfg->n_secrets; i++)
        if (cfg_ike_psk_warning(&cfg->secrets[i], why, sizeof(why)))
            log_warn("%s", why);
    if (creds_aa_warning(cfg, why, sizeof(why)))
        log_warn("%s", why);
}
