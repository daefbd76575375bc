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

struct bytes slurp(const char *file)
{
    char path[1024];
    struct bytes b;
    FILE *f;
    long size;

    snprintf(path, sizeof path, "%s/%s", vectors_dir, file);
    f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("vector file %s is missing (give the vectors folder as the test's argument)",
                 path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size > 0);
    rewind(f);
    b.len = (size_t)size;
    b.p = malloc(b.len + 1);
    assert_non_null(b.p);
    assert_int_equal(fread(b.p, 1, b.len, f), b.len);
    b.p[b.len] = '\0';
    fclose(f);
    return b;
}

cJSON *load(const char *file)
{
    struct bytes text = slurp(file);
    cJSON *root = cJSON_ParseWithLength((const char *)text.p, text.len);

    free(text.p);
    if (!cJSON_IsArray(root) || cJSON_GetArraySize(root) == 0)
        fail_msg("%s/%s is not a non-empty JSON array", vectors_dir, file);
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

/* Vector files write hex without spaces: one there is a damaged file. */
struct bytes hex(const cJSON *obj, const char *field)
{
    const char *s = str(obj, field);

    if (strchr(s, ' ') != NULL)
        fail_msg("field \"%s\" has a space in its hex", field);
    return bytes_hex(s);
}

size_t num(const cJSON *obj, const char *field)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);

    if (!cJSON_IsNumber(item) || item->valuedouble < 0)
        fail_msg("field \"%s\" missing or not a count", field);
    return (size_t)item->valuedouble;
}
