/* SPDX-License-Identifier: MIT */
/*
 * Sections `connections` and `secrets` of the configuration: swanctl.conf's
 * keys with strongSwan 5.9's meaning and defaults (docs/CONFIGURATION.md,
 * "IKEv2 connections").  A key for a feature uipsecd lacks is refused by
 * name unless its value turns the feature off, so a configuration never
 * silently means less than it says.
 */
#include "config_ike.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"
#include "config.h"
#include "ident.h"
#include "uipsec/spd.h"

#define FAIL(c, node, ...) (settings_node_error(node, (c)->err, (c)->err_len, __VA_ARGS__), -1)
#define COUNT(a)           (sizeof(a) / sizeof((a)[0]))

#define KNOWN_ALGS                                                                                 \
    "aes128 aes256 aes128gcm16 aes256gcm16 chacha20poly1305, prfsha256 prfsha384 prfsha512, "      \
    "sha256 sha384 sha512 (sha1, prfsha1: IKE only), x25519 x448 ecp256 ecp384 ecp521 modp2048 "   \
    "modp3072 modp4096"

/* strongSwan keys whose features uipsecd does not have (yet). */
static const char *const conn_unsupported[] = {
    "vips",      "pools",       "aggressive",     "pull",     "dscp",
    "childless", "ppk_id",      "ppk_required",   "if_id_in", "if_id_out",
    "mediation", "mediated_by", "mediation_peer", "ocsp",     "close_action",
};
static const char *const auth_unsupported[] = {
    "cert",        "pubkeys", "cacert", "ca_id",    "groups",
    "cert_policy", "eap_id",  "aaa_id", "xauth_id", "round",
};
static const char *const child_unsupported[] = {
    "ah_proposals", "ipcomp",     "hostaccess", "updown",      "policies",    "policies_fwd_out",
    "interface",    "mark_in",    "mark_in_sa", "mark_out",    "set_mark_in", "set_mark_out",
    "if_id_in",     "if_id_out",  "label",      "label_mode",  "hw_offload",  "copy_df",
    "copy_ecn",     "copy_dscp",  "sha256_96",  "per_cpu_sas", "reqid",       "priority",
    "tfc_padding",  "inactivity",
};
static const char *const secret_unsupported[] = {
    "eap", "xauth", "ntlm", "token", "ppk",
};
static const char *const key_secrets[] = {"private", "rsa", "ecdsa", "pkcs8", "pkcs12"};

static bool in_list(const char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* strongSwan's "key =" means "not set": the default applies. */
static bool is_unset(const struct settings_node *n)
{
    return n->value && n->value[0] == '\0';
}

static int unsupported(struct value_err *c, const struct settings_node *n, const char *path)
{
    return FAIL(c, n, "%s.%s: uipsecd does not support \"%s\" yet; remove it", path, n->name,
                n->name);
}

/* ---- values ---- */

/* strongSwan's time values: a whole number with an optional s, m, h or d. */
_Static_assert(CFG_MAX_CHILDREN <= IKE_CFG_MAX_CHILDREN, "a connection's children fit ike_cfg");

#define UNSET UINT64_MAX /* a lifetime not given: the default applies */

static int parse_time(const char *v, unsigned long long *secs)
{
    unsigned long long x = 0, mult = 1;
    const char *p = v;

    if (!isdigit((unsigned char)*p))
        return -1;
    for (; isdigit((unsigned char)*p); p++) {
        if (x > (UINT32_MAX - 9) / 10)
            return -1;
        x = x * 10 + (unsigned long long)(*p - '0');
    }
    if (*p && p[1] == '\0' && strchr("smhd", *p))
        mult = *p == 's' ? 1 : *p == 'm' ? 60 : *p == 'h' ? 3600 : 86400;
    else if (*p)
        return -1;
    *secs = x * mult;
    return 0;
}

static int any_time(struct value_err *c, const struct settings_node *n)
{
    unsigned long long v;

    if (value_need_key(c, n) < 0)
        return -1;
    if (parse_time(n->value, &v) < 0)
        return FAIL(c, n, "%s = \"%s\": expected a time such as 0, 30s, 10m, 4h or 1d", n->name,
                    n->value);
    return 0;
}

/* A time key whose feature uipsecd lacks: only 0 (off) is accepted. */
static int off_time(struct value_err *c, const struct settings_node *n, const char *feature)
{
    unsigned long long v;

    if (any_time(c, n) < 0)
        return -1;
    parse_time(n->value, &v);
    if (v)
        return FAIL(c, n, "%s = %s: %s is not supported yet; set %s = 0 or remove it", n->name,
                    n->value, feature, n->name);
    return 0;
}

static int one_of(struct value_err *c, const struct settings_node *n, const char *const *ok,
                  size_t n_ok, const char *hint)
{
    if (value_need_key(c, n) < 0)
        return -1;
    for (size_t i = 0; i < n_ok; i++)
        if (strcmp(n->value, ok[i]) == 0)
            return (int)i;
    return FAIL(c, n, "%s = %s: %s", n->name, n->value, hint);
}

/* local_addrs / remote_addrs: one address, or %any (family 0). */
static int addr_or_any(struct value_err *c, const struct settings_node *n, struct uipsec_addr *a)
{
    if (value_need_key(c, n) < 0)
        return -1;
    memset(a, 0, sizeof(*a));
    if (strcmp(n->value, "%any") == 0)
        return 0;
    if (inet_pton(AF_INET, n->value, a->bytes) == 1)
        return a->family = 4, 0;
    if (inet_pton(AF_INET6, n->value, a->bytes) == 1)
        return a->family = 6, 0;
    return FAIL(c, n,
                "%s = \"%s\": expected one IPv4 or IPv6 address, or %%any (uipsecd takes a "
                "single address: no lists, DNS names, subnets or ranges)",
                n->name, n->value);
}

/* ---- proposals ---- */

/* strongSwan's list (commas, blanks around items, "default" for the
 * default set) into the form ike_prop_parse reads. */
static int expand_proposals(const char *v, const char *dflt, char *out, size_t max)
{
    size_t len = 0;

    out[0] = '\0';
    while (*v) {
        size_t n;
        const char *item;

        while (*v == ' ' || *v == ',')
            v++;
        n = strcspn(v, ",");
        item = v;
        v += n;
        while (n && item[n - 1] == ' ')
            n--;
        if (!n)
            continue;
        if (n == 7 && memcmp(item, "default", 7) == 0)
            item = dflt, n = strlen(dflt);
        if (len + n + 2 > max)
            return -1;
        if (len)
            out[len++] = ',';
        memcpy(out + len, item, n);
        out[len += n] = '\0';
    }
    return 0;
}

/* Whether every alternative of p is one sk.c (IKE) or the packet engine
 * (ESP) implements: the parser knows some it does not (aes192, sha1 in
 * ESP).  Refused at load rather than failing a negotiation later. */
static bool alg_usable(const struct ike_prop *p, uint8_t type, size_t i)
{
    struct ike_prop one = *p;

    for (uint8_t t = 1; t < IKE_PROP_NTYPES; t++)
        one.n[t] = p->n[t] ? 1 : 0;
    one.alg[type][0] = p->alg[type][i];
    if (p->protocol == IKE_PROTO_IKE) {
        struct ike_sk_suite sk;
        enum ike_prf_alg prf;
        enum ike_dh_alg dh;

        return ike_prop_ike_suite(&one, &sk, &prf, &dh);
    }
    struct uipsec_sa_params sp;

    memset(&sp, 0, sizeof(sp));
    return ike_prop_esp_params(&one, &sp) == UIPSEC_OK;
}

static int check_usable(struct value_err *c, const struct settings_node *n,
                        const struct ike_prop_list *l)
{
    for (size_t k = 0; k < l->n; k++)
        for (uint8_t t = 1; t < IKE_PROP_NTYPES; t++)
            for (size_t i = 0; i < l->p[k].n[t]; i++) {
                struct ike_prop only = {.protocol = l->p[k].protocol};
                char word[32];

                if (alg_usable(&l->p[k], t, i))
                    continue;
                only.n[t] = 1;
                only.alg[t][0] = l->p[k].alg[t][i];
                ike_prop_format(&only, word, sizeof(word));
                return FAIL(c, n, "%s = %s: uipsecd does not implement %s%s; use e.g. %s", n->name,
                            n->value, word, l->p[k].protocol == IKE_PROTO_ESP ? " for ESP" : "",
                            l->p[k].protocol == IKE_PROTO_ESP ? "aes256gcm16, aes128-sha256"
                                                              : "aes256gcm16-prfsha256-x25519");
            }
    return 0;
}

static int proposals(struct value_err *c, const struct settings_node *n, uint8_t protocol,
                     struct ike_prop_list *list, char *text, size_t text_len)
{
    const char *dflt =
        protocol == IKE_PROTO_IKE ? CFG_IKE_DEFAULT_PROPOSALS : CFG_ESP_DEFAULT_PROPOSALS;
    char flat[1024], why[200];

    if (value_str(c, n, text, text_len) < 0)
        return -1;
    if (expand_proposals(n->value, dflt, flat, sizeof(flat)) < 0)
        return FAIL(c, n, "%s: too many proposals; at most %d", n->name, IKE_PROP_MAX);
    if (ike_prop_parse(flat, protocol, list, why, sizeof(why)) != UIPSEC_OK)
        return FAIL(c, n, "%s = %s: %s; proposals are keywords joined by '-' (%s), or default",
                    n->name, n->value, why, KNOWN_ALGS);
    return check_usable(c, n, list);
}

static void default_proposals(uint8_t protocol, struct ike_prop_list *list, char *text, size_t len)
{
    /* The defaults parse: test_config_ike checks them. */
    if (ike_prop_parse(protocol == IKE_PROTO_IKE ? CFG_IKE_DEFAULT_PROPOSALS
                                                 : CFG_ESP_DEFAULT_PROPOSALS,
                       protocol, list, NULL, 0) != UIPSEC_OK)
        memset(list, 0, sizeof(*list));
    snprintf(text, len, "default");
}

/* ---- identities ---- */

static int unhex(const char *s, uint8_t *out, size_t max, size_t *len)
{
    size_t n = strlen(s);

    if (n == 0 || n % 2 || n / 2 > max)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        char pair[3] = {s[i], s[i + 1], 0};

        if (!isxdigit((unsigned char)s[i]) || !isxdigit((unsigned char)s[i + 1]))
            return -1;
        out[i / 2] = (uint8_t)strtoul(pair, NULL, 16);
    }
    *len = n / 2;
    return 0;
}

static int keyid(struct ike_id *id, const char *text)
{
    size_t len;

    memset(id, 0, sizeof(*id));
    if (text[0] != '#')
        return ike_id_set(id, IKE_ID_KEY_ID, text) == UIPSEC_OK ? 0 : -1;
    if (unhex(text + 1, id->data, IKE_ID_MAX, &len) < 0)
        return -1;
    id->type = IKE_ID_KEY_ID;
    id->len = (uint8_t)len;
    return 0;
}

/* The ID type and text of v in strongSwan's syntax
 * (identification_create_from_string); a distinguished name is
 * IKE_ID_DER_ASN1_DN, asn1gn: 0 (refused). */
static const char *id_type_of(const char *v, uint8_t *type)
{
    static const struct {
        const char *prefix;
        uint8_t type;
    } prefixes[] = {
        {"ipv4:", IKE_ID_IPV4_ADDR},
        {"ipv6:", IKE_ID_IPV6_ADDR},
        {"fqdn:", IKE_ID_FQDN},
        {"dns:", IKE_ID_FQDN},
        {"email:", IKE_ID_RFC822_ADDR},
        {"rfc822:", IKE_ID_RFC822_ADDR},
        {"userfqdn:", IKE_ID_RFC822_ADDR},
        {"keyid:", IKE_ID_KEY_ID},
        {"asn1dn:", IKE_ID_DER_ASN1_DN},
        {"asn1gn:", 0},
    };
    struct in6_addr a;

    for (size_t i = 0; i < COUNT(prefixes); i++)
        if (has_prefix(v, prefixes[i].prefix))
            return *type = prefixes[i].type, v + strlen(prefixes[i].prefix);
    if (strchr(v, '='))
        return *type = IKE_ID_DER_ASN1_DN, v;
    if (has_prefix(v, "@#"))
        return *type = IKE_ID_KEY_ID, v + 1; /* keyid() reads the '#' */
    if (has_prefix(v, "@@"))
        return *type = IKE_ID_RFC822_ADDR, v + 2;
    if (v[0] == '@')
        return *type = IKE_ID_FQDN, v + 1;
    if (strchr(v, '@'))
        return *type = IKE_ID_RFC822_ADDR, v;
    if (inet_pton(AF_INET, v, &a) == 1)
        return *type = IKE_ID_IPV4_ADDR, v;
    if (inet_pton(AF_INET6, v, &a) == 1)
        return *type = IKE_ID_IPV6_ADDR, v;
    return *type = IKE_ID_FQDN, v;
}

/* An id key into *id; "%any" sets *any (when allowed) and leaves id zero. */
static int parse_id(struct value_err *c, const struct settings_node *n, struct ike_id *id,
                    bool *any, bool any_ok)
{
    const char *text;
    char why[200];
    uint8_t type;
    int rc;

    if (value_need_key(c, n) < 0)
        return -1;
    memset(id, 0, sizeof(*id));
    *any = strcmp(n->value, "%any") == 0;
    if (*any && !any_ok)
        return FAIL(c, n,
                    "%s = %%any: our own identity must be a definite one; write an FQDN, "
                    "an email address or an IP address",
                    n->name);
    if (*any)
        return 0;
    text = id_type_of(n->value, &type);
    if (type == 0)
        return FAIL(c, n,
                    "%s = \"%s\": general-name identities are not supported; use a "
                    "distinguished name, an FQDN, an email address or an IP address",
                    n->name, n->value);
    if (type == IKE_ID_DER_ASN1_DN && ike_id_parse_dn(id, text, why, sizeof(why)) < 0)
        return FAIL(c, n, "%s = \"%s\": %s", n->name, n->value, why);
    if (type == IKE_ID_DER_ASN1_DN)
        return 0;
    rc = type == IKE_ID_KEY_ID ? keyid(id, text) : ike_id_set(id, type, text) == UIPSEC_OK ? 0 : -1;
    if (rc < 0)
        return FAIL(c, n,
                    "%s = \"%s\": not a usable identity; write an FQDN (vpn.example.com or "
                    "@vpn.example.com), an email address, an IP address or keyid:#HEX (at most %d "
                    "bytes)",
                    n->name, n->value, IKE_ID_MAX);
    return 0;
}

static bool id_equal(const struct ike_id *a, const struct ike_id *b)
{
    return a->type == b->type && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* ---- local { } and remote { } ---- */

/* The key type and hashes after pubkey, rsa, ...: "-sha256-sha384". */
static int auth_hashes(struct value_err *c, const struct settings_node *n, const char *rest,
                       struct cfg_auth *a)
{
    static const struct {
        const char *name;
        unsigned id;
    } hashes[] = {{"sha1", IKE_HASH_SHA1},
                  {"sha256", IKE_HASH_SHA2_256},
                  {"sha384", IKE_HASH_SHA2_384},
                  {"sha512", IKE_HASH_SHA2_512},
                  {"identity", IKE_HASH_IDENTITY}};
    char buf[128], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", rest);
    for (char *t = strtok_r(buf, "-", &save); t; t = strtok_r(NULL, "-", &save)) {
        size_t i = 0;

        while (i < COUNT(hashes) && strcmp(t, hashes[i].name) != 0)
            i++;
        if (i == COUNT(hashes))
            return FAIL(c, n,
                        "auth = %s: \"%s\" is not a hash uipsecd knows (sha256, sha384, sha512, "
                        "sha1, identity); key size constraints are not supported",
                        n->value, t);
        a->hashes |= 1u << hashes[i].id;
    }
    return 0;
}

static int auth_value(struct value_err *c, const struct settings_node *n, struct cfg_auth *a)
{
    static const struct {
        const char *name;
        uint8_t type;
        bool pss;
    } kinds[] = {{"pubkey", CFG_KEY_ANY, false},      {"rsa/pss", CFG_KEY_RSA, true},
                 {"rsa", CFG_KEY_RSA, false},         {"ecdsa", CFG_KEY_ECDSA, false},
                 {"ed25519", CFG_KEY_ED25519, false}, {"ed448", CFG_KEY_ED448, false}};
    const char *v;

    if (value_need_key(c, n) < 0)
        return -1;
    v = n->value;
    if (strcmp(v, "psk") == 0)
        return a->method = CFG_AUTH_PSK, 0;
    for (size_t i = 0; i < COUNT(kinds); i++) {
        size_t len = strlen(kinds[i].name);

        if (!strncmp(v, kinds[i].name, len) && (v[len] == '\0' || v[len] == '-')) {
            a->method = CFG_AUTH_PUBKEY;
            a->key_type = kinds[i].type;
            a->pss = kinds[i].pss;
            return v[len] ? auth_hashes(c, n, v + len + 1, a) : 0;
        }
    }
    if (has_prefix(v, "eap"))
        return FAIL(c, n, "auth = %s: EAP is not supported yet; use auth = psk or pubkey", v);
    if (has_prefix(v, "xauth"))
        return FAIL(c, n,
                    "auth = %s: XAuth belongs to IKEv1, which uipsecd does not support; "
                    "use auth = psk or pubkey",
                    v);
    return FAIL(c, n, "auth = %s: expected psk, pubkey, rsa, rsa/pss, ecdsa, ed25519 or ed448", v);
}

/* local<suffix> { auth id certs } or remote<suffix> { auth id cacerts }. */
static int auth_section(struct value_err *c, const struct settings_node *sec, struct cfg *cfg,
                        struct cfg_conn *conn, bool local, const char *path)
{
    struct cfg_auth *a = local ? &conn->local_auth : &conn->remote_auth;
    char sub[128];
    bool auth = false, any;

    snprintf(sub, sizeof(sub), "%s.%s", path, sec->name);
    for (const struct settings_node *n = sec->children; n; n = n->next) {
        if (is_unset(n))
            continue;
        if (!strcmp(n->name, "auth")) {
            if (auth_value(c, n, a) < 0)
                return -1;
            auth = true;
        } else if (!strcmp(n->name, "id")) {
            if (parse_id(c, n, local ? &conn->local_id : &conn->remote_id, &any, !local) < 0)
                return -1;
            if (!local)
                conn->remote_id_any = any;
        } else if (!local && !strcmp(n->name, "revocation")) {
            static const char *const policies[] = {"relaxed", "ifuri", "strict"};
            int i = one_of(c, n, policies, COUNT(policies), "expected relaxed, ifuri or strict");

            if (i < 0)
                return -1;
            a->revocation = (uint8_t)i;
        } else if (!strcmp(n->name, "pubkeys")) {
            if (creds_pubkey_key(c, n, cfg, a->pubkeys, &a->n_pubkeys, CFG_SIDE_CERTS) < 0)
                return -1;
        } else if (!strcmp(n->name, "certs") || (!local && !strcmp(n->name, "cacerts"))) {
            bool ca = !strcmp(n->name, "cacerts");

            if (creds_cert_key(c, n, cfg, ca, ca ? a->cacerts : a->certs,
                               ca ? &a->n_cacerts : &a->n_certs, CFG_SIDE_CERTS) < 0)
                return -1;
        } else if (!local && n->value && !strcmp(n->name, "groups")) {
            return FAIL(c, n,
                        "%s.groups = %s: group membership comes from attribute certificates "
                        "(x509aa/), which uipsecd does not support; remove groups and tell the "
                        "peers apart by remote.id (wildcards like \"C=CH, O=Staff, CN=*\" work)",
                        sub, n->value);
        } else if (in_list(auth_unsupported, COUNT(auth_unsupported), n->name) ||
                   (!n->value && (has_prefix(n->name, "cert") || has_prefix(n->name, "cacert")))) {
            return unsupported(c, n, sub);
        } else {
            return FAIL(c, n, "unknown key \"%s\" in %s; known: auth, id, certs, pubkeys%s",
                        n->name, sub, local ? "" : ", cacerts, revocation");
        }
    }
    if (!auth)
        a->method = CFG_AUTH_PUBKEY; /* strongSwan's default */
    return 0;
}

/* ---- children ---- */

/* A selector list: "dynamic" (the IKE SA's address on that side, also with
 * "[proto/port]") or what uipsec_selector_parse reads. */
static int ts_list(struct value_err *c, const struct settings_node *n, char list[][CFG_TS_LEN],
                   size_t *count)
{
    if (value_ts_list(c, n, list, count) < 0)
        return -1;
    for (size_t i = 0; i < *count; i++) {
        struct uipsec_selector sel;
        char probe[CFG_TS_LEN + 8], why[200];

        if (has_prefix(list[i], "dynamic"))
            snprintf(probe, sizeof(probe), "%%any%s", list[i] + 7);
        else
            snprintf(probe, sizeof(probe), "%s", list[i]);
        if (uipsec_selector_parse(&sel, probe, probe, why, sizeof(why)) != UIPSEC_OK)
            return FAIL(c, n,
                        "%s: \"%s\": %s; write an address, subnet or range, optionally with "
                        "[proto/port], or dynamic",
                        n->name, list[i], why);
    }
    return 0;
}

static int child_mode_start(struct value_err *c, const struct settings_node *n,
                            struct cfg_child *ch)
{
    static const char *const modes[] = {"tunnel", "transport"};
    static const char *const starts[] = {"none", "start", "trap", "route"};
    static const enum cfg_start start_of[] = {CFG_START_NONE, CFG_START_START, CFG_START_TRAP,
                                              CFG_START_TRAP};
    int i;

    if (!strcmp(n->name, "mode")) {
        if ((i = one_of(c, n, modes, COUNT(modes),
                        "expected tunnel or transport (beet, pass and drop are not supported)")) <
            0)
            return -1;
        ch->mode = i == 0 ? UIPSEC_MODE_TUNNEL : UIPSEC_MODE_TRANSPORT;
        return 0;
    }
    if ((i = one_of(c, n, starts, COUNT(starts), "expected none, start or trap")) < 0)
        return -1;
    ch->start_action = start_of[i];
    return 0;
}

/* rekey_/life_/rand_ time, bytes or packets of a CHILD_SA. */
static int life_key(struct value_err *c, const struct settings_node *n, struct cfg_life *l)
{
    const char *k = n->name, *u = strchr(k, '_') + 1;
    int what = !strcmp(u, "time") ? CFG_TIME : !strcmp(u, "bytes") ? CFG_BYTES : CFG_PACKETS;
    uint64_t *slot = k[0] == 'r' && k[1] == 'e' ? &l->rekey[what]
                     : k[0] == 'l'              ? &l->life[what]
                                                : &l->rand[what];
    unsigned long long v;

    if (what == CFG_TIME) {
        if (any_time(c, n) < 0)
            return -1;
        parse_time(n->value, &v);
    } else if (value_uint(c, n, UINT64_MAX - 1, &v) < 0) {
        return -1;
    }
    *slot = v;
    return 0;
}

/* strongSwan's defaults: life 110% of rekey, rand the difference. */
static int life_finish(struct value_err *c, const struct settings_node *sec, struct cfg_life *l)
{
    for (int w = CFG_TIME; w <= CFG_PACKETS; w++) {
        if (l->rekey[w] == UNSET)
            l->rekey[w] = w == CFG_TIME ? 3600 : 0;
        if (l->life[w] == UNSET)
            l->life[w] = l->rekey[w] ? l->rekey[w] + (l->rekey[w] >= 10 ? l->rekey[w] / 10 : 1) : 0;
        if (l->rand[w] == UNSET)
            l->rand[w] = l->life[w] > l->rekey[w] ? l->life[w] - l->rekey[w] : 0;
        if (l->life[w] && l->rekey[w] >= l->life[w])
            return FAIL(c, sec, "%s: rekey_%s must be less than life_%s, or 0", sec->name,
                        w == CFG_TIME    ? "time"
                        : w == CFG_BYTES ? "bytes"
                                         : "packets",
                        w == CFG_TIME    ? "time"
                        : w == CFG_BYTES ? "bytes"
                                         : "packets");
        if (l->rand[w] > l->rekey[w])
            l->rand[w] = l->rekey[w];
    }
    return 0;
}

/* Keys of a child whose only accepted values turn a feature off. */
static int child_off_key(struct value_err *c, const struct settings_node *n)
{
    static const char *const dpd_ok[] = {"clear", "none"};
    static const char *const close_ok[] = {"none"};
    const char *k = n->name;

    if (!strcmp(k, "dpd_action"))
        return one_of(c, n, dpd_ok, COUNT(dpd_ok),
                      "dead peer detection is not supported yet; use clear or none") < 0
                   ? -1
                   : 0;
    if (!strcmp(k, "close_action"))
        return one_of(c, n, close_ok, COUNT(close_ok),
                      "acting on a close is not supported yet; use none") < 0
                   ? -1
                   : 0;
    return -1;
}

static int child_key(struct value_err *c, const struct settings_node *n, struct cfg_child *ch,
                     const char *path)
{
    unsigned long long v;
    const char *k = n->name;

    if (!strcmp(k, "local_ts"))
        return ts_list(c, n, ch->local_ts, &ch->n_local_ts);
    if (!strcmp(k, "remote_ts"))
        return ts_list(c, n, ch->remote_ts, &ch->n_remote_ts);
    if (!strcmp(k, "esp_proposals"))
        return proposals(c, n, IKE_PROTO_ESP, &ch->esp, ch->esp_text, sizeof(ch->esp_text));
    if (!strcmp(k, "mode") || !strcmp(k, "start_action"))
        return child_mode_start(c, n, ch);
    if (!strcmp(k, "replay_window")) {
        if (value_uint(c, n, 65536, &v) < 0)
            return -1;
        return ch->replay_window = (uint32_t)v, 0;
    }
    if (!strcmp(k, "rekey_time") || !strcmp(k, "life_time") || !strcmp(k, "rand_time") ||
        !strcmp(k, "rekey_bytes") || !strcmp(k, "life_bytes") || !strcmp(k, "rand_bytes") ||
        !strcmp(k, "rekey_packets") || !strcmp(k, "life_packets") || !strcmp(k, "rand_packets"))
        return life_key(c, n, &ch->life);
    if (!strcmp(k, "dpd_action") || !strcmp(k, "close_action"))
        return child_off_key(c, n);
    if (in_list(child_unsupported, COUNT(child_unsupported), k))
        return unsupported(c, n, path);
    return FAIL(c, n,
                "unknown key \"%s\" in %s; known: local_ts, remote_ts, esp_proposals, mode, "
                "start_action, replay_window, rekey_time, life_time, rand_time, rekey_bytes, "
                "life_bytes, rand_bytes, rekey_packets, life_packets, rand_packets, dpd_action, "
                "close_action",
                k, path);
}

/* Whether a child called name exists already (swanctl --initiate --child
 * finds children by name alone, so names are unique across connections). */
static bool child_name_taken(const struct cfg *cfg, const struct cfg_conn *cur, const char *name)
{
    for (size_t i = 0; i < cfg->n_ike_conns; i++)
        for (size_t j = 0; j < cfg->ike_conns[i].n_children; j++)
            if (!strcmp(cfg->ike_conns[i].children[j].name, name))
                return true;
    for (size_t j = 0; j < cur->n_children; j++)
        if (!strcmp(cur->children[j].name, name))
            return true;
    return false;
}

static int child_section(struct value_err *c, const struct settings_node *sec,
                         const struct cfg *cfg, struct cfg_conn *conn)
{
    struct cfg_child *ch = &conn->children[conn->n_children];
    char path[200];

    snprintf(path, sizeof(path), "connections.%s.children.%s", conn->name, sec->name);
    if (sec->value)
        return FAIL(c, sec, "%s must be a section: %s { local_ts = ... }", path, sec->name);
    if (conn->n_children == CFG_MAX_CHILDREN)
        return FAIL(c, sec, "%s: at most %d children per connection", path, CFG_MAX_CHILDREN);
    if (strlen(sec->name) >= sizeof(ch->name))
        return FAIL(c, sec, "child name \"%s\" is longer than %zu characters", sec->name,
                    sizeof(ch->name) - 1);
    if (child_name_taken(cfg, conn, sec->name))
        return FAIL(c, sec,
                    "%s: a child of this name exists already; child names must be unique "
                    "across all connections (swanctl --initiate --child NAME finds it by name)",
                    path);
    memset(ch, 0, sizeof(*ch));
    strcpy(ch->name, sec->name);
    snprintf(ch->where, sizeof(ch->where), "%s:%u:%u", sec->file, sec->line, sec->col);
    strcpy(ch->local_ts[0], "dynamic");
    strcpy(ch->remote_ts[0], "dynamic");
    ch->n_local_ts = ch->n_remote_ts = 1;
    default_proposals(IKE_PROTO_ESP, &ch->esp, ch->esp_text, sizeof(ch->esp_text));
    ch->mode = UIPSEC_MODE_TUNNEL;
    ch->start_action = CFG_START_NONE;
    ch->replay_window = 32;
    for (int w = CFG_TIME; w <= CFG_PACKETS; w++)
        ch->life.rekey[w] = ch->life.life[w] = ch->life.rand[w] = UNSET;
    for (const struct settings_node *n = sec->children; n; n = n->next)
        if (!is_unset(n) && child_key(c, n, ch, path) < 0)
            return -1;
    if (life_finish(c, sec, &ch->life) < 0)
        return -1;
    if (ch->n_local_ts * ch->n_remote_ts > IKE_CFG_MAX_TS)
        return FAIL(c, sec,
                    "%s: %zu local_ts x %zu remote_ts make more than %d selector pairs; split "
                    "the child in two",
                    path, ch->n_local_ts, ch->n_remote_ts, IKE_CFG_MAX_TS);
    conn->n_children++;
    return 0;
}

static int children_section(struct value_err *c, const struct settings_node *sec,
                            const struct cfg *cfg, struct cfg_conn *conn)
{
    for (const struct settings_node *n = sec->children; n; n = n->next)
        if (child_section(c, n, cfg, conn) < 0)
            return -1;
    return 0;
}

/* ---- connections.NAME ---- */

/* The subsections of a connection, handled after its keys: the default
 * local ID depends on local_addrs wherever that stands. */
struct conn_parts {
    const struct settings_node *local, *remote, *children;
};

static int conn_part(struct value_err *c, const struct settings_node *n, struct conn_parts *parts,
                     const char *path)
{
    const struct settings_node **slot = has_prefix(n->name, "local")    ? &parts->local
                                        : has_prefix(n->name, "remote") ? &parts->remote
                                        : !strcmp(n->name, "children")  ? &parts->children
                                                                        : NULL;

    if (!slot)
        return FAIL(c, n, "unknown section \"%s\" in %s; known: local, remote, children", n->name,
                    path);
    if (*slot)
        return FAIL(c, n,
                    "%s.%s: a second %s section (authentication round) is not supported; "
                    "keep one",
                    path, n->name, slot == &parts->local ? "local" : "remote");
    *slot = n;
    return 0;
}

static int ike_time(struct value_err *c, const struct settings_node *n, struct cfg_conn *conn)
{
    unsigned long long v;

    if (any_time(c, n) < 0)
        return -1;
    parse_time(n->value, &v);
    *(!strcmp(n->name, "rekey_time")  ? &conn->rekey_time
      : !strcmp(n->name, "over_time") ? &conn->over_time
                                      : &conn->rand_time) = v;
    return 0;
}

/* Liveness checks (RFC 7296 2.4) after this long without a word from the
 * peer; 0 turns them off. */
static int dpd_delay(struct value_err *c, const struct settings_node *n, struct cfg_conn *conn)
{
    unsigned long long v;

    if (any_time(c, n) < 0)
        return -1;
    parse_time(n->value, &v);
    if (v > 86400)
        return FAIL(c, n, "dpd_delay = %s: at most a day (1d)", n->value);
    conn->dpd_delay = (uint32_t)v;
    return 0;
}

/* Keys whose only accepted values are those that leave a feature off. */
static int conn_off_key(struct value_err *c, const struct settings_node *n)
{
    unsigned long long v;
    bool b;
    const char *k = n->name;

    if (!strcmp(k, "reauth_time"))
        return off_time(c, n, "reauthentication");
    if (!strcmp(k, "mobike"))
        return value_bool(c, n, &b); /* uipsecd never offers MOBIKE */
    if (!strcmp(k, "keyingtries"))
        return value_uint(c, n, UINT32_MAX, &v);
    if (value_uint(c, n, 65535, &v) < 0) /* local_port, remote_port */
        return -1;
    if (v != 500)
        return FAIL(c, n, "%s = %s: uipsecd uses port 500 (and 4500) only; remove it", k, n->value);
    return 0;
}

static int conn_key(struct value_err *c, const struct settings_node *n, struct cfg_conn *conn,
                    const char *path)
{
    static const char *const off_keys[] = {"reauth_time", "mobike", "keyingtries", "local_port",
                                           "remote_port"};
    /* RFC 7383, in the order of IKE_FRAG_* (ikesa.h) */
    static const char *const frag_ok[] = {"yes", "accept", "force", "no"};
    static const char *const unique_ok[] = {"no", "never", "keep", "replace"};
    static const char *const send_cert_ok[] = {"ifasked", "always", "never"};
    const char *k = n->name;
    unsigned long long v;
    int i;

    if (!strcmp(k, "version")) {
        if (value_need_key(c, n) < 0)
            return -1;
        if (!strcmp(n->value, "1"))
            return FAIL(c, n, "version = 1: IKEv1 is not supported; use version = 2");
        if (strcmp(n->value, "0") && strcmp(n->value, "2"))
            return FAIL(c, n, "version = %s: expected 2 (or 0: any, meaning IKEv2 here)", n->value);
        return 0;
    }
    if (!strcmp(k, "local_addrs"))
        return addr_or_any(c, n, &conn->local);
    if (!strcmp(k, "remote_addrs"))
        return addr_or_any(c, n, &conn->remote);
    if (!strcmp(k, "proposals"))
        return proposals(c, n, IKE_PROTO_IKE, &conn->ike, conn->ike_text, sizeof(conn->ike_text));
    if (!strcmp(k, "encap"))
        return value_bool(c, n, &conn->encap);
    if (!strcmp(k, "dpd_delay"))
        return dpd_delay(c, n, conn);
    if (!strcmp(k, "rekey_time") || !strcmp(k, "over_time") || !strcmp(k, "rand_time"))
        return ike_time(c, n, conn);
    if (!strcmp(k, "dpd_timeout"))
        return any_time(c, n); /* IKEv1 only */
    if (!strcmp(k, "unique")) {
        if ((i = one_of(c, n, unique_ok, COUNT(unique_ok), "expected no, never, keep or replace")) <
            0)
            return -1;
        return conn->unique = (enum cfg_unique)i, 0;
    }
    if (!strcmp(k, "max_ike_sas") || !strcmp(k, "max_child_sas")) {
        if (value_uint(c, n, 100000, &v) < 0)
            return -1;
        *(k[4] == 'i' ? &conn->max_ike_sas : &conn->max_child_sas) = (uint32_t)v;
        return 0;
    }
    if (!strcmp(k, "send_cert")) {
        if ((i = one_of(c, n, send_cert_ok, COUNT(send_cert_ok),
                        "expected ifasked, always or never")) < 0)
            return -1;
        return conn->send_cert = (uint8_t)i, 0;
    }
    if (!strcmp(k, "send_certreq"))
        return value_bool(c, n, &conn->send_certreq);
    if (!strcmp(k, "fragmentation")) {
        if ((i = one_of(c, n, frag_ok, COUNT(frag_ok), "expected yes, accept, force or no")) < 0)
            return -1;
        return conn->fragmentation = (uint8_t)i, 0;
    }
    if (in_list(off_keys, COUNT(off_keys), k))
        return conn_off_key(c, n);
    if (in_list(conn_unsupported, COUNT(conn_unsupported), k))
        return unsupported(c, n, path);
    return FAIL(c, n,
                "unknown key \"%s\" in %s; known: version, local_addrs, remote_addrs, local_port, "
                "remote_port, proposals, encap, mobike, fragmentation, unique, keyingtries, "
                "rekey_time, reauth_time, over_time, rand_time, dpd_delay, dpd_timeout, "
                "max_ike_sas, max_child_sas, local, remote, children",
                k, path);
}

static int local_id_default(struct value_err *c, const struct settings_node *sec,
                            struct cfg_conn *conn)
{
    char text[INET6_ADDRSTRLEN];
    bool v4 = conn->local.family == 4;

    if (!conn->local.family)
        return FAIL(c, sec,
                    "connections.%s: local_addrs is %%any and local.id is not set, so there is "
                    "no identity to send; set local.id (e.g. id = vpn.example.com) or local_addrs",
                    conn->name);
    inet_ntop(v4 ? AF_INET : AF_INET6, conn->local.bytes, text, sizeof(text));
    if (ike_id_set(&conn->local_id, v4 ? IKE_ID_IPV4_ADDR : IKE_ID_IPV6_ADDR, text) != UIPSEC_OK)
        return FAIL(c, sec, "connections.%s: cannot make an ID of %s", conn->name, text);
    return 0;
}

/* strongSwan's: 4h, over_time 10% of it, rand_time over_time. */
static void ike_life_finish(struct cfg_conn *conn)
{
    if (conn->rekey_time == UNSET)
        conn->rekey_time = 4 * 3600;
    if (conn->over_time == UNSET)
        conn->over_time = conn->rekey_time / 10;
    if (conn->rand_time == UNSET)
        conn->rand_time = conn->over_time;
    if (conn->rand_time > conn->rekey_time)
        conn->rand_time = conn->rekey_time;
}

static int finish_conn(struct value_err *c, const struct settings_node *sec, struct cfg *cfg,
                       struct cfg_conn *conn, const struct conn_parts *parts, const char *path)
{
    if (!parts->local || !parts->remote)
        return FAIL(c, sec, "%s: %s { auth = psk } is missing", path,
                    parts->local ? "remote" : "local");
    if (auth_section(c, parts->local, cfg, conn, true, path) < 0 ||
        auth_section(c, parts->remote, cfg, conn, false, path) < 0)
        return -1;
    /* with a certificate, our id and the certificate are settled once the
     * keys and PKCS#12 bundles are read (cfg_ike_finish) */
    if (conn->local_auth.method != CFG_AUTH_PUBKEY && !conn->local_id.type &&
        local_id_default(c, sec, conn) < 0)
        return -1;
    ike_life_finish(conn);
    if (conn->local.family && conn->remote.family && conn->local.family != conn->remote.family)
        return FAIL(c, sec, "%s: local_addrs is IPv%u but remote_addrs is IPv%u; use one family",
                    path, conn->local.family, conn->remote.family);
    if (parts->children && parts->children->value)
        return FAIL(c, parts->children, "%s.children must be a section: children { NAME { } }",
                    path);
    if (parts->children && children_section(c, parts->children, cfg, conn) < 0)
        return -1;
    return 0;
}

static int conn_section(struct value_err *c, const struct settings_node *sec, struct cfg *cfg,
                        struct cfg_conn *conn)
{
    struct conn_parts parts = {NULL, NULL, NULL};
    char path[128];

    memset(conn, 0, sizeof(*conn));
    conn->rekey_time = conn->over_time = conn->rand_time = UNSET;
    if (strlen(sec->name) >= sizeof(conn->name))
        return FAIL(c, sec, "connection name \"%.20s...\" is longer than %zu characters", sec->name,
                    sizeof(conn->name) - 1);
    snprintf(path, sizeof(path), "connections.%s", sec->name);
    if (sec->value)
        return FAIL(c, sec, "%s must be a section: %s { remote_addrs = ... }", path, sec->name);
    strcpy(conn->name, sec->name);
    snprintf(conn->where, sizeof(conn->where), "%s:%u:%u", sec->file, sec->line, sec->col);
    default_proposals(IKE_PROTO_IKE, &conn->ike, conn->ike_text, sizeof(conn->ike_text));
    conn->remote_id_any = true;
    conn->send_certreq = true;
    conn->key = -1;
    conn->max_ike_sas = CFG_MAX_IKE_SAS_DEFAULT;
    conn->max_child_sas = CFG_MAX_CHILD_SAS_DEFAULT;
    for (const struct settings_node *n = sec->children; n; n = n->next) {
        int rc = !n->value     ? conn_part(c, n, &parts, path)
                 : is_unset(n) ? 0
                               : conn_key(c, n, conn, path);

        if (rc < 0)
            return -1;
    }
    return finish_conn(c, sec, cfg, conn, &parts, path);
}

/* Grows an array of secrets-bearing structs: a copy, and the old one wiped
 * (realloc could leave key bytes behind in freed memory). */
static void *grow(void *old, size_t n_old, size_t n_new, size_t size)
{
    void *p = calloc(n_new ? n_new : 1, size);

    if (p && old)
        memcpy(p, old, n_old * size);
    if (p && old) {
        OPENSSL_cleanse(old, n_old * size);
        free(old);
    }
    return p;
}

static size_t count_children(const struct settings_node *sec)
{
    size_t n = 0;

    for (const struct settings_node *k = sec->children; k; k = k->next)
        n++;
    return n;
}

int cfg_ike_connections(struct value_err *c, const struct settings_node *sec, struct cfg *cfg)
{
    struct cfg_conn *all;

    if (sec->value)
        return FAIL(c, sec, "connections must be a section: connections { NAME { ... } }");
    all = grow(cfg->ike_conns, cfg->n_ike_conns, cfg->n_ike_conns + count_children(sec),
               sizeof(*all));
    if (!all)
        return FAIL(c, sec, "out of memory");
    cfg->ike_conns = all;
    for (const struct settings_node *n = sec->children; n; n = n->next) {
        if (conn_section(c, n, cfg, &all[cfg->n_ike_conns]) < 0)
            return -1;
        cfg->n_ike_conns++;
    }
    return 0;
}

int cfg_ike_id(struct value_err *c, const struct settings_node *n, struct ike_id *id)
{
    bool any;

    return parse_id(c, n, id, &any, true);
}

/* ---- secrets ---- */

static int secret_value(struct value_err *c, const struct settings_node *n, struct cfg_secret *s)
{
    char why[300];

    if (value_need_key(c, n) < 0)
        return -1;
    /* Like manual keys: the file that holds a secret must be private. */
    if (settings_check_private(n->file, why, sizeof(why)) != 0)
        return FAIL(c, n, "secret: the file holds a pre-shared key but others may read it: %s",
                    why);
    snprintf(s->where, sizeof(s->where), "%s:%u", n->file, n->line);
    if (has_prefix(n->value, "0x") || has_prefix(n->value, "0s"))
        return value_binary(c, n, s->secret, sizeof(s->secret), &s->len);
    s->len = strlen(n->value);
    if (s->len > sizeof(s->secret))
        return FAIL(c, n, "secret: longer than %zu bytes", sizeof(s->secret));
    memcpy(s->secret, n->value, s->len);
    return 0;
}

/* secrets.ike<suffix> { id<suffix> = ..., secret = ... } */
static int ike_secret(struct value_err *c, const struct settings_node *sec, struct cfg_secret *s)
{
    bool any;

    memset(s, 0, sizeof(*s));
    if (sec->value)
        return FAIL(c, sec, "secrets.%s must be a section: %s { id = ... secret = ... }", sec->name,
                    sec->name);
    if (strlen(sec->name) >= sizeof(s->name))
        return FAIL(c, sec, "secret name \"%.20s...\" is longer than %zu characters", sec->name,
                    sizeof(s->name) - 1);
    strcpy(s->name, sec->name);
    for (const struct settings_node *n = sec->children; n; n = n->next) {
        if (is_unset(n))
            continue;
        if (!strcmp(n->name, "secret")) {
            if (secret_value(c, n, s) < 0)
                return -1;
        } else if (has_prefix(n->name, "id")) {
            if (s->n_ids == COUNT(s->ids))
                return FAIL(c, n, "secrets.%s: at most %zu ids", s->name, COUNT(s->ids));
            if (parse_id(c, n, &s->ids[s->n_ids], &any, true) < 0)
                return -1;
            s->n_ids++; /* %any: type 0, matches any ID */
        } else {
            return FAIL(c, n, "unknown key \"%s\" in secrets.%s; known: id, id<suffix>, secret",
                        n->name, s->name);
        }
    }
    if (!s->len)
        return FAIL(c, sec, "secrets.%s: the secret is missing or empty; add secret = ...",
                    s->name);
    return 0;
}

int cfg_ike_secrets(struct value_err *c, const struct settings_node *sec, struct cfg *cfg)
{
    struct cfg_secret *all;

    if (sec->value)
        return FAIL(c, sec, "secrets must be a section: secrets { ike-NAME { ... } }");
    all = grow(cfg->secrets, cfg->n_secrets, cfg->n_secrets + count_children(sec), sizeof(*all));
    if (!all)
        return FAIL(c, sec, "out of memory");
    cfg->secrets = all;
    for (const struct settings_node *n = sec->children; n; n = n->next) {
        bool other = false;

        for (size_t i = 0; i < COUNT(secret_unsupported); i++)
            other |= has_prefix(n->name, secret_unsupported[i]);
        if (other)
            return FAIL(c, n,
                        "secrets.%s: only IKE pre-shared keys (ike<suffix>) and private key "
                        "passphrases (private<suffix>, rsa, ecdsa, pkcs8, pkcs12) are supported "
                        "yet; remove it",
                        n->name);
        for (size_t i = 0; i < COUNT(key_secrets); i++)
            other |= has_prefix(n->name, key_secrets[i]);
        if (other) {
            if (creds_key_secret(c, n, cfg) < 0)
                return -1;
            continue;
        }
        if (!has_prefix(n->name, "ike"))
            return FAIL(c, n,
                        "unknown entry \"%s\" in secrets; known: ike<suffix>, private<suffix>, "
                        "rsa<suffix>, ecdsa<suffix>, pkcs8<suffix>, pkcs12<suffix>",
                        n->name);
        if (ike_secret(c, n, &all[cfg->n_secrets]) < 0) {
            /* cfg_free wipes n_secrets entries; this one may hold a key */
            OPENSSL_cleanse(&all[cfg->n_secrets], sizeof(*all));
            return -1;
        }
        cfg->n_secrets++;
    }
    return 0;
}

/* ---- after the file ---- */

/* How well s fits conn: -1 not at all (an id that is neither side's), else
 * 2 if its ids name both sides, 1 one side, 0 none (no ids, or %any).
 * With remote.id = %any the peer is unknown at load: a secret naming some
 * other peer is the last choice (0), below one without (1, or 2 if it
 * names us), so that no single peer's key becomes everyone's. */
int cfg_secret_rank(const struct cfg_conn *conn, const struct cfg_secret *s)
{
    bool mine = false, peer = false;

    for (size_t i = 0; i < s->n_ids; i++) {
        const struct ike_id *id = &s->ids[i];

        if (id->type == 0)
            continue;
        if (id_equal(id, &conn->local_id))
            mine = true;
        else if (conn->remote_id_any || id_equal(id, &conn->remote_id))
            peer = true;
        else
            return -1;
    }
    if (conn->remote_id_any)
        return peer ? 0 : 1 + mine;
    return mine + peer;
}

static int resolve_psk(struct value_err *c, struct cfg *cfg, struct cfg_conn *conn)
{
    const struct cfg_secret *best = NULL;
    int best_rank = -1;
    char me[80], peer[80];

    for (size_t i = 0; i < cfg->n_secrets; i++) {
        int r = cfg_secret_rank(conn, &cfg->secrets[i]);

        if (r > best_rank) /* ties: the first in the file */
            best = &cfg->secrets[i], best_rank = r;
    }
    if (!best) {
        ike_id_print(&conn->local_id, me, sizeof(me));
        if (conn->remote_id_any)
            snprintf(peer, sizeof(peer), "%%any");
        else
            ike_id_print(&conn->remote_id, peer, sizeof(peer));
        snprintf(c->err, c->err_len,
                 "%s: connections.%s: no pre-shared key for local id %s and remote id %s; add "
                 "secrets { ike-%s { id = %s  secret = ... } }",
                 conn->where, conn->name, me, peer, conn->name, peer);
        return -1;
    }
    memcpy(conn->psk, best->secret, best->len);
    conn->psk_len = best->len;
    return 0;
}

/* The certificate whose identities include our id: certs = may be left
 * out when id names one (strongSwan finds it so, as for a PKCS#12). */
static int cert_by_id(const struct cfg *cfg, const struct ike_id *id)
{
    for (size_t i = 0; i < cfg->n_certs; i++) {
        size_t len;
        const uint8_t *der = creds_der(cfg, (int)i, &len);
        X509 *x = cfg->certs[i].ca || cfg->certs[i].crl ? NULL : d2i_X509(NULL, &der, (long)len);
        bool fits = x && ike_id_in_cert(x, id);

        X509_free(x);
        if (fits)
            return (int)i;
    }
    return -1;
}

/* auth = pubkey on our side: a certificate to show, by certs = or by our
 * id, whose subject is our id when none is set. */
static int local_cert(struct value_err *c, const struct cfg *cfg, struct cfg_conn *conn)
{
    struct cfg_auth *a = &conn->local_auth;
    const uint8_t *der;
    size_t len;
    X509 *x;
    int i, rc;

    if (!a->n_certs && a->n_pubkeys) /* a raw key: no certificate, no id from one */
        return conn->local_id.type
                   ? 0
                   : (snprintf(c->err, c->err_len,
                               "%s: connections.%s: local.pubkeys needs local.id: with a raw "
                               "public key there is no certificate to take our identity from",
                               conn->where, conn->name),
                      -1);
    if (!a->n_certs && conn->local_id.type && (i = cert_by_id(cfg, &conn->local_id)) >= 0)
        a->certs[a->n_certs++] = (int16_t)i;
    if (!a->n_certs)
        return snprintf(c->err, c->err_len,
                        "%s: connections.%s: local { auth = pubkey } needs our certificate: add "
                        "certs = FILE (in x509/ beside the configuration), or set local.id to an "
                        "identity of a certificate in x509/ or pkcs12/",
                        conn->where, conn->name),
               -1;
    if (conn->local_id.type)
        return 0;
    der = creds_der(cfg, a->certs[0], &len);
    x = d2i_X509(NULL, &der, (long)len);
    rc = x && ike_id_of_cert(x, &conn->local_id) == 0 ? 0 : -1;
    X509_free(x);
    if (rc < 0)
        snprintf(c->err, c->err_len,
                 "%s: connections.%s: the subject of %s is too long for an IKE ID; set local.id",
                 conn->where, conn->name, cfg->certs[a->certs[0]].path);
    return rc;
}

int cfg_ike_conn_certs(struct value_err *c, const struct cfg *cfg, struct cfg_conn *conn)
{
    bool any_ca = false;

    if (conn->local_auth.method == CFG_AUTH_PUBKEY && local_cert(c, cfg, conn) < 0)
        return -1;
    for (size_t i = 0; i < cfg->n_certs; i++)
        any_ca |= cfg->certs[i].ca;
    if (conn->remote_auth.method == CFG_AUTH_PUBKEY && conn->remote_auth.n_pubkeys &&
        conn->remote_id_any)
        return snprintf(c->err, c->err_len,
                        "%s: connections.%s: remote.pubkeys needs remote.id: with a raw public "
                        "key no certificate confirms the peer's identity",
                        conn->where, conn->name),
               -1;
    if (conn->remote_auth.method == CFG_AUTH_PUBKEY && !conn->remote_auth.n_pubkeys && !any_ca)
        return snprintf(c->err, c->err_len,
                        "%s: connections.%s: remote { auth = pubkey } but no CA certificate to "
                        "check the peer's against; put it in x509ca/ beside the configuration or "
                        "set remote.cacerts",
                        conn->where, conn->name),
               -1;
    return 0;
}

int cfg_ike_own_entry(const struct cfg_conn *conn)
{
    if (conn->local_auth.method != CFG_AUTH_PUBKEY)
        return -1;
    return conn->local_auth.n_certs ? conn->local_auth.certs[0] : conn->local_auth.pubkeys[0];
}

/* auth = pubkey: our certificate's private key, and a CA to check the
 * peer's chain against. */
static int resolve_pubkey(struct value_err *c, struct cfg *cfg, struct cfg_conn *conn,
                          bool *keys_loaded)
{
    int mine;

    if (conn->local_auth.method == CFG_AUTH_PUBKEY && !*keys_loaded && creds_load_keys(c, cfg) < 0)
        return -1;
    *keys_loaded |= conn->local_auth.method == CFG_AUTH_PUBKEY;
    if (cfg_ike_conn_certs(c, cfg, conn) < 0)
        return -1;
    if ((mine = cfg_ike_own_entry(conn)) >= 0 && (conn->key = creds_key_of(cfg, mine)) < 0)
        return snprintf(c->err, c->err_len,
                        "%s: connections.%s: no private key for %s; put it in private/ (or "
                        "rsa/, ecdsa/, pkcs8/, pkcs12/) beside the configuration",
                        conn->where, conn->name, cfg->certs[mine].path),
               -1;
    return 0;
}

int cfg_ike_finish(struct value_err *c, struct cfg *cfg)
{
    bool keys_loaded = false;

    for (size_t i = 0; i < cfg->n_ike_conns; i++) {
        struct cfg_conn *conn = &cfg->ike_conns[i];

        if ((conn->local_auth.method == CFG_AUTH_PSK || conn->remote_auth.method == CFG_AUTH_PSK) &&
            resolve_psk(c, cfg, conn) < 0)
            return -1;
        if (resolve_pubkey(c, cfg, conn, &keys_loaded) < 0)
            return -1;
    }
    return 0;
}

bool cfg_ike_psk_warning(const struct cfg_secret *s, char *buf, size_t len)
{
    if (s->len >= CFG_PSK_WEAK)
        return false;
    snprintf(buf, len,
             "%s: secrets.%s: the pre-shared key is only %zu bytes: anyone who can answer as "
             "the peer can guess it offline; use at least %d random bytes, e.g. secret = "
             "0s$(openssl rand -base64 32)",
             s->where, s->name, s->len, CFG_PSK_WEAK);
    return true;
}

/* Every field is plain data, zero-filled on creation, so bytes compare;
 * where the sections stand in the file does not count. */
bool cfg_conn_equal(const struct cfg_conn *a, const struct cfg_conn *b)
{
    struct cfg_conn *x = malloc(sizeof(*x)), *y = malloc(sizeof(*y));
    bool same = false;

    if (x && y) {
        memcpy(x, a, sizeof(*x));
        memcpy(y, b, sizeof(*y));
        memset(x->where, 0, sizeof(x->where));
        memset(y->where, 0, sizeof(y->where));
        for (size_t i = 0; i < CFG_MAX_CHILDREN; i++) {
            memset(x->children[i].where, 0, sizeof(x->children[i].where));
            memset(y->children[i].where, 0, sizeof(y->children[i].where));
        }
        same = CRYPTO_memcmp(x, y, sizeof(*x)) == 0;
    }
    if (x)
        OPENSSL_cleanse(x, sizeof(*x));
    if (y)
        OPENSSL_cleanse(y, sizeof(*y));
    free(x);
    free(y);
    return same;
}
