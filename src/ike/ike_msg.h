/* SPDX-License-Identifier: MIT */
/*
 * The IKEv2 message codec (RFC 7296 section 3): bytes to a plain struct and
 * back.  Decoding is pure: it reads the caller's buffer through the cursor,
 * fills a caller-provided struct ike_msg and changes nothing else; the
 * state machine acts on the result.  Nothing is allocated.
 *
 * Lifetime and ownership.  A decoded message BORROWS from two places:
 *   - every struct ike_bytes points into the buffer given to the decoder,
 *     which must outlive the struct and stay unchanged while it is read
 *     (ike_sk_open decrypts in place: after it, the SK payload's data
 *     points at plaintext);
 *   - the proposals, transforms, traffic selectors, CP attributes and
 *     Delete SPIs of decoded payloads point into the struct's own pool.
 * So a struct ike_msg is never copied by value.  A message built for
 * encoding may point anywhere (constant proposal tables, for instance): the
 * encoder reads only through the payloads' pointers and never the pool.
 *
 * Decoding (RFC 7296 3.1-3.16, RFC 7383 2.5), in order:
 *   1. the header: 28 bytes (TRUNCATED), major version 2 (BAD_VERSION, the
 *      header is filled so an INVALID_MAJOR_VERSION reply can be made, 2.5),
 *      Length == the datagram's length (BAD_LENGTH);
 *   2. the payload chain: each generic header fits (TRUNCATED), its Payload
 *      Length is at least the type's fixed part and stays inside the
 *      message (BAD_LENGTH), nothing follows the last payload (BAD_LENGTH);
 *      an unknown type is UNSUPPORTED_CRITICAL if its critical bit is set,
 *      else kept as a skipped payload; the critical bit of known types is
 *      ignored (3.2) but recorded so that re-encoding is byte-identical;
 *   3. each payload's fields (BAD_PAYLOAD): substructure lengths and
 *      counts, proposal numbering, SPI sizes per protocol, nonce 16..256
 *      bytes, KE data length of known groups, ID lengths (addresses exact,
 *      others not empty, ID_NULL unchecked), traffic selector lengths per
 *      type and start <= end, notify data of fixed-size types, CP attribute
 *      lengths, EAP length;
 *   4. order: SK (or SKF) only as the last payload, never inside SK
 *      (BAD_ORDER, 3.14);
 *   5. limits: IKE_MAX_PAYLOADS payloads and the pool sizes (TOO_MANY).
 * Reserved fields and unknown header flags are ignored, as 3.1 and 3.2 say.
 * The error notify to answer with: INVALID_MAJOR_VERSION for BAD_VERSION,
 * UNSUPPORTED_CRITICAL_PAYLOAD (err.payload_type) for UNSUPPORTED_CRITICAL,
 * INVALID_SYNTAX for the others once the message is authenticated.
 */
#ifndef UIPSEC_IKE_MSG_H
#define UIPSEC_IKE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike_wire.h"

#define IKE_MAX_PAYLOADS    32  /* per message (or per SK plaintext) */
#define IKE_MAX_PROPOSALS   32  /* per message, all SA payloads together */
#define IKE_MAX_TRANSFORMS  256 /* per message */
#define IKE_MAX_TS          64  /* per message, TSi and TSr together */
#define IKE_MAX_CP_ATTRS    64  /* per message */
#define IKE_MAX_DELETE_SPIS 256 /* per message */

/* A borrowed byte range (see Lifetime above). */
struct ike_bytes {
    const uint8_t *p;
    size_t len;
};

struct ike_hdr {
    uint8_t spi_i[IKE_SPI_LEN];
    uint8_t spi_r[IKE_SPI_LEN];
    uint8_t next_payload; /* decoded; the encoder writes payloads[0]'s type */
    uint8_t version;      /* major << 4 | minor: IKE_VERSION when building */
    uint8_t exchange;     /* IKE_EXCH_* */
    uint8_t flags;        /* IKE_FLAG_I | _V | _R; other bits are dropped */
    uint32_t msg_id;
    uint32_t length; /* decoded; the encoder writes the real length */
};

/* Transform (3.3.2). */
struct ike_transform {
    uint8_t type;        /* IKE_TRANSFORM_* */
    uint16_t id;         /* IKE_ENCR_*, IKE_PRF_*, IKE_INTEG_*, IKE_DH_*, IKE_ESN_* */
    uint16_t key_length; /* Key Length attribute in bits, 0 if absent */
    /* Decoded only: the transform had an attribute other than Key Length,
     * so it MUST be considered unacceptable (3.3.6).  Never encoded. */
    bool unknown_attr;
};

/* Proposal (3.3.1). */
struct ike_proposal {
    uint8_t num;      /* 1, 2, ... in an offer; the chosen one's in an answer */
    uint8_t protocol; /* IKE_PROTO_IKE, _AH, _ESP */
    uint8_t spi_size; /* IKE: 0 (IKE_SA_INIT) or 8 (rekey); AH, ESP: 4 */
    uint8_t spi[IKE_SPI_LEN];
    uint8_t ntransforms;
    const struct ike_transform *transforms;
};

struct ike_pl_sa {
    size_t nproposals; /* at least 1 */
    const struct ike_proposal *proposals;
};

struct ike_pl_ke {
    uint16_t group; /* IKE_DH_* */
    struct ike_bytes data;
};

struct ike_pl_id { /* IDi, IDr */
    uint8_t type;  /* IKE_ID_* */
    struct ike_bytes data;
};

struct ike_pl_cert {  /* CERT, CERTREQ */
    uint8_t encoding; /* IKE_CERT_* */
    struct ike_bytes data;
};

struct ike_pl_auth {
    uint8_t method; /* IKE_AUTH_* */
    struct ike_bytes data;
};

struct ike_pl_notify {
    uint8_t protocol; /* _AH or _ESP with an SPI; ignored without one (3.10) */
    uint8_t spi_size; /* 0 or 4 */
    uint16_t type;    /* IKE_N_* */
    uint8_t spi[IKE_CHILD_SPI_LEN];
    struct ike_bytes data;
};

struct ike_pl_delete {
    uint8_t protocol; /* IKE: no SPIs (the header names the SA); AH, ESP */
    uint16_t nspis;
    const uint32_t *spis; /* AH/ESP SPIs as numbers (host order) */
};

/* One traffic selector (3.13.1); addresses are 4 or 16 bytes per type. */
struct ike_ts {
    uint8_t type;     /* IKE_TS_IPV4_ADDR_RANGE, IKE_TS_IPV6_ADDR_RANGE */
    uint8_t ip_proto; /* 0: any */
    uint16_t start_port, end_port;
    uint8_t start[16], end[16];
};

struct ike_pl_ts { /* TSi, TSr */
    uint8_t nts;   /* at least 1 */
    const struct ike_ts *ts;
};

/* SK (3.14) and SKF (RFC 7383 2.5) payloads. */
struct ike_pl_sk {
    uint8_t first_inner;   /* Next Payload: the first payload inside (SKF: 0 after fragment 1) */
    uint16_t frag_num;     /* SKF only: 1..frag_total */
    uint16_t frag_total;   /* SKF only */
    struct ike_bytes data; /* IV | ciphertext | padding | pad length | ICV */
};

struct ike_cp_attr {
    uint16_t type; /* IKE_CP_*, 15 bits */
    struct ike_bytes value;
};

struct ike_pl_cp {
    uint8_t type; /* IKE_CFG_* */
    uint8_t nattrs;
    const struct ike_cp_attr *attrs;
};

struct ike_payload {
    uint8_t type;  /* IKE_PL_*; for a skipped payload the unknown type it had */
    bool critical; /* the critical bit as received (ignored for known types) */
    bool skipped;  /* an unknown, non-critical payload: only u.raw is set */
    size_t offset; /* decoded only: of its generic header in the decoded bytes */
    union {
        struct ike_pl_sa sa;
        struct ike_pl_ke ke;
        struct ike_pl_id id;     /* IDI, IDR */
        struct ike_pl_cert cert; /* CERT, CERTREQ */
        struct ike_pl_auth auth;
        struct ike_bytes nonce;
        struct ike_pl_notify notify;
        struct ike_pl_delete del;
        struct ike_bytes vendor;
        struct ike_pl_ts ts; /* TSI, TSR */
        struct ike_pl_sk sk; /* SK, SKF */
        struct ike_pl_cp cp;
        struct ike_bytes eap; /* the whole EAP message (RFC 3748) */
        struct ike_bytes raw; /* a skipped payload's body */
    } u;
};

enum ike_decode_result {
    IKE_DEC_OK = 0,
    IKE_DEC_TRUNCATED,            /* shorter than a header that must follow */
    IKE_DEC_BAD_LENGTH,           /* header Length != datagram, payload length bad */
    IKE_DEC_BAD_VERSION,          /* major version != 2: answer INVALID_MAJOR_VERSION */
    IKE_DEC_UNSUPPORTED_CRITICAL, /* unknown payload with the critical bit */
    IKE_DEC_TOO_MANY,             /* more payloads or substructures than we hold */
    IKE_DEC_BAD_PAYLOAD,          /* a payload's fields break RFC 7296 section 3 */
    IKE_DEC_BAD_ORDER,            /* SK not last, or inside SK */
};

/* Where decoding stopped, for logs and the error notify. */
struct ike_decode_error {
    uint8_t payload_type; /* the payload being decoded (the unknown critical one) */
    uint8_t index;        /* its position in the chain */
    size_t offset;        /* of its generic header in the decoded bytes */
};

struct ike_msg {
    struct ike_hdr hdr;
    size_t npayloads;
    struct ike_payload payloads[IKE_MAX_PAYLOADS];
    struct ike_decode_error err; /* valid when decoding failed */
    struct {                     /* decoder storage the payloads point into */
        size_t nproposals, ntransforms, nts, ncp_attrs, nspis;
        struct ike_proposal proposals[IKE_MAX_PROPOSALS];
        struct ike_transform transforms[IKE_MAX_TRANSFORMS];
        struct ike_ts ts[IKE_MAX_TS];
        struct ike_cp_attr cp_attrs[IKE_MAX_CP_ATTRS];
        uint32_t spis[IKE_MAX_DELETE_SPIS];
    } pool;
};

/*
 * Decodes one IKE message, buf[0, len) being the whole UDP payload (without
 * the non-ESP marker on port 4500).  Fills *msg (header first, so it is
 * valid even for BAD_VERSION); on failure msg->err says where.  The SK
 * payload's contents stay encrypted: its offset is the sk_off ike_sk_open
 * takes, and after it, ike_decode_payloads(sk.first_inner, ...) decodes
 * them.
 */
__attribute__((warn_unused_result)) enum ike_decode_result
ike_decode(const uint8_t *buf, size_t len, struct ike_msg *msg);

/*
 * Decodes only the 28-byte header of the datagram buf[0, len): enough to
 * find the SA it is for.  OK, TRUNCATED, BAD_VERSION or BAD_LENGTH (Length
 * is not len), as ike_decode would say.
 */
__attribute__((warn_unused_result)) enum ike_decode_result
ike_decode_header(const uint8_t *buf, size_t len, struct ike_hdr *hdr);

/*
 * Decodes a payload chain without a header: the plaintext of an SK payload,
 * whose first payload has type first_type.  Replaces msg's payloads and
 * leaves msg->hdr as it is, so the outer header and the inner payloads can
 * share one struct.  SK and SKF are BAD_ORDER here.
 */
__attribute__((warn_unused_result)) enum ike_decode_result
ike_decode_payloads(uint8_t first_type, const uint8_t *buf, size_t len, struct ike_msg *msg);

enum ike_encode_result {
    IKE_ENC_OK = 0,
    IKE_ENC_NO_ROOM,  /* cap is too small */
    IKE_ENC_TOO_LONG, /* a payload or attribute over 65535 bytes */
    IKE_ENC_INVALID,  /* not encodable: unknown type, bad SPI size, SK not last */
};

/*
 * Writes msg: the header (Next Payload and Length computed, flags masked to
 * I|V|R) and every payload with its Next Payload chained and its lengths
 * computed.  An SK/SKF payload must be last; its data is copied as given.
 * On success *len is the message length; on failure out is unspecified.
 */
__attribute__((warn_unused_result)) enum ike_encode_result
ike_encode(const struct ike_msg *msg, uint8_t *out, size_t cap, size_t *len);

/* Writes n payloads alone, chained, the last with Next Payload 0: the SK
 * plaintext (its first type goes into the SK header: pl[0].type). */
__attribute__((warn_unused_result)) enum ike_encode_result
ike_encode_payloads(const struct ike_payload *pl, size_t n, uint8_t *out, size_t cap, size_t *len);

/*
 * Writes what comes before an SK payload's body, for ike_sk_seal: the
 * header, msg's payloads but the last, and the last's (SK or SKF) generic
 * header (and SKF fragment numbers); its data is not read.  *sk_off is the
 * offset of the SK generic header.  The lengths written describe an empty
 * SK body; ike_sk_seal sets the final ones.
 */
__attribute__((warn_unused_result)) enum ike_encode_result
ike_encode_sk_prefix(const struct ike_msg *msg, uint8_t *out, size_t cap, size_t *sk_off);

/* Deep comparison of two messages: header, payloads and what they point
 * to.  The fields the encoder derives are not compared (the header's Next
 * Payload and Length, payload offsets), so decode(encode(m)) equals m
 * unless a transform of m has unknown_attr set. */
bool ike_msg_equal(const struct ike_msg *a, const struct ike_msg *b);

/* Names for logs: "BAD_LENGTH", "SA", "IKE_AUTH"; "?" when unknown. */
const char *ike_decode_result_name(enum ike_decode_result r);
const char *ike_encode_result_name(enum ike_encode_result r);
const char *ike_payload_name(uint8_t type);
const char *ike_exchange_name(uint8_t exchange);

#endif
