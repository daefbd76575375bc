/* SPDX-License-Identifier: MIT */
#include "keylog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static void hex(char *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
    out[2 * n] = '\0';
}

/* Whom a file or folder of the key log may belong to. */
static bool owner_ok(const struct stat *st)
{
    return st->st_uid == 0 || st->st_uid == geteuid();
}

/* Refusals are logged at most every 10 s: keys come with every SA. */
__attribute__((format(printf, 1, 2))) static void refuse(const char *fmt, ...)
{
    static time_t last;
    time_t now = time(NULL);
    char msg[800];
    va_list ap;

    if (now - last < 10)
        return;
    last = now;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_err("wireshark_keys: %s; keys not logged", msg);
}

/* DIR, if only root may change what is in it. */
static int open_dir(const char *dir)
{
    struct stat st;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st) < 0) {
        refuse("cannot open %s: %s", dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!owner_ok(&st) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        refuse("%s (owner uid %u, mode %04o) may be changed by others, who could read the "
               "keys: make it root's alone (chown root %s; chmod 700 %s)",
               dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), dir, dir);
        close(fd);
        return -1;
    }
    return fd;
}

/* DIR/name for appending: made 0600 by us, or a file that only root may
 * read or write and that is no link of any kind. */
static int open_file(int dir_fd, const char *path, const char *name)
{
    struct stat st;
    int fd =
        openat(dir_fd, name, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd >= 0 || errno != EEXIST)
        goto opened;
    fd = openat(dir_fd, name, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0 && fstat(fd, &st) == 0 &&
        (!S_ISREG(st.st_mode) || !owner_ok(&st) || (st.st_mode & 077) || st.st_nlink != 1)) {
        refuse("%s is not a private file of root's (owner uid %u, mode %04o, %u links): "
               "remove it (rm %s), uipsecd makes it anew with mode 0600",
               path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), (unsigned)st.st_nlink,
               path);
        close(fd);
        return -1;
    }
opened:
    if (fd < 0)
        refuse("cannot open %s: %s (a symbolic link there is refused: remove it)", path,
               strerror(errno));
    return fd;
}

static const char *const file_names[] = {
    [PRIV_KEYLOG_ESP] = "esp_sa", [PRIV_KEYLOG_IKE] = "ikev2_decryption_table"};

/* Appends one line to DIR/name. */
static void append(const char *dir, const char *name, const char *line)
{
    char path[512];
    int dir_fd = open_dir(dir), fd;

    if (dir_fd < 0)
        return;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fd = open_file(dir_fd, path, name);
    close(dir_fd);
    if (fd < 0)
        return;
    if (write(fd, line, strlen(line)) < 0 || write(fd, "\n", 1) < 0)
        log_warn("wireshark_keys: cannot write %s: %s", path, strerror(errno));
    close(fd);
}

void keylog_append(const char *dir, enum priv_keylog_file file, const char *line)
{
    if (dir[0] && (unsigned)file <= PRIV_KEYLOG_IKE)
        append(dir, file_names[file], line);
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

bool keylog_ike_line(const struct ike_sa *sa, char *line, size_t len)
{
    char spi_i[17], spi_r[17], ei[2 * 64 + 1], er[2 * 64 + 1], ai[2 * 64 + 1], ar[2 * 64 + 1];
    char encr[64];
    const struct ike_sa_keys *k = sa->keys;
    const char *wenc, *winteg;

    if (!k || k->ei.len > 64 || k->ai.len > 64)
        return false;
    hex(spi_i, sa->spi_i, 8);
    hex(spi_r, sa->spi_r, 8);
    hex(ei, k->ei.p, k->ei.len);
    hex(er, k->er.p, k->er.len);
    hex(ai, k->ai.p, k->ai.len);
    hex(ar, k->ar.p, k->ar.len);
    wenc = ike_encr(&sa->suite, encr, sizeof encr);
    winteg = ike_integ(sa->suite.integ);
    if (wenc && winteg)
        snprintf(line, len, "%s,%s,%s,%s,\"%s\",%s,%s,\"%s\"", spi_i, spi_r, ei, er, wenc, ai, ar,
                 winteg);
    else
        snprintf(line, len,
                 "# %s,%s: encryption %u not decryptable by Wireshark 4.0: SK_ei %s SK_er %s",
                 spi_i, spi_r, sa->suite.encr, ei, er);
    OPENSSL_cleanse(ei, sizeof ei);
    OPENSSL_cleanse(er, sizeof er);
    OPENSSL_cleanse(ai, sizeof ai);
    OPENSSL_cleanse(ar, sizeof ar);
    return true;
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

bool keylog_esp_line(const struct uipsec_sa_params *p, char *line, size_t len)
{
    char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
    char ek[2 * (UIPSEC_MAX_KEY + UIPSEC_SALT_LEN) + 1], ak[2 * UIPSEC_MAX_AUTH + 1];
    uint8_t key[UIPSEC_MAX_KEY + UIPSEC_SALT_LEN];
    size_t enc, salt, auth;
    int af = p->tunnel_src.family == 6 ? AF_INET6 : AF_INET;

    uipsec_suite_key_sizes(p, &enc, &salt, &auth);
    memcpy(key, p->enc_key, enc);
    memcpy(key + enc, p->salt, salt); /* Wireshark wants the IKE KEYMAT: key | salt */
    hex(ek, key, enc + salt);
    hex(ak, p->auth_key, auth);
    inet_ntop(af, p->tunnel_src.bytes, src, sizeof src);
    inet_ntop(af, p->tunnel_dst.bytes, dst, sizeof dst);
    if (esp_encr(p->enc))
        snprintf(line, len, "\"%s\",\"%s\",\"%s\",\"0x%08x\",\"%s\",\"0x%s\",\"%s\",\"%s%s\"",
                 af == AF_INET6 ? "IPv6" : "IPv4", src, dst, p->spi, esp_encr(p->enc), ek,
                 esp_integ(p->integ), auth ? "0x" : "", ak);
    else
        snprintf(line, len, "# %s -> %s SPI 0x%08x: not decryptable by Wireshark 4.0: key %s", src,
                 dst, p->spi, ek);
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(ek, sizeof ek);
    OPENSSL_cleanse(ak, sizeof ak);
    return true;
}
