/*
 * test_store_pg_faults.c: jobsd on PostgreSQL under faults, end to end.
 * The database server stops under a write load and starts again (a restart,
 * a failover): jobsd answers UNAVAILABLE meanwhile, never anything else,
 * serves again by itself, and loses no acknowledged write. jobsd killed -9
 * under a write load loses none either. The server of the stopping test is
 * one of its own (tools/pg.sh), so that the suite's is never disturbed.
 */
#include "helpers.h"

#include "jobs/client.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PG_SH   TESTS_DIR "/../tools/pg.sh"
#define WRITERS 4

/* ---- a write load that keeps going through an outage ------------------------- */

struct load {
	const char *url;
	atomic_bool stop;
	pthread_mutex_t mu;
	char (*acked)[48]; /* ids of acknowledged creates */
	size_t n_acked, cap;
	atomic_int unavailable; /* answers UNAVAILABLE or DEADLINE_EXCEEDED */
	atomic_int other;       /* anything else that is not OK */
};

struct writer {
	struct load *load;
	int index;
};

static void *
write_loop(void *arg)
{
	struct writer *w = arg;
	struct load *l = w->load;
	/* One attempt a call: the test sees what jobsd answers, not the
	 * client's retries. */
	jobs_client_options o = {.max_attempts = 1, .timeout_ms = 3000, .lazy_connect = true};
	jobs_client *c;
	char id[48], hook[128];

	cr_assert_eq(jobs_client_open(&c, l->url, &o, NULL), JOBS_OK);
	for (int n = 0; !atomic_load(&l->stop); n++) {
		jobs_call call = {0};
		snprintf(id, sizeof id, "pgf-w%d-%d", w->index, n);
		snprintf(hook, sizeof hook, "hook of %s", id);
		jobs_job j = {.id = id, .job_name = id, .hook = hook};
		int rv = jobs_create_job(c, &call, &j, NULL);

		if (rv == JOBS_OK) {
			pthread_mutex_lock(&l->mu);
			if (l->n_acked == l->cap) {
				l->cap = l->cap ? l->cap * 2 : 4096;
				l->acked = realloc(l->acked, l->cap * sizeof *l->acked);
				cr_assert_not_null(l->acked);
			}
			snprintf(l->acked[l->n_acked++], 48, "%s", id);
			pthread_mutex_unlock(&l->mu);
		} else if (rv == JOBS_UNAVAILABLE || rv == JOBS_DEADLINE_EXCEEDED) {
			atomic_fetch_add(&l->unavailable, 1);
			struct timespec pause = {0, 20 * 1000 * 1000};
			nanosleep(&pause, NULL); /* as a client's backoff would */
		} else {
			atomic_fetch_add(&l->other, 1);
			fprintf(stderr, "unexpected %s: %s\n", jobs_code_name(rv), call.message);
		}
	}
	jobs_client_close(c);
	return NULL;
}

static size_t
acked(struct load *l)
{
	pthread_mutex_lock(&l->mu);
	size_t n = l->n_acked;
	pthread_mutex_unlock(&l->mu);
	return n;
}

/* Polls (up to 60 s) until cond(l, want) holds. */
static bool
wait_for(bool (*cond)(struct load *, size_t), struct load *l, size_t want)
{
	struct timespec ms = {0, 2 * 1000 * 1000};

	for (int i = 0; i < 30000; i++) {
		if (cond(l, want))
			return true;
		nanosleep(&ms, NULL);
	}
	return cond(l, want);
}

static bool
acked_at_least(struct load *l, size_t n)
{
	return acked(l) >= n;
}

static bool
unavailable_at_least(struct load *l, size_t n)
{
	return (size_t)atomic_load(&l->unavailable) >= n;
}

/* Every acknowledged job is there, whole. */
static void
all_acked_present(struct load *l, const char *url)
{
	jobs_client *c;
	jobs_call call = {0};
	char hook[128];

	cr_assert_eq(jobs_client_open(&c, url, NULL, &call), JOBS_OK, "%s", call.message);
	for (size_t i = 0; i < l->n_acked; i++) {
		jobs_job *j;

		cr_assert_eq(jobs_get_job(c, &call, l->acked[i], &j), JOBS_OK,
		             "acknowledged job %s was lost: %s", l->acked[i], call.message);
		snprintf(hook, sizeof hook, "hook of %s", l->acked[i]);
		cr_assert_str_eq(j->hook, hook);
		jobs_job_free(j);
	}
	jobs_client_close(c);
}

static void
run_pg_sh(const char *what, const char *dir)
{
	const char *argv[] = {PG_SH, what, dir, NULL};
	struct run r = run_cmd(argv, NULL, NULL);

	cr_assert_eq(r.status, 0, "tools/pg.sh %s: %s%s", what, r.out, r.err);
	run_free(&r);
}

/* ---- the tests --------------------------------------------------------------------- */

/* File scope: the writers outlive a failed assertion of the test's body. */
static struct load l = {.mu = PTHREAD_MUTEX_INITIALIZER};
static struct writer w[WRITERS];

Test(store_pg_faults, the_database_stopping_under_load_loses_nothing_and_jobsd_recovers,
     .timeout = 240)
{
	pthread_t t[WRITERS];
	struct jobsd d;
	char server[256], db[400], path[600], *url;
	const char *dir = tmpdir_make();
	char pgdir[300];
	PGconn *admin;
	PGresult *r;
	FILE *f;

	/* A server of the test's own, and a database on it that the jobsd of
	 * the test's folder uses (db.url, see jobsd_start). */
	snprintf(pgdir, sizeof pgdir, "%s/pg", dir);
	run_pg_sh("start", pgdir);
	snprintf(path, sizeof path, "%s/url", pgdir);
	cr_assert_not_null(url = read_file(path, NULL));
	snprintf(server, sizeof server, "%.*s", (int)strcspn(url, "\n"), url);
	free(url);
	admin = PQconnectdb(server);
	cr_assert_eq(PQstatus(admin), CONNECTION_OK, "%s", PQerrorMessage(admin));
	r = PQexec(admin, "CREATE DATABASE jobs");
	cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(admin));
	PQclear(r);
	PQfinish(admin);
	snprintf(db, sizeof db, "%s?dbname=jobs", server);
	snprintf(path, sizeof path, "%s/db.url", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs(db, f);
	fclose(f);
	cr_assert(jobsd_start(&d, dir, NULL));
	l.url = d.url;

	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){&l, i};
		cr_assert_eq(pthread_create(&t[i], NULL, write_loop, &w[i]), 0);
	}
	cr_assert(wait_for(acked_at_least, &l, 200), "only %zu writes before the stop", acked(&l));
	run_pg_sh("pause", pgdir);
	/* Down: what was acknowledged before stays so; new calls fail
	 * UNAVAILABLE (the client retries those). */
	cr_assert(wait_for(unavailable_at_least, &l, 20), "no call noticed the outage");
	size_t during = acked(&l);
	run_pg_sh("resume", pgdir);
	/* Back: jobsd serves again by itself. */
	cr_assert(wait_for(acked_at_least, &l, during + 200),
	          "jobsd did not serve again after the database came back (%zu acks)", acked(&l));
	/* The readers' connections, idle meanwhile, were ended by the server
	 * as it stopped: each finds out before its next statement and opens a
	 * new one, so that no read fails for it, even without a retry. */
	{
		jobs_client_options once = {.max_attempts = 1};
		jobs_client *c;
		jobs_call call = {0};

		cr_assert_eq(jobs_client_open(&c, d.url, &once, &call), JOBS_OK, "%s",
		             call.message);
		for (int i = 0; i < 16; i++) {
			jobs_job_page *page = NULL;

			cr_assert_eq(
			    jobs_list_jobs(c, &call, &(jobs_list_query){.page_size = 1}, &page),
			    JOBS_OK, "read %d after the restart: %s", i, call.message);
			jobs_job_page_free(page);
		}
		jobs_client_close(c);
	}
	atomic_store(&l.stop, true);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(atomic_load(&l.other), 0, "answers other than OK and UNAVAILABLE");
	all_acked_present(&l, d.url);

	/* jobsd killed -9 under the load loses nothing either. */
	atomic_store(&l.stop, false);
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){&l, i + WRITERS};
		cr_assert_eq(pthread_create(&t[i], NULL, write_loop, &w[i]), 0);
	}
	size_t before = acked(&l);
	cr_assert(wait_for(acked_at_least, &l, before + 100));
	cr_assert_eq(jobsd_stop(&d, SIGKILL), 128 + SIGKILL);
	atomic_store(&l.stop, true);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
	cr_assert(jobsd_start(&d, dir, NULL));
	cr_assert_eq(atomic_load(&l.other), 0);
	all_acked_present(&l, d.url);

	d.db[0] = '\0'; /* the database goes with its server */
	cr_assert_eq(jobsd_stop(&d, SIGTERM), 0);
	run_pg_sh("stop", pgdir);
	tmpdir_remove(dir);
	free(l.acked);
}
