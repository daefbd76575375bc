/* SPDX-License-Identifier: MIT */
/* uipsec-bench: what the engine measurement and the raw cipher baselines share. */
#ifndef UIPSEC_BENCH_H
#define UIPSEC_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uipsec/uipsec.h"

#define BENCH_BATCH     32   /* packets per uipsec_encap/decap call and per timed interval */
#define BENCH_MAX_INNER 9000 /* largest inner packet */
#define BENCH_OUTER_LEN 20   /* outer IPv4 header: tunnel mode, no options */

/* Where the bytes of one protected packet lie, counted from the start of the
 * authenticated region: the ESP header, or the outer IP header for AH. */
struct bench_shape {
    size_t inner;    /* inner packet bytes */
    size_t iv_len;   /* ESP IV on the wire */
    size_t icv_len;  /* tag or truncated HMAC */
    size_t hdr;      /* region start to the ESP payload (or to the inner packet for AH) */
    size_t padded;   /* encrypted bytes: inner + padding + trailer (0 for AH) */
    size_t auth_len; /* bytes authenticated from the region start */
    size_t icv_off;  /* region start to the ICV */
    size_t lead;     /* packet start to region start: the outer IP header for ESP */
    size_t total;    /* the protected packet on the wire */
    bool ah;
};

/* BENCH_BATCH buffers of one allocation; the inner packet of every buffer
 * starts at UIPSEC_HEADROOM, so the engine and the raw baselines touch the
 * same addresses. */
struct bench_bufs {
    struct uipsec_buf b[BENCH_BATCH];
    uint8_t *mem;
};

/* The sizes of a suite's packets, from its parsed parameters. */
void bench_shape_of(const struct uipsec_sa_params *p, size_t inner, struct bench_shape *s);

/* The first byte of buffer i's authenticated region (see bench_shape). */
uint8_t *bench_region(const struct bench_bufs *bufs, size_t i, const struct bench_shape *s);

/* Allocates the buffers (room for BENCH_MAX_INNER); false when out of memory. */
bool bench_bufs_init(struct bench_bufs *bufs);
void bench_bufs_free(struct bench_bufs *bufs);

/* One measured operation on a batch: prep (may be NULL) runs untimed before
 * each batch, run is timed and returns false if a packet failed. */
struct bench_op {
    void (*prep)(void *ctx);
    bool (*run)(void *ctx);
    void *ctx;
};

#define BENCH_MAX_OPS 8

/* Measures the clock's own cost once; call before bench_time. */
void bench_timer_calibrate(void);
/* Nanoseconds one empty timed interval costs (subtracted from every batch). */
double bench_timer_overhead(void);
/* Measures nops operations side by side: after a warm-up, each batch is
 * timed alone, the operations take turns every few batches until about
 * `seconds` of timed time per operation were spent, and ns_per_pkt[k] gets
 * operation k's median batch time per packet.  False if a batch failed. */
bool bench_time(const struct bench_op *ops, size_t nops, double seconds, double *ns_per_pkt);

/* Pins the calling thread to one CPU; false if the kernel refused. */
bool bench_pin(int cpu);

/* One line of the table: a suite on one backend at one inner size.  Times
 * are nanoseconds per packet (median batch); 0 means not measured (burst
 * exists only for ipsec-mb job API suites). */
struct bench_row {
    double encap, decap, raw_seal, raw_open, burst;
};

struct bench_row_spec {
    const char *suite; /* strongSwan keyword */
    enum uipsec_proto proto;
    enum uipsec_backend backend;
    size_t inner;
    double seconds;
    unsigned raw_flags; /* BENCH_RAW_* */
};

/* Sets up the SAs, the encapsulated packets and the raw baseline, checks
 * that each path gives correct packets, then measures.  Returns UIPSEC_OK or
 * the code that stopped it; *what names the step that failed. */
int bench_row_run(const struct bench_row_spec *spec, struct bench_bufs *bufs, struct bench_row *row,
                  const char **what);

/* One line naming the intel-ipsec-mb build and the code path it chose, or
 * saying it is not built in. */
const char *bench_ipsecmb_info(void);

/* A raw baseline: one library's cipher, keyed once, called directly. */
struct bench_raw;

/* Flags of bench_raw_new: the ipsec-mb job API baseline (CBC+HMAC, HMAC)
 * on the library's SSE code path (init_mb_mgr_sse, which uses SHA-NI)
 * instead of the one init_mb_mgr_auto picks, as the engine does. */
#define BENCH_RAW_MB_SSE 1u

/* Returns UIPSEC_OK, UIPSEC_E_UNSUPPORTED (library or suite missing) or another error. */
int bench_raw_new(enum uipsec_backend lib, const struct uipsec_sa_params *p, unsigned flags,
                  struct bench_raw **out);
void bench_raw_free(struct bench_raw *r);

/* Protects the region of every buffer in place: encryption and ICV, nothing
 * else.  seal_burst does the same with all jobs in flight at once (ipsec-mb
 * job API only; bench_raw_has_burst says whether it exists). */
bool bench_raw_seal(struct bench_raw *r, const struct bench_bufs *bufs,
                    const struct bench_shape *s);
bool bench_raw_has_burst(const struct bench_raw *r);
bool bench_raw_seal_burst(struct bench_raw *r, const struct bench_bufs *bufs,
                          const struct bench_shape *s);
/* Verifies and decrypts every buffer's region in place; false if one does
 * not verify.  AH regions are only hashed (raw AH does not zero the mutable
 * fields), so their result is always true. */
bool bench_raw_open(struct bench_raw *r, const struct bench_bufs *bufs,
                    const struct bench_shape *s);

#endif
