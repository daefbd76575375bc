/* SPDX-License-Identifier: MIT */
#include "vici_store.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_ike.h"
#include "log.h"
#include "settings.h"
#include "value.h"
#include "vici_msg.h"
#include "vici_tree.h"

/* A load-conn or load-authority message, kept for one of its sections. */
struct msg {
    char name[64];
    uint8_t *bytes;
    size_t len;
};

/* Messages by section name, with what the last put replaced (undo). */
struct msgs {
    struct msg *at;
    size_t n, max;
    struct msg *replaced; /* old entries, at the positions in where */
    size_t *where, n_replaced, n_added;
};

struct cert {
    enum creds_blob kind;
    uint8_t *bytes;
    size_t len;
};

struct shared {
    struct cfg_secret ids; /* name and ids; the secret is the parent's */
    uint32_t psk_id;
};

struct key {
    char keyid[VSTORE_KEYID_HEX];
    EVP_PKEY *pub;
    uint32_t id;
};

struct vici_store {
    struct cfg_conn *file_conns;
    size_t n_file_conns, file_certs, file_der, file_auths;
    struct msgs conns, auths;
    struct cert *certs;
    size_t n_certs;
    struct shared *shared;
    size_t n_shared;
    struct key *keys;
    size_t n_keys;
};

struct vici_store *vstore_new(void)
{
    struct vici_store *vs = calloc(1, sizeof(*vs));

    if (vs) {
        vs->conns.max = VSTORE_MAX_CONNS;
        vs->auths.max = VSTORE_MAX_AUTHS;
    }
    return vs;
}

/* ---- messages ---- */

static void msg_free(struct msg *m)
{
    free(m->bytes);
    m->bytes = NULL;
}

static void msgs_forget_undo(struct msgs *m)
{
    for (size_t i = 0; i < m->n_replaced; i++)
        msg_free(&m->replaced[i]);
    free(m->replaced);
    free(m->where);
    m->replaced = NULL;
    m->where = NULL;
    m->n_replaced = m->n_added = 0;
}

static void msgs_free(struct msgs *m)
{
    msgs_forget_undo(m);
    for (size_t i = 0; i < m->n; i++)
        msg_free(&m->at[i]);
    free(m->at);
    m->at = NULL;
    m->n = 0;
}

static ssize_t msgs_find(const struct msgs *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->at[i].name, name))
            return (ssize_t)i;
    return -1;
}

/* The names of the message's top sections into names[], at most max. */
static int top_names(const uint8_t *msg, size_t len, char (*names)[64], size_t max, size_t *n,
                     char *err, size_t err_len)
{
    struct vici_reader r;
    struct vici_elem e;
    int rc;

    *n = 0;
    vici_reader_init(&r, (uint8_t *)(uintptr_t)msg, len);
    while ((rc = vici_next(&r, &e, err, err_len)) > 0) {
        if (e.type != VICI_SECTION_START || r.depth != 1)
            continue;
        if (e.name_len >= sizeof(names[0]) || *n == max)
            return snprintf(err, err_len, "a section name is too long, or too many sections"), -1;
        memcpy(names[*n], e.name, e.name_len);
        names[(*n)++][e.name_len] = '\0';
    }
    if (rc < 0)
        return -1;
    return *n ? 0 : (snprintf(err, err_len, "the message holds no section"), -1);
}

static void msgs_undo(struct msgs *m);

/* One copy of the message per section name, replacing older ones. */
static int msgs_put(struct msgs *m, const uint8_t *msg, size_t len, char *names, size_t names_len,
                    char *err, size_t err_len)
{
    char found[8][64];
    size_t n_found, used = 0;

    msgs_forget_undo(m);
    if (len > VSTORE_MSG_MAX)
        return snprintf(err, err_len, "the message is larger than %u KiB", VSTORE_MSG_MAX >> 10),
               -1;
    if (top_names(msg, len, found, 8, &n_found, err, err_len) < 0)
        return -1;
    m->replaced = calloc(n_found, sizeof(*m->replaced));
    m->where = calloc(n_found, sizeof(*m->where));
    if (!m->replaced || !m->where || m->n + n_found > m->max) {
        msgs_forget_undo(m);
        return snprintf(err, err_len, "out of memory, or more than %zu loaded", m->max), -1;
    }
    names[0] = '\0';
    for (size_t i = 0; i < n_found; i++) {
        struct msg fresh = {.len = len};
        ssize_t at = msgs_find(m, found[i]);
        struct msg *grown = at < 0 ? realloc(m->at, (m->n + 1) * sizeof(*grown)) : m->at;

        snprintf(fresh.name, sizeof(fresh.name), "%s", found[i]);
        if (!grown || !(fresh.bytes = malloc(len))) {
            m->at = grown ? grown : m->at;
            msgs_undo(m);
            return snprintf(err, err_len, "out of memory"), -1;
        }
        memcpy(fresh.bytes, msg, len);
        m->at = grown;
        if (at >= 0) {
            m->where[m->n_replaced] = (size_t)at;
            m->replaced[m->n_replaced++] = m->at[at];
            m->at[at] = fresh;
        } else {
            m->at[m->n++] = fresh;
            m->n_added++;
        }
        used += (size_t)snprintf(names + used, used < names_len ? names_len - used : 0, "%s%s",
                                 i ? ", " : "", found[i]);
    }
    return 0;
}

static void msgs_undo(struct msgs *m)
{
    while (m->n_added) {
        msg_free(&m->at[--m->n]);
        m->n_added--;
    }
    while (m->n_replaced) {
        size_t k = --m->n_replaced;

        msg_free(&m->at[m->where[k]]);
        m->at[m->where[k]] = m->replaced[k];
    }
    msgs_forget_undo(m);
}

static bool msgs_del(struct msgs *m, const char *name)
{
    ssize_t at = msgs_find(m, name);

    msgs_forget_undo(m);
    if (at < 0)
        return false;
    msg_free(&m->at[at]);
    memmove(&m->at[at], &m->at[at + 1], (m->n - (size_t)at - 1) * sizeof(*m->at));
    m->n--;
    return true;
}

/* ---- laying it over the file's ---- */

static void left_out(const char *what, const char *why)
{
    log_warn("what VICI loaded: %s is left out: %s", what, why);
}

int vstore_base(struct vici_store *vs, const struct cfg *cfg)
{
    struct cfg_conn *copy = calloc(cfg->n_ike_conns + 1, sizeof(*copy));

    if (!copy)
        return -1;
    if (cfg->n_ike_conns)
        memcpy(copy, cfg->ike_conns, cfg->n_ike_conns * sizeof(*copy));
    if (vs->file_conns)
        OPENSSL_cleanse(vs->file_conns, vs->n_file_conns * sizeof(*vs->file_conns));
    free(vs->file_conns);
    vs->file_conns = copy;
    vs->n_file_conns = cfg->n_ike_conns;
    vs->file_certs = cfg->n_certs;
    vs->file_der = cfg->cert_der_len;
    vs->file_auths = cfg->n_authorities;
    return 0;
}

/* The file's connections but those VICI loaded again under their names. */
static int file_conns(struct vici_store *vs, struct cfg *cfg)
{
    struct cfg_conn *all = calloc(vs->n_file_conns + 1, sizeof(*all));
    size_t n = 0;

    if (!all)
        return -1;
    for (size_t i = 0; i < vs->n_file_conns; i++)
        if (msgs_find(&vs->conns, vs->file_conns[i].name) < 0)
            all[n++] = vs->file_conns[i];
    if (cfg->ike_conns)
        OPENSSL_cleanse(cfg->ike_conns, cfg->n_ike_conns * sizeof(*cfg->ike_conns));
    free(cfg->ike_conns);
    cfg->ike_conns = all;
    cfg->n_ike_conns = n;
    return 0;
}

static int blob_add(void *arg, const char *key, const uint8_t *p, size_t n, char *err,
                    size_t err_len)
{
    enum creds_blob kind = !strcmp(key, "pubkeys")                             ? CREDS_PUBKEY
                           : !strcmp(key, "cacerts") || !strcmp(key, "cacert") ? CREDS_CA
                                                                               : CREDS_CERT;
    char why[200];
    int i = creds_add_blob(arg, key, p, n, kind, why, sizeof why);

    if (i < 0)
        snprintf(err, err_len, "%s: %s", key, why);
    return i;
}

/* The sections of message m as top { } into cfg by fn (blob_refs on). */
static int parse_msg(const struct msg *m, const char *top, struct cfg *cfg,
                     int (*fn)(struct value_err *, const struct settings_node *, struct cfg *),
                     char *err, size_t err_len)
{
    struct vici_blobs blobs = {blob_add, cfg};
    struct value_err ve = {err, err_len};
    struct settings_node *root = vici_tree(m->bytes, m->len, top, &blobs, err, err_len);
    int rc;

    if (!root)
        return -1;
    cfg->blob_refs = true;
    rc = fn(&ve, settings_child(root, top), cfg);
    cfg->blob_refs = false;
    settings_free(root);
    return rc;
}

/* Keeps of the entries appended from `from` only the one named name. */
static void keep_named(void *base, size_t size, size_t name_off, size_t from, size_t *n,
                       const char *name)
{
    uint8_t *b = base;
    size_t out = from;

    for (size_t i = from; i < *n; i++) {
        if (strcmp((const char *)(b + i * size + name_off), name))
            continue;
        if (out != i)
            memcpy(b + out * size, b + i * size, size);
        out++;
    }
    *n = out;
}

/* A loaded connection's PSK and private key, by the number the parent
 * gave them: the best-ranked shared key, the key of our certificate. */
static void finish_conn(const struct vici_store *vs, const struct cfg *cfg, struct cfg_conn *c)
{
    int best = -1, mine = cfg_ike_own_entry(c);
    EVP_PKEY *pub = mine >= 0 ? creds_public(cfg, mine) : NULL;

    c->psk_id = UINT32_MAX;
    for (size_t i = 0; i < vs->n_shared; i++) {
        int r = cfg_secret_rank(c, &vs->shared[i].ids);

        if (r > best)
            best = r, c->psk_id = vs->shared[i].psk_id;
    }
    if ((c->local_auth.method == CFG_AUTH_PSK || c->remote_auth.method == CFG_AUTH_PSK) &&
        c->psk_id == UINT32_MAX)
        log_warn("connection %s: no pre-shared key loaded for it yet (swanctl --load-creds)",
                 c->name);
    c->key = -1;
    for (size_t i = 0; pub && i < vs->n_keys && c->key < 0; i++)
        if (EVP_PKEY_eq(vs->keys[i].pub, pub) == 1)
            c->key = (int32_t)vs->keys[i].id;
    if (mine >= 0 && c->key < 0)
        log_warn("connection %s: no private key loaded for %s yet (swanctl --load-creds)", c->name,
                 cfg->certs[mine].path);
    EVP_PKEY_free(pub);
}

static int apply_conns(struct vici_store *vs, struct cfg *cfg, bool strict, char *err,
                       size_t err_len)
{
    for (size_t i = 0; i < vs->conns.n; i++) {
        const struct msg *m = &vs->conns.at[i];
        size_t from = cfg->n_ike_conns;
        struct value_err ve = {err, err_len};
        int rc = parse_msg(m, "connections", cfg, cfg_ike_connections, err, err_len);

        keep_named(cfg->ike_conns, sizeof(*cfg->ike_conns), offsetof(struct cfg_conn, name), from,
                   &cfg->n_ike_conns, m->name);
        if (rc == 0 && cfg->n_ike_conns > from &&
            cfg_ike_conn_certs(&ve, cfg, &cfg->ike_conns[from]) < 0)
            rc = -1;
        if (rc < 0) {
            cfg->n_ike_conns = from;
            if (strict)
                return -1;
            left_out(m->name, err);
            continue;
        }
        if (cfg->n_ike_conns > from)
            finish_conn(vs, cfg, &cfg->ike_conns[from]);
    }
    return 0;
}

int vstore_apply(struct vici_store *vs, struct cfg *cfg, bool strict, char *err, size_t err_len)
{
    char why[200], what[80];

    cfg->n_certs = vs->file_certs;
    cfg->cert_der_len = vs->file_der;
    cfg->n_authorities = vs->file_auths;
    if (file_conns(vs, cfg) < 0)
        return snprintf(err, err_len, "out of memory"), -1;
    for (size_t i = 0; i < vs->n_certs; i++)
        if (creds_add_blob(cfg, "vici", vs->certs[i].bytes, vs->certs[i].len, vs->certs[i].kind,
                           why, sizeof why) < 0) {
            snprintf(what, sizeof what, "certificate %zu", i + 1);
            if (strict)
                return snprintf(err, err_len, "%s: %s", what, why), -1;
            left_out(what, why);
        }
    for (size_t i = 0; i < vs->auths.n; i++) {
        size_t from = cfg->n_authorities;

        if (parse_msg(&vs->auths.at[i], "authorities", cfg, cfg_authorities, err, err_len) < 0) {
            cfg->n_authorities = from;
            if (strict)
                return -1;
            left_out(vs->auths.at[i].name, err);
        }
        keep_named(cfg->authorities, sizeof(*cfg->authorities),
                   offsetof(struct cfg_authority, name), from, &cfg->n_authorities,
                   vs->auths.at[i].name);
    }
    return apply_conns(vs, cfg, strict, err, err_len);
}

/* ---- the entries ---- */

static struct msgs *msgs_of(struct vici_store *vs, enum vstore_list what)
{
    return what == VSTORE_AUTHS ? &vs->auths : &vs->conns;
}

int vstore_msg_put(struct vici_store *vs, enum vstore_list what, const uint8_t *msg, size_t len,
                   char *names, size_t names_len, char *err, size_t err_len)
{
    return msgs_put(msgs_of(vs, what), msg, len, names, names_len, err, err_len);
}

void vstore_msg_undo(struct vici_store *vs, enum vstore_list what)
{
    msgs_undo(msgs_of(vs, what));
}

bool vstore_msg_del(struct vici_store *vs, enum vstore_list what, const char *name)
{
    return msgs_del(msgs_of(vs, what), name);
}

bool vstore_conn_has(const struct vici_store *vs, const char *name)
{
    return msgs_find(&vs->conns, name) >= 0;
}

int vstore_cert_put(struct vici_store *vs, enum creds_blob kind, const uint8_t *p, size_t n,
                    char *err, size_t err_len)
{
    struct cert *grown;
    uint8_t *copy;

    for (size_t i = 0; i < vs->n_certs; i++)
        if (vs->certs[i].kind == kind && vs->certs[i].len == n && !memcmp(vs->certs[i].bytes, p, n))
            return 0; /* loaded already: swanctl --load-all sends every file again */
    if (vs->n_certs == VSTORE_MAX_CERTS || n > VSTORE_MSG_MAX)
        return snprintf(err, err_len, "more than %d certificates loaded", VSTORE_MAX_CERTS), -1;
    if (!(copy = malloc(n ? n : 1)) ||
        !(grown = realloc(vs->certs, (vs->n_certs + 1) * sizeof(*grown)))) {
        free(copy);
        return snprintf(err, err_len, "out of memory"), -1;
    }
    memcpy(copy, p, n);
    vs->certs = grown;
    vs->certs[vs->n_certs++] = (struct cert){kind, copy, n};
    return 0;
}

static bool shared_find(const struct vici_store *vs, const char *name, size_t *at)
{
    for (*at = 0; *at < vs->n_shared; ++*at)
        if (!strcmp(vs->shared[*at].ids.name, name))
            return true;
    return false;
}

int vstore_shared_put(struct vici_store *vs, const char *name, const struct cfg_secret *s,
                      uint32_t psk_id, char *err, size_t err_len)
{
    struct shared *grown, e = {.psk_id = psk_id};
    size_t at;

    memcpy(e.ids.ids, s->ids, sizeof(e.ids.ids));
    e.ids.n_ids = s->n_ids;
    snprintf(e.ids.name, sizeof(e.ids.name), "%s", name);
    if (shared_find(vs, name, &at)) {
        vs->shared[at] = e;
        return 0;
    }
    if (vs->n_shared == VSTORE_MAX_SHARED ||
        !(grown = realloc(vs->shared, (vs->n_shared + 1) * sizeof(*grown))))
        return snprintf(err, err_len, "more than %d shared keys loaded", VSTORE_MAX_SHARED), -1;
    vs->shared = grown;
    vs->shared[vs->n_shared++] = e;
    return 0;
}

bool vstore_shared_del(struct vici_store *vs, const char *name)
{
    size_t at;

    if (!shared_find(vs, name, &at))
        return false;
    memmove(&vs->shared[at], &vs->shared[at + 1], (vs->n_shared - at - 1) * sizeof(*vs->shared));
    vs->n_shared--;
    return true;
}

/* strongSwan's key id of a public key: SHA-1 of its subjectPublicKey. */
static int key_hex(EVP_PKEY *pub, char out[VSTORE_KEYID_HEX])
{
    X509_PUBKEY *xp = NULL;
    const unsigned char *bits;
    unsigned char md[SHA_DIGEST_LENGTH];
    int len;

    if (X509_PUBKEY_set(&xp, pub) != 1 ||
        X509_PUBKEY_get0_param(NULL, &bits, &len, NULL, xp) != 1) {
        X509_PUBKEY_free(xp);
        return -1;
    }
    SHA1(bits, (size_t)len, md);
    X509_PUBKEY_free(xp);
    for (size_t i = 0; i < sizeof(md); i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

int vstore_key_put(struct vici_store *vs, EVP_PKEY *pub, uint32_t key_id,
                   char keyid[VSTORE_KEYID_HEX], char *err, size_t err_len)
{
    struct key *grown;

    if (key_hex(pub, keyid) < 0) {
        EVP_PKEY_free(pub);
        return snprintf(err, err_len, "cannot encode its public key"), -1;
    }
    for (size_t i = 0; i < vs->n_keys; i++)
        if (!strcmp(vs->keys[i].keyid, keyid)) {
            EVP_PKEY_free(pub); /* loaded already */
            return 0;
        }
    if (vs->n_keys == VSTORE_MAX_KEYS ||
        !(grown = realloc(vs->keys, (vs->n_keys + 1) * sizeof(*grown)))) {
        EVP_PKEY_free(pub);
        return snprintf(err, err_len, "more than %d private keys loaded", VSTORE_MAX_KEYS), -1;
    }
    vs->keys = grown;
    vs->keys[vs->n_keys] = (struct key){.pub = pub, .id = key_id};
    memcpy(vs->keys[vs->n_keys++].keyid, keyid, VSTORE_KEYID_HEX);
    return 0;
}

bool vstore_key_del(struct vici_store *vs, const char *keyid)
{
    for (size_t i = 0; i < vs->n_keys; i++)
        if (!strcmp(vs->keys[i].keyid, keyid)) {
            EVP_PKEY_free(vs->keys[i].pub);
            memmove(&vs->keys[i], &vs->keys[i + 1], (vs->n_keys - i - 1) * sizeof(*vs->keys));
            vs->n_keys--;
            return true;
        }
    return false;
}

void vstore_clear_creds(struct vici_store *vs)
{
    for (size_t i = 0; i < vs->n_certs; i++)
        free(vs->certs[i].bytes);
    for (size_t i = 0; i < vs->n_keys; i++)
        EVP_PKEY_free(vs->keys[i].pub);
    free(vs->certs);
    free(vs->keys);
    free(vs->shared);
    vs->certs = NULL;
    vs->keys = NULL;
    vs->shared = NULL;
    vs->n_certs = vs->n_keys = vs->n_shared = 0;
}

void vstore_each(const struct vici_store *vs, enum vstore_list what,
                 void (*fn)(void *arg, const char *name), void *arg)
{
    const struct msgs *m = what == VSTORE_CONNS   ? &vs->conns
                           : what == VSTORE_AUTHS ? &vs->auths
                                                  : NULL;

    for (size_t i = 0; m && i < m->n; i++)
        fn(arg, m->at[i].name);
    for (size_t i = 0; what == VSTORE_SHARED && i < vs->n_shared; i++)
        fn(arg, vs->shared[i].ids.name);
    for (size_t i = 0; what == VSTORE_KEYS && i < vs->n_keys; i++)
        fn(arg, vs->keys[i].keyid);
}

void vstore_free(struct vici_store *vs)
{
    if (!vs)
        return;
    vstore_clear_creds(vs);
    msgs_free(&vs->conns);
    msgs_free(&vs->auths);
    if (vs->file_conns)
        OPENSSL_cleanse(vs->file_conns, vs->n_file_conns * sizeof(*vs->file_conns));
    free(vs->file_conns);
    free(vs);
}
