/*
 * test_timeline.c: tools/timeline.c, the calls of a jobsbench measurement
 * over time. Calls land in the bin of their time; past the last bin the
 * bins widen along 10 ms, 20 ms, 100 ms, 200 ms, 1 s, ... and nothing is
 * lost; merging timelines of different widths keeps every call, error and
 * latency at the wider width.
 */
#include "../tools/timeline.h"

#include <criterion/criterion.h>

#define MS 1000000LL

/* The sums over every bin of t: calls, errors, latency. */
static void
totals(const struct timeline *t, uint64_t *calls, uint64_t *errors, uint64_t *lat, uint64_t *max)
{
	*calls = *errors = *lat = *max = 0;
	cr_assert_leq(t->n, TIMELINE_BINS);
	for (size_t i = 0; i < TIMELINE_BINS; i++) {
		if (i >= t->n)
			cr_assert_eq(t->bins[i].calls, 0, "bin %zu after the last one used", i);
		*calls += t->bins[i].calls;
		*errors += t->bins[i].errors;
		*lat += t->bins[i].lat_sum_us;
		if (t->bins[i].lat_max_us > *max)
			*max = t->bins[i].lat_max_us;
	}
}

Test(timeline, calls_land_in_the_bin_of_their_time)
{
	struct timeline t;

	timeline_init(&t);
	cr_assert_eq(t.width_ns, 10 * MS);
	cr_assert_eq(t.n, 0);
	timeline_record(&t, 0, 100, false);
	timeline_record(&t, 9 * MS, 300, true);
	timeline_record(&t, 25 * MS, 50, false);
	timeline_record(&t, -5 * MS, 7, false); /* before the start: the first bin */
	cr_assert_eq(t.n, 3);
	cr_assert_eq(t.bins[0].calls, 3);
	cr_assert_eq(t.bins[0].errors, 1);
	cr_assert_eq(t.bins[0].lat_sum_us, 407);
	cr_assert_eq(t.bins[0].lat_max_us, 300);
	cr_assert_eq(t.bins[1].calls, 0);
	cr_assert_eq(t.bins[2].calls, 1);
	cr_assert_eq(t.bins[2].lat_max_us, 50);
}

Test(timeline, bins_widen_along_the_ladder_and_lose_nothing)
{
	static const int64_t ladder[] = {10 * MS,   20 * MS,   100 * MS,   200 * MS,
	                                 1000 * MS, 2000 * MS, 10000 * MS, 20000 * MS};
	struct timeline t;
	uint64_t calls, errors, lat, max, n = 0, want_lat = 0;
	size_t step = 0;

	timeline_init(&t);
	/* A call every 7 ms for an hour and a bit. */
	for (int64_t at = 0; at < 3700LL * 1000 * MS; at += 7 * MS, n++) {
		timeline_record(&t, at, (uint64_t)(at / MS % 1000), n % 10 == 0);
		want_lat += (uint64_t)(at / MS % 1000);
		if (t.width_ns != ladder[step]) {
			cr_assert_lt(step + 1, sizeof ladder / sizeof ladder[0]);
			cr_assert_eq(t.width_ns, ladder[++step], "width %lld after %lld",
			             (long long)t.width_ns, (long long)ladder[step - 1]);
			/* It widened because the last bin was full, and by no more
			 * than needed: a fifth of the bins at least are in use. */
			cr_assert_geq(t.n, TIMELINE_BINS / 5);
		}
		cr_assert_lt(at / t.width_ns, TIMELINE_BINS);
	}
	cr_assert_eq(t.width_ns, 20000 * MS, "an hour in 20 s bins");
	totals(&t, &calls, &errors, &lat, &max);
	cr_assert_eq(calls, n);
	cr_assert_eq(errors, (n + 9) / 10);
	cr_assert_eq(lat, want_lat);
	cr_assert_eq(max, 999);
}

Test(timeline, merging_keeps_every_call_at_the_wider_width)
{
	struct timeline a, b, c;
	uint64_t calls, errors, lat, max;

	timeline_init(&a);
	timeline_init(&b);
	timeline_init(&c);
	for (int64_t at = 0; at < 2000 * MS; at += MS)
		timeline_record(&a, at, 10, false); /* 2 s: 10 ms bins */
	for (int64_t at = 0; at < 6000 * MS; at += 3 * MS)
		timeline_record(&b, at, 20, at % (300 * MS) == 0); /* 6 s: 100 ms bins */
	timeline_record(&b, 5999 * MS, 5000, false);
	cr_assert_eq(a.width_ns, 10 * MS);
	cr_assert_eq(b.width_ns, 100 * MS);

	timeline_merge(&c, &a);
	cr_assert_eq(c.width_ns, 10 * MS);
	timeline_merge(&c, &b); /* c widens to b's */
	cr_assert_eq(c.width_ns, 100 * MS);
	totals(&c, &calls, &errors, &lat, &max);
	cr_assert_eq(calls, 2000 + 2000 + 1);
	cr_assert_eq(errors, 20);
	cr_assert_eq(lat, 2000 * 10 + 2000 * 20 + 5000);
	cr_assert_eq(max, 5000);
	cr_assert_eq(c.bins[0].calls, 100 + 34, "the first 100 ms of both");
	cr_assert_eq(c.n, 60);

	timeline_merge(&b, &a); /* the narrower into the wider */
	cr_assert_eq(b.width_ns, 100 * MS);
	cr_assert_eq(b.bins[0].calls, 134);
	cr_assert_eq(b.bins[19].calls, 100 + 33);
	cr_assert_eq(b.bins[20].calls, 33);
}
