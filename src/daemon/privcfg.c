/* SPDX-License-Identifier: MIT */
#include "privcfg.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Sizes first: a parent and child of different builds must not
 * misread each other (they are one binary, so this is a seatbelt). */
struct head {
    uint32_t magic, cfg_size, manual_size, conn_size, cert_size, auth_size;
    uint64_t n_manual, n_conns, n_certs, der_len, n_auth;
};

#define MAGIC 0x75636667u /* "ucfg" */

enum dir { GET, PUT };

/* n bytes at *at, read into p (GET) or written from it (PUT): a short
 * transfer goes on, end of file or an error fails. */
static bool xfer(int fd, enum dir dir, void *p, size_t n, off_t *at)
{
    uint8_t *b = p;

    while (n > 0) {
        ssize_t k = dir == PUT ? pwrite(fd, b, n, *at) : pread(fd, b, n, *at);

        if (k <= 0)
            return false;
        b += k;
        n -= (size_t)k;
        *at += k;
    }
    return true;
}

size_t privcfg_write(int fd, const struct cfg *cfg)
{
    struct head h = {MAGIC,
                     sizeof(struct cfg),
                     sizeof(struct cfg_manual),
                     sizeof(struct cfg_conn),
                     sizeof(struct cfg_cert),
                     sizeof(struct cfg_authority),
                     cfg->n_manual,
                     cfg->n_ike_conns,
                     cfg->n_certs,
                     cfg->cert_der_len,
                     cfg->n_authorities};
    struct cfg flat = *cfg;
    off_t at = 0;
    bool ok;

    flat.manual = NULL;
    flat.ike_conns = NULL;
    flat.secrets = NULL;
    flat.n_secrets = 0;
    flat.certs = NULL;
    flat.cert_der = NULL;
    flat.keys = NULL;
    flat.n_keys = 0;
    flat.key_secrets = NULL;
    flat.n_key_secrets = 0;
    flat.authorities = NULL;
    ok = ftruncate(fd, 0) == 0 && xfer(fd, PUT, &h, sizeof(h), &at) &&
         xfer(fd, PUT, &flat, sizeof(flat), &at) &&
         xfer(fd, PUT, cfg->manual, cfg->n_manual * sizeof(*cfg->manual), &at) &&
         xfer(fd, PUT, cfg->ike_conns, cfg->n_ike_conns * sizeof(*cfg->ike_conns), &at) &&
         xfer(fd, PUT, cfg->certs, cfg->n_certs * sizeof(*cfg->certs), &at) &&
         xfer(fd, PUT, cfg->cert_der, cfg->cert_der_len, &at) &&
         xfer(fd, PUT, cfg->authorities, cfg->n_authorities * sizeof(*cfg->authorities), &at);
    OPENSSL_cleanse(&flat, sizeof(flat));
    return ok ? (size_t)at : 0;
}

/* The parent is trusted, but a bad offset would read outside the blob. */
static bool certs_in_bounds(const struct cfg *cfg)
{
    for (size_t i = 0; i < cfg->n_certs; i++)
        if (cfg->certs[i].off > cfg->cert_der_len ||
            cfg->certs[i].len > cfg->cert_der_len - cfg->certs[i].off)
            return false;
    for (size_t i = 0; i < cfg->n_authorities; i++)
        if (cfg->authorities[i].cert < 0 || (size_t)cfg->authorities[i].cert >= cfg->n_certs ||
            cfg->authorities[i].n_crl > CFG_AUTHORITY_URIS ||
            cfg->authorities[i].n_ocsp > CFG_AUTHORITY_URIS)
            return false;
    return true;
}

int privcfg_read(int fd, size_t len, struct cfg *out, char *err, size_t err_len)
{
    struct head h;
    off_t at = 0;

    memset(out, 0, sizeof(*out));
    if (!xfer(fd, GET, &h, sizeof(h), &at) || h.magic != MAGIC ||
        h.cfg_size != sizeof(struct cfg) || h.manual_size != sizeof(struct cfg_manual) ||
        h.conn_size != sizeof(struct cfg_conn) || h.cert_size != sizeof(struct cfg_cert) ||
        h.auth_size != sizeof(struct cfg_authority) || h.n_auth > CFG_MAX_AUTHORITIES ||
        h.n_manual > len / sizeof(struct cfg_manual) || h.n_conns > len / sizeof(struct cfg_conn) ||
        h.n_certs > CFG_MAX_CERTS || h.der_len > CFG_CERT_DER_MAX ||
        len != sizeof(h) + sizeof(struct cfg) + h.n_manual * sizeof(struct cfg_manual) +
                   h.n_conns * sizeof(struct cfg_conn) + h.n_certs * sizeof(struct cfg_cert) +
                   h.der_len + h.n_auth * sizeof(struct cfg_authority) ||
        !xfer(fd, GET, out, sizeof(*out), &at))
        goto bad;
    out->manual = calloc(h.n_manual + 1, sizeof(*out->manual));
    out->ike_conns = calloc(h.n_conns + 1, sizeof(*out->ike_conns));
    out->certs = calloc(h.n_certs + 1, sizeof(*out->certs));
    out->cert_der = malloc(h.der_len + 1);
    out->authorities = calloc(h.n_auth + 1, sizeof(*out->authorities));
    out->n_authorities = h.n_auth;
    out->secrets = NULL;
    out->n_secrets = 0;
    out->keys = NULL;
    out->n_keys = 0;
    out->key_secrets = NULL;
    out->n_key_secrets = 0;
    out->n_manual = h.n_manual;
    out->n_ike_conns = h.n_conns;
    out->n_certs = h.n_certs;
    out->cert_der_len = h.der_len;
    if (out->manual && out->ike_conns && out->certs && out->cert_der && out->authorities &&
        xfer(fd, GET, out->manual, h.n_manual * sizeof(*out->manual), &at) &&
        xfer(fd, GET, out->ike_conns, h.n_conns * sizeof(*out->ike_conns), &at) &&
        xfer(fd, GET, out->certs, h.n_certs * sizeof(*out->certs), &at) &&
        xfer(fd, GET, out->cert_der, h.der_len, &at) &&
        xfer(fd, GET, out->authorities, h.n_auth * sizeof(*out->authorities), &at) &&
        certs_in_bounds(out))
        return 0;
    cfg_free(out);
bad:
    memset(out, 0, sizeof(*out));
    snprintf(err, err_len, "the configuration from the privileged parent is malformed");
    return -1;
}

void privcfg_strip(struct cfg *cfg, uint32_t (*ids)(void *arg, const uint8_t *psk, size_t len),
                   uint32_t (*key_ids)(void *arg, EVP_PKEY *key), void *arg)
{
    for (size_t i = 0; i < cfg->n_ike_conns; i++) {
        struct cfg_conn *c = &cfg->ike_conns[i];

        if (c->key >= 0 && (size_t)c->key < cfg->n_keys)
            c->key = (int32_t)key_ids(arg, cfg->keys[c->key].key);
        else
            c->key = -1;
    }
    for (size_t i = 0; i < cfg->n_keys; i++)
        EVP_PKEY_free(cfg->keys[i].key);
    free(cfg->keys);
    cfg->keys = NULL;
    cfg->n_keys = 0;
    if (cfg->key_secrets)
        OPENSSL_cleanse(cfg->key_secrets, cfg->n_key_secrets * sizeof(*cfg->key_secrets));
    free(cfg->key_secrets);
    cfg->key_secrets = NULL;
    cfg->n_key_secrets = 0;
    for (size_t i = 0; i < cfg->n_ike_conns; i++) {
        struct cfg_conn *c = &cfg->ike_conns[i];

        c->psk_id = c->psk_len ? ids(arg, c->psk, c->psk_len) : UINT32_MAX;
        OPENSSL_cleanse(c->psk, sizeof(c->psk));
        c->psk_len = 0;
    }
    if (cfg->secrets) {
        OPENSSL_cleanse(cfg->secrets, cfg->n_secrets * sizeof(*cfg->secrets));
        free(cfg->secrets);
    }
    cfg->secrets = NULL;
    cfg->n_secrets = 0;
}
