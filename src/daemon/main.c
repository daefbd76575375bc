/* SPDX-License-Identifier: MIT */
/* uipsecd: set-up, the event loop, reload and shutdown. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "certwatch.h"
#include "control.h"
#include "daemon.h"
#include "dpthread.h"
#include "fetcher.h"
#include "handoff.h"
#include "ike.h"
#include "log.h"
#include "manual_seq.h"
#include "pairs.h"
#include "privclient.h"
#include "privsep.h"
#include "routes.h"
#include "sandbox.h"
#include "seqstore.h"
#include "tun.h"
#include "vici_store.h"
#include "workers.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: uipsecd --config FILE [--socket PATH] [--foreground] [--debug]\n"
               "  --config FILE   swanctl.conf-style configuration (docs/CONFIGURATION.md)\n"
               "  --socket PATH   control socket (default: uipsec.socket, /run/uipsecd.sock)\n"
               "  --foreground    stay attached to the terminal (logs go to stderr)\n"
               "  --debug         log debug messages\n"
               "Signals: SIGTERM/SIGINT stop cleanly, SIGHUP reloads the configuration.\n");
}

struct opts {
    const char *config, *socket;
    bool foreground, debug;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
    static const struct option longs[] = {
        {"config", required_argument, NULL, 'c'}, {"socket", required_argument, NULL, 's'},
        {"foreground", no_argument, NULL, 'f'},   {"debug", no_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    int c;

    while ((c = getopt_long(argc, argv, "c:s:fdh", longs, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->config = optarg;
            break;
        case 's':
            o->socket = optarg;
            break;
        case 'f':
            o->foreground = true;
            break;
        case 'd':
            o->debug = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (!o->config || optind != argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

static int add_fd(struct daemon *d, int fd, uint64_t tag)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

    return fd < 0 ? 0 : epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

enum { TAG_HANDOFF = 100, TAG_CTL, TAG_SIG, TAG_TIMER, TAG_PRIV, TAG_FETCH, TAG_IKE };

#define KEEPALIVE_SECONDS 20 /* RFC 3948 4: the suggested default */

/* One timer: IKE's retransmissions every tick, and NAT mappings on the way
 * to an ESP-in-UDP peer, which expire when idle: a keepalive every 20 s
 * holds them open. */
static int start_timer(struct daemon *d)
{
    struct itimerspec its = {.it_interval = {0, IKE_TICK_MS * 1000000L},
                             .it_value = {0, IKE_TICK_MS * 1000000L}};

    d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (d->timer_fd < 0 || timerfd_settime(d->timer_fd, 0, &its, NULL) < 0)
        return -1;
    return 0;
}

/* The certificates in use that expire soon, checked at start, at every
 * reload and hourly (certwatch.h). */
static struct certwatch certwatch;

static void cert_log(void *arg, int level, const char *line)
{
    (void)arg;
    log_msg(level ? LOG_WARN : LOG_ERR, "%s", line);
}

static void on_timer(struct daemon *d)
{
    uint64_t ticks;

    if (read(d->timer_fd, &ticks, sizeof(ticks)) != sizeof(ticks))
        return;
    ike_tick(d);
    control_tick(d);
    certwatch_tick(&certwatch, &d->cfg, time(NULL), cert_log, NULL);
    if ((d->ticks + 1) % (1000 / IKE_TICK_MS) == 0)
        mseq_tick(d); /* manual AEAD SAs: sequence numbers reserved ahead of use */
    if (++d->ticks % (KEEPALIVE_SECONDS * 1000 / IKE_TICK_MS) != 0)
        return;
    for (size_t i = 0; i < pairs_slots(d); i++)
        if (pairs_at(d, i) && pairs_at(d, i)->cfg.encap &&
            net_send_keepalive(&d->net, &pairs_at(d, i)->cfg.remote) < 0)
            d->drops[DD_SEND_FAILED]++;
}

static int setup_tun(struct daemon *d)
{
    if (tun_open(d->cfg.ifname, d->cfg.offload, d->n_workers > 1, &d->tun) < 0) {
        d->tun.fd = -1;
        log_err("cannot create TUN device %s: %s (needs root and /dev/net/tun%s)", d->cfg.ifname,
                strerror(errno),
                d->n_workers > 1 ? ", and with several workers multi-queue TUN devices: or set "
                                   "uipsec.workers = 1"
                                 : "");
        return -1;
    }
    d->tun.index = if_nametoindex(d->tun.name);
    if (d->tun.vnet)
        log_info("%s: segmentation offloads: %s", d->tun.name, tun_offload_name(&d->tun));
    if (d->cfg.tun_addr4.family)
        nl_addr_add(&d->nl, d->tun.index, 4, d->cfg.tun_addr4.bytes, 32);
    if (d->cfg.tun_addr6.family)
        nl_addr_add(&d->nl, d->tun.index, 6, d->cfg.tun_addr6.bytes, 128);
    return 0;
}

/* The MTU follows the SAs after every change (routes and cleartext drops
 * follow them as pairs.c adds and removes them); O(1), so a CHILD_SA costs
 * the same with 10 or 10,000 others. */
void daemon_refresh(struct daemon *d)
{
    unsigned mtu = pairs_mtu(d);
    int rc;

    if (mtu == d->tun.mtu)
        return;
    d->tun.mtu = mtu;
    if ((rc = priv_set_mtu(d, d->tun.mtu)) < 0)
        log_warn("cannot set %s up with MTU %u: %s", d->tun.name, d->tun.mtu, strerror(-rc));
}

/* As root, before the split: everything that needs privileges to open. */
static int start_privileged(struct daemon *d)
{
    d->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (d->epfd < 0 || nl_open(&d->nl) < 0) {
        log_err("cannot start: %s", strerror(errno));
        return -1;
    }
    d->n_workers = workers_count(&d->cfg);
    if (setup_tun(d) < 0 || workers_open(d) < 0 || routes_setup(d) < 0 || ike_io_open(d) < 0 ||
        control_open(d) < 0 || start_timer(d) < 0)
        return -1;
    ike_config_loaded(&d->cfg);
    return 0;
}

/* In the unprivileged child: the SAs, IKE, and the event loop's sources. */
static int start(struct daemon *d)
{
    unsigned added, removed, kept;
    char err[600];

    d->spd = uipsec_spd_new();
    d->sad = uipsec_sad_new();
    d->vstore = vstore_new();
    if (!d->spd || !d->sad || !d->vstore || vstore_base(d->vstore, &d->cfg) < 0) {
        log_err("cannot start: %s", strerror(errno));
        return -1;
    }
    if (pairs_apply(d, &d->cfg, &added, &removed, &kept, err, sizeof(err)) < 0) {
        log_err("%s", err);
        return -1;
    }
    daemon_refresh(d);
    if (ike_start(d) < 0 || handoff_open(d) < 0 || dp_thread_start(d) < 0)
        return -1;
    sa_write_lock(d); /* the IKE thread's, but while it waits (loop) */
    add_fd(d, handoff_fd(d), TAG_HANDOFF);
    add_fd(d, d->priv.fd, TAG_PRIV);
    add_fd(d, control_fd(d), TAG_CTL);
    add_fd(d, d->sig_fd, TAG_SIG);
    add_fd(d, d->timer_fd, TAG_TIMER);
    add_fd(d, ike_fetch_fd(d), TAG_FETCH);
    for (int i = 0; i < IKE_SOCK_COUNT; i++)
        add_fd(d, ike_socket(d, (enum ike_sock)i), TAG_IKE + (uint64_t)i);
    if (priv_ready(d) < 0) /* the control socket takes its name */
        log_warn("the control socket could not be published: see the log");
    log_info("started: %s, MTU %u, %u data-path worker%s, %zu manual SA pair%s, %zu IKE "
             "connection%s, control socket %s",
             d->tun.name, d->tun.mtu, d->n_workers, d->n_workers == 1 ? "" : "s", d->cfg.n_manual,
             d->cfg.n_manual == 1 ? "" : "s", d->cfg.n_ike_conns,
             d->cfg.n_ike_conns == 1 ? "" : "s", d->cfg.socket_path);
    return 0;
}

static void stop(struct daemon *d)
{
    sa_write_unlock(d);
    dp_thread_stop(d); /* from here on one thread */
    handoff_close(d);
    control_close(d);
    if (d->spd) { /* the child's */
        ike_stop(d);
        pairs_clear(d);
    } else {
        ike_io_close(d);
    }
    routes_teardown(d);
    workers_close(d);
    net_close(&d->net);
    if (d->tun.fd >= 0)
        close(d->tun.fd); /* the device and its routes disappear with it */
    if (d->tun.dropped_fd >= 0)
        close(d->tun.dropped_fd);
    nl_close(&d->nl);
    if (d->epfd >= 0)
        close(d->epfd);
    if (d->timer_fd >= 0)
        close(d->timer_fd);
    uipsec_spd_free(d->spd);
    uipsec_sad_free(d->sad);
    vstore_free(d->vstore);
    cfg_free(&d->cfg);
}

/* IKE connections in the counts of a reload (their SAs stay either way:
 * an IKE SA keeps the configuration it was made with). */
static void count_ike_changes(const struct cfg *old, const struct cfg *next, unsigned *added,
                              unsigned *removed, unsigned *kept)
{
    for (size_t i = 0; i < next->n_ike_conns; i++) {
        bool same = false, named = false;

        for (size_t j = 0; j < old->n_ike_conns; j++)
            if (!strcmp(old->ike_conns[j].name, next->ike_conns[i].name)) {
                named = true;
                same = cfg_conn_equal(&old->ike_conns[j], &next->ike_conns[i]);
            }
        *kept += same;
        *added += !same;
        *removed += named && !same;
    }
    for (size_t j = 0; j < old->n_ike_conns; j++) {
        bool found = false;

        for (size_t i = 0; i < next->n_ike_conns; i++)
            found |= !strcmp(old->ike_conns[j].name, next->ike_conns[i].name);
        *removed += !found;
    }
}

int daemon_reload(struct daemon *d, unsigned *added, unsigned *removed, unsigned *kept, char *err,
                  size_t err_len)
{
    struct cfg next;

    if (priv_config(d, &next, err, err_len) < 0) { /* the parent reads the file */
        log_err("reload refused, configuration unchanged: %s", err);
        return -1;
    }

    if (pairs_apply(d, &next, added, removed, kept, err, err_len) < 0) {
        log_err("reload failed: %s", err);
        cfg_free(&next);
        return -1;
    }
    if (d->vstore && (vstore_base(d->vstore, &next) < 0 || /* what VICI loaded stays */
                      vstore_apply(d->vstore, &next, false, err, err_len) < 0))
        log_err("reload: what was loaded over VICI is left out: out of memory");
    count_ike_changes(&d->cfg, &next, added, removed, kept);
    cfg_free(&d->cfg);
    d->cfg = next;
    ike_reload(d);
    log_info("reloaded: %u added, %u removed, %u unchanged", *added, *removed, *kept);
    certwatch_check(&certwatch, &d->cfg, time(NULL), cert_log, NULL);
    return 0;
}

static void on_signal(struct daemon *d)
{
    struct signalfd_siginfo si;
    unsigned a, r, k;
    char err[600];

    while (read(d->sig_fd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGHUP)
            daemon_reload(d, &a, &r, &k, err, sizeof(err));
        else
            d->stop = 1;
    }
}

/* Between calls the parent says nothing: the channel wakes the loop only
 * with an answer that came after its call gave up (dropped), or because
 * the parent is gone, and then nothing privileged can be done any more:
 * the child stops (its SAs cannot change safely without the parent). */
static void on_parent(struct daemon *d)
{
    uint8_t late[PRIV_HDR_LEN + PRIV_REPLY_DATA + 16];
    ssize_t n;

    while ((n = recv(d->priv.fd, late, sizeof(late), MSG_DONTWAIT)) > 0)
        ;
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        log_err("the privileged parent is gone: stopping");
        d->stop = 1;
    }
}

static void loop(struct daemon *d)
{
    struct epoll_event ev[16];

    while (!d->stop) {
        int n;

        sa_write_unlock(d); /* the data path goes on meanwhile */
        n = epoll_wait(d->epfd, ev, 16, -1);
        sa_write_lock(d);
        for (int i = 0; i < n; i++) {
            uint64_t tag = ev[i].data.u64;

            sa_write_yield(d);
            if (tag == TAG_HANDOFF)
                handoff_drain(d);
            else if (tag == TAG_CTL)
                control_readable(d);
            else if (tag == TAG_PRIV)
                on_parent(d);
            else if (tag == TAG_SIG)
                on_signal(d);
            else if (tag == TAG_TIMER)
                on_timer(d);
            else if (tag == TAG_FETCH)
                ike_fetch_readable(d);
            else if (tag >= TAG_IKE && tag < TAG_IKE + IKE_SOCK_COUNT)
                ike_readable(d, (enum ike_sock)(tag - TAG_IKE));
        }
    }
}

static int block_signals(struct daemon *d)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return d->sig_fd;
}

int main(int argc, char **argv)
{
    static struct daemon d = {.tun = {.fd = -1, .dropped_fd = -1},
                              .epfd = -1,
                              .sig_fd = -1,
                              .timer_fd = -1,
                              .fetch_fd = -1,
                              .priv = {.fd = -1, .cfg_fd = -1}};
    struct opts o = {0};
    struct sandbox_result user;
    char err[600];

    if (argc == 2 && !strcmp(argv[1], FETCHER_ARG)) /* privsep.c started it */
        return fetcher_main(FETCHER_FD);
    memset(&d.net, -1, sizeof(d.net));
    if (parse_opts(argc, argv, &o) < 0)
        return 2;
    log_set_level(o.debug ? LOG_DEBUG : LOG_INFO);
    d.config_path = o.config;
    d.started = time(NULL);
    if (cfg_load(o.config, &d.cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "uipsecd: %s\n", err);
        return 1;
    }
    if (o.socket)
        snprintf(d.cfg.socket_path, sizeof(d.cfg.socket_path), "%s", o.socket);
    d.socket_from_cmdline = o.socket != NULL;
    if (block_signals(&d) < 0 || start_privileged(&d) < 0) {
        stop(&d);
        return 1;
    }
    if (!o.foreground && daemon(0, 1) < 0)
        log_warn("cannot detach: %s", strerror(errno));
    if (sandbox_user(SANDBOX_USER_DEFAULT, &user, err, sizeof(err)) < 0) {
        log_err("%s", err);
        stop(&d);
        return 1;
    }
    seqstore_hand_over(user.uid, user.gid);             /* the child writes the marks */
    if (mseq_configure(&d.cfg, err, sizeof(err)) < 0) { /* opens state_dir while it can */
        log_err("%s", err);
        stop(&d);
        return 1;
    }
    mseq_open_now(&d.cfg);
    if (privsep_split(&d, UIPSECD_SANDBOX_DIR) < 0 || start(&d) < 0) {
        stop(&d);
        return 1;
    }
    certwatch_check(&certwatch, &d.cfg, time(NULL), cert_log, NULL);
    loop(&d);
    log_info("stopping");
    stop(&d);
    return 0;
}
