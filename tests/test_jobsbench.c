/*
 * test_jobsbench.c: jobsbench, the binary, for a second or so against a real
 * jobsd on an ipc:// socket: the shape of its JSON and CSV, a mix without
 * errors, the echo baseline (its own server process, on ipc too), the open
 * loop, and the usage errors, which need no jobsd.
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

	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.out, "throughput"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "p99.9"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "histogram"), "%s", r.out);
	cr_assert_eq(strstr(r.err, "\r"), NULL, "no progress line when stderr is not a terminal");
	run_free(&r);
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
	assert_usage("cannot exceed --concurrency", "--concurrency", "2", "--connections", "3",
	             NULL);
	assert_usage("not both", "--duration", "1s", "--requests", "10", NULL);
	assert_usage("--duration wants", "--duration", "soon", NULL);
	assert_usage("--rps wants", "--rps", "-5", NULL);
	assert_usage("--seed must be at least 1", "--seed", "0", NULL);
	assert_usage("knows only 'echo'", "--baseline", "grpc", NULL);
	assert_usage("--format wants", "--format", "xml", NULL);
	assert_usage("tcp:// or ipc://", "--server", "ws://127.0.0.1:1/x", "--baseline", "echo",
	             NULL);
	assert_usage("unknown option", "--frobnicate", NULL);
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
