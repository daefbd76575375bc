/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 message decoding: the header and the payload chain (RFC 7296 3.1,
 * 3.2, 3.14).  Every byte is read through a struct cursor; each payload's
 * body gets its own cursor limited to its Payload Length, so a payload
 * decoder cannot read past its payload.  The payload bodies are decoded in
 * ike_payloads.c.
 */
#include <string.h>

#include "cursor.h"
#include "ike_msg_int.h"
#include "ike_msg.h"

/* The fixed part of each payload type we decode (its body without the
 * generic header); false for types we do not know. */
static bool payload_fixed_len(uint8_t type, size_t *fixed)
{
    switch (type) {
    case IKE_PL_SA:
    case IKE_PL_NONCE:
    case IKE_PL_VENDOR:
    case IKE_PL_SK:
    case IKE_PL_EAP:
        *fixed = 0;
        return true;
    case IKE_PL_CERT:
    case IKE_PL_CERTREQ:
        *fixed = 1; /* encoding */
        return true;
    case IKE_PL_KE:  /* group, reserved */
    case IKE_PL_IDI: /* type, reserved */
    case IKE_PL_IDR:
    case IKE_PL_AUTH:   /* method, reserved */
    case IKE_PL_NOTIFY: /* protocol, SPI size, type */
    case IKE_PL_DELETE: /* protocol, SPI size, number of SPIs */
    case IKE_PL_TSI:    /* number of TSs, reserved */
    case IKE_PL_TSR:
    case IKE_PL_CP:  /* CFG type, reserved */
    case IKE_PL_SKF: /* fragment number, total */
        *fixed = 4;
        return true;
    default:
        return false;
    }
}

static bool is_sk(uint8_t type)
{
    return type == IKE_PL_SK || type == IKE_PL_SKF;
}

static enum ike_decode_result decode_body(struct ike_msg *m, struct ike_payload *pl,
                                          struct cursor *b)
{
    switch (pl->type) {
    case IKE_PL_SA:
        return ike_dec_sa(m, b, &pl->u.sa);
    case IKE_PL_KE:
        return ike_dec_ke(b, &pl->u.ke);
    case IKE_PL_IDI:
    case IKE_PL_IDR:
        return ike_dec_id(b, &pl->u.id);
    case IKE_PL_CERT:
    case IKE_PL_CERTREQ:
        return ike_dec_cert(b, pl->type == IKE_PL_CERT, &pl->u.cert);
    case IKE_PL_AUTH:
        return ike_dec_auth(b, &pl->u.auth);
    case IKE_PL_NONCE:
        return ike_dec_nonce(b, &pl->u.nonce);
    case IKE_PL_NOTIFY:
        return ike_dec_notify(b, &pl->u.notify);
    case IKE_PL_DELETE:
        return ike_dec_delete(m, b, &pl->u.del);
    case IKE_PL_TSI:
    case IKE_PL_TSR:
        return ike_dec_ts(m, b, &pl->u.ts);
    case IKE_PL_SK:
    case IKE_PL_SKF:
        return ike_dec_sk(b, pl->type == IKE_PL_SKF, &pl->u.sk);
    case IKE_PL_CP:
        return ike_dec_cp(m, b, &pl->u.cp);
    case IKE_PL_EAP:
        return ike_dec_eap(b, &pl->u.eap);
    default: /* IKE_PL_VENDOR */
        ike_take_rest(b, &pl->u.vendor);
        return IKE_DEC_OK;
    }
}

/*
 * One payload of type `type` at the front of c: the generic header, then
 * the body.  *next is the type of the payload after it.
 */
static enum ike_decode_result decode_payload(struct ike_msg *m, struct ike_payload *pl,
                                             uint8_t type, struct cursor *c, uint8_t *next)
{
    struct cursor body;
    uint8_t flags;
    uint16_t plen;
    size_t fixed;
    enum ike_decode_result r;

    pl->type = type;
    if (!ike_take_u8(c, next) || !ike_take_u8(c, &flags) || !ike_take_be16(c, &plen))
        return IKE_DEC_TRUNCATED;
    pl->critical = (flags & IKE_PAYLOAD_CRITICAL) != 0;
    if (plen < IKE_PAYLOAD_HDR_LEN || !ike_take_sub(c, plen - IKE_PAYLOAD_HDR_LEN, &body))
        return IKE_DEC_BAD_LENGTH;
    if (!payload_fixed_len(type, &fixed)) {
        /* 3.2: skip an unknown payload unless its sender marked it critical. */
        if (pl->critical)
            return IKE_DEC_UNSUPPORTED_CRITICAL;
        pl->skipped = true;
        ike_take_rest(&body, &pl->u.raw);
        return IKE_DEC_OK;
    }
    if (body.len < fixed)
        return IKE_DEC_BAD_LENGTH;
    r = decode_body(m, pl, &body);
    if (r == IKE_DEC_OK && body.len != 0)
        r = IKE_DEC_BAD_PAYLOAD; /* a substructure ended before the payload */
    return r;
}

/* SK's Next Payload names the first payload inside it, so the chain ends
 * here; 3.14: SK is the last payload, and never inside another SK. */
static enum ike_decode_result finish_sk(struct ike_payload *pl, uint8_t next,
                                        const struct cursor *c, bool outer)
{
    if (!outer || c->len != 0)
        return IKE_DEC_BAD_ORDER;
    pl->u.sk.first_inner = next;
    /* RFC 7383 2.5: only the first fragment names the first inner payload. */
    if (pl->type == IKE_PL_SKF && pl->u.sk.frag_num > 1 && next != IKE_PL_NONE)
        return IKE_DEC_BAD_PAYLOAD;
    return IKE_DEC_OK;
}

static enum ike_decode_result decode_chain(struct ike_msg *m, uint8_t next, struct cursor *c,
                                           size_t total, bool outer)
{
    while (next != IKE_PL_NONE) {
        struct ike_payload *pl = &m->payloads[m->npayloads];
        uint8_t type = next;
        enum ike_decode_result r;

        m->err = (struct ike_decode_error){type, (uint8_t)m->npayloads, total - c->len};
        if (m->npayloads == IKE_MAX_PAYLOADS)
            return IKE_DEC_TOO_MANY;
        *pl = (struct ike_payload){.offset = total - c->len};
        r = decode_payload(m, pl, type, c, &next);
        if (r != IKE_DEC_OK)
            return r;
        m->npayloads++;
        if (is_sk(type))
            return finish_sk(pl, next, c, outer);
    }
    if (c->len != 0) {
        /* Bytes after the last payload: the lengths disagree. */
        m->err = (struct ike_decode_error){IKE_PL_NONE, (uint8_t)m->npayloads, total - c->len};
        return IKE_DEC_BAD_LENGTH;
    }
    return IKE_DEC_OK;
}

static void reset_payloads(struct ike_msg *m)
{
    m->npayloads = 0;
    m->err = (struct ike_decode_error){0};
    m->pool.nproposals = m->pool.ntransforms = m->pool.nts = 0;
    m->pool.ncp_attrs = m->pool.nspis = 0;
}

static enum ike_decode_result decode_header(struct cursor *c, size_t len, struct ike_hdr *h)
{
    if (c->len < IKE_HDR_LEN)
        return IKE_DEC_TRUNCATED;
    if (!ike_take_copy(c, h->spi_i, IKE_SPI_LEN) || !ike_take_copy(c, h->spi_r, IKE_SPI_LEN) ||
        !ike_take_u8(c, &h->next_payload) || !ike_take_u8(c, &h->version) ||
        !ike_take_u8(c, &h->exchange) || !ike_take_u8(c, &h->flags) ||
        !ike_take_be32(c, &h->msg_id) || !ike_take_be32(c, &h->length))
        return IKE_DEC_TRUNCATED;
    h->flags &= IKE_FLAGS_KNOWN; /* 3.1: other flag bits are ignored */
    if (h->version >> 4 != IKE_MAJOR_VERSION)
        return IKE_DEC_BAD_VERSION;
    if (h->length != len)
        return IKE_DEC_BAD_LENGTH;
    return IKE_DEC_OK;
}

enum ike_decode_result ike_decode(const uint8_t *buf, size_t len, struct ike_msg *msg)
{
    /* The cursor is shared with the ESP engine, which rewrites packets in
     * place; the decoder only ever reads through it. */
    struct cursor c = cursor_make((uint8_t *)buf, len);
    enum ike_decode_result r;

    reset_payloads(msg);
    msg->hdr = (struct ike_hdr){0};
    r = decode_header(&c, len, &msg->hdr);
    if (r != IKE_DEC_OK)
        return r;
    return decode_chain(msg, msg->hdr.next_payload, &c, len, true);
}

enum ike_decode_result ike_decode_header(const uint8_t *buf, size_t len, struct ike_hdr *hdr)
{
    struct cursor c = cursor_make((uint8_t *)buf, len);

    *hdr = (struct ike_hdr){0};
    return decode_header(&c, len, hdr);
}

enum ike_decode_result ike_decode_payloads(uint8_t first_type, const uint8_t *buf, size_t len,
                                           struct ike_msg *msg)
{
    struct cursor c = cursor_make((uint8_t *)buf, len);

    reset_payloads(msg);
    return decode_chain(msg, first_type, &c, len, false);
}
