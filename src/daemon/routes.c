/* SPDX-License-Identifier: MIT */
#include "routes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "pairs.h"
#include "privclient.h"
#include "refmap.h"

struct route {
    uint8_t family, plen;
    uint8_t dst[16];
};

struct routes {
    struct refmap map;   /* the routes installed, with the SAs that need them */
    struct route *later; /* references given back, released at routes_settle() */
    size_t nlater, cap;
};

void routes_disown(struct daemon *d)
{
    d->rules_installed = false;
}

int routes_setup(struct daemon *d)
{
    /* routes through a link that is down are refused: up it goes first,
     * with the MTU of no SA (daemon_refresh() follows the SAs) */
    d->tun.mtu = pairs_mtu(d);
    if (nl_link_up(&d->nl, d->tun.index, d->tun.mtu) < 0) {
        log_err("cannot set %s up: %s", d->tun.name, strerror(errno));
        return -1;
    }
    for (int family = 4; family <= 6; family += 2) {
        /* a rule left by a daemon that was killed is replaced */
        nl_rule(&d->nl, false, family, ROUTE_PRIORITY, ROUTE_FWMARK, ROUTE_TABLE);
        if (nl_rule(&d->nl, true, family, ROUTE_PRIORITY, ROUTE_FWMARK, ROUTE_TABLE) < 0 &&
            family == 4) {
            log_err("cannot add the routing rule for table %d: %s", ROUTE_TABLE, strerror(errno));
            return -1;
        }
    }
    d->rules_installed = true;
    return 0;
}

void routes_teardown(struct daemon *d)
{
    for (int family = 4; d->rules_installed && family <= 6; family += 2)
        nl_rule(&d->nl, false, family, ROUTE_PRIORITY, ROUTE_FWMARK, ROUTE_TABLE);
    d->rules_installed = false;
    if (d->routes) { /* the routes go with the TUN device */
        refmap_clear(&d->routes->map);
        free(d->routes->later);
    }
    free(d->routes);
    d->routes = NULL;
}

/* The smallest prefix that covers the range lo..hi. */
static struct route covering(uint8_t family, const uint8_t *lo, const uint8_t *hi)
{
    struct route r = {.family = family};
    unsigned bits = family == 4 ? 32 : 128, plen = 0;

    while (plen < bits && ((lo[plen / 8] ^ hi[plen / 8]) & (0x80 >> (plen % 8))) == 0)
        plen++;
    r.plen = (uint8_t)plen;
    for (unsigned i = 0; i < bits / 8; i++) {
        unsigned keep = plen >= (i + 1) * 8 ? 8 : plen > i * 8 ? plen - i * 8 : 0;

        r.dst[i] = (uint8_t)(lo[i] & (0xff00 >> keep));
    }
    return r;
}

/* The route itself is the privileged parent's to make. */
static int route(struct daemon *d, bool add, const struct route *r)
{
    int rc = priv_route(d, add, r->family, r->dst, r->plen);

    if (rc < 0 && add) {
        char dst[INET6_ADDRSTRLEN] = "?";

        inet_ntop(r->family == 4 ? AF_INET : AF_INET6, r->dst, dst, sizeof(dst));
        log_warn("cannot add route to %s/%u: %s", dst, r->plen, strerror(-rc));
    }
    return rc;
}

/* The first SA that needs a route adds it, the last one removes it. */
static void ref(struct daemon *d, const struct route *r, bool add)
{
    struct refmap *m = &d->routes->map;
    struct refent *e = add ? refmap_put(m, r, sizeof(*r)) : refmap_get(m, r, sizeof(*r));

    if (!e) {
        if (add)
            log_warn("out of memory: no route for an SA");
        return;
    }
    if (add && e->refs++ == 0)
        e->aux = route(d, true, r) == 0;
    if (!add && --e->refs == 0) {
        if (e->aux)
            route(d, false, r);
        refmap_del(m, e);
    }
}

static void later(struct daemon *d, const struct route *r)
{
    struct routes *rs = d->routes;

    if (rs->nlater == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 16;
        struct route *grown = realloc(rs->later, cap * sizeof(*grown));

        if (!grown) {
            ref(d, r, false); /* at once, then */
            return;
        }
        rs->later = grown;
        rs->cap = cap;
    }
    rs->later[rs->nlater++] = *r;
}

void routes_pair(struct daemon *d, struct sa_pair *c, bool add)
{
    if (c->routed == add || (!d->routes && !(d->routes = calloc(1, sizeof(*d->routes)))))
        return;
    c->routed = add;
    for (size_t i = 0; i < c->npol; i += 2) { /* outbound, inbound, outbound, ... */
        const struct uipsec_policy *p = c->pol[i] ? uipsec_spd_get(d->spd, c->pol[i]) : NULL;

        if (p) {
            const struct uipsec_selector *s = &p->params.sel;
            struct route r = covering(s->family, s->remote.lo, s->remote.hi);

            if (add)
                ref(d, &r, true);
            else
                later(d, &r);
        }
    }
}

void routes_settle(struct daemon *d)
{
    if (!d->routes)
        return;
    for (size_t i = 0; i < d->routes->nlater; i++)
        ref(d, &d->routes->later[i], false);
    d->routes->nlater = 0;
}
