/* SPDX-License-Identifier: MIT */
#include "routes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "daemon.h"
#include "log.h"

int routes_setup(struct daemon *d)
{
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
    if (!d->rules_installed)
        return;
    for (int family = 4; family <= 6; family += 2)
        nl_rule(&d->nl, false, family, ROUTE_PRIORITY, ROUTE_FWMARK, ROUTE_TABLE);
    d->rules_installed = false;
    d->nroutes = 0; /* the routes go with the TUN device */
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

static bool has(const struct route *list, size_t n, const struct route *r)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].family == r->family && list[i].plen == r->plen &&
            memcmp(list[i].dst, r->dst, 16) == 0)
            return true;
    return false;
}

/* Remote selectors of outbound policies. */
static size_t wanted(struct daemon *d, struct route *out, size_t max)
{
    const struct uipsec_policy *pols[MAX_ROUTES];
    size_t n = uipsec_spd_list(d->spd, UIPSEC_DIR_OUT, pols, MAX_ROUTES), count = 0;

    for (size_t i = 0; i < n && count < max; i++) {
        const struct uipsec_selector *s = &pols[i]->params.sel;
        struct route r = covering(s->family, s->remote.lo, s->remote.hi);

        if (!has(out, count, &r))
            out[count++] = r;
    }
    return count;
}

static int route(struct daemon *d, bool add, const struct route *r)
{
    int rc = nl_route(&d->nl, add, ROUTE_TABLE, d->ifindex, r->family, r->dst, r->plen, NULL);

    if (rc < 0 && add) {
        char dst[INET6_ADDRSTRLEN] = "?";

        inet_ntop(r->family == 4 ? AF_INET : AF_INET6, r->dst, dst, sizeof(dst));
        log_warn("cannot add route to %s/%u: %s", dst, r->plen, strerror(errno));
    }
    return rc;
}

int routes_sync(struct daemon *d)
{
    static struct route want[MAX_ROUTES];
    size_t nwant = wanted(d, want, MAX_ROUTES), kept = 0;

    for (size_t i = 0; i < d->nroutes; i++) {
        if (has(want, nwant, &d->routes[i]))
            d->routes[kept++] = d->routes[i];
        else
            route(d, false, &d->routes[i]);
    }
    d->nroutes = kept;
    for (size_t i = 0; i < nwant; i++)
        if (!has(d->routes, d->nroutes, &want[i]) && route(d, true, &want[i]) == 0)
            d->routes[d->nroutes++] = want[i];
    return 0;
}
