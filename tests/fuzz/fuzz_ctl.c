/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the daemon's answers as uipsecctl reads them
 * (ctl_parse_answer): anything malformed is refused with a message, never a
 * crash or a leak, and a success always carries its result.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    cJSON *result = NULL;
    char *copy = malloc(size + 1);
    enum ctl_status st;

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    st = ctl_parse_answer(copy, size, &result, err, sizeof(err));
    if ((st == CTL_OK && !result) || (st != CTL_OK && (result || !err[0])))
        abort(); /* a result exactly when it succeeded, a message otherwise */
    cJSON_Delete(result);
    free(copy);
    return 0;
}
