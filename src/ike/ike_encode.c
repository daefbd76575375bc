/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 message encoding (RFC 7296 section 3).  Output goes through a
 * struct cursor over the caller's buffer too: each field is taken from it
 * before it is written, so running out of room is a failed take, never a
 * write past cap.  Length fields are reserved first and filled in once
 * what they cover is written.
 */
#include <string.h>

#include "cursor.h"
#include "ike_msg.h"

#define NO_ROOM IKE_ENC_NO_ROOM

static bool put_u8(struct cursor *w, uint8_t v)
{
    uint8_t *p;

    if (!cursor_take(w, 1, &p))
        return false;
    *p = v;
    return true;
}

static bool put16(struct cursor *w, uint16_t v)
{
    uint8_t *p;

    if (!cursor_take(w, 2, &p))
        return false;
    put_be16(p, v);
    return true;
}

static bool put32(struct cursor *w, uint32_t v)
{
    uint8_t *p;

    if (!cursor_take(w, 4, &p))
        return false;
    put_be32(p, v);
    return true;
}

static bool put_bytes(struct cursor *w, const void *src, size_t n)
{
    uint8_t *p;

    if (!cursor_take(w, n, &p))
        return false;
    if (n)
        memcpy(p, src, n);
    return true;
}

static bool put_zero(struct cursor *w, size_t n)
{
    uint8_t *p;

    if (!cursor_take(w, n, &p))
        return false;
    memset(p, 0, n);
    return true;
}

/* A 16-bit length to fill in later: `start` is the room left where the
 * counted bytes begin, so their length is start minus the room left at the
 * end. */
struct len16 {
    uint8_t *at;
    size_t start;
};

static bool len16_fill(const struct len16 *l, const struct cursor *w)
{
    size_t n = l->start - w->len;

    if (n > UINT16_MAX)
        return false;
    put_be16(l->at, (uint16_t)n);
    return true;
}

/* The Last Substruc octet, reserved octet and a length to fill in. */
static bool put_sub_header(struct cursor *w, uint8_t last, struct len16 *l)
{
    l->start = w->len;
    return put_u8(w, last) && put_u8(w, 0) && cursor_take(w, 2, &l->at);
}

static enum ike_encode_result enc_transform(struct cursor *w, const struct ike_transform *t,
                                            bool last)
{
    struct len16 l;

    if (!put_sub_header(w, last ? IKE_TRANSFORM_LAST : IKE_TRANSFORM_MORE, &l) ||
        !put_u8(w, t->type) || !put_u8(w, 0) || !put16(w, t->id))
        return NO_ROOM;
    if (t->key_length && !(put16(w, IKE_ATTR_TV | IKE_ATTR_KEY_LENGTH) && put16(w, t->key_length)))
        return NO_ROOM;
    return len16_fill(&l, w) ? IKE_ENC_OK : IKE_ENC_TOO_LONG;
}

static enum ike_encode_result enc_proposal(struct cursor *w, const struct ike_proposal *p,
                                           bool last)
{
    struct len16 l;
    enum ike_encode_result r;

    if (p->spi_size > IKE_SPI_LEN)
        return IKE_ENC_INVALID;
    if (!put_sub_header(w, last ? IKE_PROPOSAL_LAST : IKE_PROPOSAL_MORE, &l) ||
        !put_u8(w, p->num) || !put_u8(w, p->protocol) || !put_u8(w, p->spi_size) ||
        !put_u8(w, p->ntransforms) || !put_bytes(w, p->spi, p->spi_size))
        return NO_ROOM;
    for (size_t i = 0; i < p->ntransforms; i++) {
        r = enc_transform(w, &p->transforms[i], i + 1 == p->ntransforms);
        if (r != IKE_ENC_OK)
            return r;
    }
    return len16_fill(&l, w) ? IKE_ENC_OK : IKE_ENC_TOO_LONG;
}

static enum ike_encode_result enc_sa(struct cursor *w, const struct ike_pl_sa *sa)
{
    enum ike_encode_result r;

    for (size_t i = 0; i < sa->nproposals; i++) {
        r = enc_proposal(w, &sa->proposals[i], i + 1 == sa->nproposals);
        if (r != IKE_ENC_OK)
            return r;
    }
    return IKE_ENC_OK;
}

/* A one-octet field, three reserved octets, then data (KE has two and two). */
static enum ike_encode_result enc_typed(struct cursor *w, uint8_t type, struct ike_bytes d)
{
    return put_u8(w, type) && put_zero(w, 3) && put_bytes(w, d.p, d.len) ? IKE_ENC_OK : NO_ROOM;
}

static enum ike_encode_result enc_notify(struct cursor *w, const struct ike_pl_notify *n)
{
    if (n->spi_size > IKE_CHILD_SPI_LEN)
        return IKE_ENC_INVALID;
    return put_u8(w, n->protocol) && put_u8(w, n->spi_size) && put16(w, n->type) &&
                   put_bytes(w, n->spi, n->spi_size) && put_bytes(w, n->data.p, n->data.len)
               ? IKE_ENC_OK
               : NO_ROOM;
}

static enum ike_encode_result enc_delete(struct cursor *w, const struct ike_pl_delete *d)
{
    bool child = d->protocol == IKE_PROTO_AH || d->protocol == IKE_PROTO_ESP;

    if (!child && d->nspis != 0)
        return IKE_ENC_INVALID;
    if (!put_u8(w, d->protocol) || !put_u8(w, child ? IKE_CHILD_SPI_LEN : 0) || !put16(w, d->nspis))
        return NO_ROOM;
    for (size_t i = 0; i < d->nspis; i++)
        if (!put32(w, d->spis[i]))
            return NO_ROOM;
    return IKE_ENC_OK;
}

static enum ike_encode_result enc_ts(struct cursor *w, const struct ike_pl_ts *ts)
{
    if (!put_u8(w, ts->nts) || !put_zero(w, 3))
        return NO_ROOM;
    for (size_t i = 0; i < ts->nts; i++) {
        const struct ike_ts *t = &ts->ts[i];
        size_t alen = t->type == IKE_TS_IPV4_ADDR_RANGE ? 4 : 16;

        if (t->type != IKE_TS_IPV4_ADDR_RANGE && t->type != IKE_TS_IPV6_ADDR_RANGE)
            return IKE_ENC_INVALID;
        if (!put_u8(w, t->type) || !put_u8(w, t->ip_proto) ||
            !put16(w, (uint16_t)(IKE_TS_HDR_LEN + 2 * alen)) || !put16(w, t->start_port) ||
            !put16(w, t->end_port) || !put_bytes(w, t->start, alen) || !put_bytes(w, t->end, alen))
            return NO_ROOM;
    }
    return IKE_ENC_OK;
}

static enum ike_encode_result enc_sk(struct cursor *w, uint8_t type, const struct ike_pl_sk *sk,
                                     bool body)
{
    if (type == IKE_PL_SKF && !(put16(w, sk->frag_num) && put16(w, sk->frag_total)))
        return NO_ROOM;
    if (body && !put_bytes(w, sk->data.p, sk->data.len))
        return NO_ROOM;
    return IKE_ENC_OK;
}

static enum ike_encode_result enc_cp(struct cursor *w, const struct ike_pl_cp *cp)
{
    if (!put_u8(w, cp->type) || !put_zero(w, 3))
        return NO_ROOM;
    for (size_t i = 0; i < cp->nattrs; i++) {
        const struct ike_cp_attr *a = &cp->attrs[i];

        if (a->value.len > UINT16_MAX)
            return IKE_ENC_TOO_LONG;
        if (!put16(w, a->type & ~IKE_CP_ATTR_RESERVED_BIT) || !put16(w, (uint16_t)a->value.len) ||
            !put_bytes(w, a->value.p, a->value.len))
            return NO_ROOM;
    }
    return IKE_ENC_OK;
}

static enum ike_encode_result enc_body(struct cursor *w, const struct ike_payload *pl, bool sk_body)
{
    const struct ike_bytes *d;

    switch (pl->type) {
    case IKE_PL_SA:
        return enc_sa(w, &pl->u.sa);
    case IKE_PL_KE:
        return put16(w, pl->u.ke.group) && put_zero(w, 2) &&
                       put_bytes(w, pl->u.ke.data.p, pl->u.ke.data.len)
                   ? IKE_ENC_OK
                   : NO_ROOM;
    case IKE_PL_IDI:
    case IKE_PL_IDR:
        return enc_typed(w, pl->u.id.type, pl->u.id.data);
    case IKE_PL_CERT:
    case IKE_PL_CERTREQ:
        return put_u8(w, pl->u.cert.encoding) &&
                       put_bytes(w, pl->u.cert.data.p, pl->u.cert.data.len)
                   ? IKE_ENC_OK
                   : NO_ROOM;
    case IKE_PL_AUTH:
        return enc_typed(w, pl->u.auth.method, pl->u.auth.data);
    case IKE_PL_NOTIFY:
        return enc_notify(w, &pl->u.notify);
    case IKE_PL_DELETE:
        return enc_delete(w, &pl->u.del);
    case IKE_PL_TSI:
    case IKE_PL_TSR:
        return enc_ts(w, &pl->u.ts);
    case IKE_PL_SK:
    case IKE_PL_SKF:
        return enc_sk(w, pl->type, &pl->u.sk, sk_body);
    case IKE_PL_CP:
        return enc_cp(w, &pl->u.cp);
    case IKE_PL_NONCE:
        d = &pl->u.nonce;
        break;
    case IKE_PL_VENDOR:
        d = &pl->u.vendor;
        break;
    case IKE_PL_EAP:
        d = &pl->u.eap;
        break;
    default:
        return IKE_ENC_INVALID; /* a type we cannot build a body for */
    }
    return put_bytes(w, d->p, d->len) ? IKE_ENC_OK : NO_ROOM;
}

static bool is_sk(uint8_t type)
{
    return type == IKE_PL_SK || type == IKE_PL_SKF;
}

/* One payload: the generic header, then the body (a skipped one's raw). */
static enum ike_encode_result enc_payload(struct cursor *w, const struct ike_payload *pl,
                                          uint8_t next, bool sk_body)
{
    struct len16 l = {.start = w->len};
    enum ike_encode_result r;

    if (!put_u8(w, next) || !put_u8(w, pl->critical ? IKE_PAYLOAD_CRITICAL : 0) ||
        !cursor_take(w, 2, &l.at))
        return NO_ROOM;
    if (pl->skipped)
        r = put_bytes(w, pl->u.raw.p, pl->u.raw.len) ? IKE_ENC_OK : NO_ROOM;
    else
        r = enc_body(w, pl, sk_body);
    if (r != IKE_ENC_OK)
        return r;
    return len16_fill(&l, w) ? IKE_ENC_OK : IKE_ENC_TOO_LONG;
}

/*
 * A chain of n payloads, each naming the next; an SK/SKF payload names the
 * first payload inside it and must be the last (3.14), and is allowed only
 * in a message (outer).  *sk_off, if given, is where the SK header went.
 */
static enum ike_encode_result enc_chain(struct cursor *w, size_t cap, const struct ike_payload *pl,
                                        size_t n, bool outer, bool sk_body, size_t *sk_off)
{
    enum ike_encode_result r;

    for (size_t i = 0; i < n; i++) {
        uint8_t next = i + 1 < n ? pl[i + 1].type : IKE_PL_NONE;

        if (is_sk(pl[i].type) && !pl[i].skipped) {
            if (!outer || i + 1 != n)
                return IKE_ENC_INVALID;
            next = pl[i].u.sk.first_inner;
            if (sk_off)
                *sk_off = cap - w->len;
        }
        r = enc_payload(w, &pl[i], next, sk_body);
        if (r != IKE_ENC_OK)
            return r;
    }
    return IKE_ENC_OK;
}

/* The header with its Length left to fill: *len_at. */
static enum ike_encode_result enc_header(struct cursor *w, const struct ike_msg *msg,
                                         uint8_t **len_at)
{
    const struct ike_hdr *h = &msg->hdr;

    if (h->version >> 4 != IKE_MAJOR_VERSION || msg->npayloads > IKE_MAX_PAYLOADS)
        return IKE_ENC_INVALID;
    if (!put_bytes(w, h->spi_i, IKE_SPI_LEN) || !put_bytes(w, h->spi_r, IKE_SPI_LEN) ||
        !put_u8(w, msg->npayloads ? msg->payloads[0].type : IKE_PL_NONE) ||
        !put_u8(w, h->version) || !put_u8(w, h->exchange) ||
        !put_u8(w, h->flags & IKE_FLAGS_KNOWN) || !put32(w, h->msg_id) ||
        !cursor_take(w, 4, len_at))
        return NO_ROOM;
    return IKE_ENC_OK;
}

static enum ike_encode_result enc_message(const struct ike_msg *msg, uint8_t *out, size_t cap,
                                          bool sk_body, size_t *len, size_t *sk_off)
{
    struct cursor w = cursor_make(out, cap);
    uint8_t *len_at;
    enum ike_encode_result r;

    r = enc_header(&w, msg, &len_at);
    if (r == IKE_ENC_OK)
        r = enc_chain(&w, cap, msg->payloads, msg->npayloads, true, sk_body, sk_off);
    if (r != IKE_ENC_OK)
        return r;
    if (cap - w.len > UINT32_MAX)
        return IKE_ENC_TOO_LONG;
    *len = cap - w.len;
    put_be32(len_at, (uint32_t)*len);
    return IKE_ENC_OK;
}

enum ike_encode_result ike_encode(const struct ike_msg *msg, uint8_t *out, size_t cap, size_t *len)
{
    return enc_message(msg, out, cap, true, len, NULL);
}

enum ike_encode_result ike_encode_payloads(const struct ike_payload *pl, size_t n, uint8_t *out,
                                           size_t cap, size_t *len)
{
    struct cursor w = cursor_make(out, cap);
    enum ike_encode_result r;

    r = enc_chain(&w, cap, pl, n, false, true, NULL);
    if (r != IKE_ENC_OK)
        return r;
    *len = cap - w.len;
    return IKE_ENC_OK;
}

enum ike_encode_result ike_encode_sk_prefix(const struct ike_msg *msg, uint8_t *out, size_t cap,
                                            size_t *sk_off)
{
    size_t len;

    if (msg->npayloads == 0 || !is_sk(msg->payloads[msg->npayloads - 1].type) ||
        msg->payloads[msg->npayloads - 1].skipped)
        return IKE_ENC_INVALID;
    return enc_message(msg, out, cap, false, &len, sk_off);
}
