/* SPDX-License-Identifier: MIT */
#include "privclient.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "daemon.h"
#include "keylog.h"
#include "log.h"
#include "privcfg.h"
#include "privchan.h"

bool priv_has_parent(const struct daemon *d)
{
    return d->priv.fd >= 0;
}

static int call(struct daemon *d, struct priv_req *q, struct priv_reply *r)
{
    struct priv_reply scratch;

    if (!r)
        r = &scratch;
    if (d->priv.fd >= 0)
        return priv_call(d->priv.fd, q, r);
    if (!d->priv.local)
        return -ENOTCONN;
    priv_dispatch(d->priv.local, q, r);
    return r->status;
}

int priv_route(struct daemon *d, bool add, uint8_t family, const uint8_t *dst, unsigned plen)
{
    struct priv_req q = {.type = add ? PRIV_ROUTE_ADD : PRIV_ROUTE_DEL};

    q.u.route.family = family;
    q.u.route.plen = (uint8_t)plen;
    memcpy(q.u.route.dst, dst, family == 4 ? 4 : 16);
    return call(d, &q, NULL);
}

int priv_set_mtu(struct daemon *d, unsigned mtu)
{
    struct priv_req q = {.type = PRIV_SET_MTU, .u.mtu = mtu};

    return call(d, &q, NULL);
}

int priv_peer(struct daemon *d, const struct uipsec_addr *peer, bool add)
{
    struct priv_req q = {.type = add ? PRIV_PEER_ADD : PRIV_PEER_DEL, .u.peer = *peer};

    return call(d, &q, NULL);
}

int priv_drop(struct daemon *d, const struct uipsec_selector *sel, bool add)
{
    struct priv_req q = {.type = add ? PRIV_DROP_ADD : PRIV_DROP_DEL, .u.sel = *sel};

    return call(d, &q, NULL);
}

int priv_drop_commit(struct daemon *d, bool apply)
{
    struct priv_req q = {.type = PRIV_DROP_COMMIT, .u.commit = apply};

    return call(d, &q, NULL);
}

uint64_t priv_drop_count(struct daemon *d)
{
    struct priv_req q = {.type = PRIV_DROP_COUNT};
    struct priv_reply r;
    uint64_t n = 0;

    if (call(d, &q, &r) == 0 && r.len == sizeof(n))
        memcpy(&n, r.data, sizeof(n));
    return n;
}

static void keylog(struct daemon *d, enum priv_keylog_file file, const char *line)
{
    struct priv_req q = {.type = PRIV_KEYLOG};
    size_t len = strlen(line);

    if (len > PRIV_KEYLOG_MAX)
        return;
    q.u.keylog.file = (uint8_t)file;
    q.u.keylog.len = (uint16_t)len;
    memcpy(q.u.keylog.line, line, len + 1);
    if (call(d, &q, NULL) != 0)
        log_warn("wireshark_keys: the key line was not written (see the log)");
    OPENSSL_cleanse(&q, sizeof(q));
}

void priv_keylog_ike(struct daemon *d, const struct ike_sa *sa)
{
    char line[KEYLOG_LINE_MAX];

    if (d->cfg.wireshark_keys[0] && keylog_ike_line(sa, line, sizeof(line)))
        keylog(d, PRIV_KEYLOG_IKE, line);
    OPENSSL_cleanse(line, sizeof(line));
}

void priv_keylog_esp(struct daemon *d, const struct uipsec_sa_params *p)
{
    char line[KEYLOG_LINE_MAX];

    if (d->cfg.wireshark_keys[0] && keylog_esp_line(p, line, sizeof(line)))
        keylog(d, PRIV_KEYLOG_ESP, line);
    OPENSSL_cleanse(line, sizeof(line));
}

int priv_psk_mac(struct daemon *d, uint32_t psk_id, unsigned prf, const uint8_t *octets, size_t len,
                 uint8_t *out, size_t out_len)
{
    struct priv_req q = {.type = PRIV_PSK_AUTH};
    struct priv_reply r;
    int rc;

    if (len > PRIV_AUTH_MAX)
        return -EMSGSIZE;
    q.u.auth = (struct priv_auth){psk_id, (uint16_t)prf, (uint16_t)len, octets};
    rc = call(d, &q, &r);
    if (rc == 0 && r.len != out_len)
        rc = -EPROTO;
    if (rc == 0)
        memcpy(out, r.data, out_len);
    memset(r.data, 0, sizeof(r.data));
    return rc;
}

int priv_sign(struct daemon *d, uint32_t key, unsigned scheme, unsigned method,
              const uint8_t *octets, size_t len, uint8_t *out, size_t *out_len)
{
    struct priv_req q = {.type = PRIV_SIGN};
    struct priv_reply r;
    int rc;

    if (len > PRIV_AUTH_MAX)
        return -EMSGSIZE;
    q.u.sign = (struct priv_sign){key, (uint8_t)scheme, (uint8_t)method, (uint16_t)len, octets};
    rc = call(d, &q, &r);
    if (rc == 0 && (r.len == 0 || r.len > *out_len))
        rc = -EPROTO;
    if (rc == 0) {
        memcpy(out, r.data, r.len);
        *out_len = r.len;
    }
    return rc;
}

static int cred_add(struct daemon *d, uint16_t type, const uint8_t *p, size_t len, uint32_t *id)
{
    struct priv_req q = {.type = type};
    struct priv_reply r;
    int rc;

    if (len > (type == PRIV_PSK_ADD ? PRIV_PSK_MAX : PRIV_KEY_MAX))
        return -EMSGSIZE;
    q.u.blob = (struct priv_blob){(uint16_t)len, p};
    rc = call(d, &q, &r);
    if (rc == 0 && r.len != sizeof(*id))
        rc = -EPROTO;
    if (rc == 0)
        memcpy(id, r.data, sizeof(*id));
    return rc;
}

int priv_psk_add(struct daemon *d, const uint8_t *psk, size_t len, uint32_t *id)
{
    return cred_add(d, PRIV_PSK_ADD, psk, len, id);
}

int priv_key_add(struct daemon *d, const uint8_t *der, size_t len, uint32_t *id)
{
    return cred_add(d, PRIV_KEY_ADD, der, len, id);
}

int priv_ready(struct daemon *d)
{
    struct priv_req q = {.type = PRIV_READY};

    return call(d, &q, NULL);
}

int priv_config(struct daemon *d, struct cfg *out, char *err, size_t err_len)
{
    struct priv_req q = {.type = PRIV_CONFIG};
    struct priv_reply r = {0};
    uint32_t len;
    int rc = call(d, &q, &r);

    if (rc != 0) {
        if (r.len > 0 && r.len < sizeof(r.data) && rc != -ETIMEDOUT)
            snprintf(err, err_len, "%.*s", (int)r.len, (const char *)r.data);
        else
            snprintf(err, err_len, "the privileged parent did not answer: %s", strerror(-rc));
        return -1;
    }
    if (r.len != sizeof(len)) {
        snprintf(err, err_len, "the privileged parent's answer is malformed");
        return -1;
    }
    memcpy(&len, r.data, sizeof(len));
    return privcfg_read(d->priv.cfg_fd, len, out, err, err_len);
}
