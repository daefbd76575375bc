/* SPDX-License-Identifier: MIT */
/* Between fuzz_ike_rt.c (the harness: peers, network, records) and
 * fuzz_ike_rt_sys.c (what the runtime's other modules and the system
 * would do: a virtual clock, a repeatable generator, no privileges). */
#ifndef FUZZ_IKE_RT_H
#define FUZZ_IKE_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikesa.h"

/* The virtual clock: milliseconds since the input started. */
uint64_t fz_now_ms(void);
void fz_advance_ms(uint64_t ms);
/* Every input starts at the same time with the same random bytes. */
void fz_sys_reset(void);
void fz_sys_init(void);
void fz_random(uint8_t *buf, size_t len);

/* ike_io_send's datagrams go to the harness's network. */
void fz_net_from_daemon(const struct ike_path *path, const uint8_t *buf, size_t len);

/* The cleartext-drop stand-in refuses its next commits (fail closed). */
extern bool fz_cleardrop_fail;

/* What the runtime reached over the whole run, printed at exit. */
struct fz_stats {
    uint64_t inputs, established_resp, established_init, ike_rekeys;
    uint64_t child_installed, child_deleted, child_refused, peer_child_up;
    uint64_t held_sent, sent, sent_nowhere, cookies, half_open_max;
};
extern struct fz_stats fz_stats;

#endif
