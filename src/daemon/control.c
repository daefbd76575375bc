/* SPDX-License-Identifier: MIT */
/*
 * The control socket (docs/CONTROL.md): one JSON request line in, one JSON
 * answer out, then the connection closes.  Clients are served from the
 * event loop without ever blocking it: every socket is non-blocking, up to
 * CTL_MAX_CLIENTS at once, and each has a deadline for its whole request
 * (CTL_REQUEST_MS from connect) and for taking its answer (CTL_ANSWER_MS),
 * so a client that trickles bytes, or reads none, costs one slot for a
 * few seconds and nothing else.  The socket file is made by ctl_socket.c.
 *
 * The listening socket and the clients sit in an epoll set of their own,
 * whose descriptor the main loop watches (control_fd).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "control_json.h"
#include "ctl_request.h"
#include "ctl_socket.h"
#include "daemon.h"
#include "ike.h"
#include "log.h"
#include "vici.h"

#define CTL_MAX_CLIENTS 32               /* connections served at once */
#define CTL_REQUEST_MS  2000             /* connect to the request's "\n" */
#define CTL_ANSWER_MS   5000             /* an answer, ready, to the client */
#define CTL_MAX_ANSWER  (16u << 20)      /* docs/CONTROL.md */
#define LISTENER        UINT64_MAX       /* epoll tag of the listening socket */
#define VICI_SET        (UINT64_MAX - 1) /* epoll tag of VICI's own set (vici.h) */

enum client_state { CL_FREE, CL_READING, CL_WAITING, CL_WRITING };

struct ctl_client {
    enum client_state state;
    int fd;
    uint64_t deadline; /* ms, CLOCK_MONOTONIC */
    size_t in_len, out_len, out_off;
    char *out;
    char child[CTL_MAX_NAME + 1]; /* CL_WAITING: the CHILD_SA initiated */
    char in[CTL_MAX_REQUEST];
};

struct control {
    struct ctl_socket sock;
    int ep;
    struct ctl_client clients[CTL_MAX_CLIENTS];
    struct vici *vici; /* VICI's socket and clients, served beside ours; NULL: off */
};

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static cJSON *error_answer(const char *msg)
{
    cJSON *a = cJSON_CreateObject();

    cJSON_AddFalseToObject(a, "ok");
    cJSON_AddStringToObject(a, "error", msg);
    return a;
}

static void watch(struct control *ctl, size_t i, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.u64 = i};

    epoll_ctl(ctl->ep, EPOLL_CTL_MOD, ctl->clients[i].fd, &ev);
}

static void drop(struct ctl_client *c)
{
    close(c->fd); /* leaves the epoll set with it */
    free(c->out);
    c->out = NULL;
    c->fd = -1;
    c->state = CL_FREE;
}

/* Sends what the socket takes now; drops the client when all is sent or
 * it failed.  false: more to send. */
static bool flush(struct ctl_client *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n =
            send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return false;
        if (n <= 0)
            break;
        c->out_off += (size_t)n;
    }
    drop(c);
    return true;
}

/* Takes answer; the client gets CTL_ANSWER_MS to read it. */
static void start_answer(struct control *ctl, size_t i, cJSON *answer)
{
    struct ctl_client *c = &ctl->clients[i];
    char *text = cJSON_PrintUnformatted(answer);
    size_t len = text ? strlen(text) : 0;

    cJSON_Delete(answer);
    if (text && len + 1 > CTL_MAX_ANSWER) {
        free(text);
        answer = error_answer("the answer would be larger than 16 MiB");
        text = cJSON_PrintUnformatted(answer);
        cJSON_Delete(answer);
        len = text ? strlen(text) : 0;
    }
    c->out = text ? realloc(text, len + 1) : NULL;
    if (!c->out) {
        free(text);
        drop(c);
        return;
    }
    c->out[len] = '\n';
    c->out_len = len + 1;
    c->out_off = 0;
    c->state = CL_WRITING;
    c->deadline = now_ms() + CTL_ANSWER_MS;
    if (!flush(c))
        watch(ctl, i, EPOLLOUT);
}

static size_t count_waiting(const struct control *ctl)
{
    size_t n = 0;

    for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
        n += ctl->clients[i].state == CL_WAITING;
    return n;
}

/* initiate answers when the CHILD_SA is up or refused: the client waits,
 * the daemon does not (the connection is parked until then, watched only
 * for its end). */
static void park(struct control *ctl, size_t i, const struct ctl_request *req)
{
    struct ctl_client *c = &ctl->clients[i];

    c->state = CL_WAITING;
    snprintf(c->child, sizeof c->child, "%s", req->child);
    c->deadline = now_ms() + 1000 * (uint64_t)(req->timeout ? req->timeout : CTL_WAIT_DEFAULT_S);
    watch(ctl, i, 0);
}

static void serve(struct daemon *d, size_t i, size_t len)
{
    struct control *ctl = d->ctl;
    struct ctl_request req;
    char err[CTL_ERR_LEN];
    cJSON *answer;

    if (ctl_request_decode(ctl->clients[i].in, len, &req, err, sizeof err) < 0) {
        start_answer(ctl, i, error_answer(err));
        return;
    }
    if (req.cmd == CTL_INITIATE && count_waiting(ctl) >= CTL_MAX_WAITING)
        answer = error_answer("too many clients are waiting on initiate; try again later");
    else
        answer = control_dispatch(d, &req);
    if (req.cmd == CTL_INITIATE && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(answer, "ok"))) {
        park(ctl, i, &req);
        cJSON_Delete(answer);
    } else {
        start_answer(ctl, i, answer);
    }
    cJSON_Delete(req.json);
}

/* Reads what came; a full line is served.  An end before the "\n" closes
 * without an answer. */
static void on_readable(struct daemon *d, size_t i)
{
    struct ctl_client *c = &d->ctl->clients[i];

    while (c->in_len < sizeof c->in) {
        ssize_t n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, MSG_DONTWAIT);
        char *nl;

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            drop(c);
            return;
        }
        nl = memchr(c->in + c->in_len, '\n', (size_t)n);
        c->in_len += (size_t)n;
        if (nl) {
            serve(d, i, (size_t)(nl - c->in));
            return;
        }
    }
    start_answer(d->ctl, i, error_answer("request is longer than 4096 bytes"));
}

static void on_client(struct daemon *d, size_t i, uint32_t events)
{
    struct ctl_client *c = &d->ctl->clients[i];

    if (c->state == CL_READING)
        on_readable(d, i);
    else if (c->state == CL_WRITING)
        flush(c);
    else if (c->state == CL_WAITING && (events & (EPOLLHUP | EPOLLERR)))
        drop(c); /* gave up waiting */
}

/* A client beyond CTL_MAX_CLIENTS gets a refusal if its socket takes it at
 * once, and is closed. */
static void refuse_busy(int fd)
{
    static const char busy[] = "{\"ok\":false,\"error\":\"uipsecd serves too many control "
                               "clients at once; try again later\"}\n";

    send(fd, busy, sizeof busy - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    close(fd);
    log_net("control: %d clients at once, one refused", CTL_MAX_CLIENTS);
}

static void accept_all(struct control *ctl)
{
    int fd;

    while ((fd = accept4(ctl->sock.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        struct epoll_event ev = {.events = EPOLLIN};
        size_t i = 0;

        while (i < CTL_MAX_CLIENTS && ctl->clients[i].state != CL_FREE)
            i++;
        ev.data.u64 = i;
        if (i == CTL_MAX_CLIENTS || epoll_ctl(ctl->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            refuse_busy(fd);
            continue;
        }
        ctl->clients[i] = (struct ctl_client){
            .state = CL_READING, .fd = fd, .deadline = now_ms() + CTL_REQUEST_MS};
    }
}

void control_readable(struct daemon *d)
{
    struct epoll_event ev[16];
    int n;

    if (!d->ctl)
        return;
    n = epoll_wait(d->ctl->ep, ev, 16, 0);
    for (int k = 0; k < n; k++) {
        if (ev[k].data.u64 == LISTENER)
            accept_all(d->ctl);
        else if (ev[k].data.u64 == VICI_SET)
            vici_readable(d, d->ctl->vici);
        else if (ev[k].data.u64 < CTL_MAX_CLIENTS)
            on_client(d, (size_t)ev[k].data.u64, ev[k].events);
    }
}

int control_open(struct daemon *d)
{
    struct control *ctl = calloc(1, sizeof *ctl);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = LISTENER};
    char err[600];

    if (!ctl)
        return -1;
    for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
        ctl->clients[i].fd = -1;
    ctl->ep = -1;
    if (ctl_socket_open(&ctl->sock, d->cfg.socket_path, d->cfg.has_group, d->cfg.socket_group, err,
                        sizeof err) < 0) {
        log_err("%s", err);
        free(ctl);
        return -1;
    }
    ctl->ep = epoll_create1(EPOLL_CLOEXEC);
    if (ctl->ep < 0 || epoll_ctl(ctl->ep, EPOLL_CTL_ADD, ctl->sock.fd, &ev) < 0) {
        log_err("control socket %s: %s", d->cfg.socket_path, strerror(errno));
        if (ctl->ep >= 0)
            close(ctl->ep);
        ctl_socket_close(&ctl->sock);
        free(ctl);
        return -1;
    }
    d->ctl = ctl;
    ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = VICI_SET};
    if (vici_open(d, &ctl->vici) < 0 ||
        (ctl->vici && epoll_ctl(ctl->ep, EPOLL_CTL_ADD, vici_fd(ctl->vici), &ev) < 0)) {
        control_close(d);
        return -1;
    }
    return 0;
}

int control_fd(const struct daemon *d)
{
    return d->ctl ? d->ctl->ep : -1;
}

int control_publish(struct daemon *d)
{
    if (d->ctl && vici_publish(d->ctl->vici) < 0)
        return -1;
    return d->ctl ? ctl_socket_publish(&d->ctl->sock) : 0;
}

void control_disown(struct daemon *d)
{
    if (d->ctl) {
        d->ctl->sock.ino = 0;
        vici_disown(d->ctl->vici);
    }
}

void control_close(struct daemon *d)
{
    struct control *ctl = d->ctl;

    if (!ctl)
        return;
    for (size_t i = 0; i < CTL_MAX_CLIENTS; i++) {
        struct ctl_client *c = &ctl->clients[i];

        if (c->state == CL_WAITING)
            start_answer(ctl, i, error_answer("uipsecd is stopping")); /* what fits at once */
        if (c->state != CL_FREE)
            drop(c);
    }
    vici_close(ctl->vici);
    ctl_socket_close(&ctl->sock);
    close(ctl->ep);
    free(ctl);
    d->ctl = NULL;
}

void control_child_done(struct daemon *d, const char *child, cJSON *result, const char *error)
{
    if (d->ctl)
        vici_child_done(d, d->ctl->vici, child, error);
    for (size_t i = 0; d->ctl && i < CTL_MAX_CLIENTS; i++) {
        struct ctl_client *c = &d->ctl->clients[i];
        cJSON *a;

        if (c->state != CL_WAITING || strcmp(c->child, child) != 0)
            continue;
        a = error ? error_answer(error) : cJSON_CreateObject();
        if (!error) {
            cJSON_AddTrueToObject(a, "ok");
            cJSON_AddItemToObject(a, "result", cJSON_Duplicate(result, true));
        }
        start_answer(d->ctl, i, a);
    }
}

static const char *timeout_message(const struct daemon *d, const char *child)
{
    static char msg[400];
    char why[300];

    if (ike_waiting_error(d, child, why, sizeof(why)))
        snprintf(msg, sizeof(msg), "timed out waiting for the CHILD_SA: %s", why);
    else
        snprintf(msg, sizeof(msg),
                 "timed out waiting for the CHILD_SA; it may still come up (uipsecctl list-sas)");
    return msg;
}

/* Deadlines, checked every timer tick (IKE_TICK_MS). */
void control_tick(struct daemon *d)
{
    uint64_t now = now_ms();

    if (d->ctl)
        vici_tick(d, d->ctl->vici);
    for (size_t i = 0; d->ctl && i < CTL_MAX_CLIENTS; i++) {
        struct ctl_client *c = &d->ctl->clients[i];

        if (c->state == CL_FREE || now < c->deadline)
            continue;
        if (c->state == CL_READING)
            start_answer(d->ctl, i, error_answer("request not complete within 2 seconds"));
        else if (c->state == CL_WAITING)
            start_answer(d->ctl, i, error_answer(timeout_message(d, c->child)));
        else
            drop(c); /* did not take its answer in time */
    }
}
