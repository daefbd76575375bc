/* SPDX-License-Identifier: MIT */
/* Logging to stderr with levels; per-packet events are never logged above
 * debug, and debug lines from the network are rate limited. */
#ifndef UIPSECD_LOG_H
#define UIPSECD_LOG_H

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Debug lines caused by network input: at most a few per second. */
void log_net(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Info lines an unauthenticated peer can cause (a refused IKE_SA_INIT):
 * at most 10 a second, so that a flood cannot fill the log. */
void log_peer(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* tap sees every line logged by the thread that set it (VICI's log
 * events), formatted, without the time stamp; NULL: none. */
void log_set_tap(void (*tap)(enum log_level level, const char *line));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
