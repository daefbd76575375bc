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

enum { TAG_TUN = 100, TAG_STOP };

struct dp_thread {
    pthread_rwlock_t lock; /* the SAs, the policies and the pairs */
    bool locked;           /* by the IKE thread (only it reads this) */
    atomic_bool waiting;   /* the data path waits for the lock: the IKE thread yields */
    bool running;
    pthread_t thread;
    int epfd, stop_fd;
};

/* A data path that waits goes first: the lock prefers writers (so the
 * IKE thread never waits behind a stream of batches), and this makes it
 * fair the other way. */
void sa_write_lock(struct daemon *d)
{
    struct dp_thread *t = d->dpt;

    if (t && !t->locked) {
        while (atomic_load(&t->waiting))
            sched_yield();
        pthread_rwlock_wrlock(&t->lock);
        t->locked = true;
    }
}

void sa_write_yield(struct daemon *d)
{
    if (d->dpt && d->dpt->locked && atomic_load(&d->dpt->waiting)) {
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
    struct daemon *d = arg;
    struct dp_thread *t = d->dpt;
    struct epoll_event ev[8];

    for (;;) {
        int n = epoll_wait(t->epfd, ev, 8, -1);

        for (int i = 0; i < n; i++) {
            uint64_t tag = ev[i].data.u64;

            if (tag == TAG_STOP)
                return NULL;
            atomic_store(&t->waiting, true);
            pthread_rwlock_rdlock(&t->lock);
            atomic_store(&t->waiting, false);
            if (tag == TAG_TUN)
                dp_tun_readable(d);
            else if (tag < NET_RX_COUNT)
                dp_net_readable(d, (enum net_rx)tag);
            pthread_rwlock_unlock(&t->lock);
            handoff_kick(d);
        }
    }
}

static int watch(struct dp_thread *t, int fd, uint64_t tag)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

    return fd < 0 ? 0 : epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Called by the IKE thread holding nothing; it holds the lock to write
 * from then on (main.c lets go of it around epoll_wait). */
int dp_thread_start(struct daemon *d)
{
    struct dp_thread *t = calloc(1, sizeof(*t));
    pthread_rwlockattr_t a;
    int rc = -1;

    if (!t) {
        log_err("cannot start the data path thread: out of memory");
        return -1;
    }
    t->epfd = t->stop_fd = -1;
    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    if (pthread_rwlock_init(&t->lock, &a) == 0) {
        d->dpt = t; /* the lock exists: the IKE thread takes it from here on */
        t->epfd = epoll_create1(EPOLL_CLOEXEC);
        t->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        rc = t->epfd < 0 || t->stop_fd < 0 ? -1 : 0;
    }
    pthread_rwlockattr_destroy(&a);
    for (int i = 0; rc == 0 && i < NET_RX_COUNT; i++)
        rc = watch(t, d->net.rx[i], (uint64_t)i);
    if (rc == 0)
        rc = watch(t, d->tun.fd, TAG_TUN) | watch(t, t->stop_fd, TAG_STOP);
    if (rc == 0 && (rc = pthread_create(&t->thread, NULL, dp_main, d)) != 0)
        errno = rc;
    if (rc != 0) {
        log_err("cannot start the data path thread: %s", strerror(errno));
        if (!d->dpt)
            free(t);
        return -1;
    }
    t->running = true;
    return 0;
}

/* Stops the thread; the lock stays unlocked, and goes with it. */
void dp_thread_stop(struct daemon *d)
{
    struct dp_thread *t = d->dpt;
    uint64_t one = 1;

    if (!t)
        return;
    if (t->running) {
        if (write(t->stop_fd, &one, sizeof(one)) < 0)
            log_warn("cannot stop the data path thread: %s", strerror(errno));
        pthread_join(t->thread, NULL);
    }
    if (t->epfd >= 0)
        close(t->epfd);
    if (t->stop_fd >= 0)
        close(t->stop_fd);
    if (t->locked)
        pthread_rwlock_unlock(&t->lock);
    pthread_rwlock_destroy(&t->lock);
    free(t);
    d->dpt = NULL;
}
