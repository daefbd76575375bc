/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for uipsecd's admission of unauthenticated IKE work
 * (src/daemon/admit.c): the input is a sequence of events from many
 * sources (IKE_SA_INIT requests, half-open SAs made and ended, IKE_AUTH
 * checks with their outcome, time passing), over IPv4 addresses and IPv6
 * addresses that share /64s, enough of them to overflow the tables.  A
 * model beside it holds what must stay true:
 *   - a prefix's half-open count is exactly what was added less what was
 *     removed, evicted ones included (a prefix holding half-open SAs is
 *     never forgotten);
 *   - a victim chosen for a full table is one of the SAs held, never of
 *     the newcomer's own prefix unless that holds more;
 *   - while time stands still, the responder takes at most
 *     ADMIT_INIT_BURST requests before it is busy;
 *   - no back-off is longer than ADMIT_AUTH_BACKOFF_MAX_MS, and an
 *     identity whose attempts keep failing is made to wait.
 */
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "log.h"

#define MODEL_MAX 1000 /* half-open SAs in all, as IKE_HALF_OPEN_MAX */
#define N_IDS     8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct held {
    uint8_t key[9];
    struct uipsec_addr addr; /* one address of the prefix */
    unsigned n;
};

static struct held model[MODEL_MAX];
static size_t nmodel, total;
/* The half-open SAs as the IKE runtime holds them, with their prefix. */
static struct admit_ho pool[MODEL_MAX];
static struct held *owner[MODEL_MAX];

static struct held *find(const struct uipsec_addr *a, bool create)
{
    uint8_t key[9];

    admit_prefix(a, key);
    for (size_t i = 0; i < nmodel; i++)
        if (!memcmp(model[i].key, key, sizeof(key)))
            return &model[i];
    if (!create || nmodel == MODEL_MAX)
        return NULL;
    memcpy(model[nmodel].key, key, sizeof(key));
    model[nmodel].addr = *a;
    model[nmodel].n = 0;
    return &model[nmodel++];
}

/* Three bytes name a source: IPv4 10.x.y.z, or IPv6 2001:db8:x:y::z,
 * whose /64 many addresses share. */
static struct uipsec_addr source(const uint8_t *b)
{
    struct uipsec_addr a = {0};

    if (b[0] & 0x80) {
        a.family = 6;
        a.bytes[0] = 0x20, a.bytes[1] = 0x01, a.bytes[2] = 0x0d, a.bytes[3] = 0xb8;
        a.bytes[4] = b[0] & 0x0f, a.bytes[5] = b[1];
        a.bytes[15] = b[2];
    } else {
        a.family = 4;
        a.bytes[0] = 10, a.bytes[1] = b[0], a.bytes[2] = b[1], a.bytes[3] = b[2];
    }
    return a;
}

static struct ike_id identity(uint8_t n)
{
    struct ike_id id = {.type = 2 /* FQDN */, .len = 6};

    memcpy(id.data, "peer-", 5);
    id.data[5] = (uint8_t)('0' + n % N_IDS);
    return id;
}

struct run {
    struct admit *a;
    uint64_t now;
    unsigned busy_free; /* requests not busy since time last moved */
    unsigned fails[N_IDS];
    uint64_t last_fail[N_IDS];
};

static void check_count(struct admit *a, const struct uipsec_addr *src)
{
    const struct held *h = find(src, false);

    if (admit_half_open(a, src) != (h ? h->n : 0))
        abort();
}

static void drop(struct run *r, size_t k, bool done)
{
    admit_half_open_del(r->a, &pool[k], done, r->now);
    owner[k]->n--;
    owner[k] = NULL;
    total--;
}

/* The table is full: the victim admit.c names must be one held. */
static void evict(struct run *r, const struct uipsec_addr *src)
{
    struct admit_ho *v = admit_victim(r->a, src);
    size_t k;

    if (!v)
        return;
    k = (size_t)(v - pool);
    if (v < pool || k >= MODEL_MAX || !owner[k])
        abort();
    drop(r, k, false);
}

static void init_request(struct run *r, const struct uipsec_addr *src, bool keep, bool cookie)
{
    struct held *h;

    if (!admit_init_busy(r->a, r->now) && ++r->busy_free > ADMIT_INIT_BURST)
        abort();
    for (int i = 0; i < 3; i++) /* a burst from one source */
        (void)admit_response_ok(r->a, src, cookie, r->now);
    if (keep && total == MODEL_MAX)
        evict(r, src);
    if (keep && total < MODEL_MAX && (h = find(src, true))) {
        size_t k = 0;

        while (owner[k])
            k++;
        admit_half_open_add(r->a, src, &pool[k], cookie);
        owner[k] = h;
        h->n++;
        total++;
    }
    check_count(r->a, src);
}

static void end_half_open(struct run *r, const struct uipsec_addr *src, bool done)
{
    struct held *h = find(src, false);

    for (size_t k = 0; h && h->n && k < MODEL_MAX; k++)
        if (owner[k] == h) {
            drop(r, k, done);
            break;
        }
    check_count(r->a, src);
}

static void auth(struct run *r, const struct uipsec_addr *src, uint8_t b)
{
    struct ike_id id = identity(b);
    const char *why = NULL;
    uint64_t wait = admit_auth_wait(r->a, &id, src, r->now, &why);
    unsigned k = b % N_IDS;
    bool ok = b & 0x80;

    if (wait > ADMIT_AUTH_BACKOFF_MAX_MS)
        abort();
    if (wait)
        return;
    admit_auth_result(r->a, &id, src, ok, ok ? NULL : "fuzz", r->now);
    if (r->now - r->last_fail[k] >= (uint64_t)ADMIT_AUTH_FORGET_S * 1000)
        r->fails[k] = 0; /* forgotten */
    r->fails[k] = ok ? 0 : r->fails[k] + 1;
    if (!ok)
        r->last_fail[k] = r->now;
    /* failures past the free ones with no time passing: the next waits */
    if (!ok && r->fails[k] > ADMIT_AUTH_FREE && admit_auth_wait(r->a, &id, src, r->now, &why) == 0)
        abort();
}

static void advance(struct run *r, uint8_t b)
{
    r->now += (uint64_t)b * (b & 0x80 ? 1000 : 7);
    r->busy_free = 0;
    admit_tick(r->a, r->now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct run r = {.now = 1000000};

    log_set_level(LOG_ERR); /* refusals are logged: keep the run quiet */
    if (!(r.a = admit_new()))
        return 0;
    nmodel = total = 0;
    memset(owner, 0, sizeof(owner));
    memset(pool, 0, sizeof(pool));
    for (size_t i = 0; i + 4 <= size; i += 4) {
        struct uipsec_addr src = source(data + i + 1);

        switch (data[i] & 7) {
        case 0:
        case 1:
            init_request(&r, &src, data[i] & 8, data[i] & 16);
            break;
        case 2:
            end_half_open(&r, &src, data[i] & 8);
            break;
        case 3:
        case 4:
            auth(&r, &src, data[i + 3]);
            break;
        case 5:
            advance(&r, data[i + 3]);
            break;
        default: /* many new sources at once: the tables overflow */
            for (unsigned k = 0; k < 64; k++) {
                uint8_t b[3] = {data[i + 1], (uint8_t)(data[i + 2] + k), (uint8_t)k};
                struct uipsec_addr s = source(b);

                init_request(&r, &s, false, false);
            }
        }
    }
    for (size_t i = 0; i < nmodel; i++) /* no held prefix was forgotten */
        check_count(r.a, &model[i].addr);
    admit_free(r.a);
    return 0;
}
