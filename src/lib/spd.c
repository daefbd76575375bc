/* SPDX-License-Identifier: MIT */
/*
 * The SPD (RFC 4301 4.4.1, 5.1, 5.2): staged changes, the compiled tables a
 * commit makes, and the lookups.
 *
 * A lookup first asks the flow cache: 8-way sets of recent keys, each set a
 * line of 32-bit hash tags and the entries, so a hit reads two cache lines.
 * An entry keeps its policy's verdict and counts the packets it answers,
 * added to the policy's counters when the entry leaves, at a commit (which
 * also empties the cache), or when they are read: a cached packet never
 * touches its policy, so its cost does not grow with the number of
 * policies.  A batch is looked up in stages so that the tag lines and then
 * the entries of all its packets are fetched at once.
 *
 * A miss classifies the packet by tuple-space search: rules whose selectors
 * are prefixes and aligned port blocks are grouped by shape (which key bits
 * they look at); each shape is one probe of a hash table of masked keys, and
 * shapes are tried in the order of their best rule, stopping once no shape
 * can beat the match found.  The rules no mask describes (address or port
 * ranges, OPAQUE) are scanned in order with flow_match(), the reference
 * semantics.
 *
 * A commit changes the live tables in place, policy by policy: a hash
 * insert or delete (rules with the same shape and key are chained, best
 * first), a shape's count, and for the rules no mask describes an insert
 * into a sorted array.  Adding or removing one policy so costs the same
 * with ten policies or ten thousand (the flow cache, emptied, is of fixed
 * size); everything a commit may allocate is reserved before it changes
 * anything, so it fails whole or not at all.
 */
#include <openssl/rand.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

#define CACHE_SETS   512 /* eight ways each: 4096 recent flows in 288 KiB */
#define CACHE_WAYS   8
#define CHUNK        16   /* packets whose cache sets are fetched ahead together */
#define VERDICT_PASS 0xff /* else an enum uipsec_spd_drop */
#define GOLDEN       0x9e3779b97f4a7c15ull

/* A packet's 5-tuple seen from one direction, as words a class mask ANDs:
 * local address, remote address, then ports, protocol, family, opaque, dir. */
#define KEY_W 5
struct key {
    uint64_t w[KEY_W];
};

/* What lookups read of a policy: one cache line, the policy's first. */
struct rule {
    _Alignas(64) struct uipsec_policy_stats st;
    uint64_t id;       /* ties of priority: the older first */
    uint32_t priority; /* lower first */
    uint8_t verdict;   /* VERDICT_PASS or why its packets are dropped */
};

struct spd_policy {
    struct rule rule;
    struct uipsec_policy pub;
    struct spd_policy *dup; /* next live policy with the same shape and key, worse */
    struct key k;           /* its key, masked by its shape */
    uint32_t shape;         /* NO_SHAPE: in the table's rest */
    size_t at;              /* its place in the table's list of all */
    bool live;              /* in the live tables */
    bool removed;           /* its removal is staged */
};

#define NO_SHAPE UINT32_MAX

struct shape {
    struct key mask;
    uint32_t count;    /* live rules of this shape; 0: the shape is free */
    uint32_t min_prio; /* no rule of the shape comes before (min_prio, min_id): */
    uint64_t min_id;   /* a bound, tightened by adds, left by removals */
};

struct slot {
    struct key k; /* a rule's key, masked by its shape */
    uint32_t shape;
    struct spd_policy *head; /* the best rule of the chain; NULL: empty */
};

/* The live policies of one direction.  A zeroed table is empty. */
struct table {
    struct slot *slots;
    size_t slot_mask, nslots; /* slots used */
    struct shape *shapes;     /* by id; ids are reused once free */
    uint32_t *order;          /* ids of the used shapes, by their bound */
    uint32_t nshapes, norder;
    size_t shapes_cap;        /* of shapes and of order */
    struct spd_policy **rest; /* the rules no shape describes, in lookup order */
    size_t nrest, rest_cap;
    struct spd_policy **all; /* every live rule; in lookup order if sorted */
    size_t n, all_cap;
    bool sorted;
};

struct cache_entry {
    _Alignas(64) struct key k;
    struct spd_policy *pol;  /* NULL: no policy matched */
    uint32_t packets, bytes; /* hits not yet added to the rule's counters */
    uint8_t verdict;         /* VERDICT_PASS or why the packet is dropped */
};
_Static_assert(sizeof(struct cache_entry) == 64, "one cache line per flow");

struct cache_set {
    _Alignas(64) uint32_t tag[CACHE_WAYS]; /* high half of the key's hash; 0: empty */
    uint8_t used; /* a bit per way: hit since the clock hand last passed it */
    uint8_t hand; /* the way the clock hand is at */
    struct cache_entry e[CACHE_WAYS];
};

/* Policies by id: open addressing, at most half full. */
struct idmap {
    struct spd_policy **slot;
    size_t mask, n;
};

struct uipsec_spd {
    struct idmap ids; /* staged and live */
    uint64_t next_id;
    struct spd_policy **changes; /* staged adds and removals, each policy once */
    size_t nchanges, changes_cap;
    bool dirty;
    struct table live[2]; /* by enum uipsec_dir */
    struct cache_set *cache;
    uint64_t seed; /* random: flows an outsider picks do not pile into one set */
    struct uipsec_spd_stats st;
};

static struct spd_policy *pol_of(const struct uipsec_policy *p)
{
    return (struct spd_policy *)(uintptr_t)((const char *)p - offsetof(struct spd_policy, pub));
}

/* ---- keys and shapes ---- */

static void key_of(const struct flow *f, enum uipsec_dir dir, struct key *k)
{
    bool out = dir == UIPSEC_DIR_OUT;

    memcpy(&k->w[0], out ? f->src : f->dst, 16);
    memcpy(&k->w[2], out ? f->dst : f->src, 16);
    k->w[4] = (uint64_t)(out ? f->sport : f->dport) << 48 |
              (uint64_t)(out ? f->dport : f->sport) << 32 | (uint64_t)f->proto << 24 |
              (uint64_t)f->family << 16 | (uint64_t)f->opaque << 8 | (uint64_t)dir;
}

static uint64_t key_hash(const struct key *k, uint64_t seed)
{
    uint64_t h = seed;

    for (int i = 0; i < KEY_W; i++) {
        h = (h ^ k->w[i]) * GOLDEN;
        h ^= h >> 32;
    }
    return h;
}

static bool key_eq(const struct key *a, const struct key *b)
{
    uint64_t d = 0;

    for (int i = 0; i < KEY_W; i++)
        d |= a->w[i] ^ b->w[i];
    return d == 0;
}

/* Prefix length of a port range, -1 for OPAQUE or a range that is no block. */
static int port_prefix(const struct uipsec_ts *ts)
{
    uint8_t lo[2] = {(uint8_t)(ts->port_lo >> 8), (uint8_t)ts->port_lo};
    uint8_t hi[2] = {(uint8_t)(ts->port_hi >> 8), (uint8_t)ts->port_hi};

    return ts->port_lo > ts->port_hi ? -1 : flow_prefix_len(lo, hi, 2);
}

static void addr_mask(uint64_t *w, int plen)
{
    uint8_t m[16] = {0};

    for (int i = 0; i < plen; i++)
        m[i / 8] |= (uint8_t)(0x80 >> (i % 8));
    memcpy(w, m, 16);
}

/* The mask and masked key that describe a selector exactly, if there are
 * any: both addresses prefixes, both port ranges aligned blocks (ANY is the
 * empty block).  A shape that looks at ports leaves out opaque packets. */
static bool rule_shape(const struct uipsec_selector *s, enum uipsec_dir dir, struct key *mask,
                       struct key *k)
{
    size_t n = flow_addr_len(s->family);
    int lp = flow_prefix_len(s->local.lo, s->local.hi, n);
    int rp = flow_prefix_len(s->remote.lo, s->remote.hi, n);
    int lpp = port_prefix(&s->local), rpp = port_prefix(&s->remote);
    uint64_t lpm, rpm;

    if (lp < 0 || rp < 0 || lpp < 0 || rpp < 0)
        return false;
    lpm = (0xffff0000u >> lpp) & 0xffff;
    rpm = (0xffff0000u >> rpp) & 0xffff;
    addr_mask(&mask->w[0], lp);
    addr_mask(&mask->w[2], rp);
    mask->w[4] = lpm << 48 | rpm << 32 | (s->proto ? 0xffull << 24 : 0) | 0xffull << 16 |
                 ((lpm | rpm) ? 0xffull << 8 : 0) | 0xff;
    memcpy(&k->w[0], s->local.lo, 16);
    memcpy(&k->w[2], s->remote.lo, 16);
    k->w[4] = (uint64_t)s->local.port_lo << 48 | (uint64_t)s->remote.port_lo << 32 |
              (uint64_t)s->proto << 24 | (uint64_t)s->family << 16 | (uint64_t)dir;
    k->w[4] &= mask->w[4];
    return true;
}

/* ---- live tables ---- */

static uint8_t verdict_of(const struct uipsec_policy_params *p)
{
    if (p->action == UIPSEC_POLICY_DISCARD)
        return UIPSEC_SPD_DROP_DISCARD;
    if (p->action == UIPSEC_POLICY_PROTECT && p->dir == UIPSEC_DIR_IN)
        return UIPSEC_SPD_DROP_CLEAR_FOR_PROTECT; /* RFC 4301 5.2 */
    return VERDICT_PASS;
}

static void add_counts(struct uipsec_policy_stats *st, uint8_t verdict, uint64_t packets,
                       uint64_t bytes)
{
    st->hits += packets;
    if (verdict == VERDICT_PASS) {
        st->packets += packets;
        st->bytes += bytes;
    } else {
        st->drops += packets;
    }
}

/* Whether (pa, ia) comes before (pb, ib) in lookup order. */
static bool ahead(uint32_t pa, uint64_t ia, uint32_t pb, uint64_t ib)
{
    return pa < pb || (pa == pb && ia < ib);
}

static bool better(const struct spd_policy *a, const struct spd_policy *b)
{
    return ahead(a->rule.priority, a->rule.id, b->rule.priority, b->rule.id);
}

/* Slot i moves back to hole h unless its home lies in (h, i]: the
 * backward-shift deletion of open addressing, without tombstones, so
 * probe runs stay as short after any number of removals. */
static bool may_fill(size_t hole, size_t i, size_t home, size_t mask)
{
    return ((i - home) & mask) >= ((i - hole) & mask);
}

static uint64_t slot_hash(const struct uipsec_spd *spd, uint32_t shape, const struct key *k)
{
    return key_hash(k, spd->seed ^ (shape + 1) * GOLDEN);
}

/* The slot of (shape, k), or the empty one where it would go. */
static struct slot *slot_at(const struct uipsec_spd *spd, const struct table *t, uint32_t shape,
                            const struct key *k)
{
    for (size_t i = slot_hash(spd, shape, k);; i++) {
        struct slot *s = &t->slots[i & t->slot_mask];

        if (!s->head || (s->shape == shape && key_eq(&s->k, k)))
            return s;
    }
}

static void slot_clear(const struct uipsec_spd *spd, struct table *t, struct slot *s)
{
    size_t hole = (size_t)(s - t->slots), i = hole;

    s->head = NULL;
    t->nslots--;
    for (;;) {
        struct slot *next;

        i = (i + 1) & t->slot_mask;
        next = &t->slots[i];
        if (!next->head)
            return;
        if (may_fill(hole, i, slot_hash(spd, next->shape, &next->k) & t->slot_mask, t->slot_mask)) {
            t->slots[hole] = *next;
            next->head = NULL;
            hole = i;
        }
    }
}

/* Room for n used slots at most half full; on failure the table is as it was. */
static int slots_reserve(const struct uipsec_spd *spd, struct table *t, size_t n)
{
    size_t cap = t->slots ? t->slot_mask + 1 : 0, want = 16;
    struct table next = *t;

    if (2 * n <= cap)
        return UIPSEC_OK;
    while (want < 2 * n)
        want <<= 1;
    if (!(next.slots = calloc(want, sizeof(*next.slots))))
        return UIPSEC_E_NOMEM;
    next.slot_mask = want - 1;
    for (size_t i = 0; i < cap; i++)
        if (t->slots[i].head)
            *slot_at(spd, &next, t->slots[i].shape, &t->slots[i].k) = t->slots[i];
    free(t->slots);
    t->slots = next.slots;
    t->slot_mask = next.slot_mask;
    return UIPSEC_OK;
}

/* p, reallocated to hold need elements of size: NULL if out of memory (p
 * is then as it was), else *cap is its new room. */
static void *grown(void *p, size_t *cap, size_t need, size_t size)
{
    size_t c = *cap ? *cap : 16;

    if (need <= *cap && p) /* never NULL for a success, even for 0 elements */
        return p;
    while (c < need)
        c *= 2;
    if (!(p = realloc(p, c * size)))
        return NULL;
    *cap = c;
    return p;
}

/* Everything adding `adds` rules may allocate, so that the commit that
 * follows cannot fail half-way. */
static int table_reserve(const struct uipsec_spd *spd, struct table *t, size_t adds)
{
    size_t shapes = t->nshapes + adds, order_cap = t->shapes_cap;
    struct shape *sh = grown(t->shapes, &t->shapes_cap, shapes, sizeof(*sh));
    uint32_t *order;
    struct spd_policy **all, **rest;

    if (sh)
        t->shapes = sh;
    if (!sh || !(order = grown(t->order, &order_cap, shapes, sizeof(*order))))
        return UIPSEC_E_NOMEM;
    t->order = order;
    if (!(all = grown(t->all, &t->all_cap, t->n + adds, sizeof(*all))))
        return UIPSEC_E_NOMEM;
    t->all = all;
    if (!(rest = grown(t->rest, &t->rest_cap, t->nrest + adds, sizeof(*rest))))
        return UIPSEC_E_NOMEM;
    t->rest = rest;
    return slots_reserve(spd, t, t->nslots + adds);
}

static void table_free(struct table *t)
{
    free(t->slots);
    free(t->shapes);
    free(t->order);
    free(t->rest);
    free(t->all);
    memset(t, 0, sizeof(*t));
}

/* The shape of this mask, made (or a free one reused) if none is used. */
static uint32_t shape_get(struct table *t, const struct key *mask)
{
    uint32_t c, free_id = NO_SHAPE;

    for (c = 0; c < t->nshapes; c++) {
        if (t->shapes[c].count && key_eq(&t->shapes[c].mask, mask))
            return c;
        if (!t->shapes[c].count && free_id == NO_SHAPE)
            free_id = c;
    }
    if (free_id == NO_SHAPE)
        free_id = t->nshapes++;
    t->shapes[free_id] = (struct shape){*mask, 0, UINT32_MAX, UINT64_MAX};
    t->order[t->norder++] = free_id;
    return free_id;
}

/* A rule of shape c arrived: the shape's bound may drop, and the order of
 * shapes (by bound) follows. */
static void shape_bound(struct table *t, uint32_t c, const struct spd_policy *p)
{
    struct shape *s = &t->shapes[c];
    size_t i = 0;

    s->count++;
    if (!ahead(p->rule.priority, p->rule.id, s->min_prio, s->min_id))
        return;
    s->min_prio = p->rule.priority;
    s->min_id = p->rule.id;
    while (t->order[i] != c)
        i++;
    for (; i > 0; i--) {
        const struct shape *o = &t->shapes[t->order[i - 1]];

        if (!ahead(s->min_prio, s->min_id, o->min_prio, o->min_id))
            break;
        t->order[i] = t->order[i - 1];
        t->order[i - 1] = c;
    }
}

static void shape_drop(struct table *t, uint32_t c)
{
    size_t i = 0;

    if (--t->shapes[c].count)
        return;
    while (t->order[i] != c)
        i++;
    memmove(&t->order[i], &t->order[i + 1], (t->norder - i - 1) * sizeof(*t->order));
    t->norder--;
}

/* Where p goes in (or is in) the sorted rest: a binary search. */
static size_t rest_pos(const struct table *t, const struct spd_policy *p)
{
    size_t lo = 0, hi = t->nrest;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (better(t->rest[mid], p))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Room reserved by table_reserve(). */
static void table_insert(const struct uipsec_spd *spd, struct table *t, struct spd_policy *p)
{
    struct key mask;
    struct slot *s;
    struct spd_policy **pp;

    p->at = t->n;
    t->all[t->n++] = p;
    t->sorted = false;
    if (!rule_shape(&p->pub.params.sel, p->pub.params.dir, &mask, &p->k)) {
        size_t at = rest_pos(t, p);

        p->shape = NO_SHAPE;
        memmove(&t->rest[at + 1], &t->rest[at], (t->nrest - at) * sizeof(*t->rest));
        t->rest[at] = p;
        t->nrest++;
        return;
    }
    p->shape = shape_get(t, &mask);
    s = slot_at(spd, t, p->shape, &p->k);
    if (!s->head) {
        *s = (struct slot){p->k, p->shape, NULL};
        t->nslots++;
    }
    for (pp = &s->head; *pp && better(*pp, p); pp = &(*pp)->dup)
        ;
    p->dup = *pp;
    *pp = p;
    shape_bound(t, p->shape, p);
}

static void table_remove(const struct uipsec_spd *spd, struct table *t, struct spd_policy *p)
{
    struct slot *s;
    struct spd_policy **pp;

    t->all[p->at] = t->all[--t->n];
    t->all[p->at]->at = p->at;
    t->sorted = false;
    if (p->shape == NO_SHAPE) {
        size_t at = rest_pos(t, p);

        memmove(&t->rest[at], &t->rest[at + 1], (t->nrest - at - 1) * sizeof(*t->rest));
        t->nrest--;
        return;
    }
    s = slot_at(spd, t, p->shape, &p->k);
    for (pp = &s->head; *pp != p; pp = &(*pp)->dup)
        ;
    *pp = p->dup;
    if (!s->head)
        slot_clear(spd, t, s);
    shape_drop(t, p->shape);
}

/* ---- lookups ---- */

static struct spd_policy *classify(const struct uipsec_spd *spd, const struct table *t,
                                   const struct key *k, const struct flow *f, enum uipsec_dir dir)
{
    struct spd_policy *best = NULL;

    for (uint32_t i = 0; i < t->norder; i++) {
        const struct shape *s = &t->shapes[t->order[i]];
        struct key mk;
        struct spd_policy *p;

        if (best && !ahead(s->min_prio, s->min_id, best->rule.priority, best->rule.id))
            break; /* no rule of this shape or the next ones can beat best */
        for (int w = 0; w < KEY_W; w++)
            mk.w[w] = k->w[w] & s->mask.w[w];
        p = slot_at(spd, t, t->order[i], &mk)->head;
        if (p && (!best || better(p, best)))
            best = p;
    }
    for (size_t i = 0; i < t->nrest && (!best || better(t->rest[i], best)); i++)
        if (flow_match(&t->rest[i]->pub.params.sel, f, dir))
            return t->rest[i];
    return best;
}

static bool buf_ok(const struct uipsec_buf *b)
{
    return b->base && b->off <= b->cap && b->len <= b->cap - b->off;
}

/* Moves what a cached entry counted to its rule. */
static void fold(const struct uipsec_spd *spd, struct cache_entry *e)
{
    (void)spd;
    if (!e->pol || e->packets == 0)
        return;
    add_counts(&e->pol->rule.st, e->verdict, e->packets, e->bytes);
    e->packets = e->bytes = 0;
}

/* Folds every entry and empties the cache: before a commit frees policies. */
static void cache_flush(struct uipsec_spd *spd)
{
    for (size_t i = 0; i < CACHE_SETS; i++) {
        struct cache_set *set = &spd->cache[i];

        for (size_t w = 0; w < CACHE_WAYS; w++)
            if (set->tag[w])
                fold(spd, &set->e[w]);
        memset(set->tag, 0, sizeof(set->tag));
        set->used = set->hand = 0;
    }
}

/* A packet between parsing and its verdict. */
struct pending {
    struct flow f;
    struct key k;
    uint32_t tag;
    struct cache_set *set; /* NULL: the packet is malformed */
};

/* Stage 1: parse, hash, fetch the set's tag line. */
static void prepare(const struct uipsec_spd *spd, enum uipsec_dir dir, const struct uipsec_buf *b,
                    struct pending *q)
{
    uint64_t h;

    q->set = NULL;
    if (!buf_ok(b) || flow_parse(b->base + b->off, b->len, &q->f) != UIPSEC_OK)
        return;
    key_of(&q->f, dir, &q->k);
    h = key_hash(&q->k, spd->seed);
    q->tag = (uint32_t)(h >> 32) | 1; /* never 0, the empty tag; the set uses the low bits */
    q->set = &spd->cache[h & (CACHE_SETS - 1)];
    __builtin_prefetch(q->set->tag);
}

/* Stage 2: fetch the entry whose tag is the packet's. */
static void fetch_entry(const struct pending *q)
{
    if (!q->set)
        return;
    for (int w = 0; w < CACHE_WAYS; w++)
        if (q->set->tag[w] == q->tag) {
            __builtin_prefetch(&q->set->e[w]);
            return;
        }
}

/* The entry of the packet's key; tags can collide, keys cannot.  All ways
 * again: an earlier packet of this chunk may have cached the key since. */
static struct cache_entry *cached(const struct pending *q)
{
    for (int w = 0; w < CACHE_WAYS; w++)
        if (q->set->tag[w] == q->tag && key_eq(&q->set->e[w].k, &q->k)) {
            q->set->used |= (uint8_t)(1u << w);
            return &q->set->e[w];
        }
    return NULL;
}

/* The way a new entry takes: an empty one, else the one at the clock hand
 * if it was not hit since the hand last passed.  If it was, it gets a
 * second chance and the new flow is not cached: when more flows take turns
 * in a set than it has ways, all but one keep hitting, where LRU would miss
 * them all; and a burst of one-packet flows, whose entries start unused,
 * replaces itself rather than the flows that recur.  -1: do not cache. */
static int victim(struct cache_set *set)
{
    int w = set->hand;

    for (int i = 0; i < CACHE_WAYS; i++)
        if (!set->tag[i])
            return i;
    set->hand = (uint8_t)((w + 1) % CACHE_WAYS);
    if (!(set->used & (1u << w)))
        return w;
    set->used &= (uint8_t) ~(1u << w);
    return -1;
}

/* Classifies the packet and caches the answer (in scratch if the set keeps
 * what it has).  The rule is at hand, so this first packet is counted on it
 * directly. */
static struct cache_entry *classify_and_cache(struct uipsec_spd *spd, enum uipsec_dir dir,
                                              const struct pending *q, uint32_t len,
                                              struct cache_entry *scratch)
{
    struct spd_policy *p = classify(spd, &spd->live[dir], &q->k, &q->f, dir);
    int w = victim(q->set);
    struct cache_entry *e = w < 0 ? scratch : &q->set->e[w];

    if (w >= 0) {
        q->set->used &= (uint8_t) ~(1u << w);
        if (q->set->tag[w])
            fold(spd, e);
        q->set->tag[w] = q->tag;
    }
    e->k = q->k;
    e->packets = e->bytes = 0;
    e->pol = p;
    if (!p) {
        e->verdict = UIPSEC_SPD_DROP_NO_POLICY;
        return e;
    }
    e->verdict = p->rule.verdict;
    add_counts(&p->rule.st, e->verdict, 1, len);
    return e;
}

/* A hit counts in its entry, so it touches nothing else. */
static void count_hit(const struct uipsec_spd *spd, struct cache_entry *e, uint32_t len)
{
    if (!e->pol)
        return;
    if (e->packets == UINT32_MAX || e->bytes > UINT32_MAX - len)
        fold(spd, e);
    e->packets++;
    e->bytes += len;
}

static size_t finish(struct uipsec_spd *spd, enum uipsec_dir dir, const struct pending *q,
                     uint32_t len, const struct uipsec_policy **out)
{
    struct cache_entry *e, scratch;

    spd->st.lookups++;
    if (!q->set) {
        spd->st.drops[UIPSEC_SPD_DROP_MALFORMED]++;
        *out = NULL;
        return 0;
    }
    if ((e = cached(q)) != NULL) {
        spd->st.cache_hits++;
        count_hit(spd, e, len);
    } else {
        e = classify_and_cache(spd, dir, q, len, &scratch);
    }
    *out = e->pol ? &e->pol->pub : NULL;
    if (e->verdict == VERDICT_PASS)
        return 1;
    spd->st.drops[e->verdict]++;
    return 0;
}

/* In chunks, stage by stage, so that each stage's memory reads overlap. */
static size_t lookup(struct uipsec_spd *spd, enum uipsec_dir dir, const struct uipsec_buf *bufs,
                     size_t n, const struct uipsec_policy **out)
{
    struct pending q[CHUNK];
    size_t pass = 0;

    for (size_t base = 0; base < n; base += CHUNK) {
        size_t m = n - base < CHUNK ? n - base : CHUNK;

        for (size_t i = 0; i < m; i++)
            prepare(spd, dir, &bufs[base + i], &q[i]);
        for (size_t i = 0; i < m; i++)
            fetch_entry(&q[i]);
        for (size_t i = 0; i < m; i++)
            pass += finish(spd, dir, &q[i], bufs[base + i].len, &out[base + i]);
    }
    return pass;
}

UIPSEC_API size_t uipsec_spd_lookup_out(struct uipsec_spd *spd, const struct uipsec_buf *bufs,
                                        size_t n, const struct uipsec_policy **out)
{
    return lookup(spd, UIPSEC_DIR_OUT, bufs, n, out);
}

UIPSEC_API size_t uipsec_spd_lookup_in(struct uipsec_spd *spd, const struct uipsec_buf *bufs,
                                       size_t n, const struct uipsec_policy **out)
{
    return lookup(spd, UIPSEC_DIR_IN, bufs, n, out);
}

UIPSEC_API bool uipsec_spd_check_inbound(struct uipsec_spd *spd, const struct uipsec_policy *policy,
                                         const uint8_t *pkt, size_t len)
{
    /* The SPD owns the policy; the const is the callers' view of it. */
    struct spd_policy *p = pol_of(policy);
    enum uipsec_spd_drop why = UIPSEC_SPD_DROP_MALFORMED;
    struct flow f;

    if (policy->params.dir != UIPSEC_DIR_IN || policy->params.action != UIPSEC_POLICY_PROTECT)
        abort(); /* only an inbound PROTECT policy has SAs to check against */
    spd->st.lookups++;
    if (flow_parse(pkt, len, &f) == UIPSEC_OK) {
        if (flow_match(&policy->params.sel, &f, UIPSEC_DIR_IN)) {
            add_counts(&p->rule.st, VERDICT_PASS, 1, len);
            return true;
        }
        why = UIPSEC_SPD_DROP_SELECTOR_MISMATCH;
    }
    add_counts(&p->rule.st, (uint8_t)why, 1, 0);
    spd->st.drops[why]++;
    return false;
}

/* ---- policies by id ---- */

static size_t id_home(const struct idmap *m, uint64_t id)
{
    return (size_t)((id * GOLDEN) >> 17) & m->mask; /* ids are ours: no seed needed */
}

static struct spd_policy **id_slot(const struct idmap *m, uint64_t id)
{
    for (size_t i = id_home(m, id);; i = (i + 1) & m->mask)
        if (!m->slot[i] || m->slot[i]->pub.id == id)
            return &m->slot[i];
}

static struct spd_policy *find(const struct uipsec_spd *spd, uint64_t id)
{
    return spd->ids.slot ? *id_slot(&spd->ids, id) : NULL;
}

/* Room for one more, at most half full. */
static int ids_reserve(struct idmap *m)
{
    size_t cap = m->slot ? m->mask + 1 : 0, want = cap ? cap * 2 : 64;
    struct idmap next = {NULL, want - 1, m->n};

    if (2 * (m->n + 1) <= cap)
        return UIPSEC_OK;
    if (!(next.slot = calloc(want, sizeof(*next.slot))))
        return UIPSEC_E_NOMEM;
    for (size_t i = 0; i < cap; i++)
        if (m->slot[i])
            *id_slot(&next, m->slot[i]->pub.id) = m->slot[i];
    free(m->slot);
    *m = next;
    return UIPSEC_OK;
}

static void ids_del(struct idmap *m, uint64_t id)
{
    struct spd_policy **s = id_slot(m, id);
    size_t hole = (size_t)(s - m->slot), i = hole;

    *s = NULL;
    m->n--;
    while (m->slot[i = (i + 1) & m->mask])
        if (may_fill(hole, i, id_home(m, m->slot[i]->pub.id), m->mask)) {
            m->slot[hole] = m->slot[i];
            m->slot[i] = NULL;
            hole = i;
        }
}

/* ---- changes ---- */

UIPSEC_API struct uipsec_spd *uipsec_spd_new(void)
{
    struct uipsec_spd *spd = calloc(1, sizeof(*spd));
    size_t size = CACHE_SETS * sizeof(struct cache_set);

    if (!spd)
        return NULL;
    spd->cache = aligned_alloc(_Alignof(struct cache_set), size);
    if (!spd->cache) {
        free(spd);
        return NULL;
    }
    memset(spd->cache, 0, size); /* every tag 0: empty */
    spd->next_id = 1;
    if (RAND_bytes((unsigned char *)&spd->seed, sizeof(spd->seed)) != 1)
        spd->seed = GOLDEN; /* the seed only spreads flows; any value is correct */
    return spd;
}

UIPSEC_API void uipsec_spd_free(struct uipsec_spd *spd)
{
    if (!spd)
        return;
    for (size_t i = 0; spd->ids.slot && i <= spd->ids.mask; i++)
        free(spd->ids.slot[i]);
    free(spd->ids.slot);
    free(spd->changes);
    table_free(&spd->live[UIPSEC_DIR_OUT]);
    table_free(&spd->live[UIPSEC_DIR_IN]);
    free(spd->cache);
    free(spd);
}

static bool params_valid(const struct uipsec_policy_params *p)
{
    if (p->dir != UIPSEC_DIR_OUT && p->dir != UIPSEC_DIR_IN)
        return false;
    if (p->action != UIPSEC_POLICY_DISCARD && p->action != UIPSEC_POLICY_BYPASS &&
        p->action != UIPSEC_POLICY_PROTECT)
        return false;
    if (p->sa && p->action != UIPSEC_POLICY_PROTECT)
        return false;
    return flow_selector_valid(&p->sel);
}

/* Each policy is in the list of changes at most once (added, or live and
 * removed), so room for every policy there is means that a removal never
 * allocates. */
UIPSEC_API int uipsec_spd_add(struct uipsec_spd *spd, const struct uipsec_policy_params *params,
                              uint64_t *id)
{
    struct spd_policy *p, **changes;

    if (!params_valid(params))
        return UIPSEC_E_PARAM;
    if (ids_reserve(&spd->ids) != UIPSEC_OK ||
        !(changes = grown(spd->changes, &spd->changes_cap, spd->ids.n + 1, sizeof(*changes))))
        return UIPSEC_E_NOMEM;
    spd->changes = changes;
    if (!(p = aligned_alloc(_Alignof(struct spd_policy), sizeof(*p))))
        return UIPSEC_E_NOMEM;
    memset(p, 0, sizeof(*p));
    p->pub.id = spd->next_id++;
    p->pub.params = *params;
    p->rule.id = p->pub.id;
    p->rule.priority = params->priority;
    p->rule.verdict = verdict_of(params);
    *id_slot(&spd->ids, p->pub.id) = p;
    spd->ids.n++;
    spd->changes[spd->nchanges++] = p;
    spd->dirty = true;
    if (id)
        *id = p->pub.id;
    return UIPSEC_OK;
}

UIPSEC_API int uipsec_spd_remove(struct uipsec_spd *spd, uint64_t id)
{
    struct spd_policy *p = find(spd, id);

    if (!p || p->removed)
        return UIPSEC_E_PARAM;
    p->removed = true;
    if (p->live) /* a staged add is in the list already */
        spd->changes[spd->nchanges++] = p;
    spd->dirty = true;
    return UIPSEC_OK;
}

UIPSEC_API int uipsec_spd_commit(struct uipsec_spd *spd)
{
    size_t adds[2] = {0, 0};

    if (!spd->dirty)
        return UIPSEC_OK;
    for (size_t i = 0; i < spd->nchanges; i++)
        adds[spd->changes[i]->pub.params.dir] += !spd->changes[i]->live;
    if (table_reserve(spd, &spd->live[UIPSEC_DIR_OUT], adds[UIPSEC_DIR_OUT]) != UIPSEC_OK ||
        table_reserve(spd, &spd->live[UIPSEC_DIR_IN], adds[UIPSEC_DIR_IN]) != UIPSEC_OK)
        return UIPSEC_E_NOMEM;
    cache_flush(spd); /* its answers are the old set's */
    for (size_t i = 0; i < spd->nchanges; i++) {
        struct spd_policy *p = spd->changes[i];
        struct table *t = &spd->live[p->pub.params.dir];

        if (!p->removed) {
            table_insert(spd, t, p);
            p->live = true;
            continue;
        }
        if (p->live)
            table_remove(spd, t, p);
        ids_del(&spd->ids, p->pub.id);
        free(p);
    }
    spd->nchanges = 0;
    spd->dirty = false;
    return UIPSEC_OK;
}

/* ---- inspection ---- */

UIPSEC_API const struct uipsec_policy *uipsec_spd_get(const struct uipsec_spd *spd, uint64_t id)
{
    struct spd_policy *p = find(spd, id);

    return p && p->live ? &p->pub : NULL;
}

static int cmp_order(const void *a, const void *b)
{
    const struct spd_policy *x = *(struct spd_policy *const *)a;
    const struct spd_policy *y = *(struct spd_policy *const *)b;

    return better(x, y) ? -1 : better(y, x) ? 1 : 0;
}

/* The list of all is sorted when it is asked for: a listing costs
 * O(n log n) once after changes, a change stays O(1). */
UIPSEC_API size_t uipsec_spd_list(const struct uipsec_spd *spd, enum uipsec_dir dir,
                                  const struct uipsec_policy **out, size_t max)
{
    /* the table is the SPD's, never const: only the callers' view is */
    struct table *t = (struct table *)(uintptr_t)&spd->live[dir == UIPSEC_DIR_IN];

    if (!t->sorted && max > 0 && t->n > 0) {
        qsort(t->all, t->n, sizeof(*t->all), cmp_order);
        for (size_t i = 0; i < t->n; i++)
            t->all[i]->at = i;
        t->sorted = true;
    }
    for (size_t i = 0; i < max && i < t->n; i++)
        out[i] = &t->all[i]->pub;
    return t->n;
}

UIPSEC_API void uipsec_spd_get_stats(const struct uipsec_spd *spd, struct uipsec_spd_stats *stats)
{
    *stats = spd->st;
}

UIPSEC_API void uipsec_policy_get_stats(const struct uipsec_spd *spd,
                                        const struct uipsec_policy *policy,
                                        struct uipsec_policy_stats *stats)
{
    const struct spd_policy *p = pol_of(policy);

    *stats = p->rule.st;
    if (!p->live)
        return;
    for (size_t i = 0; i < CACHE_SETS; i++)
        for (size_t w = 0; w < CACHE_WAYS; w++) {
            const struct cache_entry *e = &spd->cache[i].e[w];

            if (spd->cache[i].tag[w] && e->pol == p)
                add_counts(stats, e->verdict, e->packets, e->bytes);
        }
}

UIPSEC_API const char *uipsec_spd_drop_name(int reason)
{
    static const char *const names[UIPSEC_SPD_DROP_COUNT] = {
        [UIPSEC_SPD_DROP_MALFORMED] = "malformed",
        [UIPSEC_SPD_DROP_NO_POLICY] = "no-policy",
        [UIPSEC_SPD_DROP_DISCARD] = "discard",
        [UIPSEC_SPD_DROP_CLEAR_FOR_PROTECT] = "clear-for-protect",
        [UIPSEC_SPD_DROP_SELECTOR_MISMATCH] = "selector-mismatch",
    };

    return reason < 0 || reason >= UIPSEC_SPD_DROP_COUNT ? "unknown" : names[reason];
}

UIPSEC_API const char *uipsec_policy_action_name(enum uipsec_policy_action action)
{
    switch (action) {
    case UIPSEC_POLICY_DISCARD:
        return "discard";
    case UIPSEC_POLICY_BYPASS:
        return "bypass";
    case UIPSEC_POLICY_PROTECT:
        return "protect";
    }
    return "unknown";
}
