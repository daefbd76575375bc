/* SPDX-License-Identifier: MIT */
/* The IKE runtime's revocation information: one cache (revoc.h) for all
 * IKE SAs, filled through the fetcher (fetch.h); every answer lets the
 * SAs that hold an IKE_AUTH for one go on. */
#include "ike_int.h"

#include "daemon.h"
#include "fetch.h"
#include "revoc.h"

int ike_fetch_start(struct daemon *d)
{
    struct ike_state *ik = d->ike;

    ik->fetch = fetch_client_new(d->fetch_fd);
    d->fetch_fd = -1; /* the client's now */
    ik->revoc = ik->fetch ? ike_revoc_new(fetch_client_request, ik->fetch) : NULL;
    return ik->revoc ? 0 : -1;
}

void ike_fetch_stop(struct daemon *d)
{
    if (!d->ike)
        return;
    ike_revoc_free(d->ike->revoc);
    fetch_client_free(d->ike->fetch);
    d->ike->revoc = NULL;
    d->ike->fetch = NULL;
}

int ike_fetch_fd(const struct daemon *d)
{
    return d->ike ? fetch_client_fd(d->ike->fetch) : -1;
}

static void recheck(struct daemon *d)
{
    for (struct ike_rt *rt = d->ike->list; rt; rt = rt->next)
        if (rt->sa && ike_sa_checking(rt->sa)) {
            ike_sa_recheck(rt->sa);
            ike_rt_after(rt);
        }
    ike_reap(d);
}

void ike_fetch_readable(struct daemon *d)
{
    if (d->ike->fetch && fetch_client_readable(d->ike->fetch, d->ike->revoc))
        recheck(d);
}

void ike_fetch_tick(struct daemon *d)
{
    if (d->ike->fetch && fetch_client_tick(d->ike->fetch, d->ike->revoc, time(NULL)))
        recheck(d);
}
