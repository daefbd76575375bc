/* SPDX-License-Identifier: MIT */
/*
 * The client side of uipsecd's control protocol (docs/CONTROL.md): one
 * request line out, one answer line back, over a stream Unix socket.  All
 * sizes and the time limit of the protocol are here.
 */
#ifndef UIPSECCTL_CLIENT_H
#define UIPSECCTL_CLIENT_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define CTL_DEFAULT_SOCKET "/run/uipsecd.sock"
#define CTL_SOCKET_ENV     "UIPSECD_SOCKET"
#define CTL_MAX_REQUEST    4096                /* bytes, with the final "\n" */
#define CTL_MAX_ANSWER     (16u * 1024 * 1024) /* bytes, with the final "\n" */
#define CTL_TIMEOUT_MS     10000               /* connect, send and answer together */
#define CTL_WAIT_GRACE_MS  5000                /* beyond the daemon's own limit, for initiate */
#define CTL_ERR_LEN        1024

/* Outcome of a call; also uipsecctl's exit status. */
enum ctl_status {
    CTL_OK = 0,      /* the daemon did it: a result object */
    CTL_REFUSED = 1, /* the daemon said no: its message */
    CTL_FAILED = 2,  /* no usable answer (connection, time, size, format) */
};

/*
 * Sends request (a JSON object, borrowed) to the daemon listening at path
 * and waits for its answer.  On CTL_OK *result is the answer's "result"
 * object, owned by the caller (cJSON_Delete).  Otherwise *result is NULL and
 * err (err_len bytes, CTL_ERR_LEN is enough) holds the daemon's message
 * (CTL_REFUSED) or what went wrong, for people (CTL_FAILED).
 */
__attribute__((warn_unused_result)) enum ctl_status
ctl_call(const char *path, const cJSON *request, cJSON **result, char *err, size_t err_len);

/*
 * ctl_call() with another time limit than CTL_TIMEOUT_MS, for a command the
 * daemon answers only when it is done (initiate).  timeout_ms > 0.
 */
__attribute__((warn_unused_result)) enum ctl_status ctl_call_within(const char *path,
                                                                    const cJSON *request,
                                                                    int timeout_ms, cJSON **result,
                                                                    char *err, size_t err_len);

/*
 * Checks one answer: len bytes without the final "\n", no NUL needed.
 * Pure (no I/O), so tests and a fuzzer can run it alone.  Returns and fills
 * *result and err as ctl_call().
 */
__attribute__((warn_unused_result)) enum ctl_status
ctl_parse_answer(const char *buf, size_t len, cJSON **result, char *err, size_t err_len);

#endif
