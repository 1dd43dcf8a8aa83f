/*
 * jobjson.c: see jobjson.h. The field list comes from libjobsclient's
 * client_job_fields table, so a field added to the contract shows up here without
 * a change to this file.
 */
#include "jobjson.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON text --------------------------------------------------------- */

/* The fewest significant digits (1..17) that print `x` so it reads back. */
static int
shortest_digits(double x)
{
	char buf[40];

	for (int p = 1; p < 17; p++) {
		snprintf(buf, sizeof buf, "%.*g", p, x);
		if (strtod(buf, NULL) == x)
			return p;
	}
	return 17;
}

static int
max_digits(const json_t *v)
{
	int best = 1, d;
	const char *key;
	json_t *child;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_REAL:
		return shortest_digits(json_real_value(v));
	case JSON_ARRAY:
		json_array_foreach(v, i, child) if ((d = max_digits(child)) > best) best = d;
		return best;
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, key, child) if ((d = max_digits(child)) > best)
		    best = d;
		return best;
	default:
		return best;
	}
}

char *
legacy_json_dumps(const json_t *v, size_t flags)
{
	return json_dumps(v, flags | JSON_REAL_PRECISION(max_digits(v)) | JSON_ENCODE_ANY);
}

/* ---- jobs to JSON ------------------------------------------------------- */

json_t *
legacy_job_to_json(const jobs_job *job, bool with_etag, char *err, size_t errlen)
{
	json_t *o = json_object(), *v = NULL;
	json_error_t je;
	char tbuf[JOBS_TIME_BUFSIZE];

	if (o == NULL)
		goto nomem;
	for (size_t i = 0; i < client_n_job_fields; i++) {
		const struct job_field *f = &client_job_fields[i];
		const char *s = NULL;

		/* A partial job (a summary) shows only the fields it has. */
		if (job->fields != 0 && !(job->fields & f->bit))
			continue;
		switch (f->kind) {
		case JF_TEXT:
			if (f->output_only && !with_etag)
				continue;
			s = *JOB_STR(job, f);
			v = json_string(s != NULL ? s : "");
			break;
		case JF_BOOL:
			v = json_boolean(*JOB_BOOL(job, f));
			break;
		case JF_TIME:
			v = json_string(jobs_time_format(*JOB_TIME(job, f), tbuf));
			break;
		case JF_JSON:
			s = *JOB_STR(job, f);
			if (s == NULL || *s == '\0')
				continue;
			v = json_loads(s, JSON_DECODE_ANY, &je);
			if (v == NULL) {
				snprintf(err, errlen, "%s of job %s cannot be read: %s", f->name,
				         job->id, je.text);
				json_decref(o);
				return NULL;
			}
			if (strcmp(f->name, "extra") == 0) {
				/* extra's keys go to the top level, where legacy jobs had
				 * them, in place of the fields they are named after: the
				 * legacy value those could not hold. etag comes later. */
				if (json_object_update(o, v) != 0) {
					json_decref(v);
					goto nomem;
				}
				json_decref(v);
				continue;
			}
			break;
		}
		if (v == NULL || json_object_set_new(o, f->name, v) != 0)
			goto nomem;
	}
	return o;
nomem:
	json_decref(o);
	snprintf(err, errlen, "out of memory");
	return NULL;
}

/* ---- JSON to jobs ------------------------------------------------------- */

void
legacy_job_strings_free(jobs_job *job)
{
	for (size_t i = 0; i < client_n_job_fields; i++) {
		const struct job_field *f = &client_job_fields[i];
		if (f->kind == JF_TEXT || f->kind == JF_JSON) {
			free(*JOB_STR(job, f));
			*JOB_STR(job, f) = NULL;
		}
	}
}

/* Sets field f of `out` from `v`; -1 with a reason when `v` does not fit. */
static int
set_field(jobs_job *out, const struct job_field *f, const json_t *v, char *err, size_t errlen)
{
	char **sp = JOB_STR(out, f);
	int64_t us;

	switch (f->kind) {
	case JF_TEXT:
		if (json_is_null(v)) {
			free(*sp);
			*sp = strdup("");
		} else if (json_is_string(v)) {
			free(*sp);
			*sp = strdup(json_string_value(v));
		} else {
			snprintf(err, errlen, "%s must be a string", f->name);
			return -1;
		}
		if (*sp == NULL)
			goto nomem;
		break;
	case JF_BOOL:
		if (!json_is_boolean(v)) {
			snprintf(err, errlen, "%s must be true or false", f->name);
			return -1;
		}
		*JOB_BOOL(out, f) = json_is_true(v);
		break;
	case JF_TIME:
		if (!json_is_string(v) || jobs_time_parse(json_string_value(v), false, &us) != 0) {
			snprintf(err, errlen, "%s must be a time such as 2026-11-24T10:00:00Z",
			         f->name);
			return -1;
		}
		*JOB_TIME(out, f) = us;
		break;
	case JF_JSON:
		free(*sp);
		if ((*sp = legacy_json_dumps(v, JSON_COMPACT)) == NULL)
			goto nomem;
		break;
	}
	out->fields |= f->bit;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

int
legacy_job_from_json(const json_t *obj, enum legacy_json_use use, jobs_job *out, char *err,
                     size_t errlen)
{
	json_t *extra = json_object(), *v;
	const char *key;
	int rv = 0;

	if (!json_is_object(obj)) {
		snprintf(err, errlen, "a job must be a JSON object (a mapping)");
		json_decref(extra);
		return -1;
	}
	if (extra == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_object_foreach((json_t *)obj, key, v)
	{
		const struct job_field *f = client_job_field_by_name(key);

		if (f == NULL || strcmp(key, "extra") == 0) {
			if (json_object_set(extra, key, v) != 0) {
				snprintf(err, errlen, "out of memory");
				rv = -1;
				break;
			}
			continue;
		}
		if (f->output_only)
			continue;
		if (use == LEGACY_FOR_UPDATE &&
		    (f->bit & (JOBS_FIELD_ID | JOBS_FIELD_CREATED_AT | JOBS_FIELD_UPDATED_AT)))
			continue;
		if ((rv = set_field(out, f, v, err, errlen)) != 0)
			break;
	}
	if (rv == 0 && json_object_size(extra) > 0)
		rv = set_field(out, client_job_field_by_name("extra"), extra, err, errlen);
	json_decref(extra);
	return rv;
}

/* ---- legacy jobs --------------------------------------------------------- */

/* Whether `s` is a time the created_at/updated_at fields hold exactly. */
static bool
legacy_time(const char *s, int64_t *us)
{
	const char *dot = strchr(s, '.');
	size_t frac = dot != NULL ? strspn(dot + 1, "0123456789") : 0;

	return frac <= 6 && jobs_time_parse(s, false, us) == JOBS_OK;
}

int
legacy_job_from_json_lossless(const json_t *obj, jobs_job *out, enum legacy_id *id, char *err,
                              size_t errlen)
{
	json_t *extra = json_object(), *v;
	const char *key;
	int64_t us;
	int rv = 0;

	*id = LEGACY_ID_NONE;
	if (extra == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "a job must be a mapping, not a %s",
		         json_is_array(obj) ? "list" : "scalar");
		json_decref(extra);
		return -1;
	}
	json_object_foreach((json_t *)obj, key, v)
	{
		const struct job_field *f = client_job_field_by_name(key);
		bool fits = false, keep = false;

		if (f == NULL || f->output_only || strcmp(key, "extra") == 0) {
			keep = true;
		} else if (f->bit == JOBS_FIELD_ID) {
			if (json_is_string(v) && *json_string_value(v) != '\0') {
				fits = true;
			} else if (json_is_integer(v)) {
				char text[32];
				json_t *s;

				snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT,
				         json_integer_value(v));
				if ((s = json_string(text)) == NULL) {
					rv = -1;
					break;
				}
				rv = set_field(out, f, s, err, errlen);
				json_decref(s);
				*id = LEGACY_ID_OK;
				keep = true;
			} else if (!json_is_null(v) && !json_is_string(v)) {
				*id = LEGACY_ID_INVALID;
			}
		} else {
			switch (f->kind) {
			case JF_TEXT:
				fits = json_is_string(v);
				break;
			case JF_BOOL:
				fits = json_is_boolean(v);
				break;
			case JF_TIME:
				fits = json_is_string(v) && legacy_time(json_string_value(v), &us);
				if (!fits && f->bit == JOBS_FIELD_CREATED_AT) {
					out->created_at = LEGACY_UNKNOWN_TIME;
					out->fields |= f->bit;
				}
				break;
			case JF_JSON:
				fits = true;
				break;
			}
			keep = !fits;
		}
		if (rv == 0 && fits) {
			rv = set_field(out, f, v, err, errlen);
			if (f->bit == JOBS_FIELD_ID)
				*id = LEGACY_ID_OK;
		}
		if (rv == 0 && keep && json_object_set(extra, key, v) != 0) {
			snprintf(err, errlen, "out of memory");
			rv = -1;
		}
		if (rv != 0)
			break;
	}
	if (rv == 0 && json_object_size(extra) > 0)
		rv = set_field(out, client_job_field_by_name("extra"), extra, err, errlen);
	json_decref(extra);
	return rv;
}
