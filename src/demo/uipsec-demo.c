/* SPDX-License-Identifier: MIT */
/*
 * uipsec-demo: protects one sample ICMP echo request with every suite the
 * engine has, shows the protected packet field by field, and checks that
 * the peer SA gives the original back.  --check prints only the verdicts.
 */
#include <stdio.h>
#include <string.h>

#include "uipsec/uipsec.h"

static const struct {
    const char *keyword;
    enum uipsec_proto proto;
    enum uipsec_mode mode;
    const char *rfc;
} suites[] = {
    {"aes128gcm16", UIPSEC_PROTO_ESP, UIPSEC_MODE_TUNNEL, "RFC 4106"},
    {"aes256gcm16", UIPSEC_PROTO_ESP, UIPSEC_MODE_TUNNEL, "RFC 4106"},
    {"chacha20poly1305", UIPSEC_PROTO_ESP, UIPSEC_MODE_TUNNEL, "RFC 7634"},
    {"aes128-sha256", UIPSEC_PROTO_ESP, UIPSEC_MODE_TUNNEL, "RFC 3602 + RFC 4868"},
    {"aes256-sha384", UIPSEC_PROTO_ESP, UIPSEC_MODE_TUNNEL, "RFC 3602 + RFC 4868"},
    {"aes256-sha512", UIPSEC_PROTO_ESP, UIPSEC_MODE_TUNNEL, "RFC 3602 + RFC 4868"},
    {"null-sha256", UIPSEC_PROTO_ESP, UIPSEC_MODE_TUNNEL, "RFC 2410 + RFC 4868"},
    {"aes128gmac", UIPSEC_PROTO_ESP, UIPSEC_MODE_TUNNEL, "RFC 4543"},
    {"aes256gcm16", UIPSEC_PROTO_ESP, UIPSEC_MODE_TRANSPORT, "RFC 4106, transport"},
    {"sha256", UIPSEC_PROTO_AH, UIPSEC_MODE_TUNNEL, "RFC 4302 + RFC 4868"},
    {"sha512", UIPSEC_PROTO_AH, UIPSEC_MODE_TRANSPORT, "RFC 4302, transport"},
};

/* ICMP echo request 10.1.0.1 -> 10.2.0.1 carrying "hello through uipsec". */
static size_t sample(uint8_t *p)
{
    static const char msg[] = "hello through uipsec";
    size_t n = 20 + 8 + sizeof(msg) - 1;
    uint32_t sum = 0;

    memset(p, 0, 28);
    p[0] = 0x45, p[3] = (uint8_t)n, p[6] = 0x40, p[8] = 64, p[9] = 1;
    p[12] = 10, p[13] = 1, p[15] = 1, p[16] = 10, p[17] = 2, p[19] = 1;
    p[20] = 8, p[25] = 1, p[27] = 1;
    memcpy(p + 28, msg, sizeof(msg) - 1);
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    sum = (sum & 0xffff) + (sum >> 16);
    p[10] = (uint8_t)(~sum >> 8), p[11] = (uint8_t)~sum;
    sum = 0;
    for (size_t i = 20; i < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | (i + 1 < n ? p[i + 1] : 0));
    sum = (sum & 0xffff) + (sum >> 16);
    p[22] = (uint8_t)(~sum >> 8), p[23] = (uint8_t)~sum;
    return n;
}

static void hexdump(const char *label, const uint8_t *p, size_t n)
{
    printf("  %s (%zu bytes)\n", label, n);
    for (size_t i = 0; i < n; i += 16) {
        printf("    %04zx ", i);
        for (size_t j = i; j < i + 16 && j < n; j++)
            printf(" %02x", p[j]);
        printf("\n");
    }
}

static int make_pair(size_t i, struct uipsec_sa **out, struct uipsec_sa **in)
{
    struct uipsec_sa_params p = {.spi = 0xc0de0000u + (uint32_t)i, .proto = suites[i].proto};
    size_t ek, salt, ak;
    int rc;

    if ((rc = uipsec_suite_parse(suites[i].keyword, p.proto, &p)) != UIPSEC_OK)
        return rc;
    uipsec_suite_key_sizes(&p, &ek, &salt, &ak);
    for (size_t k = 0; k < sizeof(p.enc_key); k++)
        p.enc_key[k] = (uint8_t)(0xa0 + k);
    memset(p.salt, 0x5a, salt);
    for (size_t k = 0; k < ak; k++)
        p.auth_key[k] = (uint8_t)(0x10 + k);
    p.auth_key_len = (uint8_t)ak;
    p.mode = suites[i].mode;
    p.seq = 1;
    p.replay_window = 64;
    p.tunnel_src = (struct uipsec_addr){4, {198, 51, 100, 1}};
    p.tunnel_dst = (struct uipsec_addr){4, {203, 0, 113, 2}};
    p.dir = UIPSEC_DIR_OUT;
    if ((rc = uipsec_sa_new(&p, out)) != UIPSEC_OK)
        return rc;
    p.dir = UIPSEC_DIR_IN;
    return uipsec_sa_new(&p, in);
}

/* Names the parts of the protected packet, offsets included. */
static void explain(size_t i, const struct uipsec_sa *sa, const uint8_t *o, size_t n)
{
    size_t iv, icv, at = 20;

    uipsec_sa_layout(sa, &iv, &icv);
    printf("  IPv4 header %u.%u.%u.%u -> %u.%u.%u.%u, protocol %u (%s)\n", o[12], o[13], o[14],
           o[15], o[16], o[17], o[18], o[19], o[9], o[9] == 50 ? "ESP" : "AH");
    if (suites[i].proto == UIPSEC_PROTO_AH) {
        printf("  [0000-0013] IP header  [0014-0017] AH next header %u, length, reserved\n", o[20]);
        at = 24;
    } else {
        printf("  [0000-0013] IP header\n");
    }
    printf("  [%04zx-%04zx] SPI 0x%02x%02x%02x%02x  [%04zx-%04zx] sequence number %u\n", at, at + 3,
           o[at], o[at + 1], o[at + 2], o[at + 3], at + 4, at + 7,
           (unsigned)(o[at + 4] << 24 | o[at + 5] << 16 | o[at + 6] << 8 | o[at + 7]));
    if (suites[i].proto == UIPSEC_PROTO_AH) {
        printf("  [%04zx-%04zx] ICV  [%04zx-%04zx] inner packet, in clear\n", at + 8, at + 7 + icv,
               at + 8 + icv, n - 1);
        return;
    }
    if (iv)
        printf("  [%04zx-%04zx] IV\n", at + 8, at + 7 + iv);
    printf("  [%04zx-%04zx] %s payload, padding, pad length, next header\n", at + 8 + iv,
           n - icv - 1,
           strstr(suites[i].keyword, "null") || strstr(suites[i].keyword, "gmac")
               ? "authenticated (not encrypted)"
               : "encrypted");
    printf("  [%04zx-%04zx] ICV\n", n - icv, n - 1);
}

static int demo_one(size_t i, const uint8_t *inner, size_t n, bool quiet)
{
    uint8_t mem[UIPSEC_HEADROOM + 256 + UIPSEC_TAILROOM];
    struct uipsec_buf b = {mem, sizeof(mem), UIPSEC_HEADROOM, (uint32_t)n, 0};
    struct uipsec_sa *out = NULL, *in = NULL;
    int rc = make_pair(i, &out, &in);
    bool same = false;

    memcpy(mem + b.off, inner, n);
    if (rc == UIPSEC_OK && uipsec_encap(out, &b, 1) != 1)
        rc = b.result;
    if (rc == UIPSEC_OK && !quiet) {
        printf("\n%s %s (%s) on %s\n", suites[i].proto == UIPSEC_PROTO_ESP ? "ESP" : "AH",
               suites[i].keyword, suites[i].rfc, uipsec_backend_name(uipsec_sa_backend(out)));
        explain(i, out, mem + b.off, b.len);
        hexdump("protected packet", mem + b.off, b.len);
    }
    if (rc == UIPSEC_OK && uipsec_decap(in, &b, 1) != 1)
        rc = b.result;
    same = rc == UIPSEC_OK && b.len == n && memcmp(mem + b.off, inner, n) == 0;
    printf("  %-18s %-10s round trip: %s\n", suites[i].keyword,
           suites[i].mode == UIPSEC_MODE_TUNNEL ? "tunnel" : "transport",
           same ? "ok, inner packet restored byte for byte" : uipsec_result_name(rc));
    uipsec_sa_free(out);
    uipsec_sa_free(in);
    return same ? 0 : 1;
}

int main(int argc, char **argv)
{
    bool quiet = argc > 1 && strcmp(argv[1], "--check") == 0;
    uint8_t inner[64];
    size_t n = sample(inner);
    int failed = 0;

    printf("uipsec packet engine demo: one ICMP echo request through every suite\n");
    printf("backends: openssl%s\n",
           uipsec_backend_available(UIPSEC_BACKEND_IPSECMB) ? ", ipsec-mb (preferred)" : "");
    if (!quiet)
        hexdump("inner packet: ICMP echo 10.1.0.1 -> 10.2.0.1", inner, n);
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
        failed += demo_one(i, inner, n, quiet);
    printf("\n%zu suites, %d failed\n", sizeof(suites) / sizeof(suites[0]), failed);
    return failed ? 1 : 0;
}
