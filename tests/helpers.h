/*
 * helpers.h: what the tests share: a private temporary directory, a real
 * jobsd started on an ipc:// socket in it, and running commands to capture
 * their output and exit status. Every test makes its own of each, so tests
 * never depend on each other's order (criterion runs them in parallel).
 */
#ifndef JOBS_TEST_HELPERS_H
#define JOBS_TEST_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A new directory under $TMPDIR (or /tmp), removed by tmpdir_remove(), or
 * when the process that made it exits normally (a failed assertion skips
 * the test's own clean-up; tests/test_leftovers.c), not when it crashes or
 * is killed (tools/test.sh then finds it left over). The returned path stays
 * valid, naming this folder, until the folder is removed: later calls do not
 * overwrite it. */
const char *tmpdir_make(void);
void tmpdir_remove(const char *dir);

/*
 * The store under test. A store-exercising suite runs once per engine: CTest
 * registers its binary twice, the second time with JOBS_TEST_STORE=postgresql
 * and the `pg` fixture, which starts a PostgreSQL of the suite's own
 * (tools/pg.sh; its URI in the build's pg/url, or JOBS_TEST_PG_URL to use
 * one's own server).
 */
bool test_store_is_pg(void);

/*
 * A new database of the store under test, without jobs, as --db takes it,
 * into out[0..size): SQLite: DIR/jobs.db (not made yet); PostgreSQL: a
 * database created now on the suite's server, named after this process and
 * a counter, with `dir` unused, at the schema jobsd migrates to (a copy of
 * a template jobsd migrated once). A server that cannot be reached fails the
 * test (never a skip). test_db_drop() removes a PostgreSQL one once nothing
 * uses it (SQLite's go with their folder). test_db_make_empty(): the same
 * with no schema at all, for the tests of migrations.
 */
void test_db_make(const char *dir, char *out, size_t size);
void test_db_make_empty(const char *dir, char *out, size_t size);
void test_db_drop(const char *db);

/* The database that jobsd_start(d, dir, ...) uses, into out[0..size): on
 * SQLite DIR/jobs.db; on PostgreSQL the one named in DIR/db.url, or a new
 * one (test_db_make) named there now. For a test that fills the database
 * before jobsd starts on it, or starts another jobsd on the same one. */
void test_db_of(const char *dir, char *out, size_t size);

/* The URI of the suite's PostgreSQL server (its maintenance database). */
const char *test_pg_server(void);

/* Runs `sql` on the PostgreSQL database `conninfo` through a connection of
 * its own, failing the test if it fails; returns the result of its last
 * statement, which the caller PQclear()s. */
struct pg_result *test_pg_exec(const char *conninfo, const char *sql);

/* Fails the test unless FTS5's own check of jobs_fts and jobs_tri passes on
 * SQLite connection db (their entries against the jobs they index). */
struct sqlite3;
void test_sqlite_text_indexes_intact(struct sqlite3 *db);

/* A jobsd under test. */
struct jobsd {
	pid_t pid;
	char dir[256]; /* its temporary directory */
	char db[300];  /* dir/jobs.db, or the PostgreSQL database (test_db_make) */
	char url[320]; /* ipc://dir/jobsd.sock */
	char log[300]; /* dir/jobsd.log: its stderr */
};

/*
 * Starts jobsd with a database and ipc socket in a fresh temporary directory
 * (or in `dir` when not NULL, to reuse a database), with
 * --no-legacy-migration (a developer's ~/.zyra-video-agent stays out of the
 * tests; test_import.c starts its own jobsd to test that), plus `extra`
 * arguments (NULL-terminated, may be NULL), and waits until it answers
 * Health. Returns false (and prints its log) if it did not come up within
 * 10 s. One not stopped is killed and reaped when the process that started
 * it exits, and by PR_SET_PDEATHSIG when its thread dies some other way, so
 * that a failed, crashed or timed-out test leaves none behind.
 */
bool jobsd_start(struct jobsd *d, const char *dir, const char *const *extra);

/* Sends `sig` and waits for the exit. Returns the exit status, or 128+signal
 * when it died of a signal. */
int jobsd_stop(struct jobsd *d, int sig);

/* Stops it (SIGTERM) if it runs, prints its log unless it exited 0, and
 * removes the directory. Returns the exit status, 0 if it was not running.
 * Under ASan a leak or memory error in jobsd makes this non-zero. */
int jobsd_cleanup(struct jobsd *d);

/* The output and status of a finished command. */
struct run {
	char *out;  /* stdout, NUL-terminated, malloc'd */
	char *err;  /* stderr, likewise */
	int status; /* exit status, or 128+signal */
};

/* Runs argv (argv[0] a path) with `input` on stdin (NULL: /dev/null) and
 * `env` (NAME=VALUE strings, NULL-terminated, added to ours; may be NULL). */
struct run run_cmd(const char *const *argv, const char *input, const char *const *env);
void run_free(struct run *r);

/* Runs argv as run_cmd() does, but with stdout a pipe whose reader is gone
 * before the command starts (`cmd | head` once head has exited), and SIGPIPE
 * as a shell leaves it (default), or ignored with `ignore_sigpipe`. r.out is
 * empty; r.err and r.status as run_cmd's. */
struct run run_reader_gone(const char *const *argv, bool ignore_sigpipe);

/* Runs `path --server URL ARGS...` (no --server when url is NULL), ARGS the
 * arguments after env up to a NULL (at most 60), with env as for run_cmd and
 * nothing on stdin. */
struct run run_tool(const char *path, const char *url, const char *const *env, ...);

/* Today's date in UTC, "YYYY-MM-DD", into day (11 bytes). Tests of the
 * per-day counts take it before creating jobs and after reading the counts:
 * a run across midnight sees two days, and every job is on one of them. */
void utc_day(char day[11]);

/* Reads a whole file; malloc'd, NUL-terminated; NULL if it cannot. */
char *read_file(const char *path, size_t *len);

#endif
