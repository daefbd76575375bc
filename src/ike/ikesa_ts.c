/* SPDX-License-Identifier: MIT */
/* Traffic selectors of the first CHILD_SA: narrowing (RFC 7296 2.9) and
 * conversion between struct uipsec_selector and TS payloads. */
#include "ikesa_int.h"

#include <string.h>

static size_t addr_len(uint8_t family)
{
    return family == 6 ? 16 : 4;
}

/* [lo, hi] = [a_lo, a_hi] n [b_lo, b_hi] over n-byte big-endian numbers. */
static bool addr_meet(const uint8_t *alo, const uint8_t *ahi, const uint8_t *blo,
                      const uint8_t *bhi, size_t n, uint8_t *lo, uint8_t *hi)
{
    memcpy(lo, memcmp(alo, blo, n) >= 0 ? alo : blo, n);
    memcpy(hi, memcmp(ahi, bhi, n) <= 0 ? ahi : bhi, n);
    return memcmp(lo, hi, n) <= 0;
}

static bool is_opaque(uint16_t lo, uint16_t hi)
{
    return lo == IKE_TS_PORT_OPAQUE_START && hi == IKE_TS_PORT_OPAQUE_END;
}

/* OPAQUE meets only ANY and OPAQUE (RFC 4301 4.4.1). */
static bool port_meet(uint16_t alo, uint16_t ahi, uint16_t blo, uint16_t bhi, uint16_t *lo,
                      uint16_t *hi)
{
    bool aany = alo == 0 && ahi == 0xffff, bany = blo == 0 && bhi == 0xffff;

    if (is_opaque(alo, ahi) || is_opaque(blo, bhi)) {
        *lo = IKE_TS_PORT_OPAQUE_START;
        *hi = IKE_TS_PORT_OPAQUE_END;
        return (is_opaque(alo, ahi) || aany) && (is_opaque(blo, bhi) || bany);
    }
    *lo = alo > blo ? alo : blo;
    *hi = ahi < bhi ? ahi : bhi;
    return *lo <= *hi;
}

static bool proto_meet(uint8_t a, uint8_t b, uint8_t *p)
{
    *p = a ? a : b;
    return a == 0 || b == 0 || a == b;
}

static uint8_t ts_family(const struct ike_ts *t)
{
    return t->type == IKE_TS_IPV4_ADDR_RANGE ? 4 : t->type == IKE_TS_IPV6_ADDR_RANGE ? 6 : 0;
}

static bool side_meet(const struct ike_ts *t, const struct uipsec_ts *s, uint8_t family,
                      struct uipsec_ts *out)
{
    memset(out, 0, sizeof *out);
    return addr_meet(t->start, t->end, s->lo, s->hi, addr_len(family), out->lo, out->hi) &&
           port_meet(t->start_port, t->end_port, s->port_lo, s->port_hi, &out->port_lo,
                     &out->port_hi);
}

/* One offered pair against one configured selector. */
static bool pair_meet(const struct uipsec_selector *s, const struct ike_ts *local,
                      const struct ike_ts *remote, struct uipsec_selector *out)
{
    uint8_t p;

    memset(out, 0, sizeof *out);
    out->family = s->family;
    return ts_family(local) == s->family && ts_family(remote) == s->family &&
           proto_meet(local->ip_proto, remote->ip_proto, &p) &&
           proto_meet(p, s->proto, &out->proto) &&
           side_meet(local, &s->local, s->family, &out->local) &&
           side_meet(remote, &s->remote, s->family, &out->remote);
}

size_t ike_ts_narrow(const struct ike_child_cfg *cfg, bool initiator, const struct ike_pl_ts *tsi,
                     const struct ike_pl_ts *tsr, struct uipsec_selector *out)
{
    const struct ike_pl_ts *loc = initiator ? tsi : tsr, *rem = initiator ? tsr : tsi;
    size_t n = 0;

    for (size_t k = 0; k < cfg->nts; k++)
        for (size_t i = 0; i < loc->nts; i++)
            for (size_t j = 0; j < rem->nts && n < IKE_CFG_MAX_TS; j++)
                if (pair_meet(&cfg->ts[k], &loc->ts[i], &rem->ts[j], &out[n]))
                    n++;
    return n;
}

void ike_ts_to_pl(const struct uipsec_selector *sel, size_t n, bool local_side, struct ike_ts *buf,
                  struct ike_pl_ts *pl)
{
    for (size_t i = 0; i < n; i++) {
        const struct uipsec_ts *s = local_side ? &sel[i].local : &sel[i].remote;
        size_t alen = addr_len(sel[i].family);

        memset(&buf[i], 0, sizeof buf[i]);
        buf[i].type = sel[i].family == 6 ? IKE_TS_IPV6_ADDR_RANGE : IKE_TS_IPV4_ADDR_RANGE;
        buf[i].ip_proto = sel[i].proto;
        buf[i].start_port = s->port_lo;
        buf[i].end_port = s->port_hi;
        memcpy(buf[i].start, s->lo, alen);
        memcpy(buf[i].end, s->hi, alen);
    }
    pl->nts = (uint8_t)n;
    pl->ts = buf;
}
