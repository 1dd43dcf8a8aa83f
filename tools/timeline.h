/*
 * timeline.h: the calls of a measurement over its time, for jobsbench's
 * "throughput over time".
 *
 * Time is cut into bins of equal width from the start of measuring. A bin
 * counts the calls that completed in it, the errors among them, and the sum
 * and the largest of their latencies (so the mean and max latency over
 * time). Bins start TIMELINE_FIRST_WIDTH_NS wide. When a call completes
 * beyond the last of the TIMELINE_BINS, the bins are merged into bins two or
 * five times as wide, along 10 ms, 20 ms, 100 ms, 200 ms, 1 s, 2 s, 10 s,
 * ...: a timeline holds between TIMELINE_BINS / 5 and TIMELINE_BINS bins
 * whatever the length of the run, at round widths, in a fixed array (no
 * allocation while recording). Each thread records into its own;
 * timeline_merge() adds them up.
 */
#ifndef JOBS_TIMELINE_H
#define JOBS_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIMELINE_BINS           256
#define TIMELINE_FIRST_WIDTH_NS 10000000LL /* 10 ms */

struct timeline_bin {
	uint64_t calls, errors;
	uint64_t lat_sum_us, lat_max_us;
};

struct timeline {
	int64_t width_ns; /* of every bin */
	size_t n;         /* bins up to the last one counted into, 0 when empty */
	struct timeline_bin bins[TIMELINE_BINS];
};

/* Empties t, with bins of the first width. */
void timeline_init(struct timeline *t);

/* Counts a call that completed at_ns after the start of measuring (a
 * negative time counts as 0) with latency lat_us, failed or not. */
void timeline_record(struct timeline *t, int64_t at_ns, uint64_t lat_us, bool error);

/* Adds src's calls into dst, the bins of both at the wider of their widths
 * (dst's bins are widened when src's are wider). */
void timeline_merge(struct timeline *dst, const struct timeline *src);

#endif
