/* SPDX-License-Identifier: MIT */
/* strongSwan algorithm keywords to engine suites, and each suite's sizes. */
#include "suite.h"

#include <string.h>

struct enc_word {
    const char *word;
    enum uipsec_enc enc;
    uint8_t key_len;
};

static const struct enc_word enc_words[] = {
    {"null", UIPSEC_ENC_NULL, 0},
    {"aes128", UIPSEC_ENC_AES_CBC, 16},
    {"aes256", UIPSEC_ENC_AES_CBC, 32},
    {"aes128gcm16", UIPSEC_ENC_AES_GCM16, 16},
    {"aes128gcm128", UIPSEC_ENC_AES_GCM16, 16},
    {"aes256gcm16", UIPSEC_ENC_AES_GCM16, 32},
    {"aes256gcm128", UIPSEC_ENC_AES_GCM16, 32},
    {"chacha20poly1305", UIPSEC_ENC_CHACHA20_POLY1305, 32},
    {"aes128gmac", UIPSEC_ENC_AES_GMAC, 16},
    {"aes256gmac", UIPSEC_ENC_AES_GMAC, 32},
};

struct integ_word {
    const char *word;
    enum uipsec_integ integ;
};

static const struct integ_word integ_words[] = {
    {"sha256", UIPSEC_INTEG_HMAC_SHA256_128}, {"sha2_256", UIPSEC_INTEG_HMAC_SHA256_128},
    {"sha384", UIPSEC_INTEG_HMAC_SHA384_192}, {"sha2_384", UIPSEC_INTEG_HMAC_SHA384_192},
    {"sha512", UIPSEC_INTEG_HMAC_SHA512_256}, {"sha2_512", UIPSEC_INTEG_HMAC_SHA512_256},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct enc_word *find_enc(const char *w, size_t n)
{
    for (size_t i = 0; i < COUNT(enc_words); i++)
        if (strlen(enc_words[i].word) == n && memcmp(enc_words[i].word, w, n) == 0)
            return &enc_words[i];
    return NULL;
}

static const struct integ_word *find_integ(const char *w, size_t n)
{
    for (size_t i = 0; i < COUNT(integ_words); i++)
        if (strlen(integ_words[i].word) == n && memcmp(integ_words[i].word, w, n) == 0)
            return &integ_words[i];
    return NULL;
}

/* Applies one dash-separated token; returns false if it is not one we know
 * or does not fit what came before. */
static bool apply_token(const char *w, size_t n, enum uipsec_proto proto, bool *have_enc,
                        struct uipsec_sa_params *p)
{
    const struct enc_word *e = find_enc(w, n);
    const struct integ_word *i = find_integ(w, n);

    if (n == 3 && memcmp(w, "esn", 3) == 0)
        return p->esn = true;
    if (n == 5 && memcmp(w, "noesn", 5) == 0)
        return !(p->esn = false);
    if (e && proto == UIPSEC_PROTO_ESP && !*have_enc) {
        p->enc = e->enc;
        p->enc_key_len = e->key_len;
        *have_enc = true;
        return true;
    }
    if (i && p->integ == UIPSEC_INTEG_NONE && (proto == UIPSEC_PROTO_AH || *have_enc)) {
        p->integ = i->integ;
        return true;
    }
    return false;
}

UIPSEC_API int uipsec_suite_parse(const char *keyword, enum uipsec_proto proto,
                                  struct uipsec_sa_params *p)
{
    bool have_enc = false;

    p->enc = UIPSEC_ENC_NULL;
    p->enc_key_len = 0;
    p->integ = UIPSEC_INTEG_NONE;
    while (keyword && *keyword) {
        size_t n = strcspn(keyword, "-");

        if (!apply_token(keyword, n, proto, &have_enc, p))
            return UIPSEC_E_UNSUPPORTED;
        keyword += n + (keyword[n] == '-');
    }
    if (suite_check(p) != UIPSEC_OK)
        return UIPSEC_E_UNSUPPORTED;
    return UIPSEC_OK;
}

bool suite_is_aead(enum uipsec_enc enc)
{
    return enc == UIPSEC_ENC_AES_GCM16 || enc == UIPSEC_ENC_CHACHA20_POLY1305 ||
           enc == UIPSEC_ENC_AES_GMAC;
}

size_t suite_integ_key_len(enum uipsec_integ integ)
{
    static const uint8_t len[] = {0, 32, 48, 64};
    return len[integ];
}

size_t suite_integ_icv_len(enum uipsec_integ integ)
{
    static const uint8_t len[] = {0, 16, 24, 32};
    return len[integ];
}

UIPSEC_API void uipsec_suite_key_sizes(const struct uipsec_sa_params *p, size_t *enc_key,
                                       size_t *salt, size_t *auth_key)
{
    bool esp = p->proto == UIPSEC_PROTO_ESP;

    *enc_key = esp ? p->enc_key_len : 0;
    *salt = esp && suite_is_aead(p->enc) ? UIPSEC_SALT_LEN : 0;
    *auth_key = suite_integ_key_len(p->integ);
}

/* Only combinations that both protect integrity and are defined by an RFC:
 * no ESP without integrity, no AEAD with an extra HMAC. */
int suite_check(const struct uipsec_sa_params *p)
{
    if ((unsigned)p->integ > UIPSEC_INTEG_HMAC_SHA512_256)
        return UIPSEC_E_PARAM;
    if (p->proto == UIPSEC_PROTO_AH)
        return p->integ != UIPSEC_INTEG_NONE ? UIPSEC_OK : UIPSEC_E_PARAM;
    if (p->proto != UIPSEC_PROTO_ESP)
        return UIPSEC_E_PARAM;
    switch (p->enc) {
    case UIPSEC_ENC_NULL:
        return p->integ != UIPSEC_INTEG_NONE && p->enc_key_len == 0 ? UIPSEC_OK : UIPSEC_E_PARAM;
    case UIPSEC_ENC_AES_CBC:
        return p->integ != UIPSEC_INTEG_NONE && (p->enc_key_len == 16 || p->enc_key_len == 32)
                   ? UIPSEC_OK
                   : UIPSEC_E_PARAM;
    case UIPSEC_ENC_AES_GCM16:
    case UIPSEC_ENC_AES_GMAC:
        return p->integ == UIPSEC_INTEG_NONE && (p->enc_key_len == 16 || p->enc_key_len == 32)
                   ? UIPSEC_OK
                   : UIPSEC_E_PARAM;
    case UIPSEC_ENC_CHACHA20_POLY1305:
        return p->integ == UIPSEC_INTEG_NONE && p->enc_key_len == 32 ? UIPSEC_OK : UIPSEC_E_PARAM;
    }
    return UIPSEC_E_PARAM;
}
