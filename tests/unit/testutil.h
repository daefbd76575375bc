/* SPDX-License-Identifier: MIT */
/* Byte helpers shared by the unit tests: test code writes packets without
 * the engine's own helpers, so an engine bug cannot hide in both. */
#ifndef UIPSEC_TESTUTIL_H
#define UIPSEC_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void put16(uint8_t *p, size_t v);
void put32(uint8_t *p, uint32_t v);
uint16_t get16(const uint8_t *p);
uint32_t get32(const uint8_t *p);
/* Deterministic filler: seed, seed+7, seed+14, ... */
void fill(uint8_t *p, size_t n, uint8_t seed);
/* Sets the RFC 791 header checksum of the IPv4 header at h (its IHL). */
void csum4(uint8_t *h);
bool csum4_ok(const uint8_t *h);

#endif
