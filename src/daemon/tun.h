/* SPDX-License-Identifier: MIT */
#ifndef UIPSECD_TUN_H
#define UIPSECD_TUN_H

#include <net/if.h>

/* The TUN device: inner packets in and out. */
struct tun_dev {
    int fd;
    char name[IFNAMSIZ]; /* the kernel's name for it */
    unsigned index, mtu;
};

/* Opens (creates) the TUN device `name` without packet information headers,
 * non-blocking.  The device disappears when the fd is closed.  Returns the
 * fd and the kernel's name in `actual`, or -1 with errno. */
int tun_open(const char *name, char actual[IFNAMSIZ]);

#endif
