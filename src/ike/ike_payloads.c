/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 payload bodies (RFC 7296 3.3-3.16, RFC 7383 2.5): each decoder
 * reads one payload's body from its own cursor into a plain struct and
 * checks the fields' shape.  Whether a value is acceptable (a group, an ID
 * type, a proposal) is the state machine's question, not theirs.
 */
#include <string.h>

#include "ike_msg_int.h"

#define BAD IKE_DEC_BAD_PAYLOAD

/* 3.3.1, 3.11: IKE SPIs are 8 bytes (none in IKE_SA_INIT), AH/ESP's 4. */
static bool proposal_spi_size_ok(uint8_t protocol, uint8_t size)
{
    switch (protocol) {
    case IKE_PROTO_IKE:
        return size == 0 || size == IKE_SPI_LEN;
    case IKE_PROTO_AH:
    case IKE_PROTO_ESP:
        return size == IKE_CHILD_SPI_LEN;
    default:
        return false;
    }
}

/* One transform attribute (3.3.5).  Only Key Length is defined, and only in
 * the TV format; any other attribute makes the transform unacceptable
 * (3.3.6) but the message stays valid. */
static enum ike_decode_result dec_attr(struct cursor *c, struct ike_transform *t)
{
    uint16_t type, val;

    if (!ike_take_be16(c, &type) || !ike_take_be16(c, &val))
        return BAD;
    if (!(type & IKE_ATTR_TV)) {
        if (!ike_skip(c, val) || type == IKE_ATTR_KEY_LENGTH)
            return BAD;
        t->unknown_attr = true;
        return IKE_DEC_OK;
    }
    if ((type & ~IKE_ATTR_TV) != IKE_ATTR_KEY_LENGTH) {
        t->unknown_attr = true;
        return IKE_DEC_OK;
    }
    /* 0 bits is no key length, and two would be ambiguous. */
    if (val == 0 || t->key_length != 0)
        return BAD;
    t->key_length = val;
    return IKE_DEC_OK;
}

/* A transform substructure (3.3.2); *more is its Last Substruc octet. */
static enum ike_decode_result dec_transform(struct cursor *b, struct ike_transform *t,
                                            uint8_t *more)
{
    struct cursor tc;
    uint16_t tlen;
    enum ike_decode_result r;

    *t = (struct ike_transform){0};
    if (!ike_take_u8(b, more) || !ike_skip(b, 1) || !ike_take_be16(b, &tlen))
        return BAD;
    if (*more != IKE_TRANSFORM_MORE && *more != IKE_TRANSFORM_LAST)
        return BAD;
    if (tlen < IKE_TRANSFORM_HDR_LEN || !ike_take_sub(b, tlen - 4, &tc))
        return BAD;
    if (!ike_take_u8(&tc, &t->type) || !ike_skip(&tc, 1) || !ike_take_be16(&tc, &t->id))
        return BAD;
    while (tc.len > 0) {
        r = dec_attr(&tc, t);
        if (r != IKE_DEC_OK)
            return r;
    }
    return IKE_DEC_OK;
}

/* The transforms filling a proposal: Last Substruc is 3 on all but the
 * last, whose is 0, and their number is the proposal's Num Transforms. */
static enum ike_decode_result dec_transforms(struct ike_msg *m, struct cursor *pc,
                                             struct ike_proposal *p, uint8_t count)
{
    uint8_t more = IKE_TRANSFORM_MORE;
    enum ike_decode_result r;

    p->transforms = &m->pool.transforms[m->pool.ntransforms];
    p->ntransforms = 0;
    while (pc->len > 0) {
        if (more != IKE_TRANSFORM_MORE || p->ntransforms == count)
            return BAD;
        if (m->pool.ntransforms == IKE_MAX_TRANSFORMS)
            return IKE_DEC_TOO_MANY;
        r = dec_transform(pc, &m->pool.transforms[m->pool.ntransforms], &more);
        if (r != IKE_DEC_OK)
            return r;
        m->pool.ntransforms++;
        p->ntransforms++;
    }
    if (p->ntransforms == 0 || p->ntransforms != count || more != IKE_TRANSFORM_LAST)
        return BAD;
    return IKE_DEC_OK;
}

/* A proposal substructure (3.3.1); *more is its Last Substruc octet. */
static enum ike_decode_result dec_proposal(struct ike_msg *m, struct cursor *b,
                                           struct ike_proposal *p, uint8_t *more)
{
    struct cursor pc;
    uint16_t plen;
    uint8_t count;

    *p = (struct ike_proposal){0};
    if (!ike_take_u8(b, more) || !ike_skip(b, 1) || !ike_take_be16(b, &plen))
        return BAD;
    if (*more != IKE_PROPOSAL_MORE && *more != IKE_PROPOSAL_LAST)
        return BAD;
    if (plen < IKE_PROPOSAL_HDR_LEN || !ike_take_sub(b, plen - 4, &pc))
        return BAD;
    if (!ike_take_u8(&pc, &p->num) || !ike_take_u8(&pc, &p->protocol) ||
        !ike_take_u8(&pc, &p->spi_size) || !ike_take_u8(&pc, &count))
        return BAD;
    if (!proposal_spi_size_ok(p->protocol, p->spi_size) || !ike_take_copy(&pc, p->spi, p->spi_size))
        return BAD;
    return dec_transforms(m, &pc, p, count);
}

/*
 * SA (3.3): one or more proposals filling the payload.  3.3.1: in an offer
 * the first is number 1 and each next one more; an answer holds the one
 * chosen, under its number.  So numbers are consecutive and never 0, and
 * a first proposal with more after it is number 1.
 */
enum ike_decode_result ike_dec_sa(struct ike_msg *m, struct cursor *b, struct ike_pl_sa *sa)
{
    uint8_t more = IKE_PROPOSAL_MORE;
    struct ike_proposal *p = &m->pool.proposals[m->pool.nproposals];
    enum ike_decode_result r;

    sa->proposals = p;
    sa->nproposals = 0;
    for (size_t i = 0; b->len > 0; i++) {
        if (more != IKE_PROPOSAL_MORE)
            return BAD;
        if (m->pool.nproposals == IKE_MAX_PROPOSALS)
            return IKE_DEC_TOO_MANY;
        r = dec_proposal(m, b, &p[i], &more);
        if (r != IKE_DEC_OK)
            return r;
        if (p[i].num == 0 || (i > 0 && p[i].num != p[i - 1].num + 1) ||
            (i == 0 && more == IKE_PROPOSAL_MORE && p[i].num != 1))
            return BAD;
        m->pool.nproposals++;
        sa->nproposals++;
    }
    if (sa->nproposals == 0 || more != IKE_PROPOSAL_LAST)
        return BAD;
    return IKE_DEC_OK;
}

/* Public value lengths of the groups with a fixed one (RFC 7296 3.4: MODP
 * values are as long as the prime; RFC 5903 7: ECP x | y; RFC 8031 3). */
static size_t ke_data_len(uint16_t group)
{
    switch (group) {
    case IKE_DH_MODP_768:
        return 96;
    case IKE_DH_MODP_1024:
    case IKE_DH_MODP_1024_160:
    case IKE_DH_BRAINPOOL_P512R1:
        return 128;
    case IKE_DH_MODP_1536:
        return 192;
    case IKE_DH_MODP_2048:
    case IKE_DH_MODP_2048_224:
    case IKE_DH_MODP_2048_256:
        return 256;
    case IKE_DH_MODP_3072:
        return 384;
    case IKE_DH_MODP_4096:
        return 512;
    case IKE_DH_MODP_6144:
        return 768;
    case IKE_DH_MODP_8192:
        return 1024;
    case IKE_DH_ECP_256:
    case IKE_DH_BRAINPOOL_P256R1:
        return 64;
    case IKE_DH_ECP_384:
    case IKE_DH_BRAINPOOL_P384R1:
        return 96;
    case IKE_DH_ECP_521:
        return 132;
    case IKE_DH_ECP_192:
        return 48;
    case IKE_DH_ECP_224:
    case IKE_DH_BRAINPOOL_P224R1:
    case IKE_DH_CURVE448:
        return 56;
    case IKE_DH_CURVE25519:
        return 32;
    default:
        return 0; /* unknown, or a KEM whose lengths differ per direction */
    }
}

enum ike_decode_result ike_dec_ke(struct cursor *b, struct ike_pl_ke *ke)
{
    size_t want;

    if (!ike_take_be16(b, &ke->group) || !ike_skip(b, 2))
        return BAD;
    ike_take_rest(b, &ke->data);
    want = ke_data_len(ke->group);
    if (ke->data.len == 0 || (want && ke->data.len != want))
        return BAD;
    return IKE_DEC_OK;
}

/* 3.5: address IDs are one address, the others not empty.  ID_NULL's
 * data is left to the state machine, which ignores it (RFC 7619). */
enum ike_decode_result ike_dec_id(struct cursor *b, struct ike_pl_id *id)
{
    if (!ike_take_u8(b, &id->type) || !ike_skip(b, 3))
        return BAD;
    ike_take_rest(b, &id->data);
    switch (id->type) {
    case IKE_ID_IPV4_ADDR:
        return id->data.len == 4 ? IKE_DEC_OK : BAD;
    case IKE_ID_IPV6_ADDR:
        return id->data.len == 16 ? IKE_DEC_OK : BAD;
    case IKE_ID_NULL:
        return IKE_DEC_OK;
    default:
        return id->data.len > 0 ? IKE_DEC_OK : BAD;
    }
}

/* CERT must hold a certificate; CERTREQ may be empty (no CA preference). */
enum ike_decode_result ike_dec_cert(struct cursor *b, bool is_cert, struct ike_pl_cert *cert)
{
    if (!ike_take_u8(b, &cert->encoding))
        return BAD;
    ike_take_rest(b, &cert->data);
    return is_cert && cert->data.len == 0 ? BAD : IKE_DEC_OK;
}

enum ike_decode_result ike_dec_auth(struct cursor *b, struct ike_pl_auth *auth)
{
    if (!ike_take_u8(b, &auth->method) || !ike_skip(b, 3))
        return BAD;
    ike_take_rest(b, &auth->data);
    return auth->data.len > 0 ? IKE_DEC_OK : BAD;
}

/* 3.9: at least 16 and at most 256 bytes. */
enum ike_decode_result ike_dec_nonce(struct cursor *b, struct ike_bytes *nonce)
{
    ike_take_rest(b, nonce);
    return nonce->len >= IKE_NONCE_MIN && nonce->len <= IKE_NONCE_MAX ? IKE_DEC_OK : BAD;
}

/* Notification data of the types whose size RFC 7296 (or RFC 7427) fixes. */
static bool notify_data_ok(uint16_t type, size_t len)
{
    switch (type) {
    case IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD:
        return len == 1;
    case IKE_N_INVALID_KE_PAYLOAD:
        return len == 2;
    case IKE_N_INVALID_MESSAGE_ID:
    case IKE_N_SET_WINDOW_SIZE:
        return len == 4;
    case IKE_N_NAT_DETECTION_SOURCE_IP:
    case IKE_N_NAT_DETECTION_DESTINATION_IP:
        return len == IKE_NAT_DETECTION_LEN;
    case IKE_N_COOKIE:
        return len >= 1 && len <= IKE_COOKIE_MAX;
    case IKE_N_SIGNATURE_HASH_ALGORITHMS:
        return len % 2 == 0;
    default:
        return true;
    }
}

/* 3.10: an SPI is 4 bytes, of an AH or ESP SA; without one the Protocol
 * ID is ignored on receipt (kept, so that re-encoding is exact). */
enum ike_decode_result ike_dec_notify(struct cursor *b, struct ike_pl_notify *n)
{
    if (!ike_take_u8(b, &n->protocol) || !ike_take_u8(b, &n->spi_size) ||
        !ike_take_be16(b, &n->type))
        return BAD;
    if (n->spi_size != 0 && (n->spi_size != IKE_CHILD_SPI_LEN ||
                             (n->protocol != IKE_PROTO_AH && n->protocol != IKE_PROTO_ESP)))
        return BAD;
    memset(n->spi, 0, sizeof(n->spi));
    if (!ike_take_copy(b, n->spi, n->spi_size))
        return BAD;
    ike_take_rest(b, &n->data);
    return notify_data_ok(n->type, n->data.len) ? IKE_DEC_OK : BAD;
}

/* 3.11: deleting the IKE SA carries no SPI; AH and ESP carry 4-byte ones. */
enum ike_decode_result ike_dec_delete(struct ike_msg *m, struct cursor *b, struct ike_pl_delete *d)
{
    uint8_t spi_size;
    uint32_t *spis = &m->pool.spis[m->pool.nspis];

    if (!ike_take_u8(b, &d->protocol) || !ike_take_u8(b, &spi_size) || !ike_take_be16(b, &d->nspis))
        return BAD;
    d->spis = spis;
    if (d->protocol == IKE_PROTO_IKE)
        return spi_size == 0 && d->nspis == 0 ? IKE_DEC_OK : BAD;
    if ((d->protocol != IKE_PROTO_AH && d->protocol != IKE_PROTO_ESP) ||
        spi_size != IKE_CHILD_SPI_LEN || b->len != (size_t)d->nspis * IKE_CHILD_SPI_LEN)
        return BAD;
    if (d->nspis > IKE_MAX_DELETE_SPIS - m->pool.nspis)
        return IKE_DEC_TOO_MANY;
    for (size_t i = 0; i < d->nspis; i++)
        if (!ike_take_be32(b, &spis[i]))
            return BAD;
    m->pool.nspis += d->nspis;
    return IKE_DEC_OK;
}

/* 3.13.1: start <= end for addresses, and for ports except OPAQUE, which
 * is start 65535, end 0. */
static bool ts_range_ok(const struct ike_ts *t, size_t alen)
{
    if (memcmp(t->start, t->end, alen) > 0)
        return false;
    if (t->start_port > t->end_port)
        return t->start_port == IKE_TS_PORT_OPAQUE_START && t->end_port == IKE_TS_PORT_OPAQUE_END;
    return true;
}

static enum ike_decode_result dec_one_ts(struct cursor *b, struct ike_ts *t)
{
    uint16_t tlen;
    size_t alen;

    *t = (struct ike_ts){0};
    if (!ike_take_u8(b, &t->type) || !ike_take_u8(b, &t->ip_proto) || !ike_take_be16(b, &tlen) ||
        !ike_take_be16(b, &t->start_port) || !ike_take_be16(b, &t->end_port))
        return BAD;
    if (t->type == IKE_TS_IPV4_ADDR_RANGE && tlen == IKE_TS_IPV4_LEN)
        alen = 4;
    else if (t->type == IKE_TS_IPV6_ADDR_RANGE && tlen == IKE_TS_IPV6_LEN)
        alen = 16;
    else
        return BAD; /* another type, or the wrong length for this one */
    if (!ike_take_copy(b, t->start, alen) || !ike_take_copy(b, t->end, alen))
        return BAD;
    return ts_range_ok(t, alen) ? IKE_DEC_OK : BAD;
}

/* TSi/TSr (3.13): Number of TSs selectors, at least one, filling it. */
enum ike_decode_result ike_dec_ts(struct ike_msg *m, struct cursor *b, struct ike_pl_ts *ts)
{
    struct ike_ts *t = &m->pool.ts[m->pool.nts];
    enum ike_decode_result r;

    if (!ike_take_u8(b, &ts->nts) || !ike_skip(b, 3))
        return BAD;
    ts->ts = t;
    if (ts->nts == 0)
        return BAD;
    if (ts->nts > IKE_MAX_TS - m->pool.nts)
        return IKE_DEC_TOO_MANY;
    for (size_t i = 0; i < ts->nts; i++) {
        r = dec_one_ts(b, &t[i]);
        if (r != IKE_DEC_OK)
            return r;
    }
    m->pool.nts += ts->nts;
    return IKE_DEC_OK; /* bytes after the last selector: the caller's BAD_PAYLOAD */
}

/* SK: opaque here (its sizes depend on the suite; the SK module checks
 * them).  SKF (RFC 7383 2.5): 1 <= Fragment Number <= Total Fragments. */
enum ike_decode_result ike_dec_sk(struct cursor *b, bool is_skf, struct ike_pl_sk *sk)
{
    sk->frag_num = sk->frag_total = 0;
    if (is_skf && (!ike_take_be16(b, &sk->frag_num) || !ike_take_be16(b, &sk->frag_total) ||
                   sk->frag_num == 0 || sk->frag_num > sk->frag_total))
        return BAD;
    ike_take_rest(b, &sk->data);
    return IKE_DEC_OK;
}

/* Attribute value lengths from the table in 3.15.1 (0 in a request). */
static bool cp_attr_len_ok(uint16_t type, size_t len)
{
    switch (type) {
    case IKE_CP_INTERNAL_IP4_ADDRESS:
    case IKE_CP_INTERNAL_IP4_NETMASK:
    case IKE_CP_INTERNAL_IP4_DNS:
    case IKE_CP_INTERNAL_IP4_NBNS:
    case IKE_CP_INTERNAL_IP4_DHCP:
        return len == 0 || len == 4;
    case IKE_CP_INTERNAL_IP4_SUBNET:
        return len == 0 || len == 8;
    case IKE_CP_INTERNAL_IP6_ADDRESS:
    case IKE_CP_INTERNAL_IP6_SUBNET:
        return len == 0 || len == 17;
    case IKE_CP_INTERNAL_IP6_DNS:
    case IKE_CP_INTERNAL_IP6_DHCP:
        return len == 0 || len == 16;
    case IKE_CP_SUPPORTED_ATTRIBUTES:
        return len % 2 == 0;
    default:
        return true;
    }
}

static enum ike_decode_result dec_cp_attr(struct cursor *b, struct ike_cp_attr *a)
{
    uint16_t type, len;
    struct cursor v;

    if (!ike_take_be16(b, &type) || !ike_take_be16(b, &len) || !ike_take_sub(b, len, &v))
        return BAD;
    a->type = type & ~IKE_CP_ATTR_RESERVED_BIT; /* 3.15.1: the R bit is ignored */
    ike_take_rest(&v, &a->value);
    return cp_attr_len_ok(a->type, a->value.len) ? IKE_DEC_OK : BAD;
}

/* CP (3.15): a CFG type and attributes filling the payload. */
enum ike_decode_result ike_dec_cp(struct ike_msg *m, struct cursor *b, struct ike_pl_cp *cp)
{
    enum ike_decode_result r;

    if (!ike_take_u8(b, &cp->type) || !ike_skip(b, 3))
        return BAD;
    if (cp->type < IKE_CFG_REQUEST || cp->type > IKE_CFG_ACK)
        return BAD;
    cp->attrs = &m->pool.cp_attrs[m->pool.ncp_attrs];
    cp->nattrs = 0;
    while (b->len > 0) {
        if (m->pool.ncp_attrs == IKE_MAX_CP_ATTRS)
            return IKE_DEC_TOO_MANY;
        r = dec_cp_attr(b, &m->pool.cp_attrs[m->pool.ncp_attrs]);
        if (r != IKE_DEC_OK)
            return r;
        m->pool.ncp_attrs++;
        cp->nattrs++;
    }
    return IKE_DEC_OK;
}

/* EAP (3.16): one EAP message, whose own Length (RFC 3748 4) is the
 * payload's. */
enum ike_decode_result ike_dec_eap(struct cursor *b, struct ike_bytes *eap)
{
    struct cursor hdr = *b;
    uint16_t len;

    if (!ike_skip(&hdr, 2) || !ike_take_be16(&hdr, &len) || len != b->len)
        return BAD;
    ike_take_rest(b, eap);
    return IKE_DEC_OK;
}
