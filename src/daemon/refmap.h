/* SPDX-License-Identifier: MIT */
/*
 * Reference counts keyed by short byte strings: what the kernel holds on
 * behalf of several SAs (a route, a cleartext-drop element, a peer's
 * address) is added at the first reference and removed at the last.  An
 * open-addressing hash table, so adding and removing cost O(1) whatever
 * the number of keys.
 */
#ifndef UIPSECD_REFMAP_H
#define UIPSECD_REFMAP_H

#include <stddef.h>
#include <stdint.h>

#define REFMAP_KEY_MAX 96

struct refent {
    uint32_t refs;
    int aux;    /* the caller's (e.g. which nftables set holds the element) */
    size_t idx; /* the caller's (e.g. its place in an array) */
    uint64_t hash;
    uint8_t klen;
    uint8_t key[REFMAP_KEY_MAX];
};

struct refmap {
    struct refent **slot;
    size_t cap, n; /* cap: a power of two, or 0 */
};

/* The entry of key, or NULL. */
struct refent *refmap_get(const struct refmap *m, const void *key, size_t klen);
/* The entry of key, made with refs 0 if there was none; NULL if out of
 * memory or klen > REFMAP_KEY_MAX. */
struct refent *refmap_put(struct refmap *m, const void *key, size_t klen);
/* Removes and frees e (which must be in m). */
void refmap_del(struct refmap *m, struct refent *e);
/* Frees every entry. */
void refmap_clear(struct refmap *m);

#endif
