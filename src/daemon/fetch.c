/* SPDX-License-Identifier: MIT */
#include "fetch.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cursor.h"
#include "fetchproto.h"
#include "log.h"

#define SLOTS IKE_REVOC_ENTRIES /* revoc.c has no more in flight */

struct slot {
    uint32_t id; /* 0: free */
    time_t deadline;
    const char *failed; /* answered with this at the next chance */
};

struct fetch_client {
    int fd;
    bool gone;
    struct fetch_buf in, out;
    struct slot slot[SLOTS];
};

struct fetch_client *fetch_client_new(int fd)
{
    struct fetch_client *fc = calloc(1, sizeof *fc);

    if (fc) {
        fc->fd = fd;
        fc->gone = fd < 0;
    }
    return fc;
}

void fetch_client_free(struct fetch_client *fc)
{
    if (!fc)
        return;
    if (fc->fd >= 0)
        close(fc->fd);
    fetch_buf_free(&fc->in);
    fetch_buf_free(&fc->out);
    free(fc);
}

int fetch_client_fd(const struct fetch_client *fc)
{
    return fc && !fc->gone ? fc->fd : -1;
}

static struct slot *slot_of(struct fetch_client *fc, uint32_t id)
{
    for (size_t i = 0; i < SLOTS; i++)
        if (fc->slot[i].id == id)
            return &fc->slot[i];
    return NULL;
}

static void lost(struct fetch_client *fc)
{
    if (!fc->gone)
        log_err("the revocation fetcher is gone: certificates are checked without fetching");
    fc->gone = true;
    for (size_t i = 0; i < SLOTS; i++)
        if (fc->slot[i].id && !fc->slot[i].failed)
            fc->slot[i].failed = "the revocation fetcher is not running";
}

void fetch_client_request(void *arg, uint32_t id, const char *url, const uint8_t *body, size_t len)
{
    struct fetch_client *fc = arg;
    struct slot *s = slot_of(fc, 0);
    size_t ulen = strlen(url);
    uint8_t be[2];

    if (!s) { /* every slot busy: the oldest fetches are still out */
        log_warn("too many revocation fetches at once: %s not fetched", url);
        return; /* unanswered, revoc.c asks again after IKE_REVOC_RETRY_S */
    }
    *s = (struct slot){.id = id, .deadline = time(NULL) + FETCH_TIMEOUT_S + FETCH_GRACE_S};
    put_be16(be, (uint16_t)ulen);
    if (fc->gone)
        s->failed = "the revocation fetcher is not running";
    else if (ulen > UINT16_MAX || fetch_frame_put(&fc->out, id, be, 2, url, ulen, body, len) < 0)
        s->failed = "cannot queue the fetch";
    else if (fetch_buf_flush(fc->fd, &fc->out) < 0)
        lost(fc);
}

static size_t deliver(struct fetch_client *fc, struct ike_revoc *rv, const struct fetch_frame *f)
{
    struct slot *s = f->id ? slot_of(fc, f->id) : NULL;
    char why[200];

    if (!s || f->rest_len < 1)
        return 0; /* not asked for, or already answered by the deadline */
    s->id = 0;
    if (f->rest[0] == 0) {
        ike_revoc_answer(rv, f->id, f->rest + 1, f->rest_len - 1, NULL);
        return 1;
    }
    /* the fetcher's text, made printable */
    size_t n = f->rest_len - 1 < sizeof why - 1 ? f->rest_len - 1 : sizeof why - 1;
    for (size_t i = 0; i < n; i++)
        why[i] = f->rest[1 + i] >= ' ' && f->rest[1 + i] <= '~' ? (char)f->rest[1 + i] : '?';
    why[n] = '\0';
    ike_revoc_answer(rv, f->id, NULL, 0, why);
    return 1;
}

size_t fetch_client_readable(struct fetch_client *fc, struct ike_revoc *rv)
{
    struct fetch_frame f;
    size_t used, n = 0;
    int r;

    while (!fc->gone && (r = fetch_buf_read(fc->fd, &fc->in)) != 0) {
        if (r < 0) {
            lost(fc);
            break;
        }
        while ((r = fetch_frame_next(&fc->in, &used, &f)) == 1) {
            n += deliver(fc, rv, &f);
            fetch_buf_consume(&fc->in, used);
        }
        if (r < 0) {
            log_err("the revocation fetcher sent a malformed answer");
            lost(fc);
        }
    }
    return n + fetch_client_tick(fc, rv, time(NULL));
}

size_t fetch_client_tick(struct fetch_client *fc, struct ike_revoc *rv, time_t now)
{
    size_t n = 0;

    if (!fc->gone && fc->out.len && fetch_buf_flush(fc->fd, &fc->out) < 0)
        lost(fc);
    for (size_t i = 0; i < SLOTS; i++) {
        struct slot *s = &fc->slot[i];
        uint32_t id = s->id;
        const char *why = s->failed;

        if (!id || (!why && now < s->deadline))
            continue;
        s->id = 0;
        ike_revoc_answer(rv, id, NULL, 0, why ? why : "no answer from the revocation fetcher");
        n++;
    }
    return n;
}
