/* SPDX-License-Identifier: MIT */
/* IKEv2 codec helpers: names for logs and deep comparison of messages. */
#include <string.h>

#include "ike_msg.h"

const char *ike_decode_result_name(enum ike_decode_result r)
{
    switch (r) {
    case IKE_DEC_OK:
        return "OK";
    case IKE_DEC_TRUNCATED:
        return "TRUNCATED";
    case IKE_DEC_BAD_LENGTH:
        return "BAD_LENGTH";
    case IKE_DEC_BAD_VERSION:
        return "BAD_VERSION";
    case IKE_DEC_UNSUPPORTED_CRITICAL:
        return "UNSUPPORTED_CRITICAL";
    case IKE_DEC_TOO_MANY:
        return "TOO_MANY";
    case IKE_DEC_BAD_PAYLOAD:
        return "BAD_PAYLOAD";
    case IKE_DEC_BAD_ORDER:
        return "BAD_ORDER";
    }
    return "?";
}

const char *ike_encode_result_name(enum ike_encode_result r)
{
    switch (r) {
    case IKE_ENC_OK:
        return "OK";
    case IKE_ENC_NO_ROOM:
        return "NO_ROOM";
    case IKE_ENC_TOO_LONG:
        return "TOO_LONG";
    case IKE_ENC_INVALID:
        return "INVALID";
    }
    return "?";
}

const char *ike_payload_name(uint8_t type)
{
    /* RFC 7296 3.2's notation, indexed from SA (33) to EAP (48). */
    static const char *const names[] = {"SA",   "KE",    "IDi", "IDr", "CERT", "CERTREQ",
                                        "AUTH", "Nonce", "N",   "D",   "V",    "TSi",
                                        "TSr",  "SK",    "CP",  "EAP"};

    if (type >= IKE_PL_SA && type <= IKE_PL_EAP)
        return names[type - IKE_PL_SA];
    if (type == IKE_PL_NONE)
        return "none";
    if (type == IKE_PL_SKF)
        return "SKF";
    return "?";
}

const char *ike_exchange_name(uint8_t exchange)
{
    switch (exchange) {
    case IKE_EXCH_IKE_SA_INIT:
        return "IKE_SA_INIT";
    case IKE_EXCH_IKE_AUTH:
        return "IKE_AUTH";
    case IKE_EXCH_CREATE_CHILD_SA:
        return "CREATE_CHILD_SA";
    case IKE_EXCH_INFORMATIONAL:
        return "INFORMATIONAL";
    case IKE_EXCH_IKE_SESSION_RESUME:
        return "IKE_SESSION_RESUME";
    case IKE_EXCH_IKE_INTERMEDIATE:
        return "IKE_INTERMEDIATE";
    case IKE_EXCH_IKE_FOLLOWUP_KE:
        return "IKE_FOLLOWUP_KE";
    default:
        return "?";
    }
}

static bool bytes_eq(struct ike_bytes a, struct ike_bytes b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static bool proposal_eq(const struct ike_proposal *a, const struct ike_proposal *b)
{
    if (a->num != b->num || a->protocol != b->protocol || a->spi_size != b->spi_size ||
        a->spi_size > IKE_SPI_LEN || memcmp(a->spi, b->spi, a->spi_size) != 0 ||
        a->ntransforms != b->ntransforms)
        return false;
    for (size_t i = 0; i < a->ntransforms; i++) {
        const struct ike_transform *x = &a->transforms[i], *y = &b->transforms[i];

        if (x->type != y->type || x->id != y->id || x->key_length != y->key_length ||
            x->unknown_attr != y->unknown_attr)
            return false;
    }
    return true;
}

static bool sa_eq(const struct ike_pl_sa *a, const struct ike_pl_sa *b)
{
    if (a->nproposals != b->nproposals)
        return false;
    for (size_t i = 0; i < a->nproposals; i++)
        if (!proposal_eq(&a->proposals[i], &b->proposals[i]))
            return false;
    return true;
}

static bool ts_eq(const struct ike_pl_ts *a, const struct ike_pl_ts *b)
{
    if (a->nts != b->nts)
        return false;
    for (size_t i = 0; i < a->nts; i++) {
        const struct ike_ts *x = &a->ts[i], *y = &b->ts[i];
        size_t alen = x->type == IKE_TS_IPV4_ADDR_RANGE ? 4 : 16;

        if (x->type != y->type || x->ip_proto != y->ip_proto || x->start_port != y->start_port ||
            x->end_port != y->end_port || memcmp(x->start, y->start, alen) != 0 ||
            memcmp(x->end, y->end, alen) != 0)
            return false;
    }
    return true;
}

static bool cp_eq(const struct ike_pl_cp *a, const struct ike_pl_cp *b)
{
    if (a->type != b->type || a->nattrs != b->nattrs)
        return false;
    for (size_t i = 0; i < a->nattrs; i++)
        if (a->attrs[i].type != b->attrs[i].type || !bytes_eq(a->attrs[i].value, b->attrs[i].value))
            return false;
    return true;
}

static bool notify_eq(const struct ike_pl_notify *a, const struct ike_pl_notify *b)
{
    return a->protocol == b->protocol && a->spi_size == b->spi_size && a->type == b->type &&
           a->spi_size <= IKE_CHILD_SPI_LEN && memcmp(a->spi, b->spi, a->spi_size) == 0 &&
           bytes_eq(a->data, b->data);
}

static bool delete_eq(const struct ike_pl_delete *a, const struct ike_pl_delete *b)
{
    return a->protocol == b->protocol && a->nspis == b->nspis &&
           (a->nspis == 0 || memcmp(a->spis, b->spis, a->nspis * sizeof(*a->spis)) == 0);
}

static bool sk_eq(const struct ike_pl_sk *a, const struct ike_pl_sk *b)
{
    return a->first_inner == b->first_inner && a->frag_num == b->frag_num &&
           a->frag_total == b->frag_total && bytes_eq(a->data, b->data);
}

static bool body_eq(const struct ike_payload *a, const struct ike_payload *b)
{
    switch (a->type) {
    case IKE_PL_SA:
        return sa_eq(&a->u.sa, &b->u.sa);
    case IKE_PL_KE:
        return a->u.ke.group == b->u.ke.group && bytes_eq(a->u.ke.data, b->u.ke.data);
    case IKE_PL_IDI:
    case IKE_PL_IDR:
        return a->u.id.type == b->u.id.type && bytes_eq(a->u.id.data, b->u.id.data);
    case IKE_PL_CERT:
    case IKE_PL_CERTREQ:
        return a->u.cert.encoding == b->u.cert.encoding && bytes_eq(a->u.cert.data, b->u.cert.data);
    case IKE_PL_AUTH:
        return a->u.auth.method == b->u.auth.method && bytes_eq(a->u.auth.data, b->u.auth.data);
    case IKE_PL_NOTIFY:
        return notify_eq(&a->u.notify, &b->u.notify);
    case IKE_PL_DELETE:
        return delete_eq(&a->u.del, &b->u.del);
    case IKE_PL_TSI:
    case IKE_PL_TSR:
        return ts_eq(&a->u.ts, &b->u.ts);
    case IKE_PL_SK:
    case IKE_PL_SKF:
        return sk_eq(&a->u.sk, &b->u.sk);
    case IKE_PL_CP:
        return cp_eq(&a->u.cp, &b->u.cp);
    default: /* Nonce, V, EAP: one byte range, at the same place in the union */
        return bytes_eq(a->u.raw, b->u.raw);
    }
}

bool ike_msg_equal(const struct ike_msg *a, const struct ike_msg *b)
{
    const struct ike_hdr *x = &a->hdr, *y = &b->hdr;

    if (memcmp(x->spi_i, y->spi_i, IKE_SPI_LEN) != 0 ||
        memcmp(x->spi_r, y->spi_r, IKE_SPI_LEN) != 0 || x->version != y->version ||
        x->exchange != y->exchange || x->flags != y->flags || x->msg_id != y->msg_id ||
        a->npayloads != b->npayloads)
        return false;
    for (size_t i = 0; i < a->npayloads; i++) {
        const struct ike_payload *p = &a->payloads[i], *q = &b->payloads[i];

        if (p->type != q->type || p->critical != q->critical || p->skipped != q->skipped)
            return false;
        if (p->skipped ? !bytes_eq(p->u.raw, q->u.raw) : !body_eq(p, q))
            return false;
    }
    return true;
}
