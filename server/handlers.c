/*
 * handlers.c: the calls. Each handler is validate -> store -> response.
 *
 * Field masks. Create and Update share one mechanism: apply_mask() copies the
 * fields a request names from its job onto a base job (the defaults for
 * Create, the stored job for Update). It works from the Job descriptor, so a
 * field added to the proto is maskable without touching this file.
 *
 * ListJobs, SearchJobs and GetStats are in handlers_find.c.
 */
#include "handlers.h"
#include "log.h"
#include "status.h"
#include "validate.h"

#include <uuid/uuid.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* ---- job fields -------------------------------------------------------- */

static const struct {
	const char *name;
	size_t max;
} field_limits[] = {
    {"id", 128},
    {"job_name", 1024},
    {"product", 1024},
    {"persona", 4096},
    {"setting", 4096},
    {"emotion", 1024},
    {"hook", 16384},
    {"elevenlabs_voice_id", 256},
    {"language", 256},
    {"brand_name", 1024},
    {"enhanced_settings", 256 * 1024},
    {"extra", 64 * 1024},
};

size_t
job_field_limit(const char *name)
{
	for (size_t i = 0; i < sizeof field_limits / sizeof field_limits[0]; i++)
		if (strcmp(field_limits[i].name, name) == 0)
			return field_limits[i].max;
	return 0;
}

#define MIN_TIME_US JOB_MIN_TIME_US
#define MAX_TIME_US JOB_MAX_TIME_US

enum mask_use { FOR_CREATE, FOR_UPDATE };

/* Set by the server only. */
static bool
output_only(const ProtobufCFieldDescriptor *f)
{
	return strcmp(f->name, "etag") == 0;
}

/* Settable when a job is created, never afterwards. */
static bool
immutable(const ProtobufCFieldDescriptor *f)
{
	return strcmp(f->name, "id") == 0 || strcmp(f->name, "created_at") == 0 ||
	       strcmp(f->name, "updated_at") == 0;
}

/* Size of a scalar member of a Job; 0 for a type Job does not use. */
static size_t
member_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_INT64:
		return sizeof(int64_t);
	default:
		return 0;
	}
}

/* True when the field holds something other than its proto default. */
static bool
is_set(const Jobs__V1__Job *j, const ProtobufCFieldDescriptor *f)
{
	const char *p = (const char *)j + f->offset;

	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		return **(char *const *)p != '\0';
	case PROTOBUF_C_TYPE_BOOL:
		return *(const protobuf_c_boolean *)p != 0;
	case PROTOBUF_C_TYPE_INT64:
		return *(const int64_t *)p != 0;
	default:
		return false;
	}
}

static void
copy_field(Jobs__V1__Job *dst, const Jobs__V1__Job *src, const ProtobufCFieldDescriptor *f)
{
	memcpy((char *)dst + f->offset, (const char *)src + f->offset, member_size(f));
}

/*
 * Copies onto `dst` the fields of `src` that `paths` names; with no paths,
 * every field `src` sets except those a caller cannot set. The strings are
 * shared, not copied: both jobs live in the call's arena.
 */
static int
apply_mask(call *c, Jobs__V1__Job *dst, const Jobs__V1__Job *src, char *const *paths, size_t n,
           enum mask_use use, const char *mask_name)
{
	const ProtobufCMessageDescriptor *d = &jobs__v1__job__descriptor;

	if (src == NULL)
		return n == 0 ? 0
		              : call_fail(c, ST(INVALID_ARGUMENT),
		                          "%s names fields but no job is given", mask_name);
	if (n == 0) {
		for (unsigned i = 0; i < d->n_fields; i++) {
			const ProtobufCFieldDescriptor *f = &d->fields[i];
			if (output_only(f) || (use == FOR_UPDATE && immutable(f)))
				continue;
			if (is_set(src, f))
				copy_field(dst, src, f);
		}
		return 0;
	}
	for (size_t k = 0; k < n; k++) {
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field_by_name(d, paths[k]);

		if (f == NULL || member_size(f) == 0)
			return call_fail(c, ST(INVALID_ARGUMENT), "%s: '%.64s' is not a Job field",
			                 mask_name, paths[k]);
		if (output_only(f))
			return call_fail(c, ST(INVALID_ARGUMENT),
			                 "%s: %s is set by the server only", mask_name, f->name);
		if (use == FOR_UPDATE && immutable(f))
			return call_fail(c, ST(INVALID_ARGUMENT), "%s: %s cannot be changed",
			                 mask_name, f->name);
		copy_field(dst, src, f);
	}
	return 0;
}

/* The Job field names as a JSON array, for the check that `extra` does not
 * shadow them. Built once from the descriptor. "extra" itself is left out:
 * people and files see extra's keys at the top level of a job, so a legacy
 * key named "extra" is an extra key like any other. */
static char job_field_names_json[512];
static pthread_once_t job_field_names_once = PTHREAD_ONCE_INIT;

static void
build_job_field_names(void)
{
	const ProtobufCMessageDescriptor *d = &jobs__v1__job__descriptor;
	size_t n = 0;

	job_field_names_json[n++] = '[';
	for (unsigned i = 0; i < d->n_fields; i++)
		if (strcmp(d->fields[i].name, "extra") != 0)
			n += (size_t)snprintf(job_field_names_json + n,
			                      sizeof job_field_names_json - n, "%s\"%s\"",
			                      n > 1 ? "," : "", d->fields[i].name);
	snprintf(job_field_names_json + n, sizeof job_field_names_json - n, "]");
}

/* Checks a job about to be written: id, sizes, timestamps, JSON. */
static int
validate_job(call *c, const Jobs__V1__Job *j)
{
	const ProtobufCMessageDescriptor *d = &jobs__v1__job__descriptor;
	const char *why;
	char reason[160];
	int rv;

	if ((why = validate_id(j->id)) != NULL)
		return call_fail(c, ST(INVALID_ARGUMENT), "job id '%.64s' %s", j->id, why);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		size_t max = job_field_limit(f->name), len;

		if (f->type != PROTOBUF_C_TYPE_STRING || max == 0)
			continue;
		len = strlen(*(char *const *)((const char *)j + f->offset));
		if (len > max)
			return call_fail(c, ST(INVALID_ARGUMENT),
			                 "%s is %zu bytes long; the limit is %zu", f->name, len,
			                 max);
	}
	if (j->created_at < MIN_TIME_US || j->created_at > MAX_TIME_US ||
	    j->updated_at < MIN_TIME_US || j->updated_at > MAX_TIME_US)
		return call_fail(c, ST(INVALID_ARGUMENT),
		                 "created_at and updated_at must fall in the years 1 to 9999");
	if (*j->enhanced_settings != '\0' &&
	    (rv = store_json_check(c->db, j->enhanced_settings, false, NULL, reason,
	                           sizeof reason)) != 0)
		return call_fail(c, rv, "enhanced_settings %s", reason);
	if (*j->extra != '\0') {
		pthread_once(&job_field_names_once, build_job_field_names);
		if ((rv = store_json_check(c->db, j->extra, true, job_field_names_json, reason,
		                           sizeof reason)) != 0)
			return call_fail(c, rv, "extra %s", reason);
	}
	return 0;
}

/* Turns a store failure into the response, logging what people must see. */
static int
store_failed(call *c, int rv, const char *what)
{
	if (rv == ST(INTERNAL) || rv == ST(DATA_LOSS))
		log_error("%s: %s: %s", c->method->name, what, store_errmsg(c->db));
	return call_fail(c, rv, "%s failed: %s", what, store_errmsg(c->db));
}

static Jobs__V1__Job *
new_job(call *c)
{
	Jobs__V1__Job *j = arena_alloc(c->arena, sizeof *j);

	if (j != NULL)
		jobs__v1__job__init(j);
	return j;
}

static int
parse_etag(call *c, const char *etag, int64_t *version)
{
	*version = 0;
	if (*etag == '\0')
		return 0;
	if ((*version = store_etag_parse(etag)) < 0)
		return call_fail(c, ST(INVALID_ARGUMENT), "expected_etag '%.32s' is not an etag",
		                 etag);
	return 0;
}

static int
check_id(call *c, const char *id)
{
	const char *why = validate_id(id);
	return why == NULL ? 0 : call_fail(c, ST(INVALID_ARGUMENT), "id '%.64s' %s", id, why);
}

/* ---- CreateJob, GetJob, UpdateJob, DeleteJob -------------------------- */

int
handle_create_job(call *c, const void *in_, void *out_)
{
	const Jobs__V1__CreateJobRequest *in = in_;
	Jobs__V1__CreateJobResponse *out = out_;
	Jobs__V1__Job *j = new_job(c);
	int rv;

	if (j == NULL)
		return call_fail(c, ST(RESOURCE_EXHAUSTED), "out of memory");
	j->language = (char *)"English";
	j->enabled = true;
	rv = apply_mask(c, j, in->job, in->field_mask, in->n_field_mask, FOR_CREATE, "field_mask");
	if (rv != 0)
		return rv;
	if (*j->id == '\0') {
		uuid_t u;
		char *id = arena_alloc(c->arena, 37);

		if (id == NULL)
			return call_fail(c, ST(RESOURCE_EXHAUSTED), "out of memory");
		uuid_generate_random(u);
		uuid_unparse_lower(u, id);
		j->id = id;
	}
	if (j->created_at == 0)
		j->created_at = c->now_us;
	if (j->updated_at == 0)
		j->updated_at = j->created_at;
	if ((rv = validate_job(c, j)) != 0)
		return rv;
	rv = store_job_insert(c->db, j, c->arena);
	if (rv == ST(ALREADY_EXISTS))
		return call_fail(c, rv, "a job with id '%s' already exists", j->id);
	if (rv != 0)
		return store_failed(c, rv, "create");
	out->job = j;
	return 0;
}

int
handle_get_job(call *c, const void *in_, void *out_)
{
	const Jobs__V1__GetJobRequest *in = in_;
	Jobs__V1__GetJobResponse *out = out_;
	int rv;

	if ((rv = check_id(c, in->id)) != 0)
		return rv;
	rv = store_job_get(c->db, in->id, c->arena, &out->job);
	if (rv == ST(NOT_FOUND))
		return call_fail(c, rv, "no job with id '%s'", in->id);
	return rv != 0 ? store_failed(c, rv, "get") : 0;
}

int
handle_update_job(call *c, const void *in_, void *out_)
{
	const Jobs__V1__UpdateJobRequest *in = in_;
	Jobs__V1__UpdateJobResponse *out = out_;
	Jobs__V1__Job *j;
	int64_t expected;
	int rv;

	if (in->job == NULL)
		return call_fail(c, ST(INVALID_ARGUMENT),
		                 "update_job.job is required (its id names "
		                 "the job)");
	if ((rv = check_id(c, in->job->id)) != 0 ||
	    (rv = parse_etag(c, in->expected_etag, &expected)) != 0)
		return rv;
	/* Read, check, write: atomic, as the writer runs us in its transaction. */
	rv = store_job_get(c->db, in->job->id, c->arena, &j);
	if (rv == ST(NOT_FOUND))
		return call_fail(c, rv, "no job with id '%s'", in->job->id);
	if (rv != 0)
		return store_failed(c, rv, "update");
	if (expected > 0 && store_etag_parse(j->etag) != expected)
		return call_fail(c, ST(ABORTED),
		                 "job '%s' has etag %s, not the expected %s; "
		                 "read it again",
		                 j->id, j->etag, in->expected_etag);
	rv = apply_mask(c, j, in->job, in->update_mask, in->n_update_mask, FOR_UPDATE,
	                "update_mask");
	if (rv != 0)
		return rv;
	/* updated_at moves forward even if the clock did not. */
	j->updated_at = c->now_us > j->updated_at ? c->now_us : j->updated_at + 1;
	if ((rv = validate_job(c, j)) != 0)
		return rv;
	if ((rv = store_job_replace(c->db, j, c->arena)) != 0)
		return store_failed(c, rv, "update");
	out->job = j;
	return 0;
}

int
handle_delete_job(call *c, const void *in_, void *out_)
{
	const Jobs__V1__DeleteJobRequest *in = in_;
	int64_t expected;
	int rv;

	(void)out_;
	if ((rv = check_id(c, in->id)) != 0 ||
	    (rv = parse_etag(c, in->expected_etag, &expected)) != 0)
		return rv;
	rv = store_job_delete(c->db, in->id, expected);
	if (rv == ST(NOT_FOUND))
		return call_fail(c, rv, "no job with id '%s'", in->id);
	if (rv == ST(ABORTED))
		return call_fail(c, rv,
		                 "job '%s' does not have the expected etag %s; nothing was "
		                 "deleted",
		                 in->id, in->expected_etag);
	return rv != 0 ? store_failed(c, rv, "delete") : 0;
}

/* ---- Health ------------------------------------------------------------ */

int
handle_health(call *c, const void *in_, void *out_)
{
	Jobs__V1__HealthResponse *out = out_;

	(void)in_;
	out->status = (char *)(atomic_load(&c->info->draining) ? "DRAINING" : "SERVING");
	out->version = (char *)c->info->version;
	out->schema_version = store_schema_version(c->db);
	out->uptime_ms = (c->now_us - c->info->started_us) / 1000;
	out->max_message_bytes = c->info->max_message_bytes;
	return 0;
}
