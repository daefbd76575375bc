/* SPDX-License-Identifier: MIT */
#ifndef UIPSECD_CONTROL_JSON_H
#define UIPSECD_CONTROL_JSON_H

#include <cjson/cJSON.h>

#include "ctl_request.h"

struct daemon;

/* Answers one decoded request: {"ok":true,"result":...} or
 * {"ok":false,"error":"..."} (docs/CONTROL.md).  The caller frees it. */
cJSON *control_dispatch(struct daemon *d, const struct ctl_request *req);

/* control_ike.c */
cJSON *control_ike_sas(const struct daemon *d);
cJSON *control_list_conns(const struct daemon *d);
cJSON *control_initiate(struct daemon *d, const cJSON *req, char *err, size_t err_len);
cJSON *control_terminate(struct daemon *d, const cJSON *req, char *err, size_t err_len);

#endif
