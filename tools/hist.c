/*
 * hist.c: see hist.h.
 *
 * Bucket layout, with p bits of precision, S = 2^p and H = 2^(p-1):
 *
 *     index 0 .. S-1          the values 0 .. S-1, one each
 *     then, for each k >= p   the values [2^k, 2^(k+1)) in H buckets, each
 *                             2^(k-p+1) wide
 *
 * so a value v >= S with its highest set bit k goes to
 *
 *     shift = k - (p-1)       (its bucket is 2^shift wide)
 *     index = S + (shift-1) * H + ((v >> shift) - H)
 *
 * (v >> shift is in [H, S): the top p bits of v, the first one of which is 1).
 */
#include "hist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct hist {
	int precision;
	uint64_t highest;
	size_t n_buckets; /* index_of(highest) + 1 */
	uint64_t count, min, max, sum;
	uint64_t clamped; /* values above highest: a bucket of their own */
	uint64_t *buckets;
};

static size_t
index_of(int p, uint64_t v)
{
	uint64_t s = (uint64_t)1 << p, half = s >> 1;
	int k, shift;

	if (v < s)
		return (size_t)v;
	k = 63 - __builtin_clzll(v);
	shift = k - (p - 1);
	return (size_t)(s + (uint64_t)(shift - 1) * half + ((v >> shift) - half));
}

/* The highest value of bucket i. */
static uint64_t
high_of(int p, size_t i)
{
	uint64_t s = (uint64_t)1 << p, half = s >> 1, j, sub;
	int shift;

	if (i < s)
		return i;
	j = i - s;
	shift = (int)(j / half) + 1;
	sub = j % half + half;
	return (sub << shift) + (((uint64_t)1 << shift) - 1);
}

hist *
hist_new(int precision, uint64_t highest)
{
	hist *h;

	if (precision < HIST_MIN_PRECISION || precision > HIST_MAX_PRECISION || highest < 1)
		return NULL;
	if ((h = calloc(1, sizeof *h)) == NULL)
		return NULL;
	h->precision = precision;
	h->highest = highest;
	h->n_buckets = index_of(precision, highest) + 1;
	if ((h->buckets = calloc(h->n_buckets, sizeof *h->buckets)) == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

void
hist_free(hist *h)
{
	if (h == NULL)
		return;
	free(h->buckets);
	free(h);
}

void
hist_reset(hist *h)
{
	memset(h->buckets, 0, h->n_buckets * sizeof *h->buckets);
	h->count = h->clamped = h->min = h->max = h->sum = 0;
}

void
hist_record_n(hist *h, uint64_t v, uint64_t n)
{
	if (n == 0)
		return;
	if (v > h->highest)
		h->clamped += n;
	else
		h->buckets[index_of(h->precision, v)] += n;
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (h->count == 0 || v > h->max)
		h->max = v;
	h->count += n;
	h->sum += v * n;
}

void
hist_record(hist *h, uint64_t v)
{
	hist_record_n(h, v, 1);
}

int
hist_merge(hist *dst, const hist *src)
{
	if (dst->precision != src->precision || dst->highest != src->highest)
		return -1;
	if (src->count == 0)
		return 0;
	for (size_t i = 0; i < dst->n_buckets; i++)
		dst->buckets[i] += src->buckets[i];
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (dst->count == 0 || src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->clamped += src->clamped;
	dst->sum += src->sum;
	return 0;
}

uint64_t
hist_count(const hist *h)
{
	return h->count;
}

uint64_t
hist_clamped(const hist *h)
{
	return h->clamped;
}

uint64_t
hist_min(const hist *h)
{
	return h->min;
}

uint64_t
hist_max(const hist *h)
{
	return h->max;
}

double
hist_mean(const hist *h)
{
	return h->count == 0 ? 0.0 : (double)h->sum / (double)h->count;
}

uint64_t
hist_percentile(const hist *h, double q)
{
	uint64_t rank, seen = 0, v = h->max;

	if (h->count == 0)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 100)
		return h->max;
	/* The rank of the value (1-based): the smallest r with r >= q% of count.
	 * The small tolerance keeps 99.9 % of 1000 at 999, not 1000. When the
	 * rank falls among the clamped values, v stays max. */
	rank = (uint64_t)ceil(q * (double)h->count / 100.0 - 1e-9);
	if (rank < 1)
		rank = 1;
	for (size_t i = 0; i < h->n_buckets; i++) {
		seen += h->buckets[i];
		if (seen >= rank) {
			v = high_of(h->precision, i);
			break;
		}
	}
	return v < h->min ? h->min : v > h->max ? h->max : v;
}

uint64_t
hist_count_le(const hist *h, uint64_t v)
{
	size_t last = v > h->highest ? h->n_buckets - 1 : index_of(h->precision, v);
	uint64_t n = 0;

	for (size_t i = 0; i <= last; i++)
		n += h->buckets[i];
	if (v > h->highest && v >= h->max)
		n += h->clamped;
	return n;
}

uint64_t
hist_bucket_high(const hist *h, uint64_t v)
{
	return v > h->highest ? UINT64_MAX : high_of(h->precision, index_of(h->precision, v));
}

size_t
hist_rows(const hist *h, const unsigned *steps, size_t n_steps, uint64_t *bound, uint64_t *count,
          size_t max)
{
	uint64_t prev = 0, last = 0;
	size_t n = 0;

	if (h->count == 0)
		return 0;
	for (uint64_t p = 1; n < max; p *= 10) {
		for (size_t s = 0; s < n_steps && n < max; s++) {
			/* Past 10^19 a bound would overflow: the last one is then
			 * UINT64_MAX, which holds every value. */
			uint64_t b = p > UINT64_MAX / 10 ? UINT64_MAX : p * steps[s] / 100;
			uint64_t le = b >= h->max ? h->count : hist_count_le(h, b);

			if (b <= last && last != 0)
				continue; /* 1.25 and 1.6 are both 1 */
			last = b;
			if (b < h->min) {
				prev = le;
				continue;
			}
			bound[n] = b;
			count[n++] = le - prev;
			prev = le;
			if (le == h->count)
				return n;
		}
	}
	return n;
}
