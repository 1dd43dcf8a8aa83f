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

/* ---- a job's columns, the same in every engine ---------------------------- */

/* Columns of a job, in the order the engines read and bind them. */
#define STORE_JOB_COLUMNS                                                                          \
	"id, job_name, product, persona, setting, emotion, hook, elevenlabs_voice_id, language, "  \
	"brand_name, enabled, created_at, updated_at, version, enhanced_settings, extra"
enum {
	C_ID,
	C_JOB_NAME,
	C_PRODUCT,
	C_PERSONA,
	C_SETTING,
	C_EMOTION,
	C_HOOK,
	C_VOICE,
	C_LANGUAGE,
	C_BRAND,
	C_ENABLED,
	C_CREATED,
	C_UPDATED,
	C_VERSION,
	C_SETTINGS,
	C_EXTRA,
	N_COLUMNS
};

/* Where a job keeps each text column (0: not a text column). */
extern const size_t store_text_offset[N_COLUMNS];

/* Text column c of j (c must be one), and its address in j. */
static inline const char *
store_job_text(const Jobs__V1__Job *j, int c)
{
	return *(const char *const *)((const char *)j + store_text_offset[c]);
}
static inline char **
store_job_text_at(Jobs__V1__Job *j, int c)
{
	return (char **)((char *)j + store_text_offset[c]);
}

/* The columns an update may change, as the SQL names them; NULL for the
 * others (id, created_at, and updated_at and version, which change every
 * time). */
extern const char *const store_update_columns[N_COLUMNS];

/* Which of store_update_columns differ between was and now, a bit per
 * column (1u << C_...). */
unsigned store_changed_columns(const Jobs__V1__Job *was, const Jobs__V1__Job *now);

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
	void (*set_deadline)(store *st, int64_t deadline_us);
	void (*request_prefetch)(store *st, const char *const *request_ids, size_t n);
	int (*job_create)(store *st, Jobs__V1__Job *job, arena *a);
	int (*tidy)(store *st);
	int64_t (*wal_pages)(const store *st);
	int64_t (*wal_appended)(const store *st);
	int (*wal_sync)(const store *st);
	int (*checkpoint)(store *st, int *left);
	int64_t (*fullscan_steps)(const store *st);
	int64_t (*sorts)(const store *st);
	/* Fills what it knows of `out` (preset to -1s); the status of a
	 * database that cannot be read. */
	int (*gauges)(store *st, struct store_gauges *out);
	int (*is_standby)(store *st, bool *standby);
};

struct store {
	const struct store_ops *ops;
	int schema_version;
	bool sync_deferred;
	char errmsg[256]; /* store_errmsg() */
};

/* ---- finding, the same for every engine (store_find.c) ---------------------- */

/* SQL text being built by shape. Shapes are short; overflow is a bug, which
 * the engine reports as INTERNAL rather than running the text cut. */
struct store_sql {
	char text[4096];
	size_t n;
	bool overflow;
};
void store_sql_add(struct store_sql *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Room for `limit` jobs in out (zeroed). 0 or RESOURCE_EXHAUSTED. */
int store_page_init(store_page *out, int limit, arena *a);

/* Whether filter f (NULL: none) sets no condition. */
bool store_filter_is_empty(const Jobs__V1__JobFilter *f);

/* Prepares `out` for search q: its page, scores and snippets (from `a`).
 * Returns the search to run, `plain` (a copy of q without its filter) when
 * q's filter is empty, or NULL when out of memory. */
const store_search *store_hits_init(const store_search *q, store_search *plain, arena *a,
                                    store_hits *out);

/* A match of a word search: its seq and its rank (lower is better; the
 * score a result shows is -rank). */
struct store_ranked {
	int64_t seq;
	double rank;
};

/* What an engine gives store_search_words() for one word search. */
struct store_words {
	store *st;
	const store_search *q;
	const char *match; /* the engine's form of the query */
	/* The highest seq now (0 when there are no jobs). */
	int (*top)(const struct store_words *w, int64_t *top);
	/* The matches of the block that ends at `top`, in any order, into *rows
	 * (from the arena; at most STORE_SEARCH_BLOCK). With have_lo, the block
	 * is [*lo, top]. Without, it is entered now: the latest
	 * STORE_SEARCH_BLOCK matches at or below top, and *lo becomes the oldest
	 * one's seq, INT64_MIN when there were fewer (the last block). */
	int (*block)(const struct store_words *w, bool have_lo, int64_t *lo, int64_t top, arena *a,
	             struct store_ranked **rows, size_t *n);
	/* The seq of the newest match at or below top; INT64_MIN when none. */
	int (*newest)(const struct store_words *w, int64_t top, int64_t *seq);
	/* Appends the job with this seq, its score and (when asked) snippet to
	 * out; adds the bytes of its text to *bytes. */
	int (*add)(const struct store_words *w, int64_t seq, double score, arena *a,
	           store_hits *out, size_t *bytes);
};

/* A page of word search w->q, walking its blocks (store_find.c). */
int store_search_words(const struct store_words *w, arena *a, store_hits *out);

/* GetStats' created_per_day: every day of [day_from, day_to], dated, at 0. */
int store_stats_days(store *st, int64_t day_from, int64_t day_to, arena *a,
                     Jobs__V1__GetStatsResponse *out);

/* Records a message for store_errmsg(). Returns `code`. */
int store_failf(store *st, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The engines' openers (store_open() picks one by store_engine_of()). On
 * success *out is the engine's connection, its `struct store` filled. */
int store_sqlite_open(store **out, const char *path, const store_options *opt, char *err,
                      size_t errlen);
int store_sqlite_restore(const char *path, const char *from, int64_t *jobs, char *why,
                         size_t whylen);
int store_pg_open(store **out, const char *uri, const store_options *opt, char *err, size_t errlen);

#endif
