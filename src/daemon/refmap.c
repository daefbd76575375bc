/* SPDX-License-Identifier: MIT */
#include "refmap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_of(const uint8_t *key, size_t klen)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a: keys are ours, not an attacker's */

    for (size_t i = 0; i < klen; i++)
        h = (h ^ key[i]) * 0x100000001b3ull;
    return h ^ h >> 29;
}

static size_t find_slot(const struct refmap *m, const uint8_t *key, size_t klen, uint64_t h)
{
    size_t i = (size_t)h & (m->cap - 1);

    while (m->slot[i] && !(m->slot[i]->hash == h && m->slot[i]->klen == klen &&
                           memcmp(m->slot[i]->key, key, klen) == 0))
        i = (i + 1) & (m->cap - 1);
    return i;
}

struct refent *refmap_get(const struct refmap *m, const void *key, size_t klen)
{
    if (!m->cap || klen > REFMAP_KEY_MAX)
        return NULL;
    return m->slot[find_slot(m, key, klen, hash_of(key, klen))];
}

/* At most half full, so probe runs stay short. */
static int grow(struct refmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    struct refent **slot = calloc(cap, sizeof(*slot));
    struct refmap next = {slot, cap, m->n};

    if (!slot)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slot[i])
            slot[find_slot(&next, m->slot[i]->key, m->slot[i]->klen, m->slot[i]->hash)] =
                m->slot[i];
    free(m->slot);
    *m = next;
    return 0;
}

struct refent *refmap_put(struct refmap *m, const void *key, size_t klen)
{
    struct refent *e;
    uint64_t h = hash_of(key, klen);
    size_t i;

    if (klen > REFMAP_KEY_MAX || ((m->n + 1) * 2 > m->cap && grow(m) < 0))
        return NULL;
    i = find_slot(m, key, klen, h);
    if (m->slot[i])
        return m->slot[i];
    if (!(e = calloc(1, sizeof(*e))))
        return NULL;
    e->hash = h;
    e->klen = (uint8_t)klen;
    memcpy(e->key, key, klen);
    m->slot[i] = e;
    m->n++;
    return e;
}

/* Backward-shift deletion: no tombstones, so lookups stay short after
 * any number of removals. */
void refmap_del(struct refmap *m, struct refent *e)
{
    size_t i = find_slot(m, e->key, e->klen, e->hash), j = i;

    free(m->slot[i]);
    m->slot[i] = NULL;
    m->n--;
    for (;;) {
        size_t home;

        j = (j + 1) & (m->cap - 1);
        if (!m->slot[j])
            return;
        home = (size_t)m->slot[j]->hash & (m->cap - 1);
        /* move slot j back to the hole at i unless its home lies in (i, j] */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            m->slot[i] = m->slot[j];
            m->slot[j] = NULL;
            i = j;
        }
    }
}

void refmap_clear(struct refmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slot[i]);
    free(m->slot);
    memset(m, 0, sizeof(*m));
}
