/* SPDX-License-Identifier: MIT */
/* The daemon's state, shared by its event loop, data path and control. */
#ifndef UIPSECD_DAEMON_H
#define UIPSECD_DAEMON_H

#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config.h"

struct routes;
struct priv_handlers;
#include "net.h"
#include "netlink.h"
#include "uipsec/sad.h"
#include "uipsec/spd.h"
#include "uipsec/uipsec.h"

#define MAX_POLICIES_PER_CONN (CFG_MAX_TS * CFG_MAX_TS * 2)

struct ike_rt;
struct seqres;

/* One SA pair and its policies: a statically keyed connection (manual),
 * a CHILD_SA negotiated by IKE (ike set), or a trap (start_action = trap:
 * an outbound policy without SA whose first packet starts IKE). */
struct conn {
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
    uint64_t pol[MAX_POLICIES_PER_CONN]; /* ids: outbound, inbound, outbound, ... */
    size_t npol;
    const struct uipsec_policy *in_pol[MAX_POLICIES_PER_CONN / 2]; /* live after commit */
    size_t n_in_pol;
    uint32_t max_inner; /* largest inner packet that fits the path MTU */
    uint16_t ovh;       /* conns.c: its outbound SA's overhead, counted in ovh_count */
    size_t at;          /* conns.c: its index in daemon.conns */
    bool guarded;       /* guard.c: its selectors and peer are in the drop sets */
    bool routed;        /* routes.c: its outbound selectors hold routes */
    bool handed;        /* handoff.c: a trap's packet waits for the IKE thread */
};

/* Drops the daemon counts outside the engine and the SPD. */
enum dd_drop {
    DD_UNKNOWN_SPI,
    DD_IKE_MALFORMED,    /* not an IKEv2 header, or marker missing */
    DD_IKE_UNKNOWN_SPI,  /* no IKE SA with these SPIs */
    DD_IKE_NO_CONN,      /* IKE_SA_INIT from addresses no connection takes */
    DD_IKE_HALF_OPEN,    /* IKE_SA_INIT while too many SAs wait for IKE_AUTH */
    DD_IKE_DROPPED,      /* the IKE SA dropped it (see the log: decode, ICV, state) */
    DD_IKE_BAD_KE,       /* IKE_SA_INIT whose KE value is not of its group: no answer */
    DD_IKE_COOKIE,       /* IKE_SA_INIT without our cookie while under load: answered */
    DD_IKE_INIT_RATE,    /* IKE_SA_INIT beyond its prefix's rate of full answers */
    DD_IKE_EVICTED,      /* half-open SAs evicted for newer ones (not a datagram) */
    DD_IKE_AUTH_BACKOFF, /* IKE_AUTH refused unchecked: failures back off */
    DD_HANDOFF_DROP,     /* queue to the IKE thread full, or a trap packet too large */
    DD_TRAP_PENDING,     /* a trap already holds a packet while IKE negotiates */
    DD_KEEPALIVE,        /* NAT-keepalives: expected, counted */
    DD_TOO_BIG,
    DD_BYPASS_ON_TUN,
    DD_SEND_FAILED,
    DD_TUN_WRITE_FAILED,
    DD_COUNT
};

#define CONN_OVH_MAX 1024 /* overheads counted one by one; larger ones as this */

/* Control clients that may wait for `initiate` at once, and how long. */
#define CTL_MAX_WAITING    16
#define CTL_WAIT_DEFAULT_S 30

struct daemon {
    const char *config_path;
    bool socket_from_cmdline; /* --socket: the file's socket key is not used */
    struct cfg cfg;
    struct net net;
    struct nl nl;
    int tun_fd, epfd, ctl_fd, sig_fd, timer_fd;
    char ifname[IFNAMSIZ];
    unsigned ifindex, mtu;
    struct uipsec_spd *spd;
    struct uipsec_sad *sad;
    struct conn **conns; /* in order of installation; NULL: a hole (conns.c) */
    size_t nconns, conns_cap, conns_holes;
    uint32_t ovh_count[CONN_OVH_MAX]; /* conns by the overhead of their outbound SA */
    struct routes *routes;            /* routes.c: routes by destination, with references */
    bool rules_installed;
    struct ike_rt *ike; /* ike.c: the IKE SAs */
    unsigned ike_ids;
    int ike_fd[3]; /* enum ike_sock */
    unsigned ticks;
    uint8_t cookie_secret[2][32]; /* IKE cookies: generation g uses [g & 1] */
    uint8_t cookie_gen;
    time_t cookie_rotated;
    struct admit *admit;                          /* admit.c: who may cost IKE work */
    struct ike_spis *ike_spis;                    /* ike.c: the IKE SAs by SPI */
    struct ike_rt *half_open_old, *half_open_new; /* ike.c: waiting for IKE_AUTH */
    size_t n_half_open;
    struct control *ctl; /* control.c: the control socket and its clients */
    /* privclient.h: the channel to the privileged parent and the memory
     * file it passes configurations in; or, without a parent (a fuzzer),
     * handlers in-process */
    int priv_fd, cfg_fd;
    const struct priv_handlers *priv_local;
    /* dpthread.h: the data path's thread, and the lock on the SAs,
     * policies and conns it shares with the IKE thread */
    pthread_rwlock_t sa_lock;
    bool sa_lock_made, dp_running;
    bool sa_locked;         /* by the IKE thread (only it reads this) */
    atomic_bool dp_waiting; /* the data path waits for the lock: the IKE thread yields */
    pthread_t dp_thread;
    int dp_epfd, dp_stop_fd;
    struct handoff *handoff; /* handoff.h */
    int handoff_fd;
    uint64_t drops[DD_COUNT];
    uint64_t drops_engine[UIPSEC_RESULT_COUNT]; /* decap drops before an SA was found */
    time_t started;
    volatile int stop;
};

const char *dd_drop_name(enum dd_drop d);

/* conns.c: make, replace and remove the SAs and policies of the config. */
int conns_apply(struct daemon *d, const struct cfg *cfg, unsigned *added, unsigned *removed,
                unsigned *kept, char *err, size_t err_len);
void conns_clear(struct daemon *d);
/* Adds a negotiated CHILD_SA (in, out: its SAs' parameters) or a trap (in,
 * out NULL) described by c (cfg for display, sel, nsel, ike, trap, child,
 * conn_name); takes c.  NULL with a message on failure (c freed). */
struct conn *conns_add(struct daemon *d, struct conn *c, const struct uipsec_sa_params *in,
                       const struct uipsec_sa_params *out, char *err, size_t err_len);
void conns_del(struct daemon *d, struct conn *c);
/* A rekeyed CHILD_SA: its successor sends from now on; its inbound SA and
 * policies stay until its DELETE is answered. */
void conns_drop_outbound(struct daemon *d, struct conn *c);
/* The selector pairs of local x remote lists of the same family; "dynamic"
 * is the address given for that side.  0 or -1 with why. */
int conns_selectors(const char (*l)[64], size_t nl, const char (*r)[64], size_t nr,
                    const struct uipsec_addr *local, const struct uipsec_addr *remote,
                    struct uipsec_selector *out, size_t max, size_t *n, char *why, size_t why_len);
unsigned conns_mtu(const struct daemon *d);

/* guard.c: the cleartext-drop elements c needs (add: its live inbound
 * PROTECT selectors and its peer) or gives back, queued in the parent's
 * cleardrop.h; 0, or -1: c must not carry traffic (fail closed).
 * guard_commit sends the queue as one transaction when rc is 0, or takes
 * it back; 0 or -1. */
int guard_conn(struct daemon *d, struct conn *c, bool add);
int guard_commit(struct daemon *d, int rc);

/* MTU, routes and cleartext-drop rules after the SAs changed. */
void daemon_refresh(struct daemon *d);

/* dataplane.c */
void dp_tun_readable(struct daemon *d);
/* Protects and sends one inner packet held back by a trap. */
void dp_send_held(struct daemon *d, struct conn *c, const uint8_t *pkt, size_t len);
void dp_net_readable(struct daemon *d, enum net_rx which);

/* control.c */
int control_open(struct daemon *d);
void control_close(struct daemon *d);
/* The socket file is another process's to remove (uipsecd's parent). */
void control_disown(struct daemon *d);
/* The socket takes its name: the daemon is ready (ctl_socket_publish). */
int control_publish(struct daemon *d);
void control_readable(struct daemon *d);
/* Answers the clients waiting on `initiate` of child: result (borrowed)
 * or error. */
struct cJSON;
void control_child_done(struct daemon *d, const char *child, struct cJSON *result,
                        const char *error);
void control_tick(struct daemon *d); /* answers waits that timed out */

/* Re-reads the configuration (SIGHUP, uipsecctl reload). */
int daemon_reload(struct daemon *d, unsigned *added, unsigned *removed, unsigned *kept, char *err,
                  size_t err_len);

#endif
