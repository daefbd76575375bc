/* SPDX-License-Identifier: MIT */
/*
 * The control socket (docs/CONTROL.md): one JSON request line in, one JSON
 * answer out, then the connection closes.  The socket is created 0600 (or
 * 0660 with the configured group), so the file system decides who may talk.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control_json.h"
#include "daemon.h"
#include "log.h"

#define MAX_REQUEST 4096

static void answer_and_close(int fd, cJSON *answer);
static cJSON *error_answer(const char *msg);

int control_open(struct daemon *d)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    mode_t old;
    int fd;

    if (strlen(d->cfg.socket_path) >= sizeof(sun.sun_path))
        return -1;
    strcpy(sun.sun_path, d->cfg.socket_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    unlink(sun.sun_path);
    old = umask(0177); /* never a moment when others could connect */
    if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 16) < 0) {
        umask(old);
        log_err("control socket %s: %s", sun.sun_path, strerror(errno));
        close(fd);
        return -1;
    }
    umask(old);
    if (d->cfg.has_group &&
        (chown(sun.sun_path, 0, d->cfg.socket_group) < 0 || chmod(sun.sun_path, 0660) < 0))
        log_warn("control socket %s: cannot give it to the group: %s", sun.sun_path,
                 strerror(errno));
    d->ctl_fd = fd;
    return 0;
}

void control_close(struct daemon *d)
{
    for (size_t i = 0; i < CTL_MAX_WAITING; i++)
        if (d->waiting[i].fd >= 0) {
            answer_and_close(d->waiting[i].fd, error_answer("uipsecd is stopping"));
            d->waiting[i].fd = -1;
        }
    if (d->ctl_fd >= 0) {
        close(d->ctl_fd);
        unlink(d->cfg.socket_path);
    }
    d->ctl_fd = -1;
}

static cJSON *error_answer(const char *msg)
{
    cJSON *a = cJSON_CreateObject();

    cJSON_AddFalseToObject(a, "ok");
    cJSON_AddStringToObject(a, "error", msg);
    return a;
}

/* Reads one line, at most MAX_REQUEST bytes, waiting at most a second. */
static ssize_t read_request(int fd, char *buf)
{
    struct timeval tv = {.tv_sec = 1};
    size_t got = 0;

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    while (got < MAX_REQUEST) {
        ssize_t n = read(fd, buf + got, MAX_REQUEST - got);

        if (n <= 0)
            return -1;
        got += (size_t)n;
        if (memchr(buf, '\n', got))
            break;
    }
    if (!memchr(buf, '\n', got))
        return -1;
    *(char *)memchr(buf, '\n', got) = '\0';
    return (ssize_t)got;
}

static void write_all(int fd, const char *s, size_t len)
{
    while (len) {
        ssize_t n = write(fd, s, len);

        if (n <= 0)
            return;
        s += n;
        len -= (size_t)n;
    }
}

static void answer_and_close(int fd, cJSON *answer)
{
    char *text = cJSON_PrintUnformatted(answer);

    cJSON_Delete(answer);
    if (text) {
        write_all(fd, text, strlen(text));
        write_all(fd, "\n", 1);
        free(text);
    }
    close(fd);
}

/* initiate answers when the CHILD_SA is up or refused: the client waits,
 * the daemon does not (the connection is parked until then). */
static bool park(struct daemon *d, int fd, const cJSON *req)
{
    const cJSON *child = cJSON_GetObjectItemCaseSensitive(req, "child"),
                *timeout = cJSON_GetObjectItemCaseSensitive(req, "timeout");
    double secs = cJSON_IsNumber(timeout) ? timeout->valuedouble : CTL_WAIT_DEFAULT_S;

    for (size_t i = 0; i < CTL_MAX_WAITING; i++) { /* serve() made sure one is free */
        struct ctl_wait *w = &d->waiting[i];

        if (w->fd >= 0)
            continue;
        w->fd = fd;
        snprintf(w->child, sizeof(w->child), "%s", child->valuestring);
        w->deadline = time(NULL) + (time_t)secs; /* checked by control_initiate */
        return true;
    }
    return false;
}

static bool slot_free(const struct daemon *d)
{
    for (size_t i = 0; i < CTL_MAX_WAITING; i++)
        if (d->waiting[i].fd < 0)
            return true;
    return false;
}

static bool is_initiate(const cJSON *req)
{
    const cJSON *cmd = req ? cJSON_GetObjectItemCaseSensitive(req, "command") : NULL;

    return cJSON_IsString(cmd) && !strcmp(cmd->valuestring, "initiate");
}

static void serve(struct daemon *d, int fd)
{
    char buf[MAX_REQUEST + 1];
    cJSON *req = NULL, *answer;

    if (read_request(fd, buf) < 0)
        answer = error_answer("request too long, not one line, or not sent in time");
    else if (!(req = cJSON_Parse(buf)) || !cJSON_IsObject(req))
        answer = error_answer("request is not a JSON object");
    else if (is_initiate(req) && !slot_free(d))
        answer = error_answer("too many clients are waiting on initiate; try again later");
    else
        answer = control_dispatch(d, req);
    if (is_initiate(req) && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(answer, "ok")) &&
        park(d, fd, req)) {
        cJSON_Delete(answer);
        cJSON_Delete(req);
        return;
    }
    cJSON_Delete(req);
    answer_and_close(fd, answer);
}

void control_readable(struct daemon *d)
{
    int fd;

    while ((fd = accept4(d->ctl_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
        serve(d, fd);
}

void control_child_done(struct daemon *d, const char *child, cJSON *result, const char *error)
{
    for (size_t i = 0; i < CTL_MAX_WAITING; i++) {
        struct ctl_wait *w = &d->waiting[i];
        cJSON *a;

        if (w->fd < 0 || strcmp(w->child, child) != 0)
            continue;
        a = error ? error_answer(error) : cJSON_CreateObject();
        if (!error) {
            cJSON_AddTrueToObject(a, "ok");
            cJSON_AddItemToObject(a, "result", cJSON_Duplicate(result, true));
        }
        answer_and_close(w->fd, a);
        w->fd = -1;
    }
}

void control_tick(struct daemon *d)
{
    time_t now = time(NULL);

    for (size_t i = 0; i < CTL_MAX_WAITING; i++) {
        struct ctl_wait *w = &d->waiting[i];

        if (w->fd >= 0 && now >= w->deadline) {
            answer_and_close(w->fd, error_answer("timed out waiting for the CHILD_SA; it may "
                                                 "still come up (uipsecctl list-sas)"));
            w->fd = -1;
        }
    }
}
