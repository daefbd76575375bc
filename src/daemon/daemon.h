/* SPDX-License-Identifier: MIT */
/* The daemon's state, shared by its event loop, data path and control. */
#ifndef UIPSECD_DAEMON_H
#define UIPSECD_DAEMON_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config.h"

struct nft_ctx;
#include "net.h"
#include "netlink.h"
#include "uipsec/sad.h"
#include "uipsec/spd.h"
#include "uipsec/uipsec.h"

#define MAX_POLICIES_PER_CONN (CFG_MAX_TS * CFG_MAX_TS * 2)

/* One statically keyed connection: its SA pair and its policies. */
struct conn {
    struct cfg_manual cfg;
    struct uipsec_sa *in, *out;
    uint64_t pol[MAX_POLICIES_PER_CONN]; /* ids: outbound, inbound, outbound, ... */
    size_t npol;
    const struct uipsec_policy *in_pol[MAX_POLICIES_PER_CONN / 2]; /* live after commit */
    size_t n_in_pol;
    uint32_t max_inner; /* largest inner packet that fits the path MTU */
};

/* Drops the daemon counts outside the engine and the SPD. */
enum dd_drop {
    DD_UNKNOWN_SPI,
    DD_IKE,       /* IKE on port 4500 (non-ESP marker): no IKE here yet */
    DD_KEEPALIVE, /* NAT-keepalives: expected, counted */
    DD_TOO_BIG,
    DD_BYPASS_ON_TUN,
    DD_SEND_FAILED,
    DD_TUN_WRITE_FAILED,
    DD_COUNT
};

struct route {
    uint8_t family, plen;
    uint8_t dst[16];
};

#define MAX_ROUTES 1024

struct daemon {
    const char *config_path;
    struct cfg cfg;
    struct net net;
    struct nl nl;
    int tun_fd, epfd, ctl_fd, sig_fd, timer_fd;
    char ifname[IFNAMSIZ];
    unsigned ifindex, mtu;
    struct uipsec_spd *spd;
    struct uipsec_sad *sad;
    struct conn **conns;
    size_t nconns;
    struct route routes[MAX_ROUTES];
    size_t nroutes;
    bool rules_installed;
    struct nft_ctx *nft;     /* cleardrop.c */
    uint64_t cleardrop_base; /* cleartext drops counted before the last rebuild */
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
unsigned conns_mtu(const struct daemon *d);

/* dataplane.c */
void dp_tun_readable(struct daemon *d);
void dp_net_readable(struct daemon *d, enum net_rx which);

/* control.c */
int control_open(struct daemon *d);
void control_close(struct daemon *d);
void control_readable(struct daemon *d);

/* Re-reads the configuration (SIGHUP, uipsecctl reload). */
int daemon_reload(struct daemon *d, unsigned *added, unsigned *removed, unsigned *kept, char *err,
                  size_t err_len);

#endif
