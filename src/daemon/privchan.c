/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "privchan.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/crypto.h>

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits for the answer to seq; answers to older calls that timed out are
 * read and dropped. */
static int await(int fd, uint32_t seq, struct priv_reply *reply)
{
    uint64_t deadline = now_ms() + PRIV_CALL_TIMEOUT_MS;
    uint8_t buf[PRIV_HDR_LEN + PRIV_REPLY_DATA + 16];

    for (;;) {
        uint64_t now = now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n;

        if (now >= deadline)
            return -ETIMEDOUT;
        if (poll(&p, 1, (int)(deadline - now)) < 0 && errno != EINTR)
            return -EIO;
        if (!(p.revents & (POLLIN | POLLHUP)))
            continue;
        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0)
            return -EIO;
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            return -EIO;
        }
        if (priv_reply_decode(buf, (size_t)n, reply) != 0)
            return -EPROTO;
        if (reply->seq == seq)
            return reply->status;
    }
}

int priv_call(int fd, struct priv_req *req, struct priv_reply *reply)
{
    static uint32_t next_seq;
    static uint8_t buf[PRIV_MSG_MAX]; /* a PSK request is large: not on the stack */
    struct priv_reply scratch;
    size_t len;
    ssize_t sent;

    req->seq = ++next_seq;
    len = priv_req_encode(req, buf, sizeof(buf));
    if (len == 0)
        return -EINVAL;
    sent = send(fd, buf, len, MSG_NOSIGNAL);
    OPENSSL_cleanse(buf, len); /* it may have held a PSK or a private key */
    if (sent != (ssize_t)len)
        return -EIO;
    return await(fd, req->seq, reply ? reply : &scratch);
}

void priv_dispatch(const struct priv_handlers *h, const struct priv_req *q, struct priv_reply *r)
{
    bool add = q->type == PRIV_ROUTE_ADD || q->type == PRIV_DROP_ADD || q->type == PRIV_PEER_ADD;
    size_t out_len = 0;
    uint64_t count = 0;
    uint32_t id = 0;
    int rc = -EOPNOTSUPP; /* a type this parent does not serve */

    memset(r, 0, sizeof(*r));
    r->seq = q->seq;
    switch (q->type) {
    case PRIV_ROUTE_ADD:
    case PRIV_ROUTE_DEL:
        rc = h->route ? h->route(h->arg, add, &q->u.route) : rc;
        break;
    case PRIV_SET_MTU:
        rc = h->mtu ? h->mtu(h->arg, q->u.mtu) : rc;
        break;
    case PRIV_DROP_ADD:
    case PRIV_DROP_DEL:
        rc = h->drop ? h->drop(h->arg, add, &q->u.sel) : rc;
        break;
    case PRIV_PEER_ADD:
    case PRIV_PEER_DEL:
        rc = h->peer ? h->peer(h->arg, add, &q->u.peer) : rc;
        break;
    case PRIV_KEYLOG:
        rc = h->keylog
                 ? h->keylog(h->arg, (enum priv_keylog_file)q->u.keylog.file, q->u.keylog.line)
                 : rc;
        break;
    case PRIV_PSK_AUTH:
        rc = h->psk_auth ? h->psk_auth(h->arg, &q->u.auth, r->data, &out_len) : rc;
        break;
    case PRIV_SIGN:
        rc = h->sign ? h->sign(h->arg, &q->u.sign, r->data, &out_len) : rc;
        break;
    case PRIV_PSK_ADD:
    case PRIV_KEY_ADD:
        rc = q->type == PRIV_PSK_ADD ? (h->psk_add ? h->psk_add(h->arg, &q->u.blob, &id) : rc)
                                     : (h->key_add ? h->key_add(h->arg, &q->u.blob, &id) : rc);
        if (rc == 0) {
            memcpy(r->data, &id, sizeof(id));
            out_len = sizeof(id);
        }
        break;
    case PRIV_DROP_COMMIT:
        rc = h->drop_commit ? h->drop_commit(h->arg, q->u.commit == 1) : rc;
        break;
    case PRIV_DROP_COUNT:
        rc = h->drop_count ? h->drop_count(h->arg, &count) : rc;
        if (rc == 0) {
            memcpy(r->data, &count, sizeof(count));
            out_len = sizeof(count);
        }
        break;
    case PRIV_READY:
        rc = h->ready ? h->ready(h->arg) : rc;
        break;
    case PRIV_CONFIG: /* data on failure too: the message */
        rc = h->config ? h->config(h->arg, r->data, &out_len) : rc;
        r->status = rc;
        r->len = out_len <= PRIV_REPLY_DATA ? (uint16_t)out_len : 0;
        return;
    }
    r->status = rc;
    r->len = rc == 0 && out_len <= PRIV_REPLY_DATA ? (uint16_t)out_len : 0;
}

enum priv_serve priv_serve_one(int fd, const struct priv_handlers *h)
{
    static uint8_t buf[PRIV_MSG_MAX + 1]; /* one more: a longer request is truncated */
    uint8_t out[PRIV_HDR_LEN + PRIV_REPLY_DATA + 16];
    struct priv_req req;
    struct priv_reply reply;
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
    size_t len;

    if (n == 0)
        return PRIV_CLOSED;
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? PRIV_IDLE : PRIV_CLOSED;
    if ((size_t)n > PRIV_MSG_MAX || priv_req_decode(buf, (size_t)n, &req) != 0)
        return PRIV_BAD_REQUEST;
    priv_dispatch(h, &req, &reply);
    OPENSSL_cleanse(buf, (size_t)n); /* it may have held a PSK or a private key */
    len = priv_reply_encode(&reply, out, sizeof(out));
    if (len == 0 || send(fd, out, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len)
        return PRIV_CLOSED;
    return PRIV_SERVED;
}
