/*
 * proc.h: what the benchmarks read about processes on this machine (Linux
 * /proc): how much CPU a process has used, and which process serves a
 * local tcp:// or ipc:// URL. Used by jobsbench and jobsbench-ref to report
 * CPU per call, the client's and the server's.
 */
#ifndef JOBS_BENCH_PROC_H
#define JOBS_BENCH_PROC_H

#include <stdint.h>

/* CPU time (user + system, all threads) process `pid` has used, in
 * microseconds; -1 if it cannot be read. Resolution: a clock tick. */
int64_t proc_cpu_us(long pid);

/* Likewise for this process, to the microsecond (getrusage). */
int64_t self_cpu_us(void);

/*
 * The process listening at `url`, tcp://HOST:PORT (on any local address)
 * or ipc:///PATH, found through /proc/net and the processes' open sockets;
 * 0 when none is found here (a remote host, another user's process).
 */
long proc_serving(const char *url);

#endif
