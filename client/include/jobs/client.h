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
 * jobs_create_job), and its asynchronous form jobs_foo_async, with the same
 * arguments; tests/test_contract.c holds the library to that.
 *
 * ERRORS. Every call returns a jobs_code (0 is JOBS_OK) and, when given a
 * jobs_call, leaves the same code and a message for people in it. The codes
 * are the gRPC canonical set, as on the wire (proto/jobs/v1/jobs.proto).
 * Transport failures map to them too: no server could be reached is
 * JOBS_UNAVAILABLE, no answer in time is JOBS_DEADLINE_EXCEEDED.
 *
 * ASYNCHRONOUS CALLS. jobs_get_job_async(c, call, id, &out) sends the call
 * and returns at once: JOBS_OK means it is under way and will complete
 * exactly once; any other code means it never started, and then it never
 * completes (libuv's rule). On completion the library sets call->code,
 * call->message, call->attempts and, on JOBS_OK, *out, then either calls
 * call->done(call) on one of its threads, or puts the call on
 * call->queue, a jobs_queue, whose file descriptor an event loop (epoll,
 * libuv, libevent) can watch. No thread waits per call in flight: every call
 * is a state machine on nng's threads (send, receive, pause before a retry).
 * jobs_cancel() ends a call early. The blocking jobs_foo() is
 * jobs_foo_async() and a wait.
 *
 * Why not protoc-c's service stubs (jobs__v1__jobs__get_job(service, input,
 * closure, data) over a ProtobufCService whose invoke would send over nng)?
 * They are only casts to invoke(method_index); their closure receives the
 * output message alone, so a status, its message and the attempts would need
 * a side channel; invoke takes no per-call deadline, request_id or handle to
 * cancel; and they hand out protobuf-c messages, which callers would still
 * convert into these types. The call table in client/calls.c, checked
 * against the proto's service descriptor by tests/test_contract.c, gives the
 * same single source of truth, and both forms of each call come from it.
 *
 * THREADS. A jobs_client may be shared by any number of threads; calls on it
 * run concurrently, each on its own nng context. A jobs_call belongs to one
 * call at a time. Completion callbacks run on the library's threads: keep
 * them short. They may start calls, cancel calls and close the client (even
 * their own), but not make blocking calls (refused with
 * JOBS_FAILED_PRECONDITION: it could stall the threads the answers need).
 *
 * OWNERSHIP. Arguments are borrowed until the call (blocking) or the _async
 * function returns: a request is encoded before _async returns, so its
 * arguments may go at once. The jobs_call and the `out` pointer of an
 * asynchronous call are the caller's and must stay put until it completes.
 * Every object a call hands out through an out-parameter belongs to the
 * caller and is released with the _free function named at that call; the
 * _free functions accept NULL. A jobs_job handed out by the library is a
 * single allocation: free it with jobs_job_free(), never its strings one by
 * one.
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

struct jobs_call;
typedef struct jobs_queue jobs_queue;

/* Where an asynchronous call reports that it is over (see jobs_call.done). */
typedef void (*jobs_done_fn)(struct jobs_call *call);

/*
 * Per-call options in, status out. Zero-initialise (jobs_call call = {0})
 * for the defaults. Every blocking call function accepts NULL instead; the
 * _async ones need a jobs_call, which must outlive the call.
 */
typedef struct jobs_call {
	/* in: the time the whole call may take, connecting, every attempt and
	 * the pauses between them included; 0 = the client's timeout_ms */
	int timeout_ms;
	/* in: NULL = a fresh id; reuse one to retry a call yourself. Copied
	 * into the request before the call function returns. */
	const char *request_id;
	int code;          /* out: as returned or completed */
	char message[256]; /* out: why, for people; "" on JOBS_OK */
	int attempts;      /* out: how many times the request was sent */
	/* in: an absolute deadline, milliseconds since the Unix epoch (the
	 * wire's deadline_ms); 0 = none. With timeout_ms too, the earlier one
	 * holds. One already past fails the call with JOBS_DEADLINE_EXCEEDED
	 * before anything is sent. */
	int64_t deadline_ms;
	/* in, _async calls: where the completion goes, one of the two. done is
	 * called once on a library thread; queue receives the call (see
	 * jobs_queue_next). */
	jobs_done_fn done;
	jobs_queue *queue;
	void *data; /* yours: the library never reads or writes it */
	/* The library's, while the call is in flight; never touch. */
	struct {
		void *op;
		uint64_t gen;
		struct jobs_call *next;
	} internal_;
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

/*
 * RETRIES AND RESENDS: one story. A call is encoded once, and whatever sends
 * it again sends the same bytes: the same request_id, the same deadline.
 * Only the library sends again. nng's req socket would also resend on its
 * own (after NNG_OPT_REQ_RESENDTIME, and at once when the connection that
 * carried the request closes); the library switches that off, so that every
 * sending is one of its attempts: counted in jobs_call.attempts, bounded by
 * max_attempts, reported in the error. An attempt gives way to the next one
 * when
 *   - the connection that carried it closed (the server died or restarted):
 *     at once, to whichever server is connected, or as soon as one is;
 *   - the server answered UNAVAILABLE (it is shutting down) or
 *     RESOURCE_EXHAUSTED marked as curable by waiting (overloaded: the
 *     answer's retry_after_ms): after a pause of jittered exponential
 *     backoff (25 ms, 50 ms, ... at most 1 s), or the server's pause if
 *     longer. A RESOURCE_EXHAUSTED without the mark is a limit (a batch
 *     over its size) and fails at once;
 *   - with attempt_timeout_ms set, the server has been silent that long (a
 *     stopped or cut-off server): at once.
 * Every call may be sent again, writes too, and none is ever done twice:
 * jobsd answers a repeated request_id of a write with its first answer
 * (for --dedup-window seconds), and reads change nothing.
 */
typedef struct jobs_client_options {
	/* The time a call may take in all (jobs_call.timeout_ms), and
	 * jobs_client_open() may wait for a first connection; 0: 5000. */
	int timeout_ms;
	/* Largest request to send; 0: 1 MiB, jobsd's default. Keep it at most
	 * the server's (jobs_health): a larger request is cut off by the server,
	 * and nng 1.5.2 can then hang in jobs_client_close() (in nng_close()). */
	size_t max_message_bytes;
	bool lazy_connect; /* open even if no server is up yet */
	/* Attempts a call may take in all (see above); 0: 3; 1: sent once. */
	int max_attempts;
	/* A server silent this long on an attempt is given up for the next
	 * attempt; 0: never (an attempt may take what is left of the call). Set
	 * it above the slowest call's time, or slow calls are sent again. */
	int attempt_timeout_ms;
	/* Bearer token for servers started with --token-file: the token itself,
	 * or a file holding it (trailing whitespace removed). NULL: none. */
	const char *auth_token;
	const char *auth_token_file;
	/* For tls+tcp:// URLs: the CA that signed the servers' certificates
	 * (required), the name to check in them (default: each URL's host), and
	 * a client certificate and key for servers that require one. */
	const char *tls_ca_file;
	const char *tls_server_name;
	const char *tls_cert_file;
	const char *tls_key_file;
} jobs_client_options;

/*
 * Connects to jobsd at `urls`: one URL (tcp://HOST:PORT, ipc:///PATH,
 * tls+tcp://HOST:PORT) or several, separated by commas
 * ("tcp://a:7460,tcp://b:7460"), all serving the same jobs. One nng req
 * socket dials them all; each call goes to a server that is connected and
 * not busy sending, so calls spread over the servers that are up. A server
 * that goes away is skipped, and it is used again when it comes back: the
 * client reconnects by itself (after 20 ms, then up to every second), and
 * one thread of the client's starts the connecting afresh for a server
 * that has been without a connection for 3 s (nng 1.5.2 can give one up).
 *
 * Unless opts->lazy_connect, waits until one server is connected (at most
 * opts->timeout_ms), and fails with JOBS_UNAVAILABLE as soon as every
 * server refused twice (20 ms apart: a restarting server may refuse once).
 * A malformed list (an empty entry, a URL without a scheme, one named
 * twice) is JOBS_INVALID_ARGUMENT. `opts` may be NULL. On success *out is
 * the client, to be closed with jobs_client_close(); on failure *out is
 * NULL.
 */
JOBS_API int jobs_client_open(jobs_client **out, const char *urls, const jobs_client_options *opts,
                              jobs_call *call);

/*
 * Closes the connections and frees the client. Calls still in flight
 * complete with JOBS_CANCELLED first; close returns once their completions
 * have returned. Called from a completion callback (of this client or
 * another), it returns at once and the client is freed on another thread
 * after the last of its callbacks returned; until then, calls on it fail
 * with JOBS_CANCELLED. NULL is a no-op.
 */
JOBS_API void jobs_client_close(jobs_client *c);

/* ---- completion ----------------------------------------------------------- */

/*
 * Ends the call started with `call` early, if it is still in flight: it
 * completes with JOBS_CANCELLED (unless its answer won the race). Any
 * thread, any time before `call` is reused or the client closed; a no-op
 * when the call is over.
 */
JOBS_API void jobs_cancel(jobs_call *call);

/*
 * A completion queue: asynchronous calls with call->queue set land here when
 * they are over, for the thread of your choice to collect. On success *out
 * is the queue (jobs_queue_close); JOBS_RESOURCE_EXHAUSTED otherwise.
 */
JOBS_API int jobs_queue_open(jobs_queue **out);

/* Frees the queue. The calls that complete into it must all be over and
 * collected. NULL is a no-op. */
JOBS_API void jobs_queue_close(jobs_queue *q);

/*
 * The next completed call, oldest first; NULL when none came within
 * timeout_ms (0: do not wait; negative: wait as long as it takes). Any
 * number of threads may collect from one queue.
 */
JOBS_API jobs_call *jobs_queue_next(jobs_queue *q, int timeout_ms);

/*
 * A file descriptor that polls readable while completed calls wait in the
 * queue, for an event loop: when it is readable, collect with
 * jobs_queue_next(q, 0) until NULL. Owned by the queue. -1 (and errno) if
 * the system has none to give.
 */
JOBS_API int jobs_queue_fd(jobs_queue *q);

/* ---- the calls: one function per call of the Jobs service --------------- */

/*
 * Each call comes twice: jobs_foo() returns when the call is over;
 * jobs_foo_async(), with the same arguments, returns once the request is on
 * its way and completes later (ASYNCHRONOUS CALLS at the top): `call` and
 * `out` must then stay put until it does. What the call and its out-
 * parameter mean is said once, at the blocking form.
 */

/*
 * Creates a job from the fields of `job` that job->fields names (see
 * jobs_job). The server fills the rest: a UUID id, the timestamps, language
 * "English", enabled true. On JOBS_OK and out != NULL, *out is the job as
 * stored (free with jobs_job_free). JOBS_INVALID_ARGUMENT without a
 * job_name; JOBS_ALREADY_EXISTS if the id is taken.
 */
JOBS_API int jobs_create_job(jobs_client *c, jobs_call *call, const jobs_job *job, jobs_job **out);
JOBS_API int jobs_create_job_async(jobs_client *c, jobs_call *call, const jobs_job *job,
                                   jobs_job **out);

/* Reads one job. *out as for jobs_create_job. JOBS_NOT_FOUND if none. */
JOBS_API int jobs_get_job(jobs_client *c, jobs_call *call, const char *id, jobs_job **out);
JOBS_API int jobs_get_job_async(jobs_client *c, jobs_call *call, const char *id, jobs_job **out);

/*
 * Changes the fields that changes->fields names (0: those it sets) of the job
 * whose id is changes->id. With expected_etag (non-NULL, non-empty), changes
 * nothing and answers JOBS_ABORTED unless the stored etag is that one.
 * *out (if out != NULL) is the whole job afterwards; free with jobs_job_free.
 */
JOBS_API int jobs_update_job(jobs_client *c, jobs_call *call, const jobs_job *changes,
                             const char *expected_etag, jobs_job **out);
JOBS_API int jobs_update_job_async(jobs_client *c, jobs_call *call, const jobs_job *changes,
                                   const char *expected_etag, jobs_job **out);

/* Deletes a job; expected_etag as for jobs_update_job. JOBS_NOT_FOUND if none. */
JOBS_API int jobs_delete_job(jobs_client *c, jobs_call *call, const char *id,
                             const char *expected_etag);
JOBS_API int jobs_delete_job_async(jobs_client *c, jobs_call *call, const char *id,
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
JOBS_API int jobs_list_jobs_async(jobs_client *c, jobs_call *call, const jobs_list_query *q,
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
JOBS_API int jobs_search_jobs_async(jobs_client *c, jobs_call *call, const jobs_search_query *q,
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
JOBS_API int jobs_get_stats_async(jobs_client *c, jobs_call *call, const jobs_stats_query *q,
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
JOBS_API int jobs_health_async(jobs_client *c, jobs_call *call, jobs_health_info **out);

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
JOBS_API int jobs_backup_async(jobs_client *c, jobs_call *call, const char *path,
                               jobs_backup_info **out);

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
JOBS_API int jobs_check_async(jobs_client *c, jobs_call *call, jobs_check_info **out);
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
	JOBS_BATCH_ALLOW_UNNAMED = 1u << 2, /* take jobs without a job_name (legacy imports) */
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
JOBS_API int jobs_batch_create_jobs_async(jobs_client *c, jobs_call *call,
                                          const jobs_job *const *jobs, size_t n, unsigned flags,
                                          jobs_batch_result **out);

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
