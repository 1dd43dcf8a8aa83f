/*
 * store_backend.h: what an engine behind store.h provides, and the part of a
 * connection every engine shares. Included by store.c (the dispatcher) and
 * by the engines (store_sqlite*.c, store_pg*.c); nothing else sees it.
 *
 * An engine's connection struct starts with a `struct store`, whose `ops`
 * names the engine's functions; store.c calls through it. The optional
 * entries (marked so) may be NULL: store.c then answers the harmless value
 * store.h documents for engines without that capability.
 */
#ifndef JOBSD_STORE_BACKEND_H
#define JOBSD_STORE_BACKEND_H

#include "store.h"

struct store_ops {
	struct store_traits traits;

	void (*close)(store *st);
	int (*begin)(store *st);
	int (*commit)(store *st);
	void (*rollback)(store *st);
	int (*savepoint)(store *st);
	int (*release)(store *st);
	int (*rollback_to)(store *st);

	int (*job_get)(store *st, const char *id, arena *a, Jobs__V1__Job **out);
	int (*job_insert)(store *st, Jobs__V1__Job *job, arena *a);
	int (*job_replace)(store *st, const Jobs__V1__Job *was, Jobs__V1__Job *job, arena *a);
	int (*job_overwrite)(store *st, Jobs__V1__Job *job, arena *a);
	int (*job_delete)(store *st, const char *id, int64_t expected_version);

	int (*job_list)(store *st, const store_list *q, arena *a, store_page *out);
	int (*list_plan)(store *st, const store_list *q, char *out, size_t outlen);
	int (*job_search)(store *st, const store_search *q, arena *a, store_hits *out);
	int (*stats)(store *st, int top, int64_t day_from, int64_t day_to, arena *a,
	             Jobs__V1__GetStatsResponse *out);

	int (*backup)(store *st, const char *path, const atomic_bool *stop, int64_t *bytes,
	              int64_t *jobs, char *why, size_t whylen);
	int (*check)(store *st, arena *a, int max, char ***problems, size_t *n, int64_t *jobs,
	             int64_t *bytes);

	int (*request_get)(store *st, const char *request_id, arena *a, struct store_request *out);
	int (*request_put)(store *st, const char *request_id, const struct store_request *r,
	                   int64_t now_us);
	int (*request_prune)(store *st, int64_t before_us, int limit, int *n);

	int (*has_jobs)(store *st, bool *any);
	int (*meta_get)(store *st, const char *key, char *buf, size_t size);
	int (*meta_put)(store *st, const char *key, const char *value);

	/* Optional. */
	int64_t (*wal_pages)(const store *st);
	int64_t (*wal_appended)(const store *st);
	int (*wal_sync)(const store *st);
	int (*checkpoint)(store *st, int *left);
	int64_t (*fullscan_steps)(const store *st);
	int64_t (*sorts)(const store *st);
};

struct store {
	const struct store_ops *ops;
	int schema_version;
	bool sync_deferred;
	char errmsg[256]; /* store_errmsg() */
};

/* Records a message for store_errmsg(). Returns `code`. */
int store_failf(store *st, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The engines' openers (store_open() picks one by store_engine_of()). On
 * success *out is the engine's connection, its `struct store` filled. */
int store_sqlite_open(store **out, const char *path, const store_options *opt, char *err,
                      size_t errlen);
int store_sqlite_restore(const char *path, const char *from, int64_t *jobs, char *why,
                         size_t whylen);

#endif
