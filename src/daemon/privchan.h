/* SPDX-License-Identifier: MIT */
/* Both ends of the channel between an unprivileged uipsecd process and its
 * privileged parent: a SOCK_SEQPACKET socketpair carrying privproto.h
 * messages.  The child's calls are synchronous (one request, one answer,
 * with a deadline); the parent serves one request at a time and treats a
 * request it cannot decode as proof that the child is no longer the
 * program it started: it stops serving it. */
#ifndef UIPSECD_PRIVCHAN_H
#define UIPSECD_PRIVCHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "privproto.h"

#define PRIV_CALL_TIMEOUT_MS 5000

/* What the parent does for each request type; each returns 0 or a negative
 * errno that goes back to the child.  psk_auth writes at most
 * PRIV_REPLY_DATA bytes to out and their count to *out_len. */
struct priv_handlers {
    int (*route)(void *arg, bool add, const struct priv_route *r);
    int (*mtu)(void *arg, uint32_t mtu);
    int (*drop)(void *arg, bool add, const struct uipsec_selector *sel);
    int (*peer)(void *arg, bool add, const struct uipsec_addr *peer);
    int (*keylog)(void *arg, enum priv_keylog_file file, const char *line);
    int (*psk_auth)(void *arg, const struct priv_auth *a, uint8_t *out, size_t *out_len);
    /* the AUTH data, at most PRIV_REPLY_DATA bytes */
    int (*sign)(void *arg, const struct priv_sign *s, uint8_t *out, size_t *out_len);
    /* keeps a credential loaded over VICI: its number in *id */
    int (*psk_add)(void *arg, const struct priv_blob *psk, uint32_t *id);
    int (*key_add)(void *arg, const struct priv_blob *der, uint32_t *id);
    int (*drop_commit)(void *arg, bool apply);
    int (*drop_count)(void *arg, uint64_t *packets);
    /* Writes the new configuration where the child reads it (privsep.c)
     * and its length to out (4 bytes); on failure the message instead. */
    int (*config)(void *arg, uint8_t *out, size_t *out_len);
    int (*ready)(void *arg);
    void *arg;
};

/* The child's side: sends req (its seq is set here) and waits for the
 * answer.  Returns the parent's status (0 or -errno), or -EPROTO / -EIO /
 * -ETIMEDOUT when the channel fails.  reply may be NULL. */
int priv_call(int fd, struct priv_req *req, struct priv_reply *reply);

enum priv_serve { PRIV_SERVED, PRIV_IDLE, PRIV_CLOSED, PRIV_BAD_REQUEST };

/* The parent's side: reads one request from fd (non-blocking use: PRIV_IDLE
 * when none is waiting), runs its handler and answers.  PRIV_CLOSED when
 * the child hung up; PRIV_BAD_REQUEST when a request failed to decode
 * (nothing was run; the caller ends the child). */
enum priv_serve priv_serve_one(int fd, const struct priv_handlers *h);

/* Runs the handler for an already decoded request: the part of
 * priv_serve_one that a fuzzer reaches without a socket. */
void priv_dispatch(const struct priv_handlers *h, const struct priv_req *req,
                   struct priv_reply *reply);

#endif
