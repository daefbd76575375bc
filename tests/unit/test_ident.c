/* SPDX-License-Identifier: MIT */
/* IKE identities for certificates (src/ike/ident.c) against independent
 * references: certificates strongSwan's pki and openssl made at test time
 * (tests/unit/ident_pki.sh passes their folder as argv[1]), and
 * strongSwan's documented DN syntax and wildcard ranking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <openssl/pem.h>

#include "ident.h"
#include "ike_wire.h"
#include "ikesa.h"

static const char *pki_dir; /* NULL: no pki, certificate cases skipped */

/* ---- helpers ---- */

static void read_text(const char *name, const char *ext, char *buf, size_t len)
{
    char path[512];
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "%s/%s.%s", pki_dir, name, ext);
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static X509 *load_cert(const char *name)
{
    char path[512];
    FILE *f;
    X509 *cert;

    snprintf(path, sizeof path, "%s/%s.pem", pki_dir, name);
    f = fopen(path, "r");
    assert_non_null(f);
    cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(cert);
    return cert;
}

static struct ike_id dn(const char *text)
{
    struct ike_id id;
    char why[512] = "";

    if (ike_id_parse_dn(&id, text, why, sizeof why) != 0)
        fail_msg("%s: %s", text, why);
    assert_int_equal(id.type, IKE_ID_DER_ASN1_DN);
    return id;
}

static struct ike_id text_id(uint8_t type, const char *text)
{
    struct ike_id id;

    assert_int_equal(ike_id_set(&id, type, text), UIPSEC_OK);
    return id;
}

static int match_text(const struct ike_id *pattern, uint8_t type, const char *text)
{
    struct ike_id got = text_id(type, text);

    return ike_id_match(pattern, &got);
}

static void expect_parse_error(const char *text, const char *needle)
{
    struct ike_id id;
    char why[512] = "";

    assert_int_equal(ike_id_parse_dn(&id, text, why, sizeof why), -1);
    if (!strstr(why, needle))
        fail_msg("%s: \"%s\" lacks \"%s\"", text, why, needle);
    assert_int_equal(id.type, 0);
    assert_int_equal(id.len, 0);
}

/* ike_id_print, and ike_id_format (logs, status) the same. */
static void expect_print(const struct ike_id *id, const char *want)
{
    char buf[600];

    ike_id_print(id, buf, sizeof buf);
    assert_string_equal(buf, want);
    memset(buf, 'x', sizeof buf);
    assert_int_equal(ike_id_format(id, buf, sizeof buf), strlen(want));
    assert_string_equal(buf, want);
}

/* ---- DN text against pki's DER ---- */

/* Our DER for pki's text is byte-for-byte the subject pki wrote: same
 * OIDs, string types and order, for every attribute strongSwan knows. */
static void test_dn_der_equals_pki(void **state)
{
    static const char *const certs[] = {"moon", "sun", "attrs1", "attrs2", "slash"};
    char text[512];

    (void)state;
    if (!pki_dir)
        skip();
    for (size_t i = 0; i < sizeof certs / sizeof certs[0]; i++) {
        X509 *cert = load_cert(certs[i]);
        struct ike_id of_cert, parsed;

        read_text(certs[i], "dn", text, sizeof text);
        parsed = dn(text);
        assert_int_equal(ike_id_of_cert(cert, &of_cert), 0);
        assert_int_equal(of_cert.type, IKE_ID_DER_ASN1_DN);
        if (of_cert.len != parsed.len || memcmp(of_cert.data, parsed.data, parsed.len) != 0)
            fail_msg("%s: DER of \"%s\" differs from pki's", certs[i], text);
        assert_int_equal(ike_id_match(&parsed, &of_cert), IKE_ID_MATCH_PERFECT);
        assert_true(ike_id_in_cert(cert, &parsed));
        X509_free(cert);
    }
}

/* openssl writes UTF8String where pki writes PrintableString: other
 * bytes, one name (X509_NAME_cmp), and the certificate confirms it. */
static void test_dn_other_string_types(void **state)
{
    struct ike_id ours = dn("C=CH, O=strongSwan, CN=moon.strongswan.org"), theirs;
    struct ike_id upper = dn("C=CH, O=STRONGSWAN, CN=Moon.StrongSwan.org");
    X509 *cert;

    (void)state;
    if (!pki_dir)
        skip();
    cert = load_cert("utf8");
    assert_int_equal(ike_id_of_cert(cert, &theirs), 0);
    assert_false(theirs.len == ours.len && memcmp(theirs.data, ours.data, ours.len) == 0);
    assert_int_equal(ike_id_match(&ours, &theirs), IKE_ID_MATCH_PERFECT);
    assert_int_equal(ike_id_match(&theirs, &ours), IKE_ID_MATCH_PERFECT);
    assert_int_equal(ike_id_match(&upper, &theirs), IKE_ID_MATCH_PERFECT);
    assert_true(ike_id_in_cert(cert, &ours));
    X509_free(cert);
}

static void test_in_cert(void **state)
{
    static const struct {
        uint8_t type;
        const char *text;
        bool confirmed;
    } cases[] = {
        {IKE_ID_FQDN, "moon.strongswan.org", true},
        {IKE_ID_FQDN, "MOON.strongSwan.ORG", true},
        {IKE_ID_FQDN, "sun.strongswan.org", false},
        {IKE_ID_FQDN, "moon.strongswan.or", false},
        {IKE_ID_RFC822_ADDR, "moon@strongswan.org", true},
        {IKE_ID_RFC822_ADDR, "carol@strongswan.org", false},
        {IKE_ID_RFC822_ADDR, "moon.strongswan.org", false}, /* a dNSName, no rfc822Name */
        {IKE_ID_IPV4_ADDR, "192.168.0.1", true},
        {IKE_ID_IPV4_ADDR, "192.168.0.2", false},
        {IKE_ID_IPV6_ADDR, "fec0::1", true},
        {IKE_ID_IPV6_ADDR, "fec0::2", false},
        {IKE_ID_KEY_ID, "moon", false},
    };
    struct ike_id id;
    X509 *moon, *sun;

    (void)state;
    if (!pki_dir)
        skip();
    moon = load_cert("moon");
    sun = load_cert("sun");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        id = text_id(cases[i].type, cases[i].text);
        if (ike_id_in_cert(moon, &id) != cases[i].confirmed)
            fail_msg("%s (type %u): not %d", cases[i].text, cases[i].type, cases[i].confirmed);
    }
    id = dn("C=CH, O=strongSwan, CN=moon.strongswan.org");
    assert_true(ike_id_in_cert(moon, &id));
    assert_false(ike_id_in_cert(sun, &id));
    id = dn("C=CH, O=strongSwan, CN=*"); /* confirming is equality, not matching */
    assert_false(ike_id_in_cert(moon, &id));
    id = text_id(IKE_ID_IPV4_ADDR, "192.168.0.1");
    id.len = 3; /* a short address from the network */
    assert_false(ike_id_in_cert(moon, &id));
    id = text_id(IKE_ID_IPV6_ADDR, "fec0::1");
    id.type = IKE_ID_IPV4_ADDR; /* 16 bytes said to be IPv4 are not the IPv6 SAN */
    assert_false(ike_id_in_cert(moon, &id));
    X509_free(moon);
    X509_free(sun);
}

/* The CN is no subjectAltName: strongSwan refuses it, so do we. */
static void test_in_cert_not_cn(void **state)
{
    struct ike_id id = text_id(IKE_ID_FQDN, "sun.strongswan.org");
    X509 *sun;

    (void)state;
    if (!pki_dir)
        skip();
    sun = load_cert("sun");
    assert_false(ike_id_in_cert(sun, &id));
    id = dn("C=CH, O=strongSwan, CN=sun.strongswan.org");
    assert_true(ike_id_in_cert(sun, &id));
    X509_free(sun);
}

/* A subject too long for an IKE ID: refused by both, with the reason. */
static void test_dn_too_long(void **state)
{
    char text[512];
    struct ike_id id;
    X509 *cert;

    (void)state;
    if (!pki_dir)
        skip();
    cert = load_cert("long");
    assert_int_equal(ike_id_of_cert(cert, &id), -1);
    assert_int_equal(id.len, 0);
    read_text("long", "dn", text, sizeof text);
    expect_parse_error(text, "bytes in DER; an IKE ID holds at most 255");
    X509_free(cert);
}

/* Printed DNs are what `openssl x509 -subject -nameopt ...` prints. */
static void test_print_dn_as_openssl(void **state)
{
    static const char *const certs[] = {"moon", "attrs1", "attrs2", "slash", "utf8"};
    char want[600], got[600];

    (void)state;
    if (!pki_dir)
        skip();
    for (size_t i = 0; i < sizeof certs / sizeof certs[0]; i++) {
        X509 *cert = load_cert(certs[i]);
        struct ike_id id;

        assert_int_equal(ike_id_of_cert(cert, &id), 0);
        read_text(certs[i], "subject", want, sizeof want);
        ike_id_print(&id, got, sizeof got);
        assert_string_equal(got, want);
        X509_free(cert);
    }
    read_text("moon", "dn", want, sizeof want); /* and the text pki was given */
    ike_id_print(&(struct ike_id){0}, got, sizeof got);
    assert_string_equal(got, "%any");
    {
        struct ike_id id = dn(want);

        expect_print(&id, want);
    }
}

/* ---- matching ---- */

static void test_match_dn(void **state)
{
    struct ike_id moon = dn("C=CH, O=strongSwan, CN=moon.strongswan.org");
    struct ike_id p;

    (void)state;
    assert_int_equal(ike_id_match(&moon, &moon), IKE_ID_MATCH_PERFECT);
    p = dn("C=CH, O=strongSwan, CN=*");
    assert_int_equal(ike_id_match(&p, &moon), IKE_ID_MATCH_WILDCARDS - 1);
    p = dn("c=ch, o=STRONGSWAN, cn=*"); /* values compare canonically */
    assert_int_equal(ike_id_match(&p, &moon), IKE_ID_MATCH_WILDCARDS - 1);
    p = dn("C=CH, O=*, CN=*");
    assert_int_equal(ike_id_match(&p, &moon), IKE_ID_MATCH_WILDCARDS - 2);
    p = dn("C=*, O=*, CN=*");
    assert_int_equal(ike_id_match(&p, &moon), IKE_ID_MATCH_WILDCARDS - 3);
    p = dn("C=DE, O=*, CN=*");
    assert_int_equal(ike_id_match(&p, &moon), IKE_ID_MATCH_NONE);
    p = dn("C=CH, CN=*, O=strongSwan"); /* order */
    assert_int_equal(ike_id_match(&p, &moon), IKE_ID_MATCH_NONE);
    p = dn("C=CH, O=strongSwan, OU=*, CN=*"); /* count */
    assert_int_equal(ike_id_match(&p, &moon), IKE_ID_MATCH_NONE);
    p = dn("O=strongSwan, CN=*");
    assert_int_equal(ike_id_match(&p, &moon), IKE_ID_MATCH_NONE);
    p = dn("C=CH, O=strongSwan, OU=*"); /* attribute type */
    assert_int_equal(ike_id_match(&p, &moon), IKE_ID_MATCH_NONE);
    p = dn("C=CH, O=strongSwan, CN=sun.strongswan.org");
    assert_int_equal(ike_id_match(&p, &moon), IKE_ID_MATCH_NONE);
    /* a peer's "*" is a value, not a wildcard */
    assert_int_equal(ike_id_match(&moon, &(struct ike_id){0}), IKE_ID_MATCH_NONE);
    p = dn("C=CH, O=strongSwan, CN=*");
    assert_int_equal(ike_id_match(&moon, &p), IKE_ID_MATCH_NONE);
}

/* Many wildcards still rank above %any. */
static void test_match_dn_many_wildcards(void **state)
{
    char pat[256] = "CN=*", got[256] = "CN=a";
    struct ike_id p, g;

    (void)state;
    for (int i = 1; i < 20; i++) {
        strcat(pat, ", CN=*");
        strcat(got, ", CN=a");
    }
    p = dn(pat);
    g = dn(got);
    assert_int_equal(ike_id_match(&p, &g), IKE_ID_MATCH_ANY + 1);
}

static void test_match_text(void **state)
{
    struct ike_id carol = text_id(IKE_ID_RFC822_ADDR, "carol@strongswan.org");
    struct ike_id moon = text_id(IKE_ID_FQDN, "moon.strongswan.org");
    struct ike_id p;

    (void)state;
    assert_int_equal(ike_id_match(&(struct ike_id){0}, &carol), IKE_ID_MATCH_ANY);
    assert_int_equal(ike_id_match(&carol, &carol), IKE_ID_MATCH_PERFECT);
    p = text_id(IKE_ID_RFC822_ADDR, "Carol@StrongSwan.org");
    assert_int_equal(ike_id_match(&p, &carol), IKE_ID_MATCH_PERFECT);
    p = text_id(IKE_ID_RFC822_ADDR, "*@strongswan.org");
    assert_int_equal(ike_id_match(&p, &carol), IKE_ID_MATCH_WILDCARDS - 1);
    assert_int_equal(match_text(&p, IKE_ID_RFC822_ADDR, "carol@other.org"), IKE_ID_MATCH_NONE);
    assert_int_equal(match_text(&p, IKE_ID_RFC822_ADDR, "@strongswan.org"), IKE_ID_MATCH_NONE);
    assert_int_equal(match_text(&p, IKE_ID_FQDN, "carol@strongswan.org"),
                     IKE_ID_MATCH_NONE); /* type */
    p = text_id(IKE_ID_FQDN, "*.strongswan.org");
    assert_int_equal(ike_id_match(&p, &moon), IKE_ID_MATCH_WILDCARDS - 1);
    assert_int_equal(match_text(&p, IKE_ID_FQDN, "strongswan.org"), IKE_ID_MATCH_NONE);
    assert_int_equal(match_text(&p, IKE_ID_FQDN, "moon.strongswan.org.evil"), IKE_ID_MATCH_NONE);
    assert_int_equal(ike_id_match(&p, &carol), IKE_ID_MATCH_NONE);
    p = text_id(IKE_ID_FQDN, "sun.strongswan.org");
    assert_int_equal(ike_id_match(&p, &moon), IKE_ID_MATCH_NONE);
    p = text_id(IKE_ID_IPV4_ADDR, "192.168.0.1");
    assert_int_equal(match_text(&p, IKE_ID_IPV4_ADDR, "192.168.0.1"), IKE_ID_MATCH_PERFECT);
    assert_int_equal(match_text(&p, IKE_ID_IPV4_ADDR, "192.168.0.2"), IKE_ID_MATCH_NONE);
    assert_int_equal(ike_id_match(&p, &moon), IKE_ID_MATCH_NONE);
}

/* A peer's DN that is no DER: no match, no crash (ASan watches). */
static void test_match_malformed(void **state)
{
    struct ike_id p = dn("C=CH, O=strongSwan, CN=*");
    struct ike_id moon = dn("C=CH, O=strongSwan, CN=moon.strongswan.org");
    struct ike_id g = moon;
    char buf[600];

    (void)state;
    g.len = (uint8_t)(moon.len - 1); /* truncated */
    assert_int_equal(ike_id_match(&p, &g), IKE_ID_MATCH_NONE);
    assert_int_equal(ike_id_match(&moon, &g), IKE_ID_MATCH_NONE);
    g = moon;
    g.data[g.len++] = 0; /* trailing byte */
    assert_int_equal(ike_id_match(&p, &g), IKE_ID_MATCH_NONE);
    g = moon;
    g.data[1] = 0x7f; /* length beyond the data */
    assert_int_equal(ike_id_match(&p, &g), IKE_ID_MATCH_NONE);
    ike_id_print(&g, buf, sizeof buf);
    assert_memory_equal(buf, "asn1dn:#307f", 12);
    g.len = 0;
    assert_int_equal(ike_id_match(&p, &g), IKE_ID_MATCH_NONE);
    memset(g.data, 0xff, sizeof g.data);
    g.len = IKE_ID_MAX;
    assert_int_equal(ike_id_match(&p, &g), IKE_ID_MATCH_NONE);
}

/* ---- parsing ---- */

static void test_parse_forms(void **state)
{
    struct ike_id a = dn("C=CH, O=strongSwan, CN=moon"), b;
    char hex[2 * IKE_ID_MAX + 16] = "asn1dn:#";

    (void)state;
    b = dn("/C=CH/O=strongSwan/CN=moon");
    assert_memory_equal(a.data, b.data, a.len);
    b = dn("  c = CH ,O=strongSwan,   cn=moon  ,");
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    b = dn("asn1dn:C=CH, O=\"strongSwan\", CN=moon");
    assert_memory_equal(a.data, b.data, a.len);
    for (size_t i = 0; i < a.len; i++)
        snprintf(hex + 8 + 2 * i, 3, "%02x", a.data[i]);
    b = dn(hex);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_int_equal(ike_id_set(&b, IKE_ID_DER_ASN1_DN, "C=CH, O=strongSwan, CN=moon"), UIPSEC_OK);
    assert_memory_equal(a.data, b.data, a.len);
    assert_int_equal(ike_id_set(&b, IKE_ID_DER_ASN1_DN, "C=CH, XY=1"), UIPSEC_E_PARAM);
    b = dn("O=\"strongSwan, Inc.\", CN=\"say \\\"hi\\\"\"");
    expect_print(&b, "O=strongSwan\\, Inc., CN=say \\\"hi\\\"");
    b = dn("C=CH, CN=");
    expect_print(&b, "C=CH, CN=");
}

static void test_parse_errors(void **state)
{
    char big[400];

    (void)state;
    expect_parse_error("C=CH, XY=z", "unknown attribute \"XY\" in the distinguished name; known: "
                                     "C, ST, L, O, OU, CN, E, serialNumber");
    expect_parse_error("C=CH, , O=x", "\"\" in the distinguished name is not NAME=VALUE");
    expect_parse_error("C=CH, moon", "\"moon\" in the distinguished name is not NAME=VALUE");
    expect_parse_error("", "empty distinguished name");
    expect_parse_error("/", "empty distinguished name");
    expect_parse_error("O=\"strongSwan", "the value of O has no closing");
    expect_parse_error("O=\"strong\"Swan", "text after the quoted value of O");
    expect_parse_error("E=m\xc3\xbc@strongswan.org", "the value of E is not ASCII");
    expect_parse_error("CN=\xff\xfe", "the value of CN is not valid UTF-8");
    memset(big, 'a', sizeof big);
    memcpy(big, "CN=", 3);
    big[sizeof big - 1] = '\0';
    expect_parse_error(big, "the value of CN is longer than an IKE ID can hold");
    expect_parse_error("asn1dn:#30zz", "hex digits");
    expect_parse_error("asn1dn:#3003", "not the DER of a distinguished name");
}

/* ---- printing ---- */

static void test_print_types(void **state)
{
    struct ike_id id = {.type = IKE_ID_FQDN, .len = 6, .data = "a\nb\\c\x80"};
    char buf[8];

    (void)state;
    expect_print(&id, "a\\x0ab\\x5cc\\x80");
    id = text_id(IKE_ID_RFC822_ADDR, "carol@strongswan.org");
    expect_print(&id, "carol@strongswan.org");
    id = text_id(IKE_ID_IPV4_ADDR, "192.168.0.1");
    expect_print(&id, "192.168.0.1");
    id = text_id(IKE_ID_IPV6_ADDR, "fec0::1");
    expect_print(&id, "fec0::1");
    id.len = 4;
    expect_print(&id, "(IPv6 ID of 4 bytes)");
    expect_print(&(struct ike_id){.type = IKE_ID_KEY_ID, .len = 3, .data = {0xde, 0xad, 0x01}},
                 "keyid:#dead01");
    expect_print(&(struct ike_id){.type = IKE_ID_FC_NAME, .len = 1, .data = {0xab}},
                 "(ID type 12) #ab");
    expect_print(&(struct ike_id){0}, "%any");
    /* a peer's DN with a control character cannot break a log line */
    id = dn("CN=a\x01"
            "b");
    expect_print(&id, "CN=a\\01b");

    /* tiny buffers: truncated, terminated, nothing written past len */
    memset(buf, 'x', sizeof buf);
    id = text_id(IKE_ID_FQDN, "moon.strongswan.org");
    ike_id_print(&id, buf, 5);
    assert_string_equal(buf, "moon");
    assert_int_equal(buf[5], 'x');
    id = text_id(IKE_ID_IPV6_ADDR, "fec0::1");
    memset(buf, 'x', sizeof buf);
    ike_id_print(&id, buf, 1);
    assert_string_equal(buf, "");
    assert_int_equal(buf[1], 'x');
    id = dn("C=CH, O=strongSwan, CN=moon");
    ike_id_print(&id, buf, sizeof buf);
    assert_string_equal(buf, "C=CH, O");
    ike_id_print(&(struct ike_id){.type = IKE_ID_KEY_ID, .len = 4, .data = {1, 2, 3, 4}}, buf, 8);
    assert_string_equal(buf, "keyid:#");
    ike_id_print(&id, buf, 0); /* nothing at all */
    assert_string_equal(buf, "keyid:#");
    assert_int_equal(ike_id_format(&id, buf, 0), 0);
    assert_string_equal(buf, "keyid:#");
    assert_int_equal(ike_id_format(&id, buf, 4), 3);
    assert_string_equal(buf, "C=C");
}

/* The IDs ike_id_format (logs, uipsecctl) printed its own way before it
 * became ike_id_print: each now as ike_id_print, and not as before. */
static void test_format_is_print(void **state)
{
    struct ike_id fqdn = {.type = IKE_ID_FQDN, .len = 3, .data = {'a', 0x1b, '3'}};
    struct ike_id v4 = {.type = IKE_ID_IPV4_ADDR, .len = 3, .data = {10, 0, 0}};

    (void)state;
    expect_print(&fqdn, "a\\x1b3");            /* was "a?3": now the byte is known */
    expect_print(&v4, "(IPv4 ID of 3 bytes)"); /* was "10.0.0.0", a guess */
    /* was "#c0ffee", which the configuration reads as an FQDN */
    expect_print(&(struct ike_id){.type = IKE_ID_KEY_ID, .len = 3, .data = {0xc0, 0xff, 0xee}},
                 "keyid:#c0ffee");
    /* was "(ID type 12)", the bytes not shown */
    expect_print(&(struct ike_id){.type = IKE_ID_FC_NAME, .len = 2, .data = {0xab, 0x01}},
                 "(ID type 12) #ab01");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dn_der_equals_pki), cmocka_unit_test(test_dn_other_string_types),
        cmocka_unit_test(test_in_cert),           cmocka_unit_test(test_in_cert_not_cn),
        cmocka_unit_test(test_dn_too_long),       cmocka_unit_test(test_print_dn_as_openssl),
        cmocka_unit_test(test_match_dn),          cmocka_unit_test(test_match_dn_many_wildcards),
        cmocka_unit_test(test_match_text),        cmocka_unit_test(test_match_malformed),
        cmocka_unit_test(test_parse_forms),       cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_print_types),       cmocka_unit_test(test_format_is_print),
    };

    pki_dir = argc > 1 ? argv[1] : NULL;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
