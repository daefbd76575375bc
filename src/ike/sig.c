/* SPDX-License-Identifier: MIT */
/*
 * IKE_AUTH signatures (sig.h).  Every AlgorithmIdentifier is built and
 * read by OpenSSL (X509_ALGOR, RSA_PSS_PARAMS): no ASN.1 by hand.
 */
#include "sig.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ike_wire.h"

enum key_kind { KEY_NONE, KEY_RSA, KEY_EC, KEY_ED25519, KEY_ED448 };

struct scheme {
    const char *name;
    enum key_kind kind;
    int md;       /* NID of the hash; NID_undef for EdDSA (no prehash) */
    uint8_t hash; /* IKE_HASH_* id announced for it */
    uint8_t hlen; /* hash length: the PSS salt we use */
    int oid;      /* NID of the AlgorithmIdentifier's OID */
    bool pss;
};

static const struct scheme schemes[IKE_SIG_COUNT] = {
    [IKE_SIG_NONE] = {"none", KEY_NONE, NID_undef, 0, 0, NID_undef, false},
    [IKE_SIG_RSA_SHA256] = {"RSA PKCS#1 v1.5 with SHA-256", KEY_RSA, NID_sha256, IKE_HASH_SHA2_256,
                            32, NID_sha256WithRSAEncryption, false},
    [IKE_SIG_RSA_SHA384] = {"RSA PKCS#1 v1.5 with SHA-384", KEY_RSA, NID_sha384, IKE_HASH_SHA2_384,
                            48, NID_sha384WithRSAEncryption, false},
    [IKE_SIG_RSA_SHA512] = {"RSA PKCS#1 v1.5 with SHA-512", KEY_RSA, NID_sha512, IKE_HASH_SHA2_512,
                            64, NID_sha512WithRSAEncryption, false},
    [IKE_SIG_RSA_PSS_SHA256] = {"RSA-PSS with SHA-256", KEY_RSA, NID_sha256, IKE_HASH_SHA2_256, 32,
                                NID_rsassaPss, true},
    [IKE_SIG_RSA_PSS_SHA384] = {"RSA-PSS with SHA-384", KEY_RSA, NID_sha384, IKE_HASH_SHA2_384, 48,
                                NID_rsassaPss, true},
    [IKE_SIG_RSA_PSS_SHA512] = {"RSA-PSS with SHA-512", KEY_RSA, NID_sha512, IKE_HASH_SHA2_512, 64,
                                NID_rsassaPss, true},
    [IKE_SIG_ECDSA_SHA256] = {"ECDSA with SHA-256", KEY_EC, NID_sha256, IKE_HASH_SHA2_256, 32,
                              NID_ecdsa_with_SHA256, false},
    [IKE_SIG_ECDSA_SHA384] = {"ECDSA with SHA-384", KEY_EC, NID_sha384, IKE_HASH_SHA2_384, 48,
                              NID_ecdsa_with_SHA384, false},
    [IKE_SIG_ECDSA_SHA512] = {"ECDSA with SHA-512", KEY_EC, NID_sha512, IKE_HASH_SHA2_512, 64,
                              NID_ecdsa_with_SHA512, false},
    [IKE_SIG_ED25519] = {"Ed25519", KEY_ED25519, NID_undef, IKE_HASH_IDENTITY, 0, NID_ED25519,
                         false},
    [IKE_SIG_ED448] = {"Ed448", KEY_ED448, NID_undef, IKE_HASH_IDENTITY, 0, NID_ED448, false},
    [IKE_SIG_RSA_SHA1] = {"RSA PKCS#1 v1.5 with SHA-1", KEY_RSA, NID_sha1, IKE_HASH_SHA1, 20,
                          NID_sha1WithRSAEncryption, false},
};

/* What a key is, as far as signing cares. */
struct keyinfo {
    enum key_kind kind;
    bool pss_only; /* an RSA-PSS key (RFC 4055): PKCS#1 v1.5 is not allowed */
    int curve;     /* NID for KEY_EC */
    char desc[32]; /* "RSA-3072", "ECDSA P-384", ... for reasons */
};

/* The classic ECDSA methods of RFC 4754: each fixes curve and hash. */
static const struct {
    uint8_t method;
    int curve;
    enum ike_sig_scheme scheme;
    size_t half; /* bytes of r and of s */
} ecdsa_classic[] = {
    {IKE_AUTH_ECDSA_SHA256_P256, NID_X9_62_prime256v1, IKE_SIG_ECDSA_SHA256, 32},
    {IKE_AUTH_ECDSA_SHA384_P384, NID_secp384r1, IKE_SIG_ECDSA_SHA384, 48},
    {IKE_AUTH_ECDSA_SHA512_P521, NID_secp521r1, IKE_SIG_ECDSA_SHA512, 66},
};
#define N_CLASSIC (sizeof(ecdsa_classic) / sizeof(ecdsa_classic[0]))

/* DER ECDSA-Sig-Value of P-521 r and s: 2 * (3 + 67) + 3 < 160. */
#define DER_SIG_MAX 160

static void say(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Fills why; clears OpenSSL's error queue so a refused peer leaves
 * nothing behind for the next caller to misread. */
static void say(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;

    ERR_clear_error();
    if (!why || !n)
        return;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
}

static const char *hash_name(unsigned id)
{
    static const char *const names[] = {"hash 0",   "SHA-1",    "SHA2-256",
                                        "SHA2-384", "SHA2-512", "Identity"};
    return id < sizeof(names) / sizeof(names[0]) ? names[id] : "an unknown hash";
}

/* "SHA2-256, Identity" for reasons; "none" when empty. */
static const char *hash_list(uint32_t hashes, char *buf, size_t n)
{
    size_t used = 0;

    buf[0] = 0;
    for (unsigned id = IKE_HASH_SHA1; id <= IKE_HASH_IDENTITY && used < n; id++)
        if (hashes & (1u << id))
            used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? ", " : "", hash_name(id));
    return buf[0] ? buf : "none";
}

const char *ike_sig_scheme_name(enum ike_sig_scheme s)
{
    return (unsigned)s < IKE_SIG_COUNT ? schemes[s].name : "unknown scheme";
}

size_t ike_sig_hashes_encode(uint32_t hashes, uint8_t *out, size_t out_len)
{
    size_t n = 0;

    for (unsigned id = 1; id < 32; id++) {
        if (!(hashes & (1u << id)))
            continue;
        if (n + 2 > out_len)
            return 0;
        out[n++] = 0;
        out[n++] = (uint8_t)id;
    }
    return n;
}

bool ike_sig_hashes_decode(const uint8_t *data, size_t len, uint32_t *hashes)
{
    *hashes = 0;
    if (len % 2)
        return false;
    for (size_t i = 0; i < len; i += 2) {
        unsigned id = (unsigned)data[i] << 8 | data[i + 1];
        /* Only the ids we know: a bit for an unknown one could never be
         * matched to a scheme anyway. */
        if (id >= IKE_HASH_SHA1 && id <= IKE_HASH_IDENTITY)
            *hashes |= 1u << id;
    }
    return true;
}

uint32_t ike_sig_hashes_ours(void)
{
    return 1u << IKE_HASH_SHA2_256 | 1u << IKE_HASH_SHA2_384 | 1u << IKE_HASH_SHA2_512 |
           1u << IKE_HASH_IDENTITY;
}

/* ---- keys ---- */

static int curve_of(const EVP_PKEY *k)
{
    char name[64];
    size_t len;
    int nid;

    if (!EVP_PKEY_get_group_name(k, name, sizeof(name), &len))
        return NID_undef;
    nid = OBJ_txt2nid(name);
    return nid != NID_undef ? nid : EC_curve_nist2nid(name);
}

static int key_rsa(const EVP_PKEY *k, struct keyinfo *ki, char *why, size_t n)
{
    int bits = EVP_PKEY_get_bits(k);

    ki->kind = KEY_RSA;
    ki->pss_only = EVP_PKEY_is_a(k, "RSA-PSS");
    snprintf(ki->desc, sizeof(ki->desc), "%s-%d", ki->pss_only ? "RSA-PSS" : "RSA", bits);
    if (bits < IKE_SIG_RSA_MIN_BITS) {
        say(why, n, "%s key is too short: RSA keys need at least %d bits", ki->desc,
            IKE_SIG_RSA_MIN_BITS);
        return -1;
    }
    if (bits > IKE_SIG_RSA_MAX_BITS) {
        say(why, n, "%s key is too long: RSA keys may have at most %d bits", ki->desc,
            IKE_SIG_RSA_MAX_BITS);
        return -1;
    }
    return 0;
}

static int key_ec(const EVP_PKEY *k, struct keyinfo *ki, char *why, size_t n)
{
    const char *nist;

    ki->kind = KEY_EC;
    ki->curve = curve_of(k);
    nist = ki->curve == NID_undef ? NULL : EC_curve_nid2nist(ki->curve);
    snprintf(ki->desc, sizeof(ki->desc), "ECDSA %s", nist ? nist : "(unnamed curve)");
    for (size_t i = 0; i < N_CLASSIC; i++)
        if (ecdsa_classic[i].curve == ki->curve)
            return 0;
    say(why, n, "%s key: only the curves P-256, P-384 and P-521 are supported", ki->desc);
    return -1;
}

static int key_info(const EVP_PKEY *k, struct keyinfo *ki, char *why, size_t n)
{
    memset(ki, 0, sizeof(*ki));
    if (!k) {
        say(why, n, "no key");
        return -1;
    }
    if (EVP_PKEY_is_a(k, "RSA") || EVP_PKEY_is_a(k, "RSA-PSS"))
        return key_rsa(k, ki, why, n);
    if (EVP_PKEY_is_a(k, "EC"))
        return key_ec(k, ki, why, n);
    ki->kind = EVP_PKEY_is_a(k, "ED25519") ? KEY_ED25519
               : EVP_PKEY_is_a(k, "ED448") ? KEY_ED448
                                           : KEY_NONE;
    snprintf(ki->desc, sizeof(ki->desc), "%s", ki->kind == KEY_ED25519 ? "Ed25519" : "Ed448");
    if (ki->kind == KEY_NONE) {
        say(why, n, "%s keys cannot sign IKE_AUTH: use RSA, ECDSA, Ed25519 or Ed448",
            EVP_PKEY_get0_type_name(k) ? EVP_PKEY_get0_type_name(k) : "unknown");
        return -1;
    }
    return 0;
}

/* Whether scheme s can be used with the key at all. */
static bool key_fits(enum ike_sig_scheme s, const struct keyinfo *ki, char *why, size_t n)
{
    if (schemes[s].kind != ki->kind) {
        say(why, n, "%s does not fit the %s key", schemes[s].name, ki->desc);
        return false;
    }
    if (ki->pss_only && !schemes[s].pss) {
        say(why, n, "%s key may only sign with RSA-PSS, not %s", ki->desc, schemes[s].name);
        return false;
    }
    return true;
}

/* ---- choosing ---- */

static enum ike_sig_scheme find_scheme(enum key_kind kind, bool pss, unsigned hash)
{
    for (int s = 1; s < IKE_SIG_COUNT; s++)
        if (schemes[s].kind == kind && schemes[s].pss == pss && schemes[s].hash == hash)
            return (enum ike_sig_scheme)s;
    return IKE_SIG_NONE;
}

/* Hash ids to try for the key, best first. */
static size_t hash_order(const struct keyinfo *ki, uint8_t order[4])
{
    size_t n = 0;

    if (ki->kind == KEY_ED25519 || ki->kind == KEY_ED448) {
        order[n++] = IKE_HASH_IDENTITY;
        return n;
    }
    if (ki->kind == KEY_EC) {
        for (size_t i = 0; i < N_CLASSIC; i++)
            if (ecdsa_classic[i].curve == ki->curve)
                order[n++] = schemes[ecdsa_classic[i].scheme].hash;
        order[n++] = IKE_HASH_SHA2_512;
        order[n++] = IKE_HASH_SHA2_384;
        order[n++] = IKE_HASH_SHA2_256;
        return n;
    }
    /* RSA: SHA2-256 first, as most implementations expect it. */
    order[n++] = IKE_HASH_SHA2_256;
    order[n++] = IKE_HASH_SHA2_384;
    order[n++] = IKE_HASH_SHA2_512;
    return n;
}

static int pick_rfc7427(const struct keyinfo *ki, uint32_t peer, bool pss,
                        enum ike_sig_scheme *scheme, char *why, size_t n)
{
    uint32_t shared = peer & ike_sig_hashes_ours();
    uint8_t order[4];
    size_t k = hash_order(ki, order);
    char list[64];

    pss = ki->kind == KEY_RSA && (pss || ki->pss_only);
    for (size_t i = 0; i < k; i++) {
        if (shared & (1u << order[i])) {
            *scheme = find_scheme(ki->kind, pss, order[i]);
            return 0;
        }
    }
    say(why, n,
        "the peer announced the hashes %s in SIGNATURE_HASH_ALGORITHMS, none of which a %s "
        "key signs with here",
        hash_list(peer, list, sizeof(list)), ki->desc);
    return -1;
}

static int pick_classic(const struct keyinfo *ki, bool pss, bool allow_sha1,
                        enum ike_sig_scheme *scheme, uint8_t *method, char *why, size_t n)
{
    static const char none[] = "the peer announced no SIGNATURE_HASH_ALGORITHMS (RFC 7427)";

    if (ki->kind == KEY_EC) {
        for (size_t i = 0; i < N_CLASSIC; i++) {
            if (ecdsa_classic[i].curve == ki->curve) {
                *scheme = ecdsa_classic[i].scheme;
                *method = ecdsa_classic[i].method;
                return 0;
            }
        }
    }
    if (ki->kind != KEY_RSA) {
        say(why, n, "%s and %s has no classic IKEv2 method", none, ki->desc);
        return -1;
    }
    if (pss || ki->pss_only) {
        say(why, n, "%s and RSA-PSS needs RFC 7427 signature authentication", none);
        return -1;
    }
    if (!allow_sha1) {
        say(why, n,
            "%s and an RSA key would have to sign with SHA-1 (method 1), which is not "
            "allowed",
            none);
        return -1;
    }
    *scheme = IKE_SIG_RSA_SHA1;
    *method = IKE_AUTH_RSA_SIG;
    return 0;
}

int ike_sig_pick(const EVP_PKEY *key, uint32_t peer_hashes, bool pss, bool allow_sha1,
                 enum ike_sig_scheme *scheme, uint8_t *method, char *why, size_t why_len)
{
    struct keyinfo ki;

    *scheme = IKE_SIG_NONE;
    *method = 0;
    if (key_info(key, &ki, why, why_len))
        return -1;
    if (!peer_hashes)
        return pick_classic(&ki, pss, allow_sha1, scheme, method, why, why_len);
    *method = IKE_AUTH_DIGITAL_SIGNATURE;
    return pick_rfc7427(&ki, peer_hashes, pss, scheme, why, why_len);
}

/* ---- OpenSSL sign/verify contexts ---- */

/* A context for scheme s (salt: PSS salt length) or NULL. */
static EVP_MD_CTX *sig_ctx(EVP_PKEY *key, enum ike_sig_scheme s, int salt, bool sign)
{
    const struct scheme *sc = &schemes[s];
    const char *md = sc->md == NID_undef ? NULL : OBJ_nid2sn(sc->md);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok;

    if (!ctx)
        return NULL;
    ok = sign ? EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, key, NULL)
              : EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, key, NULL);
    if (ok == 1 && sc->pss)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, md, NULL) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt) == 1;
    else if (ok == 1 && sc->kind == KEY_RSA)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    if (ok != 1) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static int raw_sign(EVP_PKEY *key, enum ike_sig_scheme s, const uint8_t *tbs, size_t len,
                    uint8_t *out, size_t *out_len)
{
    EVP_MD_CTX *ctx = sig_ctx(key, s, schemes[s].hlen, true);
    int ok = ctx && EVP_DigestSign(ctx, out, out_len, tbs, len) == 1;

    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

static bool raw_verify(EVP_PKEY *pub, enum ike_sig_scheme s, int salt, const uint8_t *sig,
                       size_t siglen, const uint8_t *tbs, size_t len)
{
    EVP_MD_CTX *ctx = sig_ctx(pub, s, salt, false);
    bool ok = ctx && EVP_DigestVerify(ctx, sig, siglen, tbs, len) == 1;

    EVP_MD_CTX_free(ctx);
    return ok;
}

/* ---- AlgorithmIdentifier (RFC 7427 3) ---- */

/* hashAlgorithm of RSASSA-PSS-params: with NULL parameters, as RFC 7427
 * A.4.3 shows them. */
static X509_ALGOR *md_algor(int md)
{
    X509_ALGOR *a = X509_ALGOR_new();

    if (a && !X509_ALGOR_set0(a, OBJ_nid2obj(md), V_ASN1_NULL, NULL)) {
        X509_ALGOR_free(a);
        return NULL;
    }
    return a;
}

/* RSASSA-PSS-params (RFC 8017 A.2.3) for s: hash, MGF1 with the same hash,
 * salt = hash length, trailer field left at its default 1. */
static ASN1_STRING *pss_params(const struct scheme *sc)
{
    RSA_PSS_PARAMS *pp = RSA_PSS_PARAMS_new();
    X509_ALGOR *mgf_md = md_algor(sc->md);
    ASN1_STRING *mgf = mgf_md ? ASN1_item_pack(mgf_md, ASN1_ITEM_rptr(X509_ALGOR), NULL) : NULL;
    ASN1_STRING *out = NULL;

    X509_ALGOR_free(mgf_md);
    if (!pp || !mgf)
        goto done;
    pp->hashAlgorithm = md_algor(sc->md);
    pp->maskGenAlgorithm = X509_ALGOR_new();
    pp->saltLength = ASN1_INTEGER_new();
    if (!pp->hashAlgorithm || !pp->maskGenAlgorithm || !pp->saltLength ||
        !ASN1_INTEGER_set(pp->saltLength, sc->hlen) ||
        !X509_ALGOR_set0(pp->maskGenAlgorithm, OBJ_nid2obj(NID_mgf1), V_ASN1_SEQUENCE, mgf))
        goto done;
    mgf = NULL; /* owned by pp now */
    out = ASN1_item_pack(pp, ASN1_ITEM_rptr(RSA_PSS_PARAMS), NULL);
done:
    ASN1_STRING_free(mgf);
    RSA_PSS_PARAMS_free(pp);
    return out;
}

/* The DER AlgorithmIdentifier of s into out (at most cap bytes): its
 * length, or -1.  RSA PKCS#1 v1.5 has NULL parameters (RFC 4055 5),
 * ECDSA and EdDSA none (RFC 5758 3.2, RFC 8410 3). */
static int algid_encode(enum ike_sig_scheme s, uint8_t *out, size_t cap)
{
    const struct scheme *sc = &schemes[s];
    X509_ALGOR *a = X509_ALGOR_new();
    ASN1_STRING *params = sc->pss ? pss_params(sc) : NULL;
    int ptype = sc->pss ? V_ASN1_SEQUENCE : sc->kind == KEY_RSA ? V_ASN1_NULL : V_ASN1_UNDEF;
    int len = -1;

    if (!a || (sc->pss && !params) || !X509_ALGOR_set0(a, OBJ_nid2obj(sc->oid), ptype, params)) {
        ASN1_STRING_free(params);
        goto done;
    }
    len = i2d_X509_ALGOR(a, NULL);
    if (len > 0 && (size_t)len <= cap) {
        unsigned char *p = out;
        len = i2d_X509_ALGOR(a, &p);
    } else {
        len = -1;
    }
done:
    X509_ALGOR_free(a);
    return len;
}

/* ---- signing ---- */

/* The classic ECDSA row for method, or NULL. */
static int classic_row(uint8_t method)
{
    for (size_t i = 0; i < N_CLASSIC; i++)
        if (ecdsa_classic[i].method == method)
            return (int)i;
    return -1;
}

/* DER ECDSA-Sig-Value -> r||s, each half bytes (RFC 4754 7). */
static int der_to_rs(const uint8_t *der, size_t len, size_t half, uint8_t *out)
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
    const BIGNUM *r, *s;
    int ok;

    if (!sig)
        return -1;
    ECDSA_SIG_get0(sig, &r, &s);
    ok = BN_bn2binpad(r, out, (int)half) == (int)half &&
         BN_bn2binpad(s, out + half, (int)half) == (int)half;
    ECDSA_SIG_free(sig);
    return ok ? 0 : -1;
}

/* Whether method can carry scheme s with this key. */
static bool method_fits(uint8_t method, enum ike_sig_scheme s, const struct keyinfo *ki, char *why,
                        size_t n)
{
    int row = classic_row(method);

    if (method == IKE_AUTH_DIGITAL_SIGNATURE)
        return true;
    if (method == IKE_AUTH_RSA_SIG && s == IKE_SIG_RSA_SHA1)
        return true;
    if (row >= 0 && ecdsa_classic[row].scheme == s && ecdsa_classic[row].curve == ki->curve)
        return true;
    say(why, n, "AUTH method %u cannot carry %s with the %s key", method, schemes[s].name,
        ki->desc);
    return false;
}

static int sign_classic_ecdsa(EVP_PKEY *key, enum ike_sig_scheme s, int row, const uint8_t *tbs,
                              size_t len, uint8_t *out, size_t *out_len)
{
    uint8_t der[DER_SIG_MAX];
    size_t der_len = sizeof(der);
    size_t half = ecdsa_classic[row].half;

    if (raw_sign(key, s, tbs, len, der, &der_len) || der_to_rs(der, der_len, half, out))
        return -1;
    *out_len = 2 * half;
    return 0;
}

int ike_sig_sign(EVP_PKEY *key, enum ike_sig_scheme scheme, uint8_t method, const uint8_t *octets,
                 size_t len, uint8_t *out, size_t *out_len, char *why, size_t why_len)
{
    struct keyinfo ki;
    size_t off = 0, n;
    int alg;

    *out_len = 0;
    if ((unsigned)scheme >= IKE_SIG_COUNT || scheme == IKE_SIG_NONE) {
        say(why, why_len, "no signature scheme chosen");
        return -1;
    }
    if (key_info(key, &ki, why, why_len) || !key_fits(scheme, &ki, why, why_len) ||
        !method_fits(method, scheme, &ki, why, why_len))
        return -1;
    if (classic_row(method) >= 0) {
        if (!sign_classic_ecdsa(key, scheme, classic_row(method), octets, len, out, out_len))
            return 0;
        say(why, why_len, "%s signing with the %s key failed", schemes[scheme].name, ki.desc);
        return -1;
    }
    if (method == IKE_AUTH_DIGITAL_SIGNATURE) {
        alg = algid_encode(scheme, out + 1, 255);
        if (alg < 0) {
            say(why, why_len, "cannot encode the AlgorithmIdentifier of %s", schemes[scheme].name);
            return -1;
        }
        out[0] = (uint8_t)alg;
        off = 1 + (size_t)alg;
    }
    n = IKE_SIG_MAX_AUTH - off;
    if (raw_sign(key, scheme, octets, len, out + off, &n)) {
        say(why, why_len, "%s signing with the %s key failed", schemes[scheme].name, ki.desc);
        return -1;
    }
    *out_len = off + n;
    return 0;
}

/* ---- verifying ---- */

/* What the AUTH data says: the scheme, its PSS salt, the signature in the
 * form OpenSSL verifies (DER for ECDSA). */
struct parsed {
    enum ike_sig_scheme scheme;
    int salt;
    const uint8_t *sig;
    size_t siglen;
    uint8_t der[DER_SIG_MAX];
};

/* The hash an AlgorithmIdentifier inside PSS parameters names: SHA-1 when
 * absent (RFC 8017 A.2.3's default); NID_undef for parameters other than
 * NULL or absent. */
static int param_md(const X509_ALGOR *a)
{
    const ASN1_OBJECT *obj;
    const void *pval;
    int ptype;

    if (!a)
        return NID_sha1;
    X509_ALGOR_get0(&obj, &ptype, &pval, a);
    if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL)
        return NID_undef;
    return OBJ_obj2nid(obj);
}

/* MGF1's hash (maskGenAlgorithm's parameter), SHA-1 when absent. */
static int param_mgf1_md(const X509_ALGOR *mgf)
{
    const ASN1_OBJECT *obj;
    const void *pval;
    X509_ALGOR *h;
    int ptype, md;

    if (!mgf)
        return NID_sha1;
    X509_ALGOR_get0(&obj, &ptype, &pval, mgf);
    if (OBJ_obj2nid(obj) != NID_mgf1 || ptype != V_ASN1_SEQUENCE)
        return NID_undef;
    h = ASN1_item_unpack(pval, ASN1_ITEM_rptr(X509_ALGOR));
    md = h ? param_md(h) : NID_undef;
    X509_ALGOR_free(h);
    return md;
}

/* An optional INTEGER, def when absent, -1 when out of 0..65535. */
static int small_int(const ASN1_INTEGER *i, int def)
{
    int64_t v = def;

    if (i && !ASN1_INTEGER_get_int64(&v, i))
        return -1;
    return v < 0 || v > 65535 ? -1 : (int)v;
}

/* RSASSA-PSS-params: *md and *salt, or -1 with why. */
static int pss_decode(int ptype, const void *pval, int *md, int *salt, char *why, size_t n)
{
    RSA_PSS_PARAMS *pp;
    int mgf, trailer;

    pp = ptype == V_ASN1_SEQUENCE ? ASN1_item_unpack(pval, ASN1_ITEM_rptr(RSA_PSS_PARAMS)) : NULL;
    if (!pp) {
        say(why, n, "RSASSA-PSS AlgorithmIdentifier without readable parameters");
        return -1;
    }
    *md = param_md(pp->hashAlgorithm);
    mgf = param_mgf1_md(pp->maskGenAlgorithm);
    *salt = small_int(pp->saltLength, 20);
    trailer = small_int(pp->trailerField, 1);
    RSA_PSS_PARAMS_free(pp);
    if (*md == NID_undef || mgf != *md) {
        say(why, n,
            "RSASSA-PSS parameters: MGF1 must be used with the signature's hash (%s, "
            "MGF1 with %s)",
            *md == NID_undef ? "unreadable" : OBJ_nid2sn(*md),
            mgf == NID_undef ? "unreadable" : OBJ_nid2sn(mgf));
        return -1;
    }
    if (trailer != 1 || *salt < 20) {
        say(why, n,
            "RSASSA-PSS parameters: trailer field %d (must be 1), salt length %d (at "
            "least 20)",
            trailer, *salt);
        return -1;
    }
    return 0;
}

/* The IKE hash id of a digest NID: 0 when unknown. */
static unsigned hash_id(int md)
{
    switch (md) {
    case NID_sha1:
        return IKE_HASH_SHA1;
    case NID_sha256:
        return IKE_HASH_SHA2_256;
    case NID_sha384:
        return IKE_HASH_SHA2_384;
    case NID_sha512:
        return IKE_HASH_SHA2_512;
    case NID_undef: /* EdDSA signs the octets themselves (RFC 8420) */
        return IKE_HASH_IDENTITY;
    }
    return 0;
}

/* The scheme an OID (and for PSS its hash) names. */
static enum ike_sig_scheme scheme_of(int oid, int md)
{
    for (int s = 1; s < IKE_SIG_COUNT; s++)
        if (schemes[s].oid == oid && (!schemes[s].pss || schemes[s].md == md))
            return (enum ike_sig_scheme)s;
    return IKE_SIG_NONE;
}

/* The hash and PSS salt of an AlgorithmIdentifier; -1 with why. */
static int algid_hash(const X509_ALGOR *a, int *oid, int *md, int *salt, char *why, size_t n)
{
    const ASN1_OBJECT *obj;
    const void *pval;
    int ptype, pkey;
    char txt[80];

    X509_ALGOR_get0(&obj, &ptype, &pval, a);
    *oid = OBJ_obj2nid(obj);
    *salt = 0;
    if (*oid == NID_rsassaPss)
        return pss_decode(ptype, pval, md, salt, why, n);
    if (*oid == NID_undef || !OBJ_find_sigid_algs(*oid, md, &pkey)) {
        OBJ_obj2txt(txt, sizeof(txt), obj, 1);
        say(why, n, "AUTH method 14 with the unknown signature algorithm %s", txt);
        return -1;
    }
    /* PKCS#1 v1.5 has NULL parameters (some omit them), ECDSA and EdDSA
     * none (RFC 5758 3.2, RFC 8410 3): anything else is not the
     * algorithm we would verify. */
    if (ptype != V_ASN1_UNDEF && (ptype != V_ASN1_NULL || pkey != NID_rsaEncryption)) {
        say(why, n, "AUTH method 14: %s with unexpected parameters", OBJ_nid2sn(*oid));
        return -1;
    }
    return 0;
}

/* Method 14: length byte, AlgorithmIdentifier, signature. */
static int parse_rfc7427(const uint8_t *auth, size_t auth_len, uint32_t allowed, bool allow_sha1,
                         struct parsed *p, char *why, size_t n)
{
    size_t alen = auth_len ? auth[0] : 0;
    const unsigned char *q = auth + 1;
    X509_ALGOR *a;
    int oid, md, rc;
    unsigned h;

    if (!alen || auth_len < 2 + alen) {
        say(why, n,
            "AUTH method 14 data of %zu bytes too short for its %zu-byte "
            "AlgorithmIdentifier and a signature",
            auth_len, alen);
        return -1;
    }
    a = d2i_X509_ALGOR(NULL, &q, (long)alen);
    if (!a || q != auth + 1 + alen) {
        X509_ALGOR_free(a);
        say(why, n, "AUTH method 14 AlgorithmIdentifier is not %zu bytes of DER", alen);
        return -1;
    }
    rc = algid_hash(a, &oid, &md, &p->salt, why, n);
    X509_ALGOR_free(a);
    if (rc)
        return -1;
    h = hash_id(md);
    if (!h || !(allowed & (1u << h))) {
        say(why, n, "AUTH method 14 with %s, which we did not announce",
            h ? hash_name(h) : OBJ_nid2sn(md));
        return -1;
    }
    if (h == IKE_HASH_SHA1 && !allow_sha1) {
        say(why, n, "AUTH method 14 with SHA-1, which is not allowed");
        return -1;
    }
    p->scheme = scheme_of(oid, md);
    if (p->scheme == IKE_SIG_NONE) {
        say(why, n, "AUTH method 14 with %s, which we do not verify", OBJ_nid2sn(oid));
        return -1;
    }
    p->sig = auth + 1 + alen;
    p->siglen = auth_len - 1 - alen;
    return 0;
}

/* r||s -> DER ECDSA-Sig-Value into p->der. */
static int rs_to_der(const uint8_t *rs, size_t half, struct parsed *p)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(rs, (int)half, NULL), *s = BN_bin2bn(rs + half, (int)half, NULL);
    unsigned char *q = p->der;
    int len = -1;

    if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
        BN_free(r);
        BN_free(s);
    } else if (i2d_ECDSA_SIG(sig, NULL) <= (int)sizeof(p->der)) {
        len = i2d_ECDSA_SIG(sig, &q);
    }
    ECDSA_SIG_free(sig);
    if (len <= 0)
        return -1;
    p->sig = p->der;
    p->siglen = (size_t)len;
    return 0;
}

/* Methods 9/10/11 (RFC 4754): the key must be on the method's curve. */
static int parse_classic_ecdsa(int row, const uint8_t *auth, size_t auth_len,
                               const struct keyinfo *ki, struct parsed *p, char *why, size_t n)
{
    size_t half = ecdsa_classic[row].half;

    if (ki->kind != KEY_EC || ki->curve != ecdsa_classic[row].curve) {
        say(why, n, "AUTH method %u names %s, but the peer's key is %s", ecdsa_classic[row].method,
            EC_curve_nid2nist(ecdsa_classic[row].curve), ki->desc);
        return -1;
    }
    if (auth_len != 2 * half) {
        say(why, n, "AUTH method %u data of %zu bytes: r||s must be %zu", ecdsa_classic[row].method,
            auth_len, 2 * half);
        return -1;
    }
    p->scheme = ecdsa_classic[row].scheme;
    return rs_to_der(auth, half, p);
}

static int parse_auth(uint8_t method, const uint8_t *auth, size_t auth_len, uint32_t allowed,
                      bool allow_sha1, const struct keyinfo *ki, struct parsed *p, char *why,
                      size_t n)
{
    int row = classic_row(method);

    if (method == IKE_AUTH_DIGITAL_SIGNATURE)
        return parse_rfc7427(auth, auth_len, allowed, allow_sha1, p, why, n);
    if (row >= 0)
        return parse_classic_ecdsa(row, auth, auth_len, ki, p, why, n);
    if (method != IKE_AUTH_RSA_SIG) {
        say(why, n, "AUTH method %u is not a signature method we verify", method);
        return -1;
    }
    if (!allow_sha1) {
        say(why, n, "AUTH method 1 (RSA with SHA-1), and SHA-1 is not allowed");
        return -1;
    }
    p->scheme = IKE_SIG_RSA_SHA1;
    p->sig = auth;
    p->siglen = auth_len;
    return 0;
}

bool ike_sig_verify(EVP_PKEY *pub, uint8_t method, const uint8_t *auth, size_t auth_len,
                    const uint8_t *octets, size_t len, uint32_t allowed_hashes, bool allow_sha1,
                    enum ike_sig_scheme *scheme, char *why, size_t why_len)
{
    struct keyinfo ki;
    struct parsed p = {0};

    if (scheme)
        *scheme = IKE_SIG_NONE;
    if (!auth)
        auth_len = 0;
    if (key_info(pub, &ki, why, why_len) ||
        parse_auth(method, auth, auth_len, allowed_hashes, allow_sha1, &ki, &p, why, why_len) ||
        !key_fits(p.scheme, &ki, why, why_len))
        return false;
    if (!p.siglen || !raw_verify(pub, p.scheme, p.salt, p.sig, p.siglen, octets, len)) {
        say(why, why_len, "%s signature does not verify with the peer's %s key",
            schemes[p.scheme].name, ki.desc);
        return false;
    }
    if (scheme)
        *scheme = p.scheme;
    return true;
}
