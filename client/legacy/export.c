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
 *
 * TARGETS. PATH "-" is standard output (yaml and json), written as it goes.
 * A symlink is written through: what it points at is replaced (or made) as
 * above and the link stays. Anything else that is not a regular file (a folder for
 * yaml-dir), such as a device, a FIFO or a dangling link, is refused, since
 * the rename would put a regular file in its place.
 *
 * UNREADABLE JOBS. A job whose JSON fields jansson cannot hold (an integer
 * beyond 64 bits, stored before jobsd refused them) cannot be written
 * exactly. The export goes on through every job, names each such job on
 * stderr, and then fails with DATA_LOSS, leaving PATH untouched: an export
 * that silently lacks jobs would be worse than none.
 */
#include "jobjson.h"
#include "files.h"
#include "legacy.h"
#include "yamlout.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE_SIZE 1000

struct exporter {
	const struct legacy_export_options *o;
	const char *path; /* where the export goes: o->path, or a symlink's target */
	jobs_client *c;
	char *err;
	size_t errlen;
	size_t count;
	size_t unreadable; /* jobs named on stderr and not written */
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
			return failed(ex, legacy_file_code(errno), "%s: %s", ex->o->path,
			              legacy_yaml_out_error(ex->y));
		return 0;
	case LEGACY_JSON: {
		char *line = legacy_json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT);
		int bad = line == NULL || fputs(line, ex->f) == EOF || fputc('\n', ex->f) == EOF;

		free(line);
		return bad ? failed(ex, legacy_file_code(errno), "cannot write %s: %s", ex->o->path,
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
			rv = failed(ex, legacy_file_code(errno), "cannot write %s: %s", path,
			            y != NULL ? legacy_yaml_out_error(y) : strerror(errno));
		legacy_yaml_out_close(y);
		if (f != NULL && fclose(f) != 0 && rv == 0)
			rv = failed(ex, legacy_file_code(errno), "cannot write %s: %s", path,
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
			char why[256];
			json_t *obj = legacy_job_to_json(page->jobs[i], false, why, sizeof why);

			if (obj == NULL) {
				fprintf(stderr, "export: job '%s' cannot be written exactly: %s\n",
				        page->jobs[i]->id, why);
				ex->unreadable++;
				continue;
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
	if (rv == 0 && ex->unreadable > 0)
		rv = failed(ex, JOBS_DATA_LOSS,
		            "%zu of %zu jobs cannot be written exactly (named above), so %s was "
		            "not written; change or delete them (jobsctl update ID "
		            "--settings-json ..., jobsctl delete ID) and export again",
		            ex->unreadable, ex->unreadable + ex->count,
		            strcmp(ex->o->path, "-") == 0 ? "the export" : ex->o->path);
	return rv;
}

/* ---- a file: yaml and json -------------------------------------------------- */

/* Writes the whole export to ex->f. */
static int
write_stream(struct exporter *ex, const char *name)
{
	int rv;

	if (ex->o->format == LEGACY_YAML && (legacy_yaml_out_open(&ex->y, ex->f) != 0 ||
	                                     legacy_yaml_out_begin_items(ex->y, "jobs") != 0))
		rv = failed(ex, legacy_file_code(errno), "cannot write %s", name);
	else
		rv = all_jobs(ex);
	if (rv == 0 && ex->y != NULL &&
	    (legacy_yaml_out_end_items(ex->y) != 0 || legacy_yaml_out_finish(ex->y) != 0))
		rv = failed(ex, legacy_file_code(errno), "%s: %s", name,
		            legacy_yaml_out_error(ex->y));
	legacy_yaml_out_close(ex->y);
	ex->y = NULL;
	if (rv == 0 && fflush(ex->f) != 0)
		rv = failed(ex, legacy_file_code(errno), "cannot write %s: %s", name,
		            strerror(errno));
	return rv;
}

static int
export_stdout(struct exporter *ex)
{
	ex->f = stdout;
	return write_stream(ex, "standard output");
}

static int
export_file(struct exporter *ex)
{
	const char *path = ex->path;
	char *tmp = NULL;
	struct stat st;
	int fd, rv;

	if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0)
		return failed(ex, JOBS_RESOURCE_EXHAUSTED, "out of memory");
	if ((fd = mkstemp(tmp)) < 0 || (ex->f = fdopen(fd, "w")) == NULL) {
		rv = failed(ex, legacy_file_code(errno), "cannot create %s: %s", tmp,
		            strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return rv;
	}
	/* A replaced export keeps its permission bits (mkstemp makes 0600). */
	if (stat(path, &st) == 0)
		fchmod(fd, st.st_mode & 07777);
	rv = write_stream(ex, path);
	if (rv == 0 && fsync(fileno(ex->f)) != 0)
		rv = failed(ex, legacy_file_code(errno), "cannot write %s: %s", tmp,
		            strerror(errno));
	if (fclose(ex->f) != 0 && rv == 0)
		rv = failed(ex, legacy_file_code(errno), "cannot write %s: %s", tmp,
		            strerror(errno));
	if (rv == 0 && rename(tmp, path) != 0)
		rv = failed(ex, legacy_file_code(errno), "cannot rename %s to %s: %s", tmp, path,
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
	const char *path = ex->path;
	char *tmp = NULL, *sub = NULL, *mpath = NULL;
	struct stat st;
	bool replace = false;
	FILE *f = NULL;
	legacy_yaml_out *y = NULL;
	int rv = 0, fd;

	if (stat(path, &st) == 0) {
		if (!export_tree(path, true))
			return failed(
			    ex, JOBS_FAILED_PRECONDITION,
			    "%s exists and is not an earlier yaml-dir export (jobs/NAME.yaml "
			    "and jobs_manifest.yaml only); give a new path",
			    path);
		replace = true;
	}
	if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0 || mkdtemp(tmp) == NULL) {
		rv = failed(ex, legacy_file_code(errno), "cannot create a folder beside %s: %s",
		            path, strerror(errno));
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
		rv = failed(ex, legacy_file_code(errno), "cannot create %s: %s", sub,
		            strerror(errno));
		goto done;
	}
	if ((rv = all_jobs(ex)) != 0)
		goto done;
	if ((f = fopen(mpath, "wx")) == NULL || legacy_yaml_out_open(&y, f) != 0 ||
	    legacy_yaml_out_document(y, ex->manifest) != 0 || legacy_yaml_out_finish(y) != 0 ||
	    fflush(f) != 0) {
		rv = failed(ex, legacy_file_code(errno), "cannot write %s: %s", mpath,
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
		rv = failed(ex, legacy_file_code(errno), "cannot move %s to %s: %s", tmp, path,
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

/* The path a dangling symlink names, when nothing is there and the folder
 * to hold it exists (malloc'd); NULL otherwise. */
static char *
dangling_target(const char *link)
{
	char to[4096], *copy, *full = NULL;
	struct stat st;
	ssize_t n = readlink(link, to, sizeof to - 1);

	if (n <= 0)
		return NULL;
	to[n] = '\0';
	if (to[0] == '/')
		full = strdup(to);
	else if ((copy = strdup(link)) != NULL) {
		if (asprintf(&full, "%s/%s", dirname(copy), to) < 0)
			full = NULL;
		free(copy);
	}
	if (full == NULL || lstat(full, &st) == 0 || errno != ENOENT) {
		free(full);
		return NULL;
	}
	if ((copy = strdup(full)) == NULL || stat(dirname(copy), &st) != 0 ||
	    !S_ISDIR(st.st_mode)) {
		free(copy);
		free(full);
		return NULL;
	}
	free(copy);
	return full;
}

/*
 * Where the export goes (TARGETS above): *target is o->path, or the file or
 * folder a symlink at o->path points at (malloc'd by realpath). Returns 0 or
 * a jobs_code with the reason in ex->err.
 */
static int
resolve_target(struct exporter *ex, char **target)
{
	const char *path = ex->o->path, *want;
	bool dir = ex->o->format == LEGACY_YAML_DIR;
	struct stat st;

	*target = NULL;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		return failed(ex, legacy_file_code(errno), "cannot use %s: %s", path,
		              strerror(errno));
	}
	if (S_ISLNK(st.st_mode)) {
		if ((*target = realpath(path, NULL)) != NULL && stat(*target, &st) == 0)
			goto resolved;
		free(*target);
		/* A link to a file not made yet: the export makes it. */
		if (!dir && (*target = dangling_target(path)) != NULL)
			return 0;
		return failed(ex, JOBS_INVALID_ARGUMENT,
		              "%s is a symlink to nothing export can write; it writes through a "
		              "link only to a %s%s",
		              path, dir ? "folder" : "regular file, or to a new one",
		              dir ? "" : " (for standard output give -)");
	}
resolved:
	if (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode))
		return 0;
	want = S_ISDIR(st.st_mode) ? "is a folder; --format yaml and json write a file (yaml-dir "
	                             "writes a folder)"
	       : dir               ? "is not a folder; --format yaml-dir writes one"
	             : "is not a regular file (a device, FIFO or socket), which export would "
	               "replace; give a file, or - for standard output";
	return failed(ex, JOBS_INVALID_ARGUMENT, "%s %s", path, want);
}

int
legacy_export(jobs_client *c, const struct legacy_export_options *o, size_t *count, char *err,
              size_t errlen)
{
	struct exporter ex = {.o = o, .path = o->path, .c = c, .err = err, .errlen = errlen};
	char *target = NULL;
	int rv;

	err[0] = '\0';
	if (o->format != LEGACY_YAML && o->format != LEGACY_YAML_DIR && o->format != LEGACY_JSON) {
		snprintf(err, errlen, "export wants --format yaml, yaml-dir or json");
		return JOBS_INVALID_ARGUMENT;
	}
	if (strcmp(o->path, "-") == 0) {
		if (o->format == LEGACY_YAML_DIR) {
			snprintf(err, errlen,
			         "--format yaml-dir writes a folder, not standard output");
			return JOBS_INVALID_ARGUMENT;
		}
		rv = export_stdout(&ex);
	} else if ((rv = resolve_target(&ex, &target)) == 0) {
		if (target != NULL)
			ex.path = target;
		rv = o->format == LEGACY_YAML_DIR ? export_folder(&ex) : export_file(&ex);
	}
	free(target);
	if (count != NULL)
		*count = rv == 0 ? ex.count : 0;
	return rv;
}
