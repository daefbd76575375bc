/* SPDX-License-Identifier: MIT */
/*
 * VICI, strongSwan's control protocol (docs/CONTROL.md, "VICI"): the packet
 * and message codec.  Pure: no daemon state, no I/O, so that the fuzzer
 * (fuzz_vici) runs exactly what uipsecd runs on a client's bytes.
 *
 * A packet is one byte of type, for the named types a name (one byte of
 * length, then the name), then a message.  A message is a run of elements:
 * a section start (name), section end, key/value (name, then two bytes of
 * length and the value), list start (name), list item (value), list end.
 * The reader checks every element as it takes it: lengths within the
 * message, sections balanced and at most VICI_MAX_DEPTH deep, lists not
 * nested and holding only items; a message that ends inside a section or
 * a list is malformed.
 */
#ifndef UIPSECD_VICI_MSG_H
#define UIPSECD_VICI_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

#define VICI_MAX_DEPTH 16 /* nested sections in a message we read */

enum vici_packet_type {
    VICI_CMD_REQUEST,
    VICI_CMD_RESPONSE,
    VICI_CMD_UNKNOWN,
    VICI_EVENT_REGISTER,
    VICI_EVENT_UNREGISTER,
    VICI_EVENT_CONFIRM,
    VICI_EVENT_UNKNOWN,
    VICI_EVENT,
    VICI_PACKET_TYPE_COUNT
};

enum vici_elem_type {
    VICI_SECTION_START = 1,
    VICI_SECTION_END,
    VICI_KEY_VALUE,
    VICI_LIST_START,
    VICI_LIST_ITEM,
    VICI_LIST_END
};

/* A packet as read: msg points into the bytes given. */
struct vici_packet {
    uint8_t type;   /* enum vici_packet_type */
    char name[256]; /* named types: the name, NUL-terminated; else "" */
    uint8_t *msg;
    size_t msg_len;
};

/* One element: name and value point into the message. */
struct vici_elem {
    uint8_t type; /* enum vici_elem_type */
    const uint8_t *name, *value;
    size_t name_len, value_len;
};

struct vici_reader {
    struct cursor c;
    unsigned depth; /* sections open */
    bool in_list;
};

/* The packet of len bytes at p (the transport's length already removed).
 * 0, or -1 with the reason in err: an unknown type, a name that does not
 * fit or holds a byte other than a printable ASCII character. */
int vici_packet_parse(uint8_t *p, size_t len, struct vici_packet *pk, char *err, size_t err_len);

void vici_reader_init(struct vici_reader *r, uint8_t *msg, size_t len);
/* The next element in *e: 1; 0 at a well-formed end; -1 malformed (err
 * says where and why; the reader is then of no further use). */
int vici_next(struct vici_reader *r, struct vici_elem *e, char *err, size_t err_len);
/* The whole message walked: 0 well formed, -1 with err. */
int vici_msg_check(uint8_t *msg, size_t len, char *err, size_t err_len);
/* The value of the key named key in the message's root section, as a
 * NUL-terminated string in out: true.  False if there is none, or it does
 * not fit in out, or holds a NUL byte (a well-formed message is assumed:
 * vici_msg_check first). */
bool vici_find(uint8_t *msg, size_t len, const char *key, char *out, size_t out_len);

/* The same for any bytes (certificate data): *value points into msg. */
bool vici_find_raw(uint8_t *msg, size_t len, const char *key, const uint8_t **value,
                   size_t *value_len);

/* ---- writing ---- */

/* A packet being built, transport length included; it grows up to max
 * bytes, beyond which it is marked failed (and written no further). */
struct vici_buf {
    uint8_t *p;
    size_t len, cap, max;
    bool failed;
};

void vici_buf_init(struct vici_buf *b, size_t max);
void vici_buf_free(struct vici_buf *b);
/* Starts a packet (forgetting what b held): the length, the type and, for
 * the named types, name. */
void vici_begin(struct vici_buf *b, enum vici_packet_type type, const char *name);
/* The length put in place: false if the packet failed (too large, out of
 * memory). */
bool vici_end(struct vici_buf *b);
void vici_section(struct vici_buf *b, const char *name);
void vici_section_end(struct vici_buf *b);
void vici_kv(struct vici_buf *b, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vici_kv_raw(struct vici_buf *b, const char *name, const void *value, size_t len);
void vici_list(struct vici_buf *b, const char *name);
void vici_item(struct vici_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vici_list_end(struct vici_buf *b);
/* Elements already encoded (a kept message), as they are. */
void vici_put_raw(struct vici_buf *b, const uint8_t *p, size_t len);
/* One element as read (a message copied element by element). */
void vici_put_elem(struct vici_buf *b, const struct vici_elem *e);

#endif
