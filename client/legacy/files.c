/*
 * files.c: the file chores of import and export (legacy.h): backups beside a
 * source, what a failed file operation means, and the progress line.
 */
#include "legacy.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- files ------------------------------------------------------------- */

char *
legacy_backup_name(const char *path, const char *stamp)
{
	char now[32], *name = NULL;
	struct stat st;
	time_t t = time(NULL);
	struct tm tm;

	if (stamp == NULL) {
		gmtime_r(&t, &tm);
		strftime(now, sizeof now, "%Y%m%dT%H%M%SZ", &tm);
		stamp = now;
	}
	for (int i = 1; i < 1000; i++) {
		free(name);
		if ((i == 1 ? asprintf(&name, "%s.backup-%s", path, stamp)
		            : asprintf(&name, "%s.backup-%s-%d", path, stamp, i)) < 0)
			return NULL;
		if (lstat(name, &st) != 0 && errno == ENOENT)
			return name;
	}
	free(name);
	return NULL;
}

int
legacy_file_code(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		return JOBS_NOT_FOUND;
	case EACCES:
	case EPERM:
	case EROFS:
		return JOBS_PERMISSION_DENIED;
	case EPIPE: /* the reader of a pipe went away: it called the output off */
		return JOBS_CANCELLED;
	default:
		return JOBS_INTERNAL;
	}
}

/* ---- progress ---------------------------------------------------------- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
legacy_progress_begin(struct legacy_progress *p, bool enabled, const char *label, const char *unit,
                      double total)
{
	p->on = enabled && isatty(STDERR_FILENO);
	p->label = label;
	p->unit = unit;
	p->start = now_s();
	p->last = 0;
	p->total = total;
}

/* n bytes in the unit that suits `scale` (the total, so that both read
 * alike): "512 B", "37 KiB", "2.3 MiB". */
static void
fmt_bytes(char *buf, size_t len, double n, double scale)
{
	if (scale < 1024)
		snprintf(buf, len, "%.0f B", n);
	else if (scale < 1024 * 1024)
		snprintf(buf, len, "%.0f KiB", n / 1024);
	else if (scale < 1024.0 * 1024 * 1024)
		snprintf(buf, len, "%.1f MiB", n / (1024 * 1024));
	else
		snprintf(buf, len, "%.1f GiB", n / (1024.0 * 1024 * 1024));
}

/* Draws the line: `done` of the unit (jobs, bytes, files) and `jobs` so
 * far, in whole numbers. */
static void
draw(struct legacy_progress *p, double done, size_t jobs, double t)
{
	double elapsed = t - p->start, rate = elapsed > 0 ? (double)jobs / elapsed : 0, left;
	bool of_jobs = strcmp(p->unit, "jobs") == 0;
	char eta[48] = "", amount[96], a[32], b[32], count[48] = "";

	if (p->total > 0 && done > 0 && done < p->total &&
	    (left = (p->total - done) * elapsed / done) >= 1) {
		if (left < 90)
			snprintf(eta, sizeof eta, ", ETA %.0f s", left);
		else
			snprintf(eta, sizeof eta, ", ETA %.0f min", left / 60);
	}
	if (!of_jobs)
		snprintf(count, sizeof count, ", %zu jobs", jobs);
	if (p->total <= 0) {
		fprintf(stderr, "\r%s: %zu jobs, %.0f jobs/s\033[K", p->label, jobs, rate);
	} else {
		if (strcmp(p->unit, LEGACY_BYTES) == 0) {
			fmt_bytes(a, sizeof a, done, p->total);
			fmt_bytes(b, sizeof b, p->total, p->total);
			snprintf(amount, sizeof amount, "%s of %s", a, b);
		} else {
			snprintf(amount, sizeof amount, "%.0f of %.0f %s", done, p->total, p->unit);
		}
		/* Whole percent, rounded down: 100% only when it is all done. */
		fprintf(stderr, "\r%s: %d%% (%s)%s, %.0f jobs/s%s\033[K", p->label,
		        (int)(100.0 * done / p->total), amount, count, rate, eta);
	}
	fflush(stderr);
}

void
legacy_progress_update(struct legacy_progress *p, double done, size_t jobs)
{
	double t;

	if (!p->on)
		return;
	t = now_s();
	if (t - p->last < 0.2)
		return;
	p->last = t;
	draw(p, done, jobs, t);
}

void
legacy_progress_end(struct legacy_progress *p)
{
	if (!p->on)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
}
