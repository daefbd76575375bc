/* SPDX-License-Identifier: MIT */
/*
 * IKE identities (src/ike/ident.c).  The first byte chooses:
 *   even: the rest is DN text for ike_id_parse_dn (a configuration's);
 *   odd:  the second byte is a peer's ID type, the rest its data (the
 *         network's), matched against configured patterns, checked against
 *         a certificate and printed into buffers of every small size.
 * The peer's ID is copied into an allocation that ends with its data, so
 * ASan sees any read beyond id->len.  Ranks must be ones the API names.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "ident.h"
#include "ike_wire.h"

static const char *const dn_patterns[] = {
    "C=CH, O=strongSwan, CN=moon.strongswan.org",
    "C=CH, O=strongSwan, CN=*",
    "C=CH, O=*, CN=*",
    "/C=CH/O=strongSwan/OU=*/CN=*",
};
static struct ike_id patterns[8];
static size_t npatterns;
static X509 *cert;

static void add_text(uint8_t type, const char *text)
{
    if (ike_id_set(&patterns[npatterns++], type, text) != UIPSEC_OK)
        abort();
}

/* A certificate with a subject and SANs; never signed: ike_id_in_cert
 * only reads names. */
static X509 *make_cert(void)
{
    X509 *x = X509_new();
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(
        NULL, NULL, NID_subject_alt_name,
        "DNS:moon.strongswan.org,email:moon@strongswan.org,IP:192.168.0.1,IP:fec0::1");
    X509_NAME *subject =
        d2i_X509_NAME(NULL, &(const unsigned char *){patterns[0].data}, patterns[0].len);

    if (!x || !ext || !subject || !X509_set_subject_name(x, subject) || !X509_add_ext(x, ext, -1))
        abort();
    X509_EXTENSION_free(ext);
    X509_NAME_free(subject);
    return x;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    for (size_t i = 0; i < sizeof dn_patterns / sizeof dn_patterns[0]; i++)
        if (ike_id_parse_dn(&patterns[npatterns++], dn_patterns[i], NULL, 0) != 0)
            abort();
    add_text(IKE_ID_FQDN, "*.strongswan.org");
    add_text(IKE_ID_RFC822_ADDR, "*@strongswan.org");
    add_text(IKE_ID_IPV4_ADDR, "192.168.0.1");
    npatterns++; /* zeroed: %any */
    cert = make_cert();
    return 0;
}

static void print_all_sizes(const struct ike_id *id)
{
    char buf[1100];

    for (size_t len = 0; len < 12; len++) {
        buf[len] = 'x';
        ike_id_print(id, buf, len);
        if (len && strlen(buf) >= len)
            abort();
        if (buf[len] != 'x') /* written past len */
            abort();
    }
    ike_id_print(id, buf, sizeof buf);
    if (strlen(buf) >= sizeof buf)
        abort();
}

static void check_rank(int rank)
{
    if (rank != IKE_ID_MATCH_NONE && rank != IKE_ID_MATCH_ANY && rank != IKE_ID_MATCH_PERFECT &&
        (rank <= IKE_ID_MATCH_ANY || rank >= IKE_ID_MATCH_WILDCARDS))
        abort();
}

static void peer_id(const uint8_t *data, size_t size)
{
    size_t len = size - 1 > IKE_ID_MAX ? IKE_ID_MAX : size - 1;
    struct ike_id *id = malloc(offsetof(struct ike_id, data) + (len ? len : 1));

    if (!id)
        return;
    id->type = data[0];
    id->len = (uint8_t)len;
    memcpy(id->data, data + 1, len);
    for (size_t i = 0; i < npatterns; i++)
        check_rank(ike_id_match(&patterns[i], id));
    (void)ike_id_in_cert(cert, id);
    print_all_sizes(id);
    free(id);
}

static void dn_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    struct ike_id id;
    char why[200];

    if (!text)
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    why[0] = '\0';
    if (ike_id_parse_dn(&id, text, why, sizeof why) == 0) {
        if (ike_id_match(&id, &id) != IKE_ID_MATCH_PERFECT)
            abort();
        for (size_t i = 0; i < npatterns; i++)
            check_rank(ike_id_match(&patterns[i], &id));
        print_all_sizes(&id);
    } else if (!why[0] || id.len) {
        abort(); /* an error always says why and leaves no ID */
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    if (data[0] & 1)
        peer_id(data + 1, size - 1);
    else
        dn_text(data + 1, size - 1);
    return 0;
}
