/* SPDX-License-Identifier: MIT */
/*
 * The state directory of statically keyed AEAD SAs (src/daemon/seqstore.c):
 * after a crash (a forked child that never closes) or a clean stop, the next
 * SA with the same key starts above every number sent before; a new key
 * starts at 1; a damaged or unsafe file or directory is refused.  Mark
 * files for the boundary cases are written here from the documented format
 * with this file's own SHA-256 call, not with the store's code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "seqstore.h"
#include "testutil.h"

#define INNER   84
#define BUF_LEN (UIPSEC_HEADROOM + 256 + UIPSEC_TAILROOM)

static char base[64], dir[128];
static uint8_t key[36];

static int setup(void **state)
{
    (void)state;
    tmpdir_make(base, sizeof(base), "test_seqstore");
    snprintf(dir, sizeof(dir), "%s/state", base); /* made by the store */
    fill(key, sizeof(key), 0x61);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return tmpdir_remove(base);
}

static struct uipsec_sa *sa_new(uint64_t first, bool esn)
{
    struct uipsec_sa_params p = {.proto = UIPSEC_PROTO_ESP};
    struct uipsec_sa *sa = NULL;

    assert_int_equal(uipsec_suite_parse("aes256gcm16", UIPSEC_PROTO_ESP, &p), UIPSEC_OK);
    p.spi = 0xc0de0001, p.dir = UIPSEC_DIR_OUT, p.mode = UIPSEC_MODE_TUNNEL;
    p.tunnel_src.family = p.tunnel_dst.family = 4;
    p.tunnel_src.bytes[3] = 1, p.tunnel_dst.bytes[3] = 2;
    memcpy(p.enc_key, key, 32);
    memcpy(p.salt, key + 32, 4);
    p.seq = first, p.esn = esn;
    p.backend = UIPSEC_BACKEND_OPENSSL;
    assert_int_equal(uipsec_sa_new(&p, &sa), UIPSEC_OK);
    return sa;
}

static int send_one(struct uipsec_sa *sa)
{
    static uint8_t mem[BUF_LEN];
    struct uipsec_buf b = {mem, BUF_LEN, UIPSEC_HEADROOM, INNER, -1};
    static const uint8_t zero[4];

    memset(mem + UIPSEC_HEADROOM, 0, INNER);
    ipv4_udp(mem + UIPSEC_HEADROOM, INNER, zero, zero);
    uipsec_encap(sa, &b, 1);
    return b.result;
}

static uint64_t last_sent(const struct uipsec_sa *sa)
{
    struct uipsec_sa_stats st;

    uipsec_sa_get_stats(sa, &st);
    return st.seq;
}

struct run {
    struct seqstore *s;
    struct seqres *r;
    struct uipsec_sa *sa;
    uint64_t first;
};

static struct run run_start(bool esn)
{
    struct run x = {0};
    char why[400] = "";

    x.s = seqstore_open(dir, why, sizeof(why));
    if (!x.s)
        fail_msg("seqstore_open: %s", why);
    x.r = seqres_open(x.s, "manual.t", key, sizeof(key), esn, &x.first, why, sizeof(why));
    if (!x.r)
        fail_msg("seqres_open: %s", why);
    x.sa = sa_new(x.first, esn);
    if (seqres_attach(x.r, x.sa, why, sizeof(why)) != 0)
        fail_msg("seqres_attach: %s", why);
    return x;
}

static void run_stop(struct run *x)
{
    seqres_close(x->r);
    uipsec_sa_free(x->sa);
    seqstore_close(x->s);
}

/* The first number a new run gets, or 0 when the store refuses; why. */
static uint64_t first_of_next(bool esn, char *why, size_t why_len)
{
    struct seqstore *s = seqstore_open(dir, why, why_len);
    struct seqres *r;
    uint64_t first = 0;

    if (!s)
        return 0;
    r = seqres_open(s, "manual.t", key, sizeof(key), esn, &first, why, why_len);
    seqres_close(r);
    seqstore_close(s);
    return r ? first : 0;
}

static void crash_and_clean_stop_resume_above(void **state)
{
    struct run x;
    struct stat st;
    pid_t pid;
    int status;
    char why[400];

    (void)state;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* sends 10 packets, then dies without closing */
        x = run_start(false);
        for (int i = 0; i < 10; i++)
            if (send_one(x.sa) != UIPSEC_OK)
                _exit(1);
        _exit(last_sent(x.sa) == 10 ? 0 : 2);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    /* After the crash: above the whole first block, so above the 10 sent. */
    x = run_start(false);
    assert_int_equal(x.first, SEQSTORE_MIN_BLOCK + 1);
    for (int i = 0; i < 5; i++)
        assert_int_equal(send_one(x.sa), UIPSEC_OK);
    run_stop(&x);
    /* After a clean stop: right after the last number sent. */
    assert_int_equal(first_of_next(false, why, sizeof(why)), SEQSTORE_MIN_BLOCK + 6);
    /* Another key starts at 1. */
    key[0] ^= 1;
    assert_int_equal(first_of_next(false, why, sizeof(why)), 1);
    key[0] ^= 1;
}

static void ceiling_follows_the_mark(void **state)
{
    struct run x = run_start(false);
    char why[400];
    uint64_t n = 0;

    (void)state;
    while (send_one(x.sa) == UIPSEC_OK)
        n++;
    assert_int_equal(n, SEQSTORE_MIN_BLOCK); /* exactly the first block */
    assert_int_equal(send_one(x.sa), UIPSEC_E_SEQ_RESERVE);
    assert_int_equal(seqres_tick(x.r, true, why, sizeof(why)), 0);
    assert_int_equal(send_one(x.sa), UIPSEC_OK);
    /* the new mark is on disk before the packet went: a crash now resumes above */
    assert_true(first_of_next(false, why, sizeof(why)) > last_sent(x.sa));
    assert_int_equal(seqres_tick(x.r, false, why, sizeof(why)), 0);
    run_stop(&x);
}

static void same_key_twice_refused(void **state)
{
    struct run x = run_start(false);
    uint64_t first;
    char why[400] = "";

    (void)state;
    assert_null(seqres_open(x.s, "manual.u", key, sizeof(key), false, &first, why, sizeof(why)));
    assert_non_null(strstr(why, "same key as manual.t"));
    run_stop(&x);
}

/* Writes a mark file for the test key, the way docs/CONFIGURATION.md
 * describes it. */
static void write_mark(const char *value, bool good_check)
{
    static const char domain[] = "uipsecd sequence mark id";
    uint8_t buf[sizeof(domain) + sizeof(key)], md[32];
    char id[33], line[200], path[300];
    int n;

    memcpy(buf, domain, sizeof(domain));
    memcpy(buf + sizeof(domain), key, sizeof(key));
    SHA256(buf, sizeof(buf), md);
    for (int i = 0; i < 16; i++)
        sprintf(id + 2 * i, "%02x", md[i]);
    n = snprintf(line, sizeof(line), "uipsecd-seq v1 id=%s reserved=%s", id, value);
    SHA256((const uint8_t *)line, (size_t)n, md);
    n += snprintf(line + n, sizeof(line) - (size_t)n, " check=");
    for (int i = 0; i < 8; i++)
        sprintf(line + n + 2 * i, "%02x", md[i] ^ (good_check ? 0 : i == 7));
    strcat(line, "\n");
    snprintf(path, sizeof(path), "%s/%s.seq", dir, id);
    file_write(path, line, 0600);
}

static void format_and_ends(void **state)
{
    char why[400];

    (void)state;
    seqstore_close(seqstore_open(dir, why, sizeof(why)));
    write_mark("1000", true);
    assert_int_equal(first_of_next(false, why, sizeof(why)), 1001);
    write_mark("4294967294", true);
    assert_int_equal(first_of_next(false, why, sizeof(why)), 4294967295u);
    write_mark("4294967295", true); /* 32-bit space used up; ESN goes on */
    assert_int_equal(first_of_next(false, why, sizeof(why)), 0);
    assert_non_null(strstr(why, "every sequence number of this key has been used"));
    assert_int_equal(first_of_next(true, why, sizeof(why)), 4294967296u);
    write_mark("18446744073709551615", true);
    assert_int_equal(first_of_next(true, why, sizeof(why)), 0);
}

static void damaged_file_refused(void **state)
{
    static const char *const bad[] = {"1000x", "+1000", " 1000", "", "99999999999999999999"};
    char why[400];

    (void)state;
    seqstore_close(seqstore_open(dir, why, sizeof(why)));
    write_mark("1000", false); /* check does not match */
    assert_int_equal(first_of_next(false, why, sizeof(why)), 0);
    assert_non_null(strstr(why, "is damaged"));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_mark(bad[i], true);
        assert_int_equal(first_of_next(false, why, sizeof(why)), 0);
        assert_non_null(strstr(why, "is damaged"));
    }
}

static void unsafe_file_or_dir_refused(void **state)
{
    char why[400], path[300], cmd[400];

    (void)state;
    seqstore_close(seqstore_open(dir, why, sizeof(why)));
    write_mark("5", true);
    snprintf(cmd, sizeof(cmd), "chmod 666 %s/*.seq", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(first_of_next(false, why, sizeof(why)), 0);
    assert_non_null(strstr(why, "group or others may write"));
    if (geteuid() == 0) { /* a file someone else owns */
        snprintf(cmd, sizeof(cmd), "chmod 600 %s/*.seq && chown 1 %s/*.seq", dir, dir);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(first_of_next(false, why, sizeof(why)), 0);
        assert_non_null(strstr(why, "is owned by uid 1"));
    }
    chmod(dir, 0777);
    assert_null(seqstore_open(dir, why, sizeof(why)));
    assert_non_null(strstr(why, "group or others may write"));
    chmod(dir, 0700);
    snprintf(path, sizeof(path), "%s/link", base);
    assert_int_equal(symlink(dir, path), 0);
    assert_null(seqstore_open(path, why, sizeof(why)));
    assert_non_null(strstr(why, "symbolic link"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(crash_and_clean_stop_resume_above, setup, teardown),
        cmocka_unit_test_setup_teardown(ceiling_follows_the_mark, setup, teardown),
        cmocka_unit_test_setup_teardown(same_key_twice_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(format_and_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(damaged_file_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(unsafe_file_or_dir_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
