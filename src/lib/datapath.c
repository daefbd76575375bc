/* SPDX-License-Identifier: MIT */
/* The batch entry points: per-packet dispatch, counters and lifetimes. */
#include "sa.h"

static bool buf_ok(const struct uipsec_buf *b)
{
    return b->base && b->off <= b->cap && b->len <= b->cap - b->off;
}

static void fire(struct uipsec_sa *sa, enum uipsec_lifetime_event ev)
{
    if (sa->p.on_lifetime)
        sa->p.on_lifetime(sa->p.cb_arg, sa, ev);
}

static bool over(uint64_t value, uint64_t limit)
{
    return limit && value >= limit;
}

/* Counts a delivered packet and reports each lifetime limit once.  The
 * packet that reaches the hard limit still goes; the next one does not. */
static void account(struct uipsec_sa *sa, size_t inner_len)
{
    const struct uipsec_lifetime *lt = &sa->p.lifetime;
    struct uipsec_sa_stats *st = &sa->st;

    st->packets++;
    st->bytes += inner_len;
    if (!sa->has_lifetime)
        return;
    if (!st->soft_expired &&
        (over(st->packets, lt->soft_packets) || over(st->bytes, lt->soft_bytes))) {
        st->soft_expired = true;
        fire(sa, UIPSEC_LIFETIME_SOFT);
    }
    if (!st->hard_expired &&
        (over(st->packets, lt->hard_packets) || over(st->bytes, lt->hard_bytes))) {
        st->hard_expired = true;
        fire(sa, UIPSEC_LIFETIME_HARD);
    }
}

/* The direction is the caller's to get right and the same for the whole
 * batch; the lifetime can run out in the middle of one. */
static int precheck(const struct uipsec_sa *sa, const struct uipsec_buf *b, bool dir_ok)
{
    if (!buf_ok(b))
        return UIPSEC_E_PARAM;
    if (!dir_ok)
        return UIPSEC_E_DIRECTION;
    if (sa->st.hard_expired)
        return UIPSEC_E_LIFETIME;
    return UIPSEC_OK;
}

static size_t finish(struct uipsec_sa *sa, struct uipsec_buf *b, int rc, size_t inner_len)
{
    b->result = rc;
    if (rc == UIPSEC_OK) {
        account(sa, inner_len);
        return 1;
    }
    sa->st.drops[rc]++;
    return 0;
}

UIPSEC_API size_t uipsec_encap(struct uipsec_sa *sa, struct uipsec_buf *bufs, size_t n)
{
    bool dir_ok = sa->p.dir == UIPSEC_DIR_OUT;
    size_t ok = 0;

    for (size_t i = 0; i < n; i++) {
        size_t inner_len = 0;
        int rc = precheck(sa, &bufs[i], dir_ok);

        if (rc == UIPSEC_OK)
            rc = sa->p.proto == UIPSEC_PROTO_ESP ? uipsec_esp_encap(sa, &bufs[i], &inner_len)
                                                 : uipsec_ah_encap(sa, &bufs[i], &inner_len);
        ok += finish(sa, &bufs[i], rc, inner_len);
    }
    return ok;
}

UIPSEC_API size_t uipsec_decap(struct uipsec_sa *sa, struct uipsec_buf *bufs, size_t n)
{
    bool dir_ok = sa->p.dir == UIPSEC_DIR_IN;
    size_t ok = 0;

    for (size_t i = 0; i < n; i++) {
        size_t inner_len = 0;
        int rc = precheck(sa, &bufs[i], dir_ok);

        if (rc == UIPSEC_OK)
            rc = sa->p.proto == UIPSEC_PROTO_ESP ? uipsec_esp_decap(sa, &bufs[i], &inner_len)
                                                 : uipsec_ah_decap(sa, &bufs[i], &inner_len);
        ok += finish(sa, &bufs[i], rc, inner_len);
    }
    return ok;
}
