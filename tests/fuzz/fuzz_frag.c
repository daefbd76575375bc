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

#include "ike_msg.h"
#include "ikesa.h"
#include "sk.h"

struct peer {
    struct ike_env env;
    struct ike_cfg cfg;
    struct ike_path path;
    struct ike_sa *sa;
    uint32_t ctr;
    uint8_t sent[IKE_MSG_MAX];
    size_t sent_len;
    uint64_t now;
};

static void rnd(void *arg, uint8_t *buf, size_t len)
{
    struct peer *p = arg;

    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(p->ctr++ * 131u + 7u);
}

static void snd(void *arg, const uint8_t *buf, size_t len)
{
    struct peer *p = arg;

    if (len <= sizeof p->sent) {
        memcpy(p->sent, buf, len);
        p->sent_len = len;
    }
}

static void up(void *arg, const struct ike_child_result *c)
{
    (void)arg;
    (void)c;
}

static void down(void *arg, uint32_t in, uint32_t out)
{
    (void)arg;
    (void)in;
    (void)out;
}

static uint64_t now(void *arg)
{
    return ((struct peer *)arg)->now;
}

static int setup(struct peer *p, bool initiator)
{
    static const uint8_t psk[] = "fuzz";
    struct ike_child_cfg *c = &p->cfg.child[0];

    memset(p, 0, sizeof *p);
    p->env = (struct ike_env){.arg = p,
                              .random = rnd,
                              .send = snd,
                              .child_sa_up = up,
                              .child_sa_down = down,
                              .now_ms = now};
    if (ike_prop_parse("aes256gcm16-prfsha256-x25519", IKE_PROTO_IKE, &p->cfg.ike, NULL, 0) ||
        ike_prop_parse("aes256gcm16", IKE_PROTO_ESP, &c->esp, NULL, 0) ||
        uipsec_selector_parse(&c->ts[0], initiator ? "10.1.0.0/16" : "10.2.0.0/16",
                              initiator ? "10.2.0.0/16" : "10.1.0.0/16", NULL, 0) ||
        ike_id_set(&p->cfg.local_id, IKE_ID_FQDN, initiator ? "a" : "b") ||
        ike_id_set(&p->cfg.remote_id, IKE_ID_FQDN, initiator ? "b" : "a"))
        return -1;
    c->nts = 1;
    p->cfg.nchildren = 1;
    p->cfg.psk = psk;
    p->cfg.psk_len = sizeof psk - 1;
    p->cfg.fragment_size = 200; /* the answers fragment too */
    p->path.local = (struct uipsec_addr){.family = 4, .bytes = {192, 0, 2, initiator ? 1 : 2}};
    p->path.remote = (struct uipsec_addr){.family = 4, .bytes = {192, 0, 2, initiator ? 2 : 1}};
    p->path.local_port = p->path.remote_port = IKE_PORT;
    return 0;
}

/* Through IKE_AUTH, every fragment of each flight delivered (the last
 * datagram only is kept, so with fragment_size 200 the answers are
 * carried by retransmitting: simpler, IKE_AUTH with a PSK is 2 pieces). */
static int establish(struct peer *i, struct peer *r)
{
    if (setup(i, true) || setup(r, false))
        return -1;
    i->cfg.fragment_size = r->cfg.fragment_size = 60000; /* set-up in one piece */
    if (ike_sa_initiate(&i->sa, &i->cfg, &i->env, &i->path, 0) != UIPSEC_OK ||
        ike_sa_respond(&r->sa, &r->cfg, &r->env, &r->path, i->sent, i->sent_len) != IKE_RX_OK ||
        ike_sa_receive(i->sa, r->sent, r->sent_len, NULL) != IKE_RX_OK ||
        ike_sa_receive(r->sa, i->sent, i->sent_len, NULL) != IKE_RX_OK ||
        ike_sa_receive(i->sa, r->sent, r->sent_len, NULL) != IKE_RX_OK)
        return -1;
    i->cfg.fragment_size = r->cfg.fragment_size = 200;
    return i->sa->state == IKE_SA_ESTABLISHED ? 0 : -1;
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

static void one(struct peer *i, struct peer *r, const uint8_t *rec, const uint8_t *pt,
                size_t pt_len)
{
    static uint8_t buf[IKE_MSG_MAX];
    struct peer *to = rec[0] & 1 ? r : i, *from = to == i ? r : i;
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
    static struct peer i, r;
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
