/*
 * timespec.h: the moment `ms` milliseconds from now on a clock, as timed
 * waits (pthread_cond_timedwait) take it. Shared by jobsd's socket close
 * (common/sock.c) and libjobsclient's waits (client/client.c, queue.c).
 */
#ifndef JOBS_COMMON_TIMESPEC_H
#define JOBS_COMMON_TIMESPEC_H

#include <time.h>

static inline struct timespec
timespec_in(clockid_t clock, int ms)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

#endif
