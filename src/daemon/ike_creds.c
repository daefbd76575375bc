/* SPDX-License-Identifier: MIT */
#include "ike_creds.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAIN_MAX 4 /* intermediate CAs we send after our certificate */

static X509 *cert_at(const struct cfg *cfg, int i)
{
    size_t len;
    const uint8_t *der = i >= 0 && (size_t)i < cfg->n_certs ? creds_der(cfg, i, &len) : NULL;

    return der ? d2i_X509(NULL, &der, (long)len) : NULL;
}

static bool self_signed(X509 *x)
{
    return X509_check_issued(x, x) == X509_V_OK;
}

/* The CA among ours that issued x (not a root: the peer has those). */
static X509 *issuer_of(const struct cfg *cfg, X509 *x)
{
    for (size_t i = 0; i < cfg->n_certs; i++) {
        X509 *ca = cert_at(cfg, (int)i);

        if (ca && X509_cmp(ca, x) != 0 && X509_check_issued(ca, x) == X509_V_OK && !self_signed(ca))
            return ca;
        X509_free(ca);
    }
    return NULL;
}

/* Raw public keys (pubkeys =) into pk->raw. */
static int raw_keys(const struct cfg *cfg, const struct cfg_auth *a, struct ike_pubkey_cfg *pk)
{
    for (size_t i = 0; i < a->n_pubkeys && i < sizeof pk->raw / sizeof pk->raw[0]; i++)
        if (!(pk->raw[pk->n_raw++] = creds_public(cfg, a->pubkeys[i])))
            return -1;
    return 0;
}

static int local_side(const struct cfg *cfg, const struct cfg_conn *c, struct ike_pubkey_cfg *pk)
{
    X509 *at;

    pk->key_id = c->key < 0 ? UINT32_MAX : (uint32_t)c->key;
    if (!c->local_auth.n_certs)
        return raw_keys(cfg, &c->local_auth, pk);
    if (!(pk->cert = cert_at(cfg, c->local_auth.certs[0])) || !(pk->chain = sk_X509_new_null()))
        return -1;
    at = pk->cert;
    for (int n = 0; n < CHAIN_MAX; n++) {
        X509 *up = issuer_of(cfg, at);

        if (!up)
            break;
        if (!sk_X509_push(pk->chain, up)) {
            X509_free(up);
            return -1;
        }
        at = up;
    }
    return 0;
}

static int add_crl(const struct cfg *cfg, int i, struct ike_pubkey_cfg *pk)
{
    size_t len;
    const uint8_t *der = creds_der(cfg, i, &len);
    X509_CRL *crl = d2i_X509_CRL(NULL, &der, (long)len);
    int ok = crl && X509_STORE_add_crl(pk->trust, crl) == 1;

    X509_CRL_free(crl); /* the store took a reference */
    pk->have_crls |= ok;
    return ok ? 0 : -1;
}

/* Trust: remote.cacerts, or every CA of x509ca/; known: every other
 * certificate, which may complete a chain the peer sent incomplete. */
static int remote_side(const struct cfg *cfg, const struct cfg_conn *c, struct ike_pubkey_cfg *pk)
{
    const struct cfg_auth *a = &c->remote_auth;

    if (a->n_pubkeys)
        return raw_keys(cfg, a, pk);
    if (!(pk->trust = X509_STORE_new()) || !(pk->known = sk_X509_new_null()))
        return -1;
    for (size_t i = 0; i < cfg->n_certs; i++) {
        bool trusted = a->n_cacerts ? false : cfg->certs[i].ca;
        X509 *x;
        int ok;

        if (cfg->certs[i].crl) {
            if (add_crl(cfg, (int)i, pk) < 0)
                return -1;
            continue;
        }
        x = cert_at(cfg, (int)i);
        for (size_t k = 0; k < a->n_cacerts; k++)
            trusted |= a->cacerts[k] == (int16_t)i;
        ok = x && (trusted ? X509_STORE_add_cert(pk->trust, x) == 1 : sk_X509_push(pk->known, x));
        if (trusted || !ok)
            X509_free(x);
        if (!ok)
            return -1;
    }
    return 0;
}

static int pkey_type(uint8_t t)
{
    switch (t) {
    case CFG_KEY_RSA:
        return EVP_PKEY_RSA;
    case CFG_KEY_ECDSA:
        return EVP_PKEY_EC;
    case CFG_KEY_ED25519:
        return EVP_PKEY_ED25519;
    case CFG_KEY_ED448:
        return EVP_PKEY_ED448;
    }
    return 0;
}

int ike_creds_build(const struct cfg *cfg, const struct cfg_conn *c, struct ike_cfg *ic, char *err,
                    size_t err_len)
{
    const struct cfg_auth *la = &c->local_auth, *ra = &c->remote_auth;
    int rc = 0;

    ic->send_cert = c->send_cert;
    ic->send_certreq = c->send_certreq;
    ic->local_pk = (struct ike_pubkey_cfg){.on = la->method == CFG_AUTH_PUBKEY,
                                           .key_type = pkey_type(la->key_type),
                                           .pss = la->pss,
                                           .hashes = la->hashes};
    ic->remote_pk = (struct ike_pubkey_cfg){.on = ra->method == CFG_AUTH_PUBKEY,
                                            .key_type = pkey_type(ra->key_type),
                                            .hashes = ra->hashes,
                                            .revocation = ra->revocation};
    if (ic->local_pk.on)
        rc = local_side(cfg, c, &ic->local_pk);
    if (rc == 0 && ic->remote_pk.on)
        rc = remote_side(cfg, c, &ic->remote_pk);
    if (rc < 0) {
        snprintf(err, err_len, "%s: connections.%s: cannot load its certificates", c->where,
                 c->name);
        ike_creds_free(ic);
    }
    return rc;
}

void ike_creds_free(struct ike_cfg *ic)
{
    X509_free(ic->local_pk.cert);
    sk_X509_pop_free(ic->local_pk.chain, X509_free);
    X509_STORE_free(ic->remote_pk.trust);
    sk_X509_pop_free(ic->remote_pk.known, X509_free);
    for (size_t i = 0; i < ic->local_pk.n_raw; i++)
        EVP_PKEY_free(ic->local_pk.raw[i]);
    for (size_t i = 0; i < ic->remote_pk.n_raw; i++)
        EVP_PKEY_free(ic->remote_pk.raw[i]);
    ic->local_pk.n_raw = ic->remote_pk.n_raw = 0;
    ic->local_pk.cert = NULL;
    ic->local_pk.chain = NULL;
    ic->remote_pk.trust = NULL;
    ic->remote_pk.known = NULL;
}

int ike_creds_ref(struct ike_cfg *ic)
{
    struct ike_pubkey_cfg *l = &ic->local_pk, *r = &ic->remote_pk;
    bool ok = (!l->cert || X509_up_ref(l->cert)) && (!r->trust || X509_STORE_up_ref(r->trust));

    l->cert = ok ? l->cert : NULL;
    r->trust = ok ? r->trust : NULL;
    l->chain = l->chain ? X509_chain_up_ref(l->chain) : NULL; /* a new stack, each up */
    r->known = r->known ? X509_chain_up_ref(r->known) : NULL;
    for (size_t i = 0; i < l->n_raw; i++)
        ok &= EVP_PKEY_up_ref(l->raw[i]) == 1;
    for (size_t i = 0; i < r->n_raw; i++)
        ok &= EVP_PKEY_up_ref(r->raw[i]) == 1;
    if (!ok || (l->cert && !l->chain) || (r->trust && !r->known)) {
        ike_creds_free(ic);
        return -1;
    }
    return 0;
}

/* ---- built once per connection and configuration ---- */

struct cached {
    char name[64];
    struct ike_cfg ic; /* only the fields ike_creds_build fills */
};

struct ike_creds_cache {
    struct cached *e;
    size_t n;
};

struct ike_creds_cache *ike_creds_cache_new(void)
{
    return calloc(1, sizeof(struct ike_creds_cache));
}

void ike_creds_cache_flush(struct ike_creds_cache *cc)
{
    for (size_t i = 0; cc && i < cc->n; i++)
        ike_creds_free(&cc->e[i].ic);
    if (cc) {
        free(cc->e);
        cc->e = NULL;
        cc->n = 0;
    }
}

void ike_creds_cache_free(struct ike_creds_cache *cc)
{
    ike_creds_cache_flush(cc);
    free(cc);
}

/* The fields of ic that ike_creds_build fills, from the cached from. */
static void copy_creds(struct ike_cfg *ic, const struct ike_cfg *from)
{
    ic->send_cert = from->send_cert;
    ic->send_certreq = from->send_certreq;
    ic->local_pk = from->local_pk;
    ic->remote_pk = from->remote_pk;
}

int ike_creds_get(struct ike_creds_cache *cc, const struct cfg *cfg, const struct cfg_conn *c,
                  struct ike_cfg *ic, char *err, size_t err_len)
{
    struct cached *all, *e = NULL;

    for (size_t i = 0; cc && !e && i < cc->n; i++)
        if (!strcmp(cc->e[i].name, c->name))
            e = &cc->e[i];
    if (!e && cc && (all = realloc(cc->e, (cc->n + 1) * sizeof(*all)))) {
        cc->e = all;
        e = memset(&all[cc->n], 0, sizeof(*e));
        if (ike_creds_build(cfg, c, &e->ic, err, err_len) < 0)
            return -1;
        snprintf(e->name, sizeof(e->name), "%s", c->name);
        cc->n++;
    }
    if (!e) /* no cache (out of memory): objects of its own */
        return ike_creds_build(cfg, c, ic, err, err_len);
    copy_creds(ic, &e->ic);
    if (ike_creds_ref(ic) < 0) {
        snprintf(err, err_len, "%s: connections.%s: out of memory", c->where, c->name);
        return -1;
    }
    return 0;
}
