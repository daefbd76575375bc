/* SPDX-License-Identifier: MIT */
/*
 * The control request decoder (docs/CONTROL.md, "Request"): one request
 * line, as the client sent it without its "\n", to a command and its
 * checked arguments, or to the one-line refusal the daemon answers.  Pure:
 * no daemon state, no I/O, so that a fuzzer runs exactly this.
 */
#ifndef UIPSECD_CTL_REQUEST_H
#define UIPSECD_CTL_REQUEST_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define CTL_MAX_REQUEST 4096 /* the whole line, its "\n" included */
#define CTL_MAX_NAME    255  /* bytes of a name argument */
#define CTL_ERR_LEN     1000 /* an error answer's text, at most */

enum ctl_cmd {
    CTL_STATUS,
    CTL_LIST_SAS,
    CTL_LIST_CONNS,
    CTL_LIST_POLS,
    CTL_INITIATE,
    CTL_TERMINATE,
    CTL_RELOAD,
    CTL_LIST_CERTS,
    CTL_CMD_COUNT
};

struct ctl_request {
    enum ctl_cmd cmd;
    cJSON *json;       /* the whole request object: the caller frees it */
    const char *child; /* initiate: required; terminate: this or ike */
    const char *ike;   /* terminate */
    int timeout;       /* initiate: seconds, 1 to 3599, 0 when not given */
};

/* Decodes line[0..len) (the bytes before the "\n").  0: req filled;
 * -1: req->json NULL and err holds the refusal (printable, at most
 * CTL_ERR_LEN - 1 bytes). */
int ctl_request_decode(const char *line, size_t len, struct ctl_request *req, char *err,
                       size_t err_len);
const char *ctl_cmd_name(enum ctl_cmd cmd);

#endif
