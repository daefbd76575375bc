/* SPDX-License-Identifier: MIT */
/* The cage of uipsecd's unprivileged processes: another user, no
 * capabilities, an empty root directory and a seccomp filter that lets
 * only the system calls of an event loop through.  Entered once, after
 * every descriptor the process needs is open; there is no way back. */
#ifndef UIPSECD_SANDBOX_H
#define UIPSECD_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#define SANDBOX_USER_DEFAULT  "uipsecd"
#define SANDBOX_USER_FALLBACK "nobody"

struct sandbox {
    const char *user;     /* the unprivileged user (SANDBOX_USER_DEFAULT) */
    const char *root_dir; /* an empty directory owned by root, made if missing */
    /* Extra system calls (numbers) the process may make beyond the event
     * loop's set; NULL/0 for none. */
    const int *extra;
    size_t n_extra;
};

struct sandbox_result {
    bool fell_back; /* user did not exist: SANDBOX_USER_FALLBACK was taken */
    unsigned uid, gid;
};

/* Enters the sandbox: must be called as root.  Returns 0, or -1 with a
 * message saying what failed and what to do (the process is then in an
 * undefined half-state and must exit). */
int sandbox_enter(const struct sandbox *sb, struct sandbox_result *res, char *err, size_t err_len);

/* The unprivileged user sandbox_enter will take (name, or the fallback
 * for SANDBOX_USER_DEFAULT): 0 with res filled, or -1 with what to do. */
int sandbox_user(const char *name, struct sandbox_result *res, char *err, size_t err_len);

/* Checks that dir is usable as an empty root: made (0755) if missing,
 * owned by root, writable by nobody else, and empty.  0 or -1 with why. */
int sandbox_check_root(const char *dir, char *err, size_t err_len);

#endif
