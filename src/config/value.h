/* SPDX-License-Identifier: MIT */
/* Values of configuration keys: numbers, booleans, addresses, keys and
 * selector lists, each refused with "FILE:LINE:COL: ..." when malformed. */
#ifndef UIPSECD_VALUE_H
#define UIPSECD_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "settings.h"
#include "config.h"

struct value_err {
    char *err;
    size_t err_len;
};

int value_need_key(struct value_err *c, const struct settings_node *n);
/* Whole numbers, with an optional K, M or G suffix (powers of 1024). */
int value_uint(struct value_err *c, const struct settings_node *n, unsigned long long max,
               unsigned long long *out);
int value_bool(struct value_err *c, const struct settings_node *n, bool *out);
int value_addr(struct value_err *c, const struct settings_node *n, struct uipsec_addr *a);
/* strongSwan's binary forms: 0x hex or 0s base64. */
int value_binary(struct value_err *c, const struct settings_node *n, uint8_t *out, size_t max,
                 size_t *len);
int value_str(struct value_err *c, const struct settings_node *n, char *out, size_t max);
int value_ts_list(struct value_err *c, const struct settings_node *n, char list[][64],
                  size_t *count);

#endif
