/* SPDX-License-Identifier: MIT */
/*
 * IKE_AUTH signatures (src/ike/sig.c): the AlgorithmIdentifier bytes of
 * RFC 7427 Appendix A and RFC 8420, sign/verify round trips for every
 * scheme and key, signatures checked by the openssl command (an
 * independent implementation of the same standards) both ways, the
 * choice of scheme, SIGNATURE_HASH_ALGORITHMS, and every refusal the
 * verifier owes an untrusted peer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ike_wire.h"
#include "sig.h"
#include "testutil.h"

static EVP_PKEY *k_rsa, *k_rsa1024, *k_rsapss, *k_p256, *k_p384, *k_p521, *k_ed25519, *k_ed448;
static EVP_PKEY *c_rsa, *c_p256, *c_ed25519; /* made by the openssl command */
static char dir[64];
static char why[256];

/* What IKE_AUTH signs is just octets to this layer. */
static const uint8_t octets[] = "InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI";
#define OCTETS_LEN (sizeof(octets) - 1)

/* RFC 7427 Appendix A and RFC 8420 3 byte strings, hex. */
/* A.1.1 sha1WithRSAEncryption */
#define ALG_RSA_SHA1 "300d06092a864886f70d0101050500"
/* A.1.2 sha256WithRSAEncryption */
#define ALG_RSA_SHA256 "300d06092a864886f70d01010b0500"
/* A.1.3 sha384WithRSAEncryption */
#define ALG_RSA_SHA384 "300d06092a864886f70d01010c0500"
/* A.1.4 sha512WithRSAEncryption */
#define ALG_RSA_SHA512 "300d06092a864886f70d01010d0500"
/* A.3.2-A.3.4 ecdsa-with-SHA256/384/512 */
#define ALG_ECDSA_SHA256 "300a06082a8648ce3d040302"
#define ALG_ECDSA_SHA384 "300a06082a8648ce3d040303"
#define ALG_ECDSA_SHA512 "300a06082a8648ce3d040304"
/* A.4.3 RSASSA-PSS with SHA-256: hash sha256 (NULL parameters), MGF1 with
 * sha256, salt 32, trailer default.  (Same bytes as Chromium's
 * rsa-pss-sha256 test vector's ALGORITHM block.) */
#define PSS_HEAD        "304106092a864886f70d01010a3034"
#define PSS_SHA256_HASH "a00f300d06096086480165030402010500"
#define PSS_MGF1_SHA256 "a11c301a06092a864886f70d010108300d06096086480165030402010500"
#define ALG_PSS_SHA256  PSS_HEAD PSS_SHA256_HASH PSS_MGF1_SHA256 "a203020120"
/* RFC 7427 lists PSS with SHA-256 only; SHA-384 and SHA-512 are A.4.3
 * with the hash OIDs of RFC 4055 2.1 (2.16.840.1.101.3.4.2.2 and .3) and
 * the salt the hash's length (48, 64), as RFC 8017 A.2.3 lays them out. */
#define ALG_PSS_SHA384                                                                             \
    PSS_HEAD "a00f300d06096086480165030402020500"                                                  \
             "a11c301a06092a864886f70d010108300d06096086480165030402020500a203020130"
#define ALG_PSS_SHA512                                                                             \
    PSS_HEAD "a00f300d06096086480165030402030500"                                                  \
             "a11c301a06092a864886f70d010108300d06096086480165030402030500a203020140"
/* RFC 8420 3: id-Ed25519 and id-Ed448, no parameters. */
#define ALG_ED25519 "300506032b6570"
#define ALG_ED448   "300506032b6571"

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;

    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs a shell command in dir; its exit status. */
static int sh(const char *fmt, ...)
{
    char cmd[1024];
    int n;
    va_list ap;

    n = snprintf(cmd, sizeof(cmd), "cd %s && ", dir);
    va_start(ap, fmt);
    vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
    va_end(ap);
    n = system(cmd);
    return n == -1 ? -1 : WEXITSTATUS(n);
}

static void put_file(const char *name, const uint8_t *data, size_t len)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static size_t get_file(const char *name, uint8_t *data, size_t cap)
{
    char path[128];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "rb");
    assert_non_null(f);
    n = fread(data, 1, cap, f);
    fclose(f);
    return n;
}

static void put_pub(const char *name, EVP_PKEY *k)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_PUBKEY(f, k), 1);
    fclose(f);
}

static EVP_PKEY *cli_key(const char *name, const char *genpkey_args)
{
    char path[128];
    EVP_PKEY *k;
    FILE *f;

    assert_int_equal(sh("openssl genpkey %s -out %s 2>/dev/null", genpkey_args, name), 0);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "r");
    assert_non_null(f);
    k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(k);
    return k;
}

static int setup(void **state)
{
    (void)state;
    k_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    k_rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    k_p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    k_p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    k_p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    k_ed25519 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    k_ed448 = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
    tmpdir_make(dir, sizeof(dir), "uipsec-sig");
    c_rsa = cli_key("rsa.pem", "-algorithm RSA -pkeyopt rsa_keygen_bits:3072");
    c_p256 = cli_key("p256.pem", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256");
    c_ed25519 = cli_key("ed25519.pem", "-algorithm ED25519");
    k_rsapss = cli_key("rsapss.pem", "-algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048");
    put_file("octets", octets, OCTETS_LEN);
    return !(k_rsa && k_rsa1024 && k_rsapss && k_p256 && k_p384 && k_p521 && k_ed25519 && k_ed448);
}

static int teardown(void **state)
{
    EVP_PKEY *all[] = {k_rsa,     k_rsa1024, k_rsapss, k_p256, k_p384,   k_p521,
                       k_ed25519, k_ed448,   c_rsa,    c_p256, c_ed25519};

    (void)state;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        EVP_PKEY_free(all[i]);
    return tmpdir_remove(dir);
}

/* A key each scheme signs with. */
static EVP_PKEY *key_for(enum ike_sig_scheme s)
{
    switch (s) {
    case IKE_SIG_ECDSA_SHA256:
        return k_p256;
    case IKE_SIG_ECDSA_SHA384:
        return k_p384;
    case IKE_SIG_ECDSA_SHA512:
        return k_p521;
    case IKE_SIG_ED25519:
        return k_ed25519;
    case IKE_SIG_ED448:
        return k_ed448;
    default:
        return k_rsa;
    }
}

static size_t sign_ok(EVP_PKEY *k, enum ike_sig_scheme s, uint8_t method, uint8_t *out)
{
    size_t n = 0;

    if (ike_sig_sign(k, s, method, octets, OCTETS_LEN, out, &n, why, sizeof(why)))
        fail_msg("%s: %s", ike_sig_scheme_name(s), why);
    assert_true(n > 0 && n <= IKE_SIG_MAX_AUTH);
    return n;
}

static bool verify(EVP_PKEY *k, uint8_t method, const uint8_t *auth, size_t len, uint32_t allowed,
                   bool sha1, enum ike_sig_scheme *s)
{
    why[0] = 0;
    return ike_sig_verify(k, method, auth, len, octets, OCTETS_LEN, allowed, sha1, s, why,
                          sizeof(why));
}

static void assert_why(const char *part)
{
    if (!strstr(why, part))
        fail_msg("reason \"%s\" lacks \"%s\"", why, part);
}

/* The AlgorithmIdentifier each scheme emits is RFC 7427 Appendix A's /
 * RFC 8420's, byte for byte. */
static void test_algid_bytes(void **state)
{
    static const struct {
        enum ike_sig_scheme s;
        const char *hex;
    } t[] = {
        {IKE_SIG_RSA_SHA256, ALG_RSA_SHA256},
        {IKE_SIG_RSA_SHA384, ALG_RSA_SHA384},
        {IKE_SIG_RSA_SHA512, ALG_RSA_SHA512},
        {IKE_SIG_RSA_PSS_SHA256, ALG_PSS_SHA256},
        {IKE_SIG_RSA_PSS_SHA384, ALG_PSS_SHA384},
        {IKE_SIG_RSA_PSS_SHA512, ALG_PSS_SHA512},
        {IKE_SIG_ECDSA_SHA256, ALG_ECDSA_SHA256},
        {IKE_SIG_ECDSA_SHA384, ALG_ECDSA_SHA384},
        {IKE_SIG_ECDSA_SHA512, ALG_ECDSA_SHA512},
        {IKE_SIG_ED25519, ALG_ED25519},
        {IKE_SIG_ED448, ALG_ED448},
        {IKE_SIG_RSA_SHA1, ALG_RSA_SHA1},
    };
    uint8_t out[IKE_SIG_MAX_AUTH], want[128];

    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        size_t n = sign_ok(key_for(t[i].s), t[i].s, IKE_AUTH_DIGITAL_SIGNATURE, out);
        size_t w = unhex(t[i].hex, want);
        if (out[0] != w || memcmp(out + 1, want, w) || n <= 1 + w)
            fail_msg("%s: AlgorithmIdentifier differs from RFC 7427/8420",
                     ike_sig_scheme_name(t[i].s));
    }
}

#define PSS_OPTS " -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-1"

/* The same, against another writer of these bytes: the signatureAlgorithm
 * of certificates the openssl command signs with each scheme. */
static void test_algid_as_openssl_certs(void **state)
{
    static const struct {
        enum ike_sig_scheme s;
        const char *key, *opts;
    } t[] = {
        {IKE_SIG_RSA_SHA256, "rsa.pem", "-sha256"},
        {IKE_SIG_RSA_SHA512, "rsa.pem", "-sha512"},
        {IKE_SIG_RSA_PSS_SHA256, "rsa.pem", "-sha256" PSS_OPTS},
        {IKE_SIG_RSA_PSS_SHA384, "rsa.pem", "-sha384" PSS_OPTS},
        {IKE_SIG_RSA_PSS_SHA512, "rsa.pem", "-sha512" PSS_OPTS},
        {IKE_SIG_ECDSA_SHA256, "p256.pem", "-sha256"},
        {IKE_SIG_ECDSA_SHA384, "p256.pem", "-sha384"},
        {IKE_SIG_ED25519, "ed25519.pem", ""},
    };
    uint8_t cert[4096], out[IKE_SIG_MAX_AUTH], alg[128];

    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        EVP_PKEY *k =
            strcmp(t[i].key, "rsa.pem") ? strcmp(t[i].key, "p256.pem") ? c_ed25519 : c_p256 : c_rsa;
        const unsigned char *p = cert;
        unsigned char *q = alg;
        const X509_ALGOR *a;

        assert_int_equal(sh("openssl req -x509 -new -key %s -subj /CN=sig %s -outform DER -out "
                            "cert.der 2>/dev/null",
                            t[i].key, t[i].opts),
                         0);
        X509 *x = d2i_X509(NULL, &p, (long)get_file("cert.der", cert, sizeof(cert)));
        assert_non_null(x);
        X509_get0_signature(NULL, &a, x);
        assert_true(i2d_X509_ALGOR(a, NULL) <= (int)sizeof(alg));
        int n = i2d_X509_ALGOR(a, &q);
        X509_free(x);
        sign_ok(k, t[i].s, IKE_AUTH_DIGITAL_SIGNATURE, out);
        if (out[0] != n || memcmp(out + 1, alg, (size_t)n))
            fail_msg("%s: AlgorithmIdentifier differs from openssl's certificate",
                     ike_sig_scheme_name(t[i].s));
    }
}

/* Every scheme signs and verifies, with generated and command-made keys. */
static void test_roundtrip(void **state)
{
    uint8_t out[IKE_SIG_MAX_AUTH];
    enum ike_sig_scheme got;

    (void)state;
    for (int s = IKE_SIG_RSA_SHA256; s < IKE_SIG_COUNT; s++) {
        EVP_PKEY *k = key_for((enum ike_sig_scheme)s);
        size_t n = sign_ok(k, (enum ike_sig_scheme)s, IKE_AUTH_DIGITAL_SIGNATURE, out);
        if (!verify(k, IKE_AUTH_DIGITAL_SIGNATURE, out, n, ~0u, true, &got) || (int)got != s)
            fail_msg("%s: %s", ike_sig_scheme_name((enum ike_sig_scheme)s), why);
    }
    /* An RSA-PSS key (RFC 4055) with PSS; command-made keys. */
    for (int s = IKE_SIG_RSA_PSS_SHA256; s <= IKE_SIG_RSA_PSS_SHA512; s++) {
        size_t n = sign_ok(k_rsapss, (enum ike_sig_scheme)s, IKE_AUTH_DIGITAL_SIGNATURE, out);
        assert_true(verify(k_rsapss, IKE_AUTH_DIGITAL_SIGNATURE, out, n, ~0u, false, &got));
    }
    size_t n = sign_ok(c_rsa, IKE_SIG_RSA_PSS_SHA512, IKE_AUTH_DIGITAL_SIGNATURE, out);
    assert_int_equal(n, 1 + 0x43 + 384);
    assert_true(verify(c_rsa, IKE_AUTH_DIGITAL_SIGNATURE, out, n, ~0u, false, &got));
    n = sign_ok(c_ed25519, IKE_SIG_ED25519, IKE_AUTH_DIGITAL_SIGNATURE, out);
    assert_true(verify(c_ed25519, IKE_AUTH_DIGITAL_SIGNATURE, out, n, ~0u, false, &got));
}

/* The classic methods: 1 = PKCS#1 v1.5 SHA-1 of the modulus' size;
 * 9/10/11 = r||s of the curve's size each (RFC 4754 7). */
static void test_roundtrip_classic(void **state)
{
    static const struct {
        uint8_t method;
        enum ike_sig_scheme s;
        size_t len;
    } t[] = {
        {IKE_AUTH_RSA_SIG, IKE_SIG_RSA_SHA1, 256},
        {IKE_AUTH_ECDSA_SHA256_P256, IKE_SIG_ECDSA_SHA256, 64},
        {IKE_AUTH_ECDSA_SHA384_P384, IKE_SIG_ECDSA_SHA384, 96},
        {IKE_AUTH_ECDSA_SHA512_P521, IKE_SIG_ECDSA_SHA512, 132},
    };
    uint8_t out[IKE_SIG_MAX_AUTH];
    enum ike_sig_scheme got;

    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        /* P-521 r or s start with zeros often: sign a few times. */
        for (int round = 0; round < 8; round++) {
            size_t n = sign_ok(key_for(t[i].s), t[i].s, t[i].method, out);
            assert_int_equal(n, t[i].len);
            if (!verify(key_for(t[i].s), t[i].method, out, n, 0, true, &got) || got != t[i].s)
                fail_msg("method %u: %s", t[i].method, why);
        }
    }
}

/* DER ECDSA-Sig-Value <-> r||s, the test's own way (OpenSSL's ECDSA_SIG). */
static size_t rs_of_der(const uint8_t *der, size_t len, size_t half, uint8_t *out)
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
    const BIGNUM *r, *s;

    assert_non_null(sig);
    ECDSA_SIG_get0(sig, &r, &s);
    assert_int_equal(BN_bn2binpad(r, out, (int)half), half);
    assert_int_equal(BN_bn2binpad(s, out + half, (int)half), half);
    ECDSA_SIG_free(sig);
    return 2 * half;
}

static size_t der_of_rs(const uint8_t *rs, size_t half, uint8_t *der)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    unsigned char *p = der;
    int n;

    assert_int_equal(
        ECDSA_SIG_set0(sig, BN_bin2bn(rs, (int)half, NULL), BN_bin2bn(rs + half, (int)half, NULL)),
        1);
    n = i2d_ECDSA_SIG(sig, &p);
    ECDSA_SIG_free(sig);
    assert_true(n > 0);
    return (size_t)n;
}

/* The openssl command verifies sig (and refuses it with one bit flipped,
 * so the check is real). */
static void cli_verifies(EVP_PKEY *k, uint8_t *sig, size_t len, const char *how)
{
    put_pub("pub.pem", k);
    put_file("sig", sig, len);
    if (sh("%s < octets >/dev/null 2>&1", how))
        fail_msg("openssl refused our signature: %s", how);
    sig[len / 2] ^= 0x10;
    put_file("sig", sig, len);
    assert_int_not_equal(sh("%s < octets >/dev/null 2>&1", how), 0);
    sig[len / 2] ^= 0x10;
}

#define DGST_VERIFY(opts) "openssl dgst " opts " -verify pub.pem -signature sig"
#define RAW_VERIFY        "openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -sigfile sig -in octets"

static void test_openssl_verifies_ours(void **state)
{
    static const struct {
        enum ike_sig_scheme s;
        const char *how;
    } t[] = {
        {IKE_SIG_RSA_SHA256, DGST_VERIFY("-sha256")},
        {IKE_SIG_RSA_SHA512, DGST_VERIFY("-sha512")},
        /* salt stated exactly: ours must be the hash length */
        {IKE_SIG_RSA_PSS_SHA256, DGST_VERIFY("-sha256 -sigopt rsa_padding_mode:pss -sigopt "
                                             "rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256")},
        {IKE_SIG_RSA_PSS_SHA384, DGST_VERIFY("-sha384 -sigopt rsa_padding_mode:pss -sigopt "
                                             "rsa_pss_saltlen:48 -sigopt rsa_mgf1_md:sha384")},
        {IKE_SIG_ECDSA_SHA384, DGST_VERIFY("-sha384")},
        {IKE_SIG_ED25519, RAW_VERIFY},
        {IKE_SIG_ED448, RAW_VERIFY},
    };
    uint8_t out[IKE_SIG_MAX_AUTH], der[160];
    size_t n;

    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        n = sign_ok(key_for(t[i].s), t[i].s, IKE_AUTH_DIGITAL_SIGNATURE, out);
        cli_verifies(key_for(t[i].s), out + 1 + out[0], n - 1 - out[0], t[i].how);
    }
    /* Classic: method 1 is PKCS#1 v1.5 SHA-1; 9 and 11 are r||s. */
    n = sign_ok(k_rsa, IKE_SIG_RSA_SHA1, IKE_AUTH_RSA_SIG, out);
    cli_verifies(k_rsa, out, n, DGST_VERIFY("-sha1"));
    n = sign_ok(k_p256, IKE_SIG_ECDSA_SHA256, IKE_AUTH_ECDSA_SHA256_P256, out);
    n = der_of_rs(out, n / 2, der);
    cli_verifies(k_p256, der, n, DGST_VERIFY("-sha256"));
    n = sign_ok(k_p521, IKE_SIG_ECDSA_SHA512, IKE_AUTH_ECDSA_SHA512_P521, out);
    n = der_of_rs(out, n / 2, der);
    cli_verifies(k_p521, der, n, DGST_VERIFY("-sha512"));
}

/* AUTH data: alg (hex) then what the openssl command signed. */
static size_t auth_of_cli(const char *alg, const char *cmd, uint8_t *auth)
{
    size_t a = alg ? unhex(alg, auth + 1) : 0;
    size_t off = alg ? 1 + a : 0;

    if (alg)
        auth[0] = (uint8_t)a;
    assert_int_equal(sh("%s -out clisig < octets 2>/dev/null", cmd), 0);
    return off + get_file("clisig", auth + off, IKE_SIG_MAX_AUTH - off);
}

#define PSS256_CLI(salt)                                                                           \
    "openssl dgst -sha256 -sign rsa.pem -sigopt rsa_padding_mode:pss -sigopt "                     \
    "rsa_mgf1_md:sha256 -sigopt rsa_pss_saltlen:" salt

static void test_ours_verifies_openssl(void **state)
{
    uint8_t auth[IKE_SIG_MAX_AUTH], der[160];
    enum ike_sig_scheme got;
    size_t n;

    (void)state;
    n = auth_of_cli(ALG_RSA_SHA256, "openssl dgst -sha256 -sign rsa.pem", auth);
    assert_true(verify(c_rsa, 14, auth, n, ike_sig_hashes_ours(), false, &got));
    assert_int_equal(got, IKE_SIG_RSA_SHA256);
    n = auth_of_cli(ALG_PSS_SHA256, PSS256_CLI("32"), auth);
    assert_true(verify(c_rsa, 14, auth, n, ike_sig_hashes_ours(), false, &got));
    assert_int_equal(got, IKE_SIG_RSA_PSS_SHA256);
    /* Any salt the parameters state: 20 here (A.4.3 with salt 0x14). */
    n = auth_of_cli(PSS_HEAD PSS_SHA256_HASH PSS_MGF1_SHA256 "a203020114", PSS256_CLI("20"), auth);
    assert_true(verify(c_rsa, 14, auth, n, ike_sig_hashes_ours(), false, &got));
    /* ... but the one they state: 32 claimed, 20 used. */
    n = auth_of_cli(ALG_PSS_SHA256, PSS256_CLI("20"), auth);
    assert_false(verify(c_rsa, 14, auth, n, ike_sig_hashes_ours(), false, &got));
    assert_why("does not verify");
    n = auth_of_cli(ALG_ECDSA_SHA256, "openssl dgst -sha256 -sign p256.pem", auth);
    assert_true(verify(c_p256, 14, auth, n, ike_sig_hashes_ours(), false, &got));
    /* The same DER signature as r||s for method 9 (RFC 4754). */
    n = auth_of_cli(NULL, "openssl dgst -sha256 -sign p256.pem", der);
    n = rs_of_der(der, n, 32, auth);
    assert_true(verify(c_p256, IKE_AUTH_ECDSA_SHA256_P256, auth, n, 0, false, &got));
    assert_int_equal(got, IKE_SIG_ECDSA_SHA256);
    n = auth_of_cli(NULL, "openssl dgst -sha1 -sign rsa.pem", auth);
    assert_true(verify(c_rsa, IKE_AUTH_RSA_SIG, auth, n, 0, true, &got));
    assert_int_equal(got, IKE_SIG_RSA_SHA1);
    assert_false(verify(c_rsa, IKE_AUTH_RSA_SIG, auth, n, 0, false, &got));
    assert_why("SHA-1");
    n = auth_of_cli(ALG_ED25519, "openssl pkeyutl -sign -rawin -inkey ed25519.pem -in octets",
                    auth);
    assert_true(verify(c_ed25519, 14, auth, n, ike_sig_hashes_ours(), false, &got));
    assert_int_equal(got, IKE_SIG_ED25519);
}

/* Refusals of a signature that is otherwise right. */
static void test_refuse_tampered(void **state)
{
    uint8_t out[IKE_SIG_MAX_AUTH];
    enum ike_sig_scheme got = IKE_SIG_ED448;
    uint32_t ours = ike_sig_hashes_ours();
    size_t n;

    (void)state;
    for (int s = IKE_SIG_RSA_SHA256; s <= IKE_SIG_ED448; s++) {
        EVP_PKEY *k = key_for((enum ike_sig_scheme)s);
        n = sign_ok(k, (enum ike_sig_scheme)s, 14, out);
        out[n - 1] ^= 1;
        assert_false(verify(k, 14, out, n, ours, false, &got));
        assert_int_equal(got, IKE_SIG_NONE);
        assert_why("does not verify with the peer's");
        out[n - 1] ^= 1;
        assert_false(ike_sig_verify(k, 14, out, n, octets, OCTETS_LEN - 1, ours, false, &got, why,
                                    sizeof(why)));
    }
    /* Another key of the same type. */
    n = sign_ok(k_p256, IKE_SIG_ECDSA_SHA256, 14, out);
    assert_false(verify(c_p256, 14, out, n, ours, false, &got));
    n = sign_ok(k_ed25519, IKE_SIG_ED25519, 14, out);
    assert_false(verify(c_ed25519, 14, out, n, ours, false, &got));
    n = sign_ok(k_p256, IKE_SIG_ECDSA_SHA256, IKE_AUTH_ECDSA_SHA256_P256, out);
    assert_false(verify(c_p256, IKE_AUTH_ECDSA_SHA256_P256, out, n, 0, false, &got));
}

/* Algorithm against key, hashes against what we announced. */
static void test_refuse_algorithm(void **state)
{
    uint8_t out[IKE_SIG_MAX_AUTH];
    enum ike_sig_scheme got;
    uint32_t ours = ike_sig_hashes_ours();
    size_t n;

    (void)state;
    n = sign_ok(k_p256, IKE_SIG_ECDSA_SHA256, 14, out);
    assert_false(verify(k_rsa, 14, out, n, ours, false, &got));
    assert_why("does not fit the RSA-2048 key");
    n = sign_ok(k_rsa, IKE_SIG_RSA_SHA256, 14, out);
    assert_false(verify(k_ed25519, 14, out, n, ours, false, &got));
    assert_why("does not fit");
    /* An RSA-PSS key refuses PKCS#1 v1.5 (RFC 4055 1.2). */
    assert_false(verify(k_rsapss, 14, out, n, ours, false, &got));
    assert_why("only sign with RSA-PSS");
    n = sign_ok(k_rsa, IKE_SIG_RSA_SHA512, 14, out);
    assert_false(verify(k_rsa, 14, out, n, ours & ~(1u << IKE_HASH_SHA2_512), false, &got));
    assert_why("SHA2-512, which we did not announce");
    n = sign_ok(k_ed448, IKE_SIG_ED448, 14, out);
    assert_false(verify(k_ed448, 14, out, n, ours & ~(1u << IKE_HASH_IDENTITY), false, &got));
    assert_why("Identity, which we did not announce");
    /* SHA-1 under method 14: not announced, or announced and not allowed. */
    n = sign_ok(k_rsa, IKE_SIG_RSA_SHA1, 14, out);
    assert_false(verify(k_rsa, 14, out, n, ours, true, &got));
    assert_why("AUTH method 14 with SHA-1, which we did not announce");
    assert_false(verify(k_rsa, 14, out, n, ours | 1u << IKE_HASH_SHA1, false, &got));
    assert_why("SHA-1");
    assert_true(verify(k_rsa, 14, out, n, ours | 1u << IKE_HASH_SHA1, true, &got));
    /* Method 1 without SHA-1; a method that is no signature. */
    n = sign_ok(k_rsa, IKE_SIG_RSA_SHA1, IKE_AUTH_RSA_SIG, out);
    assert_false(verify(k_rsa, IKE_AUTH_RSA_SIG, out, n, ours, false, &got));
    assert_false(verify(k_rsa, IKE_AUTH_PSK, out, n, ours, true, &got));
    assert_why("not a signature method");
    assert_false(verify(k_p256, IKE_AUTH_RSA_SIG, out, n, ours, true, &got));
}

/* Replaces the AlgorithmIdentifier of a valid AUTH with alg (hex). */
static size_t swap_alg(const uint8_t *auth, size_t n, const char *alg, uint8_t *out)
{
    size_t a = unhex(alg, out + 1);
    size_t sig = n - 1 - auth[0];

    out[0] = (uint8_t)a;
    memcpy(out + 1 + a, auth + 1 + auth[0], sig);
    return 1 + a + sig;
}

/* RSASSA-PSS parameters and AlgorithmIdentifiers that must not pass. */
static void test_refuse_params(void **state)
{
    static const struct {
        const char *alg, *reason;
    } t[] = {
        /* MGF1 with SHA-384 under a SHA-256 signature */
        {PSS_HEAD PSS_SHA256_HASH "a11c301a06092a864886f70d010108300d06096086480165030402020500"
                                  "a203020120",
         "MGF1"},
        /* trailer field 2 (RFC 8017 A.2.3 allows only 1) */
        {"304606092a864886f70d01010a3039" PSS_SHA256_HASH PSS_MGF1_SHA256 "a203020120a303020102",
         "trailer field 2"},
        /* salt 16 < 20 */
        {PSS_HEAD PSS_SHA256_HASH PSS_MGF1_SHA256 "a203020110", "salt length 16"},
        /* RFC 7427 A.4.1: empty parameters mean SHA-1 */
        {"300d06092a864886f70d01010a3000", "SHA-1, which we did not announce"},
        /* rsaEncryption is a key type, not a signature algorithm */
        {"300d06092a864886f70d0101010500", "unknown signature algorithm 1.2.840.113549.1.1.1"},
        /* ECDSA with NULL parameters: not its AlgorithmIdentifier */
        {"300c06082a8648ce3d0403020500", "unexpected parameters"},
        /* 5 bytes of trailing garbage inside the length byte's span */
        {ALG_PSS_SHA256 "0500050005", "is not 72 bytes of DER"},
        {"3000", "is not 2 bytes of DER"},
    };
    uint8_t good[IKE_SIG_MAX_AUTH], bad[IKE_SIG_MAX_AUTH];
    enum ike_sig_scheme got;
    size_t n = sign_ok(k_rsa, IKE_SIG_RSA_PSS_SHA256, 14, good);

    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        size_t m = swap_alg(good, n, t[i].alg, bad);
        assert_false(verify(k_rsa, 14, bad, m, ike_sig_hashes_ours(), true, &got));
        assert_why(t[i].reason);
    }
}

/* Truncated AUTH data at every length, and length bytes that lie. */
static void test_refuse_truncated(void **state)
{
    static const struct {
        EVP_PKEY **k;
        enum ike_sig_scheme s;
        uint8_t method;
    } t[] = {
        {&k_rsa, IKE_SIG_RSA_PSS_SHA256, 14}, {&k_p521, IKE_SIG_ECDSA_SHA512, 14},
        {&k_ed448, IKE_SIG_ED448, 14},        {&k_p384, IKE_SIG_ECDSA_SHA384, 10},
        {&k_rsa, IKE_SIG_RSA_SHA1, 1},
    };
    uint8_t out[IKE_SIG_MAX_AUTH], *copy;
    enum ike_sig_scheme got;

    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        size_t n = sign_ok(*t[i].k, t[i].s, t[i].method, out);
        for (size_t len = 0; len < n; len++) {
            copy = malloc(len ? len : 1); /* exact size: ASan sees reads past it */
            memcpy(copy, out, len);
            assert_false(verify(*t[i].k, t[i].method, len ? copy : NULL, len, ~0u, true, &got));
            free(copy);
        }
        if (t[i].method != 14)
            continue;
        uint8_t alen = out[0];
        for (int d = -2; d <= 2; d++) {
            out[0] = (uint8_t)(alen + d);
            assert_int_equal(verify(*t[i].k, 14, out, n, ~0u, true, &got), d == 0);
        }
        out[0] = 255;
        assert_false(verify(*t[i].k, 14, out, 1 + alen, ~0u, true, &got));
        assert_why("too short");
    }
}

/* Classic ECDSA: curve named by the method. */
static void test_refuse_classic_curve(void **state)
{
    uint8_t out[IKE_SIG_MAX_AUTH];
    enum ike_sig_scheme got;
    size_t n;

    (void)state;
    n = sign_ok(k_p384, IKE_SIG_ECDSA_SHA384, IKE_AUTH_ECDSA_SHA384_P384, out);
    assert_false(verify(k_p384, IKE_AUTH_ECDSA_SHA256_P256, out, 64, 0, false, &got));
    assert_why("AUTH method 9 names P-256, but the peer's key is ECDSA P-384");
    assert_false(verify(k_p256, IKE_AUTH_ECDSA_SHA384_P384, out, n, 0, false, &got));
    assert_why("P-384");
    assert_false(verify(k_rsa, IKE_AUTH_ECDSA_SHA384_P384, out, n, 0, false, &got));
    /* Sign refuses the same mismatches. */
    assert_int_equal(ike_sig_sign(k_p384, IKE_SIG_ECDSA_SHA256, IKE_AUTH_ECDSA_SHA256_P256, octets,
                                  OCTETS_LEN, out, &n, why, sizeof(why)),
                     -1);
    assert_int_equal(ike_sig_sign(k_p384, IKE_SIG_ECDSA_SHA384, IKE_AUTH_ECDSA_SHA256_P256, octets,
                                  OCTETS_LEN, out, &n, why, sizeof(why)),
                     -1);
    assert_why("AUTH method 9 cannot carry");
}

/* RSA keys under 2048 bits: neither signed with nor accepted. */
static void test_refuse_short_rsa(void **state)
{
    uint8_t out[IKE_SIG_MAX_AUTH], alg[32];
    enum ike_sig_scheme got;
    uint8_t method;
    size_t n = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t a = unhex(ALG_RSA_SHA256, alg);

    (void)state;
    assert_int_equal(ike_sig_sign(k_rsa1024, IKE_SIG_RSA_SHA256, 14, octets, OCTETS_LEN, out, &n,
                                  why, sizeof(why)),
                     -1);
    assert_why("RSA-1024 key is too short");
    assert_int_equal(ike_sig_pick(k_rsa1024, ~0u, false, true, &got, &method, why, sizeof(why)),
                     -1);
    assert_why("at least 2048");
    /* A real RSA-1024 signature, made without us. */
    out[0] = (uint8_t)a;
    memcpy(out + 1, alg, a);
    n = IKE_SIG_MAX_AUTH - 1 - a;
    assert_int_equal(EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, k_rsa1024, NULL), 1);
    assert_int_equal(EVP_DigestSign(ctx, out + 1 + a, &n, octets, OCTETS_LEN), 1);
    EVP_MD_CTX_free(ctx);
    assert_false(verify(k_rsa1024, 14, out, 1 + a + n, ~0u, false, &got));
    assert_why("too short");
    /* ... which passes with a 2048-bit key's own signature: the refusal is
     * the size, not the bytes. */
    n = sign_ok(k_rsa, IKE_SIG_RSA_SHA256, 14, out);
    assert_true(verify(k_rsa, 14, out, n, ~0u, false, &got));
}

static void pick(EVP_PKEY *k, uint32_t peer, bool pss, bool sha1, enum ike_sig_scheme want_s,
                 uint8_t want_m)
{
    enum ike_sig_scheme s;
    uint8_t m;

    if (ike_sig_pick(k, peer, pss, sha1, &s, &m, why, sizeof(why)))
        fail_msg("pick refused: %s", why);
    if (s != want_s || m != want_m)
        fail_msg("picked %s method %u, want %s method %u", ike_sig_scheme_name(s), m,
                 ike_sig_scheme_name(want_s), want_m);
}

static void refuse_pick(EVP_PKEY *k, uint32_t peer, bool pss, bool sha1, const char *reason)
{
    enum ike_sig_scheme s;
    uint8_t m;

    assert_int_equal(ike_sig_pick(k, peer, pss, sha1, &s, &m, why, sizeof(why)), -1);
    assert_int_equal(s, IKE_SIG_NONE);
    assert_why(reason);
}

#define H(x) (1u << IKE_HASH_##x)

static void test_pick(void **state)
{
    uint32_t ours = ike_sig_hashes_ours();

    (void)state;
    pick(k_rsa, ours, false, false, IKE_SIG_RSA_SHA256, 14);
    pick(k_rsa, ours, true, false, IKE_SIG_RSA_PSS_SHA256, 14);
    pick(k_rsa, H(SHA2_512) | H(SHA1), false, false, IKE_SIG_RSA_SHA512, 14);
    pick(k_rsapss, ours, false, false, IKE_SIG_RSA_PSS_SHA256, 14);
    pick(k_p256, ours, false, false, IKE_SIG_ECDSA_SHA256, 14);
    pick(k_p384, ours, false, false, IKE_SIG_ECDSA_SHA384, 14);
    pick(k_p521, ours, false, false, IKE_SIG_ECDSA_SHA512, 14);
    pick(k_p256, H(SHA2_384) | H(SHA2_512), false, false, IKE_SIG_ECDSA_SHA512, 14);
    pick(k_p521, H(SHA2_256) | H(IDENTITY), false, false, IKE_SIG_ECDSA_SHA256, 14);
    pick(k_ed25519, ours, false, false, IKE_SIG_ED25519, 14);
    pick(k_ed448, H(IDENTITY), false, false, IKE_SIG_ED448, 14);
    refuse_pick(k_ed25519, H(SHA2_256), false, false, "none of which a Ed25519 key signs with");
    refuse_pick(k_rsa, H(SHA1), false, true, "announced the hashes SHA-1");
    refuse_pick(k_rsa, H(IDENTITY), false, true, "RSA-2048");
    /* The peer announced nothing: the classic methods. */
    pick(k_rsa, 0, false, true, IKE_SIG_RSA_SHA1, IKE_AUTH_RSA_SIG);
    refuse_pick(k_rsa, 0, false, false, "SHA-1 (method 1), which is not allowed");
    refuse_pick(k_rsa, 0, true, true, "RSA-PSS needs RFC 7427");
    refuse_pick(k_rsapss, 0, false, true, "RSA-PSS needs RFC 7427");
    pick(k_p256, 0, false, false, IKE_SIG_ECDSA_SHA256, IKE_AUTH_ECDSA_SHA256_P256);
    pick(k_p384, 0, false, false, IKE_SIG_ECDSA_SHA384, IKE_AUTH_ECDSA_SHA384_P384);
    pick(k_p521, 0, false, false, IKE_SIG_ECDSA_SHA512, IKE_AUTH_ECDSA_SHA512_P521);
    refuse_pick(k_ed25519, 0, false, true,
                "peer announced no SIGNATURE_HASH_ALGORITHMS (RFC 7427) and Ed25519 has no "
                "classic IKEv2 method");
    refuse_pick(k_ed448, 0, false, true, "Ed448 has no classic");
}

/* What pick chooses, sign makes and verify accepts, for every key. */
static void test_pick_sign_verify(void **state)
{
    EVP_PKEY *keys[] = {k_rsa, k_rsapss, k_p256, k_p384, k_p521, k_ed25519, k_ed448};
    uint8_t out[IKE_SIG_MAX_AUTH], m;
    enum ike_sig_scheme s, got;

    (void)state;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        assert_int_equal(
            ike_sig_pick(keys[i], ike_sig_hashes_ours(), false, false, &s, &m, why, sizeof(why)),
            0);
        size_t n = sign_ok(keys[i], s, m, out);
        assert_true(verify(keys[i], m, out, n, ike_sig_hashes_ours(), false, &got));
        assert_int_equal(got, s);
    }
}

static void test_hashes(void **state)
{
    uint8_t out[16], in[16];
    uint32_t h = 0xdead;

    (void)state;
    /* RFC 7427 4: 2-byte ids, here ascending. */
    assert_int_equal(ike_sig_hashes_encode(ike_sig_hashes_ours(), out, 10), 8);
    assert_memory_equal(out, "\x00\x02\x00\x03\x00\x04\x00\x05", 8);
    assert_int_equal(ike_sig_hashes_encode(ike_sig_hashes_ours(), out, 7), 0);
    assert_int_equal(ike_sig_hashes_encode(0, out, 10), 0);
    assert_true(ike_sig_hashes_decode(out, 8, &h));
    assert_int_equal(h, ike_sig_hashes_ours());
    /* Unknown ids (0, 6, 0x0102, 0xffff) ignored; SHA-1 kept. */
    memcpy(in, "\x00\x00\x00\x06\x01\x02\xff\xff\x00\x01\x00\x04", 12);
    assert_true(ike_sig_hashes_decode(in, 12, &h));
    assert_int_equal(h, H(SHA1) | H(SHA2_512));
    assert_false(ike_sig_hashes_decode(in, 11, &h));
    assert_int_equal(h, 0);
    assert_true(ike_sig_hashes_decode(in, 0, &h));
    assert_int_equal(h, 0);
    assert_int_equal(ike_sig_hashes_encode(ike_sig_hashes_ours() | H(SHA1), out, 10), 10);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(ike_sig_scheme_name(IKE_SIG_RSA_SHA256), "RSA PKCS#1 v1.5 with SHA-256");
    assert_string_equal(ike_sig_scheme_name(IKE_SIG_ECDSA_SHA384), "ECDSA with SHA-384");
    assert_string_equal(ike_sig_scheme_name(IKE_SIG_ED25519), "Ed25519");
    assert_string_equal(ike_sig_scheme_name(IKE_SIG_COUNT), "unknown scheme");
    for (int s = 1; s < IKE_SIG_COUNT; s++)
        for (int t = s + 1; t < IKE_SIG_COUNT; t++)
            assert_string_not_equal(ike_sig_scheme_name((enum ike_sig_scheme)s),
                                    ike_sig_scheme_name((enum ike_sig_scheme)t));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_algid_bytes),
        cmocka_unit_test(test_algid_as_openssl_certs),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_roundtrip_classic),
        cmocka_unit_test(test_openssl_verifies_ours),
        cmocka_unit_test(test_ours_verifies_openssl),
        cmocka_unit_test(test_refuse_tampered),
        cmocka_unit_test(test_refuse_algorithm),
        cmocka_unit_test(test_refuse_params),
        cmocka_unit_test(test_refuse_truncated),
        cmocka_unit_test(test_refuse_classic_curve),
        cmocka_unit_test(test_refuse_short_rsa),
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_pick_sign_verify),
        cmocka_unit_test(test_hashes),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
