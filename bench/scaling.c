/* SPDX-License-Identifier: MIT */
/*
 * uipsec-scaling: one SA pair driven by 1..N worker threads at once, in the
 * shape the daemon's workers use it, beside the same threads each on an SA
 * pair of its own (issue 9, section 4).
 *
 * Each worker loops over batches of BATCH packets:
 *   make:   BATCH inner IPv4/UDP packets copied into its own buffers, each
 *           with a tag (worker, batch, index) in its payload;
 *   send:   uipsec_encap_seq on the outbound SA, uipsec_sa_send_wait, the
 *           "wire" (checks that the ESP sequence numbers of the SA reach it
 *           consecutive across all workers, counts them), uipsec_sa_send_done;
 *   receive: uipsec_decap of the same batch on the inbound SA (same keys,
 *           replay window REPLAY_WINDOW), every inner packet checked against
 *           its tag.
 * "shared": all workers on one SA pair (one sequence counter, one send turn,
 * one replay window).  "separate": each worker on its own pair: nothing is
 * shared, so the ratio shared/separate is what sharing the SA costs.
 *
 * Any drop, a corrupted packet or a sequence number out of order on the
 * wire is printed and makes the exit status 1.
 */
#define _GNU_SOURCE /* getopt_long, pthread_setaffinity_np, CPU_COUNT */
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "uipsec/uipsec.h"

#define BATCH 64
/* The largest window: a worker that loses its CPU between its send and
 * its decap comes back to a window the others moved on; 65536 numbers
 * cover about 10 ms at 6 Mpps, 4096 only 0.6 ms. */
#define REPLAY_WINDOW 65536
#define MAX_THREADS   256
#define MAX_LIST      8
#define MIN_INNER     (IP_HDR + UDP_HDR + TAG_LEN)
#define MAX_INNER     9000
#define IP_HDR        20
#define UDP_HDR       8
#define TAG_LEN       8
#define ESP_SEQ_OFF   4 /* sequence number within the ESP header */
#define SPI           0x2000
#define LINE          64 /* cache line: workers' state kept apart */
#define COUNT(a)      (sizeof(a) / sizeof((a)[0]))

enum phase { PHASE_WARM, PHASE_MEASURE, PHASE_STOP };

struct opts {
    unsigned threads;
    double seconds;
    const char *suites[MAX_LIST];
    size_t nsuites;
    size_t sizes[MAX_LIST];
    size_t nsizes;
    enum uipsec_backend backend;
};

/* What the in-order section sees.  Touched only between send_wait and
 * send_done, so the engine's turn is its only lock: a turn that let two
 * blocks through at once, or out of order, shows here as disorder. */
struct wire {
    _Atomic uint64_t next_seq; /* the first number of the next block; read outside for lag */
    uint64_t packets, bytes;
    bool disorder;
};

/* The wire on a line of its own: the turn's holder writes it per batch,
 * while the other workers read the SA pointers. */
struct pair {
    _Alignas(LINE) struct uipsec_sa *out, *in;
    _Alignas(LINE) struct wire wire;
};

struct tally {
    uint64_t packets, bytes; /* round trips in the measured phase */
    uint64_t delivered;      /* round trips in all phases (checked against the SA) */
    uint64_t drops[UIPSEC_RESULT_COUNT];
    uint64_t corrupt; /* decapsulated but not the packet sent */
    uint64_t max_lag; /* most numbers sent after a batch's first when it was decapsulated */
};

/* One thread's state, on cache lines of its own so that the bench itself
 * bounces no line between workers: only the engine's sharing shows. */
struct worker {
    _Alignas(LINE) pthread_t thread;
    const struct run *run;
    struct pair *pair;
    uint32_t id;
    int cpu;
    uint8_t *mem;
    uint32_t cap;
    struct uipsec_seq_block blk; /* the batch's numbers */
    struct uipsec_buf b[BATCH];
    struct tally t;
};

struct run {
    atomic_int phase;
    size_t inner;
    uint8_t *packet; /* the inner packet every buffer starts from */
};

struct result {
    double mbps, mpps;
    uint64_t drops[UIPSEC_RESULT_COUNT];
    uint64_t corrupt, max_lag;
    bool disorder, stats_differ;
};

static int cpus[MAX_THREADS]; /* the CPUs this process may run on */
static unsigned ncpus;

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

    while (nanosleep(&ts, &ts) != 0)
        ;
}

static uint16_t ip_csum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;

    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* 10.0.0.1:1234 -> 10.0.0.2:5678, n bytes, UDP checksum 0 (allowed on IPv4). */
static uint8_t *make_packet(size_t n)
{
    static const uint8_t ip[IP_HDR] = {0x45, 0, 0,  0, 0, 0, 0x40, 0, 64, 17,
                                       0,    0, 10, 0, 0, 1, 10,   0, 0,  2};
    uint8_t *p = calloc(1, n);

    if (p == NULL)
        return NULL;
    for (size_t i = IP_HDR + UDP_HDR; i < n; i++)
        p[i] = (uint8_t)(i * 7);
    memcpy(p, ip, IP_HDR);
    put16(p + 2, n);
    put16(p + 10, ip_csum(p, IP_HDR));
    put16(p + IP_HDR, 1234);
    put16(p + IP_HDR + 2, 5678);
    put16(p + IP_HDR + 4, n - IP_HDR);
    return p;
}

/* --- the SAs ------------------------------------------------------------ */

static void fill_key(uint8_t *k, size_t n, size_t cap, uint8_t seed)
{
    for (size_t i = 0; i < n && i < cap; i++)
        k[i] = (uint8_t)(seed * 31 + i * 17);
}

static int make_sa(const char *suite, enum uipsec_backend be, enum uipsec_dir dir,
                   struct uipsec_sa **sa)
{
    struct uipsec_sa_params p = {.proto = UIPSEC_PROTO_ESP};
    size_t ek, salt, ak;
    int rc = uipsec_suite_parse(suite, UIPSEC_PROTO_ESP, &p);

    if (rc != UIPSEC_OK)
        return rc;
    p.spi = SPI;
    p.dir = dir;
    p.mode = UIPSEC_MODE_TUNNEL;
    p.tunnel_src = (struct uipsec_addr){.family = 4, .bytes = {192, 0, 2, 1}};
    p.tunnel_dst = (struct uipsec_addr){.family = 4, .bytes = {192, 0, 2, 2}};
    uipsec_suite_key_sizes(&p, &ek, &salt, &ak);
    fill_key(p.enc_key, ek, sizeof p.enc_key, 1);
    fill_key(p.salt, salt, sizeof p.salt, 2);
    fill_key(p.auth_key, ak, sizeof p.auth_key, 3);
    p.auth_key_len = (uint8_t)ak;
    p.seq = 1;
    p.replay_window = REPLAY_WINDOW;
    p.backend = be;
    return uipsec_sa_new(&p, sa);
}

static int pair_new(const char *suite, enum uipsec_backend be, struct pair *p)
{
    int rc = make_sa(suite, be, UIPSEC_DIR_OUT, &p->out);

    if (rc == UIPSEC_OK)
        rc = make_sa(suite, be, UIPSEC_DIR_IN, &p->in);
    atomic_init(&p->wire.next_seq, 1);
    return rc;
}

static void pair_free(struct pair *p)
{
    uipsec_sa_free(p->out);
    uipsec_sa_free(p->in);
}

/* --- one worker's batch ------------------------------------------------- */

static uint64_t tag_of(uint32_t worker, uint64_t batch, size_t i)
{
    return (uint64_t)worker << 48 | (batch * BATCH + i);
}

static void make_batch(struct worker *w, uint64_t batch)
{
    size_t n = w->run->inner;

    for (size_t i = 0; i < BATCH; i++) {
        struct uipsec_buf *b = &w->b[i];
        uint64_t tag = tag_of(w->id, batch, i);

        memcpy(b->base + UIPSEC_HEADROOM, w->run->packet, n);
        memcpy(b->base + UIPSEC_HEADROOM + IP_HDR + UDP_HDR, &tag, TAG_LEN);
        b->off = UIPSEC_HEADROOM;
        b->len = (uint32_t)n;
    }
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The in-order section: this block must start where the last one ended,
 * and its packets carry its numbers in order (32-bit: no ESN). */
static void wire_take(struct wire *wire, const struct uipsec_buf *b, size_t n,
                      const struct uipsec_seq_block *blk)
{
    uint64_t expect = blk->first;

    if (blk->count == 0)
        return;
    wire->disorder |= blk->first != atomic_load_explicit(&wire->next_seq, memory_order_relaxed);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *pkt = b[i].base + b[i].off;

        if (b[i].result != UIPSEC_OK)
            continue;
        wire->disorder |= get32(pkt + (pkt[0] & 0xf) * 4 + ESP_SEQ_OFF) != (uint32_t)expect;
        expect++;
        wire->packets++;
        wire->bytes += b[i].len;
    }
    atomic_store_explicit(&wire->next_seq, blk->first + blk->count, memory_order_relaxed);
}

static void count_drop(struct worker *w, int32_t result)
{
    w->t.drops[result > 0 && result < UIPSEC_RESULT_COUNT ? result : UIPSEC_E_CRYPTO]++;
}

/* Returns how many packets go on to be decapsulated: those that were
 * encapsulated, moved to the front of bufs (packet order kept). */
static size_t send_batch(struct worker *w)
{
    struct pair *p = w->pair;
    size_t ok = uipsec_encap_seq(p->out, w->b, BATCH, &w->blk), k = 0;

    uipsec_sa_send_wait(p->out, &w->blk);
    wire_take(&p->wire, w->b, BATCH, &w->blk);
    uipsec_sa_send_done(p->out, &w->blk);
    if (ok == BATCH)
        return BATCH;
    for (size_t i = 0; i < BATCH; i++) {
        if (w->b[i].result == UIPSEC_OK)
            w->b[k++] = w->b[i];
        else
            count_drop(w, w->b[i].result);
    }
    return k;
}

/* The packet sent from this buffer, tag included? */
static bool intact(const struct worker *w, const struct uipsec_buf *b, uint64_t batch)
{
    size_t i = (size_t)(b->base - w->mem) / w->cap;
    uint64_t tag = tag_of(w->id, batch, i);
    const uint8_t *pkt = b->base + b->off;

    return b->len == w->run->inner && memcmp(pkt, w->run->packet, IP_HDR + UDP_HDR) == 0 &&
           memcmp(pkt + IP_HDR + UDP_HDR, &tag, TAG_LEN) == 0;
}

/* How far the others sent on while this batch waited for its decap: more
 * than the replay window and its packets are too old. */
static void note_lag(struct worker *w)
{
    uint64_t sent = atomic_load_explicit(&w->pair->wire.next_seq, memory_order_relaxed);

    if (w->blk.count && sent - w->blk.first > w->t.max_lag)
        w->t.max_lag = sent - w->blk.first;
}

static void receive_batch(struct worker *w, size_t n, uint64_t batch, bool measured)
{
    uipsec_decap(w->pair->in, w->b, n);
    note_lag(w);
    for (size_t i = 0; i < n; i++) {
        const struct uipsec_buf *b = &w->b[i];

        if (b->result != UIPSEC_OK) {
            count_drop(w, b->result);
        } else if (!intact(w, b, batch)) {
            w->t.corrupt++;
        } else {
            w->t.delivered++;
            w->t.packets += measured;
            w->t.bytes += measured ? b->len : 0;
        }
    }
}

/* send_batch leaves bufs compacted after a failure: put them back. */
static void reset_bufs(struct worker *w)
{
    for (size_t i = 0; i < BATCH; i++)
        w->b[i] = (struct uipsec_buf){.base = w->mem + (size_t)i * w->cap, .cap = w->cap};
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(w->cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set); /* best effort */
    for (uint64_t batch = 0;; batch++) {
        int phase = atomic_load_explicit(&w->run->phase, memory_order_relaxed);
        size_t n;

        if (phase == PHASE_STOP)
            break;
        make_batch(w, batch);
        n = send_batch(w);
        receive_batch(w, n, batch, phase == PHASE_MEASURE);
        if (n != BATCH)
            reset_bufs(w);
    }
    return NULL;
}

/* --- one measurement: T workers on one pair or on T pairs ---------------- */

/* Worker i drives pairs[i % npairs]: all the same one, or one each. */
static bool workers_init(struct worker *ws, unsigned n, const struct run *run, struct pair *pairs,
                         size_t npairs)
{
    uint32_t cap =
        (uint32_t)((UIPSEC_HEADROOM + run->inner + UIPSEC_TAILROOM + LINE - 1) / LINE * LINE);

    for (unsigned i = 0; i < n; i++) {
        struct worker *w = &ws[i];

        *w = (struct worker){.run = run, .pair = &pairs[i % npairs], .id = i, .cap = cap};
        w->cpu = cpus[i % ncpus];
        w->mem = aligned_alloc(LINE, (size_t)cap * BATCH);
        if (w->mem == NULL)
            return false;
        memset(w->mem, 0, (size_t)cap * BATCH);
        reset_bufs(w);
    }
    return true;
}

static void add_tallies(const struct worker *ws, unsigned n, struct tally *sum)
{
    memset(sum, 0, sizeof *sum);
    for (unsigned i = 0; i < n; i++) {
        sum->packets += ws[i].t.packets;
        sum->bytes += ws[i].t.bytes;
        sum->delivered += ws[i].t.delivered;
        sum->corrupt += ws[i].t.corrupt;
        sum->max_lag = ws[i].t.max_lag > sum->max_lag ? ws[i].t.max_lag : sum->max_lag;
        for (size_t r = 0; r < UIPSEC_RESULT_COUNT; r++)
            sum->drops[r] += ws[i].t.drops[r];
    }
}

/* The SAs' own counters must agree with the workers': what the outbound
 * SA sent reached the wire, and the inbound SA delivered what came back. */
static bool stats_agree(const struct pair *pairs, size_t npairs, const struct tally *sum)
{
    uint64_t sent = 0, wired = 0, delivered = 0;

    for (size_t i = 0; i < npairs; i++) {
        struct uipsec_sa_stats out, in;

        uipsec_sa_get_stats(pairs[i].out, &out);
        uipsec_sa_get_stats(pairs[i].in, &in);
        sent += out.packets;
        delivered += in.packets;
        wired += pairs[i].wire.packets;
    }
    return sent == wired && delivered == sum->delivered;
}

/* Starts the workers, lets them warm up (lanes are made when threads
 * first meet on an SA), counts for `seconds`, stops them.  Returns the
 * measured seconds, or a negative value if a thread did not start. */
static double drive(struct worker *ws, unsigned n, struct run *run, double seconds)
{
    unsigned started = 0;
    uint64_t t0 = 0, t1;

    atomic_store(&run->phase, PHASE_WARM);
    while (started < n && pthread_create(&ws[started].thread, NULL, worker_main, &ws[started]) == 0)
        started++;
    if (started == n) {
        sleep_s(seconds / 8 < 0.25 ? seconds / 8 : 0.25);
        atomic_store(&run->phase, PHASE_MEASURE);
        t0 = now_ns();
        sleep_s(seconds);
    }
    atomic_store(&run->phase, PHASE_STOP);
    t1 = now_ns();
    for (unsigned i = 0; i < started; i++)
        pthread_join(ws[i].thread, NULL);
    return started == n ? (double)(t1 - t0) / 1e9 : -1;
}

static void fill_result(const struct tally *sum, double secs, struct result *r)
{
    r->mpps = (double)sum->packets / secs / 1e6;
    r->mbps = (double)sum->bytes * 8 / secs / 1e6;
    r->corrupt = sum->corrupt;
    r->max_lag = sum->max_lag;
    memcpy(r->drops, sum->drops, sizeof r->drops);
}

/* Sets up npairs pairs and n workers in zeroed memory, runs, and sums up. */
static int run_workers(const char *suite, enum uipsec_backend be, struct run *run,
                       struct pair *pairs, size_t npairs, struct worker *ws, unsigned n,
                       double seconds, struct result *r)
{
    int rc = UIPSEC_OK;
    struct tally sum;
    double secs;

    for (size_t i = 0; i < npairs && rc == UIPSEC_OK; i++)
        rc = pair_new(suite, be, &pairs[i]);
    if (rc != UIPSEC_OK)
        return rc;
    if (!workers_init(ws, n, run, pairs, npairs) || (secs = drive(ws, n, run, seconds)) < 0)
        return UIPSEC_E_NOMEM;
    add_tallies(ws, n, &sum);
    fill_result(&sum, secs, r);
    r->stats_differ = !stats_agree(pairs, npairs, &sum);
    for (size_t i = 0; i < npairs; i++)
        r->disorder |= pairs[i].wire.disorder;
    return UIPSEC_OK;
}

/* n workers on one pair (shared) or on one pair each.  Returns UIPSEC_OK
 * or the code that stopped the setup. */
static int measure(const char *suite, enum uipsec_backend be, struct run *run, unsigned n,
                   bool shared, double seconds, struct result *r)
{
    size_t npairs = shared ? 1 : n;
    struct pair *pairs = aligned_alloc(LINE, npairs * sizeof *pairs);
    struct worker *ws = aligned_alloc(LINE, n * sizeof *ws);
    int rc = UIPSEC_E_NOMEM;

    memset(r, 0, sizeof *r);
    if (pairs && ws) {
        memset(pairs, 0, npairs * sizeof *pairs);
        memset(ws, 0, n * sizeof *ws);
        rc = run_workers(suite, be, run, pairs, npairs, ws, n, seconds, r);
        for (unsigned i = 0; i < n; i++)
            free(ws[i].mem);
        for (size_t i = 0; i < npairs; i++)
            pair_free(&pairs[i]);
    }
    free(ws);
    free(pairs);
    return rc;
}

/* --- the table ----------------------------------------------------------- */

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0;
}

static void print_table_head(const char *suite, enum uipsec_backend be, size_t inner)
{
    printf("\n%s on %s, %zu-byte inner packets\n", suite, uipsec_backend_name(be), inner);
    printf("%7s %6s | %14s %7s %5s | %15s %7s %5s | %15s | %s\n", "threads", "ideal",
           "shared Mbit/s", "Mpps", "x1", "separate Mbit/s", "Mpps", "x1", "shared/separate",
           "drops");
}

static uint64_t problems(const struct result *r)
{
    uint64_t n = r->corrupt + r->disorder + r->stats_differ;

    for (size_t i = 0; i < UIPSEC_RESULT_COUNT; i++)
        n += r->drops[i];
    return n;
}

static void print_row(unsigned n, const struct result *sh, const struct result *sep,
                      const struct result *sh1, const struct result *sep1)
{
    unsigned ideal = n < ncpus ? n : ncpus;

    printf("%7u %6.2f | %14.0f %7.3f %5.2f | %15.0f %7.3f %5.2f | %15.2f | %llu%s\n", n,
           (double)ideal, sh->mbps, sh->mpps, ratio(sh->mbps, sh1->mbps), sep->mbps, sep->mpps,
           ratio(sep->mbps, sep1->mbps), ratio(sh->mbps, sep->mbps),
           (unsigned long long)(problems(sh) + problems(sep)),
           n > ncpus ? "  (oversubscribed)" : "");
}

/* Names every drop of one figure; false if there was one. */
static bool print_problems(const char *mode, unsigned n, const struct result *r)
{
    if (problems(r) == 0)
        return true;
    printf("    %s, %u threads:", mode, n);
    for (size_t i = 0; i < UIPSEC_RESULT_COUNT; i++)
        if (r->drops[i])
            printf(" %s %llu", uipsec_result_name((int)i), (unsigned long long)r->drops[i]);
    if (r->corrupt)
        printf(" corrupted %llu", (unsigned long long)r->corrupt);
    if (r->disorder)
        printf(" sequence-numbers-out-of-order-on-the-wire");
    if (r->stats_differ)
        printf(" SA-counters-disagree-with-the-workers'");
    printf("\n      (a batch was decapsulated up to %llu numbers behind the newest sent;"
           " window %d)\n",
           (unsigned long long)r->max_lag, REPLAY_WINDOW);
    return false;
}

/* The backend the engine really gives this suite (AUTO may pick either). */
static int probe_backend(const char *suite, enum uipsec_backend want, enum uipsec_backend *got)
{
    struct uipsec_sa *sa;
    int rc = make_sa(suite, want, UIPSEC_DIR_OUT, &sa);

    if (rc == UIPSEC_OK) {
        *got = uipsec_sa_backend(sa);
        uipsec_sa_free(sa);
    }
    return rc;
}

/* One table: 1..threads workers, shared and separate; false on a problem. */
static bool run_table(const struct opts *o, const char *suite, size_t inner)
{
    struct run run = {.inner = inner, .packet = make_packet(inner)};
    struct result sh, sep, sh1 = {0}, sep1 = {0};
    enum uipsec_backend be;
    bool ok = true;
    int rc = run.packet ? probe_backend(suite, o->backend, &be) : UIPSEC_E_NOMEM;

    if (rc != UIPSEC_OK) {
        printf("\n%s, %zu bytes: %s\n", suite, inner, uipsec_result_name(rc));
        free(run.packet);
        return false; /* a typo in --suite must not pass */
    }
    print_table_head(suite, be, inner);
    for (unsigned n = 1; n <= o->threads && rc == UIPSEC_OK; n++) {
        rc = measure(suite, be, &run, n, true, o->seconds, &sh);
        if (rc == UIPSEC_OK)
            rc = measure(suite, be, &run, n, false, o->seconds, &sep);
        if (rc != UIPSEC_OK)
            break;
        if (n == 1)
            sh1 = sh, sep1 = sep;
        print_row(n, &sh, &sep, &sh1, &sep1);
        ok &= print_problems("shared", n, &sh);
        ok &= print_problems("separate", n, &sep);
        fflush(stdout);
    }
    if (rc != UIPSEC_OK)
        printf("setup failed: %s\n", uipsec_result_name(rc));
    free(run.packet);
    return ok && rc == UIPSEC_OK;
}

/* --- options, CPUs, header ------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f, "usage: uipsec-scaling [--threads N] [--seconds S] [--size 1400,64]\n"
               "                      [--suite aes128gcm16,aes128-sha256]\n"
               "                      [--backend auto|openssl|ipsec-mb]\n"
               "  --threads N   run 1..N workers (default: the online CPUs; more shows\n"
               "                oversubscription)\n"
               "  --seconds S   measured time per figure (default 2)\n"
               "  --backend B   default: ipsec-mb when built in, else openssl\n");
}

/* A comma list into list[]; false if it has too many or empty items. */
static bool split(char *arg, const char **list, size_t *n)
{
    *n = 0;
    for (char *tok = strtok(arg, ","); tok; tok = strtok(NULL, ",")) {
        if (*n == MAX_LIST)
            return false;
        list[(*n)++] = tok;
    }
    return *n > 0;
}

static bool parse_sizes(char *arg, struct opts *o)
{
    const char *items[MAX_LIST];

    if (!split(arg, items, &o->nsizes))
        return false;
    for (size_t i = 0; i < o->nsizes; i++) {
        char *end;
        unsigned long v = strtoul(items[i], &end, 10);

        if (*end != '\0' || v < MIN_INNER || v > MAX_INNER) {
            fprintf(stderr, "uipsec-scaling: bad --size '%s' (%d to %d bytes)\n", items[i],
                    MIN_INNER, MAX_INNER);
            return false;
        }
        o->sizes[i] = v;
    }
    return true;
}

static bool parse_backend(const char *arg, struct opts *o)
{
    static const enum uipsec_backend all[] = {UIPSEC_BACKEND_AUTO, UIPSEC_BACKEND_OPENSSL,
                                              UIPSEC_BACKEND_IPSECMB};

    for (size_t i = 0; i < COUNT(all); i++)
        if (strcmp(arg, uipsec_backend_name(all[i])) == 0)
            return o->backend = all[i], true;
    fprintf(stderr, "uipsec-scaling: unknown --backend '%s'\n", arg);
    return false;
}

static bool parse_opt(int c, char *arg, struct opts *o)
{
    char *end = NULL;

    switch (c) {
    case 't':
        o->threads = (unsigned)strtoul(arg, &end, 10);
        return *end == '\0' && o->threads >= 1 && o->threads <= MAX_THREADS;
    case 's':
        o->seconds = strtod(arg, &end);
        return *end == '\0' && o->seconds >= 0.01 && o->seconds <= 600;
    case 'z':
        return parse_sizes(arg, o);
    case 'S':
        return split(arg, o->suites, &o->nsuites);
    case 'b':
        return parse_backend(arg, o);
    }
    return false;
}

static bool parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"threads", required_argument, NULL, 't'},
        {"seconds", required_argument, NULL, 's'},
        {"size", required_argument, NULL, 'z'},
        {"suite", required_argument, NULL, 'S'},
        {"backend", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    int c;

    *o = (struct opts){.threads = online > 0 && online <= MAX_THREADS ? (unsigned)online : 1,
                       .seconds = 2,
                       .suites = {"aes128gcm16", "aes128-sha256"},
                       .nsuites = 2,
                       .sizes = {1400, 64},
                       .nsizes = 2,
                       .backend = uipsec_backend_available(UIPSEC_BACKEND_IPSECMB)
                                      ? UIPSEC_BACKEND_IPSECMB
                                      : UIPSEC_BACKEND_OPENSSL};
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
        fprintf(stderr, "uipsec-scaling: unexpected argument '%s'\n", argv[optind]);
        return false;
    }
    return true;
}

/* The CPUs this process may use: workers are pinned to them in turn. */
static void find_cpus(void)
{
    cpu_set_t set;

    ncpus = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        for (int i = 0; i < CPU_SETSIZE && ncpus < MAX_THREADS; i++)
            if (CPU_ISSET(i, &set))
                cpus[ncpus++] = i;
    if (ncpus == 0)
        cpus[ncpus++] = 0;
}

static void print_load(void)
{
    char line[128] = "unknown";
    FILE *f = fopen("/proc/loadavg", "r");

    if (f) {
        if (fgets(line, sizeof line, f))
            line[strcspn(line, "\n")] = '\0';
        fclose(f);
    }
    printf("load:     /proc/loadavg at start: %s (other work on these CPUs lowers every\n"
           "          figure and mostly the multi-thread ones)\n",
           line);
}

static void print_header(const struct opts *o)
{
    printf("uipsec-scaling: ESP tunnel mode SA pairs (IPv4 in IPv4) driven by 1..%u worker "
           "threads\n",
           o->threads);
    printf("cpus:     %ld online, %u usable by this process; worker i pinned to usable CPU i mod "
           "%u\n",
           sysconf(_SC_NPROCESSORS_ONLN), ncpus, ncpus);
    if (o->threads > ncpus)
        printf("          rows with more than %u threads show OVERSUBSCRIPTION (workers taking\n"
               "          turns on the CPUs), not scaling\n",
               ncpus);
    print_load();
    printf("worker:   per batch of %d: copy %d inner IPv4/UDP packets into its own buffers;\n"
           "          uipsec_encap_seq (outbound SA), uipsec_sa_send_wait, the wire (checks the\n"
           "          ESP sequence numbers arrive in order, counts; no syscall),\n"
           "          uipsec_sa_send_done; uipsec_decap (inbound SA, replay window %d), each\n"
           "          inner packet checked\n",
           BATCH, BATCH, REPLAY_WINDOW);
    printf("shared:   all workers on one SA pair: one sequence counter, send turn, replay window\n"
           "separate: each worker on an SA pair of its own, nothing shared: the baseline\n");
    printf(
        "figures:  a packet = one inner packet encapsulated and decapsulated; Mbit/s counts its\n"
        "          inner bytes once; x1 = over the 1-thread figure of the same column and run;\n"
        "          ideal = threads, capped at the usable CPUs; %.2f s per figure after a\n"
        "          warm-up; drops = drops, corrupted packets and ordering faults (must be 0)\n",
        o->seconds);
}

int main(int argc, char **argv)
{
    struct opts o;
    bool ok = true;

    if (!parse_args(argc, argv, &o))
        return 2;
    find_cpus();
    print_header(&o);
    for (size_t s = 0; s < o.nsuites; s++)
        for (size_t z = 0; z < o.nsizes; z++)
            ok &= run_table(&o, o.suites[s], o.sizes[z]);
    if (!ok)
        printf("\nFAILED: packets were dropped or corrupted, or a setup step failed (above)\n");
    return ok ? 0 : 1;
}
