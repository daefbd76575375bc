/* SPDX-License-Identifier: MIT */
/* IKE_AUTH with pre-shared keys (RFC 7296 1.2, 2.15) and the first
 * CHILD_SA: ESP proposal (no PFS), traffic selectors narrowed (2.9),
 * KEYMAT from the IKE_SA_INIT nonces (2.17). */
#include "ikesa_int.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

/* Room for IDi, IDr, AUTH, N, SA, TSi, TSr. */
#define AUTH_MAX_PAYLOADS 8

struct auth_out {
    struct ike_payload pl[AUTH_MAX_PAYLOADS];
    size_t n;
    uint8_t auth[IKE_PRF_MAX_LEN];
    struct ike_prop_wire w;
    struct ike_ts ts_i[IKE_CFG_MAX_TS], ts_r[IKE_CFG_MAX_TS];
};

static void add(struct auth_out *o, struct ike_payload p)
{
    if (o->n < AUTH_MAX_PAYLOADS)
        o->pl[o->n++] = p;
}

static struct ike_payload id_pl(uint8_t type, const struct ike_id *id)
{
    return (struct ike_payload){.type = type,
                                .u.id = {.type = id->type, .data = {id->data, id->len}}};
}

static struct ike_payload notify_pl(uint16_t type)
{
    return (struct ike_payload){.type = IKE_PL_NOTIFY, .u.notify = {.type = type}};
}

static bool id_equal(const struct ike_pl_id *got, const struct ike_id *want)
{
    return got->type == want->type && got->data.len == want->len &&
           memcmp(got->data.p, want->data, want->len) == 0;
}

/* Our ID and AUTH payloads. */
static int add_id_auth(struct ike_sa *sa, struct auth_out *o)
{
    const struct ike_id *me = &sa->cfg->local_id;
    bool i = sa->role == IKE_ROLE_INITIATOR;
    size_t plen = ike_prf_len(sa->prf);
    int r = ike_psk_auth(sa, i, me->type, (struct ike_bytes){me->data, me->len}, o->auth, plen);

    add(o, id_pl(i ? IKE_PL_IDI : IKE_PL_IDR, me));
    if (i)
        add(o, id_pl(IKE_PL_IDR, &sa->cfg->remote_id));
    add(o, (struct ike_payload){.type = IKE_PL_AUTH,
                                .u.auth = {.method = IKE_AUTH_PSK, .data = {o->auth, plen}}});
    return r;
}

static void add_child(struct auth_out *o, const struct ike_prop *props, size_t nprops,
                      const uint8_t *spi, const struct uipsec_selector *sel, size_t nsel,
                      bool initiator, bool transport)
{
    struct ike_pl_sa sa_pl;
    struct ike_pl_ts tsi, tsr;

    if (transport)
        add(o, notify_pl(IKE_N_USE_TRANSPORT_MODE));
    ike_prop_to_pl(props, nprops, spi, IKE_CHILD_SPI_LEN, &o->w, &sa_pl);
    add(o, (struct ike_payload){.type = IKE_PL_SA, .u.sa = sa_pl});
    ike_ts_to_pl(sel, nsel, initiator, o->ts_i, &tsi);
    ike_ts_to_pl(sel, nsel, !initiator, o->ts_r, &tsr);
    add(o, (struct ike_payload){.type = IKE_PL_TSI, .u.ts = tsi});
    add(o, (struct ike_payload){.type = IKE_PL_TSR, .u.ts = tsr});
}

int ike_sa_send_auth_request(struct ike_sa *sa)
{
    const struct ike_cfg *c = sa->cfg;
    struct ike_prop props[IKE_PROP_MAX];
    struct auth_out *o = calloc(1, sizeof *o);
    int r = UIPSEC_E_NOMEM;

    if (!o)
        return r;
    sa->env->random(sa->env->arg, sa->child_spi, IKE_CHILD_SPI_LEN);
    memcpy(props, c->esp.p, c->esp.n * sizeof props[0]);
    for (size_t i = 0; i < c->esp.n; i++)
        props[i].n[IKE_TRANSFORM_DH] = 0; /* no PFS in IKE_AUTH */
    r = add_id_auth(sa, o);
    add_child(o, props, c->esp.n, sa->child_spi, c->ts, c->nts, true,
              c->mode == UIPSEC_MODE_TRANSPORT);
    if (r == UIPSEC_OK)
        r = ike_sa_send_sk(sa, IKE_EXCH_IKE_AUTH, false, sa->msg_id_send, o->pl, o->n);
    OPENSSL_cleanse(o, sizeof *o);
    free(o);
    return r;
}

static uint32_t spi_num(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void fill_dir(const struct ike_sa *sa, struct uipsec_sa_params *p, bool in, uint32_t spi,
                     enum uipsec_mode mode)
{
    p->spi = spi;
    p->dir = in ? UIPSEC_DIR_IN : UIPSEC_DIR_OUT;
    p->mode = mode;
    p->tunnel_src = in ? sa->path.remote : sa->path.local;
    p->tunnel_dst = in ? sa->path.local : sa->path.remote;
}

/* KEYMAT for the chosen ESP proposal, handed to child_sa_up, then wiped. */
static int child_up(struct ike_sa *sa, const struct ike_prop *esp, const uint8_t *peer_spi,
                    const struct uipsec_selector *sel, size_t nsel, enum uipsec_mode mode)
{
    struct ike_child_result *res = calloc(1, sizeof *res);
    struct ike_child_keys *ck = NULL;
    bool i = sa->role == IKE_ROLE_INITIATOR;
    int r = UIPSEC_E_NOMEM;

    if (!res)
        return r;
    res->esp = *esp;
    r = ike_prop_esp_params(esp, &res->in);
    if (r == UIPSEC_OK)
        r = ike_child_keys_new(sa->prf, sa->keys->d, (struct ike_iov){NULL, 0},
                               (struct ike_iov){sa->ni, sa->ni_len},
                               (struct ike_iov){sa->nr, sa->nr_len}, &res->in, &ck);
    res->out = res->in;
    if (r == UIPSEC_OK)
        r = ike_child_keys_to_params(ck, !i, &res->in);
    if (r == UIPSEC_OK)
        r = ike_child_keys_to_params(ck, i, &res->out);
    if (r == UIPSEC_OK) {
        fill_dir(sa, &res->in, true, spi_num(sa->child_spi), mode);
        fill_dir(sa, &res->out, false, spi_num(peer_spi), mode);
        res->nts = nsel;
        memcpy(res->ts, sel, nsel * sizeof *sel);
        sa->child_up = true;
        sa->env->child_sa_up(sa->env->arg, res);
    }
    ike_child_keys_free(ck);
    OPENSSL_cleanse(res, sizeof *res);
    free(res);
    return r;
}

static bool auth_ok(const struct ike_sa *sa, const struct ike_pl_id *id,
                    const struct ike_pl_auth *auth)
{
    uint8_t want[IKE_PRF_MAX_LEN];
    size_t plen = ike_prf_len(sa->prf);
    bool ok = auth->method == IKE_AUTH_PSK && auth->data.len == plen &&
              ike_psk_auth(sa, sa->role == IKE_ROLE_RESPONDER, id->type, id->data, want, plen) ==
                  UIPSEC_OK &&
              CRYPTO_memcmp(want, auth->data.p, plen) == 0;

    OPENSSL_cleanse(want, sizeof want);
    return ok;
}

/* ---- responder ---- */

static enum ike_rx answer_error(struct ike_sa *sa, uint16_t type, const char *why)
{
    struct ike_payload n = notify_pl(type);

    if (ike_sa_send_sk(sa, IKE_EXCH_IKE_AUTH, true, sa->msg_id_expect - 1, &n, 1) != UIPSEC_OK)
        ike_sa_log(sa->env, "cannot send the error notify");
    return ike_sa_fail(sa, type, why);
}

/* Chooses the CHILD_SA; 0 and *sel, *nsel filled, or the error notify. */
static uint16_t choose_child(struct ike_sa *sa, const struct ike_msg *m, struct ike_prop *esp,
                             const uint8_t **peer_spi, struct uipsec_selector *sel, size_t *nsel)
{
    const struct ike_payload *sa_pl = ike_msg_find(m, IKE_PL_SA),
                             *tsi = ike_msg_find(m, IKE_PL_TSI), *tsr = ike_msg_find(m, IKE_PL_TSR);
    size_t idx;

    if (!sa_pl || !tsi || !tsr)
        return IKE_N_INVALID_SYNTAX;
    if (!ike_prop_select(&sa->cfg->esp, &sa_pl->u.sa, true, esp, &idx) ||
        sa_pl->u.sa.proposals[idx].spi_size != IKE_CHILD_SPI_LEN)
        return IKE_N_NO_PROPOSAL_CHOSEN;
    *peer_spi = sa_pl->u.sa.proposals[idx].spi;
    *nsel = ike_ts_narrow(sa->cfg, sa->role == IKE_ROLE_INITIATOR, &tsi->u.ts, &tsr->u.ts, sel);
    return *nsel ? 0 : IKE_N_TS_UNACCEPTABLE;
}

static enum uipsec_mode child_mode(const struct ike_sa *sa, const struct ike_msg *m)
{
    return sa->cfg->mode == UIPSEC_MODE_TRANSPORT && ike_msg_notify(m, IKE_N_USE_TRANSPORT_MODE)
               ? UIPSEC_MODE_TRANSPORT
               : UIPSEC_MODE_TUNNEL;
}

/* IDr, AUTH and the CHILD_SA (or why there is none), then child_sa_up. */
static enum ike_rx answer_auth(struct ike_sa *sa, const struct ike_msg *m)
{
    struct auth_out *o = calloc(1, sizeof *o);
    struct uipsec_selector sel[IKE_CFG_MAX_TS];
    struct ike_prop esp;
    const uint8_t *peer_spi = NULL;
    size_t nsel = 0;
    enum uipsec_mode mode = child_mode(sa, m);
    uint16_t err = choose_child(sa, m, &esp, &peer_spi, sel, &nsel);
    int r = o ? add_id_auth(sa, o) : UIPSEC_E_NOMEM;

    if (err == IKE_N_INVALID_SYNTAX) {
        free(o);
        return answer_error(sa, err, "IKE_AUTH without SA, TSi or TSr");
    }
    if (r == UIPSEC_OK && err)
        add(o, notify_pl(err));
    else if (r == UIPSEC_OK)
        add_child(o, &esp, 1, sa->child_spi, sel, nsel, false, mode == UIPSEC_MODE_TRANSPORT);
    if (r == UIPSEC_OK)
        r = ike_sa_send_sk(sa, IKE_EXCH_IKE_AUTH, true, sa->msg_id_expect - 1, o->pl, o->n);
    if (o)
        OPENSSL_cleanse(o, sizeof *o);
    free(o);
    if (r != UIPSEC_OK)
        return ike_sa_fail(sa, 0, "cannot answer IKE_AUTH");
    sa->state = IKE_SA_ESTABLISHED;
    sa->child_notify = err;
    if (!err && child_up(sa, &esp, peer_spi, sel, nsel, mode) != UIPSEC_OK)
        sa->child_notify = IKE_N_NO_PROPOSAL_CHOSEN;
    return IKE_RX_OK;
}

enum ike_rx ike_sa_auth_request(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg)
{
    const struct ike_payload *idi, *idr, *auth;

    if (!ike_sa_open_sk(sa, buf, len, msg))
        return IKE_RX_DROPPED;
    sa->msg_id_expect++; /* authentic: from here on it is answered */
    idi = ike_msg_find(msg, IKE_PL_IDI);
    idr = ike_msg_find(msg, IKE_PL_IDR);
    auth = ike_msg_find(msg, IKE_PL_AUTH);
    if (!idi || !auth)
        return answer_error(sa, IKE_N_INVALID_SYNTAX, "IKE_AUTH without IDi or AUTH");
    if (!id_equal(&idi->u.id, &sa->cfg->remote_id) || !auth_ok(sa, &idi->u.id, &auth->u.auth) ||
        (idr && !id_equal(&idr->u.id, &sa->cfg->local_id)))
        return answer_error(sa, IKE_N_AUTHENTICATION_FAILED, "peer's ID or AUTH is wrong");
    sa->env->random(sa->env->arg, sa->child_spi, IKE_CHILD_SPI_LEN);
    return answer_auth(sa, msg);
}

/* ---- initiator ---- */

enum ike_rx ike_sa_auth_response(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg)
{
    const struct ike_pl_notify *err;
    const struct ike_payload *idr, *auth;
    struct uipsec_selector sel[IKE_CFG_MAX_TS];
    struct ike_prop esp;
    const uint8_t *peer_spi = NULL;
    size_t nsel = 0;
    uint16_t child_err;

    if (!ike_sa_open_sk(sa, buf, len, msg))
        return IKE_RX_DROPPED;
    sa->msg_id_send++;
    err = ike_msg_error(msg);
    idr = ike_msg_find(msg, IKE_PL_IDR);
    auth = ike_msg_find(msg, IKE_PL_AUTH);
    if (!idr || !auth)
        return ike_sa_fail(sa, err ? err->type : IKE_N_INVALID_SYNTAX, "IKE_AUTH refused");
    /* RFC 7296 2.21.2 wants an INFORMATIONAL with AUTHENTICATION_FAILED
     * here; INFORMATIONAL exchanges are not implemented yet. */
    if (!id_equal(&idr->u.id, &sa->cfg->remote_id) || !auth_ok(sa, &idr->u.id, &auth->u.auth))
        return ike_sa_fail(sa, IKE_N_AUTHENTICATION_FAILED, "responder's ID or AUTH is wrong");
    sa->state = IKE_SA_ESTABLISHED;
    if (err) {
        sa->child_notify = err->type;
        return IKE_RX_OK;
    }
    child_err = choose_child(sa, msg, &esp, &peer_spi, sel, &nsel);
    if (!child_err && ike_msg_find(msg, IKE_PL_SA)->u.sa.nproposals != 1)
        child_err = IKE_N_NO_PROPOSAL_CHOSEN;
    if (!child_err && child_up(sa, &esp, peer_spi, sel, nsel, child_mode(sa, msg)) != UIPSEC_OK)
        child_err = IKE_N_NO_PROPOSAL_CHOSEN;
    sa->child_notify = child_err;
    return IKE_RX_OK;
}
