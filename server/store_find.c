/*
 * store_find.c: what finding jobs is the same for every engine: SQL text
 * built by shape, pages, the walk of a word search through its ranked
 * blocks, and the days of GetStats. The engines (store_sqlite_find.c,
 * store_pg_find.c) supply the queries; see store_backend.h.
 */
#include "status.h"
#include "store_backend.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
store_sql_add(struct store_sql *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(b->text + b->n, sizeof b->text - b->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= sizeof b->text - b->n)
		b->overflow = true;
	else
		b->n += (size_t)k;
}

int
store_page_init(store_page *out, int limit, arena *a)
{
	memset(out, 0, sizeof *out);
	out->jobs = arena_alloc(a, sizeof *out->jobs * (size_t)limit);
	return out->jobs != NULL ? 0 : ST(RESOURCE_EXHAUSTED);
}

bool
store_filter_is_empty(const Jobs__V1__JobFilter *f)
{
	return f == NULL ||
	       (f->enabled == JOBS__V1__ENABLED_FILTER__ENABLED_ANY && *f->product == '\0' &&
	        *f->persona == '\0' && *f->language == '\0' && *f->brand_name == '\0' &&
	        f->created_after == 0 && f->created_before == 0 && f->updated_after == 0 &&
	        f->updated_before == 0);
}

const store_search *
store_hits_init(const store_search *q, store_search *plain, arena *a, store_hits *out)
{
	/* An empty filter is none: with one, each match would be looked up in
	 * jobs to pass conditions there are none of. libjobsclient always
	 * sends one. */
	if (q->filter != NULL && store_filter_is_empty(q->filter)) {
		*plain = *q;
		plain->filter = NULL;
		q = plain;
	}
	memset(out, 0, sizeof *out);
	if (store_page_init(&out->page, q->limit, a) != 0)
		return NULL;
	out->scores = arena_alloc(a, sizeof *out->scores * (size_t)q->limit);
	if (q->snippets)
		out->snippets = arena_alloc(a, sizeof *out->snippets * (size_t)q->limit);
	if (out->scores == NULL || (q->snippets && out->snippets == NULL))
		return NULL;
	return q;
}

/* Best first: rank, then newest. */
static int
by_rank(const void *x, const void *y)
{
	const struct store_ranked *a = x, *b = y;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return a->seq < b->seq ? 1 : a->seq > b->seq ? -1 : 0;
}

/*
 * Word search: blocks of matches, each ranked (see SearchJobs). A block is
 * [lo, top] in seq; both ends are fixed when the search enters it and travel
 * in the page token, so writes between pages neither grow nor shift a block
 * (new jobs have higher seqs than any block).
 *
 * Within a block the position is "after job S". Ranks drift with every write
 * (they depend on the number of jobs, their lengths, how many hold each
 * word), so the rank S had on the last page is no position to compare
 * today's ranks with. The block is ranked again and the page starts after S
 * in today's order. Only when S is gone (deleted, or no longer matching)
 * does the old rank serve, as the nearest position.
 */
int
store_search_words(const struct store_words *w, arena *a, store_hits *out)
{
	const store_search *q = w->q;
	int64_t top, lo = 0;
	bool have_lo = false, resume = q->after && q->in_block;
	size_t bytes = 0;
	int rv;

	if (q->after) {
		top = q->block_top;
		lo = q->block_bottom;
		have_lo = true;
	} else if ((rv = w->top(w, &top)) != 0) {
		/* The first block starts at the newest job now: jobs written
		 * later are not in this search's pages. */
		return rv;
	}
	for (;;) {
		struct store_ranked *rows;
		size_t n, start = 0;

		if ((rv = w->block(w, have_lo, &lo, top, a, &rows, &n)) != 0)
			return rv;
		qsort(rows, n, sizeof *rows, by_rank);
		if (resume) {
			while (start < n && rows[start].seq != q->after_seq)
				start++;
			if (start < n) {
				start++; /* after S */
			} else {
				start = 0;
				while (start < n && (rows[start].rank < q->after_rank ||
				                     (rows[start].rank == q->after_rank &&
				                      rows[start].seq >= q->after_seq)))
					start++;
			}
			resume = false;
		}
		for (size_t i = start; i < n; i++) {
			if (out->page.n_jobs == (size_t)q->limit || bytes >= q->max_bytes) {
				out->page.more = true;
				return 0;
			}
			if ((rv = w->add(w, rows[i].seq, -rows[i].rank, a, out, &bytes)) != 0)
				return rv;
			/* The position after this hit, for the next page. */
			out->block_top = top;
			out->block_bottom = lo;
			out->in_block = true;
			out->rank = rows[i].rank;
			out->seq = rows[i].seq;
		}
		if (lo == INT64_MIN)
			return 0; /* the last block is done: no more */
		top = lo - 1;
		have_lo = false;
		if (out->page.n_jobs == (size_t)q->limit) {
			/* Full as the block ended: more only if an older match
			 * exists. The position stays at the last hit: its block
			 * yields nothing more, then the next one follows. */
			int64_t next;
			if ((rv = w->newest(w, top, &next)) != 0)
				return rv;
			out->page.more = next != INT64_MIN;
			return 0;
		}
	}
}

int
store_stats_days(store *st, int64_t day_from, int64_t day_to, arena *a,
                 Jobs__V1__GetStatsResponse *out)
{
	size_t days = (size_t)(day_to - day_from + 1);

	if ((out->created_per_day = arena_alloc(a, sizeof *out->created_per_day * days)) == NULL)
		return ST(RESOURCE_EXHAUSTED);
	for (size_t i = 0; i < days; i++) {
		Jobs__V1__DayCount *d = arena_alloc(a, sizeof *d);
		time_t t = (time_t)((day_from + (int64_t)i) * 86400);
		struct tm tm;

		if (d == NULL)
			return ST(RESOURCE_EXHAUSTED);
		jobs__v1__day_count__init(d);
		if (gmtime_r(&t, &tm) == NULL)
			return store_failf(st, ST(INVALID_ARGUMENT), "day %lld is out of range",
			                   (long long)(day_from + (int64_t)i));
		if ((d->date = arena_printf(a, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		                            tm.tm_mday)) == NULL)
			return ST(RESOURCE_EXHAUSTED);
		out->created_per_day[i] = d;
	}
	out->n_created_per_day = days;
	return 0;
}
