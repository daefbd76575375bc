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
#include <string.h>

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

/* Big-endian loads and stores through memcpy: the compiler turns each into
 * one unaligned move and a byte swap (none on a big-endian host). */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define be_swap16(v) (v)
#define be_swap32(v) (v)
#define be_swap64(v) (v)
#else
#define be_swap16(v) __builtin_bswap16(v)
#define be_swap32(v) __builtin_bswap32(v)
#define be_swap64(v) __builtin_bswap64(v)
#endif

static inline uint16_t get_be16(const uint8_t *p)
{
    uint16_t v;

    memcpy(&v, p, sizeof(v));
    return be_swap16(v);
}

static inline uint32_t get_be32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return be_swap32(v);
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
    v = be_swap16(v);
    memcpy(p, &v, sizeof(v));
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
    v = be_swap32(v);
    memcpy(p, &v, sizeof(v));
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
    v = be_swap64(v);
    memcpy(p, &v, sizeof(v));
}

#endif
