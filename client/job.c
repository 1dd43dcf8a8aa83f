/*
 * job.c: jobs_job, its field table, and its conversion to and from the
 * contract's Jobs__V1__Job. Also the small frees and names of the public API.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define FIELD(name, BIT, kind, out)                                                                \
	{                                                                                          \
#name, JOBS_FIELD_##BIT, offsetof(jobs_job, name), offsetof(Jobs__V1__Job, name),  \
		    kind, out                                                                      \
	}

const struct job_field client_job_fields[] = {
    FIELD(id, ID, JF_TEXT, false),
    FIELD(job_name, JOB_NAME, JF_TEXT, false),
    FIELD(product, PRODUCT, JF_TEXT, false),
    FIELD(persona, PERSONA, JF_TEXT, false),
    FIELD(setting, SETTING, JF_TEXT, false),
    FIELD(emotion, EMOTION, JF_TEXT, false),
    FIELD(hook, HOOK, JF_TEXT, false),
    FIELD(elevenlabs_voice_id, ELEVENLABS_VOICE_ID, JF_TEXT, false),
    FIELD(language, LANGUAGE, JF_TEXT, false),
    FIELD(brand_name, BRAND_NAME, JF_TEXT, false),
    FIELD(enabled, ENABLED, JF_BOOL, false),
    FIELD(created_at, CREATED_AT, JF_TIME, false),
    FIELD(updated_at, UPDATED_AT, JF_TIME, false),
    FIELD(enhanced_settings, ENHANCED_SETTINGS, JF_JSON, false),
    FIELD(extra, EXTRA, JF_JSON, false),
    FIELD(etag, ETAG, JF_TEXT, true),
};
const size_t client_n_job_fields = sizeof client_job_fields / sizeof client_job_fields[0];
_Static_assert(sizeof client_job_fields / sizeof client_job_fields[0] <= JOB_FIELDS_MAX,
               "JOB_FIELDS_MAX");

/* The codes are the wire's: the same numbers, checked here once. */
#define SAME(name) _Static_assert((int)JOBS_##name == (int)JOBS__V1__CODE__##name, #name)
SAME(OK);
SAME(CANCELLED);
SAME(UNKNOWN);
SAME(INVALID_ARGUMENT);
SAME(DEADLINE_EXCEEDED);
SAME(NOT_FOUND);
SAME(ALREADY_EXISTS);
SAME(PERMISSION_DENIED);
SAME(RESOURCE_EXHAUSTED);
SAME(FAILED_PRECONDITION);
SAME(ABORTED);
SAME(OUT_OF_RANGE);
SAME(UNIMPLEMENTED);
SAME(INTERNAL);
SAME(UNAVAILABLE);
SAME(DATA_LOSS);
SAME(UNAUTHENTICATED);

const char *
jobs_code_name(int code)
{
	const ProtobufCEnumValue *v =
	    protobuf_c_enum_descriptor_get_value(&jobs__v1__code__descriptor, code);
	return v != NULL ? v->name : "UNKNOWN_CODE";
}

const struct job_field *
client_job_field_by_name(const char *name)
{
	for (size_t i = 0; i < client_n_job_fields; i++)
		if (strcmp(client_job_fields[i].name, name) == 0)
			return &client_job_fields[i];
	return NULL;
}

char *
client_strdup(const char *s)
{
	return strdup(s != NULL ? s : "");
}

void
client_job_to_proto(const jobs_job *in, Jobs__V1__Job *out, char **mask, size_t *n_mask)
{
	*n_mask = 0;
	for (size_t i = 0; i < client_n_job_fields; i++) {
		const struct job_field *f = &client_job_fields[i];
		char *pb = (char *)out + f->pb_offset;

		switch (f->kind) {
		case JF_TEXT:
		case JF_JSON:
			if (*JOB_STR(in, f) != NULL)
				*(char **)pb = *JOB_STR(in, f);
			break;
		case JF_BOOL:
			*(protobuf_c_boolean *)pb = *JOB_BOOL(in, f);
			break;
		case JF_TIME:
			*(int64_t *)pb = *JOB_TIME(in, f);
			break;
		}
		if ((in->fields & f->bit) && !f->output_only)
			mask[(*n_mask)++] = (char *)f->name;
	}
}

jobs_job *
client_job_from_proto(const Jobs__V1__Job *in)
{
	size_t total = sizeof(jobs_job);
	jobs_job *j;
	char *p;

	for (size_t i = 0; i < client_n_job_fields; i++)
		if (client_job_fields[i].kind == JF_TEXT || client_job_fields[i].kind == JF_JSON)
			total += strlen(*(char *const *)((const char *)in +
			                                 client_job_fields[i].pb_offset)) +
			         1;
	if ((j = calloc(1, total)) == NULL)
		return NULL;
	p = (char *)(j + 1);
	for (size_t i = 0; i < client_n_job_fields; i++) {
		const struct job_field *f = &client_job_fields[i];
		const char *pb = (const char *)in + f->pb_offset;

		switch (f->kind) {
		case JF_TEXT:
		case JF_JSON: {
			size_t n = strlen(*(char *const *)pb) + 1;
			memcpy(p, *(char *const *)pb, n);
			*JOB_STR(j, f) = p;
			p += n;
			break;
		}
		case JF_BOOL:
			*JOB_BOOL(j, f) = *(const protobuf_c_boolean *)pb != 0;
			break;
		case JF_TIME:
			*JOB_TIME(j, f) = *(const int64_t *)pb;
			break;
		}
		j->fields |= f->bit;
	}
	return j;
}

void
jobs_job_free(jobs_job *job)
{
	free(job); /* the strings live in the same block */
}

void
jobs_job_page_free(jobs_job_page *page)
{
	if (page == NULL)
		return;
	for (size_t i = 0; i < page->n_jobs; i++)
		jobs_job_free(page->jobs[i]);
	free(page->jobs);
	free(page->next_page_token);
	free(page);
}

void
jobs_search_page_free(jobs_search_page *page)
{
	if (page == NULL)
		return;
	for (size_t i = 0; i < page->n_jobs; i++) {
		jobs_job_free(page->jobs[i]);
		if (page->snippets != NULL)
			free(page->snippets[i]);
	}
	free(page->jobs);
	free(page->snippets);
	free(page->scores);
	free(page->next_page_token);
	free(page);
}

static void
value_counts_free(jobs_value_count *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i].value);
	free(v);
}

void
jobs_stats_free(jobs_stats *s)
{
	if (s == NULL)
		return;
	value_counts_free(s->by_product, s->n_by_product);
	value_counts_free(s->by_language, s->n_by_language);
	value_counts_free(s->by_persona, s->n_by_persona);
	value_counts_free(s->by_brand, s->n_by_brand);
	free(s->created_per_day);
	free(s);
}

void
jobs_health_info_free(jobs_health_info *h)
{
	if (h == NULL)
		return;
	free(h->status);
	free(h->version);
	free(h);
}

void
jobs_backup_info_free(jobs_backup_info *b)
{
	if (b == NULL)
		return;
	free(b->path);
	free(b);
}

void
jobs_check_info_free(jobs_check_info *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_problems; i++)
		free(c->problems[i]);
	free(c->problems);
	free(c);
}
