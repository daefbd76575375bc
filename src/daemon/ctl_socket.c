/* SPDX-License-Identifier: MIT */
#include "ctl_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Opens the folder of path and checks who may change it; name gets the
 * last component. */
static int open_dir(const char *path, char *name, size_t name_len, char *err, size_t err_len)
{
    const char *slash = strrchr(path, '/');
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct stat st;
    int fd;

    if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        snprintf(dir, sizeof dir, ".");
    snprintf(name, name_len, "%s", slash ? slash + 1 : path);
    if (!name[0] || !strcmp(name, ".") || !strcmp(name, "..")) {
        snprintf(err, err_len, "control socket %s: not a file name", path);
        return -1;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, err_len, "control socket %s: cannot open its folder %s: %s", path, dir,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        snprintf(err, err_len,
                 "control socket %s: its folder %s (owner uid %u, mode %04o) may be changed by "
                 "others; use a folder owned by root that only root may write (like /run), "
                 "or make it so (chown root %s; chmod go-w %s)",
                 path, dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), dir, dir);
        close(fd);
        return -1;
    }
    return fd;
}

/* A file left at the name: removed if it is a socket nobody listens on. */
static int clear_stale(const struct ctl_socket *s, const struct sockaddr_un *sun, char *err,
                       size_t err_len)
{
    struct stat st;
    int probe;

    if (fstatat(s->dir_fd, s->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, err_len,
                 "control socket %s: a file that is not a socket is in the way; remove it or "
                 "choose another path (socket = ... or --socket)",
                 sun->sun_path);
        return -1;
    }
    probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (probe >= 0 && connect(probe, (const struct sockaddr *)sun, sizeof *sun) == 0) {
        close(probe);
        snprintf(err, err_len,
                 "control socket %s: another uipsecd answers on it; stop it first or choose "
                 "another path",
                 sun->sun_path);
        return -1;
    }
    if (probe >= 0)
        close(probe);
    if (unlinkat(s->dir_fd, s->name, 0) < 0 && errno != ENOENT) {
        snprintf(err, err_len, "control socket %s: cannot remove the stale socket: %s",
                 sun->sun_path, strerror(errno));
        return -1;
    }
    return 0;
}

static int bind_private(struct ctl_socket *s, const struct sockaddr_un *sun, char *err,
                        size_t err_len)
{
    mode_t old = umask(0177); /* the file is born 0600 */
    struct stat st;
    int rc = bind(s->fd, (const struct sockaddr *)sun, sizeof *sun);

    umask(old);
    if (rc < 0 || listen(s->fd, 16) < 0 ||
        fstatat(s->dir_fd, s->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        snprintf(err, err_len, "control socket %s: %s", sun->sun_path, strerror(errno));
        return -1;
    }
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    return 0;
}

/* The hidden name it listens under until it is published: ".NAME.PID"
 * beside it (or the name itself when that would not fit). */
static int hide(struct ctl_socket *s, struct sockaddr_un *sun)
{
    char hidden[sizeof(s->name)];
    size_t dir_len = strlen(sun->sun_path) - strlen(s->final);
    int n = snprintf(hidden, sizeof(hidden), ".%s.%d", s->final, (int)getpid());

    if (n < 0 || (size_t)n >= sizeof(hidden) || dir_len + (size_t)n >= sizeof(sun->sun_path))
        return 0;
    memcpy(s->name, hidden, (size_t)n + 1);
    memcpy(sun->sun_path + dir_len, hidden, (size_t)n + 1);
    return 0;
}

int ctl_socket_publish(struct ctl_socket *s)
{
    if (s->fd < 0 || !strcmp(s->name, s->final))
        return 0;
    if (renameat(s->dir_fd, s->name, s->dir_fd, s->final) < 0)
        return -1;
    memcpy(s->name, s->final, sizeof(s->name));
    return 0;
}

int ctl_socket_open(struct ctl_socket *s, const char *path, bool has_group, gid_t group, char *err,
                    size_t err_len)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};

    *s = (struct ctl_socket){.fd = -1, .dir_fd = -1};
    err[0] = '\0';
    if (strlen(path) >= sizeof(sun.sun_path)) {
        snprintf(err, err_len, "control socket %.120s...: path longer than %zu bytes", path,
                 sizeof(sun.sun_path) - 1);
        return -1;
    }
    strcpy(sun.sun_path, path);
    s->dir_fd = open_dir(path, s->name, sizeof s->name, err, err_len);
    if (s->dir_fd < 0)
        return -1;
    memcpy(s->final, s->name, sizeof(s->final));
    s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0 || clear_stale(s, &sun, err, err_len) < 0 || hide(s, &sun) < 0 ||
        clear_stale(s, &sun, err, err_len) < 0 || bind_private(s, &sun, err, err_len) < 0) {
        if (s->fd < 0 || !err[0])
            snprintf(err, err_len, "control socket %s: %s", path, strerror(errno));
        ctl_socket_close(s);
        return -1;
    }
    /* The folder is ours alone, so the name still is our socket. */
    if (has_group && (fchownat(s->dir_fd, s->name, (uid_t)-1, group, AT_SYMLINK_NOFOLLOW) < 0 ||
                      fchmodat(s->dir_fd, s->name, 0660, 0) < 0))
        log_warn("control socket %s: cannot give it to the group: %s", path, strerror(errno));
    return 0;
}

void ctl_socket_close(struct ctl_socket *s)
{
    struct stat st;

    if (s->fd >= 0 && s->dir_fd >= 0 && s->ino &&
        fstatat(s->dir_fd, s->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == s->dev &&
        st.st_ino == s->ino)
        unlinkat(s->dir_fd, s->name, 0);
    if (s->fd >= 0)
        close(s->fd);
    if (s->dir_fd >= 0)
        close(s->dir_fd);
    s->fd = s->dir_fd = -1;
}
