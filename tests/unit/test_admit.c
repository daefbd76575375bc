/* SPDX-License-Identifier: MIT */
/*
 * Admission of unauthenticated IKE work (src/daemon/admit.c): the request
 * rate that means "under load", prefixes (an IPv6 /64 is one source),
 * full answers per prefix, the back-off of failed authentications per
 * source and per identity (schedule, bound, forgiveness, forgetting), the
 * rate-limited log with its summary, and the fixed tables' recycling.
 * Time is given by the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "admit.h"
#include "log.h"

static struct uipsec_addr v4(uint8_t a, uint8_t b)
{
    return (struct uipsec_addr){.family = 4, .bytes = {10, 0, a, b}};
}

static struct uipsec_addr v6(const char *text)
{
    struct uipsec_addr x = {.family = 6};

    assert_int_equal(inet_pton(AF_INET6, text, x.bytes), 1);
    return x;
}

static struct ike_id fqdn(const char *name)
{
    struct ike_id id;

    assert_int_equal(ike_id_set(&id, IKE_ID_FQDN, name), UIPSEC_OK);
    return id;
}

static void test_init_rate(void **state)
{
    struct admit *a = admit_new();
    uint64_t t = 5000;

    (void)state;
    for (int i = 0; i < ADMIT_INIT_BURST; i++)
        assert_false(admit_init_busy(a, t));
    assert_true(admit_init_busy(a, t)); /* the 101st in the same instant */
    assert_true(admit_init_busy(a, t + 5));
    assert_false(admit_init_busy(a, t + 10)); /* 100 a second: one per 10 ms */
    assert_true(admit_init_busy(a, t + 10));
    assert_false(admit_init_busy(a, t + 2000));
    admit_free(a);
}

static void test_prefixes(void **state)
{
    struct admit *a = admit_new();
    struct uipsec_addr x1 = v6("2001:db8:1:2::1"), x2 = v6("2001:db8:1:2:ffff::9"),
                       y = v6("2001:db8:1:3::1"), p = v4(1, 1), q = v4(1, 2);
    uint8_t k1[9], k2[9];
    struct admit_ho h[3];

    (void)state;
    admit_prefix(&x1, k1);
    admit_prefix(&x2, k2);
    assert_memory_equal(k1, k2, 9);
    admit_half_open_add(a, &x1, &h[0], false);
    admit_half_open_add(a, &x2, &h[1], false);
    admit_half_open_add(a, &p, &h[2], false);
    assert_int_equal(admit_half_open(a, &x1), 2); /* one /64 */
    assert_int_equal(admit_half_open(a, &y), 0);
    assert_int_equal(admit_half_open(a, &p), 1); /* IPv4: the address */
    assert_int_equal(admit_half_open(a, &q), 0);
    admit_half_open_del(a, &h[1], false, 1000);
    admit_half_open_del(a, &h[2], false, 1000);
    admit_half_open_del(a, &h[2], false, 1000); /* not twice */
    assert_int_equal(admit_half_open(a, &x1), 1);
    assert_int_equal(admit_half_open(a, &p), 0);
    admit_free(a);
}

static void test_response_rate(void **state)
{
    struct admit *a = admit_new();
    struct uipsec_addr p = v4(2, 1), q = v4(2, 2);

    (void)state;
    for (int i = 0; i < ADMIT_RESPONSE_BURST; i++)
        assert_true(admit_response_ok(a, &p, false, 1000));
    assert_false(admit_response_ok(a, &p, false, 1000));
    assert_false(admit_response_ok(a, &p, true, 1000)); /* a cookie alone: no more */
    assert_true(admit_response_ok(a, &q, false, 1000)); /* another source's budget */
    assert_false(admit_response_ok(a, &p, false, 1100));
    assert_true(admit_response_ok(a, &p, false, 1200)); /* 5 a second */
    assert_false(admit_response_ok(a, &p, false, 1200));
    admit_free(a);
}

/* The wait after n failures in a row from one source. */
static void test_backoff_schedule(void **state)
{
    struct admit *a = admit_new();
    struct uipsec_addr p = v4(3, 1);
    struct ike_id id = fqdn("moon");
    const char *why = "";
    uint64_t t = 10000;

    (void)state;
    assert_int_equal(admit_auth_wait(a, &id, &p, t, &why), 0);
    admit_auth_result(a, &id, &p, false, NULL, t);
    assert_int_equal(admit_auth_wait(a, &id, &p, t, &why), 0); /* ADMIT_AUTH_FREE = 2 */
    admit_auth_result(a, &id, &p, false, NULL, t);
    assert_int_equal(admit_auth_wait(a, &id, &p, t, &why), 1000);
    assert_int_equal(admit_auth_wait(a, &id, &p, t + 400, &why), 600);
    assert_int_equal(admit_auth_wait(a, &id, &p, t + 1000, &why), 0);
    for (uint64_t wait = 2000; wait <= 32000; wait *= 2) {
        t += 100000; /* each failure once its wait is over */
        admit_auth_result(a, &id, &p, false, NULL, t);
        assert_int_equal(admit_auth_wait(a, &id, &p, t, &why), wait);
    }
    for (int i = 0; i < 40; i++) { /* bounded */
        t += 70000;
        admit_auth_result(a, &id, &p, false, NULL, t);
        assert_int_equal(admit_auth_wait(a, &id, &p, t, &why), ADMIT_AUTH_BACKOFF_MAX_MS);
    }
    admit_auth_result(a, &id, &p, true, NULL, t + 60000); /* a success forgives */
    assert_int_equal(admit_auth_wait(a, &id, &p, t + 60000, &why), 0);
    admit_auth_result(a, &id, &p, false, NULL, t + 60000);
    assert_int_equal(admit_auth_wait(a, &id, &p, t + 60000, &why), 0); /* counted from 1 */
    admit_free(a);
}

/* One identity guessed at from many sources backs off too; time forgets. */
static void test_identity_and_forgetting(void **state)
{
    struct admit *a = admit_new();
    struct ike_id moon = fqdn("moon"), sun = fqdn("sun"), other = fqdn("other");
    struct uipsec_addr p = v4(4, 1), elsewhere = v4(6, 6);
    const char *why = "";
    uint64_t t = 20000;

    (void)state;
    for (uint8_t i = 0; i < 3; i++) {
        struct uipsec_addr s = v4(5, i);

        admit_auth_result(a, &moon, &s, false, NULL, t);
    }
    assert_int_equal(admit_auth_wait(a, &moon, &p, t, &why), 2000); /* 3rd failure of moon */
    assert_string_equal(why, "identity");
    assert_int_equal(admit_auth_wait(a, &sun, &p, t, &why), 0); /* not sun, not p */
    /* a source that failed twice waits, whatever identity it claims */
    admit_auth_result(a, &sun, &p, false, NULL, t);
    admit_auth_result(a, &sun, &p, false, NULL, t);
    assert_int_equal(admit_auth_wait(a, &other, &p, t, &why), 1000);
    assert_string_equal(why, "source");
    /* ADMIT_AUTH_FORGET_S without a failure: counted from 1 again */
    t += (uint64_t)ADMIT_AUTH_FORGET_S * 1000;
    admit_auth_result(a, &moon, &p, false, NULL, t);
    assert_int_equal(admit_auth_wait(a, &moon, &elsewhere, t, &why), 0);
    admit_free(a);
}

/* One line per source per ADMIT_LOG_QUIET_S, then a summary. */
static void test_log_summary(void **state)
{
    char path[] = "/tmp/uipsec-admit-XXXXXX", text[4096];
    struct admit *a = admit_new();
    struct uipsec_addr p = v4(7, 1);
    struct ike_id id = fqdn("moon");
    const char *why;
    int fd = mkstemp(path), saved = dup(2);
    FILE *f;
    size_t n;

    (void)state;
    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    assert_int_equal(dup2(fd, 2), 2);
    for (int i = 0; i < 50; i++) {
        admit_auth_result(a, &id, &p, false, NULL, 1000 + (uint64_t)i);
        admit_auth_wait(a, &id, &p, 1000 + (uint64_t)i, &why);
    }
    admit_tick(a, 5000); /* still quiet */
    admit_tick(a, 11001);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    f = fdopen(fd, "r");
    rewind(f);
    n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    assert_non_null(strstr(text, "authentication of moon from 10.0.7.1 failed (1 in a row"));
    assert_non_null(strstr(text, "98 failed or refused authentications from 10.0.7.1 suppressed"));
    n = 0;
    for (const char *s = text; (s = strchr(s, '\n')); s++)
        n++;
    assert_int_equal(n, 2);
    admit_free(a);
}

/* The tables are fixed: the least recently used prefix is recycled, never
 * one that holds half-open SAs. */
static void test_recycling(void **state)
{
    struct admit *a = admit_new();
    struct uipsec_addr pinned = v4(8, 1), first = v4(8, 2);
    struct admit_ho h;

    (void)state;
    admit_half_open_add(a, &pinned, &h, false);
    for (int i = 0; i < ADMIT_RESPONSE_BURST; i++)
        assert_true(admit_response_ok(a, &first, false, 1000));
    assert_false(admit_response_ok(a, &first, false, 1000));
    for (unsigned i = 0; i < ADMIT_PREFIXES; i++) {
        struct uipsec_addr x = {.family = 4, .bytes = {11, (uint8_t)(i >> 8), (uint8_t)i, 1}};

        assert_true(admit_response_ok(a, &x, false, 1000));
    }
    assert_true(admit_response_ok(a, &first, false, 1000)); /* forgotten: a fresh budget */
    assert_int_equal(admit_half_open(a, &pinned), 1);
    admit_free(a);
}

/* Progress earns half-open SAs: cookie-proven requests of a prefix whose
 * SAs complete IKE_AUTH get ADMIT_CREDIT_PER_DONE more per completion,
 * and answers beyond ADMIT_RESPONSE_RATE; unfinished cookie-proven SAs
 * halve the credit, cookie-less ones (anyone's, spoofed) do not; idle
 * credit is forgotten. */
static void test_progress_credit(void **state)
{
    struct admit *a = admit_new();
    struct uipsec_addr gw = v4(9, 1);
    struct admit_ho h[40];
    uint64_t t = 5000;

    (void)state;
    assert_int_equal(admit_window(a, &gw, false, t), ADMIT_HALF_OPEN_PER_PREFIX);
    assert_int_equal(admit_window(a, &gw, true, t), 2 * ADMIT_HALF_OPEN_PER_PREFIX);
    for (int i = 0; i < 10; i++)
        admit_half_open_add(a, &gw, &h[i], true);
    for (int i = 0; i < 10; i++)
        admit_half_open_del(a, &h[i], true, t); /* all completed */
    assert_int_equal(admit_window(a, &gw, true, t), 10 + 10 * ADMIT_CREDIT_PER_DONE);
    assert_int_equal(admit_window(a, &gw, false, t), ADMIT_HALF_OPEN_PER_PREFIX);
    for (int i = 0; i < 100; i++) /* no answer rate limit for it, with a cookie */
        assert_true(admit_response_ok(a, &gw, true, t));
    /* a cookie-less SA under its address that expires: no cost */
    admit_half_open_add(a, &gw, &h[0], false);
    admit_half_open_del(a, &h[0], false, t);
    assert_int_equal(admit_window(a, &gw, true, t), 30);
    /* a cookie-proven one that fails: halved */
    admit_half_open_add(a, &gw, &h[0], true);
    admit_half_open_del(a, &h[0], false, t);
    assert_int_equal(admit_window(a, &gw, true, t), 20);
    /* bounded */
    for (int n = 0; n < 1000; n++) {
        admit_half_open_add(a, &gw, &h[0], true);
        admit_half_open_del(a, &h[0], true, t);
    }
    assert_int_equal(admit_window(a, &gw, true, t), ADMIT_HALF_OPEN_PREFIX_MAX);
    /* with credit, failures of one identity back off that identity only */
    struct ike_id bad = fqdn("bad.example"), good = fqdn("good.example");
    const char *why = NULL;
    for (int i = 0; i < 5; i++)
        admit_auth_result(a, &bad, &gw, false, NULL, t);
    assert_int_equal(admit_auth_wait(a, &good, &gw, t, &why), 0);
    assert_true(admit_auth_wait(a, &bad, &gw, t, &why) > 0);
    assert_string_equal(why, "identity");
    /* forgotten without progress */
    t += (uint64_t)ADMIT_CREDIT_FORGET_S * 1000;
    assert_int_equal(admit_window(a, &gw, true, t), 2 * ADMIT_HALF_OPEN_PER_PREFIX);
    int answered = 0;
    for (int i = 0; i < 100; i++) /* and the answer rate is the common one again */
        answered += admit_response_ok(a, &gw, true, t);
    assert_int_equal(answered, ADMIT_RESPONSE_BURST);
    admit_free(a);
}

/* The table full: the victim is the oldest SA of the prefix holding most
 * that it has not earned, never one of a prefix holding as many as the
 * newcomer's, never the newcomer's own. */
static void test_victim(void **state)
{
    struct admit *a = admit_new();
    struct uipsec_addr gw = v4(10, 1), f1 = v4(10, 2), f2 = v4(10, 3), honest = v4(10, 4);
    struct admit_ho g[30], x1[10], x2[10];
    uint64_t t = 1000;

    (void)state;
    assert_null(admit_victim(a, &honest)); /* nothing held */
    for (int i = 0; i < 10; i++) {         /* the gateway earns 20 */
        admit_half_open_add(a, &gw, &g[i], true);
        admit_half_open_del(a, &g[i], true, t);
    }
    for (int i = 0; i < 30; i++) /* and holds 30: 10 unearned */
        admit_half_open_add(a, &gw, &g[i], true);
    for (int i = 0; i < 10; i++)
        admit_half_open_add(a, &f1, &x1[i], true);
    for (int i = 0; i < 9; i++)
        admit_half_open_add(a, &f2, &x2[i], true);
    /* top: 10 unearned (gateway and f1); both newer than f2's */
    struct admit_ho *v = admit_victim(a, &honest);
    assert_true(v == &x1[0] || v == &g[0]);
    assert_null(admit_victim(a, &f1)); /* f1 holds as many as any */
    v = admit_victim(a, &f2);          /* f2 holds 9: takes from a 10 */
    assert_true(v == &x1[0] || v == &g[0]);
    admit_half_open_del(a, &g[29], true, t); /* the gateway progresses */
    assert_ptr_equal(admit_victim(a, &honest), &x1[0]);
    assert_ptr_equal(admit_victim(a, &f2), &x1[0]);
    admit_half_open_del(a, &x1[0], false, t);           /* evicted */
    assert_ptr_equal(admit_victim(a, &honest), &x1[1]); /* f1 and f2 at 9: the newer to move */
    assert_null(admit_victim(a, &f2));
    admit_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rate),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_response_rate),
        cmocka_unit_test(test_backoff_schedule),
        cmocka_unit_test(test_identity_and_forgetting),
        cmocka_unit_test(test_log_summary),
        cmocka_unit_test(test_recycling),
        cmocka_unit_test(test_progress_credit),
        cmocka_unit_test(test_victim),
    };

    log_set_level(LOG_INFO);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
