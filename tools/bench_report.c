/*
 * bench_report.c: jobsbench's results, for people or for programs, all from
 * one struct bench_report.
 *
 *   human  a summary per target: throughput, count, errors by status
 *          (with the first message of each, escaped as jobsctl does),
 *          latency min/mean/p50/p90/p99/p99.9/max, a histogram in 1-2-5
 *          rows (--cumulative: calls up to each bound), a row per kind of
 *          call, CPU per call (jobsbench's and the server's); with
 *          --baseline, the echo server first and the ratios last
 *   json   one object. The top level is jobsd's: throughput_rps, count,
 *          errors (status name -> count), error_messages (status name ->
 *          the first such answer's message), latency_us {min, mean, p50,
 *          p90, p99, p999, max}, latency_percentiles (a spectrum from 0 to 100),
 *          latency_histogram (ten rows a decade, each with its count and the
 *          cumulative count), timeline (calls, errors, mean and max latency
 *          over time), by_call (kind -> the same keys but the histogram and
 *          timeline), cpu_us_per_call {client, server} (server null when its
 *          process is unknown); with --baseline, baseline (the echo
 *          server's, same keys) and ratio (jobsd throughput / echo
 *          throughput). Plus settings: the run's date, version and flags.
 *   csv    a header, then a row per kind of call and one "total" per target
 *          (the total carries the CPU per call); the settings and date end
 *          every row, so that the rows of many runs can go in one table
 *   csv-histogram  the same, with a row per histogram row (ten a decade)
 *   html   bench_html.c: the JSON inside a page that draws it
 *
 * Latency is of every measured call, answered OK or not.
 */
#include "bench.h"
#include "cli.h" /* render_escape: messages reach a terminal */

#include <jansson.h>
#include <stdlib.h>
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
	for (int i = 0; i < BENCH_N_CODES; i++) {
		dst->codes[i] += src->codes[i];
		if (dst->example[i][0] == '\0')
			memcpy(dst->example[i], src->example[i], sizeof dst->example[i]);
	}
}

void
kind_result_record(struct kind_result *k, int code, uint64_t lat_us, const char *message)
{
	hist_record(k->lat, lat_us);
	k->codes[code]++;
	if (code != JOBS_OK && k->example[code][0] == '\0')
		snprintf(k->example[code], sizeof k->example[code], "%s", message);
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

/* Bounds of the histogram's rows: 1-2-5 for people, ten a decade (the R10
 * series) for charts and programs. */
static const unsigned steps_125[] = {100, 200, 500};
static const unsigned steps_r10[] = {100, 125, 160, 200, 250, 315, 400, 500, 630, 800};
#define MAX_ROWS 200

/* The percentiles of the spectrum (JSON's latency_percentiles), the
 * HdrHistogram way: ever closer to 100. */
static const double spectrum[] = {0,    10,   20,    25,    30,     40,     50,   60,
                                  70,   75,   80,    85,    90,     95,     97.5, 99,
                                  99.5, 99.9, 99.95, 99.99, 99.995, 99.999, 100};

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

/* "2026-11-24T14:38:00Z", into buf[32]. */
static const char *
fmt_date(char *buf, time_t t)
{
	struct tm tm;

	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	return buf;
}

/* The errors by status on one line, then the first message of each, its
 * control characters escaped (a server's text must not drive the
 * terminal). */
static void
human_errors(FILE *out, const struct kind_result *k)
{
	if (kind_result_errors(k) == 0) {
		fputs("none\n", out);
		return;
	}
	for (int i = 1, first = 1; i < BENCH_N_CODES; i++)
		if (k->codes[i] != 0) {
			fprintf(out, "%s%s %llu (%.2f%%)", first ? "" : ", ", bench_code_name(i),
			        (unsigned long long)k->codes[i],
			        100.0 * (double)k->codes[i] / (double)hist_count(k->lat));
			first = 0;
		}
	fputc('\n', out);
	for (int i = 1; i < BENCH_N_CODES; i++) {
		char *msg;

		if (k->codes[i] == 0 || k->example[i][0] == '\0' ||
		    (msg = render_escape(k->example[i], false)) == NULL)
			continue;
		fprintf(out, "              first %s: %s\n", bench_code_name(i), msg);
		free(msg);
	}
}

/* The histogram in 1-2-5 rows, a bar each: the calls in each row, or with
 * --cumulative the calls up to its bound. */
static void
human_histogram(FILE *out, const struct bench_report *r, const hist *h)
{
	uint64_t bound[MAX_ROWS], count[MAX_ROWS], most = 0, sum = 0;
	size_t rows = hist_rows(h, steps_125, 3, bound, count, MAX_ROWS);
	char b[32];

	if (rows == 0)
		return;
	for (size_t i = 0; i < rows; i++) {
		if (r->cumulative)
			count[i] = sum += count[i];
		most = count[i] > most ? count[i] : most;
	}
	fprintf(out, "  histogram   calls with latency %s ...\n",
	        r->cumulative ? "up to (cumulative)" : "up to");
	for (size_t i = 0; i < rows; i++) {
		int bar = most ? (int)(50.0 * (double)count[i] / (double)most + 0.5) : 0;

		fprintf(out, "    %9s %6.2f%% %10llu  ", fmt_us(b, sizeof b, (double)bound[i]),
		        100.0 * (double)count[i] / (double)hist_count(h),
		        (unsigned long long)count[i]);
		for (int j = 0; j < bar; j++)
			fputc('#', out);
		fputc('\n', out);
	}
}

static void
human_target(FILE *out, const struct bench_report *r, const struct target_result *t,
             const char *title)
{
	const hist *h = t->total.lat;
	char b[7][32];

	fprintf(out, "\n== %s: %s%s\n", title, t->url, t->interrupted ? " (interrupted)" : "");
	fprintf(out, "  throughput  %.1f calls/s  (%llu calls in %.2f s)\n", rate(t, &t->total),
	        (unsigned long long)hist_count(h), t->elapsed_s);
	fputs("  errors      ", out);
	human_errors(out, &t->total);
	fprintf(out, "  latency     min %s  mean %s  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
	        fmt_us(b[0], 32, (double)hist_min(h)), fmt_us(b[1], 32, hist_mean(h)),
	        fmt_us(b[2], 32, (double)hist_percentile(h, 50)),
	        fmt_us(b[3], 32, (double)hist_percentile(h, 90)),
	        fmt_us(b[4], 32, (double)hist_percentile(h, 99)),
	        fmt_us(b[5], 32, (double)hist_percentile(h, 99.9)),
	        fmt_us(b[6], 32, (double)hist_max(h)));
	human_histogram(out, r, h);
	fprintf(out,
	        "  by call      share      count    calls/s  errors      p50      p90      p99"
	        "    p99.9      max%s\n",
	        t->have_sizes ? "  request B  response B" : "");
	for (size_t k = 0; k < n_call_kinds; k++) {
		const struct kind_result *kr = &t->kinds[k];

		if (r->weights[k] == 0 || kr->lat == NULL)
			continue;
		fprintf(out, "    %-8s %6.1f%% %10llu %10.1f %7llu %8s %8s %8s %8s %8s",
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
			fprintf(out, " %10.0f %11.0f", t->request_bytes[k], t->response_bytes[k]);
		fputc('\n', out);
	}
	if (t->rss_max_kb > 0)
		fprintf(out,
		        "  memory      server resident %.1f MiB at the start, %.1f MiB at most, "
		        "%.1f MiB at the end\n",
		        t->rss_start_kb / 1024.0, t->rss_max_kb / 1024.0, t->rss_end_kb / 1024.0);
	if (t->client_cpu_us >= 0) {
		fprintf(out, "  cpu         jobsbench %.1f us per call", t->client_cpu_us);
		if (t->server_cpu_us >= 0)
			fprintf(out, ", server %.1f us per call (pid %ld)", t->server_cpu_us,
			        t->server_pid);
		else
			fputs(", server unknown (not on this machine; --server-pid)", out);
		fputc('\n', out);
		if (t->server_cpu_us >= 0 && t->client_cpu_us > t->server_cpu_us)
			fputs(
			    "  warning     jobsbench used more CPU than the server: these figures "
			    "measure jobsbench too\n",
			    out);
	}
}

static double
ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static int
write_human(const struct bench_report *r, FILE *out)
{
	char date[32];

	fprintf(out, "jobsbench %s, %s: %s, ", r->version, fmt_date(date, r->date), r->server);
	if (r->open_loop)
		fprintf(out, "open loop at %.1f calls/s", r->rps);
	else
		fputs("closed loop", out);
	fprintf(out, ", %d in flight over %d connection%s, ", r->concurrency, r->connections,
	        r->connections == 1 ? "" : "s");
	if (r->threads == 0)
		fputs("driven by the completions\n", out);
	else
		fprintf(out, "%d thread%s\n", r->threads, r->threads == 1 ? "" : "s");
	if (r->requests > 0)
		fprintf(out, "  %llu calls measured", (unsigned long long)r->requests);
	else
		fprintf(out, "  %.1f s measured", r->duration_s);
	fprintf(out, " after %.1f s of warm-up; timeout %d ms\n  mix", r->warmup_s, r->timeout_ms);
	for (size_t k = 0; k < n_call_kinds; k++)
		if (r->weights[k] > 0)
			fprintf(out, " %s=%d", call_kinds[k].name, r->weights[k]);
	if (r->seeded > 0)
		fprintf(out, "; %llu seeded jobs (%llu made now, in %.1f s)",
		        (unsigned long long)r->seeded, (unsigned long long)r->seed_created,
		        r->seed_s);
	fputc('\n', out);
	if (r->echo != NULL)
		human_target(out, r, r->echo, "echo baseline");
	human_target(out, r, r->jobsd, "jobsd");
	if (r->echo != NULL) {
		const hist *j = r->jobsd->total.lat, *e = r->echo->total.lat;

		fprintf(out,
		        "\n== jobsd / echo\n  throughput %.3f   p50 %.3f   p99 %.3f   (throughput: "
		        "higher is better; latency: lower)\n",
		        ratio(rate(r->jobsd, &r->jobsd->total), rate(r->echo, &r->echo->total)),
		        ratio((double)hist_percentile(j, 50), (double)hist_percentile(e, 50)),
		        ratio((double)hist_percentile(j, 99), (double)hist_percentile(e, 99)));
	}
	return 0;
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

/* [{percentile, us}, ...] along the spectrum. */
static json_t *
json_percentiles(const hist *h)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sizeof spectrum / sizeof spectrum[0]; i++)
		json_array_append_new(a, json_pack("{s:f, s:I}", "percentile", spectrum[i], "us",
		                                   (json_int_t)hist_percentile(h, spectrum[i])));
	return a;
}

/* [{le_us, count, cumulative}, ...], ten rows a decade. */
static json_t *
json_histogram(const hist *h)
{
	uint64_t bound[MAX_ROWS], count[MAX_ROWS], sum = 0;
	size_t n =
	    hist_rows(h, steps_r10, sizeof steps_r10 / sizeof steps_r10[0], bound, count, MAX_ROWS);
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:I, s:I, s:I}", "le_us", (json_int_t)bound[i],
		                                   "count", (json_int_t)count[i], "cumulative",
		                                   (json_int_t)(sum += count[i])));
	return a;
}

/* {interval_s, calls, errors, mean_us, max_us}: the arrays by bin. */
static json_t *
json_timeline(const struct timeline *t)
{
	json_t *calls = json_array(), *errors = json_array(), *mean = json_array(),
	       *max = json_array();

	for (size_t i = 0; i < t->n; i++) {
		const struct timeline_bin *b = &t->bins[i];

		json_array_append_new(calls, json_integer((json_int_t)b->calls));
		json_array_append_new(errors, json_integer((json_int_t)b->errors));
		json_array_append_new(
		    mean, json_real(b->calls ? (double)b->lat_sum_us / (double)b->calls : 0));
		json_array_append_new(max, json_integer((json_int_t)b->lat_max_us));
	}
	return json_pack("{s:f, s:o, s:o, s:o, s:o}", "interval_s", (double)t->width_ns / 1e9,
	                 "calls", calls, "errors", errors, "mean_us", mean, "max_us", max);
}

/* {status: calls} or, with `messages`, {status: the first message}. */
static json_t *
json_errors(const struct kind_result *k, bool messages)
{
	json_t *o = json_object();

	for (int i = 1; i < BENCH_N_CODES; i++)
		if (k->codes[i] != 0)
			json_object_set_new(o, bench_code_name(i),
			                    messages ? json_string(k->example[i])
			                             : json_integer((json_int_t)k->codes[i]));
	return o;
}

/* The keys every target and every kind of call has. */
static void
json_stats(json_t *o, const struct target_result *t, const struct kind_result *k)
{
	json_object_set_new(o, "throughput_rps", json_real(rate(t, k)));
	json_object_set_new(o, "count", json_integer((json_int_t)hist_count(k->lat)));
	json_object_set_new(o, "errors", json_errors(k, false));
	json_object_set_new(o, "error_messages", json_errors(k, true));
	json_object_set_new(o, "latency_us", json_latency(k->lat));
	json_object_set_new(o, "latency_percentiles", json_percentiles(k->lat));
}

static json_t *
json_target(const struct bench_report *r, const struct target_result *t)
{
	json_t *o = json_object(), *by = json_object();

	json_object_set_new(o, "target", json_string(t->target));
	json_object_set_new(o, "server", json_string(t->url));
	json_object_set_new(o, "elapsed_s", json_real(t->elapsed_s));
	json_stats(o, t, &t->total);
	json_object_set_new(o, "latency_histogram", json_histogram(t->total.lat));
	json_object_set_new(o, "timeline", json_timeline(&t->timeline));
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

/* The run's settings and date: JSON's "settings", and the last columns of
 * every CSV row, in this order. */
static json_t *
json_settings(const struct bench_report *r)
{
	json_t *mix = json_object();
	char date[32];

	for (size_t k = 0; k < n_call_kinds; k++)
		if (r->weights[k] > 0)
			json_object_set_new(mix, call_kinds[k].name, json_integer(r->weights[k]));
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:f, s:i, s:i, s:i, s:f, s:I, s:f, s:i, s:o, s:I, "
	    "s:I, s:f, s:b}",
	    "date", fmt_date(date, r->date), "version", r->version, "server", r->server, "loop",
	    r->open_loop ? "open" : "closed", "rps", r->rps, "concurrency", r->concurrency,
	    "connections", r->connections, "threads", r->threads, "duration_s", r->duration_s,
	    "requests", (json_int_t)r->requests, "warmup_s", r->warmup_s, "timeout_ms",
	    r->timeout_ms, "mix", mix, "seed", (json_int_t)r->seeded, "seed_created",
	    (json_int_t)r->seed_created, "seed_s", r->seed_s, "cumulative", r->cumulative);
}

json_t *
report_json(const struct bench_report *r)
{
	json_t *o = json_target(r, r->jobsd);

	json_object_set_new(o, "settings", json_settings(r));
	if (r->echo != NULL) {
		json_object_set_new(o, "baseline", json_target(r, r->echo));
		json_object_set_new(o, "ratio",
		                    json_real(ratio(rate(r->jobsd, &r->jobsd->total),
		                                    rate(r->echo, &r->echo->total))));
	}
	return o;
}

static int
write_json(const struct bench_report *r, FILE *out)
{
	json_t *o = report_json(r);
	int rv = o != NULL ? json_dumpf(o, out, JSON_INDENT(2) | JSON_REAL_PRECISION(6)) : -1;

	json_decref(o);
	fputc('\n', out);
	return rv;
}

/* ---- csv ------------------------------------------------------------------- */

/* A field as RFC 4180 has it: in quotes, quotes doubled, when it holds a
 * comma, a quote or a line break. */
static void
csv_field(FILE *out, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

/* The settings' names (header) or values (a row), after a comma each: a
 * value as JSON writes it, strings bare, the mix as "get=80,update=20". */
static void
csv_settings(FILE *out, json_t *settings, bool header)
{
	const char *key;
	json_t *v;

	json_object_foreach(settings, key, v)
	{
		fputc(',', out);
		if (header) {
			fputs(key, out);
		} else if (json_is_string(v)) {
			csv_field(out, json_string_value(v));
		} else if (json_is_object(v)) {
			char mix[256] = "";
			const char *k;
			json_t *w;

			json_object_foreach(v, k, w)
			{
				snprintf(mix + strlen(mix), sizeof mix - strlen(mix), "%s%s=%lld",
				         mix[0] ? "," : "", k, (long long)json_integer_value(w));
			}
			csv_field(out, mix);
		} else {
			json_dumpf(v, out, JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
		}
	}
}

/* A row; the total's (cpu) carries the CPU per call, the kinds' leave it
 * empty. */
static void
csv_row(FILE *out, const struct target_result *t, const char *call, const struct kind_result *k,
        bool cpu, json_t *settings)
{
	const hist *h = k->lat;

	fprintf(out, "%s,%s,%llu,%.3f,%llu,", t->target, call, (unsigned long long)hist_count(h),
	        rate(t, k), (unsigned long long)kind_result_errors(k));
	for (int i = 1, first = 1; i < BENCH_N_CODES; i++)
		if (k->codes[i] != 0) {
			fprintf(out, "%s%s=%llu", first ? "" : ";", bench_code_name(i),
			        (unsigned long long)k->codes[i]);
			first = 0;
		}
	fprintf(out, ",%llu,%.1f,%llu,%llu,%llu,%llu,%llu,", (unsigned long long)hist_min(h),
	        hist_mean(h), (unsigned long long)hist_percentile(h, 50),
	        (unsigned long long)hist_percentile(h, 90),
	        (unsigned long long)hist_percentile(h, 99),
	        (unsigned long long)hist_percentile(h, 99.9), (unsigned long long)hist_max(h));
	if (cpu && t->client_cpu_us >= 0)
		fprintf(out, "%.2f", t->client_cpu_us);
	fputc(',', out);
	if (cpu && t->server_cpu_us >= 0)
		fprintf(out, "%.2f", t->server_cpu_us);
	csv_settings(out, settings, false);
	fputc('\n', out);
}

/* The histogram of one kind of call (or the total), ten rows a decade:
 * the calls in each row, or with --cumulative up to its bound. */
static void
csv_histogram(FILE *out, const struct bench_report *r, const struct target_result *t,
              const char *call, const hist *h, json_t *settings)
{
	uint64_t bound[MAX_ROWS], count[MAX_ROWS], sum = 0;
	size_t n =
	    hist_rows(h, steps_r10, sizeof steps_r10 / sizeof steps_r10[0], bound, count, MAX_ROWS);

	for (size_t i = 0; i < n; i++) {
		uint64_t c = r->cumulative ? (sum += count[i]) : count[i];

		fprintf(out, "%s,%s,%llu,%llu,%.4f", t->target, call, (unsigned long long)bound[i],
		        (unsigned long long)c, 100.0 * (double)c / (double)hist_count(h));
		csv_settings(out, settings, false);
		fputc('\n', out);
	}
}

static void
csv_target(FILE *out, const struct bench_report *r, const struct target_result *t, bool histogram,
           json_t *settings)
{
	for (size_t k = 0; k < n_call_kinds; k++) {
		if (r->weights[k] == 0 || t->kinds[k].lat == NULL)
			continue;
		if (histogram)
			csv_histogram(out, r, t, call_kinds[k].name, t->kinds[k].lat, settings);
		else
			csv_row(out, t, call_kinds[k].name, &t->kinds[k], false, settings);
	}
	if (histogram)
		csv_histogram(out, r, t, "total", t->total.lat, settings);
	else
		csv_row(out, t, "total", &t->total, true, settings);
}

static int
write_csv(const struct bench_report *r, FILE *out, bool histogram)
{
	json_t *settings = json_settings(r);

	if (settings == NULL)
		return -1;
	fputs(histogram ? "target,call,le_us,count,percent"
	                : "target,call,count,throughput_rps,errors,error_codes,min_us,mean_us,"
	                  "p50_us,p90_us,p99_us,p999_us,max_us,client_cpu_us,server_cpu_us",
	      out);
	csv_settings(out, settings, true);
	fputc('\n', out);
	if (r->echo != NULL)
		csv_target(out, r, r->echo, histogram, settings);
	csv_target(out, r, r->jobsd, histogram, settings);
	json_decref(settings);
	return 0;
}

int
report_write(const struct bench_report *r, enum bench_format f, FILE *out)
{
	int rv;

	switch (f) {
	case FORMAT_JSON:
		rv = write_json(r, out);
		break;
	case FORMAT_CSV:
	case FORMAT_CSV_HISTOGRAM:
		rv = write_csv(r, out, f == FORMAT_CSV_HISTOGRAM);
		break;
	case FORMAT_HTML:
		rv = report_html(r, out);
		break;
	default:
		rv = write_human(r, out);
		break;
	}
	return rv == 0 && fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
