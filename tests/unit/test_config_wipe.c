/* SPDX-License-Identifier: MIT */
/*
 * No secret of a configuration file stays in freed memory (issue 8,
 * finding 11).  This program replaces free() and realloc() for the whole
 * process (its definitions win over the C library's), so every block that
 * goes back to the allocator, from the parser, the interpreter or anything
 * they call, is searched for the secrets of the file while armed.  realloc()
 * is a fresh block, a copy and free() of the old one, so that the copies a
 * growing buffer leaves behind are searched too.  Built without the
 * sanitizers, whose allocator this would bypass.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "settings.h"
#include "config.h"

extern void *__libc_malloc(size_t n);
extern void __libc_free(void *p);

/* The PSK (text) and a manual SA's key (hex text in the file). */
#define PSK_MARK "XSECRETX"
#define KEY_MARK "5ec2e75ec2e7"

static volatile int armed; /* volatile: free() is a builtin gcc thinks reads no globals */
static volatile unsigned leaked;

static void check_block(void *p)
{
    size_t n = malloc_usable_size(p);

    if (memmem(p, n, PSK_MARK, strlen(PSK_MARK)) || memmem(p, n, KEY_MARK, strlen(KEY_MARK)))
        leaked++;
}

void free(void *p)
{
    if (p && armed)
        check_block(p);
    __libc_free(p);
}

void *realloc(void *p, size_t n)
{
    void *np;
    size_t old;

    if (!p)
        return __libc_malloc(n);
    if (!n) {
        free(p);
        return NULL;
    }
    np = __libc_malloc(n);
    if (!np)
        return NULL;
    old = malloc_usable_size(p);
    memcpy(np, p, old < n ? old : n);
    free(p);
    return np;
}

/* A file whose PSK (200 bytes: the value buffer grows twice) and
 * manual keys carry the marks. */
static void write_conf(char *path, size_t len)
{
    char psk[201], key[65], text[4096];
    int fd;

    for (size_t i = 0; i < 200; i++)
        psk[i] = PSK_MARK[i % 8];
    psk[200] = '\0';
    for (size_t i = 0; i < 64; i++)
        key[i] = KEY_MARK[i % 12];
    key[64] = '\0';
    snprintf(text, sizeof text,
             "uipsec { interface = uipsec-w0 }\n"
             "connections { c {\n local_addrs = 192.0.2.1\n local { auth = psk }\n"
             " remote { auth = psk }\n children { ch { } }\n} }\n"
             "secrets { ike-any { secret = %s } }\n"
             "manual { net {\n local_addrs = 192.0.2.1\n remote_addrs = 192.0.2.2\n"
             " local_ts = 10.10.1.0/24\n remote_ts = 10.10.2.0/24\n"
             " esp_proposals = aes256-sha256\n"
             " out { spi = 0xc0de0102\n enc_key = 0x%s\n integ_key = 0x%s }\n"
             " in { spi = 0xc0de0201\n enc_key = 0x%s\n integ_key = 0x%s }\n} }\n",
             psk, key, key, key, key);
    snprintf(path, len, "/tmp/uipsec-wipe-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, 0600), 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* The syntax layer: the file buffer, every value buffer as it grows, the
 * tree's values. */
static void test_parse_tree_wiped(void **state)
{
    char path[64], err[SETTINGS_ERR_LEN];
    struct settings_node *root;

    (void)state;
    write_conf(path, sizeof path);
    leaked = 0;
    armed = 1;
    root = settings_parse_file(path, SETTINGS_PRIVATE, err, sizeof err);
    assert_non_null(root);
    settings_free(root);
    armed = 0;
    unlink(path);
    assert_int_equal(leaked, 0);
}

/* The whole load: parse, interpret, free the configuration. */
static void test_config_wiped(void **state)
{
    char path[64], err[600];
    struct cfg cfg;
    int rc;

    (void)state;
    write_conf(path, sizeof path);
    leaked = 0;
    armed = 1;
    rc = cfg_load(path, &cfg, err, sizeof err);
    if (rc == 0)
        cfg_free(&cfg);
    armed = 0;
    unlink(path);
    if (rc != 0)
        fail_msg("refused: %s", err);
    assert_int_equal(leaked, 0);
}

/* The search finds what it looks for: a block freed unwiped is counted. */
static void test_search_works(void **state)
{
    char *p = malloc(64);

    (void)state;
    assert_non_null(p);
    snprintf(p, 64, "psk %s", PSK_MARK);
    leaked = 0;
    armed = 1;
    p = realloc(p, 4096); /* the old copy is searched */
    free(p);
    armed = 0;
    assert_int_equal(leaked, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_works),
        cmocka_unit_test(test_parse_tree_wiped),
        cmocka_unit_test(test_config_wiped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
