/*
 * calls.c: the call table, and one thin typed wrapper per call of the Jobs
 * service, in two forms.
 *
 *   client_call_defs[]      each call's name in the service, its field number in
 *                    the Request and Response oneofs, and its hand_out():
 *                    the result copied out as the public types.
 *                    tests/test_contract.c checks the table against the
 *                    proto's service descriptor.
 *   jobs_foo_async   builds the call's request message from the public
 *                    types and starts it (client_start, client.c).
 *   jobs_foo         jobs_foo_async and a wait, made by BLOCKING() at the
 *                    bottom from the same arguments.
 *
 * Nothing here touches the network.
 */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
out_of_memory(jobs_call *call)
{
	return client_call_status(call, JOBS_RESOURCE_EXHAUSTED, "out of memory");
}

/* ---- results, as the public types ----------------------------------------- */

/* A job of a response in the view asked for: a summary keeps only the bits
 * of the fields the server sent. */
static jobs_job *
job_in_view(const Jobs__V1__Job *pb, jobs_view view)
{
	jobs_job *j = client_job_from_proto(pb);

	if (j != NULL && view == JOBS_VIEW_SUMMARY)
		j->fields = JOBS_FIELD_ID | JOBS_FIELD_JOB_NAME | JOBS_FIELD_PRODUCT |
		            JOBS_FIELD_ENABLED | JOBS_FIELD_CREATED_AT;
	return j;
}

static int
job_out(jobs_call *call, const Jobs__V1__Job *pb, jobs_job **out)
{
	if (pb == NULL)
		return client_call_status(call, JOBS_INTERNAL, "the server's answer holds no job");
	if ((*out = client_job_from_proto(pb)) == NULL)
		return out_of_memory(call);
	return JOBS_OK;
}

static int
created_out(jobs_call *call, const Jobs__V1__Response *r, void *out, int hint)
{
	(void)hint;
	return job_out(call, r->create_job->job, out);
}

static int
got_out(jobs_call *call, const Jobs__V1__Response *r, void *out, int hint)
{
	(void)hint;
	return job_out(call, r->get_job->job, out);
}

static int
updated_out(jobs_call *call, const Jobs__V1__Response *r, void *out, int hint)
{
	(void)hint;
	return job_out(call, r->update_job->job, out);
}

static int
list_out(jobs_call *call, const Jobs__V1__Response *r, void *out, int view)
{
	const Jobs__V1__ListJobsResponse *res = r->list_jobs;
	jobs_job_page *page;

	if ((page = calloc(1, sizeof *page)) == NULL ||
	    (page->jobs = calloc(res->n_jobs + 1, sizeof *page->jobs)) == NULL ||
	    (page->next_page_token = client_strdup(res->next_page_token)) == NULL)
		goto nomem;
	for (; page->n_jobs < res->n_jobs; page->n_jobs++)
		if ((page->jobs[page->n_jobs] =
		         job_in_view(res->jobs[page->n_jobs], (jobs_view)view)) == NULL)
			goto nomem;
	*(jobs_job_page **)out = page;
	return JOBS_OK;
nomem:
	jobs_job_page_free(page);
	return out_of_memory(call);
}

static int
search_out(jobs_call *call, const Jobs__V1__Response *r, void *out, int view)
{
	const Jobs__V1__SearchJobsResponse *res = r->search_jobs;
	size_t n = res->n_results;
	jobs_search_page *page;

	if ((page = calloc(1, sizeof *page)) == NULL ||
	    (page->jobs = calloc(n + 1, sizeof *page->jobs)) == NULL ||
	    (page->snippets = calloc(n + 1, sizeof *page->snippets)) == NULL ||
	    (page->scores = calloc(n + 1, sizeof *page->scores)) == NULL ||
	    (page->next_page_token = client_strdup(res->next_page_token)) == NULL)
		goto nomem;
	for (; page->n_jobs < n; page->n_jobs++) {
		const Jobs__V1__SearchResult *hit = res->results[page->n_jobs];

		if (hit->job == NULL) {
			jobs_search_page_free(page);
			return client_call_status(call, JOBS_INTERNAL,
			                          "the server's answer holds no job");
		}
		page->scores[page->n_jobs] = hit->score;
		if ((page->snippets[page->n_jobs] = client_strdup(hit->snippet)) == NULL ||
		    (page->jobs[page->n_jobs] = job_in_view(hit->job, (jobs_view)view)) == NULL) {
			page->n_jobs++; /* so that the free covers this slot */
			goto nomem;
		}
	}
	*(jobs_search_page **)out = page;
	return JOBS_OK;
nomem:
	jobs_search_page_free(page);
	return out_of_memory(call);
}

/* Copies n ValueCounts out of a response; NULL when out of memory. */
static jobs_value_count *
value_counts(Jobs__V1__ValueCount *const *in, size_t n)
{
	jobs_value_count *v = calloc(n + 1, sizeof *v);

	for (size_t i = 0; v != NULL && i < n; i++) {
		v[i].count = in[i]->count;
		if ((v[i].value = client_strdup(in[i]->value)) == NULL) {
			for (size_t k = 0; k < i; k++)
				free(v[k].value);
			free(v);
			return NULL;
		}
	}
	return v;
}

static int
stats_out(jobs_call *call, const Jobs__V1__Response *r, void *out, int hint)
{
	const Jobs__V1__GetStatsResponse *res = r->get_stats;
	jobs_stats *s;

	(void)hint;
	if ((s = calloc(1, sizeof *s)) == NULL)
		goto nomem;
	s->total_jobs = res->total_jobs;
	s->enabled_jobs = res->enabled_jobs;
	s->disabled_jobs = res->disabled_jobs;
	s->unique_products = res->unique_products;
	s->unique_personas = res->unique_personas;
	s->unique_languages = res->unique_languages;
	s->unique_brands = res->unique_brands;
	if ((s->by_product = value_counts(res->by_product, res->n_by_product)) == NULL)
		goto nomem;
	s->n_by_product = res->n_by_product;
	if ((s->by_language = value_counts(res->by_language, res->n_by_language)) == NULL)
		goto nomem;
	s->n_by_language = res->n_by_language;
	if ((s->by_persona = value_counts(res->by_persona, res->n_by_persona)) == NULL)
		goto nomem;
	s->n_by_persona = res->n_by_persona;
	if ((s->by_brand = value_counts(res->by_brand, res->n_by_brand)) == NULL)
		goto nomem;
	s->n_by_brand = res->n_by_brand;
	if ((s->created_per_day = calloc(res->n_created_per_day + 1, sizeof *s->created_per_day)) ==
	    NULL)
		goto nomem;
	s->n_created_per_day = res->n_created_per_day;
	for (size_t i = 0; i < res->n_created_per_day; i++) {
		snprintf(s->created_per_day[i].date, sizeof s->created_per_day[i].date, "%s",
		         res->created_per_day[i]->date);
		s->created_per_day[i].count = res->created_per_day[i]->count;
	}
	*(jobs_stats **)out = s;
	return JOBS_OK;
nomem:
	jobs_stats_free(s);
	return out_of_memory(call);
}

static int
health_out(jobs_call *call, const Jobs__V1__Response *r, void *out, int hint)
{
	const Jobs__V1__HealthResponse *res = r->health;
	jobs_health_info *h;

	(void)hint;
	if ((h = calloc(1, sizeof *h)) == NULL ||
	    (h->status = client_strdup(res->status)) == NULL ||
	    (h->version = client_strdup(res->version)) == NULL) {
		jobs_health_info_free(h);
		return out_of_memory(call);
	}
	h->schema_version = res->schema_version;
	h->uptime_ms = res->uptime_ms;
	h->max_message_bytes = res->max_message_bytes;
	*(jobs_health_info **)out = h;
	return JOBS_OK;
}

static int
backup_out(jobs_call *call, const Jobs__V1__Response *r, void *out, int hint)
{
	const Jobs__V1__BackupResponse *res = r->backup;
	jobs_backup_info *b;

	(void)hint;
	if ((b = calloc(1, sizeof *b)) == NULL || (b->path = client_strdup(res->path)) == NULL) {
		jobs_backup_info_free(b);
		return out_of_memory(call);
	}
	b->bytes = res->bytes;
	b->jobs = res->jobs;
	b->duration_ms = res->duration_ms;
	*(jobs_backup_info **)out = b;
	return JOBS_OK;
}

static int
check_out(jobs_call *call, const Jobs__V1__Response *r, void *out, int hint)
{
	const Jobs__V1__CheckResponse *res = r->check;
	jobs_check_info *ci;

	(void)hint;
	if ((ci = calloc(1, sizeof *ci)) == NULL ||
	    (ci->problems = calloc(res->n_problems + 1, sizeof *ci->problems)) == NULL)
		goto nomem;
	for (; ci->n_problems < res->n_problems; ci->n_problems++)
		if ((ci->problems[ci->n_problems] = client_strdup(res->problems[ci->n_problems])) ==
		    NULL)
			goto nomem;
	ci->ok = res->ok;
	ci->schema_version = res->schema_version;
	ci->jobs = res->jobs;
	ci->bytes = res->bytes;
	*(jobs_check_info **)out = ci;
	return JOBS_OK;
nomem:
	jobs_check_info_free(ci);
	return out_of_memory(call);
}

static int
batch_out(jobs_call *call, const Jobs__V1__Response *r, void *out, int hint)
{
	const Jobs__V1__BatchCreateJobsResponse *res = r->batch_create_jobs;
	jobs_batch_result *br;

	(void)hint;
	if ((br = calloc(1, sizeof *br)) == NULL ||
	    (br->outcomes = calloc(res->n_outcomes + 1, sizeof *br->outcomes)) == NULL)
		goto nomem;
	for (; br->n_outcomes < res->n_outcomes; br->n_outcomes++) {
		const Jobs__V1__BatchJobOutcome *o = res->outcomes[br->n_outcomes];
		jobs_batch_outcome *b = &br->outcomes[br->n_outcomes];

		b->index = o->index >= 0 ? (size_t)o->index : 0;
		b->code = o->code;
		b->replaced = o->replaced;
		if ((b->id = client_strdup(o->id)) == NULL ||
		    (b->message = client_strdup(o->message)) == NULL ||
		    (b->etag = client_strdup(o->etag)) == NULL) {
			br->n_outcomes++; /* so that the free sees its strings */
			goto nomem;
		}
	}
	*(jobs_batch_result **)out = br;
	return JOBS_OK;
nomem:
	jobs_batch_result_free(br);
	return out_of_memory(call);
}

/* ---- the table ------------------------------------------------------------ */

#define CALL(id, method, field, hand_out) [id] = {method, JOBS__V1__REQUEST__CALL_##field, hand_out}

const struct call_def client_call_defs[N_CALLS] = {
    CALL(CALL_CREATE_JOB, "CreateJob", CREATE_JOB, created_out),
    CALL(CALL_GET_JOB, "GetJob", GET_JOB, got_out),
    CALL(CALL_UPDATE_JOB, "UpdateJob", UPDATE_JOB, updated_out),
    CALL(CALL_DELETE_JOB, "DeleteJob", DELETE_JOB, NULL),
    CALL(CALL_LIST_JOBS, "ListJobs", LIST_JOBS, list_out),
    CALL(CALL_HEALTH, "Health", HEALTH, health_out),
    CALL(CALL_SEARCH_JOBS, "SearchJobs", SEARCH_JOBS, search_out),
    CALL(CALL_GET_STATS, "GetStats", GET_STATS, stats_out),
    CALL(CALL_BATCH_CREATE_JOBS, "BatchCreateJobs", BATCH_CREATE_JOBS, batch_out),
    CALL(CALL_BACKUP, "Backup", BACKUP, backup_out),
    CALL(CALL_CHECK, "Check", CHECK, check_out),
};

/* ---- the calls, asynchronous ------------------------------------------------ */

/* `out` set to NULL (when given) before anything can fail. */
#define CLEAR(out)                                                                                 \
	do {                                                                                       \
		if ((out) != NULL)                                                                 \
			*(out) = NULL;                                                             \
	} while (0)

int
jobs_create_job_async(jobs_client *c, jobs_call *call, const jobs_job *job, jobs_job **out)
{
	Jobs__V1__CreateJobRequest in = JOBS__V1__CREATE_JOB_REQUEST__INIT;
	Jobs__V1__Job pb = JOBS__V1__JOB__INIT;
	char *mask[JOB_FIELDS_MAX];

	CLEAR(out);
	if (job == NULL)
		return client_call_status(call, JOBS_INVALID_ARGUMENT, "no job given");
	client_job_to_proto(job, &pb, mask, &in.n_field_mask);
	in.job = &pb;
	in.field_mask = mask;
	return client_start(c, call, &client_call_defs[CALL_CREATE_JOB], &in.base, out, 0);
}

int
jobs_get_job_async(jobs_client *c, jobs_call *call, const char *id, jobs_job **out)
{
	Jobs__V1__GetJobRequest in = JOBS__V1__GET_JOB_REQUEST__INIT;

	CLEAR(out);
	in.id = (char *)(id != NULL ? id : "");
	return client_start(c, call, &client_call_defs[CALL_GET_JOB], &in.base, out, 0);
}

int
jobs_update_job_async(jobs_client *c, jobs_call *call, const jobs_job *changes,
                      const char *expected_etag, jobs_job **out)
{
	Jobs__V1__UpdateJobRequest in = JOBS__V1__UPDATE_JOB_REQUEST__INIT;
	Jobs__V1__Job pb = JOBS__V1__JOB__INIT;
	char *mask[JOB_FIELDS_MAX];

	CLEAR(out);
	if (changes == NULL)
		return client_call_status(call, JOBS_INVALID_ARGUMENT, "no changes given");
	client_job_to_proto(changes, &pb, mask, &in.n_update_mask);
	in.job = &pb;
	in.update_mask = mask;
	if (expected_etag != NULL)
		in.expected_etag = (char *)expected_etag;
	return client_start(c, call, &client_call_defs[CALL_UPDATE_JOB], &in.base, out, 0);
}

int
jobs_delete_job_async(jobs_client *c, jobs_call *call, const char *id, const char *expected_etag)
{
	Jobs__V1__DeleteJobRequest in = JOBS__V1__DELETE_JOB_REQUEST__INIT;

	in.id = (char *)(id != NULL ? id : "");
	if (expected_etag != NULL)
		in.expected_etag = (char *)expected_etag;
	return client_start(c, call, &client_call_defs[CALL_DELETE_JOB], &in.base, NULL, 0);
}

/* Fills `pb` (initialised) from `f`; strings are borrowed. */
static void
filter_to_proto(const jobs_filter *f, Jobs__V1__JobFilter *pb)
{
	pb->enabled = (Jobs__V1__EnabledFilter)f->enabled;
	if (f->product != NULL)
		pb->product = (char *)f->product;
	if (f->persona != NULL)
		pb->persona = (char *)f->persona;
	if (f->language != NULL)
		pb->language = (char *)f->language;
	if (f->brand_name != NULL)
		pb->brand_name = (char *)f->brand_name;
	pb->created_after = f->created_after;
	pb->created_before = f->created_before;
	pb->updated_after = f->updated_after;
	pb->updated_before = f->updated_before;
}

int
jobs_list_jobs_async(jobs_client *c, jobs_call *call, const jobs_list_query *q, jobs_job_page **out)
{
	Jobs__V1__ListJobsRequest in = JOBS__V1__LIST_JOBS_REQUEST__INIT;
	Jobs__V1__JobFilter filter = JOBS__V1__JOB_FILTER__INIT;
	jobs_view view = JOBS_VIEW_FULL;

	CLEAR(out);
	if (q != NULL) {
		in.page_size = q->page_size;
		if (q->page_token != NULL)
			in.page_token = (char *)q->page_token;
		filter_to_proto(&q->filter, &filter);
		in.filter = &filter;
		in.order_by = (Jobs__V1__JobOrder)q->order_by;
		in.direction = (Jobs__V1__SortDirection)q->direction;
		in.view = (Jobs__V1__JobView)q->view;
		view = q->view;
	}
	return client_start(c, call, &client_call_defs[CALL_LIST_JOBS], &in.base, out, (int)view);
}

int
jobs_search_jobs_async(jobs_client *c, jobs_call *call, const jobs_search_query *q,
                       jobs_search_page **out)
{
	Jobs__V1__SearchJobsRequest in = JOBS__V1__SEARCH_JOBS_REQUEST__INIT;
	Jobs__V1__JobFilter filter = JOBS__V1__JOB_FILTER__INIT;

	CLEAR(out);
	if (q == NULL || q->text == NULL)
		return client_call_status(call, JOBS_INVALID_ARGUMENT, "no search text given");
	in.query = (char *)q->text;
	in.mode = (Jobs__V1__SearchMode)q->mode;
	filter_to_proto(&q->filter, &filter);
	in.filter = &filter;
	in.page_size = q->page_size;
	if (q->page_token != NULL)
		in.page_token = (char *)q->page_token;
	in.snippets = q->snippets;
	in.view = (Jobs__V1__JobView)q->view;
	return client_start(c, call, &client_call_defs[CALL_SEARCH_JOBS], &in.base, out,
	                    (int)q->view);
}

int
jobs_get_stats_async(jobs_client *c, jobs_call *call, const jobs_stats_query *q, jobs_stats **out)
{
	Jobs__V1__GetStatsRequest in = JOBS__V1__GET_STATS_REQUEST__INIT;

	CLEAR(out);
	if (q != NULL) {
		in.top = q->top;
		in.created_after = q->created_after;
		in.created_before = q->created_before;
	}
	return client_start(c, call, &client_call_defs[CALL_GET_STATS], &in.base, out, 0);
}

int
jobs_health_async(jobs_client *c, jobs_call *call, jobs_health_info **out)
{
	Jobs__V1__HealthRequest in = JOBS__V1__HEALTH_REQUEST__INIT;

	CLEAR(out);
	return client_start(c, call, &client_call_defs[CALL_HEALTH], &in.base, out, 0);
}

int
jobs_backup_async(jobs_client *c, jobs_call *call, const char *path, jobs_backup_info **out)
{
	Jobs__V1__BackupRequest in = JOBS__V1__BACKUP_REQUEST__INIT;

	CLEAR(out);
	in.path = (char *)(path != NULL ? path : "");
	return client_start(c, call, &client_call_defs[CALL_BACKUP], &in.base, out, 0);
}

int
jobs_check_async(jobs_client *c, jobs_call *call, jobs_check_info **out)
{
	Jobs__V1__CheckRequest in = JOBS__V1__CHECK_REQUEST__INIT;

	CLEAR(out);
	return client_start(c, call, &client_call_defs[CALL_CHECK], &in.base, out, 0);
}

void
jobs_batch_result_free(jobs_batch_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_outcomes; i++) {
		free(r->outcomes[i].id);
		free(r->outcomes[i].message);
		free(r->outcomes[i].etag);
	}
	free(r->outcomes);
	free(r);
}

size_t
jobs_job_wire_size(const jobs_job *job)
{
	Jobs__V1__CreateJobRequest in = JOBS__V1__CREATE_JOB_REQUEST__INIT;
	Jobs__V1__Job pb = JOBS__V1__JOB__INIT;
	char *mask[JOB_FIELDS_MAX];
	size_t n;

	client_job_to_proto(job, &pb, mask, &in.n_field_mask);
	in.job = &pb;
	in.field_mask = mask;
	n = jobs__v1__create_job_request__get_packed_size(&in);
	return n + 1 + (n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 5); /* tag, length */
}

int
jobs_batch_create_jobs_async(jobs_client *c, jobs_call *call, const jobs_job *const *jobs, size_t n,
                             unsigned flags, jobs_batch_result **out)
{
	Jobs__V1__BatchCreateJobsRequest in = JOBS__V1__BATCH_CREATE_JOBS_REQUEST__INIT;
	Jobs__V1__CreateJobRequest *reqs = NULL, **reqp = NULL;
	Jobs__V1__Job *pbs = NULL;
	char **masks = NULL;
	int rv;

	CLEAR(out);
	if (n > JOBS_BATCH_MAX_JOBS)
		return client_call_status(call, JOBS_INVALID_ARGUMENT,
		                          "a batch holds at most %d jobs, not %zu",
		                          JOBS_BATCH_MAX_JOBS, n);
	if (n > 0 && jobs == NULL)
		return client_call_status(call, JOBS_INVALID_ARGUMENT, "no jobs given");
	reqs = calloc(n + 1, sizeof *reqs);
	reqp = calloc(n + 1, sizeof *reqp);
	pbs = calloc(n + 1, sizeof *pbs);
	masks = calloc((n + 1) * JOB_FIELDS_MAX, sizeof *masks);
	if (reqs == NULL || reqp == NULL || pbs == NULL || masks == NULL) {
		rv = out_of_memory(call);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		if (jobs[i] == NULL) {
			rv =
			    client_call_status(call, JOBS_INVALID_ARGUMENT, "jobs[%zu] is NULL", i);
			goto done;
		}
		jobs__v1__create_job_request__init(&reqs[i]);
		jobs__v1__job__init(&pbs[i]);
		client_job_to_proto(jobs[i], &pbs[i], masks + i * JOB_FIELDS_MAX,
		                    &reqs[i].n_field_mask);
		reqs[i].job = &pbs[i];
		reqs[i].field_mask = masks + i * JOB_FIELDS_MAX;
		reqp[i] = &reqs[i];
	}
	in.jobs = reqp;
	in.n_jobs = n;
	in.replace_existing = (flags & JOBS_BATCH_REPLACE) != 0;
	in.validate_only = (flags & JOBS_BATCH_VALIDATE_ONLY) != 0;
	in.allow_unnamed = (flags & JOBS_BATCH_ALLOW_UNNAMED) != 0;
	rv = client_start(c, call, &client_call_defs[CALL_BATCH_CREATE_JOBS], &in.base, out, 0);
done:
	free(masks);
	free(pbs);
	free(reqp);
	free(reqs);
	return rv;
}

/* ---- the calls, blocking ---------------------------------------------------- */

/* A blocking call: its own jobs_call, completed into a condition variable. */
struct waiter {
	jobs_call call;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
};

static void
waiter_done(jobs_call *call)
{
	struct waiter *w = call->data;

	pthread_mutex_lock(&w->mu);
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Takes the caller's options (call may be NULL). */
static void
waiter_init(struct waiter *w, const jobs_call *call)
{
	w->call = (jobs_call){.done = waiter_done, .data = w};
	if (call != NULL) {
		w->call.timeout_ms = call->timeout_ms;
		w->call.request_id = call->request_id;
		w->call.deadline_ms = call->deadline_ms;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->done = false;
}

/* Waits for the call `started` says was started, and hands its status to
 * the caller's `call`. Returns the call's code. */
static int
waiter_wait(struct waiter *w, jobs_call *call, int started)
{
	int code = started;

	if (started == JOBS_OK) {
		pthread_mutex_lock(&w->mu);
		while (!w->done)
			pthread_cond_wait(&w->cv, &w->mu);
		pthread_mutex_unlock(&w->mu);
		code = w->call.code;
	} else if (w->call.code != started) { /* refused before a message was set */
		client_call_status(&w->call, started, "%s", jobs_code_name(started));
	}
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	if (call != NULL) {
		call->code = code;
		call->attempts = w->call.attempts;
		memcpy(call->message, w->call.message, sizeof call->message);
	}
	return code;
}

/*
 * jobs_NAME(c, call, ARGS...): jobs_NAME_async on a waiter's call, and the
 * wait. Refused inside a completion: the answer it waits for may need the
 * very thread it would hold.
 */
#define BLOCKING(name, params, ...)                                                                \
	int jobs_##name params                                                                     \
	{                                                                                          \
		struct waiter w;                                                                   \
                                                                                                   \
		if (client_in_completion())                                                        \
			return client_call_status(call, JOBS_FAILED_PRECONDITION,                  \
			                          "jobs_" #name                                    \
			                          " waits, and a completion must not; use "        \
			                          "jobs_" #name "_async there");                   \
		waiter_init(&w, call);                                                             \
		return waiter_wait(&w, call, jobs_##name##_async(c, &w.call, __VA_ARGS__));        \
	}

BLOCKING(create_job, (jobs_client * c, jobs_call *call, const jobs_job *job, jobs_job **out), job,
         out)
BLOCKING(get_job, (jobs_client * c, jobs_call *call, const char *id, jobs_job **out), id, out)
BLOCKING(update_job,
         (jobs_client * c, jobs_call *call, const jobs_job *changes, const char *expected_etag,
          jobs_job **out),
         changes, expected_etag, out)
BLOCKING(delete_job, (jobs_client * c, jobs_call *call, const char *id, const char *expected_etag),
         id, expected_etag)
BLOCKING(list_jobs,
         (jobs_client * c, jobs_call *call, const jobs_list_query *q, jobs_job_page **out), q, out)
BLOCKING(search_jobs,
         (jobs_client * c, jobs_call *call, const jobs_search_query *q, jobs_search_page **out), q,
         out)
BLOCKING(get_stats, (jobs_client * c, jobs_call *call, const jobs_stats_query *q, jobs_stats **out),
         q, out)
BLOCKING(health, (jobs_client * c, jobs_call *call, jobs_health_info **out), out)
BLOCKING(backup, (jobs_client * c, jobs_call *call, const char *path, jobs_backup_info **out), path,
         out)
BLOCKING(check, (jobs_client * c, jobs_call *call, jobs_check_info **out), out)
BLOCKING(batch_create_jobs,
         (jobs_client * c, jobs_call *call, const jobs_job *const *jobs, size_t n, unsigned flags,
          jobs_batch_result **out),
         jobs, n, flags, out)
