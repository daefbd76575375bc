/* SPDX-License-Identifier: MIT */
#include "creds.h"

#include <dirent.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "settings.h"
#include "value.h"

#define FAIL(c, node, ...) (settings_node_error(node, (c)->err, (c)->err_len, __VA_ARGS__), -1)
#define FAIL_FILE(c, ...)  (snprintf((c)->err, (c)->err_len, __VA_ARGS__), -1)

static const char *const key_dirs[] = {"private", "rsa", "ecdsa", "pkcs8"};

/* name as swanctl resolves it: absolute, or in sub/ beside the
 * configuration.  False if the path does not fit. */
static bool resolve(const struct cfg *cfg, const char *sub, const char *name, char *out, size_t len)
{
    int n = name[0] == '/' ? snprintf(out, len, "%s", name)
                           : snprintf(out, len, "%s/%s/%s", cfg->conf_dir, sub, name);

    return n > 0 && (size_t)n < len;
}

/* OpenSSL's reason for the last failure, for a person. */
static const char *ssl_why(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;

    return r ? r : "not PEM or DER";
}

/* Adds one certificate or CRL (once: the same DER again only gains
 * trust).  The index, or -1 when the table is full. */
static int add_der(struct cfg *cfg, const char *path, unsigned char *der, int len, bool ca,
                   bool crl)
{
    int idx = -1;

    for (size_t i = 0; len > 0 && i < cfg->n_certs && idx < 0; i++)
        if (cfg->certs[i].len == (uint32_t)len &&
            !memcmp(cfg->cert_der + cfg->certs[i].off, der, (size_t)len))
            idx = (int)i, cfg->certs[i].ca |= ca;
    if (idx < 0 && len > 0 && cfg->n_certs < CFG_MAX_CERTS &&
        cfg->cert_der_len + (size_t)len <= CFG_CERT_DER_MAX) {
        uint8_t *grown = realloc(cfg->cert_der, cfg->cert_der_len + (size_t)len);
        struct cfg_cert *certs = realloc(cfg->certs, (cfg->n_certs + 1) * sizeof(*certs));

        if (grown)
            cfg->cert_der = grown;
        if (certs)
            cfg->certs = certs;
        if (grown && certs) {
            struct cfg_cert *c = &cfg->certs[cfg->n_certs];

            memset(c, 0, sizeof(*c));
            snprintf(c->path, sizeof(c->path), "%s", path);
            c->off = (uint32_t)cfg->cert_der_len;
            c->len = (uint32_t)len;
            c->ca = ca;
            c->crl = crl;
            memcpy(cfg->cert_der + cfg->cert_der_len, der, (size_t)len);
            cfg->cert_der_len += (size_t)len;
            idx = (int)cfg->n_certs++;
        }
    }
    OPENSSL_free(der);
    return idx;
}

static int add_cert(struct cfg *cfg, const char *path, X509 *x, bool ca)
{
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der); /* before der is passed on */

    return add_der(cfg, path, der, len, ca, false);
}

/* Adds crl and frees it. */
static int add_crl(struct cfg *cfg, const char *path, X509_CRL *crl)
{
    unsigned char *der = NULL;
    int len = i2d_X509_CRL(crl, &der);

    X509_CRL_free(crl);
    return add_der(cfg, path, der, len, false, true);
}

/* Every CRL of a PEM file, or the one of a DER file: 0, or -1 with why. */
static int load_crl_file(struct cfg *cfg, const char *path, char *why, size_t wlen)
{
    BIO *b = BIO_new_file(path, "rb");
    X509_CRL *crl;
    int n = 0, bad = 0;

    ERR_clear_error();
    if (!b)
        return snprintf(why, wlen, "cannot open it"), -1;
    while ((crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL))) {
        bad |= add_crl(cfg, path, crl) < 0;
        n++;
    }
    if (n == 0 && BIO_reset(b) == 0 && (crl = d2i_X509_CRL_bio(b, NULL))) {
        bad |= add_crl(cfg, path, crl) < 0;
        n++;
    }
    BIO_free(b);
    ERR_clear_error();
    if (n == 0)
        return snprintf(why, wlen, "not a CRL in PEM or DER"), -1;
    return bad ? snprintf(why, wlen, "too many certificates and CRLs"), -1 : 0;
}

/* Every certificate of a PEM file, or the one of a DER file: the index
 * of the first, or -1 with why. */
static int load_cert_file(struct cfg *cfg, const char *path, bool ca, char *why, size_t wlen)
{
    BIO *b = BIO_new_file(path, "rb");
    X509 *x;
    int first = -1, n = 0;

    ERR_clear_error();
    if (!b)
        return snprintf(why, wlen, "cannot open it"), -1;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        int i = add_cert(cfg, path, x, ca); /* a bundle in x509ca/ trusts all */

        X509_free(x);
        if (i < 0) {
            first = -1;
            snprintf(why, wlen, "too many certificates (at most %d, %u bytes in all)",
                     CFG_MAX_CERTS, CFG_CERT_DER_MAX);
            break;
        }
        first = n++ ? first : i;
    }
    if (n == 0 && BIO_reset(b) == 0 && (x = d2i_X509_bio(b, NULL))) {
        if ((first = add_cert(cfg, path, x, ca)) < 0)
            snprintf(why, wlen, "too many certificates");
        X509_free(x);
    } else if (n == 0) {
        snprintf(why, wlen, "not a certificate in PEM or DER (%s)", ssl_why());
    }
    BIO_free(b);
    ERR_clear_error();
    return first;
}

/* Calls fn on each regular file of sub/ beside the configuration, in
 * name order (so that errors and indexes do not depend on the disk). */
static int each_file(struct value_err *c, struct cfg *cfg, const char *sub,
                     int (*fn)(struct value_err *c, struct cfg *cfg, const char *path, bool ca),
                     bool ca)
{
    char dir[CFG_CERT_PATH_LEN], path[CFG_CERT_PATH_LEN];
    struct dirent **names;
    struct stat st;
    int n, rc = 0;

    if (!cfg->conf_dir[0] || !resolve(cfg, sub, "", dir, sizeof(dir)) ||
        (n = scandir(dir, &names, NULL, alphasort)) < 0)
        return 0; /* no such directory: nothing to load */
    for (int i = 0; i < n; i++) {
        if (rc == 0 && names[i]->d_name[0] != '.' &&
            resolve(cfg, sub, names[i]->d_name, path, sizeof(path)) && stat(path, &st) == 0 &&
            S_ISREG(st.st_mode))
            rc = fn(c, cfg, path, ca);
        free(names[i]);
    }
    free(names);
    return rc;
}

static int dir_cert(struct value_err *c, struct cfg *cfg, const char *path, bool ca)
{
    char why[200];

    if (load_cert_file(cfg, path, ca, why, sizeof(why)) < 0)
        return FAIL_FILE(c, "%s: %s; remove the file from %s or fix it", path, why,
                         ca ? "x509ca/" : "x509/");
    return 0;
}

static int dir_crl(struct value_err *c, struct cfg *cfg, const char *path, bool ca)
{
    char why[200];

    (void)ca;
    if (load_crl_file(cfg, path, why, sizeof(why)) < 0)
        return FAIL_FILE(c, "%s: %s; remove the file from x509crl/ or fix it", path, why);
    return 0;
}

int creds_load_dirs(struct value_err *c, struct cfg *cfg)
{
    if (each_file(c, cfg, "x509ca", dir_cert, true) < 0 ||
        each_file(c, cfg, "x509", dir_cert, false) < 0)
        return -1;
    return each_file(c, cfg, "x509crl", dir_crl, false);
}

int creds_cert_key(struct value_err *c, const struct settings_node *n, struct cfg *cfg, bool ca,
                   int16_t *idx, uint8_t *n_idx, uint8_t max)
{
    char list[1024], path[CFG_CERT_PATH_LEN], why[200];
    char *save = NULL;

    if (value_str(c, n, list, sizeof(list)) < 0)
        return -1;
    for (char *name = strtok_r(list, ", ", &save); name; name = strtok_r(NULL, ", ", &save)) {
        int i;

        if (*n_idx == max)
            return FAIL(c, n, "%s: at most %u files", n->name, max);
        if (!resolve(cfg, ca ? "x509ca" : "x509", name, path, sizeof(path)))
            return FAIL(c, n, "%s = %s: the path is too long", n->name, name);
        if ((i = load_cert_file(cfg, path, ca, why, sizeof(why))) < 0)
            return FAIL(c, n,
                        "%s = %s: %s: %s; put the certificate in %s/ beside the "
                        "configuration, or give an absolute path",
                        n->name, name, path, why, ca ? "x509ca" : "x509");
        idx[(*n_idx)++] = (int16_t)i;
    }
    if (*n_idx == 0)
        return FAIL(c, n, "%s is empty; name a certificate file", n->name);
    return 0;
}

/* ---- private keys ---- */

int creds_key_secret(struct value_err *c, const struct settings_node *sec, struct cfg *cfg)
{
    struct cfg_key_secret *s, *all;
    size_t dir = 0;

    while (dir < 4 && strncmp(sec->name, key_dirs[dir], strlen(key_dirs[dir])) != 0)
        dir++;
    if (sec->value || dir == 4)
        return FAIL(c, sec, "secrets.%s must be a section: %s { file = ... secret = ... }",
                    sec->name, sec->name);
    if (!(all = realloc(cfg->key_secrets, (cfg->n_key_secrets + 1) * sizeof(*all))))
        return FAIL(c, sec, "out of memory");
    cfg->key_secrets = all;
    s = &all[cfg->n_key_secrets++];
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%s", sec->name);
    snprintf(s->dir, sizeof(s->dir), "%s", key_dirs[dir]);
    snprintf(s->where, sizeof(s->where), "%s:%u", sec->file, sec->line);
    for (const struct settings_node *n = sec->children; n; n = n->next) {
        if (!strcmp(n->name, "file")) {
            if (value_str(c, n, s->file, sizeof(s->file)) < 0)
                return -1;
        } else if (!strcmp(n->name, "secret")) {
            if (value_str(c, n, s->secret, sizeof(s->secret)) < 0)
                return -1;
        } else {
            return FAIL(c, n, "unknown key \"%s\" in secrets.%s; known: file, secret", n->name,
                        sec->name);
        }
    }
    if (!s->file[0] || !s->secret[0])
        return FAIL(c, sec, "secrets.%s: needs file = KEYFILE and secret = PASSPHRASE", sec->name);
    return 0;
}

static int pass_cb(char *buf, int size, int rwflag, void *u)
{
    const char *pass = u;
    size_t len = pass ? strlen(pass) : 0;

    (void)rwflag;
    if (!pass || len > (size_t)size)
        return -1; /* no passphrase: fail at once rather than prompt */
    memcpy(buf, pass, len);
    return (int)len;
}

/* PEM (any form OpenSSL reads: PKCS#1, SEC1, PKCS#8, encrypted or not),
 * else DER (PKCS#8, encrypted or not, or a bare key). */
static EVP_PKEY *read_key(const char *path, const char *pass)
{
    BIO *b = BIO_new_file(path, "rb");
    EVP_PKEY *k = NULL;

    if (!b)
        return NULL;
    k = PEM_read_bio_PrivateKey(b, NULL, pass_cb, (void *)pass);
    if (!k && BIO_reset(b) == 0)
        k = d2i_PKCS8PrivateKey_bio(b, NULL, pass_cb, (void *)pass);
    if (!k && BIO_reset(b) == 0)
        k = d2i_PrivateKey_bio(b, NULL);
    BIO_free(b);
    return k;
}

static const struct cfg_key_secret *secret_for(const struct cfg *cfg, const char *path)
{
    char p[CFG_CERT_PATH_LEN];

    for (size_t i = 0; i < cfg->n_key_secrets; i++)
        if (resolve(cfg, cfg->key_secrets[i].dir, cfg->key_secrets[i].file, p, sizeof(p)) &&
            !strcmp(p, path))
            return &cfg->key_secrets[i];
    return NULL;
}

static int add_key(struct value_err *c, struct cfg *cfg, const char *path, bool ca)
{
    const struct cfg_key_secret *s = secret_for(cfg, path);
    struct cfg_key *keys;
    EVP_PKEY *k;

    (void)ca;
    for (size_t i = 0; i < cfg->n_keys; i++)
        if (!strcmp(cfg->keys[i].path, path))
            return 0;
    ERR_clear_error();
    if (!(k = read_key(path, s ? s->secret : NULL))) {
        ERR_clear_error();
        if (s)
            return FAIL_FILE(c, "%s: cannot read the private key with the passphrase of %s (%s)",
                             path, s->name, s->where);
        return FAIL_FILE(c,
                         "%s: cannot read the private key; if it is encrypted, add secrets { "
                         "private-NAME { file = %s  secret = PASSPHRASE } }",
                         path, path);
    }
    if (cfg->n_keys == CFG_MAX_KEYS ||
        !(keys = realloc(cfg->keys, (cfg->n_keys + 1) * sizeof(*keys)))) {
        EVP_PKEY_free(k);
        return FAIL_FILE(c, "%s: too many private keys (at most %d)", path, CFG_MAX_KEYS);
    }
    cfg->keys = keys;
    snprintf(keys[cfg->n_keys].path, sizeof(keys[0].path), "%s", path);
    keys[cfg->n_keys++].key = k;
    return 0;
}

int creds_load_keys(struct value_err *c, struct cfg *cfg)
{
    char path[CFG_CERT_PATH_LEN];

    for (size_t i = 0; i < cfg->n_key_secrets; i++) {
        const struct cfg_key_secret *s = &cfg->key_secrets[i];

        if (!resolve(cfg, s->dir, s->file, path, sizeof(path)))
            return FAIL_FILE(c, "%s: secrets.%s: file = %s: the path is too long", s->where,
                             s->name, s->file);
        if (add_key(c, cfg, path, false) < 0)
            return -1;
    }
    for (size_t d = 0; d < 4; d++)
        if (each_file(c, cfg, key_dirs[d], add_key, false) < 0)
            return -1;
    return 0;
}

const uint8_t *creds_der(const struct cfg *cfg, int cert, size_t *len)
{
    *len = cfg->certs[cert].len;
    return cfg->cert_der + cfg->certs[cert].off;
}

int creds_key_of(const struct cfg *cfg, int cert)
{
    size_t len;
    const uint8_t *der = creds_der(cfg, cert, &len);
    X509 *x = d2i_X509(NULL, &der, (long)len);
    EVP_PKEY *pub = x ? X509_get0_pubkey(x) : NULL;
    int found = -1;

    for (size_t i = 0; pub && i < cfg->n_keys && found < 0; i++)
        if (EVP_PKEY_eq(pub, cfg->keys[i].key) == 1)
            found = (int)i;
    X509_free(x);
    return found;
}

void creds_free(struct cfg *cfg)
{
    for (size_t i = 0; i < cfg->n_keys; i++)
        EVP_PKEY_free(cfg->keys[i].key);
    free(cfg->keys);
    if (cfg->key_secrets)
        OPENSSL_cleanse(cfg->key_secrets, cfg->n_key_secrets * sizeof(*cfg->key_secrets));
    free(cfg->key_secrets);
    free(cfg->certs);
    free(cfg->cert_der);
    cfg->keys = NULL;
    cfg->key_secrets = NULL;
    cfg->certs = NULL;
    cfg->cert_der = NULL;
    cfg->n_keys = cfg->n_key_secrets = cfg->n_certs = cfg->cert_der_len = 0;
}
