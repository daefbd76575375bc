/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the privileged parent's side of its protocol
 * (src/daemon/privproto.c, privchan.c): the bytes a compromised child could
 * send.  What decodes must be a request a well-behaved child could have
 * made: it re-encodes to the same bytes, and dispatching it reaches the
 * handler of its type only, with fields in range.  The input is copied
 * into a buffer of exactly its size, so ASan sees any read past it.
 */
#include <stdlib.h>
#include <string.h>

#include "privchan.h"
#include "sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned calls;

static int h_route(void *arg, bool add, const struct priv_route *r)
{
    (void)arg;
    (void)add;
    if (r->family != 4 && r->family != 6)
        abort();
    if (r->plen > (r->family == 4 ? 32 : 128))
        abort();
    calls++;
    return 0;
}

static int h_mtu(void *arg, uint32_t mtu)
{
    (void)arg;
    if (mtu < PRIV_MTU_MIN || mtu > PRIV_MTU_MAX)
        abort();
    calls++;
    return 0;
}

static int h_drop(void *arg, bool add, const struct uipsec_selector *sel)
{
    (void)arg;
    (void)add;
    if (sel->family != 4 && sel->family != 6)
        abort();
    calls++;
    return 0;
}

static int h_peer(void *arg, bool add, const struct uipsec_addr *peer)
{
    (void)arg;
    (void)add;
    if (peer->family != 4 && peer->family != 6)
        abort();
    calls++;
    return 0;
}

static int h_keylog(void *arg, enum priv_keylog_file file, const char *line)
{
    size_t n = strlen(line);

    (void)arg;
    if (file > PRIV_KEYLOG_IKE || n == 0 || n > PRIV_KEYLOG_MAX || strchr(line, '\n'))
        abort();
    calls++;
    return 0;
}

static int h_auth(void *arg, const struct priv_auth *a, uint8_t *out, size_t *out_len)
{
    (void)arg;
    if (a->len == 0 || a->len > PRIV_AUTH_MAX)
        abort();
    out[0] = a->octets[a->len - 1]; /* touches the last byte it was given */
    *out_len = 1;
    calls++;
    return 0;
}

static int h_sign(void *arg, const struct priv_sign *s, uint8_t *out, size_t *out_len)
{
    (void)arg;
    if (s->len == 0 || s->len > PRIV_AUTH_MAX || s->scheme == 0 || s->scheme >= IKE_SIG_COUNT)
        abort();
    out[0] = s->octets[s->len - 1];
    *out_len = 1;
    calls++;
    return 0;
}

/* A credential kept: within its type's bounds, never empty. */
static int h_blob(const struct priv_blob *b, size_t max, uint32_t *id)
{
    if (b->len == 0 || b->len > max || !b->bytes)
        abort();
    *id = b->bytes[0];
    calls++;
    return 0;
}

static int h_psk_add(void *arg, const struct priv_blob *psk, uint32_t *id)
{
    (void)arg;
    return h_blob(psk, PRIV_PSK_MAX, id);
}

static int h_key_add(void *arg, const struct priv_blob *der, uint32_t *id)
{
    (void)arg;
    return h_blob(der, PRIV_KEY_MAX, id);
}

static int h_commit(void *arg, bool apply)
{
    (void)arg;
    (void)apply;
    calls++;
    return 0;
}

static int h_count(void *arg, uint64_t *packets)
{
    (void)arg;
    *packets = 42;
    calls++;
    return 0;
}

static int h_config(void *arg, uint8_t *out, size_t *out_len)
{
    (void)arg;
    memset(out, 0, 4);
    *out_len = 4;
    calls++;
    return 0;
}

static int h_ready(void *arg)
{
    (void)arg;
    calls++;
    return 0;
}

static const struct priv_handlers handlers = {.route = h_route,
                                              .mtu = h_mtu,
                                              .drop = h_drop,
                                              .peer = h_peer,
                                              .keylog = h_keylog,
                                              .psk_auth = h_auth,
                                              .sign = h_sign,
                                              .psk_add = h_psk_add,
                                              .key_add = h_key_add,
                                              .drop_commit = h_commit,
                                              .drop_count = h_count,
                                              .config = h_config,
                                              .ready = h_ready,
                                              .arg = NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    static uint8_t again[PRIV_MSG_MAX];
    struct priv_req req;
    struct priv_reply reply;
    uint8_t rbuf[PRIV_HDR_LEN + PRIV_REPLY_DATA + 16];
    size_t n;

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (priv_req_decode(copy, size, &req) == 0) {
        n = priv_req_encode(&req, again, sizeof(again));
        if (n != size || memcmp(again, copy, size) != 0)
            abort(); /* decoded but not what a child could have sent */
        calls = 0;
        priv_dispatch(&handlers, &req, &reply);
        if (calls != 1 || reply.seq != req.seq || reply.status != 0)
            abort();
        n = priv_reply_encode(&reply, rbuf, sizeof(rbuf));
        if (n == 0 || priv_reply_decode(rbuf, n, &reply) != 0)
            abort();
    }
    priv_reply_decode(copy, size, &reply);
    free(copy);
    return 0;
}
