/* SPDX-License-Identifier: MIT */
#include "dpthread.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "daemon.h"
#include "handoff.h"
#include "log.h"

enum { TAG_TUN = 100, TAG_STOP };

/* A data path that waits goes first: the lock prefers writers (so the
 * IKE thread never waits behind a stream of batches), and this makes it
 * fair the other way. */
void sa_write_lock(struct daemon *d)
{
    if (d->sa_lock_made && !d->sa_locked) {
        while (atomic_load(&d->dp_waiting))
            sched_yield();
        pthread_rwlock_wrlock(&d->sa_lock);
        d->sa_locked = true;
    }
}

void sa_write_yield(struct daemon *d)
{
    if (d->sa_locked && atomic_load(&d->dp_waiting)) {
        sa_write_unlock(d);
        sa_write_lock(d);
    }
}

void sa_write_unlock(struct daemon *d)
{
    if (d->sa_locked) {
        d->sa_locked = false;
        pthread_rwlock_unlock(&d->sa_lock);
    }
}

static void *dp_main(void *arg)
{
    struct daemon *d = arg;
    struct epoll_event ev[8];

    for (;;) {
        int n = epoll_wait(d->dp_epfd, ev, 8, -1);

        for (int i = 0; i < n; i++) {
            uint64_t tag = ev[i].data.u64;

            if (tag == TAG_STOP)
                return NULL;
            atomic_store(&d->dp_waiting, true);
            pthread_rwlock_rdlock(&d->sa_lock);
            atomic_store(&d->dp_waiting, false);
            if (tag == TAG_TUN)
                dp_tun_readable(d);
            else if (tag < NET_RX_COUNT)
                dp_net_readable(d, (enum net_rx)tag);
            pthread_rwlock_unlock(&d->sa_lock);
            handoff_kick(d);
        }
    }
}

static int watch(struct daemon *d, int fd, uint64_t tag)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

    return fd < 0 ? 0 : epoll_ctl(d->dp_epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Called by the IKE thread holding nothing; it holds the lock to write
 * from then on (main.c lets go of it around epoll_wait). */
int dp_thread_start(struct daemon *d)
{
    pthread_rwlockattr_t a;
    int rc = -1;

    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    if (pthread_rwlock_init(&d->sa_lock, &a) == 0) {
        d->sa_lock_made = true;
        d->dp_epfd = epoll_create1(EPOLL_CLOEXEC);
        d->dp_stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        rc = d->dp_epfd < 0 || d->dp_stop_fd < 0 ? -1 : 0;
    }
    pthread_rwlockattr_destroy(&a);
    for (int i = 0; rc == 0 && i < NET_RX_COUNT; i++)
        rc = watch(d, d->net.rx[i], (uint64_t)i);
    if (rc == 0)
        rc = watch(d, d->tun_fd, TAG_TUN) | watch(d, d->dp_stop_fd, TAG_STOP);
    if (rc == 0 && (rc = pthread_create(&d->dp_thread, NULL, dp_main, d)) != 0)
        errno = rc;
    if (rc != 0) {
        log_err("cannot start the data path thread: %s", strerror(errno));
        return -1;
    }
    d->dp_running = true;
    return 0;
}

void dp_thread_stop(struct daemon *d)
{
    uint64_t one = 1;

    if (d->dp_running) {
        if (write(d->dp_stop_fd, &one, sizeof(one)) < 0)
            log_warn("cannot stop the data path thread: %s", strerror(errno));
        pthread_join(d->dp_thread, NULL);
        d->dp_running = false;
    }
    if (d->dp_epfd >= 0)
        close(d->dp_epfd);
    if (d->dp_stop_fd >= 0)
        close(d->dp_stop_fd);
    d->dp_epfd = d->dp_stop_fd = -1;
}
