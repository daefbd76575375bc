/* SPDX-License-Identifier: MIT */
#include "tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

/* TSO needs checksum offload; USO is asked for on its own, for a kernel
 * before 6.2 refuses the whole set when one flag is unknown. */
static unsigned set_offloads(int fd)
{
    if (ioctl(fd, TUNSETOFFLOAD, TUN_OFFLOAD_TCP | TUN_OFFLOAD_USO) == 0)
        return TUN_OFFLOAD_TCP | TUN_OFFLOAD_USO;
    if (ioctl(fd, TUNSETOFFLOAD, TUN_OFFLOAD_TCP) == 0)
        return TUN_OFFLOAD_TCP;
    return 0;
}

static int open_dropped(const char *name)
{
    char path[96];

    snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/tx_dropped", name);
    return open(path, O_RDONLY | O_CLOEXEC);
}

uint64_t tun_dropped(const struct tun_dev *t)
{
    char text[32];
    ssize_t n;

    if (t->dropped_fd < 0 || lseek(t->dropped_fd, 0, SEEK_SET) != 0 ||
        (n = read(t->dropped_fd, text, sizeof(text) - 1)) <= 0)
        return 0;
    text[n] = 0;
    return strtoull(text, NULL, 10);
}

/* One queue of the device, made or joined; -1 with errno. */
static int open_queue(const char *name, bool offload, bool multi, char *got)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0)
        return -1;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags =
        IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0) | (multi ? IFF_MULTI_QUEUE : 0);
    memcpy(ifr.ifr_name, name, strnlen(name, IFNAMSIZ - 1)); /* NUL from the memset */
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;

        close(fd);
        errno = e;
        return -1;
    }
    memcpy(got, ifr.ifr_name, IFNAMSIZ);
    return fd;
}

int tun_open(const char *name, bool offload, bool multi, struct tun_dev *t)
{
    int fd = open_queue(name, offload, multi, t->name);

    if (fd < 0)
        return -1;
    t->fd = fd;
    t->multi = multi;
    t->dropped_fd = open_dropped(t->name);
    t->vnet = offload;
    t->offload = offload ? set_offloads(fd) : 0;
    return 0;
}

int tun_open_queue(const struct tun_dev *t)
{
    char name[IFNAMSIZ];
    int fd = open_queue(t->name, t->vnet, true, name);

    if (fd >= 0 && t->offload && ioctl(fd, TUNSETOFFLOAD, t->offload) < 0) {
        int e = errno;

        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

const char *tun_offload_name(const struct tun_dev *t)
{
    if (!t->vnet)
        return "off";
    if (t->offload & TUN_OFFLOAD_USO)
        return "TCP and UDP";
    return t->offload ? "TCP" : "refused by the kernel";
}

ssize_t tun_read(const struct tun_dev *t, struct virtio_net_hdr *h, uint8_t *pkt, size_t cap)
{
    struct iovec iov[2] = {{h, sizeof(*h)}, {pkt, cap}};
    ssize_t got;

    if (!t->vnet) {
        memset(h, 0, sizeof(*h));
        got = read(t->fd, pkt, cap);
        return got < 0 && errno == EAGAIN ? 0 : got;
    }
    got = readv(t->fd, iov, 2);
    if (got < 0)
        return errno == EAGAIN ? 0 : -1;
    return got < (ssize_t)sizeof(*h) ? -1 : got - (ssize_t)sizeof(*h);
}

int tun_write(const struct tun_dev *t, const struct virtio_net_hdr *h, const uint8_t *pkt,
              size_t len)
{
    static const struct virtio_net_hdr plain;
    struct iovec iov[2] = {{(void *)(h ? h : &plain), sizeof(*h)}, {(void *)pkt, len}};

    if (!t->vnet)
        return write(t->fd, pkt, len) < 0 ? -1 : 0;
    return writev(t->fd, iov, 2) < 0 ? -1 : 0;
}
