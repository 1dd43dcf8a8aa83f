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
#include "clock.h"
#include "field_json.h"
#include "hash.h"

#include "files.h"
#include "log.h"
#include "replycache.h"
#include "status.h"
#include "validate.h"

#include <uuid/uuid.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
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
handler_field_limit(const char *name)
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

/* Checks a job about to be written: id, sizes, timestamps, JSON. */
static int
validate_job(call *c, const Jobs__V1__Job *j)
{
	const ProtobufCMessageDescriptor *d = &jobs__v1__job__descriptor;
	const char *why;
	char reason[256];
	int rv;

	if ((why = validate_id(j->id)) != NULL)
		return call_fail(c, ST(INVALID_ARGUMENT), "job id '%.64s' %s", j->id, why);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		size_t max = handler_field_limit(f->name), len;

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
	    (rv = field_json_check(j->enhanced_settings, false, reason, sizeof reason)) != 0)
		return call_fail(c, rv, "enhanced_settings %s", reason);
	/* extra may name fields: those keys hold legacy values the field's type
	 * cannot (jobs.proto, Job.extra). */
	if (*j->extra != '\0' &&
	    (rv = field_json_check(j->extra, true, reason, sizeof reason)) != 0)
		return call_fail(c, rv, "extra %s", reason);
	return 0;
}

int
handler_store_failed(call *c, int rv, const char *what)
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

/*
 * A new job id into `out` (37 bytes): a UUID of version 7 (RFC 9562), 48
 * bits of Unix milliseconds and then 74 random bits (libuuid's). The ids of
 * new jobs sort after those of older ones, so the id index takes them at
 * its end, on the page it has just written, instead of one random page per
 * job; with version 4 ids a group commit of 5 creates wrote ~5 pages of that
 * index. libuuid 2.38 (Debian 12) has no v7 of its own; its v1 puts the low
 * bits of the time first and does not sort.
 */
static void
new_job_id(int64_t now_us, char out[37])
{
	uint64_t ms = (uint64_t)(now_us / 1000);
	uuid_t u;

	uuid_generate_random(u);
	for (int i = 0; i < 6; i++)
		u[i] = (unsigned char)(ms >> (40 - 8 * i));
	u[6] = (unsigned char)(0x70 | (u[6] & 0x0f)); /* version 7 */
	u[8] = (unsigned char)(0x80 | (u[8] & 0x3f)); /* variant 10 */
	uuid_unparse_lower(u, out);
}

/* The seed's schema has job_name NOT NULL: a job is created with a name
 * (legacy imports excepted: BatchCreateJobsRequest.allow_unnamed). */
static int
check_named(call *c, const Jobs__V1__Job *j)
{
	return *j->job_name != '\0' ? 0
	                            : call_fail(c, ST(INVALID_ARGUMENT),
	                                        "job_name is required: every job has a name");
}

/*
 * The job a CreateJobRequest asks for, from the call's arena: the defaults,
 * the masked fields, a new id when it has none, the timestamps, validated;
 * without a job_name only when `unnamed_ok`. Returns 0, or the status it
 * set with call_fail().
 */
static int
new_job_from_request(call *c, const Jobs__V1__CreateJobRequest *in, bool unnamed_ok,
                     Jobs__V1__Job **out)
{
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
		char *id = arena_alloc(c->arena, 37);

		if (id == NULL)
			return call_fail(c, ST(RESOURCE_EXHAUSTED), "out of memory");
		new_job_id(c->now_us, id);
		j->id = id;
	}
	if (j->created_at == 0)
		j->created_at = c->now_us;
	if (j->updated_at == 0)
		j->updated_at = j->created_at;
	if ((rv = validate_job(c, j)) != 0 || (!unnamed_ok && (rv = check_named(c, j)) != 0))
		return rv;
	*out = j;
	return 0;
}

int
handle_create_job(call *c, const void *in_, void *out_)
{
	const Jobs__V1__CreateJobRequest *in = in_;
	Jobs__V1__CreateJobResponse *out = out_;
	Jobs__V1__Job *j = NULL;
	int rv;

	if ((rv = new_job_from_request(c, in, false, &j)) != 0)
		return rv;
	rv = store_job_create(c->db, j, c->arena);
	if (rv == ST(ALREADY_EXISTS))
		return call_fail(c, rv, "a job with id '%s' already exists", j->id);
	if (rv != 0)
		return handler_store_failed(c, rv, "create");
	out->job = j;
	return call_wrote(c, j->id);
}

int
handle_get_job(call *c, const void *in_, void *out_)
{
	const Jobs__V1__GetJobRequest *in = in_;
	Jobs__V1__GetJobResponse *out = out_;
	replycache *cache = c->wire ? c->info->replies : NULL;
	uint64_t epoch = 0;
	int rv;

	if ((rv = check_id(c, in->id)) != 0)
		return rv;
	/* An answer bound for the wire may carry the job already encoded. */
	if (cache != NULL && replycache_get(cache, in->id, c->arena, out, &epoch))
		return 0;
	rv = store_job_get(c->db, in->id, c->arena, &out->job);
	if (rv == ST(NOT_FOUND))
		return call_fail(c, rv, "no job with id '%s'", in->id);
	if (rv != 0)
		return handler_store_failed(c, rv, "get");
	if (cache != NULL)
		replycache_put(cache, out->job, epoch, c->arena, out); /* else as it is */
	return 0;
}

/* Whether UpdateJob request `in` sets field f. */
static bool
update_sets(const Jobs__V1__UpdateJobRequest *in, const ProtobufCFieldDescriptor *f)
{
	if (in->n_update_mask == 0)
		return !output_only(f) && !immutable(f) && is_set(in->job, f);
	for (size_t k = 0; k < in->n_update_mask; k++)
		if (strcmp(in->update_mask[k], f->name) == 0)
			return true;
	return false;
}

/*
 * A field that an update sets gets a value of its own, so a legacy value
 * that stood in for it in `extra` (Job.extra in jobs.proto) goes: the
 * update would be invisible in legacy views otherwise. An update that sets
 * extra itself says what extra holds and is left alone.
 */
static int
unshadow(call *c, Jobs__V1__Job *j, const Jobs__V1__UpdateJobRequest *in)
{
	const ProtobufCMessageDescriptor *d = &jobs__v1__job__descriptor;
	char quoted[80];
	int rv;

	if (*j->extra == '\0' ||
	    update_sets(in, protobuf_c_message_descriptor_get_field_by_name(d, "extra")))
		return 0;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		snprintf(quoted, sizeof quoted, "\"%s\"", f->name);
		if (strstr(j->extra, quoted) == NULL || !update_sets(in, f))
			continue;
		if ((rv = field_json_remove_key(j->extra, f->name, c->arena, &j->extra)) != 0)
			return call_fail(c, rv, "update failed: extra cannot be edited");
		if (strcmp(j->extra, "{}") == 0)
			j->extra = (char *)"";
	}
	return 0;
}

int
handle_update_job(call *c, const void *in_, void *out_)
{
	const Jobs__V1__UpdateJobRequest *in = in_;
	Jobs__V1__UpdateJobResponse *out = out_;
	Jobs__V1__Job *j, was;
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
		return handler_store_failed(c, rv, "update");
	if (expected > 0 && store_etag_parse(j->etag) != expected)
		return call_fail(c, ST(ABORTED),
		                 "job '%s' has etag %s, not the expected %s; "
		                 "read it again",
		                 j->id, j->etag, in->expected_etag);
	was = *j; /* its strings stay: the changes below replace pointers */
	rv = apply_mask(c, j, in->job, in->update_mask, in->n_update_mask, FOR_UPDATE,
	                "update_mask");
	if (rv != 0 || (rv = unshadow(c, j, in)) != 0)
		return rv;
	/* A name cannot be taken away; a legacy job imported without one can
	 * still change its other fields. */
	if (update_sets(in, protobuf_c_message_descriptor_get_field_by_name(
	                        &jobs__v1__job__descriptor, "job_name")) &&
	    (rv = check_named(c, j)) != 0)
		return rv;
	/* updated_at moves forward even if the clock did not. */
	j->updated_at = c->now_us > j->updated_at ? c->now_us : j->updated_at + 1;
	if ((rv = validate_job(c, j)) != 0)
		return rv;
	if ((rv = store_job_replace(c->db, &was, j, c->arena)) != 0)
		return handler_store_failed(c, rv, "update");
	out->job = j;
	return call_wrote(c, j->id);
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
	return rv != 0 ? handler_store_failed(c, rv, "delete") : call_wrote(c, in->id);
}

/* ---- BatchCreateJobs ----------------------------------------------------- */

/* The text a job carries: what BATCH_MAX_BYTES counts. */
static size_t
job_text_bytes(const Jobs__V1__Job *j)
{
	const ProtobufCMessageDescriptor *d = &jobs__v1__job__descriptor;
	size_t n = 0;

	if (j == NULL)
		return 0;
	for (unsigned i = 0; i < d->n_fields; i++)
		if (d->fields[i].type == PROTOBUF_C_TYPE_STRING)
			n += strlen(*(char *const *)((const char *)j + d->fields[i].offset));
	return n;
}

struct id_index {
	const char *id;
	size_t index;
};

static int
by_id_then_index(const void *a_, const void *b_)
{
	const struct id_index *a = a_, *b = b_;
	int d = strcmp(a->id, b->id);

	return d != 0 ? d : (a->index > b->index) - (a->index < b->index);
}

/* Prefixes the failure already in c->resp with the job's index. */
static int
failed_at(call *c, size_t index)
{
	char *m = arena_printf(c->arena, "jobs[%zu]: %s", index, c->resp.message);

	if (m != NULL)
		c->resp.message = m;
	return c->resp.code;
}

/* Writes the prepared jobs[0..n) (see handle_batch_create_jobs). */
static int
batch_write(call *c, const Jobs__V1__BatchCreateJobsRequest *in, Jobs__V1__Job **jobs,
            Jobs__V1__BatchJobOutcome *outs)
{
	for (size_t i = 0; i < in->n_jobs; i++) {
		Jobs__V1__BatchJobOutcome *o = &outs[i];
		int rv = store_job_insert(c->db, jobs[i], c->arena);

		if (rv == ST(ALREADY_EXISTS) && in->replace_existing) {
			rv = store_job_overwrite(c->db, jobs[i], c->arena);
			o->replaced = rv == 0;
		}
		if (rv == ST(ALREADY_EXISTS)) {
			o->code = JOBS__V1__CODE__ALREADY_EXISTS;
			o->message = arena_printf(c->arena, "a job with id '%s' already exists",
			                          jobs[i]->id);
			if (o->message == NULL)
				return call_fail(c, ST(RESOURCE_EXHAUSTED), "out of memory");
		} else if (rv != 0) {
			handler_store_failed(c, rv, "create");
			return failed_at(c, i);
		} else {
			if (!in->validate_only)
				o->etag = jobs[i]->etag;
			if ((rv = call_wrote(c, jobs[i]->id)) != 0)
				return rv;
		}
	}
	return 0;
}

int
handle_batch_create_jobs(call *c, const void *in_, void *out_)
{
	const Jobs__V1__BatchCreateJobsRequest *in = in_;
	Jobs__V1__BatchCreateJobsResponse *out = out_;
	size_t n = in->n_jobs, bytes = 0;
	Jobs__V1__Job **jobs;
	Jobs__V1__BatchJobOutcome *outs;
	struct id_index *ids;
	int rv;

	if (n > BATCH_MAX_JOBS)
		return call_fail(c, ST(INVALID_ARGUMENT),
		                 "a batch holds at most %d jobs; this one has %zu; split it",
		                 BATCH_MAX_JOBS, n);
	for (size_t i = 0; i < n; i++)
		bytes += job_text_bytes(in->jobs[i]->job);
	if (bytes > BATCH_MAX_BYTES)
		return call_fail(c, ST(RESOURCE_EXHAUSTED),
		                 "a batch holds at most %u bytes of job text; this one has %zu; "
		                 "split it",
		                 BATCH_MAX_BYTES, bytes);
	jobs = arena_alloc(c->arena, n * sizeof *jobs);
	outs = arena_alloc(c->arena, n * sizeof *outs);
	ids = arena_alloc(c->arena, n * sizeof *ids);
	out->outcomes = arena_alloc(c->arena, n * sizeof *out->outcomes);
	if (jobs == NULL || outs == NULL || ids == NULL || out->outcomes == NULL)
		return call_fail(c, ST(RESOURCE_EXHAUSTED), "out of memory");

	/* Every check first, so a bad job fails the batch before any write. */
	for (size_t i = 0; i < n; i++) {
		if ((rv = new_job_from_request(c, in->jobs[i], in->allow_unnamed, &jobs[i])) != 0)
			return failed_at(c, i);
		ids[i] = (struct id_index){jobs[i]->id, i};
		jobs__v1__batch_job_outcome__init(&outs[i]);
		outs[i].index = (int32_t)i;
		outs[i].id = jobs[i]->id;
		out->outcomes[i] = &outs[i];
	}
	out->n_outcomes = n;
	qsort(ids, n, sizeof *ids, by_id_then_index);
	for (size_t i = 1; i < n; i++)
		if (strcmp(ids[i - 1].id, ids[i].id) == 0) {
			call_fail(c, ST(INVALID_ARGUMENT), "id '%s' is also that of jobs[%zu]",
			          ids[i].id, ids[i - 1].index);
			return failed_at(c, ids[i].index);
		}

	/* validate_only: the writes happen under a savepoint of our own, undone. */
	if (in->validate_only && (rv = store_savepoint(c->db)) != 0)
		return handler_store_failed(c, rv, "validate");
	rv = batch_write(c, in, jobs, outs);
	if (in->validate_only) {
		int undo = store_rollback_to(c->db);
		if (undo != 0 && rv == 0)
			rv = handler_store_failed(c, undo, "validate");
	}
	return rv;
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

/* ---- Backup and Check -------------------------------------------------------- */

/*
 * Backup writes only inside jobsd's backup folder (--backup-dir): callers may
 * be anyone who can reach the socket, and jobsd's user can write where they
 * should not. The name is a file name or a relative path inside the folder
 * (files_beneath: no absolute path, no "..", no symlink on the way); the
 * store creates the file with O_EXCL and links it into place, so nothing
 * existing is ever written over or through.
 */
int
handle_backup(call *c, const void *in_, void *out_)
{
	const Jobs__V1__BackupRequest *in = in_;
	Jobs__V1__BackupResponse *out = out_;
	int64_t started = clock_now_us();
	const char *dir = c->info->backup_dir;
	char path[PATH_MAX], why[512];
	int rv, e;

	/* A database server backs itself up: the store says with what. */
	if (!store_traits(c->db).file_backups) {
		rv = store_backup(c->db, in->path, &c->info->stopping, &out->bytes, &out->jobs, why,
		                  sizeof why);
		return call_fail(c, rv, "%s", why);
	}
	if (dir == NULL)
		return call_fail(c, ST(FAILED_PRECONDITION), "this jobsd has no backup folder");
	if (in->path[0] == '\0')
		return call_fail(c, ST(INVALID_ARGUMENT), "path is empty: name the backup file");
	if ((e = files_beneath(dir, in->path, FILES_NEW, path, sizeof path)) != 0) {
		if (e == EPERM || e == EACCES)
			return call_fail(
			    c, ST(PERMISSION_DENIED),
			    "path must be a file name or a relative path inside jobsd's "
			    "backup folder, with no '..' and no symlink: %s",
			    e == EPERM ? "it leaves the folder" : strerror(e));
		if (e == EEXIST)
			return call_fail(c, ST(FAILED_PRECONDITION),
			                 "%s exists in the backup folder; back up to a new name",
			                 in->path);
		if (e == ENOENT)
			return call_fail(c, ST(NOT_FOUND),
			                 "a folder of %s does not exist in the backup folder",
			                 in->path);
		if (e == EINVAL || e == ENAMETOOLONG)
			return call_fail(
			    c, ST(INVALID_ARGUMENT),
			    "path must be a plain relative path (no '.', no empty or "
			    "control-character names), at most %d bytes with the folder",
			    PATH_MAX - 1);
		return call_fail(c, ST(UNAVAILABLE), "cannot use the backup folder: %s",
		                 strerror(e));
	}
	if ((out->path = arena_strdup(c->arena, path)) == NULL)
		return call_fail(c, ST(RESOURCE_EXHAUSTED), "out of memory");
	rv =
	    store_backup(c->db, path, &c->info->stopping, &out->bytes, &out->jobs, why, sizeof why);
	if (rv != 0)
		return call_fail(c, rv, "backup to %s: %s", in->path, why);
	out->duration_ms = (clock_now_us() - started) / 1000;
	log_info("backed up %lld jobs (%lld bytes) to %s in %lld ms", (long long)out->jobs,
	         (long long)out->bytes, path, (long long)out->duration_ms);
	return 0;
}

int
handle_check(call *c, const void *in_, void *out_)
{
	Jobs__V1__CheckResponse *out = out_;
	int rv;

	(void)in_;
	rv = store_check(c->db, c->arena, 100, &out->problems, &out->n_problems, &out->jobs,
	                 &out->bytes);
	if (rv != 0)
		return handler_store_failed(c, rv, "check");
	out->ok = out->n_problems == 0;
	out->schema_version = store_schema_version(c->db);
	if (!out->ok)
		log_error("integrity check found %zu problems, the first: %s", out->n_problems,
		          out->problems[0]);
	return 0;
}
