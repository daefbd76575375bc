/* SPDX-License-Identifier: MIT */
/*
 * The IKE process's side of the revocation fetcher (fetcher.h): sends the
 * fetches revoc.c asks for and hands the answers back, never within the
 * call that asked (a failure to send is answered at the next tick or
 * read), and answers itself every fetch the fetcher leaves unanswered
 * for FETCH_TIMEOUT_S + FETCH_GRACE_S, or that it cannot reach.
 */
#ifndef UIPSECD_FETCH_H
#define UIPSECD_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "revoc.h"

#define FETCH_GRACE_S 5

struct fetch_client;

/* fd: the stream to the fetcher, or -1 (then every fetch fails). */
struct fetch_client *fetch_client_new(int fd);
void fetch_client_free(struct fetch_client *fc);
int fetch_client_fd(const struct fetch_client *fc);
/* An ike_revoc_fetch_fn (arg: the client). */
void fetch_client_request(void *arg, uint32_t id, const char *url, const uint8_t *body, size_t len);
/* Answers that came (fd readable), or that are due (each tick), go to
 * rv: how many. */
size_t fetch_client_readable(struct fetch_client *fc, struct ike_revoc *rv);
size_t fetch_client_tick(struct fetch_client *fc, struct ike_revoc *rv, time_t now);

#endif
