/* SPDX-License-Identifier: MIT */
/* The channel to the privileged parent (src/daemon/privchan.c): a forked
 * "parent" serves requests with recording handlers; the test is the
 * unprivileged child calling it.  A request the parent cannot decode ends
 * the service, and the child sees the channel fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privchan.h"
#include "testutil.h"

static int h_route(void *arg, bool add, const struct priv_route *r)
{
    (void)arg;
    return add && r->plen == 16 ? 0 : -ENOENT;
}

static int h_mtu(void *arg, uint32_t mtu)
{
    (void)arg;
    return mtu == 1400 ? 0 : -ERANGE;
}

static int h_keylog(void *arg, enum priv_keylog_file file, const char *line)
{
    (void)arg;
    return file == PRIV_KEYLOG_IKE && strcmp(line, "a,b,c") == 0 ? 0 : -EINVAL;
}

/* Stands for the PRF: the sum of the octets, repeated. */
static int h_auth(void *arg, const struct priv_auth *a, uint8_t *out, size_t *out_len)
{
    uint8_t sum = 0;

    (void)arg;
    for (size_t i = 0; i < a->len; i++)
        sum = (uint8_t)(sum + a->octets[i]);
    memset(out, sum ^ (uint8_t)a->secret, 32);
    *out_len = 32;
    return 0;
}

static const struct priv_handlers handlers = {
    .route = h_route, .mtu = h_mtu, .keylog = h_keylog, .psk_auth = h_auth};

struct served {
    pid_t pid;
    int fd;
};

/* Forks the parent's side; it serves until the channel closes (exit 0) or a
 * bad request comes (exit 3). */
static struct served serve(void)
{
    int sv[2];
    struct served s;

    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    s.pid = fork();
    assert_true(s.pid >= 0);
    if (s.pid == 0) {
        close(sv[0]);
        for (;;) {
            struct pollfd p = {.fd = sv[1], .events = POLLIN};
            enum priv_serve r;

            poll(&p, 1, -1);
            r = priv_serve_one(sv[1], &handlers);
            if (r == PRIV_CLOSED)
                _exit(0);
            if (r == PRIV_BAD_REQUEST)
                _exit(3);
        }
    }
    close(sv[1]);
    s.fd = sv[0];
    return s;
}

static int finish(struct served *s)
{
    int st;

    close(s->fd);
    assert_int_equal(waitpid(s->pid, &st, 0), s->pid);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void requests_are_served(void **state)
{
    struct served s = serve();
    struct priv_req q = {.type = PRIV_ROUTE_ADD, .u.route = {4, 16, {10, 9}}};
    struct priv_reply r;
    uint8_t octets[1000];

    (void)state;
    assert_int_equal(priv_call(s.fd, &q, &r), 0);
    q.type = PRIV_ROUTE_DEL;
    assert_int_equal(priv_call(s.fd, &q, &r), -ENOENT);
    q = (struct priv_req){.type = PRIV_SET_MTU, .u.mtu = 1280};
    assert_int_equal(priv_call(s.fd, &q, NULL), -ERANGE);
    q = (struct priv_req){.type = PRIV_KEYLOG, .u.keylog = {PRIV_KEYLOG_IKE, 5, "a,b,c"}};
    assert_int_equal(priv_call(s.fd, &q, NULL), 0);
    q = (struct priv_req){.type = PRIV_PEER_ADD, .u.peer = {4, {192, 0, 2, 1}}};
    assert_int_equal(priv_call(s.fd, &q, NULL), -EOPNOTSUPP); /* no handler */
    fill(octets, sizeof(octets), 1);
    q = (struct priv_req){.type = PRIV_PSK_AUTH,
                          .u.auth = {7, PRIV_PRF_HMAC_SHA256, sizeof(octets), octets}};
    assert_int_equal(priv_call(s.fd, &q, &r), 0);
    assert_int_equal(r.len, 32);
    {
        uint8_t sum = 0, want[32];

        for (size_t i = 0; i < sizeof(octets); i++)
            sum = (uint8_t)(sum + octets[i]);
        memset(want, sum ^ 7, sizeof(want));
        assert_memory_equal(r.data, want, 32);
    }
    assert_int_equal(finish(&s), 0);
}

static void child_refuses_to_send_invalid(void **state)
{
    struct served s = serve();
    struct priv_req q = {.type = PRIV_ROUTE_ADD, .u.route = {4, 40, {10}}};

    (void)state;
    assert_int_equal(priv_call(s.fd, &q, NULL), -EINVAL);
    assert_int_equal(finish(&s), 0); /* the parent saw nothing */
}

static void bad_request_ends_service(void **state)
{
    struct served s = serve();
    struct priv_req q = {.type = PRIV_SET_MTU, .u.mtu = 1400};
    uint8_t junk[PRIV_HDR_LEN + 4] = {0, PRIV_SET_MTU, 0, 4, 0, 0, 0, 1, 0, 0, 0, 1};

    (void)state;
    assert_int_equal(send(s.fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk)); /* MTU 1 */
    assert_int_equal(priv_call(s.fd, &q, NULL), -EIO);
    assert_int_equal(finish(&s), 3);
}

static void oversized_request_ends_service(void **state)
{
    static uint8_t big[PRIV_MSG_MAX + 100];
    struct served s = serve();

    (void)state;
    assert_int_equal(send(s.fd, big, sizeof(big), 0), (ssize_t)sizeof(big));
    assert_int_equal(finish(&s), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(requests_are_served),
        cmocka_unit_test(child_refuses_to_send_invalid),
        cmocka_unit_test(bad_request_ends_service),
        cmocka_unit_test(oversized_request_ends_service),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
