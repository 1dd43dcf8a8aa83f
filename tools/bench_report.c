/*
 * bench_report.c: jobsbench's results, for people or for programs.
 *
 *   human  a summary per target: throughput, count, errors by status,
 *          latency min/mean/p50/p90/p99/p99.9/max, a histogram, a row per
 *          kind of call, CPU per call (jobsbench's and the server's); with
 *          --baseline, the echo server first and the ratios last
 *   json   one object. The top level is jobsd's: throughput_rps, count,
 *          errors (status name -> count), latency_us {min, mean, p50, p90,
 *          p99, p999, max}, by_call (kind -> the same keys), cpu_us_per_call
 *          {client, server} (server null when its process is unknown);
 *          with --baseline, baseline (the echo server's, same keys) and
 *          ratio (jobsd throughput / echo throughput). Plus the run's
 *          settings.
 *   csv    a header, then a row per kind of call and one "total" per target
 *          (the total carries the CPU per call)
 *
 * Latency is of every measured call, answered OK or not.
 */
#include "bench.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- results ------------------------------------------------------------- */

bool
kind_result_init(struct kind_result *k)
{
	memset(k, 0, sizeof *k);
	return (k->lat = hist_new(BENCH_HIST_PRECISION, BENCH_HIST_HIGHEST)) != NULL;
}

void
kind_result_fini(struct kind_result *k)
{
	hist_free(k->lat);
	k->lat = NULL;
}

void
kind_result_merge(struct kind_result *dst, const struct kind_result *src)
{
	if (src->lat == NULL)
		return;
	hist_merge(dst->lat, src->lat); /* same shape: both from kind_result_init */
	for (int i = 0; i < BENCH_N_CODES; i++)
		dst->codes[i] += src->codes[i];
}

uint64_t
kind_result_errors(const struct kind_result *k)
{
	uint64_t n = 0;

	for (int i = 1; i < BENCH_N_CODES; i++)
		n += k->codes[i];
	return n;
}

const char *
bench_code_name(int i)
{
	return i == BENCH_N_CODES - 1 ? "OTHER" : jobs_code_name(i);
}

static double
rate(const struct target_result *t, const struct kind_result *k)
{
	return t->elapsed_s > 0 && k->lat != NULL ? (double)hist_count(k->lat) / t->elapsed_s : 0;
}

/* The histogram's rows: bounds 1, 2, 5, 10, 20, 50, ... us from the one that
 * holds min to the one that holds max. Returns how many (at most `max`). */
static int
hist_rows(const hist *h, uint64_t *bound, uint64_t *count, int max)
{
	static const int steps[] = {1, 2, 5};
	uint64_t prev = 0, total = hist_count(h);
	int n = 0;

	if (total == 0)
		return 0;
	for (uint64_t p = 1; n < max; p *= 10) {
		for (int s = 0; s < 3 && n < max; s++) {
			uint64_t b = p * (uint64_t)steps[s];
			uint64_t le = b >= hist_max(h) ? total : hist_count_le(h, b);

			if (b < hist_min(h) && b < hist_max(h)) {
				prev = le;
				continue;
			}
			bound[n] = b;
			count[n++] = le - prev;
			prev = le;
			if (le == total)
				return n;
		}
	}
	return n;
}

/* ---- human ----------------------------------------------------------------- */

/* "850us", "1.25ms", "2.50s" */
static const char *
fmt_us(char *buf, size_t len, double us)
{
	if (us < 1000)
		snprintf(buf, len, "%.0fus", us);
	else if (us < 1e6)
		snprintf(buf, len, "%.2fms", us / 1e3);
	else
		snprintf(buf, len, "%.2fs", us / 1e6);
	return buf;
}

static void
human_errors(const struct kind_result *k)
{
	if (kind_result_errors(k) == 0) {
		printf("none");
		return;
	}
	for (int i = 1, first = 1; i < BENCH_N_CODES; i++)
		if (k->codes[i] != 0) {
			printf("%s%s %llu", first ? "" : ", ", bench_code_name(i),
			       (unsigned long long)k->codes[i]);
			first = 0;
		}
}

static void
human_target(const struct bench_report *r, const struct target_result *t, const char *title)
{
	const hist *h = t->total.lat;
	char b[7][32];
	uint64_t bound[40], count[40];
	int rows = hist_rows(h, bound, count, 40);
	uint64_t most = 0;

	printf("\n== %s: %s%s\n", title, t->url, t->interrupted ? " (interrupted)" : "");
	printf("  throughput  %.1f calls/s  (%llu calls in %.2f s)\n", rate(t, &t->total),
	       (unsigned long long)hist_count(h), t->elapsed_s);
	printf("  errors      ");
	human_errors(&t->total);
	printf("\n  latency     min %s  mean %s  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
	       fmt_us(b[0], 32, (double)hist_min(h)), fmt_us(b[1], 32, hist_mean(h)),
	       fmt_us(b[2], 32, (double)hist_percentile(h, 50)),
	       fmt_us(b[3], 32, (double)hist_percentile(h, 90)),
	       fmt_us(b[4], 32, (double)hist_percentile(h, 99)),
	       fmt_us(b[5], 32, (double)hist_percentile(h, 99.9)),
	       fmt_us(b[6], 32, (double)hist_max(h)));
	for (int i = 0; i < rows; i++)
		most = count[i] > most ? count[i] : most;
	if (rows > 0)
		printf("  histogram   calls with latency up to ...\n");
	for (int i = 0; i < rows; i++) {
		int bar = most ? (int)(50.0 * (double)count[i] / (double)most + 0.5) : 0;

		printf("    %9s %6.2f%% %10llu  ", fmt_us(b[0], 32, (double)bound[i]),
		       100.0 * (double)count[i] / (double)hist_count(h),
		       (unsigned long long)count[i]);
		for (int j = 0; j < bar; j++)
			putchar('#');
		putchar('\n');
	}
	printf("  by call      share      count    calls/s  errors      p50      p90      p99"
	       "    p99.9      max%s\n",
	       t->have_sizes ? "  request B  response B" : "");
	for (size_t k = 0; k < n_call_kinds; k++) {
		const struct kind_result *kr = &t->kinds[k];

		if (r->weights[k] == 0 || kr->lat == NULL)
			continue;
		printf("    %-8s %6.1f%% %10llu %10.1f %7llu %8s %8s %8s %8s %8s",
		       call_kinds[k].name,
		       hist_count(h) ? 100.0 * (double)hist_count(kr->lat) / (double)hist_count(h)
		                     : 0.0,
		       (unsigned long long)hist_count(kr->lat), rate(t, kr),
		       (unsigned long long)kind_result_errors(kr),
		       fmt_us(b[0], 32, (double)hist_percentile(kr->lat, 50)),
		       fmt_us(b[1], 32, (double)hist_percentile(kr->lat, 90)),
		       fmt_us(b[2], 32, (double)hist_percentile(kr->lat, 99)),
		       fmt_us(b[3], 32, (double)hist_percentile(kr->lat, 99.9)),
		       fmt_us(b[4], 32, (double)hist_max(kr->lat)));
		if (t->have_sizes)
			printf(" %10.0f %11.0f", t->request_bytes[k], t->response_bytes[k]);
		putchar('\n');
	}
	if (t->rss_max_kb > 0)
		printf("  memory      server resident %.1f MiB at the start, %.1f MiB at most, "
		       "%.1f MiB at the end\n",
		       t->rss_start_kb / 1024.0, t->rss_max_kb / 1024.0, t->rss_end_kb / 1024.0);
	if (t->client_cpu_us >= 0) {
		printf("  cpu         jobsbench %.1f us per call", t->client_cpu_us);
		if (t->server_cpu_us >= 0)
			printf(", server %.1f us per call (pid %ld)", t->server_cpu_us,
			       t->server_pid);
		else
			printf(", server unknown (not on this machine; --server-pid)");
		putchar('\n');
		if (t->server_cpu_us >= 0 && t->client_cpu_us > t->server_cpu_us)
			printf(
			    "  warning     jobsbench used more CPU than the server: these figures "
			    "measure jobsbench too\n");
	}
}

static double
ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static int
write_human(const struct bench_report *r)
{
	printf("jobsbench: %s, ", r->server);
	if (r->open_loop)
		printf("open loop at %.1f calls/s", r->rps);
	else
		printf("closed loop");
	printf(", %d in flight over %d connection%s, %d thread%s\n", r->concurrency, r->connections,
	       r->connections == 1 ? "" : "s", r->threads, r->threads == 1 ? "" : "s");
	if (r->requests > 0)
		printf("  %llu calls measured", (unsigned long long)r->requests);
	else
		printf("  %.1f s measured", r->duration_s);
	printf(" after %.1f s of warm-up; timeout %d ms\n  mix", r->warmup_s, r->timeout_ms);
	for (size_t k = 0; k < n_call_kinds; k++)
		if (r->weights[k] > 0)
			printf(" %s=%d", call_kinds[k].name, r->weights[k]);
	if (r->seeded > 0)
		printf("; %llu seeded jobs (%llu made now, in %.1f s)",
		       (unsigned long long)r->seeded, (unsigned long long)r->seed_created,
		       r->seed_s);
	putchar('\n');
	if (r->echo != NULL)
		human_target(r, r->echo, "echo baseline");
	human_target(r, r->jobsd, "jobsd");
	if (r->echo != NULL) {
		const hist *j = r->jobsd->total.lat, *e = r->echo->total.lat;

		printf("\n== jobsd / echo\n  throughput %.3f   p50 %.3f   p99 %.3f   (throughput: "
		       "higher is better; latency: lower)\n",
		       ratio(rate(r->jobsd, &r->jobsd->total), rate(r->echo, &r->echo->total)),
		       ratio((double)hist_percentile(j, 50), (double)hist_percentile(e, 50)),
		       ratio((double)hist_percentile(j, 99), (double)hist_percentile(e, 99)));
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1;
}

/* ---- json ------------------------------------------------------------------ */

static json_t *
json_latency(const hist *h)
{
	return json_pack("{s:I, s:f, s:I, s:I, s:I, s:I, s:I}", "min", (json_int_t)hist_min(h),
	                 "mean", hist_mean(h), "p50", (json_int_t)hist_percentile(h, 50), "p90",
	                 (json_int_t)hist_percentile(h, 90), "p99",
	                 (json_int_t)hist_percentile(h, 99), "p999",
	                 (json_int_t)hist_percentile(h, 99.9), "max", (json_int_t)hist_max(h));
}

static json_t *
json_errors(const struct kind_result *k)
{
	json_t *o = json_object();

	for (int i = 1; i < BENCH_N_CODES; i++)
		if (k->codes[i] != 0)
			json_object_set_new(o, bench_code_name(i),
			                    json_integer((json_int_t)k->codes[i]));
	return o;
}

/* The keys every target and every kind of call has. */
static void
json_stats(json_t *o, const struct target_result *t, const struct kind_result *k)
{
	json_object_set_new(o, "throughput_rps", json_real(rate(t, k)));
	json_object_set_new(o, "count", json_integer((json_int_t)hist_count(k->lat)));
	json_object_set_new(o, "errors", json_errors(k));
	json_object_set_new(o, "latency_us", json_latency(k->lat));
}

static json_t *
json_target(const struct bench_report *r, const struct target_result *t)
{
	json_t *o = json_object(), *by = json_object(), *rows = json_array();
	uint64_t bound[40], count[40];
	int n = hist_rows(t->total.lat, bound, count, 40);

	json_object_set_new(o, "target", json_string(t->target));
	json_object_set_new(o, "server", json_string(t->url));
	json_object_set_new(o, "elapsed_s", json_real(t->elapsed_s));
	json_stats(o, t, &t->total);
	for (int i = 0; i < n; i++)
		json_array_append_new(rows, json_pack("{s:I, s:I}", "le_us", (json_int_t)bound[i],
		                                      "count", (json_int_t)count[i]));
	json_object_set_new(o, "latency_histogram", rows);
	for (size_t k = 0; k < n_call_kinds; k++) {
		json_t *c;

		if (r->weights[k] == 0 || t->kinds[k].lat == NULL)
			continue;
		c = json_object();
		json_object_set_new(c, "rpc", json_string(call_kinds[k].rpc));
		json_stats(c, t, &t->kinds[k]);
		if (t->have_sizes) {
			json_object_set_new(c, "request_bytes", json_real(t->request_bytes[k]));
			json_object_set_new(c, "response_bytes", json_real(t->response_bytes[k]));
		}
		json_object_set_new(by, call_kinds[k].name, c);
	}
	json_object_set_new(o, "by_call", by);
	if (t->client_cpu_us >= 0)
		json_object_set_new(
		    o, "cpu_us_per_call",
		    json_pack("{s:f, s:o}", "client", t->client_cpu_us, "server",
		              t->server_cpu_us >= 0 ? json_real(t->server_cpu_us) : json_null()));
	if (t->rss_max_kb > 0)
		json_object_set_new(
		    o, "server_rss_kb",
		    json_pack("{s:I, s:I, s:I}", "start", (json_int_t)t->rss_start_kb, "max",
		              (json_int_t)t->rss_max_kb, "end", (json_int_t)t->rss_end_kb));
	if (t->interrupted)
		json_object_set_new(o, "interrupted", json_true());
	return o;
}

static int
write_json(const struct bench_report *r)
{
	json_t *o = json_target(r, r->jobsd), *mix = json_object(), *cfg;
	char date[32];
	time_t now = time(NULL);
	struct tm tm;
	int rv;

	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	for (size_t k = 0; k < n_call_kinds; k++)
		if (r->weights[k] > 0)
			json_object_set_new(mix, call_kinds[k].name, json_integer(r->weights[k]));
	cfg = json_pack("{s:s, s:s, s:f, s:i, s:i, s:i, s:f, s:I, s:f, s:i, s:o, s:I, s:I, s:f}",
	                "date", date, "loop", r->open_loop ? "open" : "closed", "rps", r->rps,
	                "concurrency", r->concurrency, "connections", r->connections, "threads",
	                r->threads, "duration_s", r->duration_s, "requests",
	                (json_int_t)r->requests, "warmup_s", r->warmup_s, "timeout_ms",
	                r->timeout_ms, "mix", mix, "seed", (json_int_t)r->seeded, "seed_created",
	                (json_int_t)r->seed_created, "seed_s", r->seed_s);
	json_object_set_new(o, "settings", cfg);
	if (r->echo != NULL) {
		json_t *b = json_target(r, r->echo);

		json_object_set_new(o, "baseline", b);
		json_object_set_new(o, "ratio",
		                    json_real(ratio(rate(r->jobsd, &r->jobsd->total),
		                                    rate(r->echo, &r->echo->total))));
	}
	rv = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(o);
	putchar('\n');
	return rv == 0 && fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1;
}

/* ---- csv ------------------------------------------------------------------- */

/* A row; the total's (cpu) carries the CPU per call, the kinds' leave it
 * empty. */
static void
csv_row(const struct target_result *t, const char *call, const struct kind_result *k, bool cpu)
{
	const hist *h = k->lat;

	printf("%s,%s,%llu,%.3f,%llu,", t->target, call, (unsigned long long)hist_count(h),
	       rate(t, k), (unsigned long long)kind_result_errors(k));
	for (int i = 1, first = 1; i < BENCH_N_CODES; i++)
		if (k->codes[i] != 0) {
			printf("%s%s=%llu", first ? "" : ";", bench_code_name(i),
			       (unsigned long long)k->codes[i]);
			first = 0;
		}
	printf(",%llu,%.1f,%llu,%llu,%llu,%llu,%llu,", (unsigned long long)hist_min(h),
	       hist_mean(h), (unsigned long long)hist_percentile(h, 50),
	       (unsigned long long)hist_percentile(h, 90),
	       (unsigned long long)hist_percentile(h, 99),
	       (unsigned long long)hist_percentile(h, 99.9), (unsigned long long)hist_max(h));
	if (cpu && t->client_cpu_us >= 0)
		printf("%.2f", t->client_cpu_us);
	putchar(',');
	if (cpu && t->server_cpu_us >= 0)
		printf("%.2f", t->server_cpu_us);
	putchar('\n');
}

static void
csv_target(const struct bench_report *r, const struct target_result *t)
{
	for (size_t k = 0; k < n_call_kinds; k++)
		if (r->weights[k] > 0 && t->kinds[k].lat != NULL)
			csv_row(t, call_kinds[k].name, &t->kinds[k], false);
	csv_row(t, "total", &t->total, true);
}

static int
write_csv(const struct bench_report *r)
{
	printf("target,call,count,throughput_rps,errors,error_codes,min_us,mean_us,p50_us,p90_us,"
	       "p99_us,p999_us,max_us,client_cpu_us,server_cpu_us\n");
	if (r->echo != NULL)
		csv_target(r, r->echo);
	csv_target(r, r->jobsd);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1;
}

int
report_write(const struct bench_report *r, enum bench_format f)
{
	switch (f) {
	case FORMAT_JSON:
		return write_json(r);
	case FORMAT_CSV:
		return write_csv(r);
	default:
		return write_human(r);
	}
}
