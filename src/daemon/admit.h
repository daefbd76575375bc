/* SPDX-License-Identifier: MIT */
/*
 * Admission of unauthenticated IKE work (docs/SECURITY.md, "Limits"):
 * who may cost the responder a key exchange, memory or a PSK check.
 *
 *  - Load is measured by work done: IKE_SA_INIT requests for new SAs per
 *    second (a token bucket, as WireGuard's and strongSwan's init limits),
 *    not by the half-open SAs that survive, which invalid requests never
 *    make.  Above ADMIT_INIT_RATE a request must echo a cookie.
 *  - Sources are prefixes: an IPv4 address, or an IPv6 /64 (one host owns
 *    a whole /64).  Each holds at most ADMIT_HALF_OPEN_PER_PREFIX
 *    half-open SAs (twice that once it echoed a cookie) and gets at most
 *    ADMIT_RESPONSE_RATE full IKE_SA_INIT answers a second, so that a
 *    spoofed source cannot use us to reflect and amplify.
 *  - Failed IKE_AUTH authentications back off per source prefix and per
 *    peer identity: after ADMIT_AUTH_FREE failures each further try waits
 *    twice as long, from 1 s up to ADMIT_AUTH_BACKOFF_MAX_MS; a success
 *    forgives, and so do ADMIT_AUTH_FORGET_S without failure.  Their log
 *    lines are rate limited, with a summary of what was suppressed.
 *
 * All tables are fixed in size; what is forgotten first is what was used
 * least recently (never a prefix that still holds half-open SAs).
 */
#ifndef UIPSECD_ADMIT_H
#define UIPSECD_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikesa.h"
#include "uipsec/uipsec.h"

#define ADMIT_INIT_RATE            100 /* IKE_SA_INIT a second before cookies are required */
#define ADMIT_INIT_BURST           100
#define ADMIT_HALF_OPEN_PER_PREFIX 5 /* 10 once the prefix echoed a cookie */
#define ADMIT_RESPONSE_RATE        5 /* full IKE_SA_INIT answers a second per prefix */
#define ADMIT_RESPONSE_BURST       10
#define ADMIT_AUTH_FREE            2    /* failures before the back-off starts */
#define ADMIT_AUTH_BACKOFF_MS      1000 /* the first wait, doubled per failure */
#define ADMIT_AUTH_BACKOFF_MAX_MS  60000
#define ADMIT_AUTH_FORGET_S        600 /* failures forgotten after this long without one */
#define ADMIT_LOG_QUIET_S          10  /* one line per source, then a summary */
#define ADMIT_LOG_MAX_PER_S        10  /* authentication failure lines, all sources */
#define ADMIT_PREFIXES             4096
#define ADMIT_IDS                  1024

struct admit;

struct admit *admit_new(void);
void admit_free(struct admit *a);

/* A new IKE_SA_INIT request arrived: counts it, and says whether the
 * responder is under load (it must then carry our cookie). */
bool admit_init_busy(struct admit *a, uint64_t now_ms);

/* Half-open SAs of from's prefix, and the bookkeeping as SAs enter and
 * leave that state (leave: established, failed or gone). */
size_t admit_half_open(struct admit *a, const struct uipsec_addr *from);
void admit_half_open_add(struct admit *a, const struct uipsec_addr *from);
void admit_half_open_del(struct admit *a, const struct uipsec_addr *from);

/* Whether from's prefix may get one more full IKE_SA_INIT answer now
 * (takes one from its budget). */
bool admit_response_ok(struct admit *a, const struct uipsec_addr *from, uint64_t now_ms);

/* Whether a peer may have its AUTH checked now: 0, or the milliseconds
 * the source (*why "source") or the identity (*why "identity") must
 * still wait.  A refusal is logged (rate limited). */
uint64_t admit_auth_wait(struct admit *a, const struct ike_id *id, const struct uipsec_addr *from,
                         uint64_t now_ms, const char **why);
/* The outcome of an AUTH check: a failure backs off (and is logged, rate
 * limited, with why when not NULL), a success forgives both the source
 * and the identity. */
void admit_auth_result(struct admit *a, const struct ike_id *id, const struct uipsec_addr *from,
                       bool ok, const char *why, uint64_t now_ms);

/* Summary lines of what the log suppressed; call it every tick. */
void admit_tick(struct admit *a, uint64_t now_ms);

/* The prefix key of an address (exposed for the tests): IPv4 whole, IPv6
 * its first 64 bits. */
void admit_prefix(const struct uipsec_addr *a, uint8_t key[9]);

#endif
