/*
 * bench_import.c: how fast a legacy store moves into jobsd, beside how fast
 * SQLite alone takes the same rows. A benchmark, not a test: it prints
 * figures (tools/README.md records them).
 *
 *   bench_import [--jobs N] [--runs K] [--dir DIR] [--keep]
 *
 * 1. python3 writes N realistic legacy jobs as campaigns.yaml with PyYAML
 *    (yaml.dump with CSafeDumper: safe_dump's output, from its C writer, so
 *    that 100,000 jobs take seconds), and the same jobs as JSON Lines.
 * 2. raw: the rows from the JSON Lines file, read into memory first (not
 *    timed), go into a fresh jobsd database's own jobs table (jobsd made the
 *    schema, so the table, its indexes and checks are the same) with one
 *    prepared INSERT in one transaction, WAL, synchronous=FULL as jobsd's
 *    default --sync full, begun and committed through jobsd's store, whose
 *    COMMIT fills the text indexes and counts.
 * 3. import: a real jobsd (default flags) on another fresh database, and
 *    `jobsctl import campaigns.yaml` timed from start to exit: reading and
 *    converting the YAML, the backup, the spool, the batches, the commits.
 * Each run prints both rates and their ratio; with --runs K, K runs side by
 * side, then the medians. The machine is shared: compare within a run.
 */
#include "store_sqlite.h"

#include <jansson.h>
#include <sqlite3.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char generate_py[] =
    "import sys, json, random, yaml\n"
    "n, out = int(sys.argv[1]), sys.argv[2]\n"
    "rnd = random.Random(42)\n"
    "words = ('solar lantern garden evening family bright quiet cozy travel kitchen '\n"
    "         'morning coffee summer winter sale launch fresh bold simple smart').split()\n"
    "def text(k): return ' '.join(rnd.choice(words) for _ in range(k))\n"
    "jobs = []\n"
    "for i in range(n):\n"
    "    jobs.append({\n"
    "        'id': 'job-%06d-%s' % (i, rnd.getrandbits(32)),\n"
    "        'job_name': text(3).title(), 'product': text(2).title(),\n"
    "        'persona': text(10), 'setting': text(8), 'emotion': rnd.choice(words),\n"
    "        'hook': text(20) + '?', 'elevenlabs_voice_id': '%020x' % rnd.getrandbits(80),\n"
    "        'language': rnd.choice(['English', 'Deutsch', 'Fran\\u00e7ais']),\n"
    "        'brand_name': text(1).title(), 'enabled': rnd.random() < 0.8,\n"
    "        'created_at': '2025-%02d-%02dT%02d:%02d:%02d.%06d' % (rnd.randint(1, 12),\n"
    "            rnd.randint(1, 28), rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59),\n"
    "            rnd.randint(0, 999999)),\n"
    "        'updated_at': '2025-12-01T10:00:00',\n"
    "        'enhanced_settings': {'voice': {'stability': round(rnd.random(), 2),\n"
    "            'similarity_boost': round(rnd.random(), 2), 'style': 0.0},\n"
    "            'video': {'resolution': '1080x1920', 'fps': 30, 'duration': rnd.randint(15, "
    "60)},\n"
    "            'captions': True, 'music': {'track': text(2), 'volume': 0.3}},\n"
    "        'tags': [rnd.choice(words) for _ in range(3)],\n"
    "    })\n"
    "with open(out + '/campaigns.yaml', 'w') as f:\n"
    "    yaml.dump({'jobs': jobs}, f, Dumper=getattr(yaml, 'CSafeDumper', yaml.SafeDumper))\n"
    "with open(out + '/rows.jsonl', 'w') as f:\n"
    "    for j in jobs:\n"
    "        f.write(json.dumps(j, sort_keys=True) + '\\n')\n";

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench_import: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Runs argv, stdout to /dev/null unless show; returns the exit status. */
static int
run(const char *const *argv, bool show)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (!show) {
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 1);
			dup2(null, 2);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		die("cannot run %s", argv[0]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Starts jobsd on db at url; returns its pid once it answers. */
static pid_t
start_jobsd(const char *db, const char *url, const char *log)
{
	const char *argv[] = {JOBSD_PATH, "--db", db, "--listen", url, "--no-legacy-migration",
	                      NULL};
	const char *health[] = {JOBSCTL_PATH, "--server", url, "health", NULL};
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		if (run(health, false) == 0)
			return pid;
		usleep(20000);
	}
	die("jobsd did not come up; see %s", log);
}

static void
stop_jobsd(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
}

/* The rows, as the raw insert binds them. */
struct row {
	char *text[10];
	int enabled;
	sqlite3_int64 created, updated;
	char *settings, *extra;
};

static const char *const text_keys[10] = {"id",       "job_name",  "product", "persona",
                                          "setting",  "emotion",   "hook",    "elevenlabs_voice_id",
                                          "language", "brand_name"};

/* microseconds of "YYYY-MM-DDTHH:MM:SS[.ffffff]" (UTC). */
static sqlite3_int64
micros(const char *s)
{
	struct tm tm = {0};
	int us = 0;
	char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

	if (end != NULL && *end == '.')
		us = atoi(end + 1);
	return (sqlite3_int64)timegm(&tm) * 1000000 + us;
}

static struct row *
load_rows(const char *path, size_t n)
{
	struct row *rows = calloc(n, sizeof *rows);
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, i = 0;

	if (rows == NULL || f == NULL)
		die("cannot read %s", path);
	while (i < n && getline(&line, &cap, f) > 0) {
		json_t *j = json_loads(line, 0, NULL), *extra = json_object();

		if (j == NULL)
			die("%s: line %zu is not JSON", path, i + 1);
		for (int k = 0; k < 10; k++)
			rows[i].text[k] =
			    strdup(json_string_value(json_object_get(j, text_keys[k])));
		rows[i].enabled = json_is_true(json_object_get(j, "enabled"));
		rows[i].created = micros(json_string_value(json_object_get(j, "created_at")));
		rows[i].updated = micros(json_string_value(json_object_get(j, "updated_at")));
		rows[i].settings =
		    json_dumps(json_object_get(j, "enhanced_settings"), JSON_COMPACT);
		json_object_set(extra, "tags", json_object_get(j, "tags"));
		rows[i].extra = json_dumps(extra, JSON_COMPACT);
		json_decref(extra);
		json_decref(j);
		i++;
	}
	free(line);
	fclose(f);
	if (i != n)
		die("%s has %zu rows, not %zu", path, i, n);
	return rows;
}

static void
free_rows(struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 10; k++)
			free(rows[i].text[k]);
		free(rows[i].settings);
		free(rows[i].extra);
	}
	free(rows);
}

/* The raw insert: one prepared statement, one transaction, opened and
 * committed through jobsd's own store (server/store_sqlite.c), so that its COMMIT
 * does what jobsd's does: since schema 5 the text indexes and since 6 the
 * counts of the new jobs are filled there, and a raw insert without it
 * would skip work that the import pays. Returns seconds. */
static double
raw_insert(const char *db_path, const struct row *rows, size_t n)
{
	store_options o = {.sync = STORE_SYNC_FULL};
	char err[256];
	store *st;
	sqlite3 *db;
	sqlite3_stmt *s;
	double t0, t;

	if (store_open(&st, db_path, &o, err, sizeof err) != 0)
		die("%s", err);
	db = store_sqlite_db(st);
	if (sqlite3_prepare_v2(
	        db,
	        "INSERT INTO jobs (id, job_name, product, persona, setting, emotion, "
	        "hook, elevenlabs_voice_id, language, brand_name, enabled, "
	        "created_at, updated_at, version, enhanced_settings, extra) VALUES "
	        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
	        "?16)",
	        -1, &s, NULL) != SQLITE_OK)
		die("prepare: %s", sqlite3_errmsg(db));
	t0 = now_s();
	if (store_begin(st) != 0)
		die("begin: %s", store_errmsg(st));
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 10; k++)
			sqlite3_bind_text(s, k + 1, rows[i].text[k], -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 11, rows[i].enabled);
		sqlite3_bind_int64(s, 12, rows[i].created);
		sqlite3_bind_int64(s, 13, rows[i].updated);
		sqlite3_bind_int64(s, 14, (sqlite3_int64)i + 1);
		sqlite3_bind_text(s, 15, rows[i].settings, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 16, rows[i].extra, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			die("insert %zu: %s", i, sqlite3_errmsg(db));
		sqlite3_reset(s);
	}
	if (store_commit(st) != 0)
		die("commit: %s", store_errmsg(st));
	t = now_s() - t0;
	sqlite3_finalize(s);
	store_close(st);
	return t;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"jobs", required_argument, NULL, 'n'},
	    {"runs", required_argument, NULL, 'r'},
	    {"dir", required_argument, NULL, 'd'},
	    {"keep", no_argument, NULL, 'k'},
	    {NULL, 0, NULL, 0},
	};
	size_t n = 100000;
	int runs = 1, c;
	bool keep = false;
	char dir[512] = "", path[700], count[32];
	double raw_rate[16], imp_rate[16], ratio[16];
	struct stat st;
	struct row *rows;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'd':
			snprintf(dir, sizeof dir, "%s", optarg);
			break;
		case 'k':
			keep = true;
			break;
		default:
			fputs("usage: bench_import [--jobs N] [--runs K (1-16)] [--dir DIR] "
			      "[--keep]\n",
			      stderr);
			return 2;
		}
	}
	if (n < 1 || runs < 1 || runs > 16)
		die("--jobs wants at least 1, --runs 1 to 16");
	if (*dir == '\0') {
		snprintf(dir, sizeof dir, "%s/bench-import-XXXXXX",
		         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (mkdtemp(dir) == NULL)
			die("mkdtemp: %s", strerror(errno));
	}
	snprintf(count, sizeof count, "%zu", n);
	printf("bench_import: %zu legacy jobs in %s\n", n, dir);
	fflush(stdout);
	{
		const char *gen[] = {"python3", "-c", generate_py, count, dir, NULL};
		double t = now_s();

		if (run(gen, true) != 0)
			die("python3 could not write the jobs (is python3-yaml installed?)");
		snprintf(path, sizeof path, "%s/campaigns.yaml", dir);
		stat(path, &st);
		printf("generated campaigns.yaml (%.1f MB, PyYAML) in %.1f s\n",
		       (double)st.st_size / 1e6, now_s() - t);
	}
	snprintf(path, sizeof path, "%s/rows.jsonl", dir);
	rows = load_rows(path, n);

	for (int r = 0; r < runs; r++) {
		char db[700], url[700], log[700], file[700], rm[1500];
		double t_raw, t_imp, t0;
		pid_t pid;
		int status;

		/* raw: a schema made by jobsd itself, then SQLite alone. */
		snprintf(db, sizeof db, "%s/raw-%d.db", dir, r);
		snprintf(url, sizeof url, "ipc://%s/raw.sock", dir);
		snprintf(log, sizeof log, "%s/jobsd.log", dir);
		stop_jobsd(start_jobsd(db, url, log));
		t_raw = raw_insert(db, rows, n);

		/* import: jobsctl against a real jobsd. */
		snprintf(db, sizeof db, "%s/import-%d.db", dir, r);
		snprintf(url, sizeof url, "ipc://%s/import.sock", dir);
		pid = start_jobsd(db, url, log);
		snprintf(file, sizeof file, "%s/campaigns.yaml", dir);
		{
			const char *imp[] = {JOBSCTL_PATH, "--server", url, "import", file, NULL};

			t0 = now_s();
			status = run(imp, false);
			t_imp = now_s() - t0;
		}
		stop_jobsd(pid);
		if (status != 0)
			die("jobsctl import exited %d", status);
		/* Remove the backup so that every run's import is alike. */
		snprintf(rm, sizeof rm, "rm -f '%s'/campaigns.yaml.backup-* '%s'/*.db*", dir, dir);
		if (system(rm) != 0)
			die("cannot clean up %s", dir);

		raw_rate[r] = (double)n / t_raw;
		imp_rate[r] = (double)n / t_imp;
		ratio[r] = imp_rate[r] / raw_rate[r];
		printf(
		    "run %d: raw SQLite %.0f jobs/s (%.2f s), jobsctl import %.0f jobs/s (%.2f s), "
		    "import/raw %.3f\n",
		    r + 1, raw_rate[r], t_raw, imp_rate[r], t_imp, ratio[r]);
		fflush(stdout);
	}
	qsort(raw_rate, (size_t)runs, sizeof(double), by_value);
	qsort(imp_rate, (size_t)runs, sizeof(double), by_value);
	qsort(ratio, (size_t)runs, sizeof(double), by_value);
	printf("median of %d: raw SQLite %.0f jobs/s, jobsctl import %.0f jobs/s, import/raw %.3f "
	       "(target: at least 0.5)\n",
	       runs, raw_rate[runs / 2], imp_rate[runs / 2], ratio[runs / 2]);
	free_rows(rows, n);
	if (!keep) {
		char rm[700];

		snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
		if (system(rm) != 0)
			die("cannot remove %s", dir);
	}
	return 0;
}
