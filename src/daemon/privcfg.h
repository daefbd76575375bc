/* SPDX-License-Identifier: MIT */
/*
 * A configuration from uipsecd's privileged parent to its unprivileged
 * child, which cannot read the files (it lives in an empty root): the
 * parent writes it, secrets left out, into a memory file both share; the
 * child reads it back.  Connections carry a psk_id instead of their PSK:
 * the number of the PSK in the parent's table (privsep.c), which computes
 * the AUTH payload's MAC on request.
 */
#ifndef UIPSECD_PRIVCFG_H
#define UIPSECD_PRIVCFG_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Writes cfg (which must carry no secrets: privcfg_strip) to fd from its
 * start; the byte count, or 0 on failure. */
size_t privcfg_write(int fd, const struct cfg *cfg);
/* Reads what privcfg_write wrote (len bytes) into *out.  0, or -1 with why. */
int privcfg_read(int fd, size_t len, struct cfg *out, char *err, size_t err_len);
/* Takes the secrets out of cfg: the secrets table and each connection's
 * PSK, which ids(arg, psk, len) replaces by its number (UINT32_MAX if it
 * has none); the private keys, each connection's replaced by the number
 * key_ids(arg, key) gives it (the callee takes a reference of its own).  Static keys of manual SAs
 * stay: the data path needs them. */
void privcfg_strip(struct cfg *cfg, uint32_t (*ids)(void *arg, const uint8_t *psk, size_t len),
                   uint32_t (*key_ids)(void *arg, EVP_PKEY *key), void *arg);

#endif
