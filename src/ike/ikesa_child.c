/* SPDX-License-Identifier: MIT */
/* CHILD_SAs (RFC 7296 1.3, 2.17): choosing the configured child an offer
 * fits, KEYMAT, and CREATE_CHILD_SA for additional CHILD_SAs, with PFS when
 * the ESP proposal names a DH group.  A rekey request (N(REKEY_SA)) is
 * answered as a new CHILD_SA: the peer deletes the old one afterwards. */
#include "ikesa_int.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define CHILD_MAX_PAYLOADS 9

uint32_t ike_spi_num(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct ike_payload ike_notify_pl(uint16_t type, const uint8_t *data, size_t len)
{
    return (struct ike_payload){.type = IKE_PL_NOTIFY,
                                .u.notify = {.type = type, .data = {data, len}}};
}

static enum uipsec_mode pick_mode(const struct ike_child_cfg *c, const struct ike_msg *m)
{
    return c->mode == UIPSEC_MODE_TRANSPORT && ike_msg_notify(m, IKE_N_USE_TRANSPORT_MODE)
               ? UIPSEC_MODE_TRANSPORT
               : UIPSEC_MODE_TUNNEL;
}

uint16_t ike_child_choose(struct ike_sa *sa, const struct ike_msg *m, bool ignore_dh,
                          struct ike_child_pick *pick)
{
    const struct ike_payload *sa_pl = ike_msg_find(m, IKE_PL_SA),
                             *tsi = ike_msg_find(m, IKE_PL_TSI), *tsr = ike_msg_find(m, IKE_PL_TSR);
    /* TSi and the keys belong to whoever started this exchange, which in
     * CREATE_CHILD_SA need not be the IKE SA's initiator (2.9, 2.17) */
    bool i = m->hdr.flags & IKE_FLAG_R;
    const struct ike_cfg *c = sa->cfg;
    size_t first = i ? sa->child_cfg : 0, last = i ? sa->child_cfg + 1 : c->nchildren, idx;
    uint16_t err = IKE_N_TS_UNACCEPTABLE;

    if (!sa_pl || !tsi || !tsr)
        return IKE_N_INVALID_SYNTAX;
    for (size_t k = first; k < last && k < c->nchildren; k++) {
        pick->nsel = ike_ts_narrow(&c->child[k], i, &tsi->u.ts, &tsr->u.ts, pick->sel);
        if (!pick->nsel)
            continue;
        err = IKE_N_NO_PROPOSAL_CHOSEN;
        if (!ike_prop_select(&c->child[k].esp, &sa_pl->u.sa, ignore_dh, &pick->esp, &idx) ||
            sa_pl->u.sa.proposals[idx].spi_size != IKE_CHILD_SPI_LEN)
            continue;
        if (i && sa_pl->u.sa.nproposals != 1)
            continue; /* an answer carries exactly the one it chose */
        pick->cfg = (unsigned)k;
        pick->started = i;
        pick->peer_spi = sa_pl->u.sa.proposals[idx].spi;
        pick->mode = pick_mode(&c->child[k], m);
        return 0;
    }
    return err;
}

void ike_child_payloads(bool started, struct ike_child_wire *cw, const struct ike_prop *props,
                        size_t nprops, const uint8_t *spi, const struct uipsec_selector *sel,
                        size_t nsel, bool transport, const struct ike_payload *mid, size_t nmid,
                        struct ike_payload *pl, size_t *n)
{
    bool i = started; /* our selectors are TSi if our message is the request */
    struct ike_pl_sa sa_pl;
    struct ike_pl_ts tsi, tsr;

    if (transport)
        pl[(*n)++] = ike_notify_pl(IKE_N_USE_TRANSPORT_MODE, NULL, 0);
    ike_prop_to_pl(props, nprops, spi, IKE_CHILD_SPI_LEN, &cw->w, &sa_pl);
    pl[(*n)++] = (struct ike_payload){.type = IKE_PL_SA, .u.sa = sa_pl};
    for (size_t k = 0; k < nmid; k++)
        pl[(*n)++] = mid[k];
    ike_ts_to_pl(sel, nsel, i, cw->ts_i, &tsi);
    ike_ts_to_pl(sel, nsel, !i, cw->ts_r, &tsr);
    pl[(*n)++] = (struct ike_payload){.type = IKE_PL_TSI, .u.ts = tsi};
    pl[(*n)++] = (struct ike_payload){.type = IKE_PL_TSR, .u.ts = tsr};
}

/* Tunnel endpoints, and UDP 4500 when NAT-T is on (RFC 3948). */
static void fill_dir(const struct ike_sa *sa, struct uipsec_sa_params *p, bool in, uint32_t spi,
                     enum uipsec_mode mode)
{
    const struct ike_path *path = &sa->path;

    p->spi = spi;
    p->dir = in ? UIPSEC_DIR_IN : UIPSEC_DIR_OUT;
    p->mode = mode;
    p->tunnel_src = in ? path->remote : path->local;
    p->tunnel_dst = in ? path->local : path->remote;
    if (ike_sa_behind_nat(sa)) {
        p->udp_sport = in ? path->remote_port : path->local_port;
        p->udp_dport = in ? path->local_port : path->remote_port;
    }
}

static void record(struct ike_sa *sa, const struct ike_child_result *res)
{
    if (sa->nchildren < IKE_MAX_CHILDREN)
        sa->children[sa->nchildren++] =
            (struct ike_child_ref){res->in.spi, res->out.spi, res->cfg, false};
}

int ike_child_up(struct ike_sa *sa, const struct ike_child_pick *pick, struct ike_iov gir,
                 struct ike_iov ni, struct ike_iov nr)
{
    struct ike_child_result *res = calloc(1, sizeof *res);
    struct ike_child_keys *ck = NULL;
    bool i = pick->started; /* the exchange's initiator, for the key order (2.17) */
    int r = UIPSEC_E_NOMEM;

    if (!res)
        return r;
    if (sa->nchildren == IKE_MAX_CHILDREN)
        r = UIPSEC_E_NO_ROOM;
    else
        r = ike_prop_esp_params(&pick->esp, &res->in);
    if (r == UIPSEC_OK)
        r = ike_child_keys_new(sa->prf, sa->keys->d, gir, ni, nr, &res->in, &ck);
    res->out = res->in;
    if (r == UIPSEC_OK)
        r = ike_child_keys_to_params(ck, !i, &res->in);
    if (r == UIPSEC_OK)
        r = ike_child_keys_to_params(ck, i, &res->out);
    if (r == UIPSEC_OK) {
        res->cfg = pick->cfg;
        res->esp = pick->esp;
        res->pfs = gir.len > 0;
        res->replaces = pick->replaces;
        res->initiated = pick->started;
        fill_dir(sa, &res->in, true, ike_spi_num(pick->spi_in), pick->mode);
        fill_dir(sa, &res->out, false, ike_spi_num(pick->peer_spi), pick->mode);
        res->nts = pick->nsel;
        memcpy(res->ts, pick->sel, pick->nsel * sizeof pick->sel[0]);
        record(sa, res);
        sa->env->child_sa_up(sa->env->arg, res);
    }
    ike_child_keys_free(ck);
    OPENSSL_cleanse(res, sizeof *res);
    free(res);
    return r;
}

/* The PFS group of a child config: the first DH of its first proposal. */
static uint16_t pfs_group(const struct ike_child_cfg *c)
{
    return c->esp.n && c->esp.p[0].n[IKE_TRANSFORM_DH] ? c->esp.p[0].alg[IKE_TRANSFORM_DH][0].id
                                                       : 0;
}

struct child_msg {
    struct ike_payload pl[CHILD_MAX_PAYLOADS];
    size_t n;
    struct ike_child_wire cw;
    uint8_t ke[IKE_DH_MAX_KE_LEN];
    uint8_t rekey[IKE_CHILD_SPI_LEN];
};

static struct ike_payload rekey_notify(uint32_t spi, uint8_t *buf)
{
    struct ike_payload n = ike_notify_pl(IKE_N_REKEY_SA, NULL, 0);

    buf[0] = (uint8_t)(spi >> 24);
    buf[1] = (uint8_t)(spi >> 16);
    buf[2] = (uint8_t)(spi >> 8);
    buf[3] = (uint8_t)spi;
    n.u.notify.protocol = IKE_PROTO_ESP;
    n.u.notify.spi_size = IKE_CHILD_SPI_LEN;
    memcpy(n.u.notify.spi, buf, IKE_CHILD_SPI_LEN);
    return n;
}

/* Nonce and [KE]: what goes between SA and TSi (1.3.1, 1.3.2). */
static int nonce_ke(struct child_msg *o, const uint8_t *nonce, const struct ike_dh *dh,
                    struct ike_payload *mid, size_t *nmid)
{
    enum ike_dh_alg g = dh ? ike_dh_group(dh) : (enum ike_dh_alg)0;
    size_t len = dh ? ike_dh_ke_len(g) : 0;

    mid[(*nmid)++] = (struct ike_payload){.type = IKE_PL_NONCE, .u.nonce = {nonce, IKE_NONCE_LEN}};
    if (!dh)
        return UIPSEC_OK;
    mid[(*nmid)++] = (struct ike_payload){.type = IKE_PL_KE,
                                          .u.ke = {.group = (uint16_t)g, .data = {o->ke, len}}};
    return ike_dh_public(dh, o->ke, len);
}

/* ---- initiator ---- */

int ike_sa_send_child_request(struct ike_sa *sa, unsigned k)
{
    const struct ike_child_cfg *c = &sa->cfg->child[k];
    struct child_msg *o = calloc(1, sizeof *o);
    struct ike_payload mid[2];
    size_t nmid = 0;
    uint16_t group = sa->child_ke_retries ? (uint16_t)ike_dh_group(sa->child_dh) : pfs_group(c);
    int r = o ? UIPSEC_OK : UIPSEC_E_NOMEM;

    sa->child_cfg = k;
    sa->env->random(sa->env->arg, sa->child_spi, IKE_CHILD_SPI_LEN);
    sa->env->random(sa->env->arg, sa->cni, IKE_NONCE_LEN);
    ike_dh_free(sa->child_dh);
    sa->child_dh = NULL;
    if (r == UIPSEC_OK && group)
        r = ike_dh_new((enum ike_dh_alg)group, &sa->child_dh);
    if (r != UIPSEC_OK) {
        free(o);
        return r;
    }
    r = nonce_ke(o, sa->cni, sa->child_dh, mid, &nmid);
    if (sa->rekey_spi) /* 1.3.3: the SA it replaces, by our inbound SPI */
        o->pl[o->n++] = rekey_notify(sa->rekey_spi, o->rekey);
    ike_child_payloads(true, &o->cw, c->esp.p, c->esp.n, sa->child_spi, c->ts, c->nts,
                       c->mode == UIPSEC_MODE_TRANSPORT, mid, nmid, o->pl, &o->n);
    if (r == UIPSEC_OK)
        r = ike_sa_send_sk(sa, IKE_EXCH_CREATE_CHILD_SA, false, sa->msg_id_send, o->pl, o->n);
    OPENSSL_cleanse(o, sizeof *o);
    free(o);
    return r;
}

static void child_failed(struct ike_sa *sa, unsigned k, uint16_t notify, const char *why)
{
    if (sa->rekey_spi) { /* the old CHILD_SA stays; the daemon asks again later */
        ike_sa_log(sa->env, "CHILD_SA rekey failed: %s (%s)", why,
                   notify ? ike_notify_name(notify) : "no notify");
        return;
    }
    ike_sa_log(sa->env, "CHILD_SA not made: %s (%s)", why,
               notify ? ike_notify_name(notify) : "no notify");
    if (sa->env->child_failed)
        sa->env->child_failed(sa->env->arg, k, notify);
}
uint16_t ike_ke_retry_group(const struct ike_pl_notify *n, const struct ike_prop_list *offered,
                            uint16_t current, unsigned *retries)
{
    uint16_t g;

    if (n->type != IKE_N_INVALID_KE_PAYLOAD || n->data.len != 2 || *retries >= IKE_KE_RETRIES_MAX)
        return 0;
    g = (uint16_t)(n->data.p[0] << 8 | n->data.p[1]);
    if (g == current)
        return 0;
    for (size_t i = 0; i < offered->n; i++)
        for (size_t k = 0; k < offered->p[i].n[IKE_TRANSFORM_DH]; k++)
            if (offered->p[i].alg[IKE_TRANSFORM_DH][k].id == g) {
                (*retries)++;
                return g;
            }
    return 0; /* a group we never offered */
}

/* A fresh key pair of group g for the CREATE_CHILD_SA being asked again. */
bool ike_child_dh_renew(struct ike_sa *sa, uint16_t g)
{
    ike_dh_free(sa->child_dh);
    sa->child_dh = NULL;
    return ike_dh_new((enum ike_dh_alg)g, &sa->child_dh) == UIPSEC_OK;
}

/* INVALID_KE_PAYLOAD: ask again with the group the responder wants (1.3). */
static bool retry_group(struct ike_sa *sa, const struct ike_pl_notify *n)
{
    uint16_t g = ike_ke_retry_group(n, &sa->cfg->child[sa->child_cfg].esp,
                                    sa->child_dh ? (uint16_t)ike_dh_group(sa->child_dh) : 0,
                                    &sa->child_ke_retries);

    if (!g || !ike_child_dh_renew(sa, g))
        return false;
    ike_sa_log(sa->env, "CREATE_CHILD_SA: INVALID_KE_PAYLOAD, retrying with group %u", g);
    return ike_sa_send_child_request(sa, sa->child_cfg) == UIPSEC_OK;
}

/* g^ir of the exchange from the peer's KE when the chosen proposal names
 * group g (PFS); {NULL, 0} when it names none.  A chosen group without a
 * KE of that group is an error: the CHILD_SA would silently lose PFS. */
static int pfs_secret(struct ike_dh *dh, uint16_t g, const struct ike_payload *ke,
                      struct ike_iov *gir)
{
    *gir = (struct ike_iov){NULL, 0};
    if (!g)
        return UIPSEC_OK;
    if (!dh || !ke || ke->u.ke.group != g || ike_dh_group(dh) != g ||
        ike_dh_derive(dh, ke->u.ke.data.p, ke->u.ke.data.len) != UIPSEC_OK)
        return UIPSEC_E_PARAM;
    *gir = ike_dh_secret(dh);
    return UIPSEC_OK;
}

static void mark_rekeyed(struct ike_sa *sa, uint32_t spi_in)
{
    for (size_t i = 0; i < sa->nchildren; i++)
        if (sa->children[i].spi_in == spi_in)
            sa->children[i].rekeyed = true;
}

static void retire_child(struct ike_sa *sa, uint32_t spi_in)
{
    mark_rekeyed(sa, spi_in);
    if (ike_sa_queue_front(sa, IKE_TASK_DELETE_CHILD, spi_in) != UIPSEC_OK)
        ike_sa_log(sa->env, "cannot queue the DELETE of rekeyed CHILD_SA %08x", spi_in);
}

enum ike_rx ike_sa_child_response(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg)
{
    const struct ike_pl_notify *err;
    const struct ike_payload *nr;
    struct ike_child_pick pick;
    struct ike_iov gir;
    uint16_t bad;

    if (!ike_sa_open_sk(sa, buf, len, msg))
        return IKE_RX_DROPPED;
    ike_sa_response_done(sa);
    err = ike_msg_error(msg);
    if (err && retry_group(sa, err))
        return IKE_RX_OK;
    if (err) {
        child_failed(sa, sa->child_cfg, err->type, "refused by the peer");
        goto done;
    }
    nr = ike_msg_find(msg, IKE_PL_NONCE);
    /* DH is matched, not ignored: an answer that drops the group all our
     * proposals name is NO_PROPOSAL_CHOSEN, one that names it without a
     * KE is malformed */
    bad = ike_child_choose(sa, msg, false, &pick);
    memcpy(pick.spi_in, sa->child_spi, IKE_CHILD_SPI_LEN);
    pick.replaces = sa->rekey_spi;
    if (!bad && (!nr || pfs_secret(sa->child_dh, ike_prop_get(&pick.esp, IKE_TRANSFORM_DH).id,
                                   ike_msg_find(msg, IKE_PL_KE), &gir) != UIPSEC_OK))
        bad = IKE_N_INVALID_SYNTAX;
    if (!bad && ike_child_up(sa, &pick, gir, (struct ike_iov){sa->cni, IKE_NONCE_LEN},
                             (struct ike_iov){nr->u.nonce.p, nr->u.nonce.len}) != UIPSEC_OK)
        bad = IKE_N_NO_PROPOSAL_CHOSEN;
    if (bad) { /* a reply we cannot use: RFC 7296 1.3.1 has us delete it */
        child_failed(sa, sa->child_cfg, bad, "the answer does not fit what we asked");
        if (ike_sa_queue_front(sa, IKE_TASK_DELETE_REFUSED, ike_spi_num(sa->child_spi)) !=
            UIPSEC_OK)
            ike_sa_log(sa->env, "cannot queue the DELETE of the refused CHILD_SA");
    } else if (sa->rekey_spi) /* the new one is up: the old one goes (2.8) */
        retire_child(sa, sa->rekey_spi);
done:
    ike_dh_free(sa->child_dh);
    sa->child_dh = NULL;
    sa->child_ke_retries = 0;
    sa->rekey_spi = 0;
    return IKE_RX_OK;
}

/* ---- responder ---- */

enum ike_rx ike_sa_refuse_create(struct ike_sa *sa, uint16_t type, const uint8_t *data, size_t len,
                                 const char *what, const char *why)
{
    struct ike_payload n = ike_notify_pl(type, data, len);

    ike_sa_log(sa->env, "%s refused: %s (%s)", what, why, ike_notify_name(type));
    if (ike_sa_send_sk(sa, IKE_EXCH_CREATE_CHILD_SA, true, sa->msg_id_expect - 1, &n, 1) !=
        UIPSEC_OK)
        ike_sa_log(sa->env, "cannot send the error notify");
    return IKE_RX_OK;
}

static enum ike_rx child_refuse(struct ike_sa *sa, uint16_t type, const uint8_t *data, size_t len,
                                const char *why)
{
    return ike_sa_refuse_create(sa, type, data, len, "CREATE_CHILD_SA", why);
}

/* Our answer: SA, Nr, [KEr], TSi, TSr; then the child is up. */
static enum ike_rx child_accept(struct ike_sa *sa, struct ike_child_pick *pick, struct ike_dh *dh,
                                struct ike_iov gir, struct ike_bytes ni)
{
    struct child_msg *o = calloc(1, sizeof *o);
    struct ike_payload mid[2];
    size_t nmid = 0;
    uint8_t nr[IKE_NONCE_LEN];
    int r = o ? UIPSEC_OK : UIPSEC_E_NOMEM;

    /* locals, not sa->child_spi: our own request may be in flight (2.3) */
    sa->env->random(sa->env->arg, pick->spi_in, IKE_CHILD_SPI_LEN);
    sa->env->random(sa->env->arg, nr, sizeof nr);
    if (r == UIPSEC_OK)
        r = nonce_ke(o, nr, dh, mid, &nmid);
    if (r == UIPSEC_OK) {
        ike_child_payloads(false, &o->cw, &pick->esp, 1, pick->spi_in, pick->sel, pick->nsel,
                           pick->mode == UIPSEC_MODE_TRANSPORT, mid, nmid, o->pl, &o->n);
        r = ike_sa_send_sk(sa, IKE_EXCH_CREATE_CHILD_SA, true, sa->msg_id_expect - 1, o->pl, o->n);
    }
    if (r == UIPSEC_OK)
        r = ike_child_up(sa, pick, gir, (struct ike_iov){ni.p, ni.len},
                         (struct ike_iov){nr, sizeof nr});
    if (o)
        OPENSSL_cleanse(o, sizeof *o);
    free(o);
    if (r == UIPSEC_OK && pick->replaces) /* the peer deletes the old one next */
        mark_rekeyed(sa, pick->replaces);
    if (r != UIPSEC_OK)
        ike_sa_log(sa->env, "CREATE_CHILD_SA: cannot make the CHILD_SA");
    return IKE_RX_OK;
}

/* N(REKEY_SA) names the peer's inbound SPI, our outbound one: *old is
 * that CHILD_SA's inbound SPI (0 without the notify).  False if it names
 * no CHILD_SA of ours. */
static bool find_rekeyed(const struct ike_sa *sa, const struct ike_msg *msg, uint32_t *old)
{
    const struct ike_pl_notify *n = ike_msg_notify(msg, IKE_N_REKEY_SA);

    *old = 0;
    if (!n)
        return true;
    if (n->protocol != IKE_PROTO_ESP || n->spi_size != IKE_CHILD_SPI_LEN)
        return false;
    for (size_t i = 0; i < sa->nchildren; i++)
        if (sa->children[i].spi_out == ike_spi_num(n->spi)) {
            *old = sa->children[i].spi_in;
            return true;
        }
    return false;
}

enum ike_rx ike_sa_child_request(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg)
{
    const struct ike_payload *ni, *ke, *sa_pl;
    struct ike_child_pick pick;
    struct ike_dh *dh = NULL;
    struct ike_iov gir;
    uint32_t old;
    uint16_t err, g;
    enum ike_rx rx;

    if (!ike_sa_open_sk(sa, buf, len, msg))
        return IKE_RX_DROPPED;
    sa->msg_id_expect++;
    ni = ike_msg_find(msg, IKE_PL_NONCE);
    ke = ike_msg_find(msg, IKE_PL_KE);
    sa_pl = ike_msg_find(msg, IKE_PL_SA);
    if (!ni || !sa_pl)
        return child_refuse(sa, IKE_N_INVALID_SYNTAX, NULL, 0, "no SA or nonce");
    if (sa_pl->u.sa.nproposals && sa_pl->u.sa.proposals[0].protocol == IKE_PROTO_IKE)
        return ike_sa_rekey_request(sa, msg);
    if (!find_rekeyed(sa, msg, &old))
        return child_refuse(sa, IKE_N_CHILD_SA_NOT_FOUND, NULL, 0, "rekey of an unknown SA");
    if (sa->nchildren == IKE_MAX_CHILDREN || /* refused before it is promised */
        (!old && sa->env->child_allowed && !sa->env->child_allowed(sa->env->arg)))
        return child_refuse(sa, IKE_N_NO_ADDITIONAL_SAS, NULL, 0, "too many CHILD_SAs");
    /* DH is matched, not ignored: without a KE only a proposal of ours
     * without DH fits, so a child whose proposals all demand PFS is
     * refused with NO_PROPOSAL_CHOSEN, a new one and a rekey alike */
    err = ike_child_choose(sa, msg, false, &pick);
    if (err)
        return child_refuse(sa, err, NULL, 0,
                            ke ? "no configured child fits"
                               : "no configured child fits without KE");
    pick.replaces = old;
    g = ike_prop_get(&pick.esp, IKE_TRANSFORM_DH).id;
    if (g && (!ke || ke->u.ke.group != g)) {
        uint8_t want[2] = {(uint8_t)(g >> 8), (uint8_t)g};

        return child_refuse(sa, IKE_N_INVALID_KE_PAYLOAD, want, 2, "KE of another group");
    }
    if (g && ike_dh_check_peer((enum ike_dh_alg)g, ke->u.ke.data.p, ke->u.ke.data.len) != UIPSEC_OK)
        return child_refuse(sa, IKE_N_INVALID_SYNTAX, NULL, 0, "bad KE value");
    if (g && ike_dh_new((enum ike_dh_alg)g, &dh) != UIPSEC_OK)
        return child_refuse(sa, IKE_N_TEMPORARY_FAILURE, NULL, 0, "cannot make a key pair");
    if (pfs_secret(dh, g, ke, &gir) != UIPSEC_OK) {
        ike_dh_free(dh);
        return child_refuse(sa, IKE_N_INVALID_SYNTAX, NULL, 0, "bad KE value");
    }
    rx = child_accept(sa, &pick, dh, gir, ni->u.nonce);
    ike_dh_free(dh);
    return rx;
}
