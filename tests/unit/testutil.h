/* SPDX-License-Identifier: MIT */
/* Helpers shared by the unit tests: the packet helpers of tests/common,
 * a private temporary folder and files of a given mode in it. */
#ifndef UIPSEC_TESTUTIL_H
#define UIPSEC_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "testpkt.h" /* put16, csum4, ...: packets written by hand */

/* A new private folder /tmp/<prefix>.XXXXXX (mkdtemp) into dir. */
void tmpdir_make(char *dir, size_t size, const char *prefix);
/* Removes dir and everything below it, following no links; 0 when done. */
int tmpdir_remove(const char *dir);
/* Writes text to path, made or cut to nothing first, with exactly this
 * mode (umask aside); a link at path is refused, not followed. */
void file_write(const char *path, const char *text, mode_t mode);

#endif
