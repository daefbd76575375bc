/* SPDX-License-Identifier: MIT */
#include "dpthread.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "daemon.h"
#include "dataplane.h"
#include "handoff.h"
#include "log.h"
#include "share.h"

enum { TAG_TUN = 100, TAG_STOP, TAG_SHARE };

struct dp_thread {
    pthread_rwlock_t lock; /* the SAs, the policies and the pairs */
    bool locked;           /* by the IKE thread (only it reads this) */
    atomic_int waiting;    /* workers waiting for the lock: the IKE thread yields */
    unsigned running;      /* threads started */
    pthread_t *threads;
    int *epfd; /* each worker's */
    int stop_fd;
};

/* Workers that wait go first: the lock prefers writers (so the IKE thread
 * never waits behind a stream of batches), and this makes it fair the
 * other way.  Only for a while: with many busy workers one is nearly
 * always waiting, and IKE (rekeys, DPD) must not starve. */
#define YIELDS_MAX 16

void sa_write_lock(struct daemon *d)
{
    struct dp_thread *t = d->dpt;

    if (t && !t->locked) {
        for (int i = 0; i < YIELDS_MAX && atomic_load(&t->waiting) > 0; i++)
            sched_yield();
        pthread_rwlock_wrlock(&t->lock);
        t->locked = true;
    }
}

void sa_write_yield(struct daemon *d)
{
    if (d->dpt && d->dpt->locked && atomic_load(&d->dpt->waiting) > 0) {
        sa_write_unlock(d);
        sa_write_lock(d);
    }
}

void sa_write_unlock(struct daemon *d)
{
    if (d->dpt && d->dpt->locked) {
        d->dpt->locked = false;
        pthread_rwlock_unlock(&d->dpt->lock);
    }
}

static void *dp_main(void *arg)
{
    struct dp_worker *w = arg;
    struct daemon *d = w->d;
    struct dp_thread *t = d->dpt;
    struct epoll_event ev[8];

    for (;;) {
        int n;

        share_idle(d->share, w->id, true);
        n = epoll_wait(t->epfd[w->id], ev, 8, -1);
        share_idle(d->share, w->id, false);
        for (int i = 0; i < n; i++) {
            uint64_t tag = ev[i].data.u64;

            if (tag == TAG_STOP)
                return NULL;
            if (tag == TAG_SHARE) { /* no lock: the offering worker holds it */
                share_help(d->share, w);
                continue;
            }
            atomic_fetch_add(&t->waiting, 1);
            pthread_rwlock_rdlock(&t->lock);
            atomic_fetch_sub(&t->waiting, 1);
            if (tag == TAG_TUN)
                dp_tun_readable(w);
            else if (tag < NET_RX_COUNT)
                dp_net_readable(w, (enum net_rx)tag);
            pthread_rwlock_unlock(&t->lock);
            handoff_kick(d);
        }
    }
}

static int watch(int epfd, int fd, uint64_t tag)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

    return fd < 0 ? 0 : epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Worker w's event loop: its TUN queue, its sockets, and the stop event
 * that all share (it stays readable: every worker sees it). */
static int make_loop(struct dp_thread *t, struct dp_worker *w)
{
    int epfd = t->epfd[w->id] = epoll_create1(EPOLL_CLOEXEC);
    int rc = epfd < 0 || dp_worker_init(w) < 0 ? -1 : 0;

    for (int i = 0; rc == 0 && i < NET_RX_COUNT; i++)
        rc = watch(epfd, w->net->rx[i], (uint64_t)i);
    if (rc == 0)
        rc = watch(epfd, w->tun.fd, TAG_TUN) | watch(epfd, t->stop_fd, TAG_STOP) |
             watch(epfd, share_fd(w->d->share, w->id), TAG_SHARE);
    return rc;
}

static int init_lock(struct dp_thread *t)
{
    pthread_rwlockattr_t a;
    int rc;

    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    rc = pthread_rwlock_init(&t->lock, &a);
    pthread_rwlockattr_destroy(&a);
    return rc;
}

/* Called by the IKE thread holding nothing; it holds the lock to write
 * from then on (main.c lets go of it around epoll_wait). */
int dp_thread_start(struct daemon *d)
{
    struct dp_thread *t = calloc(1, sizeof(*t));
    int rc = -1;

    if (!t || !(t->threads = calloc(d->n_workers, sizeof(*t->threads))) ||
        !(t->epfd = malloc(d->n_workers * sizeof(*t->epfd))) ||
        !(d->share = share_new(d->n_workers)) || init_lock(t) != 0) {
        log_err("cannot start the data path: out of memory or file descriptors");
        share_free(d->share);
        d->share = NULL;
        if (t) {
            free(t->threads);
            free(t->epfd);
        }
        free(t);
        return -1;
    }
    for (unsigned i = 0; i < d->n_workers; i++)
        t->epfd[i] = -1;
    d->dpt = t; /* the lock exists: the IKE thread takes it from here on */
    t->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    rc = t->stop_fd < 0 ? -1 : 0;
    for (unsigned i = 0; rc == 0 && i < d->n_workers; i++)
        rc = make_loop(t, &d->workers[i]);
    for (unsigned i = 0; rc == 0 && i < d->n_workers; i++)
        if ((rc = pthread_create(&t->threads[i], NULL, dp_main, &d->workers[i])) != 0)
            errno = rc;
        else
            t->running++;
    if (rc != 0) {
        log_err("cannot start the data path: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Stops the threads; the lock stays unlocked, and goes with them. */
void dp_thread_stop(struct daemon *d)
{
    struct dp_thread *t = d->dpt;
    uint64_t one = 1;

    if (!t)
        return;
    if (t->running && write(t->stop_fd, &one, sizeof(one)) < 0)
        log_warn("cannot stop the data path: %s", strerror(errno));
    for (unsigned i = 0; i < t->running; i++)
        pthread_join(t->threads[i], NULL);
    for (unsigned i = 0; i < d->n_workers; i++)
        if (t->epfd[i] >= 0)
            close(t->epfd[i]);
    if (t->stop_fd >= 0)
        close(t->stop_fd);
    if (t->locked)
        pthread_rwlock_unlock(&t->lock);
    pthread_rwlock_destroy(&t->lock);
    free(t->threads);
    free(t->epfd);
    free(t);
    d->dpt = NULL;
    share_free(d->share);
    d->share = NULL;
}
