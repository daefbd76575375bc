/* SPDX-License-Identifier: MIT */
/*
 * The daemon's control request decoder (src/daemon/ctl_request.c) against
 * docs/CONTROL.md, "Request": each refusal the document lists, in its
 * words, and the commands with their arguments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_request.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char *line, *error;
} refused[] = {
    {"", "request is not one JSON object on one line"},
    {"[1]", "request is not one JSON object on one line"},
    {"{\"command\":\"status\"} x", "request is not one JSON object on one line"},
    {"{\"command\":\"status\"}\v", "request is not one JSON object on one line"},
    {"{}", "missing field 'command'"},
    {"{\"command\":7}", "field 'command' must be a string"},
    {"{\"command\":\"lst-sas\"}", "unknown command 'lst-sas'"},
    {"{\"command\":\"st\\u0001\"}", "unknown command 'st?'"},
    {"{\"command\":\"status\",\"command\":\"status\"}", "field 'command' given twice"},
    {"{\"command\":\"status\",\"child\":\"x\"}", "unknown field 'child' for command 'status'"},
    {"{\"command\":\"initiate\"}", "missing field 'child' for command 'initiate'"},
    {"{\"command\":\"initiate\",\"child\":\"a\",\"child\":\"b\"}", "field 'child' given twice"},
    {"{\"command\":\"initiate\",\"child\":\"\"}",
     "field 'child' must be a string of 1 to 255 bytes without control characters"},
    {"{\"command\":\"initiate\",\"child\":\"a\\nb\"}",
     "field 'child' must be a string of 1 to 255 bytes without control characters"},
    {"{\"command\":\"initiate\",\"child\":3}",
     "field 'child' must be a string of 1 to 255 bytes without control characters"},
    {"{\"command\":\"initiate\",\"child\":\"a\",\"timeout\":0}",
     "field 'timeout' must be a whole number of seconds from 1 to 3599"},
    {"{\"command\":\"initiate\",\"child\":\"a\",\"timeout\":1.5}",
     "field 'timeout' must be a whole number of seconds from 1 to 3599"},
    {"{\"command\":\"initiate\",\"child\":\"a\",\"timeout\":3600}",
     "field 'timeout' must be a whole number of seconds from 1 to 3599"},
    {"{\"command\":\"terminate\"}", "command 'terminate' takes exactly one of 'ike' and 'child'"},
    {"{\"command\":\"terminate\",\"ike\":\"a\",\"child\":\"b\"}",
     "command 'terminate' takes exactly one of 'ike' and 'child'"},
};

static void test_refusals(void **state)
{
    struct ctl_request r;
    char err[CTL_ERR_LEN];

    (void)state;
    for (size_t i = 0; i < COUNT(refused); i++) {
        int rc = ctl_request_decode(refused[i].line, strlen(refused[i].line), &r, err, sizeof err);

        if (rc != -1 || r.json || strcmp(err, refused[i].error) != 0)
            fail_msg("%s: rc %d, \"%s\", want \"%s\"", refused[i].line, rc, err, refused[i].error);
    }
}

/* A NUL byte, and a line of 4096 bytes (the "\n" would be the 4097th). */
static void test_nul_and_length(void **state)
{
    static char line[CTL_MAX_REQUEST];
    struct ctl_request r;
    char err[CTL_ERR_LEN];

    (void)state;
    assert_int_equal(ctl_request_decode("{\"command\":\"status\"}\0", 21, &r, err, sizeof err), -1);
    assert_string_equal(err, "request holds a NUL byte");
    memset(line, ' ', sizeof line);
    memcpy(line, "{\"command\":\"status\"}", 20);
    assert_int_equal(ctl_request_decode(line, sizeof line, &r, err, sizeof err), -1);
    assert_string_equal(err, "request is longer than 4096 bytes");
    assert_int_equal(ctl_request_decode(line, sizeof line - 1, &r, err, sizeof err), 0);
    cJSON_Delete(r.json);
}

static void test_accepted(void **state)
{
    struct ctl_request r;
    char err[CTL_ERR_LEN];
    const char *in = " {\"timeout\":30,\"command\":\"initiate\",\"child\":\"net\"}\t\r";

    (void)state;
    assert_int_equal(ctl_request_decode(in, strlen(in), &r, err, sizeof err), 0);
    assert_int_equal(r.cmd, CTL_INITIATE);
    assert_string_equal(r.child, "net");
    assert_null(r.ike);
    assert_int_equal(r.timeout, 30);
    cJSON_Delete(r.json);
    in = "{\"command\":\"terminate\",\"ike\":\"gcm256\"}";
    assert_int_equal(ctl_request_decode(in, strlen(in), &r, err, sizeof err), 0);
    assert_int_equal(r.cmd, CTL_TERMINATE);
    assert_string_equal(r.ike, "gcm256");
    assert_null(r.child);
    cJSON_Delete(r.json);
    for (int c = 0; c < CTL_CMD_COUNT; c++) {
        char line[64];

        if (c == CTL_INITIATE || c == CTL_TERMINATE)
            continue;
        snprintf(line, sizeof line, "{\"command\":\"%s\"}", ctl_cmd_name((enum ctl_cmd)c));
        assert_int_equal(ctl_request_decode(line, strlen(line), &r, err, sizeof err), 0);
        assert_int_equal(r.cmd, c);
        cJSON_Delete(r.json);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_nul_and_length),
        cmocka_unit_test(test_accepted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
