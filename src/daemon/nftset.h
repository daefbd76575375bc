/* SPDX-License-Identifier: MIT */
/*
 * Elements of nftables sets, added and deleted over netlink in one batch:
 * the kernel applies a batch as one transaction (all of it or none), and
 * nothing is read back, so a change costs the same however many elements
 * the sets already hold (libnftables would fetch them all first).
 */
#ifndef UIPSECD_NFTSET_H
#define UIPSECD_NFTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mnl_socket;

/* One element: its key (fields padded to 4 bytes, as the kernel has them)
 * and, for interval sets, the key where it ends (inclusive). */
struct nft_elem {
    const char *set;
    bool add;
    uint8_t len;
    uint8_t key[48], end[48];
    bool interval;
};

struct nftset {
    struct mnl_socket *sock;
    uint32_t seq, portid;
    struct nft_elem *pend; /* the batch being built */
    size_t npend, cap;
};

int nftset_open(struct nftset *n);
void nftset_close(struct nftset *n);
/* Queues one change; -1 if out of memory. */
int nftset_queue(struct nftset *n, const struct nft_elem *e);
/* Sends the queued changes to table inet `table` as one transaction and
 * empties the queue.  0, or -1 with errno from the kernel: then nothing
 * changed. */
int nftset_commit(struct nftset *n, const char *table);

#endif
