/* SPDX-License-Identifier: MIT */
/* Reading the shared JSON vector files in the tests: a missing file or
 * field fails the test, and byte fields come in exact-size allocations so
 * ASan sees any overread. */
#ifndef UIPSEC_TEST_VECTORS_H
#define UIPSEC_TEST_VECTORS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"

/* The vector folder: UIPSEC_VECTORS, or the test's first argument. */
extern const char *vectors_dir;

/* The whole of vectors_dir/file, with a NUL after its len bytes; a
 * missing or empty file fails the test.  The caller frees .p. */
struct bytes slurp(const char *file);
/* The non-empty JSON array in vectors_dir/file; the caller deletes it. */
cJSON *load(const char *file);
const char *str(const cJSON *obj, const char *field);
/* An optional string field: "" when absent. */
const char *opt_str(const cJSON *obj, const char *field);
/* A hex field (bytes_hex); the caller frees .p. */
struct bytes hex(const cJSON *obj, const char *field);
size_t num(const cJSON *obj, const char *field);

#endif
