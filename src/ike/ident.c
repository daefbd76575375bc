/* SPDX-License-Identifier: MIT */
/* IKE identities for certificates: strongSwan's DN text, wildcard matching
 * of configured IDs against peer IDs, and IDs confirmed by certificates.
 * The behaviour follows strongSwan's documentation ("Identity Parsing")
 * and what its pki tool writes; the code is uipsec's own, on OpenSSL. */
#include "ident.h"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ike_wire.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- small helpers ---- */

static int fail(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (why && len) {
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Byte strings equal ignoring ASCII case; NUL bytes are compared, not ends. */
static bool case_eq(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

/* The Name in a DN id, or NULL; trailing bytes after the DER refuse it, so
 * two different byte strings never stand for one peer. */
static X509_NAME *dn_decode(const struct ike_id *id)
{
    const unsigned char *p = id->data;
    X509_NAME *name;

    if (id->type != IKE_ID_DER_ASN1_DN || id->len == 0)
        return NULL;
    name = d2i_X509_NAME(NULL, &p, id->len);
    if (name && p != id->data + id->len) {
        X509_NAME_free(name);
        return NULL;
    }
    return name;
}

static int dn_store(const X509_NAME *name, struct ike_id *id)
{
    int n = i2d_X509_NAME(name, NULL);
    unsigned char *p = id->data;

    if (n <= 0 || n > IKE_ID_MAX)
        return -1;
    memset(id, 0, sizeof *id);
    id->type = IKE_ID_DER_ASN1_DN;
    id->len = (uint8_t)n;
    return i2d_X509_NAME(name, &p) == n ? 0 : -1;
}

/* ---- DN text ---- */

/* The attributes strongSwan's pki accepts (and a few long names), first
 * name as the one error messages list.  ia5: strongSwan writes these as
 * IA5String; every other value is a PrintableString when it fits, else a
 * UTF8String, so our DER equals the DER of certificates pki made. */
static const struct dn_attr {
    const char *names[3];
    const char *oid;
    bool ia5;
} dn_attrs[] = {
    {{"C"}, "2.5.4.6", false},
    {{"ST"}, "2.5.4.8", false},
    {{"L"}, "2.5.4.7", false},
    {{"O"}, "2.5.4.10", false},
    {{"OU"}, "2.5.4.11", false},
    {{"CN"}, "2.5.4.3", false},
    {{"E", "Email", "emailAddress"}, "1.2.840.113549.1.9.1", true},
    {{"serialNumber"}, "2.5.4.5", false},
    {{"DC"}, "0.9.2342.19200300.100.1.25", false},
    {{"UID"}, "0.9.2342.19200300.100.1.1", false},
    {{"SN", "surname"}, "2.5.4.4", false},
    {{"G", "GN", "givenName"}, "2.5.4.42", false},
    {{"I", "initials"}, "2.5.4.43", false},
    {{"T", "title"}, "2.5.4.12", false},
    {{"D", "description"}, "2.5.4.13", false},
    {{"N", "name"}, "2.5.4.41", false},
    {{"street"}, "2.5.4.9", false},
    {{"postalCode"}, "2.5.4.17", false},
    {{"dnQualifier"}, "2.5.4.46", false},
    {{"dmdName"}, "2.5.4.54", false},
    {{"pseudonym"}, "2.5.4.65", false},
    {{"ID"}, "2.5.4.45", false},
    {{"EN", "employeeNumber"}, "2.16.840.1.113730.3.1.3", false},
    {{"UN", "unstructuredName"}, "1.2.840.113549.1.9.2", true},
    {{"UA", "unstructuredAddress"}, "1.2.840.113549.1.9.8", false},
    {{"ND"}, "0.2.262.1.10.7.20", false},
    {{"TCGID"}, "1.3.6.1.4.1.1201.1.1.2.2.75", false},
};

static const struct dn_attr *dn_attr_find(const char *name, size_t len)
{
    for (size_t i = 0; i < COUNT(dn_attrs); i++)
        for (size_t j = 0; j < COUNT(dn_attrs[i].names) && dn_attrs[i].names[j]; j++)
            if (case_eq((const unsigned char *)name, len,
                        (const unsigned char *)dn_attrs[i].names[j], strlen(dn_attrs[i].names[j])))
                return &dn_attrs[i];
    return NULL;
}

static int dn_unknown(const char *name, size_t len, char *why, size_t why_len)
{
    char known[400];
    size_t o = 0;

    for (size_t i = 0; i < COUNT(dn_attrs) && o < sizeof known; i++)
        o += (size_t)snprintf(known + o, sizeof known - o, "%s%s", i ? ", " : "",
                              dn_attrs[i].names[0]);
    return fail(why, why_len, "unknown attribute \"%.*s\" in the distinguished name; known: %s",
                (int)len, name, known);
}

static bool printable_string(const unsigned char *v, size_t len)
{
    static const char extra[] = " '()+,-./:=?";

    for (size_t i = 0; i < len; i++)
        if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
              (v[i] >= '0' && v[i] <= '9') || (v[i] && strchr(extra, v[i]))))
            return false;
    return true;
}

/* The ASN.1 string type for a value, as strongSwan chooses it; -1 if the
 * value cannot be one (IA5 needs ASCII, UTF8String valid UTF-8). */
static int dn_value_type(const struct dn_attr *a, const unsigned char *v, size_t len)
{
    if (a->ia5) {
        for (size_t i = 0; i < len; i++)
            if (v[i] > 0x7f)
                return -1;
        return V_ASN1_IA5STRING;
    }
    if (printable_string(v, len))
        return V_ASN1_PRINTABLESTRING;
    /* with out == NULL OpenSSL only validates the UTF-8 */
    if (ASN1_mbstring_copy(NULL, v, (int)len, MBSTRING_UTF8, B_ASN1_UTF8STRING) < 0)
        return -1;
    return V_ASN1_UTF8STRING;
}

/* The text parser's position and the value it just read. */
struct dn_text {
    const char *p;
    char sep;
    char val[IKE_ID_MAX + 1];
    size_t vlen;
    char *why;
    size_t why_len;
};

static void skip_spaces(struct dn_text *t)
{
    while (*t->p == ' ' || *t->p == '\t')
        t->p++;
}

static int dn_val_put(struct dn_text *t, char c, const char *name, size_t nlen)
{
    if (t->vlen >= IKE_ID_MAX)
        return fail(t->why, t->why_len, "the value of %.*s is longer than an IKE ID can hold (%d)",
                    (int)nlen, name, IKE_ID_MAX);
    t->val[t->vlen++] = c;
    return 0;
}

/* A value in double quotes: separators inside are text; \" and \\ escape. */
static int dn_quoted(struct dn_text *t, const char *name, size_t nlen)
{
    for (t->p++; *t->p != '"'; t->p++) {
        if (*t->p == '\\' && (t->p[1] == '"' || t->p[1] == '\\'))
            t->p++;
        if (*t->p == '\0')
            return fail(t->why, t->why_len, "the value of %.*s has no closing '\"'", (int)nlen,
                        name);
        if (dn_val_put(t, *t->p, name, nlen) < 0)
            return -1;
    }
    t->p++;
    skip_spaces(t);
    if (*t->p != t->sep && *t->p != '\0')
        return fail(t->why, t->why_len,
                    "text after the quoted value of %.*s; write '%c' between RDNs", (int)nlen, name,
                    t->sep);
    return 0;
}

/* The value after NAME=, up to the separator; spaces around it dropped
 * as pki drops them. */
static int dn_value(struct dn_text *t, const char *name, size_t nlen)
{
    t->vlen = 0;
    skip_spaces(t);
    if (*t->p == '"')
        return dn_quoted(t, name, nlen);
    for (; *t->p && *t->p != t->sep; t->p++)
        if (dn_val_put(t, *t->p, name, nlen) < 0)
            return -1;
    while (t->vlen && (t->val[t->vlen - 1] == ' ' || t->val[t->vlen - 1] == '\t'))
        t->vlen--;
    return 0;
}

/* One NAME=VALUE at t->p into name; t->p ends on the separator or NUL. */
static int dn_rdn(struct dn_text *t, X509_NAME *name)
{
    const char *n = t->p, *eq = t->p;
    const struct dn_attr *a;
    size_t nlen;
    ASN1_OBJECT *obj;
    int type, ok;

    while (*eq && *eq != '=' && *eq != t->sep)
        eq++;
    for (nlen = (size_t)(eq - n); nlen && (n[nlen - 1] == ' ' || n[nlen - 1] == '\t'); nlen--)
        ;
    if (*eq != '=' || nlen == 0)
        return fail(t->why, t->why_len,
                    "\"%.*s\" in the distinguished name is not NAME=VALUE; write e.g. "
                    "\"C=CH, O=strongSwan, CN=moon.strongswan.org\"",
                    (int)(eq - n), n);
    a = dn_attr_find(n, nlen);
    if (!a)
        return dn_unknown(n, nlen, t->why, t->why_len);
    t->p = eq + 1;
    if (dn_value(t, n, nlen) < 0)
        return -1;
    type = dn_value_type(a, (const unsigned char *)t->val, t->vlen);
    if (type < 0)
        return fail(t->why, t->why_len, "the value of %.*s is not %s", (int)nlen, n,
                    a->ia5 ? "ASCII" : "valid UTF-8");
    obj = OBJ_txt2obj(a->oid, 1);
    ok = obj && X509_NAME_add_entry_by_OBJ(name, obj, type, (const unsigned char *)t->val,
                                           (int)t->vlen, -1, 0);
    ASN1_OBJECT_free(obj);
    return ok ? 0 : fail(t->why, t->why_len, "out of memory");
}

/* "asn1dn:#HEX": the DER itself, as strongSwan accepts it. */
static int dn_from_hex(struct ike_id *id, const char *hex, char *why, size_t why_len)
{
    long len = 0;
    unsigned char *der = OPENSSL_hexstr2buf(hex, &len);
    struct ike_id tmp = {.type = IKE_ID_DER_ASN1_DN};
    X509_NAME *name;

    if (!der || len <= 0 || len > IKE_ID_MAX) {
        OPENSSL_free(der);
        return fail(why, why_len, "asn1dn:#... needs hex digits of a DER name of at most %d bytes",
                    IKE_ID_MAX);
    }
    memcpy(tmp.data, der, (size_t)len);
    tmp.len = (uint8_t)len;
    OPENSSL_free(der);
    name = dn_decode(&tmp);
    X509_NAME_free(name);
    if (!name)
        return fail(why, why_len, "asn1dn:#... is not the DER of a distinguished name");
    *id = tmp;
    return 0;
}

static int dn_parse_text(X509_NAME *name, const char *text, char *why, size_t why_len)
{
    struct dn_text t = {.p = text, .sep = ',', .why = why, .why_len = why_len};

    skip_spaces(&t);
    if (*t.p == '/') /* strongSwan: a leading '/' makes '/' the separator */
        t.sep = *t.p++;
    for (skip_spaces(&t); *t.p; skip_spaces(&t)) {
        if (dn_rdn(&t, name) < 0)
            return -1;
        if (*t.p == t.sep)
            t.p++;
    }
    if (X509_NAME_entry_count(name) == 0)
        return fail(why, why_len,
                    "empty distinguished name; write e.g. \"C=CH, O=strongSwan, "
                    "CN=moon.strongswan.org\"");
    return 0;
}

int ike_id_parse_dn(struct ike_id *id, const char *text, char *why, size_t why_len)
{
    X509_NAME *name;
    int rc;

    memset(id, 0, sizeof *id);
    if (strncmp(text, "asn1dn:", 7) == 0)
        text += 7;
    if (text[0] == '#')
        return dn_from_hex(id, text + 1, why, why_len);
    name = X509_NAME_new();
    if (!name)
        return fail(why, why_len, "out of memory");
    rc = dn_parse_text(name, text, why, why_len);
    if (rc == 0 && dn_store(name, id) < 0)
        rc = fail(why, why_len,
                  "the distinguished name is %d bytes in DER; an IKE ID holds at most %d",
                  i2d_X509_NAME(name, NULL), IKE_ID_MAX);
    X509_NAME_free(name);
    if (rc < 0)
        memset(id, 0, sizeof *id);
    return rc;
}

/* ---- matching ---- */

static int wildcard_rank(int wildcards)
{
    int r = IKE_ID_MATCH_WILDCARDS - wildcards;

    return r > IKE_ID_MATCH_ANY ? r : IKE_ID_MATCH_ANY + 1;
}

static bool entry_is_wildcard(const X509_NAME_ENTRY *e)
{
    const ASN1_STRING *v = X509_NAME_ENTRY_get_data(e);

    return ASN1_STRING_length(v) == 1 && ASN1_STRING_get0_data(v)[0] == '*';
}

/* got with the values the pattern leaves open replaced by the pattern's
 * "*" (only where the attribute types agree: "*" stands for a value, not
 * for an attribute), or NULL: equal to the pattern (X509_NAME_cmp) iff
 * every other RDN matches, in the same order and RDN sets. */
static X509_NAME *dn_fill_wildcards(const X509_NAME *pat, const X509_NAME *got)
{
    X509_NAME *out = X509_NAME_new();
    int prev_set = -1;

    for (int i = 0; out && i < X509_NAME_entry_count(got); i++) {
        const X509_NAME_ENTRY *g = X509_NAME_get_entry(got, i);
        const X509_NAME_ENTRY *p = X509_NAME_get_entry(pat, i);
        int set = X509_NAME_ENTRY_set(g);
        bool fill = entry_is_wildcard(p) &&
                    OBJ_cmp(X509_NAME_ENTRY_get_object(p), X509_NAME_ENTRY_get_object(g)) == 0;

        if (!X509_NAME_add_entry(out, fill ? p : g, -1, i && set == prev_set ? -1 : 0)) {
            X509_NAME_free(out);
            out = NULL;
        }
        prev_set = set;
    }
    return out;
}

static int dn_match(const struct ike_id *pattern, const struct ike_id *got)
{
    X509_NAME *p = dn_decode(pattern), *g = dn_decode(got), *filled = NULL;
    int rank = IKE_ID_MATCH_NONE, wildcards = 0;

    if (!p || !g)
        goto out;
    if (X509_NAME_cmp(p, g) == 0) {
        rank = IKE_ID_MATCH_PERFECT;
        goto out;
    }
    for (int i = 0; i < X509_NAME_entry_count(p); i++)
        wildcards += entry_is_wildcard(X509_NAME_get_entry(p, i));
    if (!wildcards || X509_NAME_entry_count(p) != X509_NAME_entry_count(g))
        goto out;
    filled = dn_fill_wildcards(p, g);
    if (filled && X509_NAME_cmp(p, filled) == 0)
        rank = wildcard_rank(wildcards);
out:
    X509_NAME_free(p);
    X509_NAME_free(g);
    X509_NAME_free(filled);
    return rank;
}

/* FQDN and RFC822: equal ignoring case (DNS names are; strongSwan treats
 * user@host alike), or a leading '*' standing for at least one byte of
 * the peer's ID ("*.example.org", "*@example.org"). */
static int text_match(const struct ike_id *pattern, const struct ike_id *got)
{
    size_t tail = pattern->len ? pattern->len - 1u : 0;

    if (case_eq(pattern->data, pattern->len, got->data, got->len))
        return IKE_ID_MATCH_PERFECT;
    if (pattern->len && pattern->data[0] == '*' && got->len > tail &&
        case_eq(pattern->data + 1, tail, got->data + got->len - tail, tail))
        return wildcard_rank(1);
    return IKE_ID_MATCH_NONE;
}

int ike_id_match(const struct ike_id *pattern, const struct ike_id *got)
{
    if (pattern->type == 0)
        return IKE_ID_MATCH_ANY;
    if (pattern->type != got->type)
        return IKE_ID_MATCH_NONE;
    if (pattern->len == got->len && memcmp(pattern->data, got->data, got->len) == 0)
        return IKE_ID_MATCH_PERFECT;
    if (pattern->type == IKE_ID_FQDN || pattern->type == IKE_ID_RFC822_ADDR)
        return text_match(pattern, got);
    if (pattern->type == IKE_ID_DER_ASN1_DN)
        return dn_match(pattern, got);
    return IKE_ID_MATCH_NONE;
}

bool ike_id_has_wildcards(const struct ike_id *id)
{
    X509_NAME *n;
    bool any = false;

    if (id->type == 0)
        return true;
    if (id->type == IKE_ID_FQDN || id->type == IKE_ID_RFC822_ADDR)
        return id->len && id->data[0] == '*';
    if (id->type != IKE_ID_DER_ASN1_DN || !(n = dn_decode(id)))
        return false;
    for (int i = 0; i < X509_NAME_entry_count(n); i++)
        any |= entry_is_wildcard(X509_NAME_get_entry(n, i));
    X509_NAME_free(n);
    return any;
}

/* ---- certificates ---- */

static bool subject_is(X509 *cert, const struct ike_id *id)
{
    X509_NAME *name = dn_decode(id);
    bool yes = name && X509_NAME_entry_count(name) > 0 &&
               X509_NAME_cmp(X509_get_subject_name(cert), name) == 0;

    X509_NAME_free(name);
    return yes;
}

/* A subjectAltName of type gen_type equal to the id's data. */
static bool san_has(X509 *cert, int gen_type, const struct ike_id *id, bool ignore_case)
{
    GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    bool yes = false;

    for (int i = 0; !yes && i < sk_GENERAL_NAME_num(sans); i++) {
        const GENERAL_NAME *gen = sk_GENERAL_NAME_value(sans, i);
        const ASN1_STRING *s;
        int type;

        s = GENERAL_NAME_get0_value(gen, &type);
        if (type != gen_type || !s)
            continue;
        if (ignore_case)
            yes =
                case_eq(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), id->data, id->len);
        else
            yes = (size_t)ASN1_STRING_length(s) == id->len &&
                  memcmp(ASN1_STRING_get0_data(s), id->data, id->len) == 0;
    }
    GENERAL_NAMES_free(sans);
    return yes;
}

bool ike_id_in_cert(X509 *cert, const struct ike_id *id)
{
    /* The subject's CN is not consulted for FQDN or RFC822 IDs: strongSwan
     * only accepts the subject DN itself or a subjectAltName, and so do
     * we (RFC 4945 3.1.1 wants the SAN). */
    switch (id->type) {
    case IKE_ID_DER_ASN1_DN:
        return subject_is(cert, id);
    case IKE_ID_FQDN:
        return id->len && san_has(cert, GEN_DNS, id, true);
    case IKE_ID_RFC822_ADDR:
        return id->len && san_has(cert, GEN_EMAIL, id, true);
    case IKE_ID_IPV4_ADDR:
        return id->len == 4 && san_has(cert, GEN_IPADD, id, false);
    case IKE_ID_IPV6_ADDR:
        return id->len == 16 && san_has(cert, GEN_IPADD, id, false);
    default: /* KEY_ID names no part of a certificate */
        return false;
    }
}

int ike_id_of_cert(X509 *cert, struct ike_id *out)
{
    const X509_NAME *subject = X509_get_subject_name(cert);

    memset(out, 0, sizeof *out);
    /* An empty subject stands for nobody: such certificates name their
     * owner in subjectAltNames, which the configuration must then give. */
    if (!subject || X509_NAME_entry_count(subject) == 0)
        return -1;
    return dn_store(subject, out);
}

/* ---- printing ---- */

struct out {
    char *buf;
    size_t len, pos;
};

static void put(struct out *o, const char *s, size_t n)
{
    size_t room = o->len - o->pos - 1; /* o->pos < o->len always */

    if (n > room)
        n = room;
    memcpy(o->buf + o->pos, s, n);
    o->pos += n;
    o->buf[o->pos] = '\0';
}

static void putf(struct out *o, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void put_hex(struct out *o, const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        putf(o, "%02x", d[i]);
}

static void put_text(struct out *o, const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (d[i] >= 0x20 && d[i] < 0x7f && d[i] != '\\')
            put(o, (const char *)&d[i], 1);
        else
            putf(o, "\\x%02x", d[i]);
}

/* X509_NAME_print_ex's flags: strongSwan's "C=CH, O=..., CN=..." order and
 * separator; escapes so a peer's DN cannot forge log lines or terminal
 * output.  `openssl x509 -nameopt` spells them "sep_comma_plus_space,sname,
 * esc_2253,esc_ctrl,esc_msb,utf8,dump_nostr,dump_der". */
#define IDENT_PRINT_FLAGS                                                                          \
    (XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN | ASN1_STRFLGS_ESC_2253 | ASN1_STRFLGS_ESC_CTRL |       \
     ASN1_STRFLGS_ESC_MSB | ASN1_STRFLGS_UTF8_CONVERT | ASN1_STRFLGS_DUMP_UNKNOWN |                \
     ASN1_STRFLGS_DUMP_DER)

static void put_dn(struct out *o, const struct ike_id *id)
{
    X509_NAME *name = dn_decode(id);
    BIO *bio = BIO_new(BIO_s_mem());
    char *text = NULL;
    long n = 0;

    if (name && bio && X509_NAME_print_ex(bio, name, 0, IDENT_PRINT_FLAGS) >= 0)
        n = BIO_get_mem_data(bio, &text);
    if (text && n > 0) {
        put(o, text, (size_t)n);
    } else { /* what strongSwan would read back */
        put(o, "asn1dn:#", 8);
        put_hex(o, id->data, id->len);
    }
    BIO_free(bio);
    X509_NAME_free(name);
}

static void put_ip(struct out *o, const struct ike_id *id)
{
    bool v4 = id->type == IKE_ID_IPV4_ADDR;
    char text[INET6_ADDRSTRLEN];

    if (id->len != (v4 ? 4 : 16) ||
        !inet_ntop(v4 ? AF_INET : AF_INET6, id->data, text, sizeof text))
        putf(o, "(IPv%d ID of %u bytes)", v4 ? 4 : 6, id->len);
    else
        put(o, text, strlen(text));
}

void ike_id_print(const struct ike_id *id, char *buf, size_t len)
{
    struct out o = {.buf = buf, .len = len};

    if (!len)
        return;
    buf[0] = '\0';
    switch (id->type) {
    case 0:
        put(&o, "%any", 4);
        break;
    case IKE_ID_IPV4_ADDR:
    case IKE_ID_IPV6_ADDR:
        put_ip(&o, id);
        break;
    case IKE_ID_FQDN:
    case IKE_ID_RFC822_ADDR:
        put_text(&o, id->data, id->len);
        break;
    case IKE_ID_DER_ASN1_DN:
        put_dn(&o, id);
        break;
    case IKE_ID_KEY_ID: /* as the configuration reads it back */
        put(&o, "keyid:#", 7);
        put_hex(&o, id->data, id->len);
        break;
    default:
        putf(&o, "(ID type %u) #", id->type);
        put_hex(&o, id->data, id->len);
    }
}
