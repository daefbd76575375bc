/* SPDX-License-Identifier: MIT */
#include "privproto.h"

#include <string.h>

#include "cursor.h"
#include "ike_wire.h"
#include "sig.h"

#define ROUTE_LEN 18 /* family, prefix length, 16 address bytes */
#define TS_LEN    36 /* lo, hi, port lo, port hi */
#define SEL_LEN   (2 + 2 * TS_LEN)
#define PEER_LEN  17

static const char *const names[PRIV_TYPE_END] = {
    [PRIV_ROUTE_ADD] = "route-add",   [PRIV_ROUTE_DEL] = "route-del",
    [PRIV_SET_MTU] = "set-mtu",       [PRIV_DROP_ADD] = "drop-add",
    [PRIV_DROP_DEL] = "drop-del",     [PRIV_PEER_ADD] = "peer-add",
    [PRIV_PEER_DEL] = "peer-del",     [PRIV_KEYLOG] = "keylog",
    [PRIV_PSK_AUTH] = "psk-auth",     [PRIV_DROP_COMMIT] = "drop-commit",
    [PRIV_DROP_COUNT] = "drop-count", [PRIV_CONFIG] = "config",
    [PRIV_READY] = "ready",           [PRIV_SIGN] = "sign",
    [PRIV_PSK_ADD] = "psk-add",       [PRIV_KEY_ADD] = "key-add",
};

const char *priv_type_name(uint16_t type)
{
    return type > 0 && type < PRIV_TYPE_END ? names[type] : "unknown";
}

/* ---- checks shared by both directions ---- */

static size_t addr_len(uint8_t family)
{
    return family == 4 ? 4 : family == 6 ? 16 : 0;
}

/* An address of its family, with nothing beyond it. */
static bool addr_ok(uint8_t family, const uint8_t *b)
{
    size_t n = addr_len(family);

    if (!n)
        return false;
    for (size_t i = n; i < 16; i++)
        if (b[i])
            return false;
    return true;
}

static bool route_ok(const struct priv_route *r)
{
    size_t n = addr_len(r->family);

    if (!addr_ok(r->family, r->dst) || r->plen > n * 8)
        return false;
    for (size_t bit = r->plen; bit < n * 8; bit++) /* host bits zero */
        if (r->dst[bit / 8] & (0x80 >> (bit % 8)))
            return false;
    return true;
}

static bool ts_ok(uint8_t family, const struct uipsec_ts *t)
{
    return addr_ok(family, t->lo) && addr_ok(family, t->hi) &&
           memcmp(t->lo, t->hi, addr_len(family)) <= 0 && t->port_lo <= t->port_hi;
}

static bool sel_ok(const struct uipsec_selector *s)
{
    return ts_ok(s->family, &s->local) && ts_ok(s->family, &s->remote);
}

static bool keylog_ok(const struct priv_keylog *k)
{
    if (k->file > PRIV_KEYLOG_IKE || k->len == 0 || k->len > PRIV_KEYLOG_MAX)
        return false;
    for (size_t i = 0; i < k->len; i++) /* one line, nothing a terminal acts on */
        if (k->line[i] < 0x20 || k->line[i] > 0x7e)
            return false;
    return true;
}

static bool auth_ok(const struct priv_auth *a)
{
    return (a->prf == PRIV_PRF_HMAC_SHA1 || a->prf == PRIV_PRF_HMAC_SHA256 ||
            a->prf == PRIV_PRF_HMAC_SHA384 || a->prf == PRIV_PRF_HMAC_SHA512) &&
           a->len > 0 && a->len <= PRIV_AUTH_MAX && a->octets;
}

static bool sign_ok(const struct priv_sign *s)
{
    return s->scheme > IKE_SIG_NONE && s->scheme < IKE_SIG_COUNT &&
           (s->method == IKE_AUTH_RSA_SIG || s->method == IKE_AUTH_ECDSA_SHA256_P256 ||
            s->method == IKE_AUTH_ECDSA_SHA384_P384 || s->method == IKE_AUTH_ECDSA_SHA512_P521 ||
            s->method == IKE_AUTH_DIGITAL_SIGNATURE) &&
           s->len > 0 && s->len <= PRIV_AUTH_MAX && s->octets;
}

static bool blob_ok(const struct priv_blob *b, size_t max)
{
    return b->len > 0 && b->len <= max && b->bytes;
}

static bool req_ok(const struct priv_req *q)
{
    switch (q->type) {
    case PRIV_PSK_ADD:
        return blob_ok(&q->u.blob, PRIV_PSK_MAX);
    case PRIV_KEY_ADD:
        return blob_ok(&q->u.blob, PRIV_KEY_MAX);
    case PRIV_ROUTE_ADD:
    case PRIV_ROUTE_DEL:
        return route_ok(&q->u.route);
    case PRIV_SET_MTU:
        return q->u.mtu >= PRIV_MTU_MIN && q->u.mtu <= PRIV_MTU_MAX;
    case PRIV_DROP_ADD:
    case PRIV_DROP_DEL:
        return sel_ok(&q->u.sel);
    case PRIV_PEER_ADD:
    case PRIV_PEER_DEL:
        return addr_ok(q->u.peer.family, q->u.peer.bytes);
    case PRIV_KEYLOG:
        return keylog_ok(&q->u.keylog);
    case PRIV_PSK_AUTH:
        return auth_ok(&q->u.auth);
    case PRIV_SIGN:
        return sign_ok(&q->u.sign);
    case PRIV_DROP_COMMIT:
        return q->u.commit <= 1;
    case PRIV_DROP_COUNT:
    case PRIV_CONFIG:
    case PRIV_READY:
        return true;
    }
    return false;
}

/* ---- writing ---- */

struct writer {
    uint8_t *p;
    size_t cap, at;
    bool ok;
};

static void put(struct writer *w, const void *src, size_t n)
{
    if (!w->ok || n > w->cap - w->at) {
        w->ok = false;
        return;
    }
    memcpy(w->p + w->at, src, n);
    w->at += n;
}

static void put8(struct writer *w, uint8_t v)
{
    put(w, &v, 1);
}

static void put16(struct writer *w, uint16_t v)
{
    uint8_t b[2];

    put_be16(b, v);
    put(w, b, 2);
}

static void put32(struct writer *w, uint32_t v)
{
    uint8_t b[4];

    put_be32(b, v);
    put(w, b, 4);
}

static void put_ts(struct writer *w, const struct uipsec_ts *t)
{
    put(w, t->lo, 16);
    put(w, t->hi, 16);
    put16(w, t->port_lo);
    put16(w, t->port_hi);
}

static void put_body(struct writer *w, const struct priv_req *q)
{
    switch (q->type) {
    case PRIV_ROUTE_ADD:
    case PRIV_ROUTE_DEL:
        put8(w, q->u.route.family);
        put8(w, q->u.route.plen);
        put(w, q->u.route.dst, 16);
        break;
    case PRIV_SET_MTU:
        put32(w, q->u.mtu);
        break;
    case PRIV_DROP_ADD:
    case PRIV_DROP_DEL:
        put8(w, q->u.sel.family);
        put8(w, q->u.sel.proto);
        put_ts(w, &q->u.sel.local);
        put_ts(w, &q->u.sel.remote);
        break;
    case PRIV_PEER_ADD:
    case PRIV_PEER_DEL:
        put8(w, q->u.peer.family);
        put(w, q->u.peer.bytes, 16);
        break;
    case PRIV_KEYLOG:
        put8(w, q->u.keylog.file);
        put(w, q->u.keylog.line, q->u.keylog.len);
        break;
    case PRIV_PSK_AUTH:
        put32(w, q->u.auth.secret);
        put16(w, q->u.auth.prf);
        put(w, q->u.auth.octets, q->u.auth.len);
        break;
    case PRIV_SIGN:
        put32(w, q->u.sign.key);
        put8(w, q->u.sign.scheme);
        put8(w, q->u.sign.method);
        put(w, q->u.sign.octets, q->u.sign.len);
        break;
    case PRIV_DROP_COMMIT:
        put8(w, q->u.commit);
        break;
    case PRIV_PSK_ADD:
    case PRIV_KEY_ADD:
        put(w, q->u.blob.bytes, q->u.blob.len);
        break;
    }
}

size_t priv_req_encode(const struct priv_req *q, uint8_t *buf, size_t cap)
{
    struct writer w = {buf, cap, PRIV_HDR_LEN, cap >= PRIV_HDR_LEN};
    size_t body;

    if (!req_ok(q) || !w.ok)
        return 0;
    put_body(&w, q);
    body = w.at - PRIV_HDR_LEN;
    if (!w.ok || body > UINT16_MAX)
        return 0;
    put_be16(buf, q->type);
    put_be16(buf + 2, (uint16_t)body);
    put_be32(buf + 4, q->seq);
    return w.at;
}

/* ---- reading ---- */

static bool take(struct cursor *c, void *dst, size_t n)
{
    uint8_t *p;

    if (!cursor_take(c, n, &p))
        return false;
    memcpy(dst, p, n);
    return true;
}

static bool take16(struct cursor *c, uint16_t *v)
{
    uint8_t *p;

    if (!cursor_take(c, 2, &p))
        return false;
    *v = get_be16(p);
    return true;
}

static bool take32(struct cursor *c, uint32_t *v)
{
    uint8_t *p;

    if (!cursor_take(c, 4, &p))
        return false;
    *v = get_be32(p);
    return true;
}

static bool take_ts(struct cursor *c, struct uipsec_ts *t)
{
    return take(c, t->lo, 16) && take(c, t->hi, 16) && take16(c, &t->port_lo) &&
           take16(c, &t->port_hi);
}

/* The body of q's type from exactly the bytes c holds. */
static bool take_body(struct cursor *c, struct priv_req *q)
{
    size_t n = c->len;

    switch (q->type) {
    case PRIV_ROUTE_ADD:
    case PRIV_ROUTE_DEL:
        return n == ROUTE_LEN && take(c, &q->u.route.family, 1) && take(c, &q->u.route.plen, 1) &&
               take(c, q->u.route.dst, 16);
    case PRIV_SET_MTU:
        return n == 4 && take32(c, &q->u.mtu);
    case PRIV_DROP_ADD:
    case PRIV_DROP_DEL:
        return n == SEL_LEN && take(c, &q->u.sel.family, 1) && take(c, &q->u.sel.proto, 1) &&
               take_ts(c, &q->u.sel.local) && take_ts(c, &q->u.sel.remote);
    case PRIV_PEER_ADD:
    case PRIV_PEER_DEL:
        return n == PEER_LEN && take(c, &q->u.peer.family, 1) && take(c, q->u.peer.bytes, 16);
    case PRIV_KEYLOG:
        if (n < 2 || n - 1 > PRIV_KEYLOG_MAX || !take(c, &q->u.keylog.file, 1))
            return false;
        q->u.keylog.len = (uint16_t)c->len;
        q->u.keylog.line[c->len] = '\0';
        return take(c, q->u.keylog.line, c->len);
    case PRIV_PSK_AUTH:
        if (n < 7 || !take32(c, &q->u.auth.secret) || !take16(c, &q->u.auth.prf))
            return false;
        q->u.auth.len = (uint16_t)c->len;
        q->u.auth.octets = c->p;
        return true;
    case PRIV_SIGN:
        if (n < 7 || !take32(c, &q->u.sign.key) || !take(c, &q->u.sign.scheme, 1) ||
            !take(c, &q->u.sign.method, 1))
            return false;
        q->u.sign.len = (uint16_t)c->len;
        q->u.sign.octets = c->p;
        return true;
    case PRIV_DROP_COMMIT:
        return n == 1 && take(c, &q->u.commit, 1);
    case PRIV_PSK_ADD:
    case PRIV_KEY_ADD:
        q->u.blob = (struct priv_blob){(uint16_t)n, c->p};
        return blob_ok(&q->u.blob, q->type == PRIV_PSK_ADD ? PRIV_PSK_MAX : PRIV_KEY_MAX);
    case PRIV_DROP_COUNT:
    case PRIV_CONFIG:
    case PRIV_READY:
        return n == 0;
    }
    return false;
}

int priv_req_decode(const uint8_t *buf, size_t len, struct priv_req *q)
{
    /* The cursor takes a writable pointer; decoding only reads. */
    struct cursor c = cursor_make((uint8_t *)(uintptr_t)buf, len);
    uint16_t body;

    memset(q, 0, sizeof(*q));
    if (!take16(&c, &q->type) || !take16(&c, &body) || !take32(&c, &q->seq) || c.len != body)
        return -1;
    return take_body(&c, q) && req_ok(q) ? 0 : -1;
}

size_t priv_reply_encode(const struct priv_reply *r, uint8_t *buf, size_t cap)
{
    struct writer w = {buf, cap, 0, true};

    if (r->len > PRIV_REPLY_DATA)
        return 0;
    put32(&w, r->seq);
    put32(&w, (uint32_t)r->status);
    put16(&w, r->len);
    put(&w, r->data, r->len);
    return w.ok ? w.at : 0;
}

int priv_reply_decode(const uint8_t *buf, size_t len, struct priv_reply *r)
{
    struct cursor c = cursor_make((uint8_t *)(uintptr_t)buf, len);
    uint32_t status;

    memset(r, 0, sizeof(*r));
    if (!take32(&c, &r->seq) || !take32(&c, &status) || !take16(&c, &r->len) ||
        r->len > PRIV_REPLY_DATA || c.len != r->len || !take(&c, r->data, r->len))
        return -1;
    r->status = (int32_t)status;
    return 0;
}
