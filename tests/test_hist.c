/*
 * test_hist.c: tools/hist.c, jobsbench's log-linear histogram. Known inputs
 * give known percentiles, exactly where buckets are exact and within the
 * stated relative error (2^-(precision-1), never below the true value) where
 * they are not; merging equals recording everything in one; the edges
 * (empty, one value, values beyond the range, bad shapes) behave as hist.h
 * says.
 */
#include "../tools/hist.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#define HOUR_US (3600ull * 1000 * 1000)

/* The percentile hist.h promises, from a sorted array: the smallest value
 * with at least q % of the values <= it. */
static uint64_t
true_percentile(const uint64_t *sorted, size_t n, double q)
{
	size_t rank;

	if (q <= 0)
		return sorted[0];
	rank = (size_t)ceil(q * (double)n / 100.0 - 1e-9);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Asserts hist_percentile is v or above, by at most v * 2^-(p-1). */
static void
assert_within(const hist *h, int p, double q, uint64_t v)
{
	uint64_t got = hist_percentile(h, q);

	cr_assert_geq(got, v, "p%g: got %llu, below the true %llu", q, (unsigned long long)got,
	              (unsigned long long)v);
	cr_assert_leq(got, v + (v >> (p - 1)), "p%g: got %llu, true %llu: beyond 2^-%d", q,
	              (unsigned long long)got, (unsigned long long)v, p - 1);
}

Test(hist, refuses_bad_shapes)
{
	cr_assert_null(hist_new(0, 100));
	cr_assert_null(hist_new(HIST_MAX_PRECISION + 1, 100));
	cr_assert_null(hist_new(8, 0));
	hist_free(NULL);
}

Test(hist, empty_reads_as_zero)
{
	hist *h = hist_new(8, HOUR_US);

	cr_assert_eq(hist_count(h), 0);
	cr_assert_eq(hist_min(h), 0);
	cr_assert_eq(hist_max(h), 0);
	cr_assert_float_eq(hist_mean(h), 0.0, 1e-12);
	cr_assert_eq(hist_percentile(h, 50), 0);
	cr_assert_eq(hist_percentile(h, 100), 0);
	cr_assert_eq(hist_count_le(h, HOUR_US), 0);
	hist_free(h);
}

Test(hist, one_value_is_every_percentile_exactly)
{
	hist *h = hist_new(8, HOUR_US);
	double qs[] = {0, 1, 50, 90, 99, 99.9, 100};

	hist_record(h, 123457); /* in a bucket 512 wide: clamping makes it exact */
	for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
		cr_assert_eq(hist_percentile(h, qs[i]), 123457, "p%g", qs[i]);
	cr_assert_eq(hist_count(h), 1);
	cr_assert_eq(hist_min(h), 123457);
	cr_assert_eq(hist_max(h), 123457);
	cr_assert_float_eq(hist_mean(h), 123457.0, 1e-9);
	hist_free(h);
}

Test(hist, small_values_are_exact)
{
	hist *h = hist_new(8, HOUR_US); /* 0..255 have a bucket each */

	for (uint64_t v = 1; v <= 100; v++)
		hist_record(h, v);
	cr_assert_eq(hist_percentile(h, 0), 1);
	cr_assert_eq(hist_percentile(h, 1), 1);
	cr_assert_eq(hist_percentile(h, 50), 50);
	cr_assert_eq(hist_percentile(h, 90), 90);
	cr_assert_eq(hist_percentile(h, 99), 99);
	cr_assert_eq(hist_percentile(h, 99.9), 100);
	cr_assert_eq(hist_percentile(h, 100), 100);
	cr_assert_float_eq(hist_mean(h), 50.5, 1e-12);
	cr_assert_eq(hist_count_le(h, 10), 10);
	cr_assert_eq(hist_count_le(h, 0), 0);
	hist_free(h);
}

Test(hist, rank_rounding_at_99_9_of_1000)
{
	hist *h = hist_new(8, HOUR_US);

	for (uint64_t v = 1; v <= 1000; v++)
		hist_record(h, v);
	/* 99.9 % of 1000 is 999 values: the answer is the 999th, not the max. */
	assert_within(h, 8, 99.9, 999);
	cr_assert_lt(hist_percentile(h, 99.9), 1000 + 1);
	hist_free(h);
}

Test(hist, a_million_uniform_values_within_precision)
{
	hist *h = hist_new(8, HOUR_US);

	for (uint64_t v = 1; v <= 1000000; v++)
		hist_record(h, v);
	cr_assert_eq(hist_count(h), 1000000);
	cr_assert_float_eq(hist_mean(h), 500000.5, 1e-6);
	assert_within(h, 8, 50, 500000);
	assert_within(h, 8, 90, 900000);
	assert_within(h, 8, 99, 990000);
	assert_within(h, 8, 99.9, 999000);
	cr_assert_eq(hist_percentile(h, 100), 1000000);
	cr_assert_eq(hist_percentile(h, 0), 1);
	hist_free(h);
}

/* A latency-like spread (log-uniform over 10 us to 10 s) against a sorted
 * copy, at several precisions. */
Test(hist, random_latencies_match_a_sort)
{
	enum { N = 20000 };
	uint64_t *vals = malloc(N * sizeof *vals), x = 88172645463325252ull;
	double qs[] = {0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100};
	int precisions[] = {1, 4, 8, 12};

	for (size_t i = 0; i < N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		vals[i] =
		    (uint64_t)(10.0 * pow(10.0, 6.0 * (double)(x >> 11) / 9007199254740992.0));
	}
	for (size_t k = 0; k < sizeof precisions / sizeof precisions[0]; k++) {
		int p = precisions[k];
		hist *h = hist_new(p, HOUR_US);

		for (size_t i = 0; i < N; i++)
			hist_record(h, vals[i]);
		qsort(vals, N, sizeof *vals, cmp_u64);
		for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
			assert_within(h, p, qs[i], true_percentile(vals, N, qs[i]));
		cr_assert_eq(hist_min(h), vals[0]);
		cr_assert_eq(hist_max(h), vals[N - 1]);
		hist_free(h);
	}
	free(vals);
}

/* Every value's bucket holds it, is no wider than promised, and buckets
 * follow each other without gaps. */
Test(hist, buckets_tile_the_range)
{
	for (int p = 1; p <= 10; p++) {
		hist *h = hist_new(p, 1u << 20);
		uint64_t v = 0;

		while (v <= (1u << 20)) {
			uint64_t high = hist_bucket_high(h, v);

			cr_assert_geq(high, v);
			cr_assert_leq(high - v, v >> (p - 1), "p=%d v=%llu high=%llu", p,
			              (unsigned long long)v, (unsigned long long)high);
			for (uint64_t w = v; w <= high && w <= (1u << 20); w++)
				cr_assert_eq(hist_bucket_high(h, w), high);
			v = high + 1;
		}
		hist_free(h);
	}
}

Test(hist, merge_equals_recording_everything_in_one)
{
	hist *a = hist_new(8, HOUR_US), *b = hist_new(8, HOUR_US), *all = hist_new(8, HOUR_US);
	hist *empty = hist_new(8, HOUR_US);
	double qs[] = {0, 10, 50, 90, 99, 99.9, 100};

	for (uint64_t v = 1; v <= 50000; v++) {
		hist_record(v % 3 ? a : b, v * 7);
		hist_record(all, v * 7);
	}
	cr_assert_eq(hist_merge(a, b), 0);
	cr_assert_eq(hist_merge(a, empty), 0);
	cr_assert_eq(hist_count(a), hist_count(all));
	cr_assert_eq(hist_min(a), hist_min(all));
	cr_assert_eq(hist_max(a), hist_max(all));
	cr_assert_float_eq(hist_mean(a), hist_mean(all), 1e-9);
	for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
		cr_assert_eq(hist_percentile(a, qs[i]), hist_percentile(all, qs[i]), "p%g", qs[i]);

	/* Into an empty one: min comes from the source, not from the zero. */
	cr_assert_eq(hist_merge(empty, b), 0);
	cr_assert_eq(hist_min(empty), hist_min(b));
	cr_assert_eq(hist_count(empty), hist_count(b));
	hist_free(a);
	hist_free(b);
	hist_free(all);
	hist_free(empty);
}

Test(hist, merge_refuses_another_shape)
{
	hist *a = hist_new(8, HOUR_US), *b = hist_new(7, HOUR_US), *c = hist_new(8, 1000);

	hist_record(b, 5);
	hist_record(c, 5);
	cr_assert_eq(hist_merge(a, b), -1);
	cr_assert_eq(hist_merge(a, c), -1);
	cr_assert_eq(hist_count(a), 0, "a refused merge changes nothing");
	hist_free(a);
	hist_free(b);
	hist_free(c);
}

Test(hist, values_beyond_the_range)
{
	hist *h = hist_new(8, 1000);

	for (uint64_t v = 1; v <= 98; v++)
		hist_record(h, v);
	hist_record(h, 5000);
	hist_record(h, UINT64_MAX / 4);
	cr_assert_eq(hist_count(h), 100);
	cr_assert_eq(hist_clamped(h), 2);
	cr_assert_eq(hist_max(h), UINT64_MAX / 4, "max stays exact");
	cr_assert_eq(hist_percentile(h, 98), 98);
	cr_assert_eq(hist_percentile(h, 99), UINT64_MAX / 4, "beyond the range reads as max");
	cr_assert_eq(hist_percentile(h, 100), UINT64_MAX / 4);
	cr_assert_eq(hist_count_le(h, 1000), 98);
	cr_assert_eq(hist_count_le(h, UINT64_MAX), 100);
	cr_assert_eq(hist_bucket_high(h, 1001), UINT64_MAX);
	hist_free(h);
}

Test(hist, record_n_and_reset)
{
	hist *a = hist_new(8, HOUR_US), *b = hist_new(8, HOUR_US);

	hist_record_n(a, 777, 5);
	hist_record_n(a, 3, 0); /* counts nothing, not even as the min */
	for (int i = 0; i < 5; i++)
		hist_record(b, 777);
	cr_assert_eq(hist_count(a), 5);
	cr_assert_eq(hist_min(a), 777);
	cr_assert_eq(hist_percentile(a, 50), hist_percentile(b, 50));
	cr_assert_float_eq(hist_mean(a), 777.0, 1e-9);
	hist_reset(a);
	cr_assert_eq(hist_count(a), 0);
	cr_assert_eq(hist_max(a), 0);
	cr_assert_eq(hist_percentile(a, 50), 0);
	hist_record(a, 9);
	cr_assert_eq(hist_min(a), 9, "after a reset the next value is the min");
	hist_free(a);
	hist_free(b);
}

Test(hist, rows_cut_at_round_bounds_from_min_to_max)
{
	static const unsigned s125[] = {100, 200, 500};
	static const unsigned r10[] = {100, 125, 160, 200, 250, 315, 400, 500, 630, 800};
	hist *h = hist_new(8, HOUR_US);
	uint64_t bound[64], count[64], sum = 0;
	size_t n;

	cr_assert_eq(hist_rows(h, s125, 3, bound, count, 64), 0, "empty: no rows");
	hist_record_n(h, 30, 4);   /* (20, 50] */
	hist_record_n(h, 180, 5);  /* (100, 200] */
	hist_record_n(h, 1000, 1); /* (500, 1000], on the bound */
	n = hist_rows(h, s125, 3, bound, count, 64);
	/* From 50, the row holding min (20 and below are not shown), to 1000,
	 * the first bound at or above max; 100 and 500 hold nothing. */
	cr_assert_eq(n, 5, "%zu rows", n);
	{
		const uint64_t want_b[] = {50, 100, 200, 500, 1000}, want_c[] = {4, 0, 5, 0, 1};

		for (size_t i = 0; i < 5; i++) {
			cr_assert_eq(bound[i], want_b[i], "row %zu", i);
			cr_assert_eq(count[i], want_c[i], "row %zu", i);
		}
	}

	/* Ten a decade: bounds rise strictly (1.25 and 1.6 are not repeated as
	 * 1), and the rows add up to the count. */
	hist_record(h, 1);
	hist_record(h, 123456);
	n = hist_rows(h, r10, 10, bound, count, 64);
	cr_assert_eq(bound[0], 1);
	cr_assert_eq(bound[n - 1], 125000, "the first bound at or above max");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			cr_assert_gt(bound[i], bound[i - 1]);
		sum += count[i];
	}
	cr_assert_eq(sum, hist_count(h));
	cr_assert_eq(n, 7 + 10 * 4 + 2, "1, 2, 3, 4, 5, 6, 8, then ten a decade: %zu", n);

	/* `max` rows at most. */
	cr_assert_eq(hist_rows(h, r10, 10, bound, count, 5), 5);
	hist_free(h);
}
