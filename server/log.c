/*
 * log.c: see log.h.
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static _Atomic int min_level = LOG_INFO;

void
log_set_level(enum log_level level)
{
	min_level = level;
}

/*
 * Copies the message `msg` to `out` (room for `size` bytes, always ended),
 * writing control characters as \n, \r, \t or \xNN: messages quote what
 * callers sent (an id, a query, a path), and a newline in one must not
 * start a line that reads as jobsd's own. Returns the length written.
 */
static size_t
escape(char *out, size_t size, const char *msg)
{
	size_t n = 0;

	for (; *msg != '\0'; msg++) {
		unsigned char c = (unsigned char)*msg;
		char esc[8];
		size_t len = 1;

		if (c == '\n' || c == '\r' || c == '\t')
			len = (size_t)snprintf(esc, sizeof esc, "\\%c",
			                       c == '\n'   ? 'n'
			                       : c == '\r' ? 'r'
			                                   : 't');
		else if (c < 0x20 || c == 0x7f)
			len = (size_t)snprintf(esc, sizeof esc, "\\x%02x", c);
		else
			esc[0] = (char)c;
		if (n + len >= size)
			break;
		memcpy(out + n, esc, len);
		n += len;
	}
	out[n] = '\0';
	return n;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	char line[1024], msg[1024];
	struct timeval tv;
	struct tm tm;
	size_t n;
	va_list ap;

	if ((int)level < min_level)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof line - n,
	                      ".%03ldZ jobsd %s: ", (long)(tv.tv_usec / 1000), names[level]);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* Room for the newline. */
	n += escape(line + n, sizeof line - n - 1, msg);
	line[n++] = '\n';
	/* One write per line keeps lines from different threads whole. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
