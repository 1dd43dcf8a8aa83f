/*
 * sock.c: see sock.h. The close runs on a thread of ours and the caller
 * waits on a condition variable with a deadline; if the deadline passes,
 * the thread is detached and keeps its `struct closing` (reachable from its
 * stack, so leak checkers do not count it).
 */
#include "sock.h"
#include "timespec.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct closing {
	nng_socket sock;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
};

static void *
close_main(void *arg)
{
	struct closing *cl = arg;

	nng_close(cl->sock);
	pthread_mutex_lock(&cl->mu);
	cl->done = true;
	pthread_cond_signal(&cl->cv);
	pthread_mutex_unlock(&cl->mu);
	return NULL;
}

bool
sock_close_within(nng_socket s, int ms)
{
	struct closing *cl = calloc(1, sizeof *cl);
	struct timespec until;
	pthread_t t;
	bool done;

	if (cl == NULL) {
		nng_close(s);
		return true;
	}
	cl->sock = s;
	pthread_mutex_init(&cl->mu, NULL);
	pthread_cond_init(&cl->cv, NULL);
	if (pthread_create(&t, NULL, close_main, cl) != 0) {
		close_main(cl); /* no thread to be had: here, and hope */
		t = pthread_self();
	}
	until = timespec_in(CLOCK_REALTIME, ms);
	pthread_mutex_lock(&cl->mu);
	while (!cl->done && pthread_cond_timedwait(&cl->cv, &cl->mu, &until) == 0)
		;
	done = cl->done;
	pthread_mutex_unlock(&cl->mu);
	if (!done) {
		pthread_detach(t);
		return false;
	}
	if (!pthread_equal(t, pthread_self()))
		pthread_join(t, NULL);
	pthread_cond_destroy(&cl->cv);
	pthread_mutex_destroy(&cl->mu);
	free(cl);
	return true;
}
