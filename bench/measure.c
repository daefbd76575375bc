/* SPDX-License-Identifier: MIT */
/* Timing, CPU pinning, the bench buffers and the shape of a suite's packets. */
#define _GNU_SOURCE /* sched_setaffinity */
#include "bench.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ESP_HDR      8
#define AH_FIXED     12
#define WARMUP_SHARE 4          /* warm-up lasts a quarter of the measurement */
#define CALIBRATIONS 999        /* empty intervals timed to find the clock's cost */
#define CHUNK        8          /* batches an operation runs before the next one's turn */
#define MAX_SAMPLES  (1u << 18) /* batch times kept per operation */
#define BUF_ALIGN    64

static double timer_ns; /* the cost of one empty timed interval */

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

void bench_timer_calibrate(void)
{
    static uint64_t d[CALIBRATIONS];

    for (size_t i = 0; i < CALIBRATIONS; i++) {
        uint64_t t0 = now_ns();

        d[i] = now_ns() - t0;
    }
    qsort(d, CALIBRATIONS, sizeof d[0], cmp_u64);
    timer_ns = (double)d[CALIBRATIONS / 2];
}

double bench_timer_overhead(void)
{
    return timer_ns;
}

/* Every batch is timed on its own, the operations take turns in chunks of
 * CHUNK batches, and the figure is the median batch: a preemption or an
 * interrupt spoils a few batches of one operation, not its figure, and a
 * slow phase of the machine falls on all operations alike. */
struct samples {
    uint32_t *ns;
    size_t n;
    uint64_t total;
};

static bool run_chunk(const struct bench_op *op, struct samples *s, bool keep)
{
    for (int i = 0; i < CHUNK; i++) {
        uint64_t t0, t1;
        bool ok;

        if (op->prep)
            op->prep(op->ctx);
        t0 = now_ns();
        ok = op->run(op->ctx);
        t1 = now_ns();
        if (!ok)
            return false;
        if (keep && s->n < MAX_SAMPLES)
            s->ns[s->n++] = (uint32_t)(t1 - t0 < UINT32_MAX ? t1 - t0 : UINT32_MAX);
        s->total += t1 - t0;
    }
    return true;
}

/* Rounds of one chunk per operation until they used nops * ns in all. */
static bool run_rounds(const struct bench_op *ops, size_t nops, struct samples *s, uint64_t ns,
                       bool keep)
{
    uint64_t sum = 0;

    while (sum < ns * nops) {
        sum = 0;
        for (size_t k = 0; k < nops; k++) {
            if (!run_chunk(&ops[k], &s[k], keep))
                return false;
            sum += s[k].total;
            if (s[k].n == MAX_SAMPLES)
                return true;
        }
    }
    return true;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

static double median_batch(struct samples *s)
{
    qsort(s->ns, s->n, sizeof s->ns[0], cmp_u32);
    return (double)s->ns[s->n / 2];
}

bool bench_time(const struct bench_op *ops, size_t nops, double seconds, double *ns_per_pkt)
{
    struct samples s[BENCH_MAX_OPS] = {0};
    uint64_t ns = (uint64_t)(seconds * 1e9);
    bool ok = nops <= BENCH_MAX_OPS && run_rounds(ops, nops, s, ns / WARMUP_SHARE, false);

    for (size_t k = 0; ok && k < nops; k++) {
        s[k] = (struct samples){malloc(MAX_SAMPLES * sizeof(uint32_t)), 0, 0};
        ok = s[k].ns != NULL;
    }
    ok = ok && run_rounds(ops, nops, s, ns, true);
    for (size_t k = 0; k < nops; k++) {
        if (ok)
            ns_per_pkt[k] = (median_batch(&s[k]) - timer_ns) / BENCH_BATCH;
        free(s[k].ns);
    }
    return ok;
}

bool bench_pin(int cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
}

static size_t buf_cap(void)
{
    size_t cap = UIPSEC_HEADROOM + BENCH_MAX_INNER + UIPSEC_TAILROOM;

    return (cap + BUF_ALIGN - 1) / BUF_ALIGN * BUF_ALIGN;
}

bool bench_bufs_init(struct bench_bufs *bufs)
{
    size_t cap = buf_cap();

    memset(bufs, 0, sizeof *bufs);
    bufs->mem = aligned_alloc(BUF_ALIGN, cap * BENCH_BATCH);
    if (bufs->mem == NULL)
        return false;
    memset(bufs->mem, 0, cap * BENCH_BATCH);
    for (size_t i = 0; i < BENCH_BATCH; i++) {
        bufs->b[i].base = bufs->mem + i * cap;
        bufs->b[i].cap = (uint32_t)cap;
    }
    return true;
}

void bench_bufs_free(struct bench_bufs *bufs)
{
    free(bufs->mem);
    memset(bufs, 0, sizeof *bufs);
}

uint8_t *bench_region(const struct bench_bufs *bufs, size_t i, const struct bench_shape *s)
{
    return bufs->b[i].base + UIPSEC_HEADROOM - s->hdr;
}

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

static size_t icv_of(const struct uipsec_sa_params *p)
{
    if (p->proto == UIPSEC_PROTO_ESP && p->enc != UIPSEC_ENC_NULL && p->enc != UIPSEC_ENC_AES_CBC)
        return 16; /* AEAD and GMAC tags */
    return p->integ == UIPSEC_INTEG_HMAC_SHA256_128   ? 16
           : p->integ == UIPSEC_INTEG_HMAC_SHA384_192 ? 24
                                                      : 32;
}

/* RFC 4303 2 and 2.4 (ESP), RFC 4302 2 (AH on IPv4: 4-byte aligned). */
void bench_shape_of(const struct uipsec_sa_params *p, size_t inner, struct bench_shape *s)
{
    bool cbc = p->enc == UIPSEC_ENC_AES_CBC;

    memset(s, 0, sizeof *s);
    s->inner = inner;
    s->icv_len = icv_of(p);
    s->ah = p->proto == UIPSEC_PROTO_AH;
    if (s->ah) {
        s->hdr = BENCH_OUTER_LEN + round_up(AH_FIXED + s->icv_len, 4);
        s->auth_len = s->hdr + inner;
        s->icv_off = BENCH_OUTER_LEN + AH_FIXED;
        s->total = s->auth_len;
        return;
    }
    s->iv_len = cbc ? 16 : p->enc == UIPSEC_ENC_NULL ? 0 : 8;
    s->padded = round_up(inner + 2, cbc ? 16 : 4);
    s->hdr = ESP_HDR + s->iv_len;
    s->auth_len = s->hdr + s->padded;
    s->icv_off = s->auth_len;
    s->lead = BENCH_OUTER_LEN;
    s->total = s->lead + s->auth_len + s->icv_len;
}
