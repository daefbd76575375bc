/* SPDX-License-Identifier: MIT */
/*
 * One table row: an outbound and an inbound SA on one backend, the raw
 * baseline of the same library, and the five measured operations.
 *
 * encap:    the inner packets stay in the buffers; before each batch
 *           (untimed) off/len are reset and the 20-byte inner IPv4 header
 *           is restored.  The rest is the previous round's ciphertext, which
 *           tunnel mode encrypts again without looking at it.
 * decap:    one batch is encapsulated once (sequence numbers 1..32) and kept;
 *           before each batch (untimed) it is copied back into the buffers.
 *           The inbound SA has no replay window, so the numbers repeat.
 * raw seal: the cipher alone on each buffer's ESP region, in place.
 * raw open: the same copy as decap, then verify and decrypt.
 * burst:    raw seal with all 32 jobs in flight (ipsec-mb job API only).
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

#define INNER_HDR  20
#define SPI        0x1000
#define UDP_PROTO  17
#define IPV4_TOTAL 2
#define IPV4_CSUM  10

struct row_ctx {
    struct uipsec_sa *out, *in;
    struct bench_raw *raw;
    struct bench_bufs *bufs;
    struct bench_shape shape;
    uint8_t *inner;    /* the inner packet every buffer starts with */
    uint8_t *pristine; /* BENCH_BATCH encapsulated packets, shape.total bytes each */
};

/* cap: the field's size, should a suite ever report more. */
static void fill_key(uint8_t *k, size_t n, size_t cap, uint8_t seed)
{
    for (size_t i = 0; i < n && i < cap; i++)
        k[i] = (uint8_t)(seed * 29 + i * 13);
}

static int make_sa(const struct bench_row_spec *spec, enum uipsec_dir dir,
                   struct uipsec_sa_params *p, struct uipsec_sa **sa)
{
    size_t ek, salt, ak;
    int rc;

    memset(p, 0, sizeof *p);
    p->proto = spec->proto;
    if ((rc = uipsec_suite_parse(spec->suite, spec->proto, p)) != UIPSEC_OK)
        return rc;
    p->spi = SPI;
    p->dir = dir;
    p->mode = UIPSEC_MODE_TUNNEL;
    p->tunnel_src = (struct uipsec_addr){.family = 4, .bytes = {192, 0, 2, 1}};
    p->tunnel_dst = (struct uipsec_addr){.family = 4, .bytes = {192, 0, 2, 2}};
    uipsec_suite_key_sizes(p, &ek, &salt, &ak);
    fill_key(p->enc_key, ek, sizeof p->enc_key, 1);
    fill_key(p->salt, salt, sizeof p->salt, 2);
    fill_key(p->auth_key, ak, sizeof p->auth_key, 3);
    p->auth_key_len = (uint8_t)ak;
    p->seq = 1;
    p->replay_window = 0;
    p->backend = spec->backend;
    return uipsec_sa_new(p, sa);
}

static uint16_t csum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;

    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* An IPv4 UDP packet of n bytes: the inner packet of every buffer. */
static uint8_t *make_inner(size_t n)
{
    static const uint8_t hdr[INNER_HDR] = {0x45, 0, 0,  0, 0x12, 0x34, 0,  0, 64, UDP_PROTO,
                                           0,    0, 10, 0, 0,    1,    10, 0, 0,  2};
    uint8_t *p = malloc(n);
    uint16_t c;

    if (p == NULL)
        return NULL;
    for (size_t i = INNER_HDR; i < n; i++)
        p[i] = (uint8_t)(i * 7);
    memcpy(p, hdr, INNER_HDR);
    p[IPV4_TOTAL] = (uint8_t)(n >> 8);
    p[IPV4_TOTAL + 1] = (uint8_t)n;
    c = csum(p, INNER_HDR);
    p[IPV4_CSUM] = (uint8_t)(c >> 8);
    p[IPV4_CSUM + 1] = (uint8_t)c;
    return p;
}

static void prep_encap(void *arg)
{
    struct row_ctx *c = arg;

    for (size_t i = 0; i < BENCH_BATCH; i++) {
        struct uipsec_buf *b = &c->bufs->b[i];

        b->off = UIPSEC_HEADROOM;
        b->len = (uint32_t)c->shape.inner;
        memcpy(b->base + UIPSEC_HEADROOM, c->inner, INNER_HDR);
    }
}

static bool run_encap(void *arg)
{
    struct row_ctx *c = arg;

    return uipsec_encap(c->out, c->bufs->b, BENCH_BATCH) == BENCH_BATCH;
}

static uint32_t packet_off(const struct bench_shape *s)
{
    return (uint32_t)(UIPSEC_HEADROOM - s->hdr - s->lead);
}

static void prep_decap(void *arg)
{
    struct row_ctx *c = arg;
    uint32_t off = packet_off(&c->shape), len = (uint32_t)c->shape.total;

    for (size_t i = 0; i < BENCH_BATCH; i++) {
        struct uipsec_buf *b = &c->bufs->b[i];

        memcpy(b->base + off, c->pristine + i * len, len);
        b->off = off;
        b->len = len;
    }
}

static bool run_decap(void *arg)
{
    struct row_ctx *c = arg;

    return uipsec_decap(c->in, c->bufs->b, BENCH_BATCH) == BENCH_BATCH;
}

static bool run_raw_seal(void *arg)
{
    struct row_ctx *c = arg;

    return bench_raw_seal(c->raw, c->bufs, &c->shape);
}

static bool run_raw_open(void *arg)
{
    struct row_ctx *c = arg;

    return bench_raw_open(c->raw, c->bufs, &c->shape);
}

static bool run_burst(void *arg)
{
    struct row_ctx *c = arg;

    return bench_raw_seal_burst(c->raw, c->bufs, &c->shape);
}

/* Fresh inner packets in, the packets decap will replay out; each must
 * have exactly the shape bench_shape_of predicts, or the raw baseline
 * would not be doing the engine's work. */
static bool make_pristine(struct row_ctx *c)
{
    const struct bench_shape *s = &c->shape;

    for (size_t i = 0; i < BENCH_BATCH; i++)
        memcpy(c->bufs->b[i].base + UIPSEC_HEADROOM, c->inner, s->inner);
    prep_encap(c);
    if (!run_encap(c))
        return false;
    for (size_t i = 0; i < BENCH_BATCH; i++) {
        const struct uipsec_buf *b = &c->bufs->b[i];

        if (b->off != packet_off(s) || b->len != s->total)
            return false;
        memcpy(c->pristine + i * s->total, b->base + b->off, s->total);
    }
    return true;
}

/* Decap must give back the inner packet, and the raw open must accept the
 * engine's packets (AH aside: see bench_raw_open). */
static bool check_paths(struct row_ctx *c)
{
    prep_decap(c);
    if (!run_decap(c))
        return false;
    for (size_t i = 0; i < BENCH_BATCH; i++) {
        const struct uipsec_buf *b = &c->bufs->b[i];

        if (b->len != c->shape.inner || memcmp(b->base + b->off, c->inner, b->len) != 0)
            return false;
    }
    prep_decap(c);
    return run_raw_open(c);
}

static void row_free(struct row_ctx *c)
{
    uipsec_sa_free(c->out);
    uipsec_sa_free(c->in);
    bench_raw_free(c->raw);
    free(c->inner);
    free(c->pristine);
}

static int row_setup(const struct bench_row_spec *spec, struct row_ctx *c, const char **what)
{
    struct uipsec_sa_params p;
    int rc;

    *what = "outbound SA";
    if ((rc = make_sa(spec, UIPSEC_DIR_OUT, &p, &c->out)) != UIPSEC_OK)
        return rc;
    *what = "inbound SA";
    if ((rc = make_sa(spec, UIPSEC_DIR_IN, &p, &c->in)) != UIPSEC_OK)
        return rc;
    *what = "raw baseline";
    if ((rc = bench_raw_new(spec->backend, &p, spec->raw_flags, &c->raw)) != UIPSEC_OK)
        return rc;
    bench_shape_of(&p, spec->inner, &c->shape);
    *what = "memory";
    c->inner = make_inner(spec->inner);
    c->pristine = malloc(c->shape.total * BENCH_BATCH);
    if (c->inner == NULL || c->pristine == NULL)
        return UIPSEC_E_NOMEM;
    *what = "encapsulation check";
    if (!make_pristine(c))
        return UIPSEC_E_CRYPTO;
    *what = "decapsulation and raw check";
    return check_paths(c) ? UIPSEC_OK : UIPSEC_E_CRYPTO;
}

enum { OP_ENCAP, OP_RAW_SEAL, OP_DECAP, OP_RAW_OPEN, OP_BURST, OP_COUNT };

static bool measure(struct row_ctx *c, const struct bench_row_spec *spec, struct bench_row *row)
{
    const struct bench_op ops[OP_COUNT] = {
        {prep_encap, run_encap, c},    {NULL, run_raw_seal, c}, {prep_decap, run_decap, c},
        {prep_decap, run_raw_open, c}, {NULL, run_burst, c},
    };
    size_t nops = bench_raw_has_burst(c->raw) ? OP_COUNT : OP_BURST;
    double t[OP_COUNT] = {0};

    if (!bench_time(ops, nops, spec->seconds, t))
        return false;
    *row =
        (struct bench_row){t[OP_ENCAP], t[OP_DECAP], t[OP_RAW_SEAL], t[OP_RAW_OPEN], t[OP_BURST]};
    return true;
}

int bench_row_run(const struct bench_row_spec *spec, struct bench_bufs *bufs, struct bench_row *row,
                  const char **what)
{
    struct row_ctx c = {.bufs = bufs};
    int rc = row_setup(spec, &c, what);

    memset(row, 0, sizeof *row);
    if (rc == UIPSEC_OK) {
        *what = "measurement (a packet failed)";
        rc = measure(&c, spec, row) ? UIPSEC_OK : UIPSEC_E_CRYPTO;
    }
    row_free(&c);
    return rc;
}
