/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the IKE SA state machine behind the SK payload:
 * what an authenticated peer (or one that stole the keys) can send.  Each
 * run sets up two in-process peers through IKE_AUTH (a fixed RNG, so the
 * same keys every time), then for each input:
 *   byte 0   bit 0: to the initiator or the responder; bits 1-2: exchange
 *            (CREATE_CHILD_SA, INFORMATIONAL, IKE_AUTH, IKE_SA_INIT);
 *            bit 3: a response (R flag); bit 4: message ID one back
 *   byte 1   the first inner payload's type
 *   rest     the inner payload chain, sealed with the other peer's keys
 * The receiving SA must neither crash nor leak; what it answers is fed to
 * the other peer, and timers run.  The raw input also goes unsealed to
 * ike_sa_respond_why (a fresh IKE_SA_INIT request: the KE check before any
 * key pair), to ike_sa_receive of the established responder from another
 * address (a repeated request must not be answered there), and, its SPIi
 * made the initiator's, as the IKE_SA_INIT answer to a fresh initiator,
 * which ignores unusable answers until its retransmissions run out.  The
 * seeds init-request and init-response are a real exchange's messages.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_pair.h"
#include "ike_msg.h"
#include "ikesa.h"
#include "sk.h"

static struct ike_sa *successors[8];
static size_t nsucc;

/* A rekeyed IKE SA: kept to be freed after the run. */
static const struct ike_env *rekeyed(void *arg, struct ike_sa *sa)
{
    struct fuzz_peer *p = arg;

    if (nsucc == 8)
        return NULL;
    successors[nsucc++] = sa;
    return &p->env;
}

#define ESP "aes256gcm16, aes128gcm16-x25519"

/* fuzz_pair.c's peer, its rekeyed IKE SAs kept. */
static int setup(struct fuzz_peer *p, bool initiator)
{
    if (fuzz_peer_setup(p, initiator, ESP) < 0)
        return -1;
    p->env.ike_sa_rekeyed = rekeyed;
    return 0;
}

static int establish(struct fuzz_peer *i, struct fuzz_peer *r)
{
    if (setup(i, true) || setup(r, false))
        return -1;
    return fuzz_pair_establish(i, r);
}

/* The other peer's header and keys around the fuzzed plaintext. */
static size_t seal(struct ike_sa *from, const uint8_t *data, size_t size, uint8_t *buf, size_t cap)
{
    static const uint8_t xch[4] = {IKE_EXCH_CREATE_CHILD_SA, IKE_EXCH_INFORMATIONAL,
                                   IKE_EXCH_IKE_AUTH, IKE_EXCH_IKE_SA_INIT};
    static struct ike_msg m;
    size_t sk_off, plain, len = 0;
    bool response = data[0] & 8;

    memset(&m, 0, sizeof m);
    memcpy(m.hdr.spi_i, from->spi_i, IKE_SPI_LEN);
    memcpy(m.hdr.spi_r, from->spi_r, IKE_SPI_LEN);
    m.hdr.version = IKE_VERSION;
    m.hdr.exchange = xch[(data[0] >> 1) & 3];
    m.hdr.flags = (uint8_t)((from->role == IKE_ROLE_INITIATOR ? IKE_FLAG_I : 0) |
                            (response ? IKE_FLAG_R : 0));
    m.hdr.msg_id = (response ? from->msg_id_expect : from->msg_id_send) - ((data[0] >> 4) & 1);
    m.npayloads = 1;
    m.payloads[0] = (struct ike_payload){.type = IKE_PL_SK, .u.sk.first_inner = data[1]};
    if (ike_encode_sk_prefix(&m, buf, cap, &sk_off) != IKE_ENC_OK)
        return 0;
    plain = ike_sk_plain_offset(from->sk_out, sk_off, IKE_SK_PAYLOAD_HEADER_LEN);
    if (plain + size - 2 + 64 > cap)
        return 0;
    memcpy(buf + plain, data + 2, size - 2);
    if (ike_sk_seal(from->sk_out, buf, cap, sk_off, IKE_SK_PAYLOAD_HEADER_LEN, size - 2, &len) !=
        UIPSEC_OK)
        return 0;
    return len;
}

/* The raw input as the IKE_SA_INIT answer to a fresh initiator (SPIi made
 * its own): whatever it says, the SA is still waiting, established with
 * it, or failed only after the retransmissions. */
static void init_answer(const uint8_t *data, size_t size)
{
    static struct fuzz_peer p;
    static uint8_t buf[IKE_MSG_MAX];
    struct ike_sa *sa = NULL;

    if (size < IKE_HDR_LEN || size > sizeof buf || setup(&p, true) ||
        ike_sa_initiate(&sa, &p.cfg, &p.env, &p.path, 0) != UIPSEC_OK)
        return;
    memcpy(buf, data, size);
    memcpy(buf, sa->spi_i, IKE_SPI_LEN);
    if (ike_sa_receive(sa, buf, size, NULL) == IKE_RX_DROPPED && sa->state != IKE_SA_INIT_SENT)
        abort(); /* an ignored answer changes nothing */
    for (int t = 0; t < 8 && sa->state == IKE_SA_INIT_SENT; t++) {
        p.now += 70000;
        ike_sa_tick(sa);
    }
    if (sa->state == IKE_SA_INIT_SENT)
        abort(); /* the retransmissions ran out */
    ike_sa_free(sa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fuzz_peer i, r;
    static uint8_t buf[IKE_MSG_MAX + 256];
    struct ike_sa *fresh = NULL;
    struct fuzz_peer *to, *from;
    size_t len;

    if (establish(&i, &r) < 0)
        abort(); /* the set-up itself must work */
    if (size >= 2 && size < IKE_MSG_MAX) {
        to = data[0] & 1 ? &r : &i;
        from = to == &i ? &r : &i;
        len = seal(from->sa, data, size, buf, sizeof buf);
        to->sent_len = 0;
        if (len)
            (void)ike_sa_receive(to->sa, buf, len, NULL);
        if (to->sent_len) /* its answer or request, to the other side */
            (void)ike_sa_receive(from->sa, to->sent, to->sent_len, NULL);
        for (int t = 0; t < 8; t++) {
            i.now += 5000;
            r.now += 5000;
            ike_sa_tick(i.sa);
            ike_sa_tick(r.sa);
        }
    }
    {
        struct ike_path elsewhere = r.path;
        enum ike_init_drop why;
        enum ike_rx rx;

        elsewhere.remote.bytes[3] ^= 0x40;
        r.sent_len = 0;
        if (ike_sa_receive(r.sa, data, size, &elsewhere) != IKE_RX_FAILED && r.sent_len &&
            r.sa->rx_authentic == false)
            abort(); /* answered to an address no authentic message came from */
        (void)ike_sa_receive(r.sa, data, size, NULL);
        rx = ike_sa_respond_why(&fresh, &r.cfg, &r.env, &r.path, data, size, &why);
        if ((rx == IKE_RX_OK) != (fresh != NULL) ||
            (why != IKE_INIT_DROP_NONE) != (rx == IKE_RX_DROPPED))
            abort();
        ike_sa_free(fresh);
    }
    init_answer(data, size);
    ike_sa_free(i.sa);
    ike_sa_free(r.sa);
    while (nsucc)
        ike_sa_free(successors[--nsucc]);
    return 0;
}
