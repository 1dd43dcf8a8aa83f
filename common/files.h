/*
 * files.h: file chores that jobsd (server/) and the legacy engine
 * (client/legacy/) share: durable copies and renames, and names confined to
 * a folder. Plain POSIX, no other module's types: both sides link it.
 *
 * Every function that can fail returns 0 or an errno value; callers map
 * those to their own codes.
 */
#ifndef JOBS_COMMON_FILES_H
#define JOBS_COMMON_FILES_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Copies the file `from` to a new file `to` (O_EXCL: never over anything,
 * never through a symlink) with permission bits `mode`, or from's own when
 * mode is FILES_SAME_MODE, and fsyncs it. On failure `to` is removed.
 */
#define FILES_SAME_MODE ((mode_t)-1)
int files_copy(const char *from, const char *to, mode_t mode);

/* fsyncs the folder holding `path`, so that a rename or link in it lasts.
 * Returns 0 or an errno value. */
int files_sync_parent(const char *path);

/* What files_beneath() wants at the end of the name. */
enum files_want {
	FILES_NEW,      /* nothing there yet */
	FILES_EXISTING, /* a regular file */
};

/*
 * Checks that `name`, given by someone who may only use the folder `dir`,
 * names a place inside it, and writes "dir/name" into out (outlen bytes).
 * `name` is a file name or a relative path of names: absolute paths,
 * ".." anywhere and symlinks on the way (each folder is opened with
 * O_NOFOLLOW from `dir` down, and a symlink at the end is refused too) give
 * EPERM; ".", empty names (a//b, a trailing /) and control characters give
 * EINVAL. `dir` itself is the operator's choice and may be a symlink.
 * With FILES_NEW the last name must not exist (EEXIST); with FILES_EXISTING
 * it must be a regular file (ENOENT, or EINVAL for anything else). A folder
 * missing on the way is ENOENT; a result longer than outlen ENAMETOOLONG.
 *
 * The check is made when called: only someone who can write in `dir`
 * (jobsd's own user, for a folder made 0700) could change it before the
 * caller uses the path, so callers still create with O_EXCL.
 */
int files_beneath(const char *dir, const char *name, enum files_want want, char *out,
                  size_t outlen);

#endif
