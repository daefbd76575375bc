/* SPDX-License-Identifier: MIT */
/*
 * The stream between the IKE process and the revocation fetcher
 * (fetcher.c): length-prefixed frames, each
 *   u32 length of what follows | u32 id | rest
 * A request's rest is u16 URL length, the URL, and an OCSP request to
 * POST (none: a GET).  An answer's rest is u8 0 and the bytes fetched,
 * or u8 1 and why there are none (text for a person).
 *
 * Both sides read the other's frames through fetch_frame_next, which
 * bounds every length: the fetcher's answers carry bytes from the
 * network, and the IKE process must not trust the fetcher either.
 */
#ifndef UIPSECD_FETCHPROTO_H
#define UIPSECD_FETCHPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "revoc.h"

#define FETCH_FRAME_MAX (IKE_REVOC_ANSWER_MAX + 64)
#define FETCH_TIMEOUT_S 10  /* one fetch, connecting included */
#define FETCH_INFLIGHT  256 /* fetches at once; more are refused at once */

/* A growing receive buffer. */
struct fetch_buf {
    uint8_t *p;
    size_t len, cap;
};

struct fetch_frame {
    uint32_t id;
    const uint8_t *rest;
    size_t rest_len;
};

/* Reads what fd has into b (non-blocking): 1 read something, 0 nothing
 * now, -1 closed or failed. */
int fetch_buf_read(int fd, struct fetch_buf *b);
/* The next whole frame of b into f: 1, 0 none yet, -1 malformed (the
 * stream cannot go on).  The frame stays valid until fetch_buf_consume. */
int fetch_frame_next(const struct fetch_buf *b, size_t *used, struct fetch_frame *f);
void fetch_buf_consume(struct fetch_buf *b, size_t used);
void fetch_buf_free(struct fetch_buf *b);

/* Appends a frame of id with the parts given (a NULL part is skipped) to
 * b: 0, or -1 when it would grow past FETCH_FRAME_MAX or out of memory. */
int fetch_frame_put(struct fetch_buf *b, uint32_t id, const void *a, size_t a_len, const void *c,
                    size_t c_len, const void *e, size_t e_len);
/* Writes what b holds to fd as far as it goes: 0 (all or some), -1 failed. */
int fetch_buf_flush(int fd, struct fetch_buf *b);

#endif
