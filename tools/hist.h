/*
 * hist.h: a log-linear histogram of latencies, for jobsbench.
 *
 * The idea is HdrHistogram's (no code of it is used): values below 2^p are
 * counted exactly, one bucket each; above that, every power of two [2^k,
 * 2^(k+1)) is cut into 2^(p-1) buckets of equal width. A bucket is then never
 * wider than 2^-(p-1) of its smallest value, so any value read back from the
 * histogram is within that relative error of a recorded one:
 *
 *     p = 8 (the default in jobsbench): at most 1/128, 0.79 %, too high
 *     p = 10: at most 1/512, 0.2 %
 *
 * Recording is an index computation and an increment: no allocation, no
 * locks. Each thread records into its own histogram; hist_merge() adds them
 * up at the end. count, min, max and the sum (so the mean) are kept exactly,
 * beside the buckets.
 *
 * Values are unsigned integers in any unit (jobsbench uses microseconds).
 * Values above `highest` (given at creation) are counted together in one
 * overflow bucket (hist_clamped()); min, max and mean still see them exactly,
 * and a percentile that falls among them reads back as max.
 */
#ifndef JOBS_HIST_H
#define JOBS_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_MIN_PRECISION 1
#define HIST_MAX_PRECISION 16

typedef struct hist hist;

/*
 * A new, empty histogram with `precision` bits (HIST_MIN_PRECISION to
 * HIST_MAX_PRECISION; see above) that tracks values 0..highest (highest >= 1)
 * to that precision. NULL when an argument is out of range or memory is short.
 * Free with hist_free().
 */
hist *hist_new(int precision, uint64_t highest);

/* Frees h; NULL is a no-op. */
void hist_free(hist *h);

/* Forgets every value; keeps the shape. */
void hist_reset(hist *h);

/* Counts `v` once, or `n` times. */
void hist_record(hist *h, uint64_t v);
void hist_record_n(hist *h, uint64_t v, uint64_t n);

/*
 * Adds every value counted in `src` to `dst`. Both must have been made with
 * the same precision and highest; returns 0, or -1 (and changes nothing) when
 * they were not.
 */
int hist_merge(hist *dst, const hist *src);

uint64_t hist_count(const hist *h);
/* Values above `highest` (the overflow bucket). */
uint64_t hist_clamped(const hist *h);
/* Exact; 0 for an empty histogram. */
uint64_t hist_min(const hist *h);
uint64_t hist_max(const hist *h);
double hist_mean(const hist *h);

/*
 * The value at percentile q (0 to 100): the smallest recorded value v such
 * that at least q % of the values are <= v, read back as the highest value of
 * its bucket, then clamped to [min, max]. So q = 0 gives the exact min, q =
 * 100 the exact max, and otherwise the true value v satisfies
 * v <= result <= v + v * 2^-(precision-1). 0 for an empty histogram.
 */
uint64_t hist_percentile(const hist *h, double q);

/* How many recorded values are <= v, counting whole buckets: exact when v is
 * the highest value of a bucket (hist_bucket_high), else it may include
 * values up to that bucket's highest. Above `highest`, the overflow bucket
 * counts only once v >= max. */
uint64_t hist_count_le(const hist *h, uint64_t v);

/*
 * The histogram cut at round bounds, for people: bounds are each of the
 * n_steps `steps` (in hundredths, from 100 up to 999: {100, 200, 500} gives
 * 1, 2, 5, 10, 20, 50, ...) times each power of ten, from the first bound
 * at or above min to the first at or above max. Row i is bound[i] and
 * count[i], the values above bound[i-1] and up to bound[i], as
 * hist_count_le() counts them (so within the histogram's precision); rows
 * between min and max may count 0. Writes at most `max` rows and returns how
 * many; 0 for an empty histogram.
 */
size_t hist_rows(const hist *h, const unsigned *steps, size_t n_steps, uint64_t *bound,
                 uint64_t *count, size_t max);

/* The highest value that shares v's bucket (v itself for exact buckets);
 * UINT64_MAX for values above `highest` (the overflow bucket). */
uint64_t hist_bucket_high(const hist *h, uint64_t v);

#endif
