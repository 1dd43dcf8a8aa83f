/*
 * export.c: jobsd's jobs out in the legacy layouts (legacy.h).
 *
 * Every format writes each job as jobjson.c's legacy view of it
 * (legacy_job_to_json without the etag): the legacy field names, times as RFC 3339
 * UTC text, enhanced_settings as its JSON value (absent when the job has
 * none), extra's keys at the top level where the legacy files had them.
 *
 * Determinism, so that exports diff well and export -> import -> export is
 * byte-identical: jobs in ListJobs order (created_at, then id, newest
 * first), keys sorted, floats in Python's shortest form, no time or host in
 * the output.
 *
 *   yaml      PATH: {jobs: [...]}, as yaml.safe_dump writes it (yamlout.h)
 *   yaml-dir  PATH/jobs/<id>.yaml, one job each, and PATH/jobs_manifest.yaml:
 *             id -> {created_at, enabled, file_path, job_name, product}, the
 *             shape the legacy app's update_job_manifest() wrote
 *   json      PATH: JSON Lines, one job per line, keys sorted, UTF-8
 *
 * Atomic: a file goes to PATH.tmp-XXXXXX and is renamed over PATH; a folder
 * is built as PATH.tmp-XXXXXX and swapped with an existing PATH in one
 * renameat2(RENAME_EXCHANGE), and only a PATH that looks like an earlier
 * yaml-dir export (jobs/NAME.yaml and jobs_manifest.yaml, nothing else) is
 * replaced.
 */
#include "jobjson.h"
#include "files.h"
#include "legacy.h"
#include "yamlout.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE_SIZE 1000

struct exporter {
	const struct legacy_export_options *o;
	jobs_client *c;
	char *err;
	size_t errlen;
	size_t count;
	struct legacy_progress prog;
	/* yaml, json */
	FILE *f;
	legacy_yaml_out *y;
	/* yaml-dir */
	char *dir;
	json_t *manifest;
};

static int __attribute__((format(printf, 3, 4)))
failed(struct exporter *ex, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ex->err, ex->errlen, fmt, ap);
	va_end(ap);
	return code;
}

/* Writes `job` (its legacy view `obj`) in the export's format. */
static int
put_job(struct exporter *ex, const jobs_job *job, json_t *obj)
{
	switch (ex->o->format) {
	case LEGACY_YAML:
		if (legacy_yaml_out_item(ex->y, obj) != 0)
			return failed(ex, JOBS_UNAVAILABLE, "%s: %s", ex->o->path,
			              legacy_yaml_out_error(ex->y));
		return 0;
	case LEGACY_JSON: {
		char *line = legacy_json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT);
		int bad = line == NULL || fputs(line, ex->f) == EOF || fputc('\n', ex->f) == EOF;

		free(line);
		return bad ? failed(ex, JOBS_UNAVAILABLE, "cannot write %s: %s", ex->o->path,
		                    strerror(errno))
		           : 0;
	}
	default: {
		char *path = NULL, *rel = NULL;
		FILE *f = NULL;
		legacy_yaml_out *y = NULL;
		json_t *entry;
		int rv = 0;

		if (asprintf(&rel, "jobs/%s.yaml", job->id) < 0 ||
		    asprintf(&path, "%s/%s", ex->dir, rel) < 0) {
			free(rel);
			return failed(ex, JOBS_RESOURCE_EXHAUSTED, "out of memory");
		}
		if ((f = fopen(path, "wx")) == NULL || legacy_yaml_out_open(&y, f) != 0 ||
		    legacy_yaml_out_document(y, obj) != 0 || legacy_yaml_out_finish(y) != 0 ||
		    fflush(f) != 0)
			rv = failed(ex, JOBS_UNAVAILABLE, "cannot write %s: %s", path,
			            y != NULL ? legacy_yaml_out_error(y) : strerror(errno));
		legacy_yaml_out_close(y);
		if (f != NULL && fclose(f) != 0 && rv == 0)
			rv = failed(ex, JOBS_UNAVAILABLE, "cannot write %s: %s", path,
			            strerror(errno));
		/* The manifest entry, as the legacy app's update_job_manifest() made it. */
		entry = json_object();
		json_t *v;
		v = json_object_get(obj, "job_name");
		json_object_set_new(entry, "job_name", v ? json_incref(v) : json_string(""));
		v = json_object_get(obj, "product");
		json_object_set_new(entry, "product", v ? json_incref(v) : json_string(""));
		v = json_object_get(obj, "created_at");
		json_object_set_new(entry, "created_at", v ? json_incref(v) : json_string(""));
		v = json_object_get(obj, "enabled");
		json_object_set_new(entry, "enabled", v ? json_incref(v) : json_true());
		json_object_set_new(entry, "file_path", json_string(rel));
		if (json_object_set_new(ex->manifest, job->id, entry) != 0 && rv == 0)
			rv = failed(ex, JOBS_RESOURCE_EXHAUSTED, "out of memory");
		free(path);
		free(rel);
		return rv;
	}
	}
}

/* Pages through ListJobs, writing each job. */
static int
all_jobs(struct exporter *ex)
{
	jobs_list_query q = {.page_size = PAGE_SIZE};
	char *token = NULL;
	int rv = 0;

	legacy_progress_begin(&ex->prog, ex->o->progress, "export", "jobs", 0);
	do {
		jobs_call call = {.timeout_ms = 60000};
		jobs_job_page *page = NULL;

		q.page_token = token;
		if ((rv = jobs_list_jobs(ex->c, &call, &q, &page)) != JOBS_OK) {
			rv = failed(ex, rv, "listing jobs failed after %zu: %s (%s)", ex->count,
			            call.message, jobs_code_name(rv));
			break;
		}
		for (size_t i = 0; rv == 0 && i < page->n_jobs; i++) {
			json_t *obj = legacy_job_to_json(page->jobs[i], false, ex->err, ex->errlen);

			if (obj == NULL) {
				rv = JOBS_DATA_LOSS;
				break;
			}
			rv = put_job(ex, page->jobs[i], obj);
			json_decref(obj);
			ex->count++;
		}
		free(token);
		token = strdup(page->next_page_token);
		jobs_job_page_free(page);
		legacy_progress_update(&ex->prog, (double)ex->count, ex->count);
		if (token == NULL && rv == 0)
			rv = failed(ex, JOBS_RESOURCE_EXHAUSTED, "out of memory");
	} while (rv == 0 && *token != '\0');
	legacy_progress_end(&ex->prog);
	free(token);
	return rv;
}

/* ---- a file: yaml and json -------------------------------------------------- */

static int
export_file(struct exporter *ex)
{
	const char *path = ex->o->path;
	char *tmp = NULL;
	struct stat st;
	int fd, rv;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return failed(
		    ex, JOBS_INVALID_ARGUMENT,
		    "%s is a folder; --format %s writes a file (yaml-dir writes a folder)", path,
		    legacy_format_name(ex->o->format));
	if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0)
		return failed(ex, JOBS_RESOURCE_EXHAUSTED, "out of memory");
	if ((fd = mkstemp(tmp)) < 0 || (ex->f = fdopen(fd, "w")) == NULL) {
		rv = failed(ex, JOBS_UNAVAILABLE, "cannot create %s: %s", tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return rv;
	}
	if (ex->o->format == LEGACY_YAML && (legacy_yaml_out_open(&ex->y, ex->f) != 0 ||
	                                     legacy_yaml_out_begin_items(ex->y, "jobs") != 0))
		rv = failed(ex, JOBS_UNAVAILABLE, "cannot write %s", path);
	else
		rv = all_jobs(ex);
	if (rv == 0 && ex->y != NULL &&
	    (legacy_yaml_out_end_items(ex->y) != 0 || legacy_yaml_out_finish(ex->y) != 0))
		rv = failed(ex, JOBS_UNAVAILABLE, "%s: %s", path, legacy_yaml_out_error(ex->y));
	legacy_yaml_out_close(ex->y);
	ex->y = NULL;
	if (rv == 0 && (fflush(ex->f) != 0 || fsync(fileno(ex->f)) != 0))
		rv = failed(ex, JOBS_UNAVAILABLE, "cannot write %s: %s", tmp, strerror(errno));
	if (fclose(ex->f) != 0 && rv == 0)
		rv = failed(ex, JOBS_UNAVAILABLE, "cannot write %s: %s", tmp, strerror(errno));
	if (rv == 0 && rename(tmp, path) != 0)
		rv = failed(ex, JOBS_UNAVAILABLE, "cannot rename %s to %s: %s", tmp, path,
		            strerror(errno));
	if (rv != 0)
		unlink(tmp);
	else
		files_sync_parent(path);
	free(tmp);
	return rv;
}

/* ---- a folder: yaml-dir --------------------------------------------------------- */

/*
 * Removes an export folder: jobs/NAME.yaml, jobs/, jobs_manifest.yaml and the
 * folder. With only_check, removes nothing and says whether `dir` holds
 * nothing else (so that it may be replaced). Returns true when it does not.
 */
static bool
export_tree(const char *dir, bool only_check)
{
	char path[4096];
	struct dirent *de;
	bool ok = true;
	DIR *d = opendir(dir);

	if (d == NULL)
		return false;
	while (ok && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (strcmp(de->d_name, "jobs_manifest.yaml") == 0) {
			if (!only_check)
				unlink(path);
		} else if (strcmp(de->d_name, "jobs") == 0) {
			DIR *jd = opendir(path);
			struct dirent *je;
			char file[8192];

			if (jd == NULL) {
				ok = false;
				break;
			}
			while (ok && (je = readdir(jd)) != NULL) {
				size_t n = strlen(je->d_name);

				if (strcmp(je->d_name, ".") == 0 || strcmp(je->d_name, "..") == 0)
					continue;
				if (n < 6 || strcmp(je->d_name + n - 5, ".yaml") != 0)
					ok = false;
				else if (!only_check) {
					snprintf(file, sizeof file, "%s/%s", path, je->d_name);
					unlink(file);
				}
			}
			closedir(jd);
			if (ok && !only_check)
				rmdir(path);
		} else {
			ok = false;
		}
	}
	closedir(d);
	if (ok && !only_check)
		rmdir(dir);
	return ok;
}

static int
export_folder(struct exporter *ex)
{
	const char *path = ex->o->path;
	char *tmp = NULL, *sub = NULL, *mpath = NULL;
	struct stat st;
	bool replace = false;
	FILE *f = NULL;
	legacy_yaml_out *y = NULL;
	int rv = 0, fd;

	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode) || !export_tree(path, true))
			return failed(
			    ex, JOBS_FAILED_PRECONDITION,
			    "%s exists and is not an earlier yaml-dir export (jobs/NAME.yaml "
			    "and jobs_manifest.yaml only); give a new path",
			    path);
		replace = true;
	}
	if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0 || mkdtemp(tmp) == NULL) {
		rv = failed(ex, JOBS_UNAVAILABLE, "cannot create a folder beside %s: %s", path,
		            strerror(errno));
		free(tmp);
		return rv;
	}
	ex->dir = tmp;
	if ((ex->manifest = json_object()) == NULL || asprintf(&sub, "%s/jobs", tmp) < 0 ||
	    asprintf(&mpath, "%s/jobs_manifest.yaml", tmp) < 0) {
		rv = failed(ex, JOBS_RESOURCE_EXHAUSTED, "out of memory");
		goto done;
	}
	if (mkdir(sub, 0700) != 0) {
		rv = failed(ex, JOBS_UNAVAILABLE, "cannot create %s: %s", sub, strerror(errno));
		goto done;
	}
	if ((rv = all_jobs(ex)) != 0)
		goto done;
	if ((f = fopen(mpath, "wx")) == NULL || legacy_yaml_out_open(&y, f) != 0 ||
	    legacy_yaml_out_document(y, ex->manifest) != 0 || legacy_yaml_out_finish(y) != 0 ||
	    fflush(f) != 0) {
		rv = failed(ex, JOBS_UNAVAILABLE, "cannot write %s: %s", mpath,
		            y != NULL ? legacy_yaml_out_error(y) : strerror(errno));
		goto done;
	}
	/* Everything on disk before the swap makes it visible. */
	if ((fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		syncfs(fd);
		close(fd);
	}
	if (replace ? renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) != 0
	            : rename(tmp, path) != 0) {
		rv = failed(ex, JOBS_UNAVAILABLE, "cannot move %s to %s: %s", tmp, path,
		            strerror(errno));
		goto done;
	}
	files_sync_parent(path);
	if (replace)
		export_tree(tmp, false); /* the earlier export, swapped out */
	free(tmp);
	ex->dir = tmp = NULL;
done:
	legacy_yaml_out_close(y);
	if (f != NULL)
		fclose(f);
	if (tmp != NULL)
		export_tree(tmp, false);
	free(tmp);
	free(sub);
	free(mpath);
	json_decref(ex->manifest);
	return rv;
}

int
legacy_export(jobs_client *c, const struct legacy_export_options *o, size_t *count, char *err,
              size_t errlen)
{
	struct exporter ex = {.o = o, .c = c, .err = err, .errlen = errlen};
	int rv;

	err[0] = '\0';
	if (o->format != LEGACY_YAML && o->format != LEGACY_YAML_DIR && o->format != LEGACY_JSON) {
		snprintf(err, errlen, "export wants --format yaml, yaml-dir or json");
		return JOBS_INVALID_ARGUMENT;
	}
	rv = o->format == LEGACY_YAML_DIR ? export_folder(&ex) : export_file(&ex);
	if (count != NULL)
		*count = rv == 0 ? ex.count : 0;
	return rv;
}
