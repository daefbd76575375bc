/* SPDX-License-Identifier: MIT */
/* The IKE runtime's revocation information: one cache (revoc.h) for all
 * IKE SAs, filled through the fetcher (fetch.h); every answer lets the
 * SAs that hold an IKE_AUTH for one go on. */
#include "ike_int.h"

#include <openssl/x509.h>

#include "daemon.h"
#include "log.h"
#include "fetch.h"
#include "revoc.h"

/* The revocation URIs of the authorities section, for the CAs it names. */
static void authorities(struct daemon *d)
{
    ike_revoc_clear_cas(d->ike->revoc);
    for (size_t i = 0; i < d->cfg.n_authorities; i++) {
        const struct cfg_authority *a = &d->cfg.authorities[i];
        const struct cfg_cert *c = &d->cfg.certs[a->cert];
        const unsigned char *der = d->cfg.cert_der + c->off;
        const char *crl[CFG_AUTHORITY_URIS], *ocsp[CFG_AUTHORITY_URIS];
        X509 *ca = d2i_X509(NULL, &der, (long)c->len);

        for (size_t k = 0; k < CFG_AUTHORITY_URIS; k++) {
            crl[k] = a->crl[k];
            ocsp[k] = a->ocsp[k];
        }
        if (!ca || ike_revoc_add_ca(d->ike->revoc, ca, crl, a->n_crl, ocsp, a->n_ocsp) < 0)
            log_warn("authorities.%s: its revocation URIs cannot be used (out of memory)", a->name);
        X509_free(ca);
    }
}

int ike_fetch_start(struct daemon *d)
{
    struct ike_state *ik = d->ike;

    ik->fetch = fetch_client_new(d->fetch_fd);
    d->fetch_fd = -1; /* the client's now */
    ik->revoc = ik->fetch ? ike_revoc_new(fetch_client_request, ik->fetch) : NULL;
    if (!ik->revoc)
        return -1;
    authorities(d);
    return 0;
}

void ike_fetch_reload(struct daemon *d)
{
    if (d->ike->revoc)
        authorities(d);
}

void ike_fetch_stop(struct daemon *d)
{
    if (!d->ike)
        return;
    ike_revoc_free(d->ike->revoc);
    fetch_client_free(d->ike->fetch);
    d->ike->revoc = NULL;
    d->ike->fetch = NULL;
}

int ike_fetch_fd(const struct daemon *d)
{
    return d->ike ? fetch_client_fd(d->ike->fetch) : -1;
}

static void recheck(struct daemon *d)
{
    for (struct ike_rt *rt = d->ike->list; rt; rt = rt->next)
        if (rt->sa && ike_sa_checking(rt->sa)) {
            ike_sa_recheck(rt->sa);
            ike_rt_after(rt);
        }
    ike_reap(d);
}

void ike_fetch_readable(struct daemon *d)
{
    if (d->ike->fetch && fetch_client_readable(d->ike->fetch, d->ike->revoc))
        recheck(d);
}

void ike_fetch_tick(struct daemon *d)
{
    if (d->ike->fetch && fetch_client_tick(d->ike->fetch, d->ike->revoc, time(NULL)))
        recheck(d);
}
