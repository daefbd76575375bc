/* SPDX-License-Identifier: MIT */
/*
 * Spreading received ESP and AH over the data-path workers by SPI, in the
 * kernel, so that each packet reaches exactly one worker and all packets
 * of one SA reach the same one (they stay in order: decryption of one SA
 * in parallel on receive would need a reorder stage, docs/PERFORMANCE.md).
 * Raw sockets each get a copy of every packet: a classic BPF filter on
 * worker i's keeps those whose SPI % n == i.  The UDP sockets on port 4500
 * form a SO_REUSEPORT group: a classic BPF program picks the socket.
 * Packets too short to hold an SPI (and IKE's non-ESP marker, SPI 0) go
 * to worker 0, which counts or hands them on as a single worker would.
 */
#include <linux/filter.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include "net.h"

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

#define ACCEPT 0x7fffffffu /* a filter's verdict: the whole packet */

/* Where the SPI is from the start of what the filter sees: IPv4 raw
 * sockets see the IP header (its length in X), IPv6 ones the payload. */
static uint32_t spi_offset(enum net_rx which)
{
    return which == NET_RX_AH4 || which == NET_RX_AH6 ? 4 : 0; /* AH: after next header, length */
}

int net_spread_raw(int fd, enum net_rx which, unsigned index, unsigned count)
{
    uint32_t off = spi_offset(which);
    bool v4 = which == NET_RX_ESP4 || which == NET_RX_AH4;
    struct sock_filter code[] = {
        v4 ? (struct sock_filter)BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0) /* X = IP header */
           : (struct sock_filter)BPF_STMT(BPF_LDX | BPF_IMM, 0),
        BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
        BPF_STMT(BPF_ALU | BPF_SUB | BPF_X, 0), /* A = bytes after the IP header */
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, off + 4, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_IND, off), /* A = SPI */
        BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, count),
        BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
        BPF_STMT(BPF_LD | BPF_IMM, 0), /* too short: worker 0's */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, index, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, ACCEPT),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog prog = {sizeof(code) / sizeof(code[0]), code};

    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

/* The program sees the datagram after the UDP header; its answer is the
 * index of the socket in the group, in the order they were bound. */
int net_spread_udp(int fd, unsigned count)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 4, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), /* SPI, or 0: IKE's non-ESP marker */
        BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, count),
        BPF_STMT(BPF_RET | BPF_A, 0),
        BPF_STMT(BPF_RET | BPF_K, 0), /* a keepalive, or too short */
    };
    struct sock_fprog prog = {sizeof(code) / sizeof(code[0]), code};

    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog));
}
