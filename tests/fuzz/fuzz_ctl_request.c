/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the daemon's control request decoder
 * (src/daemon/ctl_request.c), fed any bytes as the request line.  A
 * request is either refused with one printable line of at most
 * CTL_ERR_LEN - 1 bytes, or decoded to a known command with exactly the
 * arguments docs/CONTROL.md gives it; a decoded request, printed again by
 * cJSON, decodes to the same command and arguments.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *s)
{
    size_t n;

    if (!s)
        return;
    n = strlen(s);
    if (n == 0 || n > CTL_MAX_NAME)
        abort();
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            abort();
}

static void check_request(const struct ctl_request *r)
{
    if (!cJSON_IsObject(r->json) || (unsigned)r->cmd >= CTL_CMD_COUNT)
        abort();
    check_name(r->child);
    check_name(r->ike);
    if (r->timeout < 0 || r->timeout > 3599 || (r->timeout && r->cmd != CTL_INITIATE))
        abort();
    if (r->cmd == CTL_INITIATE && (!r->child || r->ike))
        abort();
    if (r->cmd == CTL_TERMINATE && !r->child == !r->ike)
        abort();
    if (r->cmd != CTL_INITIATE && r->cmd != CTL_TERMINATE && (r->child || r->ike))
        abort();
    if (cJSON_GetArraySize(r->json) != 1 + !!r->child + !!r->ike + !!r->timeout)
        abort();
}

static void check_error(const char *err)
{
    size_t n = strnlen(err, CTL_ERR_LEN);

    if (n == 0 || n >= CTL_ERR_LEN)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f)
            abort();
}

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ctl_request r, again;
    char err[CTL_ERR_LEN], err2[CTL_ERR_LEN];
    char *text;

    memset(err, 0x55, sizeof err);
    if (ctl_request_decode((const char *)data, size, &r, err, sizeof err) < 0) {
        if (r.json)
            abort();
        check_error(err);
        return 0;
    }
    check_request(&r);
    text = cJSON_PrintUnformatted(r.json);
    if (!text)
        abort();
    if (ctl_request_decode(text, strlen(text), &again, err2, sizeof err2) < 0 ||
        again.cmd != r.cmd || again.timeout != r.timeout || !same(again.child, r.child) ||
        !same(again.ike, r.ike))
        abort();
    cJSON_Delete(again.json);
    cJSON_Delete(r.json);
    free(text);
    return 0;
}
