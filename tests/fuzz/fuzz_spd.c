/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the SPD and SAD input surfaces.  The first byte picks:
 *   0: selector text, "local_ts\nremote_ts": what parses must format and
 *      parse back to the same selector and be taken by uipsec_spd_add; what
 *      does not must say why;
 *   1: a packet against a fixed policy set: outbound, inbound in clear and
 *      after decapsulation, and uipsec_sad_peek with and without UDP;
 *   2: a packet against policies made from the input's bytes, around the
 *      packet's own addresses and ports so that they match it often; then
 *      some of them removed, and the packet again.
 * Every lookup (a batch: the packet twice, then cut in half) must give the
 * policy that a linear scan with flow_match(), the reference, gives: first
 * classified, then from the flow cache.  Packets are copied into buffers of
 * exactly their size, so ASan sees any read past them.
 */
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "uipsec/sad.h"
#include "uipsec/spd.h"

#define MAX_POLICIES 32
#define RAW_POLICY   12 /* input bytes per policy in mode 2 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_text(const uint8_t *d, size_t n)
{
    char *text = malloc(n + 1), *nl, err[256], l[256], r[256];
    struct uipsec_selector s, again;
    struct uipsec_policy_params p = {.dir = UIPSEC_DIR_OUT, .action = UIPSEC_POLICY_BYPASS};
    struct uipsec_spd *spd;

    if (!text)
        return;
    memcpy(text, d, n);
    text[n] = '\0';
    nl = strchr(text, '\n');
    if (nl)
        *nl = '\0';
    if (uipsec_selector_parse(&s, text, nl ? nl + 1 : "%any", err, sizeof(err)) != UIPSEC_OK) {
        if (err[0] == '\0')
            abort(); /* a refusal must say why */
        free(text);
        return;
    }
    if (uipsec_selector_format(&s, UIPSEC_TS_LOCAL, l, sizeof(l)) >= sizeof(l) ||
        uipsec_selector_format(&s, UIPSEC_TS_REMOTE, r, sizeof(r)) >= sizeof(r) ||
        uipsec_selector_parse(&again, l, r, err, sizeof(err)) != UIPSEC_OK ||
        memcmp(&s, &again, sizeof(s)) != 0)
        abort(); /* the canonical text must give the selector back */
    p.sel = s;
    if (!(spd = uipsec_spd_new()))
        abort();
    if (uipsec_spd_add(spd, &p, NULL) != UIPSEC_OK)
        abort(); /* what the parser makes, the SPD takes */
    uipsec_spd_free(spd);
    free(text);
}

/* The first policy of dir that matches, by a linear scan. */
static const struct uipsec_policy *reference(const struct uipsec_spd *spd, enum uipsec_dir dir,
                                             const uint8_t *pkt, size_t len)
{
    const struct uipsec_policy *list[MAX_POLICIES];
    size_t n = uipsec_spd_list(spd, dir, list, MAX_POLICIES);
    struct flow f;

    if (flow_parse(pkt, len, &f) != UIPSEC_OK)
        return NULL;
    for (size_t i = 0; i < n && i < MAX_POLICIES; i++)
        if (flow_match(&list[i]->params.sel, &f, dir))
            return list[i];
    return NULL;
}

static void check_lookups(struct uipsec_spd *spd, uint8_t *pkt, size_t len)
{
    struct uipsec_buf b[3] = {{pkt, (uint32_t)len, 0, (uint32_t)len, 0},
                              {pkt, (uint32_t)len, 0, (uint32_t)len, 0},
                              {pkt, (uint32_t)len, 0, (uint32_t)(len / 2), 0}};

    for (int dir = UIPSEC_DIR_OUT; dir <= UIPSEC_DIR_IN; dir++)
        for (int round = 0; round < 2; round++) {
            const struct uipsec_policy *got[3], *want = reference(spd, dir, pkt, len);

            if (dir == UIPSEC_DIR_OUT)
                uipsec_spd_lookup_out(spd, b, 3, got);
            else
                uipsec_spd_lookup_in(spd, b, 3, got);
            if (got[0] != want || got[1] != want || got[2] != reference(spd, dir, pkt, len / 2))
                abort();
        }
}

/* After decapsulation: against every inbound PROTECT policy. */
static void check_inbound(struct uipsec_spd *spd, const uint8_t *pkt, size_t len)
{
    const struct uipsec_policy *list[MAX_POLICIES];
    size_t n = uipsec_spd_list(spd, UIPSEC_DIR_IN, list, MAX_POLICIES);
    struct flow f;
    bool parsed = flow_parse(pkt, len, &f) == UIPSEC_OK;

    for (size_t i = 0; i < n && i < MAX_POLICIES; i++)
        if (list[i]->params.action == UIPSEC_POLICY_PROTECT &&
            uipsec_spd_check_inbound(spd, list[i], pkt, len) !=
                (parsed && flow_match(&list[i]->params.sel, &f, UIPSEC_DIR_IN)))
            abort();
}

static void check_peek(const uint8_t *pkt, size_t len)
{
    for (int udp = 0; udp < 2; udp++) {
        uint32_t spi;
        enum uipsec_proto proto;
        int rc = uipsec_sad_peek(pkt, len, udp, &spi, &proto);

        if (rc == UIPSEC_OK && proto != UIPSEC_PROTO_ESP && proto != UIPSEC_PROTO_AH)
            abort();
    }
}

struct text_policy {
    enum uipsec_dir dir;
    uint32_t prio;
    enum uipsec_policy_action action;
    const char *local, *remote;
};

/* Around the shared vectors' addresses, with every kind of selector. */
static const struct text_policy fixed[] = {
    {UIPSEC_DIR_OUT, 5, UIPSEC_POLICY_DISCARD, "192.0.2.0/24[tcp/22]", "%any"},
    {UIPSEC_DIR_OUT, 10, UIPSEC_POLICY_PROTECT, "192.0.2.0/24[udp]", "198.51.100.0/24[udp/53]"},
    {UIPSEC_DIR_OUT, 10, UIPSEC_POLICY_BYPASS, "192.0.2.0/24[icmp/8]", "%any"},
    {UIPSEC_DIR_OUT, 12, UIPSEC_POLICY_DISCARD, "192.0.2.0/24[icmp/0:0]", "%any[icmp]"},
    {UIPSEC_DIR_OUT, 15, UIPSEC_POLICY_PROTECT, "192.0.2.1-192.0.2.99", "198.51.100.0/22"},
    {UIPSEC_DIR_OUT, 20, UIPSEC_POLICY_PROTECT, "192.0.2.0/24[any/opaque]", "%any"},
    {UIPSEC_DIR_OUT, 25, UIPSEC_POLICY_PROTECT, "2001:db8:1::/48[tcp/1000-2000]",
     "2001:db8:2::/48"},
    {UIPSEC_DIR_OUT, 30, UIPSEC_POLICY_PROTECT, "2001:db8:1::/48[ipv6-icmp/128]", "%any6"},
    {UIPSEC_DIR_OUT, 40, UIPSEC_POLICY_BYPASS, "2001:db8::/32", "2001:db8::/32"},
    {UIPSEC_DIR_OUT, 90, UIPSEC_POLICY_DISCARD, "%any", "%any"},
    {UIPSEC_DIR_IN, 5, UIPSEC_POLICY_BYPASS, "%any[udp/500]", "%any"},
    {UIPSEC_DIR_IN, 10, UIPSEC_POLICY_PROTECT, "198.51.100.0/24", "192.0.2.0/24"},
    {UIPSEC_DIR_IN, 10, UIPSEC_POLICY_PROTECT, "198.51.100.0/24[tcp/80]", "192.0.2.0/25[tcp]"},
    {UIPSEC_DIR_IN, 20, UIPSEC_POLICY_PROTECT, "2001:db8:2::/48", "2001:db8:1::/48[udp/opaque]"},
    {UIPSEC_DIR_IN, 30, UIPSEC_POLICY_PROTECT, "2001:db8::/32[ipv6-icmp/129-130]", "%any6"},
    {UIPSEC_DIR_IN, 90, UIPSEC_POLICY_BYPASS, "%any6", "%any6"},
};

static struct uipsec_spd *fixed_spd(void)
{
    struct uipsec_spd *spd = uipsec_spd_new();

    for (size_t i = 0; spd && i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        struct uipsec_policy_params p = {
            .dir = fixed[i].dir, .priority = fixed[i].prio, .action = fixed[i].action};

        if (uipsec_selector_parse(&p.sel, fixed[i].local, fixed[i].remote, NULL, 0) ||
            uipsec_spd_add(spd, &p, NULL))
            abort();
    }
    if (!spd || uipsec_spd_commit(spd) != UIPSEC_OK)
        abort();
    return spd;
}

/* One side of a made-up selector: the packet's address under a prefix, or
 * a range from it; its port exactly, as a block, a range, ANY or OPAQUE. */
static void made_ts(const uint8_t *r, const uint8_t *addr, uint16_t port, size_t n,
                    struct uipsec_ts *ts)
{
    size_t plen = r[0] % (n * 8 + 1);
    uint16_t block = (uint16_t)(0xffffu >> (r[1] % 17));

    memset(ts, 0, sizeof(*ts));
    for (size_t i = 0; i < n; i++) {
        size_t bits = plen > i * 8 ? (plen - i * 8 > 8 ? 8 : plen - i * 8) : 0;
        uint8_t m = (uint8_t)(0xff00u >> bits);

        ts->lo[i] = addr[i] & m;
        ts->hi[i] = (uint8_t)(ts->lo[i] | ~m);
    }
    if (r[2] & 1) /* a range that is no prefix */
        ts->hi[n - 1] = (uint8_t)(ts->lo[n - 1] + (r[2] >> 1));
    switch (r[3] % 5) {
    case 0:
        ts->port_hi = UIPSEC_PORT_ANY_HI;
        break;
    case 1:
        ts->port_lo = ts->port_hi = port;
        break;
    case 2:
        ts->port_lo = port & (uint16_t)~block;
        ts->port_hi = ts->port_lo | block;
        break;
    case 3:
        ts->port_lo = port > r[1] ? (uint16_t)(port - r[1]) : 0;
        ts->port_hi = port < 0xffff - r[2] ? (uint16_t)(port + r[2]) : 0xffff;
        break;
    default:
        ts->port_lo = UIPSEC_PORT_OPAQUE_LO;
        ts->port_hi = UIPSEC_PORT_OPAQUE_HI;
    }
}

static struct uipsec_spd *made_spd(const uint8_t *d, size_t npol, const struct flow *f)
{
    struct uipsec_spd *spd = uipsec_spd_new();

    for (size_t i = 0; spd && i < npol; i++, d += RAW_POLICY) {
        struct uipsec_policy_params p = {0};
        bool out = d[0] & 1;
        size_t n = flow_addr_len(f->family);

        p.dir = out ? UIPSEC_DIR_OUT : UIPSEC_DIR_IN;
        p.action = (enum uipsec_policy_action)(d[0] >> 1) % 3;
        p.priority = d[1] % 8; /* many ties */
        p.sel.family = (d[0] & 0x80) ? (uint8_t)(10 - f->family) : f->family;
        p.sel.proto = d[2] < 128 ? 0 : d[2] < 192 ? f->proto : d[2];
        made_ts(d + 3, out ? f->src : f->dst, out ? f->sport : f->dport, n, &p.sel.local);
        made_ts(d + 7, out ? f->dst : f->src, out ? f->dport : f->sport, n, &p.sel.remote);
        uipsec_spd_add(spd, &p, NULL); /* invalid ones are refused: fine */
    }
    if (!spd || uipsec_spd_commit(spd) != UIPSEC_OK)
        abort();
    return spd;
}

/* Every policy's counters add up: each hit was let through or dropped, and
 * there are no more hits than lookups.  Returns the policies of both
 * directions in list. */
static size_t check_counters(const struct uipsec_spd *spd, const struct uipsec_policy **list)
{
    size_t n = uipsec_spd_list(spd, UIPSEC_DIR_OUT, list, MAX_POLICIES);
    struct uipsec_spd_stats st;
    uint64_t hits = 0;

    n += uipsec_spd_list(spd, UIPSEC_DIR_IN, list + n, MAX_POLICIES);
    uipsec_spd_get_stats(spd, &st);
    for (size_t i = 0; i < n; i++) {
        struct uipsec_policy_stats ps;

        uipsec_policy_get_stats(spd, list[i], &ps);
        if (ps.hits != ps.packets + ps.drops || ps.bytes > 65535 * ps.packets)
            abort();
        hits += ps.hits;
    }
    if (hits > st.lookups)
        abort();
    return n;
}

/* Removes some policies (as bit 6 of the input's policy bytes says), then
 * looks the packet up again: the cache must have forgotten them. */
static void churn(struct uipsec_spd *spd, const uint8_t *d, size_t npol, uint8_t *pkt, size_t len)
{
    const struct uipsec_policy *list[2 * MAX_POLICIES];
    size_t n = check_counters(spd, list);

    for (size_t i = 0; i < n && npol; i++)
        if ((d[i % npol * RAW_POLICY] & 0x40) && uipsec_spd_remove(spd, list[i]->id) != UIPSEC_OK)
            abort();
    if (uipsec_spd_commit(spd) != UIPSEC_OK)
        abort();
    check_lookups(spd, pkt, len);
    check_inbound(spd, pkt, len);
    check_counters(spd, list);
}

static void fuzz_packet(const uint8_t *d, size_t n, bool made)
{
    size_t npol = made && n ? d[0] % MAX_POLICIES : 0, skip = made ? 1 + npol * RAW_POLICY : 0;
    struct uipsec_spd *spd;
    struct flow f = {.family = 4};
    uint8_t *pkt;

    if (skip > n)
        return;
    if (!(pkt = malloc(n - skip ? n - skip : 1)))
        return;
    memcpy(pkt, d + skip, n - skip);
    if (flow_parse(pkt, n - skip, &f) != UIPSEC_OK)
        memset(&f, 0, sizeof(f)), f.family = 4;
    spd = made ? made_spd(d + 1, npol, &f) : fixed_spd();
    check_lookups(spd, pkt, n - skip);
    check_inbound(spd, pkt, n - skip);
    check_peek(pkt, n - skip);
    if (made)
        churn(spd, d + 1, npol, pkt, n - skip);
    uipsec_spd_free(spd);
    free(pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65000)
        return 0;
    switch (data[0] % 3) {
    case 0:
        fuzz_text(data + 1, size - 1);
        break;
    case 1:
        fuzz_packet(data + 1, size - 1, false);
        break;
    default:
        fuzz_packet(data + 1, size - 1, true);
    }
    return 0;
}
