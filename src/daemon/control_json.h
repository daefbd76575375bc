/* SPDX-License-Identifier: MIT */
#ifndef UIPSECD_CONTROL_JSON_H
#define UIPSECD_CONTROL_JSON_H

#include <cjson/cJSON.h>

struct daemon;

/* Answers one parsed request: {"ok":true,"result":...} or
 * {"ok":false,"error":"..."} (docs/CONTROL.md).  The caller frees it. */
cJSON *control_dispatch(struct daemon *d, const cJSON *req);

#endif
