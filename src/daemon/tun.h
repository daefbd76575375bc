/* SPDX-License-Identifier: MIT */
#ifndef UIPSECD_TUN_H
#define UIPSECD_TUN_H

#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The TUN device: inner packets in and out. */
struct tun_dev {
    int fd;
    char name[IFNAMSIZ]; /* the kernel's name for it */
    unsigned index, mtu;
    int dropped_fd;   /* its sysfs tx_dropped, opened as root; -1 if none */
    bool vnet;        /* every read and write carries a virtio_net_hdr */
    unsigned offload; /* the TUN_F_* the kernel accepted (0 without vnet) */
    bool multi;       /* several queues (IFF_MULTI_QUEUE): one per data-path worker */
};

/* The offloads asked for.  USO (UDP segmentation, Linux 6.2) is not in
 * Debian 12's headers; the kernel that runs is asked, and refuses it if it
 * is older. */
#define TUN_OFFLOAD_TCP (0x01u | 0x02u | 0x04u) /* TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6 */
#define TUN_OFFLOAD_USO (0x20u | 0x40u)         /* TUN_F_USO4, TUN_F_USO6 */

/* Opens (creates) the TUN device `name` without packet information headers,
 * non-blocking, into t (fd, name).  With offload, it carries a
 * virtio_net_hdr and takes the TCP offloads and USO where the kernel has
 * them (t->offload says which); without, plain packets.  The device
 * disappears when the fd is closed.  Returns 0, or -1 with errno. */
int tun_open(const char *name, bool offload, bool multi, struct tun_dev *t);
/* One more queue of a multi-queue device, with the same offloads: its
 * descriptor, or -1 with errno.  The kernel spreads the packets it sends
 * into the device over the queues by flow, so one flow stays in order. */
int tun_open_queue(const struct tun_dev *t);

/* Packets the kernel dropped because the TUN device's queue was full (the
 * data path did not read them in time): sysfs's tx_dropped, read again
 * through the descriptor opened with the device (the sandboxed process
 * has no /sys).  0 when unknown. */
uint64_t tun_dropped(const struct tun_dev *t);

/* The offloads in force, for people: "TCP and UDP", "TCP", "refused by
 * the kernel" or "off". */
const char *tun_offload_name(const struct tun_dev *t);

/* Reads one packet (and its header, zeroed without vnet) into pkt (cap
 * bytes).  Returns its length, 0 when none is waiting, -1 on error. */
ssize_t tun_read(const struct tun_dev *t, struct virtio_net_hdr *h, uint8_t *pkt, size_t cap);

/* Writes one packet, with header h (NULL: a plain packet, the kernel
 * checks its checksums).  Returns 0 or -1 with errno. */
int tun_write(const struct tun_dev *t, const struct virtio_net_hdr *h, const uint8_t *pkt,
              size_t len);

#endif
