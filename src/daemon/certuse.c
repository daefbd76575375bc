/* SPDX-License-Identifier: MIT */
/* A loaded certificate's chain and the connections using it (certuse.h). */
#include "certuse.h"

#include <openssl/x509_vfy.h>

#include "config.h"

const char *cert_use_name(enum cert_use use)
{
    return use == CERT_USE_LOCAL ? "local" : use == CERT_USE_REMOTE ? "remote" : "ca";
}

static bool listed(const int16_t *idx, uint8_t n, size_t i)
{
    for (uint8_t k = 0; k < n; k++)
        if (idx[k] >= 0 && (size_t)idx[k] == i)
            return true;
    return false;
}

/* A trusted CA the remote side of c accepts: one of its cacerts, or any
 * when it has none (auth = pubkey and its forms). */
static bool ca_of(const struct cfg *cfg, const struct cfg_conn *c, size_t i)
{
    const struct cfg_auth *r = &c->remote_auth;

    if (r->method != CFG_AUTH_PUBKEY)
        return false;
    return r->n_cacerts ? listed(r->cacerts, r->n_cacerts, i) : cfg->certs[i].ca;
}

void cert_uses(const struct cfg *cfg, size_t i,
               void (*fn)(void *arg, const char *conn, enum cert_use use), void *arg)
{
    for (size_t k = 0; k < cfg->n_ike_conns; k++) {
        const struct cfg_conn *c = &cfg->ike_conns[k];

        if (c->local_auth.method == CFG_AUTH_PUBKEY &&
            listed(c->local_auth.certs, c->local_auth.n_certs, i))
            fn(arg, c->name, CERT_USE_LOCAL);
        if (c->remote_auth.method == CFG_AUTH_PUBKEY &&
            listed(c->remote_auth.certs, c->remote_auth.n_certs, i))
            fn(arg, c->name, CERT_USE_REMOTE);
        if (ca_of(cfg, c, i))
            fn(arg, c->name, CERT_USE_CA);
    }
}

static void count(void *arg, const char *conn, enum cert_use use)
{
    (void)conn;
    (void)use;
    ++*(size_t *)arg;
}

bool cert_in_use(const struct cfg *cfg, size_t i)
{
    size_t n = 0;

    cert_uses(cfg, i, count, &n);
    return n > 0;
}

STACK_OF(X509) *
    cert_chain(const struct cfg *cfg, const struct certset *s, size_t i, const char **why)
{
    X509_STORE *trust = X509_STORE_new();
    STACK_OF(X509) *others = sk_X509_new_null(), *chain = NULL;
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();

    *why = "out of memory";
    for (size_t k = 0; trust && others && k < s->n; k++)
        if (s->x[k] && !(cfg->certs[k].ca ? X509_STORE_add_cert(trust, s->x[k])
                                          : sk_X509_push(others, s->x[k])))
            goto out;
    if (!trust || !others || !ctx || !s->x[i] || !X509_STORE_CTX_init(ctx, trust, s->x[i], others))
        goto out;
    /* the structure only: dates are shown, and purposes are IKE's business */
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_PARTIAL_CHAIN);
    if (X509_verify_cert(ctx) == 1)
        chain = X509_STORE_CTX_get1_chain(ctx);
    else
        *why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
out:
    X509_STORE_CTX_free(ctx);
    sk_X509_free(others);
    X509_STORE_free(trust);
    return chain;
}
