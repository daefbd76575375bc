/* SPDX-License-Identifier: MIT */
/*
 * VICI's ike-updown and child-updown events (swanctl --monitor-sa): while
 * a client is registered for them, each tick compares the established IKE
 * SAs and the installed CHILD_SAs with those of the tick before, and
 * raises "up" for the new ones and "down" for those gone.  A gone SA
 * cannot be read any more, so each one's event is kept from when it came
 * up and sent again, without "up", when it goes: the down event shows the
 * SA as it was when it came up.  An SA that replaces one by a rekey
 * (its rekey_of, its replaces) raises ike-rekey or child-rekey instead,
 * with the old one as kept and the new one, and the old one then goes
 * without a down event, as with charon.  Nothing is tracked while nobody
 * listens.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "ike.h"
#include "pairs.h"
#include "vici_int.h"
#include "vici_sas.h"

struct seen {
    const void *key; /* the ike_rt, or the sa_pair */
    uint32_t tag;    /* the IKE SA's id, or the CHILD_SA's inbound SPI */
    bool child;      /* a CHILD_SA (else an IKE SA) */
    bool alive;      /* met in this tick's pass */
    bool rekeyed;    /* replaced by a rekey: it goes without a down event */
    uint8_t *ev;     /* its event's message, from when it came up */
    size_t ev_len;
    uint8_t *cev; /* a CHILD_SA's own section, from then */
    size_t cev_len;
};

struct vici_watch {
    struct seen *s;
    size_t n, cap;
    bool active;
};

static struct seen *find(struct vici_watch *w, const void *key, uint32_t tag)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->s[i].key == key && w->s[i].tag == tag)
            return &w->s[i];
    return NULL;
}

static void forget_all(struct vici_watch *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->s[i].ev);
        free(w->s[i].cev);
    }
    free(w->s);
    *w = (struct vici_watch){0};
}

/* The message of the event in v->out (after its header), kept. */
static bool keep(struct vici_watch *w, struct vici *v, const void *key, uint32_t tag, bool child,
                 size_t head)
{
    struct seen *s;
    uint8_t *ev;
    size_t ev_len = v->out.len - head;

    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        struct seen *p = realloc(w->s, cap * sizeof *p);

        if (!p)
            return false;
        w->s = p;
        w->cap = cap;
    }
    if (v->out.failed || !(ev = malloc(ev_len)))
        return false;
    memcpy(ev, v->out.p + head, ev_len);
    s = &w->s[w->n];
    s->cev = NULL;
    if (child) { /* its own section too, for a child-rekey event */
        size_t at;

        vici_begin(&v->out, VICI_EVENT, "child-rekey");
        at = v->out.len;
        vici_child_sa(&v->out, key);
        if (v->out.failed || !(s->cev = malloc(v->out.len - at))) {
            free(ev);
            return false;
        }
        memcpy(s->cev, v->out.p + at, v->out.len - at);
        s->cev_len = v->out.len - at;
    }
    w->n++;
    *s = (struct seen){.key = key,
                       .tag = tag,
                       .child = child,
                       .alive = true,
                       .ev = ev,
                       .ev_len = ev_len,
                       .cev = s->cev,
                       .cev_len = s->cev_len};
    return true;
}

/* A kept section's content: past its start (type, name length, name),
 * before its end. */
static void put_inner(struct vici_buf *b, const uint8_t *sec, size_t len)
{
    size_t skip = len >= 3 ? 2u + sec[1] : len;

    if (skip < len)
        vici_put_raw(b, sec + skip, len - skip - 1);
}

/* ike-rekey: the IKE SA's name { old { ... } new { ... } }. */
static void ike_rekey(struct vici *v, const struct ike_view *iv, const struct seen *old,
                      const struct seen *now)
{
    vici_begin(&v->out, VICI_EVENT, "ike-rekey");
    vici_section(&v->out, iv->conn);
    vici_section(&v->out, "old");
    put_inner(&v->out, old->ev, old->ev_len);
    vici_section_end(&v->out);
    vici_section(&v->out, "new");
    put_inner(&v->out, now->ev, now->ev_len);
    vici_section_end(&v->out);
    vici_section_end(&v->out);
    vici_raise(v, VE_IKE_REKEY, NULL);
}

/* child-rekey: the IKE SA, and in child-sas the CHILD_SA's name { old
 * { ... } new { ... } }. */
static void child_rekey(struct vici *v, const struct ike_view *iv, const struct sa_pair *c,
                        const struct seen *old, const struct seen *now)
{
    vici_begin(&v->out, VICI_EVENT, "child-rekey");
    vici_ike_sa_open(&v->out, iv);
    vici_section(&v->out, "child-sas");
    vici_section(&v->out, c->cfg.name); /* charon's: the name alone, not list-sa's NAME-ID */
    vici_section(&v->out, "old");
    put_inner(&v->out, old->cev, old->cev_len);
    vici_section_end(&v->out);
    vici_section(&v->out, "new");
    put_inner(&v->out, now->cev, now->cev_len);
    vici_section_end(&v->out);
    vici_section_end(&v->out);
    vici_section_end(&v->out);
    vici_section_end(&v->out);
    vici_raise(v, VE_CHILD_REKEY, NULL);
}

/* The SA that a new one replaces by a rekey, if it is watched. */
static struct seen *replaced(struct vici_watch *w, const struct ike_view *iv,
                             const struct sa_pair *c)
{
    uint32_t tag = c ? c->replaces : iv->rekey_of;

    for (size_t i = 0; tag && i < w->n; i++)
        if (w->s[i].tag == tag && w->s[i].child == (c != NULL))
            return &w->s[i];
    return NULL;
}

/* Builds the event of an SA that came up, keeps it, and raises it if
 * told (not while the first pass only learns what is up): up, or the
 * rekey of the one it replaces. */
static void came_up(struct vici_watch *w, struct vici *v, const struct ike_view *iv,
                    const struct sa_pair *c, bool raise)
{
    enum vici_event ev = c ? VE_CHILD_UPDOWN : VE_IKE_UPDOWN;
    struct seen *old;
    size_t head;

    vici_begin(&v->out, VICI_EVENT, c ? "child-updown" : "ike-updown");
    head = v->out.len;
    vici_ike_sa(&v->out, v->d, iv, c ? c->cfg.name : NULL, c ? vici_child_id(c) : 0, c != NULL);
    if (!keep(w, v, c ? (const void *)c : iv->rt, c ? c->cfg.in.spi : iv->id, c != NULL, head))
        return;
    if (!raise)
        return;
    if ((old = replaced(w, iv, c))) {
        old->rekeyed = true;
        if (c)
            child_rekey(v, iv, c, old, &w->s[w->n - 1]);
        else
            ike_rekey(v, iv, old, &w->s[w->n - 1]);
        return;
    }
    vici_begin(&v->out, VICI_EVENT, c ? "child-updown" : "ike-updown");
    vici_kv(&v->out, "up", "yes");
    vici_put_raw(&v->out, w->s[w->n - 1].ev, w->s[w->n - 1].ev_len);
    vici_raise(v, ev, NULL);
}

static void went_down(struct vici *v, const struct seen *s, bool child)
{
    vici_begin(&v->out, VICI_EVENT, child ? "child-updown" : "ike-updown");
    vici_put_raw(&v->out, s->ev, s->ev_len);
    vici_raise(v, child ? VE_CHILD_UPDOWN : VE_IKE_UPDOWN, NULL);
}

static bool anyone_listens(const struct vici *v)
{
    for (size_t i = 0; i < VICI_MAX_CLIENTS; i++)
        if (vici_registered(&v->cl[i], VE_IKE_UPDOWN) ||
            vici_registered(&v->cl[i], VE_CHILD_UPDOWN) ||
            vici_registered(&v->cl[i], VE_IKE_REKEY) || vici_registered(&v->cl[i], VE_CHILD_REKEY))
            return true;
    return false;
}

/* This tick's established IKE SAs and their CHILD_SAs, marked alive;
 * those met for the first time come up. */
static void pass(struct vici_watch *w, struct vici *v, bool raise)
{
    const struct daemon *d = v->d;
    struct ike_view iv;
    struct seen *s;

    for (const struct ike_rt *rt = NULL; (rt = ike_view_next(d, rt, &iv));) {
        if (iv.sa->state != IKE_SA_ESTABLISHED)
            continue;
        if ((s = find(w, iv.rt, iv.id)))
            s->alive = true;
        else
            came_up(w, v, &iv, NULL, raise);
        for (size_t i = 0; i < pairs_slots(d); i++) {
            const struct sa_pair *c = pairs_at(d, i);

            if (!c || c->trap || c->ike != iv.rt)
                continue;
            if ((s = find(w, c, c->cfg.in.spi)))
                s->alive = true;
            else
                came_up(w, v, &iv, c, raise);
        }
    }
}

void vici_watch_tick(struct vici *v)
{
    static struct vici_watch w; /* the IKE thread's, one VICI socket */
    size_t kept = 0;

    if (!anyone_listens(v)) {
        if (w.active)
            forget_all(&w);
        return;
    }
    for (size_t i = 0; i < w.n; i++)
        w.s[i].alive = false;
    pass(&w, v, w.active);
    w.active = true;
    /* the CHILD_SAs' down events before their IKE SA's, as charon's */
    for (int child = 1; child >= 0; child--)
        for (size_t i = 0; i < w.n; i++)
            if (!w.s[i].alive && !w.s[i].rekeyed && w.s[i].child == child)
                went_down(v, &w.s[i], child);
    for (size_t i = 0; i < w.n; i++) {
        if (w.s[i].alive) {
            w.s[kept++] = w.s[i];
        } else {
            free(w.s[i].ev);
            free(w.s[i].cev);
        }
    }
    w.n = kept;
}
