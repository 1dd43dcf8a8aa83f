/*
 * jobs/client.h: libjobsclient, the C client of jobsd. Its only public header.
 *
 *     jobs_client *c;
 *     jobs_call call = {0};
 *     jobs_job *job;
 *
 *     if (jobs_client_open(&c, "tcp://127.0.0.1:7460", NULL, &call) != JOBS_OK)
 *             errx(1, "%s", call.message);
 *     if (jobs_get_job(c, &call, "some-id", &job) == JOBS_OK) {
 *             printf("%s\n", job->job_name);
 *             jobs_job_free(job);
 *     } else if (call.code == JOBS_NOT_FOUND) { ... }
 *     jobs_client_close(c);
 *
 * Link with `pkg-config --cflags --libs jobsclient`.
 *
 * NAMES. Call Foo of the Jobs service is the function jobs_foo (CreateJob is
 * jobs_create_job); tests/test_contract.c holds the library to that.
 *
 * ERRORS. Every call returns a jobs_code (0 is JOBS_OK) and, when given a
 * jobs_call, leaves the same code and a message for people in it. The codes
 * are the gRPC canonical set, as on the wire (proto/jobs/v1/jobs.proto).
 * Transport failures map to them too: the server cannot be reached is
 * JOBS_UNAVAILABLE, no answer in time is JOBS_DEADLINE_EXCEEDED.
 *
 * THREADS. A jobs_client may be shared by any number of threads; calls on it
 * run concurrently, each on its own nng context. A jobs_call belongs to one
 * call at a time.
 *
 * OWNERSHIP. Arguments are borrowed for the duration of the call. Every
 * object a call hands out through an out-parameter belongs to the caller and
 * is released with the _free function named at that call; the _free
 * functions accept NULL. A jobs_job handed out by the library is a single
 * allocation: free it with jobs_job_free(), never its strings one by one.
 */
#ifndef JOBS_CLIENT_H
#define JOBS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define JOBS_API __attribute__((visibility("default")))
#else
#define JOBS_API
#endif

/* ---- status ------------------------------------------------------------ */

typedef enum jobs_code {
	JOBS_OK = 0,
	JOBS_CANCELLED = 1,
	JOBS_UNKNOWN = 2,
	JOBS_INVALID_ARGUMENT = 3,
	JOBS_DEADLINE_EXCEEDED = 4,
	JOBS_NOT_FOUND = 5,
	JOBS_ALREADY_EXISTS = 6,
	JOBS_PERMISSION_DENIED = 7,
	JOBS_RESOURCE_EXHAUSTED = 8,
	JOBS_FAILED_PRECONDITION = 9,
	JOBS_ABORTED = 10,
	JOBS_OUT_OF_RANGE = 11,
	JOBS_UNIMPLEMENTED = 12,
	JOBS_INTERNAL = 13,
	JOBS_UNAVAILABLE = 14,
	JOBS_DATA_LOSS = 15,
	JOBS_UNAUTHENTICATED = 16,
} jobs_code;

/* The code's name, "NOT_FOUND"; "UNKNOWN_CODE" for a number outside the set.
 * Static storage. */
JOBS_API const char *jobs_code_name(int code);

/*
 * Per-call options in, status out. Zero-initialise (jobs_call call = {0})
 * for the defaults. Every call function accepts NULL instead.
 */
typedef struct jobs_call {
	int timeout_ms;         /* in: per attempt; 0 = the client's default */
	const char *request_id; /* in: NULL = a fresh random id; reuse one to retry a call */
	int code;               /* out: as returned */
	char message[256];      /* out: why, for people; "" on JOBS_OK */
	int attempts;           /* out: how many times the request was sent */
} jobs_call;

/* ---- jobs -------------------------------------------------------------- */

/* Bits of jobs_job.fields: which fields a job given to create or update sets. */
enum jobs_field {
	JOBS_FIELD_ID = 1u << 0,
	JOBS_FIELD_JOB_NAME = 1u << 1,
	JOBS_FIELD_PRODUCT = 1u << 2,
	JOBS_FIELD_PERSONA = 1u << 3,
	JOBS_FIELD_SETTING = 1u << 4,
	JOBS_FIELD_EMOTION = 1u << 5,
	JOBS_FIELD_HOOK = 1u << 6,
	JOBS_FIELD_ELEVENLABS_VOICE_ID = 1u << 7,
	JOBS_FIELD_LANGUAGE = 1u << 8,
	JOBS_FIELD_BRAND_NAME = 1u << 9,
	JOBS_FIELD_ENABLED = 1u << 10,
	JOBS_FIELD_CREATED_AT = 1u << 11,
	JOBS_FIELD_UPDATED_AT = 1u << 12,
	JOBS_FIELD_ENHANCED_SETTINGS = 1u << 13,
	JOBS_FIELD_EXTRA = 1u << 14,
	JOBS_FIELD_ETAG = 1u << 15,
};

/*
 * A job. Field meanings are those of jobs.v1.Job (proto/jobs/v1/jobs.proto).
 *
 * Given to the library: strings may be NULL (unset). `fields` says which
 * fields to send; 0 means every field that is set: non-NULL, non-empty
 * strings, enabled when true, non-zero times. So to create a disabled job or
 * to clear a field, name it in `fields`.
 *
 * Handed out by the library: no string is NULL ("" when empty; for
 * enhanced_settings and extra, "" means the job has none), and `fields` has
 * every bit.
 */
typedef struct jobs_job {
	char *id;
	char *job_name;
	char *product;
	char *persona;
	char *setting;
	char *emotion;
	char *hook;
	char *elevenlabs_voice_id;
	char *language;
	char *brand_name;
	bool enabled;
	int64_t created_at;      /* microseconds since 1970-01-01T00:00:00Z */
	int64_t updated_at;      /* likewise */
	char *enhanced_settings; /* JSON text */
	char *extra;             /* JSON object text: legacy keys without a field */
	char *etag;              /* changes on every write; output only */
	uint32_t fields;         /* JOBS_FIELD_* bits */
} jobs_job;

JOBS_API void jobs_job_free(jobs_job *job);

/* ---- the client -------------------------------------------------------- */

typedef struct jobs_client jobs_client;

typedef struct jobs_client_options {
	int timeout_ms; /* per attempt of a call; 0: 5000 */
	/* Largest request to send; 0: 1 MiB, jobsd's default. Keep it at most
	 * the server's (jobs_health): a larger request is cut off by the server,
	 * and nng 1.5.2 can then hang in jobs_client_close() (in nng_close()). */
	size_t max_message_bytes;
	bool lazy_connect; /* open even if the server is not up yet */
	/*
	 * Retries: a call is sent again, with the same request_id, when an
	 * attempt fails with UNAVAILABLE (no connection, server restarting or
	 * draining), RESOURCE_EXHAUSTED from the server (overloaded) or times out,
	 * up to max_attempts times in all (0: 3; 1: never again), waiting an
	 * exponentially growing, jittered pause between attempts (25 ms, 50 ms,
	 * ... at most 1 s). Every call may be retried, writes too: jobsd answers
	 * a repeated request_id with its first answer instead of doing the work
	 * twice. A call thus takes at most max_attempts * timeout_ms plus pauses.
	 */
	int max_attempts;
	/* Bearer token for servers started with --token-file: the token itself,
	 * or a file holding it (trailing whitespace removed). NULL: none. */
	const char *auth_token;
	const char *auth_token_file;
	/* For tls+tcp:// URLs: the CA that signed the server's certificate
	 * (required), the name to check in that certificate (default: the URL's
	 * host), and a client certificate and key for servers that require one. */
	const char *tls_ca_file;
	const char *tls_server_name;
	const char *tls_cert_file;
	const char *tls_key_file;
} jobs_client_options;

/*
 * Connects to jobsd at `url` (tcp://HOST:PORT, ipc:///PATH). `opts` may be
 * NULL. Unless opts->lazy_connect, fails with JOBS_UNAVAILABLE when nothing
 * answers at `url`; either way the client reconnects by itself later. On
 * success *out is the client, to be closed with jobs_client_close(); on
 * failure *out is NULL.
 */
JOBS_API int jobs_client_open(jobs_client **out, const char *url, const jobs_client_options *opts,
                              jobs_call *call);

/* Closes the connection and frees the client. Calls in flight on other
 * threads must have returned. NULL is a no-op. */
JOBS_API void jobs_client_close(jobs_client *c);

/* ---- the calls: one function per call of the Jobs service --------------- */

/*
 * Creates a job from the fields of `job` that job->fields names (see
 * jobs_job). The server fills the rest: a UUID id, the timestamps, language
 * "English", enabled true. On JOBS_OK and out != NULL, *out is the job as
 * stored (free with jobs_job_free). JOBS_ALREADY_EXISTS if the id is taken.
 */
JOBS_API int jobs_create_job(jobs_client *c, jobs_call *call, const jobs_job *job, jobs_job **out);

/* Reads one job. *out as for jobs_create_job. JOBS_NOT_FOUND if none. */
JOBS_API int jobs_get_job(jobs_client *c, jobs_call *call, const char *id, jobs_job **out);

/*
 * Changes the fields that changes->fields names (0: those it sets) of the job
 * whose id is changes->id. With expected_etag (non-NULL, non-empty), changes
 * nothing and answers JOBS_ABORTED unless the stored etag is that one.
 * *out (if out != NULL) is the whole job afterwards; free with jobs_job_free.
 */
JOBS_API int jobs_update_job(jobs_client *c, jobs_call *call, const jobs_job *changes,
                             const char *expected_etag, jobs_job **out);

/* Deletes a job; expected_etag as for jobs_update_job. JOBS_NOT_FOUND if none. */
JOBS_API int jobs_delete_job(jobs_client *c, jobs_call *call, const char *id,
                             const char *expected_etag);

/* Which jobs a listing or search covers: every field that is set narrows
 * it. Zero-initialised: every job. Strings: NULL or "" for no filter, else an
 * exact match. Times: microseconds since the epoch, 0 for no bound; the
 * ranges are half-open, [after, before). */
typedef enum jobs_enabled_filter {
	JOBS_ENABLED_ANY = 0,
	JOBS_ENABLED_ONLY = 1,
	JOBS_DISABLED_ONLY = 2,
} jobs_enabled_filter;

typedef struct jobs_filter {
	jobs_enabled_filter enabled;
	const char *product;
	const char *persona;
	const char *language;
	const char *brand_name;
	int64_t created_after, created_before;
	int64_t updated_after, updated_before;
} jobs_filter;

/* The key of a listing; the job id breaks ties. */
typedef enum jobs_order {
	JOBS_ORDER_CREATED_AT = 0, /* the default */
	JOBS_ORDER_UPDATED_AT = 1,
	JOBS_ORDER_JOB_NAME = 2, /* by the bytes of the UTF-8: "Z" before "a" */
} jobs_order;

typedef enum jobs_direction {
	JOBS_DIRECTION_DEFAULT = 0, /* newest first for the times, A to Z for job_name */
	JOBS_ASCENDING = 1,
	JOBS_DESCENDING = 2,
} jobs_direction;

typedef enum jobs_view {
	JOBS_VIEW_FULL = 0,
	/* id, job_name, product, enabled and created_at only; the jobs handed
	 * out have only those bits in their `fields`, and "" or 0 elsewhere. */
	JOBS_VIEW_SUMMARY = 1,
} jobs_view;

/* What to list; zero-initialise for the first page of 50, newest first. */
typedef struct jobs_list_query {
	int page_size;          /* 0: 50; more than 1000 is taken as 1000 */
	const char *page_token; /* NULL or "": the first page */
	jobs_filter filter;
	jobs_order order_by;
	jobs_direction direction;
	jobs_view view;
} jobs_list_query;

/* One page of jobs. */
typedef struct jobs_job_page {
	jobs_job **jobs; /* n_jobs jobs */
	size_t n_jobs;
	char *next_page_token; /* "" on the last page */
} jobs_job_page;

/* Frees the page, its jobs and its token. */
JOBS_API void jobs_job_page_free(jobs_job_page *page);

/* Lists the jobs that pass q->filter in q's order. On JOBS_OK *out is a
 * page (jobs_job_page_free). A page can hold fewer jobs than asked even when
 * more follow: only an empty next_page_token ends the listing. Pass the
 * token back with the same filter, order and view (else
 * JOBS_INVALID_ARGUMENT): jobs created or deleted between pages are neither
 * skipped nor repeated among the rest. */
JOBS_API int jobs_list_jobs(jobs_client *c, jobs_call *call, const jobs_list_query *q,
                            jobs_job_page **out);

typedef enum jobs_search_mode {
	/* Words, any case or accents: `solar lantern` (both words), `"solar
	 * lantern"` (the phrase), `lant*` (a prefix). Anything else is text.
	 * Ranked by relevance (bm25; a name match outranks a hook match). */
	JOBS_SEARCH_WORDS = 0,
	/* The text as a substring of 3 or more characters, any case (accents
	 * must match): `ntern` finds "Solar Lantern". Most recently added first. */
	JOBS_SEARCH_SUBSTRING = 1,
} jobs_search_mode;

/* What to search for. text is required; the rest zero-initialised means
 * words, every job, the first page of 20, full jobs, no snippets. */
typedef struct jobs_search_query {
	const char *text;
	jobs_search_mode mode;
	jobs_filter filter;
	int page_size;          /* 0: 20; more than 100 is taken as 100 */
	const char *page_token; /* NULL or "": the first page */
	bool snippets;          /* with each job, the best matching extract */
	jobs_view view;
} jobs_search_query;

typedef struct jobs_search_page {
	jobs_job **jobs; /* n_jobs jobs, best first */
	size_t n_jobs;
	char **snippets;       /* n_jobs extracts, matches in [ ]; "" when not asked for */
	double *scores;        /* n_jobs relevance scores, higher is better; 0 for substrings */
	char *next_page_token; /* "" on the last page */
} jobs_search_page;

JOBS_API void jobs_search_page_free(jobs_search_page *page);

/* Searches the jobs' job_name, product, brand_name, hook and persona. On
 * JOBS_OK *out is a page (jobs_search_page_free). JOBS_INVALID_ARGUMENT when
 * the text has nothing to search for (no letter or digit; a substring of
 * fewer than 3 characters). */
JOBS_API int jobs_search_jobs(jobs_client *c, jobs_call *call, const jobs_search_query *q,
                              jobs_search_page **out);

/* What to count; zero-initialise for the top 10 and the last 30 days. */
typedef struct jobs_stats_query {
	int top;                /* values per group: 0: 10; at most 1000 */
	int64_t created_after;  /* first day counted per day (microseconds; 0: 29 days before the
	                           last) */
	int64_t created_before; /* the range ends before this (0: today, included) */
} jobs_stats_query;

typedef struct jobs_value_count {
	char *value;
	int64_t count;
} jobs_value_count;

typedef struct jobs_day_count {
	char date[11]; /* YYYY-MM-DD, UTC */
	int64_t count;
} jobs_day_count;

typedef struct jobs_stats {
	int64_t total_jobs, enabled_jobs, disabled_jobs;
	int64_t unique_products, unique_personas, unique_languages, unique_brands;
	/* The top values of each, most jobs first. */
	jobs_value_count *by_product, *by_language, *by_persona, *by_brand;
	size_t n_by_product, n_by_language, n_by_persona, n_by_brand;
	jobs_day_count *created_per_day; /* every day of the range, oldest first */
	size_t n_created_per_day;
} jobs_stats;

JOBS_API void jobs_stats_free(jobs_stats *s);

/* Counts of jobs, kept by the server as jobs are written: as fast at a
 * million jobs as at ten. On JOBS_OK *out is filled (jobs_stats_free). */
JOBS_API int jobs_get_stats(jobs_client *c, jobs_call *call, const jobs_stats_query *q,
                            jobs_stats **out);

typedef struct jobs_health_info {
	char *status;  /* "SERVING" or "DRAINING" */
	char *version; /* of jobsd */
	int schema_version;
	int64_t uptime_ms;
	uint32_t max_message_bytes;
} jobs_health_info;

JOBS_API void jobs_health_info_free(jobs_health_info *h);

/* Asks whether jobsd is up. On JOBS_OK *out is filled (jobs_health_info_free). */
JOBS_API int jobs_health(jobs_client *c, jobs_call *call, jobs_health_info **out);

typedef struct jobs_backup_info {
	char *path; /* absolute, on jobsd's machine */
	int64_t bytes;
	int64_t jobs;
	int64_t duration_ms;
} jobs_backup_info;

JOBS_API void jobs_backup_info_free(jobs_backup_info *b);

/*
 * Makes jobsd copy its database, consistently and while it keeps serving, to
 * `path` (absolute, on jobsd's machine, not existing yet).
 * On JOBS_OK *out says what was copied (jobs_backup_info_free).
 * Restore a copy with `jobsd --restore PATH` while no jobsd uses the database.
 */
JOBS_API int jobs_backup(jobs_client *c, jobs_call *call, const char *path, jobs_backup_info **out);

typedef struct jobs_check_info {
	bool ok;         /* no problems */
	char **problems; /* n_problems of SQLite's findings, at most 100 */
	size_t n_problems;
	int schema_version;
	int64_t jobs;
	int64_t bytes;
} jobs_check_info;

JOBS_API void jobs_check_info_free(jobs_check_info *c);

/* Runs SQLite's integrity check on jobsd's database. On JOBS_OK (the check
 * ran; see (*out)->ok for its verdict) *out is filled (jobs_check_info_free). */
JOBS_API int jobs_check(jobs_client *c, jobs_call *call, jobs_check_info **out);
/* ---- batches ------------------------------------------------------------ */

/* What one BatchCreateJobs call may carry (jobs.proto): at most this many
 * jobs, this many bytes of job text, and a request no larger than the
 * server's max_message_bytes (jobs_health). */
#define JOBS_BATCH_MAX_JOBS  1000
#define JOBS_BATCH_MAX_BYTES (8u << 20)

/* jobs_batch_create_jobs() flags. */
enum jobs_batch_flag {
	JOBS_BATCH_REPLACE = 1u << 0,       /* overwrite jobs whose id is taken */
	JOBS_BATCH_VALIDATE_ONLY = 1u << 1, /* check and report, write nothing */
};

/* What became of one job of a batch. */
typedef struct jobs_batch_outcome {
	size_t index;  /* in the batch given */
	char *id;      /* as stored: a new UUID for a job given without one */
	int code;      /* JOBS_OK, or JOBS_ALREADY_EXISTS: skipped, nothing written */
	char *message; /* why, for people; "" on JOBS_OK */
	bool replaced; /* JOBS_BATCH_REPLACE overwrote a stored job */
	char *etag;    /* of the stored job; "" when nothing was written */
} jobs_batch_outcome;

typedef struct jobs_batch_result {
	jobs_batch_outcome *outcomes; /* n_outcomes, in batch order */
	size_t n_outcomes;
} jobs_batch_result;

/* Frees the result and its strings. NULL is a no-op. */
JOBS_API void jobs_batch_result_free(jobs_batch_result *r);

/*
 * Creates jobs[0..n) in one call, each as jobs_create_job() would (fields as
 * its `fields` says, the same defaults and checks). Atomic: on any failure
 * but a taken id nothing is written, the call returns that code, and its
 * message starts "jobs[INDEX]: ". A taken id skips that job only (outcome
 * JOBS_ALREADY_EXISTS), unless flags has JOBS_BATCH_REPLACE. With
 * JOBS_BATCH_VALIDATE_ONLY, nothing is written whatever the outcomes say.
 * On JOBS_OK and out != NULL, *out has one outcome per job
 * (jobs_batch_result_free). More than JOBS_BATCH_MAX_JOBS jobs is
 * JOBS_INVALID_ARGUMENT; a request larger than the client's
 * max_message_bytes is JOBS_RESOURCE_EXHAUSTED before anything is sent.
 */
JOBS_API int jobs_batch_create_jobs(jobs_client *c, jobs_call *call, const jobs_job *const *jobs,
                                    size_t n, unsigned flags, jobs_batch_result **out);

/* The bytes `job` adds to a BatchCreateJobs request, for splitting a load
 * into batches that fit (jobs_health's max_message_bytes). */
JOBS_API size_t jobs_job_wire_size(const jobs_job *job);

/* ---- time -------------------------------------------------------------- */

#define JOBS_TIME_BUFSIZE 40

/* Writes `us` (microseconds since the epoch) as RFC 3339 in UTC,
 * "2026-11-24T10:00:00.123456Z" (no fraction when it is zero), into buf.
 * Returns buf. */
JOBS_API char *jobs_time_format(int64_t us, char buf[JOBS_TIME_BUFSIZE]);

/*
 * Parses an RFC 3339 timestamp, or the forms legacy files hold: a space for
 * the 'T', 't', any number of fraction digits (rounded to microseconds), a
 * zone of 'Z', +HH:MM, +HHMM or +HH, or none, or a date alone. A time
 * without a zone is UTC, or the local time zone when naive_is_local.
 * Returns JOBS_OK or JOBS_INVALID_ARGUMENT.
 */
JOBS_API int jobs_time_parse(const char *text, bool naive_is_local, int64_t *us);

#ifdef __cplusplus
}
#endif

#endif
