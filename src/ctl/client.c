/* SPDX-License-Identifier: MIT */
/*
 * One exchange with uipsecd: connect, send the request line, read the answer
 * line, check its envelope.  Every step shares one deadline, and the answer
 * is read into a buffer that never grows past CTL_MAX_ANSWER, so a stuck or
 * broken daemon can make uipsecctl fail but neither hang nor crash it.
 */
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_FIRST_ALLOC (64u * 1024)

struct answer {
    char *buf;
    size_t len, cap;
};

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t err_len,
                                                          const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining_ms(long long deadline)
{
    long long left = deadline - now_ms();

    return left > 0 ? (int)left : 0;
}

/* Bounds connect() and send(), which poll() does not cover on a blocking
 * socket.  A zero timeval would mean "forever", hence at least 1 ms. */
static bool set_send_timeout(int fd, long long deadline)
{
    int ms = remaining_ms(deadline);
    struct timeval tv;

    if (ms == 0)
        ms = 1;
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0;
}

/* Whole seconds of a time limit, for messages ("within 35 s"). */
static int seconds(int timeout_ms)
{
    return (timeout_ms + 999) / 1000;
}

static void explain_connect_error(const char *path, int e, int timeout_ms, char *err,
                                  size_t err_len)
{
    const char *hint = "";

    if (e == EAGAIN || e == EINPROGRESS) {
        set_err(err, err_len, "uipsecd at %s did not accept the connection within %d s", path,
                seconds(timeout_ms));
        return;
    }
    if (e == ENOENT || e == ECONNREFUSED)
        hint = " (is uipsecd running? see --socket)";
    else if (e == EACCES || e == EPERM)
        hint = " (the control socket is open to root and uipsecd's configured group only)";
    set_err(err, err_len, "cannot connect to %s: %s%s", path, strerror(e), hint);
}

/* Returns a connected socket, or -1 with err set. */
static int connect_daemon(const char *path, long long deadline, int timeout_ms, char *err,
                          size_t err_len)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t path_len = strlen(path);
    int fd;

    if (path_len == 0 || path_len >= sizeof(addr.sun_path)) {
        set_err(err, err_len, "socket path '%s' must be 1 to %zu bytes long", path,
                sizeof(addr.sun_path) - 1);
        return -1;
    }
    memcpy(addr.sun_path, path, path_len);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        set_err(err, err_len, "cannot make a Unix socket: %s", strerror(errno));
        return -1;
    }
    if (!set_send_timeout(fd, deadline) ||
        connect(fd, (const struct sockaddr *)&addr, sizeof(addr)) != 0) {
        explain_connect_error(path, errno, timeout_ms, err, err_len);
        close(fd);
        return -1;
    }
    return fd;
}

static bool send_request(int fd, const char *buf, size_t len, long long deadline, int timeout_ms,
                         char *err, size_t err_len)
{
    while (len > 0) {
        ssize_t n;

        if (!set_send_timeout(fd, deadline)) {
            set_err(err, err_len, "cannot set a send timeout: %s", strerror(errno));
            return false;
        }
        n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (errno == EAGAIN)
                set_err(err, err_len, "uipsecd did not take the request within %d s",
                        seconds(timeout_ms));
            else
                set_err(err, err_len, "cannot send the request to uipsecd: %s", strerror(errno));
            return false;
        }
        buf += n;
        len -= (size_t)n;
    }
    /* Half-close: the request is complete; the daemon answers regardless. */
    shutdown(fd, SHUT_WR);
    return true;
}

/* Makes room for more of the answer; false once the answer is at its limit. */
static bool grow_answer(struct answer *a, char *err, size_t err_len)
{
    size_t cap = a->cap ? a->cap * 2 : ANSWER_FIRST_ALLOC;
    char *buf;

    if (a->cap >= CTL_MAX_ANSWER) {
        set_err(err, err_len, "uipsecd's answer is longer than %u MiB", CTL_MAX_ANSWER >> 20);
        return false;
    }
    if (cap > CTL_MAX_ANSWER)
        cap = CTL_MAX_ANSWER;
    buf = realloc(a->buf, cap);
    if (!buf) {
        set_err(err, err_len, "out of memory for uipsecd's answer");
        return false;
    }
    a->buf = buf;
    a->cap = cap;
    return true;
}

/* Waits for input until the deadline: 1 readable, 0 time is up, -1 error. */
static int wait_readable(int fd, long long deadline, int timeout_ms, char *err, size_t err_len)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};

    for (;;) {
        int r = poll(&p, 1, remaining_ms(deadline));

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            set_err(err, err_len, "cannot wait for uipsecd: %s", strerror(errno));
        else if (r == 0)
            set_err(err, err_len, "uipsecd did not answer within %d s", seconds(timeout_ms));
        return r;
    }
}

/* Reads the answer up to its first "\n"; a->len then excludes the "\n". */
static bool read_answer(int fd, long long deadline, int timeout_ms, struct answer *a, char *err,
                        size_t err_len)
{
    for (;;) {
        ssize_t n;
        char *nl;

        if (a->len == a->cap && !grow_answer(a, err, err_len))
            return false;
        if (wait_readable(fd, deadline, timeout_ms, err, err_len) <= 0)
            return false;
        n = read(fd, a->buf + a->len, a->cap - a->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            set_err(err, err_len, "lost the connection to uipsecd: %s", strerror(errno));
            return false;
        }
        if (n == 0) {
            set_err(err, err_len, "%s",
                    a->len ? "uipsecd's answer was cut off (no final newline)"
                           : "uipsecd closed the connection without answering");
            return false;
        }
        nl = memchr(a->buf + a->len, '\n', (size_t)n);
        a->len += (size_t)n;
        if (nl) {
            a->len = (size_t)(nl - a->buf);
            return true;
        }
    }
}

static enum ctl_status malformed(char *err, size_t err_len, const char *what)
{
    set_err(err, err_len, "daemon sent a malformed answer (%s)", what);
    return CTL_FAILED;
}

/* Trailing whitespace is allowed after the document, nothing else. */
static bool only_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    return p == end;
}

enum ctl_status ctl_parse_answer(const char *buf, size_t len, cJSON **result, char *err,
                                 size_t err_len)
{
    const char *end = NULL;
    const cJSON *ok, *msg;
    cJSON *doc, *res;

    *result = NULL;
    if (len == 0 || memchr(buf, '\0', len))
        return malformed(err, err_len, len ? "a NUL byte" : "an empty line");
    doc = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (!doc || !end || !only_space(end, buf + len)) {
        cJSON_Delete(doc);
        return malformed(err, err_len, "not one JSON document");
    }
    ok = cJSON_GetObjectItemCaseSensitive(doc, "ok");
    if (!cJSON_IsBool(ok)) {
        cJSON_Delete(doc);
        return malformed(err, err_len, "no \"ok\": true or false");
    }
    if (cJSON_IsFalse(ok)) {
        msg = cJSON_GetObjectItemCaseSensitive(doc, "error");
        if (!cJSON_IsString(msg) || !msg->valuestring[0]) {
            cJSON_Delete(doc);
            return malformed(err, err_len, "\"ok\": false without an \"error\" message");
        }
        set_err(err, err_len, "%s", msg->valuestring);
        cJSON_Delete(doc);
        return CTL_REFUSED;
    }
    res = cJSON_DetachItemFromObjectCaseSensitive(doc, "result");
    cJSON_Delete(doc);
    if (!cJSON_IsObject(res)) {
        cJSON_Delete(res);
        return malformed(err, err_len, "\"ok\": true without a \"result\" object");
    }
    *result = res;
    return CTL_OK;
}

/* Serializes the request as one line into line (CTL_MAX_REQUEST bytes). */
static size_t format_request(const cJSON *request, char *line, char *err, size_t err_len)
{
    char *text = cJSON_PrintUnformatted(request);
    size_t len;

    if (!text) {
        set_err(err, err_len, "out of memory for the request");
        return 0;
    }
    len = strlen(text);
    if (len + 1 > CTL_MAX_REQUEST) {
        set_err(err, err_len, "the request is %zu bytes long, the limit is %d", len + 1,
                CTL_MAX_REQUEST);
        cJSON_free(text);
        return 0;
    }
    memcpy(line, text, len);
    line[len] = '\n';
    cJSON_free(text);
    return len + 1;
}

enum ctl_status ctl_call(const char *path, const cJSON *request, cJSON **result, char *err,
                         size_t err_len)
{
    return ctl_call_within(path, request, CTL_TIMEOUT_MS, result, err, err_len);
}

enum ctl_status ctl_call_within(const char *path, const cJSON *request, int timeout_ms,
                                cJSON **result, char *err, size_t err_len)
{
    long long deadline = now_ms() + timeout_ms;
    struct answer a = {0};
    char line[CTL_MAX_REQUEST];
    enum ctl_status status = CTL_FAILED;
    size_t line_len;
    int fd;

    *result = NULL;
    line_len = format_request(request, line, err, err_len);
    if (line_len == 0)
        return CTL_FAILED;
    fd = connect_daemon(path, deadline, timeout_ms, err, err_len);
    if (fd < 0)
        return CTL_FAILED;
    if (send_request(fd, line, line_len, deadline, timeout_ms, err, err_len) &&
        read_answer(fd, deadline, timeout_ms, &a, err, err_len))
        status = ctl_parse_answer(a.buf, a.len, result, err, err_len);
    close(fd);
    free(a.buf);
    return status;
}
