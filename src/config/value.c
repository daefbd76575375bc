/* SPDX-License-Identifier: MIT */
#include "value.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(c, node, ...) (settings_node_error(node, (c)->err, (c)->err_len, __VA_ARGS__), -1)

static bool is_key(const struct settings_node *n)
{
    return n->value != NULL;
}

int value_need_key(struct value_err *c, const struct settings_node *n)
{
    if (!is_key(n))
        return FAIL(c, n, "\"%s\" is a section here but must be a key: write %s = VALUE", n->name,
                    n->name);
    return 0;
}

int value_uint(struct value_err *c, const struct settings_node *n, unsigned long long max,
               unsigned long long *out)
{
    char *end;
    unsigned long long v, mult = 1;

    if (value_need_key(c, n) < 0)
        return -1;
    errno = 0;
    v = strtoull(n->value, &end, 0);
    if (*end && strchr("kKmMgG", *end) && end[1] == '\0')
        mult = *end == 'k' || *end == 'K'   ? 1024ull
               : *end == 'm' || *end == 'M' ? 1ull << 20
                                            : 1ull << 30;
    else if (*end)
        end = NULL;
    if (!end || errno || n->value[0] == '-' || n->value[0] == '\0' || v > max / mult)
        return FAIL(c, n, "%s = \"%s\": expected a whole number from 0 to %llu", n->name, n->value,
                    max);
    *out = v * mult;
    return 0;
}

int value_bool(struct value_err *c, const struct settings_node *n, bool *out)
{
    static const char *const yes[] = {"yes", "true", "enabled", "1"};
    static const char *const no[] = {"no", "false", "disabled", "0"};

    if (value_need_key(c, n) < 0)
        return -1;
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(n->value, yes[i]) == 0)
            return *out = true, 0;
        if (strcmp(n->value, no[i]) == 0)
            return *out = false, 0;
    }
    return FAIL(c, n, "%s = \"%s\": expected yes or no", n->name, n->value);
}

int value_addr(struct value_err *c, const struct settings_node *n, struct uipsec_addr *a)
{
    if (value_need_key(c, n) < 0)
        return -1;
    memset(a, 0, sizeof(*a));
    if (inet_pton(AF_INET, n->value, a->bytes) == 1)
        return a->family = 4, 0;
    if (inet_pton(AF_INET6, n->value, a->bytes) == 1)
        return a->family = 6, 0;
    return FAIL(c, n, "%s = \"%s\": expected one IPv4 or IPv6 address", n->name, n->value);
}

static int nibble(char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static int unhex(const char *s, uint8_t *out, size_t max, size_t *len)
{
    size_t n = strlen(s);

    if (n % 2 || n / 2 > max)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        if (!isxdigit((unsigned char)s[i]) || !isxdigit((unsigned char)s[i + 1]))
            return -1;
        out[i / 2] = (uint8_t)(nibble(s[i]) << 4 | nibble(s[i + 1])); /* no copy of the key */
    }
    *len = n / 2;
    return 0;
}

/* strongSwan's binary forms: 0x hex or 0s base64. */
int value_binary(struct value_err *c, const struct settings_node *n, uint8_t *out, size_t max,
                 size_t *len)
{
    uint8_t tmp[4 * 64];
    size_t sl;
    int got;

    if (value_need_key(c, n) < 0)
        return -1;
    sl = strlen(n->value);
    if (sl > 2 && strncmp(n->value, "0x", 2) == 0 && unhex(n->value + 2, out, max, len) == 0)
        return 0;
    if (sl > 2 && strncmp(n->value, "0s", 2) == 0 && sl - 2 <= sizeof(tmp) / 3 * 4 &&
        (sl - 2) % 4 == 0) {
        got = EVP_DecodeBlock(tmp, (const unsigned char *)n->value + 2, (int)(sl - 2));
        got -= (n->value[sl - 1] == '=') + (n->value[sl - 2] == '=');
        if (got >= 0 && (size_t)got <= max) {
            memcpy(out, tmp, (size_t)got);
            *len = (size_t)got;
            OPENSSL_cleanse(tmp, sizeof(tmp));
            return 0;
        }
    }
    OPENSSL_cleanse(tmp, sizeof(tmp));
    return FAIL(c, n,
                "%s: expected a key as 0x followed by hex digits (or 0s and base64), at "
                "most %zu bytes",
                n->name, max);
}

int value_str(struct value_err *c, const struct settings_node *n, char *out, size_t max)
{
    if (value_need_key(c, n) < 0)
        return -1;
    if (strlen(n->value) >= max)
        return FAIL(c, n, "%s: value longer than %zu characters", n->name, max - 1);
    strcpy(out, n->value);
    return 0;
}

/* A comma-separated list of traffic selectors in strongSwan syntax. */
int value_ts_list(struct value_err *c, const struct settings_node *n, char list[][64],
                  size_t *count)
{
    const char *p;

    if (value_need_key(c, n) < 0)
        return -1;
    *count = 0;
    for (p = n->value; *p;) {
        size_t len;

        while (*p == ' ' || *p == ',')
            p++;
        len = strcspn(p, ",");
        while (len && p[len - 1] == ' ')
            len--;
        if (!len)
            break;
        if (*count == CFG_MAX_TS || len >= 64)
            return FAIL(c, n, "%s: at most %d selectors of up to 63 characters each", n->name,
                        CFG_MAX_TS);
        memcpy(list[*count], p, len);
        list[(*count)++][len] = '\0';
        p += len;
    }
    if (*count == 0)
        return FAIL(c, n, "%s: no traffic selector given", n->name);
    return 0;
}
