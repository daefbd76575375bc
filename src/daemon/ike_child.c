/* SPDX-License-Identifier: MIT */
/* CHILD_SAs of IKE SAs in the data plane, traps (start_action = trap),
 * and the control commands that start and end them. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "control.h"
#include "daemon.h"
#include "dataplane.h"
#include "ike_creds.h"
#include "ike_int.h"
#include "log.h"
#include "pairs.h"
#include "privclient.h"

/* What list-sas shows of a negotiated CHILD_SA (no keys are kept here). */
static void describe(struct sa_pair *c, const struct ike_rt *rt, const struct cfg_child *ch,
                     const struct ike_child_result *res)
{
    struct cfg_manual *m = &c->cfg;

    snprintf(m->name, sizeof(m->name), "%s", ch->name);
    snprintf(m->where, sizeof(m->where), "%s", ch->where);
    snprintf(c->conn_name, sizeof(c->conn_name), "%s", rt->conn.name);
    m->local = res->out.tunnel_src;
    m->remote = res->out.tunnel_dst;
    m->mode = res->out.mode;
    m->proto = UIPSEC_PROTO_ESP;
    ike_prop_format(&res->esp, m->proposal, sizeof(m->proposal));
    m->suite.proto = UIPSEC_PROTO_ESP;
    m->suite.enc = res->out.enc;
    m->suite.enc_key_len = res->out.enc_key_len;
    m->suite.integ = res->out.integ;
    m->suite.esn = res->out.esn;
    m->encap = res->out.udp_dport != 0;
    m->replay_window = ch->replay_window;
    m->priority = 100; /* before traps (200) */
    m->in.spi = res->in.spi;
    m->out.spi = res->out.spi;
    c->nsel = res->nts < CFG_MAX_TS ? res->nts : CFG_MAX_TS;
    memcpy(c->sel, res->ts, c->nsel * sizeof(c->sel[0]));
}

/* The answer `uipsecctl initiate` waits for. */
static void tell_waiting(const struct ike_rt *rt, const struct sa_pair *c)
{
    cJSON *r = cJSON_CreateObject();
    char spi[9];

    cJSON_AddStringToObject(r, "child", c->cfg.name);
    cJSON_AddStringToObject(r, "ike", rt->conn.name);
    cJSON_AddNumberToObject(r, "id", rt->id);
    snprintf(spi, sizeof(spi), "%08x", c->cfg.in.spi);
    cJSON_AddStringToObject(r, "spi_in", spi);
    snprintf(spi, sizeof(spi), "%08x", c->cfg.out.spi);
    cJSON_AddStringToObject(r, "spi_out", spi);
    cJSON_AddStringToObject(r, "proposal", c->cfg.proposal);
    control_child_done(rt->d, c->cfg.name, r, NULL);
    cJSON_Delete(r);
}

/* The CHILD_SA of rt whose inbound SPI is spi_in, found through the SAD
 * (its ctx is the conn): O(1) however many SAs there are. */
static struct sa_pair *child_by_spi(const struct daemon *d, const struct ike_rt *rt,
                                    uint32_t spi_in)
{
    void *ctx = NULL;

    if (!uipsec_sad_find(d->sad, spi_in, UIPSEC_PROTO_ESP, &ctx))
        return NULL;
    return ctx && ((struct sa_pair *)ctx)->ike == rt ? ctx : NULL;
}

static void retire_outbound(struct daemon *d, const struct ike_rt *rt, uint32_t spi_in)
{
    struct sa_pair *c = child_by_spi(d, rt, spi_in);

    if (c)
        pairs_drop_outbound(d, c);
}

void ike_child_up_cb(void *arg, const struct ike_child_result *res)
{
    struct ike_rt *rt = arg;
    struct daemon *d = rt->d;
    const struct cfg_child *ch = &rt->conn.children[res->cfg];
    struct uipsec_sa_params in = res->in, out = res->out;
    struct sa_pair *c = calloc(1, sizeof(*c));
    char err[300];

    if (res->cfg < CFG_MAX_CHILDREN)
        rt->child_pending[res->cfg] = false;
    ike_rt_after(rt); /* "established" before "installed" in the log */
    if (!c)
        return;
    c->ike = rt;
    c->child = res->cfg;
    c->replaces = res->replaces;
    describe(c, rt, ch, res);
    in.replay_window = ch->replay_window;
    in.backend = out.backend = UIPSEC_BACKEND_AUTO;
    in.seq = out.seq = 1;
    in.lifetime = out.lifetime = (struct uipsec_lifetime){
        .soft_bytes = ch->life.rekey[CFG_BYTES],
        .hard_bytes = ch->life.life[CFG_BYTES],
        .soft_packets = ch->life.rekey[CFG_PACKETS],
        .hard_packets = ch->life.life[CFG_PACKETS],
    };
    priv_keylog_esp(d, &in);
    priv_keylog_esp(d, &out);
    c->rekey_at = ike_jitter(time(NULL), ch->life.rekey[CFG_TIME], ch->life.rand[CFG_TIME]);
    c->expire_at = ch->life.life[CFG_TIME] ? time(NULL) + (time_t)ch->life.life[CFG_TIME] : 0;
    c = pairs_add(d, c, &in, &out, err, sizeof(err));
    OPENSSL_cleanse(&in, sizeof(in));
    OPENSSL_cleanse(&out, sizeof(out));
    if (!c) { /* the peer has it: tell it that we do not (RFC 7296 1.3.1) */
        ike_rt_log(rt, LOG_ERR, "%s; deleting it", err);
        if (ike_sa_queue(rt->sa, IKE_TASK_DELETE_CHILD, res->in.spi) != UIPSEC_OK)
            ike_rt_log(rt, LOG_WARN, "cannot queue the DELETE");
        return;
    }
    ike_rt_log(rt, LOG_INFO, "CHILD_SA %s installed: %s, SPIs %08x in %08x out%s%s%s", ch->name,
               c->cfg.proposal, c->cfg.in.spi, c->cfg.out.spi, res->pfs ? ", PFS" : "",
               c->cfg.encap ? ", ESP in UDP" : "", res->replaces ? ", rekeyed" : "");
    /* our rekey: the peer has the new SA already, send on it at once; the
     * old one is the peer's to leave when our DELETE arrives */
    if (res->replaces && res->initiated)
        retire_outbound(d, rt, res->replaces);
    daemon_refresh(d);
    ike_traps_deliver(d, c);
    tell_waiting(rt, c);
}

void ike_child_down_cb(void *arg, uint32_t spi_in, uint32_t spi_out)
{
    struct ike_rt *rt = arg;
    struct daemon *d = rt->d;
    struct sa_pair *c = child_by_spi(d, rt, spi_in);

    if (!c)
        return;
    ike_rt_log(rt, LOG_INFO, "CHILD_SA %s deleted (SPIs %08x in %08x out)", c->cfg.name, spi_in,
               spi_out);
    pairs_del(d, c);
    daemon_refresh(d);
}

/* ---- traps ---- */

static int add_trap(struct daemon *d, const struct cfg_conn *cc, unsigned k)
{
    const struct cfg_child *ch = &cc->children[k];
    struct uipsec_addr local = cc->local;
    struct sa_pair *c = calloc(1, sizeof(*c));
    char why[300];

    if (!c)
        return -1;
    if (!local.family && cc->remote.family)
        local = ike_io_source_for(&cc->remote);
    c->trap = true;
    c->child = k;
    snprintf(c->conn_name, sizeof(c->conn_name), "%s", cc->name);
    snprintf(c->cfg.name, sizeof(c->cfg.name), "%s", ch->name);
    snprintf(c->cfg.where, sizeof(c->cfg.where), "%s", ch->where);
    snprintf(c->cfg.proposal, sizeof(c->cfg.proposal), "trap");
    c->cfg.local = local;
    c->cfg.remote = cc->remote;
    c->cfg.mode = ch->mode;
    c->cfg.proto = UIPSEC_PROTO_ESP;
    c->cfg.priority = 200;
    if (!cc->remote.family || !local.family ||
        pairs_selectors(ch->local_ts, ch->n_local_ts, ch->remote_ts, ch->n_remote_ts, &local,
                        &cc->remote, c->sel, CFG_MAX_TS, &c->nsel, why, sizeof(why)) < 0) {
        log_warn("%s: trap for %s not installed: %s", ch->where, ch->name,
                 !cc->remote.family ? "remote_addrs is %any" : why);
        free(c);
        return -1;
    }
    if (!pairs_add(d, c, NULL, NULL, why, sizeof(why))) {
        log_warn("%s", why);
        return -1;
    }
    log_info("%s: trap installed for CHILD_SA %s", cc->name, ch->name);
    return 0;
}

void ike_traps_clear(struct daemon *d)
{
    for (size_t i = pairs_slots(d); i-- > 0;)
        if (pairs_at(d, i) && pairs_at(d, i)->trap)
            pairs_del(d, pairs_at(d, i));
}

static void start_actions(struct daemon *d, bool start)
{
    char err[300];

    for (size_t i = 0; i < d->cfg.n_ike_conns; i++) {
        const struct cfg_conn *cc = &d->cfg.ike_conns[i];

        for (unsigned k = 0; k < cc->n_children; k++) {
            if (cc->children[k].start_action == CFG_START_TRAP)
                add_trap(d, cc, k);
            else if (start && cc->children[k].start_action == CFG_START_START &&
                     ike_initiate_conn(d, cc, k, err, sizeof(err)) < 0)
                log_warn("start_action = start: %s", err);
        }
    }
}

int ike_start(struct daemon *d)
{
    if (ike_fetch_start(d) < 0)
        return -1;
    ike_cookie_rotate(d);
    ike_cookie_rotate(d); /* both generations get a secret */
    start_actions(d, true);
    daemon_refresh(d);
    return 0;
}

void ike_reload(struct daemon *d)
{
    ike_creds_cache_flush(d->ike->creds); /* the connections' certificates anew */
    ike_fetch_reload(d);
    ike_traps_clear(d);
    start_actions(d, false);
    daemon_refresh(d);
}

/* An IKE SA of ours for conn is being made. */
static bool busy(const struct daemon *d, const char *conn)
{
    for (const struct ike_rt *rt = d->ike->list; rt; rt = rt->next)
        if (ike_rt_usable(rt, conn) && rt->sa->state < IKE_SA_ESTABLISHED)
            return true;
    return false;
}

/* A CHILD_SA k of conn is being negotiated already (initiate, or a trap). */
static bool child_pending(const struct daemon *d, const char *conn, unsigned k)
{
    for (const struct ike_rt *rt = d->ike->list; rt; rt = rt->next)
        if (ike_rt_usable(rt, conn) && k < CFG_MAX_CHILDREN && rt->child_pending[k])
            return true;
    return false;
}

static void hold(struct sa_pair *trap, const uint8_t *pkt, size_t len)
{
    if ((trap->held = malloc(len))) {
        memcpy(trap->held, pkt, len);
        trap->held_len = len;
    }
}

/* On the data path: at most one packet is held, and an initiation that
 * could not start is not tried again for TRAP_RETRY_S (no allocation or
 * log line per packet). */
void ike_trap_fire(struct daemon *d, struct sa_pair *trap, const uint8_t *pkt, size_t len)
{
    const struct cfg_conn *cc = NULL;
    time_t now = time(NULL);
    char err[300];

    if (trap->held || now < trap->retry_at || busy(d, trap->conn_name)) {
        d->drops[DD_TRAP_PENDING]++; /* one packet waits; the rest are lost, as in the kernel */
        return;
    }
    if (child_pending(d, trap->conn_name, trap->child)) {
        hold(trap, pkt, len); /* sent when the CHILD_SA under way is up */
        return;
    }
    for (size_t i = 0; i < d->cfg.n_ike_conns && !cc; i++)
        if (!strcmp(d->cfg.ike_conns[i].name, trap->conn_name))
            cc = &d->cfg.ike_conns[i];
    if (!cc || trap->child >= cc->n_children)
        return;
    hold(trap, pkt, len);
    log_info("%s: traffic for CHILD_SA %s, negotiating", cc->name, trap->cfg.name);
    if (ike_initiate_conn(d, cc, trap->child, err, sizeof(err)) < 0) {
        log_warn("trap: %s; trying again in %d s", err, TRAP_RETRY_S);
        trap->retry_at = now + TRAP_RETRY_S;
        ike_traps_release(d, cc->name, trap->child);
    }
}

void ike_traps_release(struct daemon *d, const char *conn, unsigned k)
{
    for (size_t i = 0; i < pairs_slots(d); i++) {
        struct sa_pair *t = pairs_at(d, i);

        if (t && t->trap && t->child == k && !strcmp(t->conn_name, conn) && t->held) {
            free(t->held);
            t->held = NULL;
            t->held_len = 0;
        }
    }
}

void ike_traps_deliver(struct daemon *d, struct sa_pair *child)
{
    for (size_t i = 0; i < pairs_slots(d); i++) {
        struct sa_pair *t = pairs_at(d, i);

        if (t && t->trap && t->child == child->child && !strcmp(t->conn_name, child->conn_name) &&
            t->held) {
            dp_send_held(d, child, t->held, t->held_len);
            free(t->held);
            t->held = NULL;
            t->held_len = 0;
        }
    }
}

/* ---- control ---- */

int ike_initiate(struct daemon *d, const char *child, char *err, size_t err_len)
{
    for (size_t i = 0; i < d->cfg.n_ike_conns; i++) {
        const struct cfg_conn *cc = &d->cfg.ike_conns[i];

        for (unsigned k = 0; k < cc->n_children; k++)
            if (!strcmp(cc->children[k].name, child))
                return ike_initiate_conn(d, cc, k, err, err_len);
    }
    snprintf(err, err_len, "no CHILD_SA named \"%s\" in the connections", child);
    return -1;
}

/* An initiation of child still waiting for its IKE_SA_INIT answer keeps
 * retransmitting through unauthenticated errors (RFC 7296 2.21.1); the
 * last one seen tells the user what is probably wrong.  NULL if none. */
const char *ike_waiting_error(const struct daemon *d, const char *child, char *buf, size_t len)
{
    for (const struct ike_rt *rt = d->ike->list; rt; rt = rt->next) {
        const struct ike_sa *sa = rt->sa;

        if (!sa || sa->state != IKE_SA_INIT_SENT || !sa->fail_notify)
            continue;
        for (unsigned k = 0; k < rt->conn.n_children; k++)
            if (rt->child_pending[k] && !strcmp(rt->conn.children[k].name, child)) {
                snprintf(buf, len,
                         "the peer answered %s (unauthenticated: uipsecd keeps trying until "
                         "its retransmissions run out; uipsecctl terminate --ike %s stops it)",
                         ike_notify_name(sa->fail_notify), rt->conn.name);
                return buf;
            }
    }
    return NULL;
}

/* DELETE for an IKE SA and its children, or forget it if not up yet. */
static void end_ike(struct ike_rt *rt)
{
    if (rt->sa->state != IKE_SA_ESTABLISHED)
        rt->sa->state = IKE_SA_DELETED; /* not up yet: just forget it */
    else if (ike_sa_queue(rt->sa, IKE_TASK_DELETE_IKE, 0) != UIPSEC_OK)
        rt->sa->state = IKE_SA_DELETED;
}

int ike_terminate_id(struct daemon *d, unsigned id, char *err, size_t err_len)
{
    for (struct ike_rt *rt = d->ike->list; rt; rt = rt->next)
        if (rt->sa && rt->id == id) {
            end_ike(rt);
            ike_reap(d);
            return 0;
        }
    snprintf(err, err_len, "no IKE SA #%u is up", id);
    return -1;
}

/* terminate --ike NAME: DELETE for its IKE SAs (with their children);
 * terminate --child NAME: DELETE for those CHILD_SAs only. */
int ike_terminate(struct daemon *d, const char *ike, const char *child, char *err, size_t err_len)
{
    unsigned n = 0;

    for (struct ike_rt *rt = d->ike->list; rt; rt = rt->next) {
        if (!rt->sa || (ike && strcmp(rt->conn.name, ike) != 0))
            continue;
        if (ike) {
            n++;
            end_ike(rt);
            continue;
        }
        uint32_t spis[IKE_MAX_TASKS];
        size_t nspi = 0;

        /* SPIs first: queueing may send the DELETE (and change the pairs) */
        for (size_t i = 0; i < pairs_slots(d) && nspi < IKE_MAX_TASKS; i++) {
            struct sa_pair *c = pairs_at(d, i);

            if (c && c->ike == rt && !strcmp(c->cfg.name, child))
                spis[nspi++] = c->cfg.in.spi;
        }
        for (size_t i = 0; i < nspi; i++)
            n += ike_sa_queue(rt->sa, IKE_TASK_DELETE_CHILD, spis[i]) == UIPSEC_OK;
    }
    if (!n) {
        snprintf(err, err_len, "no %s named \"%s\" is up", ike ? "IKE SA" : "CHILD_SA",
                 ike ? ike : child);
        return -1;
    }
    ike_reap(d); /* what ended at once (not up yet, or could not send) */
    return 0;
}
