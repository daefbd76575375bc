/* SPDX-License-Identifier: MIT */
/*
 * The one bounds-checked reader for untrusted bytes.  Reads from the front
 * (headers) and from the back (ICV, ESP trailer); every read checks the
 * remaining length before it moves, and a failed read leaves the cursor as
 * it was.  No other code does pointer arithmetic on packet memory it has
 * not first taken from a cursor.
 */
#ifndef UIPSEC_CURSOR_H
#define UIPSEC_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cursor {
    uint8_t *p;
    size_t len;
};

static inline struct cursor cursor_make(uint8_t *p, size_t len)
{
    return (struct cursor){p, len};
}

/* Takes n bytes from the front; *out points at them. */
__attribute__((warn_unused_result)) static inline bool cursor_take(struct cursor *c, size_t n,
                                                                   uint8_t **out)
{
    if (n > c->len)
        return false;
    *out = c->p;
    c->p += n;
    c->len -= n;
    return true;
}

/* Takes n bytes from the back. */
__attribute__((warn_unused_result)) static inline bool cursor_take_tail(struct cursor *c, size_t n,
                                                                        uint8_t **out)
{
    if (n > c->len)
        return false;
    c->len -= n;
    *out = c->p + c->len;
    return true;
}

/* Shortens the cursor to n bytes (a length field that may only shrink it). */
__attribute__((warn_unused_result)) static inline bool cursor_limit(struct cursor *c, size_t n)
{
    if (n > c->len)
        return false;
    c->len = n;
    return true;
}

static inline bool cursor_peek_u8(const struct cursor *c, size_t at, uint8_t *v)
{
    if (at >= c->len)
        return false;
    *v = c->p[at];
    return true;
}

static inline uint16_t get_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

#endif
