/* SPDX-License-Identifier: MIT */
/*
 * The VICI codec (src/daemon/vici_msg.c) against strongSwan's description
 * of the protocol (its vici plugin's README): the README's encoding example
 * byte for byte, both ways; every rule of the message format broken once
 * and refused; packets of every type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vici_msg.h"

/* The README's example ("Encoding example"): key1 = value1, section1 {
 * sub-section { key2 = value2 } list1 = [ item1, item2 ] }. */
static const uint8_t example[] = {
    3, 4,  'k', 'e', 'y', '1', 0,   6,   'v', 'a', 'l', 'u', 'e', '1', /* */
    1, 8,  's', 'e', 'c', 't', 'i', 'o', 'n', '1',                     /* */
    1, 11, 's', 'u', 'b', '-', 's', 'e', 'c', 't', 'i', 'o', 'n',      /* */
    3, 4,  'k', 'e', 'y', '2', 0,   6,   'v', 'a', 'l', 'u', 'e', '2', /* */
    2,                                                                 /* */
    4, 5,  'l', 'i', 's', 't', '1',                                    /* */
    5, 0,  5,   'i', 't', 'e', 'm', '1', 5,   0,   5,   'i', 't', 'e', 'm', '2', 6, 2};

static void test_encode_example(void **state)
{
    struct vici_buf b;

    (void)state;
    vici_buf_init(&b, 1024);
    vici_begin(&b, VICI_CMD_RESPONSE, "");
    vici_kv(&b, "key1", "%s", "value1");
    vici_section(&b, "section1");
    vici_section(&b, "sub-section");
    vici_kv(&b, "key2", "value%d", 2);
    vici_section_end(&b);
    vici_list(&b, "list1");
    vici_item(&b, "item1");
    vici_item(&b, "item%d", 2);
    vici_list_end(&b);
    vici_section_end(&b);
    assert_true(vici_end(&b));
    /* the transport's length, the unnamed type, then the example */
    assert_int_equal(b.len, 4 + 1 + sizeof example);
    const uint8_t head[] = {0, 0, 0, 1 + sizeof example, VICI_CMD_RESPONSE};

    assert_memory_equal(b.p, head, sizeof head);
    assert_memory_equal(b.p + 5, example, sizeof example);
    vici_buf_free(&b);
}

static void test_decode_example(void **state)
{
    static const uint8_t types[] = {
        VICI_KEY_VALUE,  VICI_SECTION_START, VICI_SECTION_START, VICI_KEY_VALUE, VICI_SECTION_END,
        VICI_LIST_START, VICI_LIST_ITEM,     VICI_LIST_ITEM,     VICI_LIST_END,  VICI_SECTION_END};
    uint8_t msg[sizeof example];
    struct vici_reader r;
    struct vici_elem e;
    char err[200], v[16];
    size_t n = 0;
    int rc;

    (void)state;
    memcpy(msg, example, sizeof msg);
    vici_reader_init(&r, msg, sizeof msg);
    while ((rc = vici_next(&r, &e, err, sizeof err)) > 0) {
        assert_true(n < sizeof types);
        assert_int_equal(e.type, types[n]);
        if (n == 3) {
            assert_int_equal(e.name_len, 4);
            assert_memory_equal(e.name, "key2", 4);
            assert_int_equal(e.value_len, 6);
            assert_memory_equal(e.value, "value2", 6);
        }
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, sizeof types);
    /* only the root's keys are found */
    assert_true(vici_find(msg, sizeof msg, "key1", v, sizeof v));
    assert_string_equal(v, "value1");
    assert_false(vici_find(msg, sizeof msg, "key2", v, sizeof v));
    assert_false(vici_find(msg, sizeof msg, "key1", v, 6)); /* does not fit */
}

static const struct {
    const char *what;
    uint8_t msg[24];
    size_t len;
    const char *error;
} malformed[] = {
    {"unknown element", {9}, 1, "unknown element type 9"},
    {"element type 0", {0}, 1, "unknown element type 0"},
    {"section not closed", {1, 1, 's'}, 3, "message ends inside a section"},
    {"list not closed", {4, 1, 'l'}, 3, "message ends inside a list"},
    {"section end at the root", {2}, 1, "section end without a section"},
    {"item outside a list", {5, 0, 0}, 3, "list item outside a list"},
    {"list end outside a list", {6}, 1, "list end outside a list"},
    {"key inside a list", {4, 1, 'l', 3, 1, 'k', 0, 0, 6}, 9, "key/value inside a list"},
    {"list inside a list", {4, 1, 'l', 4, 1, 'm', 6, 6}, 8, "list start inside a list"},
    {"section inside a list", {4, 1, 'l', 1, 1, 's', 2, 6}, 8, "section start inside a list"},
    {"section end inside a list", {1, 1, 's', 4, 1, 'l', 2}, 7, "section end inside a list"},
    {"no name length", {3}, 1, "key/value: name missing or cut short"},
    {"name cut short", {3, 5, 'k'}, 3, "key/value: name missing or cut short"},
    {"no name", {1}, 1, "section start: name missing or cut short"},
    {"value cut short", {3, 1, 'k', 0, 5, 'v'}, 6, "key/value: value cut short"},
    {"value length cut short", {3, 1, 'k', 0}, 4, "key/value: value cut short"},
    {"item cut short", {4, 1, 'l', 5, 1, 0}, 6, "list item: value cut short"},
};

static void test_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        uint8_t msg[24];
        char err[200] = "";

        memcpy(msg, malformed[i].msg, sizeof msg);
        if (vici_msg_check(msg, malformed[i].len, err, sizeof err) != -1 ||
            strcmp(err, malformed[i].error)) {
            print_error("%s: got \"%s\"\n", malformed[i].what, err);
            fail();
        }
    }
}

/* Sections nest up to VICI_MAX_DEPTH, not one more. */
static void test_depth(void **state)
{
    uint8_t msg[4 * (VICI_MAX_DEPTH + 1)];
    char err[200];
    size_t n = 0;

    (void)state;
    for (int i = 0; i < VICI_MAX_DEPTH; i++)
        msg[n++] = 1, msg[n++] = 1, msg[n++] = 's';
    for (int i = 0; i < VICI_MAX_DEPTH; i++)
        msg[n++] = 2;
    assert_int_equal(vici_msg_check(msg, n, err, sizeof err), 0);
    n = 0;
    for (int i = 0; i <= VICI_MAX_DEPTH; i++)
        msg[n++] = 1, msg[n++] = 1, msg[n++] = 's';
    assert_int_equal(vici_msg_check(msg, n, err, sizeof err), -1);
    assert_string_equal(err, "sections nested deeper than 16");
}

static void test_packets(void **state)
{
    uint8_t req[] = {VICI_CMD_REQUEST, 7, 'v', 'e', 'r', 's', 'i', 'o', 'n'};
    uint8_t reg[] = {VICI_EVENT_REGISTER, 7, 'l', 'i', 's', 't', '-', 's', 'a'};
    uint8_t confirm[] = {VICI_EVENT_CONFIRM};
    uint8_t with_msg[] = {VICI_CMD_REQUEST, 1, 'x', 3, 1, 'k', 0, 1, 'v'};
    uint8_t bad_type[] = {8}, no_name[] = {VICI_EVENT}, cut[] = {VICI_CMD_REQUEST, 3, 'a'};
    uint8_t ctl[] = {VICI_CMD_REQUEST, 2, 'a', '\n'};
    uint8_t empty[] = {1, 0, 3, 0, 0, 0, 2}; /* section "" { "" = "" } */
    struct vici_packet pk;
    char err[200];

    (void)state;
    assert_int_equal(vici_packet_parse(req, sizeof req, &pk, err, sizeof err), 0);
    assert_int_equal(pk.type, VICI_CMD_REQUEST);
    assert_string_equal(pk.name, "version");
    assert_int_equal(pk.msg_len, 0);
    assert_int_equal(vici_packet_parse(reg, sizeof reg, &pk, err, sizeof err), 0);
    assert_string_equal(pk.name, "list-sa");
    assert_int_equal(vici_packet_parse(confirm, sizeof confirm, &pk, err, sizeof err), 0);
    assert_string_equal(pk.name, "");
    assert_int_equal(vici_packet_parse(with_msg, sizeof with_msg, &pk, err, sizeof err), 0);
    assert_int_equal(pk.msg_len, 6);
    assert_int_equal(vici_msg_check(pk.msg, pk.msg_len, err, sizeof err), 0);
    assert_int_equal(vici_packet_parse(bad_type, 1, &pk, err, sizeof err), -1);
    assert_string_equal(err, "unknown packet type 8");
    assert_int_equal(vici_packet_parse(bad_type, 0, &pk, err, sizeof err), -1);
    assert_string_equal(err, "empty packet");
    assert_int_equal(vici_packet_parse(no_name, 1, &pk, err, sizeof err), -1);
    assert_string_equal(err, "packet name missing or cut short");
    assert_int_equal(vici_packet_parse(cut, sizeof cut, &pk, err, sizeof err), -1);
    assert_int_equal(vici_packet_parse(ctl, sizeof ctl, &pk, err, sizeof err), -1);
    assert_string_equal(err, "packet name holds a byte that is not printable ASCII");
    /* empty names are names (charon's global counters are section "") */
    assert_int_equal(vici_msg_check(empty, sizeof empty, err, sizeof err), 0);
}

/* What does not fit is never half written: the packet fails. */
static void test_limits(void **state)
{
    char big[1100];
    struct vici_buf b;

    (void)state;
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    vici_buf_init(&b, 64);
    vici_begin(&b, VICI_EVENT, "list-sa");
    vici_kv(&b, "k", "%s", "fits");
    assert_true(vici_end(&b));
    vici_kv(&b, "k", "%s", big); /* more than one value may hold here */
    assert_false(vici_end(&b));
    vici_begin(&b, VICI_CMD_RESPONSE, ""); /* a new packet starts clean */
    for (int i = 0; i < 10; i++)
        vici_kv(&b, "key", "value"); /* 64 bytes are passed */
    assert_false(vici_end(&b));
    vici_begin(&b, VICI_CMD_RESPONSE, "");
    vici_section(&b, big + sizeof big - 257); /* a name of 256 bytes */
    assert_false(vici_end(&b));
    vici_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_example), cmocka_unit_test(test_decode_example),
        cmocka_unit_test(test_malformed),      cmocka_unit_test(test_depth),
        cmocka_unit_test(test_packets),        cmocka_unit_test(test_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
