/* SPDX-License-Identifier: MIT */
/* Byte strings in the tests: exact-size heap copies, so ASan sees any
 * read past the end, and hex written by hand or in vector files. */
#ifndef UIPSEC_TEST_BYTES_H
#define UIPSEC_TEST_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bytes {
    uint8_t *p;
    size_t len;
};

/* A copy of len bytes in an allocation of exactly len (1 when len is 0,
 * never read); free it with free_bytes or free(.p). */
struct bytes bytes_copy(const uint8_t *p, size_t len);
/* Hex digits, two per byte, with spaces allowed between bytes; anything
 * else fails the test.  An exact-size allocation as bytes_copy. */
struct bytes bytes_hex(const char *hex);
void free_bytes(struct bytes *b);
bool all_zero(const uint8_t *p, size_t len);

#endif
