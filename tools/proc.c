/*
 * proc.c: see proc.h.
 *
 * Finding a server: the kernel lists listening sockets with their inode in
 * /proc/net/tcp, tcp6 (local port, state 0A) and /proc/net/unix (path,
 * flag __SO_ACCEPTCON); a process holds the socket when one of its
 * /proc/PID/fd links reads "socket:[INODE]".
 */
#include "proc.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int64_t
proc_cpu_us(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long utime, stime;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields count
	 * from the last ')'. utime and stime are fields 14 and 15. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
	           &stime) != 2)
		return -1;
	return (int64_t)((utime + stime) * 1000000ull / (unsigned long long)sysconf(_SC_CLK_TCK));
}

int64_t
self_cpu_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

/* The inode of the socket listening on tcp port `port`, from one of
 * /proc/net/tcp{,6}; 0 if none. */
static unsigned long
tcp_listener(const char *table, unsigned port)
{
	char line[512];
	unsigned long inode = 0;
	FILE *f = fopen(table, "r");

	if (f == NULL)
		return 0;
	while (inode == 0 && fgets(line, sizeof line, f) != NULL) {
		char local[64];
		unsigned p, st;
		unsigned long ino;

		if (sscanf(line, " %*d: %63s %*s %x %*s %*s %*s %*s %*s %lu", local, &st, &ino) !=
		    3)
			continue;
		if (st == 0x0A && strchr(local, ':') != NULL &&
		    sscanf(strchr(local, ':') + 1, "%x", &p) == 1 && p == port)
			inode = ino;
	}
	fclose(f);
	return inode;
}

/* The inode of the unix socket listening at `path`; 0 if none. */
static unsigned long
unix_listener(const char *path)
{
	char line[4608];
	unsigned long inode = 0;
	FILE *f = fopen("/proc/net/unix", "r");

	if (f == NULL)
		return 0;
	while (inode == 0 && fgets(line, sizeof line, f) != NULL) {
		unsigned long flags, ino;
		int at = 0;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %lu %n", &flags, &ino, &at) == 2 &&
		    at > 0 && (flags & 0x10000) != 0 && strcmp(line + at, path) == 0)
			inode = ino;
	}
	fclose(f);
	return inode;
}

/* The process (not this one) that holds socket `inode`; 0 if none. */
static long
holder(unsigned long inode)
{
	char want[64], path[300], link[64];
	DIR *procs = opendir("/proc");
	struct dirent *p;
	long found = 0;

	if (procs == NULL)
		return 0;
	snprintf(want, sizeof want, "socket:[%lu]", inode);
	while (found == 0 && (p = readdir(procs)) != NULL) {
		long pid = isdigit((unsigned char)p->d_name[0]) ? atol(p->d_name) : 0;
		struct dirent *fd;
		DIR *fds;

		if (pid <= 0 || pid == (long)getpid())
			continue;
		snprintf(path, sizeof path, "/proc/%ld/fd", pid);
		if ((fds = opendir(path)) == NULL)
			continue;
		while (found == 0 && (fd = readdir(fds)) != NULL) {
			ssize_t n;

			snprintf(path, sizeof path, "/proc/%ld/fd/%s", pid, fd->d_name);
			if ((n = readlink(path, link, sizeof link - 1)) <= 0)
				continue;
			link[n] = '\0';
			if (strcmp(link, want) == 0)
				found = pid;
		}
		closedir(fds);
	}
	closedir(procs);
	return found;
}

long
proc_serving(const char *url)
{
	unsigned long inode = 0;

	if (strncmp(url, "ipc://", 6) == 0) {
		inode = unix_listener(url + 6);
	} else if (strncmp(url, "tcp://", 6) == 0 || strncmp(url, "tls+tcp://", 10) == 0) {
		const char *colon = strrchr(url, ':');
		unsigned port;

		if (colon == NULL || sscanf(colon + 1, "%u", &port) != 1)
			return 0;
		if ((inode = tcp_listener("/proc/net/tcp", port)) == 0)
			inode = tcp_listener("/proc/net/tcp6", port);
	}
	return inode != 0 ? holder(inode) : 0;
}
