/*
 * helpers.c: see helpers.h.
 */
#include "helpers.h"

#include "jobs/client.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ---- what a test leaves behind ---------------------------------------------
 *
 * A failed assertion ends a test at once, before the lines that would have
 * stopped its jobsd and removed its folder. So every folder tmpdir_make()
 * hands out and every jobsd that jobsd_start() forks is remembered until it
 * is removed or stopped, and whatever is left when the process exits (a
 * criterion worker exits normally once the test and its .fini have run,
 * pass or fail) is killed and removed then. Only by the process that made
 * it: a forked child that exits must not take its parent's folder along.
 */

#define LEFT_MAX 64

static pthread_mutex_t left_lock = PTHREAD_MUTEX_INITIALIZER;
static bool left_registered; /* left_clean() is registered with atexit() */
/* Folders not yet removed: their names (what tmpdir_make() returns) and the
 * process that made each (0: a free slot). */
static struct {
	pid_t owner;
	char path[256];
} left_dirs[LEFT_MAX];
static pid_t left_jobsd[LEFT_MAX]; /* jobsd processes not yet reaped (0: free) */

static void
left_clean(void)
{
	for (int i = 0; i < LEFT_MAX; i++) {
		int status;

		/* Killed only while it is our own running child: one a test
		 * reaped itself, or a forked parent's, is not. */
		if (left_jobsd[i] <= 0 || waitpid(left_jobsd[i], &status, WNOHANG) != 0)
			continue;
		kill(left_jobsd[i], SIGKILL);
		while (waitpid(left_jobsd[i], &status, 0) < 0 && errno == EINTR)
			;
		left_jobsd[i] = 0;
	}
	for (int i = 0; i < LEFT_MAX; i++)
		if (left_dirs[i].owner == getpid())
			tmpdir_remove(left_dirs[i].path);
}

/* Remembers pid, or with `forget` stops remembering it. A test that holds
 * more than LEFT_MAX at once fails, rather than leaking. */
static void
left_jobsd_note(pid_t pid, bool forget)
{
	bool noted = forget;

	pthread_mutex_lock(&left_lock);
	if (!left_registered)
		left_registered = atexit(left_clean) == 0;
	for (int i = 0; i < LEFT_MAX; i++) {
		if (forget && left_jobsd[i] == pid)
			left_jobsd[i] = 0;
		else if (!forget && !noted && left_jobsd[i] == 0)
			noted = (left_jobsd[i] = pid) > 0;
	}
	pthread_mutex_unlock(&left_lock);
	cr_assert(noted, "tests/helpers.c: more than %d jobsd at once", LEFT_MAX);
}

const char *
tmpdir_make(void)
{
	const char *base = getenv("TMPDIR");
	char path[256];
	int slot = -1;

	snprintf(path, sizeof path, "%s/jobsd-test-XXXXXX", base && *base ? base : "/tmp");
	if (mkdtemp(path) == NULL) {
		perror("mkdtemp");
		abort();
	}
	pthread_mutex_lock(&left_lock);
	if (!left_registered)
		left_registered = atexit(left_clean) == 0;
	for (int i = 0; i < LEFT_MAX && slot < 0; i++)
		if (left_dirs[i].owner == 0) {
			slot = i;
			left_dirs[i].owner = getpid();
			snprintf(left_dirs[i].path, sizeof left_dirs[i].path, "%s", path);
		}
	pthread_mutex_unlock(&left_lock);
	if (slot < 0)
		rmdir(path);
	cr_assert_geq(slot, 0, "tests/helpers.c: more than %d temporary folders at once", LEFT_MAX);
	return left_dirs[slot].path;
}

void
tmpdir_remove(const char *dir)
{
	const char *argv[] = {"/bin/rm", "-rf", NULL, NULL};
	char copy[256];
	struct run r;

	/* dir may be a slot of left_dirs, which is freed below. */
	snprintf(copy, sizeof copy, "%s", dir);
	argv[2] = copy;
	r = run_cmd(argv, NULL, NULL);
	run_free(&r);
	pthread_mutex_lock(&left_lock);
	for (int i = 0; i < LEFT_MAX; i++)
		if (left_dirs[i].owner == getpid() && strcmp(left_dirs[i].path, copy) == 0)
			left_dirs[i].owner = 0;
	pthread_mutex_unlock(&left_lock);
}

/* ---- the store under test ------------------------------------------------ */

bool
test_store_is_pg(void)
{
	const char *s = getenv("JOBS_TEST_STORE");
	return s != NULL && strcmp(s, "postgresql") == 0;
}

const char *
test_pg_server(void)
{
	static char url[512];
	const char *env = getenv("JOBS_TEST_PG_URL");
	char *text;

	if (env != NULL && *env != '\0')
		return env;
	if (url[0] != '\0')
		return url;
	text = read_file(PG_STATE_DIR "/url", NULL);
	cr_assert_not_null(text,
	                   "no PostgreSQL for the tests: run them through ctest (its pg fixture "
	                   "starts one: tools/pg.sh start " PG_STATE_DIR "), or set "
	                   "JOBS_TEST_PG_URL");
	text[strcspn(text, "\n")] = '\0';
	snprintf(url, sizeof url, "%s", text);
	free(text);
	return url;
}

PGresult *
test_pg_exec(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r;

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "cannot reach the tests' PostgreSQL: %s",
	             PQerrorMessage(c));
	r = PQexec(c, sql);
	cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
	          "%.200s: %s", sql, PQerrorMessage(c));
	PQfinish(c);
	return r;
}

void
test_sqlite_text_indexes_intact(sqlite3 *db)
{
	cr_assert_eq(
	    sqlite3_exec(db,
	                 "INSERT INTO jobs_fts (jobs_fts, rank) VALUES ('integrity-check', 1);"
	                 "INSERT INTO jobs_tri (jobs_tri, rank) VALUES ('integrity-check', 1);",
	                 NULL, NULL, NULL),
	    SQLITE_OK, "%s", sqlite3_errmsg(db));
}

/* Runs `sql` on the suite's server, failing the test if it fails. */
static void
pg_admin(const char *sql)
{
	PQclear(test_pg_exec(test_pg_server(), sql));
}

/*
 * The template every test's PostgreSQL database is copied from (CREATE
 * DATABASE ... TEMPLATE): a database the jobsd binary under test migrated
 * once, so that a test's database costs a copy of a few megabytes instead of
 * a migration (the extensions, the tables and their indexes: most of a
 * second). It is named after that binary (its size and modification time),
 * so that a rebuilt jobsd, whose migrations may differ, makes its own. The
 * first test process to need it makes it, under an advisory lock of the
 * server's that the others wait for; a template is marked IS_TEMPLATE only
 * once migrated, so that one left half-made by a test that died is made
 * again. Its name goes into tpl[0..size).
 */
static void
pg_template(char *tpl, size_t size)
{
	static char made[64];
	PGconn *c;
	PGresult *r;
	struct stat sb;
	struct jobsd d;
	char sql[256], url[600];
	const char *dir;
	const char *params[1];
	bool ready;

	if (made[0] != '\0') {
		snprintf(tpl, size, "%s", made);
		return;
	}
	cr_assert_eq(stat(JOBSD_PATH, &sb), 0, "no jobsd at " JOBSD_PATH);
	snprintf(made, sizeof made, "jobsd_template_%lx_%lx_%lx", (unsigned long)sb.st_size,
	         (unsigned long)sb.st_mtim.tv_sec, (unsigned long)sb.st_mtim.tv_nsec);
	c = PQconnectdb(test_pg_server());
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "cannot reach the tests' PostgreSQL: %s",
	             PQerrorMessage(c));
	r = PQexec(c, "SELECT pg_advisory_lock(hashtext('jobsd test template'))");
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
	PQclear(r);
	params[0] = made;
	r = PQexecParams(c, "SELECT datistemplate FROM pg_database WHERE datname = $1", 1, NULL,
	                 params, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
	ready = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
	if (PQntuples(r) == 1 && !ready) {
		snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", made);
		pg_admin(sql);
	}
	PQclear(r);
	if (!ready) {
		snprintf(sql, sizeof sql, "CREATE DATABASE %s", made);
		pg_admin(sql);
		/* jobsd migrates it at start, and is done once it answers. */
		dir = tmpdir_make();
		snprintf(url, sizeof url, "%s/db.url", dir);
		FILE *f = fopen(url, "w");
		cr_assert_not_null(f);
		fprintf(f, "%s%sdbname=%s", test_pg_server(),
		        strchr(test_pg_server(), '?') ? "&" : "?", made);
		fclose(f);
		cr_assert(jobsd_start(&d, dir, NULL), "jobsd did not migrate the template");
		cr_assert_eq(jobsd_stop(&d, SIGTERM), 0);
		tmpdir_remove(dir);
		snprintf(sql, sizeof sql,
		         "ALTER DATABASE %s WITH IS_TEMPLATE true ALLOW_CONNECTIONS false", made);
		pg_admin(sql);
	}
	PQfinish(c); /* and with it the lock */
	snprintf(tpl, size, "%s", made);
}

/* A new database on the suite's server, copied from `template`, as --db
 * takes it. */
static void
pg_database(const char *template, char *out, size_t size)
{
	static int n;
	const char *server = test_pg_server();
	char name[64], sql[192];

	snprintf(name, sizeof name, "jobsd_test_%ld_%d_%ld", (long)getpid(), ++n,
	         (long)time(NULL) % 100000);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE %s", name, template);
	pg_admin(sql);
	/* A dbname parameter overrides the URI's path. */
	snprintf(out, size, "%s%sdbname=%s", server, strchr(server, '?') ? "&" : "?", name);
}

void
test_db_make(const char *dir, char *out, size_t size)
{
	char tpl[64];

	if (!test_store_is_pg()) {
		snprintf(out, size, "%s/jobs.db", dir);
		return;
	}
	pg_template(tpl, sizeof tpl);
	pg_database(tpl, out, size);
}

void
test_db_make_empty(const char *dir, char *out, size_t size)
{
	if (!test_store_is_pg()) {
		snprintf(out, size, "%s/jobs.db", dir);
		return;
	}
	pg_database("template1", out, size);
}

void
test_db_drop(const char *db)
{
	const char *name = strstr(db, "dbname=");
	char sql[128];

	if (name == NULL || strncmp(db, "postgres", 8) != 0)
		return;
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %.*s WITH (FORCE)",
	         (int)strcspn(name + 7, "&"), name + 7);
	pg_admin(sql);
}

void
test_db_of(const char *dir, char *out, size_t size)
{
	char kept[300], *was;
	int fd;

	/* A PostgreSQL database is named in the folder, so that a jobsd started
	 * again in it finds the same one. */
	snprintf(kept, sizeof kept, "%s/db.url", dir);
	if ((was = read_file(kept, NULL)) != NULL) {
		snprintf(out, size, "%s", was);
		free(was);
		return;
	}
	test_db_make(dir, out, size);
	if (test_store_is_pg() && (fd = open(kept, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0) {
		cr_assert_eq(write(fd, out, strlen(out)), (ssize_t)strlen(out));
		close(fd);
	}
}

/* ---- jobsd ------------------------------------------------------------------ */

static bool
answers(const char *url)
{
	jobs_client_options opts = {.timeout_ms = 500};
	jobs_client *c;
	jobs_health_info *h;
	bool ok = false;

	if (jobs_client_open(&c, url, &opts, NULL) != JOBS_OK)
		return false;
	if (jobs_health(c, NULL, &h) == JOBS_OK) {
		ok = true;
		jobs_health_info_free(h);
	}
	jobs_client_close(c);
	return ok;
}

bool
jobsd_start(struct jobsd *d, const char *dir, const char *const *extra)
{
	const char *argv[64];
	int n = 0, fd;
	struct timespec pause = {0, 10 * 1000 * 1000};

	memset(d, 0, sizeof *d);
	snprintf(d->dir, sizeof d->dir, "%s", dir != NULL ? dir : tmpdir_make());
	test_db_of(d->dir, d->db, sizeof d->db);
	snprintf(d->url, sizeof d->url, "ipc://%s/jobsd.sock", d->dir);
	snprintf(d->log, sizeof d->log, "%s/jobsd.log", d->dir);
	argv[n++] = JOBSD_PATH;
	argv[n++] = "--db";
	argv[n++] = d->db;
	argv[n++] = "--listen";
	argv[n++] = d->url;
	argv[n++] = "--no-legacy-migration"; /* never the developer's real ~/.zyra-video-agent */
	for (int i = 0; extra != NULL && extra[i] != NULL && n < 62; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;

	if ((d->pid = fork()) == 0) {
		/* Die with the test: a test that crashes or times out must not
		 * leave its jobsd running. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, STDERR_FILENO);
		dup2(fd, STDOUT_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	cr_assert_gt(d->pid, 0, "fork: %s", strerror(errno));
	left_jobsd_note(d->pid, false);
	for (int i = 0; i < 1000; i++) {
		int status;

		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			left_jobsd_note(d->pid, true);
			d->pid = 0;
			break;
		}
		if (answers(d->url))
			return true;
		nanosleep(&pause, NULL);
	}
	char *log = read_file(d->log, NULL);
	fprintf(stderr, "jobsd did not come up; its log:\n%s\n", log ? log : "(none)");
	free(log);
	return false;
}

int
jobsd_stop(struct jobsd *d, int sig)
{
	int status;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, sig);
	while (waitpid(d->pid, &status, 0) < 0 && errno == EINTR)
		;
	left_jobsd_note(d->pid, true);
	d->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int
jobsd_cleanup(struct jobsd *d)
{
	int status = d->pid > 0 ? jobsd_stop(d, SIGTERM) : 0;

	if (status != 0) {
		char *log = read_file(d->log, NULL);
		fprintf(stderr, "jobsd exited %d; its log:\n%s\n", status, log ? log : "(none)");
		free(log);
	}
	if (d->dir[0] != '\0') {
		test_db_drop(d->db);
		tmpdir_remove(d->dir);
	}
	d->dir[0] = '\0';
	return status;
}

/* Reads fd to EOF into a malloc'd string. */
static char *
slurp(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	while ((n = read(fd, buf + len, cap - len - 1)) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		len += (size_t)n;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	return buf;
}

struct run
run_cmd(const char *const *argv, const char *input, const char *const *env)
{
	struct run r = {0};
	int in[2], out[2], err[2], status;
	pid_t pid;

	/* Close-on-exec: a daemon the command starts (a database server) must
	 * not inherit the pipes and hold them open past the command's exit. */
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		abort();
	if ((pid = fork()) == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		/* Only as 0, 1 and 2: a daemon the command starts (a server
		 * of tools/cluster.sh's) would otherwise hold the pipes open,
		 * and the output would never end. */
		close(in[0]);
		close(out[1]);
		close(err[1]);
		close(in[1]);
		close(out[0]);
		close(err[0]);
		for (int i = 0; env != NULL && env[i] != NULL; i++)
			putenv((char *)env[i]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (input != NULL) {
		size_t len = strlen(input), off = 0;
		signal(SIGPIPE, SIG_IGN);
		while (off < len) {
			ssize_t n = write(in[1], input + off, len - off);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
	close(in[1]);
	r.out = NULL;
	{
		/* Both pipes at once, so that neither can fill up and stall the child. */
		struct pollfd pf[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
		char *buf[2] = {malloc(4096), malloc(4096)};
		size_t len[2] = {0, 0}, cap[2] = {4096, 4096};
		int open_fds = 2;

		while (open_fds > 0) {
			if (poll(pf, 2, -1) < 0 && errno != EINTR)
				break;
			for (int k = 0; k < 2; k++) {
				ssize_t n;

				if (pf[k].fd < 0 || !(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
					continue;
				if (cap[k] - len[k] < 4096)
					buf[k] = realloc(buf[k], cap[k] *= 2);
				n = read(pf[k].fd, buf[k] + len[k], cap[k] - len[k] - 1);
				if (n > 0) {
					len[k] += (size_t)n;
				} else if (n == 0 || errno != EINTR) {
					close(pf[k].fd);
					pf[k].fd = -1;
					open_fds--;
				}
			}
		}
		buf[0][len[0]] = '\0';
		buf[1][len[1]] = '\0';
		r.out = buf[0];
		r.err = buf[1];
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return r;
}

struct run
run_reader_gone(const char *const *argv, bool ignore_sigpipe)
{
	struct run r = {0};
	int out[2], err[2], status;
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		abort();
	close(out[0]); /* the reader, gone before the first write */
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_RDONLY);

		signal(SIGPIPE, ignore_sigpipe ? SIG_IGN : SIG_DFL);
		dup2(null, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	r.err = slurp(err[0]);
	close(err[0]);
	r.out = calloc(1, 1);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return r;
}

struct run
run_tool(const char *path, const char *url, const char *const *env, ...)
{
	const char *argv[64];
	va_list ap;
	int n = 0;

	argv[n++] = path;
	if (url != NULL) {
		argv[n++] = "--server";
		argv[n++] = url;
	}
	va_start(ap, env);
	for (const char *a = va_arg(ap, const char *); a != NULL && n < 63;
	     a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return run_cmd(argv, NULL, env);
}

void
run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

char *
read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	char *s;

	if (fd < 0)
		return NULL;
	s = slurp(fd);
	close(fd);
	if (len != NULL)
		*len = strlen(s);
	return s;
}

void
utc_day(char day[11])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(day, 11, "%Y-%m-%d", &tm);
}
