/* SPDX-License-Identifier: MIT */
/* IKE_SA_INIT (RFC 7296 1.2, 1.3 INVALID_KE_PAYLOAD, 2.23 NAT detection):
 * the initiator's request and its handling of the answer, and the
 * responder's answer (or stateless error) to a fresh request. */
#include "ikesa_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

uint8_t *ike_dup(const uint8_t *p, size_t len)
{
    uint8_t *c = malloc(len ? len : 1);

    if (c)
        memcpy(c, p, len);
    return c;
}

static struct ike_sa *sa_alloc(const struct ike_cfg *cfg, const struct ike_env *env,
                               const struct ike_path *path, enum ike_role role)
{
    struct ike_sa *sa = calloc(1, sizeof *sa);

    if (!sa)
        return NULL;
    sa->cfg = cfg;
    sa->env = env;
    sa->path = *path;
    sa->role = role;
    sa->created = ike_sa_now(sa);
    return sa;
}

/* [N(COOKIE)], SA, KE, nonce and the two NAT detection notifies: the
 * body of both IKE_SA_INIT messages.  nat must hold 2 *
 * IKE_NAT_DETECTION_LEN bytes, pl 6 payloads. */
static size_t init_payloads(const struct ike_sa *sa, const struct ike_pl_sa *sa_pl,
                            const uint8_t *ke, size_t ke_len, uint8_t *nat, struct ike_payload *pl)
{
    bool i = sa->role == IKE_ROLE_INITIATOR;
    const struct ike_path *p = &sa->path;
    size_t n = 0;

    if (i && sa->cookie_len) /* the responder's cookie goes first (2.6) */
        pl[n++] = ike_notify_pl(IKE_N_COOKIE, sa->cookie, sa->cookie_len);
    ike_nat_hash(sa->spi_i, sa->spi_r, &p->local, p->local_port, nat);
    if (sa->cfg->force_encap) /* a source hash that cannot match: the peer sees a NAT */
        sa->env->random(sa->env->arg, nat, IKE_NAT_DETECTION_LEN);
    ike_nat_hash(sa->spi_i, sa->spi_r, &p->remote, p->remote_port, nat + IKE_NAT_DETECTION_LEN);
    pl[n++] = (struct ike_payload){.type = IKE_PL_SA, .u.sa = *sa_pl};
    pl[n++] = (struct ike_payload){.type = IKE_PL_KE,
                                   .u.ke = {.group = (uint16_t)sa->dh_group, .data = {ke, ke_len}}};
    pl[n++] = (struct ike_payload){.type = IKE_PL_NONCE,
                                   .u.nonce = {i ? sa->ni : sa->nr, i ? sa->ni_len : sa->nr_len}};
    pl[n++] = ike_notify_pl(IKE_N_NAT_DETECTION_SOURCE_IP, nat, IKE_NAT_DETECTION_LEN);
    pl[n++] = ike_notify_pl(IKE_N_NAT_DETECTION_DESTINATION_IP, nat + IKE_NAT_DETECTION_LEN,
                            IKE_NAT_DETECTION_LEN);
    return n;
}

/* Sends an IKE_SA_INIT message and keeps it (RealMessage1 or 2, and for
 * retransmission). */
static int send_init(struct ike_sa *sa, const struct ike_pl_sa *sa_pl)
{
    uint8_t ke[IKE_DH_MAX_KE_LEN], nat[2 * IKE_NAT_DETECTION_LEN], *copy = NULL;
    uint8_t cert_buf[IKE_CERT_INIT_BUF];
    size_t ke_len = ike_dh_ke_len(sa->dh_group), len = 0, n;
    struct ike_payload pl[9];
    bool i = sa->role == IKE_ROLE_INITIATOR;
    struct ike_hdr h = ike_sa_hdr(sa, IKE_EXCH_IKE_SA_INIT, !i, 0);
    int r = ike_dh_public(sa->dh, ke, ke_len);

    if (r != UIPSEC_OK)
        return r;
    n = init_payloads(sa, sa_pl, ke, ke_len, nat, pl);
    n += ike_cert_init_payloads(sa, cert_buf, pl + n);
    n += ike_frag_init_payloads(sa, pl + n);
    r = ike_send_plain(sa->env, &h, pl, n, &copy, &len);
    if (r != UIPSEC_OK)
        return r;
    free(i ? sa->init_req : sa->init_resp);
    *(i ? &sa->init_req : &sa->init_resp) = copy;
    *(i ? &sa->init_req_len : &sa->init_resp_len) = len;
    ike_sa_keep_sent(sa, ike_dup(copy, len), len, !i);
    return (i ? sa->req : sa->resp) ? UIPSEC_OK : UIPSEC_E_NOMEM;
}

/* The request, with a new key pair unless only a cookie was added. */
static int send_init_request(struct ike_sa *sa, bool new_dh)
{
    struct ike_prop_wire w;
    struct ike_pl_sa sa_pl;
    int r = UIPSEC_OK;

    if (new_dh || !sa->dh) {
        ike_dh_free(sa->dh);
        sa->dh = NULL;
        r = ike_dh_new(sa->dh_group, &sa->dh);
    }
    if (r != UIPSEC_OK)
        return r;
    ike_prop_to_pl(sa->cfg->ike.p, sa->cfg->ike.n, NULL, 0, &w, &sa_pl);
    return send_init(sa, &sa_pl);
}

int ike_sa_initiate(struct ike_sa **out, const struct ike_cfg *cfg, const struct ike_env *env,
                    const struct ike_path *path, unsigned child)
{
    struct ike_sa *sa;
    int r;

    *out = NULL;
    if (cfg->ike.n == 0 || child >= cfg->nchildren || cfg->child[child].esp.n == 0 ||
        (!cfg->local_pk.on && cfg->psk_len == 0 && !env->psk_mac) ||
        (cfg->local_pk.on && (!env->sign || (!cfg->local_pk.cert && !cfg->local_pk.n_raw))) ||
        cfg->child[child].nts == 0)
        return UIPSEC_E_PARAM;
    sa = sa_alloc(cfg, env, path, IKE_ROLE_INITIATOR);
    if (!sa)
        return UIPSEC_E_NOMEM;
    sa->child_cfg = child;
    env->random(env->arg, sa->spi_i, IKE_SPI_LEN);
    env->random(env->arg, sa->ni, IKE_NONCE_LEN);
    sa->ni_len = IKE_NONCE_LEN;
    sa->dh_group = (enum ike_dh_alg)cfg->ike.p[0].alg[IKE_TRANSFORM_DH][0].id;
    r = send_init_request(sa, true);
    if (r != UIPSEC_OK) {
        ike_sa_free(sa);
        return r;
    }
    sa->state = IKE_SA_INIT_SENT;
    *out = sa;
    return UIPSEC_OK;
}

/* The seven keys and both SK contexts from g^ir (ike_dh_derive done);
 * the DH pair is then freed. */
static int make_keys(struct ike_sa *sa)
{
    struct ike_sa_kdf_in in = {
        .prf = sa->prf, .sk = sa->suite, .ni = {sa->ni, sa->ni_len}, .nr = {sa->nr, sa->nr_len}};
    bool i = sa->role == IKE_ROLE_INITIATOR;
    int r;

    in.gir = ike_dh_secret(sa->dh);
    memcpy(in.spi_i, sa->spi_i, IKE_SPI_LEN);
    memcpy(in.spi_r, sa->spi_r, IKE_SPI_LEN);
    r = ike_sa_keys_new(&in, &sa->keys);
    if (r == UIPSEC_OK)
        r = ike_sa_keys_sk_new(sa->keys, &sa->suite, i, &sa->sk_out);
    if (r == UIPSEC_OK)
        r = ike_sa_keys_sk_new(sa->keys, &sa->suite, !i, &sa->sk_in);
    ike_dh_free(sa->dh);
    sa->dh = NULL;
    return r;
}

/* ---- responder ---- */

/* An unprotected error answer to an IKE_SA_INIT request (no state kept). */
static enum ike_rx refuse(const struct ike_env *env, const struct ike_hdr *req, uint16_t type,
                          const uint8_t *data, size_t len)
{
    struct ike_hdr h = {
        .version = IKE_VERSION, .exchange = IKE_EXCH_IKE_SA_INIT, .flags = IKE_FLAG_R, .msg_id = 0};
    struct ike_payload pl = ike_notify_pl(type, data, len);

    memcpy(h.spi_i, req->spi_i, IKE_SPI_LEN);
    ike_sa_log(env, "IKE_SA_INIT refused: %s", ike_notify_name(type));
    if (ike_send_plain(env, &h, &pl, 1, NULL, NULL) != UIPSEC_OK)
        return IKE_RX_DROPPED;
    return IKE_RX_FAILED;
}

static bool init_request_shape(const struct ike_msg *m)
{
    static const uint8_t zero[IKE_SPI_LEN];
    const struct ike_hdr *h = &m->hdr;

    return h->exchange == IKE_EXCH_IKE_SA_INIT && (h->flags & IKE_FLAG_I) &&
           !(h->flags & IKE_FLAG_R) && h->msg_id == 0 && memcmp(h->spi_r, zero, IKE_SPI_LEN) == 0;
}

bool ike_init_offer_fits(const uint8_t *buf, size_t len, const struct ike_prop_list *ours)
{
    struct ike_msg *m = calloc(1, sizeof *m);
    const struct ike_payload *sa_pl;
    struct ike_prop chosen;
    size_t idx;
    bool fits = m && ike_decode(buf, len, m) == IKE_DEC_OK && init_request_shape(m) &&
                (sa_pl = ike_msg_find(m, IKE_PL_SA)) &&
                ike_prop_select(ours, &sa_pl->u.sa, false, &chosen, &idx);

    free(m);
    return fits;
}

bool ike_sa_prop_fits(const struct ike_sa *sa, const struct ike_prop_list *ours)
{
    struct ike_prop_wire w;
    struct ike_pl_sa pl;
    struct ike_prop chosen;
    size_t idx;

    ike_prop_to_pl(&sa->prop, 1, NULL, 0, &w, &pl);
    return ike_prop_select(ours, &pl, false, &chosen, &idx);
}

/* Makes the responder's SA for an accepted offer and answers it. */
static int accept_init(struct ike_sa *sa, const struct ike_msg *m, const uint8_t *buf, size_t len,
                       uint8_t offer_num)
{
    const struct ike_payload *ke = ike_msg_find(m, IKE_PL_KE);
    const struct ike_bytes *ni = &ike_msg_find(m, IKE_PL_NONCE)->u.nonce;
    struct ike_prop_wire w;
    struct ike_pl_sa sa_pl;
    int r;

    memcpy(sa->spi_i, m->hdr.spi_i, IKE_SPI_LEN);
    memcpy(sa->ni, ni->p, ni->len);
    sa->ni_len = ni->len;
    ike_sa_check_nat(sa, m); /* the request's hashes have SPIr = 0 */
    ike_cert_note_peer(sa, m);
    ike_frag_note_peer(sa, m);
    sa->env->random(sa->env->arg, sa->spi_r, IKE_SPI_LEN);
    sa->env->random(sa->env->arg, sa->nr, IKE_NONCE_LEN);
    sa->nr_len = IKE_NONCE_LEN;
    sa->init_req = ike_dup(buf, len);
    sa->init_req_len = len;
    r = sa->init_req ? ike_dh_new(sa->dh_group, &sa->dh) : UIPSEC_E_NOMEM;
    if (r != UIPSEC_OK)
        return r;
    ike_prop_to_pl(&sa->prop, 1, NULL, 0, &w, &sa_pl);
    w.props[0].num = offer_num;
    r = send_init(sa, &sa_pl); /* our public value is sent before g^ir is made */
    if (r == UIPSEC_OK)
        r = ike_dh_derive(sa->dh, ke->u.ke.data.p, ke->u.ke.data.len);
    if (r == UIPSEC_OK)
        r = make_keys(sa);
    return r;
}

const char *ike_init_drop_name(enum ike_init_drop why)
{
    static const char *const names[] = {"none", "malformed", "bad-ke", "local"};

    return (unsigned)why < sizeof names / sizeof names[0] ? names[why] : "?";
}

/* The peer's public value, checked before it costs a key pair or a
 * reply (a flood of invalid values must cost no more than a cookie). */
static bool ke_valid(const struct ike_env *env, const struct ike_pl_ke *ke)
{
    int r = ike_dh_check_peer((enum ike_dh_alg)ke->group, ke->data.p, ke->data.len);

    if (r == UIPSEC_OK)
        return true;
    ike_sa_log_drop(env, "IKE_SA_INIT dropped: KE value invalid for group %u (%zu bytes: %s)",
                    ke->group, ke->data.len, uipsec_result_name(r));
    return false;
}

enum ike_rx ike_sa_respond(struct ike_sa **out, const struct ike_cfg *cfg,
                           const struct ike_env *env, const struct ike_path *path,
                           const uint8_t *buf, size_t len)
{
    enum ike_init_drop why;

    return ike_sa_respond_why(out, cfg, env, path, buf, len, &why);
}

enum ike_rx ike_sa_respond_why(struct ike_sa **out, const struct ike_cfg *cfg,
                               const struct ike_env *env, const struct ike_path *path,
                               const uint8_t *buf, size_t len, enum ike_init_drop *why)
{
    struct ike_msg *m = calloc(1, sizeof *m);
    const struct ike_payload *sa_pl, *ke;
    struct ike_sa *sa = NULL;
    struct ike_prop chosen;
    struct ike_sk_suite suite;
    enum ike_prf_alg prf;
    enum ike_dh_alg group;
    size_t idx;
    enum ike_rx rx = IKE_RX_DROPPED;

    *out = NULL;
    *why = m ? IKE_INIT_DROP_MALFORMED : IKE_INIT_DROP_LOCAL;
    if (!m || ike_decode(buf, len, m) != IKE_DEC_OK || !init_request_shape(m))
        goto out;
    *why = IKE_INIT_DROP_NONE; /* from here on a refusal is an answer */
    sa_pl = ike_msg_find(m, IKE_PL_SA);
    ke = ike_msg_find(m, IKE_PL_KE);
    if (!sa_pl || !ke || !ike_msg_find(m, IKE_PL_NONCE)) {
        rx = refuse(env, &m->hdr, IKE_N_INVALID_SYNTAX, NULL, 0);
        goto out;
    }
    if (!ike_prop_select(&cfg->ike, &sa_pl->u.sa, false, &chosen, &idx) ||
        !ike_prop_ike_suite(&chosen, &suite, &prf, &group)) {
        rx = refuse(env, &m->hdr, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
        goto out;
    }
    if (ke->u.ke.group != group) {
        uint8_t g[2] = {(uint8_t)(group >> 8), (uint8_t)group};

        rx = refuse(env, &m->hdr, IKE_N_INVALID_KE_PAYLOAD, g, sizeof g);
        goto out;
    }
    if (!ke_valid(env, &ke->u.ke)) { /* no answer: one would make us a reflector */
        *why = IKE_INIT_DROP_BAD_KE;
        goto out;
    }
    *why = IKE_INIT_DROP_LOCAL;
    sa = sa_alloc(cfg, env, path, IKE_ROLE_RESPONDER);
    if (!sa)
        goto out;
    sa->prop = chosen;
    sa->suite = suite;
    sa->prf = prf;
    sa->dh_group = group;
    if (accept_init(sa, m, buf, len, sa_pl->u.sa.proposals[idx].num) != UIPSEC_OK)
        goto out;
    *why = IKE_INIT_DROP_NONE;
    sa->state = IKE_SA_INIT_DONE;
    sa->msg_id_expect = 1;
    *out = sa;
    sa = NULL;
    rx = IKE_RX_OK;
out:
    if (rx == IKE_RX_DROPPED && *why == IKE_INIT_DROP_NONE)
        *why = IKE_INIT_DROP_LOCAL; /* the refusal could not be sent */
    ike_sa_free(sa);
    free(m);
    return rx;
}

/* ---- initiator: the answer ---- */

/* An IKE_SA_INIT answer is not authenticated: anyone who saw our SPI can
 * forge one.  So an answer we cannot use (an error notify, a bad proposal
 * or KE) does not end the initiation: we keep waiting for a valid one
 * until the retransmissions run out, and then report the last error seen
 * (RFC 7296 2.21.1).  INVALID_KE_PAYLOAD and COOKIE are acted on, being
 * part of the protocol, within their limits. */
static enum ike_rx init_unusable(struct ike_sa *sa, uint16_t notify, const char *why)
{
    sa->fail_notify = notify;
    sa->fail_reason = why;
    ike_sa_log_drop(sa->env, "IKE_SA_INIT answer ignored: %s (%s); waiting for another", why,
                    notify ? ike_notify_name(notify) : "no notify");
    return IKE_RX_DROPPED;
}

/* COOKIE (2.6): the same request again, the cookie in front. */
static enum ike_rx init_cookie(struct ike_sa *sa, const struct ike_pl_notify *n)
{
    if (n->data.len < 1 || n->data.len > IKE_COOKIE_MAX || sa->cookie_tries >= 3)
        return init_unusable(sa, 0, "bad or repeated COOKIE");
    sa->cookie_tries++;
    memcpy(sa->cookie, n->data.p, n->data.len);
    sa->cookie_len = n->data.len;
    ike_sa_log(sa->env, "responder asks for a cookie: sending IKE_SA_INIT again");
    if (send_init_request(sa, false) != UIPSEC_OK)
        return ike_sa_fail(sa, 0, "cannot retry IKE_SA_INIT");
    return IKE_RX_OK;
}

/* INVALID_KE_PAYLOAD: once per group, retry with the group asked for (1.3). */
static enum ike_rx init_error(struct ike_sa *sa, const struct ike_pl_notify *n)
{
    uint16_t g;

    if (n->type != IKE_N_INVALID_KE_PAYLOAD)
        return init_unusable(sa, n->type, "IKE_SA_INIT refused by the peer");
    g = ike_ke_retry_group(n, &sa->cfg->ike, (uint16_t)sa->dh_group, &sa->ke_retries);
    if (!g)
        return init_unusable(sa, n->type, "INVALID_KE_PAYLOAD for a group not offered");
    sa->dh_group = (enum ike_dh_alg)g;
    ike_sa_log(sa->env, "INVALID_KE_PAYLOAD: retrying with group %u", g);
    if (send_init_request(sa, true) != UIPSEC_OK)
        return ike_sa_fail(sa, 0, "cannot retry IKE_SA_INIT");
    return IKE_RX_OK;
}

/* What an answer chose; the SA takes it once the answer proved usable. */
struct init_choice {
    struct ike_prop prop;
    struct ike_sk_suite suite;
    enum ike_prf_alg prf;
    enum ike_dh_alg group;
};

/* The answer's single proposal must be one of ours, one transform a type. */
static bool check_answer(const struct ike_sa *sa, const struct ike_pl_sa *sa_pl,
                         struct init_choice *c)
{
    size_t idx, types = 0;

    if (sa_pl->nproposals != 1 || !ike_prop_select(&sa->cfg->ike, sa_pl, false, &c->prop, &idx) ||
        !ike_prop_ike_suite(&c->prop, &c->suite, &c->prf, &c->group))
        return false;
    for (uint8_t t = 1; t < IKE_PROP_NTYPES; t++)
        types += c->prop.n[t];
    return sa_pl->proposals[0].ntransforms == types;
}

enum ike_rx ike_sa_init_response(struct ike_sa *sa, const uint8_t *buf, size_t len,
                                 const struct ike_msg *msg)
{
    static const uint8_t zero[IKE_SPI_LEN];
    const struct ike_pl_notify *err = ike_msg_error(msg);
    const struct ike_payload *sa_pl = ike_msg_find(msg, IKE_PL_SA),
                             *ke = ike_msg_find(msg, IKE_PL_KE),
                             *nr = ike_msg_find(msg, IKE_PL_NONCE);
    const struct ike_pl_notify *cookie = ike_msg_notify(msg, IKE_N_COOKIE);
    struct init_choice c;

    if (cookie && !sa_pl)
        return init_cookie(sa, cookie);
    if (err)
        return init_error(sa, err);
    if (memcmp(msg->hdr.spi_r, zero, IKE_SPI_LEN) == 0)
        return IKE_RX_DROPPED;
    /* nothing changes before the answer proved usable */
    if (!sa_pl || !ke || !nr)
        return init_unusable(sa, IKE_N_INVALID_SYNTAX, "IKE_SA_INIT answer incomplete");
    if (!check_answer(sa, &sa_pl->u.sa, &c))
        return init_unusable(sa, IKE_N_NO_PROPOSAL_CHOSEN, "answer is not a proposal we made");
    if (ke->u.ke.group != sa->dh_group || c.group != sa->dh_group)
        return init_unusable(sa, IKE_N_INVALID_KE_PAYLOAD, "answer's KE group is not ours");
    if (ike_dh_derive(sa->dh, ke->u.ke.data.p, ke->u.ke.data.len) != UIPSEC_OK)
        return init_unusable(sa, IKE_N_INVALID_SYNTAX, "answer's KE value is invalid");
    sa->prop = c.prop;
    sa->suite = c.suite;
    sa->prf = c.prf;
    memcpy(sa->spi_r, msg->hdr.spi_r, IKE_SPI_LEN);
    memcpy(sa->nr, nr->u.nonce.p, nr->u.nonce.len);
    sa->nr_len = nr->u.nonce.len;
    sa->init_resp = ike_dup(buf, len);
    sa->init_resp_len = len;
    sa->fail_notify = 0; /* errors seen before this answer no longer count */
    sa->fail_reason = NULL;
    if (!sa->init_resp || make_keys(sa) != UIPSEC_OK)
        return ike_sa_fail(sa, 0, "key derivation failed");
    ike_sa_check_nat(sa, msg);
    ike_cert_note_peer(sa, msg);
    ike_frag_note_peer(sa, msg);
    ike_sa_response_done(sa);
    if (ike_sa_behind_nat(sa) && sa->path.remote_port == IKE_PORT) {
        /* NAT-T (2.23): IKE_AUTH and everything after go to port 4500 */
        sa->path.local_port = sa->path.remote_port = IKE_NATT_PORT;
        ike_sa_log(sa->env, "NAT on the path%s: moving to port 4500",
                   sa->cfg->force_encap ? " (forced by encap)" : "");
    }
    if (ike_sa_send_auth_request(sa) != UIPSEC_OK)
        return ike_sa_fail(sa, 0, "cannot send IKE_AUTH");
    sa->state = IKE_SA_AUTH_SENT;
    return IKE_RX_OK;
}

/* ---- cookies (2.6) ---- */

/* 1-byte generation | SHA-256(Ni | IPi | SPIi | secret). */
static bool make_cookie(const uint8_t *secret, uint8_t gen, const struct ike_bytes *ni,
                        const struct uipsec_addr *ip, const uint8_t *spi_i, uint8_t *out)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;
    bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
              EVP_DigestUpdate(md, ni->p, ni->len) == 1 &&
              EVP_DigestUpdate(md, ip->bytes, ip->family == 6 ? 16 : 4) == 1 &&
              EVP_DigestUpdate(md, spi_i, IKE_SPI_LEN) == 1 &&
              EVP_DigestUpdate(md, secret, IKE_COOKIE_SECRET_LEN) == 1 &&
              EVP_DigestFinal_ex(md, out + 1, &len) == 1 && len == 32;

    EVP_MD_CTX_free(md);
    out[0] = gen;
    return ok;
}

int ike_cookie_check(const uint8_t secrets[2][IKE_COOKIE_SECRET_LEN], uint8_t gen,
                     const struct ike_path *from, const uint8_t *buf, size_t len, uint8_t *reply,
                     size_t *reply_len)
{
    struct ike_msg *m = calloc(1, sizeof *m);
    const struct ike_payload *ni;
    uint8_t want[IKE_COOKIE_LEN];
    int r = -1;

    if (!m || ike_decode(buf, len, m) != IKE_DEC_OK || !init_request_shape(m) ||
        !(ni = ike_msg_find(m, IKE_PL_NONCE)))
        goto out;
    if (m->npayloads && m->payloads[0].type == IKE_PL_NOTIFY &&
        m->payloads[0].u.notify.type == IKE_N_COOKIE &&
        m->payloads[0].u.notify.data.len == IKE_COOKIE_LEN) {
        const uint8_t *got = m->payloads[0].u.notify.data.p;
        uint8_t g = got[0];

        /* this generation's secret or the one before */
        if ((g == gen || g == (uint8_t)(gen - 1)) &&
            make_cookie(secrets[g & 1], g, &ni->u.nonce, &from->remote, m->hdr.spi_i, want) &&
            CRYPTO_memcmp(want, got, IKE_COOKIE_LEN) == 0) {
            r = 1;
            goto out;
        }
    }
    if (make_cookie(secrets[gen & 1], gen, &ni->u.nonce, &from->remote, m->hdr.spi_i, want)) {
        struct ike_hdr h = {
            .version = IKE_VERSION, .exchange = IKE_EXCH_IKE_SA_INIT, .flags = IKE_FLAG_R};
        struct ike_payload pl = ike_notify_pl(IKE_N_COOKIE, want, IKE_COOKIE_LEN);

        memcpy(h.spi_i, m->hdr.spi_i, IKE_SPI_LEN);
        m->hdr = h;
        m->npayloads = 1;
        m->payloads[0] = pl;
        if (ike_encode(m, reply, IKE_COOKIE_REPLY_MAX, reply_len) == IKE_ENC_OK)
            r = 0;
    }
out:
    free(m);
    return r;
}
