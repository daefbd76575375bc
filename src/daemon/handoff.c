/* SPDX-License-Identifier: MIT */
#include "handoff.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "daemon.h"
#include "dpthread.h"
#include "ike.h"
#include "pairs.h"

/* Room for a burst: the data path reads up to 128 datagrams before the
 * IKE thread gets its turn.  A slot takes the largest IKE datagram with
 * its IPv4 and UDP headers (longer ones are malformed: counted here as
 * ike_input would) and a trap's packet up to a jumbo frame. */
#define SLOTS    256
#define SLOT_MAX 9216

struct slot {
    struct sa_pair *trap; /* NULL: an IKE datagram */
    bool gone;            /* its trap went away before it ran */
    uint32_t len;
    uint8_t data[SLOT_MAX];
};

struct handoff {
    pthread_mutex_t mu; /* between workers, which push while all hold the SA lock to read */
    struct slot slot[SLOTS];
    unsigned head, n;
    bool pushed; /* since the last kick */
    int efd;
};

int handoff_open(struct daemon *d)
{
    struct handoff *h = calloc(1, sizeof(*h));

    if (!h || (h->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
        free(h);
        return -1;
    }
    pthread_mutex_init(&h->mu, NULL);
    d->handoff = h;
    return 0;
}

int handoff_fd(const struct daemon *d)
{
    return d->handoff ? d->handoff->efd : -1;
}

void handoff_close(struct daemon *d)
{
    if (!d->handoff)
        return;
    close(d->handoff->efd);
    pthread_mutex_destroy(&d->handoff->mu);
    free(d->handoff);
    d->handoff = NULL;
}

static void push(struct daemon *d, struct sa_pair *trap, const uint8_t *pkt, size_t len)
{
    struct handoff *h = d->handoff;
    struct slot *s;

    if (trap && trap->handed) { /* one packet per trap is enough */
        d->drops[DD_TRAP_PENDING]++;
        return;
    }
    if (!trap && len > SLOT_MAX) {
        d->drops[DD_IKE_MALFORMED]++;
        return;
    }
    if (!h || h->n == SLOTS || len > SLOT_MAX) {
        d->drops[DD_HANDOFF_DROP]++;
        return;
    }
    s = &h->slot[(h->head + h->n++) % SLOTS];
    s->trap = trap;
    s->gone = false;
    s->len = (uint32_t)len;
    memcpy(s->data, pkt, len);
    if (trap)
        trap->handed = true;
    h->pushed = true;
}

void handoff_push(struct daemon *d, struct sa_pair *trap, const uint8_t *pkt, size_t len)
{
    if (!d->handoff) {
        push(d, trap, pkt, len); /* counts the drop */
        return;
    }
    pthread_mutex_lock(&d->handoff->mu);
    push(d, trap, pkt, len);
    pthread_mutex_unlock(&d->handoff->mu);
}

void handoff_kick(struct daemon *d)
{
    uint64_t one = 1;
    bool pushed;

    if (!d->handoff)
        return;
    pthread_mutex_lock(&d->handoff->mu);
    pushed = d->handoff->pushed;
    d->handoff->pushed = false;
    pthread_mutex_unlock(&d->handoff->mu);
    if (pushed && write(d->handoff->efd, &one, sizeof(one)) < 0) {
        /* the counter is already non-zero: the IKE thread will look */
    }
}

/* Entries are taken out before they run: running one may let go of the
 * lock for a while (ike.c, a responder's key exchange), and the data
 * path may queue more meanwhile. */
void handoff_drain(struct daemon *d)
{
    static uint8_t buf[SLOT_MAX];
    struct handoff *h = d->handoff;
    uint64_t count;

    if (!h || read(h->efd, &count, sizeof(count)) < 0) {
        /* nothing signalled: look anyway */
    }
    while (h && h->n > 0) {
        struct slot *s = &h->slot[h->head];
        struct sa_pair *trap = s->trap;
        size_t len = s->len;
        bool gone = s->gone;

        memcpy(buf, s->data, len);
        h->head = (h->head + 1) % SLOTS;
        h->n--;
        if (gone)
            continue;
        sa_write_yield(d); /* between entries, the data path may go first */
        if (trap) {
            trap->handed = false;
            ike_trap_fire(d, trap, buf, len);
        } else {
            ike_input_encap(d, buf, len);
        }
    }
}

void handoff_forget(struct daemon *d, const struct sa_pair *c)
{
    struct handoff *h = d->handoff;

    for (unsigned i = 0; h && c->handed && i < h->n; i++)
        if (h->slot[(h->head + i) % SLOTS].trap == c)
            h->slot[(h->head + i) % SLOTS].gone = true;
}
