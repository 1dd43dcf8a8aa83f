/*
 * import.c: legacy stores into jobsd (legacy.h has the design: layouts, the
 * two passes, the sink). In reading order: detecting the layout, backups,
 * pass 1 (read, convert, spool) for each layout, pass 2 (batches), the
 * report.
 */
#include "internal.h"
#include "jobjson.h"
#include "files.h"
#include "legacy.h"
#include "yamljson.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_BATCH_JOBS 1000
#define ENVELOPE_SLACK     1024 /* request envelope around the jobs: id, deadline, tags */
#define BATCH_TIMEOUT_MS   60000

/* Where a job was in the source, for the report. */
struct pos {
	long index; /* in the jobs: list, or the file's place in the folder; -1: none */
	int line;   /* 0: none */
	int file;   /* index into importer.files; -1: none */
};

/* What detect() decided, and the backup. Paths are malloc'd. */
struct source {
	enum legacy_format format;
	char *data;          /* yaml/json: the file; yaml-dir: the folder of job files */
	char *manifest;      /* yaml-dir: jobs_manifest.yaml, or NULL */
	char *dir_prefix;    /* yaml-dir: "jobs/" when data is ROOT/jobs, else "" */
	char *backup;        /* the backup made, or NULL */
	char *read_data;     /* what pass 1 reads: the backup's copy of data, or data */
	char *read_manifest; /* likewise */
};

struct importer {
	const struct legacy_import_options *o;
	const struct legacy_sink *sink;
	struct source src;
	json_t *report, *skipped, *assigned, *unnamed, *files;
	json_t *seen; /* id -> index << 32 | line of its first job */
	FILE *spool;
	uint8_t *buf; /* packing buffer */
	size_t bufcap;
	size_t read, spooled, imported, replaced, sent;
	struct legacy_progress prog;
	FILE *reading; /* the single file being read, for progress */
	double total;  /* pass 1 progress total (bytes or files) */
	char *err;
	size_t errlen;
	/* An entry of the report was lost for want of memory: the import then
	 * fails rather than hand over a report that does not name every job. */
	bool report_incomplete;
};

/* Spool record header; the packed CreateJobRequest follows. */
struct record {
	uint32_t len;
	int32_t line;
	int32_t file;
	int64_t index;
};

int
legacy_format_parse(const char *name)
{
	if (strcmp(name, "yaml") == 0)
		return LEGACY_YAML;
	if (strcmp(name, "yaml-dir") == 0)
		return LEGACY_YAML_DIR;
	if (strcmp(name, "json") == 0)
		return LEGACY_JSON;
	return -1;
}

const char *
legacy_format_name(enum legacy_format f)
{
	return f == LEGACY_YAML       ? "yaml"
	       : f == LEGACY_YAML_DIR ? "yaml-dir"
	       : f == LEGACY_JSON     ? "json"
	                              : "auto";
}

static bool
im_err_empty(const struct importer *im)
{
	return im->err[0] == '\0';
}

static int __attribute__((format(printf, 3, 4)))
failed(struct importer *im, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(im->err, im->errlen, fmt, ap);
	va_end(ap);
	return code;
}

static char *
join(const char *dir, const char *name)
{
	char *p;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

static bool
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && strcmp(s + n - m, tail) == 0;
}

/* Appends `e` (stolen; NULL when making it ran out of memory) to the report
 * array `arr`, or marks the report incomplete. */
static void
note(struct importer *im, json_t *arr, json_t *e)
{
	if (e == NULL || json_array_append_new(arr, e) != 0)
		im->report_incomplete = true;
}

static void
ignore(struct importer *im, const char *what, const char *why)
{
	note(im, json_object_get(im->report, "ignored"),
	     json_pack("{ssss}", "path", what, "why", why));
}

/* ---- the layout ---------------------------------------------------------- */

static int
detect(struct importer *im)
{
	const struct legacy_import_options *o = im->o;
	struct source *s = &im->src;
	char *p = NULL;
	struct stat st;

	if (stat(o->path, &st) != 0)
		return failed(im, legacy_file_code(errno), "cannot read %s: %s", o->path,
		              strerror(errno));
	s->format = o->format;
	if (S_ISDIR(st.st_mode)) {
		if (s->format == LEGACY_YAML || s->format == LEGACY_JSON)
			return failed(im, JOBS_INVALID_ARGUMENT,
			              "%s is a folder; --format %s wants a file", o->path,
			              legacy_format_name(s->format));
		if ((p = join(o->path, "jobs")) == NULL)
			goto nomem;
		if (is_dir(p)) {
			s->format = LEGACY_YAML_DIR;
			s->data = p;
			p = NULL;
			if ((s->dir_prefix = strdup("jobs/")) == NULL)
				goto nomem;
			p = join(o->path, "jobs_manifest.yaml");
			if (p != NULL && exists(p))
				s->manifest = p;
			else
				free(p);
			p = join(o->path, "campaigns.yaml");
			if (p != NULL && exists(p))
				ignore(
				    im, p,
				    "the per-job files hold the jobs; a campaigns.yaml beside them "
				    "is what the legacy app migrated from (import it with "
				    "--format yaml to read it instead)");
			free(p);
			return 0;
		}
		free(p);
		if ((p = join(o->path, "campaigns.yaml")) == NULL)
			goto nomem;
		if (s->format == LEGACY_AUTO && exists(p)) {
			s->format = LEGACY_YAML;
			s->data = p;
		} else {
			free(p);
			s->format = LEGACY_YAML_DIR;
			p = NULL;
			if ((s->data = strdup(o->path)) == NULL ||
			    (s->dir_prefix = strdup("")) == NULL)
				goto nomem;
			p = join(o->path, "jobs_manifest.yaml");
			if (p != NULL && exists(p))
				s->manifest = p;
			else
				free(p);
			return s->data != NULL && s->dir_prefix != NULL
			           ? 0
			           : failed(im, JOBS_RESOURCE_EXHAUSTED, "out of memory");
		}
	} else {
		const char *name = base_name(o->path);

		if (s->format == LEGACY_YAML_DIR)
			return failed(im, JOBS_INVALID_ARGUMENT,
			              "%s is a file; --format yaml-dir wants a folder", o->path);
		if (strcmp(name, "jobs_index.yaml") == 0 || strcmp(name, "jobs_manifest.yaml") == 0)
			return failed(im, JOBS_INVALID_ARGUMENT,
			              "%s is an index, not the jobs: give the data file "
			              "(campaigns.yaml) or the folder holding jobs/",
			              o->path);
		if (s->format == LEGACY_AUTO)
			s->format = ends_with(name, ".json") || ends_with(name, ".jsonl")
			                ? LEGACY_JSON
			                : LEGACY_YAML;
		if ((s->data = strdup(o->path)) == NULL)
			goto nomem;
	}
	/* A jobs_index.yaml beside a single file indexes it: the data file rules. */
	if (s->format == LEGACY_YAML) {
		char *dir = strdup(s->data), *slash;

		if (dir == NULL)
			goto nomem;
		slash = strrchr(dir, '/');
		if (slash != NULL)
			*slash = '\0';
		p = join(slash != NULL ? dir : ".", "jobs_index.yaml");
		if (p != NULL && exists(p))
			ignore(im, p, "an index of the single file; the data file rules");
		free(p);
		free(dir);
	}
	return 0;
nomem:
	free(p);
	return failed(im, JOBS_RESOURCE_EXHAUSTED, "out of memory");
}

/* ---- the backup ------------------------------------------------------------ */

/* The names of the job files of a folder, sorted (a JSON array). */
static json_t *
job_files(const char *dir)
{
	json_t *names = json_array();
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t n;
	const char **v;

	if (d == NULL || names == NULL) {
		if (d != NULL)
			closedir(d);
		json_decref(names);
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "jobs_manifest.yaml") == 0 ||
		    strcmp(de->d_name, "jobs_index.yaml") == 0 ||
		    (!ends_with(de->d_name, ".yaml") && !ends_with(de->d_name, ".yml")))
			continue;
		json_array_append_new(names, json_string(de->d_name));
	}
	closedir(d);
	/* Sort by name (bytes), so that the order, and the report, is stable. */
	n = json_array_size(names);
	if ((v = malloc((n + 1) * sizeof *v)) != NULL) {
		json_t *sorted = json_array();

		for (size_t i = 0; i < n; i++)
			v[i] = json_string_value(json_array_get(names, i));
		qsort(v, n, sizeof *v, (int (*)(const void *, const void *))strcmp);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(sorted, json_string(v[i]));
		free(v);
		json_decref(names);
		names = sorted;
	}
	return names;
}

/*
 * Copies the source beside itself before anything is written, and points
 * pass 1 at the copy, so that what is imported is exactly what the backup
 * holds even if the legacy app writes meanwhile. The source is only read.
 */
static int
make_backup(struct importer *im)
{
	struct source *s = &im->src;
	const char *root = im->o->path;
	int e;

	if (s->format != LEGACY_YAML_DIR) {
		if ((s->backup = legacy_backup_name(s->data, im->o->backup_time)) == NULL)
			return failed(im, JOBS_RESOURCE_EXHAUSTED, "out of memory");
		if ((e = files_copy(s->data, s->backup, FILES_SAME_MODE)) != 0)
			return failed(im, legacy_file_code(errno), "cannot back %s up to %s: %s",
			              s->data, s->backup, strerror(e));
		files_sync_parent(s->backup);
		s->read_data = strdup(s->backup);
		return s->read_data != NULL ? 0
		                            : failed(im, JOBS_RESOURCE_EXHAUSTED, "out of memory");
	}
	/* A folder: the job files and the manifest, in the same places. */
	if ((s->backup = legacy_backup_name(root, im->o->backup_time)) == NULL)
		return failed(im, JOBS_RESOURCE_EXHAUSTED, "out of memory");
	if (mkdir(s->backup, 0700) != 0)
		return failed(im, legacy_file_code(errno), "cannot create %s: %s", s->backup,
		              strerror(errno));
	s->read_data = *s->dir_prefix != '\0' ? join(s->backup, "jobs") : strdup(s->backup);
	if (s->read_data == NULL)
		return failed(im, JOBS_RESOURCE_EXHAUSTED, "out of memory");
	if (*s->dir_prefix != '\0' && mkdir(s->read_data, 0700) != 0)
		return failed(im, legacy_file_code(errno), "cannot create %s: %s", s->read_data,
		              strerror(errno));
	if (s->manifest != NULL) {
		if ((s->read_manifest = join(s->backup, "jobs_manifest.yaml")) == NULL)
			return failed(im, JOBS_RESOURCE_EXHAUSTED, "out of memory");
		if ((e = files_copy(s->manifest, s->read_manifest, FILES_SAME_MODE)) != 0)
			return failed(im, legacy_file_code(errno), "cannot back %s up: %s",
			              s->manifest, strerror(e));
	}
	json_t *names = job_files(s->data);
	size_t i;
	json_t *v;

	if (names == NULL)
		return failed(im, legacy_file_code(errno), "cannot list %s: %s", s->data,
		              strerror(errno));
	json_array_foreach(names, i, v)
	{
		char *from = join(s->data, json_string_value(v)),
		     *to = join(s->read_data, json_string_value(v));

		e = from != NULL && to != NULL ? files_copy(from, to, FILES_SAME_MODE) : ENOMEM;
		free(from);
		free(to);
		if (e != 0) {
			json_decref(names);
			return failed(im, legacy_file_code(errno), "cannot back %s up: %s", s->data,
			              strerror(e));
		}
	}
	json_decref(names);
	files_sync_parent(s->read_data);
	return 0;
}

/* Removes a backup that turned out not to be needed (nothing was written). */
static void
drop_backup(struct importer *im)
{
	struct source *s = &im->src;

	if (s->backup == NULL)
		return;
	if (s->format != LEGACY_YAML_DIR) {
		unlink(s->backup);
	} else {
		json_t *names = job_files(s->read_data);
		size_t i;
		json_t *v;

		json_array_foreach(names, i, v)
		{
			char *p = join(s->read_data, json_string_value(v));
			if (p != NULL)
				unlink(p);
			free(p);
		}
		json_decref(names);
		if (s->read_manifest != NULL)
			unlink(s->read_manifest);
		if (strcmp(s->read_data, s->backup) != 0)
			rmdir(s->read_data);
		rmdir(s->backup);
	}
	free(s->backup);
	s->backup = NULL;
}

/* ---- the report, as it grows -------------------------------------------- */

/* A job's name for people: its job_name if text, else its JSON. */
static json_t *
name_of(const json_t *job)
{
	json_t *n = json_is_object(job) ? json_object_get(job, "job_name") : NULL;
	char *text;
	json_t *s;

	if (n == NULL)
		return json_null();
	if (json_is_string(n))
		return json_incref(n);
	text = json_dumps(n, JSON_ENCODE_ANY | JSON_COMPACT);
	s = json_string(text != NULL ? text : "?");
	free(text);
	return s;
}

static void
put_pos(struct importer *im, json_t *e, const struct pos *at)
{
	if (e == NULL)
		return;
	if ((at->file >= 0 &&
	     json_object_set(e, "file", json_array_get(im->files, (size_t)at->file)) != 0) ||
	    (at->index >= 0 && json_object_set_new(e, "index", json_integer(at->index)) != 0) ||
	    (at->line > 0 && json_object_set_new(e, "line", json_integer(at->line)) != 0))
		im->report_incomplete = true;
}

/* Records a skipped job (or file). `name` is stolen. Returns 0. */
static int __attribute__((format(printf, 6, 7)))
skip(struct importer *im, const char *reason, const struct pos *at, const char *id, json_t *name,
     const char *fmt, ...)
{
	json_t *e = json_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (json_object_set_new(e, "reason", json_string(reason)) != 0 ||
	    (id != NULL && json_object_set_new(e, "id", json_string(id)) != 0) ||
	    (name != NULL && !json_is_null(name) && json_object_set(e, "job_name", name) != 0) ||
	    json_object_set_new(e, "message", json_string(msg)) != 0) {
		json_decref(e);
		e = NULL;
	}
	json_decref(name);
	put_pos(im, e, at);
	note(im, im->skipped, e);
	return 0;
}

/* ---- pass 1: read ---------------------------------------------------------- */

static int
spool_job(struct importer *im, const jobs_job *j, const struct pos *at)
{
	Jobs__V1__CreateJobRequest req = JOBS__V1__CREATE_JOB_REQUEST__INIT;
	Jobs__V1__Job pb = JOBS__V1__JOB__INIT;
	char *mask[JOB_FIELDS_MAX];
	struct record r;
	size_t n;

	client_job_to_proto(j, &pb, mask, &req.n_field_mask);
	req.job = &pb;
	req.field_mask = mask;
	n = jobs__v1__create_job_request__get_packed_size(&req);
	if (n > im->bufcap) {
		uint8_t *b = realloc(im->buf, n);
		if (b == NULL)
			return failed(im, JOBS_RESOURCE_EXHAUSTED, "out of memory");
		im->buf = b;
		im->bufcap = n;
	}
	jobs__v1__create_job_request__pack(&req, im->buf);
	r = (struct record){(uint32_t)n, at->line, at->file, at->index};
	if (fwrite(&r, sizeof r, 1, im->spool) != 1 || fwrite(im->buf, 1, n, im->spool) != n)
		return failed(im, legacy_file_code(errno), "cannot write the spool file: %s",
		              strerror(errno));
	im->spooled++;
	return 0;
}

/* One job of the source: convert, check its id, spool. Non-zero: give up. */
static int
take(struct importer *im, const json_t *obj, const struct pos *at)
{
	jobs_job j = {0};
	enum legacy_id idst;
	char msg[256];
	json_t *first;
	int rv = 0;

	if (im->o->stop != NULL && atomic_load(im->o->stop))
		return failed(im, JOBS_CANCELLED, "stopped after reading %zu jobs", im->read);
	im->read++;
	if (!json_is_object(obj))
		return skip(im, "not_a_job", at, NULL, NULL, "a job must be a mapping, not a %s",
		            json_is_array(obj) ? "list" : "scalar");
	if (legacy_job_from_json_lossless(obj, &j, &idst, msg, sizeof msg) != 0) {
		legacy_job_strings_free(&j);
		return failed(im, JOBS_RESOURCE_EXHAUSTED, "%s", msg);
	}
	if (idst == LEGACY_ID_INVALID) {
		skip(im, "invalid", at, NULL, name_of(obj),
		     "its id is neither text nor an integer");
	} else if (idst == LEGACY_ID_NONE && !im->o->assign_ids) {
		skip(im, "no_id", at, NULL, name_of(obj), "no id; --assign-ids gives it a new one");
	} else if (idst == LEGACY_ID_OK && (first = json_object_get(im->seen, j.id)) != NULL) {
		json_int_t packed = json_integer_value(first);
		long first_line = (long)(packed & 0xffffffff);
		char where[64] = "";

		if (first_line > 0)
			snprintf(where, sizeof where, ", line %ld", first_line);
		skip(im, "duplicate_id", at, j.id, name_of(obj),
		     "the id is also that of job %lld%s, read first, which wins",
		     (long long)(packed >> 32) + 1, where);
	} else {
		/* The first place of each id, packed in one integer: index, line. */
		if (idst == LEGACY_ID_OK &&
		    json_object_set_new(im->seen, j.id,
		                        json_integer(((json_int_t)at->index << 32) |
		                                     (json_int_t)(at->line > 0 ? at->line : 0))) !=
		        0)
			rv = failed(im, JOBS_RESOURCE_EXHAUSTED, "out of memory");
		if (rv == 0)
			rv = spool_job(im, &j, at);
	}
	legacy_job_strings_free(&j);
	return rv;
}

/* The id a job names itself by, for the report of a job not imported: its
 * text, or an integer's digits; NULL if it has none of those. */
static const char *
id_of(const json_t *job, char *buf, size_t size)
{
	json_t *id = json_is_object(job) ? json_object_get(job, "id") : NULL;

	if (json_is_string(id))
		return json_string_value(id);
	if (json_is_integer(id)) {
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
		return buf;
	}
	return NULL;
}

/*
 * A job that holds a value JSON (and so jobsd) cannot hold: an integer
 * beyond 64 bits, .inf, .nan. Importing the rest of it would lose that
 * value, so it is named in the report and not imported. `line`, `column`,
 * `why`: where the first such value is, and what it is.
 */
static int
take_unrepresentable(struct importer *im, const json_t *obj, const struct pos *at, int line,
                     int column, const char *why)
{
	char idbuf[32];
	const char *id = id_of(obj, idbuf, sizeof idbuf);

	if (im->o->stop != NULL && atomic_load(im->o->stop))
		return failed(im, JOBS_CANCELLED, "stopped after reading %zu jobs", im->read);
	im->read++;
	return skip(im, "unrepresentable", at, id, name_of(obj),
	            "line %d, column %d: %s; jobsd stores JSON, which cannot hold it, so the "
	            "job is not imported (change the value in the source and import again)",
	            line, column, why);
}

static int
item_cb(void *ud, json_t *item, size_t index, int line, const struct legacy_yaml_error *spoiled)
{
	struct importer *im = ud;
	struct pos at = {(long)index, line, -1};
	int rv = spoiled != NULL ? take_unrepresentable(im, item, &at, spoiled->line,
	                                                spoiled->column, spoiled->message)
	                         : take(im, item, &at);

	legacy_progress_update(&im->prog, (double)ftell(im->reading), im->read);
	return rv != 0 ? 1 : 0;
}

static int
read_single(struct importer *im)
{
	struct source *s = &im->src;
	struct legacy_yaml_error ye;
	json_t *doc = NULL, *v;
	const char *key;
	struct stat st;
	FILE *f = fopen(s->read_data, "rb");
	int rc;

	if (f == NULL)
		return failed(im, legacy_file_code(errno), "cannot read %s: %s", s->data,
		              strerror(errno));
	im->reading = f;
	legacy_progress_begin(&im->prog, im->o->progress, "import: reading", LEGACY_BYTES,
	                      fstat(fileno(f), &st) == 0 ? (double)st.st_size : 0);
	rc = legacy_yaml_parse(f, "jobs", item_cb, im, &doc, &ye);
	legacy_progress_end(&im->prog);
	fclose(f);
	im->reading = NULL;
	if (rc == 1)
		return im->o->stop != NULL && atomic_load(im->o->stop) ? JOBS_CANCELLED
		                                                       : JOBS_RESOURCE_EXHAUSTED;
	if (rc != 0) {
		if (ye.line > 0)
			return failed(im, JOBS_INVALID_ARGUMENT, "%s:%d:%d: %s", s->data, ye.line,
			              ye.column, ye.message);
		return failed(im, JOBS_INVALID_ARGUMENT, "%s: %s", s->data, ye.message);
	}
	if (json_is_object(doc) && json_object_get(doc, "jobs") == NULL &&
	    json_object_size(doc) > 0) {
		json_decref(doc);
		return failed(im, JOBS_INVALID_ARGUMENT,
		              "%s has no `jobs:` list (one job alone? use jobsctl create --file)",
		              s->data);
	}
	json_object_foreach(doc, key, v)
	{
		struct pos at = {-1, 0, -1};

		if (strcmp(key, "jobs") == 0)
			continue;
		skip(im, "not_a_job", &at, NULL, NULL,
		     "the top-level key '%.100s' is not in the jobs: list and is not imported",
		     key);
	}
	json_decref(doc);
	return 0;
}

static int
read_json_lines(struct importer *im)
{
	struct source *s = &im->src;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, rv = 0;
	long index = 0;
	struct stat st;
	FILE *f = fopen(s->read_data, "rb");

	if (f == NULL)
		return failed(im, legacy_file_code(errno), "cannot read %s: %s", s->data,
		              strerror(errno));
	legacy_progress_begin(&im->prog, im->o->progress, "import: reading", LEGACY_BYTES,
	                      fstat(fileno(f), &st) == 0 ? (double)st.st_size : 0);
	while (rv == 0 && (len = getline(&line, &cap, f)) >= 0) {
		json_error_t je;
		json_t *job;
		struct pos at = {index, ++lineno, -1};

		if (strspn(line, " \t\r\n") == (size_t)len)
			continue;
		if ((job = json_loadb(line, (size_t)len, JSON_DECODE_ANY, &je)) != NULL) {
			rv = take(im, job, &at);
		} else if (json_error_code(&je) == json_error_numeric_overflow) {
			/* Valid JSON with an integer beyond 64 bits: read again with
			 * integers as reals only to name the job in the report. */
			job = json_loadb(line, (size_t)len,
			                 JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
			rv = take_unrepresentable(im, job, &at, lineno, je.column, je.text);
		} else {
			rv = failed(im, JOBS_INVALID_ARGUMENT, "%s:%d:%d: %s", s->data, lineno,
			            je.column, je.text);
			break;
		}
		json_decref(job);
		index++;
		legacy_progress_update(&im->prog, (double)ftell(f), im->read);
	}
	legacy_progress_end(&im->prog);
	free(line);
	fclose(f);
	return rv;
}

static int
read_folder(struct importer *im)
{
	struct source *s = &im->src;
	json_t *names = job_files(s->read_data), *v;
	size_t i;
	int rv = 0;

	if (names == NULL)
		return failed(im, legacy_file_code(errno), "cannot list %s: %s", s->data,
		              strerror(errno));
	legacy_progress_begin(&im->prog, im->o->progress, "import: reading", "files",
	                      (double)json_array_size(names));
	json_array_foreach(names, i, v)
	{
		char *path = join(s->read_data, json_string_value(v)), *rel = NULL;
		struct legacy_yaml_error ye;
		json_t *doc = NULL;
		struct pos at = {(long)i, 0, (int)json_array_size(im->files)};

		if (path == NULL ||
		    asprintf(&rel, "%s%s", s->dir_prefix, json_string_value(v)) < 0) {
			free(path);
			rv = failed(im, JOBS_RESOURCE_EXHAUSTED, "out of memory");
			break;
		}
		json_array_append_new(im->files, json_string(rel));
		if (legacy_yaml_load_file(path, &doc, &ye) != 0) {
			/* One broken file is reported; the others still import. */
			at.line = ye.line;
			im->read++;
			skip(im, "broken_file", &at, NULL, NULL, "%s:%d:%d: %s", rel, ye.line,
			     ye.column, ye.message);
		} else if (json_is_null(doc)) {
			im->read++;
			skip(im, "not_a_job", &at, NULL, NULL, "%s is empty", rel);
		} else {
			rv = take(im, doc, &at);
		}
		json_decref(doc);
		free(path);
		free(rel);
		legacy_progress_update(&im->prog, (double)i + 1, im->read);
		if (rv != 0)
			break;
	}
	legacy_progress_end(&im->prog);
	json_decref(names);
	return rv;
}

/* The manifest lists jobs by id: report those whose file is missing. */
static void
check_manifest(struct importer *im)
{
	struct source *s = &im->src;
	const char *mpath = s->read_manifest != NULL ? s->read_manifest : s->manifest;
	char *dir = strdup(mpath), *slash;
	struct legacy_yaml_error ye;
	json_t *doc = NULL, *entry;
	const char *id;
	struct pos none = {-1, 0, -1};

	if (dir == NULL) {
		im->report_incomplete = true; /* the manifest went unchecked */
		return;
	}
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (legacy_yaml_load_file(mpath, &doc, &ye) != 0) {
		none.line = ye.line;
		skip(im, "broken_file", &none, NULL, NULL, "jobs_manifest.yaml:%d:%d: %s", ye.line,
		     ye.column, ye.message);
		free(dir);
		return;
	}
	json_object_foreach(doc, id, entry)
	{
		json_t *fp = json_object_get(entry, "file_path");
		char *rel = NULL, *path = NULL;

		if (json_is_string(fp))
			rel = strdup(json_string_value(fp));
		else if (asprintf(&rel, "jobs/%s.yaml", id) < 0)
			rel = NULL;
		if (rel == NULL) {
			im->report_incomplete = true;
			break;
		}
		path = join(slash != NULL ? dir : ".", rel);
		/* Relative to the folder of the manifest, as the legacy app wrote it;
		 * for a folder of job files alone, also beside the manifest. */
		if (path != NULL && !exists(path)) {
			char *alt = join(s->read_data, base_name(rel));

			if (alt == NULL || !exists(alt))
				skip(im, "missing_file", &none, id, name_of(entry),
				     "listed in jobs_manifest.yaml, but %s is missing", rel);
			free(alt);
		}
		free(path);
		free(rel);
	}
	json_decref(doc);
	free(dir);
}

/* ---- pass 2: write -------------------------------------------------------- */

/*
 * SENDERS. Batches go out from SENDERS threads at once, through the one
 * (thread-safe) client, so that jobsd's writer finds several batches queued
 * and commits them together: one fsync for several batches, where one
 * sender would pay one per batch. Ids are unique across batches (pass 1
 * saw to that), so their order does not matter; the report is sorted by
 * place in the source at the end. At most SENDERS + QUEUED batches are in
 * memory (each at most the server's largest request, 1 MiB by default).
 * The more batches a commit takes, the fewer times each index page it
 * changes goes to the WAL and the disk, at the cost of jobsd's memory for
 * the batches it holds (tools/RESULTS.md, bench_import, measured both for
 * several sender counts). Each batch in flight costs this
 * process ~3 MiB (its jobs decoded, its request encoded).
 */
#define SENDERS 16
#define QUEUED  2

struct batch {
	jobs_job **jobs;
	struct record *meta;
	size_t n, bytes;
};

struct senders {
	struct importer *im;
	pthread_mutex_t mu; /* everything below, and the report and counters of im */
	pthread_cond_t cv;
	struct batch *queue[QUEUED];
	size_t queued;
	bool closed; /* no more batches will come */
	int failure; /* the first failure that ends the import */
	pthread_t threads[SENDERS];
	int started;
};

static struct batch *
batch_new(size_t max)
{
	struct batch *b = calloc(1, sizeof *b);

	if (b != NULL && ((b->jobs = calloc(max, sizeof *b->jobs)) == NULL ||
	                  (b->meta = calloc(max, sizeof *b->meta)) == NULL)) {
		free(b->jobs);
		free(b);
		b = NULL;
	}
	return b;
}

static void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	for (size_t k = 0; k < b->n; k++)
		jobs_job_free(b->jobs[k]);
	free(b->jobs);
	free(b->meta);
	free(b);
}

static void
batch_drop(struct batch *b, size_t k)
{
	jobs_job_free(b->jobs[k]);
	memmove(&b->jobs[k], &b->jobs[k + 1], (b->n - k - 1) * sizeof *b->jobs);
	memmove(&b->meta[k], &b->meta[k + 1], (b->n - k - 1) * sizeof *b->meta);
	b->n--;
}

static struct pos
pos_of(const struct record *r)
{
	return (struct pos){(long)r->index, r->line, r->file};
}

static json_t *
job_name_json(const jobs_job *j)
{
	return *j->job_name != '\0' ? json_string(j->job_name) : json_null();
}

/* "jobs[12]: why" -> 12; -1 when the message names no job. */
static long
refused_index(const char *message)
{
	char *end;
	long k;

	if (strncmp(message, "jobs[", 5) != 0)
		return -1;
	k = strtol(message + 5, &end, 10);
	return end[0] == ']' && end[1] == ':' ? k : -1;
}

/* Records the outcomes of a batch that was answered. Under sp->mu. */
static void
outcomes(struct importer *im, struct batch *b, const jobs_batch_result *res)
{
	for (size_t k = 0; k < res->n_outcomes && k < b->n; k++) {
		const jobs_batch_outcome *o = &res->outcomes[k];
		size_t at_k = o->index < b->n ? o->index : k;
		struct pos at = pos_of(&b->meta[at_k]);
		const jobs_job *j = b->jobs[at_k];

		if (o->code == JOBS_OK) {
			im->imported++;
			im->replaced += o->replaced;
			if (*j->id == '\0') {
				json_t *e = json_pack("{ss}", "id", o->id);

				if (e != NULL &&
				    json_object_set_new(e, "job_name", job_name_json(j)) != 0) {
					json_decref(e);
					e = NULL;
				}
				put_pos(im, e, &at);
				note(im, im->assigned, e);
			}
			/* Imported as it is, though a new job must have a name. */
			if (*j->job_name == '\0') {
				json_t *e = json_pack("{ss}", "id", o->id);

				put_pos(im, e, &at);
				note(im, im->unnamed, e);
			}
		} else {
			skip(im, o->code == JOBS_ALREADY_EXISTS ? "exists" : "invalid", &at, o->id,
			     job_name_json(j), "%s%s", o->message,
			     o->code == JOBS_ALREADY_EXISTS ? "; --replace overwrites it" : "");
		}
	}
	im->sent += b->n;
	legacy_progress_update(&im->prog, (double)im->sent, im->sent);
}

/*
 * Sends one batch; a job the server refuses is reported and the rest sent
 * again without it. Called without sp->mu. Returns 0 or the failure that
 * ends the import (with im->err set).
 */
static int
send_batch(struct senders *sp, struct batch *b)
{
	struct importer *im = sp->im;
	/* Legacy jobs may lack a job_name, which new jobs must have: they are
	 * taken as they are, and the report names them. */
	unsigned flags = (im->o->replace ? JOBS_BATCH_REPLACE : 0) |
	                 (im->o->dry_run ? JOBS_BATCH_VALIDATE_ONLY : 0) | JOBS_BATCH_ALLOW_UNNAMED;
	int rv = 0;

	while (b->n > 0) {
		jobs_call call = {.timeout_ms = BATCH_TIMEOUT_MS};
		jobs_batch_result *res = NULL;
		long bad;

		if (im->o->stop != NULL && atomic_load(im->o->stop))
			return JOBS_CANCELLED;
		rv = im->sink->write(im->sink->ud, &call, (const jobs_job *const *)b->jobs, b->n,
		                     flags, &res);
		pthread_mutex_lock(&sp->mu);
		if (rv == JOBS_OK) {
			outcomes(im, b, res);
			pthread_mutex_unlock(&sp->mu);
			jobs_batch_result_free(res);
			return 0;
		}
		bad = refused_index(call.message);
		if (bad < 0 || (size_t)bad >= b->n ||
		    (rv != JOBS_INVALID_ARGUMENT && rv != JOBS_RESOURCE_EXHAUSTED &&
		     rv != JOBS_OUT_OF_RANGE)) {
			if (sp->failure == 0)
				failed(im, rv,
				       "writing jobs failed after %zu were imported: %s (%s)",
				       im->imported, call.message, jobs_code_name(rv));
			pthread_mutex_unlock(&sp->mu);
			return rv;
		}
		struct pos at = pos_of(&b->meta[bad]);

		skip(im, "invalid", &at, *b->jobs[bad]->id ? b->jobs[bad]->id : NULL,
		     job_name_json(b->jobs[bad]), "jobsd refused it: %s (%s)",
		     strchr(call.message, ':') + 2, jobs_code_name(rv));
		im->sent++;
		pthread_mutex_unlock(&sp->mu);
		batch_drop(b, (size_t)bad);
	}
	return rv;
}

static void *
sender_main(void *arg)
{
	struct senders *sp = arg;

	for (;;) {
		struct batch *b;
		bool given_up;
		int rv;

		pthread_mutex_lock(&sp->mu);
		while (sp->queued == 0 && !sp->closed)
			pthread_cond_wait(&sp->cv, &sp->mu);
		if (sp->queued == 0) {
			pthread_mutex_unlock(&sp->mu);
			return NULL;
		}
		b = sp->queue[--sp->queued];
		given_up = sp->failure != 0;
		pthread_cond_broadcast(&sp->cv); /* room for the reader */
		pthread_mutex_unlock(&sp->mu);
		rv = given_up ? 0 : send_batch(sp, b);
		batch_free(b);
		if (rv != 0) {
			pthread_mutex_lock(&sp->mu);
			if (sp->failure == 0)
				sp->failure = rv;
			if (rv == JOBS_CANCELLED && im_err_empty(sp->im))
				failed(sp->im, rv, "stopped after %zu jobs were imported",
				       sp->im->imported);
			pthread_cond_broadcast(&sp->cv);
			pthread_mutex_unlock(&sp->mu);
		}
	}
}

/* Hands a full batch to the senders; waits for room. Returns the failure
 * that ended the import, if one did. */
static int
enqueue(struct senders *sp, struct batch *b)
{
	int rv;

	pthread_mutex_lock(&sp->mu);
	while (sp->queued == QUEUED && sp->failure == 0)
		pthread_cond_wait(&sp->cv, &sp->mu);
	if ((rv = sp->failure) == 0) {
		sp->queue[sp->queued++] = b;
		pthread_cond_broadcast(&sp->cv);
	}
	pthread_mutex_unlock(&sp->mu);
	if (rv != 0)
		batch_free(b);
	return rv;
}

/* A spooled job as the library's type, with `fields` from its mask. */
static jobs_job *
unspool(const uint8_t *buf, size_t len)
{
	Jobs__V1__CreateJobRequest *req = jobs__v1__create_job_request__unpack(NULL, len, buf);
	jobs_job *j = NULL;

	if (req == NULL || req->job == NULL)
		goto done;
	if ((j = client_job_from_proto(req->job)) == NULL)
		goto done;
	j->fields = 0;
	for (size_t k = 0; k < req->n_field_mask; k++) {
		const struct job_field *f = client_job_field_by_name(req->field_mask[k]);
		if (f != NULL)
			j->fields |= f->bit;
	}
done:
	if (req != NULL)
		jobs__v1__create_job_request__free_unpacked(req, NULL);
	return j;
}

/* Reads the spool into batches for the senders. */
static int
read_spool(struct importer *im, struct senders *sp, size_t max_jobs, size_t budget)
{
	struct batch *b = NULL;
	uint8_t *buf = NULL;
	size_t cap = 0;
	struct record r;
	int rv = 0;

	rewind(im->spool);
	while (rv == 0 && fread(&r, sizeof r, 1, im->spool) == 1) {
		jobs_job *j;
		size_t w;

		if (r.len > cap) {
			uint8_t *nb = realloc(buf, r.len);
			if (nb == NULL) {
				rv = JOBS_RESOURCE_EXHAUSTED;
				break;
			}
			buf = nb;
			cap = r.len;
		}
		if (fread(buf, 1, r.len, im->spool) != r.len || (j = unspool(buf, r.len)) == NULL) {
			rv = JOBS_INTERNAL;
			break;
		}
		w = jobs_job_wire_size(j);
		if (w > budget) {
			struct pos at = pos_of(&r);

			pthread_mutex_lock(&sp->mu);
			skip(im, "invalid", &at, *j->id ? j->id : NULL, job_name_json(j),
			     "the job is %zu bytes; jobsd takes requests of at most %zu", w,
			     im->sink->max_request_bytes);
			im->sent++;
			pthread_mutex_unlock(&sp->mu);
			jobs_job_free(j);
			continue;
		}
		if (b != NULL && (b->n == max_jobs || b->bytes + w > budget)) {
			rv = enqueue(sp, b);
			b = NULL;
		}
		if (rv == 0 && b == NULL && (b = batch_new(max_jobs)) == NULL)
			rv = JOBS_RESOURCE_EXHAUSTED;
		if (rv != 0) {
			jobs_job_free(j);
			break;
		}
		b->jobs[b->n] = j;
		b->meta[b->n++] = r;
		b->bytes += w;
	}
	if (rv == 0 && b != NULL && b->n > 0)
		rv = enqueue(sp, b);
	else
		batch_free(b);
	free(buf);
	if (rv == JOBS_RESOURCE_EXHAUSTED || rv == JOBS_INTERNAL) {
		pthread_mutex_lock(&sp->mu);
		if (sp->failure == 0) {
			sp->failure = rv;
			failed(im, rv,
			       rv == JOBS_INTERNAL ? "the spool file cannot be read back"
			                           : "out of memory");
		}
		pthread_mutex_unlock(&sp->mu);
	}
	return rv;
}

static int
write_all(struct importer *im)
{
	size_t max_jobs = im->o->batch_jobs > 0 ? im->o->batch_jobs : DEFAULT_BATCH_JOBS;
	size_t budget = im->sink->max_request_bytes > ENVELOPE_SLACK
	                    ? im->sink->max_request_bytes - ENVELOPE_SLACK
	                    : 0;
	struct senders sp = {.im = im};
	int rv;

	if (max_jobs > JOBS_BATCH_MAX_JOBS)
		max_jobs = JOBS_BATCH_MAX_JOBS;
	pthread_mutex_init(&sp.mu, NULL);
	pthread_cond_init(&sp.cv, NULL);
	legacy_progress_begin(&im->prog, im->o->progress,
	                      im->o->dry_run ? "import: checking" : "import: writing", "jobs",
	                      (double)im->spooled);
	for (; sp.started < SENDERS; sp.started++)
		if (pthread_create(&sp.threads[sp.started], NULL, sender_main, &sp) != 0)
			break;
	if (sp.started == 0) {
		rv = failed(im, JOBS_RESOURCE_EXHAUSTED, "cannot start a sender thread");
	} else {
		read_spool(im, &sp, max_jobs, budget);
		pthread_mutex_lock(&sp.mu);
		sp.closed = true;
		pthread_cond_broadcast(&sp.cv);
		pthread_mutex_unlock(&sp.mu);
		for (int i = 0; i < sp.started; i++)
			pthread_join(sp.threads[i], NULL);
		/* A failure that came after the reader finished leaves batches queued. */
		while (sp.queued > 0)
			batch_free(sp.queue[--sp.queued]);
		rv = sp.failure;
	}
	legacy_progress_end(&im->prog);
	pthread_cond_destroy(&sp.cv);
	pthread_mutex_destroy(&sp.mu);
	return rv;
}

/* Sorts a report array by place in the source: file or list index, then
 * line; entries without a place keep their order, after the others. */
static int
by_place(const void *a_, const void *b_)
{
	json_t *a = *(json_t *const *)a_, *b = *(json_t *const *)b_;
	json_t *ia = json_object_get(a, "index"), *ib = json_object_get(b, "index");
	long long x, y;

	if ((ia == NULL) != (ib == NULL))
		return ia == NULL ? 1 : -1;
	x = ia ? json_integer_value(ia) : 0;
	y = ib ? json_integer_value(ib) : 0;
	if (x != y)
		return (x > y) - (x < y);
	x = json_integer_value(json_object_get(a, "order"));
	y = json_integer_value(json_object_get(b, "order"));
	return (x > y) - (x < y);
}

static void
sort_by_place(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = malloc((n + 1) * sizeof *v);

	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		v[i] = json_incref(json_array_get(arr, i));
		json_object_set_new(v[i], "order", json_integer((json_int_t)i));
	}
	qsort(v, n, sizeof *v, by_place);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++) {
		json_object_del(v[i], "order");
		json_array_append_new(arr, v[i]);
	}
	free(v);
}

/* ---- the whole import ---------------------------------------------------- */

static void
source_free(struct source *s)
{
	free(s->data);
	free(s->manifest);
	free(s->dir_prefix);
	free(s->backup);
	free(s->read_data);
	free(s->read_manifest);
}

int
legacy_import(const struct legacy_import_options *o, const struct legacy_sink *sink,
              json_t **report, char *err, size_t errlen)
{
	struct importer im = {.o = o, .sink = sink, .err = err, .errlen = errlen};
	int rv;

	*report = NULL;
	err[0] = '\0';
	im.report =
	    json_pack("{ss so sb s[] s[] s[] s[]}", "source", o->path, "backup", json_null(),
	              "dry_run", o->dry_run, "skipped", "assigned_ids", "unnamed", "ignored");
	im.seen = json_object();
	im.files = json_array();
	if (im.report == NULL || im.seen == NULL || im.files == NULL) {
		rv = failed(&im, JOBS_RESOURCE_EXHAUSTED, "out of memory");
		goto done;
	}
	im.skipped = json_object_get(im.report, "skipped");
	im.assigned = json_object_get(im.report, "assigned_ids");
	im.unnamed = json_object_get(im.report, "unnamed");
	if ((rv = detect(&im)) != 0)
		goto done;
	json_object_set_new(im.report, "format", json_string(legacy_format_name(im.src.format)));
	if (!o->dry_run && (rv = make_backup(&im)) != 0)
		goto done;
	if (im.src.read_data == NULL &&
	    ((im.src.read_data = strdup(im.src.data)) == NULL ||
	     (im.src.manifest != NULL &&
	      (im.src.read_manifest = strdup(im.src.manifest)) == NULL))) {
		rv = failed(&im, JOBS_RESOURCE_EXHAUSTED, "out of memory");
		goto done;
	}
	if ((im.spool = tmpfile()) == NULL) {
		rv = failed(&im, legacy_file_code(errno), "cannot create a spool file: %s",
		            strerror(errno));
		goto done;
	}
	/* Pass 1. A single file that cannot be read whole writes nothing. */
	if (im.src.format == LEGACY_YAML)
		rv = read_single(&im);
	else if (im.src.format == LEGACY_JSON)
		rv = read_json_lines(&im);
	else
		rv = read_folder(&im);
	if (rv == 0 && im.src.format == LEGACY_YAML_DIR && im.src.manifest != NULL)
		check_manifest(&im);
	if (rv != 0) {
		/* Nothing was written: no report, no backup. */
		drop_backup(&im);
		json_decref(im.report);
		im.report = NULL;
		goto done;
	}
	json_object_set_new(im.report, "backup",
	                    im.src.backup ? json_string(im.src.backup) : json_null());
	/* Pass 2. */
	rv = write_all(&im);
	if (rv == 0 && im.src.backup != NULL && im.imported == 0) {
		/* Every job was skipped: nothing changed, and a backup of each
		 * re-import would pile up beside the source. */
		drop_backup(&im);
		json_object_set_new(im.report, "backup", json_null());
		json_object_set_new(im.report, "backup_removed", json_true());
	}
	sort_by_place(im.skipped);
	sort_by_place(im.assigned);
	sort_by_place(im.unnamed);
	if (rv == 0 && im.report_incomplete)
		rv = failed(&im, JOBS_RESOURCE_EXHAUSTED,
		            "out of memory: the report below may not name every job skipped");
done:
	if (im.report != NULL && im.src.format != LEGACY_AUTO) {
		json_object_set_new(im.report, "read", json_integer((json_int_t)im.read));
		json_object_set_new(im.report, "imported", json_integer((json_int_t)im.imported));
		json_object_set_new(im.report, "replaced", json_integer((json_int_t)im.replaced));
		*report = im.report;
	} else {
		json_decref(im.report);
	}
	if (im.spool != NULL)
		fclose(im.spool);
	free(im.buf);
	json_decref(im.seen);
	json_decref(im.files);
	source_free(&im.src);
	return rv;
}

int
legacy_report_severity(const json_t *r)
{
	json_t *e;
	size_t i;
	int sev = 0;

	json_array_foreach(json_object_get(r, "skipped"), i, e)
	{
		const char *why = json_string_value(json_object_get(e, "reason"));

		if (strcmp(why, "exists") == 0 || strcmp(why, "duplicate_id") == 0)
			sev = sev == 0 ? 4 : sev;
		else
			sev = 2;
	}
	return sev;
}

/* ---- the client sink -------------------------------------------------------- */

static int
client_write(void *ud, jobs_call *call, const jobs_job *const *jobs, size_t n, unsigned flags,
             jobs_batch_result **out)
{
	return jobs_batch_create_jobs(ud, call, jobs, n, flags, out);
}

int
legacy_client_sink(jobs_client *c, jobs_call *call, struct legacy_sink *sink)
{
	jobs_health_info *h;
	int rv = jobs_health(c, call, &h);

	if (rv != JOBS_OK)
		return rv;
	sink->write = client_write;
	sink->ud = c;
	/* The client refuses requests over its own limit, 1 MiB by default. */
	sink->max_request_bytes =
	    h->max_message_bytes < (1u << 20) ? h->max_message_bytes : (1u << 20);
	jobs_health_info_free(h);
	return JOBS_OK;
}
