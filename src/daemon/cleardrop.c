/* SPDX-License-Identifier: MIT */
#include "cleardrop.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"

#define SCRIPT_MAX (64 * 1024)

static int run(struct daemon *d, const char *cmd, bool quiet)
{
    int rc;

    if (!d->nft) {
        d->nft = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!d->nft)
            return -1;
        nft_ctx_buffer_output(d->nft);
        nft_ctx_buffer_error(d->nft);
    }
    rc = nft_run_cmd_from_buffer(d->nft, cmd);
    if (rc != 0 && !quiet)
        log_warn("nftables: %s", nft_ctx_get_error_buffer(d->nft));
    return rc;
}

static void range(char *out, size_t len, uint8_t family, const uint8_t *lo, const uint8_t *hi)
{
    int af = family == 4 ? AF_INET : AF_INET6;
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

    inet_ntop(af, lo, a, sizeof(a));
    inet_ntop(af, hi, b, sizeof(b));
    if (strcmp(a, b) == 0)
        snprintf(out, len, "%s", a);
    else
        snprintf(out, len, "%s-%s", a, b);
}

/* Ports only for protocols that have them; ICMP types are not told apart:
 * a cleartext ICMP packet between protected ranges is dropped whatever its
 * type. */
static void ports(char *out, size_t len, const struct uipsec_selector *s)
{
    bool has_ports = s->proto == 6 || s->proto == 17 || s->proto == 132;
    const struct uipsec_ts *r = &s->remote, *l = &s->local;

    out[0] = '\0';
    if (!has_ports)
        return;
    if (!(r->port_lo == 0 && r->port_hi == 0xffff))
        snprintf(out, len, " th sport %u-%u", r->port_lo, r->port_hi);
    if (!(l->port_lo == 0 && l->port_hi == 0xffff))
        snprintf(out + strlen(out), len - strlen(out), " th dport %u-%u", l->port_lo, l->port_hi);
}

static size_t drop_rule(char *out, size_t len, const char *chain, const struct uipsec_policy *p)
{
    const struct uipsec_selector *s = &p->params.sel;
    const char *ip = s->family == 4 ? "ip" : "ip6";
    char src[100], dst[100], pr[32] = "", po[64];

    range(src, sizeof(src), s->family, s->remote.lo, s->remote.hi);
    range(dst, sizeof(dst), s->family, s->local.lo, s->local.hi);
    if (s->proto)
        snprintf(pr, sizeof(pr), " meta l4proto %u", s->proto);
    ports(po, sizeof(po), s);
    return (size_t)snprintf(out, len,
                            "add rule inet uipsecd %s %s saddr %s %s daddr %s%s%s counter drop\n",
                            chain, ip, src, ip, dst, pr, po);
}

/* IPsec itself from a configured peer always passes, even when the peer's
 * address lies inside a protected range (transport mode, 0.0.0.0/0). */
static size_t peer_rules(struct daemon *d, char *out, size_t len, const char *chain)
{
    size_t at = 0;

    for (size_t i = 0; i < d->nconns && at + 512 < len; i++) {
        const struct uipsec_addr *a = d->conns[i] ? &d->conns[i]->cfg.remote : NULL;
        char peer[INET6_ADDRSTRLEN];
        const char *ip;

        if (!a)
            continue;
        ip = a->family == 4 ? "ip" : "ip6";
        inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, peer, sizeof(peer));
        at += (size_t)snprintf(out + at, len - at,
                               "add rule inet uipsecd %s %s saddr %s meta l4proto { esp, ah } "
                               "accept\n"
                               "add rule inet uipsecd %s %s saddr %s udp dport { 500, 4500 } "
                               "accept\n",
                               chain, ip, peer, chain, ip, peer);
    }
    return at;
}

/* Neighbour discovery is how IPv6 peers find each other at all: never
 * dropped, whatever the selectors cover. */
static size_t base_rules(struct daemon *d, char *out, size_t len, const char *chain)
{
    return (size_t)snprintf(out, len,
                            "add chain inet uipsecd %s { type filter hook %s priority -5; }\n"
                            "add rule inet uipsecd %s iifname \"%s\" accept\n"
                            "add rule inet uipsecd %s icmpv6 type { nd-neighbor-solicit, "
                            "nd-neighbor-advert, nd-router-solicit, nd-router-advert, "
                            "nd-redirect } accept\n",
                            chain, chain, chain, d->ifname, chain);
}

static void build(struct daemon *d, char *script, size_t len)
{
    static const char *const chains[] = {"input", "forward"};
    const struct uipsec_policy *pols[512];
    size_t n = uipsec_spd_list(d->spd, UIPSEC_DIR_IN, pols, 512), at;

    at = (size_t)snprintf(script, len, "add table inet uipsecd\n");
    for (int c = 0; c < 2; c++) {
        at += base_rules(d, script + at, len - at, chains[c]);
        at += peer_rules(d, script + at, len - at, chains[c]);
    }
    for (size_t i = 0; i < n && i < 512 && at + 512 < len; i++)
        if (pols[i]->params.action == UIPSEC_POLICY_PROTECT)
            for (int c = 0; c < 2; c++)
                at += drop_rule(script + at, len - at, chains[c], pols[i]);
}

int cleardrop_sync(struct daemon *d)
{
    char *script = malloc(SCRIPT_MAX);
    int rc;

    if (!script)
        return -1;
    d->cleardrop_base = cleardrop_count(d); /* counters restart with the table */
    run(d, "delete table inet uipsecd", true);
    build(d, script, SCRIPT_MAX);
    rc = run(d, script, false);
    free(script);
    if (rc != 0)
        log_warn("cannot install the nftables rules that drop cleartext packets for "
                 "protected traffic; they are not dropped");
    return rc == 0 ? 0 : -1;
}

void cleardrop_teardown(struct daemon *d)
{
    if (!d->nft)
        return;
    run(d, "delete table inet uipsecd", true);
    nft_ctx_free(d->nft);
    d->nft = NULL;
}

/* Sums the packets of every counter in the table's JSON listing. */
static uint64_t sum_counters(const cJSON *node)
{
    uint64_t sum = 0;
    const cJSON *child;

    if (cJSON_IsObject(node)) {
        const cJSON *counter = cJSON_GetObjectItemCaseSensitive(node, "counter");
        const cJSON *packets = cJSON_GetObjectItemCaseSensitive(counter, "packets");

        if (cJSON_IsNumber(packets))
            return (uint64_t)packets->valuedouble;
    }
    cJSON_ArrayForEach(child, node) sum += sum_counters(child);
    return sum;
}

uint64_t cleardrop_count(struct daemon *d)
{
    uint64_t sum = d->cleardrop_base;
    cJSON *json;

    if (!d->nft)
        return sum;
    nft_ctx_output_set_flags(d->nft, NFT_CTX_OUTPUT_JSON);
    if (run(d, "list table inet uipsecd", true) == 0 &&
        (json = cJSON_Parse(nft_ctx_get_output_buffer(d->nft)))) {
        sum += sum_counters(json);
        cJSON_Delete(json);
    }
    nft_ctx_output_set_flags(d->nft, 0);
    return sum;
}
