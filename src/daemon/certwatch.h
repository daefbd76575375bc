/* SPDX-License-Identifier: MIT */
/*
 * The expiry warning: a certificate in use (a connection's local
 * certificate, a peer certificate it pins, or a CA it trusts) that expires
 * within CERTWATCH_DAYS is logged as a warning, one already expired as an
 * error; each certificate at most once in CERTWATCH_REPEAT_S seconds,
 * however often it is checked (docs/CONFIGURATION.md, "Certificates").
 */
#ifndef UIPSECD_CERTWATCH_H
#define UIPSECD_CERTWATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "creds.h"

#define CERTWATCH_DAYS     30
#define CERTWATCH_REPEAT_S 86400 /* once a day */
#define CERTWATCH_EVERY_S  3600  /* certwatch_tick checks this often */

struct cfg;

/* The certificates warned about lately, by SHA-256 (so that a reload,
 * which renumbers them, does not repeat a warning). */
struct certwatch {
    struct {
        uint8_t sha256[32];
        time_t when;
    } told[CFG_MAX_CERTS];
    time_t checked;
};

/* One line: level 0 an error (expired), 1 a warning. */
typedef void certwatch_log_fn(void *arg, int level, const char *line);

/* Checks cfg's certificates in use at now; returns how many lines went
 * to fn. */
int certwatch_check(struct certwatch *w, const struct cfg *cfg, time_t now, certwatch_log_fn *fn,
                    void *arg);
/* certwatch_check when CERTWATCH_EVERY_S have passed since the last. */
void certwatch_tick(struct certwatch *w, const struct cfg *cfg, time_t now, certwatch_log_fn *fn,
                    void *arg);

#endif
