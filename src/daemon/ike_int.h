/* SPDX-License-Identifier: MIT */
/*
 * The IKE runtime's own state, shared by ike*.c and nothing else: the
 * IKE SAs (struct ike_rt), the index of them by SPI, the half-open
 * responder SAs oldest first, the cookie secrets, the admission tables
 * and the sockets.  Other modules see the runtime through ike.h only.
 */
#ifndef UIPSECD_IKE_INT_H
#define UIPSECD_IKE_INT_H

#include "admit.h"
#include "ike.h"
#include "log.h"

struct admit;
struct fetch_client;
struct ike_creds_cache;
struct ike_pace;
struct ike_spis;

struct ike_state {
    struct ike_rt *list; /* every IKE SA, newest first */
    unsigned ids;        /* the last "#n" given */
    int fd[IKE_SOCK_COUNT];
    uint8_t cookie_secret[2][32]; /* IKE cookies: generation g uses [g & 1] */
    uint8_t cookie_gen;
    time_t cookie_rotated;
    struct admit *admit;           /* admit.c: who may cost IKE work */
    struct ike_spis *spis;         /* ike_table.c: the IKE SAs by SPI */
    size_t n_half_open;            /* responder SAs waiting for IKE_AUTH */
    struct ike_pace *pace;         /* ike_pace.c: our initiations per peer */
    struct ike_revoc *revoc;       /* revoc.h: fetched CRLs and OCSP answers */
    struct fetch_client *fetch;    /* fetch.h: the way to the fetcher */
    struct ike_creds_cache *creds; /* ike_creds.h: certificates per connection */
};

/* The daemon's view of one IKE SA. */
struct ike_rt {
    struct daemon *d;
    struct ike_rt *next, **pprev; /* d->ike->list */
    struct ike_rt *spi_next;      /* linked (it has an SA): in d->ike->spis */
    /* a responder SA waiting for IKE_AUTH: counted for its address's
     * prefix, on its list of those (admit.h) */
    struct admit_ho ho;
    bool half_open;
    bool paced;           /* an initiation counted in flight to its peer (ike_pace.c) */
    bool quiet;           /* its failure was logged rate-limited already */
    struct ike_sa *sa;    /* NULL only while it is being made */
    struct ike_path path; /* where it started (the SA's own path after that) */
    struct cfg_conn conn; /* the configuration it was made from (a copy) */
    struct ike_cfg icfg;  /* built from conn and the addresses */
    struct ike_env env;
    unsigned id;       /* "#1", "#2", ... as strongSwan counts */
    unsigned rekey_of; /* the id of the IKE SA it rekeyed, or 0 */
    time_t created, established;
    time_t rekey_at, expire_at; /* lifetimes of the IKE SA (0: none) */
    bool keys_logged;
    uint64_t seen;     /* IKE messages and ESP packets from the peer, last count */
    time_t last_heard; /* when seen last changed: dead peer detection */
    bool child_pending[CFG_MAX_CHILDREN]; /* asked for, not yet up or refused */
};

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
void ike_traps_deliver(struct daemon *d, struct sa_pair *child);

/* ike_fetch.c: the revocation cache and its fetcher (made in the IKE
 * process: ike_start; freed by ike_stop). */
int ike_fetch_start(struct daemon *d);
void ike_fetch_reload(struct daemon *d); /* the authorities' URIs again */
void ike_fetch_stop(struct daemon *d);
void ike_fetch_tick(struct daemon *d);

/* ike.c: the admission tables and the index of IKE SAs by SPI, with the
 * sockets (0 or -1: out of memory) */
int ike_tables_open(struct daemon *d);
void ike_tables_close(struct daemon *d);

/* ike_table.c: the IKE SAs by SPI, and the half-open ones. */
void ike_table_link(struct daemon *d, struct ike_rt *rt);
void ike_table_unlink(struct ike_rt *rt);
struct ike_rt *ike_table_find(struct daemon *d, const struct ike_hdr *h);
void ike_half_open_add(struct ike_rt *rt, bool cookie); /* admitted on an echoed cookie */
void ike_half_open_del(struct ike_rt *rt);
/* The table of them is full: the one to evict for a newcomer from
 * `from` (admit_victim), or NULL. */
struct ike_rt *ike_half_open_victim(struct daemon *d, const struct uipsec_addr *from);

/* ike_pace.c: our initiations to one peer address, at most a window of
 * them waiting for IKE_AUTH at a time; the others queue.  queue: whether
 * the initiation of conn's child k waits (queued; 0 for the caller);
 * start: rt was sent, it counts; end: it is up (ok) or failed or gone;
 * run (after every event): starts what may start now. */
#define IKE_PACE_WINDOW     8 /* below twice ADMIT_HALF_OPEN_PER_PREFIX */
#define IKE_PACE_WINDOW_MAX 64
bool ike_pace_queue(struct daemon *d, const struct cfg_conn *conn, unsigned k);
void ike_pace_start(struct ike_rt *rt);
void ike_pace_end(struct ike_rt *rt, bool ok);
void ike_pace_run(struct daemon *d);
void ike_pace_free(struct daemon *d);

#endif
