/* SPDX-License-Identifier: MIT */
/* Rekeying the IKE SA (RFC 7296 1.3.2, 2.18): a CREATE_CHILD_SA whose SA
 * payload proposes IKE with the new SPI, a fresh DH exchange, and keys
 * from the old SK_d.  The new SA takes over the CHILD_SAs and the queued
 * work; the rekey's initiator becomes the new SA's original initiator and
 * deletes the old one.  If both peers start a rekey at once, each refuses
 * the other's with TEMPORARY_FAILURE and tries again later (2.25). */
#include "ikesa_int.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

struct rekey_msg {
    struct ike_payload pl[3];
    struct ike_prop_wire w;
    uint8_t ke[IKE_DH_MAX_KE_LEN];
};

/* SA (props with spi), Nonce, KE. */
static int rekey_payloads(struct rekey_msg *o, const struct ike_prop *props, size_t n,
                          const uint8_t *spi, const uint8_t *nonce, const struct ike_dh *dh)
{
    enum ike_dh_alg g = ike_dh_group(dh);
    size_t len = ike_dh_ke_len(g);
    struct ike_pl_sa sa_pl;

    ike_prop_to_pl(props, n, spi, IKE_SPI_LEN, &o->w, &sa_pl);
    o->pl[0] = (struct ike_payload){.type = IKE_PL_SA, .u.sa = sa_pl};
    o->pl[1] = (struct ike_payload){.type = IKE_PL_NONCE, .u.nonce = {nonce, IKE_NONCE_LEN}};
    o->pl[2] = (struct ike_payload){.type = IKE_PL_KE,
                                    .u.ke = {.group = (uint16_t)g, .data = {o->ke, len}}};
    return ike_dh_public(dh, o->ke, len);
}

int ike_sa_send_rekey_request(struct ike_sa *sa)
{
    struct rekey_msg *o = calloc(1, sizeof *o);
    uint16_t g = sa->child_ke_retries ? (uint16_t)ike_dh_group(sa->child_dh)
                                      : ike_prop_get(&sa->prop, IKE_TRANSFORM_DH).id;
    int r = o ? UIPSEC_OK : UIPSEC_E_NOMEM;

    sa->env->random(sa->env->arg, sa->new_spi, IKE_SPI_LEN);
    sa->env->random(sa->env->arg, sa->cni, IKE_NONCE_LEN);
    ike_dh_free(sa->child_dh);
    sa->child_dh = NULL;
    if (r == UIPSEC_OK)
        r = ike_dh_new((enum ike_dh_alg)g, &sa->child_dh);
    if (r == UIPSEC_OK)
        r = rekey_payloads(o, sa->cfg->ike.p, sa->cfg->ike.n, sa->new_spi, sa->cni, sa->child_dh);
    if (r == UIPSEC_OK)
        r = ike_sa_send_sk(sa, IKE_EXCH_CREATE_CHILD_SA, false, sa->msg_id_send, o->pl, 3);
    if (o)
        OPENSSL_cleanse(o, sizeof *o);
    free(o);
    return r;
}

/* The new IKE SA: keys from the old SK_d (2.18), the old SA's children
 * and tasks, the caller told through ike_sa_rekeyed. */
static struct ike_sa *successor(struct ike_sa *old, enum ike_role role, const uint8_t *spi_i,
                                const uint8_t *spi_r, const struct ike_prop *prop,
                                struct ike_iov gir, struct ike_iov ni, struct ike_iov nr)
{
    struct ike_sa *sa = calloc(1, sizeof *sa);
    struct ike_sa_kdf_in in = {.gir = gir, .ni = ni, .nr = nr};
    bool i = role == IKE_ROLE_INITIATOR;
    int r;

    if (!sa)
        return NULL;
    sa->cfg = old->cfg;
    sa->env = old->env;
    sa->path = old->path;
    sa->peer_id = old->peer_id;
    sa->role = role;
    sa->nat_local = old->nat_local;
    sa->nat_remote = old->nat_remote;
    sa->peer_frag = old->peer_frag; /* as negotiated in IKE_SA_INIT (RFC 7383 2.3) */
    sa->prop = *prop;
    memcpy(sa->spi_i, spi_i, IKE_SPI_LEN);
    memcpy(sa->spi_r, spi_r, IKE_SPI_LEN);
    sa->created = ike_sa_now(old);
    r = ike_prop_ike_suite(prop, &sa->suite, &sa->prf, &sa->dh_group) ? UIPSEC_OK : UIPSEC_E_PARAM;
    in.prf = sa->prf;
    in.sk = sa->suite;
    memcpy(in.spi_i, spi_i, IKE_SPI_LEN);
    memcpy(in.spi_r, spi_r, IKE_SPI_LEN);
    if (r == UIPSEC_OK)
        r = ike_sa_keys_rekey(old->keys, &in, &sa->keys);
    if (r == UIPSEC_OK)
        r = ike_sa_keys_sk_new(sa->keys, &sa->suite, i, &sa->sk_out);
    if (r == UIPSEC_OK)
        r = ike_sa_keys_sk_new(sa->keys, &sa->suite, !i, &sa->sk_in);
    if (r != UIPSEC_OK) {
        ike_sa_free(sa);
        return NULL;
    }
    sa->state = IKE_SA_ESTABLISHED;
    sa->env = old->env->ike_sa_rekeyed(old->env->arg, sa);
    if (!sa->env) { /* the caller could not take it: the old SA stays */
        ike_sa_free(sa);
        return NULL;
    }
    memcpy(sa->children, old->children, sizeof sa->children);
    sa->nchildren = old->nchildren;
    memcpy(sa->tasks, old->tasks, sizeof sa->tasks);
    sa->ntasks = old->ntasks;
    old->nchildren = old->ntasks = 0;
    old->rekeyed = true;
    old->rekeyed_at = ike_sa_now(old);
    ike_sa_log(sa->env, "IKE SA rekeyed: new SPIs %02x%02x%02x%02x..._i %02x%02x%02x%02x..._r",
               spi_i[0], spi_i[1], spi_i[2], spi_i[3], spi_r[0], spi_r[1], spi_r[2], spi_r[3]);
    ike_sa_run_tasks(sa);
    return sa;
}

/* ---- responder ---- */

static enum ike_rx refuse(struct ike_sa *sa, uint16_t type, const uint8_t *data, size_t len,
                          const char *why)
{
    return ike_sa_refuse_create(sa, type, data, len, "IKE SA rekey", why);
}

/* The offer is acceptable: answer it, then the new SA exists. */
static enum ike_rx rekey_accept(struct ike_sa *sa, const struct ike_prop *chosen, uint8_t num,
                                const uint8_t *spi_i, struct ike_bytes ni,
                                const struct ike_pl_ke *ke)
{
    struct rekey_msg *o = calloc(1, sizeof *o);
    uint8_t spi_r[IKE_SPI_LEN], nr[IKE_NONCE_LEN];
    struct ike_dh *dh = NULL;
    int r = o ? ike_dh_new((enum ike_dh_alg)ke->group, &dh) : UIPSEC_E_NOMEM;

    sa->env->random(sa->env->arg, spi_r, IKE_SPI_LEN);
    sa->env->random(sa->env->arg, nr, IKE_NONCE_LEN);
    if (r == UIPSEC_OK)
        r = ike_dh_derive(dh, ke->data.p, ke->data.len);
    if (r == UIPSEC_OK)
        r = rekey_payloads(o, chosen, 1, spi_r, nr, dh);
    if (r == UIPSEC_OK) {
        o->w.props[0].num = num;
        r = ike_sa_send_sk(sa, IKE_EXCH_CREATE_CHILD_SA, true, sa->msg_id_expect - 1, o->pl, 3);
    }
    if (r == UIPSEC_OK &&
        !successor(sa, IKE_ROLE_RESPONDER, spi_i, spi_r, chosen, ike_dh_secret(dh),
                   (struct ike_iov){ni.p, ni.len}, (struct ike_iov){nr, sizeof nr}))
        ike_sa_log(sa->env, "IKE SA rekey: cannot make the new SA");
    if (r != UIPSEC_OK)
        ike_sa_log(sa->env, "IKE SA rekey: cannot answer (bad KE value?)");
    ike_dh_free(dh);
    if (o)
        OPENSSL_cleanse(o, sizeof *o);
    free(o);
    return IKE_RX_OK;
}

enum ike_rx ike_sa_rekey_request(struct ike_sa *sa, const struct ike_msg *msg)
{
    const struct ike_payload *sa_pl = ike_msg_find(msg, IKE_PL_SA),
                             *ni = ike_msg_find(msg, IKE_PL_NONCE),
                             *ke = ike_msg_find(msg, IKE_PL_KE);
    const struct ike_proposal *offer;
    struct ike_prop chosen;
    uint16_t g;
    size_t idx;

    if (!sa->env->ike_sa_rekeyed)
        return refuse(sa, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0, "not supported by the caller");
    if (!sa_pl || !ni || !ke)
        return refuse(sa, IKE_N_INVALID_SYNTAX, NULL, 0, "no SA, nonce or KE");
    /* our own request's answer would arrive on the old SA after its
     * children moved: rekey only an SA that is idle (2.25) */
    if (sa->rekeyed || sa->state != IKE_SA_ESTABLISHED || sa->req_pending)
        return refuse(sa, IKE_N_TEMPORARY_FAILURE, NULL, 0, "another exchange is under way");
    if (!ike_prop_select(&sa->cfg->ike, &sa_pl->u.sa, false, &chosen, &idx))
        return refuse(sa, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0, "no proposal fits");
    offer = &sa_pl->u.sa.proposals[idx];
    if (offer->spi_size != IKE_SPI_LEN)
        return refuse(sa, IKE_N_INVALID_SYNTAX, NULL, 0, "the new SPI is not 8 bytes");
    g = ike_prop_get(&chosen, IKE_TRANSFORM_DH).id;
    if (ke->u.ke.group != g) {
        uint8_t want[2] = {(uint8_t)(g >> 8), (uint8_t)g};

        return refuse(sa, IKE_N_INVALID_KE_PAYLOAD, want, 2, "KE of another group");
    }
    /* checked before our key pair is made, and answered (it used to go
     * unanswered, leaving the peer to retransmit until the IKE SA failed) */
    if (ike_dh_check_peer((enum ike_dh_alg)g, ke->u.ke.data.p, ke->u.ke.data.len) != UIPSEC_OK)
        return refuse(sa, IKE_N_INVALID_SYNTAX, NULL, 0, "bad KE value");
    return rekey_accept(sa, &chosen, offer->num, offer->spi, ni->u.nonce, &ke->u.ke);
}

/* ---- initiator ---- */

/* The old SA's last act: DELETE it, over itself (2.18). */
static void delete_old(struct ike_sa *sa)
{
    struct ike_payload d = {.type = IKE_PL_DELETE, .u.del = {.protocol = IKE_PROTO_IKE}};

    sa->state = IKE_SA_DELETING;
    sa->req_task = (struct ike_task){IKE_TASK_DELETE_IKE, 0};
    if (ike_sa_send_sk(sa, IKE_EXCH_INFORMATIONAL, false, sa->msg_id_send, &d, 1) != UIPSEC_OK)
        sa->state = IKE_SA_DELETED;
}

static bool retry_group(struct ike_sa *sa, const struct ike_pl_notify *n)
{
    uint16_t g = ike_ke_retry_group(n, &sa->cfg->ike, (uint16_t)ike_dh_group(sa->child_dh),
                                    &sa->child_ke_retries);

    if (!g || !ike_child_dh_renew(sa, g))
        return false;
    ike_sa_log(sa->env, "IKE SA rekey: INVALID_KE_PAYLOAD, retrying with group %u", g);
    return ike_sa_send_rekey_request(sa) == UIPSEC_OK;
}

/* The answer's one proposal must be one of ours, with an 8-byte SPI. */
static bool check(const struct ike_sa *sa, const struct ike_msg *msg, struct ike_prop *chosen,
                  const uint8_t **spi_r)
{
    const struct ike_payload *sa_pl = ike_msg_find(msg, IKE_PL_SA);
    size_t idx;

    if (!sa_pl || sa_pl->u.sa.nproposals != 1 ||
        !ike_prop_select(&sa->cfg->ike, &sa_pl->u.sa, false, chosen, &idx) ||
        sa_pl->u.sa.proposals[0].spi_size != IKE_SPI_LEN)
        return false;
    *spi_r = sa_pl->u.sa.proposals[0].spi;
    return ike_prop_get(chosen, IKE_TRANSFORM_DH).id == ike_dh_group(sa->child_dh);
}

enum ike_rx ike_sa_rekey_response(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg)
{
    const struct ike_pl_notify *err;
    const struct ike_payload *nr, *ke;
    struct ike_prop chosen;
    const uint8_t *spi_r = NULL;
    bool ok;

    if (!ike_sa_open_sk(sa, buf, len, msg))
        return IKE_RX_DROPPED;
    ike_sa_response_done(sa);
    err = ike_msg_error(msg);
    if (err && retry_group(sa, err))
        return IKE_RX_OK;
    nr = ike_msg_find(msg, IKE_PL_NONCE);
    ke = ike_msg_find(msg, IKE_PL_KE);
    ok = !err && nr && ke && check(sa, msg, &chosen, &spi_r) &&
         ike_dh_derive(sa->child_dh, ke->u.ke.data.p, ke->u.ke.data.len) == UIPSEC_OK;
    if (ok && successor(sa, IKE_ROLE_INITIATOR, sa->new_spi, spi_r, &chosen,
                        ike_dh_secret(sa->child_dh), (struct ike_iov){sa->cni, IKE_NONCE_LEN},
                        (struct ike_iov){nr->u.nonce.p, nr->u.nonce.len}))
        delete_old(sa);
    else
        ike_sa_log(sa->env, "IKE SA rekey failed%s%s", err ? ": " : "",
                   err ? ike_notify_name(err->type) : "");
    ike_dh_free(sa->child_dh);
    sa->child_dh = NULL;
    sa->child_ke_retries = 0;
    return IKE_RX_OK;
}
