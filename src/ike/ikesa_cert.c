/* SPDX-License-Identifier: MIT */
/* Public key authentication in IKE_AUTH (RFC 7296 2.15, 3.6, 3.7; RFC
 * 7427): what we send (SIGNATURE_HASH_ALGORITHMS, CERTREQ, CERT, the
 * signature) and how the peer's certificate, identity and signature are
 * checked.  Certificates are OpenSSL's to parse and verify; the signature
 * is made where the private key lives (ike_env.sign). */
#define _DEFAULT_SOURCE /* timegm, gmtime_r */
#include <limits.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "ikesa_int.h"
#include "revoc.h"
#include "sig.h"

#define PEER_CERTS_MAX 8 /* end entity and intermediates we look at */

/* ---- what we send ---- */

/* SHA-1 of each trusted CA's SubjectPublicKeyInfo (3.7), up to max. */
static size_t ca_hashes(X509_STORE *trust, uint8_t *out, size_t max)
{
    STACK_OF(X509_OBJECT) *objs = trust ? X509_STORE_get0_objects(trust) : NULL;
    size_t n = 0;

    for (int i = 0; objs && i < sk_X509_OBJECT_num(objs) && n < max; i++) {
        X509 *ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
        unsigned char *der = NULL;
        int len = ca ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(ca), &der) : -1;

        if (len > 0)
            SHA1(der, (size_t)len, out + 20 * n++);
        OPENSSL_free(der);
    }
    return n;
}

size_t ike_cert_init_payloads(const struct ike_sa *sa, uint8_t *buf, struct ike_payload *pl)
{
    const struct ike_cfg *c = sa->cfg;
    size_t n = 0, len = ike_sig_hashes_encode(ike_sig_hashes_ours(), buf, 16), cas;

    if (len)
        pl[n++] = ike_notify_pl(IKE_N_SIGNATURE_HASH_ALGORITHMS, buf, len);
    if (sa->role == IKE_ROLE_RESPONDER && c->remote_pk.on && c->send_certreq &&
        (cas = ca_hashes(c->remote_pk.trust, buf + 16, 16)))
        pl[n++] = (struct ike_payload){
            .type = IKE_PL_CERTREQ,
            .u.cert = {.encoding = IKE_CERT_X509_SIGNATURE, .data = {buf + 16, 20 * cas}}};
    return n;
}

void ike_cert_note_peer(struct ike_sa *sa, const struct ike_msg *msg)
{
    const struct ike_pl_notify *h = ike_msg_notify(msg, IKE_N_SIGNATURE_HASH_ALGORITHMS);
    uint32_t hashes;

    if (h && ike_sig_hashes_decode(h->data.p, h->data.len, &hashes))
        sa->peer_hashes = hashes;
    sa->peer_certreq |= ike_msg_find(msg, IKE_PL_CERTREQ) != NULL;
}

static void add_pl(struct ike_payload *pl, size_t *n, size_t cap, struct ike_payload p)
{
    if (*n < cap)
        pl[(*n)++] = p;
}

/* CERT payloads: ours, then the intermediates (3.6: the end entity first). */
static void add_certs(const struct ike_pubkey_cfg *pk, struct ike_cert_out *o,
                      struct ike_payload *pl, size_t *n, size_t cap)
{
    int extra = pk->chain ? sk_X509_num(pk->chain) : 0;

    for (int i = -1; i < extra && i + 1 < IKE_CERT_MAX_SEND; i++) {
        X509 *x = i < 0 ? pk->cert : sk_X509_value(pk->chain, i);
        int len = i2d_X509(x, &o->der[i + 1]);

        if (len > 0)
            add_pl(pl, n, cap,
                   (struct ike_payload){.type = IKE_PL_CERT,
                                        .u.cert = {.encoding = IKE_CERT_X509_SIGNATURE,
                                                   .data = {o->der[i + 1], (size_t)len}}});
    }
}

static int sign_auth(struct ike_sa *sa, struct ike_cert_out *o, size_t *auth_len, uint8_t *method)
{
    const struct ike_pubkey_cfg *pk = &sa->cfg->local_pk;
    const struct ike_id *me = &sa->cfg->local_id;
    uint32_t peer = sa->peer_hashes & (pk->hashes ? pk->hashes : ~0u);
    enum ike_sig_scheme scheme;
    uint8_t *octets = NULL;
    size_t len;
    char why[200];
    int r;

    EVP_PKEY *mine = pk->cert ? X509_get0_pubkey(pk->cert) : pk->n_raw ? pk->raw[0] : NULL;

    if (!sa->env->sign || !mine ||
        ike_sig_pick(mine, peer, pk->pss, (pk->hashes >> IKE_HASH_SHA1) & 1, &scheme, method, why,
                     sizeof why) < 0) {
        snprintf(sa->fail_text, sizeof sa->fail_text, "cannot sign: %s",
                 sa->env->sign ? why : "no signer");
        return UIPSEC_E_PARAM;
    }
    r = ike_auth_octets(sa, sa->role == IKE_ROLE_INITIATOR, me->type,
                        (struct ike_bytes){me->data, me->len}, &octets, &len);
    *auth_len = sizeof o->auth;
    if (r == UIPSEC_OK && sa->env->sign(sa->env->arg, pk->key_id, (int)scheme, *method, octets, len,
                                        o->auth, auth_len) != 0) {
        snprintf(sa->fail_text, sizeof sa->fail_text, "the private key could not sign");
        r = UIPSEC_E_PARAM;
    }
    free(octets);
    return r;
}

int ike_cert_auth_payloads(struct ike_sa *sa, struct ike_cert_out *o, struct ike_payload *pl,
                           size_t *n, size_t cap)
{
    const struct ike_cfg *c = sa->cfg;
    size_t auth_len = 0, cas;
    uint8_t method = 0;
    int r = c->local_pk.on ? sign_auth(sa, o, &auth_len, &method) : UIPSEC_OK;

    if (r != UIPSEC_OK)
        return r;
    if (c->local_pk.on && c->local_pk.cert &&
        (c->send_cert == IKE_SEND_CERT_ALWAYS ||
         (c->send_cert == IKE_SEND_CERT_IFASKED && sa->peer_certreq)))
        add_certs(&c->local_pk, o, pl, n, cap);
    if (sa->role == IKE_ROLE_INITIATOR && c->remote_pk.on && c->send_certreq &&
        (cas = ca_hashes(c->remote_pk.trust, o->certreq, 16)))
        add_pl(pl, n, cap,
               (struct ike_payload){.type = IKE_PL_CERTREQ,
                                    .u.cert = {.encoding = IKE_CERT_X509_SIGNATURE,
                                               .data = {o->certreq, 20 * cas}}});
    if (c->local_pk.on)
        add_pl(pl, n, cap,
               (struct ike_payload){.type = IKE_PL_AUTH,
                                    .u.auth = {.method = method, .data = {o->auth, auth_len}}});
    return UIPSEC_OK;
}

void ike_cert_out_free(struct ike_cert_out *o)
{
    for (int i = 0; i < IKE_CERT_MAX_SEND; i++) {
        OPENSSL_free(o->der[i]);
        o->der[i] = NULL;
    }
}

/* ---- what we check ---- */

static bool fail(struct ike_sa *sa, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(struct ike_sa *sa, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(sa->fail_text, sizeof sa->fail_text, fmt, ap);
    va_end(ap);
    return false;
}

/* The peer's X.509 CERT payloads (3.6): the first is its own, the others
 * may complete the chain.  Each must be one whole DER certificate. */
static X509 *peer_certs(const struct ike_msg *msg, STACK_OF(X509) * more)
{
    X509 *ee = NULL;
    int seen = 0;

    for (size_t i = 0; i < msg->npayloads && seen < PEER_CERTS_MAX; i++) {
        const struct ike_payload *p = &msg->payloads[i];
        const unsigned char *der = p->u.cert.data.p;
        X509 *x;

        if (p->skipped || p->type != IKE_PL_CERT || p->u.cert.encoding != IKE_CERT_X509_SIGNATURE ||
            p->u.cert.data.len > LONG_MAX)
            continue;
        seen++;
        x = d2i_X509(NULL, &der, (long)p->u.cert.data.len);
        if (x && der != p->u.cert.data.p + p->u.cert.data.len) {
            X509_free(x); /* trailing bytes: not one certificate */
            x = NULL;
        }
        if (x && !ee)
            ee = x;
        else if (x && !sk_X509_push(more, x))
            X509_free(x);
    }
    return ee;
}

static void subject(X509 *x, char *buf, size_t len)
{
    struct ike_id id;

    if (ike_id_of_cert(x, &id) == 0)
        ike_id_print(&id, buf, len);
    else
        snprintf(buf, len, "(a subject too long to show)");
}

/* What a chain check needs beyond OpenSSL's context: the policy, and
 * what was fetched (revoc.h; rv NULL when the caller fetches nothing). */
struct rev_ctx {
    const struct ike_pubkey_cfg *pk;
    struct ike_revoc *rv;
    STACK_OF(X509_CRL) * fetched;
};

/* The CRL that lists at (a fetched one or one of x509crl/), and when. */
static const ASN1_TIME *revoked_on(X509_STORE_CTX *ctx, const struct rev_ctx *rc, X509 *at,
                                   const X509_CRL **by)
{
    STACK_OF(X509_CRL) *crls = X509_STORE_CTX_get1_crls(ctx, X509_get_issuer_name(at));
    const ASN1_TIME *t = NULL;
    X509_REVOKED *rev;

    for (int i = 0; rc->fetched && !t && i < sk_X509_CRL_num(rc->fetched); i++)
        if (X509_CRL_get0_by_cert(sk_X509_CRL_value(rc->fetched, i), &rev, at) == 1) {
            t = X509_REVOKED_get0_revocationDate(rev);
            *by = sk_X509_CRL_value(rc->fetched, i);
        }
    for (int i = 0; crls && !t && i < sk_X509_CRL_num(crls); i++)
        if (X509_CRL_get0_by_cert(sk_X509_CRL_value(crls, i), &rev, at) == 1)
            t = X509_REVOKED_get0_revocationDate(rev);
    sk_X509_CRL_pop_free(crls, X509_CRL_free); /* the store keeps its own; t lives on there */
    return t;
}

static void print_time(const ASN1_TIME *t, char *buf, size_t len)
{
    BIO *b = BIO_new(BIO_s_mem());
    int k;

    buf[0] = '\0';
    if (b && t && ASN1_TIME_print(b, t) == 1 && (k = BIO_read(b, buf, (int)len - 1)) > 0)
        buf[k] = '\0';
    BIO_free(b);
}

/* "issuer of X not trusted: we trust A, B": the CAs trust holds. */
static void untrusted(X509_STORE *trust, const char *who, char *buf, size_t len)
{
    STACK_OF(X509_OBJECT) *objs = trust ? X509_STORE_get0_objects(trust) : NULL;
    size_t at = (size_t)snprintf(buf, len, "issuer of \"%s\" not trusted (we trust ", who);
    int n = 0;

    for (int i = 0; objs && i < sk_X509_OBJECT_num(objs) && at < len; i++) {
        X509 *ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
        char name[200];

        if (!ca)
            continue;
        if (n++ == 3) {
            at += (size_t)snprintf(buf + at, len - at, ", ...");
            break;
        }
        subject(ca, name, sizeof name);
        at += (size_t)snprintf(buf + at, len - at, "%s\"%s\"", n > 1 ? ", " : "", name);
    }
    if (at < len)
        snprintf(buf + at, len - at,
                 "%s): put its CA certificate in x509ca/ (or in remote.cacerts), or have the peer "
                 "send its intermediate CAs",
                 n ? "" : "no CA");
}

/* The issuer of the certificate the chain check stopped at (NULL: the
 * anchor, or none found). */
static X509 *current_issuer(X509_STORE_CTX *ctx)
{
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
    int depth = X509_STORE_CTX_get_error_depth(ctx);

    return depth + 1 < sk_X509_num(chain) ? sk_X509_value(chain, depth + 1) : NULL;
}

/* Why a certificate has no CRL, for a person. */
static void no_crl(const struct rev_ctx *rc, X509 *at, X509 *issuer, const char *who, char *buf,
                   size_t len)
{
    char why[600];

    if (rc->rv && ike_revoc_why(rc->rv, at, issuer, why, sizeof why))
        snprintf(buf, len,
                 "no revocation information for \"%s\", which the revocation policy "
                 "requires: %s",
                 who, why);
    else
        snprintf(buf, len,
                 "no CRL for \"%s\", which the revocation policy requires: put its issuer's "
                 "current CRL in x509crl/, or use a certificate that names a CRL or OCSP URI",
                 who);
}

/* "expired on 2026-12-01 10:00:00 UTC" and the like, for a person. */
static void chain_error(X509_STORE_CTX *ctx, const struct rev_ctx *rc, char *buf, size_t len)
{
    int err = X509_STORE_CTX_get_error(ctx);
    X509 *at = X509_STORE_CTX_get_current_cert(ctx);
    const X509_CRL *by = NULL;
    const char *uri;
    char who[200] = "?", when[64] = "";

    if (at)
        subject(at, who, sizeof who);
    if (at && err == X509_V_ERR_CERT_REVOKED) {
        print_time(revoked_on(ctx, rc, at, &by), when, sizeof when);
        uri = ike_revoc_crl_uri(rc->rv, by);
        snprintf(buf, len, "\"%s\" was revoked%s%s by %s%s", who, when[0] ? " on " : "", when,
                 uri ? "the CRL from " : "its issuer's CRL (x509crl/)", uri ? uri : "");
    } else if (at && err == X509_V_ERR_UNABLE_TO_GET_CRL)
        no_crl(rc, at, current_issuer(ctx), who, buf, len);
    else if (at && err == X509_V_ERR_CERT_HAS_EXPIRED) {
        print_time(X509_get0_notAfter(at), when, sizeof when);
        snprintf(buf, len, "\"%s\" expired on %s", who, when);
    } else if (at && err == X509_V_ERR_CERT_NOT_YET_VALID) {
        print_time(X509_get0_notBefore(at), when, sizeof when);
        snprintf(buf, len, "\"%s\" is not valid before %s", who, when);
    } else if (err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
               err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
               err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
               err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN)
        untrusted(rc->pk->trust, who, buf, len);
    else
        snprintf(buf, len, "\"%s\": %s", who, X509_verify_cert_error_string(err));
}

/* A missing or outdated CRL is fine for a certificate whose OCSP status
 * is good, and for the trust anchor; else with revocation = relaxed, with
 * ifuri only for a certificate that names no CRL or OCSP URI, never with
 * strict (strongSwan's policies).  A certificate a CRL lists is refused
 * under every policy. */
static int revocation_cb(int ok, X509_STORE_CTX *ctx)
{
    const struct rev_ctx *rc = X509_STORE_CTX_get_app_data(ctx);
    int err = X509_STORE_CTX_get_error(ctx);
    X509 *cert = X509_STORE_CTX_get_current_cert(ctx), *issuer = current_issuer(ctx);
    const char *uri;
    time_t t;

    if (ok || !rc || !cert ||
        (err != X509_V_ERR_UNABLE_TO_GET_CRL && err != X509_V_ERR_CRL_HAS_EXPIRED &&
         err != X509_V_ERR_CRL_NOT_YET_VALID))
        return ok;
    if (!issuer) /* the anchor: trusted by configuration */
        return 1;
    if (rc->rv && ike_revoc_ocsp(rc->rv, cert, issuer, &t, &uri) == IKE_REVOC_GOOD)
        return 1;
    if (rc->pk->revocation == IKE_REVOCATION_STRICT)
        return 0;
    return rc->pk->revocation == IKE_REVOCATION_RELAXED || !ike_revoc_has_uri(rc->rv, cert, issuer);
}

/* The chain from ee to one of our CAs (dates, signatures, CA flags, path
 * lengths: X509_verify_cert), with CRLs when rc is given: then *chain
 * is not touched.  Else the verified chain goes to *chain. */
static bool chain_ok(struct ike_sa *sa, X509 *ee, STACK_OF(X509) * more, struct rev_ctx *rc,
                     STACK_OF(X509) * *chain)
{
    const struct ike_pubkey_cfg *pk = &sa->cfg->remote_pk;
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    struct rev_ctx none = {.pk = pk};
    char why[900];
    bool ok = ctx && pk->trust && X509_STORE_CTX_init(ctx, pk->trust, ee, more) == 1;

    if (ok && rc) {
        X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx),
                                    X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
        X509_STORE_CTX_set_app_data(ctx, rc);
        X509_STORE_CTX_set_verify_cb(ctx, revocation_cb);
        if (rc->fetched)
            X509_STORE_CTX_set0_crls(ctx, rc->fetched);
    }
    ok = ok && X509_verify_cert(ctx) == 1;
    if (ok && !rc)
        ok = (*chain = X509_STORE_CTX_get1_chain(ctx)) != NULL;
    if (!ok && ctx)
        chain_error(ctx, rc ? rc : &none, why, sizeof why);
    X509_STORE_CTX_free(ctx);
    return ok || fail(sa, "certificate not accepted: %s", ctx ? why : "out of memory");
}

/* OCSP said a certificate of the chain was revoked. */
static bool ocsp_ok(struct ike_sa *sa, struct ike_revoc *rv, STACK_OF(X509) * chain)
{
    for (int i = 0; i + 1 < sk_X509_num(chain); i++) {
        X509 *cert = sk_X509_value(chain, i);
        const char *uri = "";
        char who[200], when[64] = "";
        time_t t = 0;
        struct tm tm;

        if (ike_revoc_ocsp(rv, cert, sk_X509_value(chain, i + 1), &t, &uri) != IKE_REVOC_REVOKED)
            continue;
        subject(cert, who, sizeof who);
        if (t && gmtime_r(&t, &tm))
            strftime(when, sizeof when, " on %b %e %H:%M:%S %Y GMT", &tm);
        return fail(sa, "certificate not accepted: \"%s\" was revoked%s by the OCSP responder %s",
                    who, when, uri);
    }
    return true;
}

/* The revocation checks of a chain verified without them: answers are
 * asked for first (WAIT), then the chain is verified again with every
 * CRL at hand and each certificate's OCSP status. */
static enum ike_verdict revocation_ok(struct ike_sa *sa, struct ike_auth_wait *w)
{
    const struct ike_pubkey_cfg *pk = &sa->cfg->remote_pk;
    struct rev_ctx rc = {.pk = pk, .rv = sa->env->revoc};
    bool ok;

    if (rc.rv && ike_revoc_plan(rc.rv, w->chain, pk->trust) == IKE_REVOC_WAIT)
        return IKE_V_WAIT;
    if (rc.rv && !ocsp_ok(sa, rc.rv, w->chain))
        return IKE_V_FAIL;
    rc.fetched = rc.rv ? ike_revoc_crls(rc.rv, w->chain) : NULL;
    if (!pk->have_crls && pk->revocation == IKE_REVOCATION_RELAXED &&
        (!rc.fetched || !sk_X509_CRL_num(rc.fetched)))
        ok = true; /* nothing to check against and nothing required */
    else
        ok = chain_ok(sa, w->ee, w->more, &rc, NULL);
    sk_X509_CRL_pop_free(rc.fetched, X509_CRL_free);
    return ok ? IKE_V_OK : IKE_V_FAIL;
}

static bool key_type_ok(const struct ike_pubkey_cfg *pk, EVP_PKEY *key)
{
    return !pk->key_type || EVP_PKEY_get_base_id(key) == pk->key_type;
}

static bool signature_ok(struct ike_sa *sa, EVP_PKEY *key, const struct ike_pl_id *id,
                         const struct ike_pl_auth *auth, const char *who)
{
    const struct ike_pubkey_cfg *pk = &sa->cfg->remote_pk;
    uint32_t allowed = pk->hashes ? pk->hashes : ike_sig_hashes_ours();
    enum ike_sig_scheme scheme;
    uint8_t *octets = NULL;
    size_t len;
    char why[200] = "";
    bool ok = ike_auth_octets(sa, sa->role == IKE_ROLE_RESPONDER, id->type, id->data, &octets,
                              &len) == UIPSEC_OK &&
              ike_sig_verify(key, auth->method, auth->data.p, auth->data.len, octets, len, allowed,
                             (allowed >> IKE_HASH_SHA1) & 1, &scheme, why, sizeof why);

    free(octets);
    if (ok)
        ike_sa_log(sa->env, "peer \"%s\" authenticated with %s", who, ike_sig_scheme_name(scheme));
    return ok || fail(sa, "AUTH of \"%s\" not accepted: %s", who, why[0] ? why : "no octets");
}

/* remote.pubkeys: the peer signs with one of the keys we hold (its
 * identity is the configured one, checked before); no certificate. */
static bool raw_key_ok(struct ike_sa *sa, const struct ike_pl_id *id,
                       const struct ike_pl_auth *auth)
{
    const struct ike_pubkey_cfg *pk = &sa->cfg->remote_pk;
    char who[200];

    ike_id_format(&sa->peer_id, who, sizeof who);
    for (size_t i = 0; i < pk->n_raw; i++)
        if (key_type_ok(pk, pk->raw[i]) && signature_ok(sa, pk->raw[i], id, auth, who))
            return true;
    return fail(sa, "AUTH of \"%s\" verifies with none of remote.pubkeys (%zu keys)", who,
                pk->n_raw);
}

void ike_auth_wait_free(struct ike_auth_wait *w)
{
    if (!w)
        return;
    X509_free(w->ee);
    sk_X509_pop_free(w->more, X509_free);
    sk_X509_pop_free(w->chain, X509_free);
    free(w);
}

/* The peer's certificate (the first of its CERT payloads) in w, its chain
 * to our CAs verified, and that it holds the claimed identity and a key
 * of the kind remote.auth asks for. */
static bool cert_ok(struct ike_sa *sa, const struct ike_msg *msg, const struct ike_pl_id *id,
                    struct ike_auth_wait *w)
{
    const struct ike_pubkey_cfg *pk = &sa->cfg->remote_pk;
    struct ike_id got = {.type = id->type, .len = (uint8_t)id->data.len};
    char claims[200];

    if (!(w->more = sk_X509_new_null()) || !(w->ee = peer_certs(msg, w->more)))
        return fail(sa, "the peer sent no certificate (CERT payload, X.509)");
    subject(w->ee, w->who, sizeof w->who);
    if (id->data.len <= IKE_ID_MAX)
        memcpy(got.data, id->data.p, id->data.len);
    if (!chain_ok(sa, w->ee, w->more, NULL, &w->chain))
        return false;
    if ((X509_get_extension_flags(w->ee) & EXFLAG_KUSAGE) &&
        !(X509_get_key_usage(w->ee) & KU_DIGITAL_SIGNATURE))
        return fail(sa, "certificate \"%s\" may not sign (no digitalSignature key usage)", w->who);
    if (id->data.len > IKE_ID_MAX || !ike_id_in_cert(w->ee, &got)) {
        ike_id_print(&got, claims, sizeof claims);
        return fail(sa, "certificate \"%s\" does not confirm the identity \"%s\" the peer claims",
                    w->who, claims);
    }
    if (!key_type_ok(pk, X509_get0_pubkey(w->ee)))
        return fail(sa, "certificate \"%s\" holds another key type than remote.auth asks", w->who);
    return true;
}

/* The certificate is the peer's from now on. */
static void keep_cert(struct ike_sa *sa, struct ike_auth_wait *w)
{
    X509_free(sa->peer_cert);
    sa->peer_cert = w->ee;
    w->ee = NULL;
}

enum ike_verdict ike_cert_verify(struct ike_sa *sa, const struct ike_msg *msg,
                                 const struct ike_pl_id *id, const struct ike_pl_auth *auth,
                                 struct ike_auth_wait **wait)
{
    struct ike_auth_wait *w;
    enum ike_verdict v;

    *wait = NULL;
    if (sa->cfg->remote_pk.n_raw)
        return raw_key_ok(sa, id, auth) ? IKE_V_OK : IKE_V_FAIL;
    if (!(w = calloc(1, sizeof *w))) {
        fail(sa, "out of memory");
        return IKE_V_FAIL;
    }
    /* the signature before any fetch: only a holder of the key can make
     * us ask for revocation information */
    v = cert_ok(sa, msg, id, w) && signature_ok(sa, X509_get0_pubkey(w->ee), id, auth, w->who)
            ? revocation_ok(sa, w)
            : IKE_V_FAIL;
    if (v == IKE_V_WAIT) {
        ike_sa_log(sa->env, "checking whether \"%s\" was revoked", w->who);
        *wait = w;
        return v;
    }
    if (v == IKE_V_OK)
        keep_cert(sa, w);
    ike_auth_wait_free(w);
    return v;
}

enum ike_verdict ike_cert_recheck(struct ike_sa *sa, struct ike_auth_wait *w)
{
    enum ike_verdict v = revocation_ok(sa, w);

    if (v == IKE_V_OK)
        keep_cert(sa, w);
    return v;
}
