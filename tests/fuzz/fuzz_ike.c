/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the IKEv2 message codec.  Every input is used twice:
 *   - as a datagram, for ike_decode;
 *   - as an SK plaintext: byte 0 is the first payload's type, the rest the
 *     payload chain, for ike_decode_payloads.
 * Whatever decodes must survive the oracle: encode it, decode that, and get
 * the same message back; encode that again and get the same bytes.  A
 * message that ends in SK must also give an SK prefix (ike_encode_sk_prefix)
 * that decodes, with the SK header where the full encoding has it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike_msg.h"

static struct ike_msg m1, m2, m3;
static uint8_t out1[70000], out2[70000];

/* The encoder writes only the Key Length attribute (ike_msg.h), so the
 * flag for other attributes cannot survive a round trip: clear it. */
static void drop_unknown_attrs(struct ike_msg *m)
{
    for (size_t i = 0; i < m->pool.ntransforms; i++)
        m->pool.transforms[i].unknown_attr = false;
}

/* enc was encoded and decoded as dec, whose last payload is SK or SKF. */
static void check_sk_prefix(const struct ike_msg *enc, const struct ike_msg *dec)
{
    const struct ike_payload *last = &dec->payloads[dec->npayloads - 1];
    size_t sk_off = 0, plen;

    if (ike_encode_sk_prefix(enc, out2, sizeof(out2), &sk_off) != IKE_ENC_OK ||
        sk_off != last->offset)
        abort();
    plen = sk_off + IKE_PAYLOAD_HDR_LEN + (last->type == IKE_PL_SKF ? IKE_SKF_HDR_LEN : 0);
    if (ike_decode(out2, plen, &m3) != IKE_DEC_OK || m3.npayloads != dec->npayloads ||
        m3.payloads[m3.npayloads - 1].u.sk.data.len != 0)
        abort();
}

static void datagram(const uint8_t *d, size_t n)
{
    enum ike_decode_result r = ike_decode(d, n, &m1);
    struct ike_hdr h;
    size_t len1, len2;

    /* the header alone (how uipsecd finds the SA) agrees with the whole */
    if (r == IKE_DEC_OK &&
        (ike_decode_header(d, n, &h) != IKE_DEC_OK || memcmp(&h, &m1.hdr, sizeof h) != 0))
        abort();
    if (r != IKE_DEC_OK)
        return;
    drop_unknown_attrs(&m1);
    if (ike_encode(&m1, out1, sizeof(out1), &len1) != IKE_ENC_OK || len1 > n)
        abort(); /* what decoded must encode, and never longer */
    if (ike_decode(out1, len1, &m2) != IKE_DEC_OK || !ike_msg_equal(&m1, &m2))
        abort();
    if (ike_encode(&m2, out2, sizeof(out2), &len2) != IKE_ENC_OK || len2 != len1 ||
        memcmp(out1, out2, len1) != 0)
        abort();
    if (m2.npayloads && (m2.payloads[m2.npayloads - 1].type == IKE_PL_SK ||
                         m2.payloads[m2.npayloads - 1].type == IKE_PL_SKF))
        check_sk_prefix(&m1, &m2);
}

static void plaintext(const uint8_t *d, size_t n)
{
    size_t len1, len2;
    uint8_t first;

    if (n == 0 || ike_decode_payloads(d[0], d + 1, n - 1, &m1) != IKE_DEC_OK)
        return;
    drop_unknown_attrs(&m1);
    if (ike_encode_payloads(m1.payloads, m1.npayloads, out1, sizeof(out1), &len1) != IKE_ENC_OK ||
        len1 > n - 1)
        abort();
    first = m1.npayloads ? m1.payloads[0].type : IKE_PL_NONE;
    if (ike_decode_payloads(first, out1, len1, &m2) != IKE_DEC_OK)
        abort();
    m2.hdr = m1.hdr; /* ike_decode_payloads leaves the header alone */
    if (!ike_msg_equal(&m1, &m2))
        abort();
    if (ike_encode_payloads(m2.payloads, m2.npayloads, out2, sizeof(out2), &len2) != IKE_ENC_OK ||
        len2 != len1 || memcmp(out1, out2, len1) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    datagram(data, size);
    plaintext(data, size);
    return 0;
}
