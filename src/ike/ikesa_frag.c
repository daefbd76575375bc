/* SPDX-License-Identifier: MIT */
/*
 * IKE fragmentation (RFC 7383): IKE_AUTH with certificate chains is larger
 * than a 1280-byte path, and IP fragments are often dropped on the way.
 *
 * Announcing: N(IKEV2_FRAGMENTATION_SUPPORTED) in IKE_SA_INIT (2.3), by the
 * initiator unless fragmentation = no, by the responder only when the
 * request had it.
 *
 * Sending: a protected message whose datagram (IP, UDP, the non-ESP marker
 * on port 4500 included) would exceed the fragment size goes out as SKF
 * payloads (2.5): the inner payload chain cut into pieces, each sealed on
 * its own with Fragment Number / Total Fragments in its authenticated
 * header, the first naming the first inner payload, the others 0.  With
 * fragmentation = yes only when the peer announced it, with force always,
 * with accept and no never.  IKE_SA_INIT is never fragmented.  The set of
 * datagrams is kept back to back as the message (sa->req, sa->resp), so
 * a retransmission sends all of them (2.6).
 *
 * Receiving (2.6): only with the keys of the IKE SA (IKE_AUTH onwards) and
 * only for the message ID the SA expects (our outstanding request's answer,
 * the peer's next request, or the request we answered last, whose first
 * fragment gets the whole answer again, 2.6.1).  Each fragment's ICV is
 * checked before anything is kept; the buffer is allocated on the first
 * authentic fragment, one message per SA at a time, and bounded:
 * IKE_FRAG_MAX fragments, IKE_FRAG_MAX_TOTAL bytes, IKE_FRAG_TIMEOUT_MS.
 * A fragment of another message supersedes the reassembly (only expected
 * IDs get here), as does a larger Total Fragments for the same message (the
 * peer retransmits in smaller pieces, 2.6.1); a smaller one is dropped, as
 * are duplicates.  Every drop goes through ike_sa_log_drop with its reason.
 */
#include "ike_wire.h"
#include "ikesa_int.h"

#include <openssl/crypto.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct ike_frag {
    uint32_t msg_id;
    bool response;
    uint8_t first;  /* the first inner payload type, from fragment 1 */
    uint16_t total; /* Total Fragments of the message */
    uint16_t have;  /* fragments kept */
    uint64_t seen;  /* bit k: fragment k + 1 kept */
    uint64_t started;
    size_t used;
    uint32_t off[IKE_FRAG_MAX], len[IKE_FRAG_MAX];
    uint8_t *whole; /* the reassembled chain, once complete */
    uint8_t data[IKE_FRAG_MAX_TOTAL];
};

size_t ike_frag_init_payloads(const struct ike_sa *sa, struct ike_payload *pl)
{
    bool i = sa->role == IKE_ROLE_INITIATOR;

    if (sa->cfg->fragmentation == IKE_FRAG_NO || (!i && !sa->peer_frag))
        return 0;
    *pl = ike_notify_pl(IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
    return 1;
}

void ike_frag_note_peer(struct ike_sa *sa, const struct ike_msg *msg)
{
    sa->peer_frag = ike_msg_notify(msg, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL;
}

static size_t frag_size(const struct ike_sa *sa)
{
    return sa->cfg->fragment_size ? sa->cfg->fragment_size : IKE_FRAG_SIZE_DEFAULT;
}

/* What the datagram carries besides the IKE message (2.5.1). */
static size_t overhead(const struct ike_sa *sa)
{
    const struct ike_path *p = &sa->path;
    bool natt = p->local_port == IKE_NATT_PORT || p->remote_port == IKE_NATT_PORT;

    return (p->remote.family == 6 ? 40 : 20) + 8 + (natt ? 4 : 0);
}

bool ike_frag_wanted(const struct ike_sa *sa, uint8_t exchange, size_t len)
{
    uint8_t mode = sa->cfg->fragmentation;

    if (exchange == IKE_EXCH_IKE_SA_INIT || mode == IKE_FRAG_ACCEPT || mode == IKE_FRAG_NO)
        return false;
    if (mode == IKE_FRAG_YES && !sa->peer_frag)
        return false;
    return len + overhead(sa) > frag_size(sa);
}

/* The most plaintext one fragment of at most budget bytes holds (CBC
 * padding makes the sealed length a step function), or 0. */
static size_t piece_len(const struct ike_sa *sa, size_t budget)
{
    size_t base = ike_sk_sealed_len(sa->sk_out, IKE_HDR_LEN, IKE_SKF_PAYLOAD_HEADER_LEN, 0);
    size_t x;

    if (budget < base + 16)
        return 0;
    for (x = budget - base + 16; x > 0; x--)
        if (ike_sk_sealed_len(sa->sk_out, IKE_HDR_LEN, IKE_SKF_PAYLOAD_HEADER_LEN, x) <= budget)
            return x;
    return 0;
}

/* Fragment k of nf: pt[0, len) sealed at out (room cap). */
static int seal_piece(struct ike_sa *sa, const struct ike_hdr *hdr, uint8_t first, unsigned k,
                      unsigned nf, const uint8_t *pt, size_t len, uint8_t *out, size_t cap,
                      size_t *out_len)
{
    static const struct ike_msg zero;
    struct ike_msg *m = malloc(sizeof *m);
    size_t sk_off = 0, plain;
    int r = UIPSEC_E_NOMEM;

    if (!m)
        return r;
    *m = zero;
    m->hdr = *hdr;
    m->npayloads = 1;
    m->payloads[0] = (struct ike_payload){
        .type = IKE_PL_SKF,
        .u.sk = {.first_inner = k ? 0 : first, .frag_num = k + 1, .frag_total = nf}};
    r = ike_encode_sk_prefix(m, out, cap, &sk_off) == IKE_ENC_OK ? UIPSEC_OK : UIPSEC_E_PARAM;
    free(m);
    if (r != UIPSEC_OK)
        return r;
    plain = ike_sk_plain_offset(sa->sk_out, sk_off, IKE_SKF_PAYLOAD_HEADER_LEN);
    if (plain + len > cap)
        return UIPSEC_E_NO_ROOM;
    memcpy(out + plain, pt, len);
    return ike_sk_seal(sa->sk_out, out, cap, sk_off, IKE_SKF_PAYLOAD_HEADER_LEN, len, out_len);
}

/* pt[0, pt_len) cut into pieces of at most piece bytes, sealed into out. */
static int seal_pieces(struct ike_sa *sa, const struct ike_hdr *hdr, uint8_t first,
                       const uint8_t *pt, size_t pt_len, size_t piece, uint8_t *out, size_t cap,
                       size_t *out_len)
{
    unsigned nf = (unsigned)((pt_len + piece - 1) / piece);
    size_t at = 0, flen;
    int r = UIPSEC_OK;

    for (unsigned k = 0; r == UIPSEC_OK && k < nf; k++) {
        size_t len = k + 1 < nf ? piece : pt_len - k * piece;

        r = seal_piece(sa, hdr, first, k, nf, pt + k * piece, len, out + at, cap - at, &flen);
        at += r == UIPSEC_OK ? flen : 0;
    }
    *out_len = at;
    return r;
}

int ike_frag_split(struct ike_sa *sa, const struct ike_hdr *hdr, const struct ike_payload *inner,
                   size_t n, uint8_t **out, size_t *out_len)
{
    size_t budget = frag_size(sa) > overhead(sa) ? frag_size(sa) - overhead(sa) : 0;
    size_t piece = piece_len(sa, budget), pt_len = 0, nf;
    uint8_t *pt = malloc(IKE_MSG_MAX), *buf = NULL;
    int r = UIPSEC_E_NOMEM;

    *out = NULL;
    if (!pt)
        return r;
    r = n && ike_encode_payloads(inner, n, pt, IKE_MSG_MAX, &pt_len) == IKE_ENC_OK ? UIPSEC_OK
                                                                                   : UIPSEC_E_PARAM;
    nf = piece ? (pt_len + piece - 1) / piece : 0;
    if (r == UIPSEC_OK && (nf == 0 || nf > IKE_FRAG_MAX))
        r = UIPSEC_E_TOO_BIG; /* a fragment size too small for the message */
    if (r == UIPSEC_OK && !(buf = malloc(nf * budget)))
        r = UIPSEC_E_NOMEM;
    if (r == UIPSEC_OK)
        r = seal_pieces(sa, hdr, n ? inner[0].type : 0, pt, pt_len, piece, buf, nf * budget,
                        out_len);
    OPENSSL_cleanse(pt, IKE_MSG_MAX);
    free(pt);
    if (r != UIPSEC_OK) {
        free(buf);
        return r;
    }
    ike_sa_log(sa->env, "%s %u: %zu bytes sent in %zu fragments", ike_exchange_name(hdr->exchange),
               hdr->msg_id, pt_len, nf);
    *out = buf;
    return UIPSEC_OK;
}

void ike_sa_send_kept(const struct ike_sa *sa, const uint8_t *buf, size_t len)
{
    size_t at = 0;

    while (len - at >= IKE_HDR_LEN) {
        const uint8_t *h = buf + at + 24; /* the IKE header's Length */
        size_t n = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];

        if (n < IKE_HDR_LEN || n > len - at)
            return;
        sa->env->send(sa->env->arg, buf + at, n);
        at += n;
    }
}

/* ---- reassembly ---- */

bool ike_frag_is_skf(const struct ike_msg *msg)
{
    return msg->npayloads && msg->payloads[msg->npayloads - 1].type == IKE_PL_SKF &&
           !msg->payloads[msg->npayloads - 1].skipped;
}

void ike_frag_discard(struct ike_sa *sa)
{
    struct ike_frag *f = sa->frag;

    if (!f)
        return;
    if (f->whole)
        OPENSSL_cleanse(f->whole, f->used);
    free(f->whole);
    OPENSSL_cleanse(f->data, f->used);
    free(f);
    sa->frag = NULL;
}

void ike_frag_tick(struct ike_sa *sa)
{
    if (sa->frag && ike_sa_now(sa) - sa->frag->started > IKE_FRAG_TIMEOUT_MS) {
        ike_sa_log_drop(sa->env, "reassembly of message %u timed out (%u of %u fragments)",
                        sa->frag->msg_id, sa->frag->have, sa->frag->total);
        ike_frag_discard(sa);
    }
}

/* Checks before any crypto: fragmentation on, keys there, an ID the SA
 * expects.  *repeat: the request we answered last. */
static bool acceptable(struct ike_sa *sa, const struct ike_msg *msg, bool *repeat)
{
    uint32_t id = msg->hdr.msg_id;
    bool response = msg->hdr.flags & IKE_FLAG_R;

    *repeat = !response && sa->msg_id_expect > 0 && id == sa->msg_id_expect - 1;
    if (sa->cfg->fragmentation == IKE_FRAG_NO) {
        ike_sa_log_drop(sa->env, "SKF dropped: fragmentation = no");
        return false;
    }
    if (!sa->sk_in) {
        ike_sa_log_drop(sa->env, "SKF dropped: no keys yet");
        return false;
    }
    if (response ? sa->req_pending && id == sa->msg_id_send : id == sa->msg_id_expect || *repeat)
        return true;
    ike_sa_log_drop(sa->env, "SKF dropped: message %u not expected", id);
    return false;
}

/* The fragment set f belongs to, made anew when the fragment starts or
 * supersedes one; NULL: dropped (or out of memory). */
static struct ike_frag *slot(struct ike_sa *sa, const struct ike_msg *msg,
                             const struct ike_pl_sk *sk)
{
    struct ike_frag *f;
    bool response = msg->hdr.flags & IKE_FLAG_R;

    ike_frag_tick(sa);
    f = sa->frag;
    if (f && f->msg_id == msg->hdr.msg_id && f->response == response && sk->frag_total < f->total) {
        ike_sa_log_drop(sa->env, "SKF dropped: message %u has %u fragments, not %u", f->msg_id,
                        f->total, sk->frag_total);
        return NULL;
    }
    if (f && (f->msg_id != msg->hdr.msg_id || f->response != response || sk->frag_total > f->total))
        ike_frag_discard(sa); /* superseded (2.6.1) */
    if (sa->frag)
        return sa->frag;
    if (!(f = malloc(sizeof *f)))
        return NULL;
    memset(f, 0, offsetof(struct ike_frag, data));
    f->msg_id = msg->hdr.msg_id;
    f->response = response;
    f->total = sk->frag_total;
    f->started = ike_sa_now(sa);
    return sa->frag = f;
}

/* The pieces in order, decoded into msg. */
static enum ike_frag_rx assemble(struct ike_sa *sa, struct ike_msg *msg)
{
    struct ike_frag *f = sa->frag;
    size_t at = 0;

    if (!(f->whole = malloc(f->used ? f->used : 1)))
        return IKE_FRAG_RX_DROP;
    for (unsigned k = 0; k < f->total; k++) {
        memcpy(f->whole + at, f->data + f->off[k], f->len[k]);
        at += f->len[k];
    }
    if (ike_decode_payloads(f->first, f->whole, f->used, msg) != IKE_DEC_OK) {
        ike_sa_log_drop(sa->env, "reassembled message %u malformed", f->msg_id);
        ike_frag_discard(sa);
        return IKE_FRAG_RX_DROP;
    }
    return IKE_FRAG_RX_DONE;
}

/* An authentic fragment's plaintext pt[0, len) kept. */
static enum ike_frag_rx keep(struct ike_sa *sa, struct ike_msg *msg, const struct ike_pl_sk *sk,
                             const uint8_t *pt, size_t len)
{
    struct ike_frag *f = slot(sa, msg, sk);
    unsigned k = sk->frag_num - 1u;

    if (!f)
        return IKE_FRAG_RX_DROP;
    if (f->seen & (1ull << k)) {
        ike_sa_log_drop(sa->env, "SKF dropped: fragment %u of message %u again", k + 1, f->msg_id);
        return IKE_FRAG_RX_DROP;
    }
    if (len > IKE_FRAG_MAX_TOTAL - f->used) {
        ike_sa_log_drop(sa->env, "SKF dropped: message %u over %u bytes, reassembly abandoned",
                        f->msg_id, IKE_FRAG_MAX_TOTAL);
        ike_frag_discard(sa);
        return IKE_FRAG_RX_DROP;
    }
    memcpy(f->data + f->used, pt, len);
    f->off[k] = (uint32_t)f->used;
    f->len[k] = (uint32_t)len;
    f->used += len;
    f->seen |= 1ull << k;
    if (k == 0)
        f->first = sk->first_inner;
    return ++f->have < f->total ? IKE_FRAG_RX_HELD : assemble(sa, msg);
}

enum ike_frag_rx ike_frag_receive(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_msg *msg)
{
    const struct ike_payload *p = &msg->payloads[msg->npayloads - 1];
    const struct ike_pl_sk sk = p->u.sk;
    size_t pt_off, pt_len;
    bool repeat;
    int r;

    if (!acceptable(sa, msg, &repeat))
        return IKE_FRAG_RX_DROP;
    if (sk.frag_total > IKE_FRAG_MAX) {
        ike_sa_log_drop(sa->env, "SKF dropped: %u fragments, at most %u", sk.frag_total,
                        IKE_FRAG_MAX);
        return IKE_FRAG_RX_DROP;
    }
    r = ike_sk_open(sa->sk_in, buf, len, p->offset, IKE_SKF_PAYLOAD_HEADER_LEN, &pt_off, &pt_len);
    if (r != UIPSEC_OK) {
        ike_sa_log_drop(sa->env, "SKF payload dropped: %s", uipsec_result_name(r));
        return IKE_FRAG_RX_DROP;
    }
    if (repeat) /* the whole answer again for the first fragment only */
        return sk.frag_num == 1 ? IKE_FRAG_RX_REPEAT : IKE_FRAG_RX_DROP;
    return keep(sa, msg, &sk, buf + pt_off, pt_len);
}
