/* SPDX-License-Identifier: MIT */
/*
 * One SA used by several threads at once (the "Thread safety" paragraph of
 * include/uipsec/uipsec.h), with real threads started together:
 *  - outbound, T threads encapsulate batches on one SA with
 *    uipsec_encap_seq() and put them on a shared wire between
 *    uipsec_sa_send_wait() and uipsec_sa_send_done(): every number is used
 *    once, 1..N without a gap, the wire is in order, the blocks say which
 *    numbers their packets got;
 *  - inbound, T threads decapsulate that wire on one SA, every packet twice
 *    by two threads racing: one copy is accepted, the other is a replay (or
 *    too old), and the inner packets are the ones sent;
 *  - the counters afterwards add up to what the threads saw;
 *  - plain uipsec_encap() beside the block users neither hangs them nor
 *    lets a block go before an earlier one (also step by step, with a
 *    thread kept waiting for its turn);
 *  - a hard packet lifetime shared by the threads ends the SA once: calls
 *    under way may finish their burst, none begun after the callback sends;
 *  - uipsec_decap_any_order() says yes exactly when the numbers in a
 *    batch's headers span less than the window, and such a batch's parts
 *    decapsulated out of order are all accepted (a longer one's are not).
 * The threads only record; the main thread checks, since cmocka's asserts
 * must not jump out of another thread.  The references are the packets the
 * test wrote and the numbers it parses from the outer headers by hand.
 */
#define _GNU_SOURCE /* pthread_barrier */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "uipsec/uipsec.h"

#define T         4  /* threads */
#define K         16 /* batches per thread */
#define B         32 /* packets per batch */
#define N         (T * K * B)
#define MAX_IN    300 /* largest inner packet */
#define BUF       (UIPSEC_HEADROOM + MAX_IN + UIPSEC_TAILROOM)
#define WIRE_MAX  (MAX_IN + UIPSEC_HEADROOM + 64) /* an outer packet */
#define SPI       0x5a5a0001u
#define BIG_WIN   4096
#define SMALL_WIN 64
#define LT_HARD   1000 /* hard packet lifetime */
#define LT_K      16   /* batches per thread against it: twice what it allows */
#define MAX_K     (K > LT_K ? K : LT_K)
#define GUARD_S   60 /* a test still running after this has hung */

struct tcase {
    const char *suite;
    enum uipsec_proto proto;
    enum uipsec_backend backend;
};

/* The AEAD path, the CBC+HMAC burst path and AH, on each backend. */
static struct tcase cases[] = {
    {"aes128gcm16", UIPSEC_PROTO_ESP, UIPSEC_BACKEND_OPENSSL},
    {"aes128-sha256", UIPSEC_PROTO_ESP, UIPSEC_BACKEND_OPENSSL},
    {"sha256", UIPSEC_PROTO_AH, UIPSEC_BACKEND_OPENSSL},
    {"aes128gcm16", UIPSEC_PROTO_ESP, UIPSEC_BACKEND_IPSECMB},
    {"aes128-sha256", UIPSEC_PROTO_ESP, UIPSEC_BACKEND_IPSECMB},
    {"sha256", UIPSEC_PROTO_AH, UIPSEC_BACKEND_IPSECMB},
};

/* ---- packets ---------------------------------------------------------- */

/* Inner packet id: UDP in IPv4, its size and bytes id's own, id in front. */
static size_t inner(uint8_t *p, uint32_t id)
{
    static const uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
    size_t payload = 4 + id * 37 % (MAX_IN - 32), total = 28 + payload;

    ipv4_udp(p, total, src, dst);
    put32(p + 28, id);
    fill(p + 32, payload - 4, (uint8_t)(id * 5 + 1));
    return total;
}

static void buf_inner(struct uipsec_buf *b, uint8_t *mem, uint32_t id)
{
    size_t len = inner(mem + UIPSEC_HEADROOM, id);

    *b = (struct uipsec_buf){mem, BUF, UIPSEC_HEADROOM, (uint32_t)len, -1};
}

/* The ESP or AH sequence number of an outer IPv4 tunnel packet, read by
 * hand; 0 (never sent) if it is not ours. */
static uint32_t outer_seq(const uint8_t *p, size_t len)
{
    size_t ihl = (size_t)(p[0] & 0xf) * 4;

    if (len < ihl + 12 || (p[9] != UIPSEC_PROTO_ESP && p[9] != UIPSEC_PROTO_AH))
        return 0;
    if (p[9] == UIPSEC_PROTO_ESP)
        return get32(p + ihl) == SPI ? get32(p + ihl + 4) : 0;
    return get32(p + ihl + 4) == SPI ? get32(p + ihl + 8) : 0;
}

/* ---- SAs -------------------------------------------------------------- */

static atomic_int hard_calls, soft_calls;

static void on_lifetime(void *arg, struct uipsec_sa *sa, enum uipsec_lifetime_event ev)
{
    (void)arg;
    (void)sa;
    atomic_fetch_add(ev == UIPSEC_LIFETIME_HARD ? &hard_calls : &soft_calls, 1);
}

static int sa_new(const struct tcase *c, enum uipsec_dir dir, uint32_t window,
                  uint64_t hard_packets, struct uipsec_sa **sa)
{
    struct uipsec_sa_params p = {.spi = SPI, .dir = dir, .proto = c->proto};
    size_t ek, salt, ak;

    assert_int_equal(uipsec_suite_parse(c->suite, c->proto, &p), UIPSEC_OK);
    uipsec_suite_key_sizes(&p, &ek, &salt, &ak);
    fill(p.enc_key, ek, 1);
    fill(p.salt, salt, 2);
    fill(p.auth_key, ak, 3);
    p.auth_key_len = (uint8_t)ak;
    p.mode = UIPSEC_MODE_TUNNEL;
    p.replay_window = window;
    p.backend = c->backend;
    p.tunnel_src.family = p.tunnel_dst.family = 4;
    p.tunnel_src.bytes[0] = 0xc0, p.tunnel_dst.bytes[0] = 0xc1;
    p.lifetime.hard_packets = hard_packets;
    p.on_lifetime = on_lifetime;
    return uipsec_sa_new(&p, sa);
}

/* The test's SAs, freed by its teardown even when it fails. */
static struct uipsec_sa *sa_out, *sa_in;

/* An outbound SA and an inbound one with the same keys; skips the case
 * where its backend is missing. */
static void pair_new(const struct tcase *c, uint32_t window, uint64_t hard_packets,
                     struct uipsec_sa **out, struct uipsec_sa **in)
{
    if (!uipsec_backend_available(c->backend)) {
        print_message("%s: no %s backend\n", c->suite, uipsec_backend_name(c->backend));
        skip();
    }
    assert_int_equal(sa_new(c, UIPSEC_DIR_OUT, 0, hard_packets, &sa_out), UIPSEC_OK);
    assert_int_equal(sa_new(c, UIPSEC_DIR_IN, window, 0, &sa_in), UIPSEC_OK);
    *out = sa_out;
    *in = sa_in;
    assert_int_equal(uipsec_sa_backend(*out), c->backend);
    atomic_store(&hard_calls, 0);
    atomic_store(&soft_calls, 0);
}

/* ---- threads ---------------------------------------------------------- */

static pthread_barrier_t start;

/* Runs fn(0..n-1) on n threads that start together. */
static void run_threads(size_t n, void *(*fn)(void *), void *args, size_t arg_size)
{
    pthread_t th[T];

    assert_true(n <= T);
    assert_int_equal(pthread_barrier_init(&start, NULL, (unsigned)n), 0);
    for (size_t t = 0; t < n; t++)
        assert_int_equal(pthread_create(&th[t], NULL, fn, (uint8_t *)args + t * arg_size), 0);
    for (size_t t = 0; t < n; t++)
        assert_int_equal(pthread_join(th[t], NULL), 0);
    pthread_barrier_destroy(&start);
}

static void on_alarm(int sig)
{
    static const char msg[] = "test_sa_threads: still running after 60 s: hung (a block "
                              "never released, or a lock never given back)\n";

    (void)sig;
    (void)!write(2, msg, sizeof msg - 1);
    _exit(1);
}

/* ---- the wire: outer packets in the order the senders put them --------- */

struct wpkt {
    uint32_t seq; /* parsed from the outer header */
    uint32_t id;  /* the inner packet */
    uint16_t len;
    uint8_t bytes[WIRE_MAX];
};

/* A block as the thread that held it saw it. */
struct brec {
    struct uipsec_seq_block blk;
    size_t ok;       /* encap_seq's return */
    bool late;       /* the call began after the hard lifetime callback */
    uint32_t id0;    /* id of the batch's first packet */
    int result[B];   /* each packet's */
    uint32_t seq[B]; /* each packet's number on the wire, 0 if it failed */
};

static struct {
    pthread_mutex_t mu;
    size_t n;
    struct wpkt pkt[T * MAX_K * B];
} wire = {.mu = PTHREAD_MUTEX_INITIALIZER};

static struct brec blocks[T][MAX_K];

struct sender {
    struct uipsec_sa *sa;
    int t;      /* thread number */
    int k;      /* batches */
    bool plain; /* uipsec_encap(), no block */
    uint8_t mem[B][BUF];
    struct uipsec_buf b[B];
};

static struct sender senders[T];

static void wire_put(struct brec *r, const struct uipsec_buf *b, size_t n)
{
    pthread_mutex_lock(&wire.mu);
    for (size_t j = 0; j < n; j++) {
        struct wpkt *w = &wire.pkt[wire.n];

        r->result[j] = b[j].result;
        if (b[j].result != UIPSEC_OK || b[j].len > WIRE_MAX)
            continue;
        w->len = (uint16_t)b[j].len;
        memcpy(w->bytes, b[j].base + b[j].off, b[j].len);
        w->id = r->id0 + (uint32_t)j;
        w->seq = r->seq[j] = outer_seq(w->bytes, w->len);
        wire.n++;
    }
    pthread_mutex_unlock(&wire.mu);
}

static void *send_thread(void *arg)
{
    struct sender *s = arg;

    pthread_barrier_wait(&start);
    for (int k = 0; k < s->k; k++) {
        struct brec *r = &blocks[s->t][k];

        r->id0 = (uint32_t)((s->t * s->k + k) * B);
        r->late = atomic_load(&hard_calls) > 0;
        for (size_t j = 0; j < B; j++)
            buf_inner(&s->b[j], s->mem[j], r->id0 + (uint32_t)j);
        if (s->plain) {
            r->ok = uipsec_encap(s->sa, s->b, B);
            wire_put(r, s->b, B);
            continue;
        }
        r->ok = uipsec_encap_seq(s->sa, s->b, B, &r->blk);
        uipsec_sa_send_wait(s->sa, &r->blk);
        wire_put(r, s->b, B);
        uipsec_sa_send_done(s->sa, &r->blk);
    }
    return NULL;
}

/* Sends k batches per thread on sa; with plain_first, thread 0 uses plain
 * uipsec_encap(). */
static void send_all(struct uipsec_sa *sa, int k, bool plain_first)
{
    memset(blocks, 0, sizeof blocks);
    wire.n = 0;
    for (int t = 0; t < T; t++) {
        senders[t].sa = sa;
        senders[t].t = t;
        senders[t].k = k;
        senders[t].plain = plain_first && t == 0;
    }
    run_threads(T, send_thread, senders, sizeof senders[0]);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

/* The numbers of the wire's n packets are each used once and, with
 * contiguous, are exactly 1..n. */
static void expect_numbers(size_t n, bool contiguous)
{
    static uint32_t seqs[T * MAX_K * B];

    assert_int_equal(wire.n, n);
    for (size_t i = 0; i < n; i++)
        seqs[i] = wire.pkt[i].seq;
    qsort(seqs, n, sizeof seqs[0], cmp_u32);
    for (size_t i = 0; i < n; i++) {
        if (seqs[i] == 0)
            fail_msg("a packet on the wire without our SPI or sequence number");
        if (i > 0 && seqs[i] == seqs[i - 1])
            fail_msg("sequence number %u used twice", seqs[i]);
        if (contiguous && seqs[i] != i + 1)
            fail_msg("sequence numbers: %zu missing (a gap; %u follows)", i + 1, seqs[i]);
    }
}

/* Each block of thread t covers its packets' numbers, in their order:
 * packet j of a fully successful block has number first + j. */
static void expect_blocks(int t, int k)
{
    for (int b = 0; b < k; b++) {
        const struct brec *r = &blocks[t][b];

        assert_int_equal(r->ok, B);
        assert_int_equal(r->blk.count, B);
        for (size_t j = 0; j < B; j++) {
            assert_int_equal(r->result[j], UIPSEC_OK);
            if (r->seq[j] != r->blk.first + j)
                fail_msg("thread %d block %d: packet %zu went with number %u, the block says "
                         "%llu",
                         t, b, j, r->seq[j], (unsigned long long)(r->blk.first + j));
        }
    }
}

/* The packets of the block users are on the wire in increasing order. */
static void expect_wire_order(bool skip_plain)
{
    uint32_t last = 0;

    for (size_t i = 0; i < wire.n; i++) {
        if (skip_plain && wire.pkt[i].id / (K * B) == 0)
            continue; /* thread 0's: plain encap, no order promised */
        if (wire.pkt[i].seq <= last)
            fail_msg("wire position %zu: number %u after %u", i, wire.pkt[i].seq, last);
        last = wire.pkt[i].seq;
    }
}

static void expect_out_stats(struct uipsec_sa *sa, size_t n)
{
    struct uipsec_sa_stats st;

    uipsec_sa_get_stats(sa, &st);
    assert_int_equal(st.packets, n);
    assert_int_equal(st.seq, n);
    for (int r = 0; r < UIPSEC_RESULT_COUNT; r++)
        assert_int_equal(st.drops[r], 0);
}

/* ---- receivers -------------------------------------------------------- */

/* What happened to each copy of wire packet i: copy 0 went through thread
 * i % T, copy 1 through the thread before it. */
static struct {
    int result[2];
    bool same[2]; /* the inner packet is byte-equal to the one sent */
} got[N];

struct receiver {
    struct uipsec_sa *sa;
    int t;
    uint8_t mem[B][BUF];
    struct uipsec_buf b[B];
    uint8_t want[BUF];
};

static struct receiver receivers[T];

/* Decapsulates the packets slice, slice + T, ... at batch position pos. */
static void recv_batch(struct receiver *r, int slice, size_t pos, int copy)
{
    size_t n = 0, idx[B];

    for (size_t i = (size_t)slice + pos * T; i < N && n < B; i += T) {
        const struct wpkt *w = &wire.pkt[i];

        memcpy(r->mem[n] + UIPSEC_HEADROOM, w->bytes, w->len);
        r->b[n] = (struct uipsec_buf){r->mem[n], BUF, UIPSEC_HEADROOM, w->len, -1};
        idx[n++] = i;
    }
    uipsec_decap(r->sa, r->b, n);
    for (size_t j = 0; j < n; j++) {
        const struct uipsec_buf *b = &r->b[j];
        size_t len = inner(r->want, wire.pkt[idx[j]].id);

        got[idx[j]].result[copy] = b->result;
        got[idx[j]].same[copy] =
            b->result == UIPSEC_OK && b->len == len && memcmp(b->base + b->off, r->want, len) == 0;
    }
}

/* Thread t takes its own slice and the next thread's, batch by batch; odd
 * threads start with the other one, so both copies are in flight at once. */
static void *recv_thread(void *arg)
{
    struct receiver *r = arg;
    int mine = r->t, next = (r->t + 1) % T;

    pthread_barrier_wait(&start);
    for (size_t pos = 0; pos * T < N; pos += B) {
        if (r->t % 2 == 0) {
            recv_batch(r, mine, pos, 0);
            recv_batch(r, next, pos, 1);
        } else {
            recv_batch(r, next, pos, 1);
            recv_batch(r, mine, pos, 0);
        }
    }
    return NULL;
}

struct tally {
    size_t ok, replay, too_old;
};

/* Every packet of the wire, twice, through sa on T threads. */
static struct tally recv_all(struct uipsec_sa *sa)
{
    struct tally c = {0};

    assert_int_equal(wire.n, N);
    for (size_t i = 0; i < N; i++)
        got[i].result[0] = got[i].result[1] = -1; /* not seen */
    for (int t = 0; t < T; t++) {
        receivers[t].sa = sa;
        receivers[t].t = t;
    }
    run_threads(T, recv_thread, receivers, sizeof receivers[0]);
    for (size_t i = 0; i < N; i++) {
        int accepted = 0;

        for (int copy = 0; copy < 2; copy++) {
            int rc = got[i].result[copy];

            if (rc == UIPSEC_OK && !got[i].same[copy])
                fail_msg("packet %zu (number %u): accepted, but not the inner packet sent", i,
                         wire.pkt[i].seq);
            if (rc != UIPSEC_OK && rc != UIPSEC_E_REPLAY && rc != UIPSEC_E_TOO_OLD)
                fail_msg("packet %zu (number %u) copy %d: %s", i, wire.pkt[i].seq, copy,
                         uipsec_result_name(rc));
            accepted += rc == UIPSEC_OK;
            c.ok += rc == UIPSEC_OK;
            c.replay += rc == UIPSEC_E_REPLAY;
            c.too_old += rc == UIPSEC_E_TOO_OLD;
        }
        if (accepted > 1)
            fail_msg("packet %zu (number %u) accepted twice", i, wire.pkt[i].seq);
        /* "seen before" is true only if the other copy was accepted */
        if (accepted == 0 &&
            (got[i].result[0] == UIPSEC_E_REPLAY || got[i].result[1] == UIPSEC_E_REPLAY))
            fail_msg("packet %zu (number %u): a replay, but no copy was accepted (%s, %s)", i,
                     wire.pkt[i].seq, uipsec_result_name(got[i].result[0]),
                     uipsec_result_name(got[i].result[1]));
    }
    assert_int_equal(c.ok + c.replay + c.too_old, 2 * N);
    return c;
}

/* The inbound counters are what the threads saw. */
static void expect_in_stats(struct uipsec_sa *sa, struct tally c)
{
    struct uipsec_sa_stats st;

    uipsec_sa_get_stats(sa, &st);
    assert_int_equal(st.packets, c.ok);
    assert_int_equal(st.seq, N); /* the highest number is never too old */
    for (int r = 0; r < UIPSEC_RESULT_COUNT; r++) {
        size_t want = r == UIPSEC_E_REPLAY ? c.replay : r == UIPSEC_E_TOO_OLD ? c.too_old : 0;

        if (st.drops[r] != want)
            fail_msg("inbound drops %s: %llu counted, the threads saw %zu", uipsec_result_name(r),
                     (unsigned long long)st.drops[r], want);
    }
}

/* ---- tests ------------------------------------------------------------ */

static void send_in_order(struct uipsec_sa *out)
{
    send_all(out, K, false);
    expect_numbers(N, true);
    expect_wire_order(false);
    for (int t = 0; t < T; t++)
        expect_blocks(t, K);
    expect_out_stats(out, N);
}

/* Outbound on T threads, then the wire inbound on T threads, each packet
 * twice, with a window wide enough for any order: all accepted once. */
static void wide_window(void **state)
{
    struct uipsec_sa *out, *in;
    struct tally c;

    pair_new(*state, BIG_WIN, 0, &out, &in);
    send_in_order(out);
    c = recv_all(in);
    assert_int_equal(c.ok, N);
    assert_int_equal(c.too_old, 0);
    assert_int_equal(c.replay, N);
    expect_in_stats(in, c);
}

/* The same with a window of 64: some copies fall out of it, none is
 * accepted twice, and the counters still add up. */
static void small_window(void **state)
{
    struct uipsec_sa *out, *in;
    struct tally c;

    pair_new(*state, SMALL_WIN, 0, &out, &in);
    send_in_order(out);
    c = recv_all(in);
    assert_true(c.ok > 0 && c.ok <= N);
    expect_in_stats(in, c);
    print_message("window %d: %zu accepted, %zu replays, %zu too old\n", SMALL_WIN, c.ok, c.replay,
                  c.too_old);
}

/* Thread 0 calls plain uipsec_encap() among threads that wait for their
 * turn: nobody hangs, the numbers are still each used once, and the block
 * users' packets are still in order on the wire. */
static void mixed_plain(void **state)
{
    struct uipsec_sa *out, *in;

    pair_new(*state, BIG_WIN, 0, &out, &in);
    send_all(out, K, true);
    expect_numbers(N, true);
    expect_wire_order(true);
    for (int t = 1; t < T; t++)
        expect_blocks(t, K);
    for (int b = 0; b < K; b++)
        assert_int_equal(blocks[0][b].ok, B);
    expect_out_stats(out, N);
}

/* A hard lifetime of LT_HARD packets on an SA that T threads send twice as
 * many on.  datapath.c's account(): the packet that reaches the limit
 * goes, and so do the packets other threads' calls already had under way
 * (at most a burst of B each, and one more between the count that reaches
 * the limit and the flag set after it), none of a call begun after the
 * hard callback; the rest fail with UIPSEC_E_LIFETIME and use no number.
 * The callback fires once, and the numbers that went are used once and in
 * order. */
static void lifetime_shared(void **state)
{
    struct uipsec_sa *out, *in;
    struct uipsec_sa_stats st;
    size_t ok = 0, max = LT_HARD + (T - 1) * (B + 1);

    pair_new(*state, BIG_WIN, LT_HARD, &out, &in);
    send_all(out, LT_K, false);
    for (int t = 0; t < T; t++) {
        for (int b = 0; b < LT_K; b++) {
            const struct brec *r = &blocks[t][b];
            size_t here = 0;

            for (size_t j = 0; j < B; j++) {
                if (r->result[j] != UIPSEC_OK && r->result[j] != UIPSEC_E_LIFETIME)
                    fail_msg("thread %d block %d packet %zu: %s", t, b, j,
                             uipsec_result_name(r->result[j]));
                if (r->result[j] == UIPSEC_OK && r->seq[j] != r->blk.first + here)
                    fail_msg("thread %d block %d packet %zu: number %u outside its block", t, b, j,
                             r->seq[j]);
                here += r->result[j] == UIPSEC_OK;
            }
            assert_int_equal(r->ok, here);
            assert_true(r->blk.count >= here);
            if (r->late && here > 0)
                fail_msg("thread %d block %d: %zu packets went in a call begun after the hard "
                         "lifetime callback",
                         t, b, here);
            ok += here;
        }
    }
    if (ok < LT_HARD || ok > max)
        fail_msg("%zu packets went under a hard lifetime of %d packets (%zu at most)", ok, LT_HARD,
                 max);
    print_message("hard lifetime %d: %zu packets went\n", LT_HARD, ok);
    expect_numbers(ok, false);
    expect_wire_order(false);
    if (atomic_load(&hard_calls) != 1)
        fail_msg("the hard lifetime callback fired %d times, not once", atomic_load(&hard_calls));
    assert_int_equal(atomic_load(&soft_calls), 0);
    uipsec_sa_get_stats(out, &st);
    assert_true(st.hard_expired);
    assert_int_equal(st.packets, ok);
    assert_int_equal(st.drops[UIPSEC_E_LIFETIME], T * LT_K * B - ok);
}

/* ---- the turn, step by step ----------------------------------------- */

struct waiter {
    struct uipsec_sa *sa;
    const struct uipsec_seq_block *blk;
    atomic_bool went;
};

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;

    uipsec_sa_send_wait(w->sa, w->blk);
    atomic_store(&w->went, true);
    return NULL;
}

/* One packet through encap_seq, or through plain uipsec_encap (which
 * takes its turn and releases it).  Each call its own buffer: a plain
 * call runs on a thread of its own. */
static void one(struct uipsec_sa *sa, uint32_t id, bool plain, struct uipsec_seq_block *blk)
{
    static uint8_t mem[3][BUF];
    struct uipsec_buf b;

    buf_inner(&b, mem[id % 3], id);
    if (plain)
        assert_int_equal(uipsec_encap(sa, &b, 1), 1);
    else
        assert_int_equal(uipsec_encap_seq(sa, &b, 1, blk), 1);
}

struct plain {
    struct uipsec_sa *sa;
    atomic_bool done;
};

static void *plain_thread(void *arg)
{
    struct plain *p = arg;

    one(p->sa, 1, true, NULL);
    atomic_store(&p->done, true);
    return NULL;
}

static uint64_t reserved(const struct uipsec_sa *sa)
{
    struct uipsec_sa_stats st;

    uipsec_sa_get_stats(sa, &st);
    return st.seq;
}

/* Block a held by this thread, a plain uipsec_encap on another thread
 * (its number between, it must wait for a: a thread holding a block may
 * not call it, the header says), block c after it: c's turn and the plain
 * call's completion must wait until a is released.  An empty block's turn
 * is at once. */
static void expect_turn(struct uipsec_sa *sa, bool plain_between)
{
    struct uipsec_seq_block a, c, empty;
    struct waiter w = {.sa = sa, .blk = &c};
    struct plain p = {.sa = sa};
    pthread_t th, pt;
    bool early, plain_early = false;

    one(sa, 0, false, &a);
    if (plain_between) {
        assert_int_equal(pthread_create(&pt, NULL, plain_thread, &p), 0);
        for (int i = 0; i < 5000 && reserved(sa) != a.first + a.count; i++)
            usleep(1000); /* until its number is taken */
    }
    one(sa, 2, false, &c);
    assert_int_equal(c.first, a.first + a.count + plain_between);
    assert_int_equal(uipsec_encap_seq(sa, NULL, 0, &empty), 0);
    assert_int_equal(empty.count, 0);
    uipsec_sa_send_wait(sa, &empty); /* at once, or the test_start fires */
    uipsec_sa_send_done(sa, &empty);
    assert_int_equal(pthread_create(&th, NULL, wait_thread, &w), 0);
    usleep(50 * 1000);
    early = atomic_load(&w.went);
    if (plain_between)
        plain_early = atomic_load(&p.done);
    uipsec_sa_send_wait(sa, &a);
    uipsec_sa_send_done(sa, &a);
    if (plain_between)
        assert_int_equal(pthread_join(pt, NULL), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    uipsec_sa_send_done(sa, &c);
    if (early || plain_early)
        fail_msg("%s got its turn while block %llu was held%s",
                 early ? "a later block" : "a plain uipsec_encap()", (unsigned long long)a.first,
                 plain_between ? " (a plain uipsec_encap() between them)" : "");
}

static void turn_order(void **state)
{
    struct uipsec_sa *out, *in;

    pair_new(*state, BIG_WIN, 0, &out, &in);
    expect_turn(out, false);
    expect_turn(out, true);
}

/* ---- parts of a batch out of order ------------------------------------- */

static uint8_t part_mem[4 * SMALL_WIN][BUF];
static struct uipsec_buf part[4 * SMALL_WIN];

/* Where the sequence number of an outer IPv4 packet of ours is. */
static uint8_t *seq_field(uint8_t *p)
{
    return p + (size_t)(p[0] & 0xf) * 4 + (p[9] == UIPSEC_PROTO_AH ? 8 : 4);
}

/* Wire packets [from, from + n) into part[], numbered as sent, or from
 * seq0 on (rewritten in the header: the question reads headers only). */
static struct uipsec_buf *wire_batch(size_t from, size_t n, bool renumber, uint32_t seq0)
{
    for (size_t i = 0; i < n; i++) {
        const struct wpkt *w = &wire.pkt[from + i];
        uint8_t *p = part_mem[i] + UIPSEC_HEADROOM;

        memcpy(p, w->bytes, w->len);
        if (renumber)
            put32(seq_field(p), seq0 + (uint32_t)i);
        part[i] = (struct uipsec_buf){part_mem[i], BUF, UIPSEC_HEADROOM, w->len, -1};
    }
    return part;
}

/* Decapsulates the batch's second half before its first, as a helper that
 * ran ahead would; returns how many were accepted. */
static size_t late_half_first(struct uipsec_sa *in, struct uipsec_buf *b, size_t n)
{
    return uipsec_decap(in, b + n / 2, n - n / 2) + uipsec_decap(in, b, n / 2);
}

static void any_order(void **state)
{
    const struct tcase *c = *state;
    struct uipsec_sa *out, *in, *no_window = NULL;
    struct uipsec_buf *b;

    pair_new(c, SMALL_WIN, 0, &out, &in);
    send_in_order(out);
    assert_true(wire.pkt[0].seq == 1 && wire.pkt[N - 1].seq == N);
    assert_true(uipsec_decap_any_order(in, wire_batch(0, SMALL_WIN, false, 0), SMALL_WIN));
    assert_false(uipsec_decap_any_order(in, wire_batch(0, SMALL_WIN + 1, false, 0), SMALL_WIN + 1));
    assert_false(uipsec_decap_any_order(out, wire_batch(0, 2, false, 0), 2)); /* outbound */
    /* the low halves wrap with ESN: 0xffffffe1 .. 0x20 span 63 */
    assert_true(uipsec_decap_any_order(in, wire_batch(0, SMALL_WIN, true, 0xffffffe1u), SMALL_WIN));
    /* one forged number far ahead is enough to say no */
    b = wire_batch(0, 16, false, 0);
    put32(seq_field(b[7].base + b[7].off), 100000);
    assert_false(uipsec_decap_any_order(in, b, 16));
    /* a packet too short to carry a number is dropped in any order */
    b[7].len = 20;
    assert_true(uipsec_decap_any_order(in, b, 16));
    assert_int_equal(sa_new(c, UIPSEC_DIR_IN, 0, 0, &no_window), UIPSEC_OK);
    assert_true(
        uipsec_decap_any_order(no_window, wire_batch(0, 4 * SMALL_WIN, false, 0), 4 * SMALL_WIN));
    uipsec_sa_free(no_window);

    /* yes: every packet accepted out of order; no: some were too old */
    b = wire_batch(0, SMALL_WIN, false, 0);
    assert_true(uipsec_decap_any_order(in, b, SMALL_WIN));
    assert_int_equal(late_half_first(in, b, SMALL_WIN), SMALL_WIN);
    b = wire_batch(SMALL_WIN, 4 * SMALL_WIN, false, 0);
    assert_false(uipsec_decap_any_order(in, b, 4 * SMALL_WIN));
    assert_true(late_half_first(in, b, 4 * SMALL_WIN) < 4 * SMALL_WIN);
}

/* Every test runs under an alarm: a hang fails it (on_alarm). */
static int test_start(void **state)
{
    (void)state;
    alarm(GUARD_S);
    return 0;
}

static int test_end(void **state)
{
    (void)state;
    alarm(0);
    uipsec_sa_free(sa_out);
    uipsec_sa_free(sa_in);
    sa_out = sa_in = NULL;
    return 0;
}

#define FOR_CASE(fn, i)                                                                            \
    {                                                                                              \
#fn "/" #i, fn, test_start, test_end, &cases[i]                                            \
    }

#define ALL_CASES(fn)                                                                              \
    FOR_CASE(fn, 0), FOR_CASE(fn, 1), FOR_CASE(fn, 2), FOR_CASE(fn, 3), FOR_CASE(fn, 4),           \
        FOR_CASE(fn, 5)

int main(void)
{
    const struct CMUnitTest tests[] = {
        ALL_CASES(wide_window),     /* 1, 2, 3 of the paragraph, window 4096 */
        ALL_CASES(small_window),    /* the same, window 64 */
        ALL_CASES(mixed_plain),     /* plain uipsec_encap beside blocks */
        ALL_CASES(lifetime_shared), /* one hard lifetime, four threads */
        ALL_CASES(turn_order),      /* the turn, deterministic */
        ALL_CASES(any_order),       /* parts of a batch out of order */
    };

    signal(SIGALRM, on_alarm);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        print_message("case %zu: %s on %s\n", i, cases[i].suite,
                      uipsec_backend_name(cases[i].backend));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
