/*
 * test_jobsbench.c: jobsbench, the binary, for a second or so against a real
 * jobsd on an ipc:// socket: the shape of its JSON and CSV, a mix without
 * errors, the echo baseline (its own server process, on ipc too), the open
 * loop, where it writes and where it refuses to, its reports (CSV read by
 * Python's csv module, cumulative histograms, --output, and the HTML page
 * in a real headless Chromium: it renders, logs nothing to the console and
 * its charts have data), and the usage errors, which need no jobsd.
 */
#include "helpers.h"
#include "json_helpers.h"

#include <criterion/criterion.h>
#include <jobs/client.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHROMIUM "/usr/bin/chromium"

static struct jobsd d;

static void
start(void)
{
	cr_assert(jobsd_start(&d, NULL, NULL));
}

static void
stop(void)
{
	cr_assert_eq(jobsd_cleanup(&d), 0, "jobsd must exit 0 at SIGTERM");
}

/* Runs `jobsbench ARGS...` (NULL-terminated) against d, or with no --server
 * when d is not running. */
#define bench(...) run_tool(JOBSBENCH_PATH, d.pid > 0 ? d.url : NULL, NULL, __VA_ARGS__)

/* The keys the issue names: throughput_rps, count, errors, latency_us. */
static void
assert_stats(json_t *o, const char *what)
{
	static const char *const lat[] = {"min", "mean", "p50", "p90", "p99", "p999", "max"};
	json_t *l = json_object_get(o, "latency_us");

	cr_assert(json_is_number(json_object_get(o, "throughput_rps")), "%s: throughput_rps", what);
	cr_assert(json_is_integer(json_object_get(o, "count")), "%s: count", what);
	cr_assert(json_is_object(json_object_get(o, "errors")), "%s: errors", what);
	cr_assert(json_is_object(l), "%s: latency_us", what);
	cr_assert_eq(json_object_size(l), 7, "%s: latency_us has exactly its 7 keys", what);
	for (size_t i = 0; i < 7; i++)
		cr_assert(json_is_number(json_object_get(l, lat[i])), "%s: latency_us.%s", what,
		          lat[i]);
	cr_assert_leq(json_integer_value(json_object_get(l, "min")),
	              json_integer_value(json_object_get(l, "p50")), "%s: min <= p50", what);
	cr_assert_leq(json_integer_value(json_object_get(l, "p50")),
	              json_integer_value(json_object_get(l, "p99")), "%s: p50 <= p99", what);
	cr_assert_leq(json_integer_value(json_object_get(l, "p999")),
	              json_integer_value(json_object_get(l, "max")), "%s: p99.9 <= max", what);
}

TestSuite(jobsbench, .init = start, .fini = stop, .timeout = 120);

Test(jobsbench, a_mix_reports_json_with_every_key_and_no_errors)
{
	struct run r = bench("--duration", "1s", "--warmup", "200ms", "--concurrency", "4",
	                     "--connections", "2", "--seed", "300", "--mix",
	                     "get=80,update=10,create=5,list=3,search=2", "--format", "json", NULL);
	json_t *o, *by;
	const char *kinds[] = {"get", "update", "create", "list", "search"};
	json_int_t sum = 0;

	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	o = json_of(&r);
	assert_stats(o, "top");
	cr_assert_gt(json_integer_value(json_object_get(o, "count")), 0);
	cr_assert_gt(json_real_value(json_object_get(o, "throughput_rps")), 0);
	cr_assert_eq(json_object_size(json_object_get(o, "errors")), 0, "errors: %s", r.out);
	cr_assert(json_is_object(json_object_get(o, "error_messages")));
	cr_assert_eq(json_object_size(json_object_get(o, "error_messages")), 0);
	cr_assert_null(json_object_get(o, "baseline"));
	by = json_object_get(o, "by_call");
	cr_assert_eq(json_object_size(by), 5);
	for (size_t i = 0; i < 5; i++) {
		json_t *k = json_object_get(by, kinds[i]);

		cr_assert_not_null(k, "by_call.%s", kinds[i]);
		assert_stats(k, kinds[i]);
		sum += json_integer_value(json_object_get(k, "count"));
	}
	cr_assert_eq(sum, json_integer_value(json_object_get(o, "count")),
	             "the calls by kind add up to the count");
	cr_assert_gt(json_integer_value(json_object_get(json_object_get(by, "get"), "count")),
	             json_integer_value(json_object_get(json_object_get(by, "list"), "count")),
	             "weights are followed");
	json_decref(o);
	run_free(&r);
}

Test(jobsbench, the_ack_log_names_every_acknowledged_write)
{
	char path[400], id[128], etag[32];
	jobs_client *c;
	jobs_call call = {.timeout_ms = 5000};
	struct run r;
	int creates = 0, updates = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/acks.txt", d.dir);
	r = bench("--requests", "200", "--warmup", "0", "--concurrency", "4", "--seed", "20",
	          "--mix", "create=1,update=1,get=1", "--ack-log", path, "--format", "json", NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	run_free(&r);

	cr_assert_eq(jobs_client_open(&c, d.url, NULL, &call), JOBS_OK, "%s", call.message);
	cr_assert_not_null(f = fopen(path, "r"));
	while (fscanf(f, "%127s %31s", id, etag) == 2) {
		jobs_job *job = NULL;

		cr_assert_eq(jobs_get_job(c, &call, id, &job), JOBS_OK, "%s: %s", id, call.message);
		cr_assert_geq(atoll(job->etag), atoll(etag), "%s: the write of etag %s is there",
		              id, etag);
		if (strncmp(id, "jobsbench-", 10) == 0)
			updates++;
		else
			creates++;
		jobs_job_free(job);
	}
	fclose(f);
	jobs_client_close(c);
	cr_assert_gt(creates, 20, "creates are logged");
	cr_assert_gt(updates, 20, "updates are logged");
	cr_assert_leq(creates + updates, 200);
}

/* A server list, with a blank after its comma, as libjobsclient takes it:
 * every call answered (the library spreads them; test_client checks how). */
Test(jobsbench, a_server_list_is_taken)
{
	struct jobsd d2;
	char list[1300];
	struct run r;
	json_t *o;

	cr_assert(jobsd_start(&d2, NULL, NULL));
	snprintf(list, sizeof list, "%s, %s", d.url, d2.url);
	r = run_tool(JOBSBENCH_PATH, list, NULL, "--requests", "400", "--warmup", "0",
	             "--concurrency", "4", "--mix", "health=1", "--format", "json", NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	o = json_of(&r);
	cr_assert_eq(json_integer_value(json_object_get(o, "count")), 400, "%s", r.out);
	cr_assert_eq(json_object_size(json_object_get(o, "errors")), 0, "%s", r.out);
	json_decref(o);
	run_free(&r);
	cr_assert_eq(jobsd_cleanup(&d2), 0);
}

/* jobsbench-ref, the floor jobsbench is compared with: its GetJobs find
 * the jobs jobsbench seeded, and it reports jobsd's CPU beside its own. */
Test(jobsbench, the_reference_client_gets_seeded_jobs)
{
	struct run r = bench("--requests", "10", "--seed", "40", "--mix", "get=1", NULL);
	json_t *o;

	cr_assert_eq(r.status, 0, "seeding: %s", r.err);
	run_free(&r);
	r = run_tool(JOBSBENCH_REF_PATH, NULL, NULL, "-c", "4", "-d", "0.5", "--warmup", "0.1",
	             "--get", "40", d.url, NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_string_value(json_object_get(o, "target")), "get", "%s", r.out);
	cr_assert_gt(json_integer_value(json_object_get(o, "calls")), 0, "%s", r.out);
	cr_assert_eq(json_integer_value(json_object_get(o, "errors")), 0, "%s", r.out);
	cr_assert_gt(json_real_value(json_object_get(o, "client_cpu_us_per_call")), 0, "%s", r.out);
	cr_assert_gt(json_real_value(json_object_get(o, "server_cpu_us_per_call")), 0,
	             "jobsd found from its socket: %s", r.out);
	json_decref(o);
	run_free(&r);
	/* A job that is not there is an error it counts, and its exit says so
	 * (it decodes one answer in 256, 9 in 10 of them misses here). */
	r = run_tool(JOBSBENCH_REF_PATH, NULL, NULL, "-c", "1", "-d", "1", "--warmup", "0", "--get",
	             "400", d.url, NULL);
	cr_assert_eq(r.status, 1, "jobs 40 to 399 do not exist: %s", r.out);
	run_free(&r);
}

Test(jobsbench, baseline_echo_gives_a_ratio)
{
	struct run r =
	    bench("--requests", "400", "--warmup", "100ms", "--concurrency", "2", "--seed", "50",
	          "--mix", "get=3,list=1", "--baseline", "echo", "--format", "json", NULL);
	json_t *o, *b;
	double ratio, want;

	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	o = json_of(&r);
	b = json_object_get(o, "baseline");
	cr_assert(json_is_object(b), "baseline: %s", r.out);
	assert_stats(b, "baseline");
	cr_assert_eq(json_integer_value(json_object_get(b, "count")), 400);
	cr_assert_eq(json_integer_value(json_object_get(o, "count")), 400);
	cr_assert_eq(json_object_size(json_object_get(b, "errors")), 0, "%s", r.out);
	cr_assert_str_eq(json_string_value(json_object_get(b, "target")), "echo");
	cr_assert_eq(strncmp(json_string_value(json_object_get(b, "server")), "ipc://", 6), 0,
	             "the echo server runs on the transport of --server");
	/* The sampled sizes: a list answer is far larger than a get request. */
	b = json_object_get(json_object_get(b, "by_call"), "list");
	cr_assert_gt(json_real_value(json_object_get(b, "response_bytes")),
	             json_real_value(json_object_get(b, "request_bytes")));
	ratio = json_real_value(json_object_get(o, "ratio"));
	want = json_real_value(json_object_get(o, "throughput_rps")) /
	       json_real_value(json_object_get(json_object_get(o, "baseline"), "throughput_rps"));
	cr_assert_gt(ratio, 0);
	cr_assert_float_eq(ratio, want, want * 1e-3);
	json_decref(o);
	run_free(&r);
}

Test(jobsbench, cpu_per_call_is_reported_for_both_sides)
{
	/* No --server-pid: jobsd is found from its socket. Two threads drive. */
	struct run r = bench("--requests", "300", "--warmup", "0", "--seed", "10", "--threads", "2",
	                     "--concurrency", "4", "--baseline", "echo", "--format", "json", NULL);
	json_t *o, *cpu, *b;

	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	o = json_of(&r);
	cr_assert_eq(json_integer_value(json_object_get(o, "count")), 300);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(o, "settings"), "threads")),
	             2);
	cpu = json_object_get(o, "cpu_us_per_call");
	cr_assert(json_is_object(cpu), "%s", r.out);
	cr_assert_gt(json_real_value(json_object_get(cpu, "client")), 0, "%s", r.out);
	cr_assert(json_is_real(json_object_get(cpu, "server")), "jobsd found from its socket: %s",
	          r.out);
	b = json_object_get(o, "baseline");
	cr_assert(json_is_real(json_object_get(json_object_get(b, "cpu_us_per_call"), "server")),
	          "the echo server's CPU: %s", r.out);
	json_decref(o);
	run_free(&r);
}

Test(jobsbench, open_loop_sends_the_requests_asked_for)
{
	struct run r = bench("--rps", "400", "--requests", "200", "--warmup", "0", "--seed", "20",
	                     "--format", "json", NULL);
	json_t *o;
	double elapsed;

	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	o = json_of(&r);
	cr_assert_eq(json_integer_value(json_object_get(o, "count")), 200);
	/* 200 calls at 400/s are due over half a second: not much faster. */
	elapsed = json_real_value(json_object_get(o, "elapsed_s"));
	cr_assert_geq(elapsed, 0.45, "elapsed %g", elapsed);
	json_decref(o);
	run_free(&r);
}

Test(jobsbench, csv_has_a_row_per_call_and_a_total)
{
	struct run r = bench("--requests", "100", "--warmup", "0", "--seed", "10", "--mix",
	                     "get=1,health=1", "--format", "csv", NULL);
	char *line, *save = NULL;
	int n = 0;

	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	for (line = strtok_r(r.out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), n++) {
		if (n == 0)
			cr_assert_eq(strncmp(line, "target,call,count,throughput_rps,errors,", 40),
			             0, "%s", line);
		else
			cr_assert_eq(strncmp(line, "jobsd,", 6), 0, "%s", line);
		if (n == 3)
			cr_assert_eq(strncmp(line, "jobsd,total,100,", 16), 0, "%s", line);
	}
	cr_assert_eq(n, 4, "header, get, health, total: %d lines", n);
	run_free(&r);
}

Test(jobsbench, human_output_names_what_was_measured)
{
	struct run r = bench("--requests", "50", "--warmup", "0", "--seed", "10", NULL);
	jobs_client *c;
	jobs_call call = {.timeout_ms = 5000};

	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.out, "jobsbench " JOBS_VERSION ", "), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "throughput"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "p99.9"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "histogram"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "errors      none"), "%s", r.out);
	cr_assert_eq(strstr(r.err, "\r"), NULL, "no progress line when stderr is not a terminal");
	run_free(&r);

	/* Two seeded jobs of ten gone: gets miss one time in five, and the
	 * errors say so, with what jobsd said the first time. */
	cr_assert_eq(jobs_client_open(&c, d.url, NULL, &call), JOBS_OK, "%s", call.message);
	cr_assert_eq(jobs_delete_job(c, &call, "jobsbench-0000003", NULL), JOBS_OK);
	cr_assert_eq(jobs_delete_job(c, &call, "jobsbench-0000005", NULL), JOBS_OK);
	jobs_client_close(c);
	r = bench("--requests", "200", "--warmup", "0", "--seed", "10", NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.out, "errors      NOT_FOUND "), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "first NOT_FOUND: no job with id 'jobsbench-000000"), "%s",
	                   r.out);
	run_free(&r);
}

/* ---- where it writes ------------------------------------------------------ */

/* The number of jobs in d's database. */
static long long
jobs_in(void)
{
	jobs_client *c;
	jobs_call call = {.timeout_ms = 5000};
	jobs_stats *st = NULL;
	long long n;

	cr_assert_eq(jobs_client_open(&c, d.url, NULL, &call), JOBS_OK, "%s", call.message);
	cr_assert_eq(jobs_get_stats(c, &call, NULL, &st), JOBS_OK, "%s", call.message);
	n = (long long)st->total_jobs;
	jobs_stats_free(st);
	jobs_client_close(c);
	return n;
}

Test(jobsbench, says_what_it_writes_and_writes_into_an_empty_database)
{
	struct run r = bench("--requests", "20", "--warmup", "0", "--seed", "30", "--mix",
	                     "get=1,update=1", "--format", "json", NULL);

	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.err, "writing to"), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "(0 jobs now)"), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "up to 30 seeded jobs (jobsbench-0000000 .. "
	                                 "jobsbench-0000029)"),
	                   "%s", r.err);
	cr_assert_not_null(strstr(r.err, "UpdateJob calls"), "%s", r.err);
	run_free(&r);
	cr_assert_eq(jobs_in(), 30);

	/* Over jobs seeded before, a run that only reads says nothing. */
	r = bench("--requests", "20", "--warmup", "0", "--seed", "30", "--mix", "get=1,list=1",
	          "--format", "json", NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_null(strstr(r.err, "writing"), "%s", r.err);
	run_free(&r);
	/* And one that writes into its own seeded database goes ahead. */
	r = bench("--requests", "20", "--warmup", "0", "--mix", "create=1", "--format", "json",
	          NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.err, "(30 jobs now): CreateJob calls (create)"), "%s", r.err);
	run_free(&r);
	cr_assert_eq(jobs_in(), 50);
}

Test(jobsbench, refuses_to_write_among_jobs_it_did_not_seed)
{
	jobs_client *c;
	jobs_call call = {.timeout_ms = 5000};
	jobs_job job = {.job_name = "Summer Sale",
	                .product = "Solar Lantern",
	                .fields = JOBS_FIELD_JOB_NAME | JOBS_FIELD_PRODUCT};
	struct run r;

	cr_assert_eq(jobs_client_open(&c, d.url, NULL, &call), JOBS_OK, "%s", call.message);
	cr_assert_eq(jobs_create_job(c, &call, &job, NULL), JOBS_OK, "%s", call.message);
	jobs_client_close(c);

	/* No --seed: the default mix would seed 1000 jobs. */
	r = bench("--requests", "20", "--warmup", "0", NULL);
	cr_assert_eq(r.status, 1, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.err, "holds 1 job that jobsbench did not seed"), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "up to 1000 seeded jobs"), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "--allow-writes"), "%s", r.err);
	cr_assert_eq(r.out[0], '\0', "no report: %s", r.out);
	run_free(&r);
	/* Creates alone are refused too, and an explicit --seed is no leave. */
	r = bench("--requests", "20", "--warmup", "0", "--mix", "create=1", NULL);
	cr_assert_eq(r.status, 1, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.err, "CreateJob calls (create)"), "%s", r.err);
	run_free(&r);
	r = bench("--requests", "20", "--warmup", "0", "--seed", "5", NULL);
	cr_assert_eq(r.status, 1, "stderr: %s", r.err);
	run_free(&r);
	cr_assert_eq(jobs_in(), 1, "nothing was written");

	/* Reading is always allowed. */
	r = bench("--requests", "30", "--warmup", "0", "--mix", "list=1,search=1,health=1",
	          "--format", "json", NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	run_free(&r);
	cr_assert_eq(jobs_in(), 1);

	/* Told to, it writes, and says so. */
	r = bench("--requests", "20", "--warmup", "0", "--seed", "5", "--allow-writes", "--format",
	          "json", NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.err, "writing to"), "%s", r.err);
	run_free(&r);
	cr_assert_eq(jobs_in(), 6);
}

/* ---- reports ---------------------------------------------------------------- */

/* The rows of a CSV document as Python's csv module reads them: an array of
 * objects, header -> field. */
static json_t *
csv_rows(const char *csv)
{
	const char *argv[] = {"/usr/bin/env", "python3", "-c",
	                      "import csv, json, sys; "
	                      "print(json.dumps(list(csv.DictReader(sys.stdin, strict=True))))",
	                      NULL};
	struct run r = run_cmd(argv, csv, NULL);
	json_t *rows;

	cr_assert_eq(r.status, 0, "python3's csv: %s", r.err);
	rows = json_of(&r);
	cr_assert(json_is_array(rows));
	run_free(&r);
	return rows;
}

Test(jobsbench, csv_rows_carry_the_settings_and_date)
{
	struct run r = bench("--requests", "100", "--warmup", "0", "--seed", "10", "--concurrency",
	                     "3", "--mix", "get=1,health=1", "--format", "csv", NULL);
	char before[11], after[11];
	json_t *rows, *row;
	size_t i;

	utc_day(before);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rows = csv_rows(r.out);
	utc_day(after);
	cr_assert_eq(json_array_size(rows), 3, "get, health, total: %s", r.out);
	json_array_foreach(rows, i, row)
	{
		const char *date = json_str(row, "date");

		cr_assert(strncmp(date, before, 10) == 0 || strncmp(date, after, 10) == 0, "%s",
		          date);
		cr_assert_eq(strlen(date), 20, "%s: YYYY-MM-DDTHH:MM:SSZ", date);
		cr_assert_str_eq(json_str(row, "version"), JOBS_VERSION);
		cr_assert_str_eq(json_str(row, "server"), d.url);
		cr_assert_str_eq(json_str(row, "loop"), "closed");
		cr_assert_str_eq(json_str(row, "concurrency"), "3");
		cr_assert_str_eq(json_str(row, "requests"), "100");
		cr_assert_str_eq(json_str(row, "mix"), "get=1,health=1", "a field with commas");
		cr_assert_str_eq(json_str(row, "seed"), "10");
	}
	cr_assert_str_eq(json_str(json_array_get(rows, 2), "call"), "total");
	cr_assert_str_eq(json_str(json_array_get(rows, 2), "count"), "100");
	json_decref(rows);
	run_free(&r);
}

/* The histogram rows of `call` in a csv-histogram report: their counts, and
 * the percent of the last. */
static size_t
hist_counts(json_t *rows, const char *call, long long *counts, size_t max, double *last_pct)
{
	size_t i, n = 0;
	json_t *row;

	json_array_foreach(rows, i, row)
	{
		if (strcmp(json_str(row, "call"), call) != 0 || n == max)
			continue;
		counts[n++] = atoll(json_str(row, "count"));
		*last_pct = atof(json_str(row, "percent"));
		cr_assert_gt(atoll(json_str(row, "le_us")), 0);
	}
	return n;
}

Test(jobsbench, the_histogram_prints_per_row_or_cumulative)
{
	struct run r = bench("--requests", "200", "--warmup", "0", "--seed", "10", "--mix",
	                     "get=1,health=1", "--format", "csv-histogram", NULL);
	long long counts[200], sum = 0;
	double last;
	json_t *rows;
	size_t n;

	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rows = csv_rows(r.out);
	n = hist_counts(rows, "total", counts, 200, &last);
	cr_assert_gt(n, 0, "%s", r.out);
	for (size_t i = 0; i < n; i++)
		sum += counts[i];
	cr_assert_eq(sum, 200, "the rows add up to the calls");
	cr_assert_str_eq(json_str(json_array_get(rows, 0), "cumulative"), "false");
	json_decref(rows);
	run_free(&r);

	r = bench("--requests", "200", "--warmup", "0", "--seed", "10", "--mix", "get=1,health=1",
	          "--format", "csv-histogram", "--cumulative", NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rows = csv_rows(r.out);
	for (int k = 0; k < 3; k++) {
		const char *call = (const char *[]){"get", "health", "total"}[k];

		n = hist_counts(rows, call, counts, 200, &last);
		cr_assert_gt(n, 0, "%s: %s", call, r.out);
		for (size_t i = 1; i < n; i++)
			cr_assert_geq(counts[i], counts[i - 1], "%s: cumulative counts never fall",
			              call);
		cr_assert_float_eq(last, 100.0, 1e-9, "%s: the last row holds every call", call);
	}
	cr_assert_eq(counts[n - 1], 200, "the total's last row");
	json_decref(rows);
	run_free(&r);

	r = bench("--requests", "50", "--warmup", "0", "--seed", "10", "--cumulative", NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.out, "up to (cumulative)"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "100.00%         50  #"), "the last row: %s", r.out);
	run_free(&r);
}

Test(jobsbench, output_writes_a_file_in_the_format_of_its_name)
{
	char path[400];
	struct run r;
	json_t *o;
	char *text;

	snprintf(path, sizeof path, "%s/report.json", d.dir);
	r = bench("--requests", "50", "--warmup", "0", "--seed", "10", "--output", path, NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_eq(r.out[0], '\0', "nothing on stdout: %s", r.out);
	run_free(&r);
	cr_assert_not_null(text = read_file(path, NULL));
	cr_assert_not_null(o = json_loads(text, 0, NULL), "%s", text);
	cr_assert_eq(json_integer_value(json_object_get(o, "count")), 50);
	json_decref(o);
	free(text);

	/* - is stdout. */
	r = bench("--requests", "50", "--warmup", "0", "--seed", "10", "-o", "-", "-f", "json",
	          NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	o = json_of(&r);
	cr_assert_eq(json_integer_value(json_object_get(o, "count")), 50);
	json_decref(o);
	run_free(&r);

	/* -f wins over the name. */
	snprintf(path, sizeof path, "%s/report.json", d.dir);
	r = bench("--requests", "50", "--warmup", "0", "--seed", "10", "-o", path, "-f", "csv",
	          NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	run_free(&r);
	cr_assert_not_null(text = read_file(path, NULL));
	cr_assert_eq(strncmp(text, "target,call,", 12), 0, "%s", text);
	free(text);
}

/* The id of seeded job i, as jobsbench names it, into buf[32]. */
static const char *
seed_name(char *buf, int i)
{
	snprintf(buf, 32, "jobsbench-%07d", i);
	return buf;
}

/* The value of attribute `name` of the element whose id is `id`, in html;
 * into buf, or NULL when there is none. */
static const char *
attr_of(const char *html, const char *id, const char *name, char *buf, size_t len)
{
	char key[128];
	const char *p, *tag, *end;

	snprintf(key, sizeof key, " id=\"%s\"", id);
	if ((p = strstr(html, key)) == NULL)
		return NULL;
	for (tag = p; tag > html && *tag != '<'; tag--)
		;
	end = strchr(p, '>');
	snprintf(key, sizeof key, " %s=\"", name);
	if ((p = strstr(tag, key)) == NULL || end == NULL || p > end)
		return NULL;
	p += strlen(key);
	snprintf(buf, len, "%.*s", (int)strcspn(p, "\""), p);
	return buf;
}

/*
 * Opens `page` in headless Chromium, as root may run it (no sandbox) and
 * without the network (none of its background fetches), with a profile of
 * its own under `dir`: its DOM after the page's script ran (stdout), its
 * log with the page's console messages (stderr), and a screenshot to `png`.
 */
static struct run
chromium(const char *dir, const char *page, const char *png)
{
	char profile[400], url[400], shot[400], home[400];
	const char *argv[] = {"/usr/bin/timeout",
	                      "100",
	                      CHROMIUM,
	                      "--headless",
	                      "--no-sandbox",
	                      "--disable-gpu",
	                      "--disable-quic",
	                      "--no-first-run",
	                      "--disable-background-networking",
	                      "--disable-component-update",
	                      "--disable-sync",
	                      profile,
	                      "--enable-logging=stderr",
	                      "--v=0",
	                      "--window-size=1200,3000",
	                      shot,
	                      "--dump-dom",
	                      url,
	                      NULL};
	const char *env[] = {home, NULL};

	cr_assert_eq(access(CHROMIUM, X_OK), 0,
	             CHROMIUM " is missing: tools/deps.sh test installs Debian's chromium");
	snprintf(profile, sizeof profile, "--user-data-dir=%s/chromium", dir);
	snprintf(url, sizeof url, "file://%s", page);
	snprintf(shot, sizeof shot, "--screenshot=%s", png);
	snprintf(home, sizeof home, "HOME=%s", dir);
	return run_cmd(argv, NULL, env);
}

/* Asserts that Chromium's log, where render() looks for them, shows what a
 * page logs to its console (its format could change with Chromium). */
static void
console_is_seen(const char *dir)
{
	char page[400], png[400];
	struct run r;
	FILE *f;

	snprintf(page, sizeof page, "%s/control.html", dir);
	snprintf(png, sizeof png, "%s/control.png", dir);
	cr_assert_not_null(f = fopen(page, "w"));
	fputs("<!DOCTYPE html><title>control</title><script>console.error('jobsbench-control')"
	      "</script>",
	      f);
	fclose(f);
	r = chromium(dir, page, png);
	cr_assert_eq(r.status, 0, "chromium: status %d: %s", r.status, r.err);
	cr_assert_not_null(strstr(r.err, ":CONSOLE"), "no console line: %s", r.err);
	cr_assert_not_null(strstr(r.err, "jobsbench-control"), "%s", r.err);
	run_free(&r);
}

/* Opens a report in Chromium (its screenshot to `png`) and asserts that
 * the page's script ran to its end and that nothing was logged to its
 * console. Returns the DOM the script left (free it). */
static char *
render(const char *dir, const char *page, const char *png)
{
	struct run r = chromium(dir, page, png);
	char *line, *save = NULL, *dom;

	cr_assert_eq(r.status, 0, "chromium: status %d: %s", r.status, r.err);
	for (line = strtok_r(r.err, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		cr_assert_null(strstr(line, ":CONSOLE"), "the page logged: %s", line);
	cr_assert_not_null(strstr(r.out, "data-rendered=\"yes\""), "the script finished: %.2000s",
	                   r.out);
	dom = r.out;
	r.out = NULL;
	run_free(&r);
	return dom;
}

Test(jobsbench, the_html_report_renders_in_chromium_with_data_in_every_chart, .timeout = 240)
{
	static const char *const charts[] = {"histogram", "percentiles", "throughput",
	                                     "latency-over-time", "errors"};
	char page[400], png[400], buf[64], id[32];
	jobs_client *c;
	jobs_call call = {.timeout_ms = 5000};
	struct run r;
	char *html, *dom;
	unsigned char head[24];
	FILE *f;

	/* 200 seeded jobs, then every other one of the first hundred deleted:
	 * gets find some (OK) and miss some (NOT_FOUND), so that every chart,
	 * errors included, has something to draw. */
	r = bench("--seed", "200", "--mix", "get=1", "--requests", "1", "--warmup", "0", NULL);
	cr_assert_eq(r.status, 0, "seeding: %s", r.err);
	run_free(&r);
	cr_assert_eq(jobs_client_open(&c, d.url, NULL, &call), JOBS_OK, "%s", call.message);
	for (int i = 1; i < 100; i += 2)
		cr_assert_eq(jobs_delete_job(c, &call, seed_name(id, i), NULL), JOBS_OK, "%s",
		             call.message);
	jobs_client_close(c);

	snprintf(page, sizeof page, "%s/report.html", d.dir);
	snprintf(png, sizeof png, "%s/report.png", d.dir);
	r = bench("--seed", "200", "--mix", "get=3,list=1,health=1", "--requests", "600",
	          "--warmup", "0", "--concurrency", "4", "--baseline", "echo", "--output", page,
	          NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	run_free(&r);

	/* One page, nothing from elsewhere: no src= or href= at all, and a
	 * policy that forbids any fetch. */
	cr_assert_not_null(html = read_file(page, NULL));
	cr_assert_eq(strncmp(html, "<!DOCTYPE html>", 15), 0);
	cr_assert_not_null(strstr(html, "content=\"default-src 'none';"));
	cr_assert_null(strstr(html, " src="));
	cr_assert_null(strstr(html, " href="));
	cr_assert_null(strstr(html, "@JOBSBENCH_DATA@"), "the data is in");
	free(html);

	console_is_seen(d.dir);
	dom = render(d.dir, page, png);
	for (size_t i = 0; i < sizeof charts / sizeof charts[0]; i++) {
		cr_assert_not_null(attr_of(dom, charts[i], "data-points", buf, sizeof buf),
		                   "%s: no data-points", charts[i]);
		cr_assert_gt(atoi(buf), 0, "%s: drew %s points", charts[i], buf);
	}
	cr_assert_not_null(strstr(dom, "NOT_FOUND"), "the errors by status");
	cr_assert_not_null(strstr(dom, "no job with id 'jobsbench-00000"), "and a message");
	cr_assert_not_null(strstr(dom, "<svg"), "the charts are SVG");
	cr_assert_not_null(strstr(dom, "echo baseline"));
	cr_assert_not_null(strstr(dom, "Share of the calls in each latency bucket"),
	                   "per bucket, without --cumulative");
	for (int i = 0; i < 3; i++)
		cr_assert_not_null(
		    strstr(dom, (const char *[]){">GetJob<", ">ListJobs<", ">Health<"}[i]),
		    "the table by call");
	free(dom);

	/* And it was painted: a PNG of the window's size. */
	cr_assert_not_null(f = fopen(png, "rb"), "no screenshot");
	cr_assert_eq(fread(head, 1, sizeof head, f), sizeof head);
	fclose(f);
	cr_assert_eq(memcmp(head, "\x89PNG\r\n\x1a\n", 8), 0);
	cr_assert_eq((head[16] << 24 | head[17] << 16 | head[18] << 8 | head[19]), 1200, "width");
}

Test(jobsbench, the_html_report_starts_cumulative_when_asked, .timeout = 240)
{
	char page[400], png[400], buf[64];
	struct run r;
	char *dom;

	snprintf(page, sizeof page, "%s/report.html", d.dir);
	snprintf(png, sizeof png, "%s/report.png", d.dir);
	r = bench("--seed", "20", "--requests", "100", "--warmup", "0", "--cumulative", "-o", page,
	          NULL);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	run_free(&r);
	dom = render(d.dir, page, png);
	cr_assert_not_null(strstr(dom, "answered within each latency (cumulative)"), "%.2000s",
	                   strstr(dom, "id=\"histogram\"") ? strstr(dom, "id=\"histogram\"") : dom);
	cr_assert_not_null(attr_of(dom, "histogram", "data-points", buf, sizeof buf));
	cr_assert_gt(atoi(buf), 0);
	cr_assert_not_null(attr_of(dom, "errors", "data-points", buf, sizeof buf));
	cr_assert_eq(atoi(buf), 0, "no errors to draw");
	cr_assert_not_null(strstr(dom, "No errors: every measured call was answered OK."));
	free(dom);
}

/* ---- usage errors: exit 2, one clear line, no jobsd needed ---------------- */

static void
assert_usage(const char *needle, const char *first, ...)
{
	const char *argv[32];
	va_list ap;
	int n = 0;
	struct run r;

	argv[n++] = JOBSBENCH_PATH;
	va_start(ap, first);
	for (const char *a = first; a != NULL && n < 31; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	r = run_cmd(argv, NULL, NULL);
	cr_assert_eq(r.status, 2, "%s: status %d, stderr: %s", first, r.status, r.err);
	cr_assert_not_null(strstr(r.err, needle), "%s: wanted '%s' in: %s", first, needle, r.err);
	cr_assert_eq(r.out[0], '\0', "nothing on stdout: %s", r.out);
	run_free(&r);
}

Test(jobsbench_usage, bad_flags_are_refused_with_a_reason)
{
	assert_usage("no kind of call 'fetch'", "--mix", "get=1,fetch=2", NULL);
	assert_usage("weight of get", "--mix", "get=-1", NULL);
	assert_usage("weights add up to 0", "--mix", "get=0", NULL);
	assert_usage("names get twice", "--mix", "get=1,get=2", NULL);
	assert_usage("ends with a comma", "--mix", "get=1,", NULL);
	assert_usage("--threads (3) cannot exceed", "--concurrency", "2", "--threads", "3", NULL);
	assert_usage("--rps needs a thread", "--threads", "0", "--rps", "100", NULL);
	assert_usage("cannot exceed --concurrency", "--concurrency", "2", "--connections", "3",
	             NULL);
	assert_usage("not both", "--duration", "1s", "--requests", "10", NULL);
	assert_usage("--duration wants", "--duration", "soon", NULL);
	assert_usage("--rps wants", "--rps", "-5", NULL);
	assert_usage("--seed must be at least 1", "--seed", "0", NULL);
	assert_usage("knows only 'echo'", "--baseline", "grpc", NULL);
	assert_usage("--format wants", "--format", "xml", NULL);
	assert_usage("--output /nonexistent/dir/r.html: cannot write in /nonexistent/dir",
	             "--output", "/nonexistent/dir/r.html", NULL);
	assert_usage("is a folder", "--output", "/tmp", NULL);
	assert_usage("tcp:// or ipc://", "--server", "ws://127.0.0.1:1/x", "--baseline", "echo",
	             NULL);
	assert_usage("unknown option", "--frobnicate", NULL);
}

Test(jobsbench_usage, version_needs_no_server)
{
	const char *argv[] = {JOBSBENCH_PATH, "--version", NULL};
	struct run r = run_cmd(argv, NULL, NULL);

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "jobsbench " JOBS_VERSION "\n");
	run_free(&r);
}

Test(jobsbench_usage, against_a_jobsd_that_needs_a_token, .timeout = 120)
{
	const char *dir = tmpdir_make();
	char saved[256], path[300];
	const char *extra[] = {"--token-file", path, NULL};
	struct run r;
	FILE *f;

	snprintf(saved, sizeof saved, "%s", dir);
	snprintf(path, sizeof path, "%s/token", saved);
	f = fopen(path, "w");
	fputs("s3cret-token\n", f);
	fclose(f);
	cr_assert(jobsd_start(&d, saved, extra));

	r = bench("--token-file", path, "--mix", "get=1", "--seed", "20", "--requests", "200",
	          "--concurrency", "2", "--warmup", "0s", "--format", "json", NULL);
	cr_assert_eq(r.status, 0, "with the token: %s", r.err);
	json_t *o = json_of(&r);
	cr_assert_eq(json_object_size(json_object_get(o, "errors")), 0, "%s", r.out);
	json_decref(o);
	run_free(&r);

	r = bench("--mix", "get=1", "--seed", "20", "--requests", "50", "--warmup", "0s",
	          "--format", "json", NULL);
	cr_assert_neq(r.status, 0, "without the token the seeding is refused");
	cr_assert_not_null(strstr(r.err, "UNAUTHENTICATED"), "%s", r.err);
	run_free(&r);

	r = bench("--token-file", "/nonexistent/token", "--mix", "get=1", "--requests", "10", NULL);
	cr_assert_neq(r.status, 0);
	cr_assert_not_null(strstr(r.err, "cannot read the token file"), "%s", r.err);
	run_free(&r);
	cr_assert_eq(jobsd_cleanup(&d), 0);
}

/* `jobsbench ... | head` once head has gone: the report has nowhere to go,
 * and jobsbench says nothing about it and exits 0, whatever the parent did
 * with SIGPIPE. */
Test(jobsbench, a_reader_that_went_away_is_not_a_failure)
{
	const char *formats[] = {"human", "json", "csv", "html"};

	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		for (int ignored = 0; ignored < 2; ignored++) {
			const char *argv[] = {JOBSBENCH_PATH, "--server", d.url,      "--requests",
			                      "50",           "--warmup", "0",        "--seed",
			                      "10",           "--format", formats[i], NULL};
			struct run r = run_reader_gone(argv, ignored);

			cr_assert_eq(r.status, 0, "--format %s, SIGPIPE %s: %d: %s", formats[i],
			             ignored ? "ignored" : "default", r.status, r.err);
			cr_assert_null(strstr(r.err, "failed"), "%s", r.err);
			cr_assert_null(strstr(r.err, "Broken pipe"), "%s", r.err);
			run_free(&r);
		}
	}
}
