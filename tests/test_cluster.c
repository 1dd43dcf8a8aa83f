/*
 * test_cluster.c: many jobsd on one PostgreSQL database, and on a replicated
 * one. Real PostgreSQL servers, real jobsd processes.
 *
 *   cluster           on the suite's PostgreSQL (CTest's `pg` fixture): two
 *                     jobsd on one database under a write load, one of them
 *                     killed (-9) again and again; two jobsd racing on the
 *                     same jobs (etags, ids, counts); a retry racing its
 *                     first attempt; a remembered answer that fails.
 *   cluster_failover  on tools/cluster.sh's three nodes (the `cluster`
 *                     fixture: a primary, two synchronous standbys, and two
 *                     jobsd of this build on them, the --server list in
 *                     CLUSTER_DIR/servers): writes through both jobsd while
 *                     the primary dies and a standby takes over, three times;
 *                     reads from the standbys; misconfigurations. These
 *                     change the cluster and run one at a time (CTest sets
 *                     CRITERION_JOBS=1), each leaving it whole.
 *
 * A write load here is what a careful client does: each create has a
 * request_id of its own, and a create that fails with a code a retry can
 * cure is sent again with the same request_id until it is answered. Every
 * create has its own job_name, so the database says afterwards whether an
 * acknowledged create was lost or any create applied twice.
 */
#include "clock.h"
#include "dispatch.h"
#include "helpers.h"
#include "lanes.h"
#include "status.h"
#include "store.h"

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

#define CLUSTER_SH TESTS_DIR "/../tools/cluster.sh"

static int64_t
now_us(void)
{
	return clock_now_us();
}

static void
pause_ms(int ms)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&t, NULL);
}

/* ---- PostgreSQL, seen directly --------------------------------------------- */

/* The first field of the first row of `sql` on `uri`, as a number. */
static long long
sql_number(const char *uri, const char *sql)
{
	PGresult *r = test_pg_exec(uri, sql);
	long long n = PQntuples(r) > 0 ? atoll(PQgetvalue(r, 0, 0)) : -1;

	PQclear(r);
	return n;
}

/* ---- a write load through libjobsclient ------------------------------------ */

#define MAX_WRITERS 8

struct acked {
	char name[32];
	char id[40];
};

struct load {
	jobs_client *c;
	const char *tag; /* request_ids of this load start with it */
	int writers;
	atomic_bool stop;
	pthread_mutex_t mu;
	struct acked *acked; /* every acknowledged create (grows) */
	size_t n_acked, cap;
	int failed[17];        /* calls that failed, by code: each was sent again */
	int wrong;             /* answers no retry explains */
	char wrong_why[512];   /* the first of them */
	int resent;            /* calls the library sent more than once */
	char last_failed[320]; /* the latest failed call: its code and message */
	const char *logs[2];   /* the jobsd logs to show when the load stalls */
	atomic_int_fast64_t last_ack_us;
	pthread_t threads[MAX_WRITERS];
	struct writer {
		struct load *l;
		int index;
	} w[MAX_WRITERS];
};

/* The codes that say "not now": the write was not done, or not known to be
 * done, and the same request again is the cure. */
static bool
retryable(int code)
{
	return code == JOBS_UNAVAILABLE || code == JOBS_DEADLINE_EXCEEDED ||
	       code == JOBS_RESOURCE_EXHAUSTED;
}

static void note_wrong(struct load *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
note_wrong(struct load *l, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&l->mu);
	if (l->wrong++ == 0) {
		va_start(ap, fmt);
		vsnprintf(l->wrong_why, sizeof l->wrong_why, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&l->mu);
}

static void
note_ack(struct load *l, const char *name, const char *id, int attempts)
{
	pthread_mutex_lock(&l->mu);
	if (l->n_acked == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4096;
		struct acked *grown = realloc(l->acked, cap * sizeof *grown);

		if (grown == NULL)
			abort();
		l->acked = grown;
		l->cap = cap;
	}
	snprintf(l->acked[l->n_acked].name, sizeof l->acked[0].name, "%s", name);
	snprintf(l->acked[l->n_acked].id, sizeof l->acked[0].id, "%s", id);
	l->n_acked++;
	if (attempts > 1)
		l->resent++;
	pthread_mutex_unlock(&l->mu);
	atomic_store(&l->last_ack_us, now_us());
}

static void *
load_writer(void *arg)
{
	struct writer *w = arg;
	struct load *l = w->l;
	char name[32], rid[96];

	for (int n = 0; !atomic_load(&l->stop); n++) {
		int64_t give_up = now_us() + 120 * 1000000LL;

		snprintf(name, sizeof name, "w%d-%d", w->index, n);
		snprintf(rid, sizeof rid, "%s-%s", l->tag, name);
		jobs_job j = {.job_name = name, .product = "cluster", .hook = name};
		for (;;) {
			jobs_call jc = {.request_id = rid};
			jobs_job *out = NULL;
			int rv = jobs_create_job(l->c, &jc, &j, &out);

			if (rv == JOBS_OK) {
				if (strcmp(out->job_name, name) != 0)
					note_wrong(l, "create %s answered with job %s", name,
					           out->job_name);
				note_ack(l, name, out->id, jc.attempts);
				jobs_job_free(out);
				break;
			}
			pthread_mutex_lock(&l->mu);
			l->failed[rv >= 0 && rv <= 16 ? rv : JOBS_UNKNOWN]++;
			snprintf(l->last_failed, sizeof l->last_failed, "create %s: %s: %s", name,
			         jobs_code_name(rv), jc.message);
			pthread_mutex_unlock(&l->mu);
			if (!retryable(rv) || now_us() > give_up) {
				note_wrong(l, "create %s: %s: %s", name, jobs_code_name(rv),
				           jc.message);
				break;
			}
			pause_ms(20);
		}
	}
	return NULL;
}

static void
load_start(struct load *l, jobs_client *c, const char *tag, int writers)
{
	memset(l, 0, sizeof *l);
	l->c = c;
	l->tag = tag;
	l->writers = writers;
	pthread_mutex_init(&l->mu, NULL);
	for (int i = 0; i < writers; i++) {
		l->w[i] = (struct writer){l, i};
		cr_assert_eq(pthread_create(&l->threads[i], NULL, load_writer, &l->w[i]), 0);
	}
}

/* Stops the load: each writer finishes the create it is on (answered, or
 * given up as wrong). */
static void
load_stop(struct load *l)
{
	atomic_store(&l->stop, true);
	for (int i = 0; i < l->writers; i++)
		pthread_join(l->threads[i], NULL);
}

static size_t
load_acked(struct load *l)
{
	pthread_mutex_lock(&l->mu);
	size_t n = l->n_acked;
	pthread_mutex_unlock(&l->mu);
	return n;
}

/* Waits until `n` creates are acknowledged in all (at most `s` seconds). */
static int
load_wrong(struct load *l)
{
	pthread_mutex_lock(&l->mu);
	int n = l->wrong;
	pthread_mutex_unlock(&l->mu);
	return n;
}

static void load_stalled(struct load *l);

static void
load_wait(struct load *l, size_t n, int s)
{
	for (int i = 0; i < s * 100 && load_acked(l) < n && load_wrong(l) == 0; i++)
		pause_ms(10);
	cr_assert_eq(load_wrong(l), 0, "%d wrong answers; the first: %s", load_wrong(l),
	             l->wrong_why);
	if (load_acked(l) < n)
		load_stalled(l);
	cr_assert_geq(load_acked(l), n, "only %zu creates acknowledged in %d s", load_acked(l), s);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The load's outcome in the database at `uri`: every acknowledged create is
 * there, once, with the id it was answered with; no create is there twice.
 * Returns how many of the load's jobs the database holds (acknowledged, and
 * those whose answer was lost: at most once each too).
 */
static size_t
load_verify(struct load *l, const char *uri)
{
	PGresult *r = test_pg_exec(uri, "SELECT job_name, id FROM jobs WHERE product = 'cluster' "
	                                "ORDER BY job_name COLLATE \"C\"");
	size_t rows = (size_t)PQntuples(r);
	char **names = calloc(rows + 1, sizeof *names);

	for (size_t i = 0; i < rows; i++) {
		names[i] = PQgetvalue(r, (int)i, 0);
		if (i > 0)
			cr_assert_str_neq(names[i], names[i - 1], "create %s applied twice",
			                  names[i]);
	}
	for (size_t i = 0; i < l->n_acked; i++) {
		const char *key = l->acked[i].name;
		char **at = bsearch(&key, names, rows, sizeof *names, by_name);

		cr_assert_not_null(at, "acknowledged create %s (id %s) is lost", l->acked[i].name,
		                   l->acked[i].id);
		cr_assert_str_eq(PQgetvalue(r, (int)(at - names), 1), l->acked[i].id,
		                 "create %s has another id than it was answered with", key);
	}
	free(names);
	PQclear(r);
	return rows;
}

static void
load_report(struct load *l, const char *what)
{
	char codes[256] = "";
	size_t n = 0;
	int failed = 0;

	for (int c = 0; c <= 16; c++) {
		if (l->failed[c] == 0)
			continue;
		failed += l->failed[c];
		n += (size_t)snprintf(codes + n, sizeof codes - n, " %s %d", jobs_code_name(c),
		                      l->failed[c]);
	}
	fprintf(stderr,
	        "%s: %zu creates acknowledged; %d calls failed and were sent again by the "
	        "writer%s%s; %d calls resent by the library\n",
	        what, l->n_acked, failed, failed ? ":" : "", codes, l->resent);
}

/* What a test needs to say why its load made no progress: the counts, the
 * latest failure, and the tail of each jobsd's log. */
static void
load_stalled(struct load *l)
{
	pthread_mutex_lock(&l->mu);
	load_report(l, "stalled load");
	fprintf(stderr, "the latest failed call: %s\n", l->last_failed);
	pthread_mutex_unlock(&l->mu);
	for (int i = 0; i < 2 && l->logs[i] != NULL; i++) {
		size_t size = 0;
		char *log = read_file(l->logs[i], &size);

		fprintf(stderr, "the end of %s:\n%s\n", l->logs[i],
		        log == NULL ? "(none)" : log + (size > 4000 ? size - 4000 : 0));
		free(log);
	}
}

/* ---- two jobsd on one database ------------------------------------------------- */

/* Two jobsd on one new database of the suite's server, in two folders. */
static void
two_jobsd(struct jobsd d[2], char *servers, size_t size)
{
	char db[512];
	const char *dir;

	dir = tmpdir_make();
	test_db_make(dir, db, sizeof db);
	tmpdir_remove(dir);
	for (int i = 0; i < 2; i++) {
		char path[512];
		FILE *f;

		dir = tmpdir_make();
		snprintf(path, sizeof path, "%s/db.url", dir);
		cr_assert_not_null(f = fopen(path, "w"));
		fputs(db, f);
		fclose(f);
		cr_assert(jobsd_start(&d[i], dir, NULL), "jobsd %d did not start", i);
	}
	snprintf(servers, size, "%s,%s", d[0].url, d[1].url);
}

/* Stops both; the database goes with the second. */
static void
two_jobsd_cleanup(struct jobsd d[2])
{
	d[0].db[0] = '\0'; /* not dropped while the other uses it */
	cr_assert_eq(jobsd_cleanup(&d[0]), 0);
	cr_assert_eq(jobsd_cleanup(&d[1]), 0);
}

TestSuite(cluster, .timeout = 240);

/*
 * Issue 16, scenario 1. A client given both jobsd; under a write load, one
 * of them is killed (-9), started again, and the other killed, four times.
 * Calls in flight on the killed one are sent again by the library to the
 * other at once, with the same request_id: if the dead one had committed
 * the write, the other answers from the remembered answer. So with the
 * library's own retries (its defaults), no call fails at all, no
 * acknowledged create is lost, none is applied twice.
 */
Test(cluster, two_jobsd_lose_nothing_when_one_is_killed)
{
	struct jobsd d[2];
	char servers[1024];
	jobs_client *c;
	jobs_call jc = {0};
	static struct load l; /* static: what it holds stays reachable if the test fails */

	two_jobsd(d, servers, sizeof servers);
	cr_assert_eq(jobs_client_open(&c, servers, NULL, &jc), JOBS_OK, "%s", jc.message);
	load_start(&l, c, "kill9", 4);
	l.logs[0] = d[0].log;
	l.logs[1] = d[1].log;
	load_wait(&l, 100, 60);
	for (int round = 0; round < 4; round++) {
		struct jobsd *victim = &d[round % 2];
		char dir[sizeof victim->dir];

		cr_assert_eq(jobsd_stop(victim, SIGKILL), 128 + SIGKILL);
		load_wait(&l, load_acked(&l) + 100, 60); /* the other serves alone */
		snprintf(dir, sizeof dir, "%s", victim->dir);
		cr_assert(jobsd_start(victim, dir, NULL), "jobsd did not start again");
		load_wait(&l, load_acked(&l) + 100, 60);
	}
	load_stop(&l);
	load_report(&l, "two jobsd, four kill -9s");
	for (int code = 1; code <= 16; code++)
		cr_assert_eq(l.failed[code], 0,
		             "%d calls failed with %s, which the library's "
		             "retries should have saved",
		             l.failed[code], jobs_code_name(code));
	cr_assert_eq(l.wrong, 0, "%s", l.wrong_why);
	size_t held = load_verify(&l, d[1].db);
	cr_assert_eq(held, l.n_acked, "%zu jobs for %zu acknowledged creates", held, l.n_acked);
	jobs_client_close(c);
	free(l.acked);
	two_jobsd_cleanup(d);
}

/* ---- two jobsd racing ------------------------------------------------------------ */

#define RACERS 4 /* threads per jobsd */

struct race {
	jobs_client *c[2]; /* one per jobsd: every race is between the two */
	pthread_barrier_t start;
	char ids[4][40]; /* the shared jobs */
	atomic_int updated[4];
	atomic_int aborted, other;
	char other_why[256];
	/* duplicate ids */
	atomic_int created, exists;
	/* counts: what the racers did to products, kept to compare */
	atomic_int deleted;
};

struct racer {
	struct race *r;
	int index; /* 0 .. 2 * RACERS - 1 */
};

static void
race_other(struct race *r, const char *what, int code, const char *msg)
{
	if (atomic_fetch_add(&r->other, 1) == 0)
		snprintf(r->other_why, sizeof r->other_why, "%s: %s: %s", what,
		         jobs_code_name(code), msg);
}

/* Read, add one, write back if unchanged: the hook of each shared job
 * counts the updates that were answered OK. */
static void *
race_updates(void *arg)
{
	struct racer *me = arg;
	struct race *r = me->r;
	jobs_client *c = r->c[me->index % 2];

	pthread_barrier_wait(&r->start);
	for (int i = 0; i < 40; i++) {
		int k = (i + me->index) % 4;
		jobs_call jc = {0};
		jobs_job *was;
		char hook[32];

		int rv = jobs_get_job(c, &jc, r->ids[k], &was);
		if (rv != JOBS_OK) {
			race_other(r, "get", rv, jc.message);
			continue;
		}
		snprintf(hook, sizeof hook, "%d", atoi(was->hook) + 1);
		jobs_job change = {.id = r->ids[k], .hook = hook};
		rv = jobs_update_job(c, &jc, &change, was->etag, NULL);
		jobs_job_free(was);
		if (rv == JOBS_OK)
			atomic_fetch_add(&r->updated[k], 1);
		else if (rv == JOBS_ABORTED)
			atomic_fetch_add(&r->aborted, 1);
		else
			race_other(r, "update", rv, jc.message);
	}
	return NULL;
}

/* Everyone creates the same ids at once: one create of each succeeds. */
static void *
race_creates(void *arg)
{
	struct racer *me = arg;
	struct race *r = me->r;
	jobs_client *c = r->c[me->index % 2];

	for (int i = 0; i < 20; i++) {
		char id[32];
		jobs_call jc = {0};

		snprintf(id, sizeof id, "raced-%d", i);
		jobs_job j = {.id = id, .job_name = id, .product = "raced"};
		pthread_barrier_wait(&r->start);
		int rv = jobs_create_job(c, &jc, &j, NULL);
		if (rv == JOBS_OK)
			atomic_fetch_add(&r->created, 1);
		else if (rv == JOBS_ALREADY_EXISTS)
			atomic_fetch_add(&r->exists, 1);
		else
			race_other(r, "create", rv, jc.message);
	}
	return NULL;
}

/* Creates, updates that move a job between products, languages and
 * enabled, and deletes, from both jobsd at once. */
static void *
race_counts(void *arg)
{
	struct racer *me = arg;
	struct race *r = me->r;
	jobs_client *c = r->c[me->index % 2];
	static const char *const products[] = {"alpha", "beta", "gamma"};
	static const char *const languages[] = {"English", "German"};
	char ids[30][40];

	pthread_barrier_wait(&r->start);
	for (int i = 0; i < 30; i++) {
		jobs_call jc = {0};
		jobs_job *out;
		jobs_job j = {.job_name = "counted",
		              .product = (char *)products[(i + me->index) % 3],
		              .language = (char *)languages[i % 2],
		              .enabled = i % 3 != 0,
		              .fields = JOBS_FIELD_JOB_NAME | JOBS_FIELD_PRODUCT |
		                        JOBS_FIELD_LANGUAGE | JOBS_FIELD_ENABLED};
		int rv = jobs_create_job(c, &jc, &j, &out);
		if (rv != JOBS_OK) {
			race_other(r, "create", rv, jc.message);
			ids[i][0] = '\0';
			continue;
		}
		snprintf(ids[i], sizeof ids[i], "%s", out->id);
		jobs_job_free(out);
	}
	for (int i = 0; i < 30; i++) {
		jobs_call jc = {0};
		int rv;

		if (ids[i][0] == '\0')
			continue;
		if (i % 3 == 0) {
			rv = jobs_delete_job(c, &jc, ids[i], NULL);
			atomic_fetch_add(&r->deleted, rv == JOBS_OK);
		} else {
			jobs_job change = {.id = ids[i],
			                   .product = (char *)products[(i + 1) % 3],
			                   .enabled = i % 2 == 0,
			                   .fields = JOBS_FIELD_PRODUCT | JOBS_FIELD_ENABLED};
			rv = jobs_update_job(c, &jc, &change, NULL, NULL);
		}
		if (rv != JOBS_OK)
			race_other(r, i % 3 == 0 ? "delete" : "update", rv, jc.message);
	}
	return NULL;
}

static void
race_run(struct race *r, void *(*fn)(void *))
{
	pthread_t t[2 * RACERS];
	struct racer me[2 * RACERS];

	for (int i = 0; i < 2 * RACERS; i++) {
		me[i] = (struct racer){r, i};
		cr_assert_eq(pthread_create(&t[i], NULL, fn, &me[i]), 0);
	}
	for (int i = 0; i < 2 * RACERS; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(atomic_load(&r->other), 0, "%d unexpected answers; the first: %s",
	             atomic_load(&r->other), r->other_why);
}

/* GetStats through jobsd `c` against the jobs themselves. */
static void
stats_match_the_table(jobs_client *c, const char *db)
{
	jobs_call jc = {0};
	jobs_stats *s;
	char sql[256];

	cr_assert_eq(jobs_get_stats(c, &jc, &(jobs_stats_query){.top = 100}, &s), JOBS_OK, "%s",
	             jc.message);
	cr_assert_eq(s->total_jobs, sql_number(db, "SELECT count(*) FROM jobs"));
	cr_assert_eq(s->enabled_jobs, sql_number(db, "SELECT count(*) FROM jobs WHERE enabled"));
	for (size_t i = 0; i < s->n_by_product; i++) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM jobs WHERE product = '%s'",
		         s->by_product[i].value);
		cr_assert_eq(s->by_product[i].count, sql_number(db, sql), "product %s",
		             s->by_product[i].value);
	}
	cr_assert_eq((long long)s->n_by_product,
	             sql_number(db, "SELECT count(DISTINCT product) FROM jobs"));
	for (size_t i = 0; i < s->n_by_language; i++) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM jobs WHERE language = '%s'",
		         s->by_language[i].value);
		cr_assert_eq(s->by_language[i].count, sql_number(db, sql), "language %s",
		             s->by_language[i].value);
	}
	jobs_stats_free(s);
}

/*
 * Issue 16, scenario 3. Two jobsd racing on the same jobs, each racer's
 * calls through one of them: updates of a job read a moment ago lose to
 * whoever wrote it meanwhile (ABORTED), and none is lost; the same id
 * created by all at once exists once; counts kept by writers of both stay
 * exact, against the table, through each jobsd.
 */
Test(cluster, two_jobsd_racing_on_the_same_jobs)
{
	struct jobsd d[2];
	char servers[1024];
	struct race r;
	jobs_call jc = {0};

	memset(&r, 0, sizeof r);
	two_jobsd(d, servers, sizeof servers);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(jobs_client_open(&r.c[i], d[i].url, NULL, &jc), JOBS_OK, "%s",
		             jc.message);
	pthread_barrier_init(&r.start, NULL, 2 * RACERS);

	for (int k = 0; k < 4; k++) {
		jobs_job *out;
		jobs_job j = {.job_name = "shared", .hook = "0"};

		cr_assert_eq(jobs_create_job(r.c[k % 2], &jc, &j, &out), JOBS_OK, "%s", jc.message);
		snprintf(r.ids[k], sizeof r.ids[k], "%s", out->id);
		jobs_job_free(out);
	}
	race_run(&r, race_updates);
	for (int k = 0; k < 4; k++) {
		jobs_job *now;

		cr_assert_eq(jobs_get_job(r.c[1 - k % 2], &jc, r.ids[k], &now), JOBS_OK);
		cr_assert_eq(atoi(now->hook), atomic_load(&r.updated[k]),
		             "job %d: %s updates in it, %d answered OK", k, now->hook,
		             atomic_load(&r.updated[k]));
		jobs_job_free(now);
	}
	cr_assert_gt(atomic_load(&r.aborted), 0, "no update ever raced another");
	fprintf(stderr, "racing updates: %d OK, %d ABORTED\n",
	        r.updated[0] + r.updated[1] + r.updated[2] + r.updated[3], atomic_load(&r.aborted));

	race_run(&r, race_creates);
	cr_assert_eq(atomic_load(&r.created), 20, "%d of 20 raced ids created",
	             atomic_load(&r.created));
	cr_assert_eq(atomic_load(&r.exists), 20 * (2 * RACERS - 1));
	cr_assert_eq(sql_number(d[0].db, "SELECT count(*) FROM jobs WHERE product = 'raced'"), 20);

	race_run(&r, race_counts);
	cr_assert_eq(sql_number(d[0].db, "SELECT count(*) FROM jobs WHERE job_name = 'counted'"),
	             2 * RACERS * 30 - atomic_load(&r.deleted));
	stats_match_the_table(r.c[0], d[0].db);
	stats_match_the_table(r.c[1], d[0].db);
	jobs_check_info *check;
	cr_assert_eq(jobs_check(r.c[1], &jc, &check), JOBS_OK, "%s", jc.message);
	cr_assert(check->ok, "check: %s", check->n_problems ? check->problems[0] : "?");
	jobs_check_info_free(check);

	pthread_barrier_destroy(&r.start);
	jobs_client_close(r.c[0]);
	jobs_client_close(r.c[1]);
	two_jobsd_cleanup(d);
}

/* ---- the write path, in process ------------------------------------------------------ */

static struct server_info info = {.version = "test", .max_message_bytes = 1 << 20};

/* A CreateJob of job `id`, with request_id `rid`, decoded into c. */
static void
decode_create(call *c, arena *a, const char *id, const char *rid)
{
	Jobs__V1__Request req = JOBS__V1__REQUEST__INIT;
	Jobs__V1__CreateJobRequest in = JOBS__V1__CREATE_JOB_REQUEST__INIT;
	Jobs__V1__Job job = JOBS__V1__JOB__INIT;
	static char *mask[] = {"id", "job_name"};
	uint8_t buf[512];

	job.id = (char *)id;
	job.job_name = (char *)id;
	in.job = &job;
	in.field_mask = mask;
	in.n_field_mask = 2;
	req.call_case = JOBS__V1__REQUEST__CALL_CREATE_JOB;
	req.create_job = &in;
	req.request_id = (char *)rid;
	size_t n = jobs__v1__request__get_packed_size(&req);
	cr_assert_leq(n, sizeof buf);
	jobs__v1__request__pack(&req, buf);
	cr_assert_eq(call_decode(c, a, &info, buf, n, now_us()), LANE_WRITE, "%s", c->resp.message);
}

struct second {
	store *st;
	call *c;
};

static void *
serve_second(void *arg)
{
	struct second *s = arg;

	lanes_write_group(s->st, &s->c, 1);
	return NULL;
}

/* Counts the connections of the database at `db` that wait for a lock. */
static long long
lock_waiters(const char *db)
{
	return sql_number(db, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
	                      "current_database() AND wait_event_type = 'Lock'");
}

/*
 * A client's retry that overtakes its first attempt: the first attempt is
 * being written by one jobsd (its transaction open), the retry reaches
 * another. The retry waits for the first attempt's transaction and then
 * answers with its answer: OK, the same job, once; never ALREADY_EXISTS for
 * a create that succeeded, never a second job.
 */
Test(cluster, a_retry_racing_its_first_attempt_is_answered_once)
{
	const char *dir = tmpdir_make();
	store_options wo = {.sync = STORE_SYNC_FULL};
	char db[512], err[256];
	store *first, *second;
	arena a1, a2;
	call c1, c2;
	pthread_t t;
	struct second s;

	test_db_make(dir, db, sizeof db);
	cr_assert_eq(dispatch_init(err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_open(&first, db, &wo, err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_open(&second, db, &wo, err, sizeof err), 0, "%s", err);
	arena_init(&a1, 4096, 0);
	arena_init(&a2, 4096, 0);
	decode_create(&c1, &a1, "job-once", "retried-request");
	decode_create(&c2, &a2, "job-once", "retried-request");

	/* The first attempt, as lanes_write_group() runs it, up to the COMMIT. */
	cr_assert_eq(store_begin(first), 0);
	c1.db = first;
	cr_assert_not(call_replay(&c1));
	call_run(&c1);
	cr_assert_eq(c1.resp.code, ST(OK), "%s", c1.resp.message);
	cr_assert_eq(call_remember(&c1), 0);

	/* The retry, on the other connection, meanwhile. */
	s = (struct second){second, &c2};
	cr_assert_eq(pthread_create(&t, NULL, serve_second, &s), 0);
	for (int i = 0; i < 500 && lock_waiters(db) == 0; i++)
		pause_ms(10);
	cr_assert_gt(lock_waiters(db), 0, "the retry did not wait for the first attempt");
	cr_assert_eq(store_commit(first), 0, "%s", store_errmsg(first));
	pthread_join(t, NULL);

	cr_assert_eq(c2.resp.code, ST(OK), "the retry: %s: %s", status_name(c2.resp.code),
	             c2.resp.message);
	cr_assert_str_eq(c2.resp.create_job->job->etag, c1.resp.create_job->job->etag,
	                 "the retry's answer is not the first one's");
	cr_assert_eq(sql_number(db, "SELECT count(*) FROM jobs"), 1);

	store_close(first);
	store_close(second);
	arena_fini(&a1);
	arena_fini(&a2);
	test_db_drop(db);
	tmpdir_remove(dir);
}

/*
 * A write whose remembered answer cannot be stored (the statement that
 * stores it goes with the next call's first one) fails its whole group:
 * no call is answered OK whose write the group's savepoints then undid.
 */
Test(cluster, a_remembered_answer_that_fails_fails_its_whole_group)
{
	const char *dir = tmpdir_make();
	store_options wo = {.sync = STORE_SYNC_FULL};
	char db[512], err[256];
	store *st;
	arena a;
	call c[3];
	call *group[3] = {&c[0], &c[1], &c[2]};

	test_db_make(dir, db, sizeof db);
	cr_assert_eq(dispatch_init(err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_open(&st, db, &wo, err, sizeof err), 0, "%s", err);
	PQclear(test_pg_exec(db, "ALTER TABLE requests ADD CONSTRAINT refused CHECK (request_id <> "
	                         "'refused')"));
	arena_init(&a, 4096, 0);
	decode_create(&c[0], &a, "before", "fine-1");
	decode_create(&c[1], &a, "remembered-badly", "refused");
	decode_create(&c[2], &a, "after", "fine-2");
	lanes_write_group(st, group, 3);

	PGresult *r = test_pg_exec(db, "SELECT id FROM jobs");
	for (int i = 0; i < 3; i++) {
		bool stored = false;

		for (int k = 0; k < PQntuples(r); k++)
			stored |= strcmp(PQgetvalue(r, k, 0), c[i].req->create_job->job->id) == 0;
		cr_assert(c[i].resp.code != ST(OK) || stored, "call %d answered OK, not written",
		          i);
		cr_assert(c[i].resp.code != ST(ALREADY_EXISTS) &&
		              c[i].resp.code != ST(INVALID_ARGUMENT),
		          "call %d answered %s for another call's failure", i,
		          status_name(c[i].resp.code));
	}
	cr_assert_eq(c[1].resp.code == ST(OK), false);
	PQclear(r);
	store_close(st);
	arena_fini(&a);
	test_db_drop(db);
	tmpdir_remove(dir);
}

/* ---- a replicated PostgreSQL: tools/cluster.sh's ------------------------------------ */

/* The cluster's file `name` (CLUSTER_DIR/name), without its newline, into
 * out. */
static void
cluster_file(const char *name, char *out, size_t size)
{
	char path[512];
	char *text;

	snprintf(path, sizeof path, "%s/%s", CLUSTER_DIR, name);
	text = read_file(path, NULL);
	cr_assert_not_null(text,
	                   "no cluster at " CLUSTER_DIR ": run this through ctest (its cluster "
	                   "fixture runs tools/cluster.sh start)");
	text[strcspn(text, "\n")] = '\0';
	snprintf(out, size, "%s", text);
	free(text);
}

/* A node's URI, to its database `jobs`. */
static void
node_uri(int node, char *out, size_t size)
{
	char name[32], port[16];

	snprintf(name, sizeof name, "node%d/port", node);
	cluster_file(name, port, sizeof port);
	snprintf(out, size, "postgresql://postgres@127.0.0.1:%s/jobs?connect_timeout=5", port);
}

/* The node that is the primary now, and one that is a standby. */
static void
roles(int *primary, int *standby)
{
	*primary = *standby = -1;
	for (int n = 0; n < 3; n++) {
		char uri[256];
		PGconn *c;

		node_uri(n, uri, sizeof uri);
		c = PQconnectdb(uri);
		if (PQstatus(c) == CONNECTION_OK) {
			PGresult *r = PQexec(c, "SELECT pg_is_in_recovery()");
			if (PQresultStatus(r) == PGRES_TUPLES_OK)
				*(strcmp(PQgetvalue(r, 0, 0), "t") == 0 ? standby : primary) = n;
			PQclear(r);
		}
		PQfinish(c);
	}
	cr_assert_geq(*primary, 0, "the cluster has no primary");
	cr_assert_geq(*standby, 0, "the cluster has no standby");
}

/* Runs tools/cluster.sh CMD CLUSTER_DIR [ARG]; its stdout (malloc'd). */
static char *
cluster_sh(const char *cmd, const char *arg)
{
	const char *argv[] = {CLUSTER_SH, cmd, CLUSTER_DIR, arg, NULL};
	struct run r = run_cmd(argv, NULL, NULL);

	cr_assert_eq(r.status, 0, "tools/cluster.sh %s: %s%s", cmd, r.out, r.err);
	free(r.err);
	return r.out;
}

/* A jobsd of the test's own on the cluster: --db uri, plus `extra`. */
static void
cluster_jobsd(struct jobsd *d, const char *uri, const char *const *extra)
{
	const char *dir = tmpdir_make();
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/db.url", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs(uri, f);
	fclose(f);
	cr_assert(jobsd_start(d, dir, extra), "jobsd on the cluster did not start");
}

TestSuite(cluster_failover, .timeout = 420);

/* Starts a jobsd on every node, the primary first, with
 * target_session_attrs=any (the URI into any[]). */
static void
stray_start(struct jobsd *d, char *any, size_t size)
{
	char port[3][16], name[32];
	int primary, standby, order[3], k = 1;

	roles(&primary, &standby);
	order[0] = primary;
	for (int n = 0; n < 3; n++)
		if (n != primary)
			order[k++] = n;
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "node%d/port", order[i]);
		cluster_file(name, port[i], sizeof port[i]);
	}
	snprintf(any, size,
	         "postgresql://postgres@127.0.0.1:%s,127.0.0.1:%s,127.0.0.1:%s/"
	         "jobs?target_session_attrs=any&application_name=jobsd-any",
	         port[0], port[1], port[2]);
	cluster_jobsd(d, any, NULL);
}

/*
 * Issue 16, scenario 2. A write load through the cluster's two jobsd (a
 * client given both). The primary's postmaster is killed (-9), the standby
 * with the most WAL promoted (pg_ctl promote), the other pointed at it; the
 * dead node is rebuilt as a standby (pg_rewind); three times in a row.
 * Every acknowledged create is on the last primary and its standbys, none
 * twice; writes resume within 10 s of each promotion; the calls that failed
 * meanwhile are counted, and each failed with a code a retry cures.
 *
 * A third jobsd, started before the last round, is misconfigured:
 * target_session_attrs=any, the primary of then first in its list. Once
 * that node is back as a standby, the connections it opens again land
 * there, and writes answer UNAVAILABLE, saying why, never INTERNAL.
 */
Test(cluster_failover, writes_survive_three_failovers)
{
	char servers[1024], url[1024], any[1024], killed[16], promoted[16];
	jobs_call jc = {0};
	jobs_client *c;
	static struct load l; /* static: what it holds stays reachable if the test fails */
	struct jobsd stray;
	int primary, standby;

	cluster_file("servers", servers, sizeof servers);
	cluster_file("url", url, sizeof url);

	/* The library's defaults: three attempts, quick backoff. A failover
	 * outlasts them; the writers send the call again. */
	cr_assert_eq(jobs_client_open(&c, servers, NULL, &jc), JOBS_OK, "%s", jc.message);
	load_start(&l, c, "failover", 4);
	load_wait(&l, 50, 60);
	for (int round = 1; round <= 3; round++) {
		size_t before = load_acked(&l);
		int64_t t0, promoted_at, resumed_at;
		char *out;

		if (round == 3)
			stray_start(&stray, any, sizeof any);
		t0 = now_us();
		out = cluster_sh("failover", NULL);

		promoted_at = now_us();
		cr_assert_eq(sscanf(out, "%15s killed; %15s promoted", killed, promoted), 2, "%s",
		             out);
		fprintf(stderr, "round %d: %s", round, out);
		free(out);
		/* The first create answered after the promotion. */
		for (int i = 0; i < 1000 && atomic_load(&l.last_ack_us) <= promoted_at; i++)
			pause_ms(10);
		resumed_at = atomic_load(&l.last_ack_us);
		cr_assert_gt(resumed_at, promoted_at,
		             "no write answered in 10 s after the promotion");
		fprintf(stderr,
		        "round %d: writes resumed %.2f s after the promotion (%.2f s after the "
		        "kill)\n",
		        round, (double)(resumed_at - promoted_at) / 1e6,
		        (double)(resumed_at - t0) / 1e6);
		out = cluster_sh("rebuild", killed);
		fprintf(stderr, "round %d: %s", round, out);
		free(out);
		load_wait(&l, before + 50, 60);
	}
	load_stop(&l);
	load_report(&l, "three failovers");
	cr_assert_eq(l.wrong, 0, "%s", l.wrong_why);
	for (int code = 0; code <= 16; code++)
		cr_assert(l.failed[code] == 0 || retryable(code), "%d calls failed with %s",
		          l.failed[code], jobs_code_name(code));
	size_t held = load_verify(&l, url);

	/* Each standby, once it has replayed all the primary wrote, holds the
	 * same jobs. */
	roles(&primary, &standby);
	char puri[256];
	node_uri(primary, puri, sizeof puri);
	PGresult *r = test_pg_exec(puri, "SELECT pg_current_wal_lsn()");
	char lsn[64];
	snprintf(lsn, sizeof lsn, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	for (int n = 0; n < 3; n++) {
		char uri[256], sql[160];

		if (n == primary)
			continue;
		node_uri(n, uri, sizeof uri);
		snprintf(sql, sizeof sql, "SELECT (pg_last_wal_replay_lsn() >= '%s')::int", lsn);
		for (int i = 0; i < 1000 && sql_number(uri, sql) != 1; i++)
			pause_ms(10);
		cr_assert_eq(sql_number(uri, "SELECT count(*) FROM jobs WHERE product = 'cluster'"),
		             (long long)held, "standby node%d differs from the primary", n);
	}

	/* The misconfigured jobsd: its connections, ended, open again on the
	 * first node of its list, a standby since the last round. Every write
	 * is UNAVAILABLE; the first on each connection that had not noticed
	 * says the connection broke, the next that the server takes no
	 * writes. */
	for (int n = 0; n < 3; n++) {
		char uri[256];
		node_uri(n, uri, sizeof uri);
		PQclear(test_pg_exec(
		    uri, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
		         "WHERE application_name = 'jobsd-any'"));
	}
	jobs_client *sc;
	jobs_client_options so = {.max_attempts = 1};
	cr_assert_eq(jobs_client_open(&sc, stray.url, &so, &jc), JOBS_OK, "%s", jc.message);
	bool said = false;
	for (int i = 0; i < 40 && !said; i++) {
		int rv = jobs_create_job(sc, &jc, &(jobs_job){.job_name = "stray"}, NULL);
		cr_assert_eq(rv, JOBS_UNAVAILABLE, "a write on a standby: %s: %s",
		             jobs_code_name(rv), jc.message);
		said = strstr(jc.message, "takes no writes") != NULL;
	}
	cr_assert(said, "never said why: %s", jc.message);
	jobs_client_close(sc);
	cr_assert_eq(jobsd_cleanup(&stray), 0);

	jobs_client_close(c);
	free(l.acked);
}

/*
 * --read-db: GetJob, ListJobs, SearchJobs and GetStats from the standbys.
 * A job just created shows there a moment later: how long is measured and
 * reported (the staleness the README speaks of), and must stay under 5 s.
 */
Test(cluster_failover, reads_from_standbys)
{
	char url[1024], read_url[1024];
	struct jobsd d;
	jobs_client *c;
	jobs_call jc = {0};
	int64_t lag[40];

	cluster_file("url", url, sizeof url);
	cluster_file("read-url", read_url, sizeof read_url);
	cluster_jobsd(&d, url, (const char *const[]){"--read-db", read_url, NULL});
	cr_assert_eq(jobs_client_open(&c, d.url, NULL, &jc), JOBS_OK, "%s", jc.message);
	for (int i = 0; i < 40; i++) {
		jobs_job *out, *got = NULL;
		char name[32];
		int64_t t0;
		int rv;

		snprintf(name, sizeof name, "replica-%d", i);
		cr_assert_eq(jobs_create_job(c, &jc, &(jobs_job){.job_name = name}, &out), JOBS_OK,
		             "%s", jc.message);
		t0 = now_us();
		while ((rv = jobs_get_job(c, &jc, out->id, &got)) == JOBS_NOT_FOUND &&
		       now_us() - t0 < 5000000)
			;
		lag[i] = now_us() - t0;
		cr_assert_eq(rv, JOBS_OK, "job %s not on the standby after %.1f s: %s", out->id,
		             (double)lag[i] / 1e6, jc.message);
		jobs_job_free(out);
		jobs_job_free(got);
	}
	for (int i = 1; i < 40; i++) /* sort, for the median */
		for (int k = i; k > 0 && lag[k] < lag[k - 1]; k--) {
			int64_t x = lag[k];
			lag[k] = lag[k - 1];
			lag[k - 1] = x;
		}
	fprintf(stderr,
	        "reads from standbys: a create showed there after %.2f ms (median), %.2f ms "
	        "(most), of 40\n",
	        (double)lag[20] / 1e3, (double)lag[39] / 1e3);

	jobs_search_page *found;
	cr_assert_eq(jobs_search_jobs(c, &jc, &(jobs_search_query){.text = "replica"}, &found),
	             JOBS_OK, "%s", jc.message);
	cr_assert_geq(found->n_jobs, 1);
	jobs_search_page_free(found);
	jobs_job_page *page;
	cr_assert_eq(jobs_list_jobs(c, &jc, &(jobs_list_query){.page_size = 5}, &page), JOBS_OK,
	             "%s", jc.message);
	cr_assert_eq(page->n_jobs, 5);
	jobs_job_page_free(page);
	jobs_stats *s;
	cr_assert_eq(jobs_get_stats(c, &jc, &(jobs_stats_query){0}, &s), JOBS_OK, "%s", jc.message);
	cr_assert_geq(s->total_jobs, 40);
	jobs_stats_free(s);

	/* The reads are the standby's: its backends serve jobsd. */
	int primary, standby;
	roles(&primary, &standby);
	long long readers = 0;
	for (int n = 0; n < 3; n++) {
		char uri[256];
		if (n == primary)
			continue;
		node_uri(n, uri, sizeof uri);
		readers += sql_number(uri, "SELECT count(*) FROM pg_stat_activity WHERE "
		                           "application_name = 'jobsd'");
	}
	cr_assert_gt(readers, 0, "no jobsd connection on a standby");
	jobs_client_close(c);
	cr_assert_eq(jobsd_cleanup(&d), 0);
}

/* Runs jobsd with `args` (NULL-terminated) and expects it to refuse to
 * start: exit status `status`, and a first line of stderr holding `says`. */
static void
refuses(int status, const char *says, const char *const *args)
{
	const char *dir = tmpdir_make();
	char sock[300];
	const char *argv[20];
	int n = 0;

	snprintf(sock, sizeof sock, "ipc://%s/jobsd.sock", dir);
	argv[n++] = "/usr/bin/timeout"; /* a jobsd that starts after all is a failure, not a hang */
	argv[n++] = "60";
	argv[n++] = JOBSD_PATH;
	argv[n++] = "--listen";
	argv[n++] = sock;
	argv[n++] = "--no-legacy-migration";
	for (int i = 0; args[i] != NULL; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	struct run r = run_cmd(argv, NULL, NULL);
	cr_assert_eq(r.status, status, "jobsd exited %d: %s", r.status, r.err);
	char *nl = strchr(r.err, '\n');
	cr_assert(nl != NULL, "no line: %s", r.err);
	*nl = '\0';
	cr_assert(strstr(r.err, says) != NULL, "'%s' does not say '%s'", r.err, says);
	cr_assert(status == 2 || strchr(nl + 1, '\n') == NULL, "more than one line: %s", nl + 1);
	run_free(&r);
	tmpdir_remove(dir);
}

/* One clear line each, and jobsd never starts half-configured. */
Test(cluster_failover, misconfigurations_get_one_clear_line)
{
	char url[1024], primary_uri[256], standby_uri[256], only_standbys[512], sql_read[300];
	const char *dir = tmpdir_make();
	int primary, standby;

	cluster_file("url", url, sizeof url);
	roles(&primary, &standby);
	node_uri(primary, primary_uri, sizeof primary_uri);
	node_uri(standby, standby_uri, sizeof standby_uri);

	/* No host of --db takes writes. */
	snprintf(only_standbys, sizeof only_standbys, "%s&target_session_attrs=read-write",
	         standby_uri);
	refuses(1, "no database server takes writes",
	        (const char *const[]){"--db", only_standbys, NULL});
	/* No host of --db answers at all. */
	refuses(1, "cannot connect to the database: 127.0.0.1:1: Connection refused; 127.0.0.1:2",
	        (const char *const[]){
	            "--db", "postgresql://postgres@127.0.0.1:1,127.0.0.1:2/jobs?connect_timeout=2",
	            NULL});
	/* A standby given as --db, told to take any server. */
	snprintf(only_standbys, sizeof only_standbys, "%s&target_session_attrs=any", standby_uri);
	refuses(1, "is a standby, which takes no writes",
	        (const char *const[]){"--db", only_standbys, NULL});
	/* --read-db naming the primary. */
	refuses(1, "is a primary",
	        (const char *const[]){"--db", url, "--read-db", primary_uri, NULL});
	/* --read-db beside SQLite, or not a URI. */
	snprintf(sql_read, sizeof sql_read, "%s/jobs.db", dir);
	refuses(2, "--read-db takes a postgresql://",
	        (const char *const[]){"--db", sql_read, "--read-db", standby_uri, NULL});
	refuses(2, "--read-db takes a postgresql://",
	        (const char *const[]){"--db", url, "--read-db", sql_read, NULL});
	/* A --db libpq cannot read. */
	refuses(1, "not a PostgreSQL connection URI",
	        (const char *const[]){"--db", "postgresql://a:b:c@[::1/jobs", NULL});

	/* A malformed server list, to the client: test_cli.c. */
	tmpdir_remove(dir);
}
