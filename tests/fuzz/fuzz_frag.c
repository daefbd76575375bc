/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for IKE fragment reassembly (RFC 7383,
 * src/ike/ikesa_frag.c): sequences of SKF fragments sealed with the real
 * keys of an established pair (what an authenticated peer can send), with
 * any numbers, totals, message IDs, sizes and contents, some tampered.
 * Each run sets up two in-process peers through IKE_AUTH (a fixed RNG),
 * then reads records from the input:
 *   byte 0   bit 0: to the initiator or the responder; bit 1: a response;
 *            bits 2-3: message ID expected, one back, one ahead, 0x7fffffff;
 *            bit 4: one ciphertext byte flipped; bit 5: 31 s pass first;
 *            bit 6: exchange INFORMATIONAL, else CREATE_CHILD_SA
 *   byte 1   Fragment Number, byte 2 Total Fragments (0 and > 64 too)
 *   byte 3   the first inner payload type
 *   byte 4   n: the fragment's plaintext is the next 8 * n bytes (or less)
 * Checked: nothing crashes or leaks (the sanitizers), a tampered fragment
 * or one with more than 64 fragments is always dropped, and what a peer
 * answers is fed to the other side.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_pair.h"
#include "ike_msg.h"
#include "ikesa.h"
#include "sk.h"

/* Through IKE_AUTH in one piece, then fragments of 200 bytes: the
 * answers fragment too (the last datagram only is kept, so they are
 * carried by retransmitting: simpler, IKE_AUTH with a PSK is 2 pieces). */
static int establish(struct fuzz_peer *i, struct fuzz_peer *r)
{
    if (fuzz_peer_setup(i, true, "aes256gcm16") || fuzz_peer_setup(r, false, "aes256gcm16"))
        return -1;
    i->cfg.fragment_size = r->cfg.fragment_size = 60000;
    if (fuzz_pair_establish(i, r) < 0)
        return -1;
    i->cfg.fragment_size = r->cfg.fragment_size = 200;
    return 0;
}

/* One record: an SKF from `from` sealed into buf; its length or 0. */
static size_t seal(struct ike_sa *from, const uint8_t *rec, const uint8_t *pt, size_t pt_len,
                   uint8_t *buf, size_t cap)
{
    static const uint32_t back[4] = {0, 1, UINT32_MAX, 0};
    static struct ike_msg m;
    bool response = rec[0] & 2;
    uint32_t id = response ? from->msg_id_expect : from->msg_id_send;
    size_t sk_off, plain, len = 0;

    memset(&m, 0, sizeof m);
    memcpy(m.hdr.spi_i, from->spi_i, IKE_SPI_LEN);
    memcpy(m.hdr.spi_r, from->spi_r, IKE_SPI_LEN);
    m.hdr.version = IKE_VERSION;
    m.hdr.exchange = rec[0] & 64 ? IKE_EXCH_INFORMATIONAL : IKE_EXCH_CREATE_CHILD_SA;
    m.hdr.flags = (uint8_t)((from->role == IKE_ROLE_INITIATOR ? IKE_FLAG_I : 0) |
                            (response ? IKE_FLAG_R : 0));
    m.hdr.msg_id = ((rec[0] >> 2) & 3) == 3 ? 0x7fffffffu : id - back[(rec[0] >> 2) & 3];
    m.npayloads = 1;
    m.payloads[0] = (struct ike_payload){
        .type = IKE_PL_SKF,
        .u.sk = {.first_inner = rec[3], .frag_num = rec[1], .frag_total = rec[2]}};
    if (ike_encode_sk_prefix(&m, buf, cap, &sk_off) != IKE_ENC_OK)
        return 0;
    plain = ike_sk_plain_offset(from->sk_out, sk_off, IKE_SKF_PAYLOAD_HEADER_LEN);
    if (plain + pt_len + 64 > cap)
        return 0;
    memcpy(buf + plain, pt, pt_len);
    if (ike_sk_seal(from->sk_out, buf, cap, sk_off, IKE_SKF_PAYLOAD_HEADER_LEN, pt_len, &len) !=
        UIPSEC_OK)
        return 0;
    if (rec[0] & 16)
        buf[len - 1] ^= 0x80; /* in the ICV */
    return len;
}

static void one(struct fuzz_peer *i, struct fuzz_peer *r, const uint8_t *rec, const uint8_t *pt,
                size_t pt_len)
{
    static uint8_t buf[IKE_MSG_MAX];
    struct fuzz_peer *to = rec[0] & 1 ? r : i, *from = to == i ? r : i;
    size_t len = seal(from->sa, rec, pt, pt_len, buf, sizeof buf);
    enum ike_rx rx;

    if (!len || to->sa->state == IKE_SA_FAILED || to->sa->state == IKE_SA_DELETED)
        return;
    if (rec[0] & 32) {
        i->now += 31000;
        r->now += 31000;
        ike_sa_tick(to->sa);
    }
    to->sent_len = 0;
    rx = ike_sa_receive(to->sa, buf, len, NULL);
    if (rx != IKE_RX_DROPPED && ((rec[0] & 16) || rec[2] > IKE_FRAG_MAX))
        abort(); /* a forged fragment or too many of them was taken */
    if (to->sent_len && from->sa->state != IKE_SA_FAILED)
        (void)ike_sa_receive(from->sa, to->sent, to->sent_len, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fuzz_peer i, r;
    size_t at = 0;

    if (establish(&i, &r) < 0)
        abort(); /* the set-up itself must work */
    while (size - at >= 5) {
        const uint8_t *rec = data + at;
        size_t n = (size_t)rec[4] * 8;

        at += 5;
        if (n > size - at)
            n = size - at;
        one(&i, &r, rec, data + at, n);
        at += n;
    }
    for (int t = 0; t < 4; t++) {
        i.now += 20000;
        r.now += 20000;
        ike_sa_tick(i.sa);
        ike_sa_tick(r.sa);
    }
    ike_sa_free(i.sa);
    ike_sa_free(r.sa);
    return 0;
}
