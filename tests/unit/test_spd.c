/* SPDX-License-Identifier: MIT */
/*
 * The SPD (RFC 4301 4.4.1, 5.1, 5.2): selector text in strongSwan's syntax
 * and back, priority order among overlapping policies, IPv4 and IPv6,
 * protocols, ports, ICMP type and code, fragments and extension headers,
 * every drop reason, counters, and the flow cache across commits.  Packets
 * are built here in heap buffers of exactly their size, so a read past one
 * trips ASan.  A random differential test holds the lookup (cache and
 * tuple-space search) to the reference matcher, flow_match().
 */
#define _POSIX_C_SOURCE 200112L /* inet_pton */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "flow.h"
#include "uipsec/spd.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define OUT      UIPSEC_DIR_OUT
#define IN       UIPSEC_DIR_IN
#define PROTECT  UIPSEC_POLICY_PROTECT
#define BYPASS   UIPSEC_POLICY_BYPASS
#define DISCARD  UIPSEC_POLICY_DISCARD
#define NONE     (-1) /* no policy expected */

enum frag { WHOLE, FIRST_FRAG, LATER_FRAG };

/* A packet to build: ICMP puts type and code in sport and dport. */
struct pkt {
    const char *src, *dst;
    uint8_t proto;
    uint16_t sport, dport;
    enum frag frag;
    uint8_t v6_ext; /* IPv6: this many hop-by-hop/destination-options headers first */
};

/* ---- packets ---- */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_l4(uint8_t *l4, const struct pkt *p)
{
    memset(l4, 0, 12);
    if (flow_is_icmp(p->proto)) {
        l4[0] = (uint8_t)p->sport;
        l4[1] = (uint8_t)p->dport;
    } else {
        put16(l4, p->sport);
        put16(l4 + 2, p->dport);
    }
}

/* Heap packet of exactly its size: IP header(s), 12 bytes of transport. */
static uint8_t *build(const struct pkt *p, size_t *len)
{
    bool v6 = strchr(p->src, ':') != NULL;
    size_t ext = v6 ? (size_t)p->v6_ext * 8 + (p->frag ? 8 : 0) : 0;
    size_t hdr = (v6 ? 40 : 20) + ext;
    uint8_t *b = calloc(1, hdr + 12), *h = b;

    assert_non_null(b);
    *len = hdr + 12;
    if (!v6) {
        b[0] = 0x45, b[8] = 64, b[9] = p->proto;
        put16(b + 2, (uint16_t)*len);
        put16(b + 6, p->frag == FIRST_FRAG ? 0x2000 : p->frag == LATER_FRAG ? 0x2003 : 0);
        assert_int_equal(inet_pton(AF_INET, p->src, b + 12), 1);
        assert_int_equal(inet_pton(AF_INET, p->dst, b + 16), 1);
    } else {
        b[0] = 0x60, b[7] = 64;
        put16(b + 4, (uint16_t)(*len - 40));
        assert_int_equal(inet_pton(AF_INET6, p->src, b + 8), 1);
        assert_int_equal(inet_pton(AF_INET6, p->dst, b + 24), 1);
        h = b + 6; /* where the next "next header" byte goes */
        for (uint8_t i = 0; i < p->v6_ext; i++) {
            *h = i == 0 ? 0 : 60; /* hop-by-hop first, then destination options */
            h = b + 40 + i * 8;
        }
        if (p->frag) {
            *h = 44;
            h = b + 40 + p->v6_ext * 8;
            put16(h + 2, p->frag == LATER_FRAG ? 0x0019 : 0x0001); /* offset 3 or 0, M */
        }
        *h = p->proto;
    }
    if (p->frag != LATER_FRAG)
        put_l4(b + hdr, p);
    return b;
}

/* ---- policies ---- */

struct pol {
    enum uipsec_dir dir;
    uint32_t prio;
    enum uipsec_policy_action action;
    const char *local, *remote;
};

static struct uipsec_spd *make_spd(const struct pol *pols, size_t n, uint64_t *ids)
{
    struct uipsec_spd *spd = uipsec_spd_new();
    char err[256];

    assert_non_null(spd);
    for (size_t i = 0; i < n; i++) {
        struct uipsec_policy_params p = {
            .dir = pols[i].dir, .priority = pols[i].prio, .action = pols[i].action};

        if (uipsec_selector_parse(&p.sel, pols[i].local, pols[i].remote, err, sizeof(err)))
            fail_msg("policy %zu: %s", i, err);
        assert_int_equal(uipsec_spd_add(spd, &p, &ids[i]), UIPSEC_OK);
    }
    assert_int_equal(uipsec_spd_commit(spd), UIPSEC_OK);
    return spd;
}

/* Looks one packet up; returns the index of the policy in pols, or NONE. */
static int lookup_one(struct uipsec_spd *spd, enum uipsec_dir dir, const uint64_t *ids, size_t n,
                      uint8_t *pkt, size_t len)
{
    struct uipsec_buf b = {pkt, (uint32_t)len, 0, (uint32_t)len, 0};
    const struct uipsec_policy *pol;

    if (dir == OUT)
        uipsec_spd_lookup_out(spd, &b, 1, &pol);
    else
        uipsec_spd_lookup_in(spd, &b, 1, &pol);
    if (!pol)
        return NONE;
    for (size_t i = 0; i < n; i++)
        if (ids[i] == pol->id)
            return (int)i;
    fail_msg("policy id %llu is not one of ours", (unsigned long long)pol->id);
    return NONE;
}

/* The index in ids of a policy lookups returned; fails on NULL. */
static int lookup_index(const uint64_t *ids, size_t n, const struct uipsec_policy *pol)
{
    assert_non_null(pol);
    for (size_t i = 0; i < n; i++)
        if (ids[i] == pol->id)
            return (int)i;
    fail_msg("policy id %llu is not one of ours", (unsigned long long)pol->id);
    return 0;
}

struct expect {
    struct pkt p;
    int want; /* index into the policy table, or NONE */
};

/* Every packet twice: the first classifies, the second hits the cache. */
static void run_table(const struct pol *pols, size_t np, enum uipsec_dir dir,
                      const struct expect *t, size_t nt)
{
    uint64_t ids[64];
    struct uipsec_spd *spd = make_spd(pols, np, ids);

    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < nt; i++) {
            size_t len;
            uint8_t *pkt = build(&t[i].p, &len);
            int got = lookup_one(spd, dir, ids, np, pkt, len);

            if (got != t[i].want)
                fail_msg("round %d, packet %zu (%s -> %s proto %u %u/%u): policy %d, want %d",
                         round, i, t[i].p.src, t[i].p.dst, t[i].p.proto, t[i].p.sport, t[i].p.dport,
                         got, t[i].want);
            free(pkt);
        }
    uipsec_spd_free(spd);
}

/* ---- selector text ---- */

struct ts_case {
    const char *local, *remote;           /* as a user writes them */
    const char *want_local, *want_remote; /* canonical form */
};

static const struct ts_case ts_cases[] = {
    {"10.1.0.0/16", "10.2.0.0/16", "10.1.0.0/16", "10.2.0.0/16"},
    {"10.1.0.0/16[tcp/http]", "10.2.0.0/16", "10.1.0.0/16[tcp/80]", "10.2.0.0/16[tcp]"},
    {"10.1.0.0/16[udp/53]", "0.0.0.0/0[udp]", "10.1.0.0/16[udp/53]", "0.0.0.0/0[udp]"},
    {"%any[icmp/8]", "%any", "0.0.0.0/0[icmp/8]", "0.0.0.0/0[icmp]"},
    {"2001:db8::/32[ipv6-icmp/128]", "%any6", "2001:db8::/32[ipv6-icmp/128]", "::/0[ipv6-icmp]"},
    {"10.0.0.1-10.0.0.9", "192.168.0.1", "10.0.0.1-10.0.0.9", "192.168.0.1/32"},
    {"10.0.0.0/8[tcp/1024-65535]", "10.1.0.0/16[tcp/443]", "10.0.0.0/8[tcp/1024-65535]",
     "10.1.0.0/16[tcp/443]"},
    {"10.0.0.0/8[/%any]", "10.1.0.0/16", "10.0.0.0/8", "10.1.0.0/16"},
    {"10.0.0.0/8[any/opaque]", "10.1.0.0/16", "10.0.0.0/8[any/opaque]", "10.1.0.0/16"},
    {"10.0.0.0/8[tcp/opaque]", "10.1.0.0/16[tcp/any]", "10.0.0.0/8[tcp/opaque]",
     "10.1.0.0/16[tcp]"},
    {"10.0.0.0/8[icmp/772]", "10.1.0.0/16", "10.0.0.0/8[icmp/772]", "10.1.0.0/16[icmp]"},
    {"10.0.0.0/8[icmp/0:0]", "10.1.0.0/16", "10.0.0.0/8[icmp/0:0]", "10.1.0.0/16[icmp]"},
    {"10.0.0.0/8[icmp/3-4]", "10.1.0.0/16", "10.0.0.0/8[icmp/3-4]", "10.1.0.0/16[icmp]"},
    {"10.0.0.0/8[icmp/3:1-3:5]", "10.1.0.0/16", "10.0.0.0/8[icmp/769-773]", "10.1.0.0/16[icmp]"},
    {"10.0.0.0/8[icmp/0:3-0:9]", "10.1.0.0/16", "10.0.0.0/8[icmp/0:3-0:9]", "10.1.0.0/16[icmp]"},
    {"10.0.0.0/8[47]", "10.1.0.0/16", "10.0.0.0/8[gre]", "10.1.0.0/16[gre]"},
    {"10.0.0.0/8[200]", "10.1.0.0/16", "10.0.0.0/8[200]", "10.1.0.0/16[200]"},
    {"fe80::1[udp/isakmp]", "fe80::2[udp/ipsec-nat-t]", "fe80::1/128[udp/500]",
     "fe80::2/128[udp/4500]"},
    {"2001:db8::1-2001:db8::ff[sctp/9]", "::/0", "2001:db8::1-2001:db8::ff[sctp/9]", "::/0[sctp]"},
    {"10.0.0.0/8", "10.1.0.0/16[any/80]", "10.0.0.0/8", "10.1.0.0/16[any/80]"},
};

static void selector_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(ts_cases); i++) {
        const struct ts_case *c = &ts_cases[i];
        struct uipsec_selector s, again;
        char err[256], l[128], r[128];

        if (uipsec_selector_parse(&s, c->local, c->remote, err, sizeof(err)) != UIPSEC_OK)
            fail_msg("case %zu: %s", i, err);
        uipsec_selector_format(&s, UIPSEC_TS_LOCAL, l, sizeof(l));
        uipsec_selector_format(&s, UIPSEC_TS_REMOTE, r, sizeof(r));
        if (strcmp(l, c->want_local) != 0 || strcmp(r, c->want_remote) != 0)
            fail_msg("case %zu: \"%s\" \"%s\" gave \"%s\" \"%s\"", i, c->local, c->remote, l, r);
        assert_int_equal(uipsec_selector_parse(&again, l, r, err, sizeof(err)), UIPSEC_OK);
        if (memcmp(&s, &again, sizeof(s)) != 0)
            fail_msg("case %zu: \"%s\" \"%s\" does not parse back", i, l, r);
    }
}

/* The numbers behind the text, from RFC 4301 4.4.1.1 and strongSwan's rules. */
static void selector_values(void **state)
{
    struct uipsec_selector s;
    char buf[8];

    (void)state;
    assert_int_equal(uipsec_selector_parse(&s, "10.1.0.0/16[icmp/8]", "%any", NULL, 0), 0);
    assert_int_equal(s.family, 4);
    assert_int_equal(s.proto, 1);
    assert_int_equal(s.local.port_lo, 0x0800);
    assert_int_equal(s.local.port_hi, 0x08ff);
    assert_int_equal(s.remote.port_lo, 0);
    assert_int_equal(s.remote.port_hi, 0xffff);
    assert_memory_equal(s.local.lo, "\x0a\x01\x00\x00", 4);
    assert_memory_equal(s.local.hi, "\x0a\x01\xff\xff", 4);
    assert_int_equal(uipsec_selector_parse(&s, "10.0.0.0/8[tcp/opaque]", "%any", NULL, 0), 0);
    assert_int_equal(s.local.port_lo, UIPSEC_PORT_OPAQUE_LO);
    assert_int_equal(s.local.port_hi, UIPSEC_PORT_OPAQUE_HI);
    /* A short buffer truncates and reports the full length, like snprintf. */
    assert_int_equal(uipsec_selector_format(&s, UIPSEC_TS_LOCAL, buf, sizeof(buf)),
                     strlen("10.0.0.0/8[tcp/opaque]"));
    assert_string_equal(buf, "10.0.0.");
}

struct ts_error {
    const char *local, *remote;
    const char *message; /* what err must contain */
};

static const struct ts_error ts_errors[] = {
    {"10.1.0.0/33", "%any",
     "local_ts \"10.1.0.0/33\": prefix length \"33\" is not a number "
     "from 0 to 32"},
    {"%any", "10.1.2.3/16", "remote_ts \"10.1.2.3/16\": host bits set: the subnet is 10.1.0.0/16"},
    {"2001:db8::1/32", "%any6", "host bits set: the subnet is 2001:db8::/32"},
    {"foo", "%any", "\"foo\" is not an IP address, range, CIDR subnet, %any or %any6"},
    {"10.0.0.0/8[xyz]", "%any", "unknown protocol \"xyz\""},
    {"10.0.0.0/8[tcp/99999]", "%any", "port \"99999\" is neither a number up to 65535"},
    {"10.0.0.0/8[tcp/ssh-http]", "%any", "port \"ssh\""},
    {"10.0.0.0/8[tcp/80", "%any", "\"[\" without a closing \"]\""},
    {"10.0.0.0/8", "2001:db8::/32", "local_ts \"10.0.0.0/8\" is IPv4 but remote_ts"},
    {"10.0.0.0/8[tcp]", "10.0.0.0/8[udp]", "name different protocols (6, 17)"},
    {"dynamic", "%any", "\"dynamic\" is an address IKE fills in"},
    {"10.0.0.9-10.0.0.1", "%any", "the range ends before it starts"},
    {"10.0.0.1-2001:db8::1", "%any", "the range mixes IPv4 and IPv6"},
    {"10.0.0.0/8[tcp/90-80]", "%any", "the port range ends before it starts"},
    {"10.0.0.0/8[icmp/300:1]", "%any", "ICMP \"300:1\" is neither a type"},
    {"10.0.0.0/8[icmp/http]", "%any", "ICMP \"http\""},
    {"[tcp]", "%any", "no address before the \"[\""},
    {"10.0.0.0/8[256]", "%any", "unknown protocol \"256\""},
    {"10.0.0.0/x", "%any", "prefix length \"x\""},
    {"10.0.0.0.1", "%any", "\"10.0.0.0.1\" is not an IP address"},
    {"10.0.0.0/8", NULL, "remote_ts: missing"},
    {"0000000000000000000000000000000000000000000000000000000000000000000000000000000000"
     "0000000000000000000000000000000000000000000000000000000000000000000000000000000000",
     "%any", "local_ts: longer than"},
};

static void selector_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(ts_errors); i++) {
        const struct ts_error *c = &ts_errors[i];
        struct uipsec_selector s;
        char err[256];

        if (uipsec_selector_parse(&s, c->local, c->remote, err, sizeof(err)) != UIPSEC_E_PARAM)
            fail_msg("case %zu: \"%s\" \"%s\" was accepted", i, c->local, c->remote);
        if (!strstr(err, c->message))
            fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err, c->message);
        /* No room for a message is no reason to crash. */
        assert_int_equal(uipsec_selector_parse(&s, c->local, c->remote, NULL, 0), UIPSEC_E_PARAM);
        assert_int_equal(uipsec_selector_parse(&s, c->local, c->remote, err, 5), UIPSEC_E_PARAM);
        assert_true(strlen(err) < 5);
    }
}

/* ---- lookups ---- */

static const struct pol overlap[] = {
    /* 0 */ {OUT, 10, DISCARD, "10.1.0.0/16[tcp]", "10.2.0.0/16[tcp/22]"},
    /* 1 */ {OUT, 20, PROTECT, "10.1.0.0/16", "10.2.0.0/16"},
    /* 2 */ {OUT, 20, BYPASS, "10.1.0.0/16", "10.2.0.0/16"}, /* tie: 1 came first */
    /* 3 */ {OUT, 30, BYPASS, "%any", "%any"},
    /* 4 */ {OUT, 5, BYPASS, "10.1.2.3[udp]", "10.2.0.0/16[udp/53]"},
    /* 5 */ {OUT, 15, DISCARD, "10.1.0.0/16", "10.2.5.0/24[tcp/1000-2000]"},
    /* 6 */ {OUT, 12, PROTECT, "10.1.0.0/16", "10.2.9.1-10.2.9.7"},
    /* 7 */ {IN, 1, DISCARD, "%any", "%any"}, /* inbound only: never seen outbound */
    /* 8 */ {OUT, 25, DISCARD, "10.1.0.0/16[tcp/opaque]", "10.2.0.0/16"},
};

static void priority_order(void **state)
{
    static const struct expect t[] = {
        {{"10.1.0.1", "10.2.0.1", 6, 40000, 22, WHOLE, 0}, 0},
        {{"10.1.0.1", "10.2.0.1", 6, 40000, 80, WHOLE, 0}, 1},
        {{"10.1.0.1", "10.2.0.1", 17, 40000, 22, WHOLE, 0}, 1},
        {{"10.1.2.3", "10.2.0.1", 17, 5353, 53, WHOLE, 0}, 4},
        {{"10.1.2.4", "10.2.0.1", 17, 5353, 53, WHOLE, 0}, 1},
        {{"10.1.0.1", "10.2.5.9", 6, 40000, 1500, WHOLE, 0}, 5},
        {{"10.1.0.1", "10.2.5.9", 6, 40000, 2001, WHOLE, 0}, 1},
        {{"10.1.0.1", "10.2.5.9", 17, 40000, 1500, WHOLE, 0}, 1},
        {{"10.1.0.1", "10.2.9.7", 6, 40000, 80, WHOLE, 0}, 6},
        {{"10.1.0.1", "10.2.9.8", 6, 40000, 80, WHOLE, 0}, 1},
        {{"10.3.0.1", "10.2.0.1", 6, 40000, 22, WHOLE, 0}, 3},
        {{"10.2.0.1", "10.1.0.1", 6, 22, 40000, WHOLE, 0}, 3}, /* reverse direction */
        {{"10.1.0.1", "10.2.0.1", 6, 0, 0, LATER_FRAG, 0}, 1}, /* ports unknown: not 0 */
    };

    (void)state;
    run_table(overlap, COUNT(overlap), OUT, t, COUNT(t));
}

static void inbound_cleartext(void **state)
{
    static const struct pol pols[] = {
        {IN, 10, BYPASS, "10.1.0.0/16[udp/500]", "%any"},
        {IN, 20, PROTECT, "10.1.0.0/16", "10.2.0.0/16"},
        {IN, 30, DISCARD, "%any", "%any"},
        {OUT, 1, BYPASS, "%any", "%any"},
    };
    /* Inbound, local is the destination: 10.2.x -> 10.1.x. */
    static const struct expect t[] = {
        {{"10.2.0.1", "10.1.0.1", 17, 500, 500, WHOLE, 0}, 0},
        {{"10.2.0.1", "10.1.0.1", 17, 500, 4500, WHOLE, 0}, 1},
        {{"10.1.0.1", "10.2.0.1", 17, 500, 500, WHOLE, 0}, 2},
        {{"10.9.0.1", "10.1.0.1", 6, 1, 2, WHOLE, 0}, 2},
    };

    (void)state;
    run_table(pols, COUNT(pols), IN, t, COUNT(t));
}

static void ipv6_and_ext_headers(void **state)
{
    static const struct pol pols[] = {
        {OUT, 10, PROTECT, "2001:db8:1::/48[tcp/443]", "2001:db8:2::/48"},
        {OUT, 20, BYPASS, "2001:db8:1::/48", "2001:db8:2::/48"},
        {OUT, 30, DISCARD, "::/0", "::/0"},
        {OUT, 5, DISCARD, "10.0.0.0/8", "%any"}, /* IPv4: never for IPv6 packets */
        {OUT, 15, PROTECT, "2001:db8:1::/48[tcp/opaque]", "2001:db8:2::/48"},
    };
    static const struct expect t[] = {
        {{"2001:db8:1::1", "2001:db8:2::1", 6, 443, 1234, WHOLE, 0}, 0},
        {{"2001:db8:1::1", "2001:db8:2::1", 6, 443, 1234, WHOLE, 2}, 0}, /* walked past two */
        {{"2001:db8:1::1", "2001:db8:2::1", 6, 443, 1234, FIRST_FRAG, 1}, 0},
        {{"2001:db8:1::1", "2001:db8:2::1", 6, 443, 1234, LATER_FRAG, 0}, 4},
        {{"2001:db8:1::1", "2001:db8:2::1", 17, 443, 1234, LATER_FRAG, 1}, 1},
        {{"2001:db8:1::1", "2001:db8:2::1", 6, 80, 1234, WHOLE, 0}, 1},
        {{"2001:db8:3::1", "2001:db8:2::1", 6, 443, 1234, WHOLE, 0}, 2},
    };

    (void)state;
    run_table(pols, COUNT(pols), OUT, t, COUNT(t));
}

static void icmp_type_code(void **state)
{
    static const struct pol pols[] = {
        {OUT, 10, PROTECT, "10.0.0.0/8[icmp/8]", "%any"},          /* echo request, any code */
        {OUT, 10, DISCARD, "10.0.0.0/8[icmp/772]", "%any"},        /* type 3 code 4 */
        {OUT, 10, BYPASS, "10.0.0.0/8[icmp/0:0]", "%any"},         /* echo reply, code 0 */
        {OUT, 10, PROTECT, "10.0.0.0/8[icmp/11-12]", "%any"},      /* types 11 and 12 */
        {OUT, 5, DISCARD, "10.0.0.0/8[icmp/8]", "%any[icmp/8:1]"}, /* both sides: code 1 */
        {OUT, 20, BYPASS, "%any", "%any"},
        {OUT, 10, PROTECT, "2001:db8::/32[ipv6-icmp/128]", "%any6"},
        {OUT, 20, DISCARD, "%any6", "%any6"},
    };
    static const struct expect t[] = {
        {{"10.0.0.1", "8.8.8.8", 1, 8, 0, WHOLE, 0}, 0},
        {{"10.0.0.1", "8.8.8.8", 1, 8, 1, WHOLE, 0}, 4},
        {{"10.0.0.1", "8.8.8.8", 1, 3, 4, WHOLE, 0}, 1},
        {{"10.0.0.1", "8.8.8.8", 1, 3, 3, WHOLE, 0}, 5},
        {{"10.0.0.1", "8.8.8.8", 1, 0, 0, WHOLE, 0}, 2},
        {{"10.0.0.1", "8.8.8.8", 1, 0, 1, WHOLE, 0}, 5},
        {{"10.0.0.1", "8.8.8.8", 1, 12, 255, WHOLE, 0}, 3},
        {{"10.0.0.1", "8.8.8.8", 1, 13, 0, WHOLE, 0}, 5},
        {{"10.0.0.1", "8.8.8.8", 1, 8, 0, LATER_FRAG, 0}, 5}, /* type unknown */
        {{"2001:db8::1", "2001:db8:9::1", 58, 128, 0, WHOLE, 0}, 6},
        {{"2001:db8::1", "2001:db8:9::1", 58, 129, 0, WHOLE, 0}, 7},
    };

    (void)state;
    run_table(pols, COUNT(pols), OUT, t, COUNT(t));
}

static void fragments_v4(void **state)
{
    static const struct pol pols[] = {
        {OUT, 10, DISCARD, "10.0.0.0/8[tcp/22]", "%any"},
        {OUT, 20, PROTECT, "10.0.0.0/8[tcp/opaque]", "%any"},
        {OUT, 30, BYPASS, "10.0.0.0/8[tcp]", "%any"},
    };
    static const struct expect t[] = {
        {{"10.0.0.1", "10.9.0.1", 6, 22, 80, WHOLE, 0}, 0},
        {{"10.0.0.1", "10.9.0.1", 6, 22, 80, FIRST_FRAG, 0}, 0}, /* ports are there */
        {{"10.0.0.1", "10.9.0.1", 6, 22, 80, LATER_FRAG, 0}, 1}, /* OPAQUE (RFC 4301 7) */
        {{"10.0.0.1", "10.9.0.1", 6, 23, 80, WHOLE, 0}, 2},
        {{"10.0.0.1", "10.9.0.1", 17, 22, 80, LATER_FRAG, 0}, NONE},
    };

    (void)state;
    run_table(pols, COUNT(pols), OUT, t, COUNT(t));
}

/* ---- drops, counters, batches ---- */

static const struct pol drop_pols[] = {
    /* 0 */ {OUT, 10, DISCARD, "10.9.0.0/16", "%any"},
    /* 1 */ {OUT, 20, PROTECT, "10.1.0.0/16", "10.2.0.0/16"},
    /* 2 */ {IN, 10, BYPASS, "10.1.0.0/16[udp/500]", "%any"},
    /* 3 */ {IN, 20, PROTECT, "10.1.0.0/16[tcp]", "10.2.0.0/16"},
    /* 4 */ {OUT, 30, BYPASS, "10.1.0.0/16", "10.3.0.0/16"},
};

static uint8_t *dup_bytes(const void *p, size_t len)
{
    uint8_t *b = malloc(len ? len : 1);

    assert_non_null(b);
    memcpy(b, p, len);
    return b;
}

/* Broken packets, each in a buffer of exactly its length. */
struct raw {
    const char *what;
    uint8_t bytes[128];
    size_t len;
};

static const struct raw malformed[] = {
    {"empty", {0}, 0},
    {"half an IPv4 header", {0x45, 0, 0, 20}, 10},
    {"IPv4 total length past the buffer", {0x45, 0, 0, 60, [9] = 6}, 32},
    {"IPv4 header length 16", {0x44, 0, 0, 32, [9] = 6}, 32},
    {"IP version 5", {0x55, 0, 0, 32}, 32},
    {"IPv4 TCP with 2 port bytes", {0x45, 0, 0, 22, [9] = 6, [20] = 1, 2}, 22},
    {"IPv4 first fragment, 2 port bytes", {0x45, 0, 0, 22, 0, 0, 0x20, 0, [9] = 17}, 22},
    {"IPv4 ICMP with 1 byte", {0x45, 0, 0, 21, [9] = 1, [20] = 8}, 21},
    {"IPv6 jumbogram", {0x60, 0, 0, 0, 0, 0, 6}, 48},
    {"IPv6 short header", {0x60, 0, 0, 0, 0, 8, 6}, 39},
    {"IPv6 options past the end", {0x60, 0, 0, 0, 0, 8, 0, [40] = 6, 1}, 48},
    {"IPv6 fragment header cut", {0x60, 0, 0, 0, 0, 4, 44}, 44},
    {"IPv6 UDP with 3 port bytes", {0x60, 0, 0, 0, 0, 3, 17}, 43},
};

/* Looks pkt (r's bytes, or the caller's) up and frees it. */
static void count_malformed_bytes(struct uipsec_spd *spd, const struct raw *r, uint8_t *pkt,
                                  uint64_t *expect)
{
    struct uipsec_buf b = {pkt, (uint32_t)r->len, 0, (uint32_t)r->len, 0};
    const struct uipsec_policy *pol = (const void *)1;
    struct uipsec_spd_stats st;

    if (uipsec_spd_lookup_out(spd, &b, 1, &pol) != 0 || pol != NULL)
        fail_msg("%s: not dropped", r->what);
    uipsec_spd_get_stats(spd, &st);
    if (st.drops[UIPSEC_SPD_DROP_MALFORMED] != ++*expect)
        fail_msg("%s: counted as %llu malformed", r->what,
                 (unsigned long long)st.drops[UIPSEC_SPD_DROP_MALFORMED]);
    free(pkt);
}

static void count_malformed(struct uipsec_spd *spd, const struct raw *r, uint64_t *expect)
{
    count_malformed_bytes(spd, r, dup_bytes(r->bytes, r->len), expect);
}

/* 17 extension headers: more than any real packet carries. */
static void too_many_ext(struct uipsec_spd *spd, uint64_t *expect)
{
    struct raw r = {"17 IPv6 extension headers", {0}, 40 + 17 * 8 + 4};
    uint8_t *pkt = calloc(1, r.len);

    assert_non_null(pkt);
    pkt[0] = 0x60;
    pkt[5] = 17 * 8 + 4;
    pkt[6] = 0; /* hop-by-hop, then 16 destination options, then UDP */
    for (int i = 0; i < 17; i++)
        pkt[40 + i * 8] = i < 16 ? 60 : 17;
    count_malformed_bytes(spd, &r, pkt, expect);
}

static void drop_malformed(void **state)
{
    uint64_t ids[COUNT(drop_pols)], n = 0;
    struct uipsec_spd *spd = make_spd(drop_pols, COUNT(drop_pols), ids);
    uint8_t mem[64] = {0x45};
    struct uipsec_buf bad[] = {
        {mem, 64, 65, 0, 0},  /* offset past the buffer */
        {mem, 64, 10, 60, 0}, /* length past the buffer */
        {NULL, 0, 0, 0, 0},
    };
    const struct uipsec_policy *pol[COUNT(bad)];
    struct uipsec_spd_stats st;

    (void)state;
    for (size_t i = 0; i < COUNT(malformed); i++)
        count_malformed(spd, &malformed[i], &n);
    too_many_ext(spd, &n);
    assert_int_equal(uipsec_spd_lookup_out(spd, bad, COUNT(bad), pol), 0);
    uipsec_spd_get_stats(spd, &st);
    assert_int_equal(st.drops[UIPSEC_SPD_DROP_MALFORMED], n + COUNT(bad));
    assert_int_equal(st.lookups, n + COUNT(bad));
    uipsec_spd_free(spd);
}

static uint8_t *pkt_of(const char *src, const char *dst, uint8_t proto, uint16_t sp, uint16_t dp,
                       struct uipsec_buf *b)
{
    struct pkt p = {src, dst, proto, sp, dp, WHOLE, 0};
    size_t len;
    uint8_t *mem = build(&p, &len);

    *b = (struct uipsec_buf){mem, (uint32_t)len, 0, (uint32_t)len, 0};
    return mem;
}

static void check_drops(const struct uipsec_spd *spd, uint64_t no_policy, uint64_t discard,
                        uint64_t clear, uint64_t mismatch, uint64_t malformed_n)
{
    struct uipsec_spd_stats st;

    uipsec_spd_get_stats(spd, &st);
    assert_int_equal(st.drops[UIPSEC_SPD_DROP_NO_POLICY], no_policy);
    assert_int_equal(st.drops[UIPSEC_SPD_DROP_DISCARD], discard);
    assert_int_equal(st.drops[UIPSEC_SPD_DROP_CLEAR_FOR_PROTECT], clear);
    assert_int_equal(st.drops[UIPSEC_SPD_DROP_SELECTOR_MISMATCH], mismatch);
    assert_int_equal(st.drops[UIPSEC_SPD_DROP_MALFORMED], malformed_n);
}

static void drop_reasons(void **state)
{
    uint64_t ids[COUNT(drop_pols)];
    struct uipsec_spd *spd = make_spd(drop_pols, COUNT(drop_pols), ids);
    const struct uipsec_policy *pol, *in = uipsec_spd_get(spd, ids[3]);
    struct uipsec_buf b;
    uint8_t *m;

    (void)state;
    m = pkt_of("10.5.0.1", "10.6.0.1", 6, 1, 2, &b); /* nothing covers it */
    assert_int_equal(uipsec_spd_lookup_out(spd, &b, 1, &pol), 0);
    assert_null(pol);
    check_drops(spd, 1, 0, 0, 0, 0);
    free(m);
    m = pkt_of("10.9.0.1", "10.2.0.1", 6, 1, 2, &b);
    assert_int_equal(uipsec_spd_lookup_out(spd, &b, 1, &pol), 0);
    assert_ptr_equal(pol, uipsec_spd_get(spd, ids[0])); /* the caller sees why */
    check_drops(spd, 1, 1, 0, 0, 0);
    free(m);
    m = pkt_of("10.2.0.1", "10.1.0.1", 6, 1, 2, &b); /* in clear, but PROTECT covers it */
    assert_int_equal(uipsec_spd_lookup_in(spd, &b, 1, &pol), 0);
    assert_ptr_equal(pol, in);
    check_drops(spd, 1, 1, 1, 0, 0);
    /* The same packet after decapsulation belongs to that policy. */
    assert_true(uipsec_spd_check_inbound(spd, in, b.base, b.len));
    free(m);
    m = pkt_of("10.3.0.1", "10.1.0.1", 6, 1, 2, &b); /* decapsulated, outside the selector */
    assert_false(uipsec_spd_check_inbound(spd, in, b.base, b.len));
    check_drops(spd, 1, 1, 1, 1, 0);
    assert_false(uipsec_spd_check_inbound(spd, in, b.base, 10)); /* cut short */
    check_drops(spd, 1, 1, 1, 1, 1);
    free(m);
    m = pkt_of("10.2.0.1", "10.1.0.1", 17, 9, 500, &b); /* IKE-like, BYPASS inbound */
    assert_int_equal(uipsec_spd_lookup_in(spd, &b, 1, &pol), 1);
    assert_ptr_equal(pol, uipsec_spd_get(spd, ids[2]));
    free(m);
    uipsec_spd_free(spd);
}

static void drop_names(void **state)
{
    static const char *const want[] = {"malformed", "no-policy", "discard", "clear-for-protect",
                                       "selector-mismatch"};

    (void)state;
    assert_int_equal(COUNT(want), UIPSEC_SPD_DROP_COUNT);
    for (int i = 0; i < UIPSEC_SPD_DROP_COUNT; i++)
        assert_string_equal(uipsec_spd_drop_name(i), want[i]);
    assert_string_equal(uipsec_spd_drop_name(-1), "unknown");
    assert_string_equal(uipsec_spd_drop_name(UIPSEC_SPD_DROP_COUNT), "unknown");
    assert_string_equal(uipsec_policy_action_name(PROTECT), "protect");
    assert_string_equal(uipsec_policy_action_name(BYPASS), "bypass");
    assert_string_equal(uipsec_policy_action_name(DISCARD), "discard");
}

/* A batch of five: PROTECT, BYPASS, DISCARD, no policy, malformed. */
static void batch_and_counters(void **state)
{
    uint64_t ids[COUNT(drop_pols)];
    struct uipsec_spd *spd = make_spd(drop_pols, COUNT(drop_pols), ids);
    struct uipsec_buf b[5];
    uint8_t *m[5];
    const struct uipsec_policy *pol[5];
    struct uipsec_policy_stats ps;

    (void)state;
    m[0] = pkt_of("10.1.0.1", "10.2.0.1", 6, 1, 2, &b[0]);
    m[1] = pkt_of("10.1.0.1", "10.3.0.1", 6, 1, 2, &b[1]);
    m[2] = pkt_of("10.9.0.1", "10.3.0.1", 6, 1, 2, &b[2]);
    m[3] = pkt_of("10.7.0.1", "10.3.0.1", 6, 1, 2, &b[3]);
    m[4] = pkt_of("10.1.0.1", "10.2.0.1", 6, 1, 2, &b[4]);
    b[4].len = 19;
    assert_int_equal(uipsec_spd_lookup_out(spd, b, 5, pol), 2);
    assert_ptr_equal(pol[0], uipsec_spd_get(spd, ids[1]));
    assert_ptr_equal(pol[1], uipsec_spd_get(spd, ids[4]));
    assert_ptr_equal(pol[2], uipsec_spd_get(spd, ids[0]));
    assert_null(pol[3]);
    assert_null(pol[4]);
    check_drops(spd, 1, 1, 0, 0, 1);
    uipsec_policy_get_stats(spd, pol[0], &ps);
    assert_int_equal(ps.hits, 1);
    assert_int_equal(ps.packets, 1);
    assert_int_equal(ps.bytes, b[0].len);
    assert_int_equal(ps.drops, 0);
    uipsec_policy_get_stats(spd, pol[2], &ps);
    assert_int_equal(ps.hits, 1);
    assert_int_equal(ps.packets, 0);
    assert_int_equal(ps.drops, 1);
    for (int i = 0; i < 5; i++)
        free(m[i]);
    uipsec_spd_free(spd);
}

/* ---- changes and the cache ---- */

static const struct uipsec_policy *one(struct uipsec_spd *spd, struct uipsec_buf *b)
{
    const struct uipsec_policy *pol;

    uipsec_spd_lookup_out(spd, b, 1, &pol);
    return pol;
}

static void cache_follows_commits(void **state)
{
    struct uipsec_policy_params p = {.dir = OUT, .priority = 20, .action = PROTECT};
    struct uipsec_spd *spd = uipsec_spd_new();
    struct uipsec_spd_stats st;
    uint64_t a, bp;
    struct uipsec_buf b;
    uint8_t *m = pkt_of("10.1.0.1", "10.2.0.1", 6, 1, 2, &b);

    (void)state;
    assert_int_equal(uipsec_selector_parse(&p.sel, "10.1.0.0/16", "10.2.0.0/16", NULL, 0), 0);
    assert_int_equal(uipsec_spd_add(spd, &p, &a), UIPSEC_OK);
    assert_null(one(spd, &b)); /* staged, not live */
    assert_null(uipsec_spd_get(spd, a));
    assert_int_equal(uipsec_spd_commit(spd), UIPSEC_OK);
    assert_int_equal(one(spd, &b)->id, a);
    assert_int_equal(one(spd, &b)->id, a);
    uipsec_spd_get_stats(spd, &st);
    assert_int_equal(st.cache_hits, 1);
    p.priority = 10;
    p.action = BYPASS;
    assert_int_equal(uipsec_spd_add(spd, &p, &bp), UIPSEC_OK);
    assert_int_equal(one(spd, &b)->id, a); /* still the old set */
    assert_int_equal(uipsec_spd_commit(spd), UIPSEC_OK);
    assert_int_equal(one(spd, &b)->id, bp); /* the cached answer was dropped */
    assert_int_equal(uipsec_spd_remove(spd, bp), UIPSEC_OK);
    assert_int_equal(uipsec_spd_remove(spd, bp), UIPSEC_E_PARAM);
    assert_int_equal(one(spd, &b)->id, bp);
    assert_int_equal(uipsec_spd_commit(spd), UIPSEC_OK);
    assert_int_equal(one(spd, &b)->id, a);
    assert_int_equal(uipsec_spd_commit(spd), UIPSEC_OK); /* nothing staged */
    assert_int_equal(one(spd, &b)->id, a);
    assert_int_equal(uipsec_spd_remove(spd, a), UIPSEC_OK);
    assert_int_equal(uipsec_spd_commit(spd), UIPSEC_OK);
    assert_null(one(spd, &b));
    uipsec_spd_get_stats(spd, &st);
    assert_int_equal(st.cache_hits, 4); /* the no-op commit kept the cache */
    assert_int_equal(st.drops[UIPSEC_SPD_DROP_NO_POLICY], 2);
    free(m);
    uipsec_spd_free(spd);
}

static void add_errors_and_listing(void **state)
{
    struct uipsec_policy_params ok = {.dir = OUT, .priority = 7, .action = BYPASS}, p;
    struct uipsec_spd *spd = uipsec_spd_new();
    const struct uipsec_policy *list[4];
    uint64_t id[3];
    int dummy;

    (void)state;
    assert_int_equal(uipsec_selector_parse(&ok.sel, "10.0.0.0/8", "%any", NULL, 0), 0);
    p = ok, p.sel.family = 0;
    assert_int_equal(uipsec_spd_add(spd, &p, NULL), UIPSEC_E_PARAM);
    p = ok, p.sel.local.lo[0] = 11; /* lo above hi */
    assert_int_equal(uipsec_spd_add(spd, &p, NULL), UIPSEC_E_PARAM);
    p = ok, p.sel.remote.hi[4] = 1; /* IPv4 padding */
    assert_int_equal(uipsec_spd_add(spd, &p, NULL), UIPSEC_E_PARAM);
    p = ok, p.sel.local.port_lo = 10, p.sel.local.port_hi = 9;
    assert_int_equal(uipsec_spd_add(spd, &p, NULL), UIPSEC_E_PARAM);
    p = ok, p.action = (enum uipsec_policy_action)7;
    assert_int_equal(uipsec_spd_add(spd, &p, NULL), UIPSEC_E_PARAM);
    p = ok, p.dir = (enum uipsec_dir)5;
    assert_int_equal(uipsec_spd_add(spd, &p, NULL), UIPSEC_E_PARAM);
    p = ok, p.sa = (struct uipsec_sa *)&dummy; /* an SA only goes with PROTECT */
    assert_int_equal(uipsec_spd_add(spd, &p, NULL), UIPSEC_E_PARAM);
    assert_int_equal(uipsec_spd_remove(spd, 12345), UIPSEC_E_PARAM);
    p = ok;
    for (int i = 0; i < 3; i++) {
        p.priority = i == 2 ? 1 : 7; /* the third goes first, the first two tie */
        assert_int_equal(uipsec_spd_add(spd, &p, &id[i]), UIPSEC_OK);
    }
    assert_int_equal(uipsec_spd_list(spd, OUT, list, 4), 0);
    assert_int_equal(uipsec_spd_commit(spd), UIPSEC_OK);
    assert_int_equal(uipsec_spd_list(spd, OUT, list, 4), 3);
    assert_int_equal(list[0]->id, id[2]);
    assert_int_equal(list[1]->id, id[0]);
    assert_int_equal(list[2]->id, id[1]);
    assert_int_equal(uipsec_spd_list(spd, IN, list, 4), 0);
    assert_int_equal(uipsec_spd_list(spd, OUT, list, 1), 3);
    assert_ptr_equal(uipsec_spd_get(spd, id[1]), list[2]);
    assert_null(uipsec_spd_get(spd, 999));
    uipsec_spd_free(spd);
}

/* ---- counters: exact through hits, evictions and commits ---- */

static const struct pol count_pols[] = {
    {OUT, 10, DISCARD, "10.0.0.0/24", "%any"},
    {OUT, 20, PROTECT, "10.0.0.0/16", "%any"},
    {OUT, 30, BYPASS, "%any", "%any"},
    {IN, 10, PROTECT, "10.0.0.0/16", "%any"}, /* in clear: dropped */
    {IN, 20, BYPASS, "%any", "%any"},
};

struct tally {
    struct uipsec_policy_stats want[COUNT(count_pols)];
};

/* Sends flows [first, first + n) in batches of 32 (each batch with one
 * packet twice), both ways, and counts what each policy should have seen. */
static void send_flows(struct uipsec_spd *spd, const uint64_t *ids, uint32_t first, uint32_t n,
                       struct tally *t)
{
    for (uint32_t f = first; f < first + n; f += 31) {
        struct uipsec_buf b[32];
        uint8_t *m[32];
        const struct uipsec_policy *pol[32];
        char src[32];

        for (int i = 0; i < 32; i++) {
            uint32_t g = i == 31 ? f : f + (uint32_t)i; /* the last one again */

            snprintf(src, sizeof(src), "10.0.%u.%u", g / 250 % 256, g % 250);
            m[i] = pkt_of(src, "192.0.2.1", 6, (uint16_t)(1000 + g % 7), 80, &b[i]);
        }
        for (int dir = 0; dir < 2; dir++) {
            if (dir == 0)
                uipsec_spd_lookup_out(spd, b, 32, pol);
            else
                uipsec_spd_lookup_in(spd, b, 32, pol);
            for (int i = 0; i < 32; i++) {
                int k = lookup_index(ids, COUNT(count_pols), pol[i]);
                bool pass =
                    count_pols[k].action == BYPASS || (count_pols[k].action == PROTECT && dir == 0);

                t->want[k].hits++;
                t->want[k].packets += pass;
                t->want[k].bytes += pass ? b[i].len : 0;
                t->want[k].drops += !pass;
            }
        }
        for (int i = 0; i < 32; i++)
            free(m[i]);
    }
}

static void check_tally(const struct uipsec_spd *spd, const uint64_t *ids, const struct tally *t)
{
    for (size_t k = 0; k < COUNT(count_pols); k++) {
        struct uipsec_policy_stats got;

        uipsec_policy_get_stats(spd, uipsec_spd_get(spd, ids[k]), &got);
        if (memcmp(&got, &t->want[k], sizeof(got)) != 0)
            fail_msg("policy %zu: hits %llu packets %llu bytes %llu drops %llu, want %llu %llu "
                     "%llu %llu",
                     k, (unsigned long long)got.hits, (unsigned long long)got.packets,
                     (unsigned long long)got.bytes, (unsigned long long)got.drops,
                     (unsigned long long)t->want[k].hits, (unsigned long long)t->want[k].packets,
                     (unsigned long long)t->want[k].bytes, (unsigned long long)t->want[k].drops);
    }
}

static void counters_exact(void **state)
{
    uint64_t ids[COUNT(count_pols)], extra;
    struct uipsec_spd *spd = make_spd(count_pols, COUNT(count_pols), ids);
    struct uipsec_policy_params p = {.dir = OUT, .priority = 99, .action = BYPASS};
    struct tally t;

    (void)state;
    memset(&t, 0, sizeof(t));
    for (int pass = 0; pass < 3; pass++) /* 6,000 flows: more than the cache holds */
        send_flows(spd, ids, 0, 6000, &t);
    check_tally(spd, ids, &t);
    assert_int_equal(uipsec_selector_parse(&p.sel, "%any6", "%any6", NULL, 0), 0);
    assert_int_equal(uipsec_spd_add(spd, &p, &extra), UIPSEC_OK);
    assert_int_equal(uipsec_spd_commit(spd), UIPSEC_OK); /* new tables, empty cache */
    check_tally(spd, ids, &t);
    send_flows(spd, ids, 100, 500, &t);
    send_flows(spd, ids, 100, 500, &t);
    check_tally(spd, ids, &t);
    uipsec_spd_free(spd);
}

/* ---- random policies and packets against the reference matcher ---- */

static uint32_t rnd_state;
static bool shapes_only; /* only selectors a class describes: prefixes, aligned port blocks */

static uint32_t pick(uint32_t n)
{
    rnd_state ^= rnd_state << 13; /* xorshift32: the same run every time */
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state % n;
}

/* Addresses from a small space, so that selectors and packets meet:
 * 10.0.0-3.x and 2001:db8::0-3:xx. */
static void rand_addr(uint8_t family, uint8_t *a)
{
    static const uint8_t v6[] = {0x20, 0x01, 0x0d, 0xb8};

    memset(a, 0, 16);
    if (family == 4) {
        a[0] = 10;
        a[2] = (uint8_t)pick(4);
        a[3] = (uint8_t)pick(256);
    } else {
        memcpy(a, v6, 4);
        a[13] = (uint8_t)pick(4);
        a[15] = (uint8_t)pick(256);
    }
}

static void rand_ts_addr(uint8_t family, struct uipsec_ts *ts)
{
    static const int plen4[] = {0, 8, 16, 22, 23, 24, 30, 31, 32};
    static const int plen6[] = {0, 32, 104, 110, 112, 120, 126, 127, 128};
    size_t n = flow_addr_len(family);
    uint8_t a[16], b[16];
    int plen = family == 4 ? plen4[pick(COUNT(plen4))] : plen6[pick(COUNT(plen6))];

    rand_addr(family, a);
    if (!shapes_only && pick(4) == 0) { /* a range, not a prefix */
        rand_addr(family, b);
        memcpy(ts->lo, memcmp(a, b, 16) < 0 ? a : b, 16);
        memcpy(ts->hi, memcmp(a, b, 16) < 0 ? b : a, 16);
        return;
    }
    for (size_t i = 0; i < 16; i++) {
        int take = plen - (int)i * 8 < 0 ? 0 : plen - (int)i * 8 > 8 ? 8 : plen - (int)i * 8;
        uint8_t m = (uint8_t)(0xff00u >> take);

        ts->lo[i] = a[i] & m;
        ts->hi[i] = i < n ? (uint8_t)(a[i] | ~m) : 0;
    }
}

static uint16_t rand_icmp(void)
{
    static const uint8_t types[] = {0, 3, 8, 11}, codes[] = {0, 1, 4};

    return (uint16_t)(types[pick(COUNT(types))] << 8 | codes[pick(COUNT(codes))]);
}

static const uint16_t some_ports[] = {22, 53, 80, 443, 1000, 1024, 1050, 2000, 5000};

static void rand_ports(uint8_t proto, struct uipsec_ts *ts)
{
    bool icmp = flow_is_icmp(proto);
    uint32_t kind = pick(8);

    if (shapes_only && (kind == 2 || kind == 3))
        kind = 7; /* ANY instead of a range or OPAQUE */
    ts->port_lo = UIPSEC_PORT_ANY_LO;
    ts->port_hi = UIPSEC_PORT_ANY_HI;
    switch (kind) {
    case 0: /* one port, or one ICMP type and code */
        ts->port_lo = ts->port_hi = icmp ? rand_icmp() : some_ports[pick(COUNT(some_ports))];
        break;
    case 1: /* an aligned block: one ICMP type, or 1024-1087 */
        ts->port_lo = icmp ? rand_icmp() & 0xff00 : 1024;
        ts->port_hi = (uint16_t)(ts->port_lo | (icmp ? 0xff : 63));
        break;
    case 2: /* any range */
        ts->port_lo = (uint16_t)pick(2100);
        ts->port_hi = (uint16_t)(ts->port_lo + pick(3000));
        break;
    case 3:
        ts->port_lo = UIPSEC_PORT_OPAQUE_LO;
        ts->port_hi = UIPSEC_PORT_OPAQUE_HI;
        break;
    }
}

static void rand_policy(struct uipsec_policy_params *p)
{
    static const uint8_t protos[] = {0, 0, 0, 6, 17, 1, 58};

    memset(p, 0, sizeof(*p));
    p->dir = pick(2) ? OUT : IN;
    p->priority = pick(20); /* plenty of ties */
    p->action = (enum uipsec_policy_action)pick(3);
    p->sel.family = pick(4) ? 4 : 6;
    p->sel.proto = protos[pick(COUNT(protos))];
    rand_ts_addr(p->sel.family, &p->sel.local);
    rand_ts_addr(p->sel.family, &p->sel.remote);
    rand_ports(p->sel.proto, &p->sel.local);
    rand_ports(p->sel.proto, &p->sel.remote);
}

static uint8_t *rand_packet(size_t *len)
{
    static const uint8_t protos[] = {6, 17, 1, 58, 47};
    uint8_t family = pick(4) ? 4 : 6, a[16];
    static char src[64], dst[64];
    struct pkt p = {src, dst, protos[pick(COUNT(protos))], 0, 0, WHOLE, 0};
    uint16_t icmp = rand_icmp();

    rand_addr(family, a);
    inet_ntop(family == 4 ? AF_INET : AF_INET6, a, src, sizeof(src));
    rand_addr(family, a);
    inet_ntop(family == 4 ? AF_INET : AF_INET6, a, dst, sizeof(dst));
    p.sport = flow_is_icmp(p.proto) ? icmp >> 8 : some_ports[pick(COUNT(some_ports))];
    p.dport = flow_is_icmp(p.proto) ? icmp & 0xff : some_ports[pick(COUNT(some_ports))];
    p.frag = pick(10) == 0 ? LATER_FRAG : pick(20) == 0 ? FIRST_FRAG : WHOLE;
    p.v6_ext = family == 6 ? (uint8_t)pick(3) : 0;
    return build(&p, len);
}

struct model {
    struct uipsec_policy_params p;
    uint64_t id;
    bool alive;
};

/* The first live policy of dir, by priority and then age, that matches. */
static int reference(const struct model *m, size_t n, const struct flow *f, enum uipsec_dir dir)
{
    int best = NONE;

    for (size_t i = 0; i < n; i++)
        if (m[i].alive && m[i].p.dir == dir && flow_match(&m[i].p.sel, f, dir) &&
            (best == NONE || m[i].p.priority < m[best].p.priority))
            best = (int)i;
    return best;
}

static void describe(const struct model *m, int i, char *out, size_t len)
{
    char l[128], r[128];

    if (i == NONE) {
        snprintf(out, len, "none");
        return;
    }
    uipsec_selector_format(&m[i].p.sel, UIPSEC_TS_LOCAL, l, sizeof(l));
    uipsec_selector_format(&m[i].p.sel, UIPSEC_TS_REMOTE, r, sizeof(r));
    snprintf(out, len, "#%d prio %u %s === %s", i, m[i].p.priority, l, r);
}

static void check_packets(struct uipsec_spd *spd, const struct model *m, size_t n, int npkt)
{
    for (int k = 0; k < npkt; k++) {
        size_t len;
        uint8_t *pkt = rand_packet(&len);
        enum uipsec_dir dir = pick(2) ? OUT : IN;
        uint64_t ids[1024];
        struct flow f;
        int want, got;

        assert_int_equal(flow_parse(pkt, len, &f), UIPSEC_OK);
        want = reference(m, n, &f, dir);
        for (size_t i = 0; i < n; i++)
            ids[i] = m[i].alive ? m[i].id : 0;
        for (int twice = 0; twice < 2; twice++)
            if ((got = lookup_one(spd, dir, ids, n, pkt, len)) != want) {
                char w[300], g[300];

                describe(m, want, w, sizeof(w));
                describe(m, got, g, sizeof(g));
                fail_msg("packet %d (%s), lookup %d: got %s, want %s", k, dir ? "in" : "out", twice,
                         g, w);
            }
        free(pkt);
    }
}

static void random_run(bool shapes, uint32_t seed)
{
    enum { START = 300, ADDED = 100, ROUNDS = 4, PACKETS = 5000 };
    static struct model m[START + ADDED * ROUNDS];
    struct uipsec_spd *spd = uipsec_spd_new();
    size_t n = 0;

    rnd_state = seed;
    shapes_only = shapes;
    for (int round = 0; round < ROUNDS; round++) {
        for (size_t want = round ? n + ADDED : START; n < want; n++) {
            rand_policy(&m[n].p);
            assert_int_equal(uipsec_spd_add(spd, &m[n].p, &m[n].id), UIPSEC_OK);
            m[n].alive = true;
        }
        assert_int_equal(uipsec_spd_commit(spd), UIPSEC_OK);
        check_packets(spd, m, n, PACKETS);
        for (size_t i = 0; i < n; i++) /* a third goes before the next round */
            if (m[i].alive && pick(3) == 0) {
                assert_int_equal(uipsec_spd_remove(spd, m[i].id), UIPSEC_OK);
                m[i].alive = false;
            }
    }
    uipsec_spd_free(spd);
}

/* The daemon's pattern: a commit per CHILD_SA, a few policies each, and
 * policies staged and dropped again before any commit.  The SPD changes
 * its tables in place (chains of equal keys, shape bounds, the sorted
 * rest), so every commit is checked against the reference. */
static void random_churn(void **state)
{
    enum { START = 200, ROUNDS = 80, PACKETS = 300 };
    static struct model m[START + 4 * ROUNDS];
    struct uipsec_spd *spd = uipsec_spd_new();
    size_t n = 0;

    (void)state;
    rnd_state = 0x9e3779b9;
    shapes_only = false;
    for (int round = 0; round < ROUNDS; round++) {
        size_t want = round ? n + 1 + pick(3) : START;
        uint64_t gone;
        struct uipsec_policy_params p;

        for (; n < want; n++) {
            rand_policy(&m[n].p);
            assert_int_equal(uipsec_spd_add(spd, &m[n].p, &m[n].id), UIPSEC_OK);
            m[n].alive = true;
        }
        for (int k = 0; round && k < 3; k++) {
            size_t i = pick((uint32_t)n);

            if (m[i].alive) {
                assert_int_equal(uipsec_spd_remove(spd, m[i].id), UIPSEC_OK);
                m[i].alive = false;
            }
        }
        rand_policy(&p); /* staged and dropped: never seen */
        assert_int_equal(uipsec_spd_add(spd, &p, &gone), UIPSEC_OK);
        assert_int_equal(uipsec_spd_remove(spd, gone), UIPSEC_OK);
        assert_int_equal(uipsec_spd_commit(spd), UIPSEC_OK);
        assert_null(uipsec_spd_get(spd, gone));
        check_packets(spd, m, n, PACKETS);
    }
    uipsec_spd_free(spd);
}

/* Every kind of selector: most go to the scanned list. */
static void random_against_reference(void **state)
{
    (void)state;
    random_run(false, 0x2545f491);
}

/* Prefixes and aligned port blocks only: the hash classes decide. */
static void random_shapes_against_reference(void **state)
{
    (void)state;
    random_run(true, 0x6b43a9b5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(selector_round_trip),
        cmocka_unit_test(selector_values),
        cmocka_unit_test(selector_errors),
        cmocka_unit_test(priority_order),
        cmocka_unit_test(inbound_cleartext),
        cmocka_unit_test(ipv6_and_ext_headers),
        cmocka_unit_test(icmp_type_code),
        cmocka_unit_test(fragments_v4),
        cmocka_unit_test(drop_malformed),
        cmocka_unit_test(drop_reasons),
        cmocka_unit_test(drop_names),
        cmocka_unit_test(batch_and_counters),
        cmocka_unit_test(cache_follows_commits),
        cmocka_unit_test(counters_exact),
        cmocka_unit_test(add_errors_and_listing),
        cmocka_unit_test(random_against_reference),
        cmocka_unit_test(random_shapes_against_reference),
        cmocka_unit_test(random_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
