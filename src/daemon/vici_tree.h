/* SPDX-License-Identifier: MIT */
#ifndef UIPSECD_VICI_TREE_H
#define UIPSECD_VICI_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "settings.h"
#include "vici_msg.h"

#define VICI_TREE_MAX_LIST (64u << 10) /* a list's items, joined */

/* The message (well formed: vici_msg_check) as connections { ... } of a
 * new settings tree (settings_free frees it); NULL with err.  A key at
 * the root, a name or value that is not printable ASCII (certificate
 * data), is refused naming it. */
struct settings_node *vici_tree(uint8_t *msg, size_t len, char *err, size_t err_len);

#endif
