/* SPDX-License-Identifier: MIT */
#include "fetcher.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cursor.h"
#include "fetchproto.h"
#include "log.h"
#include "sandbox.h"

/* One transfer: what came so far, or why it stopped. */
struct job {
    CURL *h;
    uint32_t id;
    struct fetch_buf got;
    bool too_long;
    struct curl_slist *hdrs;
    uint8_t *body;
};

struct fetcher {
    int fd;
    CURLM *multi;
    struct fetch_buf in, out;
    size_t running;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct job *j = arg;
    size_t len = size * n;

    if (j->got.len + len > IKE_REVOC_ANSWER_MAX) {
        j->too_long = true;
        return 0; /* stops the transfer */
    }
    if (j->got.len + len > j->got.cap) {
        size_t cap = j->got.cap ? j->got.cap : 16384;
        uint8_t *q;

        while (cap < j->got.len + len)
            cap *= 2;
        if (!(q = realloc(j->got.p, cap)))
            return 0;
        j->got.p = q;
        j->got.cap = cap;
    }
    memcpy(j->got.p + j->got.len, p, len);
    j->got.len += len;
    return len;
}

static void answer(struct fetcher *f, uint32_t id, bool ok, const void *p, size_t len)
{
    uint8_t flag = ok ? 0 : 1;

    if (fetch_frame_put(&f->out, id, &flag, 1, p, len, NULL, 0) < 0)
        (void)fetch_frame_put(&f->out, id, "\1", 1, "no room", 7, NULL, 0);
}

static void refuse(struct fetcher *f, uint32_t id, const char *why)
{
    answer(f, id, false, why, strlen(why));
}

/* An easy handle for url: GET, or POST of an OCSP request. */
static struct job *job_new(uint32_t id, const char *url, const uint8_t *body, size_t body_len)
{
    struct job *j = calloc(1, sizeof *j);

    if (!j || !(j->h = curl_easy_init()) || (body_len && !(j->body = malloc(body_len)))) {
        if (j)
            curl_easy_cleanup(j->h);
        free(j);
        return NULL;
    }
    j->id = id;
    curl_easy_setopt(j->h, CURLOPT_URL, url);
    curl_easy_setopt(j->h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(j->h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(j->h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(j->h, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(j->h, CURLOPT_TIMEOUT, (long)FETCH_TIMEOUT_S);
    curl_easy_setopt(j->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(j->h, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(j->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)IKE_REVOC_ANSWER_MAX);
    curl_easy_setopt(j->h, CURLOPT_USERAGENT, "uipsecd");
    curl_easy_setopt(j->h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(j->h, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(j->h, CURLOPT_PRIVATE, j);
    if (body_len) { /* RFC 6960 A.1: POST with its media type */
        memcpy(j->body, body, body_len);
        j->hdrs = curl_slist_append(NULL, "Content-Type: application/ocsp-request");
        curl_easy_setopt(j->h, CURLOPT_HTTPHEADER, j->hdrs);
        curl_easy_setopt(j->h, CURLOPT_POSTFIELDS, j->body);
        curl_easy_setopt(j->h, CURLOPT_POSTFIELDSIZE, (long)body_len);
    }
    return j;
}

static void job_free(struct fetcher *f, struct job *j)
{
    curl_multi_remove_handle(f->multi, j->h);
    curl_easy_cleanup(j->h);
    curl_slist_free_all(j->hdrs);
    free(j->body);
    fetch_buf_free(&j->got);
    free(j);
    f->running--;
}

/* A request frame: u16 URL length, URL, body. */
static void on_request(struct fetcher *f, const struct fetch_frame *fr)
{
    char url[IKE_REVOC_URI_MAX];
    size_t ulen = fr->rest_len >= 2 ? get_be16(fr->rest) : SIZE_MAX;
    struct job *j;

    if (ulen == SIZE_MAX || ulen == 0 || ulen >= sizeof url || 2 + ulen > fr->rest_len)
        return refuse(f, fr->id, "malformed request");
    if (f->running >= FETCH_INFLIGHT)
        return refuse(f, fr->id, "too many fetches at once");
    memcpy(url, fr->rest + 2, ulen);
    url[ulen] = '\0';
    if (!(j = job_new(fr->id, url, fr->rest + 2 + ulen, fr->rest_len - 2 - ulen)))
        return refuse(f, fr->id, "out of memory");
    if (curl_multi_add_handle(f->multi, j->h) != CURLM_OK) {
        f->running++;
        job_free(f, j);
        return refuse(f, fr->id, "cannot start the transfer");
    }
    f->running++;
}

/* Finished transfers are answered. */
static void on_done(struct fetcher *f)
{
    CURLMsg *m;
    int left;

    while ((m = curl_multi_info_read(f->multi, &left))) {
        struct job *j = NULL;
        char why[200];
        long code = 0;

        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
        curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
        if (m->data.result == CURLE_OK) {
            answer(f, j->id, true, j->got.p, j->got.len);
        } else {
            if (m->data.result == CURLE_OPERATION_TIMEDOUT)
                snprintf(why, sizeof why, "timeout after %d s", FETCH_TIMEOUT_S);
            else if (j->too_long || m->data.result == CURLE_FILESIZE_EXCEEDED)
                snprintf(why, sizeof why, "longer than %u bytes", IKE_REVOC_ANSWER_MAX);
            else if (m->data.result == CURLE_HTTP_RETURNED_ERROR)
                snprintf(why, sizeof why, "HTTP status %ld", code);
            else
                snprintf(why, sizeof why, "%s", curl_easy_strerror(m->data.result));
            refuse(f, j->id, why);
        }
        job_free(f, j);
    }
}

/* Requests in; false when the IKE process is gone. */
static bool on_input(struct fetcher *f)
{
    struct fetch_frame fr;
    size_t used;
    int r = fetch_buf_read(f->fd, &f->in);

    if (r < 0)
        return false;
    while ((r = fetch_frame_next(&f->in, &used, &fr)) == 1) {
        on_request(f, &fr);
        fetch_buf_consume(&f->in, used);
    }
    return r == 0;
}

static void serve(int fd)
{
    struct fetcher f = {.fd = fd};
    struct curl_waitfd w = {.fd = fd, .events = CURL_WAIT_POLLIN};
    int running;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(f.multi = curl_multi_init()))
        _exit(1);
    log_info("revocation fetcher %d runs as uid %u", (int)getpid(), (unsigned)getuid());
    for (;;) {
        w.revents = 0;
        curl_multi_poll(f.multi, &w, 1, 1000, NULL);
        if ((w.revents & CURL_WAIT_POLLIN) && !on_input(&f))
            break;
        curl_multi_perform(f.multi, &running);
        on_done(&f);
        /* the IKE process reads as it can: answers wait in f.out */
        fcntl(fd, F_SETFL, 0);
        if (fetch_buf_flush(fd, &f.out) < 0)
            break;
        fcntl(fd, F_SETFL, O_NONBLOCK);
    }
    _exit(0);
}

/* Another user, no capabilities, no way back. */
static int drop(void)
{
    struct sandbox_result res;
    char err[300];

    if (sandbox_user(SANDBOX_USER_DEFAULT, &res, err, sizeof err) < 0 || setgroups(0, NULL) < 0 ||
        setgid(res.gid) < 0 || setuid(res.uid) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        prctl(PR_SET_PDEATHSIG, SIGTERM) < 0) {
        log_err("revocation fetcher: cannot drop privileges: %s", err[0] ? err : strerror(errno));
        return -1;
    }
    return 0;
}

int fetcher_main(int fd)
{
    if (drop() < 0 || getppid() == 1)
        return 1;
    fcntl(fd, F_SETFL, O_NONBLOCK);
    serve(fd);
    return 0;
}

pid_t fetcher_start(int *fd)
{
    int sv[2];
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        log_err("cannot start the revocation fetcher: %s", strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        /* a new image: nothing of the parent's memory (keys) stays */
        if (dup2(sv[1], FETCHER_FD) == FETCHER_FD && close_range(FETCHER_FD + 1, ~0u, 0) == 0)
            execl("/proc/self/exe", "uipsecd", FETCHER_ARG, (char *)NULL);
        _exit(127);
    }
    close(sv[1]);
    if (pid < 0) {
        log_err("cannot start the revocation fetcher: %s", strerror(errno));
        close(sv[0]);
        return -1;
    }
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    *fd = sv[0];
    return pid;
}
