/* SPDX-License-Identifier: MIT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* setresuid, setresgid */
#endif
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>

/* Under AddressSanitizer (and ThreadSanitizer) the runtime itself needs /proc, ptrace and clone
 * at exit (LeakSanitizer stops the world to scan memory): sanitizer builds
 * log what the filter would kill instead of killing, and skip the chroot.
 * The release build enforces; tests/unit/test_sandbox checks it. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANDBOX_PERMISSIVE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANDBOX_PERMISSIVE 1
#endif
#endif
#ifndef SANDBOX_PERMISSIVE
#define SANDBOX_PERMISSIVE 0
#endif

/* What an epoll loop over descriptors it already holds needs: I/O on
 * them, time, randomness, memory, signals it handles through a signalfd,
 * and exit.  No open, no socket, no exec, no ptrace, no mount. */
static const int loop_calls[] = {
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(recvfrom),
    SCMP_SYS(recvmsg),
    SCMP_SYS(recvmmsg),
    SCMP_SYS(sendto),
    SCMP_SYS(sendmsg),
    SCMP_SYS(sendmmsg),
    SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    SCMP_SYS(epoll_ctl),
    SCMP_SYS(close),
    SCMP_SYS(accept4),
    SCMP_SYS(shutdown),
    SCMP_SYS(fcntl),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(lseek),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(nanosleep),
    SCMP_SYS(timerfd_settime),
    SCMP_SYS(timerfd_gettime),
    SCMP_SYS(getrandom),
    SCMP_SYS(brk),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(madvise),
    SCMP_SYS(futex),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(getuid),
    SCMP_SYS(geteuid),
    SCMP_SYS(getgid),
    SCMP_SYS(getegid),
    SCMP_SYS(sched_yield),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(tgkill),
};

static int fail(char *err, size_t len, const char *fmt, const char *arg, int e)
{
    char msg[200];

    snprintf(msg, sizeof(msg), fmt, arg);
    snprintf(err, len, "%s: %s", msg, strerror(e));
    return -1;
}

static bool dir_empty(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    bool empty = true;

    if (!d)
        return false;
    while (empty && (e = readdir(d)))
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    return empty;
}

int sandbox_check_root(const char *dir, char *err, size_t err_len)
{
    struct stat st;

    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return fail(err, err_len, "cannot make the sandbox directory %s", dir, errno);
    if (lstat(dir, &st) != 0)
        return fail(err, err_len, "cannot inspect the sandbox directory %s", dir, errno);
    if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        snprintf(err, err_len,
                 "the sandbox directory %s must be a directory owned by root and writable by "
                 "nobody else (chown root:root, chmod 755)",
                 dir);
        return -1;
    }
    if (!dir_empty(dir)) {
        snprintf(err, err_len, "the sandbox directory %s must be empty: remove what is in it", dir);
        return -1;
    }
    return 0;
}

int sandbox_user(const char *name, struct sandbox_result *res, char *err, size_t err_len)
{
    const struct passwd *pw = getpwnam(name);

    res->fell_back = false;
    if (!pw && strcmp(name, SANDBOX_USER_DEFAULT) == 0) {
        pw = getpwnam(SANDBOX_USER_FALLBACK);
        res->fell_back = pw != NULL;
    }
    if (!pw || pw->pw_uid == 0) {
        snprintf(err, err_len,
                 "no unprivileged user \"%s\" to run as: create it "
                 "(useradd --system --no-create-home --shell /usr/sbin/nologin %s)",
                 name, name);
        return -1;
    }
    res->uid = pw->pw_uid;
    res->gid = pw->pw_gid;
    return 0;
}

static int drop_ids(const struct sandbox_result *res, char *err, size_t err_len)
{
    gid_t gid = (gid_t)res->gid;
    uid_t uid = (uid_t)res->uid;

    if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
        return fail(err, err_len, "cannot change to user id %s", "", errno);
    if (setuid(0) == 0 || seteuid(0) == 0) { /* must be impossible now */
        snprintf(err, err_len, "regained root after dropping it: refusing to run");
        return -1;
    }
    return 0;
}

/* mmap and mprotect only without PROT_EXEC: no new code at run time. */
static int add_memory_rules(scmp_filter_ctx ctx)
{
    return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                            SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) |
           seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                            SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) |
           /* what the kernel dropped at a socket (net.c), and nothing else */
           seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getsockopt), 2,
                            SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET), SCMP_A2(SCMP_CMP_EQ, SO_MEMINFO));
}

static int load_filter(const struct sandbox *sb, char *err, size_t err_len)
{
    uint32_t deny = SANDBOX_PERMISSIVE ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS;
    scmp_filter_ctx ctx = seccomp_init(deny);
    int rc = ctx ? 0 : -1;

    for (size_t i = 0; rc == 0 && i < sizeof(loop_calls) / sizeof(loop_calls[0]); i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, loop_calls[i], 0);
    for (size_t i = 0; rc == 0 && i < sb->n_extra; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sb->extra[i], 0);
    if (rc == 0)
        rc = add_memory_rules(ctx);
    if (rc == 0)
        rc = seccomp_load(ctx);
    if (ctx)
        seccomp_release(ctx);
    if (rc != 0) {
        snprintf(err, err_len, "cannot load the seccomp filter: %s", strerror(rc < 0 ? -rc : rc));
        return -1;
    }
    return 0;
}

int sandbox_enter(const struct sandbox *sb, struct sandbox_result *res, char *err, size_t err_len)
{
    if (sandbox_user(sb->user ? sb->user : SANDBOX_USER_DEFAULT, res, err, err_len) != 0)
        return -1;
    if (sandbox_check_root(sb->root_dir, err, err_len) != 0)
        return -1;
    tzset(); /* log time stamps: the zone file is not in the empty root */
    if (!SANDBOX_PERMISSIVE && (chroot(sb->root_dir) != 0 || chdir("/") != 0))
        return fail(err, err_len, "cannot change the root to %s", sb->root_dir, errno);
    if (drop_ids(res, err, err_len) != 0)
        return -1;
    /* No core dumps of key material, no ptrace by the same user, no way
     * to gain privileges through exec. */
    if ((!SANDBOX_PERMISSIVE && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) || /* LSan ptraces */
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return fail(err, err_len, "cannot restrict the process%s", "", errno);
    return load_filter(sb, err, err_len);
}
