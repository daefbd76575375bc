/* SPDX-License-Identifier: MIT */
/*
 * What uipsecd's unprivileged child asks of its privileged parent
 * (privsep.c), one call per privileged act: a route, the TUN MTU, drop
 * elements and their commit, a key-log line, a PSK MAC, a new
 * configuration.  Each waits for the parent's answer (privchan.h, with a
 * deadline).  Without a parent (d->priv.fd < 0) requests go to
 * d->priv.local's handlers in-process, or fail when there are none: the
 * callers then fail closed.
 */
#ifndef UIPSECD_PRIVCLIENT_H
#define UIPSECD_PRIVCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "privproto.h"

struct daemon;
struct cfg;
struct priv_handlers;

struct priv_client {
    int fd;                            /* the channel to the parent (privsep.c), or -1 */
    int cfg_fd;                        /* the memory file the parent passes configurations in */
    const struct priv_handlers *local; /* without a parent (a fuzzer): in-process */
};

/* Whether there is a privileged parent (else this process is both). */
bool priv_has_parent(const struct daemon *d);

/* Each returns 0 or a negative errno. */
int priv_route(struct daemon *d, bool add, uint8_t family, const uint8_t *dst, unsigned plen);
int priv_set_mtu(struct daemon *d, unsigned mtu);
int priv_peer(struct daemon *d, const struct uipsec_addr *peer, bool add);
int priv_drop(struct daemon *d, const struct uipsec_selector *sel, bool add);
/* 0 only when the queue was applied: taking it back (!apply) returns an
 * errno too. */
int priv_drop_commit(struct daemon *d, bool apply);
uint64_t priv_drop_count(struct daemon *d);
/* Key-log lines of an IKE SA and of one direction of a CHILD_SA, when
 * uipsec.wireshark_keys is set. */
struct ike_sa;
void priv_keylog_ike(struct daemon *d, const struct ike_sa *sa);
void priv_keylog_esp(struct daemon *d, const struct uipsec_sa_params *p);
int priv_psk_mac(struct daemon *d, uint32_t psk_id, unsigned prf, const uint8_t *octets, size_t len,
                 uint8_t *out, size_t out_len);
/* AUTH data (sig.h) signed by the parent with key over octets: 0 with the
 * bytes in out (at most *out_len, which gets their count), or -errno. */
int priv_sign(struct daemon *d, uint32_t key, unsigned scheme, unsigned method,
              const uint8_t *octets, size_t len, uint8_t *out, size_t *out_len);
/* A PSK or a private key (DER) loaded over VICI, handed to the parent to
 * keep: 0 with its number in *id (for priv_psk_mac, priv_sign), or -errno.
 * The caller wipes its copy. */
int priv_psk_add(struct daemon *d, const uint8_t *psk, size_t len, uint32_t *id);
int priv_key_add(struct daemon *d, const uint8_t *der, size_t len, uint32_t *id);
/* The parent re-reads the configuration: 0 with *out (its secrets left
 * out), or -1 with the parent's message. */
int priv_config(struct daemon *d, struct cfg *out, char *err, size_t err_len);
/* Started: the parent publishes the control socket (ctl_socket.h). */
int priv_ready(struct daemon *d);

#endif
