/* SPDX-License-Identifier: MIT */
#include "reqids.h"

#include <stdlib.h>
#include <string.h>

#include "pairs.h"

#define BUCKETS 4096

struct entry {
    struct entry *next;
    char conn[64];
    unsigned child, reqid, refs;
    size_t nsel;
    struct uipsec_selector sel[CFG_MAX_TS];
};

struct reqids {
    struct entry *bucket[BUCKETS];
    unsigned next; /* the last reqid given: charon counts up from 1 */
};

static size_t hash_of(const struct sa_pair *c)
{
    const uint8_t *p = (const uint8_t *)c->sel;
    uint32_t h = 2166136261u ^ c->child;

    for (const char *s = c->conn_name; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    for (size_t i = 0; i < c->nsel * sizeof(c->sel[0]); i++)
        h = (h ^ p[i]) * 16777619u;
    return h % BUCKETS;
}

static bool same(const struct entry *e, const struct sa_pair *c)
{
    return e->child == c->child && e->nsel == c->nsel && !strcmp(e->conn, c->conn_name) &&
           !memcmp(e->sel, c->sel, c->nsel * sizeof(c->sel[0]));
}

unsigned reqids_take(struct reqids **r, const struct sa_pair *c)
{
    struct entry **b, *e;

    if (!*r && !(*r = calloc(1, sizeof(**r))))
        return 0;
    b = &(*r)->bucket[hash_of(c)];
    for (e = *b; e && !same(e, c); e = e->next)
        ;
    if (!e) {
        if (!(e = calloc(1, sizeof(*e))))
            return 0;
        memcpy(e->conn, c->conn_name, sizeof(e->conn));
        e->child = c->child;
        e->nsel = c->nsel;
        memcpy(e->sel, c->sel, sizeof(e->sel));
        e->reqid = ++(*r)->next ? (*r)->next : ++(*r)->next; /* never 0 */
        e->next = *b;
        *b = e;
    }
    e->refs++;
    return e->reqid;
}

void reqids_drop(struct reqids *r, const struct sa_pair *c)
{
    struct entry **at;

    if (!r || !c->reqid)
        return;
    for (at = &r->bucket[hash_of(c)]; *at && (*at)->reqid != c->reqid; at = &(*at)->next)
        ;
    if (*at && --(*at)->refs == 0) {
        struct entry *gone = *at;

        *at = gone->next;
        free(gone);
    }
}

void reqids_free(struct reqids *r)
{
    for (size_t i = 0; r && i < BUCKETS; i++)
        while (r->bucket[i]) {
            struct entry *e = r->bucket[i];

            r->bucket[i] = e->next;
            free(e);
        }
    free(r);
}
