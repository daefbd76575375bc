/* SPDX-License-Identifier: MIT */
/*
 * What VICI shows of the IKE SAs, their CHILD_SAs and the connections, in
 * the layout of charon's list-sa and list-conn events (the README of
 * strongSwan's vici plugin names the keys): algorithm names as strongSwan
 * spells them, times in seconds, SPIs in hex.  The state is control's:
 * ike_view_next and the SA pairs, as uipsecctl list-sas reads them.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "certinfo.h"
#include "ident.h"
#include "daemon.h"
#include "ike.h"
#include "pairs.h"
#include "proposal.h"
#include "vici_sas.h"

struct name {
    uint16_t id;
    const char *name;
};

static const struct name encr_names[] = {
    {IKE_ENCR_AES_CBC, "AES_CBC"},
    {IKE_ENCR_AES_CTR, "AES_CTR"},
    {IKE_ENCR_AES_GCM_8, "AES_GCM_8"},
    {IKE_ENCR_AES_GCM_12, "AES_GCM_12"},
    {IKE_ENCR_AES_GCM_16, "AES_GCM_16"},
    {IKE_ENCR_CHACHA20_POLY1305, "CHACHA20_POLY1305"},
    {IKE_ENCR_NULL, "NULL"},
};
static const struct name integ_names[] = {
    {IKE_INTEG_HMAC_SHA1_96, "HMAC_SHA1_96"},
    {IKE_INTEG_HMAC_SHA2_256_128, "HMAC_SHA2_256_128"},
    {IKE_INTEG_HMAC_SHA2_384_192, "HMAC_SHA2_384_192"},
    {IKE_INTEG_HMAC_SHA2_512_256, "HMAC_SHA2_512_256"},
};
static const struct name prf_names[] = {
    {IKE_PRF_HMAC_SHA1, "PRF_HMAC_SHA1"},
    {IKE_PRF_HMAC_SHA2_256, "PRF_HMAC_SHA2_256"},
    {IKE_PRF_HMAC_SHA2_384, "PRF_HMAC_SHA2_384"},
    {IKE_PRF_HMAC_SHA2_512, "PRF_HMAC_SHA2_512"},
};
static const struct name dh_names[] = {
    {IKE_DH_MODP_2048, "MODP_2048"},    {IKE_DH_MODP_3072, "MODP_3072"},
    {IKE_DH_MODP_4096, "MODP_4096"},    {IKE_DH_ECP_256, "ECP_256"},
    {IKE_DH_ECP_384, "ECP_384"},        {IKE_DH_ECP_521, "ECP_521"},
    {IKE_DH_CURVE25519, "CURVE_25519"}, {IKE_DH_CURVE448, "CURVE_448"},
};

#define NAME_OF(tab, id) name_of(tab, sizeof(tab) / sizeof(tab[0]), id)

static const char *name_of(const struct name *t, size_t n, uint16_t id)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].id == id)
            return t[i].name;
    return NULL;
}

/* One transform type of a chosen proposal, if it has one. */
static void add_alg(struct vici_buf *b, const char *key, const char *name)
{
    if (name)
        vici_kv(b, key, "%s", name);
}

/* encr-alg ... dh-group of a chosen proposal, as charon lists them.
 * ChaCha20-Poly1305 has no Key Length attribute, and charon then lists no
 * encr-keysize (strongSwan's scenario ikev2-algs/alg-chacha20poly1305
 * expects "encr-alg=CHACHA20_POLY1305 prf-alg=..."). */
static void add_prop(struct vici_buf *b, const struct ike_prop *p, bool prf)
{
    struct ike_alg e = ike_prop_get(p, IKE_TRANSFORM_ENCR);
    struct ike_alg i = ike_prop_get(p, IKE_TRANSFORM_INTEG);
    struct ike_alg dh = ike_prop_get(p, IKE_TRANSFORM_DH);

    if (e.id) {
        add_alg(b, "encr-alg", NAME_OF(encr_names, e.id));
        if (e.bits)
            vici_kv(b, "encr-keysize", "%u", e.bits);
    }
    if (i.id)
        add_alg(b, "integ-alg", NAME_OF(integ_names, i.id));
    if (prf)
        add_alg(b, "prf-alg", NAME_OF(prf_names, ike_prop_get(p, IKE_TRANSFORM_PRF).id));
    if (dh.id)
        add_alg(b, "dh-group", NAME_OF(dh_names, dh.id));
}

static void add_host(struct vici_buf *b, const char *key, const struct uipsec_addr *a)
{
    char s[INET6_ADDRSTRLEN] = "%any";

    if (a->family)
        inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, s, sizeof s);
    vici_kv(b, key, "%s", s);
}

static void add_id(struct vici_buf *b, const char *key, const struct ike_id *id, bool any)
{
    char s[2 * IKE_ID_MAX + 2] = "%any";

    if (!any)
        ike_id_format(id, s, sizeof s);
    vici_kv(b, key, "%s", s);
}

static void add_spi(struct vici_buf *b, const char *key, const uint8_t *spi)
{
    char s[2 * IKE_SPI_LEN + 1];

    for (size_t i = 0; i < IKE_SPI_LEN; i++)
        snprintf(s + 2 * i, 3, "%02x", spi[i]);
    vici_kv(b, key, "%s", s);
}

const char *vici_ike_state(const struct ike_sa *sa)
{
    switch (sa->state) {
    case IKE_SA_ESTABLISHED:
        return "ESTABLISHED";
    case IKE_SA_DELETING:
    case IKE_SA_DELETED:
        return "DELETING";
    case IKE_SA_FAILED:
        return "DESTROYING";
    default:
        return "CONNECTING";
    }
}

/* Seconds until t, if it is set. */
static void add_until(struct vici_buf *b, const char *key, time_t t, time_t now)
{
    if (t)
        vici_kv(b, key, "%lld", (long long)(t > now ? t - now : 0));
}

static void add_ts(struct vici_buf *b, const char *key, const struct sa_pair *c,
                   enum uipsec_ts_side side)
{
    char ts[160];

    vici_list(b, key);
    for (size_t i = 0; i < c->nsel; i++) {
        uipsec_selector_format(&c->sel[i], side, ts, sizeof ts);
        vici_item(b, "%s", ts);
    }
    vici_list_end(b);
}

unsigned vici_child_id(const struct sa_pair *c)
{
    return (unsigned)c->at + 1;
}

static void add_child(struct vici_buf *b, const struct sa_pair *c, time_t now)
{
    struct uipsec_sa_stats in, out;
    struct ike_prop_list esp;
    char name[80];

    uipsec_sa_get_stats(c->in, &in);
    uipsec_sa_get_stats(c->out, &out);
    snprintf(name, sizeof name, "%s-%u", c->cfg.name, vici_child_id(c));
    vici_section(b, name);
    vici_kv(b, "name", "%s", c->cfg.name);
    vici_kv(b, "uniqueid", "%u", vici_child_id(c));
    vici_kv(b, "reqid", "%u", c->reqid);
    vici_kv(b, "state", "INSTALLED");
    vici_kv(b, "mode", "%s", c->cfg.mode == UIPSEC_MODE_TUNNEL ? "TUNNEL" : "TRANSPORT");
    vici_kv(b, "protocol", "%s", c->cfg.proto == UIPSEC_PROTO_AH ? "AH" : "ESP");
    if (c->cfg.encap)
        vici_kv(b, "encap", "yes");
    vici_kv(b, "spi-in", "%08x", c->cfg.in.spi);
    vici_kv(b, "spi-out", "%08x", c->cfg.out.spi);
    /* the chosen proposal, as ike_child.c wrote it */
    if (ike_prop_parse(c->cfg.proposal, IKE_PROTO_ESP, &esp, NULL, 0) == UIPSEC_OK && esp.n == 1) {
        add_prop(b, &esp.p[0], false);
        if (ike_prop_get(&esp.p[0], IKE_TRANSFORM_ESN).id == IKE_ESN_YES)
            vici_kv(b, "esn", "1");
    }
    vici_kv(b, "bytes-in", "%llu", (unsigned long long)in.bytes);
    vici_kv(b, "packets-in", "%llu", (unsigned long long)in.packets);
    if (c->used_in)
        vici_kv(b, "use-in", "%lld", (long long)(now - c->used_in));
    vici_kv(b, "bytes-out", "%llu", (unsigned long long)out.bytes);
    vici_kv(b, "packets-out", "%llu", (unsigned long long)out.packets);
    if (c->used_out)
        vici_kv(b, "use-out", "%lld", (long long)(now - c->used_out));
    add_until(b, "rekey-time", c->rekey_at, now);
    add_until(b, "life-time", c->expire_at, now);
    vici_kv(b, "install-time", "%lld", (long long)(now - c->installed));
    add_ts(b, "local-ts", c, UIPSEC_TS_LOCAL);
    add_ts(b, "remote-ts", c, UIPSEC_TS_REMOTE);
    vici_section_end(b);
}

void vici_child_sa(struct vici_buf *b, const struct sa_pair *c)
{
    add_child(b, c, time(NULL));
}

void vici_ike_sa(struct vici_buf *b, const struct daemon *d, const struct ike_view *v,
                 const char *child, unsigned child_id, bool children)
{
    time_t now = time(NULL);

    vici_ike_sa_open(b, v);
    if (children) {
        vici_section(b, "child-sas");
        for (size_t i = 0; i < pairs_slots(d); i++) {
            const struct sa_pair *c = pairs_at(d, i);

            if (c && !c->trap && c->ike == v->rt && (!child || !strcmp(c->cfg.name, child)) &&
                (!child_id || vici_child_id(c) == child_id))
                add_child(b, c, now);
        }
        vici_section_end(b);
    }
    vici_section_end(b);
}

void vici_ike_sa_open(struct vici_buf *b, const struct ike_view *v)
{
    const struct ike_sa *sa = v->sa;
    time_t now = time(NULL);

    vici_section(b, v->conn);
    vici_kv(b, "uniqueid", "%u", v->id);
    vici_kv(b, "version", "2");
    vici_kv(b, "state", "%s", vici_ike_state(sa));
    add_host(b, "local-host", &sa->path.local);
    vici_kv(b, "local-port", "%u", sa->path.local_port);
    add_id(b, "local-id", &sa->cfg->local_id, false);
    add_host(b, "remote-host", &sa->path.remote);
    vici_kv(b, "remote-port", "%u", sa->path.remote_port);
    add_id(b, "remote-id", sa->peer_id.type ? &sa->peer_id : &sa->cfg->remote_id,
           !sa->peer_id.type && sa->cfg->remote_id_any);
    if (sa->role == IKE_ROLE_INITIATOR)
        vici_kv(b, "initiator", "yes");
    add_spi(b, "initiator-spi", sa->spi_i);
    add_spi(b, "responder-spi", sa->spi_r);
    if (sa->nat_local)
        vici_kv(b, "nat-local", "yes");
    if (sa->nat_remote)
        vici_kv(b, "nat-remote", "yes");
    if (ike_sa_behind_nat(sa) && !sa->nat_local && !sa->nat_remote)
        vici_kv(b, "nat-fake", "yes"); /* encap = yes: NAT detection faked */
    if (ike_sa_behind_nat(sa))
        vici_kv(b, "nat-any", "yes");
    if (sa->keys)
        add_prop(b, &sa->prop, true);
    if (sa->state == IKE_SA_ESTABLISHED && v->established)
        vici_kv(b, "established", "%lld", (long long)(now - v->established));
    if (sa->state == IKE_SA_ESTABLISHED)
        add_until(b, "rekey-time", v->rekey_at, now); /* charon's order: after established */
}

/* A trap's policy, as charon's list-policy event holds it. */
void vici_policy(struct vici_buf *b, const struct sa_pair *c)
{
    char name[160];

    snprintf(name, sizeof name, "%s/%s", c->conn_name, c->cfg.name);
    vici_section(b, name);
    vici_kv(b, "child", "%s", c->cfg.name);
    vici_kv(b, "ike", "%s", c->conn_name);
    vici_kv(b, "reqid", "%u", c->reqid);
    vici_kv(b, "mode", "%s", c->cfg.mode == UIPSEC_MODE_TUNNEL ? "TUNNEL" : "TRANSPORT");
    add_ts(b, "local-ts", c, UIPSEC_TS_LOCAL);
    add_ts(b, "remote-ts", c, UIPSEC_TS_REMOTE);
    vici_section_end(b);
}

/* An authorities section as charon's list-authority event holds it:
 * the CA certificate's subject, then its URIs. */
void vici_authority(struct vici_buf *b, const struct cfg *cfg, const struct cfg_authority *a)
{
    const struct cfg_cert *ct =
        a->cert >= 0 && (size_t)a->cert < cfg->n_certs ? &cfg->certs[a->cert] : NULL;
    const unsigned char *der = ct ? cfg->cert_der + ct->off : NULL;
    X509 *x = der ? d2i_X509(NULL, &der, ct->len) : NULL;
    char dn[512] = "";

    if (x)
        cert_dn(X509_get_subject_name(x), dn, sizeof dn);
    X509_free(x);
    vici_section(b, a->name);
    vici_kv(b, "cacert", "%s", dn);
    vici_list(b, "crl_uris");
    for (size_t i = 0; i < a->n_crl && i < CFG_AUTHORITY_URIS; i++)
        vici_item(b, "%s", a->crl[i]);
    vici_list_end(b);
    vici_list(b, "ocsp_uris");
    for (size_t i = 0; i < a->n_ocsp && i < CFG_AUTHORITY_URIS; i++)
        vici_item(b, "%s", a->ocsp[i]);
    vici_list_end(b);
    vici_section_end(b);
}

/* ---- connections ---- */

static void add_ts_texts(struct vici_buf *b, const char *key, const char (*ts)[CFG_TS_LEN],
                         size_t n)
{
    vici_list(b, key);
    for (size_t i = 0; i < n; i++)
        vici_item(b, "%s", ts[i]);
    if (!n)
        vici_item(b, "dynamic");
    vici_list_end(b);
}

/* The subjects of certificates idx[0, n) of cfg, as charon lists them. */
static void add_subjects(struct vici_buf *b, const char *key, const struct cfg *cfg,
                         const int16_t *idx, size_t n)
{
    vici_list(b, key);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *der =
            idx[i] >= 0 && (size_t)idx[i] < cfg->n_certs ? creds_der(cfg, idx[i], &len) : NULL;
        X509 *x = der ? d2i_X509(NULL, &der, (long)len) : NULL;
        struct ike_id id;
        char s[512];

        if (x && ike_id_of_cert(x, &id) == 0) {
            ike_id_print(&id, s, sizeof s);
            vici_item(b, "%s", s);
        }
        X509_free(x);
    }
    vici_list_end(b);
}

static void add_auth(struct vici_buf *b, const char *name, const struct cfg *cfg,
                     const struct cfg_auth *a, const struct ike_id *id, bool any, bool local)
{
    vici_section(b, name);
    if (id->type || any)
        add_id(b, "id", id, any);
    vici_kv(b, "class", "%s", a->method == CFG_AUTH_PSK ? "pre-shared key" : "public key");
    if (!local && a->method == CFG_AUTH_PUBKEY)
        vici_kv(b, "revocation", "%s",
                a->revocation == CFG_REVOCATION_STRICT  ? "strict"
                : a->revocation == CFG_REVOCATION_IFURI ? "ifuri"
                                                        : "relaxed");
    vici_list(b, "groups");
    vici_list_end(b);
    vici_list(b, "cert_policy");
    vici_list_end(b);
    add_subjects(b, "certs", cfg, a->certs, a->n_certs);
    add_subjects(b, "cacerts", cfg, a->cacerts, a->n_cacerts);
    vici_section_end(b);
}

static void add_addrs(struct vici_buf *b, const char *key, const struct uipsec_addr *a)
{
    char s[INET6_ADDRSTRLEN] = "%any";

    if (a->family)
        inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, s, sizeof s);
    vici_list(b, key);
    vici_item(b, "%s", s);
    vici_list_end(b);
}

static const char *mode_name(enum uipsec_mode m)
{
    return m == UIPSEC_MODE_TUNNEL ? "TUNNEL" : "TRANSPORT";
}

void vici_conn(struct vici_buf *b, const struct cfg *cfg, const struct cfg_conn *c)
{
    vici_section(b, c->name);
    add_addrs(b, "local_addrs", &c->local);
    add_addrs(b, "remote_addrs", &c->remote);
    vici_kv(b, "version", "IKEv2");
    vici_kv(b, "reauth_time", "0");
    vici_kv(b, "rekey_time", "%llu", (unsigned long long)c->rekey_time);
    vici_kv(b, "unique", "%s",
            c->unique == CFG_UNIQUE_NEVER     ? "UNIQUE_NEVER"
            : c->unique == CFG_UNIQUE_KEEP    ? "UNIQUE_KEEP"
            : c->unique == CFG_UNIQUE_REPLACE ? "UNIQUE_REPLACE"
                                              : "UNIQUE_NO");
    if (c->dpd_delay)
        vici_kv(b, "dpd_delay", "%u", c->dpd_delay);
    add_auth(b, "local-1", cfg, &c->local_auth, &c->local_id, false, true);
    add_auth(b, "remote-1", cfg, &c->remote_auth, &c->remote_id, c->remote_id_any, false);
    vici_section(b, "children");
    for (size_t k = 0; k < c->n_children; k++) {
        const struct cfg_child *ch = &c->children[k];

        vici_section(b, ch->name);
        vici_kv(b, "mode", "%s", mode_name(ch->mode));
        vici_kv(b, "rekey_time", "%llu", (unsigned long long)ch->life.rekey[CFG_TIME]);
        vici_kv(b, "rekey_bytes", "%llu", (unsigned long long)ch->life.rekey[CFG_BYTES]);
        vici_kv(b, "rekey_packets", "%llu", (unsigned long long)ch->life.rekey[CFG_PACKETS]);
        vici_kv(b, "dpd_action", "%s", c->dpd_delay ? "clear" : "none");
        vici_kv(b, "close_action", "none");
        add_ts_texts(b, "local-ts", ch->local_ts, ch->n_local_ts);
        add_ts_texts(b, "remote-ts", ch->remote_ts, ch->n_remote_ts);
        vici_section_end(b);
    }
    vici_section_end(b);
    vici_section_end(b);
}
