/* SPDX-License-Identifier: MIT */
/*
 * spd-bench: the cost of an outbound SPD lookup per packet with 1, 100,
 * 1,000 and 10,000 policies, for two kinds of traffic:
 *
 *   cached: 1,024 flows (TCP to 443, 80 and 22, UDP to 53 and 4500) sent
 *           round robin in a shuffled order, as a gateway sees a busy site;
 *   new:    every packet a 5-tuple never seen before, the worst case: each
 *           one misses the flow cache and is classified in full.
 *
 * The policy set is a VPN concentrator's: one PROTECT policy per remote
 * /24 (10.0.0.0/16 === 100.64.x.0/24), every tenth /24 with a DISCARD for
 * SSH in front of it, and a BYPASS for everything else last.  The single
 * policy of the baseline is 10.0.0.0/16 === 100.64.0.0/10.  Every
 * configuration sees the same packets.
 *
 * Each configuration is timed for a short slice and the configurations take
 * turns for ROUNDS rounds (all cached rounds first, then the new-flow ones).
 * Other work on the machine only ever adds time, so the figure of a
 * configuration is its best slice, and the target is checked on those; the
 * median slice is printed beside it to show how noisy the machine was.
 * Lookups go in batches of BATCH, as the data path makes them.
 */
#define _GNU_SOURCE /* sched_setaffinity */
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "uipsec/spd.h"

#define BATCH    32
#define FLOWS    1024
#define PKT_LEN  64
#define SUBNETS  10000 /* remote /24s the traffic goes to */
#define ROUNDS   201
#define SLICE_NS 2000000ull /* 2 ms per configuration and round */
#define WARM_UP  3          /* passes over the flows before a slice is timed */
#define TARGET   1.10
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const size_t sizes[] = {1, 100, 1000, 10000};

struct config {
    struct uipsec_spd *spd;
    size_t policies;
    double cached[ROUNDS], fresh[ROUNDS];
    uint64_t lookups, hits; /* flow cache, over the cached runs */
};

static uint8_t mem[FLOWS * PKT_LEN];
static struct uipsec_buf bufs[FLOWS];
static uint8_t fresh_mem[BATCH * PKT_LEN];
static struct uipsec_buf fresh_bufs[BATCH];
static uint32_t fresh_next;
static volatile size_t sink; /* lookups' results go here, so none is left out */

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* An IPv4 packet 10.0.a.b -> 100.64.x.y with a TCP or UDP header. */
static void write_packet(uint8_t *p, uint32_t src, uint32_t subnet, uint8_t proto, uint16_t sport,
                         uint16_t dport)
{
    uint32_t dst = 100u << 24 | 64u << 16 | subnet << 8 | (1 + subnet % 200);

    memset(p, 0, PKT_LEN);
    p[0] = 0x45, p[3] = PKT_LEN, p[8] = 64, p[9] = proto;
    p[12] = 10, p[13] = 0, p[14] = (uint8_t)(src >> 8), p[15] = (uint8_t)src;
    p[16] = (uint8_t)(dst >> 24), p[17] = (uint8_t)(dst >> 16), p[18] = (uint8_t)(dst >> 8);
    p[19] = (uint8_t)dst;
    p[20] = (uint8_t)(sport >> 8), p[21] = (uint8_t)sport;
    p[22] = (uint8_t)(dport >> 8), p[23] = (uint8_t)dport;
}

static uint32_t subnet_of(uint32_t flow)
{
    return (uint32_t)((uint64_t)flow * 7919 % SUBNETS); /* spread over all policies */
}

/* 70% TCP (443, 80, and 22 for one flow in twenty), 30% UDP (53, 4500). */
static void flow_ports(uint32_t f, uint8_t *proto, uint16_t *dport)
{
    static const uint16_t tcp[] = {443, 443, 443, 80,  80, 443, 80, 443, 443, 443,
                                   443, 443, 80,  443, 22, 443, 80, 443, 443, 443};

    *proto = f % 10 < 7 ? 6 : 17;
    *dport = *proto == 6 ? tcp[f % 20] : (f % 3 ? 53 : 4500);
}

static void make_traffic(void)
{
    uint32_t order[FLOWS];

    for (uint32_t i = 0; i < FLOWS; i++)
        order[i] = i;
    srand(1);
    for (uint32_t i = FLOWS - 1; i > 0; i--) { /* shuffled: no two neighbours alike */
        uint32_t j = (uint32_t)rand() % (i + 1), t = order[i];

        order[i] = order[j], order[j] = t;
    }
    for (uint32_t i = 0; i < FLOWS; i++) {
        uint32_t f = order[i];
        uint16_t dport;
        uint8_t proto;

        flow_ports(f, &proto, &dport);
        write_packet(mem + i * PKT_LEN, f, subnet_of(f), proto, (uint16_t)(32768 + f), dport);
        bufs[i] = (struct uipsec_buf){mem + i * PKT_LEN, PKT_LEN, 0, PKT_LEN, 0};
    }
    for (uint32_t i = 0; i < BATCH; i++)
        fresh_bufs[i] = (struct uipsec_buf){fresh_mem + i * PKT_LEN, PKT_LEN, 0, PKT_LEN, 0};
}

/* The next BATCH packets of the new-flow traffic: source address and port
 * together are never the same twice (2^32 packets). */
static void refill_fresh(void)
{
    for (uint32_t i = 0; i < BATCH; i++, fresh_next++) {
        uint32_t c = fresh_next;
        uint16_t dport;
        uint8_t proto;

        flow_ports(c, &proto, &dport);
        write_packet(fresh_mem + i * PKT_LEN, c & 0xffff, subnet_of(c), proto,
                     (uint16_t)(1024 + (c >> 16)), dport);
    }
}

static void add(struct uipsec_spd *spd, uint32_t prio, enum uipsec_policy_action action,
                const char *local, const char *remote)
{
    struct uipsec_policy_params p = {.dir = UIPSEC_DIR_OUT, .priority = prio, .action = action};
    char err[256];

    if (uipsec_selector_parse(&p.sel, local, remote, err, sizeof(err)) != UIPSEC_OK ||
        uipsec_spd_add(spd, &p, NULL) != UIPSEC_OK) {
        fprintf(stderr, "spd-bench: policy %s === %s: %s\n", local, remote, err);
        exit(2);
    }
}

static struct uipsec_spd *make_spd(size_t n)
{
    struct uipsec_spd *spd = uipsec_spd_new();
    char remote[64];

    if (!spd)
        exit(2);
    if (n == 1)
        add(spd, 100, UIPSEC_POLICY_PROTECT, "10.0.0.0/16", "100.64.0.0/10");
    for (uint32_t i = 0; n > 1 && i < n - 1; i++) {
        uint32_t s = i % 10 == 9 ? i - 9 : i; /* every tenth: SSH to an earlier /24 */

        snprintf(remote, sizeof(remote), "100.%u.%u.0/24%s", 64 + (s >> 8), s & 0xff,
                 i % 10 == 9 ? "[tcp/22]" : "");
        if (i % 10 == 9)
            add(spd, 50, UIPSEC_POLICY_DISCARD, "10.0.0.0/16[tcp]", remote);
        else
            add(spd, 100, UIPSEC_POLICY_PROTECT, "10.0.0.0/16", remote);
    }
    if (n > 1)
        add(spd, 1000, UIPSEC_POLICY_BYPASS, "0.0.0.0/0", "0.0.0.0/0");
    if (uipsec_spd_commit(spd) != UIPSEC_OK)
        exit(2);
    return spd;
}

/* Every flow of the cached traffic must get the policy of its /24 (or the
 * SSH DISCARD in front of it, or the BYPASS where no /24 has a policy). */
static void check(const struct config *c)
{
    const struct uipsec_policy *pol[BATCH];

    for (size_t i = 0; i < FLOWS; i += BATCH) {
        uipsec_spd_lookup_out(c->spd, &bufs[i], BATCH, pol);
        for (size_t k = 0; k < BATCH; k++) {
            const uint8_t *p = bufs[i + k].base, *lo;

            if (!pol[k]) {
                fprintf(stderr, "spd-bench: %zu policies: packet %zu has none\n", c->policies,
                        i + k);
                exit(1);
            }
            lo = pol[k]->params.sel.remote.lo;
            if (pol[k]->params.action != UIPSEC_POLICY_BYPASS && c->policies > 1 &&
                (lo[1] != p[17] || lo[2] != p[18])) {
                fprintf(stderr, "spd-bench: %zu policies: packet %zu got the wrong /24\n",
                        c->policies, i + k);
                exit(1);
            }
        }
    }
}

/* ns per packet over one slice of the cached traffic. */
static double run_cached(struct config *c)
{
    const struct uipsec_policy *pol[BATCH];
    struct uipsec_spd_stats a, b;
    uint64_t t0, t, packets = 0;
    size_t pass = 0;

    for (int w = 0; w < WARM_UP; w++) /* the flow cache, the tables, the CPU caches */
        for (size_t i = 0; i < FLOWS; i += BATCH)
            pass += uipsec_spd_lookup_out(c->spd, &bufs[i], BATCH, pol);
    uipsec_spd_get_stats(c->spd, &a);
    t0 = now_ns();
    do {
        for (size_t i = 0; i < FLOWS; i += BATCH)
            pass += uipsec_spd_lookup_out(c->spd, &bufs[i], BATCH, pol);
        packets += FLOWS;
    } while ((t = now_ns()) - t0 < SLICE_NS);
    uipsec_spd_get_stats(c->spd, &b);
    c->lookups += b.lookups - a.lookups;
    c->hits += b.cache_hits - a.cache_hits;
    sink += pass;
    return (double)(t - t0) / (double)packets;
}

/* ns per packet over one slice of new flows.  Writing the next batch is
 * not timed; each batch is timed alone and the clock's own cost taken off. */
static double run_fresh(struct config *c, double clock_ns)
{
    const struct uipsec_policy *pol[BATCH];
    uint64_t start = now_ns(), spent = 0, packets = 0;
    size_t pass = 0;

    while (now_ns() - start < SLICE_NS) {
        uint64_t t0, t1;

        refill_fresh();
        t0 = now_ns();
        pass += uipsec_spd_lookup_out(c->spd, fresh_bufs, BATCH, pol);
        t1 = now_ns();
        spent += t1 - t0;
        packets += BATCH;
    }
    sink += pass;
    return ((double)spent - clock_ns * (double)(packets / BATCH)) / (double)packets;
}

static double clock_cost(void)
{
    uint64_t best = UINT64_MAX;

    for (int i = 0; i < 10000; i++) {
        uint64_t t0 = now_ns(), t1 = now_ns();

        if (t1 - t0 < best)
            best = t1 - t0;
    }
    return (double)best;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *v)
{
    qsort(v, ROUNDS, sizeof(*v), cmp_double);
    return v[ROUNDS / 2];
}

/* v sorted by median() first. */
static double best(const double *v)
{
    return v[0];
}

static void report(struct config *c, size_t n)
{
    double bc, bf, ratio;

    for (size_t i = 0; i < n; i++) {
        median(c[i].cached);
        median(c[i].fresh);
    }
    bc = best(c[0].cached), bf = best(c[0].fresh);
    printf("%9s | %21s %7s %11s | %21s %7s\n", "", "cached ns/pkt", "", "", "new flows ns/pkt", "");
    printf("%9s | %10s %10s %7s %11s | %10s %10s %7s\n", "policies", "best", "median", "ratio",
           "cache hits", "best", "median", "ratio");
    for (size_t i = 0; i < n; i++)
        printf("%9zu | %10.1f %10.1f %7.2f %10.1f%% | %10.1f %10.1f %7.2f\n", c[i].policies,
               best(c[i].cached), c[i].cached[ROUNDS / 2], best(c[i].cached) / bc,
               100.0 * (double)c[i].hits / (double)c[i].lookups, best(c[i].fresh),
               c[i].fresh[ROUNDS / 2], best(c[i].fresh) / bf);
    ratio = best(c[n - 1].cached) / bc;
    printf("target: %zu policies cost at most %.2f x 1 policy on the cached traffic: %.2f x, %s\n",
           c[n - 1].policies, TARGET, ratio, ratio <= TARGET ? "PASS" : "FAIL");
    printf("new flows (every packet misses the cache): %zu policies cost %.2f x 1 policy\n",
           c[n - 1].policies, best(c[n - 1].fresh) / bf);
}

int main(void)
{
    struct config c[COUNT(sizes)];
    cpu_set_t cpus;
    double clock_ns;

    CPU_ZERO(&cpus);
    CPU_SET(0, &cpus);
    if (sched_setaffinity(0, sizeof(cpus), &cpus) != 0)
        fprintf(stderr, "spd-bench: not pinned to a CPU; figures may wobble\n");
    make_traffic();
    clock_ns = clock_cost();
    for (size_t i = 0; i < COUNT(sizes); i++) {
        c[i] = (struct config){.spd = make_spd(sizes[i]), .policies = sizes[i]};
        check(&c[i]);
    }
    printf("spd-bench: outbound SPD lookup, IPv4, batches of %d, %d rounds of %llu ms\n"
           "cached: %d flows round robin (TCP 443/80/22, UDP 53/4500); new: a new 5-tuple "
           "every packet\n",
           BATCH, ROUNDS, SLICE_NS / 1000000, FLOWS);
    for (int r = 0; r < ROUNDS; r++)
        for (size_t i = 0; i < COUNT(sizes); i++)
            c[i].cached[r] = run_cached(&c[i]);
    for (int r = 0; r < ROUNDS; r++)
        for (size_t i = 0; i < COUNT(sizes); i++)
            c[i].fresh[r] = run_fresh(&c[i], clock_ns);
    report(c, COUNT(sizes));
    for (size_t i = 0; i < COUNT(sizes); i++)
        uipsec_spd_free(c[i].spd);
    return best(c[COUNT(sizes) - 1].cached) / best(c[0].cached) <= TARGET ? 0 : 1;
}
