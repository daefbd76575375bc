/* SPDX-License-Identifier: MIT */
/* Fetched revocation information: a small cache of CRLs (by URI) and
 * OCSP statuses (by CertID), each entry in flight, answered or failed
 * (revoc.h).  At most IKE_REVOC_ENTRIES: a lookup is a walk, and the
 * entry used longest ago makes room. */
#define _DEFAULT_SOURCE /* timegm, gmtime_r */
#include "revoc.h"

#include <limits.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CERTID_MAX 128 /* DER of an OCSP CertID with SHA-1: about 70 bytes */

enum kind { K_CRL, K_OCSP };

struct entry {
    enum kind kind;
    char uri[IKE_REVOC_URI_MAX];
    uint8_t cid[CERTID_MAX]; /* OCSP: the CertID's DER */
    size_t cid_len;
    uint32_t id; /* in flight: the fetch's, else 0 */
    uint64_t used;
    /* while in flight: what checking the answer needs */
    X509 *issuer;
    OCSP_REQUEST *req;
    OCSP_CERTID *certid;
    STACK_OF(X509) * chain;
    X509_STORE *trust;
    /* the outcome */
    bool failed;
    char why[160];
    time_t done_at, next; /* answered at; usable until */
    X509_CRL *crl;
    int status; /* V_OCSP_CERTSTATUS_* */
    time_t revoked_at;
};

/* A CA the configuration gives revocation URIs for. */
struct ca_uris {
    X509 *ca;
    size_t n[2]; /* by kind */
    char uri[2][IKE_REVOC_CA_URIS][IKE_REVOC_URI_MAX];
};

struct ike_revoc {
    struct ca_uris *cas;
    size_t n_cas;
    struct entry *e[IKE_REVOC_ENTRIES];
    size_t n;
    uint32_t ids;
    uint64_t uses;
    ike_revoc_fetch_fn fetch;
    void *arg;
};

struct ike_revoc *ike_revoc_new(ike_revoc_fetch_fn fetch, void *arg)
{
    struct ike_revoc *rv = calloc(1, sizeof *rv);

    if (rv) {
        rv->fetch = fetch;
        rv->arg = arg;
    }
    return rv;
}

static void flight_end(struct entry *e)
{
    X509_free(e->issuer);
    OCSP_REQUEST_free(e->req);
    OCSP_CERTID_free(e->certid);
    sk_X509_pop_free(e->chain, X509_free);
    X509_STORE_free(e->trust);
    e->issuer = NULL;
    e->req = NULL;
    e->certid = NULL;
    e->chain = NULL;
    e->trust = NULL;
    e->id = 0;
}

static void entry_free(struct entry *e)
{
    flight_end(e);
    X509_CRL_free(e->crl);
    free(e);
}

void ike_revoc_clear_cas(struct ike_revoc *rv)
{
    for (size_t i = 0; i < rv->n_cas; i++)
        X509_free(rv->cas[i].ca);
    free(rv->cas);
    rv->cas = NULL;
    rv->n_cas = 0;
}

int ike_revoc_add_ca(struct ike_revoc *rv, X509 *ca, const char *const *crl, size_t n_crl,
                     const char *const *ocsp, size_t n_ocsp)
{
    struct ca_uris *all, *c;
    const char *const *lists[2] = {crl, ocsp};
    size_t counts[2] = {n_crl, n_ocsp};

    if (!(all = realloc(rv->cas, (rv->n_cas + 1) * sizeof *all)))
        return -1;
    rv->cas = all;
    c = memset(&all[rv->n_cas], 0, sizeof *c);
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < counts[k] && c->n[k] < IKE_REVOC_CA_URIS; i++)
            if (strlen(lists[k][i]) < IKE_REVOC_URI_MAX)
                strcpy(c->uri[k][c->n[k]++], lists[k][i]);
    if (!X509_up_ref(ca))
        return -1;
    c->ca = ca;
    rv->n_cas++;
    return 0;
}

void ike_revoc_free(struct ike_revoc *rv)
{
    if (!rv)
        return;
    for (size_t i = 0; i < rv->n; i++)
        entry_free(rv->e[i]);
    ike_revoc_clear_cas(rv);
    free(rv);
}

static time_t asn1_time(const ASN1_TIME *t)
{
    struct tm tm;

    return t && ASN1_TIME_to_tm(t, &tm) == 1 ? timegm(&tm) : 0;
}

/* ---- the URIs a certificate names ---- */

/* http and https only (no LDAP), printable, within IKE_REVOC_URI_MAX. */
static bool uri_ok(const char *s, int len)
{
    if (len <= 0 || len >= IKE_REVOC_URI_MAX ||
        (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0))
        return false;
    for (int i = 0; i < len; i++)
        if (s[i] <= ' ' || s[i] > '~')
            return false;
    return true;
}

/* The k-th usable CRL distribution point URI of cert into out. */
static bool crl_uri(X509 *cert, int k, char *out)
{
    STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
    bool found = false;

    for (int i = 0; dps && !found && i < sk_DIST_POINT_num(dps); i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        GENERAL_NAMES *names =
            dp->distpoint && dp->distpoint->type == 0 ? dp->distpoint->name.fullname : NULL;

        for (int j = 0; names && !found && j < sk_GENERAL_NAME_num(names); j++) {
            GENERAL_NAME *g = sk_GENERAL_NAME_value(names, j);
            const char *s;
            int len;

            if (g->type != GEN_URI)
                continue;
            s = (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
            len = ASN1_STRING_length(g->d.uniformResourceIdentifier);
            if (uri_ok(s, len) && k-- == 0) {
                memcpy(out, s, (size_t)len);
                out[len] = '\0';
                found = true;
            }
        }
    }
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    return found;
}

/* The first usable OCSP responder URI of cert's AIA into out. */
static bool ocsp_uri(X509 *cert, char *out)
{
    STACK_OF(OPENSSL_STRING) *uris = X509_get1_ocsp(cert);
    bool found = false;

    for (int i = 0; uris && !found && i < sk_OPENSSL_STRING_num(uris); i++) {
        const char *s = sk_OPENSSL_STRING_value(uris, i);
        size_t len = strlen(s);

        if (len < IKE_REVOC_URI_MAX && uri_ok(s, (int)len)) {
            memcpy(out, s, len + 1);
            found = true;
        }
    }
    X509_email_free(uris);
    return found;
}

/* The k-th URI of a kind for cert: its own first, then those the
 * configuration gives for its issuer. */
static bool uri_of(const struct ike_revoc *rv, X509 *cert, X509 *issuer, enum kind kind, int k,
                   char *out)
{
    int own = 0;

    if (kind == K_CRL) {
        while (crl_uri(cert, own, out))
            if (own++ == k)
                return true;
    } else if (ocsp_uri(cert, out)) {
        if (k == 0)
            return true;
        own = 1;
    }
    for (size_t i = 0; rv && issuer && i < rv->n_cas; i++)
        if (!X509_cmp(rv->cas[i].ca, issuer) && (size_t)(k - own) < rv->cas[i].n[kind]) {
            strcpy(out, rv->cas[i].uri[kind][k - own]);
            return true;
        }
    return false;
}

bool ike_revoc_has_uri(const struct ike_revoc *rv, X509 *cert, X509 *issuer)
{
    char uri[IKE_REVOC_URI_MAX];

    return uri_of(rv, cert, issuer, K_CRL, 0, uri) || uri_of(rv, cert, issuer, K_OCSP, 0, uri);
}

/* ---- the cache ---- */

static size_t certid_der(X509 *cert, X509 *issuer, uint8_t *out)
{
    OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), cert, issuer);
    int len = id ? i2d_OCSP_CERTID(id, NULL) : -1;
    uint8_t *p = out;

    if (len > 0 && len <= CERTID_MAX)
        len = i2d_OCSP_CERTID(id, &p);
    OCSP_CERTID_free(id);
    return len > 0 && len <= CERTID_MAX ? (size_t)len : 0;
}

static struct entry *find(struct ike_revoc *rv, enum kind kind, const char *uri, const uint8_t *cid,
                          size_t cid_len)
{
    for (size_t i = 0; i < rv->n; i++) {
        struct entry *e = rv->e[i];

        if (e->kind == kind &&
            (kind == K_CRL ? !strcmp(e->uri, uri)
                           : e->cid_len == cid_len && !memcmp(e->cid, cid, cid_len))) {
            e->used = ++rv->uses;
            return e;
        }
    }
    return NULL;
}

/* A new entry, in place of the one used longest ago (not in flight) when
 * the cache is full; NULL if every entry is in flight. */
static struct entry *add(struct ike_revoc *rv)
{
    size_t victim = rv->n;
    struct entry *e;

    if (rv->n == IKE_REVOC_ENTRIES) {
        for (size_t i = 0; i < rv->n; i++)
            if (!rv->e[i]->id && (victim == rv->n || rv->e[i]->used < rv->e[victim]->used))
                victim = i;
        if (victim == rv->n || !(e = calloc(1, sizeof *e)))
            return NULL;
        entry_free(rv->e[victim]);
        rv->e[victim] = e;
    } else {
        if (!(e = calloc(1, sizeof *e)))
            return NULL;
        rv->e[rv->n++] = e;
    }
    e->used = ++rv->uses;
    return e;
}

static void fail(struct entry *e, const char *why)
{
    e->failed = true;
    snprintf(e->why, sizeof e->why, "%s", why);
}

/* An answered entry still serves, or a failed one is still too recent
 * to try again. */
static bool settled(const struct entry *e, time_t now)
{
    return e->failed ? now - e->done_at < IKE_REVOC_RETRY_S : now < e->next;
}

/* ---- asking ---- */

/* Sends e's request; for OCSP req and certid become e's. */
static void start(struct ike_revoc *rv, struct entry *e, X509 *issuer, OCSP_REQUEST *req,
                  OCSP_CERTID *certid, STACK_OF(X509) * chain, X509_STORE *trust)
{
    uint8_t *body = NULL;
    int len = 0;

    flight_end(e);
    X509_CRL_free(e->crl);
    e->crl = NULL;
    e->failed = false;
    e->status = V_OCSP_CERTSTATUS_UNKNOWN;
    e->id = ++rv->ids ? rv->ids : ++rv->ids;
    e->issuer = issuer;
    X509_up_ref(issuer);
    e->req = req;
    e->certid = certid;
    if (req) {
        e->chain = X509_chain_up_ref(chain);
        e->trust = trust;
        X509_STORE_up_ref(trust);
        len = i2d_OCSP_REQUEST(req, &body);
    }
    if (len < 0 || (req && !e->chain)) {
        flight_end(e);
        fail(e, "cannot make the OCSP request");
        e->done_at = time(NULL);
    } else {
        rv->fetch(rv->arg, e->id, e->uri, body, (size_t)len);
    }
    OPENSSL_free(body);
}

/* OCSP for cert: 1 if the status is known, 0 if asked for now or still
 * in flight, -1 if there is none to be had (no URI, failed). */
static int plan_ocsp(struct ike_revoc *rv, X509 *cert, X509 *issuer, STACK_OF(X509) * chain,
                     X509_STORE *trust)
{
    char uri[IKE_REVOC_URI_MAX];
    uint8_t cid[CERTID_MAX];
    size_t cid_len;
    struct entry *e;
    OCSP_REQUEST *req;
    OCSP_CERTID *certid;

    if (!uri_of(rv, cert, issuer, K_OCSP, 0, uri) || !(cid_len = certid_der(cert, issuer, cid)))
        return -1;
    e = find(rv, K_OCSP, NULL, cid, cid_len);
    if (e && e->id)
        return 0;
    if (e && settled(e, time(NULL)))
        return e->failed ? -1 : 1;
    req = OCSP_REQUEST_new();
    certid = OCSP_cert_to_id(EVP_sha1(), cert, issuer);
    if (!req || !certid || !OCSP_request_add0_id(req, OCSP_CERTID_dup(certid)) ||
        OCSP_request_add1_nonce(req, NULL, -1) != 1) {
        OCSP_REQUEST_free(req);
        OCSP_CERTID_free(certid);
        return -1;
    }
    if (!e && !(e = add(rv))) {
        OCSP_REQUEST_free(req);
        OCSP_CERTID_free(certid);
        return -1;
    }
    e->kind = K_OCSP;
    memcpy(e->cid, cid, cid_len);
    e->cid_len = cid_len;
    snprintf(e->uri, sizeof e->uri, "%s", uri);
    start(rv, e, issuer, req, certid, chain, trust);
    return e->failed ? -1 : 0;
}

/* Whether trust holds a CRL in date from issuer (x509crl/). */
static bool local_crl(X509_STORE *trust, X509 *issuer, time_t now)
{
    STACK_OF(X509_OBJECT) *objs = trust ? X509_STORE_get0_objects(trust) : NULL;

    for (int i = 0; objs && i < sk_X509_OBJECT_num(objs); i++) {
        X509_CRL *crl = X509_OBJECT_get0_X509_CRL(sk_X509_OBJECT_value(objs, i));
        time_t next;

        if (!crl || X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0)
            continue;
        next = asn1_time(X509_CRL_get0_nextUpdate(crl));
        if (!next || now < next)
            return true;
    }
    return false;
}

/* CRLs for cert: 1 if one is at hand, 0 if one is on its way, -1 if
 * none can be had. */
static int plan_crl(struct ike_revoc *rv, X509 *cert, X509 *issuer, X509_STORE *trust)
{
    char uri[IKE_REVOC_URI_MAX];
    time_t now = time(NULL);

    if (local_crl(trust, issuer, now))
        return 1;
    for (int k = 0; uri_of(rv, cert, issuer, K_CRL, k, uri); k++) {
        struct entry *e = find(rv, K_CRL, uri, NULL, 0);

        if (e && e->id)
            return 0;
        if (e && settled(e, now)) {
            if (!e->failed)
                return 1;
            continue; /* the next distribution point */
        }
        if (!e && !(e = add(rv)))
            return -1;
        e->kind = K_CRL;
        snprintf(e->uri, sizeof e->uri, "%s", uri);
        start(rv, e, issuer, NULL, NULL, NULL, NULL);
        return 0;
    }
    return -1;
}

enum ike_revoc_plan ike_revoc_plan(struct ike_revoc *rv, STACK_OF(X509) * chain, X509_STORE *trust)
{
    bool wait = false;

    for (int i = 0; i + 1 < sk_X509_num(chain); i++) {
        X509 *cert = sk_X509_value(chain, i), *issuer = sk_X509_value(chain, i + 1);
        int o = plan_ocsp(rv, cert, issuer, chain, trust);

        /* strongSwan's order: OCSP first, CRLs when it has no answer */
        if (o == 0 || (o < 0 && plan_crl(rv, cert, issuer, trust) == 0))
            wait = true;
    }
    return wait ? IKE_REVOC_WAIT : IKE_REVOC_READY;
}

/* ---- answers ---- */

static X509_CRL *crl_parse(const uint8_t *data, size_t len)
{
    const unsigned char *p = data;
    X509_CRL *crl = len <= LONG_MAX ? d2i_X509_CRL(NULL, &p, (long)len) : NULL;
    BIO *b;

    if (crl || len > INT_MAX) /* some servers hand out PEM */
        return crl;
    b = BIO_new_mem_buf(data, (int)len);
    crl = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    return crl;
}

static void crl_answer(struct entry *e, const uint8_t *data, size_t len)
{
    X509_CRL *crl = crl_parse(data, len);
    EVP_PKEY *key = X509_get0_pubkey(e->issuer);

    if (!crl)
        return fail(e, "not a CRL (DER or PEM)");
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(e->issuer)) != 0 || !key ||
        X509_CRL_verify(crl, key) != 1) {
        X509_CRL_free(crl);
        return fail(e, "a CRL not signed by the certificate's issuer");
    }
    e->crl = crl;
    e->next = asn1_time(X509_CRL_get0_nextUpdate(crl));
    if (!e->next)
        e->next = e->done_at + IKE_REVOC_NO_NEXT_S;
    if (e->next <= e->done_at) {
        X509_CRL_free(crl);
        e->crl = NULL;
        fail(e, "the CRL is out of date (its next update has passed)");
    }
}

static const char *ocsp_check(struct entry *e, OCSP_BASICRESP *bs)
{
    ASN1_GENERALIZEDTIME *rev = NULL, *this_upd = NULL, *next_upd = NULL; /* rev: revoked only */
    int reason;

    /* 0: both carry a nonce and they differ (a replayed answer); a
     * responder that ignores nonces (-1) is accepted if in date */
    if (OCSP_check_nonce(e->req, bs) == 0)
        return "the OCSP answer's nonce is not ours";
    if (OCSP_basic_verify(bs, e->chain, e->trust, 0) != 1)
        return "the OCSP answer is not signed by the issuer or a responder it authorised";
    if (OCSP_resp_find_status(bs, e->certid, &e->status, &reason, &rev, &this_upd, &next_upd) != 1)
        return "the OCSP answer has no status for the certificate";
    if (OCSP_check_validity(this_upd, next_upd, 300, -1) != 1)
        return "the OCSP answer is out of date";
    e->revoked_at = asn1_time(rev);
    e->next = next_upd ? asn1_time(next_upd) : e->done_at + IKE_REVOC_NO_NEXT_S;
    return e->status == V_OCSP_CERTSTATUS_UNKNOWN
               ? "the OCSP responder does not know the certificate"
               : NULL;
}

static void ocsp_answer(struct entry *e, const uint8_t *data, size_t len)
{
    const unsigned char *p = data;
    OCSP_RESPONSE *resp = len <= LONG_MAX ? d2i_OCSP_RESPONSE(NULL, &p, (long)len) : NULL;
    OCSP_BASICRESP *bs = NULL;
    const char *why = NULL;
    char buf[100];
    int st;

    if (!resp)
        why = "not an OCSP response";
    else if ((st = OCSP_response_status(resp)) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        snprintf(buf, sizeof buf, "the OCSP responder answered %s", OCSP_response_status_str(st));
        why = buf;
    } else if (!(bs = OCSP_response_get1_basic(resp)))
        why = "the OCSP answer is not a basic response";
    else
        why = ocsp_check(e, bs);
    if (why)
        fail(e, why);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
}

void ike_revoc_answer(struct ike_revoc *rv, uint32_t id, const uint8_t *data, size_t len,
                      const char *err)
{
    struct entry *e = NULL;

    for (size_t i = 0; id && !e && i < rv->n; i++)
        if (rv->e[i]->id == id)
            e = rv->e[i];
    if (!e)
        return; /* evicted meanwhile, or not ours */
    e->done_at = time(NULL);
    if (err || !data)
        fail(e, err ? err : "no answer");
    else if (len > IKE_REVOC_ANSWER_MAX)
        fail(e, "the answer is too long");
    else if (e->kind == K_CRL)
        crl_answer(e, data, len);
    else
        ocsp_answer(e, data, len);
    flight_end(e);
}

/* ---- what the cache tells ---- */

enum ike_revoc_status ike_revoc_ocsp(struct ike_revoc *rv, X509 *cert, X509 *issuer,
                                     time_t *revoked_at, const char **uri)
{
    uint8_t cid[CERTID_MAX];
    size_t cid_len = certid_der(cert, issuer, cid);
    struct entry *e = cid_len ? find(rv, K_OCSP, NULL, cid, cid_len) : NULL;

    if (!e || e->id || e->failed || time(NULL) >= e->next)
        return IKE_REVOC_NONE;
    *revoked_at = e->revoked_at;
    *uri = e->uri;
    if (e->status == V_OCSP_CERTSTATUS_GOOD)
        return IKE_REVOC_GOOD;
    return e->status == V_OCSP_CERTSTATUS_REVOKED ? IKE_REVOC_REVOKED : IKE_REVOC_NONE;
}

STACK_OF(X509_CRL) * ike_revoc_crls(struct ike_revoc *rv, STACK_OF(X509) * chain)
{
    STACK_OF(X509_CRL) *out = sk_X509_CRL_new_null();
    time_t now = time(NULL);

    for (size_t i = 0; out && i < rv->n; i++) {
        struct entry *e = rv->e[i];
        bool ours = false;

        if (e->kind != K_CRL || !e->crl || now >= e->next)
            continue;
        for (int j = 0; !ours && j < sk_X509_num(chain); j++)
            ours = !X509_NAME_cmp(X509_CRL_get_issuer(e->crl),
                                  X509_get_subject_name(sk_X509_value(chain, j)));
        if (ours && sk_X509_CRL_push(out, e->crl))
            X509_CRL_up_ref(e->crl);
    }
    return out;
}

const char *ike_revoc_crl_uri(struct ike_revoc *rv, const X509_CRL *crl)
{
    for (size_t i = 0; rv && i < rv->n; i++)
        if (rv->e[i]->crl == crl)
            return rv->e[i]->uri;
    return NULL;
}

bool ike_revoc_why(struct ike_revoc *rv, X509 *cert, X509 *issuer, char *buf, size_t len)
{
    char uri[IKE_REVOC_URI_MAX];
    size_t at = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < rv->n; i++) {
        struct entry *e = rv->e[i];
        bool mine = false;

        if (!e->failed)
            continue;
        for (int k = 0; !mine && uri_of(rv, cert, issuer, e->kind, k, uri); k++)
            mine = !strcmp(uri, e->uri);
        if (mine && at < len)
            at += (size_t)snprintf(buf + at, len - at, "%sno %s could be fetched from %s: %s",
                                   at ? "; " : "", e->kind == K_CRL ? "CRL" : "OCSP status", e->uri,
                                   e->why);
    }
    return at > 0;
}
