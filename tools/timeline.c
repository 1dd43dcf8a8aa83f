/*
 * timeline.c: see timeline.h.
 */
#include "timeline.h"

#include <string.h>

void
timeline_init(struct timeline *t)
{
	memset(t, 0, sizeof *t);
	t->width_ns = TIMELINE_FIRST_WIDTH_NS;
}

/* The next width on the 1-2-10 ladder: 10 ms -> 20 ms -> 100 ms -> ... */
static int64_t
wider(int64_t w)
{
	int64_t p = TIMELINE_FIRST_WIDTH_NS;

	while (p * 10 <= w)
		p *= 10;
	return w == p ? w * 2 : p * 10;
}

static void
add(struct timeline *t, size_t i, const struct timeline_bin *b)
{
	struct timeline_bin *to = &t->bins[i];

	to->calls += b->calls;
	to->errors += b->errors;
	to->lat_sum_us += b->lat_sum_us;
	if (b->lat_max_us > to->lat_max_us)
		to->lat_max_us = b->lat_max_us;
	if (i + 1 > t->n)
		t->n = i + 1;
}

/* Merges t's bins into bins `width` wide (a width up the ladder from t's):
 * bin i goes into bin i / f, which is never after it. */
static void
widen(struct timeline *t, int64_t width)
{
	size_t f = (size_t)(width / t->width_ns), n = t->n;

	if (f <= 1)
		return;
	t->n = 0;
	for (size_t i = 0; i < n; i++) {
		struct timeline_bin b = t->bins[i];

		t->bins[i] = (struct timeline_bin){0};
		add(t, i / f, &b);
	}
	t->width_ns = width;
}

void
timeline_record(struct timeline *t, int64_t at_ns, uint64_t lat_us, bool error)
{
	struct timeline_bin b = {1, error, lat_us, lat_us};
	int64_t at = at_ns < 0 ? 0 : at_ns;

	while (at / t->width_ns >= TIMELINE_BINS)
		widen(t, wider(t->width_ns));
	add(t, (size_t)(at / t->width_ns), &b);
}

void
timeline_merge(struct timeline *dst, const struct timeline *src)
{
	size_t f;

	if (src->width_ns > dst->width_ns)
		widen(dst, src->width_ns);
	f = (size_t)(dst->width_ns / src->width_ns);
	for (size_t i = 0; i < src->n; i++)
		if (src->bins[i].calls > 0)
			add(dst, i / f, &src->bins[i]);
}
