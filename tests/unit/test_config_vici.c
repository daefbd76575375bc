/* SPDX-License-Identifier: MIT */
/*
 * The VICI keys of section uipsec (docs/CONFIGURATION.md): their defaults,
 * their values, and each refusal naming file, line, column and key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <grp.h>

#include "config.h"

static int load(const char *text, struct cfg *cfg, char *err, size_t err_len)
{
    return cfg_load_text(text, strlen(text), "t.conf", cfg, err, err_len);
}

static void test_defaults(void **state)
{
    struct cfg cfg;
    char err[600];

    (void)state;
    assert_int_equal(load("uipsec { }\n", &cfg, err, sizeof err), 0);
    assert_true(cfg.vici);
    assert_string_equal(cfg.vici_path, ""); /* /var/run/charon.vici, not chosen */
    assert_false(cfg.vici_has_group);
    cfg_free(&cfg);
}

static void test_values(void **state)
{
    struct group *g = getgrgid(0);
    char text[400], err[600];
    struct cfg cfg;

    (void)state;
    assert_non_null(g);
    snprintf(text, sizeof text,
             "uipsec {\n  vici = no\n  vici_socket = /run/x.vici\n  vici_group = %s\n}\n",
             g->gr_name);
    assert_int_equal(load(text, &cfg, err, sizeof err), 0);
    assert_false(cfg.vici);
    assert_string_equal(cfg.vici_path, "/run/x.vici");
    assert_true(cfg.vici_has_group);
    assert_int_equal(cfg.vici_group, 0);
    assert_false(cfg.has_group); /* the control socket's stays its own */
    cfg_free(&cfg);
}

static void test_refused(void **state)
{
    static const struct {
        const char *text, *error;
    } cases[] = {
        {"uipsec {\n  vici_socket = run/x.vici\n}\n",
         "t.conf:2:3: vici_socket = run/x.vici: expected an absolute path"},
        {"uipsec {\n  vici_group = no-such-group-here\n}\n",
         "t.conf:2:3: vici_group = no-such-group-here: no such group"},
        {"uipsec {\n  vici = maybe\n}\n", "t.conf:2:3: vici = \"maybe\": expected yes or no"},
    };
    struct cfg cfg;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[600] = "";

        assert_int_equal(load(cases[i].text, &cfg, err, sizeof err), -1);
        if (strncmp(err, cases[i].error, strlen(cases[i].error))) {
            print_error("got \"%s\", want \"%s...\"\n", err, cases[i].error);
            fail();
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
