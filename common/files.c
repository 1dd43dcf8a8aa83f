/*
 * files.c: see files.h.
 */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes all of buf, through short writes and signals. 0 or an errno value. */
static int
write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

int
files_copy(const char *from, const char *to, mode_t mode)
{
	char buf[1 << 16];
	struct stat st;
	int in, out, e = 0;
	ssize_t n;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0)
		return errno;
	if (fstat(in, &st) != 0)
		e = errno;
	else if (mode == FILES_SAME_MODE)
		mode = st.st_mode & 0777;
	/* O_EXCL also refuses a symlink at `to`, dangling or not. */
	if (e != 0 || (out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) < 0) {
		e = e != 0 ? e : errno;
		close(in);
		return e;
	}
	while (e == 0 && (n = read(in, buf, sizeof buf)) != 0) {
		if (n < 0)
			e = errno == EINTR ? 0 : errno;
		else
			e = write_all(out, buf, (size_t)n);
	}
	if (e == 0 && fsync(out) != 0)
		e = errno;
	if (close(out) != 0 && e == 0)
		e = errno;
	close(in);
	if (e != 0)
		unlink(to);
	return e;
}

int
files_sync_parent(const char *path)
{
	char copy[PATH_MAX];
	int fd, e = 0;

	if (snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy)
		return ENAMETOOLONG;
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errno;
	if (fsync(fd) != 0)
		e = errno;
	close(fd);
	return e;
}

/* Whether `s` is one name a folder may hold for us: not empty, not "." or
 * "..", no control characters (they would reach logs and terminals). */
static int
check_name(const char *s)
{
	if (strcmp(s, "..") == 0)
		return EPERM;
	if (*s == '\0' || strcmp(s, ".") == 0)
		return EINVAL;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return EINVAL;
	return 0;
}

int
files_beneath(const char *dir, const char *name, enum files_want want, char *out, size_t outlen)
{
	char buf[PATH_MAX], *p, *slash;
	struct stat sb;
	int fd, next, e = 0;

	if (name[0] == '/')
		return EPERM;
	if (snprintf(buf, sizeof buf, "%s", name) >= (int)sizeof buf)
		return ENAMETOOLONG;
	/* Every name is checked before anything is opened, so that ".." is
	 * refused as such even behind a folder that does not exist. */
	for (p = buf; (slash = strchr(p, '/')) != NULL && e == 0; p = slash + 1) {
		*slash = '\0';
		e = check_name(p);
		*slash = '/';
	}
	if (e != 0 || (e = check_name(p)) != 0)
		return e;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errno;
	for (p = buf; (slash = strchr(p, '/')) != NULL; p = slash + 1) {
		*slash = '\0';
		if (fstatat(fd, p, &sb, AT_SYMLINK_NOFOLLOW) != 0)
			e = errno;
		else if (S_ISLNK(sb.st_mode))
			e = EPERM;
		else if ((next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) <
		         0)
			e = errno == ELOOP ? EPERM : errno;
		*slash = '/';
		if (e != 0)
			break;
		close(fd);
		fd = next;
	}
	if (e == 0 && fstatat(fd, p, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(sb.st_mode))
			e = EPERM;
		else if (want == FILES_NEW)
			e = EEXIST;
		else if (!S_ISREG(sb.st_mode))
			e = EINVAL;
	} else if (e == 0 && (errno != ENOENT || want == FILES_EXISTING)) {
		e = errno;
	}
	close(fd);
	if (e == 0 && snprintf(out, outlen, "%s/%s", dir, name) >= (int)outlen)
		e = ENAMETOOLONG;
	return e;
}
