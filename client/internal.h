/*
 * internal.h: what the files of libjobsclient share. Not installed; jobsctl,
 * jobsbench and the tests link the static library and may use it too.
 */
#ifndef JOBSCLIENT_INTERNAL_H
#define JOBSCLIENT_INTERNAL_H

#include "jobs/client.h"
#include "jobs/v1/jobs.pb-c.h"

#include <nng/nng.h>
#include <stdarg.h>

/* ---- the fields of a job ----------------------------------------------- */

enum job_field_kind {
	JF_TEXT, /* a string */
	JF_BOOL, /* enabled */
	JF_TIME, /* int64 microseconds since the epoch */
	JF_JSON, /* a string holding JSON text */
};

/* One field of jobs_job and of jobs.v1.Job, which share names. */
struct job_field {
	const char *name; /* the Job field name, also the legacy YAML key */
	uint32_t bit;     /* JOBS_FIELD_* */
	size_t offset;    /* in jobs_job */
	size_t pb_offset; /* in Jobs__V1__Job */
	enum job_field_kind kind;
	bool output_only; /* set by the server only (etag) */
};

/* Every field, in proto order. tests/test_contract.c checks it against the
 * proto's Job descriptor. */
extern const struct job_field client_job_fields[];
extern const size_t client_n_job_fields;
#define JOB_FIELDS_MAX 32 /* room enough for a mask of every field */

/* The entry named `name`, or NULL. */
const struct job_field *client_job_field_by_name(const char *name);

/* Pointers to a field's member in a jobs_job. */
#define JOB_STR(job, f)  ((char **)((char *)(job) + (f)->offset))
#define JOB_BOOL(job, f) ((bool *)((char *)(job) + (f)->offset))
#define JOB_TIME(job, f) ((int64_t *)((char *)(job) + (f)->offset))

/*
 * Fills `out` (initialised by the caller) from `in` for sending. Strings are
 * borrowed from `in`, not copied. mask[] (room for client_n_job_fields) receives
 * the names of the fields in->fields names; *n_mask their count, 0 when
 * in->fields is 0.
 */
void client_job_to_proto(const jobs_job *in, Jobs__V1__Job *out, char **mask, size_t *n_mask);

/* A jobs_job copied out of `in`, as one allocation (jobs_job_free). NULL when
 * out of memory. */
jobs_job *client_job_from_proto(const Jobs__V1__Job *in);

/* ---- the call table (calls.c) --------------------------------------------- */

/* The calls, in the order of the Jobs service (tests/test_contract.c). */
enum call_id {
	CALL_CREATE_JOB,
	CALL_GET_JOB,
	CALL_UPDATE_JOB,
	CALL_DELETE_JOB,
	CALL_LIST_JOBS,
	CALL_HEALTH,
	CALL_SEARCH_JOBS,
	CALL_GET_STATS,
	CALL_BATCH_CREATE_JOBS,
	CALL_BACKUP,
	CALL_CHECK,
	N_CALLS,
};

/*
 * One call of the Jobs service, as the library makes it. hand_out() copies
 * the result of an OK response `r` into the caller's `out` (never NULL), as
 * the public types; `hint` is what the call's _async function passed to
 * client_start() for it (the view of a listing). Returns JOBS_OK, or a code
 * set in `call` (out of memory, a malformed answer).
 */
struct call_def {
	const char *method; /* its name in the service: "GetJob" */
	unsigned field;     /* its number in Request.call and Response.result */
	int (*hand_out)(jobs_call *call, const Jobs__V1__Response *r, void *out, int hint);
};

extern const struct call_def client_call_defs[N_CALLS];

/* ---- the transport (client.c) ---------------------------------------------- */

/* Sets call->code and call->message (when call != NULL); returns code. */
int client_call_status(jobs_call *call, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The one way every call travels. Wraps `in` as the Request.call field of
 * `def`, encodes it (so `in` may go when this returns), and starts it on
 * `c`: JOBS_OK, after which the call completes exactly once as client.h's
 * ASYNCHRONOUS CALLS says, with def->hand_out(..., out, hint) run first on
 * JOBS_OK when out != NULL; or another code, set in `call`, and then it
 * never completes.
 */
int client_start(jobs_client *c, jobs_call *call, const struct call_def *def,
                 const ProtobufCMessage *in, void *out, int hint);

/*
 * The same path for bytes that are not a jobs.v1.Request: `body` is sent as
 * it is, and on JOBS_OK *reply is the answer, whatever it holds (the
 * caller's, nng_msg_free). jobsbench sends its echo baseline this way, so
 * that the baseline pays the library's transport as jobsd's calls do.
 */
int client_start_raw(jobs_client *c, jobs_call *call, const void *body, size_t len,
                     nng_msg **reply);

/* Puts a completed call on its queue (queue.c). */
void client_queue_post(jobs_queue *q, jobs_call *call);

/* Whether this thread is running a completion of the library's (a
 * callback, or a blocking call's wake-up): blocking there is refused. */
bool client_in_completion(void);

/* Clients opened and not yet freed, for tests: a client closed from a
 * callback is freed a moment later, on a thread of its own. */
int client_live_count(void);

/* Closes every dialer of c, for tests: what nng 1.5.2 leaves of a dialer
 * that gave up (DIALERS THAT STOP in client.c), which c's watcher renews. */
void client_stop_dialers(jobs_client *c);

/* malloc'd copy of s, "" for NULL; NULL when out of memory. */
char *client_strdup(const char *s);

#endif
