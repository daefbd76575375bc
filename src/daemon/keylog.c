/* SPDX-License-Identifier: MIT */
#include "keylog.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static void hex(char *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
    out[2 * n] = '\0';
}

/* Appends one line to DIR/name, a file only root may read. */
static void append(const char *dir, const char *name, const char *line)
{
    char path[512];
    int fd;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || fchmod(fd, 0600) < 0 || write(fd, line, strlen(line)) < 0)
        log_warn("wireshark_keys: cannot write %s: %m", path);
    if (fd >= 0)
        close(fd);
}

/* Wireshark's names for the IKE suite, or NULL if it cannot decrypt it. */
static const char *ike_encr(const struct ike_sk_suite *s, char *buf, size_t len)
{
    if (s->encr == IKE_ENCR_AES_CBC)
        snprintf(buf, len, "AES-CBC-%u [RFC3602]", s->key_bits);
    else if (s->encr == IKE_ENCR_AES_GCM_16)
        snprintf(buf, len, "AES-GCM-%u with 16 octet ICV [RFC5282]", s->key_bits);
    else
        return NULL;
    return buf;
}

static const char *ike_integ(enum ike_integ_alg a)
{
    switch ((int)a) {
    case IKE_INTEG_NONE:
        return "NONE [RFC4306]";
    case IKE_INTEG_HMAC_SHA2_256_128:
        return "HMAC_SHA2_256_128 [RFC4868]";
    case IKE_INTEG_HMAC_SHA2_384_192:
        return "HMAC_SHA2_384_192 [RFC4868]";
    case IKE_INTEG_HMAC_SHA2_512_256:
        return "HMAC_SHA2_512_256 [RFC4868]";
    }
    return NULL;
}

void keylog_ike(const char *dir, const struct ike_sa *sa)
{
    char spi_i[17], spi_r[17], ei[2 * 64 + 1], er[2 * 64 + 1], ai[2 * 64 + 1], ar[2 * 64 + 1];
    char encr[64], line[800];
    const struct ike_sa_keys *k = sa->keys;
    const char *wenc, *winteg;

    if (!dir[0] || !k || k->ei.len > 64 || k->ai.len > 64)
        return;
    hex(spi_i, sa->spi_i, 8);
    hex(spi_r, sa->spi_r, 8);
    hex(ei, k->ei.p, k->ei.len);
    hex(er, k->er.p, k->er.len);
    hex(ai, k->ai.p, k->ai.len);
    hex(ar, k->ar.p, k->ar.len);
    wenc = ike_encr(&sa->suite, encr, sizeof encr);
    winteg = ike_integ(sa->suite.integ);
    if (wenc && winteg)
        snprintf(line, sizeof line, "%s,%s,%s,%s,\"%s\",%s,%s,\"%s\"\n", spi_i, spi_r, ei, er, wenc,
                 ai, ar, winteg);
    else
        snprintf(line, sizeof line,
                 "# %s,%s: encryption %u not decryptable by Wireshark 4.0: SK_ei %s SK_er %s\n",
                 spi_i, spi_r, sa->suite.encr, ei, er);
    append(dir, "ikev2_decryption_table", line);
    OPENSSL_cleanse(line, sizeof line);
    OPENSSL_cleanse(ei, sizeof ei);
    OPENSSL_cleanse(er, sizeof er);
    OPENSSL_cleanse(ai, sizeof ai);
    OPENSSL_cleanse(ar, sizeof ar);
}

static const char *esp_encr(enum uipsec_enc e)
{
    return e == UIPSEC_ENC_AES_CBC     ? "AES-CBC [RFC3602]"
           : e == UIPSEC_ENC_AES_GCM16 ? "AES-GCM with 16 octet ICV [RFC4106]"
           : e == UIPSEC_ENC_NULL      ? "NULL"
                                       : NULL;
}

static const char *esp_integ(enum uipsec_integ i)
{
    return i == UIPSEC_INTEG_HMAC_SHA256_128   ? "HMAC-SHA-256-128 [RFC4868]"
           : i == UIPSEC_INTEG_HMAC_SHA384_192 ? "HMAC-SHA-384-192 [RFC4868]"
           : i == UIPSEC_INTEG_HMAC_SHA512_256 ? "HMAC-SHA-512-256 [RFC4868]"
                                               : "NULL";
}

void keylog_esp(const char *dir, const struct uipsec_sa_params *p)
{
    char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], line[800];
    char ek[2 * (UIPSEC_MAX_KEY + UIPSEC_SALT_LEN) + 1], ak[2 * UIPSEC_MAX_AUTH + 1];
    uint8_t key[UIPSEC_MAX_KEY + UIPSEC_SALT_LEN];
    size_t enc, salt, auth;
    int af = p->tunnel_src.family == 6 ? AF_INET6 : AF_INET;

    if (!dir[0])
        return;
    uipsec_suite_key_sizes(p, &enc, &salt, &auth);
    memcpy(key, p->enc_key, enc);
    memcpy(key + enc, p->salt, salt); /* Wireshark wants the IKE KEYMAT: key | salt */
    hex(ek, key, enc + salt);
    hex(ak, p->auth_key, auth);
    inet_ntop(af, p->tunnel_src.bytes, src, sizeof src);
    inet_ntop(af, p->tunnel_dst.bytes, dst, sizeof dst);
    if (esp_encr(p->enc))
        snprintf(line, sizeof line,
                 "\"%s\",\"%s\",\"%s\",\"0x%08x\",\"%s\",\"0x%s\",\"%s\",\"%s%s\"\n",
                 af == AF_INET6 ? "IPv6" : "IPv4", src, dst, p->spi, esp_encr(p->enc), ek,
                 esp_integ(p->integ), auth ? "0x" : "", ak);
    else
        snprintf(line, sizeof line,
                 "# %s -> %s SPI 0x%08x: not decryptable by Wireshark 4.0: key %s\n", src, dst,
                 p->spi, ek);
    append(dir, "esp_sa", line);
    OPENSSL_cleanse(line, sizeof line);
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(ek, sizeof ek);
    OPENSSL_cleanse(ak, sizeof ak);
}
