/* SPDX-License-Identifier: MIT */
#include "creds.h"

#include <dirent.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
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

/* Where keys are; the last holds PKCS#12 bundles (a key and certificates). */
static const char *const key_dirs[] = {"private", "rsa", "ecdsa", "pkcs8", "pkcs12"};
#define N_KEY_DIRS 5
#define P12_DIR    4

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

/* Back to the first byte, for a second reading as DER.  BIO_reset
 * returns 0 on success for file BIOs but 1 for memory BIOs (VICI's
 * data), and a wrong test read DER certificates over VICI as nothing. */
static bool rewind_bio(BIO *b)
{
    int r = BIO_reset(b);

    return BIO_method_type(b) == BIO_TYPE_FILE ? r == 0 : r == 1;
}

/* Adds one certificate, CRL or public key, once (the same DER again
 * only gains trust); frees der.  The index, or -1 when the table is
 * full. */
static int add_entry(struct cfg *cfg, const char *path, unsigned char *der, int len,
                     struct cfg_cert kind)
{
    bool ca = kind.ca;
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
            c->crl = kind.crl;
            c->pubkey = kind.pubkey;
            memcpy(cfg->cert_der + cfg->cert_der_len, der, (size_t)len);
            cfg->cert_der_len += (size_t)len;
            idx = (int)cfg->n_certs++;
        }
    }
    OPENSSL_free(der);
    return idx;
}

static int add_der(struct cfg *cfg, const char *path, unsigned char *der, int len, bool ca,
                   bool crl)
{
    return add_entry(cfg, path, der, len, (struct cfg_cert){.ca = ca, .crl = crl});
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

/* Every CRL of PEM text, or the one of DER (b is freed): 0, or -1 with
 * why. */
static int load_crl_bio(struct cfg *cfg, BIO *b, const char *path, char *why, size_t wlen)
{
    X509_CRL *crl;
    int n = 0, bad = 0;

    if (!b)
        return snprintf(why, wlen, "cannot open it"), -1;
    while ((crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL))) {
        bad |= add_crl(cfg, path, crl) < 0;
        n++;
    }
    if (n == 0 && rewind_bio(b) && (crl = d2i_X509_CRL_bio(b, NULL))) {
        bad |= add_crl(cfg, path, crl) < 0;
        n++;
    }
    BIO_free(b);
    ERR_clear_error();
    if (n == 0)
        return snprintf(why, wlen, "not a CRL in PEM or DER"), -1;
    return bad ? snprintf(why, wlen, "too many certificates and CRLs"), -1 : 0;
}

/* Every certificate of PEM text, or the one of DER (b is freed): the
 * index of the first, or -1 with why. */
static int load_cert_bio(struct cfg *cfg, BIO *b, const char *path, bool ca, char *why, size_t wlen)
{
    X509 *x;
    int first = -1, n = 0;

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
    if (n == 0 && rewind_bio(b) && (x = d2i_X509_bio(b, NULL))) {
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

static int load_cert_file(struct cfg *cfg, const char *path, bool ca, char *why, size_t wlen)
{
    ERR_clear_error();
    return load_cert_bio(cfg, BIO_new_file(path, "rb"), path, ca, why, wlen);
}

static int load_crl_file(struct cfg *cfg, const char *path, char *why, size_t wlen)
{
    ERR_clear_error();
    return load_crl_bio(cfg, BIO_new_file(path, "rb"), path, why, wlen);
}

static int load_pubkey_bio(struct cfg *cfg, BIO *b, const char *path, char *why, size_t wlen);

static int load_pubkey_file(struct cfg *cfg, const char *path, char *why, size_t wlen)
{
    ERR_clear_error();
    return load_pubkey_bio(cfg, BIO_new_file(path, "rb"), path, why, wlen);
}

int creds_add_blob(struct cfg *cfg, const char *name, const uint8_t *p, size_t n,
                   enum creds_blob kind, char *why, size_t wlen)
{
    BIO *b = n <= INT_MAX ? BIO_new_mem_buf(p, (int)n) : NULL;

    ERR_clear_error();
    if (kind == CREDS_CRL)
        return load_crl_bio(cfg, b, name, why, wlen) < 0 ? -1 : 0;
    if (kind == CREDS_PUBKEY)
        return load_pubkey_bio(cfg, b, name, why, wlen);
    return load_cert_bio(cfg, b, name, kind == CREDS_CA, why, wlen);
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

/* x509aa/: attribute certificates (RFC 5755), strongSwan's source of
 * `groups =` membership.  OpenSSL 3.0 has no API for them and ASN.1 is not
 * decoded by hand here, so the files are not read, only named for the
 * warning (creds_aa_warning): as many names as fit, all counted. */
static int dir_aa(struct value_err *c, struct cfg *cfg, const char *path, bool ca)
{
    const char *name = strrchr(path, '/') + 1;
    size_t used = strlen(cfg->aa_files), n = strlen(name);

    (void)c;
    (void)ca;
    cfg->n_aa_files++;
    if (used + 2 + n >= sizeof(cfg->aa_files))
        return 0;
    if (used)
        cfg->aa_files[used++] = ',', cfg->aa_files[used++] = ' ';
    for (size_t i = 0; i < n; i++) /* for a log line: no control bytes */
        cfg->aa_files[used++] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
    cfg->aa_files[used] = '\0';
    cfg->n_aa_named++;
    return 0;
}

int creds_load_dirs(struct value_err *c, struct cfg *cfg)
{
    if (each_file(c, cfg, "x509ca", dir_cert, true) < 0 ||
        each_file(c, cfg, "x509", dir_cert, false) < 0 ||
        each_file(c, cfg, "x509aa", dir_aa, false) < 0)
        return -1;
    return each_file(c, cfg, "x509crl", dir_crl, false);
}

bool creds_aa_warning(const struct cfg *cfg, char *buf, size_t len)
{
    char dir[CFG_CERT_PATH_LEN], more[32] = "";

    if (!cfg->n_aa_files || !resolve(cfg, "x509aa", "", dir, sizeof(dir)))
        return false;
    if (cfg->n_aa_named < cfg->n_aa_files)
        snprintf(more, sizeof(more), " and %u more", cfg->n_aa_files - cfg->n_aa_named);
    snprintf(buf, len,
             "%s: %u file%s not used (%s%s): attribute certificates (strongSwan's groups = "
             "membership) are not supported and are ignored; remove %s to silence this",
             dir, cfg->n_aa_files, cfg->n_aa_files == 1 ? "" : "s", cfg->aa_files, more,
             cfg->n_aa_files == 1 ? "it" : "them");
    return true;
}

/* The three kinds of file a key of a local or remote section names. */
enum file_kind { CERT_FILES, CA_FILES, PUBKEY_FILES };

static const struct {
    const char *dir, *what;
} kinds[] = {{"x509", "certificate"}, {"x509ca", "certificate"}, {"pubkey", "public key"}};

static int load_kind(struct cfg *cfg, enum file_kind k, const char *path, char *why, size_t wlen)
{
    if (k == PUBKEY_FILES)
        return load_pubkey_file(cfg, path, why, wlen);
    return load_cert_file(cfg, path, k == CA_FILES, why, wlen);
}

/* "#N" for entry N, added by creds_add_blob, of the kind k wants: N, or
 * -1.  A CA reference makes the certificate trusted, as cacerts = does. */
static int blob_ref(struct cfg *cfg, enum file_kind k, const char *name)
{
    char *end;
    unsigned long i = name[0] == '#' ? strtoul(name + 1, &end, 10) : ULONG_MAX;

    if (i >= cfg->n_certs || *end || cfg->certs[i].crl ||
        cfg->certs[i].pubkey != (k == PUBKEY_FILES))
        return -1;
    cfg->certs[i].ca |= k == CA_FILES;
    return (int)i;
}

/* A comma-separated list of file names into their indexes. */
static int file_list(struct value_err *c, const struct settings_node *n, struct cfg *cfg,
                     enum file_kind k, int16_t *idx, uint8_t *n_idx, uint8_t max)
{
    char list[1024], path[CFG_CERT_PATH_LEN], why[200];
    char *save = NULL;

    if (value_str(c, n, list, sizeof(list)) < 0)
        return -1;
    for (char *name = strtok_r(list, ", ", &save); name; name = strtok_r(NULL, ", ", &save)) {
        int i;

        if (*n_idx == max)
            return FAIL(c, n, "%s: at most %u files", n->name, max);
        if (cfg->blob_refs) { /* data that came over VICI, added already */
            if ((i = blob_ref(cfg, k, name)) < 0)
                return FAIL(c, n, "%s: not a %s", n->name, kinds[k].what);
            idx[(*n_idx)++] = (int16_t)i;
            continue;
        }
        if (!resolve(cfg, kinds[k].dir, name, path, sizeof(path)))
            return FAIL(c, n, "%s = %s: the path is too long", n->name, name);
        if ((i = load_kind(cfg, k, path, why, sizeof(why))) < 0)
            return FAIL(c, n,
                        "%s = %s: %s: %s; put the %s in %s/ beside the configuration, or give "
                        "an absolute path",
                        n->name, name, path, why, kinds[k].what, kinds[k].dir);
        idx[(*n_idx)++] = (int16_t)i;
    }
    if (*n_idx == 0)
        return FAIL(c, n, "%s is empty; name a %s file", n->name, kinds[k].what);
    return 0;
}

int creds_cert_key(struct value_err *c, const struct settings_node *n, struct cfg *cfg, bool ca,
                   int16_t *idx, uint8_t *n_idx, uint8_t max)
{
    return file_list(c, n, cfg, ca ? CA_FILES : CERT_FILES, idx, n_idx, max);
}

/* ---- private keys ---- */

int creds_key_secret(struct value_err *c, const struct settings_node *sec, struct cfg *cfg)
{
    struct cfg_key_secret *s, *all;
    size_t dir = 0;

    while (dir < N_KEY_DIRS && strncmp(sec->name, key_dirs[dir], strlen(key_dirs[dir])) != 0)
        dir++;
    if (sec->value || dir == N_KEY_DIRS)
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
    if (!k && rewind_bio(b))
        k = d2i_PKCS8PrivateKey_bio(b, NULL, pass_cb, (void *)pass);
    if (!k && rewind_bio(b))
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

static bool have_key(const struct cfg *cfg, const char *path)
{
    for (size_t i = 0; i < cfg->n_keys; i++)
        if (!strcmp(cfg->keys[i].path, path))
            return true;
    return false;
}

/* Keeps k (or frees it when the table is full). */
static int keep_key(struct value_err *c, struct cfg *cfg, const char *path, EVP_PKEY *k)
{
    struct cfg_key *keys;

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

/* A PKCS#12 bundle: its key, its certificate and the CA certificates it
 * carries (as intermediates we may send, not as trust anchors). */
static int add_p12(struct value_err *c, struct cfg *cfg, const char *path, bool ca)
{
    const struct cfg_key_secret *s = secret_for(cfg, path);
    BIO *b = BIO_new_file(path, "rb");
    PKCS12 *p12 = b ? d2i_PKCS12_bio(b, NULL) : NULL;
    STACK_OF(X509) *more = NULL;
    EVP_PKEY *k = NULL;
    X509 *x = NULL;
    int rc = -1;

    (void)ca;
    BIO_free(b);
    if (have_key(cfg, path)) {
        PKCS12_free(p12);
        return 0;
    }
    if (p12 && PKCS12_parse(p12, s ? s->secret : "", &k, &x, &more) == 1 && k && x) {
        rc = add_cert(cfg, path, x, false) < 0 ? FAIL_FILE(c, "%s: too many certificates", path)
                                               : keep_key(c, cfg, path, k);
        k = NULL;
        for (int i = 0; rc == 0 && i < sk_X509_num(more); i++)
            add_cert(cfg, path, sk_X509_value(more, i), false);
    } else if (s) {
        (void)FAIL_FILE(c, "%s: cannot read the PKCS#12 bundle with the passphrase of %s (%s)",
                        path, s->name, s->where);
    } else {
        (void)FAIL_FILE(c,
                        "%s: cannot read the PKCS#12 bundle (a key and its certificate); if it is "
                        "encrypted, add secrets { pkcs12-NAME { file = %s  secret = PASSPHRASE } }",
                        path, path);
    }
    EVP_PKEY_free(k);
    X509_free(x);
    sk_X509_pop_free(more, X509_free);
    PKCS12_free(p12);
    ERR_clear_error();
    return rc;
}

static int add_key(struct value_err *c, struct cfg *cfg, const char *path, bool ca)
{
    const struct cfg_key_secret *s = secret_for(cfg, path);
    EVP_PKEY *k;

    (void)ca;
    if (have_key(cfg, path))
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
    return keep_key(c, cfg, path, k);
}

int creds_load_keys(struct value_err *c, struct cfg *cfg)
{
    char path[CFG_CERT_PATH_LEN];

    for (size_t i = 0; i < cfg->n_key_secrets; i++) {
        const struct cfg_key_secret *s = &cfg->key_secrets[i];

        if (!resolve(cfg, s->dir, s->file, path, sizeof(path)))
            return FAIL_FILE(c, "%s: secrets.%s: file = %s: the path is too long", s->where,
                             s->name, s->file);
        if ((strcmp(s->dir, key_dirs[P12_DIR]) ? add_key : add_p12)(c, cfg, path, false) < 0)
            return -1;
    }
    for (size_t d = 0; d < N_KEY_DIRS; d++)
        if (each_file(c, cfg, key_dirs[d], d == P12_DIR ? add_p12 : add_key, false) < 0)
            return -1;
    return 0;
}

const uint8_t *creds_der(const struct cfg *cfg, int cert, size_t *len)
{
    *len = cfg->certs[cert].len;
    return cfg->cert_der + cfg->certs[cert].off;
}

EVP_PKEY *creds_public(const struct cfg *cfg, int i)
{
    size_t len;
    const uint8_t *der = creds_der(cfg, i, &len);
    X509 *x;
    EVP_PKEY *k = NULL;

    if (cfg->certs[i].pubkey)
        return d2i_PUBKEY(NULL, &der, (long)len);
    if (cfg->certs[i].crl || !(x = d2i_X509(NULL, &der, (long)len)))
        return NULL;
    k = X509_get_pubkey(x); /* a reference of its own */
    X509_free(x);
    return k;
}

int creds_key_of(const struct cfg *cfg, int i)
{
    EVP_PKEY *pub = creds_public(cfg, i);
    int found = -1;

    for (size_t k = 0; pub && k < cfg->n_keys && found < 0; k++)
        if (EVP_PKEY_eq(pub, cfg->keys[k].key) == 1)
            found = (int)k;
    EVP_PKEY_free(pub);
    return found;
}

/* One public key file (PEM "PUBLIC KEY", PEM "RSA PUBLIC KEY", or DER
 * SubjectPublicKeyInfo): its index, or -1 with why. */
static int load_pubkey_bio(struct cfg *cfg, BIO *b, const char *path, char *why, size_t wlen)
{
    OSSL_DECODER_CTX *dctx;
    EVP_PKEY *k = NULL;
    unsigned char *der = NULL;
    int len, i;

    if (!b)
        return snprintf(why, wlen, "cannot open it"), -1;
    /* OpenSSL's decoders: SubjectPublicKeyInfo or PKCS#1, PEM or DER */
    dctx = OSSL_DECODER_CTX_new_for_pkey(&k, NULL, NULL, NULL, EVP_PKEY_PUBLIC_KEY, NULL, NULL);
    if (dctx && OSSL_DECODER_from_bio(dctx, b) != 1) {
        EVP_PKEY_free(k);
        k = NULL;
    }
    OSSL_DECODER_CTX_free(dctx);
    BIO_free(b);
    ERR_clear_error();
    if (!k)
        return snprintf(why, wlen, "not a public key in PEM or DER"), -1;
    len = i2d_PUBKEY(k, &der);
    EVP_PKEY_free(k);
    if ((i = add_entry(cfg, path, der, len, (struct cfg_cert){.pubkey = true})) < 0)
        snprintf(why, wlen, "too many certificates and keys");
    return i;
}

int creds_pubkey_key(struct value_err *c, const struct settings_node *n, struct cfg *cfg,
                     int16_t *idx, uint8_t *n_idx, uint8_t max)
{
    return file_list(c, n, cfg, PUBKEY_FILES, idx, n_idx, max);
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
