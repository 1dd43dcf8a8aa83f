/*
 * clock.h: the wall clock in microseconds since the Unix epoch, UTC. Job
 * timestamps and request deadlines are both in wall-clock time.
 */
#ifndef JOBSD_CLOCK_H
#define JOBSD_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t
clock_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#endif
