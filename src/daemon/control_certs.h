/* SPDX-License-Identifier: MIT */
#ifndef UIPSECD_CONTROL_CERTS_H
#define UIPSECD_CONTROL_CERTS_H

#include <cjson/cJSON.h>
#include <time.h>

struct cfg;

/* list-certs' result, {"certs":[...]} (docs/CONTROL.md), for the
 * certificates of cfg as they stand at now. */
cJSON *control_list_certs(const struct cfg *cfg, time_t now);

#endif
