/* SPDX-License-Identifier: MIT */
#include "fetchproto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cursor.h"

static bool grow(struct fetch_buf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : 4096;
    uint8_t *p;

    if (need <= b->cap)
        return true;
    if (need > FETCH_FRAME_MAX + 8)
        return false;
    while (cap < need)
        cap *= 2;
    if (!(p = realloc(b->p, cap)))
        return false;
    b->p = p;
    b->cap = cap;
    return true;
}

int fetch_buf_read(int fd, struct fetch_buf *b)
{
    ssize_t n;

    if (!grow(b, b->len + 65536) && !grow(b, FETCH_FRAME_MAX + 8))
        return -1;
    if (b->len == b->cap)
        return -1; /* a frame longer than any allowed */
    n = read(fd, b->p + b->len, b->cap - b->len);
    if (n > 0) {
        b->len += (size_t)n;
        return 1;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    return -1;
}

int fetch_frame_next(const struct fetch_buf *b, size_t *used, struct fetch_frame *f)
{
    struct cursor c = cursor_make(b->p, b->len);
    uint8_t *p, *rest;
    uint32_t len;

    if (b->len < 8)
        return 0;
    if (!cursor_take(&c, 4, &p))
        return 0;
    len = get_be32(p);
    if (len < 4 || len > FETCH_FRAME_MAX)
        return -1;
    if (!cursor_limit(&c, len))
        return 0; /* the rest is on its way */
    if (!cursor_take(&c, 4, &p))
        return -1;
    f->id = get_be32(p);
    f->rest_len = c.len;
    if (!cursor_take(&c, c.len, &rest))
        return -1;
    f->rest = rest;
    *used = 4 + (size_t)len;
    return 1;
}

void fetch_buf_consume(struct fetch_buf *b, size_t used)
{
    memmove(b->p, b->p + used, b->len - used);
    b->len -= used;
}

void fetch_buf_free(struct fetch_buf *b)
{
    free(b->p);
    *b = (struct fetch_buf){0};
}

int fetch_frame_put(struct fetch_buf *b, uint32_t id, const void *a, size_t a_len, const void *c,
                    size_t c_len, const void *e, size_t e_len)
{
    size_t len = 4 + a_len + c_len + e_len;
    uint8_t *p;

    if (len > FETCH_FRAME_MAX || !grow(b, b->len + 4 + len))
        return -1;
    p = b->p + b->len;
    put_be32(p, (uint32_t)len);
    put_be32(p + 4, id);
    p += 8;
    if (a_len)
        memcpy(p, a, a_len);
    if (c_len)
        memcpy(p + a_len, c, c_len);
    if (e_len)
        memcpy(p + a_len + c_len, e, e_len);
    b->len += 4 + len;
    return 0;
}

int fetch_buf_flush(int fd, struct fetch_buf *b)
{
    while (b->len) {
        ssize_t n = write(fd, b->p, b->len);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        if (n <= 0)
            return -1;
        fetch_buf_consume(b, (size_t)n);
    }
    return 0;
}
