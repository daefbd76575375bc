/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for ESP and AH input.  The first byte picks the SA and a
 * mode:
 *   raw:       the rest is an outer packet, decapsulated as received;
 *   roundtrip: the rest is an inner packet; encapsulation then decapsulation
 *              must give it back byte for byte (an oracle, not just "no crash");
 *   forged:    the rest is the decrypted ESP payload of an ESP-NULL packet
 *              whose ICV the harness computes, so the code after the ICV
 *              check (trailer, padding, inner packet) sees arbitrary bytes.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "uipsec/uipsec.h"

static const char *const suites[] = {"aes128gcm16",   "aes256gcm16", "chacha20poly1305",
                                     "aes128-sha256", "null-sha256", "aes256gmac",
                                     "aes256-sha512", "sha256",      "sha384"};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))
#define SPI     0x11223344u

static struct uipsec_sa *make_sa(unsigned cfg, enum uipsec_dir dir)
{
    const char *suite = suites[cfg % NSUITES];
    struct uipsec_sa_params p = {.spi = SPI, .dir = dir};
    struct uipsec_sa *sa;
    size_t ek, salt, ak;

    p.proto = strchr(suite, 'a') == suite || strncmp(suite, "null", 4) == 0 ||
                      strncmp(suite, "chacha", 6) == 0
                  ? UIPSEC_PROTO_ESP
                  : UIPSEC_PROTO_AH;
    p.mode = (cfg >> 4) & 1 ? UIPSEC_MODE_TRANSPORT : UIPSEC_MODE_TUNNEL;
    p.esn = (cfg >> 5) & 1;
    p.replay_window = (cfg >> 6) & 1 ? 64 : 0;
    if (uipsec_suite_parse(suite, p.proto, &p) != UIPSEC_OK)
        abort();
    uipsec_suite_key_sizes(&p, &ek, &salt, &ak);
    memset(p.enc_key, 0x11, ek);
    memset(p.salt, 0x22, salt);
    memset(p.auth_key, 0x33, ak);
    p.auth_key_len = (uint8_t)ak;
    p.tunnel_src = p.tunnel_dst = (struct uipsec_addr){.family = (cfg >> 7) & 1 ? 6 : 4};
    p.tunnel_src.bytes[0] = 1;
    p.udp_dport = p.proto == UIPSEC_PROTO_ESP && (cfg >> 7) == 0 && (cfg & 8) ? 4500 : 0;
    p.backend = (cfg & 8) ? UIPSEC_BACKEND_OPENSSL : UIPSEC_BACKEND_AUTO;
    if (uipsec_sa_new(&p, &sa) != UIPSEC_OK)
        abort();
    return sa;
}

static uint8_t mem[70000 + UIPSEC_HEADROOM + UIPSEC_TAILROOM];

static void run_raw(unsigned cfg, const uint8_t *d, size_t n)
{
    struct uipsec_sa *in = make_sa(cfg, UIPSEC_DIR_IN);
    struct uipsec_buf b = {mem, sizeof(mem), UIPSEC_HEADROOM, (uint32_t)n, 0};

    memcpy(mem + UIPSEC_HEADROOM, d, n);
    (void)uipsec_decap_any_order(in, &b, 1); /* reads the same headers first */
    uipsec_decap(in, &b, 1);
    uipsec_sa_free(in);
}

static void run_roundtrip(unsigned cfg, const uint8_t *d, size_t n)
{
    struct uipsec_sa *out = make_sa(cfg, UIPSEC_DIR_OUT), *in = make_sa(cfg, UIPSEC_DIR_IN);
    struct uipsec_buf b = {mem, sizeof(mem), UIPSEC_HEADROOM, (uint32_t)n, 0};

    memcpy(mem + UIPSEC_HEADROOM, d, n);
    if (uipsec_encap(out, &b, 1) == 1) {
        /* Transport mode rewrites the IPv4 header checksum: compare the rest. */
        size_t skip = (cfg >> 4) & 1 && n >= 20 && d[0] >> 4 == 4 ? 12 : 0;

        if (uipsec_decap(in, &b, 1) != 1 || b.len != n ||
            (skip && memcmp(mem + b.off, d, 10) != 0) ||
            memcmp(mem + b.off + skip, d + skip, n - skip) != 0)
            abort(); /* what we sent we must read back unchanged */
    }
    uipsec_sa_free(out);
    uipsec_sa_free(in);
}

/* An ESP-NULL-HMAC-SHA256 tunnel packet with a valid ICV around d. */
static void run_forged(unsigned cfg, const uint8_t *d, size_t n)
{
    struct uipsec_sa *in = make_sa(4 | (cfg & 0x60), UIPSEC_DIR_IN); /* null-sha256 */
    uint8_t key[32], *esp = mem + UIPSEC_HEADROOM + 20, md[32];
    unsigned md_len = 0;
    size_t esp_len = 8 + n + 16;
    struct uipsec_buf b = {mem, sizeof(mem), UIPSEC_HEADROOM, (uint32_t)(20 + esp_len), 0};
    uint8_t *ip = mem + UIPSEC_HEADROOM;

    memset(ip, 0, 20);
    ip[0] = 0x45, ip[2] = (uint8_t)((20 + esp_len) >> 8), ip[3] = (uint8_t)(20 + esp_len);
    ip[8] = 64, ip[9] = 50;
    esp[0] = 0x11, esp[1] = 0x22, esp[2] = 0x33, esp[3] = 0x44, esp[4] = esp[5] = esp[6] = 0;
    esp[7] = 1;
    memcpy(esp + 8, d, n);
    memset(key, 0x33, sizeof(key));
    memset(esp + 8 + n, 0, 4); /* seq_hi = 0 for ESN SAs */
    HMAC(EVP_sha256(), key, sizeof(key), esp, 8 + n + ((cfg & 0x20) ? 4 : 0), md, &md_len);
    memcpy(esp + 8 + n, md, 16);
    uipsec_decap(in, &b, 1);
    uipsec_sa_free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned cfg;

    if (size < 2 || size > 65000)
        return 0;
    cfg = data[1];
    switch (data[0] % 3) {
    case 0:
        run_raw(cfg, data + 2, size - 2);
        break;
    case 1:
        run_roundtrip(cfg, data + 2, size - 2);
        break;
    default:
        run_forged(cfg, data + 2, size - 2);
    }
    return 0;
}
