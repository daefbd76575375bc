/* SPDX-License-Identifier: MIT */
/*
 * uipsec-bench: encapsulation and decapsulation throughput of every suite on
 * each backend, on one core, beside the same cipher called directly (raw)
 * on the same buffers in the same run.  See docs/PERFORMANCE.md.
 */
#define _GNU_SOURCE /* getopt_long */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "bench.h"

#define MAX_SIZES     16
#define DEFAULT_SECS  0.2
#define QUICK_SECS    0.02
#define MIN_INNER     20 /* an IPv4 header */
#define TARGET_SUITES 2

struct suite {
    const char *name;
    enum uipsec_proto proto;
};

static const struct suite suites[] = {
    {"aes128gcm16", UIPSEC_PROTO_ESP},      {"aes256gcm16", UIPSEC_PROTO_ESP},
    {"chacha20poly1305", UIPSEC_PROTO_ESP}, {"aes128gmac", UIPSEC_PROTO_ESP},
    {"aes256gmac", UIPSEC_PROTO_ESP},       {"aes128-sha256", UIPSEC_PROTO_ESP},
    {"aes256-sha256", UIPSEC_PROTO_ESP},    {"aes256-sha512", UIPSEC_PROTO_ESP},
    {"null-sha256", UIPSEC_PROTO_ESP},      {"sha256", UIPSEC_PROTO_AH},
};
#define NSUITES (sizeof suites / sizeof suites[0])

static const enum uipsec_backend backends[] = {UIPSEC_BACKEND_IPSECMB, UIPSEC_BACKEND_OPENSSL};

/* The targets: AES-GCM encapsulation on ipsec-mb against raw ipsec-mb. */
static const struct {
    size_t inner;
    double min_ratio;
} targets[] = {{1400, 0.90}, {64, 0.70}};
#define NTARGETS (sizeof targets / sizeof targets[0])
static const char *const target_suites[TARGET_SUITES] = {"aes128gcm16", "aes256gcm16"};
static double target_ratio[TARGET_SUITES][NTARGETS]; /* 0 = not measured */

struct opts {
    double seconds;
    int cpu;
    unsigned raw_flags;   /* BENCH_RAW_* */
    const char *suites;   /* comma list; NULL = all */
    const char *backends; /* comma list; NULL = all */
    size_t sizes[MAX_SIZES];
    size_t nsizes;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: uipsec-bench [--seconds S] [--quick] [--suite a,b] [--size 64,1400]\n"
            "                    [--backend openssl,ipsec-mb] [--cpu N] [--ipsecmb-sse]\n"
            "  --seconds S    timed time per operation and row (default %.1f)\n"
            "  --quick        --seconds %.2f\n"
            "  --cpu N        CPU to pin to (default 0)\n"
            "  --ipsecmb-sse  raw ipsec-mb job API baseline (CBC+HMAC, HMAC) on the\n"
            "                 library's SSE code path, which uses SHA-NI (the engine\n"
            "                 keeps the one init_mb_mgr_auto picks)\n",
            DEFAULT_SECS, QUICK_SECS);
}

/* True if word is one of the comma-separated items of list (NULL: all). */
static bool listed(const char *list, const char *word)
{
    size_t n = strlen(word);

    while (list != NULL && *list) {
        size_t len = strcspn(list, ",");

        if (len == n && strncmp(list, word, n) == 0)
            return true;
        list += len + (list[len] == ',');
    }
    return list == NULL;
}

/* Every name in a --suite list must be one of ours: a typo runs nothing. */
static bool suites_known(const char *list)
{
    while (list != NULL && *list) {
        size_t len = strcspn(list, ","), i = 0;

        while (i < NSUITES && (strlen(suites[i].name) != len || strncmp(suites[i].name, list, len)))
            i++;
        if (i == NSUITES) {
            fprintf(stderr, "uipsec-bench: unknown suite '%.*s'\n", (int)len, list);
            return false;
        }
        list += len + (list[len] == ',');
    }
    return true;
}

static bool parse_sizes(const char *arg, struct opts *o)
{
    o->nsizes = 0;
    while (*arg) {
        char *end;
        unsigned long v = strtoul(arg, &end, 10);

        if (end == arg || v < MIN_INNER || v > BENCH_MAX_INNER || o->nsizes == MAX_SIZES ||
            (*end != ',' && *end != '\0')) {
            fprintf(stderr, "uipsec-bench: bad --size '%s' (%d to %d bytes)\n", arg, MIN_INNER,
                    BENCH_MAX_INNER);
            return false;
        }
        o->sizes[o->nsizes++] = v;
        arg = end + (*end == ',');
    }
    return o->nsizes > 0;
}

static bool parse_number(const char *arg, double min, double max, double *out)
{
    char *end;
    double v = strtod(arg, &end);

    if (end == arg || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "uipsec-bench: bad number '%s' (%g to %g)\n", arg, min, max);
        return false;
    }
    *out = v;
    return true;
}

static bool parse_opt(int c, const char *arg, struct opts *o)
{
    double v;

    switch (c) {
    case 's':
        return parse_number(arg, 0.001, 60, &o->seconds);
    case 'c':
        return parse_number(arg, 0, 4095, &v) && (o->cpu = (int)v, true);
    case 'q':
        o->seconds = QUICK_SECS;
        return true;
    case 'S':
        o->suites = arg;
        return true;
    case 'z':
        return parse_sizes(arg, o);
    case 'b':
        o->backends = arg;
        return true;
    case 'e':
        o->raw_flags |= BENCH_RAW_MB_SSE;
        return true;
    }
    return false;
}

static bool parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"seconds", required_argument, NULL, 's'},
        {"quick", no_argument, NULL, 'q'},
        {"suite", required_argument, NULL, 'S'},
        {"size", required_argument, NULL, 'z'},
        {"backend", required_argument, NULL, 'b'},
        {"cpu", required_argument, NULL, 'c'},
        {"ipsecmb-sse", no_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    *o = (struct opts){.seconds = DEFAULT_SECS, .sizes = {64, 512, 1400, 9000}, .nsizes = 4};
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            exit(0);
        }
        if (!parse_opt(c, optarg, o)) {
            usage(stderr);
            return false;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "uipsec-bench: unexpected argument '%s'\n", argv[optind]);
        return false;
    }
    return suites_known(o->suites);
}

static void print_header(const struct opts *o, bool pinned)
{
    printf("uipsec-bench: ESP/AH tunnel mode, IPv4 inner and outer, batches of %d packets\n",
           BENCH_BATCH);
    printf("cpu:    %s %d (sched_setaffinity), one thread\n",
           pinned ? "pinned to CPU" : "NOT pinned (sched_setaffinity failed), wanted CPU", o->cpu);
    printf("libs:   %s; %s\n", bench_ipsecmb_info(), OpenSSL_version(OPENSSL_VERSION));
    printf("timing: CLOCK_MONOTONIC around each batch call only (clock cost %.0f ns per batch\n"
           "        subtracted); the operations of a row (encap, raw-enc, decap, raw-dec, burst)\n"
           "        take turns every 8 batches for about %.3f s of timed time each, after a\n"
           "        %.3f s warm-up; each figure is the median batch time, so preempted\n"
           "        batches do not count\n",
           bench_timer_overhead(), o->seconds, o->seconds / 4);
    printf("encap:  inner packets stay in the buffers; untimed before each batch: off/len reset\n"
           "        and the 20-byte inner IPv4 header restored (the rest is re-encrypted)\n"
           "decap:  32 packets encapsulated once (seq 1..32), copied back into the buffers\n"
           "        untimed before each batch; inbound SA without replay window\n"
           "raw:    the same cipher called directly on the same buffers: ESP payload = inner +\n"
           "        padding + trailer, AAD/IV/ICV sizes as ESP; raw-enc seals in place,\n"
           "        raw-dec verifies and decrypts the engine's packets (same copy as decap);\n"
           "        ipsec-mb: direct API (GCM, GMAC, ChaCha20) or one chained job submitted\n"
           "        and flushed per packet (CBC+HMAC, HMAC); burst = 32 jobs in flight;\n"
           "        raw ipsec-mb manager: %s\n"
           "Gbit/s: inner packet bytes in every column, so ratios equal packet-rate ratios\n",
           o->raw_flags & BENCH_RAW_MB_SSE ? "init_mb_mgr_sse for job API suites (engine: auto)"
                                           : "init_mb_mgr_auto, as the engine");
}

static void print_table_head(const struct suite *s)
{
    printf("\n%s (%s)\n", s->name, s->proto == UIPSEC_PROTO_AH ? "AH" : "ESP");
    printf("%6s %-9s %10s %7s %10s %7s %10s %7s %10s %7s %8s %8s %10s\n", "size", "backend",
           "encap Mpps", "Gbit/s", "decap Mpps", "Gbit/s", "raw-enc", "Gbit/s", "raw-dec", "Gbit/s",
           "enc/raw", "dec/raw", "burst Mpps");
}

static void print_rate(double ns, size_t inner)
{
    printf(" %10.3f %7.2f", 1e3 / ns, (double)inner * 8 / ns);
}

static void print_row(size_t inner, enum uipsec_backend be, const struct bench_row *r)
{
    printf("%6zu %-9s", inner, uipsec_backend_name(be));
    print_rate(r->encap, inner);
    print_rate(r->decap, inner);
    print_rate(r->raw_seal, inner);
    print_rate(r->raw_open, inner);
    printf(" %7.1f%% %7.1f%%", 100 * r->raw_seal / r->encap, 100 * r->raw_open / r->decap);
    if (r->burst > 0)
        printf(" %10.3f", 1e3 / r->burst);
    else
        printf(" %10s", "-");
    printf("\n");
}

static void note_target(const char *suite, enum uipsec_backend be, size_t inner,
                        const struct bench_row *r)
{
    if (be != UIPSEC_BACKEND_IPSECMB)
        return;
    for (size_t i = 0; i < TARGET_SUITES; i++)
        for (size_t k = 0; k < NTARGETS; k++)
            if (strcmp(suite, target_suites[i]) == 0 && inner == targets[k].inner)
                target_ratio[i][k] = r->raw_seal / r->encap;
}

/* Returns false if a row failed for another reason than a missing suite. */
static bool run_row(const struct opts *o, const struct suite *s, enum uipsec_backend be,
                    size_t inner, struct bench_bufs *bufs)
{
    const struct bench_row_spec spec = {s->name, s->proto, be, inner, o->seconds, o->raw_flags};
    struct bench_row row;
    const char *what = "";
    int rc = bench_row_run(&spec, bufs, &row, &what);

    if (rc == UIPSEC_OK) {
        print_row(inner, be, &row);
        note_target(s->name, be, inner, &row);
    } else {
        printf("%6zu %-9s %s: %s\n", inner, uipsec_backend_name(be), what, uipsec_result_name(rc));
    }
    fflush(stdout);
    return rc == UIPSEC_OK || rc == UIPSEC_E_UNSUPPORTED;
}

static bool run_suite(const struct opts *o, const struct suite *s, struct bench_bufs *bufs)
{
    bool ok = true;

    print_table_head(s);
    for (size_t z = 0; z < o->nsizes; z++)
        for (size_t b = 0; b < sizeof backends / sizeof backends[0]; b++)
            if (listed(o->backends, uipsec_backend_name(backends[b])))
                ok &= run_row(o, s, backends[b], o->sizes[z], bufs);
    return ok;
}

static void print_targets(void)
{
    printf("\ntarget check (encap on ipsec-mb against raw ipsec-mb, packets/s):\n");
    for (size_t i = 0; i < TARGET_SUITES; i++) {
        for (size_t k = 0; k < NTARGETS; k++) {
            double r = target_ratio[i][k];

            printf("  %s encap ipsec-mb @%zu: ", target_suites[i], targets[k].inner);
            if (r == 0)
                printf("not measured (target >= %.0f%%)\n", 100 * targets[k].min_ratio);
            else
                printf("%.0f%% of raw (target >= %.0f%%): %s\n", 100 * r,
                       100 * targets[k].min_ratio, r >= targets[k].min_ratio ? "met" : "MISSED");
        }
    }
}

int main(int argc, char **argv)
{
    struct bench_bufs bufs;
    struct opts o;
    bool ok = true, pinned;

    if (!parse_args(argc, argv, &o))
        return 2;
    pinned = bench_pin(o.cpu);
    bench_timer_calibrate();
    if (!bench_bufs_init(&bufs)) {
        fprintf(stderr, "uipsec-bench: out of memory\n");
        return 1;
    }
    print_header(&o, pinned);
    for (size_t i = 0; i < NSUITES; i++)
        if (listed(o.suites, suites[i].name))
            ok &= run_suite(&o, &suites[i], &bufs);
    print_targets();
    bench_bufs_free(&bufs);
    return ok ? 0 : 1;
}
