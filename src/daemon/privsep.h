/* SPDX-License-Identifier: MIT */
/*
 * uipsecd's split into two processes (docs/SECURITY.md, "Process model").
 * The parent stays root and does only what needs it: it opened the TUN
 * device and the sockets before the split, and afterwards serves the
 * child's requests (privproto.h): routes and MTU by netlink, the
 * cleartext-drop elements in nftables, key-log lines, PSK MACs, and the
 * configuration, re-read on request with its secrets left out.  The
 * child, which parses every byte from the network, runs in the sandbox
 * (sandbox.h) with the descriptors it inherited.
 */
#ifndef UIPSECD_PRIVSEP_H
#define UIPSECD_PRIVSEP_H

#define UIPSECD_SANDBOX_DIR "/run/uipsecd/empty" /* the child's root */

struct daemon;

/* Splits: returns 0 in the child, which is then in its sandbox with the
 * daemon's configuration stripped of secrets, d->priv_fd and d->cfg_fd
 * set.  The parent never returns: it serves until the child ends, undoes
 * what it set up, and exits with the child's status.  -1 (in the one
 * process there is) if the split failed. */
int privsep_split(struct daemon *d, const char *sandbox_dir);

#endif
