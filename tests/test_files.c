/*
 * test_files.c: common/files.c, the file chores jobsd and the legacy engine
 * share. files_beneath() is what keeps Backup and --restore inside their
 * folder, so every way out is tried here, on a real folder with symlinks.
 */
#include "files.h"
#include "helpers.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256], inside[300], outside[300];

/* dir/inside: the folder a caller may use, holding a file, a folder and
 * symlinks out; dir/outside: what they must never reach. */
static void
setup(void)
{
	char p[400];
	FILE *f;

	snprintf(dir, sizeof dir, "%s", tmpdir_make());
	snprintf(inside, sizeof inside, "%s/inside", dir);
	snprintf(outside, sizeof outside, "%s/outside", dir);
	cr_assert_eq(mkdir(inside, 0700), 0);
	cr_assert_eq(mkdir(outside, 0700), 0);
	snprintf(p, sizeof p, "%s/sub", inside);
	cr_assert_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/old.db", inside);
	cr_assert_not_null(f = fopen(p, "w"));
	fputs("old", f);
	fclose(f);
	snprintf(p, sizeof p, "%s/secret", outside);
	cr_assert_not_null(f = fopen(p, "w"));
	fclose(f);
	snprintf(p, sizeof p, "%s/out", inside);
	cr_assert_eq(symlink(outside, p), 0);
	snprintf(p, sizeof p, "%s/link.db", inside);
	cr_assert_eq(symlink("../outside/new.db", p), 0);
	snprintf(p, sizeof p, "%s/secret.db", inside);
	cr_assert_eq(symlink("../outside/secret", p), 0);
}

static void
teardown(void)
{
	tmpdir_remove(dir);
}

TestSuite(files, .init = setup, .fini = teardown);

static int
beneath(const char *name, enum files_want want, char *out)
{
	return files_beneath(inside, name, want, out, PATH_MAX);
}

Test(files, a_new_name_inside_is_accepted_as_dir_slash_name)
{
	char out[PATH_MAX], want[PATH_MAX];

	cr_assert_eq(beneath("new.db", FILES_NEW, out), 0);
	snprintf(want, sizeof want, "%s/new.db", inside);
	cr_assert_str_eq(out, want);
	cr_assert_eq(beneath("sub/new.db", FILES_NEW, out), 0);
	snprintf(want, sizeof want, "%s/sub/new.db", inside);
	cr_assert_str_eq(out, want);
	cr_assert_eq(beneath("old.db", FILES_EXISTING, out), 0);
}

Test(files, every_way_out_is_eperm)
{
	char out[PATH_MAX], abs[PATH_MAX];
	const char *names[] = {
	    "..",           "../outside/x.db", "sub/../../outside/x.db",
	    "sub/..",       "out/x.db",        "out/secret",
	    "link.db",      "secret.db",       "/tmp/x.db",
	    "//etc/passwd",
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		cr_expect_eq(beneath(names[i], FILES_NEW, out), EPERM, "new %s", names[i]);
		cr_expect_eq(beneath(names[i], FILES_EXISTING, out), EPERM, "existing %s",
		             names[i]);
	}
	snprintf(abs, sizeof abs, "%s/new.db", inside);
	cr_expect_eq(beneath(abs, FILES_NEW, out), EPERM, "absolute, even inside");
	/* ".." is refused as such, even behind a folder that does not exist. */
	cr_expect_eq(beneath("nowhere/../../x", FILES_NEW, out), EPERM);
}

Test(files, odd_names_are_einval)
{
	char out[PATH_MAX];
	const char *names[] = {"", ".", "./x.db", "sub/", "sub//x.db", "a\nb.db", "tab\t.db"};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		cr_expect_eq(beneath(names[i], FILES_NEW, out), EINVAL, "'%s'", names[i]);
	cr_expect_eq(beneath("sub", FILES_EXISTING, out), EINVAL, "a folder is not a file");
}

Test(files, what_is_there_or_missing)
{
	char out[PATH_MAX], small[8];

	cr_expect_eq(beneath("old.db", FILES_NEW, out), EEXIST);
	cr_expect_eq(beneath("sub", FILES_NEW, out), EEXIST);
	cr_expect_eq(beneath("missing.db", FILES_EXISTING, out), ENOENT);
	cr_expect_eq(beneath("nowhere/x.db", FILES_NEW, out), ENOENT);
	cr_expect_eq(beneath("old.db/x.db", FILES_NEW, out), ENOTDIR);
	cr_expect_eq(files_beneath(inside, "new.db", FILES_NEW, small, sizeof small), ENAMETOOLONG);
	cr_expect_eq(files_beneath("/nonexistent-folder", "x.db", FILES_NEW, out, sizeof out),
	             ENOENT);
}

Test(files, the_folder_itself_may_be_a_symlink)
{
	char link[400], out[PATH_MAX];

	snprintf(link, sizeof link, "%s/alias", dir);
	cr_assert_eq(symlink(inside, link), 0);
	cr_assert_eq(files_beneath(link, "new.db", FILES_NEW, out, sizeof out), 0);
	cr_assert_eq(files_beneath(link, "out/x.db", FILES_NEW, out, sizeof out), EPERM);
}

Test(files, copy_makes_a_new_synced_file_and_never_writes_through)
{
	char from[400], to[400], link[400], buf[16] = "";
	struct stat sb;
	FILE *f;

	snprintf(from, sizeof from, "%s/old.db", inside);
	snprintf(to, sizeof to, "%s/copy.db", inside);
	cr_assert_eq(files_copy(from, to, 0640), 0);
	cr_assert_eq(stat(to, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0640);
	cr_assert_not_null(f = fopen(to, "r"));
	cr_assert_eq(fread(buf, 1, sizeof buf - 1, f), 3);
	fclose(f);
	cr_assert_str_eq(buf, "old");
	cr_assert_eq(files_copy(from, to, FILES_SAME_MODE), EEXIST, "never over a file");
	snprintf(link, sizeof link, "%s/link.db", inside);
	cr_assert_eq(files_copy(from, link, FILES_SAME_MODE), EEXIST, "never through a symlink");
	snprintf(to, sizeof to, "%s/new.db", outside);
	cr_assert_neq(stat(to, &sb), 0, "nothing reached outside");
	cr_assert_eq(files_copy("/nonexistent", to, FILES_SAME_MODE), ENOENT);
	cr_assert_eq(files_sync_parent(from), 0);
}
