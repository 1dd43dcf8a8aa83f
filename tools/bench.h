/*
 * bench.h: what the files of jobsbench share.
 *
 *   jobsbench.c     flags, the run (seed, calibrate, echo baseline, measure),
 *                   the driver threads and their slots, open-loop
 *                   scheduling, progress, CPU readings
 *   bench_calls.c   the call table (one entry per kind of call in a --mix),
 *                   the realistic job generator, wire sizes by encoding
 *   bench_report.c  the results as text for people, JSON or CSV
 *   bench_html.c    the results as one HTML page (the page itself is
 *                   report.html, built into the program)
 *   hist.c          the latency histogram
 *   timeline.c      the calls over the time of a measurement
 *   proc.c          CPU time of a process; which process serves a URL
 *   echo_server.c   jobsbench-echo, the raw nng baseline (its own binary)
 *   ref_client.c    jobsbench-ref, the leanest nng client (its own binary)
 */
#ifndef JOBS_BENCH_H
#define JOBS_BENCH_H

#include "hist.h"
#include "timeline.h"

#include "jobs/client.h"

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* Latencies are recorded in microseconds, 0 to an hour, to within 0.79 %. */
#define BENCH_HIST_PRECISION 8
#define BENCH_HIST_HIGHEST   (3600ull * 1000 * 1000)

/* Status codes counted: JOBS_OK .. JOBS_UNAUTHENTICATED, then "any other". */
#define BENCH_N_CODES 18

/* ---- the generator of calls -------------------------------------------- */

/* Per-slot state of the call generator. Zero it, then gen_init(). */
struct gen {
	uint64_t rng;    /* xorshift64* state, never 0 */
	uint64_t n_ids;  /* jobs seeded: ids seed_id(0 .. n_ids-1) exist */
	int timeout_ms;  /* per call */
	int list_depth;  /* pages followed since the first */
	char token[512]; /* of the next ListJobs page, "" for the first */
	char id[32];
	/* --ack-log, or NULL: each acknowledged create and update appends a
	 * line "ID ETAG" (stdio locks the stream; not owned). */
	FILE *acks;
	/* The request of the call in flight, kept until it is finished (for
	 * measuring its size): the job of a create or the changes of an
	 * update, and which search. */
	jobs_job job;
	size_t search;
	/* Text of the job being built (see gen_job). */
	char name[256], product[256], persona[512], setting[256], hook[16384];
	char brand[128], voice[32], settings[8192], extra[2048];
};

void gen_init(struct gen *g, uint64_t seed, uint64_t n_ids, int timeout_ms);
uint64_t gen_next(struct gen *g);

/* The id of seeded job i: "jobsbench-0000042". Writes into buf[32]. */
char *seed_id(char buf[32], uint64_t i);

/*
 * Fills *job with a realistic, varied job from g's random state: unicode in
 * names and text, hooks from a few words to several KiB, nested
 * enhanced_settings JSON, legacy extra keys. Its strings live in g until the
 * next gen_job. id NULL means the server picks one.
 */
void gen_job(struct gen *g, jobs_job *job, const char *id);

/* Bytes on the wire of one call: the encoded Request and Response. */
struct wire_size {
	size_t request, response;
};

/* What a call hands out: kept by its slot from the start of the call until
 * its kind's finish(). */
union bench_out {
	jobs_job *job;
	jobs_job_page *page;
	jobs_search_page *found;
	jobs_health_info *health;
};

/*
 * One kind of call in a --mix, made through libjobsclient's asynchronous
 * calls. start() starts one call of that kind with g's random state on c:
 * JOBS_OK (it will complete into `call` as call->done or call->queue says),
 * or the code it could not start with. finish() runs once the call
 * completed: it frees what the call handed out in *out, follows pages and
 * logs acknowledged writes; with `size`, it also encodes what went each way
 * and stores the sizes (for the echo baseline; not done while measuring, as
 * it costs time).
 */
struct call_kind {
	const char *name;    /* in --mix: "get" */
	const char *rpc;     /* the Jobs service method: "GetJob" */
	bool needs_ids;      /* picks among seeded jobs: --seed is needed */
	bool writes;         /* adds or changes jobs (see --allow-writes) */
	const char *missing; /* non-NULL: the client cannot make this call; why */
	int (*start)(struct gen *g, jobs_client *c, jobs_call *call, union bench_out *out);
	void (*finish)(struct gen *g, const jobs_call *call, union bench_out *out,
	               struct wire_size *size);
};

extern const struct call_kind call_kinds[];
extern const size_t n_call_kinds;
#define BENCH_MAX_KINDS 8

/* The index of the kind named `name` (of length len), or -1. */
int call_kind_find(const char *name, size_t len);

/*
 * Creates seeded jobs first .. first+n-1 (ids seed_id()) through
 * BatchCreateJobs, in calls as large as jobsd takes. A job that exists
 * already counts as done. Returns JOBS_OK or the first other code, with
 * `call` saying why.

 */
int seed_batch(struct gen *g, jobs_client *c, jobs_call *call, uint64_t first, uint64_t n);

/* ---- results ----------------------------------------------------------- */

/* What one target (jobsd or the echo server) did in one measurement. */
struct kind_result {
	hist *lat;                     /* latency of every call, ok or not, us */
	uint64_t codes[BENCH_N_CODES]; /* calls by status; codes[0] are the ok */
	/* The message of the first call answered with each status but OK (""
	 * when none was, or it came without one): what the errors were. */
	char example[BENCH_N_CODES][sizeof((jobs_call *)0)->message];
};

struct target_result {
	const char *target; /* "jobsd" or "echo" */
	char url[512];
	double elapsed_s; /* first intended send to last recorded answer */
	struct kind_result total;
	struct kind_result kinds[BENCH_MAX_KINDS]; /* by call_kinds index */
	struct timeline timeline;                  /* every call, from the end of the warm-up */
	/* From the calibration sample (--baseline): mean bytes per call. */
	double request_bytes[BENCH_MAX_KINDS], response_bytes[BENCH_MAX_KINDS];
	bool have_sizes;
	/* The server's VmRSS during measurement, KiB (0: none). */
	long rss_start_kb, rss_max_kb, rss_end_kb;
	/* CPU per call while measuring, microseconds: jobsbench's own, and the
	 * server's when its process is known (server_pid); -1 when not. */
	double client_cpu_us, server_cpu_us;
	long server_pid;
	bool interrupted; /* stopped early by SIGINT */
};

/* Allocates the histograms; false when out of memory. */
bool kind_result_init(struct kind_result *k);
void kind_result_fini(struct kind_result *k);
/* Adds src into dst (dst keeps its own example of a status when it has one). */
void kind_result_merge(struct kind_result *dst, const struct kind_result *src);
/* Counts a call with status `code` (0 .. BENCH_N_CODES-1) and latency lat_us;
 * `message` says why it failed. */
void kind_result_record(struct kind_result *k, int code, uint64_t lat_us, const char *message);
uint64_t kind_result_errors(const struct kind_result *k);

/* The whole run, as the report needs it. */
struct bench_report {
	const char *version; /* jobsbench's */
	time_t date;         /* when the run started */
	const char *server;
	bool open_loop;
	double rps; /* open loop only */
	int concurrency, connections;
	double duration_s; /* 0 when --requests */
	uint64_t requests; /* 0 when --duration */
	double warmup_s;
	int timeout_ms;
	int weights[BENCH_MAX_KINDS]; /* the mix, by call_kinds index */
	uint64_t seeded;              /* --seed */
	uint64_t seed_created;        /* of them, created by this run */
	double seed_s;                /* time spent seeding */
	struct target_result *jobsd;
	struct target_result *echo; /* NULL without --baseline */
	int threads;                /* driver threads */
	bool cumulative;            /* histograms count the calls up to each bound */
};

enum bench_format { FORMAT_HUMAN, FORMAT_JSON, FORMAT_CSV, FORMAT_CSV_HISTOGRAM, FORMAT_HTML };

/* Writes the report to out; returns 0, or -1 when writing failed. */
int report_write(const struct bench_report *r, enum bench_format f, FILE *out);

/* The report as the JSON format has it (bench_report.c); the caller owns the
 * reference. NULL when out of memory. */
json_t *report_json(const struct bench_report *r);

/* The HTML page of the report (bench_html.c), to out: report.html with
 * report_json() in it. Returns 0, or -1 when writing failed. */
int report_html(const struct bench_report *r, FILE *out);

/* A code's name for reports: jobs_code_name(), "OTHER" for the last slot. */
const char *bench_code_name(int i);

#endif
