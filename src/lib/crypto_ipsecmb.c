/* SPDX-License-Identifier: MIT */
/*
 * The intel-ipsec-mb backend of the crypto seam.  AES-GCM, GMAC and
 * ChaCha20-Poly1305 use the library's direct API on keys expanded once in
 * init; AES-CBC and HMAC-SHA-2 exist only in its job API.  There the engine
 * hands over a burst, one job per packet of a batch: all are submitted, so
 * the multi-buffer code runs one per lane side by side, and one flush at the
 * end drains the rest.  The single-packet calls submit one job and drain it.
 *
 * Managers.  The job API queues jobs inside an IMB_MGR, so two threads must
 * never submit to the same one at once.  One SA is used by one thread at a
 * time while different SAs run concurrently, so a manager per thread is as
 * safe as one per SA, and it costs ~200 KB per thread instead of per SA (of
 * which there may be thousands).  Each call drains its own job, so a thread
 * may interleave SAs freely.  A thread's manager is made on its first job (or
 * in init, so NOMEM shows at SA creation in the common case) and freed when
 * the thread exits.  The direct API only reads function pointers from its
 * manager, so one process-wide manager, made once, serves it and key setup.
 *
 * Errors.  The direct API reports through one process-wide imb_errno that
 * every call resets, so it cannot be read reliably while other threads run;
 * its only failures are NULL pointers and bad lengths, which are excluded
 * here before the calls.  Jobs carry their own status, which is checked.
 */
#define NO_COMPAT_IMB_API_053 /* keep short names like CBC out of our namespace */
#include <intel-ipsec-mb.h>

#include "crypto.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#define AEAD_TAG_LEN  16
#define CHACHA_KEY    32
#define AES_ROUND_KEY (15 * 16) /* AES-256: 14 rounds + 1 */
#define HMAC_BLOCK    128       /* SHA-384/512 block, the largest */
#define HMAC_STATE    64        /* SHA-2 chaining state, the largest */
#define MAX_DIGEST    64

#define MB_MAX_HASH_LEN 65534 /* longest message a job may hash */

struct mb_state {
    _Alignas(64) union {
        struct gcm_key_data gcm; /* AES-GCM and GMAC: round keys and GHASH key powers */
        struct {
            _Alignas(16) uint8_t enc[AES_ROUND_KEY];
            _Alignas(16) uint8_t dec[AES_ROUND_KEY];
        } cbc;
        _Alignas(16) uint8_t chacha[CHACHA_KEY];
    } key;
    /* HMAC: hash state after one block of key ^ 0x36 and of key ^ 0x5c. */
    _Alignas(16) uint8_t ipad[HMAC_STATE];
    _Alignas(16) uint8_t opad[HMAC_STATE];
    void *evp_hmac; /* OpenSSL HMAC for messages the job API refuses */
    union {
        struct gcm_context_data gcm;
        _Alignas(16) struct chacha20_poly1305_context_data chacha;
    } ctx;           /* per-packet scratch of the direct API */
    IMB_MGR *direct; /* the process-wide manager: direct API function table */
    enum uipsec_enc enc;
    enum uipsec_integ integ;
    size_t key_len;
    size_t icv_len;
};

struct mb_hash {
    IMB_HASH_ALG alg;
    const char *name; /* for OpenSSL */
    size_t block;     /* HMAC block size B (RFC 2104) */
    size_t digest;    /* full output length */
};

static pthread_once_t mgr_once = PTHREAD_ONCE_INIT;
static pthread_key_t mgr_key; /* frees a thread's job manager at its exit */
static bool mgr_key_ok;
static IMB_MGR *mgr_direct;
static _Thread_local IMB_MGR *mgr_local;

static IMB_MGR *mgr_new(void)
{
    IMB_MGR *m = alloc_mb_mgr(0);

    if (m == NULL)
        return NULL;
    init_mb_mgr_auto(m, NULL); /* the best code path this CPU supports */
    /* A library built with self-tests refuses to be used when they failed. */
    if (imb_get_errno(m) != 0 ||
        ((m->features & IMB_FEATURE_SELF_TEST) && !(m->features & IMB_FEATURE_SELF_TEST_PASS))) {
        free_mb_mgr(m);
        return NULL;
    }
    return m;
}

static void mgr_thread_exit(void *m)
{
    mgr_local = NULL;
    free_mb_mgr(m);
}

static void mgr_setup(void)
{
    mgr_key_ok = pthread_key_create(&mgr_key, mgr_thread_exit) == 0;
    mgr_direct = mgr_new();
}

static IMB_MGR *direct_mgr(void)
{
    pthread_once(&mgr_once, mgr_setup);
    return mgr_key_ok ? mgr_direct : NULL;
}

/* This thread's job manager; only called once direct_mgr() succeeded. */
static IMB_MGR *job_mgr(void)
{
    IMB_MGR *m = mgr_local;

    if (m != NULL)
        return m;
    m = mgr_new();
    if (m == NULL)
        return NULL;
    if (pthread_setspecific(mgr_key, m) != 0) {
        free_mb_mgr(m);
        return NULL;
    }
    mgr_local = m;
    return m;
}

static const struct mb_hash *hash_of(enum uipsec_integ integ)
{
    static const struct mb_hash sha256 = {IMB_AUTH_HMAC_SHA_256, "SHA256", 64, 32};
    static const struct mb_hash sha384 = {IMB_AUTH_HMAC_SHA_384, "SHA384", 128, 48};
    static const struct mb_hash sha512 = {IMB_AUTH_HMAC_SHA_512, "SHA512", 128, 64};

    switch (integ) {
    case UIPSEC_INTEG_HMAC_SHA256_128:
        return &sha256;
    case UIPSEC_INTEG_HMAC_SHA384_192:
        return &sha384;
    case UIPSEC_INTEG_HMAC_SHA512_256:
        return &sha512;
    default:
        return NULL;
    }
}

static bool is_aead(enum uipsec_enc enc)
{
    return enc == UIPSEC_ENC_AES_GCM16 || enc == UIPSEC_ENC_AES_GMAC ||
           enc == UIPSEC_ENC_CHACHA20_POLY1305;
}

static bool key_len_ok(enum uipsec_enc enc, size_t len)
{
    switch (enc) {
    case UIPSEC_ENC_NULL:
        return true;
    case UIPSEC_ENC_AES_CBC:
    case UIPSEC_ENC_AES_GCM16:
    case UIPSEC_ENC_AES_GMAC:
        return len == 16 || len == 32;
    case UIPSEC_ENC_CHACHA20_POLY1305:
        return len == CHACHA_KEY;
    default:
        return false;
    }
}

/* The suites this backend runs: AEAD alone with a 16-byte tag; CBC or NULL
 * with or without HMAC, truncated to at most the digest length. */
static int check_keys(const struct uipsec_crypto_keys *k)
{
    const struct mb_hash *h = hash_of(k->integ);

    if (!key_len_ok(k->enc, k->enc_key_len))
        return UIPSEC_E_UNSUPPORTED;
    if (is_aead(k->enc))
        return k->integ == UIPSEC_INTEG_NONE && k->icv_len == AEAD_TAG_LEN ? UIPSEC_OK
                                                                           : UIPSEC_E_UNSUPPORTED;
    if (k->integ == UIPSEC_INTEG_NONE)
        return UIPSEC_OK;
    if (h == NULL || k->icv_len == 0 || k->icv_len > h->digest)
        return UIPSEC_E_UNSUPPORTED;
    return UIPSEC_OK;
}

static void expand_cipher_key(struct mb_state *s, const struct uipsec_crypto_keys *k)
{
    IMB_MGR *m = s->direct;

    switch (k->enc) {
    case UIPSEC_ENC_AES_GCM16:
    case UIPSEC_ENC_AES_GMAC:
        if (k->enc_key_len == 16)
            IMB_AES128_GCM_PRE(m, k->enc_key, &s->key.gcm);
        else
            IMB_AES256_GCM_PRE(m, k->enc_key, &s->key.gcm);
        break;
    case UIPSEC_ENC_AES_CBC:
        if (k->enc_key_len == 16)
            IMB_AES_KEYEXP_128(m, k->enc_key, s->key.cbc.enc, s->key.cbc.dec);
        else
            IMB_AES_KEYEXP_256(m, k->enc_key, s->key.cbc.enc, s->key.cbc.dec);
        break;
    case UIPSEC_ENC_CHACHA20_POLY1305:
        memcpy(s->key.chacha, k->enc_key, CHACHA_KEY);
        break;
    default:
        break;
    }
}

/* SHA-2 of a key longer than the block (RFC 2104 section 2). */
static void hash_long_key(IMB_MGR *m, enum uipsec_integ integ, const uint8_t *key, size_t len,
                          uint8_t *out)
{
    if (integ == UIPSEC_INTEG_HMAC_SHA256_128)
        IMB_SHA256(m, key, len, out);
    else if (integ == UIPSEC_INTEG_HMAC_SHA384_192)
        IMB_SHA384(m, key, len, out);
    else
        IMB_SHA512(m, key, len, out);
}

/* One SHA-2 compression from the initial state, without padding: the form
 * the job API takes for the precomputed HMAC pads. */
static void hash_one_block(IMB_MGR *m, enum uipsec_integ integ, const uint8_t *block,
                           uint8_t *state)
{
    if (integ == UIPSEC_INTEG_HMAC_SHA256_128)
        IMB_SHA256_ONE_BLOCK(m, block, state);
    else if (integ == UIPSEC_INTEG_HMAC_SHA384_192)
        IMB_SHA384_ONE_BLOCK(m, block, state);
    else
        IMB_SHA512_ONE_BLOCK(m, block, state);
}

static void hmac_pads(struct mb_state *s, const struct uipsec_crypto_keys *k)
{
    const struct mb_hash *h = hash_of(k->integ);
    uint8_t key[HMAC_BLOCK] = {0}, block[HMAC_BLOCK];

    if (k->auth_key_len > h->block)
        hash_long_key(s->direct, k->integ, k->auth_key, k->auth_key_len, key);
    else if (k->auth_key_len > 0)
        memcpy(key, k->auth_key, k->auth_key_len);
    for (size_t i = 0; i < h->block; i++)
        block[i] = key[i] ^ 0x36;
    hash_one_block(s->direct, k->integ, block, s->ipad);
    for (size_t i = 0; i < h->block; i++)
        block[i] = key[i] ^ 0x5c;
    hash_one_block(s->direct, k->integ, block, s->opad);
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(block, sizeof block);
}

static void mb_free(void *state)
{
    struct mb_state *s = state;

    if (s == NULL)
        return;
    uipsec_crypto_openssl.free(s->evp_hmac);
    OPENSSL_cleanse(s, sizeof *s);
    free(s);
}

/* The job API refuses empty messages and messages over 65534 bytes (AH
 * authenticates whole IP packets, up to 65535 bytes plus the ESN half).
 * Those go to an OpenSSL HMAC keyed here, so the seam behaves the same on
 * both backends for every length. */
static int hmac_fallback(struct mb_state *s, const struct uipsec_crypto_keys *k)
{
    struct uipsec_crypto_keys integ_only = *k;

    integ_only.enc = UIPSEC_ENC_NULL;
    integ_only.enc_key = NULL;
    integ_only.enc_key_len = 0;
    return uipsec_crypto_openssl.init(&s->evp_hmac, &integ_only);
}

static int mb_init(void **state, const struct uipsec_crypto_keys *keys)
{
    IMB_MGR *direct = direct_mgr();
    struct mb_state *s;
    int rc = check_keys(keys);

    *state = NULL;
    if (rc != UIPSEC_OK)
        return rc;
    if (direct == NULL)
        return UIPSEC_E_UNSUPPORTED; /* the library cannot run here */
    if ((keys->enc == UIPSEC_ENC_AES_CBC || keys->integ != UIPSEC_INTEG_NONE) && job_mgr() == NULL)
        return UIPSEC_E_NOMEM;
    s = aligned_alloc(_Alignof(struct mb_state), sizeof *s);
    if (s == NULL)
        return UIPSEC_E_NOMEM;
    memset(s, 0, sizeof *s);
    s->direct = direct;
    s->enc = keys->enc;
    s->integ = keys->integ;
    s->key_len = keys->enc_key_len;
    s->icv_len = keys->icv_len;
    expand_cipher_key(s, keys);
    if (keys->integ != UIPSEC_INTEG_NONE) {
        hmac_pads(s, keys);
        rc = hmac_fallback(s, keys);
    }
    if (rc != UIPSEC_OK) {
        mb_free(s);
        return rc;
    }
    *state = s;
    return UIPSEC_OK;
}

/* The per-packet contexts live in the SA's state (one thread uses an SA at a
 * time) and are wiped when the SA is: wiping them per packet cost 10% of a
 * small packet's time and protected nothing the next packet does not
 * overwrite. */
static void gcm_run(struct mb_state *s, bool open, const uint8_t *nonce, const uint8_t *aad,
                    size_t aad_len, uint8_t *data, size_t len, uint8_t *tag)
{
    IMB_MGR *m = s->direct;
    struct gcm_context_data *ctx = &s->ctx.gcm;

    if (s->key_len == 16 && !open)
        IMB_AES128_GCM_ENC(m, &s->key.gcm, ctx, data, data, len, nonce, aad, aad_len, tag,
                           AEAD_TAG_LEN);
    else if (s->key_len == 16)
        IMB_AES128_GCM_DEC(m, &s->key.gcm, ctx, data, data, len, nonce, aad, aad_len, tag,
                           AEAD_TAG_LEN);
    else if (!open)
        IMB_AES256_GCM_ENC(m, &s->key.gcm, ctx, data, data, len, nonce, aad, aad_len, tag,
                           AEAD_TAG_LEN);
    else
        IMB_AES256_GCM_DEC(m, &s->key.gcm, ctx, data, data, len, nonce, aad, aad_len, tag,
                           AEAD_TAG_LEN);
}

static void chacha_run(struct mb_state *s, bool open, const uint8_t *nonce, const uint8_t *aad,
                       size_t aad_len, uint8_t *data, size_t len, uint8_t *tag)
{
    IMB_MGR *m = s->direct;
    struct chacha20_poly1305_context_data *ctx = &s->ctx.chacha;

    IMB_CHACHA20_POLY1305_INIT(m, s->key.chacha, ctx, nonce, aad, aad_len);
    if (open)
        IMB_CHACHA20_POLY1305_DEC_UPDATE(m, s->key.chacha, ctx, data, data, len);
    else
        IMB_CHACHA20_POLY1305_ENC_UPDATE(m, s->key.chacha, ctx, data, data, len);
    IMB_CHACHA20_POLY1305_ENC_FINALIZE(m, ctx, tag, AEAD_TAG_LEN);
}

/* Encrypts or decrypts in place and writes the computed tag. */
static bool aead_run(struct mb_state *s, bool open, const uint8_t *nonce, const uint8_t *aad,
                     size_t aad_len, uint8_t *data, size_t len, uint8_t *tag)
{
    if (!is_aead(s->enc) || (s->enc == UIPSEC_ENC_AES_GMAC && len != 0))
        return false; /* GMAC (RFC 4543) authenticates only */
    if (s->enc == UIPSEC_ENC_CHACHA20_POLY1305)
        chacha_run(s, open, nonce, aad, aad_len, data, len, tag);
    else
        gcm_run(s, open, nonce, aad, aad_len, data, len, tag);
    return true;
}

static bool mb_aead_seal(void *state, const uint8_t nonce[UIPSEC_AEAD_NONCE_LEN],
                         const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len,
                         uint8_t *tag)
{
    return aead_run(state, false, nonce, aad, aad_len, data, len, tag);
}

/* The library decrypts and computes the tag in one pass; the tag is then
 * compared in constant time and a forged packet's plaintext wiped. */
static bool mb_aead_open(void *state, const uint8_t nonce[UIPSEC_AEAD_NONCE_LEN],
                         const uint8_t *aad, size_t aad_len, uint8_t *data, size_t len,
                         const uint8_t *tag)
{
    uint8_t computed[AEAD_TAG_LEN];

    if (!aead_run(state, true, nonce, aad, aad_len, data, len, computed))
        return false;
    if (CRYPTO_memcmp(computed, tag, AEAD_TAG_LEN) == 0)
        return true;
    if (len > 0)
        OPENSSL_cleanse(data, len);
    return false;
}

/* Submits the job just filled in and flushes until it is back, which leaves
 * the thread's manager empty for its next caller. */
static bool run_job(IMB_MGR *m)
{
    IMB_JOB *job = IMB_SUBMIT_JOB(m);

    if (job == NULL)
        job = IMB_FLUSH_JOB(m);
    assert(IMB_QUEUE_SIZE(m) == 0);
    return job != NULL && job->status == IMB_STATUS_COMPLETED;
}

static bool cbc_run(const struct mb_state *s, IMB_CIPHER_DIRECTION dir,
                    const uint8_t iv[UIPSEC_CBC_IV_LEN], uint8_t *data, size_t len)
{
    IMB_MGR *m;
    IMB_JOB *job;

    if (s->enc != UIPSEC_ENC_AES_CBC || len % IMB_AES_BLOCK_SIZE != 0)
        return false;
    if (len == 0)
        return true; /* the job API rejects empty cipher jobs */
    m = job_mgr();
    if (m == NULL)
        return false;
    job = IMB_GET_NEXT_JOB(m);
    job->cipher_mode = IMB_CIPHER_CBC;
    job->cipher_direction = dir;
    job->chain_order = dir == IMB_DIR_ENCRYPT ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
    job->hash_alg = IMB_AUTH_NULL;
    job->key_len_in_bytes = s->key_len;
    job->enc_keys = s->key.cbc.enc;
    job->dec_keys = s->key.cbc.dec;
    job->iv = iv;
    job->iv_len_in_bytes = UIPSEC_CBC_IV_LEN;
    job->src = data;
    job->dst = data;
    job->cipher_start_src_offset_in_bytes = 0;
    job->msg_len_to_cipher_in_bytes = len;
    return run_job(m);
}

static bool mb_cbc_encrypt(void *state, const uint8_t iv[UIPSEC_CBC_IV_LEN], uint8_t *data,
                           size_t len)
{
    return cbc_run(state, IMB_DIR_ENCRYPT, iv, data, len);
}

static bool mb_cbc_decrypt(void *state, const uint8_t iv[UIPSEC_CBC_IV_LEN], uint8_t *data,
                           size_t len)
{
    return cbc_run(state, IMB_DIR_DECRYPT, iv, data, len);
}

/* The job API writes only half or full digests, so the full one is made and
 * truncated here to any icv_len. */
static bool mb_hmac(void *state, const uint8_t *data, size_t len, uint8_t *icv)
{
    const struct mb_state *s = state;
    const struct mb_hash *h = hash_of(s->integ);
    uint8_t md[MAX_DIGEST];
    IMB_MGR *m;
    IMB_JOB *job;

    if (h == NULL)
        return false;
    if (len == 0 || len > MB_MAX_HASH_LEN)
        return uipsec_crypto_openssl.hmac(s->evp_hmac, data, len, icv);
    m = job_mgr();
    if (m == NULL)
        return false;
    job = IMB_GET_NEXT_JOB(m);
    job->cipher_mode = IMB_CIPHER_NULL;
    job->cipher_direction = IMB_DIR_ENCRYPT;
    job->chain_order = IMB_ORDER_HASH_CIPHER;
    job->msg_len_to_cipher_in_bytes = 0;
    job->hash_alg = h->alg;
    job->src = data;
    job->hash_start_src_offset_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = len;
    job->auth_tag_output = md;
    job->auth_tag_output_len_in_bytes = h->digest;
    job->u.HMAC._hashed_auth_key_xor_ipad = s->ipad;
    job->u.HMAC._hashed_auth_key_xor_opad = s->opad;
    if (!run_job(m))
        return false;
    memcpy(icv, md, s->icv_len);
    return true;
}

/* How a burst's job runs: not at all, in the burst, alone (what the job API
 * refuses: empty jobs and messages over 65534 bytes), or not (the SA has no
 * such cipher or MAC, or the length is not whole blocks). */
enum mb_route { MB_NOTHING, MB_BURST, MB_ALONE, MB_BAD };

static enum mb_route route_of(const struct mb_state *s, const struct uipsec_crypto_job *j)
{
    if (j->iv == NULL && j->auth == NULL)
        return MB_NOTHING;
    if ((j->iv != NULL && (s->enc != UIPSEC_ENC_AES_CBC || j->len % IMB_AES_BLOCK_SIZE != 0)) ||
        (j->auth != NULL && hash_of(s->integ) == NULL))
        return MB_BAD;
    if ((j->iv != NULL && j->len == 0) ||
        (j->auth != NULL && (j->auth_len == 0 || j->auth_len > MB_MAX_HASH_LEN)))
        return MB_ALONE;
    return MB_BURST;
}

/* One job as the single-packet calls build theirs: CBC then HMAC to
 * encrypt, CBC alone to decrypt, HMAC alone; the full digest goes to mac. */
static void fill_job(const struct mb_state *s, bool decrypt, struct uipsec_crypto_job *j,
                     IMB_JOB *job)
{
    const struct mb_hash *h = hash_of(s->integ);
    bool cbc = j->iv != NULL, mac = j->auth != NULL;

    job->cipher_mode = cbc ? IMB_CIPHER_CBC : IMB_CIPHER_NULL;
    job->cipher_direction = cbc && decrypt ? IMB_DIR_DECRYPT : IMB_DIR_ENCRYPT;
    job->chain_order = cbc && !decrypt ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
    job->key_len_in_bytes = s->key_len;
    job->enc_keys = s->key.cbc.enc;
    job->dec_keys = s->key.cbc.dec;
    job->iv = j->iv;
    job->iv_len_in_bytes = cbc ? UIPSEC_CBC_IV_LEN : 0;
    job->src = mac ? j->auth : j->data; /* offsets below count from here */
    job->dst = j->data;
    job->cipher_start_src_offset_in_bytes = cbc ? (uint64_t)(j->data - job->src) : 0;
    job->msg_len_to_cipher_in_bytes = cbc ? j->len : 0;
    job->hash_alg = mac ? h->alg : IMB_AUTH_NULL;
    job->hash_start_src_offset_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = mac ? j->auth_len : 0;
    job->auth_tag_output = j->mac;
    job->auth_tag_output_len_in_bytes = mac ? h->digest : 0;
    job->u.HMAC._hashed_auth_key_xor_ipad = s->ipad;
    job->u.HMAC._hashed_auth_key_xor_opad = s->opad;
    job->user_data = j;
}

/* Completed jobs come back in the manager's order, not the burst's. */
static void collect(IMB_JOB *job)
{
    if (job != NULL)
        ((struct uipsec_crypto_job *)job->user_data)->ok = job->status == IMB_STATUS_COMPLETED;
}

/* The jobs that cannot go in the burst run first, while the manager is
 * still empty (the single-packet calls drain it); the burst ends with the
 * manager empty again, ready for the next SA on this thread. */
static void mb_burst(void *state, bool decrypt, struct uipsec_crypto_job *jobs, size_t n)
{
    size_t queued = 0;
    IMB_MGR *m;
    IMB_JOB *job;

    assert(n <= UIPSEC_BURST_MAX);
    for (size_t i = 0; i < n; i++) {
        enum mb_route r = route_of(state, &jobs[i]);

        queued += r == MB_BURST;
        jobs[i].ok = r == MB_NOTHING ||
                     (r == MB_ALONE &&
                      uipsec_crypto_job_one(uipsec_crypto_ipsecmb, state, decrypt, &jobs[i]));
    }
    if (queued == 0 || (m = job_mgr()) == NULL)
        return; /* not even a flush: it costs as much as a small job */
    for (size_t i = 0; i < n; i++) {
        if (route_of(state, &jobs[i]) != MB_BURST)
            continue;
        fill_job(state, decrypt, &jobs[i], IMB_GET_NEXT_JOB(m));
        collect(IMB_SUBMIT_JOB(m));
    }
    while ((job = IMB_FLUSH_JOB(m)) != NULL)
        collect(job);
    assert(IMB_QUEUE_SIZE(m) == 0);
}

static const struct uipsec_crypto_ops ops = {
    .name = "ipsec-mb",
    .init = mb_init,
    .free = mb_free,
    .aead_seal = mb_aead_seal,
    .aead_open = mb_aead_open,
    .cbc_encrypt = mb_cbc_encrypt,
    .cbc_decrypt = mb_cbc_decrypt,
    .hmac = mb_hmac,
    .burst = mb_burst,
};

const struct uipsec_crypto_ops *const uipsec_crypto_ipsecmb = &ops;
