/* SPDX-License-Identifier: MIT */
/* The IKE SA: life cycle, the receive dispatcher, message helpers, PSK AUTH
 * (RFC 7296 2.15) and NAT detection (2.23). */
#include "ident.h"
#include "ikesa_int.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ike_sa_log(const struct ike_env *env, const char *fmt, ...)
{
    char line[256];
    va_list ap;

    if (!env->log)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    env->log(env->arg, line);
}

void ike_sa_log_drop(const struct ike_env *env, const char *fmt, ...)
{
    void (*out)(void *, const char *) = env->log_drop ? env->log_drop : env->log;
    char line[256];
    va_list ap;

    if (!out)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    out(env->arg, line);
}

int ike_id_set(struct ike_id *id, uint8_t type, const char *text)
{
    size_t n = strlen(text);

    memset(id, 0, sizeof *id);
    id->type = type;
    if (type == IKE_ID_IPV4_ADDR || type == IKE_ID_IPV6_ADDR) {
        bool v4 = type == IKE_ID_IPV4_ADDR;

        if (inet_pton(v4 ? AF_INET : AF_INET6, text, id->data) != 1)
            return UIPSEC_E_PARAM;
        id->len = v4 ? 4 : 16;
        return UIPSEC_OK;
    }
    if (type == IKE_ID_DER_ASN1_DN) /* strongSwan's text, "C=CH, O=..., CN=..." */
        return ike_id_parse_dn(id, text, NULL, 0) == 0 ? UIPSEC_OK : UIPSEC_E_PARAM;
    if ((type != IKE_ID_FQDN && type != IKE_ID_RFC822_ADDR && type != IKE_ID_KEY_ID) || n == 0 ||
        n > IKE_ID_MAX)
        return UIPSEC_E_PARAM;
    memcpy(id->data, text, n);
    id->len = (uint8_t)n;
    return UIPSEC_OK;
}

const char *ike_sa_state_name(enum ike_sa_state state)
{
    static const char *const names[] = {"INIT_SENT", "INIT_DONE", "AUTH_SENT", "ESTABLISHED",
                                        "DELETING",  "DELETED",   "FAILED"};

    return (unsigned)state < sizeof names / sizeof names[0] ? names[state] : "?";
}

void ike_sa_free(struct ike_sa *sa)
{
    if (!sa)
        return;
    ike_dh_free(sa->dh);
    ike_sa_keys_free(sa->keys);
    ike_sk_free(sa->sk_out);
    ike_sk_free(sa->sk_in);
    free(sa->init_req);
    free(sa->init_resp);
    ike_dh_free(sa->child_dh);
    free(sa->req);
    free(sa->resp);
    ike_frag_discard(sa);
    X509_free(sa->peer_cert);
    ike_auth_wait_free(sa->auth_wait);
    OPENSSL_cleanse(sa, sizeof *sa);
    free(sa);
}

enum ike_rx ike_sa_fail(struct ike_sa *sa, uint16_t notify, const char *reason)
{
    sa->state = IKE_SA_FAILED;
    sa->fail_notify = notify;
    sa->fail_reason = reason;
    ike_sa_log(sa->env, "IKE SA failed: %s (%s)", reason,
               notify ? ike_notify_name(notify) : "no notify");
    return IKE_RX_FAILED;
}

const struct ike_payload *ike_msg_find(const struct ike_msg *msg, uint8_t type)
{
    for (size_t i = 0; i < msg->npayloads; i++)
        if (!msg->payloads[i].skipped && msg->payloads[i].type == type)
            return &msg->payloads[i];
    return NULL;
}

const struct ike_pl_notify *ike_msg_notify(const struct ike_msg *msg, uint16_t type)
{
    for (size_t i = 0; i < msg->npayloads; i++)
        if (!msg->payloads[i].skipped && msg->payloads[i].type == IKE_PL_NOTIFY &&
            msg->payloads[i].u.notify.type == type)
            return &msg->payloads[i].u.notify;
    return NULL;
}

const struct ike_pl_notify *ike_msg_error(const struct ike_msg *msg)
{
    for (size_t i = 0; i < msg->npayloads; i++)
        if (!msg->payloads[i].skipped && msg->payloads[i].type == IKE_PL_NOTIFY &&
            msg->payloads[i].u.notify.type <= IKE_N_ERROR_MAX)
            return &msg->payloads[i].u.notify;
    return NULL;
}

struct ike_hdr ike_sa_hdr(const struct ike_sa *sa, uint8_t exchange, bool response, uint32_t msg_id)
{
    struct ike_hdr h = {.version = IKE_VERSION, .exchange = exchange, .msg_id = msg_id};

    memcpy(h.spi_i, sa->spi_i, IKE_SPI_LEN);
    memcpy(h.spi_r, sa->spi_r, IKE_SPI_LEN);
    h.flags =
        (uint8_t)((sa->role == IKE_ROLE_INITIATOR ? IKE_FLAG_I : 0) | (response ? IKE_FLAG_R : 0));
    return h;
}

int ike_send_plain(const struct ike_env *env, const struct ike_hdr *hdr,
                   const struct ike_payload *pl, size_t n, uint8_t **copy, size_t *copy_len)
{
    struct ike_msg *m = calloc(1, sizeof *m);
    uint8_t *buf = malloc(IKE_MSG_MAX);
    size_t len = 0;
    int r = UIPSEC_E_NOMEM;

    if (!m || !buf || n > IKE_MAX_PAYLOADS)
        goto out;
    m->hdr = *hdr;
    m->npayloads = n;
    memcpy(m->payloads, pl, n * sizeof *pl);
    r = UIPSEC_E_PARAM;
    if (ike_encode(m, buf, IKE_MSG_MAX, &len) != IKE_ENC_OK)
        goto out;
    env->send(env->arg, buf, len);
    r = UIPSEC_OK;
    if (copy) {
        *copy = buf;
        *copy_len = len;
        buf = NULL;
    }
out:
    free(m);
    free(buf);
    return r;
}

uint64_t ike_sa_now(const struct ike_sa *sa)
{
    return sa->env->now_ms ? sa->env->now_ms(sa->env->arg) : 0;
}

void ike_sa_keep_sent(struct ike_sa *sa, uint8_t *msg, size_t len, bool response)
{
    free(response ? sa->resp : sa->req);
    *(response ? &sa->resp : &sa->req) = msg;
    *(response ? &sa->resp_len : &sa->req_len) = len;
    if (response) { /* it answers the request being handled, from sa->path */
        memcpy(sa->resp_digest, sa->rx_digest, sizeof sa->resp_digest);
        sa->resp_path = sa->path;
        return;
    }
    sa->req_pending = msg != NULL;
    sa->req_tries = 0;
    sa->req_deadline = ike_sa_now(sa) + IKE_RETRANSMIT_MS;
}

void ike_sa_response_done(struct ike_sa *sa)
{
    sa->req_pending = false;
    sa->msg_id_send++;
}

static int seal(struct ike_sa *sa, struct ike_msg *m, const struct ike_payload *inner, size_t n,
                uint8_t *buf, size_t *len)
{
    size_t sk_off, plain, pt_len;

    m->npayloads = 1;
    /* an empty INFORMATIONAL is an SK payload with nothing inside */
    m->payloads[0] =
        (struct ike_payload){.type = IKE_PL_SK, .u.sk.first_inner = n ? inner[0].type : 0};
    if (ike_encode_sk_prefix(m, buf, IKE_MSG_MAX, &sk_off) != IKE_ENC_OK)
        return UIPSEC_E_PARAM;
    plain = ike_sk_plain_offset(sa->sk_out, sk_off, IKE_SK_PAYLOAD_HEADER_LEN);
    pt_len = 0;
    if (plain >= IKE_MSG_MAX ||
        (n &&
         ike_encode_payloads(inner, n, buf + plain, IKE_MSG_MAX - plain, &pt_len) != IKE_ENC_OK))
        return UIPSEC_E_NO_ROOM;
    return ike_sk_seal(sa->sk_out, buf, IKE_MSG_MAX, sk_off, IKE_SK_PAYLOAD_HEADER_LEN, pt_len,
                       len);
}

int ike_sa_send_sk(struct ike_sa *sa, uint8_t exchange, bool response, uint32_t msg_id,
                   const struct ike_payload *inner, size_t n)
{
    struct ike_msg *m = calloc(1, sizeof *m);
    uint8_t *buf = malloc(IKE_MSG_MAX);
    size_t len = 0;
    int r = UIPSEC_E_NOMEM;

    if (m && buf) {
        m->hdr = ike_sa_hdr(sa, exchange, response, msg_id);
        r = seal(sa, m, inner, n, buf, &len);
    }
    if (r == UIPSEC_OK && ike_frag_wanted(sa, exchange, len)) { /* too big: SKF (RFC 7383) */
        uint8_t *frags = NULL;

        r = ike_frag_split(sa, &m->hdr, inner, n, &frags, &len);
        OPENSSL_cleanse(buf, IKE_MSG_MAX);
        free(buf);
        buf = frags;
    }
    free(m);
    if (r != UIPSEC_OK) {
        if (buf)
            OPENSSL_cleanse(buf, IKE_MSG_MAX);
        free(buf);
        return r;
    }
    ike_sa_send_kept(sa, buf, len);
    ike_sa_keep_sent(sa, buf, len, response);
    return UIPSEC_OK;
}

bool ike_sa_open_sk(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg)
{
    const struct ike_payload *last = msg->npayloads ? &msg->payloads[msg->npayloads - 1] : NULL;
    size_t pt_off, pt_len;
    uint8_t first;
    int r;

    if (sa->rx_open) { /* reassembled from authentic fragments (RFC 7383) */
        sa->rx_authentic = true;
        return true;
    }
    if (!last || last->type != IKE_PL_SK || last->skipped)
        return false;
    first = last->u.sk.first_inner;
    r = ike_sk_open(sa->sk_in, buf, len, last->offset, IKE_SK_PAYLOAD_HEADER_LEN, &pt_off, &pt_len);
    if (r != UIPSEC_OK) {
        ike_sa_log_drop(sa->env, "SK payload dropped: %s", uipsec_result_name(r));
        return false;
    }
    sa->rx_authentic = true; /* the ICV held: the peer sent it */
    if (ike_decode_payloads(first, buf + pt_off, pt_len, msg) != IKE_DEC_OK) {
        ike_sa_log_drop(sa->env, "SK contents malformed");
        return false;
    }
    return true;
}

void ike_nat_hash(const uint8_t *spi_i, const uint8_t *spi_r, const struct uipsec_addr *addr,
                  uint16_t port, uint8_t out[IKE_NAT_DETECTION_LEN])
{
    uint8_t in[2 * IKE_SPI_LEN + 16 + 2];
    size_t alen = addr->family == 6 ? 16 : 4, n = 0;
    unsigned int olen = 0;

    memcpy(in, spi_i, IKE_SPI_LEN);
    memcpy(in + IKE_SPI_LEN, spi_r, IKE_SPI_LEN);
    n = 2 * IKE_SPI_LEN;
    memcpy(in + n, addr->bytes, alen);
    n += alen;
    in[n++] = (uint8_t)(port >> 8);
    in[n++] = (uint8_t)port;
    if (EVP_Digest(in, n, out, &olen, EVP_sha1(), NULL) != 1 || olen != IKE_NAT_DETECTION_LEN)
        memset(out, 0, IKE_NAT_DETECTION_LEN);
}

/* A NAT changed the address when no notify of that type carries the hash
 * we compute (2.23); absent notifies say nothing. */
static bool nat_changed(const struct ike_sa *sa, const struct ike_msg *msg, uint16_t type,
                        const struct uipsec_addr *addr, uint16_t port)
{
    uint8_t want[IKE_NAT_DETECTION_LEN];
    bool seen = false;

    ike_nat_hash(sa->spi_i, sa->spi_r, addr, port, want);
    for (size_t i = 0; i < msg->npayloads; i++) {
        const struct ike_payload *p = &msg->payloads[i];

        if (p->skipped || p->type != IKE_PL_NOTIFY || p->u.notify.type != type)
            continue;
        seen = true;
        if (p->u.notify.data.len == IKE_NAT_DETECTION_LEN &&
            memcmp(p->u.notify.data.p, want, IKE_NAT_DETECTION_LEN) == 0)
            return false;
    }
    return seen;
}

void ike_sa_check_nat(struct ike_sa *sa, const struct ike_msg *msg)
{
    const struct ike_path *p = &sa->path;

    sa->nat_remote =
        nat_changed(sa, msg, IKE_N_NAT_DETECTION_SOURCE_IP, &p->remote, p->remote_port);
    sa->nat_local =
        nat_changed(sa, msg, IKE_N_NAT_DETECTION_DESTINATION_IP, &p->local, p->local_port);
}

/* RealMessage | Nonce | prf(SK_p, ID') of one side (2.15): so[3], with
 * macid (the PRF's size) filled. */
static int signed_parts(const struct ike_sa *sa, bool of_initiator, uint8_t id_type,
                        struct ike_bytes id_data, uint8_t *macid, struct ike_iov *so)
{
    uint8_t idhdr[4] = {id_type, 0, 0, 0};
    size_t plen = ike_prf_len(sa->prf);
    struct ike_iov skp = of_initiator ? sa->keys->pi : sa->keys->pr;
    struct ike_iov id[2] = {{idhdr, 4}, {id_data.p, id_data.len}};

    so[0] = (struct ike_iov){of_initiator ? sa->init_req : sa->init_resp,
                             of_initiator ? sa->init_req_len : sa->init_resp_len};
    so[1] =
        (struct ike_iov){of_initiator ? sa->nr : sa->ni, of_initiator ? sa->nr_len : sa->ni_len};
    so[2] = (struct ike_iov){macid, plen};
    if (!so[0].p || !sa->keys)
        return UIPSEC_E_PARAM;
    return ike_prf(sa->prf, skp.p, skp.len, id, 2, macid, plen);
}

int ike_auth_octets(const struct ike_sa *sa, bool of_initiator, uint8_t id_type,
                    struct ike_bytes id_data, uint8_t **out, size_t *out_len)
{
    uint8_t macid[IKE_PRF_MAX_LEN], *buf = NULL;
    struct ike_iov so[3];
    size_t at = 0;
    int r = signed_parts(sa, of_initiator, id_type, id_data, macid, so);

    if (r == UIPSEC_OK && !(buf = malloc(so[0].len + so[1].len + so[2].len)))
        r = UIPSEC_E_NOMEM;
    for (size_t i = 0; r == UIPSEC_OK && i < 3; i++) {
        memcpy(buf + at, so[i].p, so[i].len);
        at += so[i].len;
    }
    OPENSSL_cleanse(macid, sizeof macid);
    *out = r == UIPSEC_OK ? buf : NULL;
    *out_len = r == UIPSEC_OK ? at : 0;
    if (r != UIPSEC_OK)
        free(buf);
    return r;
}

int ike_psk_auth(const struct ike_sa *sa, bool of_initiator, uint8_t id_type,
                 struct ike_bytes id_data, uint8_t *out, size_t out_len)
{
    const struct ike_cfg *c = sa->cfg;
    uint8_t macid[IKE_PRF_MAX_LEN], *buf = NULL;
    struct ike_iov so[3];
    size_t len;
    int r = UIPSEC_E_PARAM;

    if (out_len != ike_prf_len(sa->prf))
        return r;
    if (sa->env->psk_mac) { /* the PSK is elsewhere: hand it the octets */
        r = ike_auth_octets(sa, of_initiator, id_type, id_data, &buf, &len);
        if (r == UIPSEC_OK)
            r = sa->env->psk_mac(sa->env->arg, sa->prf, buf, len, out, out_len) == 0
                    ? UIPSEC_OK
                    : UIPSEC_E_PARAM;
        free(buf);
        return r;
    }
    if (c->psk_len == 0)
        return r;
    r = signed_parts(sa, of_initiator, id_type, id_data, macid, so);
    if (r == UIPSEC_OK)
        r = ike_psk_mac(sa->prf, c->psk, c->psk_len, so, 3, out, out_len);
    OPENSSL_cleanse(macid, sizeof macid);
    return r;
}

/* A response to our outstanding request (2.3). */
static enum ike_rx dispatch_response(struct ike_sa *sa, uint8_t *buf, size_t len,
                                     struct ike_msg *msg)
{
    uint8_t x = msg->hdr.exchange;
    enum ike_task_kind k = sa->req_task.kind;
    bool creates = k == IKE_TASK_CHILD || k == IKE_TASK_REKEY_CHILD || k == IKE_TASK_REKEY_IKE;

    if (!sa->req_pending || msg->hdr.msg_id != sa->msg_id_send)
        return IKE_RX_DROPPED;
    if (sa->state == IKE_SA_INIT_SENT && x == IKE_EXCH_IKE_SA_INIT)
        return ike_sa_init_response(sa, buf, len, msg);
    if (sa->state == IKE_SA_AUTH_SENT && x == IKE_EXCH_IKE_AUTH)
        return ike_sa_auth_response(sa, buf, len, msg);
    if (sa->state != IKE_SA_ESTABLISHED && sa->state != IKE_SA_DELETING)
        return IKE_RX_DROPPED;
    if (x == IKE_EXCH_CREATE_CHILD_SA && k == IKE_TASK_REKEY_IKE)
        return ike_sa_rekey_response(sa, buf, len, msg);
    if (x == IKE_EXCH_CREATE_CHILD_SA && creates)
        return ike_sa_child_response(sa, buf, len, msg);
    if (x == IKE_EXCH_INFORMATIONAL && !creates)
        return ike_sa_info_response(sa, buf, len, msg);
    return IKE_RX_DROPPED;
}

/* Whether a and b name the same peer address and ports. */
static bool same_path(const struct ike_path *a, const struct ike_path *b)
{
    return a->remote_port == b->remote_port && a->local_port == b->local_port &&
           memcmp(&a->remote, &b->remote, sizeof a->remote) == 0;
}

/* A request: the one we expect, or the last one again (2.1, 2.3). */
static enum ike_rx dispatch_request(struct ike_sa *sa, uint8_t *buf, size_t len,
                                    struct ike_msg *msg)
{
    uint8_t x = msg->hdr.exchange;
    bool up = sa->state == IKE_SA_ESTABLISHED || sa->state == IKE_SA_DELETING;

    if (sa->msg_id_expect > 0 && msg->hdr.msg_id == sa->msg_id_expect - 1) {
        /* the request we answered, again (2.1): the same answer; anything
         * else with its ID is not answered at all */
        if (!sa->resp || memcmp(sa->rx_digest, sa->resp_digest, sizeof sa->rx_digest) != 0)
            return IKE_RX_DROPPED;
        /* anyone can repeat a request they saw: the answer goes only to
         * where the original came from, or the cache is a reflector */
        if (!same_path(&sa->path, &sa->resp_path)) {
            ike_sa_log_drop(sa->env, "repeated request %u from another address dropped",
                            msg->hdr.msg_id);
            return IKE_RX_DROPPED;
        }
        ike_sa_send_kept(sa, sa->resp, sa->resp_len);
        return IKE_RX_OK;
    }
    if (msg->hdr.msg_id != sa->msg_id_expect)
        return IKE_RX_DROPPED;
    if (sa->state == IKE_SA_INIT_DONE && x == IKE_EXCH_IKE_AUTH)
        return ike_sa_auth_request(sa, buf, len, msg);
    if (up && x == IKE_EXCH_CREATE_CHILD_SA)
        return ike_sa_child_request(sa, buf, len, msg);
    if ((up || sa->state == IKE_SA_AUTH_SENT) && x == IKE_EXCH_INFORMATIONAL)
        return ike_sa_info_request(sa, buf, len, msg);
    return IKE_RX_DROPPED;
}

static enum ike_rx dispatch(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg)
{
    const struct ike_hdr *h = &msg->hdr;
    bool from_init = h->flags & IKE_FLAG_I;

    /* the I flag names the original initiator, whoever sends (2.3) */
    if (from_init != (sa->role == IKE_ROLE_RESPONDER))
        return IKE_RX_DROPPED;
    if (h->flags & IKE_FLAG_R)
        return dispatch_response(sa, buf, len, msg);
    return dispatch_request(sa, buf, len, msg);
}

/* An IKE_SA_INIT request again, before the initiator knew our SPI. */
static bool init_again(const struct ike_sa *sa, const struct ike_msg *msg)
{
    static const uint8_t zero[IKE_SPI_LEN];

    return sa->role == IKE_ROLE_RESPONDER && msg->hdr.exchange == IKE_EXCH_IKE_SA_INIT &&
           msg->hdr.msg_id == 0 && !(msg->hdr.flags & IKE_FLAG_R) &&
           memcmp(msg->hdr.spi_r, zero, IKE_SPI_LEN) == 0;
}

/* A message from another address or port: if it proves authentic the
 * peer moved there (NAT-T's switch to 4500, a NAT's new mapping), and the
 * answer must already go there; if not, nothing changes. */
static bool moved(const struct ike_sa *sa, const struct ike_path *from)
{
    const struct ike_path *p = &sa->path;

    return from && !same_path(p, from);
}

/* The request our cached response answers, to tell a retransmission
 * from a forgery before the response goes out again. */
static void request_digest(const uint8_t *buf, size_t len, uint8_t out[32])
{
    unsigned int n = 0;

    if (EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) != 1)
        memset(out, 0, 32);
}

/* Runs the message with the path it came from: an authentic one moves
 * the SA there (NAT-T's switch to 4500, a NAT's new mapping) and is
 * answered there; anything else leaves the path as it was.  IKE_SA_INIT
 * responses are never authentic, so they never move it. */
static enum ike_rx dispatch_from(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg,
                                 const struct ike_path *from)
{
    struct ike_path old = sa->path;
    enum ike_rx rx;

    if (!moved(sa, from) || sa->state == IKE_SA_INIT_SENT)
        return dispatch(sa, buf, len, msg);
    sa->path.remote = from->remote;
    sa->path.remote_port = from->remote_port;
    sa->path.local_port = from->local_port;
    rx = dispatch(sa, buf, len, msg);
    if (!sa->rx_authentic)
        sa->path = old; /* not authentic (a forgery, a repeat): the SA stays */
    else
        ike_sa_log(sa->env, "peer now at port %u, we at %u", from->remote_port, from->local_port);
    return rx;
}

/* An authentic first fragment of the request we answered last (RFC 7383
 * 2.6.1): the whole answer again, only to where that request came from. */
static enum ike_rx frag_repeat(struct ike_sa *sa, const struct ike_path *from)
{
    if (!sa->resp || !same_path(from ? from : &sa->path, &sa->resp_path)) {
        ike_sa_log_drop(sa->env, "repeated fragmented request not answered");
        return IKE_RX_DROPPED;
    }
    ike_sa_send_kept(sa, sa->resp, sa->resp_len);
    return IKE_RX_OK;
}

/* A message, or a fragment of one: kept until the last one, then the
 * reassembled message goes where an SK message goes. */
static enum ike_rx receive_msg(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg,
                               const struct ike_path *from)
{
    enum ike_frag_rx f;
    enum ike_rx rx;

    if (!ike_frag_is_skf(msg))
        return dispatch_from(sa, buf, len, msg, from);
    f = ike_frag_receive(sa, buf, len, msg);
    if (f == IKE_FRAG_RX_REPEAT)
        return frag_repeat(sa, from);
    if (f != IKE_FRAG_RX_DONE)
        return f == IKE_FRAG_RX_HELD ? IKE_RX_OK : IKE_RX_DROPPED;
    sa->rx_open = true;
    rx = dispatch_from(sa, buf, len, msg, from);
    sa->rx_open = false;
    ike_frag_discard(sa);
    return rx;
}

bool ike_sa_checking(const struct ike_sa *sa)
{
    return sa && sa->auth_wait;
}

enum ike_rx ike_sa_recheck(struct ike_sa *sa)
{
    struct ike_auth_wait *w = sa->auth_wait;
    enum ike_rx rx;

    if (!w)
        return IKE_RX_OK;
    sa->in_receive = true; /* as for a message: callbacks' tasks wait */
    rx = ike_sa_auth_resume(sa, w);
    sa->in_receive = false;
    if (!sa->auth_wait)
        ike_auth_wait_free(w);
    ike_sa_run_tasks(sa);
    return rx;
}

enum ike_rx ike_sa_receive(struct ike_sa *sa, const uint8_t *buf, size_t len,
                           const struct ike_path *from)
{
    struct ike_msg *msg = calloc(1, sizeof *msg);
    uint8_t *copy = len ? malloc(len) : NULL;
    enum ike_rx rx = IKE_RX_DROPPED;
    bool learn_spi_r = sa->state == IKE_SA_INIT_SENT;

    if (!msg || !copy || sa->state == IKE_SA_FAILED || sa->state == IKE_SA_DELETED)
        goto out;
    if (sa->auth_wait) { /* its repeats and anything else wait too */
        ike_sa_log_drop(sa->env, "message dropped: the peer's certificate is being checked");
        goto out;
    }
    memcpy(copy, buf, len);
    if (ike_decode(copy, len, msg) != IKE_DEC_OK) {
        ike_sa_log_drop(sa->env, "malformed IKE message dropped");
        goto out;
    }
    if (memcmp(msg->hdr.spi_i, sa->spi_i, IKE_SPI_LEN) != 0)
        goto out;
    if (init_again(sa, msg)) {
        /* the same IKE_SA_INIT request again, byte for byte and from
         * where the first came: the same answer (not a reflector) */
        bool same = sa->state == IKE_SA_INIT_DONE && sa->resp && len == sa->init_req_len &&
                    memcmp(buf, sa->init_req, len) == 0;

        if (same && moved(sa, from)) {
            ike_sa_log_drop(sa->env, "repeated IKE_SA_INIT from another address dropped");
            goto out;
        }
        if (same)
            ike_sa_send_kept(sa, sa->resp, sa->resp_len);
        rx = IKE_RX_OK;
        goto out;
    }
    if (!learn_spi_r && memcmp(msg->hdr.spi_r, sa->spi_r, IKE_SPI_LEN) != 0)
        goto out;
    sa->rx_authentic = false;
    sa->in_receive = true; /* tasks queued by handlers and callbacks wait */
    request_digest(buf, len, sa->rx_digest);
    rx = receive_msg(sa, copy, len, msg, from);
    sa->in_receive = false;
    ike_sa_run_tasks(sa);
out:
    if (copy)
        OPENSSL_cleanse(copy, len);
    free(copy);
    free(msg);
    return rx;
}

size_t ike_id_format(const struct ike_id *id, char *buf, size_t len)
{
    ike_id_print(id, buf, len);
    return len ? strlen(buf) : 0;
}

const char *ike_notify_name(uint16_t type)
{
    switch (type) {
    case IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD:
        return "UNSUPPORTED_CRITICAL_PAYLOAD";
    case IKE_N_INVALID_IKE_SPI:
        return "INVALID_IKE_SPI";
    case IKE_N_INVALID_MAJOR_VERSION:
        return "INVALID_MAJOR_VERSION";
    case IKE_N_INVALID_SYNTAX:
        return "INVALID_SYNTAX";
    case IKE_N_INVALID_MESSAGE_ID:
        return "INVALID_MESSAGE_ID";
    case IKE_N_INVALID_SPI:
        return "INVALID_SPI";
    case IKE_N_NO_PROPOSAL_CHOSEN:
        return "NO_PROPOSAL_CHOSEN";
    case IKE_N_INVALID_KE_PAYLOAD:
        return "INVALID_KE_PAYLOAD";
    case IKE_N_AUTHENTICATION_FAILED:
        return "AUTHENTICATION_FAILED";
    case IKE_N_SINGLE_PAIR_REQUIRED:
        return "SINGLE_PAIR_REQUIRED";
    case IKE_N_NO_ADDITIONAL_SAS:
        return "NO_ADDITIONAL_SAS";
    case IKE_N_INTERNAL_ADDRESS_FAILURE:
        return "INTERNAL_ADDRESS_FAILURE";
    case IKE_N_FAILED_CP_REQUIRED:
        return "FAILED_CP_REQUIRED";
    case IKE_N_TS_UNACCEPTABLE:
        return "TS_UNACCEPTABLE";
    case IKE_N_INVALID_SELECTORS:
        return "INVALID_SELECTORS";
    case IKE_N_TEMPORARY_FAILURE:
        return "TEMPORARY_FAILURE";
    case IKE_N_CHILD_SA_NOT_FOUND:
        return "CHILD_SA_NOT_FOUND";
    }
    return type < IKE_N_ERROR_MAX ? "error notify" : "status notify";
}
