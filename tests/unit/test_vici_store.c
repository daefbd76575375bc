/* SPDX-License-Identifier: MIT */
/*
 * What VICI loads, laid over the configuration file's (vici_store.c):
 * messages built as swanctl builds them; connections replacing the file's
 * of the same name and giving them back when unloaded; a refused one taken
 * back with nothing else changed; certificate data in load-conn turned into
 * entries the connection names; the PSK and private key a connection gets,
 * by the ids and the public key; a reload (a new base) keeping it all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "config.h"
#include "testcert.h"
#include "vici_msg.h"
#include "vici_store.h"

#define HDR 5 /* transport length and packet type of a response */

static struct vici_buf msg;

/* A load-conn for connection name: PSK both ways, or with our
 * certificate's data (cert) and a peer id. */
static void conn_msg(const char *name, const char *remote_ts, const uint8_t *cert, size_t cert_len,
                     const char *bad_key)
{
    vici_begin(&msg, VICI_CMD_RESPONSE, "");
    vici_section(&msg, name);
    vici_list(&msg, "remote_addrs");
    vici_item(&msg, "192.0.2.2");
    vici_list_end(&msg);
    if (bad_key)
        vici_kv(&msg, bad_key, "1");
    vici_section(&msg, "local");
    vici_kv(&msg, "auth", cert ? "pubkey" : "psk");
    if (cert) { /* the id comes from the certificate */
        struct vici_elem item = {.type = VICI_LIST_ITEM, .value = cert, .value_len = cert_len};

        vici_list(&msg, "certs");
        vici_put_elem(&msg, &item);
        vici_list_end(&msg);
    } else {
        vici_kv(&msg, "id", "me.example");
    }
    vici_section_end(&msg);
    vici_section(&msg, "remote");
    vici_kv(&msg, "auth", "psk");
    vici_kv(&msg, "id", "peer.example");
    vici_section_end(&msg);
    vici_section(&msg, "children");
    vici_section(&msg, name); /* child names are unique across connections */
    vici_list(&msg, "remote_ts");
    vici_item(&msg, "%s", remote_ts);
    vici_list_end(&msg);
    vici_section_end(&msg);
    vici_section_end(&msg);
    vici_section_end(&msg);
    assert_true(vici_end(&msg));
}

static const struct cfg_conn *find(const struct cfg *cfg, const char *name, size_t *count)
{
    const struct cfg_conn *found = NULL;

    *count = 0;
    for (size_t i = 0; i < cfg->n_ike_conns; i++)
        if (!strcmp(cfg->ike_conns[i].name, name))
            found = &cfg->ike_conns[i], ++*count;
    return found;
}

/* The file's part: one connection "a", its PSK number 7 (as the parent
 * gave it), through the store's own parsing (a base with no VICI). */
static void file_base(struct vici_store *vs, struct cfg *cfg)
{
    char err[600], names[100];
    struct vici_store *tmp = vstore_new();

    memset(cfg, 0, sizeof(*cfg));
    assert_non_null(tmp);
    assert_int_equal(vstore_base(tmp, cfg), 0);
    conn_msg("a", "10.2.0.0/16", NULL, 0, NULL);
    assert_int_equal(vstore_msg_put(tmp, VSTORE_CONNS, msg.p + HDR, msg.len - HDR, names,
                                    sizeof names, err, sizeof err),
                     0);
    assert_int_equal(vstore_apply(tmp, cfg, true, err, sizeof err), 0);
    vstore_free(tmp);
    assert_int_equal(cfg->n_ike_conns, 1);
    cfg->ike_conns[0].psk_id = 7;
    assert_int_equal(vstore_base(vs, cfg), 0);
}

static void applied(struct vici_store *vs, struct cfg *cfg, char *err, size_t len)
{
    int rc = vstore_apply(vs, cfg, true, err, len);

    if (rc != 0)
        print_error("vstore_apply: %s\n", err);
    assert_int_equal(rc, 0);
}

static void put_conn(struct vici_store *vs, const char *name, const char *ts, const char *bad)
{
    char err[600], names[100];

    conn_msg(name, ts, NULL, 0, bad);
    assert_int_equal(vstore_msg_put(vs, VSTORE_CONNS, msg.p + HDR, msg.len - HDR, names,
                                    sizeof names, err, sizeof err),
                     0);
    assert_string_equal(names, name);
}

static void test_replace_and_give_back(void **state)
{
    struct vici_store *vs = vstore_new();
    struct cfg_secret ids = {.n_ids = 1};
    struct cfg cfg;
    const struct cfg_conn *c;
    char err[600];
    size_t n;

    (void)state;
    file_base(vs, &cfg);
    put_conn(vs, "b", "10.3.0.0/16", NULL);
    applied(vs, &cfg, err, sizeof err);
    assert_non_null(c = find(&cfg, "b", &n));
    assert_int_equal(c->psk_id, UINT32_MAX); /* no PSK loaded yet: kept, fails to authenticate */
    assert_non_null(find(&cfg, "a", &n));
    assert_int_equal(n, 1);

    /* a PSK for peer.example: b takes it */
    assert_int_equal(ike_id_set(&ids.ids[0], IKE_ID_FQDN, "peer.example"), UIPSEC_OK);
    assert_int_equal(vstore_shared_put(vs, "ike-x", &ids, 42, err, sizeof err), 0);
    applied(vs, &cfg, err, sizeof err);
    assert_int_equal(find(&cfg, "b", &n)->psk_id, 42);

    /* a loaded "a" replaces the file's, once; unloaded, the file's is back */
    put_conn(vs, "a", "10.9.0.0/16", NULL);
    applied(vs, &cfg, err, sizeof err);
    assert_non_null(c = find(&cfg, "a", &n));
    assert_int_equal(n, 1);
    assert_int_equal(c->psk_id, 42);
    assert_true(vstore_msg_del(vs, VSTORE_CONNS, "a"));
    applied(vs, &cfg, err, sizeof err);
    assert_int_equal(find(&cfg, "a", &n)->psk_id, 7);
    assert_false(vstore_msg_del(vs, VSTORE_CONNS, "a")); /* the file's is not VICI's to unload */

    /* a reload: the file's part anew, the loaded ones laid over it again */
    assert_int_equal(vstore_base(vs, &cfg), 0);
    applied(vs, &cfg, err, sizeof err);
    assert_non_null(find(&cfg, "b", &n));
    assert_int_equal(n, 1);
    vstore_free(vs);
    cfg_free(&cfg);
}

static void test_refused_taken_back(void **state)
{
    struct vici_store *vs = vstore_new();
    struct cfg cfg;
    char err[600];
    size_t n;

    (void)state;
    file_base(vs, &cfg);
    put_conn(vs, "b", "10.3.0.0/16", NULL);
    applied(vs, &cfg, err, sizeof err);
    put_conn(vs, "b", "10.4.0.0/16", "no_such_key"); /* replaces b, then fails */
    assert_int_equal(vstore_apply(vs, &cfg, true, err, sizeof err), -1);
    assert_non_null(strstr(err, "no_such_key"));
    vstore_msg_undo(vs, VSTORE_CONNS);
    applied(vs, &cfg, err, sizeof err);
    assert_non_null(find(&cfg, "b", &n));
    assert_int_equal(n, 1);
    assert_int_equal(cfg.ike_conns[1].children[0].n_remote_ts, 1); /* the old b, 10.3/16 */
    assert_non_null(find(&cfg, "a", &n));
    vstore_free(vs);
    cfg_free(&cfg);
}

/* A load-conn with our certificate's DER in certs: the connection names
 * the entry made of it, and takes the private key loaded for it. */
static void test_certificate_data(void **state)
{
    struct vici_store *vs = vstore_new();
    EVP_PKEY *key = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
    X509 *ca = testcert_make(other, other, NULL, "ca", true, NULL, NULL);
    X509 *x = testcert_make(key, other, ca, "me", false, NULL, NULL);
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    char err[600], names[100], keyid[VSTORE_KEYID_HEX];
    const struct cfg_conn *c;
    struct cfg cfg;
    size_t n;

    (void)state;
    assert_true(len > 0);
    file_base(vs, &cfg);
    conn_msg("cert", "10.6.0.0/16", der, (size_t)len, NULL);
    assert_int_equal(vstore_msg_put(vs, VSTORE_CONNS, msg.p + HDR, msg.len - HDR, names,
                                    sizeof names, err, sizeof err),
                     0);
    EVP_PKEY_up_ref(other);
    assert_int_equal(vstore_key_put(vs, other, 3, keyid, err, sizeof err), 0); /* not ours */
    EVP_PKEY_up_ref(key);
    assert_int_equal(vstore_key_put(vs, key, 5, keyid, err, sizeof err), 0);
    assert_int_equal(strlen(keyid), 40);
    applied(vs, &cfg, err, sizeof err);
    assert_non_null(c = find(&cfg, "cert", &n));
    assert_int_equal(c->local_auth.n_certs, 1);
    assert_int_equal(c->key, 5);
    assert_int_equal(c->local_id.type, IKE_ID_DER_ASN1_DN); /* its subject */
    assert_int_equal(cfg.certs[c->local_auth.certs[0]].len, (uint32_t)len);
    assert_memory_equal(cfg.cert_der + cfg.certs[c->local_auth.certs[0]].off, der, (size_t)len);
    assert_true(vstore_key_del(vs, keyid));
    applied(vs, &cfg, err, sizeof err);
    assert_int_equal(find(&cfg, "cert", &n)->key, -1); /* kept, but cannot sign */
    /* data that is no certificate: refused, naming the key */
    der[0] ^= 0xff; /* no SEQUENCE */
    conn_msg("junk", "10.7.0.0/16", der, (size_t)len, NULL);
    assert_int_equal(vstore_msg_put(vs, VSTORE_CONNS, msg.p + HDR, msg.len - HDR, names,
                                    sizeof names, err, sizeof err),
                     0);
    assert_int_equal(vstore_apply(vs, &cfg, true, err, sizeof err), -1);
    assert_non_null(strstr(err, "certs: not a certificate"));
    OPENSSL_free(der);
    X509_free(x);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
    vstore_free(vs);
    cfg_free(&cfg);
}

static void add_name(void *arg, const char *name)
{
    strcat(arg, name);
}

static void test_names(void **state)
{
    struct vici_store *vs = vstore_new();
    struct cfg cfg;
    char out[200] = "";

    (void)state;
    file_base(vs, &cfg);
    put_conn(vs, "b", "10.3.0.0/16", NULL);
    put_conn(vs, "c", "10.5.0.0/16", NULL);
    vstore_each(vs, VSTORE_CONNS, add_name, out);
    assert_string_equal(out, "bc"); /* get-conns: VICI's, not the file's */
    vstore_free(vs);
    cfg_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replace_and_give_back),
        cmocka_unit_test(test_refused_taken_back),
        cmocka_unit_test(test_certificate_data),
        cmocka_unit_test(test_names),
    };
    int rc;

    vici_buf_init(&msg, 1u << 20);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    vici_buf_free(&msg);
    return rc;
}
