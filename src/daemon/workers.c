/* SPDX-License-Identifier: MIT */
/*
 * The data path's workers: how many (uipsec.workers, or one per core this
 * process may run on), and what each needs opened as root before the
 * privileges go: a queue of the TUN device and its outer sockets.
 */
#include "workers.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "routes.h"

unsigned workers_count(const struct cfg *cfg)
{
    cpu_set_t set;
    int n;

    if (cfg->workers)
        return cfg->workers;
    n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
    return n < 1 ? 1 : n > CFG_MAX_WORKERS ? CFG_MAX_WORKERS : (unsigned)n;
}

/* Worker i's queue and sockets: worker 0 has the device's first queue and
 * d->net, which the IKE thread uses too. */
static int open_one(struct daemon *d, struct dp_worker *w, unsigned i)
{
    w->d = d;
    w->id = i;
    w->tun = d->tun;
    w->net = i ? &w->own_net : &d->net;
    if (i && (w->tun.fd = tun_open_queue(&d->tun)) < 0) {
        log_err("cannot open queue %u of %s: %s", i, d->tun.name, strerror(errno));
        return -1;
    }
    return net_open(w->net, 4500, ROUTE_FWMARK, i, d->n_workers);
}

int workers_open(struct daemon *d)
{
    d->workers = calloc(d->n_workers, sizeof(*d->workers));
    if (!d->workers) {
        log_err("cannot start: out of memory");
        return -1;
    }
    for (unsigned i = 0; i < d->n_workers; i++) {
        d->workers[i].tun.fd = -1;
        memset(&d->workers[i].own_net, -1, sizeof(d->workers[i].own_net));
        d->workers[i].own_net.gro[0] = d->workers[i].own_net.gro[1] = NULL;
    }
    for (unsigned i = 0; i < d->n_workers; i++)
        if (open_one(d, &d->workers[i], i) < 0)
            return -1;
    return 0;
}

/* Worker 0's queue and sockets are the daemon's, closed with it. */
void workers_close(struct daemon *d)
{
    for (unsigned i = 0; d->workers && i < d->n_workers; i++) {
        struct dp_worker *w = &d->workers[i];

        dp_worker_free(w);
        if (i == 0)
            continue;
        if (w->net)
            net_close(w->net);
        if (w->tun.fd >= 0)
            close(w->tun.fd);
    }
    free(d->workers);
    d->workers = NULL;
}
