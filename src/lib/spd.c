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
 */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

#define CACHE_SETS   512 /* eight ways each: 4096 recent flows in 288 KiB */
#define CACHE_WAYS   8
#define CHUNK        16   /* packets whose cache sets are fetched ahead together */
#define VERDICT_PASS 0xff /* else an enum uipsec_spd_drop */
#define NO_RANK      UINT32_MAX
#define GOLDEN       0x9e3779b97f4a7c15ull

/* A packet's 5-tuple seen from one direction, as words a class mask ANDs:
 * local address, remote address, then ports, protocol, family, opaque, dir. */
#define KEY_W 5
struct key {
    uint64_t w[KEY_W];
};

struct spd_policy {
    struct uipsec_policy pub;      /* first: callers hold pointers to it */
    struct uipsec_policy_stats st; /* rules' counts at commits, and inbound checks */
    uint32_t rank;                 /* in its live table */
    bool live;                     /* in the live tables */
    bool removed;                  /* its removal is staged */
};

/* A live policy as lookups see it: all a new flow needs in one line, so
 * that lookups never touch the policies themselves. */
struct rule {
    _Alignas(64) struct spd_policy *pol;
    struct uipsec_policy_stats st; /* since the last commit */
    uint8_t verdict;               /* VERDICT_PASS or why its packets are dropped */
};

struct shape {
    struct key mask;
    uint32_t min_rank; /* rank of its best rule */
};

struct slot {
    struct key k; /* a rule's key, masked by its shape */
    uint32_t shape;
    uint32_t rank; /* NO_RANK: empty */
};

/* The live policies of one direction, compiled.  A zeroed table is empty. */
struct table {
    struct rule *rules; /* in lookup order: the index is the rank */
    uint32_t n;
    struct shape *shapes; /* by min_rank */
    uint32_t nshapes;
    struct slot *slots;
    size_t slot_mask;
    uint32_t *rest; /* ranks of the rules no shape describes, ascending */
    uint32_t nrest;
};

struct cache_entry {
    _Alignas(64) struct key k;
    struct spd_policy *pol;  /* NULL: no policy matched */
    uint32_t rank;           /* of pol, in the live table of the key's direction */
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

struct uipsec_spd {
    struct spd_policy **pol; /* staged and live, by id */
    size_t npol, cap;
    uint64_t next_id;
    bool dirty;
    struct table live[2]; /* by enum uipsec_dir */
    struct cache_set *cache;
    uint64_t seed; /* random: flows an outsider picks do not pile into one set */
    struct uipsec_spd_stats st;
};

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

/* ---- compiled tables ---- */

static uint8_t verdict_of(const struct spd_policy *p, enum uipsec_dir dir)
{
    if (!p)
        return UIPSEC_SPD_DROP_NO_POLICY;
    if (p->pub.params.action == UIPSEC_POLICY_DISCARD)
        return UIPSEC_SPD_DROP_DISCARD;
    if (p->pub.params.action == UIPSEC_POLICY_PROTECT && dir == UIPSEC_DIR_IN)
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

static uint64_t slot_hash(const struct uipsec_spd *spd, uint32_t shape, const struct key *k)
{
    return key_hash(k, spd->seed ^ (shape + 1) * GOLDEN);
}

static uint32_t slot_find(const struct uipsec_spd *spd, const struct table *t, uint32_t shape,
                          const struct key *k)
{
    for (size_t i = slot_hash(spd, shape, k);; i++) {
        const struct slot *s = &t->slots[i & t->slot_mask];

        if (s->rank == NO_RANK)
            return NO_RANK;
        if (s->shape == shape && key_eq(&s->k, k))
            return s->rank;
    }
}

/* Rules come in rank order, so a key already there keeps its better rule. */
static void slot_insert(const struct uipsec_spd *spd, struct table *t, uint32_t shape,
                        const struct key *k, uint32_t rank)
{
    for (size_t i = slot_hash(spd, shape, k);; i++) {
        struct slot *s = &t->slots[i & t->slot_mask];

        if (s->rank == NO_RANK) {
            *s = (struct slot){*k, shape, rank};
            return;
        }
        if (s->shape == shape && key_eq(&s->k, k))
            return;
    }
}

/* Rules come in rank order, so a new shape's first rule is its best. */
static uint32_t shape_of(struct table *t, const struct key *mask, uint32_t rank)
{
    uint32_t c;

    for (c = 0; c < t->nshapes; c++)
        if (key_eq(&t->shapes[c].mask, mask))
            return c;
    t->shapes[c] = (struct shape){*mask, rank};
    return t->nshapes++;
}

static void table_free(struct table *t)
{
    free(t->rules);
    free(t->shapes);
    free(t->slots);
    free(t->rest);
    memset(t, 0, sizeof(*t));
}

static int cmp_order(const void *a, const void *b)
{
    const struct uipsec_policy *x = &(*(struct spd_policy *const *)a)->pub;
    const struct uipsec_policy *y = &(*(struct spd_policy *const *)b)->pub;

    if (x->params.priority != y->params.priority)
        return x->params.priority < y->params.priority ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id); /* ties: the older first */
}

static bool table_alloc(struct table *t, uint32_t n)
{
    size_t slots = 8;

    while (slots < 2 * (size_t)n) /* at most half full: probes stay short */
        slots <<= 1;
    t->rules = aligned_alloc(_Alignof(struct rule), (n ? n : 1) * sizeof(*t->rules));
    t->shapes = malloc((n ? n : 1) * sizeof(*t->shapes));
    t->rest = malloc((n ? n : 1) * sizeof(*t->rest));
    t->slots = malloc(slots * sizeof(*t->slots));
    if (!t->rules || !t->shapes || !t->rest || !t->slots)
        return false;
    for (size_t i = 0; i < slots; i++)
        t->slots[i].rank = NO_RANK;
    t->slot_mask = slots - 1;
    return true;
}

/* Compiles the staged, not removed, policies of one direction. */
static int table_build(const struct uipsec_spd *spd, enum uipsec_dir dir, struct table *t)
{
    struct spd_policy **order;
    uint32_t n = 0;

    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < spd->npol; i++)
        n += !spd->pol[i]->removed && spd->pol[i]->pub.params.dir == dir;
    order = malloc((n ? n : 1) * sizeof(*order));
    if (!order || !table_alloc(t, n)) {
        free(order);
        table_free(t);
        return UIPSEC_E_NOMEM;
    }
    for (size_t i = 0; i < spd->npol; i++)
        if (!spd->pol[i]->removed && spd->pol[i]->pub.params.dir == dir)
            order[t->n++] = spd->pol[i];
    qsort(order, t->n, sizeof(*order), cmp_order);
    for (uint32_t r = 0; r < t->n; r++) {
        struct key mask, k;

        t->rules[r] = (struct rule){.pol = order[r], .verdict = verdict_of(order[r], dir)};
        if (rule_shape(&order[r]->pub.params.sel, dir, &mask, &k))
            slot_insert(spd, t, shape_of(t, &mask, r), &k, r);
        else
            t->rest[t->nrest++] = r;
    }
    free(order);
    return UIPSEC_OK;
}

/* A table leaves: its counters go to the policies. */
static void table_retire(struct table *t)
{
    for (uint32_t r = 0; r < t->n; r++) {
        struct uipsec_policy_stats *to = &t->rules[r].pol->st, *from = &t->rules[r].st;

        to->hits += from->hits;
        to->packets += from->packets;
        to->bytes += from->bytes;
        to->drops += from->drops;
    }
    table_free(t);
}

/* A table arrives: its policies learn their ranks. */
static void table_install(struct table *slot, const struct table *t)
{
    *slot = *t;
    for (uint32_t r = 0; r < t->n; r++)
        t->rules[r].pol->rank = r;
}

/* ---- lookups ---- */

static uint32_t classify(const struct uipsec_spd *spd, const struct table *t, const struct key *k,
                         const struct flow *f, enum uipsec_dir dir)
{
    uint32_t best = NO_RANK;

    for (uint32_t c = 0; c < t->nshapes && t->shapes[c].min_rank < best; c++) {
        struct key mk;
        uint32_t r;

        for (int i = 0; i < KEY_W; i++)
            mk.w[i] = k->w[i] & t->shapes[c].mask.w[i];
        r = slot_find(spd, t, c, &mk);
        if (r < best)
            best = r;
    }
    for (uint32_t i = 0; i < t->nrest && t->rest[i] < best; i++)
        if (flow_match(&t->rules[t->rest[i]].pol->pub.params.sel, f, dir))
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
    if (!e->pol || e->packets == 0)
        return;
    add_counts(&spd->live[e->k.w[4] & 0xff].rules[e->rank].st, e->verdict, e->packets, e->bytes);
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
    const struct table *t = &spd->live[dir];
    uint32_t rank = classify(spd, t, &q->k, &q->f, dir);
    int w = victim(q->set);
    struct cache_entry *e = w < 0 ? scratch : &q->set->e[w];

    if (w >= 0) {
        q->set->used &= (uint8_t) ~(1u << w);
        if (q->set->tag[w])
            fold(spd, e);
        q->set->tag[w] = q->tag;
    }
    e->k = q->k;
    e->rank = rank;
    e->packets = e->bytes = 0;
    if (rank == NO_RANK) {
        e->pol = NULL;
        e->verdict = UIPSEC_SPD_DROP_NO_POLICY;
        return e;
    }
    e->pol = t->rules[rank].pol;
    e->verdict = t->rules[rank].verdict;
    add_counts(&t->rules[rank].st, e->verdict, 1, len);
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
    struct spd_policy *p = (struct spd_policy *)(uintptr_t)policy;
    enum uipsec_spd_drop why = UIPSEC_SPD_DROP_MALFORMED;
    struct flow f;

    if (policy->params.dir != UIPSEC_DIR_IN || policy->params.action != UIPSEC_POLICY_PROTECT)
        abort(); /* only an inbound PROTECT policy has SAs to check against */
    spd->st.lookups++;
    if (flow_parse(pkt, len, &f) == UIPSEC_OK) {
        if (flow_match(&policy->params.sel, &f, UIPSEC_DIR_IN)) {
            add_counts(&p->st, VERDICT_PASS, 1, len);
            return true;
        }
        why = UIPSEC_SPD_DROP_SELECTOR_MISMATCH;
    }
    add_counts(&p->st, (uint8_t)why, 1, 0);
    spd->st.drops[why]++;
    return false;
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
    for (size_t i = 0; i < spd->npol; i++)
        free(spd->pol[i]);
    free(spd->pol);
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

UIPSEC_API int uipsec_spd_add(struct uipsec_spd *spd, const struct uipsec_policy_params *params,
                              uint64_t *id)
{
    struct spd_policy *p;

    if (!params_valid(params))
        return UIPSEC_E_PARAM;
    if (spd->npol == spd->cap) {
        size_t cap = spd->cap ? spd->cap * 2 : 16;
        struct spd_policy **pol = realloc(spd->pol, cap * sizeof(*pol));

        if (!pol)
            return UIPSEC_E_NOMEM;
        spd->pol = pol;
        spd->cap = cap;
    }
    if (!(p = calloc(1, sizeof(*p))))
        return UIPSEC_E_NOMEM;
    p->pub.id = spd->next_id++;
    p->pub.params = *params;
    spd->pol[spd->npol++] = p; /* ids only grow: the array stays sorted */
    spd->dirty = true;
    if (id)
        *id = p->pub.id;
    return UIPSEC_OK;
}

static struct spd_policy **find(const struct uipsec_spd *spd, uint64_t id)
{
    size_t lo = 0, hi = spd->npol;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (spd->pol[mid]->pub.id == id)
            return &spd->pol[mid];
        if (spd->pol[mid]->pub.id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

UIPSEC_API int uipsec_spd_remove(struct uipsec_spd *spd, uint64_t id)
{
    struct spd_policy **pp = find(spd, id);

    if (!pp || (*pp)->removed)
        return UIPSEC_E_PARAM;
    (*pp)->removed = true;
    spd->dirty = true;
    return UIPSEC_OK;
}

/* After a commit: removed policies go, the others are live. */
static void sweep(struct uipsec_spd *spd)
{
    size_t j = 0;

    for (size_t i = 0; i < spd->npol; i++) {
        if (spd->pol[i]->removed) {
            free(spd->pol[i]);
            continue;
        }
        spd->pol[i]->live = true;
        spd->pol[j++] = spd->pol[i];
    }
    spd->npol = j;
}

UIPSEC_API int uipsec_spd_commit(struct uipsec_spd *spd)
{
    struct table out, in;

    if (!spd->dirty)
        return UIPSEC_OK;
    if (table_build(spd, UIPSEC_DIR_OUT, &out) != UIPSEC_OK)
        return UIPSEC_E_NOMEM;
    if (table_build(spd, UIPSEC_DIR_IN, &in) != UIPSEC_OK) {
        table_free(&out);
        return UIPSEC_E_NOMEM;
    }
    cache_flush(spd); /* its answers are the old set's */
    table_retire(&spd->live[UIPSEC_DIR_OUT]);
    table_retire(&spd->live[UIPSEC_DIR_IN]);
    table_install(&spd->live[UIPSEC_DIR_OUT], &out);
    table_install(&spd->live[UIPSEC_DIR_IN], &in);
    sweep(spd);
    spd->dirty = false;
    return UIPSEC_OK;
}

/* ---- inspection ---- */

UIPSEC_API const struct uipsec_policy *uipsec_spd_get(const struct uipsec_spd *spd, uint64_t id)
{
    struct spd_policy **pp = find(spd, id);

    return pp && (*pp)->live ? &(*pp)->pub : NULL;
}

UIPSEC_API size_t uipsec_spd_list(const struct uipsec_spd *spd, enum uipsec_dir dir,
                                  const struct uipsec_policy **out, size_t max)
{
    const struct table *t = &spd->live[dir == UIPSEC_DIR_IN];

    for (size_t i = 0; i < max && i < t->n; i++)
        out[i] = &t->rules[i].pol->pub;
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
    const struct spd_policy *p = (const struct spd_policy *)policy;
    const struct uipsec_policy_stats *r;

    *stats = p->st;
    if (!p->live)
        return;
    r = &spd->live[p->pub.params.dir == UIPSEC_DIR_IN].rules[p->rank].st;
    stats->hits += r->hits;
    stats->packets += r->packets;
    stats->bytes += r->bytes;
    stats->drops += r->drops;
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
