/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vectors.h"

#ifndef UIPSEC_VECTORS
#error "UIPSEC_VECTORS must name the shared vector directory"
#endif

const char *vectors_dir = UIPSEC_VECTORS;

/* ---- helpers: files, hex ---- */

cJSON *load(const char *file)
{
    char path[1024];
    FILE *f;
    long size;
    char *text;
    cJSON *root;

    snprintf(path, sizeof path, "%s/%s", vectors_dir, file);
    f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("vector file %s is missing (give the vectors folder as the test's argument)",
                 path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size > 0);
    rewind(f);
    text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    text[size] = '\0';
    fclose(f);
    root = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsArray(root) || cJSON_GetArraySize(root) == 0)
        fail_msg("%s is not a non-empty JSON array", path);
    return root;
}

const char *str(const cJSON *obj, const char *field)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);

    if (!cJSON_IsString(item))
        fail_msg("field \"%s\" missing or not a string", field);
    return item->valuestring;
}

const char *opt_str(const cJSON *obj, const char *field)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);

    return cJSON_IsString(item) ? item->valuestring : "";
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

/* The field as bytes in an exact-size allocation, so ASan sees overreads. */
struct bytes hex(const cJSON *obj, const char *field)
{
    const char *s = str(obj, field);
    size_t n = strlen(s);
    struct bytes b = {malloc(n / 2 + 1), n / 2};

    assert_int_equal(n % 2, 0);
    assert_non_null(b.p);
    for (size_t i = 0; i < b.len; i++)
        b.p[i] = (uint8_t)(nibble(s[2 * i]) << 4 | nibble(s[2 * i + 1]));
    return b;
}

size_t num(const cJSON *obj, const char *field)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);

    if (!cJSON_IsNumber(item) || item->valuedouble < 0)
        fail_msg("field \"%s\" missing or not a count", field);
    return (size_t)item->valuedouble;
}
