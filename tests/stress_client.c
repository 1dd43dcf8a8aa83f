/*
 * stress_client.c: libjobsclient under ThreadSanitizer. Criterion's runner
 * cannot start under TSan here (its shared arena does not map beside TSan's
 * shadow memory), so this is a plain program: ctest runs it under the
 * suite's ASan build, and tools/test.sh builds it and jobsd with
 * -fsanitize=thread (build-tsan/) and runs it there too.
 *
 *   stress_client JOBSD_PATH
 *
 * It starts jobsd on an ipc socket in a temporary folder, then 8 threads
 * share one client, each round starting 8 asynchronous GetJobs (callbacks
 * and a queue), cancelling some, making a blocking call; meanwhile jobsd is
 * killed (-9) and started again, and a second client is closed from one of
 * its own callbacks. Every call must complete exactly once with an expected
 * code. Exit 0, or 1 with what went wrong; TSan adds its reports.
 */
#include "internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 8
#define ROUNDS  40

static const char *jobsd_path;
static char dir[256], url[300], db[300];
static atomic_int started, completed, bad;

static pid_t
jobsd_start(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl(jobsd_path, jobsd_path, "--db", db, "--listen", url, "--no-legacy-migration",
		      (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void
check(const jobs_call *call)
{
	if (call->code != JOBS_OK && call->code != JOBS_NOT_FOUND &&
	    call->code != JOBS_UNAVAILABLE && call->code != JOBS_CANCELLED &&
	    call->code != JOBS_DEADLINE_EXCEEDED) {
		fprintf(stderr, "stress_client: unexpected %s: %s\n", jobs_code_name(call->code),
		        call->message);
		atomic_fetch_add(&bad, 1);
	}
	atomic_fetch_add(&completed, 1);
}

/* A callback's completion: counted for its thread (call->data). */
static void
done(jobs_call *call)
{
	check(call);
	atomic_fetch_add((atomic_int *)call->data, 1);
}

static void *
worker(void *arg)
{
	jobs_client *c = arg;
	atomic_int callbacks = 0; /* of this thread's calls */
	jobs_queue *q;

	if (jobs_queue_open(&q) != JOBS_OK)
		return NULL;
	for (int round = 0; round < ROUNDS; round++) {
		jobs_call calls[8];
		jobs_job *jobs[8] = {0};
		int queued = 0, called = 0, before = atomic_load(&callbacks);

		for (int i = 0; i < 8; i++) {
			calls[i] = (jobs_call){.timeout_ms = 500, .data = &callbacks};
			if (i % 2)
				calls[i].queue = q;
			else
				calls[i].done = done;
			if (jobs_get_job_async(c, &calls[i], "stress", &jobs[i]) == JOBS_OK) {
				atomic_fetch_add(&started, 1);
				queued += i % 2;
				called += i % 2 == 0;
			}
		}
		for (int i = round % 3; i < 8; i += 3)
			jobs_cancel(&calls[i]);
		jobs_health(c, &(jobs_call){.timeout_ms = 500}, NULL);
		for (; queued > 0; queued--) {
			jobs_call *got = jobs_queue_next(q, 5000);

			if (got == NULL) {
				fprintf(stderr, "stress_client: a queued call never completed\n");
				atomic_fetch_add(&bad, 1);
				break;
			}
			check(got);
		}
		/* The callbacks of this round, before calls[] is used again. */
		for (int n = 0; atomic_load(&callbacks) - before < called; n++) {
			if (n == 5000) {
				fprintf(stderr, "stress_client: a callback never came\n");
				abort();
			}
			usleep(1000);
		}
		for (int i = 0; i < 8; i++)
			jobs_job_free(jobs[i]);
	}
	jobs_queue_close(q);
	return NULL;
}

static jobs_client *closer;
static atomic_bool closed;

static void
close_own(jobs_call *call)
{
	(void)call;
	jobs_client_close(closer);
	atomic_store(&closed, true);
}

int
main(int argc, char **argv)
{
	jobs_client_options o = {.lazy_connect = true};
	jobs_call call = {0}, last = {.done = close_own};
	pthread_t t[THREADS];
	jobs_client *c;
	pid_t pid;
	int status;

	if (argc != 2) {
		fprintf(stderr, "usage: stress_client JOBSD_PATH\n");
		return 2;
	}
	jobsd_path = argv[1];
	snprintf(dir, sizeof dir, "%s/stress-client-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(url, sizeof url, "ipc://%s/s", dir);
	snprintf(db, sizeof db, "%s/jobs.db", dir);
	setenv("HOME", dir, 1);
	pid = jobsd_start();
	if (jobs_client_open(&c, url, &o, &call) != JOBS_OK ||
	    jobs_client_open(&closer, url, &o, &call) != JOBS_OK) {
		fprintf(stderr, "stress_client: %s\n", call.message);
		return 1;
	}
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, c);
	usleep(300 * 1000);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	usleep(200 * 1000);
	pid = jobsd_start();
	if (jobs_health_async(closer, &last, NULL) != JOBS_OK)
		atomic_store(&closed, true);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int n = 0; !atomic_load(&closed) && n < 10000; n++)
		usleep(1000);
	jobs_client_close(c);
	for (int n = 0; client_live_count() > 0 && n < 5000; n++)
		usleep(1000);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	{
		char rm[400];

		snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
		if (system(rm) != 0)
			fprintf(stderr, "stress_client: could not remove %s\n", dir);
	}
	if (atomic_load(&bad) > 0 || atomic_load(&completed) != atomic_load(&started) ||
	    client_live_count() != 0 || !atomic_load(&closed)) {
		fprintf(stderr, "stress_client: %d bad, %d of %d completed, %d clients alive\n",
		        atomic_load(&bad), atomic_load(&completed), atomic_load(&started),
		        client_live_count());
		return 1;
	}
	printf("stress_client: %d calls, every one completed once\n", atomic_load(&started));
	return 0;
}
