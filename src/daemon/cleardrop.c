/* SPDX-License-Identifier: MIT */
#include "cleardrop.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <net/if.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nftset.h"
#include "refmap.h"

#define TABLE  "uipsecd"
#define LAYERS 4 /* sets per shape and family: room for selectors that overlap */

/* The shapes of a selector's drop element, by what it looks at. */
enum kind {
    K_ADDR,  /* saddr . daddr: any protocol, any ports */
    K_PROTO, /* saddr . daddr . l4proto: ports not looked at */
    K_PORTS, /* saddr . daddr . l4proto . sport . dport */
    K_COUNT
};

#define TAG_PEER 0x80 /* key[0] of a peer's address */
#define TAG_HASH 0x40 /* key[0] of an element of a shape's hash set, key[1] the shape */
/* else key[0] is family << 4 | kind: an element of an interval set */

#define MAX_SHAPES 64

/* Selectors whose sides are prefixes and whose ports are single or any
 * take the fast path: per shape (prefix lengths, protocol or not, ports
 * or not) a hash set of the masked keys and one rule "saddr & mask .
 * daddr & mask ... @set drop", the tuple-space search of the SPD in the
 * kernel.  Adding or deleting such an element is O(1) there; the interval
 * sets (pipapo), kept for the other selectors, cost O(n) per deletion. */
struct shape {
    uint8_t family, rplen, lplen;
    bool proto, sport, dport;
};

/* The elements of one set: packed first words of their address fields, so
 * that the overlap check reads 16 bytes per element. */
struct layer {
    struct refent **e;
    uint32_t (*box)[4]; /* saddr lo, hi, daddr lo, hi: first 4 bytes, host order */
    size_t n, cap;
};

struct undo {
    struct refent *e;
    int delta;
};

struct cleardrop {
    struct nft_ctx *nft;
    char ifname[IFNAMSIZ]; /* what comes out of the tunnel passes */
    bool made;             /* the table exists */
    struct nftset ns;
    struct refmap elems; /* drop elements and peers, with their references */
    struct layer layers[2][K_COUNT][LAYERS];
    char names[2][K_COUNT][LAYERS][8];
    struct shape shapes[MAX_SHAPES];
    char shape_names[MAX_SHAPES][16];
    int nshapes;
    struct undo *undo; /* this batch's reference changes, to take back if it fails */
    size_t nundo, undocap;
};

static const char *const kind_prefix[K_COUNT] = {"a", "p", "pp"};

static int run(struct cleardrop *cd, const char *cmd, bool quiet)
{
    int rc;

    if (!cd->nft) {
        cd->nft = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!cd->nft)
            return -1;
        nft_ctx_buffer_output(cd->nft);
        nft_ctx_buffer_error(cd->nft);
    }
    rc = nft_run_cmd_from_buffer(cd->nft, cmd);
    if (rc != 0 && !quiet)
        log_err("nftables: %s", nft_ctx_get_error_buffer(cd->nft));
    return rc;
}

/* ---- the table: made once, in one transaction ---- */

static size_t put(char *s, size_t at, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t put(char *s, size_t at, size_t len, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (at >= len)
        return at;
    va_start(ap, fmt);
    n = vsnprintf(s + at, len - at, fmt, ap);
    va_end(ap);
    return at + (n > 0 ? (size_t)n : 0);
}

static const char *const set_types[2][K_COUNT] = {
    {"ipv4_addr . ipv4_addr", "ipv4_addr . ipv4_addr . inet_proto",
     "ipv4_addr . ipv4_addr . inet_proto . inet_service . inet_service"},
    {"ipv6_addr . ipv6_addr", "ipv6_addr . ipv6_addr . inet_proto",
     "ipv6_addr . ipv6_addr . inet_proto . inet_service . inet_service"}};

static const char *const match[2][K_COUNT] = {
    {"ip saddr . ip daddr", "ip saddr . ip daddr . meta l4proto",
     "ip saddr . ip daddr . meta l4proto . th sport . th dport"},
    {"ip6 saddr . ip6 daddr", "ip6 saddr . ip6 daddr . meta l4proto",
     "ip6 saddr . ip6 daddr . meta l4proto . th sport . th dport"}};

/* What passes before the drops: packets out of the tunnel, neighbour
 * discovery (how IPv6 peers find each other at all), and IPsec and IKE
 * from a configured peer, even when its address lies inside a protected
 * range (transport mode, 0.0.0.0/0). */
static size_t accepts(const struct cleardrop *cd, char *s, size_t at, size_t len)
{
    at = put(s, at, len,
             "iifname \"%s\" accept\n"
             "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, "
             "nd-router-advert, nd-redirect } accept\n",
             cd->ifname);
    for (int f = 0; f < 2; f++)
        at = put(s, at, len,
                 "%s saddr @peer%d meta l4proto { esp, ah } accept\n"
                 "%s saddr @peer%d udp dport { 500, 4500 } accept\n",
                 f ? "ip6" : "ip", f ? 6 : 4, f ? "ip6" : "ip", f ? 6 : 4);
    return at;
}

/* An existing table (a daemon that was killed) is replaced in the same
 * transaction, so its drops hold until ours do. */
static size_t table_script(struct cleardrop *cd, char *s, size_t len)
{
    size_t at = put(s, 0, len,
                    "add table inet " TABLE "\ndelete table inet " TABLE "\n"
                    "table inet " TABLE " {\ncounter clear_drops { }\n"
                    "set peer4 { type ipv4_addr; }\nset peer6 { type ipv6_addr; }\n");

    for (int f = 0; f < 2; f++)
        for (int k = 0; k < K_COUNT; k++)
            for (int l = 0; l < LAYERS; l++)
                at = put(s, at, len, "set %s { type %s; flags interval; }\n", cd->names[f][k][l],
                         set_types[f][k]);
    at = put(s, at, len, "chain protect {\n");
    for (int f = 0; f < 2; f++)
        for (int k = 0; k < K_COUNT; k++)
            for (int l = 0; l < LAYERS; l++)
                at = put(s, at, len, "%s @%s counter name clear_drops drop\n", match[f][k],
                         cd->names[f][k][l]);
    at = put(s, at, len, "}\n");
    for (int c = 0; c < 2; c++) {
        const char *chain = c ? "forward" : "input";

        at = put(s, at, len, "chain %s {\ntype filter hook %s priority -5; policy accept;\n", chain,
                 chain);
        at = accepts(cd, s, at, len);
        at = put(s, at, len, "jump protect\n}\n");
    }
    return put(s, at, len, "}\n");
}

struct cleardrop *cleardrop_new(const char *ifname)
{
    struct cleardrop *cd = calloc(1, sizeof(*cd));

    if (!cd)
        return NULL;
    snprintf(cd->ifname, sizeof(cd->ifname), "%s", ifname);
    for (int f = 0; f < 2; f++)
        for (int k = 0; k < K_COUNT; k++)
            for (int l = 0; l < LAYERS; l++)
                snprintf(cd->names[f][k][l], sizeof(cd->names[f][k][l]), "%s%d_%d", kind_prefix[k],
                         f ? 6 : 4, l);
    return cd;
}

/* The table, made the first time an SA needs it. */
static int setup(struct cleardrop *cd)
{
    char script[16384];
    size_t len;

    if (cd->made)
        return 0;
    len = table_script(cd, script, sizeof(script));
    if (len >= sizeof(script) || run(cd, script, false) != 0 || nftset_open(&cd->ns) < 0) {
        log_err("cannot make the nftables table inet " TABLE " that drops cleartext packets "
                "for protected traffic (needs nf_tables and CAP_NET_ADMIN): no SA is installed");
        nftset_close(&cd->ns);
        return -1;
    }
    cd->made = true;
    return 0;
}

/* ---- elements ---- */

struct elem {
    uint8_t tag;
    uint8_t len;
    uint8_t key[48], end[48];
};

static size_t field(uint8_t *k, uint8_t *e, size_t at, const void *lo, const void *hi, size_t n)
{
    memcpy(k + at, lo, n);
    memcpy(e + at, hi, n);
    return at + ((n + 3) & ~(size_t)3); /* the kernel keeps fields in 32-bit registers */
}

static bool has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 132 || proto == 136;
}

/* A port range as the drop element takes it: OPAQUE (no ports) widens to
 * every port, so more is dropped rather than less. */
static size_t ports_field(uint8_t *k, uint8_t *e, size_t at, const struct uipsec_ts *t)
{
    uint8_t lo[2] = {(uint8_t)(t->port_lo >> 8), (uint8_t)t->port_lo};
    uint8_t hi[2] = {(uint8_t)(t->port_hi >> 8), (uint8_t)t->port_hi};

    if (t->port_lo > t->port_hi)
        lo[0] = lo[1] = 0, hi[0] = hi[1] = 0xff;
    return field(k, e, at, lo, hi, 2);
}

static bool any_port(const struct uipsec_ts *t)
{
    return t->port_lo > t->port_hi || (t->port_lo == 0 && t->port_hi == 0xffff);
}

/* Inbound: the source is the remote side.  ICMP types are not told apart:
 * a cleartext ICMP packet between protected ranges is dropped whatever its
 * type. */
static void elem_of(const struct uipsec_selector *s, struct elem *el)
{
    size_t alen = s->family == 4 ? 4 : 16, at = 0;
    bool pp =
        (s->proto == 0 || has_ports(s->proto)) && !(any_port(&s->local) && any_port(&s->remote));
    enum kind k = pp ? K_PORTS : s->proto ? K_PROTO : K_ADDR;
    uint8_t plo = s->proto, phi = s->proto ? s->proto : 0xff;

    memset(el, 0, sizeof(*el));
    el->tag = (uint8_t)((s->family == 6) << 4 | k);
    at = field(el->key, el->end, at, s->remote.lo, s->remote.hi, alen);
    at = field(el->key, el->end, at, s->local.lo, s->local.hi, alen);
    if (k != K_ADDR)
        at = field(el->key, el->end, at, &plo, &phi, 1);
    if (k == K_PORTS) {
        at = ports_field(el->key, el->end, at, &s->remote);
        at = ports_field(el->key, el->end, at, &s->local);
    }
    el->len = (uint8_t)at;
}

/* The prefix length that makes [lo, hi] (n bytes) a prefix, or -1. */
static int prefix(const uint8_t *lo, const uint8_t *hi, size_t n)
{
    int plen = 0;
    size_t i = 0;

    while (i < n * 8 && ((lo[i / 8] ^ hi[i / 8]) & (0x80 >> (i % 8))) == 0)
        i++;
    plen = (int)i;
    for (; i < n * 8; i++) /* the rest: all 0 in lo, all 1 in hi */
        if ((lo[i / 8] & (0x80 >> (i % 8))) || !(hi[i / 8] & (0x80 >> (i % 8))))
            return -1;
    return plen;
}

static bool single(const struct uipsec_ts *t)
{
    return t->port_lo == t->port_hi;
}

/* The hash-set element of s: false if s needs an interval set. */
static bool hash_elem(const struct uipsec_selector *s, struct shape *h, uint8_t *key, size_t *len)
{
    size_t alen = s->family == 4 ? 4 : 16, at = 0;
    int rp = prefix(s->remote.lo, s->remote.hi, alen);
    int lp = prefix(s->local.lo, s->local.hi, alen);
    bool ports = has_ports(s->proto) && !(any_port(&s->local) && any_port(&s->remote));
    uint8_t end[48];

    if (rp < 0 || lp < 0 || (rp == 0 && lp == 0) || (s->proto == 0 && !any_port(&s->local)) ||
        (s->proto == 0 && !any_port(&s->remote)))
        return false;
    if (ports && !((any_port(&s->remote) || single(&s->remote)) &&
                   (any_port(&s->local) || single(&s->local))))
        return false;
    *h = (struct shape){(uint8_t)s->family,
                        (uint8_t)rp,
                        (uint8_t)lp,
                        s->proto != 0,
                        ports && !any_port(&s->remote),
                        ports && !any_port(&s->local)};
    if (rp)
        at = field(key, end, at, s->remote.lo, s->remote.lo, alen);
    if (lp)
        at = field(key, end, at, s->local.lo, s->local.lo, alen);
    if (h->proto)
        at = field(key, end, at, &s->proto, &s->proto, 1);
    if (h->sport)
        at = ports_field(key, end, at, &s->remote);
    if (h->dport)
        at = ports_field(key, end, at, &s->local);
    *len = at;
    return true;
}

static void mask_text(char *out, size_t len, uint8_t family, unsigned plen)
{
    uint8_t m[16] = {0};

    for (unsigned i = 0; i < plen; i++)
        m[i / 8] |= (uint8_t)(0x80 >> (i % 8));
    inet_ntop(family == 4 ? AF_INET : AF_INET6, m, out, (socklen_t)len);
}

/* The set and rule of a shape, made in one transaction the first time a
 * selector of the shape comes; -1 if there are too many shapes. */
static int shape_id(struct cleardrop *cd, const struct shape *h)
{
    const char *ip = h->family == 4 ? "ip" : "ip6",
               *at = h->family == 4 ? "ipv4_addr" : "ipv6_addr";
    char cmd[1024], type[200] = "", expr[300] = "", m[INET6_ADDRSTRLEN];
    int id;

    for (id = 0; id < cd->nshapes; id++)
        if (!memcmp(&cd->shapes[id], h, sizeof(*h)))
            return id;
    if (id == MAX_SHAPES)
        return -1;
    snprintf(cd->shape_names[id], sizeof(cd->shape_names[id]), "h%d", id);
    if (h->rplen) {
        mask_text(m, sizeof(m), h->family, h->rplen);
        snprintf(expr, sizeof(expr), "%s saddr & %s", ip, m);
        snprintf(type, sizeof(type), "%s", at);
    }
    if (h->lplen) {
        mask_text(m, sizeof(m), h->family, h->lplen);
        snprintf(expr + strlen(expr), sizeof(expr) - strlen(expr), "%s%s daddr & %s",
                 *expr ? " . " : "", ip, m);
        snprintf(type + strlen(type), sizeof(type) - strlen(type), "%s%s", *type ? " . " : "", at);
    }
    snprintf(expr + strlen(expr), sizeof(expr) - strlen(expr), "%s%s%s",
             h->proto ? " . meta l4proto" : "", h->sport ? " . th sport" : "",
             h->dport ? " . th dport" : "");
    snprintf(type + strlen(type), sizeof(type) - strlen(type), "%s%s%s",
             h->proto ? " . inet_proto" : "", h->sport ? " . inet_service" : "",
             h->dport ? " . inet_service" : "");
    snprintf(cmd, sizeof(cmd),
             "add set inet " TABLE " %s { type %s; }\n"
             "add rule inet " TABLE " protect %s @%s counter name clear_drops drop\n",
             cd->shape_names[id], type, expr, cd->shape_names[id]);
    if (run(cd, cmd, false) != 0)
        return -1;
    cd->shapes[id] = *h;
    return cd->nshapes++;
}

static void refkey(const struct elem *el, uint8_t *k, size_t *klen)
{
    k[0] = el->tag;
    memcpy(k + 1, el->key, el->len);
    memcpy(k + 1 + el->len, el->end, el->len);
    *klen = 1 + 2u * el->len;
}

static uint32_t word(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Boxes overlap when every field's ranges do.  Keys are big-endian, so
 * byte order is number order. */
static bool overlap(const struct refent *a, const struct refent *b)
{
    size_t len = (a->klen - 1u) / 2, alen = (a->key[0] >> 4) ? 16 : 4, at = 0;
    const uint8_t *alo = a->key + 1, *ahi = alo + len, *blo = b->key + 1, *bhi = blo + len;

    while (at < len) {
        size_t n = at < 2 * alen ? alen : 4;

        if (memcmp(alo + at, bhi + at, n) > 0 || memcmp(blo + at, ahi + at, n) > 0)
            return false;
        at += n;
    }
    return true;
}

static void box_of(const struct refent *e, uint32_t *box)
{
    size_t len = (e->klen - 1u) / 2, alen = (e->key[0] >> 4) ? 16 : 4;

    box[0] = word(e->key + 1);
    box[1] = word(e->key + 1 + len);
    box[2] = word(e->key + 1 + alen);
    box[3] = word(e->key + 1 + len + alen);
}

/* The kernel's interval sets (pipapo) refuse or mishandle elements that
 * overlap, so each set holds disjoint boxes only; this scan of packed
 * words is the one cost here that grows with the number of elements
 * (about a nanosecond each). */
static bool layer_free(const struct layer *ly, const struct refent *e)
{
    uint32_t b[4];

    box_of(e, b);
    for (size_t i = 0; i < ly->n; i++) {
        const uint32_t *o = ly->box[i];

        if (b[0] <= o[1] && o[0] <= b[1] && b[2] <= o[3] && o[2] <= b[3] && overlap(e, ly->e[i]))
            return false;
    }
    return true;
}

static struct layer *layer_of(struct cleardrop *cd, const struct refent *e, int l)
{
    return &cd->layers[(e->key[0] >> 4) & 1][e->key[0] & 0xf][l];
}

static int layer_add(struct layer *ly, struct refent *e)
{
    if (ly->n == ly->cap) {
        size_t cap = ly->cap ? ly->cap * 2 : 64;
        struct refent **grown = realloc(ly->e, cap * sizeof(*grown));
        uint32_t(*box)[4];

        if (!grown)
            return -1;
        ly->e = grown;
        if (!(box = realloc(ly->box, cap * sizeof(*box))))
            return -1;
        ly->box = box;
        ly->cap = cap;
    }
    e->idx = ly->n;
    ly->e[ly->n] = e;
    box_of(e, ly->box[ly->n++]);
    return 0;
}

static void layer_del(struct layer *ly, struct refent *e)
{
    size_t i = e->idx;

    ly->n--;
    ly->e[i] = ly->e[ly->n];
    memcpy(ly->box[i], ly->box[ly->n], sizeof(ly->box[i]));
    ly->e[i]->idx = i;
}

static int note(struct cleardrop *cd, struct refent *e, int delta)
{
    if (cd->nundo == cd->undocap) {
        size_t cap = cd->undocap ? cd->undocap * 2 : 32;
        struct undo *u = realloc(cd->undo, cap * sizeof(*u));

        if (!u)
            return -1;
        cd->undo = u;
        cd->undocap = cap;
    }
    cd->undo[cd->nundo++] = (struct undo){e, delta};
    return 0;
}

/* Whether the element is in a set of exact keys (a peer, a shape's hash
 * set), not an interval set. */
static bool exact(const uint8_t *key)
{
    return key[0] & (TAG_PEER | TAG_HASH);
}

static const char *set_name(struct cleardrop *cd, const struct refent *e)
{
    if (e->key[0] & TAG_PEER)
        return e->key[0] & 1 ? "peer6" : "peer4";
    if (e->key[0] & TAG_HASH)
        return cd->shape_names[e->key[1]];
    return cd->names[(e->key[0] >> 4) & 1][e->key[0] & 0xf][e->aux];
}

static int queue(struct cleardrop *cd, const struct refent *e, bool add)
{
    struct nft_elem n = {.set = set_name(cd, e), .add = add, .interval = !exact(e->key)};
    size_t skip = e->key[0] & TAG_HASH ? 2 : 1;

    n.len = (uint8_t)(n.interval ? (e->klen - 1u) / 2 : e->klen - skip);
    memcpy(n.key, e->key + skip, n.len);
    if (n.interval)
        memcpy(n.end, e->key + 1 + n.len, n.len);
    return nftset_queue(&cd->ns, &n);
}

/* The first reference puts the element in the kernel, the last takes it
 * out: a rekey (two CHILD_SAs with the same selectors) changes nothing
 * there. */
static int ref(struct cleardrop *cd, const uint8_t *k, size_t klen, bool add)
{
    struct refent *e = add ? refmap_put(&cd->elems, k, klen) : refmap_get(&cd->elems, k, klen);
    bool peer = exact(k);

    if (!e || (!add && e->refs == 0) || note(cd, e, add ? 1 : -1) < 0)
        return -1;
    if (add && e->refs++ == 0) {
        for (e->aux = 0; !peer && e->aux < LAYERS && !layer_free(layer_of(cd, e, e->aux), e);)
            e->aux++;
        if (e->aux == LAYERS) {
            log_err("more than %d CHILD_SAs with overlapping selectors: cannot drop cleartext "
                    "for another one, so it is not installed",
                    LAYERS);
            return -1;
        }
        if (!peer && layer_add(layer_of(cd, e, e->aux), e) < 0) {
            e->aux = LAYERS; /* in no layer: nothing to take back there */
            return -1;
        }
        if (queue(cd, e, true) < 0)
            return -1;
    } else if (!add && --e->refs == 0) {
        if (!peer)
            layer_del(layer_of(cd, e, e->aux), e);
        if (queue(cd, e, false) < 0)
            return -1;
    }
    return 0;
}

static void peer_key(const struct uipsec_addr *a, uint8_t *k, size_t *klen)
{
    size_t n = a->family == 4 ? 4 : 16;

    k[0] = (uint8_t)(TAG_PEER | (a->family == 6));
    memcpy(k + 1, a->bytes, n);
    *klen = 1 + n;
}

/* The refmap key of s's hash-set element: -1 if it needs an interval set
 * (or the shapes ran out). */
static int hash_key(struct cleardrop *cd, const struct uipsec_selector *s, uint8_t *k, size_t *klen)
{
    struct shape h;
    size_t len;
    int id;

    if (!hash_elem(s, &h, k + 2, &len) || (id = shape_id(cd, &h)) < 0)
        return -1;
    k[0] = TAG_HASH;
    k[1] = (uint8_t)id;
    *klen = 2 + len;
    return 0;
}

int cleardrop_peer(struct cleardrop *cd, const struct uipsec_addr *peer, bool add)
{
    uint8_t k[REFMAP_KEY_MAX];
    size_t klen;

    if (setup(cd) < 0)
        return -1;
    peer_key(peer, k, &klen);
    return ref(cd, k, klen, add);
}

int cleardrop_sel(struct cleardrop *cd, const struct uipsec_selector *sel, bool add)
{
    uint8_t k[REFMAP_KEY_MAX];
    size_t klen;
    struct elem el;

    if (setup(cd) < 0)
        return -1;
    /* an element made while its shape could not be had is an interval */
    if (hash_key(cd, sel, k, &klen) < 0 || (!add && !refmap_get(&cd->elems, k, klen))) {
        elem_of(sel, &el);
        refkey(&el, k, &klen);
    }
    return ref(cd, k, klen, add);
}

/* A failed batch changed nothing in the kernel: the references go back to
 * what they were, in reverse order. */
static void take_back(struct cleardrop *cd)
{
    for (size_t i = cd->nundo; i-- > 0;) {
        struct refent *e = cd->undo[i].e;
        bool peer = exact(e->key);

        if (cd->undo[i].delta > 0 && --e->refs == 0 && !peer && e->aux < LAYERS)
            layer_del(layer_of(cd, e, e->aux), e);
        else if (cd->undo[i].delta < 0 && e->refs++ == 0 && !peer)
            layer_add(layer_of(cd, e, e->aux), e);
    }
}

#define SWEPT UINT32_MAX /* refs of an entry already listed for freeing */

/* Entries whose last reference went are freed once the batch is done.  An
 * entry can stand in the batch many times (one peer of many SAs): each is
 * listed once first, then freed, so no entry is read after it was freed. */
static void sweep(struct cleardrop *cd)
{
    size_t n = 0;

    for (size_t i = 0; i < cd->nundo; i++) {
        struct refent *e = cd->undo[i].e;

        if (e->refs == 0) {
            e->refs = SWEPT;
            cd->undo[n++].e = e;
        }
    }
    for (size_t i = 0; i < n; i++)
        refmap_del(&cd->elems, cd->undo[i].e);
    cd->nundo = 0;
}

int cleardrop_commit(struct cleardrop *cd, bool apply)
{
    int rc = apply ? 0 : -1;

    if (!cd->made)
        return rc;
    if (rc == 0 && nftset_commit(&cd->ns, TABLE) < 0) {
        log_err("nftables: cannot change the elements that drop cleartext packets for "
                "protected traffic: %s",
                strerror(errno));
        rc = -1;
    }
    cd->ns.npend = 0;
    if (rc < 0)
        take_back(cd);
    sweep(cd);
    return rc;
}

void cleardrop_free(struct cleardrop *cd, bool keep_table)
{
    if (!cd)
        return;
    if (cd->made && !keep_table)
        run(cd, "delete table inet " TABLE, true);
    for (int f = 0; f < 2; f++)
        for (int k = 0; k < K_COUNT; k++)
            for (int l = 0; l < LAYERS; l++) {
                free(cd->layers[f][k][l].e);
                free(cd->layers[f][k][l].box);
            }
    refmap_clear(&cd->elems);
    nftset_close(&cd->ns);
    free(cd->undo);
    if (cd->nft)
        nft_ctx_free(cd->nft);
    free(cd);
}

/* Sums the packets of every counter in a JSON listing. */
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

uint64_t cleardrop_count(struct cleardrop *cd)
{
    uint64_t sum = 0;
    cJSON *json;

    if (!cd->made)
        return sum;
    nft_ctx_output_set_flags(cd->nft, NFT_CTX_OUTPUT_JSON);
    if (run(cd, "list counter inet " TABLE " clear_drops", true) == 0 &&
        (json = cJSON_Parse(nft_ctx_get_output_buffer(cd->nft)))) {
        sum += sum_counters(json);
        cJSON_Delete(json);
    }
    nft_ctx_output_set_flags(cd->nft, 0);
    return sum;
}
