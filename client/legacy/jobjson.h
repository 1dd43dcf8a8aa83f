/*
 * jobjson.h: jobs as JSON objects with the legacy field names. jobsctl's
 * --json output, its --file input, and import and export all go through
 * here, so a job has one JSON shape everywhere (jobsctl's text for people
 * is its own, client/cli/render.c):
 *
 *   {"id": ..., "job_name": ..., ..., "enabled": true,
 *    "created_at": "2026-11-24T10:00:00Z", "updated_at": ...,
 *    "enhanced_settings": <any JSON value>,   (absent when the job has none)
 *    <each key of extra, at the top level>,
 *    "etag": "42"}                            (only where asked for)
 *
 * A key of extra named after a field (a legacy value that field could not
 * hold: jobs.proto, Job.extra) stands in place of the field's own value,
 * except the etag when it is asked for.
 */
#ifndef JOBS_LEGACY_JOBJSON_H
#define JOBS_LEGACY_JOBJSON_H

#include "jobs/client.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/*
 * The JSON object of `job` (a new reference; json_decref it). With
 * with_etag, the etag is included (and wins over an "etag" key of extra).
 * When job->fields is not 0, only the fields it names are (a summary view).
 * NULL with a reason in err when the job's JSON fields cannot be read back
 * (the server only stores valid JSON, so this means jansson cannot hold a
 * value, e.g. an integer beyond 64 bits).
 */
json_t *legacy_job_to_json(const jobs_job *job, bool with_etag, char *err, size_t errlen);

/* What a JSON object is read for. */
enum legacy_json_use {
	LEGACY_FOR_CREATE, /* every field but etag (ignored) */
	LEGACY_FOR_UPDATE, /* id, created_at, updated_at and etag are ignored */
};

/*
 * Fills `out` (zeroed by the caller) from the JSON object `obj`: known keys
 * set their field and its bit in out->fields; other keys are gathered into
 * out->extra. A string field given as null is set to "". Returns 0, or -1
 * with a reason in err naming the key ("enabled must be true or false").
 * On either return, release out's strings with legacy_job_strings_free().
 */
int legacy_job_from_json(const json_t *obj, enum legacy_json_use use, jobs_job *out, char *err,
                         size_t errlen);

/* How a legacy job names itself. */
enum legacy_id {
	LEGACY_ID_OK,      /* a usable id: a non-empty string, or an integer (as text) */
	LEGACY_ID_NONE,    /* no `id` key, or null, or "" */
	LEGACY_ID_INVALID, /* an id of another type (true, 1.5, a list, ...) */
};

/* created_at of a legacy job whose created_at is not a time: the earliest
 * time jobsd holds, 0001-01-01T00:00:00Z, read as "unknown". */
#define LEGACY_UNKNOWN_TIME (-62135596800LL * 1000000)

/*
 * Fills `out` (zeroed by the caller) from a legacy job, losing nothing: the
 * import's reading of a job, where legacy_job_from_json() is the strict one of
 * people's input. THE LOSSLESS RULE (README.md, "Legacy values that do not
 * fit"):
 *   - a known key whose value the field can hold sets the field: strings for
 *     text, true/false for enabled, a time (RFC 3339 or YAML 1.1, with at
 *     most 6 fraction digits; no zone means UTC) for created_at/updated_at,
 *     anything for enhanced_settings;
 *   - any other value of a known key goes verbatim into extra under the
 *     key's own name, and the field is left unset, so it takes jobsd's
 *     default; a created_at that is not a time sets created_at to
 *     LEGACY_UNKNOWN_TIME instead, so listings stay deterministic;
 *   - an integer id sets the id to its decimal text and is kept in extra;
 *   - etag, extra and unknown keys go into extra.
 * *id says how the job names itself; with LEGACY_ID_NONE or _INVALID no id
 * is set. Returns 0, or -1 (not a mapping, out of memory) with a reason in
 * err. Release out's strings with legacy_job_strings_free() either way.
 */
int legacy_job_from_json_lossless(const json_t *obj, jobs_job *out, enum legacy_id *id, char *err,
                                  size_t errlen);

/* Frees the strings of a job filled by legacy_job_from_json() (not the struct). */
void legacy_job_strings_free(jobs_job *job);

/*
 * json_dumps() with reals written in the fewest digits that read back the
 * same value (1.2, not 1.2 with seventeen digits): jansson's own choice is
 * one precision for a whole document, so this picks the smallest one that is
 * exact for every real in `v`. Malloc'd; NULL when out of memory.
 */
char *legacy_json_dumps(const json_t *v, size_t flags);

#endif
