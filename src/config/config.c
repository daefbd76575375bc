/* SPDX-License-Identifier: MIT */
/* Sections `uipsec` and `manual` of the configuration (docs/CONFIGURATION.md). */
#include "config.h"

#include <arpa/inet.h>
#include <grp.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "value.h"

#define FAIL(c, node, ...) (settings_node_error(node, (c)->err, (c)->err_len, __VA_ARGS__), -1)

static int keys_section(struct value_err *c, const struct settings_node *sec, struct cfg_keys *k)
{
    unsigned long long v;
    char why[300];

    if (sec->value)
        return FAIL(c, sec, "%s must be a section: %s { spi = ... enc_key = ... }", sec->name,
                    sec->name);
    for (const struct settings_node *n = sec->children; n; n = n->next) {
        int rc;

        /* Keys are secrets: the file holding them must be private. */
        if (strcmp(n->name, "spi") != 0 && settings_check_private(n->file, why, sizeof(why)) != 0)
            return FAIL(c, n, "%s: the file holds keys but others may read it: %s", n->name, why);
        if (strcmp(n->name, "spi") == 0) {
            rc = value_uint(c, n, UINT32_MAX, &v);
            if (rc == 0 && v < 256)
                return FAIL(c, n,
                            "spi = %s: SPIs 0-255 are reserved (RFC 4303 2.1); use a "
                            "larger one, e.g. 0x%08llx",
                            n->value, 0xc0de0000ull + v);
            k->spi = (uint32_t)v;
        } else if (strcmp(n->name, "enc_key") == 0) {
            rc = value_binary(c, n, k->enc_key, sizeof(k->enc_key), &k->enc_key_len);
        } else if (strcmp(n->name, "integ_key") == 0) {
            rc = value_binary(c, n, k->integ_key, sizeof(k->integ_key), &k->integ_key_len);
        } else {
            return FAIL(c, n, "unknown key \"%s\" in %s; known: spi, enc_key, integ_key", n->name,
                        sec->name);
        }
        if (rc < 0)
            return -1;
    }
    if (!k->spi)
        return FAIL(c, sec, "%s: spi is missing", sec->name);
    return 0;
}

static int proposal(struct value_err *c, const struct settings_node *n, struct cfg_manual *m,
                    enum uipsec_proto proto)
{
    if (m->proposal[0])
        return FAIL(c, n, "%s: give either esp_proposals or ah_proposals, once", n->name);
    if (value_str(c, n, m->proposal, sizeof(m->proposal)) < 0)
        return -1;
    if (strchr(m->proposal, ','))
        return FAIL(c, n, "%s = %s: a manually keyed SA has exactly one proposal", n->name,
                    n->value);
    m->proto = proto;
    m->suite.proto = proto;
    if (uipsec_suite_parse(m->proposal, proto, &m->suite) != UIPSEC_OK)
        return FAIL(c, n,
                    "%s = %s: unknown or unsupported; use e.g. aes256gcm16, chacha20poly1305, "
                    "aes128-sha256%s (see uipsec-packet suites)",
                    n->name, n->value, proto == UIPSEC_PROTO_AH ? " (AH: sha256)" : "");
    return 0;
}

static int mode(struct value_err *c, const struct settings_node *n, struct cfg_manual *m)
{
    if (value_need_key(c, n) < 0)
        return -1;
    if (strcmp(n->value, "tunnel") == 0)
        m->mode = UIPSEC_MODE_TUNNEL;
    else if (strcmp(n->value, "transport") == 0)
        m->mode = UIPSEC_MODE_TRANSPORT;
    else
        return FAIL(c, n, "mode = %s: expected tunnel or transport", n->value);
    return 0;
}

static int lifetime(struct value_err *c, const struct settings_node *n, struct cfg_manual *m)
{
    unsigned long long v;
    uint64_t *slot = !strcmp(n->name, "life_bytes")     ? &m->lifetime.hard_bytes
                     : !strcmp(n->name, "life_packets") ? &m->lifetime.hard_packets
                     : !strcmp(n->name, "rekey_bytes")  ? &m->lifetime.soft_bytes
                                                        : &m->lifetime.soft_packets;

    if (value_uint(c, n, UINT64_MAX, &v) < 0)
        return -1;
    *slot = v;
    return 0;
}

static int manual_key(struct value_err *c, const struct settings_node *n, struct cfg_manual *m)
{
    unsigned long long v;
    const char *k = n->name;

    if (!strcmp(k, "local_addrs"))
        return value_addr(c, n, &m->local);
    if (!strcmp(k, "remote_addrs"))
        return value_addr(c, n, &m->remote);
    if (!strcmp(k, "local_ts"))
        return value_ts_list(c, n, m->local_ts, &m->n_local_ts);
    if (!strcmp(k, "remote_ts"))
        return value_ts_list(c, n, m->remote_ts, &m->n_remote_ts);
    if (!strcmp(k, "mode"))
        return mode(c, n, m);
    if (!strcmp(k, "esp_proposals"))
        return proposal(c, n, m, UIPSEC_PROTO_ESP);
    if (!strcmp(k, "ah_proposals"))
        return proposal(c, n, m, UIPSEC_PROTO_AH);
    if (!strcmp(k, "encap"))
        return value_bool(c, n, &m->encap);
    if (!strcmp(k, "replay_window")) {
        if (value_uint(c, n, 65536, &v) < 0)
            return -1;
        return m->replay_window = (uint32_t)v, 0;
    }
    if (!strcmp(k, "tfc_padding")) {
        if (value_uint(c, n, 9000, &v) < 0)
            return -1;
        return m->tfc_pad = (uint16_t)v, 0;
    }
    if (!strcmp(k, "priority")) {
        if (value_uint(c, n, UINT32_MAX, &v) < 0)
            return -1;
        return m->priority = (uint32_t)v, 0;
    }
    if (!strcmp(k, "life_bytes") || !strcmp(k, "life_packets") || !strcmp(k, "rekey_bytes") ||
        !strcmp(k, "rekey_packets"))
        return lifetime(c, n, m);
    if (!strcmp(k, "in"))
        return keys_section(c, n, &m->in);
    if (!strcmp(k, "out"))
        return keys_section(c, n, &m->out);
    return FAIL(c, n,
                "unknown key \"%s\" in manual.%s; known: local_addrs, remote_addrs, local_ts, "
                "remote_ts, mode, esp_proposals, ah_proposals, encap, replay_window, "
                "tfc_padding, priority, life_bytes, life_packets, rekey_bytes, rekey_packets, "
                "in, out",
                k, m->name);
}

/* Sizes given against what the proposal needs: AEAD keys carry their salt
 * at the end, as IKEv2 derives them (RFC 4106 8.1). */
static int check_key_sizes(struct value_err *c, const struct settings_node *sec,
                           struct cfg_manual *m, const struct cfg_keys *k, const char *dir)
{
    size_t ek, salt, ak;

    uipsec_suite_key_sizes(&m->suite, &ek, &salt, &ak);
    if (k->enc_key_len != ek + salt)
        return FAIL(c, sec, "manual.%s.%s: enc_key has %zu bytes, %s needs %zu%s", m->name, dir,
                    k->enc_key_len, m->proposal, ek + salt, salt ? " (key and 4-byte salt)" : "");
    if (k->integ_key_len != ak)
        return FAIL(c, sec, "manual.%s.%s: integ_key has %zu bytes, %s needs %zu", m->name, dir,
                    k->integ_key_len, m->proposal, ak);
    return 0;
}

/* Defaults as strongSwan's for a CHILD_SA: tunnel mode, replay window 32;
 * transport mode protects the two hosts themselves. */
static int finish_manual(struct value_err *c, const struct settings_node *sec, struct cfg_manual *m)
{
    const char *missing = !m->local.family    ? "local_addrs"
                          : !m->remote.family ? "remote_addrs"
                          : !m->proposal[0]   ? "esp_proposals (or ah_proposals)"
                          : !m->in.spi        ? "in { spi ... }"
                          : !m->out.spi       ? "out { spi ... }"
                                              : NULL;

    if (missing)
        return FAIL(c, sec, "manual.%s: %s is missing", m->name, missing);
    if (m->local.family != m->remote.family)
        return FAIL(c, sec, "manual.%s: local_addrs and remote_addrs are of different families",
                    m->name);
    if (m->encap && m->proto != UIPSEC_PROTO_ESP)
        return FAIL(c, sec, "manual.%s: encap = yes needs ESP: AH cannot cross a NAT (RFC 3948)",
                    m->name);
    if (m->mode == UIPSEC_MODE_TUNNEL && (!m->n_local_ts || !m->n_remote_ts))
        return FAIL(c, sec, "manual.%s: tunnel mode needs local_ts and remote_ts", m->name);
    if (m->mode == UIPSEC_MODE_TRANSPORT && !m->n_local_ts) {
        inet_ntop(m->local.family == 4 ? AF_INET : AF_INET6, m->local.bytes, m->local_ts[0], 64);
        m->n_local_ts = 1;
    }
    if (m->mode == UIPSEC_MODE_TRANSPORT && !m->n_remote_ts) {
        inet_ntop(m->remote.family == 4 ? AF_INET : AF_INET6, m->remote.bytes, m->remote_ts[0], 64);
        m->n_remote_ts = 1;
    }
    if (check_key_sizes(c, sec, m, &m->in, "in") < 0 ||
        check_key_sizes(c, sec, m, &m->out, "out") < 0)
        return -1;
    return 0;
}

static int manual_section(struct value_err *c, const struct settings_node *sec,
                          struct cfg_manual *m)
{
    memset(m, 0, sizeof(*m));
    if (sec->value)
        return FAIL(c, sec, "manual.%s must be a section: %s { local_addrs = ... }", sec->name,
                    sec->name);
    if (strlen(sec->name) >= sizeof(m->name))
        return FAIL(c, sec, "name \"%s\" is longer than %zu characters", sec->name,
                    sizeof(m->name) - 1);
    strcpy(m->name, sec->name);
    snprintf(m->where, sizeof(m->where), "%s:%u:%u", sec->file, sec->line, sec->col);
    m->mode = UIPSEC_MODE_TUNNEL;
    m->replay_window = 32;
    for (const struct settings_node *n = sec->children; n; n = n->next)
        if (manual_key(c, n, m) < 0)
            return -1;
    return finish_manual(c, sec, m);
}

/* A name the kernel takes for a link (its dev_valid_name()): not empty,
 * not "." or "..", no '/', ':' or blank; 15 bytes at most. */
static int interface_name(struct value_err *c, const struct settings_node *n, struct cfg *cfg)
{
    if (value_str(c, n, cfg->ifname, sizeof(cfg->ifname)) < 0)
        return -1;
    if (!cfg->ifname[0] || !strcmp(cfg->ifname, ".") || !strcmp(cfg->ifname, "..") ||
        strpbrk(cfg->ifname, "/: \t"))
        return FAIL(c, n,
                    "interface = \"%s\": not a name for a network interface (1 to 15 bytes, "
                    "no '/', ':' or blank); e.g. uipsec0",
                    n->value);
    return 0;
}

static int daemon_key(struct value_err *c, const struct settings_node *n, struct cfg *cfg)
{
    struct stat st;
    unsigned long long v;

    if (!strcmp(n->name, "interface"))
        return interface_name(c, n, cfg);
    if (!strcmp(n->name, "path_mtu")) {
        if (value_uint(c, n, 65535, &v) < 0)
            return -1;
        if (v < 1280)
            return FAIL(c, n, "path_mtu = %llu: at least 1280 (the IPv6 minimum)", v);
        return cfg->path_mtu = (unsigned)v, 0;
    }
    if (!strcmp(n->name, "fragment_size")) {
        if (value_uint(c, n, 65535, &v) < 0)
            return -1;
        if (v && v < CFG_FRAG_SIZE_MIN)
            return FAIL(c, n,
                        "fragment_size = %llu: an IKE fragment's whole IP datagram must be at "
                        "least %u bytes (or 0: 576 over IPv4, 1280 over IPv6); the default is %u",
                        v, CFG_FRAG_SIZE_MIN, CFG_FRAG_SIZE_DEFAULT);
        return cfg->fragment_size = (unsigned)v, 0;
    }
    if (!strcmp(n->name, "socket"))
        return value_str(c, n, cfg->socket_path, sizeof(cfg->socket_path));
    if (!strcmp(n->name, "offload"))
        return value_bool(c, n, &cfg->offload);
    if (!strcmp(n->name, "workers")) {
        if (value_uint(c, n, CFG_MAX_WORKERS, &v) < 0)
            return -1;
        return cfg->workers = (unsigned)v, 0; /* 0: one per core */
    }
    if (!strcmp(n->name, "socket_group") || !strcmp(n->name, "vici_group")) {
        bool vici = n->name[0] == 'v';
        struct group *g;

        if (value_need_key(c, n) < 0)
            return -1;
        if (!(g = getgrnam(n->value)))
            return FAIL(c, n, "%s = %s: no such group", n->name, n->value);
        *(vici ? &cfg->vici_has_group : &cfg->has_group) = true;
        *(vici ? &cfg->vici_group : &cfg->socket_group) = g->gr_gid;
        return 0;
    }
    if (!strcmp(n->name, "vici"))
        return value_bool(c, n, &cfg->vici);
    if (!strcmp(n->name, "vici_socket")) {
        if (value_str(c, n, cfg->vici_path, sizeof(cfg->vici_path)) < 0)
            return -1;
        if (cfg->vici_path[0] != '/')
            return FAIL(c, n, "vici_socket = %s: expected an absolute path", n->value);
        return 0;
    }
    if (!strcmp(n->name, "address4") || !strcmp(n->name, "address6")) {
        struct uipsec_addr *a = n->name[7] == '4' ? &cfg->tun_addr4 : &cfg->tun_addr6;

        if (value_addr(c, n, a) < 0)
            return -1;
        if (a->family != n->name[7] - '0')
            return FAIL(c, n, "%s = %s: expected an IPv%c address", n->name, n->value, n->name[7]);
        return 0;
    }
    if (!strcmp(n->name, "wireshark_keys")) {
        if (value_str(c, n, cfg->wireshark_keys, sizeof(cfg->wireshark_keys)) < 0)
            return -1;
        if (cfg->wireshark_keys[0] != '/')
            return FAIL(c, n, "wireshark_keys = %s: expected an absolute directory path", n->value);
        if (stat(cfg->wireshark_keys, &st) < 0 || !S_ISDIR(st.st_mode))
            return FAIL(c, n, "wireshark_keys = %s: no such directory; create it (mkdir -m 700 %s)",
                        n->value, n->value);
        /* keylog.c checks again on every write; this says it at once. */
        if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH)))
            return FAIL(c, n,
                        "wireshark_keys = %s: the folder may be changed by others (owner uid "
                        "%u, mode %04o), who could read the keys; make it root's alone (chown "
                        "root %s; chmod 700 %s)",
                        n->value, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), n->value,
                        n->value);
        return 0;
    }
    if (!strcmp(n->name, "state_dir")) {
        if (value_str(c, n, cfg->state_dir, sizeof(cfg->state_dir)) < 0)
            return -1;
        if (cfg->state_dir[0] != '/')
            return FAIL(c, n, "state_dir = %s: expected an absolute directory path", n->value);
        return 0;
    }
    return FAIL(c, n,
                "unknown key \"%s\" in uipsec; known: interface, path_mtu, fragment_size, "
                "socket, socket_group, vici, vici_socket, vici_group, address4, address6, "
                "wireshark_keys, state_dir, offload, workers",
                n->name);
}

/* Fragments larger than the path would be cut again by IP, which is what
 * IKE fragmentation is there to avoid: fragment_size fits path_mtu,
 * whichever of the two came first in the section. */
static int fragment_fits(struct value_err *c, const struct settings_node *sec,
                         const struct cfg *cfg)
{
    for (const struct settings_node *n = sec->children; n; n = n->next)
        if (!strcmp(n->name, "fragment_size") && cfg->fragment_size > cfg->path_mtu)
            return FAIL(c, n,
                        "fragment_size = %u is larger than path_mtu = %u: IP would fragment the "
                        "IKE fragments again; set fragment_size to at most %u, or raise path_mtu",
                        cfg->fragment_size, cfg->path_mtu, cfg->path_mtu);
    return 0;
}

static int top_section(struct value_err *c, const struct settings_node *sec, struct cfg *cfg)
{
    if (!strcmp(sec->name, "uipsec")) {
        for (const struct settings_node *n = sec->children; n; n = n->next)
            if (daemon_key(c, n, cfg) < 0)
                return -1;
        return fragment_fits(c, sec, cfg);
    }
    if (!strcmp(sec->name, "manual")) {
        size_t count = 0;

        for (const struct settings_node *n = sec->children; n; n = n->next)
            count++;
        cfg->manual = calloc(count ? count : 1, sizeof(*cfg->manual));
        if (!cfg->manual)
            return FAIL(c, sec, "out of memory");
        for (const struct settings_node *n = sec->children; n; n = n->next)
            if (manual_section(c, n, &cfg->manual[cfg->n_manual++]) < 0)
                return -1;
        return 0;
    }
    if (!strcmp(sec->name, "connections"))
        return cfg_ike_connections(c, sec, cfg);
    if (!strcmp(sec->name, "secrets"))
        return cfg_ike_secrets(c, sec, cfg);
    if (!strcmp(sec->name, "authorities"))
        return cfg_authorities(c, sec, cfg);
    return FAIL(c, sec,
                "unknown section \"%s\"; known: uipsec, manual, connections, secrets, authorities",
                sec->name);
}

/* The meaning of a parsed tree (root may be NULL: the parse failed, err
 * says why); frees the tree. */
static int interpret(struct settings_node *root, const char *path, struct cfg *cfg, char *err,
                     size_t err_len)
{
    struct value_err c = {err, err_len};
    const char *slash = strrchr(path, '/');
    int rc = 0;

    memset(cfg, 0, sizeof(*cfg));
    /* the swanctl directories are beside the file (creds.h) */
    if (!slash)
        strcpy(cfg->conf_dir, ".");
    else if ((size_t)(slash - path) < sizeof(cfg->conf_dir))
        snprintf(cfg->conf_dir, sizeof(cfg->conf_dir), "%.*s", (int)(slash - path), path);
    strcpy(cfg->ifname, "uipsec0");
    strcpy(cfg->socket_path, "/run/uipsecd.sock");
    strcpy(cfg->state_dir, "/var/lib/uipsecd"); /* manual_seq.c, seqstore.c */
    cfg->path_mtu = 1500;
    cfg->fragment_size = CFG_FRAG_SIZE_DEFAULT;
    cfg->offload = true;
    cfg->vici = true;
    if (!root)
        return -1;
    if (slash == path)
        strcpy(cfg->conf_dir, "/");
    rc = creds_load_dirs(&c, cfg);
    for (const struct settings_node *n = root->children; n && rc == 0; n = n->next)
        rc = top_section(&c, n, cfg);
    if (rc == 0) /* PSKs are resolved once every secret is known */
        rc = cfg_ike_finish(&c, cfg);
    settings_free(root);
    if (rc < 0)
        cfg_free(cfg);
    return rc;
}

int cfg_load(const char *path, struct cfg *cfg, char *err, size_t err_len)
{
    return interpret(settings_parse_file(path, 0, err, err_len), path, cfg, err, err_len);
}

int cfg_load_text(const char *text, size_t len, const char *name, struct cfg *cfg, char *err,
                  size_t err_len)
{
    return interpret(settings_parse_text(text, len, name, NULL, 0, err, err_len), name, cfg, err,
                     err_len);
}

unsigned cfg_fragment_size(const struct cfg *cfg, int family)
{
    if (cfg->fragment_size)
        return cfg->fragment_size;
    return family == 6 ? 1280 : CFG_FRAG_SIZE_MIN;
}

void cfg_free(struct cfg *cfg)
{
    if (cfg->manual) {
        OPENSSL_cleanse(cfg->manual, cfg->n_manual * sizeof(*cfg->manual));
        free(cfg->manual);
    }
    if (cfg->ike_conns) {
        OPENSSL_cleanse(cfg->ike_conns, cfg->n_ike_conns * sizeof(*cfg->ike_conns));
        free(cfg->ike_conns);
    }
    if (cfg->secrets) {
        OPENSSL_cleanse(cfg->secrets, cfg->n_secrets * sizeof(*cfg->secrets));
        free(cfg->secrets);
    }
    creds_free(cfg);
    free(cfg->authorities);
    memset(cfg, 0, sizeof(*cfg));
}

bool cfg_manual_equal(const struct cfg_manual *a, const struct cfg_manual *b)
{
    /* Every field is plain data and zero-filled on creation, so bytes
     * compare; where the section stands in the file does not count. */
    struct cfg_manual x = *a, y = *b;
    bool same;

    memset(x.where, 0, sizeof(x.where));
    memset(y.where, 0, sizeof(y.where));
    same = CRYPTO_memcmp(&x, &y, sizeof(x)) == 0;
    OPENSSL_cleanse(&x, sizeof(x));
    OPENSSL_cleanse(&y, sizeof(y));
    return same;
}
