/* SPDX-License-Identifier: MIT */
/*
 * The data path: TUN -> SPD -> encapsulate -> outer socket, and outer
 * socket -> SAD -> decapsulate -> inbound policy check -> TUN.  Packets are
 * read in batches into a fixed pool per worker; nothing is allocated per
 * packet.  Several workers may run this at once (dpthread.c), each on its
 * own TUN queue and sockets: the SPD, whose lookups update its flow cache
 * and counters, is taken under a mutex once per batch; an SA's packets go
 * out in the order of their sequence numbers (uipsec_sa_send_wait).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "dataplane.h"
#include "gro.h"
#include "gro_udp.h"
#include "gso.h"
#include "handoff.h"
#include "icmp.h"
#include "ike.h"
#include "log.h"
#include "manual_seq.h"
#include "pairs.h"
#include "share.h"
#include "steer.h"

#define BATCH   64
#define BUF_LEN (UIPSEC_HEADROOM + 65536 + UIPSEC_TAILROOM)
#define PKT_CAP (BUF_LEN - UIPSEC_HEADROOM - UIPSEC_TAILROOM)

/* A worker's buffers of a batch, and a spare that holds a super-packet
 * while its segments fill the others: swapped by pointer, never copied;
 * and the super-packet being cut, which may span batches. */
struct dp_bufs {
    uint8_t pool[BATCH + 1][BUF_LEN];
    uint8_t *slot[BATCH], *spare;
    struct gso cutting;
    bool is_cutting;
};

/* The SPD's lookups write its flow cache and counters (uipsec/spd.h). */
static pthread_mutex_t spd_lock = PTHREAD_MUTEX_INITIALIZER;
/* A manual SA's reserve of sequence numbers is renewed by one at a time. */
static pthread_mutex_t mseq_lock = PTHREAD_MUTEX_INITIALIZER;

int dp_worker_init(struct dp_worker *w)
{
    struct dp_bufs *b = calloc(1, sizeof(*b));

    if (!b)
        return -1;
    for (size_t i = 0; i < BATCH; i++)
        b->slot[i] = b->pool[i];
    b->spare = b->pool[BATCH];
    w->bufs = b;
    return 0;
}

void dp_worker_free(struct dp_worker *w)
{
    free(w->bufs);
    w->bufs = NULL;
}

static struct uipsec_buf at_slot(struct dp_bufs *b, size_t i, size_t len)
{
    return (struct uipsec_buf){b->slot[i], BUF_LEN, UIPSEC_HEADROOM, (uint32_t)len, 0};
}

/* Takes one read from the TUN device into slot n: a packet (1), a
 * super-packet to cut, now in the spare (0), or nothing left (-1). */
static int read_one(struct dp_worker *w, struct uipsec_buf *bufs, size_t n)
{
    struct dp_bufs *b = w->bufs;
    struct virtio_net_hdr h;
    uint8_t *tmp;
    ssize_t got = tun_read(&w->tun, &h, b->slot[n] + UIPSEC_HEADROOM, PKT_CAP);

    if (got <= 0)
        return -1;
    w->dp.tun_reads++;
    switch (gso_start(&b->cutting, &h, b->slot[n] + UIPSEC_HEADROOM, (size_t)got)) {
    case GSO_ONE:
        bufs[n] = at_slot(b, n, (size_t)got);
        return 1;
    case GSO_MANY:
        tmp = b->slot[n];
        b->slot[n] = b->spare;
        b->spare = tmp;
        b->is_cutting = true;
        w->dp.tun_super++;
        return 0;
    default:
        w->drops[DD_TUN_MALFORMED]++;
        return 0;
    }
}

/* Fills a batch: the rest of a super-packet's segments first, then fresh
 * reads.  *empty: the device had nothing more. */
static size_t read_tun(struct dp_worker *w, struct uipsec_buf *bufs, bool *empty)
{
    struct dp_bufs *b = w->bufs;
    size_t n = 0;
    int rc;

    while (n < BATCH) {
        if (b->is_cutting) {
            size_t len = gso_next(&b->cutting, b->slot[n] + UIPSEC_HEADROOM, PKT_CAP);

            if (len) {
                w->dp.tun_segments++;
                bufs[n] = at_slot(b, n, len);
                n++;
                continue;
            }
            b->is_cutting = false;
        }
        if ((rc = read_one(w, bufs, n)) < 0) {
            *empty = true;
            break;
        }
        n += (size_t)rc;
    }
    return n;
}

/* The address an ICMP error from the tunnel claims to come from: the TUN
 * address if one is configured, else the packet's own destination. */
static const uint8_t *icmp_source(const struct daemon *d, const uint8_t *pkt)
{
    if (pkt[0] >> 4 == 4)
        return d->cfg.tun_addr4.family ? d->cfg.tun_addr4.bytes : pkt + 16;
    return d->cfg.tun_addr6.family ? d->cfg.tun_addr6.bytes : pkt + 24;
}

static void too_big(struct dp_worker *w, const struct uipsec_buf *b, unsigned mtu)
{
    uint8_t answer[1280]; /* every thread may answer */
    const uint8_t *pkt = b->base + b->off;
    size_t n = icmp_too_big(pkt, b->len, icmp_source(w->d, pkt), mtu, answer);

    w->drops[DD_TOO_BIG]++;
    if (n && tun_write(&w->tun, NULL, answer, n) < 0)
        w->drops[DD_TUN_WRITE_FAILED]++;
}

/* A packet of c that may be encapsulated: a trap's goes to the IKE thread,
 * one too large for the path gets its ICMP answer. */
static bool may_protect(struct dp_worker *w, struct sa_pair *c, struct uipsec_buf *b)
{
    if (c->trap) {
        handoff_push(w->d, c, b->base + b->off, b->len);
        return false;
    }
    if (b->len > c->max_inner) {
        too_big(w, b, c->max_inner);
        return false;
    }
    return true;
}

/* Sends what was protected, one system call per family. */
static void send_out(struct dp_worker *w, struct uipsec_buf *const *out, size_t n)
{
    size_t failed = n ? net_send_batch(w->net, out, n) : 0;

    if (failed) {
        w->drops[DD_SEND_FAILED] += failed;
        log_net("%zu of %zu packets could not be sent: %s", failed, n, strerror(errno));
    }
}

/* One uipsec_encap_seq call, and what it protected sent once the SA's
 * packets before have gone (other workers may be encrypting them). */
static void seal_send(struct dp_worker *w, struct sa_pair *c, struct uipsec_buf *run, size_t n)
{
    struct uipsec_buf *out[BATCH];
    struct uipsec_seq_block blk;
    size_t nout = 0;

    uipsec_encap_seq(c->out, run, n, &blk);
    for (size_t i = 0; i < n; i++)
        if (run[i].result == UIPSEC_OK)
            out[nout++] = &run[i];
        else if (run[i].result != UIPSEC_E_SEQ_RESERVE) /* counted per reason in the SA */
            log_net("%s: encapsulation failed: %s", c->cfg.name, uipsec_result_name(run[i].result));
    uipsec_sa_send_wait(c->out, &blk);
    send_out(w, out, nout);
    uipsec_sa_send_done(c->out, &blk);
}

static int raise_reserve(struct sa_pair *c)
{
    int rc;

    pthread_mutex_lock(&mseq_lock);
    rc = mseq_raise(c);
    pthread_mutex_unlock(&mseq_lock);
    return rc;
}

/* Protects and sends a run of packets of c.  A manual AEAD SA whose
 * reserve of sequence numbers ran out before the timer renewed it (a
 * burst) reserves more and takes the packets left without a number
 * again, in order, once per place: the packet that found it empty used
 * no number (it is counted once as seq-not-reserved). */
static void protect_run(struct dp_worker *w, struct sa_pair *c, struct uipsec_buf *run, size_t n)
{
    size_t at = 0, end, raised_at = SIZE_MAX;

    seal_send(w, c, run, n);
    while (at < n) {
        if (run[at].result != UIPSEC_E_SEQ_RESERVE) {
            at++;
            continue;
        }
        if (raised_at == at || raise_reserve(c) != 0) {
            log_net("%s: encapsulation failed: %s", c->cfg.name,
                    uipsec_result_name(run[at++].result));
            continue;
        }
        for (end = at; end < n && run[end].result == UIPSEC_E_SEQ_RESERVE; end++)
            ;
        raised_at = at;
        seal_send(w, c, run + at, end - at);
    }
}

/* Looks the batch up in the SPD and protects and sends what it may, each
 * run of packets of one SA in one call. */
static void protect_batch(struct dp_worker *w, struct uipsec_buf *bufs, size_t n)
{
    const struct uipsec_policy *pols[BATCH];
    struct sa_pair *sas[BATCH];
    size_t k = 0;

    pthread_mutex_lock(&spd_lock);
    uipsec_spd_lookup_out(w->d->spd, bufs, n, pols);
    pthread_mutex_unlock(&spd_lock);
    for (size_t i = 0; i < n; i++) { /* those to protect, in order, with their SA */
        struct sa_pair *c = pols[i] ? pols[i]->params.ctx : NULL;

        if (!pols[i])
            continue; /* no policy, discard, malformed: counted by the SPD */
        if (pols[i]->params.action == UIPSEC_POLICY_BYPASS)
            w->drops[DD_BYPASS_ON_TUN]++; /* routed into the tunnel, nowhere else to go */
        else if (pols[i]->params.action == UIPSEC_POLICY_PROTECT && c &&
                 may_protect(w, c, &bufs[i])) {
            bufs[k] = bufs[i];
            sas[k++] = c;
        }
    }
    for (size_t i = 0, j; i < k; i = j) {
        for (j = i + 1; j < k && sas[j] == sas[i]; j++)
            ;
        protect_run(w, sas[i], bufs + i, j - i);
    }
}

/* Up to four batches, then the outer sockets get their turn; a
 * super-packet is always cut to the end, for nothing may wake us for the
 * rest of it. */
void dp_tun_readable(struct dp_worker *w)
{
    struct uipsec_buf bufs[BATCH];
    bool empty = false;
    int round = 0;

    do
        protect_batch(w, bufs, read_tun(w, bufs, &empty));
    while (w->bufs->is_cutting || (!empty && ++round < 4));
}

/* The inner packet must fit one of the selectors its SA was made for
 * (the caller holds spd_lock). */
static bool inbound_ok(struct daemon *d, const struct sa_pair *c, const struct uipsec_buf *b)
{
    for (size_t i = 0; i < c->n_in_pol; i++)
        if (c->in_pol[i] &&
            uipsec_spd_check_inbound(d->spd, c->in_pol[i], b->base + b->off, b->len))
            return true;
    return false;
}

/* On the IKE thread, holding the SA lock to write: no worker runs, and
 * worker 0's sockets and counters are free to use. */
void dp_send_held(struct daemon *d, struct sa_pair *c, const uint8_t *pkt, size_t len)
{
    static uint8_t mem[BUF_LEN];
    struct uipsec_buf b = {mem, BUF_LEN, UIPSEC_HEADROOM, (uint32_t)len, 0};

    if (len > BUF_LEN - UIPSEC_HEADROOM - UIPSEC_TAILROOM || !d->workers)
        return;
    memcpy(mem + UIPSEC_HEADROOM, pkt, len);
    if (may_protect(&d->workers[0], c, &b))
        protect_run(&d->workers[0], c, &b, 1);
}

static void count_peek(struct dp_worker *w, int rc)
{
    if (rc == UIPSEC_E_KEEPALIVE)
        w->drops[DD_KEEPALIVE]++;
    else
        w->drops_engine[rc]++;
}

/* The SA an outer packet is for, or NULL if it is not for one (IKE on
 * port 4500 goes to the IKE thread; the rest is counted). */
static struct sa_pair *sa_of(struct dp_worker *w, enum net_rx which, const struct uipsec_buf *b,
                             struct uipsec_sa **sa)
{
    enum uipsec_proto proto;
    struct sa_pair *c;
    void *ctx = NULL;
    uint32_t spi;
    int rc = uipsec_sad_peek(b->base + b->off, b->len, net_rx_udp(which), &spi, &proto);

    if (rc == UIPSEC_E_NON_ESP) {
        handoff_push(w->d, NULL, b->base + b->off, b->len); /* IKE on 4500 (RFC 3948 2.2) */
        return NULL;
    }
    if (rc != UIPSEC_OK) {
        count_peek(w, rc);
        return NULL;
    }
    *sa = uipsec_sad_find(w->d->sad, spi, proto, &ctx);
    c = ctx;
    if (!*sa || !c) {
        w->drops[DD_UNKNOWN_SPI]++;
        log_net("no SA for SPI %08x", spi);
        return NULL;
    }
    if (c->cfg.encap != net_rx_udp(which)) {
        w->drops_engine[UIPSEC_E_PROTOCOL]++;
        return NULL;
    }
    return c;
}

/* Decapsulates a batch, each run of packets of one SA in one call, and
 * keeps in place, in order, the inner packets that may go to the TUN
 * device; returns how many (the others are counted by the SA or SPD). */
static size_t unprotect(struct dp_worker *w, enum net_rx which, struct uipsec_buf *bufs, size_t n)
{
    struct uipsec_sa *sas[BATCH];
    struct sa_pair *pairs[BATCH];
    size_t k = 0, m = 0;

    for (size_t i = 0; i < n; i++)
        if ((pairs[k] = sa_of(w, which, &bufs[i], &sas[k])))
            bufs[k++] = bufs[i];
    for (size_t i = 0, j; i < k; i = j) {
        for (j = i + 1; j < k && sas[j] == sas[i]; j++)
            ;
        share_decap(w->d->share, w, sas[i], bufs + i, j - i);
    }
    pthread_mutex_lock(&spd_lock);
    for (size_t i = 0; i < k; i++)
        if (bufs[i].result == UIPSEC_OK && inbound_ok(w->d, pairs[i], &bufs[i]))
            bufs[m++] = bufs[i];
    pthread_mutex_unlock(&spd_lock);
    return m;
}

/* Writes what was let in to the TUN device, consecutive TCP segments of
 * one flow coalesced into one super-packet when the device takes them;
 * each flow to the queue of the worker steer.c names for it, which its
 * packets the other way will then come from. */
static void deliver(struct dp_worker *w, struct uipsec_buf *bufs, size_t n)
{
    struct virtio_net_hdr h[BATCH];
    size_t k = n, supers = 0;

    if (w->tun.vnet)
        k = gro_tcp(bufs, n, h);
    if (w->tun.offload & TUN_OFFLOAD_USO) /* else the kernel refuses UDP super-packets */
        k = gro_udp(bufs, k, h);
    if (!w->tun.vnet)
        memset(h, 0, n * sizeof(h[0]));
    for (size_t i = 0; i < k; i++) {
        const uint8_t *pkt = bufs[i].base + bufs[i].off;
        unsigned q = steer_queue(pkt, bufs[i].len, w->d->n_workers);

        if (tun_write(&w->d->workers[q].tun, &h[i], pkt, bufs[i].len) < 0)
            w->drops[DD_TUN_WRITE_FAILED]++;
        supers += h[i].gso_type != VIRTIO_NET_HDR_GSO_NONE;
    }
    w->dp.tun_writes += k;
    w->dp.tun_coalesced += supers;
    w->dp.tun_merged += supers + (n - k); /* the first segments, and those merged into them */
}

/* Up to four batches, then the other sockets and the TUN device get their
 * turn (the socket stays readable: epoll comes back to it); what was read
 * but not yet handed on is always finished, for nothing would wake us. */
void dp_net_readable(struct dp_worker *w, enum net_rx which)
{
    struct uipsec_buf bufs[BATCH];
    size_t n = BATCH;

    for (int round = 0; (round < 4 && n == BATCH) || net_rx_pending(w->net, which); round++) {
        for (size_t i = 0; i < BATCH; i++)
            bufs[i] = at_slot(w->bufs, i, 0);
        n = net_recv_batch(w->net, which, bufs, BATCH);
        deliver(w, bufs, unprotect(w, which, bufs, n));
    }
}
