/*
 * metrics.h: what jobsd counts, and its Prometheus text (GET /metrics).
 *
 * The names are those Prometheus users know from go-grpc-prometheus
 * (grpc_server_started_total, grpc_server_handled_total,
 * grpc_server_handling_seconds), with a `transport` label ("nng" or "http")
 * so that a call counts under one method name however it arrived; then
 * jobsd's own (jobsd_*): calls in flight and refused, group commits, the
 * store, HTTP answers by status; the process (process_*) and the build.
 *
 * Counting is on every call's path, so it costs next to nothing: each thread
 * counts into a shard of its own (no shared cache line, no locked
 * instruction), and a scrape adds the shards up. A count therefore appears
 * in the scrape that follows the moment it was made, never lost, never
 * counted twice. The state is the process's: one registry per jobsd.
 */
#ifndef JOBSD_METRICS_H
#define JOBSD_METRICS_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* How a call arrived. */
enum metrics_transport {
	METRICS_NNG,  /* req/rep over nng (rpc.c) */
	METRICS_HTTP, /* the HTTP routes (http.c) */
	METRICS_N_TRANSPORTS,
};

/* Why a call was refused before it ran. */
enum metrics_refusal {
	METRICS_OVERLOAD, /* past --max-inflight: RESOURCE_EXHAUSTED, HTTP 503 */
	METRICS_DRAINING, /* shutting down: UNAVAILABLE */
	METRICS_N_REFUSALS,
};

/* Counting starts here (http_start(): the counts can be read at /metrics);
 * until then every count below is skipped, so that a jobsd without --http
 * pays nothing for them. */
void metrics_start(void);

/* A call of method number `method` (its index in dispatch_methods())
 * started; and ended with `code` after `us` microseconds. */
void metrics_call_started(enum metrics_transport t, size_t method);
void metrics_call_handled(enum metrics_transport t, size_t method, int code, int64_t us);

/* A request that named no call jobsd serves (malformed, unknown call),
 * answered with `code`. */
void metrics_call_rejected(enum metrics_transport t, int code);

void metrics_call_refused(enum metrics_transport t, enum metrics_refusal why);

/* The writer applied and committed a group of `n` calls in `us`. */
void metrics_group_commit(size_t n, int64_t us);

/* An fdatasync of the WAL that made committed groups durable took `us`
 * (deferred sync only: otherwise COMMIT syncs, within the group's time). */
void metrics_wal_sync(int64_t us);

/* An HTTP answer with this status was sent. */
void metrics_http_status(int status);

/* Values read at scrape time. */
struct metrics_gauges {
	const char *version;       /* jobsd_build_info */
	int schema;                /* its schema label */
	int64_t started_us;        /* process_start_time_seconds */
	int inflight;              /* calls in flight, both transports */
	int max_inflight;          /* the limit */
	bool store_up;             /* the store answered (then `store` holds its figures) */
	struct store_gauges store; /* -1: not known to this store */
};

/*
 * Writes the whole exposition (text format 0.0.4) to `f`: every counter and
 * histogram, the gauges given, and the process's own figures from /proc.
 * Returns 0, or -1 when `f` fails.
 */
int metrics_write(FILE *f, const struct metrics_gauges *g);

/* The Content-Type of metrics_write()'s text. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
