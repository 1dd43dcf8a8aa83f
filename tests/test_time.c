/*
 * test_time.c: client/time.c, timestamps as text: jobs_time_format() and
 * jobs_time_parse(), which jobsctl's time flags and the legacy import use.
 */
#include "jobs/client.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <time.h>

/* 2026-11-24T10:00:00Z */
#define T0 (1795514400LL * 1000000)

static int64_t
parsed(const char *text, bool local)
{
	int64_t us = 0;

	cr_assert_eq(jobs_time_parse(text, local, &us), JOBS_OK, "'%s'", text);
	return us;
}

Test(time, format_is_rfc3339_utc_with_a_fraction_only_when_there_is_one)
{
	char buf[JOBS_TIME_BUFSIZE];

	cr_assert_str_eq(jobs_time_format(0, buf), "1970-01-01T00:00:00Z");
	cr_assert_str_eq(jobs_time_format(T0, buf), "2026-11-24T10:00:00Z");
	cr_assert_str_eq(jobs_time_format(T0 + 123456, buf), "2026-11-24T10:00:00.123456Z");
	cr_assert_str_eq(jobs_time_format(T0 + 100000, buf), "2026-11-24T10:00:00.100000Z");
	/* Before the epoch, the fraction still counts forward within its second. */
	cr_assert_str_eq(jobs_time_format(-1, buf), "1969-12-31T23:59:59.999999Z");
	/* The range jobsd accepts: years 1 to 9999. */
	cr_assert_str_eq(jobs_time_format(-62135596800LL * 1000000, buf), "0001-01-01T00:00:00Z");
	cr_assert_str_eq(jobs_time_format(253402300799LL * 1000000 + 999999, buf),
	                 "9999-12-31T23:59:59.999999Z");
}

Test(time, parse_takes_rfc3339_and_the_forms_legacy_files_hold)
{
	cr_assert_eq(parsed("2026-11-24T10:00:00Z", false), T0);
	cr_assert_eq(parsed("2026-11-24t10:00:00z", false), T0);
	cr_assert_eq(parsed("2026-11-24 10:00:00", false), T0, "no zone: UTC");
	cr_assert_eq(parsed("2026-11-24 \t 10:00:00 Z", false), T0);
	cr_assert_eq(parsed("2026-11-24T12:00:00+02:00", false), T0);
	cr_assert_eq(parsed("2026-11-24T12:00:00+0200", false), T0);
	cr_assert_eq(parsed("2026-11-24T12:00:00+02", false), T0);
	cr_assert_eq(parsed("2026-11-24T04:30:00-05:30", false), T0);
	cr_assert_eq(parsed("2026-11-24", false), T0 - 10 * 3600LL * 1000000, "a date: midnight");
	cr_assert_eq(parsed("2026-11-4T9:00:00Z", false), T0 - (20 * 24 + 1) * 3600LL * 1000000,
	             "one-digit month, day and hour, as YAML 1.1 has them");
	cr_assert_eq(parsed("2024-02-29T00:00:00Z", false), 1709164800LL * 1000000, "a leap day");
}

Test(time, fractions_are_rounded_to_microseconds)
{
	cr_assert_eq(parsed("2026-11-24T10:00:00.1Z", false), T0 + 100000);
	cr_assert_eq(parsed("2026-11-24T10:00:00.123456Z", false), T0 + 123456);
	cr_assert_eq(parsed("2026-11-24T10:00:00.1234564Z", false), T0 + 123456);
	cr_assert_eq(parsed("2026-11-24T10:00:00.1234565Z", false), T0 + 123457);
	cr_assert_eq(parsed("2026-11-24T10:00:00.9999995Z", false), T0 + 1000000,
	             "rounding carries into the next second");
}

Test(time, naive_times_are_utc_or_local_as_asked)
{
	/* A zone with no daylight saving, five hours behind UTC. */
	setenv("TZ", "EST5", 1);
	tzset();
	cr_assert_eq(parsed("2026-11-24 05:00:00", true), T0);
	cr_assert_eq(parsed("2026-11-24 10:00:00", false), T0);
	cr_assert_eq(parsed("2026-11-24T10:00:00Z", true), T0, "a zone given wins");
	cr_assert_eq(parsed("2026-11-24", true), T0 - 10 * 3600LL * 1000000,
	             "a date alone is midnight UTC even so");
}

Test(time, what_is_not_a_time_is_invalid_argument)
{
	static const char *const bad[] = {
	    "",
	    "2026",
	    "2026-11",
	    "26-11-24",
	    "2026-13-01",
	    "2026-00-10",
	    "2026-02-29",
	    "2026-04-31",
	    "2026-11-24T24:00:00Z",
	    "2026-11-24T10:60:00Z",
	    "2026-11-24T10:00",
	    "2026-11-24T10:00:00.",
	    "2026-11-24T10:00:00+24:00",
	    "2026-11-24T10:00:00+02:60",
	    "2026-11-24T10:00:00Zjunk",
	    "2026-11-24X10:00:00",
	    "2026-11-24T10:0:00Z",
	    "yesterday",
	};
	int64_t us = 42;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_expect_eq(jobs_time_parse(bad[i], false, &us), JOBS_INVALID_ARGUMENT, "'%s'",
		             bad[i]);
		cr_expect_eq(us, 42, "'%s' left *us alone", bad[i]);
	}
}

Test(time, what_format_writes_parse_reads_back)
{
	const int64_t samples[] = {0,
	                           T0,
	                           T0 + 1,
	                           T0 + 999999,
	                           -1,
	                           -62135596800LL * 1000000,
	                           253402300799LL * 1000000 + 999999};
	char buf[JOBS_TIME_BUFSIZE];

	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
		cr_assert_eq(parsed(jobs_time_format(samples[i], buf), false), samples[i], "%s",
		             buf);
}
