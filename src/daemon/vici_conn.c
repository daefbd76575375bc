/* SPDX-License-Identifier: MIT */
/*
 * VICI's transport and packet layer: the socket (made by ctl_socket.c as
 * the control socket is), up to VICI_MAX_CLIENTS clients served from the
 * event loop without blocking it.  A client's packet is at most
 * VICI_MAX_REQUEST bytes and must arrive within VICI_PACKET_MS of its
 * first byte; what we send waits in the client's queue, at most
 * VICI_MAX_QUEUE bytes, and a client that takes none of it for
 * VICI_STALL_MS is dropped.  A connection may stay open as long as the
 * client likes (swanctl --monitor-sa waits for events), but it costs one
 * slot and its buffers, nothing else.  Each drop has a reason, counted in
 * struct vici_counters and logged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cursor.h"
#include "daemon.h"
#include "log.h"
#include "vici.h"
#include "vici_int.h"

#define LISTENER            UINT64_MAX /* epoll tag of the listening socket */
#define VICI_DEFAULT_SOCKET "/var/run/charon.vici"

static const char *const event_names[VE_COUNT] = {
    [VE_LOG] = "log",
    [VE_CONTROL_LOG] = "control-log",
    [VE_LIST_SA] = "list-sa",
    [VE_LIST_POLICY] = "list-policy",
    [VE_LIST_CONN] = "list-conn",
    [VE_LIST_CERT] = "list-cert",
    [VE_LIST_AUTHORITY] = "list-authority",
    [VE_IKE_UPDOWN] = "ike-updown",
    [VE_IKE_REKEY] = "ike-rekey",
    [VE_IKE_UPDATE] = "ike-update",
    [VE_CHILD_UPDOWN] = "child-updown",
    [VE_CHILD_REKEY] = "child-rekey",
    [VE_ALERT] = "alert",
};

uint64_t vici_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool vici_registered(const struct vici_client *c, enum vici_event ev)
{
    return c->fd >= 0 && (c->events & (1u << ev));
}

static void drop(struct vici_client *c)
{
    if (c->fd < 0)
        return;
    close(c->fd); /* leaves the epoll set with it */
    free(c->in);
    free(c->out);
    *c = (struct vici_client){.fd = -1};
}

/* What epoll reports of c: its input only while no command waits (a
 * parked client's bytes wait unread, so they must not wake the loop
 * again and again), its output while some is queued; its end always. */
void vici_watch_fd(struct vici *v, const struct vici_client *c)
{
    struct epoll_event ev = {.events =
                                 (c->wait == VW_NONE ? EPOLLIN : 0) | (c->out_len ? EPOLLOUT : 0),
                             .data.u64 = (uint64_t)(c - v->cl)};

    epoll_ctl(v->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Sends what the socket takes now; false: the client is gone. */
static bool flush(struct vici *v, struct vici_client *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n =
            send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        if (n <= 0) {
            drop(c);
            return false;
        }
        c->out_off += (size_t)n;
        c->stall_deadline = vici_now_ms() + VICI_STALL_MS;
    }
    if (c->out_off == c->out_len) {
        c->out_off = c->out_len = 0;
        c->stall_deadline = 0;
    }
    vici_watch_fd(v, c);
    return true;
}

/* Room for n more queued bytes, the queue compacted first. */
static bool queue_room(struct vici_client *c, size_t n)
{
    if (c->out_off) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    if (n > VICI_MAX_QUEUE - c->out_len)
        return false;
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 8192;
        uint8_t *p;

        while (cap < c->out_len + n)
            cap *= 2;
        if (!(p = realloc(c->out, cap)))
            return false;
        c->out = p;
        c->out_cap = cap;
    }
    return true;
}

static void queue(struct vici *v, struct vici_client *c, const uint8_t *p, size_t n)
{
    if (c->fd < 0)
        return;
    if (!queue_room(c, n)) {
        v->n.overflow++;
        v->dropped_full++; /* logged at the tick: v->out may be half built now */
        drop(c);
        return;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    if (!c->stall_deadline)
        c->stall_deadline = vici_now_ms() + VICI_STALL_MS;
    flush(v, c);
}

void vici_send(struct vici *v, struct vici_client *c)
{
    if (!vici_end(&v->out)) {
        /* too large for one packet: a short refusal instead */
        vici_begin(&v->out, VICI_CMD_RESPONSE, "");
        vici_kv(&v->out, "success", "no");
        vici_kv(&v->out, "errmsg", "the answer would be larger than %u KiB", VICI_MAX_PACKET >> 10);
        if (!vici_end(&v->out))
            return;
    }
    queue(v, c, v->out.p, v->out.len);
}

void vici_raise(struct vici *v, enum vici_event ev, struct vici_client *only)
{
    if (!vici_end(&v->out))
        return;
    for (size_t i = 0; i < VICI_MAX_CLIENTS; i++)
        if (vici_registered(&v->cl[i], ev) && (!only || only == &v->cl[i]))
            queue(v, &v->cl[i], v->out.p, v->out.len);
}

static void answer_type(struct vici *v, struct vici_client *c, enum vici_packet_type type)
{
    vici_begin(&v->out, type, "");
    vici_send(v, c);
}

static void on_register(struct vici *v, struct vici_client *c, const struct vici_packet *pk)
{
    for (int e = 0; e < VE_COUNT; e++)
        if (!strcmp(pk->name, event_names[e])) {
            if (pk->type == VICI_EVENT_REGISTER)
                c->events |= 1u << e;
            else
                c->events &= ~(1u << e);
            answer_type(v, c, VICI_EVENT_CONFIRM);
            return;
        }
    answer_type(v, c, VICI_EVENT_UNKNOWN);
}

/* One whole packet.  Malformed input ends the connection: after a
 * framing error nothing more it sends can be trusted to line up. */
static void on_packet(struct vici *v, struct vici_client *c, uint8_t *p, size_t len)
{
    struct vici_packet pk;
    char err[200];

    int rc = vici_packet_parse(p, len, &pk, err, sizeof err);

    if (rc == 0 && pk.type != VICI_CMD_REQUEST && pk.type != VICI_EVENT_REGISTER &&
        pk.type != VICI_EVENT_UNREGISTER) {
        snprintf(err, sizeof err, "a client may not send packet type %u", pk.type);
        rc = -1;
    }
    if (rc < 0 || vici_msg_check(pk.msg, pk.msg_len, err, sizeof err) < 0) {
        v->n.malformed++;
        log_warn("vici: malformed packet from a client (%s); connection closed", err);
        drop(c);
        return;
    }
    if (pk.type == VICI_CMD_REQUEST)
        vici_command(v, c, pk.name, pk.msg, pk.msg_len);
    else
        on_register(v, c, &pk);
}

/* The packets complete in the buffer, while no command waits. */
/* Every whole packet the client's buffer holds, read through the cursor:
 * a packet's length and body are taken only when both are there. */
static void serve_buffer(struct vici *v, struct vici_client *c)
{
    struct cursor cur = cursor_make(c->in, c->in_len);

    while (c->fd >= 0 && c->wait == VW_NONE) {
        struct cursor at = cur;
        uint8_t *len, *body;
        size_t n;

        if (!cursor_take(&at, 4, &len))
            break;
        if ((n = get_be32(len)) > VICI_MAX_REQUEST - 4) {
            v->n.too_large++;
            log_warn("vici: a client sent a packet of %zu bytes, more than %u; connection closed",
                     n, VICI_MAX_REQUEST - 4);
            drop(c);
            return;
        }
        if (!cursor_take(&at, n, &body))
            break;
        cur = at;
        on_packet(v, c, body, n);
    }
    if (c->fd < 0)
        return;
    memmove(c->in, cur.p, cur.len);
    c->in_len = cur.len;
    c->packet_deadline =
        c->in_len ? (c->packet_deadline ? c->packet_deadline : vici_now_ms() + VICI_PACKET_MS) : 0;
}

static void on_readable(struct vici *v, struct vici_client *c)
{
    while (c->fd >= 0 && c->in_len < VICI_MAX_REQUEST && c->wait == VW_NONE) {
        ssize_t n = recv(c->fd, c->in + c->in_len, VICI_MAX_REQUEST - c->in_len, MSG_DONTWAIT);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            drop(c); /* the client is done */
            return;
        }
        c->in_len += (size_t)n;
        serve_buffer(v, c);
    }
}

static void on_client(struct vici *v, struct vici_client *c, uint32_t events)
{
    if (events & EPOLLOUT)
        if (!flush(v, c))
            return;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if (c->wait == VW_NONE)
            on_readable(v, c);
        else if (events & (EPOLLHUP | EPOLLERR))
            drop(c); /* gave up waiting */
    }
}

static void accept_all(struct vici *v)
{
    int fd;

    while ((fd = accept4(v->sock.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        struct epoll_event ev = {.events = EPOLLIN};
        size_t i = 0;
        uint8_t *in;

        while (i < VICI_MAX_CLIENTS && v->cl[i].fd >= 0)
            i++;
        ev.data.u64 = i;
        in = i < VICI_MAX_CLIENTS ? malloc(VICI_MAX_REQUEST) : NULL;
        if (!in || epoll_ctl(v->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            free(in);
            close(fd);
            v->n.busy++;
            log_net("vici: %d clients at once, one refused", VICI_MAX_CLIENTS);
            continue;
        }
        v->cl[i] = (struct vici_client){.fd = fd, .in = in};
        v->n.accepted++;
    }
}

void vici_readable(struct daemon *d, struct vici *v)
{
    struct epoll_event ev[16];
    int n;

    (void)d;
    if (!v)
        return;
    n = epoll_wait(v->ep, ev, 16, 0);
    for (int k = 0; k < n; k++) {
        if (ev[k].data.u64 == LISTENER)
            accept_all(v);
        else if (ev[k].data.u64 < VICI_MAX_CLIENTS && v->cl[ev[k].data.u64].fd >= 0)
            on_client(v, &v->cl[ev[k].data.u64], ev[k].events);
    }
}

void vici_tick(struct daemon *d, struct vici *v)
{
    uint64_t now = vici_now_ms();

    (void)d;
    if (v && v->dropped_full) {
        log_warn("vici: %u client%s left more than %u MiB unread; dropped", v->dropped_full,
                 v->dropped_full == 1 ? "" : "s", VICI_MAX_QUEUE >> 20);
        v->dropped_full = 0;
    }
    if (v)
        vici_watch_tick(v);
    for (size_t i = 0; v && i < VICI_MAX_CLIENTS; i++) {
        struct vici_client *c = &v->cl[i];

        if (c->fd < 0)
            continue;
        if ((c->packet_deadline && now >= c->packet_deadline) ||
            (c->stall_deadline && now >= c->stall_deadline)) {
            v->n.slow++;
            log_net("vici: a client too slow to send its packet or take its answer; dropped");
            drop(c);
            continue;
        }
        if (c->wait != VW_NONE && vici_wait_check(v, c, now)) {
            serve_buffer(v, c); /* what it sent meanwhile */
            if (c->fd >= 0)
                on_readable(v, c);
        }
    }
}

/* The configured socket, or the default one; whether the path was
 * chosen (then failing to make it stops uipsecd). */
int vici_open(struct daemon *d, struct vici **out)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = LISTENER};
    const char *path = d->cfg.vici_path[0] ? d->cfg.vici_path : VICI_DEFAULT_SOCKET;
    struct vici *v;
    struct utsname u;
    char err[600];

    *out = NULL;
    if (!d->cfg.vici)
        return 0;
    if (!(v = calloc(1, sizeof *v)))
        return -1;
    for (size_t i = 0; i < VICI_MAX_CLIENTS; i++)
        v->cl[i].fd = -1;
    v->d = d;
    vici_buf_init(&v->out, VICI_MAX_PACKET);
    vici_buf_init(&v->log, VICI_MAX_PACKET);
    if (uname(&u) == 0) { /* not reachable from the sandbox */
        snprintf(v->sysname, sizeof v->sysname, "%s", u.sysname);
        snprintf(v->release, sizeof v->release, "%s", u.release);
        snprintf(v->machine, sizeof v->machine, "%s", u.machine);
    }
    if (ctl_socket_open(&v->sock, path, d->cfg.vici_has_group, d->cfg.vici_group, err, sizeof err) <
        0) {
        free(v);
        if (d->cfg.vici_path[0]) {
            log_err("vici: %s", err);
            return -1;
        }
        /* info, not a warning: several uipsecd on one host (tests in
         * network namespaces) share the default path */
        log_info("vici: %s; uipsecd runs without VICI (set uipsec.vici_socket, or vici = no)", err);
        return 0;
    }
    v->ep = epoll_create1(EPOLL_CLOEXEC);
    if (v->ep < 0 || epoll_ctl(v->ep, EPOLL_CTL_ADD, v->sock.fd, &ev) < 0) {
        log_err("vici socket %s: %s", path, strerror(errno));
        if (v->ep >= 0)
            close(v->ep);
        ctl_socket_close(&v->sock);
        free(v);
        return -1;
    }
    *out = v;
    return 0;
}

int vici_fd(const struct vici *v)
{
    return v ? v->ep : -1;
}

int vici_publish(struct vici *v)
{
    return v ? ctl_socket_publish(&v->sock) : 0;
}

void vici_disown(struct vici *v)
{
    if (v)
        v->sock.ino = 0;
}

void vici_close(struct vici *v)
{
    if (!v)
        return;
    vici_untap(v);
    for (size_t i = 0; i < VICI_MAX_CLIENTS; i++)
        drop(&v->cl[i]);
    ctl_socket_close(&v->sock);
    close(v->ep);
    vici_buf_free(&v->out);
    vici_buf_free(&v->log);
    free(v);
}
