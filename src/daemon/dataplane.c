/* SPDX-License-Identifier: MIT */
/*
 * The data path: TUN -> SPD -> encapsulate -> outer socket, and outer
 * socket -> SAD -> decapsulate -> inbound policy check -> TUN.  Packets are
 * read in batches into a fixed pool; nothing is allocated per packet.
 */
#include <errno.h>
#include <stdint.h>
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

#define BATCH   64
#define BUF_LEN (UIPSEC_HEADROOM + 65536 + UIPSEC_TAILROOM)
#define PKT_CAP (BUF_LEN - UIPSEC_HEADROOM - UIPSEC_TAILROOM)

/* The buffers of a batch, and a spare that holds a super-packet while its
 * segments fill the others: swapped by pointer, never copied.  Only the
 * data-path thread uses them. */
static uint8_t pool[BATCH + 1][BUF_LEN];
static uint8_t *slot[BATCH], *spare;

/* The super-packet being cut, which may span batches. */
static struct gso cutting;
static bool is_cutting;

static void pool_init(void)
{
    if (spare)
        return;
    for (size_t i = 0; i < BATCH; i++)
        slot[i] = pool[i];
    spare = pool[BATCH];
}

static struct uipsec_buf at_slot(size_t i, size_t len)
{
    return (struct uipsec_buf){slot[i], BUF_LEN, UIPSEC_HEADROOM, (uint32_t)len, 0};
}

/* Takes one read from the TUN device into slot n: a packet (1), a
 * super-packet to cut, now in the spare (0), or nothing left (-1). */
static int read_one(struct daemon *d, struct uipsec_buf *bufs, size_t n)
{
    struct virtio_net_hdr h;
    uint8_t *tmp;
    ssize_t got = tun_read(&d->tun, &h, slot[n] + UIPSEC_HEADROOM, PKT_CAP);

    if (got <= 0)
        return -1;
    d->dp.tun_reads++;
    switch (gso_start(&cutting, &h, slot[n] + UIPSEC_HEADROOM, (size_t)got)) {
    case GSO_ONE:
        bufs[n] = at_slot(n, (size_t)got);
        return 1;
    case GSO_MANY:
        tmp = slot[n];
        slot[n] = spare;
        spare = tmp;
        is_cutting = true;
        d->dp.tun_super++;
        return 0;
    default:
        d->drops[DD_TUN_MALFORMED]++;
        return 0;
    }
}

/* Fills a batch: the rest of a super-packet's segments first, then fresh
 * reads.  *empty: the device had nothing more. */
static size_t read_tun(struct daemon *d, struct uipsec_buf *bufs, bool *empty)
{
    size_t n = 0;
    int rc;

    while (n < BATCH) {
        if (is_cutting) {
            size_t len = gso_next(&cutting, slot[n] + UIPSEC_HEADROOM, PKT_CAP);

            if (len) {
                d->dp.tun_segments++;
                bufs[n] = at_slot(n, len);
                n++;
                continue;
            }
            is_cutting = false;
        }
        if ((rc = read_one(d, bufs, n)) < 0) {
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

static void too_big(struct daemon *d, const struct uipsec_buf *b, unsigned mtu)
{
    uint8_t answer[1280]; /* both threads may answer */
    const uint8_t *pkt = b->base + b->off;
    size_t n = icmp_too_big(pkt, b->len, icmp_source(d, pkt), mtu, answer);

    d->drops[DD_TOO_BIG]++;
    if (n && tun_write(&d->tun, NULL, answer, n) < 0)
        d->drops[DD_TUN_WRITE_FAILED]++;
}

/* A packet of c that may be encapsulated: a trap's goes to the IKE thread,
 * one too large for the path gets its ICMP answer. */
static bool may_protect(struct daemon *d, struct sa_pair *c, struct uipsec_buf *b)
{
    if (c->trap) {
        handoff_push(d, c, b->base + b->off, b->len);
        return false;
    }
    if (b->len > c->max_inner) {
        too_big(d, b, c->max_inner);
        return false;
    }
    return true;
}

/* Encapsulates a run of packets of c in one call and puts those that
 * succeeded on out.  A manual AEAD SA whose reserve of sequence numbers
 * ran out before the timer renewed it (a burst) reserves more and takes
 * the rest again, in order: the packet that found it empty used no
 * number (it is counted once as seq-not-reserved). */
static void protect_run(struct sa_pair *c, struct uipsec_buf *run, size_t n,
                        struct uipsec_buf **out, size_t *nout)
{
    size_t at = 0, raised_at = SIZE_MAX;

    uipsec_encap(c->out, run, n);
    while (at < n) {
        if (run[at].result == UIPSEC_E_SEQ_RESERVE && raised_at != at && mseq_raise(c) == 0) {
            size_t end = at; /* those still without a number, untouched */

            while (end < n && run[end].result == UIPSEC_E_SEQ_RESERVE)
                end++;
            raised_at = at;
            uipsec_encap(c->out, run + at, end - at);
            continue;
        }
        if (run[at].result == UIPSEC_OK)
            out[(*nout)++] = &run[at];
        else /* counted per reason in the SA */
            log_net("%s: encapsulation failed: %s", c->cfg.name,
                    uipsec_result_name(run[at].result));
        at++;
    }
}

/* Sends what was protected, one system call per family. */
static void send_out(struct daemon *d, struct uipsec_buf *const *out, size_t n)
{
    size_t failed = n ? net_send_batch(&d->net, out, n) : 0;

    if (failed) {
        d->drops[DD_SEND_FAILED] += failed;
        log_net("%zu of %zu packets could not be sent: %s", failed, n, strerror(errno));
    }
}

/* Looks the batch up in the SPD and protects and sends what it may, each
 * run of packets of one SA in one call. */
static void protect_batch(struct daemon *d, struct uipsec_buf *bufs, size_t n)
{
    struct uipsec_buf *out[BATCH];
    const struct uipsec_policy *pols[BATCH];
    struct sa_pair *sas[BATCH];
    size_t k = 0, nout = 0;

    uipsec_spd_lookup_out(d->spd, bufs, n, pols);
    for (size_t i = 0; i < n; i++) { /* those to protect, in order, with their SA */
        struct sa_pair *c = pols[i] ? pols[i]->params.ctx : NULL;

        if (!pols[i])
            continue; /* no policy, discard, malformed: counted by the SPD */
        if (pols[i]->params.action == UIPSEC_POLICY_BYPASS)
            d->drops[DD_BYPASS_ON_TUN]++; /* routed into the tunnel, nowhere else to go */
        else if (pols[i]->params.action == UIPSEC_POLICY_PROTECT && c &&
                 may_protect(d, c, &bufs[i])) {
            bufs[k] = bufs[i];
            sas[k++] = c;
        }
    }
    for (size_t i = 0, j; i < k; i = j) {
        for (j = i + 1; j < k && sas[j] == sas[i]; j++)
            ;
        protect_run(sas[i], bufs + i, j - i, out, &nout);
    }
    send_out(d, out, nout);
}

/* Up to four batches, then the outer sockets get their turn; a
 * super-packet is always cut to the end, for nothing may wake us for the
 * rest of it. */
void dp_tun_readable(struct daemon *d)
{
    struct uipsec_buf bufs[BATCH];
    bool empty = false;
    int round = 0;

    pool_init();
    do
        protect_batch(d, bufs, read_tun(d, bufs, &empty));
    while (is_cutting || (!empty && ++round < 4));
}

/* The inner packet must fit one of the selectors its SA was made for. */
static bool inbound_ok(struct daemon *d, const struct sa_pair *c, const struct uipsec_buf *b)
{
    for (size_t i = 0; i < c->n_in_pol; i++)
        if (c->in_pol[i] &&
            uipsec_spd_check_inbound(d->spd, c->in_pol[i], b->base + b->off, b->len))
            return true;
    return false;
}

void dp_send_held(struct daemon *d, struct sa_pair *c, const uint8_t *pkt, size_t len)
{
    static uint8_t mem[BUF_LEN];
    struct uipsec_buf b = {mem, BUF_LEN, UIPSEC_HEADROOM, (uint32_t)len, 0};

    if (len > BUF_LEN - UIPSEC_HEADROOM - UIPSEC_TAILROOM)
        return;
    memcpy(mem + UIPSEC_HEADROOM, pkt, len);
    if (may_protect(d, c, &b)) {
        struct uipsec_buf *out[1];
        size_t nout = 0;

        protect_run(c, &b, 1, out, &nout);
        send_out(d, out, nout);
    }
}

static void count_peek(struct daemon *d, int rc)
{
    if (rc == UIPSEC_E_KEEPALIVE)
        d->drops[DD_KEEPALIVE]++;
    else
        d->drops_engine[rc]++;
}

/* The SA an outer packet is for, or NULL if it is not for one (IKE on
 * port 4500 goes to the IKE thread; the rest is counted). */
static struct sa_pair *sa_of(struct daemon *d, enum net_rx which, const struct uipsec_buf *b,
                             struct uipsec_sa **sa)
{
    enum uipsec_proto proto;
    struct sa_pair *c;
    void *ctx = NULL;
    uint32_t spi;
    int rc = uipsec_sad_peek(b->base + b->off, b->len, net_rx_udp(which), &spi, &proto);

    if (rc == UIPSEC_E_NON_ESP) {
        handoff_push(d, NULL, b->base + b->off, b->len); /* IKE on 4500 (RFC 3948 2.2) */
        return NULL;
    }
    if (rc != UIPSEC_OK) {
        count_peek(d, rc);
        return NULL;
    }
    *sa = uipsec_sad_find(d->sad, spi, proto, &ctx);
    c = ctx;
    if (!*sa || !c) {
        d->drops[DD_UNKNOWN_SPI]++;
        log_net("no SA for SPI %08x", spi);
        return NULL;
    }
    if (c->cfg.encap != net_rx_udp(which)) {
        d->drops_engine[UIPSEC_E_PROTOCOL]++;
        return NULL;
    }
    return c;
}

/* Decapsulates a batch, each run of packets of one SA in one call, and
 * keeps in place, in order, the inner packets that may go to the TUN
 * device; returns how many (the others are counted by the SA or SPD). */
static size_t unprotect(struct daemon *d, enum net_rx which, struct uipsec_buf *bufs, size_t n)
{
    struct uipsec_sa *sas[BATCH];
    struct sa_pair *pairs[BATCH];
    size_t k = 0, m = 0;

    for (size_t i = 0; i < n; i++)
        if ((pairs[k] = sa_of(d, which, &bufs[i], &sas[k])))
            bufs[k++] = bufs[i];
    for (size_t i = 0, j; i < k; i = j) {
        for (j = i + 1; j < k && sas[j] == sas[i]; j++)
            ;
        uipsec_decap(sas[i], bufs + i, j - i);
    }
    for (size_t i = 0; i < k; i++)
        if (bufs[i].result == UIPSEC_OK && inbound_ok(d, pairs[i], &bufs[i]))
            bufs[m++] = bufs[i];
    return m;
}

/* Writes what was let in to the TUN device, consecutive TCP segments of
 * one flow coalesced into one super-packet when the device takes them. */
static void deliver(struct daemon *d, struct uipsec_buf *bufs, size_t n)
{
    struct virtio_net_hdr h[BATCH];
    size_t k = n, supers = 0;

    if (d->tun.vnet)
        k = gro_tcp(bufs, n, h);
    if (d->tun.offload & TUN_OFFLOAD_USO) /* else the kernel refuses UDP super-packets */
        k = gro_udp(bufs, k, h);
    if (!d->tun.vnet)
        memset(h, 0, n * sizeof(h[0]));
    for (size_t i = 0; i < k; i++) {
        if (tun_write(&d->tun, &h[i], bufs[i].base + bufs[i].off, bufs[i].len) < 0)
            d->drops[DD_TUN_WRITE_FAILED]++;
        supers += h[i].gso_type != VIRTIO_NET_HDR_GSO_NONE;
    }
    d->dp.tun_writes += k;
    d->dp.tun_coalesced += supers;
    d->dp.tun_merged += supers + (n - k); /* the first segments, and those merged into them */
}

/* Up to four batches, then the other sockets and the TUN device get their
 * turn (the socket stays readable: epoll comes back to it); what was read
 * but not yet handed on is always finished, for nothing would wake us. */
void dp_net_readable(struct daemon *d, enum net_rx which)
{
    struct uipsec_buf bufs[BATCH];
    size_t n = BATCH;

    pool_init();
    for (int round = 0; (round < 4 && n == BATCH) || net_rx_pending(&d->net, which); round++) {
        for (size_t i = 0; i < BATCH; i++)
            bufs[i] = at_slot(i, 0);
        n = net_recv_batch(&d->net, which, bufs, BATCH);
        deliver(d, bufs, unprotect(d, which, bufs, n));
    }
}
