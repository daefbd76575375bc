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
 *    half-open SAs, twice that for a request that echoes a cookie, and
 *    gets at most ADMIT_RESPONSE_RATE full IKE_SA_INIT answers a second,
 *    so that a spoofed source cannot use us to reflect and amplify, nor
 *    lock the owner of the address out.
 *  - Progress earns more: each half-open SA of a prefix that completes
 *    IKE_AUTH (the peer received our answer at its address and
 *    authenticated) gives the prefix ADMIT_CREDIT_PER_DONE more half-open
 *    SAs for requests that echo a cookie, up to ADMIT_HALF_OPEN_PREFIX_MAX
 *    in all (half the table), and lifts the answer rate for them (the
 *    cookie already proves the address: no reflection).  The window so
 *    grows each round trip by twice what completed, as in TCP's slow
 *    start; a gateway bringing up hundreds of tunnels to us gets them at
 *    the speed it authenticates (and paces itself: ike_pace.c).
 *    Each of its cookie-proven half-open SAs that fails, expires or is
 *    evicted halves the credit; ADMIT_CREDIT_FORGET_S without a completion
 *    forgets it.  Cookie-less SAs never cost credit: a spoofer cannot
 *    shrink another's window.
 *  - What bounds an attacker: spoofed sources get only stateless COOKIE
 *    answers once there is load; a real address that echoes cookies but
 *    cannot authenticate stays at twice ADMIT_HALF_OPEN_PER_PREFIX and
 *    ADMIT_RESPONSE_RATE; one that can authenticate is a configured
 *    identity (logged, per-identity limits), and its credit is halved by
 *    every SA it leaves unfinished.  All of them share IKE_HALF_OPEN_MAX
 *    (ike.h), the memory bound: when it is full, a newcomer evicts the
 *    oldest half-open SA of the prefix holding most SAs it has not earned
 *    (its count less its credit), and only if that prefix holds more
 *    than the newcomer's; a well-behaved peer's earned SAs go last.
 *  - Failed IKE_AUTH authentications back off per source prefix (unless
 *    it has credit: one failing identity behind a gateway must not stop
 *    the others; its failures halve the credit) and per peer identity:
 *    after ADMIT_AUTH_FREE failures each further try waits
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
#define ADMIT_HALF_OPEN_PER_PREFIX 5   /* 10 for a request that echoed a cookie */
#define ADMIT_HALF_OPEN_PREFIX_MAX 500 /* with credit: half of IKE_HALF_OPEN_MAX */
#define ADMIT_CREDIT_PER_DONE      2   /* half-open SAs earned by one that completed */
#define ADMIT_CREDIT_FORGET_S      600 /* credit forgotten after this long without progress */
#define ADMIT_RESPONSE_RATE        5   /* full IKE_SA_INIT answers a second per prefix */
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
struct admit_prefix;

struct admit *admit_new(void);
void admit_free(struct admit *a);

/* A new IKE_SA_INIT request arrived: counts it, and says whether the
 * responder is under load (it must then carry our cookie). */
bool admit_init_busy(struct admit *a, uint64_t now_ms);

/* One half-open SA as admit.c counts it, on its prefix's list (oldest
 * first); the IKE runtime embeds it in its SA. */
struct admit_ho {
    struct admit_ho *prev, *next;
    struct admit_prefix *p; /* NULL: not counted */
    bool cookie;            /* admitted on an echoed cookie */
};

/* Half-open SAs of from's prefix now, and how many it may hold for a
 * request with (cookie) or without an echoed cookie. */
size_t admit_half_open(struct admit *a, const struct uipsec_addr *from);
size_t admit_window(struct admit *a, const struct uipsec_addr *from, bool cookie, uint64_t now_ms);
/* An SA enters the half-open state, and leaves it: done when it
 * completed IKE_AUTH, else (failed, expired, evicted) it costs credit. */
void admit_half_open_add(struct admit *a, const struct uipsec_addr *from, struct admit_ho *ho,
                         bool cookie);
void admit_half_open_del(struct admit *a, struct admit_ho *ho, bool done, uint64_t now_ms);
/* The half-open table is full: the SA to evict for a newcomer from
 * `from`, the oldest of the prefix holding most unearned SAs, or NULL
 * when no prefix holds more of them than from's does. */
struct admit_ho *admit_victim(struct admit *a, const struct uipsec_addr *from);

/* Whether from's prefix may get one more full IKE_SA_INIT answer now
 * (takes one from its budget; unlimited for a request that echoed a
 * cookie from a prefix with credit). */
bool admit_response_ok(struct admit *a, const struct uipsec_addr *from, bool cookie,
                       uint64_t now_ms);

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
