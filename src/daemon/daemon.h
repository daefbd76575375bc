/* SPDX-License-Identifier: MIT */
/*
 * The unprivileged process's parts, put together (main.c wires them): a
 * record of which module owns what.  Each part's state is its own module's
 * (named beside it) and reached through that module's header only; the
 * opaque ones cannot be reached any other way.  The SAD and the SPD are
 * libuipsec's: pairs.c writes them, the data path reads them.
 */
#ifndef UIPSECD_DAEMON_H
#define UIPSECD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "dataplane.h"
#include "drops.h"
#include "net.h"
#include "netlink.h"
#include "privclient.h"
#include "tun.h"
#include "uipsec/sad.h"
#include "uipsec/spd.h"
#include "uipsec/uipsec.h"

struct vici_store;

struct daemon {
    const char *config_path;
    bool socket_from_cmdline;   /* --socket: the file's socket key is not used */
    struct cfg cfg;             /* config.h: the configuration in force */
    struct net net;             /* net.h: the outer sockets */
    struct nl nl;               /* netlink.h: the parent's; closed in the child */
    struct tun_dev tun;         /* tun.h: the TUN device */
    int epfd, sig_fd, timer_fd; /* main.c: the IKE thread's event loop */
    int fetch_fd;               /* fetcher.h: to the revocation fetcher, until ike_start */
    unsigned ticks;
    struct uipsec_spd *spd;
    struct uipsec_sad *sad;
    struct pairs *pairs;       /* pairs.h: the SA pairs, in order of installation */
    struct routes *routes;     /* routes.h: routes by destination, with references */
    bool rules_installed;      /* routes.h: the routing rules are this process's */
    struct ike_state *ike;     /* ike.h: the IKE runtime */
    struct vici_store *vstore; /* vici_store.h: what VICI loaded, laid over cfg */
    struct control *ctl;       /* control.h: the control socket and its clients */
    struct priv_client priv;   /* privclient.h: the channel to the privileged parent */
    struct dp_thread *dpt;     /* dpthread.h: the workers' threads and the SA lock */
    struct share *share;       /* share.h: one SA's batches decrypted by idle workers */
    struct handoff *handoff;   /* handoff.h: from the data path to the IKE thread */
    struct dp_worker *workers; /* dataplane.h: the data path's workers, n_workers */
    unsigned n_workers;        /* and their counters; main.c opens their sockets */
    uint64_t drops[DD_COUNT];  /* drops.h: the IKE thread's (the workers count theirs) */
    time_t started;
    volatile int stop;
};

/* main.c: MTU, routes and cleartext-drop rules after the SAs changed. */
void daemon_refresh(struct daemon *d);
/* main.c: re-reads the configuration (SIGHUP, uipsecctl reload). */
int daemon_reload(struct daemon *d, unsigned *added, unsigned *removed, unsigned *kept, char *err,
                  size_t err_len);

#endif
