/* SPDX-License-Identifier: MIT */
/*
 * The IKEv2 message codec (RFC 7296 section 3):
 *   - real messages: RFC 7634 Appendix B's INFORMATIONAL message, and the
 *     IKE_SA_INIT and IKE_AUTH requests of tcpdump's ikev2pI2.pcap, read
 *     from the shared vectors at test time;
 *   - a message with every payload type, built, encoded, decoded, compared
 *     and re-encoded byte for byte;
 *   - every truncation, and a table of malformed messages, each with the
 *     exact error expected; the limits; the encoder's errors.
 * Every decode reads an exact-size heap copy, so ASan sees any overread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "ike_msg.h"
#include "vectors.h"

/* ---- vectors ---- */

/* The vector with this id in ikev2_protected_messages.json; *root is for
 * cJSON_Delete. */
static const cJSON *vector(const char *id, cJSON **root)
{
    const cJSON *v;

    *root = load("ikev2_protected_messages.json");
    cJSON_ArrayForEach(v, *root)
    {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, "id");

        if (cJSON_IsString(s) && strcmp(s->valuestring, id) == 0)
            return v;
    }
    fail_msg("vector %s not found", id);
    return NULL;
}

static uint32_t rd32(const uint8_t *p, bool swap)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;

    return swap ? __builtin_bswap32(v) : v;
}

/* The UDP payload of frame `want` (from 1) of a classic pcap file, either
 * byte order; link types NULL (BSD loopback) and Ethernet, IPv4 only.  A
 * port 4500 payload loses its 4-byte non-ESP marker. */
static struct bytes pcap_udp_payload(const char *file, unsigned want)
{
    struct bytes f = slurp(file), out;
    uint32_t magic, link;
    size_t off = 24;
    bool swap;

    assert_true(f.len >= 24);
    magic = rd32(f.p, false);
    assert_true(magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1);
    swap = magic == 0xd4c3b2a1;
    link = rd32(f.p + 20, swap);
    assert_true(link == 0 || link == 1);
    for (unsigned frame = 1;; frame++) {
        size_t incl, l2 = link == 0 ? 4 : 14, ihl, ulen, skip;
        const uint8_t *ip;

        assert_true(f.len - off >= 16);
        incl = rd32(f.p + off + 8, swap);
        off += 16;
        assert_true(incl <= f.len - off);
        if (frame != want) {
            off += incl;
            continue;
        }
        assert_true(incl >= l2 + 20);
        ip = f.p + off + l2;
        ihl = (size_t)(ip[0] & 15) * 4;
        assert_int_equal(ip[0] >> 4, 4);
        assert_int_equal(ip[9], 17);
        assert_true(incl >= l2 + ihl + 8);
        ulen = (size_t)ip[ihl + 4] << 8 | ip[ihl + 5];
        assert_true(ulen >= 8 && ulen <= incl - l2 - ihl);
        skip = (ip[ihl + 2] << 8 | ip[ihl + 3]) == IKE_NATT_PORT ? 4 : 0;
        assert_true(ulen >= 8 + skip);
        out = bytes_copy(ip + ihl + 8 + skip, ulen - 8 - skip);
        free(f.p);
        return out;
    }
}

static struct ike_msg *msg_new(void)
{
    struct ike_msg *m = calloc(1, sizeof(*m));

    assert_non_null(m);
    return m;
}

static void assert_bytes(struct ike_bytes b, const uint8_t *want, size_t n)
{
    assert_int_equal(b.len, n);
    assert_memory_equal(b.p, want, n);
}

/* Encodes m into exactly n bytes and wants `orig` back; one byte less is
 * NO_ROOM. */
static void assert_reencodes(const struct ike_msg *m, const uint8_t *orig, size_t n)
{
    struct bytes out = {malloc(n), n};
    size_t len = 0;

    assert_non_null(out.p);
    assert_int_equal(ike_encode(m, out.p, n, &len), IKE_ENC_OK);
    assert_int_equal(len, n);
    assert_memory_equal(out.p, orig, n);
    assert_int_equal(ike_encode(m, out.p, n - 1, &len), IKE_ENC_NO_ROOM);
    free(out.p);
}

/* ---- real messages ---- */

static void rfc7634_informational(void **state)
{
    (void)state;
    cJSON *root;
    const cJSON *v = vector("rfc7634-appendixB", &root);
    struct bytes msg = hex(v, "ike_message"), iv = hex(v, "iv");
    struct bytes ct = hex(v, "sk_ciphertext_icv"), pt = hex(v, "sk_plaintext");
    struct bytes body = {malloc(iv.len + ct.len), iv.len + ct.len}, inner;
    static const uint8_t spi_i[] = {0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7};
    static const uint8_t spi_r[] = {0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7};
    static const uint8_t window[] = {0, 0, 0, 10};
    struct ike_msg *m = msg_new();
    const struct ike_pl_notify *n;
    uint8_t out[16];
    size_t len;

    assert_int_equal(ike_decode(msg.p, msg.len, m), IKE_DEC_OK);
    assert_memory_equal(m->hdr.spi_i, spi_i, 8);
    assert_memory_equal(m->hdr.spi_r, spi_r, 8);
    assert_int_equal(m->hdr.next_payload, IKE_PL_SK);
    assert_int_equal(m->hdr.version, IKE_VERSION);
    assert_int_equal(m->hdr.exchange, IKE_EXCH_INFORMATIONAL);
    assert_int_equal(m->hdr.flags, 0);
    assert_int_equal(m->hdr.msg_id, 9);
    assert_int_equal(m->hdr.length, msg.len);
    assert_int_equal(m->npayloads, 1);
    assert_int_equal(m->payloads[0].type, IKE_PL_SK);
    assert_false(m->payloads[0].critical);
    assert_int_equal(m->payloads[0].offset, IKE_HDR_LEN);
    assert_int_equal(m->payloads[0].u.sk.first_inner, IKE_PL_NOTIFY);
    memcpy(body.p, iv.p, iv.len);
    memcpy(body.p + iv.len, ct.p, ct.len);
    assert_bytes(m->payloads[0].u.sk.data, body.p, body.len);
    assert_reencodes(m, msg.p, msg.len);

    /* The plaintext: one N(SET_WINDOW_SIZE 10), then pad length 0. */
    assert_int_equal(pt.p[pt.len - 1], 0);
    inner = bytes_copy(pt.p, pt.len - 1);
    assert_int_equal(ike_decode_payloads(IKE_PL_NOTIFY, inner.p, inner.len, m), IKE_DEC_OK);
    assert_int_equal(m->hdr.msg_id, 9); /* the header is left alone */
    assert_int_equal(m->npayloads, 1);
    n = &m->payloads[0].u.notify;
    assert_int_equal(n->protocol, IKE_PROTO_NONE);
    assert_int_equal(n->spi_size, 0);
    assert_int_equal(n->type, IKE_N_SET_WINDOW_SIZE);
    assert_bytes(n->data, window, sizeof(window));
    assert_int_equal(ike_encode_payloads(m->payloads, 1, out, sizeof(out), &len), IKE_ENC_OK);
    assert_int_equal(len, inner.len);
    assert_memory_equal(out, inner.p, len);

    free(m);
    free(msg.p), free(iv.p), free(ct.p), free(pt.p), free(body.p), free(inner.p);
    cJSON_Delete(root);
}

static void pcap_ike_sa_init(void **state)
{
    (void)state;
    cJSON *root;
    const cJSON *v = vector("tcpdump-ikev2pI2-ike-auth", &root);
    struct bytes msg = pcap_udp_payload("pcaps/tcpdump-ikev2pI2.pcap", 1);
    struct bytes json = hex(v, "ike_sa_init_message");
    struct ike_msg *m = msg_new();
    const struct ike_pl_sa *sa;
    static const uint8_t vid[] = "OErlA\\nQukSR";

    assert_int_equal(msg.len, json.len);
    assert_memory_equal(msg.p, json.p, msg.len);
    assert_int_equal(ike_decode(msg.p, msg.len, m), IKE_DEC_OK);
    assert_int_equal(m->hdr.exchange, IKE_EXCH_IKE_SA_INIT);
    assert_int_equal(m->hdr.flags, IKE_FLAG_I);
    assert_int_equal(m->npayloads, 4);
    assert_int_equal(m->payloads[0].type, IKE_PL_SA);
    assert_true(m->payloads[0].critical); /* set by the sender, ignored by us */
    sa = &m->payloads[0].u.sa;
    assert_int_equal(sa->nproposals, 6);
    for (size_t i = 0; i < sa->nproposals; i++) {
        const struct ike_proposal *p = &sa->proposals[i];

        assert_int_equal(p->num, i + 1);
        assert_int_equal(p->protocol, IKE_PROTO_IKE);
        assert_int_equal(p->spi_size, 0);
        assert_int_equal(p->ntransforms, 4);
        assert_int_equal(p->transforms[0].type, IKE_TRANSFORM_ENCR);
        assert_int_equal(p->transforms[3].type, IKE_TRANSFORM_DH);
    }
    assert_int_equal(sa->proposals[0].transforms[0].id, IKE_ENCR_AES_CBC);
    assert_int_equal(sa->proposals[0].transforms[0].key_length, 0);
    assert_int_equal(sa->proposals[0].transforms[1].type, IKE_TRANSFORM_INTEG);
    assert_int_equal(sa->proposals[0].transforms[1].id, IKE_INTEG_HMAC_SHA1_96);
    assert_int_equal(sa->proposals[0].transforms[2].id, IKE_PRF_HMAC_SHA1);
    assert_int_equal(sa->proposals[0].transforms[3].id, IKE_DH_MODP_1536);
    assert_int_equal(sa->proposals[2].transforms[0].id, IKE_ENCR_3DES);
    assert_int_equal(m->payloads[1].type, IKE_PL_KE);
    assert_int_equal(m->payloads[1].u.ke.group, IKE_DH_MODP_1536);
    assert_int_equal(m->payloads[1].u.ke.data.len, 192);
    assert_int_equal(m->payloads[2].type, IKE_PL_NONCE);
    assert_int_equal(m->payloads[2].u.nonce.len, 16);
    assert_int_equal(m->payloads[3].type, IKE_PL_VENDOR);
    assert_bytes(m->payloads[3].u.vendor, vid, sizeof(vid) - 1);
    assert_reencodes(m, msg.p, msg.len);
    free(m);
    free(msg.p), free(json.p);
    cJSON_Delete(root);
}

static void pcap_ike_auth(void **state)
{
    (void)state;
    cJSON *root;
    const cJSON *v = vector("tcpdump-ikev2pI2-ike-auth", &root);
    struct bytes msg = pcap_udp_payload("pcaps/tcpdump-ikev2pI2.pcap", 2);
    struct bytes json = hex(v, "ike_message"), inner = hex(v, "inner_payloads");
    struct bytes spi_r = hex(v, "spi_r");
    struct ike_msg *m = msg_new();
    static const uint8_t spi_i[] = {0, 1, 2, 3, 4, 5, 6, 7};
    uint8_t out[256];
    size_t len;

    assert_int_equal(msg.len, json.len);
    assert_memory_equal(msg.p, json.p, msg.len);
    assert_int_equal(ike_decode(msg.p, msg.len, m), IKE_DEC_OK);
    assert_memory_equal(m->hdr.spi_i, spi_i, 8);
    assert_memory_equal(m->hdr.spi_r, spi_r.p, 8);
    assert_int_equal(m->hdr.exchange, IKE_EXCH_IKE_AUTH);
    assert_int_equal(m->hdr.flags, IKE_FLAG_I);
    assert_int_equal(m->hdr.msg_id, 0);
    assert_int_equal(m->npayloads, 1);
    assert_int_equal(m->payloads[0].type, IKE_PL_SK);
    assert_true(m->payloads[0].critical);
    assert_int_equal(m->payloads[0].u.sk.first_inner, IKE_PL_IDI);
    /* IV (16) | ciphertext (224) | ICV (12) */
    assert_int_equal(m->payloads[0].u.sk.data.len, msg.len - IKE_HDR_LEN - IKE_PAYLOAD_HDR_LEN);
    assert_int_equal(m->payloads[0].u.sk.data.len, 16 + 224 + 12);
    assert_reencodes(m, msg.p, msg.len);

    /* The decrypted payloads: IDi (FQDN "west"), AUTH (RSA, zero placeholder). */
    assert_int_equal(ike_decode_payloads(IKE_PL_IDI, inner.p, inner.len, m), IKE_DEC_OK);
    assert_int_equal(m->npayloads, 2);
    assert_int_equal(m->payloads[0].u.id.type, IKE_ID_FQDN);
    assert_bytes(m->payloads[0].u.id.data, (const uint8_t *)"west", 4);
    assert_int_equal(m->payloads[1].type, IKE_PL_AUTH);
    assert_int_equal(m->payloads[1].u.auth.method, IKE_AUTH_RSA_SIG);
    assert_int_equal(m->payloads[1].u.auth.data.len, 192);
    assert_int_equal(ike_encode_payloads(m->payloads, 2, out, sizeof(out), &len), IKE_ENC_OK);
    assert_int_equal(len, inner.len);
    assert_memory_equal(out, inner.p, len);
    free(m);
    free(msg.p), free(json.p), free(inner.p), free(spi_r.p);
    cJSON_Delete(root);
}

/* ---- a message with every payload type ---- */

static const uint8_t bytes64[64] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
    0x01, 0x12, 0x23, 0x34, 0x45, 0x56, 0x67, 0x78, 0x89, 0x9a, 0xab, 0xbc, 0xcd, 0xde, 0xef, 0xf0,
    0x02, 0x13, 0x24, 0x35, 0x46, 0x57, 0x68, 0x79, 0x8a, 0x9b, 0xac, 0xbd, 0xce, 0xdf, 0xe0, 0xf1,
    0x03, 0x14, 0x25, 0x36, 0x47, 0x58, 0x69, 0x7a, 0x8b, 0x9c, 0xad, 0xbe, 0xcf, 0xd0, 0xe1, 0xf2};

static const struct ike_transform ike_xf[] = {
    {IKE_TRANSFORM_ENCR, IKE_ENCR_AES_CBC, 256, false},
    {IKE_TRANSFORM_ENCR, IKE_ENCR_AES_GCM_16, 128, false},
    {IKE_TRANSFORM_PRF, IKE_PRF_HMAC_SHA2_256, 0, false},
    {IKE_TRANSFORM_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0, false},
    {IKE_TRANSFORM_DH, IKE_DH_ECP_256, 0, false},
    {IKE_TRANSFORM_DH, IKE_DH_CURVE25519, 0, false},
};
static const struct ike_transform esp_xf[] = {
    {IKE_TRANSFORM_ENCR, IKE_ENCR_CHACHA20_POLY1305, 0, false},
    {IKE_TRANSFORM_ENCR, IKE_ENCR_NULL_AUTH_AES_GMAC, 256, false},
    {IKE_TRANSFORM_ESN, IKE_ESN_YES, 0, false},
    {IKE_TRANSFORM_ESN, IKE_ESN_NO, 0, false},
};
static const struct ike_proposal ike_props[] = {
    {.num = 1, .protocol = IKE_PROTO_IKE, .ntransforms = 6, .transforms = ike_xf},
    {.num = 2,
     .protocol = IKE_PROTO_IKE,
     .spi_size = 8,
     .spi = {1, 2, 3, 4, 5, 6, 7, 8},
     .ntransforms = 3,
     .transforms = ike_xf + 2},
};
static const struct ike_proposal esp_props[] = {
    {.num = 4,
     .protocol = IKE_PROTO_ESP,
     .spi_size = 4,
     .spi = {0xca, 0xfe, 0xf0, 0x0d},
     .ntransforms = 4,
     .transforms = esp_xf},
};
static const struct ike_ts ts_i[] = {
    {IKE_TS_IPV4_ADDR_RANGE, 0, 0, 65535, {10, 0, 0, 0}, {10, 0, 255, 255}},
    {IKE_TS_IPV6_ADDR_RANGE,
     17,
     500,
     4500,
     {0x20, 0x01, 0x0d, 0xb8},
     {0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff}},
};
static const struct ike_ts ts_r[] = {
    {IKE_TS_IPV4_ADDR_RANGE, 17, 65535, 0, {192, 0, 2, 1}, {192, 0, 2, 1}}, /* OPAQUE */
    {IKE_TS_IPV4_ADDR_RANGE, 6, 443, 443, {192, 0, 2, 0}, {192, 0, 2, 255}},
};
static const uint8_t ip6_addr[17] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1, [16] = 64};
static const struct ike_cp_attr cp_attrs[] = {
    {IKE_CP_INTERNAL_IP4_ADDRESS, {NULL, 0}},
    {IKE_CP_INTERNAL_IP4_DNS, {NULL, 0}},
    {IKE_CP_INTERNAL_IP6_ADDRESS, {ip6_addr, sizeof(ip6_addr)}},
    {IKE_CP_APPLICATION_VERSION, {(const uint8_t *)"uipsec", 6}},
};
static const uint32_t del_spis[] = {0xcafef00d, 0x12345678};
static const uint8_t eap_msg[] = {2, 7, 0, 9, 1, 'u', 's', 'e', 'r'};

#define BYTES(p, n) ((struct ike_bytes){(p), (n)})

/* HDR, SA, KE, Ni, N(NAT_D), N(REKEY_SA), N(COOKIE), IDi, IDr, CERT,
 * CERTREQ, AUTH, SA, TSi, TSr, D, D, V, CP, EAP, an unknown payload, SK. */
static void build_every_payload(struct ike_msg *m)
{
    struct ike_payload *p = m->payloads;
    size_t i = 0;

    memset(m, 0, sizeof(*m));
    memcpy(m->hdr.spi_i, bytes64, 8);
    m->hdr.version = IKE_VERSION;
    m->hdr.exchange = IKE_EXCH_IKE_SA_INIT;
    m->hdr.flags = IKE_FLAG_I;
    m->hdr.msg_id = 0x01020304;
    p[i++] = (struct ike_payload){IKE_PL_SA, .u.sa = {2, ike_props}};
    p[i++] = (struct ike_payload){IKE_PL_KE, .u.ke = {IKE_DH_ECP_256, BYTES(bytes64, 64)}};
    p[i++] = (struct ike_payload){IKE_PL_NONCE, .u.nonce = BYTES(bytes64, 32)};
    p[i++] = (struct ike_payload){IKE_PL_NOTIFY,
                                  .u.notify = {.type = IKE_N_NAT_DETECTION_SOURCE_IP,
                                               .data = BYTES(bytes64 + 1, IKE_NAT_DETECTION_LEN)}};
    p[i++] = (struct ike_payload){IKE_PL_NOTIFY,
                                  .u.notify = {IKE_PROTO_ESP, 4, IKE_N_REKEY_SA, {1, 2, 3, 4}}};
    p[i++] = (struct ike_payload){IKE_PL_NOTIFY, .critical = true,
                                  .u.notify = {.type = IKE_N_COOKIE, .data = BYTES(bytes64, 8)}};
    p[i++] = (struct ike_payload){
        IKE_PL_IDI, .u.id = {IKE_ID_FQDN, BYTES((const uint8_t *)"initiator.example", 17)}};
    p[i++] = (struct ike_payload){IKE_PL_IDR, .u.id = {IKE_ID_IPV6_ADDR, BYTES(ip6_addr, 16)}};
    p[i++] = (struct ike_payload){IKE_PL_CERT,
                                  .u.cert = {IKE_CERT_X509_SIGNATURE, BYTES(bytes64 + 3, 10)}};
    p[i++] = (struct ike_payload){IKE_PL_CERTREQ,
                                  .u.cert = {IKE_CERT_X509_SIGNATURE, BYTES(bytes64, 20)}};
    p[i++] = (struct ike_payload){IKE_PL_AUTH, .u.auth = {IKE_AUTH_PSK, BYTES(bytes64, 32)}};
    p[i++] = (struct ike_payload){IKE_PL_SA, .u.sa = {1, esp_props}};
    p[i++] = (struct ike_payload){IKE_PL_TSI, .u.ts = {2, ts_i}};
    p[i++] = (struct ike_payload){IKE_PL_TSR, .u.ts = {2, ts_r}};
    p[i++] = (struct ike_payload){IKE_PL_DELETE, .u.del = {IKE_PROTO_ESP, 2, del_spis}};
    p[i++] = (struct ike_payload){IKE_PL_DELETE, .u.del = {IKE_PROTO_IKE, 0, NULL}};
    p[i++] = (struct ike_payload){IKE_PL_VENDOR, .u.vendor = BYTES(bytes64 + 40, 16)};
    p[i++] = (struct ike_payload){IKE_PL_CP, .u.cp = {IKE_CFG_REQUEST, 4, cp_attrs}};
    p[i++] = (struct ike_payload){IKE_PL_EAP, .u.eap = BYTES(eap_msg, sizeof(eap_msg))};
    p[i++] = (struct ike_payload){200, .skipped = true, .u.raw = BYTES(bytes64, 3)};
    p[i++] = (struct ike_payload){IKE_PL_SK,
                                  .u.sk = {.first_inner = IKE_PL_IDI, .data = BYTES(bytes64, 48)}};
    m->npayloads = i;
}

/* Encodes m into an exact-size heap buffer. */
static struct bytes encode_exact(const struct ike_msg *m)
{
    static uint8_t tmp[8192];
    size_t len = 0;

    assert_int_equal(ike_encode(m, tmp, sizeof(tmp), &len), IKE_ENC_OK);
    return bytes_copy(tmp, len);
}

static void every_payload_roundtrip(void **state)
{
    (void)state;
    struct ike_msg *built = msg_new(), *m = msg_new(), *again = msg_new();
    struct bytes wire;

    build_every_payload(built);
    wire = encode_exact(built);
    assert_int_equal(ike_decode(wire.p, wire.len, m), IKE_DEC_OK);
    assert_true(ike_msg_equal(built, m));
    assert_int_equal(m->hdr.next_payload, IKE_PL_SA);
    assert_int_equal(m->hdr.length, wire.len);
    /* A few fields by hand, beyond the deep comparison. */
    assert_int_equal(m->npayloads, built->npayloads);
    assert_int_equal(m->payloads[0].u.sa.proposals[0].transforms[0].key_length, 256);
    assert_memory_equal(m->payloads[0].u.sa.proposals[1].spi, ike_props[1].spi, 8);
    assert_int_equal(m->payloads[4].u.notify.spi_size, 4);
    assert_true(m->payloads[5].critical);
    assert_int_equal(m->payloads[13].u.ts.ts[0].start_port, 65535);
    assert_int_equal(m->payloads[13].u.ts.ts[0].end_port, 0);
    assert_int_equal(m->payloads[14].u.del.spis[1], 0x12345678);
    assert_int_equal(m->payloads[17].u.cp.attrs[2].value.len, 17);
    assert_true(m->payloads[19].skipped);
    assert_int_equal(m->payloads[19].type, 200);
    assert_int_equal(m->payloads[20].u.sk.first_inner, IKE_PL_IDI);
    assert_int_equal(m->payloads[20].offset, wire.len - 4 - 48);
    /* What was decoded encodes to the same bytes and decodes the same. */
    assert_reencodes(m, wire.p, wire.len);
    assert_int_equal(ike_decode(wire.p, wire.len, again), IKE_DEC_OK);
    assert_true(ike_msg_equal(m, again));
    /* Every shorter buffer is NO_ROOM, never a write past it. */
    for (size_t cap = 0; cap < wire.len; cap++) {
        uint8_t *out = malloc(cap ? cap : 1);
        size_t len;

        assert_int_equal(ike_encode(built, out, cap, &len), IKE_ENC_NO_ROOM);
        free(out);
    }
    free(wire.p);
    free(built), free(m), free(again);
}

/* Truncated datagrams: shorter than a header, or shorter than the Length
 * says.  Then the same with Length patched to match: the payload at the cut
 * has its generic header cut (TRUNCATED) or its body (BAD_LENGTH). */
static void every_truncation(void **state)
{
    (void)state;
    struct ike_msg *built = msg_new(), *m = msg_new();
    struct bytes wire;

    build_every_payload(built);
    wire = encode_exact(built);
    assert_int_equal(ike_decode(wire.p, wire.len, m), IKE_DEC_OK);
    for (size_t k = 0; k < wire.len; k++) {
        struct bytes cut = bytes_copy(wire.p, k);
        enum ike_decode_result want = k < IKE_HDR_LEN ? IKE_DEC_TRUNCATED : IKE_DEC_BAD_LENGTH;
        enum ike_decode_result got = ike_decode(cut.p, cut.len, built);

        if (got != want)
            fail_msg("cut at %zu: %s, want %s", k, ike_decode_result_name(got),
                     ike_decode_result_name(want));
        if (k >= IKE_HDR_LEN) {
            size_t at = 0;

            for (size_t i = 0; i < m->npayloads; i++)
                if (m->payloads[i].offset <= k)
                    at = m->payloads[i].offset;
            want = k - at < IKE_PAYLOAD_HDR_LEN ? IKE_DEC_TRUNCATED : IKE_DEC_BAD_LENGTH;
            uint8_t len[4] = {(uint8_t)(k >> 24), (uint8_t)(k >> 16), (uint8_t)(k >> 8),
                              (uint8_t)k};

            memcpy(cut.p + 24, len, sizeof len); /* the header's Length; k >= 28 */
            got = ike_decode(cut.p, cut.len, built);
            if (got != want)
                fail_msg("cut at %zu, Length patched: %s, want %s", k, ike_decode_result_name(got),
                         ike_decode_result_name(want));
        }
        free(cut.p);
    }
    free(wire.p);
    free(built), free(m);
}

/* ---- malformed messages ---- */

struct bad_case {
    const char *name;
    uint8_t first;   /* the header's Next Payload */
    const char *hex; /* the payload chain */
    int len_delta;   /* added to the header's Length */
    uint8_t version; /* 0: IKE_VERSION */
    enum ike_decode_result want;
    /* On failure err.payload_type (0: not checked).  On success NORMALIZED
     * if re-encoding drops what the decoder ignores (reserved bits, unknown
     * transform attributes); otherwise it must give the same bytes. */
    uint8_t want_type;
};

#define NORMALIZED 0xff

#define X16  "000102030405060708090a0b0c0d0e0f"
#define X64  X16 X16 X16 X16
#define X256 X64 X64 X64 X64
#define VPL  "00000008 01020304"
/* Transform ENCR AES-CBC, Key Length 256: 12 bytes, last. */
#define T_AES "0000000c 0100000c 800e0100"
#define TS4   "07000010 0000ffff c0000200 c00002ff"

#define OK     IKE_DEC_OK
#define TRUNC  IKE_DEC_TRUNCATED
#define BADLEN IKE_DEC_BAD_LENGTH
#define BADPL  IKE_DEC_BAD_PAYLOAD
#define BADORD IKE_DEC_BAD_ORDER
#define BADVER IKE_DEC_BAD_VERSION
#define CRIT   IKE_DEC_UNSUPPORTED_CRITICAL

static const struct bad_case framing_cases[] = {
    {"no payloads", IKE_PL_NONE, "", 0, 0, OK, 0},
    {"header Length +1", IKE_PL_VENDOR, VPL, +1, 0, BADLEN, 0},
    {"header Length -1", IKE_PL_VENDOR, VPL, -1, 0, BADLEN, 0},
    {"major version 1", IKE_PL_VENDOR, VPL, 0, 0x10, BADVER, 0},
    {"major version 3", IKE_PL_VENDOR, VPL, 0, 0x30, BADVER, 0},
    {"minor version 1 ignored", IKE_PL_VENDOR, VPL, 0, 0x21, OK, 0},
    {"payload length 0", IKE_PL_VENDOR, "00000000 01020304", 0, 0, BADLEN, IKE_PL_VENDOR},
    {"payload length 3", IKE_PL_VENDOR, "00000003 01020304", 0, 0, BADLEN, IKE_PL_VENDOR},
    {"payload length +1", IKE_PL_VENDOR, "00000009 01020304", 0, 0, BADLEN, IKE_PL_VENDOR},
    {"payload length -1", IKE_PL_VENDOR, "00000007 01020304", 0, 0, BADLEN, IKE_PL_NONE},
    {"byte after the last payload", IKE_PL_VENDOR, VPL "00", 0, 0, BADLEN, IKE_PL_NONE},
    {"generic header missing", IKE_PL_VENDOR, "", 0, 0, TRUNC, IKE_PL_VENDOR},
    {"generic header cut", IKE_PL_VENDOR, "0000", 0, 0, TRUNC, IKE_PL_VENDOR},
    {"chain names a missing payload", IKE_PL_VENDOR, "2b000008 01020304", 0, 0, TRUNC,
     IKE_PL_VENDOR},
    {"unknown payload skipped", 60, "2b000008 01020304" VPL, 0, 0, OK, 0},
    {"IKEv1 payload type skipped", 1, VPL, 0, 0, OK, 0},
    {"unknown critical payload", 60, "00800008 01020304", 0, 0, CRIT, 60},
    {"unknown critical payload second", IKE_PL_VENDOR, "3c000008 01020304 00800005 ff", 0, 0, CRIT,
     60},
    {"unknown critical payload, bad length", 60, "00800003 01020304", 0, 0, BADLEN, 60},
    {"critical bit of a known payload ignored", IKE_PL_VENDOR, "00800008 01020304", 0, 0, OK, 0},
    {"reserved bits of the generic header ignored", IKE_PL_VENDOR, "007f0008 01020304", 0, 0, OK,
     NORMALIZED},
    {"V empty", IKE_PL_VENDOR, "00000004", 0, 0, OK, 0},
};

static const struct bad_case sa_cases[] = {
    {"one proposal", IKE_PL_SA, "00000018 00000014 01010001" T_AES, 0, 0, OK, 0},
    {"proposals 1, 2", IKE_PL_SA, "0000002c 02000014 01010001" T_AES "00000014 02010001" T_AES, 0,
     0, OK, 0},
    {"proposals 1, 3", IKE_PL_SA, "0000002c 02000014 01010001" T_AES "00000014 03010001" T_AES, 0,
     0, BADPL, IKE_PL_SA},
    {"proposals 2, 3", IKE_PL_SA, "0000002c 02000014 02010001" T_AES "00000014 03010001" T_AES, 0,
     0, BADPL, IKE_PL_SA},
    {"proposals 1, 1", IKE_PL_SA, "0000002c 02000014 01010001" T_AES "00000014 01010001" T_AES, 0,
     0, BADPL, IKE_PL_SA},
    {"answer: one proposal numbered 3", IKE_PL_SA, "00000018 00000014 03010001" T_AES, 0, 0, OK, 0},
    {"proposal number 0", IKE_PL_SA, "00000018 00000014 00010001" T_AES, 0, 0, BADPL, IKE_PL_SA},
    {"last proposal says more", IKE_PL_SA, "00000018 02000014 01010001" T_AES, 0, 0, BADPL,
     IKE_PL_SA},
    {"first proposal says last", IKE_PL_SA,
     "0000002c 00000014 01010001" T_AES "00000014 02010001" T_AES, 0, 0, BADPL, IKE_PL_SA},
    {"proposal Last Substruc 3", IKE_PL_SA, "00000018 03000014 01010001" T_AES, 0, 0, BADPL,
     IKE_PL_SA},
    {"no proposals", IKE_PL_SA, "00000004", 0, 0, BADPL, IKE_PL_SA},
    {"proposal length -1", IKE_PL_SA, "00000018 00000013 01010001" T_AES, 0, 0, BADPL, IKE_PL_SA},
    {"proposal length +1", IKE_PL_SA, "00000018 00000015 01010001" T_AES, 0, 0, BADPL, IKE_PL_SA},
    {"proposal length 7", IKE_PL_SA, "0000000b 00000007 010100", 0, 0, BADPL, IKE_PL_SA},
    {"transform length -1", IKE_PL_SA, "00000018 00000014 01010001 0000000b 0100000c 800e0100", 0,
     0, BADPL, IKE_PL_SA},
    {"transform length +1", IKE_PL_SA, "00000018 00000014 01010001 0000000d 0100000c 800e0100", 0,
     0, BADPL, IKE_PL_SA},
    {"transform length 7", IKE_PL_SA, "00000018 00000014 01010001 00000007 0100000c 800e0100", 0, 0,
     BADPL, IKE_PL_SA},
    {"transform Last Substruc 2", IKE_PL_SA,
     "00000018 00000014 01010001 0200000c 0100000c 800e0100", 0, 0, BADPL, IKE_PL_SA},
    {"last transform says more", IKE_PL_SA, "00000018 00000014 01010001 0300000c 0100000c 800e0100",
     0, 0, BADPL, IKE_PL_SA},
    {"Num Transforms 2, one there", IKE_PL_SA, "00000018 00000014 01010002" T_AES, 0, 0, BADPL,
     IKE_PL_SA},
    {"Num Transforms 0, one there", IKE_PL_SA, "00000018 00000014 01010000" T_AES, 0, 0, BADPL,
     IKE_PL_SA},
    {"proposal without transforms", IKE_PL_SA, "0000000c 00000008 01010000", 0, 0, BADPL,
     IKE_PL_SA},
    {"Key Length in TLV format", IKE_PL_SA,
     "0000001a 00000016 01010001 0000000e 0100000c 000e0002 0100", 0, 0, BADPL, IKE_PL_SA},
    {"Key Length 0", IKE_PL_SA, "00000018 00000014 01010001 0000000c 0100000c 800e0000", 0, 0,
     BADPL, IKE_PL_SA},
    {"Key Length twice", IKE_PL_SA,
     "0000001c 00000018 01010001 00000010 0100000c 800e0100 800e0100", 0, 0, BADPL, IKE_PL_SA},
    {"attribute cut", IKE_PL_SA, "00000016 00000012 01010001 0000000a 0100000c 800e", 0, 0, BADPL,
     IKE_PL_SA},
    {"unknown TV attribute", IKE_PL_SA,
     "0000001c 00000018 01010001 00000010 0100000c 800e0100 80010005", 0, 0, OK, NORMALIZED},
    {"unknown TLV attribute", IKE_PL_SA,
     "0000001e 0000001a 01010001 00000012 0100000c 00010002 abcd 800e0100", 0, 0, OK, NORMALIZED},
    {"TLV attribute past its transform", IKE_PL_SA,
     "0000001a 00000016 01010001 0000000e 0100000c 00010004 abcd", 0, 0, BADPL, IKE_PL_SA},
    {"IKE proposal, 8-byte SPI (rekey)", IKE_PL_SA,
     "00000020 0000001c 01010801 0102030405060708" T_AES, 0, 0, OK, 0},
    {"IKE proposal, 4-byte SPI", IKE_PL_SA, "0000001c 00000018 01010401 aabbccdd" T_AES, 0, 0,
     BADPL, IKE_PL_SA},
    {"ESP proposal, 4-byte SPI", IKE_PL_SA, "0000001c 00000018 01030401 aabbccdd" T_AES, 0, 0, OK,
     0},
    {"ESP proposal, no SPI", IKE_PL_SA, "00000018 00000014 01030001" T_AES, 0, 0, BADPL, IKE_PL_SA},
    {"ESP proposal, 8-byte SPI", IKE_PL_SA, "00000020 0000001c 01030801 0102030405060708" T_AES, 0,
     0, BADPL, IKE_PL_SA},
    {"AH proposal, 4-byte SPI", IKE_PL_SA, "0000001c 00000018 01020401 aabbccdd" T_AES, 0, 0, OK,
     0},
    {"protocol 4", IKE_PL_SA, "00000018 00000014 01040001" T_AES, 0, 0, BADPL, IKE_PL_SA},
    {"SPI past the proposal", IKE_PL_SA, "00000010 0000000a 01030401 aabbccdd", 0, 0, BADPL,
     IKE_PL_SA},
};

static const struct bad_case simple_cases[] = {
    {"KE Curve25519", IKE_PL_KE, "00000028 001f0000" X16 X16, 0, 0, OK, 0},
    {"KE Curve25519, 31 bytes", IKE_PL_KE, "00000027 001f0000" X16 "000102030405060708090a0b0c0d0e",
     0, 0, BADPL, IKE_PL_KE},
    {"KE P-256, 64 bytes", IKE_PL_KE, "00000048 00130000" X64, 0, 0, OK, 0},
    {"KE P-256, 32 bytes", IKE_PL_KE, "00000028 00130000" X16 X16, 0, 0, BADPL, IKE_PL_KE},
    {"KE unknown group, 1 byte", IKE_PL_KE, "00000009 12340000 aa", 0, 0, OK, 0},
    {"KE without data", IKE_PL_KE, "00000008 12340000", 0, 0, BADPL, IKE_PL_KE},
    {"KE shorter than its fixed part", IKE_PL_KE, "00000007 001f00", 0, 0, BADLEN, IKE_PL_KE},
    {"IDi IPv4", IKE_PL_IDI, "0000000c 01000000 c0000201", 0, 0, OK, 0},
    {"IDi IPv4, 5 bytes", IKE_PL_IDI, "0000000d 01000000 c000020101", 0, 0, BADPL, IKE_PL_IDI},
    {"IDr IPv6", IKE_PL_IDR, "00000018 05000000" X16, 0, 0, OK, 0},
    {"IDr IPv6, 15 bytes", IKE_PL_IDR, "00000017 05000000 000102030405060708090a0b0c0d0e", 0, 0,
     BADPL, IKE_PL_IDR},
    {"IDi FQDN empty", IKE_PL_IDI, "00000008 02000000", 0, 0, BADPL, IKE_PL_IDI},
    {"IDi ID_NULL", IKE_PL_IDI, "00000008 0d000000", 0, 0, OK, 0},
    {"IDi ID_NULL with data (ignored)", IKE_PL_IDI, "00000009 0d000000 00", 0, 0, OK, 0},
    {"IDi shorter than its fixed part", IKE_PL_IDI, "00000007 020000", 0, 0, BADLEN, IKE_PL_IDI},
    {"CERT", IKE_PL_CERT, "00000009 04aabbccdd", 0, 0, OK, 0},
    {"CERT empty", IKE_PL_CERT, "00000005 04", 0, 0, BADPL, IKE_PL_CERT},
    {"CERT without encoding", IKE_PL_CERT, "00000004", 0, 0, BADLEN, IKE_PL_CERT},
    {"CERTREQ empty", IKE_PL_CERTREQ, "00000005 04", 0, 0, OK, 0},
    {"AUTH PSK", IKE_PL_AUTH, "0000000c 02000000 aabbccdd", 0, 0, OK, 0},
    {"AUTH empty", IKE_PL_AUTH, "00000008 02000000", 0, 0, BADPL, IKE_PL_AUTH},
    {"Nonce 16", IKE_PL_NONCE, "00000014" X16, 0, 0, OK, 0},
    {"Nonce 15", IKE_PL_NONCE, "00000013 000102030405060708090a0b0c0d0e", 0, 0, BADPL,
     IKE_PL_NONCE},
    {"Nonce 256", IKE_PL_NONCE, "00000104" X256, 0, 0, OK, 0},
    {"Nonce 257", IKE_PL_NONCE, "00000105" X256 "00", 0, 0, BADPL, IKE_PL_NONCE},
    {"N INITIAL_CONTACT", IKE_PL_NOTIFY, "00000008 00004000", 0, 0, OK, 0},
    {"N for the IKE SA", IKE_PL_NOTIFY, "00000008 01004000", 0, 0, OK, 0},
    {"N protocol 4 without SPI (ignored)", IKE_PL_NOTIFY, "00000008 04004000", 0, 0, OK, 0},
    {"N protocol 4 with SPI", IKE_PL_NOTIFY, "0000000c 04044000 aabbccdd", 0, 0, BADPL,
     IKE_PL_NOTIFY},
    {"N no protocol with SPI", IKE_PL_NOTIFY, "0000000c 00044000 aabbccdd", 0, 0, BADPL,
     IKE_PL_NOTIFY},
    {"N IKE, 4-byte SPI", IKE_PL_NOTIFY, "0000000c 01044000 aabbccdd", 0, 0, BADPL, IKE_PL_NOTIFY},
    {"N REKEY_SA, ESP SPI", IKE_PL_NOTIFY, "0000000c 03044009 aabbccdd", 0, 0, OK, 0},
    {"N ESP, 8-byte SPI", IKE_PL_NOTIFY, "00000010 03084009 0102030405060708", 0, 0, BADPL,
     IKE_PL_NOTIFY},
    {"N SPI past the payload", IKE_PL_NOTIFY, "00000009 03044009 aa", 0, 0, BADPL, IKE_PL_NOTIFY},
    {"N NAT_DETECTION_SOURCE_IP", IKE_PL_NOTIFY, "0000001c 00004004" X16 "00010203", 0, 0, OK, 0},
    {"N NAT_DETECTION_DESTINATION_IP, 19 bytes", IKE_PL_NOTIFY, "0000001b 00004005" X16 "000102", 0,
     0, BADPL, IKE_PL_NOTIFY},
    {"N COOKIE empty", IKE_PL_NOTIFY, "00000008 00004006", 0, 0, BADPL, IKE_PL_NOTIFY},
    {"N COOKIE 64", IKE_PL_NOTIFY, "00000048 00004006" X64, 0, 0, OK, 0},
    {"N COOKIE 65", IKE_PL_NOTIFY, "00000049 00004006" X64 "00", 0, 0, BADPL, IKE_PL_NOTIFY},
    {"N INVALID_KE_PAYLOAD", IKE_PL_NOTIFY, "0000000a 00000011 0013", 0, 0, OK, 0},
    {"N INVALID_KE_PAYLOAD, 3 bytes", IKE_PL_NOTIFY, "0000000b 00000011 001300", 0, 0, BADPL,
     IKE_PL_NOTIFY},
    {"N SIGNATURE_HASH_ALGORITHMS", IKE_PL_NOTIFY, "0000000c 0000402f 00020003", 0, 0, OK, 0},
    {"N SIGNATURE_HASH_ALGORITHMS odd", IKE_PL_NOTIFY, "0000000b 0000402f 000200", 0, 0, BADPL,
     IKE_PL_NOTIFY},
    {"N shorter than its fixed part", IKE_PL_NOTIFY, "00000007 000040", 0, 0, BADLEN,
     IKE_PL_NOTIFY},
    {"D IKE SA", IKE_PL_DELETE, "00000008 01000000", 0, 0, OK, 0},
    {"D IKE SA, SPI size 4", IKE_PL_DELETE, "00000008 01040000", 0, 0, BADPL, IKE_PL_DELETE},
    {"D IKE SA, one SPI", IKE_PL_DELETE, "00000008 01000001", 0, 0, BADPL, IKE_PL_DELETE},
    {"D ESP, two SPIs", IKE_PL_DELETE, "00000010 03040002 aabbccdd 11223344", 0, 0, OK, 0},
    {"D ESP, count 2, one SPI", IKE_PL_DELETE, "0000000c 03040002 aabbccdd", 0, 0, BADPL,
     IKE_PL_DELETE},
    {"D ESP, count 1, two SPIs", IKE_PL_DELETE, "00000010 03040001 aabbccdd 11223344", 0, 0, BADPL,
     IKE_PL_DELETE},
    {"D ESP, SPI size 8", IKE_PL_DELETE, "00000010 03080001 0102030405060708", 0, 0, BADPL,
     IKE_PL_DELETE},
    {"D protocol 0", IKE_PL_DELETE, "00000008 00000000", 0, 0, BADPL, IKE_PL_DELETE},
    {"EAP", IKE_PL_EAP, "00000009 0201000501", 0, 0, OK, 0},
    {"EAP Length 6 in 5 bytes", IKE_PL_EAP, "00000009 0201000601", 0, 0, BADPL, IKE_PL_EAP},
    {"EAP 3 bytes", IKE_PL_EAP, "00000007 020100", 0, 0, BADPL, IKE_PL_EAP},
    {"EAP empty", IKE_PL_EAP, "00000004", 0, 0, BADPL, IKE_PL_EAP},
};

static const struct bad_case ts_cp_cases[] = {
    {"TSi IPv4", IKE_PL_TSI, "00000018 01000000" TS4, 0, 0, OK, 0},
    {"TSr IPv6", IKE_PL_TSR,
     "00000030 01000000 08000028 0000ffff 20010db8000000000000000000000000"
     "20010db8ffffffffffffffffffffffff",
     0, 0, OK, 0},
    {"TSi one address", IKE_PL_TSI, "00000018 01000000 07000010 0000ffff c0000201 c0000201", 0, 0,
     OK, 0},
    {"TSi end address before start", IKE_PL_TSI,
     "00000018 01000000 07000010 0000ffff c00002ff c0000200", 0, 0, BADPL, IKE_PL_TSI},
    {"TSr IPv6 end before start", IKE_PL_TSR,
     "00000030 01000000 08000028 0000ffff 20010db8000000000000000000000001"
     "20010db8000000000000000000000000",
     0, 0, BADPL, IKE_PL_TSR},
    {"TSi end port before start", IKE_PL_TSI,
     "00000018 01000000 07000010 0050004f c0000200 c00002ff", 0, 0, BADPL, IKE_PL_TSI},
    {"TSi OPAQUE ports", IKE_PL_TSI, "00000018 01000000 07000010 ffff0000 c0000200 c00002ff", 0, 0,
     OK, 0},
    {"TSi ports 65535..1", IKE_PL_TSI, "00000018 01000000 07000010 ffff0001 c0000200 c00002ff", 0,
     0, BADPL, IKE_PL_TSI},
    {"TSi IPv4 selector length 40", IKE_PL_TSI, "00000030 01000000 07000028 0000ffff" X16 X16, 0, 0,
     BADPL, IKE_PL_TSI},
    {"TSi IPv6 selector length 16", IKE_PL_TSI,
     "00000018 01000000 08000010 0000ffff c0000200 c00002ff", 0, 0, BADPL, IKE_PL_TSI},
    {"TSi selector length 17", IKE_PL_TSI,
     "00000019 01000000 07000011 0000ffff c0000200 c00002ff 00", 0, 0, BADPL, IKE_PL_TSI},
    {"TSi selector length 15", IKE_PL_TSI, "00000017 01000000 0700000f 0000ffff c0000200 c00002", 0,
     0, BADPL, IKE_PL_TSI},
    {"TSi type 9", IKE_PL_TSI, "00000018 01000000 09000010 0000ffff c0000200 c00002ff", 0, 0, BADPL,
     IKE_PL_TSI},
    {"TSi no selectors", IKE_PL_TSI, "00000008 00000000", 0, 0, BADPL, IKE_PL_TSI},
    {"TSi count 2, one selector", IKE_PL_TSI, "00000018 02000000" TS4, 0, 0, BADPL, IKE_PL_TSI},
    {"TSi count 1, two selectors", IKE_PL_TSI, "00000028 01000000" TS4 TS4, 0, 0, BADPL,
     IKE_PL_TSI},
    {"TSr shorter than its fixed part", IKE_PL_TSR, "00000007 010000", 0, 0, BADLEN, IKE_PL_TSR},
    {"CP request", IKE_PL_CP, "00000010 01000000 00010000 00030000", 0, 0, OK, 0},
    {"CP reply", IKE_PL_CP, "00000018 02000000 00010004 c0000264 00030004 c0000201", 0, 0, OK, 0},
    {"CP IPv6 address, 17 bytes", IKE_PL_CP, "0000001d 02000000 00080011" X16 "40", 0, 0, OK, 0},
    {"CP IPv6 address, 16 bytes", IKE_PL_CP, "0000001c 02000000 00080010" X16, 0, 0, BADPL,
     IKE_PL_CP},
    {"CP type 5", IKE_PL_CP, "00000008 05000000", 0, 0, BADPL, IKE_PL_CP},
    {"CP type 0", IKE_PL_CP, "00000008 00000000", 0, 0, BADPL, IKE_PL_CP},
    {"CP IPv4 address, 3 bytes", IKE_PL_CP, "0000000f 02000000 00010003 c00002", 0, 0, BADPL,
     IKE_PL_CP},
    {"CP attribute past the payload", IKE_PL_CP, "0000000c 02000000 00010004", 0, 0, BADPL,
     IKE_PL_CP},
    {"CP attribute header cut", IKE_PL_CP, "0000000a 02000000 0001", 0, 0, BADPL, IKE_PL_CP},
    {"CP reserved bit ignored", IKE_PL_CP, "0000000c 01000000 80010000", 0, 0, OK, NORMALIZED},
    {"CP SUPPORTED_ATTRIBUTES odd", IKE_PL_CP, "0000000f 01000000 000e0003 000100", 0, 0, BADPL,
     IKE_PL_CP},
    {"SK last", IKE_PL_SK, "29000008 aabbccdd", 0, 0, OK, 0},
    {"SK empty", IKE_PL_SK, "29000004", 0, 0, OK, 0},
    {"N then SK", IKE_PL_NOTIFY, "2e000008 00004000 29000008 aabbccdd", 0, 0, OK, 0},
    {"SK not last", IKE_PL_SK, "29000008 aabbccdd" VPL, 0, 0, BADORD, IKE_PL_SK},
    {"SK length -1", IKE_PL_SK, "29000007 aabbccdd", 0, 0, BADORD, IKE_PL_SK},
    {"SK length +1", IKE_PL_SK, "29000009 aabbccdd", 0, 0, BADLEN, IKE_PL_SK},
    {"SKF first fragment", IKE_PL_SKF, "23000010 00010002 aabbccddeeff0011", 0, 0, OK, 0},
    {"SKF second fragment", IKE_PL_SKF, "00000010 00020002 aabbccddeeff0011", 0, 0, OK, 0},
    {"SKF fragment 0", IKE_PL_SKF, "23000010 00000002 aabbccddeeff0011", 0, 0, BADPL, IKE_PL_SKF},
    {"SKF fragment 3 of 2", IKE_PL_SKF, "00000010 00030002 aabbccddeeff0011", 0, 0, BADPL,
     IKE_PL_SKF},
    {"SKF later fragment names a payload", IKE_PL_SKF, "23000010 00020002 aabbccddeeff0011", 0, 0,
     BADPL, IKE_PL_SKF},
    {"SKF then SK", IKE_PL_SKF, "23000010 00010002 aabbccddeeff0011 29000008 aabbccdd", 0, 0,
     BADORD, IKE_PL_SKF},
    {"SKF shorter than its fixed part", IKE_PL_SKF, "23000007 000100", 0, 0, BADLEN, IKE_PL_SKF},
};

static void run_cases(const struct bad_case *cases, size_t n)
{
    struct ike_msg *m = msg_new();

    for (size_t i = 0; i < n; i++) {
        const struct bad_case *c = &cases[i];
        struct bytes pl = bytes_hex(c->hex),
                     msg = {malloc(IKE_HDR_LEN + pl.len), IKE_HDR_LEN + pl.len};
        uint32_t len = (uint32_t)((long)msg.len + c->len_delta);
        enum ike_decode_result got;

        assert_non_null(msg.p);
        memset(msg.p, 0, IKE_HDR_LEN);
        memcpy(msg.p, bytes64, IKE_SPI_LEN);
        msg.p[16] = c->first;
        msg.p[17] = c->version ? c->version : IKE_VERSION;
        msg.p[18] = IKE_EXCH_IKE_SA_INIT;
        msg.p[19] = IKE_FLAG_I;
        msg.p[24] = (uint8_t)(len >> 24), msg.p[25] = (uint8_t)(len >> 16);
        msg.p[26] = (uint8_t)(len >> 8), msg.p[27] = (uint8_t)len;
        if (pl.len)
            memcpy(msg.p + IKE_HDR_LEN, pl.p, pl.len);
        got = ike_decode(msg.p, msg.len, m);
        if (got != c->want)
            fail_msg("%s: %s, want %s", c->name, ike_decode_result_name(got),
                     ike_decode_result_name(c->want));
        if (got != IKE_DEC_OK && c->want_type && m->err.payload_type != c->want_type)
            fail_msg("%s: error in %s, want %s", c->name, ike_payload_name(m->err.payload_type),
                     ike_payload_name(c->want_type));
        if (got == IKE_DEC_OK && c->want_type != NORMALIZED && len == msg.len)
            assert_reencodes(m, msg.p, msg.len); /* what decodes re-encodes the same */
        free(pl.p), free(msg.p);
    }
    free(m);
}

#define RUN_CASES(t) run_cases(t, sizeof(t) / sizeof((t)[0]))

static void malformed_framing(void **state)
{
    (void)state;
    RUN_CASES(framing_cases);
}

static void malformed_sa(void **state)
{
    (void)state;
    RUN_CASES(sa_cases);
}

static void malformed_payloads(void **state)
{
    (void)state;
    RUN_CASES(simple_cases);
}

static void malformed_ts_cp_sk(void **state)
{
    (void)state;
    RUN_CASES(ts_cp_cases);
}

/* The details of three accepted oddities: a skipped payload, an unknown
 * transform attribute, the header's reserved flag bits. */
static void skipped_and_ignored(void **state)
{
    (void)state;
    struct ike_msg *m = msg_new();
    /* Payload type 60 (unknown, not critical), flags 0xff, then an SA
     * whose second transform has an attribute nobody defined. */
    struct bytes b = bytes_hex("0102030405060708 0000000000000000 3c 20 22 ff 00000000 00000043"
                               "21000007 aabbcc"
                               "00000020 0000001c 01010002 03000008 03000002"
                               "0000000c 0100000c 80010005");

    assert_int_equal(ike_decode(b.p, b.len, m), IKE_DEC_OK);
    assert_int_equal(m->hdr.flags, IKE_FLAG_I | IKE_FLAG_V | IKE_FLAG_R);
    assert_int_equal(m->npayloads, 2);
    assert_true(m->payloads[0].skipped);
    assert_int_equal(m->payloads[0].type, 60);
    assert_int_equal(m->payloads[0].u.raw.len, 3);
    assert_false(m->payloads[1].u.sa.proposals[0].transforms[0].unknown_attr);
    assert_true(m->payloads[1].u.sa.proposals[0].transforms[1].unknown_attr);
    assert_int_equal(m->payloads[1].u.sa.proposals[0].transforms[1].key_length, 0);
    free(b.p);
    free(m);
}

/* ---- limits ---- */

/* n payloads of type V chained, in a message. */
static struct bytes vendor_chain(size_t n)
{
    struct bytes b = {malloc(IKE_HDR_LEN + 4 * n), IKE_HDR_LEN + 4 * n};
    uint8_t *p = b.p + IKE_HDR_LEN;

    memset(b.p, 0, IKE_HDR_LEN);
    b.p[16] = IKE_PL_VENDOR;
    b.p[17] = IKE_VERSION;
    b.p[26] = (uint8_t)(b.len >> 8), b.p[27] = (uint8_t)b.len;
    for (size_t i = 0; i < n; i++, p += 4) {
        p[0] = i + 1 < n ? IKE_PL_VENDOR : IKE_PL_NONE;
        p[1] = 0, p[2] = 0, p[3] = 4;
    }
    return b;
}

/* Encodes m (no limits there) and decodes it: the decoder's limits. */
static enum ike_decode_result encode_decode(const struct ike_msg *m, struct ike_msg *out)
{
    struct bytes wire = encode_exact(m);
    enum ike_decode_result r = ike_decode(wire.p, wire.len, out);

    free(wire.p);
    return r;
}

static void limits(void **state)
{
    (void)state;
    static struct ike_transform xf[300];
    static struct ike_proposal props[40];
    static struct ike_ts ts[70];
    static struct ike_cp_attr attrs[70];
    static uint32_t spis[300];
    struct ike_msg *m = msg_new(), *d = msg_new();
    struct ike_payload *p = &m->payloads[0];
    struct bytes b;

    b = vendor_chain(IKE_MAX_PAYLOADS);
    assert_int_equal(ike_decode(b.p, b.len, d), IKE_DEC_OK);
    free(b.p);
    b = vendor_chain(IKE_MAX_PAYLOADS + 1);
    assert_int_equal(ike_decode(b.p, b.len, d), IKE_DEC_TOO_MANY);
    assert_int_equal(d->err.index, IKE_MAX_PAYLOADS);
    free(b.p);

    for (size_t i = 0; i < 300; i++)
        xf[i] = (struct ike_transform){IKE_TRANSFORM_ENCR, (uint16_t)i, 0, false};
    for (size_t i = 0; i < 40; i++)
        props[i] = (struct ike_proposal){
            .num = (uint8_t)(i + 1), .protocol = IKE_PROTO_IKE, .ntransforms = 1, .transforms = xf};
    m->hdr.version = IKE_VERSION;
    m->npayloads = 1;
    *p = (struct ike_payload){IKE_PL_SA, .u.sa = {IKE_MAX_PROPOSALS, props}};
    assert_int_equal(encode_decode(m, d), IKE_DEC_OK);
    p->u.sa.nproposals = IKE_MAX_PROPOSALS + 1;
    assert_int_equal(encode_decode(m, d), IKE_DEC_TOO_MANY);
    props[0].ntransforms = 255; /* 255 + 1 = IKE_MAX_TRANSFORMS */
    p->u.sa.nproposals = 2;
    assert_int_equal(encode_decode(m, d), IKE_DEC_OK);
    props[1].ntransforms = 2;
    assert_int_equal(encode_decode(m, d), IKE_DEC_TOO_MANY);

    for (size_t i = 0; i < 70; i++)
        ts[i] = (struct ike_ts){IKE_TS_IPV4_ADDR_RANGE, 0, 0, 65535, {1}, {2}};
    *p = (struct ike_payload){IKE_PL_TSI, .u.ts = {IKE_MAX_TS, ts}};
    assert_int_equal(encode_decode(m, d), IKE_DEC_OK);
    p->u.ts.nts = IKE_MAX_TS + 1;
    assert_int_equal(encode_decode(m, d), IKE_DEC_TOO_MANY);

    for (size_t i = 0; i < 70; i++)
        attrs[i] = (struct ike_cp_attr){IKE_CP_INTERNAL_IP4_DNS, {NULL, 0}};
    *p = (struct ike_payload){IKE_PL_CP, .u.cp = {IKE_CFG_REQUEST, IKE_MAX_CP_ATTRS, attrs}};
    assert_int_equal(encode_decode(m, d), IKE_DEC_OK);
    p->u.cp.nattrs = IKE_MAX_CP_ATTRS + 1;
    assert_int_equal(encode_decode(m, d), IKE_DEC_TOO_MANY);

    *p = (struct ike_payload){IKE_PL_DELETE, .u.del = {IKE_PROTO_ESP, IKE_MAX_DELETE_SPIS, spis}};
    assert_int_equal(encode_decode(m, d), IKE_DEC_OK);
    p->u.del.nspis = IKE_MAX_DELETE_SPIS + 1;
    assert_int_equal(encode_decode(m, d), IKE_DEC_TOO_MANY);
    free(m), free(d);
}

/* ---- encoding the SK payload apart, and the encoder's errors ---- */

static void sk_prefix_and_plaintext(void **state)
{
    (void)state;
    struct ike_msg *outer = msg_new(), *inner = msg_new(), *d = msg_new();
    uint8_t out[4096];
    struct bytes b;
    size_t sk_off = 0, len = 0;

    /* The SK plaintext: every payload but SK, alone. */
    build_every_payload(inner);
    inner->npayloads--;
    assert_int_equal(ike_encode_payloads(inner->payloads, inner->npayloads, out, sizeof(out), &len),
                     IKE_ENC_OK);
    b = bytes_copy(out, len);
    assert_int_equal(ike_decode_payloads(inner->payloads[0].type, b.p, b.len, d), IKE_DEC_OK);
    d->hdr = inner->hdr;
    assert_true(ike_msg_equal(inner, d));
    free(b.p);

    /* HDR, N, SK header: what ike_sk_seal starts from. */
    outer->hdr = inner->hdr;
    outer->payloads[0] = inner->payloads[3]; /* N(NAT_DETECTION_SOURCE_IP) */
    outer->payloads[1] = (struct ike_payload){
        IKE_PL_SK, .critical = true,
        .u.sk = {.first_inner = IKE_PL_SA, .data = {(const uint8_t *)"not read", 8}}};
    outer->npayloads = 2;
    assert_int_equal(ike_encode_sk_prefix(outer, out, sizeof(out), &sk_off), IKE_ENC_OK);
    assert_int_equal(sk_off, IKE_HDR_LEN + 8 + IKE_NAT_DETECTION_LEN);
    assert_int_equal(out[sk_off], IKE_PL_SA);
    assert_int_equal(out[sk_off + 1], IKE_PAYLOAD_CRITICAL);
    b = bytes_copy(out, sk_off + 4); /* lengths describe an empty SK body */
    assert_int_equal(ike_decode(b.p, b.len, d), IKE_DEC_OK);
    assert_int_equal(d->npayloads, 2);
    assert_int_equal(d->payloads[1].offset, sk_off);
    assert_int_equal(d->payloads[1].u.sk.data.len, 0);
    assert_int_equal(d->payloads[1].u.sk.first_inner, IKE_PL_SA);
    free(b.p);
    assert_int_equal(ike_encode_sk_prefix(outer, out, sk_off + 3, &sk_off), IKE_ENC_NO_ROOM);

    /* SKF: the fragment numbers are part of the prefix. */
    outer->payloads[1].type = IKE_PL_SKF;
    outer->payloads[1].u.sk.frag_num = 1;
    outer->payloads[1].u.sk.frag_total = 3;
    assert_int_equal(ike_encode_sk_prefix(outer, out, sizeof(out), &sk_off), IKE_ENC_OK);
    b = bytes_copy(out, sk_off + 8);
    assert_int_equal(ike_decode(b.p, b.len, d), IKE_DEC_OK);
    assert_int_equal(d->payloads[1].u.sk.frag_total, 3);
    free(b.p);

    outer->npayloads = 1; /* no SK at the end */
    assert_int_equal(ike_encode_sk_prefix(outer, out, sizeof(out), &sk_off), IKE_ENC_INVALID);
    free(outer), free(inner), free(d);
}

static void encode_errors(void **state)
{
    (void)state;
    static uint8_t big[65536], out[70000];
    static const struct ike_ts ts9 = {9, 0, 0, 0, {0}, {0}};
    static const struct ike_proposal spi9 = {.num = 1, .protocol = IKE_PROTO_IKE, .spi_size = 9};
    struct ike_msg *m = msg_new();
    struct ike_payload *p = m->payloads;
    size_t len;

    build_every_payload(m);
    /* SK in the middle */
    p[0] = p[m->npayloads - 1];
    assert_int_equal(ike_encode(m, out, sizeof(out), &len), IKE_ENC_INVALID);
    /* SK in a plaintext */
    assert_int_equal(ike_encode_payloads(p, 1, out, sizeof(out), &len), IKE_ENC_INVALID);

    m->npayloads = 1;
    m->hdr.version = 0x10;
    p[0] = (struct ike_payload){.type = IKE_PL_VENDOR};
    assert_int_equal(ike_encode(m, out, sizeof(out), &len), IKE_ENC_INVALID);
    m->hdr.version = IKE_VERSION;
    assert_int_equal(ike_encode(m, out, sizeof(out), &len), IKE_ENC_OK);
    p[0] = (struct ike_payload){.type = 99}; /* unknown and not a skipped one: no body to write */
    assert_int_equal(ike_encode(m, out, sizeof(out), &len), IKE_ENC_INVALID);
    p[0] = (struct ike_payload){IKE_PL_TSI, .u.ts = {1, &ts9}};
    assert_int_equal(ike_encode(m, out, sizeof(out), &len), IKE_ENC_INVALID);
    p[0] = (struct ike_payload){IKE_PL_SA, .u.sa = {1, &spi9}};
    assert_int_equal(ike_encode(m, out, sizeof(out), &len), IKE_ENC_INVALID);
    p[0] = (struct ike_payload){IKE_PL_NOTIFY, .u.notify = {.spi_size = 8}};
    assert_int_equal(ike_encode(m, out, sizeof(out), &len), IKE_ENC_INVALID);
    p[0] = (struct ike_payload){IKE_PL_DELETE, .u.del = {IKE_PROTO_IKE, 1, NULL}};
    assert_int_equal(ike_encode(m, out, sizeof(out), &len), IKE_ENC_INVALID);
    /* 65532 bytes of data make a payload of 65536 */
    p[0] = (struct ike_payload){IKE_PL_VENDOR, .u.vendor = {big, 65532}};
    assert_int_equal(ike_encode(m, out, sizeof(out), &len), IKE_ENC_TOO_LONG);
    p[0].u.vendor.len = 65531;
    assert_int_equal(ike_encode(m, out, sizeof(out), &len), IKE_ENC_OK);
    assert_int_equal(len, IKE_HDR_LEN + 65535);
    free(m);
}

static void names(void **state)
{
    (void)state;
    for (int r = IKE_DEC_OK; r <= IKE_DEC_BAD_ORDER; r++)
        assert_string_not_equal(ike_decode_result_name((enum ike_decode_result)r), "?");
    for (int r = IKE_ENC_OK; r <= IKE_ENC_INVALID; r++)
        assert_string_not_equal(ike_encode_result_name((enum ike_encode_result)r), "?");
    assert_string_equal(ike_decode_result_name(IKE_DEC_UNSUPPORTED_CRITICAL),
                        "UNSUPPORTED_CRITICAL");
    for (int t = IKE_PL_SA; t <= IKE_PL_EAP; t++)
        assert_string_not_equal(ike_payload_name((uint8_t)t), "?");
    assert_string_equal(ike_payload_name(IKE_PL_TSR), "TSr");
    assert_string_equal(ike_payload_name(IKE_PL_SKF), "SKF");
    assert_string_equal(ike_payload_name(60), "?");
    assert_string_equal(ike_exchange_name(IKE_EXCH_CREATE_CHILD_SA), "CREATE_CHILD_SA");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc7634_informational),
        cmocka_unit_test(pcap_ike_sa_init),
        cmocka_unit_test(pcap_ike_auth),
        cmocka_unit_test(every_payload_roundtrip),
        cmocka_unit_test(every_truncation),
        cmocka_unit_test(malformed_framing),
        cmocka_unit_test(malformed_sa),
        cmocka_unit_test(malformed_payloads),
        cmocka_unit_test(malformed_ts_cp_sk),
        cmocka_unit_test(skipped_and_ignored),
        cmocka_unit_test(limits),
        cmocka_unit_test(sk_prefix_and_plaintext),
        cmocka_unit_test(encode_errors),
        cmocka_unit_test(names),
    };
    const char *env = getenv("UIPSEC_VECTORS");

    if (env && env[0])
        vectors_dir = env;
    if (argc > 1)
        vectors_dir = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
