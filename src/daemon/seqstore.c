/* SPDX-License-Identifier: MIT */
/*
 * The state directory's sequence marks (seqstore.h).  One file per key,
 * named by a hash of the key, holding one line:
 *
 *   uipsecd-seq v1 id=<32 hex> reserved=<decimal> check=<16 hex>
 *
 * where check is the start of SHA-256 over what precedes it.  Anything else
 * is refused: a mark that cannot be trusted could let a nonce repeat.
 */
#include "seqstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ID_BYTES   16
#define ID_HEX     (2 * ID_BYTES)
#define CHECK_HEX  16
#define LINE_MAX_  128
#define FILE_LABEL "uipsecd-seq v1 id="

struct seqstore {
    int dirfd;
    char dir[256];
    struct seqres *open; /* reservations in use, one per key */
};

struct seqres {
    struct seqstore *store;
    struct seqres *next;
    struct uipsec_sa *sa;
    char id[ID_HEX + 1];
    char label[96];
    uint64_t mark;     /* highest number on disk as reserved */
    uint64_t end;      /* last number of the sequence space */
    uint64_t last_seq; /* last sent at the previous tick */
    uint64_t block;
    bool failed; /* the last write failed: no urgent retry before a tick */
};

bool seqstore_needed(const struct uipsec_sa_params *suite)
{
    return suite->proto == UIPSEC_PROTO_ESP &&
           (suite->enc == UIPSEC_ENC_AES_GCM16 || suite->enc == UIPSEC_ENC_CHACHA20_POLY1305 ||
            suite->enc == UIPSEC_ENC_AES_GMAC);
}

static void hex(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", in[i]);
}

static int sha256(const void *a, size_t a_len, const void *b, size_t b_len, uint8_t *md)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, a, a_len) == 1 && EVP_DigestUpdate(ctx, b, b_len) == 1 &&
             EVP_DigestFinal_ex(ctx, md, NULL) == 1;

    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

/* The file's only valid content for this id and mark. */
static int format_line(const char *id, uint64_t mark, char *line, size_t *len)
{
    uint8_t md[32];
    int n = snprintf(line, LINE_MAX_, FILE_LABEL "%s reserved=%" PRIu64, id, mark);

    if (sha256(line, (size_t)n, "", 0, md) < 0)
        return -1;
    snprintf(line + n, LINE_MAX_ - (size_t)n, " check=");
    hex(md, CHECK_HEX / 2, line + n + 7);
    *len = (size_t)n + 7 + CHECK_HEX;
    line[(*len)++] = '\n';
    line[*len] = 0;
    return 0;
}

/* Whose the files are: our user, or the unprivileged user that uipsecd's
 * child runs as (seqstore_hand_over). */
static bool handed_over;
static uid_t owner_uid;
static gid_t owner_gid;

static uid_t owner(void)
{
    return handed_over ? owner_uid : geteuid();
}

/* The directory and the marks in it that root made (an older uipsecd, or
 * the first start) go to the owner; anything else stays as it is and is
 * judged by check_owner. */
static void hand_over(int dirfd)
{
    struct stat st;
    int fd = dup(dirfd);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;

    if (fstat(dirfd, &st) == 0 && st.st_uid == 0) /* a failure shows in check_owner */
        (void)!fchown(dirfd, owner_uid, owner_gid);
    while (dir && (e = readdir(dir)))
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            st.st_uid == 0 && st.st_nlink == 1)
            (void)!fchownat(dirfd, e->d_name, owner_uid, owner_gid, AT_SYMLINK_NOFOLLOW);
    if (dir)
        closedir(dir);
    else if (fd >= 0)
        close(fd);
}

void seqstore_hand_over(unsigned uid, unsigned gid)
{
    handed_over = true;
    owner_uid = (uid_t)uid;
    owner_gid = (gid_t)gid;
}

/* The directory or file behind fd is ours alone: owned by our user, not
 * writable by group or others (and a file: regular, one link). */
static int check_owner(int fd, bool is_dir, const char *what, char *why, size_t why_len)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return snprintf(why, why_len, "%s: %s", what, strerror(errno)), -1;
    if (is_dir ? !S_ISDIR(st.st_mode) : (!S_ISREG(st.st_mode) || st.st_nlink != 1))
        return snprintf(why, why_len, "%s is not a %s", what,
                        is_dir ? "directory" : "regular file with one link"),
               -1;
    if (st.st_uid != owner())
        return snprintf(why, why_len, "%s is owned by uid %u, not by uipsecd's user (uid %u)", what,
                        (unsigned)st.st_uid, (unsigned)owner()),
               -1;
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return snprintf(why, why_len, "group or others may write %s (mode %03o); chmod go-w it",
                        what, (unsigned)(st.st_mode & 0777)),
               -1;
    return 0;
}

struct seqstore *seqstore_open(const char *dir, char *why, size_t why_len)
{
    const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    struct seqstore *s;
    int fd = open(dir, flags);

    if (fd < 0 && errno == ENOENT && (mkdir(dir, 0700) == 0 || errno == EEXIST))
        fd = open(dir, flags);
    if (fd < 0) {
        snprintf(why, why_len, "cannot open or create the directory %s: %s", dir,
                 errno == ELOOP || errno == ENOTDIR ? "it is a symbolic link or not a directory"
                                                    : strerror(errno));
        return NULL;
    }
    if (handed_over)
        hand_over(fd);
    if (check_owner(fd, true, dir, why, why_len) < 0)
        return close(fd), NULL;
    if (!(s = calloc(1, sizeof(*s)))) {
        snprintf(why, why_len, "out of memory");
        return close(fd), NULL;
    }
    s->dirfd = fd;
    snprintf(s->dir, sizeof(s->dir), "%s", dir);
    return s;
}

void seqstore_close(struct seqstore *s)
{
    if (!s)
        return;
    close(s->dirfd);
    free(s);
}

const char *seqstore_dir(const struct seqstore *s)
{
    return s->dir;
}

/* Reads the mark of id: 0 when there is no file yet. */
static int read_mark(struct seqstore *s, const char *id, uint64_t *mark, char *why, size_t why_len)
{
    char name[ID_HEX + 8], path[400], buf[LINE_MAX_ + 1], want[LINE_MAX_];
    size_t want_len, at = sizeof(FILE_LABEL) - 1 + ID_HEX + 10;
    ssize_t n;
    int fd;

    snprintf(name, sizeof(name), "%s.seq", id);
    snprintf(path, sizeof(path), "%s/%s", s->dir, name);
    *mark = 0;
    fd = openat(s->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0)
        return snprintf(why, why_len, "cannot read %s: %s", path, strerror(errno)), -1;
    if (check_owner(fd, false, path, why, why_len) < 0)
        return close(fd), -1;
    n = read(fd, buf, LINE_MAX_);
    close(fd);
    if (n > (ssize_t)at && n < LINE_MAX_) {
        buf[n] = 0;
        *mark = strtoull(buf + at, NULL, 10);
        if (format_line(id, *mark, want, &want_len) == 0 && (size_t)n == want_len &&
            memcmp(buf, want, want_len) == 0)
            return 0;
    }
    snprintf(why, why_len,
             "%s is damaged, so the last sequence number sent with this key is unknown and "
             "any number could repeat a nonce; give this SA new keys (the file can then go)",
             path);
    return -1;
}

/* Replaces id's mark: temporary file, fsync, rename, fsync of the directory,
 * so that after a crash the file holds the old mark or the new one. */
static int write_mark(struct seqstore *s, const char *id, uint64_t mark, char *why, size_t why_len)
{
    char name[ID_HEX + 8], tmp[ID_HEX + 8], line[LINE_MAX_];
    size_t len;
    int fd, ok;

    snprintf(name, sizeof(name), "%s.seq", id);
    snprintf(tmp, sizeof(tmp), "%s.tmp", id);
    if (format_line(id, mark, line, &len) < 0)
        return snprintf(why, why_len, "SHA-256 failed"), -1;
    fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    ok = fd >= 0 && write(fd, line, len) == (ssize_t)len && fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = 0;
    ok = ok && renameat(s->dirfd, tmp, s->dirfd, name) == 0 && fsync(s->dirfd) == 0;
    if (!ok)
        snprintf(why, why_len, "cannot write %s/%s: %s", s->dir, name, strerror(errno));
    return ok ? 0 : -1;
}

struct seqres *seqres_open(struct seqstore *s, const char *label, const uint8_t *key,
                           size_t key_len, bool esn, uint64_t *first, char *why, size_t why_len)
{
    static const char domain[] = "uipsecd sequence mark id";
    struct seqres *r = calloc(1, sizeof(*r));
    uint8_t md[32];

    if (!r || sha256(domain, sizeof(domain), key, key_len, md) < 0) {
        snprintf(why, why_len, "out of memory");
        return free(r), NULL;
    }
    hex(md, ID_BYTES, r->id);
    OPENSSL_cleanse(md, sizeof(md));
    for (const struct seqres *o = s->open; o; o = o->next)
        if (!strcmp(o->id, r->id)) {
            snprintf(why, why_len,
                     "%s has the same key as %s: each SA needs its own key, or "
                     "both would send the same nonces",
                     label, o->label);
            return free(r), NULL;
        }
    r->end = esn ? UINT64_MAX : UINT32_MAX;
    if (read_mark(s, r->id, &r->mark, why, why_len) < 0)
        return free(r), NULL;
    if (r->mark >= r->end) {
        snprintf(why, why_len,
                 "%s: every sequence number of this key has been used (%s/%s.seq); "
                 "give it new keys",
                 label, s->dir, r->id);
        return free(r), NULL;
    }
    snprintf(r->label, sizeof(r->label), "%s", label);
    r->store = s;
    r->next = s->open;
    s->open = r;
    r->last_seq = r->mark;
    r->block = SEQSTORE_MIN_BLOCK;
    *first = r->mark + 1;
    return r;
}

/* Puts the mark at upto (at most the end of the space) on disk, then lets
 * the SA use numbers up to it. */
static int reserve(struct seqres *r, uint64_t seq, char *why, size_t why_len)
{
    uint64_t upto = r->end - seq < r->block ? r->end : seq + r->block;

    if (upto <= r->mark)
        return 0;
    if (write_mark(r->store, r->id, upto, why, why_len) < 0)
        return -1;
    r->mark = upto;
    uipsec_sa_set_seq_limit(r->sa, upto);
    return 0;
}

static uint64_t last_sent(const struct uipsec_sa *sa)
{
    struct uipsec_sa_stats st;

    uipsec_sa_get_stats(sa, &st);
    return st.seq;
}

int seqres_attach(struct seqres *r, struct uipsec_sa *sa, char *why, size_t why_len)
{
    r->sa = sa;
    uipsec_sa_set_seq_limit(sa, r->mark); /* nothing beyond what is on disk */
    return reserve(r, last_sent(sa), why, why_len);
}

static uint64_t clamp_block(uint64_t b)
{
    return b < SEQSTORE_MIN_BLOCK   ? SEQSTORE_MIN_BLOCK
           : b > SEQSTORE_MAX_BLOCK ? SEQSTORE_MAX_BLOCK
                                    : b;
}

int seqres_tick(struct seqres *r, bool urgent, char *why, size_t why_len)
{
    uint64_t seq = last_sent(r->sa);
    int rc;

    if (urgent) {
        if (r->failed)
            return snprintf(why, why_len, "still failing; next try within a second"), -1;
        r->block = clamp_block(2 * r->block);
    } else {
        /* Four seconds of the last second's rate: a raise every two. */
        uint64_t rate = seq - r->last_seq;

        r->last_seq = seq;
        r->block = clamp_block(rate > r->block / 8 ? 4 * rate : r->block / 2);
        if (r->mark - seq >= r->block / 2 && !r->failed)
            return 0;
    }
    rc = reserve(r, seq, why, why_len);
    r->failed = rc < 0;
    return rc;
}

void seqres_close(struct seqres *r)
{
    char why[300];

    if (!r)
        return;
    for (struct seqres **p = &r->store->open; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            break;
        }
    /* Everything sent is at or below last_sent: the rest of the block is free
     * again.  If this write fails the higher mark stays, which is safe. */
    if (r->sa && last_sent(r->sa) < r->mark)
        write_mark(r->store, r->id, last_sent(r->sa), why, sizeof(why));
    OPENSSL_cleanse(r, sizeof(*r));
    free(r);
}
