/* SPDX-License-Identifier: MIT */
#include "nftset.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

int nftset_open(struct nftset *n)
{
    struct timeval tv = {.tv_sec = 2};
    int one = 1;

    memset(n, 0, sizeof(*n));
    n->sock = mnl_socket_open(NETLINK_NETFILTER);
    if (!n->sock)
        return -1;
    if (mnl_socket_bind(n->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
        nftset_close(n);
        return -1;
    }
    /* errors without the request echoed; never block for ever on a reply */
    mnl_socket_setsockopt(n->sock, NETLINK_CAP_ACK, &one, sizeof(one));
    setsockopt(mnl_socket_get_fd(n->sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    n->portid = mnl_socket_get_portid(n->sock);
    n->seq = (uint32_t)time(NULL);
    return 0;
}

void nftset_close(struct nftset *n)
{
    if (n->sock)
        mnl_socket_close(n->sock);
    free(n->pend);
    memset(n, 0, sizeof(*n));
}

int nftset_queue(struct nftset *n, const struct nft_elem *e)
{
    if (n->npend == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 16;
        struct nft_elem *p = realloc(n->pend, cap * sizeof(*p));

        if (!p)
            return -1;
        n->pend = p;
        n->cap = cap;
    }
    n->pend[n->npend++] = *e;
    return 0;
}

static void put_data(struct nlmsghdr *nlh, uint16_t type, const uint8_t *v, size_t len)
{
    struct nlattr *nest = mnl_attr_nest_start(nlh, type);

    mnl_attr_put(nlh, NFTA_DATA_VALUE, len, v);
    mnl_attr_nest_end(nlh, nest);
}

static struct nlmsghdr *put_msg(char *at, uint16_t type, uint16_t flags, uint8_t family,
                                uint16_t res_id, uint32_t seq)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
    struct nfgenmsg *g;

    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    nlh->nlmsg_seq = seq;
    g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
    g->nfgen_family = family;
    g->version = NFNETLINK_V0;
    g->res_id = htons(res_id);
    return nlh;
}

/* One message per run of changes to the same set in the same direction. */
static size_t put_run(char *at, const struct nft_elem *e, size_t count, const char *table,
                      uint32_t seq)
{
    uint16_t type =
        (NFNL_SUBSYS_NFTABLES << 8) | (e->add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM);
    struct nlmsghdr *nlh = put_msg(at, type, NLM_F_ACK | (e->add ? NLM_F_CREATE | NLM_F_EXCL : 0),
                                   NFPROTO_INET, 0, seq);
    struct nlattr *list;

    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, e->set);
    list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
    for (size_t i = 0; i < count; i++) {
        struct nlattr *one = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);

        put_data(nlh, NFTA_SET_ELEM_KEY, e[i].key, e[i].len);
        if (e[i].interval)
            put_data(nlh, NFTA_SET_ELEM_KEY_END, e[i].end, e[i].len);
        mnl_attr_nest_end(nlh, one);
    }
    mnl_attr_nest_end(nlh, list);
    return nlh->nlmsg_len;
}

/* Room for every message of the batch: element, nests and headers. */
static size_t batch_size(const struct nftset *n)
{
    return 256 + n->npend * (sizeof(((struct nft_elem *)0)->key) * 2 + 64);
}

static int await_acks(struct nftset *n, uint32_t first, uint32_t last)
{
    char buf[16384];
    int err = 0;
    uint32_t left = last - first + 1;

    while (left > 0) {
        ssize_t got = mnl_socket_recvfrom(n->sock, buf, sizeof(buf));
        const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
        int len = (int)got;

        if (got <= 0)
            return -1; /* errno from recv; a timeout leaves the outcome unknown */
        for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
            const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

            if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < first || h->nlmsg_seq > last)
                continue;
            if (e->error && !err)
                err = -e->error;
            left--;
        }
    }
    errno = err;
    return err ? -1 : 0;
}

int nftset_commit(struct nftset *n, const char *table)
{
    size_t size = batch_size(n), at = 0;
    char *buf;
    uint32_t first;
    int rc, sndbuf;

    if (n->npend == 0)
        return 0;
    if (!(buf = calloc(1, size))) {
        n->npend = 0;
        errno = ENOMEM;
        return -1;
    }
    at +=
        put_msg(buf, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, n->seq++)->nlmsg_len;
    first = n->seq;
    for (size_t i = 0, j; i < n->npend; i = j) {
        for (j = i + 1;
             j < n->npend && n->pend[j].set == n->pend[i].set && n->pend[j].add == n->pend[i].add;
             j++)
            ;
        at += put_run(buf + at, &n->pend[i], j - i, table, n->seq++);
    }
    at += put_msg(buf + at, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, n->seq)
              ->nlmsg_len;
    /* a batch is one datagram: the send buffer must hold it */
    sndbuf = (int)(at + 4096);
    if (at > 200000)
        setsockopt(mnl_socket_get_fd(n->sock), SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));
    rc = mnl_socket_sendto(n->sock, buf, at) < 0 ? -1 : await_acks(n, first, n->seq - 1);
    n->seq++;
    n->npend = 0;
    free(buf);
    return rc;
}
