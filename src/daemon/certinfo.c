/* SPDX-License-Identifier: MIT */
/* What a loaded certificate says, as people read it (certinfo.h). */
#include "certinfo.h"

#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ident.h"
#include "ike_wire.h"

void certset_load(struct certset *s, const struct cfg *cfg)
{
    s->n = 0;
    for (size_t i = 0; i < cfg->n_certs && i < CFG_MAX_CERTS; i++) {
        size_t len;
        const uint8_t *der = creds_der(cfg, (int)i, &len);

        s->x[s->n++] = d2i_X509(NULL, &der, (long)len);
    }
}

void certset_free(struct certset *s)
{
    for (size_t i = 0; i < s->n; i++)
        X509_free(s->x[i]);
    s->n = 0;
}

void cert_dn(const X509_NAME *name, char *buf, size_t len)
{
    struct ike_id id = {.type = IKE_ID_DER_ASN1_DN};
    unsigned char *p = id.data;
    int n = i2d_X509_NAME(name, NULL);

    if (n > 0 && n <= IKE_ID_MAX && i2d_X509_NAME(name, &p) == n) {
        id.len = (uint8_t)n;
        ike_id_print(&id, buf, len);
    } else { /* longer than an IKE id can be: OpenSSL's own one-line form */
        X509_NAME_oneline(name, buf, (int)(len < 1024 ? len : 1024));
    }
}

void cert_time(const ASN1_TIME *t, char *buf, size_t len)
{
    struct tm tm;

    /* not strftime: no time zone is looked up in the sandbox */
    if (t && ASN1_TIME_to_tm(t, &tm))
        snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    else
        snprintf(buf, len, "?");
}

long cert_days_left(const X509 *x, time_t now)
{
    int days = 0, secs = 0;
    ASN1_TIME *from = ASN1_TIME_set(NULL, now);

    if (!from || !ASN1_TIME_diff(&days, &secs, from, X509_get0_notAfter(x)))
        days = 0;
    ASN1_TIME_free(from);
    /* ASN1_TIME_diff gives days and seconds of the same sign */
    return days - (days <= 0 && secs < 0);
}

bool cert_expired(const X509 *x, time_t now)
{
    return X509_cmp_time(X509_get0_notAfter(x), &now) < 0;
}

void cert_key(const X509 *x, char *buf, size_t len)
{
    EVP_PKEY *k = X509_get0_pubkey(x);
    char group[64] = "";
    size_t glen = 0;
    int id = k ? EVP_PKEY_get_base_id(k) : 0;

    if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS)
        snprintf(buf, len, "%s %d", id == EVP_PKEY_RSA ? "RSA" : "RSA-PSS", EVP_PKEY_get_bits(k));
    else if (id == EVP_PKEY_EC && EVP_PKEY_get_group_name(k, group, sizeof group, &glen))
        snprintf(buf, len, "ECDSA %s",
                 !strcmp(group, "prime256v1")  ? "P-256"
                 : !strcmp(group, "secp384r1") ? "P-384"
                 : !strcmp(group, "secp521r1") ? "P-521"
                                               : group);
    else if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448)
        snprintf(buf, len, "%s", id == EVP_PKEY_ED25519 ? "Ed25519" : "Ed448");
    else
        snprintf(buf, len, "%s", k ? OBJ_nid2sn(id) : "?");
}

static void hex(const unsigned char *p, size_t n, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 4 <= len; i++)
        used += (size_t)snprintf(buf + used, len - used, i ? ":%02x" : "%02x", p[i]);
}

void cert_serial(const X509 *x, char *buf, size_t len)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    unsigned char b[64];
    int n = bn && BN_num_bytes(bn) <= (int)sizeof b ? BN_bn2bin(bn, b) : -1;

    if (n == 0) /* serial 0 */
        b[n++] = 0;
    if (n > 0)
        hex(b, (size_t)n, buf, len);
    else
        snprintf(buf, len, "?");
    BN_free(bn);
}

void cert_sha256(const X509 *x, char *buf, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;

    if (X509_digest(x, EVP_sha256(), md, &n))
        hex(md, n, buf, len);
    else
        snprintf(buf, len, "?");
}

/* Bytes as ike_id_print shows an FQDN: what a terminal would obey escaped. */
static void text_id(uint8_t type, const unsigned char *p, int n, char *buf, size_t len)
{
    struct ike_id id = {.type = type};

    id.len = (uint8_t)(n < IKE_ID_MAX ? n : IKE_ID_MAX);
    memcpy(id.data, p, id.len);
    ike_id_print(&id, buf, len);
}

/* One GENERAL_NAME as text, or false for kinds not shown. */
static bool san_text(const GENERAL_NAME *g, char *buf, size_t len)
{
    const ASN1_STRING *s = g->d.ia5;

    if (g->type == GEN_IPADD && (g->d.ip->length == 4 || g->d.ip->length == 16)) {
        text_id(g->d.ip->length == 4 ? IKE_ID_IPV4_ADDR : IKE_ID_IPV6_ADDR, g->d.ip->data,
                g->d.ip->length, buf, len);
        return true;
    }
    if (g->type != GEN_DNS && g->type != GEN_EMAIL && g->type != GEN_URI)
        return false;
    text_id(IKE_ID_FQDN, s->data, s->length, buf, len);
    return true;
}

void cert_sans(const X509 *x, void (*fn)(void *arg, const char *san), void *arg)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    char text[300];

    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++)
        if (san_text(sk_GENERAL_NAME_value(names, i), text, sizeof text))
            fn(arg, text);
    GENERAL_NAMES_free(names);
}
