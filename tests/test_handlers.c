/*
 * test_handlers.c: every call through the whole in-process request path,
 * bytes -> call_decode -> lanes_serve_sync (store, transaction) -> response,
 * on a temporary database. No sockets: that is test_e2e.c.
 */
#include "clock.h"
#include "dispatch.h"
#include "handlers.h"
#include "helpers.h"
#include "lanes.h"
#include "status.h"
#include "store.h"
#include "store_pg.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *dir;
static char backups[512]; /* dir/backups: info.backup_dir */
static store *db;
static arena ar;
static struct server_info info = {.version = "test", .max_message_bytes = 1 << 20};
static call cl;

static char db_path[512]; /* the database of the test */

/* A new database of the store under test (SQLite's, for handlers_sqlite). */
static void
open_new(bool sqlite)
{
	store_options o = {.sync = STORE_SYNC_OFF};
	char err[256];

	dir = tmpdir_make();
	if (sqlite)
		snprintf(db_path, sizeof db_path, "%s/jobs.db", dir);
	else
		test_db_make(dir, db_path, sizeof db_path);
	snprintf(backups, sizeof backups, "%s/backups", dir);
	cr_assert_eq(mkdir(backups, 0700), 0);
	info.backup_dir = backups;
	cr_assert_eq(dispatch_init(err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_open(&db, db_path, &o, err, sizeof err), 0, "%s", err);
	cr_assert_eq(arena_init(&ar, 4096, 64 << 20), 0);
}

static void
setup(void)
{
	open_new(false);
}

static void
setup_sqlite(void)
{
	open_new(true);
}

static void
teardown(void)
{
	store_close(db);
	arena_fini(&ar);
	test_db_drop(db_path);
	tmpdir_remove(dir);
}

/* `handlers` runs on the store under test (CTest runs this binary on each);
 * `handlers_sqlite` and `handlers_pg` hold what differs: SQLite backs up
 * into its folder, PostgreSQL refuses and names its own tools. */
TestSuite(handlers, .init = setup, .fini = teardown);
TestSuite(handlers_sqlite, .init = setup_sqlite, .fini = teardown);
TestSuite(handlers_pg, .init = setup, .fini = teardown);

/* Serves raw bytes; the response lives in `cl` until the next call. */
static Jobs__V1__Response *
serve_bytes(const void *buf, size_t len)
{
	arena_reset(&ar);
	if (call_decode(&cl, &ar, &info, buf, len, clock_now_us()) != LANE_NONE)
		lanes_serve_sync(db, &cl);
	return &cl.resp;
}

/* Serves a Request built by the test. Packs with a scratch buffer, as the
 * network would, so that the response shares nothing with it. */
static Jobs__V1__Response *
serve(Jobs__V1__Request *req)
{
	static uint8_t buf[16 << 20];
	size_t n = jobs__v1__request__get_packed_size(req);

	cr_assert_leq(n, sizeof buf);
	jobs__v1__request__pack(req, buf);
	return serve_bytes(buf, n);
}

/* CreateJob. A job must have a name: tests about other things get one here
 * (named in the mask too when there is a mask); create_raw() sends as is. */
static Jobs__V1__Response *
create_raw(Jobs__V1__Job *job, char **mask, size_t n_mask)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__CreateJobRequest in = JOBS__V1__CREATE_JOB_REQUEST__INIT;

	in.job = job;
	in.field_mask = mask;
	in.n_field_mask = n_mask;
	req.call_case = JOBS__V1__REQUEST__CALL_CREATE_JOB;
	req.create_job = &in;
	return serve(&req);
}

static Jobs__V1__Response *
create(Jobs__V1__Job *job, char **mask, size_t n_mask)
{
	char *named[64];

	if (job == NULL || *job->job_name != '\0')
		return create_raw(job, mask, n_mask);
	job->job_name = (char *)"a job";
	if (n_mask == 0)
		return create_raw(job, mask, n_mask);
	cr_assert_lt(n_mask, 64);
	memcpy(named, mask, n_mask * sizeof *mask);
	named[n_mask] = (char *)"job_name";
	return create_raw(job, named, n_mask + 1);
}

static Jobs__V1__Response *
get(const char *id)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__GetJobRequest in = JOBS__V1__GET_JOB_REQUEST__INIT;

	in.id = (char *)id;
	req.call_case = JOBS__V1__REQUEST__CALL_GET_JOB;
	req.get_job = &in;
	return serve(&req);
}

static Jobs__V1__Response *
update(Jobs__V1__Job *job, char **mask, size_t n_mask, const char *etag)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__UpdateJobRequest in = JOBS__V1__UPDATE_JOB_REQUEST__INIT;

	in.job = job;
	in.update_mask = mask;
	in.n_update_mask = n_mask;
	if (etag != NULL)
		in.expected_etag = (char *)etag;
	req.call_case = JOBS__V1__REQUEST__CALL_UPDATE_JOB;
	req.update_job = &in;
	return serve(&req);
}

static Jobs__V1__Response *delete (const char *id, const char *etag)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__DeleteJobRequest in = JOBS__V1__DELETE_JOB_REQUEST__INIT;

	in.id = (char *)id;
	if (etag != NULL)
		in.expected_etag = (char *)etag;
	req.call_case = JOBS__V1__REQUEST__CALL_DELETE_JOB;
	req.delete_job = &in;
	return serve(&req);
}

static Jobs__V1__Response *
list(int page_size, const char *token)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__ListJobsRequest in = JOBS__V1__LIST_JOBS_REQUEST__INIT;

	in.page_size = page_size;
	if (token != NULL)
		in.page_token = (char *)token;
	req.call_case = JOBS__V1__REQUEST__CALL_LIST_JOBS;
	req.list_jobs = &in;
	return serve(&req);
}

#define assert_code(resp, want)                                                                    \
	cr_assert_eq((resp)->code, ST(want), "code %s, message: %s", status_name((resp)->code),    \
	             (resp)->message)

/* Creates job `id` with a name; asserts success; returns its etag (static). */
static const char *
create_named(const char *id, const char *name)
{
	static char etag[32];
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	Jobs__V1__Response *r;

	j.id = (char *)id;
	j.job_name = (char *)name;
	r = create(&j, NULL, 0);
	assert_code(r, OK);
	snprintf(etag, sizeof etag, "%s", r->create_job->job->etag);
	return etag;
}

/* ---- the envelope ------------------------------------------------------- */

Test(handlers, malformed_bytes_are_invalid_argument)
{
	static const char junk[] = "this is not protobuf \xff\xff\xff";
	Jobs__V1__Response *r = serve_bytes(junk, sizeof junk - 1);

	assert_code(r, INVALID_ARGUMENT);
	cr_assert(strncmp(r->message, "bad request", 11) == 0, "%s", r->message);
	cr_assert_eq(r->result_case, JOBS__V1__RESPONSE__RESULT__NOT_SET);
}

Test(handlers, a_request_without_a_call)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;

	req.request_id = "r-1";
	Jobs__V1__Response *r = serve(&req);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert_str_eq(r->request_id, "r-1");
	cr_assert_str_eq(r->message, "the request names no call");
}

Test(handlers, an_unknown_call_is_unimplemented)
{
	/* Field 99 of Request, a message: a call from a newer client. */
	static const uint8_t bytes[] = {(99 << 3 & 0x7f) | 0x80 | 2, 99 >> 4, 0};
	Jobs__V1__Response *r = serve_bytes(bytes, sizeof bytes);

	assert_code(r, UNIMPLEMENTED);
	cr_assert(strstr(r->message, "99") != NULL, "%s", r->message);
}

Test(handlers, request_id_is_echoed_and_bounded)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__HealthRequest h = JOBS__V1__HEALTH_REQUEST__INIT;
	char long_id[200];

	req.call_case = JOBS__V1__REQUEST__CALL_HEALTH;
	req.health = &h;
	req.request_id = "abc-123";
	assert_code(serve(&req), OK);
	cr_assert_str_eq(cl.resp.request_id, "abc-123");
	memset(long_id, 'x', sizeof long_id - 1);
	long_id[sizeof long_id - 1] = '\0';
	req.request_id = long_id;
	assert_code(serve(&req), INVALID_ARGUMENT);
}

Test(handlers, a_late_request_is_not_started)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__CreateJobRequest in = JOBS__V1__CREATE_JOB_REQUEST__INIT;
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;

	j.id = "late";
	j.job_name = "late";
	in.job = &j;
	req.call_case = JOBS__V1__REQUEST__CALL_CREATE_JOB;
	req.create_job = &in;
	req.deadline_ms = clock_now_us() / 1000 - 5;
	assert_code(serve(&req), DEADLINE_EXCEEDED);
	assert_code(get("late"), NOT_FOUND);
	req.deadline_ms = clock_now_us() / 1000 + 60000;
	assert_code(serve(&req), OK);
}

Test(handlers, invalid_utf8_and_nul_in_any_field)
{
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;

	j.hook = "caf\xc3";
	Jobs__V1__Response *r = create(&j, NULL, 0);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert(strstr(r->message, "create_job.job.hook") != NULL, "%s", r->message);

	/* An embedded NUL cannot be built through C strings: patch the bytes. */
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__CreateJobRequest in = JOBS__V1__CREATE_JOB_REQUEST__INIT;
	uint8_t buf[256];
	size_t n;
	char *at;

	j.hook = "abcXdef";
	in.job = &j;
	req.call_case = JOBS__V1__REQUEST__CALL_CREATE_JOB;
	req.create_job = &in;
	n = jobs__v1__request__pack(&req, buf);
	at = memmem(buf, n, "abcXdef", 7);
	cr_assert_not_null(at);
	at[3] = '\0';
	r = serve_bytes(buf, n);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert(strstr(r->message, "NUL") != NULL, "%s", r->message);
	assert_code(list(0, NULL), OK);
	cr_assert_eq(cl.resp.list_jobs->n_jobs, 0, "nothing half-written");
}

/* The store still answers after hostile input. */
static Jobs__V1__Response *
tables_intact(void)
{
	return list(1, NULL);
}

/* ---- CreateJob -------------------------------------------------------------- */

Test(handlers, create_fills_id_times_and_defaults)
{
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	Jobs__V1__Response *r;
	int64_t before = clock_now_us();

	j.job_name = "Summer";
	r = create(&j, NULL, 0);
	assert_code(r, OK);
	Jobs__V1__Job *out = r->create_job->job;
	cr_assert_eq(strlen(out->id), 36, "a UUID: %s", out->id);
	cr_assert_eq(out->id[8], '-');
	/* Version 7: the creation time in Unix milliseconds first. */
	cr_assert_eq(out->id[14], '7', "version 7: %s", out->id);
	cr_assert(strchr("89ab", out->id[19]) != NULL, "RFC 9562 variant: %s", out->id);
	char hex[13];
	memcpy(hex, out->id, 8);
	memcpy(hex + 8, out->id + 9, 4);
	hex[12] = '\0';
	cr_assert_eq((int64_t)strtoull(hex, NULL, 16), out->created_at / 1000, "%s", out->id);
	cr_assert_str_eq(out->language, "English");
	cr_assert(out->enabled);
	cr_assert_geq(out->created_at, before);
	cr_assert_eq(out->updated_at, out->created_at);
	cr_assert_str_neq(out->etag, "");
	cr_assert_str_eq(out->job_name, "Summer");
}

Test(handlers, new_ids_sort_in_the_order_jobs_were_made)
{
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	char prev[40] = "";

	/* Apart by more than a millisecond: within one, the random bits order. */
	for (int i = 0; i < 5; i++) {
		Jobs__V1__Response *r = create(&j, NULL, 0);
		assert_code(r, OK);
		cr_assert_gt(strcmp(r->create_job->job->id, prev), 0, "%s after %s",
		             r->create_job->job->id, prev);
		snprintf(prev, sizeof prev, "%s", r->create_job->job->id);
		/* The next one in a later millisecond than this one's. */
		int64_t made_ms = r->create_job->job->created_at / 1000;
		while (clock_now_us() / 1000 <= made_ms)
			usleep(100);
	}
}

Test(handlers, create_with_a_mask_can_set_defaults_away)
{
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	char *mask[] = {"id", "enabled", "language"};

	j.id = "off";
	j.enabled = false;
	j.language = "";
	assert_code(create(&j, mask, 3), OK);
	Jobs__V1__Job *out = cl.resp.create_job->job;
	cr_assert(!out->enabled);
	cr_assert_str_eq(out->language, "");
}

Test(handlers, create_keeps_given_timestamps)
{
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;

	j.id = "old";
	j.created_at = 1600000000000000;
	assert_code(create(&j, NULL, 0), OK);
	cr_assert_eq(cl.resp.create_job->job->created_at, 1600000000000000);
	cr_assert_eq(cl.resp.create_job->job->updated_at, 1600000000000000);
}

Test(handlers, create_duplicate_is_already_exists)
{
	create_named("same", "one");
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;

	j.id = "same";
	Jobs__V1__Response *r = create(&j, NULL, 0);
	assert_code(r, ALREADY_EXISTS);
	cr_assert(strstr(r->message, "'same'") != NULL, "%s", r->message);
	assert_code(get("same"), OK);
	cr_assert_str_eq(cl.resp.get_job->job->job_name, "one", "the original is untouched");
}

Test(handlers, create_refuses_invalid_fields)
{
	static struct {
		const char *field, *value, *want;
	} cases[] = {
	    {"id", "has space", "character outside"},
	    {"id", ".dot", "starts with '.'"},
	    {"enhanced_settings", "{\"a\":", "enhanced_settings is not valid JSON"},
	    {"extra", "[1]", "extra is a JSON array, not an object"},
	};
	static char big[20000];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		Jobs__V1__Job j = JOBS__V1__JOB__INIT;
		char *mask[] = {(char *)cases[i].field};
		const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
		    &jobs__v1__job__descriptor, cases[i].field);

		*(const char **)((char *)&j + f->offset) = cases[i].value;
		Jobs__V1__Response *r = create(&j, mask, 1);
		assert_code(r, INVALID_ARGUMENT);
		cr_assert(strstr(r->message, cases[i].want) != NULL, "%s: %s", cases[i].field,
		          r->message);
	}
	memset(big, 'h', 19999);
	big[19999] = '\0';
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	j.hook = big;
	Jobs__V1__Response *r = create(&j, NULL, 0);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert(strstr(r->message, "hook is 19999 bytes long; the limit is 16384") != NULL, "%s",
	          r->message);
	assert_code(list(0, NULL), OK);
	cr_assert_eq(cl.resp.list_jobs->n_jobs, 0);
}

Test(handlers, masks_name_real_settable_fields)
{
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	char *unknown[] = {"colour"}, *etag[] = {"etag"};

	Jobs__V1__Response *r = create(&j, unknown, 1);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert(strstr(r->message, "'colour' is not a Job field") != NULL, "%s", r->message);
	r = create(&j, etag, 1);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert(strstr(r->message, "etag is set by the server only") != NULL, "%s", r->message);
}

Test(handlers, json_fields_are_kept_as_given)
{
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	const char *settings =
	    "{\"big\":9223372036854775807,\"f\":0.1,\"deep\":[[[[{\"x\":null}]]]],"
	    "\"u\":\"\\u00e9t\\u00e9\"}";

	j.id = "json";
	j.enhanced_settings = (char *)settings;
	j.extra = "{\"tags\":[\"a\"],\"schedule\":{\"cron\":\"0 9 * * 1\"},\"extra\":true}";
	assert_code(create(&j, NULL, 0), OK);
	assert_code(get("json"), OK);
	cr_assert_str_eq(cl.resp.get_job->job->enhanced_settings, settings);
	cr_assert_str_eq(cl.resp.get_job->job->extra, j.extra);
}

/* jobsd keeps only what its own tools read back (jansson, issue 19): an
 * integer past int64 would stop `jobsctl export` at this job. */
Test(handlers, json_the_tools_cannot_read_back_is_refused_naming_the_field)
{
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	Jobs__V1__Response *r;

	j.id = "big";
	j.enhanced_settings = "{\"n\":9877453312372561764}";
	r = create(&j, NULL, 0);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert(strstr(r->message, "enhanced_settings is not valid JSON: too big integer") ==
	              r->message,
	          "%s", r->message);
	j.enhanced_settings = "";
	j.extra = "{\"x\":[1e999]}";
	r = create(&j, NULL, 0);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert(strstr(r->message, "extra is not valid JSON") == r->message, "%s", r->message);
	assert_code(get("big"), NOT_FOUND);
}

/* ---- GetJob, UpdateJob, DeleteJob --------------------------------------- */

Test(handlers, get_unknown_and_invalid_ids)
{
	Jobs__V1__Response *r = get("missing");

	assert_code(r, NOT_FOUND);
	cr_assert_str_eq(r->message, "no job with id 'missing'");
	assert_code(get(""), INVALID_ARGUMENT);
	assert_code(get("a/b"), INVALID_ARGUMENT);
}

Test(handlers, update_changes_only_masked_fields)
{
	Jobs__V1__Job j = JOBS__V1__JOB__INIT, *before, *after;
	char *mask[] = {"product", "enabled", "persona"};
	const char *etag = create_named("u1", "Name");

	assert_code(get("u1"), OK);
	before = cl.resp.get_job->job;
	int64_t created = before->created_at, updated = before->updated_at;

	j.id = "u1";
	j.product = "Lamp";
	j.enabled = false;
	j.persona = "";
	j.job_name = "ignored: not in the mask";
	assert_code(update(&j, mask, 3, etag), OK);
	after = cl.resp.update_job->job;
	cr_assert_str_eq(after->product, "Lamp");
	cr_assert(!after->enabled);
	cr_assert_str_eq(after->job_name, "Name");
	cr_assert_eq(after->created_at, created);
	cr_assert_gt(after->updated_at, updated);
	cr_assert_str_neq(after->etag, etag);
}

Test(handlers, update_without_mask_sets_what_is_set)
{
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;

	create_named("u2", "Name");
	j.id = "u2";
	j.hook = "New hook";
	j.created_at = 5; /* output-only here: ignored without a mask */
	assert_code(update(&j, NULL, 0, NULL), OK);
	cr_assert_str_eq(cl.resp.update_job->job->hook, "New hook");
	cr_assert_str_eq(cl.resp.update_job->job->job_name, "Name");
	cr_assert_neq(cl.resp.update_job->job->created_at, 5);
}

Test(handlers, update_refuses_immutable_fields_and_bad_etags)
{
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	char *ids[] = {"id"}, *created[] = {"created_at"}, *name[] = {"job_name"};

	create_named("u3", "Name");
	j.id = "u3";
	assert_code(update(&j, ids, 1, NULL), INVALID_ARGUMENT);
	assert_code(update(&j, created, 1, NULL), INVALID_ARGUMENT);
	cr_assert(strstr(cl.resp.message, "created_at cannot be changed") != NULL, "%s",
	          cl.resp.message);
	assert_code(update(NULL, NULL, 0, NULL), INVALID_ARGUMENT);
	j.id = "nobody";
	assert_code(update(&j, name, 1, NULL), NOT_FOUND);
}

/* jobs.proto, Job.etag: an expected_etag jobsd never issues is the caller's
 * bug, INVALID_ARGUMENT (never worth a retry); a real etag that is not the
 * job's any more is a lost race, ABORTED (re-read and retry). */
Test(handlers, a_malformed_etag_is_invalid_a_stale_one_aborted)
{
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	char *name[] = {"job_name"};
	const char *bad[] = {"not-an-etag", "-1", "0", "1.5", " 1", "99999999999999999999999"};
	const char *etag = create_named("e1", "Name");
	char stale[32];

	snprintf(stale, sizeof stale, "%s", etag);
	j.id = "e1";
	j.job_name = "Renamed";
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		Jobs__V1__Response *r = update(&j, name, 1, bad[i]);
		assert_code(r, INVALID_ARGUMENT);
		cr_assert(strstr(r->message, "is not an etag") != NULL, "%s", r->message);
		assert_code(delete ("e1", bad[i]), INVALID_ARGUMENT);
	}
	assert_code(update(&j, name, 1, etag), OK);
	assert_code(update(&j, name, 1, stale), ABORTED);
	assert_code(delete ("e1", stale), ABORTED);
	assert_code(get("e1"), OK);
}

Test(handlers, update_with_a_stale_etag_is_aborted_and_changes_nothing)
{
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	char *name[] = {"job_name"};
	char first[32];

	snprintf(first, sizeof first, "%s", create_named("race", "v1"));
	j.id = "race";
	j.job_name = "v2";
	assert_code(update(&j, name, 1, first), OK);
	j.job_name = "v3";
	Jobs__V1__Response *r = update(&j, name, 1, first);
	assert_code(r, ABORTED);
	cr_assert(strstr(r->message, "not the expected") != NULL, "%s", r->message);
	assert_code(get("race"), OK);
	cr_assert_str_eq(cl.resp.get_job->job->job_name, "v2");
}

Test(handlers, delete_unknown_stale_and_done)
{
	char etag[32];

	assert_code(delete ("ghost", NULL), NOT_FOUND);
	snprintf(etag, sizeof etag, "%s", create_named("del", "x"));
	assert_code(delete ("del", "12345"), ABORTED);
	assert_code(get("del"), OK);
	assert_code(delete ("del", etag), OK);
	assert_code(get("del"), NOT_FOUND);
	assert_code(delete ("del", NULL), NOT_FOUND);
}

/* ---- ListJobs ----------------------------------------------------------------- */

Test(handlers, list_page_sizes)
{
	char id[16];

	for (int i = 0; i < 60; i++) {
		snprintf(id, sizeof id, "p%02d", i);
		create_named(id, "x");
	}
	assert_code(list(0, NULL), OK);
	cr_assert_eq(cl.resp.list_jobs->n_jobs, LIST_DEFAULT_PAGE_SIZE);
	cr_assert_str_neq(cl.resp.list_jobs->next_page_token, "");
	assert_code(list(5000, NULL), OK);
	cr_assert_eq(cl.resp.list_jobs->n_jobs, 60, "large sizes are coerced, not refused");
	cr_assert_str_eq(cl.resp.list_jobs->next_page_token, "");
	assert_code(list(-1, NULL), INVALID_ARGUMENT);
}

Test(handlers, list_pages_survive_writes_between_them)
{
	char id[16], token[256];
	int seen[20] = {0};
	size_t total = 0;

	for (int i = 0; i < 10; i++) {
		snprintf(id, sizeof id, "w%02d", i);
		create_named(id, "x");
	}
	assert_code(list(4, NULL), OK);
	for (size_t i = 0; i < cl.resp.list_jobs->n_jobs; i++)
		seen[atoi(cl.resp.list_jobs->jobs[i]->id + 1)]++, total++;
	snprintf(token, sizeof token, "%s", cl.resp.list_jobs->next_page_token);

	/* Between pages: a newer job arrives, one not yet listed goes away. */
	create_named("w10", "new");
	int gone = -1;
	for (int i = 9; i >= 0; i--)
		if (seen[i] == 0) {
			gone = i;
			break;
		}
	snprintf(id, sizeof id, "w%02d", gone);
	assert_code(delete (id, NULL), OK);

	while (*token != '\0') {
		assert_code(list(4, token), OK);
		for (size_t i = 0; i < cl.resp.list_jobs->n_jobs; i++)
			seen[atoi(cl.resp.list_jobs->jobs[i]->id + 1)]++, total++;
		snprintf(token, sizeof token, "%s", cl.resp.list_jobs->next_page_token);
	}
	for (int i = 0; i < 10; i++)
		cr_assert_eq(seen[i], i == gone ? 0 : 1, "job %d seen %d times", i, seen[i]);
	cr_assert_eq(seen[10], 0, "newer than the listing's start: not in later pages");
	cr_assert_eq(total, 9);
}

Test(handlers, tampered_page_tokens_are_refused)
{
	const char *bad[] = {"not base64!", "AAAA", "////", "\"; DROP TABLE jobs; --"};
	char token[256];

	for (int i = 0; i < 5; i++) {
		char id[8];
		snprintf(id, sizeof id, "t%d", i);
		create_named(id, "x");
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		Jobs__V1__Response *r = list(2, bad[i]);
		assert_code(r, INVALID_ARGUMENT);
		cr_assert_str_eq(r->message, "page_token is not one this server issued");
	}
	/* A flipped character may still decode to some position: then it is a
	 * position like any other, never a failure of the server. */
	assert_code(list(2, NULL), OK);
	snprintf(token, sizeof token, "%s", cl.resp.list_jobs->next_page_token);
	for (size_t i = 0; token[i] != '\0'; i++) {
		char saved = token[i];
		token[i] = saved == 'A' ? 'B' : 'A';
		Jobs__V1__Response *r = list(2, token);
		cr_assert(r->code == ST(OK) || r->code == ST(INVALID_ARGUMENT), "%s: %s", token,
		          r->message);
		token[i] = saved;
	}
	assert_code(tables_intact(), OK);
}

/* ---- Health and group commits ------------------------------------------------- */

Test(handlers, health)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__HealthRequest h = JOBS__V1__HEALTH_REQUEST__INIT;

	req.call_case = JOBS__V1__REQUEST__CALL_HEALTH;
	req.health = &h;
	Jobs__V1__Response *r = serve(&req);
	assert_code(r, OK);
	cr_assert_str_eq(r->health->status, "SERVING");
	cr_assert_str_eq(r->health->version, "test");
	cr_assert_eq(r->health->schema_version, store_schema_version(db));
	cr_assert_eq(r->health->schema_version,
	             test_store_is_pg() ? STORE_PG_SCHEMA_VERSION : STORE_SCHEMA_VERSION);
	cr_assert_eq(r->health->max_message_bytes, 1 << 20);
}

Test(handlers, a_failed_call_in_a_group_commit_undoes_only_itself)
{
	static uint8_t bufs[3][256];
	static const char *ids[3] = {"g1", "g1", "g2"}; /* the second is a duplicate */
	call calls[3];
	call *ptrs[3];
	arena arenas[3];

	for (int i = 0; i < 3; i++) {
		Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
		Jobs__V1__CreateJobRequest in = JOBS__V1__CREATE_JOB_REQUEST__INIT;
		Jobs__V1__Job j = JOBS__V1__JOB__INIT;
		size_t n;

		j.id = (char *)ids[i];
		j.job_name = "grouped";
		in.job = &j;
		req.call_case = JOBS__V1__REQUEST__CALL_CREATE_JOB;
		req.create_job = &in;
		n = jobs__v1__request__pack(&req, bufs[i]);
		cr_assert_eq(arena_init(&arenas[i], 1024, 0), 0);
		cr_assert_eq(call_decode(&calls[i], &arenas[i], &info, bufs[i], n, clock_now_us()),
		             LANE_WRITE);
		ptrs[i] = &calls[i];
	}
	lanes_write_group(db, ptrs, 3);
	assert_code(&calls[0].resp, OK);
	assert_code(&calls[1].resp, ALREADY_EXISTS);
	assert_code(&calls[2].resp, OK);
	assert_code(get("g1"), OK);
	assert_code(get("g2"), OK);
	for (int i = 0; i < 3; i++)
		arena_fini(&arenas[i]);
}

/* ---- idempotent writes (AIP-155) ---------------------------------------- */

/* Serves a request with request_id `rid` around call `field` = `msg`. */
static Jobs__V1__Response *
serve_rid(const char *rid, unsigned field, ProtobufCMessage *msg)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(&jobs__v1__request__descriptor, field);

	req.request_id = (char *)rid;
	*(ProtobufCMessage **)((char *)&req + f->offset) = msg;
	*(uint32_t *)((char *)&req + f->quantifier_offset) = field;
	return serve(&req);
}

Test(handlers, a_repeated_create_gets_the_first_answer_and_writes_once)
{
	Jobs__V1__CreateJobRequest in = JOBS__V1__CREATE_JOB_REQUEST__INIT;
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	char id[64], etag[32];

	j.job_name = "once"; /* no id: the server picks one, so a re-run would make two */
	in.job = &j;
	assert_code(serve_rid("req-1", JOBS__V1__REQUEST__CALL_CREATE_JOB, &in.base), OK);
	snprintf(id, sizeof id, "%s", cl.resp.create_job->job->id);
	snprintf(etag, sizeof etag, "%s", cl.resp.create_job->job->etag);
	assert_code(serve_rid("req-1", JOBS__V1__REQUEST__CALL_CREATE_JOB, &in.base), OK);
	cr_assert_str_eq(cl.resp.create_job->job->id, id);
	cr_assert_str_eq(cl.resp.create_job->job->etag, etag);
	cr_assert_str_eq(cl.resp.request_id, "req-1");
	assert_code(list(0, NULL), OK);
	cr_assert_eq(cl.resp.list_jobs->n_jobs, 1, "written once");

	/* Without a request_id nothing is remembered: two jobs. */
	assert_code(serve_rid("", JOBS__V1__REQUEST__CALL_CREATE_JOB, &in.base), OK);
	assert_code(serve_rid("", JOBS__V1__REQUEST__CALL_CREATE_JOB, &in.base), OK);
	assert_code(list(0, NULL), OK);
	cr_assert_eq(cl.resp.list_jobs->n_jobs, 3);
}

Test(handlers, a_request_id_reused_for_another_request_is_refused)
{
	Jobs__V1__CreateJobRequest a = JOBS__V1__CREATE_JOB_REQUEST__INIT, b = a;
	Jobs__V1__Job ja = JOBS__V1__JOB__INIT, jb = JOBS__V1__JOB__INIT;
	Jobs__V1__DeleteJobRequest d = JOBS__V1__DELETE_JOB_REQUEST__INIT;

	ja.id = "a";
	jb.id = "b";
	ja.job_name = jb.job_name = "a or b";
	a.job = &ja;
	b.job = &jb;
	d.id = "a";
	assert_code(serve_rid("same", JOBS__V1__REQUEST__CALL_CREATE_JOB, &a.base), OK);
	Jobs__V1__Response *r = serve_rid("same", JOBS__V1__REQUEST__CALL_CREATE_JOB, &b.base);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert(strstr(r->message, "already used for a different request") != NULL, "%s",
	          r->message);
	assert_code(serve_rid("same", JOBS__V1__REQUEST__CALL_DELETE_JOB, &d.base),
	            INVALID_ARGUMENT);
	assert_code(get("b"), NOT_FOUND);
	assert_code(get("a"), OK);
}

Test(handlers, failed_writes_are_not_remembered)
{
	Jobs__V1__CreateJobRequest in = JOBS__V1__CREATE_JOB_REQUEST__INIT;
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;

	create_named("taken", "x");
	j.id = "taken";
	j.job_name = "x";
	in.job = &j;
	assert_code(serve_rid("r-fail", JOBS__V1__REQUEST__CALL_CREATE_JOB, &in.base),
	            ALREADY_EXISTS);
	assert_code(delete ("taken", NULL), OK);
	assert_code(serve_rid("r-fail", JOBS__V1__REQUEST__CALL_CREATE_JOB, &in.base), OK);
}

Test(handlers, repeated_updates_and_deletes_answer_as_the_first_time)
{
	Jobs__V1__UpdateJobRequest u = JOBS__V1__UPDATE_JOB_REQUEST__INIT;
	Jobs__V1__DeleteJobRequest d = JOBS__V1__DELETE_JOB_REQUEST__INIT;
	Jobs__V1__Job j = JOBS__V1__JOB__INIT, j3 = JOBS__V1__JOB__INIT;
	char *mask[] = {"job_name"};

	create_named("u", "v1");
	j.id = "u";
	j.job_name = "v2";
	u.job = &j;
	u.update_mask = mask;
	u.n_update_mask = 1;
	assert_code(serve_rid("up-1", JOBS__V1__REQUEST__CALL_UPDATE_JOB, &u.base), OK);
	j3.id = "u";
	j3.job_name = "v3";
	assert_code(update(&j3, mask, 1, NULL), OK);
	/* The retry of the first update does not undo the second. */
	assert_code(serve_rid("up-1", JOBS__V1__REQUEST__CALL_UPDATE_JOB, &u.base), OK);
	cr_assert_str_eq(cl.resp.update_job->job->job_name, "v2", "the first answer");
	assert_code(get("u"), OK);
	cr_assert_str_eq(cl.resp.get_job->job->job_name, "v3", "not applied twice");

	d.id = "u";
	assert_code(serve_rid("del-1", JOBS__V1__REQUEST__CALL_DELETE_JOB, &d.base), OK);
	assert_code(serve_rid("del-1", JOBS__V1__REQUEST__CALL_DELETE_JOB, &d.base), OK);
	assert_code(serve_rid("del-2", JOBS__V1__REQUEST__CALL_DELETE_JOB, &d.base), NOT_FOUND);
}

/* ---- fuzzer regressions ----------------------------------------------------- */

#include <dirent.h>

/* ---- Backup ------------------------------------------------------------- */

static Jobs__V1__Response *
backup(const char *path)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__BackupRequest in = JOBS__V1__BACKUP_REQUEST__INIT;

	in.path = (char *)path;
	req.call_case = JOBS__V1__REQUEST__CALL_BACKUP;
	req.backup = &in;
	return serve(&req);
}

Test(handlers_sqlite, backup_writes_inside_its_folder_and_nowhere_else)
{
	char path[800], out[700];
	struct stat sb;
	Jobs__V1__Response *r;

	create_named("b-1", "one");
	r = backup("copy.db");
	assert_code(r, OK);
	snprintf(path, sizeof path, "%s/copy.db", backups);
	cr_assert_str_eq(r->backup->path, path);
	cr_assert_eq(r->backup->jobs, 1);
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(r->backup->bytes, sb.st_size);

	snprintf(path, sizeof path, "%s/daily", backups);
	cr_assert_eq(mkdir(path, 0700), 0);
	assert_code(backup("daily/copy.db"), OK);
	assert_code(backup("copy.db"), FAILED_PRECONDITION);
	assert_code(backup("weekly/copy.db"), NOT_FOUND);
	assert_code(backup(""), INVALID_ARGUMENT);
	assert_code(backup("a//b.db"), INVALID_ARGUMENT);

	/* Every way out is PERMISSION_DENIED, and writes nothing. */
	snprintf(out, sizeof out, "%s/outside", dir);
	cr_assert_eq(mkdir(out, 0700), 0);
	snprintf(path, sizeof path, "%s/out", backups);
	cr_assert_eq(symlink(out, path), 0);
	snprintf(path, sizeof path, "%s/new.db", backups);
	cr_assert_eq(symlink("../outside/new.db", path), 0);
	snprintf(path, sizeof path, "%s/abs.db", out);
	const char *escapes[] = {path, "../outside/x.db", "daily/../../outside/x.db", "out/x.db",
	                         "new.db"};
	for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
		r = backup(escapes[i]);
		assert_code(r, PERMISSION_DENIED);
		cr_assert(strstr(r->message, "backup folder") != NULL, "%s", r->message);
	}
	const char *ls[] = {"/bin/sh", "-c", "ls -A \"$0\" | wc -l", out, NULL};
	struct run l = run_cmd(ls, NULL, NULL);
	cr_assert_eq(atoi(l.out), 0, "nothing was written outside: %s", l.out);
	run_free(&l);
}

Test(handlers_sqlite, backup_without_a_folder_is_refused)
{
	info.backup_dir = NULL;
	Jobs__V1__Response *r = backup("copy.db");
	assert_code(r, FAILED_PRECONDITION);
	cr_assert(strstr(r->message, "no backup folder") != NULL, "%s", r->message);
}

/* PostgreSQL's own tools back it up; jobsd says which, and writes nothing. */
Test(handlers_pg, backup_names_the_tools_of_postgresql)
{
	char path[600];
	struct stat sb;

	create_named("b-1", "one");
	for (int with_folder = 0; with_folder < 2; with_folder++) {
		info.backup_dir = with_folder ? backups : NULL;
		Jobs__V1__Response *r = backup("copy.db");
		assert_code(r, FAILED_PRECONDITION);
		cr_assert(strstr(r->message, "pg_dump") != NULL, "%s", r->message);
		cr_assert(strstr(r->message, "pg_basebackup") != NULL, "%s", r->message);
	}
	snprintf(path, sizeof path, "%s/copy.db", backups);
	cr_assert_neq(stat(path, &sb), 0, "nothing was written");
}

Test(handlers, every_fuzzer_regression_gets_a_well_formed_answer)
{
	DIR *regressions = opendir(TEST_DATA_DIR "/fuzz-regressions");
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(regressions);
	while ((e = readdir(regressions)) != NULL) {
		char path[1024], *bytes;
		size_t len;

		if (strstr(e->d_name, ".bin") == NULL)
			continue;
		snprintf(path, sizeof path, "%s/fuzz-regressions/%s", TEST_DATA_DIR, e->d_name);
		bytes = read_file(path, &len);
		cr_assert_not_null(bytes, "%s", path);
		/* read_file stops at a NUL for its length: use the file's real size. */
		FILE *f = fopen(path, "rb");
		fseek(f, 0, SEEK_END);
		len = (size_t)ftell(f);
		fclose(f);
		Jobs__V1__Response *r = serve_bytes(bytes, len);
		cr_assert_neq(r->code, ST(INTERNAL), "%s: %s", e->d_name, r->message);
		if (r->code != ST(OK))
			cr_assert_str_neq(r->message, "", "%s: an error without a message",
			                  e->d_name);
		free(bytes);
		n++;
	}
	closedir(regressions);
	cr_assert_gt(n, 0, "no regression inputs found");
}

Test(handlers, deep_or_huge_settings_are_refused_with_a_reason)
{
	static char deep[200001], huge[300000];
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	Jobs__V1__Response *r;

	memset(deep, '[', 100000);
	memset(deep + 100000, ']', 100000);
	j.id = "deep";
	j.enhanced_settings = deep;
	r = create(&j, NULL, 0);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert(strstr(r->message, "enhanced_settings") != NULL, "%s", r->message);

	memset(huge, ' ', sizeof huge - 3);
	huge[0] = '"';
	huge[sizeof huge - 2] = '"';
	j.id = "huge";
	j.enhanced_settings = huge;
	r = create(&j, NULL, 0);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert(strstr(r->message, "the limit is 262144") != NULL, "%s", r->message);
	assert_code(list(0, NULL), OK);
	cr_assert_eq(cl.resp.list_jobs->n_jobs, 0);
}

/* ---- BatchCreateJobs ----------------------------------------------------- */

/* A batch of jobs[0..n) (ids; NULL: none; names NULL: one for all), with
 * flags. */
static Jobs__V1__Response *
batch(const char *const *ids, const char *const *names, size_t n, bool replace, bool validate)
{
	static Jobs__V1__Job jobs[2100];
	static Jobs__V1__CreateJobRequest reqs[2100];
	static Jobs__V1__CreateJobRequest *reqp[2100];
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__BatchCreateJobsRequest in = JOBS__V1__BATCH_CREATE_JOBS_REQUEST__INIT;

	cr_assert_leq(n, 2100);
	for (size_t i = 0; i < n; i++) {
		jobs__v1__job__init(&jobs[i]);
		jobs__v1__create_job_request__init(&reqs[i]);
		if (ids[i] != NULL)
			jobs[i].id = (char *)ids[i];
		/* Named, as jobs must be (unless the batch allows otherwise). */
		jobs[i].job_name = (char *)(names != NULL ? names[i] : "a batch job");
		reqs[i].job = &jobs[i];
		reqp[i] = &reqs[i];
	}
	in.jobs = reqp;
	in.n_jobs = n;
	in.replace_existing = replace;
	in.validate_only = validate;
	req.call_case = JOBS__V1__REQUEST__CALL_BATCH_CREATE_JOBS;
	req.batch_create_jobs = &in;
	return serve(&req);
}

/* The seed's schema: job_name NOT NULL. CreateJob and BatchCreateJobs refuse
 * a job without one, UpdateJob refuses to take it away; a legacy import
 * (allow_unnamed) keeps its nameless jobs, which stay updatable. */
Test(handlers, every_job_has_a_name_but_legacy_imports)
{
	static char *name_mask[] = {"job_name"}, *product_mask[] = {"product"};
	const char *ids[] = {"legacy-1"};
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__BatchCreateJobsRequest in = JOBS__V1__BATCH_CREATE_JOBS_REQUEST__INIT;
	Jobs__V1__CreateJobRequest one = JOBS__V1__CREATE_JOB_REQUEST__INIT, *onep = &one;
	Jobs__V1__Job nameless = JOBS__V1__JOB__INIT;
	Jobs__V1__Response *r;

	j.id = "nameless";
	j.product = "Lamp";
	r = create_raw(&j, NULL, 0);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert_not_null(strstr(r->message, "job_name is required"), "%s", r->message);
	r = create_raw(&j, name_mask, 1); /* named in the mask, and empty */
	assert_code(r, INVALID_ARGUMENT);
	assert_code(get("nameless"), NOT_FOUND);

	/* A batch: refused as a whole, unless it allows nameless jobs. */
	nameless.id = (char *)ids[0];
	one.job = &nameless;
	in.jobs = &onep;
	in.n_jobs = 1;
	req.call_case = JOBS__V1__REQUEST__CALL_BATCH_CREATE_JOBS;
	req.batch_create_jobs = &in;
	r = serve(&req);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert_not_null(strstr(r->message, "jobs[0]: job_name is required"), "%s", r->message);
	assert_code(get("legacy-1"), NOT_FOUND);
	in.allow_unnamed = true;
	assert_code(serve(&req), OK);
	assert_code(get("legacy-1"), OK);
	cr_assert_str_eq(cl.resp.get_job->job->job_name, "");

	/* Its other fields change; a name can be given, not taken away. */
	j = (Jobs__V1__Job)JOBS__V1__JOB__INIT;
	j.id = "legacy-1";
	j.product = "Tent";
	assert_code(update(&j, product_mask, 1, NULL), OK);
	j.job_name = "";
	r = update(&j, name_mask, 1, NULL);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert_not_null(strstr(r->message, "job_name is required"), "%s", r->message);
	j.job_name = "Named at last";
	assert_code(update(&j, name_mask, 1, NULL), OK);
	j.job_name = "";
	assert_code(update(&j, name_mask, 1, NULL), INVALID_ARGUMENT);
	assert_code(get("legacy-1"), OK);
	cr_assert_str_eq(cl.resp.get_job->job->job_name, "Named at last");
	cr_assert_str_eq(cl.resp.get_job->job->product, "Tent");
}

Test(handlers, batch_creates_and_reports_each_job)
{
	const char *ids[] = {"b1", NULL, "b3"};
	const char *names[] = {"one", "two", "three"};
	Jobs__V1__Response *r = batch(ids, names, 3, false, false);
	Jobs__V1__BatchCreateJobsResponse *out;

	assert_code(r, OK);
	out = r->batch_create_jobs;
	cr_assert_eq(out->n_outcomes, 3);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(out->outcomes[i]->index, i);
		cr_assert_eq(out->outcomes[i]->code, JOBS__V1__CODE__OK);
		cr_assert_str_neq(out->outcomes[i]->etag, "");
	}
	cr_assert_str_eq(out->outcomes[0]->id, "b1");
	cr_assert_eq(strlen(out->outcomes[1]->id), 36, "a new UUID: %s", out->outcomes[1]->id);
	assert_code(get("b3"), OK);
	cr_assert_str_eq(cl.resp.get_job->job->job_name, "three");
	cr_assert_str_eq(cl.resp.get_job->job->language, "English", "CreateJob's defaults");
}

Test(handlers, batch_skips_taken_ids_or_replaces_them)
{
	const char *ids[] = {"t1", "t2"};
	const char *names[] = {"new one", "new two"};
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	Jobs__V1__Response *r;

	j.id = "t1";
	j.job_name = "old";
	j.created_at = 1600000000000000;
	assert_code(create(&j, NULL, 0), OK);
	r = batch(ids, names, 2, false, false);
	assert_code(r, OK);
	cr_assert_eq(r->batch_create_jobs->outcomes[0]->code, JOBS__V1__CODE__ALREADY_EXISTS);
	cr_assert(strstr(r->batch_create_jobs->outcomes[0]->message, "'t1'") != NULL);
	cr_assert_str_eq(r->batch_create_jobs->outcomes[0]->etag, "");
	cr_assert_eq(r->batch_create_jobs->outcomes[1]->code, JOBS__V1__CODE__OK);
	assert_code(get("t1"), OK);
	cr_assert_str_eq(cl.resp.get_job->job->job_name, "old", "skipped, untouched");

	r = batch(ids, names, 2, true, false);
	assert_code(r, OK);
	cr_assert_eq(r->batch_create_jobs->outcomes[0]->code, JOBS__V1__CODE__OK);
	cr_assert(r->batch_create_jobs->outcomes[0]->replaced);
	cr_assert(r->batch_create_jobs->outcomes[1]->replaced);
	assert_code(get("t1"), OK);
	cr_assert_str_eq(cl.resp.get_job->job->job_name, "new one");
	cr_assert_neq(cl.resp.get_job->job->created_at, 1600000000000000,
	              "replace overwrites created_at too");
}

Test(handlers, a_bad_job_fails_the_whole_batch)
{
	const char *ids[] = {"ok1", "bad id", "ok3"};
	const char *dup[] = {"d1", "d2", "d1"};
	Jobs__V1__Response *r = batch(ids, NULL, 3, false, false);

	assert_code(r, INVALID_ARGUMENT);
	cr_assert(strncmp(r->message, "jobs[1]: ", 9) == 0, "%s", r->message);
	assert_code(get("ok1"), NOT_FOUND);
	r = batch(dup, NULL, 3, false, false);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert(strncmp(r->message, "jobs[2]: id 'd1' is also that of jobs[0]", 40) == 0, "%s",
	          r->message);
	assert_code(get("d2"), NOT_FOUND);
	r = batch(dup, NULL, 3, true, false);
	assert_code(r, INVALID_ARGUMENT);
	assert_code(tables_intact(), OK);
	cr_assert_eq(cl.resp.list_jobs->n_jobs, 0, "nothing written");
}

Test(handlers, batch_limits)
{
	static const char *ids[BATCH_MAX_JOBS + 1];
	Jobs__V1__Response *r;

	r = batch(ids, NULL, BATCH_MAX_JOBS + 1, false, false);
	assert_code(r, INVALID_ARGUMENT);
	cr_assert(strstr(r->message, "at most 1000 jobs") != NULL, "%s", r->message);
	r = batch(ids, NULL, BATCH_MAX_JOBS, false, false);
	assert_code(r, OK);
	cr_assert_eq(r->batch_create_jobs->n_outcomes, BATCH_MAX_JOBS);
}

Test(handlers, batch_text_limit_is_resource_exhausted)
{
	static Jobs__V1__Job jobs[40];
	static Jobs__V1__CreateJobRequest reqs[40], *reqp[40];
	static char text[250 * 1024];
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__BatchCreateJobsRequest in = JOBS__V1__BATCH_CREATE_JOBS_REQUEST__INIT;
	Jobs__V1__Response *r;

	memset(text, ' ', sizeof text - 3);
	text[0] = '1';
	text[sizeof text - 1] = '\0';
	for (int i = 0; i < 40; i++) {
		jobs__v1__job__init(&jobs[i]);
		jobs__v1__create_job_request__init(&reqs[i]);
		jobs[i].job_name = "big";
		jobs[i].enhanced_settings = text;
		reqs[i].job = &jobs[i];
		reqp[i] = &reqs[i];
	}
	in.jobs = reqp;
	in.n_jobs = 40;
	req.call_case = JOBS__V1__REQUEST__CALL_BATCH_CREATE_JOBS;
	req.batch_create_jobs = &in;
	r = serve(&req);
	assert_code(r, RESOURCE_EXHAUSTED);
	cr_assert(strstr(r->message, "8388608 bytes") != NULL, "%s", r->message);
	in.n_jobs = 30;
	assert_code(serve(&req), OK);
}

Test(handlers, validate_only_reports_and_writes_nothing)
{
	const char *ids[] = {"v1", "v2"};
	Jobs__V1__Response *r;

	create_named("v1", "there");
	r = batch(ids, NULL, 2, false, true);
	assert_code(r, OK);
	cr_assert_eq(r->batch_create_jobs->outcomes[0]->code, JOBS__V1__CODE__ALREADY_EXISTS);
	cr_assert_eq(r->batch_create_jobs->outcomes[1]->code, JOBS__V1__CODE__OK);
	cr_assert_str_eq(r->batch_create_jobs->outcomes[1]->etag, "");
	assert_code(get("v2"), NOT_FOUND);
	r = batch(ids, NULL, 2, true, true);
	assert_code(r, OK);
	cr_assert(r->batch_create_jobs->outcomes[0]->replaced);
	assert_code(get("v1"), OK);
	cr_assert_str_eq(cl.resp.get_job->job->job_name, "there");
}

/* ---- legacy values in extra ------------------------------------------------ */

Test(handlers, extra_may_hold_legacy_values_of_fields_until_an_update_sets_them)
{
	Jobs__V1__Job j = JOBS__V1__JOB__INIT;
	char *mask[] = {"language"};

	j.id = "shadow";
	j.extra = "{\"language\":null,\"product\":123,\"tags\":[1]}";
	assert_code(create(&j, NULL, 0), OK);
	assert_code(get("shadow"), OK);
	cr_assert_str_eq(cl.resp.get_job->job->extra, j.extra);

	jobs__v1__job__init(&j);
	j.id = "shadow";
	j.language = "German";
	assert_code(update(&j, mask, 1, NULL), OK);
	cr_assert_str_eq(cl.resp.update_job->job->extra, "{\"product\":123,\"tags\":[1]}");
	cr_assert_str_eq(cl.resp.update_job->job->language, "German");
	jobs__v1__job__init(&j);
	j.id = "shadow";
	j.product = "Lamp";
	assert_code(update(&j, NULL, 0, NULL), OK);
	cr_assert_str_eq(cl.resp.update_job->job->extra, "{\"tags\":[1]}");
}

/* Hostile and wrong requests get the same status from both engines: each
 * is served to this test's PostgreSQL database and to a SQLite one, both
 * holding the same job first. */
Test(handlers_pg, bad_input_gets_the_same_status_on_both_stores)
{
	static char long_name[2000], bad_utf8[] = "ok \xc3\x28 no",
	                             hostile[] = "\"a\" OR b* NEAR( ^x : -y";
	store_options o = {.sync = STORE_SYNC_OFF};
	store *pg = db, *lite;
	char lite_path[600], err[256];
	int codes[2][32];
	size_t n = 0;

	memset(long_name, 'n', sizeof long_name - 1);
	snprintf(lite_path, sizeof lite_path, "%s/jobs.db", dir);
	cr_assert_eq(store_open(&lite, lite_path, &o, err, sizeof err), 0, "%s", err);
	for (int e = 0; e < 2; e++) {
		Jobs__V1__Job j = JOBS__V1__JOB__INIT;
		Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;

		db = e == 0 ? pg : lite;
		n = 0;
		j.id = "p-1";
		j.job_name = "Lamp";
		codes[e][n++] = create(&j, NULL, 0)->code;
		codes[e][n++] = create(&j, NULL, 0)->code; /* taken */
		j.id = "p-2";
		j.job_name = long_name;
		codes[e][n++] = create(&j, NULL, 0)->code;
		j.job_name = "x";
		j.hook = bad_utf8;
		codes[e][n++] = create(&j, NULL, 0)->code;
		j.hook = "";
		j.enhanced_settings = "{\"n\": 98774533123725617640}";
		codes[e][n++] = create(&j, NULL, 0)->code;
		j.enhanced_settings = "{\"n\":";
		codes[e][n++] = create(&j, NULL, 0)->code;
		j.enhanced_settings = "";
		j.extra = "[1]";
		codes[e][n++] = create(&j, NULL, 0)->code;
		j.extra = "";
		j.id = "bad/id";
		codes[e][n++] = create(&j, NULL, 0)->code;
		codes[e][n++] = serve_bytes("\xff\xff\xff\xff", 4)->code;
		codes[e][n++] = get("nobody")->code;
		codes[e][n++] = get("")->code;
		j.id = "p-1";
		codes[e][n++] = update(&j, NULL, 0, "abc")->code;  /* not an etag */
		codes[e][n++] = update(&j, NULL, 0, "9999")->code; /* another's */
		codes[e][n++] = list(10, "!!!not a token")->code;
		codes[e][n++] = list(10, "AAAA")->code;
		codes[e][n++] = list(-1, NULL)->code;

		Jobs__V1__SearchJobsRequest s = JOBS__V1__SEARCH_JOBS_REQUEST__INIT;
		req.call_case = JOBS__V1__REQUEST__CALL_SEARCH_JOBS;
		req.search_jobs = &s;
		s.query = hostile;
		codes[e][n++] = serve(&req)->code;
		s.query = "\"\" * ( )";
		codes[e][n++] = serve(&req)->code;
		s.mode = JOBS__V1__SEARCH_MODE__SEARCH_SUBSTRING;
		s.query = "%_";
		codes[e][n++] = serve(&req)->code;
		s.query = "%_\\";
		codes[e][n++] = serve(&req)->code;

		Jobs__V1__DeleteJobRequest d = JOBS__V1__DELETE_JOB_REQUEST__INIT;
		req.call_case = JOBS__V1__REQUEST__CALL_DELETE_JOB;
		req.delete_job = &d;
		d.id = "p-1";
		d.expected_etag = "12345";
		codes[e][n++] = serve(&req)->code;
		d.expected_etag = "x";
		codes[e][n++] = serve(&req)->code;
		d.id = "nobody";
		d.expected_etag = "";
		codes[e][n++] = serve(&req)->code;

		Jobs__V1__GetStatsRequest g = JOBS__V1__GET_STATS_REQUEST__INIT;
		req.call_case = JOBS__V1__REQUEST__CALL_GET_STATS;
		req.get_stats = &g;
		g.created_after = 5;
		g.created_before = 2;
		codes[e][n++] = serve(&req)->code;
	}
	db = pg;
	store_close(lite);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(codes[0][i], codes[1][i], "request %zu: PostgreSQL %s, SQLite %s", i,
		             status_name(codes[0][i]), status_name(codes[1][i]));
	cr_assert_eq(codes[0][0], ST(OK));
	cr_assert_eq(codes[0][1], ST(ALREADY_EXISTS));
	cr_assert_eq(codes[0][12], ST(ABORTED));
}

/* RESOURCE_EXHAUSTED is both "busy now" and "too big ever": only the first
 * is marked as cured by waiting (Response.retry_after_ms), so that a client
 * tells them apart without reading the message. UNAVAILABLE while draining
 * is marked too. */
Test(handlers, only_what_waiting_cures_is_marked_for_a_retry)
{
	static char hook[16001];
	static Jobs__V1__Job jobs[600];
	static Jobs__V1__CreateJobRequest reqs[600], *reqp[600];
	static uint8_t buf[64];
	struct server_info busy = {
	    .version = "test", .max_message_bytes = 1 << 20, .max_inflight = 1};
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__GetJobRequest get_in = JOBS__V1__GET_JOB_REQUEST__INIT;
	Jobs__V1__BatchCreateJobsRequest in = JOBS__V1__BATCH_CREATE_JOBS_REQUEST__INIT;
	Jobs__V1__Response *r;
	enum lane lane;
	size_t n;

	get_in.id = "any";
	req.call_case = JOBS__V1__REQUEST__CALL_GET_JOB;
	req.get_job = &get_in;
	cr_assert_leq(n = jobs__v1__request__get_packed_size(&req), sizeof buf);
	jobs__v1__request__pack(&req, buf);

	/* One call already in flight, and a limit of one. */
	atomic_store(&busy.inflight, 1);
	arena_reset(&ar);
	lane = call_decode(&cl, &ar, &busy, buf, n, clock_now_us());
	cr_assert_eq(call_admit(&cl, &busy, lane, METRICS_NNG), LANE_NONE);
	assert_code(&cl.resp, RESOURCE_EXHAUSTED);
	cr_assert_gt(cl.resp.retry_after_ms, 0, "overload is cured by waiting: %s",
	             cl.resp.message);

	/* Draining: UNAVAILABLE, also cured by waiting (or another server). */
	atomic_store(&busy.inflight, 0);
	atomic_store(&busy.draining, true);
	arena_reset(&ar);
	lane = call_decode(&cl, &ar, &busy, buf, n, clock_now_us());
	cr_assert_eq(call_admit(&cl, &busy, lane, METRICS_NNG), LANE_NONE);
	assert_code(&cl.resp, UNAVAILABLE);
	cr_assert_gt(cl.resp.retry_after_ms, 0);

	/* A batch over its 8 MiB of job text: no wait makes it fit. */
	memset(hook, 'h', sizeof hook - 1);
	for (size_t i = 0; i < 600; i++) {
		jobs__v1__job__init(&jobs[i]);
		jobs__v1__create_job_request__init(&reqs[i]);
		jobs[i].job_name = "big";
		jobs[i].hook = hook;
		reqs[i].job = &jobs[i];
		reqp[i] = &reqs[i];
	}
	in.jobs = reqp;
	in.n_jobs = 600;
	req.call_case = JOBS__V1__REQUEST__CALL_BATCH_CREATE_JOBS;
	req.batch_create_jobs = &in;
	r = serve(&req);
	assert_code(r, RESOURCE_EXHAUSTED);
	cr_assert_not_null(strstr(r->message, "split it"), "%s", r->message);
	cr_assert_eq(r->retry_after_ms, 0, "a size limit is not cured by waiting");
}

/* While jobsd drains, Health still runs (load balancers ask it); once it is
 * closed, at the end of the drain, Health is refused too: a call admitted
 * then would run on stores that are being closed. */
Test(handlers, once_closed_even_health_is_refused)
{
	static uint8_t buf[64];
	struct server_info stopping = {
	    .version = "test", .max_message_bytes = 1 << 20, .max_inflight = 8};
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__HealthRequest in = JOBS__V1__HEALTH_REQUEST__INIT;
	enum lane lane;
	size_t n;

	req.call_case = JOBS__V1__REQUEST__CALL_HEALTH;
	req.health = &in;
	cr_assert_leq(n = jobs__v1__request__get_packed_size(&req), sizeof buf);
	jobs__v1__request__pack(&req, buf);

	atomic_store(&stopping.draining, true);
	arena_reset(&ar);
	lane = call_decode(&cl, &ar, &stopping, buf, n, clock_now_us());
	cr_assert_neq(call_admit(&cl, &stopping, lane, METRICS_NNG), LANE_NONE,
	              "draining: Health still runs");

	atomic_store(&stopping.closed, true);
	arena_reset(&ar);
	lane = call_decode(&cl, &ar, &stopping, buf, n, clock_now_us());
	cr_assert_eq(call_admit(&cl, &stopping, lane, METRICS_NNG), LANE_NONE);
	assert_code(&cl.resp, UNAVAILABLE);
	cr_assert_gt(cl.resp.retry_after_ms, 0);
}
