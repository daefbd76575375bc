/* SPDX-License-Identifier: MIT */
/*
 * list-certs (docs/CONTROL.md): every certificate uipsecd holds, what it
 * says, its chain to a trusted CA and the connections using it.
 */
#include "control_certs.h"

#include <openssl/x509v3.h>

#include "certuse.h"
#include "config.h"

#define TEXT_LEN 1100 /* a DN, printed with escapes */

static void add_dn(cJSON *o, const char *name, const X509_NAME *dn)
{
    char text[TEXT_LEN];

    cert_dn(dn, text, sizeof text);
    cJSON_AddStringToObject(o, name, text);
}

static void add_text(cJSON *o, const char *name, const X509 *x,
                     void (*get)(const X509 *, char *, size_t))
{
    char text[200];

    get(x, text, sizeof text);
    cJSON_AddStringToObject(o, name, text);
}

static void add_time(cJSON *o, const char *name, const ASN1_TIME *t)
{
    char text[32];

    cert_time(t, text, sizeof text);
    cJSON_AddStringToObject(o, name, text);
}

static void add_san(void *arg, const char *san)
{
    cJSON_AddItemToArray(arg, cJSON_CreateString(san));
}

static void add_use(void *arg, const char *conn, enum cert_use use)
{
    cJSON *u = cJSON_CreateObject();

    cJSON_AddStringToObject(u, "connection", conn);
    cJSON_AddStringToObject(u, "as", cert_use_name(use));
    cJSON_AddItemToArray(arg, u);
}

/* "chain": subjects from the certificate to a trusted one, or
 * "chain_error" saying why there is none. */
static void add_chain(cJSON *o, const struct cfg *cfg, const struct certset *s, size_t i)
{
    const char *why = NULL;
    STACK_OF(X509) *chain = cert_chain(cfg, s, i, &why);
    cJSON *a = cJSON_AddArrayToObject(o, "chain");
    char text[TEXT_LEN];

    for (int k = 0; k < sk_X509_num(chain); k++) {
        cert_dn(X509_get_subject_name(sk_X509_value(chain, k)), text, sizeof text);
        cJSON_AddItemToArray(a, cJSON_CreateString(text));
    }
    if (!chain)
        cJSON_AddStringToObject(o, "chain_error", why);
    sk_X509_pop_free(chain, X509_free);
}

static cJSON *one_cert(const struct cfg *cfg, const struct certset *s, size_t i, time_t now)
{
    X509 *x = s->x[i];
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "file", cfg->certs[i].path);
    add_dn(o, "subject", X509_get_subject_name(x));
    add_dn(o, "issuer", X509_get_issuer_name(x));
    add_text(o, "serial", x, cert_serial);
    add_time(o, "not_before", X509_get0_notBefore(x));
    add_time(o, "not_after", X509_get0_notAfter(x));
    cJSON_AddNumberToObject(o, "expires_in_days", (double)cert_days_left(x, now));
    cJSON_AddBoolToObject(o, "expired", cert_expired(x, now));
    add_text(o, "key", x, cert_key);
    cert_sans(x, add_san, cJSON_AddArrayToObject(o, "sans"));
    cJSON_AddBoolToObject(o, "ca", X509_check_ca(x) > 0);
    cJSON_AddBoolToObject(o, "trusted", cfg->certs[i].ca);
    add_text(o, "sha256", x, cert_sha256);
    add_chain(o, cfg, s, i);
    cert_uses(cfg, i, add_use, cJSON_AddArrayToObject(o, "used_by"));
    return o;
}

cJSON *control_list_certs(const struct cfg *cfg, time_t now)
{
    cJSON *r = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(r, "certs");
    struct certset s;

    certset_load(&s, cfg);
    for (size_t i = 0; i < s.n; i++)
        if (s.x[i])
            cJSON_AddItemToArray(a, one_cert(cfg, &s, i, now));
    certset_free(&s);
    return r;
}
