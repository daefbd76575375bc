/* SPDX-License-Identifier: MIT */
/*
 * A peer's certificates in IKE_AUTH (src/ike/ikesa_cert.c,
 * ike_cert_verify): CERT payloads, an ID and AUTH data, all from the
 * network.  The input is a chain of records [encoding, length (2 bytes),
 * bytes]; each becomes a CERT payload, except that the record lengths 0
 * and 1 stand for the valid end-entity and CA certificates made at start
 * (so the fuzzer reaches the identity and signature checks, which only a
 * chain that verifies gets to), XORed with the record's bytes.  The rest
 * of the input is the peer's ID (type, data) and AUTH (method, data).
 * Each payload's bytes are copied into an allocation of exactly their
 * size, so ASan sees any read beyond them.  Nothing may verify: the SA
 * has no keys, so no AUTH can be right.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "testcert.h"
#include "ike_wire.h"
#include "ikesa_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static X509 *ca, *ee;
static uint8_t *ca_der, *ee_der;
static int ca_len, ee_len;
static struct ike_cfg cfg;
static struct ike_env env;

static void init(void)
{
    EVP_PKEY *ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *ee_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

    if (!ca_key || !ee_key)
        abort();
    ca = testcert_make(ca_key, ca_key, NULL, "Fuzz CA", true, NULL, NULL);
    ee = testcert_make(ee_key, ca_key, ca, "peer.example", false, NULL, NULL);
    ca_len = i2d_X509(ca, &ca_der);
    ee_len = i2d_X509(ee, &ee_der);
    cfg.remote_pk.on = true;
    cfg.remote_pk.trust = X509_STORE_new();
    cfg.remote_pk.known = sk_X509_new_null();
    if (ca_len <= 0 || ee_len <= 0 || !cfg.remote_pk.trust || !cfg.remote_pk.known ||
        X509_STORE_add_cert(cfg.remote_pk.trust, ca) != 1)
        abort();
    cfg.remote_id_any = true;
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(ee_key);
}

/* One record into payload p: 0 when the input ends. */
static size_t record(const uint8_t *d, size_t n, struct ike_payload *p, uint8_t **copy)
{
    size_t len, base_len;
    const uint8_t *base = NULL;

    if (n < 3)
        return 0;
    len = (size_t)d[1] << 8 | d[2];
    if (len + 3 > n)
        len = n - 3;
    base_len = len;
    if (len <= 1) { /* the real certificates, with edits from what follows */
        base = len ? ca_der : ee_der;
        base_len = (size_t)(len ? ca_len : ee_len);
    }
    *copy = malloc(base_len ? base_len : 1);
    if (!*copy)
        abort();
    for (size_t i = 0; i < base_len; i++)
        (*copy)[i] = base ? base[i] ^ (len + 3 + i < n && i < 8 ? d[3 + len + i] : 0) : d[3 + i];
    *p = (struct ike_payload){.type = IKE_PL_CERT,
                              .u.cert = {.encoding = d[0] & 1 ? IKE_CERT_X509_SIGNATURE : d[0],
                                         .data = {*copy, base_len}}};
    return 3 + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ike_msg msg;
    struct ike_sa *sa = calloc(1, sizeof *sa);
    uint8_t *copies[8] = {0};
    struct ike_pl_id id = {0};
    struct ike_auth_wait *wait;
    struct ike_pl_auth auth = {0};
    size_t at = 1, used, n = size ? data[0] % 9 : 0;

    if (!ca)
        init();
    if (!sa)
        return 0;
    memset(&msg, 0, sizeof msg);
    for (size_t i = 0; i < n && (used = record(data + at, size - at, &msg.payloads[i], &copies[i]));
         i++, at += used)
        msg.npayloads++;
    if (at + 2 <= size) {
        size_t half = (size - at - 2) / 2;

        id = (struct ike_pl_id){.type = data[at], .data = {data + at + 2, half}};
        auth = (struct ike_pl_auth){.method = data[at + 1], .data = {data + at + 2 + half, half}};
    }
    sa->cfg = &cfg;
    sa->env = &env;
    sa->role = IKE_ROLE_RESPONDER;
    if (ike_cert_verify(sa, &msg, &id, &auth, &wait) != IKE_V_FAIL)
        abort(); /* no keys: no AUTH can verify (and no revoc: no wait) */
    ike_cert_note_peer(sa, &msg);
    X509_free(sa->peer_cert);
    free(sa);
    for (size_t i = 0; i < 8; i++)
        free(copies[i]);
    return 0;
}
