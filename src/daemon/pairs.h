/* SPDX-License-Identifier: MIT */
/*
 * The SA pairs uipsecd runs (struct sa_pair): each is one SA in each
 * direction with its policies in the SPD.  They come from the manual
 * connections of the configuration, from CHILD_SAs IKE negotiates, and
 * from traps.  pairs.c owns the table of them (in order of installation)
 * and keeps the SAD, the SPD, the routes (routes.h) and the cleartext
 * drops (guard.h) in step with it.
 */
#ifndef UIPSECD_PAIRS_H
#define UIPSECD_PAIRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "uipsec/spd.h"
#include "uipsec/uipsec.h"

#define MAX_POLICIES_PER_PAIR (CFG_MAX_TS * CFG_MAX_TS * 2)
#define PAIR_OVH_MAX          1024 /* overheads counted one by one; larger ones as this */

struct daemon;
struct ike_rt;
struct seqres;

/* One SA pair and its policies: a statically keyed connection (manual),
 * a CHILD_SA negotiated by IKE (ike set), or a trap (start_action = trap:
 * an outbound policy without SA whose first packet starts IKE). */
struct sa_pair {
    struct cfg_manual cfg; /* manual: as configured; else for display (no keys) */
    struct ike_rt *ike;    /* the IKE SA that negotiated it, or NULL */
    bool trap;
    unsigned child;                         /* IKE: index of the child config in its connection */
    char conn_name[64];                     /* IKE: the connection's name */
    struct uipsec_selector sel[CFG_MAX_TS]; /* IKE: the negotiated selectors */
    size_t nsel;
    time_t installed;
    time_t rekey_at, expire_at; /* IKE: lifetimes (0: none) */
    uint8_t *held;              /* trap: the first packet, sent once the CHILD_SA is up */
    time_t retry_at;            /* trap: no new initiation before (the last one failed) */
    size_t held_len;
    struct uipsec_sa *in, *out;
    struct seqres *seq; /* manual_seq.c: reserved outbound sequence numbers, or NULL */
    uint64_t pol[MAX_POLICIES_PER_PAIR]; /* ids: outbound, inbound, outbound, ... */
    size_t npol;
    const struct uipsec_policy *in_pol[MAX_POLICIES_PER_PAIR / 2]; /* live after commit */
    size_t n_in_pol;
    uint32_t max_inner;         /* largest inner packet that fits the path MTU */
    uint16_t ovh;               /* pairs.c: its outbound SA's overhead, counted in ovh_count */
    size_t at;                  /* pairs.c: its slot */
    bool guarded;               /* guard.c: its selectors and peer are in the drop sets */
    bool routed;                /* routes.c: its outbound selectors hold routes */
    bool handed;                /* handoff.c: a trap's packet waits for the IKE thread */
    uint32_t replaces;          /* IKE: the inbound SPI of the CHILD_SA it rekeyed, or 0 */
    unsigned reqid;             /* IKE and traps: reqids.h, as charon's (0: none) */
    uint64_t seen_in, seen_out; /* IKE: packets each way at the last tick (ike_life.c) */
    time_t used_in, used_out;   /* and when that count last changed (0: never) */
};

/* Makes, replaces and removes the manual SA pairs of cfg. */
int pairs_apply(struct daemon *d, const struct cfg *cfg, unsigned *added, unsigned *removed,
                unsigned *kept, char *err, size_t err_len);
void pairs_clear(struct daemon *d);
/* Adds a negotiated CHILD_SA (in, out: its SAs' parameters) or a trap (in,
 * out NULL) described by c (cfg for display, sel, nsel, ike, trap, child,
 * conn_name); takes c.  NULL with a message on failure (c freed). */
struct sa_pair *pairs_add(struct daemon *d, struct sa_pair *c, const struct uipsec_sa_params *in,
                          const struct uipsec_sa_params *out, char *err, size_t err_len);
void pairs_del(struct daemon *d, struct sa_pair *c);
/* A rekeyed CHILD_SA: its successor sends from now on; its inbound SA and
 * policies stay until its DELETE is answered. */
void pairs_drop_outbound(struct daemon *d, struct sa_pair *c);
/* The selector pairs of local x remote lists of the same family; "dynamic"
 * is the address given for that side.  0 or -1 with why. */
int pairs_selectors(const char (*l)[64], size_t nl, const char (*r)[64], size_t nr,
                    const struct uipsec_addr *local, const struct uipsec_addr *remote,
                    struct uipsec_selector *out, size_t max, size_t *n, char *why, size_t why_len);
unsigned pairs_mtu(const struct daemon *d);
/* The table's slots, for walking it: pairs_at is NULL for an empty slot.
 * Removing a pair may pack the table: a walk that removes pairs goes from
 * the last slot down and checks the index against pairs_slots. */
size_t pairs_slots(const struct daemon *d);
struct sa_pair *pairs_at(const struct daemon *d, size_t i);

#endif
