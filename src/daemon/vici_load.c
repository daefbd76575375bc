/* SPDX-License-Identifier: MIT */
/*
 * VICI's load-conn (what swanctl --load-conns and --load-all send), read
 * with uipsecd's own configuration code: the message's sections become a
 * settings tree (a connections section holding them; a list becomes the
 * comma-separated value the file would hold), and cfg_ike_connections
 * gives it meaning, so a key uipsecd does not support is refused naming
 * the key, as at startup.
 *
 * uipsecd's connections and their secrets come from its configuration
 * file: the secrets live in the privileged process only, which this one
 * cannot hand new ones.  So a connection that is exactly one configured
 * already is accepted (swanctl --load-all with the file uipsecd reads
 * succeeds), and any other valid one is refused, saying where it belongs.
 */
#include <limits.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_ike.h"
#include "daemon.h"
#include "settings.h"
#include "value.h"
#include "vici_int.h"
#include "vici_tree.h"

/* The configured connection called name, or NULL. */
static const struct cfg_conn *configured(const struct daemon *d, const char *name)
{
    for (size_t i = 0; i < d->cfg.n_ike_conns; i++)
        if (!strcmp(d->cfg.ike_conns[i].name, name))
            return &d->cfg.ike_conns[i];
    return NULL;
}

/* Whether c is cur but for what the configuration file adds beyond the
 * connection's own section (its secret and key, which load-shared and
 * load-key would carry) and the proposals' text (swanctl sends the list
 * items, not the spacing the file has: the parsed proposals compare). */
static bool same_as_configured(struct cfg_conn *c, const struct cfg_conn *cur)
{
    memcpy(c->ike_text, cur->ike_text, sizeof c->ike_text);
    for (size_t k = 0; k < CFG_MAX_CHILDREN; k++)
        memcpy(c->children[k].esp_text, cur->children[k].esp_text, sizeof c->children[k].esp_text);
    memcpy(c->psk, cur->psk, sizeof c->psk);
    c->psk_len = cur->psk_len;
    c->psk_id = cur->psk_id;
    c->key = cur->key;
    return cfg_conn_equal(c, cur);
}

void vici_load_conn(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    struct cfg tmp = {0};
    struct value_err ve;
    struct settings_node *root;
    char err[600];

    snprintf(tmp.conf_dir, sizeof tmp.conf_dir, "%s", v->d->cfg.conf_dir);
    ve = (struct value_err){err, sizeof err};
    if (!(root = vici_tree(msg, len, err, sizeof err)) ||
        cfg_ike_connections(&ve, settings_child(root, "connections"), &tmp) < 0) {
        settings_free(root);
        cfg_free(&tmp);
        vici_fail(v, c, "%s", err);
        return;
    }
    settings_free(root);
    for (size_t i = 0; i < tmp.n_ike_conns; i++) {
        const struct cfg_conn *cur = configured(v->d, tmp.ike_conns[i].name);

        if (!cur || !same_as_configured(&tmp.ike_conns[i], cur)) {
            vici_fail(v, c,
                      "connection '%s' is valid, but uipsecd takes %s connections only from its "
                      "configuration file (%s): put it there, then swanctl --reload-settings",
                      tmp.ike_conns[i].name, cur ? "changed" : "new", v->d->config_path);
            cfg_free(&tmp);
            return;
        }
    }
    cfg_free(&tmp);
    vici_ok(v, c);
}

void vici_unload_conn(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    char name[256];

    if (!vici_find(msg, len, "name", name, sizeof name))
        vici_fail(v, c, "unload-conn needs name = NAME");
    else if (!configured(v->d, name))
        vici_fail(v, c, "unload: connection '%s' not found", name);
    else
        vici_fail(v, c,
                  "connection '%s' comes from uipsecd's configuration file (%s): remove it "
                  "there, then swanctl --reload-settings",
                  name, v->d->config_path);
}

/* ---- certificates and authorities ---- */

/* The certificate in p (DER or PEM, as swanctl sends a file) as DER:
 * length and *der (OPENSSL_free), or 0. */
static int cert_der(const uint8_t *p, size_t n, uint8_t **der)
{
    const unsigned char *q = p;
    X509 *x = n <= LONG_MAX ? d2i_X509(NULL, &q, (long)n) : NULL;
    int len;

    if (!x && n <= INT_MAX) {
        BIO *b = BIO_new_mem_buf(p, (int)n);

        x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
    }
    *der = NULL;
    len = x ? i2d_X509(x, der) : 0;
    X509_free(x);
    return len > 0 ? len : 0;
}

/* The configured certificate with these bytes, or -1. */
static int loaded_cert(const struct cfg *cfg, const uint8_t *p, size_t n)
{
    uint8_t *der;
    int len = cert_der(p, n, &der), found = -1;

    for (size_t i = 0; len && i < cfg->n_certs && found < 0; i++)
        if (cfg->certs[i].len == (uint32_t)len &&
            !memcmp(cfg->cert_der + cfg->certs[i].off, der, (size_t)len))
            found = (int)i;
    OPENSSL_free(der);
    return found;
}

/* load-cert of a certificate uipsecd has loaded already (x509/, x509ca/):
 * accepted, as load-conn of a configured connection. */
void vici_load_cert(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    const uint8_t *data;
    size_t n;

    if (vici_find_raw(msg, len, "data", &data, &n) && loaded_cert(&v->d->cfg, data, n) >= 0)
        vici_ok(v, c);
    else
        vici_fail(v, c,
                  "uipsecd takes certificates only from x509/, x509ca/ and x509crl/ beside its "
                  "configuration file (in %s), and this one is not there",
                  v->d->cfg.conf_dir);
}

/* Whether the list named key in the section matches uris[0, n). */
static bool same_uris(uint8_t *sec, size_t len, const char *key, const char (*uris)[CFG_URI_LEN],
                      size_t n)
{
    struct vici_reader r;
    struct vici_elem e;
    char err[80];
    size_t k = 0;
    bool in = false, seen = false;

    vici_reader_init(&r, sec, len);
    while (vici_next(&r, &e, err, sizeof err) > 0) {
        if (e.type == VICI_LIST_START)
            seen |= in = e.name_len == strlen(key) && !memcmp(e.name, key, e.name_len);
        else if (e.type == VICI_LIST_END)
            in = false;
        else if (in && e.type == VICI_LIST_ITEM &&
                 (k >= n || strlen(uris[k]) != e.value_len ||
                  memcmp(uris[k++], e.value, e.value_len)))
            return false;
    }
    return seen ? k == n : n == 0;
}

/* load-authority of a configured authorities section, the same: accepted. */
void vici_load_authority(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    const struct cfg *cfg = &v->d->cfg;
    struct vici_reader r;
    struct vici_elem e;
    char err[80], name[65] = "";
    const uint8_t *ca = NULL;
    size_t ca_len = 0;

    vici_reader_init(&r, msg, len);
    while (vici_next(&r, &e, err, sizeof err) > 0) {
        if (e.type == VICI_SECTION_START && r.depth == 1 && e.name_len < sizeof name)
            memcpy(name, e.name, e.name_len), name[e.name_len] = '\0';
        if (e.type == VICI_KEY_VALUE && r.depth == 1 && e.name_len == 6 &&
            !memcmp(e.name, "cacert", 6))
            ca = e.value, ca_len = e.value_len;
    }
    for (size_t i = 0; i < cfg->n_authorities; i++) {
        const struct cfg_authority *a = &cfg->authorities[i];

        if (!strcmp(a->name, name) && ca && loaded_cert(cfg, ca, ca_len) == a->cert &&
            same_uris(msg, len, "crl_uris", a->crl, a->n_crl) &&
            same_uris(msg, len, "ocsp_uris", a->ocsp, a->n_ocsp)) {
            vici_ok(v, c);
            return;
        }
    }
    vici_fail(v, c,
              "authority '%s': uipsecd takes authorities only from its configuration file (%s), "
              "and it holds none the same",
              name, v->d->config_path);
}

/* ---- credentials ---- */

/* uipsecd's secrets and private keys live in its privileged process,
 * which takes them from the configuration file only: nothing is loaded
 * over VICI, so the lists of what was are empty and loads are refused
 * saying where the credential belongs. */
void vici_load_cred(struct vici *v, struct vici_client *c, const char *cmd, uint8_t *msg,
                    size_t len)
{
    char id[256] = "";

    vici_find(msg, len, "id", id, sizeof id);
    if (!strcmp(cmd, "load-shared"))
        vici_fail(v, c,
                  "uipsecd keeps pre-shared keys in its privileged process and takes them only "
                  "from its configuration file (%s, section secrets)%s%s%s",
                  v->d->config_path, id[0] ? "; '" : "", id, id[0] ? "' is not loaded" : "");
    else if (!strcmp(cmd, "load-key") || !strcmp(cmd, "load-token"))
        vici_fail(v, c,
                  "uipsecd keeps private keys in its privileged process and takes them only from "
                  "private/ beside its configuration file (in %s)",
                  v->d->cfg.conf_dir);
    else
        vici_fail(v, c, "%s: not supported by uipsecd", cmd);
}

/* get-shared, get-keys, get-authorities: what VICI loaded, which is
 * nothing. */
void vici_list_loaded(struct vici *v, struct vici_client *c, const char *list)
{
    vici_begin(&v->out, VICI_CMD_RESPONSE, "");
    vici_list(&v->out, list);
    vici_list_end(&v->out);
    vici_send(v, c);
}
