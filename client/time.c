/*
 * time.c: timestamps as RFC 3339 text, for people and for legacy files.
 *
 * jobsd keeps microseconds since the epoch; people and YAML files use text.
 * Parsing accepts YAML 1.1's timestamp form, of which RFC 3339 is a subset:
 *   YYYY-M[M]-D[D]
 *   YYYY-M[M]-D[D](T|t|blanks)H[H]:MM:SS[.fraction][blanks][Z|(+|-)H[H][[:]MM]]
 */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

char *
jobs_time_format(int64_t us, char buf[JOBS_TIME_BUFSIZE])
{
	int64_t sec = us / 1000000, frac = us % 1000000;
	time_t t;
	struct tm tm;
	int n;

	if (frac < 0) {
		frac += 1000000;
		sec -= 1;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, JOBS_TIME_BUFSIZE, "(invalid time %lld)", (long long)us);
		return buf;
	}
	n = snprintf(buf, JOBS_TIME_BUFSIZE, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
	             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (frac != 0)
		n += snprintf(buf + n, (size_t)(JOBS_TIME_BUFSIZE - n), ".%06lld", (long long)frac);
	snprintf(buf + n, (size_t)(JOBS_TIME_BUFSIZE - n), "Z");
	return buf;
}

/* Reads 1..max digits at *p as a number. Returns the count read (0: none). */
static int
digits(const char **p, int max, int *v)
{
	int n = 0;

	*v = 0;
	while (n < max && isdigit((unsigned char)**p)) {
		*v = *v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n;
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
jobs_time_parse(const char *text, bool naive_is_local, int64_t *us)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = text;
	struct tm tm = {0};
	int year, mon, day, hour = 0, min = 0, sec = 0, zone_sec = 0;
	int64_t frac_us = 0;
	bool zoned = false;
	time_t t;

	if (digits(&p, 4, &year) != 4 || *p++ != '-' || digits(&p, 2, &mon) < 1 || *p++ != '-' ||
	    digits(&p, 2, &day) < 1)
		return JOBS_INVALID_ARGUMENT;
	if (*p != '\0') {
		if (*p == 'T' || *p == 't')
			p++;
		else if (*p == ' ' || *p == '\t')
			while (*p == ' ' || *p == '\t')
				p++;
		else
			return JOBS_INVALID_ARGUMENT;
		if (digits(&p, 2, &hour) < 1 || *p++ != ':' || digits(&p, 2, &min) != 2 ||
		    *p++ != ':' || digits(&p, 2, &sec) != 2)
			return JOBS_INVALID_ARGUMENT;
		if (*p == '.') {
			int64_t scale = 100000;
			int round = 0;

			p++;
			if (!isdigit((unsigned char)*p))
				return JOBS_INVALID_ARGUMENT;
			for (int i = 0; isdigit((unsigned char)*p); i++, p++) {
				if (i < 6)
					frac_us += (*p - '0') * scale, scale /= 10;
				else if (i == 6)
					round = *p >= '5';
			}
			frac_us += round;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == 'Z' || *p == 'z') {
			zoned = true;
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, zh, zm = 0;

			if (digits(&p, 2, &zh) < 1)
				return JOBS_INVALID_ARGUMENT;
			if (*p == ':')
				p++;
			if (isdigit((unsigned char)*p) && digits(&p, 2, &zm) != 2)
				return JOBS_INVALID_ARGUMENT;
			if (zh > 23 || zm > 59)
				return JOBS_INVALID_ARGUMENT;
			zoned = true;
			zone_sec = sign * (zh * 3600 + zm * 60);
		}
		if (*p != '\0')
			return JOBS_INVALID_ARGUMENT;
	} else {
		zoned = true; /* a date alone is midnight UTC, as YAML has it */
	}
	if (year < 1 || mon < 1 || mon > 12 || day < 1 ||
	    day > mdays[mon - 1] + (mon == 2 && leap(year)) || hour > 23 || min > 59 || sec > 60)
		return JOBS_INVALID_ARGUMENT;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	if (zoned || !naive_is_local) {
		t = timegm(&tm) - zone_sec;
	} else {
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	*us = (int64_t)t * 1000000 + frac_us;
	return JOBS_OK;
}
