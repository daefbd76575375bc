/* SPDX-License-Identifier: MIT */
/*
 * uipsecd's ICMP "fragmentation needed" and ICMPv6 "packet too big"
 * answers (src/daemon/icmp.c), byte for byte against scapy's.  The
 * expected answers were built with Debian's python3-scapy 2.5:
 *   IP(src="10.1.0.1", dst="10.1.0.2", ttl=64, id=0, flags=0)
 *     / ICMP(type=3, code=4, nexthopmtu=1400) / raw(P4)[:28]
 *   IPv6(src="2001:db8:1::1", dst="2001:db8:1::2", hlim=64)
 *     / ICMPv6PacketTooBig(mtu=1380) / raw(P6)
 * for P4 = IP(src="10.1.0.2", dst="10.2.0.2", flags="DF", id=7, ttl=63)
 * / UDP(sport=1000, dport=2000) / Raw(b"x" * 60) and P6 its IPv6 twin
 * (b"y" * 60).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bytes.h"
#include "icmp.h"

#define P4 "45000058000740003f1127880a0100020a02000203e807d00044c189" X60
#define X60                                                                                        \
    "787878787878787878787878787878787878787878787878787878787878"                                 \
    "787878787878787878787878787878787878787878787878787878787878"
#define A4                                                                                         \
    "4500003800000000400166c10a0100010a010002030429fe0000057845000058000740003f1127880a0100020a0"  \
    "2000203e807d00044c189"
#define P6_HDR                                                                                     \
    "600000000044113f20010db800010000000000000000000220010db800020000000000000000000203e807d000"   \
    "445bf9"
#define Y60                                                                                        \
    "797979797979797979797979797979797979797979797979797979797979"                                 \
    "797979797979797979797979797979797979797979797979797979797979"
#define A6_HDR                                                                                     \
    "6000000000743a4020010db800010000000000000000000120010db800010000000000000000000202002b480000" \
    "0564"
/* An ICMPv6 destination unreachable behind a destination-options header */
#define E6                                                                                         \
    "6000000000383c4020010db800010000000000000000000220010db800020000000000000000000"              \
    "23a000104000000000100118b00000000"                                                            \
    "7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a"

static const uint8_t from4[4] = {10, 1, 0, 1};
static const uint8_t from6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1};

static size_t answer(const char *pkt_hex, const uint8_t *from, unsigned mtu, uint8_t *out)
{
    struct bytes p = bytes_hex(pkt_hex);
    size_t n = icmp_too_big(p.p, p.len, from, mtu, out);

    free_bytes(&p);
    return n;
}

static void expect(const char *pkt_hex, const uint8_t *from, unsigned mtu, const char *want_hex)
{
    uint8_t out[1280];
    struct bytes want = bytes_hex(want_hex);
    size_t n = answer(pkt_hex, from, mtu, out);

    assert_int_equal(n, want.len);
    assert_memory_equal(out, want.p, want.len);
    free_bytes(&want);
}

static void v4_with_df_is_answered(void **state)
{
    (void)state;
    expect(P4, from4, 1400, A4);
}

static void v4_link_padding_is_not_quoted(void **state)
{
    (void)state;
    expect(P4 "00000000", from4, 1400, A4); /* the answer quotes 28 bytes either way */
}

static void v4_without_df_is_not_answered(void **state)
{
    uint8_t out[1280];
    char hex[sizeof(P4)];

    (void)state;
    memcpy(hex, P4, sizeof(hex));
    hex[12] = '0'; /* flags: DF off (checksum no longer matters) */
    assert_int_equal(answer(hex, from4, 1400, out), 0);
}

static void v6_is_answered(void **state)
{
    (void)state;
    expect(P6_HDR Y60, from6, 1380, A6_HDR P6_HDR Y60);
}

static void v6_icmp_error_behind_an_extension_header_is_not_answered(void **state)
{
    uint8_t out[1280];

    (void)state;
    assert_int_equal(answer(E6, from6, 1280, out), 0);
}

/* An ICMP header the packet does not hold is not read (ASan sees the
 * exact-size copy): a bare IPv4 header with DF and protocol ICMP is
 * answered, quoting all of its 20 bytes. */
static void v4_header_only_is_answered_without_reading_past_it(void **state)
{
    uint8_t out[1280];

    (void)state;
    assert_int_equal(answer("4500001400074000"
                            "3f01"
                            "0000"
                            "0a010002"
                            "0a020002",
                            from4, 1400, out),
                     20 + 8 + 20);
}

static void truncated_and_garbage_are_not_answered(void **state)
{
    uint8_t out[1280];

    (void)state;
    assert_int_equal(answer("45", from4, 1400, out), 0);
    assert_int_equal(answer("4500005800", from4, 1400, out), 0);
    assert_int_equal(answer("60000000004411", from6, 1380, out), 0);
    assert_int_equal(answer("ff", from6, 1380, out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(v4_with_df_is_answered),
        cmocka_unit_test(v4_link_padding_is_not_quoted),
        cmocka_unit_test(v4_without_df_is_not_answered),
        cmocka_unit_test(v6_is_answered),
        cmocka_unit_test(v6_icmp_error_behind_an_extension_header_is_not_answered),
        cmocka_unit_test(v4_header_only_is_answered_without_reading_past_it),
        cmocka_unit_test(truncated_and_garbage_are_not_answered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
