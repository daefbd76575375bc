/* SPDX-License-Identifier: MIT */
/* Values of configuration keys: numbers, booleans, addresses, keys and
 * selector lists, each refused with "FILE:LINE:COL: ..." when malformed. */
#ifndef UIPSECD_CFGVAL_H
#define UIPSECD_CFGVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "config.h"

struct cfgerr {
    char *err;
    size_t err_len;
};

int cfgval_need_key(struct cfgerr *c, const struct conf_node *n);
/* Whole numbers, with an optional K, M or G suffix (powers of 1024). */
int cfgval_uint(struct cfgerr *c, const struct conf_node *n, unsigned long long max,
                unsigned long long *out);
int cfgval_bool(struct cfgerr *c, const struct conf_node *n, bool *out);
int cfgval_addr(struct cfgerr *c, const struct conf_node *n, struct uipsec_addr *a);
/* strongSwan's binary forms: 0x hex or 0s base64. */
int cfgval_binary(struct cfgerr *c, const struct conf_node *n, uint8_t *out, size_t max,
                  size_t *len);
int cfgval_str(struct cfgerr *c, const struct conf_node *n, char *out, size_t max);
int cfgval_ts_list(struct cfgerr *c, const struct conf_node *n, char list[][64], size_t *count);

#endif
