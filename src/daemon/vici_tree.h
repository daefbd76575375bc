/* SPDX-License-Identifier: MIT */
#ifndef UIPSECD_VICI_TREE_H
#define UIPSECD_VICI_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "settings.h"
#include "vici_msg.h"

#define VICI_TREE_MAX_LIST (64u << 10) /* a list's items, joined */

/* Where the data of certs, cacerts, pubkeys and cacert go (swanctl sends
 * the files' contents): add returns the entry's index, which the tree
 * holds as "#N" (creds.h's blob_refs), or -1 with err. */
struct vici_blobs {
    int (*add)(void *arg, const char *key, const uint8_t *p, size_t n, char *err, size_t err_len);
    void *arg;
};

/* The message (well formed: vici_msg_check) as section top { ... } of a
 * new settings tree (settings_free frees it); NULL with err.  A key at
 * the root, a name or value that is not printable ASCII, is refused
 * naming it, but for certificate data when blobs is given. */
struct settings_node *vici_tree(uint8_t *msg, size_t len, const char *top,
                                const struct vici_blobs *blobs, char *err, size_t err_len);

#endif
