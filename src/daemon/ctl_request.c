/* SPDX-License-Identifier: MIT */
/* The control request decoder: docs/CONTROL.md's refusals, in its words. */
#include "ctl_request.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const names[CTL_CMD_COUNT] = {
    [CTL_STATUS] = "status",       [CTL_LIST_SAS] = "list-sas",     [CTL_LIST_CONNS] = "list-conns",
    [CTL_LIST_POLS] = "list-pols", [CTL_INITIATE] = "initiate",     [CTL_TERMINATE] = "terminate",
    [CTL_RELOAD] = "reload",       [CTL_LIST_CERTS] = "list-certs",
};

/* The arguments each command takes, besides "command". */
enum { ARG_CHILD = 1, ARG_IKE = 2, ARG_TIMEOUT = 4 };
static const unsigned takes[CTL_CMD_COUNT] = {
    [CTL_INITIATE] = ARG_CHILD | ARG_TIMEOUT,
    [CTL_TERMINATE] = ARG_CHILD | ARG_IKE,
};

const char *ctl_cmd_name(enum ctl_cmd cmd)
{
    return (unsigned)cmd < CTL_CMD_COUNT ? names[cmd] : "?";
}

/* Client text quoted in a message: at most 64 bytes, printable ASCII. */
static void quote(char *out, size_t out_len, const char *s)
{
    size_t i = 0;

    for (; s && s[i] && i < 64 && i + 1 < out_len; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    out[i] = '\0';
}

static int refuse(struct ctl_request *req, char *err, size_t err_len, const char *fmt,
                  const char *a, const char *b)
{
    char qa[65], qb[65];

    quote(qa, sizeof qa, a);
    quote(qb, sizeof qb, b);
    snprintf(err, err_len, fmt, qa, qb);
    cJSON_Delete(req->json);
    req->json = NULL;
    return -1;
}

/* JSON allows only space, tab, CR and LF outside strings, and no raw
 * control byte inside them; the line has no LF. */
static const char *bad_byte(const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '\0')
            return "request holds a NUL byte";
        if ((unsigned char)line[i] < 0x20 && line[i] != '\t' && line[i] != '\r')
            return "request is not one JSON object on one line";
    }
    return NULL;
}

static bool good_name(const cJSON *v)
{
    size_t n;

    if (!cJSON_IsString(v) || !v->valuestring)
        return false;
    n = strlen(v->valuestring);
    if (n == 0 || n > CTL_MAX_NAME)
        return false;
    for (const char *c = v->valuestring; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return false;
    return true;
}

static unsigned arg_bit(const char *name)
{
    return !strcmp(name, "child")     ? ARG_CHILD
           : !strcmp(name, "ike")     ? ARG_IKE
           : !strcmp(name, "timeout") ? ARG_TIMEOUT
                                      : 0;
}

/* "command": present once, a string, a known command. */
static int find_command(struct ctl_request *req, char *err, size_t err_len)
{
    const cJSON *cmd = NULL;

    for (const cJSON *m = req->json->child; m; m = m->next) {
        if (strcmp(m->string, "command") != 0)
            continue;
        if (cmd)
            return refuse(req, err, err_len, "field '%s' given twice%s", "command", "");
        cmd = m;
    }
    if (!cmd)
        return refuse(req, err, err_len, "missing field '%s'%s", "command", "");
    if (!cJSON_IsString(cmd) || !cmd->valuestring)
        return refuse(req, err, err_len, "field '%s' must be a string%s", "command", "");
    for (int c = 0; c < CTL_CMD_COUNT; c++)
        if (!strcmp(cmd->valuestring, names[c])) {
            req->cmd = (enum ctl_cmd)c;
            return 0;
        }
    return refuse(req, err, err_len, "unknown command '%s'%s", cmd->valuestring, "");
}

/* Every other member: an argument the command takes, once, well typed. */
static int check_args(struct ctl_request *req, char *err, size_t err_len)
{
    const char *cmd = names[req->cmd];
    unsigned seen = 0;

    for (const cJSON *m = req->json->child; m; m = m->next) {
        unsigned bit = arg_bit(m->string);

        if (!strcmp(m->string, "command"))
            continue;
        if (!(takes[req->cmd] & bit))
            return refuse(req, err, err_len, "unknown field '%s' for command '%s'", m->string, cmd);
        if (seen & bit)
            return refuse(req, err, err_len, "field '%s' given twice%s", m->string, "");
        seen |= bit;
        if (bit == ARG_TIMEOUT) {
            double t = m->valuedouble;

            if (!cJSON_IsNumber(m) || !(t >= 1 && t < 3600) || t != (double)(int)t)
                return refuse(req, err, err_len,
                              "field '%s' must be a whole number of seconds from 1 to 3599%s",
                              m->string, "");
            req->timeout = (int)t;
        } else if (!good_name(m)) {
            return refuse(req, err, err_len,
                          "field '%s' must be a string of 1 to 255 bytes without control "
                          "characters%s",
                          m->string, "");
        } else {
            *(bit == ARG_CHILD ? &req->child : &req->ike) = m->valuestring;
        }
    }
    if (req->cmd == CTL_INITIATE && !req->child)
        return refuse(req, err, err_len, "missing field '%s' for command '%s'", "child", cmd);
    if (req->cmd == CTL_TERMINATE && !req->child == !req->ike)
        return refuse(req, err, err_len, "command '%s' takes exactly one of 'ike' and 'child'%s",
                      cmd, "");
    return 0;
}

int ctl_request_decode(const char *line, size_t len, struct ctl_request *req, char *err,
                       size_t err_len)
{
    const char *why =
        len >= CTL_MAX_REQUEST ? "request is longer than 4096 bytes" : bad_byte(line, len);
    const char *end = NULL;

    *req = (struct ctl_request){.json = NULL};
    if (why)
        return refuse(req, err, err_len, "%s%s", why, "");
    req->json = cJSON_ParseWithLengthOpts(line, len, &end, false);
    while (end && end < line + len && (*end == ' ' || *end == '\t' || *end == '\r'))
        end++;
    if (!cJSON_IsObject(req->json) || end != line + len)
        return refuse(req, err, err_len, "request is not one JSON object on one line%s%s", "", "");
    if (find_command(req, err, err_len) < 0)
        return -1;
    return check_args(req, err, err_len);
}
