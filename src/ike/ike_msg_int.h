/* SPDX-License-Identifier: MIT */
/*
 * Internal to the IKEv2 codec (ike_decode.c, ike_payloads.c): small reads
 * through the cursor, and the payload body decoders.  Each body decoder
 * gets a cursor holding exactly the payload's body, at least its fixed part
 * long (ike_decode.c checks that), and must consume it all.
 */
#ifndef UIPSEC_IKE_MSG_INT_H
#define UIPSEC_IKE_MSG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cursor.h"
#include "ike_msg.h"

__attribute__((warn_unused_result)) static inline bool ike_take_u8(struct cursor *c, uint8_t *v)
{
    uint8_t *p;

    if (!cursor_take(c, 1, &p))
        return false;
    *v = *p;
    return true;
}

__attribute__((warn_unused_result)) static inline bool ike_take_be16(struct cursor *c, uint16_t *v)
{
    uint8_t *p;

    if (!cursor_take(c, 2, &p))
        return false;
    *v = get_be16(p);
    return true;
}

__attribute__((warn_unused_result)) static inline bool ike_take_be32(struct cursor *c, uint32_t *v)
{
    uint8_t *p;

    if (!cursor_take(c, 4, &p))
        return false;
    *v = get_be32(p);
    return true;
}

/* Copies n bytes out (n at most the size of dst: the caller's check). */
__attribute__((warn_unused_result)) static inline bool ike_take_copy(struct cursor *c, void *dst,
                                                                     size_t n)
{
    uint8_t *p;

    if (!cursor_take(c, n, &p))
        return false;
    if (n)
        memcpy(dst, p, n);
    return true;
}

/* Skips n bytes (reserved fields). */
__attribute__((warn_unused_result)) static inline bool ike_skip(struct cursor *c, size_t n)
{
    uint8_t *p;

    return cursor_take(c, n, &p);
}

/* A sub-cursor over the next n bytes, which c then moves past. */
__attribute__((warn_unused_result)) static inline bool ike_take_sub(struct cursor *c, size_t n,
                                                                    struct cursor *sub)
{
    uint8_t *p;

    if (!cursor_take(c, n, &p))
        return false;
    *sub = cursor_make(p, n);
    return true;
}

/* Borrows everything left. */
static inline void ike_take_rest(struct cursor *c, struct ike_bytes *b)
{
    uint8_t *p;
    size_t n = c->len;

    b->p = cursor_take(c, n, &p) ? p : NULL;
    b->len = n;
}

/* Payload bodies (ike_payloads.c). */
#define IKE_DEC_FN __attribute__((warn_unused_result)) enum ike_decode_result
IKE_DEC_FN ike_dec_sa(struct ike_msg *m, struct cursor *b, struct ike_pl_sa *sa);
IKE_DEC_FN ike_dec_ke(struct cursor *b, struct ike_pl_ke *ke);
IKE_DEC_FN ike_dec_id(struct cursor *b, struct ike_pl_id *id);
IKE_DEC_FN ike_dec_cert(struct cursor *b, bool is_cert, struct ike_pl_cert *cert);
IKE_DEC_FN ike_dec_auth(struct cursor *b, struct ike_pl_auth *auth);
IKE_DEC_FN ike_dec_nonce(struct cursor *b, struct ike_bytes *nonce);
IKE_DEC_FN ike_dec_notify(struct cursor *b, struct ike_pl_notify *n);
IKE_DEC_FN ike_dec_delete(struct ike_msg *m, struct cursor *b, struct ike_pl_delete *d);
IKE_DEC_FN ike_dec_ts(struct ike_msg *m, struct cursor *b, struct ike_pl_ts *ts);
IKE_DEC_FN ike_dec_sk(struct cursor *b, bool is_skf, struct ike_pl_sk *sk);
IKE_DEC_FN ike_dec_cp(struct ike_msg *m, struct cursor *b, struct ike_pl_cp *cp);
IKE_DEC_FN ike_dec_eap(struct cursor *b, struct ike_bytes *eap);

#endif
