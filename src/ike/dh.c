/* SPDX-License-Identifier: MIT */
/*
 * Key exchange on OpenSSL 3 EVP_PKEY.  Peer values are imported with
 * EVP_PKEY_fromdata (MODP, ECP) or as raw keys (X25519, X448) and checked
 * with EVP_PKEY_public_check_quick before they are used; lengths are checked
 * here first, so OpenSSL never sees a value of the wrong size.
 */
#include "dh.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

enum kind { KIND_MODP, KIND_ECP, KIND_ECX };

#define MAX_COORD 66 /* P-521 */

struct group {
    enum ike_dh_alg id;
    enum kind kind;
    const char *type; /* OpenSSL key type */
    const char *name; /* OpenSSL group name; NULL for X25519/X448 */
    int nid;          /* ECP curve, for known-answer private keys */
    size_t len;       /* MODP prime, ECP coordinate, X25519/X448 key: bytes */
};

static const struct group groups[] = {
    {IKE_DH_ALG_MODP_2048, KIND_MODP, "DH", "modp_2048", 0, 256},
    {IKE_DH_ALG_MODP_3072, KIND_MODP, "DH", "modp_3072", 0, 384},
    {IKE_DH_ALG_MODP_4096, KIND_MODP, "DH", "modp_4096", 0, 512},
    {IKE_DH_ALG_ECP_256, KIND_ECP, "EC", "P-256", NID_X9_62_prime256v1, 32},
    {IKE_DH_ALG_ECP_384, KIND_ECP, "EC", "P-384", NID_secp384r1, 48},
    {IKE_DH_ALG_ECP_521, KIND_ECP, "EC", "P-521", NID_secp521r1, 66},
    {IKE_DH_ALG_CURVE25519, KIND_ECX, "X25519", NULL, 0, 32},
    {IKE_DH_ALG_CURVE448, KIND_ECX, "X448", NULL, 0, 56},
};

struct ike_dh {
    const struct group *g;
    EVP_PKEY *pkey;
    size_t secret_len; /* 0: no secret yet */
    uint8_t secret[IKE_DH_MAX_SECRET_LEN];
};

static const struct group *group_of(enum ike_dh_alg id)
{
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (groups[i].id == id)
            return &groups[i];
    return NULL;
}

size_t ike_dh_ke_len(enum ike_dh_alg group)
{
    const struct group *g = group_of(group);

    if (g == NULL)
        return 0;
    return g->kind == KIND_ECP ? 2 * g->len : g->len;
}

size_t ike_dh_secret_len(enum ike_dh_alg group)
{
    const struct group *g = group_of(group);

    return g == NULL ? 0 : g->len;
}

enum ike_dh_alg ike_dh_group(const struct ike_dh *dh)
{
    return dh->g->id;
}

struct ike_iov ike_dh_secret(const struct ike_dh *dh)
{
    return (struct ike_iov){dh->secret_len > 0 ? dh->secret : NULL, dh->secret_len};
}

void ike_dh_free(struct ike_dh *dh)
{
    if (dh == NULL)
        return;
    EVP_PKEY_free(dh->pkey); /* OpenSSL clears private keys as it frees them */
    OPENSSL_clear_free(dh, sizeof *dh);
}

static EVP_PKEY *keygen(const struct group *g)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, g->type, NULL);
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->name, 0),
        OSSL_PARAM_construct_end(),
    };

    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
        (g->name != NULL && EVP_PKEY_CTX_set_params(ctx, params) != 1) ||
        EVP_PKEY_generate(ctx, &pkey) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

/* A struct ike_dh around pkey (taken over, freed on failure). */
static int dh_wrap(const struct group *g, EVP_PKEY *pkey, struct ike_dh **out)
{
    struct ike_dh *dh;

    *out = NULL;
    if (pkey == NULL)
        return UIPSEC_E_CRYPTO;
    dh = calloc(1, sizeof *dh);
    if (dh == NULL) {
        EVP_PKEY_free(pkey);
        return UIPSEC_E_NOMEM;
    }
    dh->g = g;
    dh->pkey = pkey;
    *out = dh;
    return UIPSEC_OK;
}

int ike_dh_new(enum ike_dh_alg group, struct ike_dh **out)
{
    const struct group *g = group_of(group);
    EVP_PKEY *pkey;

    *out = NULL;
    if (g == NULL)
        return UIPSEC_E_UNSUPPORTED;
    ERR_set_mark();
    pkey = keygen(g);
    ERR_pop_to_mark(); /* our failures stay out of the caller's error queue */
    return dh_wrap(g, pkey, out);
}

static EVP_PKEY *fromdata(const char *type, int selection, OSSL_PARAM *params)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;

    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

/* The ECP public point d*G, uncompressed, into pub[0, 1 + 2 * g->len); d
 * must be in [1, n). */
static bool ecp_public_of(const struct group *g, const BIGNUM *d, uint8_t *pub)
{
    size_t pub_len = 1 + 2 * g->len;
    EC_GROUP *curve = EC_GROUP_new_by_curve_name(g->nid);
    EC_POINT *point = curve != NULL ? EC_POINT_new(curve) : NULL;
    bool ok = point != NULL && !BN_is_zero(d) && BN_cmp(d, EC_GROUP_get0_order(curve)) < 0 &&
              EC_POINT_mul(curve, point, d, NULL, NULL, NULL) == 1 &&
              EC_POINT_point2oct(curve, point, POINT_CONVERSION_UNCOMPRESSED, pub, pub_len, NULL) ==
                  pub_len;

    EC_POINT_free(point);
    EC_GROUP_free(curve);
    return ok;
}

/* An ECP key pair from a known scalar.  The scalar sits in secure BIGNUMs,
 * so the parameter array that carries it is cleared when it is freed. */
static EVP_PKEY *ecp_from_private(const struct group *g, const uint8_t *priv, size_t priv_len)
{
    uint8_t pub[1 + 2 * MAX_COORD];
    BIGNUM *d = BN_secure_new();
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY *pkey = NULL;

    if (d != NULL && bld != NULL && BN_bin2bn(priv, (int)priv_len, d) != NULL &&
        ecp_public_of(g, d, pub) &&
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0) == 1 &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * g->len) == 1)
        params = OSSL_PARAM_BLD_to_param(bld);
    if (params != NULL)
        pkey = fromdata(g->type, EVP_PKEY_KEYPAIR, params);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(d);
    return pkey;
}

int ike_dh_new_from_private(enum ike_dh_alg group, const uint8_t *priv, size_t priv_len,
                            struct ike_dh **out)
{
    const struct group *g = group_of(group);
    EVP_PKEY *pkey;

    *out = NULL;
    if (g == NULL || g->kind == KIND_MODP)
        return UIPSEC_E_UNSUPPORTED;
    /* ECP scalars may come with a leading zero byte (Wycheproof's do). */
    if (priv == NULL || priv_len == 0 || priv_len > (g->kind == KIND_ECX ? g->len : g->len + 1) ||
        (g->kind == KIND_ECX && priv_len != g->len))
        return UIPSEC_E_PARAM;
    ERR_set_mark();
    if (g->kind == KIND_ECX)
        pkey = EVP_PKEY_new_raw_private_key_ex(NULL, g->type, NULL, priv, priv_len);
    else
        pkey = ecp_from_private(g, priv, priv_len);
    ERR_pop_to_mark();
    if (pkey == NULL)
        return UIPSEC_E_PARAM;
    return dh_wrap(g, pkey, out);
}

int ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t out_len)
{
    uint8_t point[1 + 2 * MAX_COORD];
    BIGNUM *y = NULL;
    size_t len = out_len;
    bool ok = false;

    if (out == NULL || out_len != ike_dh_ke_len(dh->g->id))
        return UIPSEC_E_PARAM;
    ERR_set_mark();
    switch (dh->g->kind) {
    case KIND_MODP: /* 3.4: left-padded to the length of the prime */
        ok = EVP_PKEY_get_bn_param(dh->pkey, OSSL_PKEY_PARAM_PUB_KEY, &y) == 1 &&
             BN_bn2binpad(y, out, (int)out_len) == (int)out_len;
        break;
    case KIND_ECP: /* RFC 5903 7: x | y without the 0x04 of SEC1 */
        ok = EVP_PKEY_get_octet_string_param(dh->pkey, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point,
                                             &len) == 1 &&
             len == out_len + 1 && point[0] == POINT_CONVERSION_UNCOMPRESSED;
        if (ok)
            memcpy(out, point + 1, out_len);
        break;
    case KIND_ECX:
        ok = EVP_PKEY_get_raw_public_key(dh->pkey, out, &len) == 1 && len == out_len;
        break;
    }
    ERR_pop_to_mark();
    BN_free(y);
    return ok ? UIPSEC_OK : UIPSEC_E_CRYPTO;
}

/* The peer's Key Exchange Data (of the right length) as an OpenSSL key;
 * NULL when OpenSSL refuses the encoding (e.g. an ECP point off the curve). */
static EVP_PKEY *peer_key(const struct group *g, const uint8_t *peer)
{
    uint8_t point[1 + 2 * MAX_COORD];
    OSSL_PARAM_BLD *bld;
    OSSL_PARAM *params = NULL;
    BIGNUM *y = NULL;
    EVP_PKEY *pkey = NULL;
    bool ok;

    if (g->kind == KIND_ECX)
        return EVP_PKEY_new_raw_public_key_ex(NULL, g->type, NULL, peer, g->len);
    bld = OSSL_PARAM_BLD_new();
    ok = bld != NULL &&
         OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0) == 1;
    if (g->kind == KIND_MODP) {
        y = BN_bin2bn(peer, (int)g->len, NULL);
        ok = ok && y != NULL && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y) == 1;
    } else {
        point[0] = POINT_CONVERSION_UNCOMPRESSED; /* the 0x04 that RFC 5903 leaves out */
        memcpy(point + 1, peer, 2 * g->len);
        ok = ok && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
                                                    1 + 2 * g->len) == 1;
    }
    if (ok)
        params = OSSL_PARAM_BLD_to_param(bld);
    if (params != NULL)
        pkey = fromdata(g->type, EVP_PKEY_PUBLIC_KEY, params);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(y);
    return pkey;
}

/* OpenSSL's quick public-key check: MODP 1 < y < p-1; ECP on the curve and
 * not infinity.  It is complete for these groups: the RFC 3526 primes are
 * safe primes, whose only small subgroup is {1, p-1}, and P-256/384/521 have
 * cofactor 1.  The full check (y^q, n*Q) would cost a peer nothing and us
 * more than the exchange itself. */
static bool peer_valid(EVP_PKEY *peer)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, peer, NULL);
    bool ok = ctx != NULL && EVP_PKEY_public_check_quick(ctx) == 1;

    EVP_PKEY_CTX_free(ctx);
    return ok;
}

static bool all_zero(const uint8_t *p, size_t len)
{
    uint8_t acc = 0;

    for (size_t i = 0; i < len; i++)
        acc |= p[i]; /* no early exit: the secret's bytes do not steer timing */
    return acc == 0;
}

static int derive_secret(struct ike_dh *dh, EVP_PKEY *peer)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->pkey, NULL);
    size_t len = dh->g->len;
    int rc = UIPSEC_E_CRYPTO;

    /* MODP: pad g^ir to the prime's length (2.14).  The peer was checked
     * already, so set_peer does not check it again. */
    if (ctx != NULL && EVP_PKEY_derive_init(ctx) == 1 &&
        (dh->g->kind != KIND_MODP || EVP_PKEY_CTX_set_dh_pad(ctx, 1) == 1) &&
        EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) == 1) {
        rc = EVP_PKEY_derive(ctx, dh->secret, &len) == 1 && len == dh->g->len ? UIPSEC_OK
                                                                              : UIPSEC_E_CRYPTO;
        /* OpenSSL refuses an all-zero X25519/X448 output itself, here. */
        if (rc != UIPSEC_OK && dh->g->kind == KIND_ECX)
            rc = UIPSEC_E_MALFORMED;
    }
    EVP_PKEY_CTX_free(ctx);
    /* RFC 7748 6.1, RFC 8031 2.3: a low-order peer point gives all zeros. */
    if (rc == UIPSEC_OK && dh->g->kind == KIND_ECX && all_zero(dh->secret, len))
        rc = UIPSEC_E_MALFORMED;
    return rc;
}

/* The peer's value as an OpenSSL key once its length, range or curve
 * membership hold; NULL (UIPSEC_E_MALFORMED in *rc) if not. */
static EVP_PKEY *checked_peer(const struct group *g, const uint8_t *peer, size_t peer_len, int *rc)
{
    EVP_PKEY *pkey;

    *rc = UIPSEC_E_MALFORMED;
    if (peer_len != ike_dh_ke_len(g->id))
        return NULL; /* 3.4: exactly the group's length */
    pkey = peer_key(g, peer);
    if (pkey != NULL && !peer_valid(pkey)) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    if (pkey != NULL)
        *rc = UIPSEC_OK;
    return pkey;
}

int ike_dh_check_peer(enum ike_dh_alg group, const uint8_t *peer, size_t peer_len)
{
    const struct group *g = group_of(group);
    EVP_PKEY *pkey;
    int rc;

    if (g == NULL)
        return UIPSEC_E_UNSUPPORTED;
    if (peer == NULL)
        return UIPSEC_E_PARAM;
    ERR_set_mark();
    pkey = checked_peer(g, peer, peer_len, &rc);
    EVP_PKEY_free(pkey);
    ERR_pop_to_mark();
    return rc;
}

int ike_dh_derive(struct ike_dh *dh, const uint8_t *peer, size_t peer_len)
{
    EVP_PKEY *pkey;
    int rc;

    OPENSSL_cleanse(dh->secret, sizeof dh->secret);
    dh->secret_len = 0;
    if (peer == NULL)
        return UIPSEC_E_PARAM;
    ERR_set_mark();
    pkey = checked_peer(dh->g, peer, peer_len, &rc);
    if (pkey != NULL)
        rc = derive_secret(dh, pkey);
    EVP_PKEY_free(pkey);
    ERR_pop_to_mark();
    if (rc != UIPSEC_OK) {
        OPENSSL_cleanse(dh->secret, sizeof dh->secret);
        return rc;
    }
    dh->secret_len = dh->g->len;
    return UIPSEC_OK;
}
