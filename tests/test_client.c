/*
 * test_client.c: libjobsclient's asynchronous calls and its transport,
 * against real jobsd processes: completions by callback and by queue (and
 * its fd), cancellation, deadlines, closing with calls in flight and from a
 * callback, a list of servers of which one dies and comes back, retries
 * that keep their request_id, and a stress of many threads while the server
 * is killed under them. ASan watches every test for leaks.
 */
#include "helpers.h"
#include "internal.h"

#include <criterion/criterion.h>
#include <nng/protocol/reqrep0/rep.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct jobsd d;
static jobs_client *c;

static void
start(void)
{
	jobs_call call = {0};

	cr_assert(jobsd_start(&d, NULL, NULL));
	cr_assert_eq(jobs_client_open(&c, d.url, NULL, &call), JOBS_OK, "%s", call.message);
}

static void
stop(void)
{
	jobs_client_close(c);
	c = NULL;
	cr_assert_eq(jobsd_cleanup(&d), 0, "jobsd must exit 0 at SIGTERM");
}

TestSuite(async, .init = start, .fini = stop, .timeout = 60);

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
make_job(const char *id)
{
	jobs_job in = {.id = (char *)id, .job_name = "async"};
	jobs_call call = {0};

	cr_assert_eq(jobs_create_job(c, &call, &in, NULL), JOBS_OK, "%s", call.message);
}

/* Counts completions and lets a test wait for a number of them. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int n;
} done_count = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

static void
count_done(jobs_call *call)
{
	(void)call;
	pthread_mutex_lock(&done_count.mu);
	done_count.n++;
	pthread_cond_broadcast(&done_count.cv);
	pthread_mutex_unlock(&done_count.mu);
}

/* How long a test waits for something that should happen: generous, since
 * the machine may be busy; a wait that runs out fails the test saying what
 * it waited for. */
#define WAIT_MS 30000

/* Waits until `n` completions were counted (at most WAIT_MS); returns how
 * many. */
static int
wait_done(int n)
{
	int64_t until = now_ms() + (n > 0 ? WAIT_MS : 0);
	int got;

	pthread_mutex_lock(&done_count.mu);
	while (done_count.n < n && now_ms() < until) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&done_count.cv, &done_count.mu, &ts);
	}
	got = done_count.n;
	pthread_mutex_unlock(&done_count.mu);
	return got;
}

/* Fails the test unless `n` completions come within WAIT_MS. */
static void
assert_done(int n)
{
	int got = wait_done(n);

	cr_assert_eq(got, n, "%d of %d completions came within %d s", got, n, WAIT_MS / 1000);
}

/* Waits until every client is freed (a close from a callback frees later). */
static void
assert_clients_freed(int expected)
{
	int64_t until = now_ms() + WAIT_MS;

	while (client_live_count() != expected && now_ms() < until)
		usleep(5000);
	cr_assert_eq(client_live_count(), expected, "%d clients alive after %d s, expected %d",
	             client_live_count(), WAIT_MS / 1000, expected);
}

Test(async, a_call_completes_through_its_callback)
{
	jobs_call call = {.done = count_done};
	jobs_job *job = NULL;

	make_job("cb-1");
	cr_assert_eq(jobs_get_job_async(c, &call, "cb-1", &job), JOBS_OK, "%s", call.message);
	assert_done(1);
	cr_assert_eq(call.code, JOBS_OK, "%s", call.message);
	cr_assert_eq(call.attempts, 1);
	cr_assert_not_null(job);
	cr_assert_str_eq(job->job_name, "async");
	jobs_job_free(job);

	/* A failure completes too, with its code and message. */
	call = (jobs_call){.done = count_done};
	cr_assert_eq(jobs_get_job_async(c, &call, "nope", &job), JOBS_OK);
	assert_done(2);
	cr_assert_eq(call.code, JOBS_NOT_FOUND);
	cr_assert(strstr(call.message, "nope") != NULL, "%s", call.message);
	cr_assert_null(job);
}

Test(async, a_queue_collects_completions_and_its_fd_says_when)
{
	enum { N = 64 };
	static jobs_call calls[N];
	static jobs_job *jobs[N];
	jobs_queue *q;
	struct pollfd p;
	int got = 0, ok = 0;

	make_job("q-1");
	cr_assert_eq(jobs_queue_open(&q), JOBS_OK);
	p = (struct pollfd){.fd = jobs_queue_fd(q), .events = POLLIN};
	cr_assert_geq(p.fd, 0);
	cr_assert_eq(poll(&p, 1, 0), 0, "an empty queue does not poll readable");
	for (int i = 0; i < N; i++) {
		calls[i] = (jobs_call){.queue = q, .data = &jobs[i]};
		cr_assert_eq(jobs_get_job_async(c, &calls[i], i % 2 ? "q-1" : "none", &jobs[i]),
		             JOBS_OK, "%s", calls[i].message);
	}
	while (got < N) {
		jobs_call *done;

		cr_assert_eq(poll(&p, 1, 10000), 1, "completions make the fd readable");
		while ((done = jobs_queue_next(q, 0)) != NULL) {
			jobs_job **out = done->data;

			cr_assert(done >= calls && done < calls + N);
			cr_assert_eq(done->code, (done - calls) % 2 ? JOBS_OK : JOBS_NOT_FOUND,
			             "%s", done->message);
			ok += done->code == JOBS_OK;
			cr_assert_eq(*out != NULL, done->code == JOBS_OK);
			jobs_job_free(*out);
			got++;
		}
	}
	cr_assert_eq(ok, N / 2);
	cr_assert_eq(poll(&p, 1, 0), 0, "a drained queue does not poll readable");
	cr_assert_null(jobs_queue_next(q, 20), "nothing more comes");
	jobs_queue_close(q);
}

Test(async, a_deadline_already_past_sends_nothing_and_never_completes)
{
	struct timespec ts;
	jobs_call call = {.done = count_done};
	jobs_job *job = (jobs_job *)&call; /* anything but NULL */

	clock_gettime(CLOCK_REALTIME, &ts);
	call.deadline_ms = (int64_t)ts.tv_sec * 1000 - 1500;
	cr_assert_eq(jobs_get_job_async(c, &call, "x", &job), JOBS_DEADLINE_EXCEEDED);
	cr_assert_eq(call.code, JOBS_DEADLINE_EXCEEDED);
	cr_assert(strstr(call.message, "nothing was sent") != NULL, "%s", call.message);
	cr_assert_null(job);
	usleep(50 * 1000);
	cr_assert_eq(wait_done(0), 0, "a call that did not start never completes");

	/* The blocking form says the same. */
	call = (jobs_call){.deadline_ms = (int64_t)ts.tv_sec * 1000 - 1};
	cr_assert_eq(jobs_get_job(c, &call, "x", NULL), JOBS_DEADLINE_EXCEEDED);
	cr_assert_eq(call.attempts, 0);
}

Test(async, an_async_call_needs_somewhere_to_complete)
{
	jobs_queue *q;
	jobs_call call = {0};

	cr_assert_eq(jobs_get_job_async(c, NULL, "x", NULL), JOBS_INVALID_ARGUMENT);
	cr_assert_eq(jobs_get_job_async(c, &call, "x", NULL), JOBS_INVALID_ARGUMENT);
	cr_assert(strstr(call.message, "call->done") != NULL, "%s", call.message);
	cr_assert_eq(jobs_queue_open(&q), JOBS_OK);
	call = (jobs_call){.done = count_done, .queue = q};
	cr_assert_eq(jobs_get_job_async(c, &call, "x", NULL), JOBS_INVALID_ARGUMENT);
	call = (jobs_call){.done = count_done};
	cr_assert_eq(jobs_get_job_async(NULL, &call, "x", NULL), JOBS_INVALID_ARGUMENT);
	call = (jobs_call){.done = count_done, .timeout_ms = -5};
	cr_assert_eq(jobs_get_job_async(c, &call, "x", NULL), JOBS_INVALID_ARGUMENT);
	jobs_queue_close(q);
	cr_assert_eq(wait_done(0), 0);
}

Test(async, cancel_ends_a_call_at_once)
{
	jobs_call call = {.done = count_done, .timeout_ms = 20000};
	int st;
	int64_t t0;

	kill(d.pid, SIGSTOP); /* the call waits for an answer that will not come */
	cr_assert_eq(waitpid(d.pid, &st, WUNTRACED), d.pid);
	t0 = now_ms();
	cr_assert_eq(jobs_health_async(c, &call, NULL), JOBS_OK);
	usleep(50 * 1000);
	jobs_cancel(&call);
	assert_done(1);
	cr_assert_lt(now_ms() - t0, 10000, "cancelled after %lld ms, long before its 20 s timeout",
	             (long long)(now_ms() - t0));
	cr_assert_eq(call.code, JOBS_CANCELLED, "%s", call.message);
	cr_assert(strstr(call.message, "cancelled") != NULL, "%s", call.message);
	jobs_cancel(&call); /* over: a no-op */
	kill(d.pid, SIGCONT);
}

Test(async, close_cancels_the_calls_in_flight_first)
{
	enum { N = 8 };
	static jobs_call calls[N];
	jobs_client *other;
	jobs_call call = {0};
	int st;

	cr_assert_eq(jobs_client_open(&other, d.url, NULL, &call), JOBS_OK);
	kill(d.pid, SIGSTOP);
	cr_assert_eq(waitpid(d.pid, &st, WUNTRACED), d.pid);
	for (int i = 0; i < N; i++) {
		calls[i] = (jobs_call){.done = count_done, .timeout_ms = 20000};
		cr_assert_eq(jobs_health_async(other, &calls[i], NULL), JOBS_OK);
	}
	jobs_client_close(other); /* returns after every completion returned */
	cr_assert_eq(wait_done(0), N, "every call completed before close returned");
	for (int i = 0; i < N; i++) {
		cr_assert_eq(calls[i].code, JOBS_CANCELLED);
		cr_assert(strstr(calls[i].message, "closed") != NULL, "%s", calls[i].message);
	}
	assert_clients_freed(1);
	kill(d.pid, SIGCONT);
}

/* A callback that closes its own client, then tries to use it. */
static struct {
	jobs_client *c;
	int code_after_close;
	char message_after_close[256];
} closer;

static void
close_from_callback(jobs_call *call)
{
	jobs_call again = {.done = count_done};

	(void)call;
	jobs_client_close(closer.c);
	/* Still valid memory until this callback returns, and closed. */
	closer.code_after_close = jobs_health_async(closer.c, &again, NULL);
	snprintf(closer.message_after_close, sizeof closer.message_after_close, "%s",
	         again.message);
	count_done(call);
}

Test(async, a_callback_may_close_its_own_client)
{
	jobs_call call = {0}, first = {.done = close_from_callback};

	cr_assert_eq(jobs_client_open(&closer.c, d.url, NULL, &call), JOBS_OK);
	cr_assert_eq(jobs_health_async(closer.c, &first, NULL), JOBS_OK);
	assert_done(1);
	cr_assert_eq(first.code, JOBS_OK, "%s", first.message);
	cr_assert_eq(closer.code_after_close, JOBS_CANCELLED);
	cr_assert(strstr(closer.message_after_close, "closed") != NULL, "%s",
	          closer.message_after_close);
	assert_clients_freed(1);
}

Test(async, a_callback_closing_a_client_with_other_calls_in_flight)
{
	enum { N = 6 };
	static jobs_call calls[N];
	jobs_call call = {0};
	int st;

	cr_assert_eq(jobs_client_open(&closer.c, d.url, NULL, &call), JOBS_OK);
	kill(d.pid, SIGSTOP);
	cr_assert_eq(waitpid(d.pid, &st, WUNTRACED), d.pid);
	for (int i = 1; i < N; i++) {
		calls[i] = (jobs_call){.done = count_done, .timeout_ms = 20000};
		cr_assert_eq(jobs_health_async(closer.c, &calls[i], NULL), JOBS_OK);
	}
	/* This one fails at once (bad deadline is refused; use a short timeout
	 * instead) and its callback closes the client under the others. */
	calls[0] = (jobs_call){.done = close_from_callback, .timeout_ms = 100};
	cr_assert_eq(jobs_health_async(closer.c, &calls[0], NULL), JOBS_OK);
	assert_done(N);
	cr_assert_eq(calls[0].code, JOBS_DEADLINE_EXCEEDED, "%s", calls[0].message);
	for (int i = 1; i < N; i++)
		cr_assert_eq(calls[i].code, JOBS_CANCELLED, "%s", calls[i].message);
	/* jobsd runs again once the client is gone: answers that arrive while
	 * a socket closes can make nng 1.5.2's close never end (sock.h). */
	assert_clients_freed(1);
	kill(d.pid, SIGCONT);
}

static int blocking_code;

static void
block_in_callback(jobs_call *call)
{
	blocking_code = jobs_health(c, NULL, NULL);
	count_done(call);
}

Test(async, a_callback_may_not_block)
{
	jobs_call call = {.done = block_in_callback};

	cr_assert_eq(jobs_health_async(c, &call, NULL), JOBS_OK);
	assert_done(1);
	cr_assert_eq(blocking_code, JOBS_FAILED_PRECONDITION);
}

/* A callback that starts the next call from inside the completion: a chain
 * on one op, as an event loop would run it. */
static atomic_int chain_left;

static void
chain(jobs_call *call)
{
	if (call->code == JOBS_OK && atomic_fetch_sub(&chain_left, 1) > 1 &&
	    jobs_health_async(c, call, NULL) == JOBS_OK)
		return;
	count_done(call);
}

Test(async, a_callback_may_start_the_next_call)
{
	jobs_call call = {.done = chain};

	atomic_store(&chain_left, 200);
	cr_assert_eq(jobs_health_async(c, &call, NULL), JOBS_OK);
	assert_done(1);
	cr_assert_eq(call.code, JOBS_OK, "%s", call.message);
	cr_assert_eq(atomic_load(&chain_left), 0);
}

Test(async, a_retry_sends_the_same_bytes_and_is_answered_once)
{
	/* Attempts of 300 ms, and enough of them to outlast the second that
	 * jobsd is stopped, with plenty to spare for a busy machine. */
	jobs_client_options o = {
	    .attempt_timeout_ms = 300, .max_attempts = 40, .timeout_ms = 60000};
	jobs_job in = {.job_name = "once"}, *made = NULL;
	jobs_client *cl;
	jobs_call call = {0};
	jobs_job_page *page;
	jobs_list_query q = {.page_size = 10};
	int st;

	cr_assert_eq(jobs_client_open(&cl, d.url, &o, &call), JOBS_OK);
	/* jobsd takes the create, and its repeats, only when it runs again: it
	 * makes the job for the first copy and answers the others with that. */
	kill(d.pid, SIGSTOP);
	cr_assert_eq(waitpid(d.pid, &st, WUNTRACED), d.pid);
	call = (jobs_call){.done = count_done};
	cr_assert_eq(jobs_create_job_async(cl, &call, &in, &made), JOBS_OK);
	usleep(1000 * 1000); /* stopped for a while: the length of an outage, not a wait */
	kill(d.pid, SIGCONT);
	assert_done(1);
	cr_assert_eq(call.code, JOBS_OK, "%s", call.message);
	cr_assert_geq(call.attempts, 2, "sent again while jobsd was stopped");
	cr_assert_eq(jobs_list_jobs(cl, NULL, &q, &page), JOBS_OK);
	cr_assert_eq(page->n_jobs, 1, "one job, however many times it was sent");
	cr_assert_str_eq(page->jobs[0]->id, made->id);
	jobs_job_page_free(page);
	jobs_job_free(made);
	jobs_client_close(cl);
}

/* ---- several servers -------------------------------------------------------- */

TestSuite(servers, .timeout = 120);

/* Gets "only-a" `n` times through `cl`: counts OK (served by a, which has
 * it) and NOT_FOUND (served by b); any other code fails the test. */
static void
spread(jobs_client *cl, int n, int *from_a, int *from_b)
{
	*from_a = *from_b = 0;
	for (int i = 0; i < n; i++) {
		jobs_call call = {0};
		int rv = jobs_get_job(cl, &call, "only-a", NULL);

		cr_assert(rv == JOBS_OK || rv == JOBS_NOT_FOUND, "call %d: %s: %s", i,
		          jobs_code_name(rv), call.message);
		*(rv == JOBS_OK ? from_a : from_b) += 1;
	}
}

/* Puts the job "only-a" on the jobsd at `url`, so that spread() tells its
 * answers from another's. */
static void
mark_a(const char *url)
{
	jobs_job only = {.id = "only-a", .job_name = "on a"};
	jobs_client *ca;
	jobs_call call = {0};

	cr_assert_eq(jobs_client_open(&ca, url, NULL, &call), JOBS_OK, "%s", call.message);
	cr_assert_eq(jobs_create_job(ca, &call, &only, NULL), JOBS_OK, "%s", call.message);
	jobs_client_close(ca);
}

/* Waits until `cl` has calls served by a (with want_b, by b as well): open
 * returns once one server of the list is connected, and a server that came
 * back is dialled again after a backoff. */
static void
wait_served(jobs_client *cl, bool want_b)
{
	int64_t until = now_ms() + WAIT_MS;
	int from_a, from_b, a = 0, b = 0;

	while ((a == 0 || (want_b && b == 0)) && now_ms() < until) {
		spread(cl, 4, &from_a, &from_b);
		a += from_a;
		b += from_b;
		if (a == 0 || (want_b && b == 0))
			usleep(10 * 1000);
	}
	cr_assert_gt(a, 0, "no call was served by a within %d s", WAIT_MS / 1000);
	cr_assert(!want_b || b > 0, "no call was served by b within %d s", WAIT_MS / 1000);
}

Test(servers, calls_spread_a_dead_server_is_skipped_and_used_again_when_back)
{
	struct jobsd a, b;
	char list[700], adir[256];
	jobs_client *cl;
	jobs_call call = {0};
	int from_a, from_b, st;
	static jobs_call inflight[16];

	cr_assert(jobsd_start(&a, NULL, NULL));
	cr_assert(jobsd_start(&b, NULL, NULL));
	snprintf(adir, sizeof adir, "%s", a.dir);
	mark_a(a.url);

	snprintf(list, sizeof list, "%s, %s", a.url, b.url);
	cr_assert_eq(jobs_client_open(&cl, list, NULL, &call), JOBS_OK, "%s", call.message);
	wait_served(cl, true);
	spread(cl, 60, &from_a, &from_b);
	cr_assert_gt(from_a, 0, "a served some");
	cr_assert_gt(from_b, 0, "b served some");

	/* Calls in flight on a when it dies are carried over to b. */
	kill(a.pid, SIGSTOP);
	cr_assert_eq(waitpid(a.pid, &st, WUNTRACED), a.pid);
	for (int i = 0; i < 16; i++) {
		inflight[i] = (jobs_call){.done = count_done, .timeout_ms = WAIT_MS};
		cr_assert_eq(jobs_health_async(cl, &inflight[i], NULL), JOBS_OK);
	}
	usleep(100 * 1000); /* some of them sent to a, which holds them */
	cr_assert_eq(jobsd_stop(&a, SIGKILL), 128 + SIGKILL);
	assert_done(16);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(inflight[i].code, JOBS_OK, "%s", inflight[i].message);

	spread(cl, 40, &from_a, &from_b);
	cr_assert_eq(from_a, 0);
	cr_assert_eq(from_b, 40, "b serves every call while a is down");

	/* a comes back on the same socket: used again, no new client. */
	cr_assert(jobsd_start(&a, adir, NULL));
	wait_served(cl, false);
	jobs_client_close(cl);
	cr_assert_eq(jobsd_cleanup(&a), 0);
	cr_assert_eq(jobsd_cleanup(&b), 0);
}

/* nng 1.5.2 gives a dialer up for good when a new connection's first write
 * fails (a server that closed it at once). The client's watcher renews a
 * dialer that has had no connection for a while; here every dialer is
 * stopped at once, as if both servers had done that. */
Test(servers, a_dialer_that_gave_up_is_renewed)
{
	struct jobsd a, b;
	char list[700];
	jobs_client *cl;
	jobs_call call = {0};
	jobs_health_info *h;

	cr_assert(jobsd_start(&a, NULL, NULL));
	cr_assert(jobsd_start(&b, NULL, NULL));
	mark_a(a.url);
	snprintf(list, sizeof list, "%s,%s", a.url, b.url);
	cr_assert_eq(jobs_client_open(&cl, list, NULL, &call), JOBS_OK, "%s", call.message);
	for (int round = 0; round < 2; round++) {
		int64_t t0 = now_ms();

		client_stop_dialers(cl);
		call = (jobs_call){.timeout_ms = WAIT_MS};
		cr_assert_eq(jobs_health(cl, &call, &h), JOBS_OK, "round %d: %s", round,
		             call.message);
		jobs_health_info_free(h);
		cr_log_info("round %d: answered %lld ms after the dialers stopped", round,
		            (long long)(now_ms() - t0));
	}
	/* Both servers are used again, not only the first renewed. */
	wait_served(cl, true);
	jobs_client_close(cl);
	cr_assert_eq(jobsd_cleanup(&a), 0);
	cr_assert_eq(jobsd_cleanup(&b), 0);
}

Test(servers, a_silent_server_is_left_for_another_after_attempt_timeout)
{
	struct jobsd a, b;
	char list[700];
	/* 500 ms of silence makes a server silent: long enough for b to answer
	 * on a busy machine, and attempts enough that b's turn always comes. */
	jobs_client_options o = {
	    .attempt_timeout_ms = 500, .max_attempts = 10, .timeout_ms = WAIT_MS};
	jobs_client *cl;
	jobs_call call = {0};
	int st, retried = 0, calls = 0;

	cr_assert(jobsd_start(&a, NULL, NULL));
	cr_assert(jobsd_start(&b, NULL, NULL));
	mark_a(a.url);
	snprintf(list, sizeof list, "%s,%s", a.url, b.url);
	cr_assert_eq(jobs_client_open(&cl, list, &o, &call), JOBS_OK, "%s", call.message);
	wait_served(cl, true);
	kill(a.pid, SIGSTOP);
	cr_assert_eq(waitpid(a.pid, &st, WUNTRACED), a.pid);
	/* Calls are spread over both, so one goes to a soon: it is sent again,
	 * to b, once a has been silent for the attempt timeout. */
	while (retried == 0 && calls < 40) {
		call = (jobs_call){0};
		cr_assert_eq(jobs_health(cl, &call, NULL), JOBS_OK, "call %d: %s", calls,
		             call.message);
		retried += call.attempts > 1;
		calls++;
	}
	cr_assert_gt(retried, 0, "none of %d calls went to the stopped server first", calls);
	jobs_client_close(cl); /* before a runs again: see above */
	kill(a.pid, SIGCONT);
	cr_assert_eq(jobsd_cleanup(&a), 0);
	cr_assert_eq(jobsd_cleanup(&b), 0);
}

Test(servers, a_malformed_list_is_one_clear_line)
{
	static const struct {
		const char *list, *says;
	} bad[] = {
	    {"", "no server URL"},
	    {"ipc:///tmp/x,,ipc:///tmp/y", "empty entry (number 2)"},
	    {"ipc:///tmp/x,", "empty entry"},
	    {"127.0.0.1:7460", "did you mean tcp://127.0.0.1:7460?"},
	    {"ipc:///tmp/x, ipc:///tmp/x", "names ipc:///tmp/x twice"},
	    {"udp://127.0.0.1:1", "jobsd serves tcp://"},
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		jobs_client *cl = (jobs_client *)&bad; /* anything but NULL */
		jobs_call call = {0};

		cr_assert_eq(jobs_client_open(&cl, bad[i].list, NULL, &call), JOBS_INVALID_ARGUMENT,
		             "'%s': %s", bad[i].list, call.message);
		cr_assert_null(cl);
		cr_assert(strstr(call.message, bad[i].says) != NULL, "'%s': %s", bad[i].list,
		          call.message);
		cr_assert_null(strchr(call.message, '\n'));
	}
	assert_clients_freed(0);
}

Test(servers, opening_gives_up_on_a_stopped_server_within_the_timeout)
{
	struct jobsd a;
	jobs_client_options o = {.timeout_ms = 300};
	jobs_client *cl;
	jobs_call call = {0};
	int64_t t0;
	int st;

	cr_assert(jobsd_start(&a, NULL, NULL));
	kill(a.pid, SIGSTOP);
	cr_assert_eq(waitpid(a.pid, &st, WUNTRACED), a.pid);
	t0 = now_ms();
	cr_assert_eq(jobs_client_open(&cl, a.url, &o, &call), JOBS_UNAVAILABLE);
	/* Its 300 ms, not the default 5 s (3 s: slack for a busy machine). */
	cr_assert_lt(now_ms() - t0, 3300, "took %lld ms", (long long)(now_ms() - t0));
	cr_assert(strstr(call.message, "within 300 ms") != NULL, "%s", call.message);
	kill(a.pid, SIGCONT);
	/* Refused connections fail at once. */
	cr_assert_eq(jobsd_stop(&a, SIGTERM), 0);
	t0 = now_ms();
	cr_assert_eq(jobs_client_open(&cl, a.url, NULL, &call), JOBS_UNAVAILABLE);
	cr_assert_lt(now_ms() - t0, 3000, "took %lld ms, not at once", (long long)(now_ms() - t0));
	cr_assert_eq(jobsd_cleanup(&a), 0);
	assert_clients_freed(0);
}

/* ---- what a retry can cure ---------------------------------------------------- */

/* A server of the test's own on a rep0 socket: answers the first `refusals`
 * requests with `code` (and `retry_after_ms`), then OK to Health; counts
 * the requests and checks that each is the first one's bytes. */
struct scripted {
	nng_socket sock;
	char dir[256], url[300];
	int code, refusals;
	uint32_t retry_after_ms;
	atomic_int requests, differing;
	uint8_t first[1024];
	size_t first_len;
	pthread_t thread;
};

static void *
scripted_main(void *arg)
{
	struct scripted *s = arg;
	nng_msg *msg;

	while (nng_recvmsg(s->sock, &msg, 0) == 0) {
		Jobs__V1__Response resp = JOBS__V1__RESPONSE__INIT;
		Jobs__V1__HealthResponse health = JOBS__V1__HEALTH_RESPONSE__INIT;
		Jobs__V1__Request *req =
		    jobs__v1__request__unpack(NULL, nng_msg_len(msg), nng_msg_body(msg));
		int n = atomic_fetch_add(&s->requests, 1);
		size_t len = nng_msg_len(msg);

		if (n == 0 && len <= sizeof s->first) {
			memcpy(s->first, nng_msg_body(msg), len);
			s->first_len = len;
		} else if (len != s->first_len || memcmp(s->first, nng_msg_body(msg), len) != 0) {
			atomic_fetch_add(&s->differing, 1);
		}
		resp.request_id = req != NULL ? req->request_id : (char *)"";
		if (n < s->refusals) {
			resp.code = s->code;
			resp.message = (char *)"scripted refusal";
			resp.retry_after_ms = s->retry_after_ms;
		} else {
			resp.result_case = JOBS__V1__RESPONSE__RESULT_HEALTH;
			resp.health = &health;
		}
		nng_msg_clear(msg);
		nng_msg_realloc(msg, jobs__v1__response__get_packed_size(&resp));
		jobs__v1__response__pack(&resp, nng_msg_body(msg));
		jobs__v1__request__free_unpacked(req, NULL);
		if (nng_sendmsg(s->sock, msg, 0) != 0)
			nng_msg_free(msg);
	}
	return NULL;
}

static void
scripted_start(struct scripted *s, int code, uint32_t retry_after_ms, int refusals)
{
	int rv;

	s->code = code;
	s->retry_after_ms = retry_after_ms;
	s->refusals = refusals;
	snprintf(s->dir, sizeof s->dir, "%s", tmpdir_make());
	snprintf(s->url, sizeof s->url, "ipc://%s/scripted.sock", s->dir);
	cr_assert_eq(rv = nng_rep0_open(&s->sock), 0, "%s", nng_strerror(rv));
	cr_assert_eq(rv = nng_listen(s->sock, s->url, NULL, 0), 0, "%s: %s", s->url,
	             nng_strerror(rv));
	cr_assert_eq(pthread_create(&s->thread, NULL, scripted_main, s), 0);
}

static void
scripted_stop(struct scripted *s)
{
	nng_close(s->sock);
	pthread_join(s->thread, NULL);
	tmpdir_remove(s->dir);
}

Test(servers, an_overloaded_server_is_asked_again_after_its_pause)
{
	static struct scripted s;
	jobs_client_options o = {.max_attempts = 5};
	jobs_client *cl;
	jobs_call call = {0};
	int64_t t0;

	scripted_start(&s, JOBS_RESOURCE_EXHAUSTED, 150, 2);
	cr_assert_eq(jobs_client_open(&cl, s.url, &o, &call), JOBS_OK, "%s", call.message);
	t0 = now_ms();
	cr_assert_eq(jobs_health(cl, &call, NULL), JOBS_OK, "%s", call.message);
	cr_assert_geq(now_ms() - t0, 2 * 150, "each retry waited the server's 150 ms, took %lld",
	              (long long)(now_ms() - t0));
	cr_assert_eq(call.attempts, 3, "two refusals, then the answer");
	cr_assert_eq(atomic_load(&s.requests), 3);
	cr_assert_eq(atomic_load(&s.differing), 0, "every attempt is the same bytes");
	jobs_client_close(cl);
	scripted_stop(&s);
}

Test(servers, a_limit_no_retry_can_cure_fails_at_once)
{
	static struct scripted s;
	jobs_client_options o = {.max_attempts = 5};
	jobs_client *cl;
	jobs_call call = {0};

	/* RESOURCE_EXHAUSTED without retry_after_ms: a size limit. */
	scripted_start(&s, JOBS_RESOURCE_EXHAUSTED, 0, 100);
	cr_assert_eq(jobs_client_open(&cl, s.url, &o, &call), JOBS_OK, "%s", call.message);
	cr_assert_eq(jobs_health(cl, &call, NULL), JOBS_RESOURCE_EXHAUSTED, "%s", call.message);
	cr_assert_eq(call.attempts, 1, "sent once: %s", call.message);
	cr_assert(strstr(call.message, "scripted refusal") != NULL, "%s", call.message);
	cr_assert_eq(atomic_load(&s.requests), 1);
	jobs_client_close(cl);
	scripted_stop(&s);
}

/* ---- stress ------------------------------------------------------------------- */

/* Many threads share one client: blocking calls, async calls and
 * cancellations, while the server is killed and started again under them.
 * Every call completes exactly once, with a code from the expected set. */
struct stresser {
	jobs_client *c;
	int index;
	atomic_int started, completed, bad, callbacks;
};

static void
stress_check(struct stresser *s, const jobs_call *call)
{
	if (call->code != JOBS_OK && call->code != JOBS_NOT_FOUND &&
	    call->code != JOBS_UNAVAILABLE && call->code != JOBS_CANCELLED &&
	    call->code != JOBS_DEADLINE_EXCEEDED)
		atomic_fetch_add(&s->bad, 1);
	atomic_fetch_add(&s->completed, 1);
}

static void
stress_done(jobs_call *call)
{
	struct stresser *s = call->data;

	stress_check(s, call);
	atomic_fetch_add(&s->callbacks, 1);
}

static void *
stress_main(void *arg)
{
	struct stresser *s = arg;
	jobs_queue *q;

	if (jobs_queue_open(&q) != JOBS_OK)
		return NULL;
	for (int round = 0; round < 40; round++) {
		jobs_call calls[8];
		jobs_job *jobs[8] = {0};
		int started = 0, callbacks = 0;

		for (int i = 0; i < 8; i++) {
			calls[i] = (jobs_call){.timeout_ms = 500, .data = s};
			if (i % 2)
				calls[i].queue = q;
			else
				calls[i].done = stress_done;
			if (jobs_get_job_async(s->c, &calls[i], "stress", &jobs[i]) == JOBS_OK) {
				started |= 1 << i;
				atomic_fetch_add(&s->started, 1);
				callbacks += i % 2 == 0;
			}
		}
		if (round % 3 == s->index % 3)
			for (int i = 0; i < 8; i += 3)
				jobs_cancel(&calls[i]);
		{
			jobs_call b = {.timeout_ms = 500};
			int rv = jobs_health(s->c, &b, NULL);

			if (rv != JOBS_OK && rv != JOBS_UNAVAILABLE && rv != JOBS_DEADLINE_EXCEEDED)
				atomic_fetch_add(&s->bad, 1);
		}
		/* Collect this round's queued calls; wait for the callbacks. */
		for (int i = 1; i < 8; i += 2) {
			jobs_call *done;

			if (!(started & 1 << i))
				continue;
			if ((done = jobs_queue_next(q, WAIT_MS)) == NULL) {
				atomic_fetch_add(&s->bad, 1);
				continue;
			}
			stress_check(s, done);
		}
		for (int64_t until = now_ms() + WAIT_MS;
		     atomic_load(&s->callbacks) < callbacks && now_ms() < until;)
			usleep(1000);
		if (atomic_load(&s->callbacks) < callbacks)
			atomic_fetch_add(&s->bad, 1); /* a callback that never came */
		atomic_fetch_sub(&s->callbacks, callbacks);
		for (int i = 0; i < 8; i++)
			jobs_job_free(jobs[i]);
	}
	jobs_queue_close(q);
	return NULL;
}

Test(servers, many_threads_while_the_server_is_killed)
{
	enum { T = 8 };
	static struct stresser s[T];
	struct jobsd a;
	char dir[256];
	pthread_t t[T];
	jobs_client *cl;
	jobs_call call = {0};
	jobs_client_options o = {.lazy_connect = true};

	cr_assert(jobsd_start(&a, NULL, NULL));
	snprintf(dir, sizeof dir, "%s", a.dir);
	cr_assert_eq(jobs_client_open(&cl, a.url, &o, &call), JOBS_OK);
	for (int i = 0; i < T; i++) {
		s[i].c = cl;
		s[i].index = i;
		cr_assert_eq(pthread_create(&t[i], NULL, stress_main, &s[i]), 0);
	}
	/* Killed once calls are under way, down for a while, then back. */
	for (int64_t until = now_ms() + WAIT_MS; now_ms() < until;) {
		int started = 0;

		for (int i = 0; i < T; i++)
			started += atomic_load(&s[i].started);
		if (started >= T * 8)
			break;
		usleep(1000);
	}
	jobsd_stop(&a, SIGKILL);
	usleep(300 * 1000); /* the length of the outage, not a wait */
	cr_assert(jobsd_start(&a, dir, NULL));
	for (int i = 0; i < T; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < T; i++) {
		cr_assert_eq(atomic_load(&s[i].bad), 0, "thread %d", i);
		cr_assert_eq(atomic_load(&s[i].started), 40 * 8, "thread %d", i);
		cr_assert_eq(atomic_load(&s[i].completed), 40 * 8, "every call completed once");
	}
	jobs_client_close(cl);
	cr_assert_eq(jobsd_cleanup(&a), 0);
	assert_clients_freed(0);
}
