/* SPDX-License-Identifier: MIT */
/* The VICI codec (vici_msg.h): every byte a client sent is taken through
 * the cursor; every rule of the message format is checked as it is met. */
#include "vici_msg.h"

#define VICI_TEXT_MAX 1024 /* a formatted value, terminator included */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const elem_names[] = {
    "?", "section start", "section end", "key/value", "list start", "list item", "list end",
};

static int fail(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
    return -1;
}

static bool printable(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            return false;
    return true;
}

/* A name: one byte of length, then the name (may be empty: charon's
 * global counters are the section ""). */
static bool take_name(struct cursor *c, uint8_t **name, size_t *len)
{
    uint8_t *n;

    if (!cursor_take(c, 1, &n) || !cursor_take(c, n[0], name))
        return false;
    *len = n[0];
    return true;
}

/* A value: two bytes of length (network order), then the value. */
static bool take_value(struct cursor *c, uint8_t **value, size_t *len)
{
    uint8_t *n;

    if (!cursor_take(c, 2, &n) || !cursor_take(c, get_be16(n), value))
        return false;
    *len = get_be16(n);
    return true;
}

static bool named_type(uint8_t type)
{
    return type == VICI_CMD_REQUEST || type == VICI_EVENT_REGISTER ||
           type == VICI_EVENT_UNREGISTER || type == VICI_EVENT;
}

int vici_packet_parse(uint8_t *p, size_t len, struct vici_packet *pk, char *err, size_t err_len)
{
    struct cursor c = cursor_make(p, len);
    uint8_t *t, *name;
    size_t name_len = 0;

    *pk = (struct vici_packet){.msg = NULL};
    if (!cursor_take(&c, 1, &t))
        return fail(err, err_len, "empty packet");
    if (t[0] >= VICI_PACKET_TYPE_COUNT)
        return fail(err, err_len, "unknown packet type %u", t[0]);
    pk->type = t[0];
    if (named_type(pk->type)) {
        if (!take_name(&c, &name, &name_len))
            return fail(err, err_len, "packet name missing or cut short");
        if (!printable(name, name_len))
            return fail(err, err_len, "packet name holds a byte that is not printable ASCII");
        memcpy(pk->name, name, name_len);
    }
    pk->name[name_len] = '\0';
    pk->msg = c.p;
    pk->msg_len = c.len;
    return 0;
}

void vici_reader_init(struct vici_reader *r, uint8_t *msg, size_t len)
{
    *r = (struct vici_reader){.c = cursor_make(msg, len)};
}

/* Which elements may stand where: in a list only items and its end. */
static int placed(const struct vici_reader *r, uint8_t type, char *err, size_t err_len)
{
    bool list_elem = type == VICI_LIST_ITEM || type == VICI_LIST_END;

    if (r->in_list != list_elem)
        return fail(err, err_len, "%s %s a list", elem_names[type],
                    r->in_list ? "inside" : "outside");
    if (type == VICI_SECTION_START && r->depth >= VICI_MAX_DEPTH)
        return fail(err, err_len, "sections nested deeper than %d", VICI_MAX_DEPTH);
    if (type == VICI_SECTION_END && r->depth == 0)
        return fail(err, err_len, "section end without a section");
    return 0;
}

int vici_next(struct vici_reader *r, struct vici_elem *e, char *err, size_t err_len)
{
    uint8_t *t, *name = NULL, *value = NULL;

    *e = (struct vici_elem){0};
    if (r->c.len == 0) {
        if (r->depth || r->in_list)
            return fail(err, err_len, "message ends inside a %s", r->in_list ? "list" : "section");
        return 0;
    }
    if (!cursor_take(&r->c, 1, &t))
        return -1;
    if (t[0] < VICI_SECTION_START || t[0] > VICI_LIST_END)
        return fail(err, err_len, "unknown element type %u", t[0]);
    e->type = t[0];
    if (placed(r, e->type, err, err_len) < 0)
        return -1;
    if ((e->type == VICI_SECTION_START || e->type == VICI_KEY_VALUE ||
         e->type == VICI_LIST_START) &&
        !take_name(&r->c, &name, &e->name_len))
        return fail(err, err_len, "%s: name missing or cut short", elem_names[e->type]);
    if ((e->type == VICI_KEY_VALUE || e->type == VICI_LIST_ITEM) &&
        !take_value(&r->c, &value, &e->value_len))
        return fail(err, err_len, "%s: value cut short", elem_names[e->type]);
    e->name = name;
    e->value = value;
    r->depth += e->type == VICI_SECTION_START;
    r->depth -= e->type == VICI_SECTION_END;
    if (e->type == VICI_LIST_START || e->type == VICI_LIST_END)
        r->in_list = e->type == VICI_LIST_START;
    return 1;
}

int vici_msg_check(uint8_t *msg, size_t len, char *err, size_t err_len)
{
    struct vici_reader r;
    struct vici_elem e;
    int rc;

    vici_reader_init(&r, msg, len);
    while ((rc = vici_next(&r, &e, err, err_len)) > 0)
        ;
    return rc;
}

bool vici_find_raw(uint8_t *msg, size_t len, const char *key, const uint8_t **value,
                   size_t *value_len)
{
    struct vici_reader r;
    struct vici_elem e;
    char err[80];
    size_t klen = strlen(key);

    vici_reader_init(&r, msg, len);
    while (vici_next(&r, &e, err, sizeof err) > 0)
        if (e.type == VICI_KEY_VALUE && r.depth == 0 && e.name_len == klen &&
            memcmp(e.name, key, klen) == 0) {
            *value = e.value;
            *value_len = e.value_len;
            return true;
        }
    return false;
}

bool vici_find(uint8_t *msg, size_t len, const char *key, char *out, size_t out_len)
{
    const uint8_t *v;
    size_t n;

    if (!vici_find_raw(msg, len, key, &v, &n) || n >= out_len || memchr(v, '\0', n))
        return false;
    memcpy(out, v, n);
    out[n] = '\0';
    return true;
}

/* ---- writing ---- */

void vici_buf_init(struct vici_buf *b, size_t max)
{
    *b = (struct vici_buf){.max = max};
}

void vici_buf_free(struct vici_buf *b)
{
    free(b->p);
    *b = (struct vici_buf){.max = b->max};
}

/* Room for n more bytes: doubles up to max (a buffer is kept and reused,
 * so it grows a few times in the daemon's life, not per packet). */
static uint8_t *room(struct vici_buf *b, size_t n)
{
    if (b->failed || n > b->max || b->len > b->max - n) {
        b->failed = true;
        return NULL;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        uint8_t *p;

        while (cap < b->len + n)
            cap *= 2;
        if (cap > b->max)
            cap = b->max;
        if (!(p = realloc(b->p, cap))) {
            b->failed = true;
            return NULL;
        }
        b->p = p;
        b->cap = cap;
    }
    b->len += n;
    return b->p + b->len - n;
}

static void put_bytes(struct vici_buf *b, const void *s, size_t n)
{
    uint8_t *p = room(b, n);

    if (p && n)
        memcpy(p, s, n);
}

static void put_u8(struct vici_buf *b, uint8_t v)
{
    put_bytes(b, &v, 1);
}

/* Names longer than 255 bytes cannot be written: the packet fails. */
static void put_name(struct vici_buf *b, const void *name, size_t n)
{
    if (n > 255) {
        b->failed = true;
        return;
    }
    put_u8(b, (uint8_t)n);
    put_bytes(b, name, n);
}

static void put_value(struct vici_buf *b, const void *v, size_t n)
{
    uint8_t len[2];

    if (n > 0xffff) {
        b->failed = true;
        return;
    }
    put_be16(len, (uint16_t)n);
    put_bytes(b, len, 2);
    put_bytes(b, v, n);
}

void vici_begin(struct vici_buf *b, enum vici_packet_type type, const char *name)
{
    b->len = 0;
    b->failed = false;
    room(b, 4); /* the length, put in place by vici_end */
    put_u8(b, (uint8_t)type);
    if (named_type((uint8_t)type))
        put_name(b, name, strlen(name));
}

bool vici_end(struct vici_buf *b)
{
    if (b->failed || b->len < 4)
        return false;
    put_be32(b->p, (uint32_t)(b->len - 4));
    return true;
}

void vici_section(struct vici_buf *b, const char *name)
{
    put_u8(b, VICI_SECTION_START);
    put_name(b, name, strlen(name));
}

void vici_section_end(struct vici_buf *b)
{
    put_u8(b, VICI_SECTION_END);
}

void vici_kv_raw(struct vici_buf *b, const char *name, const void *value, size_t len)
{
    put_u8(b, VICI_KEY_VALUE);
    put_name(b, name, strlen(name));
    put_value(b, value, len);
}

/* fmt's text into v (VICI_TEXT_MAX bytes): its length, or -1 (then b
 * has failed: a value too long is an error, never a cut one). */
static int format(struct vici_buf *b, char *v, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static int format(struct vici_buf *b, char *v, const char *fmt, va_list ap)
{
    int n = vsnprintf(v, VICI_TEXT_MAX, fmt, ap);

    if (n < 0 || n >= VICI_TEXT_MAX) {
        b->failed = true;
        return -1;
    }
    return n;
}

void vici_kv(struct vici_buf *b, const char *name, const char *fmt, ...)
{
    char v[VICI_TEXT_MAX];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = format(b, v, fmt, ap);
    va_end(ap);
    if (n >= 0)
        vici_kv_raw(b, name, v, (size_t)n);
}

void vici_list(struct vici_buf *b, const char *name)
{
    put_u8(b, VICI_LIST_START);
    put_name(b, name, strlen(name));
}

void vici_item(struct vici_buf *b, const char *fmt, ...)
{
    char v[VICI_TEXT_MAX];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = format(b, v, fmt, ap);
    va_end(ap);
    if (n >= 0) {
        put_u8(b, VICI_LIST_ITEM);
        put_value(b, v, (size_t)n);
    }
}

void vici_list_end(struct vici_buf *b)
{
    put_u8(b, VICI_LIST_END);
}

void vici_put_raw(struct vici_buf *b, const uint8_t *p, size_t len)
{
    put_bytes(b, p, len);
}

void vici_put_elem(struct vici_buf *b, const struct vici_elem *e)
{
    put_u8(b, e->type);
    if (e->name)
        put_name(b, e->name, e->name_len);
    if (e->type == VICI_KEY_VALUE || e->type == VICI_LIST_ITEM)
        put_value(b, e->value, e->value_len);
}
