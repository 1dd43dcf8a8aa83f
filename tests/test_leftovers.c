/*
 * test_leftovers.c: what the test helpers clean up. A test that fails ends at
 * its failed assertion, before its own clean-up lines; what it made
 * (temporary folders, a jobsd) must still go when its worker exits, or every
 * failing run leaves folders and servers behind.
 */
#include "helpers.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The test runs this binary again on itself with JOBS_LEFTOVERS_REPORT set.
 * There it plays a test that fails: it makes a folder, starts a jobsd in
 * another, writes down their names and the jobsd's pid, and fails its
 * assertion. Back here, the failure must have been reported and the folders
 * and the jobsd must be gone.
 */
Test(leftovers, a_failing_test_leaves_no_folder_and_no_jobsd)
{
	const char *report = getenv("JOBS_LEFTOVERS_REPORT");
	char self[PATH_MAX], work[256], path[300], env[340], dirs[2][256];
	const char *argv[] = {self, "--filter", "leftovers/*", NULL};
	const char *envs[] = {env, NULL};
	struct stat st;
	struct run r;
	FILE *f;
	int pid;

	if (report != NULL) {
		struct jobsd d;

		cr_assert(jobsd_start(&d, NULL, NULL));
		cr_assert_not_null(f = fopen(report, "w"));
		fprintf(f, "%s\n%s\n%d\n", tmpdir_make(), d.dir, (int)d.pid);
		fclose(f);
		cr_assert_fail("failing on purpose, with a folder and a jobsd to clean up");
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	cr_assert(n > 0);
	self[n] = '\0';
	snprintf(work, sizeof work, "%s", tmpdir_make());
	snprintf(path, sizeof path, "%s/report", work);
	snprintf(env, sizeof env, "JOBS_LEFTOVERS_REPORT=%s", path);
	/* Criterion's worker learns that it is one from BXFI_MAP (boxfort's
	 * shared map), read at start-up: without it, the inner run is a runner
	 * of its own, as it should be. */
	unsetenv("BXFI_MAP");
	r = run_cmd(argv, NULL, envs);
	cr_assert_neq(r.status, 0, "the inner run should have failed:\n%s", r.err);
	cr_assert_not_null(strstr(r.err, "failing on purpose"), "the inner run:\n%s", r.err);
	cr_assert_null(strstr(r.err, "Sanitizer"), "the inner run:\n%s", r.err);
	run_free(&r);

	cr_assert_not_null(f = fopen(path, "r"), "the inner run wrote no report");
	cr_assert(fscanf(f, "%255s %255s %d", dirs[0], dirs[1], &pid) == 3);
	fclose(f);
	for (int i = 0; i < 2; i++)
		cr_expect(stat(dirs[i], &st) != 0 && errno == ENOENT,
		          "%s is still there after the failed test's worker exited", dirs[i]);
	/* Killed and reaped by the worker itself, so the pid names no process
	 * (not even a zombie, which would still answer kill 0). */
	cr_expect(kill(pid, 0) != 0 && errno == ESRCH, "jobsd %d outlived its failed test", pid);
	tmpdir_remove(work);
}
