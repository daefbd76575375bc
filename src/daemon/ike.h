/* SPDX-License-Identifier: MIT */
/*
 * uipsecd's IKEv2 side: the IKE SAs of the `connections` configuration,
 * their UDP sockets (500, and 4500 with the non-ESP marker, RFC 3948),
 * timers, and the CHILD_SAs they negotiate, installed as struct sa_pair like
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
struct sa_pair;

/* The UDP sockets the IKE side reads itself (port 4500 is the data
 * path's: it hands non-ESP datagrams to ike_input_encap). */
enum ike_sock { IKE_SOCK_500_V4, IKE_SOCK_500_V6, IKE_SOCK_COUNT };

int ike_start(struct daemon *d);   /* sockets, start_action = start | trap */
void ike_stop(struct daemon *d);   /* DELETE for each IKE SA, then free */
void ike_reload(struct daemon *d); /* traps follow the new configuration */
void ike_readable(struct daemon *d, enum ike_sock which);
/* An IKE datagram on port 4500 inside the IPv4 or IPv6 and UDP headers
 * the data path rebuilt, non-ESP marker included. */
void ike_input_encap(struct daemon *d, const uint8_t *pkt, size_t len);
/* One IKE datagram (without the non-ESP marker) from `from`: what the
 * sockets' readers call, and the runtime's fuzzer (fuzz_ike_rt). */
void ike_input(struct daemon *d, const uint8_t *buf, size_t len, const struct ike_path *from);
void ike_tick(struct daemon *d); /* every IKE_TICK_MS */
/* The revocation fetcher's stream (-1: none) and its answers. */
int ike_fetch_fd(const struct daemon *d);
void ike_fetch_readable(struct daemon *d);
void ike_reap(struct daemon *d); /* frees the IKE SAs that ended */
/* A packet hit a trap policy: start the CHILD_SA and hold the packet. */
void ike_trap_fire(struct daemon *d, struct sa_pair *trap, const uint8_t *pkt, size_t len);

/* What control shows of an IKE SA. */
struct ike_view {
    const struct ike_rt *rt; /* what its CHILD_SAs' sa_pair.ike points to */
    const struct ike_sa *sa;
    const char *conn; /* its connection's name */
    unsigned id;      /* "#n" */
    time_t established;
    time_t rekey_at;   /* when it is rekeyed (0: never) */
    unsigned rekey_of; /* the id of the IKE SA it replaced by a rekey, or 0 */
};
/* The next IKE SA after `after` (NULL: the first) that has an SA, in *v;
 * NULL after the last. */
const struct ike_rt *ike_view_next(const struct daemon *d, const struct ike_rt *after,
                                   struct ike_view *v);

/* Control: 0, or -1 with a message for the user. */
int ike_initiate(struct daemon *d, const char *child, char *err, size_t err_len);
int ike_terminate(struct daemon *d, const char *ike, const char *child, char *err, size_t err_len);
/* The IKE SA "#id" alone (VICI's ike-id). */
int ike_terminate_id(struct daemon *d, unsigned id, char *err, size_t err_len);
/* The unauthenticated error an initiation of child waits through, as a
 * sentence in buf, or NULL. */
const char *ike_waiting_error(const struct daemon *d, const char *child, char *buf, size_t len);

/* ike_io.c */
int ike_io_open(struct daemon *d);
void ike_io_close(struct daemon *d);
/* A socket of the IKE side, for the event loop (-1: none). */
int ike_socket(const struct daemon *d, enum ike_sock which);
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
