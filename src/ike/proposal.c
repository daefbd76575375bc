/* SPDX-License-Identifier: MIT */
/* IKEv2 proposals: strongSwan strings, selection (RFC 7296 2.7), SA payloads. */
#include "proposal.h"

#include <stdio.h>
#include <string.h>

struct keyword {
    const char *word;
    uint8_t type;
    uint16_t id, bits;
};

static const struct keyword keywords[] = {
    {"aes128", IKE_TRANSFORM_ENCR, IKE_ENCR_AES_CBC, 128},
    {"aes192", IKE_TRANSFORM_ENCR, IKE_ENCR_AES_CBC, 192},
    {"aes256", IKE_TRANSFORM_ENCR, IKE_ENCR_AES_CBC, 256},
    {"aes128gcm16", IKE_TRANSFORM_ENCR, IKE_ENCR_AES_GCM_16, 128},
    {"aes192gcm16", IKE_TRANSFORM_ENCR, IKE_ENCR_AES_GCM_16, 192},
    {"aes256gcm16", IKE_TRANSFORM_ENCR, IKE_ENCR_AES_GCM_16, 256},
    {"aes128gcm128", IKE_TRANSFORM_ENCR, IKE_ENCR_AES_GCM_16, 128},
    {"aes192gcm128", IKE_TRANSFORM_ENCR, IKE_ENCR_AES_GCM_16, 192},
    {"aes256gcm128", IKE_TRANSFORM_ENCR, IKE_ENCR_AES_GCM_16, 256},
    {"chacha20poly1305", IKE_TRANSFORM_ENCR, IKE_ENCR_CHACHA20_POLY1305, 0},
    {"prfsha1", IKE_TRANSFORM_PRF, IKE_PRF_HMAC_SHA1, 0},
    {"prfsha256", IKE_TRANSFORM_PRF, IKE_PRF_HMAC_SHA2_256, 0},
    {"prfsha384", IKE_TRANSFORM_PRF, IKE_PRF_HMAC_SHA2_384, 0},
    {"prfsha512", IKE_TRANSFORM_PRF, IKE_PRF_HMAC_SHA2_512, 0},
    {"sha1", IKE_TRANSFORM_INTEG, IKE_INTEG_HMAC_SHA1_96, 0},
    {"sha256", IKE_TRANSFORM_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0},
    {"sha384", IKE_TRANSFORM_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0},
    {"sha512", IKE_TRANSFORM_INTEG, IKE_INTEG_HMAC_SHA2_512_256, 0},
    {"modp2048", IKE_TRANSFORM_DH, IKE_DH_MODP_2048, 0},
    {"modp3072", IKE_TRANSFORM_DH, IKE_DH_MODP_3072, 0},
    {"modp4096", IKE_TRANSFORM_DH, IKE_DH_MODP_4096, 0},
    {"ecp256", IKE_TRANSFORM_DH, IKE_DH_ECP_256, 0},
    {"ecp384", IKE_TRANSFORM_DH, IKE_DH_ECP_384, 0},
    {"ecp521", IKE_TRANSFORM_DH, IKE_DH_ECP_521, 0},
    {"x25519", IKE_TRANSFORM_DH, IKE_DH_CURVE25519, 0},
    {"curve25519", IKE_TRANSFORM_DH, IKE_DH_CURVE25519, 0},
    {"x448", IKE_TRANSFORM_DH, IKE_DH_CURVE448, 0},
    {"curve448", IKE_TRANSFORM_DH, IKE_DH_CURVE448, 0},
    {"esn", IKE_TRANSFORM_ESN, IKE_ESN_YES, 0},
    {"noesn", IKE_TRANSFORM_ESN, IKE_ESN_NO, 0},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool is_aead(uint16_t encr)
{
    return encr == IKE_ENCR_AES_GCM_16 || encr == IKE_ENCR_CHACHA20_POLY1305;
}

static const struct keyword *find_word(const char *w, size_t n)
{
    for (size_t i = 0; i < COUNT(keywords); i++)
        if (strlen(keywords[i].word) == n && memcmp(keywords[i].word, w, n) == 0)
            return &keywords[i];
    return NULL;
}

static bool has_alg(const struct ike_prop *p, uint8_t type, struct ike_alg a)
{
    for (size_t i = 0; i < p->n[type]; i++)
        if (p->alg[type][i].id == a.id && p->alg[type][i].bits == a.bits)
            return true;
    return false;
}

static bool add_alg(struct ike_prop *p, uint8_t type, struct ike_alg a)
{
    if (has_alg(p, type, a))
        return true;
    if (p->n[type] == IKE_PROP_MAX_ALGS)
        return false;
    p->alg[type][p->n[type]++] = a;
    return true;
}

static int fail(char *err, size_t err_len, const char *what, const char *s, size_t n)
{
    if (err && err_len)
        snprintf(err, err_len, "%s '%.*s'", what, (int)n, s);
    return UIPSEC_E_PARAM;
}

/* strongSwan's implied PRF: the HMAC of each integrity algorithm. */
static void imply_prf(struct ike_prop *p)
{
    static const uint16_t map[][2] = {{IKE_INTEG_HMAC_SHA1_96, IKE_PRF_HMAC_SHA1},
                                      {IKE_INTEG_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256},
                                      {IKE_INTEG_HMAC_SHA2_384_192, IKE_PRF_HMAC_SHA2_384},
                                      {IKE_INTEG_HMAC_SHA2_512_256, IKE_PRF_HMAC_SHA2_512}};

    for (size_t i = 0; i < p->n[IKE_TRANSFORM_INTEG]; i++)
        for (size_t j = 0; j < COUNT(map); j++)
            if (p->alg[IKE_TRANSFORM_INTEG][i].id == map[j][0])
                (void)add_alg(p, IKE_TRANSFORM_PRF, (struct ike_alg){map[j][1], 0});
}

/* Why p cannot be a proposal of its protocol, or NULL. */
static const char *check_prop(struct ike_prop *p)
{
    size_t aead = 0, ne = p->n[IKE_TRANSFORM_ENCR];

    for (size_t i = 0; i < ne; i++)
        aead += is_aead(p->alg[IKE_TRANSFORM_ENCR][i].id);
    if (ne == 0)
        return "no encryption algorithm in";
    if (aead != 0 && aead != ne)
        return "AEAD and non-AEAD ciphers mixed in";
    if (aead && p->n[IKE_TRANSFORM_INTEG])
        return "integrity algorithm with AEAD in";
    if (!aead && !p->n[IKE_TRANSFORM_INTEG])
        return "no integrity algorithm in";
    if (p->protocol == IKE_PROTO_ESP) {
        if (p->n[IKE_TRANSFORM_PRF])
            return "PRF in ESP proposal";
        if (!p->n[IKE_TRANSFORM_ESN])
            p->alg[IKE_TRANSFORM_ESN][p->n[IKE_TRANSFORM_ESN]++] = (struct ike_alg){IKE_ESN_NO, 0};
        return NULL;
    }
    if (p->n[IKE_TRANSFORM_ESN])
        return "ESN in IKE proposal";
    if (!p->n[IKE_TRANSFORM_PRF])
        imply_prf(p);
    if (!p->n[IKE_TRANSFORM_PRF])
        return "no PRF in";
    if (!p->n[IKE_TRANSFORM_DH])
        return "no DH group in";
    return NULL;
}

static int parse_one(const char *s, size_t len, uint8_t protocol, struct ike_prop *p, char *err,
                     size_t err_len)
{
    const char *end = s + len, *why;

    memset(p, 0, sizeof *p);
    p->protocol = protocol;
    while (s < end) {
        size_t n = strcspn(s, "-,");
        const struct keyword *k = find_word(s, n);

        if (n > (size_t)(end - s))
            n = (size_t)(end - s);
        if (!k)
            return fail(err, err_len, "unknown algorithm", s, n);
        if (!add_alg(p, k->type, (struct ike_alg){k->id, k->bits}))
            return fail(err, err_len, "too many algorithms at", s, n);
        s += n + (s + n < end);
    }
    why = check_prop(p);
    if (why)
        return fail(err, err_len, why, end - len, len);
    return UIPSEC_OK;
}

int ike_prop_parse(const char *s, uint8_t protocol, struct ike_prop_list *out, char *err,
                   size_t err_len)
{
    memset(out, 0, sizeof *out);
    if (protocol != IKE_PROTO_IKE && protocol != IKE_PROTO_ESP)
        return fail(err, err_len, "bad protocol for", s ? s : "", s ? strlen(s) : 0);
    if (!s || !*s)
        return fail(err, err_len, "empty proposal", "", 0);
    while (*s) {
        size_t n;
        int r;

        s += strspn(s, " \t"); /* "a, b" as strongSwan writes lists */
        n = strcspn(s, ",");
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;

        if (out->n == IKE_PROP_MAX)
            return fail(err, err_len, "too many proposals at", s, n);
        if (n == 0)
            return fail(err, err_len, "empty proposal at", s, strlen(s));
        r = parse_one(s, n, protocol, &out->p[out->n], err, err_len);
        if (r != UIPSEC_OK)
            return r;
        out->n++;
        s += n;
        s += strspn(s, " \t");
        if (*s == ',' && !*(s + 1 + strspn(s + 1, " \t")))
            return fail(err, err_len, "empty proposal at", s, strlen(s));
        s += *s == ',';
    }
    return UIPSEC_OK;
}

struct ike_alg ike_prop_get(const struct ike_prop *p, uint8_t type)
{
    if (type >= IKE_PROP_NTYPES || p->n[type] == 0)
        return (struct ike_alg){0, 0};
    return p->alg[type][0];
}

/* The offered proposal as an ike_prop, dropping transforms that MUST be
 * unacceptable (unknown attributes, 3.3.6), INTEG NONE and DH NONE. */
static void offer_to_prop(const struct ike_proposal *o, struct ike_prop *p)
{
    memset(p, 0, sizeof *p);
    p->protocol = o->protocol;
    for (size_t i = 0; i < o->ntransforms; i++) {
        const struct ike_transform *t = &o->transforms[i];

        if (t->unknown_attr || t->type == 0 || t->type >= IKE_PROP_NTYPES)
            continue;
        if ((t->type == IKE_TRANSFORM_INTEG || t->type == IKE_TRANSFORM_DH) && t->id == 0)
            continue;
        (void)add_alg(p, t->type, (struct ike_alg){t->id, t->key_length});
    }
    if (p->protocol == IKE_PROTO_ESP && p->n[IKE_TRANSFORM_ESN] == 0)
        (void)add_alg(p, IKE_TRANSFORM_ESN, (struct ike_alg){IKE_ESN_NO, 0});
}

/* mine restricted to what offer also has, one algorithm per type. */
static bool match(const struct ike_prop *mine, const struct ike_prop *offer, bool ignore_dh,
                  struct ike_prop *out)
{
    memset(out, 0, sizeof *out);
    out->protocol = mine->protocol;
    for (uint8_t t = 1; t < IKE_PROP_NTYPES; t++) {
        if (ignore_dh && t == IKE_TRANSFORM_DH)
            continue;
        if (mine->n[t] == 0 && offer->n[t] == 0)
            continue;
        for (size_t i = 0; i < mine->n[t] && out->n[t] == 0; i++)
            if (has_alg(offer, t, mine->alg[t][i]))
                out->alg[t][out->n[t]++] = mine->alg[t][i];
        if (out->n[t] == 0)
            return false;
    }
    return true;
}

bool ike_prop_select(const struct ike_prop_list *mine, const struct ike_pl_sa *offer,
                     bool ignore_dh, struct ike_prop *chosen, size_t *offer_idx)
{
    struct ike_prop o;

    for (size_t m = 0; m < mine->n; m++) {
        for (size_t i = 0; i < offer->nproposals; i++) {
            if (offer->proposals[i].protocol != mine->p[m].protocol)
                continue;
            offer_to_prop(&offer->proposals[i], &o);
            if (match(&mine->p[m], &o, ignore_dh, chosen)) {
                *offer_idx = i;
                return true;
            }
        }
    }
    memset(chosen, 0, sizeof *chosen);
    return false;
}

void ike_prop_to_pl(const struct ike_prop *props, size_t n, const uint8_t *spi, uint8_t spi_size,
                    struct ike_prop_wire *w, struct ike_pl_sa *sa)
{
    if (n > IKE_PROP_MAX)
        n = IKE_PROP_MAX;
    memset(w, 0, sizeof *w);
    for (size_t i = 0; i < n; i++) {
        struct ike_proposal *o = &w->props[i];
        uint8_t k = 0;

        o->num = (uint8_t)(i + 1);
        o->protocol = props[i].protocol;
        o->spi_size = spi_size;
        if (spi_size)
            memcpy(o->spi, spi, spi_size);
        for (uint8_t t = 1; t < IKE_PROP_NTYPES; t++)
            for (size_t j = 0; j < props[i].n[t]; j++)
                w->tf[i][k++] = (struct ike_transform){
                    .type = t, .id = props[i].alg[t][j].id, .key_length = props[i].alg[t][j].bits};
        o->ntransforms = k;
        o->transforms = w->tf[i];
    }
    sa->nproposals = n;
    sa->proposals = w->props;
}

bool ike_prop_ike_suite(const struct ike_prop *p, struct ike_sk_suite *sk, enum ike_prf_alg *prf,
                        enum ike_dh_alg *dh)
{
    struct ike_alg e = ike_prop_get(p, IKE_TRANSFORM_ENCR);
    size_t el, il;

    *sk =
        (struct ike_sk_suite){.encr = (enum ike_encr_alg)e.id,
                              .key_bits = e.bits,
                              .integ = (enum ike_integ_alg)ike_prop_get(p, IKE_TRANSFORM_INTEG).id};
    if (sk->encr == IKE_ENCR_ALG_CHACHA20_POLY1305)
        sk->key_bits = 256;
    *prf = (enum ike_prf_alg)ike_prop_get(p, IKE_TRANSFORM_PRF).id;
    *dh = (enum ike_dh_alg)ike_prop_get(p, IKE_TRANSFORM_DH).id;
    return p->protocol == IKE_PROTO_IKE && ike_sk_key_sizes(sk, &el, &il) == UIPSEC_OK &&
           ike_prf_len(*prf) != 0 && ike_dh_ke_len(*dh) != 0;
}

int ike_prop_esp_params(const struct ike_prop *p, struct uipsec_sa_params *params)
{
    struct ike_alg e = ike_prop_get(p, IKE_TRANSFORM_ENCR);
    uint16_t integ = ike_prop_get(p, IKE_TRANSFORM_INTEG).id;

    params->proto = UIPSEC_PROTO_ESP;
    params->esn = ike_prop_get(p, IKE_TRANSFORM_ESN).id == IKE_ESN_YES;
    params->enc_key_len = (uint8_t)(e.bits / 8);
    if (e.id == IKE_ENCR_AES_GCM_16 && (e.bits == 128 || e.bits == 256))
        params->enc = UIPSEC_ENC_AES_GCM16;
    else if (e.id == IKE_ENCR_AES_CBC && (e.bits == 128 || e.bits == 256))
        params->enc = UIPSEC_ENC_AES_CBC;
    else if (e.id == IKE_ENCR_CHACHA20_POLY1305 && e.bits == 0)
        params->enc = UIPSEC_ENC_CHACHA20_POLY1305, params->enc_key_len = 32;
    else
        return UIPSEC_E_UNSUPPORTED;
    if (integ == IKE_INTEG_NONE)
        params->integ = UIPSEC_INTEG_NONE;
    else if (integ == IKE_INTEG_HMAC_SHA2_256_128)
        params->integ = UIPSEC_INTEG_HMAC_SHA256_128;
    else if (integ == IKE_INTEG_HMAC_SHA2_384_192)
        params->integ = UIPSEC_INTEG_HMAC_SHA384_192;
    else if (integ == IKE_INTEG_HMAC_SHA2_512_256)
        params->integ = UIPSEC_INTEG_HMAC_SHA512_256;
    else
        return UIPSEC_E_UNSUPPORTED;
    if ((params->enc == UIPSEC_ENC_AES_CBC) == (params->integ == UIPSEC_INTEG_NONE))
        return UIPSEC_E_UNSUPPORTED;
    return UIPSEC_OK;
}

static const char *word_of(uint8_t type, struct ike_alg a)
{
    for (size_t i = 0; i < COUNT(keywords); i++)
        if (keywords[i].type == type && keywords[i].id == a.id && keywords[i].bits == a.bits)
            return keywords[i].word;
    return "?";
}

size_t ike_prop_format(const struct ike_prop *p, char *buf, size_t len)
{
    size_t out = 0;

    if (len)
        buf[0] = '\0';
    for (uint8_t t = 1; t < IKE_PROP_NTYPES; t++) {
        for (size_t i = 0; i < p->n[t]; i++) {
            int r = snprintf(buf + (out < len ? out : len), out < len ? len - out : 0, "%s%s",
                             out ? "-" : "", word_of(t, p->alg[t][i]));
            out += r > 0 ? (size_t)r : 0;
        }
    }
    return out;
}
