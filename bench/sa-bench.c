/* SPDX-License-Identifier: MIT */
/*
 * sa-bench: what installing and tearing down one CHILD_SA costs uipsecd,
 * with 100 and with 10,000 others installed (issue 8, finding 5).
 *
 * One CHILD_SA is what pairs.c does for it: two SAs (AES-128-CBC +
 * HMAC-SHA-256), the inbound one in the SAD, an outbound and an inbound
 * policy in the SPD and a commit; then, as root, in a network namespace of
 * its own, its route into the tunnel (routes.c) and its cleartext-drop
 * elements and peer (guard.c asks, cleardrop.c in the privileged parent
 * does: here in-process).  Teardown undoes all of it.
 * Without root only the engine part is measured (said so in the output).
 *
 * The run installs 10,000 SAs, then measures the cost of one more CHILD_SA
 * (installed, then torn down: the medians of 200) with 100 SAs present,
 * the baseline of the same run, and with 10,000, the sizes taking turns
 * for three rounds (the best of each, as other work on the machine only
 * ever adds time), and prints their ratio.  Flat cost: a ratio near 1 (the
 * target is below 1.5).  SA_BENCH_ENGINE_ONLY=1 leaves the kernel out.
 */

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleardrop.h"
#include "daemon.h"
#include "guard.h"
#include "pairs.h"
#include "privchan.h"
#include "routes.h"

#define N_SAS  10000
#define BASE   100 /* SAs present for the baseline */
#define CYCLES 200 /* SAs installed and torn down per measurement */
#define ROUNDS 3
#define TARGET 1.5

static struct daemon d = {.priv = {.fd = -1}};
static struct sa_pair *pairs[N_SAS];
static bool kernel;
static struct cleardrop *cd;

/* The privileged parent's side (privsep.c), in-process: what it does for
 * each request is what is measured, without the socket's round trip. */
static int h_route(void *arg, bool add, const struct priv_route *r)
{
    (void)arg;
    return nl_route(&d.nl, add, ROUTE_TABLE, d.tun.index, r->family, r->dst, r->plen, NULL) < 0
               ? -errno
               : 0;
}

static int h_drop(void *arg, bool add, const struct uipsec_selector *sel)
{
    (void)arg;
    return cleardrop_sel(cd, sel, add) < 0 ? -EIO : 0;
}

static int h_peer(void *arg, bool add, const struct uipsec_addr *peer)
{
    (void)arg;
    return cleardrop_peer(cd, peer, add) < 0 ? -EIO : 0;
}

static int h_commit(void *arg, bool apply)
{
    (void)arg;
    return cleardrop_commit(cd, apply) < 0 ? -EIO : 0;
}

static const struct priv_handlers parent = {
    .route = h_route, .drop = h_drop, .peer = h_peer, .drop_commit = h_commit};

/* Stand-ins for the daemon's main.c and pairs.c, which this program replaces. */
void daemon_refresh(struct daemon *dd)
{
    (void)dd;
}

unsigned pairs_mtu(const struct daemon *dd)
{
    (void)dd;
    return 1400;
}

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void sa_params(struct uipsec_sa_params *p, uint32_t spi, enum uipsec_dir dir)
{
    memset(p, 0, sizeof(*p));
    p->proto = UIPSEC_PROTO_ESP;
    if (uipsec_suite_parse("aes128-sha256", UIPSEC_PROTO_ESP, p) != UIPSEC_OK)
        abort();
    p->spi = spi;
    p->dir = dir;
    p->proto = UIPSEC_PROTO_ESP;
    p->mode = UIPSEC_MODE_TUNNEL;
    p->tunnel_src = (struct uipsec_addr){.family = 4, .bytes = {192, 0, 2, 1}};
    p->tunnel_dst = (struct uipsec_addr){.family = 4, .bytes = {192, 0, 2, 2}};
    memset(p->enc_key, 0x11, 16);
    memset(p->auth_key, 0x22, 32);
    p->auth_key_len = 32;
    p->replay_window = dir == UIPSEC_DIR_IN ? 64 : 0;
}

/* CHILD_SA i: 10.0.0.0/16 === 100.64.x.y/32 with peer 198.18.x.y. */
static struct sa_pair *install(unsigned i)
{
    struct sa_pair *c = calloc(1, sizeof(*c));
    struct uipsec_sa_params p;
    struct uipsec_policy_params pp = {.priority = 100, .action = UIPSEC_POLICY_PROTECT};
    char remote[32];

    if (!c)
        abort();
    c->cfg.remote = (struct uipsec_addr){.family = 4, .bytes = {198, 18, i >> 8, i & 0xff}};
    sa_params(&p, 0x10000000u + i, UIPSEC_DIR_OUT);
    if (uipsec_sa_new(&p, &c->out) != UIPSEC_OK)
        abort();
    c->cfg.in.spi = 0x20000000u + i;
    sa_params(&p, c->cfg.in.spi, UIPSEC_DIR_IN);
    if (uipsec_sa_new(&p, &c->in) != UIPSEC_OK || uipsec_sad_add(d.sad, c->in, c) != UIPSEC_OK)
        abort();
    snprintf(remote, sizeof(remote), "100.64.%u.%u", i >> 8, i & 0xff);
    if (uipsec_selector_parse(&pp.sel, "10.0.0.0/16", remote, NULL, 0) != UIPSEC_OK)
        abort();
    for (int dir = UIPSEC_DIR_OUT; dir <= UIPSEC_DIR_IN; dir++) {
        pp.dir = (enum uipsec_dir)dir;
        pp.sa = dir == UIPSEC_DIR_OUT ? c->out : c->in;
        if (uipsec_spd_add(d.spd, &pp, &c->pol[c->npol++]) != UIPSEC_OK)
            abort();
    }
    if (uipsec_spd_commit(d.spd) != UIPSEC_OK)
        abort();
    c->in_pol[c->n_in_pol++] = uipsec_spd_get(d.spd, c->pol[1]);
    if (kernel) {
        routes_pair(&d, c, true);
        if (guard_commit(&d, guard_pair(&d, c, true)) < 0)
            abort();
    }
    return c;
}

static void teardown(struct sa_pair *c)
{
    if (kernel) {
        guard_pair(&d, c, false);
        routes_pair(&d, c, false);
    }
    for (size_t i = 0; i < c->npol; i++)
        uipsec_spd_remove(d.spd, c->pol[i]);
    if (uipsec_spd_commit(d.spd) != UIPSEC_OK)
        abort();
    if (kernel) {
        routes_settle(&d);
        if (guard_commit(&d, 0) < 0)
            abort();
    }
    if (uipsec_sad_remove(d.sad, c->cfg.in.spi, UIPSEC_PROTO_ESP) != UIPSEC_OK)
        abort();
    uipsec_sa_free(c->in);
    uipsec_sa_free(c->out);
    free(c);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *t, size_t n)
{
    qsort(t, n, sizeof(t[0]), cmp_double);
    return (t[n / 2 - 1] + t[n / 2]) / 2;
}

/* Installs or tears down SAs until `want` are present. */
static void fill(unsigned *present, unsigned want)
{
    for (; *present < want; (*present)++)
        pairs[*present] = install(*present);
    while (*present > want)
        teardown(pairs[--*present]);
}

/* The cost of one more CHILD_SA, installed and torn down again, with the
 * present ones: medians of CYCLES. */
static void cycle(double *ins, double *del)
{
    static double a[CYCLES], r[CYCLES];

    for (unsigned k = 0; k < CYCLES; k++) {
        double t0 = now_us(), t1;
        struct sa_pair *c = install(N_SAS + k);

        t1 = now_us();
        teardown(c);
        a[k] = t1 - t0;
        r[k] = now_us() - t1;
    }
    *ins = median(a, CYCLES);
    *del = median(r, CYCLES);
}

/* A namespace of our own: the routes and the nftables table are made and
 * go away with it, whatever the machine has. */
static bool private_net(void)
{
    if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0 || nl_open(&d.nl) < 0)
        return false;
    d.tun.index = 1; /* lo */
    strcpy(d.tun.name, "lo");
    d.priv.local = &parent;
    cd = cleardrop_new(d.tun.name);
    return cd && nl_link_up(&d.nl, d.tun.index, 65536) == 0;
}

int main(void)
{
    double ins[2] = {1e30, 1e30}, del[2] = {1e30, 1e30}, fill_us;
    unsigned present = 0;
    bool ok;

    d.spd = uipsec_spd_new();
    d.sad = uipsec_sad_new();
    if (!d.spd || !d.sad)
        return 1;
    kernel = !getenv("SA_BENCH_ENGINE_ONLY") && private_net();
    printf("sa-bench: one CHILD_SA installed and torn down, %s\n",
           kernel ? "SAs, SAD, SPD, route and nftables drop elements (private netns)"
                  : "SAs, SAD and SPD only (not root: no route, no nftables)");
    fill_us = now_us();
    fill(&present, N_SAS);
    fill_us = now_us() - fill_us;
    for (int round = 0; round < ROUNDS; round++) /* the sizes take turns; best of rounds */
        for (int big = 0; big < 2; big++) {
            double a, r;

            fill(&present, big ? N_SAS : BASE);
            cycle(&a, &r);
            ins[big] = a < ins[big] ? a : ins[big];
            del[big] = r < del[big] ? r : del[big];
        }
    fill(&present, 0);
    printf("%-10s %14s %14s %8s\n", "per SA", "at 100 SAs", "at 10,000", "ratio");
    printf("%-10s %11.1f us %11.1f us %8.2f\n", "install", ins[0], ins[1], ins[1] / ins[0]);
    printf("%-10s %11.1f us %11.1f us %8.2f\n", "teardown", del[0], del[1], del[1] / del[0]);
    printf("10,000 CHILD_SAs installed one by one in %.2f s (%.1f us each)\n", fill_us / 1e6,
           fill_us / N_SAS);
    ok = ins[1] / ins[0] < TARGET && del[1] / del[0] < TARGET;
    printf("per-SA cost flat (ratio below %.1f): %s\n", TARGET, ok ? "yes" : "NO");
    cleardrop_free(cd, false);
    uipsec_spd_free(d.spd);
    uipsec_sad_free(d.sad);
    return ok ? 0 : 1;
}
