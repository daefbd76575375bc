/* SPDX-License-Identifier: MIT */
/*
 * The meaning of swanctl.conf's `connections` and `secrets` for uipsecd
 * (src/config/config_ike.c): defaults, every accepted form, every refusal
 * with its position and advice, strongSwan's identity syntax, PSK
 * resolution, and the interop harness's strongSwan configurations read
 * whole.  Texts go through cfg_load on private temporary files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "settings.h"
#include "config.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static char err[SETTINGS_ERR_LEN];
static char path[64];

/* Writes text into a fresh temporary file of the given mode. */
static void write_file(const char *text, mode_t mode)
{
    int fd;

    strcpy(path, "/tmp/uipsec-cfgike-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static int load_mode(const char *text, mode_t mode, struct cfg *cfg)
{
    int rc;

    err[0] = '\0';
    write_file(text, mode);
    rc = cfg_load(path, cfg, err, sizeof(err));
    unlink(path);
    return rc;
}

static void load_ok(const char *text, struct cfg *cfg)
{
    if (load_mode(text, 0600, cfg) != 0)
        fail_msg("refused: %s\n%s", err, text);
}

/* A one-connection file around body, with a secret for any peer. */
static void conn_text(char *buf, size_t len, const char *body)
{
    snprintf(buf, len,
             "connections {\n"
             "    c {\n"
             "%s\n"
             "    }\n"
             "}\n"
             "secrets { ike-any { secret = topsecret } }\n",
             body);
}

#define PSK_BOTH                                                                                   \
    "        local_addrs = 192.0.2.1\n"                                                            \
    "        local { auth = psk }\n"                                                               \
    "        remote { auth = psk }\n"

/* ---- defaults ---- */

static void test_defaults_parse(void **state)
{
    struct ike_prop_list l;
    char why[200] = "";

    (void)state;
    assert_int_equal(ike_prop_parse(CFG_IKE_DEFAULT_PROPOSALS, IKE_PROTO_IKE, &l, why, 200), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.p[0].n[IKE_TRANSFORM_DH], 4);
    assert_int_equal(l.p[1].n[IKE_TRANSFORM_ENCR], 3);
    assert_int_equal(ike_prop_parse(CFG_ESP_DEFAULT_PROPOSALS, IKE_PROTO_ESP, &l, why, 200), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.p[1].n[IKE_TRANSFORM_INTEG], 3);
}

static void test_minimal_defaults(void **state)
{
    char text[2048];
    struct cfg cfg;
    struct ike_prop_list ike, esp;
    const struct cfg_conn *c;
    const struct cfg_child *ch;

    (void)state;
    conn_text(text, sizeof(text), PSK_BOTH "        children { ch { } }");
    load_ok(text, &cfg);
    assert_int_equal(cfg.n_ike_conns, 1);
    c = &cfg.ike_conns[0];
    assert_string_equal(c->name, "c");
    assert_int_equal(c->local.family, 4);
    assert_int_equal(c->remote.family, 0);
    assert_true(c->remote_id_any);
    assert_int_equal(c->local_id.type, IKE_ID_IPV4_ADDR);
    assert_int_equal(c->local_id.len, 4);
    assert_memory_equal(c->local_id.data, "\xc0\x00\x02\x01", 4);
    assert_false(c->encap);
    assert_string_equal(c->ike_text, "default");
    assert_int_equal(ike_prop_parse(CFG_IKE_DEFAULT_PROPOSALS, IKE_PROTO_IKE, &ike, NULL, 0), 0);
    assert_memory_equal(&c->ike, &ike, sizeof(ike));
    assert_int_equal(c->psk_len, 9);
    assert_memory_equal(c->psk, "topsecret", 9);
    assert_int_equal(c->n_children, 1);
    ch = &c->children[0];
    assert_string_equal(ch->name, "ch");
    assert_int_equal(ch->n_local_ts, 1);
    assert_string_equal(ch->local_ts[0], "dynamic");
    assert_string_equal(ch->remote_ts[0], "dynamic");
    assert_int_equal(ch->mode, UIPSEC_MODE_TUNNEL);
    assert_int_equal(ch->start_action, CFG_START_NONE);
    assert_int_equal(ch->replay_window, 32);
    assert_string_equal(ch->esp_text, "default");
    assert_int_equal(ike_prop_parse(CFG_ESP_DEFAULT_PROPOSALS, IKE_PROTO_ESP, &esp, NULL, 0), 0);
    assert_memory_equal(&ch->esp, &esp, sizeof(esp));
    assert_int_equal(cfg.n_secrets, 1);
    assert_int_equal(cfg.secrets[0].n_ids, 0);
    assert_int_equal(c->unique, CFG_UNIQUE_NO); /* strongSwan's default */
    assert_int_equal(c->max_ike_sas, CFG_MAX_IKE_SAS_DEFAULT);
    assert_int_equal(c->max_child_sas, CFG_MAX_CHILD_SAS_DEFAULT);
    cfg_free(&cfg);
}

/* ---- every accepted form ---- */

static void test_full_connection(void **state)
{
    static const char text[] =
        "connections {\n"
        "  gw {\n"
        "    version = 0\n"
        "    local_addrs = 2001:db8::1\n"
        "    remote_addrs = 2001:db8::2\n"
        "    local_port = 500\n"
        "    proposals = aes256gcm16-prfsha384-ecp384 , default\n"
        "    encap = yes\n"
        "    mobike = yes\n"
        "    fragmentation = no\n"
        "    unique = replace\n"
        "    keyingtries = 3\n"
        "    rekey_time = 0s\n"
        "    reauth_time = 0\n"
        "    over_time = 1h\n"
        "    rand_time = 5m\n"
        "    dpd_delay = 2m\n"
        "    dpd_timeout = 150s\n"
        "    send_certreq =\n"
        "    local-1 {\n      auth = psk\n      id = @gw.example\n    }\n"
        "    remote-x {\n      auth = psk\n      id = peer@example.org\n    }\n"
        "    children {\n"
        "      a {\n"
        "        local_ts = 2001:db8:1::/64, dynamic[tcp/80]\n"
        "        remote_ts = 2001:db8:2::/64[udp]\n"
        "        esp_proposals = aes256gcm16-esn, default\n"
        "        mode = transport\n"
        "        start_action = route\n"
        "        replay_window = 1024\n"
        "        rekey_time = 0\n"
        "        life_time = 0h\n"
        "        rand_time = 10\n"
        "        rekey_bytes = 0\n"
        "        life_packets = 0\n"
        "        dpd_action = clear\n"
        "        close_action = none\n"
        "      }\n"
        "      b { start_action = start }\n"
        "    }\n"
        "  }\n"
        "}\n"
        "secrets {\n"
        "  ike-1 {\n    id = @gw.example\n    id-2 = peer@example.org\n    secret = 0x0102ff\n  }\n"
        "}\n";
    struct cfg cfg;
    const struct cfg_conn *c;

    (void)state;
    load_ok(text, &cfg);
    c = &cfg.ike_conns[0];
    assert_int_equal(c->local.family, 6);
    assert_true(c->encap); /* ESP in UDP over IPv6 too */
    assert_int_equal(c->fragmentation, IKE_FRAG_NO);
    assert_int_equal(c->dpd_delay, 120);
    assert_int_equal(c->rekey_time, 0);
    assert_int_equal(c->over_time, 3600);
    assert_int_equal(c->rand_time, 0); /* at most rekey_time */
    assert_int_equal(c->children[0].life.rekey[CFG_TIME], 0);
    assert_int_equal(c->children[0].life.life[CFG_TIME], 0);
    assert_int_equal(c->children[1].life.rekey[CFG_TIME], 3600); /* strongSwan's defaults */
    assert_int_equal(c->children[1].life.life[CFG_TIME], 3960);
    assert_int_equal(c->children[1].life.rand[CFG_TIME], 360);
    assert_int_equal(c->children[1].life.rekey[CFG_BYTES], 0);
    assert_int_equal(c->ike.n, 3);
    assert_string_equal(c->ike_text, "aes256gcm16-prfsha384-ecp384 , default");
    assert_int_equal(c->local_id.type, IKE_ID_FQDN);
    assert_int_equal(c->local_id.len, 10);
    assert_memory_equal(c->local_id.data, "gw.example", 10);
    assert_false(c->remote_id_any);
    assert_int_equal(c->remote_id.type, IKE_ID_RFC822_ADDR);
    assert_int_equal(c->psk_len, 3);
    assert_memory_equal(c->psk, "\x01\x02\xff", 3);
    assert_int_equal(c->n_children, 2);
    assert_int_equal(c->children[0].n_local_ts, 2);
    assert_string_equal(c->children[0].local_ts[1], "dynamic[tcp/80]");
    assert_int_equal(c->children[0].esp.n, 3);
    assert_int_equal(c->children[0].mode, UIPSEC_MODE_TRANSPORT);
    assert_int_equal(c->children[0].start_action, CFG_START_TRAP);
    assert_int_equal(c->children[0].replay_window, 1024);
    assert_int_equal(c->children[1].start_action, CFG_START_START);
    assert_int_equal(c->unique, CFG_UNIQUE_REPLACE);
    cfg_free(&cfg);
}

/* strongSwan's unique (each value), uipsecd's per-identity limits. */
static void test_unique_and_limits(void **state)
{
    static const char *const values[] = {"no", "never", "keep", "replace"};
    static const enum cfg_unique want[] = {CFG_UNIQUE_NO, CFG_UNIQUE_NEVER, CFG_UNIQUE_KEEP,
                                           CFG_UNIQUE_REPLACE};
    char body[512], text[2048];
    struct cfg cfg;

    (void)state;
    for (size_t i = 0; i < COUNT(values); i++) {
        snprintf(body, sizeof(body), PSK_BOTH "        unique = %s", values[i]);
        conn_text(text, sizeof(text), body);
        load_ok(text, &cfg);
        assert_int_equal(cfg.ike_conns[0].unique, want[i]);
        cfg_free(&cfg);
    }
    conn_text(text, sizeof(text), PSK_BOTH "        max_ike_sas = 1\n        max_child_sas = 0");
    load_ok(text, &cfg);
    assert_int_equal(cfg.ike_conns[0].max_ike_sas, 1);
    assert_int_equal(cfg.ike_conns[0].max_child_sas, 0); /* no limit */
    cfg_free(&cfg);
    conn_text(text, sizeof(text), PSK_BOTH "        max_ike_sas = many");
    assert_int_equal(load_mode(text, 0600, &cfg), -1);
    assert_non_null(strstr(err, ":6:9: max_ike_sas"));
    conn_text(text, sizeof(text), PSK_BOTH "        max_child_sas = 100001");
    assert_int_equal(load_mode(text, 0600, &cfg), -1);
    assert_non_null(strstr(err, ":6:9: max_child_sas"));
}

/* A PSK shorter than 16 bytes is named with its file and line. */
static void test_weak_psk_warning(void **state)
{
    static const char text[] = "connections {\n"
                               "    c {\n" PSK_BOTH "    }\n"
                               "}\n"
                               "secrets {\n"
                               "    ike-short { secret = topsecret }\n"
                               "    ike-long {\n"
                               "        id = @x\n"
                               "        secret = 0sWm9DYkDNx0m1y4Sk0y8xr4Kz4OAKuzpM1Sf7nLqg1jU=\n"
                               "    }\n"
                               "    ike-15 { secret = 0x000102030405060708090a0b0c0d0e }\n"
                               "}\n";
    char why[600], want[128];
    struct cfg cfg;

    (void)state;
    load_ok(text, &cfg);
    assert_int_equal(cfg.n_secrets, 3);
    assert_true(cfg_ike_psk_warning(&cfg.secrets[0], why, sizeof(why)));
    snprintf(want, sizeof(want), "%s:9: secrets.ike-short: the pre-shared key is only 9 bytes",
             path);
    assert_non_null(strstr(why, want));
    assert_non_null(strstr(why, "at least 16 random bytes"));
    assert_false(cfg_ike_psk_warning(&cfg.secrets[1], why, sizeof(why)));
    assert_true(cfg_ike_psk_warning(&cfg.secrets[2], why, sizeof(why)));
    assert_non_null(strstr(why, ":14: secrets.ike-15: the pre-shared key is only 15 bytes"));
    cfg_free(&cfg);
}

/* dir/name with text in it. */
static void put_file(const char *dir, const char *name, const char *text)
{
    char p[600];
    FILE *f;

    assert_true(snprintf(p, sizeof p, "%s/%s", dir, name) < (int)sizeof p);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Attribute certificates (x509aa/) are not read: the load succeeds with
 * whatever the files hold, nothing is added to the certificates, and the
 * warning names the folder and the files; without the folder, no warning. */
static void test_x509aa_ignored(void **state)
{
    char dir[] = "/tmp/uipsec-cfgaa-XXXXXX", aa[300], conf[300], why[600], want[600], name[32];
    char text[1024];
    struct cfg cfg;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(conf, sizeof conf, "%s/uipsecd.conf", dir);
    conn_text(text, sizeof text, PSK_BOTH);
    put_file(dir, "uipsecd.conf", text);
    assert_int_equal(chmod(conf, 0600), 0);
    if (cfg_load(conf, &cfg, err, sizeof err) != 0)
        fail_msg("refused: %s", err);
    assert_false(creds_aa_warning(&cfg, why, sizeof why));
    cfg_free(&cfg);

    snprintf(aa, sizeof aa, "%s/x509aa", dir);
    assert_int_equal(mkdir(aa, 0700), 0);
    put_file(aa, "staff.pem", "-----BEGIN ATTRIBUTE CERTIFICATE-----\nnot really\n");
    put_file(aa, "b\033.der", "\x30\x03\x02\x01");
    if (cfg_load(conf, &cfg, err, sizeof err) != 0)
        fail_msg("refused: %s", err);
    assert_int_equal(cfg.n_certs, 0);
    assert_true(creds_aa_warning(&cfg, why, sizeof why));
    snprintf(want, sizeof want,
             "%s/x509aa/: 2 files not used (b?.der, staff.pem): attribute certificates "
             "(strongSwan's groups = membership) are not supported and are ignored; remove them "
             "to silence this",
             dir);
    assert_string_equal(why, want);
    cfg_free(&cfg);

    for (int i = 0; i < 40; i++) { /* more than the warning names */
        snprintf(name, sizeof name, "group-%02d.pem", i);
        put_file(aa, name, "x");
    }
    assert_int_equal(cfg_load(conf, &cfg, err, sizeof err), 0);
    assert_true(creds_aa_warning(&cfg, why, sizeof why));
    assert_non_null(strstr(why, ": 42 files not used (b?.der, group-00.pem, group-01.pem"));
    assert_non_null(strstr(why, " more): attribute certificates"));
    cfg_free(&cfg);
    snprintf(want, sizeof want, "rm -rf %s", dir);
    assert_int_equal(system(want), 0);
}

/* strongSwan's identity syntax, as the remote.id of a connection. */
static void test_ids(void **state)
{
    static const struct {
        const char *text;
        uint8_t type;
        const char *data;
        size_t len;
    } cases[] = {
        {"192.0.2.9", IKE_ID_IPV4_ADDR, "\xc0\x00\x02\x09", 4},
        {"2001:db8::9", IKE_ID_IPV6_ADDR,
         "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x09", 16},
        {"@host.example", IKE_ID_FQDN, "host.example", 12},
        {"host.example", IKE_ID_FQDN, "host.example", 12},
        {"fqdn:192.0.2.9", IKE_ID_FQDN, "192.0.2.9", 9},
        {"dns:x", IKE_ID_FQDN, "x", 1},
        {"user@example.org", IKE_ID_RFC822_ADDR, "user@example.org", 16},
        {"@@user.example", IKE_ID_RFC822_ADDR, "user.example", 12},
        {"email:u@x", IKE_ID_RFC822_ADDR, "u@x", 3},
        {"rfc822:u@x", IKE_ID_RFC822_ADDR, "u@x", 3},
        {"@#c0ffee", IKE_ID_KEY_ID, "\xc0\xff\xee", 3},
        {"keyid:#00ff", IKE_ID_KEY_ID, "\x00\xff", 2},
        {"keyid:abc", IKE_ID_KEY_ID, "abc", 3},
        {"ipv4:10.0.0.1", IKE_ID_IPV4_ADDR, "\x0a\x00\x00\x01", 4},
        {"ipv6:::1", IKE_ID_IPV6_ADDR,
         "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16},
    };

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        char body[512], text[1024];
        struct cfg cfg;
        const struct ike_id *id;

        snprintf(body, sizeof(body),
                 "        local_addrs = 192.0.2.1\n"
                 "        local { auth = psk }\n"
                 "        remote {\n auth = psk\n id = \"%s\" }",
                 cases[i].text);
        conn_text(text, sizeof(text), body);
        load_ok(text, &cfg);
        id = &cfg.ike_conns[0].remote_id;
        if (id->type != cases[i].type || id->len != cases[i].len ||
            memcmp(id->data, cases[i].data, cases[i].len) != 0)
            fail_msg("id %s: type %u len %u", cases[i].text, id->type, id->len);
        assert_false(cfg.ike_conns[0].remote_id_any);
        cfg_free(&cfg);
    }
}

/* ---- refusals ---- */

struct bad {
    const char *body; /* inside connections.c (see conn_text) */
    const char *msg;  /* expected in the message, after "FILE:" */
};

/* Line numbers: the body starts on line 3. */
static const struct bad bad_conns[] = {
    {PSK_BOTH "version = 1", ":6:1: version = 1: IKEv1 is not supported; use version = 2"},
    {PSK_BOTH "version = 3", "expected 2"},
    {PSK_BOTH "rekey_time = 4 hours",
     ":6:1: rekey_time = \"4 hours\": expected a time such as 0, 30s, 10m, 4h or 1d"},
    {PSK_BOTH "reauth_time = 1d", "reauthentication is not supported yet; set reauth_time = 0"},
    {PSK_BOTH "dpd_delay = 2d", "dpd_delay = 2d: at most a day (1d)"},
    {PSK_BOTH "dpd_delay = soon", "expected a time"},
    {PSK_BOTH "fragmentation = sometimes", "expected yes, accept, force or no"},
    {PSK_BOTH "unique = sometimes", "expected no, never, keep or replace"},
    {PSK_BOTH "mobike = perhaps", "expected yes or no"},
    {PSK_BOTH "local_port = 4501", "uipsecd uses port 500"},
    {PSK_BOTH "remote_addrs = 192.0.2.2, 192.0.2.3", "expected one IPv4 or IPv6 address, or %any"},
    {PSK_BOTH "remote_addrs = vpn.example.com", "no lists, DNS names"},
    {PSK_BOTH "remote_addrs = 2001:db8::2", "local_addrs is IPv4 but remote_addrs is IPv6"},
    {PSK_BOTH "proposals = aes256-sha1-modp1024", "unknown algorithm 'modp1024'"},
    {PSK_BOTH "proposals = aes192-sha256-modp2048", "uipsecd does not implement aes192"},
    {PSK_BOTH "proposals = aes256gcm16-x25519", "no PRF"},
    {PSK_BOTH "pools = p", ":6:1: connections.c.pools: uipsecd does not support \"pools\" yet"},
    {PSK_BOTH "send_cert = sometimes", "send_cert = sometimes: expected ifasked, always or never"},
    {PSK_BOTH "aggressive = no", "does not support \"aggressive\""},
    {PSK_BOTH "colour = blue", ":6:1: unknown key \"colour\" in connections.c; known: version,"},
    {PSK_BOTH "foo { }", "unknown section \"foo\" in connections.c"},
    {PSK_BOTH "local-2 { auth = psk }", "a second local section"},
    {PSK_BOTH "children = x", "unknown key \"children\""},
    {PSK_BOTH "children { x = 1 }", "connections.c.children.x must be a section"},
    {"local_addrs = 192.0.2.1\nremote { auth = psk }", "local { auth = psk } is missing"},
    {"local_addrs = 192.0.2.1\nlocal { auth = psk }", "remote { auth = psk } is missing"},
    /* strongSwan's default is pubkey, which needs a certificate */
    {"local_addrs = 192.0.2.1\nlocal { }\nremote { auth = psk }",
     "local { auth = pubkey } needs our certificate: add certs = FILE"},
    {"local_addrs = 192.0.2.1\nlocal { auth = pubkey }\nremote { auth = psk }",
     "local { auth = pubkey } needs our certificate"},
    {"local_addrs = 192.0.2.1\nlocal { auth = rsa-sha256-md5 }\nremote { auth = psk }",
     "auth = rsa-sha256-md5: \"md5\" is not a hash uipsecd knows"},
    {"local_addrs = 192.0.2.1\nlocal { auth = dsa }\nremote { auth = psk }",
     "auth = dsa: expected psk, pubkey, rsa, rsa/pss, ecdsa, ed25519 or ed448"},
    {"local_addrs = 192.0.2.1\nlocal { auth = eap-tls }\nremote { auth = psk }",
     "EAP is not supported yet"},
    {"local_addrs = 192.0.2.1\nlocal { auth = xauth }\nremote { auth = psk }", "IKEv1"},
    {"local_addrs = 192.0.2.1\nlocal { auth = psk\ncerts = /nonexistent/a.pem }\nremote { auth "
     "= psk }",
     ":5:1: certs = /nonexistent/a.pem: /nonexistent/a.pem: cannot open it; put the certificate in "
     "x509/ beside the configuration, or give an absolute path"},
    {"local_addrs = 192.0.2.1\nlocal { auth = psk\ncert-1 { } }\nremote { auth = psk }",
     "connections.c.local.cert-1: uipsecd does not support"},
    {"local_addrs = 192.0.2.1\nlocal { auth = psk\nx = 1 }\nremote { auth = psk }",
     "unknown key \"x\" in connections.c.local; known: auth, id"},
    {"local_addrs = 192.0.2.1\nlocal { auth = psk\nid = %any }\nremote { auth = psk }",
     "our own identity must be a definite one"},
    {"local_addrs = 192.0.2.1\nlocal { auth = psk }\nremote { auth = psk\nid = \"C=CH, XYZ=x\" }",
     ":6:1: id = \"C=CH, XYZ=x\": unknown attribute \"XYZ\" in the distinguished name"},
    {"local_addrs = 192.0.2.1\nlocal { auth = psk }\nremote { auth = pubkey }",
     "remote { auth = pubkey } but no CA certificate"},
    {"local_addrs = 192.0.2.1\nlocal { auth = psk }\nremote { auth = psk\nrevocation = hard }",
     ":6:1: revocation = hard: expected relaxed, ifuri or strict"},
    {"local_addrs = 192.0.2.1\nlocal { auth = psk\nrevocation = strict }\nremote { auth = psk }",
     "unknown key \"revocation\" in connections.c.local; known: auth, id, certs"},
    /* groups = needs attribute certificates (x509aa/): refused, with the way out */
    {"local_addrs = 192.0.2.1\nlocal { auth = psk }\nremote { auth = psk\ngroups = staff }",
     ":6:1: connections.c.remote.groups = staff: group membership comes from attribute "
     "certificates (x509aa/), which uipsecd does not support; remove groups"},
    {"local_addrs = 192.0.2.1\nlocal { auth = psk }\nremote { auth = psk\nid = @ }",
     "not a usable identity"},
    {"local_addrs = 192.0.2.1\nlocal { auth = psk }\nremote { auth = psk\nid = \"keyid:#abc\" }",
     "not a usable identity"},
    {"local { auth = psk }\nremote { auth = psk }",
     ":2:5: connections.c: local_addrs is %any and local.id is not set, so there is no identity "
     "to send; set local.id (e.g. id = vpn.example.com) or local_addrs"},
    {PSK_BOTH "children { x { mode = beet } }", "expected tunnel or transport"},
    {PSK_BOTH "children { x { start_action = trap|start } }", "expected none, start or trap"},
    {PSK_BOTH "children { x { rekey_time = 2h\n life_time = 1h } }",
     "x: rekey_time must be less than life_time"},
    {PSK_BOTH "children { x { local_ts = 10.1.0.0/24, 10.2.0.0/24, 10.3.0.0/24\n"
              "remote_ts = 10.4.0.0/24, 10.5.0.0/24, 10.6.0.0/24 } }",
     "3 local_ts x 3 remote_ts make more than 8 selector pairs"},
    {PSK_BOTH "children { x { rekey_bytes = 10\n life_bytes = 5 } }",
     "rekey_bytes must be less than life_bytes"},
    {PSK_BOTH "children { x { rekey_bytes = -1 } }", "expected a whole number"},
    {PSK_BOTH "children { x { dpd_action = restart } }", "use clear or none"},
    {PSK_BOTH "children { x { close_action = trap } }", "use none"},
    {PSK_BOTH "children { x { replay_window = 70000 } }", "from 0 to 65536"},
    {PSK_BOTH "children { x { updown = /bin/true } }",
     "connections.c.children.x.updown: uipsecd does not support \"updown\" yet"},
    {PSK_BOTH "children { x { ah_proposals = sha256 } }", "\"ah_proposals\""},
    {PSK_BOTH "children { x { esp_proposals = aes192gcm16 } }",
     "uipsecd does not implement aes192gcm16 for ESP"},
    {PSK_BOTH "children { x { esp_proposals = aes256gcm16-sha256 } }", "integrity algorithm with"},
    {PSK_BOTH "children { x { esp_proposals = aes256gcm16-prfsha256 } }", "PRF in ESP"},
    {PSK_BOTH "children { x { local_ts = 10.1.0.1/16 } }", "\"10.1.0.1/16\""},
    {PSK_BOTH "children { x { local_ts = dynamic[nosuchproto] } }", "dynamic[nosuchproto]"},
    {PSK_BOTH "children { x { local_ts = dynamicx } }", "\"dynamicx\""},
    {PSK_BOTH "children { x { what = 1 } }",
     "unknown key \"what\" in connections.c.children.x; known: local_ts,"},
    {PSK_BOTH "children { x { } y { } x2 { } a { } b { } d { } e { } f { } g { } }",
     "at most 8 children per connection"},
};

static void check_bad(const char *text, const char *msg)
{
    struct cfg cfg;
    char *where;

    if (load_mode(text, 0600, &cfg) == 0) {
        cfg_free(&cfg);
        fail_msg("accepted:\n%s", text);
    }
    where = strstr(err, msg);
    if (!where || strncmp(err, "/tmp/uipsec-cfgike-", 19) != 0)
        fail_msg("message \"%s\"\nlacks \"%s\"\nfor:\n%s", err, msg, text);
    /* cfg_load leaves nothing behind on failure */
    assert_null(cfg.ike_conns);
    assert_null(cfg.secrets);
}

static void test_bad_connections(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(bad_conns); i++) {
        char text[4096];

        conn_text(text, sizeof(text), bad_conns[i].body);
        check_bad(text, bad_conns[i].msg);
    }
}

static const struct bad bad_files[] = {
    {"connections = x\n", ":1:1: connections must be a section"},
    {"connections { c = 1 }\n", "connections.c must be a section"},
    {"connections { c0123456789012345678901234567890123456789012345678901234567890123 { } }\n",
     "is longer than 63 characters"},
    {"secrets = x\n", ":1:1: secrets must be a section"},
    {"secrets { eap-carol { secret = x } }\n",
     ":1:11: secrets.eap-carol: only IKE pre-shared keys (ike<suffix>) and private key "
     "passphrases"},
    {"secrets { private-1 { file = k.pem } }\n",
     "secrets.private-1: needs file = KEYFILE and secret = PASSPHRASE"},
    {"secrets { private-1 { file = k.pem\nsize = 3 } }\n",
     "unknown key \"size\" in secrets.private-1; known: file, secret"},
    {"secrets { foo { } }\n", "unknown entry \"foo\" in secrets; known: ike<suffix>"},
    {"secrets { ike-1 = x }\n", "secrets.ike-1 must be a section"},
    {"secrets { ike-1 { secret = x\ncolour = red } }\n",
     "unknown key \"colour\" in secrets.ike-1; known: id, id<suffix>, secret"},
    {"secrets { ike-1 { id = a } }\n", "secrets.ike-1: the secret is missing or empty"},
    {"secrets { ike-1 { secret = \"\" } }\n", "the secret is missing or empty"},
    {"secrets { ike-1 { secret = 0xabc } }\n", "expected a key as 0x"},
    {"secrets { ike-1 { secret = x\nid = \"QQ=a\" } }\n", "unknown attribute"},
    {"secrets { ike-1 { secret = x\nid1 = a\nid2 = a\nid3 = a\nid4 = a\nid5 = a\nid6 = a\n"
     "id7 = a\nid8 = a\nid9 = a } }\n",
     "secrets.ike-1: at most 8 ids"},
    /* uipsec.fragment_size: a datagram of at least 576 bytes that fits the path */
    {"uipsec { fragment_size = 575 }\n",
     ":1:10: fragment_size = 575: an IKE fragment's whole IP datagram must be at least 576 bytes "
     "(or 0: 576 over IPv4, 1280 over IPv6); the default is 1280"},
    {"uipsec { fragment_size = 65536 }\n", ":1:10: fragment_size"},
    {"uipsec { fragment_size = big }\n", ":1:10: fragment_size"},
    {"uipsec { path_mtu = 1400\nfragment_size = 1401 }\n",
     ":2:1: fragment_size = 1401 is larger than path_mtu = 1400: IP would fragment the IKE "
     "fragments again; set fragment_size to at most 1400, or raise path_mtu"},
    {"uipsec { fragment_size = 1501 }\n",
     ":1:10: fragment_size = 1501 is larger than path_mtu = 1500"},
    {"uipsec { wireshark_keys = keys }\n", "wireshark_keys = keys: expected an absolute directory"},
    {"uipsec { wireshark_keys = /nonexistent/uipsec-keys }\n",
     "no such directory; create it (mkdir -m 700"},
    {"bogus { }\n", "unknown section \"bogus\"; known: uipsec, manual, connections, secrets, "
                    "authorities"},
    /* swanctl's authorities: a CA and its revocation URIs */
    {"authorities { ca = x }\n", "authorities.ca must be a section"},
    {"authorities { ca { crl_uris = http://ca.example/ca.crl } }\n",
     ":1:15: authorities.ca: needs cacert = FILE (in x509ca/)"},
    {"authorities { ca { cacert = missing.pem } }\n",
     "cacert = missing.pem: /tmp/x509ca/missing.pem: cannot open it; put the certificate in "
     "x509ca/"},
    {"authorities { ca { crl_uris = ldap://ca.example/cn=ca } }\n",
     "crl_uris = ldap://ca.example/cn=ca: only http:// and https:// URIs can be fetched"},
    {"authorities { ca { ocsp_uris = http://a, http://b, http://c, http://d, http://e } }\n",
     "ocsp_uris: at most 4 URIs"},
    {"authorities { ca { module = p11 } }\n",
     "authorities.ca.module is not supported; use cacert = FILE (in x509ca/)"},
    {"authorities { ca { colour = red } }\n",
     "unknown key \"colour\" in authorities.ca; known: cacert, crl_uris, ocsp_uris"},
    /* No secret fits: an id names neither side. */
    {"connections { c { local_addrs = 192.0.2.1\nremote_addrs = 192.0.2.2\n"
     "  local { auth = psk }  remote { auth = psk\nid = peer.example } } }\n"
     "secrets { ike-x { id = other.example\nsecret = s } }\n",
     ":1:15: connections.c: no pre-shared key for local id 192.0.2.1 and remote id peer.example; "
     "add secrets { ike-c { id = peer.example  secret = ... } }"},
    {"connections { c { local_addrs = 192.0.2.1\n"
     "  local { auth = psk }  remote { auth = psk } } }\n",
     "no pre-shared key for local id 192.0.2.1 and remote id %any"},
    /* Child names are unique across connections. */
    {"connections {\n"
     "  a { local_addrs = 192.0.2.1\n local { auth = psk } remote { auth = psk }\n"
     "      children { net { } } }\n"
     "  b { local_addrs = 192.0.2.1\n local { auth = psk } remote { auth = psk }\n"
     "      children { net { } } }\n"
     "}\n",
     ":7:18: connections.b.children.net: a child of this name exists already"},
};

static void test_bad_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(bad_files); i++)
        check_bad(bad_files[i].body, bad_files[i].msg);
}

/* A secret in a file others may read is refused, with the fix. */
static void test_secret_not_private(void **state)
{
    struct cfg cfg;

    (void)state;
    assert_int_equal(load_mode("secrets { ike { secret = x } }\n", 0644, &cfg), -1);
    assert_non_null(strstr(err, ":1:17: secret: the file holds a pre-shared key but others may "
                                "read it"));
    assert_non_null(strstr(err, "chmod 600"));
    /* Without a secret the file need not be private. */
    assert_int_equal(load_mode("uipsec { wireshark_keys = /usr }\n", 0644, &cfg), 0);
    assert_string_equal(cfg.wireshark_keys, "/usr");
    cfg_free(&cfg);
}

/* uipsec.fragment_size: strongSwan's default and meaning of 0, in either
 * order with path_mtu. */
static void test_fragment_size(void **state)
{
    static const struct {
        const char *text;
        unsigned v4, v6;
    } cases[] = {
        {"", 1280, 1280},
        {"uipsec { fragment_size = 0 }\n", 576, 1280},
        {"uipsec { fragment_size = 576 }\n", 576, 576},
        {"uipsec { fragment_size = 1500 }\n", 1500, 1500},
        {"uipsec { fragment_size = 9000\npath_mtu = 9000 }\n", 9000, 9000},
    };
    struct cfg cfg;

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        load_ok(cases[i].text, &cfg);
        assert_int_equal(cfg_fragment_size(&cfg, 4), cases[i].v4);
        assert_int_equal(cfg_fragment_size(&cfg, 6), cases[i].v6);
        cfg_free(&cfg);
    }
}

/* ---- PSK resolution ---- */

static void test_psk_choice(void **state)
{
    static const char conns[] =
        "connections {\n"
        "  both { local_addrs = 192.0.2.1\n remote_addrs = 192.0.2.2\n"
        "    local { auth = psk\n id = me.example }\n remote { auth = psk\n id = you.example } }\n"
        "  mine { local_addrs = 192.0.2.1\n"
        "    local { auth = psk\n id = me.example }\n remote { auth = psk\n id = third.example } "
        "}\n"
        "  anyone { local_addrs = 192.0.2.1\n"
        "    local { auth = psk\n id = me.example }\n remote { auth = psk } }\n"
        "  other { local_addrs = 192.0.2.1\n"
        "    local { auth = psk\n id = nobody.example }\n remote { auth = psk\n id = x.example } "
        "}\n"
        "}\n"
        "secrets {\n"
        "  ike-none { secret = 0sbm9uZQ== }\n"           /* "none", rank 0 */
        "  ike-all { id = %any\n secret = all }\n"       /* rank 0 */
        "  ike-me { id = me.example\n secret = me }\n"   /* rank 1 */
        "  ike-me2 { id = me.example\n secret = me2 }\n" /* rank 1, later */
        "  ike-pair { id-a = you.example\n id-b = me.example\n secret = \"a pair\" }\n" /* 2 */
        "  ike-wrong { id = me.example\n id2 = z.example\n secret = wrong }\n"
        "}\n";
    struct cfg cfg;

    (void)state;
    load_ok(conns, &cfg);
    assert_int_equal(cfg.n_ike_conns, 4);
    assert_int_equal(cfg.n_secrets, 6);
    /* both sides named beats one side beats none */
    assert_int_equal(cfg.ike_conns[0].psk_len, 6);
    assert_memory_equal(cfg.ike_conns[0].psk, "a pair", 6);
    /* ike-wrong names z.example, neither side: it does not fit */
    assert_int_equal(cfg.ike_conns[1].psk_len, 2);
    assert_memory_equal(cfg.ike_conns[1].psk, "me", 2);
    /* remote %any: a secret naming another peer (ike-pair) is the last
     * choice; the one naming only us serves every peer */
    assert_int_equal(cfg.ike_conns[2].psk_len, 2);
    assert_memory_equal(cfg.ike_conns[2].psk, "me", 2);
    /* only the id-less secrets fit; the first wins */
    assert_int_equal(cfg.ike_conns[3].psk_len, 4);
    assert_memory_equal(cfg.ike_conns[3].psk, "none", 4);
    assert_int_equal(cfg.secrets[1].ids[0].type, 0);
    cfg_free(&cfg);
}

/* ---- reload equality ---- */

static void test_conn_equal(void **state)
{
    static const char a[] = "connections { c { local_addrs = 192.0.2.1\n"
                            " local { auth = psk } remote { auth = psk }\n"
                            " children { x { local_ts = 10.0.0.0/8 } } } }\n"
                            "secrets { ike { secret = one } }\n";
    static const char b[] = "\n\nconnections { c { local_addrs = 192.0.2.1\n"
                            " local { auth = psk } remote { auth = psk }\n"
                            " children { x { local_ts = 10.0.0.0/8 } } } }\n"
                            "secrets { ike { secret = one } }\n";
    static const char d[] = "connections { c { local_addrs = 192.0.2.1\n"
                            " local { auth = psk } remote { auth = psk }\n"
                            " children { x { local_ts = 10.0.0.0/8 } } } }\n"
                            "secrets { ike { secret = two } }\n";
    struct cfg x, y, z;

    (void)state;
    load_ok(a, &x);
    load_ok(b, &y);
    load_ok(d, &z);
    assert_string_not_equal(x.ike_conns[0].where, y.ike_conns[0].where);
    assert_true(cfg_conn_equal(&x.ike_conns[0], &y.ike_conns[0]));
    assert_false(cfg_conn_equal(&x.ike_conns[0], &z.ike_conns[0]));
    cfg_free(&x);
    cfg_free(&y);
    cfg_free(&z);
}

/* ---- odd shapes never crash ---- */

static void test_odd_shapes(void **state)
{
    static const char *const texts[] = {
        "connections { }\n",
        "secrets { }\n",
        "connections { c { local { } remote { } children { } } }\n",
        "connections { c { local = x } }\n",
        "connections { c { local { auth { } } remote { auth = psk } } }\n",
        "connections { c { local { id { }\n auth = psk } remote { auth = psk } } }\n",
        "connections { c { local { auth = psk\n cert-1 { } } remote { auth = psk } } }\n",
        "connections { c { version { } } }\n",
        "connections { c { proposals = , , } }\n",
        "connections { c { proposals = default,default,default,default,default } }\n",
        "connections { c { local_addrs = 192.0.2.1\n local { auth = psk } remote { auth = psk }\n"
        " children { x { local_ts = , } } } }\n",
        "secrets { ike { id = \"\"\n secret = 0s==== } }\n",
        "secrets { ike { secret { } } }\n",
        "secrets { ike { id { } } }\n",
    };

    (void)state;
    for (size_t i = 0; i < COUNT(texts); i++) {
        struct cfg cfg;

        if (load_mode(texts[i], 0600, &cfg) == 0)
            cfg_free(&cfg);
        else
            assert_true(strncmp(err, "/tmp/uipsec-cfgike-", 19) == 0);
    }
}

/* ---- the interop harness's strongSwan configurations, whole ---- */

/* Loads interop/strongswan/conf/SIDE/swanctl.conf from a private copy (the
 * original is world-readable and holds a PSK).  False: not there. */
static bool load_harness(const char *side, struct cfg *cfg)
{
    char src[512], *text;
    FILE *f;
    long len;

    snprintf(src, sizeof(src), "%s/%s/swanctl.conf", UIPSEC_INTEROP_CONF, side);
    if (!(f = fopen(src, "r"))) {
        print_message("skipped: %s not found (the interop harness is not checked out)\n", src);
        return false;
    }
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    rewind(f);
    text = calloc(1, (size_t)len + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    load_ok(text, cfg);
    free(text);
    return true;
}

static const struct cfg_conn *find_conn(const struct cfg *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_ike_conns; i++)
        if (!strcmp(cfg->ike_conns[i].name, name))
            return &cfg->ike_conns[i];
    fail_msg("no connection %s", name);
    return NULL;
}

static void check_psk(const struct cfg_conn *c)
{
    assert_int_equal(c->psk_len, strlen("interop-harness-psk-not-secret"));
    assert_memory_equal(c->psk, "interop-harness-psk-not-secret", c->psk_len);
}

static void check_fqdn(const struct ike_id *id, const char *name)
{
    assert_int_equal(id->type, IKE_ID_FQDN);
    assert_int_equal(id->len, strlen(name));
    assert_memory_equal(id->data, name, id->len);
}

static void test_harness_right(void **state)
{
    struct cfg cfg;
    const struct cfg_conn *c;

    (void)state;
    if (!load_harness("right", &cfg))
        skip();
    assert_int_equal(cfg.n_ike_conns, 2);
    c = find_conn(&cfg, "net");
    assert_int_equal(c->local.family, 4);
    assert_int_equal(c->remote.family, 0); /* %any: responds only */
    assert_int_equal(c->ike.n, 4);
    assert_true(c->encap);
    check_fqdn(&c->local_id, "right.ipsec.test");
    check_fqdn(&c->remote_id, "left.ipsec.test");
    assert_false(c->remote_id_any);
    check_psk(c);
    assert_int_equal(c->n_children, 1);
    assert_string_equal(c->children[0].name, "net");
    assert_int_equal(c->children[0].esp.n, 4);
    assert_string_equal(c->children[0].local_ts[0], "10.10.2.0/24");
    assert_string_equal(c->children[0].remote_ts[0], "10.10.1.0/24");
    assert_int_equal(c->children[0].mode, UIPSEC_MODE_TUNNEL);
    c = find_conn(&cfg, "net6");
    assert_int_equal(c->local.family, 6);
    assert_true(c->encap); /* the harness forces ESP in UDP, IPv6 too */
    assert_string_equal(c->children[0].name, "net6");
    check_psk(c);
    cfg_free(&cfg);
}

static void test_harness_left(void **state)
{
    static const char *const names[] = {"gcm256", "gcm128", "chacha", "cbc", "net6"};
    struct cfg cfg;

    (void)state;
    if (!load_harness("left", &cfg))
        skip();
    assert_int_equal(cfg.n_ike_conns, 5);
    for (size_t i = 0; i < COUNT(names); i++) {
        const struct cfg_conn *c = &cfg.ike_conns[i];

        assert_string_equal(c->name, names[i]);
        assert_int_equal(c->remote.family, i == 4 ? 6 : 4);
        assert_int_equal(c->ike.n, 1);
        assert_int_equal(c->n_children, 1);
        assert_string_equal(c->children[0].name, names[i]);
        assert_int_equal(c->children[0].esp.n, 1);
        assert_true(c->encap);
        check_fqdn(&c->local_id, "left.ipsec.test");
        check_fqdn(&c->remote_id, "right.ipsec.test");
        check_psk(c);
    }
    assert_int_equal(cfg.ike_conns[3].ike.p[0].alg[IKE_TRANSFORM_DH][0].id, IKE_DH_MODP_2048);
    cfg_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_parse),     cmocka_unit_test(test_minimal_defaults),
        cmocka_unit_test(test_full_connection),    cmocka_unit_test(test_ids),
        cmocka_unit_test(test_bad_connections),    cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_secret_not_private), cmocka_unit_test(test_psk_choice),
        cmocka_unit_test(test_conn_equal),         cmocka_unit_test(test_odd_shapes),
        cmocka_unit_test(test_harness_right),      cmocka_unit_test(test_harness_left),
        cmocka_unit_test(test_unique_and_limits),  cmocka_unit_test(test_weak_psk_warning),
        cmocka_unit_test(test_x509aa_ignored),     cmocka_unit_test(test_fragment_size),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
