/* SPDX-License-Identifier: MIT */
/*
 * VICI's loading commands (what swanctl --load-all sends): connections,
 * certificates, authorities, pre-shared keys and private keys, kept by
 * vici_store.c and laid over the configuration file's.  A connection is
 * read by uipsecd's own configuration code (vici_tree.c gives the message
 * the shape of a file), so a key uipsecd does not support is refused
 * naming the key, as at startup.  A PSK or private key goes to the
 * privileged parent at once and is wiped here, in the message too.
 */
#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_ike.h"
#include "daemon.h"
#include "ike.h"
#include "log.h"
#include "privclient.h"
#include "settings.h"
#include "value.h"
#include "vici_int.h"
#include "vici_store.h"

/* Everything loaded laid over the file's again, and the IKE runtime told
 * (traps, certificates, revocation URIs).  strict: -1 with err if an
 * entry fails, with d->cfg to be made again (after an undo). */
static int apply(struct vici *v, bool strict, char *err, size_t err_len)
{
    char scratch[600];

    if (vstore_apply(v->d->vstore, &v->d->cfg, strict, strict ? err : scratch,
                     strict ? err_len : sizeof scratch) < 0)
        return -1;
    ike_reload(v->d);
    return 0;
}

/* After a failed strict apply: the entry was taken back, the rest again. */
static void restore(struct vici *v)
{
    char scratch[600];

    vstore_apply(v->d->vstore, &v->d->cfg, false, scratch, sizeof scratch);
    ike_reload(v->d);
}

/* The file's connection called name, or NULL. */
static bool in_file(const struct daemon *d, const char *name)
{
    for (size_t i = 0; i < d->cfg.n_ike_conns; i++)
        if (!strcmp(d->cfg.ike_conns[i].name, name))
            return !vstore_conn_has(d->vstore, name);
    return false;
}

/* strongSwan starts a loaded connection's children with start_action =
 * start at once. */
static void start_children(struct daemon *d, const char *names)
{
    char err[300];

    for (size_t i = 0; i < d->cfg.n_ike_conns; i++) {
        const struct cfg_conn *cc = &d->cfg.ike_conns[i];
        size_t n = strlen(cc->name);
        const char *at = strstr(names, cc->name);

        if (!at || (at != names && at[-1] != ' ') || (at[n] && at[n] != ','))
            continue;
        for (unsigned k = 0; k < cc->n_children; k++)
            if (cc->children[k].start_action == CFG_START_START &&
                ike_initiate(d, cc->children[k].name, err, sizeof err) < 0)
                log_warn("start_action = start: %s", err);
    }
}

void vici_load_conn(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    char err[600], names[300];

    if (vstore_msg_put(v->d->vstore, VSTORE_CONNS, msg, len, names, sizeof names, err, sizeof err) <
        0) {
        vici_fail(v, c, "load-conn: %s", err);
        return;
    }
    if (apply(v, true, err, sizeof err) < 0) {
        vstore_msg_undo(v->d->vstore, VSTORE_CONNS);
        restore(v);
        vici_fail(v, c, "%s", err);
        return;
    }
    log_info("added vici connection: %s", names);
    start_children(v->d, names);
    vici_ok(v, c);
}

void vici_unload_conn(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    char name[256];

    if (!vici_find(msg, len, "name", name, sizeof name)) {
        vici_fail(v, c, "unload-conn needs name = NAME");
    } else if (vstore_msg_del(v->d->vstore, VSTORE_CONNS, name)) {
        apply(v, false, NULL, 0);
        log_info("removed vici connection: %s", name);
        vici_ok(v, c);
    } else if (in_file(v->d, name)) {
        vici_fail(v, c,
                  "connection '%s' comes from uipsecd's configuration file (%s): remove it "
                  "there, then swanctl --reload-settings",
                  name, v->d->config_path);
    } else {
        vici_fail(v, c, "unload: connection '%s' not found", name);
    }
}

/* ---- certificates and authorities ---- */

void vici_load_cert(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    char type[32] = "", flag[32] = "NONE", why[200], err[300];
    const uint8_t *data;
    size_t n;
    enum creds_blob kind;
    struct cfg tmp = {0};
    int ok;

    vici_find(msg, len, "type", type, sizeof type);
    vici_find(msg, len, "flag", flag, sizeof flag);
    if (!strcmp(type, "x509ac") || !strcmp(type, "X509_AC") || !strcmp(flag, "AA")) {
        vici_fail(v, c,
                  "attribute certificates and their authorities are not supported (OpenSSL 3.0 "
                  "cannot read them): groups = cannot be used with uipsecd");
        return;
    }
    if (!vici_find_raw(msg, len, "data", &data, &n)) {
        vici_fail(v, c, "load-cert needs data = the certificate");
        return;
    }
    kind = !strcmp(type, "x509crl") || !strcmp(type, "X509_CRL") ? CREDS_CRL
           : !strcmp(flag, "CA")                                 ? CREDS_CA
                                                                 : CREDS_CERT;
    ok = creds_add_blob(&tmp, "load-cert", data, n, kind, why, sizeof why) >= 0;
    cfg_free(&tmp);
    if (!ok) {
        vici_fail(v, c, "load-cert: %s", why);
    } else if (vstore_cert_put(v->d->vstore, kind, data, n, err, sizeof err) < 0) {
        vici_fail(v, c, "load-cert: %s", err);
    } else {
        apply(v, false, NULL, 0);
        vici_ok(v, c);
    }
}

void vici_load_authority(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    char err[600], name[300];

    if (vstore_msg_put(v->d->vstore, VSTORE_AUTHS, msg, len, name, sizeof name, err, sizeof err) <
        0) {
        vici_fail(v, c, "load-authority: %s", err);
        return;
    }
    if (apply(v, true, err, sizeof err) < 0) {
        vstore_msg_undo(v->d->vstore, VSTORE_AUTHS);
        restore(v);
        vici_fail(v, c, "%s", err);
        return;
    }
    log_info("loaded certification authority '%s'", name);
    vici_ok(v, c);
}

/* ---- pre-shared keys ---- */

/* The owners list as the ids of s: 0 or -1 with err. */
static int owners(uint8_t *msg, size_t len, struct cfg_secret *s, char *err, size_t err_len)
{
    struct settings_node *root = settings_new("load-shared");
    struct value_err ve = {err, err_len};
    struct vici_reader r;
    struct vici_elem e;
    bool in = false;
    int rc = root ? 0 : -1;

    snprintf(err, err_len, "out of memory");
    vici_reader_init(&r, msg, len);
    while (rc == 0 && vici_next(&r, &e, err, err_len) > 0) {
        struct settings_node *n;

        if (e.type == VICI_LIST_START)
            in = e.name_len == 6 && !memcmp(e.name, "owners", 6);
        else if (e.type == VICI_LIST_END)
            in = false;
        if (!in || e.type != VICI_LIST_ITEM)
            continue;
        if (s->n_ids == sizeof(s->ids) / sizeof(s->ids[0])) {
            snprintf(err, err_len, "at most %zu owners", s->n_ids);
            rc = -1;
        } else if (!(n = settings_add(root, root, NULL, "owners", 6, (const char *)e.value,
                                      e.value_len, s->n_ids + 1, 1)) ||
                   cfg_ike_id(&ve, n, &s->ids[s->n_ids++]) < 0)
            rc = -1;
    }
    settings_free(root);
    return rc;
}

static void load_shared(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    char type[16] = "", id[64] = "", err[600];
    const uint8_t *data;
    size_t n;
    struct cfg_secret s = {0};
    uint32_t psk_id;
    int rc;

    vici_find(msg, len, "type", type, sizeof type);
    vici_find(msg, len, "id", id, sizeof id);
    if (strcmp(type, "IKE") && strcmp(type, "ike")) {
        vici_fail(v, c,
                  "load-shared: type %s: uipsecd uses IKE pre-shared keys only (no EAP, "
                  "XAuth, NTLM or PPK)",
                  type);
        return;
    }
    if (!vici_find_raw(msg, len, "data", &data, &n) || n == 0 || n > CFG_PSK_MAX) {
        vici_fail(v, c, "load-shared needs data = the key, 1 to %d bytes", CFG_PSK_MAX);
        return;
    }
    if (owners(msg, len, &s, err, sizeof err) < 0) {
        OPENSSL_cleanse((void *)(uintptr_t)data, n);
        vici_fail(v, c, "load-shared: owners: %s", err);
        return;
    }
    if (n < CFG_PSK_WEAK)
        log_warn("shared key %s: only %zu bytes: anyone who can answer as the peer can guess "
                 "it offline; use at least %d random bytes",
                 id[0] ? id : "(no id)", n, CFG_PSK_WEAK);
    rc = priv_psk_add(v->d, data, n, &psk_id);
    OPENSSL_cleanse((void *)(uintptr_t)data, n); /* the secret lives in the parent only */
    if (rc < 0)
        vici_fail(v, c, "load-shared: the privileged process did not take it (%s)", strerror(-rc));
    else if (vstore_shared_put(v->d->vstore, id[0] ? id : "%shared", &s, psk_id, err, sizeof err) <
             0)
        vici_fail(v, c, "load-shared: %s", err);
    else {
        apply(v, false, NULL, 0);
        vici_ok(v, c);
    }
}

/* ---- private keys ---- */

/* The key in data (DER, or PEM without a passphrase), or NULL. */
static EVP_PKEY *read_key(const uint8_t *data, size_t n)
{
    const unsigned char *q = data;
    EVP_PKEY *k = n <= LONG_MAX ? d2i_AutoPrivateKey(NULL, &q, (long)n) : NULL;

    if (!k && n <= INT_MAX) {
        BIO *b = BIO_new_mem_buf(data, (int)n);

        k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"") : NULL;
        BIO_free(b);
    }
    return k;
}

/* Its public half alone, a new key. */
static EVP_PKEY *public_of(EVP_PKEY *k)
{
    unsigned char *der = NULL;
    const unsigned char *q;
    int len = i2d_PUBKEY(k, &der);
    EVP_PKEY *pub = NULL;

    if (len > 0) {
        q = der;
        pub = d2i_PUBKEY(NULL, &q, len);
    }
    OPENSSL_free(der);
    return pub;
}

static void load_key(struct vici *v, struct vici_client *c, uint8_t *msg, size_t len)
{
    char err[300], keyid[VSTORE_KEYID_HEX];
    const uint8_t *data;
    size_t n;
    EVP_PKEY *k, *pub;
    unsigned char *der = NULL;
    uint32_t id;
    int der_len, rc;

    if (!vici_find_raw(msg, len, "data", &data, &n)) {
        vici_fail(v, c, "load-key needs data = the key");
        return;
    }
    k = read_key(data, n);
    OPENSSL_cleanse((void *)(uintptr_t)data, n);
    if (!k) {
        vici_fail(v, c, "load-key: not a private key in DER or unencrypted PEM");
        return;
    }
    pub = public_of(k);
    der_len = i2d_PrivateKey(k, &der);
    EVP_PKEY_free(k); /* OpenSSL wipes the private parts */
    rc = der_len > 0 && pub ? priv_key_add(v->d, der, (size_t)der_len, &id) : -EINVAL;
    if (der_len > 0)
        OPENSSL_clear_free(der, (size_t)der_len);
    if (rc < 0) {
        EVP_PKEY_free(pub);
        vici_fail(v, c, "load-key: the privileged process did not take it (%s)", strerror(-rc));
    } else if (vstore_key_put(v->d->vstore, pub, id, keyid, err, sizeof err) < 0) {
        vici_fail(v, c, "load-key: %s", err);
    } else {
        apply(v, false, NULL, 0);
        vici_begin(&v->out, VICI_CMD_RESPONSE, "");
        vici_kv(&v->out, "success", "yes");
        vici_kv(&v->out, "id", "%s", keyid);
        vici_send(v, c);
    }
}

/* ---- the rest ---- */

void vici_load_cred(struct vici *v, struct vici_client *c, const char *cmd, uint8_t *msg,
                    size_t len)
{
    if (!strcmp(cmd, "load-shared"))
        load_shared(v, c, msg, len);
    else if (!strcmp(cmd, "load-key"))
        load_key(v, c, msg, len);
    else
        vici_fail(v, c, "%s: uipsecd has no PKCS#11 tokens; load the key with load-key", cmd);
}

void vici_unload_cred(struct vici *v, struct vici_client *c, const char *cmd, uint8_t *msg,
                      size_t len)
{
    char id[256];
    bool gone;

    if (!vici_find(msg, len, !strcmp(cmd, "unload-authority") ? "name" : "id", id, sizeof id)) {
        vici_fail(v, c, "%s needs %s", cmd, !strcmp(cmd, "unload-authority") ? "name" : "id");
        return;
    }
    gone = !strcmp(cmd, "unload-shared") ? vstore_shared_del(v->d->vstore, id)
           : !strcmp(cmd, "unload-key")  ? vstore_key_del(v->d->vstore, id)
                                         : vstore_msg_del(v->d->vstore, VSTORE_AUTHS, id);
    if (!gone) {
        vici_fail(v, c, "%s: '%s' was not loaded over VICI", cmd, id);
        return;
    }
    apply(v, false, NULL, 0);
    vici_ok(v, c);
}

void vici_clear_creds(struct vici *v, struct vici_client *c)
{
    vstore_clear_creds(v->d->vstore);
    apply(v, false, NULL, 0);
    vici_ok(v, c);
}

static void item(void *arg, const char *name)
{
    vici_item(arg, "%s", name);
}

void vici_list_loaded(struct vici *v, struct vici_client *c, const char *cmd)
{
    enum vstore_list what = !strcmp(cmd, "get-conns")    ? VSTORE_CONNS
                            : !strcmp(cmd, "get-shared") ? VSTORE_SHARED
                            : !strcmp(cmd, "get-keys")   ? VSTORE_KEYS
                                                         : VSTORE_AUTHS;
    static const char *const lists[] = {"conns", "keys", "keys", "authorities"};

    vici_begin(&v->out, VICI_CMD_RESPONSE, "");
    vici_list(&v->out, lists[what]);
    vstore_each(v->d->vstore, what, item, &v->out);
    vici_list_end(&v->out);
    vici_send(v, c);
}
