/*
 * jobsbench.c: the load harness of jobsd, what teams run before they put
 * jobsd on their hot path (ghz is the tool they know; the flags follow it).
 *
 *   jobsbench --server tcp://127.0.0.1:7460 --concurrency 16 --duration 10s \
 *       --mix get=80,update=10,create=5,list=3 --seed 100000 --baseline echo
 *
 * A run: connect (--connections clients, each one nng socket) -> seed
 * (--seed: jobs that gets and updates pick among) -> with --baseline echo,
 * measure a raw nng echo server of the same message sizes first -> measure
 * jobsd -> report (bench_report.c). Each measurement is a warm-up
 * (--warmup, not recorded) then --duration or --requests.
 *
 * THREADS. Load goes through libjobsclient's asynchronous calls:
 * --concurrency C slots, each one call in flight at a time; no thread waits
 * per call. Slot i uses connection i % K. By default (--threads 0, closed
 * loop) the completions drive: each call's completion callback records it
 * and starts the slot's next call, on the library's thread, as the leanest
 * nng client does (ref_client.c); the slots share one set of results under
 * a lock. With --threads T (and always in the open loop, which needs a
 * thread to keep time) the slots are shared out among T driver threads,
 * each starting calls on its idle slots and collecting completions from a
 * jobs_queue of its own, as a service built on an event loop would; that
 * hand-off wakes a thread per batch of completions, which costs about as
 * much CPU again as the call itself (tools/RESULTS.md, issue 18). Each
 * driver records into histograms of its own; they are merged after the
 * join. The main thread only ticks: progress, the server's memory, CPU
 * readings, SIGINT.
 *
 * CLOSED LOOP (default): a slot starts its next call as soon as its last
 * one completed; a call's latency is from its start to its completion.
 *
 * OPEN LOOP (--rps R): call i is due at start + i/R. Drivers take the next
 * due call from one shared counter and start it when it is due, on an idle
 * slot. When every slot is busy, due calls wait for a free slot, and that
 * wait is part of their latency, which is measured from when the call was
 * due, not from when it went out. This is the coordinated-omission
 * correction of wrk2: a server that stalls cannot hide the calls it kept
 * from being sent.
 *
 * CPU. The process's CPU time (getrusage) and the server's (/proc/PID/stat:
 * --server-pid, or the process listening at the URL when it is on this
 * machine) are read when measuring starts and when it ends, and reported
 * per call. When jobsbench used more CPU per call than the server, it says
 * so: on a machine with few cores the figures are then about jobsbench.
 *
 * ECHO BASELINE (--baseline echo). jobsbench first makes a sample of real
 * calls of the mix and encodes them to learn their request and response
 * sizes (bench_calls.c). It starts jobsbench-echo (echo_server.c) in a child
 * process on the same transport (tcp on the server's host, port chosen by
 * the kernel; or ipc), and drives it exactly as jobsd is driven: the same
 * drivers, slots, connections, loop, warm-up and length, through the same
 * library transport (client_start_raw: the same contexts, queue and
 * completion, without protobuf), with requests of the sampled request
 * sizes that ask for replies of the matching response sizes.
 * tools/ref_client.c (jobsbench-ref) is the leanest client of the same
 * echo server, the floor this is compared against (tools/README.md).
 */
#include "bench.h"
#include "cli.h" /* render_init: text for people is UTF-8 */
#include "proc.h"

#include "internal.h" /* client_start_raw, for the echo baseline */

#include <nng/nng.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SERVER     "tcp://127.0.0.1:7460"
#define DEFAULT_SEED       1000
#define SEED_BATCH         100 /* jobs a seeding thread takes at a time */
#define CALIBRATION_CALLS  64  /* per kind of call in the mix */
#define ECHO_MAX_RESPONSE  (64u << 20)
#define MAX_CONCURRENCY    4096
#define EXIT_FAILED        1
#define EXIT_USAGE         2
#define NS_PER_S           1000000000LL
#define DEFAULT_TIMEOUT_MS 5000

static const char usage_text[] =
    "Usage: jobsbench [OPTIONS]\n"
    "Load-tests jobsd through libjobsclient and reports throughput and latency.\n"
    "\n"
    "  -s, --server URL        jobsd to test (tcp://HOST:PORT, ipc:///PATH), or\n"
    "                          several: URL1,URL2,...; default $JOBS_SERVER,\n"
    "                          else " DEFAULT_SERVER "\n"
    "  -c, --concurrency C     calls in flight at once; default 16\n"
    "  -k, --connections K     sockets to spread them over, at most C; default 1\n"
    "  -t, --threads T         threads driving the calls through completion queues,\n"
    "                          at most C; 0: the completions start the next calls\n"
    "                          themselves (closed loop only); default 0 for the\n"
    "                          closed loop, 1 for the open loop\n"
    "  -d, --duration T        measure for T (10s, 500ms, 2m); default 10s\n"
    "  -n, --requests N        measure N calls instead of a duration\n"
    "      --warmup T          calls before measuring, not recorded; default 2s\n"
    "      --timeout MS        deadline of each call; default 5000\n"
    "  -m, --mix SPEC          kinds of call and their weights; default get=100.\n"
    "                          The kinds: get, update, create, list, search, health\n"
    "      --seed N            make sure jobs jobsbench-0000000.. exist, N of them,\n"
    "                          for gets and updates to pick among; default 1000\n"
    "                          when the mix needs them\n"
    "      --allow-writes      write (seed, create, update) even into a database\n"
    "                          that holds jobs jobsbench did not seed; without it\n"
    "                          jobsbench writes only into an empty database or\n"
    "                          one it seeded before\n"
    "  -r, --rps R             open loop: R calls a second, latency from when each\n"
    "                          was due (corrects coordinated omission); default:\n"
    "                          closed loop, each slot calls back to back\n"
    "      --baseline echo     also measure a raw nng echo server of the same\n"
    "                          message sizes, first, and report the ratio\n"
    "      --server-pid PID    the server's process, for its CPU per call and memory;\n"
    "                          default: the process listening at --server, when it\n"
    "                          is on this machine\n"
    "      --ack-log FILE      write \"ID ETAG\" to FILE for every acknowledged create\n"
    "                          and update, to check afterwards that none was lost\n"
    "      --token-file PATH   bearer token to send, for a jobsd with --token-file\n"
    "  -f, --format FMT        human, json, csv, csv-histogram or html (one page\n"
    "                          with charts, for a browser); default human, or\n"
    "                          from the name of --output (.json, .csv, .html)\n"
    "  -o, --output FILE       write the report to FILE (replaced once the run is\n"
    "                          over); default -, stdout\n"
    "      --cumulative        histograms count the calls up to each latency,\n"
    "                          not those between one row and the next\n"
    "  -h, --help              this text\n"
    "  -V, --version           jobsbench's version\n"
    "\n"
    "Exit status: 0 measured (whatever the calls answered), 1 could not run (or\n"
    "would have written into a database of other jobs), 2 usage.\n";

struct opts {
	const char *server;
	int concurrency, connections, threads;
	double duration_s;
	uint64_t requests;
	double warmup_s;
	int timeout_ms;
	const char *token_file;
	int weights[BENCH_MAX_KINDS];
	uint64_t seed;
	bool seed_given;
	double rps; /* 0: closed loop */
	enum bench_format format;
	const char *output; /* --output, or NULL for stdout */
	bool cumulative;
	bool allow_writes;
	bool baseline_echo;
	long server_pid;
	FILE *acks; /* --ack-log, opened by parse_flags, closed by main */
};

static atomic_bool interrupted;

static void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("jobsbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'jobsbench --help'.\n", stderr);
	exit(EXIT_USAGE);
}

static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	fputs("jobsbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* ---- flags ------------------------------------------------------------- */

static long long
parse_int(const char *flag, const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		usage_error("%s wants a whole number from %lld to %lld, not '%s'", flag, min, max,
		            s);
	return v;
}

/* "10s", "500ms", "2m", "1.5s", "10" (seconds) -> seconds. */
static double
parse_duration(const char *flag, const char *s, bool zero_ok)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno == 0 && end != s && v >= 0 && isfinite(v)) {
		if (strcmp(end, "ms") == 0)
			v /= 1000;
		else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
			v *= 60;
		else if (strcmp(end, "h") == 0)
			v *= 3600;
		else if (*end != '\0' && strcmp(end, "s") != 0)
			v = -1;
		if (v >= 0 && v <= 24 * 3600 && (zero_ok || v > 0))
			return v;
	}
	usage_error("%s wants a duration such as 10s, 500ms or 2m%s, not '%s'", flag,
	            zero_ok ? " (or 0)" : "", s);
}

/* "get=80,update=10,list" (a kind alone weighs 1) -> weights[]. */
static void
parse_mix(const char *spec, int weights[BENCH_MAX_KINDS])
{
	const char *p = spec;
	long total = 0;

	memset(weights, 0, sizeof(int) * BENCH_MAX_KINDS);
	if (*spec == '\0')
		usage_error("--mix is empty; give kinds of call, e.g. get=80,update=20");
	while (*p != '\0') {
		size_t len = strcspn(p, "=,");
		int k = call_kind_find(p, len), w = 1;

		if (k < 0) {
			char known[256] = "";

			for (size_t i = 0; i < n_call_kinds; i++)
				snprintf(known + strlen(known), sizeof known - strlen(known),
				         "%s%s", i ? ", " : "", call_kinds[i].name);
			usage_error("--mix: no kind of call '%.*s' (there are: %s)", (int)len, p,
			            known);
		}
		p += len;
		if (*p == '=') {
			char *end;
			long v;

			errno = 0;
			v = strtol(p + 1, &end, 10);
			if (errno != 0 || end == p + 1 || (*end != ',' && *end != '\0') || v < 0 ||
			    v > 1000000)
				usage_error(
				    "--mix: the weight of %s must be a whole number from 0 to "
				    "1000000",
				    call_kinds[k].name);
			w = (int)v;
			p = end;
		}
		if (weights[k] != 0)
			usage_error("--mix names %s twice", call_kinds[k].name);
		if (w > 0 && call_kinds[k].missing != NULL)
			usage_error("--mix: %s: %s", call_kinds[k].name, call_kinds[k].missing);
		weights[k] = w == 0 ? -1 : w; /* -1: named with weight 0 */
		total += w;
		if (*p == ',' && *++p == '\0')
			usage_error("--mix ends with a comma");
	}
	for (size_t i = 0; i < BENCH_MAX_KINDS; i++)
		if (weights[i] < 0)
			weights[i] = 0;
	if (total == 0)
		usage_error("--mix: the weights add up to 0");
}

enum {
	OPT_WARMUP = 256,
	OPT_TIMEOUT,
	OPT_TOKEN_FILE,
	OPT_SEED,
	OPT_BASELINE,
	OPT_SERVER_PID,
	OPT_ACK_LOG,
	OPT_ALLOW_WRITES,
	OPT_CUMULATIVE,
};

static const struct {
	const char *name, *ext; /* --format NAME; --output *EXT */
	enum bench_format format;
} formats[] = {
    {"human", ".txt", FORMAT_HUMAN}, {"json", ".json", FORMAT_JSON},
    {"csv", ".csv", FORMAT_CSV},     {"csv-histogram", NULL, FORMAT_CSV_HISTOGRAM},
    {"html", ".html", FORMAT_HTML},  {"html", ".htm", FORMAT_HTML},
};

/* The format named `name`, or -1. */
static int
format_named(const char *name)
{
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
		if (strcmp(formats[i].name, name) == 0)
			return (int)formats[i].format;
	return -1;
}

/* The format of an --output file by its name's ending: human unless it ends
 * in one of the formats' (any case). */
static enum bench_format
format_of_path(const char *path)
{
	size_t len = strlen(path);

	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		size_t n = formats[i].ext != NULL ? strlen(formats[i].ext) : 0;

		if (n > 0 && len > n && strcasecmp(path + len - n, formats[i].ext) == 0)
			return formats[i].format;
	}
	return FORMAT_HUMAN;
}

/* --output's folder must be there and writable before anything is measured:
 * the report is written only at the end. */
static void
check_output(const char *path)
{
	char dir[PATH_MAX];
	struct stat st;

	snprintf(dir, sizeof dir, "%s", path);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		usage_error("--output %s is a folder; name a file", path);
	if (access(dirname(dir), W_OK | X_OK) != 0)
		usage_error("--output %s: cannot write in %s: %s", path, dir, strerror(errno));
}

static void
parse_flags(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
	    {"server", required_argument, NULL, 's'},
	    {"concurrency", required_argument, NULL, 'c'},
	    {"connections", required_argument, NULL, 'k'},
	    {"threads", required_argument, NULL, 't'},
	    {"duration", required_argument, NULL, 'd'},
	    {"requests", required_argument, NULL, 'n'},
	    {"warmup", required_argument, NULL, OPT_WARMUP},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	    {"mix", required_argument, NULL, 'm'},
	    {"seed", required_argument, NULL, OPT_SEED},
	    {"rps", required_argument, NULL, 'r'},
	    {"baseline", required_argument, NULL, OPT_BASELINE},
	    {"server-pid", required_argument, NULL, OPT_SERVER_PID},
	    {"ack-log", required_argument, NULL, OPT_ACK_LOG},
	    {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},
	    {"cumulative", no_argument, NULL, OPT_CUMULATIVE},
	    {"allow-writes", no_argument, NULL, OPT_ALLOW_WRITES},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *env = getenv("JOBS_SERVER");
	bool have_duration = false, needs_ids = false, have_format = false, have_output = false;
	int ch;

	*o = (struct opts){
	    .server = env != NULL && *env != '\0' ? env : DEFAULT_SERVER,
	    .concurrency = 16,
	    .connections = 1,
	    .threads = -1, /* the loop's default, below */
	    .duration_s = 10,
	    .warmup_s = 2,
	    .timeout_ms = DEFAULT_TIMEOUT_MS,
	};
	parse_mix("get=100", o->weights);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":s:c:k:t:d:n:m:r:f:o:hV", longs, NULL)) != -1) {
		switch (ch) {
		case 's':
			o->server = optarg;
			break;
		case 'c':
			o->concurrency =
			    (int)parse_int("--concurrency", optarg, 1, MAX_CONCURRENCY);
			break;
		case 'k':
			o->connections =
			    (int)parse_int("--connections", optarg, 1, MAX_CONCURRENCY);
			break;
		case 't':
			o->threads = (int)parse_int("--threads", optarg, 0, MAX_CONCURRENCY);
			break;
		case 'd':
			o->duration_s = parse_duration("--duration", optarg, false);
			have_duration = true;
			break;
		case 'n':
			o->requests = (uint64_t)parse_int("--requests", optarg, 1, LLONG_MAX);
			break;
		case OPT_WARMUP:
			o->warmup_s = parse_duration("--warmup", optarg, true);
			break;
		case OPT_TIMEOUT:
			o->timeout_ms = (int)parse_int("--timeout", optarg, 1, 3600 * 1000);
			break;
		case OPT_TOKEN_FILE:
			o->token_file = optarg;
			break;
		case 'm':
			parse_mix(optarg, o->weights);
			break;
		case OPT_SEED:
			o->seed = (uint64_t)parse_int("--seed", optarg, 0, 9999999);
			o->seed_given = true;
			break;
		case 'r': {
			char *end;

			errno = 0;
			o->rps = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' || !(o->rps > 0) ||
			    o->rps > 1e8)
				usage_error("--rps wants a rate above 0 (calls a second), not '%s'",
				            optarg);
			break;
		}
		case OPT_BASELINE:
			if (strcmp(optarg, "echo") != 0)
				usage_error("--baseline knows only 'echo', not '%s'", optarg);
			o->baseline_echo = true;
			break;
		case OPT_SERVER_PID:
			o->server_pid = (long)parse_int("--server-pid", optarg, 1, INT_MAX);
			break;
		case OPT_ACK_LOG:
			if (o->acks != NULL)
				usage_error("--ack-log given twice");
			if ((o->acks = fopen(optarg, "w")) == NULL)
				usage_error("--ack-log: cannot write %s: %s", optarg,
				            strerror(errno));
			break;
		case 'f': {
			int f = format_named(optarg);

			if (f < 0)
				usage_error("--format wants human, json, csv, csv-histogram or "
				            "html, not '%s'",
				            optarg);
			o->format = (enum bench_format)f;
			have_format = true;
			break;
		}
		case 'o':
			if (have_output)
				usage_error("--output given twice");
			if (*optarg == '\0')
				usage_error("--output wants a file name, or - for stdout");
			have_output = true;
			o->output = strcmp(optarg, "-") == 0 ? NULL : optarg;
			break;
		case OPT_CUMULATIVE:
			o->cumulative = true;
			break;
		case OPT_ALLOW_WRITES:
			o->allow_writes = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case 'V':
			puts("jobsbench " JOBS_VERSION);
			exit(0);
		case ':':
			usage_error("%s needs a value", argv[optind - 1]);
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (o->output != NULL && !have_format)
		o->format = format_of_path(o->output);
	if (o->output != NULL)
		check_output(o->output);
	if (o->connections > o->concurrency)
		usage_error("--connections (%d) cannot exceed --concurrency (%d): a connection "
		            "without a call in flight measures nothing",
		            o->connections, o->concurrency);
	if (o->requests > 0 && have_duration)
		usage_error("give --duration or --requests, not both");
	if (o->threads < 0)
		o->threads = o->rps > 0 ? 1 : 0;
	if (o->threads == 0 && o->rps > 0)
		usage_error("--threads 0 (completions drive the calls) makes a closed loop; "
		            "--rps needs a thread to keep time");
	if (o->threads > o->concurrency)
		usage_error("--threads (%d) cannot exceed --concurrency (%d): a thread without a "
		            "call to drive measures nothing",
		            o->threads, o->concurrency);
	if (o->requests > 0)
		o->duration_s = 0;
	if (o->baseline_echo && strncmp(o->server, "tcp://", 6) != 0 &&
	    strncmp(o->server, "ipc://", 6) != 0)
		usage_error("--baseline echo runs on tcp:// or ipc:// servers, not %s", o->server);
	for (size_t i = 0; i < n_call_kinds; i++)
		needs_ids |= o->weights[i] > 0 && call_kinds[i].needs_ids;
	if (needs_ids && !o->seed_given)
		o->seed = DEFAULT_SEED;
	if (needs_ids && o->seed == 0)
		usage_error(
		    "--mix has calls that pick among seeded jobs (get, update): --seed must "
		    "be at least 1");
}

/* ---- a measurement ----------------------------------------------------- */

/* The sizes of sampled calls of one kind, for the echo baseline. */
struct samples {
	struct wire_size *v;
	size_t n;
};

struct run;
struct driver;

/* One call in flight at a time. Touched by its driver's thread only. */
struct slot {
	struct run *run;
	struct driver *drv;
	jobs_client *c;
	struct gen gen;
	jobs_call call; /* call.data is the slot */
	union bench_out out;
	int kind;
	bool busy, record;
	int64_t due; /* ns: its latency runs from here */
	/* echo: the request, and the size of the reply it asks for */
	uint8_t *echo_buf;
	size_t echo_cap, echo_want;
	nng_msg *reply;
};

/* A thread driving a share of the slots through one completion queue; or,
 * with --threads 0, the one set of results the completions record into. */
struct driver {
	struct run *run;
	pthread_t thread;
	bool started;
	jobs_queue *q;      /* NULL: --threads 0 */
	pthread_mutex_t mu; /* --threads 0: the results below */
	atomic_int active;  /* --threads 0: slots with calls still to make */
	int fd;             /* q's, to wait for it with a timeout finer than 1 ms; -1 */
	struct slot **idle;
	int n_idle, n_slots;
	/* open loop: a call taken from the counter and not started yet */
	bool have_next, next_record;
	int64_t next_due;
	struct kind_result kinds[BENCH_MAX_KINDS]; /* lat != NULL for kinds of the mix */
	struct timeline timeline;                  /* of the recorded calls */
	int64_t last_done_ns;                      /* of a recorded call; 0: none */
	/* Read by the main thread for progress. */
	atomic_uint_fast64_t calls, recorded, errors;
};

struct run {
	const struct opts *o;
	bool echo; /* the target is the echo server, not jobsd */
	jobs_client **clients;
	const struct samples *samples; /* echo: by kind */
	int cum[BENCH_MAX_KINDS];      /* cumulative weights */
	int total_weight;
	int64_t start_ns, t0_ns, t1_ns; /* warm-up from, measure from, measure until */
	uint64_t warm_tickets;          /* open loop with --requests */
	atomic_uint_fast64_t ticket;
	atomic_int running;
	struct slot *slots;
	struct driver *drivers;
	int n_drivers;    /* threads, or one set of results for --threads 0 */
	bool callbacks;   /* --threads 0: the completions drive the calls */
	const long *pids; /* the server's processes (n_pids), for CPU and memory */
	int n_pids;
};

static int
pick_kind(struct run *r, struct gen *g)
{
	int x = (int)(gen_next(g) % (uint64_t)r->total_weight);

	for (size_t k = 0; k < n_call_kinds; k++)
		if (x < r->cum[k])
			return (int)k;
	return (int)n_call_kinds - 1; /* not reached */
}

/*
 * Takes the next call of the run: false when the run is over. *due is when
 * the call counts as started (its latency runs from there: now in the
 * closed loop, its place in the schedule in the open loop); *record whether
 * it is measured (not warm-up).
 */
static bool
take_call(struct run *r, int64_t *due, bool *record)
{
	const struct opts *o = r->o;

	if (atomic_load_explicit(&interrupted, memory_order_relaxed))
		return false;
	if (o->rps == 0) {
		int64_t now = now_ns();

		*due = now;
		*record = now >= r->t0_ns;
		if (!*record)
			return true;
		if (o->requests > 0)
			return atomic_fetch_add(&r->ticket, 1) < o->requests;
		return now < r->t1_ns;
	} else {
		uint64_t i = atomic_fetch_add(&r->ticket, 1);

		*due = r->start_ns + (int64_t)((double)i * 1e9 / o->rps);
		if (o->requests > 0) {
			if (i >= r->warm_tickets + o->requests)
				return false;
			*record = i >= r->warm_tickets;
		} else {
			if (*due >= r->t1_ns)
				return false;
			*record = *due >= r->t0_ns;
		}
		return true;
	}
}

static void slot_done(jobs_call *call);

/* A call to the echo server down the library's transport: a request of a
 * sampled size asking for a reply of the matching size. */
static int
start_echo(struct slot *s)
{
	const struct samples *smp = &s->run->samples[s->kind];
	const struct wire_size *w = &smp->v[gen_next(&s->gen) % smp->n];
	size_t req = w->request < 4 ? 4 : w->request;

	if (req > s->echo_cap) {
		uint8_t *b = realloc(s->echo_buf, req);

		if (b == NULL)
			return JOBS_RESOURCE_EXHAUSTED;
		memset(b + s->echo_cap, 0, req - s->echo_cap);
		s->echo_buf = b;
		s->echo_cap = req;
	}
	s->echo_want = w->response;
	s->echo_buf[0] = (uint8_t)(w->response >> 24);
	s->echo_buf[1] = (uint8_t)(w->response >> 16);
	s->echo_buf[2] = (uint8_t)(w->response >> 8);
	s->echo_buf[3] = (uint8_t)w->response;
	return client_start_raw(s->c, &s->call, s->echo_buf, req, &s->reply);
}

/* The call on slot s is over (or never started): record it and free what
 * it handed out. */
static void
record(struct slot *s)
{
	struct driver *d = s->drv;
	int64_t done = now_ns();
	int code = s->call.code;

	if (s->run->echo) {
		if (code == JOBS_OK && nng_msg_len(s->reply) != s->echo_want)
			code = JOBS_INTERNAL;
		nng_msg_free(s->reply);
		s->reply = NULL;
	} else {
		call_kinds[s->kind].finish(&s->gen, &s->call, &s->out, NULL);
	}
	if (code < 0 || code >= BENCH_N_CODES)
		code = BENCH_N_CODES - 1;
	atomic_fetch_add_explicit(&d->calls, 1, memory_order_relaxed);
	if (s->record) {
		uint64_t lat_us = (uint64_t)(done - s->due) / 1000;

		kind_result_record(&d->kinds[s->kind], code, lat_us,
		                   code == JOBS_INTERNAL && s->call.code == JOBS_OK
		                       ? "the echo server's reply was not of the size asked for"
		                       : s->call.message);
		timeline_record(&d->timeline, done - s->run->t0_ns, lat_us, code != JOBS_OK);
		d->last_done_ns = done;
		atomic_fetch_add_explicit(&d->recorded, 1, memory_order_relaxed);
		if (code != JOBS_OK)
			atomic_fetch_add_explicit(&d->errors, 1, memory_order_relaxed);
	}
	s->busy = false;
}

/* A driver's call is over: recorded, and its slot idle. */
static void
complete(struct slot *s)
{
	record(s);
	s->drv->idle[s->drv->n_idle++] = s;
}

/* Starts the call taken (due, rec) on slot s, completing into d's queue,
 * or by callback when d has none. JOBS_OK, or the code it failed to start
 * with (in s->call.code: it will not complete). */
static int
start_on(struct slot *s, int64_t due, bool rec)
{
	struct run *r = s->run;
	int rv;

	s->kind = pick_kind(r, &s->gen);
	s->due = due;
	s->record = rec;
	s->busy = true;
	s->call = (jobs_call){.timeout_ms = r->o->timeout_ms, .data = s};
	if (s->drv->q != NULL)
		s->call.queue = s->drv->q;
	else
		s->call.done = slot_done;
	memset(&s->out, 0, sizeof s->out);
	rv = r->echo ? start_echo(s) : call_kinds[s->kind].start(&s->gen, s->c, &s->call, &s->out);
	if (rv != JOBS_OK)
		s->call.code = rv;
	return rv;
}

/* Starts the call taken (due, rec) on an idle slot of d's. */
static void
launch(struct driver *d, int64_t due, bool rec)
{
	struct slot *s = d->idle[--d->n_idle];

	if (start_on(s, due, rec) != JOBS_OK)
		complete(s);
}

/*
 * --threads 0: the completion is the driver. Records the call, then takes
 * the next and starts it on the same slot, on the library's thread, as the
 * leanest client does; a call that cannot start is recorded at once and
 * the next taken. The driver's results are shared by every slot: its lock.
 */
static void
slot_done(jobs_call *call)
{
	struct slot *s = call->data;
	struct driver *d = s->drv;
	int64_t due;
	bool rec;

	do {
		pthread_mutex_lock(&d->mu);
		record(s);
		pthread_mutex_unlock(&d->mu);
		if (!take_call(s->run, &due, &rec)) {
			if (atomic_fetch_sub(&d->active, 1) == 1)
				atomic_fetch_sub(&s->run->running, 1);
			return;
		}
	} while (start_on(s, due, rec) != JOBS_OK);
}

/* Collects the completions in d's queue, waiting up to wait_ns (negative:
 * 100 ms, to notice SIGINT) for the first one. */
static void
collect(struct driver *d, int64_t wait_ns)
{
	jobs_call *done;

	if (wait_ns < 0 || wait_ns > NS_PER_S / 10)
		wait_ns = NS_PER_S / 10;
	if (d->fd >= 0) {
		struct pollfd p = {d->fd, POLLIN, 0};
		struct timespec ts = {0, (long)wait_ns};

		if (wait_ns > 0)
			ppoll(&p, 1, &ts, NULL);
		done = jobs_queue_next(d->q, 0);
	} else {
		done = jobs_queue_next(d->q, (int)(wait_ns / 1000000));
	}
	for (; done != NULL; done = jobs_queue_next(d->q, 0))
		complete(done->data);
}

static void *
driver_main(void *arg)
{
	struct driver *d = arg;
	struct run *r = d->run;
	bool more = true, cancelled = false;

	for (;;) {
		while (more && d->n_idle > 0) {
			if (!d->have_next) {
				if (!take_call(r, &d->next_due, &d->next_record)) {
					more = false;
					break;
				}
				d->have_next = true;
			}
			if (d->next_due > now_ns())
				break; /* the open loop's next call is not due yet */
			d->have_next = false;
			launch(d, d->next_due, d->next_record);
		}
		if (!more && d->n_idle == d->n_slots)
			break;
		if (atomic_load_explicit(&interrupted, memory_order_relaxed) && !cancelled) {
			/* Stop now: what is in flight is not recorded. */
			more = false;
			cancelled = true;
			for (int i = 0; i < d->n_slots; i++) {
				struct slot *s = &r->slots[(size_t)i * (size_t)r->n_drivers +
				                           (size_t)(d - r->drivers)];
				if (s->busy) {
					s->record = false;
					jobs_cancel(&s->call);
				}
			}
		}
		collect(d, more && d->have_next && d->n_idle > 0 ? d->next_due - now_ns() : -1);
	}
	atomic_fetch_sub(&r->running, 1);
	return NULL;
}

/* VmRSS of process pid in KiB, 0 if it cannot be read. */
static long
rss_kb(long pid)
{
	char path[64], line[256];
	long kb = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static bool
progress_wanted(void)
{
	return isatty(STDERR_FILENO);
}

/* The servers' CPU time, microseconds; -1 if one cannot be read. */
static int64_t
servers_cpu_us(const struct run *r)
{
	int64_t sum = 0;

	for (int i = 0; i < r->n_pids; i++) {
		int64_t us = proc_cpu_us(r->pids[i]);

		if (us < 0)
			return -1;
		sum += us;
	}
	return r->n_pids > 0 ? sum : -1;
}

/*
 * Watches the drivers until they are all done: CPU readings when measuring
 * starts, progress once a second on a terminal, the server's memory every
 * 100 ms. *self0 and *server0 are the readings at the start of measuring.
 */
static void
watch(struct run *r, struct target_result *out, int64_t *self0, int64_t *server0)
{
	bool tty = progress_wanted(), measuring = false;
	uint64_t last_calls = 0;
	int64_t last_t = now_ns(), next_tick = last_t + NS_PER_S / 10;
	int ticks = 0;

	*self0 = self_cpu_us();
	*server0 = servers_cpu_us(r);
	while (atomic_load(&r->running) > 0) {
		int64_t now = now_ns(), until = next_tick;
		struct timespec ts;

		if (!measuring && r->t0_ns < until)
			until = r->t0_ns;
		if (until > now) {
			ts.tv_sec = (until - now) / NS_PER_S;
			ts.tv_nsec = (until - now) % NS_PER_S;
			nanosleep(&ts, NULL);
		}
		now = now_ns();
		if (!measuring && now >= r->t0_ns) {
			measuring = true;
			*self0 = self_cpu_us();
			*server0 = servers_cpu_us(r);
		}
		if (now < next_tick)
			continue;
		next_tick += NS_PER_S / 10;
		if (r->n_pids > 0 && now >= r->t0_ns) {
			long kb = rss_kb(r->pids[0]);

			if (kb > 0) {
				if (out->rss_start_kb == 0)
					out->rss_start_kb = kb;
				if (kb > out->rss_max_kb)
					out->rss_max_kb = kb;
				out->rss_end_kb = kb;
			}
		}
		if (!tty || ++ticks % 10 != 0)
			continue;
		uint64_t calls = 0, rec = 0, errs = 0;
		for (int i = 0; i < r->n_drivers; i++) {
			calls += atomic_load_explicit(&r->drivers[i].calls, memory_order_relaxed);
			rec += atomic_load_explicit(&r->drivers[i].recorded, memory_order_relaxed);
			errs += atomic_load_explicit(&r->drivers[i].errors, memory_order_relaxed);
		}
		fprintf(stderr,
		        "\r\033[K%s %-7s %6.1fs  %10.0f calls/s  %llu measured  %llu errors",
		        r->echo ? "echo " : "jobsd", now < r->t0_ns ? "warm-up" : "measure",
		        (double)(now - r->start_ns) / 1e9,
		        (double)(calls - last_calls) * 1e9 / (double)(now - last_t),
		        (unsigned long long)rec, (unsigned long long)errs);
		last_calls = calls;
		last_t = now;
	}
	if (tty && ticks >= 10)
		fputs("\r\033[K", stderr);
}

/* Frees a run's slots and drivers (the results stay in `out`). */
static void
run_free(struct run *r)
{
	for (int i = 0; r->slots != NULL && i < r->o->concurrency; i++) {
		free(r->slots[i].echo_buf);
		nng_msg_free(r->slots[i].reply);
	}
	for (int i = 0; r->drivers != NULL && i < r->n_drivers; i++) {
		struct driver *d = &r->drivers[i];

		for (size_t k = 0; k < n_call_kinds; k++)
			kind_result_fini(&d->kinds[k]);
		jobs_queue_close(d->q);
		pthread_mutex_destroy(&d->mu);
		free(d->idle);
	}
	free(r->slots);
	free(r->drivers);
	r->slots = NULL;
	r->drivers = NULL;
}

/*
 * Measures one target with the open clients (jobsd, or the echo server):
 * warm-up, then --duration or --requests. Fills *out, whose histograms it
 * allocates (kind_result_fini them). Returns 0, or -1 after saying why.
 */
static int
measure(struct run *r, struct target_result *out)
{
	const struct opts *o = r->o;
	int rv = -1, sum = 0, started = 0;
	int64_t self0, server0, self1, server1, last = 0;
	uint64_t recorded;

	for (size_t k = 0; k < n_call_kinds; k++) {
		sum += o->weights[k];
		r->cum[k] = sum;
	}
	r->total_weight = sum;
	r->slots = calloc((size_t)o->concurrency, sizeof *r->slots);
	r->callbacks = o->threads == 0;
	r->n_drivers = r->callbacks ? 1 : o->threads;
	r->drivers = calloc((size_t)r->n_drivers, sizeof *r->drivers);
	if (r->slots == NULL || r->drivers == NULL) {
		fail("out of memory");
		goto out;
	}
	for (int i = 0; i < r->n_drivers; i++) {
		struct driver *d = &r->drivers[i];

		d->run = r;
		d->fd = -1;
		pthread_mutex_init(&d->mu, NULL);
		timeline_init(&d->timeline);
		d->n_slots = o->concurrency / r->n_drivers + (i < o->concurrency % r->n_drivers);
		if ((d->idle = calloc((size_t)d->n_slots, sizeof *d->idle)) == NULL ||
		    (!r->callbacks && jobs_queue_open(&d->q) != JOBS_OK)) {
			fail("out of memory");
			goto out;
		}
		/* The open loop waits for due times finer than a millisecond. */
		if (o->rps > 0 && (d->fd = jobs_queue_fd(d->q)) < 0) {
			fail("cannot make a completion queue's fd: %s", strerror(errno));
			goto out;
		}
		for (size_t k = 0; k < n_call_kinds; k++)
			if (o->weights[k] > 0 && !kind_result_init(&d->kinds[k])) {
				fail("out of memory");
				goto out;
			}
	}
	for (int i = 0; i < o->concurrency; i++) {
		struct slot *s = &r->slots[i];
		struct driver *d = &r->drivers[i % r->n_drivers];

		s->run = r;
		s->drv = d;
		s->c = r->clients[i % o->connections];
		gen_init(&s->gen, 1000003u * (uint64_t)(i + 1) + (r->echo ? 7 : 0), o->seed,
		         o->timeout_ms);
		if (!r->echo)
			s->gen.acks = o->acks;
		d->idle[d->n_idle++] = s;
	}

	r->start_ns = now_ns();
	r->t0_ns = r->start_ns + (int64_t)(o->warmup_s * 1e9);
	r->t1_ns = o->requests > 0 ? INT64_MAX : r->t0_ns + (int64_t)(o->duration_s * 1e9);
	r->warm_tickets = (uint64_t)(o->warmup_s * o->rps);
	atomic_store(&r->ticket, 0);
	atomic_store(&r->running, r->n_drivers);
	if (r->callbacks) {
		/* Every slot's first call; the completions take it from there. */
		struct driver *d = &r->drivers[0];

		atomic_store(&d->active, o->concurrency + 1); /* +1: until all started */
		for (int i = 0; i < o->concurrency; i++) {
			struct slot *s = &r->slots[i];
			int64_t due;
			bool rec;

			for (;;) {
				if (!take_call(r, &due, &rec)) {
					atomic_fetch_sub(&d->active, 1);
					break;
				}
				if (start_on(s, due, rec) == JOBS_OK)
					break;
				pthread_mutex_lock(&d->mu);
				record(s);
				pthread_mutex_unlock(&d->mu);
			}
		}
		if (atomic_fetch_sub(&d->active, 1) == 1)
			atomic_fetch_sub(&r->running, 1);
		started = r->n_drivers;
	}
	for (; !r->callbacks && started < o->threads; started++) {
		if (pthread_create(&r->drivers[started].thread, NULL, driver_main,
		                   &r->drivers[started]) != 0) {
			fail("cannot start thread %d of %d", started + 1, o->threads);
			atomic_store(&interrupted, true);
			atomic_fetch_sub(&r->running, o->threads - started);
			break;
		}
	}
	watch(r, out, &self0, &server0);
	for (int i = 0; !r->callbacks && i < started; i++)
		pthread_join(r->drivers[i].thread, NULL);
	self1 = self_cpu_us();
	server1 = servers_cpu_us(r);
	if (started < r->n_drivers)
		goto out;

	for (size_t k = 0; k < n_call_kinds; k++)
		if (o->weights[k] > 0 && !kind_result_init(&out->kinds[k]))
			goto out;
	if (!kind_result_init(&out->total))
		goto out;
	timeline_init(&out->timeline);
	for (int i = 0; i < r->n_drivers; i++) {
		for (size_t k = 0; k < n_call_kinds; k++)
			if (o->weights[k] > 0)
				kind_result_merge(&out->kinds[k], &r->drivers[i].kinds[k]);
		timeline_merge(&out->timeline, &r->drivers[i].timeline);
		if (r->drivers[i].last_done_ns > last)
			last = r->drivers[i].last_done_ns;
	}
	for (size_t k = 0; k < n_call_kinds; k++)
		if (o->weights[k] > 0)
			kind_result_merge(&out->total, &out->kinds[k]);
	out->elapsed_s = last > r->t0_ns ? (double)(last - r->t0_ns) / 1e9 : 0;
	out->interrupted = atomic_load(&interrupted);
	recorded = hist_count(out->total.lat);
	out->client_cpu_us = recorded > 0 ? (double)(self1 - self0) / (double)recorded : -1;
	out->server_cpu_us = recorded > 0 && server0 >= 0 && server1 >= 0
	                         ? (double)(server1 - server0) / (double)recorded
	                         : -1;
	out->server_pid = r->n_pids > 0 ? r->pids[0] : 0;
	rv = 0;
out:
	run_free(r);
	return rv;
}

/* ---- jobsd: connect, seed, sample sizes ------------------------------- */

static int
open_clients(const struct opts *o, jobs_client ***out)
{
	/* No retries: a load test counts every failed call; the library reads
	 * and checks the token file. */
	jobs_client_options opts = {
	    .timeout_ms = o->timeout_ms, .max_attempts = 1, .auth_token_file = o->token_file};
	jobs_client **cs = calloc((size_t)o->connections, sizeof *cs);
	jobs_call call = {0};

	*out = cs;
	if (cs == NULL) {
		fail("out of memory");
		return -1;
	}
	for (int i = 0; i < o->connections; i++) {
		if (jobs_client_open(&cs[i], o->server, &opts, &call) != JOBS_OK) {
			fail("%s", call.message);
			return -1;
		}
	}
	return 0;
}

static void
close_clients(const struct opts *o, jobs_client **cs)
{
	for (int i = 0; cs != NULL && i < o->connections; i++)
		jobs_client_close(cs[i]);
	free(cs);
}

struct seeder {
	const struct opts *o;
	jobs_client *c;
	pthread_t thread;
	atomic_uint_fast64_t *next, *done;
	int code;
	jobs_call call;
	struct gen gen;
};

static void *
seeder_main(void *arg)
{
	struct seeder *s = arg;

	while (!atomic_load(&interrupted)) {
		uint64_t first = atomic_fetch_add(s->next, SEED_BATCH), n = SEED_BATCH;

		if (first >= s->o->seed)
			break;
		if (first + n > s->o->seed)
			n = s->o->seed - first;
		if ((s->code = seed_batch(&s->gen, s->c, &s->call, first, n)) != JOBS_OK)
			break;
		atomic_fetch_add(s->done, n);
	}
	return NULL;
}

/* Whether seeded job i exists. */
static bool
seeded_exists(jobs_client *c, const struct opts *o, uint64_t i)
{
	jobs_call call = {.timeout_ms = o->timeout_ms};
	char id[32];

	return jobs_get_job(c, &call, seed_id(id, i), NULL) == JOBS_OK;
}

/*
 * Before the first write: whether the seeded jobs must be made (*need_seed:
 * the first or the last of them is missing) and whether the mix writes. A
 * run that writes says so on stderr, what and where; and it stops (-1,
 * after saying why) when the database holds jobs but not seeded job 0 (so
 * jobsbench did not make them: they may be someone's real data), unless
 * --allow-writes. A run that writes nothing (gets, lists, searches and
 * health checks over jobs seeded before) says nothing and asks nothing.
 */
static int
plan_writes(const struct opts *o, jobs_client *c, bool *need_seed)
{
	jobs_call call = {.timeout_ms = o->timeout_ms};
	jobs_stats *st = NULL;
	char what[512] = "";
	long long total;
	bool first = seeded_exists(c, o, 0);

	*need_seed = o->seed > 0 && !(first && seeded_exists(c, o, o->seed - 1));
	if (*need_seed)
		snprintf(what, sizeof what, "up to %llu seeded jobs (jobsbench-0000000 .. %s)",
		         (unsigned long long)o->seed, seed_id((char[32]){0}, o->seed - 1));
	for (size_t k = 0; k < n_call_kinds; k++)
		if (o->weights[k] > 0 && call_kinds[k].writes)
			snprintf(what + strlen(what), sizeof what - strlen(what), "%s%s calls (%s)",
			         what[0] != '\0' ? ", " : "", call_kinds[k].rpc,
			         call_kinds[k].name);
	if (what[0] == '\0')
		return 0;
	if (jobs_get_stats(c, &call, NULL, &st) != JOBS_OK) {
		fail("%s: %s: %s", o->server, jobs_code_name(call.code), call.message);
		return -1;
	}
	total = (long long)st->total_jobs;
	jobs_stats_free(st);
	if (total > 0 && !first && !o->allow_writes) {
		fail("%s holds %lld job%s that jobsbench did not seed (there is no "
		     "jobsbench-0000000), and this run would write %s. Point --server at a jobsd "
		     "of test jobs, or pass --allow-writes to write there anyway",
		     o->server, total, total == 1 ? "" : "s", what);
		return -1;
	}
	fprintf(stderr, "jobsbench: writing to %s (%lld jobs now): %s; they stay after the run\n",
	        o->server, total, what);
	return 0;
}

/*
 * Makes seeded jobs 0 .. o->seed-1 when `need` (plan_writes: the first or
 * the last is missing): creates them all (those that exist answer
 * ALREADY_EXISTS, which counts as done) from up to 64 threads, at least
 * --concurrency. Returns 0 or -1.
 */
static int
seed(const struct opts *o, jobs_client **cs, struct bench_report *rep, bool need)
{
	int n = o->concurrency < 16 ? 16 : o->concurrency > 64 ? 64 : o->concurrency, rv = 0;
	atomic_uint_fast64_t next = 0, done = 0;
	struct seeder *ss;
	int64_t t = now_ns(), last_print = t;
	bool tty = progress_wanted();

	rep->seeded = o->seed;
	if (!need)
		return 0;
	if ((ss = calloc((size_t)n, sizeof *ss)) == NULL) {
		fail("out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		ss[i] = (struct seeder){
		    .o = o, .c = cs[i % o->connections], .next = &next, .done = &done};
		ss[i].call.timeout_ms = o->timeout_ms * 4; /* writes may wait for a commit */
		gen_init(&ss[i].gen, 1, 0, o->timeout_ms);
		if (pthread_create(&ss[i].thread, NULL, seeder_main, &ss[i]) != 0) {
			fail("cannot start a seeding thread");
			atomic_store(&interrupted, true);
			n = i;
			rv = -1;
			break;
		}
	}
	while (tty && atomic_load(&done) < o->seed && !atomic_load(&interrupted)) {
		struct timespec ts = {0, 200 * 1000 * 1000};
		bool dead = false;

		nanosleep(&ts, NULL);
		for (int i = 0; i < n; i++)
			dead |= ss[i].code != JOBS_OK;
		if (dead)
			break;
		if (now_ns() - last_print >= NS_PER_S) {
			last_print = now_ns();
			fprintf(stderr, "\r\033[Kseeding %llu / %llu jobs",
			        (unsigned long long)atomic_load(&done),
			        (unsigned long long)o->seed);
		}
	}
	for (int i = 0; i < n; i++) {
		pthread_join(ss[i].thread, NULL);
		if (ss[i].code != JOBS_OK && rv == 0) {
			fail("seeding failed: %s: %s", jobs_code_name(ss[i].code),
			     ss[i].call.message);
			rv = -1;
		}
	}
	if (tty)
		fputs("\r\033[K", stderr);
	if (rv == 0 && atomic_load(&interrupted)) {
		fail("interrupted while seeding");
		rv = -1;
	}
	rep->seed_created = atomic_load(&done);
	rep->seed_s = (double)(now_ns() - t) / 1e9;
	free(ss);
	return rv;
}

/*
 * Makes CALIBRATION_CALLS real calls of each kind in the mix, one at a
 * time, and keeps the wire sizes of those that succeeded, for the echo
 * baseline; their means go into the report. Returns 0 or -1.
 */
static int
calibrate(const struct opts *o, jobs_client *c, struct samples *smp, struct target_result *res)
{
	struct gen *g = calloc(1, sizeof *g);
	jobs_queue *q = NULL;
	int rv = -1;

	if (g == NULL || jobs_queue_open(&q) != JOBS_OK) {
		fail("out of memory");
		goto out;
	}
	gen_init(g, 424242, o->seed, o->timeout_ms);
	for (size_t k = 0; k < n_call_kinds; k++) {
		jobs_call call = {0};
		double req = 0, resp = 0;

		if (o->weights[k] == 0)
			continue;
		if ((smp[k].v = calloc(CALIBRATION_CALLS, sizeof *smp[k].v)) == NULL) {
			fail("out of memory");
			goto out;
		}
		for (int i = 0; i < CALIBRATION_CALLS; i++) {
			union bench_out out = {0};
			struct wire_size w;

			call = (jobs_call){.timeout_ms = o->timeout_ms, .queue = q};
			if (call_kinds[k].start(g, c, &call, &out) == JOBS_OK)
				jobs_queue_next(q, -1);
			call_kinds[k].finish(g, &call, &out, &w);
			if (call.code != JOBS_OK)
				continue;
			smp[k].v[smp[k].n++] = w;
			req += (double)w.request;
			resp += (double)w.response;
		}
		if (smp[k].n == 0) {
			fail("measuring message sizes: every %s failed: %s: %s", call_kinds[k].rpc,
			     jobs_code_name(call.code), call.message);
			goto out;
		}
		res->request_bytes[k] = req / (double)smp[k].n;
		res->response_bytes[k] = resp / (double)smp[k].n;
	}
	res->have_sizes = true;
	rv = 0;
out:
	jobs_queue_close(q);
	free(g);
	return rv;
}

/* ---- the echo server ----------------------------------------------------- */

struct echo {
	pid_t pid;
	char url[512];
	char ipc_path[400];
};

/* Where jobsbench-echo is: $JOBSBENCH_ECHO, else beside this program. */
static void
echo_program(char *buf, size_t len)
{
	const char *env = getenv("JOBSBENCH_ECHO");
	char self[PATH_MAX];
	ssize_t n;

	if (env != NULL && *env != '\0') {
		snprintf(buf, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = '\0';
	snprintf(buf, len, "%s/jobsbench-echo", n > 0 ? dirname(self) : ".");
}

/*
 * Starts jobsbench-echo on the transport of --server: tcp on the same host
 * with a port the kernel picks, or an ipc path of its own under $TMPDIR. It
 * prints the URL it listens on once it does. Returns 0 with e->url set, or
 * -1 after saying why.
 */
static int
echo_start(const struct opts *o, struct echo *e)
{
	char prog[PATH_MAX], listen[512], contexts[32], line[512] = "", first[512];
	int fds[2];
	size_t len = 0;

	memset(e, 0, sizeof *e);
	echo_program(prog, sizeof prog);
	/* The first server of a list: the echo server runs where it does. */
	snprintf(first, sizeof first, "%.*s", (int)strcspn(o->server, ", \t"), o->server);
	if (strncmp(first, "tcp://", 6) == 0) {
		const char *host = first + 6, *colon = strrchr(host, ':');

		snprintf(listen, sizeof listen, "tcp://%.*s:0",
		         (int)(colon != NULL ? colon - host : (ptrdiff_t)strlen(host)), host);
	} else {
		const char *tmp = getenv("TMPDIR");

		snprintf(e->ipc_path, sizeof e->ipc_path, "%s/jobsbench-echo-%ld.sock",
		         tmp != NULL && *tmp ? tmp : "/tmp", (long)getpid());
		snprintf(listen, sizeof listen, "ipc://%s", e->ipc_path);
	}
	/* As many contexts as jobsd has by default (128 + 32 spare), or more. */
	snprintf(contexts, sizeof contexts, "%d",
	         o->concurrency + 32 > 160 ? o->concurrency + 32 : 160);
	if (pipe(fds) != 0) {
		fail("pipe: %s", strerror(errno));
		return -1;
	}
	if ((e->pid = fork()) < 0) {
		fail("fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (e->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl(prog, prog, "--contexts", contexts, listen, (char *)NULL);
		fprintf(stderr, "jobsbench: cannot run %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	/* One line: the URL. */
	for (;;) {
		struct pollfd p = {fds[0], POLLIN, 0};
		ssize_t n;

		if (poll(&p, 1, 10000) <= 0)
			break;
		if ((n = read(fds[0], line + len, sizeof line - 1 - len)) <= 0)
			break;
		len += (size_t)n;
		line[len] = '\0';
		if (strchr(line, '\n') != NULL || len == sizeof line - 1)
			break;
	}
	close(fds[0]);
	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "tcp://", 6) != 0 && strncmp(line, "ipc://", 6) != 0) {
		fail("the echo server (%s) did not start", prog);
		kill(e->pid, SIGTERM);
		waitpid(e->pid, NULL, 0);
		e->pid = 0;
		return -1;
	}
	snprintf(e->url, sizeof e->url, "%s", line);
	return 0;
}

static void
echo_stop(struct echo *e)
{
	int status;

	if (e->pid <= 0)
		return;
	kill(e->pid, SIGTERM);
	while (waitpid(e->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail("warning: the echo server exited with status %d",
		     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	e->pid = 0;
	if (e->ipc_path[0] != '\0')
		unlink(e->ipc_path);
}

/* The echo side of a run: start the server, connect as to jobsd (the same
 * library, options and number of connections), measure, stop. */
static int
measure_echo(const struct opts *o, const struct samples *smp, struct target_result *res)
{
	jobs_client_options opts = {.timeout_ms = o->timeout_ms, .max_attempts = 1};
	struct echo e;
	long pid;
	struct run r = {.o = o, .echo = true, .samples = smp, .pids = &pid, .n_pids = 1};
	jobs_call call = {0};
	int rv = -1, n_open = 0;

	if (echo_start(o, &e) != 0)
		return -1;
	pid = e.pid;
	snprintf(res->url, sizeof res->url, "%s", e.url);
	if ((r.clients = calloc((size_t)o->connections, sizeof *r.clients)) == NULL) {
		fail("out of memory");
		goto out;
	}
	for (; n_open < o->connections; n_open++)
		if (jobs_client_open(&r.clients[n_open], e.url, &opts, &call) != JOBS_OK) {
			fail("the echo server: %s", call.message);
			goto out;
		}
	rv = measure(&r, res);
out:
	for (int i = 0; i < n_open; i++)
		jobs_client_close(r.clients[i]);
	free(r.clients);
	echo_stop(&e);
	return rv;
}

/* A warning on stderr when the client used more CPU per call than the
 * server: the figures are then about jobsbench more than about the server. */
static void
warn_cpu(const struct target_result *t)
{
	if (t->client_cpu_us > 0 && t->server_cpu_us > 0 && t->client_cpu_us > t->server_cpu_us)
		fprintf(stderr,
		        "jobsbench: warning: %s: jobsbench used more CPU per call (%.1f us) than "
		        "the server (%.1f us); with few cores the figures measure jobsbench too\n",
		        t->target, t->client_cpu_us, t->server_cpu_us);
}

/* The processes serving --server: --server-pid, else each URL's listener
 * on this machine. Returns how many (into pids[max]). */
static int
find_servers(const struct opts *o, long *pids, int max)
{
	char list[4096], *save = NULL;
	int n = 0;

	if (o->server_pid > 0) {
		pids[0] = o->server_pid;
		return 1;
	}
	snprintf(list, sizeof list, "%s", o->server);
	for (char *u = strtok_r(list, ", \t", &save); u != NULL && n < max;
	     u = strtok_r(NULL, ", \t", &save)) {
		long pid = proc_serving(u);

		if (pid > 0)
			pids[n++] = pid;
	}
	return n;
}

/* ---- main ---------------------------------------------------------------- */

/*
 * Writes the report to stdout, or to --output: into a new file beside it,
 * renamed over it once whole, so that a run that fails to write leaves what
 * was there before. Returns 0, or -1 after saying why.
 */
static int
write_report(const struct opts *o, const struct bench_report *rep)
{
	char tmp[PATH_MAX];
	FILE *f = NULL;
	int fd, rv = -1;

	if (o->output == NULL) {
		/* A reader that went away (`jobsbench ... | head`) took what it
		 * wanted: not a failure, and nothing to say. */
		if (report_write(rep, o->format, stdout) == 0 || errno == EPIPE)
			return 0;
		fail("writing the report to stdout failed: %s", strerror(errno));
		return -1;
	}
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", o->output, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)) >= 0 &&
	    (f = fdopen(fd, "w")) == NULL)
		close(fd);
	if (f != NULL) {
		rv = report_write(rep, o->format, f);
		if (fclose(f) != 0)
			rv = -1;
		if (rv == 0 && rename(tmp, o->output) != 0)
			rv = -1;
	}
	if (rv != 0) {
		fail("writing the report to %s failed: %s", o->output, strerror(errno));
		unlink(tmp);
	}
	return rv;
}

static void
on_sigint(int sig)
{
	(void)sig;
	atomic_store(&interrupted, true);
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct bench_report rep = {0};
	struct target_result jobsd = {.target = "jobsd"}, echo = {.target = "echo"};
	struct samples smp[BENCH_MAX_KINDS] = {{0}};
	jobs_client **cs = NULL;
	int status = EXIT_FAILED;
	bool need_seed = false;
	struct sigaction sa = {.sa_handler = on_sigint, .sa_flags = SA_RESETHAND};

	parse_flags(argc, argv, &o);
	render_init();
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rep = (struct bench_report){
	    .version = JOBS_VERSION,
	    .date = time(NULL),
	    .cumulative = o.cumulative,
	    .server = o.server,
	    .open_loop = o.rps > 0,
	    .rps = o.rps,
	    .concurrency = o.concurrency,
	    .connections = o.connections,
	    .duration_s = o.duration_s,
	    .requests = o.requests,
	    .warmup_s = o.warmup_s,
	    .timeout_ms = o.timeout_ms,
	    .jobsd = &jobsd,
	    .threads = o.threads,
	};
	memcpy(rep.weights, o.weights, sizeof rep.weights);
	snprintf(jobsd.url, sizeof jobsd.url, "%s", o.server);

	if (open_clients(&o, &cs) != 0 || plan_writes(&o, cs[0], &need_seed) != 0 ||
	    seed(&o, cs, &rep, need_seed) != 0)
		goto out;
	if (o.baseline_echo) {
		if (calibrate(&o, cs[0], smp, &jobsd) != 0)
			goto out;
		memcpy(echo.request_bytes, jobsd.request_bytes, sizeof echo.request_bytes);
		memcpy(echo.response_bytes, jobsd.response_bytes, sizeof echo.response_bytes);
		echo.have_sizes = true;
		if (measure_echo(&o, smp, &echo) != 0)
			goto out;
		rep.echo = &echo;
	}
	{
		long pids[16];
		struct run r = {.o = &o, .clients = cs, .pids = pids};

		r.n_pids = find_servers(&o, pids, 16);
		if (measure(&r, &jobsd) != 0)
			goto out;
	}
	if (rep.echo != NULL)
		warn_cpu(&echo);
	warn_cpu(&jobsd);
	status = write_report(&o, &rep) == 0 ? 0 : EXIT_FAILED;
out:
	close_clients(&o, cs);
	for (size_t k = 0; k < BENCH_MAX_KINDS; k++) {
		kind_result_fini(&jobsd.kinds[k]);
		kind_result_fini(&echo.kinds[k]);
		free(smp[k].v);
	}
	kind_result_fini(&jobsd.total);
	kind_result_fini(&echo.total);
	if (o.acks != NULL && (ferror(o.acks) | fclose(o.acks)) != 0) {
		fprintf(stderr, "jobsbench: --ack-log: writing failed: %s\n", strerror(errno));
		status = EXIT_FAILED;
	}
	return status;
}
