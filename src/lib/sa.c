/* SPDX-License-Identifier: MIT */
/* SA life cycle: parameter checks, key setup, sequence numbers and IVs. */
#include "sa.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "ip.h"
#include "suite.h"
#include "wire.h"

static bool addr_ok(const struct uipsec_addr *a)
{
    return a->family == 4 || a->family == 6;
}

static int check_params(const struct uipsec_sa_params *p)
{
    size_t enc_key, salt, auth_key;

    if (suite_check(p) != UIPSEC_OK)
        return UIPSEC_E_PARAM;
    uipsec_suite_key_sizes(p, &enc_key, &salt, &auth_key);
    if (p->auth_key_len != auth_key)
        return UIPSEC_E_PARAM; /* RFC 4868 2.1.1: key length = hash length */
    if (p->dir != UIPSEC_DIR_OUT && p->dir != UIPSEC_DIR_IN)
        return UIPSEC_E_PARAM;
    if (p->mode != UIPSEC_MODE_TUNNEL && p->mode != UIPSEC_MODE_TRANSPORT)
        return UIPSEC_E_PARAM;
    if (p->mode == UIPSEC_MODE_TUNNEL &&
        (!addr_ok(&p->tunnel_src) || p->tunnel_src.family != p->tunnel_dst.family))
        return UIPSEC_E_PARAM;
    if (p->replay_window > REPLAY_MAX_WINDOW || (p->df > UIPSEC_DF_COPY))
        return UIPSEC_E_PARAM;
    /* ESP in UDP (RFC 3948); over IPv6 with its UDP checksum computed,
     * for a zero one is not allowed there (RFC 8200 8.1). */
    if (p->udp_dport && p->proto != UIPSEC_PROTO_ESP)
        return UIPSEC_E_PARAM;
    if (p->spi < 256)
        return UIPSEC_E_PARAM; /* RFC 4303 2.1: 1-255 reserved, 0 local use */
    if (!p->esn && p->seq > UINT32_MAX)
        return UIPSEC_E_PARAM;
    return UIPSEC_OK;
}

static void set_sizes(struct uipsec_sa *sa)
{
    const struct uipsec_sa_params *p = &sa->p;

    sa->aead = p->enc == UIPSEC_ENC_AES_GCM16 || p->enc == UIPSEC_ENC_CHACHA20_POLY1305;
    sa->gmac = p->enc == UIPSEC_ENC_AES_GMAC;
    sa->iv_len = p->enc == UIPSEC_ENC_AES_CBC ? 16 : p->enc == UIPSEC_ENC_NULL ? 0 : 8;
    sa->block = p->enc == UIPSEC_ENC_AES_CBC ? 16 : 4;
    sa->icv_len = suite_is_aead(p->enc) ? 16 : (uint8_t)suite_integ_icv_len(p->integ);
    sa->has_lifetime = p->lifetime.soft_bytes || p->lifetime.hard_bytes ||
                       p->lifetime.soft_packets || p->lifetime.hard_packets;
    sa->outer_len = p->udp_dport ? UDP_HDR_LEN : 0;
    if (p->mode == UIPSEC_MODE_TUNNEL)
        sa->outer_len += p->tunnel_src.family == 4 ? IPV4_HDR_MIN : IPV6_HDR_LEN;
}

/* The mask that hides sequence numbers in AEAD IVs comes from the key, not
 * from chance: then an IV repeats under a key exactly when a sequence
 * number does, and a caller that never reuses a number across restarts
 * (statically keyed SAs, uipsec_sa_set_seq_limit) never reuses a nonce.  A
 * random mask per SA object would let two runs collide.  The SPI is mixed
 * in too: a key configured by mistake for two SAs (both directions, say)
 * then gives two unrelated masks, not the same nonces at the same
 * sequence numbers. */
static int derive_iv_mask(struct uipsec_sa *sa)
{
    static const char label[] = "uipsec AEAD IV mask";
    uint8_t md[EVP_MAX_MD_SIZE], spi[4];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok;

    put_be32(spi, sa->p.spi);
    ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
         EVP_DigestUpdate(ctx, label, sizeof(label)) == 1 &&
         EVP_DigestUpdate(ctx, sa->p.enc_key, sa->p.enc_key_len) == 1 &&
         EVP_DigestUpdate(ctx, sa->p.salt, sizeof(sa->p.salt)) == 1 &&
         EVP_DigestUpdate(ctx, spi, sizeof(spi)) == 1 && EVP_DigestFinal_ex(ctx, md, NULL) == 1;

    EVP_MD_CTX_free(ctx);
    memcpy(&sa->iv_mask, md, sizeof(sa->iv_mask));
    OPENSSL_cleanse(md, sizeof(md));
    return ok ? UIPSEC_OK : UIPSEC_E_CRYPTO;
}

static int setup_random(struct uipsec_sa *sa)
{
    uint16_t id = 0;

    if (derive_iv_mask(sa) != UIPSEC_OK || RAND_bytes((uint8_t *)&id, sizeof(id)) != 1)
        return UIPSEC_E_CRYPTO;
    sa->lane0.ip_id = sa->p.ip_id ? sa->p.ip_id : id;
    return UIPSEC_OK;
}

UIPSEC_API int uipsec_sa_new(const struct uipsec_sa_params *params, struct uipsec_sa **out)
{
    struct uipsec_sa *sa;
    int rc;

    *out = NULL;
    if ((rc = check_params(params)) != UIPSEC_OK)
        return rc;
    /* aligned: its cache lines are laid out (sa.h) */
    if (!(sa = aligned_alloc(alignof(struct uipsec_sa), sizeof(*sa))))
        return UIPSEC_E_NOMEM;
    memset(sa, 0, sizeof(*sa));
    sa->p = *params;
    if (!sa->p.udp_sport && sa->p.udp_dport)
        sa->p.udp_sport = 4500;
    atomic_init(&sa->seq_out, sa->p.seq ? sa->p.seq - 1 : 0);
    atomic_init(&sa->sent, atomic_load(&sa->seq_out) + 1);
    atomic_init(&sa->seq_limit, UINT64_MAX);
    atomic_flag_clear(&sa->lock);
    set_sizes(sa);
    rc = setup_random(sa);
    ip_outer_sum_init(sa);
    if (rc == UIPSEC_OK && replay_init(&sa->replay, sa->p.replay_window) != 0)
        rc = UIPSEC_E_NOMEM;
    if (rc == UIPSEC_OK)
        rc = lane_init0(sa);
    if (rc != UIPSEC_OK) {
        uipsec_sa_free(sa);
        return rc;
    }
    *out = sa;
    return UIPSEC_OK;
}

UIPSEC_API void uipsec_sa_free(struct uipsec_sa *sa)
{
    if (!sa)
        return;
    lane_free_all(sa);
    replay_free(&sa->replay);
    OPENSSL_cleanse(sa, sizeof(*sa));
    free(sa);
}

UIPSEC_API enum uipsec_backend uipsec_sa_backend(const struct uipsec_sa *sa)
{
    return sa->lane0.crypto.backend;
}

UIPSEC_API void uipsec_sa_layout(const struct uipsec_sa *sa, size_t *iv_len, size_t *icv_len)
{
    *iv_len = sa->p.proto == UIPSEC_PROTO_ESP ? sa->iv_len : 0;
    *icv_len = sa->icv_len;
}

UIPSEC_API size_t uipsec_sa_overhead(const struct uipsec_sa *sa, size_t inner_len)
{
    size_t fixed = sa->outer_len;

    if (sa->p.proto == UIPSEC_PROTO_AH)
        return fixed + AH_FIXED_LEN + sa->icv_len + 4;
    if (sa->p.mode == UIPSEC_MODE_TUNNEL && inner_len < sa->p.tfc_pad)
        fixed += sa->p.tfc_pad - inner_len;
    return fixed + ESP_HDR_LEN + sa->iv_len + (sa->block - 1u) + ESP_TRAILER_LEN + sa->icv_len;
}

UIPSEC_API int uipsec_sa_set_next_iv(struct uipsec_sa *sa, const uint8_t *iv, size_t iv_len)
{
    if (sa->p.dir != UIPSEC_DIR_OUT || sa->p.proto != UIPSEC_PROTO_ESP || iv_len != sa->iv_len ||
        iv_len == 0)
        return UIPSEC_E_PARAM;
    memcpy(sa->lane0.next_iv, iv, iv_len);
    sa->lane0.has_next_iv = true;
    return UIPSEC_OK;
}

UIPSEC_API int uipsec_sa_set_seq_limit(struct uipsec_sa *sa, uint64_t limit)
{
    if (sa->p.dir != UIPSEC_DIR_OUT)
        return UIPSEC_E_PARAM;
    atomic_store(&sa->seq_limit, limit);
    return UIPSEC_OK;
}

UIPSEC_API void uipsec_sa_set_esn_high(struct uipsec_sa *sa, uint32_t high)
{
    /* A top at the window's size below the half's start puts the whole
     * half ahead of the window (RFC 4303 A2.2 case A), none of it seen. */
    uint32_t w = sa->replay.window ? sa->replay.window : 0x80000000u;
    uint64_t top = (uint64_t)high << 32 | (w - 1);

    sa_lock(sa);
    if (sa->p.esn)
        replay_raise_top(&sa->replay, top);
    sa_unlock(sa);
}

/* The lanes' counters, summed: each a moment old if a call is under way. */
UIPSEC_API void uipsec_sa_get_stats(const struct uipsec_sa *sa, struct uipsec_sa_stats *st)
{
    memset(st, 0, sizeof(*st));
    for (const struct sa_lane *l = &sa->lane0; l; l = atomic_load(&l->next)) {
        st->packets += atomic_load_explicit(&l->packets, memory_order_relaxed);
        st->bytes += atomic_load_explicit(&l->bytes, memory_order_relaxed);
        for (size_t i = 0; i < UIPSEC_RESULT_COUNT; i++)
            st->drops[i] += atomic_load_explicit(&l->drops[i], memory_order_relaxed);
    }
    st->soft_expired = atomic_load(&sa->soft_expired);
    st->hard_expired = atomic_load(&sa->hard_expired);
    st->seq = sa->p.dir == UIPSEC_DIR_OUT ? atomic_load(&sa->seq_out) : replay_top(&sa->replay);
    st->replay_window = sa->replay.window;
    st->replay_seen = replay_count_seen(&sa->replay);
}

static int verdict_rc(enum replay_verdict v)
{
    return v == REPLAY_OK ? UIPSEC_OK : v == REPLAY_DUPLICATE ? UIPSEC_E_REPLAY : UIPSEC_E_TOO_OLD;
}

int uipsec_sa_check_seq(struct uipsec_sa *sa, uint32_t seq_lo, uint64_t *seq)
{
    uint64_t high = sa->p.esn ? replay_infer_high(&sa->replay, seq_lo) : 0;

    *seq = high << 32 | seq_lo;
    return verdict_rc(replay_check(&sa->replay, *seq));
}

void uipsec_sa_make_iv(struct uipsec_sa *sa, uint64_t seq, uint8_t *iv)
{
    struct sa_lane *l = sa_lane_now;

    if (l->has_next_iv) {
        memcpy(iv, l->next_iv, sa->iv_len);
        l->has_next_iv = false;
    } else if (sa->iv_len == 8) {
        put_be64(iv, seq ^ sa->iv_mask); /* unique per key: RFC 4106 3.1 */
    } else if (sa->iv_len == 16) {
        /* CBC IVs must be unpredictable (RFC 3602 2.3). */
        if (l->iv_pool_used + 16 > IV_POOL_BYTES) {
            if (RAND_bytes(l->iv_pool, IV_POOL_BYTES) != 1)
                abort(); /* no randomness: never send a guessable IV */
            l->iv_pool_used = 0;
        }
        memcpy(iv, l->iv_pool + l->iv_pool_used, 16);
        l->iv_pool_used += 16;
    }
}

uint64_t uipsec_sa_replay_top(struct uipsec_sa *sa)
{
    return replay_top(&sa->replay);
}

/* Another thread may have taken the same number since the check. */
int uipsec_sa_commit_seq_held(struct uipsec_sa *sa, uint64_t seq)
{
    enum replay_verdict v = replay_check(&sa->replay, seq);

    if (v == REPLAY_OK)
        replay_commit(&sa->replay, seq);
    return verdict_rc(v);
}

int uipsec_sa_commit_seq(struct uipsec_sa *sa, uint64_t seq)
{
    int rc;

    sa_lock(sa);
    rc = uipsec_sa_commit_seq_held(sa, seq);
    sa_unlock(sa);
    return rc;
}

/* A number seen stays seen or falls out of the window: only the reason can
 * change, never to a pass (the packet's crypto never ran). */
int uipsec_sa_seq_reason(struct uipsec_sa *sa, uint64_t seq, int was)
{
    int rc = verdict_rc(replay_check(&sa->replay, seq));

    return rc == UIPSEC_OK ? was : rc;
}
