/* SPDX-License-Identifier: MIT */
/* The control commands and the JSON they answer (docs/CONTROL.md). */
#include "control_json.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control_certs.h"
#include "daemon.h"
#include "ike.h"
#include "pairs.h"
#include "privclient.h"

static void add_u64(cJSON *o, const char *name, uint64_t v)
{
    cJSON_AddNumberToObject(o, name, (double)v);
}

static void add_addr(cJSON *o, const char *name, const struct uipsec_addr *a)
{
    char s[INET6_ADDRSTRLEN] = "";

    inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, s, sizeof(s));
    cJSON_AddStringToObject(o, name, s);
}

static cJSON *sa_drops(const struct uipsec_sa_stats *st)
{
    cJSON *o = cJSON_CreateObject();

    for (int r = 1; r < UIPSEC_RESULT_COUNT; r++)
        if (st->drops[r])
            add_u64(o, uipsec_result_name(r), st->drops[r]);
    return o;
}

static cJSON *lifetime(const struct cfg_manual *m, const struct uipsec_sa_stats *st)
{
    cJSON *o = cJSON_CreateObject();

    add_u64(o, "soft_bytes", m->lifetime.soft_bytes);
    add_u64(o, "hard_bytes", m->lifetime.hard_bytes);
    add_u64(o, "soft_packets", m->lifetime.soft_packets);
    add_u64(o, "hard_packets", m->lifetime.hard_packets);
    cJSON_AddBoolToObject(o, "soft_expired", st->soft_expired);
    cJSON_AddBoolToObject(o, "hard_expired", st->hard_expired);
    return o;
}

static cJSON *one_sa(const struct sa_pair *c, const struct uipsec_sa *sa, bool in)
{
    const struct cfg_manual *m = &c->cfg;
    const struct cfg_keys *k = in ? &m->in : &m->out;
    struct uipsec_sa_stats st;
    cJSON *o = cJSON_CreateObject();
    char spi[9];

    uipsec_sa_get_stats(sa, &st);
    snprintf(spi, sizeof(spi), "%08x", k->spi);
    cJSON_AddStringToObject(o, "name", m->name);
    cJSON_AddStringToObject(o, "spi", spi);
    cJSON_AddStringToObject(o, "direction", in ? "in" : "out");
    cJSON_AddStringToObject(o, "protocol", m->proto == UIPSEC_PROTO_ESP ? "esp" : "ah");
    cJSON_AddStringToObject(o, "mode", m->mode == UIPSEC_MODE_TUNNEL ? "tunnel" : "transport");
    cJSON_AddStringToObject(o, "suite", m->proposal);
    cJSON_AddBoolToObject(o, "encap", m->encap);
    add_addr(o, "local", &m->local);
    add_addr(o, "remote", &m->remote);
    cJSON_AddStringToObject(o, "backend", uipsec_backend_name(uipsec_sa_backend(sa)));
    cJSON_AddBoolToObject(o, "esn", m->suite.esn);
    add_u64(o, "packets", st.packets);
    add_u64(o, "bytes", st.bytes);
    add_u64(o, "seq", st.seq);
    add_u64(o, "replay_window", st.replay_window);
    add_u64(o, "replay_seen", st.replay_seen);
    cJSON_AddItemToObject(o, "lifetime", lifetime(m, &st));
    cJSON_AddItemToObject(o, "drops", sa_drops(&st));
    return o;
}

static cJSON *list_sas(struct daemon *d)
{
    cJSON *r = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(r, "sas");

    for (size_t i = 0; i < pairs_slots(d); i++) {
        const struct sa_pair *c = pairs_at(d, i);

        if (!c || c->trap)
            continue;
        cJSON_AddItemToArray(a, one_sa(c, c->in, true));
        cJSON_AddItemToArray(a, one_sa(c, c->out, false));
    }
    cJSON_AddItemToObject(r, "ike_sas", control_ike_sas(d));
    return r;
}

static cJSON *one_policy(const struct uipsec_spd *spd, const struct uipsec_policy *p)
{
    const struct sa_pair *c = p->params.ctx;
    const struct uipsec_selector *s = &p->params.sel;
    struct uipsec_policy_stats st;
    cJSON *o = cJSON_CreateObject();
    char ts[160], spi[9];

    uipsec_policy_get_stats(spd, p, &st);
    cJSON_AddStringToObject(o, "name", c ? c->cfg.name : "");
    cJSON_AddStringToObject(o, "direction", p->params.dir == UIPSEC_DIR_OUT ? "out" : "in");
    cJSON_AddStringToObject(o, "action", uipsec_policy_action_name(p->params.action));
    add_u64(o, "priority", p->params.priority);
    uipsec_selector_format(s, UIPSEC_TS_LOCAL, ts, sizeof(ts));
    cJSON_AddStringToObject(o, "local_ts", ts);
    uipsec_selector_format(s, UIPSEC_TS_REMOTE, ts, sizeof(ts));
    cJSON_AddStringToObject(o, "remote_ts", ts);
    if (c) {
        snprintf(spi, sizeof(spi), "%08x",
                 p->params.dir == UIPSEC_DIR_OUT ? c->cfg.out.spi : c->cfg.in.spi);
        cJSON_AddStringToObject(o, "spi", spi);
    } else {
        cJSON_AddNullToObject(o, "spi");
    }
    add_u64(o, "packets", st.packets);
    add_u64(o, "bytes", st.bytes);
    return o;
}

/* Reasons of the SPD, the daemon and the engine share one namespace: a
 * name counted in two places (e.g. "malformed") is summed. */
static void add_drop(cJSON *o, const char *name, uint64_t v)
{
    cJSON *have = cJSON_GetObjectItemCaseSensitive(o, name);

    if (have)
        cJSON_SetNumberValue(have, have->valuedouble + (double)v);
    else
        add_u64(o, name, v);
}

/* The workers' counters, one at a time or summed. */
static uint64_t worker_drop(const struct dp_worker *w, int r)
{
    return w->drops[r];
}

static uint64_t worker_engine_drop(const struct dp_worker *w, int r)
{
    return w->drops_engine[r];
}

static uint64_t worker_overflow(const struct dp_worker *w, int r)
{
    (void)r;
    return net_rx_dropped(w->net);
}

static uint64_t worker_sum(const struct daemon *d, uint64_t (*get)(const struct dp_worker *, int),
                           int r)
{
    uint64_t sum = 0;

    for (unsigned i = 0; d->workers && i < d->n_workers; i++)
        sum += get(&d->workers[i], r);
    return sum;
}

static cJSON *all_drops(struct daemon *d)
{
    struct uipsec_spd_stats st;
    cJSON *o = cJSON_CreateObject();
    uint64_t n;

    uipsec_spd_get_stats(d->spd, &st);
    /* Cleartext packets for protected traffic are dropped by the kernel
     * (cleardrop.c) and counted under the SPD's name for that drop. */
    st.drops[UIPSEC_SPD_DROP_CLEAR_FOR_PROTECT] += priv_drop_count(d);
    for (int r = 0; r < UIPSEC_SPD_DROP_COUNT; r++)
        if (st.drops[r])
            add_drop(o, uipsec_spd_drop_name(r), st.drops[r]);
    for (int r = 0; r < DD_COUNT; r++)
        if ((n = d->drops[r] + worker_sum(d, worker_drop, r)))
            add_drop(o, dd_drop_name(r), n);
    for (int r = 1; r < UIPSEC_RESULT_COUNT; r++)
        if ((n = worker_sum(d, worker_engine_drop, r)))
            add_drop(o, uipsec_result_name(r), n);
    if ((n = worker_sum(d, worker_overflow, 0))) /* the kernel's, at the outer sockets */
        add_drop(o, "socket-overflow", n);
    if (tun_dropped(&d->tun)) /* the kernel's, at the TUN device's queue */
        add_drop(o, "tun-queue-overflow", tun_dropped(&d->tun));
    return o;
}

/* Every policy, however many: the list is sized to the SPD, not capped. */
static cJSON *list_pols(struct daemon *d)
{
    cJSON *r = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(r, "policies");

    for (int dir = UIPSEC_DIR_OUT; dir <= UIPSEC_DIR_IN; dir++) {
        size_t n = uipsec_spd_list(d->spd, (enum uipsec_dir)dir, NULL, 0);
        const struct uipsec_policy **pols = calloc(n ? n : 1, sizeof(*pols));

        if (!pols) {
            cJSON_Delete(r);
            return NULL;
        }
        n = uipsec_spd_list(d->spd, (enum uipsec_dir)dir, pols, n);
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(a, one_policy(d->spd, pols[i]));
        free(pols);
    }
    cJSON_AddItemToObject(r, "drops", all_drops(d));
    return r;
}

/* IKE SAs: all, and those established (the others are being made or
 * ended). */
static void count_ike(const struct daemon *d, cJSON *r)
{
    uint64_t all = 0, up = 0;
    struct ike_view v;

    for (const struct ike_rt *rt = NULL; (rt = ike_view_next(d, rt, &v));) {
        all++;
        up += v.sa->state == IKE_SA_ESTABLISHED;
    }
    add_u64(r, "ike_sas", all);
    add_u64(r, "ike_sas_established", up);
}

/* The offloads at work: super-packets cut and coalesced at the TUN device,
 * trains sent and received on the UDP sockets. */
static void add_counters(cJSON *o, const struct dp_counters *dp, const struct net *n)
{
    add_u64(o, "tun_reads", dp->tun_reads);
    add_u64(o, "tun_super", dp->tun_super);
    add_u64(o, "tun_segments", dp->tun_segments);
    add_u64(o, "tun_writes", dp->tun_writes);
    add_u64(o, "tun_coalesced", dp->tun_coalesced);
    add_u64(o, "tun_merged", dp->tun_merged);
    add_u64(o, "rx_shared", dp->rx_shared);
    add_u64(o, "rx_helped", dp->rx_helped);
    add_u64(o, "udp_gso_trains", n->gso_trains);
    add_u64(o, "udp_gso_packets", n->gso_packets);
    add_u64(o, "udp_gro_receives", n->gro_receives);
    add_u64(o, "udp_gro_packets", n->gro_packets);
}

static void add_dp_counters(struct dp_counters *s, const struct dp_counters *a)
{
    s->tun_reads += a->tun_reads;
    s->tun_super += a->tun_super;
    s->tun_segments += a->tun_segments;
    s->tun_writes += a->tun_writes;
    s->tun_coalesced += a->tun_coalesced;
    s->tun_merged += a->tun_merged;
    s->rx_shared += a->rx_shared;
    s->rx_helped += a->rx_helped;
}

/* A worker's own: where the packets went, and what it dropped. */
static cJSON *one_worker(const struct dp_worker *w)
{
    cJSON *o = cJSON_CreateObject(), *drops = cJSON_CreateObject();
    uint64_t overflow;

    add_u64(o, "id", w->id);
    add_counters(o, &w->dp, w->net);
    for (int r = 0; r < DD_COUNT; r++)
        if (w->drops[r])
            add_drop(drops, dd_drop_name(r), w->drops[r]);
    for (int r = 1; r < UIPSEC_RESULT_COUNT; r++)
        if (w->drops_engine[r])
            add_drop(drops, uipsec_result_name(r), w->drops_engine[r]);
    if ((overflow = net_rx_dropped(w->net)))
        add_drop(drops, "socket-overflow", overflow);
    cJSON_AddItemToObject(o, "drops", drops);
    return o;
}

/* All workers' together, and each one's. */
static cJSON *datapath(const struct daemon *d)
{
    cJSON *o = cJSON_CreateObject(), *each = cJSON_CreateArray();
    struct dp_counters dp = {0};
    struct net sum = {0};

    for (unsigned i = 0; d->workers && i < d->n_workers; i++) {
        const struct dp_worker *w = &d->workers[i];

        add_dp_counters(&dp, &w->dp);
        sum.gso_trains += w->net->gso_trains;
        sum.gso_packets += w->net->gso_packets;
        sum.gro_receives += w->net->gro_receives;
        sum.gro_packets += w->net->gro_packets;
        cJSON_AddItemToArray(each, one_worker(w));
    }
    add_counters(o, &dp, &sum);
    cJSON_AddItemToObject(o, "workers", each);
    return o;
}

static cJSON *status(struct daemon *d)
{
    const struct uipsec_policy *none[1];
    cJSON *r = cJSON_CreateObject();
    size_t sas = 0;

    for (size_t i = 0; i < pairs_slots(d); i++)
        sas += pairs_at(d, i) && !pairs_at(d, i)->trap ? 2 : 0;
    cJSON_AddStringToObject(r, "daemon", "uipsecd");
    cJSON_AddStringToObject(r, "version", UIPSEC_VERSION);
    /* the privileged parent's: the one to signal; this process's too */
    add_u64(r, "pid", (uint64_t)(priv_has_parent(d) ? getppid() : getpid()));
    add_u64(r, "network_pid", (uint64_t)getpid());
    add_u64(r, "uptime", (uint64_t)(time(NULL) - d->started));
    cJSON_AddStringToObject(r, "config", d->config_path);
    cJSON_AddStringToObject(r, "interface", d->tun.name);
    add_u64(r, "mtu", d->tun.mtu);
    cJSON_AddStringToObject(r, "offload", tun_offload_name(&d->tun));
    add_u64(r, "workers", d->n_workers);
    add_u64(r, "sas", sas);
    count_ike(d, r);
    add_u64(r, "policies",
            uipsec_spd_list(d->spd, UIPSEC_DIR_OUT, none, 0) +
                uipsec_spd_list(d->spd, UIPSEC_DIR_IN, none, 0));
    cJSON_AddItemToObject(r, "datapath", datapath(d));
    cJSON_AddItemToObject(r, "drops", all_drops(d));
    return r;
}

static cJSON *reload(struct daemon *d, char *err, size_t err_len)
{
    unsigned added, removed, kept;
    cJSON *r;

    if (daemon_reload(d, &added, &removed, &kept, err, err_len) < 0)
        return NULL;
    r = cJSON_CreateObject();
    add_u64(r, "added", added);
    add_u64(r, "removed", removed);
    add_u64(r, "kept", kept);
    return r;
}

cJSON *control_dispatch(struct daemon *d, const struct ctl_request *req)
{
    cJSON *answer = cJSON_CreateObject(), *result = NULL;
    char err[600] = "";

    switch (req->cmd) {
    case CTL_INITIATE:
        result = control_initiate(d, req->json, err, sizeof(err));
        break;
    case CTL_TERMINATE:
        result = control_terminate(d, req->json, err, sizeof(err));
        break;
    case CTL_STATUS:
        result = status(d);
        break;
    case CTL_LIST_SAS:
        result = list_sas(d);
        break;
    case CTL_LIST_POLS:
        result = list_pols(d);
        break;
    case CTL_RELOAD:
        result = reload(d, err, sizeof(err));
        break;
    case CTL_LIST_CONNS:
        result = control_list_conns(d);
        break;
    case CTL_LIST_CERTS:
        result = control_list_certs(&d->cfg, time(NULL));
        break;
    case CTL_CMD_COUNT:
        break;
    }
    cJSON_AddBoolToObject(answer, "ok", result != NULL);
    if (result)
        cJSON_AddItemToObject(answer, "result", result);
    else
        cJSON_AddStringToObject(answer, "error", err[0] ? err : "failed");
    return answer;
}
