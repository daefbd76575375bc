/* SPDX-License-Identifier: MIT */
/*
 * The control socket's file, made without races: its folder must belong to
 * root (or to the user uipsecd runs as) and be writable by nobody else, so
 * that no one else can swap the name between our checks and our calls; a
 * stale socket there is removed only if it is a socket and no daemon
 * answers on it; the socket is bound under umask 0177 (never a moment when
 * others could connect) and given to its group afterwards by the name in
 * that folder (fchmod() on a socket's descriptor does not reach its file
 * on Linux).  At the end the file is removed only if it is still ours.
 */
#ifndef UIPSECD_CTL_SOCKET_H
#define UIPSECD_CTL_SOCKET_H

#include <stdbool.h>
#include <sys/types.h>
#include <sys/un.h>

struct ctl_socket {
    int fd, dir_fd;                                          /* -1: none */
    char name[sizeof(((struct sockaddr_un *)0)->sun_path)];  /* where it is now */
    char final[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* where it is published */
    dev_t dev;                                               /* the file we bound */
    ino_t ino;
};

/* Listens on path (mode 0600, or 0660 and the group with has_group), under
 * a hidden name in path's folder until ctl_socket_publish: a socket at
 * path means a daemon that is ready.  -1 with a message that names the
 * path and what to do. */
int ctl_socket_open(struct ctl_socket *s, const char *path, bool has_group, gid_t group, char *err,
                    size_t err_len);
void ctl_socket_close(struct ctl_socket *s);
/* Gives the socket its name (rename, atomic).  0 or -1. */
int ctl_socket_publish(struct ctl_socket *s);

#endif
