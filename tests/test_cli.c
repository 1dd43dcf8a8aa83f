/*
 * test_cli.c: jobsctl, the binary, against a real jobsd: what it prints, in
 * text and in JSON, and the exit status for each kind of failure.
 */
#include "helpers.h"
#include "json_helpers.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct jobsd d;

static void
start(void)
{
	cr_assert(jobsd_start(&d, NULL, NULL));
}

static void
stop(void)
{
	cr_assert_eq(jobsd_cleanup(&d), 0, "jobsd must exit 0 at SIGTERM");
}

TestSuite(cli, .init = start, .fini = stop);

/* Runs `jobsctl --server URL ARGS...` (NULL-terminated). */
#define ctl(...) run_tool(JOBSCTL_PATH, d.url, NULL, __VA_ARGS__)

/* One line on stderr, starting "jobsctl: ". */
static void
assert_one_line_error(const struct run *r)
{
	cr_assert(strncmp(r->err, "jobsctl: ", 9) == 0, "stderr: %s", r->err);
	cr_assert_eq(strchr(r->err, '\n'), r->err + strlen(r->err) - 1, "one line: %s", r->err);
}

Test(cli, create_and_get_in_json_with_legacy_names)
{
	struct run r = ctl("--json", "create", "--id", "c1", "--name", "Summer Sale", "--product",
	                   "Solar Lantern", "--persona", "parent", "--setting", "yard", "--emotion",
	                   "joy", "--hook", "Line 1\nLine 2", "--voice-id", "v-1", "--language",
	                   "Deutsch", "--brand", "Acme", "--disabled", "--settings-json",
	                   "{\"voice\":{\"stability\":0.5},\"takes\":[1,2]}", "--extra-json",
	                   "{\"tags\":[\"a\"]}", NULL);
	json_t *o;

	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_str(o, "id"), "c1");
	cr_assert_str_eq(json_str(o, "job_name"), "Summer Sale");
	cr_assert_str_eq(json_str(o, "elevenlabs_voice_id"), "v-1");
	cr_assert_str_eq(json_str(o, "brand_name"), "Acme");
	cr_assert_str_eq(json_str(o, "hook"), "Line 1\nLine 2");
	cr_assert(json_is_false(json_object_get(o, "enabled")));
	cr_assert(json_is_object(json_object_get(o, "enhanced_settings")),
	          "enhanced_settings is a JSON value, not a string");
	cr_assert(json_is_array(json_object_get(o, "tags")), "extra keys at the top level");
	cr_assert_null(json_object_get(o, "extra"));
	cr_assert_eq(strlen(json_str(o, "created_at")), 27, "RFC 3339 with microseconds: %s",
	             json_str(o, "created_at"));
	cr_assert(json_str(o, "created_at")[26] == 'Z');
	cr_assert_str_neq(json_str(o, "etag"), "");
	cr_assert_lt(strstr(r.out, "\"brand_name\""), strstr(r.out, "\"created_at\""),
	             "keys are sorted");
	json_decref(o);
	run_free(&r);

	r = ctl("--json", "get", "c1", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_str(o, "product"), "Solar Lantern");
	cr_assert_eq(
	    json_real_value(json_object_get(
	        json_object_get(json_object_get(o, "enhanced_settings"), "voice"), "stability")),
	    0.5);
	json_decref(o);
	run_free(&r);
}

Test(cli, human_output)
{
	struct run r = ctl("create", "--id", "h1", "--name", "Été", "--hook", "one\ntwo", NULL);

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "job_name             Été\n") != NULL, "%s", r.out);
	cr_assert(strstr(r.out, "enabled              yes\n") != NULL, "%s", r.out);
	cr_assert(strstr(r.out, "hook                 one\n                     two\n") != NULL,
	          "%s", r.out);
	cr_assert(strstr(r.out, "language             English\n") != NULL, "%s", r.out);
	run_free(&r);
	r = ctl("list", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strncmp(r.out, "ID ", 3) == 0, "%s", r.out);
	cr_assert(strstr(r.out, "h1 ") != NULL, "%s", r.out);
	run_free(&r);
	r = ctl("health", NULL);
	cr_assert_eq(r.status, 0);
	cr_assert(strncmp(r.out, "SERVING: jobsd ", 15) == 0, "%s", r.out);
	run_free(&r);
}

Test(cli, update_changes_only_what_is_given)
{
	struct run r = ctl("create", "--id", "u1", "--name", "Keep", "--product", "Old", NULL);
	json_t *o;
	char etag[32];

	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	r = ctl("--json", "update", "u1", "--product", "New", "--disabled", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_str(o, "product"), "New");
	cr_assert_str_eq(json_str(o, "job_name"), "Keep");
	cr_assert(json_is_false(json_object_get(o, "enabled")));
	snprintf(etag, sizeof etag, "%s", json_str(o, "etag"));
	json_decref(o);
	run_free(&r);

	r = ctl("update", "u1", "--if-etag", "999999", "--product", "Newer", NULL);
	cr_assert_eq(r.status, 4, "a stale etag is a conflict: %s", r.err);
	assert_one_line_error(&r);
	run_free(&r);
	r = ctl("update", "u1", "--if-etag", etag, "--product", "Newer", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	r = ctl("update", "u1", NULL);
	cr_assert_eq(r.status, 2, "nothing to change: %s", r.err);
	run_free(&r);
	r = ctl("update", "nobody", "--product", "x", NULL);
	cr_assert_eq(r.status, 3);
	run_free(&r);
}

Test(cli, exit_statuses_and_one_line_errors)
{
	struct run r;

	r = ctl("get", "missing", NULL);
	cr_assert_eq(r.status, 3);
	cr_assert_str_eq(r.err, "jobsctl: get: no job with id 'missing' (NOT_FOUND)\n");
	run_free(&r);

	r = ctl("create", "--id", "bad id", NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	assert_one_line_error(&r);
	run_free(&r);

	r = ctl("create", "--id", "twice", NULL);
	cr_assert_eq(r.status, 0);
	run_free(&r);
	r = ctl("create", "--id", "twice", NULL);
	cr_assert_eq(r.status, 4, "%s", r.err);
	assert_one_line_error(&r);
	run_free(&r);

	r = ctl("create", "--settings-json", "{nope", NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	assert_one_line_error(&r);
	run_free(&r);

	r = ctl("delete", "twice", NULL);
	cr_assert_eq(r.status, 0);
	run_free(&r);
	r = ctl("delete", "twice", NULL);
	cr_assert_eq(r.status, 3);
	run_free(&r);

	r = ctl("frobnicate", NULL);
	cr_assert_eq(r.status, 2);
	run_free(&r);
	r = ctl("get", NULL);
	cr_assert_eq(r.status, 2, "missing argument");
	run_free(&r);
}

Test(cli, unreachable_server_and_jobs_server_variable)
{
	const char *argv[] = {JOBSCTL_PATH, "health", NULL};
	char env[700], gone[600];
	const char *envv[] = {env, NULL};
	struct run r;

	snprintf(gone, sizeof gone, "ipc://%s/nobody-here.sock", d.dir);
	snprintf(env, sizeof env, "JOBS_SERVER=%s", gone);
	r = run_cmd(argv, NULL, envv);
	cr_assert_eq(r.status, 5, "could not reach the server: %s", r.err);
	assert_one_line_error(&r);
	cr_assert(strstr(r.err, "nobody-here.sock") != NULL, "%s", r.err);
	run_free(&r);

	snprintf(env, sizeof env, "JOBS_SERVER=%s", d.url);
	r = run_cmd(argv, NULL, envv);
	cr_assert_eq(r.status, 0, "JOBS_SERVER is used: %s", r.err);
	run_free(&r);
}

Test(cli, list_json_shape_and_paging)
{
	struct run r;
	json_t *o;
	char token[256];
	int seen = 0;

	for (int i = 0; i < 5; i++) {
		char id[8];
		snprintf(id, sizeof id, "p%d", i);
		r = ctl("create", "--id", id, NULL);
		cr_assert_eq(r.status, 0);
		run_free(&r);
	}
	r = ctl("--json", "list", "--page-size", "2", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert(json_is_array(json_object_get(o, "jobs")));
	cr_assert_eq(json_array_size(json_object_get(o, "jobs")), 2);
	cr_assert_str_eq(json_str(json_array_get(json_object_get(o, "jobs"), 0), "id"), "p4",
	                 "newest first");
	snprintf(token, sizeof token, "%s", json_str(o, "next_page_token"));
	cr_assert_str_neq(token, "");
	json_decref(o);
	run_free(&r);
	seen = 2;
	while (*token != '\0') {
		r = ctl("--json", "list", "--page-size", "2", "--page-token", token, NULL);
		cr_assert_eq(r.status, 0, "%s", r.err);
		o = json_of(&r);
		seen += (int)json_array_size(json_object_get(o, "jobs"));
		snprintf(token, sizeof token, "%s", json_str(o, "next_page_token"));
		json_decref(o);
		run_free(&r);
	}
	cr_assert_eq(seen, 5);
	r = ctl("list", "--page-token", "garbage!", NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	run_free(&r);
}

static char *
write_file(const char *name, const char *text)
{
	static char path[600];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", d.dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

Test(cli, create_from_yaml_and_json_files)
{
	const char *yaml = "id: from-yaml\n"
	                   "job_name: \"Caf\\u00e9 launch\"\n"
	                   "product: Espresso Machine\n"
	                   "enabled: false\n"
	                   "created_at: 2025-10-17 12:34:56.789012+02:00\n"
	                   "hook: |\n"
	                   "  First line\n"
	                   "  Second line\n"
	                   "enhanced_settings:\n"
	                   "  camera: {angle: low, moves: [pan, zoom]}\n"
	                   "  seed: 8589934592\n"
	                   "  ratio: 0.75\n"
	                   "  note: null\n"
	                   "tags: [coffee, morning]\n"
	                   "schedule: {cron: '0 9 * * 1'}\n";
	struct run r;
	json_t *o;

	r = ctl("--json", "create", "--file", write_file("job.yaml", yaml), "--product", "Grinder",
	        NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_str(o, "job_name"), "Café launch");
	cr_assert_str_eq(json_str(o, "product"), "Grinder", "flags win over the file");
	cr_assert(json_is_false(json_object_get(o, "enabled")));
	cr_assert_str_eq(json_str(o, "created_at"), "2025-10-17T10:34:56.789012Z",
	                 "the same instant");
	cr_assert_str_eq(json_str(o, "hook"), "First line\nSecond line\n");
	json_t *es = json_object_get(o, "enhanced_settings");
	cr_assert_eq(json_integer_value(json_object_get(es, "seed")), 8589934592LL);
	cr_assert_eq(json_real_value(json_object_get(es, "ratio")), 0.75);
	cr_assert(json_is_null(json_object_get(es, "note")));
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "tags"), 1)),
	                 "morning");
	cr_assert_str_eq(json_str(json_object_get(o, "schedule"), "cron"), "0 9 * * 1");
	json_decref(o);
	run_free(&r);

	/* What get --json prints, create --file reads back (etag ignored). */
	r = ctl("--json", "get", "from-yaml", NULL);
	cr_assert_eq(r.status, 0);
	o = json_of(&r);
	json_object_set_new(o, "id", json_string("from-json"));
	char *text = json_dumps(o, 0);
	json_decref(o);
	run_free(&r);
	r = ctl("--json", "create", "--file", write_file("job.json", text), NULL);
	free(text);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_str(o, "created_at"), "2025-10-17T10:34:56.789012Z");
	cr_assert_str_eq(json_str(json_object_get(o, "schedule"), "cron"), "0 9 * * 1");
	json_decref(o);
	run_free(&r);

	r = ctl("create", "--file", write_file("broken.yaml", "id: x\n  bad: [indent\n"), NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert(strstr(r.err, "broken.yaml:") != NULL, "names the file and place: %s", r.err);
	run_free(&r);
	r = ctl("create", "--file", write_file("list.yaml", "jobs:\n- id: a\n"), NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	run_free(&r);
	r = ctl("create", "--file", write_file("typed.json", "{\"enabled\": \"yes\"}"), NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert(strstr(r.err, "enabled must be true or false") != NULL, "%s", r.err);
	run_free(&r);
}

Test(cli, help)
{
	const char *help[] = {JOBSCTL_PATH, "help", NULL};
	const char *sub[] = {JOBSCTL_PATH, "help", "create", NULL};
	struct run r = run_cmd(help, NULL, NULL);

	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "exit status") != NULL);
	run_free(&r);
	r = run_cmd(sub, NULL, NULL);
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "--voice-id") != NULL, "%s", r.out);
	run_free(&r);
}

/* ---- list, search, stats -------------------------------------------------- */

static void
create_catalogue(void)
{
	static const char *const jobs[][12] = {
	    {"--id", "f1", "--name", "Solar Lantern Sale", "--product", "Lamp", "--brand", "Acme",
	     "--language", "English", "--hook", "Light up"},
	    {"--id", "f2", "--name", "Alpha Kettle", "--product", "Kettle", "--brand", "Globex",
	     "--language", "Deutsch", "--hook", "A lantern of tea"},
	    {"--id", "f3", "--name", "Zulu Lamp", "--product", "Lamp", "--brand", "Acme",
	     "--language", "English", "--hook", "Night"},
	    {"--id", "f4", "--name", "Beta Tent", "--product", "Tent", "--brand", "", "--language",
	     "Français", "--hook", "Camp"},
	};

	for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
		struct run r =
		    ctl("create", jobs[i][0], jobs[i][1], jobs[i][2], jobs[i][3], jobs[i][4],
		        jobs[i][5], jobs[i][6], jobs[i][7], jobs[i][8], jobs[i][9], jobs[i][10],
		        jobs[i][11], i == 3 ? "--disabled" : NULL, NULL);
		cr_assert_eq(r.status, 0, "%s", r.err);
		run_free(&r);
	}
}

/* The "id"s of the "jobs" array of a JSON document, "a,b,c" (static). */
static const char *
json_ids(json_t *doc)
{
	static char out[1024];
	json_t *jobs = json_object_get(doc, "jobs"), *j;
	size_t i;

	cr_assert(json_is_array(jobs));
	out[0] = '\0';
	json_array_foreach(jobs, i, j)
	{
		if (i > 0)
			strcat(out, ",");
		strcat(out, json_str(j, "id"));
	}
	return out;
}

Test(cli, list_filters_order_view_and_all)
{
	struct run r;
	json_t *o, *j, *v;
	const char *key;
	size_t i;

	create_catalogue();
	r = ctl("--json", "list", "--product", "Lamp", "--order-by", "job_name:desc", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f3,f1");
	cr_assert_str_eq(json_str(o, "next_page_token"), "");
	json_decref(o);
	run_free(&r);

	r = ctl("--json", "list", "--order-by", "job_name", "--enabled", "--brand", "Acme", NULL);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f1,f3");
	json_decref(o);
	run_free(&r);
	r = ctl("--json", "list", "--disabled", NULL);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f4");
	json_decref(o);
	run_free(&r);
	r = ctl("--json", "list", "--language", "Deutsch", "--since", "2000-01-01", "--until",
	        "2999-01-01T00:00:00Z", NULL);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f2");
	json_decref(o);
	run_free(&r);
	r = ctl("--json", "list", "--since", "2999-01-01", NULL);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "");
	json_decref(o);
	run_free(&r);

	/* Summary: exactly the manifest's fields. */
	r = ctl("--json", "list", "--view", "summary", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	json_array_foreach(json_object_get(o, "jobs"), i, j)
	{
		cr_assert_eq(json_object_size(j), 5, "%s", r.out);
		json_object_foreach(j, key, v)
		{
			cr_assert(strcmp(key, "id") == 0 || strcmp(key, "job_name") == 0 ||
			              strcmp(key, "product") == 0 || strcmp(key, "enabled") == 0 ||
			              strcmp(key, "created_at") == 0,
			          "%s", key);
		}
	}
	json_decref(o);
	run_free(&r);

	/* --all follows every page into one document. */
	r = ctl("--json", "list", "--all", "--page-size", "1", "--order-by", "updated_at:asc",
	        NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f1,f2,f3,f4");
	cr_assert_str_eq(json_str(o, "next_page_token"), "");
	json_decref(o);
	run_free(&r);
	r = ctl("list", "--all", "--page-size", "1", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strncmp(r.out, "ID ", 3), 0, "one header: %s", r.out);
	cr_assert_null(strstr(r.out + 3, "ID "), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "f1 "));
	cr_assert_not_null(strstr(r.out, "f4 "));
	run_free(&r);

	r = ctl("list", "--order-by", "colour", NULL);
	cr_assert_eq(r.status, 2);
	assert_one_line_error(&r);
	run_free(&r);
	r = ctl("list", "--order-by", "job_name:up", NULL);
	cr_assert_eq(r.status, 2);
	run_free(&r);
	r = ctl("list", "--view", "tiny", NULL);
	cr_assert_eq(r.status, 2);
	run_free(&r);
	r = ctl("list", "--since", "yesterday", NULL);
	cr_assert_eq(r.status, 2);
	assert_one_line_error(&r);
	run_free(&r);
}

Test(cli, search_json_shape_snippets_and_hostile_text)
{
	struct run r;
	json_t *o, *sn;

	create_catalogue();
	r = ctl("--json", "search", "lantern", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f1,f2", "the name match first");
	cr_assert_str_eq(json_str(o, "next_page_token"), "");
	cr_assert_null(json_object_get(o, "snippets"));
	cr_assert_not_null(json_object_get(json_array_get(json_object_get(o, "jobs"), 0), "hook"),
	                   "full jobs");
	json_decref(o);
	run_free(&r);

	r = ctl("--json", "search", "--snippets", "--limit", "1", "lantern", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f1");
	cr_assert_str_neq(json_str(o, "next_page_token"), "");
	sn = json_array_get(json_object_get(o, "snippets"), 0);
	cr_assert_str_eq(json_str(sn, "id"), "f1");
	cr_assert_not_null(strstr(json_str(sn, "snippet"), "[Lantern]"), "%s",
	                   json_str(sn, "snippet"));
	char token[256];
	snprintf(token, sizeof token, "%s", json_str(o, "next_page_token"));
	json_decref(o);
	run_free(&r);
	r = ctl("--json", "search", "--snippets", "--limit", "1", "--page-token", token, "lantern",
	        NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f2");
	json_decref(o);
	run_free(&r);

	r = ctl("search", "--snippets", "lantern", "of", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "    A [lantern] [of] tea\n"), "%s", r.out);
	run_free(&r);
	r = ctl("--json", "search", "--substring", "ntern", "--product", "Lamp", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f1");
	json_decref(o);
	run_free(&r);
	r = ctl("--json", "search", "--view", "summary", "--disabled", "camp", NULL);
	o = json_of(&r);
	cr_assert_str_eq(json_ids(o), "f4");
	cr_assert_null(json_object_get(json_array_get(json_object_get(o, "jobs"), 0), "hook"));
	json_decref(o);
	run_free(&r);

	r = ctl("search", "'; DROP TABLE jobs; --", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	r = ctl("search", "NEAR(", "\"", "OR", "^lamp", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	r = ctl("search", "(", ")", NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	assert_one_line_error(&r);
	run_free(&r);
	r = ctl("search", "--substring", "ab", NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "at least 3 characters"), "%s", r.err);
	run_free(&r);
	r = ctl("search", NULL);
	cr_assert_eq(r.status, 2);
	run_free(&r);
	r = ctl("--json", "list", NULL);
	o = json_of(&r);
	cr_assert_eq(json_array_size(json_object_get(o, "jobs")), 4, "nothing was harmed");
	json_decref(o);
	run_free(&r);
}

Test(cli, stats_json_shape_and_groups)
{
	char first_day[11], last_day[11];
	struct run r;
	json_t *o, *a;

	utc_day(first_day);
	create_catalogue();
	r = ctl("--json", "stats", NULL);
	utc_day(last_day);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_eq(json_integer_value(json_object_get(o, "total_jobs")), 4);
	cr_assert_eq(json_integer_value(json_object_get(o, "enabled_jobs")), 3);
	cr_assert_eq(json_integer_value(json_object_get(o, "disabled_jobs")), 1);
	cr_assert_eq(json_integer_value(json_object_get(o, "unique_products")), 3);
	cr_assert_eq(json_integer_value(json_object_get(o, "unique_personas")), 1);
	a = json_object_get(o, "by_product");
	cr_assert_eq(json_array_size(a), 3);
	cr_assert_str_eq(json_str(json_array_get(a, 0), "product"), "Lamp");
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(a, 0), "count")), 2);
	cr_assert_eq(json_object_size(json_array_get(a, 0)), 2, "product and count only");
	cr_assert_str_eq(json_str(json_array_get(json_object_get(o, "by_language"), 0), "language"),
	                 "English");
	cr_assert_str_eq(json_str(json_array_get(json_object_get(o, "by_persona"), 0), "persona"),
	                 "");
	cr_assert_str_eq(json_str(json_array_get(json_object_get(o, "by_brand"), 0), "brand"),
	                 "Acme");
	a = json_object_get(o, "created_per_day");
	cr_assert_eq(json_array_size(a), 30);
	/* All four on the day they were made: today, or across midnight (UTC)
	 * yesterday too. */
	json_int_t made = 0;
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		const char *day = json_str(e, "date");

		if (json_integer_value(json_object_get(e, "count")) > 0)
			cr_assert(strcmp(day, first_day) == 0 || strcmp(day, last_day) == 0,
			          "%s is neither %s nor %s", day, first_day, last_day);
		made += json_integer_value(json_object_get(e, "count"));
	}
	cr_assert_eq(made, 4, "created today");
	json_decref(o);
	run_free(&r);

	r = ctl("--json", "stats", "--by", "product", "--top", "1", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	cr_assert_eq(json_array_size(json_object_get(o, "by_product")), 1);
	cr_assert_null(json_object_get(o, "by_language"));
	cr_assert_null(json_object_get(o, "by_brand"));
	cr_assert_eq(json_integer_value(json_object_get(o, "total_jobs")), 4);
	json_decref(o);
	run_free(&r);

	r = ctl("stats", "--by", "brand", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strncmp(r.out, "4 jobs: 3 enabled, 1 disabled\n", 30), 0, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\nBRAND "), "%s", r.out);
	cr_assert_null(strstr(r.out, "\nPRODUCT "), "%s", r.out);
	run_free(&r);
	r = ctl("stats", "--by", "colour", NULL);
	cr_assert_eq(r.status, 2);
	assert_one_line_error(&r);
	run_free(&r);
	r = ctl("stats", "--top", "0", NULL);
	cr_assert_eq(r.status, 2);
	run_free(&r);
}

Test(cli, help_documents_search_and_the_find_flags)
{
	const char *search[] = {JOBSCTL_PATH, "help", "search", NULL};
	const char *list[] = {JOBSCTL_PATH, "help", "list", NULL};
	struct run r = run_cmd(search, NULL, NULL);

	cr_assert_eq(r.status, 0);
	cr_assert_not_null(strstr(r.out, "lant*"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\"solar lantern\""), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "--substring"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "never as operators"), "%s", r.out);
	run_free(&r);
	r = run_cmd(list, NULL, NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_not_null(strstr(r.out, "--order-by"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "--view summary|full"), "%s", r.out);
	run_free(&r);
}
