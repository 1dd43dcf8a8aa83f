/*
 * metrics.c: see metrics.h.
 *
 * SHARDS. A thread's first count allocates its shard and links it into the
 * list a scrape walks; shards are never freed (threads come and go with
 * nng's task queues, and their counts must stay). Only the owning thread
 * writes a shard, so a count is a relaxed load and store of its own cache
 * line, with no locked instruction; a scrape reads every shard with relaxed
 * loads, which see each count whole. A thread that cannot allocate a shard
 * counts into `spare`, shared, with atomic additions.
 *
 * HISTOGRAMS keep one count per bucket (not cumulative) and the sum in
 * microseconds; metrics_write() makes them cumulative, as the format wants.
 */
#include "metrics.h"
#include "dispatch.h"
#include "status.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define MAX_METHODS 16
#define N_CODES     17 /* OK .. UNAUTHENTICATED */

/* Seconds, in microseconds: from a GetJob's tens of microseconds to a
 * Backup's seconds. */
static const int64_t lat_le_us[] = {100,     250,     500,     1000,    2500,   5000,
                                    10000,   25000,   50000,   100000,  250000, 500000,
                                    1000000, 2500000, 5000000, 10000000};
#define N_LAT (sizeof lat_le_us / sizeof lat_le_us[0])

/* Calls per group commit: --max-batch is 256 by default. Fewer bounds than
 * lat_le_us: a struct histogram holds them. */
static const int64_t group_le[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
#define N_GROUP (sizeof group_le / sizeof group_le[0])

#define MIN_HTTP_STATUS 100
#define N_HTTP_STATUS   500 /* 100 .. 599 */

typedef _Atomic uint64_t counter;

struct histogram {
	counter bucket[N_LAT + 1]; /* the last: above every bound (+Inf) */
	counter sum_us;
};

struct shard {
	struct shard *next;
	bool shared; /* `spare`: written by many threads */
	counter started[METRICS_N_TRANSPORTS][MAX_METHODS];
	counter handled[METRICS_N_TRANSPORTS][MAX_METHODS][N_CODES];
	struct histogram handling[METRICS_N_TRANSPORTS][MAX_METHODS];
	counter rejected[METRICS_N_TRANSPORTS][N_CODES];
	counter refused[METRICS_N_TRANSPORTS][METRICS_N_REFUSALS];
	struct histogram group_size; /* its "sum_us": calls */
	struct histogram group_time;
	struct histogram wal_sync;
	counter http_status[N_HTTP_STATUS];
};

static atomic_bool counting; /* metrics_start(): someone can read the counts */
static pthread_mutex_t shards_mu = PTHREAD_MUTEX_INITIALIZER;
static struct shard *shards; /* under shards_mu; each shard's `next` is fixed once linked */
static struct shard spare = {.shared = true};
static __thread struct shard *mine;

static struct shard *
shard(void)
{
	struct shard *s = mine;

	if (s != NULL)
		return s;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return &spare; /* not remembered: try again next time */
	pthread_mutex_lock(&shards_mu);
	s->next = shards;
	shards = s;
	pthread_mutex_unlock(&shards_mu);
	return mine = s;
}

static inline void
add(const struct shard *s, counter *c, uint64_t n)
{
	if (s->shared)
		atomic_fetch_add_explicit(c, n, memory_order_relaxed);
	else
		atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
		                      memory_order_relaxed);
}

static inline uint64_t
get(counter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static void
observe(const struct shard *s, struct histogram *h, int64_t us)
{
	size_t i = 0;

	if (us < 0)
		us = 0; /* the wall clock stepped back */
	while (i < N_LAT && us > lat_le_us[i])
		i++;
	add(s, &h->bucket[i], 1);
	add(s, &h->sum_us, (uint64_t)us);
}

/* ---- counting ---------------------------------------------------------- */

void
metrics_start(void)
{
	atomic_store(&counting, true);
}

/* Whether to count: a relaxed load of a flag set once, before the calls
 * whose counts are read. */
#define COUNTING() atomic_load_explicit(&counting, memory_order_relaxed)

void
metrics_call_started(enum metrics_transport t, size_t method)
{
	struct shard *s;

	if (!COUNTING() || method >= MAX_METHODS)
		return;
	s = shard();
	add(s, &s->started[t][method], 1);
}

void
metrics_call_handled(enum metrics_transport t, size_t method, int code, int64_t us)
{
	struct shard *s;

	if (!COUNTING() || method >= MAX_METHODS)
		return;
	s = shard();
	add(s, &s->handled[t][method][code >= 0 && code < N_CODES ? code : ST(UNKNOWN)], 1);
	observe(s, &s->handling[t][method], us);
}

void
metrics_call_rejected(enum metrics_transport t, int code)
{
	struct shard *s;

	if (!COUNTING())
		return;
	s = shard();
	add(s, &s->rejected[t][code >= 0 && code < N_CODES ? code : ST(UNKNOWN)], 1);
}

void
metrics_call_refused(enum metrics_transport t, enum metrics_refusal why)
{
	struct shard *s;

	if (!COUNTING())
		return;
	s = shard();
	add(s, &s->refused[t][why], 1);
}

void
metrics_group_commit(size_t n, int64_t us)
{
	struct shard *s;
	size_t i = 0;

	if (!COUNTING())
		return;
	s = shard();
	while (i < N_GROUP && (int64_t)n > group_le[i])
		i++;
	add(s, &s->group_size.bucket[i], 1);
	add(s, &s->group_size.sum_us, n);
	observe(s, &s->group_time, us);
}

void
metrics_wal_sync(int64_t us)
{
	struct shard *s;

	if (!COUNTING())
		return;
	s = shard();
	observe(s, &s->wal_sync, us);
}

void
metrics_http_status(int status)
{
	struct shard *s;

	if (!COUNTING() || status < MIN_HTTP_STATUS || status >= MIN_HTTP_STATUS + N_HTTP_STATUS)
		return;
	s = shard();
	add(s, &s->http_status[status - MIN_HTTP_STATUS], 1);
}

/* ---- the scrape --------------------------------------------------------- */

/* The sum over every shard of the counter at `offset` in a shard. */
static uint64_t
total(size_t offset)
{
	uint64_t n = get((counter *)((char *)&spare + offset));

	pthread_mutex_lock(&shards_mu);
	for (struct shard *s = shards; s != NULL; s = s->next)
		n += get((counter *)((char *)s + offset));
	pthread_mutex_unlock(&shards_mu);
	return n;
}

#define TOTAL(member) total(offsetof(struct shard, member))

static const char *const transport_names[] = {"nng", "http"};

static void
header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * A histogram's samples: `offset` of its struct histogram in a shard,
 * `labels` (empty, or ending with a comma), `bounds` in units of 1/scale of
 * the value (1e6: microseconds shown as seconds). With `lazy`, a histogram
 * that has seen nothing is left out, as go-grpc-prometheus leaves out the
 * methods not called yet.
 */
static void
histogram(FILE *f, const char *name, const char *labels, size_t offset, const int64_t *bounds,
          size_t n_bounds, double scale, bool lazy)
{
	uint64_t counts[N_LAT + 1], cum = 0;
	int lablen = labels[0] != '\0' ? (int)strlen(labels) - 1 : 0; /* without the comma */

	for (size_t i = 0; i <= n_bounds; i++)
		cum += counts[i] =
		    total(offset + offsetof(struct histogram, bucket) + i * sizeof(counter));
	if (lazy && cum == 0)
		return;
	cum = 0;
	for (size_t i = 0; i < n_bounds; i++)
		fprintf(f, "%s_bucket{%sle=\"%g\"} %llu\n", name, labels, (double)bounds[i] / scale,
		        (unsigned long long)(cum += counts[i]));
	fprintf(f, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, labels,
	        (unsigned long long)(cum += counts[n_bounds]));
	fprintf(f, "%s_sum%s%.*s%s %.6f\n", name, lablen ? "{" : "", lablen, labels,
	        lablen ? "}" : "",
	        (double)total(offset + offsetof(struct histogram, sum_us)) / scale);
	fprintf(f, "%s_count%s%.*s%s %llu\n", name, lablen ? "{" : "", lablen, labels,
	        lablen ? "}" : "", (unsigned long long)cum);
}

static void
write_calls(FILE *f)
{
	size_t n_methods;
	const struct method *m = dispatch_methods(&n_methods);
	char labels[256];

	if (n_methods > MAX_METHODS)
		n_methods = MAX_METHODS;
	header(f, "grpc_server_started_total", "counter",
	       "Total number of RPCs started on the server.");
	for (int t = 0; t < METRICS_N_TRANSPORTS; t++)
		for (size_t i = 0; i < n_methods; i++)
			fprintf(f,
			        "grpc_server_started_total{grpc_method=\"%s\",grpc_service=\"%s\","
			        "grpc_type=\"unary\",transport=\"%s\"} %llu\n",
			        m[i].name, jobs__v1__jobs__descriptor.name, transport_names[t],
			        (unsigned long long)TOTAL(started[t][i]));
	header(f, "grpc_server_handled_total", "counter",
	       "Total number of RPCs completed on the server, regardless of success or failure.");
	for (int t = 0; t < METRICS_N_TRANSPORTS; t++)
		for (size_t i = 0; i < n_methods; i++)
			for (int code = 0; code < N_CODES; code++) {
				uint64_t n = TOTAL(handled[t][i][code]);

				/* OK always, so that a method's series exist from the start. */
				if (n == 0 && code != ST(OK))
					continue;
				fprintf(
				    f,
				    "grpc_server_handled_total{grpc_code=\"%s\",grpc_method=\"%s\","
				    "grpc_service=\"%s\",grpc_type=\"unary\",transport=\"%s\"} "
				    "%llu\n",
				    status_name(code), m[i].name, jobs__v1__jobs__descriptor.name,
				    transport_names[t], (unsigned long long)n);
			}
	header(f, "grpc_server_handling_seconds", "histogram",
	       "Histogram of response latency (seconds) of gRPC that had been application-level "
	       "handled by the server.");
	for (int t = 0; t < METRICS_N_TRANSPORTS; t++)
		for (size_t i = 0; i < n_methods; i++) {
			snprintf(labels, sizeof labels,
			         "grpc_method=\"%s\",grpc_service=\"%s\",grpc_type=\"unary\","
			         "transport=\"%s\",",
			         m[i].name, jobs__v1__jobs__descriptor.name, transport_names[t]);
			histogram(f, "grpc_server_handling_seconds", labels,
			          offsetof(struct shard, handling[t][i]), lat_le_us, N_LAT, 1e6,
			          true);
		}
	header(f, "jobsd_requests_rejected_total", "counter",
	       "Requests that named no call jobsd serves (malformed, unknown call), by the code "
	       "they were answered with.");
	for (int t = 0; t < METRICS_N_TRANSPORTS; t++)
		for (int code = 0; code < N_CODES; code++) {
			uint64_t n = TOTAL(rejected[t][code]);

			if (n > 0)
				fprintf(f,
				        "jobsd_requests_rejected_total{grpc_code=\"%s\",transport="
				        "\"%s\"} "
				        "%llu\n",
				        status_name(code), transport_names[t],
				        (unsigned long long)n);
		}
	header(f, "jobsd_calls_refused_total", "counter",
	       "Calls refused before they ran: overload (past --max-inflight) or draining.");
	for (int t = 0; t < METRICS_N_TRANSPORTS; t++)
		for (int r = 0; r < METRICS_N_REFUSALS; r++)
			fprintf(f,
			        "jobsd_calls_refused_total{reason=\"%s\",transport=\"%s\"} %llu\n",
			        r == METRICS_OVERLOAD ? "overload" : "draining", transport_names[t],
			        (unsigned long long)TOTAL(refused[t][r]));
}

static void
write_writes(FILE *f)
{
	header(f, "jobsd_group_commit_size", "histogram",
	       "Calls applied in one group commit (one transaction).");
	histogram(f, "jobsd_group_commit_size", "", offsetof(struct shard, group_size), group_le,
	          N_GROUP, 1, false);
	header(f, "jobsd_group_commit_seconds", "histogram",
	       "Time to apply and commit one group of writes.");
	histogram(f, "jobsd_group_commit_seconds", "", offsetof(struct shard, group_time),
	          lat_le_us, N_LAT, 1e6, false);
	header(f, "jobsd_wal_sync_seconds", "histogram",
	       "Time of one fdatasync of the WAL that made committed groups durable (--sync full "
	       "with --max-batch > 1; otherwise COMMIT syncs, within jobsd_group_commit_seconds).");
	histogram(f, "jobsd_wal_sync_seconds", "", offsetof(struct shard, wal_sync), lat_le_us,
	          N_LAT, 1e6, false);
}

static void
write_http(FILE *f)
{
	header(f, "jobsd_http_responses_total", "counter", "HTTP answers sent, by status code.");
	for (int i = 0; i < N_HTTP_STATUS; i++) {
		uint64_t n = TOTAL(http_status[i]);

		if (n > 0)
			fprintf(f, "jobsd_http_responses_total{code=\"%d\"} %llu\n",
			        MIN_HTTP_STATUS + i, (unsigned long long)n);
	}
}

static void
gauge(FILE *f, const char *name, const char *help, int64_t v)
{
	if (v < 0)
		return; /* not known here */
	header(f, name, "gauge", help);
	fprintf(f, "%s %lld\n", name, (long long)v);
}

static void
write_gauges(FILE *f, const struct metrics_gauges *g)
{
	gauge(f, "jobsd_calls_in_flight", "Calls being served now, both transports.", g->inflight);
	gauge(f, "jobsd_calls_in_flight_limit", "--max-inflight: more calls are refused.",
	      g->max_inflight);
	const struct store_gauges *s = &g->store;

	gauge(f, "jobsd_store_up", "1 when the store answered this scrape.", g->store_up ? 1 : 0);
	if (g->store_up) {
		gauge(f, "jobsd_jobs", "Jobs stored.", s->jobs);
		gauge(f, "jobsd_database_size_bytes",
		      "Size of the database: SQLite's file, PostgreSQL's pg_database_size().",
		      s->db_bytes);
		gauge(f, "jobsd_wal_size_bytes", "Size of the SQLite write-ahead log.",
		      s->wal_bytes);
		gauge(f, "jobsd_dedup_entries",
		      "Answers to writes remembered for retries (--dedup-window).", s->dedup);
	}
	header(f, "jobsd_build_info", "gauge", "The jobsd build: 1, with its version and schema.");
	fprintf(f, "jobsd_build_info{schema=\"%d\",version=\"%s\"} 1\n", g->schema, g->version);
}

/* ---- the process ---------------------------------------------------------- */

static void
write_process(FILE *f, const struct metrics_gauges *g)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long long vsize = 0, rss = 0;
	struct rlimit rl;
	struct rusage ru;
	FILE *statm;
	DIR *d;

	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		header(f, "process_cpu_seconds_total", "counter",
		       "Total user and system CPU time spent in seconds.");
		fprintf(f, "process_cpu_seconds_total %.6f\n",
		        (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		            (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	}
	if ((statm = fopen("/proc/self/statm", "r")) != NULL) {
		if (fscanf(statm, "%llu %llu", &vsize, &rss) == 2) {
			header(f, "process_virtual_memory_bytes", "gauge",
			       "Virtual memory size in bytes.");
			fprintf(f, "process_virtual_memory_bytes %llu\n",
			        vsize * (unsigned long)page);
			header(f, "process_resident_memory_bytes", "gauge",
			       "Resident memory size in bytes.");
			fprintf(f, "process_resident_memory_bytes %llu\n",
			        rss * (unsigned long)page);
		}
		fclose(statm);
	}
	if ((d = opendir("/proc/self/fd")) != NULL) {
		long n = 0;

		while (readdir(d) != NULL)
			n++;
		closedir(d);
		/* Less ".", ".." and the directory's own descriptor. */
		header(f, "process_open_fds", "gauge", "Number of open file descriptors.");
		fprintf(f, "process_open_fds %ld\n", n - 3);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		header(f, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
		fprintf(f, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
	}
	header(f, "process_start_time_seconds", "gauge",
	       "Start time of the process since unix epoch in seconds.");
	fprintf(f, "process_start_time_seconds %.6f\n", (double)g->started_us / 1e6);
}

int
metrics_write(FILE *f, const struct metrics_gauges *g)
{
	write_calls(f);
	write_writes(f);
	write_http(f);
	write_gauges(f, g);
	write_process(f, g);
	return ferror(f) ? -1 : 0;
}
