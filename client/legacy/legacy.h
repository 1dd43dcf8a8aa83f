/*
 * legacy.h: the legacy stores of the Flask app, in and out of jobsd.
 *
 * One engine, two users: `jobsctl import` / `jobsctl export`, and jobsd's
 * start-up migration (server/legacy_startup.c). Both send imported jobs
 * through a legacy_sink (BatchCreateJobs on a libjobsclient connection; jobsd
 * connects one to its own inproc:// listener), so every job takes the same
 * checks and the same group-commit path as any other write.
 *
 * THE LAYOUTS (README.md, "Migrating from the legacy app"):
 *   yaml      one file, a mapping whose `jobs:` is a list of jobs
 *             (~/.zyra-video-agent/campaigns.yaml). A jobs_index.yaml beside
 *             it is an index of it and is ignored: the data file rules.
 *   yaml-dir  a folder holding jobs/<id>.yaml, one job each, and, optionally,
 *             jobs_manifest.yaml (id -> job_name, product, created_at,
 *             enabled, file_path); or a folder of job files itself.
 *   json      JSON Lines: one job per line (export only writes it; import
 *             reads it back).
 *
 * IMPORT, in two passes so that a broken single file writes nothing:
 *   1. read: the source (or its backup copy) is parsed as a stream, each job
 *      converted by the lossless rule (jobjson.h, legacy_job_from_json_lossless), checked
 *      for an id and for ids seen before, and spooled to an unlinked
 *      temporary file as protobuf. Memory holds one job and the set of ids.
 *   2. write: the spool goes out in batches (at most batch_jobs jobs and the
 *      server's largest request), each one BatchCreateJobs call, from
 *      sixteen sender threads at once so that jobsd's group commit takes
 *      many batches per transaction (and fsync). A job the server refuses (a bad
 *      id, a field too long) is reported and the batch sent again without
 *      it. The report lists skipped jobs in source order.
 * Dry runs do both passes with validate_only batches: the same report,
 * nothing written, no backup.
 *
 * EXPORT pages through ListJobs (newest first: created_at, then id,
 * descending: a stable order) and writes to a temporary file or folder
 * beside PATH, renamed over PATH at the end, so a reader sees the old export
 * or the new one, never half of one. PATH "-" is standard output; a symlink
 * is written through; other files that are not regular are refused. A job
 * it cannot write exactly is named on stderr, and the export then fails
 * (export.c, TARGETS and UNREADABLE JOBS).
 */
#ifndef JOBS_LEGACY_H
#define JOBS_LEGACY_H

#include "jobs/client.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

enum legacy_format {
	LEGACY_AUTO,     /* import: tell from PATH */
	LEGACY_YAML,     /* "yaml" */
	LEGACY_YAML_DIR, /* "yaml-dir" */
	LEGACY_JSON,     /* "json": JSON Lines */
};

/* "yaml" -> LEGACY_YAML, ...; -1 for a name that is none. */
int legacy_format_parse(const char *name);
const char *legacy_format_name(enum legacy_format f);

/* Where imported jobs go: one write() per batch, with the contract of
 * jobs_batch_create_jobs(). max_request_bytes bounds a batch's request. */
struct legacy_sink {
	int (*write)(void *ud, jobs_call *call, const jobs_job *const *jobs, size_t n,
	             unsigned flags, jobs_batch_result **out);
	void *ud;
	size_t max_request_bytes;
};

/* A sink writing through `c` (borrowed; it must outlive the sink). Asks the
 * server's Health for its largest request. Returns a jobs_code. */
int legacy_client_sink(jobs_client *c, jobs_call *call, struct legacy_sink *sink);

struct legacy_import_options {
	const char *path;
	enum legacy_format format; /* LEGACY_AUTO: detect */
	bool dry_run;              /* report only: validate_only batches, no backup */
	bool assign_ids;           /* jobs without an id get a new one, not skipped */
	bool replace;              /* overwrite jobs whose id is in the database */
	bool progress;             /* a progress line on stderr, if it is a terminal */
	size_t batch_jobs;         /* most jobs per batch; 0: 1000 */
	const char *backup_time;   /* for tests: the timestamp in the backup's name */
	const atomic_bool *stop;   /* when it turns true, give up (CANCELLED); may be NULL */
};

/*
 * Imports. Returns JOBS_OK when the import ran to its end: *report (a JSON
 * object, the caller's: json_decref) then says what was imported and what
 * was skipped, and why. Otherwise a jobs_code with a reason in err:
 * NOT_FOUND (no such path), INVALID_ARGUMENT (a single file that is not
 * YAML or JSON Lines, with file:line:column; nothing was written), or the
 * sink's failure (the server went away; *report says how far it got).
 * *report is NULL when nothing was written (the source could not be read).
 */
int legacy_import(const struct legacy_import_options *o, const struct legacy_sink *sink,
                  json_t **report, char *err, size_t errlen);

/* Whether the report lists skipped jobs, and of which kind: 0 none, 2 some
 * could not be read or were refused (broken, no id, invalid), 4 only
 * conflicts (ids twice in the source, or already in the database). */
int legacy_report_severity(const json_t *report);

struct legacy_export_options {
	const char *path;
	enum legacy_format format; /* LEGACY_YAML, _YAML_DIR or _JSON */
	bool progress;
};

/* Exports every job through `c`. On JOBS_OK *count (if given) is the number
 * written. Otherwise a jobs_code with a reason in err, and PATH untouched
 * (standard output keeps what was written: the status says it is not all):
 * INVALID_ARGUMENT for a target export cannot write, DATA_LOSS when some jobs
 * cannot be written exactly (each named on stderr). */
int legacy_export(jobs_client *c, const struct legacy_export_options *o, size_t *count, char *err,
                  size_t errlen);

/* ---- shared by import and export (files.c) ---------------------------- */

/* A progress line on stderr: count, rate and, with a total, ETA. Drawn only
 * when `enabled` and stderr is a terminal, at most five times a second.
 * `unit` names what done and total count ("jobs", "files"), or is
 * LEGACY_BYTES: then they are shown in B, KiB, MiB or GiB, as suits the
 * total. */
#define LEGACY_BYTES "bytes"
struct legacy_progress {
	bool on;
	const char *label, *unit;
	double start, last;
	double total; /* 0: unknown */
};
void legacy_progress_begin(struct legacy_progress *p, bool enabled, const char *label,
                           const char *unit, double total);
void legacy_progress_update(struct legacy_progress *p, double done, size_t jobs);
void legacy_progress_end(struct legacy_progress *p);

/* A name beside `path` that does not exist yet: "PATH.backup-STAMP", then
 * "PATH.backup-STAMP-2", ... STAMP is YYYYMMDDTHHMMSSZ of now, or `stamp`.
 * Malloc'd. */
char *legacy_backup_name(const char *path, const char *stamp);

/* The code of a failed local file operation, from its errno: NOT_FOUND for a
 * path that is not there (exit 3), PERMISSION_DENIED for one that may not be
 * written (exit 6), CANCELLED for a pipe whose reader went away (EPIPE:
 * not a failure, the reader took what it wanted), INTERNAL otherwise
 * (exit 1). Never UNAVAILABLE: that
 * means jobsd could not be reached (exit 5). */
int legacy_file_code(int err);

#endif
