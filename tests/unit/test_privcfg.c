/* SPDX-License-Identifier: MIT */
/*
 * The configuration as uipsecd's parent passes it to its unprivileged
 * child (src/daemon/privcfg.c): read back field for field, PSKs and the
 * secrets table gone, the same PSK given the same number across loads,
 * and a short or inconsistent file refused rather than misread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "privcfg.h"

static const char text[] =
    "uipsec { interface = tst0 }\n"
    "connections {\n"
    "  a { remote_addrs = 192.0.2.2\n"
    "    local { auth = psk\n id = a.test }\n"
    "    remote { auth = psk\n id = b.test }\n"
    "    children { c { local_ts = 10.1.0.0/16\n remote_ts = 10.2.0.0/16 } } }\n"
    "  b { remote_addrs = 192.0.2.3\n"
    "    local { auth = psk\n id = a.test }\n"
    "    remote { auth = psk\n id = c.test }\n"
    "    children { d { local_ts = 10.1.0.0/16\n remote_ts = 10.3.0.0/16 } } }\n"
    "}\n"
    "secrets {\n"
    "  ike-1 { id-1 = a.test\n id-2 = b.test\n secret = first-secret-of-16+\n }\n"
    "  ike-2 { id-1 = a.test\n id-2 = c.test\n secret = second-secret-16+\n }\n"
    "}\n";

static const char *names[] = {"first-secret-of-16+", "second-secret-16+"};

/* The test's stand-in for the parent's table: the number of a PSK. */
static uint32_t ids(void *arg, const uint8_t *psk, size_t len)
{
    (void)arg;
    for (uint32_t i = 0; i < 2; i++)
        if (len == strlen(names[i]) && memcmp(psk, names[i], len) == 0)
            return 40 + i;
    return 99;
}

/* No keys in these configurations: never called. */
static uint32_t key_ids(void *arg, EVP_PKEY *key)
{
    (void)arg, (void)key;
    return 77;
}

/* Through a private file, as uipsecd reads its own (0600: keys allowed). */
static void load(struct cfg *cfg)
{
    char err[600] = "", path[] = "/tmp/uipsec-privcfg-XXXXXX";
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
    close(fd);
    if (cfg_load(path, cfg, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    unlink(path);
}

static bool holds(const void *mem, size_t len, const char *s)
{
    return memmem(mem, len, s, strlen(s)) != NULL;
}

static void round_trip_without_secrets(void **state)
{
    struct cfg cfg, back;
    char err[200];
    int fd = memfd_create("test", MFD_CLOEXEC);
    size_t len;

    (void)state;
    assert_true(fd >= 0);
    load(&cfg);
    assert_int_equal(cfg.n_ike_conns, 2);
    assert_true(cfg.n_secrets == 2 && cfg.ike_conns[0].psk_len > 0);
    privcfg_strip(&cfg, ids, key_ids, NULL);
    assert_int_equal(cfg.ike_conns[0].psk_id, 40);
    assert_int_equal(cfg.ike_conns[1].psk_id, 41);
    assert_int_equal(cfg.n_secrets, 0);
    assert_null(cfg.secrets);
    len = privcfg_write(fd, &cfg);
    assert_true(len > sizeof(struct cfg));
    assert_int_equal(privcfg_read(fd, len, &back, err, sizeof(err)), 0);
    assert_string_equal(back.ifname, "tst0");
    assert_int_equal(back.n_ike_conns, 2);
    assert_memory_equal(back.ike_conns, cfg.ike_conns, 2 * sizeof(*cfg.ike_conns));
    assert_int_equal(back.ike_conns[1].psk_len, 0);
    {
        uint8_t *all = malloc(len);

        assert_int_equal(pread(fd, all, len, 0), (ssize_t)len);
        for (int i = 0; i < 2; i++)
            assert_false(holds(all, len, names[i]));
        free(all);
    }
    /* short, long, or not what privcfg_write wrote: refused */
    cfg_free(&back);
    assert_int_equal(privcfg_read(fd, len - 1, &back, err, sizeof(err)), -1);
    assert_int_equal(privcfg_read(fd, len + 1, &back, err, sizeof(err)), -1);
    assert_null(back.ike_conns);
    assert_int_equal(pwrite(fd, "X", 1, 0), 1);
    assert_int_equal(privcfg_read(fd, len, &back, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "malformed"));
    cfg_free(&cfg);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_without_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
