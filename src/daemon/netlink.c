/* SPDX-License-Identifier: MIT */
#include "netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <time.h>

#define NL_BUF 8192 /* MNL_SOCKET_BUFFER_SIZE is not a constant expression */

int nl_open(struct nl *nl)
{
    nl->sock = mnl_socket_open(NETLINK_ROUTE);
    if (!nl->sock)
        return -1;
    if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
        mnl_socket_close(nl->sock);
        nl->sock = NULL;
        return -1;
    }
    nl->portid = mnl_socket_get_portid(nl->sock);
    nl->seq = (uint32_t)time(NULL);
    return 0;
}

void nl_close(struct nl *nl)
{
    if (nl->sock)
        mnl_socket_close(nl->sock);
    nl->sock = NULL;
}

/* Sends one request and waits for its acknowledgement; returns 0 or -1
 * with errno set from the kernel's answer. */
static int transact(struct nl *nl, struct nlmsghdr *nlh)
{
    char buf[NL_BUF];
    ssize_t n;
    int rc;

    nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = ++nl->seq;
    if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
        return -1;
    while ((n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf))) > 0) {
        rc = mnl_cb_run(buf, (size_t)n, nl->seq, nl->portid, NULL, NULL);
        if (rc <= MNL_CB_STOP)
            return rc < 0 ? -1 : 0;
    }
    return -1;
}

int nl_link_up(struct nl *nl, unsigned ifindex, unsigned mtu)
{
    char buf[NL_BUF];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    struct ifinfomsg *ifi;

    nlh->nlmsg_type = RTM_NEWLINK;
    ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = (int)ifindex;
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
    mnl_attr_put_u32(nlh, IFLA_TXQLEN, 4096); /* the daemon drains in bursts */
    return transact(nl, nlh);
}

static size_t addr_len(int family)
{
    return family == 4 ? 4 : 16;
}

int nl_addr_add(struct nl *nl, unsigned ifindex, int family, const uint8_t *addr, unsigned plen)
{
    char buf[NL_BUF];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    struct ifaddrmsg *ifa;

    nlh->nlmsg_type = RTM_NEWADDR;
    nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
    ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
    ifa->ifa_family = family == 4 ? AF_INET : AF_INET6;
    ifa->ifa_prefixlen = (unsigned char)plen;
    ifa->ifa_flags = family == 6 ? IFA_F_NODAD : 0;
    ifa->ifa_index = ifindex;
    mnl_attr_put(nlh, IFA_LOCAL, addr_len(family), addr);
    mnl_attr_put(nlh, IFA_ADDRESS, addr_len(family), addr);
    return transact(nl, nlh);
}

int nl_route(struct nl *nl, bool add, unsigned table, unsigned ifindex, int family,
             const uint8_t *dst, unsigned plen, const uint8_t *prefsrc)
{
    char buf[NL_BUF];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    struct rtmsg *rtm;

    nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
    nlh->nlmsg_flags = add ? NLM_F_CREATE | NLM_F_REPLACE : 0;
    rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
    rtm->rtm_family = family == 4 ? AF_INET : AF_INET6;
    rtm->rtm_dst_len = (unsigned char)plen;
    rtm->rtm_table = RT_TABLE_UNSPEC;
    rtm->rtm_protocol = RTPROT_STATIC;
    rtm->rtm_scope = RT_SCOPE_LINK;
    rtm->rtm_type = RTN_UNICAST;
    mnl_attr_put(nlh, RTA_DST, addr_len(family), dst);
    mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
    mnl_attr_put_u32(nlh, RTA_TABLE, table);
    if (prefsrc)
        mnl_attr_put(nlh, RTA_PREFSRC, addr_len(family), prefsrc);
    return transact(nl, nlh);
}

int nl_rule(struct nl *nl, bool add, int family, unsigned priority, uint32_t mark, unsigned table)
{
    char buf[NL_BUF];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    struct fib_rule_hdr *frh;

    nlh->nlmsg_type = add ? RTM_NEWRULE : RTM_DELRULE;
    nlh->nlmsg_flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
    frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
    frh->family = family == 4 ? AF_INET : AF_INET6;
    frh->action = FR_ACT_TO_TBL;
    frh->flags = FIB_RULE_INVERT; /* packets NOT carrying our mark */
    mnl_attr_put_u32(nlh, FRA_PRIORITY, priority);
    mnl_attr_put_u32(nlh, FRA_FWMARK, mark);
    mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffff);
    mnl_attr_put_u32(nlh, FRA_TABLE, table);
    return transact(nl, nlh);
}
