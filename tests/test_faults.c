/*
 * test_faults.c: jobsd under faults. Killed at random moments while writing,
 * flooded past --max-inflight, stopped while busy, backed up while writing,
 * restored, checked. Nothing acknowledged may be lost, nothing
 * unacknowledged may be half there.
 */
#include "helpers.h"
#include "status.h"
#include "store.h"

#include "jobs/client.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <time.h>
#include <unistd.h>

/* ---- a write load --------------------------------------------------------- */

/* The hook a job with this id must have: a half-written job would not. */
static void
hook_for(const char *id, char *buf, size_t n)
{
	snprintf(buf, n, "hook of %s: %s / %s / %s", id, id, id, id);
}

#define WRITERS 4

struct load {
	const char *url;
	int round;
	atomic_bool stop;
	pthread_mutex_t mu;
	char (*acked)[32]; /* ids of acknowledged creates, every one (grows) */
	size_t n_acked, cap;
	int other_codes; /* anything but OK and UNAVAILABLE/DEADLINE (connection lost) */
	int open_failures;
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
	jobs_client_options o = {.max_attempts = 1, .timeout_ms = 2000, .lazy_connect = true};
	jobs_client *c;
	char id[32], hook[160], settings[96];

	if (jobs_client_open(&c, l->url, &o, NULL) != JOBS_OK) {
		pthread_mutex_lock(&l->mu);
		l->open_failures++;
		pthread_mutex_unlock(&l->mu);
		return NULL;
	}
	for (int n = 0; !atomic_load(&l->stop); n++) {
		jobs_call call = {0};
		snprintf(id, sizeof id, "r%d-w%d-%d", l->round, w->index, n);
		hook_for(id, hook, sizeof hook);
		snprintf(settings, sizeof settings, "{\"id\":\"%s\",\"n\":%d}", id, n);
		jobs_job j = {
		    .id = id, .job_name = "load", .hook = hook, .enhanced_settings = settings};

		int rv = jobs_create_job(c, &call, &j, NULL);
		if (rv == JOBS_OK) {
			pthread_mutex_lock(&l->mu);
			if (l->n_acked == l->cap) {
				size_t cap = l->cap ? l->cap * 2 : 4096;
				char(*grown)[32] = realloc(l->acked, cap * sizeof *grown);

				if (grown == NULL) { /* an ack we could not note is a failure */
					l->other_codes++;
					pthread_mutex_unlock(&l->mu);
					break;
				}
				l->acked = grown;
				l->cap = cap;
			}
			snprintf(l->acked[l->n_acked++], 32, "%s", id);
			pthread_mutex_unlock(&l->mu);
		} else if (rv == JOBS_UNAVAILABLE || rv == JOBS_DEADLINE_EXCEEDED) {
			break; /* jobsd went away: stop like a client whose server died */
		} else {
			pthread_mutex_lock(&l->mu);
			l->other_codes++;
			pthread_mutex_unlock(&l->mu);
			fprintf(stderr, "unexpected %s: %s\n", jobs_code_name(rv), call.message);
		}
	}
	jobs_client_close(c);
	return NULL;
}

static void
start_writers(struct load *l, pthread_t *t, struct writer *w)
{
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){l, i};
		pthread_create(&t[i], NULL, write_loop, &w[i]);
	}
}

static void
join_writers(struct load *l, pthread_t *t)
{
	atomic_store(&l->stop, true);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
}

static size_t
acked(struct load *l)
{
	pthread_mutex_lock(&l->mu);
	size_t n = l->n_acked;
	pthread_mutex_unlock(&l->mu);
	return n;
}

/* Waits until the load has had `n` creates acknowledged in all, so that
 * what follows happens under load, not before it starts. */
static void
wait_acked(struct load *l, size_t n)
{
	struct timespec ms = {0, 1000000L};

	for (int i = 0; i < 30000 && acked(l) < n; i++)
		nanosleep(&ms, NULL);
	cr_assert_geq(acked(l), n,
	              "only %zu writes acknowledged in 30 s (%d other codes, %d "
	              "clients that could not open)",
	              acked(l), l->other_codes, l->open_failures);
}

static int
integrity_ok(const char *db_path)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int ok;

	cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
	ok = sqlite3_step(s) == SQLITE_ROW &&
	     strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
	sqlite3_finalize(s);
	sqlite3_close(db);
	return ok;
}

/* Every job in the database is whole: its hook and settings match its id. */
static size_t
all_jobs_whole(const char *url)
{
	jobs_client *c;
	jobs_list_query q = {.page_size = 1000};
	jobs_job_page *page;
	jobs_call call = {0};
	char token[512] = "", hook[160];
	size_t n = 0;

	cr_assert_eq(jobs_client_open(&c, url, NULL, &call), JOBS_OK, "%s", call.message);
	do {
		q.page_token = token;
		cr_assert_eq(jobs_list_jobs(c, &call, &q, &page), JOBS_OK, "%s", call.message);
		for (size_t i = 0; i < page->n_jobs; i++) {
			hook_for(page->jobs[i]->id, hook, sizeof hook);
			cr_assert_str_eq(page->jobs[i]->hook, hook, "job %s is not whole",
			                 page->jobs[i]->id);
			cr_assert(strstr(page->jobs[i]->enhanced_settings, page->jobs[i]->id) !=
			          NULL);
		}
		n += page->n_jobs;
		snprintf(token, sizeof token, "%s", page->next_page_token);
		jobs_job_page_free(page);
	} while (*token != '\0');
	jobs_client_close(c);
	return n;
}

/* ---- crash safety ------------------------------------------------------------ */

Test(faults, acknowledged_writes_survive_twenty_kill_9s, .timeout = 240)
{
	struct jobsd d;
	struct load l = {.mu = PTHREAD_MUTEX_INITIALIZER};
	pthread_t t[WRITERS];
	struct writer w[WRITERS];
	char dir[256];
	jobs_client *c;
	jobs_call call = {0};

	snprintf(dir, sizeof dir, "%s", tmpdir_make());
	/* The kill lands after a random number of acknowledged writes; the
	 * seed is logged, and JOBS_TEST_SEED replays a run. */
	const char *given = getenv("JOBS_TEST_SEED");
	unsigned seed = given != NULL ? (unsigned)strtoul(given, NULL, 10) : (unsigned)time(NULL);
	cr_log_info("kill -9 rounds: JOBS_TEST_SEED=%u", seed);
	srand(seed);
	for (int round = 0; round < 20; round++) {
		cr_assert(jobsd_start(&d, dir, NULL), "round %d", round);
		l.url = d.url;
		l.round = round;
		atomic_store(&l.stop, false);
		start_writers(&l, t, w);
		wait_acked(&l, acked(&l) + 1 + (size_t)(rand() % 100));
		cr_assert_eq(jobsd_stop(&d, SIGKILL), 128 + SIGKILL);
		join_writers(&l, t);
	}
	cr_assert(jobsd_start(&d, dir, NULL));
	cr_assert_eq(l.other_codes, 0, "seed %u", seed);
	cr_assert_eq(l.open_failures, 0);
	cr_assert_geq(l.n_acked, 20, "every round had a write acknowledged: %zu", l.n_acked);
	cr_assert_eq(jobs_client_open(&c, d.url, NULL, &call), JOBS_OK, "%s", call.message);
	for (size_t i = 0; i < l.n_acked; i++)
		cr_assert_eq(jobs_get_job(c, &call, l.acked[i], NULL), JOBS_OK,
		             "acknowledged job %s was lost (seed %u): %s", l.acked[i], seed,
		             call.message);
	jobs_client_close(c);
	size_t present = all_jobs_whole(d.url);
	cr_assert_geq(present, l.n_acked);
	cr_assert_eq(jobsd_cleanup(&d), 0);
	free(l.acked);
}

Test(faults, the_integrity_check_after_crashes, .timeout = 60)
{
	struct jobsd d;
	struct load l = {.mu = PTHREAD_MUTEX_INITIALIZER};
	pthread_t t[WRITERS];
	struct writer w[WRITERS];
	char dir[256], db[300];

	snprintf(dir, sizeof dir, "%s", tmpdir_make());
	snprintf(db, sizeof db, "%s/jobs.db", dir);
	for (int round = 0; round < 3; round++) {
		cr_assert(jobsd_start(&d, dir, NULL));
		l.url = d.url;
		l.round = round;
		atomic_store(&l.stop, false);
		start_writers(&l, t, w);
		wait_acked(&l, acked(&l) + 50);
		cr_assert_eq(jobsd_stop(&d, SIGKILL), 128 + SIGKILL);
		join_writers(&l, t);
		/* Cold, as the next jobsd would find it (the WAL replays on open). */
		cr_assert(integrity_ok(db), "round %d", round);
	}
	tmpdir_remove(dir);
	free(l.acked);
}

/* ---- shutdown ------------------------------------------------------------------- */

Test(faults, sigterm_drains_writes_in_flight_and_exits_0, .timeout = 60)
{
	struct jobsd d;
	struct load l = {.mu = PTHREAD_MUTEX_INITIALIZER};
	pthread_t t[WRITERS];
	struct writer w[WRITERS];
	char dir[256];
	jobs_client *c;
	jobs_call call = {0};

	cr_assert(jobsd_start(&d, NULL, NULL));
	snprintf(dir, sizeof dir, "%s", d.dir);
	l.url = d.url;
	start_writers(&l, t, w);
	wait_acked(&l, 100);
	cr_assert_eq(jobsd_stop(&d, SIGTERM), 0, "exit 0 at SIGTERM under load");
	join_writers(&l, t);
	cr_assert_eq(l.other_codes, 0, "every call answered OK or UNAVAILABLE");
	cr_assert_eq(l.open_failures, 0);
	char *log = read_file(d.log, NULL);
	cr_assert(strstr(log, "stopped cleanly") != NULL, "%s", log);
	free(log);

	cr_assert(jobsd_start(&d, dir, NULL));
	cr_assert_eq(jobs_client_open(&c, d.url, NULL, &call), JOBS_OK, "%s", call.message);
	for (size_t i = 0; i < l.n_acked; i++)
		cr_assert_eq(jobs_get_job(c, &call, l.acked[i], NULL), JOBS_OK, "lost %s",
		             l.acked[i]);
	jobs_client_close(c);
	cr_assert_eq(jobsd_cleanup(&d), 0);
	free(l.acked);
}

/* Fills a database directly through the store: `n` jobs of `hook_bytes`. */
static void
fill(const char *db_path, int n, size_t hook_bytes)
{
	store_options o = {.sync = STORE_SYNC_OFF};
	store *st;
	arena a;
	char err[256], id[32];
	char *hook = malloc(hook_bytes + 1);

	memset(hook, 'h', hook_bytes);
	hook[hook_bytes] = '\0';
	cr_assert_eq(store_open(&st, db_path, &o, err, sizeof err), 0, "%s", err);
	cr_assert_eq(arena_init(&a, 1 << 16, 0), 0);
	cr_assert_eq(store_begin(st), 0);
	for (int i = 0; i < n; i++) {
		Jobs__V1__Job j = JOBS__V1__JOB__INIT;

		snprintf(id, sizeof id, "bulk-%06d", i);
		j.id = id;
		j.hook = hook;
		j.language = "English";
		j.created_at = j.updated_at = 1700000000000000 + i;
		cr_assert_eq(store_job_insert(st, &j, &a), 0, "%s", store_errmsg(st));
		arena_reset(&a);
	}
	cr_assert_eq(store_commit(st), 0);
	store_close(st);
	arena_fini(&a);
	free(hook);
}

struct bg_backup {
	const char *url, *path;
	int code;
	char message[300];
	atomic_bool done;
};

static void *
backup_in_background(void *arg)
{
	struct bg_backup *b = arg;
	jobs_client_options o = {.max_attempts = 1, .timeout_ms = 60000};
	jobs_client *c;
	jobs_backup_info *info = NULL;
	jobs_call call = {0};

	if ((b->code = jobs_client_open(&c, b->url, &o, &call)) != JOBS_OK) {
		snprintf(b->message, sizeof b->message, "open: %s", call.message);
		atomic_store(&b->done, true);
		return NULL;
	}
	b->code = jobs_backup(c, &call, b->path, &info);
	snprintf(b->message, sizeof b->message, "%s", call.message);
	jobs_backup_info_free(info);
	jobs_client_close(c);
	atomic_store(&b->done, true);
	return NULL;
}

/*
 * Waits (inotify) for the backup `b` to make `name` in the folder watched by
 * `in`, and takes a read lock on SQLite's shared-lock bytes of it: SQLite's
 * SHARED lock, as a reader in another process holds it. The backup then
 * cannot commit (SQLITE_BUSY) and keeps trying until it is stopped. Returns
 * the fd that holds the lock, or -1 when the backup took its exclusive lock
 * first, or ended without making the file.
 */
static int
hold_when_made(int in, const char *dir, const char *name, const struct bg_backup *b)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event)))), path[600];
	struct pollfd p = {.fd = in, .events = POLLIN};
	bool made = false;

	for (int waited = 0; !made; waited += 10) {
		int ready = poll(&p, 1, 10);

		cr_assert_geq(ready, 0);
		cr_assert_lt(waited, 30000, "%s was not made within 30 s", name);
		if (ready == 0) {
			if (atomic_load(&b->done))
				return -1;
			continue;
		}
		ssize_t n = read(in, buf, sizeof buf);
		cr_assert_gt(n, 0);
		for (char *e = buf; e < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)e;

			made |= ev->len > 0 && strcmp(ev->name, name) == 0;
			e += sizeof *ev + ev->len;
		}
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	/* SQLite's lock bytes: PENDING at 1 GiB, RESERVED after it, then the
	 * 510 bytes a SHARED lock takes one of (sqlite3.c, os_unix). */
	struct flock fl = {
	    .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0x40000002, .l_len = 510};
	if (fcntl(fd, F_SETLK, &fl) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A Backup held in flight: its thread, its file's lock, and the names. */
struct held_backup {
	struct bg_backup b;
	pthread_t t;
	int in, fd;
	char name[32], partial[48];
};

/*
 * Starts a Backup of jobsd at `url` into its backup folder `backups` and
 * holds it (hold_when_made): it cannot finish until release_backup().
 * Should the backup lock its file before we do (it has milliseconds of work
 * first; we wake in microseconds), it finishes, and we try again under
 * another name.
 */
static void
hold_backup(struct held_backup *h, const char *url, const char *backups)
{
	h->fd = -1;
	cr_assert_geq(h->in = inotify_init1(IN_CLOEXEC), 0);
	cr_assert_geq(inotify_add_watch(h->in, backups, IN_CREATE), 0, "%s", strerror(errno));
	for (int round = 0; h->fd < 0; round++) {
		/* Each round is a small backup: a loaded machine may lose many. */
		cr_assert_lt(round, 40, "40 backups finished (or were turned away) first");
		snprintf(h->name, sizeof h->name, "held-%d.db", round);
		snprintf(h->partial, sizeof h->partial, "%s.partial", h->name);
		h->b = (struct bg_backup){.url = url, .path = h->name};
		pthread_create(&h->t, NULL, backup_in_background, &h->b);
		if ((h->fd = hold_when_made(h->in, backups, h->partial, &h->b)) < 0) {
			/* It finished first, or (--max-inflight 1) found the slot
			 * of a call just answered not yet free. */
			pthread_join(h->t, NULL);
			cr_assert(h->b.code == JOBS_OK || h->b.code == JOBS_RESOURCE_EXHAUSTED,
			          "%s: %s", jobs_code_name(h->b.code), h->b.message);
		}
	}
}

/* Lets the backup go, and waits for its answer (in h->b). */
static void
release_backup(struct held_backup *h)
{
	close(h->fd);
	close(h->in);
	pthread_join(h->t, NULL);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Health callers that keep asking until jobsd has gone. */
struct prober {
	const char *url;
	atomic_bool *over;
	int answered;
};

static void *
probe(void *arg)
{
	struct prober *p = arg;
	jobs_client_options o = {.max_attempts = 1, .timeout_ms = 2000};
	jobs_client *c;

	if (jobs_client_open(&c, p->url, &o, NULL) != JOBS_OK)
		return NULL;
	while (!atomic_load(p->over)) {
		jobs_call call = {0};

		p->answered += jobs_health(c, &call, NULL) == JOBS_OK;
	}
	jobs_client_close(c);
	return NULL;
}

/* Health runs while jobsd drains; one that came in as the drain ended ran on
 * a store that lanes_stop() was closing (ASan: heap-use-after-free). Under
 * a stream of Health calls, SIGTERM must still end in exit 0, every time. */
Test(faults, sigterm_under_a_stream_of_health_calls_exits_0, .timeout = 120)
{
	enum { PROBERS = 4 };

	for (int round = 0; round < 5; round++) {
		struct jobsd d;
		struct prober p[PROBERS];
		pthread_t t[PROBERS];
		atomic_bool over = false;
		int status, answered = 0;

		cr_assert(jobsd_start(&d, NULL, NULL));
		for (int i = 0; i < PROBERS; i++) {
			p[i] = (struct prober){.url = d.url, .over = &over};
			cr_assert_eq(pthread_create(&t[i], NULL, probe, &p[i]), 0);
		}
		/* Until each has had an answer: the stream is flowing. */
		for (int64_t until = now_ms() + 30000; now_ms() < until; usleep(1000)) {
			answered = 0;
			for (int i = 0; i < PROBERS; i++)
				answered += p[i].answered > 0;
			if (answered == PROBERS)
				break;
		}
		cr_assert_eq(answered, PROBERS, "round %d: the probers were not all answered",
		             round);
		status = jobsd_stop(&d, SIGTERM);
		atomic_store(&over, true);
		for (int i = 0; i < PROBERS; i++)
			pthread_join(t[i], NULL);
		if (status != 0) {
			char *log = read_file(d.log, NULL);

			cr_log_error("jobsd's log:\n%s", log ? log : "(none)");
			free(log);
		}
		cr_assert_eq(status, 0, "round %d: jobsd exited %d at SIGTERM", round, status);
		cr_assert_eq(jobsd_cleanup(&d), 0);
	}
}

Test(faults, the_drain_timeout_stops_a_long_call, .timeout = 120)
{
	struct jobsd d;
	const char *extra[] = {"--drain-timeout", "50", NULL};
	char dir[256], db[300], backups[300], path[400];
	struct held_backup h;
	struct timespec started, ended;

	snprintf(dir, sizeof dir, "%s", tmpdir_make());
	snprintf(db, sizeof db, "%s/jobs.db", dir);
	snprintf(backups, sizeof backups, "%s/backups", dir);
	fill(db, 2000, 1000);
	cr_assert(jobsd_start(&d, dir, extra));
	/* A backup that cannot finish while we hold its file: jobsd must stop
	 * it when the drain times out. */
	hold_backup(&h, d.url, backups);
	clock_gettime(CLOCK_MONOTONIC, &started);
	cr_assert_eq(jobsd_stop(&d, SIGTERM), 0);
	clock_gettime(CLOCK_MONOTONIC, &ended);
	release_backup(&h);
	cr_assert_eq(h.b.code, JOBS_UNAVAILABLE, "%s: %s", jobs_code_name(h.b.code), h.b.message);
	cr_assert(strstr(h.b.message, "shutting down") != NULL, "%s", h.b.message);
	struct stat sb;
	snprintf(path, sizeof path, "%s/%s", backups, h.name);
	cr_assert_neq(stat(path, &sb), 0, "no half backup at the path");
	snprintf(path, sizeof path, "%s/%s", backups, h.partial);
	cr_assert_neq(stat(path, &sb), 0, "the partial file is removed");
	double s = (double)(ended.tv_sec - started.tv_sec) +
	           (double)(ended.tv_nsec - started.tv_nsec) / 1e9;
	cr_assert_lt(s, 5.0, "jobsd took %.2f s to stop with --drain-timeout 50", s);
	tmpdir_remove(dir);
}

/* ---- overload -------------------------------------------------------------------- */

struct flooder {
	const char *url;
	int ok, busy, other;
};

static void *
flood(void *arg)
{
	struct flooder *f = arg;
	jobs_client_options o = {.max_attempts = 1};
	jobs_list_query q = {.page_size = 1000};
	jobs_client *c;

	if (jobs_client_open(&c, f->url, &o, NULL) != JOBS_OK)
		return NULL;
	for (int i = 0; i < 20; i++) {
		jobs_job_page *page = NULL;
		jobs_call call = {0};
		int rv = jobs_list_jobs(c, &call, &q, &page);

		if (rv == JOBS_OK)
			f->ok++;
		else if (rv == JOBS_RESOURCE_EXHAUSTED)
			f->busy++;
		else
			f->other++;
		jobs_job_page_free(page);
	}
	jobs_client_close(c);
	return NULL;
}

static long
rss_kib(pid_t pid)
{
	char path[64], *status, *at;
	long kib = -1;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((status = read_file(path, NULL)) != NULL && (at = strstr(status, "VmRSS:")) != NULL)
		kib = strtol(at + 6, NULL, 10);
	free(status);
	return kib;
}

Test(faults, past_max_inflight_the_answer_is_resource_exhausted_at_once, .timeout = 120)
{
	struct jobsd d;
	const char *extra[] = {"--max-inflight", "2", NULL};
	struct flooder f[16] = {{0}};
	pthread_t t[16];
	char dir[256], db[300];
	int ok = 0, busy = 0, other = 0;
	long before, after;

	snprintf(dir, sizeof dir, "%s", tmpdir_make());
	test_db_of(dir, db, sizeof db);
	fill(db, 1000, 2000);
	/* Under AddressSanitizer, freed memory waits in a quarantine of up to
	 * 256 MiB before it is reused: a small one keeps the RSS about jobsd's
	 * own memory, not the sanitizer's (this process's children inherit it). */
	const char *asan = getenv("ASAN_OPTIONS");
	char opts[512];
	snprintf(opts, sizeof opts, "%s%squarantine_size_mb=16", asan ? asan : "",
	         asan && *asan ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
	cr_assert(jobsd_start(&d, dir, extra));
	before = rss_kib(d.pid);
	for (int i = 0; i < 16; i++) {
		f[i].url = d.url;
		pthread_create(&t[i], NULL, flood, &f[i]);
	}
	for (int i = 0; i < 16; i++) {
		pthread_join(t[i], NULL);
		ok += f[i].ok;
		busy += f[i].busy;
		other += f[i].other;
	}
	after = rss_kib(d.pid);
	cr_assert_eq(other, 0, "only OK or RESOURCE_EXHAUSTED");
	cr_assert_gt(busy, 0, "16 clients against --max-inflight 2: some were turned away");
	cr_assert_gt(ok, 0);
	cr_log_info("flood: %d ok, %d RESOURCE_EXHAUSTED; RSS %ld -> %ld KiB", ok, busy, before,
	            after);
	/* Bounded: the contexts and their arenas, not one buffer per caller queued. */
	cr_assert_lt(after, before + 256 * 1024, "RSS grew from %ld to %ld KiB", before, after);
	cr_assert_eq(jobsd_cleanup(&d), 0);
}

/* jobsctl's exit status 7 ("server busy"): one Backup held in flight (its
 * file locked, as above) fills --max-inflight 1, so every attempt of the
 * next call is turned away. */
Test(faults, a_busy_server_is_jobsctl_exit_status_7, .timeout = 60)
{
	struct jobsd d;
	const char *extra[] = {"--max-inflight", "1", NULL};
	char dir[256], db[300], backups[300];
	struct held_backup h;

	snprintf(dir, sizeof dir, "%s", tmpdir_make());
	snprintf(db, sizeof db, "%s/jobs.db", dir);
	snprintf(backups, sizeof backups, "%s/backups", dir);
	fill(db, 2000, 1000); /* milliseconds of copying: we lock its file first */
	cr_assert(jobsd_start(&d, dir, extra));
	hold_backup(&h, d.url, backups);
	const char *get[] = {JOBSCTL_PATH, "--server", d.url, "get", "anything", NULL};
	struct run r = run_cmd(get, NULL, NULL);
	cr_assert_eq(r.status, 7, "%d: %s", r.status, r.err);
	cr_assert(strstr(r.err, "RESOURCE_EXHAUSTED") != NULL, "%s", r.err);
	run_free(&r);
	/* Let the backup go: the server serves again. */
	release_backup(&h);
	cr_assert_eq(h.b.code, JOBS_OK, "%s", h.b.message);
	r = run_cmd(get, NULL, NULL);
	cr_assert_eq(r.status, 3, "not busy now, and no such job: %s", r.err);
	run_free(&r);
	cr_assert_eq(jobsd_cleanup(&d), 0);
}

/* ---- keeping the data ----------------------------------------------------------- */

Test(faults, backup_while_writing_then_restore, .timeout = 120)
{
	struct jobsd d;
	struct load l = {.mu = PTHREAD_MUTEX_INITIALIZER};
	pthread_t t[WRITERS];
	struct writer w[WRITERS];
	char dir[256], backup[320], outside[320], rel[64];
	jobs_client *c;
	jobs_backup_info *info;
	jobs_check_info *ci;
	jobs_call call = {0};
	struct stat sb;

	cr_assert(jobsd_start(&d, NULL, NULL));
	snprintf(dir, sizeof dir, "%s", d.dir);
	/* The default backup folder: backups/ beside the database, 0700. */
	snprintf(backup, sizeof backup, "%s/backups/copy.db", dir);
	l.url = d.url;
	start_writers(&l, t, w);
	wait_acked(&l, 50); /* the backup runs while they write */
	cr_assert_eq(jobs_client_open(&c, d.url, NULL, &call), JOBS_OK, "%s", call.message);
	cr_assert_eq(jobs_backup(c, &call, "copy.db", &info), JOBS_OK, "%s", call.message);
	int64_t in_backup = info->jobs;
	cr_assert_gt(in_backup, 0);
	cr_assert_str_eq(info->path, backup);
	jobs_backup_info_free(info);
	cr_assert_eq(stat(backup, &sb), 0);
	cr_assert_eq(stat(dirname(backup), &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0700, "the backup folder is private: %o", sb.st_mode);
	snprintf(backup, sizeof backup, "%s/backups/copy.db", dir);
	cr_assert_eq(jobs_backup(c, &call, "copy.db", &info), JOBS_FAILED_PRECONDITION,
	             "an existing file is never overwritten");
	snprintf(outside, sizeof outside, "%s/outside.db", dir);
	cr_assert_eq(jobs_backup(c, &call, outside, &info), JOBS_PERMISSION_DENIED);
	cr_assert_eq(jobs_backup(c, &call, "../outside.db", &info), JOBS_PERMISSION_DENIED);
	cr_assert_neq(stat(outside, &sb), 0, "nothing written outside the backup folder");
	join_writers(&l, t);
	cr_assert_eq(l.other_codes + l.open_failures, 0);
	cr_assert_eq(jobs_check(c, &call, &ci), JOBS_OK, "%s", call.message);
	cr_assert(ci->ok);
	cr_assert_eq(ci->n_problems, 0);
	cr_assert_geq(ci->jobs, in_backup);
	jobs_check_info_free(ci);
	jobs_client_close(c);
	cr_assert(integrity_ok(backup), "the backup is a sound database");

	/* jobsctl sends the name as given: it lands in jobsd's backup folder,
	 * never where jobsctl runs. */
	const char *bk[] = {JOBSCTL_PATH, "--server", d.url, "backup", rel, NULL};
	const char *ck[] = {JOBSCTL_PATH, "--server", d.url, "--json", "check", NULL};
	snprintf(rel, sizeof rel, "rel-%d.db", (int)getpid());
	struct run r = run_cmd(bk, NULL, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "backed up") != NULL, "%s", r.out);
	run_free(&r);
	cr_assert_neq(stat(rel, &sb), 0, "nothing written where jobsctl runs");
	char in_folder[400];
	snprintf(in_folder, sizeof in_folder, "%s/backups/%s", dir, rel);
	cr_assert_eq(stat(in_folder, &sb), 0, "written in the backup folder");
	/* Outside the folder: PERMISSION_DENIED, exit status 6. */
	snprintf(rel, sizeof rel, "../escape-%d.db", (int)getpid());
	r = run_cmd(bk, NULL, NULL);
	cr_assert_eq(r.status, 6, "%d %s", r.status, r.err);
	cr_assert(strstr(r.err, "PERMISSION_DENIED") != NULL, "%s", r.err);
	run_free(&r);
	r = run_cmd(ck, NULL, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"ok\": true") != NULL, "%s", r.out);
	run_free(&r);

	/* Restore is refused while jobsd uses the database. */
	const char *restore[] = {JOBSD_PATH, "--db", d.db, "--restore", "copy.db", NULL};
	r = run_cmd(restore, NULL, NULL);
	cr_assert_neq(r.status, 0);
	cr_assert(strstr(r.err, "another jobsd") != NULL, "%s", r.err);
	run_free(&r);
	cr_assert_eq(jobsd_cleanup(&d), 0);
	free(l.acked);
}

Test(faults, restore_replaces_the_database_and_keeps_the_old_one)
{
	struct jobsd d;
	char dir[256], *log;
	jobs_client *c;
	jobs_backup_info *info;
	jobs_call call = {0};
	jobs_job a = {.id = "before-backup", .job_name = "a"},
	         b = {.id = "after-backup", .job_name = "b"};

	cr_assert(jobsd_start(&d, NULL, NULL));
	snprintf(dir, sizeof dir, "%s", d.dir);
	cr_assert_eq(jobs_client_open(&c, d.url, NULL, &call), JOBS_OK);
	cr_assert_eq(jobs_create_job(c, &call, &a, NULL), JOBS_OK);
	cr_assert_eq(jobs_backup(c, &call, "copy.db", &info), JOBS_OK, "%s", call.message);
	char *printed = strdup(info->path);
	jobs_backup_info_free(info);
	cr_assert_eq(jobs_create_job(c, &call, &b, NULL), JOBS_OK);
	jobs_client_close(c);
	cr_assert_eq(jobsd_stop(&d, SIGTERM), 0);

	/* The absolute path Backup answered with is inside the folder: taken. */
	const char *restore[] = {JOBSD_PATH, "--db", d.db, "--restore", printed, NULL};
	struct run r = run_cmd(restore, NULL, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "restored") != NULL, "%s", r.err);
	run_free(&r);
	free(printed);
	const char *ls[] = {"/bin/sh", "-c", "ls \"$0\" | grep -c before-restore", dir, NULL};
	r = run_cmd(ls, NULL, NULL);
	cr_assert_eq(atoi(r.out), 1, "the replaced database is kept: %s", r.out);
	run_free(&r);

	cr_assert(jobsd_start(&d, dir, NULL));
	cr_assert_eq(jobs_client_open(&c, d.url, NULL, &call), JOBS_OK);
	cr_assert_eq(jobs_get_job(c, &call, "before-backup", NULL), JOBS_OK);
	cr_assert_eq(jobs_get_job(c, &call, "after-backup", NULL), JOBS_NOT_FOUND);
	jobs_client_close(c);
	cr_assert_eq(jobsd_stop(&d, SIGTERM), 0);

	/* A restore reads only from the backup folder: a sound backup outside
	 * it, or reached by "..", is refused and nothing changes. */
	char outside[320];
	snprintf(outside, sizeof outside, "%s/outside.db", dir);
	const char *cp[] = {"/bin/cp", d.db, outside, NULL};
	r = run_cmd(cp, NULL, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	const char *abs[] = {JOBSD_PATH, "--db", d.db, "--restore", outside, NULL};
	r = run_cmd(abs, NULL, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "not inside the backup folder") != NULL, "%s", r.err);
	run_free(&r);
	const char *up[] = {JOBSD_PATH, "--db", d.db, "--restore", "../outside.db", NULL};
	r = run_cmd(up, NULL, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "not inside the backup folder") != NULL, "%s", r.err);
	run_free(&r);

	/* A file that is not a jobs database is refused, and nothing changes. */
	char junk[320];
	snprintf(junk, sizeof junk, "%s/backups/junk.db", dir);
	FILE *f = fopen(junk, "w");
	fputs("not a database", f);
	fclose(f);
	const char *bad[] = {JOBSD_PATH, "--db", d.db, "--restore", "junk.db", NULL};
	r = run_cmd(bad, NULL, NULL);
	cr_assert_eq(r.status, 1);
	log = r.err;
	cr_assert(strstr(log, "not a sound jobs database") != NULL, "%s", log);
	run_free(&r);
	tmpdir_remove(dir);
}

/* On PostgreSQL, backups and restores are the server's own tools' job: jobsd
 * says which, and Check runs amcheck and the counters instead. */
Test(faults_pg, backup_and_restore_name_postgresqls_tools, .timeout = 60)
{
	struct jobsd d;
	struct run r;

	cr_assert(jobsd_start(&d, NULL, NULL));
	const char *bk[] = {JOBSCTL_PATH, "--server", d.url, "backup", "copy.db", NULL};
	r = run_cmd(bk, NULL, NULL);
	cr_assert_eq(r.status, 4, "FAILED_PRECONDITION is exit status 4: %d %s", r.status, r.err);
	cr_assert(strstr(r.err, "FAILED_PRECONDITION") != NULL, "%s", r.err);
	cr_assert(strstr(r.err, "pg_dump") != NULL && strstr(r.err, "pg_basebackup") != NULL, "%s",
	          r.err);
	run_free(&r);
	const char *ck[] = {JOBSCTL_PATH, "--server", d.url, "--json", "check", NULL};
	r = run_cmd(ck, NULL, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"ok\": true") != NULL, "%s", r.out);
	run_free(&r);
	cr_assert_eq(jobsd_stop(&d, SIGTERM), 0);
	const char *restore[] = {JOBSD_PATH, "--db", d.db, "--restore", "copy.db", NULL};
	r = run_cmd(restore, NULL, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, "pg_restore") != NULL, "%s", r.err);
	run_free(&r);
	cr_assert_eq(jobsd_cleanup(&d), 0);
}

Test(faults, check_reports_a_damaged_database, .timeout = 60)
{
	struct jobsd d;
	char dir[256], db[300];
	FILE *f;

	snprintf(dir, sizeof dir, "%s", tmpdir_make());
	snprintf(db, sizeof db, "%s/jobs.db", dir);
	fill(db, 3000, 300);
	/* Scribble over pages in the middle of the file, past the schema. */
	cr_assert_not_null(f = fopen(db, "r+b"));
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	for (long at = size / 3; at < size / 3 + 4096 * 4; at += 512) {
		fseek(f, at, SEEK_SET);
		fwrite("\xde\xad\xbe\xef garbage garbage garbage", 1, 28, f);
	}
	fclose(f);
	cr_assert(jobsd_start(&d, dir, NULL));
	const char *ck[] = {JOBSCTL_PATH, "--server", d.url, "check", NULL};
	struct run r = run_cmd(ck, NULL, NULL);
	cr_assert_eq(r.status, 1, "damage is exit status 1: %s %s", r.out, r.err);
	cr_assert(strncmp(r.out, "DAMAGED", 7) == 0, "out: %s err: %s", r.out, r.err);
	run_free(&r);
	jobsd_cleanup(&d);
}

/* ---- races and deadlines ------------------------------------------------------- */

struct racer {
	const char *url;
	int wins, conflicts, other;
};

/* Read-modify-write of a counter kept in the job's hook, guarded by the etag:
 * the classic lost-update race, which expected_etag must prevent. */
static void *
race(void *arg)
{
	struct racer *r = arg;
	jobs_client *c;
	jobs_call call = {0};

	cr_assert_eq(jobs_client_open(&c, r->url, NULL, &call), JOBS_OK);
	while (r->wins < 100) {
		jobs_job *cur;
		char next[32];

		if (jobs_get_job(c, &call, "contended", &cur) != JOBS_OK) {
			r->other++;
			break;
		}
		snprintf(next, sizeof next, "%ld", strtol(cur->hook, NULL, 10) + 1);
		jobs_job change = {.id = "contended", .hook = next, .fields = JOBS_FIELD_HOOK};
		int rv = jobs_update_job(c, &call, &change, cur->etag, NULL);
		if (rv == JOBS_OK)
			r->wins++;
		else if (rv == JOBS_ABORTED)
			r->conflicts++;
		else
			r->other++;
		jobs_job_free(cur);
	}
	jobs_client_close(c);
	return NULL;
}

Test(faults, two_clients_racing_on_one_job_lose_no_update, .timeout = 120)
{
	struct jobsd d;
	struct racer r[2] = {{0}};
	pthread_t t[2];
	jobs_client *c;
	jobs_job *final, start = {.id = "contended", .job_name = "contended", .hook = "0"};
	jobs_call call = {0};

	cr_assert(jobsd_start(&d, NULL, NULL));
	cr_assert_eq(jobs_client_open(&c, d.url, NULL, &call), JOBS_OK);
	cr_assert_eq(jobs_create_job(c, &call, &start, NULL), JOBS_OK);
	for (int i = 0; i < 2; i++) {
		r[i].url = d.url;
		pthread_create(&t[i], NULL, race, &r[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(r[0].other + r[1].other, 0);
	cr_assert_eq(jobs_get_job(c, &call, "contended", &final), JOBS_OK);
	cr_assert_eq(strtol(final->hook, NULL, 10), r[0].wins + r[1].wins,
	             "every successful update counted once: %s vs %d", final->hook,
	             r[0].wins + r[1].wins);
	cr_log_info("race: %d + %d updates, %d + %d conflicts (ABORTED)", r[0].wins, r[1].wins,
	            r[0].conflicts, r[1].conflicts);
	jobs_job_free(final);
	jobs_client_close(c);
	cr_assert_eq(jobsd_cleanup(&d), 0);
}

Test(faults, work_already_late_is_not_started, .timeout = 60)
{
	struct jobsd d;
	jobs_client_options once = {.max_attempts = 1};
	jobs_client *c;
	jobs_job j = {.id = "too-late", .job_name = "too late"};
	jobs_call call = {.timeout_ms = 200};
	int st;

	cr_assert(jobsd_start(&d, NULL, NULL));
	cr_assert_eq(jobs_client_open(&c, d.url, &once, NULL), JOBS_OK);
	kill(d.pid, SIGSTOP);
	cr_assert_eq(waitpid(d.pid, &st, WUNTRACED), d.pid);
	/* Sent with a 200 ms deadline to a server that cannot run for 600 ms. */
	cr_assert_eq(jobs_create_job(c, &call, &j, NULL), JOBS_DEADLINE_EXCEEDED, "%s",
	             call.message);
	usleep(400 * 1000);
	kill(d.pid, SIGCONT);
	call = (jobs_call){0};
	cr_assert_eq(jobs_get_job(c, &call, "too-late", NULL), JOBS_NOT_FOUND,
	             "the late create must not have run");
	jobs_client_close(c);
	cr_assert_eq(jobsd_cleanup(&d), 0);
}

/* SQLite's: --backup-dir moves the folder Backup writes into and --restore reads
 * from: made 0700 when missing, and still nothing outside it. */
Test(faults_sqlite, backup_dir_is_the_only_folder_backup_and_restore_use)
{
	struct jobsd d;
	char dir[256], folder[320], want[400], beside[400];
	const char *extra[] = {"--backup-dir", folder, NULL};
	jobs_client *c;
	jobs_backup_info *info;
	jobs_call call = {0};
	jobs_job a = {.id = "kept", .job_name = "a"};
	struct stat sb;

	snprintf(dir, sizeof dir, "%s", tmpdir_make());
	snprintf(folder, sizeof folder, "%s/elsewhere/saved", dir);
	cr_assert(jobsd_start(&d, dir, extra));
	cr_assert_eq(jobs_client_open(&c, d.url, NULL, &call), JOBS_OK);
	cr_assert_eq(jobs_create_job(c, &call, &a, NULL), JOBS_OK);
	cr_assert_eq(jobs_backup(c, &call, "copy.db", &info), JOBS_OK, "%s", call.message);
	snprintf(want, sizeof want, "%s/copy.db", folder);
	cr_assert_str_eq(info->path, want);
	jobs_backup_info_free(info);
	cr_assert_eq(stat(folder, &sb), 0, "%s", strerror(errno));
	cr_assert_eq(sb.st_mode & 0777, 0700, "the folder is %o", sb.st_mode & 0777);
	snprintf(beside, sizeof beside, "%s/backups/copy.db", dir);
	cr_assert_neq(stat(beside, &sb), 0, "the default folder was used");
	cr_assert_eq(jobs_backup(c, &call, "../out.db", NULL), JOBS_PERMISSION_DENIED);
	cr_assert_eq(jobs_backup(c, &call, beside, NULL), JOBS_PERMISSION_DENIED);
	jobs_client_close(c);
	cr_assert_eq(jobsd_stop(&d, SIGTERM), 0);

	/* --restore takes a name in that folder, and only there. */
	const char *restore[] = {JOBSD_PATH, "--db",      d.db,      "--backup-dir",
	                         folder,     "--restore", "copy.db", NULL};
	struct run r = run_cmd(restore, NULL, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	const char *other[] = {JOBSD_PATH, "--db", d.db, "--restore", "copy.db", NULL};
	r = run_cmd(other, NULL, NULL);
	cr_assert_eq(r.status, 1, "found in the default folder: %s", r.err);
	run_free(&r);
	tmpdir_remove(dir);
}
