/* SPDX-License-Identifier: MIT */
/*
 * Our own initiations, paced per peer address (ike_int.h).  A gateway
 * that starts hundreds of connections to one peer at once would send
 * hundreds of IKE_SA_INIT in the same millisecond: the peer's admission
 * rules (admit.h: a few half-open SAs per source until its SAs complete)
 * drop most of them, and they come back only at the retransmission
 * timers, 2, 6, 14, 30 s later, the CPUs idle meanwhile.  So at most
 * `window` of our IKE SAs to one address wait for their IKE_AUTH answer;
 * the others queue, in order, and start as those complete.  The window
 * starts below what the peer grants a proven source (twice
 * ADMIT_HALF_OPEN_PER_PREFIX), grows by one per completion (the peer's
 * by ADMIT_CREDIT_PER_DONE: we stay below it) and halves on a failure.
 */
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "daemon.h"
#include "ike_choose.h"
#include "ike_int.h"

#define PACE_BUCKETS 256

struct pace_job {
    struct pace_job *next;
    char conn[sizeof(((struct cfg_conn *)0)->name)];
    char child[sizeof(((struct cfg_conn *)0)->name)];
    unsigned k;
};

/* One peer address we initiate to; made on its first initiation, kept
 * (they are the configured remote_addrs: few). */
struct pace_peer {
    struct pace_peer *next;
    struct uipsec_addr addr;
    unsigned in_flight, window;
    struct pace_job *head, **tail;
};

struct ike_pace {
    struct pace_peer *bucket[PACE_BUCKETS];
    size_t queued;   /* jobs in all queues */
    bool dequeueing; /* ike_pace_run is starting one: no queueing */
};

static struct pace_peer *peer_get(struct daemon *d, const struct uipsec_addr *addr)
{
    struct ike_pace *p = d->ike->pace;
    uint32_t h = addr->family;
    struct pace_peer *e;

    if (!p && !(p = d->ike->pace = calloc(1, sizeof(*p))))
        return NULL;
    for (size_t i = 0; i < (addr->family == 6 ? 16u : 4u); i++)
        h = h * 31 + addr->bytes[i];
    for (e = p->bucket[h % PACE_BUCKETS]; e; e = e->next)
        if (ike_addr_eq(&e->addr, addr))
            return e;
    if (!(e = calloc(1, sizeof(*e))))
        return NULL;
    e->addr = *addr;
    e->window = IKE_PACE_WINDOW;
    e->tail = &e->head;
    e->next = p->bucket[h % PACE_BUCKETS];
    p->bucket[h % PACE_BUCKETS] = e;
    return e;
}

bool ike_pace_queue(struct daemon *d, const struct cfg_conn *conn, unsigned k)
{
    struct pace_peer *e;
    struct pace_job *j;

    if ((d->ike->pace && d->ike->pace->dequeueing) || !(e = peer_get(d, &conn->remote)) ||
        (e->in_flight < e->window && !e->head))
        return false;
    for (j = e->head; j; j = j->next)
        if (j->k == k && !strcmp(j->conn, conn->name))
            return true; /* already waiting */
    if (!(j = calloc(1, sizeof(*j))))
        return false;
    memcpy(j->conn, conn->name, sizeof(j->conn));
    memcpy(j->child, conn->children[k].name, sizeof(j->child));
    j->k = k;
    if (!e->head)
        log_info("%s: initiation queued, and those after it to the same peer: %u of our IKE SAs "
                 "to it wait for IKE_AUTH (ike_pace.c)",
                 conn->name, e->in_flight);
    *e->tail = j;
    e->tail = &j->next;
    d->ike->pace->queued++;
    return true;
}

void ike_pace_start(struct ike_rt *rt)
{
    struct pace_peer *e = peer_get(rt->d, &rt->path.remote);

    if (e) {
        e->in_flight++;
        rt->paced = true;
    }
}

void ike_pace_end(struct ike_rt *rt, bool ok)
{
    struct pace_peer *e;

    if (!rt->paced)
        return;
    rt->paced = false;
    if (!(e = peer_get(rt->d, &rt->path.remote)) || !e->in_flight)
        return;
    e->in_flight--;
    if (ok && e->window < IKE_PACE_WINDOW_MAX)
        e->window++;
    else if (!ok && e->window > IKE_PACE_WINDOW / 2)
        e->window /= 2;
}

static const struct cfg_conn *conn_named(const struct cfg *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_ike_conns; i++)
        if (!strcmp(cfg->ike_conns[i].name, name))
            return &cfg->ike_conns[i];
    return NULL;
}

/* Starts the job (it was taken off its queue). */
static void run_job(struct daemon *d, struct pace_job *j)
{
    const struct cfg_conn *c = conn_named(&d->cfg, j->conn);
    char err[300];

    if (!c || j->k >= c->n_children || strcmp(c->children[j->k].name, j->child)) {
        snprintf(err, sizeof(err), "%s: connection or child %s gone while queued", j->conn,
                 j->child);
        log_warn("%s", err);
        control_child_done(d, j->child, NULL, err);
        return;
    }
    if (ike_initiate_conn(d, c, j->k, err, sizeof(err)) < 0) {
        log_warn("%s", err);
        control_child_done(d, j->child, NULL, err);
    }
}

void ike_pace_run(struct daemon *d)
{
    struct ike_pace *p = d->ike->pace;

    if (!p || !p->queued || p->dequeueing)
        return;
    p->dequeueing = true;
    for (size_t b = 0; b < PACE_BUCKETS; b++)
        for (struct pace_peer *e = p->bucket[b]; e; e = e->next)
            while (e->head && e->in_flight < e->window) {
                struct pace_job *j = e->head;

                if (!(e->head = j->next))
                    e->tail = &e->head;
                p->queued--;
                run_job(d, j);
                free(j);
            }
    p->dequeueing = false;
}

void ike_pace_free(struct daemon *d)
{
    struct ike_pace *p = d->ike ? d->ike->pace : NULL;

    if (!p)
        return;
    for (size_t b = 0; b < PACE_BUCKETS; b++)
        while (p->bucket[b]) {
            struct pace_peer *e = p->bucket[b];

            p->bucket[b] = e->next;
            while (e->head) {
                struct pace_job *j = e->head;

                e->head = j->next;
                free(j);
            }
            free(e);
        }
    free(p);
    d->ike->pace = NULL;
}
