/* SPDX-License-Identifier: MIT */
/* The requests uipsecd's unprivileged processes may make of its privileged
 * parent, and the parent's answers: one small typed protocol over a
 * socketpair, one datagram per message.  The parent decodes requests as
 * untrusted input (a compromised child may send anything): every field is
 * checked here, against its type's exact length and range, before the
 * parent acts on it.  A request grants only what its type says: a route to
 * a selector, an MTU, a drop rule, a key-log line, or a PSK MAC or a
 * signature over octets the child chose (never the PSK or the key), or
 * the keeping of a credential VICI loaded, answered by its number (the
 * child then holds only that number). */
#ifndef UIPSECD_PRIVPROTO_H
#define UIPSECD_PRIVPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "uipsec/spd.h"
#include "uipsec/uipsec.h"

#define PRIV_HDR_LEN    8     /* type u16, payload length u16, sequence u32 */
#define PRIV_KEYLOG_MAX 1024  /* one line of a Wireshark key file */
#define PRIV_AUTH_MAX   60000 /* IKE_SA_INIT message + nonce + MACed ID */
#define PRIV_REPLY_DATA 1280  /* a PRF output, a signature, a counter, or an error message */
#define PRIV_MSG_MAX    (PRIV_HDR_LEN + 8 + PRIV_AUTH_MAX)
#define PRIV_MTU_MIN    576
#define PRIV_MTU_MAX    65535
#define PRIV_PSK_MAX    256   /* CFG_PSK_MAX */
#define PRIV_KEY_MAX    16384 /* a private key's DER: RSA 8192 is about 4.8 KB */

enum priv_type {
    PRIV_ROUTE_ADD = 1, /* route to a remote selector through the TUN device */
    PRIV_ROUTE_DEL,
    PRIV_SET_MTU,  /* the TUN device's MTU */
    PRIV_DROP_ADD, /* drop cleartext matching an inbound PROTECT selector */
    PRIV_DROP_DEL,
    PRIV_PEER_ADD, /* accept IKE and ESP/AH from a peer despite the drops */
    PRIV_PEER_DEL,
    PRIV_KEYLOG,      /* one line for a Wireshark key file */
    PRIV_PSK_AUTH,    /* prf(prf(PSK, "Key Pad for IKEv2"), octets) */
    PRIV_DROP_COMMIT, /* apply the queued drop and peer changes in one transaction */
    PRIV_DROP_COUNT,  /* cleartext packets dropped so far */
    PRIV_CONFIG,      /* re-read the configuration, without its secrets */
    PRIV_READY,       /* started: the control socket may take its name */
    PRIV_SIGN,        /* an AUTH signature with one of our private keys */
    PRIV_PSK_ADD,     /* a PSK loaded over VICI: kept here, its number answered */
    PRIV_KEY_ADD,     /* a private key loaded over VICI (DER): the same */
    PRIV_TYPE_END
};

enum priv_keylog_file { PRIV_KEYLOG_ESP, PRIV_KEYLOG_IKE };

/* The PRFs of RFC 7296 that AUTH may use (IANA transform type 2 ids). */
enum priv_prf {
    PRIV_PRF_HMAC_SHA1 = 2,
    PRIV_PRF_HMAC_SHA256 = 5,
    PRIV_PRF_HMAC_SHA384 = 6,
    PRIV_PRF_HMAC_SHA512 = 7
};

struct priv_route {
    uint8_t family, plen;
    uint8_t dst[16];
};

struct priv_keylog {
    uint8_t file; /* enum priv_keylog_file */
    uint16_t len;
    char line[PRIV_KEYLOG_MAX + 1]; /* printable ASCII, NUL-terminated */
};

struct priv_auth {
    uint32_t secret; /* index of the secret in the parent's configuration */
    uint16_t prf;    /* enum priv_prf */
    uint16_t len;
    const uint8_t *octets; /* borrowed from the datagram */
};

struct priv_sign {
    uint32_t key;   /* index of the key in the parent's table */
    uint8_t scheme; /* enum ike_sig_scheme */
    uint8_t method; /* IKE_AUTH_*: 1, 9, 10, 11 or 14 */
    uint16_t len;
    const uint8_t *octets; /* borrowed from the datagram */
};

/* A credential handed to the parent once (PRIV_PSK_ADD, PRIV_KEY_ADD). */
struct priv_blob {
    uint16_t len;
    const uint8_t *bytes; /* borrowed from the datagram */
};

struct priv_req {
    uint16_t type; /* enum priv_type */
    uint32_t seq;
    union {
        struct priv_route route;
        uint32_t mtu;
        struct uipsec_selector sel;
        struct uipsec_addr peer;
        struct priv_keylog keylog;
        struct priv_auth auth;
        struct priv_sign sign;
        struct priv_blob blob;
        uint8_t commit; /* PRIV_DROP_COMMIT: 1 apply, 0 take back */
    } u;
};

struct priv_reply {
    uint32_t seq;
    int32_t status; /* 0, or a negative errno */
    uint16_t len;
    uint8_t data[PRIV_REPLY_DATA];
};

/* Request bytes for req into buf; the length, or 0 if req is not valid
 * (a child must not send what the parent would refuse). */
size_t priv_req_encode(const struct priv_req *req, uint8_t *buf, size_t cap);

/* The parent's reading of one datagram: 0 with *req filled (borrowing
 * buf), or -1 when anything is off: unknown type, wrong length, a field
 * out of range.  Never reads outside buf[0, len). */
int priv_req_decode(const uint8_t *buf, size_t len, struct priv_req *req);

size_t priv_reply_encode(const struct priv_reply *r, uint8_t *buf, size_t cap);
int priv_reply_decode(const uint8_t *buf, size_t len, struct priv_reply *r);

const char *priv_type_name(uint16_t type);

#endif
