/*
 * internal.h: what the files of libjobsclient share. Not installed; jobsctl
 * and the tests link the static library and may use it too.
 */
#ifndef JOBSCLIENT_INTERNAL_H
#define JOBSCLIENT_INTERNAL_H

#include "jobs/client.h"
#include "jobs/v1/jobs.pb-c.h"

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
extern const struct job_field job_fields[];
extern const size_t n_job_fields;
#define JOB_FIELDS_MAX 32 /* room enough for a mask of every field */

/* The entry named `name`, or NULL. */
const struct job_field *job_field_by_name(const char *name);

/* Pointers to a field's member in a jobs_job. */
#define JOB_STR(job, f)  ((char **)((char *)(job) + (f)->offset))
#define JOB_BOOL(job, f) ((bool *)((char *)(job) + (f)->offset))
#define JOB_TIME(job, f) ((int64_t *)((char *)(job) + (f)->offset))

/*
 * Fills `out` (initialised by the caller) from `in` for sending. Strings are
 * borrowed from `in`, not copied. mask[] (room for n_job_fields) receives
 * the names of the fields in->fields names; *n_mask their count, 0 when
 * in->fields is 0.
 */
void job_to_proto(const jobs_job *in, Jobs__V1__Job *out, char **mask, size_t *n_mask);

/* A jobs_job copied out of `in`, as one allocation (jobs_job_free). NULL when
 * out of memory. */
jobs_job *job_from_proto(const Jobs__V1__Job *in);

/* ---- the transport ----------------------------------------------------- */

/* Sets call->code and call->message (when call != NULL); returns code. */
int call_status(jobs_call *call, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The one way a call travels: wraps `in` as the Request.call field numbered
 * `call_field`, sends it, waits for the Response and checks it. On JOBS_OK
 * *resp is the response, whose result is that call's (free it with
 * jobs__v1__response__free_unpacked(*resp, NULL)); otherwise *resp is NULL
 * and `call` says why.
 */
int client_rpc(jobs_client *c, jobs_call *call, unsigned call_field, const ProtobufCMessage *in,
               Jobs__V1__Response **resp);

/* malloc'd copy of s, "" for NULL; NULL when out of memory. */
char *client_strdup(const char *s);

#endif
