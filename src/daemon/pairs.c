/* SPDX-License-Identifier: MIT */
/*
 * The table of SA pairs (pairs.h), and the configured manual SAs in it:
 * one SA pair, one outbound and one inbound PROTECT policy per selector
 * pair, routes for the remote selectors.  On reload a connection whose
 * configuration did not change keeps its SAs, so sequence numbers and
 * replay windows carry on.
 */
#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "guard.h"
#include "handoff.h"
#include "log.h"
#include "manual_seq.h"
#include "pairs.h"
#include "reqids.h"
#include "routes.h"

struct pairs {
    struct sa_pair **v; /* in order of installation; NULL: a hole */
    size_t n, cap, holes;
    struct reqids *reqids;            /* reqids.h: of negotiated CHILD_SAs and traps */
    uint32_t ovh_count[PAIR_OVH_MAX]; /* pairs by the overhead of their outbound SA */
};

static int table(struct daemon *d)
{
    return d->pairs || (d->pairs = calloc(1, sizeof(*d->pairs))) ? 0 : -1;
}

size_t pairs_slots(const struct daemon *d)
{
    return d->pairs ? d->pairs->n : 0;
}

struct sa_pair *pairs_at(const struct daemon *d, size_t i)
{
    return d->pairs && i < d->pairs->n ? d->pairs->v[i] : NULL;
}

static void fill_sa(const struct cfg_manual *m, enum uipsec_dir dir, struct uipsec_sa_params *p)
{
    const struct cfg_keys *k = dir == UIPSEC_DIR_OUT ? &m->out : &m->in;
    size_t ek, salt, ak;

    *p = m->suite;
    p->spi = k->spi;
    p->dir = dir;
    p->proto = m->proto;
    p->mode = m->mode;
    p->tunnel_src = dir == UIPSEC_DIR_OUT ? m->local : m->remote;
    p->tunnel_dst = dir == UIPSEC_DIR_OUT ? m->remote : m->local;
    uipsec_suite_key_sizes(p, &ek, &salt, &ak);
    memcpy(p->enc_key, k->enc_key, ek);
    memcpy(p->salt, k->enc_key + ek, salt); /* IKE key material: key | salt */
    memcpy(p->auth_key, k->integ_key, ak);
    p->auth_key_len = (uint8_t)ak;
    p->seq = 1;
    p->replay_window = dir == UIPSEC_DIR_IN ? m->replay_window : 0;
    p->udp_sport = p->udp_dport = m->encap ? 4500 : 0;
    p->tfc_pad = m->mode == UIPSEC_MODE_TUNNEL ? m->tfc_pad : 0;
    p->lifetime = m->lifetime;
    p->backend = UIPSEC_BACKEND_AUTO;
}

static int make_sas(struct sa_pair *c, char *err, size_t err_len)
{
    struct uipsec_sa_params p;
    int rc;

    fill_sa(&c->cfg, UIPSEC_DIR_OUT, &p);
    if (mseq_prepare(c, &p, err, err_len) < 0) { /* AEAD: start above the numbers used */
        memset(&p, 0, sizeof(p));
        return -1;
    }
    rc = uipsec_sa_new(&p, &c->out);
    if (rc == UIPSEC_OK && mseq_attach(c, err, err_len) < 0) {
        memset(&p, 0, sizeof(p));
        return -1;
    }
    if (rc == UIPSEC_OK) {
        fill_sa(&c->cfg, UIPSEC_DIR_IN, &p);
        rc = uipsec_sa_new(&p, &c->in);
    }
    memset(&p, 0, sizeof(p));
    if (rc != UIPSEC_OK)
        snprintf(err, err_len, "%s: manual.%s: cannot make its SAs: %s", c->cfg.where, c->cfg.name,
                 uipsec_result_name(rc));
    return rc == UIPSEC_OK ? 0 : -1;
}

static int add_policy(struct daemon *d, struct sa_pair *c, const struct uipsec_selector *sel,
                      enum uipsec_dir dir)
{
    struct uipsec_policy_params pp = {.dir = dir,
                                      .priority = c->cfg.priority,
                                      .sel = *sel,
                                      .action = UIPSEC_POLICY_PROTECT,
                                      .ctx = c};

    pp.sa = dir == UIPSEC_DIR_OUT ? c->out : c->in;
    if (c->npol == MAX_POLICIES_PER_PAIR ||
        uipsec_spd_add(d->spd, &pp, &c->pol[c->npol]) != UIPSEC_OK)
        return -1;
    c->npol++;
    return 0;
}

/* The address family a selector is written in: IPv6 addresses have
 * colons, and %any6 names IPv6 (strongSwan's syntax). */
static int ts_family(const char *ts)
{
    size_t addr = strcspn(ts, "[");

    if (strncmp(ts, "%any6", 5) == 0 || memchr(ts, ':', addr))
        return 6;
    return 4;
}

/* Every local x remote selector pair of the same family. */
static int make_policies(struct daemon *d, struct sa_pair *c, char *err, size_t err_len)
{
    const struct cfg_manual *m = &c->cfg;
    char why[200];

    for (size_t l = 0; l < m->n_local_ts; l++)
        for (size_t r = 0; r < m->n_remote_ts; r++) {
            struct uipsec_selector sel;

            if (ts_family(m->local_ts[l]) != ts_family(m->remote_ts[r]))
                continue; /* an IPv4 and an IPv6 selector: not a pair */
            if (uipsec_selector_parse(&sel, m->local_ts[l], m->remote_ts[r], why, sizeof(why)) !=
                UIPSEC_OK) {
                snprintf(err, err_len, "%s: manual.%s: %s", m->where, m->name, why);
                return -1;
            }
            if (add_policy(d, c, &sel, UIPSEC_DIR_OUT) < 0 ||
                add_policy(d, c, &sel, UIPSEC_DIR_IN) < 0) {
                snprintf(err, err_len, "%s: manual.%s: too many policies", m->where, m->name);
                return -1;
            }
        }
    if (c->npol == 0) {
        snprintf(err, err_len, "%s: manual.%s: local_ts and remote_ts share no address family",
                 m->where, m->name);
        return -1;
    }
    return 0;
}

/* ---- what an SA costs to add or remove: O(1), whatever the number of SAs ---- */

/* The outbound SA's overhead, counted so that the TUN MTU (the path MTU
 * less the worst overhead) needs no pass over the SAs. */
static void track(struct daemon *d, struct sa_pair *c, unsigned path)
{
    size_t ovh;

    if (!c->out || c->ovh)
        return;
    ovh = uipsec_sa_overhead(c->out, path);
    c->max_inner = (uint32_t)(path - ovh);
    c->ovh = (uint16_t)(ovh < PAIR_OVH_MAX ? ovh : PAIR_OVH_MAX - 1);
    d->pairs->ovh_count[c->ovh]++;
}

static void untrack(struct daemon *d, struct sa_pair *c)
{
    if (c->ovh)
        d->pairs->ovh_count[c->ovh]--;
    c->ovh = 0;
}

/* The list keeps its order; a removal leaves a hole, and the holes are
 * closed once they are half of it. */
static void compact(struct daemon *d)
{
    size_t at = 0;

    for (size_t i = 0; i < d->pairs->n; i++)
        if (d->pairs->v[i]) {
            d->pairs->v[i]->at = at;
            d->pairs->v[at++] = d->pairs->v[i];
        }
    d->pairs->n = at;
    d->pairs->holes = 0;
}

static void unlist(struct daemon *d, struct sa_pair *c)
{
    if (c->at < d->pairs->n && d->pairs->v[c->at] == c) {
        d->pairs->v[c->at] = NULL;
        if (++d->pairs->holes * 2 > d->pairs->n)
            compact(d);
    }
}

/* Queues the removal of c's drop elements and routes (the caller commits
 * and settles them) and frees it. */
static void pair_free(struct daemon *d, struct sa_pair *c)
{
    if (!c)
        return;
    guard_pair(d, c, false);
    routes_pair(d, c, false);
    handoff_forget(d, c);
    if (d->pairs)
        reqids_drop(d->pairs->reqids, c);
    untrack(d, c);
    for (size_t i = 0; i < c->npol; i++)
        if (c->pol[i])
            uipsec_spd_remove(d->spd, c->pol[i]);
    if (c->in)
        uipsec_sad_remove(d->sad, c->cfg.in.spi, c->cfg.proto);
    uipsec_sa_free(c->in);
    mseq_release(c);
    uipsec_sa_free(c->out);
    free(c->held);
    OPENSSL_cleanse(c, sizeof(*c));
    free(c);
}

static struct sa_pair *pair_new(struct daemon *d, const struct cfg_manual *m, char *err,
                                size_t err_len)
{
    struct sa_pair *c = calloc(1, sizeof(*c));

    if (!c) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    c->cfg = *m;
    if (make_sas(c, err, err_len) < 0 || make_policies(d, c, err, err_len) < 0) {
        pair_free(d, c);
        return NULL;
    }
    if (uipsec_sad_add(d->sad, c->in, c) != UIPSEC_OK) {
        snprintf(err, err_len, "%s: manual.%s: inbound SPI %08x is already used by another SA",
                 m->where, m->name, m->in.spi);
        uipsec_sa_free(c->in);
        c->in = NULL;
        pair_free(d, c);
        return NULL;
    }
    return c;
}

/* Checks every selector pair before anything is torn down, so a reload
 * with a bad selector changes nothing. */
static int validate(const struct cfg *cfg, char *err, size_t err_len)
{
    for (size_t i = 0; i < cfg->n_manual; i++) {
        const struct cfg_manual *m = &cfg->manual[i];
        char why[200];

        for (size_t l = 0; l < m->n_local_ts; l++)
            for (size_t r = 0; r < m->n_remote_ts; r++) {
                struct uipsec_selector sel;

                if (ts_family(m->local_ts[l]) == ts_family(m->remote_ts[r]) &&
                    uipsec_selector_parse(&sel, m->local_ts[l], m->remote_ts[r], why,
                                          sizeof(why)) != UIPSEC_OK) {
                    snprintf(err, err_len, "%s: manual.%s: %s", m->where, m->name, why);
                    return -1;
                }
            }
        for (size_t j = 0; j < i; j++)
            if (cfg->manual[j].in.spi == m->in.spi && cfg->manual[j].proto == m->proto) {
                snprintf(err, err_len, "%s: manual.%s: in.spi %08x is also used by manual.%s",
                         m->where, m->name, m->in.spi, cfg->manual[j].name);
                return -1;
            }
    }
    return 0;
}

/* Policy pointers are valid from the commit that made them live. */
static void resolve_policies(struct daemon *d)
{
    for (size_t i = 0; i < d->pairs->n; i++) {
        struct sa_pair *c = d->pairs->v[i];

        if (!c || c->trap)
            continue;
        c->n_in_pol = 0;
        for (size_t p = 1; p < c->npol; p += 2)
            c->in_pol[c->n_in_pol++] = uipsec_spd_get(d->spd, c->pol[p]);
    }
}

static struct sa_pair *take_same(struct daemon *d, const struct cfg_manual *m)
{
    for (size_t i = 0; i < d->pairs->n; i++) {
        struct sa_pair *c = d->pairs->v[i];

        if (c && !c->ike && !c->trap && !strcmp(c->cfg.name, m->name) &&
            cfg_manual_equal(&c->cfg, m)) {
            d->pairs->v[i] = NULL;
            return c;
        }
    }
    return NULL;
}

static size_t count_ike(const struct daemon *d)
{
    size_t n = 0;

    for (size_t i = 0; i < pairs_slots(d); i++)
        n += d->pairs->v[i] && (d->pairs->v[i]->ike || d->pairs->v[i]->trap);
    return n;
}

/* Manual SAs follow the configuration; negotiated ones and traps are the
 * IKE side's (ike.c) and stay, after the manual ones. */
/* The new manual SAs go live: routes, MTU and drop elements, the latter
 * with the removals queued before in one transaction.  If the kernel
 * refuses, the new SAs go again (fail closed). */
static int go_live(struct daemon *d, const struct cfg *cfg, const bool *fresh)
{
    int rc = 0;

    for (size_t i = 0; i < d->pairs->n; i++)
        if (d->pairs->v[i] && cfg->path_mtu != d->cfg.path_mtu) {
            untrack(d, d->pairs->v[i]);
            track(d, d->pairs->v[i], cfg->path_mtu);
        }
    for (size_t i = 0; i < cfg->n_manual; i++)
        if (fresh[i] && d->pairs->v[i]) {
            track(d, d->pairs->v[i], cfg->path_mtu);
            routes_pair(d, d->pairs->v[i], true);
            rc |= guard_pair(d, d->pairs->v[i], true);
        }
    routes_settle(d);
    if (guard_commit(d, rc) == 0)
        return 0;
    for (size_t i = 0; i < cfg->n_manual; i++)
        if (fresh[i] && d->pairs->v[i]) {
            d->pairs->v[i]->guarded = false; /* its elements were taken back */
            pair_free(d, d->pairs->v[i]);
            d->pairs->v[i] = NULL;
        }
    uipsec_spd_commit(d->spd);
    routes_settle(d);
    guard_commit(d, 0);
    return -1;
}

int pairs_apply(struct daemon *d, const struct cfg *cfg, unsigned *added, unsigned *removed,
                unsigned *kept, char *err, size_t err_len)
{
    size_t nike = count_ike(d), at = cfg->n_manual;
    struct sa_pair **next = calloc(cfg->n_manual + nike + 1, sizeof(*next));
    bool *fresh = calloc(cfg->n_manual + 1, sizeof(*fresh));
    int rc = 0;

    *added = *removed = *kept = 0;
    if (!next || !fresh || table(d) < 0 || validate(cfg, err, err_len) < 0 ||
        mseq_configure(cfg, err, err_len) < 0) {
        free(next);
        free(fresh);
        return -1;
    }
    for (size_t i = 0; i < d->pairs->n; i++)
        if (d->pairs->v[i] && (d->pairs->v[i]->ike || d->pairs->v[i]->trap)) {
            next[at++] = d->pairs->v[i];
            d->pairs->v[i] = NULL;
        }
    for (size_t i = 0; i < cfg->n_manual; i++)
        if ((next[i] = take_same(d, &cfg->manual[i])))
            (*kept)++;
    for (size_t i = 0; i < d->pairs->n; i++)
        if (d->pairs->v[i]) {
            log_info("manual.%s: removed", d->pairs->v[i]->cfg.name);
            pair_free(d, d->pairs->v[i]);
            (*removed)++;
        }
    free(d->pairs->v);
    d->pairs->v = next;
    d->pairs->n = at;
    d->pairs->cap = cfg->n_manual + nike + 1;
    for (size_t i = 0; i < cfg->n_manual && rc == 0; i++) {
        if (next[i])
            continue;
        if (!(next[i] = pair_new(d, &cfg->manual[i], err, err_len)))
            rc = -1;
        else
            fresh[i] = true;
    }
    if (uipsec_spd_commit(d->spd) != UIPSEC_OK) {
        snprintf(err, err_len, "out of memory while compiling the policies");
        rc = -1;
    }
    resolve_policies(d);
    if (go_live(d, cfg, fresh) < 0 && rc == 0) {
        snprintf(err, err_len,
                 "cannot install the nftables elements that drop cleartext "
                 "packets for the new manual SAs: they are not installed");
        rc = -1;
    }
    for (size_t i = 0; i < cfg->n_manual; i++)
        *added += fresh[i] && d->pairs->v[i];
    free(fresh);
    compact(d);
    return rc;
}

void pairs_clear(struct daemon *d)
{
    for (size_t i = 0; i < pairs_slots(d); i++)
        pair_free(d, d->pairs->v[i]);
    if (d->pairs) {
        free(d->pairs->v);
        reqids_free(d->pairs->reqids);
    }
    free(d->pairs);
    d->pairs = NULL;
    uipsec_spd_commit(d->spd);
    routes_settle(d);
    guard_commit(d, 0);
}

/* The TUN MTU: the path MTU less the largest overhead of any SA, so the
 * kernel hands us only packets that fit once protected. */
unsigned pairs_mtu(const struct daemon *d)
{
    unsigned path = d->cfg.path_mtu, mtu = path - 80; /* no SA yet: a safe guess */

    for (size_t ovh = PAIR_OVH_MAX; d->pairs && ovh-- > 1;)
        if (d->pairs->ovh_count[ovh]) {
            mtu = path > ovh ? path - (unsigned)ovh : 0;
            break;
        }
    return mtu < 576 ? 576 : mtu;
}

int pairs_selectors(const char (*l)[64], size_t nl, const char (*r)[64], size_t nr,
                    const struct uipsec_addr *local, const struct uipsec_addr *remote,
                    struct uipsec_selector *out, size_t max, size_t *n, char *why, size_t why_len)
{
    char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];

    *n = 0;
    inet_ntop(local->family == 6 ? AF_INET6 : AF_INET, local->bytes, la, sizeof(la));
    inet_ntop(remote->family == 6 ? AF_INET6 : AF_INET, remote->bytes, ra, sizeof(ra));
    for (size_t i = 0; i < nl; i++)
        for (size_t j = 0; j < nr; j++) {
            const char *lt = strcmp(l[i], "dynamic") ? l[i] : la;
            const char *rt = strcmp(r[j], "dynamic") ? r[j] : ra;

            if (ts_family(lt) != ts_family(rt))
                continue;
            if (*n == max) {
                snprintf(why, why_len, "more than %zu selector pairs", max);
                return -1;
            }
            if (uipsec_selector_parse(&out[*n], lt, rt, why, why_len) != UIPSEC_OK)
                return -1;
            (*n)++;
        }
    if (*n == 0) {
        snprintf(why, why_len, "local_ts and remote_ts share no address family");
        return -1;
    }
    return 0;
}

static int add_sel_policies(struct daemon *d, struct sa_pair *c)
{
    for (size_t i = 0; i < c->nsel; i++) {
        if (add_policy(d, c, &c->sel[i], UIPSEC_DIR_OUT) < 0)
            return -1;
        if (!c->trap && add_policy(d, c, &c->sel[i], UIPSEC_DIR_IN) < 0)
            return -1;
    }
    return 0;
}

static int append(struct daemon *d, struct sa_pair *c)
{
    if (table(d) < 0)
        return -1;
    if (d->pairs->n == d->pairs->cap) {
        size_t cap = d->pairs->cap ? d->pairs->cap * 2 : 16;
        struct sa_pair **grown = realloc(d->pairs->v, cap * sizeof(*grown));

        if (!grown)
            return -1;
        d->pairs->v = grown;
        d->pairs->cap = cap;
    }
    c->at = d->pairs->n;
    d->pairs->v[d->pairs->n++] = c;
    if (c->ike || c->trap)
        c->reqid = reqids_take(&d->pairs->reqids, c);
    return 0;
}

/* Only c's policies are new: the others' pointers stay valid. */
static void resolve_one(struct daemon *d, struct sa_pair *c)
{
    c->n_in_pol = 0;
    for (size_t p = 1; p < c->npol; p += 2)
        c->in_pol[c->n_in_pol++] = uipsec_spd_get(d->spd, c->pol[p]);
}

struct sa_pair *pairs_add(struct daemon *d, struct sa_pair *c, const struct uipsec_sa_params *in,
                          const struct uipsec_sa_params *out, char *err, size_t err_len)
{
    int rc = UIPSEC_OK;

    c->installed = time(NULL);
    if (in && out) {
        rc = uipsec_sa_new(out, &c->out);
        if (rc == UIPSEC_OK)
            rc = uipsec_sa_new(in, &c->in);
        if (rc == UIPSEC_OK && uipsec_sad_add(d->sad, c->in, c) != UIPSEC_OK) {
            uipsec_sa_free(c->in);
            c->in = NULL;
            rc = UIPSEC_E_PARAM;
        }
    }
    if (rc != UIPSEC_OK || add_sel_policies(d, c) < 0 || append(d, c) < 0) {
        snprintf(err, err_len, "%s: cannot install: %s", c->cfg.name,
                 rc != UIPSEC_OK ? uipsec_result_name(rc) : "too many policies");
        pair_free(d, c);
        uipsec_spd_commit(d->spd);
        return NULL;
    }
    if (uipsec_spd_commit(d->spd) != UIPSEC_OK)
        log_warn("out of memory while compiling the policies");
    if (!c->trap)
        resolve_one(d, c);
    track(d, c, d->cfg.path_mtu);
    routes_pair(d, c, true);
    if (guard_commit(d, guard_pair(d, c, true)) < 0) {
        snprintf(err, err_len,
                 "%s: cannot install: the kernel would not drop cleartext packets for its "
                 "selectors",
                 c->cfg.name);
        c->guarded = false; /* its elements were taken back */
        pairs_del(d, c);
        return NULL;
    }
    return c;
}

void pairs_drop_outbound(struct daemon *d, struct sa_pair *c)
{
    routes_pair(d, c, false);
    for (size_t i = 0; i < c->npol; i += 2) /* outbound, inbound, outbound, ... */
        if (c->pol[i]) {
            uipsec_spd_remove(d->spd, c->pol[i]);
            c->pol[i] = 0;
        }
    if (uipsec_spd_commit(d->spd) != UIPSEC_OK)
        log_warn("out of memory while compiling the policies");
    routes_settle(d);
}

void pairs_del(struct daemon *d, struct sa_pair *c)
{
    unlist(d, c);
    pair_free(d, c);
    uipsec_spd_commit(d->spd);
    routes_settle(d);
    guard_commit(d, 0);
}
