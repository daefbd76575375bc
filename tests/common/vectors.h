/* SPDX-License-Identifier: MIT */
/* Reading the shared JSON vector files in the tests: a missing file or
 * field fails the test, and byte fields come in exact-size allocations so
 * ASan sees any overread. */
#ifndef UIPSEC_TEST_VECTORS_H
#define UIPSEC_TEST_VECTORS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

struct bytes {
    uint8_t *p;
    size_t len;
};

/* The vector folder: UIPSEC_VECTORS, or the test's first argument. */
extern const char *vectors_dir;

/* The non-empty JSON array in vectors_dir/file; the caller deletes it. */
cJSON *load(const char *file);
const char *str(const cJSON *obj, const char *field);
/* An optional string field: "" when absent. */
const char *opt_str(const cJSON *obj, const char *field);
/* A hex field; the caller frees .p. */
struct bytes hex(const cJSON *obj, const char *field);
size_t num(const cJSON *obj, const char *field);

#endif
