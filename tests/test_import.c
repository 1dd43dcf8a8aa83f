/*
 * test_import.c: jobsctl import and export, and jobsd's start-up import, on
 * legacy stores written by the real PyYAML (tests/data/legacy/make_fixtures.py
 * runs at test time; the tests fail when python3 or its yaml module is
 * missing). Each test runs its own jobsd on a temporary database.
 */
#include "helpers.h"
#include "jobs/client.h"
#include "legacy.h"
#include "json_helpers.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdatomic.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FIXTURES TEST_DATA_DIR "/legacy/make_fixtures.py"
#define STAMP    "20261124T100000Z"

static struct jobsd d;
static char fx[400]; /* the fixtures, in d.dir */

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

TestSuite(import, .init = start, .fini = stop);

/* ---- helpers --------------------------------------------------------------- */

/* Runs argv with JOBSCTL_BACKUP_TIME set, so backups have a known name. */
static struct run
run_env(const char *const *argv, const char *const *more_env)
{
	const char *env[8] = {"JOBSCTL_BACKUP_TIME=" STAMP};
	int n = 1;

	for (int i = 0; more_env != NULL && more_env[i] != NULL && n < 7; i++)
		env[n++] = more_env[i];
	env[n] = NULL;
	return run_cmd(argv, NULL, env);
}

/* `jobsctl --server URL ARGS...` (NULL-terminated) against `url`, with
 * JOBSCTL_BACKUP_TIME set. */
static const char *const backup_time[] = {"JOBSCTL_BACKUP_TIME=" STAMP, NULL};
#define ctl_at(url, ...) run_tool(JOBSCTL_PATH, url, backup_time, __VA_ARGS__)
#define ctl(...)         ctl_at(d.url, __VA_ARGS__)

/* A path in the fixtures (static storage, four at a time). */
static const char *
fxp(const char *rel)
{
	static char buf[4][600];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/%s", fx, rel);
	return buf[k];
}

/* A path in the test's directory (static storage, four at a time). */
static const char *
tmp(const char *rel)
{
	static char buf[4][600];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/%s", d.dir, rel);
	return buf[k];
}

static bool
have_pyyaml(void)
{
	const char *argv[] = {"/usr/bin/env", "python3", "-c", "import yaml", NULL};
	struct run r = run_cmd(argv, NULL, NULL);
	bool ok = r.status == 0;

	run_free(&r);
	return ok;
}

/* Writes the legacy fixtures with the real PyYAML; without it the test
 * fails (tools/deps.sh test installs it). */
static void
fixtures(void)
{
	const char *argv[] = {"/usr/bin/env", "python3", FIXTURES, fx, NULL};
	struct run r;

	cr_assert(have_pyyaml(), "python3 with PyYAML (python3-yaml) is not installed");
	snprintf(fx, sizeof fx, "%s/fx", d.dir);
	r = run_cmd(argv, NULL, NULL);
	cr_assert_eq(r.status, 0, "make_fixtures.py failed: %s", r.err);
	run_free(&r);
}

/* Runs a Python program with PyYAML; returns its run (asserts it started). */
static struct run
python(const char *program, const char *arg1, const char *arg2)
{
	const char *argv[] = {"/usr/bin/env", "python3", "-c", program, arg1, arg2, NULL};

	return run_cmd(argv, NULL, NULL);
}

/* The job `id` as jobsctl --json get prints it. */
static json_t *
get_job(const char *id)
{
	struct run r = ctl("--json", "get", id, NULL);
	json_t *o;

	cr_assert_eq(r.status, 0, "get %s: %s", id, r.err);
	o = json_of(&r);
	run_free(&r);
	return o;
}

static size_t
count_jobs(const char *url)
{
	struct run r = ctl_at(url, "--json", "list", "--page-size", "1000", NULL);
	json_t *o;
	size_t n;

	cr_assert_eq(r.status, 0, "%s", r.err);
	o = json_of(&r);
	n = json_array_size(json_object_get(o, "jobs"));
	json_decref(o);
	run_free(&r);
	return n;
}

/* The skipped entries of a --json report with `reason`. */
static size_t
skipped(json_t *report, const char *reason, json_t **first)
{
	json_t *e;
	size_t i, n = 0;

	json_array_foreach(json_object_get(report, "skipped"), i, e)
	{
		if (strcmp(json_str(e, "reason"), reason) == 0) {
			if (n == 0 && first != NULL)
				*first = e;
			n++;
		}
	}
	return n;
}

static bool
same_file(const char *a, const char *b)
{
	size_t na, nb;
	char *x = read_file(a, &na), *y = read_file(b, &nb);
	bool same = x != NULL && y != NULL && na == nb && memcmp(x, y, na) == 0;

	free(x);
	free(y);
	return same;
}

static bool
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* ---- every edge case, through Get ------------------------------------------ */

Test(import, every_edge_case_survives)
{
	struct run r;
	json_t *o, *es, *v;

	fixtures();
	r = ctl("import", fxp("edge/campaigns.yaml"), NULL);
	cr_assert_eq(r.status, 0, "nothing to skip: %s%s", r.out, r.err);
	cr_assert(strstr(r.out, "imported 9 of 9 jobs") != NULL, "%s", r.out);
	cr_assert(strstr(r.out, "ignored: ") != NULL && strstr(r.out, "jobs_index.yaml") != NULL,
	          "the index beside the file is named as ignored: %s", r.out);
	cr_assert_str_eq(r.err, "", "quiet when stderr is not a terminal");
	run_free(&r);

	/* Timestamps: the same instant, as RFC 3339 UTC. */
	o = get_job("job-1");
	cr_assert_str_eq(json_str(o, "created_at"), "2025-10-17T10:34:56.789012Z", "+02:00 to UTC");
	cr_assert_str_eq(json_str(o, "updated_at"), "2025-10-18T01:02:03Z", "naive is UTC");
	json_decref(o);
	o = get_job("job-8");
	cr_assert_str_eq(json_str(o, "job_name"), "minimal");
	json_decref(o);
	o = get_job("job-3");
	cr_assert_str_eq(json_str(o, "created_at"), "2025-10-04T09:00:00.123456Z",
	                 "a naive isoformat string is UTC");
	cr_assert_str_eq(
	    json_str(o, "hook"),
	    "First line\n  indented second\n\nafter a blank line\nends with spaces   \n");
	json_decref(o);

	/* Unicode. */
	o = get_job("job-2");
	cr_assert_str_eq(json_str(o, "job_name"), "Café ☕ launch 😀");
	cr_assert_str_eq(json_str(o, "hook"), "日本語のフック");
	json_decref(o);

	/* Numbers, booleans, nulls, nesting. */
	o = get_job("job-4");
	es = json_object_get(o, "enhanced_settings");
	cr_assert_eq(json_integer_value(json_object_get(es, "seed")), 1LL << 40);
	cr_assert_eq(json_integer_value(json_object_get(es, "huge")), (1LL << 62) + 7);
	cr_assert_eq(json_integer_value(json_object_get(es, "negative")), -(1LL << 33));
	cr_assert_eq(json_real_value(json_object_get(es, "ratio")), 0.1);
	cr_assert_eq(json_real_value(json_object_get(es, "tiny")), 1.5e-07);
	cr_assert_eq(json_real_value(json_object_get(es, "large")), 1e22);
	cr_assert_eq(json_real_value(json_object_get(es, "third")), 1.0 / 3);
	cr_assert(json_is_real(json_object_get(es, "whole")), "3.0 stays a float");
	cr_assert(json_is_true(json_object_get(es, "on")));
	cr_assert(json_is_false(json_object_get(es, "off")));
	cr_assert(json_is_null(json_object_get(es, "nothing")));
	v = json_object_get(json_object_get(es, "voice"), "takes");
	cr_assert_eq(json_array_size(v), 6);
	cr_assert_str_eq(json_string_value(json_array_get(v, 1)), "2");
	cr_assert_str_eq(
	    json_string_value(json_array_get(
	        json_object_get(json_object_get(json_array_get(v, 5), "deep"), "deeper"), 0)),
	    "x");
	cr_assert_str_eq(json_string_value(json_object_get(es, "when")), "2024-01-01T00:00:00Z");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(es, "strings"), 0)),
	                 "yes");
	json_decref(o);

	/* Unknown keys, at the top level, kept and returned by Get. */
	o = get_job("job-5");
	cr_assert_eq(json_array_size(json_object_get(o, "tags")), 2);
	cr_assert_str_eq(json_str(json_object_get(o, "schedule"), "tz"), "Europe/Paris");
	cr_assert(json_is_null(json_object_get(o, "notes")));
	cr_assert(json_object_get(o, "notes") != NULL, "a null unknown key is kept");
	cr_assert_eq(json_integer_value(json_object_get(o, "priority")), 3);
	cr_assert(json_is_true(json_object_get(json_object_get(o, "extra"), "kept")));
	json_decref(o);

	/* Known keys whose values do not fit: kept as they were. */
	o = get_job("job-6");
	cr_assert(json_is_null(json_object_get(o, "language")), "language: null");
	cr_assert_eq(json_integer_value(json_object_get(o, "product")), 123);
	cr_assert_str_eq(json_str(o, "enabled"), "yes");
	cr_assert_str_eq(json_str(o, "created_at"), "yesterday");
	cr_assert(json_is_array(json_object_get(o, "brand_name")));
	cr_assert_str_neq(json_str(o, "etag"), "legacy-etag", "get --json shows the real etag");
	json_decref(o);
	o = get_job("7");
	cr_assert(json_is_integer(json_object_get(o, "id")), "an integer id stays one");
	cr_assert(json_is_false(json_object_get(o, "enabled")));
	cr_assert(json_is_null(json_object_get(o, "enhanced_settings")));
	json_decref(o);
	o = get_job("job-9");
	cr_assert_str_eq(json_str(o, "product"), "123");
	cr_assert_str_eq(json_str(o, "persona"), "yes");
	cr_assert_str_eq(json_str(o, "hook"), "2025-01-01");
	json_decref(o);
}

/* ---- export, and the round trip --------------------------------------------- */

/* Compares what PyYAML reads from the source and from the export: every key
 * of every source job, timestamps as instants; keys the export adds must be
 * jobsd's defaults. Prints the differences, exits 1 if any. */
static const char compare_py[] =
    "import sys, yaml, datetime\n"
    "UTC = datetime.timezone.utc\n"
    "def inst(v):\n"
    "    if isinstance(v, datetime.datetime):\n"
    "        return (v if v.tzinfo else v.replace(tzinfo=UTC)).astimezone(UTC)\n"
    "    if isinstance(v, datetime.date):\n"
    "        return datetime.datetime(v.year, v.month, v.day, tzinfo=UTC)\n"
    "    if isinstance(v, str):\n"
    "        try:\n"
    "            t = datetime.datetime.fromisoformat(v.replace('Z', '+00:00'))\n"
    "        except ValueError:\n"
    "            return v\n"
    "        return t if t.tzinfo else t.replace(tzinfo=UTC)\n"
    "    return v\n"
    "def norm(v, times=True):\n"
    "    if isinstance(v, dict):\n"
    "        return {k: norm(x) for k, x in v.items()}\n"
    "    if isinstance(v, list):\n"
    "        return [norm(x) for x in v]\n"
    "    return inst(v)\n"
    "src = yaml.safe_load(open(sys.argv[1]))['jobs']\n"
    "out = yaml.safe_load(open(sys.argv[2]))['jobs']\n"
    "byid = {str(j['id']): j for j in out}\n"
    "bad = []\n"
    "defaults = {'language': 'English', 'enabled': True}\n"
    "for s in src:\n"
    "    e = byid.get(str(s['id']))\n"
    "    if e is None:\n"
    "        bad.append('missing %r' % s['id']); continue\n"
    "    for k, v in s.items():\n"
    "        t = k in ('created_at', 'updated_at')\n"
    "        if norm(v, t) != norm(e.get(k, '<absent>'), t):\n"
    "            bad.append('%s.%s: %r != %r' % (s['id'], k, v, e.get(k)))\n"
    "    for k, v in e.items():\n"
    "        if k in s: continue\n"
    "        if k in ('created_at', 'updated_at') and isinstance(inst(v), datetime.datetime):\n"
    "            continue\n"
    "        if v != defaults.get(k, ''):\n"
    "            bad.append('%s.%s added as %r' % (s['id'], k, v))\n"
    "if len(src) != len(out): bad.append('%d jobs, %d exported' % (len(src), len(out)))\n"
    "print('\\n'.join(bad))\n"
    "sys.exit(1 if bad else 0)\n";

/* Whether PyYAML's safe_dump writes exactly the bytes of `path` for what
 * safe_load reads from it. */
static const char redump_py[] = "import sys, yaml\n"
                                "text = open(sys.argv[1]).read()\n"
                                "again = yaml.safe_dump(yaml.safe_load(text))\n"
                                "sys.exit(0 if again == text else 1)\n";

Test(import, export_is_what_pyyaml_reads_and_writes)
{
	struct run r;

	fixtures();
	r = ctl("import", fxp("edge/campaigns.yaml"), NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	run_free(&r);
	r = ctl("export", "--format", "yaml", tmp("out.yaml"), NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "exported 9 jobs") != NULL, "%s", r.out);
	run_free(&r);

	r = python(compare_py, fxp("edge/campaigns.yaml"), tmp("out.yaml"));
	cr_assert_eq(r.status, 0, "PyYAML reads other data from the export:\n%s%s", r.out, r.err);
	run_free(&r);
	r = python(redump_py, tmp("out.yaml"), NULL);
	cr_assert_eq(r.status, 0, "the export is not byte for byte what safe_dump writes: %s",
	             r.err);
	run_free(&r);
}

/* export -> import into an empty jobsd -> export: the same bytes. */
static void
round_trip(const char *format, const char *name)
{
	struct jobsd d2;
	char first[600], second[600];
	struct run r;

	fixtures();
	snprintf(first, sizeof first, "%s/first-%s", d.dir, name);
	r = ctl("import", fxp("edge/campaigns.yaml"), NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	run_free(&r);
	r = ctl("export", "--format", format, first, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);

	cr_assert(jobsd_start(&d2, NULL, NULL));
	snprintf(second, sizeof second, "%s/second-%s", d2.dir, name);
	r = ctl_at(d2.url, "import", "--format", format, first, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	run_free(&r);
	r = ctl_at(d2.url, "export", "--format", format, second, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	if (strcmp(format, "yaml-dir") == 0) {
		const char *names[] = {"jobs_manifest.yaml", "jobs/job-1.yaml", "jobs/job-4.yaml",
		                       "jobs/job-6.yaml", "jobs/7.yaml"};
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
			char a[700], b[700];

			snprintf(a, sizeof a, "%s/%s", first, names[i]);
			snprintf(b, sizeof b, "%s/%s", second, names[i]);
			cr_assert(same_file(a, b), "%s differs after the round trip", names[i]);
		}
		r = python(redump_py, tmp("first-dir/jobs_manifest.yaml"), NULL);
		cr_assert_eq(r.status, 0, "the manifest is not what safe_dump writes");
		run_free(&r);
	} else {
		cr_assert(same_file(first, second), "%s export differs after the round trip",
		          format);
	}
	/* The same database exported twice: the same bytes, too. */
	r = ctl_at(d2.url, "export", "--format", format, second, NULL);
	cr_assert_eq(r.status, 0, "exporting over an earlier export: %s", r.err);
	run_free(&r);
	cr_assert_eq(jobsd_cleanup(&d2), 0);
}

Test(import, round_trip_yaml_is_byte_identical)
{
	round_trip("yaml", "out.yaml");
}

Test(import, round_trip_yaml_dir_is_byte_identical)
{
	round_trip("yaml-dir", "dir");
}

Test(import, round_trip_json_lines_is_byte_identical)
{
	struct run r;
	json_error_t je;
	json_t *line;
	char *text, *nl;

	round_trip("json", "out.jsonl");
	text = read_file(tmp("first-out.jsonl"), NULL);
	cr_assert_not_null(text);
	nl = strchr(text, '\n');
	cr_assert_not_null(nl);
	line = json_loadb(text, (size_t)(nl - text), 0, &je);
	cr_assert_not_null(line, "one job per line: %s", je.text);
	cr_assert(json_object_get(line, "job_name") != NULL, "legacy field names");
	json_decref(line);
	free(text);
	r = ctl("export", "--format", "json", d.dir, NULL);
	cr_assert_eq(r.status, 2, "a folder is not a file: %s", r.err);
	run_free(&r);
}

/* ---- what jobsd accepts reads back ----------------------------------------------- */

/* JSON at the edges of what jansson holds: int64's ends, the largest and
 * smallest doubles, a negative zero, reals that need all 17 digits, deep
 * nesting, every kind of string escape, empty containers. */
static const char edge_settings[] =
    "{\"max\": 9223372036854775807, \"min\": -9223372036854775808,"
    " \"dmax\": 1.7976931348623157e308, \"dmin\": 5e-324, \"negzero\": -0.0,"
    " \"third\": 0.3333333333333333, \"tenth\": 0.1, \"e21\": 1e21,"
    " \"text\": \"\\u00e9 \\u2600 \\ud83d\\ude00 \\\"q\\\" \\\\ \\n \\t \\u0001 \\u007f\","
    " \"deep\": [[[[[[[[[[[[[[[[{\"x\": [1, 2.5, null, true, false]}]]]]]]]]]]]]]]]],"
    " \"empty\": {}, \"none\": [], \"\\u00fcber key\": \"\"}";

/* The enhanced_settings of job `id` in a document holding jobs: a list
 * under "jobs" (list --json), or the job itself (get --json). */
static json_t *
settings_of(json_t *doc, const char *id)
{
	json_t *jobs = json_object_get(doc, "jobs"), *j;
	size_t i;

	if (jobs == NULL)
		return json_object_get(doc, "enhanced_settings");
	json_array_foreach(jobs, i, j)
	{
		if (strcmp(json_str(j, "id"), id) == 0)
			return json_object_get(j, "enhanced_settings");
	}
	return NULL;
}

Test(import, what_jobsd_accepts_every_tool_reads_back_exactly)
{
	jobs_job j = {.id = "edge", .job_name = "edge", .enhanced_settings = (char *)edge_settings},
	         *got;
	jobs_client *c;
	jobs_call call = {0};
	json_error_t je;
	json_t *want = json_loads(edge_settings, 0, &je), *doc;
	struct run r;

	cr_assert_not_null(want, "%s", je.text);
	cr_assert_eq(jobs_client_open(&c, d.url, NULL, &call), JOBS_OK, "%s", call.message);
	cr_assert_eq(jobs_create_job(c, &call, &j, &got), JOBS_OK, "%s", call.message);
	jobs_job_free(got);

	/* jobsctl --json get, and list --all. */
	r = ctl("--json", "get", "edge", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	doc = json_of(&r);
	run_free(&r);
	cr_assert(json_equal(settings_of(doc, "edge"), want), "get: %s",
	          json_dumps(settings_of(doc, "edge"), JSON_COMPACT));
	json_decref(doc);
	r = ctl("--json", "list", "--all", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	doc = json_of(&r);
	run_free(&r);
	cr_assert(json_equal(settings_of(doc, "edge"), want), "list --all");
	json_decref(doc);

	/* export, as JSON Lines, and as YAML read by PyYAML. */
	r = ctl("export", "--format", "json", "-", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	doc = json_loads(r.out, 0, &je);
	run_free(&r);
	cr_assert_not_null(doc, "%s", je.text);
	cr_assert(json_equal(settings_of(doc, "edge"), want), "export --format json");
	json_decref(doc);
	cr_assert(have_pyyaml(), "python3 with PyYAML (python3-yaml) is not installed");
	r = ctl("export", "--format", "yaml", tmp("edge.yaml"), NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	r = python("import sys, json, yaml\n"
	           "print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding=\"utf-8\"))))\n",
	           tmp("edge.yaml"), NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	doc = json_of(&r);
	run_free(&r);
	cr_assert(json_equal(settings_of(doc, "edge"), want), "export --format yaml, via PyYAML");
	json_decref(doc);

	/* And what no tool could read back is refused at the door, by jobsd and
	 * by jobsctl alike. */
	jobs_job big = {.id = "too-big",
	                .job_name = "too big",
	                .enhanced_settings = "{\"n\": 9877453312372561764}"};
	cr_assert_eq(jobs_create_job(c, &call, &big, NULL), JOBS_INVALID_ARGUMENT);
	cr_assert(strstr(call.message, "too big integer") != NULL, "%s", call.message);
	big.enhanced_settings = "{\"n\": 1e999}";
	cr_assert_eq(jobs_create_job(c, &call, &big, NULL), JOBS_INVALID_ARGUMENT);
	big.enhanced_settings = NULL;
	big.extra = "{\"n\": 18446744073709551616}";
	cr_assert_eq(jobs_create_job(c, &call, &big, NULL), JOBS_INVALID_ARGUMENT);
	r = ctl("create", "--id", "too-big", "--name", "x", "--settings-json",
	        "{\"n\": 9877453312372561764}", NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	run_free(&r);
	jobs_client_close(c);
	json_decref(want);
}

/* ---- where an export goes -------------------------------------------------------- */

Test(import, export_targets_standard_output_links_and_what_it_refuses)
{
	struct run r;
	struct stat st;
	char target[700];

	r = ctl("create", "--id", "only", "--name", "Only one", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);

	/* -: the export on stdout, the summary on stderr. */
	r = ctl("export", "--format", "json", "-", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strncmp(r.out, "{\"brand_name\":", 14) == 0, "%s", r.out);
	cr_assert_eq(strchr(r.out, '\n'), r.out + strlen(r.out) - 1, "one line: %s", r.out);
	cr_assert(strstr(r.err, "exported 1 jobs to standard output") != NULL, "%s", r.err);
	cr_assert(!exists(tmp("-")), "no file named -");
	run_free(&r);
	r = ctl("export", "--format", "yaml", "-", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strncmp(r.out, "jobs:\n- ", 8) == 0, "%s", r.out);
	run_free(&r);
	r = ctl("export", "--format", "yaml-dir", "-", NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	run_free(&r);

	/* /dev/stdout is a link to a pipe here: refused, pointing at -. */
	r = ctl("export", "--format", "json", "/dev/stdout", NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert(strstr(r.err, "give -") != NULL, "%s", r.err);
	run_free(&r);

	/* A FIFO is refused and stays a FIFO. */
	cr_assert_eq(mkfifo(tmp("fifo"), 0600), 0);
	r = ctl("export", "--format", "json", tmp("fifo"), NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	run_free(&r);
	cr_assert_eq(lstat(tmp("fifo"), &st), 0);
	cr_assert(S_ISFIFO(st.st_mode));

	/* A link is written through: to a file, then to one not made yet. */
	FILE *f = fopen(tmp("real.jsonl"), "w");
	cr_assert_not_null(f);
	fputs("old\n", f);
	fclose(f);
	cr_assert_eq(chmod(tmp("real.jsonl"), 0640), 0);
	cr_assert_eq(symlink("real.jsonl", tmp("link.jsonl")), 0);
	r = ctl("export", "--format", "json", tmp("link.jsonl"), NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	cr_assert_eq(lstat(tmp("link.jsonl"), &st), 0);
	cr_assert(S_ISLNK(st.st_mode), "the link stays a link");
	cr_assert_eq(stat(tmp("real.jsonl"), &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0640, "a replaced file keeps its mode: %o", st.st_mode);
	char *text = read_file(tmp("real.jsonl"), NULL);
	cr_assert(text != NULL && strstr(text, "\"id\":\"only\"") != NULL, "%s", text);
	free(text);
	snprintf(target, sizeof target, "%s", tmp("new.jsonl"));
	cr_assert_eq(symlink(target, tmp("dangling.jsonl")), 0);
	r = ctl("export", "--format", "json", tmp("dangling.jsonl"), NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	cr_assert_eq(stat(target, &st), 0);
	cr_assert(S_ISREG(st.st_mode));
}

/* Jobs stored before jobsd refused integers beyond 64 bits: the export goes
 * through all of them, names each it cannot write exactly, and writes
 * nothing rather than an export that silently lacks them. */
Test(import, export_names_every_job_it_cannot_write_and_writes_nothing)
{
	struct run r;
	sqlite3 *db;
	char dir[256];

	const char *ids[] = {"big-1", "fine", "big-2"};
	for (size_t i = 0; i < 3; i++) {
		r = ctl("create", "--id", ids[i], "--name", ids[i], NULL);
		cr_assert_eq(r.status, 0, "%s", r.err);
		run_free(&r);
	}
	r = ctl("export", "--format", "json", tmp("out.jsonl"), NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	snprintf(dir, sizeof dir, "%s", d.dir);
	cr_assert_eq(jobsd_stop(&d, SIGTERM), 0);
	/* A number JSON holds but a double cannot, as only a hand at the
	 * database could have put there (jobsd refuses it). */
	const char *big = "UPDATE jobs SET enhanced_settings = "
	                  "'{\"n\": 99999999999999999999}' WHERE id LIKE 'big-%'";
	if (test_store_is_pg()) {
		PGresult *res = test_pg_exec(d.db, big);
		cr_assert_str_eq(PQcmdTuples(res), "2");
		PQclear(res);
	} else {
		cr_assert_eq(sqlite3_open(d.db, &db), SQLITE_OK);
		cr_assert_eq(sqlite3_exec(db, big, NULL, NULL, NULL), SQLITE_OK, "%s",
		             sqlite3_errmsg(db));
		cr_assert_eq(sqlite3_changes(db), 2);
		sqlite3_close(db);
	}
	cr_assert(jobsd_start(&d, dir, NULL));

	char *before = read_file(tmp("out.jsonl"), NULL);
	const char *formats[] = {"json", "yaml", "yaml-dir"};
	for (size_t i = 0; i < 3; i++) {
		r = ctl("export", "--format", formats[i], tmp("out.jsonl"), NULL);
		cr_assert_neq(r.status, 0, "%s", formats[i]);
		if (i < 2) {
			cr_assert(strstr(r.err, "job 'big-1'") != NULL, "%s", r.err);
			cr_assert(strstr(r.err, "job 'big-2'") != NULL, "%s", r.err);
			cr_assert(strstr(r.err, "2 of 3 jobs") != NULL, "%s", r.err);
			cr_assert(strstr(r.err, "DATA_LOSS") != NULL, "%s", r.err);
		}
		run_free(&r);
	}
	char *after = read_file(tmp("out.jsonl"), NULL);
	cr_assert(before != NULL && after != NULL && strcmp(before, after) == 0,
	          "the earlier export is untouched");
	free(before);
	free(after);
	r = ctl("export", "--format", "yaml-dir", tmp("dir"), NULL);
	cr_assert(strstr(r.err, "job 'big-2'") != NULL, "%s", r.err);
	run_free(&r);
	cr_assert(!exists(tmp("dir")), "no folder either");
	r = ctl("export", "--format", "json", "-", NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.out, "\"id\":\"fine\"") != NULL, "%s", r.out);
	cr_assert(strstr(r.out, "big-") == NULL, "%s", r.out);
	run_free(&r);
}

/* ---- the report --------------------------------------------------------------- */

Test(import, report_names_every_skipped_job)
{
	struct run r;
	json_t *rep, *e;

	fixtures();
	r = ctl("create", "--id", "job-2", "--name", "Already here", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);

	r = ctl("import", fxp("skips.yaml"), NULL);
	cr_assert_eq(r.status, 2, "no id is invalid input: %s%s", r.out, r.err);
	cr_assert(strstr(r.out, "imported 1 of 6 jobs") != NULL, "%s", r.out);
	cr_assert(strstr(r.out, "no_id: \"Nameless One\"") != NULL, "named by job_name: %s", r.out);
	cr_assert(strstr(r.out, "no_id: \"Null Id\"") != NULL, "%s", r.out);
	cr_assert(strstr(r.out, "no_id: \"Empty Id\"") != NULL, "%s", r.out);
	cr_assert(strstr(r.out, "duplicate_id: 'job-1' \"Second with id job-1\"") != NULL, "%s",
	          r.out);
	cr_assert(strstr(r.out, "exists: 'job-2'") != NULL, "%s", r.out);
	cr_assert(strstr(r.out, "backup: ") != NULL, "%s", r.out);
	run_free(&r);
	rep = get_job("job-1");
	cr_assert_str_eq(json_str(rep, "job_name"), "Job 1", "the first of an id twice wins");
	json_decref(rep);
	rep = get_job("job-2");
	cr_assert_str_eq(json_str(rep, "job_name"), "Already here", "skipped, not overwritten");
	json_decref(rep);

	/* The same import again, as JSON: now job-1 exists too. */
	r = ctl("--json", "import", fxp("skips.yaml"), NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	rep = json_of(&r);
	run_free(&r);
	cr_assert_eq(json_integer_value(json_object_get(rep, "read")), 6);
	cr_assert_eq(json_integer_value(json_object_get(rep, "imported")), 0);
	cr_assert_eq(skipped(rep, "no_id", &e), 3);
	cr_assert_str_eq(json_str(e, "job_name"), "Nameless One");
	cr_assert_eq(json_integer_value(json_object_get(e, "index")), 1);
	cr_assert(json_integer_value(json_object_get(e, "line")) > 1);
	cr_assert_eq(skipped(rep, "duplicate_id", &e), 1);
	cr_assert_str_eq(json_str(e, "id"), "job-1");
	cr_assert_eq(skipped(rep, "exists", &e), 2);
	cr_assert(strstr(json_str(e, "message"), "--replace") != NULL);
	/* Nothing imported: its backup is removed, and the report says so. */
	cr_assert(json_is_null(json_object_get(rep, "backup")));
	cr_assert(json_is_true(json_object_get(rep, "backup_removed")));
	cr_assert(exists(fxp("skips.yaml.backup-" STAMP)), "the first import's backup stays");
	cr_assert(!exists(fxp("skips.yaml.backup-" STAMP "-2")), "the second's is gone");
	cr_assert_str_eq(json_str(rep, "format"), "yaml");
	cr_assert(json_is_false(json_object_get(rep, "dry_run")));
	json_decref(rep);
	r = ctl("import", fxp("skips.yaml"), NULL);
	cr_assert(strstr(r.out, "no backup kept: nothing was imported") != NULL, "%s", r.out);
	run_free(&r);
	cr_assert(!exists(fxp("skips.yaml.backup-" STAMP "-2")));
}

Test(import, assign_ids_and_exit_statuses)
{
	struct run r;
	json_t *rep, *e;
	size_t i;

	fixtures();
	r = ctl("--json", "import", "--assign-ids", fxp("skips.yaml"), NULL);
	cr_assert_eq(r.status, 4, "only a duplicate left: a conflict: %s", r.err);
	rep = json_of(&r);
	run_free(&r);
	cr_assert_eq(json_integer_value(json_object_get(rep, "imported")), 5);
	cr_assert_eq(skipped(rep, "no_id", NULL), 0);
	cr_assert_eq(json_array_size(json_object_get(rep, "assigned_ids")), 3);
	json_array_foreach(json_object_get(rep, "assigned_ids"), i, e)
	{
		json_t *job = get_job(json_str(e, "id"));

		cr_assert_eq(strlen(json_str(e, "id")), 36, "a UUID");
		cr_assert_str_eq(json_str(job, "job_name"), json_str(e, "job_name"));
		json_decref(job);
	}
	json_decref(rep);
	cr_assert_eq(count_jobs(d.url), 5);

	r = ctl("import", fxp("edge/campaigns.yaml"), NULL);
	cr_assert_eq(r.status, 4, "job-1 and job-2 exist: a conflict: %s", r.out);
	cr_assert(strstr(r.out, "imported 7 of 9") != NULL, "%s", r.out);
	run_free(&r);
	r = ctl("import", tmp("no-such-file.yaml"), NULL);
	cr_assert_eq(r.status, 3, "%s", r.err);
	cr_assert(strstr(r.err, "no-such-file.yaml") != NULL, "%s", r.err);
	run_free(&r);
	r = ctl("import", fxp("edge/jobs_index.yaml"), NULL);
	cr_assert_eq(r.status, 2, "an index is not the data: %s", r.err);
	run_free(&r);
}

Test(import, replace_overwrites_existing_jobs)
{
	struct run r;
	json_t *rep, *o;

	fixtures();
	r = ctl("create", "--id", "job-1", "--name", "Old name", "--extra-json",
	        "{\"stale\": true}", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	r = ctl("--json", "import", "--replace", fxp("edge/campaigns.yaml"), NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	rep = json_of(&r);
	run_free(&r);
	cr_assert_eq(json_integer_value(json_object_get(rep, "imported")), 9);
	cr_assert_eq(json_integer_value(json_object_get(rep, "replaced")), 1);
	json_decref(rep);
	o = get_job("job-1");
	cr_assert_str_eq(json_str(o, "job_name"), "Job 1");
	cr_assert_str_eq(json_str(o, "created_at"), "2025-10-17T10:34:56.789012Z",
	                 "created_at comes from the source too");
	cr_assert_null(json_object_get(o, "stale"), "the whole job is replaced");
	json_decref(o);
}

Test(import, dry_run_writes_nothing)
{
	struct run r;
	json_t *rep;

	fixtures();
	r = ctl("create", "--id", "job-3", "--name", "Job 3", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	r = ctl("--json", "import", "--dry-run", fxp("edge/campaigns.yaml"), NULL);
	cr_assert_eq(r.status, 4, "job-3 would be skipped: %s", r.err);
	rep = json_of(&r);
	run_free(&r);
	cr_assert(json_is_true(json_object_get(rep, "dry_run")));
	cr_assert_eq(json_integer_value(json_object_get(rep, "imported")), 8, "would import");
	cr_assert_eq(skipped(rep, "exists", NULL), 1);
	cr_assert(json_is_null(json_object_get(rep, "backup")), "no backup for a dry run");
	json_decref(rep);
	cr_assert_eq(count_jobs(d.url), 1, "nothing written");
	cr_assert(!exists(fxp("edge/campaigns.yaml.backup-" STAMP)));
	r = ctl("import", "--dry-run", fxp("edge/campaigns.yaml"), NULL);
	cr_assert(strstr(r.out, "would import 8 of 9 jobs") != NULL, "%s", r.out);
	cr_assert(strstr(r.out, "dry run: nothing was written") != NULL, "%s", r.out);
	run_free(&r);
}

/* ---- out of memory ---------------------------------------------------------------- */

/* jansson's budget-th allocation (the report, the jobs read) fails, the
 * others do not; -1: none. Counted across threads: the senders are many. */
static atomic_long alloc_budget = -1, allocs;

static void *
budget_malloc(size_t n)
{
	long budget = atomic_load(&alloc_budget), nth = atomic_fetch_add(&allocs, 1);

	if (nth == budget)
		return NULL;
	return malloc(n);
}

/* A sink that takes every job, as jobsd would; its result is the library's
 * (jobs_batch_result_free frees it). */
static int
take_all(void *ud, jobs_call *call, const jobs_job *const *jobs, size_t n, unsigned flags,
         jobs_batch_result **out)
{
	jobs_batch_result *r = calloc(1, sizeof *r);

	(void)ud, (void)call, (void)flags;
	cr_assert_not_null(r);
	cr_assert_not_null(r->outcomes = calloc(n, sizeof *r->outcomes));
	r->n_outcomes = n;
	for (size_t i = 0; i < n; i++) {
		r->outcomes[i] = (jobs_batch_outcome){.index = i, .code = JOBS_OK};
		r->outcomes[i].id = strdup(*jobs[i]->id != '\0' ? jobs[i]->id : "assigned");
		r->outcomes[i].message = strdup("");
		r->outcomes[i].etag = strdup("1");
	}
	*out = r;
	return JOBS_OK;
}

/* Whichever allocation fails, the import either fails, or hands over a
 * report that names every job it skipped: never OK with one missing. */
Test(import, out_of_memory_never_hands_over_a_report_that_lacks_a_job, .timeout = 240)
{
	struct legacy_sink sink = {.write = take_all, .max_request_bytes = 1 << 20};
	struct legacy_import_options o = {.dry_run = true};
	json_t *report;
	char err[512];
	long needed;
	size_t skipped_all;
	int oks = 0, fails = 0;

	fixtures();
	o.path = fxp("skips.yaml");
	json_set_alloc_funcs(budget_malloc, free);
	atomic_store(&allocs, 0);
	cr_assert_eq(legacy_import(&o, &sink, &report, err, sizeof err), JOBS_OK, "%s", err);
	needed = atomic_load(&allocs);
	skipped_all = json_array_size(json_object_get(report, "skipped"));
	cr_assert_eq(skipped_all, 4, "three without an id, one id twice");
	json_decref(report);
	for (long k = 0; k <= needed; k++) {
		atomic_store(&allocs, 0);
		atomic_store(&alloc_budget, k);
		int rv = legacy_import(&o, &sink, &report, err, sizeof err);
		atomic_store(&alloc_budget, -1);
		if (rv == JOBS_OK) {
			oks++;
			cr_assert_eq(
			    json_array_size(json_object_get(report, "skipped")), skipped_all,
			    "allocation %ld failed: OK, but the report does not name the "
			    "jobs skipped: %s",
			    k, json_dumps(json_object_get(report, "skipped"), JSON_COMPACT));
		} else {
			fails++;
			cr_assert_str_neq(err, "", "allocation %ld: a failure without a reason", k);
		}
		json_decref(report);
	}
	json_set_alloc_funcs(malloc, free);
	cr_log_info("%ld allocations: %d imports failed, %d succeeded whole", needed, fails, oks);
	cr_assert_gt(fails, 0);
}

/* ---- broken files, backups, layouts ------------------------------------------- */

Test(import, broken_single_file_writes_nothing_and_says_where)
{
	struct run r;

	fixtures();
	r = ctl("import", fxp("broken.yaml"), NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert(strstr(r.err, "broken.yaml:36:7: ") != NULL, "line and column: %s", r.err);
	cr_assert(strstr(r.err, "flow sequence") != NULL, "%s", r.err);
	cr_assert_str_eq(r.out, "", "no report: nothing was written");
	run_free(&r);
	cr_assert_eq(count_jobs(d.url), 0, "the two good jobs before the error are not written");
	cr_assert(!exists(fxp("broken.yaml.backup-" STAMP)), "no backup left behind");
}

/* Python wrote any integer and nan: such a job is named in the report and
 * not imported (importing the rest of it would lose the value); the others
 * import, from YAML and from JSON Lines alike. */
Test(import, a_job_holding_what_json_cannot_is_named_and_not_half_read)
{
	struct run r;
	json_t *rep, *e;

	fixtures();
	r = ctl("--json", "import", fxp("unrepresentable.yaml"), NULL);
	cr_assert_eq(r.status, 2, "some jobs could not be read: %s", r.err);
	rep = json_of(&r);
	run_free(&r);
	cr_assert_eq(json_integer_value(json_object_get(rep, "read")), 4);
	cr_assert_eq(json_integer_value(json_object_get(rep, "imported")), 2);
	cr_assert_eq(skipped(rep, "unrepresentable", &e), 2);
	cr_assert_str_eq(json_str(e, "id"), "job-2");
	cr_assert_str_eq(json_str(e, "job_name"), "Job 2");
	cr_assert(strstr(json_str(e, "message"), "1180591620717411303424") != NULL, "%s",
	          json_str(e, "message"));
	cr_assert_eq(json_integer_value(json_object_get(e, "index")), 1);
	json_decref(rep);
	r = ctl("get", "job-2", NULL);
	cr_assert_eq(r.status, 3, "not half-imported: %s", r.out);
	run_free(&r);
	r = ctl("get", "job-3", NULL);
	cr_assert_eq(r.status, 3, "not half-imported: %s", r.out);
	run_free(&r);
	cr_assert_eq(count_jobs(d.url), 2);

	r = ctl("--json", "import", "--replace", fxp("unrepresentable.jsonl"), NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	rep = json_of(&r);
	run_free(&r);
	cr_assert_eq(json_integer_value(json_object_get(rep, "read")), 3);
	cr_assert_eq(json_integer_value(json_object_get(rep, "imported")), 2);
	cr_assert_eq(skipped(rep, "unrepresentable", &e), 1);
	cr_assert_str_eq(json_str(e, "id"), "job-2");
	cr_assert_eq(json_integer_value(json_object_get(e, "line")), 2);
	cr_assert(strstr(json_str(e, "message"), "too big integer") != NULL, "%s",
	          json_str(e, "message"));
	json_decref(rep);
	cr_assert_eq(count_jobs(d.url), 2);
}

Test(import, backup_is_made_first_and_the_source_is_untouched)
{
	struct run r;
	char *before, *after;
	size_t nb, na;

	fixtures();
	before = read_file(fxp("edge/campaigns.yaml"), &nb);
	r = ctl("import", fxp("edge/campaigns.yaml"), NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "campaigns.yaml.backup-" STAMP) != NULL, "%s", r.out);
	run_free(&r);
	after = read_file(fxp("edge/campaigns.yaml"), &na);
	cr_assert(nb == na && memcmp(before, after, na) == 0, "the source is not modified");
	cr_assert(same_file(fxp("edge/campaigns.yaml"), fxp("edge/campaigns.yaml.backup-" STAMP)));
	free(before);
	free(after);
	/* A second import in the same second that writes gets a backup of its own. */
	r = ctl("import", "--replace", fxp("edge/campaigns.yaml"), NULL);
	cr_assert(strstr(r.out, "campaigns.yaml.backup-" STAMP "-2") != NULL, "%s", r.out);
	run_free(&r);
}

Test(import, per_job_folder_with_a_broken_file_and_its_manifest)
{
	struct run r;
	json_t *rep, *e;

	fixtures();
	r = ctl("--json", "import", fxp("folder"), NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	rep = json_of(&r);
	run_free(&r);
	cr_assert_str_eq(json_str(rep, "format"), "yaml-dir");
	cr_assert_eq(json_integer_value(json_object_get(rep, "imported")), 3);
	cr_assert_eq(skipped(rep, "broken_file", &e), 1);
	cr_assert_str_eq(json_str(e, "file"), "jobs/job-4.yaml");
	cr_assert(strstr(json_str(e, "message"), "jobs/job-4.yaml:3:") != NULL, "%s",
	          json_str(e, "message"));
	cr_assert_eq(skipped(rep, "missing_file", &e), 1);
	cr_assert_str_eq(json_str(e, "id"), "job-5");
	json_decref(rep);
	cr_assert_eq(count_jobs(d.url), 3);
	/* The backup is a copy of the folder. */
	cr_assert(same_file(fxp("folder/jobs/job-4.yaml"),
	                    fxp("folder.backup-" STAMP "/jobs/job-4.yaml")));
	cr_assert(same_file(fxp("folder/jobs_manifest.yaml"),
	                    fxp("folder.backup-" STAMP "/jobs_manifest.yaml")));

	/* A folder of job files without a manifest. */
	r = ctl("--json", "import", "--format", "yaml-dir", fxp("bare"), NULL);
	cr_assert_eq(r.status, 4, "both exist by now: %s", r.err);
	rep = json_of(&r);
	run_free(&r);
	cr_assert_eq(skipped(rep, "exists", NULL), 2);
	json_decref(rep);
}

/* ---- progress ------------------------------------------------------------------ */

Test(import, progress_on_a_terminal_only)
{
	const char *pty_py = "import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)";
	const char *argv[] = {"/usr/bin/env", "python3", "-c",     pty_py, JOBSCTL_PATH,
	                      "--server",     d.url,     "import", NULL,   NULL};
	struct run r;

	fixtures();
	argv[8] = fxp("edge/campaigns.yaml");
	r = run_env(argv, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "import: reading") != NULL, "a progress line: %s", r.out);
	cr_assert(strstr(r.out, "jobs/s") != NULL, "with a rate: %s", r.out);
	run_free(&r);
}

/* ---- memory stays bounded ------------------------------------------------------ */

/* Writes a legacy file of n jobs of about 2 KiB each, as safe_dump would. */
static void
write_big(const char *path, const char *prefix, int n)
{
	FILE *f = fopen(path, "w");
	char hook[2001];

	cr_assert_not_null(f);
	memset(hook, 'h', sizeof hook - 1);
	hook[sizeof hook - 1] = '\0';
	fputs("jobs:\n", f);
	for (int i = 0; i < n; i++)
		fprintf(f,
		        "- created_at: '2025-10-17T09:00:00.%06d'\n  enabled: true\n"
		        "  enhanced_settings:\n    seed: %d\n  hook: %s\n  id: %s-%d\n"
		        "  job_name: Big job %d\n  product: Lamp\n",
		        i % 1000000, i, hook, prefix, i, i);
	cr_assert_eq(fclose(f), 0);
}

/* Runs jobsctl import and returns its peak resident set, in KiB. */
static long
import_rss(const char *path)
{
	const char *argv[] = {JOBSCTL_PATH, "--server", d.url, "import", path, NULL};
	struct rusage ru;
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		/* ASan keeps freed memory in quarantine: that is not ours. */
		setenv("ASAN_OPTIONS", "detect_leaks=1:quarantine_size_mb=1", 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	cr_assert_eq(wait4(pid, &status, 0, &ru), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "import of %s failed", path);
	return ru.ru_maxrss;
}

Test(import, memory_stays_bounded_for_a_large_file, .timeout = 280)
{
	long small, large;
	struct stat st_small, st_large;

	/* Both fill the pipeline of batches (16 senders and 2 queued, ~480 of
	 * these jobs a batch); only the file (and the set of ids) grows.
	 * Holding the file, or its jobs, would add far more than its size. */
	write_big(tmp("small.yaml"), "small", 16000);
	write_big(tmp("large.yaml"), "large", 60000);
	cr_assert_eq(stat(tmp("small.yaml"), &st_small), 0);
	cr_assert_eq(stat(tmp("large.yaml"), &st_large), 0);
	small = import_rss(tmp("small.yaml"));
	large = import_rss(tmp("large.yaml"));
	cr_assert_eq(count_jobs(d.url), 1000, "the first page is full");
	cr_assert_lt((large - small) * 1024, (st_large.st_size - st_small.st_size) / 3,
	             "%lld MB more of file: peak RSS %ld KiB, against %ld KiB for %lld MB",
	             (long long)(st_large.st_size - st_small.st_size) / 1000000, large, small,
	             (long long)st_small.st_size / 1000000);
}

/* ---- jobsd imports at start-up -------------------------------------------------- */

/* Waits until the start-up import of jobsd `dd` has logged its report (30 s
 * at most), then checks that it holds n jobs. The report is the import's
 * last word: the jobs count alone can be complete before it is written. */
static void
wait_for_import(const struct jobsd *dd, size_t n)
{
	struct timespec pause = {0, 20 * 1000 * 1000};
	bool reported = false;

	for (int i = 0; i < 1500 && !reported; i++) {
		char *log = read_file(dd->log, NULL);

		/* The totals line: "legacy import...: imported N of M jobs from" */
		reported = log != NULL && strstr(log, " jobs from ") != NULL;
		free(log);
		if (!reported)
			nanosleep(&pause, NULL);
	}
	cr_assert(reported, "no report of the start-up import in 30 s");
	cr_assert_eq(count_jobs(dd->url), n);
}

Test(import, jobsd_import_legacy_flag)
{
	struct jobsd d2;
	const char *extra[] = {"--import-legacy", NULL, NULL};
	char *log;

	fixtures();
	extra[1] = fxp("skips.yaml");
	cr_assert(jobsd_start(&d2, NULL, extra));
	wait_for_import(&d2, 2);
	cr_assert_eq(jobsd_stop(&d2, SIGTERM), 0);
	log = read_file(d2.log, NULL);
	cr_assert(strstr(log, "legacy import: imported 2 of 6 jobs") != NULL, "%s", log);
	cr_assert(strstr(log, "skipped no_id job_name \"Nameless One\"") != NULL, "%s", log);
	cr_assert(strstr(log, "skipped duplicate_id id 'job-1'") != NULL, "%s", log);
	free(log);
	cr_assert_eq(jobsd_cleanup(&d2), 0);
}

Test(import, jobsd_migrates_the_default_legacy_store_once)
{
	struct jobsd d2;
	const char *extra[] = {"--legacy-migration", NULL};
	char home[600], store[700], cmd[1500], *log;
	struct run r;
	const char *cp[] = {"/bin/sh", "-c", cmd, NULL};

	fixtures();
	snprintf(home, sizeof home, "%s/home", d.dir);
	snprintf(store, sizeof store, "%s/.zyra-video-agent", home);
	snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s' '%s/'", store,
	         fxp("edge/campaigns.yaml"), store);
	r = run_cmd(cp, NULL, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	setenv("HOME", home, 1); /* this test's process only; jobsd inherits it */

	cr_assert(jobsd_start(&d2, NULL, extra));
	wait_for_import(&d2, 9);
	cr_assert_eq(jobsd_stop(&d2, SIGTERM), 0);
	log = read_file(d2.log, NULL);
	cr_assert(strstr(log, "legacy store found at") != NULL, "%s", log);
	cr_assert(strstr(log, "migrating it, once") != NULL, "%s", log);
	cr_assert(strstr(log, "imported 9 of 9 jobs") != NULL, "%s", log);
	cr_assert(strstr(log, "campaigns.yaml.backup-") != NULL, "names the backup: %s", log);
	free(log);

	/* Empty the database: a second start still does not migrate again. */
	char dir[256];
	snprintf(dir, sizeof dir, "%s", d2.dir);
	cr_assert(jobsd_start(&d2, dir, extra));
	r = ctl_at(d2.url, "--json", "list", "--page-size", "1000", NULL);
	json_t *o = json_of(&r), *j;
	size_t i;
	run_free(&r);
	json_array_foreach(json_object_get(o, "jobs"), i, j)
	{
		r = ctl_at(d2.url, "delete",
		           json_is_string(json_object_get(j, "id"))
		               ? json_string_value(json_object_get(j, "id"))
		               : "7",
		           NULL);
		cr_assert_eq(r.status, 0, "%s", r.err);
		run_free(&r);
	}
	json_decref(o);
	cr_assert_eq(jobsd_stop(&d2, SIGTERM), 0);
	cr_assert(jobsd_start(&d2, dir, extra));
	cr_assert_eq(count_jobs(d2.url), 0, "migrated once only");
	cr_assert_eq(jobsd_stop(&d2, SIGTERM), 0);
	log = read_file(d2.log, NULL);
	cr_assert(strstr(strstr(log, "stopped cleanly") + 1, "migrating it") == NULL,
	          "no second migration: %s", log);
	free(log);
	cr_assert_eq(jobsd_cleanup(&d2), 0);
}
