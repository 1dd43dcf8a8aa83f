/*
 * test_log.c: server/log.c, jobsd's log lines on stderr.
 */
#include "log.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What log_msg() writes while `fn` runs: stderr into a temporary file. */
static char *
captured(void (*fn)(void))
{
	char path[] = "/tmp/jobsd-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	static char buf[8192];
	ssize_t n;

	cr_assert(fd >= 0 && saved >= 0);
	unlink(path);
	cr_assert_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, buf, sizeof buf - 1, 0);
	close(fd);
	cr_assert_geq(n, 0);
	buf[n] = '\0';
	return buf;
}

static void
hostile(void)
{
	/* A caller's text with a line break that would forge a line of ours. */
	log_warn("refused '%s'", "x\n2026-11-24T10:00:00.000Z jobsd error: forged\r\t\x01\x7f end");
}

Test(log, control_characters_in_a_message_are_escaped)
{
	const char *out = captured(hostile);
	const char *msg = strstr(out, " jobsd warn: ");

	cr_assert_not_null(msg, "%s", out);
	cr_assert_str_eq(msg, " jobsd warn: refused 'x\\n2026-11-24T10:00:00.000Z jobsd error: "
	                      "forged\\r\\t\\x01\\x7f end'\n");
	cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line: %s", out);
	/* The time: 2026-11-24T10:00:00.123Z */
	cr_assert_eq(out[10], 'T');
	cr_assert_eq(out[23], 'Z');
}

static void
long_line(void)
{
	char text[3000];

	memset(text, '\n', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	log_error("%s", text);
}

Test(log, a_long_message_is_cut_to_one_line_of_at_most_1_kib)
{
	const char *out = captured(long_line);
	size_t len = strlen(out);

	cr_assert_leq(len, 1024);
	cr_assert_gt(len, 1000, "cut, not dropped");
	cr_assert_eq(strchr(out, '\n'), out + len - 1, "one line, ended");
	cr_assert_eq(strncmp(out + len - 3, "\\n\n", 3), 0, "never half an escape: %s",
	             out + len - 8);
}

static void
levels(void)
{
	log_set_level(LOG_WARN);
	log_info("hidden");
	log_warn("shown");
	log_set_level(LOG_INFO);
}

Test(log, lines_below_the_level_are_dropped)
{
	const char *out = captured(levels);

	cr_assert_null(strstr(out, "hidden"), "%s", out);
	cr_assert_not_null(strstr(out, "jobsd warn: shown\n"), "%s", out);
}
