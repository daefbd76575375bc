/* SPDX-License-Identifier: MIT */
#include "share.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dataplane.h"

/* A part is worth offering when its decryption takes longer than waking
 * a worker (an eventfd write and a wake-up, a few microseconds): at
 * least this many packets and bytes.  Small packets are never shared:
 * their cost is in the system calls, which stay with the receiver.  Nor
 * are batches whose numbers span more than the SA's replay window: a
 * helper running ahead would push the window past packets still to come
 * (uipsec_decap_any_order). */
#define PART_MIN_PKTS  8
#define PART_MIN_BYTES 12000
#define PARTS_MAX      4 /* offers a worker makes at once */
#define SPINS          1024

enum { FREE, OFFERED, TAKEN, DONE };

/* A part on offer, on a cache line of its own: the offerer and a helper
 * pass it between them through state alone. */
struct offer {
    _Alignas(64) atomic_int state;
    struct uipsec_sa *sa;
    struct uipsec_buf *bufs;
    size_t n;
};

struct share {
    _Alignas(64) atomic_uint_least64_t idle; /* bit i: worker i in epoll_wait */
    unsigned n;
    int *fd;
    struct offer (*offers)[PARTS_MAX]; /* each worker's */
};

struct share *share_new(unsigned n)
{
    struct share *s = n && n <= 64 ? aligned_alloc(64, sizeof(*s)) : NULL;
    bool ok = s != NULL;

    if (!s)
        return NULL;
    *s = (struct share){
        .n = n, .fd = malloc(n * sizeof(int)), .offers = aligned_alloc(64, n * sizeof(*s->offers))};
    if (!s->fd || !s->offers)
        s->n = 0, ok = false;
    for (unsigned i = 0; i < s->n; i++) {
        for (int p = 0; p < PARTS_MAX; p++)
            atomic_init(&s->offers[i][p].state, FREE);
        s->fd[i] = -1;
    }
    for (unsigned i = 0; ok && i < s->n; i++)
        ok = (s->fd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) >= 0;
    if (!ok) {
        share_free(s);
        return NULL;
    }
    return s;
}

void share_free(struct share *s)
{
    if (!s)
        return;
    for (unsigned i = 0; s->fd && i < s->n; i++)
        if (s->fd[i] >= 0)
            close(s->fd[i]);
    free(s->fd);
    free(s->offers);
    free(s);
}

int share_fd(const struct share *s, unsigned id)
{
    return s->fd[id];
}

void share_idle(struct share *s, unsigned id, bool idle)
{
    uint64_t bit = (uint64_t)1 << id;

    if (s->n > 1) {
        if (idle)
            atomic_fetch_or(&s->idle, bit);
        else
            atomic_fetch_and(&s->idle, ~bit);
    }
}

/* Takes every part on offer (a woken helper may find some another helper
 * took, or that their worker took back: that is all right). */
void share_help(struct share *s, struct dp_worker *w)
{
    uint64_t v;
    bool found = true;

    /* the wake-up only; nothing to read is fine (one meant for a moment ago) */
    (void)!read(s->fd[w->id], &v, sizeof(v));
    while (found) {
        found = false;
        for (unsigned i = 0; i < s->n; i++)
            for (int p = 0; p < PARTS_MAX; p++) {
                struct offer *o = &s->offers[i][p];
                int want = OFFERED;

                if (i == w->id ||
                    atomic_load_explicit(&o->state, memory_order_relaxed) != OFFERED ||
                    !atomic_compare_exchange_strong(&o->state, &want, TAKEN))
                    continue;
                uipsec_decap(o->sa, o->bufs, o->n);
                w->dp.rx_helped += o->n;
                atomic_store_explicit(&o->state, DONE, memory_order_release);
                found = true;
            }
    }
}

/* How many helpers to ask: one per idle worker, each part big enough. */
static unsigned helpers_for(uint64_t idle, const struct uipsec_buf *bufs, size_t n)
{
    size_t bytes = 0;
    unsigned h = (unsigned)__builtin_popcountll(idle);

    if (!h || n < 2 * PART_MIN_PKTS)
        return 0;
    for (size_t i = 0; i < n; i++)
        bytes += bufs[i].len;
    while (h && (n / (h + 1) < PART_MIN_PKTS || bytes / (h + 1) < PART_MIN_BYTES))
        h--;
    return h < PARTS_MAX ? h : PARTS_MAX;
}

/* Waits for a helper that took a part: it is running, and its part is no
 * larger than the one decrypted here meanwhile. */
static void wait_done(struct offer *o)
{
    for (int i = 0; atomic_load_explicit(&o->state, memory_order_acquire) != DONE; i++)
        if (i >= SPINS)
            sched_yield();
#if defined(__x86_64__) || defined(__i386__)
        else
            __builtin_ia32_pause();
#endif
}

/* Rings up to h idle workers other than me. */
static void wake(struct share *s, uint64_t idle, unsigned h)
{
    uint64_t one = 1;

    for (unsigned i = 0; i < s->n && h; i++)
        if (idle & ((uint64_t)1 << i)) {
            if (write(s->fd[i], &one, sizeof(one)) < 0) {
                /* the counter is full: it is readable, which is all we need */
            }
            h--;
        }
}

void share_decap(struct share *s, struct dp_worker *w, struct uipsec_sa *sa,
                 struct uipsec_buf *bufs, size_t n)
{
    uint64_t idle = s ? atomic_load_explicit(&s->idle, memory_order_relaxed) : 0;
    unsigned h = helpers_for(idle & ~((uint64_t)1 << w->id), bufs, n);
    struct offer *mine = s ? s->offers[w->id] : NULL;
    size_t part = n / (h + 1), own = n - h * part;

    if (!h || !uipsec_decap_any_order(sa, bufs, n)) {
        uipsec_decap(sa, bufs, n);
        return;
    }
    for (unsigned p = 0; p < h; p++) {
        mine[p].sa = sa;
        mine[p].bufs = bufs + own + p * part;
        mine[p].n = part;
        atomic_store_explicit(&mine[p].state, OFFERED, memory_order_release);
    }
    wake(s, idle & ~((uint64_t)1 << w->id), h);
    uipsec_decap(sa, bufs, own);
    for (unsigned p = 0; p < h; p++) {
        int want = OFFERED;

        if (atomic_compare_exchange_strong(&mine[p].state, &want, FREE)) {
            uipsec_decap(sa, mine[p].bufs, part); /* nobody came */
            continue;
        }
        wait_done(&mine[p]);
        w->dp.rx_shared += part;
        atomic_store_explicit(&mine[p].state, FREE, memory_order_relaxed);
    }
}
