/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ike_rt's world around the IKE runtime: what uipsecd's other
 * modules and the system would do, without privileges or sockets.
 *   - A virtual clock: time() and clock_gettime(CLOCK_MONOTONIC) follow
 *     the input's "advance time" records (CLOCK_REALTIME, which libFuzzer
 *     measures its runs with, stays real).
 *   - A repeatable generator: OpenSSL's RAND (keys, nonces, SPIs, cookie
 *     secrets) is a counter the harness resets for every input, so an
 *     input always takes the same path and a crash reproduces.
 *   - Stand-ins for the modules the runtime calls but the fuzzer does not
 *     link: UDP sockets (ike_io.c: datagrams go to the harness's network),
 *     routes and nftables (routes.c, guard.c: nothing reaches the kernel;
 *     the drop elements can be made to fail, to test failing closed), the
 *     TUN MTU, the key log, control clients, the data path and the
 *     sequence store of manual SAs (there are none).
 * The stand-ins for the kernel's side and the key log (guard_* and priv_*:
 * the privileged parent does them) and for the data path's thread and
 * hand-off are weak and declared here, not taken from their headers.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define OPENSSL_SUPPRESS_DEPRECATED /* RAND_set_rand_method: a fuzzer's own RNG */
#include <openssl/rand.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "daemon.h"
#include "dataplane.h"
#include "fuzz_ike_rt.h"
#include "guard.h"
#include "ike_int.h"
#include "manual_seq.h"
#include "pairs.h"
#include "routes.h"

struct fz_stats fz_stats;
bool fz_cleardrop_fail;

/* ---- the clock ---- */

#define FZ_EPOCH 1767225600 /* 2026-01-01: time() of every input's start */
#define FZ_MONO  86400      /* CLOCK_MONOTONIC's start, in seconds */

static uint64_t now_ms;

uint64_t fz_now_ms(void)
{
    return now_ms;
}

void fz_advance_ms(uint64_t ms)
{
    now_ms += ms;
}

time_t time(time_t *t)
{
    time_t v = FZ_EPOCH + (time_t)(now_ms / 1000);

    if (t)
        *t = v;
    return v;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
    if (id != CLOCK_MONOTONIC && id != CLOCK_MONOTONIC_COARSE && id != CLOCK_BOOTTIME)
        return (int)syscall(SYS_clock_gettime, id, ts);
    ts->tv_sec = FZ_MONO + (time_t)(now_ms / 1000);
    ts->tv_nsec = (long)(now_ms % 1000) * 1000000;
    return 0;
}

/* ---- the generator (splitmix64) ---- */

static uint64_t rng;

void fz_random(uint8_t *buf, size_t len)
{
    while (len) {
        uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
        size_t n = len < 8 ? len : 8;

        z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ z >> 27) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        memcpy(buf, &z, n);
        buf += n;
        len -= n;
    }
}

static int rand_bytes(unsigned char *buf, int num)
{
    fz_random(buf, (size_t)num);
    return 1;
}

static int rand_status(void)
{
    return 1;
}

static const RAND_METHOD fz_rand = {
    .bytes = rand_bytes, .pseudorand = rand_bytes, .status = rand_status};

void fz_sys_init(void)
{
    if (!RAND_set_rand_method(&fz_rand))
        abort();
}

void fz_sys_reset(void)
{
    now_ms = 0;
    rng = 0x75697073;
    fz_cleardrop_fail = false;
}

/* ---- ike_io.c: no sockets ---- */

int ike_io_open(struct daemon *d)
{
    return ike_tables_open(d);
}

int ike_socket(const struct daemon *d, enum ike_sock which)
{
    (void)d;
    (void)which;
    return -1;
}

void ike_io_close(struct daemon *d)
{
    ike_tables_close(d);
}

void ike_io_send(struct daemon *d, const struct ike_path *path, const uint8_t *buf, size_t len)
{
    (void)d;
    fz_stats.sent++;
    fz_net_from_daemon(path, buf, len);
}

int ike_io_recv(struct daemon *d, enum ike_sock which, uint8_t *buf, size_t cap, size_t *len,
                struct ike_path *from)
{
    (void)d, (void)which, (void)buf, (void)cap, (void)len, (void)from;
    return 0;
}

/* The daemon's addresses: 192.0.2.1 and 2001:db8::1. */
struct uipsec_addr ike_io_source_for(const struct uipsec_addr *remote)
{
    struct uipsec_addr a = {.family = remote->family};

    if (remote->family == 4)
        memcpy(a.bytes, (const uint8_t[]){192, 0, 2, 1}, 4);
    else if (remote->family == 6)
        memcpy(a.bytes, (const uint8_t[]){0x20, 0x01, 0x0d, 0xb8, [15] = 1}, 16);
    return a;
}

/* ---- main.c, routes.c, cleardrop.c: the kernel's side ---- */

void daemon_refresh(struct daemon *d)
{
    d->tun.mtu = pairs_mtu(d);
}

void routes_pair(struct daemon *d, struct sa_pair *c, bool add)
{
    (void)d;
    c->routed = add;
}

void routes_settle(struct daemon *d)
{
    (void)d;
}

#define STANDIN __attribute__((weak))

int guard_pair(struct daemon *d, struct sa_pair *c, bool add);
int guard_commit(struct daemon *d, int rc);
void priv_keylog_ike(struct daemon *d, const struct ike_sa *sa);
void priv_keylog_esp(struct daemon *d, const struct uipsec_sa_params *p);
int priv_psk_mac(struct daemon *d, uint32_t psk_id, unsigned prf, const uint8_t *octets, size_t len,
                 uint8_t *out, size_t out_len);
int priv_sign(struct daemon *d, uint32_t key, unsigned scheme, unsigned method,
              const uint8_t *octets, size_t len, uint8_t *out, size_t *out_len);

/* The data path's thread and its queue of trapped packets (one thread
 * here: nothing to lock, nothing queued). */
void sa_write_lock(struct daemon *d);
void sa_write_unlock(struct daemon *d);
void sa_write_yield(struct daemon *d);
void handoff_forget(struct daemon *d, const struct sa_pair *c);

STANDIN void sa_write_yield(struct daemon *d)
{
    (void)d;
}

STANDIN void sa_write_lock(struct daemon *d)
{
    (void)d;
}

STANDIN void sa_write_unlock(struct daemon *d)
{
    (void)d;
}

STANDIN void handoff_forget(struct daemon *d, const struct sa_pair *c)
{
    (void)d, (void)c;
}

/* The drop elements of c: queued (add) or taken back; the commit fails
 * while fz_cleardrop_fail, and then the caller must remove c. */
STANDIN int guard_pair(struct daemon *d, struct sa_pair *c, bool add)
{
    (void)d;
    if (c->guarded == add)
        return 0;
    c->guarded = add;
    if (add && c->ike)
        fz_stats.child_installed++;
    return 0;
}

/* Like the real one: -1 when the queue is taken back (rc < 0) too. */
STANDIN int guard_commit(struct daemon *d, int rc)
{
    (void)d;
    return rc < 0 || fz_cleardrop_fail ? -1 : 0;
}

STANDIN void priv_keylog_ike(struct daemon *d, const struct ike_sa *sa)
{
    (void)d, (void)sa;
}

STANDIN void priv_keylog_esp(struct daemon *d, const struct uipsec_sa_params *p)
{
    (void)d, (void)p;
}

/* The configuration holds its PSKs (psk_len > 0): the state machine makes
 * the MAC itself and never asks. */
STANDIN int priv_psk_mac(struct daemon *d, uint32_t psk_id, unsigned prf, const uint8_t *octets,
                         size_t len, uint8_t *out, size_t out_len)
{
    (void)d, (void)psk_id, (void)prf, (void)octets, (void)len, (void)out, (void)out_len;
    abort();
}

STANDIN int priv_sign(struct daemon *d, uint32_t key, unsigned scheme, unsigned method,
                      const uint8_t *octets, size_t len, uint8_t *out, size_t *out_len)
{
    (void)d, (void)key, (void)scheme, (void)method, (void)octets, (void)len, (void)out;
    (void)out_len;
    abort(); /* the fuzzed connections use PSKs */
}

/* ---- control.c, dataplane.c, manual_seq.c ---- */

void control_child_done(struct daemon *d, const char *child, struct cJSON *result,
                        const char *error)
{
    (void)d;
    /* one of the two, and a name */
    if (!child || !child[0] || !result == !error)
        abort();
}

void dp_send_held(struct daemon *d, struct sa_pair *c, const uint8_t *pkt, size_t len)
{
    (void)d;
    if (!c->out || !len || !pkt)
        abort();
    fz_stats.held_sent++;
}

int mseq_configure(const struct cfg *cfg, char *err, size_t err_len)
{
    (void)cfg, (void)err, (void)err_len;
    return 0;
}

int mseq_prepare(struct sa_pair *c, struct uipsec_sa_params *out, char *err, size_t err_len)
{
    (void)c, (void)out, (void)err, (void)err_len;
    return 0;
}

int mseq_attach(struct sa_pair *c, char *err, size_t err_len)
{
    (void)c, (void)err, (void)err_len;
    return 0;
}

void mseq_release(struct sa_pair *c)
{
    (void)c;
}
