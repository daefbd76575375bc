/* SPDX-License-Identifier: MIT */
/*
 * Two in-process IKE peers for the fuzz targets that need an established
 * pair (fuzz_ikesa, fuzz_frag): a fixed RNG, so the same keys every run;
 * a send() that keeps the last datagram; a clock the target moves; FQDN
 * IDs "a" (the initiator, 192.0.2.1) and "b" (192.0.2.2) with a PSK,
 * aes256gcm16-prfsha256-x25519, one child 10.1.0.0/16 <-> 10.2.0.0/16.
 * Unlike tests/common/ike_pair.c it has no cmocka: a failure is returned.
 */
#ifndef UIPSEC_FUZZ_PAIR_H
#define UIPSEC_FUZZ_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikesa.h"

struct fuzz_peer {
    struct ike_env env; /* env.arg is this peer */
    struct ike_cfg cfg;
    struct ike_path path;
    struct ike_sa *sa;
    uint32_t ctr; /* random bytes handed out so far */
    uint8_t sent[IKE_MSG_MAX];
    size_t sent_len;
    uint64_t now; /* what now_ms answers */
};

/* A fresh peer whose child offers the ESP proposals esp; -1 if a part of
 * the configuration does not parse. */
int fuzz_peer_setup(struct fuzz_peer *p, bool initiator, const char *esp);

/* IKE_SA_INIT and IKE_AUTH between two set-up peers, every message
 * delivered whole; 0 if both are then ESTABLISHED. */
int fuzz_pair_establish(struct fuzz_peer *i, struct fuzz_peer *r);

#endif
