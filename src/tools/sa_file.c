/* SPDX-License-Identifier: MIT */
/*
 * SA-file JSON to struct uipsec_sa_params.  Strict on purpose: a misspelt
 * field or a key of the wrong length is an error naming the field and the
 * fix, never an SA that silently differs from what the user meant.
 */
#define _POSIX_C_SOURCE 200809L

#include "sa_file.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define COUNT(a)     (sizeof(a) / sizeof((a)[0]))
#define MAX_JSON_INT 9007199254740992ULL /* 2^53: larger JSON numbers lose digits */
#define MAX_MEMBERS  32

struct ctx {
    const char *name; /* file name, for messages */
    enum uipsec_dir dir;
    struct uipsec_safile *out;
    struct uipsec_sa_params *p;
    char *err;
    size_t err_len;
};

struct word {
    const char *text;
    int value;
};

static bool fail(struct ctx *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(struct ctx *c, const char *field, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(c->err, c->err_len, "%s: field \"%s\": ", c->name, field);

    if (n < 0 || (size_t)n >= c->err_len)
        return false;
    va_start(ap, fmt);
    vsnprintf(c->err + n, c->err_len - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

static const char *type_name(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "null";
}

static bool wrong_type(struct ctx *c, const char *field, const cJSON *v, const char *want)
{
    return fail(c, field, "expected %s, got %s", want, type_name(v));
}

static bool missing(struct ctx *c, const char *field, const char *want)
{
    return fail(c, field, "missing: give %s", want);
}

static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;

    while (n--)
        *v++ = 0;
}

/* ---- hex ---- */

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

bool uipsec_safile_unhex(const char *s, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
    if (n % 2 != 0 || n / 2 > cap)
        return false;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);

        if (hi < 0 || lo < 0)
            return false;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = n / 2;
    return true;
}

/* Says what is wrong with a hex string that did not decode to want bytes. */
static bool hex_problem(struct ctx *c, const char *field, const char *s, size_t want,
                        const char *who)
{
    size_t n = strlen(s);

    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return fail(c, field, "remove the 0x prefix (hex digits only)");
    for (size_t i = 0; i < n; i++)
        if (hex_digit(s[i]) < 0)
            return fail(c, field, "character %zu is not a hex digit (hex digits only, no spaces)",
                        i + 1);
    if (n % 2 != 0)
        return fail(c, field, "odd number of hex digits (%zu): each byte takes two", n);
    return fail(c, field, "%zu bytes given, %s needs %zu (hex without 0x)", n / 2, who, want);
}

/* Decodes a hex string field of exactly want bytes into buf. */
static bool get_hex(struct ctx *c, const char *field, const cJSON *v, uint8_t *buf, size_t want,
                    const char *who)
{
    size_t got = 0;

    if (!cJSON_IsString(v))
        return wrong_type(c, field, v, "a hex string");
    if (!uipsec_safile_unhex(v->valuestring, strlen(v->valuestring), buf, want, &got) ||
        got != want)
        return hex_problem(c, field, v->valuestring, want, who);
    return true;
}

/* A key field of the suite: required when the suite needs want bytes,
 * absent (or "") when it needs none. */
static bool get_key(struct ctx *c, const char *field, const cJSON *v, uint8_t *buf, size_t want)
{
    bool empty = cJSON_IsString(v) && v->valuestring[0] == '\0';

    if (want == 0 && v && !empty)
        return fail(c, field, "%s takes no %s: remove the field", c->out->suite, field);
    if (want == 0)
        return true;
    if (!v)
        return fail(c, field, "missing: %s needs %zu bytes of hex", c->out->suite, want);
    return get_hex(c, field, v, buf, want, c->out->suite);
}

/* ---- scalars ---- */

static bool get_uint(struct ctx *c, const char *field, const cJSON *v, uint64_t max, uint64_t *out)
{
    double d;

    if (!cJSON_IsNumber(v))
        return wrong_type(c, field, v, "an integer");
    d = v->valuedouble;
    if (!(d >= 0 && d <= (double)max) || d != (double)(uint64_t)d)
        return fail(c, field, "%g is not an integer from 0 to %llu", d, (unsigned long long)max);
    *out = (uint64_t)d;
    return true;
}

static bool get_bool(struct ctx *c, const char *field, const cJSON *v, bool *out)
{
    if (!cJSON_IsBool(v))
        return wrong_type(c, field, v, "true or false");
    *out = cJSON_IsTrue(v);
    return true;
}

/* One of a fixed set of strings. */
static bool get_word(struct ctx *c, const char *field, const cJSON *v, const struct word *words,
                     size_t n, int *out)
{
    char list[160] = "";

    if (!cJSON_IsString(v))
        return wrong_type(c, field, v, "a string");
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v->valuestring, words[i].text) == 0) {
            *out = words[i].value;
            return true;
        }
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s\"%s\"", i ? ", " : "", words[i].text);
    }
    return fail(c, field, "\"%.40s\" is not one of %s", v->valuestring, list);
}

static bool get_addr(struct ctx *c, const char *field, const cJSON *v, struct uipsec_addr *a)
{
    if (!cJSON_IsString(v))
        return wrong_type(c, field, v, "an IPv4 or IPv6 address string");
    if (inet_pton(AF_INET, v->valuestring, a->bytes) == 1)
        a->family = 4;
    else if (inet_pton(AF_INET6, v->valuestring, a->bytes) == 1)
        a->family = 6;
    else
        return fail(c, field, "\"%.60s\" is not an IPv4 or IPv6 address (like \"203.0.113.1\")",
                    v->valuestring);
    return true;
}

/* ---- objects ---- */

static char fold(char ch)
{
    return ch == '-' ? '_' : ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* Whether a and b differ only in case and '-' for '_' ("Enc-Key"). */
static bool near_miss(const char *a, const char *b)
{
    while (*a && *b && fold(*a) == fold(*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

static bool unknown_member(struct ctx *c, const char *path, const char *bad,
                           const char *const *names, size_t n)
{
    char list[400] = "";

    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(list);

        if (near_miss(bad, names[i])) {
            snprintf(list, sizeof list, "did you mean \"%s\"?", names[i]);
            break;
        }
        snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "known: ", names[i]);
    }
    snprintf(c->err, c->err_len, "%s: unknown field \"%s%s%.40s\" (%s)", c->name, path ? path : "",
             path ? "." : "", bad, list);
    return false;
}

static bool given_twice(struct ctx *c, const char *path, const char *name)
{
    snprintf(c->err, c->err_len, "%s: field \"%s%s%s\" given twice: keep one", c->name,
             path ? path : "", path ? "." : "", name);
    return false;
}

/* Finds each of names[] among the members of obj (NULL for absent or null)
 * and rejects members that are unknown or given twice.  path is the
 * object's field name, NULL for the top level. */
static bool collect(struct ctx *c, const char *path, const cJSON *obj, const char *const *names,
                    size_t n, const cJSON **item)
{
    const cJSON *m;
    bool seen[MAX_MEMBERS] = {false};

    for (size_t i = 0; i < n; i++)
        item[i] = NULL;
    cJSON_ArrayForEach(m, obj)
    {
        size_t i = 0;

        while (i < n && strcmp(m->string, names[i]) != 0)
            i++;
        if (i == n)
            return unknown_member(c, path, m->string, names, n);
        if (seen[i])
            return given_twice(c, path, names[i]);
        seen[i] = true;
        item[i] = cJSON_IsNull(m) ? NULL : m;
    }
    return true;
}

/* ---- fields, in the order they are applied: later ones depend on earlier ---- */

static bool f_protocol(struct ctx *c, const cJSON *v)
{
    static const struct word w[] = {{"esp", UIPSEC_PROTO_ESP}, {"ah", UIPSEC_PROTO_AH}};
    int x = 0;

    if (!v)
        return missing(c, "protocol", "\"esp\" or \"ah\"");
    if (!get_word(c, "protocol", v, w, COUNT(w), &x))
        return false;
    c->p->proto = (enum uipsec_proto)x;
    return true;
}

static bool f_mode(struct ctx *c, const cJSON *v)
{
    static const struct word w[] = {{"tunnel", UIPSEC_MODE_TUNNEL},
                                    {"transport", UIPSEC_MODE_TRANSPORT}};
    int x = 0;

    if (!v)
        return missing(c, "mode", "\"tunnel\" or \"transport\"");
    if (!get_word(c, "mode", v, w, COUNT(w), &x))
        return false;
    c->p->mode = (enum uipsec_mode)x;
    return true;
}

static bool f_suite(struct ctx *c, const cJSON *v)
{
    const char *proto = c->p->proto == UIPSEC_PROTO_AH ? "ah" : "esp";

    if (!v)
        return missing(c, "suite", "a strongSwan keyword like \"aes128gcm16\"");
    if (!cJSON_IsString(v))
        return wrong_type(c, "suite", v, "a string");
    if (strlen(v->valuestring) >= sizeof c->out->suite ||
        uipsec_suite_parse(v->valuestring, c->p->proto, c->p) != UIPSEC_OK)
        return fail(c, "suite",
                    "\"%.40s\" is not a suite uipsec runs for %s (uipsec-packet suites lists them)",
                    v->valuestring, proto);
    strcpy(c->out->suite, v->valuestring);
    return true;
}

static bool f_spi(struct ctx *c, const cJSON *v)
{
    uint8_t b[4] = {0};

    if (!v)
        return missing(c, "spi", "4 bytes of hex, like \"c0ffee01\"");
    if (!get_hex(c, "spi", v, b, sizeof b, "an SPI"))
        return false;
    c->p->spi = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    if (c->p->spi < 256)
        return fail(c, "spi", "%u is reserved (RFC 4303 2.1: 0 to 255 never go on the wire)",
                    c->p->spi);
    return true;
}

static bool f_enc_key(struct ctx *c, const cJSON *v)
{
    size_t enc, salt, auth;

    uipsec_suite_key_sizes(c->p, &enc, &salt, &auth);
    return get_key(c, "enc_key", v, c->p->enc_key, enc);
}

static bool f_salt(struct ctx *c, const cJSON *v)
{
    size_t enc, salt, auth;

    uipsec_suite_key_sizes(c->p, &enc, &salt, &auth);
    return get_key(c, "salt", v, c->p->salt, salt);
}

static bool f_auth_key(struct ctx *c, const cJSON *v)
{
    size_t enc, salt, auth;

    uipsec_suite_key_sizes(c->p, &enc, &salt, &auth);
    c->p->auth_key_len = (uint8_t)auth;
    return get_key(c, "auth_key", v, c->p->auth_key, auth);
}

/* The suite keyword may already ask for ESN ("aes128gcm16-esn"). */
static bool f_esn(struct ctx *c, const cJSON *v)
{
    bool esn = false;

    if (!v)
        return true;
    if (!get_bool(c, "esn", v, &esn))
        return false;
    if (c->p->esn && !esn)
        return fail(c, "esn", "false, but suite \"%s\" asks for ESN: drop one of them",
                    c->out->suite);
    c->p->esn = esn;
    return true;
}

static bool f_esn_high(struct ctx *c, const cJSON *v)
{
    uint64_t x = 0;

    if (!v)
        return true;
    if (!get_uint(c, "esn_high", v, UINT32_MAX, &x))
        return false;
    if (x != 0 && !c->p->esn)
        return fail(c, "esn_high", "only means something with \"esn\": true");
    c->out->esn_high = (uint32_t)x;
    return true;
}

/* seq is the low half as sent; the first packet's full number includes
 * esn_high.  An inbound SA has no first number, so there it is only checked. */
static bool f_seq(struct ctx *c, const cJSON *v)
{
    uint64_t low = 1, full;

    if (v && !get_uint(c, "seq", v, UINT32_MAX, &low))
        return false;
    full = (uint64_t)c->out->esn_high << 32 | low;
    if (full == 0 && c->dir == UIPSEC_DIR_OUT)
        return fail(c, "seq", "0 is never sent: the first sequence number is 1");
    if (c->dir == UIPSEC_DIR_OUT)
        c->p->seq = full;
    return true;
}

static bool f_iv(struct ctx *c, const cJSON *v)
{
    size_t want = uipsec_safile_iv_len(c->p);

    if (!v)
        return true;
    if (want == 0)
        return get_key(c, "iv", v, c->out->iv, 0);
    c->out->iv_len = want;
    return get_hex(c, "iv", v, c->out->iv, want, c->out->suite);
}

static bool f_replay_window(struct ctx *c, const cJSON *v)
{
    uint64_t x = 64;

    if (v && !get_uint(c, "replay_window", v, 65536, &x))
        return false;
    if (c->dir == UIPSEC_DIR_IN)
        c->p->replay_window = (uint32_t)x;
    return true;
}

static bool tunnel_addr(struct ctx *c, const char *field, const cJSON *v, struct uipsec_addr *a)
{
    if (c->p->mode == UIPSEC_MODE_TRANSPORT)
        return v ? fail(c, field, "only for tunnel mode: remove it or set \"mode\": \"tunnel\"")
                 : true;
    if (!v)
        return missing(c, field, "the outer address in tunnel mode, like \"203.0.113.1\"");
    return get_addr(c, field, v, a);
}

static bool f_tunnel_src(struct ctx *c, const cJSON *v)
{
    return tunnel_addr(c, "tunnel_src", v, &c->p->tunnel_src);
}

static bool f_tunnel_dst(struct ctx *c, const cJSON *v)
{
    if (!tunnel_addr(c, "tunnel_dst", v, &c->p->tunnel_dst))
        return false;
    if (c->p->tunnel_dst.family != c->p->tunnel_src.family)
        return fail(c, "tunnel_dst", "IPv%d while tunnel_src is IPv%d: use one family",
                    c->p->tunnel_dst.family, c->p->tunnel_src.family);
    return true;
}

static bool get_port(struct ctx *c, const char *field, const cJSON *v, uint16_t *port)
{
    uint64_t x = 0;

    if (!v)
        return missing(c, field, "a UDP port, 4500 for RFC 3948");
    if (!get_uint(c, field, v, 65535, &x))
        return false;
    if (x == 0)
        return fail(c, field, "port 0 cannot be used: RFC 3948 uses 4500");
    *port = (uint16_t)x;
    return true;
}

static bool f_udp(struct ctx *c, const cJSON *v)
{
    static const char *const names[] = {"sport", "dport"};
    const cJSON *item[COUNT(names)];

    if (!v)
        return true;
    if (!cJSON_IsObject(v))
        return wrong_type(c, "udp_encapsulation", v, "{\"sport\": 4500, \"dport\": 4500} or null");
    if (c->p->proto != UIPSEC_PROTO_ESP)
        return fail(c, "udp_encapsulation", "only ESP is carried in UDP: set it to null");
    return collect(c, "udp_encapsulation", v, names, COUNT(names), item) &&
           get_port(c, "udp_encapsulation.sport", item[0], &c->p->udp_sport) &&
           get_port(c, "udp_encapsulation.dport", item[1], &c->p->udp_dport);
}

static bool f_backend(struct ctx *c, const cJSON *v)
{
    static const struct word w[] = {{"auto", UIPSEC_BACKEND_AUTO},
                                    {"openssl", UIPSEC_BACKEND_OPENSSL},
                                    {"ipsec-mb", UIPSEC_BACKEND_IPSECMB}};
    int x = 0;

    if (!v)
        return true;
    if (!get_word(c, "backend", v, w, COUNT(w), &x))
        return false;
    c->p->backend = (enum uipsec_backend)x;
    return true;
}

static bool f_ip_id(struct ctx *c, const cJSON *v)
{
    uint64_t x = 0;

    if (!v)
        return true;
    if (!get_uint(c, "ip_id", v, UINT16_MAX, &x))
        return false;
    c->p->ip_id = (uint16_t)x;
    return true;
}

static bool f_ttl(struct ctx *c, const cJSON *v)
{
    uint64_t x = 0;

    if (!v)
        return true;
    if (!get_uint(c, "ttl", v, UINT8_MAX, &x))
        return false;
    c->p->ttl = (uint8_t)x;
    return true;
}

static bool f_tfc_pad(struct ctx *c, const cJSON *v)
{
    uint64_t x = 0;

    if (!v)
        return true;
    if (!get_uint(c, "tfc_pad", v, UINT16_MAX, &x))
        return false;
    c->p->tfc_pad = (uint16_t)x;
    return true;
}

static bool f_df(struct ctx *c, const cJSON *v)
{
    static const struct word w[] = {
        {"clear", UIPSEC_DF_CLEAR}, {"set", UIPSEC_DF_SET}, {"copy", UIPSEC_DF_COPY}};
    int x = 0;

    if (!v)
        return true;
    if (!get_word(c, "df", v, w, COUNT(w), &x))
        return false;
    c->p->df = (enum uipsec_df)x;
    return true;
}

static bool soft_below_hard(struct ctx *c, const char *field, uint64_t soft, uint64_t hard)
{
    if (soft != 0 && hard != 0 && soft > hard)
        return fail(c, field, "%llu is above the hard limit %llu: the soft one must come first",
                    (unsigned long long)soft, (unsigned long long)hard);
    return true;
}

static bool f_lifetime(struct ctx *c, const cJSON *v)
{
    static const char *const names[] = {"soft_bytes", "hard_bytes", "soft_packets", "hard_packets"};
    static const char *const paths[] = {"lifetime.soft_bytes", "lifetime.hard_bytes",
                                        "lifetime.soft_packets", "lifetime.hard_packets"};
    const cJSON *item[COUNT(names)];
    struct uipsec_lifetime *l = &c->p->lifetime;
    uint64_t *dst[] = {&l->soft_bytes, &l->hard_bytes, &l->soft_packets, &l->hard_packets};

    if (!v)
        return true;
    if (!cJSON_IsObject(v))
        return wrong_type(c, "lifetime", v, "an object like {\"hard_bytes\": 1000000}");
    if (!collect(c, "lifetime", v, names, COUNT(names), item))
        return false;
    for (size_t i = 0; i < COUNT(names); i++)
        if (item[i] && !get_uint(c, paths[i], item[i], MAX_JSON_INT, dst[i]))
            return false;
    return soft_below_hard(c, paths[0], l->soft_bytes, l->hard_bytes) &&
           soft_below_hard(c, paths[2], l->soft_packets, l->hard_packets);
}

/* JSON has no comments: this field lets a file say what it is for. */
static bool f_comment(struct ctx *c, const cJSON *v)
{
    return !v || cJSON_IsString(v) || wrong_type(c, "comment", v, "a string");
}

struct field {
    const char *name;
    bool (*apply)(struct ctx *c, const cJSON *v);
};

static const struct field fields[] = {
    {"protocol", f_protocol},
    {"mode", f_mode},
    {"suite", f_suite},
    {"spi", f_spi},
    {"enc_key", f_enc_key},
    {"salt", f_salt},
    {"auth_key", f_auth_key},
    {"esn", f_esn},
    {"esn_high", f_esn_high},
    {"seq", f_seq},
    {"iv", f_iv},
    {"replay_window", f_replay_window},
    {"tunnel_src", f_tunnel_src},
    {"tunnel_dst", f_tunnel_dst},
    {"udp_encapsulation", f_udp},
    {"backend", f_backend},
    {"ip_id", f_ip_id},
    {"ttl", f_ttl},
    {"tfc_pad", f_tfc_pad},
    {"df", f_df},
    {"lifetime", f_lifetime},
    {"comment", f_comment},
};

_Static_assert(COUNT(fields) <= MAX_MEMBERS, "collect() tracks MAX_MEMBERS members");

static bool apply_fields(struct ctx *c, const cJSON *root)
{
    const char *names[COUNT(fields)];
    const cJSON *item[COUNT(fields)];

    for (size_t i = 0; i < COUNT(fields); i++)
        names[i] = fields[i].name;
    if (!collect(c, NULL, root, names, COUNT(fields), item))
        return false;
    for (size_t i = 0; i < COUNT(fields); i++)
        if (!fields[i].apply(c, item[i]))
            return false;
    return true;
}

/* ---- text ---- */

static void where(const char *text, const char *at, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (const char *s = text; s < at; s++) {
        *col = *s == '\n' ? 1 : *col + 1;
        *line += *s == '\n';
    }
}

static bool syntax_error(struct ctx *c, const char *text, size_t len, const char *at,
                         const char *what)
{
    size_t line = 1, col = 1;

    if (at >= text && at <= text + len)
        where(text, at, &line, &col);
    snprintf(c->err, c->err_len, "%s:%zu:%zu: %s", c->name, line, col, what);
    return false;
}

static bool only_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\n", s[i]) || s[i] == '\0')
            return false;
    return true;
}

static cJSON *parse_json(struct ctx *c, const char *text, size_t len)
{
    const char *end = NULL;
    cJSON *root;

    if (only_space(text, len)) {
        snprintf(c->err, c->err_len,
                 "%s: empty: expected a JSON object like {\"protocol\": \"esp\", ...}", c->name);
        return NULL;
    }
    root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!root) {
        syntax_error(c, text, len, end, "JSON syntax error here (a missing comma or quote?)");
        return NULL;
    }
    if (end && !only_space(end, len - (size_t)(end - text)))
        syntax_error(c, text, len, end, "unexpected text after the JSON object");
    else if (!cJSON_IsObject(root))
        snprintf(c->err, c->err_len, "%s: expected a JSON object {...}, got %s", c->name,
                 type_name(root));
    else
        return root;
    cJSON_Delete(root);
    return NULL;
}

/* cJSON frees its strings without wiping them; the keys were among them. */
static void wipe_strings(cJSON *root)
{
    cJSON *m;

    cJSON_ArrayForEach(m, root)
    {
        if (cJSON_IsString(m))
            wipe(m->valuestring, strlen(m->valuestring));
    }
}

size_t uipsec_safile_iv_len(const struct uipsec_sa_params *p)
{
    if (p->proto != UIPSEC_PROTO_ESP)
        return 0;
    switch (p->enc) {
    case UIPSEC_ENC_NULL:
        return 0;
    case UIPSEC_ENC_AES_CBC:
        return 16;
    case UIPSEC_ENC_AES_GCM16:
    case UIPSEC_ENC_CHACHA20_POLY1305:
    case UIPSEC_ENC_AES_GMAC:
        return 8;
    }
    return 0;
}

void uipsec_safile_wipe(struct uipsec_safile *f)
{
    wipe(f, sizeof *f);
}

bool uipsec_safile_parse(const char *text, size_t len, const char *name, enum uipsec_dir dir,
                         struct uipsec_safile *out, char *err, size_t err_len)
{
    struct ctx c = {
        .name = name, .dir = dir, .out = out, .p = &out->params, .err = err, .err_len = err_len};
    cJSON *root;
    bool ok;

    uipsec_safile_wipe(out);
    out->params.dir = dir;
    if (err_len)
        err[0] = '\0';
    root = parse_json(&c, text, len);
    ok = root && apply_fields(&c, root);
    if (root)
        wipe_strings(root);
    cJSON_Delete(root);
    if (!ok)
        uipsec_safile_wipe(out);
    return ok;
}
