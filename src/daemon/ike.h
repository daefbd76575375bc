/* SPDX-License-Identifier: MIT */
/*
 * uipsecd's IKEv2 side: the IKE SAs of the `connections` configuration,
 * their UDP sockets (500, and 4500 with the non-ESP marker, RFC 3948),
 * timers, and the CHILD_SAs they negotiate, installed as struct conn like
 * manual ones.  The protocol itself is src/ike's pure state machine; this
 * file feeds it datagrams and time and carries out what it decides.
 */
#ifndef UIPSECD_IKE_H
#define UIPSECD_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "ikesa.h"

struct daemon;
struct conn;

/* The daemon's view of one IKE SA. */
struct ike_rt {
    struct daemon *d;
    struct ike_rt *next, **pprev; /* d->ike */
    struct ike_rt *spi_next;      /* linked (it has an SA): in d->ike_spis */
    /* a responder SA waiting for IKE_AUTH: on d's list of those, oldest
     * first, and counted for its address's prefix (admit.h) */
    struct ike_rt *ho_next, *ho_prev;
    bool half_open;
    bool quiet;           /* its failure was logged rate-limited already */
    struct ike_sa *sa;    /* NULL only while it is being made */
    struct ike_path path; /* where it started (the SA's own path after that) */
    struct cfg_conn conn; /* the configuration it was made from (a copy) */
    struct ike_cfg icfg;  /* built from conn and the addresses */
    struct ike_env env;
    unsigned id; /* "#1", "#2", ... as strongSwan counts */
    time_t created, established;
    time_t rekey_at, expire_at; /* lifetimes of the IKE SA (0: none) */
    bool keys_logged;
    uint64_t seen;     /* IKE messages and ESP packets from the peer, last count */
    time_t last_heard; /* when seen last changed: dead peer detection */
    bool child_pending[CFG_MAX_CHILDREN]; /* asked for, not yet up or refused */
};

/* The UDP sockets the IKE side reads itself (IPv4 4500 is the data
 * path's: it hands non-ESP datagrams to ike_input_encap4). */
enum ike_sock { IKE_SOCK_500_V4, IKE_SOCK_500_V6, IKE_SOCK_4500_V6, IKE_SOCK_COUNT };

int ike_start(struct daemon *d);   /* sockets, start_action = start | trap */
void ike_stop(struct daemon *d);   /* DELETE for each IKE SA, then free */
void ike_reload(struct daemon *d); /* traps follow the new configuration */
void ike_readable(struct daemon *d, enum ike_sock which);
void ike_input_encap4(struct daemon *d, const uint8_t *pkt, size_t len);
/* One IKE datagram (without the non-ESP marker) from `from`: what the
 * sockets' readers call, and the runtime's fuzzer (fuzz_ike_rt). */
void ike_input(struct daemon *d, const uint8_t *buf, size_t len, const struct ike_path *from);
void ike_tick(struct daemon *d); /* every IKE_TICK_MS */
void ike_reap(struct daemon *d); /* frees the IKE SAs that ended */
/* A packet hit a trap policy: start the CHILD_SA and hold the packet. */
void ike_trap_fire(struct daemon *d, struct conn *trap, const uint8_t *pkt, size_t len);

/* Control: 0, or -1 with a message for the user. */
int ike_initiate(struct daemon *d, const char *child, char *err, size_t err_len);
int ike_terminate(struct daemon *d, const char *ike, const char *child, char *err, size_t err_len);
/* The unauthenticated error an initiation of child waits through, as a
 * sentence in buf, or NULL. */
const char *ike_waiting_error(const struct daemon *d, const char *child, char *buf, size_t len);

/* ike.c, ike_child.c: between the two */
#include "log.h"
void ike_rt_log(const struct ike_rt *rt, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ike_rt_after(struct ike_rt *rt); /* logs keys and news once */
/* An IKE SA of connection conn that new CHILD_SAs can use (or wait for). */
bool ike_rt_usable(const struct ike_rt *rt, const char *conn);
/* now + secs less a random part of up to rand (strongSwan's jitter), or 0
 * when secs is 0. */
time_t ike_jitter(time_t now, uint64_t secs, uint64_t rand);
/* ike_policy.c: the state machine's admission hooks (struct ike_env) for
 * an rt: authentication back-off (admit.h), `unique` and the per-identity
 * limits of its connection; and what `unique` does once rt is up. */
bool ike_policy_auth_allowed(void *arg, const struct ike_id *peer, const struct ike_path *from);
void ike_policy_auth_result(void *arg, const struct ike_id *peer, const struct ike_path *from,
                            bool ok);
bool ike_policy_child_allowed(void *arg);
void ike_policy_established(struct ike_rt *rt);
/* ike_life.c: rekeying and expiry of IKE SAs and CHILD_SAs, each tick. */
void ike_lifetimes(struct daemon *d);
int ike_initiate_conn(struct daemon *d, const struct cfg_conn *conn, unsigned k, char *err,
                      size_t err_len);
void ike_child_up_cb(void *arg, const struct ike_child_result *res);
void ike_child_down_cb(void *arg, uint32_t spi_in, uint32_t spi_out);
void ike_traps_clear(struct daemon *d);
/* Drops the packet a trap holds (its negotiation failed). */
void ike_traps_release(struct daemon *d, const char *conn, unsigned k);
/* Sends the packets traps hold for the CHILD_SA that just came up. */
void ike_traps_deliver(struct daemon *d, struct conn *child);

/* ike.c: the admission tables and the index of IKE SAs by SPI, with the
 * sockets (0 or -1: out of memory) */
int ike_tables_open(struct daemon *d);
void ike_tables_close(struct daemon *d);

/* ike_io.c */
int ike_io_open(struct daemon *d);
void ike_io_close(struct daemon *d);
void ike_io_send(struct daemon *d, const struct ike_path *path, const uint8_t *buf, size_t len);
/* One datagram: 1 (len 0 if truncated), 0 when none is left, -1. */
int ike_io_recv(struct daemon *d, enum ike_sock which, uint8_t *buf, size_t cap, size_t *len,
                struct ike_path *from);
/* The local address the kernel would use to reach remote (family 0 if
 * none). */
struct uipsec_addr ike_io_source_for(const struct uipsec_addr *remote);

#define IKE_TICK_MS  500
#define TRAP_RETRY_S 5 /* after a trap's initiation could not start */
/* Responder SAs waiting for IKE_AUTH; beyond, the oldest is evicted. */
#define IKE_HALF_OPEN_MAX 1000
/* Cookies are required above this many half-open SAs, and above
 * ADMIT_INIT_RATE IKE_SA_INIT requests a second (admit.h). */
#define IKE_COOKIE_THRESHOLD 10
#define IKE_COOKIE_ROTATE_S  120
void ike_cookie_rotate(struct daemon *d);
/* After the configuration was (re)loaded: warns of weak pre-shared keys. */
void ike_config_loaded(const struct cfg *cfg);

#endif
