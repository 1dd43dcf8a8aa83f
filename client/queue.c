/*
 * queue.c: the completion queue (jobs_queue in client.h): calls that are
 * over, linked through their own jobs_call (no allocation on the completion
 * path), for any thread to collect.
 *
 * The file descriptor is an eventfd, made when first asked for, that is
 * readable exactly while the queue holds calls: a post to an empty queue
 * writes to it, taking the last call reads it back to zero, both under the
 * queue's lock. A queue nobody polls costs no system call per completion
 * but the wake-up of a thread waiting in jobs_queue_next().
 */
#include "internal.h"
#include "timespec.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct jobs_queue {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* on CLOCK_MONOTONIC */
	jobs_call *head, *tail;
	int waiters; /* threads in jobs_queue_next() */
	int efd;     /* -1 until jobs_queue_fd() */
	bool raised; /* efd's counter is not zero */
};

int
jobs_queue_open(jobs_queue **out)
{
	jobs_queue *q = calloc(1, sizeof *q);
	pthread_condattr_t attr;

	*out = NULL;
	if (q == NULL)
		return JOBS_RESOURCE_EXHAUSTED;
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &attr);
	pthread_condattr_destroy(&attr);
	q->efd = -1;
	*out = q;
	return JOBS_OK;
}

void
jobs_queue_close(jobs_queue *q)
{
	if (q == NULL)
		return;
	if (q->efd >= 0)
		close(q->efd);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

/* Makes efd readable (the queue holds calls). Under q->mu. */
static void
raise_fd(jobs_queue *q)
{
	uint64_t one = 1;

	if (q->efd >= 0 && !q->raised && write(q->efd, &one, sizeof one) == sizeof one)
		q->raised = true;
}

void
client_queue_post(jobs_queue *q, jobs_call *call)
{
	pthread_mutex_lock(&q->mu);
	call->internal_.next = NULL;
	if (q->tail != NULL)
		q->tail->internal_.next = call;
	else
		q->head = call;
	q->tail = call;
	raise_fd(q);
	if (q->waiters > 0)
		pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

jobs_call *
jobs_queue_next(jobs_queue *q, int timeout_ms)
{
	struct timespec until;
	jobs_call *call;

	if (timeout_ms > 0)
		until = timespec_in(CLOCK_MONOTONIC, timeout_ms);
	pthread_mutex_lock(&q->mu);
	while (q->head == NULL && timeout_ms != 0) {
		int rv;

		q->waiters++;
		rv = timeout_ms < 0 ? pthread_cond_wait(&q->cv, &q->mu)
		                    : pthread_cond_timedwait(&q->cv, &q->mu, &until);
		q->waiters--;
		if (rv == ETIMEDOUT)
			break;
	}
	if ((call = q->head) != NULL) {
		q->head = call->internal_.next;
		if (q->head == NULL) {
			uint64_t n;

			q->tail = NULL;
			if (q->raised && read(q->efd, &n, sizeof n) == sizeof n)
				q->raised = false;
		}
		call->internal_.next = NULL;
	}
	pthread_mutex_unlock(&q->mu);
	return call;
}

int
jobs_queue_fd(jobs_queue *q)
{
	int fd;

	pthread_mutex_lock(&q->mu);
	if (q->efd < 0 && (q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) >= 0 && q->head != NULL)
		raise_fd(q);
	fd = q->efd;
	pthread_mutex_unlock(&q->mu);
	return fd;
}
