/* SPDX-License-Identifier: MIT */
/* Lifetimes: IKE SAs and CHILD_SAs are rekeyed before they expire (by
 * time; CHILD_SAs also by bytes and packets, which the engine counts) and
 * deleted when they do, with strongSwan's settings and defaults
 * (docs/CONFIGURATION.md).  A rekey that fails is tried again. */
#include "daemon.h"
#include "ike_int.h"
#include "pairs.h"

#define RETRY_S 30 /* a rekey that did not happen is asked for again */

static void ike_sa_life(struct ike_rt *rt, time_t now)
{
    if (rt->expire_at && now >= rt->expire_at) {
        ike_rt_log(rt, LOG_INFO, "IKE SA lifetime over: deleting it");
        rt->expire_at = rt->rekey_at = 0;
        if (ike_sa_queue(rt->sa, IKE_TASK_DELETE_IKE, 0) != UIPSEC_OK)
            rt->sa->state = IKE_SA_DELETED;
    } else if (rt->rekey_at && now >= rt->rekey_at) {
        rt->rekey_at = now + RETRY_S;
        if (ike_sa_queue(rt->sa, IKE_TASK_REKEY_IKE, 0) != UIPSEC_OK)
            ike_rt_log(rt, LOG_WARN, "cannot queue the IKE SA rekey");
    }
}

static void child_life(struct sa_pair *c, time_t now)
{
    struct uipsec_sa_stats in, out;
    struct ike_rt *rt = c->ike;

    uipsec_sa_get_stats(c->in, &in);
    uipsec_sa_get_stats(c->out, &out);
    /* when it last carried packets, to the tick (VICI's use-in, use-out):
     * the data path keeps no clock per packet */
    if (in.packets != c->seen_in)
        c->seen_in = in.packets, c->used_in = now;
    if (out.packets != c->seen_out)
        c->seen_out = out.packets, c->used_out = now;
    if ((c->expire_at && now >= c->expire_at) || in.hard_expired || out.hard_expired) {
        ike_rt_log(rt, LOG_INFO, "CHILD_SA %s (%08x) lifetime over: deleting it", c->cfg.name,
                   c->cfg.in.spi);
        c->expire_at = c->rekey_at = 0;
        if (ike_sa_queue(rt->sa, IKE_TASK_DELETE_CHILD, c->cfg.in.spi) != UIPSEC_OK)
            ike_rt_log(rt, LOG_WARN, "cannot queue the DELETE");
        return;
    }
    /* bytes or packets: the engine says when (soft lifetime) */
    if ((in.soft_expired || out.soft_expired) && (!c->rekey_at || c->rekey_at > now + RETRY_S))
        c->rekey_at = now;
    if (c->rekey_at && now >= c->rekey_at) {
        c->rekey_at = now + RETRY_S;
        if (ike_sa_queue(rt->sa, IKE_TASK_REKEY_CHILD, c->cfg.in.spi) != UIPSEC_OK)
            ike_rt_log(rt, LOG_WARN, "cannot queue the CHILD_SA rekey");
    }
}

void ike_lifetimes(struct daemon *d)
{
    time_t now = time(NULL);

    for (struct ike_rt *rt = d->ike->list; rt; rt = rt->next)
        if (rt->sa && rt->sa->state == IKE_SA_ESTABLISHED && !rt->sa->rekeyed)
            ike_sa_life(rt, now);
    /* backwards: should a conn go meanwhile, the ones before it stay put */
    for (size_t i = pairs_slots(d); i-- > 0;) {
        struct sa_pair *c = i < pairs_slots(d) ? pairs_at(d, i) : NULL;

        if (c && c->ike && c->ike->sa && c->ike->sa->state == IKE_SA_ESTABLISHED &&
            !c->ike->sa->rekeyed)
            child_life(c, now);
    }
}
