/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

static enum log_level current = LOG_INFO;
static void (*tap_fn)(enum log_level, const char *);
static pthread_t tap_thread;

void log_set_tap(void (*tap)(enum log_level level, const char *line))
{
    tap_thread = pthread_self();
    tap_fn = tap;
}

void log_set_level(enum log_level level)
{
    current = level;
}

enum log_level log_get_level(void)
{
    return current;
}

static void vlog(enum log_level level, const char *fmt, va_list ap)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    struct timespec ts;
    struct tm tm;
    char stamp[32];

    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
    if (tap_fn && pthread_equal(pthread_self(), tap_thread)) {
        char line[1000];
        va_list again;

        va_copy(again, ap);
        vsnprintf(line, sizeof(line), fmt, again);
        va_end(again);
        tap_fn(level, line);
    }
    fprintf(stderr, "%s.%03ld uipsecd %s: ", stamp, ts.tv_nsec / 1000000, names[level]);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    va_list ap;

    if (level > current)
        return;
    va_start(ap, fmt);
    vlog(level, fmt, ap);
    va_end(ap);
}

/* At most max lines a second of those that call it with this window. */
struct rate {
    time_t window;
    unsigned count;
};

static bool rate_ok(struct rate *r, unsigned max)
{
    time_t now = time(NULL);

    if (now != r->window) {
        r->window = now;
        r->count = 0;
    }
    return ++r->count <= max;
}

void log_net(const char *fmt, ...)
{
    static _Thread_local struct rate r; /* each thread its own */
    va_list ap;

    if (current < LOG_DEBUG || !rate_ok(&r, 5))
        return;
    va_start(ap, fmt);
    vlog(LOG_DEBUG, fmt, ap);
    va_end(ap);
}

void log_peer(const char *fmt, ...)
{
    static _Thread_local struct rate r; /* each thread its own */
    va_list ap;

    if (current < LOG_INFO || !rate_ok(&r, 10))
        return;
    va_start(ap, fmt);
    vlog(LOG_INFO, fmt, ap);
    va_end(ap);
}
