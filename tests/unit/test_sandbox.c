/* SPDX-License-Identifier: MIT */
/* The sandbox of uipsecd's unprivileged processes (src/daemon/sandbox.c),
 * tried for real in forked children: each enters it and then attempts one
 * thing; the parent reads how the child ended.  Needs root (chroot,
 * setuid); skipped without it. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define PERMISSIVE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PERMISSIVE 1
#endif
#endif
#ifndef PERMISSIVE
#define PERMISSIVE 0
#endif

static char root_dir[64];

enum attempt { NOTHING, OPEN_FILE, NEW_SOCKET, EXEC_MEMORY, EXECVE, BECOME_ROOT, LOOP_WORK };

static int attempt(enum attempt what)
{
    char *argv[] = {"/bin/true", NULL};
    int fds[2];
    uint8_t r[16];
    void *p;

    switch (what) {
    case NOTHING:
        return 0;
    case OPEN_FILE:
        return open("/etc/passwd", O_RDONLY) >= 0 ? 10 : 11;
    case NEW_SOCKET:
        return socket(AF_INET, SOCK_DGRAM, 0) >= 0 ? 10 : 11;
    case EXEC_MEMORY:
        p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p != MAP_FAILED ? 10 : 11;
    case EXECVE:
        execve(argv[0], argv, NULL);
        return 11;
    case BECOME_ROOT:
        return setuid(0) == 0 ? 10 : 11;
    case LOOP_WORK: /* what the event loop does must work */
        p = malloc(1 << 20);
        if (!p || getrandom(r, sizeof(r), 0) != sizeof(r))
            return 12;
        memset(p, 1, 1 << 20);
        free(p);
        if (pipe(fds) == 0) /* pipe is not in the set: expected to die here */
            return 13;
        return 14;
    }
    return 99;
}

/* Runs what in a sandboxed child; returns its wait status. */
static int run(enum attempt what, const char *user)
{
    pid_t pid = fork();
    int status = 0;

    assert_true(pid >= 0);
    if (pid == 0) {
        struct sandbox sb = {.user = user, .root_dir = root_dir};
        struct sandbox_result res;
        char err[300];

        if (sandbox_enter(&sb, &res, err, sizeof(err)) != 0) {
            fprintf(stderr, "sandbox_enter: %s\n", err);
            _exit(50);
        }
        if (getuid() == 0 || geteuid() == 0)
            _exit(51);
        _exit(attempt(what));
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void killed(enum attempt what)
{
    int st = run(what, SANDBOX_USER_DEFAULT);

    if (PERMISSIVE) { /* the filter logs instead: the call went through */
        assert_true(WIFEXITED(st));
        return;
    }
    if (!WIFSIGNALED(st))
        fail_msg("attempt %d: child exited %d instead of being killed", what,
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    assert_int_equal(WTERMSIG(st), SIGSYS);
}

static void enters_and_exits(void **state)
{
    int st;

    (void)state;
    st = run(NOTHING, SANDBOX_USER_DEFAULT);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static void forbidden_calls_kill(void **state)
{
    (void)state;
    killed(OPEN_FILE);
    killed(NEW_SOCKET);
    killed(EXECVE);
}

static void no_executable_memory(void **state)
{
    (void)state;
    killed(EXEC_MEMORY);
}

static void root_cannot_come_back(void **state)
{
    int st = run(BECOME_ROOT, SANDBOX_USER_DEFAULT);

    (void)state;
    /* setuid is not in the set: the kernel never even sees the attempt */
    if (!PERMISSIVE) {
        assert_true(WIFSIGNALED(st));
        assert_int_equal(WTERMSIG(st), SIGSYS);
    } else {
        assert_int_equal(WEXITSTATUS(st), 11);
    }
}

static void loop_work_allowed(void **state)
{
    int st = run(LOOP_WORK, SANDBOX_USER_DEFAULT);

    (void)state;
    if (PERMISSIVE) {
        assert_int_equal(WEXITSTATUS(st), 13);
        return;
    }
    /* memory and randomness worked; pipe() is outside the set */
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGSYS);
}

static void unknown_user_refused(void **state)
{
    int st = run(NOTHING, "no-such-user-uipsec");

    (void)state;
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 50);
}

static void unsafe_root_refused(void **state)
{
    char dir[64], err[300];

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/uipsec-sbx-w-%d", (int)getpid());
    assert_int_equal(mkdir(dir, 0777), 0);
    assert_int_equal(chmod(dir, 0777), 0);
    assert_int_equal(sandbox_check_root(dir, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "writable by nobody else"));
    assert_int_equal(chmod(dir, 0755), 0);
    assert_int_equal(sandbox_check_root(dir, err, sizeof(err)), 0);
    assert_int_equal(mkdir(strcat(dir, "/x"), 0755), 0);
    dir[strlen(dir) - 2] = '\0';
    assert_int_equal(sandbox_check_root(dir, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "must be empty"));
    strcat(dir, "/x");
    rmdir(dir);
    dir[strlen(dir) - 2] = '\0';
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(enters_and_exits),     cmocka_unit_test(forbidden_calls_kill),
        cmocka_unit_test(no_executable_memory), cmocka_unit_test(root_cannot_come_back),
        cmocka_unit_test(loop_work_allowed),    cmocka_unit_test(unknown_user_refused),
        cmocka_unit_test(unsafe_root_refused),
    };
    int rc;

    if (geteuid() != 0) {
        printf("test_sandbox: needs root (chroot, setuid): skipped\n");
        return 77;
    }
    snprintf(root_dir, sizeof(root_dir), "/tmp/uipsec-sbx-%d", (int)getpid());
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(root_dir);
    return rc;
}
