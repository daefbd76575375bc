/* SPDX-License-Identifier: MIT */
/*
 * VICI, strongSwan's control protocol, on its own Unix socket beside the
 * control socket (docs/CONTROL.md, "VICI"), so that strongSwan's swanctl
 * and VICI libraries drive uipsecd.  control.c opens, publishes and closes
 * it with its own socket and serves it from its own event set.
 */
#ifndef UIPSECD_VICI_H
#define UIPSECD_VICI_H

#include <stdbool.h>

struct daemon;
struct vici;

/* The socket of d->cfg (vici_socket, vici_group): 0 with *out set, or
 * NULL when VICI is off (uipsec.vici = no, or the default path is another
 * daemon's: a warning); -1 when a configured socket cannot be made. */
int vici_open(struct daemon *d, struct vici **out);
void vici_close(struct vici *v);
int vici_fd(const struct vici *v); /* an epoll set: readable when there is work */
int vici_publish(struct vici *v);  /* the socket takes its name */
void vici_disown(struct vici *v);  /* the file is another process's to remove */
void vici_readable(struct daemon *d, struct vici *v);
void vici_tick(struct daemon *d, struct vici *v); /* every IKE tick: waits and deadlines */
/* A CHILD_SA named child came up (error NULL) or could not. */
void vici_child_done(struct daemon *d, struct vici *v, const char *child, const char *error);

#endif
