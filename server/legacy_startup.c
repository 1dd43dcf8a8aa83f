/*
 * legacy_startup.c: see legacy_startup.h. The decision (plan), the thread
 * that imports through an in-process client, and the report in the log.
 */
#include "legacy_startup.h"
#include "legacy.h"
#include "log.h"
#include "status.h"

#include "jobs/client.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MARKER_KEY  "legacy_migrated"
#define LEGACY_DIR  ".zyra-video-agent"
#define CONNECT_TRY 200 /* x 10 ms: the listener is up before run() */

struct legacy_startup {
	char *path;
	const char *token_file; /* jobsd's --token-file, borrowed; NULL: none */
	bool automatic;
	char url[64];
	pthread_t thread;
	bool started;
	atomic_bool stop;
};

/* $HOME/.zyra-video-agent when it holds a legacy store; malloc'd, or NULL. */
static char *
default_legacy_path(void)
{
	const char *home = getenv("HOME");
	char *dir = NULL, *probe = NULL;
	struct stat st;
	bool found;

	if (home == NULL || *home == '\0' || asprintf(&dir, "%s/%s", home, LEGACY_DIR) < 0)
		return NULL;
	found = asprintf(&probe, "%s/campaigns.yaml", dir) >= 0 && stat(probe, &st) == 0 &&
	        S_ISREG(st.st_mode);
	free(probe);
	probe = NULL;
	if (!found)
		found = asprintf(&probe, "%s/jobs", dir) >= 0 && stat(probe, &st) == 0 &&
		        S_ISDIR(st.st_mode);
	free(probe);
	if (!found) {
		free(dir);
		return NULL;
	}
	return dir;
}

int
legacy_startup_plan(store *writer, const char *path, bool auto_migrate, const char *token_file,
                    legacy_startup **out)
{
	legacy_startup *ls;
	char marker[512], when[32];
	bool any;
	time_t t;
	struct tm tm;
	int rv;

	*out = NULL;
	if ((ls = calloc(1, sizeof *ls)) == NULL) {
		log_error("out of memory");
		return -1;
	}
	snprintf(ls->url, sizeof ls->url, "inproc://jobsd-legacy-import-%ld", (long)getpid());
	ls->token_file = token_file;
	if (path != NULL) {
		if ((ls->path = strdup(path)) == NULL) {
			free(ls);
			log_error("out of memory");
			return -1;
		}
		*out = ls;
		return 0;
	}
	if (!auto_migrate || (ls->path = default_legacy_path()) == NULL) {
		free(ls);
		return 0;
	}
	rv = store_meta_get(writer, MARKER_KEY, marker, sizeof marker);
	if (rv == 0) {
		log_debug("legacy store %s: not migrating, this database did once (%s)", ls->path,
		          marker);
		goto nothing;
	}
	if (rv != ST(NOT_FOUND) || (rv = store_has_jobs(writer, &any)) != 0) {
		log_error("cannot tell whether to migrate %s: %s", ls->path, store_errmsg(writer));
		goto failed;
	}
	if (any) {
		log_info("legacy store %s: not migrating, the database already holds jobs "
		         "(jobsctl import %s imports it by hand)",
		         ls->path, ls->path);
		goto nothing;
	}
	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(marker, sizeof marker, "%s from %s", when, ls->path);
	if (store_meta_put(writer, MARKER_KEY, marker) != 0) {
		log_error("cannot record the migration of %s: %s", ls->path, store_errmsg(writer));
		goto failed;
	}
	log_info("legacy store found at %s and the database is empty: migrating it, once; the "
	         "source is backed up beside itself and not modified",
	         ls->path);
	ls->automatic = true;
	*out = ls;
	return 0;
nothing:
	free(ls->path);
	free(ls);
	return 0;
failed:
	free(ls->path);
	free(ls);
	return -1;
}

const char *
legacy_startup_url(const legacy_startup *ls)
{
	return ls->url;
}

/* One log line per skipped job, per new id and per job without a name, then
 * the totals. */
static void
log_report(const legacy_startup *ls, const json_t *r)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(r, "skipped"), i, e)
	{
		json_t *id = json_object_get(e, "id"), *name = json_object_get(e, "job_name"),
		       *file = json_object_get(e, "file");

		log_warn("legacy import: skipped %s%s%s%s%s%s%s%s%s: %s",
		         json_string_value(json_object_get(e, "reason")), id ? " id '" : "",
		         id ? json_string_value(id) : "", id ? "'" : "", name ? " job_name \"" : "",
		         name ? json_string_value(name) : "", name ? "\"" : "", file ? " in " : "",
		         file ? json_string_value(file) : "",
		         json_string_value(json_object_get(e, "message")));
	}
	json_array_foreach(json_object_get(r, "assigned_ids"), i, e)
	{
		const char *name = json_string_value(json_object_get(e, "job_name"));

		log_info("legacy import: job \"%s\" had no id; it is now %s", name ? name : "",
		         json_string_value(json_object_get(e, "id")));
	}
	json_array_foreach(json_object_get(r, "unnamed"), i, e)
	{
		log_info("legacy import: job %s has no job_name (imported as it is; new jobs "
		         "must have one)",
		         json_string_value(json_object_get(e, "id")));
	}
	log_info("legacy import%s: imported %lld of %lld jobs from %s (%s), skipped %zu; backup %s",
	         ls->automatic ? " (start-up migration)" : "",
	         (long long)json_integer_value(json_object_get(r, "imported")),
	         (long long)json_integer_value(json_object_get(r, "read")), ls->path,
	         json_string_value(json_object_get(r, "format")),
	         json_array_size(json_object_get(r, "skipped")),
	         json_is_string(json_object_get(r, "backup"))
	             ? json_string_value(json_object_get(r, "backup"))
	             : "(none)");
}

static void *
import_main(void *arg)
{
	legacy_startup *ls = arg;
	struct legacy_import_options o = {.path = ls->path, .stop = &ls->stop};
	/* The import is a client like any other: it shows the token if jobsd
	 * wants one. */
	jobs_client_options copts = {.timeout_ms = 60000, .auth_token_file = ls->token_file};

	struct legacy_sink sink;
	jobs_call call = {0};
	jobs_client *c = NULL;
	json_t *report = NULL;
	char err[1024];
	int rv;

	for (int i = 0; i < CONNECT_TRY; i++) {
		if ((rv = jobs_client_open(&c, ls->url, &copts, &call)) == JOBS_OK)
			break;
		usleep(10000);
	}
	if (c == NULL) {
		log_error("legacy import of %s: cannot connect to %s: %s", ls->path, ls->url,
		          call.message);
		return NULL;
	}
	if ((rv = legacy_client_sink(c, &call, &sink)) != JOBS_OK) {
		log_error("legacy import of %s: %s", ls->path, call.message);
		jobs_client_close(c);
		return NULL;
	}
	rv = legacy_import(&o, &sink, &report, err, sizeof err);
	if (report != NULL)
		log_report(ls, report);
	if (rv != JOBS_OK)
		log_error("legacy import of %s failed: %s (%s)", ls->path, err, jobs_code_name(rv));
	json_decref(report);
	jobs_client_close(c);
	return NULL;
}

int
legacy_startup_run(legacy_startup *ls)
{
	if (pthread_create(&ls->thread, NULL, import_main, ls) != 0) {
		log_error("cannot start the legacy import thread");
		return -1;
	}
	ls->started = true;
	return 0;
}

void
legacy_startup_finish(legacy_startup *ls)
{
	if (ls == NULL)
		return;
	atomic_store(&ls->stop, true);
	if (ls->started)
		pthread_join(ls->thread, NULL);
	free(ls->path);
	free(ls);
}
