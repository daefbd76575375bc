/* SPDX-License-Identifier: MIT */
/*
 * The intel-ipsec-mb raw baseline: keys expanded once; AES-GCM, GMAC and
 * ChaCha20-Poly1305 through the direct API, AES-CBC + HMAC and HMAC alone
 * through the job API as one chained job per packet, either submitted and
 * flushed one at a time (as a per-packet caller must) or all in flight at
 * once (a burst, the way the library is meant to be fed).
 */
#define NO_COMPAT_IMB_API_053
#include <intel-ipsec-mb.h>

#include "raw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define AEAD_TAG    16
#define ESP_HDR     8
#define AEAD_IV_LEN 8
#define MAX_DIGEST  64
#define MAX_BLOCK   128

struct mb_raw {
    _Alignas(64) struct gcm_key_data gcm;
    _Alignas(16) uint8_t enc_keys[15 * 16];
    _Alignas(16) uint8_t dec_keys[15 * 16];
    _Alignas(16) uint8_t ipad[MAX_DIGEST];
    _Alignas(16) uint8_t opad[MAX_DIGEST];
    uint8_t chacha[32];
    uint8_t salt[UIPSEC_SALT_LEN];
    IMB_MGR *mgr;
    enum raw_kind kind;
    enum uipsec_enc enc;
    size_t key_len;
    IMB_HASH_ALG hash;
    uint64_t iv; /* AEAD IVs: a counter */
};

static size_t hash_block(enum uipsec_integ integ)
{
    return integ == UIPSEC_INTEG_HMAC_SHA256_128 ? 64 : 128;
}

/* HMAC pads as the job API takes them: the hash state after one block. */
static void mb_pads(struct mb_raw *r, const struct uipsec_sa_params *p)
{
    uint8_t key[MAX_BLOCK] = {0}, block[2][MAX_BLOCK];
    size_t n = hash_block(p->integ);

    memcpy(key, p->auth_key, p->auth_key_len); /* RFC 4868 keys are shorter than a block */
    for (size_t i = 0; i < n; i++) {
        block[0][i] = key[i] ^ 0x36;
        block[1][i] = key[i] ^ 0x5c;
    }
    if (p->integ == UIPSEC_INTEG_HMAC_SHA256_128) {
        r->hash = IMB_AUTH_HMAC_SHA_256;
        IMB_SHA256_ONE_BLOCK(r->mgr, block[0], r->ipad);
        IMB_SHA256_ONE_BLOCK(r->mgr, block[1], r->opad);
    } else if (p->integ == UIPSEC_INTEG_HMAC_SHA384_192) {
        r->hash = IMB_AUTH_HMAC_SHA_384;
        IMB_SHA384_ONE_BLOCK(r->mgr, block[0], r->ipad);
        IMB_SHA384_ONE_BLOCK(r->mgr, block[1], r->opad);
    } else {
        r->hash = IMB_AUTH_HMAC_SHA_512;
        IMB_SHA512_ONE_BLOCK(r->mgr, block[0], r->ipad);
        IMB_SHA512_ONE_BLOCK(r->mgr, block[1], r->opad);
    }
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(block, sizeof block);
}

static void mb_keys(struct mb_raw *r, const struct uipsec_sa_params *p)
{
    bool k128 = p->enc_key_len == 16;

    if (r->kind == RAW_AEAD && p->enc == UIPSEC_ENC_CHACHA20_POLY1305)
        memcpy(r->chacha, p->enc_key, sizeof r->chacha);
    else if ((r->kind == RAW_AEAD || r->kind == RAW_GMAC) && k128)
        IMB_AES128_GCM_PRE(r->mgr, p->enc_key, &r->gcm);
    else if (r->kind == RAW_AEAD || r->kind == RAW_GMAC)
        IMB_AES256_GCM_PRE(r->mgr, p->enc_key, &r->gcm);
    else if (r->kind == RAW_CBC_HMAC && k128)
        IMB_AES_KEYEXP_128(r->mgr, p->enc_key, r->enc_keys, r->dec_keys);
    else if (r->kind == RAW_CBC_HMAC)
        IMB_AES_KEYEXP_256(r->mgr, p->enc_key, r->enc_keys, r->dec_keys);
    if (r->kind == RAW_CBC_HMAC || r->kind == RAW_HMAC)
        mb_pads(r, p);
}

static void mb_free(void *state)
{
    struct mb_raw *r = state;

    if (r == NULL)
        return;
    if (r->mgr != NULL)
        free_mb_mgr(r->mgr);
    OPENSSL_cleanse(r, sizeof *r);
    free(r);
}

static int mb_init(void **state, const struct uipsec_sa_params *p, enum raw_kind kind,
                   unsigned flags)
{
    struct mb_raw *r = aligned_alloc(_Alignof(struct mb_raw), sizeof *r);

    *state = r;
    if (r == NULL)
        return UIPSEC_E_NOMEM;
    memset(r, 0, sizeof *r);
    if ((r->mgr = alloc_mb_mgr(0)) == NULL)
        return UIPSEC_E_NOMEM;
    if ((flags & BENCH_RAW_MB_SSE) && (kind == RAW_CBC_HMAC || kind == RAW_HMAC))
        init_mb_mgr_sse(r->mgr);
    else
        init_mb_mgr_auto(r->mgr, NULL);
    if (imb_get_errno(r->mgr) != 0)
        return UIPSEC_E_UNSUPPORTED;
    r->kind = kind;
    r->enc = p->enc;
    r->key_len = p->enc_key_len;
    memcpy(r->salt, p->salt, sizeof r->salt);
    mb_keys(r, p);
    return UIPSEC_OK;
}

static void mb_gcm(struct mb_raw *r, bool open, const uint8_t *nonce, const uint8_t *aad,
                   size_t aad_len, uint8_t *data, size_t len, uint8_t *tag)
{
    struct gcm_context_data ctx;

    if (r->key_len == 16 && !open)
        IMB_AES128_GCM_ENC(r->mgr, &r->gcm, &ctx, data, data, len, nonce, aad, aad_len, tag,
                           AEAD_TAG);
    else if (r->key_len == 16)
        IMB_AES128_GCM_DEC(r->mgr, &r->gcm, &ctx, data, data, len, nonce, aad, aad_len, tag,
                           AEAD_TAG);
    else if (!open)
        IMB_AES256_GCM_ENC(r->mgr, &r->gcm, &ctx, data, data, len, nonce, aad, aad_len, tag,
                           AEAD_TAG);
    else
        IMB_AES256_GCM_DEC(r->mgr, &r->gcm, &ctx, data, data, len, nonce, aad, aad_len, tag,
                           AEAD_TAG);
}

static void mb_chacha(struct mb_raw *r, bool open, const uint8_t *nonce, const uint8_t *aad,
                      uint8_t *data, size_t len, uint8_t *tag)
{
    _Alignas(16) struct chacha20_poly1305_context_data ctx;

    IMB_CHACHA20_POLY1305_INIT(r->mgr, r->chacha, &ctx, nonce, aad, ESP_HDR);
    if (open) {
        IMB_CHACHA20_POLY1305_DEC_UPDATE(r->mgr, r->chacha, &ctx, data, data, len);
        IMB_CHACHA20_POLY1305_DEC_FINALIZE(r->mgr, &ctx, tag, AEAD_TAG);
    } else {
        IMB_CHACHA20_POLY1305_ENC_UPDATE(r->mgr, r->chacha, &ctx, data, data, len);
        IMB_CHACHA20_POLY1305_ENC_FINALIZE(r->mgr, &ctx, tag, AEAD_TAG);
    }
}

/* AEAD or GMAC on one region; writes the computed tag to tag. */
static void mb_aead(struct mb_raw *r, bool open, uint8_t *region, const struct bench_shape *s,
                    uint8_t *tag)
{
    uint8_t nonce[12];

    raw_nonce(r->salt, region + ESP_HDR, nonce);
    if (r->kind == RAW_GMAC)
        mb_gcm(r, open, nonce, region, s->auth_len, region, 0, tag);
    else if (r->enc == UIPSEC_ENC_CHACHA20_POLY1305)
        mb_chacha(r, open, nonce, region, region + s->hdr, s->padded, tag);
    else
        mb_gcm(r, open, nonce, region, ESP_HDR, region + s->hdr, s->padded, tag);
}

/* One chained job: CBC then HMAC to seal, HMAC then CBC to open, or HMAC
 * alone for ESP-NULL and AH. */
static void mb_fill_job(const struct mb_raw *r, IMB_JOB *job, bool open, uint8_t *region,
                        const struct bench_shape *s, uint8_t *tag)
{
    bool cbc = r->kind == RAW_CBC_HMAC;

    job->cipher_mode = cbc ? IMB_CIPHER_CBC : IMB_CIPHER_NULL;
    job->cipher_direction = open && cbc ? IMB_DIR_DECRYPT : IMB_DIR_ENCRYPT;
    job->chain_order = open || !cbc ? IMB_ORDER_HASH_CIPHER : IMB_ORDER_CIPHER_HASH;
    job->key_len_in_bytes = r->key_len;
    job->enc_keys = r->enc_keys;
    job->dec_keys = r->dec_keys;
    job->iv = region + ESP_HDR;
    job->iv_len_in_bytes = cbc ? 16 : 0;
    job->src = region;
    job->dst = region + s->hdr;
    job->cipher_start_src_offset_in_bytes = s->hdr;
    job->msg_len_to_cipher_in_bytes = cbc ? s->padded : 0;
    job->hash_alg = r->hash;
    job->hash_start_src_offset_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = s->auth_len;
    job->auth_tag_output = tag;
    job->auth_tag_output_len_in_bytes = s->icv_len;
    job->u.HMAC._hashed_auth_key_xor_ipad = r->ipad;
    job->u.HMAC._hashed_auth_key_xor_opad = r->opad;
}

/* One job submitted and flushed: the library's latency for one packet. */
static bool mb_job_sync(struct mb_raw *r, bool open, uint8_t *region, const struct bench_shape *s,
                        uint8_t *tag)
{
    IMB_JOB *job = IMB_GET_NEXT_JOB(r->mgr);

    mb_fill_job(r, job, open, region, s, tag);
    job = IMB_SUBMIT_JOB(r->mgr);
    if (job == NULL)
        job = IMB_FLUSH_JOB(r->mgr);
    return job != NULL && job->status == IMB_STATUS_COMPLETED;
}

static bool mb_seal(void *state, uint8_t *const *regions, const struct bench_shape *s)
{
    struct mb_raw *r = state;
    bool ok = true;

    for (size_t i = 0; i < BENCH_BATCH; i++) {
        uint8_t *region = regions[i];

        if (r->kind == RAW_AEAD || r->kind == RAW_GMAC) {
            memcpy(region + ESP_HDR, &r->iv, AEAD_IV_LEN);
            r->iv++;
            mb_aead(r, false, region, s, region + s->icv_off);
        } else {
            ok &= mb_job_sync(r, false, region, s, region + s->icv_off);
        }
    }
    return ok;
}

/* All jobs of the batch in flight: completed ones come back from submit,
 * the rest from flush. */
static bool mb_seal_burst(void *state, uint8_t *const *regions, const struct bench_shape *s)
{
    struct mb_raw *r = state;
    size_t done = 0;
    IMB_JOB *job;

    for (size_t i = 0; i < BENCH_BATCH; i++) {
        job = IMB_GET_NEXT_JOB(r->mgr);
        mb_fill_job(r, job, false, regions[i], s, regions[i] + s->icv_off);
        job = IMB_SUBMIT_JOB(r->mgr);
        done += job != NULL && job->status == IMB_STATUS_COMPLETED;
    }
    while ((job = IMB_FLUSH_JOB(r->mgr)) != NULL)
        done += job->status == IMB_STATUS_COMPLETED;
    return done == BENCH_BATCH;
}

static bool mb_open_one(struct mb_raw *r, uint8_t *region, const struct bench_shape *s)
{
    uint8_t tag[MAX_DIGEST];

    if (r->kind == RAW_AEAD || r->kind == RAW_GMAC)
        mb_aead(r, true, region, s, tag);
    else if (!mb_job_sync(r, true, region, s, tag))
        return false;
    return CRYPTO_memcmp(tag, region + s->icv_off, s->icv_len) == 0 || s->ah;
}

static bool mb_open(void *state, uint8_t *const *regions, const struct bench_shape *s)
{
    bool ok = true;

    for (size_t i = 0; i < BENCH_BATCH; i++)
        ok &= mb_open_one(state, regions[i], s);
    return ok;
}

static const struct raw_ops ops = {
    .init = mb_init,
    .free = mb_free,
    .seal = mb_seal,
    .seal_burst = mb_seal_burst,
    .open = mb_open,
};

const struct raw_ops *const raw_ipsecmb = &ops;

const char *raw_ipsecmb_info(void)
{
    static const char *const arch_names[] = {"none", "no-AESNI", "SSE", "AVX", "AVX2", "AVX512"};
    static char info[96];
    IMB_MGR *m = alloc_mb_mgr(0);
    IMB_ARCH arch = IMB_ARCH_NONE;

    if (m != NULL) {
        init_mb_mgr_auto(m, &arch);
        free_mb_mgr(m);
    }
    snprintf(info, sizeof info, "intel-ipsec-mb %s, %s code path", imb_get_version_str(),
             (unsigned)arch < IMB_ARCH_NUM ? arch_names[arch] : "unknown");
    return info;
}
