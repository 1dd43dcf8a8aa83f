/*
 * log.h: the server's log, one line per event on stderr.
 *
 * Lines look like "2026-11-24T10:00:00.123Z jobsd warn: message", at most
 * 1 KiB. Control characters in a message are written escaped (\n, \t,
 * \x01, ...): messages quote what callers sent, and every line must be one
 * event of jobsd's. Safe to call from any thread; a line is written with one
 * write(2).
 */
#ifndef JOBSD_LOG_H
#define JOBSD_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines below this level are dropped. Default LOG_INFO. */
void log_set_level(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
