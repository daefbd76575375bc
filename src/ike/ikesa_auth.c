/* SPDX-License-Identifier: MIT */
/* IKE_AUTH with pre-shared keys or signatures (RFC 7296 1.2, 2.15;
 * ikesa_cert.c) and the first CHILD_SA: ESP proposal (no PFS), traffic
 * selectors narrowed (2.9), KEYMAT from the IKE_SA_INIT nonces (2.17). */
#include "ident.h"
#include "ikesa_int.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for IDi, IDr, AUTH, N, SA, TSi, TSr, CERT (ours and the
 * intermediates) and CERTREQ. */
#define AUTH_MAX_PAYLOADS (9 + IKE_CERT_MAX_SEND + 1)

struct auth_out {
    struct ike_payload pl[AUTH_MAX_PAYLOADS];
    size_t n;
    uint8_t auth[IKE_PRF_MAX_LEN];
    struct ike_child_wire cw;
    struct ike_cert_out cert;
};

static void out_free(struct auth_out *o)
{
    if (!o)
        return;
    ike_cert_out_free(&o->cert);
    OPENSSL_cleanse(o, sizeof *o);
    free(o);
}

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

/* The peer's ID: one the configured one matches (itself, or a pattern
 * with wildcards), or any (kept for the record). */
static bool peer_id_ok(struct ike_sa *sa, const struct ike_pl_id *got)
{
    if (got->data.len > IKE_ID_MAX)
        return false;
    sa->peer_id.type = got->type;
    sa->peer_id.len = (uint8_t)got->data.len;
    memcpy(sa->peer_id.data, got->data.p, got->data.len);
    return sa->cfg->remote_id_any ||
           ike_id_match(&sa->cfg->remote_id, &sa->peer_id) > IKE_ID_MATCH_NONE;
}

static bool id_equal(const struct ike_pl_id *got, const struct ike_id *want)
{
    return got->type == want->type && got->data.len == want->len &&
           memcmp(got->data.p, want->data, want->len) == 0;
}

static bool id_from_pl(const struct ike_pl_id *p, struct ike_id *id)
{
    if (p->data.len > IKE_ID_MAX)
        return false;
    id->type = p->type;
    id->len = (uint8_t)p->data.len;
    memcpy(id->data, p->data.p, p->data.len);
    return true;
}

/* The caller's choice of configuration for these identities and method
 * (responder, before any check). */
static void switch_cfg(struct ike_sa *sa, const struct ike_pl_id *idi, const struct ike_pl_id *idr,
                       uint8_t method)
{
    struct ike_id i, r;
    const struct ike_cfg *c;

    if (!sa->env->auth_cfg || !id_from_pl(idi, &i) || (idr && !id_from_pl(idr, &r)))
        return;
    if ((c = sa->env->auth_cfg(sa->env->arg, &i, idr ? &r : NULL, method)))
        sa->cfg = c;
}

/* Why the IDs did not fit, for the log: the peer's is not remote.id, or
 * the IDr it asked for is not ours. */
static void id_mismatch(struct ike_sa *sa, const struct ike_payload *idr)
{
    const struct ike_cfg *c = sa->cfg;
    char got[120], want[120]; /* enough to tell them apart in a log line */
    bool peer_ok = c->remote_id_any || ike_id_match(&c->remote_id, &sa->peer_id);

    ike_id_format(&sa->peer_id, got, sizeof got);
    ike_id_format(peer_ok ? &c->local_id : &c->remote_id, want, sizeof want);
    if (peer_ok && idr) {
        struct ike_id asked = {
            .type = idr->u.id.type,
            .len = (uint8_t)(idr->u.id.data.len <= IKE_ID_MAX ? idr->u.id.data.len : 0)};

        memcpy(asked.data, idr->u.id.data.p, asked.len);
        ike_id_format(&asked, got, sizeof got);
        snprintf(sa->fail_text, sizeof sa->fail_text, "the peer asked for \"%s\", we are \"%s\"",
                 got, want);
    } else {
        snprintf(sa->fail_text, sizeof sa->fail_text,
                 "the peer's identity \"%s\" is not the remote.id \"%s\"", got, want);
    }
}

/* The IDr the initiator asked for is us: our id, or with a certificate
 * any identity the certificate holds (we answer with our id). */
static bool idr_is_us(const struct ike_cfg *c, const struct ike_pl_id *idr)
{
    struct ike_id want;

    if (id_equal(idr, &c->local_id))
        return true;
    return c->local_pk.on && c->local_pk.cert && id_from_pl(idr, &want) &&
           ike_id_in_cert(c->local_pk.cert, &want);
}

/* Our ID and AUTH payloads, and with public keys CERT and CERTREQ. */
static int add_id_auth(struct ike_sa *sa, struct auth_out *o)
{
    const struct ike_cfg *c = sa->cfg;
    const struct ike_id *me = &c->local_id;
    bool i = sa->role == IKE_ROLE_INITIATOR;
    size_t plen = ike_prf_len(sa->prf);
    int r = UIPSEC_OK;

    add(o, id_pl(i ? IKE_PL_IDI : IKE_PL_IDR, me));
    if (i && c->initial_contact) /* no other IKE SA with this peer (2.4) */
        add(o, ike_notify_pl(IKE_N_INITIAL_CONTACT, NULL, 0));
    /* an IDr with wildcards would name nobody: the responder picks */
    if (i && !c->remote_id_any && !ike_id_has_wildcards(&c->remote_id))
        add(o, id_pl(IKE_PL_IDR, &c->remote_id));
    if (c->local_pk.on || c->remote_pk.on)
        r = ike_cert_auth_payloads(sa, &o->cert, o->pl, &o->n, AUTH_MAX_PAYLOADS);
    if (r == UIPSEC_OK && !c->local_pk.on) {
        r = ike_psk_auth(sa, i, me->type, (struct ike_bytes){me->data, me->len}, o->auth, plen);
        add(o, (struct ike_payload){.type = IKE_PL_AUTH,
                                    .u.auth = {.method = IKE_AUTH_PSK, .data = {o->auth, plen}}});
    }
    return r;
}

int ike_sa_send_auth_request(struct ike_sa *sa)
{
    const struct ike_child_cfg *c = &sa->cfg->child[sa->child_cfg];
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
    ike_child_payloads(true, &o->cw, props, c->esp.n, sa->child_spi, c->ts, c->nts,
                       c->mode == UIPSEC_MODE_TRANSPORT, NULL, 0, o->pl, &o->n);
    if (r == UIPSEC_OK)
        r = ike_sa_send_sk(sa, IKE_EXCH_IKE_AUTH, false, sa->msg_id_send, o->pl, o->n);
    out_free(o);
    return r;
}

static enum ike_verdict auth_ok(struct ike_sa *sa, const struct ike_msg *m,
                                const struct ike_pl_id *id, const struct ike_pl_auth *auth,
                                struct ike_auth_wait **wait)
{
    uint8_t want[IKE_PRF_MAX_LEN];
    size_t plen = ike_prf_len(sa->prf);
    bool ok;

    *wait = NULL;
    if (sa->cfg->remote_pk.on)
        return ike_cert_verify(sa, m, id, auth, wait);
    ok = auth->method == IKE_AUTH_PSK && auth->data.len == plen &&
         ike_psk_auth(sa, sa->role == IKE_ROLE_RESPONDER, id->type, id->data, want, plen) ==
             UIPSEC_OK &&
         CRYPTO_memcmp(want, auth->data.p, plen) == 0;

    OPENSSL_cleanse(want, sizeof want);
    return ok ? IKE_V_OK : IKE_V_FAIL;
}

/* The CHILD_SA m asks for (responder) or answered (initiator). */
static uint16_t choose(struct ike_sa *sa, const struct ike_msg *m, struct ike_child_pick *pick)
{
    uint16_t err = ike_child_choose(sa, m, true, pick);

    pick->replaces = 0;
    return err;
}

/* The message is held while the revocation of the peer's certificate is
 * looked up: what the rest of the exchange needs goes with w. */
static enum ike_rx hold(struct ike_sa *sa, const struct ike_msg *m, struct ike_auth_wait *w,
                        uint16_t peer_error)
{
    w->peer_error = peer_error;
    if (!peer_error)
        w->child_err = choose(sa, m, &w->pick);
    if (w->pick.peer_spi) { /* it points into m */
        memcpy(w->peer_spi, w->pick.peer_spi, IKE_CHILD_SPI_LEN);
        w->pick.peer_spi = w->peer_spi;
    }
    sa->auth_wait = w;
    return IKE_RX_OK;
}

/* ---- responder ---- */

static enum ike_rx answer_error(struct ike_sa *sa, uint16_t type, const char *why)
{
    struct ike_payload n = ike_notify_pl(type, NULL, 0);

    if (ike_sa_send_sk(sa, IKE_EXCH_IKE_AUTH, true, sa->msg_id_expect - 1, &n, 1) != UIPSEC_OK)
        ike_sa_log(sa->env, "cannot send the error notify");
    return ike_sa_fail(sa, type, why);
}

static struct ike_iov nonce(const uint8_t *p, size_t len)
{
    return (struct ike_iov){p, len};
}

/* IDr, AUTH and the CHILD_SA (or why there is none), then child_sa_up. */
static enum ike_rx answer_auth(struct ike_sa *sa, struct ike_child_pick *pick, uint16_t err)
{
    struct auth_out *o = calloc(1, sizeof *o);
    int r = o ? add_id_auth(sa, o) : UIPSEC_E_NOMEM;

    sa->env->random(sa->env->arg, pick->spi_in, IKE_CHILD_SPI_LEN);
    if (!err && sa->env->child_allowed && !sa->env->child_allowed(sa->env->arg))
        err = IKE_N_NO_ADDITIONAL_SAS; /* the caller's per-identity limit */

    if (err == IKE_N_INVALID_SYNTAX) {
        out_free(o);
        return answer_error(sa, err, "IKE_AUTH without SA, TSi or TSr");
    }
    if (r == UIPSEC_OK && err)
        add(o, ike_notify_pl(err, NULL, 0));
    else if (r == UIPSEC_OK)
        ike_child_payloads(false, &o->cw, &pick->esp, 1, pick->spi_in, pick->sel, pick->nsel,
                           pick->mode == UIPSEC_MODE_TRANSPORT, NULL, 0, o->pl, &o->n);
    if (r == UIPSEC_OK)
        r = ike_sa_send_sk(sa, IKE_EXCH_IKE_AUTH, true, sa->msg_id_expect - 1, o->pl, o->n);
    out_free(o);
    if (r != UIPSEC_OK)
        return ike_sa_fail(sa, 0, sa->fail_text[0] ? sa->fail_text : "cannot answer IKE_AUTH");
    sa->state = IKE_SA_ESTABLISHED;
    sa->child_notify = err;
    if (err)
        ike_sa_log(sa->env, "IKE SA up without a CHILD_SA: %s", ike_notify_name(err));
    else if (ike_child_up(sa, pick, (struct ike_iov){NULL, 0}, nonce(sa->ni, sa->ni_len),
                          nonce(sa->nr, sa->nr_len)) != UIPSEC_OK)
        sa->child_notify = IKE_N_NO_PROPOSAL_CHOSEN;
    return IKE_RX_OK;
}

/* The caller hears how the peer's authentication came out, and the peer
 * gets our answer. */
static enum ike_rx responder_verdict(struct ike_sa *sa, bool ok, struct ike_child_pick *pick,
                                     uint16_t child_err)
{
    const struct ike_env *env = sa->env;

    if (env->auth_result)
        env->auth_result(env->arg, &sa->peer_id, &sa->path, ok);
    if (!ok)
        return answer_error(sa, IKE_N_AUTHENTICATION_FAILED,
                            sa->fail_text[0] ? sa->fail_text : "peer's ID or AUTH is wrong");
    return answer_auth(sa, pick, child_err);
}

/* The peer's AUTH is verified only if the caller's auth_allowed agrees
 * (a refusal costs no PSK MAC), and the caller hears how it came out. */
enum ike_rx ike_sa_auth_request(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg)
{
    const struct ike_env *env = sa->env;
    const struct ike_payload *idi, *idr, *auth;
    struct ike_auth_wait *w = NULL;
    struct ike_child_pick pick;
    enum ike_verdict v = IKE_V_FAIL;
    bool id_ok;

    if (!ike_sa_open_sk(sa, buf, len, msg))
        return IKE_RX_DROPPED;
    sa->msg_id_expect++; /* authentic: from here on it is answered */
    idi = ike_msg_find(msg, IKE_PL_IDI);
    idr = ike_msg_find(msg, IKE_PL_IDR);
    auth = ike_msg_find(msg, IKE_PL_AUTH);
    if (!idi || !auth)
        return answer_error(sa, IKE_N_INVALID_SYNTAX, "IKE_AUTH without IDi or AUTH");
    switch_cfg(sa, &idi->u.id, idr ? &idr->u.id : NULL, auth->u.auth.method);
    id_ok = peer_id_ok(sa, &idi->u.id) && (!idr || idr_is_us(sa->cfg, &idr->u.id));
    if (!id_ok)
        id_mismatch(sa, idr);
    /* known before: a peer that restarted may replace its older SAs */
    sa->peer_initial_contact = ike_msg_notify(msg, IKE_N_INITIAL_CONTACT) != NULL;
    ike_cert_note_peer(sa, msg); /* its CERTREQ asks for our certificate */
    if (env->auth_allowed && !env->auth_allowed(env->arg, &sa->peer_id, &sa->path))
        return answer_error(sa, IKE_N_AUTHENTICATION_FAILED, "authentication refused unchecked");
    if (id_ok)
        v = auth_ok(sa, msg, &idi->u.id, &auth->u.auth, &w);
    if (v == IKE_V_WAIT)
        return hold(sa, msg, w, 0);
    return responder_verdict(sa, v == IKE_V_OK, &pick, choose(sa, msg, &pick));
}

/* ---- initiator ---- */

/* 2.21.2: an initiator that rejects the responder's AUTH says so in an
 * INFORMATIONAL request, and does not wait for the answer. */
static enum ike_rx reject_responder(struct ike_sa *sa)
{
    struct ike_payload n = ike_notify_pl(IKE_N_AUTHENTICATION_FAILED, NULL, 0);

    if (ike_sa_send_sk(sa, IKE_EXCH_INFORMATIONAL, false, sa->msg_id_send, &n, 1) != UIPSEC_OK)
        ike_sa_log(sa->env, "cannot send AUTHENTICATION_FAILED");
    return ike_sa_fail(sa, IKE_N_AUTHENTICATION_FAILED,
                       sa->fail_text[0] ? sa->fail_text : "responder's ID or AUTH is wrong");
}

/* The responder authenticated: the IKE SA is up, and the CHILD_SA the
 * response carries (or its error notify, peer_error). */
static enum ike_rx initiator_up(struct ike_sa *sa, struct ike_child_pick *pick, uint16_t child_err,
                                uint16_t peer_error)
{
    sa->state = IKE_SA_ESTABLISHED;
    if (peer_error) {
        sa->child_notify = peer_error;
        ike_sa_log(sa->env, "IKE SA up, CHILD_SA refused: %s", ike_notify_name(peer_error));
        if (sa->env->child_failed)
            sa->env->child_failed(sa->env->arg, sa->child_cfg, peer_error);
        return IKE_RX_OK;
    }
    memcpy(pick->spi_in, sa->child_spi, IKE_CHILD_SPI_LEN);
    if (!child_err && ike_child_up(sa, pick, (struct ike_iov){NULL, 0}, nonce(sa->ni, sa->ni_len),
                                   nonce(sa->nr, sa->nr_len)) != UIPSEC_OK)
        child_err = IKE_N_NO_PROPOSAL_CHOSEN;
    sa->child_notify = child_err;
    if (child_err && sa->env->child_failed)
        sa->env->child_failed(sa->env->arg, sa->child_cfg, child_err);
    return IKE_RX_OK;
}

enum ike_rx ike_sa_auth_response(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg)
{
    const struct ike_pl_notify *err;
    const struct ike_payload *idr, *auth;
    struct ike_auth_wait *w = NULL;
    struct ike_child_pick pick;
    enum ike_verdict v = IKE_V_FAIL;
    uint16_t peer_error;

    if (!ike_sa_open_sk(sa, buf, len, msg))
        return IKE_RX_DROPPED;
    ike_sa_response_done(sa);
    err = ike_msg_error(msg);
    peer_error = err ? err->type : 0;
    idr = ike_msg_find(msg, IKE_PL_IDR);
    auth = ike_msg_find(msg, IKE_PL_AUTH);
    if (!idr || !auth)
        return ike_sa_fail(sa, err ? err->type : IKE_N_INVALID_SYNTAX, "IKE_AUTH refused");
    if (peer_id_ok(sa, &idr->u.id))
        v = auth_ok(sa, msg, &idr->u.id, &auth->u.auth, &w);
    if (v == IKE_V_WAIT)
        return hold(sa, msg, w, peer_error);
    if (v == IKE_V_FAIL)
        return reject_responder(sa);
    return initiator_up(sa, &pick, peer_error ? 0 : choose(sa, msg, &pick), peer_error);
}

enum ike_rx ike_sa_auth_resume(struct ike_sa *sa, struct ike_auth_wait *w)
{
    enum ike_verdict v = ike_cert_recheck(sa, w);

    if (v == IKE_V_WAIT)
        return IKE_RX_OK;
    sa->auth_wait = NULL;
    if (sa->role == IKE_ROLE_RESPONDER)
        return responder_verdict(sa, v == IKE_V_OK, &w->pick, w->child_err);
    if (v == IKE_V_FAIL)
        return reject_responder(sa);
    return initiator_up(sa, &w->pick, w->child_err, w->peer_error);
}
