/* SPDX-License-Identifier: MIT */
/*
 * Two IKE peers in one process for the tests of the IKE SA state machine:
 * a mock struct ike_env per peer (a deterministic RNG, a send() that keeps
 * the last datagram, a child_sa_up() that keeps the last CHILD_SA, a fake
 * clock the test moves), the configuration of each side, and the steps
 * that carry one peer's last datagram to the other.
 */
#ifndef UIPSEC_TEST_IKE_PAIR_H
#define UIPSEC_TEST_IKE_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikesa.h"

struct ike_peer {
    struct ike_env env; /* env.arg is this peer */
    uint8_t seed;
    uint32_t ctr; /* random bytes handed out so far */
    uint8_t sent[IKE_MSG_MAX];
    size_t sent_len;
    unsigned nsent;
    struct ike_child_result child; /* the last child_sa_up */
    struct ike_sa *successor;      /* from ike_sa_rekeyed */
    unsigned nchild, ndown, nfailed;
    uint32_t down_in, down_out;
    uint16_t failed_notify;
    uint64_t now; /* what now_ms answers */
    struct ike_cfg cfg;
    struct ike_path path;
    uint8_t psk[64];
    struct ike_sa *sa;
};

/* One side's configuration: proposals, its first CHILD_SA's selectors
 * (local, remote), the PSK. */
struct ike_side {
    const char *ike, *esp, *ts_local, *ts_remote, *psk;
};

/* 10.1.0.0/16 <-> 10.2.0.0/16, aes256gcm16-prfsha256-x25519, "secret". */
extern const struct ike_side ike_side_i, ike_side_r;

/* 192.0.2.last */
void ike_addr4(struct uipsec_addr *a, uint8_t last);

/* A fresh peer: the mock env, one child config from s, IDs moon (the
 * initiator, 192.0.2.1) and sun (192.0.2.2), port 500. */
void ike_peer_init(struct ike_peer *p, uint8_t seed, bool initiator, const struct ike_side *s);
/* A second child config: 10.1.5.0/24 <-> 10.2.5.0/24 with esp. */
void ike_peer_add_child(struct ike_peer *p, bool initiator, const char *esp);

/* The env's send(), for a test that wraps it. */
void ike_peer_send(void *arg, const uint8_t *buf, size_t len);

/* to receives what from sent last (no path: as from the SA's peer). */
enum ike_rx ike_deliver(struct ike_peer *to, const struct ike_peer *from);

/* What from sent last, decoded and opened with to's keys; it must open.
 * Static: valid until the next call. */
const struct ike_msg *ike_opened(struct ike_peer *to, const struct ike_peer *from);

/* IKE_SA_INIT request and answer: i INIT_SENT, r INIT_DONE. */
void ike_pair_init(struct ike_peer *i, struct ike_peer *r);
/* Then IKE_AUTH request and answer: both ESTABLISHED. */
void ike_pair_auth(struct ike_peer *i, struct ike_peer *r);
/* Frees both SAs (not a successor the test has not moved into sa). */
void ike_pair_free(struct ike_peer *i, struct ike_peer *r);

#endif
