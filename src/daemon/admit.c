/* SPDX-License-Identifier: MIT */
/* Admission of unauthenticated IKE work: load, prefixes, authentication
 * back-off and its log (admit.h). */
#include "admit.h"

#include <arpa/inet.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* A token bucket: rate a second, at most burst saved up. */
struct bucket {
    uint64_t at_ms; /* when tokens was last brought up to date */
    uint32_t tokens;
};

static bool take(struct bucket *b, uint32_t rate, uint32_t burst, uint64_t now)
{
    uint64_t add = now > b->at_ms ? (now - b->at_ms) * rate / 1000 : 0;

    if (!b->at_ms || b->tokens + add >= burst) {
        b->tokens = burst;
        b->at_ms = now;
    } else if (add) { /* whole tokens: the time of the rest counts later */
        b->tokens += (uint32_t)add;
        b->at_ms += add * 1000 / rate;
    }
    if (!b->tokens)
        return false;
    b->tokens--;
    return true;
}

/* Failed authentications of one source or identity. */
struct failures {
    uint32_t count;      /* in a row */
    uint64_t last_ms;    /* the last one */
    uint32_t suppressed; /* log lines not written since quiet_ms was set */
    uint64_t quiet_ms;   /* no line of its own before this */
};

/* An entry of a fixed table: hashed, and on a list of the least recently
 * used entries while it may be recycled. */
struct entry {
    struct entry *hnext;         /* hash chain */
    struct entry *lprev, *lnext; /* LRU list (both NULL: pinned or free) */
    bool used;
};

struct admit_prefix {
    struct entry e;
    uint8_t key[9]; /* family, then 4 or 8 address bytes */
    uint32_t half_open;
    uint32_t credit;                  /* half-open SAs earned by completions */
    uint64_t progress_ms;             /* the last completion */
    struct admit_ho *ho_old, *ho_new; /* its half-open SAs */
    /* while it holds half-open SAs: on a->by_score[score], score being
     * the SAs it holds beyond its credit */
    struct admit_prefix *sprev, *snext;
    uint32_t score;
    struct bucket responses;
    struct failures auth;
};

struct idrec {
    struct entry e;
    struct ike_id id;
    struct failures auth;
};

/* A table of n entries of size bytes, hashed into n buckets. */
struct table {
    void *slots;
    size_t size, n, next_free;
    struct entry **heads;
    struct entry lru; /* sentinel: lru.lnext the most recent */
};

struct admit {
    uint64_t hash_key[2];
    struct bucket init;
    struct table prefixes, ids;
    /* the prefixes holding half-open SAs by score, oldest first; the
     * highest score that may be in use */
    struct admit_prefix *by_score[ADMIT_HALF_OPEN_PREFIX_MAX + 1];
    uint32_t top_score;
    uint64_t log_second;
    unsigned log_lines;   /* failure lines in log_second */
    uint32_t log_dropped; /* lines dropped by the global limit */
};

/* ---- tables ---- */

/* A keyed hash: the attacker picks addresses and identities, not which
 * bucket they land in. */
static size_t hash(const struct admit *a, const uint8_t *p, size_t len, size_t n)
{
    uint64_t h = a->hash_key[0] ^ len;

    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
        h ^= h >> 29;
    }
    h ^= a->hash_key[1];
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (size_t)(h % n);
}

static int table_init(struct table *t, size_t n, size_t size)
{
    t->slots = calloc(n, size);
    t->heads = calloc(n, sizeof(*t->heads));
    t->size = size;
    t->n = n;
    t->lru.lnext = t->lru.lprev = &t->lru;
    return t->slots && t->heads ? 0 : -1;
}

static struct entry *slot(const struct table *t, size_t i)
{
    return (struct entry *)((uint8_t *)t->slots + i * t->size);
}

static void lru_unlink(struct entry *e)
{
    if (e->lnext) {
        e->lprev->lnext = e->lnext;
        e->lnext->lprev = e->lprev;
    }
    e->lnext = e->lprev = NULL;
}

static void lru_front(struct table *t, struct entry *e)
{
    lru_unlink(e);
    e->lnext = t->lru.lnext;
    e->lprev = &t->lru;
    t->lru.lnext->lprev = e;
    t->lru.lnext = e;
}

static void chain_remove(struct table *t, size_t b, struct entry *e)
{
    for (struct entry **pp = &t->heads[b]; *pp; pp = &(*pp)->hnext)
        if (*pp == e) {
            *pp = e->hnext;
            return;
        }
}

/* A fresh entry for bucket b: unused, else the least recently used one
 * (whose old bucket is old_bucket(entry)); NULL if none may go. */
static struct entry *table_take(struct table *t, size_t b,
                                size_t (*old_bucket)(const struct admit *, const struct entry *),
                                const struct admit *a)
{
    struct entry *e = NULL;

    if (t->next_free < t->n) {
        e = slot(t, t->next_free++);
    } else if (t->lru.lprev != &t->lru) {
        e = t->lru.lprev;
        chain_remove(t, old_bucket(a, e), e);
        lru_unlink(e);
    }
    if (!e)
        return NULL;
    memset(e, 0, t->size);
    e->used = true;
    e->hnext = t->heads[b];
    t->heads[b] = e;
    lru_front(t, e);
    return e;
}

/* ---- prefixes ---- */

void admit_prefix(const struct uipsec_addr *a, uint8_t key[9])
{
    memset(key, 0, 9);
    key[0] = a->family;
    memcpy(key + 1, a->bytes, a->family == 6 ? 8 : 4);
}

static size_t prefix_bucket(const struct admit *a, const struct entry *e)
{
    return hash(a, ((const struct admit_prefix *)e)->key, 9, a->prefixes.n);
}

/* from's prefix: found, or made (create) at the cost of the least
 * recently used one; NULL if not found (or no room). */
static struct admit_prefix *prefix_get(struct admit *a, const struct uipsec_addr *from, bool create)
{
    uint8_t key[9];
    size_t b;
    struct admit_prefix *p;

    admit_prefix(from, key);
    b = hash(a, key, sizeof(key), a->prefixes.n);
    for (struct entry *e = a->prefixes.heads[b]; e; e = e->hnext) {
        p = (struct admit_prefix *)e;
        if (memcmp(p->key, key, sizeof(key)) == 0) {
            if (e->lnext) /* not pinned: most recent now */
                lru_front(&a->prefixes, e);
            return p;
        }
    }
    if (!create || !(p = (struct admit_prefix *)table_take(&a->prefixes, b, prefix_bucket, a)))
        return NULL;
    memcpy(p->key, key, sizeof(key));
    return p;
}

static const char *prefix_text(const struct admit_prefix *p, char *buf, size_t len)
{
    uint8_t bytes[16] = {0};

    memcpy(bytes, p->key + 1, p->key[0] == 6 ? 8 : 4);
    inet_ntop(p->key[0] == 6 ? AF_INET6 : AF_INET, bytes, buf, (socklen_t)len);
    if (p->key[0] == 6)
        strncat(buf, "/64", len - strlen(buf) - 1);
    return buf;
}

/* ---- identities ---- */

static size_t id_bucket(const struct admit *a, const struct ike_id *id)
{
    uint8_t buf[IKE_ID_MAX + 2];

    buf[0] = id->type;
    buf[1] = id->len;
    memcpy(buf + 2, id->data, id->len);
    return hash(a, buf, (size_t)id->len + 2, a->ids.n);
}

static size_t idrec_bucket(const struct admit *a, const struct entry *e)
{
    return id_bucket(a, &((const struct idrec *)e)->id);
}

static struct idrec *id_get(struct admit *a, const struct ike_id *id, bool create)
{
    size_t b = id_bucket(a, id);
    struct idrec *r;

    for (struct entry *e = a->ids.heads[b]; e; e = e->hnext) {
        r = (struct idrec *)e;
        if (r->id.type == id->type && r->id.len == id->len &&
            memcmp(r->id.data, id->data, id->len) == 0) {
            lru_front(&a->ids, e);
            return r;
        }
    }
    if (!create || !(r = (struct idrec *)table_take(&a->ids, b, idrec_bucket, a)))
        return NULL;
    r->id = *id;
    return r;
}

/* ---- the whole ---- */

struct admit *admit_new(void)
{
    struct admit *a = calloc(1, sizeof(*a));

    if (!a)
        return NULL;
    if (RAND_bytes((uint8_t *)a->hash_key, sizeof(a->hash_key)) != 1 ||
        table_init(&a->prefixes, ADMIT_PREFIXES, sizeof(struct admit_prefix)) < 0 ||
        table_init(&a->ids, ADMIT_IDS, sizeof(struct idrec)) < 0) {
        admit_free(a);
        return NULL;
    }
    return a;
}

void admit_free(struct admit *a)
{
    if (!a)
        return;
    free(a->prefixes.slots);
    free(a->prefixes.heads);
    free(a->ids.slots);
    free(a->ids.heads);
    free(a);
}

bool admit_init_busy(struct admit *a, uint64_t now_ms)
{
    return !take(&a->init, ADMIT_INIT_RATE, ADMIT_INIT_BURST, now_ms);
}

/* ---- half-open SAs: counts, credit, eviction ---- */

static void score_unlink(struct admit *a, struct admit_prefix *p)
{
    *(p->sprev ? &p->sprev->snext : &a->by_score[p->score]) = p->snext;
    if (p->snext)
        p->snext->sprev = p->sprev;
    p->sprev = p->snext = NULL;
}

/* p's count or credit changed: its place among the holders again. */
static void rescore(struct admit *a, struct admit_prefix *p, bool linked)
{
    uint32_t s = p->half_open > p->credit ? p->half_open - p->credit : 0;

    if (linked)
        score_unlink(a, p);
    if (!p->half_open)
        return;
    p->score = s < ADMIT_HALF_OPEN_PREFIX_MAX ? s : ADMIT_HALF_OPEN_PREFIX_MAX;
    p->snext = a->by_score[p->score];
    if (p->snext)
        p->snext->sprev = p;
    a->by_score[p->score] = p;
    if (p->score > a->top_score)
        a->top_score = p->score;
}

static void forget_credit(struct admit *a, struct admit_prefix *p, uint64_t now)
{
    if (p->credit && now - p->progress_ms >= (uint64_t)ADMIT_CREDIT_FORGET_S * 1000) {
        p->credit = 0;
        rescore(a, p, p->half_open > 0);
    }
}

size_t admit_half_open(struct admit *a, const struct uipsec_addr *from)
{
    const struct admit_prefix *p = prefix_get(a, from, false);

    return p ? p->half_open : 0;
}

size_t admit_window(struct admit *a, const struct uipsec_addr *from, bool cookie, uint64_t now_ms)
{
    struct admit_prefix *p = prefix_get(a, from, false);
    size_t w = 2 * ADMIT_HALF_OPEN_PER_PREFIX;

    if (!cookie)
        return ADMIT_HALF_OPEN_PER_PREFIX;
    if (p) {
        forget_credit(a, p, now_ms);
        w += p->credit;
    }
    return w < ADMIT_HALF_OPEN_PREFIX_MAX ? w : ADMIT_HALF_OPEN_PREFIX_MAX;
}

void admit_half_open_add(struct admit *a, const struct uipsec_addr *from, struct admit_ho *ho,
                         bool cookie)
{
    struct admit_prefix *p = prefix_get(a, from, true);

    /* pinned while it holds half-open SAs: at most IKE_HALF_OPEN_MAX of
     * ADMIT_PREFIXES are, so there is always one to recycle */
    *ho = (struct admit_ho){.p = p, .cookie = cookie};
    if (!p)
        return;
    if (!p->half_open)
        lru_unlink(&p->e);
    ho->prev = p->ho_new;
    *(p->ho_new ? &p->ho_new->next : &p->ho_old) = ho;
    p->ho_new = ho;
    p->half_open++;
    rescore(a, p, p->half_open > 1);
}

void admit_half_open_del(struct admit *a, struct admit_ho *ho, bool done, uint64_t now_ms)
{
    struct admit_prefix *p = ho->p;

    if (!p)
        return;
    *(ho->prev ? &ho->prev->next : &p->ho_old) = ho->next;
    *(ho->next ? &ho->next->prev : &p->ho_new) = ho->prev;
    ho->prev = ho->next = NULL;
    ho->p = NULL;
    if (done) {
        p->credit += p->credit < ADMIT_HALF_OPEN_PREFIX_MAX ? ADMIT_CREDIT_PER_DONE : 0;
        p->progress_ms = now_ms;
    } else if (ho->cookie) {
        p->credit /= 2;
    }
    p->half_open--;
    rescore(a, p, true);
    if (!p->half_open)
        lru_front(&a->prefixes, &p->e);
}

struct admit_ho *admit_victim(struct admit *a, const struct uipsec_addr *from)
{
    const struct admit_prefix *mine = prefix_get(a, from, false);
    const struct admit_prefix *v;
    uint32_t my_score = mine && mine->half_open ? mine->score : 0;

    while (a->top_score && !a->by_score[a->top_score])
        a->top_score--;
    v = a->by_score[a->top_score];
    return v && v != mine && v->score > my_score ? v->ho_old : NULL;
}

bool admit_response_ok(struct admit *a, const struct uipsec_addr *from, bool cookie,
                       uint64_t now_ms)
{
    struct admit_prefix *p = prefix_get(a, from, true);

    if (p && cookie && p->credit)
        return true;
    return p && take(&p->responses, ADMIT_RESPONSE_RATE, ADMIT_RESPONSE_BURST, now_ms);
}

/* ---- authentication back-off ---- */

static void forget_old(struct failures *f, uint64_t now)
{
    if (f->count && now - f->last_ms >= (uint64_t)ADMIT_AUTH_FORGET_S * 1000)
        f->count = 0;
}

/* How long after its last failure f may try again. */
static uint64_t backoff_ms(const struct failures *f)
{
    uint32_t over;

    if (f->count < ADMIT_AUTH_FREE)
        return 0;
    over = f->count - ADMIT_AUTH_FREE;
    if (over >= 16)
        return ADMIT_AUTH_BACKOFF_MAX_MS;
    uint64_t ms = (uint64_t)ADMIT_AUTH_BACKOFF_MS << over;

    return ms < ADMIT_AUTH_BACKOFF_MAX_MS ? ms : ADMIT_AUTH_BACKOFF_MAX_MS;
}

static uint64_t wait_of(struct failures *f, uint64_t now)
{
    uint64_t until;

    forget_old(f, now);
    until = f->last_ms + backoff_ms(f);
    return f->count && until > now ? until - now : 0;
}

/* Whether a line about source p may be written now; if not it is
 * counted for the summary (admit_tick). */
static bool may_log(struct admit *a, struct admit_prefix *p, uint64_t now)
{
    if (p->auth.quiet_ms > now) {
        p->auth.suppressed++;
        return false;
    }
    if (a->log_second != now / 1000) {
        a->log_second = now / 1000;
        a->log_lines = 0;
    }
    if (++a->log_lines > ADMIT_LOG_MAX_PER_S) {
        a->log_dropped++;
        return false;
    }
    p->auth.quiet_ms = now + (uint64_t)ADMIT_LOG_QUIET_S * 1000;
    return true;
}

uint64_t admit_auth_wait(struct admit *a, const struct ike_id *id, const struct uipsec_addr *from,
                         uint64_t now_ms, const char **why)
{
    struct admit_prefix *p = prefix_get(a, from, true);
    struct idrec *r = id_get(a, id, false);
    /* a source whose SAs complete (credit) is a gateway with many peers
     * behind one address: its failures back off per identity (and cost
     * it credit, admit_half_open_del), not for all of them at once */
    uint64_t ws = p && !p->credit ? wait_of(&p->auth, now_ms) : 0;
    uint64_t wi = r ? wait_of(&r->auth, now_ms) : 0;
    char who[2 * IKE_ID_MAX + 2], where[INET6_ADDRSTRLEN + 4];

    if (!ws && !wi)
        return 0;
    *why = ws >= wi ? "source" : "identity";
    if (p && may_log(a, p, now_ms)) {
        ike_id_format(id, who, sizeof(who));
        log_warn("authentication of %s from %s refused without checking it: %u failures from "
                 "this %s, next try in %llu s",
                 who, prefix_text(p, where, sizeof(where)),
                 ws >= wi ? p->auth.count : r->auth.count, *why,
                 (unsigned long long)((ws > wi ? ws : wi) + 999) / 1000);
    }
    return ws > wi ? ws : wi;
}

static void fail(struct failures *f, uint64_t now)
{
    forget_old(f, now);
    if (f->count < UINT32_MAX)
        f->count++;
    f->last_ms = now;
}

void admit_auth_result(struct admit *a, const struct ike_id *id, const struct uipsec_addr *from,
                       bool ok, const char *why, uint64_t now_ms)
{
    struct admit_prefix *p = prefix_get(a, from, true);
    struct idrec *r = id_get(a, id, !ok);
    char who[2 * IKE_ID_MAX + 2], where[INET6_ADDRSTRLEN + 4];

    if (ok) { /* forgiven */
        if (p)
            p->auth.count = 0;
        if (r)
            r->auth.count = 0;
        return;
    }
    if (p)
        fail(&p->auth, now_ms);
    if (r)
        fail(&r->auth, now_ms);
    if (p && may_log(a, p, now_ms)) {
        ike_id_format(id, who, sizeof(who));
        log_warn("authentication of %s from %s failed%s%s (%u in a row from there); further "
                 "tries back off up to %d s",
                 who, prefix_text(p, where, sizeof(where)), why ? ": " : "", why ? why : "",
                 p->auth.count, ADMIT_AUTH_BACKOFF_MAX_MS / 1000);
    }
}

void admit_tick(struct admit *a, uint64_t now_ms)
{
    char where[INET6_ADDRSTRLEN + 4];

    for (size_t i = 0; i < a->prefixes.next_free; i++) {
        struct admit_prefix *p = (struct admit_prefix *)slot(&a->prefixes, i);

        if (p->auth.suppressed && p->auth.quiet_ms <= now_ms) {
            log_warn("%u failed or refused authentications from %s suppressed in the last %d s",
                     p->auth.suppressed, prefix_text(p, where, sizeof(where)), ADMIT_LOG_QUIET_S);
            p->auth.suppressed = 0;
        }
    }
    if (a->log_dropped && now_ms / 1000 != a->log_second) {
        log_warn("%u failed or refused authentications suppressed (more than %d a second)",
                 a->log_dropped, ADMIT_LOG_MAX_PER_S);
        a->log_dropped = 0;
    }
}
