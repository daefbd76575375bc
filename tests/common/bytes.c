/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bytes.h"

struct bytes bytes_copy(const uint8_t *p, size_t len)
{
    struct bytes b = {malloc(len ? len : 1), len};

    assert_non_null(b.p);
    if (len)
        memcpy(b.p, p, len);
    return b;
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    fail_msg("bad hex digit '%c'", c);
    return 0;
}

struct bytes bytes_hex(const char *hex)
{
    uint8_t *tmp = malloc(strlen(hex) / 2 + 1);
    struct bytes b;
    size_t n = 0;

    assert_non_null(tmp);
    for (const char *s = hex; *s;) {
        if (*s == ' ') {
            s++;
            continue;
        }
        if (s[1] == '\0')
            fail_msg("odd number of hex digits in \"%s\"", hex);
        tmp[n++] = (uint8_t)(nibble(s[0]) << 4 | nibble(s[1]));
        s += 2;
    }
    b = bytes_copy(tmp, n);
    free(tmp);
    return b;
}

void free_bytes(struct bytes *b)
{
    free(b->p);
    b->p = NULL;
}

bool all_zero(const uint8_t *p, size_t len)
{
    uint8_t acc = 0;

    for (size_t i = 0; i < len; i++)
        acc |= p[i];
    return acc == 0;
}
