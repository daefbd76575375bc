/* SPDX-License-Identifier: MIT */
/* Packets written by hand in the tests: big-endian fields, the IPv4 header
 * checksum, fillers.  Test code builds packets without the engine's own
 * helpers, so an engine bug cannot hide in both. */
#ifndef UIPSEC_TEST_TESTPKT_H
#define UIPSEC_TEST_TESTPKT_H

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
/* The Internet checksum (RFC 1071) by hand: p[0, len) added to sum byte
 * by byte (an odd length padded), and the sum folded to 16 bits, not
 * complemented. */
uint32_t inet_sum(uint32_t sum, const uint8_t *p, size_t len);
uint16_t inet_fold(uint32_t sum);
/* The 20-byte IPv4 header and the 8-byte UDP header (zero: no ports, no
 * checksum) of a packet of total bytes, TTL 64, checksum set; the payload
 * after them is the caller's. */
void ipv4_udp(uint8_t *p, size_t total, const uint8_t src[4], const uint8_t dst[4]);

#endif
