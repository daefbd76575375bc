/* SPDX-License-Identifier: MIT */
/* 5-tuples of packets, selectors that match them (RFC 4301 4.4.1, 7), and
 * selectors as text. */
#include "flow.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "ip.h"
#include "wire.h"

#define IPPROTO_NUM_TCP     6
#define IPPROTO_NUM_DCCP    33
#define IPPROTO_NUM_SCTP    132
#define IPPROTO_NUM_UDPLITE 136
#define IPV6_FRAG_OFF_MASK  0xfff8

/* Protocols whose header starts with a source and a destination port. */
static bool has_ports(uint8_t proto)
{
    return proto == IPPROTO_NUM_TCP || proto == IPPROTO_NUM_UDP || proto == IPPROTO_NUM_DCCP ||
           proto == IPPROTO_NUM_SCTP || proto == IPPROTO_NUM_UDPLITE;
}

/* Reads the ports, or the ICMP type and code, at the transport header. */
static int take_ports(struct cursor *c, struct flow *f)
{
    uint8_t *p;

    if (flow_is_icmp(f->proto)) {
        if (!cursor_take(c, 2, &p))
            return UIPSEC_E_TRUNCATED;
        f->sport = f->dport = get_be16(p); /* RFC 4301 4.4.1.1: type << 8 | code */
    } else if (has_ports(f->proto)) {
        if (!cursor_take(c, 4, &p))
            return UIPSEC_E_TRUNCATED;
        f->sport = get_be16(p);
        f->dport = get_be16(p + 2);
    } else {
        f->opaque = true; /* no ports to look at: only ANY or OPAQUE ports match */
    }
    return UIPSEC_OK;
}

/* Whole 8-byte stores: the SPD reads the addresses back as 8-byte words,
 * and a load wider than the store it follows stalls. */
static void put_addr4(uint8_t *to, const uint8_t *from)
{
    uint64_t w[2] = {0, 0};

    memcpy(w, from, 4);
    memcpy(to, w, 16);
}

static int parse_v4(struct cursor *c, struct flow *f)
{
    uint8_t *h;
    size_t ihl;
    int rc = ip_v4_header(c, &ihl);

    if (rc != UIPSEC_OK)
        return rc;
    if (!cursor_take(c, ihl, &h))
        return UIPSEC_E_TRUNCATED;
    f->family = 4;
    f->proto = h[IPV4_OFF_PROTO];
    put_addr4(f->src, h + IPV4_OFF_SRC);
    put_addr4(f->dst, h + IPV4_OFF_DST);
    if (get_be16(h + IPV4_OFF_FRAG) & IPV4_FRAG_MASK) {
        f->opaque = true; /* non-initial fragment: its ports are in another one */
        return UIPSEC_OK;
    }
    return take_ports(c, f);
}

/* Walks the IPv6 extension headers to the next layer protocol.  A fragment
 * header with a non-zero offset ends the walk: what follows is the middle of
 * the fragmentable part. */
static int walk_v6(struct cursor *c, uint8_t nh, struct flow *f)
{
    for (int i = 0; i < FLOW_MAX_EXT; i++) {
        uint8_t *e, next, hlen;

        if (nh == IPPROTO_NUM_FRAGMENT) {
            if (!cursor_take(c, 8, &e))
                return UIPSEC_E_TRUNCATED;
            nh = e[0];
            if (get_be16(e + 2) & IPV6_FRAG_OFF_MASK) {
                f->proto = nh;
                f->opaque = true;
                return UIPSEC_OK;
            }
            continue;
        }
        if (!ip_v6_is_option_header(nh)) {
            f->proto = nh;
            return take_ports(c, f);
        }
        if (!cursor_peek_u8(c, 0, &next) || !cursor_peek_u8(c, 1, &hlen) ||
            !cursor_take(c, (size_t)(hlen + 1) * 8, &e))
            return UIPSEC_E_TRUNCATED;
        nh = next;
    }
    return UIPSEC_E_MALFORMED;
}

static int parse_v6(struct cursor *c, struct flow *f)
{
    uint8_t *h;
    int rc = ip_v6_header(c);

    if (rc != UIPSEC_OK)
        return rc;
    if (!cursor_take(c, IPV6_HDR_LEN, &h))
        return UIPSEC_E_TRUNCATED;
    f->family = 6;
    memcpy(f->src, h + IPV6_OFF_SRC, 16);
    memcpy(f->dst, h + IPV6_OFF_DST, 16);
    return walk_v6(c, h[IPV6_OFF_NH], f);
}

int flow_parse(const uint8_t *pkt, size_t len, struct flow *f)
{
    /* The cursor takes a writable pointer; this parse only reads. */
    struct cursor c = cursor_make((uint8_t *)(uintptr_t)pkt, len);
    uint8_t v;

    f->opaque = false;
    f->sport = f->dport = 0;
    if (!cursor_peek_u8(&c, 0, &v))
        return UIPSEC_E_TRUNCATED;
    switch (v >> 4) {
    case 4:
        return parse_v4(&c, f);
    case 6:
        return parse_v6(&c, f);
    }
    return UIPSEC_E_MALFORMED;
}

static bool addr_in(const uint8_t *a, const struct uipsec_ts *ts, size_t n)
{
    return memcmp(a, ts->lo, n) >= 0 && memcmp(a, ts->hi, n) <= 0;
}

/* ANY includes packets without ports; OPAQUE is only those (RFC 4301 4.4.1). */
static bool port_in(const struct uipsec_ts *ts, bool opaque, uint16_t port)
{
    if (ts->port_lo == UIPSEC_PORT_ANY_LO && ts->port_hi == UIPSEC_PORT_ANY_HI)
        return true;
    if (ts->port_lo > ts->port_hi)
        return opaque;
    return !opaque && ts->port_lo <= port && port <= ts->port_hi;
}

bool flow_match(const struct uipsec_selector *sel, const struct flow *f, enum uipsec_dir dir)
{
    bool out = dir == UIPSEC_DIR_OUT;
    size_t n = flow_addr_len(f->family);

    return sel->family == f->family && (sel->proto == 0 || sel->proto == f->proto) &&
           addr_in(out ? f->src : f->dst, &sel->local, n) &&
           addr_in(out ? f->dst : f->src, &sel->remote, n) &&
           port_in(&sel->local, f->opaque, out ? f->sport : f->dport) &&
           port_in(&sel->remote, f->opaque, out ? f->dport : f->sport);
}

static bool ts_valid(const struct uipsec_ts *ts, size_t n)
{
    static const uint8_t zero[16];

    if (memcmp(ts->lo, ts->hi, n) > 0 || memcmp(ts->lo + n, zero, 16 - n) != 0 ||
        memcmp(ts->hi + n, zero, 16 - n) != 0)
        return false;
    return ts->port_lo <= ts->port_hi ||
           (ts->port_lo == UIPSEC_PORT_OPAQUE_LO && ts->port_hi == UIPSEC_PORT_OPAQUE_HI);
}

bool flow_selector_valid(const struct uipsec_selector *sel)
{
    if (sel->family != 4 && sel->family != 6)
        return false;
    return ts_valid(&sel->local, flow_addr_len(sel->family)) &&
           ts_valid(&sel->remote, flow_addr_len(sel->family));
}

int flow_prefix_len(const uint8_t *lo, const uint8_t *hi, size_t n)
{
    size_t i = 0;
    int plen;
    uint8_t x;

    while (i < n && lo[i] == hi[i])
        i++;
    plen = (int)i * 8;
    if (i == n)
        return plen;
    /* The bits that differ must be a run of trailing ones, all 0 in lo and
     * all 1 in hi; the rest of the bytes then span 0x00 to 0xff. */
    x = lo[i] ^ hi[i];
    if ((x & (x + 1)) != 0 || (lo[i] & x) != 0)
        return -1;
    plen += 8 - __builtin_popcount(x);
    for (i++; i < n; i++)
        if (lo[i] != 0 || hi[i] != 0xff)
            return -1;
    return plen;
}

/* ---- selectors as text: strongSwan's swanctl.conf traffic selectors ---- */

#define TS_TEXT_MAX 160 /* longest selector text taken: two IPv6 addresses and more */

struct name_num {
    const char *name;
    uint16_t num;
};

/* Protocol names as getprotobyname(3) spells them (the first of a number is
 * the one written), and the services policies name most.  Built in rather
 * than read from /etc so that a selector means the same on every machine. */
static const struct name_num protos[] = {
    {"icmp", 1},  {"tcp", 6},    {"udp", 17},      {"dccp", 33},      {"ipv6", 41},
    {"gre", 47},  {"esp", 50},   {"ah", 51},       {"ipv6-icmp", 58}, {"icmpv6", 58},
    {"ospf", 89}, {"sctp", 132}, {"udplite", 136}, {"ipencap", 4},    {"ipip", 4},
};

static const struct name_num services[] = {
    {"ftp", 21},     {"ssh", 22},         {"telnet", 23}, {"smtp", 25},          {"domain", 53},
    {"bootps", 67},  {"bootpc", 68},      {"http", 80},   {"pop3", 110},         {"ntp", 123},
    {"imap", 143},   {"snmp", 161},       {"ldap", 389},  {"https", 443},        {"isakmp", 500},
    {"syslog", 514}, {"submission", 587}, {"imaps", 993}, {"ipsec-nat-t", 4500},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct err_out {
    char *buf;
    size_t len;
};

/* Writes "what "input": message" and returns UIPSEC_E_PARAM. */
__attribute__((format(printf, 4, 5))) static int fail(const struct err_out *e, const char *what,
                                                      const char *input, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (!e->buf || e->len == 0)
        return UIPSEC_E_PARAM;
    n = input ? snprintf(e->buf, e->len, "%s \"%s\": ", what, input)
              : snprintf(e->buf, e->len, "%s: ", what);
    if (n >= 0 && (size_t)n < e->len) {
        va_start(ap, fmt);
        vsnprintf(e->buf + n, e->len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return UIPSEC_E_PARAM;
}

/* A decimal number no larger than max, the whole of s. */
static bool parse_num(const char *s, unsigned long max, unsigned long *v)
{
    unsigned long n = 0;

    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        n = n * 10 + (unsigned long)(*s - '0');
        if (n > max)
            return false;
    }
    *v = n;
    return true;
}

static bool lookup_name(const struct name_num *t, size_t n, const char *s, uint16_t *v)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, s) == 0) {
            *v = t[i].num;
            return true;
        }
    return false;
}

/* One side as the caller wrote it, cut into its parts. */
struct ts_parts {
    const char *what, *input;
    char addr[TS_TEXT_MAX], proto[TS_TEXT_MAX], port[TS_TEXT_MAX];
    bool has_port;
};

static int split_ts(const struct err_out *e, const char *what, const char *in, struct ts_parts *t)
{
    const char *br = strchr(in, '['), *slash;
    size_t n = strlen(in);

    memset(t, 0, sizeof(*t));
    t->what = what;
    t->input = in;
    if (n >= TS_TEXT_MAX)
        return fail(e, what, NULL, "longer than %d characters", TS_TEXT_MAX - 1);
    if (!br) {
        memcpy(t->addr, in, n);
        return UIPSEC_OK;
    }
    if (in[n - 1] != ']')
        return fail(e, what, in, "\"[\" without a closing \"]\" at the end");
    memcpy(t->addr, in, (size_t)(br - in));
    slash = memchr(br, '/', (size_t)(in + n - br));
    if (!slash) {
        memcpy(t->proto, br + 1, (size_t)(in + n - 1 - (br + 1)));
        return UIPSEC_OK;
    }
    memcpy(t->proto, br + 1, (size_t)(slash - (br + 1)));
    memcpy(t->port, slash + 1, (size_t)(in + n - 1 - (slash + 1)));
    t->has_port = true;
    return UIPSEC_OK;
}

static bool parse_ip(const char *s, uint8_t *family, uint8_t *out)
{
    memset(out, 0, 16);
    *family = strchr(s, ':') ? 6 : 4;
    return inet_pton(*family == 4 ? AF_INET : AF_INET6, s, out) == 1;
}

static int parse_cidr(const struct err_out *e, const struct ts_parts *t, uint8_t *family,
                      struct uipsec_ts *ts)
{
    const char *slash = strchr(t->addr, '/');
    char a[TS_TEXT_MAX] = "";
    unsigned long plen;
    size_t n;
    bool host = false;

    memcpy(a, t->addr, (size_t)(slash - t->addr));
    if (!parse_ip(a, family, ts->lo))
        return fail(e, t->what, t->input, "\"%s\" is not an IP address", a);
    n = flow_addr_len(*family);
    if (!parse_num(slash + 1, n * 8, &plen))
        return fail(e, t->what, t->input, "prefix length \"%s\" is not a number from 0 to %zu",
                    slash + 1, n * 8);
    for (size_t i = 0; i < n; i++) {
        size_t bits = plen > i * 8 ? (plen - i * 8 > 8 ? 8 : plen - i * 8) : 0;
        uint8_t m = (uint8_t)(0xff00u >> bits);

        host |= (ts->lo[i] & ~m) != 0;
        ts->lo[i] &= m;
        ts->hi[i] = (uint8_t)(ts->lo[i] | ~m);
    }
    if (host) {
        inet_ntop(*family == 4 ? AF_INET : AF_INET6, ts->lo, a, sizeof(a));
        return fail(e, t->what, t->input, "host bits set: the subnet is %s/%lu", a, plen);
    }
    return UIPSEC_OK;
}

static int parse_range(const struct err_out *e, const struct ts_parts *t, uint8_t *family,
                       struct uipsec_ts *ts)
{
    const char *dash = strchr(t->addr, '-');
    char a[TS_TEXT_MAX] = "";
    uint8_t fam_hi;

    memcpy(a, t->addr, (size_t)(dash - t->addr));
    if (!parse_ip(a, family, ts->lo))
        return fail(e, t->what, t->input, "\"%s\" is not an IP address", a);
    if (!parse_ip(dash + 1, &fam_hi, ts->hi))
        return fail(e, t->what, t->input, "\"%s\" is not an IP address", dash + 1);
    if (fam_hi != *family)
        return fail(e, t->what, t->input, "the range mixes IPv4 and IPv6");
    if (memcmp(ts->lo, ts->hi, 16) > 0)
        return fail(e, t->what, t->input, "the range ends before it starts");
    return UIPSEC_OK;
}

static int parse_addr(const struct err_out *e, const struct ts_parts *t, uint8_t *family,
                      struct uipsec_ts *ts)
{
    if (strcmp(t->addr, "%any") == 0 || strcmp(t->addr, "%any6") == 0) {
        *family = t->addr[4] ? 6 : 4;
        memset(ts->lo, 0, 16);
        memset(ts->hi, 0, 16);
        memset(ts->hi, 0xff, flow_addr_len(*family));
        return UIPSEC_OK;
    }
    if (strcmp(t->addr, "dynamic") == 0)
        return fail(e, t->what, t->input,
                    "\"dynamic\" is an address IKE fills in; give an address or subnet");
    if (strchr(t->addr, '-'))
        return parse_range(e, t, family, ts);
    if (strchr(t->addr, '/'))
        return parse_cidr(e, t, family, ts);
    if (!parse_ip(t->addr, family, ts->lo))
        return fail(e, t->what, t->input,
                    "\"%s\" is not an IP address, range, CIDR subnet, %%any or %%any6", t->addr);
    memcpy(ts->hi, ts->lo, 16);
    return UIPSEC_OK;
}

static bool is_any(const char *s)
{
    return *s == '\0' || strcmp(s, "any") == 0 || strcmp(s, "%any") == 0;
}

static int parse_proto(const struct err_out *e, const struct ts_parts *t, uint8_t *proto)
{
    unsigned long n;
    uint16_t v;

    *proto = 0;
    if (is_any(t->proto))
        return UIPSEC_OK;
    if (lookup_name(protos, COUNT(protos), t->proto, &v)) {
        *proto = (uint8_t)v;
        return UIPSEC_OK;
    }
    if (parse_num(t->proto, 255, &n)) {
        *proto = (uint8_t)n;
        return UIPSEC_OK;
    }
    return fail(e, t->what, t->input,
                "unknown protocol \"%s\": give a name (tcp, udp, icmp, ipv6-icmp, ...) or a "
                "number up to 255",
                t->proto);
}

/* One end of a port range.  For ICMP (RFC 4301 4.4.1.1) the "port" is
 * type << 8 | code; as in strongSwan a number below 256 is a type with any
 * code, so it is the low or the high end of that type's codes.  "T:C" gives
 * one type and code. */
static bool port_end(uint8_t proto, const char *s, bool hi, uint16_t *v)
{
    const char *colon = strchr(s, ':');
    char type[TS_TEXT_MAX] = "";
    unsigned long n, c;

    if (!flow_is_icmp(proto) || !colon) {
        if (!parse_num(s, 65535, &n))
            return false;
        *v = (uint16_t)(!flow_is_icmp(proto) || n >= 256 ? n : hi ? n << 8 | 0xff : n << 8);
        return true;
    }
    memcpy(type, s, (size_t)(colon - s));
    if (!parse_num(type, 255, &n) || !parse_num(colon + 1, 255, &c))
        return false;
    *v = (uint16_t)(n << 8 | c);
    return true;
}

static int bad_port(const struct err_out *e, const struct ts_parts *t, uint8_t proto, const char *s)
{
    if (flow_is_icmp(proto))
        return fail(e, t->what, t->input,
                    "ICMP \"%s\" is neither a type (below 256), type << 8 | code (up to 65535), "
                    "TYPE:CODE, any nor opaque",
                    s);
    return fail(e, t->what, t->input,
                "port \"%s\" is neither a number up to 65535, a known service name, any nor "
                "opaque",
                s);
}

static int parse_ports(const struct err_out *e, const struct ts_parts *t, uint8_t proto,
                       struct uipsec_ts *ts)
{
    const char *p = t->port, *dash = strchr(p, '-');
    char lo[TS_TEXT_MAX] = "";

    ts->port_lo = UIPSEC_PORT_ANY_LO;
    ts->port_hi = UIPSEC_PORT_ANY_HI;
    if (is_any(p))
        return UIPSEC_OK;
    if (strcmp(p, "opaque") == 0) {
        ts->port_lo = UIPSEC_PORT_OPAQUE_LO;
        ts->port_hi = UIPSEC_PORT_OPAQUE_HI;
        return UIPSEC_OK;
    }
    if (!flow_is_icmp(proto) && lookup_name(services, COUNT(services), p, &ts->port_lo)) {
        ts->port_hi = ts->port_lo; /* before ranges: "ipsec-nat-t" has a dash */
        return UIPSEC_OK;
    }
    if (!dash) {
        if (!port_end(proto, p, false, &ts->port_lo) || !port_end(proto, p, true, &ts->port_hi))
            return bad_port(e, t, proto, p);
        return UIPSEC_OK;
    }
    memcpy(lo, p, (size_t)(dash - p));
    if (!port_end(proto, lo, false, &ts->port_lo))
        return bad_port(e, t, proto, lo);
    if (!port_end(proto, dash + 1, true, &ts->port_hi))
        return bad_port(e, t, proto, dash + 1);
    if (ts->port_lo > ts->port_hi)
        return fail(e, t->what, t->input, "the port range ends before it starts");
    return UIPSEC_OK;
}

static int parse_side(const struct err_out *e, struct ts_parts *t, const char *what, const char *in,
                      uint8_t *family, uint8_t *proto, struct uipsec_ts *ts)
{
    int rc;

    if (!in)
        return fail(e, what, NULL, "missing");
    if ((rc = split_ts(e, what, in, t)) != UIPSEC_OK)
        return rc;
    if (t->addr[0] == '\0')
        return fail(e, what, in, "no address before the \"[\"");
    if ((rc = parse_addr(e, t, family, ts)) != UIPSEC_OK)
        return rc;
    return parse_proto(e, t, proto);
}

UIPSEC_API int uipsec_selector_parse(struct uipsec_selector *sel, const char *local_ts,
                                     const char *remote_ts, char *err, size_t err_len)
{
    const struct err_out e = {err, err_len};
    struct uipsec_selector s;
    struct ts_parts t[2];
    uint8_t fam[2], proto[2];
    int rc;

    memset(&s, 0, sizeof(s));
    if ((rc = parse_side(&e, &t[0], "local_ts", local_ts, &fam[0], &proto[0], &s.local)) ||
        (rc = parse_side(&e, &t[1], "remote_ts", remote_ts, &fam[1], &proto[1], &s.remote)))
        return rc;
    if (fam[0] != fam[1])
        return fail(&e, "selector", NULL, "local_ts \"%s\" is IPv%u but remote_ts \"%s\" is IPv%u",
                    local_ts, fam[0], remote_ts, fam[1]);
    if (proto[0] && proto[1] && proto[0] != proto[1])
        return fail(&e, "selector", NULL,
                    "local_ts \"%s\" and remote_ts \"%s\" name different protocols (%u, %u); a "
                    "policy has one",
                    local_ts, remote_ts, proto[0], proto[1]);
    s.family = fam[0];
    s.proto = proto[0] ? proto[0] : proto[1];
    if ((rc = parse_ports(&e, &t[0], s.proto, &s.local)) ||
        (rc = parse_ports(&e, &t[1], s.proto, &s.remote)))
        return rc;
    *sel = s;
    if (err && err_len)
        err[0] = '\0';
    return UIPSEC_OK;
}

struct sbuf {
    char *buf;
    size_t len, pos;
};

__attribute__((format(printf, 2, 3))) static void put(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = b->pos < b->len ? vsnprintf(b->buf + b->pos, b->len - b->pos, fmt, ap)
                        : vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->pos += (size_t)n;
}

static void put_addr(struct sbuf *b, uint8_t family, const struct uipsec_ts *ts)
{
    char lo[INET6_ADDRSTRLEN] = "", hi[INET6_ADDRSTRLEN] = "";
    int af = family == 4 ? AF_INET : AF_INET6;
    int plen = flow_prefix_len(ts->lo, ts->hi, flow_addr_len(family));

    inet_ntop(af, ts->lo, lo, sizeof(lo));
    if (plen >= 0) {
        put(b, "%s/%d", lo, plen);
        return;
    }
    inet_ntop(af, ts->hi, hi, sizeof(hi));
    put(b, "%s-%s", lo, hi);
}

static void put_proto(struct sbuf *b, uint8_t proto)
{
    if (proto == 0) {
        put(b, "any");
        return;
    }
    for (size_t i = 0; i < COUNT(protos); i++)
        if (protos[i].num == proto) {
            put(b, "%s", protos[i].name);
            return;
        }
    put(b, "%u", proto);
}

/* An end of an ICMP range in the form port_end() reads back to v: a type
 * where the code is the first (low end) or last (high end), the 16-bit
 * number from 256 up, and "0:C" for the echo-reply codes strongSwan's
 * syntax has no way to write. */
static void put_icmp_end(struct sbuf *b, uint16_t v, bool hi)
{
    if ((v & 0xff) == (hi ? 0xff : 0))
        put(b, "%u", v >> 8);
    else if (v >= 256)
        put(b, "%u", v);
    else
        put(b, "0:%u", v);
}

static void put_ports(struct sbuf *b, uint8_t proto, uint16_t lo, uint16_t hi)
{
    if (lo > hi) {
        put(b, "opaque");
    } else if (!flow_is_icmp(proto)) {
        put(b, "%u", lo);
        if (lo != hi)
            put(b, "-%u", hi);
    } else if ((lo & 0xff) == 0 && hi == (lo | 0xff)) {
        put(b, "%u", lo >> 8); /* one type, any code */
    } else if (lo == hi) {
        put(b, "%s%u", lo >= 256 ? "" : "0:", lo); /* one type and code */
    } else {
        put_icmp_end(b, lo, false);
        put(b, "-");
        put_icmp_end(b, hi, true);
    }
}

UIPSEC_API size_t uipsec_selector_format(const struct uipsec_selector *sel,
                                         enum uipsec_ts_side side, char *buf, size_t len)
{
    const struct uipsec_ts *ts = side == UIPSEC_TS_LOCAL ? &sel->local : &sel->remote;
    bool any = ts->port_lo == UIPSEC_PORT_ANY_LO && ts->port_hi == UIPSEC_PORT_ANY_HI;
    struct sbuf b = {buf, len, 0};

    if (len)
        buf[0] = '\0';
    if (!flow_selector_valid(sel)) {
        put(&b, "invalid");
        return b.pos;
    }
    put_addr(&b, sel->family, ts);
    if (sel->proto || !any) {
        put(&b, "[");
        put_proto(&b, sel->proto);
        if (!any) {
            put(&b, "/");
            put_ports(&b, sel->proto, ts->port_lo, ts->port_hi);
        }
        put(&b, "]");
    }
    return b.pos;
}
