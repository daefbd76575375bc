/* SPDX-License-Identifier: MIT */
/* Helpers shared by the unit tests.  Bytes: test code writes packets without
 * the engine's own helpers, so an engine bug cannot hide in both.  Files:
 * a private temporary folder and files of a given mode in it. */
#ifndef UIPSEC_TESTUTIL_H
#define UIPSEC_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

void put16(uint8_t *p, size_t v);
void put32(uint8_t *p, uint32_t v);
uint16_t get16(const uint8_t *p);
uint32_t get32(const uint8_t *p);
/* Deterministic filler: seed, seed+7, seed+14, ... */
void fill(uint8_t *p, size_t n, uint8_t seed);
/* Sets the RFC 791 header checksum of the IPv4 header at h (its IHL). */
void csum4(uint8_t *h);
bool csum4_ok(const uint8_t *h);

/* A new private folder /tmp/<prefix>.XXXXXX (mkdtemp) into dir. */
void tmpdir_make(char *dir, size_t size, const char *prefix);
/* Removes dir and everything below it, following no links; 0 when done. */
int tmpdir_remove(const char *dir);
/* Writes text to path, made or cut to nothing first, with exactly this
 * mode (umask aside); a link at path is refused, not followed. */
void file_write(const char *path, const char *text, mode_t mode);

#endif
