/* SPDX-License-Identifier: MIT */
/*
 * The control socket (docs/CONTROL.md): uipsecctl's clients, served from
 * the IKE thread's event loop.  Its state is control.c's own.
 */
#ifndef UIPSECD_CONTROL_H
#define UIPSECD_CONTROL_H

struct daemon;
struct cJSON;

/* Control clients that may wait for `initiate` at once, and how long. */
#define CTL_MAX_WAITING    16
#define CTL_WAIT_DEFAULT_S 30

int control_open(struct daemon *d);
void control_close(struct daemon *d);
/* What the event loop watches: the socket and the clients (-1: none). */
int control_fd(const struct daemon *d);
/* The socket file is another process's to remove (uipsecd's parent). */
void control_disown(struct daemon *d);
/* The socket takes its name: the daemon is ready (ctl_socket_publish). */
int control_publish(struct daemon *d);
void control_readable(struct daemon *d);
/* Answers the clients waiting on `initiate` of child: result (borrowed)
 * or error. */
void control_child_done(struct daemon *d, const char *child, struct cJSON *result,
                        const char *error);
void control_tick(struct daemon *d); /* answers waits that timed out */

#endif
